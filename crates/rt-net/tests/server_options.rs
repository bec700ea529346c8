//! ServerOptions and ListenOptions, and listening on IPv6 and on `::`
//! (dual stack), compared with what Node does with the same options.

mod common;

use std::time::Duration;

use common::{NodeProcess, WAIT, Within, checked_server, read_all};
use rt_net::{ListenOptions, Server, ServerOptions, Socket, connect};
use rt_tests::node::{Node, node_or_skip};
use serde_json::{Value, json};

async fn run_node(node: &Node, script: &'static str, stdin: String) -> Value {
    let node = node.clone();
    let out = tokio::task::spawn_blocking(move || {
        common::run_node_within(&node, script, stdin.as_bytes(), 60, "the node script")
    })
    .await
    .unwrap();
    serde_json::from_slice(&out)
        .unwrap_or_else(|e| panic!("node printed no JSON ({e}): {}", String::from_utf8_lossy(&out)))
}

/// Whether this machine has a working IPv6 loopback; a visible skip if not
/// (a failure under `RT_REQUIRE_IPV6`).
fn ipv6_or_skip(test: &str) -> bool {
    match std::net::TcpListener::bind("[::1]:0") {
        Ok(_) => true,
        Err(e) => {
            rt_tests::skip::skip_unless_required(
                "RT_REQUIRE_IPV6",
                test,
                &format!("no IPv6 loopback on this machine (binding [::1]:0: {e})"),
            );
            false
        }
    }
}

const NODE_IPV6: &str = r#"
const net = require('net');
const listen = (opts) => new Promise((res, rej) => {
  const s = net.createServer(); s.once('error', rej); s.listen(opts, () => res(s));
});
// Resolves once both ends are up: the server's 'connection' and the
// client's 'connect' (either may come first).
const accept = (server, host) => new Promise((res) => {
  let sock = null, connected = false;
  const done = () => {
    if (!sock || !connected) return;
    res({ remoteAddress: sock.remoteAddress, remoteFamily: sock.remoteFamily,
          localAddress: sock.localAddress, localFamily: sock.localFamily,
          samePort: sock.localPort === server.address().port,
          clientRemote: c.remoteAddress, clientFamily: c.remoteFamily });
    sock.destroy(); c.destroy();
  };
  const onConn = (s) => { sock = s; done(); };
  server.once('connection', onConn);
  const c = net.connect(server.address().port, host, () => { connected = true; done(); });
  c.on('error', e => { server.off('connection', onConn); res({ error: e.code }); });
});
const bindV4 = (port) => new Promise(res => {
  const s = net.createServer(); s.once('error', e => res(e.code));
  s.listen(port, '127.0.0.1', () => { s.close(); res('ok'); });
});
(async () => {
  const out = [];
  for (const c of JSON.parse(require('fs').readFileSync(0, 'utf8'))) {
    const opts = { host: c.host, port: 0 };
    if (c.ipv6Only) opts.ipv6Only = true;
    const s = await listen(opts);
    const a = s.address();
    const rec = { name: c.name, address: a.address, family: a.family, accepted: [] };
    for (const h of c.clients) rec.accepted.push(await accept(s, h));
    rec.v4SamePort = await bindV4(a.port);
    await new Promise(r => s.close(r));
    out.push(rec);
  }
  console.log(JSON.stringify(out));
})();
"#;

/// Listening on `::1`, on `::` (dual stack: IPv4 clients arrive as
/// `::ffff:127.0.0.1`, the IPv4 port is taken too) and on `::` with
/// `ipv6_only` (IPv4 clients are refused, the IPv4 port stays free): every
/// address, family and outcome as Node reports them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ipv6_and_dual_stack_listening_match_node() {
    let test = "ipv6_and_dual_stack_listening_match_node";
    let Some(node) = node_or_skip(test) else {
        return;
    };
    if !ipv6_or_skip(test) {
        return;
    }
    let cases = json!([
        { "name": "loopback6", "host": "::1", "ipv6Only": false, "clients": ["::1"] },
        { "name": "dual", "host": "::", "ipv6Only": false, "clients": ["127.0.0.1", "::1"] },
        { "name": "v6only", "host": "::", "ipv6Only": true, "clients": ["::1", "127.0.0.1"] },
    ]);
    let node_out = run_node(&node, NODE_IPV6, cases.to_string()).await;

    let mut ours = Vec::new();
    for c in cases.as_array().unwrap() {
        let server = Server::new();
        let addr = server
            .listen(
                ListenOptions::tcp(c["host"].as_str().unwrap(), 0)
                    .ipv6_only(c["ipv6Only"].as_bool().unwrap()),
            )
            .within(WAIT, "listen")
            .await
            .unwrap();
        let inet = addr.inet().unwrap().clone();
        let mut accepted = Vec::new();
        for host in c["clients"].as_array().unwrap() {
            let host = host.as_str().unwrap();
            match connect((host, inet.port))
                .within(WAIT, "connect to the server")
                .await
            {
                Ok(client) => {
                    let sock = server.accept().within(WAIT, "accept").await.unwrap();
                    accepted.push(json!({
                        "remoteAddress": sock.remote_address(),
                        "remoteFamily": sock.remote_family().map(|f| f.as_str()),
                        "localAddress": sock.local_address(),
                        "localFamily": sock.local_family().map(|f| f.as_str()),
                        "samePort": sock.local_port() == Some(inet.port),
                        "clientRemote": client.remote_address(),
                        "clientFamily": client.remote_family().map(|f| f.as_str()),
                    }));
                    sock.destroy(None);
                    client.destroy(None);
                }
                Err(e) => accepted.push(json!({ "error": e.code() })),
            }
        }
        let v4 = Server::new();
        let v4_same_port = match v4
            .listen(("127.0.0.1", inet.port))
            .within(WAIT, "listen on the IPv4 side of the port")
            .await
        {
            Ok(_) => {
                v4.close().unwrap();
                "ok".to_string()
            }
            Err(e) => e.code().to_string(),
        };
        server.close().unwrap();
        server.closed().within(WAIT, "the server's 'close'").await;
        ours.push(json!({
            "name": c["name"], "address": inet.address, "family": inet.family.as_str(),
            "accepted": accepted, "v4SamePort": v4_same_port,
        }));
    }
    let node_cases = node_out.as_array().unwrap();
    println!("compared {} listen cases with node", ours.len());
    assert_eq!(node_cases.len(), 3, "node: {node_out}");
    assert_eq!(ours.len(), node_cases.len());
    for (o, n) in ours.iter().zip(node_cases) {
        assert_eq!(o, n, "rt (left) and node (right) differ");
    }
    // What the cases are there for (so that a node that changed would be seen).
    assert_eq!(node_cases[1]["accepted"][0]["remoteAddress"], "::ffff:127.0.0.1");
    assert_eq!(node_cases[1]["v4SamePort"], "EADDRINUSE");
    assert_eq!(node_cases[2]["accepted"][1]["error"], "ECONNREFUSED");
    assert_eq!(node_cases[2]["v4SamePort"], "ok");
}

const NODE_PAUSE: &str = r#"
const net = require('net');
const out = [];
const run = (pauseOnConnect) => new Promise((res) => {
  const server = net.createServer({ pauseOnConnect }, (s) => {
    setTimeout(() => {
      const rec = { paused: s.isPaused(), data: '' };
      // Paused: nothing was read from the kernel. (Not compared when not
      // paused: Node reads ahead into a fresh socket, rt reads when asked.)
      if (pauseOnConnect) rec.bytesRead = s.bytesRead;
      s.setEncoding('utf8');
      s.on('data', d => rec.data += d);
      s.on('end', () => { out.push(rec); s.end(); server.close(); res(); });
      s.resume();
    }, 100);
  });
  server.listen(0, '127.0.0.1', () => {
    const c = net.connect(server.address().port, '127.0.0.1', () => c.end('hello'));
    c.resume();
  });
});
(async () => { await run(false); await run(true); console.log(JSON.stringify(out)); })();
"#;

/// `pause_on_connect`: the accepted socket starts paused and reads nothing
/// from the kernel until resumed; without it the socket reads at once.
/// Compared with Node's `pauseOnConnect` (both settings).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pause_on_connect_matches_node() {
    let Some(node) = node_or_skip("pause_on_connect_matches_node") else {
        return;
    };
    let node_out = run_node(&node, NODE_PAUSE, String::new()).await;
    let mut ours = Vec::new();
    for pause_on_connect in [false, true] {
        let (server, mut handled) = checked_server(
            ServerOptions::default().pause_on_connect(pause_on_connect),
            move |s: Socket| async move {
                tokio::time::sleep(Duration::from_millis(100)).await;
                let paused = s.is_paused();
                let bytes_read = s.bytes_read();
                s.resume();
                let data = String::from_utf8(read_all(&s).await).unwrap();
                let _ = s.end();
                let mut rec = json!({ "paused": paused, "data": data });
                if pause_on_connect {
                    rec["bytesRead"] = json!(bytes_read);
                }
                rec
            },
        );
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
        let _ = c.end_with("hello");
        read_all(&c).await;
        ours.push(handled.next("the handler").await);
        server.close().unwrap();
    }
    let node_cases = node_out.as_array().unwrap();
    println!("compared {} pause_on_connect cases with node", ours.len());
    assert_eq!(node_cases.len(), 2, "node: {node_out}");
    assert_eq!(Value::from(ours), node_out);
    assert_eq!(node_cases[1]["paused"], true);
    assert_eq!(node_cases[1]["bytesRead"], 0);
}

/// `no_delay`, `keep_alive` and `high_water_mark` reach every accepted
/// socket (read back from the OS for the first two); the defaults are off
/// and 16 KiB.
#[tokio::test]
async fn server_options_reach_accepted_sockets() {
    let facts = |s: &Socket| (s.no_delay(), s.keep_alive(), s.writable_high_water_mark());
    for (options, expected) in [
        (ServerOptions::default(), (Some(false), Some(false), 16 * 1024)),
        (
            ServerOptions::default()
                .no_delay(true)
                .keep_alive(true)
                .keep_alive_initial_delay(Duration::from_secs(7))
                .high_water_mark(1000),
            (Some(true), Some(true), 1000),
        ),
        (
            ServerOptions::default().keep_alive(true),
            (Some(false), Some(true), 16 * 1024),
        ),
    ] {
        let (server, mut handled) = checked_server(options, move |s: Socket| async move { facts(&s) });
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
        assert_eq!(handled.next("the handler").await, expected);
        // The client's own socket is untouched by the server's options.
        assert_eq!(c.no_delay(), Some(false));
        c.destroy(None);
        server.close().unwrap();
    }
}

/// The listen queue's length as the kernel reports it (`ss`: Send-Q of a
/// listening socket is its backlog).
fn backlog_of(port: u16) -> Option<u32> {
    let out = std::process::Command::new("ss")
        .args(["-Hltn", &format!("sport = :{port}")])
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().next()?;
    line.split_whitespace().nth(2)?.parse().ok()
}

const NODE_BACKLOG: &str = r#"
const net = require('net');
const backlogs = JSON.parse(process.argv[2]);
const servers = [];
let left = backlogs.length;
const ports = [];
backlogs.forEach((b, i) => {
  const s = net.createServer();
  const opts = { port: 0, host: '127.0.0.1' };
  if (b !== null) opts.backlog = b;
  s.listen(opts, () => { ports[i] = s.address().port; if (--left === 0) console.log(JSON.stringify(ports)); });
  servers.push(s);
});
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
"#;

/// `backlog` (default 511, as Node) reaches the kernel's listen queue:
/// the same numbers as Node's servers get for the same options.
#[tokio::test]
async fn listen_backlog_matches_node() {
    let test = "listen_backlog_matches_node";
    let Some(node) = node_or_skip(test) else {
        return;
    };
    let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    if backlog_of(probe.local_addr().unwrap().port()).is_none() {
        rt_tests::skip::skip(test, "`ss` (iproute2) is missing or prints nothing here");
        return;
    }
    drop(probe);
    let backlogs = [None, Some(7), Some(100)];
    // Node: the backlogs its servers got (they listen until its stdin closes).
    let proc_ = NodeProcess::start(&node, NODE_BACKLOG, &[&json!(backlogs).to_string()]);
    let ports: Vec<u16> = serde_json::from_str(&proc_.line("the node servers' ports")).unwrap();
    let node_backlogs: Vec<Option<u32>> = ports.iter().map(|p| backlog_of(*p)).collect();
    drop(proc_);

    let mut ours = Vec::new();
    for b in backlogs {
        let server = Server::new();
        let port = server
            .listen({
                let mut o = ListenOptions::tcp("127.0.0.1", 0);
                o.backlog = b;
                o
            })
            .within(WAIT, "listen")
            .await
            .unwrap()
            .port()
            .unwrap();
        ours.push(backlog_of(port));
        server.close().unwrap();
    }
    println!("backlogs: rt {ours:?}, node {node_backlogs:?}");
    assert_eq!(node_backlogs.len(), 3);
    assert_eq!(ours, node_backlogs);
    assert_eq!(node_backlogs[0], Some(511));
    assert_eq!(node_backlogs[1], Some(7));
}

/// `exclusive` only matters in a cluster (rt-cluster reads it): a lone
/// server listens and serves the same with either value.
#[tokio::test]
async fn exclusive_does_not_change_a_lone_server() {
    for exclusive in [false, true] {
        let (server, mut handled) = checked_server(ServerOptions::default(), |s: Socket| async move {
            let _ = s.end_with("served");
        });
        let port = server
            .listen(ListenOptions::tcp("127.0.0.1", 0).exclusive(exclusive))
            .within(WAIT, "listen")
            .await
            .unwrap()
            .port()
            .unwrap();
        assert!(server.listening());
        let c = connect(("127.0.0.1", port))
            .within(WAIT, "connect")
            .await
            .unwrap();
        assert_eq!(read_all(&c).await, b"served", "exclusive {exclusive}");
        handled.next("the handler").await;
        server.close().unwrap();
        server.closed().within(WAIT, "the server's 'close'").await;
    }
}

/// The keep-alive timer of the TCP connection 127.0.0.1:`local_port` ->
/// 127.0.0.1:`remote_port`, in seconds, from /proc/net/tcp (`Some(None)`: the
/// connection has no keep-alive timer running; `None`: no such connection).
fn keepalive_timer_secs(text: &str, local_port: u16, remote_port: u16) -> Option<Option<f64>> {
    let local = format!("0100007F:{local_port:04X}");
    let remote = format!("0100007F:{remote_port:04X}");
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() > 5 && f[1] == local && f[2] == remote {
            let (tr, when) = f[5].split_once(':')?;
            if tr != "02" {
                return Some(None);
            }
            // In clock ticks (USER_HZ, 100 a second on Linux).
            return Some(Some(u64::from_str_radix(when, 16).ok()? as f64 / 100.0));
        }
    }
    None
}

/// `keep_alive_initial_delay` is the idle time before the first probe (Node:
/// `keepAliveInitialDelay`): the kernel's keep-alive timer for the accepted
/// connection runs out within it; with no delay the kernel's default
/// (`tcp_keepalive_time`) applies, and without `keep_alive` no timer runs.
#[tokio::test]
async fn keep_alive_initial_delay_reaches_the_os() {
    let test = "keep_alive_initial_delay_reaches_the_os";
    if std::fs::read_to_string("/proc/net/tcp").is_err() {
        rt_tests::skip::skip(test, "no /proc/net/tcp to read keep-alive timers from");
        return;
    }
    let kernel_default: f64 = std::fs::read_to_string("/proc/sys/net/ipv4/tcp_keepalive_time")
        .ok()
        .and_then(|t| t.trim().parse().ok())
        .unwrap_or(7200.0);
    let mut checked = 0;
    for (keep_alive, delay) in [(true, 7u64), (true, 0), (false, 0)] {
        let server = Server::with_options(
            ServerOptions::default()
                .keep_alive(keep_alive)
                .keep_alive_initial_delay(Duration::from_secs(delay)),
            None::<fn(Socket) -> std::future::Ready<()>>,
        );
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
        let accepted = server.accept().within(WAIT, "accept").await.unwrap();
        let text = std::fs::read_to_string("/proc/net/tcp").unwrap();
        let timer = keepalive_timer_secs(&text, port, c.local_port().unwrap())
            .expect("the accepted connection is not in /proc/net/tcp");
        let ctx = format!("keep_alive {keep_alive}, initial delay {delay} s: timer {timer:?}");
        match (keep_alive, delay) {
            (true, 7) => assert!(timer.is_some_and(|t| t > 0.0 && t <= 7.0), "{ctx}"),
            (true, _) => assert!(
                timer.is_some_and(|t| t > 7.0 && t <= kernel_default),
                "{ctx} (kernel default {kernel_default} s)"
            ),
            _ => assert_eq!(timer, None, "{ctx}"),
        }
        checked += 1;
        accepted.destroy(None);
        c.destroy(None);
        server.close().unwrap();
    }
    assert_eq!(checked, 3);
}
