//! `http.Server`: an rt-net server whose accepted connections each run one
//! task (connection.rs) that parses requests in place on the transport.

use std::future::Future;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Weak};
use std::time::Duration;

use rt_events::{Emitter, EventEmitter};
use rt_net::transport::Io;
use rt_net::{DropInfo, ListenOptions, ServerAddress};
use rt_stream::Error;

use crate::incoming::IncomingMessage;
use crate::response::ServerResponse;
use crate::server_inner::{BoxFuture, Handler, ORDER_CLOSE_IDLE, ORDER_CLOSE_NOW, ServerInner};

pub use crate::server_connection::{CONNECTION, ServerConnection, TIMEOUT};
pub use crate::server_events::{
    CHECK_CONTINUE, CHECK_EXPECTATION, CLIENT_ERROR, CONNECT, ClientError, DROP_REQUEST, Exchange, REQUEST,
    UPGRADE, Upgrade,
};
pub use crate::server_options::ServerOptions;

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
        let inner = Arc::new(ServerInner::new(net.clone(), options, handler));
        let weak: Weak<ServerInner> = Arc::downgrade(&inner);
        net.on_raw_connection(move |io: Io, arrival: rt_net::Arrival| {
            let Some(server) = weak.upgrade() else {
                return Some(io);
            };
            if !server.admit() {
                // Node's net `onconnection` past `maxConnections`: the
                // connection is closed at once and `'drop'` emitted.
                let info = match (io.local_addr(), io.peer_addr()) {
                    (Some(l), Some(r)) => Some(DropInfo::new(l, r)),
                    _ => None,
                };
                drop(io);
                if let Some(info) = info {
                    server.emitter().emit(&rt_net::events::DROP, info);
                }
                return None;
            }
            // A connection handed in (a cluster worker's) usually has its
            // request waiting: it is read at once, not after the reactor's
            // next turn.
            let handed_in = arrival == rt_net::Arrival::HandedIn;
            tokio::spawn(crate::connection::serve(server, io, handed_in));
            None
        });
        // Node's `getConnections` (and a cluster worker's `maxConnections`
        // check on a handed-in connection) counts the http connections.
        let weak: Weak<ServerInner> = Arc::downgrade(&inner);
        net.count_raw_connections(move || {
            weak.upgrade()
                .map_or(0, |s| s.live.load(std::sync::atomic::Ordering::Acquire))
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
            if c.idle.load(Ordering::Acquire) != 0 {
                c.order.store(ORDER_CLOSE_NOW, Ordering::Release);
                c.kick.notify_one();
            }
        }
    }

    /// `server.setTimeout(msecs)`: a connection accepted from now on that is
    /// idle (no byte read or written) this long gets [`TIMEOUT`]; without a
    /// listener it is destroyed. Zero (the default) turns it off. Node's
    /// callback argument is `server.on(&TIMEOUT, ..)`.
    #[doc(alias = "setTimeout")]
    pub fn set_timeout(&self, timeout: Duration) -> &Server {
        self.inner.set_timeout(timeout);
        self
    }

    /// `server.timeout` (zero: none).
    pub fn timeout(&self) -> Duration {
        self.inner.timeout()
    }

    /// Open connections (those served by this server's tasks).
    #[doc(alias = "getConnections")]
    pub fn connections(&self) -> usize {
        self.inner.live.load(Ordering::Acquire)
    }

    /// `server.maxConnections = max`: connections accepted past `max` open
    /// ones are closed at once, with rt-net's [`DROP`](rt_net::events::DROP)
    /// event on this server (Node's `'drop'`); `None` (or 0, as in Node)
    /// removes the limit. The same setting as the rt-net server's
    /// [`set_max_connections`](rt_net::Server::set_max_connections), counted
    /// against this server's [`connections`](Server::connections).
    #[doc(alias = "maxConnections")]
    pub fn set_max_connections(&self, max: Option<usize>) {
        self.inner.net.set_max_connections(max);
    }

    /// `server.maxConnections` (`None`: no limit).
    #[doc(alias = "maxConnections")]
    pub fn max_connections(&self) -> Option<usize> {
        self.inner.net.max_connections()
    }
}

impl Default for Server {
    fn default() -> Server {
        Server::new()
    }
}
