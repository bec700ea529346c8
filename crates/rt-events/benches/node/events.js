// Node twin of crates/rt-events/benches/events.rs: same figures, same listener work.
'use strict';
const b = require('../../../../tests/node/bench.js');
const { EventEmitter } = require('events');

let acc = 0;
// What every listener does: add the payload to a global.
function work(v) {
  acc = (acc + v) | 0;
}

{
  const e = new EventEmitter();
  e.on('tick', work);
  b.perOp('emit, 1 listener', (n) => {
    for (let i = 0; i < n; i++) b.sink(e.emit('tick', i) ? 1 : 0);
  });
}
{
  const e = new EventEmitter();
  for (let i = 0; i < 10; i++) e.on('tick', work);
  b.perOp('emit, 10 listeners', (n) => {
    for (let i = 0; i < n; i++) b.sink(e.emit('tick', i) ? 1 : 0);
  });
}
{
  const e = new EventEmitter();
  e.on('tick', work);
  b.perOp('emit, 0 listeners', (n) => {
    for (let i = 0; i < n; i++) b.sink(e.emit('nobody', i) ? 1 : 0);
  });
}
{
  const e = new EventEmitter();
  b.perOp('once + emit', (n) => {
    for (let i = 0; i < n; i++) {
      e.once('tick', work);
      b.sink(e.emit('tick', i) ? 1 : 0);
    }
  });
}
{
  const e = new EventEmitter();
  b.perOp('on + off pair', (n) => {
    for (let i = 0; i < n; i++) {
      const f = () => {};
      e.on('tick', f);
      e.off('tick', f);
    }
  });
}
b.sink(acc);
