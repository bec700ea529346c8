//! A connection's addresses are read from its socket when first asked (no
//! `getsockname` / `getpeername` for a connection nobody asks), and are
//! right then: a request's and the `'connection'` handle's are the
//! client's ends, swapped; once asked they stay, also after the connection
//! closed. First asked after the close, they are none, as Node's
//! `req.socket.remoteAddress` is then `undefined` (node v20: a request
//! whose socket was never asked reads `undefined` for `remoteAddress`,
//! `remotePort` and `localAddress` once the socket is destroyed).

use std::net::SocketAddr;
use std::sync::Arc;

use rt_events::Emitter;
use rt_http::server::{CONNECTION, ServerConnection};
use rt_http::{IncomingMessage, Server, SocketInfo};
use rt_tests::wait::{recv_async, wait_until_async, within};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc::unbounded_channel;

const GET: &[u8] = b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";

/// One request on its own connection; the client's (local, peer) addresses.
async fn one_request(port: u16) -> (SocketAddr, SocketAddr) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).await.expect("connect");
    let ends = (s.local_addr().expect("local"), s.peer_addr().expect("peer"));
    s.write_all(GET).await.expect("write");
    let mut out = Vec::new();
    within(10, "the answer and the close", s.read_to_end(&mut out))
        .await
        .expect("read");
    assert!(out.ends_with(b"ok"), "{}", out.escape_ascii());
    ends
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn addresses_are_read_when_asked_and_kept() {
    // The handler asks the first request's addresses (while its connection
    // is open), and keeps every request.
    let (req_tx, mut reqs) = unbounded_channel::<(IncomingMessage, Option<SocketInfo>)>();
    let asked = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let ask = asked.clone();
    let server = Server::new();
    server.on(
        &rt_http::server::REQUEST,
        move |ex: &rt_http::server::Exchange| {
            let info = ask
                .swap(false, std::sync::atomic::Ordering::AcqRel)
                .then(|| ex.req.socket_info());
            let _ = req_tx.send((ex.req.clone(), info));
            let _ = ex.res.end_with("ok");
        },
    );
    let (conn_tx, mut conns) = unbounded_channel::<ServerConnection>();
    server.on(&CONNECTION, move |c: &ServerConnection| {
        let _ = conn_tx.send(c.clone());
    });
    let port = within(10, "listen", server.listen(("127.0.0.1", 0)))
        .await
        .expect("listen")
        .port()
        .expect("port");

    // First connection: asked while open, by the handler; the handle asked
    // after the close (the request asked first: the same addresses).
    let (local, peer) = one_request(port).await;
    let c = recv_async(&mut conns, 10, "the first 'connection'").await;
    let (req, info) = recv_async(&mut reqs, 10, "the first request").await;
    let want = SocketInfo {
        remote: Some(local),
        local: Some(peer),
    };
    assert_eq!(info, Some(want), "asked in the handler");
    wait_until_async(10, "the first connection to close", || c.destroyed()).await;
    assert_eq!(req.socket_info(), want, "the request's, kept after the close");
    assert_eq!(req.remote_address(), Some(local));
    assert_eq!(c.socket_info(), want, "the handle's: the connection's, kept");
    assert_eq!((c.remote_address(), c.local_address()), (Some(local), Some(peer)));

    // Second connection: nobody asks while it is open.
    let _ = one_request(port).await;
    let c = recv_async(&mut conns, 10, "the second 'connection'").await;
    let (req, info) = recv_async(&mut reqs, 10, "the second request").await;
    assert_eq!(info, None, "not asked in the handler");
    wait_until_async(10, "the second connection to close", || c.destroyed()).await;
    assert_eq!(
        req.socket_info(),
        SocketInfo::default(),
        "first asked after the close: none"
    );
    assert_eq!(c.remote_address(), None);

    // Third: the handle asks while the connection is open (the 'connection'
    // listener's view), and the request gets the same.
    let mut s = TcpStream::connect(("127.0.0.1", port)).await.expect("connect");
    let (local, peer) = (s.local_addr().expect("local"), s.peer_addr().expect("peer"));
    let c = recv_async(&mut conns, 10, "the third 'connection'").await;
    assert_eq!((c.remote_address(), c.local_address()), (Some(local), Some(peer)));
    s.write_all(GET).await.expect("write");
    let mut out = Vec::new();
    within(10, "the third answer", s.read_to_end(&mut out))
        .await
        .expect("read");
    let (req, _) = recv_async(&mut reqs, 10, "the third request").await;
    wait_until_async(10, "the third connection to close", || c.destroyed()).await;
    assert_eq!(
        req.socket_info(),
        SocketInfo {
            remote: Some(local),
            local: Some(peer)
        }
    );
    println!("3 connections: asked while open (request, handle) and kept; never asked: none after the close");
    let _ = server.close();
}
