//! The per-thread emit cache: the hot path of `emit`.
//!
//! Every change to an emitter's listeners bumps its version. An emit looks
//! up `(emitter id, version, event name)` here; on a hit it borrows the
//! snapshot it stored last time (moving it out of the slot, so a re-entrant
//! emit simply misses), calls the listeners, and moves it back. A hit costs
//! no lock and no atomic read-modify-write, which is what lets a one-listener
//! emit match V8's inlined `emit`. A miss (first emit, or any change since)
//! takes the emitter's lock and refills the slot.
//!
//! Releasing: a snapshot in a cache slot keeps its listeners' closures
//! alive. So that a removed listener (or a dropped emitter's listeners) is
//! not kept alive by a cache, the removal of a listener that went into a
//! snapshot, and every emitter drop, bump a process-wide release counter and
//! sweep the calling thread's cache at once;
//! other threads sweep theirs at their next emit (a sweep drops the slots
//! whose emitter has changed since). A thread that never emits again keeps
//! its stale slots until it exits.

use std::any::Any;
use std::cell::Cell;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// A `Snapshot<T>` of some `T`.
pub(crate) type AnySnapshot = Arc<dyn Any + Send + Sync>;

/// An emitter's version counter, shared with the cache slots that hold its
/// snapshots (so a sweep can tell a stale slot without reaching the emitter).
pub(crate) type VersionCell = Arc<AtomicU64>;

/// The version a dropped emitter's cell holds (no live emitter reaches it).
pub(crate) const DEAD: u64 = u64::MAX;

/// Bumped on every listener removal and every emitter drop.
static RELEASES: AtomicU64 = AtomicU64::new(0);

const SLOTS: usize = 8;

struct Slot {
    emitter: Cell<u64>,
    version: Cell<u64>,
    name: Cell<(usize, usize)>,
    snap: Cell<Option<AnySnapshot>>,
    cell: Cell<Option<VersionCell>>,
}

impl Slot {
    const fn empty() -> Slot {
        Slot {
            emitter: Cell::new(0),
            version: Cell::new(0),
            name: Cell::new((0, 0)),
            snap: Cell::new(None),
            cell: Cell::new(None),
        }
    }
}

struct Cache {
    /// The value of [`RELEASES`] at this thread's last sweep.
    seen: Cell<u64>,
    slots: [Slot; SLOTS],
}

thread_local! {
    static CACHE: Cache = const {
        Cache {
            seen: Cell::new(0),
            slots: [const { Slot::empty() }; SLOTS],
        }
    };
}

#[inline]
fn index(emitter: u64, name: &str) -> usize {
    let h = (name.as_ptr() as u64 ^ (emitter << 5)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    (h >> 61) as usize % SLOTS
}

#[inline]
fn key(name: &'static str) -> (usize, usize) {
    (name.as_ptr() as usize, name.len())
}

/// Drops this thread's slots whose emitter changed or died.
#[cold]
fn sweep(c: &Cache) {
    for s in &c.slots {
        let Some(cell) = s.cell.take() else { continue };
        if cell.load(Ordering::Acquire) == s.version.get() {
            s.cell.set(Some(cell));
        } else {
            s.emitter.set(0);
            let snap = s.snap.take();
            // Dropping may run listener destructors, which may emit: the
            // slot is already consistent.
            drop(snap);
            drop(cell);
        }
    }
}

/// Called after listeners were removed or an emitter dropped (its version
/// cell already changed): sweeps this thread's cache now, and tells the
/// other threads to sweep theirs at their next emit.
pub(crate) fn released() {
    RELEASES.fetch_add(1, Ordering::Release);
    let _ = CACHE.try_with(|c| {
        c.seen.set(RELEASES.load(Ordering::Acquire));
        sweep(c);
    });
}

/// Runs `emit` with the snapshot cached for this exact key, moved out of its
/// slot (so a re-entrant emit of the same key misses rather than aliasing),
/// or `None`. `emit` returns its result and the snapshot to store back, with
/// the version it belongs to.
#[inline(always)]
pub(crate) fn with<R>(
    emitter: u64,
    cell: &VersionCell,
    version: u64,
    name: &'static str,
    mut emit: impl FnMut(Option<AnySnapshot>) -> (R, Option<(AnySnapshot, u64)>),
) -> R {
    let emit = &mut emit;
    let done = CACHE.try_with(|c| {
        let releases = RELEASES.load(Ordering::Acquire);
        if releases != c.seen.get() {
            c.seen.set(releases);
            sweep(c);
        }
        let s = &c.slots[index(emitter, name)];
        let hit = if s.emitter.get() == emitter && s.version.get() == version && s.name.get() == key(name) {
            s.snap.take()
        } else {
            None
        };
        let (r, back) = emit(hit);
        if let Some((snap, v)) = back {
            // A re-entrant emit may have refilled the slot meanwhile: ours
            // replaces it. What is replaced is dropped after the slot is
            // consistent (dropping may run listener destructors, which may emit).
            let old_cell = if s.emitter.get() == emitter {
                None
            } else {
                s.cell.replace(Some(cell.clone()))
            };
            s.emitter.set(emitter);
            s.version.set(v);
            s.name.set(key(name));
            let old = s.snap.replace(Some(snap));
            drop(old);
            drop(old_cell);
        }
        r
    });
    match done {
        Ok(r) => r,
        // The thread is exiting and its cache is gone: no caching.
        Err(_) => emit(None).0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn probe(emitter: u64, version: u64, name: &'static str) -> Option<AnySnapshot> {
        let cell: VersionCell = Arc::new(AtomicU64::new(version));
        with(emitter, &cell, version, name, |hit| {
            let back = hit.clone().map(|s| (s, version));
            (hit, back)
        })
    }

    #[test]
    fn hit_miss_and_take_out() {
        let snap: AnySnapshot = Arc::new(5u32);
        let cell: VersionCell = Arc::new(AtomicU64::new(1));
        with(7, &cell, 1, "a", |_| ((), Some((snap.clone(), 1))));
        assert!(probe(7, 2, "a").is_none(), "another version misses");
        assert!(probe(8, 1, "a").is_none(), "another emitter misses");
        let got = probe(7, 1, "a").unwrap();
        assert!(Arc::ptr_eq(&got, &snap));
        drop(got);
        // While an emit holds it, a nested emit of the same key misses.
        with(7, &cell, 1, "a", |hit| {
            assert!(hit.is_some());
            assert!(probe(7, 1, "a").is_none());
            ((), hit.map(|s| (s, 1)))
        });
        assert!(probe(7, 1, "a").is_some());
        // A sweep drops slots whose emitter moved on.
        cell.store(2, Ordering::Release);
        released();
        assert!(probe(7, 1, "a").is_none());
        assert_eq!(Arc::strong_count(&snap), 1);
    }
}
