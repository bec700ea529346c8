//! The transport: one fd pump for TCP, Unix sockets, pipes and socketpairs,
//! vectored writes, fd passing, error mapping, the raw-connection hook and
//! sockets made from fds. Every wait is bounded.

use std::io::{self, IoSlice};
use std::os::fd::{AsFd, OwnedFd};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use rt_net::transport::{Io, MAX_FDS, Transport};
use rt_net::{Emitter, ListenHandle, Server, Socket, SocketOptions, connect, create_server};
use rt_tests::wait::{recv_async, within};

fn code(e: &io::Error) -> &'static str {
    rt_stream::errno::describe(e.raw_os_error().unwrap_or(0)).0
}

/// Reads from `t` until its buffer holds `n` bytes (or end of file), bounded.
async fn read_n(t: &mut Transport, n: usize, what: &str) -> Vec<u8> {
    within(10, what, async {
        while t.buffer().len() < n {
            if t.read().await.expect("read") == 0 {
                break;
            }
        }
    })
    .await;
    t.buffer().split().to_vec()
}

async fn tcp_pair() -> (Io, Io) {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    let (a, b) = within(10, "a TCP pair", async {
        tokio::join!(tokio::net::TcpStream::connect(addr), l.accept())
    })
    .await;
    (Io::Tcp(a.unwrap()), Io::Tcp(b.unwrap().0))
}

/// A fresh file path in a temp folder of its own; the folder is removed when
/// the returned `TempDir` drops (files already open stay usable).
fn temp_path(name: &str) -> (rt_tests::temp::TempDir, std::path::PathBuf) {
    let dir = rt_tests::temp::TempDir::new("rt-net-transport");
    let p = dir.path().join(name);
    (dir, p)
}

async fn unix_path_pair() -> (Io, Io) {
    let (_dir, path) = temp_path("pair.sock");
    let l = tokio::net::UnixListener::bind(&path).unwrap();
    let (a, b) = within(10, "a Unix socket pair", async {
        tokio::join!(tokio::net::UnixStream::connect(&path), l.accept())
    })
    .await;
    (Io::Unix(a.unwrap()), Io::Unix(b.unwrap().0))
}

/// Both directions of a duplex pair, then end of file after the writer's FIN.
async fn exchange(a: Io, b: Io, kind: &str) {
    let (mut a, mut b) = (Transport::new(a), Transport::new(b));
    a.write_all(format!("ping over {kind}").as_bytes()).await.unwrap();
    let got = read_n(&mut b, 9 + kind.len(), &format!("ping over {kind}")).await;
    assert_eq!(got, format!("ping over {kind}").as_bytes());
    b.write_all_vectored(&mut [IoSlice::new(b"po"), IoSlice::new(b""), IoSlice::new(b"ng")])
        .await
        .unwrap();
    assert_eq!(read_n(&mut a, 4, &format!("pong over {kind}")).await, b"pong");
    a.shutdown_write().unwrap();
    let n = within(10, &format!("end of file over {kind}"), b.read())
        .await
        .unwrap();
    assert_eq!(n, 0, "{kind}: expected end of file");
}

#[tokio::test]
async fn every_source_kind_reads_and_writes_through_the_pump() {
    let mut kinds = 0;
    let (a, b) = tcp_pair().await;
    exchange(a, b, "tcp").await;
    kinds += 1;
    let (a, b) = unix_path_pair().await;
    exchange(a, b, "unix").await;
    kinds += 1;
    let (a, b) = Io::pair().unwrap();
    exchange(a, b, "socketpair").await;
    kinds += 1;

    // A pipe: one direction; dropping the write end is end of file.
    let (r, w) = Io::pipe().unwrap();
    assert!(matches!((&r, &w), (Io::PipeReader(_), Io::PipeWriter(_))));
    let (mut r, w) = (Transport::new(r), Transport::new(w));
    w.write_all_vectored(&mut [IoSlice::new(b"child "), IoSlice::new(b"stdout")])
        .await
        .unwrap();
    assert_eq!(read_n(&mut r, 12, "pipe data").await, b"child stdout");
    // The wrong directions answer as the OS does, without waiting.
    assert_eq!(code(&r.try_write(b"x").unwrap_err()), "EBADF");
    drop(w);
    assert_eq!(within(10, "pipe end of file", r.read()).await.unwrap(), 0);
    kinds += 1;
    println!("{kinds} source kinds exchanged data");
    assert_eq!(kinds, 4);
}

#[tokio::test]
async fn adopted_fds_keep_their_kind() {
    let (a, _b) = tcp_pair().await;
    assert!(Io::from_fd(a.into_fd().unwrap()).unwrap().is_tcp());
    let (a, _b) = Io::pair().unwrap();
    assert!(matches!(Io::from_fd(a.into_fd().unwrap()).unwrap(), Io::Unix(_)));
    let (r, w) = Io::pipe().unwrap();
    assert!(matches!(
        Io::from_fd(r.into_fd().unwrap()).unwrap(),
        Io::PipeReader(_)
    ));
    assert!(matches!(
        Io::from_fd(w.into_fd().unwrap()).unwrap(),
        Io::PipeWriter(_)
    ));
    // A regular file, a listening socket and a datagram socket are refused.
    let file = std::fs::File::create(temp_path("regular").1).unwrap();
    assert_eq!(code(&Io::from_fd(file.into()).unwrap_err()), "EINVAL");
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    assert_eq!(code(&Io::from_fd(l.into()).unwrap_err()), "EINVAL");
    let udp = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    assert_eq!(code(&Io::from_fd(udp.into()).unwrap_err()), "EINVAL");
}

#[tokio::test]
async fn vectored_writes_resume_after_partial_progress() {
    let (a, b) = Io::pair().unwrap();
    a.sock().set_send_buffer_size(4096).unwrap();
    b.sock().set_recv_buffer_size(4096).unwrap();
    let (a, mut b) = (Transport::new(a), Transport::new(b));
    let head = b"HTTP/1.1 200 OK\r\ncontent-length: 1048576\r\n\r\n".to_vec();
    let body: Vec<u8> = (0..1024 * 1024).map(|i| (i % 251) as u8).collect();
    let total = head.len() + body.len();

    // By hand first: the kernel takes part of the slices, we go on from there.
    let mut partial = 0;
    let mut sent = 0;
    let mut slices = [IoSlice::new(&head), IoSlice::new(&body)];
    let mut bufs = &mut slices[..];
    while sent < 200_000 {
        match a.try_write_vectored(bufs) {
            Ok(n) => {
                if n < bufs.iter().map(|b| b.len()).sum::<usize>() {
                    partial += 1;
                }
                sent += n;
                IoSlice::advance_slices(&mut bufs, n);
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                // Drain a little on the other side, or wait for room.
                within(10, "reader or writer progress", async {
                    tokio::select! {
                        r = b.read() => { r.unwrap(); }
                        r = a.writable() => r.unwrap(),
                    }
                })
                .await;
            }
            Err(e) => panic!("write failed: {e}"),
        }
    }
    println!("{partial} partial vectored writes by hand");
    assert!(
        partial > 0,
        "the kernel never took part of a writev (buffers too big?)"
    );
    // The rest with write_all_vectored, while the peer reads.
    let writer = async {
        a.write_all_vectored(bufs).await.unwrap();
    };
    let reader = async {
        while b.buffer().len() < total {
            assert!(b.read().await.unwrap() > 0, "early end of file");
        }
    };
    within(20, "the rest written and read", async {
        tokio::join!(writer, reader)
    })
    .await;
    // Nothing more than the head and the body arrived.
    assert!(
        tokio::time::timeout(Duration::from_millis(50), b.read())
            .await
            .is_err(),
        "extra bytes arrived"
    );
    let got = b.buffer().split();
    assert_eq!(got.len(), total);
    assert_eq!(&got[..head.len()], &head[..]);
    assert!(got[head.len()..] == body[..], "body bytes differ");
}

#[tokio::test]
async fn zero_length_and_empty_writes_are_harmless() {
    let (a, b) = Io::pair().unwrap();
    let (a, mut b) = (Transport::new(a), Transport::new(b));
    assert_eq!(a.try_write(b"").unwrap(), 0);
    within(
        5,
        "empty vectored write",
        a.write_all_vectored(&mut [IoSlice::new(b""), IoSlice::new(b"")]),
    )
    .await
    .unwrap();
    within(5, "empty write", a.write_all(b"")).await.unwrap();
    a.write_all(b"x").await.unwrap();
    assert_eq!(read_n(&mut b, 1, "one byte").await, b"x");
    // Nothing else arrived (the empty writes sent nothing).
    assert!(
        tokio::time::timeout(Duration::from_millis(50), b.read())
            .await
            .is_err()
    );
    // A read size of zero is taken as one.
    b.set_read_size(0);
    a.write_all(b"yz").await.unwrap();
    assert_eq!(read_n(&mut b, 2, "two bytes, one per read").await, b"yz");
}

#[tokio::test]
async fn eof_epipe_and_econnreset_get_node_codes() {
    // EOF: the peer went away.
    let (a, b) = Io::pair().unwrap();
    let (a, mut b) = (Transport::new(a), Transport::new(b));
    drop(a);
    assert_eq!(within(5, "end of file", b.read()).await.unwrap(), 0);
    // EPIPE: writing to a socketpair whose peer closed (no SIGPIPE kills us).
    let e = within(5, "EPIPE", b.write_all(b"to nobody")).await.unwrap_err();
    assert_eq!(code(&e), "EPIPE");
    // ECONNRESET: a TCP peer that resets (linger 0) while data is unread.
    let (a, b) = tcp_pair().await;
    let (a, mut b) = (Transport::new(a), Transport::new(b));
    b.write_all(b"unread by a").await.unwrap();
    tokio::time::sleep(Duration::from_millis(20)).await;
    a.io().sock().set_linger(Some(Duration::ZERO)).unwrap();
    drop(a);
    let e = within(5, "ECONNRESET", async {
        loop {
            match b.read().await {
                Ok(0) => break io::Error::other("end of file instead of a reset"),
                Ok(_) => {}
                Err(e) => break e,
            }
        }
    })
    .await;
    assert_eq!(code(&e), "ECONNRESET", "{e}");
    // A pipe whose reader went away: EPIPE.
    let (r, w) = Io::pipe().unwrap();
    drop(r);
    let e = Transport::new(w).write_all(b"x").await.unwrap_err();
    assert_eq!(code(&e), "EPIPE");
}

#[tokio::test]
async fn a_peer_closing_mid_write_is_an_error_not_a_panic() {
    for kind in ["socketpair", "tcp"] {
        let (a, b) = if kind == "tcp" {
            tcp_pair().await
        } else {
            Io::pair().unwrap()
        };
        let a = Transport::new(a);
        let big = vec![7u8; 8 * 1024 * 1024];
        let closer = async move {
            let mut b = Transport::new(b);
            let _ = b.read().await;
            drop(b);
        };
        let mut slices = [IoSlice::new(&big), IoSlice::new(&big)];
        let (r, ()) = within(20, "the interrupted write", async {
            tokio::join!(a.write_all_vectored(&mut slices), closer)
        })
        .await;
        let e = r.expect_err("8 MiB written to a peer that left");
        println!("{kind}: {}", code(&e));
        assert!(["EPIPE", "ECONNRESET"].contains(&code(&e)), "{kind}: {e}");
    }
}

#[tokio::test]
async fn fds_travel_with_data_and_work_on_the_other_side() {
    let (a, b) = Io::pair().unwrap();
    let (a, mut b) = (Transport::new(a), Transport::new(b).receive_fds().unwrap());

    // A listening server socket and a connected socket (with its peer kept here).
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    let (conn_here, conn_there) = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let c = std::net::TcpStream::connect(l.local_addr().unwrap()).unwrap();
        (c, l.accept().unwrap().0)
    };

    a.write_all(b"plain line\n").await.unwrap();
    a.send_with_fds(
        b"{\"cmd\":\"NODE_HANDLE\",\"type\":\"net.Server\"}\n",
        &[listener.as_fd()],
    )
    .await
    .unwrap();
    a.send_with_fds(
        b"{\"cmd\":\"NODE_HANDLE\",\"type\":\"net.Socket\"}\n",
        &[conn_there.as_fd()],
    )
    .await
    .unwrap();
    // Our copies can go: the receiver holds duplicates.
    drop(listener);
    drop(conn_there);

    let expected = b"plain line\n{\"cmd\":\"NODE_HANDLE\",\"type\":\"net.Server\"}\n{\"cmd\":\"NODE_HANDLE\",\"type\":\"net.Socket\"}\n";
    let got = read_n(&mut b, expected.len(), "the three lines").await;
    assert_eq!(got, expected);
    assert_eq!(b.pending_fds(), 2, "two fds received");
    let server_fd: OwnedFd = b.take_fd().unwrap();
    let socket_fd: OwnedFd = b.take_fd().unwrap();
    assert!(b.take_fd().is_none());

    // The listening socket serves connections here.
    let server = create_server(|s: Socket| async move {
        s.pipe(&s);
        s.wait_end().await
    });
    let addr = server.listen_handle(ListenHandle::Fd(server_fd)).await.unwrap();
    assert_eq!(addr.port(), Some(port));
    let c = within(5, "connect to the passed server", connect(("127.0.0.1", port)))
        .await
        .unwrap();
    let _ = c.end_with("echo through a passed listener");
    let echoed = within(5, "the echo", c.read_all()).await.unwrap();
    let echoed: Vec<u8> = echoed.iter().flat_map(|b| b.to_vec()).collect();
    assert_eq!(echoed, b"echo through a passed listener");
    server.close().unwrap();

    // The connected socket talks to its peer here.
    let s = Socket::from_fd(socket_fd, SocketOptions::default()).unwrap();
    let _ = s.end_with("over a passed socket");
    let mut peer = Transport::new(Io::from_fd(conn_here.into()).unwrap());
    assert_eq!(
        read_n(&mut peer, 100, "data over the passed socket").await,
        b"over a passed socket"
    );
}

#[tokio::test]
async fn fd_passing_refuses_what_it_cannot_do() {
    let (a, _b) = tcp_pair().await;
    let f = std::fs::File::create(temp_path("some-file").1).unwrap();
    assert_eq!(
        code(
            &a.try_send_with_fds(&[IoSlice::new(b"x")], &[f.as_fd()])
                .unwrap_err()
        ),
        "EINVAL"
    );
    assert_eq!(code(&Transport::new(a).receive_fds().unwrap_err()), "EINVAL");
    let (a, _b) = Io::pair().unwrap();
    let many: Vec<_> = (0..=MAX_FDS).map(|_| f.as_fd()).collect();
    assert_eq!(
        code(&a.try_send_with_fds(&[IoSlice::new(b"x")], &many).unwrap_err()),
        "EINVAL"
    );
    // No byte to carry them: EINVAL (a stream needs one).
    assert_eq!(
        code(
            &a.try_send_with_fds(&[IoSlice::new(b"")], &[f.as_fd()])
                .unwrap_err()
        ),
        "EINVAL"
    );
}

#[tokio::test]
async fn fds_sent_to_a_plain_reader_are_dropped_and_the_data_kept() {
    let (a, b) = Io::pair().unwrap();
    let (a, mut b) = (Transport::new(a), Transport::new(b));
    let f = std::fs::File::create(temp_path("dropped-fd").1).unwrap();
    a.send_with_fds(b"data", &[f.as_fd()]).await.unwrap();
    assert_eq!(read_n(&mut b, 4, "the data").await, b"data");
    assert_eq!(b.pending_fds(), 0);
}

#[tokio::test]
async fn the_raw_hook_takes_connections_before_a_socket_exists() {
    let server = Server::new();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let taken = Arc::new(AtomicUsize::new(0));
    let t = taken.clone();
    server.on_raw_connection(move |io, _| {
        // Every other connection is taken raw; the rest go the usual way.
        if t.fetch_add(1, Ordering::SeqCst) % 2 == 0 {
            let _ = tx.send(io);
            None
        } else {
            Some(io)
        }
    });
    let port = server.listen(("127.0.0.1", 0)).await.unwrap().port().unwrap();

    // First connection: taken raw, served on a transport.
    let c1 = connect(("127.0.0.1", port)).await.unwrap();
    let io = recv_async(&mut rx, 5, "the raw connection").await;
    assert!(io.is_tcp());
    assert_eq!(server.get_connections(), 0, "a taken connection is not counted");
    let mut t = Transport::new(io);
    c1.write_all("raw hello").await.unwrap();
    assert_eq!(
        read_n(&mut t, 9, "bytes on the raw transport").await,
        b"raw hello"
    );
    t.write_all(b"raw reply").await.unwrap();
    assert_eq!(
        &within(5, "the reply", c1.read()).await.unwrap().unwrap()[..],
        b"raw reply"
    );

    // Second: given back, it becomes a Socket of the server.
    let c2 = connect(("127.0.0.1", port)).await.unwrap();
    let s2 = within(5, "the accepted socket", server.accept()).await.unwrap();
    assert_eq!(server.get_connections(), 1);
    s2.write_all("socket path").await.unwrap();
    assert_eq!(
        &within(5, "socket data", c2.read()).await.unwrap().unwrap()[..],
        b"socket path"
    );
    assert_eq!(taken.load(Ordering::SeqCst), 2);
    c1.destroy(None);
    c2.destroy(None);
    server.close().unwrap();
}

#[tokio::test]
async fn a_connection_added_from_elsewhere_is_served_like_an_accepted_one() {
    // A cluster worker's view: the connection arrives as an fd.
    let server = create_server(|s: Socket| async move {
        s.pipe(&s);
        s.wait_end().await
    });
    let connections = Arc::new(AtomicUsize::new(0));
    let n = connections.clone();
    server.on(&rt_net::events::CONNECTION, move |_| {
        n.fetch_add(1, Ordering::SeqCst);
    });
    let (ours, theirs) = Io::pair().unwrap();
    server.add_connection(Io::from_fd(theirs.into_fd().unwrap()).unwrap());
    assert_eq!(connections.load(Ordering::SeqCst), 1);
    assert_eq!(server.get_connections(), 1);
    let mut ours = Transport::new(ours);
    ours.write_all(b"handed over").await.unwrap();
    assert_eq!(read_n(&mut ours, 11, "the echo").await, b"handed over");
}

#[tokio::test]
async fn sockets_from_pipes_streams_and_transports() {
    // A pipe's read end as a Socket (a child's stdout): data, then 'end'.
    let (r, w) = Io::pipe().unwrap();
    let s = Socket::from_io(r, SocketOptions::default());
    let w = Transport::new(w);
    w.write_all(b"from the child").await.unwrap();
    drop(w);
    let got = within(5, "pipe data and end", s.read_all()).await.unwrap();
    assert_eq!(
        got.iter().flat_map(|b| b.to_vec()).collect::<Vec<_>>(),
        b"from the child"
    );

    // A pipe's write end as a Socket (a child's stdin): end() closes it.
    let (r, w) = Io::pipe().unwrap();
    let s = Socket::from_io(w, SocketOptions::default());
    let _ = s.end_with("to the child");
    let mut r = Transport::new(r);
    assert_eq!(
        read_n(&mut r, 100, "stdin data then end of file").await,
        b"to the child"
    );

    // tokio and std streams.
    let (a, b) = tokio::net::UnixStream::pair().unwrap();
    let s = Socket::from(a);
    let _ = s.end_with("tokio");
    let mut b = Transport::new(Io::Unix(b));
    assert_eq!(read_n(&mut b, 100, "over a tokio stream").await, b"tokio");
    let (a, b) = std::os::unix::net::UnixStream::pair().unwrap();
    let s = Socket::try_from(a).unwrap();
    let _ = s.end_with("std");
    let mut b = Transport::new(Io::from_fd(b.into()).unwrap());
    assert_eq!(read_n(&mut b, 100, "over a std stream").await, b"std");

    // A transport that read ahead: its unread bytes come first.
    let (a, b) = Io::pair().unwrap();
    let (a, mut b) = (Transport::new(a), Transport::new(b));
    a.write_all(b"GET / HTTP/1.1\r\n\r\nleftover").await.unwrap();
    within(5, "the request", async {
        while b.buffer().len() < 26 {
            b.read().await.unwrap();
        }
    })
    .await;
    let _head = b.buffer().split_to(18);
    let s = Socket::from_transport(b, SocketOptions::default());
    a.write_all(b" and more").await.unwrap();
    drop(a);
    let got = within(5, "upgraded socket data", s.read_all()).await.unwrap();
    assert_eq!(
        got.iter().flat_map(|b| b.to_vec()).collect::<Vec<_>>(),
        b"leftover and more"
    );

    // A bad fd kind: EINVAL with Node's code.
    let f = std::fs::File::create(temp_path("not-a-socket").1).unwrap();
    let e = Socket::from_fd(f.into(), SocketOptions::default()).unwrap_err();
    assert_eq!(e.code(), "EINVAL");
}

#[tokio::test]
async fn a_connection_task_selects_reads_against_its_timer() {
    let (a, b) = Io::pair().unwrap();
    let (a, mut b) = (Transport::new(a), Transport::new(b));
    b.timer().set_timeout(Duration::from_millis(100));
    a.write_all(b"one").await.unwrap();
    // The timer is a cheap handle: clone it to await it beside `read`.
    let timer = b.timer().clone();
    let mut reads = 0;
    let timed_out = within(5, "the idle timeout", async {
        loop {
            tokio::select! {
                r = b.read() => { assert!(r.unwrap() > 0); reads += 1; }
                fired = timer.expired() => break fired,
            }
        }
    })
    .await;
    assert!(timed_out);
    assert_eq!(reads, 1);
    assert_eq!(b.buffer().split().to_vec(), b"one");
}
