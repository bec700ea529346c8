//! Helpers shared by rt-net's integration tests: bounded waits, handlers
//! whose result (or panic) reaches the test, a port that is reliably
//! closed, and long-running Node processes read with a bound.

#![allow(dead_code, unreachable_pub)]

use std::future::Future;
use std::io::Write;
use std::pin::Pin;
use std::process::{Child, ChildStdin, Stdio};
use std::time::{Duration, Instant};

use rt_net::{Server, ServerOptions, Socket};
use rt_tests::node::Node;
use rt_tests::temp::TempDir;
use rt_tests::wait::Lines;

/// Seconds one wait for an event may take before the test fails (generous:
/// the machine is shared and debug builds are slow).
pub const WAIT: u64 = 20;

/// `fut.within(secs, "what")`: awaits with a bound, failing with
/// "timed out after Ns waiting for what" (the kit's `rt_tests::wait::within`).
pub trait Within: Future + Sized {
    /// Awaits `self` for at most `secs` seconds.
    #[track_caller]
    fn within(self, secs: u64, what: &str) -> impl Future<Output = Self::Output> {
        rt_tests::wait::within(secs, what, self)
    }
}

impl<F: Future> Within for F {}

/// Reads `s` to its end (bounded), panicking on a read error.
pub async fn read_all(s: &Socket) -> Vec<u8> {
    async {
        let mut out = Vec::new();
        while let Some(c) = s.recv().await.unwrap() {
            out.extend_from_slice(&c);
        }
        out
    }
    .within(WAIT, "the peer's end (reading to the end)")
    .await
}

/// A boxed handler future, as [`reporting`] hands to `create_server`.
pub type HandlerFuture = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// What each run of a connection handler gave back: its return value, or the
/// message of its panic. The handler runs in a task the server spawns, where a
/// panic would otherwise be swallowed; through this it reaches the test.
pub struct Reports<T> {
    rx: tokio::sync::mpsc::UnboundedReceiver<Result<T, String>>,
}

impl<T: Send> Reports<T> {
    /// The next finished handler's value (bounded); fails the test when that
    /// handler panicked, quoting its panic.
    #[track_caller]
    pub fn next<'a>(&'a mut self, what: &str) -> impl Future<Output = T> + 'a {
        let caller = std::panic::Location::caller();
        let what = what.to_string();
        async move {
            match rt_tests::wait::recv_async(&mut self.rx, WAIT, &what).await {
                Ok(v) => v,
                Err(panic) => panic!("{what} panicked: {panic} (at {caller})"),
            }
        }
    }

    /// Fails when a handler finished that nobody asked about.
    #[track_caller]
    pub fn assert_none_pending(&mut self) {
        if let Ok(r) = self.rx.try_recv() {
            let what = match r {
                Ok(_) => "returned".to_string(),
                Err(p) => format!("panicked: {p}"),
            };
            panic!("one more handler finished than expected: it {what}");
        }
    }
}

/// Wraps a connection handler so its result, or its panic, is sent to the
/// returned [`Reports`]. The handler runs where the server runs it (in the
/// server's task for the connection, started the same way): only its
/// outcome is caught and sent.
pub fn reporting<F, Fut>(
    f: F,
) -> (
    impl Fn(Socket) -> HandlerFuture + Send + Sync + 'static,
    Reports<Fut::Output>,
)
where
    F: Fn(Socket) -> Fut + Send + Sync + 'static,
    Fut: Future + Send + 'static,
    Fut::Output: Send + 'static,
{
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let f = std::sync::Arc::new(f);
    let handler = move |s: Socket| -> HandlerFuture {
        let f = f.clone();
        let tx = tx.clone();
        Box::pin(async move {
            let r = CatchUnwind(Box::pin(f(s))).await;
            let _ = tx.send(r);
        })
    };
    (handler, Reports { rx })
}

/// A future's output, or the message of the panic it raised while polled.
struct CatchUnwind<F>(Pin<Box<F>>);

impl<F: Future> Future for CatchUnwind<F> {
    type Output = Result<F::Output, String>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> std::task::Poll<Self::Output> {
        let inner = self.0.as_mut();
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| inner.poll(cx))) {
            Ok(std::task::Poll::Ready(v)) => std::task::Poll::Ready(Ok(v)),
            Ok(std::task::Poll::Pending) => std::task::Poll::Pending,
            Err(p) => std::task::Poll::Ready(Err(panic_text(&*p))),
        }
    }
}

/// A server (with `options`) whose handler's result reaches the test.
pub fn checked_server<F, Fut>(options: ServerOptions, f: F) -> (Server, Reports<Fut::Output>)
where
    F: Fn(Socket) -> Fut + Send + Sync + 'static,
    Fut: Future + Send + 'static,
    Fut::Output: Send + 'static,
{
    let (h, reports) = reporting(f);
    (Server::with_options(options, Some(h)), reports)
}

fn panic_text(p: &(dyn std::any::Any + Send)) -> String {
    p.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(a panic without a message)".into())
}

/// A TCP port on 127.0.0.1 where nothing listens, for as long as the returned
/// socket lives: it is bound (so nobody else can take the port) but not
/// listening, so the kernel answers connects with a reset (ECONNREFUSED).
pub fn closed_port() -> (socket2::Socket, u16) {
    let s = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    s.bind(&"127.0.0.1:0".parse::<std::net::SocketAddr>().unwrap().into())
        .unwrap();
    let port = s.local_addr().unwrap().as_socket().unwrap().port();
    (s, port)
}

/// A Node process running `script` that prints lines on stdout (read on a
/// thread of their own, so every wait for a line is bounded). Dropping it
/// closes its stdin, waits (bounded) for it to exit, kills it otherwise, and
/// removes its script's temp folder.
pub struct NodeProcess {
    pub child: Child,
    pub stdin: Option<ChildStdin>,
    pub lines: Lines,
    _dir: TempDir,
}

impl NodeProcess {
    pub fn start(node: &Node, script: &str, args: &[&str]) -> NodeProcess {
        let dir = TempDir::new("rt-net-node");
        let file = dir.path().join("script.js");
        std::fs::write(&file, script).unwrap();
        let mut child = node
            .command()
            .arg(&file)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn node");
        let stdin = child.stdin.take();
        let lines = Lines::spawn(child.stdout.take().unwrap());
        NodeProcess {
            child,
            stdin,
            lines,
            _dir: dir,
        }
    }

    /// The next stdout line, waiting at most [`WAIT`] seconds for `what`.
    #[track_caller]
    pub fn line(&self, what: &str) -> String {
        self.lines.next_within(WAIT, what)
    }

    /// The next stdout line, waiting at most `secs` seconds for `what`.
    #[track_caller]
    pub fn line_within(&self, secs: u64, what: &str) -> String {
        self.lines.next_within(secs, what)
    }

    pub fn send(&mut self, text: &str) {
        let s = self.stdin.as_mut().unwrap();
        s.write_all(text.as_bytes()).unwrap();
        s.flush().unwrap();
    }
}

impl Drop for NodeProcess {
    fn drop(&mut self) {
        drop(self.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            match self.child.try_wait() {
                Ok(Some(_)) | Err(_) => return,
                Ok(None) if Instant::now() >= deadline => break,
                Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            }
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The soft limit on open files of this process, from /proc.
pub fn open_files_limit() -> u64 {
    std::fs::read_to_string("/proc/self/limits")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("Max open files"))
                .and_then(|l| l.split_whitespace().nth(3).map(str::to_string))
        })
        .and_then(|v| v.parse().ok())
        .unwrap_or(1024)
}

/// Runs `script` on `node` with `stdin` as its input and returns its stdout,
/// waiting at most `secs` seconds for `what` (the node process is killed and
/// the test fails otherwise; a failing node fails the test with its stderr).
/// Blocking: call it from `spawn_blocking` in async tests.
pub fn run_node_within(node: &Node, script: &str, stdin: &[u8], secs: u64, what: &str) -> Vec<u8> {
    use std::io::Read;
    let dir = TempDir::new("rt-net-script");
    let file = dir.path().join("script.js");
    std::fs::write(&file, script).unwrap();
    let mut child = node
        .command()
        .arg(&file)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn node");
    let mut input = child.stdin.take().unwrap();
    let data = stdin.to_vec();
    std::thread::spawn(move || {
        let _ = input.write_all(&data);
    });
    let (tx, rx) = std::sync::mpsc::channel();
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        let mut o = Vec::new();
        let _ = out.read_to_end(&mut o);
        let mut e = Vec::new();
        let _ = err.read_to_end(&mut e);
        let _ = tx.send((o, e));
    });
    let (out, err) = match rx.recv_timeout(Duration::from_secs(secs)) {
        Ok(v) => v,
        Err(_) => {
            let _ = child.kill();
            let _ = child.wait();
            panic!("timed out after {secs}s waiting for {what} (node was killed)");
        }
    };
    let status = child.wait().expect("wait for node");
    assert!(
        status.success(),
        "node failed ({status}) running {what}:\n{}",
        String::from_utf8_lossy(&err)
    );
    out
}

/// The error Node reports on this machine when looking up `host`
/// (`dns.lookup`, as `net.connect` does): its code and message.
pub fn node_lookup_error(node: &Node, host: &str) -> (String, String) {
    let out = run_node_within(
        node,
        "require('dns').lookup(require('fs').readFileSync(0, 'utf8'), (e) => \
         console.log(JSON.stringify(e ? [e.code, e.message] : null)));",
        host.as_bytes(),
        WAIT,
        "node's lookup of a missing name",
    );
    let v: Option<(String, String)> = serde_json::from_slice(&out)
        .unwrap_or_else(|e| panic!("node printed no JSON ({e}): {}", String::from_utf8_lossy(&out)));
    v.unwrap_or_else(|| panic!("node resolved {host}: no error to compare with"))
}
