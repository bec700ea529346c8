//! A client that resets its connection (SO_LINGER 0, then close) inside a
//! request's body, or after the whole request while its response is still
//! open: the events the server side emits (server `'clientError'`, the
//! request's `'aborted'`, `'end'`, `'error'`, `'close'`, the response's
//! `'close'`, `'finish'`), in order, compared with a Node v20 server's for
//! the same client bytes. Every wait is bounded.

use std::io::{Read, Write};
use std::process::{Child, Stdio};

use rt_events::Emitter;
use rt_http::incoming::ABORTED;
use rt_http::server::{CLIENT_ERROR, ClientError};
use rt_http::{IncomingMessage, Server, ServerResponse};
use rt_stream::{Error, StreamEvent};
use rt_tests::node::node_or_skip;
use rt_tests::wait::recv_async;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};

/// The Node twin: prints `port N`, then one line per event.
const SCRIPT: &str = r#"
const http = require('http');
const srv = http.createServer((req, res) => {
  console.log('request');
  req.on('aborted', () => console.log('req aborted'));
  req.on('error', (e) => console.log('req error ' + e.code + ' ' + e.message));
  req.on('end', () => { console.log('req end'); if (req.url !== '/wait') res.write('part'); });
  req.on('close', () => console.log('req close'));
  res.on('close', () => console.log('res close'));
  res.on('finish', () => console.log('res finish'));
  req.resume();
  if (req.url === '/wait') setTimeout(() => {
    const w = res.write('late', (e) => {
      console.log(e ? 'late write threw ' + e.code : 'late write ' + w);
      res.end();
      srv.getConnections((e, n) => console.log('connections ' + n));
    });
  }, 500);
});
srv.on('clientError', (e, s) => {
  console.log('clientError ' + e.code + ' ' + e.message + ' ' + (s.destroyed ? 'destroyed' : 'open'));
  if (s.destroyed) return;
  s.on('close', () => setImmediate(() => srv.getConnections((e, n) => console.log('closed socket connections ' + n))));
  srv.getConnections((e, n) => { console.log('open socket connections ' + n); s.destroy(); });
});
srv.listen(0, '127.0.0.1', () => console.log('port ' + srv.address().port));
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
"#;

const IN_BODY: &[u8] = b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123456789";
const WHOLE: &[u8] = b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc";
const WAIT: &[u8] = b"POST /wait HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc";

/// `(case, the bytes sent before the reset or the end)`: a head with
/// `Content-Length: 100` and 10 bytes of its body; a whole request (its
/// handler writes part of the response at the body's end, never ends it).
/// A case named "end ..." half-closes (shutdown(Write)) instead of
/// resetting. The "handler waits" cases ask for `/wait`: the handler is
/// still running (an async one in rt, a timer in Node) when the client
/// hangs up; 500 ms later it writes (rt's `Err` is the error Node hands
/// the write's callback), ends and counts the server's connections (before
/// "end inside the body", whose socket Node keeps open). A `clientError`
/// socket left open is counted, then destroyed and counted again once
/// closed.
const CASES: [(&str, &[u8]); 6] = [
    ("reset inside the body", IN_BODY),
    ("reset while the response is open", WHOLE),
    ("reset while the handler waits", WAIT),
    ("end while the handler waits", WAIT),
    ("end inside the body", IN_BODY),
    ("end while the response is open", WHOLE),
];

/// How long the client reads after its end for the server's bytes and end
/// of file (Node never closes the connection when the end is inside a
/// body and the `clientError` listener leaves the socket alone).
const READ_FOR: u64 = 3;

enum Keep {
    Node(Child),
    Rt(Server),
}

impl Drop for Keep {
    fn drop(&mut self) {
        match self {
            Keep::Node(child) => {
                let _ = child.kill();
                let _ = child.wait();
            }
            Keep::Rt(server) => {
                let _ = server.close();
            }
        }
    }
}

fn start_rt(tx: UnboundedSender<String>) -> Server {
    let t = tx.clone();
    let me = std::sync::Arc::new(std::sync::OnceLock::<Server>::new());
    let me2 = me.clone();
    let server = rt_http::create_server(move |req: IncomingMessage, res: ServerResponse| {
        let wait = req.url() == "/wait";
        let late = (t.clone(), res.clone(), me2.clone());
        let tx = t.clone();
        let _ = tx.send("request".into());
        let say = move |what: String| {
            let tx = tx.clone();
            move || {
                let _ = tx.send(what.clone());
            }
        };
        let tx2 = t.clone();
        req.on(&ABORTED, {
            let f = say("req aborted".into());
            move |_: &()| f()
        });
        req.on_error(move |e: &Error| {
            let _ = tx2.send(format!("req error {} {}", e.code(), e.message()));
        });
        let r = res.clone();
        let end = say("req end".into());
        req.on(StreamEvent::End, move || {
            end();
            if !wait {
                let _ = r.write("part");
            }
        });
        req.on(StreamEvent::Close, say("req close".into()));
        res.on(StreamEvent::Close, say("res close".into()));
        res.on(StreamEvent::Finish, say("res finish".into()));
        req.resume();
        async move {
            if !wait {
                return;
            }
            let (tx, res, me) = late;
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
            let _ = tx.send(match res.write("late") {
                Ok(b) => format!("late write {b}"),
                Err(e) => format!("late write threw {}", e.code()),
            });
            if let Err(e) = res.end() {
                let _ = tx.send(format!("late end threw {}", e.code()));
            }
            let n = me.get().map_or(usize::MAX, Server::connections);
            let _ = tx.send(format!("connections {n}"));
        }
    });
    let _ = me.set(server.clone());
    let me3 = me.clone();
    server.on(&CLIENT_ERROR, move |c: &ClientError| {
        let _ = tx.send(format!(
            "clientError {} {} {}",
            c.error.code(),
            c.error.message(),
            if c.socket.destroyed() { "destroyed" } else { "open" }
        ));
        if c.socket.destroyed() {
            return;
        }
        let count = |me: &std::sync::OnceLock<Server>| me.get().map_or(usize::MAX, Server::connections);
        // Node's getConnections answers on the next tick: the count once
        // the connection's task let the socket go; then the socket is
        // destroyed.
        let (tx2, me) = (tx.clone(), me3.clone());
        let socket = c.socket.clone();
        tokio::spawn(async move {
            tokio::task::yield_now().await;
            let _ = tx2.send(format!("open socket connections {}", count(&me)));
            socket.destroy(None);
        });
        let (tx, me) = (tx.clone(), me3.clone());
        c.socket.on(StreamEvent::Close, move || {
            let (tx, me) = (tx.clone(), me.clone());
            // Node's setImmediate: the count after the close's own tick.
            tokio::spawn(async move {
                tokio::task::yield_now().await;
                let _ = tx.send(format!("closed socket connections {}", count(&me)));
            });
        });
    });
    server
}

/// Sends the case's bytes, waits for the handler (and, when the request is
/// whole, for the response's first part), resets, and returns the events
/// once a `'clientError'`, the request's `'close'` and the response's
/// `'close'` were all heard.
async fn drive(port: u16, case: &str, bytes: &[u8], events: &mut UnboundedReceiver<String>) -> Vec<String> {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.write_all(bytes).expect("write");
    let mut log = vec![recv_async(events, 10, &format!("{case}: the request's handler")).await];
    let mut got = Vec::new();
    if case.contains("response") {
        s.set_read_timeout(Some(std::time::Duration::from_secs(10)))
            .unwrap();
        let mut buf = [0u8; 1024];
        while !got.windows(4).any(|w| w == b"part") {
            let n = s
                .read(&mut buf)
                .unwrap_or_else(|e| panic!("{case}: the response's part: {e}"));
            assert!(n > 0, "{case}: closed before the response's part");
            got.extend_from_slice(&buf[..n]);
        }
    }
    if case.starts_with("end") {
        return ended(s, case, got, log, events).await;
    }
    socket2::SockRef::from(&s)
        .set_linger(Some(std::time::Duration::ZERO))
        .unwrap();
    drop(s);
    let done = |log: &[String]| {
        (!case.contains("waits") || log.iter().any(|l| l.starts_with("connections")))
            && log.iter().any(|l| l.starts_with("clientError"))
            && log.iter().any(|l| l == "req close")
            && log.iter().any(|l| l == "res close")
    };
    while !done(&log) {
        let what = format!("{case}: clientError, req close and res close (heard {log:?})");
        log.push(recv_async(events, 10, &what).await);
    }
    log
}

/// After a half-close: reads until the server's end of file or
/// [`READ_FOR`] seconds, then the events heard once a `'clientError'` or
/// the response's `'close'` came (and any already queued behind them),
/// then the bytes the server wrote (its `Date` dropped) and whether it
/// ended the connection.
async fn ended(
    mut s: std::net::TcpStream,
    case: &str,
    mut got: Vec<u8>,
    mut log: Vec<String>,
    events: &mut UnboundedReceiver<String>,
) -> Vec<String> {
    s.shutdown(std::net::Shutdown::Write).expect("shutdown");
    let (s, got, eof) = tokio::task::spawn_blocking(move || {
        s.set_read_timeout(Some(std::time::Duration::from_secs(READ_FOR)))
            .unwrap();
        let mut buf = [0u8; 1024];
        loop {
            match s.read(&mut buf) {
                Ok(0) => return (s, got, true),
                Ok(n) => got.extend_from_slice(&buf[..n]),
                Err(_) => return (s, got, false),
            }
        }
    })
    .await
    .unwrap();
    while !log
        .iter()
        .any(|l| l.starts_with("clientError") || l == "res close")
        || (case.contains("waits") && !log.iter().any(|l| l.starts_with("connections")))
        || (log.iter().any(|l| l.ends_with("Parse Error open"))
            && !log.iter().any(|l| l.starts_with("open socket connections")))
    {
        let what =
            format!("{case}: clientError or res close (and the late write's connections) (heard {log:?})");
        log.push(recv_async(events, 10, &what).await);
    }
    tokio::task::yield_now().await;
    while let Ok(l) = events.try_recv() {
        log.push(l);
    }
    let text = String::from_utf8_lossy(&got);
    let text: String = text
        .split_inclusive("\r\n")
        .filter(|l| !l.starts_with("Date: "))
        .collect();
    log.push(format!("client read {text:?}"));
    log.push(
        if eof {
            "client end of file"
        } else {
            "client no end of file"
        }
        .into(),
    );
    // The listener destroys the socket it was handed after counting:
    // the server's count after that close.
    drop(s);
    // The events the destroy brings may come before or after the client's
    // read ended: all of them, then the client's lines.
    if log.iter().any(|l| l.starts_with("open socket connections")) {
        while !log.iter().any(|l| l.starts_with("closed socket connections")) {
            let what = format!("{case}: the count after the open socket's close (heard {log:?})");
            log.push(recv_async(events, 10, &what).await);
        }
        let (client, mut server): (Vec<String>, Vec<String>) =
            log.into_iter().partition(|l| l.starts_with("client "));
        server.extend(client);
        log = server;
    }
    log
}

#[tokio::test]
async fn a_reset_inside_a_body_or_an_open_response_emits_nodes_events() {
    let Some(node) = node_or_skip("a_reset_inside_a_body_or_an_open_response_emits_nodes_events") else {
        return;
    };
    let mut child = node
        .command()
        .arg("-e")
        .arg(SCRIPT)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn node");
    let stdout = child.stdout.take().expect("node stdout");
    let _node = Keep::Node(child);
    let (tx, mut node_events) = unbounded_channel();
    std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let first = recv_async(&mut node_events, 30, "the node twin's port").await;
    let node_port: u16 = first
        .strip_prefix("port ")
        .and_then(|p| p.parse().ok())
        .expect("`port N` from the node twin");

    let (tx, mut rt_events) = unbounded_channel();
    let server = start_rt(tx);
    let rt_port = rt_tests::wait::within(10, "rt server listening", server.listen(("127.0.0.1", 0)))
        .await
        .expect("listen")
        .port()
        .expect("a port");
    let _rt = Keep::Rt(server);
    let mut compared = 0;
    for (case, bytes) in CASES {
        let want = drive(node_port, case, bytes, &mut node_events).await;
        let got = drive(rt_port, case, bytes, &mut rt_events).await;
        assert_eq!(got, want, "{case}: rt's events (left), node's (right)");
        compared += 1;
    }
    assert_eq!(compared, 6);
}
