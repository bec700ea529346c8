//! Looking at an emitter: listener counts and lists, event names, and the
//! max-listeners limit.

use std::sync::Arc;

use super::EventEmitter;
use super::js_array::key_order;
use crate::error::OutOfRangeError;
use crate::event::{AsEventName, ERROR_MONITOR_NAME};
use crate::listener::{ListenerId, ListenerInfo};
use crate::warning::{MaxListenersExceededWarning, check_limit, default_limit, limit_to_usize};

impl EventEmitter {
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
    /// [`errorMonitor`](crate::Event::error_monitor)).
    #[doc(alias = "eventNames")]
    pub fn event_names(&self) -> Vec<&'static str> {
        let live: Vec<(u64, &'static str)> = {
            let g = self.lock();
            g.slots
                .iter()
                .filter(|s| !s.list.is_empty())
                .map(|s| (s.order, s.name))
                .collect()
        };
        key_order(live, ERROR_MONITOR_NAME)
    }

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
