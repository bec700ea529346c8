//! spawn against Node: the same commands' event order and error fields
//! (node is run for the expectations), stdio as rt streams, kill, timeout,
//! no zombies.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

use rt_child_process::{Signal, SpawnOptions, Stdio, spawn, spawn_with};
use rt_tests::node::node_or_skip;
use rt_tests::temp::TempDir;
use rt_tests::wait::within;
use serde_json::Value;

/// The cases: label, file, args, cwd.
fn cases(dir: &str) -> Vec<(&'static str, String, Vec<String>, Option<String>)> {
    let s = |x: &str| x.to_string();
    vec![
        ("exit2", s("sh"), vec![s("-c"), s("exit 2")], None),
        ("sigkill", s("sh"), vec![s("-c"), s("kill -9 $$")], None),
        ("ok", s("true"), vec![], None),
        ("enoent", s("ls-not-here"), vec![s("-l")], None),
        ("eacces", format!("{dir}/noexec.sh"), vec![s("x")], None),
        ("directory", s("/tmp"), vec![], None),
        ("badcwd", s("ls"), vec![s("-l")], Some(s("/nope/not/here"))),
    ]
}

const NODE_SCRIPT: &str = r#"
const cp = require('child_process');
const cases = JSON.parse(process.argv[2]);
const out = {};
let left = cases.length;
for (const [label, file, args, cwd] of cases) {
  const c = cp.spawn(file, args, cwd ? { cwd } : {});
  const ev = [];
  c.on('spawn', () => ev.push(['spawn']));
  c.on('exit', (a, b) => ev.push(['exit', a, b]));
  c.on('error', e => ev.push(['error', {code: e.code, errno: e.errno, syscall: e.syscall, path: e.path, spawnargs: e.spawnargs, message: e.message}]));
  c.on('close', (a, b) => {
    ev.push(['close', a, b]);
    out[label] = {pid: c.pid !== undefined, events: ev};
    if (--left === 0) console.log(JSON.stringify(out));
  });
}
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_and_errors_match_node() {
    let Some(node) = node_or_skip("events_and_errors_match_node") else {
        return;
    };
    let dir = TempDir::new("rt-cp");
    let noexec = dir.path().join("noexec.sh");
    std::fs::write(&noexec, "echo hi\n").unwrap();
    std::fs::set_permissions(&noexec, std::fs::Permissions::from_mode(0o644)).unwrap();
    let cases = cases(dir.path().to_str().unwrap());
    let script = dir.path().join("events.js");
    std::fs::write(&script, NODE_SCRIPT).unwrap();
    let arg = serde_json::to_string(&cases).unwrap();
    let expected: Value = serde_json::from_slice(&node.run_file(&script, &[&arg], b"")).unwrap();

    let mut compared = 0;
    for (label, file, args, cwd) in &cases {
        let mut o = SpawnOptions::new();
        if let Some(c) = cwd {
            o = o.cwd(c);
        }
        let mut log = None;
        let _child = spawn_with(file, args.clone(), o, |c| {
            log = Some(common::record_spawn(c, "events"))
        })
        .expect("spawn returns a child");
        let log = log.expect("setup ran");
        let got = within(20, &format!("'close' of {label}"), log)
            .await
            .expect("close sent the log");
        assert_eq!(got, expected[label], "case {label}");
        compared += 1;
    }
    println!("compared {compared} spawn cases with node");
    assert_eq!(compared, cases.len());
    assert_eq!(compared, 7);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stdout_is_a_stream_and_stdin_writes_reach_the_child() {
    let ls = spawn("ls", ["-lh", "/usr"], SpawnOptions::new()).unwrap();
    let out = within(20, "ls output", ls.stdout().unwrap().read_all())
        .await
        .unwrap();
    let out: Vec<u8> = out.iter().flat_map(|b| b.to_vec()).collect();
    let expected = std::process::Command::new("ls")
        .args(["-lh", "/usr"])
        .output()
        .unwrap()
        .stdout;
    assert_eq!(String::from_utf8_lossy(&out), String::from_utf8_lossy(&expected));
    let status = within(20, "ls close", ls.closed()).await.unwrap();
    assert!(status.success());
    assert_eq!(ls.spawnargs(), ["ls", "-lh", "/usr"]);
    assert_eq!(ls.spawnfile(), "ls");

    let cat = spawn("cat", Vec::<String>::new(), SpawnOptions::new()).unwrap();
    let stdin = cat.stdin().unwrap();
    assert!(stdin.write("hello ").unwrap());
    stdin.end_with("cat").unwrap();
    let out = within(20, "cat output", cat.stdout().unwrap().read_all())
        .await
        .unwrap();
    let out: Vec<u8> = out.iter().flat_map(|b| b.to_vec()).collect();
    assert_eq!(out, b"hello cat");
    assert_eq!(within(20, "cat close", cat.closed()).await.unwrap().code, Some(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_delivers_and_reports_the_signal() {
    let child = spawn(
        "sleep",
        ["30"],
        SpawnOptions::new().stdio([Stdio::Ignore, Stdio::Ignore, Stdio::Ignore]),
    )
    .unwrap();
    assert!(!child.killed());
    assert!(child.kill(Signal::SIGTERM));
    assert!(child.killed());
    let info = within(20, "sleep to die", child.closed()).await.unwrap();
    assert_eq!((info.code, info.signal), (None, Some("SIGTERM")));
    assert_eq!(child.signal_code(), Some("SIGTERM"));
    assert!(!child.kill(Signal::SIGKILL), "a reaped child is not signalled");
    assert_eq!(
        child.kill_named("SIGNOPE").unwrap_err().code(),
        "ERR_UNKNOWN_SIGNAL"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timeout_kills_with_kill_signal() {
    let o = SpawnOptions::new()
        .timeout(Duration::from_millis(100))
        .kill_signal(Signal::SIGKILL);
    let child = spawn("sleep", ["30"], o).unwrap();
    let info = within(20, "timeout to kill sleep", child.closed()).await.unwrap();
    assert_eq!((info.code, info.signal), (None, Some("SIGKILL")));
    assert!(child.killed());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn env_argv0_and_shell() {
    let o = SpawnOptions::new()
        .env([("ONLY", "this")])
        .shell(rt_child_process::Shell::Default);
    let child = spawn("echo $ONLY; env | wc -l", Vec::<String>::new(), o).unwrap();
    let out = within(20, "sh output", child.stdout().unwrap().read_all())
        .await
        .unwrap();
    let out: String = out
        .iter()
        .map(|b| String::from_utf8_lossy(b).into_owned())
        .collect();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "this");
    assert_eq!(child.spawnfile(), "/bin/sh");
    assert_eq!(child.spawnargs(), ["/bin/sh", "-c", "echo $ONLY; env | wc -l"]);

    let o = SpawnOptions::new()
        .argv0("renamed")
        .shell(rt_child_process::Shell::None);
    let child = spawn("sh", ["-c", "echo $0"], o).unwrap();
    let out = within(20, "argv0 output", child.stdout().unwrap().read_all())
        .await
        .unwrap();
    let out: String = out
        .iter()
        .map(|b| String::from_utf8_lossy(b).into_owned())
        .collect();
    assert_eq!(out.trim(), "renamed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_child_is_reaped() {
    let child = spawn("true", Vec::<String>::new(), SpawnOptions::new()).unwrap();
    let pid = child.pid().unwrap();
    drop(child);
    // Its /proc entry goes away only once it was reaped (a zombie keeps it).
    rt_tests::wait::wait_until_async(20, "the dropped child to be reaped", move || {
        !std::path::Path::new(&format!("/proc/{pid}")).exists()
    })
    .await;
}
