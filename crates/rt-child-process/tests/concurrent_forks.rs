//! Many children with a channel forked by several threads at once: each
//! gets 'disconnect' before 'exit', as Node orders them. In a binary of its
//! own: a fork made by other code of this process (std's `Command`, as the
//! node runner of other tests) can hold a child's end for the instant until
//! its exec, and a child that exits within that instant then gets 'exit'
//! first, as a Node child would while another process holds its channel.

use std::sync::{Arc, Mutex};

use rt_child_process::events::{CLOSE, DISCONNECT, EXIT, SPAWN};
use rt_child_process::{Emitter, SpawnOptions, Stdio, spawn_with};
use rt_tests::node::node_or_skip;
use rt_tests::wait::within;
use serde_json::{Value, json};

/// Children with a channel, forked by several threads at once: each one's
/// exit leaves the channel's end of file, so each gets Node's order
/// (read from node, one child at a time). A sibling being forked while a
/// child's end is open here would hold that end until its exec: spawns
/// are serialised, so none does, and no timer is needed.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn children_forked_at_once_each_disconnect_before_exit() {
    let Some(node) = node_or_skip("children_forked_at_once_each_disconnect_before_exit") else {
        return;
    };
    let script = r#"
const cp = require('child_process');
const run = () => new Promise(res => { const ev = []; const c = cp.spawn('true', [], {stdio: ['ignore', 'ignore', 'ignore', 'ipc']});
  for (const e of ['spawn', 'disconnect', 'exit']) c.on(e, () => ev.push(e));
  c.on('close', () => { ev.push('close'); res(ev); }); });
(async () => { const r = []; for (let i = 0; i < 5; i++) r.push(await run()); console.log(JSON.stringify(r)); })();
"#;
    let runs: Value = serde_json::from_slice(&node.run_script(script, b"")).unwrap();
    let expected = runs[0].clone();
    assert!(
        runs.as_array().unwrap().iter().all(|r| *r == expected),
        "node varies: {runs}"
    );
    assert_eq!(expected, json!(["spawn", "disconnect", "exit", "close"]));

    let (threads, per_thread) = (4, 60);
    let mut tasks = Vec::new();
    for _ in 0..threads {
        tasks.push(tokio::spawn(async move {
            let mut logs = Vec::new();
            for _ in 0..per_thread {
                let log = Arc::new(Mutex::new(Vec::<Value>::new()));
                let (tx, rx) = tokio::sync::oneshot::channel();
                let tx = Mutex::new(Some(tx));
                let opts =
                    SpawnOptions::new().stdio([Stdio::Ignore, Stdio::Ignore, Stdio::Ignore, Stdio::Ipc]);
                let _c = spawn_with("true", Vec::<String>::new(), opts, |c| {
                    let l = log.clone();
                    c.on(&SPAWN, move |_| l.lock().unwrap().push(json!("spawn")));
                    let l = log.clone();
                    c.on(&EXIT, move |_| l.lock().unwrap().push(json!("exit")));
                    let l = log.clone();
                    c.on(&DISCONNECT, move |_| l.lock().unwrap().push(json!("disconnect")));
                    let l = log.clone();
                    c.on(&CLOSE, move |_| {
                        let mut l = l.lock().unwrap();
                        l.push(json!("close"));
                        if let Some(tx) = tx.lock().unwrap().take() {
                            let _ = tx.send(Value::Array(l.clone()));
                        }
                    });
                })
                .unwrap();
                logs.push(within(30, "a concurrent child's close", rx).await.unwrap());
            }
            logs
        }));
    }
    let mut logs = Vec::new();
    for t in tasks {
        logs.extend(within(120, "a forking task", t).await.unwrap());
    }
    assert_eq!(logs.len(), threads * per_thread);
    let differing: Vec<&Value> = logs.iter().filter(|l| **l != expected).collect();
    println!(
        "compared {} children forked by {threads} threads at once with node's order {expected}: {} differ",
        logs.len(),
        differing.len()
    );
    assert!(
        differing.is_empty(),
        "{} differ, first: {:?}",
        differing.len(),
        differing.first()
    );
}
