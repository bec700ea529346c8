//! What a connection task shares with its server and its messages: close
//! orders, the idle state, the deadline the server's sweeper watches, and
//! the kick that wakes the task.

use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::task::{Context, Poll, Waker};

/// What the server knows of one connection task.
pub(crate) struct ConnShared {
    /// 0: run; 1: close if idle; 2: close now.
    pub(crate) order: AtomicU8,
    /// 1 while the connection waits for a request with nothing in flight;
    /// [`IDLE_KEEP_ALIVE`] when that wait is under the keep-alive timeout.
    pub(crate) idle: AtomicU8,
    pub(crate) kick: Kick,
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

/// Wakes one connection task (its only waiter), as `Notify::notify_one`
/// does: a kick with nobody waiting is kept for the next wait. The task's
/// waker sits in one slot, replaced only when it changes: a wait costs a
/// flag check and an uncontended lock, not a waiter linked into a list and
/// unlinked again (the connection waits for its head with a kick armed on
/// every keep-alive request).
#[derive(Default)]
pub(crate) struct Kick {
    kicked: AtomicBool,
    waker: Mutex<Option<Waker>>,
}

impl Kick {
    /// Kicks the task (kept until its next wait if it is not waiting).
    pub(crate) fn notify_one(&self) {
        self.kicked.store(true, Ordering::Release);
        let waker = self.waker.lock().unwrap_or_else(PoisonError::into_inner).take();
        if let Some(w) = waker {
            w.wake();
        }
    }

    fn take(&self) -> bool {
        self.kicked.load(Ordering::Acquire) && self.kicked.swap(false, Ordering::AcqRel)
    }

    /// Ready once kicked (a kick before the wait counts), then consumed.
    pub(crate) fn poll_kicked(&self, cx: &mut Context<'_>) -> Poll<()> {
        if self.take() {
            return Poll::Ready(());
        }
        {
            let mut slot = self.waker.lock().unwrap_or_else(PoisonError::into_inner);
            match &*slot {
                Some(w) if w.will_wake(cx.waker()) => {}
                _ => *slot = Some(cx.waker().clone()),
            }
        }
        // A kick between the first look and the waker's storing.
        if self.take() {
            return Poll::Ready(());
        }
        Poll::Pending
    }

    /// The next kick (one kept from before included).
    pub(crate) async fn notified(&self) {
        std::future::poll_fn(|cx| self.poll_kicked(cx)).await
    }
}
