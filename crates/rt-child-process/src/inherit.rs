//! What children do not inherit from this process's environment: Node
//! deletes such variables from `process.env` (the channel's
//! `NODE_CHANNEL_FD` / `NODE_CHANNEL_SERIALIZATION_MODE`, a cluster
//! worker's `NODE_UNIQUE_ID`); Rust 2024 needs `unsafe` to remove a
//! variable from the process, so spawns leave them out instead.

use std::process::Command;
use std::sync::{Mutex, PoisonError};

static HIDDEN: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Keeps the environment variable `name` out of every child spawned from
/// now on without an explicit `env` (what Node gets with `delete
/// process.env[name]`; the variable stays in this process). A variable
/// given in `env_extra` is still passed.
#[doc(alias = "process.env")]
pub fn hide_env_from_children(name: &str) {
    let mut hidden = HIDDEN.lock().unwrap_or_else(PoisonError::into_inner);
    if !hidden.iter().any(|n| n == name) {
        hidden.push(name.to_string());
    }
}

/// Removes the hidden variables from an inheriting command's environment.
pub(crate) fn apply(cmd: &mut Command) {
    if crate::ipc::claimed() {
        // This process was forked with a channel: its children do not
        // inherit the channel's variables, as in Node.
        cmd.env_remove(crate::channel_env::CHANNEL_FD)
            .env_remove(crate::channel_env::SERIALIZATION_MODE);
    }
    for name in HIDDEN.lock().unwrap_or_else(PoisonError::into_inner).iter() {
        cmd.env_remove(name);
    }
}
