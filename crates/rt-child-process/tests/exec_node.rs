//! exec / execFile against Node: the same commands' results and error
//! fields (node is run for the expectations).

use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

use rt_child_process::{ExecCode, ExecError, ExecOptions, ExecOutput, exec, exec_file};
use rt_tests::node::node_or_skip;
use rt_tests::temp::TempDir;
use rt_tests::wait::within;
use serde_json::{Map, Value, json};

const NODE_SCRIPT: &str = r#"
const cp = require('child_process');
const cases = JSON.parse(process.argv[2]);
const out = {};
// One case at a time, as the rt side runs them: 15 shells started at once
// on a loaded machine left the timed cases' shells too little CPU before
// their kill.
const run = (i) => {
  if (i === cases.length) { console.log(JSON.stringify(out)); return; }
  const [label, kind, file, args, opts] = cases[i];
  const done = (err, stdout, stderr) => {
    let e = null;
    if (err) {
      e = {};
      for (const k of ['message', 'code', 'signal', 'killed', 'cmd', 'errno', 'syscall', 'path', 'spawnargs'])
        if (err[k] !== undefined) e[k] = err[k];
    }
    out[label] = {err: e, stdout: String(stdout), stderr: String(stderr)};
    run(i + 1);
  };
  if (kind === 'exec') cp.exec(file, opts, done); else cp.execFile(file, args, opts, done);
};
run(0);
"#;

fn result_json(r: Result<ExecOutput, ExecError>) -> Value {
    match r {
        Ok(o) => json!({"err": null, "stdout": o.stdout.to_text(), "stderr": o.stderr.to_text()}),
        Err(e) => {
            let mut m = Map::new();
            m.insert("message".into(), json!(e.message));
            m.insert(
                "code".into(),
                match e.code {
                    ExecCode::Exit(c) => json!(c),
                    ExecCode::Named(c) => json!(c.as_str()),
                    ExecCode::Null => Value::Null,
                },
            );
            if let Some(k) = e.killed {
                // Node sets signal and killed together, on 'Command failed'.
                m.insert("signal".into(), json!(e.signal));
                m.insert("killed".into(), json!(k));
            }
            m.insert("cmd".into(), json!(e.cmd));
            if let Some(err) = &e.error {
                if let Some(n) = err.errno() {
                    m.insert("errno".into(), json!(n));
                }
                if let Some(s) = err.syscall() {
                    m.insert("syscall".into(), json!(s));
                }
                if let Some(p) = err.path() {
                    m.insert("path".into(), json!(p));
                }
                if let Some(a) = err.spawnargs() {
                    m.insert("spawnargs".into(), json!(a));
                }
            }
            json!({"err": m, "stdout": e.stdout.to_text(), "stderr": e.stderr.to_text()})
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exec_results_and_errors_match_node() {
    let Some(node) = node_or_skip("exec_results_and_errors_match_node") else {
        return;
    };
    let dir = TempDir::new("rt-exec");
    let noexec = dir.path().join("noexec.sh");
    std::fs::write(&noexec, "echo hi\n").unwrap();
    std::fs::set_permissions(&noexec, std::fs::Permissions::from_mode(0o644)).unwrap();
    let noexec = noexec.to_str().unwrap().to_string();
    let a = |n: usize, fd: &str| format!("head -c {n} /dev/zero | tr '\\0' a {fd}");
    // label, kind, file or command, args, options (Node's names)
    let cases: Vec<(String, &str, String, Vec<String>, Value)> = vec![
        (
            "ok".into(),
            "exec",
            "echo hi; echo there >&2".into(),
            vec![],
            json!({}),
        ),
        (
            "exit2".into(),
            "exec",
            "echo out; echo oops >&2; exit 2".into(),
            vec![],
            json!({}),
        ),
        ("sigkill".into(), "exec", "kill -9 $$".into(), vec![], json!({})),
        (
            "timeout".into(),
            "exec",
            "echo before; sleep 5".into(),
            vec![],
            // Long enough for 'before' to be written on a loaded machine
            // (node's own run missed it at 200 ms under load).
            json!({"timeout": 1000}),
        ),
        (
            "timeout_sigkill".into(),
            "exec",
            "sleep 5".into(),
            vec![],
            json!({"timeout": 200, "killSignal": "SIGKILL"}),
        ),
        (
            "grandchild_keeps_pipe".into(),
            "exec",
            "(sleep 3; echo late) & sleep 5".into(),
            vec![],
            json!({"timeout": 200}),
        ),
        (
            "stdout_at_max".into(),
            "exec",
            a(1000, ""),
            vec![],
            json!({"maxBuffer": 1000}),
        ),
        (
            "stdout_past_max".into(),
            "exec",
            a(1001, ""),
            vec![],
            json!({"maxBuffer": 1000}),
        ),
        (
            "stderr_at_max".into(),
            "exec",
            a(1000, ">&2"),
            vec![],
            json!({"maxBuffer": 1000}),
        ),
        (
            "stderr_past_max".into(),
            "exec",
            a(1001, ">&2"),
            vec![],
            json!({"maxBuffer": 1000}),
        ),
        (
            "not_found_in_shell".into(),
            "exec",
            "ls-not-here".into(),
            vec![],
            json!({}),
        ),
        (
            "enoent".into(),
            "execFile",
            "ls-not-here".into(),
            vec!["-l".into()],
            json!({}),
        ),
        ("eacces".into(), "execFile", noexec, vec!["x".into()], json!({})),
        (
            "missing_cwd".into(),
            "execFile",
            "ls".into(),
            vec!["-l".into()],
            json!({"cwd": "/nope/not/here"}),
        ),
        (
            "exec_file_exit".into(),
            "execFile",
            "sh".into(),
            vec!["-c".into(), "exit 3".into()],
            json!({}),
        ),
    ];
    let script = dir.path().join("exec.js");
    std::fs::write(&script, NODE_SCRIPT).unwrap();
    let arg = serde_json::to_string(&cases).unwrap();
    let expected: Value = serde_json::from_slice(&node.run_file(&script, &[&arg], b"")).unwrap();

    let mut compared = 0;
    for (label, kind, file, args, opts) in &cases {
        let mut o = ExecOptions::new();
        if let Some(t) = opts.get("timeout").and_then(Value::as_u64) {
            o = o.timeout(Duration::from_millis(t));
        }
        if let Some(m) = opts.get("maxBuffer").and_then(Value::as_u64) {
            o = o.max_buffer(m as usize);
        }
        if let Some(s) = opts.get("killSignal").and_then(Value::as_str) {
            o = o.kill_signal(rt_child_process::Signal::parse(s).unwrap());
        }
        if let Some(c) = opts.get("cwd").and_then(Value::as_str) {
            o = o.cwd(c);
        }
        let r = if *kind == "exec" {
            within(20, label, exec(file, o)).await
        } else {
            within(20, label, exec_file(file, args.clone(), o)).await
        };
        assert_eq!(result_json(r), expected[label], "case {label}");
        compared += 1;
    }
    println!("compared {compared} exec/execFile cases with node");
    assert_eq!(compared, cases.len());
    assert_eq!(compared, 15);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn buffer_encoding_and_default_max_buffer() {
    let out = exec("printf '\\377\\376'", ExecOptions::new().encoding(None))
        .await
        .unwrap();
    match out.stdout {
        rt_child_process::Output::Buffer(b) => assert_eq!(&b[..], &[0xff, 0xfe]),
        other => panic!("expected a Buffer, got {other:?}"),
    }
    // 1 MiB by default: one byte more is cut and reported.
    let err = exec("head -c 1048577 /dev/zero", ExecOptions::new())
        .await
        .unwrap_err();
    assert_eq!(
        err.code,
        ExecCode::Named(rt_child_process::Code::ERR_CHILD_PROCESS_STDIO_MAXBUFFER)
    );
    assert_eq!(err.stdout.len(), 1024 * 1024);
    assert_eq!(err.error.unwrap().name(), "RangeError");
}
