//! fork's options and the channel's edges against what a Node parent does:
//! `execArgv` and the argv a child sees (a `node` child and an rt child,
//! this binary re-executed), the `NODE_CHANNEL_*` environment a child gets,
//! a message that cannot be serialized, `recv_as`, and the order of
//! 'disconnect' and 'exit' for many children forked at once.

mod common;

use rt_child_process::{ForkOptions, SpawnOptions, Stdio, fork, ipc, spawn};
use rt_tests::node::node_or_skip;
use rt_tests::temp::TempDir;
use rt_tests::wait::within;
use serde_json::{Value, json};

/// Reports what it was started with, then disconnects.
const ARGV_CHILD: &str = r#"
process.send({execArgv: process.execArgv, argv: process.argv.slice(1)});
process.disconnect();
"#;

/// The rt child of `exec_argv_and_argv_reach_the_child_as_in_node` (does
/// nothing unless RT_ARGV_CHILD=1): reports its argv and the channel's
/// variables, then disconnects.
#[test]
fn rt_argv_child() {
    if std::env::var("RT_ARGV_CHILD").as_deref() != Ok("1") {
        return;
    }
    let report = json!({
        "argv": std::env::args().collect::<Vec<_>>(),
        "fd": std::env::var("NODE_CHANNEL_FD").ok(),
        "mode": std::env::var("NODE_CHANNEL_SERIALIZATION_MODE").ok(),
    });
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let channel = ipc::from_env().unwrap().expect("forked with a channel");
        channel.send(&report).unwrap();
        channel.disconnect().unwrap();
        within(20, "the channel's close", channel.wait_closed()).await;
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exec_argv_and_argv_reach_the_child_as_in_node() {
    let Some(node) = node_or_skip("exec_argv_and_argv_reach_the_child_as_in_node") else {
        return;
    };
    let dir = TempDir::new("rt-fork-argv");
    let child_js = common::write(&dir, "child.cjs", ARGV_CHILD);
    let me = std::env::current_exe().unwrap().to_str().unwrap().to_string();
    let exec_argv = ["--no-warnings", "--max-old-space-size=100"];
    let quiet_ipc4 = || {
        [
            Stdio::Ignore,
            Stdio::Ignore,
            Stdio::Inherit,
            Stdio::Ignore,
            Stdio::Ipc,
        ]
    };
    let script = format!(
        r#"
const cp = require('child_process');
const first = (c) => new Promise(res => {{ let m; c.on('message', x => m = m ?? x); c.on('close', () => res(m)); }});
(async () => {{
  const r = [];
  r.push(await first(cp.fork({child}, ['a1', 'a2'], {{execArgv: {exec_argv}}})));
  const env = {{...process.env, RT_ARGV_CHILD: '1'}};
  r.push(await first(cp.fork('rt_argv_child', ['--test-threads=1'], {{execPath: {me}, execArgv: ['--exact'], env, silent: true}})));
  r.push(await first(cp.fork('rt_argv_child', ['--test-threads=1'], {{execPath: {me}, execArgv: ['--exact'], env,
    stdio: ['ignore', 'ignore', 'inherit', 'ignore', 'ipc']}})));
  console.log(JSON.stringify(r));
}})();
"#,
        child = json!(child_js),
        exec_argv = json!(exec_argv),
        me = json!(me)
    );
    let expected: Value = serde_json::from_slice(&node.run_script(&script, b"")).unwrap();
    let options = [
        ForkOptions::new().exec_argv(exec_argv),
        ForkOptions::new()
            .exec_path(&me)
            .exec_argv(["--exact"])
            .env_set("RT_ARGV_CHILD", "1")
            .silent(true),
        ForkOptions::new()
            .exec_path(&me)
            .exec_argv(["--exact"])
            .env_set("RT_ARGV_CHILD", "1")
            .stdio(quiet_ipc4()),
    ];
    let mut got = Vec::new();
    for (i, o) in options.into_iter().enumerate() {
        let (module, args) = match i {
            0 => (child_js.as_str(), vec!["a1", "a2"]),
            _ => ("rt_argv_child", vec!["--test-threads=1"]),
        };
        let child = fork(module, args, o).unwrap();
        let first = within(30, "the child's report", child.recv()).await;
        within(30, "the child's close", child.closed()).await.unwrap();
        got.push(first.unwrap_or(Value::Null));
    }
    let got = Value::Array(got);
    println!(
        "compared 3 forks (node child with execArgv, rt child, rt child with the channel on fd 4)\nnode {expected}\nrt   {got}"
    );
    assert_eq!(expected[0]["execArgv"], json!(exec_argv), "node: {expected}");
    assert_eq!(expected[2]["fd"], "4", "node: {expected}");
    assert_eq!(got, expected);
}

/// Prints the child's whole environment, sorted.
const ENV_CHILD: &str = "env | LC_ALL=C sort";

/// The environment a child gets with the channel (fork, and spawn with
/// 'ipc' on fd 4) from a given `env`: Node adds exactly NODE_CHANNEL_FD
/// and NODE_CHANNEL_SERIALIZATION_MODE.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_channel_environment_is_nodes() {
    let Some(node) = node_or_skip("the_channel_environment_is_nodes") else {
        return;
    };
    let path = std::env::var("PATH").unwrap_or_default();
    let script = format!(
        r#"
const cp = require('child_process');
const out = c => new Promise(res => {{ let o = ''; c.stdout.on('data', d => o += d); c.on('close', () => res(o)); }});
const env = {{PATH: {path}, A: 'one'}};
(async () => {{
  const r = [];
  r.push(await out(cp.fork('m', ['x'], {{execPath: '/bin/sh', execArgv: ['-c', {child}], env, silent: true}})));
  r.push(await out(cp.spawn('sh', ['-c', {child}], {{env, stdio: ['ignore', 'pipe', 'inherit', 'ignore', 'ipc']}})));
  console.log(JSON.stringify(r));
}})();
"#,
        path = json!(path),
        child = json!(ENV_CHILD)
    );
    let expected: Value = serde_json::from_slice(&node.run_script(&script, b"")).unwrap();
    let env = [("PATH", path.as_str()), ("A", "one")];
    let forked = fork(
        "m",
        ["x"],
        ForkOptions::new()
            .exec_path("/bin/sh")
            .exec_argv(["-c", ENV_CHILD])
            .silent(true)
            .spawn_options(SpawnOptions::new().env(env)),
    )
    .unwrap();
    let spawned = spawn(
        "sh",
        ["-c", ENV_CHILD],
        SpawnOptions::new().env(env).stdio([
            Stdio::Ignore,
            Stdio::Pipe,
            Stdio::Inherit,
            Stdio::Ignore,
            Stdio::Ipc,
        ]),
    )
    .unwrap();
    let mut got = Vec::new();
    for c in [forked, spawned] {
        let out = within(20, "the child's env", c.stdout().unwrap().read_all())
            .await
            .unwrap();
        within(20, "the child's close", c.closed()).await.unwrap();
        got.push(json!(
            out.iter()
                .map(|b| String::from_utf8_lossy(b).into_owned())
                .collect::<String>()
        ));
    }
    let got = Value::Array(got);
    println!("compared 2 environments (fork, spawn with 'ipc' on fd 4)\nnode {expected}\nrt   {got}");
    let fork_env = expected[0].as_str().unwrap();
    assert!(
        fork_env.contains("NODE_CHANNEL_FD=3\n")
            && fork_env.contains("NODE_CHANNEL_SERIALIZATION_MODE=json\n"),
        "node: {expected}"
    );
    assert!(
        expected[1].as_str().unwrap().contains("NODE_CHANNEL_FD=4\n"),
        "node: {expected}"
    );
    assert_eq!(got, expected);
}

/// Echoes every message; the first one it gets tells what arrived first.
const ECHO_CHILD: &str = r#"
process.on('message', m => { process.send({echo: m}); process.disconnect(); });
"#;

/// A message JSON cannot carry: Node throws a TypeError, nothing is sent,
/// the channel stays connected and the next message is the first the
/// child gets. Node's code is ERR_INVALID_ARG_TYPE for a value its check
/// refuses (a BigInt), none for one JSON.stringify refuses inside an object
/// (rt's errors always carry a code: rt gives the first for both). A map
/// with non-string keys is a Rust value that JSON cannot carry.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unserializable_message_is_a_type_error_as_in_node() {
    let Some(node) = node_or_skip("an_unserializable_message_is_a_type_error_as_in_node") else {
        return;
    };
    let dir = TempDir::new("rt-fork-unser");
    let child_js = common::write(&dir, "child.cjs", ECHO_CHILD);
    let script = format!(
        r#"
const c = require('child_process').fork({child});
const r = [];
for (const bad of [1n, {{big: 1n}}]) {{
  try {{ c.send(bad); r.push(['sent']); }} catch (e) {{ r.push([e.name, e.code ?? null, c.connected]); }}
}}
c.send('after');
c.on('message', m => {{ r.push(m); }});
c.on('close', () => console.log(JSON.stringify(r)));
"#,
        child = json!(child_js)
    );
    let expected: Value = serde_json::from_slice(&node.run_script(&script, b"")).unwrap();
    let child = fork(&child_js, Vec::<String>::new(), ForkOptions::new()).unwrap();
    let bad: std::collections::BTreeMap<(i32, i32), i32> = [((1, 2), 3)].into();
    let refused = match child.send(&bad) {
        Ok(_) => json!(["sent"]),
        Err(e) => json!([e.name(), e.code(), child.connected()]),
    };
    child.send(&"after").unwrap();
    let echo = within(20, "the child's echo", child.recv())
        .await
        .unwrap_or(Value::Null);
    within(20, "the child's close", child.closed()).await.unwrap();
    println!(
        "compared with node's 2 refusals (a BigInt, a BigInt inside an object)\nnode {expected}\nrt   {refused} {echo}"
    );
    assert_eq!(expected.as_array().map(Vec::len), Some(3), "node: {expected}");
    assert_eq!(refused, expected[0]);
    assert_eq!((&refused[0], &refused[2]), (&expected[1][0], &expected[1][2]));
    assert_eq!(echo, expected[2]);
}

/// Sends what `recv_as` reads: a message of the type, one that does not fit.
const TYPED_CHILD: &str = r#"
process.send({n: 1, s: 'one'});
process.send({n: 'two'});
process.disconnect();
"#;

#[derive(Debug, PartialEq)]
struct Typed {
    n: u32,
    s: String,
}

// (serde's derive is not a dependency here: the same by hand.)
impl<'de> serde::Deserialize<'de> for Typed {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Typed, D::Error> {
        use serde::de::Error;
        let v = Value::deserialize(d)?;
        let n = v["n"].as_u64().and_then(|n| u32::try_from(n).ok());
        match (n, v["s"].as_str()) {
            (Some(n), Some(s)) => Ok(Typed { n, s: s.to_string() }),
            _ => Err(D::Error::custom(format!("not {{n: u32, s: string}}: {v}"))),
        }
    }
}

/// `recv_as`: the messages a Node child sends (what a Node parent receives,
/// read from node) as a type of ours; one that does not fit is an error
/// and the next is still there; `None` after the child disconnected.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recv_as_reads_a_node_childs_messages_as_a_type() {
    let Some(node) = node_or_skip("recv_as_reads_a_node_childs_messages_as_a_type") else {
        return;
    };
    let dir = TempDir::new("rt-fork-typed");
    let child_js = common::write(&dir, "child.cjs", TYPED_CHILD);
    let script = format!(
        "const m = []; const c = require('child_process').fork({});\nc.on('message', x => m.push(x)); c.on('close', () => console.log(JSON.stringify(m)));\n",
        json!(child_js)
    );
    let sent: Value = serde_json::from_slice(&node.run_script(&script, b"")).unwrap();
    assert_eq!(sent.as_array().map(Vec::len), Some(2), "node: {sent}");
    let child = fork(&child_js, Vec::<String>::new(), ForkOptions::new()).unwrap();
    let channel = child.channel().unwrap();
    let first = within(20, "the first message", channel.recv_as::<Typed>()).await;
    let second = within(20, "the second message", channel.recv_as::<Typed>()).await;
    let end = within(20, "the end of the messages", channel.recv_as::<Typed>()).await;
    within(20, "the child's close", child.closed()).await.unwrap();
    assert_eq!(
        first.unwrap().unwrap(),
        serde_json::from_value::<Typed>(sent[0].clone()).unwrap()
    );
    let err = second.expect("the second message came").unwrap_err();
    assert_eq!(err.code(), "ERR_INVALID_ARG_TYPE", "{err}");
    assert!(serde_json::from_value::<Typed>(sent[1].clone()).is_err());
    assert!(end.is_none(), "nothing after the disconnect");
    println!("read 2 messages as node sent them: {sent}");
}
