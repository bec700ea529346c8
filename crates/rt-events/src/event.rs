//! Typed event keys: [`Event<T>`] pairs a Node event name with its payload type.

use std::fmt;
use std::marker::PhantomData;

/// The name Node prints for `events.errorMonitor` (`String(errorMonitor)`).
///
/// Listeners registered under this name (see [`Event::error_monitor`]) see every
/// `'error'` emission before the `'error'` listeners run, without handling it.
pub const ERROR_MONITOR_NAME: &str = "Symbol(events.errorMonitor)";

/// A typed event key: the event's name (a string, as in Node) and the type of
/// its payload.
///
/// Mirrors the string passed to `emitter.on(name, ...)` in Node. The payload
/// type is checked at compile time: a listener for `Event<T>` receives `&T`,
/// and [`EventEmitter::emit`](crate::EventEmitter::emit) only accepts a `T`.
///
/// Keys are usually statics:
///
/// ```
/// use rt_events::Event;
/// pub static WAKE: Event<String> = Event::new("wake");
/// assert_eq!(WAKE.name(), "wake");
/// ```
///
/// Emitting a payload of another type does not compile:
///
/// ```compile_fail
/// use rt_events::{Event, EventEmitter};
/// static WAKE: Event<String> = Event::new("wake");
/// let e = EventEmitter::new();
/// e.emit(&WAKE, 6); // expected `String`, found integer
/// ```
///
/// and neither does a listener for another type:
///
/// ```compile_fail
/// use rt_events::{Event, EventEmitter};
/// static WAKE: Event<String> = Event::new("wake");
/// let e = EventEmitter::new();
/// e.on(&WAKE, |n: &u32| println!("{n}"));
/// ```
///
/// Two keys with the same name address the same event (names are what Node
/// compares). If they carry different payload types, a listener only runs for
/// payloads of its own type.
pub struct Event<T> {
    name: &'static str,
    kind: Kind,
    /// One bit chosen by a hash of the name: emitters keep the union of the
    /// bits of their names, so emitting a name nobody listens to is one load.
    bit: u64,
    _payload: PhantomData<fn(&T)>,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Kind {
    Plain,
    Error,
    ErrorMonitor,
}

const fn str_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// The name's bit in an emitter's name mask (FNV-1a of the bytes, mod 64).
pub(crate) const fn name_bit(name: &str) -> u64 {
    let b = name.as_bytes();
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut i = 0;
    while i < b.len() {
        h ^= b[i] as u64;
        h = h.wrapping_mul(0x100_0000_01b3);
        i += 1;
    }
    1u64 << (h % 64)
}

impl<T> Event<T> {
    /// A key for the event called `name` carrying a `T`.
    pub const fn new(name: &'static str) -> Self {
        let kind = if str_eq(name, "error") {
            Kind::Error
        } else if str_eq(name, ERROR_MONITOR_NAME) {
            Kind::ErrorMonitor
        } else {
            Kind::Plain
        };
        Event {
            name,
            kind,
            bit: name_bit(name),
            _payload: PhantomData,
        }
    }

    /// The key of Node's `events.errorMonitor` for errors of type `T`.
    ///
    /// Its listeners run before the `'error'` listeners whenever an `'error'`
    /// event is emitted, and do not count as handling it (Node's
    /// `emitter.on(events.errorMonitor, ...)`).
    #[doc(alias = "errorMonitor")]
    pub const fn error_monitor() -> Self {
        Event::new(ERROR_MONITOR_NAME)
    }

    /// The event's name, as Node would spell it.
    pub const fn name(&self) -> &'static str {
        self.name
    }

    /// Whether this is the `'error'` event (special in Node: emitting it with
    /// no listener throws).
    pub const fn is_error(&self) -> bool {
        matches!(self.kind, Kind::Error)
    }

    pub(crate) const fn kind(&self) -> Kind {
        self.kind
    }

    #[inline]
    pub(crate) const fn bit(&self) -> u64 {
        self.bit
    }
}

impl<T> Clone for Event<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Event<T> {}

impl<T> fmt::Debug for Event<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Event")
            .field("name", &self.name)
            .field("payload", &std::any::type_name::<T>())
            .finish()
    }
}

/// Anything that names an event: a `str`, a `String` or an [`Event<T>`].
///
/// Used by the introspection methods (`listener_count`, `listeners`, ...),
/// which, as in Node, work on names.
pub trait AsEventName {
    /// The event name.
    fn event_name(&self) -> &str;
}

impl AsEventName for str {
    fn event_name(&self) -> &str {
        self
    }
}

impl AsEventName for &str {
    fn event_name(&self) -> &str {
        self
    }
}

impl AsEventName for String {
    fn event_name(&self) -> &str {
        self
    }
}

impl<T> AsEventName for Event<T> {
    fn event_name(&self) -> &str {
        self.name
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    static DATA: Event<Vec<u8>> = Event::new("data");
    static ERR: Event<String> = Event::new("error");

    #[test]
    fn names_and_kinds() {
        assert_eq!(DATA.name(), "data");
        assert!(!DATA.is_error());
        assert!(ERR.is_error());
        assert_eq!(Event::<u8>::error_monitor().kind(), Kind::ErrorMonitor);
        assert_eq!(Event::<u8>::new("errors").kind(), Kind::Plain);
        assert_eq!(Event::<u8>::new("erro").kind(), Kind::Plain);
        assert_eq!(DATA.event_name(), "data");
        assert_eq!("x".event_name(), "x");
        assert!(format!("{DATA:?}").contains("data"));
        assert_eq!(DATA.bit(), name_bit(&String::from("data")));
        assert_eq!(DATA.bit().count_ones(), 1);
    }
}
