//! spawn's stdio per fd and the process options, each compared with what
//! node does for the same child: fds above 2 ('pipe' both ways, Node's
//! `stdio[3]`), an existing fd, an rt-net socket, `detached` (the child's process group and
//! session), and `uid` / `gid` (the ids a root parent gives the child, and
//! the error a parent that may not switch gets).

mod common;

use std::os::fd::OwnedFd;

use rt_child_process::{Emitter, SpawnOptions, SpawnSyncOptions, Stdio, spawn, spawn_sync};
use rt_tests::node::node_or_skip;
use rt_tests::temp::TempDir;
use rt_tests::wait::within;
use serde_json::{Value, json};

fn text(chunks: Vec<rt_buffer::Buffer>) -> String {
    chunks
        .iter()
        .map(|b| String::from_utf8_lossy(b).into_owned())
        .collect()
}

/// Which entries of `child.stdio()` are streams (Node: `stdio[i] !== null`).
fn streams(c: &rt_child_process::ChildProcess) -> Value {
    json!(c.stdio().iter().map(Option::is_some).collect::<Vec<_>>())
}

/// Node's `stdio: ['ignore', 'ignore', 'inherit', 'pipe', 'pipe']`: fd 3 is
/// a socket both processes read and write, fd 4 another.
const DUPLEX_CHILD: &str = r#"echo three >&3; read l <&3; echo "got $l" >&4; echo four >&4"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fds_above_two_are_duplex_pipes_as_in_node() {
    let Some(node) = node_or_skip("fds_above_two_are_duplex_pipes_as_in_node") else {
        return;
    };
    let script = format!(
        r#"
const c = require('child_process').spawn('sh', ['-c', {child}], {{stdio: ['ignore', 'ignore', 'inherit', 'pipe', 'pipe']}});
const got = {{3: '', 4: ''}};
for (const i of [3, 4]) c.stdio[i].on('data', d => got[i] += d);
c.stdio[3].write('ping\n');
c.on('close', code => console.log(JSON.stringify([c.stdio.map(s => s !== null), got[3], got[4], code])));
"#,
        child = serde_json::to_string(DUPLEX_CHILD).unwrap()
    );
    let expected: Value = serde_json::from_slice(&node.run_script(&script, b"")).unwrap();
    let child = spawn(
        "sh",
        ["-c", DUPLEX_CHILD],
        SpawnOptions::new().stdio([
            Stdio::Ignore,
            Stdio::Ignore,
            Stdio::Inherit,
            Stdio::Pipe,
            Stdio::Pipe,
        ]),
    )
    .unwrap();
    let shape = streams(&child);
    let (three, four) = (
        child.stdio()[3].clone().unwrap(),
        child.stdio()[4].clone().unwrap(),
    );
    three.write(&b"ping\n"[..]).unwrap();
    let got3 = within(20, "fd 3's end", three.read_all()).await.unwrap();
    let got4 = within(20, "fd 4's end", four.read_all()).await.unwrap();
    let info = within(20, "the child's close", child.closed()).await.unwrap();
    let got = json!([shape, text(got3), text(got4), info.code]);
    println!("node {expected}\nrt   {got}");
    assert_eq!(
        expected[2], "got ping\nfour\n",
        "node's child read fd 3: {expected}"
    );
    assert_eq!(got, expected);
}

/// Node's `stdio: [fdIn, fdOut, fdOut, fdOut]`: the child reads and writes
/// the files itself; the parent has no stream for them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn existing_fds_are_the_childs_as_in_node() {
    let Some(node) = node_or_skip("existing_fds_are_the_childs_as_in_node") else {
        return;
    };
    let dir = TempDir::new("rt-stdio-fd");
    let input = common::write(&dir, "in.txt", "from a file\n");
    let child_sh = r#"read l; echo "in $l"; echo err >&2; echo three >&3"#;
    let node_out = dir.path().join("node-out.txt");
    let script = format!(
        r#"
const fs = require('fs');
const fin = fs.openSync({input}, 'r'), fout = fs.openSync({out}, 'w');
const c = require('child_process').spawn('sh', ['-c', {child}], {{stdio: [fin, fout, fout, fout]}});
c.on('close', code => console.log(JSON.stringify([c.stdio.map(s => s !== null), fs.readFileSync({out}, 'utf8'), code])));
"#,
        input = json!(input),
        out = json!(node_out.to_str().unwrap()),
        child = json!(child_sh)
    );
    let expected: Value = serde_json::from_slice(&node.run_script(&script, b"")).unwrap();
    let rt_out = dir.path().join("rt-out.txt");
    let fin: OwnedFd = std::fs::File::open(&input).unwrap().into();
    let fout: OwnedFd = std::fs::File::create(&rt_out).unwrap().into();
    let stdio = [
        Stdio::Fd(fin),
        Stdio::Fd(fout.try_clone().unwrap()),
        Stdio::Fd(fout.try_clone().unwrap()),
        Stdio::Fd(fout),
    ];
    let child = spawn("sh", ["-c", child_sh], SpawnOptions::new().stdio(stdio)).unwrap();
    let shape = streams(&child);
    let info = within(20, "the child's close", child.closed()).await.unwrap();
    let got = json!([shape, std::fs::read_to_string(&rt_out).unwrap(), info.code]);
    println!("node {expected}\nrt   {got}");
    assert_eq!(expected[1], "in from a file\nerr\nthree\n", "node: {expected}");
    assert_eq!(got, expected);
}

/// `/proc/<pid>/stat`'s process group and session of `pid`.
const IDS_OF_SH: &str = r#"read a b c d pgrp sid rest < /proc/$$/stat; echo "$$ $pgrp $sid""#;

/// The child's process group and session against its own pid and the
/// parent's: `[pgrp == pid, sid == pid, pgrp == parent's, sid == parent's]`.
fn relations(line: &str, parent: (u64, u64)) -> Value {
    let v: Vec<u64> = line.split_whitespace().map(|x| x.parse().unwrap()).collect();
    assert_eq!(v.len(), 3, "pid pgrp sid: {line:?}");
    json!([v[1] == v[0], v[2] == v[0], v[1] == parent.0, v[2] == parent.1])
}

fn own_group_and_session() -> (u64, u64) {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap();
    // After the command's closing parenthesis: state ppid pgrp session.
    let rest: Vec<&str> = stat[stat.rfind(')').unwrap() + 2..].split(' ').collect();
    (rest[2].parse().unwrap(), rest[3].parse().unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn detached_leads_a_new_session_as_in_node() {
    let Some(node) = node_or_skip("detached_leads_a_new_session_as_in_node") else {
        return;
    };
    let script = format!(
        r#"
const cp = require('child_process');
const stat = require('fs').readFileSync('/proc/self/stat', 'utf8');
const [pgrp, sid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ').slice(2, 4).map(Number);
const rel = line => {{ const [pid, g, s] = line.trim().split(' ').map(Number); return [g === pid, s === pid, g === pgrp, s === sid]; }};
const run = detached => new Promise(res => {{
  let out = ''; const c = cp.spawn('sh', ['-c', {child}], {{detached, stdio: ['ignore', 'pipe', 'inherit']}});
  c.stdout.on('data', d => out += d); c.on('close', () => res(rel(out)));
}});
(async () => console.log(JSON.stringify([await run(false), await run(true)])))();
"#,
        child = json!(IDS_OF_SH)
    );
    let expected: Value = serde_json::from_slice(&node.run_script(&script, b"")).unwrap();
    let parent = own_group_and_session();
    let mut got = Vec::new();
    for detached in [false, true] {
        let child = spawn(
            "sh",
            ["-c", IDS_OF_SH],
            SpawnOptions::new()
                .detached(detached)
                .stdio([Stdio::Ignore, Stdio::Pipe, Stdio::Inherit]),
        )
        .unwrap();
        let out = within(20, "the child's ids", child.stdout().unwrap().read_all())
            .await
            .unwrap();
        within(20, "the child's close", child.closed()).await.unwrap();
        got.push(relations(&text(out), parent));
    }
    let got = Value::Array(got);
    println!("compared 2 cases (detached false, true)\nnode {expected}\nrt   {got}");
    assert_eq!(expected[1], json!([true, true, false, false]), "node: {expected}");
    assert_eq!(got, expected);
}

const IDS: &str = "echo $(id -u) $(id -g) $(id -G)";

/// `uid` and `gid` together and alone.
const ID_CASES: [(Option<u32>, Option<u32>); 3] = [
    (Some(65534), Some(65534)),
    (None, Some(65534)),
    (Some(65534), None),
];

/// The rt side of `uid_and_gid_switch_the_child_as_in_node`, run in a
/// subprocess with supplementary groups (nothing unless RT_IDS_SCENARIO is
/// set).
#[test]
fn ids_scenario_child() {
    if std::env::var("RT_IDS_SCENARIO").is_err() {
        return;
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let mut got = Vec::new();
        for (uid, gid) in ID_CASES {
            let mut o = SpawnOptions::new().stdio([Stdio::Ignore, Stdio::Pipe, Stdio::Inherit]);
            if let Some(u) = uid {
                o = o.uid(u);
            }
            if let Some(g) = gid {
                o = o.gid(g);
            }
            // The child may run as nobody: a cwd it may enter.
            let child = spawn("sh", ["-c", IDS], o.cwd("/")).unwrap();
            let out = within(20, "the child's ids", child.stdout().unwrap().read_all())
                .await
                .unwrap();
            let info = within(20, "the child's close", child.closed()).await.unwrap();
            got.push(json!([text(out), info.code]));
        }
        for (uid, gid) in ID_CASES {
            let mut o = SpawnSyncOptions::new().cwd("/");
            if let Some(u) = uid {
                o = o.uid(u);
            }
            if let Some(g) = gid {
                o = o.gid(g);
            }
            let r = spawn_sync("sh", ["-c", IDS], o).unwrap();
            got.push(json!([r.stdout.map(|o| o.to_text()), r.status]));
        }
        println!("RESULT {}", Value::Array(got));
    });
}

/// The result line a scenario of this binary prints, run by `c`.
fn scenario_result(mut c: std::process::Command) -> Value {
    let out = c.output().expect("run the scenario");
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines()
        .find_map(|l| {
            l.split_once("RESULT ")
                .map(|(_, r)| serde_json::from_str(r).unwrap())
        })
        .unwrap_or_else(|| panic!("no result: {text} {}", String::from_utf8_lossy(&out.stderr)))
}

/// As root, with supplementary groups (4 and 100, set by `setpriv` on
/// node and on this binary alike): the ids and groups the child runs with.
/// libuv drops the supplementary groups when either id is set.
#[test]
fn uid_and_gid_switch_the_child_as_in_node() {
    let Some(node) = node_or_skip("uid_and_gid_switch_the_child_as_in_node") else {
        return;
    };
    if !rustix::process::geteuid().is_root() {
        rt_tests::skip::skip(
            "uid_and_gid_switch_the_child_as_in_node",
            "needs root to switch ids (the EPERM a non-root parent gets is uid_switch_refused_as_in_node)",
        );
        return;
    }
    let with_groups = |program: &std::path::Path| {
        let mut c = std::process::Command::new("setpriv");
        c.args(["--groups", "4,100", "--"]).arg(program);
        c
    };
    if !with_groups(std::path::Path::new("true"))
        .status()
        .is_ok_and(|s| s.success())
    {
        rt_tests::skip::skip(
            "uid_and_gid_switch_the_child_as_in_node",
            "setpriv (util-linux) is missing",
        );
        return;
    }
    let dir = TempDir::new("rt-ids");
    let cases: Vec<Value> = ID_CASES
        .iter()
        .map(|(u, g)| {
            let mut o = serde_json::Map::new();
            if let Some(u) = u {
                o.insert("uid".into(), json!(u));
            }
            if let Some(g) = g {
                o.insert("gid".into(), json!(g));
            }
            Value::Object(o)
        })
        .collect();
    let script = common::write(
        &dir,
        "ids.js",
        &format!(
            r#"
const cp = require('child_process');
const run = o => new Promise(res => {{
  let out = ''; const c = cp.spawn('sh', ['-c', {child}], {{...o, cwd: '/', stdio: ['ignore', 'pipe', 'inherit']}});
  c.stdout.on('data', d => out += d); c.on('close', code => res([out, code]));
}});
(async () => {{
  const r = [];
  for (const o of {cases}) r.push(await run(o));
  for (const o of {cases}) {{ const s = cp.spawnSync('sh', ['-c', {child}], {{...o, cwd: '/'}}); r.push([s.stdout.toString(), s.status]); }}
  console.log(JSON.stringify(r));
}})();
"#,
            child = json!(IDS),
            cases = json!(cases)
        ),
    );
    let mut c = with_groups(node.path());
    c.arg(&script);
    let out = c.output().expect("run node");
    let expected: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("node: {}", String::from_utf8_lossy(&out.stderr)));
    let mut c = with_groups(&std::env::current_exe().unwrap());
    c.args(["ids_scenario_child", "--exact", "--nocapture", "--test-threads=1"])
        .env("RT_IDS_SCENARIO", "1");
    let got = scenario_result(c);
    println!(
        "compared {} cases (spawn, spawnSync)\nnode {expected}\nrt   {got}",
        2 * ID_CASES.len()
    );
    assert_eq!(expected.as_array().map(Vec::len), Some(2 * ID_CASES.len()));
    assert_eq!(
        expected[1][0], "0 65534 65534\n",
        "node drops the groups for gid alone: {expected}"
    );
    assert_eq!(expected[4][0], "0 65534 65534\n", "spawnSync too: {expected}");
    assert_eq!(got, expected);
}

/// The scenario of `uid_switch_refused_as_in_node`, run in a subprocess
/// as an unprivileged user (nothing unless RT_UID_SCENARIO is set).
#[test]
fn uid_scenario_child() {
    if std::env::var("RT_UID_SCENARIO").is_err() {
        return;
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let thrown = match spawn("true", Vec::<String>::new(), SpawnOptions::new().uid(0)) {
            Ok(_) => json!(["spawned"]),
            Err(e) => json!([
                "throw",
                e.code(),
                e.errno(),
                e.syscall(),
                e.message(),
                e.path(),
                e.spawnargs()
            ]),
        };
        let r = spawn_sync("true", ["x"], SpawnSyncOptions::new().uid(0)).unwrap();
        let e = r.error.as_ref().map(|e| {
            json!([
                e.code(),
                e.errno(),
                e.syscall(),
                e.message(),
                e.path(),
                e.spawnargs()
            ])
        });
        println!("RESULT {}", json!([thrown, [r.pid, r.status, r.signal, e]]));
    });
}

/// A parent that may not switch to uid 0: Node throws `spawn EPERM` (no
/// 'error' event: EPERM is not one of the run-time errors it reports), and
/// spawnSync's result has the `error` `spawnSync true EPERM`.
/// Run as nobody when the test runs as root.
#[test]
fn uid_switch_refused_as_in_node() {
    let Some(node) = node_or_skip("uid_switch_refused_as_in_node") else {
        return;
    };
    use std::os::unix::process::CommandExt;
    let root = rustix::process::geteuid().is_root();
    let unprivileged = |c: &mut std::process::Command| {
        if root {
            c.uid(65534).gid(65534).current_dir("/");
        }
    };
    let dir = TempDir::new("rt-uid");
    let script = common::write(
        &dir,
        "uid.js",
        r#"
const cp = require('child_process');
let thrown;
try { cp.spawn('true', [], {uid: 0}); thrown = ['spawned']; }
catch (e) { thrown = ['throw', e.code, e.errno, e.syscall, e.message, e.path ?? null, e.spawnargs ?? null]; }
const r = cp.spawnSync('true', ['x'], {uid: 0}), e = r.error;
console.log(JSON.stringify([thrown, [r.pid, r.status, r.signal, e ? [e.code, e.errno, e.syscall, e.message, e.path, e.spawnargs] : null]]));
"#,
    );
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o644)).unwrap();
    let mut c = node.command();
    c.arg(&script);
    unprivileged(&mut c);
    let out = c.output().expect("run node");
    let expected: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("node: {}", String::from_utf8_lossy(&out.stderr)));
    let mut c = std::process::Command::new(std::env::current_exe().unwrap());
    c.args(["uid_scenario_child", "--exact", "--nocapture", "--test-threads=1"])
        .env("RT_UID_SCENARIO", "1");
    unprivileged(&mut c);
    let got = scenario_result(c);
    println!("compared 2 cases (spawn, spawnSync)\nnode {expected}\nrt   {got}");
    assert_eq!(expected[0][1], "EPERM", "node: {expected}");
    assert_eq!(expected[1][3][0], "EPERM", "node: {expected}");
    assert_eq!(got, expected);
}

/// Node's `stdio: [socket, socket, 'inherit']`: the child reads and writes
/// the connection itself, the parent's `stdio[0]` and `[1]` are null, and
/// the peer gets what the child wrote. (That this process then reads
/// nothing of it, also with a 'data' listener, is spawn_more_node's
/// `a_socket_as_stdio_is_the_childs_connection`: a node parent with a
/// flowing socket given as stdio hangs, its socket made blocking for the
/// child.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_socket_as_stdio_is_the_childs_as_in_node() {
    let Some(node) = node_or_skip("a_socket_as_stdio_is_the_childs_as_in_node") else {
        return;
    };
    let script = format!(
        r#"
const net = require('net'), cp = require('child_process');
let peer, got = '', shape, code, left = 2;
const done = () => {{ if (--left === 0) {{ console.log(JSON.stringify([shape, got, code])); srv.close(); }} }};
const srv = net.createServer(p => {{ peer = p; p.on('data', d => got += d); p.on('end', done); }});
srv.listen(0, '127.0.0.1', () => {{
  const sock = net.connect(srv.address().port, '127.0.0.1', () => {{
    const c = cp.spawn('sh', ['-c', {child}], {{stdio: [sock, sock, 'inherit']}});
    shape = c.stdio.map(s => s !== null);
    c.on('spawn', () => peer.write('hello\n'));
    c.on('close', x => {{ code = x; sock.destroy(); done(); }});
  }});
}});
"#,
        child = json!(SOCKET_CHILD)
    );
    let expected: Value = serde_json::from_slice(&node.run_script(&script, b"")).unwrap();
    let (port, go, peer) = common::socket_peer();
    let socket = within(20, "connect", rt_net::connect(("127.0.0.1", port)))
        .await
        .unwrap();
    let child = rt_child_process::spawn_with(
        "sh",
        ["-c", SOCKET_CHILD],
        SpawnOptions::new().stdio([
            Stdio::Socket(socket.clone()),
            Stdio::Socket(socket.clone()),
            Stdio::Inherit,
        ]),
        |c| {
            c.on(&rt_child_process::events::SPAWN, move |_| {
                let _ = go.send(());
            });
        },
    )
    .unwrap();
    let shape = streams(&child);
    let info = within(20, "the child's close", child.closed()).await.unwrap();
    socket.destroy(None);
    let got = within(
        20,
        "the peer's read",
        tokio::task::spawn_blocking(move || peer.join().unwrap()),
    )
    .await
    .unwrap();
    let got = json!([shape, String::from_utf8_lossy(&got), info.code]);
    println!("node {expected}\nrt   {got}");
    assert_eq!(expected[1], "got hello\n", "node: {expected}");
    assert_eq!(got, expected);
}

const SOCKET_CHILD: &str = r#"read l; echo "got $l""#;
