//! The crate's one way to take a mutex (a leaf: it imports nothing of the
//! crate but the counters, so the tick queue and the core share it without
//! importing each other).

use std::sync::{Mutex, MutexGuard};

/// Locks `m`, ignoring poisoning (a panicking listener must not wedge a stream).
pub(crate) fn lock<T: ?Sized>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    crate::counter_cells::count_lock();
    m.lock().unwrap_or_else(|e| e.into_inner())
}
