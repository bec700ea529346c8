//! `server.maxConnections` on an http server, against a Node v20 server:
//! connections past the limit are closed at once, unanswered, with a
//! `'drop'` event carrying the addresses; the ones under it are served.
//! The same Node raw client drives both servers.

use std::sync::{Arc, Mutex};

use rt_events::Emitter;
use rt_http::{IncomingMessage, Server, ServerOptions, ServerResponse};
use rt_net::DropInfo;
use rt_tests::wait::within;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const SCRIPT: &str = r#"
const http = require('http'); const net = require('net');
const rtPort = Number(require('fs').readFileSync(0, 'utf8'));
const drops = [];
const srv = http.createServer((req, res) => res.end('ok'));
srv.maxConnections = 2;
srv.on('drop', (d) => drops.push(d));
// Opens a connection; sends a GET unless `quiet`; resolves with what came
// back and how it ended ('answered' once the body is there, or 'closed').
function open(port, quiet) {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1'); let got = ''; let done = false; let timer; let lp;
    const finish = (how) => { if (done) return; done = true; clearTimeout(timer);
      resolve({ s, how, got: got.replace(/Date: [^\r]*\r\n/g, 'Date: X\r\n'), localPort: lp }); };
    s.on('data', (d) => { got += d.toString('latin1'); if (got.endsWith('\r\n\r\nok')) finish('answered'); });
    s.on('close', () => finish('closed'));
    s.on('error', () => {});
    s.on('connect', () => { lp = s.localPort; if (!quiet) s.write('GET / HTTP/1.1\r\nHost: h\r\n\r\n'); });
    timer = setTimeout(() => finish('still open'), 5000);
  });
}
async function run(port) {
  const a = await open(port, false);
  const b = await open(port, false);
  const c = await open(port, true);
  const out = [a, b, c].map(({ how, got }) => ({ how, got }));
  const cPort = c.localPort;
  a.s.destroy(); b.s.destroy(); c.s.destroy();
  return { conns: out, cPort };
}
srv.listen(0, '127.0.0.1', async () => {
  const node = await run(srv.address().port);
  node.drops = drops.map((d) => ({ ...d, remotePortIsC: d.remotePort === node.cPort, localPortIsServer: d.localPort === srv.address().port }));
  const rt = await run(rtPort);
  console.log(JSON.stringify({ node, rt }));
  srv.close();
});
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_connections_drops_as_node() {
    let Some(node) = rt_tests::node::node_or_skip("max_connections_drops_as_node") else {
        return;
    };
    let server = Server::with_options(
        ServerOptions::default(),
        Some(|_req: IncomingMessage, res: ServerResponse| {
            let _ = res.end_with("ok");
        }),
    );
    server.set_max_connections(Some(2));
    assert_eq!(server.max_connections(), Some(2));
    let drops: Arc<Mutex<Vec<DropInfo>>> = Arc::default();
    let d = drops.clone();
    server.on(&rt_net::events::DROP, move |info: &DropInfo| {
        d.lock().expect("drops").push(info.clone());
    });
    let port = within(10, "listen", server.listen(("127.0.0.1", 0)))
        .await
        .expect("listen")
        .port()
        .expect("port");
    let out = tokio::task::spawn_blocking(move || node.run_script(SCRIPT, port.to_string().as_bytes()))
        .await
        .expect("node ran");
    let v: serde_json::Value = serde_json::from_slice(&out).expect("node printed JSON");
    println!("{v}");
    let (n, r) = (&v["node"], &v["rt"]);
    let node_conns = n["conns"].as_array().expect("node conns");
    let rt_conns = r["conns"].as_array().expect("rt conns");
    assert_eq!(node_conns.len(), 3);
    assert_eq!(rt_conns.len(), node_conns.len());
    let hows: Vec<&serde_json::Value> = node_conns.iter().map(|c| &c["how"]).collect();
    assert_eq!(
        hows,
        ["answered", "answered", "closed"],
        "node: two served, the third dropped"
    );
    for (i, (nc, rc)) in node_conns.iter().zip(rt_conns).enumerate() {
        assert_eq!(rc, nc, "connection {i}: how it ended and the bytes");
    }
    // 'drop': one, for the third connection, with both addresses.
    let node_drops = n["drops"].as_array().expect("node drops");
    assert_eq!(node_drops.len(), 1, "node dropped one: {n}");
    rt_tests::wait::wait_until_async(10, "rt's 'drop' event", || {
        !drops.lock().expect("drops").is_empty()
    })
    .await;
    let rt_drops = drops.lock().expect("drops").clone();
    assert_eq!(rt_drops.len(), 1, "rt dropped one: {rt_drops:?}");
    let (nd, rd) = (&node_drops[0], &rt_drops[0]);
    assert_eq!(nd["remotePortIsC"], true);
    assert_eq!(nd["localPortIsServer"], true);
    assert_eq!(
        u64::from(rd.remote_port),
        r["cPort"].as_u64().expect("c's port"),
        "rt's drop names the third connection"
    );
    assert_eq!(rd.local_port, port);
    assert_eq!(nd["localAddress"], rd.local_address.as_str());
    assert_eq!(nd["remoteAddress"], rd.remote_address.as_str());
    assert_eq!(nd["localFamily"], rd.local_family.to_string().as_str());
    assert_eq!(nd["remoteFamily"], rd.remote_family.to_string().as_str());
    println!("max_connections: 3 connections and 1 'drop' compared with node");

    // Under the limit again once the others are gone: served.
    rt_tests::wait::wait_until_async(10, "the rt server to count 0 connections", || {
        server.connections() == 0
    })
    .await;
    let mut s = within(10, "connect", tokio::net::TcpStream::connect(("127.0.0.1", port)))
        .await
        .expect("connect");
    s.write_all(b"GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")
        .await
        .expect("write");
    let mut got = Vec::new();
    within(10, "the answer after the others closed", s.read_to_end(&mut got))
        .await
        .expect("read");
    assert!(got.ends_with(b"\r\n\r\nok"), "{}", String::from_utf8_lossy(&got));
}
