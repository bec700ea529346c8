//! Faults and pm2's jobs, under load (a Rust client on loopback, one
//! connection per request, bounded): kill -9 of a worker, a worker that
//! exits at once hitting the restart limit, a rolling reload dropping
//! nothing, the primary killed, graceful shutdown on SIGTERM, a worker that
//! forgot to start its cluster side.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use common::{WORKER, get};
use rt_cluster::supervisor::{RestartPolicy, Supervisor};
use rt_cluster::{Cluster, Emitter, SchedulingPolicy, Settings, Signal, events};
use rt_tests::wait::{wait_until_async, within};

/// Clients that each send one request per connection until stopped (at
/// most `cap` requests in all), counting successes and failures.
struct Load {
    ok: Arc<AtomicUsize>,
    failed: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    tasks: Vec<tokio::task::JoinHandle<Vec<String>>>,
}

impl Load {
    fn start(port: u16, clients: usize, cap: usize) -> Load {
        let ok = Arc::new(AtomicUsize::new(0));
        let failed = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let tasks = (0..clients)
            .map(|_| {
                let (ok, failed, stop) = (ok.clone(), failed.clone(), stop.clone());
                tokio::spawn(async move {
                    let mut errors = Vec::new();
                    while !stop.load(Ordering::Acquire)
                        && ok.load(Ordering::Acquire) + failed.load(Ordering::Acquire) < cap
                    {
                        match tokio::time::timeout(Duration::from_secs(10), get(port)).await {
                            Ok(Ok(_)) => {
                                ok.fetch_add(1, Ordering::AcqRel);
                            }
                            Ok(Err(e)) => {
                                failed.fetch_add(1, Ordering::AcqRel);
                                errors.push(e.to_string());
                            }
                            Err(_) => {
                                failed.fetch_add(1, Ordering::AcqRel);
                                errors.push("no answer within 10 s".into());
                            }
                        }
                    }
                    errors
                })
            })
            .collect();
        Load {
            ok,
            failed,
            stop,
            tasks,
        }
    }

    async fn wait_ok(&self, n: usize, what: &str) {
        let ok = self.ok.clone();
        wait_until_async(30, what, move || ok.load(Ordering::Acquire) >= n).await;
    }

    /// Stops the clients; (ok, failed, errors).
    async fn finish(self) -> (usize, usize, Vec<String>) {
        self.stop.store(true, Ordering::Release);
        let mut errors = Vec::new();
        for t in self.tasks {
            errors.extend(within(30, "the load clients to stop", t).await.unwrap());
        }
        (
            self.ok.load(Ordering::Acquire),
            self.failed.load(Ordering::Acquire),
            errors,
        )
    }
}

type Listening = tokio::sync::mpsc::UnboundedReceiver<(u32, u16)>;

async fn supervised(
    policy: SchedulingPolicy,
    restart: RestartPolicy,
    env: Vec<(&str, &str)>,
    n: usize,
) -> (Supervisor, u16, Listening) {
    let cluster = Cluster::new().unwrap();
    cluster.set_scheduling_policy(policy);
    cluster.setup_primary(Settings::new().exec(WORKER).args(vec![]));
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    cluster.on(&events::LISTENING, move |(w, a)| {
        let _ = tx.send((w.id(), a.port as u16));
    });
    let sup = Supervisor::new(cluster, restart);
    sup.start(n, env).unwrap();
    let mut port = 0;
    for _ in 0..n {
        port = within(20, "every worker's 'listening'", rx.recv())
            .await
            .unwrap()
            .1;
    }
    (sup, port, rx)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_of_a_worker_under_load_loses_only_its_requests() {
    let restart = RestartPolicy::new().initial_delay(Duration::from_millis(20));
    let (sup, port, mut listening) =
        supervised(SchedulingPolicy::RoundRobin, restart, vec![("PORT", "0")], 2).await;
    let (tx, mut restarted) = tokio::sync::mpsc::unbounded_channel();
    sup.cluster().on(&events::RESTART, move |(old, new)| {
        let _ = tx.send((old.id(), new.id()));
    });
    let clients = 4;
    let load = Load::start(port, clients, 20_000);
    load.wait_ok(100, "100 answers before the kill").await;
    let victim = sup.workers()[0].clone();
    assert!(victim.kill(Signal::SIGKILL));
    let (old, new) = within(20, "the killed worker's restart", restarted.recv())
        .await
        .unwrap();
    assert_eq!(old, victim.id());
    let (id, _) = within(20, "the new worker's 'listening'", listening.recv())
        .await
        .unwrap();
    assert_eq!(id, new);
    let before = load.ok.load(Ordering::Acquire);
    load.wait_ok(before + 100, "100 more answers after the restart")
        .await;
    let (ok, failed, errors) = load.finish().await;
    println!("kill -9 under load: {ok} answered, {failed} failed ({errors:?})");
    // Only what was in flight on the killed worker: at most one
    // connection per client, and the one handed to it unanswered.
    assert!(failed <= clients + 1, "{failed} failed: {errors:?}");
    // A connection handed to the dead worker is closed, not left hanging.
    assert!(!errors.iter().any(|e| e.contains("no answer")), "{errors:?}");
    // Every later request succeeds.
    for _ in 0..20 {
        within(10, "a request after the restart", get(port))
            .await
            .unwrap();
    }
    let end = sup.shutdown(Duration::from_secs(10)).await;
    assert_eq!(end.killed, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_exiting_at_once_hits_the_restart_limit() {
    let cluster = Cluster::new().unwrap();
    cluster.setup_primary(Settings::new().exec(WORKER).args(vec![]));
    let forks = Arc::new(AtomicUsize::new(0));
    let f = forks.clone();
    cluster.on(&events::FORK, move |_| {
        f.fetch_add(1, Ordering::AcqRel);
    });
    let restarts = Arc::new(AtomicUsize::new(0));
    let r = restarts.clone();
    cluster.on(&events::RESTART, move |_| {
        r.fetch_add(1, Ordering::AcqRel);
    });
    let (tx, mut limit) = tokio::sync::mpsc::unbounded_channel();
    cluster.on(&events::RESTART_LIMIT, move |(w, n)| {
        let _ = tx.send((w.id(), *n));
    });
    let policy = RestartPolicy::new()
        .max_restarts(3)
        .window(Duration::from_secs(60))
        .initial_delay(Duration::from_millis(10));
    let sup = Supervisor::new(cluster.clone(), policy);
    sup.start(1, [("RT_WORKER_MODE", "exit"), ("EXIT_CODE", "1")])
        .unwrap();
    let (_, n) = within(20, "the restart limit event", limit.recv()).await.unwrap();
    assert_eq!(n, 3);
    assert_eq!(restarts.load(Ordering::Acquire), 3);
    // Nothing is forked after the limit.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        forks.load(Ordering::Acquire),
        4,
        "the first worker and 3 restarts"
    );
    assert!(sup.workers().is_empty());
    assert!(limit.try_recv().is_err());
}

/// Workers that answer after 100 ms: a reload always finds requests in flight.
const SLOW: [(&str, &str); 3] = [("PORT", "0"), ("RT_WORKER_MODE", "slow"), ("SLOW_MS", "100")];

async fn reload_under_load(policy: SchedulingPolicy) {
    let (sup, port, _listening) = supervised(policy, RestartPolicy::new(), SLOW.to_vec(), 2).await;
    let before: Vec<u32> = sup.workers().iter().map(|w| w.process().pid().unwrap()).collect();
    let load = Load::start(port, 4, 50_000);
    load.wait_ok(50, "50 answers before the reload").await;
    within(60, "the rolling reload", sup.reload(Duration::from_secs(20)))
        .await
        .unwrap();
    let after_reload = load.ok.load(Ordering::Acquire);
    load.wait_ok(after_reload + 50, "50 answers after the reload")
        .await;
    let (ok, failed, errors) = load.finish().await;
    let after: Vec<u32> = sup.workers().iter().map(|w| w.process().pid().unwrap()).collect();
    println!(
        "rolling reload ({policy:?}) under load: {ok} answered, {failed} failed; pids {before:?} -> {after:?}"
    );
    assert_eq!(failed, 0, "{errors:?}");
    assert_eq!(after.len(), 2);
    assert!(after.iter().all(|p| !before.contains(p)), "every worker replaced");
    let end = sup.shutdown(Duration::from_secs(10)).await;
    assert_eq!(end.killed, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rolling_reload_under_load_drops_nothing_round_robin() {
    reload_under_load(SchedulingPolicy::RoundRobin).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rolling_reload_under_load_drops_nothing_shared_handle() {
    reload_under_load(SchedulingPolicy::None).await;
}

/// The primary program (`rt-cluster-worker` run as a primary), its stdout lines.
struct Primary {
    child: std::process::Child,
    lines: std::sync::mpsc::Receiver<serde_json::Value>,
}

impl Primary {
    fn start(env: &[(&str, &str)]) -> Primary {
        use std::io::BufRead;
        let mut cmd = std::process::Command::new(WORKER);
        cmd.env_remove("NODE_UNIQUE_ID")
            .envs(env.iter().copied())
            .stdout(std::process::Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        let out = child.stdout.take().unwrap();
        let (tx, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(out).lines().map_while(Result::ok) {
                if let Ok(v) = serde_json::from_str(&line) {
                    let _ = tx.send(v);
                }
            }
        });
        Primary { child, lines }
    }

    /// Waits for `n` `'listening'` lines; the workers' pids (from `'online'`) and the port.
    fn listening(&self, n: usize) -> (Vec<u32>, u16) {
        let (mut pids, mut port, mut seen) = (Vec::new(), 0, 0);
        while seen < n {
            let v = rt_tests::wait::recv_within(&self.lines, 20, "the primary's workers listening");
            match v[0].as_str() {
                Some("online") => pids.push(v[2].as_u64().unwrap() as u32),
                Some("listening") => {
                    port = v[2].as_u64().unwrap() as u16;
                    seen += 1;
                }
                _ => {}
            }
        }
        (pids, port)
    }
}

fn alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => !stat
            .rsplit(')')
            .next()
            .unwrap_or("")
            .trim_start()
            .starts_with('Z'),
        Err(_) => false,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workers_exit_when_the_primary_is_killed() {
    let mut primary = Primary::start(&[("WORKERS", "2"), ("PORT", "0")]);
    let (pids, port) = primary.listening(2);
    assert_eq!(pids.len(), 2);
    within(10, "a request through the primary", get(port))
        .await
        .unwrap();
    primary.child.kill().unwrap(); // SIGKILL: no goodbye to the workers
    let _ = primary.child.wait();
    wait_until_async(
        5,
        "both workers to exit after the primary was killed",
        move || pids.iter().all(|p| !alive(*p)),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_shuts_down_gracefully() {
    let mut primary = Primary::start(&[
        ("WORKERS", "2"),
        ("PORT", "0"),
        ("RT_WORKER_MODE", "slow"),
        ("SLOW_MS", "700"),
    ]);
    let (pids, port) = primary.listening(2);
    let in_flight = tokio::spawn(get(port));
    // The request is in a worker's hands when the signal comes.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let status = std::process::Command::new("kill")
        .args(["-TERM", &primary.child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let body = within(10, "the request in flight at SIGTERM", in_flight)
        .await
        .unwrap()
        .unwrap();
    assert!(body.starts_with("pid "), "{body}");
    let code = tokio::task::spawn_blocking(move || primary.child.wait().unwrap().code())
        .await
        .unwrap();
    assert_eq!(code, Some(0), "every worker ended gracefully");
    wait_until_async(5, "the workers to be gone", move || {
        pids.iter().all(|p| !alive(*p))
    })
    .await;
    assert!(get(port).await.is_err(), "nothing listens after the shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_that_did_not_start_its_cluster_side_cannot_listen() {
    let cluster = Cluster::new().unwrap();
    cluster.setup_primary(Settings::new().exec(WORKER).args(vec![]).silent(true));
    let w = cluster
        .fork([("RT_WORKER_MODE", "nostart"), ("PORT", "0")])
        .unwrap();
    let stderr = w.process().stderr().unwrap().clone();
    let out = within(20, "the worker's stderr", stderr.read_all())
        .await
        .unwrap();
    let text: String = out
        .iter()
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect();
    let info = within(20, "the worker's exit", w.process().wait()).await.unwrap();
    assert_eq!(info.code, Some(1));
    assert!(text.contains("ERR_CLUSTER_WORKER_NOT_STARTED"), "{text}");
    // The cluster's 'exit' comes with (not before) the process's.
    let w2 = w.clone();
    wait_until_async(5, "the worker's state 'dead'", move || {
        w2.state() == rt_cluster::State::Dead
    })
    .await;
}
