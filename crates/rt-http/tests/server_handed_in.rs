//! A connection handed in from another process (a round-robin cluster
//! worker's: `rt_net::Server::feed_connection`) usually has its request in
//! the socket already: the server reads it, calls the handler and writes
//! the answer at once, without parking the runtime to wait for the
//! reactor's first report on the new fd; and a handed-in connection whose
//! peer reset or closed it first ends as an accepted one does. Every wait
//! is bounded.

use std::io::{Read, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use rt_events::Emitter;
use rt_http::server::{CLIENT_ERROR, CONNECTION, ClientError};
use rt_http::{IncomingMessage, ServerResponse};
use rt_net::transport::Io;
use rt_tests::wait::{recv_async, wait_until_async, within};

const REQUEST: &[u8] = b"GET /handed HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";

/// A connected TCP pair made without tokio: `(ours, peer)`.
fn tcp_pair() -> (std::net::TcpStream, std::net::TcpStream) {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let peer = std::net::TcpStream::connect(l.local_addr().unwrap()).unwrap();
    let (ours, _) = l.accept().unwrap();
    (ours, peer)
}

/// Times the runtime parked (waited for the reactor with nothing to run).
static PARKS: AtomicUsize = AtomicUsize::new(0);

#[test]
fn a_handed_in_request_is_answered_before_the_runtime_parks() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .on_thread_park(|| {
            PARKS.fetch_add(1, Ordering::SeqCst);
        })
        .build()
        .unwrap();
    rt.block_on(async {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let server = rt_http::create_server(move |req: IncomingMessage, res: ServerResponse| {
            let _ = res.end_with("hi");
            let _ = tx.send(req.url().to_string());
        });
        let (ours, mut peer) = tcp_pair();
        peer.write_all(REQUEST).unwrap();
        peer.set_nonblocking(true).unwrap();
        let io = Io::from_fd(ours.into()).unwrap();
        let parks = PARKS.load(Ordering::SeqCst);
        server.net().feed_connection(io);
        // This task sleeps until the handler says it answered: only the
        // connection's task runs meanwhile, and it must not wait for the
        // reactor (that would park the runtime, nothing else being ready).
        let url = recv_async(&mut rx, 10, "the handler's call").await;
        let parked = PARKS.load(Ordering::SeqCst) - parks;
        assert_eq!(url, "/handed");
        assert_eq!(
            parked, 0,
            "the runtime parked {parked} time(s) (waiting for the reactor) before the handed-in \
             request was answered"
        );
        // The answer left in the same turn (the connection's task wrote it
        // before this task ran again).
        let mut got = vec![0; 4096];
        let n = peer
            .read(&mut got)
            .expect("the answer is in the peer's socket already");
        let got = &got[..n];
        assert!(got.starts_with(b"HTTP/1.1 200 OK\r\n"), "{}", got.escape_ascii());
        assert!(got.ends_with(b"\r\n\r\nhi"), "{}", got.escape_ascii());
    });
}

/// A handed-in connection the peer reset, closed, or closed after half a
/// request before the worker read it: the same `clientError`s (or none) as
/// for the same peer on an accepted connection.
#[tokio::test]
async fn reset_and_closed_handed_in_connections_end_as_accepted_ones() {
    let errors = Arc::new(Mutex::new(Vec::new()));
    let e = errors.clone();
    let server = rt_http::create_server(|_req: IncomingMessage, res: ServerResponse| {
        let _ = res.end_with("hi");
    });
    server.on(&CLIENT_ERROR, move |c: &ClientError| {
        let mut heard = c.error.code().to_string();
        if c.error.code() == "ECONNRESET" {
            // Node: `read ECONNRESET`, its socket already destroyed.
            heard = format!(
                "{heard} {} {}",
                c.error.message(),
                if c.socket.destroyed() { "destroyed" } else { "open" }
            );
        }
        e.lock().unwrap().push(heard);
        // Node counts a socket left open here in `getConnections` until it
        // closes (a peer's end of file never closes it): the listener ends it.
        c.socket.destroy(None);
    });
    let opened = Arc::new(AtomicUsize::new(0));
    let o = opened.clone();
    server.on(&CONNECTION, move |_| {
        o.fetch_add(1, Ordering::SeqCst);
    });
    let port = within(10, "listen", server.listen(("127.0.0.1", 0)))
        .await
        .unwrap()
        .port()
        .unwrap();
    let mut compared = 0;
    // (the peer's doing, the clientErrors heard): what Node v20's server
    // emits for the same peers.
    let cases: [(&str, &[&str]); 3] = [
        ("reset", &["ECONNRESET read ECONNRESET destroyed"]),
        ("close", &[]),
        ("half a request then close", &["HPE_INVALID_EOF_STATE"]),
    ];
    for (case, want) in cases {
        let mut seen = Vec::new();
        for handed_in in [true, false] {
            errors.lock().unwrap().clear();
            let (ours, peer) = if handed_in {
                let (ours, peer) = tcp_pair();
                (Some(ours), peer)
            } else {
                (None, std::net::TcpStream::connect(("127.0.0.1", port)).unwrap())
            };
            match case {
                "reset" => {
                    socket2::SockRef::from(&peer)
                        .set_linger(Some(std::time::Duration::ZERO))
                        .unwrap();
                }
                "half a request then close" => (&peer).write_all(b"GET / HTTP/1.1\r\nHo").unwrap(),
                _ => {}
            }
            drop(peer);
            if let Some(ours) = ours {
                server.net().feed_connection(Io::from_fd(ours.into()).unwrap());
            }
            // Each connection opens and ends (the server's count falls back to 0).
            wait_until_async(10, "the connection to open and end", || {
                opened.load(Ordering::SeqCst) == compared + 1 && server.connections() == 0
            })
            .await;
            seen.push(errors.lock().unwrap().clone());
            compared += 1;
        }
        assert_eq!(seen[0], want, "{case}: handed in");
        assert_eq!(seen[1], want, "{case}: accepted");
    }
    assert_eq!(compared, 6);
    server.close().unwrap();
}
