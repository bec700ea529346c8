//! Helpers shared by this crate's tests: files written for node, and a
//! child's events logged as the Node listener scripts beside them log them
//! (`["spawn"]`, `["exit", code, signal]`, ...). Each test binary uses a
//! part of them.
#![allow(dead_code)]

use std::sync::{Arc, Mutex};

use rt_child_process::events::{CLOSE, DISCONNECT, ERROR, EXIT, SPAWN};
use rt_child_process::{ChildProcess, Emitter};
use rt_tests::temp::TempDir;
use serde_json::{Value, json};

/// A log of events, shared with the listeners that fill it.
pub(crate) type Log = Arc<Mutex<Vec<Value>>>;

/// Writes `text` to `dir/name`; the path, for node.
pub(crate) fn write(dir: &TempDir, name: &str, text: &str) -> String {
    let p = dir.path().join(name);
    std::fs::write(&p, text).unwrap();
    p.to_str().unwrap().to_string()
}

/// An error's fields as Node's listener scripts print them.
pub(crate) fn error_json(e: &rt_child_process::Error) -> Value {
    json!({"code": e.code(), "errno": e.errno(), "syscall": e.syscall(), "path": e.path(),
           "spawnargs": e.spawnargs(), "message": e.message()})
}

/// `["spawn"]` and `["exit", code, signal]`.
pub(crate) fn log_spawn_and_exit(c: &ChildProcess, log: &Log) {
    let l = log.clone();
    c.on(&SPAWN, move |_| l.lock().unwrap().push(json!(["spawn"])));
    let l = log.clone();
    c.on(&EXIT, move |i| {
        l.lock().unwrap().push(json!(["exit", i.code, i.signal]))
    });
}

/// `["disconnect"]`.
pub(crate) fn log_disconnect(c: &ChildProcess, log: &Log) {
    let l = log.clone();
    c.on(&DISCONNECT, move |_| {
        l.lock().unwrap().push(json!(["disconnect"]))
    });
}

/// `["close", code, signal]`; then `done` makes what is sent out of the
/// whole log (once).
pub(crate) fn log_close(
    c: &ChildProcess,
    log: &Log,
    done: impl Fn(&[Value]) -> Value + Send + Sync + 'static,
) -> tokio::sync::oneshot::Receiver<Value> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let tx = Mutex::new(Some(tx));
    let l = log.clone();
    c.on(&CLOSE, move |i| {
        let mut l = l.lock().unwrap();
        l.push(json!(["close", i.code, i.signal]));
        if let Some(tx) = tx.lock().unwrap().take() {
            let _ = tx.send(done(&l));
        }
    });
    rx
}

/// A spawn's events as the Node scripts log them (spawn, exit, error with
/// its fields, close); at 'close' `{pid: bool, <key>: log}` goes out.
pub(crate) fn record_spawn(child: &ChildProcess, key: &'static str) -> tokio::sync::oneshot::Receiver<Value> {
    let log = Log::default();
    log_spawn_and_exit(child, &log);
    let l = log.clone();
    child.on(&ERROR, move |e| {
        l.lock().unwrap().push(json!(["error", error_json(e)]))
    });
    let pid = child.pid().is_some();
    log_close(child, &log, move |l| json!({"pid": pid, key: l}))
}

/// The far end of a connection handed to a child as its stdio: a loopback
/// listener on a thread that accepts one connection, waits for the `go`
/// signal (send it once the child runs: from then on the connection is the
/// child's), writes `hello\n` and returns everything it reads until the
/// connection closes (20 s bounds on each wait). Returns the port, the `go`
/// sender and the thread.
pub(crate) fn socket_peer() -> (u16, std::sync::mpsc::Sender<()>, std::thread::JoinHandle<Vec<u8>>) {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (go, started) = std::sync::mpsc::channel::<()>();
    let peer = std::thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        s.set_read_timeout(Some(std::time::Duration::from_secs(20)))
            .unwrap();
        started
            .recv_timeout(std::time::Duration::from_secs(20))
            .expect("the child started");
        s.write_all(b"hello\n").unwrap();
        let mut got = Vec::new();
        let _ = s.read_to_end(&mut got);
        got
    });
    (port, go, peer)
}
