//! [`IdleTimer`]: one resettable idle timer per connection (Node's
//! `socket.setTimeout(ms)` timer, which `refresh()`es on every read and write).
//!
//! Re-arming and recording activity are atomic stores: no task, no lock, no
//! allocation per call. Whoever waits for the timeout (one driver task per
//! socket, or the connection's own I/O task) awaits [`IdleTimer::expired`],
//! which sleeps to the deadline computed from the last activity and
//! re-computes it when it wakes early or late.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use tokio::sync::Notify;

/// Timeout value meaning "off" (Node: `setTimeout(0)`).
const OFF: u64 = 0;
/// Timeout value meaning "too large for the clock": armed, never fires.
const NEVER: u64 = u64::MAX;

/// One resettable idle timer: fires once after a whole timeout without
/// activity, and again only after new activity followed by another whole
/// timeout. Node: the timer behind `socket.setTimeout(ms)` and `'timeout'`.
///
/// Clones share the timer. [`set_timeout`](IdleTimer::set_timeout) and
/// [`touch`](IdleTimer::touch) only store atomics, so re-arming it per
/// request costs nothing that grows: at most one waiter (see
/// [`expired`](IdleTimer::expired)) exists per timer.
#[doc(alias = "setTimeout")]
#[derive(Clone, Debug)]
pub struct IdleTimer {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    origin: Instant,
    /// Last activity, in microseconds since `origin`.
    last: AtomicU64,
    /// The timeout in microseconds (`OFF`, `NEVER`, or the value).
    timeout: AtomicU64,
    /// Bumped by every `set_timeout`: a re-arm starts a new idle period
    /// even within the same microsecond as the last activity.
    epoch: AtomicU64,
    closed: AtomicBool,
    /// A driver task was started for this timer (see `claim_driver`).
    driver: AtomicBool,
    /// Wakes the waiter when the timeout changes or the timer closes.
    notify: Notify,
    /// `(epoch, last)` of the idle period the timer last fired for.
    fired: Mutex<Option<(u64, u64)>>,
}

impl Default for IdleTimer {
    fn default() -> Self {
        IdleTimer::new()
    }
}

impl IdleTimer {
    /// A timer that is off (no timeout set).
    pub fn new() -> IdleTimer {
        IdleTimer {
            shared: Arc::new(Shared {
                origin: Instant::now(),
                last: AtomicU64::new(0),
                timeout: AtomicU64::new(OFF),
                epoch: AtomicU64::new(0),
                closed: AtomicBool::new(false),
                driver: AtomicBool::new(false),
                notify: Notify::new(),
                fired: Mutex::new(None),
            }),
        }
    }

    fn now_us(&self) -> u64 {
        u64::try_from(self.shared.origin.elapsed().as_micros()).unwrap_or(NEVER - 1)
    }

    /// Sets (re-arms) the idle timeout, counting from now; `Duration::ZERO`
    /// turns it off. Cheap enough to call per request. Node: `socket.setTimeout(ms)`.
    #[doc(alias = "setTimeout")]
    pub fn set_timeout(&self, timeout: Duration) {
        let us = if timeout.is_zero() {
            OFF
        } else {
            // At least 1 µs; a timeout too large for the clock never fires.
            match u64::try_from(timeout.as_micros()) {
                Ok(v) if v < NEVER => v.max(1),
                _ => NEVER,
            }
        };
        self.shared.last.store(self.now_us(), Ordering::Relaxed);
        self.shared.epoch.fetch_add(1, Ordering::AcqRel);
        let old = self.shared.timeout.swap(us, Ordering::AcqRel);
        // Same timeout: the deadline only moved later, and the waiter
        // re-computes it when it wakes. A changed one may be earlier.
        if old != us {
            self.shared.notify.notify_one();
        }
    }

    /// The timeout set last (`Duration::ZERO`: off). Node: `socket.timeout`.
    pub fn timeout(&self) -> Duration {
        match self.shared.timeout.load(Ordering::Acquire) {
            NEVER => Duration::MAX,
            us => Duration::from_micros(us),
        }
    }

    /// Whether a timeout is set.
    pub fn is_armed(&self) -> bool {
        self.shared.timeout.load(Ordering::Relaxed) != OFF
    }

    /// Records activity (a read or a write): the idle period starts again.
    /// One atomic load when no timeout is set, plus a clock read and a store
    /// when one is. Node: `timeout.refresh()` in `_unrefTimer`.
    #[inline]
    pub fn touch(&self) {
        if self.is_armed() {
            self.shared.last.store(self.now_us(), Ordering::Relaxed);
        }
    }

    /// Stops the timer for good: [`expired`](IdleTimer::expired) returns
    /// `false` and a driver task ends. Called when the connection closes.
    pub fn close(&self) {
        self.shared.closed.store(true, Ordering::Release);
        self.shared.notify.notify_one();
    }

    /// Whether [`close`](IdleTimer::close) was called.
    pub fn is_closed(&self) -> bool {
        self.shared.closed.load(Ordering::Acquire)
    }

    /// `true` exactly once per timer: the caller is the one that starts the
    /// (single) task that awaits [`expired`](IdleTimer::expired) for it.
    pub fn claim_driver(&self) -> bool {
        !self.shared.driver.swap(true, Ordering::AcqRel)
    }

    /// Resolves `true` when the timer fires (a whole timeout passed without
    /// activity, and it has not fired yet for this idle period), `false`
    /// once it is closed. Await it from one task at a time: the connection's
    /// own I/O task (`select!` it beside reads), or one driver task.
    /// Dropping the future loses nothing.
    pub async fn expired(&self) -> bool {
        let s = &*self.shared;
        loop {
            let notified = s.notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if s.closed.load(Ordering::Acquire) {
                return false;
            }
            let epoch = s.epoch.load(Ordering::Acquire);
            let timeout = s.timeout.load(Ordering::Acquire);
            if timeout == OFF || timeout == NEVER {
                notified.await;
                continue;
            }
            let last = s.last.load(Ordering::Relaxed);
            let deadline = last.saturating_add(timeout);
            let now = self.now_us();
            if now < deadline {
                let at = s.origin + Duration::from_micros(deadline);
                tokio::select! {
                    _ = tokio::time::sleep_until(at.into()) => {}
                    _ = &mut notified => {}
                }
                continue;
            }
            {
                let mut fired = s.fired.lock().unwrap_or_else(PoisonError::into_inner);
                if *fired != Some((epoch, last)) {
                    *fired = Some((epoch, last));
                    return true;
                }
            }
            // Already fired for this idle period: wait a whole timeout and
            // look again. Activity after now moves the deadline past now +
            // timeout, so this sleep never makes the next firing late.
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_micros(timeout)) => {}
                _ = &mut notified => {}
            }
        }
    }
}
