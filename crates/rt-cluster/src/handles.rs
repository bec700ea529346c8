//! The primary's listening handles (Node: `round_robin_handle.js` and
//! `shared_handle.js`): one per address a worker asked for.

use std::collections::VecDeque;
use std::os::fd::OwnedFd;
use std::sync::{Arc, Mutex, Weak};

use serde_json::{Map, Value, json};

use crate::acceptor::Acceptor;
use crate::bind::{Where, bind};
use crate::protocol::{NewConn, Reply, fields, lock};
use crate::settings::SchedulingPolicy;
use crate::worker::Worker;

/// Sends the answer to a worker's `queryServer`: `errno` (null or 0 when
/// fine), fields to add (`sockname`), the socket to hand over.
pub(crate) type Answer = Box<dyn FnOnce(Value, Map<String, Value>, Option<Arc<OwnedFd>>) + Send>;

/// A round-robin or a shared handle.
#[derive(Clone)]
pub(crate) enum Handle {
    RoundRobin(Arc<RoundRobin>),
    Shared(Arc<Shared>),
}

impl Handle {
    pub(crate) fn new(
        key: String,
        policy: SchedulingPolicy,
        m: &Value,
        rt: &tokio::runtime::Handle,
    ) -> Handle {
        let where_ = Where::from_message(m);
        match policy {
            SchedulingPolicy::RoundRobin => Handle::RoundRobin(RoundRobin::new(key, where_, rt)),
            SchedulingPolicy::None => Handle::Shared(Arc::new(Shared::new(where_))),
        }
    }

    pub(crate) fn add(&self, worker: &Worker, answer: Answer) {
        match self {
            Handle::RoundRobin(h) => h.add(worker, answer),
            Handle::Shared(h) => h.add(worker, answer),
        }
    }

    /// Removes a worker; true when it was the last one (the handle closed).
    pub(crate) fn remove(&self, id: u32) -> bool {
        match self {
            Handle::RoundRobin(h) => h.remove(id),
            Handle::Shared(h) => h.remove(id),
        }
    }
}

/// Node's `RoundRobinHandle`: the primary listens and accepts; each
/// connection goes to the next free worker as a `newconn` handle; a worker
/// is free again once it answered.
pub(crate) struct RoundRobin {
    /// The `newconn` message for this handle's key, made once.
    newconn: NewConn,
    st: Mutex<RrState>,
}

#[derive(Default)]
struct RrState {
    acceptor: Option<Acceptor>,
    /// None: still binding; then the sockname (None for a Unix path) or the errno.
    bound: Option<Result<Option<Value>, i64>>,
    waiting: Vec<(Worker, Answer)>,
    all: Vec<Worker>,
    free: VecDeque<u32>,
    pending: VecDeque<Arc<OwnedFd>>,
    closed: bool,
}

impl RoundRobin {
    fn new(key: String, where_: Where, rt: &tokio::runtime::Handle) -> Arc<RoundRobin> {
        let rr = Arc::new(RoundRobin {
            newconn: NewConn::new(&key),
            st: Mutex::new(RrState::default()),
        });
        let weak = Arc::downgrade(&rr);
        rt.spawn(async move {
            let outcome = match crate::bind::listen(&where_).await {
                Err(errno) => Err(errno),
                Ok(listening) => {
                    let sockname = listening.sockname.clone();
                    let w: Weak<RoundRobin> = weak.clone();
                    match Acceptor::start(listening, move |fd| {
                        if let Some(rr) = w.upgrade() {
                            rr.distribute(Arc::new(fd));
                        }
                    }) {
                        Ok(acceptor) => {
                            if let Some(rr) = weak.upgrade() {
                                lock(&rr.st).acceptor = Some(acceptor);
                            }
                            Ok(sockname)
                        }
                        Err(e) => Err(-i64::from(e.raw_os_error().unwrap_or(libc::EINVAL))),
                    }
                }
            };
            let Some(rr) = weak.upgrade() else { return };
            let waiting = {
                let mut st = lock(&rr.st);
                st.bound = Some(outcome);
                if st.closed {
                    if let Some(a) = st.acceptor.take() {
                        a.close();
                    }
                }
                std::mem::take(&mut st.waiting)
            };
            for (worker, answer) in waiting {
                rr.ready(&worker, answer);
            }
        });
        rr
    }

    fn add(self: &Arc<Self>, worker: &Worker, answer: Answer) {
        let ready = {
            let mut st = lock(&self.st);
            if !st.all.iter().any(|w| w.id() == worker.id()) {
                st.all.push(worker.clone());
            }
            if st.bound.is_none() {
                st.waiting.push((worker.clone(), answer));
                return;
            }
            answer
        };
        self.ready(worker, ready);
    }

    /// Node's `done`: the answer, then a connection if one waits.
    fn ready(self: &Arc<Self>, worker: &Worker, answer: Answer) {
        let bound = lock(&self.st).bound.clone();
        match bound {
            Some(Ok(Some(sockname))) => answer(Value::Null, fields(json!({ "sockname": sockname })), None),
            Some(Ok(None)) => answer(Value::Null, Map::new(), None),
            Some(Err(errno)) => {
                answer(json!(errno), Map::new(), None);
                return;
            }
            None => return,
        }
        self.handoff(worker.id());
    }

    /// Node's `remove`: true when no worker is left (the server closes).
    fn remove(&self, id: u32) -> bool {
        let acceptor = {
            let mut st = lock(&self.st);
            let before = st.all.len();
            st.all.retain(|w| w.id() != id);
            if st.all.len() == before {
                return false;
            }
            st.free.retain(|f| *f != id);
            if !st.all.is_empty() {
                return false;
            }
            st.closed = true;
            st.pending.clear();
            st.acceptor.take()
        };
        if let Some(a) = acceptor {
            a.close();
        }
        true
    }

    /// Node's `distribute`: queue the connection, wake a free worker.
    fn distribute(self: &Arc<Self>, fd: Arc<OwnedFd>) {
        let next = {
            let mut st = lock(&self.st);
            if st.closed {
                return;
            }
            st.pending.push_back(fd);
            st.free.pop_front()
        };
        if let Some(id) = next {
            self.handoff(id);
        }
    }

    /// Node's `handoff`: the next connection to this worker, or the worker
    /// back in the free queue.
    fn handoff(self: &Arc<Self>, id: u32) {
        let (worker, fd) = {
            let mut st = lock(&self.st);
            let Some(worker) = st.all.iter().find(|w| w.id() == id).cloned() else {
                return; // Closing, or closed, the server.
            };
            match st.pending.pop_front() {
                Some(fd) => (worker, fd),
                None => {
                    if !st.free.contains(&id) {
                        st.free.push_back(id);
                    }
                    return;
                }
            }
        };
        let Some(cluster) = worker.inner.cluster.upgrade() else {
            return;
        };
        let Some(channel) = worker.process().channel() else {
            return;
        };
        let weak = Arc::downgrade(self);
        let mine = fd.clone();
        let reply: Reply = Box::new(move |accepted: bool| {
            let Some(rr) = weak.upgrade() else { return };
            if !accepted {
                // The worker is closing: another one takes it.
                rr.distribute(mine);
            }
            rr.handoff(id);
        });
        if cluster
            .proto()
            .send_newconn(channel, id, &self.newconn, fd.clone(), reply)
            .is_err()
        {
            // The channel closed: the connection waits for another worker.
            let mut st = lock(&self.st);
            if !st.closed {
                st.pending.push_front(fd);
            }
        }
    }
}

/// Node's `SharedHandle`: the primary binds (without listening) and sends
/// the socket to every worker, which listen and accept themselves.
pub(crate) struct Shared {
    socket: Mutex<Option<Arc<OwnedFd>>>,
    errno: i64,
    workers: Mutex<Vec<u32>>,
}

impl Shared {
    fn new(where_: Where) -> Shared {
        match bind(&where_) {
            Ok(fd) => Shared {
                socket: Mutex::new(Some(Arc::new(fd))),
                errno: 0,
                workers: Mutex::new(Vec::new()),
            },
            Err(e) => Shared {
                socket: Mutex::new(None),
                errno: -i64::from(e.raw_os_error().unwrap_or(libc::EINVAL)),
                workers: Mutex::new(Vec::new()),
            },
        }
    }

    fn add(&self, worker: &Worker, answer: Answer) {
        lock(&self.workers).push(worker.id());
        let fd = lock(&self.socket).clone();
        answer(json!(self.errno), Map::new(), fd);
    }

    fn remove(&self, id: u32) -> bool {
        let mut ws = lock(&self.workers);
        let before = ws.len();
        ws.retain(|w| *w != id);
        if ws.len() == before || !ws.is_empty() {
            return false;
        }
        lock(&self.socket).take();
        true
    }
}
