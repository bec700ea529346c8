//! `cargo xtask bench cluster`: an rt cluster beside Node's cluster, two
//! workers each (one per core here), loaded by `wrk` on loopback.
//!
//! - hello world with 64 keep-alive connections: the servers' CPU per
//!   request (utime + stime from /proc, summed over the primary and both
//!   workers, over the run, divided by the requests served), req/s, p99;
//! - connection hand-off, round-robin: one request per connection
//!   (`Connection: close`), new connections served per second and CPU per
//!   connection;
//! - memory: RSS of the primary and both workers after the runs.
//!
//! The rt side is the `rt-cluster-worker` program (a current-thread tokio
//! runtime per process, rt-http's server in the workers); the Node side is
//! `cluster.fork()` twice with `http.createServer().listen(0)`. Both print
//! their workers' pids and the port. `wrk` comes from Debian's packages:
//! when it is missing the bench says so and reports nothing.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use rt_tests::bench::{Better, report_as};

const NODE_CLUSTER: &str = r#"
const cluster = require('cluster');
const http = require('http');
if (cluster.isPrimary) {
  cluster.on('online', w => console.log(JSON.stringify(['online', w.id, w.process.pid])));
  cluster.on('listening', (w, a) => console.log(JSON.stringify(['listening', w.id, a.port])));
  for (let i = 0; i < 2; i++) cluster.fork();
} else {
  http.createServer((req, res) => { res.setHeader('Content-Type', 'text/plain'); res.end('Hello World\n'); }).listen(0);
}
"#;

fn main() {
    if let Err(e) = bench() {
        eprintln!("NOTICE: cluster bench skipped: {e}");
    }
}

struct Cluster {
    primary: Child,
    pids: Vec<u32>,
    port: u16,
    _dir: Option<std::path::PathBuf>,
}

impl Cluster {
    fn start(who: &str) -> Result<Cluster, String> {
        let (mut cmd, dir) = if who == "node" {
            let dir = std::env::temp_dir().join(format!("rt-cluster-bench-{}", std::process::id()));
            std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
            let script = dir.join("cluster.js");
            std::fs::write(&script, NODE_CLUSTER).map_err(|e| e.to_string())?;
            let mut c = Command::new("node");
            c.arg(&script);
            (c, Some(dir))
        } else {
            let mut c = Command::new(env!("CARGO_BIN_EXE_rt-cluster-worker"));
            c.env("WORKERS", "2")
                .env("PORT", "0")
                .env("BODY", "Hello World\n");
            (c, None)
        };
        let mut primary = cmd
            .env_remove("NODE_UNIQUE_ID")
            .env_remove("NODE_CLUSTER_SCHED_POLICY")
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| format!("{who}: {e}"))?;
        let out = primary.stdout.take().ok_or("no stdout")?;
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                if let Ok(v) = serde_json::from_str::<serde_json::Value>(&line) {
                    let _ = tx.send(v);
                }
            }
        });
        let (mut pids, mut port, mut listening) = (Vec::new(), 0, 0);
        while listening < 2 {
            let v = rx
                .recv_timeout(Duration::from_secs(30))
                .map_err(|_| format!("{who} cluster did not start"))?;
            match v[0].as_str() {
                Some("online") => pids.push(v[2].as_u64().unwrap_or(0) as u32),
                Some("listening") => {
                    port = v[2].as_u64().unwrap_or(0) as u16;
                    listening += 1;
                }
                _ => {}
            }
        }
        pids.push(primary.id());
        Ok(Cluster {
            primary,
            pids,
            port,
            _dir: dir,
        })
    }

    /// utime + stime of the primary and the workers, in seconds.
    fn cpu_secs(&self) -> f64 {
        let ticks = clock_ticks();
        self.pids
            .iter()
            .map(|pid| {
                let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
                let after = stat.rsplit(')').next().unwrap_or("");
                let f: Vec<&str> = after.split_whitespace().collect();
                let t = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
                (t(11) + t(12)) / ticks
            })
            .sum()
    }

    fn rss_bytes(&self) -> f64 {
        self.pids
            .iter()
            .map(|pid| {
                let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
                status
                    .lines()
                    .find(|l| l.starts_with("VmRSS:"))
                    .and_then(|l| l.split_whitespace().nth(1))
                    .and_then(|v| v.parse::<f64>().ok())
                    .map_or(0.0, |kb| kb * 1024.0)
            })
            .sum()
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        // SIGTERM: rt's primary shuts down gracefully; Node's dies and its
        // workers follow (their channel closes).
        let _ = Command::new("kill")
            .args(["-TERM", &self.primary.id().to_string()])
            .status();
        let _ = self.primary.wait();
        std::thread::sleep(Duration::from_millis(300));
        for pid in &self.pids {
            let _ = Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .stderr(Stdio::null())
                .status();
        }
        if let Some(d) = &self._dir {
            let _ = std::fs::remove_dir_all(d);
        }
    }
}

fn clock_ticks() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
        .unwrap_or(100.0)
}

struct Load {
    requests: f64,
    secs: f64,
    p99_ms: f64,
    errors: String,
}

fn wrk(port: u16, conns: usize, secs: u64, close: bool) -> Result<Load, String> {
    let mut cmd = Command::new("wrk");
    cmd.args(["-t1", &format!("-c{conns}"), &format!("-d{secs}s"), "--latency"]);
    if close {
        cmd.args(["-H", "Connection: close"]);
    }
    cmd.arg(format!("http://127.0.0.1:{port}/"));
    let out = cmd.output().map_err(|e| format!("wrk: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let mut load = Load {
        requests: 0.0,
        secs: secs as f64,
        p99_ms: 0.0,
        errors: String::new(),
    };
    for line in text.lines() {
        let t = line.trim();
        if let Some(v) = t.strip_prefix("99%") {
            load.p99_ms = duration_ms(v.trim());
        }
        if let Some((n, rest)) = t.split_once(" requests in ") {
            load.requests = n.trim().parse().unwrap_or(0.0);
            load.secs = duration_ms(rest.split(',').next().unwrap_or("").trim()) / 1000.0;
        }
        if t.starts_with("Socket errors") || t.starts_with("Non-2xx") {
            load.errors = t.to_string();
        }
    }
    if load.requests == 0.0 {
        return Err(format!("wrk served no requests:\n{text}"));
    }
    Ok(load)
}

fn duration_ms(v: &str) -> f64 {
    let num: String = v
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    let n: f64 = num.parse().unwrap_or(0.0);
    match &v[num.len()..] {
        "us" => n / 1000.0,
        "ms" => n,
        "s" => n * 1000.0,
        "m" => n * 60_000.0,
        _ => n,
    }
}

fn secs() -> u64 {
    std::env::var("RT_CLUSTER_BENCH_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5)
}

fn bench() -> Result<(), String> {
    if Command::new("wrk").arg("--version").output().is_err() {
        return Err("wrk is missing (Debian package `wrk`)".into());
    }
    let have_node = Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    for who in ["rt", "node"] {
        if who == "node" && !have_node {
            eprintln!("NOTICE: node missing: no Node column");
            continue;
        }
        let c = Cluster::start(who)?;
        let _ = wrk(c.port, 64, 1, false); // warm-up
        let before = c.cpu_secs();
        let load = wrk(c.port, 64, secs(), false)?;
        let cpu = c.cpu_secs() - before;
        if !load.errors.is_empty() {
            eprintln!("   {who} keep-alive: {}", load.errors);
        }
        let fig = "hello, 2 workers, 64 keep-alive conns";
        report_as(
            who,
            &format!("{fig}: CPU (primary + workers)"),
            "µs/req",
            Better::Lower,
            cpu * 1e6 / load.requests,
        );
        report_as(
            who,
            &format!("{fig}: req/s"),
            "req/s",
            Better::Higher,
            load.requests / load.secs,
        );
        report_as(who, &format!("{fig}: p99"), "ms", Better::Lower, load.p99_ms);
        let before = c.cpu_secs();
        let load = wrk(c.port, 16, secs(), true)?;
        let cpu = c.cpu_secs() - before;
        if !load.errors.is_empty() {
            eprintln!("   {who} hand-off: {}", load.errors);
        }
        let fig = "hand-off, 1 request per connection, 16 clients";
        report_as(
            who,
            &format!("{fig}: conns/s"),
            "conn/s",
            Better::Higher,
            load.requests / load.secs,
        );
        report_as(
            who,
            &format!("{fig}: CPU"),
            "µs/conn",
            Better::Lower,
            cpu * 1e6 / load.requests,
        );
        report_as(
            who,
            "RSS, primary + 2 workers, after the runs",
            "MiB",
            Better::Lower,
            c.rss_bytes() / 1048576.0,
        );
    }
    Ok(())
}
