// Node twin of crates/rt-child-process/benches/child_process.rs: same figures.
'use strict';
const b = require('../../../../tests/node/bench.js');
const cp = require('child_process');
const { once } = require('events');

if (process.env.RT_CP_BENCH_CHILD) {
  let count = 0;
  process.on('message', (m) => {
    if (m.t === 'ping') process.send(m);
    else if (m.t === 'count') process.send({ count });
    else count++;
  });
  return;
}

function budgetMs() {
  const v = Number(process.env.RT_BENCH_MS);
  return (Number.isFinite(v) && v > 0 ? v : 300) * 3;
}

async function main() {
  const quiet = { stdio: ['ignore', 'ignore', 'ignore'] };
  for (let i = 0; i < 5; i++) await once(cp.spawn('true', [], quiet), 'close');
  let n = 0; let t0 = process.hrtime.bigint();
  const ms = () => Number(process.hrtime.bigint() - t0) / 1e6;
  while (ms() < budgetMs() || n < 20) { await once(cp.spawn('true', [], quiet), 'close'); n++; }
  b.report("spawn('true') to close", 'ms', 'lower', ms() / n);

  const execP = (c) => new Promise((res, rej) => cp.exec(c, (e, out) => e ? rej(e) : res(out)));
  n = 0; t0 = process.hrtime.bigint();
  while (ms() < budgetMs() || n < 20) { await execP('echo hi'); n++; }
  b.report("exec('echo hi') to result", 'ms', 'lower', ms() / n);

  const child = cp.fork(__filename, [], { env: { ...process.env, RT_CP_BENCH_CHILD: '1' } });
  const next = () => once(child, 'message');
  const ping = { t: 'ping', payload: 'hello' };
  for (let i = 0; i < 200; i++) { child.send(ping); await next(); }
  n = 0; t0 = process.hrtime.bigint();
  while (ms() < budgetMs() || n < 1000) { child.send(ping); await next(); n++; }
  b.report('IPC round trip, small JSON message', 'µs', 'lower', ms() * 1e3 / n);

  const total = 200000;
  const msg = { i: 1, payload: 'hello' };
  t0 = process.hrtime.bigint();
  for (let i = 0; i < total; i++) child.send(msg);
  child.send({ t: 'count' });
  const [got] = await next();
  if (got.count !== total) throw new Error('count ' + got.count);
  b.report('one-way messages, parent to child', 'msg/s', 'higher', total / (ms() / 1e3));
  child.disconnect();
}
main();
