//! [`Socket`]: Node's `net.Socket`, a duplex byte stream over TCP or a Unix socket.
//!
//! How it is built:
//! - the readable and writable sides *are* an [`rt_stream::Duplex`]: its
//!   state machines do the buffering, high-water marks, `'data'` / `'end'` /
//!   `'drain'` / `'finish'`, pause/resume, encodings, cork/uncork, pipes.
//!   The socket adds what is about the connection (connect, lookup,
//!   addresses, timeouts, TCP options, counters, error codes);
//! - the duplex's `_read` ([`io::SocketSource`]) reads from the kernel only
//!   while the readable side is below its mark: a slow consumer leaves data
//!   in the kernel and the peer's sends block (end-to-end backpressure);
//! - its `_write` ([`io::SocketSink`]) first writes straight to the kernel
//!   (libuv's `uv_try_write`) and completes synchronously when it all went;
//!   only a remainder waits for writability, in a task.

use std::io;
use std::net::SocketAddr;
use std::ops::Deref;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError, RwLock, Weak};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use rt_buffer::Buffer;
use rt_events::{Emitter, Event, EventEmitter, ListenerId};
use rt_stream::{Completion, Duplex, DuplexOptions, StreamEvent};
use tokio::sync::Notify;

use crate::address::{AddressInfo, Family};
use crate::conn::Conn;
use crate::error::{Error, NetErrorExt};
use crate::events::{CLOSE, CONNECT, DATA, DRAIN, END, ERROR, FINISH, LOOKUP, READY, TIMEOUT};
use crate::lookup::{LookupInfo, lookup};
use crate::options::{ConnectOptions, SocketOptions};
use crate::transport::IdleTimer;

mod io_impl;
mod tokio_io;

/// Node's `net.Socket`: one end of a TCP or Unix-socket connection, a duplex
/// byte stream with Node's events, flags and counters.
///
/// A `Socket` *is* an [`rt_stream::Duplex`] of [`Buffer`]s (it dereferences
/// to one): every stream method not redefined here (`cork`, `uncork`,
/// `readable_length`, `writable_length`, `read_now`, `unshift`, `unpipe`,
/// `readable_flowing`, ...) is the duplex's, and a socket can be used
/// wherever an rt stream is taken: `readable.pipe(&socket)`,
/// `pipeline!(socket, transform, socket)`, `finished(&socket)`.
///
/// Cheap to clone: clones are handles to the same socket (Node's model, where
/// the socket, the pipe and the listeners all share one object). The socket
/// closes when it is destroyed, when both sides have ended, or when the last
/// `Socket` handle is dropped (a pipe or a `Duplex` handle does not keep the
/// connection open: keep a `Socket` while something is piped into it).
///
/// Events (see [`crate::events`]): `connect`, `ready`, `data`, `end`,
/// `finish`, `close(had_error)`, `error`, `timeout`, `drain`, `lookup`, in
/// Node's order. The stream events are the duplex's, forwarded to these
/// keys (a socket's `'close'` carries `had_error`, its `'error'` a
/// [`Error`]); the duplex's own rt-stream face (`socket.on(StreamEvent::End, ..)`
/// through `Deref`) sees the same events.
/// Data can be taken either as `'data'` events (adding a
/// [`DATA`] listener starts the flow, as in Node) or pulled with
/// [`read`](Socket::read); use one or the other.
#[doc(alias = "net.Socket")]
#[derive(Clone)]
pub struct Socket {
    inner: Arc<Inner>,
}

pub(crate) type CloseHook = Box<dyn FnOnce() + Send + Sync>;

pub(crate) struct Inner {
    /// Made on first use: most server-side sockets never get a listener.
    events: OnceLock<EventEmitter>,
    /// The stream: both sides' state machines.
    duplex: Duplex,
    conn: RwLock<Option<Arc<Conn>>>,
    st: Mutex<State>,
    bytes_read: AtomicU64,
    /// Bytes the kernel took (the queued rest is the duplex's `writable_length`).
    bytes_sent: AtomicU64,
    /// Pipes into this socket (for the half-open policy).
    pipes_in: AtomicUsize,
    /// The idle timer (`set_timeout`): one per socket, re-armed in place.
    timer: IdleTimer,
    /// Woken on close/destroy (stops the reader and the writer) and on state
    /// changes waiters care about (connect, end, close).
    changed: Notify,
    runtime: Option<tokio::runtime::Handle>,
    /// What `AsyncRead` took from the stream and has not handed out yet.
    read_rest: Mutex<Option<Bytes>>,
}

pub(crate) struct State {
    connecting: bool,
    connected: bool,
    destroyed: bool,
    /// The peer's FIN was read.
    read_eof: bool,
    /// `'end'` was emitted.
    end_emitted: bool,
    /// `'close'` was emitted (what `closed()` waits for).
    close_done: bool,
    close_emitted: bool,
    /// The reader (inline or its task) is running.
    reader_running: bool,
    /// `_read` was called while the reader was running: keep going.
    read_wanted: bool,
    /// `_read` was called before the connection was up.
    want_read: bool,
    /// Which duplex events are forwarded to the socket's keys (`FWD_*`).
    forwarding: u8,
    /// A write (or its remainder) waiting for the connection or for the
    /// kernel to take more.
    pending_write: Option<(Bytes, Completion, u64)>,
    writer_running: bool,
    /// `_final` waiting for the connection.
    pending_final: Option<Completion>,
    read_size: usize,
    allow_half_open: bool,
    no_delay: Option<bool>,
    keep_alive: Option<(bool, Duration)>,
    local: Option<SocketAddr>,
    remote: Option<SocketAddr>,
    path: Option<String>,
    error: Option<Error>,
    close_hook: Option<CloseHook>,
}

const FWD_DATA: u8 = 1;
const FWD_FINISH: u8 = 2;
const FWD_DRAIN: u8 = 4;
const FWD_ERROR: u8 = 8;

pub(crate) fn lock(m: &Mutex<State>) -> MutexGuard<'_, State> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Default for Socket {
    fn default() -> Self {
        Socket::new(SocketOptions::default())
    }
}

impl std::fmt::Debug for Socket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Socket")
            .field("ready_state", &self.ready_state())
            .field("remote", &self.remote_address())
            .field("bytes_read", &self.bytes_read())
            .field("bytes_written", &self.bytes_written())
            .finish()
    }
}

impl Deref for Socket {
    type Target = Duplex;
    fn deref(&self) -> &Duplex {
        &self.inner.duplex
    }
}

impl From<Socket> for Duplex {
    fn from(s: Socket) -> Duplex {
        s.inner.duplex.clone()
    }
}

impl From<&Socket> for Duplex {
    fn from(s: &Socket) -> Duplex {
        s.inner.duplex.clone()
    }
}

impl rt_stream::StreamHandle for Socket {
    fn control(&self) -> rt_stream::Control {
        self.inner.duplex.control()
    }
}

impl rt_stream::ReadableStream<Buffer> for Socket {
    fn pipe_into(&self, target: rt_stream::PipeTarget<Buffer>, opts: rt_stream::PipeOptions) {
        self.inner.duplex.pipe_into(target, opts)
    }
}

impl rt_stream::WritableStream<Buffer> for Socket {
    fn pipe_target(&self) -> rt_stream::PipeTarget<Buffer> {
        self.inner.duplex.pipe_target()
    }
    fn pipe_id(&self) -> usize {
        self.inner.duplex.pipe_id()
    }
}

impl Emitter for Socket {
    fn emitter(&self) -> &EventEmitter {
        self.inner
            .events
            .get_or_init(|| EventEmitter::with_type_name("Socket"))
    }

    // Node: adding a 'data' listener switches the socket to flowing mode.
    fn on<T, F>(&self, event: &Event<T>, listener: F) -> ListenerId
    where
        T: Send + Sync + 'static,
        F: Fn(&T) + Send + Sync + 'static,
    {
        let id = self.emitter().on(event, listener);
        self.listener_added(event.name());
        id
    }

    fn add_listener<T, F>(&self, event: &Event<T>, listener: F) -> ListenerId
    where
        T: Send + Sync + 'static,
        F: Fn(&T) + Send + Sync + 'static,
    {
        let id = self.emitter().add_listener(event, listener);
        self.listener_added(event.name());
        id
    }

    fn once<T, F>(&self, event: &Event<T>, listener: F) -> ListenerId
    where
        T: Send + Sync + 'static,
        F: Fn(&T) + Send + Sync + 'static,
    {
        let id = self.emitter().once(event, listener);
        self.listener_added(event.name());
        id
    }

    fn prepend_listener<T, F>(&self, event: &Event<T>, listener: F) -> ListenerId
    where
        T: Send + Sync + 'static,
        F: Fn(&T) + Send + Sync + 'static,
    {
        let id = self.emitter().prepend_listener(event, listener);
        self.listener_added(event.name());
        id
    }

    fn prepend_once_listener<T, F>(&self, event: &Event<T>, listener: F) -> ListenerId
    where
        T: Send + Sync + 'static,
        F: Fn(&T) + Send + Sync + 'static,
    {
        let id = self.emitter().prepend_once_listener(event, listener);
        self.listener_added(event.name());
        id
    }
}

fn with_inner(weak: &Weak<Inner>, f: impl FnOnce(Socket)) {
    if let Some(inner) = weak.upgrade() {
        f(Socket { inner });
    }
}

impl Socket {
    /// A socket that is not connected yet (Node: `new net.Socket(options)`);
    /// connect it with [`connect`](Socket::connect). Writes made before the
    /// connection is up are kept and sent once it is.
    pub fn new(options: SocketOptions) -> Socket {
        let inner = Arc::new_cyclic(|weak: &Weak<Inner>| {
            let duplex = Duplex::new(
                DuplexOptions {
                    writable_high_water_mark: Some(options.high_water_mark),
                    // The socket applies its own half-open policy (it can
                    // change after construction, and pipes into the socket
                    // end it themselves).
                    allow_half_open: true,
                    ..DuplexOptions::default()
                },
                Some(io_impl::SocketSource { inner: weak.clone() }),
                Some(io_impl::SocketSink { inner: weak.clone() }),
            );
            Inner {
                events: OnceLock::new(),
                duplex,
                conn: RwLock::new(None),
                st: Mutex::new(State {
                    connecting: false,
                    connected: false,
                    destroyed: false,
                    read_eof: false,
                    end_emitted: false,
                    close_done: false,
                    close_emitted: false,
                    reader_running: false,
                    read_wanted: false,
                    want_read: false,
                    forwarding: 0,
                    pending_write: None,
                    writer_running: false,
                    pending_final: None,
                    read_size: options.read_size.max(1),
                    allow_half_open: options.allow_half_open,
                    no_delay: None,
                    keep_alive: None,
                    local: None,
                    remote: None,
                    path: None,
                    error: None,
                    close_hook: None,
                }),
                bytes_read: AtomicU64::new(0),
                bytes_sent: AtomicU64::new(0),
                pipes_in: AtomicUsize::new(0),
                timer: IdleTimer::new(),
                changed: Notify::new(),
                runtime: tokio::runtime::Handle::try_current().ok(),
                read_rest: Mutex::new(None),
            }
        });
        let s = Socket { inner };
        s.wire();
        s
    }

    /// Forwards the duplex's events to the socket's keys and applies the
    /// socket's policies (half-open, close). The listeners hold weak handles.
    fn wire(&self) {
        let d = &self.inner.duplex;
        let w = Arc::downgrade(&self.inner);
        d.on(StreamEvent::End, move || with_inner(&w, |s| s.on_stream_end()));
        let w = Arc::downgrade(&self.inner);
        d.on(StreamEvent::Pipe, move || {
            with_inner(&w, |s| {
                s.inner.pipes_in.fetch_add(1, Ordering::AcqRel);
            })
        });
        let w = Arc::downgrade(&self.inner);
        d.on(StreamEvent::Unpipe, move || {
            with_inner(&w, |s| {
                let _ = s
                    .inner
                    .pipes_in
                    .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| Some(n.saturating_sub(1)));
            })
        });
        let w = Arc::downgrade(&self.inner);
        d.on(StreamEvent::Close, move || {
            with_inner(&w, |s| s.on_stream_close())
        });
    }

    /// Forwards a duplex event to the socket's key once someone listens to
    /// it there (an idle socket carries no forwarding listeners it does not
    /// need: most server-side sockets never get one).
    fn listener_added(&self, name: &str) {
        let bit = match name {
            "data" => FWD_DATA,
            "finish" => FWD_FINISH,
            "drain" => FWD_DRAIN,
            "error" => FWD_ERROR,
            _ => return,
        };
        {
            let mut st = lock(&self.inner.st);
            if st.forwarding & bit != 0 {
                return;
            }
            st.forwarding |= bit;
        }
        let d = &self.inner.duplex;
        let w = Arc::downgrade(&self.inner);
        match bit {
            FWD_DATA => {
                d.on_data(move |chunk| with_inner(&w, |s| s.emit(&DATA, chunk.clone())));
            }
            FWD_FINISH => {
                d.on(StreamEvent::Finish, move || {
                    with_inner(&w, |s| s.emit(&FINISH, ()))
                });
            }
            FWD_DRAIN => {
                d.on(StreamEvent::Drain, move || with_inner(&w, |s| s.emit(&DRAIN, ())));
            }
            _ => {
                d.on_error(move |e| {
                    let e = e.clone();
                    with_inner(&w, move |s| s.on_stream_error(&e))
                });
            }
        }
    }

    /// The emitter, if anyone has used it (emits skip it otherwise).
    fn ev(&self) -> Option<&EventEmitter> {
        self.inner.events.get()
    }

    fn emit<T: Send + Sync + 'static>(&self, event: &Event<T>, payload: T) {
        if let Some(e) = self.ev() {
            e.emit(event, payload);
        }
    }

    /// An accepted connection (server side).
    pub(crate) fn from_conn(conn: Conn, options: SocketOptions, paused: bool) -> Socket {
        let s = Socket::new(options);
        if paused {
            s.inner.duplex.pause();
        }
        s.attach(conn);
        s.on_connected();
        s
    }

    pub(crate) fn set_close_hook(&self, hook: CloseHook) {
        let mut st = lock(&self.inner.st);
        if st.close_emitted {
            drop(st);
            hook();
        } else {
            st.close_hook = Some(hook);
        }
    }

    pub(crate) fn downgrade(&self) -> Weak<Inner> {
        Arc::downgrade(&self.inner)
    }

    pub(crate) fn upgrade(weak: &Weak<Inner>) -> Option<Socket> {
        weak.upgrade().map(|inner| Socket { inner })
    }

    /// The socket as an rt-stream [`Duplex`] handle (the same stream, not a
    /// copy). Node: a `net.Socket` *is* a `stream.Duplex`.
    pub fn as_duplex(&self) -> &Duplex {
        &self.inner.duplex
    }

    /// A [`Duplex`] handle to this socket (the same stream: what is read or
    /// written through it is the socket's). Kept from before `Socket`
    /// dereferenced to its duplex; `pipeline!(socket.clone(), t, socket)`
    /// works on the socket directly.
    ///
    /// ```no_run
    /// # async fn demo(socket: rt_net::Socket) -> Result<(), rt_stream::Error> {
    /// use rt_stream::{pipeline, PassThrough};
    /// // pipeline(socket, new PassThrough(), socket, cb): an echo through a stream
    /// pipeline!(socket.clone(), PassThrough::new(Default::default()), socket).await?;
    /// # Ok(()) }
    /// ```
    pub fn to_duplex(&self) -> Duplex {
        self.inner.duplex.clone()
    }

    /// Installs a connected OS socket: caches addresses, applies options.
    fn attach(&self, conn: Conn) {
        let (no_delay, keep_alive) = {
            let mut st = lock(&self.inner.st);
            st.local = conn.local_addr();
            st.remote = conn.peer_addr();
            st.connected = true;
            st.connecting = false;
            (st.no_delay, st.keep_alive)
        };
        if conn.is_tcp() {
            if let Some(on) = no_delay {
                let _ = conn.sock().set_tcp_nodelay(on);
            }
            if let Some((on, delay)) = keep_alive {
                apply_keep_alive(&conn, on, delay);
            }
        }
        *self.inner.conn.write().unwrap_or_else(PoisonError::into_inner) = Some(Arc::new(conn));
        self.touch();
    }

    /// Starts what waited for the connection: a `_read`, a write, a `_final`.
    fn on_connected(&self) {
        let (read, write, fin) = {
            let mut st = lock(&self.inner.st);
            let write = st.pending_write.is_some() && !st.writer_running;
            if write {
                st.writer_running = true;
            }
            (std::mem::take(&mut st.want_read), write, st.pending_final.take())
        };
        if write {
            let me = self.clone();
            self.spawn(async move { me.writer().await });
        }
        if let Some(c) = fin {
            c.complete(self.shutdown_now());
        }
        if read {
            self.source_read();
        }
    }

    pub(crate) fn conn(&self) -> Option<Arc<Conn>> {
        self.inner
            .conn
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn spawn<F: std::future::Future<Output = ()> + Send + 'static>(&self, f: F) {
        match &self.inner.runtime {
            Some(h) => {
                h.spawn(f);
            }
            None => {
                if let Ok(h) = tokio::runtime::Handle::try_current() {
                    h.spawn(f);
                }
            }
        }
    }

    // ----- connecting -------------------------------------------------------

    /// Connects to a TCP port (on `localhost` unless a host is given) or a
    /// Unix socket path. Node: `socket.connect(options[, connectListener])`;
    /// the returned future is the connect listener.
    ///
    /// Emits `'lookup'` (for a host name), then `'connect'` and `'ready'`; on
    /// failure `'error'` and `'close'(true)`, and the error is returned too
    /// (`ECONNREFUSED`, `ENOENT`, `ENOTFOUND`, `ETIMEDOUT`...).
    ///
    /// `options.socket`'s half-open policy and read size apply; its
    /// high-water mark is the one the socket was made with (as Node's
    /// `writableHighWaterMark`, a constructor option): [`connect`] uses it.
    pub async fn connect(&self, options: impl Into<ConnectOptions>) -> Result<(), Error> {
        let options = options.into();
        {
            let mut st = lock(&self.inner.st);
            if st.destroyed {
                return Err(Error::socket_closed());
            }
            if st.connecting || st.connected {
                return Err(Error::new(
                    "ERR_SOCKET_CONNECTING",
                    "Socket is already connecting or connected",
                ));
            }
            st.connecting = true;
            st.allow_half_open = options.socket.allow_half_open;
            st.read_size = options.socket.read_size.max(1);
            if options.no_delay {
                st.no_delay = Some(true);
            }
            if options.keep_alive {
                st.keep_alive = Some((true, options.keep_alive_initial_delay));
            }
        }
        let attempt = self.open(&options);
        let result = match options.connect_timeout {
            Some(limit) => match tokio::time::timeout(limit, attempt).await {
                Ok(r) => r,
                Err(_) => Err(match &options.path {
                    Some(p) => Error::connect_timeout(&p.to_string_lossy(), None),
                    None => Error::connect_timeout(
                        options.host.as_deref().unwrap_or("localhost"),
                        Some(options.port),
                    ),
                }),
            },
            None => attempt.await,
        };
        match result {
            Ok(conn) => {
                if self.destroyed() {
                    return Err(Error::closed_before_connection());
                }
                self.attach(conn);
                if let Some(t) = options.timeout {
                    self.set_timeout(t);
                }
                self.emit(&CONNECT, ());
                self.emit(&READY, ());
                self.inner.changed.notify_waiters();
                self.on_connected();
                Ok(())
            }
            Err(e) => {
                lock(&self.inner.st).connecting = false;
                self.destroy_with(Some(e.clone()));
                // As in Node, 'error' and 'close' have been emitted by the
                // time the caller hears of the failure.
                self.closed().await;
                Err(e)
            }
        }
    }

    async fn open(&self, options: &ConnectOptions) -> Result<Conn, Error> {
        if let Some(path) = &options.path {
            let shown = path.to_string_lossy().to_string();
            lock(&self.inner.st).path = Some(shown.clone());
            return connect_unix(path)
                .await
                .map_err(|e| Error::connect(&e, &shown, None));
        }
        let host = options.host.clone().unwrap_or_else(|| "localhost".into());
        let is_literal = host.parse::<std::net::IpAddr>().is_ok();
        let (ip, family) = match lookup(&host, options.family).await {
            Ok(found) => found,
            Err(e) => return Err(e),
        };
        if !is_literal {
            self.emit(
                &LOOKUP,
                LookupInfo {
                    address: ip.to_string(),
                    family,
                    host: host.clone(),
                },
            );
        }
        let addr = SocketAddr::new(ip, options.port);
        let shown_ip = ip.to_string();
        let sock = match family {
            Family::IPv4 => tokio::net::TcpSocket::new_v4(),
            Family::IPv6 => tokio::net::TcpSocket::new_v6(),
        }
        .map_err(|e| Error::connect(&e, &shown_ip, Some(options.port)))?;
        if options.local_address.is_some() || options.local_port.is_some() {
            let local_ip = match &options.local_address {
                Some(a) => a.parse().map_err(|_| {
                    Error::invalid_arg("options.localAddress", &format!("is invalid. Received '{a}'"))
                })?,
                None => match family {
                    Family::IPv4 => std::net::IpAddr::from([0, 0, 0, 0]),
                    Family::IPv6 => std::net::IpAddr::from([0u16; 8]),
                },
            };
            let local = SocketAddr::new(local_ip, options.local_port.unwrap_or(0));
            // Node: `exceptionWithHostPort(err, 'bind', localAddress, localPort)`.
            sock.bind(local).map_err(|e| {
                Error::with_host_port(&e, "bind", &local_ip.to_string(), Some(i32::from(local.port())))
            })?;
        }
        sock.connect(addr).await.map(Conn::Tcp).map_err(|e| {
            let err = Error::connect(&e, &shown_ip, Some(options.port));
            // Node adds the local end when both were asked for.
            match (&options.local_address, options.local_port) {
                (Some(a), Some(p)) if p > 0 => err.with_local_suffix(a, i32::from(p)),
                _ => err,
            }
        })
    }

    // ----- reading ----------------------------------------------------------

    /// Pulls the next chunk of data: `Ok(None)` once the peer has ended (after
    /// `'end'`), or once the socket is destroyed. The chunk is also emitted as
    /// `'data'`. Reads from the kernel only while the stream is below its
    /// high-water mark: not reading leaves data in the kernel, which stops
    /// the peer (backpressure). Node: `for await (const chunk of socket)`.
    ///
    /// Waits for the connection if it is still being made.
    pub async fn read(&self) -> Result<Option<Buffer>, Error> {
        match self.inner.duplex.read().await {
            Some(Ok(chunk)) => Ok(Some(chunk)),
            Some(Err(e)) => {
                if self.inner.duplex.errored().is_none() && self.error().is_none() {
                    // Destroyed without an error: the data simply stops.
                    return Ok(None);
                }
                // As in Node, 'error' and 'close' have been emitted by the
                // time the reader hears of the failure.
                self.closed().await;
                Err(e)
            }
            None => Ok(None),
        }
    }

    /// Starts the flow (data as `'data'` events). Node: `socket.resume()`.
    pub fn resume(&self) {
        self.inner.duplex.resume();
    }

    /// Stops the flow: once the stream's buffer reaches its mark nothing is
    /// read from the kernel, and once the kernel buffers are full the peer's
    /// writes block. Node: `socket.pause()`.
    pub fn pause(&self) {
        self.inner.duplex.pause();
    }

    /// Whether the socket is paused. Node: `socket.isPaused()`.
    #[doc(alias = "isPaused")]
    pub fn is_paused(&self) -> bool {
        self.inner.duplex.is_paused()
    }

    /// Decodes incoming data as text from now on (`'data'` then carries the
    /// text, as UTF-8 bytes). Multi-byte characters split across chunks are
    /// kept whole. Node: `socket.setEncoding(encoding)`; an unknown name is
    /// `ERR_UNKNOWN_ENCODING`.
    #[doc(alias = "setEncoding")]
    pub fn set_encoding(&self, encoding: &str) -> Result<(), Error> {
        self.inner.duplex.set_encoding(encoding)
    }

    fn on_stream_end(&self) {
        let half_open = {
            let mut st = lock(&self.inner.st);
            st.end_emitted = true;
            st.read_eof = true;
            st.allow_half_open
        };
        self.inner.changed.notify_waiters();
        self.emit(&END, ());
        // Node's default: our side ends once the peer's has (after the
        // writes already made). Whatever is piped into the socket ends it
        // itself, after all its data.
        if !half_open && self.inner.pipes_in.load(Ordering::Acquire) == 0 {
            let _ = self.inner.duplex.end();
        }
    }

    // ----- writing ----------------------------------------------------------

    /// Writes `data`. Returns `false` when the buffered data reached the
    /// high-water mark: wait for `'drain'` (or use
    /// [`write_all`](Socket::write_all)) before writing more. Node: `socket.write(data)`.
    ///
    /// Errors (write after `end`, on a destroyed socket, `EPIPE`...) are
    /// emitted as `'error'` and make this return `false`; use
    /// [`write_all`](Socket::write_all) to get them as values.
    pub fn write(&self, data: impl Into<Buffer>) -> bool {
        self.inner.duplex.write(data).unwrap_or(false)
    }

    /// Writes `data` and, if the write buffer is past its high-water mark,
    /// waits until it has drained. The async form of `write` + `'drain'`.
    pub async fn write_all(&self, data: impl Into<Buffer>) -> Result<(), Error> {
        match self.inner.duplex.write_all(data).await {
            Ok(()) => Ok(()),
            Err(err) => {
                if err.syscall().is_some() {
                    // The connection failed (EPIPE, ECONNRESET...): the
                    // socket is destroyed by then, as in Node.
                    self.destroy_with(Some(err.clone()));
                }
                Err(err)
            }
        }
    }

    /// Waits until everything written so far has been handed to the kernel.
    pub async fn drained(&self) -> Result<(), Error> {
        let mut d = self.inner.duplex.clone();
        match tokio::io::AsyncWriteExt::flush(&mut d).await {
            Ok(()) => Ok(()),
            Err(e) => Err(match e.get_ref().and_then(|x| x.downcast_ref::<Error>()) {
                Some(se) => se.clone(),
                None => self.error().unwrap_or_else(|| destroyed_error("write")),
            }),
        }
    }

    /// Ends our side: buffered data is sent, then FIN (`'finish'`). The socket
    /// closes once the peer has ended too (at once without `allow_half_open`
    /// when the peer ended first). Node: `socket.end()`.
    pub fn end(&self) {
        if self.destroyed() {
            return;
        }
        let _ = self.inner.duplex.end();
    }

    /// Writes `data`, then ends. Node: `socket.end(data)`.
    #[doc(alias = "end")]
    pub fn end_with(&self, data: impl Into<Buffer>) {
        if self.destroyed() {
            return;
        }
        let _ = self.inner.duplex.end_with(data);
    }

    /// Ends our side once the buffered data is written, then destroys the
    /// socket (Node: `socket.destroySoon()`).
    #[doc(alias = "destroySoon")]
    pub fn destroy_soon(&self) {
        self.end();
        if self.inner.duplex.writable_length() == 0 {
            self.destroy();
        } else {
            let me = self.clone();
            self.spawn(async move {
                let _ = me.drained().await;
                me.destroy();
            });
        }
    }

    /// Closes the socket now: buffered data is dropped, `'close'(false)` is
    /// emitted. Node: `socket.destroy()`.
    pub fn destroy(&self) {
        self.destroy_with(None);
    }

    /// Closes the socket now with an error: `'error'` then `'close'(true)`.
    /// Node: `socket.destroy(err)`.
    #[doc(alias = "destroy")]
    pub fn destroy_with_error(&self, err: Error) {
        self.destroy_with(Some(err));
    }

    /// Closes the connection with a TCP reset (RST) instead of FIN.
    /// Node: `socket.resetAndDestroy()`.
    #[doc(alias = "resetAndDestroy")]
    pub fn reset_and_destroy(&self) {
        if let Some(c) = self.conn() {
            let _ = c.sock().set_linger(Some(Duration::ZERO));
        }
        self.destroy_with(None);
    }

    pub(crate) fn destroy_with(&self, err: Option<Error>) {
        {
            let mut st = lock(&self.inner.st);
            if st.error.is_none() {
                st.error = err.clone();
            }
        }
        self.inner.duplex.destroy(err);
        self.release();
    }

    /// Lets go of the OS socket (the fd closes once in-flight reads and
    /// writes, woken here, have dropped their handles).
    pub(crate) fn release(&self) {
        let pending = {
            let mut st = lock(&self.inner.st);
            if !st.destroyed {
                st.destroyed = true;
                st.connecting = false;
                self.inner.timer.close();
            }
            (st.pending_write.take(), st.pending_final.take())
        };
        let conn = self
            .inner
            .conn
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        drop(conn);
        self.inner.changed.notify_waiters();
        if let Some((_, c, _)) = pending.0 {
            c.complete(Err(destroyed_error("write")));
        }
        if let Some(c) = pending.1 {
            c.complete(Err(destroyed_error("end")));
        }
    }

    fn on_stream_error(&self, e: &Error) {
        let err = {
            let mut st = lock(&self.inner.st);
            if st.error.is_none() {
                st.error = Some(e.clone());
            }
            e.clone()
        };
        // An error nobody listens to stays readable through `error()` and is
        // returned by the async method that hit it.
        if let Some(ev) = self.ev() {
            let _ = ev.emit_error(&ERROR, err);
        }
    }

    fn on_stream_close(&self) {
        self.release();
        let (hook, had_error) = {
            let mut st = lock(&self.inner.st);
            if st.close_emitted {
                return;
            }
            st.close_emitted = true;
            (st.close_hook.take(), st.error.is_some())
        };
        let had_error = had_error || self.inner.duplex.errored().is_some();
        // The server counts the connection gone (and may emit its own
        // 'close') before the socket's 'close', as Node does: it
        // decrements in `_destroy`, the socket's 'close' comes later.
        if let Some(h) = hook {
            h();
        }
        self.emit(&CLOSE, had_error);
        lock(&self.inner.st).close_done = true;
        self.inner.changed.notify_waiters();
        // Listeners often hold handles to the socket: free them so the
        // socket can be dropped.
        if let Some(e) = self.ev() {
            e.remove_all_listeners(None);
        }
    }

    /// The error the socket was destroyed with, if any (Node keeps it in
    /// `socket.errored`).
    #[doc(alias = "errored")]
    pub fn error(&self) -> Option<Error> {
        let own = lock(&self.inner.st).error.clone();
        own.or_else(|| self.inner.duplex.errored())
    }

    /// Waits until the socket has closed (after `'close'`).
    pub async fn closed(&self) {
        loop {
            let changed = self.inner.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            if lock(&self.inner.st).close_done {
                return;
            }
            changed.await;
        }
    }

    // ----- piping -----------------------------------------------------------

    /// Sends everything read from this socket to `dest` (any rt stream's
    /// writable side: a socket, a `Writable`, a `Transform`...), respecting
    /// its backpressure, and ends `dest` when this socket ends. Resolves
    /// once this socket's data has ended (or it closed). Node:
    /// `socket.pipe(dest)`.
    ///
    /// An echo server is `socket.pipe(&socket)`.
    pub async fn pipe<D>(&self, dest: &D) -> Result<(), Error>
    where
        D: rt_stream::WritableStream<Buffer> + Clone,
    {
        self.inner.duplex.pipe(dest);
        loop {
            let changed = self.inner.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            {
                let st = lock(&self.inner.st);
                if st.end_emitted || st.close_done {
                    return match &st.error {
                        Some(e) if !st.end_emitted => Err(e.clone()),
                        _ => Ok(()),
                    };
                }
            }
            changed.await;
        }
    }

    // ----- timers and TCP options -------------------------------------------

    pub(crate) fn touch(&self) {
        self.inner.timer.touch();
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
        let timer = &self.inner.timer;
        timer.set_timeout(timeout);
        if timeout.is_zero() || timer.is_closed() || !timer.claim_driver() {
            return;
        }
        let timer = timer.clone();
        let weak = Arc::downgrade(&self.inner);
        self.spawn(async move {
            while timer.expired().await {
                let Some(inner) = weak.upgrade() else { return };
                Socket { inner }.emit(&TIMEOUT, ());
            }
        });
    }

    /// The idle timeout set by `set_timeout` (zero: none). Node: `socket.timeout`.
    pub fn timeout(&self) -> Duration {
        self.inner.timer.timeout()
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

    // ----- counters, addresses, state ---------------------------------------

    /// Bytes received. Node: `socket.bytesRead`.
    #[doc(alias = "bytesRead")]
    pub fn bytes_read(&self) -> u64 {
        self.inner.bytes_read.load(Ordering::Relaxed)
    }

    /// Bytes given to `write` (sent, or buffered to be sent). Node: `socket.bytesWritten`.
    #[doc(alias = "bytesWritten")]
    pub fn bytes_written(&self) -> u64 {
        self.inner.bytes_sent.load(Ordering::Relaxed) + self.inner.duplex.writable_length() as u64
    }

    /// Bytes buffered, not yet taken by the kernel. Node: `socket.writableLength`
    /// (`bufferSize`).
    #[doc(alias = "bufferSize")]
    pub fn buffer_size(&self) -> usize {
        self.inner.duplex.writable_length()
    }

    /// The local address. Node: `socket.address()`.
    pub fn address(&self) -> Option<AddressInfo> {
        lock(&self.inner.st).local.map(AddressInfo::from)
    }

    /// Node: `socket.localAddress`.
    #[doc(alias = "localAddress")]
    pub fn local_address(&self) -> Option<String> {
        lock(&self.inner.st).local.map(|a| a.ip().to_string())
    }

    /// Node: `socket.localPort`.
    #[doc(alias = "localPort")]
    pub fn local_port(&self) -> Option<u16> {
        lock(&self.inner.st).local.map(|a| a.port())
    }

    /// Node: `socket.localFamily`.
    #[doc(alias = "localFamily")]
    pub fn local_family(&self) -> Option<Family> {
        lock(&self.inner.st).local.map(|a| Family::of(&a.ip()))
    }

    /// Node: `socket.remoteAddress`.
    #[doc(alias = "remoteAddress")]
    pub fn remote_address(&self) -> Option<String> {
        lock(&self.inner.st).remote.map(|a| a.ip().to_string())
    }

    /// Node: `socket.remotePort`.
    #[doc(alias = "remotePort")]
    pub fn remote_port(&self) -> Option<u16> {
        lock(&self.inner.st).remote.map(|a| a.port())
    }

    /// Node: `socket.remoteFamily`.
    #[doc(alias = "remoteFamily")]
    pub fn remote_family(&self) -> Option<Family> {
        lock(&self.inner.st).remote.map(|a| Family::of(&a.ip()))
    }

    /// The Unix socket path this socket connected to, if any.
    pub fn path(&self) -> Option<String> {
        lock(&self.inner.st).path.clone()
    }

    /// `"opening"`, `"open"`, `"readOnly"`, `"writeOnly"` or `"closed"`, as
    /// Node's `socket.readyState`.
    #[doc(alias = "readyState")]
    pub fn ready_state(&self) -> &'static str {
        let (connecting, destroyed, eof) = {
            let st = lock(&self.inner.st);
            (st.connecting, st.destroyed, st.read_eof)
        };
        if connecting {
            return "opening";
        }
        let d = &self.inner.duplex;
        let readable = !destroyed && !eof && d.is_readable();
        let writable = !destroyed && d.is_writable();
        match (readable, writable) {
            (true, true) => "open",
            (true, false) => "readOnly",
            (false, true) => "writeOnly",
            (false, false) => "closed",
        }
    }

    /// Not connected yet (or connecting). Node: `socket.pending`.
    pub fn pending(&self) -> bool {
        let st = lock(&self.inner.st);
        !st.connected || st.connecting || st.destroyed
    }

    /// A connect is in progress. Node: `socket.connecting`.
    pub fn connecting(&self) -> bool {
        lock(&self.inner.st).connecting
    }

    /// The socket was destroyed (closed). Node: `socket.destroyed`.
    pub fn destroyed(&self) -> bool {
        lock(&self.inner.st).destroyed || self.inner.duplex.destroyed()
    }

    /// Whether two handles are the same socket.
    pub fn same(&self, other: &Socket) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        // Ends the timer's task, if one was started.
        self.timer.close();
        // The last handle went away without a close: run the server's hook
        // so its connection count stays right.
        let st = self.st.get_mut().unwrap_or_else(PoisonError::into_inner);
        if let Some(h) = st.close_hook.take() {
            h();
        }
    }
}

thread_local! {
    /// One read buffer per thread, not per socket: an idle connection holds
    /// no buffer at all. Chunks are split off it; once they are dropped,
    /// `reserve` takes the same allocation back (no malloc per read).
    static READ_BUF: std::cell::RefCell<BytesMut> = std::cell::RefCell::new(BytesMut::new());
}

/// One non-blocking read into the thread's buffer: `Ok(None)` at EOF.
fn read_into_thread_buffer(conn: &Conn, size: usize) -> io::Result<Option<Bytes>> {
    READ_BUF.with(|cell| {
        let mut buf = cell.borrow_mut();
        buf.clear();
        if buf.capacity() < size {
            buf.reserve(size);
        }
        match conn.try_read_buf(&mut buf) {
            Ok(0) => Ok(None),
            Ok(n) => Ok(Some(buf.split_to(n).freeze())),
            Err(e) => Err(e),
        }
    })
}

pub(crate) fn destroyed_error(method: &str) -> Error {
    Error::destroyed(method)
}

fn apply_keep_alive(conn: &Conn, enable: bool, delay: Duration) {
    let sock = conn.sock();
    if enable && !delay.is_zero() {
        let ka = socket2::TcpKeepalive::new().with_time(delay.max(Duration::from_secs(1)));
        let _ = sock.set_tcp_keepalive(&ka);
    } else {
        let _ = sock.set_keepalive(enable);
    }
}

async fn connect_unix(path: &std::path::Path) -> io::Result<Conn> {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::ffi::OsStrExt;
        let raw = path.as_os_str().as_bytes();
        if let Some(name) = raw.strip_prefix(b"\0") {
            let addr = crate::conn::abstract_addr(name)?;
            let std = std::os::unix::net::UnixStream::connect_addr(&addr)?;
            std.set_nonblocking(true)?;
            return Ok(Conn::Unix(tokio::net::UnixStream::from_std(std)?));
        }
    }
    Ok(Conn::Unix(tokio::net::UnixStream::connect(path).await?))
}

/// Opens a connection (Node: `net.connect(options)` / `net.createConnection`).
/// Resolves once connected, after `'connect'`.
///
/// ```no_run
/// # async fn demo() -> Result<(), rt_net::Error> {
/// // const client = net.connect({ port: 8124 }, () => client.write('hi'));
/// let client = rt_net::connect(8124).await?;
/// client.write("hi");
/// # Ok(()) }
/// ```
#[doc(alias = "createConnection")]
pub async fn connect(options: impl Into<ConnectOptions>) -> Result<Socket, Error> {
    let options = options.into();
    let socket = Socket::new(options.socket.clone());
    socket.connect(options).await?;
    Ok(socket)
}

/// Same as [`connect`]. Node: `net.createConnection(options)`.
pub async fn create_connection(options: impl Into<ConnectOptions>) -> Result<Socket, Error> {
    connect(options).await
}
