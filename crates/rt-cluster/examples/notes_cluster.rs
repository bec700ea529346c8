//! The notes' cluster examples in rt.
//!
//! ```js
//! // cluster.js (the notes' Cluster模块): a worker per CPU
//! var cluster = require('cluster');
//! cluster.setupMaster({ exec: "worker.js" });
//! var cpus = require('os').cpus();
//! for (var i = 0; i < cpus.length; i++) cluster.fork();
//! // worker.js
//! require('http').createServer((req, res) => res.end('hello')).listen(8000);
//! ```
//!
//! and their 进程崩溃时重启 / 自动重启 (限量重启): a worker that crashes is
//! restarted, a limited number of times (what pm2 does; here
//! `rt_cluster::supervisor`).
//!
//! This one program is both sides (Node's `cluster.isPrimary` branch):
//! run `cargo run -p rt-cluster --example notes_cluster [port]`, then
//! `curl localhost:8000`. `kill -9` a worker and it comes back; SIGTERM
//! shuts down gracefully. With `RT_EXAMPLE_ONCE=1` it starts two workers,
//! sends four requests, crashes one worker, waits for its restart and exits.

use std::time::Duration;

use rt_cluster::supervisor::{RestartPolicy, Supervisor};
use rt_cluster::{Cluster, Emitter, Settings, Signal, events, is_primary};
use rt_http::{IncomingMessage, ServerResponse, create_server};

fn main() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let port: u16 = std::env::args()
            .nth(1)
            .and_then(|p| p.parse().ok())
            .unwrap_or(8000);
        if is_primary() {
            primary(port).await;
        } else {
            worker(port).await;
        }
    });
}

async fn worker(port: u16) {
    // worker.js: an ordinary http server; listen() asks the primary.
    let server = create_server(|_req: IncomingMessage, res: ServerResponse| {
        let _ = res.end_with(format!("hello from worker {}\n", std::process::id()));
    });
    if let Err(e) = server.listen(port).await {
        eprintln!("worker {}: {e}", std::process::id());
        std::process::exit(1);
    }
    std::future::pending::<()>().await;
}

async fn primary(port: u16) {
    let once = std::env::var_os("RT_EXAMPLE_ONCE").is_some();
    let cluster = Cluster::new().expect("runtime");
    // cluster.setupMaster({ exec: ... }): this same program, with the port.
    let exe = std::env::current_exe().expect("current_exe");
    cluster.setup_primary(
        Settings::new()
            .exec(exe.to_string_lossy())
            .args(vec![port.to_string()]),
    );
    cluster.on(&events::FORK, |w| println!("fork: worker {}", w.id()));
    cluster.on(&events::ONLINE, |w| println!("online: worker {}", w.id()));
    cluster.on(&events::LISTENING, |(w, a)| {
        println!("listening: worker {} on port {}", w.id(), a.port)
    });
    cluster.on(&events::EXIT, |(w, info)| {
        println!(
            "exit: worker {} (code {:?}, signal {:?})",
            w.id(),
            info.code,
            info.signal
        )
    });
    cluster.on(&events::RESTART, |(old, new)| {
        println!("restart: worker {} replaced by {}", old.id(), new.id())
    });
    cluster.on(&events::RESTART_LIMIT, |(w, n)| {
        println!(
            "restart limit: worker {} crashed {n} times in a minute; not restarted",
            w.id()
        )
    });
    // 限量重启: at most 5 restarts a minute per worker, with back-off.
    let sup = Supervisor::new(
        cluster.clone(),
        RestartPolicy::new()
            .max_restarts(5)
            .window(Duration::from_secs(60)),
    );
    sup.shutdown_on_signals(Duration::from_secs(10)).expect("signals");
    let n = if once {
        2
    } else {
        std::thread::available_parallelism().map_or(2, |n| n.get())
    };
    sup.start(n, Vec::<(String, String)>::new()).expect("fork");
    if !once {
        std::future::pending::<()>().await;
        return;
    }
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    cluster.on(&events::LISTENING, move |(_, a)| {
        let _ = tx.send(a.port);
    });
    let (rtx, mut restarted) = tokio::sync::mpsc::unbounded_channel();
    cluster.on(&events::RESTART, move |_| {
        let _ = rtx.send(());
    });
    for _ in 0..n {
        let _ = tokio::time::timeout(Duration::from_secs(20), rx.recv()).await;
    }
    for _ in 0..4 {
        print!("GET / -> {}", get(port).await);
    }
    // 自杀信号 / a crash: the worker is restarted.
    sup.workers()[0].kill(Signal::SIGKILL);
    let _ = tokio::time::timeout(Duration::from_secs(20), restarted.recv()).await;
    let _ = tokio::time::timeout(Duration::from_secs(20), rx.recv()).await;
    print!("GET / -> {}", get(port).await);
    let end = sup.shutdown(Duration::from_secs(10)).await;
    println!("shut down: {} graceful, {} killed", end.graceful, end.killed);
}

async fn get(port: u16) -> String {
    let run = async {
        let socket = rt_net::connect(("127.0.0.1", port)).await?;
        socket.end_with("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")?;
        let got: Vec<u8> = socket.read_all().await?.iter().flat_map(|c| c.to_vec()).collect();
        let text = String::from_utf8_lossy(&got).into_owned();
        Ok::<_, rt_stream::Error>(text.split("\r\n\r\n").nth(1).unwrap_or("").to_string())
    };
    match tokio::time::timeout(Duration::from_secs(10), run).await {
        Ok(Ok(body)) => body,
        Ok(Err(e)) => format!("error: {e}\n"),
        Err(_) => "no answer\n".into(),
    }
}
