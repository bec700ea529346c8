//! `cargo xtask bench child_process`: spawn, exec and the IPC channel, beside
//! Node (benches/node/child_process.js) in the same run.
//!
//! - spawn('true') to 'close', ms per child (sequential);
//! - exec('echo hi') to its result, ms per call;
//! - IPC round trip of a small JSON message, rt parent with an rt child
//!   (this program, re-executed), µs;
//! - one-way messages per second, parent to child;
//! - the IPC round trip again with both processes on one core: this program
//!   re-executed under `taskset -c <first allowed cpu>` (the issue asks for
//!   both figures: across cores a trip pays the wake-up of an idle core
//!   twice, on one core two context switches).
//!
//! Beside each round trip, `floor`: the same trip as blocking `read` /
//! `write` on a socketpair between two processes, with no event loop and no
//! JSON; what is left of a trip there is the kernel's and the hypervisor's
//! part (waking the other process), which no channel can go below. And
//! `epoll floor`: the same trip with each process waiting in `epoll_wait`
//! on its non-blocking socket (edge-triggered, as tokio registers it) and
//! then reading once with `recvmsg`, as an event loop waits: what any
//! event-loop design pays per trip at the least (rt's loop and libuv's make
//! the same three calls per message on each side).
//!
//! `RT_CP_BENCH_PROFILE=<n>` runs only `n` round trips, for profilers;
//! `RT_CP_BENCH_FLAVOR=current` runs them on current-thread runtimes,
//! `RT_CP_BENCH_FLAVOR=floor` or `="epoll floor"` as that floor.

use std::time::{Duration, Instant};

use rt_child_process::{ChildProcess, ExecOptions, ForkOptions, SpawnOptions, Stdio, exec, fork, ipc, spawn};
use rt_tests::bench::{Better, report, report_as};
use serde_json::json;

const CHILD_ENV: &str = "RT_CP_BENCH_CHILD";
/// Set (to the socket's fd) in the floor's child.
const FLOOR_ENV: &str = "RT_CP_BENCH_FLOOR_CHILD";
/// How the floor's child waits (`Wait::who`).
const FLOOR_WAIT_ENV: &str = "RT_CP_BENCH_FLOOR_WAIT";
/// Set in the re-executed copy that runs under `taskset`.
const PINNED_ENV: &str = "RT_CP_BENCH_PINNED";

const ROUND_TRIP: &str = "IPC round trip, small JSON message";
const ROUND_TRIP_ONE_CORE: &str = "IPC round trip, small JSON message, both on one core";

fn main() {
    if let Ok(flavor) = std::env::var(CHILD_ENV) {
        // As a server would: the work runs in a task, not in block_on.
        let rt = runtime(&flavor);
        rt.block_on(async { tokio::spawn(child()).await.expect("child task") });
        return;
    }
    if let Ok(fd) = std::env::var(FLOOR_ENV) {
        let wait = match std::env::var(FLOOR_WAIT_ENV).as_deref() {
            Ok("epoll floor") => Wait::Epoll,
            _ => Wait::Blocking,
        };
        floor_child(fd.parse().expect("RT_CP_BENCH_FLOOR_CHILD=<fd>"), wait);
        return;
    }
    if let Ok(n) = std::env::var("RT_CP_BENCH_PROFILE") {
        // For profilers (callgrind, perf, strace): only `n` round trips.
        let n: u32 = n.parse().expect("RT_CP_BENCH_PROFILE=<round trips>");
        let flavor = std::env::var("RT_CP_BENCH_FLAVOR").unwrap_or_else(|_| "multi".into());
        if let Some(wait) = [Wait::Blocking, Wait::Epoll]
            .into_iter()
            .find(|w| w.who() == flavor)
        {
            floor_trips(ROUND_TRIP, wait, Some(n));
            return;
        }
        runtime(&flavor).block_on(async {
            tokio::spawn(round_trips(n, flavor.clone()))
                .await
                .expect("profile task")
        });
        return;
    }
    if std::env::var_os(PINNED_ENV).is_some() {
        // Under taskset: parent and child (which inherits the mask) share one core.
        for (who, flavor) in [("rt", "multi"), ("rt-1thread", "current")] {
            runtime(flavor).block_on(async {
                tokio::spawn(async move {
                    let child = fork_child(flavor);
                    round_trip(&child, who, ROUND_TRIP_ONE_CORE).await;
                    child.disconnect().unwrap();
                    let _ = child.closed().await;
                })
                .await
                .expect("pinned task")
            });
        }
        floor(ROUND_TRIP_ONE_CORE, Wait::Blocking);
        floor(ROUND_TRIP_ONE_CORE, Wait::Epoll);
        return;
    }
    runtime("multi").block_on(parent());
    // The same IPC figures with one thread per process, as Node runs.
    runtime("current").block_on(async {
        tokio::spawn(ipc_figures("rt-1thread", "current"))
            .await
            .expect("ipc task")
    });
    floor(ROUND_TRIP, Wait::Blocking);
    floor(ROUND_TRIP, Wait::Epoll);
    pinned();
}

/// How a floor's two processes wait for the other's message.
#[derive(Clone, Copy)]
enum Wait {
    /// Blocking `read` / `write` (who `floor`): the cheapest wait there is.
    Blocking,
    /// Non-blocking socket, `epoll_wait` then one `recvmsg`, `sendmsg` (who
    /// `epoll floor`): what any event loop pays per message at the least,
    /// as rt's and libuv's loops wait (edge-triggered, as tokio registers).
    Epoll,
}

impl Wait {
    fn who(self) -> &'static str {
        match self {
            Wait::Blocking => "floor",
            Wait::Epoll => "epoll floor",
        }
    }
}

/// One end of a floor's socketpair.
struct FloorEnd {
    sock: std::os::unix::net::UnixStream,
    /// The epoll instance the socket is registered with ([`Wait::Epoll`]).
    epoll: Option<std::os::fd::OwnedFd>,
}

impl FloorEnd {
    fn new(sock: std::os::unix::net::UnixStream, wait: Wait) -> FloorEnd {
        use rustix::event::epoll;
        let epoll = match wait {
            Wait::Blocking => None,
            Wait::Epoll => {
                sock.set_nonblocking(true).expect("non-blocking");
                let ep = epoll::create(epoll::CreateFlags::CLOEXEC).expect("epoll_create");
                let flags = epoll::EventFlags::IN | epoll::EventFlags::ET | epoll::EventFlags::RDHUP;
                epoll::add(&ep, &sock, epoll::EventData::new_u64(0), flags).expect("epoll_ctl");
                Some(ep)
            }
        };
        FloorEnd { sock, epoll }
    }

    /// Waits for bytes and reads them: 0 is end of file.
    fn read(&mut self, buf: &mut [u8]) -> usize {
        use std::io::Read;
        let Some(ep) = &self.epoll else {
            return self.sock.read(buf).expect("floor read");
        };
        use rustix::event::epoll;
        use rustix::net::{RecvAncillaryBuffer, RecvFlags, recvmsg};
        loop {
            let mut events = [std::mem::MaybeUninit::<epoll::Event>::uninit(); 8];
            match epoll::wait(ep, &mut events[..], None) {
                Ok(_) => {}
                Err(rustix::io::Errno::INTR) => continue,
                Err(e) => panic!("floor epoll_wait: {e}"),
            }
            let mut iov = [std::io::IoSliceMut::new(buf)];
            let mut control = RecvAncillaryBuffer::default();
            match recvmsg(&self.sock, &mut iov, &mut control, RecvFlags::empty()) {
                Ok(r) => return r.bytes,
                Err(rustix::io::Errno::AGAIN | rustix::io::Errno::INTR) => {}
                Err(e) => panic!("floor recvmsg: {e}"),
            }
        }
    }

    fn write_all(&mut self, data: &[u8]) {
        use std::io::Write;
        if self.epoll.is_none() {
            return self.sock.write_all(data).expect("floor write");
        }
        use rustix::net::{SendAncillaryBuffer, SendFlags, sendmsg};
        let mut rest = data;
        while !rest.is_empty() {
            let iov = [std::io::IoSlice::new(rest)];
            match sendmsg(
                &self.sock,
                &iov,
                &mut SendAncillaryBuffer::default(),
                SendFlags::NOSIGNAL,
            ) {
                Ok(n) => rest = &rest[n..],
                Err(rustix::io::Errno::AGAIN | rustix::io::Errno::INTR) => std::thread::yield_now(),
                Err(e) => panic!("floor sendmsg: {e}"),
            }
        }
    }
}

/// A floor of a round trip (who `floor` or `epoll floor`): this program as
/// a child that echoes on a socketpair (fd 3), and this process doing the
/// same trip, outside any runtime, waiting as `wait` says.
fn floor(figure: &str, wait: Wait) {
    floor_trips(figure, wait, None);
}

/// [`floor`], or only `trips` round trips without a report (for profilers).
fn floor_trips(figure: &str, wait: Wait, trips: Option<u32>) {
    use command_fds::{CommandFdExt, FdMapping};
    let (mine, theirs) = std::os::unix::net::UnixStream::pair().expect("socketpair");
    let mut cmd = std::process::Command::new(std::env::current_exe().unwrap());
    cmd.env(FLOOR_ENV, "3");
    cmd.env(FLOOR_WAIT_ENV, wait.who());
    cmd.fd_mappings(vec![FdMapping {
        parent_fd: theirs.into(),
        child_fd: 3,
    }])
    .expect("fd 3");
    let mut child = cmd.spawn().expect("floor child");
    let mut mine = FloorEnd::new(mine, wait);
    let ping = b"{\"t\":\"ping\",\"payload\":\"hello\"}\n";
    let mut buf = vec![0u8; 64 * 1024];
    let mut trip = || {
        mine.write_all(ping);
        let mut got = 0;
        while got < ping.len() {
            match mine.read(&mut buf) {
                0 => panic!("the floor's child went away"),
                n => got += n,
            }
        }
    };
    if let Some(trips) = trips {
        (0..trips).for_each(|_| trip());
    } else {
        for _ in 0..200 {
            trip();
        }
        let (mut n, t0) = (0u32, Instant::now());
        while t0.elapsed() < budget() || n < 1000 {
            trip();
            n += 1;
        }
        let us = t0.elapsed().as_secs_f64() * 1e6 / n as f64;
        report_as(wait.who(), figure, "µs", Better::Lower, us);
    }
    drop(mine);
    let status = child.wait().expect("floor child");
    assert!(status.success(), "the floor's child failed: {status}");
}

/// The floor's child: echoes what it reads on `fd` until end of file,
/// waiting as `wait` says.
fn floor_child(fd: i32, wait: Wait) {
    use rustix::process::{PidfdFlags, PidfdGetfdFlags, getpid, pidfd_getfd, pidfd_open};
    // Our own copy of the inherited fd, without `unsafe` (as `ipc::from_env`).
    let me = pidfd_open(getpid(), PidfdFlags::empty()).expect("pidfd_open");
    let fd = pidfd_getfd(&me, fd, PidfdGetfdFlags::empty()).expect("pidfd_getfd");
    let mut sock = FloorEnd::new(std::os::unix::net::UnixStream::from(fd), wait);
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match sock.read(&mut buf) {
            0 => return,
            n => sock.write_all(&buf[..n]),
        }
    }
}

/// Runs this program again under `taskset`, on the first cpu this process
/// may use (its `BENCH` lines go to the same stdout).
fn pinned() {
    let cpu = first_cpu();
    let me = std::env::current_exe().unwrap();
    match std::process::Command::new("taskset")
        .args(["-c", &cpu])
        .arg(me)
        .env(PINNED_ENV, "1")
        .status()
    {
        Ok(s) => assert!(s.success(), "the run pinned to cpu {cpu} failed: {s}"),
        Err(e) => eprintln!("NOTICE: no one-core figure: taskset could not run ({e})"),
    }
}

/// The first cpu of this process's affinity (`Cpus_allowed_list`), `0` if unknown.
fn first_cpu() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("Cpus_allowed_list:"))
                .map(|l| l.trim().split([',', '-']).next().unwrap_or("0").to_string())
        })
        .unwrap_or_else(|| "0".into())
}

fn runtime(flavor: &str) -> tokio::runtime::Runtime {
    if flavor == "current" {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime")
    } else {
        tokio::runtime::Runtime::new().expect("runtime")
    }
}

/// The child: echoes pings, counts the rest, answers a count request; in a
/// `'message'` listener, as the Node twin's child (`process.on('message')`),
/// or with `RT_CP_BENCH_CHILD_RECV` set in a `recv()` loop (one more task
/// wake-up per message: the reader task hands the message to the waiting
/// one; 0.15 µs more per message on the child's side, traced).
async fn child() {
    let channel = ipc::from_env().expect("channel").expect("forked with a channel");
    if std::env::var_os("RT_CP_BENCH_CHILD_RECV").is_some() {
        let mut count = 0u64;
        while let Some(m) = channel.recv().await {
            match m.get("t").and_then(|t| t.as_str()) {
                Some("ping") => {
                    let _ = channel.send(&m);
                }
                Some("count") => {
                    let _ = channel.send(&json!({"count": count}));
                }
                _ => count += 1,
            }
        }
        return;
    }
    use rt_child_process::Emitter;
    use rt_child_process::events::MESSAGE;
    use std::sync::atomic::{AtomicU64, Ordering};
    let count = AtomicU64::new(0);
    // The listener keeps the channel alive; this process ends with it.
    let me = channel.clone();
    channel.on(&MESSAGE, move |m| match m.get("t").and_then(|t| t.as_str()) {
        Some("ping") => {
            let _ = me.send(m);
        }
        Some("count") => {
            let _ = me.send(&json!({"count": count.load(Ordering::Relaxed)}));
        }
        _ => {
            count.fetch_add(1, Ordering::Relaxed);
        }
    });
    channel.wait_closed().await;
}

fn budget() -> Duration {
    let ms = std::env::var("RT_BENCH_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300u64);
    Duration::from_millis(ms * 3)
}

async fn parent() {
    // spawn('true') to 'close'.
    let quiet = || SpawnOptions::new().stdio([Stdio::Ignore, Stdio::Ignore, Stdio::Ignore]);
    for _ in 0..5 {
        spawn("true", Vec::<String>::new(), quiet())
            .unwrap()
            .closed()
            .await
            .unwrap();
    }
    let (mut n, t0) = (0u32, Instant::now());
    while t0.elapsed() < budget() || n < 20 {
        let c = spawn("true", Vec::<String>::new(), quiet()).unwrap();
        c.closed().await.unwrap();
        n += 1;
    }
    report(
        "spawn('true') to close",
        "ms",
        Better::Lower,
        t0.elapsed().as_secs_f64() * 1e3 / n as f64,
    );

    // exec('echo hi') to the result.
    let (mut n, t0) = (0u32, Instant::now());
    while t0.elapsed() < budget() || n < 20 {
        let out = exec("echo hi", ExecOptions::new()).await.unwrap();
        assert_eq!(out.stdout.to_text(), "hi\n");
        n += 1;
    }
    report(
        "exec('echo hi') to result",
        "ms",
        Better::Lower,
        t0.elapsed().as_secs_f64() * 1e3 / n as f64,
    );

    // As a server would: the work runs in a task, not in block_on.
    tokio::spawn(ipc_figures("rt", "multi")).await.expect("ipc task");
}

/// `n` round trips with an rt child and nothing else (RT_CP_BENCH_PROFILE).
async fn round_trips(n: u32, flavor: String) {
    let child = fork_child(&flavor);
    let ping = json!({"t": "ping", "payload": "hello"});
    for _ in 0..n {
        child.send(&ping).unwrap();
        child.recv().await.unwrap();
    }
    child.disconnect().unwrap();
    let _ = child.closed().await;
}

/// An rt child (this program) on a runtime of `flavor`.
fn fork_child(flavor: &str) -> ChildProcess {
    let me = std::env::current_exe().unwrap();
    let options = ForkOptions::new()
        .exec_path(me.to_string_lossy().into_owned())
        .env_set(CHILD_ENV, flavor);
    fork("child", Vec::<String>::new(), options).unwrap()
}

/// The IPC figures for `who`, with an rt child (this program) on a runtime
/// of the same `flavor`.
async fn ipc_figures(who: &str, flavor: &str) {
    let child = fork_child(flavor);
    round_trip(&child, who, ROUND_TRIP).await;
    one_way(&child, who).await;
    child.disconnect().unwrap();
    let _ = child.closed().await;
}

/// Round trips of a small message, reported as `figure`.
async fn round_trip(child: &ChildProcess, who: &str, figure: &str) {
    let ping = json!({"t": "ping", "payload": "hello"});
    for _ in 0..200 {
        child.send(&ping).unwrap();
        child.recv().await.unwrap();
    }
    let (mut n, t0) = (0u32, Instant::now());
    while t0.elapsed() < budget() || n < 1000 {
        child.send(&ping).unwrap();
        child.recv().await.unwrap();
        n += 1;
    }
    let us = t0.elapsed().as_secs_f64() * 1e6 / n as f64;
    report_as(who, figure, "µs", Better::Lower, us);
}

/// One-way: parent to child, then ask for the count.
async fn one_way(child: &ChildProcess, who: &str) {
    let msg = json!({"i": 1, "payload": "hello"});
    let total = 200_000u64;
    let t0 = Instant::now();
    for _ in 0..total {
        child.send(&msg).unwrap();
    }
    child.send(&json!({"t": "count"})).unwrap();
    let got = child.recv().await.unwrap();
    let secs = t0.elapsed().as_secs_f64();
    assert_eq!(got["count"].as_u64(), Some(total));
    report_as(
        who,
        "one-way messages, parent to child",
        "msg/s",
        Better::Higher,
        total as f64 / secs,
    );
}
