// The oracle for crates/rt-http/tests/parser_node.rs: a real Node http server.
// stdin: JSON array of base64 cases. For each case one connection sends the
// bytes and half-closes; the server logs what it saw on that connection:
//   ["req", method, url, version, rawHeaders, Object.entries(headers)]
//   ["end", base64 body]                        its body ended (complete)
//   ["upgrade", method, url]                    'upgrade' / 'connect' event
//   ["err", code, bytesParsed]                  'clientError'
// stdout: JSON array of event lists, one per case.
'use strict';
const http = require('http');
const net = require('net');
const cases = JSON.parse(require('fs').readFileSync(0, 'utf8'));
const results = [];
let log = null;
const server = http.createServer({ requireHostHeader: false }, (req, res) => {
  const mine = log;
  mine.push(['req', req.method, req.url, req.httpVersion, req.rawHeaders, Object.entries(req.headers)]);
  const body = [];
  req.on('data', (d) => body.push(d));
  req.on('end', () => { mine.push(['end', Buffer.concat(body).toString('base64')]); res.end(); });
});
const up = (req, sock) => { log.push(['upgrade', req.method, req.url]); sock.destroy(); };
server.on('upgrade', up);
server.on('connect', up);
server.on('clientError', (e, sock) => { log.push(['err', e.code, e.bytesParsed]); sock.destroy(); });
server.keepAliveTimeout = 0;
server.listen(0, '127.0.0.1', async () => {
  const port = server.address().port;
  for (const c of cases) {
    log = [];
    await new Promise((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => s.end(Buffer.from(c, 'base64')));
      s.on('error', () => {});
      s.resume();
      s.on('close', () => setImmediate(resolve));
    });
    results.push(log);
  }
  process.stdout.write(JSON.stringify(results));
  server.close();
});
