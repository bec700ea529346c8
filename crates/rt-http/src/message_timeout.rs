//! Per-message timeouts on the server (`req.setTimeout`, `res.setTimeout`):
//! the part of a connection its request and response hold ([`ConnLink`]:
//! the idle timer and who hears it), and how a message is told that the
//! timer fired ([`Hear`]). A leaf: the messages and the connection both use
//! it, neither through the other.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use rt_events::Event;
use rt_net::transport::IdleTimer;

use crate::conn_addrs::ConnAddrs;
use crate::conn_addrs::SocketInfo;
use crate::conn_shared::ConnShared;

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

/// Node's `parser.incoming` and `socket._httpMessage`: who hears a
/// `'timeout'` before the server does.
#[derive(Default)]
pub(crate) struct Current {
    pub(crate) incoming: Option<Box<dyn Hear>>,
    pub(crate) message: Option<Box<dyn Hear>>,
}

/// A server connection's idle timer and the messages that hear it, shared
/// by the connection, its `ServerConnection` handle and its messages.
pub(crate) struct ConnLink {
    pub(crate) timer: IdleTimer,
    pub(crate) shared: Arc<ConnShared>,
    /// The connection's addresses, read when first asked.
    addrs: ConnAddrs,
    /// Whether [`ConnLink::current`] is kept up to date: only once a
    /// timeout was set on the connection (the request path costs nothing
    /// before).
    tracking: AtomicBool,
    current: Mutex<Current>,
}

impl ConnLink {
    pub(crate) fn new(timer: IdleTimer, shared: Arc<ConnShared>, addrs: ConnAddrs) -> ConnLink {
        ConnLink {
            timer,
            shared,
            addrs,
            tracking: AtomicBool::new(false),
            current: Mutex::new(Current::default()),
        }
    }

    /// The connection's addresses (asked of its socket the first time).
    pub(crate) fn addresses(&self) -> SocketInfo {
        self.addrs.get()
    }

    pub(crate) fn current(&self) -> MutexGuard<'_, Current> {
        self.current.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether the current request and response must be recorded (a
    /// timeout was set on this connection).
    pub(crate) fn tracking(&self) -> bool {
        self.tracking.load(Ordering::Acquire)
    }

    /// `socket.setTimeout(timeout)` (zero: off). The connection's task
    /// starts the timer's driver when it sees `tracking`.
    pub(crate) fn set_timeout(&self, timeout: Duration) {
        self.timer.set_timeout(timeout);
        if !timeout.is_zero() {
            self.tracking.store(true, Ordering::Release);
        }
    }

    /// `who` is now the request being received ([`Slot::Incoming`]) or the
    /// response being sent ([`Slot::Message`]); `None` empties the slot.
    pub(crate) fn record(&self, slot: Slot, who: Option<Box<dyn Hear>>) {
        let mut c = self.current();
        match slot {
            Slot::Incoming => c.incoming = who,
            Slot::Message => c.message = who,
        }
    }

    /// A message's own `set_timeout`: the timeout, the message in its
    /// slot, and a kick so that the connection's task goes round its loop
    /// (it records its current response and request, and starts the
    /// timer's driver).
    pub(crate) fn set_timeout_for(&self, timeout: Duration, slot: Slot, who: Box<dyn Hear>) {
        self.set_timeout(timeout);
        self.record(slot, Some(who));
        self.shared.kick.notify_one();
    }

    /// The connection ended: what it recorded goes.
    pub(crate) fn clear(&self) {
        if self.tracking() {
            *self.current() = Current::default();
        }
    }
}
