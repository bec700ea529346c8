//! Behaviour tests on loopback and Unix sockets in temp dirs.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use rt_net::events::{
    CLOSE, CONNECT, CONNECTION, DATA, DRAIN, DROP, END, ERROR, FINISH, LISTENING, LOOKUP, READY,
    SERVER_CLOSE, TIMEOUT,
};
use rt_net::{
    ConnectOptions, Emitter, ListenOptions, NetError, Server, ServerOptions, Socket, SocketOptions, connect,
    create_server,
};

type Log = Arc<Mutex<Vec<String>>>;

fn log() -> Log {
    Arc::new(Mutex::new(Vec::new()))
}

fn push(l: &Log, s: impl Into<String>) {
    l.lock().unwrap().push(s.into());
}

fn temp_path(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("rt-net-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

async fn echo_server() -> (Server, u16) {
    let server = create_server(|s: Socket| async move { s.pipe(&s).await });
    let port = server.listen(("127.0.0.1", 0)).await.unwrap().port().unwrap();
    (server, port)
}

async fn read_all(s: &Socket) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(c) = s.read().await.unwrap() {
        out.extend_from_slice(&c);
    }
    out
}

#[tokio::test]
async fn echo_over_tcp_with_counters_and_addresses() {
    let (server, port) = echo_server().await;
    let addr = server.address().unwrap();
    assert_eq!(addr.inet().unwrap().address, "127.0.0.1");
    assert_eq!(addr.inet().unwrap().family.as_str(), "IPv4");
    let c = connect(("127.0.0.1", port)).await.unwrap();
    assert_eq!(c.ready_state(), "open");
    assert!(!c.pending() && !c.connecting());
    assert_eq!(c.remote_address().as_deref(), Some("127.0.0.1"));
    assert_eq!(c.remote_port(), Some(port));
    assert_eq!(c.remote_family().unwrap().as_str(), "IPv4");
    assert!(c.local_port().unwrap() > 0);
    assert!(c.write("hello "));
    c.end_with("world");
    assert_eq!(c.ready_state(), "readOnly");
    assert_eq!(read_all(&c).await, b"hello world");
    assert_eq!(c.bytes_written(), 11);
    assert_eq!(c.bytes_read(), 11);
    c.closed().await;
    assert_eq!(c.ready_state(), "closed");
    assert!(c.destroyed());
    server.close().unwrap();
    server.closed().await;
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
    c.connect(("127.0.0.1", port)).await.unwrap();
    c.write_all("ping").await.unwrap();
    c.end();
    c.closed().await;
    assert_eq!(
        *l.lock().unwrap(),
        ["connect", "ready", "finish", "data:ping", "end", "close:false"]
    );
    server.close().unwrap();
}

#[tokio::test]
async fn unix_path_and_abstract_namespace() {
    let path = temp_path("echo.sock");
    let _ = std::fs::remove_file(&path);
    let server = create_server(|s: Socket| async move { s.pipe(&s).await });
    let addr = server.listen(path.as_path()).await.unwrap();
    assert_eq!(addr.path(), Some(path.to_str().unwrap()));
    let c = connect(path.as_path()).await.unwrap();
    c.end_with("over unix");
    assert_eq!(read_all(&c).await, b"over unix");
    server.close().unwrap();
    server.closed().await;
    assert!(!path.exists(), "Node removes the socket file on close");

    let name = format!("\0rt-net-abstract-{}", std::process::id());
    let server = create_server(|s: Socket| async move { s.pipe(&s).await });
    let addr = server.listen(ListenOptions::path(&name)).await.unwrap();
    assert_eq!(addr.path(), Some(name.as_str()));
    assert!(addr.to_string().starts_with("\"\\u0000rt-net-abstract-"));
    let c = connect(ConnectOptions::path(&name)).await.unwrap();
    c.end_with("abstract");
    assert_eq!(read_all(&c).await, b"abstract");
    server.close().unwrap();
}

#[tokio::test]
async fn connect_errors_carry_nodes_fields() {
    // A port nothing listens on: bind one, note it, close it.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let c = Socket::new(SocketOptions::default());
    let l = log();
    {
        let l = l.clone();
        c.on(&ERROR, move |e: &NetError| {
            push(&l, format!("error:{}", e.code()))
        });
    }
    {
        let l = l.clone();
        c.on(&CLOSE, move |e| push(&l, format!("close:{e}")));
    }
    let e = c.connect(("127.0.0.1", port)).await.unwrap_err();
    assert_eq!(e.code(), "ECONNREFUSED");
    assert_eq!(e.message(), format!("connect ECONNREFUSED 127.0.0.1:{port}"));
    assert_eq!(e.errno(), Some(-111));
    assert_eq!(e.syscall(), Some("connect"));
    assert_eq!(e.address(), Some("127.0.0.1"));
    assert_eq!(e.port(), Some(i32::from(port)));
    assert_eq!(*l.lock().unwrap(), ["error:ECONNREFUSED", "close:true"]);
    assert!(c.destroyed());

    let missing = temp_path("missing.sock");
    let e = connect(missing.as_path()).await.unwrap_err();
    assert_eq!(e.code(), "ENOENT");
    assert_eq!(e.message(), format!("connect ENOENT {}", missing.display()));

    let e = connect(("nosuchhost.invalid", 80)).await.unwrap_err();
    assert_eq!(e.code(), "ENOTFOUND");
    assert_eq!(e.message(), "getaddrinfo ENOTFOUND nosuchhost.invalid");
}

#[tokio::test]
async fn listen_on_used_port_is_eaddrinuse_and_retry_works() {
    let (first, port) = echo_server().await;
    let second = Server::new();
    let l = log();
    {
        let l = l.clone();
        second.on(&ERROR, move |e: &NetError| push(&l, e.code().to_string()));
    }
    let e = second.listen(("127.0.0.1", port)).await.unwrap_err();
    assert_eq!(e.code(), "EADDRINUSE");
    assert_eq!(
        e.message(),
        format!("listen EADDRINUSE: address already in use 127.0.0.1:{port}")
    );
    assert_eq!(e.syscall(), Some("listen"));
    assert_eq!(*l.lock().unwrap(), ["EADDRINUSE"]);
    assert!(!second.listening());
    assert_eq!(second.close().unwrap_err().code(), "ERR_SERVER_NOT_RUNNING");
    first.close().unwrap();
    first.closed().await;
    // The notes' retry: listen again once the port is free.
    second.listen(("127.0.0.1", port)).await.unwrap();
    assert!(second.listening());
    assert_eq!(
        second.listen(("127.0.0.1", 0)).await.unwrap_err().code(),
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
    let port = server.listen(("127.0.0.1", 0)).await.unwrap().port().unwrap();
    let a = connect(("127.0.0.1", port)).await.unwrap();
    let b = connect(("127.0.0.1", port)).await.unwrap();
    let sa = server.accept().await.unwrap();
    let sb = server.accept().await.unwrap();
    assert_eq!(server.get_connections(), 2);
    server.close().unwrap();
    assert!(!server.listening());
    // New connections are refused at once.
    assert_eq!(
        connect(("127.0.0.1", port)).await.unwrap_err().code(),
        "ECONNREFUSED"
    );
    assert_eq!(*l.lock().unwrap(), ["listening"]);
    a.end();
    assert!(sa.read().await.unwrap().is_none());
    sa.closed().await;
    assert_eq!(server.get_connections(), 1);
    assert_eq!(*l.lock().unwrap(), ["listening"]);
    b.destroy();
    assert!(sb.read().await.unwrap().is_none());
    server.closed().await;
    assert_eq!(server.get_connections(), 0);
    assert_eq!(*l.lock().unwrap(), ["listening", "close"]);
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
    let port = server.listen(("127.0.0.1", 0)).await.unwrap().port().unwrap();
    let a = connect(("127.0.0.1", port)).await.unwrap();
    let _sa = server.accept().await.unwrap();
    let b = connect(("127.0.0.1", port)).await.unwrap();
    // The dropped client sees the end at once.
    assert!(b.read().await.unwrap().is_none());
    let info = drops.lock().unwrap()[0].clone();
    assert_eq!(info.remote_port, b.local_port().unwrap());
    assert_eq!(info.local_port, port);
    assert_eq!(info.remote_address, "127.0.0.1");
    assert_eq!(info.local_family.as_str(), "IPv4");
    assert_eq!(server.get_connections(), 1);
    drop(a);
    server.close().unwrap();
    server.close_all_connections();
    server.closed().await;
}

#[tokio::test]
async fn connection_event_and_handler_both_fire() {
    let seen = log();
    let server = create_server(|s: Socket| async move {
        s.end_with("goodbye\n");
    });
    {
        let seen = seen.clone();
        server.on(&CONNECTION, move |s: &Socket| {
            push(&seen, s.remote_address().unwrap())
        });
    }
    let port = server.listen(("127.0.0.1", 0)).await.unwrap().port().unwrap();
    let c = connect(("127.0.0.1", port)).await.unwrap();
    assert_eq!(read_all(&c).await, b"goodbye\n");
    assert_eq!(*seen.lock().unwrap(), ["127.0.0.1"]);
    server.close().unwrap();
}

#[tokio::test]
async fn timeout_fires_once_and_does_not_close() {
    let (server, port) = echo_server().await;
    let c = connect(("127.0.0.1", port)).await.unwrap();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    c.on(&TIMEOUT, move |_| {
        let _ = tx.send(());
    });
    c.set_timeout(Duration::from_millis(30));
    assert_eq!(c.timeout(), Duration::from_millis(30));
    rx.recv().await.unwrap();
    assert_eq!(c.ready_state(), "open");
    assert!(!c.destroyed());
    // Still usable after the timeout.
    c.write_all("after").await.unwrap();
    assert_eq!(&c.read().await.unwrap().unwrap()[..], b"after");
    // Fires again only after new idle time; disable it and no more come.
    rx.recv().await.unwrap();
    c.set_timeout(Duration::ZERO);
    c.destroy();
    server.close().unwrap();
}

#[tokio::test]
async fn half_open_keeps_our_side_writable() {
    let server = create_server(|s: Socket| async move {
        let got = read_all(&s).await;
        // The client ended; with allow_half_open we can still answer.
        assert_eq!(s.ready_state(), "writeOnly");
        s.write_all(format!("got {} bytes", got.len())).await.unwrap();
        s.end();
    });
    let port = server.listen(("127.0.0.1", 0)).await.unwrap().port().unwrap();
    drop(server.clone());
    let server2 = Server::with_options(
        ServerOptions {
            allow_half_open: true,
            ..Default::default()
        },
        Some(|s: Socket| async move {
            let got = read_all(&s).await;
            assert_eq!(s.ready_state(), "writeOnly");
            s.write_all(format!("got {} bytes", got.len())).await.unwrap();
            s.end();
        }),
    );
    let port2 = server2.listen(("127.0.0.1", 0)).await.unwrap().port().unwrap();
    let c = connect(("127.0.0.1", port2)).await.unwrap();
    c.end_with("12345");
    assert_eq!(read_all(&c).await, b"got 5 bytes");
    // Without allow_half_open, our side ends when the peer's does.
    let c = connect(("127.0.0.1", port)).await.unwrap();
    c.set_allow_half_open(true);
    let ended = log();
    {
        let ended = ended.clone();
        c.on(&FINISH, move |_| push(&ended, "finish"));
    }
    c.end_with("x");
    let _ = read_all(&c).await;
    server.close().unwrap();
    server2.close().unwrap();
}

#[tokio::test]
async fn set_encoding_keeps_characters_whole() {
    let server = create_server(|s: Socket| async move {
        let text = "héllo wörld €";
        let bytes = text.as_bytes();
        for b in bytes {
            s.write_all(vec![*b]).await.unwrap();
            tokio::task::yield_now().await;
        }
        s.end();
    });
    let port = server.listen(("127.0.0.1", 0)).await.unwrap().port().unwrap();
    let c = connect(("127.0.0.1", port)).await.unwrap();
    c.set_encoding("utf8").unwrap();
    let text = String::from_utf8(read_all(&c).await).unwrap();
    assert_eq!(text, "héllo wörld €");
    assert_eq!(c.set_encoding("nope").unwrap_err().code(), "ERR_UNKNOWN_ENCODING");
    server.close().unwrap();
}

#[tokio::test]
async fn write_returns_false_at_the_mark_and_drain_follows() {
    let server = Server::new();
    let port = server.listen(("127.0.0.1", 0)).await.unwrap().port().unwrap();
    let c = connect(ConnectOptions {
        socket: SocketOptions {
            high_water_mark: 64 * 1024,
            ..Default::default()
        },
        ..ConnectOptions::tcp("127.0.0.1", port)
    })
    .await
    .unwrap();
    let peer = server.accept().await.unwrap();
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
    while c.write(chunk.clone()) {
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
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let tx = std::sync::Mutex::new(Some(tx));
    c.once(&DRAIN, move |_| {
        if let Some(tx) = tx.lock().unwrap().take() {
            let _ = tx.send(());
        }
    });
    rx.await.unwrap();
    c.end();
    let got = reader.await.unwrap();
    assert_eq!(got.len(), sent);
    assert!(got.iter().all(|b| *b == 7));
    assert_eq!(drains.load(std::sync::atomic::Ordering::SeqCst), 1);
    server.close().unwrap();
}

#[tokio::test]
async fn pause_stops_reading_from_the_kernel() {
    let server = Server::new();
    let port = server.listen(("127.0.0.1", 0)).await.unwrap().port().unwrap();
    let c = connect(("127.0.0.1", port)).await.unwrap();
    let peer = server.accept().await.unwrap();
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
        if !c.write(chunk.clone()) {
            total += chunk.len();
            break;
        }
        total += chunk.len();
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
    c.drained().await.unwrap();
    c.end();
    peer.closed().await;
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
    c.connect(ConnectOptions {
        family: Some(rt_net::Family::IPv4),
        ..ConnectOptions::tcp("localhost", port)
    })
    .await
    .unwrap();
    assert_eq!(*seen.lock().unwrap(), ["127.0.0.1 4 localhost"]);
    c.destroy();
    server.close().unwrap();
}

#[tokio::test]
async fn listen_on_handed_over_listeners() {
    let std_l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = std_l.local_addr().unwrap().port();
    let server = create_server(|s: Socket| async move { s.pipe(&s).await });
    let addr = server.listen_handle(std_l).await.unwrap();
    assert_eq!(addr.port(), Some(port));
    let c = connect(("127.0.0.1", port)).await.unwrap();
    c.end_with("handed");
    assert_eq!(read_all(&c).await, b"handed");
    server.close().unwrap();

    // A raw fd (as a parent process would hand over).
    let std_l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = std_l.local_addr().unwrap().port();
    let fd: std::os::fd::OwnedFd = std_l.into();
    let server = create_server(|s: Socket| async move { s.pipe(&s).await });
    server.listen_handle(fd).await.unwrap();
    let c = connect(("127.0.0.1", port)).await.unwrap();
    c.end_with("fd");
    assert_eq!(read_all(&c).await, b"fd");
    server.close().unwrap();
}

#[tokio::test]
async fn keep_alive_and_no_delay_reach_the_os() {
    let (server, port) = echo_server().await;
    let c = connect(ConnectOptions {
        no_delay: true,
        ..ConnectOptions::tcp("127.0.0.1", port)
    })
    .await
    .unwrap();
    assert_eq!(c.no_delay(), Some(true));
    c.set_no_delay(false);
    assert_eq!(c.no_delay(), Some(false));
    assert_eq!(c.keep_alive(), Some(false));
    c.set_keep_alive(true, Duration::from_secs(30));
    assert_eq!(c.keep_alive(), Some(true));
    c.destroy();
    server.close().unwrap();
}

#[tokio::test]
async fn write_after_end_and_destroy_are_errors() {
    let (server, port) = echo_server().await;
    let c = connect(("127.0.0.1", port)).await.unwrap();
    c.end();
    assert_eq!(
        c.write_all("x").await.unwrap_err().code(),
        "ERR_STREAM_WRITE_AFTER_END"
    );
    assert!(!c.write("x"));
    // Node: an ended socket still says "write after end" once destroyed.
    c.destroy();
    assert_eq!(
        c.write_all("x").await.unwrap_err().code(),
        "ERR_STREAM_WRITE_AFTER_END"
    );
    let c = connect(("127.0.0.1", port)).await.unwrap();
    c.destroy();
    assert_eq!(c.write_all("x").await.unwrap_err().code(), "ERR_STREAM_DESTROYED");
    server.close().unwrap();
}

#[tokio::test]
async fn writes_before_connect_are_sent() {
    let (server, port) = echo_server().await;
    let c = Socket::new(SocketOptions::default());
    assert!(c.pending());
    c.write("early ");
    c.end_with("bird");
    let c2 = c.clone();
    let reader = tokio::spawn(async move { read_all(&c2).await });
    c.connect(("127.0.0.1", port)).await.unwrap();
    assert_eq!(reader.await.unwrap(), b"early bird");
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
        match connect(ConnectOptions {
            connect_timeout: Some(Duration::from_millis(100)),
            ..ConnectOptions::tcp("127.0.0.1", port)
        })
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
    let port = server.listen(("127.0.0.1", 0)).await.unwrap().port().unwrap();
    let c = connect(("127.0.0.1", port)).await.unwrap();
    let _peer = server.accept().await.unwrap(); // never reads
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
    c.destroy();
    let sent = writer.await.unwrap();
    assert!(sent < 64 << 20, "sent {sent} bytes to a peer that never reads");
    server.close().unwrap();
    server.close_all_connections();
    server.closed().await;
}

#[tokio::test]
async fn destroy_soon_flushes_then_closes() {
    let server = Server::new();
    let port = server.listen(("127.0.0.1", 0)).await.unwrap().port().unwrap();
    let c = connect(("127.0.0.1", port)).await.unwrap();
    let peer = server.accept().await.unwrap();
    let payload = vec![5u8; 3 << 20];
    c.write(payload.clone());
    c.destroy_soon();
    assert_eq!(read_all(&peer).await.len(), payload.len());
    c.closed().await;
    assert!(c.destroyed());
    server.close().unwrap();
}

#[tokio::test]
async fn close_idle_and_all_connections() {
    let server = Server::new();
    let port = server.listen(("127.0.0.1", 0)).await.unwrap().port().unwrap();
    let a = connect(("127.0.0.1", port)).await.unwrap();
    let _sa = server.accept().await.unwrap();
    let b = connect(("127.0.0.1", port)).await.unwrap();
    let _sb = server.accept().await.unwrap();
    server.close().unwrap();
    // Idle connections get our FIN...
    server.close_idle_connections();
    assert!(a.read().await.unwrap().is_none());
    assert!(b.read().await.unwrap().is_none());
    // ...and the rest is torn down at once.
    server.close_all_connections();
    server.closed().await;
    assert_eq!(server.get_connections(), 0);
}

#[tokio::test]
async fn reuse_port_lets_two_servers_share_a_port() {
    let opts = |port| ListenOptions {
        reuse_port: true,
        ..ListenOptions::tcp("127.0.0.1", port)
    };
    let a = create_server(|s: Socket| async move { s.end_with("a") });
    let port = a.listen(opts(0)).await.unwrap().port().unwrap();
    let b = create_server(|s: Socket| async move { s.end_with("b") });
    b.listen(opts(port)).await.unwrap();
    // Without the option the port is taken.
    assert_eq!(
        Server::new()
            .listen(("127.0.0.1", port))
            .await
            .unwrap_err()
            .code(),
        "EADDRINUSE"
    );
    let c = connect(("127.0.0.1", port)).await.unwrap();
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
    check::<NetError>();
    check::<rt_net::ServerAddress>();
}

#[tokio::test]
async fn unix_permissions_and_handed_over_unix_fd() {
    use std::os::unix::fs::PermissionsExt;
    let path = temp_path("perm.sock");
    let _ = std::fs::remove_file(&path);
    let server = Server::new();
    server
        .listen(ListenOptions {
            readable_all: true,
            writable_all: true,
            ..ListenOptions::path(&path)
        })
        .await
        .unwrap();
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode & 0o066, 0o066, "mode {mode:o}");
    server.close().unwrap();

    let path = temp_path("fd.sock");
    let _ = std::fs::remove_file(&path);
    let std_l = std::os::unix::net::UnixListener::bind(&path).unwrap();
    let fd: std::os::fd::OwnedFd = std_l.into();
    let server = create_server(|s: Socket| async move { s.pipe(&s).await });
    let addr = server.listen_handle(fd).await.unwrap();
    assert_eq!(addr.path(), Some(path.to_str().unwrap()));
    let c = connect(path.as_path()).await.unwrap();
    c.end_with("unix fd");
    assert_eq!(read_all(&c).await, b"unix fd");
    server.close().unwrap();
}

#[tokio::test]
async fn huge_timeouts_do_not_panic() {
    let (server, port) = echo_server().await;
    let c = connect(ConnectOptions {
        connect_timeout: Some(Duration::MAX),
        ..ConnectOptions::tcp("127.0.0.1", port)
    })
    .await
    .unwrap();
    c.set_timeout(Duration::MAX);
    c.set_keep_alive(true, Duration::MAX);
    c.write_all("still fine").await.unwrap();
    assert_eq!(&c.read().await.unwrap().unwrap()[..], b"still fine");
    c.destroy();
    server.close().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closing_unix_servers_under_load_does_not_spin() {
    // Regression: a shut-down Unix listener reports hang-up while accept
    // answers EAGAIN; the accept task must not be left polling it.
    for i in 0..20 {
        let path = temp_path(&format!("spin-{i}.sock"));
        let _ = std::fs::remove_file(&path);
        let server = create_server(|s: Socket| async move { s.pipe(&s).await });
        server.listen(path.as_path()).await.unwrap();
        let c = connect(path.as_path()).await.unwrap();
        c.end_with("x");
        assert_eq!(read_all(&c).await, b"x");
        server.close().unwrap();
        server.closed().await;
        assert_eq!(connect(path.as_path()).await.unwrap_err().code(), "ENOENT");
    }
}
