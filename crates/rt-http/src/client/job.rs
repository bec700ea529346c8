//! What a connection and the pool it belongs to share: where a request
//! connects ([`Target`]), a request on its way to a connection ([`Job`]),
//! and the pool a connection reports to ([`Pool`], [`PoolLink`],
//! [`Release`]). The agent implements [`Pool`]; a connection knows only the
//! trait.

use std::path::{Path, PathBuf};
use std::sync::Weak;
use std::time::Duration;

use rt_net::Family;
use rt_net::transport::Io;
use tokio::sync::mpsc::UnboundedSender;

use super::connector::{CreateConnection, Lookup};
use super::events::ClientSocket;
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
    /// Node's `agent.getName(options)` for the request's options (host and
    /// port defaulted as the request defaults them); the pool builds it
    /// with [`name_into`](Self::name_into).
    #[cfg(test)]
    pub(crate) fn name(&self) -> String {
        let mut name = String::new();
        self.name_into(&mut name);
        name
    }

    /// [`name`](Self::name) appended to `out`, built by hand: it runs for
    /// every request (no formatting machinery, one allocation at most).
    pub(crate) fn name_into(&self, out: &mut String) {
        push_name(
            out,
            Some(&self.host),
            Some(self.port),
            self.local_address.as_deref(),
            self.family,
            self.socket_path.as_deref(),
        );
    }
}

/// Node v20's `Agent.prototype.getName(options)`, appended to `out`:
/// `host` (empty or none: `localhost`), `:`, the port unless none or 0,
/// `:`, the local address, then `:4` / `:6` for a family and
/// `:<socketPath>` for a socket path (`localhost:::/tmp/s.sock`).
pub(crate) fn push_name(
    out: &mut String,
    host: Option<&str>,
    port: Option<u16>,
    local_address: Option<&str>,
    family: Option<Family>,
    socket_path: Option<&Path>,
) {
    let host = host.filter(|h| !h.is_empty()).unwrap_or("localhost");
    let local = local_address.unwrap_or("");
    out.reserve(host.len() + local.len() + 24);
    out.push_str(host);
    out.push(':');
    if let Some(port) = port.filter(|&p| p != 0) {
        push_decimal(out, u64::from(port));
    }
    out.push(':');
    out.push_str(local);
    match family {
        Some(Family::IPv4) => out.push_str(":4"),
        Some(Family::IPv6) => out.push_str(":6"),
        None => {}
    }
    if let Some(p) = socket_path {
        out.push(':');
        out.push_str(&p.to_string_lossy());
    }
}

/// Appends `n` in decimal.
pub(crate) fn push_decimal(out: &mut String, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend(digits[i..].iter().map(|&d| char::from(d)));
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
    /// The pool offered the connection's socket to the request already
    /// (what [`ClientRequest::offer_pooled`] returned).
    pub(crate) offered: Option<bool>,
}

/// A free connection as the pool hands it to a request at once: its
/// socket's write side (the request's `'socket'` tick writes the request
/// on it, as Node's `onSocketNT` flushes it) and the `'socket'` payload.
#[derive(Clone)]
pub(crate) struct Pooled {
    pub(crate) io: Weak<Io>,
    pub(crate) socket: ClientSocket,
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
    /// `pooled`: how a request is given the connection while it is free.
    fn release(
        &self,
        name: &str,
        id: u64,
        tx: &mut Option<FreeTx>,
        pooled: &Pooled,
        keep: bool,
        hint: Option<u64>,
    ) -> Release;
    /// The connection `id` closed.
    fn closed(&self, name: &str, id: u64);
}

/// A connection's place in its agent.
pub(crate) struct PoolLink {
    pub(crate) agent: Box<dyn Pool>,
    pub(crate) name: String,
    pub(crate) id: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(host: &str, port: u16) -> Target {
        Target {
            host: host.to_string(),
            port,
            socket_path: None,
            local_address: None,
            family: None,
            lookup: None,
            create_connection: None,
        }
    }

    /// The pool names: host, port, local address, family and socket path
    /// as Node v20's `new http.Agent().getName({...})` returns them (asked
    /// of node; tests/client_agent_name_node.rs compares them with node
    /// each run).
    #[test]
    fn name_is_nodes_get_name() {
        let mut cases = vec![
            (target("127.0.0.1", 8080), "127.0.0.1:8080:"),
            (target("localhost", 80), "localhost:80:"),
            (target("h", 0), "h::"),
            (target("h", 65535), "h:65535:"),
            (target("h", 1000), "h:1000:"),
        ];
        let mut t = target("::1", 443);
        t.local_address = Some("::1".into());
        t.family = Some(Family::IPv6);
        cases.push((t, "::1:443:::1:6"));
        let mut t = target("example.com", 8443);
        t.family = Some(Family::IPv4);
        cases.push((t, "example.com:8443::4"));
        let mut t = target("ignored", 1);
        t.socket_path = Some(PathBuf::from("/tmp/s.sock"));
        cases.push((t, "ignored:1::/tmp/s.sock"));
        for (t, want) in &cases {
            assert_eq!(t.name(), *want);
        }
        println!("{} names compared", cases.len());
        assert_eq!(cases.len(), 8);
    }

    #[test]
    fn push_decimal_writes_every_digit() {
        for n in [0u64, 7, 10, 99, 100, 4096, 65535, u64::MAX] {
            let mut s = String::from("x");
            push_decimal(&mut s, n);
            assert_eq!(s, format!("x{n}"));
        }
    }
}
