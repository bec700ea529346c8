//! Connections handed in with data already waiting (a cluster worker's,
//! accepted by the primary and sent over IPC): a transport that assumes
//! its fd ready (`Transport::assume_ready`) reads and writes at once,
//! without waiting for the reactor's first report on the fd, and sees the
//! same bytes, end of file and errors as one that waits. Every wait is
//! bounded.

use std::io::{self, Read, Write};
use std::os::fd::OwnedFd;
use std::sync::{Arc, Mutex};

use rt_net::transport::{Io, Transport};
use rt_net::{Arrival, Server};
use rt_tests::wait::{recv_async, within};

const REQUEST: &[u8] = b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";

fn errno(e: &io::Error) -> &'static str {
    rt_stream::errno::describe(e.raw_os_error().unwrap_or(0)).0
}

/// A connected TCP pair made without tokio (so neither end is registered
/// with the reactor yet): `(ours, peer)`.
fn tcp_pair() -> (std::net::TcpStream, std::net::TcpStream) {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let peer = std::net::TcpStream::connect(l.local_addr().unwrap()).unwrap();
    let (ours, _) = l.accept().unwrap();
    (ours, peer)
}

/// `ours` adopted as a freshly registered transport, assuming it ready or not.
fn adopt(ours: impl Into<OwnedFd>, ready: bool) -> Transport {
    let t = Transport::new(Io::from_fd(ours.into()).unwrap());
    if ready { t.assume_ready() } else { t }
}

/// What a transport reads until end of file or an error, bounded: each
/// read's outcome (`data:<bytes>`, `eof`, `error:<code>`).
async fn outcomes(t: &mut Transport) -> Vec<String> {
    let mut seen = Vec::new();
    within(10, "the reads up to end of file or an error", async {
        loop {
            match t.read().await {
                Ok(0) => {
                    seen.push("eof".to_string());
                    break;
                }
                Ok(_) => seen.push(format!("data:{}", String::from_utf8_lossy(&t.buffer().split()))),
                Err(e) => {
                    seen.push(format!("error:{}", errno(&e)));
                    if seen.len() > 3 {
                        break;
                    }
                }
            }
        }
    })
    .await;
    seen
}

#[tokio::test]
async fn a_request_already_waiting_is_read_and_answered_without_the_reactor() {
    for kind in ["tcp", "unix"] {
        let (ours, mut peer): (OwnedFd, Box<dyn ReadWrite>) = if kind == "tcp" {
            let (o, p) = tcp_pair();
            (o.into(), Box::new(p))
        } else {
            let (o, p) = std::os::unix::net::UnixStream::pair().unwrap();
            (o.into(), Box::new(p))
        };
        peer.write_all(REQUEST).unwrap();
        // No await between adopting the fd and reading: the reactor has not
        // turned, tokio's readiness of the new registration is empty.
        let mut t = adopt(ours, true);
        assert_eq!(
            t.try_read().expect("the waiting request, read at once"),
            REQUEST.len(),
            "{kind}"
        );
        assert_eq!(t.data(), REQUEST, "{kind}");
        let answer = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi";
        assert_eq!(
            t.try_write(answer).expect("the answer, written at once"),
            answer.len(),
            "{kind}"
        );
        let mut got = vec![0; answer.len()];
        peer.read_exact(&mut got).unwrap();
        assert_eq!(got, answer, "{kind}");
        // The read was short (the socket drained): the next one waits for
        // the reactor as usual, and is woken by new bytes.
        assert_eq!(t.try_read().unwrap_err().kind(), io::ErrorKind::WouldBlock);
        t.buffer().clear();
        peer.write_all(b"more").unwrap();
        let mut t2 = t;
        within(10, "bytes sent after the first read", t2.read())
            .await
            .unwrap();
        assert_eq!(t2.data(), b"more", "{kind}");
    }
}

/// The premise: without `assume_ready`, a fresh registration's first read
/// and write wait for the reactor even with the request in the socket.
#[tokio::test]
async fn without_assume_ready_the_first_read_waits_for_the_reactor() {
    let (ours, mut peer) = tcp_pair();
    peer.write_all(REQUEST).unwrap();
    let mut t = adopt(ours, false);
    assert_eq!(t.try_read().unwrap_err().kind(), io::ErrorKind::WouldBlock);
    assert_eq!(t.try_write(b"x").unwrap_err().kind(), io::ErrorKind::WouldBlock);
    within(10, "the request once the reactor reports it", t.read())
        .await
        .unwrap();
    assert_eq!(t.data(), REQUEST);
}

#[tokio::test]
async fn reset_closed_and_silent_connections_read_the_same_either_way() {
    // (peer's doing, expected outcomes)
    let cases: [(&str, &[&str]); 3] = [
        ("reset", &["error:ECONNRESET", "eof"]),
        ("data then close", &["data:hello", "eof"]),
        ("close", &["eof"]),
    ];
    let mut compared = 0;
    for (case, want) in cases {
        let mut seen = Vec::new();
        for ready in [true, false] {
            let (ours, peer) = tcp_pair();
            match case {
                "reset" => {
                    socket2::SockRef::from(&peer)
                        .set_linger(Some(std::time::Duration::ZERO))
                        .unwrap();
                    drop(peer);
                }
                "data then close" => {
                    (&peer).write_all(b"hello").unwrap();
                    drop(peer);
                }
                _ => drop(peer),
            }
            // On loopback the peer's RST or FIN is delivered before its
            // close returns: it waits in the socket when the fd is adopted.
            let mut t = adopt(ours, ready);
            seen.push(outcomes(&mut t).await);
            compared += 1;
        }
        assert_eq!(seen[0], want, "{case}, assumed ready");
        assert_eq!(seen[1], want, "{case}, waiting for the reactor");
    }
    assert_eq!(compared, 6);
}

#[tokio::test]
async fn nothing_waiting_costs_one_read_then_the_reactor_wakes_it() {
    let (ours, mut peer) = tcp_pair();
    let mut t = adopt(ours, true);
    assert_eq!(t.try_read().unwrap_err().kind(), io::ErrorKind::WouldBlock);
    let writer = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(50));
        peer.write_all(b"late").unwrap();
        peer
    });
    within(10, "bytes that came after the first read", t.read())
        .await
        .unwrap();
    assert_eq!(t.data(), b"late");
    drop(writer.join().unwrap());
}

#[tokio::test]
async fn more_than_one_read_waiting_and_a_full_send_buffer_fall_back_to_the_reactor() {
    let (ours, peer) = std::os::unix::net::UnixStream::pair().unwrap();
    // 100 KiB waiting: direct reads (8 KiB at most each) until one is short.
    let sent: Vec<u8> = (0..100 * 1024).map(|i| (i % 251) as u8).collect();
    (&peer).write_all(&sent[..]).unwrap();
    let mut t = adopt(ours, true);
    let mut got = Vec::new();
    within(10, "the 100 KiB waiting", async {
        while got.len() < sent.len() {
            assert!(t.read().await.unwrap() > 0, "end of file too early");
            got.extend_from_slice(&t.buffer().split());
        }
    })
    .await;
    assert_eq!(got, sent);
    // 8 MiB written at once: the send buffer fills (a direct write would
    // block), the rest waits for the reactor's writable report.
    let big: Vec<u8> = (0..8 << 20).map(|i| (i % 253) as u8).collect();
    let reader = std::thread::spawn(move || {
        let mut all = Vec::new();
        (&peer).take(8 << 20).read_to_end(&mut all).unwrap();
        all
    });
    within(20, "8 MiB written through a full send buffer", t.write_all(&big))
        .await
        .unwrap();
    assert_eq!(reader.join().unwrap(), big);
}

#[tokio::test]
async fn the_raw_hook_hears_whether_a_connection_was_accepted_or_handed_in() {
    let server = Server::new();
    let heard = Arc::new(Mutex::new(Vec::new()));
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let h = heard.clone();
    server.on_raw_connection(move |io, arrival| {
        h.lock().unwrap().push(arrival);
        let _ = tx.send(io);
        None
    });
    let (a, _b) = Io::pair().unwrap();
    server.feed_connection(a);
    let _fed = recv_async(&mut rx, 5, "the fed connection").await;
    let port = server.listen(("127.0.0.1", 0)).await.unwrap().port().unwrap();
    let _c = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let _accepted = recv_async(&mut rx, 5, "the accepted connection").await;
    assert_eq!(*heard.lock().unwrap(), [Arrival::HandedIn, Arrival::Accepted]);
    server.close().unwrap();
}

trait ReadWrite: io::Read + io::Write {}
impl<T: io::Read + io::Write> ReadWrite for T {}

/// Times the runtime parked (waited for the reactor with nothing to run).
static PARKS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// A plain (non-http) server fed a connection with its data waiting: the
/// handler's first read gets the data and its write goes out without the
/// runtime parking to wait for the reactor's first report on the fd.
#[test]
fn a_handed_in_socket_is_read_and_answered_before_the_runtime_parks() {
    use std::sync::atomic::Ordering;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .on_thread_park(|| {
            PARKS.fetch_add(1, Ordering::SeqCst);
        })
        .build()
        .unwrap();
    rt.block_on(async {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let server = rt_net::create_server(move |s: rt_net::Socket| {
            let tx = tx.clone();
            async move {
                if let Some(Ok(chunk)) = s.read().await {
                    let _ = s.write(chunk.to_vec());
                    let _ = tx.send(chunk.len());
                }
            }
        });
        let (ours, mut peer) = tcp_pair();
        peer.write_all(b"ping").unwrap();
        peer.set_nonblocking(true).unwrap();
        let io = Io::from_fd(ours.into()).unwrap();
        let parks = PARKS.load(Ordering::SeqCst);
        server.feed_connection(io);
        let n = recv_async(&mut rx, 10, "the handler's echo").await;
        let parked = PARKS.load(Ordering::SeqCst) - parks;
        assert_eq!(n, 4);
        assert_eq!(
            parked, 0,
            "the runtime parked {parked} time(s) (waiting for the reactor) before the handed-in \
             socket's data was read and echoed"
        );
        let mut got = [0u8; 4];
        peer.read_exact(&mut got)
            .expect("the echo is in the peer's socket already");
        assert_eq!(&got, b"ping");
    });
}
