// The oracle for crates/rt-http/tests/response_node.rs: Node's http client.
// stdin: JSON array of [base64 bytes, method]. A raw TCP server answers the
// i-th connection with the i-th case's bytes and closes; http.request logs:
//   ["info", status, reason, version, rawHeaders]   a 1xx ('information')
//   ["res", status, reason, version, rawHeaders]    'response'
//   ["end", base64 body, rawTrailers]                the body ended
//   ["upgrade", status]                              'upgrade'
//   ["reserr", code]                                 the response's 'error' / 'aborted'
//   ["err", code, bytesParsed]                       the request's 'error'
'use strict';
const http = require('http');
const net = require('net');
const cases = JSON.parse(require('fs').readFileSync(0, 'utf8'));
let current = null;
const srv = net.createServer((s) => {
  s.on('error', () => {});
  s.on('data', () => {});
  s.end(Buffer.from(current, 'base64'));
});
srv.listen(0, '127.0.0.1', async () => {
  const out = [];
  for (const [b64, method] of cases) {
    current = b64;
    const log = [];
    await new Promise((resolve) => {
      const req = http.request({ port: srv.address().port, host: '127.0.0.1', method, agent: false });
      req.on('information', (i) => log.push(['info', i.statusCode, i.statusMessage, i.httpVersion, i.rawHeaders]));
      req.on('response', (res) => {
        log.push(['res', res.statusCode, res.statusMessage, res.httpVersion, res.rawHeaders]);
        const body = [];
        res.on('data', (d) => body.push(d));
        res.on('end', () => log.push(['end', Buffer.concat(body).toString('base64'), res.rawTrailers]));
        res.on('error', (e) => log.push(['reserr', e.code]));
      });
      req.on('upgrade', (res, sock) => { log.push(['upgrade', res.statusCode]); sock.destroy(); });
      req.on('error', (e) => log.push(['err', e.code, e.bytesParsed]));
      req.on('close', () => setImmediate(resolve));
      req.end();
    });
    out.push(log);
  }
  process.stdout.write(JSON.stringify(out));
  srv.close();
});
