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
use std::cell::{Cell, RefCell};
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

/// What a slot's snapshot is for: emitter id, emitter version, event name
/// (pointer and length).
#[derive(Clone, Copy, PartialEq, Eq)]
struct Key(u64, u64, usize, usize);

const NO_KEY: Key = Key(0, 0, 0, 0);

impl Key {
    #[inline(always)]
    fn of(emitter: u64, version: u64, name: &'static str) -> Key {
        Key(emitter, version, name.as_ptr() as usize, name.len())
    }
}

struct Slot {
    key: Cell<Key>,
    /// Borrowed (shared) while emits call its listeners; replaced only when
    /// no emit on this thread is using it.
    snap: RefCell<Option<AnySnapshot>>,
    /// The emitter's version cell, for sweeps.
    cell: Cell<Option<VersionCell>>,
}

impl Slot {
    const fn empty() -> Slot {
        Slot {
            key: Cell::new(NO_KEY),
            snap: RefCell::new(None),
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

#[inline(always)]
fn index(emitter: u64, name: &str) -> usize {
    let h = (name.as_ptr() as u64 ^ (emitter << 5)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    (h >> 61) as usize % SLOTS
}

/// Drops this thread's slots whose emitter changed or died. A slot that an
/// emit on this thread is still using is left for the next sweep.
#[cold]
#[inline(never)]
fn sweep(c: &Cache) {
    let releases = RELEASES.load(Ordering::Acquire);
    let mut done = true;
    for s in &c.slots {
        let Some(cell) = s.cell.take() else { continue };
        if cell.load(Ordering::Acquire) == s.key.get().1 {
            s.cell.set(Some(cell));
            continue;
        }
        let Ok(mut snap) = s.snap.try_borrow_mut() else {
            s.cell.set(Some(cell));
            done = false;
            continue;
        };
        let snap = snap.take();
        s.key.set(NO_KEY);
        // Dropping may run listener destructors, which may emit: the slot
        // is already consistent.
        drop(snap);
        drop(cell);
    }
    if done {
        c.seen.set(releases);
    }
}

/// Called after listeners were removed or an emitter dropped (its version
/// cell already changed): sweeps this thread's cache now, and tells the
/// other threads to sweep theirs at their next emit.
pub(crate) fn released() {
    RELEASES.fetch_add(1, Ordering::Release);
    let _ = CACHE.try_with(sweep);
}

/// The hot path: if this thread cached a snapshot for exactly this key, runs
/// `emit` on it and returns `Some` of what `emit` returned (`emit` returns
/// `None` when the snapshot is not for its payload type). `None`: a miss.
///
/// The slot stays borrowed while `emit` runs: a re-entrant emit of the same
/// key shares it, and nothing replaces it until the outermost emit is done.
#[inline(always)]
pub(crate) fn hit<R>(
    emitter: u64,
    version: u64,
    name: &'static str,
    emit: impl FnOnce(&AnySnapshot) -> Option<R>,
) -> Option<R> {
    let key = Key::of(emitter, version, name);
    let i = index(emitter, name);
    CACHE
        .try_with(move |c| {
            if RELEASES.load(Ordering::Acquire) != c.seen.get() {
                sweep(c);
            }
            let s = &c.slots[i];
            if s.key.get() != key {
                return None;
            }
            let snap = s.snap.try_borrow().ok()?;
            emit(snap.as_ref()?)
        })
        .ok()
        .flatten()
}

/// Caches `snap` as this thread's snapshot for the key (after a miss),
/// unless an emit on this thread is using the slot.
#[cold]
#[inline(never)]
pub(crate) fn store(emitter: u64, cell: &VersionCell, version: u64, name: &'static str, snap: AnySnapshot) {
    let _ = CACHE.try_with(|c| {
        let s = &c.slots[index(emitter, name)];
        let Ok(mut slot) = s.snap.try_borrow_mut() else {
            return;
        };
        let old = slot.replace(snap);
        // A slot's key names an emitter (ids start at 1) only while it holds
        // that emitter's cell.
        let old_cell = if s.key.get().0 == emitter {
            None
        } else {
            s.cell.replace(Some(cell.clone()))
        };
        s.key.set(Key::of(emitter, version, name));
        drop(slot);
        // What is replaced is dropped after the slot is consistent (dropping
        // may run listener destructors, which may emit).
        drop(old);
        drop(old_cell);
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn probe(emitter: u64, version: u64, name: &'static str) -> Option<AnySnapshot> {
        hit(emitter, version, name, |snap| Some(snap.clone()))
    }

    #[test]
    fn hit_miss_and_take_out() {
        let snap: AnySnapshot = Arc::new(5u32);
        let cell: VersionCell = Arc::new(AtomicU64::new(1));
        store(7, &cell, 1, "a", snap.clone());
        assert!(probe(7, 2, "a").is_none(), "another version misses");
        assert!(probe(8, 1, "a").is_none(), "another emitter misses");
        let got = probe(7, 1, "a").unwrap();
        assert!(Arc::ptr_eq(&got, &snap));
        drop(got);
        // While an emit holds it, a nested emit of the same key shares it.
        let nested = hit(7, 1, "a", |_| probe(7, 1, "a").map(|s| Arc::ptr_eq(&s, &snap)));
        assert_eq!(nested, Some(true));
        // An emit that refuses the snapshot (other payload type) is a miss
        // that leaves it cached.
        assert_eq!(hit(7, 1, "a", |_| None::<()>), None);
        assert!(probe(7, 1, "a").is_some());
        // A re-entrant emit cannot replace a slot in use.
        let other: AnySnapshot = Arc::new(6u32);
        hit(7, 1, "a", |_| {
            store(7, &cell, 1, "a", other.clone());
            Some(())
        });
        assert!(Arc::ptr_eq(&probe(7, 1, "a").unwrap(), &snap));
        // Nor can a sweep: it leaves the slot for the next one.
        cell.store(2, Ordering::Release);
        hit(7, 1, "a", |_| {
            released();
            Some(())
        });
        assert_eq!(Arc::strong_count(&snap), 2, "still cached");
        assert!(probe(7, 1, "a").is_none(), "the next emit sweeps it");
        assert_eq!(Arc::strong_count(&snap), 1);
        assert_eq!(Arc::strong_count(&other), 1);
    }
}
