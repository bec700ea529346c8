//! What the server and its connection tasks share: the server's state
//! (options, handler, live connections, the timeouts' clock and sweeper)
//! and one record per connection (close orders, deadline, kick).

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use rt_events::{Emitter, EventEmitter};
use tokio::sync::Notify;

pub(crate) use crate::conn_shared::{ConnShared, IDLE_KEEP_ALIVE, ORDER_CLOSE_IDLE, ORDER_CLOSE_NOW};
use crate::incoming::IncomingMessage;
use crate::response::ServerResponse;
use crate::server_options::ServerOptions;

pub(crate) type BoxFuture = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;
pub(crate) type Handler = Arc<dyn Fn(IncomingMessage, ServerResponse) -> Option<BoxFuture> + Send + Sync>;

pub(crate) struct ServerInner {
    pub(crate) net: rt_net::Server,
    pub(crate) options: ServerOptions,
    pub(crate) handler: Option<Handler>,
    conns: Mutex<HashMap<u64, Arc<ConnShared>>>,
    next_id: AtomicU64,
    pub(crate) live: AtomicUsize,
    pub(crate) all_gone: Notify,
    /// The timeouts' clock: milliseconds since `epoch`, kept by the sweeper.
    epoch: std::time::Instant,
    clock_ms: AtomicU64,
    sweeper: AtomicBool,
    /// `server.timeout` in milliseconds (0: none).
    timeout_ms: AtomicU64,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl ServerInner {
    pub(crate) fn new(net: rt_net::Server, options: ServerOptions, handler: Option<Handler>) -> ServerInner {
        ServerInner {
            net,
            options,
            handler,
            conns: Mutex::new(HashMap::new()),
            next_id: AtomicU64::new(0),
            live: AtomicUsize::new(0),
            all_gone: Notify::new(),
            epoch: std::time::Instant::now(),
            clock_ms: AtomicU64::new(0),
            sweeper: AtomicBool::new(false),
            timeout_ms: AtomicU64::new(0),
        }
    }

    pub(crate) fn snapshot(&self) -> Vec<Arc<ConnShared>> {
        lock(&self.conns).values().cloned().collect()
    }

    /// `server.timeout`.
    pub(crate) fn timeout(&self) -> Duration {
        Duration::from_millis(self.timeout_ms.load(Ordering::Acquire))
    }

    pub(crate) fn set_timeout(&self, timeout: Duration) {
        let ms = if timeout.is_zero() {
            0
        } else {
            u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX).max(1)
        };
        self.timeout_ms.store(ms, Ordering::Release);
    }

    /// The timeouts' clock (coarse: advanced by the sweeper each tick).
    pub(crate) fn now_ms(&self) -> u64 {
        self.clock_ms.load(Ordering::Acquire)
    }

    fn tick_clock(&self) -> u64 {
        let now = self.epoch.elapsed().as_millis() as u64;
        self.clock_ms.fetch_max(now, Ordering::AcqRel);
        now
    }

    /// How often the sweeper looks at deadlines: an eighth of the shortest
    /// timeout, between 5 ms and 1 s, and at most `connections_check_interval`
    /// (Node checks headers and request timeouts every
    /// `connectionsCheckingInterval`, 30 s: rt checks at least as often).
    fn sweep_every(&self) -> std::time::Duration {
        let o = &self.options;
        let ka = if o.keep_alive_timeout.is_zero() {
            Duration::ZERO
        } else {
            o.keep_alive_timeout + Duration::from_secs(1)
        };
        let shortest = [o.headers_timeout, o.request_timeout, ka]
            .into_iter()
            .filter(|d| !d.is_zero())
            .min()
            .unwrap_or(Duration::from_secs(8));
        (shortest / 8)
            .clamp(Duration::from_millis(5), Duration::from_secs(1))
            .min(o.connections_check_interval.max(Duration::from_millis(1)))
    }

    fn start_sweeper(self: &Arc<Self>) {
        if self.sweeper.swap(true, Ordering::AcqRel) {
            return;
        }
        let weak = Arc::downgrade(self);
        let every = self.sweep_every();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                let Some(server) = weak.upgrade() else {
                    return;
                };
                let now = server.tick_clock();
                for c in lock(&server.conns).values() {
                    let d = c.deadline.load(Ordering::Acquire);
                    if d != 0 && now >= d && !c.expired.swap(true, Ordering::AcqRel) {
                        c.deadline.store(0, Ordering::Release);
                        c.kick.notify_one();
                    }
                }
            }
        });
    }

    /// Counts an accepted connection (before its task starts, so that a
    /// burst of accepts cannot pass the limit); `false` when it would pass
    /// the rt-net server's `max_connections`.
    pub(crate) fn admit(&self) -> bool {
        let max = self.net.max_connections().unwrap_or(usize::MAX);
        self.live
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < max).then_some(n + 1)
            })
            .is_ok()
    }

    /// Registers an admitted connection's task.
    pub(crate) fn register(self: &Arc<Self>) -> (u64, Arc<ConnShared>) {
        self.start_sweeper();
        self.tick_clock();
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let shared = Arc::new(ConnShared {
            order: AtomicU8::new(if self.net.listening() { 0 } else { ORDER_CLOSE_IDLE }),
            idle: AtomicU8::new(0),
            kick: Default::default(),
            deadline: AtomicU64::new(0),
            expired: AtomicBool::new(false),
        });
        lock(&self.conns).insert(id, shared.clone());
        (id, shared)
    }

    pub(crate) fn unregister(&self, id: u64) {
        self.forget(id);
        self.release();
    }

    /// Forgets a connection's task whose socket went to `clientError`
    /// listeners open: Node's `getConnections` counts that socket until it
    /// closes, then [`Self::release`].
    pub(crate) fn forget(&self, id: u64) {
        lock(&self.conns).remove(&id);
    }

    /// One counted connection fewer.
    pub(crate) fn release(&self) {
        if self.live.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.all_gone.notify_waiters();
        }
    }

    pub(crate) fn emitter(&self) -> &EventEmitter {
        self.net.emitter()
    }
}
