//! spawnSync / execSync / execFileSync against Node (node is run for the
//! expectations), outside any tokio runtime.

use std::time::Duration;

use rt_child_process::{
    ExecSyncError, Output, SpawnSyncOptions, SpawnSyncResult, exec_file_sync, exec_sync, spawn_sync,
};
use rt_tests::node::node_or_skip;
use rt_tests::temp::TempDir;
use serde_json::{Value, json};

const NODE_SCRIPT: &str = r#"
const cp = require('child_process');
const cases = JSON.parse(process.argv[2]);
const errJson = e => e ? {code: e.code, errno: e.errno, syscall: e.syscall, path: e.path, spawnargs: e.spawnargs, message: e.message} : null;
const out = {};
for (const [label, kind, file, args, opts] of cases) {
  if (kind === 'spawnSync') {
    const r = cp.spawnSync(file, args, opts);
    const s = x => x === null || x === undefined ? null : String(x);
    out[label] = {pid: r.pid > 0, status: r.status, signal: r.signal, stdout: s(r.stdout), stderr: s(r.stderr), err: errJson(r.error)};
  } else {
    try {
      const o = kind === 'execSync' ? cp.execSync(file, {...opts, stdio: 'pipe'}) : cp.execFileSync(file, args, {...opts, stdio: 'pipe'});
      out[label] = {ok: String(o)};
    } catch (e) {
      out[label] = {message: e.message, status: e.status, signal: e.signal, code: e.code === undefined ? null : e.code};
    }
  }
}
console.log(JSON.stringify(out));
"#;

fn text(o: &Option<Output>) -> Value {
    match o {
        Some(o) => json!(o.to_text()),
        None => Value::Null,
    }
}

fn spawn_json(r: &SpawnSyncResult) -> Value {
    let err = r.error.as_ref().map(|e| {
        json!({"code": e.code(), "errno": e.errno(), "syscall": e.syscall(), "path": e.path(),
               "spawnargs": e.spawnargs(), "message": e.message()})
    });
    json!({"pid": r.pid > 0, "status": r.status, "signal": r.signal, "stdout": text(&r.stdout),
           "stderr": text(&r.stderr), "err": err})
}

fn exec_json(r: Result<Output, ExecSyncError>) -> Value {
    match r {
        Ok(o) => json!({"ok": o.to_text()}),
        Err(e) => json!({"message": e.message, "status": e.result.status, "signal": e.result.signal,
                         "code": e.code().map(|c| c.as_str())}),
    }
}

#[test]
fn sync_results_match_node() {
    let Some(node) = node_or_skip("sync_results_match_node") else {
        return;
    };
    let dir = TempDir::new("rt-sync");
    let cases: Vec<(&str, &str, &str, Vec<&str>, Value)> = vec![
        (
            "ok",
            "spawnSync",
            "sh",
            vec!["-c", "echo hi; echo x >&2"],
            json!({}),
        ),
        ("exit2", "spawnSync", "sh", vec!["-c", "exit 2"], json!({})),
        ("sigkill", "spawnSync", "sh", vec!["-c", "kill -9 $$"], json!({})),
        ("enoent", "spawnSync", "ls-not-here", vec!["-l"], json!({})),
        (
            "timeout",
            "spawnSync",
            "sleep",
            vec!["5"],
            json!({"timeout": 200}),
        ),
        // The child stays (exec sleep) so that both sides kill it.
        (
            "maxbuf",
            "spawnSync",
            "sh",
            vec!["-c", "head -c 2000 /dev/zero | tr '\\0' a; exec sleep 5"],
            json!({"maxBuffer": 1000}),
        ),
        ("input", "spawnSync", "cat", vec![], json!({"input": "abc"})),
        (
            "badcwd",
            "spawnSync",
            "ls",
            vec![],
            json!({"cwd": "/nope/not/here"}),
        ),
        ("exec_ok", "execSync", "echo hi", vec![], json!({})),
        ("exec_fail", "execSync", "echo bad >&2; exit 3", vec![], json!({})),
        (
            "exec_timeout",
            "execSync",
            "sleep 5",
            vec![],
            json!({"timeout": 200}),
        ),
        (
            "execfile_enoent",
            "execFileSync",
            "ls-not-here",
            vec!["-l"],
            json!({}),
        ),
        (
            "execfile_fail",
            "execFileSync",
            "sh",
            vec!["-c", "exit 4"],
            json!({}),
        ),
    ];
    let script = dir.path().join("sync.cjs");
    std::fs::write(&script, NODE_SCRIPT).unwrap();
    let arg = serde_json::to_string(&cases).unwrap();
    let expected: Value = serde_json::from_slice(&node.run_file(&script, &[&arg], b"")).unwrap();

    let mut compared = 0;
    for (label, kind, file, args, opts) in &cases {
        let mut o = SpawnSyncOptions::new();
        if let Some(t) = opts.get("timeout").and_then(Value::as_u64) {
            o = o.timeout(Duration::from_millis(t));
        }
        if let Some(m) = opts.get("maxBuffer").and_then(Value::as_u64) {
            o = o.max_buffer(m as usize);
        }
        if let Some(i) = opts.get("input").and_then(Value::as_str) {
            o = o.input(i);
        }
        if let Some(c) = opts.get("cwd").and_then(Value::as_str) {
            o = o.cwd(c);
        }
        let got = match *kind {
            "spawnSync" => spawn_json(&spawn_sync(file, args.clone(), o).unwrap()),
            "execSync" => exec_json(exec_sync(file, o)),
            _ => exec_json(exec_file_sync(file, args.clone(), o)),
        };
        let mut want = expected[label].clone();
        if *label == "maxbuf" {
            // How much is kept past maxBuffer is what the reads got: compare
            // that it went past, the rest exactly.
            for v in [&got, &want] {
                assert!(v["stdout"].as_str().unwrap().len() > 1000, "{label}: {v}");
            }
            want["stdout"] = got["stdout"].clone();
        }
        assert_eq!(got, want, "case {label}");
        compared += 1;
    }
    println!("compared {compared} sync cases with node");
    assert_eq!(compared, cases.len());
    assert_eq!(compared, 13);
}

#[test]
fn a_grandchild_holding_the_pipes_does_not_hold_spawn_sync() {
    // sh exits at once; its background sleep keeps stdout and stderr open.
    // Node returns at sh's exit with what was written; so must this.
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let r = spawn_sync(
            "sh",
            ["-c", "sleep 30 & echo $!"],
            SpawnSyncOptions::new().encoding(Some(Default::default())),
        );
        let _ = tx.send(r);
    });
    let r = rt_tests::wait::recv_within(&rx, 10, "spawn_sync to return at the child's exit").unwrap();
    assert_eq!(r.status, Some(0));
    let pid: i32 = r
        .stdout
        .unwrap()
        .to_text()
        .trim()
        .parse()
        .expect("the sleep's pid");
    let _ = nix_kill(pid);
}

fn nix_kill(pid: i32) -> std::io::Result<()> {
    std::process::Command::new("kill")
        .arg(pid.to_string())
        .status()
        .map(|_| ())
}
