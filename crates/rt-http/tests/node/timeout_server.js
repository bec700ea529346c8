// The Node twin of server_timeout_node.rs's rt server: `node timeout_server.js MODE`.
// Prints `port N`, then one line per event: `connection <remotePort>`, `timeout <remotePort>`.
// MODE idle: server.setTimeout(300), a handler that never answers, no 'timeout' listener.
// MODE idle-heard: the same with a 'timeout' listener that destroys the socket.
// MODE keepalive-heard: keepAliveTimeout 200, a handler that answers `ok`, a 'timeout' listener.
'use strict';
const http = require('http');
const mode = process.argv[2];
const server = http.createServer((req, res) => {
  if (mode === 'keepalive-heard') res.end('ok');
});
if (mode === 'idle' || mode === 'idle-heard') server.setTimeout(300);
if (mode === 'keepalive-heard') server.keepAliveTimeout = 200;
server.on('connection', (s) => console.log(`connection ${s.remotePort}`));
if (mode !== 'idle') {
  server.on('timeout', (s) => {
    console.log(`timeout ${s.remotePort}`);
    if (mode === 'idle-heard') s.destroy();
  });
}
server.listen(0, '127.0.0.1', () => console.log(`port ${server.address().port}`));
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
