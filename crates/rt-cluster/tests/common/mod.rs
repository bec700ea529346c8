//! Helpers of the rt-cluster tests: the worker program, an http client
//! that opens one connection per request, and an rt primary with an event log.

#![allow(dead_code)]

use std::sync::{Arc, Mutex};

use rt_cluster::{Cluster, Emitter, SchedulingPolicy, Settings, Worker, events};
use rt_tests::node::node_or_skip;
use rt_tests::temp::TempDir;
use serde_json::{Value, json};

/// The rt worker program (`src/bin/rt-cluster-worker.rs`).
pub(crate) const WORKER: &str = env!("CARGO_BIN_EXE_rt-cluster-worker");

/// A Node worker: `http.createServer().listen(PORT)` answering
/// `pid <pid> worker <id>` (`maxConnections` from `MAX_CONNECTIONS`),
/// reporting a failed listen to the primary.
pub(crate) const NODE_WORKER: &str = r#"
const http = require('http');
const cluster = require('cluster');
const s = http.createServer((q, r) => r.end('pid ' + process.pid + ' worker ' + cluster.worker.id));
if (process.env.MAX_CONNECTIONS) s.maxConnections = +process.env.MAX_CONNECTIONS;
s.on('error', e => {
  process.send({listenError: {code: e.code, errno: e.errno, syscall: e.syscall, address: e.address, port: e.port, message: e.message}});
  setTimeout(() => process.exit(1), 100);
});
if (process.env.HOST) s.listen(+process.env.PORT || 0, process.env.HOST); else s.listen(+process.env.PORT || 0);
"#;

/// GET / on a fresh connection (`Connection: close`); the body. The
/// request does not half-close the connection (a proxy such as nginx takes
/// an early FIN for a client that went away).
pub(crate) async fn get(port: u16) -> Result<String, rt_stream::Error> {
    let socket = rt_net::connect(("127.0.0.1", port)).await?;
    socket.write(&b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"[..])?;
    let got: Vec<u8> = socket.read_all().await?.iter().flat_map(|c| c.to_vec()).collect();
    let text = String::from_utf8_lossy(&got).into_owned();
    if !text.starts_with("HTTP/1.1 200") {
        return Err(rt_stream::Error::new(
            rt_stream::Code::custom("ERR_TEST_BAD_RESPONSE"),
            format!("not a 200: {text:?}"),
        ));
    }
    Ok(text.split("\r\n\r\n").nth(1).unwrap_or("").to_string())
}

/// An rt primary whose events are logged as Node's scenario script logs
/// them: `[event, worker id, args..., state, exitedAfterDisconnect]`.
pub(crate) struct Logged {
    pub(crate) cluster: Cluster,
    pub(crate) log: Arc<Mutex<Vec<Value>>>,
    pub(crate) ports: tokio::sync::mpsc::UnboundedReceiver<(u32, u16)>,
}

fn entry(name: &str, w: &Worker, args: Vec<Value>) -> Value {
    let mut v = vec![json!(name), json!(w.id())];
    v.extend(args);
    v.push(json!(w.state().as_str()));
    v.push(json!(w.exited_after_disconnect()));
    Value::Array(v)
}

pub(crate) fn logged(settings: Settings, policy: SchedulingPolicy) -> Logged {
    let cluster = Cluster::new().unwrap();
    cluster.set_scheduling_policy(policy);
    cluster.setup_primary(settings);
    let log = Arc::new(Mutex::new(Vec::new()));
    for (name, ev) in [
        ("fork", &events::FORK),
        ("online", &events::ONLINE),
        ("disconnect", &events::DISCONNECT),
    ] {
        let l = log.clone();
        cluster.on(ev, move |w| l.lock().unwrap().push(entry(name, w, vec![])));
    }
    let (tx, ports) = tokio::sync::mpsc::unbounded_channel();
    let l = log.clone();
    cluster.on(&events::LISTENING, move |(w, a)| {
        let addr = json!({"addressType": a.address_type, "address": a.address, "port": a.port > 0});
        l.lock().unwrap().push(entry("listening", w, vec![addr]));
        let _ = tx.send((w.id(), a.port as u16));
    });
    let l = log.clone();
    cluster.on(&events::MESSAGE, move |(w, m)| {
        l.lock().unwrap().push(entry("message", w, vec![m.clone()]));
    });
    let l = log.clone();
    cluster.on(&events::EXIT, move |(w, info)| {
        l.lock()
            .unwrap()
            .push(entry("exit", w, vec![json!(info.code), json!(info.signal)]));
    });
    Logged { cluster, log, ports }
}

/// The log's entries of one worker, in order.
pub(crate) fn of_worker(log: &[Value], id: u32) -> Vec<Value> {
    log.iter().filter(|e| e[1] == json!(id)).cloned().collect()
}

/// The Node primary of the scenario tests: forks workers running `exec`
/// (through `process.execPath = execPath` when given: an rt worker),
/// logs events as [`logged`] does, runs `scenario`, prints the log.
pub(crate) const NODE_PRIMARY: &str = r#"
const cluster = require('cluster');
const cfg = JSON.parse(process.argv[2]);
if (cfg.execPath) process.execPath = cfg.execPath;
cluster.schedulingPolicy = cfg.policy === 'none' ? cluster.SCHED_NONE : cluster.SCHED_RR;
cluster.setupPrimary({ exec: cfg.exec, execArgv: [], args: [] });
const log = [];
const entry = (name, w, ...args) => log.push([name, w.id, ...args, w.state, w.exitedAfterDisconnect === undefined ? null : w.exitedAfterDisconnect]);
for (const e of ['fork', 'online', 'disconnect']) cluster.on(e, w => entry(e, w));
cluster.on('message', (w, m) => entry('message', w, m));
cluster.on('exit', (w, code, signal) => entry('exit', w, code, signal));
let listening = 0; const ports = [];
cluster.on('listening', (w, a) => {
  entry('listening', w, {addressType: a.addressType, address: a.address, port: a.port > 0});
  ports.push(a.port);
  if (++listening === cfg.workers) act();
});
const workers = [];
for (let i = 0; i < cfg.workers; i++) workers.push(cluster.fork(cfg.env || {}));
let exits = 0;
cluster.on('exit', () => { if (++exits === cfg.workers) finish(); });
function finish() { setTimeout(() => console.log(JSON.stringify({log, bodies})), 50); }
const bodies = [];
function get(port, n, done) {
  require('http').get({host: '127.0.0.1', port, agent: false}, r => {
    let b = ''; r.on('data', d => b += d); r.on('end', () => { bodies.push(b); if (n > 1) get(port, n - 1, done); else done(); });
  });
}
function act() {
  const w = workers[0];
  switch (cfg.scenario) {
    case 'spread': get(ports[0], cfg.requests, () => cluster.disconnect(() => log.push(['done']))); break;
    case 'disconnect': w.disconnect(); break;
    case 'kill': w.kill(); break;
    case 'disconnect_all': cluster.disconnect(() => log.push(['done'])); break;
  }
}
"#;

/// Asserts a worker's whole life in `log` ([`logged`]'s or
/// [`NODE_PRIMARY`]'s): fork, online, listening, disconnect, exit, ending
/// with code 0, no signal, `'dead'` and `exitedAfterDisconnect` true.
#[track_caller]
pub(crate) fn assert_disconnected_life(log: &[Value], id: u32) {
    let entries = of_worker(log, id);
    let names: Vec<Value> = entries.iter().map(|e| e[0].clone()).collect();
    // A worker exits only after the primary let go of the channel (rt's
    // and Node's alike), so 'disconnect' always comes before 'exit'.
    assert_eq!(
        names,
        [
            json!("fork"),
            json!("online"),
            json!("listening"),
            json!("disconnect"),
            json!("exit")
        ],
        "{log:?}"
    );
    let exit = entries.iter().find(|e| e[0] == json!("exit"));
    assert_eq!(exit, Some(&json!(["exit", id, 0, null, "dead", true])));
}

/// Runs the Node primary `script` with `cfg` (JSON, its first argument);
/// what it prints, parsed as JSON. Call after `node_or_skip`.
pub(crate) async fn run_node_primary(script: &'static str, cfg: Value) -> Value {
    let node = node_or_skip("run_node_primary").expect("checked by the caller");
    let out = tokio::task::spawn_blocking(move || {
        let dir = TempDir::new("cluster-node-primary");
        let file = dir.path().join("primary.js");
        std::fs::write(&file, script).unwrap();
        node.run_file(&file, &[&cfg.to_string()], b"")
    })
    .await
    .unwrap();
    serde_json::from_slice(&out).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out)))
}
