//! The events of the cluster (on a [`Cluster`](crate::Cluster)) and of
//! each [`Worker`], as rt-events keys, with Node's names
//! and arguments.

use rt_child_process::ExitInfo;
use rt_events::Event;
use serde_json::Value;

use crate::address::Address;
use crate::settings::Settings;
use crate::worker::Worker;

/// Cluster: a worker was forked (Node: `'fork'`, `(worker)`).
pub static FORK: Event<Worker> = Event::new("fork");
/// Cluster: a worker is running and said so (Node: `'online'`, `(worker)`).
pub static ONLINE: Event<Worker> = Event::new("online");
/// Cluster: a worker's server listens (Node: `'listening'`, `(worker, address)`).
pub static LISTENING: Event<(Worker, Address)> = Event::new("listening");
/// Cluster: a worker's channel closed (Node: `'disconnect'`, `(worker)`).
pub static DISCONNECT: Event<Worker> = Event::new("disconnect");
/// Cluster: a worker exited (Node: `'exit'`, `(worker, code, signal)`).
pub static EXIT: Event<(Worker, ExitInfo)> = Event::new("exit");
/// Cluster: a worker sent a message (Node: `'message'`, `(worker, message)`).
pub static MESSAGE: Event<(Worker, Value)> = Event::new("message");
/// Cluster: `setup_primary` (or a fork) applied the settings (Node: `'setup'`).
pub static SETUP: Event<Settings> = Event::new("setup");
/// Cluster (rt's restart policy): a worker was replaced after exiting on
/// its own (`(old worker, new worker)`).
pub static RESTART: Event<(Worker, Worker)> = Event::new("restart");
/// Cluster (rt's restart policy): too many restarts in the window; this
/// slot is no longer restarted (`(the last worker, restarts in the window)`).
pub static RESTART_LIMIT: Event<(Worker, usize)> = Event::new("restartLimit");

/// The events of one [`Worker`] (Node: `worker.on(...)`).
pub mod worker {
    use super::*;

    /// The worker is running (Node: `'online'`).
    pub static ONLINE: Event<()> = Event::new("online");
    /// One of its servers listens (Node: `'listening'`, `(address)`).
    pub static LISTENING: Event<Address> = Event::new("listening");
    /// Its channel closed (Node: `'disconnect'`).
    pub static DISCONNECT: Event<()> = Event::new("disconnect");
    /// It exited (Node: `'exit'`, `(code, signal)`).
    pub static EXIT: Event<ExitInfo> = Event::new("exit");
    /// It sent a message (Node: `'message'`).
    pub static MESSAGE: Event<Value> = Event::new("message");
    /// Its process could not be spawned, killed or sent to (Node:
    /// `'error'`, re-emitted from `worker.process`).
    pub use rt_child_process::events::ERROR;
}
