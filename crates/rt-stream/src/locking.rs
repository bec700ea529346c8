//! The crate's one way to take a mutex (a leaf: it imports nothing of the
//! crate but the counters, so the tick queue and the core share it without
//! importing each other).
//!
//! The mutexes of a stream's own state ([`Mutex`] here: the core's state and
//! source, the listener lists, a write's completion slot, a transform's
//! callback) are std's, or shuttle's under the `model` feature: then the
//! model tests (`tests/model.rs`) let shuttle choose which thread runs at
//! every lock, to check the core's locking and delivery order under
//! interleavings a test run on real threads rarely meets. The tick queue and
//! the fs / bridge helpers keep std's mutexes either way.

#[cfg(not(feature = "model"))]
pub(crate) use std::sync::{Mutex, MutexGuard};

#[cfg(feature = "model")]
pub(crate) use shuttle::sync::{Mutex, MutexGuard};

/// A mutex [`lock`] can take: std's, and shuttle's under `model`.
pub(crate) trait Lock {
    /// What the mutex guards.
    type Target: ?Sized;
    /// The guard `lock` returns.
    type Guard<'a>: std::ops::DerefMut<Target = Self::Target>
    where
        Self: 'a;
    /// Locks, ignoring poisoning.
    fn lock_now(&self) -> Self::Guard<'_>;
}

/// `Lock` for a std-shaped mutex type (its `lock()` returns a poisonable
/// guard): std's, and shuttle's under `model`.
macro_rules! lock_for {
    ($mutex:ident, $guard:ident in $($path:ident)::+) => {
        impl<T: ?Sized> Lock for $($path)::+::$mutex<T> {
            type Target = T;
            type Guard<'a>
                = $($path)::+::$guard<'a, T>
            where
                Self: 'a;
            fn lock_now(&self) -> Self::Guard<'_> {
                self.lock().unwrap_or_else(|e| e.into_inner())
            }
        }
    };
}

lock_for!(Mutex, MutexGuard in std::sync);
#[cfg(feature = "model")]
lock_for!(Mutex, MutexGuard in shuttle::sync);

/// Through an `Arc` (so `lock(&arc)` works as `lock(&*arc)` did).
impl<L: Lock + ?Sized> Lock for std::sync::Arc<L> {
    type Target = L::Target;
    type Guard<'a>
        = L::Guard<'a>
    where
        Self: 'a;
    fn lock_now(&self) -> Self::Guard<'_> {
        (**self).lock_now()
    }
}

/// Locks `m`, ignoring poisoning (a panicking listener must not wedge a stream).
pub(crate) fn lock<M: Lock + ?Sized>(m: &M) -> M::Guard<'_> {
    crate::counter_cells::count_lock();
    m.lock_now()
}
