//! `IncomingMessage`: a received request (server side) or response (client
//! side), a readable byte stream of its body in its own right.
//!
//! ## How a connection feeds it
//!
//! The connection task parses the head in place, then builds the message
//! with [`IncomingMessage::new`] from a [`MessageHead`] (method / url for a
//! request, status for a response, `raw_headers` as received) and
//! [`BodyState`]:
//!
//! - [`BodyState::Empty`]: no body (a GET, a 204...). The message is
//!   `complete` at once; its stream core is only built when someone touches
//!   the stream (`on`, `read`, `pipe`...), and then ends at once. A handler
//!   that never looks at the body costs no stream machinery.
//! - [`BodyState::Streaming`]: the connection pushes each decoded body chunk
//!   with [`push`](IncomingMessage::push) and, at the end of the body,
//!   calls [`end_body`](IncomingMessage::end_body) with the trailers' raw
//!   lines (`complete` becomes true, then the stream ends). If the peer goes
//!   away first, [`abort`](IncomingMessage::abort) (`'aborted'`, then the
//!   stream is destroyed with Node's `ECONNRESET` "aborted").
//!
//! **Backpressure.** `push` returns `false` once the message's buffer is
//! over its high-water mark (16 KiB). The connection task then stops reading
//! its socket and awaits [`demand`](IncomingMessage::demand), which resolves
//! when the consumer asks for more (Node's `_read`: the request's `read()`
//! resumes the socket). A handler that does not read the body thus stops the
//! socket from being read, and the peer's sends block.
//!
//! When the response is finished and nobody consumed the body, the server
//! calls [`dump`](IncomingMessage::dump) (Node's `req._dump()`): the rest of
//! the body is read and dropped so the connection can serve the next request.

use std::net::SocketAddr;
use std::ops::Range;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError, Weak};

use std::time::Duration;

use bytes::Bytes;
use rt_events::Event;
use rt_stream::{Buffer, Error, Pusher, Readable, ReadableOptions, Source, StreamBase, StreamCore, Void};
use tokio::sync::Notify;

pub use crate::conn_addrs::SocketInfo;
use crate::headers::Headers;
use crate::message_timeout::{ConnLink, Hear, MESSAGE_TIMEOUT, Slot};
use crate::parser::RawHeader;

/// `'aborted'`: the peer closed the connection before the message was
/// complete (Node: `message.on('aborted')`, deprecated but still emitted).
pub static ABORTED: Event<()> = Event::new("aborted");

/// What the parser learned from a message's head.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MessageHead {
    /// The request method (`"GET"`...); empty for a response.
    pub method: String,
    /// The request target; empty for a response.
    pub url: String,
    /// The HTTP version, `(1, 1)`.
    pub version: (u8, u8),
    /// The response's status code; 0 for a request.
    pub status_code: u16,
    /// The response's reason phrase; empty for a request.
    pub status_message: String,
    /// Header names and values as received, alternating (Node's
    /// `rawHeaders`): `["Host", "a", "Accept", "*/*"]`.
    pub raw_headers: Vec<String>,
    /// Whether to join singleton headers instead of keeping the first
    /// (Node's `joinDuplicateHeaders`).
    pub join_duplicate_headers: bool,
    /// How many header lines `headers` is built from (Node's
    /// `maxHeadersCount`; `rawHeaders` keeps them all); `None`: all.
    pub headers_limit: Option<usize>,
}

/// A request head kept as the bytes received (the server's hot path): the
/// url and the raw headers are ranges into `buf`, and their strings are
/// built only when asked for (Node builds `req.headers` on first access
/// too).
#[derive(Debug)]
pub(crate) struct RawHead {
    /// The head's bytes, request line through the blank line.
    pub(crate) buf: Bytes,
    pub(crate) method: &'static str,
    pub(crate) url: Range<usize>,
    pub(crate) version: (u8, u8),
    pub(crate) headers: Vec<RawHeader>,
    pub(crate) join_duplicate_headers: bool,
    pub(crate) headers_limit: Option<usize>,
}

impl Drop for RawHead {
    fn drop(&mut self) {
        crate::parser::give_header_list(std::mem::take(&mut self.headers));
    }
}

/// What the server needs from a request's headers before dispatching it.
#[derive(Debug, Default)]
pub(crate) struct HeadFacts {
    /// A `Host` header was received.
    pub(crate) host: bool,
    /// `Expect`, joined.
    pub(crate) expect: Option<String>,
    /// `TE`, joined.
    pub(crate) te: Option<String>,
}

fn join_into(slot: &mut Option<String>, v: &[u8]) {
    match slot {
        None => *slot = Some(latin1(v)),
        Some(s) => {
            s.push_str(", ");
            s.push_str(&latin1(v));
        }
    }
}

impl RawHead {
    /// Host / Expect / TE in one pass over the headers.
    pub(crate) fn facts(&self) -> HeadFacts {
        let mut f = HeadFacts::default();
        for (n, v) in self.pairs() {
            match n.len() {
                4 if n.eq_ignore_ascii_case(b"host") => f.host = true,
                6 if n.eq_ignore_ascii_case(b"expect") => join_into(&mut f.expect, v),
                2 if n.eq_ignore_ascii_case(b"te") => join_into(&mut f.te, v),
                _ => {}
            }
        }
        f
    }

    /// The header lines as (name, value) bytes, in order.
    pub(crate) fn pairs(&self) -> impl Iterator<Item = (&[u8], &[u8])> + '_ {
        self.headers
            .iter()
            .map(|h| (&self.buf[h.name.clone()], &self.buf[h.value.clone()]))
    }
}

/// A message's head: owned strings, or the received bytes with ranges.
enum Head {
    Owned(MessageHead),
    Raw {
        raw: RawHead,
        /// The url when it is not ASCII (Latin-1 decoded).
        url: OnceLock<String>,
        /// `rawHeaders`, built on first use.
        strings: OnceLock<Vec<String>>,
    },
    /// A response head kept as received (the client's path): `raw`'s
    /// method and url are empty, the status line's parts are here.
    Response {
        raw: RawHead,
        status: u16,
        /// The reason phrase's bytes in `raw.buf`.
        reason: Range<usize>,
        /// The reason phrase when it is not ASCII (Latin-1 decoded).
        message: OnceLock<String>,
        /// `rawHeaders`, built on first use.
        strings: OnceLock<Vec<String>>,
    },
}

impl std::fmt::Debug for Head {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Head::Owned(h) => h.fmt(f),
            Head::Raw { raw, .. } => raw.fmt(f),
            Head::Response { raw, status, .. } => f
                .debug_struct("ResponseHead")
                .field("status", status)
                .field("raw", raw)
                .finish(),
        }
    }
}

/// Whether a message has a body to be pushed by its connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyState {
    /// No body: complete at once.
    Empty,
    /// The connection pushes the body, then calls `end_body`.
    Streaming,
}

/// Node's `http.IncomingMessage`: the request a server received, or the
/// response a client received; a readable stream of the body.
///
/// Cheap to clone: clones are the same message.
#[doc(alias = "http.IncomingMessage")]
#[derive(Clone)]
pub struct IncomingMessage {
    inner: Arc<Inner>,
}

struct Inner {
    head: Head,
    /// The addresses, when given; else the connection's (`conn`), read
    /// when first asked.
    socket: Option<SocketInfo>,
    /// The server connection a request arrived on (none for a client's
    /// response): what `set_timeout` sets.
    conn: Option<Arc<ConnLink>>,
    headers: OnceLock<Headers>,
    /// Built on first use (a message whose body nobody touches never has one).
    core: OnceLock<Arc<StreamCore<Buffer, Void>>>,
    body: BodyState,
    /// The consumer asked for data (Node's `_read`).
    demand: Notify,
    complete: AtomicBool,
    aborted: AtomicBool,
    dumped: AtomicBool,
    trailers: Mutex<Vec<String>>,
    parsed_trailers: OnceLock<Headers>,
}

impl Inner {
    fn new(head: Head, body: BodyState, socket: Option<SocketInfo>, conn: Option<Arc<ConnLink>>) -> Inner {
        Inner {
            head,
            socket,
            conn,
            headers: OnceLock::new(),
            core: OnceLock::new(),
            body,
            demand: Notify::new(),
            complete: AtomicBool::new(body == BodyState::Empty),
            aborted: AtomicBool::new(false),
            dumped: AtomicBool::new(false),
            trailers: Mutex::new(Vec::new()),
            parsed_trailers: OnceLock::new(),
        }
    }
}

/// The message's `_read`: wakes the connection task waiting on demand.
struct Demand(Weak<Inner>);

impl Source<Buffer> for Demand {
    fn read(&mut self, _size: usize, _push: &Pusher<Buffer>) {
        if let Some(inner) = self.0.upgrade() {
            inner.demand.notify_one();
        }
    }

    fn push_driven(&self) -> bool {
        true
    }

    /// A destroyed body wakes its connection too (it stops reading it).
    fn destroy(&mut self, err: Option<Error>) -> Option<Error> {
        if let Some(inner) = self.0.upgrade() {
            inner.demand.notify_one();
        }
        err
    }
}

impl StreamBase for IncomingMessage {
    type Read = Buffer;
    type Write = Void;
    fn stream_core(&self) -> &Arc<StreamCore<Buffer, Void>> {
        self.inner.core.get_or_init(|| {
            let r = Readable::from_source(Demand(Arc::downgrade(&self.inner)), ReadableOptions::default());
            if self.inner.body == BodyState::Empty {
                r.push_end();
            }
            r.stream_core().clone()
        })
    }
}

impl rt_stream::ReadableSide for IncomingMessage {}

/// The connection's timer fired while this request was the one being
/// received: `'timeout'` to its listeners unless it is complete.
impl Hear for IncomingMessage {
    fn hear(&self) -> bool {
        if self.complete()
            || self.inner.core.get().is_none()
            || rt_events::Emitter::listener_count(self, &MESSAGE_TIMEOUT) == 0
        {
            return false;
        }
        rt_events::Emitter::emit(self, &MESSAGE_TIMEOUT, ());
        true
    }
}
rt_stream::impl_emitter!(IncomingMessage);

impl std::fmt::Debug for IncomingMessage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IncomingMessage")
            .field("head", &self.inner.head)
            .field("complete", &self.complete())
            .finish()
    }
}

fn latin1(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        // ASCII (the usual case) is the same text in UTF-8 and Latin-1.
        Ok(s) if bytes.is_ascii() => s.to_owned(),
        _ => bytes.iter().map(|&b| b as char).collect(),
    }
}

impl IncomingMessage {
    rt_stream::stream_methods!();
    rt_stream::readable_methods!();

    /// A message with this head, arriving on a connection with `socket`'s
    /// addresses; see the module docs for how the connection feeds it.
    pub fn new(head: MessageHead, body: BodyState, socket: SocketInfo) -> IncomingMessage {
        IncomingMessage::with_head(Head::Owned(head), body, Some(socket), None)
    }

    /// A request built from the head's received bytes (the server's path):
    /// no string is built until asked for.
    pub(crate) fn from_raw(
        raw: RawHead,
        body: BodyState,
        socket: SocketInfo,
        conn: Option<Arc<ConnLink>>,
    ) -> IncomingMessage {
        IncomingMessage::with_head(
            Head::Raw {
                raw,
                url: OnceLock::new(),
                strings: OnceLock::new(),
            },
            body,
            Some(socket),
            conn,
        )
    }

    /// A response built from its head's received bytes (the client's
    /// path): `raw` holds the head (its method and url empty), `status` and
    /// `reason` the status line's; no string is built until asked for.
    pub(crate) fn from_raw_response(
        raw: RawHead,
        status: u16,
        reason: Range<usize>,
        body: BodyState,
        socket: SocketInfo,
    ) -> IncomingMessage {
        IncomingMessage::with_head(
            Head::Response {
                raw,
                status,
                reason,
                message: OnceLock::new(),
                strings: OnceLock::new(),
            },
            body,
            Some(socket),
            None,
        )
    }

    /// [`from_raw`](Self::from_raw) in `spare`'s allocation (the request
    /// before it on the connection) when nothing else holds that one any
    /// more: no `Arc` allocated and freed per request.
    /// Its addresses are the connection's, read from `conn` when first asked.
    pub(crate) fn renew_raw(
        spare: Option<IncomingMessage>,
        raw: RawHead,
        body: BodyState,
        conn: Arc<ConnLink>,
    ) -> IncomingMessage {
        let (socket, conn) = (None, Some(conn));
        let head = Head::Raw {
            raw,
            url: OnceLock::new(),
            strings: OnceLock::new(),
        };
        if let Some(mut msg) = spare {
            // Unique: no clone, no weak handle (a built stream holds one).
            if let Some(inner) = Arc::get_mut(&mut msg.inner) {
                *inner = Inner::new(head, body, socket, conn);
                return msg;
            }
        }
        IncomingMessage {
            inner: Arc::new(Inner::new(head, body, socket, conn)),
        }
    }

    /// The message kept for [`renew_raw`](Self::renew_raw) if nothing else
    /// holds it, without its head's bytes (they share the connection's read
    /// buffer, which must be free for the next read).
    pub(crate) fn into_spare(mut self) -> Option<IncomingMessage> {
        let inner = Arc::get_mut(&mut self.inner)?;
        if let Head::Raw { raw, .. } = &mut inner.head {
            raw.buf = Bytes::new();
        }
        Some(self)
    }

    fn with_head(
        head: Head,
        body: BodyState,
        socket: Option<SocketInfo>,
        conn: Option<Arc<ConnLink>>,
    ) -> IncomingMessage {
        IncomingMessage {
            inner: Arc::new(Inner::new(head, body, socket, conn)),
        }
    }

    /// Raw header (name, value) bytes to Node's `rawHeaders` strings
    /// (Latin-1, as Node decodes them).
    pub fn raw_strings<'a>(pairs: impl IntoIterator<Item = (&'a [u8], &'a [u8])>) -> Vec<String> {
        let mut out = Vec::new();
        for (n, v) in pairs {
            out.push(latin1(n));
            out.push(latin1(v));
        }
        out
    }

    /// `message.method` (a request's; `""` on a response).
    pub fn method(&self) -> &str {
        match &self.inner.head {
            Head::Owned(h) => &h.method,
            Head::Raw { raw, .. } => raw.method,
            Head::Response { .. } => "",
        }
    }

    /// `message.url` (a request's target; `""` on a response).
    pub fn url(&self) -> &str {
        match &self.inner.head {
            Head::Owned(h) => &h.url,
            Head::Raw { raw, url, .. } => {
                let bytes = &raw.buf[raw.url.clone()];
                match std::str::from_utf8(bytes) {
                    Ok(s) if bytes.is_ascii() => s,
                    _ => url.get_or_init(|| latin1(bytes)),
                }
            }
            Head::Response { .. } => "",
        }
    }

    /// `message.httpVersion`: `"1.1"`.
    #[doc(alias = "httpVersion")]
    pub fn http_version(&self) -> String {
        let (a, b) = self.version();
        format!("{a}.{b}")
    }

    /// `httpVersionMajor` and `httpVersionMinor`.
    #[doc(alias = "httpVersionMajor")]
    #[doc(alias = "httpVersionMinor")]
    pub fn version(&self) -> (u8, u8) {
        match &self.inner.head {
            Head::Owned(h) => h.version,
            Head::Raw { raw, .. } | Head::Response { raw, .. } => raw.version,
        }
    }

    /// `message.statusCode` (a response's; 0 on a request).
    #[doc(alias = "statusCode")]
    pub fn status_code(&self) -> u16 {
        match &self.inner.head {
            Head::Owned(h) => h.status_code,
            Head::Raw { .. } => 0,
            Head::Response { status, .. } => *status,
        }
    }

    /// `message.statusMessage` (a response's reason phrase).
    #[doc(alias = "statusMessage")]
    pub fn status_message(&self) -> &str {
        match &self.inner.head {
            Head::Owned(h) => &h.status_message,
            Head::Raw { .. } => "",
            Head::Response {
                raw, reason, message, ..
            } => {
                let bytes = &raw.buf[reason.clone()];
                match std::str::from_utf8(bytes) {
                    Ok(s) if bytes.is_ascii() => s,
                    _ => message.get_or_init(|| latin1(bytes)),
                }
            }
        }
    }

    /// `message.headers`: merged as Node merges them (built on first use).
    pub fn headers(&self) -> &Headers {
        self.inner.headers.get_or_init(|| {
            let (limit, join) = self.header_rules();
            if let Head::Raw { raw, .. } | Head::Response { raw, .. } = &self.inner.head {
                let lines = limit.map_or(raw.headers.len(), |n| raw.headers.len().min(n));
                let ascii = raw.pairs().take(lines).all(|(n, v)| n.is_ascii() && v.is_ascii());
                if ascii {
                    // Straight from the received bytes: no rawHeaders strings.
                    return Headers::from_raw(
                        raw.pairs().take(lines).map(|(n, v)| {
                            (
                                std::str::from_utf8(n).unwrap_or(""),
                                std::str::from_utf8(v).unwrap_or(""),
                            )
                        }),
                        join,
                    );
                }
            }
            let raw = self.raw_headers();
            let n = limit.map_or(raw.len(), |n| raw.len().min(n.saturating_mul(2)));
            merge(&raw[..n], join)
        })
    }

    /// (`maxHeadersCount`, `joinDuplicateHeaders`).
    fn header_rules(&self) -> (Option<usize>, bool) {
        match &self.inner.head {
            Head::Owned(h) => (h.headers_limit, h.join_duplicate_headers),
            Head::Raw { raw, .. } | Head::Response { raw, .. } => {
                (raw.headers_limit, raw.join_duplicate_headers)
            }
        }
    }

    /// One header's value, joined (`headers[name]` as a string).
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers().get(name).map(|v| v.joined())
    }

    /// `message.rawHeaders`: names and values as received, alternating.
    #[doc(alias = "rawHeaders")]
    pub fn raw_headers(&self) -> &[String] {
        match &self.inner.head {
            Head::Owned(h) => &h.raw_headers,
            Head::Raw { raw, strings, .. } | Head::Response { raw, strings, .. } => {
                strings.get_or_init(|| IncomingMessage::raw_strings(raw.pairs()))
            }
        }
    }

    /// `message.trailers`: empty until the body has ended.
    pub fn trailers(&self) -> Headers {
        if !self.complete() {
            return Headers::default();
        }
        self.inner
            .parsed_trailers
            .get_or_init(|| merge(&self.raw_trailers(), self.header_rules().1))
            .clone()
    }

    /// `message.rawTrailers`.
    #[doc(alias = "rawTrailers")]
    pub fn raw_trailers(&self) -> Vec<String> {
        self.inner
            .trailers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// `message.complete`: the whole message was received.
    pub fn complete(&self) -> bool {
        self.inner.complete.load(Ordering::Acquire)
    }

    /// `message.aborted`: the peer went away before the message was complete.
    pub fn aborted(&self) -> bool {
        self.inner.aborted.load(Ordering::Acquire)
    }

    /// The connection's addresses (Node: `message.socket.remoteAddress`,
    /// `remotePort`, `localAddress`, `localPort`).
    ///
    /// A request's are its connection's, asked of the socket the first
    /// time they are wanted and kept (as Node's socket does: none when
    /// first asked after the connection closed).
    pub fn socket_info(&self) -> SocketInfo {
        match (&self.inner.socket, &self.inner.conn) {
            (Some(s), _) => *s,
            (None, Some(conn)) => conn.addresses(),
            (None, None) => SocketInfo::default(),
        }
    }

    /// `message.socket.remoteAddress` and `remotePort`.
    #[doc(alias = "remoteAddress")]
    pub fn remote_address(&self) -> Option<SocketAddr> {
        self.socket_info().remote
    }

    /// Connection side: the body has ended with these raw trailer lines
    /// (alternating names and values): `complete` is set, then the stream
    /// ends.
    pub fn end_body(&self, raw_trailers: Vec<String>) {
        if !raw_trailers.is_empty() {
            *self.inner.trailers.lock().unwrap_or_else(PoisonError::into_inner) = raw_trailers;
        }
        self.inner.complete.store(true, Ordering::Release);
        if self.inner.body == BodyState::Streaming {
            self.push_end();
        }
    }

    /// Connection side: the peer closed before the message was complete.
    /// Emits `'aborted'` and destroys the stream with Node's `ECONNRESET`
    /// ("aborted"). Nothing happens for a complete message.
    pub fn abort(&self) {
        if self.complete() || self.inner.aborted.swap(true, Ordering::AcqRel) {
            return;
        }
        if self.inner.core.get().is_some() {
            rt_events::Emitter::emit(self, &ABORTED, ());
            self.destroy(Some(Error::new("ECONNRESET", "aborted")));
        }
    }

    /// `message.setTimeout(ms)` on a request a server received: the
    /// connection's idle timeout (as `socket.setTimeout(ms)`), and while
    /// this request is still being received a timeout is reported to its
    /// [`MESSAGE_TIMEOUT`] listeners first (then the response's,
    /// then the server's; the connection is destroyed when nobody listens).
    /// Zero turns the timeout off. On a client's response it does nothing
    /// (use [`ClientRequest::set_timeout`](crate::ClientRequest::set_timeout)).
    #[doc(alias = "setTimeout")]
    pub fn set_timeout(&self, timeout: Duration) -> &Self {
        if let Some(c) = &self.inner.conn {
            c.set_timeout_for(timeout, Slot::Incoming, Box::new(self.clone()));
        }
        self
    }

    /// Connection side: resolves when the consumer asks for more data after
    /// a `push` returned `false` (or at once if it already did).
    pub async fn demand(&self) {
        self.inner.demand.notified().await;
    }

    /// Connection side: whether the buffered body is below the high-water
    /// mark (a push now would be accepted without backpressure).
    pub fn wants_more(&self) -> bool {
        match self.inner.core.get() {
            None => true,
            Some(_) => !self.destroyed() && self.readable_length() < self.readable_high_water_mark(),
        }
    }

    /// Node's `req._dump()`: the response is done and nobody consumed the
    /// body; the rest is read and dropped. Returns whether the body is now
    /// being dumped (the connection drops further chunks instead of
    /// pushing them).
    pub fn dump(&self) -> bool {
        if self.inner.dumped.swap(true, Ordering::AcqRel) {
            return true;
        }
        if self.inner.core.get().is_some() {
            self.resume();
        }
        true
    }

    /// Whether [`dump`](IncomingMessage::dump) was called.
    pub fn dumped(&self) -> bool {
        self.inner.dumped.load(Ordering::Acquire)
    }

    /// Whether someone is consuming the body: the stream flows, is piped, or
    /// was read (Node's `_consuming`, approximately).
    pub fn consuming(&self) -> bool {
        self.inner.core.get().is_some() && self.readable_flowing().is_some()
    }
}

fn merge(raw: &[String], join: bool) -> Headers {
    Headers::from_raw(raw.chunks_exact(2).map(|p| (p[0].as_str(), p[1].as_str())), join)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head() -> MessageHead {
        MessageHead {
            method: "POST".into(),
            url: "/x".into(),
            version: (1, 1),
            raw_headers: vec![
                "Host".into(),
                "a".into(),
                "X-A".into(),
                "1".into(),
                "x-a".into(),
                "2".into(),
            ],
            ..Default::default()
        }
    }

    /// The same request as received bytes (the server's lazy head) and as
    /// owned strings: every accessor answers the same, non-ASCII (Latin-1)
    /// url and values, duplicates and the headers limit included.
    #[test]
    fn raw_head_answers_as_the_owned_head() {
        let latin: &[u8] = b"PUT /a%C3?x=1 HTTP/1.1\r\nHost: h\r\nX-A: 1\r\nx-a: caf\xe9\r\nCookie: a=1\r\ncookie: b=2\r\nSet-Cookie: s\r\nset-cookie: t\r\nTE: trailers\r\nExpect: 100-continue\r\n\r\n";
        let ascii: &[u8] = b"PUT /a%C3?x=1 HTTP/1.1\r\nHost: h\r\nX-A: 1\r\nx-a: cafe\r\nCookie: a=1\r\ncookie: b=2\r\nSet-Cookie: s\r\nset-cookie: t\r\nTE: trailers\r\nExpect: 100-continue\r\n\r\n";
        let cases = [(false, None), (true, None), (false, Some(3)), (false, Some(5))];
        for (bytes, (join, limit)) in [latin, ascii].into_iter().flat_map(|b| cases.map(|c| (b, c))) {
            let Ok(crate::parser::Parsed::Complete(h)) = crate::parser::parse_request(bytes, 16 * 1024)
            else {
                panic!("the request parses");
            };
            let buf = Bytes::copy_from_slice(&bytes[..h.len]);
            let owned = MessageHead {
                method: h.method.to_string(),
                url: latin1(&buf[h.url.clone()]),
                version: h.version,
                raw_headers: IncomingMessage::raw_strings(
                    h.fields
                        .headers
                        .iter()
                        .map(|r| (&buf[r.name.clone()], &buf[r.value.clone()])),
                ),
                join_duplicate_headers: join,
                headers_limit: limit,
                ..MessageHead::default()
            };
            let raw = RawHead {
                buf: buf.clone(),
                method: h.method,
                url: h.url.clone(),
                version: h.version,
                headers: h.fields.headers.clone(),
                join_duplicate_headers: join,
                headers_limit: limit,
            };
            let facts = raw.facts();
            assert!(facts.host);
            assert_eq!(facts.te.as_deref(), Some("trailers"));
            assert_eq!(facts.expect.as_deref(), Some("100-continue"));
            let a = IncomingMessage::from_raw(raw, BodyState::Empty, SocketInfo::default(), None);
            let b = IncomingMessage::new(owned, BodyState::Empty, SocketInfo::default());
            assert_eq!(a.method(), "PUT");
            assert_eq!(a.url(), "/a%C3?x=1");
            assert_eq!(a.url(), b.url());
            assert_eq!(a.version(), b.version());
            assert_eq!(a.raw_headers(), b.raw_headers());
            let cafe = if bytes == latin { "caf\u{e9}" } else { "cafe" };
            assert_eq!(a.raw_headers()[5], cafe);
            assert_eq!(a.headers(), b.headers(), "join {join} limit {limit:?}");
            assert_eq!(a.status_code(), 0);
        }
    }

    /// A response as received bytes (the client's lazy head) and as owned
    /// strings, as the client built it before: every accessor answers the
    /// same, a Latin-1 reason phrase and header value included.
    #[test]
    fn raw_response_head_answers_as_the_owned_head() {
        let latin: &[u8] = b"HTTP/1.0 404 Nicht gefunden \xfc\r\nContent-Length: 0\r\nX-A: caf\xe9\r\nSet-Cookie: s\r\nset-cookie: t\r\nx-a: 2\r\n\r\n";
        let ascii: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nX-A: cafe\r\nSet-Cookie: s\r\nset-cookie: t\r\nx-a: 2\r\n\r\n";
        let empty_reason: &[u8] = b"HTTP/1.1 204 \r\nX-A: 1\r\n\r\n";
        let mut compared = 0;
        for bytes in [latin, ascii, empty_reason] {
            let Ok(crate::parser::Parsed::Complete(h)) = crate::parser::parse_response(bytes, 16 * 1024)
            else {
                panic!("the response parses");
            };
            let buf = Bytes::copy_from_slice(&bytes[..h.len]);
            let owned = MessageHead {
                version: h.version,
                status_code: h.status,
                status_message: latin1(&buf[h.reason.clone()]),
                raw_headers: IncomingMessage::raw_strings(
                    h.fields
                        .headers
                        .iter()
                        .map(|r| (&buf[r.name.clone()], &buf[r.value.clone()])),
                ),
                ..MessageHead::default()
            };
            let raw = RawHead {
                buf,
                method: "",
                url: 0..0,
                version: h.version,
                headers: h.fields.headers.clone(),
                join_duplicate_headers: false,
                headers_limit: None,
            };
            let a = IncomingMessage::from_raw_response(
                raw,
                h.status,
                h.reason.clone(),
                BodyState::Empty,
                SocketInfo::default(),
            );
            let b = IncomingMessage::new(owned, BodyState::Empty, SocketInfo::default());
            assert_eq!(a.status_code(), b.status_code());
            assert_eq!(a.status_message(), b.status_message());
            assert_eq!(a.version(), b.version());
            assert_eq!(a.http_version(), b.http_version());
            assert_eq!(a.method(), "");
            assert_eq!(a.url(), "");
            assert_eq!(a.raw_headers(), b.raw_headers());
            assert_eq!(a.headers(), b.headers());
            assert_eq!(a.header("x-a"), b.header("x-a"));
            compared += 1;
        }
        let latin = IncomingMessage::from_raw_response(
            RawHead {
                buf: Bytes::from_static(b"HTTP/1.0 404 Nicht gefunden \xfc\r\n\r\n"),
                method: "",
                url: 0..0,
                version: (1, 0),
                headers: Vec::new(),
                join_duplicate_headers: false,
                headers_limit: None,
            },
            404,
            13..29,
            BodyState::Empty,
            SocketInfo::default(),
        );
        assert_eq!(latin.status_message(), "Nicht gefunden \u{fc}");
        assert_eq!(latin.status_code(), 404);
        println!("{compared} response heads compared");
        assert_eq!(compared, 3);
    }

    #[tokio::test]
    async fn head_fields_and_an_empty_body() {
        let m = IncomingMessage::new(head(), BodyState::Empty, SocketInfo::default());
        assert_eq!(m.method(), "POST");
        assert_eq!(m.http_version(), "1.1");
        assert_eq!(m.header("x-a").as_deref(), Some("1, 2"));
        assert!(m.complete());
        assert!(m.inner.core.get().is_none(), "no stream built before use");
        let body = m.read_all().await.expect("body");
        assert!(body.is_empty());
    }

    #[tokio::test]
    async fn pushed_body_with_backpressure_and_trailers() {
        let m = IncomingMessage::new(head(), BodyState::Streaming, SocketInfo::default());
        let chunk = Buffer::from(vec![b'x'; 10 * 1024]);
        assert!(m.push(chunk.clone()), "under the mark");
        assert!(
            !m.push(chunk.clone()),
            "over the 16 KiB mark: stop reading the socket"
        );
        assert!(!m.wants_more());
        let demand = tokio::spawn({
            let m = m.clone();
            async move { m.demand().await }
        });
        let first = m.read().await.expect("a chunk").expect("no error");
        assert!(!first.is_empty());
        tokio::time::timeout(std::time::Duration::from_secs(5), demand)
            .await
            .expect("reading asked the connection for more")
            .expect("task");
        m.end_body(vec!["X-T".into(), "v".into()]);
        let rest = m.read_all().await.expect("rest");
        let total: usize = first.len() + rest.iter().map(|c| c.len()).sum::<usize>();
        assert_eq!(total, 20 * 1024);
        assert!(m.complete());
        assert_eq!(m.trailers().get("x-t").map(|v| v.joined()).as_deref(), Some("v"));
        assert_eq!(m.raw_trailers(), ["X-T", "v"]);
    }

    #[tokio::test]
    async fn abort_before_complete() {
        let m = IncomingMessage::new(head(), BodyState::Streaming, SocketInfo::default());
        let (tx, rx) = std::sync::mpsc::channel();
        rt_events::Emitter::on(&m, &ABORTED, move |_| {
            let _ = tx.send(());
        });
        m.abort();
        assert!(m.aborted());
        rx.try_recv().expect("'aborted' emitted");
        assert_eq!(
            m.errored().map(|e| e.code().to_string()).as_deref(),
            Some("ECONNRESET")
        );
    }
}
