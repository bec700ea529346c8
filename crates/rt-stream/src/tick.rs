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
//! of running the work early. A current-thread runtime needs no holding (its
//! one thread runs the drainer only between polls).
//!
//! ## Marked sections: the `block_on` thread
//! A thread that never polls a drainer (the `block_on` thread of a
//! multi-thread runtime, a plain thread that entered a runtime) has no event
//! that tells the queue its poll is over: tokio's `block_on` polls the future
//! and parks with no hook in between. There the poll is *marked* instead:
//! [`crate::runtime::sections`] wraps a future so that every poll of it is a
//! section (a thread-local depth, no lock), and ticks queued on the thread
//! during that poll are held in the thread's own queue and released, in
//! order, when the outermost marked poll returns (the drainer parks while
//! only marked work waits: the release wakes it). [`crate::runtime::block_on`]
//! is `Runtime::block_on` with its future marked. A marked section works on
//! any thread and either runtime flavour, also inside a spawned task.
//!
//! An unmarked poll on such a thread (plain `Runtime::block_on` or
//! `#[tokio::main]` / `#[tokio::test]` on a multi-thread runtime) holds
//! nothing, since nothing would ever release it: its ticks run on a worker at
//! once, in the order they were queued, possibly while the caller's
//! synchronous code is still running (see `runtime`'s docs).

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
    /// poll of task `holder`, or a marked poll), released to `jobs` when it
    /// is over.
    held: Vec<Job>,
    holder: Option<Holder>,
    /// The owner thread has polled a drainer of this runtime (it is one of
    /// its workers, so its sections end with a drainer poll there).
    worker: bool,
    drainer: Drainer,
}

impl Queue {
    /// The owner's section that queued `held` is over: its work joins the
    /// runnable queue, behind what was released before.
    fn release(&mut self) {
        self.holder = None;
        if !self.held.is_empty() {
            self.jobs.extend(self.held.drain(..));
        }
    }
}

/// Whose synchronous section holds a queue's `held` work.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Holder {
    /// The poll of this task on the owner (worker) thread; released by the
    /// next drainer poll on that thread or its next work from elsewhere.
    Task(tokio::task::Id),
    /// A marked poll ([`crate::runtime::sections`]); released when it returns.
    Marked,
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
    /// How many marked polls ([`crate::runtime::sections`]) this thread is in.
    static MARKED: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
    /// The queues holding work for this thread's current marked section.
    static MARKED_HELD: std::cell::RefCell<Vec<Shared>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// A marked poll begins on this thread (see the module docs).
pub(crate) fn marked_poll_begins() {
    MARKED.with(|m| m.set(m.get() + 1));
}

/// A marked poll on this thread returned (or unwound): when it was the
/// outermost, the work its section queued is released and drained.
pub(crate) fn marked_poll_ends() {
    let outermost = MARKED.with(|m| {
        let d = m.get().saturating_sub(1);
        m.set(d);
        d == 0
    });
    if !outermost {
        return;
    }
    let queues = MARKED_HELD.with(|h| std::mem::take(&mut *h.borrow_mut()));
    for q in queues {
        let wake = {
            let mut g = lock(&q);
            if g.holder != Some(Holder::Marked) {
                continue;
            }
            match if g.worker { tokio::task::try_id() } else { None } {
                // The marked section was inside a task's poll on a worker
                // (a listener added by a task): its work stays held until
                // that poll is over, as the task's own would be.
                Some(task) => g.holder = Some(Holder::Task(task)),
                None => g.release(),
            }
            match std::mem::replace(&mut g.drainer, Drainer::Running) {
                Drainer::Parked(w) => Some(w),
                // Running: it finds the work. Gone: its runtime shut down
                // (the drainer was spawned when the work was held); the next
                // work queued there spawns a new one.
                other => {
                    g.drainer = other;
                    None
                }
            }
        };
        if let Some(w) = wake {
            w.wake();
        }
    }
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
            holder: None,
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

/// A closure queued with [`crate::runtime::next_tick`]: one allocation
/// (the closure sits in the entry itself).
struct OnceTick<F>(Mutex<Option<F>>);

impl<F: FnOnce() + Send + 'static> Ticker for OnceTick<F> {
    fn run_one_tick(self: Arc<Self>) {
        let f = lock(&self.0).take();
        if let Some(f) = f {
            f();
        }
    }
}

/// Queues `f` on this thread's tick queue, held like a stream's deferred
/// work until the section that queued it is over; outside a runtime it runs
/// at once.
pub(crate) fn next_tick<F: FnOnce() + Send + 'static>(f: F) {
    match tokio::runtime::Handle::try_current() {
        Ok(h) => enqueue(&h, Arc::new(OnceTick(Mutex::new(Some(f))))),
        Err(_) => f(),
    }
}

/// Queues `job`; wakes this thread's drainer on `handle`'s runtime, or
/// spawns it there if it has none. Work queued by a task's poll on a worker
/// thread of a multi-thread runtime, or by a marked poll on any thread, is
/// held until that poll is over (see the module docs).
pub(crate) fn enqueue(handle: &tokio::runtime::Handle, job: Job) {
    let draining = DRAINING.with(|d| d.borrow().clone());
    let q = match &draining {
        Some(q) => q.clone(),
        None => queue_for(handle),
    };
    let wake = {
        let mut g = lock(&q);
        let (task, marked) = match draining {
            // A tick's work goes behind it in the same pass.
            Some(_) => (None, false),
            None => (
                if g.worker { tokio::task::try_id() } else { None },
                MARKED.with(|m| m.get() > 0),
            ),
        };
        if let Some(Holder::Task(held_by)) = g.holder {
            if draining.is_none() && task != Some(held_by) {
                // The task section that held work is over (this thread
                // runs another task now, or no task).
                g.release();
            }
        }
        if marked {
            // A marked poll (possibly inside the task's poll that held
            // work: that work stays held, in order, behind nothing new).
            if g.holder != Some(Holder::Marked) {
                g.holder = Some(Holder::Marked);
                MARKED_HELD.with(|h| h.borrow_mut().push(q.clone()));
            }
            g.held.push(job);
            // The end of the marked poll wakes the drainer; only make sure
            // there is one.
            if !matches!(g.drainer, Drainer::Gone) {
                return;
            }
            g.drainer = Drainer::Running;
            drop(g);
            spawn_drainer(handle, &q);
            return;
        }
        match task {
            Some(task) => {
                g.holder = Some(Holder::Task(task));
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
        if g.holder == Some(Holder::Marked) {
            // Only the marked poll's end releases its work.
            return;
        }
        if g.held.is_empty() {
            g.holder = None;
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
                    None if !g.held.is_empty() && g.holder != Some(Holder::Marked) => {
                        // The owner thread (another worker) is still in
                        // the section that queued this work: poll again
                        // after other tasks (it runs or steals us then).
                        // (Marked work is released by its poll's end, which
                        // wakes the parked drainer.)
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
