//! The writable side's gate: where the implementor's [`Sink`] lives, and the
//! one-atomic claim that lets `write()` into an idle stream skip the state
//! lock (the writable core's `write_fast`).
//!
//! Why: a `write()` through the state mutex takes two lock rounds (before
//! and after the sink, which runs outside the lock), four atomic
//! read-modify-writes. The gate's claim is one compare-and-swap, and its
//! release a plain store.
//!
//! The protocol (proved by `tests/model.rs`'s fast-write models):
//! - The sink lives in the `slot`, a spin mutex that is only ever *tried*
//!   by a fast write (never waited for), and taken out briefly by the slow
//!   paths (`take_sink` / `put_sink`), never while they hold the state lock.
//! - `open` says the writable state is idle the way a write's inline
//!   completion leaves it (nothing buffered, not writing, ending, corked,
//!   destroyed or errored; no waker, no 'drain' due, byte mode). Only that
//!   completion, under the state lock, opens it; every acquisition of the
//!   state lock closes it (`Core::lock`), so the state cannot change under
//!   an open gate.
//! - A fast write claims the slot, then checks `open` (the claim
//!   synchronises with whoever used the slot last, so a closed gate is
//!   seen), runs the sink while holding the slot and, if the sink completed
//!   at once, releases it: the write changed nothing in the state, so it is
//!   ordered before whatever another thread did meanwhile (anything that
//!   needs the sink waits for the slot).
//! - The one party that must see a fast write in flight is its own thread,
//!   re-entered from the sink (a `write`, `end`, `destroy`...). The writer
//!   records its thread in `owner`; `Core::lock` on that thread turns the
//!   fast write into the ordinary in-flight write Node would have (writing,
//!   its length counted) and marks it `taken_over`, and the writer then
//!   completes it through the ordinary path.

use std::sync::atomic::Ordering::Relaxed;

// Shuttle's atomics in the model tests: every access to the gate is then a
// point where shuttle may switch threads.
#[cfg(feature = "model")]
pub(crate) use shuttle::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize};
#[cfg(not(feature = "model"))]
pub(crate) use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize};

use crate::sink::Sink;
use crate::thread_ident;

/// The sink and how to measure a chunk (fixed at creation).
pub(crate) struct Slot<W> {
    pub(crate) sink: Option<Box<dyn Sink<W>>>,
    pub(crate) len: fn(&W) -> usize,
}

#[cfg(not(feature = "model"))]
type SlotLock<W> = spin::mutex::SpinMutex<Slot<W>>;
#[cfg(not(feature = "model"))]
pub(crate) type SlotGuard<'a, W> = spin::mutex::SpinMutexGuard<'a, Slot<W>>;
#[cfg(feature = "model")]
type SlotLock<W> = shuttle::sync::Mutex<Slot<W>>;
#[cfg(feature = "model")]
pub(crate) type SlotGuard<'a, W> = shuttle::sync::MutexGuard<'a, Slot<W>>;

/// See the module docs.
pub(crate) struct Gate<W> {
    slot: SlotLock<W>,
    /// The state is idle as an inline completion leaves it.
    pub(crate) open: AtomicBool,
    /// `thread_ident::number()` of the thread whose fast write is running
    /// the sink (0: none).
    pub(crate) owner: AtomicU64,
    /// That write's length, for a take-over.
    pub(crate) len: AtomicUsize,
    /// The owner's thread re-entered and made the write an ordinary one.
    pub(crate) taken_over: AtomicBool,
    /// Writes completed on the fast path (only the slot's holder adds).
    pub(crate) completed: AtomicU64,
}

fn no_len<W>(_: &W) -> usize {
    0
}

impl<W> Gate<W> {
    pub(crate) fn new(sink: Option<Box<dyn Sink<W>>>) -> Self {
        Gate {
            slot: SlotLock::new(Slot {
                sink,
                len: no_len::<W>,
            }),
            open: AtomicBool::new(false),
            owner: AtomicU64::new(0),
            len: AtomicUsize::new(0),
            taken_over: AtomicBool::new(false),
            completed: AtomicU64::new(0),
        }
    }

    /// Claims the slot if nobody holds it (one compare-and-swap; never waits).
    #[inline(always)]
    pub(crate) fn try_claim(&self) -> Option<SlotGuard<'_, W>> {
        #[cfg(not(feature = "model"))]
        {
            self.slot.try_lock()
        }
        #[cfg(feature = "model")]
        {
            match self.slot.try_lock() {
                Ok(g) => Some(g),
                Err(std::sync::TryLockError::Poisoned(p)) => Some(p.into_inner()),
                Err(std::sync::TryLockError::WouldBlock) => None,
            }
        }
    }

    /// Sets how chunks are measured (at creation, before any write).
    pub(crate) fn set_len(&self, len: fn(&W) -> usize) {
        self.claim().len = len;
    }

    /// Waits for the slot (never call it holding the state lock: a fast
    /// write holding the slot may be waiting for that lock).
    fn claim(&self) -> SlotGuard<'_, W> {
        loop {
            if let Some(g) = self.try_claim() {
                return g;
            }
            relax();
        }
    }

    /// The sink, taken out for a slow-path hook (`write`, `final`,
    /// `destroy`), if nobody else has it out; `None` too when this thread's
    /// own fast write holds it (a sink re-entering its stream). Waits while
    /// another thread's fast write runs it; never call it holding the state
    /// lock.
    pub(crate) fn take_sink(&self) -> Option<Box<dyn Sink<W>>> {
        loop {
            if let Some(mut g) = self.try_claim() {
                return g.sink.take();
            }
            if self.owner.load(Relaxed) == thread_ident::number() {
                return None;
            }
            relax();
        }
    }

    /// [`take_sink`](Self::take_sink) without waiting: `None` when the slot
    /// is held (then drop the state lock and call `take_sink`).
    pub(crate) fn try_take_sink(&self) -> Option<Option<Box<dyn Sink<W>>>> {
        self.try_claim().map(|mut g| g.sink.take())
    }

    /// Puts a taken sink back (unless another one was set meanwhile).
    pub(crate) fn put_sink(&self, sink: Option<Box<dyn Sink<W>>>) {
        if sink.is_some() {
            let mut g = self.claim();
            if g.sink.is_none() {
                g.sink = sink;
            }
        }
    }

    /// Replaces the sink (a transform sets its own after creation).
    pub(crate) fn set_sink(&self, sink: Box<dyn Sink<W>>) {
        self.claim().sink = Some(sink);
    }

    /// Writes the fast path completed, for `writes_completed`.
    pub(crate) fn completed(&self) -> u64 {
        self.completed.load(Relaxed)
    }
}

/// Lets another thread run while waiting for the slot.
pub(crate) fn relax() {
    #[cfg(not(feature = "model"))]
    std::thread::yield_now();
    #[cfg(feature = "model")]
    shuttle::thread::yield_now();
}
