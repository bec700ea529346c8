// The oracle for crates/rt-http/tests/request_writer_node.rs: Node's
// ClientRequest. stdin: JSON [{opts, agent, ops}]. Each case makes one
// http.request to a raw TCP server that records the bytes it receives;
// stdout: JSON {port, results: [{bytes: base64, errors: [[i|"ctor", code]]}]}.
'use strict';
const http = require('http');
const net = require('net');
const cases = JSON.parse(require('fs').readFileSync(0, 'utf8'));
// Each case opens one connection (sockets are destroyed after each case):
// the server keeps each connection's bytes and reports them once it closes.
const conns = [];
const waiters = [];
const srv = net.createServer((s) => {
  const i = conns.length;
  const got = [];
  conns.push(got);
  s.on('data', (d) => got.push(d));
  s.on('error', () => {});
  s.on('close', () => { if (waiters[i]) waiters[i](Buffer.concat(got)); else waiters[i] = Buffer.concat(got); });
});
function connectionBytes(i) {
  return new Promise((resolve) => {
    if (Buffer.isBuffer(waiters[i])) resolve(waiters[i]); else waiters[i] = resolve;
  });
}
srv.listen(0, '127.0.0.1', async () => {
  const port = srv.address().port;
  const results = [];
  let next = 0;
  for (const c of cases) {
    const errors = [];
    const opts = { ...c.opts, host: '127.0.0.1', port };
    if (c.hostHeader === false) opts.setHost = false;
    if (c.agent === 'none') opts.agent = false;
    else if (c.agent === 'finite') opts.agent = new http.Agent({ keepAlive: false, maxSockets: 5 });
    let req;
    try {
      req = http.request(opts);
    } catch (e) {
      errors.push(['ctor', e.code]);
      results.push({ bytes: '', errors });
      continue;
    }
    req.on('error', () => {});
    await new Promise((resolve) => {
      c.ops.forEach((op, k) => {
        try {
          switch (op[0]) {
            case 'setHeader': req.setHeader(op[1], op[2]); break;
            case 'removeHeader': req.removeHeader(op[1]); break;
            case 'write': req.write(Buffer.from(op[1], 'latin1')); break;
            case 'end': if (op[1] === '') req.end(); else req.end(Buffer.from(op[1], 'latin1')); break;
            default: throw new Error('unknown op');
          }
        } catch (e) { errors.push([k, e.code]); }
      });
      req.on('finish', resolve);
      req.on('close', resolve);
    });
    // The request is written (or failed before any byte): close the
    // connection and take what the server received on it.
    const sent = await new Promise((resolve) => {
      if (req.socket) resolve(true);
      else req.on('socket', () => resolve(true));
    });
    req.socket.end();
    const bytes = sent ? await connectionBytes(next++) : Buffer.alloc(0);
    req.destroy();
    results.push({ bytes: bytes.toString('base64'), errors });
  }
  process.stdout.write(JSON.stringify({ port, results }));
  srv.close();
});
