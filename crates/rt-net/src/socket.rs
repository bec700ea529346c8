//! [`Socket`]: Node's `net.Socket`, a duplex byte stream over TCP or a Unix socket.
//!
//! How it is built:
//! - the OS socket is registered with tokio and used through readiness +
//!   `try_read` / `try_write` on `&self`, so reading and writing never lock
//!   each other;
//! - `write` first tries a direct non-blocking write (libuv's `uv_try_write`);
//!   only what the kernel does not take is queued, and a writer task drains
//!   the queue when the socket becomes writable again;
//! - reading happens only when someone reads: a pull `read().await`, or the
//!   flowing reader started by `resume()` / a `'data'` listener and stopped by
//!   `pause()`. Nothing reads ahead, so a slow consumer leaves the data in the
//!   kernel and the peer's sends block (end-to-end backpressure).

use std::collections::VecDeque;
use std::io::{self, IoSlice};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError, RwLock, Weak};
use std::time::{Duration, Instant};

use bytes::{Buf, Bytes, BytesMut};
use rt_buffer::{Buffer, Encoding, StringDecoder};
use rt_events::{Emitter, Event, EventEmitter, ListenerId};
use tokio::sync::Notify;

use crate::address::{AddressInfo, Family};
use crate::conn::Conn;
use crate::error::NetError;
use crate::events::{CLOSE, CONNECT, DATA, DRAIN, END, ERROR, FINISH, LOOKUP, READY, TIMEOUT};
use crate::lookup::{LookupInfo, lookup};
use crate::options::{ConnectOptions, SocketOptions};

mod tokio_io;

/// Node's `net.Socket`: one end of a TCP or Unix-socket connection, a duplex
/// byte stream with Node's events, flags and counters.
///
/// Cheap to clone: clones are handles to the same socket (Node's model, where
/// the socket, the pipe and the listeners all share one object). The socket
/// closes when it is destroyed, when both sides have ended, or when the last
/// handle is dropped.
///
/// Events (see [`crate::events`]): `connect`, `ready`, `data`, `end`,
/// `finish`, `close(had_error)`, `error`, `timeout`, `drain`, `lookup`, in
/// Node's order. (Each side's events keep Node's order on any runtime; on
/// a multi-thread runtime, events of the read side — `'data'`, `'end'` — can
/// interleave with those of the write side — `'finish'`, `'drain'` —
/// differently than on Node's single thread, as they run on different
/// threads. On a current-thread runtime the interleaving is Node's.)
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
    conn: RwLock<Option<Arc<Conn>>>,
    st: Mutex<State>,
    bytes_read: AtomicU64,
    bytes_written: AtomicU64,
    /// Milliseconds since `created` of the last read or write (for set_timeout).
    last_active: AtomicU64,
    created: Instant,
    /// Woken on close/destroy (stops readers and the writer) and on state
    /// changes waiters care about (drain, connect).
    changed: Notify,
    runtime: Option<tokio::runtime::Handle>,
}

pub(crate) struct State {
    connecting: bool,
    connected: bool,
    destroyed: bool,
    /// The peer's FIN was read.
    read_eof: bool,
    /// `end()` was called.
    ending: bool,
    /// Our FIN was sent.
    finished: bool,
    /// `'finish'` was emitted (the socket closes only after it).
    finish_emitted: bool,
    /// `'close'` was emitted (what `closed()` waits for).
    close_done: bool,
    close_emitted: bool,
    queue: VecDeque<Bytes>,
    queued: usize,
    writer_running: bool,
    need_drain: bool,
    paused: bool,
    reader_running: bool,
    read_size: usize,
    high_water_mark: usize,
    allow_half_open: bool,
    decoder: Option<StringDecoder>,
    timeout: Duration,
    timer_gen: u64,
    no_delay: Option<bool>,
    keep_alive: Option<(bool, Duration)>,
    local: Option<SocketAddr>,
    remote: Option<SocketAddr>,
    path: Option<String>,
    error: Option<NetError>,
    close_hook: Option<CloseHook>,
}

pub(crate) fn lock(m: &Mutex<State>) -> MutexGuard<'_, State> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

enum Read {
    Data(Bytes),
    Eof,
    Closed,
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

impl Socket {
    /// A socket that is not connected yet (Node: `new net.Socket(options)`);
    /// connect it with [`connect`](Socket::connect). Writes made before the
    /// connection is up are queued and sent once it is.
    pub fn new(options: SocketOptions) -> Socket {
        Socket {
            inner: Arc::new(Inner {
                events: OnceLock::new(),
                conn: RwLock::new(None),
                st: Mutex::new(State {
                    connecting: false,
                    connected: false,
                    destroyed: false,
                    read_eof: false,
                    ending: false,
                    finished: false,
                    finish_emitted: false,
                    close_done: false,
                    close_emitted: false,
                    queue: VecDeque::new(),
                    queued: 0,
                    writer_running: false,
                    need_drain: false,
                    paused: false,
                    reader_running: false,
                    read_size: options.read_size.max(1),
                    high_water_mark: options.high_water_mark,
                    allow_half_open: options.allow_half_open,
                    decoder: None,
                    timeout: Duration::ZERO,
                    timer_gen: 0,
                    no_delay: None,
                    keep_alive: None,
                    local: None,
                    remote: None,
                    path: None,
                    error: None,
                    close_hook: None,
                }),
                bytes_read: AtomicU64::new(0),
                bytes_written: AtomicU64::new(0),
                last_active: AtomicU64::new(0),
                created: Instant::now(),
                changed: Notify::new(),
                runtime: tokio::runtime::Handle::try_current().ok(),
            }),
        }
    }

    fn listener_added(&self, name: &str) {
        if name == DATA.name() && !lock(&self.inner.st).paused {
            self.start_reader();
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
        {
            let mut st = lock(&s.inner.st);
            st.paused = paused;
        }
        s.attach(conn);
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
    pub async fn connect(&self, options: impl Into<ConnectOptions>) -> Result<(), NetError> {
        let options = options.into();
        {
            let mut st = lock(&self.inner.st);
            if st.destroyed {
                return Err(NetError::socket_closed());
            }
            if st.connecting || st.connected {
                return Err(NetError::new(
                    "ERR_SOCKET_CONNECTING",
                    "Socket is already connecting or connected",
                ));
            }
            st.connecting = true;
            st.allow_half_open = options.socket.allow_half_open;
            st.high_water_mark = options.socket.high_water_mark;
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
                    Some(p) => NetError::connect_timeout(&p.to_string_lossy(), None),
                    None => NetError::connect_timeout(
                        options.host.as_deref().unwrap_or("localhost"),
                        Some(options.port),
                    ),
                }),
            },
            None => attempt.await,
        };
        match result {
            Ok(conn) => {
                if lock(&self.inner.st).destroyed {
                    return Err(NetError::closed_before_connection());
                }
                self.attach(conn);
                if let Some(t) = options.timeout {
                    self.set_timeout(t);
                }
                self.emit(&CONNECT, ());
                self.emit(&READY, ());
                self.inner.changed.notify_waiters();
                let (start_writer, ending) = {
                    let st = lock(&self.inner.st);
                    (!st.queue.is_empty() && !st.writer_running, st.ending)
                };
                if start_writer {
                    self.start_writer();
                } else if ending {
                    self.finish_if_flushed();
                }
                let (listeners, paused) = (
                    self.ev().is_some_and(|e| e.listener_count(&DATA) > 0),
                    lock(&self.inner.st).paused,
                );
                if listeners && !paused {
                    self.start_reader();
                }
                Ok(())
            }
            Err(e) => {
                lock(&self.inner.st).connecting = false;
                self.destroy_with(Some(e.clone()));
                Err(e)
            }
        }
    }

    async fn open(&self, options: &ConnectOptions) -> Result<Conn, NetError> {
        if let Some(path) = &options.path {
            let shown = path.to_string_lossy().to_string();
            lock(&self.inner.st).path = Some(shown.clone());
            return connect_unix(path)
                .await
                .map_err(|e| NetError::connect(&e, &shown, None));
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
        .map_err(|e| NetError::connect(&e, &shown_ip, Some(options.port)))?;
        if options.local_address.is_some() || options.local_port.is_some() {
            let local_ip = match &options.local_address {
                Some(a) => a.parse().map_err(|_| {
                    NetError::invalid_arg("options.localAddress", &format!("is invalid. Received '{a}'"))
                })?,
                None => match family {
                    Family::IPv4 => std::net::IpAddr::from([0, 0, 0, 0]),
                    Family::IPv6 => std::net::IpAddr::from([0u16; 8]),
                },
            };
            let local = SocketAddr::new(local_ip, options.local_port.unwrap_or(0));
            sock.bind(local).map_err(|e| {
                let mut err = NetError::from_io(&e, "bind");
                if let (Some(a), Some(p)) = (err.address(), err.port()) {
                    err = NetError::new(err.code(), format!("bind {} {a}:{p}", err.code()));
                }
                err
            })?;
        }
        sock.connect(addr)
            .await
            .map(Conn::Tcp)
            .map_err(|e| NetError::connect(&e, &shown_ip, Some(options.port)))
    }

    // ----- reading ----------------------------------------------------------

    /// Pulls the next chunk of data: `Ok(None)` once the peer has ended (after
    /// `'end'`), or once the socket is destroyed. The chunk is also emitted as
    /// `'data'`. Reads only when called: not reading leaves data in the
    /// kernel, which stops the peer (backpressure).
    ///
    /// Waits for the connection if it is still being made.
    pub async fn read(&self) -> Result<Option<Buffer>, NetError> {
        match self.read_raw().await {
            Ok(Read::Data(bytes)) => Ok(Some(self.deliver(bytes))),
            Ok(Read::Eof) => {
                self.on_eof();
                Ok(None)
            }
            Ok(Read::Closed) => Ok(None),
            Err(e) => {
                self.destroy_with(Some(e.clone()));
                Err(e)
            }
        }
    }

    pub(crate) fn deliver(&self, bytes: Bytes) -> Buffer {
        self.inner
            .bytes_read
            .fetch_add(bytes.len() as u64, Ordering::Relaxed);
        self.touch();
        let out = {
            let mut st = lock(&self.inner.st);
            match st.decoder.as_mut() {
                Some(d) => Buffer::from(d.write(&bytes).into_bytes()),
                None => Buffer::from(bytes),
            }
        };
        self.emit(&DATA, out.clone());
        out
    }

    async fn wait_connected(&self) -> Option<Arc<Conn>> {
        loop {
            let changed = self.inner.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            {
                let st = lock(&self.inner.st);
                if st.destroyed || st.read_eof {
                    return None;
                }
                if st.connected {
                    drop(st);
                    return self.conn();
                }
                if !st.connecting {
                    return None;
                }
            }
            changed.await;
        }
    }

    async fn read_raw(&self) -> Result<Read, NetError> {
        let conn = match self.conn() {
            Some(c) => c,
            None => match self.wait_connected().await {
                Some(c) => c,
                None => return Ok(Read::Closed),
            },
        };
        let size = {
            let st = lock(&self.inner.st);
            if st.destroyed || st.read_eof {
                return Ok(Read::Closed);
            }
            st.read_size
        };
        loop {
            // Try first: tokio answers WouldBlock without a system call when
            // the socket is not known to be readable.
            match read_into_thread_buffer(&conn, size) {
                Ok(Some(bytes)) => return Ok(Read::Data(bytes)),
                Ok(None) => return Ok(Read::Eof),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(NetError::from_io(&e, "read")),
            }
            let closed = self.inner.changed.notified();
            tokio::pin!(closed);
            closed.as_mut().enable();
            if lock(&self.inner.st).destroyed {
                return Ok(Read::Closed);
            }
            tokio::select! {
                biased;
                r = conn.readable() => r.map_err(|e| NetError::from_io(&e, "read"))?,
                _ = closed => {
                    if lock(&self.inner.st).destroyed {
                        return Ok(Read::Closed);
                    }
                }
            }
        }
    }

    pub(crate) fn on_eof(&self) {
        let (tail, half_open) = {
            let mut st = lock(&self.inner.st);
            if st.read_eof || st.destroyed {
                return;
            }
            st.read_eof = true;
            let tail = st.decoder.as_mut().map(|d| d.end()).filter(|t| !t.is_empty());
            (tail, st.allow_half_open)
        };
        if let Some(t) = tail {
            self.emit(&DATA, Buffer::from(t.into_bytes()));
        }
        self.emit(&END, ());
        if !half_open {
            self.end();
        }
        self.maybe_close();
    }

    /// Starts the flowing reader (data as `'data'` events). Node: `socket.resume()`.
    pub fn resume(&self) {
        lock(&self.inner.st).paused = false;
        self.start_reader();
    }

    /// Stops reading from the kernel until `resume()`: the peer's data waits
    /// there, and once the kernel buffers are full the peer's writes block.
    /// Node: `socket.pause()`.
    pub fn pause(&self) {
        lock(&self.inner.st).paused = true;
    }

    /// Whether the socket is paused. Node: `socket.isPaused()`.
    #[doc(alias = "isPaused")]
    pub fn is_paused(&self) -> bool {
        lock(&self.inner.st).paused
    }

    fn start_reader(&self) {
        {
            let mut st = lock(&self.inner.st);
            if st.reader_running || st.paused || st.destroyed || st.read_eof {
                return;
            }
            if !st.connected && !st.connecting {
                // Started once connected (see `connect`).
                return;
            }
            st.reader_running = true;
        }
        let me = self.clone();
        self.spawn(async move {
            loop {
                {
                    let mut st = lock(&me.inner.st);
                    if st.paused || st.destroyed || st.read_eof {
                        st.reader_running = false;
                        return;
                    }
                }
                match me.read().await {
                    Ok(Some(_)) => {}
                    Ok(None) | Err(_) => {
                        lock(&me.inner.st).reader_running = false;
                        return;
                    }
                }
            }
        });
    }

    /// Decodes incoming data as text from now on (`'data'` then carries the
    /// text, as UTF-8 bytes). Multi-byte characters split across chunks are
    /// kept whole. Node: `socket.setEncoding(encoding)`; an unknown name is
    /// `ERR_UNKNOWN_ENCODING`.
    #[doc(alias = "setEncoding")]
    pub fn set_encoding(&self, encoding: &str) -> Result<(), NetError> {
        let enc = Encoding::from_name(encoding)
            .map_err(|_| NetError::new("ERR_UNKNOWN_ENCODING", format!("Unknown encoding: {encoding}")))?;
        lock(&self.inner.st).decoder = Some(StringDecoder::new(enc));
        Ok(())
    }

    // ----- writing ----------------------------------------------------------

    /// Writes `data`. Returns `false` when the queued data reached the
    /// high-water mark: wait for `'drain'` (or use
    /// [`write_all`](Socket::write_all)) before writing more. Node: `socket.write(data)`.
    ///
    /// Errors (write after `end`, on a destroyed socket, `EPIPE`...) are
    /// emitted as `'error'` and make this return `false`; use
    /// [`write_all`](Socket::write_all) to get them as values.
    pub fn write(&self, data: impl Into<Buffer>) -> bool {
        self.try_write_data(data.into(), true).unwrap_or(false)
    }

    /// Writes `data` and, if the write buffer is past its high-water mark,
    /// waits until it has drained. The async form of `write` + `'drain'`.
    ///
    /// When the kernel does not take everything at once, this task itself
    /// writes the rest as the socket becomes writable (no writer task, no
    /// wake-up of another task: the echo loop costs what a bare tokio loop does).
    pub async fn write_all(&self, data: impl Into<Buffer>) -> Result<(), NetError> {
        let below_mark = self.try_write_data(data.into(), false)?;
        let claimed = {
            let mut st = lock(&self.inner.st);
            if !st.queue.is_empty() && st.connected && !st.writer_running && !st.destroyed {
                st.writer_running = true;
                true
            } else {
                false
            }
        };
        if claimed {
            self.clone().writer().await;
            let st = lock(&self.inner.st);
            if st.destroyed {
                return Err(st.error.clone().unwrap_or_else(|| destroyed_error("write")));
            }
        } else if !below_mark {
            self.drained().await?;
        }
        Ok(())
    }

    /// Waits until everything written so far has been handed to the kernel.
    pub async fn drained(&self) -> Result<(), NetError> {
        loop {
            let changed = self.inner.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            {
                let st = lock(&self.inner.st);
                if st.destroyed {
                    return Err(st.error.clone().unwrap_or_else(|| destroyed_error("write")));
                }
                if st.queue.is_empty() {
                    return Ok(());
                }
            }
            changed.await;
        }
    }

    fn try_write_data(&self, data: Buffer, spawn_writer: bool) -> Result<bool, NetError> {
        let bytes: Bytes = data.into();
        let len = bytes.len();
        let mut st = lock(&self.inner.st);
        if st.destroyed {
            drop(st);
            let e = destroyed_error("write");
            self.emit_error(e.clone());
            return Err(e);
        }
        if st.ending {
            drop(st);
            let e = NetError::new("ERR_STREAM_WRITE_AFTER_END", "write after end");
            self.emit_error(e.clone());
            return Err(e);
        }
        self.inner.bytes_written.fetch_add(len as u64, Ordering::Relaxed);
        if len == 0 {
            return Ok(st.queued < st.high_water_mark);
        }
        let mut rest = bytes;
        if st.connected && st.queue.is_empty() {
            if let Some(conn) = self.conn() {
                loop {
                    match conn.try_write(&rest) {
                        Ok(n) => {
                            rest.advance(n);
                            if rest.is_empty() {
                                break;
                            }
                        }
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(e) => {
                            drop(st);
                            let err = NetError::from_io(&e, "write");
                            self.destroy_with(Some(err.clone()));
                            return Err(err);
                        }
                    }
                }
                if st.timeout > Duration::ZERO {
                    drop(st);
                    self.touch();
                    st = lock(&self.inner.st);
                }
            }
        }
        if rest.is_empty() {
            return Ok(st.queued < st.high_water_mark);
        }
        st.queued += rest.len();
        st.queue.push_back(rest);
        let ok = st.queued < st.high_water_mark;
        if !ok {
            st.need_drain = true;
        }
        let start = spawn_writer && st.connected && !st.writer_running;
        drop(st);
        if start {
            self.start_writer();
        }
        Ok(ok)
    }

    fn start_writer(&self) {
        {
            let mut st = lock(&self.inner.st);
            if st.writer_running || st.destroyed {
                return;
            }
            st.writer_running = true;
        }
        let me = self.clone();
        self.spawn(async move { me.writer().await });
    }

    async fn writer(self) {
        let Some(conn) = self.conn() else {
            lock(&self.inner.st).writer_running = false;
            return;
        };
        loop {
            let outcome = {
                let mut st = lock(&self.inner.st);
                if st.destroyed {
                    st.writer_running = false;
                    return;
                }
                flush(&conn, &mut st)
            };
            match outcome {
                Ok(true) => {
                    let drain = {
                        let mut st = lock(&self.inner.st);
                        st.writer_running = false;
                        std::mem::take(&mut st.need_drain)
                    };
                    self.touch();
                    self.inner.changed.notify_waiters();
                    if drain {
                        self.emit(&DRAIN, ());
                    }
                    self.finish_if_flushed();
                    return;
                }
                Ok(false) => {
                    let closed = self.inner.changed.notified();
                    tokio::pin!(closed);
                    closed.as_mut().enable();
                    if lock(&self.inner.st).destroyed {
                        lock(&self.inner.st).writer_running = false;
                        return;
                    }
                    tokio::select! {
                        biased;
                        r = conn.writable() => {
                            if let Err(e) = r {
                                lock(&self.inner.st).writer_running = false;
                                self.destroy_with(Some(NetError::from_io(&e, "write")));
                                return;
                            }
                        }
                        _ = closed => {}
                    }
                }
                Err(e) => {
                    lock(&self.inner.st).writer_running = false;
                    self.destroy_with(Some(NetError::from_io(&e, "write")));
                    return;
                }
            }
        }
    }

    /// Ends our side: queued data is sent, then FIN (`'finish'`). The socket
    /// closes once the peer has ended too (at once without `allow_half_open`
    /// when the peer ended first). Node: `socket.end()`.
    pub fn end(&self) {
        {
            let mut st = lock(&self.inner.st);
            if st.ending || st.destroyed {
                return;
            }
            st.ending = true;
        }
        self.finish_if_flushed();
    }

    /// Writes `data`, then ends. Node: `socket.end(data)`.
    #[doc(alias = "end")]
    pub fn end_with(&self, data: impl Into<Buffer>) {
        self.write(data);
        self.end();
    }

    fn finish_if_flushed(&self) {
        let conn = {
            let mut st = lock(&self.inner.st);
            if !st.ending
                || st.finished
                || st.destroyed
                || !st.connected
                || !st.queue.is_empty()
                || st.writer_running
            {
                return;
            }
            st.finished = true;
            drop(st);
            self.conn()
        };
        // 'finish' goes out before the FIN itself: once the FIN is sent the
        // peer may answer (its data, its end) on another thread, and Node's
        // order has 'finish' first.
        self.emit(&FINISH, ());
        lock(&self.inner.st).finish_emitted = true;
        if let Some(c) = conn {
            // ENOTCONN when the peer already reset: nothing left to say.
            let _ = c.shutdown_write();
        }
        self.maybe_close();
    }

    fn maybe_close(&self) {
        let close = {
            let st = lock(&self.inner.st);
            st.read_eof && st.finish_emitted && !st.destroyed
        };
        if close {
            self.destroy_with(None);
        }
    }

    /// Ends our side once the queued data is written (Node:
    /// `socket.destroySoon()`): the same as `end()` here, the socket then
    /// closes when the peer ends or when it is destroyed.
    #[doc(alias = "destroySoon")]
    pub fn destroy_soon(&self) {
        let flushed = {
            let st = lock(&self.inner.st);
            st.queue.is_empty() && !st.writer_running
        };
        self.end();
        if flushed {
            self.destroy();
        } else {
            let me = self.clone();
            self.spawn(async move {
                let _ = me.drained().await;
                me.destroy();
            });
        }
    }

    /// Closes the socket now: queued data is dropped, `'close'(false)` is
    /// emitted. Node: `socket.destroy()`.
    pub fn destroy(&self) {
        self.destroy_with(None);
    }

    /// Closes the socket now with an error: `'error'` then `'close'(true)`.
    /// Node: `socket.destroy(err)`.
    #[doc(alias = "destroy")]
    pub fn destroy_with_error(&self, err: NetError) {
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

    pub(crate) fn destroy_with(&self, err: Option<NetError>) {
        let hook = {
            let mut st = lock(&self.inner.st);
            if st.destroyed {
                return;
            }
            st.destroyed = true;
            st.connecting = false;
            st.queue.clear();
            st.queued = 0;
            st.timer_gen += 1;
            if err.is_some() {
                st.error = err.clone();
            }
            st.close_emitted = true;
            st.close_hook.take()
        };
        // Dropping our handle closes the fd once in-flight reads and writes
        // (woken below) have let go of theirs.
        let conn = self
            .inner
            .conn
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        drop(conn);
        // Wake readers and the writer so they let go of the connection.
        self.inner.changed.notify_waiters();
        let had_error = err.is_some();
        if let Some(e) = err {
            self.emit_error(e);
        }
        self.emit(&CLOSE, had_error);
        lock(&self.inner.st).close_done = true;
        self.inner.changed.notify_waiters();
        if let Some(h) = hook {
            h();
        }
        // Listeners often hold handles to the socket: free them so the
        // socket can be dropped.
        if let Some(e) = self.ev() {
            e.remove_all_listeners(None);
        }
    }

    fn emit_error(&self, e: NetError) {
        // An error nobody listens to stays readable through `error()` and is
        // returned by the async method that hit it.
        if let Some(ev) = self.ev() {
            let _ = ev.emit_error(&ERROR, e);
        }
    }

    /// The error the socket was destroyed with, if any (Node keeps it in
    /// `socket.errored`).
    #[doc(alias = "errored")]
    pub fn error(&self) -> Option<NetError> {
        lock(&self.inner.st).error.clone()
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

    /// Sends everything read from this socket to `dest`, respecting its
    /// backpressure, and ends `dest` when this socket ends. Resolves when the
    /// data has been handed over. Node: `socket.pipe(dest)`.
    ///
    /// An echo server is `socket.pipe(&socket)`.
    pub async fn pipe(&self, dest: &Socket) -> Result<(), NetError> {
        loop {
            match self.read().await? {
                Some(chunk) => dest.write_all(chunk).await?,
                None => {
                    dest.end();
                    return Ok(());
                }
            }
        }
    }

    // ----- timers and TCP options -------------------------------------------

    pub(crate) fn touch(&self) {
        let ms = self.inner.created.elapsed().as_millis() as u64;
        self.inner.last_active.store(ms, Ordering::Relaxed);
    }

    /// Emits `'timeout'` once after `timeout` without reads or writes (again
    /// after new activity). The socket is not closed for you: end or destroy
    /// it in the listener, as in Node. `Duration::ZERO` disables it.
    /// Node: `socket.setTimeout(ms)`.
    #[doc(alias = "setTimeout")]
    pub fn set_timeout(&self, timeout: Duration) {
        let generation = {
            let mut st = lock(&self.inner.st);
            st.timeout = timeout;
            st.timer_gen += 1;
            if st.destroyed || timeout.is_zero() {
                return;
            }
            st.timer_gen
        };
        self.touch();
        let weak = Arc::downgrade(&self.inner);
        self.spawn(async move {
            let mut fired_at: Option<u64> = None;
            loop {
                let (deadline, last) = {
                    let Some(inner) = weak.upgrade() else { return };
                    let last = inner.last_active.load(Ordering::Relaxed);
                    // A timeout too large for the clock never fires.
                    let Some(deadline) = inner
                        .created
                        .checked_add(Duration::from_millis(last))
                        .and_then(|t| t.checked_add(timeout))
                    else {
                        return;
                    };
                    (deadline, last)
                };
                tokio::time::sleep_until(deadline.into()).await;
                let Some(inner) = weak.upgrade() else { return };
                let socket = Socket { inner };
                {
                    let st = lock(&socket.inner.st);
                    if st.timer_gen != generation || st.destroyed {
                        return;
                    }
                }
                let now_last = socket.inner.last_active.load(Ordering::Relaxed);
                if now_last != last {
                    fired_at = None;
                    continue;
                }
                if fired_at == Some(last) {
                    // Already fired for this idle period: wait for activity.
                    // (The next deadline is computed from the last
                    // activity, so sleeping a whole period loses nothing.)
                    drop(socket);
                    tokio::time::sleep(timeout).await;
                    continue;
                }
                fired_at = Some(last);
                socket.emit(&TIMEOUT, ());
            }
        });
    }

    /// The idle timeout set by `set_timeout` (zero: none). Node: `socket.timeout`.
    pub fn timeout(&self) -> Duration {
        lock(&self.inner.st).timeout
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

    /// Bytes given to `write` (sent or queued). Node: `socket.bytesWritten`.
    #[doc(alias = "bytesWritten")]
    pub fn bytes_written(&self) -> u64 {
        self.inner.bytes_written.load(Ordering::Relaxed)
    }

    /// Bytes queued, not yet taken by the kernel. Node: `socket.writableLength`.
    #[doc(alias = "writableLength")]
    pub fn buffer_size(&self) -> usize {
        lock(&self.inner.st).queued
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
        let st = lock(&self.inner.st);
        if st.connecting {
            return "opening";
        }
        let readable = !st.destroyed && !st.read_eof;
        let writable = !st.destroyed && !st.ending;
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
        lock(&self.inner.st).destroyed
    }

    /// Whether two handles are the same socket.
    pub fn same(&self, other: &Socket) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
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

pub(crate) fn destroyed_error(method: &str) -> NetError {
    NetError::new(
        "ERR_STREAM_DESTROYED",
        format!("Cannot call {method} after a stream was destroyed"),
    )
}

/// Writes queued chunks until the queue is empty (`Ok(true)`) or the kernel
/// is full (`Ok(false)`).
pub(crate) fn flush(conn: &Conn, st: &mut State) -> io::Result<bool> {
    while !st.queue.is_empty() {
        let slices: Vec<IoSlice<'_>> = st.queue.iter().take(64).map(|b| IoSlice::new(b)).collect();
        let res = if slices.len() == 1 {
            conn.try_write(&slices[0])
        } else {
            conn.try_write_vectored(&slices)
        };
        drop(slices);
        match res {
            Ok(mut n) => {
                st.queued -= n;
                while n > 0 {
                    let Some(front) = st.queue.front_mut() else { break };
                    if front.len() <= n {
                        n -= front.len();
                        st.queue.pop_front();
                    } else {
                        front.advance(n);
                        n = 0;
                    }
                }
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(false),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(true)
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
/// # async fn demo() -> Result<(), rt_net::NetError> {
/// // const client = net.connect({ port: 8124 }, () => client.write('hi'));
/// let client = rt_net::connect(8124).await?;
/// client.write("hi");
/// # Ok(()) }
/// ```
#[doc(alias = "createConnection")]
pub async fn connect(options: impl Into<ConnectOptions>) -> Result<Socket, NetError> {
    let options = options.into();
    let socket = Socket::new(options.socket.clone());
    socket.connect(options).await?;
    Ok(socket)
}

/// Same as [`connect`]. Node: `net.createConnection(options)`.
pub async fn create_connection(options: impl Into<ConnectOptions>) -> Result<Socket, NetError> {
    connect(options).await
}
