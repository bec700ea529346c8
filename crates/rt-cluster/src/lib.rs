//! # rt-cluster — Node.js's `cluster` module, in Rust on tokio
//!
//! One port, many worker processes, speaking Node v20's own cluster
//! protocol (`NODE_CLUSTER` messages with `seq` / `ack` over the IPC
//! channel, connections and sockets as `NODE_HANDLE`s with SCM_RIGHTS), so
//! an rt primary runs rt or Node workers and a Node primary runs rt workers,
//! round-robin or shared-handle.
//!
//! ## Node API -> rt
//!
//! | Node | rt |
//! |---|---|
//! | `cluster.isPrimary` / `isWorker` | [`is_primary`] (in a worker it also starts the worker side), [`is_worker`] |
//! | `cluster.setupPrimary({ exec, args, execArgv, silent, stdio, cwd, uid, gid, inspectPort })`, `cluster.settings` | [`Cluster::setup_primary`] with [`Settings`] ([`WorkerStdio`]), [`Cluster::settings`] |
//! | `cluster.schedulingPolicy`, `NODE_CLUSTER_SCHED_POLICY` | [`Cluster::set_scheduling_policy`], [`SchedulingPolicy`] |
//! | `cluster.fork([env])`, `cluster.workers`, `cluster.disconnect([cb])` | [`Cluster::fork`], [`Cluster::workers`] / [`Cluster::worker`], [`Cluster::disconnect`] |
//! | `'fork'`, `'online'`, `'listening'`, `'message'`, `'disconnect'`, `'exit'`, `'setup'`; `worker.on('error')` | [`events`], [`events::worker`] |
//! | `worker.id`, `process`, `state`, `send`, `kill`, `disconnect`, `isDead`, `isConnected`, `exitedAfterDisconnect` | [`Worker`] |
//! | `cluster.worker` inside a worker, `worker.disconnect()` | [`worker_side::start`] / [`worker_side::current`] -> [`worker_side::ThisWorker`] |
//! | `server.listen()` in a worker | rt-net's / rt-http's `listen`, unchanged: it asks the primary |
//! | (pm2) restart on crash with limits, `reload`, graceful stop | [`supervisor::Supervisor`], [`supervisor::RestartPolicy`], [`events::RESTART`], [`events::RESTART_LIMIT`] |
//!
//! ## Design
//!
//! - **Worker-side listen.** rt-net cannot depend on rt-cluster, so rt-net
//!   has a process-wide listen interceptor (`rt_net::cluster`); the worker
//!   side installs it. Rust has no way (without `unsafe` link sections) to
//!   run code before `main`, so a worker must call [`is_primary`] (what
//!   every cluster program calls to branch anyway) or [`worker_side::start`]
//!   before listening. Forgetting it is a clear error from `listen`
//!   (`ERR_CLUSTER_WORKER_NOT_STARTED`), never a plain bind of the port.
//!   `exclusive: true` skips the primary, as in Node.
//! - **Round-robin**: the primary listens (an rt-net server whose raw
//!   connection hook takes each accepted fd), and hands each connection to
//!   the next free worker as a `net.Native` handle with a `newconn`
//!   message; the worker answers, and its server (listening "remotely",
//!   `Server::listen_remote`) is fed the connection
//!   (`Server::feed_connection`: rt-http's raw hook sees it as if accepted).
//!   A worker gets no new connection before it answered the last one; one
//!   not accepted (its server was closing) goes to another worker.
//! - **Shared handle**: the primary binds without listening and sends the
//!   socket to each worker, which listens and accepts itself.
//! - **Internal messages** (`NODE_*`) go to the channel's internal receiver
//!   (`Channel::on_internal`), never to `'message'` listeners.
//! - **Disconnect**: the primary's `disconnect` message makes the worker
//!   close its servers gracefully (an rt-http server answers what is in
//!   flight), send `close` per server, and close the channel; the worker
//!   process then exits with 0. A worker whose primary vanished exits at once.
//!
//! ## Differences from Node
//!
//! - A Node primary runs `process.execPath` with `exec` as its script: to
//!   run an rt worker binary from a Node primary, set `process.execPath` to
//!   it before `cluster.fork()`. An rt primary runs [`Settings::exec`]
//!   directly, or under [`Settings::exec_path`] (`"node"` for Node workers).
//! - After its channel closed a worker process exits (Node lets its event
//!   loop run dry); [`worker_side::ThisWorker::set_exit_on_disconnect`] keeps it.
//! - Only json serialization; no `windowsHide`.
//! - `'setup'` and `'fork'` come after `setup_primary` / `fork` return
//!   (Node: next tick) when called from a task or on a current-thread
//!   runtime; from a multi-thread runtime's `block_on` thread they may come
//!   before the call returns (as rt-child-process's `'spawn'`), but always
//!   before any other event of the worker.
//! - A worker does not remove `NODE_UNIQUE_ID` from its own environment
//!   (Rust 2024 needs `unsafe` for that); programs it spawns without an
//!   explicit `env` do not get it, as in Node.
#![forbid(unsafe_code)]

mod acceptor;
mod address;
mod bind;
mod child;
pub mod events;
mod handles;
mod primary;
mod protocol;
mod settings;
pub mod supervisor;
mod worker;

pub use address::Address;
pub use child::{is_primary, is_worker};
pub use primary::Cluster;
pub use rt_child_process::{ExitInfo, Signal};
pub use rt_events::Emitter;
pub use settings::{SchedulingPolicy, Settings, WorkerStdio};
pub use worker::{State, Worker};

/// The worker's side: this process as a cluster worker (Node: `cluster.worker`).
pub mod worker_side {
    pub use crate::child::{ThisWorker, current, start};
}
