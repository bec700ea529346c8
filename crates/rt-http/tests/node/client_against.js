// Node's http client against the rt server (crates/rt-http/tests/server_interop_node.rs).
// argv[2]: the port. Prints one JSON object with what each scenario saw.
'use strict';
const http = require('http');
const net = require('net');
const port = Number(process.argv[2]);
const out = {};
const ids = new WeakMap();
let nextId = 1;
let done = false;
process.on('exit', () => { if (!done) process.stdout.write(JSON.stringify({ error: 'event loop ran dry; got so far: ' + JSON.stringify(out) })); });
const idOf = (s) => { if (!ids.has(s)) ids.set(s, nextId++); return ids.get(s); };

function call(opts, body, onReq) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, ...opts }, (res) => {
      const chunks = [];
      res.on('data', (d) => chunks.push(d));
      res.on('end', () => resolve({
        status: res.statusCode, headers: res.headers, rawHeaders: res.rawHeaders,
        body: Buffer.concat(chunks).toString('latin1'), trailers: res.trailers,
        socket: idOf(req.socket), reused: req.reusedSocket,
      }));
    });
    req.on('error', reject);
    if (onReq) onReq(req); else if (body !== undefined) req.end(body); else req.end();
  });
}

(async () => {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  out.keepAlive = [];
  for (let i = 0; i < 3; i++) {
    const r = await call({ path: '/k' + i, agent });
    out.keepAlive.push([r.status, r.socket, r.reused, r.headers.connection]);
  }
  agent.destroy();

  const chunkedUp = await call({ method: 'POST', path: '/up', agent: false }, undefined, (req) => {
    req.setHeader('Trailer', 'X-Up');
    req.write('ab');
    req.write('cd');
    req.addTrailers({ 'X-Up': 'done' });
    req.end();
  });
  out.chunkedUp = chunkedUp.body.split('\n');

  const chunkedDown = await call({ path: '/chunked', agent: false });
  out.chunkedDown = [chunkedDown.body, chunkedDown.headers['transfer-encoding']];

  const trailers = await call({ path: '/trailers', agent: false });
  out.trailers = [trailers.body, trailers.trailers];

  const cont = await call({ method: 'POST', path: '/cont', agent: false, headers: { Expect: '100-continue', 'Content-Length': 4 } }, undefined, (req) => {
    req.on('continue', () => { out.gotContinue = true; req.end('wxyz'); });
  });
  out.cont = cont.body.split('\n');

  const head = await call({ method: 'HEAD', path: '/chunked', agent: false });
  out.head = [head.status, head.body, head.headers['transfer-encoding'] || null];

  out.upgrade = await new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: '/ws', agent: false,
      headers: { Connection: 'Upgrade', Upgrade: 'echo' } });
    req.on('upgrade', (res, socket, headBytes) => {
      let got = headBytes.toString('latin1');
      socket.on('data', (d) => {
        got += d.toString('latin1');
        if (got.includes('ping')) { socket.destroy(); resolve([res.statusCode, res.headers.upgrade, got]); }
      });
      socket.write('ping');
    });
    req.on('error', reject);
    req.end();
  });

  out.pipelined = await new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => {
      s.end('GET /p1 HTTP/1.1\r\nHost: h\r\n\r\nGET /chunked HTTP/1.1\r\nHost: h\r\n\r\nGET /p3 HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n');
    });
    let data = '';
    s.on('data', (d) => { data += d.toString('latin1'); });
    s.on('close', () => resolve(data.split('HTTP/1.1 ').slice(1).map((r) => r.split('\r\n')[0] + ' ' + (r.match(/\n(\/[a-z0-9]*)\n/) || [null, r.endsWith('0\r\n\r\n') ? 'chunked' : '?'])[1])));
  });
  done = true;
  process.stdout.write(JSON.stringify(out));
})().catch((e) => { done = true; process.stdout.write(JSON.stringify({ error: String(e && e.stack || e) })); });
