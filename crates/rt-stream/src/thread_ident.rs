//! Which thread runs now, for the readable side's delivery token and its
//! source re-entry guard (a leaf). std's threads, or shuttle's under the
//! `model` feature: shuttle runs all its threads on one OS thread, so std's
//! ids and thread-locals could not tell them apart there.

use std::cell::{Cell, RefCell};
use std::sync::atomic::{AtomicU64, Ordering};

/// The next thread number to hand out (0 means "no thread").
static NEXT: AtomicU64 = AtomicU64::new(1);

/// A thread's identity.
#[cfg(not(feature = "model"))]
pub(crate) type ThreadId = std::thread::ThreadId;
/// A thread's identity (shuttle's thread, in the model tests).
#[cfg(feature = "model")]
pub(crate) type ThreadId = shuttle::thread::ThreadId;

#[cfg(not(feature = "model"))]
std::thread_local! {
    /// This thread's id, without `thread::current()`'s reference count.
    static ID: ThreadId = std::thread::current().id();
    /// The streams whose source `read` runs on this thread right now.
    static IN_READ: RefCell<Vec<usize>> = const { RefCell::new(Vec::new()) };
    /// This thread's number (0 until first asked).
    static NUMBER: Cell<u64> = const { Cell::new(0) };
}

#[cfg(feature = "model")]
shuttle::thread_local! {
    /// The streams whose source `read` runs on this shuttle thread right now.
    static IN_READ: RefCell<Vec<usize>> = RefCell::new(Vec::new());
    /// This shuttle thread's number (0 until first asked).
    static NUMBER: Cell<u64> = Cell::new(0);
}

/// The current thread's id.
pub(crate) fn current() -> ThreadId {
    #[cfg(not(feature = "model"))]
    {
        ID.with(|id| *id)
    }
    #[cfg(feature = "model")]
    {
        shuttle::thread::current().id()
    }
}

/// Runs `f` on this thread's list of streams whose source `read` is running.
pub(crate) fn in_read<T>(f: impl FnOnce(&RefCell<Vec<usize>>) -> T) -> T {
    IN_READ.with(f)
}

/// This thread's number: never 0, unique in the process, stable for the
/// thread's life (an atomic can hold it, as the write gate's owner does).
#[inline]
pub(crate) fn number() -> u64 {
    NUMBER.with(|n| {
        let v = n.get();
        if v != 0 {
            return v;
        }
        let v = NEXT.fetch_add(1, Ordering::Relaxed);
        n.set(v);
        v
    })
}
