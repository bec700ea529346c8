//! The server's view of one connection, given to `'connection'` and
//! `'timeout'` listeners: its addresses, `destroy()` and an idle timeout
//! (Node hands these listeners the `net.Socket`; an rt-http connection is
//! parsed in place by its own task, so the listener gets this handle).
//! Also the idle timer's driver: Node's `socketOnTimeout`.

use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Weak};
use std::time::Duration;

use rt_events::Event;
use rt_net::transport::IdleTimer;

use crate::incoming::SocketInfo;
use crate::server_inner::{ConnShared, IDLE_KEEP_ALIVE, ORDER_CLOSE_NOW, ServerInner};

/// `'connection'`: a connection was accepted, before its first byte is
/// parsed (Node: `server.on('connection', (socket) => ..)`).
pub static CONNECTION: Event<ServerConnection> = Event::new("connection");

/// `'timeout'`: a connection was idle for `server.timeout` (see
/// [`Server::set_timeout`](crate::Server::set_timeout)) or its own
/// [`ServerConnection::set_timeout`]; with a listener the connection is
/// left open (the listener decides), without one it is destroyed. As in
/// Node, an idle keep-alive connection whose keep-alive timeout passes is
/// also reported here, and left open when heard.
pub static TIMEOUT: Event<ServerConnection> = Event::new("timeout");

/// One connection of an http server, as `'connection'` and `'timeout'`
/// listeners get it (Node gives them the `net.Socket`). Cheap to clone.
#[doc(alias = "net.Socket")]
#[derive(Clone)]
pub struct ServerConnection {
    info: SocketInfo,
    shared: Arc<ConnShared>,
    timer: IdleTimer,
    server: Weak<ServerInner>,
}

impl std::fmt::Debug for ServerConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerConnection")
            .field("remote", &self.info.remote)
            .field("local", &self.info.local)
            .finish()
    }
}

impl ServerConnection {
    pub(crate) fn new(
        info: SocketInfo,
        shared: Arc<ConnShared>,
        timer: IdleTimer,
        server: Weak<ServerInner>,
    ) -> ServerConnection {
        ServerConnection {
            info,
            shared,
            timer,
            server,
        }
    }

    /// `socket.remoteAddress` / `remotePort` (none for a Unix socket).
    #[doc(alias = "remoteAddress")]
    #[doc(alias = "remotePort")]
    pub fn remote_address(&self) -> Option<SocketAddr> {
        self.info.remote
    }

    /// `socket.localAddress` / `localPort` (none for a Unix socket).
    #[doc(alias = "localAddress")]
    #[doc(alias = "localPort")]
    pub fn local_address(&self) -> Option<SocketAddr> {
        self.info.local
    }

    /// Both addresses.
    pub fn socket_info(&self) -> SocketInfo {
        self.info
    }

    /// `socket.destroy()`: the connection is closed now (a response in
    /// progress is cut off, its request aborted).
    pub fn destroy(&self) {
        self.shared.order.store(ORDER_CLOSE_NOW, Ordering::Release);
        self.shared.kick.notify_one();
    }

    /// Whether the connection has ended (or was handed to an `'upgrade'`,
    /// `'connect'` or `'clientError'` listener as a socket).
    pub fn destroyed(&self) -> bool {
        self.timer.is_closed()
    }

    /// `socket.setTimeout(ms)`: [`TIMEOUT`] after the connection has been
    /// idle (no byte read or written) that long; zero turns it off. As in
    /// Node, the server sets it back to `server.timeout` when a request
    /// arrives on a connection idle under its keep-alive timeout.
    #[doc(alias = "setTimeout")]
    pub fn set_timeout(&self, timeout: Duration) {
        self.timer.set_timeout(timeout);
        if !timeout.is_zero() {
            self.start_timer();
        }
    }

    /// `socket.timeout`: the idle timeout set last (zero: none).
    pub fn timeout(&self) -> Duration {
        self.timer.timeout()
    }

    /// Starts the task that waits for the idle timer (one per connection,
    /// only once a timeout is set): Node's `socketOnTimeout`.
    pub(crate) fn start_timer(&self) {
        if self.timer.is_closed() || !self.timer.claim_driver() {
            return;
        }
        let conn = self.clone();
        tokio::spawn(async move {
            while conn.timer.expired().await {
                // Idle under the keep-alive timeout: Node has swapped the
                // socket's timeout for the keep-alive one (the server's
                // sweeper ends the connection).
                if conn.shared.idle.load(Ordering::Acquire) == IDLE_KEEP_ALIVE {
                    continue;
                }
                let Some(server) = conn.server.upgrade() else {
                    return;
                };
                let em = server.emitter();
                if em.listener_count(&TIMEOUT) > 0 {
                    em.emit(&TIMEOUT, conn.clone());
                } else {
                    conn.destroy();
                }
            }
        });
    }

    pub(crate) fn timer(&self) -> &IdleTimer {
        &self.timer
    }
}
