//! [`EventEmitter`]: Node's `EventEmitter`, shared, typed and re-entrant.
//!
//! State lives behind one mutex, which is never held while user code runs
//! (listeners, and the drop of removed listeners, run after it is released).
//! Each event name has a list of type-erased entries; an emit works on an
//! immutable [`Snapshot`] of the entries for its payload type, built on the
//! first emit after a change and kept until the next change (copy-on-write).
//! The per-thread [`cache`] lets repeated emits reach that snapshot without
//! the mutex.

use std::any::TypeId;
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::cache::{self, AnySnapshot, VersionCell};
use crate::error::{OutOfRangeError, UnhandledError};
use crate::event::{AsEventName, ERROR_MONITOR_NAME, Event, Kind};
use crate::listener::{Erased, Listener, ListenerId, ListenerInfo, Snapshot, entry};
use crate::warning::{
    self, MaxListenersExceededWarning, WarningHook, check_limit, default_limit, limit_to_usize,
};

/// Node's `'newListener'` meta-event: emitted *before* a listener is added,
/// with the listener's [`ListenerInfo`].
#[doc(alias = "newListener")]
pub static NEW_LISTENER: Event<ListenerInfo> = Event::new("newListener");

/// Node's `'removeListener'` meta-event: emitted *after* a listener is
/// removed (also when a once listener fires), with its [`ListenerInfo`].
#[doc(alias = "removeListener")]
pub static REMOVE_LISTENER: Event<ListenerInfo> = Event::new("removeListener");

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

#[derive(Default)]
struct Inner {
    /// One slot per event name that has (or recently had) listeners.
    slots: Vec<Slot>,
    next_seq: u64,
    /// Stamps for [`Slot::order`].
    next_order: u64,
    /// Source of [`Slot::array`] values.
    next_array: u64,
    max: Option<f64>,
    hook: Option<WarningHook>,
    has_new_listener: bool,
    has_remove_listener: bool,
    /// How many live names have each bit of the name mask.
    bit_counts: BitCounts,
    /// How many slots have an empty list.
    empty: usize,
    /// Which listener table Node would be using (see [`Inner::replace_table`]).
    table: u64,
    /// `emit_error` calls running errorMonitor listeners.
    error_watchers: u32,
    /// While error watchers exist: the `'error'` listeners each replaced
    /// table held.
    frozen_error: Vec<(u64, Vec<Arc<dyn Erased>>)>,
}

struct BitCounts([u32; 64]);

impl Default for BitCounts {
    fn default() -> Self {
        BitCounts([0; 64])
    }
}

struct Slot {
    name: &'static str,
    /// The name's bit in [`Shared::names`] ([`name_bit`]).
    bit: u64,
    list: Vec<Listener>,
    /// The `Snapshot<T>` last built for this list (for the `T` last emitted).
    snapshot: Option<AnySnapshot>,
    /// Node's `existing.warned`: the warning was given for this list.
    warned: bool,
    /// When the list last went from empty to non-empty: JavaScript lists an
    /// object's keys in insertion order, and Node deletes a key whose last
    /// listener goes.
    order: u64,
    /// Which JavaScript array holds the list while it has two or more
    /// listeners (Node keeps one listener as a bare function, two or more in
    /// an array it mutates in place). See [`EventEmitter::remove_all_listeners`].
    array: u64,
    /// `remove_all_listeners` loops walking this slot's array.
    walkers: u32,
    /// While walkers exist: the content of each array at the moment it
    /// stopped being the slot's array.
    detached: Vec<(u64, Vec<ListenerId>)>,
}

impl Slot {
    /// Records that the current array stops being the list's (`before` was
    /// the length before the change; an array exists from two listeners).
    #[inline]
    fn detach(&mut self, before: usize, content: impl FnOnce(&Slot) -> Vec<ListenerId>) {
        if before >= 2 && self.list.len() <= 1 && self.walkers > 0 {
            let ids = content(self);
            self.detached.push((self.array, ids));
        }
    }

    fn ids(&self) -> Vec<ListenerId> {
        self.list.iter().map(|l| l.info().id).collect()
    }
}

/// How many slots with empty lists are kept (so their buffers are reused).
const KEEP_EMPTY: usize = 16;

impl Inner {
    fn find(&self, name: &str) -> Option<usize> {
        self.slots
            .iter()
            .position(|s| std::ptr::eq(s.name, name) || s.name == name)
    }

    fn find_live(&self, name: &str) -> Option<usize> {
        self.find(name).filter(|&i| !self.slots[i].list.is_empty())
    }

    fn has(&self, name: &str) -> bool {
        self.find_live(name).is_some()
    }

    /// How many names have listeners.
    fn live(&self) -> usize {
        self.slots.len() - self.empty
    }

    /// Node keeps listeners in a table object that `emit` reads once, and
    /// replaces the object (instead of emptying it) when its last event name
    /// goes or on `removeAllListeners()`. Only `emit('error')` can notice:
    /// its errorMonitor listeners run between the read and the use. `error`
    /// gives the `'error'` listeners the old table still holds.
    fn replace_table(&mut self, error: impl FnOnce(&mut Inner) -> Vec<Arc<dyn Erased>>) {
        if self.error_watchers > 0 {
            let held = error(self);
            self.frozen_error.push((self.table, held));
        }
        self.table += 1;
    }

    fn error_list(&mut self) -> Vec<Arc<dyn Erased>> {
        match self.find("error") {
            Some(i) => self.slots[i].list.iter_mut().map(Listener::shared).collect(),
            None => Vec::new(),
        }
    }

    /// Bookkeeping after `name`'s list went from empty to non-empty.
    fn name_added(&mut self, shared: &Shared, i: usize, was_new_slot: bool) {
        if !was_new_slot {
            self.empty -= 1;
        }
        let (name, bit) = (self.slots[i].name, self.slots[i].bit);
        self.bit_counts.0[bit.trailing_zeros() as usize] += 1;
        // Only lock holders write the mask: no read-modify-write needed.
        let mask = shared.names.load(Ordering::Relaxed);
        shared.names.store(mask | bit, Ordering::Release);
        if name == NEW_LISTENER.name() {
            self.has_new_listener = true;
        } else if name == REMOVE_LISTENER.name() {
            self.has_remove_listener = true;
        }
    }

    /// Bookkeeping after `name`'s list became empty; drops surplus empty
    /// slots into `garbage`.
    fn name_removed(&mut self, shared: &Shared, i: usize, garbage: &mut Garbage) {
        self.empty += 1;
        let (name, bit) = (self.slots[i].name, self.slots[i].bit);
        let count = &mut self.bit_counts.0[bit.trailing_zeros() as usize];
        *count -= 1;
        if *count == 0 {
            let mask = shared.names.load(Ordering::Relaxed);
            shared.names.store(mask & !bit, Ordering::Release);
        }
        if name == NEW_LISTENER.name() {
            self.has_new_listener = false;
        } else if name == REMOVE_LISTENER.name() {
            self.has_remove_listener = false;
        }
        if self.empty > KEEP_EMPTY {
            self.purge_empty(garbage);
        }
    }

    fn purge_empty(&mut self, garbage: &mut Garbage) {
        let mut i = 0;
        while i < self.slots.len() {
            // A slot being walked keeps its bookkeeping.
            if self.slots[i].list.is_empty() && self.slots[i].walkers == 0 {
                let slot = self.slots.swap_remove(i);
                garbage.snapshot(slot.snapshot);
            } else {
                i += 1;
            }
        }
        self.empty = self.slots.iter().filter(|s| s.list.is_empty()).count();
    }

    /// Recomputes everything that depends on which names have listeners
    /// (after removing many at once).
    fn names_changed(&mut self, shared: &Shared, garbage: &mut Garbage) {
        self.purge_empty(garbage);
        self.bit_counts = BitCounts::default();
        let mut mask = 0;
        for s in self.slots.iter().filter(|s| !s.list.is_empty()) {
            let bit = s.bit;
            mask |= bit;
            self.bit_counts.0[bit.trailing_zeros() as usize] += 1;
        }
        shared.names.store(mask, Ordering::Release);
        self.has_new_listener = self.has(NEW_LISTENER.name());
        self.has_remove_listener = self.has(REMOVE_LISTENER.name());
    }
}

/// What a change takes out of the emitter, dropped only after the lock is
/// released (dropping a listener may run arbitrary code, including calls on
/// this emitter).
#[derive(Default)]
struct Garbage {
    // The common case (one snapshot) without allocating.
    snapshot: Option<AnySnapshot>,
    listeners: Vec<Listener>,
    snapshots: Vec<AnySnapshot>,
}

impl Garbage {
    /// Drops the garbage (call without the lock), and sweeps the emit caches
    /// if one of the removed listeners may be held by one.
    #[inline]
    fn release(self) {
        if self.snapshot.is_none() && self.listeners.capacity() == 0 && self.snapshots.capacity() == 0 {
            // Nothing to drop (no allocation either).
            std::mem::forget(self);
            return;
        }
        self.release_slow();
    }

    #[inline(never)]
    fn release_slow(self) {
        let sweep = self.listeners.iter().any(Listener::in_snapshot);
        drop(self);
        if sweep {
            cache::released();
        }
    }

    fn snapshot(&mut self, s: Option<AnySnapshot>) {
        let Some(s) = s else { return };
        match self.snapshot {
            None => self.snapshot = Some(s),
            Some(_) => self.snapshots.push(s),
        }
    }

    fn list(&mut self, list: &mut Vec<Listener>) {
        if self.listeners.is_empty() {
            self.listeners = std::mem::take(list);
        } else {
            self.listeners.append(list);
        }
    }
}

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

    // ----- adding -----------------------------------------------------------

    /// Adds `listener` at the end of `event`'s list (`emitter.on(name, fn)`).
    /// Returns the id to remove it with [`off`](Self::off).
    ///
    /// `'newListener'` is emitted first; a warning is reported if the list
    /// grows past [`get_max_listeners`](Self::get_max_listeners).
    #[doc(alias = "addListener")]
    pub fn on<T, F>(&self, event: &Event<T>, listener: F) -> ListenerId
    where
        T: Send + Sync + 'static,
        F: Fn(&T) + Send + Sync + 'static,
    {
        self.add(event, listener, false, false)
    }

    /// Same as [`on`](Self::on) (`emitter.addListener(name, fn)`).
    #[doc(alias = "addListener")]
    pub fn add_listener<T, F>(&self, event: &Event<T>, listener: F) -> ListenerId
    where
        T: Send + Sync + 'static,
        F: Fn(&T) + Send + Sync + 'static,
    {
        self.add(event, listener, false, false)
    }

    /// Adds a listener that runs at most once: it is removed just before it
    /// runs (`emitter.once(name, fn)`).
    pub fn once<T, F>(&self, event: &Event<T>, listener: F) -> ListenerId
    where
        T: Send + Sync + 'static,
        F: Fn(&T) + Send + Sync + 'static,
    {
        self.add(event, listener, true, false)
    }

    /// Adds `listener` at the start of `event`'s list (`emitter.prependListener`).
    #[doc(alias = "prependListener")]
    pub fn prepend_listener<T, F>(&self, event: &Event<T>, listener: F) -> ListenerId
    where
        T: Send + Sync + 'static,
        F: Fn(&T) + Send + Sync + 'static,
    {
        self.add(event, listener, false, true)
    }

    /// Adds a once listener at the start of `event`'s list
    /// (`emitter.prependOnceListener`).
    #[doc(alias = "prependOnceListener")]
    pub fn prepend_once_listener<T, F>(&self, event: &Event<T>, listener: F) -> ListenerId
    where
        T: Send + Sync + 'static,
        F: Fn(&T) + Send + Sync + 'static,
    {
        self.add(event, listener, true, true)
    }

    fn add<T, F>(&self, event: &Event<T>, listener: F, once: bool, prepend: bool) -> ListenerId
    where
        T: Send + Sync + 'static,
        F: Fn(&T) + Send + Sync + 'static,
    {
        let name = event.name();
        let mut g = self.lock();
        let id = ListenerId {
            emitter: self.shared.id,
            seq: g.next_seq,
        };
        g.next_seq += 1;
        let info = ListenerInfo {
            event: name,
            id,
            once,
            as_wrapper: false,
        };
        if g.has_new_listener {
            drop(g);
            self.emit(&NEW_LISTENER, info);
            g = self.lock();
        }
        let entry = entry(info, listener);
        let max = g.max.unwrap_or_else(default_limit);
        let mut new_slot = false;
        let idx = match g.find(name) {
            Some(i) => i,
            None => {
                new_slot = true;
                g.slots.push(Slot {
                    name,
                    bit: event.bit(),
                    list: Vec::new(),
                    snapshot: None,
                    warned: false,
                    order: 0,
                    array: 0,
                    walkers: 0,
                    detached: Vec::new(),
                });
                g.slots.len() - 1
            }
        };
        let order = g.next_order;
        let slot = &mut g.slots[idx];
        let was_empty = slot.list.is_empty();
        if was_empty {
            slot.order = order;
        }
        if prepend {
            slot.list.insert(0, entry);
        } else {
            slot.list.push(entry);
        }
        let new_array = slot.list.len() == 2;
        let old_snapshot = slot.snapshot.take();
        let count = slot.list.len();
        let warning = if count >= 2 && !slot.warned && max > 0.0 && count as f64 > max {
            slot.warned = true;
            Some(MaxListenersExceededWarning {
                event: name,
                count,
                emitter_type: self.shared.type_name,
                max,
            })
        } else {
            None
        };
        if was_empty {
            g.next_order += 1;
            g.name_added(&self.shared, idx, new_slot);
        }
        if new_array {
            g.next_array += 1;
            let array = g.next_array;
            g.slots[idx].array = array;
        }
        self.bump(&g);
        let hook = warning.as_ref().and_then(|_| g.hook.clone());
        drop(g);
        drop(old_snapshot);
        if let Some(w) = warning {
            warning::report(hook, &w);
        }
        id
    }

    // ----- removing ---------------------------------------------------------

    /// Removes the listener registered as `id` from `event`
    /// (`emitter.off(name, fn)`). Returns whether it was there.
    ///
    /// `'removeListener'` is emitted after removal. An emit already running
    /// still calls it (emit works on a snapshot).
    #[doc(alias = "removeListener")]
    pub fn off<N: AsEventName + ?Sized>(&self, event: &N, id: ListenerId) -> bool {
        self.remove_id(event.event_name(), id, false)
    }

    /// Same as [`off`](Self::off) (`emitter.removeListener(name, fn)`).
    #[doc(alias = "removeListener")]
    pub fn remove_listener<N: AsEventName + ?Sized>(&self, event: &N, id: ListenerId) -> bool {
        self.remove_id(event.event_name(), id, false)
    }

    /// Removes listener `id` of `name`. `by_wrapper`: Node would call
    /// `removeListener` with the once wrapper (it fired, or
    /// `removeAllListeners` is walking the list), not the function; this
    /// decides the `'removeListener'` payload ([`ListenerInfo::as_wrapper`]).
    fn remove_id(&self, name: &str, id: ListenerId, by_wrapper: bool) -> bool {
        let mut g = self.lock();
        let Some(si) = g.find(name) else {
            return false;
        };
        let slot = &mut g.slots[si];
        let Some(pos) = slot.list.iter().position(|l| l.info().id == id) else {
            return false;
        };
        let before = slot.list.len();
        let mut removed = slot.list.remove(pos);
        slot.detach(before, Slot::ids);
        let old_snapshot = slot.snapshot.take();
        if slot.list.len() <= 1 {
            slot.warned = false;
        }
        let mut garbage = Garbage::default();
        if slot.list.is_empty() {
            let name = slot.name;
            g.name_removed(&self.shared, si, &mut garbage);
            if g.live() == 0 {
                // The old table still has this last name.
                g.replace_table(|_| {
                    if name == "error" {
                        vec![removed.shared()]
                    } else {
                        Vec::new()
                    }
                });
            }
        }
        self.bump(&g);
        let notify = g.has_remove_listener;
        drop(g);
        if notify {
            let info = removed.info();
            // Node's single-function branch passes `list.listener || listener`
            // (the function); its array branch passes what it was given.
            let as_wrapper = by_wrapper && info.once && before >= 2;
            self.emit(&REMOVE_LISTENER, ListenerInfo { as_wrapper, ..info });
        }
        // Dropped without the lock (a listener's drop may run any code).
        let sweep = removed.in_snapshot();
        drop(removed);
        drop(old_snapshot);
        garbage.release();
        if sweep {
            cache::released();
        }
        true
    }

    /// Removes every listener of the event `name`, or of every event when
    /// `name` is `None` (`emitter.removeAllListeners([name])`).
    ///
    /// As in Node, when `'removeListener'` has listeners they hear about each
    /// removal (last registered first; `'removeListener'`'s own listeners
    /// last when clearing everything).
    #[doc(alias = "removeAllListeners")]
    pub fn remove_all_listeners(&self, name: Option<&str>) {
        let mut g = self.lock();
        if !g.has_remove_listener {
            let mut garbage = Garbage::default();
            let mut changed = false;
            let error_before = if g.error_watchers > 0 {
                g.error_list()
            } else {
                Vec::new()
            };
            for slot in g.slots.iter_mut() {
                if name.is_none_or(|n| n == slot.name) && !slot.list.is_empty() {
                    let before = slot.list.len();
                    let ids = slot.ids();
                    garbage.list(&mut slot.list);
                    slot.detach(before, |_| ids);
                    garbage.snapshot(slot.snapshot.take());
                    slot.warned = false;
                    changed = true;
                }
            }
            if changed {
                g.names_changed(&self.shared, &mut garbage);
                self.bump(&g);
            }
            let error_held = |_: &mut Inner| error_before;
            match name {
                None => g.replace_table(error_held),
                Some(n) if changed && g.live() == 0 => {
                    if n == "error" {
                        g.replace_table(error_held);
                    } else {
                        g.replace_table(|_| Vec::new());
                    }
                }
                Some(_) => {}
            }
            drop(g);
            garbage.release();
            return;
        }
        drop(g);
        match name {
            None => {
                for key in self.event_names() {
                    if key != REMOVE_LISTENER.name() {
                        self.remove_all_listeners(Some(key));
                    }
                }
                self.remove_all_listeners(Some(REMOVE_LISTENER.name()));
                // Node ends with `_events = {}`: whatever the 'removeListener'
                // listeners added meanwhile goes too, silently.
                let mut g = self.lock();
                let mut garbage = Garbage::default();
                g.replace_table(Inner::error_list);
                for slot in g.slots.iter_mut() {
                    let before = slot.list.len();
                    let ids = slot.ids();
                    garbage.list(&mut slot.list);
                    slot.detach(before, |_| ids);
                    garbage.snapshot(slot.snapshot.take());
                    slot.warned = false;
                }
                g.names_changed(&self.shared, &mut garbage);
                self.bump(&g);
                drop(g);
                garbage.release();
            }
            Some(n) => self.remove_all_walking(n),
        }
    }

    /// Node's `removeAllListeners(name)` when `'removeListener'` has
    /// listeners: removes the listeners one by one from the last, walking the
    /// list's array by index while `'removeListener'` listeners run (and may
    /// change it). Node walks the live array, so an index can land on a
    /// listener added meanwhile, or (once the array was replaced) on the
    /// array's old content; this does the same. Where Node then reads past
    /// the end and throws `ERR_INVALID_ARG_TYPE`, this stops.
    fn remove_all_walking(&self, name: &str) {
        let start = {
            let mut g = self.lock();
            let Some(i) = g.find_live(name) else { return };
            let slot = &mut g.slots[i];
            match slot.list.len() {
                1 => Err(slot.list[0].info().id),
                len => {
                    slot.walkers += 1;
                    Ok((slot.array, len))
                }
            }
        };
        let (array, len) = match start {
            Err(only) => {
                self.remove_id(name, only, true);
                return;
            }
            Ok(walk) => walk,
        };
        // If a 'removeListener' listener panics, stop walking on the way out.
        let unwalk = move |g: &mut Inner| {
            if let Some(si) = g.find(name) {
                let slot = &mut g.slots[si];
                slot.walkers = slot.walkers.saturating_sub(1);
                if slot.walkers == 0 {
                    slot.detached = Vec::new();
                }
            }
            Vec::new()
        };
        let guard = Unwind(self, unwalk);
        let mut frozen: Option<Vec<ListenerId>> = None;
        for i in (0..len).rev() {
            let id = {
                let g = self.lock();
                let slot = g.find(name).map(|si| &g.slots[si]);
                if frozen.is_none() {
                    match slot {
                        Some(s) if s.array == array && s.list.len() >= 2 => {
                            s.list.get(i).map(|l| l.info().id)
                        }
                        _ => {
                            let content = slot
                                .and_then(|s| s.detached.iter().find(|(a, _)| *a == array))
                                .map(|(_, ids)| ids.clone())
                                .unwrap_or_default();
                            frozen = Some(content);
                            frozen.as_ref().and_then(|f| f.get(i).copied())
                        }
                    }
                } else {
                    frozen.as_ref().and_then(|f| f.get(i).copied())
                }
            };
            match id {
                Some(id) => {
                    self.remove_id(name, id, true);
                }
                None => break,
            }
        }
        guard.disarm();
        unwalk(&mut self.lock());
    }

    // ----- emitting ---------------------------------------------------------

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
    fn emit_error_or_panic<T: Send + Sync + 'static>(&self, event: &Event<T>, payload: T) -> bool {
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
    fn emit_error_monitored<E: Send + Sync + 'static>(&self, monitor: &Event<E>, error: &E) -> Option<bool> {
        let table = {
            let mut g = self.lock();
            if !g.has(ERROR_MONITOR_NAME) {
                return None;
            }
            g.error_watchers += 1;
            g.table
        };
        {
            // If a monitor panics, stop watching on the way out.
            let guard = Unwind(self, |g: &mut Inner| {
                g.error_watchers -= 1;
                if g.error_watchers == 0 {
                    let held = std::mem::take(&mut g.frozen_error);
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
            g.error_watchers -= 1;
            let held = (g.table != table).then(|| {
                g.frozen_error
                    .iter()
                    .find(|(t, _)| *t == table)
                    .map(|(_, l)| l.clone())
                    .unwrap_or_default()
            });
            let garbage = if g.error_watchers == 0 {
                std::mem::take(&mut g.frozen_error)
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
    fn emit_ref<T: Send + Sync + 'static>(&self, event: &Event<T>, payload: &T) -> bool {
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
    fn emit_miss<T: Send + Sync + 'static>(&self, name: &'static str, payload: &T) -> bool {
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
    fn emit_slow<T: Send + Sync + 'static>(
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
            g.name_removed(&self.shared, i, &mut garbage);
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
    fn call<T: 'static>(&self, typed: &Snapshot<T>, payload: &T) -> bool {
        if !typed.has_once {
            for l in typed.items.iter() {
                (l.f)(payload);
            }
            return typed.any;
        }
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

    // ----- introspection ----------------------------------------------------

    /// How many listeners `event` has (`emitter.listenerCount(name)`).
    #[doc(alias = "listenerCount")]
    pub fn listener_count<N: AsEventName + ?Sized>(&self, event: &N) -> usize {
        let g = self.lock();
        g.find(event.event_name()).map_or(0, |i| g.slots[i].list.len())
    }

    /// How many of `event`'s listeners are the registration `listener`
    /// (`emitter.listenerCount(name, listener)`): 1 or 0, since every
    /// registration has its own [`ListenerId`]. A once listener counts by its
    /// id, as Node counts a once wrapper by the function inside it.
    ///
    /// ```
    /// use rt_events::{Event, EventEmitter};
    /// static TICK: Event<u32> = Event::new("tick");
    /// let e = EventEmitter::new();
    /// let id = e.once(&TICK, |_| {});
    /// e.on(&TICK, |_| {});
    /// assert_eq!(e.listener_count_of(&TICK, id), 1);
    /// assert_eq!(e.listener_count(&TICK), 2);
    /// e.emit(&TICK, 1);
    /// assert_eq!(e.listener_count_of(&TICK, id), 0);
    /// ```
    #[doc(alias = "listenerCount")]
    pub fn listener_count_of<N: AsEventName + ?Sized>(&self, event: &N, listener: ListenerId) -> usize {
        let g = self.lock();
        g.find(event.event_name()).map_or(0, |i| {
            g.slots[i].list.iter().filter(|l| l.info().id == listener).count()
        })
    }

    /// The ids of `event`'s listeners, in call order (`emitter.listeners(name)`).
    pub fn listeners<N: AsEventName + ?Sized>(&self, event: &N) -> Vec<ListenerId> {
        self.raw_listeners(event).into_iter().map(|l| l.id).collect()
    }

    /// `event`'s listeners with their kind, in call order
    /// (`emitter.rawListeners(name)`, where once listeners show as wrappers:
    /// here `once == true`).
    #[doc(alias = "rawListeners")]
    pub fn raw_listeners<N: AsEventName + ?Sized>(&self, event: &N) -> Vec<ListenerInfo> {
        let g = self.lock();
        g.find(event.event_name()).map_or_else(Vec::new, |i| {
            g.slots[i]
                .list
                .iter()
                .map(|l| ListenerInfo {
                    as_wrapper: l.info().once,
                    ..l.info()
                })
                .collect()
        })
    }

    /// The names of the events that have listeners, in Node's order
    /// (`emitter.eventNames()`: integer-like names ascending, then other
    /// names in the order they got their first listener, then
    /// [`errorMonitor`](Event::error_monitor)).
    #[doc(alias = "eventNames")]
    pub fn event_names(&self) -> Vec<&'static str> {
        let mut live: Vec<(u64, &'static str)> = {
            let g = self.lock();
            g.slots
                .iter()
                .filter(|s| !s.list.is_empty())
                .map(|s| (s.order, s.name))
                .collect()
        };
        live.sort_unstable_by_key(|&(order, _)| order);
        let mut index: Vec<(u32, &'static str)> = live
            .iter()
            .filter_map(|&(_, n)| array_index(n).map(|i| (i, n)))
            .collect();
        index.sort_unstable();
        let mut out: Vec<&'static str> = index.into_iter().map(|(_, n)| n).collect();
        out.extend(
            live.iter()
                .map(|&(_, n)| n)
                .filter(|n| array_index(n).is_none() && *n != ERROR_MONITOR_NAME),
        );
        out.extend(live.iter().map(|&(_, n)| n).filter(|n| *n == ERROR_MONITOR_NAME));
        out
    }

    // ----- max listeners ----------------------------------------------------

    /// Sets this emitter's listener limit per event (`emitter.setMaxListeners(n)`);
    /// `0` means unlimited. Returns `self` for chaining.
    #[doc(alias = "setMaxListeners")]
    pub fn set_max_listeners(&self, n: usize) -> &Self {
        self.lock().max = Some(n as f64);
        self
    }

    /// Sets the limit from a JavaScript-style number, as Node does:
    /// `f64::INFINITY` and `0.0` mean unlimited, and a negative or NaN value is
    /// rejected with `ERR_OUT_OF_RANGE`
    /// (`The value of "setMaxListeners" is out of range. It must be >= 0. Received -1`).
    #[doc(alias = "setMaxListeners")]
    pub fn try_set_max_listeners(&self, n: f64) -> Result<&Self, OutOfRangeError> {
        let n = check_limit("setMaxListeners", n)?;
        self.lock().max = Some(n);
        Ok(self)
    }

    /// This emitter's limit (`emitter.getMaxListeners()`): its own, or the
    /// process-wide [`default_max_listeners`](crate::default_max_listeners).
    /// An infinite limit reads as `usize::MAX`.
    #[doc(alias = "getMaxListeners")]
    pub fn get_max_listeners(&self) -> usize {
        limit_to_usize(self.lock().max.unwrap_or_else(default_limit))
    }

    /// Sends this emitter's max-listener warnings to `hook` instead of the
    /// process-wide hook ([`set_warning_hook`](crate::set_warning_hook)).
    pub fn set_warning_hook(&self, hook: impl Fn(&MaxListenersExceededWarning) + Send + Sync + 'static) {
        self.lock().hook = Some(Arc::new(hook));
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

/// `Some(i)` if `name` is a canonical array index ("0", "17", not "01"),
/// which JavaScript lists first, in numeric order.
fn array_index(name: &str) -> Option<u32> {
    if name.is_empty() || name.len() > 10 || (name.len() > 1 && name.starts_with('0')) {
        return None;
    }
    if !name.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let v: u64 = name.parse().ok()?;
    (v < u64::from(u32::MAX)).then_some(v as u32)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex as StdMutex;

    static A: Event<u32> = Event::new("a");

    #[test]
    fn array_indices() {
        assert_eq!(array_index("0"), Some(0));
        assert_eq!(array_index("10"), Some(10));
        assert_eq!(array_index("4294967294"), Some(4_294_967_294));
        assert_eq!(array_index("4294967295"), None);
        assert_eq!(array_index("01"), None);
        assert_eq!(array_index("-1"), None);
        assert_eq!(array_index("a"), None);
        assert_eq!(array_index(""), None);
    }

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
