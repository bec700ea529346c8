//! An emitter's state behind its lock: one [`Slot`] per event name with
//! its listener list and last snapshot, the name mask bookkeeping, and the
//! [`Garbage`] a change drops only after the lock is released.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use super::js_array::{JsArray, JsTable};
use crate::cache::{self, AnySnapshot};
use crate::listener::{Erased, Listener, ListenerId, NEW_LISTENER, REMOVE_LISTENER};
use crate::warning::WarningHook;

#[derive(Default)]
pub(super) struct Inner {
    /// One slot per event name that has (or recently had) listeners.
    pub(super) slots: Vec<Slot>,
    pub(super) next_seq: u64,
    /// Stamps for [`Slot::order`].
    pub(super) next_order: u64,
    pub(super) max: Option<f64>,
    pub(super) hook: Option<WarningHook>,
    pub(super) has_new_listener: bool,
    pub(super) has_remove_listener: bool,
    /// How many live names have each bit of the name mask.
    pub(super) bit_counts: BitCounts,
    /// How many slots have an empty list.
    pub(super) empty: usize,
    /// Node's listener table object, as `emit('error')` can see it.
    pub(super) js: JsTable,
}

pub(super) struct BitCounts(pub(super) [u32; 64]);

impl Default for BitCounts {
    fn default() -> Self {
        BitCounts([0; 64])
    }
}

pub(super) struct Slot {
    pub(super) name: &'static str,
    /// The name's bit in the emitter's name mask (`Event::bit`).
    pub(super) bit: u64,
    pub(super) list: Vec<Listener>,
    /// The `Snapshot<T>` last built for this list (for the `T` last emitted).
    pub(super) snapshot: Option<AnySnapshot>,
    /// Node's `existing.warned`: the warning was given for this list.
    pub(super) warned: bool,
    /// When the list last went from empty to non-empty: JavaScript lists an
    /// object's keys in insertion order, and Node deletes a key whose last
    /// listener goes.
    pub(super) order: u64,
    /// The JavaScript array Node would hold the list in.
    pub(super) js: JsArray,
}

impl Slot {
    /// Records that the current array stops being the list's (`before` was
    /// the length before the change), for `removeAllListeners` walks.
    #[inline(always)]
    pub(super) fn detach(&mut self, before: usize, content: impl FnOnce(&Slot) -> Vec<ListenerId>) {
        if self.js.walkers > 0 {
            let ids = content(self);
            self.js.detach(before, self.list.len(), || ids);
        }
    }

    pub(super) fn ids(&self) -> Vec<ListenerId> {
        self.list.iter().map(|l| l.info().id).collect()
    }
}

impl Inner {
    /// Node replaces its listener table ([`JsTable::replace`]); `error`
    /// gives the `'error'` listeners the old table still holds.
    pub(super) fn replace_table(&mut self, error: impl FnOnce(&mut Inner) -> Vec<Arc<dyn Erased>>) {
        if self.js.error_watchers > 0 {
            let held = error(self);
            self.js.replace(|| held);
        } else {
            self.js.replace(Vec::new);
        }
    }

    pub(super) fn error_list(&mut self) -> Vec<Arc<dyn Erased>> {
        match self.find("error") {
            Some(i) => self.slots[i].list.iter_mut().map(Listener::shared).collect(),
            None => Vec::new(),
        }
    }

    /// The list of slot `i` just went to two listeners: Node made an array.
    pub(super) fn new_array(&mut self, i: usize) {
        self.slots[i].js.array = self.js.new_array();
    }
}

/// The name bits of `'newListener'` and `'removeListener'`.
const META_BITS: u64 = NEW_LISTENER.bit() | REMOVE_LISTENER.bit();

/// How many slots with empty lists are kept (so their buffers are reused).
pub(super) const KEEP_EMPTY: usize = 16;

impl Inner {
    pub(super) fn find(&self, name: &str) -> Option<usize> {
        self.slots
            .iter()
            .position(|s| std::ptr::eq(s.name, name) || s.name == name)
    }

    pub(super) fn find_live(&self, name: &str) -> Option<usize> {
        self.find(name).filter(|&i| !self.slots[i].list.is_empty())
    }

    pub(super) fn has(&self, name: &str) -> bool {
        self.find_live(name).is_some()
    }

    /// How many names have listeners.
    pub(super) fn live(&self) -> usize {
        self.slots.len() - self.empty
    }

    /// Bookkeeping after `name`'s list went from empty to non-empty.
    #[inline(always)]
    pub(super) fn name_added(&mut self, names: &AtomicU64, i: usize, was_new_slot: bool) {
        if !was_new_slot {
            self.empty -= 1;
        }
        let (name, bit) = (self.slots[i].name, self.slots[i].bit);
        self.bit_counts.0[bit.trailing_zeros() as usize] += 1;
        // Only lock holders write the mask: no read-modify-write needed.
        let mask = names.load(Ordering::Relaxed);
        names.store(mask | bit, Ordering::Release);
        // The meta events' bits first: most names are neither.
        if bit & META_BITS != 0 {
            if name == NEW_LISTENER.name() {
                self.has_new_listener = true;
            } else if name == REMOVE_LISTENER.name() {
                self.has_remove_listener = true;
            }
        }
    }

    /// Bookkeeping after `name`'s list became empty; drops surplus empty
    /// slots into `garbage`.
    #[inline(always)]
    pub(super) fn name_removed(&mut self, names: &AtomicU64, i: usize, garbage: &mut Garbage) {
        if self.name_emptied(names, i) {
            self.purge_empty(garbage);
        }
    }

    /// Bookkeeping after `name`'s list became empty; returns whether
    /// surplus empty slots are to go ([`purge_empty`](Self::purge_empty)).
    #[inline(always)]
    pub(super) fn name_emptied(&mut self, names: &AtomicU64, i: usize) -> bool {
        self.empty += 1;
        let (name, bit) = (self.slots[i].name, self.slots[i].bit);
        let count = &mut self.bit_counts.0[bit.trailing_zeros() as usize];
        *count -= 1;
        if *count == 0 {
            let mask = names.load(Ordering::Relaxed);
            names.store(mask & !bit, Ordering::Release);
        }
        if bit & META_BITS != 0 {
            if name == NEW_LISTENER.name() {
                self.has_new_listener = false;
            } else if name == REMOVE_LISTENER.name() {
                self.has_remove_listener = false;
            }
        }
        self.empty > KEEP_EMPTY
    }

    #[cold]
    pub(super) fn purge_empty(&mut self, garbage: &mut Garbage) {
        let mut i = 0;
        while i < self.slots.len() {
            // A slot being walked keeps its bookkeeping.
            if self.slots[i].list.is_empty() && self.slots[i].js.walkers == 0 {
                let slot = self.slots.swap_remove(i);
                garbage.snapshot(slot.snapshot);
            } else {
                i += 1;
            }
        }
        self.empty = self.slots.iter().filter(|s| s.list.is_empty()).count();
    }

    /// Recomputes everything that depends on which names have listeners
    /// (after removing many at once).
    pub(super) fn names_changed(&mut self, names: &AtomicU64, garbage: &mut Garbage) {
        self.purge_empty(garbage);
        self.bit_counts = BitCounts::default();
        let mut mask = 0;
        for s in self.slots.iter().filter(|s| !s.list.is_empty()) {
            let bit = s.bit;
            mask |= bit;
            self.bit_counts.0[bit.trailing_zeros() as usize] += 1;
        }
        names.store(mask, Ordering::Release);
        self.has_new_listener = self.has(NEW_LISTENER.name());
        self.has_remove_listener = self.has(REMOVE_LISTENER.name());
    }
}

/// What a change takes out of the emitter, dropped only after the lock is
/// released (dropping a listener may run arbitrary code, including calls on
/// this emitter).
#[derive(Default)]
pub(super) struct Garbage {
    // The common case (one snapshot) without allocating.
    pub(super) snapshot: Option<AnySnapshot>,
    pub(super) listeners: Vec<Listener>,
    pub(super) snapshots: Vec<AnySnapshot>,
}

impl Garbage {
    /// Drops the garbage (call without the lock), and sweeps the emit caches
    /// if one of the removed listeners may be held by one.
    #[inline]
    pub(super) fn release(self) {
        if self.snapshot.is_none() && self.listeners.capacity() == 0 && self.snapshots.capacity() == 0 {
            // Nothing to drop (no allocation either).
            std::mem::forget(self);
            return;
        }
        self.release_slow();
    }

    #[inline(never)]
    pub(super) fn release_slow(self) {
        let sweep = self.listeners.iter().any(Listener::in_snapshot);
        drop(self);
        if sweep {
            cache::released();
        }
    }

    pub(super) fn snapshot(&mut self, s: Option<AnySnapshot>) {
        let Some(s) = s else { return };
        match self.snapshot {
            None => self.snapshot = Some(s),
            Some(_) => self.snapshots.push(s),
        }
    }

    pub(super) fn list(&mut self, list: &mut Vec<Listener>) {
        if self.listeners.is_empty() {
            self.listeners = std::mem::take(list);
        } else {
            self.listeners.append(list);
        }
    }
}
