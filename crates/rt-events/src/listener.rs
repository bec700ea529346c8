//! Listener registrations: ids, introspection info, and the type-erased entry
//! the emitter stores.

use std::any::Any;
use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Identifies one listener registration (one call to `on`, `once`, ...).
///
/// Node identifies a listener by its function object; in Rust closures have no
/// identity, so every registration returns a `ListenerId` to pass to
/// [`off`](crate::EventEmitter::off). Ids are never reused, and an id from one
/// emitter never matches a listener of another.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ListenerId {
    pub(crate) emitter: u64,
    pub(crate) seq: u64,
}

impl fmt::Debug for ListenerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ListenerId({}:{})", self.emitter, self.seq)
    }
}

/// What an emitter knows about one registered listener.
///
/// The payload of the `'newListener'` and `'removeListener'` meta-events, and
/// the item of [`raw_listeners`](crate::EventEmitter::raw_listeners).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ListenerInfo {
    /// The event the listener is (or was) registered for.
    pub event: &'static str,
    /// The registration.
    pub id: ListenerId,
    /// Whether it was registered with `once` / `prepend_once_listener`
    /// (Node's `rawListeners` shows these as once wrappers).
    pub once: bool,
}

/// The type-erased call of a listener.
pub(crate) trait Call: Send + Sync {
    fn call(&self, payload: &dyn Any);
}

/// A listener closure for payload type `T`.
pub(crate) struct Typed<T, F> {
    f: F,
    _payload: PhantomData<fn(&T)>,
}

impl<T: 'static, F: Fn(&T) + Send + Sync> Call for Typed<T, F> {
    #[inline]
    fn call(&self, payload: &dyn Any) {
        if let Some(payload) = payload.downcast_ref::<T>() {
            (self.f)(payload);
        }
    }
}

/// One registration, shared by the emitter's list and any emit snapshot.
pub(crate) struct Entry<C: ?Sized> {
    pub(crate) info: ListenerInfo,
    /// Set when a once listener is claimed by an emit (Node's `fired`).
    pub(crate) fired: AtomicBool,
    pub(crate) call: C,
}

/// How the emitter holds a listener.
pub(crate) type Listener = Arc<Entry<dyn Call>>;

impl Entry<dyn Call> {
    /// Wraps `f`, a listener for `T` payloads, in one allocation.
    pub(crate) fn new<T, F>(info: ListenerInfo, f: F) -> Listener
    where
        T: Send + Sync + 'static,
        F: Fn(&T) + Send + Sync + 'static,
    {
        Arc::new(Entry {
            info,
            fired: AtomicBool::new(false),
            call: Typed {
                f,
                _payload: PhantomData,
            },
        })
    }

    /// For a once listener: claims the single run. Returns false if another
    /// emit already claimed it.
    #[inline]
    pub(crate) fn claim(&self) -> bool {
        !self.fired.swap(true, Ordering::AcqRel)
    }
}
