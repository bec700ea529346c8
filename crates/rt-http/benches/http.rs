//! `cargo xtask bench http`: rt's http server beside Node's and a hyper 1.x
//! server, same handler (hello world; `/echo` streams the request body
//! back), each in its own process, loaded by `wrk` on loopback.
//!
//! The primary figure is the server's CPU per request: the server
//! process's utime+stime over the run (from /proc) divided by the requests
//! served, since on a small box the load generator shares the CPU. Also
//! req/s and p99 latency, with the server pinned to core 0 and wrk to core 1
//! ("pinned", when there are two cores) and unpinned; the 1 MiB POST echo
//! (MB/s, server CPU per MB); memory per idle keep-alive connection at
//! 10,000 connections (RSS growth / connections).
//!
//! rt and hyper run on a current-thread tokio runtime (one core, as Node).
//! `wrk` comes from Debian's packages: installed with apt-get when missing
//! and possible, otherwise the bench says so and reports nothing.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::time::Duration;

use rt_tests::bench::server::{ServerProcess, pinned_cores};
use rt_tests::bench::wrk::{self, Wrk};
use rt_tests::bench::{Better, report_as};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--serve") {
        serve(args.get(i + 1).map(String::as_str).unwrap_or("rt"));
        return;
    }
    if let Err(e) = bench() {
        eprintln!("NOTICE: http bench skipped: {e}");
    }
}

// ---- the servers ----

fn serve(kind: &str) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        match kind {
            "hyper" => hyper_server().await,
            _ => rt_server().await,
        }
    });
}

async fn until_stdin_closes() {
    let _ = tokio::task::spawn_blocking(|| {
        let mut sink = Vec::new();
        let _ = std::io::stdin().read_to_end(&mut sink);
    })
    .await;
}

async fn rt_server() {
    use rt_http::{IncomingMessage, ServerOptions, ServerResponse};
    let mut opts = ServerOptions::default();
    opts.keep_alive_timeout = Duration::from_secs(600);
    let server = rt_http::Server::with_options(
        opts,
        Some(|req: IncomingMessage, res: ServerResponse| {
            if req.url() == "/echo" {
                req.pipe(&res);
                return;
            }
            let _ = res.set_header("Content-Type", "text/plain");
            let _ = res.end_with("Hello World\n");
        }),
    );
    let port = server
        .listen(("127.0.0.1", 0))
        .await
        .expect("listen")
        .port()
        .expect("port");
    println!("{port}");
    until_stdin_closes().await;
}

async fn hyper_server() {
    use bytes::Bytes;
    use http_body_util::{Either, Full};
    use hyper::body::Incoming;
    use hyper::server::conn::http1;
    use hyper::service::service_fn;
    use hyper::{Request, Response};
    use hyper_util::rt::TokioIo;

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    println!("{}", listener.local_addr().expect("addr").port());
    let accept = async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let _ = stream.set_nodelay(true);
            tokio::spawn(async move {
                let service = service_fn(|req: Request<Incoming>| async move {
                    if req.uri().path() == "/echo" {
                        return Ok::<_, std::convert::Infallible>(Response::new(Either::Right(
                            req.into_body(),
                        )));
                    }
                    let mut res =
                        Response::new(Either::Left(Full::new(Bytes::from_static(b"Hello World\n"))));
                    res.headers_mut().insert(
                        "content-type",
                        hyper::header::HeaderValue::from_static("text/plain"),
                    );
                    Ok(res)
                });
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    };
    tokio::select! {
        _ = accept => {}
        _ = until_stdin_closes() => {}
    }
}

// ---- the driver ----

fn start(who: &str, core: Option<usize>) -> Result<ServerProcess, String> {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("benches/support/node_server.js");
    match who {
        "node" => ServerProcess::start(who, "node", &[script], core),
        other => {
            let exe = std::env::current_exe().map_err(|e| e.to_string())?;
            ServerProcess::start(who, exe, &["--serve", other], core)
        }
    }
}

fn secs() -> u64 {
    std::env::var("RT_HTTP_BENCH_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5)
}

const WHO: [&str; 3] = ["rt", "hyper", "node"];

fn bench() -> Result<(), String> {
    wrk::ensure()?;
    let modes: Vec<(Option<(usize, usize)>, &str)> = match pinned_cores() {
        Some(cores) => vec![(Some(cores), ", pinned"), (None, "")],
        None => vec![(None, "")],
    };
    for (pin, label) in &modes {
        for who in WHO {
            let server = start(who, pin.map(|p| p.0))?;
            let hello = Wrk::new(server.port()).conns(64).core(pin.map(|p| p.1));
            // warm-up
            let _ = hello.clone().secs(1).run();
            let before = server.cpu_secs();
            let load = hello.secs(secs()).run()?;
            let cpu = server.cpu_secs() - before;
            let figure = format!("hello, 64 keep-alive conns{label}");
            load.report_cpu_and_rate(who, &figure, "server CPU", cpu);
            report_as(who, &format!("{figure}: p99"), "ms", Better::Lower, load.p99_ms);
        }
    }
    // 1 MiB POST bodies echoed back.
    let dir = std::env::temp_dir().join(format!("rt-http-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let lua = dir.join("post.lua");
    std::fs::write(
        &lua,
        "wrk.method = \"POST\"\nwrk.body = string.rep(\"x\", 1048576)\n",
    )
    .map_err(|e| e.to_string())?;
    for who in WHO {
        let server = start(who, None)?;
        let before = server.cpu_secs();
        let load = Wrk::new(server.port())
            .path("/echo")
            .conns(8)
            .secs(secs())
            .script(&lua)
            .run()?;
        let cpu = server.cpu_secs() - before;
        let mb = load.requests * 1.048576;
        report_as(
            who,
            "1 MiB POST echo, 8 conns",
            "MB/s",
            Better::Higher,
            mb / load.secs,
        );
        report_as(
            who,
            "1 MiB POST echo: server CPU",
            "µs/MB",
            Better::Lower,
            cpu * 1e6 / mb,
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
    // Memory per idle keep-alive connection.
    let conns: usize = std::env::var("RT_HTTP_BENCH_CONNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    for who in WHO {
        let server = start(who, None)?;
        // One connection first, so the baseline has the first-request state.
        let mut held = vec![one_request(server.port())?];
        std::thread::sleep(Duration::from_millis(200));
        let before = server.rss_bytes();
        for _ in 1..conns {
            held.push(one_request(server.port())?);
        }
        std::thread::sleep(Duration::from_millis(500));
        let after = server.rss_bytes();
        report_as(
            who,
            &format!("memory per idle keep-alive conn ({conns})"),
            "bytes",
            Better::Lower,
            (after - before) / (conns - 1) as f64,
        );
        drop(held);
    }
    Ok(())
}

/// A keep-alive connection after one request (its response read whole).
fn one_request(port: u16) -> Result<TcpStream, String> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).map_err(|e| format!("connect: {e}"))?;
    s.write_all(b"GET / HTTP/1.1\r\nHost: b\r\n\r\n")
        .map_err(|e| e.to_string())?;
    s.set_read_timeout(Some(Duration::from_secs(10)))
        .map_err(|e| e.to_string())?;
    let mut got = Vec::new();
    let mut buf = [0u8; 1024];
    while !got.ends_with(b"Hello World\n") {
        let n = s.read(&mut buf).map_err(|e| format!("reading a response: {e}"))?;
        if n == 0 {
            return Err("the server closed a keep-alive connection".into());
        }
        got.extend_from_slice(&buf[..n]);
    }
    Ok(s)
}
