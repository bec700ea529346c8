//! An rt worker that disconnects exits only once the primary has let go of
//! the channel, so a primary always sees its `'disconnect'` before its
//! `'exit'` (a Node primary closes its end in the tick it emits
//! `'disconnect'`; exiting earlier raced its end of file with SIGCHLD).
//! The primary here is the test itself, speaking Node's protocol over a
//! raw socket, so that it can hold its end open after the worker's end of
//! file.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::sync::mpsc;
use std::time::Duration;

use common::WORKER;
use rt_child_process::{SpawnOptions, Stdio, spawn};
use rt_tests::wait::{recv_within, within};
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disconnected_worker_exits_after_the_primary_lets_go() {
    let (mut primary, theirs) = UnixStream::pair().unwrap();
    let mut options = SpawnOptions::new();
    options.env_extra = vec![
        ("NODE_CHANNEL_FD".into(), "3".into()),
        ("NODE_UNIQUE_ID".into(), "1".into()),
        ("PORT".into(), "0".into()),
    ];
    options.stdio = vec![
        Stdio::Ignore,
        Stdio::Inherit,
        Stdio::Inherit,
        Stdio::Fd(theirs.into()),
    ];
    let child = spawn(WORKER, Vec::<String>::new(), options).unwrap();
    // The worker's lines, then None at its end of file.
    let (tx, rx) = mpsc::channel::<Option<Value>>();
    let reader = primary.try_clone().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(reader).lines().map_while(Result::ok) {
            if tx.send(serde_json::from_str(&line).ok()).is_err() {
                return;
            }
        }
        let _ = tx.send(None);
    });
    let next = |what: &str| -> Value {
        recv_within(&rx, 20, what).unwrap_or_else(|| panic!("end of file before {what}"))
    };
    let online = next("online");
    assert_eq!(online["act"], "online", "{online}");
    let query = next("queryServer");
    assert_eq!(query["act"], "queryServer", "{query}");
    // Round-robin: no handle, a sockname.
    let answer = json!({"cmd": "NODE_CLUSTER", "errno": null, "key": "k", "ack": query["seq"],
        "data": null, "sockname": {"address": "::", "family": "IPv6", "port": 4000}, "seq": 0});
    primary.write_all(format!("{answer}\n").as_bytes()).unwrap();
    let listening = next("listening");
    assert_eq!(listening["act"], "listening", "{listening}");
    // The primary asks the worker to disconnect: it closes its server
    // ('close' for the key), then its end of the channel.
    primary
        .write_all(b"{\"cmd\":\"NODE_CLUSTER\",\"act\":\"disconnect\",\"seq\":1}\n")
        .unwrap();
    let mut seen = Vec::new();
    while let Some(m) = recv_within(&rx, 20, "the worker's end of the channel") {
        seen.push(m);
    }
    assert_eq!(
        seen,
        [json!({"cmd": "NODE_CLUSTER", "act": "close", "key": "k", "seq": 3})]
    );
    // The primary still holds its end: the worker has not exited.
    let early = tokio::time::timeout(Duration::from_millis(300), child.wait()).await;
    assert!(
        early.is_err(),
        "the worker exited before the primary let go: {early:?}"
    );
    // The primary lets go: the worker exits, code 0.
    drop(primary);
    let exit = within(20, "the worker's exit", child.wait()).await.unwrap();
    assert_eq!((exit.code, exit.signal), (Some(0), None), "{exit:?}");
    println!("worker exited after the primary let go: {exit:?}");
}
