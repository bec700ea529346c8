// The Node side of rt-events' differential test (tests/differential.rs).
// Reads a JSON array of scenarios on stdin, runs each on a fresh EventEmitter,
// prints a JSON array of call logs. The Rust side runs the same scenarios
// through rt-events and must produce the same logs.
'use strict';
const { EventEmitter, errorMonitor } = require('events');

const MAX_DEPTH = 3;
// Bounds on a scenario's growth (listeners that add listeners that emit...).
const MAX_LISTENERS = 64;
const MAX_LOG = 2000;

let log = null;
// Warnings are logged synchronously, where Node creates them.
process.emitWarning = (w) => log.push(`warn ${w.name}: ${w.message}`);

function key(event) {
  return event === 'errorMonitor' ? errorMonitor : event;
}

function run(scenario) {
  log = [];
  const e = new EventEmitter();
  const labelOf = new Map(); // function -> label
  const byLabel = new Map(); // label -> { event, fn }
  let nextLabel = 0;
  let depth = 0;

  const label = (fn) => labelOf.get(fn) ?? labelOf.get(fn && fn.listener) ?? '?';

  function makeListener(event, lbl, actions) {
    return function (...args) {
      if (event === 'newListener' || event === 'removeListener') {
        // A trailing '*': the payload is the once wrapper, not the function.
        const wrapper = args[1] && args[1].listener ? '*' : '';
        log.push(`call ${lbl} ${event} ${String(args[0])} ${label(args[1])}${wrapper}`);
      } else {
        log.push(`call ${lbl} ${event} ${args[0]}`);
      }
      const payload = typeof args[0] === 'number' ? args[0] : 0;
      // Listeners nested too deep only log (bounds recursion through
      // emits and through 'newListener' listeners that add listeners).
      if (depth >= MAX_DEPTH) return;
      depth++;
      try {
        for (const a of actions) exec(a, payload);
      } finally {
        depth--;
      }
    };
  }

  function exec(op, payload) {
    switch (op.op) {
      case 'on':
      case 'once':
      case 'prepend':
      case 'prependOnce': {
        if (nextLabel >= MAX_LISTENERS) break;
        const lbl = `L${nextLabel++}`;
        const fn = makeListener(op.event, lbl, op.actions || []);
        labelOf.set(fn, lbl);
        byLabel.set(lbl, { event: op.event, fn });
        const method = {
          on: 'on',
          once: 'once',
          prepend: 'prependListener',
          prependOnce: 'prependOnceListener',
        }[op.op];
        e[method](key(op.event), fn);
        break;
      }
      case 'off': {
        const l = byLabel.get(op.label);
        if (l) e.off(key(op.event), l.fn);
        break;
      }
      case 'emit': {
        if (depth >= MAX_DEPTH || log.length >= MAX_LOG) break;
        const p = op.payload ?? payload + 1;
        log.push(`emit ${op.event} ${p} -> ${e.emit(key(op.event), p)}`);
        break;
      }
      case 'emitError': {
        if (depth >= MAX_DEPTH || log.length >= MAX_LOG) break;
        const p = op.payload ?? payload + 1;
        try {
          e.emit('error', p);
          log.push(`emitError ${p} -> handled`);
        } catch (err) {
          // Anything else is Node failing inside (see run()).
          if (err.code !== 'ERR_UNHANDLED_ERROR') throw err;
          log.push(`emitError ${p} -> ${err.code}`);
        }
        break;
      }
      case 'removeAll':
        if (op.event === null || op.event === undefined) e.removeAllListeners();
        else e.removeAllListeners(key(op.event));
        break;
      case 'setMax': {
        const n = typeof op.n === 'string' ? Number(op.n) : op.n;
        try {
          e.setMaxListeners(n);
          // rt's get_max_listeners() is a usize: a fractional limit reads
          // rounded down (it compares with whole counts the same way).
          log.push(`setMax ${op.n} -> ${Math.floor(e.getMaxListeners())}`);
        } catch (err) {
          log.push(`setMax ${op.n} -> ${err.code}: ${err.message}`);
        }
        break;
      }
      case 'count':
        log.push(`count ${op.event} ${e.listenerCount(key(op.event))}`);
        break;
      case 'countOf': {
        // listenerCount(name, listener): the label's function.
        const l = byLabel.get(op.label);
        const n = l ? e.listenerCount(key(op.event), l.fn) : '-';
        log.push(`countOf ${op.event} ${op.label} ${n}`);
        break;
      }
      case 'names':
        log.push(`names ${e.eventNames().map(String).join(',')}`);
        break;
      case 'raw':
        log.push(
          `raw ${op.event} ` +
            e
              .rawListeners(key(op.event))
              .map((f) => label(f) + (f.listener ? '*' : ''))
              .join(','),
        );
        break;
      default:
        throw new Error('unknown op ' + op.op);
    }
  }

  try {
    for (const op of scenario.ops) exec(op, 0);
  } catch (err) {
    // Node itself fails on a few generated corner cases (removeAllListeners
    // re-entered from a 'removeListener' listener reads a list that shrank
    // under it and throws ERR_INVALID_ARG_TYPE). Such scenarios are reported,
    // not compared.
    return { threw: `${err.code || err.name}: ${err.message}`, log };
  }
  exec({ op: 'names' }, 0);
  for (const ev of ['a', 'b', 'c', 'newListener', 'removeListener', 'error', 'errorMonitor']) {
    exec({ op: 'raw', event: ev }, 0);
  }
  return { log };
}

let input = '';
process.stdin.on('data', (d) => (input += d));
process.stdin.on('end', () => {
  const scenarios = JSON.parse(input);
  process.stdout.write(JSON.stringify(scenarios.map(run)));
});
