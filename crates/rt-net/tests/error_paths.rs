//! One error type end to end: an error rt-net raises keeps every field Node
//! gives it (`code`, `errno`, `syscall`, `address`, `port`, `hostname`) on
//! each path it travels: the `'error'` event, the async method's result,
//! `socket.error()`, the stream's `errored()`, the `io::Error` of the tokio
//! bridge and back. Every hop is the same delivery (`same()`), and the
//! messages and fields are compared with what `node` reports for the same
//! failure.

use std::sync::mpsc;

use rt_net::events::ERROR;
use rt_net::{Emitter, Error, Server, Socket, SocketOptions, connect};
use rt_tests::node::node_or_skip;
use rt_tests::wait::{recv_async, recv_within, within};
use serde_json::{Value, json};

fn fields(e: &Error) -> Value {
    json!({
        "message": e.message(), "code": e.code(), "errno": e.errno(),
        "syscall": e.syscall(), "address": e.address(), "port": e.port(),
        "hostname": e.hostname(),
    })
}

/// Node's fields for each failure, from one node run.
fn node_fields(node: &rt_tests::node::Node, input: Value) -> Value {
    let out = node.run_script(
        r#"
const net = require('net');
let input = '';
process.stdin.on('data', d => input += d);
process.stdin.on('end', async () => {
  const p = JSON.parse(input);
  const pick = e => ({ message: e.message, code: e.code, errno: e.errno ?? null,
    syscall: e.syscall ?? null, address: e.address ?? null, port: e.port ?? null,
    hostname: e.hostname ?? null });
  const viaSocket = make => new Promise(res => { const s = make(); s.on('error', e => res(pick(e))); });
  const out = {};
  out.refused = await viaSocket(() => net.connect(p.closedPort, '127.0.0.1'));
  out.enoent = await viaSocket(() => net.connect(p.path));
  out.notfound = await viaSocket(() => net.connect(80, 'nosuchhost.invalid'));
  out.inuse = await new Promise(res => { const s = net.createServer(); s.on('error', e => res(pick(e))); s.listen(p.usedPort, '127.0.0.1'); });
  out.reset = await new Promise(res => {
    const srv = net.createServer(s => s.once('data', () => s.resetAndDestroy()));
    srv.listen(0, '127.0.0.1', () => {
      const c = net.connect(srv.address().port, '127.0.0.1', () => c.write('x'));
      c.on('error', e => { srv.close(); res(pick(e)); });
    });
  });
  console.log(JSON.stringify(out));
});
"#,
        input.to_string().as_bytes(),
    );
    serde_json::from_slice(&out).expect("node printed JSON")
}

/// The socket's error on every path, asserted to be one delivery; returns it.
async fn every_path_is_one_error(socket: &Socket, events: &mpsc::Receiver<Error>, returned: Error) -> Error {
    let event = recv_within(events, 10, "the socket's 'error' event");
    assert!(
        event.same(&returned),
        "'error' event and result differ: {event:?} / {returned:?}"
    );
    let own = socket.error().expect("socket.error() after a failure");
    assert!(own.same(&event), "socket.error() is another error: {own:?}");
    let duplex: &rt_stream::Duplex = socket.as_duplex();
    let stream = duplex.errored().expect("the stream is errored");
    assert!(
        stream.same(&event),
        "the stream's errored() is another error: {stream:?}"
    );
    // Through the tokio bridge: the io::Error carries the error itself.
    let mut reader = socket.clone();
    let mut buf = [0u8; 16];
    let io = within(
        10,
        "a read on the failed socket",
        tokio::io::AsyncReadExt::read(&mut reader, &mut buf),
    )
    .await
    .expect_err("reading a failed socket is an error");
    assert_eq!(io.kind(), event.io_kind());
    let back = Error::from(io);
    assert!(
        back.same(&event),
        "io::Error -> Error lost the delivery: {back:?}"
    );
    assert_eq!(fields(&back), fields(&event));
    event
}

fn error_events(socket: &Socket) -> mpsc::Receiver<Error> {
    let (tx, rx) = mpsc::channel();
    let tx = std::sync::Mutex::new(tx);
    socket.on(&ERROR, move |e: &Error| {
        let _ = tx.lock().unwrap().send(e.clone());
    });
    rx
}

#[tokio::test]
async fn net_errors_keep_every_field_on_every_path_and_match_node() {
    let Some(node) = node_or_skip("net_errors_keep_every_field_on_every_path_and_match_node") else {
        return;
    };
    // Bound but not listening for the whole test: refused, and nobody else
    // can take the port meanwhile (a bind-then-drop port could be reused).
    let held = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    held.bind(&"127.0.0.1:0".parse::<std::net::SocketAddr>().unwrap().into())
        .unwrap();
    let closed_port = held.local_addr().unwrap().as_socket().unwrap().port();
    let dir = rt_tests::temp::TempDir::new("error-paths");
    let missing = dir.path().join("missing.sock");
    let holder = Server::new();
    let used_port = within(10, "listen", holder.listen(("127.0.0.1", 0)))
        .await
        .unwrap()
        .port()
        .unwrap();
    let input =
        json!({ "closedPort": closed_port, "path": missing.to_str().unwrap(), "usedPort": used_port });
    let node2 = node.clone();
    let want = within(
        60,
        "node's errors for the same failures",
        tokio::task::spawn_blocking(move || node_fields(&node2, input)),
    )
    .await
    .unwrap();

    // connect ECONNREFUSED 127.0.0.1:<port>
    let s = Socket::new(SocketOptions::default());
    let events = error_events(&s);
    let returned = within(
        10,
        "connect to a closed port",
        s.connect(("127.0.0.1", closed_port)),
    )
    .await
    .unwrap_err();
    let refused = every_path_is_one_error(&s, &events, returned).await;
    assert_eq!(fields(&refused), want["refused"]);
    assert_eq!(refused.errno(), Some(-libc::ECONNREFUSED));

    // connect ENOENT <path> (a Unix socket that is not there)
    let s = Socket::new(SocketOptions::default());
    let events = error_events(&s);
    let returned = within(10, "connect to a missing path", s.connect(missing.as_path()))
        .await
        .unwrap_err();
    let enoent = every_path_is_one_error(&s, &events, returned).await;
    assert_eq!(fields(&enoent), want["enoent"]);

    // getaddrinfo ENOTFOUND nosuchhost.invalid (hostname kept)
    let s = Socket::new(SocketOptions::default());
    let events = error_events(&s);
    let returned = within(30, "a lookup that fails", s.connect(("nosuchhost.invalid", 80)))
        .await
        .unwrap_err();
    let notfound = every_path_is_one_error(&s, &events, returned).await;
    assert_eq!(fields(&notfound), want["notfound"]);

    // listen EADDRINUSE: address already in use 127.0.0.1:<port>
    let server = Server::new();
    let (tx, rx) = mpsc::channel();
    let tx = std::sync::Mutex::new(tx);
    server.on(&ERROR, move |e: &Error| {
        let _ = tx.lock().unwrap().send(e.clone());
    });
    let returned = within(
        10,
        "listen on a used port",
        server.listen(("127.0.0.1", used_port)),
    )
    .await
    .unwrap_err();
    let event = recv_within(&rx, 10, "the server's 'error' event");
    assert!(event.same(&returned));
    assert_eq!(fields(&event), want["inuse"]);
    let back = Error::from(std::io::Error::from(event.clone()));
    assert!(back.same(&event));
    assert_eq!(back.io_kind(), std::io::ErrorKind::AddrInUse);

    // read ECONNRESET: the peer resets (after our first write) while we read.
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let resetter = rt_net::create_server(move |socket: Socket| {
        let tx = tx.clone();
        async move {
            let _ = socket.read().await;
            socket.reset_and_destroy();
            let _ = tx.send(());
        }
    });
    let port = within(10, "listen", resetter.listen(("127.0.0.1", 0)))
        .await
        .unwrap()
        .port()
        .unwrap();
    let c = within(
        10,
        "connect to the resetting server",
        connect(("127.0.0.1", port)),
    )
    .await
    .unwrap();
    let events = error_events(&c);
    assert!(c.write("x").unwrap_or(false));
    recv_async(&mut rx, 10, "the server's reset").await;
    let returned = within(10, "the read that sees the reset", c.recv())
        .await
        .unwrap_err();
    let reset = every_path_is_one_error(&c, &events, returned).await;
    assert_eq!(fields(&reset), want["reset"]);
    resetter.close().unwrap();
    holder.close().unwrap();
    println!("compared 5 failures with node on every path");
}

#[tokio::test]
async fn buffer_errors_reach_net_callers_whole() {
    let c = Socket::new(SocketOptions::default());
    let e = c.set_encoding("nope").unwrap_err();
    let b = rt_buffer::Encoding::from_name("nope").unwrap_err();
    assert_eq!((e.code(), e.message()), (b.code(), b.message()));
    assert_eq!(e.name(), "TypeError");
    assert!(
        std::error::Error::source(&e).is_some(),
        "the buffer error is the source"
    );
}
