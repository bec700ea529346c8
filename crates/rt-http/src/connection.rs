//! One task per connection: requests are parsed in place from the
//! transport's buffer, each request's body is fed to its `IncomingMessage`
//! (with backpressure), and each response's output is sent with one write,
//! strictly in request order (pipelined requests already read are
//! dispatched while the responses before them are open, the last one with
//! its body fed as it arrives, as Node's parser reads ahead). Node: `connectionListenerInternal`,
//! `parserOnIncoming`, `resOnFinish`, `socketOnError` of `_http_server.js`.

use std::future::{Future, pending};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use std::cell::RefCell;

use bytes::Buf;
use rt_net::SocketOptions;
use rt_net::transport::{Io, Transport};
use rt_stream::{Buffer, Error};

use crate::incoming::{BodyState, IncomingMessage, RawHead};
use crate::message_timeout::{Hear, Slot};
use crate::outgoing::{OutValue, has_token};
use crate::parser::{BodyKind, ChunkEvent, ChunkedDecoder, HpeCode, ParseError, Parsed, parse_request};
use crate::read_buffer::{BODY_READ_SIZE, BODY_READ_SIZE_FAST, HEAD_READ_SIZE, read_some, take_head};
use crate::response::ServerResponse;
use crate::response_core::{RequestFacts, ResponseCore};
use crate::server_connection::{CONNECTION, ServerConnection, TIMEOUT};
use crate::server_events::{
    CHECK_CONTINUE, CHECK_EXPECTATION, CLIENT_ERROR, CONNECT, ClientError, DROP_REQUEST, Exchange, REQUEST,
    UPGRADE, Upgrade,
};
use crate::server_inner::{
    BoxFuture, ConnShared, IDLE_KEEP_ALIVE, ORDER_CLOSE_IDLE, ORDER_CLOSE_NOW, ServerInner,
};

/// Node's `HTTP_SERVER_KEEP_ALIVE_TIMEOUT_BUFFER`: an idle keep-alive
/// socket closes this long after the advertised timeout.
const KEEP_ALIVE_BUFFER_MS: u64 = 1000;

const BAD_REQUEST: &[u8] = b"HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n";
const REQUEST_TIMEOUT: &[u8] = b"HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n";
const HEADERS_TOO_LARGE: &[u8] = b"HTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\n\r\n";
const EXTENSIONS_TOO_LARGE: &[u8] = b"HTTP/1.1 413 Payload Too Large\r\nConnection: close\r\n\r\n";

/// Why a connection ends with `socketOnError`.
enum Fault {
    Parse(ParseError),
    /// `parser.finish()` at end of file inside a message.
    EofState,
    /// headers_timeout / request_timeout.
    Timeout,
    /// A read failed (a reset: `ECONNRESET`): Node's `socketOnError` for
    /// the socket's own error.
    Read(std::io::Error),
}

enum Body {
    Done,
    /// The head's framing was refused after the head was complete.
    Failed(ParseError),
    Length(u64),
    Chunked(ChunkedDecoder),
}

struct Conn {
    server: Arc<ServerInner>,
    shared: Arc<ConnShared>,
    /// What `'connection'` and `'timeout'` listeners get.
    handle: ServerConnection,
    /// The server's number for this connection.
    id: u64,
    /// `TCP_NODELAY` (the server's `no_delay`) is still to be set: it is
    /// set before the first write that is not the connection's last one
    /// (and before the socket goes to a listener). Nagle's algorithm only
    /// holds back a small segment while earlier data waits for its ACK, so
    /// nothing written before the flag is set can be held; and a last
    /// write is followed by the FIN, which the kernel pushes with Nagle
    /// off. A connection that gets one response and closes (no
    /// keep-alive) so saves the `setsockopt`.
    no_delay_owed: AtomicBool,
    /// The socket went to `clientError` listeners open: it, not this
    /// connection, is counted in `getConnections` until it closes.
    handed_off: AtomicBool,
}

impl Drop for Conn {
    /// The connection ended (its loop returned, its transport let go):
    /// its handle says so and the server forgets it.
    fn drop(&mut self) {
        self.handle.close();
        if self.handed_off.load(Ordering::Relaxed) {
            self.server.forget(self.id);
        } else {
            self.server.unregister(self.id);
        }
    }
}

/// One connection's task: its setup, then its loop. A connection
/// `handed_in` from another process (a cluster worker's) is read and
/// written at once ([`Transport::assume_ready`]): its request is usually
/// in the socket already.
pub(crate) async fn serve(server: Arc<ServerInner>, io: Io, handed_in: bool) {
    open(server, io, handed_in).await
}

/// The connection's setup (Node's `connectionListenerInternal`), and its
/// loop to await. The loop's future is all the task holds across an await:
/// each connection's task is allocated and moved at that size.
fn open(server: Arc<ServerInner>, io: Io, handed_in: bool) -> impl Future<Output = ()> + Send {
    let no_delay_owed = AtomicBool::new(server.options.no_delay && io.is_tcp());
    let (id, shared) = server.register();
    let t = Transport::new(io);
    let t = if handed_in { t.assume_ready() } else { t };
    // The addresses are asked of the socket when someone wants them.
    let handle = ServerConnection::new(
        t.io_weak(),
        shared.clone(),
        t.timer().clone(),
        Arc::downgrade(&server),
    );
    // Node's connectionListenerInternal: `socket.setTimeout(server.timeout)`.
    let timeout = server.timeout();
    if !timeout.is_zero() {
        handle.set_timeout(timeout);
    }
    let em = server.emitter();
    if em.listener_count(&CONNECTION) > 0 {
        em.emit(&CONNECTION, handle.clone());
    }
    let conn = Conn {
        server,
        shared,
        handle,
        id,
        no_delay_owed,
        handed_off: AtomicBool::new(false),
    };
    conn.run(t)
}

async fn run_handler(fut: &mut Option<BoxFuture>) {
    match fut {
        Some(f) => f.await,
        None => pending().await,
    }
}

fn latin1(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        // ASCII (the usual case) is the same text in UTF-8 and Latin-1.
        Ok(s) if bytes.is_ascii() => s.to_owned(),
        _ => bytes.iter().map(|&b| b as char).collect(),
    }
}

/// `start + d` in the server's coarse milliseconds; `None` for no timeout.
fn after(start: u64, d: Duration) -> Option<u64> {
    (!d.is_zero()).then(|| start + d.as_millis() as u64)
}

fn min_deadline(a: Option<u64>, b: Option<u64>) -> Option<u64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, None) => a,
        (None, b) => b,
    }
}

impl Conn {
    fn order(&self) -> u8 {
        self.shared.order.load(Ordering::Acquire)
    }

    /// Sets `TCP_NODELAY` if it is still owed (see `no_delay_owed`).
    fn pay_no_delay(&self, t: &Transport) {
        if self.no_delay_owed.load(Ordering::Relaxed) {
            self.no_delay_owed.store(false, Ordering::Relaxed);
            let _ = t.io().sock().set_tcp_nodelay(true);
        }
    }

    async fn run(self, mut t: Transport) {
        let opts = &self.server.options;
        let kat_ms = opts.keep_alive_timeout.as_millis() as u64;
        let mut out: Vec<u8> = Vec::new();
        let mut parts: Vec<(usize, Buffer)> = Vec::new();
        let mut requests: u64 = 0;
        let mut first = true;
        // The request before was an upgrade nobody listened to: llhttp
        // stopped there, and a parse error in this message is swallowed.
        let mut after_upgrade = false;
        let mut line = Line::default();
        // Bytes asked of the kernel per read (see `read_some`).
        let mut read_want = HEAD_READ_SIZE;
        loop {
            let (req, res, mut fut, body_kind, body_error, keep_alive, msg_start, carried) =
                if let Some(q) = line.0.pop_front() {
                    // A pipelined request dispatched while the response before
                    // it was open: its turn to be written (its body, if any,
                    // read so far as it could be).
                    after_upgrade = false;
                    (
                        q.req,
                        q.res,
                        q.fut,
                        BodyKind::None,
                        None,
                        q.keep_alive,
                        self.server.now_ms(),
                        Some((q.body, q.owed)),
                    )
                } else {
                    // ---- the head ----
                    // Heads are small: a small read buffer while waiting for one (a
                    // 64 KiB buffer freed and taken again per request costs malloc
                    // a consolidation each time), the full size while a body flows.
                    read_want = HEAD_READ_SIZE;
                    let mut msg_start = if first { Some(self.server.now_ms()) } else { None };
                    let mut idle_since: Option<u64> = None;
                    // The keep-alive timeout passed and a 'timeout' listener heard
                    // it: the connection stays, with no deadline, until bytes come.
                    let mut keep_alive_heard = false;
                    let head = loop {
                        if !t.data().is_empty() {
                            if msg_start.is_none() {
                                msg_start = Some(self.server.now_ms());
                            }
                            match parse_request(t.data(), opts.max_header_size) {
                                Ok(Parsed::Complete(h)) => break h,
                                Ok(Parsed::Partial) => {}
                                Err(_) if after_upgrade => return self.ignore_until_end(t).await,
                                Err(e) => return self.client_error(t, Fault::Parse(e), false).await,
                            }
                        }
                        let idle = msg_start.is_none();
                        let idle_state = match (idle, first || kat_ms == 0) {
                            (false, _) => 0,
                            (true, true) => 1,
                            (true, false) => IDLE_KEEP_ALIVE,
                        };
                        self.shared.idle.store(idle_state, Ordering::Release);
                        let order = self.order();
                        if order == ORDER_CLOSE_NOW || (order == ORDER_CLOSE_IDLE && idle) {
                            return;
                        }
                        let deadline = match msg_start {
                            None if keep_alive_heard => None,
                            None => {
                                let since = *idle_since.get_or_insert_with(|| self.server.now_ms());
                                after(since, opts.keep_alive_timeout).map(|d| d + KEEP_ALIVE_BUFFER_MS)
                            }
                            Some(s) => {
                                min_deadline(after(s, opts.headers_timeout), after(s, opts.request_timeout))
                            }
                        };
                        self.shared.set_deadline(deadline);
                        tokio::select! {
                            // Bytes already there are read without registering a
                            // waiter for the server's kick (a pending kick is still
                            // seen: the loop comes back here until a head is whole).
                            biased;
                            r = read_some(&mut t, read_want) => match r {
                                // Node: the socket's read error (a reset, on a new,
                                // idle or half-sent connection) is a clientError.
                                Err(e) => return self.client_error(t, Fault::Read(e), false).await,
                                Ok(0) => {
                                    if t.data().iter().any(|&b| b != b'\r' && b != b'\n') {
                                        return self.client_error(t, Fault::EofState, false).await;
                                    }
                                    return;
                                }
                                Ok(_) => {}
                            },
                            _ = self.shared.kick.notified() => {
                                // A message's `set_timeout` kicks: its timer's driver starts.
                                self.handle.tracking();
                                if self.shared.take_expired() {
                                    if msg_start.is_none() {
                                        // Keep-alive timeout: Node's socketOnTimeout
                                        // (the server's 'timeout' if heard, which
                                        // keeps the connection; else destroyed).
                                        let em = self.server.emitter();
                                        if em.listener_count(&TIMEOUT) == 0 {
                                            return;
                                        }
                                        keep_alive_heard = true;
                                        em.emit(&TIMEOUT, self.handle.clone());
                                    } else {
                                        return self.client_error(t, Fault::Timeout, false).await;
                                    }
                                }
                            }
                        }
                    };
                    self.shared.idle.store(0, Ordering::Release);
                    self.shared.set_deadline(None);
                    self.shared.take_expired();
                    let msg_start = msg_start.unwrap_or_else(|| self.server.now_ms());
                    // Node's resetSocketTimeout: a request after a wait under the
                    // keep-alive timeout sets the socket's timeout back to
                    // `server.timeout`.
                    if !first && kat_ms > 0 {
                        let st = self.server.timeout();
                        if !st.is_zero() || self.handle.timer().is_armed() {
                            self.handle.set_timeout(st);
                        }
                    }

                    // ---- the request ----
                    // An invalid Transfer-Encoding is found after the head is
                    // complete (llhttp's after_headers_complete): the request is
                    // emitted first, then the parse error ends the connection.
                    let (body_kind, body_error) = match head.body() {
                        Ok(k) => (k, None),
                        Err(e) => (BodyKind::Chunked, Some(e)),
                    };
                    let version = head.version;
                    let method = head.method;
                    let keep_alive = head.should_keep_alive();
                    // The head stays as the bytes received; strings are built
                    // only if the handler asks.
                    let mh = RawHead {
                        buf: take_head(&mut t, head.len, body_kind),
                        method,
                        url: head.url,
                        version,
                        headers: head.fields.headers,
                        join_duplicate_headers: opts.join_duplicate_headers,
                        headers_limit: (opts.max_headers_count > 0).then_some(opts.max_headers_count),
                    };

                    if body_kind == BodyKind::Upgrade {
                        let connect = method == "CONNECT";
                        let ev = if connect { &CONNECT } else { &UPGRADE };
                        if self.server.emitter().listener_count(ev) > 0 {
                            let rest = Buffer::from(t.buffer().split());
                            // The socket goes to the listener: the request
                            // keeps the addresses (read now) for itself.
                            let info = self.handle.socket_info();
                            let req = IncomingMessage::from_raw(mh, BodyState::Empty, info, None);
                            self.pay_no_delay(&t);
                            let socket = rt_net::Socket::from_transport(t, SocketOptions::default());
                            keep_alive_until_closed(&socket, None, None);
                            self.server.emitter().emit(
                                ev,
                                Upgrade {
                                    req,
                                    socket,
                                    head: rest,
                                },
                            );
                            return;
                        }
                        if connect {
                            return; // no 'connect' listener: destroyed
                        }
                        // No 'upgrade' listener: a normal request (Node v20's
                        // parserOnIncoming), but the parser stopped at the upgrade:
                        // the rest of the read that completed the head is dropped
                        // (later reads are parsed as HTTP again).
                        t.buffer().clear();
                    }
                    after_upgrade = body_kind == BodyKind::Upgrade;

                    let (req, res, fut) = self.begin(mh, body_kind, keep_alive, &mut requests, &mut out);
                    (req, res, fut, body_kind, body_error, keep_alive, msg_start, None)
                };

            // ---- the body and the response ----
            let (mut body, carried_owed) = match carried {
                Some((b, owed)) => (b, owed),
                None => match body_error {
                    Some(e) => (Body::Failed(e), false),
                    None => (body_for(body_kind, opts.max_header_size), false),
                },
            };
            if !matches!(body, Body::Done) {
                read_want = BODY_READ_SIZE;
            }
            let req_deadline = after(msg_start, opts.request_timeout);
            let mut deadline_set = false;
            let mut wrote = false;
            let mut looked_ahead = false;
            let mut peer_gone = false;
            // The body's consumer asked for more (its `_read`) and nothing
            // was pushed since: push the next body bytes whatever its
            // buffer holds, as Node's IncomingMessage resumes its socket on
            // every `_read`. (A reader that asked and then `unshift`ed what
            // it read leaves the buffer at its mark and asks no more until
            // a push: a level check here would stall the body forever.)
            let mut owed = carried_owed;
            // This response and request are recorded for a timeout once
            // one is set on the connection (a message's `set_timeout` kicks
            // the connection round this loop).
            let mut recorded = false;
            let last = loop {
                if !recorded && self.handle.tracking() {
                    recorded = true;
                    // Node's `socket._httpMessage` and `parser.incoming`.
                    self.handle.record(Slot::Message, Some(Box::new(res.clone())));
                    if !matches!(body, Body::Done) {
                        self.handle.record(Slot::Incoming, Some(Box::new(req.clone())));
                    }
                }
                let (finished, last) = res.take_output(&mut out, &mut parts);
                if peer_gone && !finished && out.is_empty() && parts.is_empty() {
                    // The peer hung up while the response is open, whether
                    // or not the handler is still running: Node's
                    // socketOnEnd ends the socket at once; its close is the
                    // response's 'close' and a later write is refused
                    // (ERR_STREAM_DESTROYED), a later end ignored. The
                    // handler runs on by itself.
                    spawn_rest(fut);
                    req.abort();
                    res.detach();
                    res.done();
                    return;
                }
                if !out.is_empty() || !parts.is_empty() {
                    if !(finished && last) {
                        self.pay_no_delay(&t);
                    }
                    // Biased: a write the kernel takes at once never
                    // registers the close-order waiter.
                    let ok = tokio::select! {
                        biased;
                        r = write_out(&t, &out, &parts) => r.is_ok(),
                        _ = self.killed() => false,
                    };
                    out.clear();
                    parts.clear();
                    if !ok {
                        res.detach();
                        req.abort();
                        spawn_rest(fut);
                        return;
                    }
                    wrote = true;
                    res.flushed();
                }
                if !matches!(body, Body::Done) {
                    if finished && !req.consuming() {
                        req.dump();
                    }
                    if let Err(e) = feed(&mut body, &mut t, &req, &mut owed) {
                        res.detach();
                        req.abort();
                        spawn_rest(fut);
                        return self.client_error(t, Fault::Parse(e), wrote).await;
                    }
                }
                let body_done = matches!(body, Body::Done);
                while !finished && !looked_ahead && body_done {
                    // Node parses everything it read at once: the pipelined
                    // requests already read are dispatched now (their
                    // responses wait in line), and a later message's error
                    // ends the connection before this response is written.
                    looked_ahead = true;
                    if !line.body_open() {
                        let mut ka = line.0.back().map_or(keep_alive, |q| q.keep_alive);
                        if !after_upgrade {
                            ka = self.dispatch_ahead(&mut t, &mut line, ka, &mut requests, &mut read_want);
                        }
                        if !line.body_open() {
                            if let Some(e) = look_ahead(t.data(), ka, opts.max_header_size) {
                                res.detach();
                                spawn_rest(fut);
                                return self.client_error(t, Fault::Parse(e), wrote).await;
                            }
                        }
                    }
                    // The last request dispatched ahead has a body: it is
                    // fed as it arrives (Node's parser pushes it while the
                    // responses before are open); once it is whole, the
                    // requests after it are looked at.
                    if let Some(q) = line.0.back_mut().filter(|q| !matches!(q.body, Body::Done)) {
                        if let Err(e) = feed(&mut q.body, &mut t, &q.req, &mut q.owed) {
                            res.detach();
                            req.abort();
                            spawn_rest(fut);
                            return self.client_error(t, Fault::Parse(e), wrote).await;
                        }
                        if matches!(q.body, Body::Done) {
                            looked_ahead = false;
                        }
                    }
                }
                // The request dispatched ahead whose body is being read.
                let ahead = if body_done && !finished {
                    line.0
                        .back()
                        .filter(|q| !matches!(q.body, Body::Done))
                        .map(|q| (q.req.clone(), q.req.dumped() || q.owed || q.req.wants_more()))
                } else {
                    None
                };
                let ahead_reading = ahead.as_ref().is_some_and(|a| a.1);
                if finished {
                    if body_done {
                        break last;
                    }
                    if last {
                        // Node's resOnFinish: a response that closes the
                        // connection (`res._last`) ends the socket without
                        // reading the rest of the body (`socket.destroySoon()`),
                        // e.g. a 413 from a body reader past its limit.
                        req.abort();
                        spawn_rest(fut);
                        res.done();
                        let _ = t.shutdown_write();
                        return;
                    }
                    if !req.consuming() {
                        req.dump();
                    }
                }
                let reading = !body_done && (req.dumped() || owed || req.wants_more());
                // The request is whole but its response is not: the socket is
                // still watched (a read-ahead bounded at twice
                // max_header_size, enough for the look-ahead to see a head
                // past the limit) for the peer's EOF or reset, so that a
                // handler that never ends its response does not hold the
                // connection forever.
                let watching = body_done
                    && !finished
                    && !peer_gone
                    && ahead.is_none()
                    && t.data().len() < opts.max_header_size.saturating_mul(2);
                let want = if body_done { None } else { req_deadline };
                if want.is_some() != deadline_set {
                    self.shared.set_deadline(want);
                    deadline_set = want.is_some();
                }
                // Biased: the response's output goes out before the next
                // read, so the body chunk it holds (a slice of the read
                // buffer, e.g. `req.pipe(res)`) is let go of first and the
                // read reuses the buffer instead of allocating a new one;
                // the close order and timeouts before reads, so a peer that
                // keeps sending cannot starve them.
                tokio::select! {
                    biased;
                    _ = run_handler(&mut fut) => fut = None,
                    _ = line.run_handlers(), if line.running() => {}
                    _ = res.inner.wake.notified() => {}
                    _ = self.shared.kick.notified() => {
                        if self.shared.take_expired() && !body_done {
                            req.abort();
                            res.detach();
                            spawn_rest(fut);
                            return self.client_error(t, Fault::Timeout, wrote).await;
                        }
                        if self.order() == ORDER_CLOSE_NOW {
                            req.abort();
                            res.detach();
                            spawn_rest(fut);
                            return;
                        }
                    }
                    r = read_some(&mut t, read_want), if reading || watching || ahead_reading => {
                        if matches!(r, Ok(n) if n >= read_want && read_want >= BODY_READ_SIZE) {
                            read_want = BODY_READ_SIZE_FAST;
                        }
                        if let Err(e) = r {
                            // A reset inside a body or while a response is
                            // open. Node: socketOnError's clientError (the
                            // socket destroyed), then socketOnClose: the
                            // request's 'aborted' (if not complete), the
                            // response's 'close', the request's 'error'
                            // ECONNRESET "aborted" and 'close' on the next tick.
                            spawn_rest(fut);
                            self.client_error(t, Fault::Read(e), wrote).await;
                            res.detach();
                            res.done();
                            req.abort();
                            return;
                        }
                        if ahead_reading && matches!(r, Ok(0)) {
                            // The peer ended inside the body of a request
                            // dispatched ahead.
                            req.abort();
                            res.detach();
                            spawn_rest(fut);
                            return self.client_error(t, Fault::EofState, wrote).await;
                        }
                        if body_done {
                            peer_gone = matches!(r, Ok(0));
                            // Node parses each read as it arrives: what
                            // came is looked at again (a bad or over-size
                            // head behind this response ends the connection).
                            looked_ahead = false;
                        } else if matches!(r, Ok(0)) {
                            spawn_rest(fut);
                            if !finished && self.server.emitter().listener_count(&CLIENT_ERROR) > 0 {
                                // Node's socketOnEnd: clientError with the
                                // socket open and the request left as it is;
                                // only the socket's close (the listener's
                                // to decide) aborts it (socketOnClose).
                                let abort = Box::new(move || {
                                    res.detach();
                                    res.done();
                                    req.abort();
                                });
                                return self
                                    .client_error_then(t, Fault::EofState, wrote, Some(abort))
                                    .await;
                            }
                            req.abort();
                            res.detach();
                            if finished {
                                return;
                            }
                            return self.client_error(t, Fault::EofState, wrote).await;
                        }
                    }
                    _ = req.demand(), if !body_done && !reading => owed = true,
                    _ = ahead_demand(&ahead), if ahead.is_some() && !ahead_reading => {
                        if let Some(q) = line.0.back_mut() {
                            q.owed = true;
                        }
                        // Fed on the next pass (what is buffered first).
                        looked_ahead = false;
                    }
                }
            };
            spawn_rest(fut);
            res.done();
            if recorded {
                self.handle.record(Slot::Message, None);
            }
            if last {
                let _ = t.shutdown_write();
                return;
            }
            first = false;
            // Their allocations for the next request, if nobody holds them.
            give_spare(req, res);
        }
    }

    /// Dispatches the complete pipelined requests in the read buffer behind
    /// the open response, as Node's parser does, up to [`MAX_QUEUED`]
    /// waiting; stops at a request with a body or an upgrade (those wait
    /// until the responses before them are done), at a request that closes
    /// the connection, and at anything not a complete head. Returns whether
    /// the last request seen keeps the connection alive.
    fn dispatch_ahead(
        &self,
        t: &mut Transport,
        line: &mut Line,
        mut keep_alive: bool,
        requests: &mut u64,
        want: &mut usize,
    ) -> bool {
        let opts = &self.server.options;
        while keep_alive && line.0.len() < MAX_QUEUED {
            let Ok(Parsed::Complete(head)) = parse_request(t.data(), opts.max_header_size) else {
                break;
            };
            // A request with a body is dispatched too (the last one: its
            // body comes before any later head); an upgrade or a bad
            // Transfer-Encoding waits its turn.
            let kind = match head.body() {
                Ok(k @ (BodyKind::None | BodyKind::Length(_) | BodyKind::Chunked)) => k,
                _ => break,
            };
            keep_alive = head.should_keep_alive();
            let mh = RawHead {
                buf: take_head(t, head.len, kind),
                method: head.method,
                url: head.url,
                version: head.version,
                headers: head.fields.headers,
                join_duplicate_headers: opts.join_duplicate_headers,
                headers_limit: (opts.max_headers_count > 0).then_some(opts.max_headers_count),
            };
            let mut out = Vec::new();
            let (req, res, fut) = self.begin(mh, kind, keep_alive, requests, &mut out);
            let body = body_for(kind, opts.max_header_size);
            let open = !matches!(body, Body::Done);
            line.0.push_back(Queued {
                req,
                res,
                fut,
                keep_alive,
                body,
                owed: false,
            });
            if open {
                *want = BODY_READ_SIZE;
                break;
            }
        }
        keep_alive
    }

    /// Node's `parserOnIncoming` for one request head: counts it against
    /// max_requests_per_socket and answers what Node answers itself (a
    /// missing Host, a dropped request, an Expect), else dispatches it.
    fn begin(
        &self,
        mh: RawHead,
        body_kind: BodyKind,
        keep_alive: bool,
        requests: &mut u64,
        out: &mut Vec<u8>,
    ) -> (IncomingMessage, ServerResponse, Option<BoxFuture>) {
        let opts = &self.server.options;
        let kat_ms = opts.keep_alive_timeout.as_millis() as u64;
        let version = mh.version;
        let method = mh.method;

        let is_11 = version == (1, 1);
        let facts = mh.facts();
        let host_missing = is_11 && opts.require_host_header && !facts.host;
        let max_req = opts.max_requests_per_socket;
        let mut dropped = false;
        let mut reached = false;
        if is_11 && !host_missing && max_req > 0 {
            *requests += 1;
            reached = max_req <= *requests;
            dropped = max_req < *requests;
        }
        let expect = if is_11 { facts.expect } else { None };
        let expect_continue =
            !host_missing && !dropped && expect.as_deref().is_some_and(|e| has_token(e, "100-continue"));
        let te = facts.te;
        let core = ResponseCore::new(
            RequestFacts {
                method,
                version,
                te: te.as_deref(),
                keep_alive,
                expect_continue,
            },
            kat_ms,
            max_req,
        );
        let body_state = match body_kind {
            BodyKind::Length(_) | BodyKind::Chunked => BodyState::Streaming,
            BodyKind::None | BodyKind::Upgrade => BodyState::Empty,
        };
        let (spare_req, spare_res) = take_spare();
        let req = IncomingMessage::renew_raw(spare_req, mh, body_state, self.handle.link());
        if self.handle.tracking() {
            // Node's `parser.incoming`, for a timeout while it is received.
            let receiving = body_state == BodyState::Streaming;
            self.handle.record(
                Slot::Incoming,
                receiving.then(|| Box::new(req.clone()) as Box<dyn Hear>),
            );
        }
        let mut core = core;
        // The connection's output buffer (with its capacity) goes to the
        // response and comes back with the bytes: no allocation per response.
        core.out.swap_output(out);
        let res = ServerResponse::renew(spare_res, core, Some(self.handle.link()));
        if reached {
            res.set_max_requests_reached();
        }
        let mut fut = None;
        if host_missing {
            let _ = res.write_head_with(
                400,
                None,
                Some(vec![("Connection".to_string(), OutValue::from("close"))]),
            );
            let _ = res.end();
        } else if dropped {
            self.server.emitter().emit(&DROP_REQUEST, req.clone());
            let _ = res.write_head(503);
            let _ = res.end();
        } else if let Some(expect) = expect {
            if expect_continue {
                if self.server.emitter().listener_count(&CHECK_CONTINUE) > 0 {
                    self.server.emitter().emit(
                        &CHECK_CONTINUE,
                        Exchange {
                            req: req.clone(),
                            res: res.clone(),
                        },
                    );
                } else {
                    res.write_continue();
                    fut = self.dispatch(&req, &res);
                }
            } else if self.server.emitter().listener_count(&CHECK_EXPECTATION) > 0 {
                let _ = expect;
                self.server.emitter().emit(
                    &CHECK_EXPECTATION,
                    Exchange {
                        req: req.clone(),
                        res: res.clone(),
                    },
                );
            } else {
                let _ = res.write_head(417);
                let _ = res.end();
            }
        } else {
            fut = self.dispatch(&req, &res);
        }
        (req, res, fut)
    }

    fn dispatch(&self, req: &IncomingMessage, res: &ServerResponse) -> Option<BoxFuture> {
        let fut = match &self.server.handler {
            Some(h) => h(req.clone(), res.clone()),
            None => None,
        };
        let em = self.server.emitter();
        if em.listener_count(&REQUEST) > 0 {
            em.emit(
                &REQUEST,
                Exchange {
                    req: req.clone(),
                    res: res.clone(),
                },
            );
        }
        fut
    }

    /// After a swallowed parse error (see `after_upgrade`): what arrives is
    /// read and dropped, unanswered, until the peer ends the connection
    /// (or the server destroys it), as Node's parser left in error does.
    ///
    /// Boxed: the rare ends of a connection are not part of every
    /// connection's future, whose size every connection pays in its task's
    /// allocation and in each move of the future.
    fn ignore_until_end(&self, t: Transport) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        Box::pin(self.ignore_until_end_inline(t))
    }

    async fn ignore_until_end_inline(&self, mut t: Transport) {
        loop {
            t.buffer().clear();
            tokio::select! {
                biased;
                r = read_some(&mut t, HEAD_READ_SIZE) => {
                    if matches!(r, Ok(0) | Err(_)) {
                        return;
                    }
                }
                _ = self.killed() => return,
            }
        }
    }

    async fn killed(&self) {
        loop {
            if self.order() == ORDER_CLOSE_NOW {
                return;
            }
            self.shared.kick.notified().await;
            // A message's `set_timeout` kicks: its timer's driver starts.
            self.handle.tracking();
        }
    }

    /// Node's `socketOnError`: a `'clientError'` listener gets the socket;
    /// without one, the canned answer (unless part of a response was
    /// already sent), then the connection is destroyed. Boxed (see
    /// [`ignore_until_end`](Conn::ignore_until_end)).
    fn client_error(
        &self,
        t: Transport,
        fault: Fault,
        header_sent: bool,
    ) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        Box::pin(self.client_error_inline(t, fault, header_sent, None))
    }

    /// [`Self::client_error`], then `on_close` once the socket handed to
    /// the `clientError` listeners closes.
    fn client_error_then(
        &self,
        t: Transport,
        fault: Fault,
        header_sent: bool,
        on_close: Option<OnClose>,
    ) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        Box::pin(self.client_error_inline(t, fault, header_sent, on_close))
    }

    async fn client_error_inline(
        &self,
        mut t: Transport,
        fault: Fault,
        header_sent: bool,
        on_close: Option<OnClose>,
    ) {
        let (error, bytes_parsed, canned) = match &fault {
            Fault::Parse(e) => {
                let canned = match e.code {
                    HpeCode::HeaderOverflow => HEADERS_TOO_LARGE,
                    HpeCode::ChunkExtensionsOverflow => EXTENSIONS_TOO_LARGE,
                    _ => BAD_REQUEST,
                };
                (Error::new(e.code.as_str(), e.to_string()), e.at, canned)
            }
            Fault::EofState => (Error::new("HPE_INVALID_EOF_STATE", "Parse Error"), 0, BAD_REQUEST),
            Fault::Timeout => (
                Error::new("ERR_HTTP_REQUEST_TIMEOUT", "Request timeout"),
                0,
                REQUEST_TIMEOUT,
            ),
            // `read ECONNRESET`; the socket is destroyed already (Node
            // destroys it with the error first), so nothing is written.
            Fault::Read(e) => (Error::syscall_failed(e, "read"), 0, &[][..]),
        };
        let dead = matches!(fault, Fault::Read(_));
        let em = self.server.emitter();
        if em.listener_count(&CLIENT_ERROR) > 0 {
            let raw_packet = Buffer::from(t.buffer().split());
            self.pay_no_delay(&t);
            let socket = rt_net::Socket::from_transport(t, SocketOptions::default());
            if dead {
                socket.destroy(None);
            }
            // Node counts the socket in `getConnections` until it closes.
            let held = (!dead).then(|| {
                self.handed_off.store(true, Ordering::Relaxed);
                self.server.clone()
            });
            keep_alive_until_closed(&socket, on_close, held);
            em.emit(
                &CLIENT_ERROR,
                ClientError {
                    error,
                    bytes_parsed,
                    raw_packet,
                    socket,
                },
            );
            return;
        }
        if !header_sent && !dead {
            let _ = tokio::time::timeout(Duration::from_secs(5), t.write_all(canned)).await;
        }
    }
}

/// The first error among the messages already read after the current one
/// (as llhttp, parsing the whole read, would find it): data after a
/// message that closes the connection, or a bad head. Stops at a message
/// with a body.
fn look_ahead(mut buf: &[u8], mut keep_alive: bool, max_header_size: usize) -> Option<ParseError> {
    loop {
        if !keep_alive {
            return buf
                .iter()
                .any(|&b| b != b'\r' && b != b'\n')
                .then(|| ParseError::new(HpeCode::ClosedConnection, "Data after `Connection: close`", 0));
        }
        match parse_request(buf, max_header_size) {
            Err(e) => return Some(e),
            Ok(Parsed::Partial) => return None,
            Ok(Parsed::Complete(h)) => {
                if !matches!(h.body(), Ok(BodyKind::None)) {
                    return h.body().err();
                }
                keep_alive = h.should_keep_alive();
                buf = &buf[h.len..];
            }
        }
    }
}

thread_local! {
    /// Finished requests and responses nothing holds any more, for the
    /// next requests on this thread to reuse their allocations (see
    /// `IncomingMessage::renew_raw`, `ServerResponse::renew`); bounded,
    /// and kept per thread, not per connection, so an idle connection
    /// holds none.
    static SPARES: RefCell<Vec<(IncomingMessage, ServerResponse)>> = const { RefCell::new(Vec::new()) };
}

const SPARES_MAX: usize = 64;

/// A finished request and its response, kept for reuse when nothing else
/// holds either (the request lets go of its head's bytes first: they share
/// the connection's read buffer).
fn give_spare(req: IncomingMessage, res: ServerResponse) {
    let Some(req) = req.into_spare() else { return };
    if !res.is_unique() {
        return;
    }
    let _ = SPARES.try_with(|s| {
        if let Ok(mut s) = s.try_borrow_mut() {
            if s.len() < SPARES_MAX {
                s.push((req, res));
            }
        }
    });
}

fn take_spare() -> (Option<IncomingMessage>, Option<ServerResponse>) {
    SPARES
        .try_with(|s| s.try_borrow_mut().ok().and_then(|mut s| s.pop()))
        .ok()
        .flatten()
        .map_or((None, None), |(q, r)| (Some(q), Some(r)))
}

/// How a request's body is read, from its head's framing.
fn body_for(kind: BodyKind, max_header_size: usize) -> Body {
    match kind {
        BodyKind::Length(n) => Body::Length(n),
        BodyKind::Chunked => Body::Chunked(ChunkedDecoder::new(max_header_size)),
        BodyKind::None | BodyKind::Upgrade => Body::Done,
    }
}

/// The body consumer's next `_read` of the request dispatched ahead.
async fn ahead_demand(ahead: &Option<(IncomingMessage, bool)>) {
    match ahead {
        Some((req, _)) => req.demand().await,
        None => pending().await,
    }
}

/// At most this many pipelined requests are dispatched ahead of their turn
/// (Node has no count limit: it stops reading when the waiting responses
/// hold a socket's high-water mark of output).
const MAX_QUEUED: usize = 128;

/// A pipelined request dispatched while a response before it is open (Node
/// emits `'request'` for each request as its parser reads it); its response
/// waits in line (Node's `state.outgoing`), its output kept in the response
/// until its turn.
struct Queued {
    req: IncomingMessage,
    res: ServerResponse,
    fut: Option<BoxFuture>,
    keep_alive: bool,
    /// Its body still to read (only the last in line can have one).
    body: Body,
    /// Its body's consumer asked for more (see `owed` in `Conn::run`).
    owed: bool,
}

/// The requests waiting for their turn, in request order. Those still in
/// line when the connection ends are aborted (Node's `abortIncoming`),
/// their handlers left to finish on their own.
#[derive(Default)]
struct Line(std::collections::VecDeque<Queued>);

impl Line {
    /// Whether the last request in line has a body not yet read whole.
    fn body_open(&self) -> bool {
        self.0.back().is_some_and(|q| !matches!(q.body, Body::Done))
    }

    /// Whether a waiting request's handler is still running.
    fn running(&self) -> bool {
        self.0.iter().any(|q| q.fut.is_some())
    }

    /// Runs the waiting requests' handlers (never resolves; a handler that
    /// finishes is dropped).
    async fn run_handlers(&mut self) {
        std::future::poll_fn(|cx| {
            for q in &mut self.0 {
                if let Some(f) = q.fut.as_mut() {
                    if f.as_mut().poll(cx).is_ready() {
                        q.fut = None;
                    }
                }
            }
            std::task::Poll::<()>::Pending
        })
        .await
    }
}

impl Drop for Line {
    fn drop(&mut self) {
        for q in self.0.drain(..) {
            q.req.abort();
            q.res.detach();
            spawn_rest(q.fut);
        }
    }
}

/// Sends the response's bytes with its large body chunks between them, in
/// one vectored write when the kernel takes it all.
async fn write_out(t: &Transport, out: &[u8], parts: &[(usize, Buffer)]) -> std::io::Result<()> {
    if parts.is_empty() {
        return t.write_all(out).await;
    }
    let mut slices: Vec<std::io::IoSlice<'_>> = Vec::with_capacity(parts.len() * 2 + 1);
    let mut at = 0;
    for (offset, chunk) in parts {
        if *offset > at {
            slices.push(std::io::IoSlice::new(&out[at..*offset]));
        }
        slices.push(std::io::IoSlice::new(chunk));
        at = *offset;
    }
    if at < out.len() {
        slices.push(std::io::IoSlice::new(&out[at..]));
    }
    t.write_all_vectored(&mut slices).await
}

/// A socket handed to a listener lives until it closes, as a Node socket
/// does, whether or not the listener kept a handle; `held`, the server
/// counting it, is told when it closes.
fn keep_alive_until_closed(
    socket: &rt_net::Socket,
    on_close: Option<OnClose>,
    held: Option<Arc<ServerInner>>,
) {
    let keep = socket.clone();
    tokio::spawn(async move {
        rt_stream::closed(&keep).await;
        if let Some(f) = on_close {
            f();
        }
        if let Some(server) = held {
            server.release();
        }
    });
}

/// What a connection handed to `clientError` listeners does once closed.
type OnClose = Box<dyn FnOnce() + Send>;

/// A handler still running after its response ended goes on in its own task.
fn spawn_rest(fut: Option<BoxFuture>) {
    if let Some(f) = fut {
        tokio::spawn(f);
    }
}

/// Feeds the body bytes in the buffer to the request (or drops them when it
/// is being dumped), up to its high-water mark, or one push past it when
/// the consumer's `_read` is `owed` a push (cleared by the push).
fn feed(
    body: &mut Body,
    t: &mut Transport,
    req: &IncomingMessage,
    owed: &mut bool,
) -> Result<(), ParseError> {
    if let Body::Failed(e) = body {
        return Err(e.clone());
    }
    loop {
        let dumping = req.dumped();
        if !dumping && !*owed && !req.wants_more() {
            return Ok(());
        }
        let buf = t.buffer();
        match body {
            Body::Done | Body::Failed(_) => return Ok(()),
            Body::Length(left) => {
                if buf.is_empty() {
                    return Ok(());
                }
                let n = (*left).min(buf.len() as u64) as usize;
                if dumping {
                    buf.advance(n);
                } else {
                    req.push(Buffer::from(buf.split_to(n)));
                    *owed = false;
                }
                *left -= n as u64;
                if *left == 0 {
                    *body = Body::Done;
                    req.end_body(Vec::new());
                    return Ok(());
                }
            }
            Body::Chunked(dec) => {
                let (consumed, ev) = dec.decode(buf)?;
                match ev {
                    Some(ChunkEvent::Data(r)) => {
                        if dumping {
                            buf.advance(consumed);
                        } else {
                            let taken = buf.split_to(consumed).freeze();
                            req.push(Buffer::from(taken.slice(r)));
                            *owed = false;
                        }
                    }
                    Some(ChunkEvent::End(trailers)) => {
                        let mut raw = Vec::with_capacity(trailers.len() * 2);
                        for h in &trailers {
                            raw.push(latin1(&buf[h.name.clone()]));
                            raw.push(latin1(&buf[h.value.clone()]));
                        }
                        buf.advance(consumed);
                        *body = Body::Done;
                        req.end_body(raw);
                        return Ok(());
                    }
                    None => {
                        buf.advance(consumed);
                        if dec.is_done() {
                            *body = Body::Done;
                            req.end_body(Vec::new());
                            return Ok(());
                        }
                        if consumed == 0 || buf.is_empty() {
                            return Ok(());
                        }
                    }
                }
            }
        }
    }
}
