//! What a connection task shares with its server and its messages: close
//! orders, the idle state, the deadline the server's sweeper watches, and
//! the kick that wakes the task.

use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, Ordering};

use tokio::sync::Notify;

/// What the server knows of one connection task.
pub(crate) struct ConnShared {
    /// 0: run; 1: close if idle; 2: close now.
    pub(crate) order: AtomicU8,
    /// 1 while the connection waits for a request with nothing in flight;
    /// [`IDLE_KEEP_ALIVE`] when that wait is under the keep-alive timeout.
    pub(crate) idle: AtomicU8,
    pub(crate) kick: Notify,
    /// When the current wait times out (the server's clock, ms); 0: never.
    pub(crate) deadline: AtomicU64,
    /// Set by the sweeper when `deadline` passed.
    pub(crate) expired: AtomicBool,
}

impl ConnShared {
    /// Sets (or clears) the connection's deadline: one atomic store; the
    /// server's sweeper kicks the connection when it passes (no timer per
    /// request).
    pub(crate) fn set_deadline(&self, at: Option<u64>) {
        self.deadline.store(at.map_or(0, |d| d.max(1)), Ordering::Release);
    }

    /// Whether the deadline passed (clears the mark).
    pub(crate) fn take_expired(&self) -> bool {
        self.expired.load(Ordering::Acquire) && self.expired.swap(false, Ordering::AcqRel)
    }
}

pub(crate) const ORDER_CLOSE_IDLE: u8 = 1;
pub(crate) const ORDER_CLOSE_NOW: u8 = 2;
/// `ConnShared::idle`: idle after a response, under the keep-alive timeout
/// (Node has swapped the socket's timeout for the keep-alive one).
pub(crate) const IDLE_KEEP_ALIVE: u8 = 2;
