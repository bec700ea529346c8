// Node twin of crates/rt-child-process/benches/child_process.rs: same figures.
'use strict';
const b = require('../../../../tests/node/bench.js');
const cp = require('child_process');
const { once } = require('events');

const ROUND_TRIP = 'IPC round trip, small JSON message';
const ROUND_TRIP_ONE_CORE = 'IPC round trip, small JSON message, both on one core';

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

function forkChild() {
  return cp.fork(__filename, [], { env: { ...process.env, RT_CP_BENCH_CHILD: '1' } });
}

async function roundTrip(child, figure) {
  const next = () => once(child, 'message');
  const ping = { t: 'ping', payload: 'hello' };
  for (let i = 0; i < 200; i++) { child.send(ping); await next(); }
  let n = 0; const t0 = process.hrtime.bigint();
  const ms = () => Number(process.hrtime.bigint() - t0) / 1e6;
  while (ms() < budgetMs() || n < 1000) { child.send(ping); await next(); n++; }
  b.report(figure, 'µs', 'lower', ms() * 1e3 / n);
}

// The first cpu of this process's affinity (as the Rust side picks it).
function firstCpu() {
  try {
    const line = require('fs').readFileSync('/proc/self/status', 'utf8')
      .split('\n').find((l) => l.startsWith('Cpus_allowed_list:'));
    return line.slice('Cpus_allowed_list:'.length).trim().split(/[,-]/)[0] || '0';
  } catch { return '0'; }
}

// This file again under taskset: parent and child on one core.
function pinned() {
  const cpu = firstCpu();
  const r = cp.spawnSync('taskset', ['-c', cpu, process.execPath, __filename], {
    env: { ...process.env, RT_CP_BENCH_PINNED: '1' }, stdio: 'inherit',
  });
  if (r.error) { process.stderr.write(`NOTICE: no one-core figure: taskset could not run (${r.error.message})\n`); return; }
  if (r.status !== 0) throw new Error(`the run pinned to cpu ${cpu} failed: ${r.status} ${r.signal}`);
}

async function main() {
  if (process.env.RT_CP_BENCH_PINNED) {
    const child = forkChild();
    await roundTrip(child, ROUND_TRIP_ONE_CORE);
    child.disconnect();
    return;
  }
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

  const child = forkChild();
  const next = () => once(child, 'message');
  await roundTrip(child, ROUND_TRIP);

  const total = 200000;
  const msg = { i: 1, payload: 'hello' };
  t0 = process.hrtime.bigint();
  for (let i = 0; i < total; i++) child.send(msg);
  child.send({ t: 'count' });
  const [got] = await next();
  if (got.count !== total) throw new Error('count ' + got.count);
  b.report('one-way messages, parent to child', 'msg/s', 'higher', total / (ms() / 1e3));
  child.disconnect();
  await once(child, 'exit');
  pinned();
}
main();
