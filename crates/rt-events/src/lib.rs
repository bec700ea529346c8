//! # rt-events — Node.js's `events` module, in Rust
//!
//! [`EventEmitter`] with Node v20's semantics, typed events, and the
//! `events.once` / `events.on` helpers as a future and an async stream.
//!
//! - **Typed events.** An [`Event<T>`] is a name (a string, as in Node) and a
//!   payload type. `emitter.emit(&DATA, payload)` only compiles with a `T`;
//!   listeners get `&T` (the payload is moved in once, never cloned).
//! - **Node's rules.** Listeners run synchronously, in registration order, on
//!   a snapshot of the list; once listeners are removed before they run;
//!   `'newListener'` fires before an add and `'removeListener'` after a
//!   removal; an `'error'` nobody listens to comes back to the caller as an
//!   [`UnhandledError`] (`ERR_UNHANDLED_ERROR`); the max-listeners warning
//!   carries Node's text. A differential test checks all of this against
//!   `node` itself.
//! - **Shared and re-entrant.** An emitter is a cheap `Clone` handle, `Send +
//!   Sync`. No lock is held while a listener runs, so listeners may emit, add
//!   and remove on the same emitter from any thread; a panicking listener
//!   unwinds into the caller of `emit` (as a throw does in Node) and the
//!   emitter keeps working.
//! - **Being an emitter.** A type that holds an `EventEmitter` implements
//!   [`Emitter`] (one method) and gets `on`, `once`, `emit`, ... on itself.
//!
//! ## Node API → rt
//!
//! | Node (`events`)                              | rt-events                                          |
//! |----------------------------------------------|----------------------------------------------------|
//! | `new EventEmitter()`                         | [`EventEmitter::new`], [`EventEmitter::with_type_name`] |
//! | `'name'` (a string)                          | `static NAME: Event<T> = Event::new("name")`       |
//! | `emitter.on` / `addListener`                 | [`EventEmitter::on`] / [`add_listener`](EventEmitter::add_listener) → [`ListenerId`] |
//! | `emitter.once`                               | [`EventEmitter::once`]                             |
//! | `prependListener` / `prependOnceListener`    | [`prepend_listener`](EventEmitter::prepend_listener) / [`prepend_once_listener`](EventEmitter::prepend_once_listener) |
//! | `emitter.off` / `removeListener`             | [`EventEmitter::off`] / [`remove_listener`](EventEmitter::remove_listener) (by id) |
//! | `removeAllListeners([name])`                 | [`remove_all_listeners(Option<&str>)`](EventEmitter::remove_all_listeners) |
//! | `emitter.emit(name, ...args)`                | [`EventEmitter::emit`] → `bool`                    |
//! | `emitter.emit('error', err)` (throws if unheard) | [`EventEmitter::emit_error`] → `Result<(), UnhandledError<E>>` |
//! | `events.errorMonitor`                        | [`Event::error_monitor`]                           |
//! | `listenerCount(name[, listener])` / `listeners` / `rawListeners` / `eventNames` | [`listener_count`](EventEmitter::listener_count) (+ [`listener_count_of`](EventEmitter::listener_count_of)) / [`listeners`](EventEmitter::listeners) / [`raw_listeners`](EventEmitter::raw_listeners) / [`event_names`](EventEmitter::event_names) |
//! | `setMaxListeners` / `getMaxListeners`        | [`set_max_listeners`](EventEmitter::set_max_listeners) (+ [`try_set_max_listeners`](EventEmitter::try_set_max_listeners) for JS numbers) / [`get_max_listeners`](EventEmitter::get_max_listeners) |
//! | `events.defaultMaxListeners`                 | [`default_max_listeners`], [`set_default_max_listeners`], [`try_set_default_max_listeners`] |
//! | `'newListener'` / `'removeListener'`         | [`NEW_LISTENER`] / [`REMOVE_LISTENER`] (payload [`ListenerInfo`]) |
//! | `MaxListenersExceededWarning`, `process.on('warning')` | [`MaxListenersExceededWarning`], [`set_warning_hook`], [`EventEmitter::set_warning_hook`] |
//! | `await events.once(emitter, name)`           | [`once`]`(&emitter, &EVENT)`[`.or_error(&ERROR)`](Once::or_error)`.await` |
//! | `for await (const x of events.on(emitter, name))` | [`on`]`(&emitter, &EVENT)` — a [`futures_core::Stream`] |
//! | `class Socket extends EventEmitter`          | `impl Emitter for Socket` ([`Emitter`])            |
//!
//! ## Example
//!
//! ```js
//! const EventEmitter = require('events');
//! const emitter = new EventEmitter();
//! emitter.on('wake', time => console.log(`up at ${time}`));
//! emitter.once('wake', () => console.log('first wake only'));
//! emitter.emit('wake', '6:00');                       // true
//! try { emitter.emit('error', new Error('boom')); } catch (e) { /* unheard error */ }
//! ```
//!
//! ```
//! use rt_events::{Event, EventEmitter};
//!
//! static WAKE: Event<String> = Event::new("wake");
//! static ERROR: Event<std::io::Error> = Event::new("error");
//!
//! let emitter = EventEmitter::new();
//! emitter.on(&WAKE, |time| println!("up at {time}"));
//! emitter.once(&WAKE, |_| println!("first wake only"));
//! assert!(emitter.emit(&WAKE, "6:00".to_string()));
//! assert_eq!(emitter.listener_count(&WAKE), 1);
//!
//! let unheard = emitter.emit_error(&ERROR, std::io::Error::other("boom"));
//! assert_eq!(unheard.unwrap_err().code(), "ERR_UNHANDLED_ERROR");
//! ```
//!
//! ## Differences from Node, by design
//!
//! - **Listener identity.** Closures have none, so `on` returns a
//!   [`ListenerId`] and `off` takes it (Node compares function objects).
//!   `'newListener'` / `'removeListener'` carry a [`ListenerInfo`] (event,
//!   id, whether it is a once listener, and whether Node would pass the
//!   once wrapper rather than the function) where Node passes the function.
//! - **One payload.** Node passes `...args`; an event here carries one typed
//!   value (a tuple or struct when there are several).
//! - **Unheard errors.** [`emit_error`](EventEmitter::emit_error) returns
//!   `Err(UnhandledError)` where Node throws; plain [`emit`](EventEmitter::emit)
//!   of an `"error"` event nobody listens to panics, as an uncaught throw ends
//!   a Node program.
//! - **Limits are numbers.** [`get_max_listeners`](EventEmitter::get_max_listeners)
//!   returns a `usize` (a fractional limit set through
//!   [`try_set_max_listeners`](EventEmitter::try_set_max_listeners) reads
//!   rounded down, which compares with whole counts the same way; infinity
//!   reads as `usize::MAX`). The warning text shows the limit as Node does.
//! - **Warnings** go to [`set_warning_hook`] (process-wide) or
//!   [`EventEmitter::set_warning_hook`]; the default prints
//!   `(rt:<pid>) MaxListenersExceededWarning: ...` to stderr.
//! - **Same name, other type.** Two `Event<T>` keys with one name are one
//!   event (as in Node); a listener only runs for payloads of its own type,
//!   and `emit` reports whether the name had any listener.
//!
//! Everything else, including Node's corner cases (a once listener removed
//! by an earlier listener of the same emit still runs; `removeAllListeners`
//! walking an array that its `'removeListener'` listeners change; the
//! listener table `emit('error')` keeps using after an errorMonitor emptied
//! the emitter), is checked against `node` by the crate's differential test.
//!
//! ## How it is fast
//!
//! An emitter keeps, per event name, a list of type-erased listeners behind
//! a lock that is never held while user code runs. A listener starts as an
//! owned closure (no allocation at all if it captures nothing); the first
//! emit that sees it moves it into a shared entry that snapshots can hold.
//! An emit works on an immutable snapshot of the list for its payload type,
//! built on the first emit after a change and kept until the next one
//! (copy-on-write), so listeners added or removed during an emit wait for
//! the next emit, as in Node.
//!
//! An atomic read-modify-write (an uncontended lock, an `Arc` clone) costs
//! about 6 ns on the machines this was measured on, about V8's whole
//! inlined `emit`. So the read path has none:
//!
//! - every change bumps the emitter's version; a per-thread cache maps
//!   `(emitter, version, event name)` to the snapshot, which an emit borrows
//!   in place and calls: a repeated emit takes no lock and does no atomic
//!   read-modify-write. The payload type is checked once per emit (one
//!   `TypeId` comparison on the snapshot), not per listener, and each
//!   listener is one indirect call;
//! - each emitter keeps a 64-bit mask of the (hashed) names that have
//!   listeners, so emitting an event nobody listens to is one load;
//! - a once listener that comes first in its list (the `once` + `emit`
//!   pattern, every [`once`] future) is claimed and removed under the same
//!   lock that snapshots the rest, with no snapshot to build when alone.
//!
//! An atomically swapped snapshot (arc-swap's `load`) was not used: its
//! read marks a debt slot with a sequentially consistent store and clears
//! it with a compare-exchange, two read-modify-writes per emit where the
//! per-thread cache has none.
//!
//! The price of the cache: a removed listener's closure can outlive its
//! removal inside another thread's cache. Removing a listener that an emit
//! has seen, or dropping an emitter, makes each thread sweep its cache at its
//! next emit (the removing thread sweeps at once), so only a thread that
//! never emits again keeps its stale snapshots (at most eight) until it
//! exits.
//!
//! Adding and removing a listener each take the lock once. The lock is a
//! spin lock that yields the thread while it waits (the `spin` crate): taking
//! it is one atomic read-modify-write and releasing it a plain store, half
//! of a `std::sync::Mutex` round; it only guards short bookkeeping. `cargo
//! xtask bench events` compares all of it with Node's `EventEmitter`, and
//! `examples/profile_emit.rs` runs each figure under callgrind.
#![forbid(unsafe_code)]

mod cache;
mod emitter;
mod emitter_trait;
mod error;
mod event;
mod listener;
mod on;
mod once;
mod warning;

pub use emitter::EventEmitter;
pub use emitter_trait::Emitter;
pub use error::{OutOfRangeError, UnhandledError};
pub use event::{AsEventName, ERROR_MONITOR_NAME, Event};
pub use listener::{ListenerId, ListenerInfo, NEW_LISTENER, REMOVE_LISTENER};
pub use on::{On, on};
pub use once::{Once, once};
pub use warning::{
    MaxListenersExceededWarning, WarningHook, default_max_listeners, reset_warning_hook,
    set_default_max_listeners, set_warning_hook, try_set_default_max_listeners,
};
