// The Node side of rt's bench line format (see tests/src/bench.rs).
// Node twins of the Rust benchmarks: const b = require('<path>/tests/node/bench.js');
'use strict';

function targetMs() {
  const v = Number(process.env.RT_BENCH_MS);
  return Number.isFinite(v) && v > 0 ? v : 300;
}

function report(figure, unit, better, value, who = 'node') {
  if (!Number.isFinite(value)) value = 0;
  process.stdout.write('BENCH ' + JSON.stringify({ who, figure, unit, better, value }) + '\n');
}

// f(n) runs the operation n times. Returns ns per operation (best of 3).
function nsPerIter(f) {
  let n = 1;
  const calibrate = targetMs() / 10;
  for (;;) {
    const t0 = process.hrtime.bigint();
    f(n);
    const took = Number(process.hrtime.bigint() - t0) / 1e6;
    if (took >= calibrate || n >= 2 ** 40) {
      const per = took / n;
      n = Math.max(1, Math.floor(targetMs() / 3 / Math.max(per, 1e-9)));
      break;
    }
    n *= took === 0 ? 16 : 2;
  }
  let best = Infinity;
  for (let i = 0; i < 3; i++) {
    const t0 = process.hrtime.bigint();
    f(n);
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / n);
  }
  return best;
}

function perOp(figure, f) {
  const ns = nsPerIter(f);
  report(figure, 'ns/op', 'lower', ns);
  return ns;
}

function throughput(figure, bytes, f) {
  const ns = nsPerIter(f);
  const gbps = bytes / ns;
  report(figure, 'GB/s', 'higher', gbps);
  return gbps;
}

// A sink for results so V8 cannot drop the work.
let sinkValue = 0;
function sink(v) {
  sinkValue ^= typeof v === 'number' ? v : (v && v.length) | 0;
  return sinkValue;
}

module.exports = { report, nsPerIter, perOp, throughput, sink, targetMs };
