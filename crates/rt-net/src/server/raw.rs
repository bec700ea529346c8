//! Connections before any `Socket` exists: a hook that takes accepted
//! connections raw (cluster's round-robin primary sends their fds to
//! workers; an HTTP server runs its own task per connection on the
//! transport), and connections accepted elsewhere added to a server.

use std::sync::{Arc, PoisonError};

use super::Server;
use crate::transport::Io;

/// What [`Server::on_raw_connection`] installs.
pub(super) type RawHook = Arc<dyn Fn(Io) -> Option<Io> + Send + Sync>;

impl Server {
    /// Hands each accepted connection to `hook` before any `Socket` is
    /// built. The hook returns `None` when it took the connection (it now
    /// owns the [`Io`]: send its fd to a worker, run a
    /// [`Transport`](crate::transport::Transport) task on it), or gives it
    /// back (`Some`) to go the usual way (a `Socket`, `'connection'`, the
    /// handler). Taken connections are not counted by
    /// [`get_connections`](Server::get_connections), are not limited by
    /// `max_connections` and emit no `'connection'`. The hook runs on the
    /// accept task: spawn anything slow. One hook per server; setting it
    /// again replaces it. Node: what cluster's round-robin primary does with
    /// the handles its server accepts (`RoundRobinHandle`'s `onconnection`).
    #[doc(alias = "onconnection")]
    pub fn on_raw_connection<F>(&self, hook: F)
    where
        F: Fn(Io) -> Option<Io> + Send + Sync + 'static,
    {
        *self
            .inner
            .raw_hook
            .write()
            .unwrap_or_else(PoisonError::into_inner) = Some(Arc::new(hook));
    }

    /// Adds a connection accepted elsewhere (a cluster worker receiving a
    /// connection from the primary as an fd, [`Io::from_fd`]) as if this
    /// server had accepted it: it becomes a `Socket` of this server, is
    /// counted, emits `'connection'`, goes to the handler or
    /// [`accept`](Server::accept). The raw-connection hook does not see it.
    /// Works whether the server listens or not. Node: the worker-side
    /// server's `onconnection` for a `newconn` handle.
    pub fn add_connection(&self, io: Io) {
        self.serve_connection(io);
    }

    /// The accept loop's entry: the raw hook first, then the usual path.
    pub(super) fn on_connection(&self, io: Io) {
        let hook = self
            .inner
            .raw_hook
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        let io = match hook {
            Some(h) => match h(io) {
                Some(io) => io,
                None => return,
            },
            None => io,
        };
        self.serve_connection(io);
    }
}
