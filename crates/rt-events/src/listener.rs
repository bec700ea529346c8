//! Listener registrations: ids, introspection info, and the entries the
//! emitter stores (one allocation per registration).

use std::any::{Any, TypeId};
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

/// The part of an entry that does not depend on the payload type.
pub(crate) struct Header {
    pub(crate) info: ListenerInfo,
    /// Set when a once listener is claimed by an emit (Node's `fired`).
    fired: AtomicBool,
    /// Set (under the emitter's lock) when the entry goes into a snapshot,
    /// which a thread's emit cache may hold: only then does its removal need
    /// to sweep the caches.
    shared: AtomicBool,
}

impl Header {
    /// For a once listener: claims its single run. False if an emit already did.
    #[inline]
    pub(crate) fn claim(&self) -> bool {
        !self.fired.swap(true, Ordering::AcqRel)
    }

    /// Claims a once listener no snapshot holds (so no other emit can race
    /// for it): called under the emitter's lock, no read-modify-write needed.
    #[inline]
    pub(crate) fn claim_unshared(&self) -> bool {
        if self.in_snapshot() {
            return self.claim();
        }
        if self.fired.load(Ordering::Relaxed) {
            return false;
        }
        self.fired.store(true, Ordering::Relaxed);
        true
    }

    /// Marks the entry as reachable outside the emitter's list.
    pub(crate) fn mark_shared(&self) {
        self.shared.store(true, Ordering::Relaxed);
    }

    /// Whether the entry was ever put in a snapshot.
    pub(crate) fn in_snapshot(&self) -> bool {
        self.shared.load(Ordering::Relaxed)
    }
}

/// One registration: header plus the closure. `F` is the closure type, or
/// `dyn Fn(&T)` once erased.
pub(crate) struct Entry<T, F: ?Sized> {
    pub(crate) header: Header,
    _payload: PhantomData<fn(&T)>,
    pub(crate) f: F,
}

/// A listener as an emit for payload `T` sees it: one indirect call away.
pub(crate) type TypedListener<T> = Arc<Entry<T, dyn Fn(&T) + Send + Sync>>;

/// A listener as the emitter's list stores it, whatever its payload type.
pub(crate) trait Erased: Send + Sync {
    fn header(&self) -> &Header;
    fn payload_type(&self) -> TypeId;
    /// Pushes this entry as a `TypedListener<T>` onto `out`, a
    /// `Vec<TypedListener<T>>` (nothing if `T` is not this entry's type).
    fn push_typed(self: Arc<Self>, out: &mut dyn Any);
    /// Calls the listener if `payload` is of its type.
    fn call_any(&self, payload: &dyn Any);
}

impl<T, F> Erased for Entry<T, F>
where
    T: 'static,
    F: Fn(&T) + Send + Sync + 'static,
{
    fn header(&self) -> &Header {
        &self.header
    }

    fn payload_type(&self) -> TypeId {
        TypeId::of::<T>()
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

/// How the emitter's list holds a listener.
pub(crate) type Listener = Arc<dyn Erased>;

/// Wraps `f`, a listener for `T` payloads, in one allocation.
pub(crate) fn entry<T, F>(info: ListenerInfo, f: F) -> Listener
where
    T: Send + Sync + 'static,
    F: Fn(&T) + Send + Sync + 'static,
{
    Arc::new(Entry {
        header: Header {
            info,
            fired: AtomicBool::new(false),
            shared: AtomicBool::new(false),
        },
        _payload: PhantomData,
        f,
    })
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
    pub(crate) fn of(list: &[Listener]) -> Snapshot<T> {
        let mut items: Vec<TypedListener<T>> = Vec::with_capacity(list.len());
        for l in list {
            if l.payload_type() == TypeId::of::<T>() {
                l.header().mark_shared();
                l.clone().push_typed(&mut items);
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
        }
    }

    #[test]
    fn snapshot_keeps_order_and_filters_types() {
        let hits = Arc::new(std::sync::Mutex::new(Vec::new()));
        let (h1, h2) = (hits.clone(), hits.clone());
        let list: Vec<Listener> = vec![
            entry(info(1), move |v: &u32| h1.lock().unwrap().push(*v)),
            entry(info(2), |_: &String| {}),
            entry(info(3), move |v: &u32| h2.lock().unwrap().push(v + 1)),
        ];
        let snap = Snapshot::<u32>::of(&list);
        assert!(snap.any);
        assert_eq!(snap.items.len(), 2);
        for l in snap.items.iter() {
            (l.f)(&10);
        }
        assert_eq!(*hits.lock().unwrap(), [10, 11]);
        assert_eq!(snap.items[1].header.info.id.seq, 3);
        assert!(!Snapshot::<u8>::of(&[]).any);
    }

    #[test]
    fn claim_once() {
        let l = entry(info(1), |_: &u8| {});
        assert!(l.header().claim());
        assert!(!l.header().claim());
    }
}
