//! [`Socket`]: Node's `net.Socket`, a duplex byte stream over TCP or a Unix socket.
//!
//! A socket *is* a stream: it implements rt-stream's [`StreamBase`],
//! [`ReadableSide`] and [`WritableSide`] over its own stream core, so
//! every stream method (`write`, `end`, `pause`, `pipe`, `cork`,
//! `set_encoding`, `destroy`...) is the stream's, with the stream's shape,
//! and the socket has one emitter: the stream's. What the socket adds sits
//! next to the core, one job per file:
//! - this file: the type, its state, and the hooks it adds around the
//!   stream's `'close'` (`close(had_error)`), `'end'` (the half-open
//!   policy) and errors;
//! - [`connect`](self::connect): connecting (lookup, TCP, Unix, timeouts);
//! - [`io_impl`]: the stream's `_read` and `_write` (the kernel I/O glue);
//! - [`options`](self::options): timeouts and TCP options;
//! - [`info`]: counters, addresses and the connection's state;
//! - [`tokio_io`]: tokio's `AsyncRead` / `AsyncWrite`.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::Duration;

use bytes::Bytes;
use rt_buffer::Buffer;
use rt_events::Emitter;
use rt_stream::{
    Completion, Duplex, DuplexOptions, ReadableSide, StreamBase, StreamCore, StreamHooks, WritableSide,
};
use tokio::sync::Notify;

use self::events::CLOSE;
use crate::conn::Conn;
use crate::error::Error;
use crate::options::SocketOptions;
use crate::transport::IdleTimer;

mod connect;
pub(crate) mod events;
mod info;
mod io_impl;
mod options;
mod tokio_io;

pub use connect::{connect, create_connection};

/// Node's `net.Socket`: one end of a TCP or Unix-socket connection, a duplex
/// byte stream with Node's events, flags and counters.
///
/// A `Socket` *is* a stream: it implements [`StreamBase`], [`ReadableSide`]
/// and [`WritableSide`], has every stream method inherently (`write`,
/// `end`, `pause`, `resume`, `pipe`, `cork`, `read`, `set_encoding`,
/// `destroy`, `readable_length`, ...; same signatures as on
/// [`rt_stream::Duplex`]), and goes wherever an rt stream is taken:
/// `readable.pipe(&socket)`, `pipeline!(socket.clone(), transform, socket)`,
/// `finished(&socket)`.
///
/// Cheap to clone: clones are handles to the same socket (Node's model, where
/// the socket, the pipe and the listeners all share one object). The socket
/// closes when it is destroyed, when both sides have ended, or when the last
/// `Socket` handle is dropped (a pipe does not keep the connection open:
/// keep a `Socket` while something is piped into it).
///
/// Events (see [`crate::events`]), on the socket's one emitter, in Node's
/// order: `connect`, `ready`, `lookup`, `timeout` (the socket's own) and the
/// stream's `data`, `end`, `finish`, `drain`, `error`, and `close(had_error)`.
/// `on` takes an rt-events key (`socket.on(&CONNECT, ..)`) or a
/// [`StreamEvent`](rt_stream::StreamEvent) (`socket.on(StreamEvent::End, ..)`),
/// with or without the `Emitter` trait in scope. Data can be taken either as
/// `'data'` events (adding a [`DATA`](crate::events::DATA) listener starts the
/// flow, as in Node) or pulled with [`recv`](Socket::recv) /
/// [`read`](Socket::read); use one or the other.
#[doc(alias = "net.Socket")]
#[derive(Clone)]
pub struct Socket {
    pub(crate) inner: Arc<Inner>,
}

/// What a server runs when one of its sockets closes: its one closure
/// (shared by every socket of the server, so a connection allocates
/// nothing for it) and the socket's id there.
pub(crate) type CloseHook = (Arc<dyn Fn(u64) + Send + Sync>, u64);

pub(crate) struct Inner {
    /// The stream: both sides' state machines and the socket's one emitter.
    stream: Duplex,
    st: Mutex<State>,
    bytes_read: AtomicU64,
    /// Bytes the kernel took (the queued rest is the stream's `writable_length`).
    bytes_sent: AtomicU64,
    /// Pipes into this socket (for the half-open policy).
    pipes_in: AtomicUsize,
    /// `State::released`, readable without the lock (set under it, in the
    /// same step): the sink's fast path checks it.
    released: AtomicBool,
    /// The reader task may run without the state lock: its waker is in
    /// `State::reader_waker` and neither `released` nor `read_stopped` is
    /// set. Set and cleared only under the state lock (by the reader when it
    /// leaves its waker, by [`Socket::wake_reader`] and by the reader on its
    /// way out); read by the reader on each wake-up instead of taking the
    /// lock. Both stop flags are set once and never cleared, so a reader
    /// that saw this flag set before a stop is woken through the waker the
    /// stop takes, and sees it clear then.
    reader_armed: AtomicBool,
    /// Reads go straight to the kernel, not through the reactor's
    /// readiness, until one comes back short or would block: a connection
    /// handed in with its data likely waiting ([`Socket::assume_ready`]).
    read_now: AtomicBool,
    /// Writes go straight to the kernel until one would block.
    write_now: AtomicBool,
    /// How much the reader asks the kernel for per read (`readSize`; set at
    /// construction and by `connect`, before any read).
    read_size: AtomicUsize,
    /// The idle timer (`set_timeout`): one per socket, re-armed in place,
    /// made by the first `set_timeout` (an idle socket without a timeout
    /// holds none).
    timer: std::sync::OnceLock<IdleTimer>,
    /// Woken when the connection is let go (stops the reader and the writer)
    /// and on changes waiters care about (connect, end, close).
    changed: Notify,
    runtime: Option<tokio::runtime::Handle>,
    /// What `AsyncRead` took from the stream and has not handed out yet.
    read_rest: Mutex<Option<Bytes>>,
}

/// What the socket adds to the stream's state: the connection's.
pub(crate) struct State {
    /// The OS connection, until it is let go.
    conn: Option<Arc<Conn>>,
    /// The reader task's waker while it waits for readability (woken when
    /// the connection is let go or reading stops).
    reader_waker: Option<std::task::Waker>,
    connecting: bool,
    connected: bool,
    /// The connection was let go (the stream was destroyed or closed): the
    /// reader and the writer stop, the fd closes.
    released: bool,
    /// The peer's FIN was read.
    read_eof: bool,
    /// `'close'` was emitted (what `wait_closed()` waits for).
    close_done: bool,
    /// The reader (inline or its task) is running.
    reader_running: bool,
    /// `_read` was called while the reader was running: keep going.
    read_wanted: bool,
    /// `read_stop()`: this process reads no more from the connection.
    read_stopped: bool,
    /// `_read` was called before the connection was up.
    want_read: bool,
    /// A write (or its remainder) waiting for the connection or for the
    /// kernel to take more.
    /// (Boxed: rare, and an idle socket's state stays small.)
    pending_write: Option<Box<(Bytes, Completion, u64)>>,
    writer_running: bool,
    /// `_final` waiting for the connection.
    pending_final: Option<Completion>,
    allow_half_open: bool,
    no_delay: Option<bool>,
    keep_alive: Option<(bool, Duration)>,
    /// The local and remote addresses, once read from the connection (see
    /// `Socket::addrs`; boxed: an idle socket nobody asked holds none).
    addrs: Option<Box<(Option<SocketAddr>, Option<SocketAddr>)>>,
    path: Option<String>,
    close_hook: Option<CloseHook>,
}

pub(crate) fn lock(m: &Mutex<State>) -> MutexGuard<'_, State> {
    rt_stream::counters::count_lock();
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

impl StreamBase for Socket {
    type Read = Buffer;
    type Write = Buffer;
    fn stream_core(&self) -> &Arc<StreamCore<Buffer, Buffer>> {
        self.inner.stream.stream_core()
    }
}

impl ReadableSide for Socket {}
impl WritableSide for Socket {}
rt_stream::impl_emitter!(Socket);

impl From<Socket> for Duplex {
    fn from(s: Socket) -> Duplex {
        s.inner.stream.clone()
    }
}

impl From<&Socket> for Duplex {
    fn from(s: &Socket) -> Duplex {
        s.inner.stream.clone()
    }
}

/// What the socket adds around the stream's events (Node's `net.Socket`
/// overriding `_destroy` and listening to its own `'end'`): its
/// `'close'(had_error)`, the half-open policy and the pipes into it.
struct SocketHooks {
    inner: Weak<Inner>,
}

impl SocketHooks {
    fn socket(&self) -> Option<Socket> {
        self.inner.upgrade().map(|inner| Socket { inner })
    }
}

impl StreamHooks for SocketHooks {
    fn close(&self, had_error: bool) -> bool {
        match self.socket() {
            Some(s) => {
                s.on_close(had_error);
                true
            }
            None => false,
        }
    }

    fn end(&self) {
        if let Some(s) = self.socket() {
            s.on_end();
        }
    }

    fn piped(&self, added: bool) {
        if let Some(inner) = self.inner.upgrade() {
            let _ = inner
                .pipes_in
                .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                    Some(if added { n + 1 } else { n.saturating_sub(1) })
                });
        }
    }

    fn type_name(&self) -> Option<&'static str> {
        Some("Socket")
    }
}

impl Socket {
    rt_stream::stream_methods!();
    rt_stream::readable_methods!();
    rt_stream::readable_methods!(bytes);
    rt_stream::writable_methods!();
    rt_stream::writable_methods!(bytes);

    /// A socket that is not connected yet (Node: `new net.Socket(options)`);
    /// connect it with [`connect`](Socket::connect). Writes made before the
    /// connection is up are kept and sent once it is.
    pub fn new(options: SocketOptions) -> Socket {
        let inner = Arc::new_cyclic(|weak: &Weak<Inner>| {
            let stream = Duplex::new(
                DuplexOptions::default()
                    .writable_high_water_mark(options.high_water_mark)
                    // The socket applies its own half-open policy (it can
                    // change after construction, and pipes into the socket
                    // end it themselves).
                    .allow_half_open(true),
                Some(io_impl::SocketSource { inner: weak.clone() }),
                Some(io_impl::SocketSink {
                    inner: weak.clone(),
                    conn: Weak::new(),
                }),
            );
            stream.set_hooks(SocketHooks { inner: weak.clone() });
            Inner {
                stream,
                st: Mutex::new(State {
                    conn: None,
                    reader_waker: None,
                    connecting: false,
                    connected: false,
                    released: false,
                    read_eof: false,
                    close_done: false,
                    reader_running: false,
                    read_wanted: false,
                    read_stopped: false,
                    want_read: false,
                    pending_write: None,
                    writer_running: false,
                    pending_final: None,
                    allow_half_open: options.allow_half_open,
                    no_delay: None,
                    keep_alive: None,
                    addrs: None,
                    path: None,
                    close_hook: None,
                }),
                bytes_read: AtomicU64::new(0),
                bytes_sent: AtomicU64::new(0),
                pipes_in: AtomicUsize::new(0),
                released: AtomicBool::new(false),
                reader_armed: AtomicBool::new(false),
                read_now: AtomicBool::new(false),
                write_now: AtomicBool::new(false),
                read_size: AtomicUsize::new(options.read_size.max(1)),
                timer: std::sync::OnceLock::new(),
                changed: Notify::new(),
                runtime: tokio::runtime::Handle::try_current().ok(),
                read_rest: Mutex::new(None),
            }
        });
        Socket { inner }
    }

    /// An accepted connection (server side).
    /// The connection was handed in from another process with its data
    /// likely waiting (a cluster worker's): the first reads and writes go
    /// straight to the kernel instead of waiting for the reactor's first
    /// report on the fd (see `Transport::assume_ready`). Reads still start
    /// only when the socket is read, as before.
    pub(crate) fn assume_ready(&self) {
        self.inner.read_now.store(true, Ordering::Relaxed);
        self.inner.write_now.store(true, Ordering::Relaxed);
    }

    pub(crate) fn from_conn(conn: Conn, options: SocketOptions, paused: bool) -> Socket {
        let s = Socket::new(options);
        if paused {
            s.pause();
        }
        s.attach(conn);
        s.on_connected();
        s
    }

    pub(crate) fn set_close_hook(&self, hook: CloseHook) {
        let mut st = lock(&self.inner.st);
        if st.close_done {
            drop(st);
            (hook.0)(hook.1);
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
    /// copy; the socket itself already is a stream, this is for code that
    /// takes a `Duplex`).
    pub fn as_duplex(&self) -> &Duplex {
        &self.inner.stream
    }

    /// A [`Duplex`] handle to this socket (the same stream: what is read or
    /// written through it is the socket's).
    ///
    /// ```no_run
    /// # async fn demo(socket: rt_net::Socket) -> Result<(), rt_stream::Error> {
    /// use rt_stream::{pipeline, PassThrough};
    /// // pipeline(socket, new PassThrough(), socket, cb): an echo through a stream
    /// pipeline!(socket.clone(), PassThrough::new(Default::default()), socket).await?;
    /// # Ok(()) }
    /// ```
    pub fn to_duplex(&self) -> Duplex {
        self.inner.stream.clone()
    }

    pub(crate) fn conn(&self) -> Option<Arc<Conn>> {
        lock(&self.inner.st).conn.clone()
    }

    fn spawn<F: std::future::Future<Output = ()> + Send + 'static>(&self, f: F) {
        rt_stream::counters::count_spawn();
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

    // ----- pulling, waiting -------------------------------------------------

    /// Pulls the next chunk of data: `Ok(None)` once the peer has ended (after
    /// `'end'`), or once the socket is destroyed without an error; an error
    /// comes after `'error'` and `'close'` were emitted, as in Node. Reads
    /// from the kernel only while the stream is below its high-water mark:
    /// not reading leaves data in the kernel, which stops the peer
    /// (backpressure). The stream's [`read`](Socket::read) is the same pull
    /// with the stream's shape. Node: `for await (const chunk of socket)`.
    ///
    /// Waits for the connection if it is still being made.
    pub async fn recv(&self) -> Result<Option<Buffer>, Error> {
        match ReadableSide::read(self).await {
            Some(Ok(chunk)) => Ok(Some(chunk)),
            Some(Err(e)) => {
                if self.errored().is_none() {
                    // Destroyed without an error: the data simply stops.
                    return Ok(None);
                }
                self.wait_closed().await;
                Err(e)
            }
            None => Ok(None),
        }
    }

    /// Reads every remaining chunk with [`recv`](Socket::recv).
    pub async fn recv_all(&self) -> Result<Vec<Buffer>, Error> {
        let mut out = Vec::new();
        while let Some(c) = self.recv().await? {
            out.push(c);
        }
        Ok(out)
    }

    /// Waits until the socket has closed (after `'close'` and its listeners).
    pub async fn wait_closed(&self) {
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

    /// Waits until the socket's data has ended (after `'end'`) or it closed;
    /// the error if it closed because of one first. With
    /// [`pipe`](Socket::pipe), the echo server's `socket.pipe(&socket);
    /// socket.wait_end().await`.
    pub async fn wait_end(&self) -> Result<(), Error> {
        loop {
            let changed = self.inner.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            let ended = self.readable_ended();
            if ended || lock(&self.inner.st).close_done {
                return match self.error() {
                    Some(e) if !ended => Err(e),
                    _ => Ok(()),
                };
            }
            changed.await;
        }
    }

    /// Waits until everything written so far has been handed to the kernel.
    pub async fn drained(&self) -> Result<(), Error> {
        let mut d = self.inner.stream.clone();
        match tokio::io::AsyncWriteExt::flush(&mut d).await {
            Ok(()) => Ok(()),
            Err(e) => Err(match e.get_ref().and_then(|x| x.downcast_ref::<Error>()) {
                Some(se) => se.clone(),
                None => self.error().unwrap_or_else(|| destroyed_error("write")),
            }),
        }
    }

    // ----- errors and destruction --------------------------------------------

    /// The error the socket was destroyed with, if any, with its errno,
    /// syscall, address and port: the stream's [`errored`](Socket::errored).
    /// Node: `socket.errored`.
    #[doc(alias = "errored")]
    pub fn error(&self) -> Option<Error> {
        self.errored()
    }

    /// Ends our side once the buffered data is written, then destroys the
    /// socket (Node: `socket.destroySoon()`).
    #[doc(alias = "destroySoon")]
    pub fn destroy_soon(&self) {
        let _ = WritableSide::end(self);
        if self.writable_length() == 0 {
            self.destroy(None);
        } else {
            let me = self.clone();
            self.spawn(async move {
                let _ = me.drained().await;
                me.destroy(None);
            });
        }
    }

    /// Closes the socket now with a socket error: `'error'` then
    /// `'close'(true)`. Node: `socket.destroy(err)`.
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

    /// Stops reading from the OS socket for good, leaving what the kernel
    /// has (and gets later) to another process holding the same fd (Node:
    /// the handle's `readStop()`, what `child_process` does to a socket
    /// given as a child's stdio). Data already read stays readable here;
    /// writing goes on.
    #[doc(alias = "readStop")]
    pub fn read_stop(&self) {
        {
            let mut st = lock(&self.inner.st);
            st.read_stopped = true;
            Socket::wake_reader(&self.inner, &mut st);
        }
        // A reader task waiting for readability looks again and stops.
        self.inner.changed.notify_waiters();
    }

    pub(crate) fn destroy_with(&self, err: Option<Error>) {
        StreamBase::destroy(self, err);
        self.release();
    }

    /// Lets go of the OS socket (the fd closes once in-flight reads and
    /// writes, woken here, have dropped their handles).
    pub(crate) fn release(&self) {
        let (pending, conn) = {
            let mut st = lock(&self.inner.st);
            if !st.released {
                st.released = true;
                self.inner.released.store(true, Ordering::Release);
                st.connecting = false;
                if let Some(t) = self.inner.timer.get() {
                    t.close();
                }
            }
            Socket::wake_reader(&self.inner, &mut st);
            ((st.pending_write.take(), st.pending_final.take()), st.conn.take())
        };
        drop(conn);
        self.inner.changed.notify_waiters();
        if let Some((_, c, _)) = pending.0.map(|b| *b) {
            c.complete(Err(destroyed_error("write")));
        }
        if let Some(c) = pending.1 {
            c.complete(Err(destroyed_error("end")));
        }
    }

    // ----- the hooks ------------------------------------------------------------

    /// After `'end'`: Node's default is that our side ends once the peer's
    /// has (after the writes already made). Whatever is piped into the
    /// socket ends it itself, after all its data.
    fn on_end(&self) {
        let half_open = {
            let mut st = lock(&self.inner.st);
            st.read_eof = true;
            st.allow_half_open
        };
        self.inner.changed.notify_waiters();
        if !half_open && self.inner.pipes_in.load(Ordering::Acquire) == 0 {
            let _ = WritableSide::end(self);
        }
    }

    /// `'close'(had_error)`: the fd goes, the server's count drops, and the
    /// listeners (which often hold handles to the socket) are let go.
    fn on_close(&self, had_error: bool) {
        self.release();
        let hook = lock(&self.inner.st).close_hook.take();
        // The server counts the connection gone (and may emit its own
        // 'close') before the socket's 'close', as Node does: it
        // decrements in `_destroy`, the socket's 'close' comes later.
        if let Some((h, id)) = hook {
            h(id);
        }
        let em = self.stream_core().emitter_if_used();
        if let Some(em) = em {
            em.emit(&CLOSE, had_error);
        }
        lock(&self.inner.st).close_done = true;
        self.inner.changed.notify_waiters();
        if em.is_some() {
            Emitter::remove_all_listeners(self, None);
        }
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        // Ends the timer's task, if one was started.
        if let Some(t) = self.timer.get() {
            t.close();
        }
        // The last handle went away without a close: run the server's hook
        // so its connection count stays right.
        let st = self.st.get_mut().unwrap_or_else(PoisonError::into_inner);
        if let Some((h, id)) = st.close_hook.take() {
            h(id);
        }
    }
}

pub(crate) fn destroyed_error(method: &str) -> Error {
    Error::destroyed(method)
}
