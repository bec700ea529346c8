//! The worker's side (Node: `internal/cluster/child.js`): `online`, the
//! listen interceptor that asks the primary (`queryServer`), connections
//! handed in (`newconn`), and the disconnect dance.

use std::collections::HashMap;
use std::os::fd::OwnedFd;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use rt_child_process::Channel;
use rt_child_process::events::DISCONNECT;
use rt_child_process::ipc::{self, InternalMessage};
use rt_events::Emitter;
use rt_net::cluster::{ListenFuture, close_gracefully, set_listen_interceptor};
use rt_net::transport::Io;
use rt_net::{AddressInfo, Family, ListenHandle, ListenOptions, Server, ServerAddress};
use rt_stream::{Code, Error};
use serde_json::{Map, Value, json};
use tokio::sync::oneshot;

use crate::protocol::{CMD, NewConnAnswer, fields, is_cluster, js, lock, newconn, newconn_answer_json};

/// This process as a cluster worker (Node: `cluster.worker` inside a
/// worker): its id, its channel to the primary, `disconnect()`.
#[doc(alias = "cluster.worker")]
#[derive(Clone)]
pub struct ThisWorker {
    side: Arc<Side>,
}

impl std::fmt::Debug for ThisWorker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ThisWorker").field("id", &self.side.id).finish()
    }
}

struct Side {
    id: u32,
    channel: Channel,
    seq: AtomicU64,
    replies: Mutex<HashMap<u64, oneshot::Sender<Answer>>>,
    /// Servers by the key the primary gave.
    servers: Mutex<HashMap<String, Listening>>,
    /// indexesKey -> next index (Node: `indexes`).
    indexes: Mutex<HashMap<String, u64>>,
    exited_after_disconnect: AtomicBool,
    disconnecting: AtomicBool,
    exit_on_disconnect: AtomicBool,
}

/// A server of this worker that the primary knows.
#[derive(Clone)]
struct Listening {
    server: Server,
    /// It listens on TCP (not a Unix path): what the primary hands in is
    /// an accepted TCP connection.
    tcp: bool,
}

/// A reply from the primary and the fd that came with it.
type Answer = (Value, Option<OwnedFd>);

static SIDE: OnceLock<Arc<Side>> = OnceLock::new();
static INSTALLED: AtomicBool = AtomicBool::new(false);

/// Whether this process is a cluster worker (Node: `cluster.isWorker`:
/// `NODE_UNIQUE_ID` is in the environment).
#[doc(alias = "isWorker")]
pub fn is_worker() -> bool {
    std::env::var_os("NODE_UNIQUE_ID").is_some()
}

/// Whether this process is the primary (Node: `cluster.isPrimary`). In a
/// worker this also routes rt-net's (and so rt-http's) `listen` to the
/// primary, and, inside a tokio runtime, starts the worker side (the
/// primary's `'online'`): the usual `if is_primary() { fork } else {
/// listen }` needs nothing more.
#[doc(alias = "isPrimary")]
#[doc(alias = "isMaster")]
pub fn is_primary() -> bool {
    if !is_worker() {
        return true;
    }
    install();
    if tokio::runtime::Handle::try_current().is_ok() {
        let _ = start();
    }
    false
}

/// Routes non-exclusive listens to the primary (idempotent).
fn install() {
    if INSTALLED.swap(true, Ordering::AcqRel) {
        return;
    }
    set_listen_interceptor(Arc::new(
        |server: Server, options: ListenOptions| -> ListenFuture {
            Box::pin(async move { listen(server, options).await })
        },
    ));
}

/// Starts this process's worker side (Node: `cluster._setupWorker()`, run
/// before user code): claims the channel, says `online`, and routes every
/// non-exclusive `listen` of rt-net / rt-http servers to the primary. Call
/// it (or [`is_primary`](crate::is_primary)) once, inside a tokio runtime,
/// before listening; later calls return the same worker. Not a worker
/// (no `NODE_UNIQUE_ID`, or no channel): an error.
///
/// Programs this process spawns (through rt-child-process, without an
/// explicit `env`) do not get `NODE_UNIQUE_ID`, so they do not take
/// themselves for workers (Node deletes it from `process.env`; here it
/// stays in this process's own environment).
///
/// When the channel closes, the process exits with code 0 (Node: a worker
/// whose primary went away exits; one that disconnected has nothing left
/// to run); after this worker's own disconnect, once the primary has let
/// go of its end (so the primary sees `'disconnect'` before `'exit'`). [`ThisWorker::set_exit_on_disconnect`] turns that off.
#[doc(alias = "_setupWorker")]
pub fn start() -> Result<ThisWorker, Error> {
    if let Some(side) = SIDE.get() {
        return Ok(ThisWorker { side: side.clone() });
    }
    let not_worker = || {
        Error::new(
            Code::custom("ERR_CLUSTER_NOT_WORKER"),
            "this process is not a cluster worker",
        )
    };
    let id: u32 = std::env::var("NODE_UNIQUE_ID")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .ok_or_else(not_worker)?;
    let channel = ipc::from_env()?.ok_or_else(not_worker)?;
    // Node deletes it from process.env so that this worker's own children
    // do not take themselves for workers.
    rt_child_process::hide_env_from_children("NODE_UNIQUE_ID");
    install();
    let side = Arc::new(Side {
        id,
        channel: channel.clone(),
        seq: AtomicU64::new(0),
        replies: Mutex::new(HashMap::new()),
        servers: Mutex::new(HashMap::new()),
        indexes: Mutex::new(HashMap::new()),
        exited_after_disconnect: AtomicBool::new(false),
        disconnecting: AtomicBool::new(false),
        exit_on_disconnect: AtomicBool::new(true),
    });
    if SIDE.set(side.clone()).is_err() {
        // Another thread won: use its side.
        return Ok(ThisWorker {
            side: SIDE.get().cloned().ok_or_else(not_worker)?,
        });
    }
    let weak = Arc::downgrade(&side);
    channel.on_internal(move |m| {
        if let Some(side) = weak.upgrade() {
            side.on_message(m);
        }
    });
    // The primary's `newconn`s, read without a JSON value.
    let weak = Arc::downgrade(&side);
    channel.filter_internal(move |msg, handle| match (handle, weak.upgrade(), newconn(msg)) {
        (Some(handle), Some(side), Some((key, seq))) => {
            side.connection(key, Ack::Number(seq), handle.take());
            true
        }
        _ => false,
    });
    let weak = Arc::downgrade(&side);
    channel.on(&DISCONNECT, move |_| {
        let Some(side) = weak.upgrade() else { return };
        lock(&side.replies).clear();
        if side.exit_on_disconnect.load(Ordering::Acquire) {
            exit_when_let_go(&side.channel);
        }
    });
    side.send(fields(json!({"act": "online"})))?;
    Ok(ThisWorker { side })
}

/// How long a worker that disconnected waits for the primary to let go of
/// the channel before it exits anyway.
const LET_GO_WAIT: Duration = Duration::from_secs(2);

/// Exits (code 0) once the primary has let go of the channel: at once when
/// the primary closed it (or went away); after this worker's own
/// `disconnect()`, when the primary has read the end of file and closed its
/// end (a Node primary does so in the tick it emits this worker's
/// `'disconnect'`), at most [`LET_GO_WAIT`] later. So the primary sees
/// `'disconnect'` before `'exit'`, as with a Node worker, whose process
/// ends after its channel closed; exiting at once raced the primary's
/// end of file with its SIGCHLD.
fn exit_when_let_go(channel: &Channel) {
    let Ok(rt) = tokio::runtime::Handle::try_current() else {
        std::process::exit(0);
    };
    let channel = channel.clone();
    rt.spawn(async move {
        let _ = tokio::time::timeout(LET_GO_WAIT, channel.wait_closed()).await;
        std::process::exit(0);
    });
}

/// A `newconn`'s `seq`, for the answer's `ack`: a number (the usual
/// newconn, read raw), or the value as it came (one parsed).
enum Ack<'a> {
    Number(u64),
    Value(&'a Value),
}

/// This process's worker, once started (Node: `cluster.worker`).
pub fn current() -> Option<ThisWorker> {
    SIDE.get().map(|side| ThisWorker { side: side.clone() })
}

impl Side {
    fn next_seq(&self) -> u64 {
        self.seq.fetch_add(1, Ordering::Relaxed)
    }

    fn message(&self, f: Map<String, Value>) -> (u64, Map<String, Value>) {
        let seq = self.next_seq();
        let mut m = Map::with_capacity(f.len() + 2);
        m.insert("cmd".into(), Value::from(CMD));
        m.extend(f);
        m.insert("seq".into(), Value::from(seq));
        (seq, m)
    }

    fn send(&self, f: Map<String, Value>) -> Result<bool, Error> {
        let (_, m) = self.message(f);
        self.channel.send(&m)
    }

    /// Sends and waits for the answer; `ERR_IPC_CHANNEL_CLOSED` if the
    /// channel closes first.
    async fn request(&self, f: Map<String, Value>) -> Result<Answer, Error> {
        let (seq, m) = self.message(f);
        let (tx, rx) = oneshot::channel();
        lock(&self.replies).insert(seq, tx);
        if let Err(e) = self.channel.send(&m) {
            lock(&self.replies).remove(&seq);
            return Err(e);
        }
        rx.await
            .map_err(|_| Error::new(Code::ERR_IPC_CHANNEL_CLOSED, "Channel closed"))
    }

    fn on_message(self: &Arc<Self>, m: InternalMessage) {
        if !is_cluster(&m.message) {
            return;
        }
        if let Some(ack) = m.message.get("ack").and_then(Value::as_u64) {
            if let Some(tx) = lock(&self.replies).remove(&ack) {
                let _ = tx.send((m.message, m.handle));
                return;
            }
        }
        match m.message.get("act").and_then(Value::as_str) {
            Some("newconn") => self.on_connection(&m.message, m.handle),
            Some("disconnect") => {
                let me = self.clone();
                tokio::spawn(async move { me.disconnect(true).await });
            }
            _ => {}
        }
    }

    /// A `newconn` that came parsed (one the raw filter left alone).
    fn on_connection(&self, m: &Value, fd: Option<OwnedFd>) {
        let key = js(m.get("key"));
        self.connection(&key, Ack::Value(m.get("seq").unwrap_or(&Value::Null)), fd);
    }

    /// Node's `onconnection`: answer (`ack`: the `newconn`'s `seq`), then
    /// serve the connection as if accepted here.
    fn connection(&self, key: &str, ack: Ack<'_>, fd: Option<OwnedFd>) {
        let server = lock(&self.servers).get(key).cloned();
        let server = server.filter(|l| {
            let s = &l.server;
            s.max_connections().is_none_or(|max| s.get_connections() < max)
        });
        let accepted = server.is_some() && fd.is_some();
        // Node's fields in Node's order, written straight into the line.
        let seq = self.next_seq();
        let _ = match ack {
            Ack::Number(ack) => self
                .channel
                .send_json(newconn_answer_json(ack, accepted, seq), None),
            Ack::Value(ack) => self.channel.send(&NewConnAnswer { ack, accepted, seq }),
        };
        if let (Some(l), Some(fd)) = (server, fd) {
            if let Ok(io) = accepted_io(fd, l.tcp) {
                l.server.feed_connection(io);
            }
        }
    }

    /// Node's `_disconnect`: close every server (waiting for their
    /// connections), tell the primary when we started it, close the channel.
    async fn disconnect(self: &Arc<Self>, primary_initiated: bool) {
        self.exited_after_disconnect.store(true, Ordering::Release);
        let servers: Vec<Server> = lock(&self.servers).drain().map(|(_, l)| l.server).collect();
        let mut closing = Vec::new();
        for s in servers {
            closing.push(tokio::spawn(async move { close_gracefully(&s).await }));
        }
        for c in closing {
            let _ = c.await;
        }
        if !primary_initiated {
            let _ = self
                .request(fields(json!({"act": "exitedAfterDisconnect"})))
                .await;
        }
        let _ = self.channel.disconnect();
    }
}

impl ThisWorker {
    /// The worker's id (Node: `cluster.worker.id`).
    pub fn id(&self) -> u32 {
        self.side.id
    }

    /// The channel to the primary (Node: `process.send`, `process.on('message')`).
    pub fn channel(&self) -> &Channel {
        &self.side.channel
    }

    /// Sends a message to the primary (Node: `cluster.worker.send(message)`;
    /// it arrives as the worker's `'message'`).
    pub fn send<T: serde::Serialize + ?Sized>(&self, message: &T) -> Result<bool, Error> {
        self.side.channel.send(message)
    }

    /// The next message from the primary (Node: `process.on('message')`).
    pub async fn recv(&self) -> Option<Value> {
        self.side.channel.recv().await
    }

    /// Closes this worker's servers (waiting for their connections to end),
    /// tells the primary, then closes the channel (Node:
    /// `cluster.worker.disconnect()`); the process then exits (see
    /// [`start`]).
    pub async fn disconnect(&self) {
        if self.side.disconnecting.swap(true, Ordering::AcqRel) {
            return;
        }
        self.side.disconnect(false).await;
    }

    /// Whether the process exits when the channel closes (default true).
    pub fn set_exit_on_disconnect(&self, exit: bool) {
        self.side.exit_on_disconnect.store(exit, Ordering::Release);
    }

    /// Whether a disconnect was asked for (Node: `cluster.worker.exitedAfterDisconnect`).
    pub fn exited_after_disconnect(&self) -> bool {
        self.side.exited_after_disconnect.load(Ordering::Acquire)
    }
}

/// The interceptor: Node's `listenInCluster` + `_getServer` for a server
/// in this worker.
async fn listen(server: Server, options: ListenOptions) -> Result<ServerAddress, Error> {
    let worker = start()?;
    let side = worker.side;
    let (address, port, address_type): (Value, i64, i64) = match (&options.path, &options.host) {
        (Some(p), _) => {
            let p = std::path::absolute(p).unwrap_or_else(|_| p.clone());
            (json!(p.to_string_lossy()), -1, -1)
        }
        (None, None) => (Value::Null, i64::from(options.port), 4),
        (None, Some(h)) => {
            let (ip, _) = rt_net::lookup(h, None).await?;
            let t = if ip.is_ipv6() { 6 } else { 4 };
            (json!(ip.to_string()), i64::from(options.port), t)
        }
    };
    let indexes_key = format!("{}:{}:{}:undefined", js(Some(&address)), port, address_type);
    let index = {
        let mut idx = lock(&side.indexes);
        let n = idx.entry(indexes_key).or_insert(0);
        let i = *n;
        *n += 1;
        i
    };
    let mut query = fields(json!({
        "act": "queryServer",
        "index": index,
        "data": null,
        "address": address,
        "port": port,
        "addressType": address_type,
        "backlog": options.backlog.unwrap_or(511),
    }));
    if options.host.is_some() {
        query.insert("flags".into(), json!(if options.ipv6_only { 1 } else { 0 }));
    }
    let (reply, fd) = side.request(query.clone()).await?;
    let shown = match &address {
        Value::String(s) => s.clone(),
        _ => "null".into(),
    };
    let bind_error = |errno: i64| {
        let raw = i32::try_from(-errno).unwrap_or(libc::EINVAL);
        let (code, _) = rt_stream::errno::describe(raw);
        let at = if port >= 0 {
            format!("{shown}:{port}")
        } else {
            shown.clone()
        };
        Error::new(Code::custom(code), format!("bind {code} {at}"))
            .with_errno(-raw)
            .with_syscall("bind")
            .with_address(shown.clone())
            .with_port(i32::try_from(port).unwrap_or(-1))
    };
    let errno = reply.get("errno").and_then(Value::as_i64).unwrap_or(0);
    if errno != 0 {
        return Err(bind_error(errno));
    }
    let key = js(reply.get("key"));
    let bound = match fd {
        Some(fd) => {
            // Shared handle: listen on the primary's bound socket.
            let addr = server.listen_handle(ListenHandle::Fd(fd)).await?;
            // The socket is shared with the primary and the other workers:
            // marking it handed out makes `close` let go of our fd only
            // (a `shutdown` would stop it for every worker).
            drop(server.dup_fd());
            on_close(&server, &side, key.clone());
            addr
        }
        None => {
            // Round-robin: the primary accepts and hands connections in.
            let addr = match reply.get("sockname") {
                Some(s) => {
                    let got = s.get("port").and_then(Value::as_u64).unwrap_or(0);
                    if port > 0 && got != port as u64 {
                        return Err(bind_error(-i64::from(libc::EADDRINUSE)));
                    }
                    ServerAddress::Inet(AddressInfo {
                        address: s.get("address").and_then(Value::as_str).unwrap_or("").to_string(),
                        family: if s.get("family").and_then(Value::as_str) == Some("IPv6") {
                            Family::IPv6
                        } else {
                            Family::IPv4
                        },
                        port: u16::try_from(got).unwrap_or(0),
                    })
                }
                None => ServerAddress::Path(shown.clone()),
            };
            let weak = Arc::downgrade(&side);
            let k = key.clone();
            server.listen_remote(addr, move || {
                if let Some(side) = weak.upgrade() {
                    lock(&side.servers).remove(&k);
                    let _ = side.send(fields(json!({"act": "close", "key": k})));
                }
            })?
        }
    };
    let tcp = matches!(bound, ServerAddress::Inet(_));
    lock(&side.servers).insert(key, Listening { server, tcp });
    query.insert("act".into(), json!("listening"));
    let actual = match &bound {
        ServerAddress::Inet(a) => i64::from(a.port),
        ServerAddress::Path(_) => port,
    };
    query.insert("port".into(), json!(actual));
    let _ = side.send(query);
    Ok(bound)
}

/// A connection the primary accepted on this worker's server and handed
/// in (`newconn`), as an [`Io`]: the kind is the server's (a TCP server's
/// connections are TCP sockets, a Unix path's are Unix sockets), so the fd
/// is not asked what it is ([`Io::from_fd`]'s `fstat` and three
/// `getsockopt`s, four system calls per connection), and its mode is taken
/// as it comes: non-blocking, as rt's and a Node primary's accept made it
/// (`accept4` with `SOCK_NONBLOCK`; the flag belongs to the open socket, so
/// it arrives with the fd). A Node worker does the same: libuv opens a
/// received handle as it is (strace of a v20 worker: `fstat`,
/// `getsockname`, `getsockopt(SO_TYPE)`, no `ioctl(FIONBIO)` or `fcntl`).
/// The primary is trusted to send what its key says, as the protocol
/// intends. An fd that is not what the server's kind says fails its first
/// read or write with the kernel's error; it is never a panic.
fn accepted_io(fd: OwnedFd, tcp: bool) -> std::io::Result<Io> {
    Ok(if tcp {
        Io::Tcp(tokio::net::TcpStream::from_std(std::net::TcpStream::from(fd))?)
    } else {
        Io::Unix(tokio::net::UnixStream::from_std(
            std::os::unix::net::UnixStream::from(fd),
        )?)
    })
}

/// Tells the primary when a shared-handle server closes (Node's patched
/// `handle.close`).
fn on_close(server: &Server, side: &Arc<Side>, key: String) {
    let weak = Arc::downgrade(side);
    server.on_close_once(move || {
        if let Some(side) = weak.upgrade() {
            lock(&side.servers).remove(&key);
            let _ = side.send(fields(json!({"act": "close", "key": key})));
        }
    });
}
