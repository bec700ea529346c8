//! The events of a child process (and of a forked program's channel), as
//! typed rt-events keys.

use rt_events::Event;
use serde_json::Value;

/// How a child ended: `code` when it exited, `signal` when a signal ended
/// it (Node passes them as `'exit'`'s and `'close'`'s two arguments).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExitInfo {
    /// The exit code (Node: `code`), or the negative errno of a spawn that failed.
    pub code: Option<i32>,
    /// The signal's name (Node: `signal`, `'SIGTERM'`).
    pub signal: Option<&'static str>,
}

impl ExitInfo {
    /// Exit code 0 and no signal.
    pub fn success(&self) -> bool {
        self.code == Some(0) && self.signal.is_none()
    }
}

/// The child started (Node: `'spawn'`), before any `'exit'`.
pub static SPAWN: Event<()> = Event::new("spawn");
/// The child exited or was ended by a signal (Node: `'exit'(code, signal)`).
pub static EXIT: Event<ExitInfo> = Event::new("exit");
/// The child exited and all its stdio streams (and its channel) closed
/// (Node: `'close'(code, signal)`); always the last event.
pub static CLOSE: Event<ExitInfo> = Event::new("close");
/// The child could not be spawned or killed, or a channel failed (Node: `'error'`).
pub use rt_stream::events::ERROR;
/// A message arrived on the IPC channel (Node: `'message'`).
pub static MESSAGE: Event<Value> = Event::new("message");
/// The IPC channel closed (Node: `'disconnect'`).
pub static DISCONNECT: Event<()> = Event::new("disconnect");
