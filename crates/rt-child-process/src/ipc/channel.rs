//! [`Channel`]: one end of Node's IPC channel over the fd pump: a writer
//! that goes straight to the kernel and queues only what it did not take,
//! and a reader task that splits lines and delivers messages in order.

use std::collections::VecDeque;
use std::io::{self, IoSlice};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use bytes::{Buf, Bytes, BytesMut};
use rt_events::{Emitter, EventEmitter, NEW_LISTENER};
use rt_net::{ListenHandle, Server, Socket, SocketOptions};
use rt_stream::{Code, Error};
use serde_json::Value;
use tokio::sync::{Notify, watch};

use super::framing::{
    LineSplitter, decode, encode, encode_handle, encode_handle_json, is_internal, refuse_line_breaks,
};
use super::raw::{InternalFilter, RawHandle};
use super::sock::Sock;
use crate::events::{DISCONNECT, ERROR, MESSAGE};
use crate::gate::SpawnGate;

/// `send` returns `false` once this many bytes wait to be written (Node:
/// `channel.writeQueueSize < 65536 * 2`).
pub const BACKPRESSURE_BYTES: usize = 128 * 1024;

/// The default bound on bytes queued for a peer that does not read (see
/// [`Channel::set_max_queue_bytes`]). Node has none: its queue grows
/// without bound while `send()` keeps returning `false`.
pub const MAX_QUEUE_BYTES: usize = 64 * 1024 * 1024;

/// Bytes asked of the kernel per read.
const READ_SIZE: usize = 64 * 1024;

/// One end of an IPC channel speaking Node's json framing (Node: the
/// `channel` of a forked child, or `process.send` / `process.on('message')`
/// in the child). A cheap `Clone` handle.
///
/// Messages are serde values: send anything `Serialize`; receive
/// `serde_json::Value`s as `'message'` events ([`MESSAGE`]) or with
/// [`recv`](Channel::recv). Messages that arrive while no `'message'`
/// listener exists wait (for `recv`, or for the first listener, as in Node).
#[doc(alias = "process.send")]
#[derive(Clone)]
pub struct Channel {
    inner: Arc<Shared>,
}

struct Shared {
    sock: Sock,
    emitter: EventEmitter,
    out: Mutex<Out>,
    inbox: Mutex<Inbox>,
    inbox_changed: Notify,
    closed: watch::Sender<bool>,
    /// This side's `disconnect()` shut the writing half: the reader ends
    /// the channel for this process and waits for the peer's end.
    shut_here: Notify,
    runtime: tokio::runtime::Handle,
    internal: Mutex<InternalSink>,
    /// The child's `'spawn'` gate: opened before this channel emits.
    gate: Option<Arc<SpawnGate>>,
}

/// An internal message (Node: `'internalMessage'`): a `NODE_*` message
/// other than the handle answers, for the module that speaks its protocol
/// (rt-cluster's `NODE_CLUSTER`). A `NODE_HANDLE` whose own message is
/// internal (cluster's `newconn`, a shared listening socket) comes as that
/// message with the raw fd.
#[derive(Debug)]
#[non_exhaustive]
pub struct InternalMessage {
    /// The message (for a `NODE_HANDLE`, its `msg`).
    pub message: Value,
    /// The fd that came with it (for a `NODE_HANDLE`).
    pub handle: Option<OwnedFd>,
    /// The handle's type as sent (`"net.Native"`, `"net.Socket"`, ...).
    pub handle_type: Option<String>,
}

type InternalHandler = Arc<dyn Fn(InternalMessage) + Send + Sync>;

/// Where internal messages go: the handler once one is set; until then
/// they wait here (so none is lost between open and `on_internal`).
#[derive(Default)]
struct InternalSink {
    handler: Option<InternalHandler>,
    waiting: VecDeque<InternalMessage>,
    /// Looks at internal messages (and `net.Native` handles) as raw JSON
    /// text before they are parsed.
    filter: Option<InternalFilter>,
}

/// How Node (and this channel) begin a native handle's line; its `msg`
/// follows, then the closing `}`.
const NATIVE_HEAD: &[u8] = b"{\"cmd\":\"NODE_HANDLE\",\"type\":\"net.Native\",\"msg\":";
const ACK: &[u8] = b"{\"cmd\":\"NODE_HANDLE_ACK\"}\n";

/// A handle to send with a message (Node: `send(message, handle)`).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum SendHandle {
    /// A listening server: the receiver gets its listening socket (Node:
    /// `'net.Server'`); it stays open here.
    Server(Server),
    /// A connected socket: the receiver gets the connection (Node:
    /// `'net.Socket'`); it is destroyed here once the receiver acknowledged.
    Socket(Socket),
    /// A raw socket fd (Node: `'net.Native'`, what cluster sends: an
    /// accepted connection, or a bound listening socket). The channel
    /// holds this `Arc` (no `dup`) until the receiver acknowledged, or
    /// until it gave up retrying; the fd closes when the last holder lets
    /// it go (as Node, which leaves a native handle open after the ACK for
    /// its sender to close).
    Native(Arc<OwnedFd>),
}

/// A handle that came with a message (Node: the `'message'` listener's
/// second argument).
#[derive(Debug)]
#[non_exhaustive]
pub enum ReceivedHandle {
    /// A listening socket: serve it with `Server::listen_handle(handle)`.
    Server(ListenHandle),
    /// A connected socket, ready to use.
    Socket(Socket),
}

/// One queued write: bytes, and for a `NODE_HANDLE` line the fd that goes
/// with its first byte.
struct Item {
    data: Bytes,
    handle: Option<Sent>,
}

/// A handle on its way: the fd, the socket to destroy on ACK, the line to
/// send again on NACK.
struct Sent {
    fd: HandleFd,
    socket: Option<Socket>,
    line: Bytes,
    retries: u32,
}

/// The fd of a handle on its way: a duplicate made for the send (a
/// server's or a socket's), or the caller's own, shared (a native handle).
enum HandleFd {
    Owned(OwnedFd),
    Shared(Arc<OwnedFd>),
}

impl AsFd for HandleFd {
    fn as_fd(&self) -> BorrowedFd<'_> {
        match self {
            HandleFd::Owned(fd) => fd.as_fd(),
            HandleFd::Shared(fd) => fd.as_fd(),
        }
    }
}

/// Node retransmits a handle this many times on NACK.
const MAX_HANDLE_RETRANSMISSIONS: u32 = 3;

struct Out {
    queue: VecDeque<Item>,
    /// ACK / NACK answers and the rest of a handle line: written before the
    /// queue, also while a handle waits for its answer.
    urgent: VecDeque<Bytes>,
    /// A handle was sent and not answered yet: the queue waits (Node's
    /// `_handleQueue`).
    awaiting: Option<Sent>,
    queued: usize,
    /// `send` refuses a message that would queue past this (rt's bound).
    max_queued: usize,
    writer_running: bool,
    /// `disconnect()` was called (Node: `connected` false).
    disconnecting: bool,
    /// This side's `disconnect()` closed the channel (not the peer).
    disconnected_here: bool,
    /// The socket was shut down: nothing more goes out.
    shut: bool,
    /// The reader is dispatching handle lines: what would be written at
    /// once (the `NODE_HANDLE_ACK`, the receiver's answer) collects in
    /// `cork` and goes in one write when the run of handle lines ends.
    corked: bool,
    /// Lines held while corked, in the order they would have been written.
    cork: Vec<u8>,
}

impl Default for Out {
    fn default() -> Out {
        Out {
            queue: VecDeque::new(),
            urgent: VecDeque::new(),
            awaiting: None,
            queued: 0,
            max_queued: MAX_QUEUE_BYTES,
            writer_running: false,
            disconnecting: false,
            disconnected_here: false,
            shut: false,
            corked: false,
            cork: Vec::new(),
        }
    }
}

#[derive(Default)]
struct Inbox {
    messages: VecDeque<(Value, Option<ReceivedHandle>)>,
    /// The channel closed: `recv` returns `None` once the queue is empty.
    ended: bool,
    /// `'disconnect'` was emitted.
    disconnect_emitted: bool,
    /// Someone is emitting queued messages (one at a time keeps the order).
    flushing: bool,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

fn closed_error() -> Error {
    Error::new(Code::ERR_IPC_CHANNEL_CLOSED, "Channel closed")
}

impl Emitter for Channel {
    fn emitter(&self) -> &EventEmitter {
        &self.inner.emitter
    }
}

impl std::fmt::Debug for Channel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Channel")
            .field("connected", &self.connected())
            .finish()
    }
}

impl Channel {
    /// A channel over a connected Unix stream socket `fd`, emitting
    /// `'message'`, `'disconnect'` and `'error'` on `emitter`. Must run
    /// inside a tokio runtime.
    pub fn open(fd: OwnedFd, emitter: EventEmitter) -> Result<Channel, Error> {
        let channel = Channel::open_gated(fd, emitter, None)?;
        channel.start_reading();
        Ok(channel)
    }

    /// [`open`](Channel::open) for a child's channel, not reading yet:
    /// `gate` emits the child's `'spawn'` before this channel's first
    /// event, and [`start_reading`](Channel::start_reading) comes after the
    /// spawn's setup has added its listeners (a child that closes its end
    /// at once must not have 'spawn' and 'disconnect' emitted before them).
    pub(crate) fn open_gated(
        fd: OwnedFd,
        emitter: EventEmitter,
        gate: Option<Arc<SpawnGate>>,
    ) -> Result<Channel, Error> {
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| {
            Error::new(
                Code::custom("ERR_NO_RUNTIME"),
                "an IPC channel must open inside a tokio runtime",
            )
        })?;
        let sock = Sock::new(fd).map_err(|e| Error::syscall_failed(&e, "open"))?;
        let (closed, _) = watch::channel(false);
        let inner = Arc::new(Shared {
            sock,
            emitter,
            out: Mutex::new(Out::default()),
            inbox: Mutex::new(Inbox::default()),
            inbox_changed: Notify::new(),
            closed,
            shut_here: Notify::new(),
            runtime: runtime.clone(),
            internal: Mutex::new(InternalSink::default()),
            gate,
        });
        // Node: messages queued before the first 'message' listener are
        // delivered on the tick after it is added.
        let weak = Arc::downgrade(&inner);
        inner.emitter.on(&NEW_LISTENER, move |info| {
            if info.event == MESSAGE.name() {
                if let Some(shared) = weak.upgrade() {
                    let rt = shared.runtime.clone();
                    rt.spawn(async move {
                        tokio::task::yield_now().await;
                        flush_inbox(&shared);
                    });
                }
            }
        });
        Ok(Channel { inner })
    }

    /// Starts the channel's reader (once, right after opening).
    pub(crate) fn start_reading(&self) {
        self.inner.runtime.spawn(read_loop(self.inner.clone()));
    }

    /// Whether messages can still be sent (Node: `connected`).
    pub fn connected(&self) -> bool {
        !lock(&self.inner.out).disconnecting
    }

    /// Sends one message (Node: `send(message)`). `Ok(true)` while less
    /// than [`BACKPRESSURE_BYTES`] wait to be written, `Ok(false)` past
    /// that (a hint: the message is queued and will go). After
    /// `disconnect()` or once the peer left: `ERR_IPC_CHANNEL_CLOSED`; a
    /// message that cannot be serialized: `ERR_INVALID_ARG_TYPE`.
    #[doc(alias = "process.send")]
    pub fn send<T: serde::Serialize + ?Sized>(&self, message: &T) -> Result<bool, Error> {
        let line = encode(message)?;
        send_line(&self.inner, line, None)
    }

    /// Sets the receiver of internal messages (Node: the
    /// `'internalMessage'` event): every `NODE_*` message except the
    /// `NODE_HANDLE_ACK` / `NACK` answers this channel handles itself, in
    /// order, on the reader task; messages that came before the call are
    /// handed over at once. None of them ever reaches `'message'`
    /// listeners or [`recv`](Channel::recv). One receiver; a second call
    /// replaces it. rt-cluster speaks `NODE_CLUSTER` through this.
    #[doc(alias = "internalMessage")]
    pub fn on_internal(&self, handler: impl Fn(InternalMessage) + Send + Sync + 'static) {
        let handler: InternalHandler = Arc::new(handler);
        let waiting = {
            let mut sink = lock(&self.inner.internal);
            sink.handler = Some(handler.clone());
            std::mem::take(&mut sink.waiting)
        };
        for m in waiting {
            handler(m);
        }
    }

    /// Looks at internal messages as raw JSON text before they are parsed
    /// (rt's own hook: Node's `'internalMessage'` listeners get parsed
    /// messages). `filter` gets, on the reader task, in order with what
    /// [`on_internal`](Channel::on_internal)'s receiver gets:
    ///
    /// - each line that begins as a `NODE_*` message (`{"cmd":"NODE_`)
    ///   other than `NODE_HANDLE*`, without its `\n`, and no handle;
    /// - the `msg` of each `{"cmd":"NODE_HANDLE","type":"net.Native","msg":..}`
    ///   line that came with an fd, as the peer wrote it, and a
    ///   [`RawHandle`] holding that fd.
    ///
    /// `true` takes the message: it is neither parsed nor handed on (a
    /// handle it did not [`take`](RawHandle::take) is acknowledged and its
    /// fd closed); taking the handle takes the message too. `false`
    /// without taking the handle lets the message go on exactly as if
    /// there were no filter. Consulted only while that receiver is set and
    /// nothing waits for it. rt-cluster reads the answers to handed-over
    /// connections (its primary) and the primary's `newconn`s (its
    /// workers) this way, without a JSON value for each connection. One
    /// filter; a second call replaces it.
    #[doc(alias = "internalMessage")]
    pub fn filter_internal(
        &self,
        filter: impl Fn(&[u8], Option<RawHandle<'_>>) -> bool + Send + Sync + 'static,
    ) {
        lock(&self.inner.internal).filter = Some(Arc::new(filter));
    }

    /// Sends a message with a handle (Node: `send(message, handle)`): the
    /// line `{"cmd":"NODE_HANDLE","type":..,"msg":message}` with the handle's
    /// fd attached (SCM_RIGHTS). Later messages wait until the receiver
    /// answers; on its ACK a sent socket is destroyed here, on NACK the
    /// handle is sent again (3 times at most).
    pub fn send_handle<T: serde::Serialize + ?Sized>(
        &self,
        message: &T,
        handle: SendHandle,
    ) -> Result<bool, Error> {
        let (kind, fd, socket) = handle_parts(handle)?;
        // The message is serialized once, straight into the line.
        let line = encode_handle(kind, message)?;
        send_line(&self.inner, line, Some((fd, socket)))
    }

    /// [`send`](Channel::send), or with a handle
    /// [`send_handle`](Channel::send_handle), with the message given as its
    /// JSON text: one JSON value as `JSON.stringify` writes it, made by the
    /// caller (rt-cluster's `newconn`, made once and sent many times with
    /// a counter spliced in, and its workers' answers, without building
    /// and serializing a value). It is not parsed; a line break in it
    /// (which would cut the line in two) is `ERR_INVALID_ARG_VALUE` and
    /// nothing is sent.
    #[doc(alias = "process.send")]
    #[doc(alias = "send")]
    pub fn send_json(&self, mut message_json: Vec<u8>, handle: Option<SendHandle>) -> Result<bool, Error> {
        refuse_line_breaks(&message_json)?;
        match handle {
            None => {
                message_json.push(b'\n');
                send_line(&self.inner, message_json, None)
            }
            Some(handle) => {
                let (kind, fd, socket) = handle_parts(handle)?;
                let line = encode_handle_json(kind, &message_json);
                send_line(&self.inner, line, Some((fd, socket)))
            }
        }
    }

    /// Bytes waiting to be written (Node: `channel.writeQueueSize`).
    #[doc(alias = "writeQueueSize")]
    pub fn write_queue_size(&self) -> usize {
        lock(&self.inner.out).queued
    }

    /// Bounds the bytes queued for a peer that does not read (rt's own
    /// limit, [`MAX_QUEUE_BYTES`] by default; Node has none). `send` keeps
    /// Node's hint (`false` past [`BACKPRESSURE_BYTES`]), and a message
    /// that would take the queue past `max` is refused with
    /// `ERR_IPC_QUEUE_FULL` (nothing is queued, the channel stays open).
    /// A message is always taken when nothing is queued, whatever its size.
    pub fn set_max_queue_bytes(&self, max: usize) {
        lock(&self.inner.out).max_queued = max;
    }

    /// The bound set by [`set_max_queue_bytes`](Channel::set_max_queue_bytes).
    pub fn max_queue_bytes(&self) -> usize {
        lock(&self.inner.out).max_queued
    }

    /// Closes the channel once queued messages are written (Node:
    /// `disconnect()`); `'disconnect'` follows. A second call is
    /// `ERR_IPC_DISCONNECTED`. The socket's writing half is shut (the peer
    /// reads end of file); nothing more is delivered here, and
    /// [`wait_closed`](Channel::wait_closed) resolves once the peer has
    /// closed its end too.
    #[doc(alias = "process.disconnect")]
    pub fn disconnect(&self) -> Result<(), Error> {
        let inner = &self.inner;
        let mut out = lock(&inner.out);
        if out.disconnecting || out.shut {
            return Err(Error::new(
                Code::ERR_IPC_DISCONNECTED,
                "IPC channel is already disconnected",
            ));
        }
        out.disconnecting = true;
        out.disconnected_here = true;
        maybe_shut(inner, out);
        Ok(())
    }

    /// The next message (pulled instead of `'message'` listeners), in
    /// order; `None` once the channel closed and every message was taken.
    pub async fn recv(&self) -> Option<Value> {
        self.recv_with_handle().await.map(|(m, _)| m)
    }

    /// The next message and the handle that came with it, if any (Node:
    /// `'message'`'s `(message, handle)`). Messages with a handle are only
    /// delivered here (and by [`recv`](Channel::recv), which drops the
    /// handle), never to `'message'` listeners.
    pub async fn recv_with_handle(&self) -> Option<(Value, Option<ReceivedHandle>)> {
        loop {
            let changed = self.inner.inbox_changed.notified();
            {
                let mut inbox = lock(&self.inner.inbox);
                if let Some(m) = inbox.messages.pop_front() {
                    return Some(m);
                }
                if inbox.ended {
                    return None;
                }
            }
            changed.await;
        }
    }

    /// [`recv`](Channel::recv) into a type of your own; a message that
    /// does not fit is `ERR_INVALID_ARG_TYPE` with serde's reason.
    pub async fn recv_as<T: serde::de::DeserializeOwned>(&self) -> Option<Result<T, Error>> {
        let v = self.recv().await?;
        Some(serde_json::from_value(v).map_err(|e| {
            Error::new(
                Code::ERR_INVALID_ARG_TYPE,
                format!("The message does not fit the type: {e}"),
            )
        }))
    }

    /// After the peer process was reaped: lets the reader reach the end of
    /// file its exit left (Node reports `'disconnect'` before `'exit'`).
    /// Returns at once when the socket is still open elsewhere (a
    /// grandchild holding the fd: `'exit'` comes first, as in Node). No
    /// sibling being spawned holds it: spawns are serialised from the
    /// making of a child's fds to its exec (spawn_lock.rs), so an exited
    /// child's end is closed unless one of its own descendants holds it.
    pub(crate) async fn settle_after_peer_exit(&self) {
        loop {
            if *self.inner.closed.borrow() {
                return;
            }
            let mut probe = [0u8; 1];
            let flags = rustix::net::RecvFlags::PEEK | rustix::net::RecvFlags::DONTWAIT;
            match rustix::net::recv(&self.inner.sock, &mut probe[..], flags) {
                // End of file pending: the reader sees it next.
                Ok((0, _)) => return self.wait_closed().await,
                // Data before it: let the reader work, then look again.
                Ok(_) => tokio::task::yield_now().await,
                Err(rustix::io::Errno::INTR) => {}
                // Nothing to read and no end of file: a descendant of the
                // child holds its end.
                Err(rustix::io::Errno::AGAIN) => return,
                // A reset (the peer died with our bytes unread): the reader
                // ends on it too.
                Err(_) => return self.wait_closed().await,
            }
        }
    }

    /// Whether this side's `disconnect()` closed the channel (Node then
    /// never counts the channel's close, and the child's `'close'` never
    /// comes: nodejs/node#19433).
    pub(crate) fn disconnected_here(&self) -> bool {
        lock(&self.inner.out).disconnected_here
    }

    /// Waits until the channel closed (both ways): the peer's end of file
    /// came. After this side's [`disconnect`](Channel::disconnect), that is
    /// when the peer has let go of its end too (a Node peer closes it as
    /// soon as it read ours; a peer that exits lets go with its exit).
    pub async fn wait_closed(&self) {
        let mut rx = self.inner.closed.subscribe();
        let _ = rx.wait_for(|c| *c).await;
    }
}

/// A handle's type as Node names it, its fd for the send (a duplicate of a
/// server's or a socket's; a native handle's own, shared), and the socket
/// to destroy on ACK.
fn handle_parts(handle: SendHandle) -> Result<(&'static str, HandleFd, Option<Socket>), Error> {
    Ok(match handle {
        SendHandle::Server(s) => ("net.Server", HandleFd::Owned(s.dup_fd()?), None),
        SendHandle::Socket(s) => ("net.Socket", HandleFd::Owned(s.dup_fd()?), Some(s)),
        SendHandle::Native(fd) => ("net.Native", HandleFd::Shared(fd), None),
    })
}

/// Writes one line now if nothing is queued, else queues it for the writer.
fn send_line(
    inner: &Arc<Shared>,
    line: Vec<u8>,
    handle: Option<(HandleFd, Option<Socket>)>,
) -> Result<bool, Error> {
    let mut out = lock(&inner.out);
    if out.disconnecting || out.shut {
        return Err(closed_error());
    }
    if out.corked {
        if handle.is_none() && (!out.cork.is_empty() || direct(&out)) {
            // It would have been written now: it goes with the cork.
            out.cork.extend_from_slice(&line);
            return Ok(out.queued < BACKPRESSURE_BYTES);
        }
        // A handle goes with its own first byte: what is held goes first.
        flush_cork(inner, &mut out);
    }
    let mut start = 0;
    let idle = direct(&out);
    if idle {
        let wrote = match &handle {
            None => write_now(&inner.sock, &line),
            Some((fd, _)) => inner.sock.send_now(&[IoSlice::new(&line)], &[fd.as_fd()]),
        };
        match wrote {
            Ok(n) => start = n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => {
                drop(out);
                let err = Error::syscall_failed(&e, "write");
                let _ = inner.emitter.emit_error(&ERROR, err.clone());
                return Err(err);
            }
        }
        if start == line.len() && handle.is_none() {
            // The usual case: the kernel took it all; nothing is kept.
            return Ok(true);
        }
    }
    // Kept (queued, or a handle line kept for a resend): `Bytes` from here.
    let line = Bytes::from(line);
    let mut handle = handle.map(|(fd, socket)| Sent {
        fd,
        socket,
        line: line.clone(),
        retries: 0,
    });
    if idle && start > 0 {
        if let Some(h) = handle.take() {
            // The fd went with the first byte: the rest of the line
            // goes first, then everything waits for the answer.
            out.awaiting = Some(h);
            if start < line.len() {
                out.urgent.push_back(line.slice(start..));
                start_writer(inner, &mut out);
            }
            return Ok(out.queued < BACKPRESSURE_BYTES);
        }
    }
    let rest = line.slice(start..);
    if out.queued > 0 && out.queued + rest.len() > out.max_queued {
        return Err(Error::new(
            Code::custom("ERR_IPC_QUEUE_FULL"),
            format!(
                "The IPC channel's write queue is full ({} bytes queued, limit {}): the peer does not read",
                out.queued, out.max_queued
            ),
        ));
    }
    out.queued += rest.len();
    out.queue.push_back(Item { data: rest, handle });
    let hint = out.queued < BACKPRESSURE_BYTES;
    start_writer(inner, &mut out);
    Ok(hint)
}

/// One `send(2)` straight to the kernel, as Node's `uv_try_write`: not
/// through the reactor's readiness, which a new socket (or one whose
/// readiness the reactor has not seen yet) does not have, so that a
/// message goes out at once whenever the kernel has room.
fn write_now(sock: &Sock, data: &[u8]) -> io::Result<usize> {
    use rustix::net::SendFlags;
    Ok(rustix::net::send(
        sock,
        data,
        SendFlags::DONTWAIT | SendFlags::NOSIGNAL,
    )?)
}

/// Whether a message may be written at once: nothing waits before it.
fn direct(out: &Out) -> bool {
    !out.writer_running && out.queue.is_empty() && out.urgent.is_empty() && out.awaiting.is_none()
}

/// The reader starts dispatching a run of handle lines: writes collect
/// until [`uncork`].
fn cork(inner: &Shared) {
    lock(&inner.out).corked = true;
}

/// The run of handle lines ended: what collected goes in one write.
fn uncork(inner: &Arc<Shared>) {
    let mut out = lock(&inner.out);
    out.corked = false;
    flush_cork(inner, &mut out);
    maybe_shut(inner, out);
}

/// Writes what the cork holds now; what the kernel does not take goes
/// first to the writer, before anything queued.
fn flush_cork(inner: &Arc<Shared>, out: &mut Out) {
    if out.cork.is_empty() {
        return;
    }
    if out.shut {
        out.cork.clear();
        return;
    }
    let mut start = 0;
    if !out.writer_running && out.urgent.is_empty() {
        // An error (the peer is gone) is the writer's to find and report.
        if let Ok(n) = write_now(&inner.sock, &out.cork) {
            start = n;
        }
    }
    if start < out.cork.len() {
        let data = std::mem::take(&mut out.cork);
        out.urgent.push_back(Bytes::from(data).slice(start..));
        start_writer(inner, out);
    } else {
        // Written: the buffer (its capacity) is kept for the next run of
        // handle lines, not allocated and grown again for each.
        out.cork.clear();
    }
}

/// Queues an ACK / NACK: it goes before queued messages.
fn send_urgent(inner: &Arc<Shared>, line: &'static [u8]) {
    let mut out = lock(&inner.out);
    if out.shut {
        return;
    }
    if out.corked && (!out.cork.is_empty() || (!out.writer_running && out.urgent.is_empty())) {
        out.cork.extend_from_slice(line);
        return;
    }
    if !out.writer_running && out.urgent.is_empty() {
        match write_now(&inner.sock, line) {
            Ok(n) if n == line.len() => return,
            Ok(n) => out.urgent.push_back(Bytes::from_static(&line[n..])),
            Err(_) => out.urgent.push_back(Bytes::from_static(line)),
        }
    } else {
        out.urgent.push_back(Bytes::from_static(line));
    }
    start_writer(inner, &mut out);
}

fn start_writer(inner: &Arc<Shared>, out: &mut Out) {
    let work = !out.urgent.is_empty() || (out.awaiting.is_none() && !out.queue.is_empty());
    if work && !out.writer_running {
        out.writer_running = true;
        inner.runtime.spawn(write_loop(inner.clone()));
    }
}

fn shut_down(inner: &Shared) {
    inner.sock.shutdown();
}

/// Emits queued messages once a listener exists.
fn flush_inbox(shared: &Shared) {
    {
        let mut inbox = lock(&shared.inbox);
        if inbox.flushing {
            return;
        }
        inbox.flushing = true;
    }
    loop {
        let next = {
            let mut inbox = lock(&shared.inbox);
            // Messages with a handle wait for `recv_with_handle`.
            let m = if shared.emitter.listener_count(&MESSAGE) > 0
                && inbox.messages.front().is_some_and(|(_, h)| h.is_none())
            {
                inbox.messages.pop_front().map(|(m, _)| m)
            } else {
                None
            };
            if m.is_none() {
                inbox.flushing = false;
            }
            m
        };
        match next {
            Some(m) => {
                open_gate(shared);
                shared.emitter.emit(&MESSAGE, m);
            }
            None => return,
        }
    }
}

/// Writes everything that may go (urgent lines, then queued messages up to
/// a handle that waits for its answer), then shuts down if `disconnect`
/// waits.
async fn write_loop(inner: Arc<Shared>) {
    let mut batch: Vec<Bytes> = Vec::new();
    loop {
        let mut handle = None;
        {
            let mut out = lock(&inner.out);
            if !out.urgent.is_empty() {
                batch.extend(out.urgent.drain(..));
            } else if out.awaiting.is_none() && !out.queue.is_empty() {
                if out.queue.front().is_some_and(|i| i.handle.is_some()) {
                    let item = out.queue.pop_front().expect("front exists");
                    out.queued = out.queued.saturating_sub(item.data.len());
                    handle = item.handle.map(|h| (h, item.data));
                } else {
                    while batch.len() < 1024 && out.queue.front().is_some_and(|i| i.handle.is_none()) {
                        let item = out.queue.pop_front().expect("front exists");
                        out.queued = out.queued.saturating_sub(item.data.len());
                        batch.push(item.data);
                    }
                }
            } else {
                out.writer_running = false;
                maybe_shut(&inner, out);
                return;
            }
        }
        let result = match handle {
            Some((sent, data)) => write_handle(&inner, sent, data).await,
            None => write_batch(&inner, &mut batch).await,
        };
        batch.clear();
        if let Err(e) = result {
            // The peer is gone (EPIPE, ECONNRESET): drop what is queued;
            // the reader reports the disconnect.
            let mut out = lock(&inner.out);
            out.queue.clear();
            out.urgent.clear();
            out.queued = 0;
            out.writer_running = false;
            out.shut = true;
            drop(out);
            if !matches!(e.raw_os_error(), Some(libc::EPIPE) | Some(libc::ECONNRESET)) {
                report(&inner, Error::syscall_failed(&e, "write"));
            }
            return;
        }
    }
}

/// Shuts the socket down once `disconnect` was asked for and nothing is
/// left to write.
fn maybe_shut(inner: &Shared, mut out: MutexGuard<'_, Out>) {
    if out.disconnecting
        && !out.shut
        && !out.writer_running
        && out.queue.is_empty()
        && out.urgent.is_empty()
        && out.awaiting.is_none()
        && out.cork.is_empty()
    {
        out.shut = true;
        let here = out.disconnected_here;
        drop(out);
        if here {
            // Only the writing half: the peer reads the end of file, and
            // this side still sees the peer let go (Node's peer closes its
            // end once it read ours), for `wait_closed`.
            inner.sock.shutdown_write();
            inner.shut_here.notify_one();
        } else {
            shut_down(inner);
        }
    }
}

async fn write_batch(inner: &Shared, batch: &mut [Bytes]) -> io::Result<()> {
    let mut idx = 0;
    loop {
        while idx < batch.len() && batch[idx].is_empty() {
            idx += 1;
        }
        if idx == batch.len() {
            return Ok(());
        }
        let slices: Vec<IoSlice<'_>> = batch[idx..].iter().take(64).map(|b| IoSlice::new(b)).collect();
        match inner.sock.send_now(&slices, &[]) {
            Ok(0) => return Err(io::Error::from(io::ErrorKind::WriteZero)),
            Ok(mut n) => {
                while n > 0 {
                    let first = &mut batch[idx];
                    if n >= first.len() {
                        n -= first.len();
                        idx += 1;
                    } else {
                        first.advance(n);
                        n = 0;
                    }
                }
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => inner.sock.writable().await?,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

/// Sends a `NODE_HANDLE` line with its fd on the first byte, then the rest.
async fn write_handle(inner: &Shared, sent: Sent, mut data: Bytes) -> io::Result<()> {
    let n = loop {
        match inner.sock.send_now(&[IoSlice::new(&data)], &[sent.fd.as_fd()]) {
            Ok(n) => break n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => inner.sock.writable().await?,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    };
    lock(&inner.out).awaiting = Some(sent);
    data.advance(n);
    write_batch(inner, &mut [data]).await
}

/// Reads lines until end of file, delivering messages in order.
async fn read_loop(inner: Arc<Shared>) {
    let mut buf = BytesMut::new();
    let mut lines = LineSplitter::default();
    // recvmsg needs initialised memory; fds arrive in order with the bytes.
    let mut scratch = vec![0u8; READ_SIZE].into_boxed_slice();
    let mut fds: VecDeque<OwnedFd> = VecDeque::new();
    // This side's `disconnect()` shut the writing half.
    let mut shut_here = false;
    // Made and registered once, not once per read (a registration and a
    // removal under the Notify's lock per message).
    let shut_signal = inner.shut_here.notified();
    tokio::pin!(shut_signal);
    loop {
        let read = tokio::select! {
            biased;
            _ = &mut shut_signal, if !shut_here => None,
            r = inner.sock.recv(&mut scratch, &mut fds, |read| drained_after_handle(&inner, read)) => Some(r),
        };
        let Some(read) = read else {
            // The channel is closed for this process now ('disconnect');
            // the reader stays until the peer's end of file, dropping
            // whatever still comes, so that `wait_closed` says when the
            // peer has let go too.
            shut_here = true;
            end(&inner, false);
            continue;
        };
        let n = match read {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.raw_os_error() == Some(libc::ECONNRESET) => break,
            Err(_) if shut_here => break,
            Err(e) => {
                report(&inner, Error::syscall_failed(&e, "read"));
                break;
            }
        };
        if shut_here {
            buf.clear();
            fds.clear();
            continue;
        }
        let mut corked = false;
        if buf.is_empty() {
            // Nothing pending (the usual case): the complete lines are
            // decoded where they were read, only a cut tail is kept.
            let mut rest = &scratch[..n];
            while let Some(i) = memchr::memchr(b'\n', rest) {
                dispatch(&inner, &rest[..i], &mut fds, &mut corked);
                rest = &rest[i + 1..];
            }
            buf.extend_from_slice(rest);
        } else {
            buf.extend_from_slice(&scratch[..n]);
            while let Some(line) = lines.next_line(&mut buf) {
                dispatch(&inner, &line, &mut fds, &mut corked);
            }
        }
        if corked {
            uncork(&inner);
        }
    }
    // End of file: the peer went away (or let go after our disconnect).
    if !shut_here {
        end(&inner, true);
    }
    shut_down(&inner);
    inner.closed.send_replace(true);
}

/// After a read that brought an fd (the kernel stops a read at the
/// segment that carries fds, so more may be queued behind it): whether the
/// socket is known to be empty. The peer writes a handle's line with the fd
/// on its first byte and then, as Node's `_handleQueue` does (and this
/// channel's writer), sends nothing before this side's `NODE_HANDLE_ACK`
/// but `NODE_HANDLE_ACK` / `NACK` answers to handles of this side. So when
/// the read ends a line (the handle's line came whole) and no handle of
/// this side waits for its answer (none in flight, the writer idle), nothing
/// is queued behind it, and the reader need not ask the kernel again.
fn drained_after_handle(inner: &Shared, read: &[u8]) -> bool {
    if read.last() != Some(&b'\n') {
        return false;
    }
    let out = lock(&inner.out);
    out.awaiting.is_none() && !out.writer_running
}

/// The channel ends for this process: nothing more goes out, handles in
/// flight are let go, `'disconnect'` is emitted (once). `shut`: shut the
/// socket down first (the peer's end of file; after this side's own
/// `disconnect()` only the writing half is, already).
fn end(inner: &Arc<Shared>, shut: bool) {
    {
        let mut out = lock(&inner.out);
        out.disconnecting = true;
        if !out.writer_running {
            out.shut = true;
        }
        // Nobody will answer a handle in flight: let its fd go (a
        // connection handed to a worker that died must close, not hang).
        let pending = out.awaiting.take();
        let handles: Vec<Item> = {
            let mut kept = VecDeque::new();
            let mut dropped = Vec::new();
            for item in out.queue.drain(..) {
                if item.handle.is_some() {
                    dropped.push(item);
                } else {
                    kept.push_back(item);
                }
            }
            out.queue = kept;
            dropped
        };
        out.queued = out.queue.iter().map(|i| i.data.len()).sum();
        drop(out);
        drop(pending);
        drop(handles);
    }
    if shut {
        shut_down(inner);
    }
    let emit = {
        let mut inbox = lock(&inner.inbox);
        inbox.ended = true;
        !std::mem::replace(&mut inbox.disconnect_emitted, true)
    };
    inner.inbox_changed.notify_waiters();
    if emit {
        open_gate(inner);
        inner.emitter.emit(&DISCONNECT, ());
    }
}

/// One line from the peer, [`handle_line`]: a run of `NODE_HANDLE` lines
/// is dispatched corked, so that each handle's `NODE_HANDLE_ACK` and the
/// receiver's answer (cluster's `newconn` reply) leave in one write (one
/// wake-up of the peer instead of two), as Node writes them: same bytes.
fn dispatch(inner: &Arc<Shared>, line: &[u8], fds: &mut VecDeque<OwnedFd>, corked: &mut bool) {
    let handle = line.starts_with(b"{\"cmd\":\"NODE_HANDLE\",");
    if handle != *corked {
        if handle {
            cork(inner);
        } else {
            uncork(inner);
        }
        *corked = handle;
    }
    handle_line(inner, line, fds);
}

/// One line from the peer: an internal message, a message, or an error.
fn handle_line(inner: &Arc<Shared>, line: &[u8], fds: &mut VecDeque<OwnedFd>) {
    // The handle answers, as Node (and this channel) write them, need no
    // JSON value; other spellings go the general way.
    match line {
        b"{\"cmd\":\"NODE_HANDLE_ACK\"}" => return handle_acked(inner),
        b"{\"cmd\":\"NODE_HANDLE_NACK\"}" => return handle_refused(inner),
        _ => {}
    }
    if line.starts_with(b"{\"cmd\":\"NODE_") && filtered(inner, line, fds) {
        return;
    }
    match decode(line) {
        Ok(m) if is_internal(&m) => internal(inner, m, fds),
        Ok(m) => deliver(inner, m),
        Err(e) => report(inner, e),
    }
}

/// Offers an internal line to the filter set with `filter_internal`, if
/// one is to be consulted: `true` when it took the message.
fn filtered(inner: &Arc<Shared>, line: &[u8], fds: &mut VecDeque<OwnedFd>) -> bool {
    let native = line.strip_prefix(NATIVE_HEAD).and_then(|r| r.strip_suffix(b"}"));
    // Other handle lines and the handle answers are the channel's own; a
    // native handle without its fd goes the usual way (a NACK).
    let skip = match native {
        None => line.starts_with(b"{\"cmd\":\"NODE_HANDLE"),
        Some(_) => fds.is_empty(),
    };
    if skip {
        return false;
    }
    let filter = {
        let sink = lock(&inner.internal);
        match (&sink.filter, &sink.handler) {
            (Some(f), Some(_)) if sink.waiting.is_empty() => f.clone(),
            _ => return false,
        }
    };
    let Some(msg) = native else {
        return filter(line, None);
    };
    let acknowledge = || send_urgent(inner, ACK);
    let mut taken = false;
    let took = filter(msg, Some(RawHandle::new(fds, &acknowledge, &mut taken)));
    if took && !taken {
        // Taken without its handle: acknowledged, and the fd closed.
        acknowledge();
        fds.pop_front();
    }
    took || taken
}

fn report(inner: &Shared, err: Error) {
    open_gate(inner);
    let _ = inner.emitter.emit_error(&ERROR, err);
}

/// Emits the child's `'spawn'` first if it is still pending.
fn open_gate(inner: &Shared) {
    if let Some(g) = &inner.gate {
        g.open();
    }
}

fn deliver(inner: &Shared, message: Value) {
    let mut inbox = lock(&inner.inbox);
    if !inbox.flushing && inbox.messages.is_empty() && inner.emitter.listener_count(&MESSAGE) > 0 {
        drop(inbox);
        open_gate(inner);
        inner.emitter.emit(&MESSAGE, message);
        return;
    }
    inbox.messages.push_back((message, None));
    drop(inbox);
    inner.inbox_changed.notify_waiters();
    // Only listeners need the flush (for `recv` the notification is all);
    // a listener added later flushes the queue itself.
    if inner.emitter.listener_count(&MESSAGE) > 0 {
        flush_inbox(inner);
    }
}

/// A message that came with a handle: for `recv_with_handle`.
fn deliver_with_handle(inner: &Shared, message: Value, handle: ReceivedHandle) {
    lock(&inner.inbox).messages.push_back((message, Some(handle)));
    inner.inbox_changed.notify_waiters();
}

/// `NODE_*` messages: handles and their answers (the rest are Node's own
/// business, cluster's, and are dropped).
fn internal(inner: &Arc<Shared>, message: Value, fds: &mut VecDeque<OwnedFd>) {
    match message.get("cmd").and_then(Value::as_str) {
        Some("NODE_HANDLE") => {
            let Some(fd) = fds.pop_front() else {
                send_urgent(inner, b"{\"cmd\":\"NODE_HANDLE_NACK\"}\n");
                return;
            };
            send_urgent(inner, ACK);
            received_handle(inner, message, fd);
        }
        Some("NODE_HANDLE_ACK") => handle_acked(inner),
        Some("NODE_HANDLE_NACK") => handle_refused(inner),
        _ => to_internal(
            inner,
            InternalMessage {
                message,
                handle: None,
                handle_type: None,
            },
        ),
    }
}

/// A `NODE_HANDLE` acknowledged, with its fd: an internal message (with
/// the raw fd) for the internal receiver, else a server or a socket for
/// `recv_with_handle`.
fn received_handle(inner: &Arc<Shared>, mut message: Value, fd: OwnedFd) {
    let msg = message.get_mut("msg").map(Value::take).unwrap_or(Value::Null);
    if is_internal(&msg) {
        let handle_type = message.get("type").and_then(Value::as_str).map(str::to_string);
        to_internal(
            inner,
            InternalMessage {
                message: msg,
                handle: Some(fd),
                handle_type,
            },
        );
        return;
    }
    let handle = match message.get("type").and_then(Value::as_str) {
        Some("net.Server") => ReceivedHandle::Server(ListenHandle::Fd(fd)),
        _ => match rt_net::transport::Io::from_fd(fd) {
            Ok(io) => ReceivedHandle::Socket(Socket::from_io(io, SocketOptions::default())),
            Err(e) => {
                report(inner, Error::syscall_failed(&e, "recvmsg"));
                return;
            }
        },
    };
    deliver_with_handle(inner, msg, handle);
}

/// `NODE_HANDLE_ACK`: the handle in flight arrived; a sent socket is
/// destroyed, the queue moves on.
fn handle_acked(inner: &Arc<Shared>) {
    let mut out = lock(&inner.out);
    let sent = out.awaiting.take();
    start_writer(inner, &mut out);
    maybe_shut(inner, out);
    if let Some(socket) = sent.and_then(|s| s.socket) {
        socket.destroy(None);
    }
}

/// `NODE_HANDLE_NACK`: the handle in flight goes again (3 times at most).
fn handle_refused(inner: &Arc<Shared>) {
    let mut out = lock(&inner.out);
    if let Some(mut sent) = out.awaiting.take() {
        if sent.retries < MAX_HANDLE_RETRANSMISSIONS {
            sent.retries += 1;
            let data = sent.line.clone();
            out.queued += data.len();
            out.queue.push_front(Item {
                data,
                handle: Some(sent),
            });
        }
    }
    start_writer(inner, &mut out);
    maybe_shut(inner, out);
}

/// Hands an internal message to the receiver set with `on_internal`, or
/// keeps it for that receiver.
fn to_internal(inner: &Shared, m: InternalMessage) {
    let handler = {
        let mut sink = lock(&inner.internal);
        match &sink.handler {
            Some(h) => h.clone(),
            None => {
                sink.waiting.push_back(m);
                return;
            }
        }
    };
    handler(m);
}
