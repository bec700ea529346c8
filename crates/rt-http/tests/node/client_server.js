// The Node server for crates/rt-http/tests/client_node.rs: one
// http.createServer whose routes each show one behaviour the rt client must
// handle. Prints its port, then serves until stdin closes.
// With argv[2] === 'oracle', it also runs Node's own client against each
// path in argv[3..] (http.get, agent: false) and prints one JSON line per
// path: {path, code, message, status, body} as Node's client saw it.
'use strict';
const http = require('http');

const srv = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://x');
  const port = String(req.socket.remotePort);
  switch (url.pathname) {
    case '/hello':
      res.setHeader('x-remote-port', port);
      res.end('hello');
      return;
    case '/sized':
      res.setHeader('x-remote-port', port);
      res.setHeader('Content-Length', '5');
      res.end(req.method === 'HEAD' ? undefined : 'hello');
      return;
    case '/slow': {
      // Answers after the number of ms in ?ms (queueing with maxSockets).
      const ms = Number(url.searchParams.get('ms') || 50);
      setTimeout(() => {
        res.setHeader('x-remote-port', port);
        res.end(url.searchParams.get('tag') || 'slow');
      }, ms);
      return;
    }
    case '/chunked':
      res.setHeader('x-remote-port', port);
      res.setHeader('Trailer', 'X-Sum');
      res.write('one,');
      res.write('two,');
      setTimeout(() => {
        res.addTrailers({ 'X-Sum': 'three' });
        res.end('three');
      }, 5);
      return;
    case '/echo': {
      const chunks = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        res.setHeader('x-remote-port', port);
        res.setHeader('x-req-te', String(req.headers['transfer-encoding']));
        res.setHeader('x-req-cl', String(req.headers['content-length']));
        res.setHeader('x-req-expect', String(req.headers.expect));
        res.setHeader('x-req-trailer', JSON.stringify(req.trailers));
        res.end(body);
      });
      return;
    }
    case '/big': {
      // ?n bytes, chunked, in 64 KiB writes.
      let left = Number(url.searchParams.get('n') || 1 << 20);
      const block = Buffer.alloc(65536, 'x');
      const more = () => {
        while (left > 0) {
          const n = Math.min(left, block.length);
          left -= n;
          if (!res.write(block.subarray(0, n))) {
            res.once('drain', more);
            return;
          }
        }
        res.end();
      };
      more();
      return;
    }
    case '/close-after':
      // Keep-alive response, then the server closes the idle socket.
      res.setHeader('x-remote-port', port);
      res.end('bye', () => setTimeout(() => req.socket.destroy(), 20));
      return;
    case '/hangup':
      req.socket.destroy();
      return;
    case '/reset':
      req.socket.resetAndDestroy();
      return;
    case '/garbage':
      req.socket.end('HTTP/1.1 2x0 OK\r\n\r\n');
      return;
    case '/bad-header':
      req.socket.end('HTTP/1.1 200 OK\r\nBad Header: x\r\n\r\n');
      return;
    case '/truncated':
      req.socket.write('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc');
      setTimeout(() => req.socket.destroy(), 20);
      return;
    case '/until-close':
      req.socket.end('HTTP/1.1 200 OK\r\n\r\nuntil close body');
      return;
    case '/no-content':
      res.statusCode = 204;
      res.end();
      return;
    case '/never':
      return;
    default:
      res.statusCode = 404;
      res.end('not found');
  }
});
srv.keepAliveTimeout = 60000;
srv.on('upgrade', (req, socket, head) => {
  socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\nwelcome:');
  socket.on('data', (d) => socket.end(d));
});
srv.on('connect', (req, socket) => {
  socket.write('HTTP/1.1 200 Connection Established\r\n\r\ntunnel:');
  socket.on('data', (d) => socket.end(d));
});

srv.listen(0, '127.0.0.1', async () => {
  const port = srv.address().port;
  if (process.argv[2] === 'oracle') {
    for (const path of process.argv.slice(3)) {
      const r = await new Promise((resolve) => {
        const out = { path, code: null, message: null, status: null, body: null, resError: null };
        const req = http.get({ port, host: '127.0.0.1', path, agent: false }, (res) => {
          out.status = res.statusCode;
          const chunks = [];
          res.on('data', (c) => chunks.push(c));
          res.on('error', (e) => { out.resError = e.code; });
          res.on('end', () => { out.body = Buffer.concat(chunks).toString('latin1'); });
          res.on('close', () => { if (out.body === null) out.body = Buffer.concat(chunks).toString('latin1'); resolve(out); });
        });
        req.on('error', (e) => { out.code = e.code; out.message = e.message; resolve(out); });
      });
      console.log(JSON.stringify(r));
    }
    srv.close();
    process.exit(0);
  }
  console.log(port);
  process.stdin.resume();
  process.stdin.on('end', () => process.exit(0));
});
