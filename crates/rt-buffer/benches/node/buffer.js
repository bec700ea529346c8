// Node twin of crates/rt-buffer/benches/buffer.rs: the same figures, names and inputs.
'use strict';
const b = require('../../../../tests/node/bench.js');

const SIZES = [64, 1 << 20];

function randomBytes(n) {
  const out = Buffer.alloc(n);
  let x = 0x12345678;
  for (let i = 0; i < n; i++) {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    out[i] = x >>> 24;
  }
  return out;
}

const ASCII = 'The quick brown fox jumps over the lazy dog; pack my box with five dozen liquor jugs. ';
const CJK = '前端开发，Node.js 的 Buffer 用于处理二进制数据；字符串与缓冲区互转时，一个中文字符在 UTF-8 下占用 3 个字节。';
const LATIN1 = 'Größe, café, naïve, façade, déjà vu, señor, Ålborg, smørrebrød. ';

// `sample` repeated to n bytes of UTF-8, cut at a character boundary.
function text(sample, n) {
  let s = '';
  while (Buffer.byteLength(s) < n) s += sample;
  const full = Buffer.from(s);
  let end = n;
  while (end > 0 && end < full.length && (full[end] & 0xc0) === 0x80) end--;
  return full.subarray(0, end).toString();
}

function figure(name, size, f, nsOnly = false) {
  const run = (n) => { for (let i = 0; i < n; i++) f(); };
  if (size === 64) b.perOp(`${name} 64 B`, run);
  else if (nsOnly) b.perOp(`${name} 1 MiB`, run);
  else b.throughput(`${name} 1 MiB`, size, run);
}

for (const size of SIZES) {
  const raw = randomBytes(size);
  for (const enc of ['base64', 'base64url', 'hex']) {
    figure(`${enc} encode`, size, () => b.sink(raw.toString(enc)));
    const t = raw.toString(enc);
    figure(`${enc} decode`, size, () => b.sink(Buffer.from(t, enc)));
  }
  for (const [sample, name] of [[ASCII, 'utf8 ascii'], [CJK, 'utf8 cjk']]) {
    const s = text(sample, size);
    const bytes = Buffer.from(s);
    figure(`${name} encode`, size, () => b.sink(Buffer.from(s, 'utf8')));
    figure(`${name} decode`, size, () => b.sink(bytes.toString('utf8')));
  }
  {
    const s = text(LATIN1, size);
    const bytes = Buffer.from(s, 'latin1');
    figure('latin1 encode', size, () => b.sink(Buffer.from(s, 'latin1')));
    figure('latin1 decode', size, () => b.sink(bytes.toString('latin1')));
  }
  const s = text(CJK, size);
  const bytes = Buffer.from(s, 'utf16le');
  figure('utf16le encode', size, () => b.sink(Buffer.from(s, 'utf16le')));
  figure('utf16le decode', size, () => b.sink(bytes.toString('utf16le')));
  figure('byte_length utf8', size, () => b.sink(Buffer.byteLength(s, 'utf8')), true);
  const hay = Buffer.from(text(ASCII, size));
  const needle = Buffer.from('0123456789abcdef');
  needle.copy(hay, hay.length - needle.length);
  figure('index_of 16 B needle', size, () => b.sink(hay.indexOf(needle)));
  const piece = Math.ceil(size / 100);
  const list = [];
  for (let i = 0; i < 100; i++) list.push(Buffer.alloc(piece, i));
  figure('concat 100 buffers', size, () => b.sink(Buffer.concat(list)));
  figure('alloc_unsafe', size, () => b.sink(Buffer.allocUnsafe(size)));
}
