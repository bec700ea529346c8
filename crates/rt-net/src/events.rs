//! The events of sockets and servers, as typed rt-events keys.
//!
//! Node's event names, one static each. A socket's `'close'` carries
//! `had_error` ([`CLOSE`]); a server's `'close'` carries nothing
//! ([`SERVER_CLOSE`]).

use rt_buffer::Buffer;
use rt_events::Event;

use crate::address::DropInfo;
use crate::error::Error;
use crate::lookup::LookupInfo;
use crate::socket::Socket;

/// Socket: the connection is established (Node: `'connect'`).
pub static CONNECT: Event<()> = Event::new("connect");
/// Socket: ready to be used, right after `'connect'` (Node: `'ready'`).
pub static READY: Event<()> = Event::new("ready");
/// Socket: data arrived (Node: `'data'`). After `set_encoding` the buffer
/// holds the decoded text as UTF-8.
pub static DATA: Event<Buffer> = Event::new("data");
/// Socket: the peer ended its side (Node: `'end'`).
pub static END: Event<()> = Event::new("end");
/// Socket: our side is ended and flushed (Node: `'finish'`).
pub static FINISH: Event<()> = Event::new("finish");
/// Socket: fully closed; `true` if because of an error (Node: `'close'`).
pub static CLOSE: Event<bool> = Event::new("close");
/// Socket or server: an error (Node: `'error'`).
pub static ERROR: Event<Error> = Event::new("error");
/// Socket: idle for the time given to `set_timeout` (Node: `'timeout'`).
pub static TIMEOUT: Event<()> = Event::new("timeout");
/// Socket: the write buffer emptied after `write` returned `false` (Node: `'drain'`).
pub static DRAIN: Event<()> = Event::new("drain");
/// Socket: the host name was resolved, before connecting (Node: `'lookup'`).
pub static LOOKUP: Event<LookupInfo> = Event::new("lookup");

/// Server: bound and accepting (Node: `'listening'`).
pub static LISTENING: Event<()> = Event::new("listening");
/// Server: a new connection (Node: `'connection'`).
pub static CONNECTION: Event<Socket> = Event::new("connection");
/// Server: closed, and every connection has ended (Node: `'close'`).
pub static SERVER_CLOSE: Event<()> = Event::new("close");
/// Server: a connection was refused because of `max_connections` (Node: `'drop'`).
pub static DROP: Event<DropInfo> = Event::new("drop");
