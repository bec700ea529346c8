//! [`EventEmitter`]: Node's `EventEmitter`, shared, typed and re-entrant.
//!
//! State ([`state`]) lives behind one lock, which is never held while user
//! code runs (listeners, and the drop of removed listeners, run after it is
//! released). Each event name has a list of type-erased entries; an emit
//! works on an immutable [`Snapshot`](crate::listener::Snapshot) of the
//! entries for its payload type, built on the first emit after a change and
//! kept until the next change (copy-on-write). The per-thread
//! [`cache`] lets repeated emits reach that snapshot without
//! the lock.
//!
//! One file per job: [`add`], [`remove`], [`emit`], [`introspect`], and
//! [`js_array`], where Node's JavaScript arrays and listener table are
//! reproduced for the corner cases that can observe them.

mod add;
mod emit;
mod introspect;
mod js_array;
mod remove;
mod state;

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::cache::{self, VersionCell};
use crate::listener::Erased;
use state::Inner;

static NEXT_EMITTER: AtomicU64 = AtomicU64::new(1);

/// Node's `EventEmitter`: named events, each with an ordered list of
/// listeners that [`emit`](Self::emit) calls synchronously.
///
/// A cheap handle: clones share one emitter. `Send + Sync`; listeners may
/// add, remove and emit on the same emitter, from any thread, without
/// deadlock (no lock is held while a listener runs). A listener that panics
/// unwinds into the caller of `emit` (as a throw does in Node) and leaves the
/// emitter working.
///
/// ```
/// // const e = new EventEmitter();
/// // e.on('wake', t => console.log(`up at ${t}`));
/// // e.emit('wake', '6:00');   // true
/// use rt_events::{Event, EventEmitter};
/// static WAKE: Event<String> = Event::new("wake");
/// let e = EventEmitter::new();
/// e.on(&WAKE, |t| println!("up at {t}"));
/// assert!(e.emit(&WAKE, "6:00".to_string()));
/// ```
#[derive(Clone)]
pub struct EventEmitter {
    pub(crate) shared: Arc<Shared>,
}

pub(crate) struct Shared {
    pub(crate) id: u64,
    type_name: &'static str,
    /// Bumped (under the lock) on every change of any listener list; shared
    /// with the emit caches ([`cache`]).
    version: VersionCell,
    /// Union of the name bits ([`Event::bit`]) of the events with listeners.
    names: AtomicU64,
    inner: Lock<Inner>,
}

/// The lock around an emitter's state: a spin lock that yields the thread
/// while it waits. Taking it is one atomic read-modify-write and releasing
/// it a plain store (a `std::sync::Mutex` round costs two read-modify-writes,
/// about 6 ns apiece here, which is most of an `on` + `off`). It is held
/// only for short bookkeeping, never while user code runs.
type Lock<T> = spin::mutex::SpinMutex<T, spin::relax::Yield>;
type Guard<'a, T> = spin::mutex::SpinMutexGuard<'a, T, spin::relax::Yield>;

impl Drop for Shared {
    fn drop(&mut self) {
        self.version.store(cache::DEAD, Ordering::Release);
        cache::released();
    }
}

impl Default for EventEmitter {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for EventEmitter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct(self.shared.type_name)
            .field("id", &self.shared.id)
            .field("events", &self.event_names())
            .finish()
    }
}

impl EventEmitter {
    /// A new emitter with no listeners (`new EventEmitter()`).
    pub fn new() -> Self {
        Self::with_type_name("EventEmitter")
    }

    /// A new emitter that calls itself `type_name` in warnings, as a Node
    /// subclass does (`11 data listeners added to [Socket]`).
    pub fn with_type_name(type_name: &'static str) -> Self {
        EventEmitter {
            shared: Arc::new(Shared {
                id: NEXT_EMITTER.fetch_add(1, Ordering::Relaxed),
                type_name,
                version: Arc::new(AtomicU64::new(0)),
                names: AtomicU64::new(0),
                inner: Lock::new(Inner::default()),
            }),
        }
    }

    /// The type name used in warnings (`EventEmitter` unless set by
    /// [`with_type_name`](Self::with_type_name)).
    pub fn type_name(&self) -> &'static str {
        self.shared.type_name
    }

    /// Whether `self` and `other` are handles to the same emitter.
    pub fn same(&self, other: &EventEmitter) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }

    fn lock(&self) -> Guard<'_, Inner> {
        self.shared.inner.lock()
    }

    /// Marks a change. Only called with the lock held (by the only writer),
    /// so a plain store is enough.
    fn bump(&self, _locked: &Inner) {
        let v = self.shared.version.load(Ordering::Relaxed);
        self.shared.version.store(v + 1, Ordering::Release);
    }
}

/// Undoes some bookkeeping if a listener panics: runs `.1` on the locked
/// state when dropped without [`disarm`](Unwind::disarm); what it returns is
/// dropped after the lock is released.
struct Unwind<'a, F: FnMut(&mut Inner) -> Vec<Arc<dyn Erased>>>(&'a EventEmitter, F);

impl<F: FnMut(&mut Inner) -> Vec<Arc<dyn Erased>>> Unwind<'_, F> {
    fn disarm(self) {
        std::mem::forget(self);
    }
}

impl<F: FnMut(&mut Inner) -> Vec<Arc<dyn Erased>>> Drop for Unwind<'_, F> {
    fn drop(&mut self) {
        let garbage = {
            let mut g = self.0.lock();
            (self.1)(&mut g)
        };
        drop(garbage);
    }
}

/// A handle that does not keep the emitter alive (used by listeners that
/// must reach back into their emitter without a reference cycle).
#[derive(Clone)]
pub(crate) struct WeakEmitter(std::sync::Weak<Shared>);

impl WeakEmitter {
    pub(crate) fn upgrade(&self) -> Option<EventEmitter> {
        self.0.upgrade().map(|shared| EventEmitter { shared })
    }
}

impl EventEmitter {
    pub(crate) fn downgrade(&self) -> WeakEmitter {
        WeakEmitter(Arc::downgrade(&self.shared))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Event;
    use crate::listener::{ListenerInfo, REMOVE_LISTENER};
    use std::sync::Mutex as StdMutex;

    static A: Event<u32> = Event::new("a");

    #[test]
    fn remove_listener_payload_wrapper_or_function() {
        let e = EventEmitter::new();
        let seen = Arc::new(StdMutex::new(Vec::new()));
        let s = seen.clone();
        e.on(&REMOVE_LISTENER, move |i: &ListenerInfo| {
            s.lock().unwrap().push((i.id, i.as_wrapper))
        });
        let take = || std::mem::take(&mut *seen.lock().unwrap());
        // Fired while alone: the function; fired beside another: the wrapper.
        let a = e.once(&A, |_| {});
        e.emit(&A, 1);
        assert_eq!(take(), [(a, false)]);
        let a = e.once(&A, |_| {});
        let b = e.on(&A, |_| {});
        e.emit(&A, 1);
        assert_eq!(take(), [(a, true)]);
        // off: the function.
        let c = e.once(&A, |_| {});
        e.off(&A, c);
        assert_eq!(take(), [(c, false)]);
        // removeAllListeners(name) walks from the last: the wrapper while two
        // or more are left, then the function.
        let d = e.once(&A, |_| {});
        let f = e.once(&A, |_| {});
        e.remove_all_listeners(Some("a"));
        assert_eq!(take(), [(f, true), (d, true), (b, false)]);
        assert_eq!(e.listener_count_of(&A, f), 0);
        let g = e.once(&A, |_| {});
        assert_eq!(e.listener_count_of(&A, g), 1);
        assert_eq!(e.listener_count_of(&A, a), 0);
        assert_eq!(e.listener_count_of("nothing", g), 0);
        assert!(e.raw_listeners(&A)[0].as_wrapper);
    }

    #[test]
    fn emptied_names_keep_at_most_a_few_slots() {
        // `off` of a name's last listener keeps its slot for reuse, but
        // only KEEP_EMPTY of them: the rest go (`purge_empty`).
        let e = EventEmitter::new();
        let events: Vec<Event<u32>> = (0..40)
            .map(|i| Event::new(Box::leak(format!("name{i}").into_boxed_str())))
            .collect();
        let ids: Vec<_> = events.iter().map(|ev| e.on(ev, |_| {})).collect();
        assert_eq!(e.lock().slots.len(), 40);
        for (ev, id) in events.iter().zip(ids) {
            assert!(e.off(ev, id));
        }
        let slots = e.lock().slots.len();
        assert!(slots <= state::KEEP_EMPTY, "{slots} slots kept");
        assert!(e.event_names().is_empty());
        // And a name comes back as it was.
        e.on(&events[39], |_| {});
        assert!(e.emit(&events[39], 1));
        assert_eq!(e.event_names(), ["name39"]);
    }

    #[test]
    fn on_emit_off() {
        let e = EventEmitter::new();
        let log = Arc::new(StdMutex::new(Vec::new()));
        let l = log.clone();
        let id = e.on(&A, move |v| l.lock().unwrap().push(*v));
        assert!(e.emit(&A, 1));
        assert!(e.off(&A, id));
        assert!(!e.off(&A, id));
        assert!(!e.emit(&A, 2));
        assert_eq!(*log.lock().unwrap(), vec![1]);
        assert_eq!(e.listener_count(&A), 0);
        assert!(e.event_names().is_empty());
    }
}
