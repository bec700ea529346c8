// Node's side of tests/differential_coverage.rs: hand-written scenarios for
// Transform with flush, Duplex allowHalfOpen, pipeline(), finished() and
// object-mode Writable. Reads the scenario names (JSON) on stdin and prints
// each one's [log lines], in the same order. A step is five setImmediate
// turns (rt settles its streams between steps the same way).
const { Readable, Writable, Duplex, Transform, pipeline, finished } = require('stream');

const step = async () => { for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r)); };
const watch = (s, log, prefix, names) => names.forEach((n) => s.on(n, () => log.push(`${prefix} ${n}`)));
const onError = (s, log, prefix) => s.on('error', (e) => log.push(`${prefix} error ${e.code}`));
const err = (code, msg) => { const e = new Error(msg); e.code = code; return e; };
const res = (e) => (e ? e.code : 'ok');
const STD = ['prefinish', 'finish', 'end', 'close'];

function upper(log, failOn) {
  return new Transform({
    transform(c, e, cb) {
      log.push(`transform ${c}`);
      if (failOn && String(c) === failOn) return cb(err('ERR_BAD_CHUNK', 'bad chunk'));
      cb(null, String(c).toUpperCase());
    },
  });
}

function source(chunks) {
  const r = new Readable({ read() {} });
  for (const c of chunks) r.push(c);
  r.push(null);
  return r;
}

function collector(log, failOn) {
  return new Writable({
    write(c, e, cb) {
      log.push(`sink ${c}`);
      if (failOn && String(c) === failOn) return cb(err('ERR_SINK', 'sink failed'));
      cb();
    },
  });
}

const scenarios = {
  async transform_flush(log) {
    const t = new Transform({
      transform(c, e, cb) { log.push(`transform ${c}`); cb(null, String(c).toUpperCase()); },
      flush(cb) { log.push('flush'); this.push('TAIL'); cb(); },
    });
    watch(t, log, 't', STD); onError(t, log, 't');
    t.on('data', (c) => log.push(`data ${c}`));
    t.write('ab'); await step();
    t.write('cd'); await step();
    t.end(); await step();
    log.push(`state rended=${t.readableEnded} wfinished=${t.writableFinished} destroyed=${t.destroyed}`);
  },
  async transform_flush_without_input(log) {
    const t = new Transform({
      transform(c, e, cb) { cb(null, c); },
      flush(cb) { log.push('flush'); this.push('only'); this.push('tail'); cb(); },
    });
    watch(t, log, 't', STD);
    t.on('data', (c) => log.push(`data ${c}`));
    t.end(); await step();
    log.push(`state rended=${t.readableEnded} wfinished=${t.writableFinished}`);
  },
  async transform_flush_error(log) {
    const t = new Transform({
      transform(c, e, cb) { cb(null, c); },
      flush(cb) { log.push('flush'); cb(err('ERR_FLUSH', 'flush failed')); },
    });
    watch(t, log, 't', STD); onError(t, log, 't');
    t.on('data', (c) => log.push(`data ${c}`));
    t.write('x'); await step();
    t.end(); await step();
    log.push(`state rended=${t.readableEnded} wfinished=${t.writableFinished} destroyed=${t.destroyed}`);
  },
  async transform_flush_waits_for_a_paused_reader(log) {
    const t = new Transform({
      readableHighWaterMark: 2,
      transform(c, e, cb) { cb(null, c); },
      flush(cb) { log.push('flush'); this.push('zz'); cb(); },
    });
    watch(t, log, 't', STD);
    t.write('ab'); await step();
    t.end(); await step();
    log.push(`state rlen=${t.readableLength} wfinished=${t.writableFinished}`);
    t.on('data', (c) => log.push(`data ${c}`)); await step();
    log.push(`state rended=${t.readableEnded} wfinished=${t.writableFinished}`);
  },
  async duplex_allow_half_open_true(log) {
    const d = new Duplex({ allowHalfOpen: true, read() {}, write(c, e, cb) { log.push(`write ${c}`); cb(); } });
    watch(d, log, 'd', STD); onError(d, log, 'd');
    d.on('data', (c) => log.push(`data ${c}`));
    d.push('a'); d.push(null); await step();
    log.push(`state rended=${d.readableEnded} wended=${d.writableEnded} destroyed=${d.destroyed}`);
    d.write('x'); await step();
    d.end(); await step();
    log.push(`state rended=${d.readableEnded} wended=${d.writableEnded} destroyed=${d.destroyed}`);
  },
  async duplex_allow_half_open_false(log) {
    const d = new Duplex({ allowHalfOpen: false, read() {}, write(c, e, cb) { log.push(`write ${c}`); cb(); } });
    watch(d, log, 'd', STD); onError(d, log, 'd');
    d.on('data', (c) => log.push(`data ${c}`));
    d.write('w'); await step();
    d.push('a'); d.push(null); await step();
    log.push(`state rended=${d.readableEnded} wended=${d.writableEnded} wfinished=${d.writableFinished} destroyed=${d.destroyed}`);
    d.write('late', (e) => log.push(`write cb ${res(e)}`)); await step();
  },
  async duplex_half_open_writable_ends_first(log) {
    const d = new Duplex({ allowHalfOpen: false, read() {}, write(c, e, cb) { log.push(`write ${c}`); cb(); } });
    watch(d, log, 'd', STD);
    d.on('data', (c) => log.push(`data ${c}`));
    d.end('w'); await step();
    log.push(`state rended=${d.readableEnded} wfinished=${d.writableFinished} destroyed=${d.destroyed}`);
    d.push('a'); d.push(null); await step();
    log.push(`state rended=${d.readableEnded} wfinished=${d.writableFinished} destroyed=${d.destroyed}`);
  },
  async pipeline_ok(log) {
    const [r, t, w] = [source(['a', 'b', 'c']), upper(log), collector(log)];
    watch(r, log, 'r', ['end', 'close']); watch(t, log, 't', STD); watch(w, log, 'w', STD);
    let result = 'pending';
    pipeline(r, t, w, (e) => { result = res(e); });
    await step(); await step();
    log.push(`pipeline ${result}`);
    log.push(`destroyed ${r.destroyed} ${t.destroyed} ${w.destroyed}`);
  },
  async pipeline_error_in_the_middle(log) {
    const [r, t, w] = [source(['a', 'b', 'c']), upper(log, 'b'), collector(log)];
    watch(r, log, 'r', ['end', 'close']); watch(t, log, 't', STD); watch(w, log, 'w', STD);
    let result = 'pending';
    pipeline(r, t, w, (e) => { result = res(e); });
    await step(); await step();
    log.push(`pipeline ${result}`);
    log.push(`destroyed ${r.destroyed} ${t.destroyed} ${w.destroyed}`);
  },
  async pipeline_error_at_the_destination(log) {
    const [r, t, w] = [source(['a', 'b', 'c']), upper(log), collector(log, 'B')];
    watch(r, log, 'r', ['end', 'close']); watch(t, log, 't', STD); watch(w, log, 'w', STD);
    let result = 'pending';
    pipeline(r, t, w, (e) => { result = res(e); });
    await step(); await step();
    log.push(`pipeline ${result}`);
    log.push(`destroyed ${r.destroyed} ${t.destroyed} ${w.destroyed}`);
  },
  async pipeline_source_destroyed(log) {
    const r = new Readable({ read() {} });
    const w = collector(log);
    watch(r, log, 'r', ['end', 'close']); watch(w, log, 'w', STD);
    let result = 'pending';
    pipeline(r, w, (e) => { result = res(e); });
    r.push('a'); await step();
    r.destroy(); await step();
    log.push(`pipeline ${result}`);
    log.push(`destroyed ${r.destroyed} ${w.destroyed}`);
  },
  async finished_writable(log) {
    const w = collector(log);
    watch(w, log, 'w', STD);
    let result = 'pending';
    finished(w, (e) => { result = res(e); });
    w.write('a'); await step();
    log.push(`finished ${result}`);
    w.end(); await step();
    log.push(`finished ${result}`);
  },
  async finished_readable(log) {
    const r = source(['a']);
    watch(r, log, 'r', ['end', 'close']);
    let result = 'pending';
    finished(r, (e) => { result = res(e); });
    await step();
    log.push(`finished ${result}`);
    r.on('data', (c) => log.push(`data ${c}`)); await step();
    log.push(`finished ${result}`);
  },
  async finished_premature_close(log) {
    const r = new Readable({ read() {} });
    watch(r, log, 'r', ['end', 'close']);
    let result = 'pending';
    finished(r, (e) => { result = res(e); });
    r.push('a'); await step();
    r.destroy(); await step();
    log.push(`finished ${result}`);
  },
  async finished_error(log) {
    const w = collector(log);
    watch(w, log, 'w', STD); onError(w, log, 'w');
    let result = 'pending';
    finished(w, (e) => { result = res(e); });
    w.destroy(err('ERR_X', 'boom')); await step();
    log.push(`finished ${result}`);
  },
  async object_writable_backpressure(log) {
    const pending = [];
    const w = new Writable({
      objectMode: true, highWaterMark: 2,
      write(c, e, cb) { log.push(`sink ${c}`); pending.push(cb); },
    });
    watch(w, log, 'w', [...STD, 'drain']);
    for (const n of [1, 2, 3]) log.push(`write ${n} -> ${w.write(n)}`);
    log.push(`len ${w.writableLength} need_drain ${w.writableNeedDrain}`);
    await step();
    while (pending.length) { pending.shift()(); await step(); log.push(`len ${w.writableLength}`); }
    w.end(); await step();
    log.push(`len ${w.writableLength} finished ${w.writableFinished}`);
  },
  async object_writable_default_mark(log) {
    const pending = [];
    const w = new Writable({ objectMode: true, write(c, e, cb) { pending.push(cb); } });
    watch(w, log, 'w', ['drain', 'finish']);
    let firstFalse = 'none';
    for (let n = 1; n <= 20; n++) if (!w.write(n) && firstFalse === 'none') firstFalse = n;
    log.push(`first false at ${firstFalse} len ${w.writableLength} hwm ${w.writableHighWaterMark}`);
    while (pending.length) { pending.shift()(); await step(); }
    w.end(); await step();
    log.push(`len ${w.writableLength} finished ${w.writableFinished}`);
  },
  async object_writable_errors(log) {
    const w = new Writable({ objectMode: true, write(c, e, cb) { log.push(`sink ${c}`); cb(c === 2 ? err('ERR_OBJ', 'bad object') : null); } });
    watch(w, log, 'w', STD); onError(w, log, 'w');
    w.write(1, (e) => log.push(`cb 1 ${res(e)}`)); await step();
    w.write(2, (e) => log.push(`cb 2 ${res(e)}`)); await step();
    w.write(3, (e) => log.push(`cb 3 ${res(e)}`)); await step();
    log.push(`destroyed ${w.destroyed} len ${w.writableLength}`);
  },
};

// The test kit's case loop (tests/node/cases.js, appended by Node::run_cases):
// a case is a scenario's name, its answer the scenario's log.
runCases(async (name) => {
  const f = scenarios[name];
  if (!f) throw new Error(`no node scenario named ${name}`);
  const log = [];
  await f(log);
  return log;
});
