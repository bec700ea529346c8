//! spawn's run-time errors EMFILE and EAGAIN (each provoked in a
//! subprocess of this test, so the runner's limits are untouched), the
//! abort handle, a socket as a child's stdio, and 'spawn' for a listener
//! added right after spawn(), each against what node does.

mod common;

use std::sync::{Arc, Mutex};

use rt_child_process::events::{CLOSE, ERROR, EXIT, SPAWN};
use rt_child_process::{AbortController, Emitter, Signal, SpawnOptions, Stdio, spawn, spawn_with};
use rt_tests::node::node_or_skip;
use rt_tests::temp::TempDir;
use rt_tests::wait::within;
use serde_json::{Value, json};

const NODE_LISTENERS: &str = r#"
const listen = (c, done) => {
  const ev = [];
  c.on('spawn', () => ev.push(['spawn']));
  c.on('exit', (a, b) => ev.push(['exit', a, b]));
  c.on('error', e => ev.push(['error', {code: e.code, errno: e.errno, syscall: e.syscall, path: e.path, spawnargs: e.spawnargs, message: e.message}]));
  c.on('close', (a, b) => { ev.push(['close', a, b]); done({pid: c.pid !== undefined, ev}); });
};
"#;

/// Runs `scenario` of this binary (`scenario_child`) with `setup` applied
/// to the command, and returns the JSON it prints after `RESULT `.
fn run_scenario(scenario: &str, setup: impl FnOnce(&mut std::process::Command)) -> Value {
    let me = std::env::current_exe().unwrap();
    let mut c = std::process::Command::new(me);
    c.args(["scenario_child", "--exact", "--nocapture", "--test-threads=1"])
        .env("RT_SCENARIO", scenario);
    setup(&mut c);
    let out = c.output().expect("run the scenario");
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .find_map(|l| l.split_once("RESULT ").map(|(_, r)| r))
        .unwrap_or_else(|| {
            panic!(
                "{scenario}: no result: {text} {}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
    serde_json::from_str(line).unwrap()
}

/// The scenarios, run in a subprocess (nothing unless RT_SCENARIO is set).
#[test]
fn scenario_child() {
    let Ok(scenario) = std::env::var("RT_SCENARIO") else {
        return;
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let (file, args): (&str, Vec<String>) = match scenario.as_str() {
            "emfile" => {
                // Every fd taken: the child's pipes cannot be made.
                let limit = rustix::process::Rlimit {
                    current: Some(64),
                    maximum: Some(64),
                };
                rustix::process::setrlimit(rustix::process::Resource::Nofile, limit).unwrap();
                let mut held = Vec::new();
                while let Ok(f) = std::fs::File::open("/dev/null") {
                    held.push(f);
                }
                std::mem::forget(held);
                ("ls", vec!["-l".to_string()])
            }
            "eagain" => {
                // This user may run no more processes (it runs as an
                // unprivileged user: root ignores RLIMIT_NPROC).
                let limit = rustix::process::Rlimit {
                    current: Some(1),
                    maximum: Some(1),
                };
                rustix::process::setrlimit(rustix::process::Resource::Nproc, limit).unwrap();
                ("true", vec![])
            }
            other => panic!("unknown scenario {other}"),
        };
        let mut log = None;
        let _child = spawn_with(file, args, SpawnOptions::new(), |c| {
            log = Some(common::record_spawn(c, "ev"))
        })
        .expect("a run-time error is an event, not Err");
        let got = within(20, "the failed child's close", log.unwrap())
            .await
            .unwrap();
        println!("RESULT {got}");
    });
}

#[test]
fn emfile_is_an_error_event_as_in_node() {
    let Some(node) = node_or_skip("emfile_is_an_error_event_as_in_node") else {
        return;
    };
    let script = format!(
        r#"{NODE_LISTENERS}
const fs = require('fs');
const fds = [];
try {{ for (;;) fds.push(fs.openSync('/dev/null', 'r')); }} catch (e) {{}}
listen(require('child_process').spawn('ls', ['-l']), r => {{ for (const f of fds) fs.closeSync(f); console.log(JSON.stringify(r)); }});
"#
    );
    let expected: Value = serde_json::from_slice(&node.run_script(&script, b"")).unwrap();
    assert_eq!(expected["ev"][0][1]["code"], "EMFILE", "node: {expected}");
    let got = run_scenario("emfile", |_| {});
    println!("node {expected}\nrt   {got}");
    assert_eq!(got, expected);
}

#[test]
fn eagain_is_an_error_event_as_in_node() {
    let Some(node) = node_or_skip("eagain_is_an_error_event_as_in_node") else {
        return;
    };
    if !rustix::process::geteuid().is_root() {
        rt_tests::skip::skip(
            "eagain_is_an_error_event_as_in_node",
            "needs root to run the scenario as an unprivileged user (root ignores RLIMIT_NPROC)",
        );
        return;
    }
    let nobody = |c: &mut std::process::Command| {
        use std::os::unix::process::CommandExt;
        c.uid(65534).gid(65534).current_dir("/");
    };
    // Node needs a few threads of its own: the first limit it starts
    // under and fails to spawn with gives the expectation.
    let dir = TempDir::new("rt-eagain");
    let script = dir.path().join("eagain.js");
    std::fs::write(
        &script,
        format!(
            "{NODE_LISTENERS}\nlisten(require('child_process').spawn('true', []), r => console.log(JSON.stringify(r)));\n"
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o644)).unwrap();
    let mut expected = None;
    // Downwards: under too low a limit node cannot start its own threads
    // and hangs (bounded by `timeout`).
    for n in (4..=16).rev() {
        let mut c = std::process::Command::new("bash");
        c.arg("-c")
            .arg(format!("ulimit -u {n} && exec timeout 5 \"$0\" \"$1\""))
            .arg(node.path())
            .arg(&script);
        nobody(&mut c);
        let Ok(out) = c.output() else { break };
        let text = String::from_utf8_lossy(&out.stdout);
        if let Some(v) = text.lines().find_map(|l| serde_json::from_str::<Value>(l).ok()) {
            if v["ev"][0][1]["code"] == "EAGAIN" {
                expected = Some(v);
                break;
            }
        }
    }
    let Some(expected) = expected else {
        rt_tests::skip::skip(
            "eagain_is_an_error_event_as_in_node",
            "node never failed a spawn with EAGAIN under RLIMIT_NPROC here (bash missing or limits not enforced)",
        );
        return;
    };
    let got = run_scenario("eagain", nobody);
    println!("node {expected}\nrt   {got}");
    assert_eq!(got, expected);
}

/// Node: aborting kills the child with killSignal and emits 'error' with
/// an AbortError, then 'exit' and 'close' with the signal; an already
/// aborted signal does the same after 'spawn'.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn abort_kills_with_kill_signal_and_emits_abort_error_as_in_node() {
    let Some(node) = node_or_skip("abort_kills_with_kill_signal_and_emits_abort_error_as_in_node") else {
        return;
    };
    let script = r#"
const cp = require('child_process');
const run = (pre, ks) => new Promise(res => {
  const ac = new AbortController(); if (pre) ac.abort();
  const ev = [];
  const c = cp.spawn('sleep', ['30'], {signal: ac.signal, killSignal: ks});
  c.on('spawn', () => { ev.push(['spawn']); if (!pre) ac.abort(); });
  c.on('error', e => ev.push(['error', e.code, e.name, e.message]));
  c.on('exit', (a, b) => ev.push(['exit', a, b]));
  c.on('close', (a, b) => { ev.push(['close', a, b, c.killed]); res(ev); });
});
(async () => { console.log(JSON.stringify([await run(false), await run(true), await run(false, 'SIGKILL')])); })();
"#;
    let expected: Value = serde_json::from_slice(&node.run_script(script, b"")).unwrap();
    let mut got = Vec::new();
    for (pre, ks) in [
        (false, Signal::SIGTERM),
        (true, Signal::SIGTERM),
        (false, Signal::SIGKILL),
    ] {
        let ac = Arc::new(AbortController::new());
        if pre {
            ac.abort();
        }
        let log = Arc::new(Mutex::new(Vec::<Value>::new()));
        let (tx, rx) = tokio::sync::oneshot::channel();
        let tx = Mutex::new(Some(tx));
        let opts = SpawnOptions::new().signal(ac.signal()).kill_signal(ks);
        let _c = spawn_with("sleep", ["30"], opts, |c| {
            let (l, a) = (log.clone(), ac.clone());
            c.on(&SPAWN, move |_| {
                l.lock().unwrap().push(json!(["spawn"]));
                if !pre {
                    a.abort();
                }
            });
            let l = log.clone();
            c.on(&ERROR, move |e| {
                l.lock()
                    .unwrap()
                    .push(json!(["error", e.code(), e.name(), e.message()]))
            });
            let l = log.clone();
            c.on(&EXIT, move |i| {
                l.lock().unwrap().push(json!(["exit", i.code, i.signal]))
            });
            let (l, me) = (log.clone(), c.clone());
            c.on(&CLOSE, move |i| {
                let mut l = l.lock().unwrap();
                l.push(json!(["close", i.code, i.signal, me.killed()]));
                if let Some(tx) = tx.lock().unwrap().take() {
                    let _ = tx.send(Value::Array(l.clone()));
                }
            });
        })
        .unwrap();
        got.push(within(20, "the aborted child's close", rx).await.unwrap());
    }
    let got = Value::Array(got);
    println!("compared 3 abort cases: {got}");
    assert_eq!(got, expected);
}

/// Node's `stdio: [socket, socket]`: the child reads and writes the
/// connection itself; the parent's `stdio[i]` is null.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_socket_as_stdio_is_the_childs_connection() {
    let (port, go, peer) = common::socket_peer();
    let socket = within(20, "connect", rt_net::connect(("127.0.0.1", port)))
        .await
        .unwrap();
    // Flowing here (Node's readStop matters for a socket being read).
    let stolen = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let s2 = stolen.clone();
    socket.on(&rt_stream::events::DATA, move |b| {
        s2.fetch_add(b.len(), std::sync::atomic::Ordering::SeqCst);
    });
    let child = spawn(
        "sh",
        ["-c", "read l; echo \"got $l\""],
        SpawnOptions::new().stdio([
            Stdio::Socket(socket.clone()),
            Stdio::Socket(socket.clone()),
            Stdio::Inherit,
        ]),
    )
    .unwrap();
    assert!(child.stdio()[0].is_none() && child.stdio()[1].is_none());
    go.send(()).unwrap();
    let info = within(20, "the child to close", child.closed()).await.unwrap();
    assert_eq!(info.code, Some(0));
    assert_eq!(
        socket.bytes_read(),
        0,
        "this process read none of the child's input"
    );
    assert_eq!(stolen.load(std::sync::atomic::Ordering::SeqCst), 0);
    socket.destroy(None);
    let got = within(
        20,
        "the peer's read",
        tokio::task::spawn_blocking(move || peer.join().unwrap()),
    )
    .await
    .unwrap();
    assert_eq!(String::from_utf8_lossy(&got), "got hello\n");
}

/// A listener added right after spawn() returns sees 'spawn' (Node emits
/// it on a later tick), from a test body (block_on) and from a task.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_spawn_listener_added_right_after_spawn_sees_it() {
    let rounds = 100;
    let mut seen = 0;
    for i in 0..rounds {
        let in_task = i % 2 == 1;
        let run = || {
            // A child that lives a little: 'spawn' is the race here (the
            // first event); one that exits at once races 'exit' as well.
            let c = spawn(
                "sleep",
                ["0.02"],
                SpawnOptions::new().stdio([Stdio::Ignore, Stdio::Ignore, Stdio::Ignore]),
            )
            .unwrap();
            let (tx, rx) = std::sync::mpsc::channel();
            c.on(&SPAWN, move |_| {
                let _ = tx.send(());
            });
            (c, rx)
        };
        let (c, rx) = if in_task {
            tokio::spawn(async move { run() }).await.unwrap()
        } else {
            run()
        };
        within(20, "true to close", c.closed()).await.unwrap();
        assert!(
            rx.try_recv().is_ok(),
            "round {i} (in a task: {in_task}): 'spawn' missed"
        );
        seen += 1;
    }
    println!("'spawn' seen in {seen} of {rounds} rounds");
    assert_eq!(seen, rounds);
}
