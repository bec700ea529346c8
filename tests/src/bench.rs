//! Timing loops and the line format `cargo xtask bench` reads.
//!
//! A benchmark is a plain program (`harness = false`) that prints one line per
//! figure:
//!
//! ```text
//! BENCH {"figure":"emit, 1 listener","unit":"ns/op","better":"lower","value":7.9}
//! ```
//!
//! Its Node twin prints the same lines through `tests/node/bench.js`. A line may
//! carry `"who":"tokio"` (or `"cp"`...) for a reference measured by the Rust
//! side; the xtask shows it as an extra column. Everything else a benchmark
//! prints is passed through untouched.
//!
//! For servers under load (the http, cluster and web suites): [`server`]
//! starts a server in a process of its own and reads its port, [`wrk`] runs
//! the load generator and reads its report, [`procstat`] reads a process's
//! CPU time and memory from `/proc`, so that the figure is the server's CPU
//! per request (on a small box the load generator shares the CPU).

pub mod procstat;
pub mod server;
pub mod wrk;

use std::time::{Duration, Instant};

/// Which direction of a figure is better.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Better {
    /// Larger numbers are better (throughput: GB/s, ops/s).
    Higher,
    /// Smaller numbers are better (latency: ns/op, bytes per connection).
    Lower,
}

impl Better {
    fn as_str(self) -> &'static str {
        match self {
            Better::Higher => "higher",
            Better::Lower => "lower",
        }
    }
}

/// Prints one figure measured by rt.
pub fn report(figure: &str, unit: &str, better: Better, value: f64) {
    report_as("rt", figure, unit, better, value);
}

/// Prints one figure measured for `who` (`"rt"`, or a reference such as `"tokio"`).
pub fn report_as(who: &str, figure: &str, unit: &str, better: Better, value: f64) {
    println!(
        "BENCH {{\"who\":{},\"figure\":{},\"unit\":{},\"better\":\"{}\",\"value\":{}}}",
        json_str(who),
        json_str(figure),
        json_str(unit),
        better.as_str(),
        if value.is_finite() { value } else { 0.0 }
    );
}

fn json_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// How long one measurement should run: `RT_BENCH_MS` milliseconds (default 300).
pub fn target_time() -> Duration {
    let ms = std::env::var("RT_BENCH_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300u64);
    Duration::from_millis(ms)
}

/// Measures `f`, which must run the operation `n` times, and returns
/// nanoseconds per operation. Calibrates `n` so one run takes about
/// [`target_time`], then keeps the best of three runs.
pub fn ns_per_iter(mut f: impl FnMut(u64)) -> f64 {
    let mut n = 1u64;
    let calibrate = target_time() / 10;
    loop {
        let start = Instant::now();
        f(n);
        let took = start.elapsed();
        if took >= calibrate || n >= 1 << 40 {
            let per = took.as_secs_f64() / n as f64;
            n = ((target_time().as_secs_f64() / 3.0 / per.max(1e-12)) as u64).max(1);
            break;
        }
        n *= if took.as_nanos() == 0 { 16 } else { 2 };
    }
    let mut best = f64::INFINITY;
    for _ in 0..3 {
        let start = Instant::now();
        f(n);
        best = best.min(start.elapsed().as_secs_f64() * 1e9 / n as f64);
    }
    best
}

/// Measures and reports `figure` in ns/op.
pub fn per_op(figure: &str, f: impl FnMut(u64)) -> f64 {
    let ns = ns_per_iter(f);
    report(figure, "ns/op", Better::Lower, ns);
    ns
}

/// Measures and reports `figure` in GB/s, where one operation moves `bytes` bytes.
pub fn throughput(figure: &str, bytes: usize, f: impl FnMut(u64)) -> f64 {
    let ns = ns_per_iter(f);
    let gbps = bytes as f64 / ns;
    report(figure, "GB/s", Better::Higher, gbps);
    gbps
}

/// Times one run of `f` (for benchmarks that move a fixed amount once).
pub fn time_once<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let start = Instant::now();
    let out = f();
    (out, start.elapsed())
}
