//! `cargo run --release --example demo`: a few-second tour of what rt does today.
//! Each section mirrors a Node snippet (shown above it) and checks its result.

use rt::buffer::{Buffer, Encoding, StringDecoder};
use rt::events::{Event, EventEmitter};
use rt::net::{Socket, connect, create_server};
use rt::stream::{DuplexOptions, Pusher, Readable, Transform, Writable, pipeline};
use std::sync::{Arc, Mutex};

type Res = Result<(), Box<dyn std::error::Error>>;

#[tokio::main]
async fn main() -> Res {
    // Node: `if (cluster.isPrimary) { ... } else { worker }`: the cluster
    // section forks this program as its workers.
    if !rt::cluster::is_primary() {
        return cluster_worker().await;
    }
    println!("rt demo: Node.js's standard library in Rust\n");
    events()?;
    buffer()?;
    stream().await?;
    net().await?;
    http().await?;
    child_process().await?;
    cluster().await?;
    println!("\nall sections ran and checked their results");
    Ok(())
}

/// emitter.on('wake', t => ...); emitter.once(...); emitter.emit('wake', '6:00')
fn events() -> Res {
    static WAKE: Event<String> = Event::new("wake");
    static ERROR: Event<std::io::Error> = Event::new("error");
    let emitter = EventEmitter::new();
    emitter.on(&WAKE, |time| println!("[events] up at {time}"));
    emitter.once(&WAKE, |_| println!("[events] (once) first wake only"));
    assert!(emitter.emit(&WAKE, "6:00".into()));
    assert!(emitter.emit(&WAKE, "7:00".into()));
    // Node throws on an unheard 'error'; rt hands it back.
    let unheard = emitter
        .emit_error(&ERROR, std::io::Error::other("boom"))
        .unwrap_err();
    println!("[events] unheard 'error' came back as {}", unheard.code());
    Ok(())
}

/// Buffer.from('hello world').toString('hex' | 'base64'); iconv.encode('前端', 'gbk')
fn buffer() -> Res {
    let buf = Buffer::from_str("hello world", Encoding::Utf8);
    assert_eq!(buf.to_string(Encoding::Hex), "68656c6c6f20776f726c64");
    println!(
        "[buffer] {:?} base64={}",
        buf.subarray(0, 5),
        buf.to_string(Encoding::Base64)
    );
    let gbk = Buffer::from_str_in("前端", "gbk")?;
    println!(
        "[buffer] '前端' in gbk: {gbk:?} -> back: {}",
        gbk.to_string_in("gbk")?
    );
    // A character split across chunks is never mangled.
    let bytes = "€uro".as_bytes();
    let mut dec = StringDecoder::new(Encoding::Utf8);
    let text = dec.write(&bytes[..1]) + &dec.write(&bytes[1..]) + &dec.end();
    assert_eq!(text, "€uro");
    println!("[buffer] StringDecoder rebuilt '{text}' from a split euro sign");
    Ok(())
}

/// pipeline(Readable.from(['a','b','c']), upperCase, collect, cb)
async fn stream() -> Res {
    let src = Readable::from_iter(["a", "b", "c"].map(String::from));
    let upper = Transform::objects(DuplexOptions::default(), |s: String, push: &Pusher<String>| {
        push.push(s.to_uppercase());
        Ok(())
    });
    let out = Arc::new(Mutex::new(Vec::new()));
    let o = out.clone();
    let sink = Writable::objects_from_fn(Default::default(), move |s: String| {
        o.lock().unwrap_or_else(|e| e.into_inner()).push(s);
        Ok(())
    });
    pipeline!(src, upper, sink).await?;
    let out = out.lock().unwrap_or_else(|e| e.into_inner()).clone();
    assert_eq!(out, ["A", "B", "C"]);
    println!("[stream] pipeline(from_iter, toUpperCase, sink) -> {out:?}");

    // fs.createReadStream(a).pipe(fs.createWriteStream(b))
    let dir = std::env::temp_dir().join(format!("rt-demo-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let text = "streams all the way down\n".repeat(10_000);
    std::fs::write(dir.join("a.txt"), &text)?;
    let r = rt::stream::fs::create_read_stream(dir.join("a.txt"), Default::default())?;
    let w = rt::stream::fs::create_write_stream(dir.join("b.txt"), Default::default())?;
    r.pipe(&w);
    rt::stream::finished(&w).await?;
    assert_eq!(std::fs::read_to_string(dir.join("b.txt"))?, text);
    println!(
        "[stream] createReadStream(a).pipe(createWriteStream(b)) copied {} bytes",
        text.len()
    );
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

/// net.createServer(s => pipeline(s, upperCase, s, () => {})).listen(0);
/// const c = net.connect(port); c.cork(); c.write('shout '); c.write('louder'); c.uncork(); c.end()
async fn net() -> Res {
    let server = create_server(|s: Socket| async move {
        let upper = Transform::new(DuplexOptions::default(), |c: Buffer, p: &Pusher<Buffer>| {
            p.push(Buffer::from(c.to_ascii_uppercase()));
            Ok(())
        });
        // A Socket is an rt-stream Duplex: it goes straight into pipeline!.
        pipeline!(s.clone(), upper, s).await
    });
    let port = server.listen(("127.0.0.1", 0)).await?.port().unwrap_or_default();
    let client = connect(("127.0.0.1", port)).await?;
    client.cork();
    let _ = client.write("shout ");
    let _ = client.write("louder");
    client.uncork();
    let _ = client.end();
    let mut echoed = Vec::new();
    while let Some(chunk) = client.recv().await? {
        echoed.extend_from_slice(&chunk);
    }
    assert_eq!(echoed, b"SHOUT LOUDER");
    println!(
        "[net] 127.0.0.1:{port} piped the socket through a Transform: {:?}",
        String::from_utf8_lossy(&echoed)
    );
    server.close()?;
    server.closed().await;
    Ok(())
}

/// http.createServer((req, res) => req.method === 'POST' ? req.pipe(res)
///   : res.end(`hello from ${req.socket.remotePort}`)).listen(0);
/// http.get(url, res => ...) twice through the keep-alive global agent; then a POST echoed back
async fn http() -> Res {
    use rt::http::{IncomingMessage, RequestOptions, ServerResponse, create_server};
    let server = create_server(|req: IncomingMessage, res: ServerResponse| {
        if req.method() == "POST" {
            req.pipe(&res);
        } else {
            let port = req.remote_address().map(|a| a.port()).unwrap_or_default();
            let _ = res.end_with(format!("hello from {port}"));
        }
    });
    let port = server.listen(("127.0.0.1", 0)).await?.port().unwrap_or_default();
    let url = format!("http://127.0.0.1:{port}/");
    let mut seen = Vec::new();
    for _ in 0..2 {
        let res = rt::http::get(url.as_str())?.response().await?;
        let mut body = Vec::new();
        for chunk in res.read_all().await? {
            body.extend_from_slice(&chunk);
        }
        seen.push(String::from_utf8(body)?);
    }
    // Node v20's global agent keeps the connection alive: both answers name one client port.
    assert_eq!(seen[0], seen[1], "the second GET did not reuse the pooled socket");
    println!("[http] GET {url} twice over one kept-alive socket: {:?}", seen[0]);
    let req = rt::http::request(RequestOptions::from_url(&url)?.method("POST"))?;
    req.write("echo me")?;
    req.end()?;
    let res = req.response().await?;
    let mut body = Vec::new();
    for chunk in res.read_all().await? {
        body.extend_from_slice(&chunk);
    }
    assert_eq!(body, b"echo me");
    println!(
        "[http] POST (chunked) piped back by req.pipe(res): {} {:?}",
        res.status_code(),
        String::from_utf8_lossy(&body)
    );
    server.close()?;
    Ok(())
}

/// exec('echo hi', cb); const n = fork('./sub.js'); n.on('message', m => ...); n.send({hello: 'world'})
async fn child_process() -> Res {
    use rt::child_process::{ExecOptions, ForkOptions, exec, fork};
    let out = exec("echo hi", ExecOptions::new()).await?;
    assert_eq!(out.stdout.to_text(), "hi\n");
    println!("[child_process] exec('echo hi') -> {:?}", out.stdout.to_text());
    if exec("node --version", ExecOptions::new()).await.is_err() {
        println!("[child_process] (node not found: the fork round trip is skipped)");
        return Ok(());
    }
    let dir = std::env::temp_dir().join(format!("rt-demo-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let sub = dir.join("sub.cjs");
    std::fs::write(
        &sub,
        "process.on('message', m => { process.send({foo: 'bar', got: m}); process.disconnect(); });",
    )?;
    let n = fork(
        sub.to_str().unwrap_or_default(),
        Vec::<String>::new(),
        ForkOptions::new(),
    )?;
    n.send(&serde_json::json!({"hello": "world"}))?;
    let reply = tokio::time::timeout(std::time::Duration::from_secs(10), n.recv())
        .await?
        .ok_or("the child sent nothing")?;
    assert_eq!(
        reply,
        serde_json::json!({"foo": "bar", "got": {"hello": "world"}})
    );
    println!("[child_process] fork('sub.js'): PARENT got message: {reply}");
    n.closed().await?;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

/// cluster.setupPrimary({ exec: __filename }); cluster.fork(); cluster.fork();
/// // worker: http.createServer((req, res) => res.end(`pid ${process.pid}`)).listen(0)
async fn cluster() -> Res {
    use rt::cluster::{Cluster, Emitter, Settings, events};
    let cluster = Cluster::new()?;
    let exe = std::env::current_exe()?;
    cluster.setup_primary(Settings::new().exec(exe.to_string_lossy()).args(vec![]));
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    cluster.on(&events::LISTENING, move |(w, a)| {
        let _ = tx.send((w.id(), a.port as u16));
    });
    let workers = [
        cluster.fork(Vec::<(String, String)>::new())?,
        cluster.fork(Vec::<(String, String)>::new())?,
    ];
    let mut port = 0;
    for _ in 0..2 {
        let (id, p) = tokio::time::timeout(std::time::Duration::from_secs(20), rx.recv())
            .await?
            .ok_or("no 'listening'")?;
        println!("[cluster] worker {id} listening on port {p}");
        port = p;
    }
    let mut pids = std::collections::BTreeSet::new();
    for _ in 0..4 {
        let socket = connect(("127.0.0.1", port)).await?;
        socket.end_with("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")?;
        let got: Vec<u8> = socket.read_all().await?.iter().flat_map(|c| c.to_vec()).collect();
        let text = String::from_utf8_lossy(&got).into_owned();
        let body = text.split("\r\n\r\n").nth(1).unwrap_or("").to_string();
        println!("[cluster] GET / -> {body}");
        pids.insert(body);
    }
    assert_eq!(pids.len(), 2, "round-robin: both workers answered");
    cluster.disconnect().await;
    for w in &workers {
        let info = w.process().wait().await?;
        println!("[cluster] worker {} exited with code {:?}", w.id(), info.code);
    }
    Ok(())
}

/// The demo as a cluster worker: an http server; listen() asks the primary.
async fn cluster_worker() -> Res {
    let server = rt::http::create_server(|_req: rt::http::IncomingMessage, res: rt::http::ServerResponse| {
        let _ = res.end_with(format!("pid {}", std::process::id()));
    });
    server.listen(0).await?;
    std::future::pending::<()>().await;
    Ok(())
}
