//! The server's API beside the wire: ServerResponse's errors (write after
//! end, headers after they were sent, bad header names and values), its
//! 'finish' event, a server without handler ('request'), 'checkContinue',
//! 'clientError' with the socket, and a graceful close that answers the
//! request in flight and closes idle connections at once.

use std::sync::mpsc;

use rt_events::Emitter;
use rt_http::server::{CHECK_CONTINUE, CLIENT_ERROR, ClientError, Exchange, REQUEST};
use rt_http::{IncomingMessage, Server, ServerResponse};
use rt_stream::StreamEvent;
use rt_tests::wait::{recv_within, within};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

async fn port_of(server: &Server) -> u16 {
    within(10, "listen", server.listen(("127.0.0.1", 0)))
        .await
        .expect("listen")
        .port()
        .expect("port")
}

async fn send(port: u16, bytes: &[u8]) -> Vec<u8> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).await.expect("connect");
    s.write_all(bytes).await.expect("write");
    s.shutdown().await.expect("half-close");
    let mut out = Vec::new();
    let _ = within(10, "the server to answer and close", s.read_to_end(&mut out)).await;
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn response_errors_are_nodes() {
    let (tx, rx) = mpsc::channel();
    let server = rt_http::create_server(move |_req: IncomingMessage, res: ServerResponse| {
        let bad_name = res.set_header("X Y", "v").err().map(|e| e.code());
        let bad_value = res.set_header("X", "a\r\nb").err().map(|e| e.code());
        let _ = res.end_with("done");
        let after_end = res.write("more").err().map(|e| e.code());
        let end_again = res.end().is_ok();
        let header_after = res.set_header("X-Late", "1").err().map(|e| e.code());
        let _ = tx.send((bad_name, bad_value, after_end, end_again, header_after));
    });
    let port = port_of(&server).await;
    let got = send(port, b"GET / HTTP/1.1\r\nHost: h\r\n\r\n").await;
    assert!(got.ends_with(b"done"), "{}", got.escape_ascii());
    let (bad_name, bad_value, after_end, end_again, header_after) =
        recv_within(&rx, 10, "the handler's results");
    assert_eq!(bad_name, Some("ERR_INVALID_HTTP_TOKEN"));
    assert_eq!(bad_value, Some("ERR_INVALID_CHAR"));
    assert_eq!(after_end, Some("ERR_STREAM_WRITE_AFTER_END"));
    assert!(end_again, "a second end() without data does nothing, as in Node");
    assert_eq!(header_after, Some("ERR_HTTP_HEADERS_SENT"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finish_event_and_a_server_without_handler() {
    let (tx, rx) = mpsc::channel();
    let server = Server::new();
    server.on(&REQUEST, move |ex: &Exchange| {
        let tx = tx.clone();
        ex.res.on(StreamEvent::Finish, move || {
            let _ = tx.send("finish");
        });
        let _ = ex.res.end_with(format!("you asked for {}", ex.req.url()));
    });
    let port = port_of(&server).await;
    let got = send(port, b"GET /x HTTP/1.1\r\nHost: h\r\n\r\n").await;
    let text = String::from_utf8_lossy(&got);
    // end(data) on a response whose stream is built (a listener) still
    // sends the body with its Content-Length, as Node does.
    assert!(
        text.contains("Content-Length: 16\r\n\r\nyou asked for /x"),
        "{text}"
    );
    assert_eq!(recv_within(&rx, 10, "'finish' on the response"), "finish");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_continue_listener_decides() {
    let server = Server::new();
    server.on(&CHECK_CONTINUE, |ex: &Exchange| {
        // No 100 Continue: refused outright.
        let _ = ex.res.write_head(413);
        let _ = ex.res.end();
    });
    let port = port_of(&server).await;
    let got = send(
        port,
        b"POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n",
    )
    .await;
    let text = String::from_utf8_lossy(&got);
    assert!(text.starts_with("HTTP/1.1 413 Payload Too Large\r\n"), "{text}");
    assert!(!text.contains("100 Continue"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_error_listener_gets_the_code_and_the_socket() {
    let (tx, rx) = mpsc::channel();
    let server = Server::new();
    server.on(&CLIENT_ERROR, move |e: &ClientError| {
        let _ = tx.send((e.error.code(), e.bytes_parsed));
        let _ = e.socket.end_with("HTTP/1.1 400 Mine\r\n\r\n");
    });
    let port = port_of(&server).await;
    let got = send(port, b"GET / HTTP/1.1\r\nHo st: a\r\n\r\n").await;
    assert_eq!(got, b"HTTP/1.1 400 Mine\r\n\r\n");
    let (code, at) = recv_within(&rx, 10, "'clientError'");
    assert_eq!(code, "HPE_INVALID_HEADER_TOKEN");
    assert_eq!(at, 18, "Node's bytesParsed for this request");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graceful_close_answers_in_flight_and_closes_idle() {
    let (go_tx, go_rx) = tokio::sync::watch::channel(false);
    let server = rt_http::create_server(move |req: IncomingMessage, res: ServerResponse| {
        let mut go = go_rx.clone();
        async move {
            if req.url() == "/slow" {
                let _ = go.wait_for(|v| *v).await;
            }
            let _ = res.end_with("ok");
        }
    });
    let port = port_of(&server).await;
    // An idle keep-alive connection (one request done) and one in flight.
    let mut idle = TcpStream::connect(("127.0.0.1", port)).await.expect("connect");
    idle.write_all(b"GET / HTTP/1.1\r\nHost: h\r\n\r\n")
        .await
        .expect("write");
    let mut buf = [0u8; 512];
    let n = within(10, "the first response", idle.read(&mut buf))
        .await
        .expect("read");
    assert!(buf[..n].ends_with(b"ok"));
    let mut busy = TcpStream::connect(("127.0.0.1", port)).await.expect("connect");
    busy.write_all(b"GET /slow HTTP/1.1\r\nHost: h\r\n\r\n")
        .await
        .expect("write");
    rt_tests::wait::wait_until_async(10, "both connections open", || server.connections() == 2).await;

    server.close().expect("close");
    // The idle one is closed at once (not after keep_alive_timeout).
    let mut rest = Vec::new();
    within(10, "the idle connection closed", idle.read_to_end(&mut rest))
        .await
        .expect("read");
    assert!(rest.is_empty());
    // The one in flight is answered, then closed.
    go_tx.send(true).expect("release");
    let mut out = Vec::new();
    within(10, "the slow answer and close", busy.read_to_end(&mut out))
        .await
        .expect("read");
    assert!(out.ends_with(b"ok"), "{}", out.escape_ascii());
    within(10, "closed()", server.closed()).await;
    assert_eq!(server.connections(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn piped_echo_of_a_large_body_is_exact() {
    use rt_http::parser::{ChunkEvent, ChunkedDecoder};
    let server = rt_http::create_server(|req: IncomingMessage, res: ServerResponse| {
        req.pipe(&res);
    });
    let port = port_of(&server).await;
    let body: Vec<u8> = (0..(1 << 20) + 123).map(|i: u32| (i % 251) as u8).collect();
    let mut s = TcpStream::connect(("127.0.0.1", port)).await.expect("connect");
    let head = format!(
        "POST /echo HTTP/1.1\r\nHost: h\r\nConnection: close\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    let (mut rd, mut wr) = s.split();
    let send = async {
        wr.write_all(head.as_bytes()).await.expect("head");
        wr.write_all(&body).await.expect("body");
    };
    let mut got = Vec::new();
    let recv = rd.read_to_end(&mut got);
    let (_, r) = within(30, "the echo", async { tokio::join!(send, recv) }).await;
    r.expect("read");
    let split = got.windows(4).position(|w| w == b"\r\n\r\n").expect("a head") + 4;
    let head_text = String::from_utf8_lossy(&got[..split]).to_string();
    assert!(head_text.contains("Transfer-Encoding: chunked"), "{head_text}");
    let mut dec = ChunkedDecoder::new(16 * 1024);
    let mut rest = &got[split..];
    let mut echoed = Vec::new();
    while !dec.is_done() {
        let (n, ev) = dec.decode(rest).expect("well-formed chunks");
        if let Some(ChunkEvent::Data(r)) = ev {
            echoed.extend_from_slice(&rest[r]);
        }
        assert!(n > 0 || dec.is_done(), "the chunked body ended early");
        rest = &rest[n..];
    }
    assert_eq!(echoed.len(), body.len());
    assert!(echoed == body, "the echoed bytes differ");
}

/// Node's `server.getConnections()` on an http server counts its http
/// connections (`http.Server` is a `net.Server`; `_connections` counts
/// every socket it took): so does the rt-net server under an rt-http one,
/// which is what a cluster worker checks `maxConnections` against.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_net_server_counts_the_http_connections() {
    let server = rt_http::create_server(|_req: IncomingMessage, res: ServerResponse| {
        let _ = res.end_with("ok");
    });
    let port = port_of(&server).await;
    assert_eq!(server.net().get_connections(), 0);
    let mut a = TcpStream::connect(("127.0.0.1", port)).await.expect("connect");
    a.write_all(b"GET / HTTP/1.1\r\nHost: h\r\n\r\n")
        .await
        .expect("write");
    let mut buf = [0u8; 512];
    let n = within(10, "the first response", a.read(&mut buf))
        .await
        .expect("read");
    assert!(buf[..n].ends_with(b"ok"));
    let b = TcpStream::connect(("127.0.0.1", port)).await.expect("connect");
    rt_tests::wait::wait_until_async(10, "two http connections", || server.connections() == 2).await;
    assert_eq!(server.net().get_connections(), 2, "the net server counts both");
    drop(a);
    drop(b);
    rt_tests::wait::wait_until_async(10, "no http connection", || server.connections() == 0).await;
    assert_eq!(server.net().get_connections(), 0);
    println!("getConnections: 0, 2, 0 as the http server counts");
}

/// The socket an `'upgrade'` listener gets has Nagle's algorithm off, as a
/// Node http server's sockets do (`noDelay` defaults to true); rt sets
/// `TCP_NODELAY` lazily, before the first write that is not a connection's
/// last, and before the socket goes to a listener.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upgraded_socket_has_no_delay_set() {
    use rt_http::server::{UPGRADE, Upgrade};
    let server = Server::new();
    let (tx, rx) = mpsc::channel();
    server.on(&UPGRADE, move |u: &Upgrade| {
        let _ = tx.send(u.socket.no_delay());
        u.socket.destroy(None);
    });
    let port = port_of(&server).await;
    let mut s = TcpStream::connect(("127.0.0.1", port)).await.expect("connect");
    s.write_all(b"GET / HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: x\r\n\r\n")
        .await
        .expect("write");
    let no_delay = recv_within(&rx, 10, "the 'upgrade' listener");
    assert_eq!(no_delay, Some(true), "TCP_NODELAY on the upgraded socket");
}
