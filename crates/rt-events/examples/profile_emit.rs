//! A fixed-count loop of one bench figure, for instruction-count profiles:
//!
//! ```sh
//! cargo build --release -p rt-events --example profile_emit
//! valgrind --tool=callgrind target/release/examples/profile_emit emit1 100000
//! ```
//!
//! Run it with two counts and divide the difference in instructions by the
//! difference in counts to get instructions per operation without the setup.
//! Figures: `emit1`, `emit10`, `emit0`, `once`, `onoff` (as in `benches/events.rs`).

use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};

use rt_events::{Event, EventEmitter};

static TICK: Event<u64> = Event::new("tick");
static NOBODY: Event<u64> = Event::new("nobody");
static ACC: AtomicU64 = AtomicU64::new(0);

fn work(v: &u64) {
    ACC.store(ACC.load(Ordering::Relaxed).wrapping_add(*v), Ordering::Relaxed);
}

fn main() {
    let mut args = std::env::args().skip(1);
    let figure = args.next().unwrap_or_else(|| "emit1".to_string());
    let n: u64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(100_000);
    let e = EventEmitter::new();
    match figure.as_str() {
        "emit1" | "emit0" => {
            e.on(&TICK, work);
        }
        "emit10" => {
            for _ in 0..10 {
                e.on(&TICK, work);
            }
        }
        _ => {}
    }
    match figure.as_str() {
        "emit1" | "emit10" => {
            for i in 0..n {
                black_box(e.emit(&TICK, black_box(i)));
            }
        }
        "emit0" => {
            for i in 0..n {
                black_box(e.emit(&NOBODY, black_box(i)));
            }
        }
        "once" => {
            for i in 0..n {
                e.once(&TICK, work);
                black_box(e.emit(&TICK, black_box(i)));
            }
        }
        "onoff" => {
            for _ in 0..n {
                let id = e.on(&TICK, work);
                black_box(e.off(&TICK, id));
            }
        }
        other => {
            eprintln!("unknown figure {other:?}: emit1, emit10, emit0, once, onoff");
            std::process::exit(2);
        }
    }
    black_box(ACC.load(Ordering::Relaxed));
}
