//! The [`Emitter`] trait: how a type *is* an emitter, by composition.

use crate::EventEmitter;
use crate::error::UnhandledError;
use crate::event::{AsEventName, Event};
use crate::listener::{ListenerId, ListenerInfo};

/// A type that is an event emitter (Node: a subclass of `EventEmitter`).
///
/// Implement [`emitter`](Self::emitter) to return the [`EventEmitter`] the
/// type holds; every other method is provided and forwards to it, so
/// `socket.on(&DATA, |b| ...)` works on the type itself.
///
/// ```
/// use rt_events::{Emitter, Event, EventEmitter};
///
/// static TICK: Event<u64> = Event::new("tick");
///
/// struct Clock { events: EventEmitter }
/// impl Emitter for Clock {
///     fn emitter(&self) -> &EventEmitter { &self.events }
/// }
///
/// let clock = Clock { events: EventEmitter::with_type_name("Clock") };
/// clock.on(&TICK, |n| assert_eq!(*n, 1));
/// assert!(clock.emit(&TICK, 1));
/// ```
pub trait Emitter {
    /// The emitter this value delegates to.
    fn emitter(&self) -> &EventEmitter;

    /// [`EventEmitter::on`].
    #[doc(alias = "addListener")]
    fn on<T, F>(&self, event: &Event<T>, listener: F) -> ListenerId
    where
        T: Send + Sync + 'static,
        F: Fn(&T) + Send + Sync + 'static,
    {
        self.emitter().on(event, listener)
    }

    /// [`EventEmitter::add_listener`].
    fn add_listener<T, F>(&self, event: &Event<T>, listener: F) -> ListenerId
    where
        T: Send + Sync + 'static,
        F: Fn(&T) + Send + Sync + 'static,
    {
        self.emitter().add_listener(event, listener)
    }

    /// [`EventEmitter::once`].
    fn once<T, F>(&self, event: &Event<T>, listener: F) -> ListenerId
    where
        T: Send + Sync + 'static,
        F: Fn(&T) + Send + Sync + 'static,
    {
        self.emitter().once(event, listener)
    }

    /// [`EventEmitter::prepend_listener`].
    #[doc(alias = "prependListener")]
    fn prepend_listener<T, F>(&self, event: &Event<T>, listener: F) -> ListenerId
    where
        T: Send + Sync + 'static,
        F: Fn(&T) + Send + Sync + 'static,
    {
        self.emitter().prepend_listener(event, listener)
    }

    /// [`EventEmitter::prepend_once_listener`].
    #[doc(alias = "prependOnceListener")]
    fn prepend_once_listener<T, F>(&self, event: &Event<T>, listener: F) -> ListenerId
    where
        T: Send + Sync + 'static,
        F: Fn(&T) + Send + Sync + 'static,
    {
        self.emitter().prepend_once_listener(event, listener)
    }

    /// [`EventEmitter::off`].
    #[doc(alias = "removeListener")]
    fn off<N: AsEventName + ?Sized>(&self, event: &N, id: ListenerId) -> bool {
        self.emitter().off(event, id)
    }

    /// [`EventEmitter::remove_listener`].
    fn remove_listener<N: AsEventName + ?Sized>(&self, event: &N, id: ListenerId) -> bool {
        self.emitter().remove_listener(event, id)
    }

    /// [`EventEmitter::remove_all_listeners`].
    #[doc(alias = "removeAllListeners")]
    fn remove_all_listeners(&self, name: Option<&str>) {
        self.emitter().remove_all_listeners(name)
    }

    /// [`EventEmitter::emit`].
    fn emit<T: Send + Sync + 'static>(&self, event: &Event<T>, payload: T) -> bool {
        self.emitter().emit(event, payload)
    }

    /// [`EventEmitter::emit_error`].
    fn emit_error<E: Send + Sync + 'static>(
        &self,
        event: &Event<E>,
        error: E,
    ) -> Result<(), UnhandledError<E>> {
        self.emitter().emit_error(event, error)
    }

    /// [`EventEmitter::listener_count`].
    #[doc(alias = "listenerCount")]
    fn listener_count<N: AsEventName + ?Sized>(&self, event: &N) -> usize {
        self.emitter().listener_count(event)
    }

    /// [`EventEmitter::listener_count_of`].
    #[doc(alias = "listenerCount")]
    fn listener_count_of<N: AsEventName + ?Sized>(&self, event: &N, listener: ListenerId) -> usize {
        self.emitter().listener_count_of(event, listener)
    }

    /// [`EventEmitter::listeners`].
    fn listeners<N: AsEventName + ?Sized>(&self, event: &N) -> Vec<ListenerId> {
        self.emitter().listeners(event)
    }

    /// [`EventEmitter::raw_listeners`].
    #[doc(alias = "rawListeners")]
    fn raw_listeners<N: AsEventName + ?Sized>(&self, event: &N) -> Vec<ListenerInfo> {
        self.emitter().raw_listeners(event)
    }

    /// [`EventEmitter::event_names`].
    #[doc(alias = "eventNames")]
    fn event_names(&self) -> Vec<&'static str> {
        self.emitter().event_names()
    }

    /// [`EventEmitter::set_max_listeners`].
    #[doc(alias = "setMaxListeners")]
    fn set_max_listeners(&self, n: usize) {
        self.emitter().set_max_listeners(n);
    }

    /// [`EventEmitter::get_max_listeners`].
    #[doc(alias = "getMaxListeners")]
    fn get_max_listeners(&self) -> usize {
        self.emitter().get_max_listeners()
    }
}

impl Emitter for EventEmitter {
    fn emitter(&self) -> &EventEmitter {
        self
    }
}

impl<E: Emitter + ?Sized> Emitter for std::sync::Arc<E> {
    fn emitter(&self) -> &EventEmitter {
        (**self).emitter()
    }
}

impl<E: Emitter + ?Sized> Emitter for &E {
    fn emitter(&self) -> &EventEmitter {
        (**self).emitter()
    }
}
