//! Scale: 10,000 concurrent connections to one rt server, all echoing
//! correctly. The client ends live in a Node process (the fd limit here is
//! per process: 10,000 server ends + 10,000 client ends would not fit in one).

mod common;

use common::{NodeProcess, WAIT, Within, open_files_limit};
use rt_net::{Socket, create_server};
use rt_tests::node::node_or_skip;

/// Seconds Node's clients may take to open and check all connections
/// (debug build, shared machine).
const OPEN_SECS: u64 = 180;

const CONNS: usize = 10_000;

const CLIENTS: &str = r#"
const net = require('net');
const port = Number(process.argv[2]);
const total = Number(process.argv[3]);
const sockets = [];
let next = 0, open = 0, ok = 0, bad = 0, failed = 0;
function one() {
  if (next >= total) return;
  const i = next++;
  const msg = 'conn-' + String(i).padStart(8, '0') + '\n';
  const s = net.connect(port, '127.0.0.1', () => s.write(msg));
  let got = '';
  s.setEncoding('utf8');
  s.on('data', d => {
    got += d;
    if (got.length >= msg.length) {
      if (got === msg) ok++; else bad++;
      open++;
      check();
      one();
    }
  });
  s.on('error', () => { failed++; check(); one(); });
  sockets.push(s);
}
function check() {
  if (open + failed === total) console.log(JSON.stringify({ open, ok, bad, failed }));
}
for (let k = 0; k < 256; k++) one();
process.stdin.on('data', () => {
  for (const s of sockets) s.destroy();
  console.log('closed');
});
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_concurrent_connections_echo() {
    let Some(node) = node_or_skip("ten_thousand_concurrent_connections_echo") else {
        return;
    };
    let limit = open_files_limit();
    if limit < (CONNS as u64) + 500 {
        // A visible skip; a failure under any RT_REQUIRE_* (CI).
        rt_tests::skip::skip(
            "ten_thousand_concurrent_connections_echo",
            &format!(
                "open files limit {limit} is below {} (run under `ulimit -n 20000`, as .ci/run does)",
                CONNS + 500
            ),
        );
        return;
    }
    let server = create_server(|s: Socket| async move {
        s.pipe(&s);
        s.wait_end().await
    });
    let port = server
        .listen(("127.0.0.1", 0))
        .within(WAIT, "listen")
        .await
        .unwrap()
        .port()
        .unwrap();
    let clients = NodeProcess::start(&node, CLIENTS, &[&port.to_string(), &CONNS.to_string()]);
    // Node's lines are read on a thread of their own; waiting for one blocks,
    // so it happens off the runtime's workers (they serve the connections).
    let summary = tokio::task::spawn_blocking(move || {
        let line = clients.line_within(OPEN_SECS, "node's summary of 10,000 echoes");
        (clients, line)
    })
    .await
    .unwrap();
    let (mut clients, line) = summary;
    let v: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert_eq!(v["failed"], 0, "{v}");
    assert_eq!(v["bad"], 0, "{v}");
    assert_eq!(v["ok"], CONNS, "{v}");
    // All of them are open on the server at the same time.
    assert_eq!(server.get_connections(), CONNS);
    clients.send("close\n");
    let (clients, closed) = tokio::task::spawn_blocking(move || {
        let l = clients.line_within(OPEN_SECS, "node closing its 10,000 clients");
        (clients, l)
    })
    .await
    .unwrap();
    assert_eq!(closed, "closed");
    server.close().unwrap();
    server
        .closed()
        .within(OPEN_SECS, "the server's 'close' after 10,000 connections closed")
        .await;
    assert_eq!(server.get_connections(), 0);
    drop(clients);
}
