//! Emitting: the cached fast path, the locked slow path (where a first once
//! listener is claimed), and `'error'` with its errorMonitor listeners.

use std::any::TypeId;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use super::state::{Garbage, Inner, Slot};
use super::{EventEmitter, Unwind};
use crate::cache::{self, AnySnapshot};
use crate::error::UnhandledError;
use crate::event::{ERROR_MONITOR_NAME, Event, Kind};
use crate::listener::{ListenerInfo, REMOVE_LISTENER, Snapshot};

impl EventEmitter {
    /// Calls every listener of `event`, in order, with `&payload`
    /// (`emitter.emit(name, payload)`). Returns whether the event had
    /// listeners.
    ///
    /// The list is snapshotted first: listeners added or removed by a
    /// listener take effect from the next emit. A once listener is removed
    /// (and `'removeListener'` emitted) just before it runs.
    ///
    /// # Panics
    ///
    /// As in Node, where `emit('error', err)` with no `'error'` listener
    /// throws: emitting an event named `"error"` with no listener panics.
    /// Use [`emit_error`](Self::emit_error) to get the error back as a value
    /// instead. A panic in a listener propagates to the caller.
    #[inline]
    pub fn emit<T: Send + Sync + 'static>(&self, event: &Event<T>, payload: T) -> bool {
        if event.kind() == Kind::Error {
            return self.emit_error_or_panic(event, payload);
        }
        self.emit_ref(event, &payload)
    }

    #[cold]
    pub(super) fn emit_error_or_panic<T: Send + Sync + 'static>(&self, event: &Event<T>, payload: T) -> bool {
        match self.emit_error(event, payload) {
            Ok(()) => true,
            Err(_) => panic!(
                "ERR_UNHANDLED_ERROR: Unhandled error. (an '{}' event carrying {} was emitted \
                 with no listener; use EventEmitter::emit_error to get it back as a value)",
                event.name(),
                std::any::type_name::<T>()
            ),
        }
    }

    /// Emits an error event and hands the error back when nobody listened.
    ///
    /// For the `'error'` event, listeners of [`Event::error_monitor`] run
    /// first (Node's `errorMonitor`). Then, if the event has listeners, they
    /// run and the result is `Ok(())`; if not, the result is
    /// `Err(UnhandledError)` carrying `error` (`code() == "ERR_UNHANDLED_ERROR"`),
    /// where Node would throw.
    ///
    /// ```
    /// use rt_events::{Event, EventEmitter};
    /// static ERROR: Event<String> = Event::new("error");
    /// let e = EventEmitter::new();
    /// let err = e.emit_error(&ERROR, "boom".to_string()).unwrap_err();
    /// assert_eq!(err.code(), "ERR_UNHANDLED_ERROR");
    /// assert_eq!(err.into_inner(), "boom");
    /// ```
    pub fn emit_error<E: Send + Sync + 'static>(
        &self,
        event: &Event<E>,
        error: E,
    ) -> Result<(), UnhandledError<E>> {
        let monitor = Event::<E>::error_monitor();
        if event.kind() == Kind::Error && self.shared.names.load(Ordering::Acquire) & monitor.bit() != 0 {
            if let Some(handled) = self.emit_error_monitored(&monitor, &error) {
                return if handled {
                    Ok(())
                } else {
                    Err(UnhandledError::new(event.name(), error))
                };
            }
        }
        if self.emit_ref(event, &error) {
            Ok(())
        } else {
            Err(UnhandledError::new(event.name(), error))
        }
    }

    /// Runs the errorMonitor listeners. If they made Node replace its
    /// listener table ([`Inner::replace_table`]), Node goes on with the old
    /// table's `'error'` listeners: so does this, returning whether there
    /// were any. `None`: carry on as usual.
    #[cold]
    pub(super) fn emit_error_monitored<E: Send + Sync + 'static>(
        &self,
        monitor: &Event<E>,
        error: &E,
    ) -> Option<bool> {
        let table = {
            let mut g = self.lock();
            if !g.has(ERROR_MONITOR_NAME) {
                return None;
            }
            g.js.error_watchers += 1;
            g.js.table
        };
        {
            // If a monitor panics, stop watching on the way out.
            let guard = Unwind(self, |g: &mut Inner| {
                g.js.error_watchers -= 1;
                if g.js.error_watchers == 0 {
                    let held = std::mem::take(&mut g.js.frozen_error);
                    held.into_iter().flat_map(|(_, l)| l).collect()
                } else {
                    Vec::new()
                }
            });
            self.emit_ref(monitor, error);
            guard.disarm();
        }
        let (held, garbage) = {
            let mut g = self.lock();
            g.js.error_watchers -= 1;
            let held = (g.js.table != table).then(|| {
                g.js.frozen_error
                    .iter()
                    .find(|(t, _)| *t == table)
                    .map(|(_, l)| l.clone())
                    .unwrap_or_default()
            });
            let garbage = if g.js.error_watchers == 0 {
                std::mem::take(&mut g.js.frozen_error)
            } else {
                Vec::new()
            };
            (held, garbage)
        };
        drop(garbage);
        let held = held?;
        for l in &held {
            let info = l.header().info;
            if info.once {
                if !l.header().claim() {
                    continue;
                }
                self.remove_id(info.event, info.id, true);
            }
            l.call_any(error);
        }
        Some(!held.is_empty())
    }

    /// The emit itself: a cache hit, or the lock and a refill; then the calls.
    #[inline(always)]
    pub(super) fn emit_ref<T: Send + Sync + 'static>(&self, event: &Event<T>, payload: &T) -> bool {
        let shared = &*self.shared;
        if shared.names.load(Ordering::Acquire) & event.bit() == 0 {
            return false;
        }
        let version = shared.version.load(Ordering::Acquire);
        let hit = cache::hit(shared.id, version, event.name(), |snap| {
            snap.downcast_ref::<Snapshot<T>>()
                .map(|typed| self.call(typed, payload))
        });
        match hit {
            Some(any) => any,
            None => self.emit_miss(event.name(), payload),
        }
    }

    /// An emit the cache could not serve: [`emit_slow`](Self::emit_slow),
    /// then cache the snapshot it used.
    #[cold]
    #[inline(never)]
    pub(super) fn emit_miss<T: Send + Sync + 'static>(&self, name: &'static str, payload: &T) -> bool {
        let (any, back) = self.emit_slow(name, payload);
        if let Some((snap, version)) = back {
            cache::store(self.shared.id, &self.shared.version, version, name, snap);
        }
        any
    }

    /// Emit without a cache hit: lock, get the snapshot, call.
    ///
    /// When the first listener is a once listener for `T` (the `once` + `emit`
    /// pattern, and every `events.once` future), it is claimed and removed
    /// under the same lock that snapshots the rest: nothing can run between
    /// the start of the emit and its removal, so this is what Node does, with
    /// one lock round and no snapshot to allocate when it was alone.
    pub(super) fn emit_slow<T: Send + Sync + 'static>(
        &self,
        name: &'static str,
        payload: &T,
    ) -> (bool, Option<(AnySnapshot, u64)>) {
        let mut g = self.lock();
        let Some(i) = g.find(name) else {
            let version = self.shared.version.load(Ordering::Acquire);
            drop(g);
            let empty: AnySnapshot = Arc::new(Snapshot::<T>::of(&mut []));
            return (false, Some((empty, version)));
        };
        let slot = &mut g.slots[i];
        let first_once = slot
            .list
            .first_mut()
            .is_some_and(|l| l.info().once && l.payload_type() == TypeId::of::<T>() && l.claim_locked());
        if !first_once {
            let version = self.shared.version.load(Ordering::Acquire);
            let (snap, old) = match &slot.snapshot {
                Some(s) if s.is::<Snapshot<T>>() => (s.clone(), None),
                _ => {
                    let snap: AnySnapshot = Arc::new(Snapshot::<T>::of(&mut slot.list));
                    let old = slot.snapshot.replace(snap.clone());
                    (snap, old)
                }
            };
            drop(g);
            drop(old);
            let any = match snap.downcast_ref::<Snapshot<T>>() {
                Some(typed) => self.call(typed, payload),
                None => false,
            };
            return (any, Some((snap, version)));
        }
        // The once listener goes first, alone.
        let mut garbage = Garbage::default();
        let before = slot.list.len();
        let mut first = slot.list.remove(0);
        slot.detach(before, Slot::ids);
        let info = first.info();
        garbage.snapshot(slot.snapshot.take());
        if slot.list.len() <= 1 {
            slot.warned = false;
        }
        let rest: Option<AnySnapshot> = if slot.list.is_empty() {
            None
        } else {
            let snap: AnySnapshot = Arc::new(Snapshot::<T>::of(&mut slot.list));
            slot.snapshot = Some(snap.clone());
            Some(snap)
        };
        if slot.list.is_empty() {
            g.name_removed(&self.shared.names, i, &mut garbage);
            if g.live() == 0 {
                g.replace_table(|_| {
                    if name == "error" {
                        vec![first.shared()]
                    } else {
                        Vec::new()
                    }
                });
            }
        }
        self.bump(&g);
        let version = self.shared.version.load(Ordering::Relaxed);
        let notify = g.has_remove_listener;
        drop(g);
        garbage.release();
        if first.in_snapshot() {
            cache::released();
        }
        if notify {
            // Node's once wrapper removes itself: the array branch passes it.
            self.emit(
                &REMOVE_LISTENER,
                ListenerInfo {
                    as_wrapper: before >= 2,
                    ..info
                },
            );
        }
        first.call_any(payload);
        drop(first);
        match rest {
            Some(snap) => {
                if let Some(typed) = snap.downcast_ref::<Snapshot<T>>() {
                    self.call(typed, payload);
                }
                (true, Some((snap, version)))
            }
            None => (true, None),
        }
    }

    #[inline(always)]
    pub(super) fn call<T: 'static>(&self, typed: &Snapshot<T>, payload: &T) -> bool {
        if typed.has_once {
            return self.call_with_once(typed, payload);
        }
        for l in typed.items.iter() {
            (l.f)(payload);
        }
        typed.any
    }

    /// [`call`](Self::call) for a snapshot with once listeners: each is
    /// claimed and removed just before it runs.
    #[inline(never)]
    fn call_with_once<T: 'static>(&self, typed: &Snapshot<T>, payload: &T) -> bool {
        for l in typed.items.iter() {
            if l.header.info.once {
                if !l.header.claim() {
                    continue;
                }
                self.remove_id(l.header.info.event, l.header.info.id, true);
            }
            (l.f)(payload);
        }
        typed.any
    }
}
