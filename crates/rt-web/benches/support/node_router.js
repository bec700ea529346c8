// The Node twin of `cargo xtask bench web`: Node's http with a hand-written
// router over the same 100 routes (`/api/r<i>/:id`, JSON answers), as a
// Node programmer writes one without express. Prints its port, runs until
// stdin closes.
'use strict';
const http = require('http');

const routes = new Map();
for (let i = 0; i < 100; i++) {
  routes.set('r' + i, (id, res) => {
    const body = JSON.stringify({ route: i, id: id, ok: true });
    res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
  });
}

const server = http.createServer((req, res) => {
  const q = req.url.indexOf('?');
  const path = q === -1 ? req.url : req.url.slice(0, q);
  const parts = path.split('/');
  // ['', 'api', 'r<i>', ':id']
  const h = parts.length === 4 && parts[1] === 'api' && req.method === 'GET' ? routes.get(parts[2]) : undefined;
  if (!h) {
    res.statusCode = 404;
    res.end('Not Found');
    return;
  }
  h(decodeURIComponent(parts[3]), res);
});
server.keepAliveTimeout = 600000;
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
