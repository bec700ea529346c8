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
//!
//! ## Ticks run after the synchronous code that queued them (Node's rule)
//! In Node, ticks queued by synchronous code run only after that code
//! returns: `a.pipe(b); b.pipe(c);` can rely on `a` not flowing before
//! `b.pipe(c)` has run. Here the synchronous section is one poll of a
//! task. On a multi-thread runtime the drainer of a thread's queue may be
//! polled on another worker while that thread is still in the section that
//! queued the work, so ticks queued by a task on a worker thread are *held*
//! in its queue until the section is over, which the queue knows when
//! - a drainer (any) is polled on that thread: the thread has left the
//!   task's poll, or
//! - the thread queues work again from another task (or from a tick).
//!
//! A drainer polled elsewhere that finds only held work yields and polls
//! again (the owner thread finishes its poll and runs or steals it), instead
//! of running the work early. Threads that never poll a drainer (a
//! `block_on` thread of a multi-thread runtime, the blocking pool) hold
//! nothing: nothing would release it. A current-thread runtime needs no
//! holding (its one thread runs the drainer only between polls).

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

use crate::locking::lock;

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
    /// Work the drainer may run now, in order.
    jobs: VecDeque<Job>,
    /// Work queued by the owner thread's current synchronous section (the
    /// poll of task `held_task`), released to `jobs` when it is over.
    held: Vec<Job>,
    held_task: Option<tokio::task::Id>,
    /// The owner thread has polled a drainer of this runtime (it is one of
    /// its workers, so its sections end with a drainer poll there).
    worker: bool,
    drainer: Drainer,
}

impl Queue {
    /// The owner's section that queued `held` is over: its work joins the
    /// runnable queue, behind what was released before.
    fn release(&mut self) {
        self.held_task = None;
        if !self.held.is_empty() {
            self.jobs.extend(self.held.drain(..));
        }
    }
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
            !(matches!(g.drainer, Drainer::Gone) && g.jobs.is_empty() && g.held.is_empty())
        });
        let q = Arc::new(Mutex::new(Queue {
            jobs: VecDeque::new(),
            held: Vec::new(),
            held_task: None,
            worker: false,
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
/// spawns it there if it has none. Work queued by a task's poll on a worker
/// thread of a multi-thread runtime is held until that poll is over (see
/// the module docs).
pub(crate) fn enqueue(handle: &tokio::runtime::Handle, job: Job) {
    let draining = DRAINING.with(|d| d.borrow().clone());
    let q = match &draining {
        Some(q) => q.clone(),
        None => queue_for(handle),
    };
    let wake = {
        let mut g = lock(&q);
        let section = match draining {
            Some(_) => None,
            None if g.worker => tokio::task::try_id(),
            None => None,
        };
        if g.held_task.is_some() && g.held_task != section {
            // The section that held work is over (this thread runs another
            // task now, or a tick).
            if draining.is_none() {
                g.release();
            }
        }
        match section {
            Some(task) => {
                g.held_task = Some(task);
                g.held.push(job);
            }
            None => g.jobs.push_back(job),
        }
        match std::mem::replace(&mut g.drainer, Drainer::Running) {
            Drainer::Running => None,
            Drainer::Parked(w) => Some(w),
            Drainer::Gone => {
                drop(g);
                spawn_drainer(handle, &q);
                return;
            }
        }
    };
    if let Some(w) = wake {
        w.wake();
    }
}

fn spawn_drainer(handle: &tokio::runtime::Handle, q: &Shared) {
    crate::counter_cells::count_spawn();
    crate::counter_cells::drainer_started();
    lock(&REGISTRY).push((handle.id(), Arc::downgrade(q)));
    handle.spawn(Drain {
        q: q.clone(),
        n: 0,
        rt: handle.id(),
    });
}

/// A drainer of runtime `rt` is being polled on this thread, so this
/// thread is not inside a task's poll: its own queue's held work is
/// released (and its drainer woken), and the queue learns that its owner
/// is a worker whose sections can be held.
fn section_over_here(rt: tokio::runtime::Id, polled: &Shared) {
    let own = LOCAL.with(|l| l.borrow().iter().find(|(i, _)| *i == rt).map(|(_, q)| q.clone()));
    let Some(own) = own else {
        // First drainer poll on this thread: it is a worker from now on.
        let q = queue_for(&tokio::runtime::Handle::current());
        lock(&q).worker = true;
        return;
    };
    let wake = {
        let mut g = lock(&own);
        g.worker = true;
        if g.held.is_empty() {
            g.held_task = None;
            return;
        }
        g.release();
        if Arc::ptr_eq(&own, polled) {
            return;
        }
        match std::mem::replace(&mut g.drainer, Drainer::Running) {
            Drainer::Running => None,
            Drainer::Parked(w) => Some(w),
            Drainer::Gone => {
                drop(g);
                spawn_drainer(&tokio::runtime::Handle::current(), &own);
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
    rt: tokio::runtime::Id,
}

impl Future for Drain {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        section_over_here(self.rt, &self.q);
        loop {
            let job = {
                let mut g = lock(&self.q);
                match g.jobs.pop_front() {
                    Some(job) => job,
                    None if !g.held.is_empty() => {
                        // The owner thread (another worker) is still in
                        // the section that queued this work: poll again
                        // after other tasks (it runs or steals us then).
                        drop(g);
                        cx.waker().wake_by_ref();
                        return Poll::Pending;
                    }
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
