//! Per-message timeouts on the server (`req.setTimeout`, `res.setTimeout`):
//! what a request or response knows of its connection's idle timer, and
//! how it is told that the timer fired. A leaf: the connection
//! implements [`ConnTimeout`], the messages implement [`Hear`].

use std::time::Duration;

use rt_events::Event;

/// `'timeout'` on a server's `IncomingMessage` or `ServerResponse`: the
/// connection was idle for its timeout (set by
/// [`IncomingMessage::set_timeout`](crate::IncomingMessage::set_timeout),
/// [`ServerResponse::set_timeout`](crate::ServerResponse::set_timeout),
/// `server.timeout` or the connection's own). Node's `socketOnTimeout`
/// tells the request being received (while not complete), then the
/// response being sent, then the server; the connection is destroyed only
/// when none of them listens.
pub static MESSAGE_TIMEOUT: Event<()> = Event::new("timeout");

/// A message that may hear its connection's timeout.
pub(crate) trait Hear: Send + Sync {
    /// Emits `'timeout'` if it listens (and, for a request, is not yet
    /// complete); whether it heard it.
    fn hear(&self) -> bool;
}

/// Which of Node's two slots a message takes: `parser.incoming` (the
/// request being received) or `socket._httpMessage` (the response being
/// sent).
pub(crate) enum Slot {
    Incoming,
    Message,
}

/// The connection, as its messages see it.
pub(crate) trait ConnTimeout: Send + Sync {
    /// `socket.setTimeout(timeout)`, with `who` recorded in its slot.
    fn set_timeout_for(&self, timeout: Duration, slot: Slot, who: Box<dyn Hear>);
}
