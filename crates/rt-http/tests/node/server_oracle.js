// The Node twin of the rt server in crates/rt-http/tests/server_diff_node.rs
// and server_interop_node.rs: the same handler, the same options.
// argv[2]: JSON options for http.createServer (maxHeaderSize, maxRequestsPerSocket...).
// Prints the port on stdout, then serves until stdin closes.
'use strict';
const http = require('http');
const opts = JSON.parse(process.argv[2] || '{}');
const server = http.createServer(opts, (req, res) => {
  const u = req.url;
  if (u === '/chunked') { res.write('a'); res.write('bc'); res.end(); return; }
  if (u === '/204') { res.writeHead(204); res.end('x'); return; }
  if (u === '/304') { res.writeHead(304, { 'X-A': '1' }); res.end(); return; }
  if (u === '/trailers') {
    try { res.writeHead(200, { 'Trailer': 'X-T' }); } catch (e) { res.end(e.code); return; }
    res.write('a');
    res.addTrailers({ 'X-T': 'v' });
    res.end();
    return;
  }
  if (u === '/close') { res.setHeader('Connection', 'close'); res.end('bye'); return; }
  if (u === '/cookies') {
    res.setHeader('Set-Cookie', ['a=1', 'b=2']);
    res.appendHeader('X-M', 'one');
    res.appendHeader('X-M', 'two');
    res.end();
    return;
  }
  if (u === '/bad') {
    const out = [];
    const tries = [
      () => res.setHeader('X Y', 'v'),
      () => res.setHeader('X', 'a\r\nb'),
      () => res.setHeader('X', 'a\nb'),
      () => res.setHeader('', 'v'),
    ];
    for (const f of tries) {
      try { f(); out.push('ok'); } catch (e) { out.push(e.code); }
    }
    res.end(out.join(','));
    return;
  }
  if (u === '/flush') { res.flushHeaders(); res.end('later'); return; }
  if (u === '/status') { res.statusCode = 404; res.statusMessage = 'Nope'; res.end('nf'); return; }
  if (u === '/head-with-len') { res.setHeader('Content-Length', '5'); res.end('hello'); return; }
  const body = [];
  req.on('data', (d) => body.push(d));
  req.on('end', () => {
    const b = Buffer.concat(body);
    const lines = [
      req.method, req.url, req.httpVersion,
      JSON.stringify(req.rawHeaders),
      JSON.stringify(Object.entries(req.headers)),
      String(b.length), b.toString('latin1'),
      JSON.stringify(req.rawTrailers), String(req.complete),
    ];
    res.setHeader('X-Echo', '1');
    res.end(lines.join('\n'));
  });
});
if (opts.keepAliveTimeout !== undefined) server.keepAliveTimeout = opts.keepAliveTimeout;
if (opts.maxRequestsPerSocket !== undefined) server.maxRequestsPerSocket = opts.maxRequestsPerSocket;
if (opts.maxHeadersCount !== undefined) server.maxHeadersCount = opts.maxHeadersCount;
if (opts.headersTimeout !== undefined) server.headersTimeout = opts.headersTimeout;
if (opts.requestTimeout !== undefined) server.requestTimeout = opts.requestTimeout;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(server.address().port + '\n');
});
process.stdin.on('data', () => {});
process.stdin.on('end', () => process.exit(0));
