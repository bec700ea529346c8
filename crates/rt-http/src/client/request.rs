//! `ClientRequest`: a writable stream in its own right (its sink frames the
//! body through [`RequestCore`] and hands the bytes to the connection task),
//! with the request's headers next to the stream and its own events
//! (`'response'`, `'socket'`, `'information'`, `'upgrade'`, `'connect'`,
//! `'timeout'`).

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::Duration;

use rt_buffer::Buffer;
use rt_events::Emitter;
use rt_stream::{
    Completion, Error, Sink, StreamBase, StreamCore, Void, Writable, WritableOptions, WritableSide,
    WriteOutcome,
};
use std::collections::VecDeque;

use tokio::sync::Notify;

use super::early_write::{Early, write_now};
use super::events::{ClientSocket, RESPONSE, SOCKET, TIMEOUT};
use super::socket_gate::SocketGate;
use crate::incoming::IncomingMessage;
use crate::outgoing::{Message, OutValue};
use crate::request_core::RequestCore;

/// A request body piece on its way to the connection.
pub(crate) struct Out {
    pub(crate) bytes: Vec<u8>,
    /// Completes the stream's write once the bytes are on the socket.
    pub(crate) done: Option<Completion>,
    /// The request's last bytes.
    pub(crate) end: bool,
}

/// Node's `http.ClientRequest`: the request being written (a writable
/// stream of its body) and, once it arrives, its response.
///
/// Cheap to clone: clones are the same request.
#[doc(alias = "http.ClientRequest")]
pub struct ClientRequest {
    inner: Arc<Inner>,
    /// A caller's handle (counted in `Inner::users`), not the connection's.
    user: bool,
}

/// A clone is a caller's handle, counted.
impl Clone for ClientRequest {
    fn clone(&self) -> ClientRequest {
        self.inner.users.fetch_add(1, Ordering::AcqRel);
        ClientRequest {
            inner: self.inner.clone(),
            user: true,
        }
    }
}

struct Inner {
    core: Arc<StreamCore<Void, Buffer>>,
    st: Mutex<State>,
    /// Wakes the connection task: destroyed, the timeout changed, or body
    /// bytes queued in `State::outq`.
    poke: Arc<Notify>,
    /// Wakes `response().await`.
    changed: Notify,
    /// `'socket'` waits for the tick after the request was made.
    gate: SocketGate,
    aborted: AtomicBool,
    /// `req.reusedSocket`: set when the agent hands the request a free
    /// socket (as Node's `agent.reuseSocket`, before `'socket'`), and from
    /// the socket offered.
    reused: AtomicBool,
    /// The idle timeout in ms (0: none).
    timeout_ms: AtomicU64,
    max_header_size: usize,
    /// The response went to a `'response'` listener or to `response()`.
    claimed: AtomicBool,
    /// The caller's handles on the request (the connection's are not
    /// counted): none left and the response unclaimed, nobody can read it.
    users: AtomicUsize,
}

impl Inner {
    /// Queues a body piece for the connection and wakes it (a piece for a
    /// connection whose exchange is over is dropped: its write fails).
    fn queue_out(&self, out: Out) {
        let (refused, wake) = {
            let mut st = lock(&self.st);
            if st.out_closed {
                (Some(out), false)
            } else {
                st.outq.push_back(out);
                (None, st.attached)
            }
        };
        drop(refused);
        // A connection not attached yet looks at the queue when it attaches.
        if wake {
            self.poke.notify_one();
        }
    }
}

struct State {
    msg: RequestCore,
    /// The body's pieces on their way to the connection, oldest first (a
    /// queue in the request's own state: no channel made per request).
    outq: VecDeque<Out>,
    /// The connection's exchange is over: pieces queued now fail at once.
    out_closed: bool,
    /// A connection took the request (it is woken for each piece queued).
    attached: bool,
    /// A free connection's socket from the pool, written on by the tick.
    early: Early,
    socket: Option<ClientSocket>,
    response: Option<IncomingMessage>,
    finished_exchange: bool,
}

fn lock(m: &Mutex<State>) -> MutexGuard<'_, State> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The request's `_write` / `_final` / `_destroy`.
struct ReqSink(Weak<Inner>);

impl ReqSink {
    fn send(&self, f: impl FnOnce(&mut RequestCore) -> Result<(), Error>, end: bool) -> WriteOutcome {
        let Some(inner) = self.0.upgrade() else {
            return WriteOutcome::ok();
        };
        let bytes = {
            let mut st = lock(&inner.st);
            if let Err(e) = f(&mut st.msg) {
                return WriteOutcome::Done(Err(e));
            }
            st.msg.out.take_output()
        };
        if bytes.is_empty() && !end {
            return WriteOutcome::ok();
        }
        let (done, outcome) = WriteOutcome::deferred();
        // If the connection is gone the completion is dropped: the write
        // fails (the request was destroyed and reported why already).
        inner.queue_out(Out {
            bytes,
            done: Some(done),
            end,
        });
        outcome
    }
}

impl Sink<Buffer> for ReqSink {
    fn write(&mut self, chunk: Buffer) -> WriteOutcome {
        self.send(|m| m.write(&chunk), false)
    }

    fn finish(&mut self) -> Option<WriteOutcome> {
        Some(self.send(|m| m.end(&[]), true))
    }

    fn destroy(&mut self, err: Option<Error>) -> Option<Error> {
        let Some(inner) = self.0.upgrade() else { return err };
        inner.aborted.store(true, Ordering::Release);
        inner.poke.notify_one();
        inner.changed.notify_waiters();
        // `req.destroy()` before any response: Node's request reports
        // "socket hang up" (its socket closes with no response).
        let hang_up = {
            let st = lock(&inner.st);
            err.is_none() && st.response.is_none() && !st.finished_exchange
        };
        if hang_up {
            return Some(Error::new("ECONNRESET", "socket hang up"));
        }
        err
    }
}

/// Opens a request's `'socket'` gate when dropped: on its tick, or when the
/// tick is dropped unrun.
struct OpenGate(ClientRequest);

impl Drop for OpenGate {
    fn drop(&mut self) {
        self.0.open_gate();
    }
}

/// The caller's last handle dropped: the connection looks again at a
/// response it may be holding unread (whether the response is abandoned).
impl Drop for ClientRequest {
    fn drop(&mut self) {
        if self.user && self.inner.users.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.inner.poke.notify_one();
        }
    }
}

impl StreamBase for ClientRequest {
    type Read = Void;
    type Write = Buffer;
    fn stream_core(&self) -> &Arc<StreamCore<Void, Buffer>> {
        &self.inner.core
    }
}

impl WritableSide for ClientRequest {}
rt_stream::impl_emitter!(ClientRequest);

impl std::fmt::Debug for ClientRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let st = lock(&self.inner.st);
        f.debug_struct("ClientRequest")
            .field("method", &st.msg.method())
            .field("path", &st.msg.path())
            .finish()
    }
}

impl ClientRequest {
    rt_stream::stream_methods!();

    /// The request's stream and state around its framed head (`early`:
    /// bytes already due, the head when `Expect` sends it at once).
    pub(crate) fn from_parts(
        msg: RequestCore,
        early: Vec<u8>,
        timeout: Option<Duration>,
        max_header_size: usize,
    ) -> ClientRequest {
        let mut outq = VecDeque::new();
        if !early.is_empty() {
            outq.push_back(Out {
                bytes: early,
                done: None,
                end: false,
            });
        }
        let inner = Arc::new_cyclic(|weak: &Weak<Inner>| Inner {
            core: Writable::new(
                ReqSink(weak.clone()),
                // Node's OutgoingMessage closes with its exchange, not at 'finish'.
                WritableOptions::default().auto_destroy(false),
            )
            .stream_core()
            .clone(),
            st: Mutex::new(State {
                msg,
                outq,
                out_closed: false,
                attached: false,
                early: Early::None,
                socket: None,
                response: None,
                finished_exchange: false,
            }),
            poke: Arc::new(Notify::new()),
            changed: Notify::new(),
            gate: SocketGate::default(),
            aborted: AtomicBool::new(false),
            reused: AtomicBool::new(false),
            timeout_ms: AtomicU64::new(timeout.map_or(0, |d| d.as_millis().max(1) as u64)),
            max_header_size,
            claimed: AtomicBool::new(false),
            users: AtomicUsize::new(1),
        });
        let req = ClientRequest { inner, user: true };
        // Node: `process.nextTick(onSocketNT)`. Opened also if the tick is
        // dropped unrun (its runtime shut down), so no connection waits on it.
        let gate = OpenGate(req.handle());
        rt_stream::runtime::next_tick(move || drop(gate));
        req
    }

    /// The connection's (or the agent's) handle on the request: not a
    /// caller's, not counted (see [`abandoned`](Self::abandoned)).
    pub(crate) fn handle(&self) -> ClientRequest {
        ClientRequest {
            inner: self.inner.clone(),
            user: false,
        }
    }

    // ----- the head -------------------------------------------------------

    /// `setHeader(name, value)` (before the head is sent).
    #[doc(alias = "setHeader")]
    pub fn set_header(&self, name: &str, value: impl Into<OutValue>) -> Result<(), Error> {
        lock(&self.inner.st).msg.out.set_header(name, value)
    }

    /// `getHeader(name)`.
    #[doc(alias = "getHeader")]
    pub fn get_header(&self, name: &str) -> Option<OutValue> {
        lock(&self.inner.st).msg.out.get_header(name).cloned()
    }

    /// `hasHeader(name)`.
    #[doc(alias = "hasHeader")]
    pub fn has_header(&self, name: &str) -> bool {
        lock(&self.inner.st).msg.out.has_header(name)
    }

    /// `getHeaderNames()`.
    #[doc(alias = "getHeaderNames")]
    pub fn get_header_names(&self) -> Vec<String> {
        lock(&self.inner.st)
            .msg
            .out
            .get_header_names()
            .into_iter()
            .map(str::to_string)
            .collect()
    }

    /// `removeHeader(name)`.
    #[doc(alias = "removeHeader")]
    pub fn remove_header(&self, name: &str) -> Result<(), Error> {
        lock(&self.inner.st).msg.out.remove_header(name)
    }

    /// `headersSent`.
    #[doc(alias = "headersSent")]
    pub fn headers_sent(&self) -> bool {
        lock(&self.inner.st).msg.out.headers_sent()
    }

    /// `req.method`.
    pub fn method(&self) -> String {
        lock(&self.inner.st).msg.method().to_string()
    }

    /// `req.path`.
    pub fn path(&self) -> String {
        lock(&self.inner.st).msg.path().to_string()
    }

    /// `req.host`.
    pub fn host(&self) -> String {
        lock(&self.inner.st).msg.host().to_string()
    }

    /// `req.reusedSocket`: the request was given a free kept-alive
    /// connection from its agent's pool (known as soon as the agent gives
    /// it, before `'socket'`, as in Node; false for a queued request handed
    /// a socket as it is freed).
    #[doc(alias = "reusedSocket")]
    pub fn reused_socket(&self) -> bool {
        self.inner.reused.load(Ordering::Acquire)
    }

    /// The agent gives the request a free socket from its pool (Node's
    /// `agent.reuseSocket`: `req.reusedSocket = true`).
    pub(crate) fn mark_reused(&self) {
        self.inner.reused.store(true, Ordering::Release);
    }

    /// `req.socket`, as far as its addresses go (`None` before `'socket'`).
    pub fn socket(&self) -> Option<ClientSocket> {
        lock(&self.inner.st).socket
    }

    /// `addTrailers(headers)`: trailers sent after a chunked body (declare
    /// them with a `Trailer` header).
    #[doc(alias = "addTrailers")]
    pub fn add_trailers<'a>(
        &self,
        trailers: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<(), Error> {
        lock(&self.inner.st).msg.out.add_trailers(trailers)
    }

    /// `flushHeaders()`: sends the head now, before any body.
    #[doc(alias = "flushHeaders")]
    pub fn flush_headers(&self) -> Result<(), Error> {
        let bytes = {
            let mut st = lock(&self.inner.st);
            if !st.msg.out.headers_sent() {
                st.msg.implicit_head()?;
            }
            st.msg.out.write_body(&[]);
            st.msg.out.take_output()
        };
        if !bytes.is_empty() {
            self.inner.queue_out(Out {
                bytes,
                done: None,
                end: false,
            });
        }
        Ok(())
    }

    /// `setTimeout(ms)`: `'timeout'` after the socket is idle that long
    /// (zero turns it off).
    #[doc(alias = "setTimeout")]
    pub fn set_timeout(&self, timeout: Duration) {
        let ms = if timeout.is_zero() {
            0
        } else {
            timeout.as_millis().max(1) as u64
        };
        self.inner.timeout_ms.store(ms, Ordering::Release);
        self.inner.poke.notify_one();
    }

    // ----- the body -------------------------------------------------------

    /// `write(chunk)`: a body chunk (chunked when no Content-Length is set);
    /// `false` means wait for `'drain'`.
    pub fn write(&self, chunk: impl Into<Buffer>) -> Result<bool, Error> {
        WritableSide::write(self, chunk.into())
    }

    /// `write_all(chunk).await`: writes and waits for room (backpressure).
    pub async fn write_all(&self, chunk: impl Into<Buffer>) -> Result<(), Error> {
        WritableSide::write_all(self, chunk.into()).await
    }

    /// `end()`: the request is complete.
    pub fn end(&self) -> Result<(), Error> {
        WritableSide::end(self)
    }

    /// `end(chunk)`: the last chunk; when it is the whole body Node sends it
    /// with a `Content-Length` instead of chunked framing.
    pub fn end_with(&self, chunk: impl Into<Buffer>) -> Result<(), Error> {
        let chunk = chunk.into();
        let whole = {
            let mut st = lock(&self.inner.st);
            if !st.msg.out.headers_sent() && self.writable_length() == 0 && !self.destroyed() {
                st.msg.end(&chunk)?;
                Some(st.msg.out.take_output())
            } else {
                None
            }
        };
        match whole {
            Some(bytes) => {
                self.inner.queue_out(Out {
                    bytes,
                    done: None,
                    end: false,
                });
                WritableSide::end(self)
            }
            None => WritableSide::end_with(self, chunk),
        }
    }

    /// `writableEnded`.
    #[doc(alias = "writableEnded")]
    pub fn writable_ended(&self) -> bool {
        WritableSide::writable_ended(self)
    }

    /// `writableFinished`: every byte of the request is on the socket.
    #[doc(alias = "writableFinished")]
    pub fn writable_finished(&self) -> bool {
        WritableSide::writable_finished(self)
    }

    /// `writableLength`.
    pub fn writable_length(&self) -> usize {
        WritableSide::writable_length(self)
    }

    // ----- the response ---------------------------------------------------

    /// The response, once its head has arrived (the `'response'` event as a
    /// future). Fails with the request's error (`ECONNREFUSED`, "socket
    /// hang up"...) if it never comes.
    pub async fn response(&self) -> Result<IncomingMessage, Error> {
        loop {
            let changed = self.inner.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            if let Some(r) = lock(&self.inner.st).response.clone() {
                self.inner.claimed.store(true, Ordering::Release);
                return Ok(r);
            }
            if let Some(e) = self.errored() {
                return Err(e);
            }
            if self.destroyed() {
                return Err(Error::new("ECONNRESET", "socket hang up"));
            }
            changed.await;
        }
    }

    // ----- the connection's side -------------------------------------------

    /// A connection offers its socket to the request (Node's
    /// `req.onSocket(socket)`): `'socket'` now if the tick after the request
    /// was made has run, else on that tick (see `socket_gate`); nothing if
    /// the request was destroyed. A new connection offers it before it
    /// connects (no addresses yet: Node's socket is still connecting), so
    /// `'socket'` comes before the connection's result, a connect error
    /// included. Returns whether the gate had passed (no need to wait in
    /// [`attach`](Self::attach)).
    pub(crate) fn offer_socket(&self, socket: ClientSocket) -> bool {
        self.offer_with(socket, Early::None)
    }

    /// The agent gives the request a free connection's socket from its
    /// pool: offered as [`offer_socket`](Self::offer_socket) does, and the
    /// `'socket'` tick writes the request on `io` (see `early_write`).
    pub(crate) fn offer_pooled(
        &self,
        socket: ClientSocket,
        io: std::sync::Weak<rt_net::transport::Io>,
    ) -> bool {
        self.offer_with(socket, Early::Ready(io))
    }

    fn offer_with(&self, socket: ClientSocket, early: Early) -> bool {
        self.inner.reused.store(socket.reused, Ordering::Release);
        if self.is_aborted() {
            return true;
        }
        lock(&self.inner.st).early = early;
        if self.inner.gate.offer(socket) {
            {
                let mut st = lock(&self.inner.st);
                st.socket = Some(socket);
                // Told here, now: the connection writes.
                st.early = Early::None;
            }
            self.tell_socket(socket);
            return true;
        }
        false
    }

    /// The connection given this request by the pool cannot serve it (its
    /// socket closed while free): `true` if the request may go to another
    /// connection (its `'socket'` tick has not written on this one; it will
    /// tell nothing of it), `false` if the tick wrote there already.
    pub(crate) fn withdraw_pooled(&self) -> bool {
        {
            let mut st = lock(&self.inner.st);
            match st.early {
                Early::Written { .. } => return false,
                Early::Ready(_) => st.early = Early::Withdrawn,
                Early::None | Early::Withdrawn => {}
            }
        }
        self.inner.gate.withdraw();
        true
    }

    /// What the `'socket'` tick wrote for the connection: whether the
    /// request's last piece went, and a write error to report.
    pub(crate) fn take_early(&self) -> (bool, Option<std::io::Error>) {
        match std::mem::take(&mut lock(&self.inner.st).early) {
            Early::Written { end, err } => (end, err),
            _ => (false, None),
        }
    }

    /// The `'socket'` tick writes what the request queued on its pooled
    /// socket (Node's `req._flush()` after `'socket'`): whole pieces are
    /// complete (`'finish'` follows on the tick queue); a piece the socket
    /// did not take whole goes back first in the queue, for the connection.
    fn write_early(&self, io: &std::sync::Weak<rt_net::transport::Io>) {
        let Some(io) = io.upgrade() else { return };
        loop {
            let Some(mut out) = lock(&self.inner.st).outq.pop_front() else {
                return;
            };
            let (n, err) = write_now(&io, &out.bytes);
            if n == out.bytes.len() && err.is_none() {
                if out.end {
                    if let Early::Written { end, .. } = &mut lock(&self.inner.st).early {
                        *end = true;
                    }
                }
                if let Some(c) = out.done.take() {
                    c.complete(Ok(()));
                }
                continue;
            }
            out.bytes.drain(..n);
            let mut st = lock(&self.inner.st);
            st.outq.push_front(out);
            if let (Some(e), Early::Written { err, .. }) = (err, &mut st.early) {
                *err = Some(e);
            }
            return;
        }
    }

    /// Waits until `'socket'` is emitted, or known never to be (after an
    /// [`offer_socket`](Self::offer_socket) that returned `false`).
    pub(crate) async fn socket_told(&self) {
        self.inner.gate.passed().await;
    }

    /// The connection takes the request: `'socket'` (offered now unless
    /// `offered` says it was, as a new connection offers it before
    /// connecting: `Some(passed)`, what the offer returned), then the
    /// socket's addresses; then it takes the body's pieces with
    /// [`next_out`](Self::next_out). `false` if the request was destroyed
    /// while it waited for a socket or for that tick: Node emits no
    /// `'socket'` then.
    pub(crate) async fn attach(&self, socket: ClientSocket, offered: Option<bool>) -> bool {
        let passed = match offered {
            Some(passed) => passed,
            None => self.offer_socket(socket),
        };
        if !passed {
            self.socket_told().await;
        }
        let mut st = lock(&self.inner.st);
        // Not told (destroyed first): not attached; else now with its addresses.
        st.attached = match st.socket.as_mut() {
            Some(s) => {
                *s = socket;
                true
            }
            None => false,
        };
        st.attached
    }

    /// The body's next piece for the connection to write.
    pub(crate) fn next_out(&self) -> Option<Out> {
        lock(&self.inner.st).outq.pop_front()
    }

    /// The connection's exchange is over: what is queued, and what is
    /// written later, fails (its completion dropped).
    pub(crate) fn close_outbox(&self) {
        let left = {
            let mut st = lock(&self.inner.st);
            st.out_closed = true;
            std::mem::take(&mut st.outq)
        };
        drop(left);
    }

    /// Whether the method is `HEAD`, and whether it is `CONNECT`.
    pub(crate) fn head_or_connect(&self) -> (bool, bool) {
        let st = lock(&self.inner.st);
        let m = st.msg.method();
        (m == "HEAD", m == "CONNECT")
    }

    /// The tick after the request was made: `'socket'` for a socket offered
    /// before it (unless the request was destroyed meanwhile), then the
    /// waiting connection goes on.
    fn open_gate(&self) {
        if let Some(socket) = self.inner.gate.open() {
            if !self.is_aborted() {
                let (tell, io) = {
                    let mut st = lock(&self.inner.st);
                    match std::mem::take(&mut st.early) {
                        // The connection gave the socket back (closed while free).
                        Early::Withdrawn => {
                            st.early = Early::Withdrawn;
                            (false, None)
                        }
                        Early::Ready(io) => {
                            st.early = Early::Written {
                                end: false,
                                err: None,
                            };
                            (true, Some(io))
                        }
                        other => {
                            st.early = other;
                            (true, None)
                        }
                    }
                };
                if tell {
                    lock(&self.inner.st).socket = Some(socket);
                    self.tell_socket(socket);
                    // A 'socket' listener may have destroyed it: no write then.
                    if let (Some(io), false) = (io, self.is_aborted()) {
                        self.write_early(&io);
                    }
                }
            }
        }
        self.inner.gate.passed_now();
    }

    fn tell_socket(&self, socket: ClientSocket) {
        if self.inner.core.emitter_if_used().is_some() {
            Emitter::emit(self, &SOCKET, socket);
        }
    }

    pub(crate) fn poke(&self) -> Arc<Notify> {
        self.inner.poke.clone()
    }

    pub(crate) fn is_aborted(&self) -> bool {
        self.inner.aborted.load(Ordering::Acquire)
    }

    pub(crate) fn timeout(&self) -> Option<Duration> {
        match self.inner.timeout_ms.load(Ordering::Acquire) {
            0 => None,
            ms => Some(Duration::from_millis(ms)),
        }
    }

    pub(crate) fn max_header_size(&self) -> usize {
        self.inner.max_header_size
    }

    /// Node's `req.shouldKeepAlive` (the agent keeps connections; the
    /// response's own verdict is combined with it by the connection).
    pub(crate) fn should_keep_alive(&self) -> bool {
        lock(&self.inner.st).msg.out.should_keep_alive
    }

    pub(crate) fn emit_timeout(&self) {
        if self.inner.core.emitter_if_used().is_some() {
            Emitter::emit(self, &TIMEOUT, ());
        }
    }

    /// The response head arrived: `'response'`.
    pub(crate) fn deliver(&self, res: IncomingMessage) {
        lock(&self.inner.st).response = Some(res.clone());
        self.inner.changed.notify_waiters();
        if self.inner.core.emitter_if_used().is_some() && Emitter::listener_count(self, &RESPONSE) > 0 {
            self.inner.claimed.store(true, Ordering::Release);
            Emitter::emit(self, &RESPONSE, res);
        }
    }

    /// Whether nobody can ever read the response: no `'response'` listener
    /// took it, `response()` never returned it, and the caller holds no
    /// handle on the request. Node dumps a response nobody listens for
    /// (`res._dump()`), so that its socket goes back to the agent; rt does
    /// once the request is dropped unread.
    pub(crate) fn abandoned(&self) -> bool {
        !self.inner.claimed.load(Ordering::Acquire) && self.inner.users.load(Ordering::Acquire) == 0
    }

    /// The exchange is over (response complete, or the connection gone
    /// after the response started): `'close'`, as Node's request closes.
    pub(crate) fn finish_exchange(&self) {
        {
            let mut st = lock(&self.inner.st);
            if st.finished_exchange {
                return;
            }
            st.finished_exchange = true;
        }
        self.destroy(None);
        self.inner.changed.notify_waiters();
    }

    /// The request failed: `'error'`, then `'close'`.
    pub(crate) fn fail(&self, err: Error) {
        {
            let mut st = lock(&self.inner.st);
            st.finished_exchange = true;
        }
        self.destroy(Some(err));
        self.inner.changed.notify_waiters();
    }
}
