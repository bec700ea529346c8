//! Connections before any `Socket` exists: a hook that takes accepted
//! connections raw (cluster's round-robin primary sends their fds to
//! workers; an HTTP server runs its own task per connection on the
//! transport), and connections accepted elsewhere added to a server.

use std::sync::{Arc, PoisonError};

use super::Server;
use crate::transport::Io;

/// What [`Server::on_raw_connection`] installs.
pub(super) type RawHook = Arc<dyn Fn(Io, Arrival) -> Option<Io> + Send + Sync>;

/// How a connection came to a server's raw-connection hook
/// ([`Server::on_raw_connection`]).
#[doc(alias = "onconnection")]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Arrival {
    /// This server's accept loop accepted it: its first bytes are usually
    /// still on their way.
    Accepted,
    /// Another process accepted it and it was handed in
    /// ([`Server::feed_connection`]: a round-robin cluster worker's
    /// connection): its first bytes are usually waiting in the socket
    /// already, so its owner may read at once
    /// ([`Transport::assume_ready`](crate::transport::Transport::assume_ready)).
    HandedIn,
}

/// What [`Server::count_raw_connections`] installs.
pub(super) type RawCount = Arc<dyn Fn() -> usize + Send + Sync>;

impl Server {
    /// Hands each accepted connection to `hook` before any `Socket` is
    /// built, with how it came ([`Arrival`]: accepted here, or handed in
    /// from another process by [`feed_connection`](Server::feed_connection)).
    /// The hook returns `None` when it took the connection (it now
    /// owns the [`Io`]: send its fd to a worker, run a
    /// [`Transport`](crate::transport::Transport) task on it), or gives it
    /// back (`Some`) to go the usual way (a `Socket`, `'connection'`, the
    /// handler). Taken connections are not counted by
    /// [`get_connections`](Server::get_connections) (unless their owner
    /// counts them: [`count_raw_connections`](Server::count_raw_connections)),
    /// are not limited by `max_connections` and emit no `'connection'`. The hook runs on the
    /// accept task: spawn anything slow. One hook per server; setting it
    /// again replaces it. Node: what cluster's round-robin primary does with
    /// the handles its server accepts (`RoundRobinHandle`'s `onconnection`).
    #[doc(alias = "onconnection")]
    pub fn on_raw_connection<F>(&self, hook: F)
    where
        F: Fn(Io, Arrival) -> Option<Io> + Send + Sync + 'static,
    {
        *self
            .inner
            .raw_hook
            .write()
            .unwrap_or_else(PoisonError::into_inner) = Some(Arc::new(hook));
    }

    /// How many of the connections the raw-connection hook took are open,
    /// as their owner counts them (an rt-http server: its connections):
    /// added to [`get_connections`](Server::get_connections), as Node's
    /// `getConnections` counts an http server's connections. A cluster
    /// worker refuses a handed-in connection by that count past
    /// `max_connections` (Node's worker-side `onconnection`), so the
    /// primary sends it to another worker. One counter per server; setting
    /// it again replaces it.
    #[doc(alias = "getConnections")]
    pub fn count_raw_connections<F>(&self, count: F)
    where
        F: Fn() -> usize + Send + Sync + 'static,
    {
        *self
            .inner
            .raw_count
            .write()
            .unwrap_or_else(PoisonError::into_inner) = Some(Arc::new(count));
    }

    /// The raw hook owner's count (0 without a counter).
    pub(super) fn raw_connections(&self) -> usize {
        self.inner
            .raw_count
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
            .map_or(0, |count| count())
    }

    /// Adds a connection accepted elsewhere (a cluster worker receiving a
    /// connection from the primary as an fd, [`Io::from_fd`]) as if this
    /// server had accepted it: it becomes a `Socket` of this server, is
    /// counted, emits `'connection'`, goes to the handler or
    /// [`accept`](Server::accept). The raw-connection hook does not see it.
    /// Works whether the server listens or not. Its data is likely waiting:
    /// the socket's first reads and writes go straight to the kernel, not
    /// after the reactor's first report on the fd (a reset or an end of
    /// file comes through as from any socket). Node: the worker-side
    /// server's `onconnection` for a `newconn` handle.
    pub fn add_connection(&self, io: Io) {
        self.serve_connection(io, true);
    }

    /// The accept loop's entry (and a handed-in connection's): the raw hook
    /// first, then the usual path.
    pub(super) fn on_connection(&self, io: Io, arrival: Arrival) {
        let hook = self
            .inner
            .raw_hook
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        let io = match hook {
            Some(h) => match h(io, arrival) {
                Some(io) => io,
                None => return,
            },
            None => io,
        };
        self.serve_connection(io, arrival == Arrival::HandedIn);
    }
}
