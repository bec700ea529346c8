//! [`Worker`]: the primary's handle on one worker process (Node: `Worker`
//! in `internal/cluster/worker.js` and `primary.js`).

use std::sync::{Arc, Mutex, Weak};

use rt_child_process::{ChildProcess, Signal};
use rt_events::{Emitter, EventEmitter};
use rt_stream::Error;
use serde_json::json;

use crate::protocol::{Sender, fields, lock};

/// A worker's state (Node: `worker.state`), in the order it moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum State {
    /// Forked, not yet online (Node: `'none'`).
    None,
    /// Running (Node: `'online'`).
    Online,
    /// One of its servers listens (Node: `'listening'`).
    Listening,
    /// Its channel closed (Node: `'disconnected'`).
    Disconnected,
    /// It exited (Node: `'dead'`).
    Dead,
}

impl State {
    /// Node's name of the state (`"none"`, `"online"`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            State::None => "none",
            State::Online => "online",
            State::Listening => "listening",
            State::Disconnected => "disconnected",
            State::Dead => "dead",
        }
    }
}

/// What a worker needs of the primary that forked it. The primary's state
/// implements it, so this file does not depend on the primary's.
pub(crate) trait Primary: Send + Sync {
    /// The primary's cluster-message sender (one `seq` counter for all
    /// its workers).
    fn proto(&self) -> &Sender;
    /// Takes the worker out of the primary's handles and worker list.
    fn detach(&self, worker: &Worker);
}

/// One worker process, as the primary sees it (Node: `cluster.Worker`).
/// A cheap `Clone` handle.
///
/// Events ([`events::worker`](crate::events::worker)): `online`,
/// `listening(address)`, `message`, `disconnect`, `exit(code, signal)`.
#[doc(alias = "cluster.Worker")]
#[derive(Clone)]
pub struct Worker {
    pub(crate) inner: Arc<WorkerInner>,
}

pub(crate) struct WorkerInner {
    pub(crate) id: u32,
    pub(crate) process: ChildProcess,
    pub(crate) emitter: EventEmitter,
    pub(crate) st: Mutex<WorkerState>,
    pub(crate) cluster: Weak<dyn Primary>,
}

pub(crate) struct WorkerState {
    pub(crate) state: State,
    pub(crate) exited_after_disconnect: Option<bool>,
    /// The primary emitted its `'fork'`.
    pub(crate) announced: bool,
    /// Its `'disconnect'` was emitted.
    pub(crate) disconnect_emitted: bool,
}

impl Emitter for Worker {
    fn emitter(&self) -> &EventEmitter {
        &self.inner.emitter
    }
}

impl std::fmt::Debug for Worker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Worker")
            .field("id", &self.id())
            .field("pid", &self.inner.process.pid())
            .field("state", &self.state())
            .finish()
    }
}

impl PartialEq for Worker {
    fn eq(&self, other: &Worker) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }
}

impl Worker {
    pub(crate) fn new(id: u32, process: ChildProcess, cluster: Weak<dyn Primary>) -> Worker {
        Worker {
            inner: Arc::new(WorkerInner {
                id,
                process,
                emitter: EventEmitter::with_type_name("Worker"),
                st: Mutex::new(WorkerState {
                    state: State::None,
                    exited_after_disconnect: None,
                    announced: false,
                    disconnect_emitted: false,
                }),
                cluster,
            }),
        }
    }

    pub(crate) fn downgrade(&self) -> Weak<WorkerInner> {
        Arc::downgrade(&self.inner)
    }

    pub(crate) fn upgrade(w: &Weak<WorkerInner>) -> Option<Worker> {
        w.upgrade().map(|inner| Worker { inner })
    }

    /// The worker's id, 1, 2, ... in fork order (Node: `worker.id`; the
    /// worker sees it as `NODE_UNIQUE_ID`).
    pub fn id(&self) -> u32 {
        self.inner.id
    }

    /// The worker's process (Node: `worker.process`).
    pub fn process(&self) -> &ChildProcess {
        &self.inner.process
    }

    /// The state (Node: `worker.state`).
    pub fn state(&self) -> State {
        lock(&self.inner.st).state
    }

    pub(crate) fn announced(&self) -> bool {
        lock(&self.inner.st).announced
    }

    pub(crate) fn set_announced(&self) {
        lock(&self.inner.st).announced = true;
    }

    /// Marks `'disconnect'` as emitted; false if it already was.
    pub(crate) fn first_disconnect(&self) -> bool {
        !std::mem::replace(&mut lock(&self.inner.st).disconnect_emitted, true)
    }

    pub(crate) fn set_state(&self, state: State) {
        lock(&self.inner.st).state = state;
    }

    /// `Some(true)` when the worker left because `disconnect()` (or its own
    /// `disconnect()`) asked it to, `Some(false)` once it left otherwise,
    /// `None` before (Node: `worker.exitedAfterDisconnect`).
    #[doc(alias = "exitedAfterDisconnect")]
    pub fn exited_after_disconnect(&self) -> Option<bool> {
        lock(&self.inner.st).exited_after_disconnect
    }

    pub(crate) fn set_exited_after_disconnect(&self, v: Option<bool>) {
        lock(&self.inner.st).exited_after_disconnect = v;
    }

    /// The process exited (Node: `worker.isDead()`).
    #[doc(alias = "isDead")]
    pub fn is_dead(&self) -> bool {
        self.inner.process.exit_code().is_some() || self.inner.process.signal_code().is_some()
    }

    /// The channel is open (Node: `worker.isConnected()`).
    #[doc(alias = "isConnected")]
    pub fn is_connected(&self) -> bool {
        self.inner.process.connected()
    }

    /// Sends a message to the worker (Node: `worker.send(message)`).
    pub fn send<T: serde::Serialize + ?Sized>(&self, message: &T) -> Result<bool, Error> {
        self.inner.process.send(message)
    }

    /// Kills the worker with `signal` (Node: `worker.kill([signal])`, which
    /// in a v20 primary is `worker.process.kill(signal)`; default SIGTERM).
    #[doc(alias = "destroy")]
    pub fn kill(&self, signal: Signal) -> bool {
        self.inner.process.kill(signal)
    }

    /// Asks the worker to close its servers (it stops getting connections
    /// at once, finishes what it has) and then its channel (Node:
    /// `worker.disconnect()`); it is removed from
    /// [`Cluster::workers`](crate::Cluster::workers) now, and
    /// `exited_after_disconnect` becomes true.
    pub fn disconnect(&self) -> &Worker {
        self.set_exited_after_disconnect(Some(true));
        if let Some(c) = self.inner.cluster.upgrade() {
            if let Some(ch) = self.inner.process.channel() {
                let _ = c.proto().send(ch, fields(json!({"act": "disconnect"})), None);
            }
            c.detach(self);
        }
        self
    }
}
