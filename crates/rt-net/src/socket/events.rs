//! A socket's events as typed rt-events keys: its own (`'connect'`,
//! `'ready'`, `'lookup'`, `'timeout'`, `'close'(had_error)`, `'error'`) and
//! the stream's, which are rt-stream's own keys (a socket's emitter is its
//! stream's). Re-exported with the server's in [`crate::events`].

use rt_events::Event;

use crate::lookup::LookupInfo;

/// Socket or server: an error, with its code, errno, syscall, address and
/// port (Node: `'error'`); the stream's key, so a socket's stream errors
/// reach it.
pub use rt_stream::events::ERROR;
pub use rt_stream::events::{DATA, DRAIN, END, FINISH};

/// Socket: the connection is established (Node: `'connect'`).
pub static CONNECT: Event<()> = Event::new("connect");
/// Socket: ready to be used, right after `'connect'` (Node: `'ready'`).
pub static READY: Event<()> = Event::new("ready");
/// Socket: fully closed; `true` if because of an error (Node: `'close'`).
pub static CLOSE: Event<bool> = Event::new("close");
/// Socket: idle for the time given to `set_timeout` (Node: `'timeout'`).
pub static TIMEOUT: Event<()> = Event::new("timeout");
/// Socket: the host name was resolved, before connecting (Node: `'lookup'`).
pub static LOOKUP: Event<LookupInfo> = Event::new("lookup");
