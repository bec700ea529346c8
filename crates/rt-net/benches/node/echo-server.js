// Node's echo server for `cargo xtask bench net` (the Rust bench drives it).
// Prints its port, exits when stdin closes.
'use strict';
const net = require('net');

const server = net.createServer((s) => {
  s.on('error', () => {});
  s.pipe(s);
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(server.address().port + '\n');
});
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
