// Runs stream scenarios (a small operation language) and prints their logs as JSON.
// Each step's log is [its return value, ...the events it caused, after settling].
'use strict';
const { Readable, Writable, PassThrough } = require('stream');

function mkErr(msg) { const e = new Error(msg); e.code = 'ERR_TEST'; return e; }
function show(c) {
  if (c === null || c === undefined) return 'null';
  return Buffer.isBuffer(c) ? c.toString('utf8') : String(c);
}

async function runScenario(sc) {
  const streams = {};
  const pending = {};
  const steps = [];
  let cur = [];
  const ev = (s) => cur.push(s);
  const watch = (id, s) => {
    for (const name of ['end', 'close', 'finish', 'drain', 'pause', 'resume', 'prefinish', 'pipe', 'unpipe']) {
      s.on(name, () => ev(`${id} ${name}`));
    }
    s.on('error', (e) => ev(`${id} error ${e.code}`));
  };
  for (const op of sc) {
    cur = [];
    let ret = '';
    const s = streams[op.id];
    switch (op.op) {
      case 'readable': {
        const items = (op.items || []).slice();
        const r = new Readable({
          highWaterMark: op.hwm, objectMode: !!op.obj,
          read() {
            ev(`${op.id} _read`);
            if (op.src === 'sync') { const it = items.shift(); this.push(it === undefined ? null : it); }
          },
        });
        streams[op.id] = r; watch(op.id, r); ret = 'ok'; break;
      }
      case 'writable': {
        pending[op.id] = [];
        const o = {
          highWaterMark: op.hwm, objectMode: !!op.obj,
          write(c, e, cb) {
            ev(`${op.id} _write ${show(c)}`);
            if (op.sink === 'manual') pending[op.id].push(cb); else cb();
          },
        };
        if (op.writev) o.writev = function (chunks, cb) {
          ev(`${op.id} _writev ${chunks.map((c) => show(c.chunk)).join(',')}`);
          if (op.sink === 'manual') pending[op.id].push(cb); else cb();
        };
        if (op.final) o.final = function (cb) { ev(`${op.id} _final`); cb(); };
        const w = new Writable(o);
        streams[op.id] = w; watch(op.id, w); ret = 'ok'; break;
      }
      case 'passthrough': {
        const t = new PassThrough({ highWaterMark: op.hwm, objectMode: !!op.obj });
        streams[op.id] = t; watch(op.id, t); ret = 'ok'; break;
      }
      case 'on':
        if (op.ev === 'data') s.on('data', (c) => ev(`${op.id} data ${show(c)}`));
        else s.on('readable', () => ev(`${op.id} readable`));
        ret = 'ok'; break;
      case 'push': ret = String(s.push(op.hex ? Buffer.from(op.hex, 'hex') : op.chunk)); break;
      case 'push_end': s.push(null); ret = 'ok'; break;
      case 'unshift': ret = String(s.unshift(op.chunk)); break;
      case 'read': ret = show(s.read(op.n === undefined ? undefined : op.n)); break;
      case 'pause': s.pause(); ret = 'ok'; break;
      case 'resume': s.resume(); ret = 'ok'; break;
      case 'set_encoding': s.setEncoding('utf8'); ret = 'ok'; break;
      case 'write': {
        const cb = op.cb ? (e) => ev(`${op.id} cb ${e ? e.code : 'ok'}`) : undefined;
        ret = String(s.write(op.hex ? Buffer.from(op.hex, 'hex') : op.chunk, cb)); break;
      }
      case 'end':
        if (op.cb) s.end(op.chunk, (e) => ev(`${op.id} endcb ${e ? e.code : 'ok'}`));
        else if (op.chunk !== undefined) s.end(op.chunk);
        else s.end();
        ret = 'ok'; break;
      case 'cork': s.cork(); ret = 'ok'; break;
      case 'uncork': s.uncork(); ret = 'ok'; break;
      case 'complete': {
        const cb = pending[op.id].shift();
        if (cb) cb(op.err ? mkErr(op.err) : undefined);
        ret = cb ? 'ok' : 'none'; break;
      }
      case 'destroy': s.destroy(op.err ? mkErr(op.err) : undefined); ret = 'ok'; break;
      case 'pipe': streams[op.src].pipe(streams[op.dst], { end: op.end !== false }); ret = 'ok'; break;
      case 'unpipe': streams[op.src].unpipe(op.dst ? streams[op.dst] : undefined); ret = 'ok'; break;
      case 'state': {
        const parts = [];
        if (s.readable !== undefined && s._readableState) parts.push(`rlen=${s.readableLength} flowing=${s.readableFlowing} paused=${s.isPaused()} ended=${s.readableEnded}`);
        if (s._writableState) parts.push(`wlen=${s.writableLength} drain=${s.writableNeedDrain} wended=${s.writableEnded} finished=${s.writableFinished}`);
        parts.push(`destroyed=${s.destroyed}`);
        ret = parts.join(' '); break;
      }
      default: throw new Error('unknown op ' + op.op);
    }
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    steps.push([`${op.op} -> ${ret}`, ...cur]);
  }
  return steps;
}

// The test kit's case loop (tests/node/cases.js, appended by Node::run_cases).
runCases(runScenario);
