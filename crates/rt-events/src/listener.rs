//! Listener registrations: ids, introspection info, and how the emitter
//! stores them (an owned closure until an emit first needs to share it, then
//! one shared allocation with its header).

use std::any::{Any, TypeId};
use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::event::Event;

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
    /// Whether this stands for the once wrapper rather than the listener
    /// function (Node passes one or the other, and `===` tells them apart).
    ///
    /// True for the once listeners of
    /// [`raw_listeners`](crate::EventEmitter::raw_listeners), and in a
    /// `'removeListener'` payload where Node passes the wrapper: a once
    /// listener removed through its wrapper (because it fired, or by
    /// [`remove_all_listeners`](crate::EventEmitter::remove_all_listeners))
    /// while its event had two or more listeners. Node passes the function
    /// when the listener was its event's only one, and when it was removed
    /// with [`off`](crate::EventEmitter::off); `'newListener'` always gets
    /// the function.
    pub as_wrapper: bool,
}

/// Node's `'newListener'` meta-event: emitted *before* a listener is added,
/// with the listener's [`ListenerInfo`].
#[doc(alias = "newListener")]
pub static NEW_LISTENER: Event<ListenerInfo> = Event::new("newListener");

/// Node's `'removeListener'` meta-event: emitted *after* a listener is
/// removed (also when a once listener fires), with its [`ListenerInfo`].
#[doc(alias = "removeListener")]
pub static REMOVE_LISTENER: Event<ListenerInfo> = Event::new("removeListener");

/// The part of a shared entry that does not depend on the payload type.
pub(crate) struct Header {
    pub(crate) info: ListenerInfo,
    /// Set when a once listener is claimed by an emit (Node's `fired`).
    fired: AtomicBool,
}

impl Header {
    /// For a once listener: claims its single run. False if an emit already did.
    #[inline]
    pub(crate) fn claim(&self) -> bool {
        !self.fired.swap(true, Ordering::AcqRel)
    }
}

/// A listener that snapshots share: its header and the closure (boxed, so
/// an emit finds it at a fixed offset; a closure that captures nothing is
/// not allocated).
pub(crate) struct Entry<T> {
    pub(crate) header: Header,
    pub(crate) f: Box<dyn Fn(&T) + Send + Sync>,
}

impl<T: 'static> Entry<T> {
    fn shared(info: ListenerInfo, fired: bool, f: Box<dyn Fn(&T) + Send + Sync>) -> Arc<dyn Erased> {
        Arc::new(Entry {
            header: Header {
                info,
                fired: AtomicBool::new(fired),
            },
            f,
        })
    }
}

/// A listener as an emit for payload `T` sees it: one indirect call away.
pub(crate) type TypedListener<T> = Arc<Entry<T>>;

/// A shared listener, whatever its payload type.
pub(crate) trait Erased: Send + Sync {
    fn header(&self) -> &Header;
    /// Pushes this entry as a `TypedListener<T>` onto `out`, a
    /// `Vec<TypedListener<T>>` (nothing if `T` is not this entry's type).
    fn push_typed(self: Arc<Self>, out: &mut dyn Any);
    /// Calls the listener if `payload` is of its type.
    fn call_any(&self, payload: &dyn Any);
}

impl<T: 'static> Erased for Entry<T> {
    fn header(&self) -> &Header {
        &self.header
    }

    fn push_typed(self: Arc<Self>, out: &mut dyn Any) {
        if let Some(out) = out.downcast_mut::<Vec<TypedListener<T>>>() {
            out.push(self);
        }
    }

    fn call_any(&self, payload: &dyn Any) {
        if let Some(payload) = payload.downcast_ref::<T>() {
            (self.f)(payload);
        }
    }
}

/// A listener no emit has seen yet: just the closure, owned (a closure that
/// captures nothing costs no allocation at all).
trait Unshared: Send + Sync {
    /// Moves the closure into a shared [`Entry`].
    fn share(self: Box<Self>, info: ListenerInfo, fired: bool) -> Arc<dyn Erased>;
    fn call_any(&self, payload: &dyn Any);
}

struct Owned<T, F> {
    f: F,
    _payload: PhantomData<fn(&T)>,
}

impl<T, F> Unshared for Owned<T, F>
where
    T: 'static,
    F: Fn(&T) + Send + Sync + 'static,
{
    fn share(self: Box<Self>, info: ListenerInfo, fired: bool) -> Arc<dyn Erased> {
        Entry::<T>::shared(info, fired, Box::new(self.f))
    }

    fn call_any(&self, payload: &dyn Any) {
        if let Some(payload) = payload.downcast_ref::<T>() {
            (self.f)(payload);
        }
    }
}

/// Stands in for a closure while it moves into its shared entry (never
/// called: the listener is `Shared` right after).
struct Moved;

impl Unshared for Moved {
    fn share(self: Box<Self>, info: ListenerInfo, fired: bool) -> Arc<dyn Erased> {
        Entry::<()>::shared(info, fired, Box::new(|_: &()| {}))
    }

    fn call_any(&self, _: &dyn Any) {}
}

enum Stored {
    /// Never in a snapshot: only the emitter's list (under its lock) sees it.
    Own { fired: bool, f: Box<dyn Unshared> },
    /// In a snapshot (or was): emits on any thread may hold it.
    Shared(Arc<dyn Erased>),
}

/// How the emitter's list holds a listener.
pub(crate) struct Listener {
    info: ListenerInfo,
    payload: TypeId,
    stored: Stored,
}

impl Listener {
    pub(crate) fn info(&self) -> ListenerInfo {
        self.info
    }

    pub(crate) fn payload_type(&self) -> TypeId {
        self.payload
    }

    /// Whether an emit may hold this listener outside the emitter's list
    /// (so that removing it has to sweep the emit caches).
    pub(crate) fn in_snapshot(&self) -> bool {
        matches!(self.stored, Stored::Shared(_))
    }

    /// The shared entry, made on first use.
    pub(crate) fn shared(&mut self) -> Arc<dyn Erased> {
        let entry = match &mut self.stored {
            Stored::Shared(entry) => return entry.clone(),
            Stored::Own { fired, f } => {
                let f = std::mem::replace(f, Box::new(Moved));
                f.share(self.info, *fired)
            }
        };
        self.stored = Stored::Shared(entry.clone());
        entry
    }

    /// For a once listener, under the emitter's lock: claims its single run.
    pub(crate) fn claim_locked(&mut self) -> bool {
        match &mut self.stored {
            Stored::Own { fired, .. } => !std::mem::replace(fired, true),
            Stored::Shared(entry) => entry.header().claim(),
        }
    }

    /// Calls the listener if `payload` is of its type.
    pub(crate) fn call_any(&self, payload: &dyn Any) {
        match &self.stored {
            Stored::Own { f, .. } => f.call_any(payload),
            Stored::Shared(entry) => entry.call_any(payload),
        }
    }
}

/// A new listener for `T` payloads (no allocation if `f` captures nothing).
pub(crate) fn entry<T, F>(info: ListenerInfo, f: F) -> Listener
where
    T: Send + Sync + 'static,
    F: Fn(&T) + Send + Sync + 'static,
{
    Listener {
        info,
        payload: TypeId::of::<T>(),
        stored: Stored::Own {
            fired: false,
            f: Box::new(Owned {
                f,
                _payload: PhantomData,
            }),
        },
    }
}

/// The listeners of one event for payload type `T`, as one emit calls them.
pub(crate) struct Snapshot<T> {
    /// Whether the event had any listener (of any payload type): `emit`'s result.
    pub(crate) any: bool,
    /// Whether some item is a once listener (if not, emit skips the check).
    pub(crate) has_once: bool,
    pub(crate) items: Box<[TypedListener<T>]>,
}

impl<T: 'static> Snapshot<T> {
    /// The `T` listeners of `list`, in order.
    pub(crate) fn of(list: &mut [Listener]) -> Snapshot<T> {
        let mut items: Vec<TypedListener<T>> = Vec::with_capacity(list.len());
        for l in list.iter_mut() {
            if l.payload_type() == TypeId::of::<T>() {
                l.shared().push_typed(&mut items);
            }
        }
        Snapshot {
            any: !list.is_empty(),
            has_once: items.iter().any(|l| l.header.info.once),
            items: items.into_boxed_slice(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(seq: u64) -> ListenerInfo {
        ListenerInfo {
            event: "x",
            id: ListenerId { emitter: 0, seq },
            once: false,
            as_wrapper: false,
        }
    }

    #[test]
    fn snapshot_keeps_order_and_filters_types() {
        let hits = Arc::new(std::sync::Mutex::new(Vec::new()));
        let (h1, h2) = (hits.clone(), hits.clone());
        let mut list: Vec<Listener> = vec![
            entry(info(1), move |v: &u32| h1.lock().unwrap().push(*v)),
            entry(info(2), |_: &String| {}),
            entry(info(3), move |v: &u32| h2.lock().unwrap().push(v + 1)),
        ];
        assert!(!list[0].in_snapshot());
        let snap = Snapshot::<u32>::of(&mut list);
        assert!(list[0].in_snapshot() && !list[1].in_snapshot());
        assert!(snap.any);
        assert_eq!(snap.items.len(), 2);
        for l in snap.items.iter() {
            (l.f)(&10);
        }
        assert_eq!(*hits.lock().unwrap(), [10, 11]);
        assert_eq!(snap.items[1].header.info.id.seq, 3);
        assert!(!Snapshot::<u8>::of(&mut []).any);
    }

    #[test]
    fn claim_once_owned_and_shared() {
        let mut l = entry(info(1), |_: &u8| {});
        assert!(l.claim_locked());
        assert!(!l.claim_locked());
        // The claim survives the move into a shared entry.
        let shared = l.shared();
        assert!(!shared.header().claim());
        let mut l = entry(info(2), |_: &u8| {});
        let shared = l.shared();
        assert!(l.claim_locked());
        assert!(!shared.header().claim());
    }
}
