//! Slow and hostile peers against the rt server, with shortened timeouts:
//! a slowloris head gets Node's canned 408, a slow body hits
//! request_timeout, an idle keep-alive connection is closed after
//! keep_alive_timeout, a client that never reads stops the server from
//! reading (its work stays bounded), and 10,000 idle keep-alive connections
//! (held by a Node process) are closed by close_idle_connections.

use std::io::Write as _;
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use rt_http::{IncomingMessage, Server, ServerOptions, ServerResponse};
use rt_tests::wait::{Lines, within};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const CANNED_408: &[u8] = b"HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n";

async fn echo(req: IncomingMessage, res: ServerResponse) {
    let n: usize = match req.read_all().await {
        Ok(chunks) => chunks.iter().map(|c| c.len()).sum(),
        Err(_) => return,
    };
    let _ = res.end_with(format!("got {n}"));
}

async fn start(opts: ServerOptions) -> (Server, u16) {
    let server = Server::with_options(opts, Some(echo));
    let port = within(10, "listen", server.listen(("127.0.0.1", 0)))
        .await
        .expect("listen")
        .port()
        .expect("port");
    (server, port)
}

/// Reads until the server closes; what arrived.
async fn read_to_close(s: &mut TcpStream, secs: u64, what: &str) -> Vec<u8> {
    let mut out = Vec::new();
    let _ = within(secs, what, s.read_to_end(&mut out)).await;
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slowloris_head_gets_408() {
    let mut opts = ServerOptions::default();
    opts.headers_timeout = Duration::from_millis(300);
    opts.request_timeout = Duration::ZERO; // only headers_timeout applies
    let (_server, port) = start(opts).await;
    let mut s = TcpStream::connect(("127.0.0.1", port)).await.expect("connect");
    s.write_all(b"GET / HTTP/1.1\r\nHost: h\r\n")
        .await
        .expect("write");
    // A header line now and then, never the blank line.
    let drip = async {
        for i in 0..100 {
            tokio::time::sleep(Duration::from_millis(50)).await;
            if s.write_all(format!("X-{i}: y\r\n").as_bytes()).await.is_err() {
                break;
            }
        }
    };
    within(20, "the server to stop the slow head", drip).await;
    let got = read_to_close(&mut s, 10, "the 408 and close").await;
    assert_eq!(got, CANNED_408, "{}", got.escape_ascii());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_body_hits_request_timeout() {
    let mut opts = ServerOptions::default();
    opts.headers_timeout = Duration::from_millis(200);
    opts.request_timeout = Duration::from_millis(500);
    let (_server, port) = start(opts).await;
    let mut s = TcpStream::connect(("127.0.0.1", port)).await.expect("connect");
    s.write_all(b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 100\r\n\r\nab")
        .await
        .expect("write");
    let drip = async {
        for _ in 0..98 {
            tokio::time::sleep(Duration::from_millis(50)).await;
            if s.write_all(b"x").await.is_err() {
                break;
            }
        }
    };
    within(20, "the server to stop the slow body", drip).await;
    let got = read_to_close(&mut s, 10, "the 408 and close").await;
    assert_eq!(got, CANNED_408, "{}", got.escape_ascii());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_keep_alive_connection_closes() {
    let mut opts = ServerOptions::default();
    opts.keep_alive_timeout = Duration::from_millis(200);
    let (server, port) = start(opts).await;
    let mut s = TcpStream::connect(("127.0.0.1", port)).await.expect("connect");
    s.write_all(b"GET / HTTP/1.1\r\nHost: h\r\n\r\n")
        .await
        .expect("write");
    // The response (keep-alive, advertising timeout=0 s as Node rounds
    // down), then nothing from us: the server closes the connection.
    let got = read_to_close(&mut s, 15, "the server closing the idle keep-alive connection").await;
    let text = String::from_utf8_lossy(&got);
    assert!(text.starts_with("HTTP/1.1 200 OK\r\n"), "{text}");
    assert!(
        text.contains("Connection: keep-alive\r\nKeep-Alive: timeout=0\r\n"),
        "{text}"
    );
    assert!(text.ends_with("got 0"), "{text}");
    rt_tests::wait::wait_until_async(10, "the server to count the connection gone", || {
        server.connections() == 0
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_never_reads_stops_the_server_reading() {
    let handled = Arc::new(AtomicUsize::new(0));
    let h = handled.clone();
    let server = rt_http::create_server(move |_req: IncomingMessage, res: ServerResponse| {
        h.fetch_add(1, Ordering::Relaxed);
        let _ = res.end_with(vec![b'z'; 64 * 1024]);
    });
    let port = within(10, "listen", server.listen(("127.0.0.1", 0)))
        .await
        .expect("listen")
        .port()
        .expect("port");
    // 20,000 pipelined requests (1.3 GB of responses) and never a read.
    let requests = 20_000;
    let std = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
    let writer = std::thread::spawn(move || {
        let mut std = std;
        let one = b"GET /big HTTP/1.1\r\nHost: h\r\n\r\n";
        let mut sent = 0;
        let _ = std.set_write_timeout(Some(Duration::from_secs(3)));
        for _ in 0..requests {
            if std.write_all(one).is_err() {
                break;
            }
            sent += 1;
        }
        (std, sent)
    });
    // Wait until the server's progress stops (bounded), then check it
    // handled only what the socket buffers could hold.
    let mut last = usize::MAX;
    for _ in 0..100 {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let now = handled.load(Ordering::Relaxed);
        if now == last {
            break;
        }
        last = now;
    }
    let (_conn, sent) = writer.join().expect("writer thread");
    let done = handled.load(Ordering::Relaxed);
    println!("requests written before blocking: {sent}; handled by the server: {done}");
    assert!(done > 0, "the server answered nothing");
    assert!(
        done < 500,
        "the server kept reading requests whose responses cannot be sent ({done} handled, 64 KiB each)"
    );
    assert!(
        done < sent,
        "the server stopped before the requests did ({done} of {sent})"
    );
}

const IDLE_CLIENTS: &str = r#"
const http = require('http');
const port = Number(process.argv[2]);
const total = Number(process.argv[3]);
let done = 0, failed = 0, closed = 0, started = 0;
function one() {
  if (started >= total) return;
  started++;
  // An agent each: every request keeps its own socket open, idle, in its pool.
  const agent = new http.Agent({ keepAlive: true, keepAliveMsecs: 60000 });
  const req = http.get({ host: '127.0.0.1', port, path: '/', agent }, (res) => {
    res.resume();
    res.on('end', () => {
      req.socket.on('close', () => { closed++; if (closed === total) console.log('all closed'); });
      done++;
      if (done + failed === total) console.log(JSON.stringify({ done, failed }));
      one();
    });
  });
  req.on('error', () => { failed++; if (done + failed === total) console.log(JSON.stringify({ done, failed })); one(); });
}
for (let k = 0; k < 200; k++) one();
process.stdin.on('data', () => {});
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_idle_keep_alive_connections_then_close_idle() {
    let Some(node) = rt_tests::node::node_or_skip("ten_thousand_idle_keep_alive_connections_then_close_idle")
    else {
        return;
    };
    const CONNS: usize = 10_000;
    let limit = std::fs::read_to_string("/proc/self/limits")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("Max open files"))
                .and_then(|l| l.split_whitespace().nth(3).and_then(|v| v.parse::<u64>().ok()))
        })
        .unwrap_or(1024);
    if limit < CONNS as u64 + 500 {
        rt_tests::skip::skip(
            "ten_thousand_idle_keep_alive_connections_then_close_idle",
            &format!("open files limit {limit} is below {}", CONNS + 500),
        );
        return;
    }
    let mut opts = ServerOptions::default();
    opts.keep_alive_timeout = Duration::from_secs(600);
    let (server, port) = start(opts).await;
    let dir = rt_tests::temp::TempDir::new("idle-clients");
    let script = dir.path().join("idle_clients.js");
    std::fs::write(&script, IDLE_CLIENTS).expect("script");
    let mut child = node
        .command()
        .arg(&script)
        .arg(port.to_string())
        .arg(CONNS.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn node");
    let lines = Lines::spawn(child.stdout.take().expect("stdout"));
    let (lines, summary) = tokio::task::spawn_blocking(move || {
        let l = lines.next_within(240, "node's summary of 10,000 keep-alive requests");
        (lines, l)
    })
    .await
    .expect("join");
    let v: serde_json::Value = serde_json::from_str(&summary).expect("json");
    assert_eq!(v["failed"], 0, "{v}");
    assert_eq!(v["done"], CONNS, "{v}");
    rt_tests::wait::wait_until_async(30, "all 10,000 connections idle on the server", || {
        server.connections() == CONNS
    })
    .await;
    server.close_idle_connections();
    let (_lines, closed) = tokio::task::spawn_blocking(move || {
        let l = lines.next_within(120, "node seeing its 10,000 sockets closed");
        (lines, l)
    })
    .await
    .expect("join");
    assert_eq!(closed, "all closed");
    rt_tests::wait::wait_until_async(30, "the server to count 0 connections", || {
        server.connections() == 0
    })
    .await;
    let _ = child.kill();
    let _ = child.wait();
}

/// A pipelined head past max_header_size behind a response that never ends
/// (Node parses every read at once): Node answers the canned 431 when the
/// pending response sent nothing yet, and closes the connection either way;
/// the rt server must do the same, not stop reading and hang. The same Node
/// client drives a Node twin and the rt server; 2 variants compared.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversize_pipelined_head_behind_a_never_ending_response_as_node() {
    let Some(node) =
        rt_tests::node::node_or_skip("oversize_pipelined_head_behind_a_never_ending_response_as_node")
    else {
        return;
    };
    let server = Server::with_options(
        ServerOptions::default(),
        Some(|req: IncomingMessage, res: ServerResponse| {
            if req.url() == "/hang-head" {
                let _ = res.flush_headers();
            } else if req.url() != "/hang" {
                let _ = res.end_with("ok");
            }
        }),
    );
    let port = within(10, "listen", server.listen(("127.0.0.1", 0)))
        .await
        .expect("listen")
        .port()
        .expect("port");
    let script = r#"
const http = require('http'); const net = require('net');
const rtPort = Number(require('fs').readFileSync(0, 'utf8'));
const srv = http.createServer((req, res) => {
  if (req.url === '/hang-head') { res.flushHeaders(); return; }
  if (req.url === '/hang') return;
  res.end('ok');
});
function run(port, path) {
  return new Promise((resolve) => {
    const s = net.connect(port); let got = ''; let done = false;
    const finish = (closed) => { if (done) return; done = true; s.destroy();
      resolve({ got: got.replace(/Date: [^\r]*\r\n/g, 'Date: X\r\n'), closed }); };
    s.on('data', (d) => { got += d.toString('latin1'); });
    s.on('close', () => finish(true));
    s.on('error', () => {});
    s.on('connect', () => {
      s.write('GET ' + path + ' HTTP/1.1\r\nHost: h\r\n\r\n');
      setTimeout(() => s.write('GET / HTTP/1.1\r\nHost: h\r\nX: ' + 'a'.repeat(20000) + '\r\n\r\n'), 200);
      setTimeout(() => finish(false), 5000);
    });
  });
}
srv.listen(0, '127.0.0.1', async () => {
  const out = [];
  for (const path of ['/hang', '/hang-head']) {
    out.push({ path, node: await run(srv.address().port, path), rt: await run(rtPort, path) });
  }
  console.log(JSON.stringify(out));
  srv.close();
});
"#;
    let out = tokio::task::spawn_blocking(move || node.run_script(script, port.to_string().as_bytes()))
        .await
        .expect("node ran");
    let v: serde_json::Value = serde_json::from_slice(&out).expect("node printed JSON");
    let cases = v.as_array().expect("a list");
    assert_eq!(cases.len(), 2, "two variants compared");
    for c in cases {
        assert_eq!(c["node"]["closed"], true, "node closes: {c}");
        assert_eq!(c["rt"], c["node"], "rt answers as node: {c}");
    }
    assert!(
        cases[0]["node"]["got"]
            .as_str()
            .is_some_and(|g| g.starts_with("HTTP/1.1 431 Request Header Fields Too Large")),
        "the canned 431 when nothing was sent: {}",
        cases[0]
    );
    println!("compared {} variants with node", cases.len());
}
