//! `cargo xtask bench events`: rt-events against Node's EventEmitter.
//! Twin: `benches/node/events.js` (same figures, same listener work).

use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};

use rt_events::{Event, EventEmitter};
use rt_tests::bench::per_op;

static TICK: Event<u64> = Event::new("tick");
static NOBODY: Event<u64> = Event::new("nobody");

/// What every listener does: add the payload to a global (Node: `acc += v`).
static ACC: AtomicU64 = AtomicU64::new(0);

fn work(v: &u64) {
    ACC.store(ACC.load(Ordering::Relaxed).wrapping_add(*v), Ordering::Relaxed);
}

fn main() {
    let e = EventEmitter::new();
    e.on(&TICK, work);
    per_op("emit, 1 listener", |n| {
        for i in 0..n {
            black_box(e.emit(&TICK, black_box(i)));
        }
    });

    let e = EventEmitter::new();
    for _ in 0..10 {
        e.on(&TICK, work);
    }
    per_op("emit, 10 listeners", |n| {
        for i in 0..n {
            black_box(e.emit(&TICK, black_box(i)));
        }
    });

    let e = EventEmitter::new();
    e.on(&TICK, work);
    per_op("emit, 0 listeners", |n| {
        for i in 0..n {
            black_box(e.emit(&NOBODY, black_box(i)));
        }
    });

    let e = EventEmitter::new();
    per_op("once + emit", |n| {
        for i in 0..n {
            e.once(&TICK, work);
            black_box(e.emit(&TICK, black_box(i)));
        }
    });

    let e = EventEmitter::new();
    per_op("on + off pair", |n| {
        for _ in 0..n {
            let id = e.on(&TICK, work);
            black_box(e.off(&TICK, id));
        }
    });

    black_box(ACC.load(Ordering::Relaxed));
}
