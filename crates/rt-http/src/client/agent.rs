//! `http.Agent`: the pool of keep-alive connections requests share, with
//! Node's limits (`maxSockets`, `maxTotalSockets`, `maxFreeSockets`), its
//! queue of requests waiting for a socket, and `'lifo'` / `'fifo'` reuse.
//!
//! Each connection is one task (see `conn.rs`). A free connection waits in
//! its task for the next request *and* for its socket: when the server
//! closes it (or sends anything) while it is idle, the task leaves the pool
//! before any request can be given to it, and a request handed to it at
//! that moment goes back through [`Agent::add_request`] to a new connection.

use std::collections::{HashMap, VecDeque};
use std::hash::BuildHasherDefault;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Duration;

use super::conn;
use super::job::{self, FreeTx, Given, Job, PoolLink, Pooled, Release};

/// Which free socket a request gets (Node's `scheduling`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Scheduling {
    /// The most recently freed socket (Node's default since v15.6).
    #[default]
    Lifo,
    /// The least recently freed socket.
    Fifo,
}

/// The options of `new http.Agent(options)`, with Node's defaults.
#[doc(alias = "http.Agent options")]
#[derive(Debug, Clone)]
pub struct AgentOptions {
    /// `keepAlive` (default false): keep free sockets for later requests.
    pub keep_alive: bool,
    /// `keepAliveMsecs` (default 1000): the TCP keep-alive initial delay.
    pub keep_alive_msecs: u64,
    /// `maxSockets` per origin (default unlimited).
    pub max_sockets: usize,
    /// `maxTotalSockets` over all origins (default unlimited).
    pub max_total_sockets: usize,
    /// `maxFreeSockets` per origin (default 256).
    pub max_free_sockets: usize,
    /// `timeout`: the socket timeout (requests get `'timeout'`, free
    /// sockets are closed after it).
    pub timeout: Option<Duration>,
    /// `scheduling` (default `Lifo`).
    pub scheduling: Scheduling,
}

impl Default for AgentOptions {
    fn default() -> AgentOptions {
        AgentOptions {
            keep_alive: false,
            keep_alive_msecs: 1000,
            max_sockets: usize::MAX,
            max_total_sockets: usize::MAX,
            max_free_sockets: 256,
            timeout: None,
            scheduling: Scheduling::Lifo,
        }
    }
}

/// Node's `http.Agent`: pools connections per origin (`host:port:`).
///
/// Cheap to clone: clones are the same agent.
#[doc(alias = "http.Agent")]
#[derive(Clone)]
pub struct Agent {
    inner: Arc<Inner>,
}

struct Inner {
    opts: AgentOptions,
    pool: Mutex<Pool>,
    next_id: AtomicU64,
}

#[derive(Default)]
struct Pool {
    /// Each origin's connections and queue (one map, one lookup per call).
    origins: HashMap<String, Origin, BuildHasherDefault<KeyHasher>>,
    /// Every connection (`totalSocketCount`).
    total: usize,
}

/// One origin's share of the pool (Node keeps `sockets`, `freeSockets`
/// and `requests` per name; here they sit under one key).
#[derive(Default)]
struct Origin {
    /// Connections serving a request (or connecting).
    busy: usize,
    /// Idle connections, oldest first.
    free: VecDeque<Free>,
    /// Requests waiting for a connection.
    queued: VecDeque<Job>,
}

impl Origin {
    fn count(&self) -> usize {
        self.busy + self.free.len()
    }
}

/// FNV-1a for the pool's keys: an origin's name, a few dozen bytes, hashed
/// on every request and every release, where SipHash's rounds cost more
/// than the key (the names come from the program's own requests, as Node's
/// `agent.sockets[name]` keys do).
#[derive(Default)]
struct KeyHasher(u64);

impl std::hash::Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for &b in bytes {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        self.0 = h;
    }
}

struct Free {
    id: u64,
    tx: FreeTx,
    pooled: Pooled,
}

/// The pool a request's connection comes from: its origin (Node's
/// `getName`) on the runtime the request was made on, written into `key`
/// (a buffer reused from request to request: no string made per request).
/// A connection's task lives on the runtime that started it, so runtimes
/// (tests, or a program with several) never hand each other connections
/// that die with another runtime.
fn pool_key_into(job: &Job, key: &mut String) {
    key.clear();
    job.target.name_into(key);
    // Always marked, so that the origin is what comes before the last mark
    // whatever the name holds (a socket path may hold the mark's character).
    key.push(RUNTIME_MARK);
    if let Ok(h) = tokio::runtime::Handle::try_current() {
        RUNTIME_NAME.with_borrow_mut(|cached| {
            let id = h.id();
            match cached {
                Some((cid, name)) if *cid == id => key.push_str(name),
                _ => {
                    let name = id.to_string();
                    key.push_str(&name);
                    *cached = Some((id, name));
                }
            }
        });
    }
}

thread_local! {
    /// The last runtime id seen on this thread, as text (the key's suffix,
    /// not formatted again for every request).
    static RUNTIME_NAME: std::cell::RefCell<Option<(tokio::runtime::Id, String)>> =
        const { std::cell::RefCell::new(None) };
    /// The pool key's buffer, reused by `add_request`.
    static KEY: std::cell::Cell<String> = const { std::cell::Cell::new(String::new()) };
}

const RUNTIME_MARK: char = '\u{1}';

/// Node's name for a pool key.
fn origin(key: &str) -> String {
    key.rsplit_once(RUNTIME_MARK)
        .map_or(key, |(name, _)| name)
        .to_string()
}

/// Sums per-runtime counts into Node's per-origin view.
fn by_origin<'a>(counts: impl Iterator<Item = (&'a String, usize)>) -> HashMap<String, usize> {
    let mut out = HashMap::new();
    for (k, n) in counts.filter(|(_, n)| *n > 0) {
        *out.entry(origin(k)).or_default() += n;
    }
    out
}

fn lock(m: &Mutex<Pool>) -> std::sync::MutexGuard<'_, Pool> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl std::fmt::Debug for Agent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Agent")
            .field("options", &self.inner.opts)
            .finish()
    }
}

impl Default for Agent {
    fn default() -> Agent {
        Agent::new(AgentOptions::default())
    }
}

impl Agent {
    /// `new http.Agent(options)`.
    pub fn new(opts: AgentOptions) -> Agent {
        Agent {
            inner: Arc::new(Inner {
                opts,
                pool: Mutex::new(Pool::default()),
                next_id: AtomicU64::new(1),
            }),
        }
    }

    /// `http.globalAgent`: Node v20's (`keepAlive: true`, `timeout: 5000`,
    /// `scheduling: 'lifo'`).
    #[doc(alias = "globalAgent")]
    pub fn global() -> &'static Agent {
        static GLOBAL: OnceLock<Agent> = OnceLock::new();
        GLOBAL.get_or_init(|| {
            Agent::new(AgentOptions {
                keep_alive: true,
                timeout: Some(Duration::from_secs(5)),
                ..AgentOptions::default()
            })
        })
    }

    /// The agent's options (`agent.options`, `agent.keepAlive`, `agent.maxSockets`...).
    pub fn options(&self) -> &AgentOptions {
        &self.inner.opts
    }

    /// Whether requests through this agent ask for keep-alive (Node:
    /// `keepAlive` or a finite `maxSockets`).
    pub(crate) fn request_keep_alive(&self) -> bool {
        self.inner.opts.keep_alive || self.inner.opts.max_sockets != usize::MAX
    }

    /// The number of idle sockets per origin (Node: `agent.freeSockets[name].length`).
    #[doc(alias = "freeSockets")]
    pub fn free_sockets(&self) -> HashMap<String, usize> {
        by_origin(
            lock(&self.inner.pool)
                .origins
                .iter()
                .map(|(k, o)| (k, o.free.len())),
        )
    }

    /// The number of sockets serving requests per origin (Node: `agent.sockets[name].length`).
    pub fn sockets(&self) -> HashMap<String, usize> {
        by_origin(lock(&self.inner.pool).origins.iter().map(|(k, o)| (k, o.busy)))
    }

    /// The number of requests waiting for a socket per origin (Node: `agent.requests[name].length`).
    pub fn requests(&self) -> HashMap<String, usize> {
        by_origin(
            lock(&self.inner.pool)
                .origins
                .iter()
                .map(|(k, o)| (k, o.queued.len())),
        )
    }

    /// `totalSocketCount`.
    pub fn total_socket_count(&self) -> usize {
        lock(&self.inner.pool).total
    }

    /// `agent.destroy()`: closes the free sockets now (busy ones finish
    /// their request first).
    pub fn destroy(&self) {
        let free: Vec<Free> = {
            let mut pool = lock(&self.inner.pool);
            pool.origins
                .values_mut()
                .flat_map(|o| std::mem::take(&mut o.free))
                .collect()
        };
        // Dropping the senders ends each idle task's wait: it closes.
        drop(free);
    }

    /// `agent.addRequest(req, options)`: a free socket, a new one, or the queue.
    pub(crate) fn add_request(&self, job: Job) {
        let mut key = KEY.with(std::cell::Cell::take);
        pool_key_into(&job, &mut key);
        self.add_request_keyed(job, &key);
        KEY.with(|k| k.set(key));
    }

    fn add_request_keyed(&self, mut job: Job, name: &str) {
        let opts = &self.inner.opts;
        let mut guard = lock(&self.inner.pool);
        let pool = &mut *guard;
        // The origin's entry is made the first time (its key string made
        // then only, not per request).
        let origin = match pool.origins.get_mut(name) {
            Some(o) => o,
            None => pool.origins.entry(name.to_string()).or_default(),
        };
        loop {
            let free = match opts.scheduling {
                Scheduling::Lifo => origin.free.pop_back(),
                Scheduling::Fifo => origin.free.pop_front(),
            };
            let Some(free) = free else { break };
            origin.busy += 1;
            // Node's `agent.reuseSocket`: `req.reusedSocket` is true from
            // here; the socket is the request's now ('socket' and the write
            // on the tick after the request, as Node's onSocketNT).
            job.req.mark_reused();
            let offered = job.req.offer_pooled(free.pooled.socket, free.pooled.io.clone());
            let back = free.tx.clone();
            match free.tx.send(Given {
                job,
                tx: back,
                offered: Some(offered),
            }) {
                Ok(()) => return,
                Err(back) => {
                    // Its task is gone without leaving the pool (cannot
                    // happen unless it panicked): forget it.
                    job = back.0.job;
                    job.req.withdraw_pooled();
                    origin.busy = origin.busy.saturating_sub(1);
                    pool.total = pool.total.saturating_sub(1);
                }
            }
        }
        if origin.count() < opts.max_sockets && pool.total < opts.max_total_sockets {
            pool.total += 1;
            origin.busy += 1;
            drop(guard);
            self.spawn(name.to_string(), job);
        } else {
            origin.queued.push_back(job);
        }
    }

    fn spawn(&self, name: String, job: Job) {
        let id = self.inner.next_id.fetch_add(1, Ordering::Relaxed);
        let link = PoolLink {
            agent: Box::new(self.clone()),
            name,
            id,
        };
        conn::spawn(
            job,
            Some(link),
            self.inner
                .opts
                .keep_alive
                .then_some(self.inner.opts.keep_alive_msecs),
        );
    }

    /// The connection `id` finished its request (Node's `'free'`): the next
    /// queued request, the free list, or close. `keep` is whether the
    /// request and response allow reuse; `hint` the server's
    /// `Keep-Alive: timeout=` in ms.
    pub(crate) fn release(
        &self,
        name: &str,
        id: u64,
        tx: &mut Option<FreeTx>,
        pooled: &Pooled,
        keep: bool,
        hint: Option<u64>,
    ) -> Release {
        let mut pool = lock(&self.inner.pool);
        let total = pool.total;
        let Some(origin) = pool.origins.get_mut(name) else {
            return Release::Close;
        };
        if let Some(job) = origin.queued.pop_front() {
            return Release::Next(job);
        }
        let opts = &self.inner.opts;
        if !keep || !opts.keep_alive {
            return Release::Close;
        }
        let free_len = origin.free.len();
        if total > opts.max_total_sockets
            || origin.count() > opts.max_sockets
            || free_len >= opts.max_free_sockets
        {
            return Release::Close;
        }
        // keepSocketAlive: the server's hint, less a second, bounds the idle time.
        let mut timeout = opts.timeout;
        if let Some(secs) = hint {
            let ms = (secs * 1000).saturating_sub(1000);
            if ms == 0 {
                return Release::Close;
            }
            let hinted = Duration::from_millis(ms);
            if timeout.is_none_or(|t| hinted < t) {
                timeout = Some(hinted);
            }
        }
        let Some(tx) = tx.take() else {
            return Release::Close;
        };
        origin.busy = origin.busy.saturating_sub(1);
        origin.free.push_back(Free {
            id,
            tx,
            pooled: pooled.clone(),
        });
        Release::Idle(timeout)
    }

    /// The connection `id` closed (Node's `onClose` + `removeSocket`): it
    /// leaves the counts, and a queued request gets a new connection.
    pub(crate) fn closed(&self, name: &str, id: u64) {
        let opts = &self.inner.opts;
        let mut guard = lock(&self.inner.pool);
        let pool = &mut *guard;
        pool.total = pool.total.saturating_sub(1);
        let Some(origin) = pool.origins.get_mut(name) else {
            return;
        };
        let was_free = origin
            .free
            .iter()
            .position(|f| f.id == id)
            .and_then(|at| origin.free.remove(at));
        if was_free.is_none() {
            origin.busy = origin.busy.saturating_sub(1);
        }
        if origin.count() < opts.max_sockets && pool.total < opts.max_total_sockets {
            if let Some(job) = origin.queued.pop_front() {
                pool.total += 1;
                origin.busy += 1;
                drop(guard);
                self.spawn(name.to_string(), job);
            }
        }
    }
}

impl job::Pool for Agent {
    fn add_request(&self, job: Job) {
        Agent::add_request(self, job);
    }

    fn release(
        &self,
        name: &str,
        id: u64,
        tx: &mut Option<FreeTx>,
        pooled: &Pooled,
        keep: bool,
        hint: Option<u64>,
    ) -> Release {
        Agent::release(self, name, id, tx, pooled, keep, hint)
    }

    fn closed(&self, name: &str, id: u64) {
        Agent::closed(self, name, id);
    }
}
