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
use rt_net::transport::{IdleTimer, Io};

use crate::conn_addrs::ConnAddrs;
use crate::conn_addrs::SocketInfo;
use crate::message_timeout::{ConnLink, Hear, Slot};
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
    inner: Arc<Handle>,
}

struct Handle {
    /// The timer, the shared record and who hears a timeout (also held by
    /// the connection's request and response).
    link: Arc<ConnLink>,
    server: Weak<ServerInner>,
}

impl std::fmt::Debug for ServerConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerConnection")
            .field("remote", &self.remote_address())
            .field("local", &self.local_address())
            .finish()
    }
}

impl ServerConnection {
    /// `io`: the connection's socket, asked for its addresses when first wanted.
    pub(crate) fn new(
        io: Weak<Io>,
        shared: Arc<ConnShared>,
        timer: IdleTimer,
        server: Weak<ServerInner>,
    ) -> ServerConnection {
        ServerConnection {
            inner: Arc::new(Handle {
                link: Arc::new(ConnLink::new(timer, shared, ConnAddrs::new(io))),
                server,
            }),
        }
    }

    /// Connection side: whether the current request and response must be
    /// recorded (a timeout was set on this connection); the timer's driver
    /// is started on the first look (a message's `set_timeout` kicks the
    /// connection's task to look).
    pub(crate) fn tracking(&self) -> bool {
        let on = self.inner.link.tracking();
        if on {
            self.start_timer();
        }
        on
    }

    /// Connection side: `who` is now the request being received
    /// ([`Slot::Incoming`]) or the response being sent ([`Slot::Message`]);
    /// `None` empties the slot.
    pub(crate) fn record(&self, slot: Slot, who: Option<Box<dyn Hear>>) {
        self.inner.link.record(slot, who);
    }

    /// What a request or response holds to set its connection's timeout.
    pub(crate) fn link(&self) -> Arc<ConnLink> {
        self.inner.link.clone()
    }

    /// `socket.remoteAddress` / `remotePort` (none for a Unix socket).
    /// Asked of the socket the first time either address is wanted, and
    /// kept (as Node's sockets do: none when first asked after the
    /// connection closed).
    #[doc(alias = "remoteAddress")]
    #[doc(alias = "remotePort")]
    pub fn remote_address(&self) -> Option<SocketAddr> {
        self.socket_info().remote
    }

    /// `socket.localAddress` / `localPort` (none for a Unix socket).
    #[doc(alias = "localAddress")]
    #[doc(alias = "localPort")]
    pub fn local_address(&self) -> Option<SocketAddr> {
        self.socket_info().local
    }

    /// Both addresses.
    pub fn socket_info(&self) -> SocketInfo {
        self.inner.link.addresses()
    }

    /// `socket.destroy()`: the connection is closed now (a response in
    /// progress is cut off, its request aborted).
    pub fn destroy(&self) {
        self.inner
            .link
            .shared
            .order
            .store(ORDER_CLOSE_NOW, Ordering::Release);
        self.inner.link.shared.kick.notify_one();
    }

    /// Whether the connection has ended (or was handed to an `'upgrade'`,
    /// `'connect'` or `'clientError'` listener as a socket).
    pub fn destroyed(&self) -> bool {
        self.inner.link.timer.is_closed()
    }

    /// `socket.setTimeout(ms)`: [`TIMEOUT`] after the connection has been
    /// idle (no byte read or written) that long; zero turns it off. As in
    /// Node, the server sets it back to `server.timeout` when a request
    /// arrives on a connection idle under its keep-alive timeout.
    #[doc(alias = "setTimeout")]
    pub fn set_timeout(&self, timeout: Duration) {
        self.inner.link.set_timeout(timeout);
        if !timeout.is_zero() {
            self.start_timer();
        }
    }

    /// `socket.timeout`: the idle timeout set last (zero: none).
    pub fn timeout(&self) -> Duration {
        self.inner.link.timer.timeout()
    }

    /// Starts the task that waits for the idle timer (one per connection,
    /// only once a timeout is set): Node's `socketOnTimeout`.
    pub(crate) fn start_timer(&self) {
        if self.inner.link.timer.is_closed() || !self.inner.link.timer.claim_driver() {
            return;
        }
        let conn = self.clone();
        tokio::spawn(async move {
            while conn.inner.link.timer.expired().await {
                // Idle under the keep-alive timeout: Node has swapped the
                // socket's timeout for the keep-alive one (the server's
                // sweeper ends the connection).
                if conn.inner.link.shared.idle.load(Ordering::Acquire) == IDLE_KEEP_ALIVE {
                    continue;
                }
                let Some(server) = conn.inner.server.upgrade() else {
                    return;
                };
                // Node's socketOnTimeout: the request being received (if
                // not complete), the response being sent, then the server;
                // destroyed when none of them listens.
                // (Taken out of the slots while they hear it: a listener
                // may set a timeout again, which records into them.)
                let (req, res) = {
                    let mut c = conn.inner.link.current();
                    (c.incoming.take(), c.message.take())
                };
                let mut heard = false;
                if let Some(req) = &req {
                    heard |= req.hear();
                }
                if let Some(res) = &res {
                    heard |= res.hear();
                }
                {
                    let mut c = conn.inner.link.current();
                    if c.incoming.is_none() {
                        c.incoming = req;
                    }
                    if c.message.is_none() {
                        c.message = res;
                    }
                }
                let em = server.emitter();
                if em.listener_count(&TIMEOUT) > 0 {
                    em.emit(&TIMEOUT, conn.clone());
                    heard = true;
                }
                if !heard {
                    conn.destroy();
                }
            }
        });
    }

    pub(crate) fn timer(&self) -> &IdleTimer {
        &self.inner.link.timer
    }

    /// Connection side: the connection ended; what it recorded goes.
    pub(crate) fn close(&self) {
        self.inner.link.timer.close();
        self.inner.link.clear();
    }
}
