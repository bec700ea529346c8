//! One client connection: one task that owns the transport, writes the
//! requests given to it (their heads and bodies as the `ClientRequest`
//! stream hands them over) and parses each response in place from the
//! transport's buffer into an `IncomingMessage`, with the body's
//! backpressure; between requests it waits in its agent's pool, watching its
//! socket so that a connection the server closed is never reused.

use std::io::{self, ErrorKind};
use std::time::Duration;

use bytes::Bytes;
use rt_buffer::Buffer;
use rt_events::Emitter;
use rt_net::transport::{Io, Transport};
use rt_net::{Family, NetErrorExt, Socket, SocketOptions};
use rt_stream::{Code, Error};
use tokio::sync::mpsc::{self, UnboundedReceiver};
use tokio::time::Instant;

use super::events::{CONNECT, ClientSocket, INFORMATION, Information, UPGRADE, Upgrade};
use super::job::{FreeTx, Given, Job, PoolLink, Pooled, Release, Target};
use super::request::{ClientRequest, Out};
use crate::conn_addrs::SocketInfo;
use crate::headers::Headers;
use crate::incoming::{BodyState, IncomingMessage, RawHead};
use crate::parser::{ChunkEvent, ChunkedDecoder, Parsed, ResponseBody, parse_response};

/// Offers a new connection's socket to its first request, once: when its
/// TCP connect has been issued (with the local address, as Node's
/// `localPort` is known at `'socket'` for an IP address), else before the
/// name lookup or the connect of a Unix socket or a made connection, as
/// Node's `'socket'` comes before those end.
struct Offer<'a> {
    req: &'a ClientRequest,
    id: u64,
    passed: Option<bool>,
}

impl Offer<'_> {
    fn now(&mut self, local: Option<std::net::SocketAddr>) {
        if self.passed.is_none() {
            self.passed = Some(self.req.offer_socket(ClientSocket {
                local,
                remote: None,
                id: self.id,
                reused: false,
            }));
        }
    }

    /// Whether the gate had passed when the socket was offered (offered
    /// now, without an address, if it was not yet).
    fn passed(&mut self) -> bool {
        self.now(None);
        self.passed.unwrap_or(true)
    }
}

async fn connect(target: &Target, offer: &mut Offer<'_>) -> Result<Transport, Error> {
    let literal = target.host.parse::<std::net::IpAddr>().ok();
    if literal.is_none() || target.create_connection.is_some() || target.socket_path.is_some() {
        offer.now(None);
    }
    if let Some(create) = &target.create_connection {
        return Ok(Transport::new(create.connect(&target.host, target.port).await?));
    }
    if let Some(path) = &target.socket_path {
        let shown = path.to_string_lossy().to_string();
        let s = tokio::net::UnixStream::connect(path)
            .await
            .map_err(|e| Error::connect(&e, &shown, None))?;
        return Ok(Transport::new(Io::from(s)));
    }
    // Node's net.connect looks up names only: an IP address is used as it
    // is, never given to `options.lookup`.
    let literal = literal.map(|ip| {
        let family = if ip.is_ipv4() { Family::IPv4 } else { Family::IPv6 };
        (ip, family)
    });
    let (ip, family) = match (literal, &target.lookup) {
        (Some(found), _) => found,
        (None, Some(lookup)) => lookup.resolve(&target.host, target.family).await?,
        (None, None) => rt_net::lookup(&target.host, target.family).await?,
    };
    let addr = std::net::SocketAddr::new(ip, target.port);
    let shown = ip.to_string();
    let sock = match family {
        Family::IPv4 => tokio::net::TcpSocket::new_v4(),
        Family::IPv6 => tokio::net::TcpSocket::new_v6(),
    }
    .map_err(|e| Error::connect(&e, &shown, Some(target.port)))?;
    if let Some(local) = &target.local_address {
        let ip: std::net::IpAddr = local.parse().map_err(|_| {
            Error::invalid_arg("options.localAddress", &format!("is invalid. Received '{local}'"))
        })?;
        sock.bind(std::net::SocketAddr::new(ip, 0))
            .map_err(|e| Error::connect(&e, local, Some(0)))?;
    }
    // A second descriptor of the socket, to read its local address once
    // the connect is issued (the connect future owns the socket).
    let probe = std::os::fd::AsFd::as_fd(&sock).try_clone_to_owned().ok();
    let connecting = sock.connect(addr);
    tokio::pin!(connecting);
    // One poll issues the connect; then 'socket' may be told.
    let done = tokio::select! {
        biased;
        r = &mut connecting => Some(r),
        () = std::future::ready(()) => None,
    };
    let local = probe.and_then(|fd| socket2::SockRef::from(&fd).local_addr().ok()?.as_socket());
    offer.now(local);
    let connected = match done {
        Some(r) => r,
        None => connecting.await,
    };
    let stream = connected.map_err(|e| Error::connect(&e, &shown, Some(target.port)))?;
    // Node's agent connects with `noDelay: true`.
    let _ = stream.set_nodelay(true);
    Ok(Transport::new(Io::from(stream)))
}

/// Starts a connection task for `job` (in `link`'s pool, or on its own).
/// `keep_alive_ms`: TCP keep-alive for a keep-alive agent's sockets.
pub(crate) fn spawn(job: Job, link: Option<PoolLink>, keep_alive_ms: Option<u64>) {
    let mut guard = Guard {
        link,
        req: Some(job.req.handle()),
    };
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        // No runtime to run the connection on: the request fails (Node has
        // no such case; the code is rt's own) and the guard gives the pool
        // its place back.
        if let Some(req) = guard.req.take() {
            req.fail(Error::new(
                Code::custom("ERR_RT_NO_RUNTIME"),
                "http.request() needs a tokio runtime to run its connection",
            ));
        }
        return;
    };
    runtime.spawn(async move {
        let id = NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        // Node hands the request its socket while the socket connects
        // (`'socket'` on the tick after the request, before the lookup and
        // the connect are done): offered during `connect`, without a
        // remote address.
        let mut offer = Offer {
            req: &job.req,
            id,
            passed: None,
        };
        let connected = connect(&job.target, &mut offer).await;
        let passed = offer.passed();
        match connected {
            Ok(t) => {
                if let Some(ms) = keep_alive_ms {
                    if t.io().is_tcp() {
                        let ka = socket2::TcpKeepalive::new().with_time(Duration::from_millis(ms.max(1000)));
                        let _ = t.io().sock().set_tcp_keepalive(&ka);
                    }
                }
                run(t, &mut guard, job, id, passed).await;
            }
            Err(e) => {
                // Node: 'socket', then the connect's (or lookup's) 'error',
                // then 'close'.
                if !passed {
                    job.req.socket_told().await;
                }
                if let Some(req) = guard.req.take() {
                    req.fail(e);
                }
            }
        }
    });
}

/// What a connection task owes when it ends, however it ends: its place in
/// the pool, and the request it was serving. A task dropped mid-request (its
/// runtime shut down) fails that request with "socket hang up" instead of
/// leaving it waiting forever.
struct Guard {
    link: Option<PoolLink>,
    req: Option<ClientRequest>,
}

impl Drop for Guard {
    fn drop(&mut self) {
        if let Some(req) = self.req.take() {
            req.fail(socket_hang_up());
        }
        if let Some(l) = self.link.take() {
            l.agent.closed(&l.name, l.id);
        }
    }
}

static NEXT_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

/// How one request/response exchange ended.
enum Served {
    /// The connection may serve another request (`keep`), with the server's
    /// keep-alive hint (seconds).
    Done { keep: bool, hint: Option<u64> },
    /// The connection is unusable.
    Close,
    /// `101` / CONNECT: the connection goes to the caller.
    Upgrade { res: IncomingMessage, connect: bool },
}

/// Serves `job` and the requests after it on the connection `id` (`passed`:
/// what offering the unconnected socket to `job` returned).
async fn run(mut t: Transport, guard: &mut Guard, mut job: Job, id: u64, passed: bool) {
    let info = SocketInfo {
        local: t.io().local_addr(),
        remote: t.io().peer_addr(),
    };
    // The channel a free connection waits on, made the first time it is
    // free and kept: while free, its only sender is in the pool's free
    // list; a request handed over comes with a clone, given back to the
    // pool the next time (see `job::FreeTx`).
    let mut rx: Option<UnboundedReceiver<Given>> = None;
    let mut tx: Option<FreeTx> = None;
    let mut reused = false;
    let mut requeue = None;
    // The first request was offered the socket before it connected.
    let mut offered = Some(passed);
    // How the pool gives a request this connection while it is free.
    let pooled = Pooled {
        io: t.io_weak(),
        socket: ClientSocket {
            local: info.local,
            remote: info.remote,
            id,
            reused: true,
        },
    };
    loop {
        guard.req = Some(job.req.handle());
        let served = serve(&mut t, info, &job.req, id, reused, offered.take()).await;
        guard.req = None;
        match served {
            Served::Done { keep, hint } => {
                let Some(l) = &guard.link else { break };
                if rx.is_none() {
                    let (new_tx, new_rx) = mpsc::unbounded_channel::<Given>();
                    (tx, rx) = (Some(new_tx), Some(new_rx));
                }
                // Node's `req.reusedSocket` is set only when a request finds
                // the socket free in the pool (`agent.reuseSocket`); a queued
                // request handed the socket as it is freed gets `false`.
                let (next, from_pool) = match l.agent.release(&l.name, l.id, &mut tx, &pooled, keep, hint) {
                    Release::Next(j) => (Some(j), false),
                    Release::Close => (None, false),
                    Release::Idle(timeout) => match rx.as_mut() {
                        Some(rx) => match idle(&mut t, rx, timeout).await {
                            Some(given) => {
                                tx = Some(given.tx);
                                offered = given.offered;
                                (Some(given.job), true)
                            }
                            None => (None, true),
                        },
                        None => (None, true),
                    },
                };
                let Some(next) = next else { break };
                job = next;
                reused = from_pool;
                // A socket found closed goes no further (unless the request's
                // 'socket' tick wrote on it already: it fails there, as
                // Node's request on a socket closed under it).
                if stale(&mut t) && job.req.withdraw_pooled() {
                    requeue = Some(job);
                    break;
                }
            }
            Served::Close => break,
            Served::Upgrade { res, connect } => {
                if let Some(l) = guard.link.take() {
                    l.agent.closed(&l.name, l.id);
                }
                hand_over(t, &job.req, res, connect);
                return;
            }
        }
    }
    drop(t);
    if let Some(l) = guard.link.take() {
        l.agent.closed(&l.name, l.id);
        // Requests given to this connection as it was closing go elsewhere.
        if let Some(j) = requeue {
            l.agent.add_request(j);
        }
        if let Some(mut rx) = rx {
            rx.close();
            while let Ok(given) = rx.try_recv() {
                // One whose 'socket' tick wrote on this socket already
                // cannot go elsewhere: it fails as Node's request on a
                // socket destroyed under it.
                if given.job.req.withdraw_pooled() {
                    l.agent.add_request(given.job);
                } else {
                    given.job.req.fail(socket_hang_up());
                }
            }
        }
    }
}

/// Whether an idle connection can no longer be used: the server closed it,
/// reset it, or sent something unasked.
fn stale(t: &mut Transport) -> bool {
    !t.data().is_empty() || !matches!(t.try_read(), Err(e) if e.kind() == ErrorKind::WouldBlock)
}

/// A free connection waits for its next request, its socket's end, or its
/// idle timeout.
async fn idle(
    t: &mut Transport,
    rx: &mut UnboundedReceiver<Given>,
    timeout: Option<Duration>,
) -> Option<Given> {
    // No timer at all without a timeout (a `Sleep` registers with the
    // runtime's timer when made).
    let sleep = async {
        match timeout {
            Some(d) => tokio::time::sleep(d).await,
            None => std::future::pending().await,
        }
    };
    tokio::pin!(sleep);
    loop {
        tokio::select! {
            biased;
            // `None`: the agent dropped this socket (`agent.destroy()`).
            job = rx.recv() => return job,
            r = t.readable() => {
                if r.is_err() || stale(t) {
                    return None;
                }
            }
            () = &mut sleep => return None,
        }
    }
}

fn hand_over(mut t: Transport, req: &ClientRequest, res: IncomingMessage, connect: bool) {
    let head = t.buffer().split().to_vec();
    let event = if connect { &CONNECT } else { &UPGRADE };
    if req.listener_count(event) == 0 {
        // Node destroys the socket when nobody takes it.
        drop(t);
        req.finish_exchange();
        return;
    }
    let socket = Socket::from_transport(t, SocketOptions::default());
    Emitter::emit(
        req,
        event,
        Upgrade {
            response: res,
            socket,
            head,
        },
    );
    req.finish_exchange();
}

fn latin1(b: &[u8]) -> String {
    if b.is_ascii() {
        String::from_utf8_lossy(b).into_owned()
    } else {
        b.iter().map(|&c| c as char).collect()
    }
}

/// Where the response stands.
enum Phase {
    Head,
    Length(u64),
    Chunked(ChunkedDecoder),
    UntilClose,
    Done,
}

/// What parsing the buffered bytes led to.
enum Step {
    /// Need more bytes (or the body is paused).
    More,
    /// `101` or a CONNECT's 2xx.
    Upgrade(IncomingMessage, bool),
}

struct Exchange<'a> {
    req: &'a ClientRequest,
    info: SocketInfo,
    is_head: bool,
    is_connect: bool,
    max_header_size: usize,
    phase: Phase,
    res: Option<IncomingMessage>,
    res_keep_alive: bool,
    hint: Option<u64>,
    paused: bool,
}

impl Exchange<'_> {
    fn parse_error(e: crate::parser::ParseError, data: &[u8]) -> Error {
        Error::http_parse(
            Code::from(e.code.as_str()),
            e.reason,
            e.at,
            Some(Buffer::from(data)),
        )
    }

    /// Pushes a body chunk (dropped when the response is being dumped).
    fn push(&mut self, chunk: Buffer) {
        if let Some(res) = &self.res {
            if !res.dumped() && !res.destroyed() && !res.push(chunk) {
                self.paused = true;
            }
        }
    }

    fn end_body(&mut self, trailers: Vec<String>) {
        if let Some(res) = &self.res {
            res.end_body(trailers);
        }
        self.phase = Phase::Done;
    }

    /// Parses what the buffer holds, as far as it goes.
    fn process(&mut self, t: &mut Transport) -> Result<Step, Error> {
        loop {
            if self.paused {
                return Ok(Step::More);
            }
            match &mut self.phase {
                Phase::Head => {
                    if t.data().is_empty() {
                        return Ok(Step::More);
                    }
                    let head = match parse_response(t.data(), self.max_header_size) {
                        Ok(Parsed::Partial) => {
                            // The parser counts only names and values; blank
                            // space is capped here.
                            if t.data().len() > self.max_header_size.saturating_mul(4).max(64 * 1024) {
                                return Err(Error::http_parse(
                                    Code::HPE_HEADER_OVERFLOW,
                                    "Header overflow",
                                    t.data().len(),
                                    None,
                                ));
                            }
                            return Ok(Step::More);
                        }
                        Ok(Parsed::Complete(h)) => h,
                        Err(e) => return Err(Self::parse_error(e, t.data())),
                    };
                    let data = t.data();
                    let body = head.body(self.is_head);
                    let keep = head.should_keep_alive(self.is_head);
                    let pairs = || {
                        head.fields
                            .headers
                            .iter()
                            .map(|h| (&data[h.name.clone()], &data[h.value.clone()]))
                    };
                    if head.status / 100 == 1 && head.status != 101 {
                        let raw_headers = IncomingMessage::raw_strings(pairs());
                        let headers = Headers::from_raw(
                            raw_headers
                                .chunks_exact(2)
                                .map(|p| (p[0].as_str(), p[1].as_str())),
                            false,
                        );
                        let info = Information {
                            status_code: head.status,
                            status_message: latin1(&data[head.reason.clone()]),
                            http_version: format!("{}.{}", head.version.0, head.version.1),
                            headers,
                            raw_headers,
                        };
                        let _ = t.buffer().split_to(head.len);
                        Emitter::emit(self.req, &INFORMATION, info);
                        continue;
                    }
                    // The head is kept as received (one copy of its bytes):
                    // `rawHeaders` and `statusMessage` become strings only
                    // when asked for, as the server keeps a request's head.
                    let hint = keep_alive_hint(pairs());
                    let raw = RawHead {
                        buf: Bytes::copy_from_slice(&data[..head.len]),
                        method: "",
                        url: 0..0,
                        version: head.version,
                        headers: head.fields.headers,
                        join_duplicate_headers: false,
                        headers_limit: None,
                    };
                    let _ = t.buffer().split_to(head.len);
                    let (status, reason) = (head.status, head.reason);
                    let connect_ok = self.is_connect && status / 100 == 2;
                    if body == ResponseBody::Upgrade || connect_ok {
                        let res = IncomingMessage::from_raw_response(
                            raw,
                            status,
                            reason,
                            BodyState::Empty,
                            self.info,
                        );
                        return Ok(Step::Upgrade(res, connect_ok));
                    }
                    let state = if body == ResponseBody::None {
                        BodyState::Empty
                    } else {
                        BodyState::Streaming
                    };
                    let res = IncomingMessage::from_raw_response(raw, status, reason, state, self.info);
                    self.res_keep_alive = keep;
                    self.hint = hint;
                    self.res = Some(res.clone());
                    self.phase = match body {
                        ResponseBody::Length(n) => Phase::Length(n),
                        ResponseBody::Chunked => Phase::Chunked(ChunkedDecoder::new(self.max_header_size)),
                        ResponseBody::UntilClose => Phase::UntilClose,
                        _ => Phase::Done,
                    };
                    if matches!(self.phase, Phase::Done) {
                        res.end_body(Vec::new());
                    }
                    self.req.deliver(res);
                }
                Phase::Length(left) => {
                    let avail = t.data().len() as u64;
                    if avail == 0 {
                        return Ok(Step::More);
                    }
                    let n = avail.min(*left);
                    *left -= n;
                    let done = *left == 0;
                    let chunk = t.buffer().split_to(n as usize);
                    self.push(Buffer::from(chunk));
                    if done {
                        self.end_body(Vec::new());
                    }
                }
                Phase::Chunked(dec) => {
                    let (used, ev) = dec.decode(t.data()).map_err(|e| Self::parse_error(e, t.data()))?;
                    match ev {
                        None => {
                            let _ = t.buffer().split_to(used);
                            return Ok(Step::More);
                        }
                        Some(ChunkEvent::Data(r)) => {
                            let mut taken = t.buffer().split_to(used);
                            let mut chunk = taken.split_off(r.start);
                            chunk.truncate(r.len());
                            self.push(Buffer::from(chunk));
                        }
                        Some(ChunkEvent::End(trailers)) => {
                            let data = t.data();
                            let raw = IncomingMessage::raw_strings(
                                trailers
                                    .iter()
                                    .map(|h| (&data[h.name.clone()], &data[h.value.clone()])),
                            );
                            let _ = t.buffer().split_to(used);
                            self.end_body(raw);
                        }
                    }
                }
                Phase::UntilClose => {
                    if t.data().is_empty() {
                        return Ok(Step::More);
                    }
                    let chunk = t.buffer().split();
                    self.push(Buffer::from(chunk));
                }
                Phase::Done => return Ok(Step::More),
            }
        }
    }
}

/// The response ends early: `'aborted'` and Node's ECONNRESET "aborted".
/// The body's stream is built first, so even a response nobody has read
/// yet reports it (instead of waiting for more body forever).
fn abort(res: &IncomingMessage) {
    let _ = res.readable_length();
    res.abort();
}

/// The server's `Keep-Alive: timeout=N` (seconds), read from the received
/// header lines (no header map or strings are built for it).
fn keep_alive_hint<'a>(mut pairs: impl Iterator<Item = (&'a [u8], &'a [u8])>) -> Option<u64> {
    let (_, value) = pairs.find(|(n, _)| n.eq_ignore_ascii_case(b"keep-alive"))?;
    let digits = value.strip_prefix(b"timeout=")?;
    let n = digits.iter().take_while(|b| b.is_ascii_digit()).count();
    std::str::from_utf8(&digits[..n]).ok()?.parse().ok()
}

fn socket_hang_up() -> Error {
    Error::new(Code::ECONNRESET, "socket hang up")
}

/// Writes as much of `out` as the socket takes now; `Ok(true)` when all of it went.
fn write_some(t: &Transport, out: &mut (Out, usize)) -> io::Result<bool> {
    while out.1 < out.0.bytes.len() {
        match t.try_write(&out.0.bytes[out.1..]) {
            Ok(0) => return Err(ErrorKind::WriteZero.into()),
            Ok(n) => out.1 += n,
            Err(e) if e.kind() == ErrorKind::WouldBlock => return Ok(false),
            Err(e) => return Err(e),
        }
    }
    Ok(true)
}

/// Closes a request's outbox when its exchange ends (body pieces written
/// later fail, as when the connection is gone).
struct CloseOutbox<'a>(&'a ClientRequest);

impl Drop for CloseOutbox<'_> {
    fn drop(&mut self) {
        self.0.close_outbox();
    }
}

/// Serves one request on the connection: writes it, parses its response.
/// `offered`: the socket was offered to `req` already (what the offer returned).
async fn serve(
    t: &mut Transport,
    info: SocketInfo,
    req: &ClientRequest,
    id: u64,
    reused: bool,
    offered: Option<bool>,
) -> Served {
    let socket = ClientSocket {
        local: info.local,
        remote: info.remote,
        id,
        reused,
    };
    if !req.attach(socket, offered).await {
        // Destroyed before its 'socket' tick (Node's `onSocketNT` emits
        // 'free' for it): the untouched connection goes to a queued request,
        // else closes (the agent's 'free' handler finds no request on it).
        return Served::Done {
            keep: false,
            hint: None,
        };
    }
    // However this exchange ends, body pieces written after it fail.
    let _outbox = CloseOutbox(req);
    // What the 'socket' tick wrote already on a socket from the pool.
    let (early_end, early_err) = req.take_early();
    if let Some(e) = early_err {
        req.fail(Error::syscall_failed(&e, "write"));
        return Served::Close;
    }
    let (is_head, is_connect) = req.head_or_connect();
    let mut x = Exchange {
        req,
        info,
        is_head,
        is_connect,
        max_header_size: req.max_header_size(),
        phase: Phase::Head,
        res: None,
        res_keep_alive: false,
        hint: None,
        paused: false,
    };
    let mut pending: Option<(Out, usize)> = None;
    let mut req_done = early_end;
    let mut eof = false;
    let mut last_activity = Instant::now();
    let mut timed_out = false;
    let poke = req.poke();
    let far = Duration::from_secs(86_400 * 365);
    loop {
        match x.process(t) {
            Ok(Step::More) => {}
            Ok(Step::Upgrade(res, connect)) => return Served::Upgrade { res, connect },
            Err(e) => {
                if let Some(res) = &x.res {
                    abort(res);
                }
                req.fail(e);
                return Served::Close;
            }
        }
        if x.paused && req.abandoned() {
            // Nobody can read this body: dumped (read and dropped), so the
            // socket goes back to the agent, as Node's `res._dump()`.
            if let Some(res) = &x.res {
                res.dump();
            }
            x.paused = false;
            continue;
        }
        if matches!(x.phase, Phase::Done) && req_done {
            let keep = x.res_keep_alive && req.should_keep_alive();
            req.finish_exchange();
            return Served::Done { keep, hint: x.hint };
        }
        if eof {
            match x.phase {
                Phase::UntilClose => {
                    x.end_body(Vec::new());
                    if req_done {
                        req.finish_exchange();
                    }
                    return Served::Close;
                }
                Phase::Head => req.fail(socket_hang_up()),
                Phase::Length(_) | Phase::Chunked(_) => {
                    if let Some(res) = &x.res {
                        abort(res);
                    }
                    req.finish_exchange();
                }
                Phase::Done => req.finish_exchange(),
            }
            return Served::Close;
        }
        if req.is_aborted() {
            if let Some(res) = &x.res {
                abort(res);
            }
            return Served::Close;
        }
        if x.res.as_ref().is_some_and(IncomingMessage::destroyed) && !matches!(x.phase, Phase::Done) {
            // `res.destroy()` mid-body: Node destroys the socket.
            req.finish_exchange();
            return Served::Close;
        }
        if pending.is_none() && !req_done {
            // The request's next bytes (its stream queued them and poked).
            if let Some(out) = req.next_out() {
                let mut p = (out, 0);
                match write_some(t, &mut p) {
                    Ok(true) => {
                        last_activity = Instant::now();
                        timed_out = false;
                        req_done |= p.0.end;
                        if let Some(c) = p.0.done.take() {
                            c.complete(Ok(()));
                        }
                    }
                    Ok(false) => pending = Some(p),
                    Err(e) => {
                        req.fail(Error::syscall_failed(&e, "write"));
                        return Served::Close;
                    }
                }
                continue;
            }
        }
        let timeout = req.timeout();
        let deadline = last_activity + timeout.unwrap_or(far);
        let res_for_demand = x.res.clone();
        tokio::select! {
            biased;
            // Destroyed, a new timeout, the caller's last handle gone, or
            // body bytes queued.
            _ = poke.notified() => {}
            r = t.writable(), if pending.is_some() => {
                if let Err(e) = r {
                    req.fail(Error::syscall_failed(&e, "write"));
                    return Served::Close;
                }
                if let Some(p) = pending.as_mut() {
                    match write_some(t, p) {
                        Ok(true) => {
                            last_activity = Instant::now();
                            timed_out = false;
                            if let Some((mut out, _)) = pending.take() {
                                req_done |= out.end;
                                if let Some(c) = out.done.take() {
                                    c.complete(Ok(()));
                                }
                            }
                        }
                        Ok(false) => {}
                        Err(e) => {
                            req.fail(Error::syscall_failed(&e, "write"));
                            return Served::Close;
                        }
                    }
                }
            }
            r = t.readable(), if !x.paused && !matches!(x.phase, Phase::Done) => {
                let r = r.and_then(|()| t.try_read());
                match r {
                    Ok(0) => eof = true,
                    Ok(_) => {
                        if timeout.is_some() {
                            last_activity = Instant::now();
                            timed_out = false;
                        }
                    }
                    Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                    Err(e) => {
                        let err = Error::syscall_failed(&e, "read");
                        match &x.res {
                            Some(res) => {
                                abort(res);
                                req.finish_exchange();
                            }
                            None => req.fail(err),
                        }
                        return Served::Close;
                    }
                }
            }
            // The consumer's `_read` (or its destroy): read again. `_read`
            // means "push more" whatever the buffer holds (Node's
            // IncomingMessage resumes its socket on every `_read`); the
            // buffer's level is no test: a reader that asked and then
            // `unshift`ed leaves it at the mark, is still "reading", and
            // asks no more until a push (a stall when the level was
            // re-checked here). A push refused again pauses again.
            _ = async { match &res_for_demand { Some(r) => r.demand().await, None => std::future::pending().await } }, if x.paused => {
                x.paused = false;
            }
            // Made only when polled: without a timeout no `Sleep` is made
            // (select! evaluates a disabled branch's expression too).
            () = async { tokio::time::sleep_until(deadline).await }, if timeout.is_some() && !timed_out => {
                timed_out = true;
                req.emit_timeout();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::keep_alive_hint;

    fn hint(lines: &[(&str, &str)]) -> Option<u64> {
        keep_alive_hint(lines.iter().map(|(n, v)| (n.as_bytes(), v.as_bytes())))
    }

    /// The server's `Keep-Alive: timeout=N`, read as before from the raw
    /// header lines: the first `Keep-Alive` line (any case), `timeout=`
    /// first in its value, the digits after it.
    #[test]
    fn keep_alive_hint_reads_the_first_keep_alive_line() {
        type Case = (&'static [(&'static str, &'static str)], Option<u64>);
        let cases: [Case; 8] = [
            (&[("Keep-Alive", "timeout=5")], Some(5)),
            (&[("keep-alive", "timeout=15, max=100")], Some(15)),
            (&[("KEEP-ALIVE", "timeout=7x")], Some(7)),
            (&[("Keep-Alive", "max=100, timeout=5")], None),
            (&[("Keep-Alive", "Timeout=5")], None),
            (&[("Connection", "keep-alive")], None),
            (&[("Keep-Alive", "timeout=99999999999999999999999")], None),
            (&[("Keep-Alive", "max=1"), ("Keep-Alive", "timeout=3")], None),
        ];
        for (lines, want) in cases {
            assert_eq!(hint(lines), want, "{lines:?}");
        }
        println!("{} keep-alive hints compared", cases.len());
    }
}
