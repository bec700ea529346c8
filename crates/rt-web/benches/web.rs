//! `cargo xtask bench web`: the web toolkit under load.
//!
//! 1. Routing plus a JSON answer over 100 routes (`/api/r<i>/:id`): rt-web's
//!    `Router` against Node's `http` with a hand-written router
//!    (`benches/support/node_router.js`), each server in its own process on
//!    one core, loaded by `wrk` cycling through the routes. The figure is
//!    the server's CPU per request (utime + stime from /proc over the run,
//!    divided by the requests served), and req/s.
//! 2. A 100 MB file uploaded as `multipart/form-data` to an rt server that
//!    streams it to disk (`read_multipart`): MB/s and the server's peak RSS
//!    (VmHWM), which must stay under 32 MiB. Node has no built-in multipart
//!    parser (express apps use multer from npm), so this row has no Node twin.
//!
//! `wrk` comes from Debian's packages (installed with apt-get when missing
//! and possible; otherwise the bench says so and reports nothing).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use rt_tests::bench::server::{ServerProcess, pinned_cores};
use rt_tests::bench::wrk::{self, Wrk};
use rt_tests::bench::{Better, report_as};

const ROUTES: usize = 100;
const UPLOAD_BYTES: usize = 100 * 1000 * 1000;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--serve") {
        serve(
            args.get(i + 1).map(String::as_str).unwrap_or("router"),
            args.get(i + 2).cloned(),
        );
        return;
    }
    if let Err(e) = bench() {
        eprintln!("NOTICE: web bench skipped: {e}");
    }
}

// ---- the servers ----

fn serve(kind: &str, dir: Option<String>) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let port = match kind {
            "upload" => upload_server(PathBuf::from(dir.expect("an upload folder"))).await,
            _ => router_server().await,
        };
        println!("{port}");
        let _ = tokio::task::spawn_blocking(|| {
            let mut sink = Vec::new();
            let _ = std::io::stdin().read_to_end(&mut sink);
        })
        .await;
    });
}

async fn router_server() -> u16 {
    use rt_http::ServerResponse;
    use rt_web::router::Router;
    use rt_web::{HttpError, Request};
    let mut app = Router::new();
    for i in 0..ROUTES {
        app.get(
            &format!("/api/r{i}/:id"),
            move |req: Request, res: ServerResponse| async move {
                let id = req.param("id").unwrap_or_default();
                let body = serde_json::json!({ "route": i, "id": id, "ok": true }).to_string();
                res.set_header("Content-Type", "application/json; charset=utf-8")?;
                res.end_with(body)?;
                Ok::<(), HttpError>(())
            },
        );
    }
    let server = app.listen(("127.0.0.1", 0)).await.expect("listen");
    let port = server.address().and_then(|a| a.port()).expect("port");
    std::mem::forget(server);
    port
}

async fn upload_server(dir: PathBuf) -> u16 {
    use rt_http::{IncomingMessage, ServerResponse};
    use rt_web::multipart::{MultipartOptions, read_multipart};
    let server = rt_http::create_server(move |req: IncomingMessage, res: ServerResponse| {
        let opts = MultipartOptions::new(&dir).file_size(200 << 20).total(200 << 20);
        async move {
            match read_multipart(&req, &opts).await {
                Ok(Some(form)) => {
                    let size: u64 = form.files.iter().map(|f| f.size).sum();
                    for f in form.files {
                        let _ = std::fs::remove_file(f.path);
                    }
                    let _ = res.end_with(size.to_string());
                }
                Ok(None) => {
                    res.set_status_code(415);
                    let _ = res.end();
                }
                Err(e) => e.send(&res),
            }
        }
    });
    let port = server
        .listen(("127.0.0.1", 0))
        .await
        .expect("listen")
        .port()
        .expect("port");
    std::mem::forget(server);
    port
}

// ---- the driver ----

fn start(who: &str, extra: &[&str], core: Option<usize>) -> Result<ServerProcess, String> {
    if who == "node" {
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("benches/support/node_router.js");
        return ServerProcess::start(who, "node", &[script], core);
    }
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let args: Vec<&str> = ["--serve", who].iter().chain(extra).copied().collect();
    ServerProcess::start(who, exe, &args, core)
}

fn bench() -> Result<(), String> {
    let dir = std::env::temp_dir().join(format!("rt-web-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let r = run(&dir);
    let _ = std::fs::remove_dir_all(&dir);
    r
}

fn run(dir: &std::path::Path) -> Result<(), String> {
    wrk::ensure()?;
    let secs: u64 = std::env::var("RT_WEB_BENCH_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    let lua = dir.join("routes.lua");
    std::fs::write(
        &lua,
        format!(
            "local i = 0\nrequest = function()\n  i = (i + 1) % {ROUTES}\n  return wrk.format(\"GET\", \"/api/r\" .. i .. \"/\" .. i)\nend\n"
        ),
    )
    .map_err(|e| e.to_string())?;
    let pin = pinned_cores();
    for who in ["rt", "node"] {
        let kind = if who == "rt" { "router" } else { "node" };
        let server = start(kind, &[], pin.map(|p| p.0))?;
        // Check one answer of each kind first.
        check_route(server.port(), 42)?;
        let routes = Wrk::new(server.port())
            .conns(32)
            .core(pin.map(|p| p.1))
            .script(&lua);
        let _ = routes.clone().secs(1).run();
        let before = server.cpu_secs();
        let load = routes.secs(secs).run()?;
        let cpu = server.cpu_secs() - before;
        if load.non_2xx() {
            return Err(format!("wrk saw error answers:\n{}", load.output));
        }
        load.report_cpu_and_rate(who, "100 routes + JSON, 32 conns", "server CPU", cpu);
    }
    // The upload.
    let updir = dir.join("uploads");
    std::fs::create_dir_all(&updir).map_err(|e| e.to_string())?;
    let server = start("upload", &[updir.to_str().ok_or("path")?], None)?;
    let (mbps, answer) = upload(server.port())?;
    if answer != UPLOAD_BYTES.to_string() {
        return Err(format!("the upload server answered {answer:?}"));
    }
    let peak = server.peak_rss_bytes();
    report_as(
        "rt",
        "multipart upload of 100 MB to disk",
        "MB/s",
        Better::Higher,
        mbps,
    );
    report_as(
        "rt",
        "multipart upload of 100 MB: server peak RSS",
        "MiB",
        Better::Lower,
        peak / (1024.0 * 1024.0),
    );
    if peak >= 32.0 * 1024.0 * 1024.0 {
        return Err(format!(
            "peak RSS {:.1} MiB is not under 32 MiB",
            peak / 1048576.0
        ));
    }
    Ok(())
}

fn check_route(port: u16, i: usize) -> Result<(), String> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).map_err(|e| e.to_string())?;
    write!(
        s,
        "GET /api/r{i}/7 HTTP/1.1\r\nHost: b\r\nConnection: close\r\n\r\n"
    )
    .map_err(|e| e.to_string())?;
    let mut got = String::new();
    s.read_to_string(&mut got).map_err(|e| e.to_string())?;
    if !got.starts_with("HTTP/1.1 200") || !got.contains(&format!("\"route\":{i}")) {
        return Err(format!("a route answered {got:?}"));
    }
    Ok(())
}

/// Posts a 100 MB file as multipart; returns (MB/s, the answer body).
fn upload(port: u16) -> Result<(f64, String), String> {
    let boundary = "rtbenchboundary0123456789";
    let head_part = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.bin\"\r\nContent-Type: application/octet-stream\r\n\r\n"
    );
    let tail = format!("\r\n--{boundary}--\r\n");
    let len = head_part.len() + UPLOAD_BYTES + tail.len();
    let mut s = TcpStream::connect(("127.0.0.1", port)).map_err(|e| e.to_string())?;
    s.set_read_timeout(Some(Duration::from_secs(300)))
        .map_err(|e| e.to_string())?;
    let start = Instant::now();
    write!(
        s,
        "POST /upload HTTP/1.1\r\nHost: b\r\nConnection: close\r\nContent-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {len}\r\n\r\n{head_part}"
    )
    .map_err(|e| e.to_string())?;
    let block: Vec<u8> = (0..256 * 1024).map(|i| (i % 251) as u8).collect();
    let mut sent = 0;
    while sent < UPLOAD_BYTES {
        let n = block.len().min(UPLOAD_BYTES - sent);
        s.write_all(&block[..n]).map_err(|e| e.to_string())?;
        sent += n;
    }
    s.write_all(tail.as_bytes()).map_err(|e| e.to_string())?;
    let mut got = String::new();
    s.read_to_string(&mut got).map_err(|e| e.to_string())?;
    let took = start.elapsed().as_secs_f64();
    let body = got
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    Ok((UPLOAD_BYTES as f64 / 1e6 / took, body))
}
