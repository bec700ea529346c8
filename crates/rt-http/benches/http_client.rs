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
//! the server shares the CPU, so this is the steadier figure), and the
//! client's context switches per request (voluntary + involuntary: a client
//! that sleeps in epoll_wait for every response pays one each).
//!
//! Floors, 1 in flight, against the same server in the same run: one
//! keep-alive connection that writes the very request head rt's client sent
//! (the server reports each distinct head it sees) and reads the canned
//! response, with nothing else around it: `floor-std` (blocking std::net
//! write + read) and `floor-tokio` (a current-thread tokio runtime, one
//! task, `write_all` + `read`: an epoll wait per response, as rt pays).
//! Their req/s is what 1 in flight can reach on this machine at all (the
//! exchange is latency-bound: each request waits for the server process to
//! be woken and to answer); the bench prints floor/node beside rt/node.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
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
    if let Some(i) = args.iter().position(|a| a == "--profile") {
        if let Err(e) = profile(
            args.get(i + 1).map(String::as_str),
            args.get(i + 2).map(String::as_str),
        ) {
            eprintln!("--profile: {e}");
            std::process::exit(2);
        }
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
        // Each distinct request head seen, reported once (escaped, one line):
        // which clients this server answered, and the bytes a floor sends.
        let seen = std::rc::Rc::new(std::cell::RefCell::new(std::collections::HashSet::new()));
        let local = tokio::task::LocalSet::new();
        local
            .run_until(async move {
                loop {
                    let Ok((s, _)) = l.accept().await else { continue };
                    let _ = s.set_nodelay(true);
                    let seen = seen.clone();
                    tokio::task::spawn_local(async move {
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
                                let head = &data[start..start + i + 4];
                                if seen.borrow_mut().insert(head.to_vec()) {
                                    let hex: String = head.iter().map(|b| format!("{b:02x}")).collect();
                                    println!("HEAD {hex}");
                                }
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
            })
            .await;
    });
}

/// utime + stime of this process so far, in seconds.
fn cpu_secs() -> f64 {
    procstat::cpu_secs(std::process::id())
}

/// The bench's server process: its port, and the request heads it has
/// reported (each distinct one once, in the order first seen).
struct Server {
    child: Child,
    port: u16,
    heads: Arc<Mutex<Vec<Vec<u8>>>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// The heads reported since the first `skip`, waiting up to 2 s for one.
    fn heads_after(&self, skip: usize) -> Vec<Vec<u8>> {
        let t0 = Instant::now();
        loop {
            let h = self.heads.lock().unwrap_or_else(PoisonError::into_inner);
            if h.len() > skip || t0.elapsed() > Duration::from_secs(2) {
                return h.get(skip..).unwrap_or_default().to_vec();
            }
            drop(h);
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

fn start_server() -> Result<Server, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut child = Command::new(exe)
        .arg("--serve")
        .stdout(Stdio::piped())
        .stdin(Stdio::null())
        .spawn()
        .map_err(|e| format!("server: {e}"))?;
    let mut out = BufReader::new(child.stdout.take().ok_or("no stdout")?);
    let mut line = String::new();
    out.read_line(&mut line).map_err(|e| e.to_string())?;
    let port = line.trim().parse().map_err(|_| format!("server said {line:?}"))?;
    let heads = Arc::new(Mutex::new(Vec::new()));
    let sink = heads.clone();
    std::thread::spawn(move || {
        for line in out.lines().map_while(Result::ok) {
            if let Some(h) = line.strip_prefix("HEAD ").and_then(unhex) {
                sink.lock().unwrap_or_else(PoisonError::into_inner).push(h);
            }
        }
    });
    Ok(Server { child, port, heads })
}

/// Context switches of this process's threads so far (voluntary +
/// involuntary, summed over /proc/self/task as Node's resourceUsage sums
/// its threads).
fn ctx_switches() -> f64 {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return 0.0;
    };
    let mut sum = 0.0;
    for t in tasks.filter_map(Result::ok) {
        let status = std::fs::read_to_string(t.path().join("status")).unwrap_or_default();
        sum += status
            .lines()
            .filter(|l| {
                l.starts_with("voluntary_ctxt_switches:") || l.starts_with("nonvoluntary_ctxt_switches:")
            })
            .filter_map(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
            .sum::<f64>();
    }
    sum
}

/// One run's figures: requests, seconds, client CPU seconds, context switches.
struct Run {
    n: u64,
    secs: f64,
    cpu: f64,
    ctx: f64,
}

impl Run {
    fn report(&self, who: &str, figure: &str) {
        let per = |v: f64| v / self.n.max(1) as f64;
        report_as(
            who,
            &format!("{figure}: req/s"),
            "req/s",
            Better::Higher,
            self.n as f64 / self.secs,
        );
        report_as(
            who,
            &format!("{figure}: client CPU"),
            "us/req",
            Better::Lower,
            per(self.cpu * 1e6),
        );
        report_as(
            who,
            &format!("{figure}: context switches"),
            "/req",
            Better::Lower,
            per(self.ctx),
        );
    }

    fn rate(&self) -> f64 {
        self.n as f64 / self.secs
    }
}

/// A run's starting point: the client's CPU seconds, context switches and clock,
/// read when the measured loop begins; [`Meter::finish`] turns it into a [`Run`].
struct Meter {
    cpu0: f64,
    ctx0: f64,
    t0: Instant,
}

impl Meter {
    fn start() -> Meter {
        Meter {
            cpu0: cpu_secs(),
            ctx0: ctx_switches(),
            t0: Instant::now(),
        }
    }

    /// When a run of `secs` seconds from the start ends (a year for an unbounded `secs`).
    fn deadline(&self, secs: f64) -> Instant {
        self.t0 + Duration::try_from_secs_f64(secs).unwrap_or(Duration::from_secs(86_400 * 365))
    }

    /// The figures of `n` requests done since the start.
    fn finish(&self, n: u64) -> Run {
        Run {
            n,
            secs: self.t0.elapsed().as_secs_f64(),
            cpu: cpu_secs() - self.cpu0,
            ctx: ctx_switches() - self.ctx0,
        }
    }
}

/// `floor-std`: blocking write + read of `head` on one keep-alive connection.
fn floor_std(port: u16, head: &[u8], secs: f64) -> Result<Run, String> {
    floor_std_n(port, head, secs, u64::MAX)
}

fn floor_std_n(port: u16, head: &[u8], secs: f64, max: u64) -> Result<Run, String> {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).map_err(|e| e.to_string())?;
    s.set_nodelay(true).map_err(|e| e.to_string())?;
    let mut buf = vec![0u8; 64 * 1024];
    let meter = Meter::start();
    let end = meter.deadline(secs);
    let mut n = 0u64;
    while n < max && Instant::now() < end {
        s.write_all(head).map_err(|e| e.to_string())?;
        let mut got = 0;
        while got < RESPONSE.len() {
            match s.read(&mut buf[got..]).map_err(|e| e.to_string())? {
                0 => return Err("floor-std: the server closed".into()),
                k => got += k,
            }
        }
        n += 1;
    }
    Ok(meter.finish(n))
}

/// `floor-tokio`: the same exchange as one task on a current-thread runtime.
fn floor_tokio(port: u16, head: &[u8], secs: f64) -> Result<Run, String> {
    floor_tokio_n(port, head, secs, u64::MAX)
}

fn floor_tokio_n(port: u16, head: &[u8], secs: f64, max: u64) -> Result<Run, String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    rt.block_on(async move {
        let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .map_err(|e| e.to_string())?;
        s.set_nodelay(true).map_err(|e| e.to_string())?;
        let mut buf = vec![0u8; 64 * 1024];
        let meter = Meter::start();
        let end = meter.deadline(secs);
        let mut n = 0u64;
        while n < max && Instant::now() < end {
            s.write_all(head).await.map_err(|e| e.to_string())?;
            let mut got = 0;
            while got < RESPONSE.len() {
                match s.read(&mut buf[got..]).await.map_err(|e| e.to_string())? {
                    0 => return Err("floor-tokio: the server closed".into()),
                    k => got += k,
                }
            }
            n += 1;
        }
        Ok(meter.finish(n))
    })
}

fn rt_client(port: u16, conc: usize, secs: f64) -> Run {
    rt_client_n(port, conc, secs, u64::MAX)
}

fn rt_client_n(port: u16, conc: usize, secs: f64, max: u64) -> Run {
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
        // `count`: requests started (the limit), `done`: answered.
        let count = Arc::new(AtomicU64::new(0));
        let done = Arc::new(AtomicU64::new(0));
        let meter = Meter::start();
        let end = meter.deadline(secs);
        let mut tasks = Vec::new();
        for _ in 0..conc {
            let agent = agent.clone();
            let count = count.clone();
            let done = done.clone();
            tasks.push(tokio::spawn(async move {
                while Instant::now() < end && count.fetch_add(1, Ordering::Relaxed) < max {
                    let opts = RequestOptions::default()
                        .host("127.0.0.1")
                        .port(port)
                        .agent(&agent);
                    let req = rt_http::get(opts).expect("request");
                    let res = req.response().await.expect("response");
                    res.read_all().await.expect("body");
                    done.fetch_add(1, Ordering::Relaxed);
                }
            }));
        }
        for t in tasks {
            t.await.expect("client task");
        }
        meter.finish(done.load(Ordering::Relaxed))
    })
}

fn node_client(port: u16, conc: usize, secs: f64) -> Result<Run, String> {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/support/client_load.js");
    let out = Command::new("node")
        .arg(script)
        .args([port.to_string(), conc.to_string(), secs.to_string()])
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("node: {e}"))?;
    let v: serde_json::Value =
        serde_json::from_slice(&out.stdout).map_err(|e| format!("node printed {:?}: {e}", out.stdout))?;
    Ok(Run {
        n: v["n"].as_u64().unwrap_or(0),
        secs: v["secs"].as_f64().unwrap_or(1.0),
        cpu: v["cpu_us"].as_f64().unwrap_or(0.0) / 1e6,
        ctx: v["ctx"].as_f64().unwrap_or(0.0),
    })
}

/// `--profile rt|floor-std|floor-tokio N`: only that client, 1 in flight,
/// for N requests (not a time), against a server started here: the program
/// to run under `valgrind --tool=callgrind` or `strace -c` (take the
/// difference of two N to leave start-up out).
fn profile(who: Option<&str>, n: Option<&str>) -> Result<(), String> {
    let n: u64 = n.and_then(|v| v.parse().ok()).ok_or("give a request count")?;
    let server = start_server()?;
    let run = match who {
        Some("rt") => rt_client_n(server.port, 1, f64::INFINITY, n),
        Some(w @ ("floor-std" | "floor-tokio")) => {
            // The head rt's client sends, learnt from one request.
            rt_client_n(server.port, 1, f64::INFINITY, 1);
            let head = server
                .heads_after(0)
                .into_iter()
                .next()
                .ok_or("no head reported")?;
            if w == "floor-std" {
                floor_std_n(server.port, &head, f64::INFINITY, n)?
            } else {
                floor_tokio_n(server.port, &head, f64::INFINITY, n)?
            }
        }
        _ => return Err("rt, floor-std or floor-tokio".into()),
    };
    println!(
        "{} requests in {:.3} s: {:.0} req/s, {:.2} us CPU/req, {:.2} context switches/req",
        run.n,
        run.secs,
        run.rate(),
        run.cpu * 1e6 / run.n.max(1) as f64,
        run.ctx / run.n.max(1) as f64
    );
    Ok(())
}

fn shown(head: &[u8]) -> String {
    head.escape_ascii().to_string()
}

fn bench() -> Result<(), String> {
    let secs: f64 = std::env::var("RT_HTTP_CLIENT_BENCH_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3.0);
    let server = start_server()?;
    println!(
        "server: this bench's --serve (tokio, current thread, canned response), pid {}, 127.0.0.1:{}; \
         every client below connects to it",
        server.child.id(),
        server.port
    );
    for conc in [1usize, 16] {
        let figure = format!("GET via keep-alive Agent, {conc} in flight");
        let seen = server.heads.lock().unwrap_or_else(PoisonError::into_inner).len();
        let rt = rt_client(server.port, conc, secs);
        rt.report("rt", &figure);
        let rt_heads = server.heads_after(seen);
        for h in &rt_heads {
            println!("server saw from rt: {}", shown(h));
        }
        let node = match node_client(server.port, conc, secs) {
            Ok(node) => {
                node.report("node", &figure);
                Some(node)
            }
            Err(e) => {
                eprintln!("NOTICE: node client not measured: {e}");
                None
            }
        };
        let seen_all = server
            .heads
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        let node_new = seen_all.len().saturating_sub(seen + rt_heads.len());
        println!(
            "server saw from node: {}",
            if node_new == 0 {
                "the same head as rt's".to_string()
            } else {
                seen_all[seen + rt_heads.len()..]
                    .iter()
                    .map(|h| shown(h))
                    .collect::<Vec<_>>()
                    .join(" | ")
            }
        );
        if conc != 1 {
            continue;
        }
        let Some(head) = rt_heads.first().cloned() else {
            eprintln!("NOTICE: floors not measured: the server reported no request head from rt's client");
            continue;
        };
        for (who, run) in [
            ("floor-std", floor_std(server.port, &head, secs)),
            ("floor-tokio", floor_tokio(server.port, &head, secs)),
        ] {
            match run {
                Ok(f) => {
                    f.report(who, &figure);
                    println!(
                        "{who}, 1 in flight: {:.0} req/s, {who}/node = {}, rt/{who} = {:.2}",
                        f.rate(),
                        node.as_ref()
                            .map_or("-".into(), |nd| format!("{:.2}", f.rate() / nd.rate())),
                        rt.rate() / f.rate()
                    );
                }
                Err(e) => eprintln!("NOTICE: {who} not measured: {e}"),
            }
        }
    }
    Ok(())
}
