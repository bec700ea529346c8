//! The primary's listening handles (Node: `round_robin_handle.js` and
//! `shared_handle.js`): one per address a worker asked for.

use std::collections::VecDeque;
use std::os::fd::OwnedFd;
use std::sync::{Arc, Mutex, Weak};

use rt_net::transport::Io;
use rt_net::{ListenOptions, ServerAddress};
use serde_json::{Map, Value, json};

use crate::protocol::{Reply, fields, lock};
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

/// The address of a `queryServer`.
struct Where {
    address: Option<String>,
    port: i64,
    address_type: i64,
    backlog: Option<i32>,
    ipv6_only: bool,
}

impl Where {
    fn from_message(m: &Value) -> Where {
        Where {
            address: m.get("address").and_then(Value::as_str).map(str::to_string),
            port: m.get("port").and_then(Value::as_i64).unwrap_or(0),
            address_type: m.get("addressType").and_then(Value::as_i64).unwrap_or(4),
            backlog: m
                .get("backlog")
                .and_then(Value::as_i64)
                .filter(|b| *b > 0)
                .map(|b| b.min(i64::from(i32::MAX)) as i32),
            // libuv's UV_TCP_IPV6ONLY.
            ipv6_only: m.get("flags").and_then(Value::as_i64).unwrap_or(0) & 1 == 1,
        }
    }

    fn listen_options(&self) -> Result<ListenOptions, i64> {
        let mut o = if self.address_type == -1 {
            ListenOptions::path(self.address.clone().unwrap_or_default())
        } else {
            let port = u16::try_from(self.port).map_err(|_| -i64::from(libc::EINVAL))?;
            let mut o = ListenOptions::from(port);
            o.host = self.address.clone();
            o
        };
        o.backlog = self.backlog;
        o.ipv6_only = self.ipv6_only;
        // The primary binds itself, even if it is some cluster's worker.
        o.exclusive = true;
        Ok(o)
    }
}

fn errno_of(e: &rt_stream::Error) -> i64 {
    i64::from(e.errno().unwrap_or(-libc::EINVAL))
}

/// Node's `RoundRobinHandle`: the primary listens and accepts; each
/// connection goes to the next free worker as a `newconn` handle; a worker
/// is free again once it answered.
pub(crate) struct RoundRobin {
    key: String,
    st: Mutex<RrState>,
}

#[derive(Default)]
struct RrState {
    server: Option<rt_net::Server>,
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
            key,
            st: Mutex::new(RrState::default()),
        });
        let weak = Arc::downgrade(&rr);
        rt.spawn(async move {
            let outcome = match where_.listen_options() {
                Err(errno) => Err(errno),
                Ok(options) => {
                    let server = rt_net::Server::new();
                    let w: Weak<RoundRobin> = weak.clone();
                    server.on_raw_connection(move |io: Io| {
                        if let Some(rr) = w.upgrade() {
                            if let Ok(fd) = io.into_fd() {
                                rr.distribute(Arc::new(fd));
                            }
                        }
                        None
                    });
                    // An 'error' listener: the failure is answered, not thrown.
                    rt_events::Emitter::on(&server, &rt_net::events::ERROR, |_| {});
                    match server.listen(options).await {
                        Ok(address) => {
                            if let Some(rr) = weak.upgrade() {
                                lock(&rr.st).server = Some(server);
                            }
                            Ok(sockname(&address))
                        }
                        Err(e) => Err(errno_of(&e)),
                    }
                }
            };
            let Some(rr) = weak.upgrade() else { return };
            let waiting = {
                let mut st = lock(&rr.st);
                st.bound = Some(outcome);
                if st.closed {
                    if let Some(s) = st.server.take() {
                        let _ = s.close();
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
        let server = {
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
            st.server.take()
        };
        if let Some(s) = server {
            let _ = s.close();
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
        let reply: Reply = Box::new(move |reply: Value, _| {
            let Some(rr) = weak.upgrade() else { return };
            if reply.get("accepted").and_then(Value::as_bool) != Some(true) {
                // The worker is closing: another one takes it.
                rr.distribute(mine);
            }
            rr.handoff(id);
        });
        let msg = fields(json!({"act": "newconn", "key": self.key}));
        if cluster
            .proto()
            .send(channel, id, msg, Some(fd.clone()), Some(reply))
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

fn sockname(address: &ServerAddress) -> Option<Value> {
    match address {
        ServerAddress::Inet(a) => Some(json!({
            "address": a.address,
            "family": a.family.to_string(),
            "port": a.port,
        })),
        ServerAddress::Path(_) => None,
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

/// Node's `_createServerHandle`: a bound, not listening, non-blocking
/// socket (`::` dual-stack when no address, falling back to `0.0.0.0`).
fn bind(w: &Where) -> std::io::Result<OwnedFd> {
    use socket2::{Domain, Protocol, SockAddr, Socket, Type};
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
    if w.address_type == -1 {
        let path = w.address.clone().unwrap_or_default();
        let s = Socket::new(Domain::UNIX, Type::STREAM, None)?;
        s.bind(&SockAddr::unix(path)?)?;
        s.set_nonblocking(true)?;
        return Ok(s.into());
    }
    let port = u16::try_from(w.port).map_err(|_| std::io::Error::from_raw_os_error(libc::EINVAL))?;
    let tcp = |addr: SocketAddr, v6only: bool| -> std::io::Result<OwnedFd> {
        let s = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
        s.set_reuse_address(true)?;
        if addr.is_ipv6() {
            s.set_only_v6(v6only)?;
        }
        s.bind(&addr.into())?;
        s.set_nonblocking(true)?;
        Ok(s.into())
    };
    match &w.address {
        None => tcp(
            SocketAddr::new(IpAddr::V6(Ipv6Addr::UNSPECIFIED), port),
            w.ipv6_only,
        )
        .or_else(|_| tcp(SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), port), false)),
        Some(a) => {
            let ip: IpAddr = a
                .parse()
                .map_err(|_| std::io::Error::from_raw_os_error(libc::EINVAL))?;
            tcp(SocketAddr::new(ip, port), w.ipv6_only)
        }
    }
}
