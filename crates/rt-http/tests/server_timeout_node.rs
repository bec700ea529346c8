//! The server's `'connection'` and `'timeout'` events, `server.setTimeout`
//! and the keep-alive timeout's `'timeout'`, compared with a Node v20
//! server (tests/node/timeout_server.js) driven by the same client bytes:
//! what the client receives (Date normalised), whether the connection is
//! closed, and the events each server reports, in order.

use std::path::PathBuf;
use std::process::{Child, ChildStdin, Stdio};
use std::time::Duration;

use rt_events::Emitter;
use rt_http::server::{CONNECTION, TIMEOUT};
use rt_http::{IncomingMessage, Server, ServerConnection, ServerOptions, ServerResponse};
use rt_tests::node::{Node, node_or_skip};
use rt_tests::wait::{recv_async, within};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};

const MODES: [&str; 3] = ["idle", "idle-heard", "keepalive-heard"];
const GET: &[u8] = b"GET / HTTP/1.1\r\nHost: h\r\n\r\n";

/// A server under test: its port, its event lines, and what keeps it alive.
struct Twin {
    port: u16,
    events: UnboundedReceiver<String>,
    _keep: Keep,
}

enum Keep {
    Node(Child, Option<ChildStdin>),
    Rt(Server),
}

impl Drop for Keep {
    fn drop(&mut self) {
        match self {
            Keep::Node(child, stdin) => {
                drop(stdin.take());
                let _ = child.kill();
                let _ = child.wait();
            }
            Keep::Rt(server) => {
                let _ = server.close();
            }
        }
    }
}

async fn start_node(node: &Node, mode: &str) -> Twin {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/node/timeout_server.js");
    let mut child = node
        .command()
        .arg(script)
        .arg(mode)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn node timeout_server.js");
    let stdin = child.stdin.take();
    let stdout = child.stdout.take().expect("node stdout");
    let (tx, mut events) = unbounded_channel();
    std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let first = recv_async(&mut events, 30, "the node twin's port").await;
    let port = first
        .strip_prefix("port ")
        .and_then(|p| p.parse().ok())
        .expect("`port N` from the node twin");
    Twin {
        port,
        events,
        _keep: Keep::Node(child, stdin),
    }
}

fn port_of(c: &ServerConnection) -> u16 {
    c.remote_address().map_or(0, |a| a.port())
}

async fn start_rt(mode: &str) -> Twin {
    let mut opts = ServerOptions::default();
    let answers = mode == "keepalive-heard";
    if answers {
        opts.keep_alive_timeout = Duration::from_millis(200);
    }
    let server = Server::with_options(
        opts,
        Some(move |_req: IncomingMessage, res: ServerResponse| {
            if answers {
                let _ = res.end_with("ok");
            }
            // Otherwise never answered (the response is dropped unended).
        }),
    );
    if mode.starts_with("idle") {
        server.set_timeout(Duration::from_millis(300));
    }
    let (tx, events): (UnboundedSender<String>, _) = unbounded_channel();
    let t = tx.clone();
    server.on(&CONNECTION, move |c: &ServerConnection| {
        let _ = t.send(format!("connection {}", port_of(c)));
    });
    if mode != "idle" {
        let destroy = mode == "idle-heard";
        server.on(&TIMEOUT, move |c: &ServerConnection| {
            let _ = tx.send(format!("timeout {}", port_of(c)));
            if destroy {
                c.destroy();
            }
        });
    }
    let port = within(10, "rt server listening", server.listen(("127.0.0.1", 0)))
        .await
        .expect("listen")
        .port()
        .expect("a port");
    Twin {
        port,
        events,
        _keep: Keep::Rt(server),
    }
}

/// Reads one response (a `Content-Length` body) off `s`.
async fn read_response(s: &mut TcpStream, what: &str) -> Vec<u8> {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        if let Some(h) = got.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&got[..h]).to_ascii_lowercase();
            let len: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0);
            if got.len() >= h + 4 + len {
                return got;
            }
        }
        let n = within(10, what, s.read(&mut buf)).await.expect("read");
        assert!(n > 0, "the server closed before {what}");
        got.extend_from_slice(&buf[..n]);
    }
}

fn normalise(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes)
        .lines()
        .map(|l| {
            if l.starts_with("Date: ") {
                "Date: <date>"
            } else {
                l
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The same client steps against either server; a transcript of what it saw.
async fn drive(mode: &str, twin: &mut Twin) -> Vec<String> {
    let mut s = TcpStream::connect(("127.0.0.1", twin.port))
        .await
        .expect("connect");
    let me = s.local_addr().expect("local addr").port();
    let mut log = Vec::new();
    let event = |line: String| {
        // The remote port the server reported, compared with ours.
        let (name, port) = line.split_once(' ').unwrap_or((&line, ""));
        format!("{name} (client port: {})", port == me.to_string())
    };
    log.push(event(recv_async(&mut twin.events, 10, "'connection'").await));
    s.write_all(GET).await.expect("write the request");
    match mode {
        "idle" | "idle-heard" => {
            if mode == "idle-heard" {
                log.push(event(recv_async(&mut twin.events, 10, "'timeout'").await));
            }
            let mut rest = Vec::new();
            within(
                10,
                "the server to close the idle connection",
                s.read_to_end(&mut rest),
            )
            .await
            .expect("read to close");
            log.push(format!("closed after {:?}", normalise(&rest)));
        }
        _ => {
            log.push(normalise(&read_response(&mut s, "the first response").await));
            log.push(event(
                recv_async(&mut twin.events, 10, "'timeout' (keep-alive)").await,
            ));
            // Heard: the connection is still open and serves another request.
            s.write_all(GET).await.expect("write the second request");
            log.push(normalise(&read_response(&mut s, "the second response").await));
        }
    }
    log
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_and_timeout_events_as_node() {
    let Some(node) = node_or_skip("connection_and_timeout_events_as_node") else {
        return;
    };
    let mut compared = 0;
    for mode in MODES {
        let mut n = start_node(&node, mode).await;
        let want = drive(mode, &mut n).await;
        let mut r = start_rt(mode).await;
        let got = drive(mode, &mut r).await;
        assert_eq!(got, want, "mode {mode}: rt (left) vs node (right)");
        assert!(
            want.len() >= 2,
            "mode {mode}: a transcript of the exchange: {want:?}"
        );
        compared += 1;
    }
    println!("compared {compared} timeout/connection scenarios with node");
    assert_eq!(compared, MODES.len());
}

/// The `'connection'` handle's addresses are the connection's, one event per
/// accepted connection, and its `destroy()` closes the connection.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_event_gives_addresses_and_destroy() {
    let server = Server::with_options(
        ServerOptions::default(),
        Some(|_req: IncomingMessage, res: ServerResponse| {
            let _ = res.end_with("ok");
        }),
    );
    let (tx, mut rx) = unbounded_channel::<ServerConnection>();
    server.on(&CONNECTION, move |c: &ServerConnection| {
        let _ = tx.send(c.clone());
    });
    let port = within(10, "listen", server.listen(("127.0.0.1", 0)))
        .await
        .expect("listen")
        .port()
        .expect("port");
    for i in 0..2 {
        let mut s = TcpStream::connect(("127.0.0.1", port)).await.expect("connect");
        let c = recv_async(&mut rx, 10, "'connection'").await;
        assert_eq!(
            c.remote_address(),
            s.local_addr().ok(),
            "connection {i}: remote address"
        );
        assert_eq!(
            c.local_address(),
            s.peer_addr().ok(),
            "connection {i}: local address"
        );
        s.write_all(GET).await.expect("write");
        let res = read_response(&mut s, "the response").await;
        assert!(res.ends_with(b"ok"), "{}", res.escape_ascii());
        assert!(!c.destroyed(), "connection {i} is open");
        c.destroy();
        let mut rest = Vec::new();
        within(10, "destroy() to close the connection", s.read_to_end(&mut rest))
            .await
            .expect("read to close");
        assert!(rest.is_empty(), "nothing after destroy: {}", rest.escape_ascii());
    }
    assert!(rx.try_recv().is_err(), "one 'connection' per connection");
}
