//! `ServerResponse`: the response a handler writes, a writable byte stream in
//! its own right over [`ResponseCore`].
//!
//! Each call frames its bytes into the response's output (head first, once);
//! the connection task takes the output after the handler returned or when
//! woken, and sends head and body with one write. The stream machinery
//! (events, `pipe` into the response) is only built when someone touches it:
//! a handler that calls `set_header` and `end` costs one uncontended lock.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError, Weak};

use rt_stream::{
    Buffer, Error, Sink, StreamBase, StreamCore, Void, Writable, WritableOptions, WritableSide, WriteOutcome,
};
use tokio::sync::Notify;

use crate::message_timeout::{ConnLink, Hear, MESSAGE_TIMEOUT, Slot};
use crate::outgoing::{Message, OutValue};
use crate::response_core::ResponseCore;

/// Output past this many bytes makes `write` return `false` (Node's
/// `writableHighWaterMark`, 16 KiB).
pub const RESPONSE_HIGH_WATER_MARK: usize = 16 * 1024;

/// Node's `http.ServerResponse`.
///
/// Cheap to clone: clones are the same response.
#[doc(alias = "http.ServerResponse")]
#[derive(Clone)]
pub struct ServerResponse {
    pub(crate) inner: Arc<ResInner>,
}

pub(crate) struct ResInner {
    state: Mutex<ResState>,
    stream: OnceLock<Arc<StreamCore<Void, Buffer>>>,
    /// The connection: output is ready, or the response ended.
    pub(crate) wake: Notify,
    /// The handler: the connection sent what was queued.
    drained: Notify,
    /// The connection went away: writes are dropped.
    detached: AtomicBool,
    /// The connection: what `set_timeout` sets.
    conn: Option<Arc<ConnLink>>,
}

struct ResState {
    core: ResponseCore,
    need_drain: bool,
}

fn lock(m: &Mutex<ResState>) -> MutexGuard<'_, ResState> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The lazily built stream's `_write` / `_final`: the same framing.
struct ResSink(Weak<ResInner>);

impl Sink<Buffer> for ResSink {
    fn write(&mut self, chunk: Buffer) -> WriteOutcome {
        match self.0.upgrade() {
            Some(inner) => WriteOutcome::Done(ServerResponse { inner }.write_direct_buf(chunk).map(|_| ())),
            None => WriteOutcome::ok(),
        }
    }

    fn finish(&mut self) -> Option<WriteOutcome> {
        let inner = self.0.upgrade()?;
        Some(WriteOutcome::Done(ServerResponse { inner }.end_direct(&[])))
    }
}

impl StreamBase for ServerResponse {
    type Read = Void;
    type Write = Buffer;
    fn stream_core(&self) -> &Arc<StreamCore<Void, Buffer>> {
        self.inner.stream.get_or_init(|| {
            let opts = WritableOptions::default().high_water_mark(RESPONSE_HIGH_WATER_MARK);
            Writable::new(ResSink(Arc::downgrade(&self.inner)), opts)
                .stream_core()
                .clone()
        })
    }
}

impl WritableSide for ServerResponse {}

/// The connection's timer fired while this response was the one being
/// sent: `'timeout'` to its listeners.
impl Hear for ServerResponse {
    fn hear(&self) -> bool {
        if self.inner.stream.get().is_none()
            || rt_events::Emitter::listener_count(self, &MESSAGE_TIMEOUT) == 0
        {
            return false;
        }
        rt_events::Emitter::emit(self, &MESSAGE_TIMEOUT, ());
        true
    }
}
rt_stream::impl_emitter!(ServerResponse);

impl std::fmt::Debug for ServerResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerResponse")
            .field("status_code", &self.status_code())
            .field("headers_sent", &self.headers_sent())
            .finish()
    }
}

impl ServerResponse {
    rt_stream::stream_methods!();

    pub(crate) fn new(core: ResponseCore, conn: Option<Arc<ConnLink>>) -> ServerResponse {
        ServerResponse {
            inner: Arc::new(ResInner {
                state: Mutex::new(ResState {
                    core,
                    need_drain: false,
                }),
                stream: OnceLock::new(),
                wake: Notify::new(),
                drained: Notify::new(),
                detached: AtomicBool::new(false),
                conn,
            }),
        }
    }

    /// Connection side: the response to the next request on a connection,
    /// in `spare`'s allocation (the response before it) when nothing else
    /// holds that one any more: no `Arc` allocated, freed and moved into
    /// per request on a keep-alive connection.
    pub(crate) fn renew(
        spare: Option<ServerResponse>,
        core: ResponseCore,
        conn: Option<Arc<ConnLink>>,
    ) -> ServerResponse {
        if let Some(mut res) = spare {
            // Unique: no clone, no weak handle (a built stream holds one).
            if let Some(inner) = Arc::get_mut(&mut res.inner) {
                let st = inner.state.get_mut().unwrap_or_else(PoisonError::into_inner);
                let mut core = core;
                core.out.adopt_spares(&mut st.core.out);
                st.core = core;
                st.need_drain = false;
                inner.stream = OnceLock::new();
                // A stored notification of the last response must not
                // reach this one.
                inner.wake = Notify::new();
                inner.drained = Notify::new();
                *inner.detached.get_mut() = false;
                inner.conn = conn;
                return res;
            }
        }
        ServerResponse::new(core, conn)
    }

    /// Whether this is the only handle on the response (no clone, no stream).
    pub(crate) fn is_unique(&self) -> bool {
        Arc::strong_count(&self.inner) == 1 && Arc::weak_count(&self.inner) == 0
    }

    fn with<R>(&self, f: impl FnOnce(&mut ResponseCore) -> R) -> R {
        f(&mut lock(&self.inner.state).core)
    }

    /// `res.statusCode`.
    #[doc(alias = "statusCode")]
    pub fn status_code(&self) -> u16 {
        self.with(|c| c.status_code())
    }

    /// `res.statusCode = code` (used by the implicit head).
    #[doc(alias = "statusCode")]
    pub fn set_status_code(&self, code: u16) -> &Self {
        self.with(|c| c.set_status_code(code));
        self
    }

    /// `res.statusMessage`.
    #[doc(alias = "statusMessage")]
    pub fn status_message(&self) -> Option<String> {
        self.with(|c| c.status_message().map(str::to_string))
    }

    /// `res.statusMessage = msg`.
    #[doc(alias = "statusMessage")]
    pub fn set_status_message(&self, msg: impl Into<String>) -> &Self {
        self.with(|c| c.set_status_message(msg));
        self
    }

    /// `res.setHeader(name, value)`: `ERR_INVALID_HTTP_TOKEN` for a bad
    /// name, `ERR_INVALID_CHAR` for a bad value, `ERR_HTTP_HEADERS_SENT`
    /// after the head.
    #[doc(alias = "setHeader")]
    pub fn set_header(&self, name: &str, value: impl Into<OutValue>) -> Result<&Self, Error> {
        self.with(|c| c.out.set_header(name, value))?;
        Ok(self)
    }

    /// `res.appendHeader(name, value)`.
    #[doc(alias = "appendHeader")]
    pub fn append_header(&self, name: &str, value: impl Into<OutValue>) -> Result<&Self, Error> {
        self.with(|c| c.out.append_header(name, value))?;
        Ok(self)
    }

    /// `res.getHeader(name)`.
    #[doc(alias = "getHeader")]
    pub fn get_header(&self, name: &str) -> Option<OutValue> {
        self.with(|c| c.out.get_header(name).cloned())
    }

    /// `res.getHeaders()`: lower-cased names and values, in order.
    #[doc(alias = "getHeaders")]
    pub fn get_headers(&self) -> Vec<(String, OutValue)> {
        self.with(|c| c.out.get_headers())
    }

    /// `res.getHeaderNames()`.
    #[doc(alias = "getHeaderNames")]
    pub fn get_header_names(&self) -> Vec<String> {
        self.with(|c| c.out.get_header_names().into_iter().map(str::to_string).collect())
    }

    /// `res.hasHeader(name)`.
    #[doc(alias = "hasHeader")]
    pub fn has_header(&self, name: &str) -> bool {
        self.with(|c| c.out.has_header(name))
    }

    /// `res.removeHeader(name)`.
    #[doc(alias = "removeHeader")]
    pub fn remove_header(&self, name: &str) -> Result<&Self, Error> {
        self.with(|c| c.out.remove_header(name))?;
        Ok(self)
    }

    /// `res.writeHead(statusCode)`.
    #[doc(alias = "writeHead")]
    pub fn write_head(&self, status: u32) -> Result<&Self, Error> {
        self.write_head_with(status, None, None)
    }

    /// `res.writeHead(statusCode[, statusMessage][, headers])`: `headers` as
    /// (name, value) pairs, an object or Node's raw array alike.
    #[doc(alias = "writeHead")]
    pub fn write_head_with(
        &self,
        status: u32,
        reason: Option<&str>,
        headers: Option<Vec<(String, OutValue)>>,
    ) -> Result<&Self, Error> {
        self.with(|c| c.write_head(status, reason, headers))?;
        self.wake();
        Ok(self)
    }

    /// `res.headersSent`.
    #[doc(alias = "headersSent")]
    pub fn headers_sent(&self) -> bool {
        self.with(|c| c.out.headers_sent())
    }

    /// `res.writableEnded` / `res.finished`: `end()` was called.
    #[doc(alias = "writableEnded")]
    #[doc(alias = "finished")]
    pub fn writable_ended(&self) -> bool {
        self.with(|c| c.out.finished())
    }

    /// `res.flushHeaders()`: the head is sent now.
    #[doc(alias = "flushHeaders")]
    pub fn flush_headers(&self) -> Result<(), Error> {
        self.with(|c| {
            if !c.out.headers_sent() {
                c.implicit_head()?;
            }
            c.out.write_body(&[]);
            Ok::<(), Error>(())
        })?;
        self.wake();
        Ok(())
    }

    /// `res.addTrailers(headers)` (sent after a chunked body).
    #[doc(alias = "addTrailers")]
    pub fn add_trailers<'a>(
        &self,
        trailers: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<(), Error> {
        self.with(|c| c.out.add_trailers(trailers))
    }

    /// `res.writeContinue()`: an interim `100 Continue`.
    #[doc(alias = "writeContinue")]
    pub fn write_continue(&self) {
        self.with(|c| c.write_continue());
        self.wake();
    }

    /// `res.write(chunk)`: `Ok(false)` when the queued output passed the
    /// high-water mark (wait for `'drain'` or [`drained`](Self::drained)).
    /// A body the response may not have (HEAD, 204, 304) is dropped.
    /// After `end()`: `ERR_STREAM_WRITE_AFTER_END`.
    pub fn write(&self, chunk: impl AsRef<[u8]>) -> Result<bool, Error> {
        if self.inner.stream.get().is_some() {
            return WritableSide::write(self, Buffer::from(chunk.as_ref()));
        }
        self.write_direct(chunk.as_ref())
    }

    /// `res.end()`.
    pub fn end(&self) -> Result<(), Error> {
        if self.inner.stream.get().is_some() {
            return WritableSide::end(self);
        }
        self.end_direct(&[])
    }

    /// `res.end(chunk)`: with the whole body given here, the head carries
    /// its `Content-Length`.
    pub fn end_with(&self, chunk: impl AsRef<[u8]>) -> Result<(), Error> {
        if self.inner.stream.get().is_some() {
            if self.writable_length() > 0 || self.headers_sent() {
                return WritableSide::end_with(self, Buffer::from(chunk.as_ref()));
            }
            // Nothing queued: the whole body is known, so the head carries
            // its Content-Length (Node's `end(data)`); then the stream ends.
            self.end_direct(chunk.as_ref())?;
            return WritableSide::end(self);
        }
        self.end_direct(chunk.as_ref())
    }

    /// `res.setTimeout(ms)`: the connection's idle timeout (as
    /// `socket.setTimeout(ms)`); while this response is the one being sent,
    /// a timeout is reported to its [`MESSAGE_TIMEOUT`] listeners (after
    /// an incomplete request's, before the server's; the connection is
    /// destroyed when nobody listens). Zero turns the timeout off.
    #[doc(alias = "setTimeout")]
    pub fn set_timeout(&self, timeout: std::time::Duration) -> &Self {
        if let Some(c) = &self.inner.conn {
            c.set_timeout_for(timeout, Slot::Message, Box::new(self.clone()));
        }
        self
    }

    /// Resolves when the connection has sent what was queued (the async
    /// face of `'drain'`).
    pub async fn drained(&self) {
        loop {
            let n = self.inner.drained.notified();
            tokio::pin!(n);
            n.as_mut().enable();
            if self.with(|c| c.out.output_len()) == 0 || self.inner.detached.load(Ordering::Acquire) {
                return;
            }
            n.await;
        }
    }

    fn write_direct(&self, chunk: &[u8]) -> Result<bool, Error> {
        let below = {
            let mut st = lock(&self.inner.state);
            Message::write(&mut st.core, chunk)?;
            let below = st.core.out.output_len() < RESPONSE_HIGH_WATER_MARK;
            if !below {
                st.need_drain = true;
            }
            below
        };
        self.wake();
        Ok(below || self.inner.detached.load(Ordering::Acquire))
    }

    /// `write` of an owned chunk (the stream's `_write`): a large chunk is
    /// sent without being copied.
    fn write_direct_buf(&self, chunk: Buffer) -> Result<bool, Error> {
        let below = {
            let mut st = lock(&self.inner.state);
            if st.core.out.finished() {
                return Err(Error::new("ERR_STREAM_WRITE_AFTER_END", "write after end"));
            }
            if !st.core.out.headers_sent() {
                st.core.implicit_head()?;
            }
            st.core.out.write_body_buf(chunk);
            let below = st.core.out.output_len() < RESPONSE_HIGH_WATER_MARK;
            if !below {
                st.need_drain = true;
            }
            below
        };
        self.wake();
        Ok(below || self.inner.detached.load(Ordering::Acquire))
    }

    fn end_direct(&self, chunk: &[u8]) -> Result<(), Error> {
        lock(&self.inner.state).core.end(chunk)?;
        self.wake();
        Ok(())
    }

    fn wake(&self) {
        self.inner.wake.notify_one();
    }

    /// Connection side: swaps the queued output into `buf` (empty);
    /// returns whether `end()` was called and whether the connection must
    /// close after this response (Node's `_last`).
    pub(crate) fn take_output(&self, buf: &mut Vec<u8>, parts: &mut Vec<(usize, Buffer)>) -> (bool, bool) {
        let mut st = lock(&self.inner.state);
        st.core.out.swap_output_parts(buf, parts);
        (st.core.out.finished(), st.core.out.is_last())
    }

    /// Connection side: what was taken is on the wire.
    pub(crate) fn flushed(&self) {
        let drain = std::mem::take(&mut lock(&self.inner.state).need_drain);
        self.inner.drained.notify_waiters();
        if drain && self.inner.stream.get().is_some() {
            rt_events::Emitter::emit(self, &rt_stream::events::DRAIN, ());
        }
    }

    /// Connection side: the connection is gone; later writes are dropped.
    pub(crate) fn detach(&self) {
        self.inner.detached.store(true, Ordering::Release);
        self.inner.drained.notify_waiters();
    }

    /// Connection side: sets Node's `maxRequestsOnConnectionReached`.
    pub(crate) fn set_max_requests_reached(&self) {
        self.with(|c| c.out.max_requests_reached = true);
    }

    /// Connection side: the response is complete and sent; a stream built
    /// for it ends its life (`'close'`).
    pub(crate) fn done(&self) {
        if self.inner.stream.get().is_some() && !self.destroyed() {
            self.destroy(None);
        }
    }
}
