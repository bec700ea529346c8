//! What pm2 is installed for, built in: a [`Supervisor`] around a
//! [`Cluster`] restarts workers that exit on their own (exponential
//! back-off, at most N restarts per window, then an event), replaces them
//! one at a time without dropping a request ([`Supervisor::reload`]), and
//! shuts the cluster down gracefully ([`Supervisor::shutdown`], on SIGTERM /
//! SIGINT with [`Supervisor::shutdown_on_signals`]).

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use rt_events::Emitter;
use rt_stream::{Code, Error};

use crate::events::{self, worker as wev};
use crate::primary::Cluster;
use crate::protocol::lock;
use crate::worker::Worker;
use crate::{ExitInfo, Signal};

/// When a worker that exited on its own is restarted.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RestartPolicy {
    /// Restarts allowed per slot within `window` (default 5); one more
    /// exit emits [`events::RESTART_LIMIT`] and the slot stays empty.
    pub max_restarts: usize,
    /// The window restarts are counted in (default 60 s).
    pub window: Duration,
    /// The delay before the first restart in a window (default 100 ms);
    /// it doubles with each further restart in the window.
    pub initial_delay: Duration,
    /// The longest delay (default 10 s).
    pub max_delay: Duration,
}

impl Default for RestartPolicy {
    fn default() -> Self {
        RestartPolicy {
            max_restarts: 5,
            window: Duration::from_secs(60),
            initial_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(10),
        }
    }
}

rt_stream::option_setters!(RestartPolicy {
    /// Sets `max_restarts`.
    max_restarts: (usize),
    /// Sets `window`.
    window: (Duration),
    /// Sets `initial_delay`.
    initial_delay: (Duration),
    /// Sets `max_delay`.
    max_delay: (Duration),
});

impl RestartPolicy {
    /// The default policy.
    pub fn new() -> RestartPolicy {
        RestartPolicy::default()
    }

    /// The delay before the `n`th restart in the window (1-based).
    pub fn delay(&self, n: usize) -> Duration {
        let shift = u32::try_from(n.saturating_sub(1)).unwrap_or(u32::MAX).min(20);
        self.initial_delay
            .checked_mul(1u32 << shift)
            .unwrap_or(self.max_delay)
            .min(self.max_delay)
    }
}

/// How a [`Supervisor::shutdown`] went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shutdown {
    /// Workers that finished their work and exited in time.
    pub graceful: usize,
    /// Workers killed (SIGKILL) when the timeout passed.
    pub killed: usize,
}

impl Shutdown {
    /// The primary's exit status for this outcome: 0 when every worker
    /// ended gracefully, 2 when some had to be killed.
    pub fn exit_code(&self) -> i32 {
        if self.killed == 0 { 0 } else { 2 }
    }
}

/// One place in the cluster: the worker in it, its environment, its recent restarts.
struct Slot {
    env: Vec<(String, String)>,
    worker: Option<Worker>,
    restarts: VecDeque<Instant>,
    given_up: bool,
}

struct SupInner {
    cluster: Cluster,
    policy: RestartPolicy,
    slots: Mutex<Vec<Slot>>,
    /// worker id -> slot.
    by_worker: Mutex<HashMap<u32, usize>>,
    stopping: AtomicBool,
    /// Held from a fork until its worker is in `by_worker`: an exit seen
    /// on another thread in between waits for it.
    forking: Mutex<()>,
    /// Held by a restart from its fork until its `'restart'` was emitted:
    /// the new worker's exit, handled on another thread, waits for it, so
    /// a slot's `'restart'` always comes before the next `'restart'` or
    /// `'restartLimit'` its worker's exit causes.
    restarting: Mutex<()>,
    /// Serializes reloads.
    reloading: tokio::sync::Mutex<()>,
}

/// Keeps a cluster's workers running (rt's addition; what pm2 does for
/// Node): see the [module docs](self). A cheap `Clone` handle.
#[derive(Clone)]
pub struct Supervisor {
    inner: Arc<SupInner>,
}

impl std::fmt::Debug for Supervisor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Supervisor")
            .field("policy", &self.inner.policy)
            .finish()
    }
}

impl Supervisor {
    /// Supervises `cluster`'s workers started with [`start`](Supervisor::start).
    pub fn new(cluster: Cluster, policy: RestartPolicy) -> Supervisor {
        let inner = Arc::new(SupInner {
            cluster: cluster.clone(),
            policy,
            slots: Mutex::new(Vec::new()),
            by_worker: Mutex::new(HashMap::new()),
            stopping: AtomicBool::new(false),
            forking: Mutex::new(()),
            restarting: Mutex::new(()),
            reloading: tokio::sync::Mutex::new(()),
        });
        let weak = Arc::downgrade(&inner);
        cluster.on(&events::EXIT, move |(worker, info)| {
            if let Some(inner) = weak.upgrade() {
                on_exit(&inner, worker, *info);
            }
        });
        Supervisor { inner }
    }

    /// The cluster.
    pub fn cluster(&self) -> &Cluster {
        &self.inner.cluster
    }

    /// Forks `n` supervised workers, each with `env`.
    pub fn start<K: Into<String>, V: Into<String>>(
        &self,
        n: usize,
        env: impl IntoIterator<Item = (K, V)>,
    ) -> Result<Vec<Worker>, Error> {
        let env: Vec<(String, String)> = env.into_iter().map(|(k, v)| (k.into(), v.into())).collect();
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            let slot = {
                let mut slots = lock(&self.inner.slots);
                slots.push(Slot {
                    env: env.clone(),
                    worker: None,
                    restarts: VecDeque::new(),
                    given_up: false,
                });
                slots.len() - 1
            };
            out.push(fork_into(&self.inner, slot)?);
        }
        Ok(out)
    }

    /// The supervised workers, one per slot still running.
    pub fn workers(&self) -> Vec<Worker> {
        lock(&self.inner.slots)
            .iter()
            .filter_map(|s| s.worker.clone())
            .collect()
    }

    /// Replaces every worker, one at a time: forks the new one, waits for
    /// its `'listening'` (at most `timeout`), then disconnects the old one,
    /// which finishes its requests in flight (killed if it has not exited
    /// within `timeout`). Connections keep being accepted throughout (the
    /// primary, or the other workers, hold the port), so no connection is
    /// refused and no accepted request is dropped.
    pub async fn reload(&self, timeout: Duration) -> Result<(), Error> {
        let _one = self.inner.reloading.lock().await;
        let n = lock(&self.inner.slots).len();
        for slot in 0..n {
            let old = {
                let slots = lock(&self.inner.slots);
                if slots[slot].given_up {
                    continue;
                }
                slots[slot].worker.clone()
            };
            let env = lock(&self.inner.slots)[slot].env.clone();
            let new = self.inner.cluster.fork(env)?;
            let listening = rt_events::once(&new, &wev::LISTENING).or_error(&wev::EXIT);
            match tokio::time::timeout(timeout, listening).await {
                Ok(Ok(_)) => {}
                Ok(Err(_)) | Err(_) => {
                    new.kill(Signal::SIGKILL);
                    return Err(Error::new(
                        Code::custom("ERR_CLUSTER_RELOAD"),
                        format!("the replacement of worker slot {slot} did not listen"),
                    ));
                }
            }
            {
                let mut slots = lock(&self.inner.slots);
                slots[slot].worker = Some(new.clone());
            }
            lock(&self.inner.by_worker).insert(new.id(), slot);
            if let Some(old) = old {
                lock(&self.inner.by_worker).remove(&old.id());
                old.disconnect();
                if tokio::time::timeout(timeout, old.process().wait()).await.is_err() {
                    old.kill(Signal::SIGKILL);
                }
            }
        }
        Ok(())
    }

    /// Stops restarting, disconnects every worker (each stops taking
    /// connections and finishes what it has), waits up to `timeout` for
    /// them to exit, kills (SIGKILL) the rest.
    pub async fn shutdown(&self, timeout: Duration) -> Shutdown {
        self.inner.stopping.store(true, Ordering::Release);
        let workers: Vec<Worker> = self.inner.cluster.workers();
        for w in &workers {
            if w.is_connected() {
                w.disconnect();
            }
        }
        let deadline = tokio::time::Instant::now() + timeout;
        let mut outcome = Shutdown {
            graceful: 0,
            killed: 0,
        };
        for w in &workers {
            match tokio::time::timeout_at(deadline, w.process().wait()).await {
                Ok(_) => outcome.graceful += 1,
                Err(_) => {
                    w.kill(Signal::SIGKILL);
                    let _ = tokio::time::timeout(Duration::from_secs(5), w.process().wait()).await;
                    outcome.killed += 1;
                }
            }
        }
        outcome
    }

    /// On SIGTERM or SIGINT: [`shutdown`](Supervisor::shutdown) with
    /// `timeout`, then exits this process with
    /// [`Shutdown::exit_code`]. Must be called inside a tokio runtime.
    pub fn shutdown_on_signals(&self, timeout: Duration) -> Result<(), Error> {
        use tokio::signal::unix::{SignalKind, signal};
        let fail = |e: std::io::Error| Error::syscall_failed(&e, "sigaction");
        let mut term = signal(SignalKind::terminate()).map_err(fail)?;
        let mut int = signal(SignalKind::interrupt()).map_err(fail)?;
        let me = self.clone();
        tokio::spawn(async move {
            tokio::select! {
                _ = term.recv() => {}
                _ = int.recv() => {}
            }
            let outcome = me.shutdown(timeout).await;
            std::process::exit(outcome.exit_code());
        });
        Ok(())
    }
}

fn fork_into(inner: &Arc<SupInner>, slot: usize) -> Result<Worker, Error> {
    let env = lock(&inner.slots)[slot].env.clone();
    // A worker that exits at once can be reaped (and its 'exit' handled on
    // another thread) before fork() returns here.
    let _forking = lock(&inner.forking);
    let worker = inner.cluster.fork(env)?;
    lock(&inner.by_worker).insert(worker.id(), slot);
    lock(&inner.slots)[slot].worker = Some(worker.clone());
    Ok(worker)
}

/// A worker exited: restart it unless it was asked to leave, the cluster
/// is stopping, or its slot restarted too often.
fn on_exit(inner: &Arc<SupInner>, worker: &Worker, _info: ExitInfo) {
    // A fork still registering its worker (this one, perhaps) ends first,
    // and a restart still announcing its worker.
    drop(lock(&inner.forking));
    drop(lock(&inner.restarting));
    let Some(slot) = lock(&inner.by_worker).remove(&worker.id()) else {
        return; // Not ours, or replaced by a reload.
    };
    if inner.stopping.load(Ordering::Acquire) || worker.exited_after_disconnect() == Some(true) {
        let mut slots = lock(&inner.slots);
        if slots[slot].worker.as_ref() == Some(worker) {
            slots[slot].worker = None;
        }
        return;
    }
    let delay = {
        let mut slots = lock(&inner.slots);
        let s = &mut slots[slot];
        if s.worker.as_ref() == Some(worker) {
            s.worker = None;
        }
        let now = Instant::now();
        while s
            .restarts
            .front()
            .is_some_and(|t| now.duration_since(*t) > inner.policy.window)
        {
            s.restarts.pop_front();
        }
        if s.restarts.len() >= inner.policy.max_restarts {
            s.given_up = true;
            None
        } else {
            s.restarts.push_back(now);
            Some(inner.policy.delay(s.restarts.len()))
        }
    };
    let Some(delay) = delay else {
        let count = lock(&inner.slots)[slot].restarts.len();
        inner
            .cluster
            .emit(&events::RESTART_LIMIT, (worker.clone(), count));
        return;
    };
    let weak: Weak<SupInner> = Arc::downgrade(inner);
    let old = worker.clone();
    tokio::spawn(async move {
        tokio::time::sleep(delay).await;
        let Some(inner) = weak.upgrade() else { return };
        if inner.stopping.load(Ordering::Acquire) {
            return;
        }
        // No await below: the guard is never held across a suspension.
        let _restarting = lock(&inner.restarting);
        match fork_into(&inner, slot) {
            Ok(new) => {
                inner.cluster.emit(&events::RESTART, (old, new));
            }
            Err(_) => {
                // The fork itself failed: counted as a restart that exited.
                lock(&inner.slots)[slot].given_up = true;
                inner.cluster.emit(&events::RESTART_LIMIT, (old, 0));
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_up_to_the_cap() {
        let p = RestartPolicy::new()
            .initial_delay(Duration::from_millis(100))
            .max_delay(Duration::from_secs(1));
        let got: Vec<u128> = (1..=6).map(|n| p.delay(n).as_millis()).collect();
        assert_eq!(got, vec![100, 200, 400, 800, 1000, 1000]);
        assert_eq!(p.delay(1000), Duration::from_secs(1));
    }
}
