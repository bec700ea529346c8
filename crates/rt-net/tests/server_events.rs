//! Server-side event order compared with Node: the same client actions
//! against a Node server and an rt server, each logging the server's events
//! ('listening', 'connection', the accepted socket's events, 'close'); the
//! logs must be equal. Also `reset_and_destroy` from both ends.

mod common;

use std::sync::{Arc, Mutex};

use common::{NodeProcess, WAIT, Within, read_all};
use rt_net::events::{CLOSE, CONNECTION, DATA, END, ERROR, FINISH, LISTENING, SERVER_CLOSE};
use rt_net::{Emitter, Error, Server, Socket, connect};
use rt_tests::node::node_or_skip;

/// Node's side: the server logs its events and prints the log once it has
/// closed (it closes itself at its first connection, so 'close' waits for
/// that connection to end).
const NODE_SERVER: &str = r#"
const net = require('net');
const log = [];
const server = net.createServer();
server.on('listening', () => { log.push('listening'); console.log(server.address().port); });
server.on('connection', (s) => {
  log.push('connection');
  server.close();
  s.on('data', d => { log.push('data:' + d); s.write(d); });
  s.on('end', () => log.push('end'));
  s.on('finish', () => log.push('finish'));
  s.on('error', e => log.push('error:' + e.code + ':' + e.message));
  s.on('close', h => log.push('close:' + h));
});
server.on('close', () => { log.push('server-close'); setTimeout(() => console.log(JSON.stringify(log)), 50); });
server.listen(0, '127.0.0.1');
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
"#;

type Log = Arc<Mutex<Vec<String>>>;

fn push(l: &Log, s: impl Into<String>) {
    l.lock().unwrap().push(s.into());
}

/// rt's side: the same server as `NODE_SERVER`.
async fn rt_server() -> (Server, u16, Log) {
    let log: Log = Arc::default();
    let server = Server::new();
    {
        let l = log.clone();
        server.on(&LISTENING, move |_| push(&l, "listening"));
    }
    {
        let l = log.clone();
        server.on(&SERVER_CLOSE, move |_| push(&l, "server-close"));
    }
    {
        let l = log.clone();
        let srv = server.clone();
        server.on(&CONNECTION, move |s: &Socket| {
            push(&l, "connection");
            // A failure here shows in the compared log (a panic in a
            // listener on the server's task would not reach the test).
            if let Err(e) = srv.close() {
                push(&l, format!("server.close() failed: {e}"));
            }
            {
                let l = l.clone();
                let echo = s.clone();
                s.on(&DATA, move |d| {
                    push(&l, format!("data:{}", String::from_utf8_lossy(d)));
                    let _ = echo.write(d.to_vec());
                });
            }
            for (ev, name) in [(&END, "end"), (&FINISH, "finish")] {
                let l = l.clone();
                s.on(ev, move |_| push(&l, name));
            }
            {
                let l = l.clone();
                s.on(&ERROR, move |e: &Error| {
                    push(&l, format!("error:{}:{}", e.code(), e.message()))
                });
            }
            {
                let l = l.clone();
                s.on(&CLOSE, move |h| push(&l, format!("close:{h}")));
            }
        });
    }
    let port = server
        .listen(("127.0.0.1", 0))
        .within(WAIT, "listen")
        .await
        .unwrap()
        .port()
        .unwrap();
    (server, port, log)
}

#[derive(Clone, Copy, Debug)]
enum Ending {
    /// The client ends (FIN) after its echo came back, and reads to the end.
    End,
    /// The client resets the connection (RST) after its echo came back.
    Reset,
}

/// The client's actions, the same against both servers; returns the
/// client's own events.
async fn client(port: u16, ending: Ending) -> Vec<String> {
    let log: Log = Arc::default();
    let c = connect(("127.0.0.1", port))
        .within(WAIT, "connect")
        .await
        .unwrap();
    {
        let l = log.clone();
        c.on(&ERROR, move |e: &Error| push(&l, format!("error:{}", e.code())));
    }
    {
        let l = log.clone();
        c.on(&CLOSE, move |h| push(&l, format!("close:{h}")));
    }
    c.write_all("ping").within(WAIT, "writing ping").await.unwrap();
    let echo = c
        .recv()
        .within(WAIT, "the echo of ping")
        .await
        .unwrap()
        .expect("an end instead of the echo");
    assert_eq!(&echo[..], b"ping");
    match ending {
        Ending::End => {
            let _ = c.end();
            assert_eq!(read_all(&c).await, b"");
        }
        Ending::Reset => c.reset_and_destroy(),
    }
    c.wait_closed().within(WAIT, "the client's 'close'").await;
    assert!(c.destroyed());
    log.lock().unwrap().clone()
}

// On one thread, as Node runs.
#[tokio::test]
async fn server_event_order_matches_node() {
    let Some(node) = node_or_skip("server_event_order_matches_node") else {
        return;
    };
    let mut compared = 0;
    for ending in [Ending::End, Ending::Reset] {
        // Node's server.
        let proc_ = NodeProcess::start(&node, NODE_SERVER, &[]);
        let port: u16 = proc_.line("the node server's port").parse().unwrap();
        let node_client_events = client(port, ending).await;
        let node_log: Vec<String> = serde_json::from_str(&proc_.line("the node server's event log")).unwrap();
        drop(proc_);

        // rt's server, the same client actions.
        let (server, port, log) = rt_server().await;
        let rt_client_events = client(port, ending).await;
        server.closed().within(WAIT, "the rt server's 'close'").await;
        let rt_log = log.lock().unwrap().clone();
        server.emitter().remove_all_listeners(None);

        println!("{ending:?}: node {node_log:?}\n{ending:?}: rt   {rt_log:?}");
        assert!(
            node_log.len() >= 5,
            "{ending:?}: node logged too little: {node_log:?}"
        );
        assert_eq!(rt_log, node_log, "{ending:?}: server events differ from node's");
        assert_eq!(
            rt_client_events, node_client_events,
            "{ending:?}: the client saw different events"
        );
        compared += 1;
    }
    println!("compared {compared} scenarios with node");
    assert_eq!(compared, 2);
}

/// `reset_and_destroy` on an rt socket: the resetting side closes without
/// an error (Node: 'close'(false), destroyed), the peer reads
/// `read ECONNRESET` then 'close'(true), as Node's peer does (checked above
/// with a Node server; here both ends are rt, server side resetting).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reset_and_destroy_from_the_server_side() {
    let server = Server::new();
    let port = server
        .listen(("127.0.0.1", 0))
        .within(WAIT, "listen")
        .await
        .unwrap()
        .port()
        .unwrap();
    let c = connect(("127.0.0.1", port))
        .within(WAIT, "connect")
        .await
        .unwrap();
    let peer = server.accept().within(WAIT, "accept").await.unwrap();
    let log: Log = Arc::default();
    {
        let l = log.clone();
        peer.on(&ERROR, move |e: &Error| push(&l, format!("error:{}", e.code())));
    }
    {
        let l = log.clone();
        peer.on(&CLOSE, move |h| push(&l, format!("close:{h}")));
    }
    peer.reset_and_destroy();
    peer.wait_closed()
        .within(WAIT, "the resetting side's 'close'")
        .await;
    assert!(peer.destroyed());
    assert_eq!(*log.lock().unwrap(), ["close:false"]);
    let err = c
        .recv()
        .within(WAIT, "the reset on the client")
        .await
        .expect_err("the client read data or an end instead of the reset");
    assert_eq!(err.code(), "ECONNRESET");
    assert_eq!(err.message(), "read ECONNRESET");
    assert_eq!(err.syscall(), Some("read"));
    c.wait_closed().within(WAIT, "the client's 'close'").await;
    assert_eq!(
        c.error().map(|e| e.code().to_string()).as_deref(),
        Some("ECONNRESET")
    );
    server.close().unwrap();
}
