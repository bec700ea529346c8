//! [`Channel`]: one end of Node's IPC channel over the fd pump: a writer
//! that goes straight to the kernel and queues only what it did not take,
//! and a reader task that splits lines and delivers messages in order.

use std::collections::VecDeque;
use std::io::{self, IoSlice};
use std::os::fd::OwnedFd;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use bytes::{Buf, Bytes, BytesMut};
use rt_events::{Emitter, EventEmitter, NEW_LISTENER};
use rt_net::transport::Io;
use rt_stream::{Code, Error};
use serde_json::Value;
use tokio::sync::{Notify, watch};

use super::framing::{LineSplitter, decode, encode, is_internal};
use crate::events::{DISCONNECT, ERROR, MESSAGE};

/// `send` returns `false` once this many bytes wait to be written (Node:
/// `channel.writeQueueSize < 65536 * 2`).
pub const BACKPRESSURE_BYTES: usize = 128 * 1024;

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
    io: Io,
    emitter: EventEmitter,
    out: Mutex<Out>,
    inbox: Mutex<Inbox>,
    inbox_changed: Notify,
    closed: watch::Sender<bool>,
    runtime: tokio::runtime::Handle,
}

#[derive(Default)]
struct Out {
    queue: VecDeque<Bytes>,
    queued: usize,
    writer_running: bool,
    /// `disconnect()` was called (Node: `connected` false).
    disconnecting: bool,
    /// The socket was shut down: nothing more goes out.
    shut: bool,
}

#[derive(Default)]
struct Inbox {
    messages: VecDeque<Value>,
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
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| {
            Error::new(
                Code::custom("ERR_NO_RUNTIME"),
                "an IPC channel must open inside a tokio runtime",
            )
        })?;
        let io = Io::from_fd(fd).map_err(|e| Error::syscall_failed(&e, "open"))?;
        let (closed, _) = watch::channel(false);
        let inner = Arc::new(Shared {
            io,
            emitter,
            out: Mutex::new(Out::default()),
            inbox: Mutex::new(Inbox::default()),
            inbox_changed: Notify::new(),
            closed,
            runtime: runtime.clone(),
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
        runtime.spawn(read_loop(inner.clone()));
        Ok(Channel { inner })
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
        send_line(&self.inner, line)
    }

    /// Bytes waiting to be written (Node: `channel.writeQueueSize`).
    pub fn write_queue_size(&self) -> usize {
        lock(&self.inner.out).queued
    }

    /// Closes the channel once queued messages are written (Node:
    /// `disconnect()`); `'disconnect'` follows. A second call is
    /// `ERR_IPC_DISCONNECTED`.
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
        if !out.writer_running {
            out.shut = true;
            drop(out);
            shut_down(inner);
        }
        Ok(())
    }

    /// The next message (pulled instead of `'message'` listeners), in
    /// order; `None` once the channel closed and every message was taken.
    pub async fn recv(&self) -> Option<Value> {
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
    /// grandchild holding the fd), so `'exit'` never waits for it.
    pub(crate) async fn settle_after_peer_exit(&self) {
        loop {
            if *self.inner.closed.borrow() {
                return;
            }
            let mut probe = [0u8; 1];
            let flags = rustix::net::RecvFlags::PEEK | rustix::net::RecvFlags::DONTWAIT;
            match rustix::net::recv(&self.inner.io, &mut probe[..], flags) {
                // End of file pending: the reader sees it next.
                Ok((0, _)) => return self.wait_closed().await,
                // Data before it: let the reader work, then look again.
                Ok(_) => tokio::task::yield_now().await,
                Err(rustix::io::Errno::INTR) => {}
                // Nothing to read and no end of file: someone else holds the peer's end.
                Err(_) => return,
            }
        }
    }

    /// Waits until the channel closed (both ways).
    pub async fn wait_closed(&self) {
        let mut rx = self.inner.closed.subscribe();
        let _ = rx.wait_for(|c| *c).await;
    }
}

/// Writes one line now if nothing is queued, else queues it for the writer.
fn send_line(inner: &Arc<Shared>, line: Vec<u8>) -> Result<bool, Error> {
    let mut out = lock(&inner.out);
    if out.disconnecting || out.shut {
        return Err(closed_error());
    }
    let mut start = 0;
    if !out.writer_running && out.queue.is_empty() {
        match inner.io.try_write(&line) {
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
        if start == line.len() {
            return Ok(true);
        }
    }
    let rest = Bytes::from(line).slice(start..);
    out.queued += rest.len();
    out.queue.push_back(rest);
    let hint = out.queued < BACKPRESSURE_BYTES;
    if !out.writer_running {
        out.writer_running = true;
        inner.runtime.spawn(write_loop(inner.clone()));
    }
    Ok(hint)
}

fn shut_down(inner: &Shared) {
    let _ = inner.io.sock().shutdown(std::net::Shutdown::Both);
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
            let m = if shared.emitter.listener_count(&MESSAGE) > 0 {
                inbox.messages.pop_front()
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
                shared.emitter.emit(&MESSAGE, m);
            }
            None => return,
        }
    }
}

/// Writes what `send` queued, then shuts down if `disconnect` waits.
async fn write_loop(inner: Arc<Shared>) {
    let mut batch: Vec<Bytes> = Vec::new();
    loop {
        {
            let mut out = lock(&inner.out);
            if out.queue.is_empty() {
                out.writer_running = false;
                if out.disconnecting && !out.shut {
                    out.shut = true;
                    drop(out);
                    shut_down(&inner);
                }
                return;
            }
            let n = out.queue.len().min(1024);
            batch.extend(out.queue.drain(..n));
        }
        let mut written = 0usize;
        let total: usize = batch.iter().map(Bytes::len).sum();
        let mut failed = None;
        let mut idx = 0;
        while idx < batch.len() {
            let slices: Vec<IoSlice<'_>> = batch[idx..].iter().take(64).map(|b| IoSlice::new(b)).collect();
            match inner.io.try_write_vectored(&slices) {
                Ok(0) => {
                    failed = Some(io::Error::from(io::ErrorKind::WriteZero));
                    break;
                }
                Ok(mut n) => {
                    written += n;
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
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    if let Err(e) = inner.io.writable().await {
                        failed = Some(e);
                        break;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    failed = Some(e);
                    break;
                }
            }
        }
        batch.clear();
        let mut out = lock(&inner.out);
        out.queued = out.queued.saturating_sub(total.max(written));
        if let Some(e) = failed {
            // The peer is gone (EPIPE, ECONNRESET): drop what is queued;
            // the reader reports the disconnect.
            out.queue.clear();
            out.queued = 0;
            out.writer_running = false;
            out.shut = true;
            drop(out);
            if !matches!(e.raw_os_error(), Some(libc::EPIPE) | Some(libc::ECONNRESET)) {
                let _ = inner
                    .emitter
                    .emit_error(&ERROR, Error::syscall_failed(&e, "write"));
            }
            return;
        }
    }
}

/// Reads lines until end of file, delivering messages in order.
async fn read_loop(inner: Arc<Shared>) {
    let mut buf = BytesMut::new();
    let mut lines = LineSplitter::default();
    loop {
        if let Err(e) = inner.io.readable().await {
            report(&inner, Error::syscall_failed(&e, "read"));
            break;
        }
        buf.reserve(READ_SIZE);
        match inner.io.try_read_buf(&mut buf) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) if e.raw_os_error() == Some(libc::ECONNRESET) => break,
            Err(e) => {
                report(&inner, Error::syscall_failed(&e, "read"));
                break;
            }
        }
        while let Some(line) = lines.next_line(&mut buf) {
            match decode(&line) {
                Ok(m) if is_internal(&m) => internal(&inner, m),
                Ok(m) => deliver(&inner, m),
                Err(e) => report(&inner, e),
            }
        }
    }
    // End of file: the peer went away, or we shut the socket down.
    {
        let mut out = lock(&inner.out);
        out.disconnecting = true;
        if !out.writer_running {
            out.shut = true;
        }
    }
    shut_down(&inner);
    let emit = {
        let mut inbox = lock(&inner.inbox);
        inbox.ended = true;
        !std::mem::replace(&mut inbox.disconnect_emitted, true)
    };
    inner.inbox_changed.notify_waiters();
    if emit {
        inner.emitter.emit(&DISCONNECT, ());
    }
    inner.closed.send_replace(true);
}

fn report(inner: &Shared, err: Error) {
    let _ = inner.emitter.emit_error(&ERROR, err);
}

fn deliver(inner: &Shared, message: Value) {
    let mut inbox = lock(&inner.inbox);
    if !inbox.flushing && inbox.messages.is_empty() && inner.emitter.listener_count(&MESSAGE) > 0 {
        drop(inbox);
        inner.emitter.emit(&MESSAGE, message);
        return;
    }
    inbox.messages.push_back(message);
    drop(inbox);
    inner.inbox_changed.notify_waiters();
    flush_inbox(inner);
}

/// `NODE_*` messages: handles are not taken yet, so a `NODE_HANDLE` is
/// refused (NACK) and the peer gives up after its retries, as Node's does
/// when the fd does not arrive; the rest are Node's own business.
fn internal(inner: &Arc<Shared>, message: Value) {
    if message.get("cmd").and_then(Value::as_str) == Some("NODE_HANDLE") {
        let _ = send_line(inner, b"{\"cmd\":\"NODE_HANDLE_NACK\"}\n".to_vec());
    }
}
