//! Behaviour tests on loopback and Unix sockets in temp dirs.
//!
//! Every wait is bounded (`within`: a test that would hang fails saying what
//! did not happen), and every check a server's handler makes reaches the
//! test (`checked_server`: the handler's result, or its panic, is asserted in
//! the test body; a panic in the server's own task would be swallowed).

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{WAIT, Within, checked_server, closed_port, read_all};
use rt_net::events::{
    CLOSE, CONNECT, CONNECTION, DATA, DRAIN, DROP, END, ERROR, FINISH, LISTENING, LOOKUP, READY,
    SERVER_CLOSE, TIMEOUT,
};
use rt_net::{
    ConnectOptions, Emitter, Error, ListenOptions, Server, ServerOptions, Socket, SocketOptions, connect,
    create_server,
};
use rt_tests::temp::TempDir;
use rt_tests::wait::recv_async;

type Log = Arc<Mutex<Vec<String>>>;

fn log() -> Log {
    Arc::new(Mutex::new(Vec::new()))
}

fn push(l: &Log, s: impl Into<String>) {
    l.lock().unwrap().push(s.into());
}

fn logged(l: &Log) -> Vec<String> {
    l.lock().unwrap().clone()
}

/// A temp folder of the test's own, removed when dropped.
fn temp_dir() -> TempDir {
    TempDir::new("rt-net-test")
}

async fn echo_server() -> (Server, u16) {
    let server = create_server(|s: Socket| async move {
        s.pipe(&s);
        s.wait_end().await
    });
    let port = listen_local(&server).await;
    (server, port)
}

async fn listen_local(server: &Server) -> u16 {
    server
        .listen(("127.0.0.1", 0))
        .within(WAIT, "listen on 127.0.0.1")
        .await
        .unwrap()
        .port()
        .unwrap()
}

async fn connect_local(port: u16) -> Socket {
    connect(("127.0.0.1", port))
        .within(WAIT, "connect to 127.0.0.1")
        .await
        .unwrap()
}

async fn connect_err(options: impl Into<ConnectOptions>, what: &str) -> Error {
    connect(options).within(WAIT, what).await.unwrap_err()
}

/// The next chunk read from `s` (bounded); `None` at its end.
async fn next_chunk(s: &Socket) -> Option<Vec<u8>> {
    s.recv()
        .within(WAIT, "the next chunk or the end")
        .await
        .unwrap()
        .map(|c| c.to_vec())
}

async fn closed(s: &Socket, what: &str) {
    s.wait_closed().within(WAIT, what).await;
}

async fn server_closed(s: &Server) {
    s.closed().within(WAIT, "the server's 'close'").await;
}

async fn accept(s: &Server) -> Socket {
    s.accept().within(WAIT, "accept").await.unwrap()
}

#[tokio::test]
async fn echo_over_tcp_with_counters_and_addresses() {
    let (server, port) = echo_server().await;
    let addr = server.address().unwrap();
    assert_eq!(addr.inet().unwrap().address, "127.0.0.1");
    assert_eq!(addr.inet().unwrap().family.as_str(), "IPv4");
    let c = connect_local(port).await;
    assert_eq!(c.ready_state(), "open");
    assert!(!c.pending() && !c.connecting());
    assert_eq!(c.remote_address().as_deref(), Some("127.0.0.1"));
    assert_eq!(c.remote_port(), Some(port));
    assert_eq!(c.remote_family().unwrap().as_str(), "IPv4");
    assert!(c.local_port().unwrap() > 0);
    assert!(c.write("hello ").unwrap_or(false));
    let _ = c.end_with("world");
    assert_eq!(c.ready_state(), "readOnly");
    assert_eq!(read_all(&c).await, b"hello world");
    assert_eq!(c.bytes_written(), 11);
    assert_eq!(c.bytes_read(), 11);
    closed(&c, "the client's 'close'").await;
    assert_eq!(c.ready_state(), "closed");
    assert!(c.destroyed());
    server.close().unwrap();
    server_closed(&server).await;
    assert!(!server.listening());
    assert!(server.address().is_none());
}

#[tokio::test]
async fn client_events_in_nodes_order() {
    let (server, port) = echo_server().await;
    let l = log();
    let c = Socket::new(SocketOptions::default());
    for (ev, name) in [
        (&CONNECT, "connect"),
        (&READY, "ready"),
        (&END, "end"),
        (&FINISH, "finish"),
    ] {
        let l = l.clone();
        c.on(ev, move |_| push(&l, name));
    }
    {
        let l = l.clone();
        c.on(&DATA, move |d| {
            push(&l, format!("data:{}", String::from_utf8_lossy(d)))
        });
    }
    {
        let l = l.clone();
        c.on(&CLOSE, move |e| push(&l, format!("close:{e}")));
    }
    c.connect(("127.0.0.1", port))
        .within(WAIT, "connect")
        .await
        .unwrap();
    c.write_all("ping").within(WAIT, "writing ping").await.unwrap();
    let _ = c.end();
    closed(&c, "the client's 'close'").await;
    assert_eq!(
        logged(&l),
        ["connect", "ready", "finish", "data:ping", "end", "close:false"]
    );
    server.close().unwrap();
}

#[tokio::test]
async fn unix_path_and_abstract_namespace() {
    let dir = temp_dir();
    let path = dir.path().join("echo.sock");
    let server = create_server(|s: Socket| async move {
        s.pipe(&s);
        s.wait_end().await
    });
    let addr = server
        .listen(path.as_path())
        .within(WAIT, "listen on a path")
        .await
        .unwrap();
    assert_eq!(addr.path(), Some(path.to_str().unwrap()));
    let c = connect(path.as_path())
        .within(WAIT, "connect to a path")
        .await
        .unwrap();
    let _ = c.end_with("over unix");
    assert_eq!(read_all(&c).await, b"over unix");
    server.close().unwrap();
    server_closed(&server).await;
    assert!(!path.exists(), "Node removes the socket file on close");

    let name = format!("\0rt-net-abstract-{}", std::process::id());
    let server = create_server(|s: Socket| async move {
        s.pipe(&s);
        s.wait_end().await
    });
    let addr = server
        .listen(ListenOptions::path(&name))
        .within(WAIT, "listen on an abstract name")
        .await
        .unwrap();
    assert_eq!(addr.path(), Some(name.as_str()));
    assert!(addr.to_string().starts_with("\"\\u0000rt-net-abstract-"));
    let c = connect(ConnectOptions::path(&name))
        .within(WAIT, "connect to an abstract name")
        .await
        .unwrap();
    let _ = c.end_with("abstract");
    assert_eq!(read_all(&c).await, b"abstract");
    server.close().unwrap();
}

#[tokio::test]
async fn connect_errors_carry_nodes_fields() {
    // A port nothing listens on, held (bound, not listening) for the whole
    // test so that nobody else can take it meanwhile.
    let (_held, port) = closed_port();
    let c = Socket::new(SocketOptions::default());
    let l = log();
    {
        let l = l.clone();
        c.on(&ERROR, move |e: &Error| push(&l, format!("error:{}", e.code())));
    }
    {
        let l = l.clone();
        c.on(&CLOSE, move |e| push(&l, format!("close:{e}")));
    }
    let e = c
        .connect(("127.0.0.1", port))
        .within(WAIT, "a refused connect")
        .await
        .unwrap_err();
    assert_eq!(e.code(), "ECONNREFUSED");
    assert_eq!(e.message(), format!("connect ECONNREFUSED 127.0.0.1:{port}"));
    assert_eq!(e.errno(), Some(-111));
    assert_eq!(e.syscall(), Some("connect"));
    assert_eq!(e.address(), Some("127.0.0.1"));
    assert_eq!(e.port(), Some(i32::from(port)));
    assert_eq!(logged(&l), ["error:ECONNREFUSED", "close:true"]);
    assert!(c.destroyed());

    let dir = temp_dir();
    let missing = dir.path().join("missing.sock");
    let e = connect_err(missing.as_path(), "a connect to a missing path").await;
    assert_eq!(e.code(), "ENOENT");
    assert_eq!(e.message(), format!("connect ENOENT {}", missing.display()));

    // A name that does not resolve: the code depends on the machine's
    // resolver (ENOTFOUND; EAI_AGAIN without DNS), so the expected error is
    // the one Node reports on this machine for the same name.
    let e = connect_err(("nosuchhost.invalid", 80), "a failed name lookup").await;
    assert_eq!(e.syscall(), Some("getaddrinfo"));
    if let Some(node) = rt_tests::node::node_or_skip("connect_errors_carry_nodes_fields (lookup)") {
        let node_says = common::node_lookup_error(&node, "nosuchhost.invalid");
        assert_eq!((e.code().to_string(), e.message().to_string()), node_says);
    }
}

#[tokio::test]
async fn listen_on_used_port_is_eaddrinuse_and_retry_works() {
    let (first, port) = echo_server().await;
    let second = Server::new();
    let l = log();
    {
        let l = l.clone();
        second.on(&ERROR, move |e: &Error| push(&l, e.code().to_string()));
    }
    let e = second
        .listen(("127.0.0.1", port))
        .within(WAIT, "listen on a used port")
        .await
        .unwrap_err();
    assert_eq!(e.code(), "EADDRINUSE");
    assert_eq!(
        e.message(),
        format!("listen EADDRINUSE: address already in use 127.0.0.1:{port}")
    );
    assert_eq!(e.syscall(), Some("listen"));
    assert_eq!(logged(&l), ["EADDRINUSE"]);
    assert!(!second.listening());
    assert_eq!(second.close().unwrap_err().code(), "ERR_SERVER_NOT_RUNNING");
    first.close().unwrap();
    server_closed(&first).await;
    // The notes' retry: listen again once the port is free.
    second
        .listen(("127.0.0.1", port))
        .within(WAIT, "listen again")
        .await
        .unwrap();
    assert!(second.listening());
    assert_eq!(
        second
            .listen(("127.0.0.1", 0))
            .within(WAIT, "a second listen")
            .await
            .unwrap_err()
            .code(),
        "ERR_SERVER_ALREADY_LISTEN"
    );
    second.close().unwrap();
}

#[tokio::test]
async fn close_waits_for_connections_and_counts_them() {
    let server = Server::new();
    let l = log();
    for (ev, name) in [(&LISTENING, "listening"), (&SERVER_CLOSE, "close")] {
        let l = l.clone();
        server.on(ev, move |_| push(&l, name));
    }
    let port = listen_local(&server).await;
    let a = connect_local(port).await;
    let b = connect_local(port).await;
    let sa = accept(&server).await;
    let sb = accept(&server).await;
    assert_eq!(server.get_connections(), 2);
    server.close().unwrap();
    assert!(!server.listening());
    // New connections are refused at once.
    assert_eq!(
        connect_err(("127.0.0.1", port), "a refused connect").await.code(),
        "ECONNREFUSED"
    );
    assert_eq!(logged(&l), ["listening"]);
    let _ = a.end();
    assert!(next_chunk(&sa).await.is_none());
    closed(&sa, "the server side's 'close'").await;
    assert_eq!(server.get_connections(), 1);
    assert_eq!(logged(&l), ["listening"]);
    b.destroy(None);
    assert!(next_chunk(&sb).await.is_none());
    server_closed(&server).await;
    assert_eq!(server.get_connections(), 0);
    assert_eq!(logged(&l), ["listening", "close"]);
}

#[tokio::test]
async fn max_connections_drops_with_addresses() {
    let server = Server::new();
    server.set_max_connections(Some(1));
    let drops = Arc::new(Mutex::new(Vec::new()));
    {
        let d = drops.clone();
        server.on(&DROP, move |info| d.lock().unwrap().push(info.clone()));
    }
    let port = listen_local(&server).await;
    let a = connect_local(port).await;
    let _sa = accept(&server).await;
    let b = connect_local(port).await;
    // The dropped client sees the end at once.
    assert!(next_chunk(&b).await.is_none());
    let info = drops.lock().unwrap()[0].clone();
    assert_eq!(info.remote_port, b.local_port().unwrap());
    assert_eq!(info.local_port, port);
    assert_eq!(info.remote_address, "127.0.0.1");
    assert_eq!(info.local_family.as_str(), "IPv4");
    assert_eq!(server.get_connections(), 1);
    drop(a);
    server.close().unwrap();
    server.close_all_connections();
    server_closed(&server).await;
}

#[tokio::test]
async fn connection_event_and_handler_both_fire() {
    let seen = log();
    let (server, mut handled) = checked_server(ServerOptions::default(), |s: Socket| async move {
        let _ = s.end_with("goodbye\n");
        s.remote_address()
    });
    {
        let seen = seen.clone();
        server.on(&CONNECTION, move |s: &Socket| {
            push(&seen, s.remote_address().unwrap())
        });
    }
    let port = listen_local(&server).await;
    let c = connect_local(port).await;
    assert_eq!(read_all(&c).await, b"goodbye\n");
    assert_eq!(logged(&seen), ["127.0.0.1"]);
    // The handler ran too, once, and saw the same peer.
    let handler_saw = handled.next("the connection handler").await;
    assert_eq!(handler_saw.as_deref(), Some("127.0.0.1"));
    handled.assert_none_pending();
    server.close().unwrap();
}

#[tokio::test]
async fn timeout_fires_once_and_does_not_close() {
    let (server, port) = echo_server().await;
    let c = connect_local(port).await;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    c.on(&TIMEOUT, move |_| {
        let _ = tx.send(());
    });
    c.set_timeout(Duration::from_millis(30));
    assert_eq!(c.timeout(), Duration::from_millis(30));
    recv_async(&mut rx, WAIT, "the first 'timeout'").await;
    assert_eq!(c.ready_state(), "open");
    assert!(!c.destroyed());
    // Once per idle period (as Node: its timer is re-armed by activity
    // only): ten more timeouts' worth of idle time bring no second one.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        rx.try_recv().is_err(),
        "a second 'timeout' fired without new activity"
    );
    // Still usable after the timeout.
    c.write_all("after")
        .within(WAIT, "writing after the timeout")
        .await
        .unwrap();
    assert_eq!(next_chunk(&c).await.as_deref(), Some(&b"after"[..]));
    // Fires again only after new idle time; disable it and no more come.
    recv_async(&mut rx, WAIT, "a 'timeout' after new idle time").await;
    c.set_timeout(Duration::ZERO);
    c.write_all("again")
        .within(WAIT, "writing with the timeout disabled")
        .await
        .unwrap();
    assert_eq!(next_chunk(&c).await.as_deref(), Some(&b"again"[..]));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(rx.try_recv().is_err(), "a 'timeout' fired after set_timeout(0)");
    c.destroy(None);
    server.close().unwrap();
}

/// What the server's side of a half-open exchange saw (see below).
#[derive(Debug, PartialEq)]
struct HalfOpenServerSide {
    received: usize,
    state_after_end: String,
    reply_write: Result<(), String>,
    events: Vec<String>,
}

/// The client sends 5 bytes and ends; the server reads to the end, then
/// answers a moment later (not inside the 'end' callback). Node (v20, same
/// scenario, both settings):
/// - `allowHalfOpen: true`: the server's side is `writeOnly` after the end,
///   the reply is written and arrives, then both sides close cleanly.
/// - `allowHalfOpen: false`: the server's side ends itself right after the
///   peer's end, so it is `closed` when the answer comes, the write fails,
///   and the client reads an empty reply.
///
/// In both, the server socket emits 'end', 'finish', 'close'(false) in that
/// order, and the client 'finish', 'end', 'close'(false).
#[tokio::test]
async fn half_open_keeps_our_side_writable() {
    for allow_half_open in [true, false] {
        let (server, mut handled) = checked_server(
            ServerOptions::default().allow_half_open(allow_half_open),
            |s: Socket| async move {
                let events = log();
                for (ev, name) in [(&END, "end"), (&FINISH, "finish")] {
                    let events = events.clone();
                    s.on(ev, move |_| push(&events, name));
                }
                {
                    let events = events.clone();
                    s.on(&CLOSE, move |h| push(&events, format!("close:{h}")));
                }
                let got = read_all(&s).await;
                tokio::time::sleep(Duration::from_millis(20)).await;
                let state_after_end = s.ready_state().to_string();
                let reply_write = s
                    .write_all(format!("got {} bytes", got.len()))
                    .within(WAIT, "writing the reply")
                    .await
                    .map_err(|e| e.code().to_string());
                let _ = s.end();
                closed(&s, "the server side's 'close'").await;
                HalfOpenServerSide {
                    received: got.len(),
                    state_after_end,
                    reply_write,
                    events: logged(&events),
                }
            },
        );
        let port = listen_local(&server).await;
        let c = connect_local(port).await;
        let events = log();
        for (ev, name) in [(&END, "end"), (&FINISH, "finish")] {
            let events = events.clone();
            c.on(ev, move |_| push(&events, name));
        }
        {
            let events = events.clone();
            c.on(&CLOSE, move |h| push(&events, format!("close:{h}")));
        }
        let _ = c.end_with("12345");
        assert_eq!(c.ready_state(), "readOnly", "allow_half_open {allow_half_open}");
        let reply = read_all(&c).await;
        closed(&c, "the client's 'close'").await;
        let server_side = handled.next("the server's handler").await;
        let ctx = format!("allow_half_open {allow_half_open}");
        assert_eq!(logged(&events), ["finish", "end", "close:false"], "{ctx}");
        assert_eq!(server_side.received, 5, "{ctx}");
        assert_eq!(server_side.events, ["end", "finish", "close:false"], "{ctx}");
        if allow_half_open {
            assert_eq!(reply, b"got 5 bytes", "{ctx}");
            assert_eq!(server_side.state_after_end, "writeOnly", "{ctx}");
            assert_eq!(server_side.reply_write, Ok(()), "{ctx}");
        } else {
            assert_eq!(reply, b"", "{ctx}");
            assert_eq!(server_side.state_after_end, "closed", "{ctx}");
            assert!(server_side.reply_write.is_err(), "{ctx}");
        }
        handled.assert_none_pending();
        server.close().unwrap();
        server_closed(&server).await;
    }
}

#[tokio::test]
async fn set_encoding_keeps_characters_whole() {
    let (server, mut handled) = checked_server(ServerOptions::default(), |s: Socket| async move {
        let text = "héllo wörld €";
        for b in text.as_bytes() {
            s.write_all(vec![*b]).within(WAIT, "a one-byte write").await?;
            tokio::task::yield_now().await;
        }
        let _ = s.end();
        Ok::<(), Error>(())
    });
    let port = listen_local(&server).await;
    let c = connect_local(port).await;
    c.set_encoding("utf8").unwrap();
    let text = String::from_utf8(read_all(&c).await).unwrap();
    assert_eq!(text, "héllo wörld €");
    assert_eq!(c.set_encoding("nope").unwrap_err().code(), "ERR_UNKNOWN_ENCODING");
    handled.next("the writing handler").await.unwrap();
    server.close().unwrap();
}

#[tokio::test]
async fn write_returns_false_at_the_mark_and_drain_follows() {
    let server = Server::new();
    let port = listen_local(&server).await;
    let c = connect(
        ConnectOptions::tcp("127.0.0.1", port).socket(SocketOptions::default().high_water_mark(64 * 1024)),
    )
    .within(WAIT, "connect")
    .await
    .unwrap();
    let peer = accept(&server).await;
    let drains = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    {
        let d = drains.clone();
        c.on(&DRAIN, move |_| {
            d.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        });
    }
    // The peer does not read: the kernel fills, then our queue.
    let chunk = vec![7u8; 16 * 1024];
    let mut sent = 0usize;
    while c.write(chunk.clone()).unwrap_or(false) {
        sent += chunk.len();
        assert!(sent < 64 * 1024 * 1024, "write never said stop");
    }
    sent += chunk.len();
    let queued = c.buffer_size();
    assert!(queued >= 64 * 1024, "queue {queued} below the mark");
    assert!(queued < 64 * 1024 + chunk.len() * 2);
    // Still not drained while the peer does not read.
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert_eq!(drains.load(std::sync::atomic::Ordering::SeqCst), 0);
    // The peer reads: 'drain' comes once the buffer is empty. (Node emits
    // no 'drain' once `end()` was called, so we end after it.)
    let reader = tokio::spawn(async move { read_all(&peer).await });
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<()>();
    c.once(&DRAIN, move |_| {
        let _ = tx.send(());
    });
    recv_async(&mut rx, WAIT, "'drain' once the peer reads").await;
    let _ = c.end();
    let got = reader
        .within(WAIT, "the reader task")
        .await
        .expect("the reader task panicked");
    assert_eq!(got.len(), sent);
    assert!(got.iter().all(|b| *b == 7));
    assert_eq!(drains.load(std::sync::atomic::Ordering::SeqCst), 1);
    server.close().unwrap();
}

#[tokio::test]
async fn pause_stops_reading_from_the_kernel() {
    let server = Server::new();
    let port = listen_local(&server).await;
    let c = connect_local(port).await;
    let peer = accept(&server).await;
    let received = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    {
        let r = received.clone();
        let p = peer.clone();
        peer.on(&DATA, move |d| {
            r.fetch_add(d.len(), std::sync::atomic::Ordering::SeqCst);
            p.pause();
        });
    }
    // The first chunk pauses the reader; the kernel buffers fill up and our
    // writes stop being taken.
    let chunk = vec![1u8; 64 * 1024];
    let mut total = 0usize;
    loop {
        if !c.write(chunk.clone()).unwrap_or(false) {
            total += chunk.len();
            break;
        }
        total += chunk.len();
        assert!(total < 1 << 30, "write never said stop");
        tokio::task::yield_now().await;
    }
    tokio::time::sleep(Duration::from_millis(30)).await;
    let before = received.load(std::sync::atomic::Ordering::SeqCst);
    assert!(before < total, "paused reader drained everything");
    assert!(c.buffer_size() > 0, "the peer's kernel should be full");
    assert!(peer.is_paused());
    // Resume (with no pausing listener): everything arrives.
    peer.emitter().remove_all_listeners(Some("data"));
    let r2 = received.clone();
    peer.on(&DATA, move |d| {
        r2.fetch_add(d.len(), std::sync::atomic::Ordering::SeqCst);
    });
    peer.resume();
    c.drained()
        .within(WAIT, "our queue to drain after resume")
        .await
        .unwrap();
    let _ = c.end();
    closed(&peer, "the peer's 'close'").await;
    assert_eq!(received.load(std::sync::atomic::Ordering::SeqCst), total);
    server.close().unwrap();
}

#[tokio::test]
async fn lookup_event_for_host_names() {
    let (server, port) = echo_server().await;
    let c = Socket::new(SocketOptions::default());
    let seen = log();
    {
        let seen = seen.clone();
        c.on(&LOOKUP, move |info| {
            push(
                &seen,
                format!("{} {} {}", info.address, info.family.number(), info.host),
            )
        });
    }
    c.connect(ConnectOptions::tcp("localhost", port).family(rt_net::Family::IPv4))
        .within(WAIT, "connect to localhost")
        .await
        .unwrap();
    assert_eq!(logged(&seen), ["127.0.0.1 4 localhost"]);
    c.destroy(None);
    server.close().unwrap();
}

#[tokio::test]
async fn listen_on_handed_over_listeners() {
    let std_l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = std_l.local_addr().unwrap().port();
    let server = create_server(|s: Socket| async move {
        s.pipe(&s);
        s.wait_end().await
    });
    let addr = server
        .listen_handle(std_l)
        .within(WAIT, "listen on a handed-over listener")
        .await
        .unwrap();
    assert_eq!(addr.port(), Some(port));
    let c = connect_local(port).await;
    let _ = c.end_with("handed");
    assert_eq!(read_all(&c).await, b"handed");
    server.close().unwrap();

    // A raw fd (as a parent process would hand over).
    let std_l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = std_l.local_addr().unwrap().port();
    let fd: std::os::fd::OwnedFd = std_l.into();
    let server = create_server(|s: Socket| async move {
        s.pipe(&s);
        s.wait_end().await
    });
    server
        .listen_handle(fd)
        .within(WAIT, "listen on a raw fd")
        .await
        .unwrap();
    let c = connect_local(port).await;
    let _ = c.end_with("fd");
    assert_eq!(read_all(&c).await, b"fd");
    server.close().unwrap();
}

#[tokio::test]
async fn keep_alive_and_no_delay_reach_the_os() {
    let (server, port) = echo_server().await;
    let c = connect(ConnectOptions::tcp("127.0.0.1", port).no_delay(true))
        .within(WAIT, "connect")
        .await
        .unwrap();
    assert_eq!(c.no_delay(), Some(true));
    c.set_no_delay(false);
    assert_eq!(c.no_delay(), Some(false));
    assert_eq!(c.keep_alive(), Some(false));
    c.set_keep_alive(true, Duration::from_secs(30));
    assert_eq!(c.keep_alive(), Some(true));
    c.destroy(None);
    server.close().unwrap();
}

#[tokio::test]
async fn write_after_end_and_destroy_are_errors() {
    let (server, port) = echo_server().await;
    let c = connect_local(port).await;
    let _ = c.end();
    assert_eq!(
        c.write_all("x")
            .within(WAIT, "a write after end")
            .await
            .unwrap_err()
            .code(),
        "ERR_STREAM_WRITE_AFTER_END"
    );
    assert!(!c.write("x").unwrap_or(false));
    // Node: an ended socket still says "write after end" once destroyed.
    c.destroy(None);
    assert_eq!(
        c.write_all("x")
            .within(WAIT, "a write after end and destroy")
            .await
            .unwrap_err()
            .code(),
        "ERR_STREAM_WRITE_AFTER_END"
    );
    let c = connect_local(port).await;
    c.destroy(None);
    assert_eq!(
        c.write_all("x")
            .within(WAIT, "a write after destroy")
            .await
            .unwrap_err()
            .code(),
        "ERR_STREAM_DESTROYED"
    );
    server.close().unwrap();
}

#[tokio::test]
async fn writes_before_connect_are_sent() {
    let (server, port) = echo_server().await;
    let c = Socket::new(SocketOptions::default());
    assert!(c.pending());
    let _ = c.write("early ");
    let _ = c.end_with("bird");
    let c2 = c.clone();
    let reader = tokio::spawn(async move { read_all(&c2).await });
    c.connect(("127.0.0.1", port))
        .within(WAIT, "connect")
        .await
        .unwrap();
    assert_eq!(
        reader
            .within(WAIT, "the reader task")
            .await
            .expect("the reader task panicked"),
        b"early bird"
    );
    server.close().unwrap();
}

#[tokio::test]
async fn connect_timeout_is_etimedout() {
    // A listener that never accepts, with the smallest backlog: once its
    // queue is full the kernel drops SYNs and connects hang.
    let raw = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    raw.bind(&"127.0.0.1:0".parse::<std::net::SocketAddr>().unwrap().into())
        .unwrap();
    raw.listen(0).unwrap();
    let port = raw.local_addr().unwrap().as_socket().unwrap().port();
    let mut held = Vec::new();
    let mut timed_out = None;
    for _ in 0..16 {
        match connect(ConnectOptions::tcp("127.0.0.1", port).connect_timeout(Duration::from_millis(100)))
            .within(WAIT, "a connect with a 100 ms connect timeout")
            .await
        {
            Ok(s) => held.push(s),
            Err(e) => {
                timed_out = Some(e);
                break;
            }
        }
    }
    let e = timed_out.expect("the backlog never filled");
    assert_eq!(e.code(), "ETIMEDOUT");
    assert_eq!(e.message(), format!("connect ETIMEDOUT 127.0.0.1:{port}"));
}

#[tokio::test]
async fn a_peer_that_never_reads_bounds_our_memory() {
    let server = Server::new();
    let port = listen_local(&server).await;
    let c = connect_local(port).await;
    let _peer = accept(&server).await; // never reads
    let writer = {
        let c = c.clone();
        tokio::spawn(async move {
            let chunk = vec![0u8; 64 * 1024];
            let mut sent = 0usize;
            // 1 GiB would be sent if nothing pushed back.
            while sent < 1 << 30 {
                if c.write_all(chunk.clone()).await.is_err() {
                    break;
                }
                sent += chunk.len();
            }
            sent
        })
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        !writer.is_finished(),
        "the writer should be blocked by backpressure"
    );
    // What we hold is at most one chunk past the kernel's buffers.
    assert!(c.buffer_size() <= 64 * 1024, "queued {}", c.buffer_size());
    c.destroy(None);
    let sent = writer
        .within(WAIT, "the blocked writer to fail once destroyed")
        .await
        .expect("the writer task panicked");
    assert!(sent < 64 << 20, "sent {sent} bytes to a peer that never reads");
    server.close().unwrap();
    server.close_all_connections();
    server_closed(&server).await;
}

#[tokio::test]
async fn destroy_soon_flushes_then_closes() {
    let server = Server::new();
    let port = listen_local(&server).await;
    let c = connect_local(port).await;
    let peer = accept(&server).await;
    let payload = vec![5u8; 3 << 20];
    let _ = c.write(payload.clone());
    c.destroy_soon();
    assert_eq!(read_all(&peer).await.len(), payload.len());
    closed(&c, "the client's 'close' after destroy_soon").await;
    assert!(c.destroyed());
    server.close().unwrap();
}

#[tokio::test]
async fn close_idle_and_all_connections() {
    let server = Server::new();
    let port = listen_local(&server).await;
    let a = connect_local(port).await;
    let _sa = accept(&server).await;
    let b = connect_local(port).await;
    let _sb = accept(&server).await;
    server.close().unwrap();
    // Idle connections get our FIN...
    server.close_idle_connections();
    assert!(next_chunk(&a).await.is_none());
    assert!(next_chunk(&b).await.is_none());
    // ...and the rest is torn down at once.
    server.close_all_connections();
    server_closed(&server).await;
    assert_eq!(server.get_connections(), 0);
}

#[tokio::test]
async fn reuse_port_lets_two_servers_share_a_port() {
    let opts = |port| ListenOptions::tcp("127.0.0.1", port).reuse_port(true);
    let a = create_server(|s: Socket| async move { s.end_with("a") });
    let port = a
        .listen(opts(0))
        .within(WAIT, "listen with reuse_port")
        .await
        .unwrap()
        .port()
        .unwrap();
    let b = create_server(|s: Socket| async move { s.end_with("b") });
    b.listen(opts(port))
        .within(WAIT, "a second listen with reuse_port")
        .await
        .unwrap();
    // Without the option the port is taken.
    assert_eq!(
        Server::new()
            .listen(("127.0.0.1", port))
            .within(WAIT, "listen without reuse_port")
            .await
            .unwrap_err()
            .code(),
        "EADDRINUSE"
    );
    let c = connect_local(port).await;
    let got = read_all(&c).await;
    assert!(got == b"a" || got == b"b");
    a.close().unwrap();
    b.close().unwrap();
}

#[test]
fn public_types_are_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<Socket>();
    check::<Server>();
    check::<Error>();
    check::<rt_net::ServerAddress>();
}

#[tokio::test]
async fn unix_permissions_and_handed_over_unix_fd() {
    use std::os::unix::fs::PermissionsExt;
    let dir = temp_dir();
    let path = dir.path().join("perm.sock");
    let server = Server::new();
    server
        .listen(ListenOptions::path(&path).readable_all(true).writable_all(true))
        .within(WAIT, "listen on a path")
        .await
        .unwrap();
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode & 0o066, 0o066, "mode {mode:o}");
    server.close().unwrap();

    let path = dir.path().join("fd.sock");
    let std_l = std::os::unix::net::UnixListener::bind(&path).unwrap();
    let fd: std::os::fd::OwnedFd = std_l.into();
    let server = create_server(|s: Socket| async move {
        s.pipe(&s);
        s.wait_end().await
    });
    let addr = server
        .listen_handle(fd)
        .within(WAIT, "listen on a handed-over Unix fd")
        .await
        .unwrap();
    assert_eq!(addr.path(), Some(path.to_str().unwrap()));
    let c = connect(path.as_path())
        .within(WAIT, "connect to a path")
        .await
        .unwrap();
    let _ = c.end_with("unix fd");
    assert_eq!(read_all(&c).await, b"unix fd");
    server.close().unwrap();
}

#[tokio::test]
async fn huge_timeouts_do_not_panic() {
    let (server, port) = echo_server().await;
    let c = connect(ConnectOptions::tcp("127.0.0.1", port).connect_timeout(Duration::MAX))
        .within(WAIT, "connect")
        .await
        .unwrap();
    c.set_timeout(Duration::MAX);
    c.set_keep_alive(true, Duration::MAX);
    c.write_all("still fine").within(WAIT, "a write").await.unwrap();
    assert_eq!(next_chunk(&c).await.as_deref(), Some(&b"still fine"[..]));
    c.destroy(None);
    server.close().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closing_unix_servers_under_load_does_not_spin() {
    // Regression: a shut-down Unix listener reports hang-up while accept
    // answers EAGAIN; the accept task must not be left polling it.
    let dir = temp_dir();
    for i in 0..20 {
        let path = dir.path().join(format!("spin-{i}.sock"));
        let server = create_server(|s: Socket| async move {
            s.pipe(&s);
            s.wait_end().await
        });
        server
            .listen(path.as_path())
            .within(WAIT, "listen on a path")
            .await
            .unwrap();
        let c = connect(path.as_path())
            .within(WAIT, "connect to a path")
            .await
            .unwrap();
        let _ = c.end_with("x");
        assert_eq!(read_all(&c).await, b"x");
        server.close().unwrap();
        server_closed(&server).await;
        assert_eq!(
            connect_err(path.as_path(), "a connect after close").await.code(),
            "ENOENT"
        );
    }
}

/// A socket destroyed while its reader task waits for data (after round
/// trips, so the reader has been woken and gone back to waiting several
/// times, which it does without the state lock) lets go of the fd: the
/// peer reads the end. The reader must see the stop on its next wake-up.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn destroy_while_the_reader_waits_closes_the_fd() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let server = Server::new();
    let port = listen_local(&server).await;
    let mut client = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .within(WAIT, "the raw client's connect")
        .await
        .unwrap();
    let peer = accept(&server).await;
    peer.pipe(&peer);
    let mut back = [0u8; 64];
    for i in 0..50u8 {
        client.write_all(&[i; 64]).await.unwrap();
        client
            .read_exact(&mut back)
            .within(WAIT, "an echo")
            .await
            .unwrap();
        assert_eq!(back, [i; 64], "echo {i}");
    }
    peer.destroy(None);
    let mut rest = Vec::new();
    let read = client
        .read_to_end(&mut rest)
        .within(
            WAIT,
            "the end after the server's socket was destroyed (the fd must close)",
        )
        .await;
    // A reset is a close too; what matters is that the fd went.
    if let Ok(n) = read {
        assert_eq!(n, 0, "no data after the destroy");
    }
    server.close().unwrap();
}
