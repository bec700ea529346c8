//! A socket's timeouts and TCP options: `setTimeout`, `setNoDelay`,
//! `setKeepAlive`, `allowHalfOpen`, `ref` / `unref`.

use std::sync::Arc;
use std::time::Duration;

use super::events::TIMEOUT;
use super::{Socket, lock};
use crate::conn::Conn;
use crate::transport::IdleTimer;

impl Socket {
    pub(crate) fn touch(&self) {
        if let Some(t) = self.inner.timer.get() {
            t.touch();
        }
    }

    /// Emits `'timeout'` once after `timeout` without reads or writes (again
    /// after new activity). The socket is not closed for you: end or destroy
    /// it in the listener, as in Node. `Duration::ZERO` disables it.
    /// Node: `socket.setTimeout(ms)`.
    ///
    /// One timer per socket, re-armed in place: calling this per request
    /// stores two atomics; the first call with a timeout starts the one
    /// task that waits for it (it ends when the socket closes).
    #[doc(alias = "setTimeout")]
    pub fn set_timeout(&self, timeout: Duration) {
        if timeout.is_zero() && self.inner.timer.get().is_none() {
            // Off, and never armed: nothing to make.
            return;
        }
        let timer = self.inner.timer.get_or_init(IdleTimer::new);
        // Letting go of the connection closes the timer it finds; one made
        // just then is closed here (checked after it is in place).
        if lock(&self.inner.st).released {
            timer.close();
        }
        timer.set_timeout(timeout);
        if timeout.is_zero() || timer.is_closed() || !timer.claim_driver() {
            return;
        }
        let timer = timer.clone();
        let weak = Arc::downgrade(&self.inner);
        self.spawn(async move {
            while timer.expired().await {
                let Some(inner) = weak.upgrade() else { return };
                Socket { inner }.emit_own(&TIMEOUT, ());
            }
        });
    }

    /// The idle timeout set by `set_timeout` (zero: none). Node: `socket.timeout`.
    pub fn timeout(&self) -> Duration {
        self.inner.timer.get().map_or(Duration::ZERO, IdleTimer::timeout)
    }

    /// Disables (`true`) or enables Nagle's algorithm. Node: `socket.setNoDelay(noDelay)`.
    #[doc(alias = "setNoDelay")]
    pub fn set_no_delay(&self, no_delay: bool) {
        lock(&self.inner.st).no_delay = Some(no_delay);
        if let Some(c) = self.conn().filter(|c| c.is_tcp()) {
            let _ = c.sock().set_tcp_nodelay(no_delay);
        }
    }

    /// Turns TCP keep-alive on or off; `initial_delay` (non-zero) sets the
    /// idle time before the first probe. Node: `socket.setKeepAlive(enable, initialDelay)`.
    #[doc(alias = "setKeepAlive")]
    pub fn set_keep_alive(&self, enable: bool, initial_delay: Duration) {
        lock(&self.inner.st).keep_alive = Some((enable, initial_delay));
        if let Some(c) = self.conn().filter(|c| c.is_tcp()) {
            apply_keep_alive(&c, enable, initial_delay);
        }
    }

    /// Whether Nagle's algorithm is off on the OS socket (reads the option back).
    pub fn no_delay(&self) -> Option<bool> {
        self.conn().and_then(|c| c.sock().tcp_nodelay().ok())
    }

    /// Whether keep-alive is on on the OS socket (reads the option back).
    pub fn keep_alive(&self) -> Option<bool> {
        self.conn().and_then(|c| c.sock().keepalive().ok())
    }

    /// Keep the writable side open after the peer ends. Node: `socket.allowHalfOpen`.
    pub fn set_allow_half_open(&self, allow: bool) {
        lock(&self.inner.st).allow_half_open = allow;
    }

    /// Node: `socket.allowHalfOpen`.
    pub fn allow_half_open(&self) -> bool {
        lock(&self.inner.st).allow_half_open
    }

    /// No effect on rt's runtime (tokio does not keep a process alive for its
    /// sockets the way libuv does); kept for Node parity. Node: `socket.ref()`.
    pub fn ref_(&self) {}

    /// No effect on rt's runtime; see [`ref_`](Socket::ref_). Node: `socket.unref()`.
    pub fn unref(&self) {}
}

pub(super) fn apply_keep_alive(conn: &Conn, enable: bool, delay: Duration) {
    let sock = conn.sock();
    if enable && !delay.is_zero() {
        let ka = socket2::TcpKeepalive::new().with_time(delay.max(Duration::from_secs(1)));
        let _ = sock.set_tcp_keepalive(&ka);
    } else {
        let _ = sock.set_keepalive(enable);
    }
}
