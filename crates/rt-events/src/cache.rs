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
//! Consequence: a removed listener's closure is dropped when the last
//! snapshot holding it goes, which may be a slot of this cache (it is
//! replaced by the thread's next emits that land in the same slot, or
//! dropped when the thread exits), not at `off`.

use std::any::Any;
use std::cell::Cell;
use std::sync::Arc;

/// A `Snapshot<T>` of some `T`.
pub(crate) type AnySnapshot = Arc<dyn Any + Send + Sync>;

const SLOTS: usize = 8;

struct Slot {
    emitter: Cell<u64>,
    version: Cell<u64>,
    name: Cell<(usize, usize)>,
    snap: Cell<Option<AnySnapshot>>,
}

impl Slot {
    const EMPTY: Slot = Slot {
        emitter: Cell::new(0),
        version: Cell::new(0),
        name: Cell::new((0, 0)),
        snap: Cell::new(None),
    };
}

thread_local! {
    static CACHE: [Slot; SLOTS] = const { [Slot::EMPTY; SLOTS] };
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

/// Runs `emit` with the snapshot cached for this exact key, moved out of its
/// slot (so a re-entrant emit of the same key misses rather than aliasing),
/// or `None`. `emit` returns its result and the snapshot to store back, with
/// the version it belongs to.
#[inline(always)]
pub(crate) fn with<R>(
    emitter: u64,
    version: u64,
    name: &'static str,
    mut emit: impl FnMut(Option<AnySnapshot>) -> (R, Option<(AnySnapshot, u64)>),
) -> R {
    let emit = &mut emit;
    let done = CACHE.try_with(|c| {
        let s = &c[index(emitter, name)];
        let hit = if s.emitter.get() == emitter
            && s.version.get() == version
            && s.name.get() == key(name)
        {
            s.snap.take()
        } else {
            None
        };
        let (r, back) = emit(hit);
        if let Some((snap, v)) = back {
            // A re-entrant emit may have refilled the slot meanwhile: ours
            // replaces it. What is replaced is dropped after the slot is
            // updated (dropping may run listener destructors, which may emit).
            s.emitter.set(emitter);
            s.version.set(v);
            s.name.set(key(name));
            let old = s.snap.replace(Some(snap));
            drop(old);
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
        with(emitter, version, name, |hit| {
            let back = hit.clone().map(|s| (s, version));
            (hit, back)
        })
    }

    #[test]
    fn hit_miss_and_take_out() {
        let snap: AnySnapshot = Arc::new(5u32);
        with(7, 1, "a", |_| ((), Some((snap.clone(), 1))));
        assert!(probe(7, 2, "a").is_none(), "another version misses");
        assert!(probe(8, 1, "a").is_none(), "another emitter misses");
        let got = probe(7, 1, "a").unwrap();
        assert!(Arc::ptr_eq(&got, &snap));
        // While an emit holds it, a nested emit of the same key misses.
        with(7, 1, "a", |hit| {
            assert!(hit.is_some());
            assert!(probe(7, 1, "a").is_none());
            ((), hit.map(|s| (s, 1)))
        });
        assert!(probe(7, 1, "a").is_some());
    }
}
