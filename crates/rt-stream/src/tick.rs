//! The tick queue: rt's `process.nextTick`.
//!
//! Each thread that queues deferred stream work gets one FIFO queue, drained
//! by one task on the runtime. Work from every stream goes through the same
//! queue, so it runs in the order it was queued, as Node's `nextTick` queue
//! runs it. The drainer yields to other tasks every few hundred items.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use crate::core::lock;

type Job = Box<dyn FnOnce() + Send>;

struct Queue {
    jobs: VecDeque<Job>,
    draining: bool,
}

thread_local! {
    static LOCAL: Arc<Mutex<Queue>> = Arc::new(Mutex::new(Queue {
        jobs: VecDeque::new(),
        draining: false,
    }));
    /// The queue whose job this thread is running: work a job queues goes
    /// behind it in the same queue (Node: a `nextTick` queued by a tick runs
    /// in the same pass), even when the drainer runs on a worker thread
    /// other than the one that filled the queue (multi-thread runtime).
    static DRAINING: RefCell<Option<Arc<Mutex<Queue>>>> = const { RefCell::new(None) };
}

/// Queues `job`; starts a drainer on `handle` if none is running.
pub(crate) fn enqueue(handle: &tokio::runtime::Handle, job: Job) {
    let current = DRAINING.with(|d| d.borrow().clone());
    match current {
        Some(q) => push(handle, &q, job),
        None => LOCAL.with(|q| push(handle, q, job)),
    }
}

fn push(handle: &tokio::runtime::Handle, q: &Arc<Mutex<Queue>>, job: Job) {
    {
        let mut g = lock(q);
        g.jobs.push_back(job);
        if !g.draining {
            g.draining = true;
            let q = q.clone();
            handle.spawn(drain(q));
        }
    }
}

/// Clears `draining` if the drainer is dropped unfinished (its runtime shut down).
struct Guard(Arc<Mutex<Queue>>, bool);

impl Drop for Guard {
    fn drop(&mut self) {
        if self.1 {
            lock(&self.0).draining = false;
        }
    }
}

async fn drain(q: Arc<Mutex<Queue>>) {
    let mut guard = Guard(q.clone(), true);
    let mut n = 0u32;
    loop {
        let job = {
            let mut g = lock(&q);
            match g.jobs.pop_front() {
                Some(job) => job,
                None => {
                    g.draining = false;
                    guard.1 = false;
                    return;
                }
            }
        };
        let outer = DRAINING.with(|d| d.replace(Some(q.clone())));
        job();
        DRAINING.with(|d| *d.borrow_mut() = outer);
        n += 1;
        if n % 256 == 0 {
            tokio::task::yield_now().await;
        }
    }
}
