// Node twin of crates/rt-stream/benches/stream.rs: same figures, same work.
'use strict';
const b = require('../../../../tests/node/bench.js');
const { Readable, Writable, Transform, PassThrough, pipeline } = require('stream');
const fs = require('fs');
const os = require('os');
const path = require('path');

const CHUNK = 64 * 1024;
const GIB = 1 << 30;

function bytesSource(total) {
  const block = Buffer.alloc(CHUNK, 7);
  let sent = 0;
  return new Readable({
    highWaterMark: CHUNK,
    read() {
      if (sent >= total) { this.push(null); return; }
      sent += CHUNK;
      this.push(block);
    },
  });
}

function run(streams) {
  return new Promise((resolve, reject) => pipeline(...streams, (e) => (e ? reject(e) : resolve())));
}

async function timeOnce(f) {
  const t0 = process.hrtime.bigint();
  await f();
  return Number(process.hrtime.bigint() - t0);
}

(async () => {
  // 1. Readable (64 KiB pushes) -> identity Transform -> discarding Writable, 2 GiB.
  {
    const total = 2 * GIB;
    const ns = await timeOnce(() => run([
      bytesSource(total),
      new Transform({ transform(c, e, cb) { cb(null, c); } }),
      new Writable({ write(c, e, cb) { cb(); } }),
    ]));
    b.report('pipeline 2 GiB, 64 KiB chunks (Readable->Transform->Writable)', 'ns/chunk', 'lower', ns / (total / CHUNK));
  }
  // 2. The same in object mode, 1M small objects.
  {
    const N = 1000000;
    let i = 0;
    const src = new Readable({
      objectMode: true,
      read() { if (i >= N) this.push(null); else this.push({ n: i++ }); },
    });
    let sum = 0;
    const ns = await timeOnce(() => run([
      src,
      new Transform({ objectMode: true, transform(o, e, cb) { cb(null, o); } }),
      new Writable({ objectMode: true, write(o, e, cb) { sum += o.n; cb(); } }),
    ]));
    b.sink(sum);
    b.report('object pipeline, 1M objects (Readable->Transform->Writable)', 'objects/s', 'higher', N / (ns / 1e9));
  }
  // 3. Per-chunk overhead: 16-byte writes into a discarding Writable.
  {
    const w = new Writable({ write(c, e, cb) { cb(); } });
    const chunk = Buffer.alloc(16, 1);
    b.perOp('write() of a 16-byte chunk into a discarding Writable', (n) => {
      for (let i = 0; i < n; i++) w.write(chunk);
    });
  }
  // 4. pipe between two byte streams, 1 GiB of 64 KiB chunks.
  {
    const ns = await timeOnce(() => new Promise((resolve) => {
      const w = new Writable({ write(c, e, cb) { cb(); } });
      w.on('finish', resolve);
      bytesSource(GIB).pipe(w);
    }));
    b.report('pipe 1 GiB, 64 KiB chunks (Readable->Writable)', 'ns/chunk', 'lower', ns / (GIB / CHUNK));
  }
  // 5. File copy, 1 GiB: createReadStream().pipe(createWriteStream()).
  {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rt-stream-bench-node-'));
    const src = path.join(dir, 'src.bin');
    const dst = path.join(dir, 'dst.bin');
    const fd = fs.openSync(src, 'w');
    const block = Buffer.alloc(1 << 20, 3);
    for (let i = 0; i < 1024; i++) fs.writeSync(fd, block);
    fs.closeSync(fd);
    // Warm the cache the same way on both sides: read it once.
    fs.readFileSync(src).length;
    const ns = await timeOnce(() => new Promise((resolve, reject) => {
      const w = fs.createWriteStream(dst);
      w.on('finish', resolve);
      w.on('error', reject);
      fs.createReadStream(src).pipe(w);
    }));
    b.report('file copy 1 GiB (createReadStream.pipe(createWriteStream))', 'GB/s', 'higher', GIB / ns);
    fs.rmSync(dir, { recursive: true, force: true });
  }
})();
