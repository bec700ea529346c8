//! `cargo xtask bench http_client`: the http client's requests per second
//! through a keep-alive `Agent` against one server, rt's client beside
//! Node's (`http.get` with `new http.Agent({ keepAlive: true, maxSockets })`)
//! in the same run.
//!
//! The server is this program started again with `--serve`: a plain tokio
//! loop that answers each request head with a canned response, so the
//! figure is the client's, not a server's. Both clients run on one thread
//! (rt on a current-thread runtime, as Node) with the same number of
//! concurrent requests. Figures: req/s, and the client's own CPU per request
//! (its process's user+system time over the run / requests; on a 2-core box
//! the server shares the CPU, so this is the steadier figure).

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use rt_http::{Agent, AgentOptions, RequestOptions};
use rt_tests::bench::procstat;
use rt_tests::bench::{Better, report_as};

const RESPONSE: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 12\r\nConnection: keep-alive\r\n\r\nHello World\n";

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--serve") {
        serve();
        return;
    }
    if let Err(e) = bench() {
        eprintln!("NOTICE: http_client bench skipped: {e}");
    }
}

fn serve() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        println!("{}", l.local_addr().expect("addr").port());
        loop {
            let Ok((s, _)) = l.accept().await else { continue };
            let _ = s.set_nodelay(true);
            tokio::spawn(async move {
                use tokio::io::{AsyncReadExt, AsyncWriteExt};
                let mut s = s;
                let mut buf = vec![0u8; 64 * 1024];
                let mut carry = 0usize; // bytes of a head cut by the end of a read
                let mut out = Vec::new();
                loop {
                    let n = match s.read(&mut buf[carry..]).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => n,
                    };
                    let data = &buf[..carry + n];
                    let mut start = 0;
                    while let Some(i) = data[start..].windows(4).position(|w| w == b"\r\n\r\n") {
                        out.extend_from_slice(RESPONSE);
                        start += i + 4;
                    }
                    let rest = data.len() - start;
                    buf.copy_within(start..start + rest, 0);
                    carry = rest;
                    if !out.is_empty() {
                        if s.write_all(&out).await.is_err() {
                            return;
                        }
                        out.clear();
                    }
                }
            });
        }
    });
}

/// utime + stime of this process so far, in seconds.
fn cpu_secs() -> f64 {
    procstat::cpu_secs(std::process::id())
}

struct Server(Child, u16);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_server() -> Result<Server, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut child = Command::new(exe)
        .arg("--serve")
        .stdout(Stdio::piped())
        .stdin(Stdio::null())
        .spawn()
        .map_err(|e| format!("server: {e}"))?;
    let mut line = String::new();
    BufReader::new(child.stdout.take().ok_or("no stdout")?)
        .read_line(&mut line)
        .map_err(|e| e.to_string())?;
    let port = line.trim().parse().map_err(|_| format!("server said {line:?}"))?;
    Ok(Server(child, port))
}

fn rt_client(port: u16, conc: usize, secs: f64) -> (u64, f64, f64) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async move {
        let agent = Agent::new(AgentOptions {
            keep_alive: true,
            max_sockets: conc,
            ..AgentOptions::default()
        });
        let count = Arc::new(AtomicU64::new(0));
        let cpu0 = cpu_secs();
        let t0 = Instant::now();
        let end = t0 + Duration::from_secs_f64(secs);
        let mut tasks = Vec::new();
        for _ in 0..conc {
            let agent = agent.clone();
            let count = count.clone();
            tasks.push(tokio::spawn(async move {
                while Instant::now() < end {
                    let opts = RequestOptions::default()
                        .host("127.0.0.1")
                        .port(port)
                        .agent(&agent);
                    let req = rt_http::get(opts).expect("request");
                    let res = req.response().await.expect("response");
                    res.read_all().await.expect("body");
                    count.fetch_add(1, Ordering::Relaxed);
                }
            }));
        }
        for t in tasks {
            t.await.expect("client task");
        }
        let elapsed = t0.elapsed().as_secs_f64();
        (count.load(Ordering::Relaxed), elapsed, cpu_secs() - cpu0)
    })
}

fn node_client(port: u16, conc: usize, secs: f64) -> Result<(u64, f64, f64), String> {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/support/client_load.js");
    let out = Command::new("node")
        .arg(script)
        .args([port.to_string(), conc.to_string(), secs.to_string()])
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("node: {e}"))?;
    let v: serde_json::Value =
        serde_json::from_slice(&out.stdout).map_err(|e| format!("node printed {:?}: {e}", out.stdout))?;
    Ok((
        v["n"].as_u64().unwrap_or(0),
        v["secs"].as_f64().unwrap_or(1.0),
        v["cpu_us"].as_f64().unwrap_or(0.0) / 1e6,
    ))
}

fn bench() -> Result<(), String> {
    let secs: f64 = std::env::var("RT_HTTP_CLIENT_BENCH_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3.0);
    let server = start_server()?;
    for conc in [1usize, 16] {
        let figure = format!("GET via keep-alive Agent, {conc} in flight");
        let (n, el, cpu) = rt_client(server.1, conc, secs);
        report_as(
            "rt",
            &format!("{figure}: req/s"),
            "req/s",
            Better::Higher,
            n as f64 / el,
        );
        report_as(
            "rt",
            &format!("{figure}: client CPU"),
            "us/req",
            Better::Lower,
            cpu * 1e6 / n.max(1) as f64,
        );
        match node_client(server.1, conc, secs) {
            Ok((n, el, cpu)) => {
                report_as(
                    "node",
                    &format!("{figure}: req/s"),
                    "req/s",
                    Better::Higher,
                    n as f64 / el,
                );
                report_as(
                    "node",
                    &format!("{figure}: client CPU"),
                    "us/req",
                    Better::Lower,
                    cpu * 1e6 / n.max(1) as f64,
                );
            }
            Err(e) => eprintln!("NOTICE: node client not measured: {e}"),
        }
    }
    Ok(())
}
