// The oracle for crates/rt-http/tests/response_writer_node.rs: Node's
// ServerResponse. stdin: JSON [{req: base64 request bytes, ops: [...]}]; the
// request carries `X-Case: i`. The handler runs case i's ops on `res`,
// recording [opIndex, err.code] for each op that throws. A raw client sends
// the request, half-closes, and reads until the server closes.
// stdout: JSON [{bytes: base64 response, errors: [[i, code]...]}].
'use strict';
const http = require('http');
const net = require('net');
const cases = JSON.parse(require('fs').readFileSync(0, 'utf8'));
const errors = cases.map(() => []);
const server = http.createServer((req, res) => {
  const i = Number(req.headers['x-case']);
  const ops = cases[i].ops;
  req.resume();
  ops.forEach((op, k) => {
    try {
      switch (op[0]) {
        case 'setHeader': res.setHeader(op[1], op[2]); break;
        case 'appendHeader': res.appendHeader(op[1], op[2]); break;
        case 'removeHeader': res.removeHeader(op[1]); break;
        case 'statusCode': res.statusCode = op[1]; break;
        case 'statusMessage': res.statusMessage = op[1]; break;
        case 'writeHead':
          if (op[2] === null && op[3] === null) res.writeHead(op[1]);
          else if (op[2] === null) res.writeHead(op[1], op[3].flat());
          else if (op[3] === null) res.writeHead(op[1], op[2]);
          else res.writeHead(op[1], op[2], op[3].flat());
          break;
        case 'write': res.write(Buffer.from(op[1], 'latin1')); break;
        case 'end': if (op[1] === '') res.end(); else res.end(Buffer.from(op[1], 'latin1')); break;
        case 'addTrailers': res.addTrailers(op[1]); break;
        case 'writeContinue': res.writeContinue(); break;
        default: throw new Error('unknown op ' + op[0]);
      }
    } catch (e) {
      errors[i].push([k, e.code]);
    }
  });
  // Errors Node reports asynchronously (write after end) arrive as 'error'.
  res.on('error', (e) => errors[i].push(['async', e.code]));
});
server.listen(0, '127.0.0.1', async () => {
  const port = server.address().port;
  const out = [];
  for (let i = 0; i < cases.length; i++) {
    const bytes = await new Promise((resolve) => {
      const chunks = [];
      const s = net.connect(port, '127.0.0.1', () => s.end(Buffer.from(cases[i].req, 'base64')));
      s.on('data', (d) => chunks.push(d));
      s.on('error', () => {});
      s.on('close', () => resolve(Buffer.concat(chunks)));
    });
    await new Promise((r) => setImmediate(r));
    out.push({ bytes: bytes.toString('base64'), errors: errors[i] });
  }
  process.stdout.write(JSON.stringify(out));
  server.close();
});
