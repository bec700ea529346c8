// Runs the generated stream scenarios (tests/differential_gen.rs) and prints their logs as JSON.
// A scenario is a list of operations; each step's log is [`op -> return value`, ...what it
// caused: events, callbacks, hook calls], taken after the step has settled (five
// setImmediate turns). The Rust runner produces the same log from rt-stream.
'use strict';
const { Readable, Writable, Duplex, Transform, PassThrough, pipeline, finished } = require('stream');

function mkErr(msg) { const e = new Error(msg); e.code = 'ERR_TEST'; return e; }
function show(c) {
  if (c === null || c === undefined) return 'null';
  return Buffer.isBuffer(c) ? c.toString('utf8') : String(c);
}
function chunkOf(op) { return op.hex ? Buffer.from(op.hex, 'hex') : op.chunk; }

async function runScenario(sc) {
  const streams = {};
  const pending = {};
  const steps = [];
  let cur = [];
  let late = [];
  const ev = (s) => cur.push(s);
  // The results of finished() and pipeline() are futures in rt: they are
  // compared at the end of the step they complete in, in completion order.
  const lateEv = (s) => late.push(s);
  const watch = (id, s) => {
    for (const name of ['end', 'close', 'finish', 'drain', 'pause', 'resume', 'prefinish']) {
      s.on(name, () => ev(`${id} ${name}`));
    }
    // 'pipe' / 'unpipe' listeners receive the source: logged by its id.
    const nameOf = (src) => Object.keys(streams).find((k) => streams[k] === src) || '?';
    for (const name of ['pipe', 'unpipe']) s.on(name, (src) => ev(`${id} ${name} ${nameOf(src)}`));
    s.on('error', (e) => ev(`${id} error ${e.code}`));
  };
  const sinkDone = (id, op, cb) => { if (op.sink === 'manual') pending[id].push(cb); else cb(); };
  for (const op of sc) {
    cur = [];
    late = [];
    let ret = 'ok';
    const id = op.id;
    const s = streams[id];
    switch (op.op) {
      case 'new': {
        pending[id] = [];
        const base = { objectMode: !!op.obj };
        if (op.hwm !== undefined) base.highWaterMark = op.hwm;
        const items = (op.items || []).slice();
        const read = function () {
          ev(`${id} _read`);
          if (op.src === 'sync') { const it = items.shift(); this.push(it === undefined ? null : it); }
        };
        const write = function (c, e, cb) { ev(`${id} _write ${show(c)}`); sinkDone(id, op, cb); };
        const writev = function (chunks, cb) {
          ev(`${id} _writev ${chunks.map((c) => show(c.chunk)).join(',')}`); sinkDone(id, op, cb);
        };
        const final = function (cb) { ev(`${id} _final`); cb(); };
        let st;
        switch (op.kind) {
          case 'R': st = new Readable({ ...base, read }); break;
          case 'W': {
            const o = { ...base, write };
            if (op.writev) o.writev = writev;
            if (op.final) o.final = final;
            st = new Writable(o); break;
          }
          case 'D': {
            const o = { ...base, read, write, allowHalfOpen: op.half };
            if (op.final) o.final = final;
            st = new Duplex(o); break;
          }
          case 'P': st = new PassThrough({ ...base, allowHalfOpen: op.half }); break;
          case 'T': {
            const o = {
              ...base, allowHalfOpen: op.half,
              transform(c, e, cb) {
                ev(`${id} _transform ${show(c)}`);
                const t = show(c);
                if (t.startsWith('d')) { cb(); return; } // dropped
                if (t.startsWith('x')) { this.push(c); this.push(c); cb(); return; } // doubled
                cb(null, c);
              },
            };
            if (op.flush) o.flush = function (cb) { ev(`${id} _flush`); cb(null, 'F'); };
            st = new Transform(o); break;
          }
          default: throw new Error('unknown kind ' + op.kind);
        }
        st.__id = id;
        streams[id] = st; watch(id, st); break;
      }
      case 'on':
        if (op.ev === 'data') s.on('data', (c) => ev(`${id} data ${show(c)}`));
        else s.on('readable', () => ev(`${id} readable`));
        break;
      case 'push': ret = String(s.push(chunkOf(op))); break;
      case 'push_end': ret = String(s.push(null)); break;
      case 'read': ret = show(s.read(op.n === undefined ? undefined : op.n)); break;
      case 'pause': s.pause(); break;
      case 'resume': s.resume(); break;
      case 'set_encoding': s.setEncoding('utf8'); break;
      case 'write': {
        const cb = op.cb ? (e) => ev(`${id} cb ${e ? e.code : 'ok'}`) : undefined;
        ret = String(s.write(chunkOf(op), cb)); break;
      }
      case 'end': {
        const cb = op.cb ? (e) => ev(`${id} endcb ${e ? e.code : 'ok'}`) : undefined;
        if (op.chunk !== undefined || op.hex !== undefined) s.end(chunkOf(op), cb); else s.end(cb);
        break;
      }
      case 'cork': s.cork(); break;
      case 'uncork': s.uncork(); break;
      case 'complete': {
        const cb = pending[id].shift();
        if (cb) cb(op.err ? mkErr(op.err) : undefined);
        ret = cb ? 'ok' : 'none'; break;
      }
      case 'destroy': s.destroy(op.err ? mkErr(op.err) : undefined); break;
      case 'pipe': streams[op.src].pipe(streams[op.dst], { end: op.end !== false }); break;
      case 'unpipe': streams[op.src].unpipe(op.dst ? streams[op.dst] : undefined); break;
      case 'finished':
        finished(s, (e) => lateEv(`${id} finished ${e ? e.code : 'ok'}`));
        break;
      case 'pipeline':
        pipeline(...op.ids.map((i) => streams[i]), (e) => lateEv(`pipeline ${e ? e.code : 'ok'}`));
        break;
      case 'state': {
        const parts = [];
        if (s._readableState) {
          parts.push(`rlen=${s.readableLength} flowing=${s.readableFlowing} paused=${s.isPaused()} ended=${s.readableEnded} readable=${s.readable}`);
        }
        if (s._writableState) {
          parts.push(`wlen=${s.writableLength} drain=${s.writableNeedDrain} wended=${s.writableEnded} finished=${s.writableFinished} writable=${s.writable}`);
        }
        parts.push(`destroyed=${s.destroyed} closed=${s.closed} errored=${s.errored ? s.errored.code : null}`);
        ret = parts.join(' '); break;
      }
      default: throw new Error('unknown op ' + op.op);
    }
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    steps.push([`${op.op} ${id || ''} -> ${ret}`, ...cur, ...late]);
  }
  return steps;
}

// The test kit's case loop (tests/node/cases.js, appended by Node::run_cases).
runCases(runScenario);
