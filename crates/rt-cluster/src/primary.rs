//! [`Cluster`]: the primary (Node: `internal/cluster/primary.js`): forks
//! workers, answers their `queryServer` with a round-robin or shared
//! handle, and turns their messages and exits into events.

use std::cell::Cell;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, Weak};

use rt_child_process::events::{
    CLOSE as CP_CLOSE, DISCONNECT as CP_DISCONNECT, ERROR as CP_ERROR, EXIT as CP_EXIT,
    MESSAGE as CP_MESSAGE, SPAWN as CP_SPAWN,
};
use rt_child_process::ipc::InternalMessage;
use rt_child_process::{SpawnOptions, spawn_with};
use rt_events::{Emitter, EventEmitter};
use rt_stream::Error;
use serde_json::{Map, Value, json};
use tokio::sync::Notify;

use crate::address::Address;
use crate::events::{self, worker as wev};
use crate::handles::Handle;
use crate::protocol::{Sender, fields, is_cluster, js, lock, newconn_answer};
use crate::settings::{SchedulingPolicy, Settings};
use crate::worker::{Primary, State, Worker};

/// The primary's side of a cluster (Node: the `cluster` module in the
/// primary process). A cheap `Clone` handle; several may exist in one
/// process (each with its own workers and ids).
///
/// Events ([`events`]): `fork`, `online`, `listening`, `message`,
/// `disconnect`, `exit`, `setup`.
#[doc(alias = "cluster")]
#[derive(Clone)]
pub struct Cluster {
    pub(crate) inner: Arc<ClusterInner>,
}

pub(crate) struct ClusterInner {
    emitter: EventEmitter,
    settings: Mutex<Settings>,
    policy: Mutex<SchedulingPolicy>,
    ids: AtomicU32,
    workers: Mutex<BTreeMap<u32, Worker>>,
    handles: Mutex<HashMap<String, Handle>>,
    proto: Sender,
    /// Notified when the last worker is removed (Node: `intercom`'s `'disconnect'`).
    all_gone: Notify,
    /// `'setup'` and `'fork'` events not emitted yet, in order.
    pending: Mutex<VecDeque<Announce>>,
    /// Held while emitting them: an event of the worker on another thread
    /// waits until its `'fork'` listeners ran.
    announcing: Mutex<()>,
    runtime: tokio::runtime::Handle,
}

impl Emitter for Cluster {
    fn emitter(&self) -> &EventEmitter {
        &self.inner.emitter
    }
}

impl std::fmt::Debug for Cluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cluster")
            .field("workers", &self.workers().len())
            .field("policy", &self.scheduling_policy())
            .finish()
    }
}

impl Cluster {
    /// A primary with the default settings and the policy from
    /// `NODE_CLUSTER_SCHED_POLICY` (round-robin when unset). Must be
    /// called inside a tokio runtime.
    pub fn new() -> Result<Cluster, Error> {
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| {
            Error::new(
                rt_stream::Code::custom("ERR_NO_RUNTIME"),
                "a cluster primary must be made inside a tokio runtime",
            )
        })?;
        Ok(Cluster {
            inner: Arc::new(ClusterInner {
                emitter: EventEmitter::with_type_name("Cluster"),
                settings: Mutex::new(Settings::default()),
                policy: Mutex::new(SchedulingPolicy::from_env()),
                ids: AtomicU32::new(0),
                workers: Mutex::new(BTreeMap::new()),
                handles: Mutex::new(HashMap::new()),
                proto: Sender::default(),
                all_gone: Notify::new(),
                pending: Mutex::new(VecDeque::new()),
                announcing: Mutex::new(()),
                runtime,
            }),
        })
    }

    /// Sets the scheduling policy for the servers asked for from now on
    /// (Node: `cluster.schedulingPolicy = cluster.SCHED_RR`).
    #[doc(alias = "schedulingPolicy")]
    pub fn set_scheduling_policy(&self, policy: SchedulingPolicy) {
        *lock(&self.inner.policy) = policy;
    }

    /// The scheduling policy (Node: `cluster.schedulingPolicy`).
    pub fn scheduling_policy(&self) -> SchedulingPolicy {
        *lock(&self.inner.policy)
    }

    /// Sets the settings later forks use (Node: `cluster.setupPrimary(settings)`);
    /// `'setup'` follows on the next turn.
    #[doc(alias = "setupPrimary")]
    #[doc(alias = "setupMaster")]
    pub fn setup_primary(&self, settings: Settings) {
        *lock(&self.inner.settings) = settings.clone();
        self.inner.queue(Announce::Setup(settings));
        self.inner.announce_later();
    }

    /// The settings (Node: `cluster.settings`).
    pub fn settings(&self) -> Settings {
        lock(&self.inner.settings).clone()
    }

    /// Always true for a [`Cluster`] (Node: `cluster.isPrimary`).
    #[doc(alias = "isPrimary")]
    pub fn is_primary(&self) -> bool {
        true
    }

    /// The live workers by id, in id order (Node: `cluster.workers`).
    pub fn workers(&self) -> Vec<Worker> {
        lock(&self.inner.workers).values().cloned().collect()
    }

    /// The worker with this id, while it is in [`workers`](Cluster::workers).
    pub fn worker(&self, id: u32) -> Option<Worker> {
        lock(&self.inner.workers).get(&id).cloned()
    }

    /// Forks a worker with `env` added to this process's environment and
    /// `NODE_UNIQUE_ID` set (Node: `cluster.fork([env])`). As in Node,
    /// `'setup'` and then `'fork'` come after this returns (Node: on the
    /// next tick; here when the child's `'spawn'` (or spawn `'error'`) is
    /// emitted, which rt-child-process emits after the calling code), and
    /// always before any other event of the worker, `'online'` when the
    /// worker says so. A spawn that fails is the worker's `'error'`
    /// ([`events::worker::ERROR`]), as in Node.
    pub fn fork<K: Into<String>, V: Into<String>>(
        &self,
        env: impl IntoIterator<Item = (K, V)>,
    ) -> Result<Worker, Error> {
        let settings = self.settings();
        // Node's fork() calls setupPrimary(): its 'setup' comes first.
        self.inner.queue(Announce::Setup(settings.clone()));
        let made = self.spawn_worker(&settings, env);
        if made.is_err() {
            self.inner.announce_later();
        }
        made
    }

    fn spawn_worker<K: Into<String>, V: Into<String>>(
        &self,
        settings: &Settings,
        env: impl IntoIterator<Item = (K, V)>,
    ) -> Result<Worker, Error> {
        let id = self.inner.ids.fetch_add(1, Ordering::Relaxed) + 1;
        let (program, args) = settings.command();
        let mut options = SpawnOptions::new();
        options.cwd = settings.cwd.clone();
        options.uid = settings.uid;
        options.gid = settings.gid;
        options.env_extra = env.into_iter().map(|(k, v)| (k.into(), v.into())).collect();
        options.env_extra.push(("NODE_UNIQUE_ID".into(), id.to_string()));
        options.stdio = settings.spawn_stdio()?;
        let weak_cluster = Arc::downgrade(&self.inner);
        let mut made: Option<Worker> = None;
        spawn_with(&program, args, options, |child| {
            let worker = Worker::new(id, child.clone(), weak_cluster.clone() as Weak<dyn Primary>);
            // Queued before any event of the child can be seen.
            self.inner.queue(Announce::Fork(worker.clone()));
            wire(&worker, child, &weak_cluster);
            made = Some(worker);
        })?;
        let worker = made.ok_or_else(|| Error::new(rt_stream::Code::custom("ERR_FORK"), "fork failed"))?;
        lock(&self.inner.workers).insert(id, worker.clone());
        if let Some(channel) = worker.process().channel() {
            let (w, c) = (worker.downgrade(), weak_cluster.clone());
            channel.on_internal(move |m: InternalMessage| {
                let (Some(worker), Some(inner)) = (Worker::upgrade(&w), c.upgrade()) else {
                    return;
                };
                inner.announce(Some(&worker));
                inner.on_message(&worker, m);
            });
            // A worker's answer to a handed-over connection, round-robin's
            // one message per connection, is read without a JSON value.
            let (w, c) = (worker.downgrade(), weak_cluster);
            channel.filter_internal(move |line, handle| {
                if handle.is_some() {
                    return false;
                }
                let Some((ack, accepted)) = newconn_answer(line) else {
                    return false;
                };
                let (Some(worker), Some(inner)) = (Worker::upgrade(&w), c.upgrade()) else {
                    return false;
                };
                let Some(reply) = inner.proto.take(ack) else {
                    return false;
                };
                inner.announce(Some(&worker));
                reply(accepted);
                true
            });
        }
        Ok(worker)
    }

    /// Disconnects every connected worker (Node: `cluster.disconnect([cb])`)
    /// and resolves when Node calls `cb`: the first time, after that, that
    /// a worker's channel closes or it exits with no worker left in
    /// [`workers`](Cluster::workers) (each `disconnect` removed them
    /// already). Await each worker's exit for the end of every process.
    pub async fn disconnect(&self) {
        let workers = self.workers();
        if workers.is_empty() {
            return;
        }
        for w in &workers {
            if w.is_connected() {
                w.disconnect();
            }
        }
        // As Node's `intercom.once('disconnect', cb)`, registered after the
        // loop: the next time a removal leaves no worker (a worker's
        // channel closing or its exit), which may already have happened
        // on another thread.
        loop {
            let gone = self.inner.all_gone.notified();
            tokio::pin!(gone);
            gone.as_mut().enable();
            let any_left = workers.iter().any(|w| !w.is_connected() || w.is_dead());
            if any_left && lock(&self.inner.workers).is_empty() {
                return;
            }
            gone.await;
        }
    }
}

/// Listens to a new worker's process: its exit, its channel's close, its
/// messages and its cluster messages.
fn wire(worker: &Worker, child: &rt_child_process::ChildProcess, cluster: &Weak<ClusterInner>) {
    let (w, c) = (worker.downgrade(), cluster.clone());
    child.on(&CP_SPAWN, move |_| {
        if let (Some(worker), Some(inner)) = (Worker::upgrade(&w), c.upgrade()) {
            inner.announce(Some(&worker));
        }
    });
    let (w, c) = (worker.downgrade(), cluster.clone());
    child.on(&CP_ERROR, move |e| {
        let (Some(worker), Some(inner)) = (Worker::upgrade(&w), c.upgrade()) else {
            return;
        };
        // Node: the worker re-emits its process's 'error'; a failed spawn's
        // comes before 'fork'.
        let _ = worker.emitter().emit_error(&wev::ERROR, e.clone());
        inner.announce(Some(&worker));
    });
    let (w, c) = (worker.downgrade(), cluster.clone());
    child.on(&CP_MESSAGE, move |m| {
        let (Some(worker), Some(inner)) = (Worker::upgrade(&w), c.upgrade()) else {
            return;
        };
        inner.announce(Some(&worker));
        worker.emit(&wev::MESSAGE, m.clone());
        Cluster { inner }.emit(&events::MESSAGE, (worker, m.clone()));
    });
    let (w, c) = (worker.downgrade(), cluster.clone());
    child.on(&CP_EXIT, move |info| {
        let (Some(worker), Some(inner)) = (Worker::upgrade(&w), c.upgrade()) else {
            return;
        };
        inner.announce(Some(&worker));
        if !worker.is_connected() {
            inner.remove_handles_for(&worker);
            inner.remove_worker(&worker);
        }
        inner.proto.forget(worker.id());
        let ead = worker.exited_after_disconnect().unwrap_or(false);
        worker.set_exited_after_disconnect(Some(ead));
        worker.set_state(State::Dead);
        worker.emit(&wev::EXIT, *info);
        Cluster { inner }.emit(&events::EXIT, (worker, *info));
    });
    let (w, c) = (worker.downgrade(), cluster.clone());
    child.on(&CP_DISCONNECT, move |_| {
        if let (Some(worker), Some(inner)) = (Worker::upgrade(&w), c.upgrade()) {
            disconnected(inner, worker);
        }
    });
    let (w, c) = (worker.downgrade(), cluster.clone());
    child.on(&CP_CLOSE, move |_| {
        // A fork that could not be spawned: Node's channel closes after
        // 'close' ('disconnect'); rt-child-process's does not say so.
        let (Some(worker), Some(inner)) = (Worker::upgrade(&w), c.upgrade()) else {
            return;
        };
        if worker.process().pid().is_none() {
            disconnected(inner, worker);
        }
    });
}

/// The worker's channel closed (Node: the process's `'disconnect'`).
fn disconnected(inner: Arc<ClusterInner>, worker: Worker) {
    if !worker.first_disconnect() {
        return;
    }
    inner.announce(Some(&worker));
    inner.remove_handles_for(&worker);
    if worker.is_dead() {
        inner.remove_worker(&worker);
    }
    let ead = worker.exited_after_disconnect().unwrap_or(false);
    worker.set_exited_after_disconnect(Some(ead));
    worker.set_state(State::Disconnected);
    worker.emit(&wev::DISCONNECT, ());
    Cluster { inner }.emit(&events::DISCONNECT, worker);
}

impl Primary for ClusterInner {
    fn proto(&self) -> &Sender {
        &self.proto
    }

    fn detach(&self, worker: &Worker) {
        self.remove_handles_for(worker);
        self.remove_worker(worker);
    }
}

/// A `'setup'` or `'fork'` event waiting for its turn.
enum Announce {
    Setup(Settings),
    Fork(Worker),
}

thread_local! {
    /// This thread is emitting announcements (a listener's own events
    /// must not wait for the lock it holds).
    static ANNOUNCING: Cell<bool> = const { Cell::new(false) };
}

impl ClusterInner {
    fn queue(&self, a: Announce) {
        lock(&self.pending).push_back(a);
    }

    /// Emits the pending `'setup'` / `'fork'` events in order: with a
    /// worker, up to and including its `'fork'` (returns once that was
    /// emitted, by this thread or another); without, the `'setup'`s before
    /// the first pending `'fork'` (Node: each is its own tick, and a
    /// fork's comes after its child's `'spawn'` or `'error'`).
    fn announce(self: &Arc<Self>, upto: Option<&Worker>) {
        if upto.is_some_and(Worker::announced) || ANNOUNCING.get() {
            return;
        }
        let _held = lock(&self.announcing);
        ANNOUNCING.set(true);
        loop {
            let next = {
                let mut pending = lock(&self.pending);
                match (pending.front(), upto) {
                    (None, _) | (Some(Announce::Fork(_)), None) => None,
                    (Some(_), _) => pending.pop_front(),
                }
            };
            match next {
                None => break,
                Some(Announce::Setup(s)) => {
                    self.cluster().emit(&events::SETUP, s);
                }
                Some(Announce::Fork(w)) => {
                    self.cluster().emit(&events::FORK, w.clone());
                    w.set_announced();
                    if upto == Some(&w) {
                        break;
                    }
                }
            };
        }
        ANNOUNCING.set(false);
    }

    /// Announces on a later turn (Node's `process.nextTick`).
    fn announce_later(self: &Arc<Self>) {
        let me = self.clone();
        self.runtime.spawn(async move { me.announce(None) });
    }

    fn on_message(self: &Arc<Self>, worker: &Worker, m: InternalMessage) {
        if !is_cluster(&m.message) {
            return;
        }
        if let Some(ack) = m.message.get("ack").and_then(Value::as_u64) {
            if let Some(reply) = self.proto.take(ack) {
                reply(m.message.get("accepted").and_then(Value::as_bool) == Some(true));
                return;
            }
        }
        match m.message.get("act").and_then(Value::as_str) {
            Some("online") => {
                worker.set_state(State::Online);
                worker.emit(&wev::ONLINE, ());
                self.cluster().emit(&events::ONLINE, worker.clone());
            }
            Some("queryServer") => self.query_server(worker, &m.message),
            Some("listening") => {
                let info = Address::from_message(&m.message);
                worker.set_state(State::Listening);
                worker.emit(&wev::LISTENING, info.clone());
                self.cluster().emit(&events::LISTENING, (worker.clone(), info));
            }
            Some("close") => {
                let key = js(m.message.get("key"));
                let handle = lock(&self.handles).get(&key).cloned();
                if let Some(h) = handle {
                    if h.remove(worker.id()) {
                        lock(&self.handles).remove(&key);
                    }
                }
            }
            Some("exitedAfterDisconnect") => {
                worker.set_exited_after_disconnect(Some(true));
                let ack = m.message.get("seq").cloned().unwrap_or(Value::Null);
                self.send(worker, fields(json!({ "ack": ack })), None);
            }
            _ => {}
        }
    }

    fn cluster(self: &Arc<Self>) -> Cluster {
        Cluster { inner: self.clone() }
    }

    pub(crate) fn send(
        &self,
        worker: &Worker,
        fields: Map<String, Value>,
        handle: Option<Arc<std::os::fd::OwnedFd>>,
    ) {
        if let Some(ch) = worker.process().channel() {
            let _ = self.proto.send(ch, fields, handle);
        }
    }

    /// Node's `queryServer`: the handle for this address (made on first
    /// ask), the worker added to it, the answer sent when it is ready.
    fn query_server(self: &Arc<Self>, worker: &Worker, m: &Value) {
        if worker.exited_after_disconnect() == Some(true) {
            return;
        }
        let key = format!(
            "{}:{}:{}:{}:{}",
            js(m.get("address")),
            js(m.get("port")),
            js(m.get("addressType")),
            js(m.get("fd")),
            js(m.get("index"))
        );
        let policy = *lock(&self.policy);
        let handle = lock(&self.handles)
            .entry(key.clone())
            .or_insert_with(|| Handle::new(key.clone(), policy, m, &self.runtime))
            .clone();
        let seq = m.get("seq").cloned().unwrap_or(Value::Null);
        let data = m.get("data").cloned().unwrap_or(Value::Null);
        let weak = Arc::downgrade(self);
        let w = worker.downgrade();
        handle.add(
            worker,
            Box::new(move |errno: Value, reply: Map<String, Value>, fd| {
                let (Some(inner), Some(worker)) = (weak.upgrade(), Worker::upgrade(&w)) else {
                    return;
                };
                if !errno.is_null() && errno != json!(0) {
                    // Gives other workers a chance to retry.
                    lock(&inner.handles).remove(&key);
                }
                let mut f = fields(json!({"errno": errno, "key": key, "ack": seq, "data": data}));
                f.extend(reply);
                inner.send(&worker, f, fd);
            }),
        );
    }

    pub(crate) fn remove_handles_for(&self, worker: &Worker) {
        let all: Vec<(String, Handle)> = lock(&self.handles)
            .iter()
            .map(|(k, h)| (k.clone(), h.clone()))
            .collect();
        for (key, h) in all {
            if h.remove(worker.id()) {
                lock(&self.handles).remove(&key);
            }
        }
    }

    pub(crate) fn remove_worker(&self, worker: &Worker) {
        let empty = {
            let mut ws = lock(&self.workers);
            if ws.get(&worker.id()).is_some_and(|w| w == worker) {
                ws.remove(&worker.id());
            }
            ws.is_empty()
        };
        if empty {
            self.all_gone.notify_waiters();
        }
    }
}
