//! rt-cluster against Node's cluster, both ways: an rt primary running rt
//! workers and real Node workers, a Node primary running rt workers, both
//! scheduling policies, requests spread across workers (by worker pid in
//! the response); and the events and worker states of an rt primary
//! compared with a Node primary's for the same scenarios.

mod common;

use common::{
    NODE_PRIMARY, NODE_WORKER, WORKER, assert_disconnected_life, get, logged, of_worker, run_node_primary,
};
use rt_cluster::{SchedulingPolicy, Settings, Signal, Worker};
use rt_tests::node::node_or_skip;
use rt_tests::temp::TempDir;
use rt_tests::wait::within;
use serde_json::{Value, json};

fn policy_name(p: SchedulingPolicy) -> &'static str {
    match p {
        SchedulingPolicy::RoundRobin => "rr",
        SchedulingPolicy::None => "none",
    }
}

/// `n` requests, one connection each; the distinct worker pids answering.
async fn spread(port: u16, n: usize) -> Vec<String> {
    let mut bodies = Vec::new();
    for _ in 0..n {
        let body = within(10, "a response from the cluster", get(port))
            .await
            .unwrap();
        bodies.push(body);
    }
    bodies
}

fn pids(bodies: &[String]) -> std::collections::BTreeSet<String> {
    bodies
        .iter()
        .map(|b| b.split(' ').nth(1).unwrap_or("").to_string())
        .collect()
}

/// An rt primary with two workers (rt's, or Node's under `node`):
/// requests reach both (round-robin: they alternate), then
/// `disconnect()` ends both with code 0 and Node's event order.
async fn rt_primary_spreads(settings: Settings, policy: SchedulingPolicy) {
    let mut l = logged(settings, policy);
    let w1 = l.cluster.fork([("PORT", "0")]).unwrap();
    let w2 = l.cluster.fork([("PORT", "0")]).unwrap();
    let (_, port) = within(20, "the first worker's 'listening'", l.ports.recv())
        .await
        .unwrap();
    within(20, "the second worker's 'listening'", l.ports.recv())
        .await
        .unwrap();
    let wanted: std::collections::BTreeSet<String> = [&w1, &w2]
        .iter()
        .map(|w| w.process().pid().unwrap().to_string())
        .collect();
    let bodies = spread(port, 8).await;
    assert_eq!(bodies.len(), 8);
    let seen = pids(&bodies);
    assert!(
        seen.is_subset(&wanted),
        "{seen:?} answered, workers are {wanted:?}"
    );
    if policy == SchedulingPolicy::RoundRobin {
        assert_eq!(seen, wanted, "round-robin reaches both workers: {bodies:?}");
        assert_ne!(bodies[0], bodies[1], "round-robin alternates: {bodies:?}");
    }
    println!(
        "{}: {} requests, {} workers answered",
        policy_name(policy),
        bodies.len(),
        seen.len()
    );
    within(20, "cluster.disconnect()", l.cluster.disconnect()).await;
    within(20, "worker 1's exit", w1.process().wait()).await.unwrap();
    within(20, "worker 2's exit", w2.process().wait()).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    let log = l.log.lock().unwrap().clone();
    for id in [1, 2] {
        assert_disconnected_life(&log, id);
    }
    assert!(l.cluster.workers().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rt_primary_rt_workers_round_robin() {
    rt_primary_spreads(
        Settings::new().exec(WORKER).args(vec![]),
        SchedulingPolicy::RoundRobin,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rt_primary_rt_workers_shared_handle() {
    rt_primary_spreads(Settings::new().exec(WORKER).args(vec![]), SchedulingPolicy::None).await;
}

/// A connection the round-robin primary hands to an rt worker is served
/// there as the TCP connection it is: the worker sees the client's address
/// as its remote one and the primary's listening address as its local one,
/// as a Node worker's `req.socket` does (the primary listens on `::`, so
/// both are IPv4-mapped: node v20 says `remote ::ffff:127.0.0.1 <client
/// port> local ::ffff:127.0.0.1 <port>`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_handed_in_connection_knows_its_addresses() {
    let mut l = logged(
        Settings::new().exec(WORKER).args(vec![]),
        SchedulingPolicy::RoundRobin,
    );
    let w = l.cluster.fork([("PORT", "0"), ("SHOW_ADDRESSES", "1")]).unwrap();
    let (_, port) = within(20, "the worker's 'listening'", l.ports.recv())
        .await
        .unwrap();
    let socket = within(
        10,
        "a connection to the cluster",
        rt_net::connect(("127.0.0.1", port)),
    )
    .await
    .unwrap();
    assert_eq!(socket.local_address().as_deref(), Some("127.0.0.1"));
    let client = socket.local_port().expect("the client's own port");
    socket
        .write(&b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"[..])
        .unwrap();
    let got = within(10, "the response", socket.read_all()).await.unwrap();
    let text: Vec<u8> = got.iter().flat_map(|c| c.to_vec()).collect();
    let text = String::from_utf8_lossy(&text).into_owned();
    let body = text.split("\r\n\r\n").nth(1).unwrap_or("");
    let pid = w.process().pid().unwrap();
    assert_eq!(
        body,
        format!("pid {pid} worker 1 remote [::ffff:127.0.0.1]:{client} local [::ffff:127.0.0.1]:{port}"),
        "the worker's view of the connection"
    );
    println!("worker saw: {body}");
    within(20, "cluster.disconnect()", l.cluster.disconnect()).await;
    within(20, "the worker's exit", w.process().wait()).await.unwrap();
}

/// One request over a Unix socket; the body.
async fn get_path(path: &std::path::Path) -> Result<String, rt_stream::Error> {
    let socket = rt_net::connect(path).await?;
    socket.write(&b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"[..])?;
    let got: Vec<u8> = socket.read_all().await?.iter().flat_map(|c| c.to_vec()).collect();
    let text = String::from_utf8_lossy(&got).into_owned();
    assert!(text.starts_with("HTTP/1.1 200"), "not a 200: {text:?}");
    Ok(text.split("\r\n\r\n").nth(1).unwrap_or("").to_string())
}

/// Round-robin on a Unix socket path: the primary listens there and hands
/// the connections to both workers; once the last worker is gone the path
/// is removed, as a Node primary's (libuv unlinks a pipe server's path when
/// it closes; checked with node v20: the path exists while the workers
/// listen, not after they disconnected).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rt_primary_round_robin_on_a_unix_path() {
    let dir = TempDir::new("cluster-rr-path");
    let path = dir.path().join("rr.sock");
    let shown = path.to_string_lossy().into_owned();
    let mut l = logged(
        Settings::new().exec(WORKER).args(vec![]),
        SchedulingPolicy::RoundRobin,
    );
    let w1 = l.cluster.fork([("LISTEN_PATH", shown.as_str())]).unwrap();
    let w2 = l.cluster.fork([("LISTEN_PATH", shown.as_str())]).unwrap();
    for n in ["first", "second"] {
        within(20, &format!("the {n} worker's 'listening'"), l.ports.recv())
            .await
            .unwrap();
    }
    assert!(path.exists(), "the primary listens on {shown}");
    let mut bodies = Vec::new();
    for _ in 0..6 {
        bodies.push(
            within(10, "a response over the Unix socket", get_path(&path))
                .await
                .unwrap(),
        );
    }
    let wanted: std::collections::BTreeSet<String> = [&w1, &w2]
        .iter()
        .map(|w| w.process().pid().unwrap().to_string())
        .collect();
    assert_eq!(bodies.len(), 6);
    assert_eq!(
        pids(&bodies),
        wanted,
        "round-robin reaches both workers: {bodies:?}"
    );
    println!(
        "unix path: {} requests over {shown}, both workers answered",
        bodies.len()
    );
    within(20, "cluster.disconnect()", l.cluster.disconnect()).await;
    within(20, "worker 1's exit", w1.process().wait()).await.unwrap();
    within(20, "worker 2's exit", w2.process().wait()).await.unwrap();
    rt_tests::wait::wait_until_async(10, "the socket's path removed", || !path.exists()).await;
}

fn node_worker_settings(dir: &TempDir) -> Settings {
    let path = dir.path().join("worker.js");
    std::fs::write(&path, NODE_WORKER).unwrap();
    Settings::new()
        .exec_path("node")
        .exec(path.to_string_lossy())
        .args(vec![])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rt_primary_node_workers_round_robin() {
    let Some(_node) = node_or_skip("rt_primary_node_workers_round_robin") else {
        return;
    };
    let dir = TempDir::new("cluster-node-workers");
    rt_primary_spreads(node_worker_settings(&dir), SchedulingPolicy::RoundRobin).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rt_primary_node_workers_shared_handle() {
    let Some(_node) = node_or_skip("rt_primary_node_workers_shared_handle") else {
        return;
    };
    let dir = TempDir::new("cluster-node-workers");
    rt_primary_spreads(node_worker_settings(&dir), SchedulingPolicy::None).await;
}

/// Runs the Node primary script with `cfg`; its `{log, bodies}`.
async fn node_primary(cfg: Value) -> Value {
    run_node_primary(NODE_PRIMARY, cfg).await
}

async fn node_primary_spreads(policy: SchedulingPolicy) {
    let got = node_primary(json!({
        "execPath": WORKER, "exec": "worker", "policy": policy_name(policy),
        "workers": 2, "scenario": "spread", "requests": 8, "env": {"PORT": "0"},
    }))
    .await;
    let bodies: Vec<String> = serde_json::from_value(got["bodies"].clone()).unwrap();
    assert_eq!(bodies.len(), 8, "{got}");
    assert!(bodies.iter().all(|b| b.starts_with("pid ")), "{bodies:?}");
    let seen = pids(&bodies);
    if policy == SchedulingPolicy::RoundRobin {
        assert_eq!(
            seen.len(),
            2,
            "Node's round-robin reaches both rt workers: {bodies:?}"
        );
    }
    println!(
        "node primary, {}: {} requests, {} rt workers answered",
        policy_name(policy),
        bodies.len(),
        seen.len()
    );
    let log = got["log"].as_array().unwrap();
    for id in [1, 2] {
        assert_disconnected_life(log, id);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_primary_rt_workers_round_robin() {
    if node_or_skip("node_primary_rt_workers_round_robin").is_none() {
        return;
    }
    node_primary_spreads(SchedulingPolicy::RoundRobin).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_primary_rt_workers_shared_handle() {
    if node_or_skip("node_primary_rt_workers_shared_handle").is_none() {
        return;
    }
    node_primary_spreads(SchedulingPolicy::None).await;
}

/// The same scenario under an rt primary and a Node primary, both running
/// rt workers: every worker's events, with its state and
/// `exitedAfterDisconnect` at each, must be equal.
async fn compare_scenario(scenario: &str, workers: usize, env: Value) {
    let policy = SchedulingPolicy::RoundRobin;
    let node = node_primary(json!({
        "execPath": WORKER, "exec": "worker", "policy": "rr",
        "workers": workers, "scenario": scenario, "env": env,
    }))
    .await;
    let node_log = node["log"].as_array().unwrap().clone();

    let mut l = logged(Settings::new().exec(WORKER).args(vec![]), policy);
    let env_pairs: Vec<(String, String)> = env
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
        .collect();
    let mut forked: Vec<Worker> = Vec::new();
    for _ in 0..workers {
        forked.push(l.cluster.fork(env_pairs.clone()).unwrap());
    }
    let listens = matches!(scenario, "disconnect" | "kill" | "disconnect_all");
    if listens {
        for _ in 0..workers {
            within(20, "every worker's 'listening'", l.ports.recv())
                .await
                .unwrap();
        }
    }
    let done = match scenario {
        "disconnect" => {
            forked[0].disconnect();
            None
        }
        "kill" => {
            forked[0].kill(Signal::SIGTERM);
            None
        }
        "disconnect_all" => {
            let (c, log) = (l.cluster.clone(), l.log.clone());
            Some(tokio::spawn(async move {
                c.disconnect().await;
                log.lock().unwrap().push(json!(["done"]));
            }))
        }
        _ => None,
    };
    for w in &forked {
        within(20, "every worker's exit", w.process().wait())
            .await
            .unwrap();
    }
    if let Some(d) = done {
        within(20, "cluster.disconnect()'s end", d).await.unwrap();
    }
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    let rt_log = l.log.lock().unwrap().clone();
    let mut compared = 0;
    for id in 1..=workers as u32 {
        let (a, b) = (of_worker(&rt_log, id), of_worker(&node_log, id));
        assert_eq!(
            a, b,
            "worker {id} of scenario {scenario}:\nrt:   {a:?}\nnode: {b:?}"
        );
        compared += a.len();
    }
    let done_of = |log: &[Value]| log.iter().filter(|e| **e == json!(["done"])).count();
    assert_eq!(
        done_of(&rt_log),
        done_of(&node_log),
        "cluster.disconnect() callbacks"
    );
    assert!(compared >= 4 * workers - 1, "{compared} events compared");
    println!("{scenario}: {compared} events equal to Node's: {rt_log:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_worker_disconnect_as_node() {
    if node_or_skip("events_worker_disconnect_as_node").is_some() {
        compare_scenario("disconnect", 1, json!({"PORT": "0"})).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_worker_kill_as_node() {
    if node_or_skip("events_worker_kill_as_node").is_some() {
        compare_scenario("kill", 1, json!({"PORT": "0"})).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_worker_exits_by_itself_as_node() {
    if node_or_skip("events_worker_exits_by_itself_as_node").is_some() {
        // After a pause: a worker exiting at once may be reaped before its
        // 'online' is read, in Node as in rt.
        let env = json!({"RT_WORKER_MODE": "exit", "EXIT_CODE": "3", "EXIT_DELAY_MS": "300"});
        compare_scenario("self_exit", 1, env).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_disconnect_all_as_node() {
    if node_or_skip("events_disconnect_all_as_node").is_some() {
        compare_scenario("disconnect_all", 2, json!({"PORT": "0"})).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_listen_eaddrinuse_as_node() {
    if node_or_skip("events_listen_eaddrinuse_as_node").is_none() {
        return;
    }
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    compare_scenario("eaddrinuse", 1, json!({"PORT": port, "HOST": "127.0.0.1"})).await;
}

/// The error a worker's listen gets for a port in use is Node's: a Node
/// worker under a Node primary and an rt worker under an rt primary
/// report the same code, errno, syscall, address, port and message.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listen_error_in_a_worker_is_nodes() {
    if node_or_skip("listen_error_in_a_worker_is_nodes").is_none() {
        return;
    }
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let dir = TempDir::new("cluster-eaddrinuse");
    let js = dir.path().join("worker.js");
    std::fs::write(&js, NODE_WORKER).unwrap();
    let node = node_primary(json!({
        "exec": js.to_string_lossy(), "policy": "rr", "workers": 1,
        "scenario": "eaddrinuse", "env": {"PORT": port, "HOST": "127.0.0.1"},
    }))
    .await;
    let node_err = node["log"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e[0] == "message")
        .map(|e| e[2]["listenError"].clone())
        .expect("the Node worker's listen error");
    let mut l = logged(
        Settings::new().exec(WORKER).args(vec![]),
        SchedulingPolicy::RoundRobin,
    );
    let w = l
        .cluster
        .fork([("PORT", port.as_str()), ("HOST", "127.0.0.1")])
        .unwrap();
    within(20, "the worker's exit", w.process().wait()).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    let rt_err = l
        .log
        .lock()
        .unwrap()
        .iter()
        .find(|e| e[0] == "message")
        .map(|e| e[2]["listenError"].clone())
        .expect("the rt worker's listen error");
    assert_eq!(rt_err, node_err);
    assert_eq!(
        rt_err["message"],
        json!(format!("bind EADDRINUSE 127.0.0.1:{port}"))
    );
    let _ = &mut l.ports;
}
