//! Which thread runs now, for the readable side's delivery token and its
//! source re-entry guard (a leaf). std's threads, or shuttle's under the
//! `model` feature: shuttle runs all its threads on one OS thread, so std's
//! ids and thread-locals could not tell them apart there.

use std::cell::RefCell;

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
}

#[cfg(feature = "model")]
shuttle::thread_local! {
    /// The streams whose source `read` runs on this shuttle thread right now.
    static IN_READ: RefCell<Vec<usize>> = RefCell::new(Vec::new());
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
