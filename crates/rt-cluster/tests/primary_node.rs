//! The primary's API against a real Node primary: when `'setup'` and
//! `'fork'` come, a worker whose spawn fails, `NODE_UNIQUE_ID` kept from a
//! worker's own children, `setup_primary`'s stdio / uid / gid /
//! inspectPort, and a worker at its `maxConnections`.

mod common;

use std::sync::{Arc, Mutex};

use common::{NODE_WORKER, WORKER, get, run_node_primary};
use rt_cluster::{Cluster, Emitter, SchedulingPolicy, Settings, WorkerStdio, events};
use rt_tests::node::node_or_skip;
use rt_tests::temp::TempDir;
use rt_tests::wait::{recv_async, within};
use serde_json::{Value, json};

/// The Node side of these tests: one case per run, the log printed as JSON.
const NODE_CASES: &str = r#"
const cluster = require('cluster');
const cfg = JSON.parse(process.argv[2]);
const log = [];
const done = (ms) => setTimeout(() => console.log(JSON.stringify(log)), ms);
if (cfg.execPath) process.execPath = cfg.execPath;
const settings = { exec: cfg.exec, execArgv: cfg.execArgv || [], args: [], ...(cfg.settings || {}) };
switch (cfg.case) {
  case 'order': {
    cluster.on('setup', () => log.push(['setup']));
    cluster.on('fork', w => log.push(['fork', w.id]));
    cluster.on('online', w => { log.push(['online', w.id]); w.kill(); });
    cluster.on('exit', w => { log.push(['exit', w.id]); done(50); });
    cluster.setupPrimary(settings);
    log.push(['setupPrimary returned']);
    cluster.fork(cfg.env || {});
    log.push(['fork returned']);
    break;
  }
  case 'spawn_error': {
    cluster.setupPrimary(settings);
    for (const e of ['setup', 'fork', 'online', 'listening', 'disconnect', 'exit']) cluster.on(e, w => log.push([e]));
    const w = cluster.fork();
    w.on('error', e => log.push(['error', {code: e.code, errno: e.errno, syscall: e.syscall, path: e.path, message: e.message}]));
    done(500);
    break;
  }
  case 'message': {
    cluster.setupPrimary(settings);
    const w = cluster.fork(cfg.env || {});
    w.on('message', m => { log.push(m); w.kill(); });
    cluster.on('exit', () => done(0));
    break;
  }
  case 'no_ipc': {
    cluster.setupPrimary(settings);
    try { cluster.fork(); log.push('forked'); } catch (e) { log.push({code: e.code, message: e.message}); }
    done(0);
    break;
  }
  case 'max_connections': {
    // Both workers take at most one connection. One held open (its
    // worker answers once) fills that worker: the next ones go to the other.
    cluster.setupPrimary(settings);
    let listening = 0;
    cluster.on('listening', (w, a) => {
      if (++listening < 2) return;
      const held = require('net').connect(a.port, '127.0.0.1');
      held.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
      held.once('data', d => {
        const holder = String(d).split('worker ')[1];
        const bodies = [];
        const get = (n) => require('http').get({host: '127.0.0.1', port: a.port, agent: false}, r => {
          let b = ''; r.on('data', d => b += d);
          r.on('end', () => { bodies.push(b.split(' ')[3]); if (n > 1) get(n - 1); else { log.push(holder, bodies); held.destroy(); cluster.disconnect(() => done(0)); } });
        });
        get(cfg.requests);
      });
    });
    cluster.fork({PORT: '0', MAX_CONNECTIONS: '1'});
    cluster.fork({PORT: '0', MAX_CONNECTIONS: '1'});
    break;
  }
}
"#;

async fn node_case(cfg: Value) -> Value {
    run_node_primary(NODE_CASES, cfg).await
}

/// A logging primary on this (current-thread) runtime, as a Node program
/// is single-threaded: listeners for `'setup'`, `'fork'`, `'online'`
/// (which kills the worker) and `'exit'` (which sends on the channel).
fn order_cluster(log: &Arc<Mutex<Vec<Value>>>) -> (Cluster, tokio::sync::mpsc::UnboundedReceiver<()>) {
    let c = Cluster::new().unwrap();
    let l = log.clone();
    c.on(&events::SETUP, move |_| l.lock().unwrap().push(json!(["setup"])));
    let l = log.clone();
    c.on(&events::FORK, move |w| {
        l.lock().unwrap().push(json!(["fork", w.id()]))
    });
    let l = log.clone();
    c.on(&events::ONLINE, move |w| {
        l.lock().unwrap().push(json!(["online", w.id()]));
        w.kill(rt_cluster::Signal::SIGTERM);
    });
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let l = log.clone();
    c.on(&events::EXIT, move |(w, _)| {
        l.lock().unwrap().push(json!(["exit", w.id()]));
        let _ = tx.send(());
    });
    (c, rx)
}

/// `'setup'` (one from `setup_primary`, one from `fork`) and then `'fork'`
/// come after the calls return and before `'online'`, as in Node (where
/// they are emitted on the next tick).
#[tokio::test]
async fn setup_and_fork_come_after_the_calls_as_node() {
    if node_or_skip("setup_and_fork_come_after_the_calls_as_node").is_none() {
        return;
    }
    // The worker does not listen (a listen answered after the kill is an
    // EPIPE 'error' on a Node primary's worker).
    let env = [("RT_WORKER_MODE", "exit"), ("EXIT_DELAY_MS", "10000")];
    let node = node_case(json!({"case": "order", "execPath": WORKER, "exec": "worker", "env": {"RT_WORKER_MODE": "exit", "EXIT_DELAY_MS": "10000"}})).await;
    let log = Arc::new(Mutex::new(Vec::new()));
    let (c, mut exited) = order_cluster(&log);
    c.setup_primary(Settings::new().exec(WORKER).args(vec![]));
    log.lock().unwrap().push(json!(["setupPrimary returned"]));
    let _w = c.fork(env).unwrap();
    log.lock().unwrap().push(json!(["fork returned"]));
    recv_async(&mut exited, 20, "the worker's 'exit'").await;
    let rt = Value::Array(log.lock().unwrap().clone());
    assert_eq!(rt, node, "rt:   {rt}\nnode: {node}");
    assert_eq!(rt.as_array().unwrap().len(), 7);
    println!("7 entries equal to Node's: {rt}");
}

/// A worker whose program cannot be spawned: the worker's `'error'`
/// (Node's code, errno, syscall, path and message), then `'fork'`, as a
/// Node primary reports it.
#[tokio::test]
async fn spawn_error_is_the_workers_error_as_node() {
    if node_or_skip("spawn_error_is_the_workers_error_as_node").is_none() {
        return;
    }
    let missing = "/nonexistent/rt-cluster-worker";
    let node = node_case(json!({"case": "spawn_error", "execPath": missing, "exec": "worker"})).await;
    let log = Arc::new(Mutex::new(Vec::new()));
    let c = Cluster::new().unwrap();
    c.setup_primary(Settings::new().exec(missing).args(vec![]));
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    for (name, ev) in [
        ("fork", &events::FORK),
        ("online", &events::ONLINE),
        ("disconnect", &events::DISCONNECT),
    ] {
        let (l, tx) = (log.clone(), tx.clone());
        c.on(ev, move |_| {
            l.lock().unwrap().push(json!([name]));
            let _ = tx.send(name);
        });
    }
    let l = log.clone();
    c.on(&events::SETUP, move |_| l.lock().unwrap().push(json!(["setup"])));
    let l = log.clone();
    c.on(&events::EXIT, move |_| l.lock().unwrap().push(json!(["exit"])));
    let w = c.fork(Vec::<(String, String)>::new()).unwrap();
    let l = log.clone();
    w.on(&events::worker::ERROR, move |e| {
        let e = json!({"code": e.code(), "errno": e.errno(), "syscall": e.syscall(), "path": e.path(), "message": e.message()});
        l.lock().unwrap().push(json!(["error", e]));
    });
    assert_eq!(
        recv_async(&mut rx, 20, "the failed worker's 'fork'").await,
        "fork"
    );
    // What follows within half a second (Node's script waits as long).
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let rt = Value::Array(log.lock().unwrap().clone());
    assert_eq!(rt, node, "rt:   {rt}\nnode: {node}");
    println!("{} entries equal to Node's: {rt}", rt.as_array().unwrap().len());
}

/// Runs one rt worker (or a Node worker, `node_script`) under an rt primary
/// with `settings`; the first message it sends.
async fn rt_message(settings: Settings, env: Vec<(&str, &str)>) -> Value {
    let c = Cluster::new().unwrap();
    c.setup_primary(settings);
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    c.on(&events::MESSAGE, move |(w, m)| {
        let _ = tx.send(m.clone());
        w.kill(rt_cluster::Signal::SIGTERM);
    });
    let w = c.fork(env).unwrap();
    let m = recv_async(&mut rx, 20, "the worker's message").await;
    within(20, "the worker's exit", w.process().wait()).await.unwrap();
    m
}

/// Node deletes `NODE_UNIQUE_ID` from a worker's environment once it
/// started, so what the worker spawns is not a worker: a Node worker under
/// a Node primary, an rt worker under an rt primary and under a Node
/// primary all report it unset in a child, and `isWorker` still true.
#[tokio::test]
async fn node_unique_id_is_kept_from_a_workers_children_as_node() {
    if node_or_skip("node_unique_id_is_kept_from_a_workers_children_as_node").is_none() {
        return;
    }
    let dir = TempDir::new("cluster-child-env");
    let js = dir.path().join("worker.js");
    std::fs::write(
        &js,
        "const {execSync} = require('child_process');\n\
         process.send({childEnv: execSync('echo ${NODE_UNIQUE_ID-unset}').toString().trim(), \
         isWorker: require('cluster').isWorker});\n\
         setInterval(() => {}, 1000);\n",
    )
    .unwrap();
    let node_node = node_case(json!({"case": "message", "exec": js.to_string_lossy()})).await;
    let node_rt = node_case(json!({"case": "message", "execPath": WORKER, "exec": "worker", "env": {"RT_WORKER_MODE": "child_env"}})).await;
    let rt_rt = rt_message(
        Settings::new().exec(WORKER).args(vec![]),
        vec![("RT_WORKER_MODE", "child_env")],
    )
    .await;
    let want = json!({"childEnv": "unset", "isWorker": true});
    assert_eq!(node_node, json!([want]), "Node under Node");
    assert_eq!(node_rt, json!([want]), "rt worker under a Node primary");
    assert_eq!(rt_rt, want, "rt worker under an rt primary");
    println!("3 runs: a worker's child sees NODE_UNIQUE_ID unset");
}

/// `stdio` without `'ipc'` is Node's error from `fork`.
#[tokio::test]
async fn stdio_without_ipc_is_nodes_error() {
    if node_or_skip("stdio_without_ipc_is_nodes_error").is_none() {
        return;
    }
    let node =
        node_case(json!({"case": "no_ipc", "exec": "x.js", "settings": {"stdio": ["pipe", "pipe", "pipe"]}}))
            .await;
    let c = Cluster::new().unwrap();
    c.setup_primary(Settings::new().exec(WORKER).stdio(vec![
        WorkerStdio::Pipe,
        WorkerStdio::Pipe,
        WorkerStdio::Pipe,
    ]));
    let e = c.fork(Vec::<(String, String)>::new()).unwrap_err();
    assert_eq!(json!([{"code": e.code(), "message": e.message()}]), node);
    assert!(c.workers().is_empty());
}

/// `stdio` replaces `silent`: with `[ignore, pipe, ignore, ipc]` the
/// worker's stdout is a pipe to the primary and its stdin and stderr are
/// not.
#[tokio::test]
async fn stdio_setting_gives_the_workers_fds() {
    let Some(_node) = node_or_skip("stdio_setting_gives_the_workers_fds") else {
        return;
    };
    let dir = TempDir::new("cluster-stdio");
    let js = dir.path().join("worker.js");
    std::fs::write(
        &js,
        "console.log('out of worker');\nprocess.send('printed');\nsetInterval(() => {}, 1000);\n",
    )
    .unwrap();
    let c = Cluster::new().unwrap();
    c.setup_primary(
        Settings::new()
            .exec_path("node")
            .exec(js.to_string_lossy())
            .args(vec![])
            .stdio(vec![
                WorkerStdio::Ignore,
                WorkerStdio::Pipe,
                WorkerStdio::Ignore,
                WorkerStdio::Ipc,
            ]),
    );
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    c.on(&events::MESSAGE, move |(_, m)| {
        let _ = tx.send(m.clone());
    });
    let w = c.fork(Vec::<(String, String)>::new()).unwrap();
    let stdio = w.process().stdio().to_vec();
    assert_eq!(stdio.len(), 4);
    assert!(
        stdio[0].is_none() && stdio[2].is_none(),
        "stdin and stderr ignored"
    );
    let out = stdio[1].clone().expect("stdout is a pipe");
    recv_async(&mut rx, 20, "the worker's 'printed' message").await;
    w.kill(rt_cluster::Signal::SIGTERM);
    let got: Vec<u8> = within(20, "the worker's stdout to end", out.read_all())
        .await
        .unwrap()
        .iter()
        .flat_map(|c| c.to_vec())
        .collect();
    assert_eq!(String::from_utf8_lossy(&got), "out of worker\n");
    within(20, "the worker's exit", w.process().wait()).await.unwrap();
}

/// `uid` / `gid` run the worker as that user and group (as root only:
/// otherwise a visible skip).
#[tokio::test]
async fn uid_and_gid_settings_as_node() {
    if node_or_skip("uid_and_gid_settings_as_node").is_none() {
        return;
    }
    // SAFETY-free check of being root: the id of the owner of a new file.
    let dir = TempDir::new("cluster-uid");
    let probe = dir.path().join("probe");
    std::fs::write(&probe, "").unwrap();
    if std::os::unix::fs::MetadataExt::uid(&std::fs::metadata(&probe).unwrap()) != 0 {
        rt_tests::skip::skip(
            "uid_and_gid_settings_as_node",
            "not root: cannot run a worker as another user",
        );
        return;
    }
    let js = dir.path().join("worker.js");
    std::fs::write(
        &js,
        "process.send({uid: process.getuid(), gid: process.getgid()});\nsetInterval(() => {}, 1000);\n",
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(&js, std::fs::Permissions::from_mode(0o644)).unwrap();
    let node = node_case(json!({"case": "message", "exec": js.to_string_lossy(), "settings": {"uid": 65534, "gid": 65534, "cwd": "/"}})).await;
    let rt = rt_message(
        Settings::new()
            .exec_path("node")
            .exec(js.to_string_lossy())
            .args(vec![])
            .uid(65534)
            .gid(65534)
            .cwd("/"),
        vec![],
    )
    .await;
    assert_eq!(json!([rt]), node);
    assert_eq!(rt, json!({"uid": 65534, "gid": 65534}));
}

/// `inspect_port` is the port of a Node worker's inspector when its
/// `exec_argv` turns the inspector on, as a Node primary's `inspectPort`.
#[tokio::test]
async fn inspect_port_setting_as_node() {
    if node_or_skip("inspect_port_setting_as_node").is_none() {
        return;
    }
    let free = || {
        std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port()
    };
    let dir = TempDir::new("cluster-inspect");
    let js = dir.path().join("worker.js");
    std::fs::write(
        &js,
        "process.send({debugPort: process.debugPort});\nsetInterval(() => {}, 1000);\n",
    )
    .unwrap();
    let argv = vec!["--inspect=127.0.0.1:0".to_string()];
    let node_port = free();
    let node = node_case(
        json!({"case": "message", "exec": js.to_string_lossy(), "execArgv": argv,
        "settings": {"inspectPort": node_port, "silent": true}}),
    )
    .await;
    let rt_port = free();
    let rt = rt_message(
        Settings::new()
            .exec_path("node")
            .exec(js.to_string_lossy())
            .exec_argv(argv)
            .args(vec![])
            .inspect_port(rt_port)
            .silent(true),
        vec![],
    )
    .await;
    assert_eq!(node, json!([{"debugPort": node_port}]));
    assert_eq!(rt, json!({"debugPort": rt_port}));
}

/// A worker whose server is at its `maxConnections` refuses the
/// connections handed to it and the primary gives them to another worker:
/// two workers with `maxConnections` 1, one connection held open on one of
/// them, and every later request is answered by the other, under an rt
/// primary with rt workers (rt-net servers) as under a Node primary with
/// Node workers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_connections_sends_connections_elsewhere_as_node() {
    if node_or_skip("max_connections_sends_connections_elsewhere_as_node").is_none() {
        return;
    }
    max_connections_case("net").await;
}

/// The same with rt-http servers in the workers: a worker whose http
/// server holds `maxConnections` connections refuses the next one handed
/// in (its rt-net server counts the http connections, as Node's
/// `_connections` does), and the primary sends it to the other worker.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_http_servers_max_connections_sends_connections_elsewhere_as_node() {
    if node_or_skip("an_http_servers_max_connections_sends_connections_elsewhere_as_node").is_none() {
        return;
    }
    max_connections_case("http").await;
}

/// `mode`: the rt workers' server (`net`: rt-net, `http`: rt-http).
async fn max_connections_case(mode: &str) {
    let requests = 6;
    let dir = TempDir::new("cluster-maxconn");
    let js = dir.path().join("worker.js");
    std::fs::write(&js, NODE_WORKER).unwrap();
    let node =
        node_case(json!({"case": "max_connections", "exec": js.to_string_lossy(), "requests": requests}))
            .await;
    let c = Cluster::new().unwrap();
    c.set_scheduling_policy(SchedulingPolicy::RoundRobin);
    c.setup_primary(Settings::new().exec(WORKER).args(vec![]));
    let (tx, mut ports) = tokio::sync::mpsc::unbounded_channel();
    c.on(&events::LISTENING, move |(_, a)| {
        let _ = tx.send(a.port as u16);
    });
    let env = [("PORT", "0"), ("MAX_CONNECTIONS", "1"), ("RT_WORKER_MODE", mode)];
    c.fork(env).unwrap();
    c.fork(env).unwrap();
    let port = recv_async(&mut ports, 20, "worker 1's 'listening'").await;
    recv_async(&mut ports, 20, "worker 2's 'listening'").await;
    // One keep-alive connection, left open: its worker is full.
    let held = rt_net::connect(("127.0.0.1", port)).await.unwrap();
    held.write(&b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"[..]).unwrap();
    let mut head = Vec::new();
    while !String::from_utf8_lossy(&head).contains(" worker ") {
        let chunk = within(10, "the held connection's answer", held.read()).await;
        head.extend_from_slice(&chunk.expect("an answer before the end").unwrap());
    }
    let holder = String::from_utf8_lossy(&head)
        .rsplit("worker ")
        .next()
        .unwrap_or("")
        .to_string();
    let mut ids = Vec::new();
    for _ in 0..requests {
        let body = within(10, "an answer", get(port)).await.unwrap();
        ids.push(json!(body.split(' ').nth(3).unwrap_or("")));
    }
    held.destroy(None);
    within(20, "cluster.disconnect()", c.disconnect()).await;
    let node = node.as_array().unwrap();
    assert_eq!(node.len(), 2, "{node:?}");
    let node_ids = node[1].as_array().unwrap();
    assert_eq!(node_ids.len(), requests);
    assert!(node_ids.iter().all(|i| *i != node[0]), "Node: {node:?}");
    assert_eq!(ids.len(), requests);
    assert!(
        ids.iter().all(|i| *i != json!(holder)),
        "rt: worker {holder} holds one, answered {ids:?}"
    );
    assert!(
        ids.windows(2).all(|p| p[0] == p[1]),
        "rt: one worker answers all: {ids:?}"
    );
    println!(
        "{mode}: {requests} requests in each, all answered by the worker not holding the open connection"
    );
}
