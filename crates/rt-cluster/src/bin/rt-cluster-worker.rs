//! The rt-cluster test and demo program: as a worker (forked by an rt or
//! a Node primary) an rt-http server answering `pid <pid> worker <id>`;
//! as a primary, a cluster of itself.
//!
//! Worker, by `RT_WORKER_MODE`: `http` (default: listen on `PORT`, default
//! 0, on `HOST` if set; on the Unix socket `LISTEN_PATH` if set), `exit` (exit with `EXIT_CODE`, after `EXIT_DELAY_MS` if set), `nostart`
//! (listen without starting the worker side: reports the error), `slow`
//! (answers after `SLOW_MS`), `net` (an rt-net server
//! speaking just enough HTTP, for `MAX_CONNECTIONS`), `child_env` (sends
//! `{childEnv, isWorker}`: what a program it spawns sees of `NODE_UNIQUE_ID`). A failed listen is sent to the primary as
//! `{listenError: {code, errno, syscall, address, port, message}}`, then
//! the worker exits with 1 (as an uncaught `'error'` does in Node).
//!
//! `MAX_CONNECTIONS` sets the server's `maxConnections` (rt-http's or, in `net`
//! mode, rt-net's). `BODY` replaces the answer (the bench
//! answers `Hello World\n`). `SHOW_ADDRESSES` adds the connection's addresses as the
//! worker sees them: ` remote <ip:port> local <ip:port>` (`none` when unknown).
//!
//! Primary: `WORKERS` (default 2) supervised workers (restarted when they
//! crash), `NODE_CLUSTER_SCHED_POLICY`, events printed as JSON lines
//! (`["online", id, pid]`, `["listening", id, port]`, ...); SIGUSR2 reloads
//! the workers one by one (`["reloaded"]`), SIGTERM / SIGINT shut down
//! gracefully (exit status 0, or 2 when a worker had to be killed).

use std::time::Duration;

use rt_cluster::{Cluster, Emitter, events, is_primary};
use rt_http::{IncomingMessage, ServerResponse, create_server};
use serde_json::json;

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

fn main() {
    // One process per core: a current-thread runtime in each (as Node).
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(run());
}

async fn run() {
    let mode = env("RT_WORKER_MODE").unwrap_or_else(|| "http".into());
    if mode != "nostart" && is_primary() {
        primary().await;
        return;
    }
    if mode == "child_env" {
        report_child_env().await;
        return;
    }
    if mode == "exit" {
        if let Some(ms) = env("EXIT_DELAY_MS").and_then(|c| c.parse().ok()) {
            tokio::time::sleep(Duration::from_millis(ms)).await;
        }
        let code = env("EXIT_CODE").and_then(|c| c.parse().ok()).unwrap_or(0);
        std::process::exit(code);
    }
    let slow = if mode == "slow" {
        env("SLOW_MS").and_then(|c| c.parse().ok()).unwrap_or(200)
    } else {
        0
    };
    let id = env("NODE_UNIQUE_ID").unwrap_or_default();
    let body = env("BODY").unwrap_or_else(|| format!("pid {} worker {}", std::process::id(), id));
    let port: u16 = env("PORT").and_then(|p| p.parse().ok()).unwrap_or(0);
    let max = env("MAX_CONNECTIONS").and_then(|m| m.parse().ok());
    let show_addresses = env("SHOW_ADDRESSES").is_some();
    if mode == "net" {
        serve_net(body, port, max).await;
        return;
    }
    let server = create_server(move |req: IncomingMessage, res: ServerResponse| {
        let mut body = body.clone();
        if show_addresses {
            let shown = |a: Option<std::net::SocketAddr>| a.map_or("none".to_string(), |a| a.to_string());
            let info = req.socket_info();
            body = format!("{body} remote {} local {}", shown(info.remote), shown(info.local));
        }
        async move {
            if slow > 0 {
                tokio::time::sleep(Duration::from_millis(slow)).await;
            }
            let _ = res.set_header("Content-Type", "text/plain");
            let _ = res.end_with(body);
        }
    });
    server.net().set_max_connections(max);
    let result = match (env("LISTEN_PATH"), env("HOST")) {
        (Some(path), _) => server.listen(std::path::PathBuf::from(path)).await,
        (None, Some(h)) => server.listen((h.as_str(), port)).await,
        (None, None) => server.listen(port).await,
    };
    if let Err(e) = result {
        let report = json!({"listenError": {
            "code": e.code(), "errno": e.errno(), "syscall": e.syscall(),
            "address": e.address(), "port": e.port(), "message": e.message(),
        }});
        eprintln!("{report}");
        if let Some(w) = rt_cluster::worker_side::current() {
            let _ = w.send(&report);
            // Let the message go before exiting.
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        std::process::exit(1);
    }
    std::future::pending::<()>().await;
}

/// `net` mode: an rt-net server (no rt-http) answering each request on a
/// connection with `body`, keeping the connection open unless the request
/// says `Connection: close`.
async fn serve_net(body: String, port: u16, max: Option<usize>) {
    let server = rt_net::create_server(move |socket: rt_net::Socket| {
        let body = body.clone();
        async move {
            while let Some(Ok(chunk)) = socket.read().await {
                let close = String::from_utf8_lossy(&chunk)
                    .to_ascii_lowercase()
                    .contains("connection: close");
                let extra = if close { "Connection: close\r\n" } else { "" };
                let answer = format!(
                    "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n{extra}\r\n{body}",
                    body.len()
                );
                let _ = socket.write(answer.into_bytes());
                if close {
                    let _ = socket.end();
                    break;
                }
            }
        }
    });
    server.set_max_connections(max);
    if let Err(e) = server.listen(port).await {
        eprintln!("listen: {e}");
        std::process::exit(1);
    }
    std::future::pending::<()>().await;
}

/// `child_env` mode: what a program this worker spawns sees of
/// `NODE_UNIQUE_ID`, sent to the primary as `{childEnv, isWorker}`.
async fn report_child_env() {
    let seen = rt_child_process::exec("echo ${NODE_UNIQUE_ID-unset}", Default::default())
        .await
        .map(|o| o.stdout.to_text().trim().to_string())
        .unwrap_or_else(|e| format!("exec failed: {e}"));
    if let Some(w) = rt_cluster::worker_side::current() {
        let _ = w.send(&json!({"childEnv": seen, "isWorker": rt_cluster::is_worker()}));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn primary() {
    use rt_cluster::supervisor::{RestartPolicy, Supervisor};
    let cluster = Cluster::new().expect("inside a runtime");
    cluster.on(&events::FORK, |w| println!("{}", json!(["fork", w.id()])));
    cluster.on(&events::ONLINE, |w| {
        println!("{}", json!(["online", w.id(), w.process().pid()]));
    });
    cluster.on(&events::DISCONNECT, |w| {
        println!("{}", json!(["disconnect", w.id()]))
    });
    cluster.on(&events::LISTENING, |(w, a)| {
        println!("{}", json!(["listening", w.id(), a.port]));
    });
    cluster.on(&events::EXIT, |(w, info)| {
        println!("{}", json!(["exit", w.id(), info.code, info.signal]));
    });
    cluster.on(&events::RESTART, |(old, new)| {
        println!("{}", json!(["restart", old.id(), new.id()]));
    });
    cluster.on(&events::RESTART_LIMIT, |(w, n)| {
        println!("{}", json!(["restartLimit", w.id(), n]));
    });
    let sup = Supervisor::new(cluster, RestartPolicy::new());
    sup.shutdown_on_signals(Duration::from_secs(10))
        .expect("signal handlers");
    let n: usize = env("WORKERS").and_then(|p| p.parse().ok()).unwrap_or(2);
    if let Err(e) = sup.start(n, Vec::<(String, String)>::new()) {
        eprintln!("fork failed: {e}");
        std::process::exit(1);
    }
    // SIGUSR2: rolling reload (pm2's `reload`).
    let mut usr2 = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::user_defined2())
        .expect("signal handler");
    while usr2.recv().await.is_some() {
        match sup.reload(Duration::from_secs(20)).await {
            Ok(()) => println!("{}", json!(["reloaded"])),
            Err(e) => println!("{}", json!(["reloadFailed", e.message()])),
        }
    }
}
