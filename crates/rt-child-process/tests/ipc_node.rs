//! fork and the IPC channel against real Node, both ways: an rt parent
//! forking `node child.js`, a Node parent forking this test binary as an rt
//! child, event order compared with two Node processes, volume (10,000
//! messages in order, a 6 MB message), bad input and closed channels.

mod common;

use std::sync::{Arc, Mutex};

use rt_child_process::events::{CLOSE, DISCONNECT, ERROR, EXIT, MESSAGE};
use rt_child_process::{ChildProcess, Emitter, ForkOptions, fork, fork_with, ipc};
use rt_tests::node::node_or_skip;
use rt_tests::temp::TempDir;
use rt_tests::wait::within;
use serde_json::{Value, json};

/// Echoes every message as `{echo: m}`, exits on `'bye'`; says hello first.
const ECHO_CHILD: &str = r#"
process.on('message', m => { if (m === 'bye') process.exit(0); process.send({echo: m}); });
process.send({hello: 'from child'});
"#;

/// A Node parent: forks `module` (with `execPath` when given), answers the
/// hello with `{n: 1}`, the echo with `'bye'`, and prints its event log.
const NODE_PARENT: &str = r#"
const cp = require('child_process');
const { module: mod, args, execPath } = JSON.parse(process.argv[2]);
const c = cp.fork(mod, args, execPath ? { execPath, silent: true } : { silent: true });
const ev = [];
c.on('spawn', () => ev.push(['spawn']));
c.on('message', m => { ev.push(['message', m]); if (m.hello) c.send({n: 1}); else c.send('bye'); });
c.on('disconnect', () => ev.push(['disconnect']));
c.on('exit', (a, b) => ev.push(['exit', a, b]));
c.on('close', (a, b) => { ev.push(['close', a, b]); console.log(JSON.stringify(ev)); });
"#;

/// The rt parent: the same script as NODE_PARENT, with rt's fork.
fn rt_parent(module: &str) -> (ChildProcess, tokio::sync::oneshot::Receiver<Value>) {
    let log = common::Log::default();
    let mut rx = None;
    let child = fork_with(
        module,
        Vec::<String>::new(),
        ForkOptions::new().silent(true),
        |c| {
            common::log_spawn_and_exit(c, &log);
            common::log_disconnect(c, &log);
            let (l, me) = (log.clone(), c.clone());
            c.on(&MESSAGE, move |m| {
                l.lock().unwrap().push(json!(["message", m]));
                let reply = if m.get("hello").is_some() {
                    json!({"n": 1})
                } else {
                    json!("bye")
                };
                me.send(&reply).expect("reply sent");
            });
            rx = Some(common::log_close(c, &log, |l| Value::Array(l.to_vec())));
        },
    )
    .expect("fork");
    (child, rx.expect("setup ran"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rt_parent_and_node_child_match_two_node_processes() {
    let Some(node) = node_or_skip("rt_parent_and_node_child_match_two_node_processes") else {
        return;
    };
    let dir = TempDir::new("rt-ipc");
    let child_js = common::write(&dir, "child.cjs", ECHO_CHILD);
    let parent_js = common::write(&dir, "parent.cjs", NODE_PARENT);
    let arg = json!({"module": child_js, "args": []}).to_string();
    let expected: Value = serde_json::from_slice(&node.run_file(parent_js.as_ref(), &[&arg], b"")).unwrap();

    let (child, log) = rt_parent(&child_js);
    let got = within(30, "the forked node child's 'close'", log)
        .await
        .expect("close sent the log");
    assert_eq!(got, expected);
    assert_eq!(
        got.as_array().unwrap().len(),
        6,
        "spawn, 2 messages, disconnect, exit, close: {got}"
    );
    assert!(!child.connected());
    assert_eq!(
        child.send(&json!(1)).unwrap_err().code(),
        "ERR_IPC_CHANNEL_CLOSED"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_parent_forks_an_rt_child_like_a_node_child() {
    let Some(node) = node_or_skip("node_parent_forks_an_rt_child_like_a_node_child") else {
        return;
    };
    let dir = TempDir::new("rt-ipc");
    let child_js = common::write(&dir, "child.cjs", ECHO_CHILD);
    let parent_js = common::write(&dir, "parent.cjs", NODE_PARENT);
    let node_child = json!({"module": child_js, "args": []}).to_string();
    let expected: Value =
        serde_json::from_slice(&node.run_file(parent_js.as_ref(), &[&node_child], b"")).unwrap();

    // This test binary is the rt child: `<bin> rt_echo_child --exact`, with
    // RT_IPC_CHILD=1 in its environment (Node's fork passes the module path
    // as the first argument: here it is the test filter).
    let me = std::env::current_exe().unwrap();
    let rt_child = json!({"module": "rt_echo_child", "args": ["--exact", "--nocapture"],
                          "execPath": me.to_str().unwrap()})
    .to_string();
    let script = format!("process.env.RT_IPC_CHILD = '1';\n{NODE_PARENT}");
    let parent2 = common::write(&dir, "parent_rt.cjs", &script);
    let got: Value = serde_json::from_slice(&node.run_file(parent2.as_ref(), &[&rt_child], b"")).unwrap();
    assert_eq!(got, expected);
    assert_eq!(got.as_array().unwrap().len(), 6, "{got}");
}

/// The rt child of the test above (does nothing unless RT_IPC_CHILD=1):
/// claims the channel from NODE_CHANNEL_FD and behaves as ECHO_CHILD.
#[test]
fn rt_echo_child() {
    if std::env::var("RT_IPC_CHILD").as_deref() != Ok("1") {
        return;
    }
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let channel = ipc::from_env().expect("a channel").expect("NODE_CHANNEL_FD set");
        channel.send(&json!({"hello": "from child"})).unwrap();
        while let Some(m) = channel.recv().await {
            if m == json!("bye") {
                std::process::exit(0);
            }
            channel.send(&json!({"echo": m})).unwrap();
        }
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_messages_in_order_and_a_6mb_message() {
    let Some(_node) = node_or_skip("ten_thousand_messages_in_order_and_a_6mb_message") else {
        return;
    };
    let dir = TempDir::new("rt-ipc");
    let child_js = common::write(&dir, "child.cjs", ECHO_CHILD);
    let child = fork(&child_js, Vec::<String>::new(), ForkOptions::new().silent(true)).unwrap();
    let hello = within(20, "hello", child.recv()).await.unwrap();
    assert_eq!(hello, json!({"hello": "from child"}));
    for i in 0..10_000 {
        child.send(&json!({"i": i})).unwrap();
    }
    let big: String = "x".repeat(6 * 1024 * 1024);
    let hint = child.send(&json!(big)).unwrap();
    assert!(!hint, "6 MB queued: send() says stop");
    let mut received = 0;
    for i in 0..10_000 {
        let m = within(30, &format!("echo {i}"), child.recv())
            .await
            .expect("echo");
        assert_eq!(m, json!({"echo": {"i": i}}), "message {i} in order");
        received += 1;
    }
    let m = within(30, "the 6 MB echo", child.recv()).await.expect("big echo");
    assert_eq!(m["echo"].as_str().map(str::len), Some(big.len()));
    assert!(m["echo"] == json!(big));
    println!("received {received} echoes in order and the 6 MB one");
    assert_eq!(received, 10_000);
    child.send(&json!("bye")).unwrap();
    assert_eq!(
        within(20, "child close", child.closed()).await.unwrap().code,
        Some(0)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_lines_are_errors_with_the_bytes_and_a_cut_message_is_dropped() {
    let Some(_node) = node_or_skip("bad_lines_are_errors_with_the_bytes_and_a_cut_message_is_dropped") else {
        return;
    };
    let dir = TempDir::new("rt-ipc");
    let child_js = common::write(
        &dir,
        "bad.cjs",
        r#"const fs = require('fs');
fs.writeSync(3, 'not json at all\n\n');
process.send('after');
setTimeout(() => { fs.writeSync(3, '{"cut": '); process.exit(3); }, 50);"#,
    );
    let errors = Arc::new(Mutex::new(Vec::<String>::new()));
    let e2 = errors.clone();
    let child = fork_with(
        &child_js,
        Vec::<String>::new(),
        ForkOptions::new().silent(true),
        |c| {
            c.on(&ERROR, move |e| {
                e2.lock().unwrap().push(format!("{} {}", e.code(), e.message()))
            });
        },
    )
    .unwrap();
    let m = within(20, "the message after the bad lines", child.recv()).await;
    assert_eq!(m, Some(json!("after")));
    assert_eq!(within(20, "no more messages", child.recv()).await, None);
    let info = within(20, "close", child.closed()).await.unwrap();
    assert_eq!(info.code, Some(3));
    let errors = errors.lock().unwrap().clone();
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(
        errors[0].starts_with("ERR_IPC_INVALID_MESSAGE") && errors[0].contains("not json at all"),
        "{errors:?}"
    );
    assert!(errors[1].contains("\"\""), "the empty line: {errors:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disconnect_closes_and_twice_is_an_error() {
    let Some(_node) = node_or_skip("disconnect_closes_and_twice_is_an_error") else {
        return;
    };
    let dir = TempDir::new("rt-ipc");
    let child_js = common::write(&dir, "child.cjs", ECHO_CHILD);
    let child = fork(&child_js, Vec::<String>::new(), ForkOptions::new().silent(true)).unwrap();
    assert!(child.connected());
    assert_eq!(
        within(20, "hello", child.recv()).await,
        Some(json!({"hello": "from child"}))
    );
    child.disconnect().unwrap();
    assert!(!child.connected());
    assert_eq!(child.disconnect().unwrap_err().code(), "ERR_IPC_DISCONNECTED");
    assert_eq!(
        child.send(&json!("x")).unwrap_err().code(),
        "ERR_IPC_CHANNEL_CLOSED"
    );
    // The node child's channel closed: it has nothing left to do and exits.
    let info = within(20, "the child to exit after disconnect", child.closed())
        .await
        .unwrap();
    assert_eq!(info.code, Some(0));
    // No channel at all: Node's ERR_CHILD_PROCESS_IPC_REQUIRED.
    let plain = rt_child_process::spawn("true", Vec::<String>::new(), Default::default()).unwrap();
    assert_eq!(
        plain.send(&json!(1)).unwrap_err().code(),
        "ERR_CHILD_PROCESS_IPC_REQUIRED"
    );
    let _ = within(20, "true to close", plain.closed()).await;
}

/// A child that writes 2,000 messages in one write and exits at once.
const BURST_CHILD: &str = r#"
const fs = require('fs');
let s = ''; for (let i = 0; i < 2000; i++) s += JSON.stringify({i}) + '\n';
fs.writeSync(3, s); process.exit(0);
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_then_disconnect_then_exit_as_node_orders_them() {
    let Some(node) = node_or_skip("messages_then_disconnect_then_exit_as_node_orders_them") else {
        return;
    };
    let dir = TempDir::new("rt-ipc");
    let child_js = common::write(&dir, "burst.cjs", BURST_CHILD);
    let parent_js = common::write(
        &dir,
        "pburst.cjs",
        r#"const c = require('child_process').fork(process.argv[2]);
let n = 0; const ev = [];
c.on('message', () => n++);
c.on('disconnect', () => ev.push('disconnect@' + n));
c.on('exit', () => ev.push('exit@' + n));
c.on('close', () => { ev.push('close@' + n); console.log(JSON.stringify(ev)); });"#,
    );
    let expected: Value =
        serde_json::from_slice(&node.run_file(parent_js.as_ref(), &[&child_js], b"")).unwrap();
    assert_eq!(expected, json!(["disconnect@2000", "exit@2000", "close@2000"]));

    for run in 0..5 {
        let n = Arc::new(Mutex::new(0usize));
        let ev = Arc::new(Mutex::new(Vec::<String>::new()));
        let (tx, rx) = tokio::sync::oneshot::channel();
        let tx = Mutex::new(Some(tx));
        let _child = fork_with(&child_js, Vec::<String>::new(), ForkOptions::new(), |c| {
            let n1 = n.clone();
            c.on(&MESSAGE, move |_| *n1.lock().unwrap() += 1);
            let (n1, ev1) = (n.clone(), ev.clone());
            c.on(&DISCONNECT, move |_| {
                ev1.lock()
                    .unwrap()
                    .push(format!("disconnect@{}", n1.lock().unwrap()))
            });
            let (n2, ev2) = (n.clone(), ev.clone());
            c.on(&EXIT, move |_| {
                ev2.lock().unwrap().push(format!("exit@{}", n2.lock().unwrap()))
            });
            let (n3, ev3) = (n.clone(), ev.clone());
            c.on(&CLOSE, move |_| {
                ev3.lock().unwrap().push(format!("close@{}", n3.lock().unwrap()));
                if let Some(tx) = tx.lock().unwrap().take() {
                    let _ = tx.send(ev3.lock().unwrap().clone());
                }
            });
        })
        .unwrap();
        let got = within(20, "the burst child's close", rx).await.unwrap();
        assert_eq!(json!(got), expected, "run {run}");
    }
}

/// The internal-message hook: a real Node cluster worker (`NODE_UNIQUE_ID`
/// set) sends `NODE_CLUSTER` `online` on its own, then user messages and a
/// hand-made internal one; the internal ones reach `on_internal` (also
/// those that came before it was set) in order, never `'message'` or `recv`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn internal_messages_go_to_the_hook_only() {
    let Some(_node) = node_or_skip("internal_messages_go_to_the_hook_only") else {
        return;
    };
    let dir = TempDir::new("ipc-internal");
    let module = common::write(
        &dir,
        "worker.js",
        r#"
process.send('one');
process.send({cmd: 'NODE_CUSTOM', n: 2});
process.send({cmd: 'NODE_', n: 3});
process.on('message', m => { if (m === 'bye') process.disconnect(); });
"#,
    );
    let heard = Arc::new(Mutex::new(Vec::<Value>::new()));
    let h = heard.clone();
    let child = fork_with(
        &module,
        Vec::<String>::new(),
        ForkOptions::new().env_set("NODE_UNIQUE_ID", "1"),
        |c| {
            c.on(&MESSAGE, move |m| h.lock().unwrap().push(m.clone()));
        },
    )
    .unwrap();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    // Set once the last user message arrived: the internal ones before it
    // waited for the hook.
    let h = heard.clone();
    rt_tests::wait::wait_until_async(10, "the worker's two user messages", move || {
        h.lock().unwrap().len() == 2
    })
    .await;
    child.channel().unwrap().on_internal(move |m| {
        let _ = tx.send(m.message);
    });
    let first = within(10, "the worker's NODE_CLUSTER online", rx.recv())
        .await
        .unwrap();
    assert_eq!(first["cmd"], "NODE_CLUSTER");
    assert_eq!(first["act"], "online");
    assert_eq!(first["seq"], 0);
    let second = within(10, "NODE_CUSTOM", rx.recv()).await.unwrap();
    assert_eq!(second, json!({"cmd": "NODE_CUSTOM", "n": 2}));
    child.send("bye").unwrap();
    within(10, "the child's exit", child.wait()).await.unwrap();
    // 'NODE_' alone is not internal (too short): a user message.
    let heard = heard.lock().unwrap().clone();
    assert_eq!(heard, vec![json!("one"), json!({"cmd": "NODE_", "n": 3})]);
    assert!(rx.try_recv().is_err(), "no other internal message");
}
