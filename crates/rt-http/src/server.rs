//! `http.Server`: an rt-net server whose accepted connections each run one
//! task (connection.rs) that parses requests in place on the transport.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::Duration;

use rt_events::{Emitter, Event, EventEmitter};
use rt_net::transport::Io;
use rt_net::{ListenOptions, ServerAddress, Socket};
use rt_stream::{Buffer, Error};
use tokio::sync::Notify;

use crate::incoming::IncomingMessage;
use crate::response::ServerResponse;

/// `'request'`: a request and its response (Node: `server.on('request', (req, res) => ..)`).
pub static REQUEST: Event<Exchange> = Event::new("request");
/// `'checkContinue'`: a request with `Expect: 100-continue`; the listener
/// decides (`res.write_continue()` or a final status).
pub static CHECK_CONTINUE: Event<Exchange> = Event::new("checkContinue");
/// `'checkExpectation'`: a request with another `Expect` value (without a
/// listener Node answers 417).
pub static CHECK_EXPECTATION: Event<Exchange> = Event::new("checkExpectation");
/// `'dropRequest'`: a request past `max_requests_per_socket` (answered 503).
pub static DROP_REQUEST: Event<IncomingMessage> = Event::new("dropRequest");
/// `'upgrade'`: a request with `Connection: upgrade`; the socket and the
/// bytes read after the head are the listener's.
pub static UPGRADE: Event<Upgrade> = Event::new("upgrade");
/// `'connect'`: a `CONNECT` request; the socket and the bytes read after
/// the head are the listener's.
pub static CONNECT: Event<Upgrade> = Event::new("connect");
/// `'clientError'`: the parser refused the bytes (or a timeout hit); the
/// socket is the listener's (Node's default: a canned 400 / 408 / 413 / 431,
/// then close).
pub static CLIENT_ERROR: Event<ClientError> = Event::new("clientError");

/// A request and its response (the payload of `'request'`).
#[derive(Debug, Clone)]
pub struct Exchange {
    /// The request.
    pub req: IncomingMessage,
    /// The response to write.
    pub res: ServerResponse,
}

/// The payload of `'upgrade'` and `'connect'`: `(req, socket, head)`.
#[derive(Debug, Clone)]
pub struct Upgrade {
    /// The request.
    pub req: IncomingMessage,
    /// The connection, now the listener's.
    pub socket: Socket,
    /// Bytes read after the request's head (Node's `head`).
    pub head: Buffer,
}

/// The payload of `'clientError'`: `(err, socket)`.
#[derive(Debug, Clone)]
pub struct ClientError {
    /// `HPE_*` (with `bytes_parsed` in the message's place: see
    /// [`ClientError::bytes_parsed`]) or `ERR_HTTP_REQUEST_TIMEOUT`.
    pub error: Error,
    /// Node's `err.bytesParsed`.
    pub bytes_parsed: usize,
    /// Node's `err.rawPacket`: the bytes being parsed.
    pub raw_packet: Buffer,
    /// The connection, now the listener's.
    pub socket: Socket,
}

/// Options of `http.createServer(options)`, Node's names and defaults.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ServerOptions {
    /// `maxHeaderSize` (16 KiB): a longer head gets 431.
    pub max_header_size: usize,
    /// `headersTimeout` (60 s; 0: none): a head not complete by then gets 408.
    pub headers_timeout: Duration,
    /// `requestTimeout` (300 s; 0: none): a request not received whole by then gets 408.
    pub request_timeout: Duration,
    /// `keepAliveTimeout` (5 s; 0: none): an idle keep-alive connection
    /// closes after this (plus Node's 1 s buffer).
    pub keep_alive_timeout: Duration,
    /// `maxRequestsPerSocket` (0: no limit).
    pub max_requests_per_socket: u64,
    /// `maxHeadersCount` (2000): headers past it are dropped.
    pub max_headers_count: usize,
    /// `requireHostHeader` (true): HTTP/1.1 without Host gets 400.
    pub require_host_header: bool,
    /// `joinDuplicateHeaders` (false).
    pub join_duplicate_headers: bool,
    /// `noDelay` (true).
    pub no_delay: bool,
}

impl Default for ServerOptions {
    fn default() -> ServerOptions {
        ServerOptions {
            max_header_size: crate::parser::DEFAULT_MAX_HEADER_SIZE,
            headers_timeout: Duration::from_secs(60),
            request_timeout: Duration::from_secs(300),
            keep_alive_timeout: Duration::from_secs(5),
            max_requests_per_socket: 0,
            max_headers_count: 2000,
            require_host_header: true,
            join_duplicate_headers: false,
            no_delay: true,
        }
    }
}

pub(crate) type BoxFuture = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;
pub(crate) type Handler = Arc<dyn Fn(IncomingMessage, ServerResponse) -> Option<BoxFuture> + Send + Sync>;

/// A request handler: a closure `(req, res)` that returns `()` (sync) or a
/// future (async). The marker type parameter only tells the two apart.
pub trait IntoHandler<M>: Send + Sync + 'static {
    #[doc(hidden)]
    fn into_handler(self) -> Handler;
}

/// Marker: a handler that returns `()`.
#[derive(Debug)]
pub enum SyncHandler {}
/// Marker: a handler that returns a future.
#[derive(Debug)]
pub enum AsyncHandler {}

impl<F> IntoHandler<SyncHandler> for F
where
    F: Fn(IncomingMessage, ServerResponse) + Send + Sync + 'static,
{
    fn into_handler(self) -> Handler {
        Arc::new(move |req, res| {
            self(req, res);
            None
        })
    }
}

impl<F, Fut> IntoHandler<AsyncHandler> for F
where
    F: Fn(IncomingMessage, ServerResponse) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    fn into_handler(self) -> Handler {
        Arc::new(move |req, res| Some(Box::pin(self(req, res)) as BoxFuture))
    }
}

/// Node's `http.Server`. Cheap to clone: clones are the same server. Its
/// emitter is its rt-net server's (`listening`, `close`, `error`...) and
/// carries the http events ([`REQUEST`], [`UPGRADE`], [`CLIENT_ERROR`]...).
#[doc(alias = "http.Server")]
#[derive(Clone)]
pub struct Server {
    pub(crate) inner: Arc<ServerInner>,
}

pub(crate) struct ServerInner {
    pub(crate) net: rt_net::Server,
    pub(crate) options: ServerOptions,
    pub(crate) handler: Option<Handler>,
    conns: Mutex<HashMap<u64, Arc<ConnShared>>>,
    next_id: AtomicU64,
    live: AtomicUsize,
    all_gone: Notify,
    /// The timeouts' clock: milliseconds since `epoch`, kept by the sweeper.
    epoch: std::time::Instant,
    clock_ms: AtomicU64,
    sweeper: AtomicBool,
}

/// What the server knows of one connection task.
pub(crate) struct ConnShared {
    /// 0: run; 1: close if idle; 2: close now.
    pub(crate) order: AtomicU8,
    /// 1 while the connection waits for a request with nothing in flight.
    pub(crate) idle: AtomicU8,
    pub(crate) kick: Notify,
    /// When the current wait times out (the server's clock, ms); 0: never.
    deadline: AtomicU64,
    /// Set by the sweeper when `deadline` passed.
    expired: AtomicBool,
}

impl ConnShared {
    /// Sets (or clears) the connection's deadline: one atomic store; the
    /// server's sweeper kicks the connection when it passes (no timer per
    /// request).
    pub(crate) fn set_deadline(&self, at: Option<u64>) {
        self.deadline.store(at.map_or(0, |d| d.max(1)), Ordering::Release);
    }

    /// Whether the deadline passed (clears the mark).
    pub(crate) fn take_expired(&self) -> bool {
        self.expired.load(Ordering::Acquire) && self.expired.swap(false, Ordering::AcqRel)
    }
}

pub(crate) const ORDER_CLOSE_IDLE: u8 = 1;
pub(crate) const ORDER_CLOSE_NOW: u8 = 2;

impl Emitter for Server {
    fn emitter(&self) -> &EventEmitter {
        self.inner.net.emitter()
    }
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("http::Server")
            .field("address", &self.address())
            .finish()
    }
}

/// `http.createServer(handler)`: `handler(req, res)` runs for each request,
/// sync (returns `()`) or async (returns a future, polled on the
/// connection's task).
///
/// ```no_run
/// # async fn demo() -> Result<(), rt_stream::Error> {
/// let server = rt_http::create_server(|_req, res: rt_http::ServerResponse| {
///     let _ = res.set_header("Content-Type", "text/plain");
///     let _ = res.end_with("Hello World\n");
/// });
/// server.listen(3000).await?;
/// # Ok(()) }
/// ```
#[doc(alias = "createServer")]
pub fn create_server<M>(handler: impl IntoHandler<M>) -> Server {
    Server::build(ServerOptions::default(), Some(handler.into_handler()))
}

impl Server {
    /// A server without a handler: requests are emitted as [`REQUEST`]
    /// (Node: `http.createServer()` + `server.on('request', ..)`).
    pub fn new() -> Server {
        Server::build(ServerOptions::default(), None)
    }

    /// `http.createServer(options, handler)`.
    pub fn with_options<M>(options: ServerOptions, handler: Option<impl IntoHandler<M>>) -> Server {
        Server::build(options, handler.map(IntoHandler::into_handler))
    }

    fn build(options: ServerOptions, handler: Option<Handler>) -> Server {
        let net = rt_net::Server::new();
        let inner = Arc::new(ServerInner {
            net: net.clone(),
            options,
            handler,
            conns: Mutex::new(HashMap::new()),
            next_id: AtomicU64::new(0),
            live: AtomicUsize::new(0),
            all_gone: Notify::new(),
            epoch: std::time::Instant::now(),
            clock_ms: AtomicU64::new(0),
            sweeper: AtomicBool::new(false),
        });
        let weak: Weak<ServerInner> = Arc::downgrade(&inner);
        net.on_raw_connection(move |io: Io| {
            let Some(server) = weak.upgrade() else {
                return Some(io);
            };
            tokio::spawn(crate::connection::serve(server, io));
            None
        });
        // A cluster worker's disconnect ends this server as `close()` +
        // `closed()` do: idle connections closed, requests in flight answered.
        let weak: Weak<ServerInner> = Arc::downgrade(&inner);
        net.set_graceful_close(Arc::new(move || {
            let weak = weak.clone();
            Box::pin(async move {
                if let Some(inner) = weak.upgrade() {
                    let server = Server { inner };
                    let _ = server.close();
                    server.closed().await;
                }
            })
        }));
        Server { inner }
    }

    /// `server.listen(...)`: everything rt-net's `Server::listen` takes (a
    /// port, `(host, port)`, a `SocketAddr`, a Unix path, [`ListenOptions`]).
    pub async fn listen(&self, options: impl Into<ListenOptions>) -> Result<ServerAddress, Error> {
        self.inner.net.listen(options).await
    }

    /// `server.listen(handle)`: a listener made elsewhere or a raw fd.
    pub async fn listen_handle(
        &self,
        handle: impl Into<rt_net::ListenHandle>,
    ) -> Result<ServerAddress, Error> {
        self.inner.net.listen_handle(handle).await
    }

    /// `server.address()`.
    pub fn address(&self) -> Option<ServerAddress> {
        self.inner.net.address()
    }

    /// The rt-net server underneath.
    pub fn net(&self) -> &rt_net::Server {
        &self.inner.net
    }

    /// The options.
    pub fn options(&self) -> &ServerOptions {
        &self.inner.options
    }

    /// `server.close()`: stops accepting, closes idle keep-alive
    /// connections at once; in-flight requests are answered (with
    /// `Connection: close` no longer implied: the connection closes once it
    /// is idle). Await [`closed`](Server::closed) for the end.
    pub fn close(&self) -> Result<(), Error> {
        let r = self.inner.net.close();
        for c in self.inner.snapshot() {
            c.order.store(ORDER_CLOSE_IDLE, Ordering::Release);
            c.kick.notify_one();
        }
        r
    }

    /// Resolves when the server is closed and every connection has ended.
    pub async fn closed(&self) {
        self.inner.net.closed().await;
        loop {
            let n = self.inner.all_gone.notified();
            tokio::pin!(n);
            n.as_mut().enable();
            if self.inner.live.load(Ordering::Acquire) == 0 {
                return;
            }
            n.await;
        }
    }

    /// `server.closeAllConnections()`: every connection is destroyed.
    #[doc(alias = "closeAllConnections")]
    pub fn close_all_connections(&self) {
        for c in self.inner.snapshot() {
            c.order.store(ORDER_CLOSE_NOW, Ordering::Release);
            c.kick.notify_one();
        }
    }

    /// `server.closeIdleConnections()`: connections waiting for a request
    /// with nothing in flight are destroyed.
    #[doc(alias = "closeIdleConnections")]
    pub fn close_idle_connections(&self) {
        for c in self.inner.snapshot() {
            if c.idle.load(Ordering::Acquire) == 1 {
                c.order.store(ORDER_CLOSE_NOW, Ordering::Release);
                c.kick.notify_one();
            }
        }
    }

    /// Open connections (those served by this server's tasks).
    #[doc(alias = "getConnections")]
    pub fn connections(&self) -> usize {
        self.inner.live.load(Ordering::Acquire)
    }
}

impl Default for Server {
    fn default() -> Server {
        Server::new()
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl ServerInner {
    fn snapshot(&self) -> Vec<Arc<ConnShared>> {
        lock(&self.conns).values().cloned().collect()
    }

    /// The timeouts' clock (coarse: advanced by the sweeper each tick).
    pub(crate) fn now_ms(&self) -> u64 {
        self.clock_ms.load(Ordering::Acquire)
    }

    fn tick_clock(&self) -> u64 {
        let now = self.epoch.elapsed().as_millis() as u64;
        self.clock_ms.fetch_max(now, Ordering::AcqRel);
        now
    }

    /// How often the sweeper looks at deadlines: an eighth of the shortest
    /// timeout, between 5 ms and 1 s (Node checks headers and request
    /// timeouts every `connectionsCheckingInterval`, 30 s).
    fn sweep_every(&self) -> std::time::Duration {
        let o = &self.options;
        let ka = if o.keep_alive_timeout.is_zero() {
            Duration::ZERO
        } else {
            o.keep_alive_timeout + Duration::from_secs(1)
        };
        let shortest = [o.headers_timeout, o.request_timeout, ka]
            .into_iter()
            .filter(|d| !d.is_zero())
            .min()
            .unwrap_or(Duration::from_secs(8));
        (shortest / 8).clamp(Duration::from_millis(5), Duration::from_secs(1))
    }

    fn start_sweeper(self: &Arc<Self>) {
        if self.sweeper.swap(true, Ordering::AcqRel) {
            return;
        }
        let weak = Arc::downgrade(self);
        let every = self.sweep_every();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                let Some(server) = weak.upgrade() else {
                    return;
                };
                let now = server.tick_clock();
                for c in lock(&server.conns).values() {
                    let d = c.deadline.load(Ordering::Acquire);
                    if d != 0 && now >= d && !c.expired.swap(true, Ordering::AcqRel) {
                        c.deadline.store(0, Ordering::Release);
                        c.kick.notify_one();
                    }
                }
            }
        });
    }

    pub(crate) fn register(self: &Arc<Self>) -> (u64, Arc<ConnShared>) {
        self.start_sweeper();
        self.tick_clock();
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let shared = Arc::new(ConnShared {
            order: AtomicU8::new(if self.net.listening() { 0 } else { ORDER_CLOSE_IDLE }),
            idle: AtomicU8::new(0),
            kick: Notify::new(),
            deadline: AtomicU64::new(0),
            expired: AtomicBool::new(false),
        });
        self.live.fetch_add(1, Ordering::AcqRel);
        lock(&self.conns).insert(id, shared.clone());
        (id, shared)
    }

    pub(crate) fn unregister(&self, id: u64) {
        lock(&self.conns).remove(&id);
        if self.live.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.all_gone.notify_waiters();
        }
    }

    pub(crate) fn emitter(&self) -> &EventEmitter {
        self.net.emitter()
    }
}
