//! [`Server`]: Node's `net.Server`, accepting TCP or Unix-socket connections.

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock, Weak};
use std::time::Duration;

use rt_events::{Emitter, Event, EventEmitter};
use tokio::sync::Notify;

use crate::address::{DropInfo, ServerAddress};
use crate::conn::Conn;
use crate::error::{Error, NetErrorExt};
use crate::listener::{Bound, ListenHandle, Listener, adopt, bind};
use crate::options::{ListenOptions, ServerOptions, SocketOptions};
use crate::socket::events::ERROR;
use crate::socket::{Inner as SocketInner, Socket};

/// Server: bound and accepting (Node: `'listening'`).
pub static LISTENING: Event<()> = Event::new("listening");
/// Server: a new connection (Node: `'connection'`).
pub static CONNECTION: Event<Socket> = Event::new("connection");
/// Server: closed, and every connection has ended (Node: `'close'`).
pub static SERVER_CLOSE: Event<()> = Event::new("close");
/// Server: a connection was refused because of `max_connections` (Node: `'drop'`).
pub static DROP: Event<DropInfo> = Event::new("drop");

pub mod cluster;
mod raw;

pub use raw::Arrival;

/// Calls the user's handler with a connection and spawns its future.
type Handler = Arc<dyn Fn(Socket) + Send + Sync>;

/// What a connection handler may return: `()` or a `Result` (an error is
/// reported by destroying the socket with it when it is a [`Error`], and
/// otherwise dropped: the socket's own errors were already emitted).
pub trait HandlerOutput: Send + 'static {
    /// Deals with the handler's result for `socket`.
    fn finish(self, socket: &Socket);
}

impl HandlerOutput for () {
    fn finish(self, _: &Socket) {}
}

impl<E: Send + 'static> HandlerOutput for Result<(), E> {
    fn finish(self, socket: &Socket) {
        if let Err(e) = self {
            let any: &dyn std::any::Any = &e;
            if let Some(ne) = any.downcast_ref::<Error>() {
                if !socket.destroyed() {
                    socket.destroy_with_error(ne.clone());
                }
            }
        }
    }
}

/// Node's `net.Server`: listens on a TCP port or a Unix socket and hands
/// each connection to its handler, to `'connection'` listeners, or to
/// [`accept`](Server::accept).
///
/// Cheap to clone: clones are handles to the same server.
///
/// Events ([`crate::events`]): `listening`, `connection`, `close`, `error`,
/// `drop`.
#[doc(alias = "net.Server")]
#[derive(Clone)]
pub struct Server {
    inner: Arc<ServerInner>,
}

struct ServerInner {
    events: EventEmitter,
    handler: Option<Handler>,
    options: ServerOptions,
    st: Mutex<ServerState>,
    connections: AtomicUsize,
    /// 0: no limit (Node's `maxConnections` unset or 0).
    max_connections: AtomicUsize,
    next_id: AtomicU64,
    changed: Notify,
    /// Takes accepted connections before a Socket is built (server/raw.rs).
    raw_hook: RwLock<Option<raw::RawHook>>,
    /// How many connections the raw hook's owner holds (server/raw.rs).
    raw_count: RwLock<Option<raw::RawCount>>,
    /// What each socket of the server runs at its close, with its id: one
    /// closure for all of them.
    socket_closed: Arc<dyn Fn(u64) + Send + Sync>,
}

#[derive(Default)]
struct ServerState {
    listening: bool,
    closing: bool,
    address: Option<ServerAddress>,
    stop: Option<Arc<Notify>>,
    listener: Option<Arc<Listener>>,
    /// The listening socket was handed out (`dup_fd`): another process may
    /// serve on it, so `close` only lets go of ours (no `shutdown`, which
    /// would stop it for everyone).
    shared: bool,
    unlink: Option<PathBuf>,
    close_emitted: bool,
    sockets: HashMap<u64, Weak<SocketInner>>,
    pending: VecDeque<Socket>,
    /// Runs once at the next `close` (server/cluster.rs).
    close_hook: Option<Box<dyn FnOnce() + Send>>,
    /// How the owner (rt-http) closes gracefully (server/cluster.rs).
    graceful: Option<cluster::GracefulClose>,
}

fn lock(m: &Mutex<ServerState>) -> MutexGuard<'_, ServerState> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Emitter for Server {
    fn emitter(&self) -> &EventEmitter {
        &self.inner.events
    }
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("listening", &self.listening())
            .field("address", &self.address())
            .field("connections", &self.get_connections())
            .finish()
    }
}

impl Default for Server {
    fn default() -> Self {
        Server::new()
    }
}

/// A server whose handler runs for each connection, in its own task
/// (Node: `net.createServer(connectionListener)`).
///
/// ```no_run
/// # async fn demo() -> Result<(), rt_net::Error> {
/// // net.createServer(socket => socket.pipe(socket)).listen(8124)
/// let server = rt_net::create_server(|socket: rt_net::Socket| async move {
///     socket.pipe(&socket);
///     socket.wait_end().await
/// });
/// server.listen(8124).await?;
/// # Ok(()) }
/// ```
#[doc(alias = "createServer")]
pub fn create_server<F, Fut>(handler: F) -> Server
where
    F: Fn(Socket) -> Fut + Send + Sync + 'static,
    Fut: Future + Send + 'static,
    Fut::Output: HandlerOutput,
{
    Server::with_options(ServerOptions::default(), Some(handler))
}

impl Server {
    /// A server without a handler (Node: `net.createServer()`): take
    /// connections from `'connection'` listeners or [`accept`](Server::accept).
    pub fn new() -> Server {
        Self::build(ServerOptions::default(), None)
    }

    /// A server with options and an optional handler (Node:
    /// `net.createServer(options, connectionListener)`).
    pub fn with_options<F, Fut>(options: ServerOptions, handler: Option<F>) -> Server
    where
        F: Fn(Socket) -> Fut + Send + Sync + 'static,
        Fut: Future + Send + 'static,
        Fut::Output: HandlerOutput,
    {
        // The handler's future is spawned as it is (not boxed): one
        // allocation per connection, the task, sized to the future.
        let handler = handler.map(|f| {
            let f = Arc::new(f);
            Arc::new(move |s: Socket| {
                let f = f.clone();
                tokio::spawn(async move {
                    let keep = s.clone();
                    let out = f(s).await;
                    out.finish(&keep);
                });
            }) as Handler
        });
        Self::build(options, handler)
    }

    fn build(options: ServerOptions, handler: Option<Handler>) -> Server {
        Server {
            inner: Arc::new_cyclic(|weak: &Weak<ServerInner>| ServerInner {
                socket_closed: {
                    let weak = weak.clone();
                    Arc::new(move |id| {
                        if let Some(inner) = weak.upgrade() {
                            lock(&inner.st).sockets.remove(&id);
                            inner.connections.fetch_sub(1, Ordering::AcqRel);
                            Server { inner }.maybe_emit_close();
                        }
                    })
                },
                events: EventEmitter::with_type_name("Server"),
                handler,
                options,
                st: Mutex::new(ServerState::default()),
                connections: AtomicUsize::new(0),
                max_connections: AtomicUsize::new(0),
                next_id: AtomicU64::new(0),
                changed: Notify::new(),
                raw_hook: RwLock::new(None),
                raw_count: RwLock::new(None),
            }),
        }
    }

    /// Binds and starts accepting (Node: `server.listen(...)`; the returned
    /// future is the `'listening'` callback). Takes a port (`0`: any free
    /// port; no host: all interfaces, `::` dual-stack as Node), a
    /// `(host, port)`, a `SocketAddr`, a Unix socket path (`"\0name"` for the
    /// Linux abstract namespace) or [`ListenOptions`].
    ///
    /// On failure (`EADDRINUSE`, `EACCES`, `ENOTFOUND`...) the error is
    /// emitted as `'error'` for listeners and returned; the server stays
    /// closed and `listen` may be called again (the notes' retry pattern).
    pub async fn listen(&self, options: impl Into<ListenOptions>) -> Result<ServerAddress, Error> {
        let options = options.into();
        if lock(&self.inner.st).listening {
            // Node throws this one at the caller; no 'error' event.
            return Err(Error::server_already_listen());
        }
        if !options.exclusive {
            // Inside a cluster worker the primary is asked (server/cluster.rs).
            if let Some(intercept) = cluster::interceptor() {
                return intercept(self.clone(), options).await.map_err(|e| self.fail(e));
            }
            if cluster::started_as_worker() {
                return Err(self.fail(cluster::worker_not_started()));
            }
        }
        match bind(&options).await {
            Ok(bound) => self.start(bound),
            Err(e) => Err(self.fail(e)),
        }
    }

    /// Listens on a listener made elsewhere: a std or tokio listener, or a
    /// raw socket fd (Node: `server.listen(handle)` / `{ fd }`). rt-child-process
    /// and rt-cluster hand listeners over this way.
    pub async fn listen_handle(&self, handle: impl Into<ListenHandle>) -> Result<ServerAddress, Error> {
        if lock(&self.inner.st).listening {
            return Err(Error::server_already_listen());
        }
        match adopt(handle.into()) {
            Ok(listener) => self.start(Bound {
                listener,
                unlink: None,
                path: None,
            }),
            Err(e) => Err(self.fail(e)),
        }
    }

    fn fail(&self, e: Error) -> Error {
        let _ = self.inner.events.emit_error(&ERROR, e.clone());
        e
    }

    fn start(&self, bound: Bound) -> Result<ServerAddress, Error> {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return Err(Error::new(
                "ERR_NO_RUNTIME",
                "listen() must run inside a tokio runtime",
            ));
        };
        let address = bound
            .listener
            .address(bound.path.as_deref())
            .unwrap_or(ServerAddress::Path(String::new()));
        let stop = Arc::new(Notify::new());
        {
            let mut st = lock(&self.inner.st);
            st.listening = true;
            st.closing = false;
            st.close_emitted = false;
            st.address = Some(address.clone());
            st.stop = Some(stop.clone());
            st.unlink = bound.unlink;
        }
        let weak = Arc::downgrade(&self.inner);
        let listener = Arc::new(bound.listener);
        lock(&self.inner.st).listener = Some(listener.clone());
        runtime.spawn(accept_loop(weak, listener, stop));
        self.inner.events.emit(&LISTENING, ());
        Ok(address)
    }

    /// Stops accepting at once; `'close'` follows when every connection has
    /// ended (Node: `server.close()`). A server that is not listening gives
    /// `ERR_SERVER_NOT_RUNNING` (also emitted... as Node passes it to the
    /// callback only, it is only returned here). Wait for the end with
    /// [`closed`](Server::closed).
    pub fn close(&self) -> Result<(), Error> {
        let (stop, unlink, listener, hook) = {
            let mut st = lock(&self.inner.st);
            if !st.listening {
                return Err(Error::server_not_running());
            }
            let hook = st.close_hook.take();
            st.listening = false;
            st.closing = true;
            st.address = None;
            let shared = std::mem::take(&mut st.shared);
            (
                st.stop.take(),
                st.unlink.take(),
                st.listener.take().filter(|_| !shared),
                hook,
            )
        };
        if let Some(h) = hook {
            h();
        }
        if let Some(s) = stop {
            s.notify_one();
        }
        if let Some(l) = listener {
            l.stop();
        }
        if let Some(p) = unlink {
            let _ = std::fs::remove_file(p);
        }
        self.inner.changed.notify_waiters();
        self.maybe_emit_close();
        Ok(())
    }

    fn maybe_emit_close(&self) {
        let emit = {
            let mut st = lock(&self.inner.st);
            if st.closing && !st.close_emitted && self.inner.connections.load(Ordering::Acquire) == 0 {
                st.close_emitted = true;
                st.closing = false;
                true
            } else {
                false
            }
        };
        if emit {
            self.inner.events.emit(&SERVER_CLOSE, ());
            self.inner.changed.notify_waiters();
        }
    }

    /// Waits for `'close'`: the server stopped listening and every connection
    /// has ended. Returns at once if the server is not listening and has no
    /// connections.
    pub async fn closed(&self) {
        loop {
            let changed = self.inner.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            {
                let st = lock(&self.inner.st);
                if !st.listening && !st.closing && self.inner.connections.load(Ordering::Acquire) == 0 {
                    return;
                }
            }
            changed.await;
        }
    }

    /// `close()`, then waits for `'close'` (Node: `server.close(callback)`).
    pub async fn close_and_wait(&self) -> Result<(), Error> {
        self.close()?;
        self.closed().await;
        Ok(())
    }

    /// Destroys every open connection (with `close()`, the way to shut down
    /// now rather than when clients leave).
    #[doc(alias = "closeAllConnections")]
    pub fn close_all_connections(&self) {
        for s in self.sockets() {
            s.destroy(None);
        }
    }

    /// Ends every connection that has nothing queued to write (an idle
    /// connection gets our FIN; its peer's end then closes it).
    #[doc(alias = "closeIdleConnections")]
    pub fn close_idle_connections(&self) {
        for s in self.sockets() {
            if s.buffer_size() == 0 {
                let _ = s.end();
            }
        }
    }

    fn sockets(&self) -> Vec<Socket> {
        let st = lock(&self.inner.st);
        st.sockets.values().filter_map(Socket::upgrade).collect()
    }

    /// The next connection not taken by a handler or a `'connection'`
    /// listener (the pull form of `'connection'`). `ERR_SERVER_NOT_RUNNING`
    /// once the server is closed and no connection is waiting.
    pub async fn accept(&self) -> Result<Socket, Error> {
        loop {
            let changed = self.inner.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            {
                let mut st = lock(&self.inner.st);
                if let Some(s) = st.pending.pop_front() {
                    return Ok(s);
                }
                if !st.listening {
                    return Err(Error::server_not_running());
                }
            }
            changed.await;
        }
    }

    /// The bound address: `{ address, family, port }`, or the Unix path;
    /// `None` when not listening. Node: `server.address()`.
    pub fn address(&self) -> Option<ServerAddress> {
        lock(&self.inner.st).address.clone()
    }

    /// A close-on-exec duplicate of the listening socket's fd, to hand to
    /// another process (Node: what `subprocess.send(msg, server)` sends).
    /// `ERR_SERVER_NOT_RUNNING` when the server is not listening.
    #[doc(alias = "_handle")]
    pub fn dup_fd(&self) -> Result<std::os::fd::OwnedFd, Error> {
        use std::os::fd::AsFd;
        let listener = {
            let mut st = lock(&self.inner.st);
            st.shared = st.listener.is_some();
            st.listener.clone()
        };
        let not_running = || Error::new(rt_stream::Code::ERR_SERVER_NOT_RUNNING, "Server is not running.");
        let l = listener.ok_or_else(not_running)?;
        let fd = match &*l {
            Listener::Tcp(t) => t.as_fd().try_clone_to_owned(),
            Listener::Unix(u) => u.as_fd().try_clone_to_owned(),
        };
        fd.map_err(|e| Error::syscall_failed(&e, "dup"))
    }

    /// Whether the server is accepting connections. Node: `server.listening`.
    pub fn listening(&self) -> bool {
        lock(&self.inner.st).listening
    }

    /// Open connections: this server's sockets, and those the
    /// raw-connection hook's owner counts
    /// ([`count_raw_connections`](Server::count_raw_connections): an rt-http
    /// server's). Node: `server.getConnections(cb)`.
    #[doc(alias = "getConnections")]
    pub fn get_connections(&self) -> usize {
        self.inner.connections.load(Ordering::Acquire) + self.raw_connections()
    }

    /// Refuse connections past `max` (closed at once, with a `'drop'` event);
    /// `None` (or 0, as in Node) removes the limit. Node: `server.maxConnections = max`.
    #[doc(alias = "maxConnections")]
    pub fn set_max_connections(&self, max: Option<usize>) {
        self.inner
            .max_connections
            .store(max.unwrap_or(0), Ordering::Release);
    }

    /// The limit set by [`set_max_connections`](Server::set_max_connections).
    pub fn max_connections(&self) -> Option<usize> {
        match self.inner.max_connections.load(Ordering::Acquire) {
            0 => None,
            n => Some(n),
        }
    }

    /// No effect on rt's runtime: a tokio runtime runs until its owner stops
    /// it, whatever servers are open (libuv's ref counting has no
    /// counterpart). Kept for Node parity. Node: `server.ref()`.
    pub fn ref_(&self) {}

    /// No effect on rt's runtime; see [`ref_`](Server::ref_). Node: `server.unref()`.
    pub fn unref(&self) {}

    /// An accepted (or added) connection becomes a Socket of this server;
    /// one `handed_in` from another process reads and writes at once
    /// ([`Socket::assume_ready`]).
    fn serve_connection(&self, conn: Conn, handed_in: bool) {
        let max = self.inner.max_connections.load(Ordering::Acquire);
        if max > 0 && self.inner.connections.load(Ordering::Acquire) >= max {
            let local = conn.local_addr();
            let remote = conn.peer_addr();
            drop(conn);
            if let (Some(l), Some(r)) = (local, remote) {
                self.inner.events.emit(&DROP, DropInfo::new(l, r));
            }
            return;
        }
        let o = &self.inner.options;
        if conn.is_tcp() {
            if o.no_delay {
                let _ = conn.sock().set_tcp_nodelay(true);
            }
            if o.keep_alive {
                let sock = conn.sock();
                if o.keep_alive_initial_delay.is_zero() {
                    let _ = sock.set_keepalive(true);
                } else {
                    let ka = socket2::TcpKeepalive::new()
                        .with_time(o.keep_alive_initial_delay.max(Duration::from_secs(1)));
                    let _ = sock.set_tcp_keepalive(&ka);
                }
            }
        }
        let socket = Socket::from_conn(
            conn,
            SocketOptions::default()
                .allow_half_open(o.allow_half_open)
                .high_water_mark(o.high_water_mark.unwrap_or(16 * 1024)),
            o.pause_on_connect,
        );
        if handed_in {
            socket.assume_ready();
        }
        self.inner.connections.fetch_add(1, Ordering::AcqRel);
        let id = self.inner.next_id.fetch_add(1, Ordering::Relaxed);
        lock(&self.inner.st).sockets.insert(id, socket.downgrade());
        socket.set_close_hook((self.inner.socket_closed.clone(), id));
        let heard = self.inner.events.emit(&CONNECTION, socket.clone());
        if let Some(h) = &self.inner.handler {
            h(socket);
        } else if !heard {
            lock(&self.inner.st).pending.push_back(socket);
            self.inner.changed.notify_waiters();
        }
    }
}

async fn accept_loop(weak: Weak<ServerInner>, listener: Arc<Listener>, stop: Arc<Notify>) {
    loop {
        let accepted = tokio::select! {
            biased;
            _ = stop.notified() => break,
            r = listener.accept() => r,
        };
        let Some(inner) = weak.upgrade() else { break };
        let server = Server { inner };
        if !lock(&server.inner.st).listening {
            break;
        }
        match accepted {
            Ok(conn) => server.on_connection(conn, Arrival::Accepted),
            Err(e) => {
                // Out of fds and the like: libuv keeps accepting after a
                // pause; so does rt, reporting the error.
                let err = Error::syscall_failed(&e, "accept");
                let _ = server.inner.events.emit_error(&ERROR, err);
                drop(server);
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    }
}
