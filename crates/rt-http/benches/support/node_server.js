// The Node server of `cargo xtask bench http`: the same handler as the rt
// and hyper servers of benches/http.rs. Prints its port, serves until stdin closes.
'use strict';
const http = require('http');
const server = http.createServer((req, res) => {
  if (req.url === '/echo') { req.pipe(res); return; }
  res.setHeader('Content-Type', 'text/plain');
  res.end('Hello World\n');
});
server.keepAliveTimeout = 600000;
server.listen(0, '127.0.0.1', () => process.stdout.write(server.address().port + '\n'));
process.stdin.on('data', () => {});
process.stdin.on('end', () => process.exit(0));
