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

use rt_tests::bench::procstat;
use rt_tests::bench::wrk::{self, Load, Wrk};
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
        procstat::cpu_secs_of(&self.pids)
    }

    fn rss_bytes(&self) -> f64 {
        procstat::rss_bytes_of(&self.pids)
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

/// wrk against the cluster's `/`, `conns` connections (`close`: one request each).
fn load(port: u16, conns: usize, secs: u64, close: bool) -> Result<Load, String> {
    let mut w = Wrk::new(port).conns(conns).secs(secs);
    if close {
        w = w.header("Connection: close");
    }
    w.run()
}

fn secs() -> u64 {
    std::env::var("RT_CLUSTER_BENCH_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5)
}

fn bench() -> Result<(), String> {
    if !wrk::available() {
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
        let _ = load(c.port, 64, 1, false); // warm-up
        let before = c.cpu_secs();
        let run = load(c.port, 64, secs(), false)?;
        let cpu = c.cpu_secs() - before;
        if let Some(e) = run.errors.last() {
            eprintln!("   {who} keep-alive: {e}");
        }
        let fig = "hello, 2 workers, 64 keep-alive conns";
        run.report_cpu_and_rate(who, fig, "CPU (primary + workers)", cpu);
        report_as(who, &format!("{fig}: p99"), "ms", Better::Lower, run.p99_ms);
        let before = c.cpu_secs();
        let run = load(c.port, 16, secs(), true)?;
        let cpu = c.cpu_secs() - before;
        if let Some(e) = run.errors.last() {
            eprintln!("   {who} hand-off: {e}");
        }
        let fig = "hand-off, 1 request per connection, 16 clients";
        report_as(
            who,
            &format!("{fig}: conns/s"),
            "conn/s",
            Better::Higher,
            run.requests / run.secs,
        );
        report_as(
            who,
            &format!("{fig}: CPU"),
            "µs/conn",
            Better::Lower,
            cpu * 1e6 / run.requests,
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
