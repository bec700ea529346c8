//! Past one machine: a real Nginx (Debian's package) on loopback, with its
//! own config in a temp dir, load-balancing two rt-cluster instances (each
//! a primary with two workers); one instance is reloaded (rolling, SIGUSR2)
//! under load, and no request fails (`proxy_next_upstream off`: nginx
//! retries nothing, so a request dropped by the reloading cluster would
//! be a 502 here). Skipped with a notice when nginx is
//! missing; a failure under RT_REQUIRE_SERVICES=1.

mod common;

use std::collections::BTreeSet;
use std::io::BufRead;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use common::{WORKER, get};
use rt_tests::skip::skip_unless_required;
use rt_tests::temp::TempDir;
use rt_tests::wait::{recv_within, wait_until_async, within};
use serde_json::Value;

fn nginx() -> Option<String> {
    ["/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/bin/nginx"]
        .iter()
        .find(|p| std::path::Path::new(p).exists())
        .map(|p| p.to_string())
}

/// An rt-cluster instance: the `rt-cluster-worker` program as a primary.
struct Instance {
    child: std::process::Child,
    lines: std::sync::mpsc::Receiver<Value>,
    port: u16,
}

impl Instance {
    fn start() -> Instance {
        let mut child = std::process::Command::new(WORKER)
            .env_remove("NODE_UNIQUE_ID")
            .envs([("WORKERS", "2"), ("PORT", "0")])
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let out = child.stdout.take().unwrap();
        let (tx, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(out).lines().map_while(Result::ok) {
                if let Ok(v) = serde_json::from_str(&line) {
                    let _ = tx.send(v);
                }
            }
        });
        let mut me = Instance {
            child,
            lines,
            port: 0,
        };
        let mut listening = 0;
        while listening < 2 {
            let v = recv_within(&me.lines, 20, "an instance's workers listening");
            if v[0] == "listening" {
                me.port = v[2].as_u64().unwrap() as u16;
                listening += 1;
            }
        }
        me
    }

    fn signal(&self, sig: &str) {
        let ok = std::process::Command::new("kill")
            .args([sig, &self.child.id().to_string()])
            .status()
            .unwrap()
            .success();
        assert!(ok, "kill {sig}");
    }

    /// Waits for a line whose first element is `what`.
    fn wait_for(&self, what: &str, secs: u64) -> Value {
        loop {
            let v = recv_within(&self.lines, secs, what);
            if v[0] == what {
                return v;
            }
        }
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        self.signal("-TERM");
        let _ = self.child.wait();
    }
}

struct Nginx {
    child: std::process::Child,
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nginx_balances_two_clusters_and_one_reloads_under_load() {
    let Some(bin) = nginx() else {
        skip_unless_required(
            "RT_REQUIRE_SERVICES",
            "nginx_balances_two_clusters",
            "nginx is not installed (Debian package nginx; .ci/run installs it)",
        );
        return;
    };
    let a = Instance::start();
    let b = Instance::start();
    let dir = TempDir::new("rt-cluster-nginx");
    let d = dir.path().display().to_string();
    let port = free_port();
    let conf = format!(
        "daemon off;\nmaster_process off;\nworker_processes 1;\npid {d}/nginx.pid;\nerror_log {d}/error.log;\n\
         events {{ worker_connections 1024; }}\n\
         http {{\n  access_log off;\n  client_body_temp_path {d}/body;\n  proxy_temp_path {d}/proxy;\n  fastcgi_temp_path {d}/fastcgi;\n  uwsgi_temp_path {d}/uwsgi;\n  scgi_temp_path {d}/scgi;\n\
           upstream app {{ server 127.0.0.1:{}; server 127.0.0.1:{}; }}\n\
           server {{ listen 127.0.0.1:{port}; location / {{ proxy_pass http://app; proxy_next_upstream off; }} }}\n}}\n",
        a.port, b.port
    );
    std::fs::write(dir.path().join("nginx.conf"), conf).unwrap();
    let child = std::process::Command::new(&bin)
        .args([
            "-p",
            &d,
            "-c",
            &format!("{d}/nginx.conf"),
            "-e",
            &format!("{d}/error.log"),
        ])
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let _nginx = Nginx { child };
    wait_until_async(10, "nginx to listen", move || {
        std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
    })
    .await;

    // Load through nginx while instance A reloads.
    let ok = Arc::new(AtomicUsize::new(0));
    let failed = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let mut tasks = Vec::new();
    for _ in 0..4 {
        let (ok, failed, stop) = (ok.clone(), failed.clone(), stop.clone());
        tasks.push(tokio::spawn(async move {
            let mut seen = BTreeSet::new();
            let mut errors = Vec::new();
            while !stop.load(Ordering::Acquire) && ok.load(Ordering::Acquire) < 50_000 {
                match tokio::time::timeout(Duration::from_secs(10), get(port)).await {
                    Ok(Ok(body)) => {
                        ok.fetch_add(1, Ordering::AcqRel);
                        seen.insert(body.split(' ').nth(1).unwrap_or("").to_string());
                    }
                    Ok(Err(e)) => {
                        failed.fetch_add(1, Ordering::AcqRel);
                        errors.push(e.to_string());
                    }
                    Err(_) => {
                        failed.fetch_add(1, Ordering::AcqRel);
                        errors.push("no answer in 10 s".into());
                    }
                }
            }
            (seen, errors)
        }));
    }
    let o = ok.clone();
    wait_until_async(30, "100 answers through nginx", move || {
        o.load(Ordering::Acquire) >= 100
    })
    .await;
    a.signal("-USR2");
    let reloaded = tokio::task::spawn_blocking(move || {
        let v = a.wait_for("reloaded", 60);
        (a, v)
    });
    let (a, _) = within(70, "instance A's rolling reload", reloaded).await.unwrap();
    let o = ok.clone();
    let after = o.load(Ordering::Acquire);
    wait_until_async(30, "100 more answers after the reload", move || {
        o.load(Ordering::Acquire) >= after + 100
    })
    .await;
    stop.store(true, Ordering::Release);
    let mut pids = BTreeSet::new();
    let mut errors = Vec::new();
    for t in tasks {
        let (s, e) = within(30, "the clients to stop", t).await.unwrap();
        pids.extend(s);
        errors.extend(e);
    }
    let (n_ok, n_failed) = (ok.load(Ordering::Acquire), failed.load(Ordering::Acquire));
    println!(
        "nginx over two rt clusters, one reloaded: {n_ok} answered, {n_failed} failed, {} worker pids answered",
        pids.len()
    );
    let sample: BTreeSet<&String> = errors.iter().take(2000).collect();
    let nginx_log = std::fs::read_to_string(dir.path().join("error.log")).unwrap_or_default();
    let tail: Vec<&str> = nginx_log.lines().rev().take(5).collect();
    assert_eq!(n_failed, 0, "{sample:?}; nginx's error log ends with {tail:?}");
    // Both instances' workers answered (2 + 2, plus A's 2 replacements).
    assert!(pids.len() >= 4, "{pids:?}");
    drop(a);
    drop(b);
}
