//! Counters that tests and profiling read to prove what the hot paths cost:
//! tokio tasks spawned by rt (always counted: spawning is rare and costs far
//! more than one relaxed add) and stream mutex acquisitions (counted only
//! with the `counters` cargo feature, so normal builds pay nothing).
//! Not part of the API: exported (hidden) as `rt_stream::counters`, together
//! with the tick queue's `idle_drainers`; this file imports nothing of the
//! crate, so every hot path can count without joining an import circle.

use std::sync::atomic::{AtomicU64, Ordering};

static SPAWNS: AtomicU64 = AtomicU64::new(0);
static DRAINERS: AtomicU64 = AtomicU64::new(0);

#[cfg(feature = "counters")]
static LOCKS: AtomicU64 = AtomicU64::new(0);

/// Records one tokio task spawned by an rt crate.
#[inline]
pub fn count_spawn() {
    SPAWNS.fetch_add(1, Ordering::Relaxed);
}

/// Tokio tasks spawned by rt crates so far, process-wide (tick drainers,
/// socket readers and writers...).
pub fn spawns() -> u64 {
    SPAWNS.load(Ordering::Relaxed)
}

/// Tick-queue drainer tasks alive now, process-wide: they live as long as
/// their runtime (parked when idle), so a test that counts a runtime's alive
/// tasks subtracts them.
pub fn live_drainers() -> u64 {
    DRAINERS.load(Ordering::Relaxed)
}

pub(crate) fn drainer_started() {
    DRAINERS.fetch_add(1, Ordering::Relaxed);
}

pub(crate) fn drainer_ended() {
    DRAINERS.fetch_sub(1, Ordering::Relaxed);
}

/// Records one stream mutex acquisition (a no-op without the `counters` feature).
#[inline(always)]
pub fn count_lock() {
    #[cfg(feature = "counters")]
    LOCKS.fetch_add(1, Ordering::Relaxed);
}

/// Stream mutex acquisitions so far, process-wide; `None` without the
/// `counters` feature.
pub fn locks() -> Option<u64> {
    #[cfg(feature = "counters")]
    return Some(LOCKS.load(Ordering::Relaxed));
    #[cfg(not(feature = "counters"))]
    None
}

#[cfg(any(feature = "counters", feature = "model"))]
static FAST_WRITES: AtomicU64 = AtomicU64::new(0);

/// Records one `write()` completed through the write gate without the
/// state lock (a no-op without the `counters` or `model` feature).
#[inline(always)]
pub fn count_fast_write() {
    #[cfg(any(feature = "counters", feature = "model"))]
    FAST_WRITES.fetch_add(1, Ordering::Relaxed);
}

/// `write()`s completed through the write gate so far, process-wide;
/// `None` without the `counters` or `model` feature.
pub fn fast_writes() -> Option<u64> {
    #[cfg(any(feature = "counters", feature = "model"))]
    return Some(FAST_WRITES.load(Ordering::Relaxed));
    #[cfg(not(any(feature = "counters", feature = "model")))]
    None
}
