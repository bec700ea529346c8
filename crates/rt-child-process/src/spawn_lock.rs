//! One spawn at a time in this process, from the moment a child's fds are
//! made until its exec (Node's libuv takes a write lock around the same
//! stretch of `uv_spawn`).
//!
//! Every fd this crate makes is close-on-exec, but a process being forked
//! holds a copy of all of them from its fork until its exec. A child's end
//! of its IPC channel copied so into a sibling would outlive the child: the
//! child's exit would leave no end of file, and `'exit'` could not tell the
//! channel's end from a grandchild holding it. Under this lock no spawn of
//! this crate forks while another child's ends are open in this process,
//! and `spawn` returns only after the exec (std waits for it), so once the
//! lock is released only the child holds its ends.

use std::sync::{Mutex, MutexGuard, PoisonError};

static SPAWNING: Mutex<()> = Mutex::new(());

/// Holds the lock until the guard is dropped: make the child's fds, spawn,
/// close the child's ends here, then drop it.
pub(crate) fn hold() -> MutexGuard<'static, ()> {
    SPAWNING.lock().unwrap_or_else(PoisonError::into_inner)
}
