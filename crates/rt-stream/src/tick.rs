//! The tick queue: rt's `process.nextTick`.
//!
//! Each thread that queues deferred stream work gets one FIFO queue per
//! runtime, drained by one task on that runtime. Work from every stream goes
//! through the same queue, so it runs in the order it was queued, as Node's
//! `nextTick` queue runs it.
//!
//! Cheap by construction: an entry is the stream's `Arc` (one reference
//! count, no allocation: the work itself waits in the stream's own tick
//! list), and the drainer is spawned once per thread and runtime. When the
//! queue runs dry it parks (keeping its waker) instead of exiting, and the
//! next entry wakes it: no task spawn per tick or per chunk. It yields to
//! other tasks every few hundred entries.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

use crate::core::lock;

/// A stream with deferred work: runs its oldest tick.
pub(crate) trait Ticker: Send + Sync {
    fn run_one_tick(self: Arc<Self>);
}

pub(crate) type Job = Arc<dyn Ticker>;

enum Drainer {
    /// No drainer task (never started, or its runtime shut down).
    Gone,
    /// The drainer is running or already woken.
    Running,
    /// The drainer waits for work; wake it with this.
    Parked(Waker),
}

struct Queue {
    jobs: VecDeque<Job>,
    drainer: Drainer,
}

type Shared = Arc<Mutex<Queue>>;

thread_local! {
    /// This thread's queues, one per runtime (almost always one).
    static LOCAL: std::cell::RefCell<Vec<(tokio::runtime::Id, Shared)>> =
        const { std::cell::RefCell::new(Vec::new()) };
    /// The queue whose job this thread is running: work a job queues goes
    /// behind it in the same queue (Node: a `nextTick` queued by a tick runs
    /// in the same pass), even when the drainer runs on a worker thread
    /// other than the one that filled the queue (multi-thread runtime).
    static DRAINING: std::cell::RefCell<Option<Shared>> = const { std::cell::RefCell::new(None) };
}

fn queue_for(handle: &tokio::runtime::Handle) -> Shared {
    let id = handle.id();
    LOCAL.with(|l| {
        let mut l = l.borrow_mut();
        if let Some((_, q)) = l.iter().find(|(i, _)| *i == id) {
            return q.clone();
        }
        // Forget the queues of runtimes that are gone.
        l.retain(|(_, q)| {
            let g = lock(q);
            !(matches!(g.drainer, Drainer::Gone) && g.jobs.is_empty())
        });
        let q = Arc::new(Mutex::new(Queue {
            jobs: VecDeque::new(),
            drainer: Drainer::Gone,
        }));
        l.push((id, q.clone()));
        q
    })
}

/// Every drainer ever spawned, with its runtime (spawns are rare: once per
/// thread and runtime), so tests can tell a parked drainer from real work.
static REGISTRY: Mutex<Vec<(tokio::runtime::Id, std::sync::Weak<Mutex<Queue>>)>> = Mutex::new(Vec::new());

/// Tick-queue drainers of the current runtime that are parked: alive tasks
/// with nothing to do, which a test waiting for "no other task alive" leaves
/// out. 0 outside a runtime. (`rt_stream::counters::idle_drainers`.)
pub fn idle_drainers_here() -> usize {
    tokio::runtime::Handle::try_current()
        .map(|h| idle_drainers(h.id()))
        .unwrap_or(0)
}

/// How many drainers of runtime `id` are parked (alive tasks with nothing to do).
pub(crate) fn idle_drainers(id: tokio::runtime::Id) -> usize {
    let mut reg = lock(&REGISTRY);
    reg.retain(|(_, w)| w.strong_count() > 0);
    reg.iter()
        .filter(|(i, _)| *i == id)
        .filter_map(|(_, w)| w.upgrade())
        .filter(|q| matches!(lock(q).drainer, Drainer::Parked(_)))
        .count()
}

/// Queues `job`; wakes this thread's drainer on `handle`'s runtime, or
/// spawns it there if it has none.
pub(crate) fn enqueue(handle: &tokio::runtime::Handle, job: Job) {
    let q = DRAINING
        .with(|d| d.borrow().clone())
        .unwrap_or_else(|| queue_for(handle));
    let wake = {
        let mut g = lock(&q);
        g.jobs.push_back(job);
        match std::mem::replace(&mut g.drainer, Drainer::Running) {
            Drainer::Running => None,
            Drainer::Parked(w) => Some(w),
            Drainer::Gone => {
                drop(g);
                crate::counter_cells::count_spawn();
                crate::counter_cells::drainer_started();
                lock(&REGISTRY).push((handle.id(), Arc::downgrade(&q)));
                handle.spawn(Drain { q: q.clone(), n: 0 });
                return;
            }
        }
    };
    if let Some(w) = wake {
        w.wake();
    }
}

/// The drainer task: runs queued jobs in order, parks when there are none.
struct Drain {
    q: Shared,
    n: u32,
}

impl Future for Drain {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        loop {
            let job = {
                let mut g = lock(&self.q);
                match g.jobs.pop_front() {
                    Some(job) => job,
                    None => {
                        g.drainer = Drainer::Parked(cx.waker().clone());
                        return Poll::Pending;
                    }
                }
            };
            let outer = DRAINING.with(|d| d.replace(Some(self.q.clone())));
            job.run_one_tick();
            DRAINING.with(|d| *d.borrow_mut() = outer);
            self.n = self.n.wrapping_add(1);
            if self.n % 256 == 0 {
                // Let other tasks run; we are still "Running".
                cx.waker().wake_by_ref();
                return Poll::Pending;
            }
        }
    }
}

impl Drop for Drain {
    /// The runtime shut down with the drainer parked or mid-queue: the next
    /// job spawns a new one.
    fn drop(&mut self) {
        crate::counter_cells::drainer_ended();
        lock(&self.q).drainer = Drainer::Gone;
    }
}
