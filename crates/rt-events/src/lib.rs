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
//! | `listenerCount` / `listeners` / `rawListeners` / `eventNames` | [`listener_count`](EventEmitter::listener_count) / [`listeners`](EventEmitter::listeners) / [`raw_listeners`](EventEmitter::raw_listeners) / [`event_names`](EventEmitter::event_names) |
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

pub use emitter::{EventEmitter, NEW_LISTENER, REMOVE_LISTENER};
pub use emitter_trait::Emitter;
pub use error::{OutOfRangeError, UnhandledError};
pub use event::{AsEventName, ERROR_MONITOR_NAME, Event};
pub use listener::{ListenerId, ListenerInfo};
pub use on::{On, on};
pub use once::{Once, once};
pub use warning::{
    MaxListenersExceededWarning, WarningHook, default_max_listeners, reset_warning_hook,
    set_default_max_listeners, set_warning_hook, try_set_default_max_listeners,
};
