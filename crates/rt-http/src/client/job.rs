//! What a connection and the pool it belongs to share: where a request
//! connects ([`Target`]), a request on its way to a connection ([`Job`]),
//! and the pool a connection reports to ([`Pool`], [`PoolLink`],
//! [`Release`]). The agent implements [`Pool`]; a connection knows only the
//! trait.

use std::path::PathBuf;
use std::time::Duration;

use rt_net::Family;
use tokio::sync::mpsc::UnboundedSender;

use super::connector::{CreateConnection, Lookup};
use super::request::ClientRequest;

/// Where a request connects (Node's `host`, `port`, `socketPath`...).
#[derive(Debug, Clone)]
pub(crate) struct Target {
    pub(crate) host: String,
    pub(crate) port: u16,
    pub(crate) socket_path: Option<PathBuf>,
    pub(crate) local_address: Option<String>,
    pub(crate) family: Option<Family>,
    pub(crate) lookup: Option<Lookup>,
    pub(crate) create_connection: Option<CreateConnection>,
}

impl Target {
    /// Node's `agent.getName(options)`: `host:port:localAddress[:family]`,
    /// or the socket path.
    pub(crate) fn name(&self) -> String {
        if let Some(p) = &self.socket_path {
            return format!("{}:", p.display());
        }
        let mut name = format!(
            "{}:{}:{}",
            self.host,
            self.port,
            self.local_address.as_deref().unwrap_or("")
        );
        match self.family {
            Some(Family::IPv4) => name.push_str(":4"),
            Some(Family::IPv6) => name.push_str(":6"),
            None => {}
        }
        name
    }
}

/// A request waiting for, or given to, a connection.
pub(crate) struct Job {
    pub(crate) req: ClientRequest,
    pub(crate) target: Target,
}

/// The way to a free connection: the sender of its hand-off channel. The
/// connection makes the channel once and keeps it for its life; the pool
/// holds the only sender while the connection is free (dropping it, as
/// `agent.destroy()` does, ends the connection's wait), and gives a clone
/// back with the request it hands over, which the connection gives to the
/// pool again the next time it is free (no channel made per request).
pub(crate) type FreeTx = UnboundedSender<Given>;

/// A request handed to a free connection, with the connection's own way
/// back into the pool.
pub(crate) struct Given {
    pub(crate) job: Job,
    pub(crate) tx: FreeTx,
}

/// What a connection does after its request (answer of [`Pool::release`]).
pub(crate) enum Release {
    /// Serve this queued request next.
    Next(Job),
    /// Wait in the pool, closing after this idle time (if any).
    Idle(Option<Duration>),
    /// Close.
    Close,
}

/// A connection's pool (an agent): Node's `agent.addRequest`, the socket's
/// `'free'` and its close.
pub(crate) trait Pool: Send + Sync {
    /// `agent.addRequest(req, options)`.
    fn add_request(&self, job: Job);
    /// The connection `id` finished its request: what it does next. The
    /// pool takes `tx` when it keeps the connection free (`Idle`), and
    /// leaves it otherwise.
    fn release(&self, name: &str, id: u64, tx: &mut Option<FreeTx>, keep: bool, hint: Option<u64>)
    -> Release;
    /// The connection `id` closed.
    fn closed(&self, name: &str, id: u64);
}

/// A connection's place in its agent.
pub(crate) struct PoolLink {
    pub(crate) agent: Box<dyn Pool>,
    pub(crate) name: String,
    pub(crate) id: u64,
}
