//! The hooks rt-cluster's worker side plugs into (rt-net cannot depend on
//! rt-cluster, which depends on rt-net).
//!
//! - A process-wide **listen interceptor**: inside a cluster worker,
//!   [`Server::listen`] without `exclusive: true` goes to it instead of
//!   binding (Node: `listenInCluster` asking the primary with
//!   `queryServer`). rt-cluster installs it when a worker starts.
//! - A server can **listen elsewhere** ([`Server::listen_remote`]): it is
//!   listening, has an address, and is fed connections that another
//!   process accepted ([`Server::feed_connection`]; Node: the round-robin
//!   worker's faux handle).
//! - A **close hook** runs once at [`Server::close`] (the worker tells the
//!   primary the server is gone: Node's `act: 'close'`).
//! - A **graceful close** for a wrapping server (rt-http) to say how it
//!   ends: stop accepting, let its requests finish
//!   ([`Server::set_graceful_close`], [`close_gracefully`]).
//!
//! A process started as a cluster worker (`NODE_UNIQUE_ID` and
//! `NODE_CHANNEL_FD` set) whose worker side was not started gets an error
//! from `listen` (`ERR_CLUSTER_WORKER_NOT_STARTED`), never a plain bind of
//! the port.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, PoisonError, RwLock};

use super::{Arrival, LISTENING, Server, lock};
use crate::address::ServerAddress;
use crate::error::{Error, NetErrorExt};
use crate::options::ListenOptions;
use crate::transport::Io;

/// A boxed future of a listen.
pub type ListenFuture = Pin<Box<dyn Future<Output = Result<ServerAddress, Error>> + Send + 'static>>;

/// What [`set_listen_interceptor`] installs: gets the server and its
/// options, returns the listen's outcome.
pub type ListenInterceptor = Arc<dyn Fn(Server, ListenOptions) -> ListenFuture + Send + Sync>;

/// A boxed future of a graceful close.
pub type CloseFuture = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// What [`Server::set_graceful_close`] installs.
pub type GracefulClose = Arc<dyn Fn() -> CloseFuture + Send + Sync>;

static INTERCEPTOR: RwLock<Option<ListenInterceptor>> = RwLock::new(None);

/// Routes every non-exclusive [`Server::listen`] of this process through
/// `interceptor` (Node: a cluster worker's `listenInCluster`). rt-cluster's
/// worker side installs this; a second call replaces it.
#[doc(alias = "listenInCluster")]
pub fn set_listen_interceptor(interceptor: ListenInterceptor) {
    *INTERCEPTOR.write().unwrap_or_else(PoisonError::into_inner) = Some(interceptor);
}

pub(super) fn interceptor() -> Option<ListenInterceptor> {
    INTERCEPTOR.read().unwrap_or_else(PoisonError::into_inner).clone()
}

/// Whether this process was started as a cluster worker (Node:
/// `NODE_UNIQUE_ID` in the environment, with an IPC channel).
pub fn started_as_worker() -> bool {
    std::env::var_os("NODE_UNIQUE_ID").is_some() && std::env::var_os("NODE_CHANNEL_FD").is_some()
}

/// The error of a listen in a worker whose cluster side was not started.
pub(super) fn worker_not_started() -> Error {
    Error::new(
        rt_stream::Code::custom("ERR_CLUSTER_WORKER_NOT_STARTED"),
        "this process is a cluster worker (NODE_UNIQUE_ID is set) but rt-cluster's worker side \
         was not started: call rt_cluster::is_primary() or rt_cluster::worker_side::start() before \
         listening, or listen with exclusive: true to bind the port yourself",
    )
}

/// Closes `server` the way its owner ends (an rt-http server: stop
/// accepting, close idle connections, let requests in flight finish) and
/// waits for the end; a plain server: `close()` and `closed()`.
pub async fn close_gracefully(server: &Server) {
    let graceful = lock(&server.inner.st).graceful.clone();
    match graceful {
        Some(g) => g().await,
        None => {
            let _ = server.close();
            server.closed().await;
        }
    }
}

impl Server {
    /// Marks the server listening at `address` without a socket of its
    /// own: another process listens and accepts, and hands connections in
    /// through [`feed_connection`](Server::feed_connection) (Node: a
    /// round-robin cluster worker's server). `'listening'` is emitted;
    /// [`close`](Server::close) runs `on_close` once.
    pub fn listen_remote(
        &self,
        address: ServerAddress,
        on_close: impl FnOnce() + Send + 'static,
    ) -> Result<ServerAddress, Error> {
        {
            let mut st = lock(&self.inner.st);
            if st.listening {
                return Err(Error::server_already_listen());
            }
            st.listening = true;
            st.closing = false;
            st.close_emitted = false;
            st.address = Some(address.clone());
            st.close_hook = Some(Box::new(on_close));
        }
        self.inner.events.emit(&LISTENING, ());
        Ok(address)
    }

    /// Runs `hook` once when the server is next closed (Node: cluster's
    /// patched `handle.close` sending `act: 'close'`).
    pub fn on_close_once(&self, hook: impl FnOnce() + Send + 'static) {
        lock(&self.inner.st).close_hook = Some(Box::new(hook));
    }

    /// A connection accepted elsewhere, taken as if this server's accept
    /// loop had accepted it: the raw-connection hook (an rt-http server)
    /// sees it first, then it becomes a `Socket` of this server (Node: a
    /// cluster worker's `onconnection` for a `newconn` handle).
    /// The hook is told it was handed in ([`Arrival::HandedIn`]): its
    /// request is likely waiting already.
    pub fn feed_connection(&self, io: Io) {
        self.on_connection(io, Arrival::HandedIn);
    }

    /// Says how this server ends gracefully (used by [`close_gracefully`]):
    /// rt-http installs its own close, which also waits for the requests
    /// its tasks serve.
    pub fn set_graceful_close(&self, close: GracefulClose) {
        lock(&self.inner.st).graceful = Some(close);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::{CONNECTION, LISTENING, SERVER_CLOSE};
    use crate::{AddressInfo, Emitter, Family, Socket};
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test]
    async fn a_remote_server_is_fed_connections_and_runs_its_close_hook() {
        let server = Server::new();
        let heard = Arc::new(AtomicUsize::new(0));
        let h = heard.clone();
        server.on(&LISTENING, move |_| {
            h.fetch_add(1, Ordering::SeqCst);
        });
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Socket>();
        server.on(&CONNECTION, move |s| {
            let _ = tx.send(s.clone());
        });
        let closed = Arc::new(AtomicUsize::new(0));
        let (c, c2) = (closed.clone(), closed.clone());
        server.on(&SERVER_CLOSE, move |_| {
            c2.fetch_add(10, Ordering::SeqCst);
        });
        let addr = ServerAddress::Inet(AddressInfo {
            address: "127.0.0.1".into(),
            family: Family::IPv4,
            port: 4321,
        });
        server
            .listen_remote(addr.clone(), move || {
                c.fetch_add(1, Ordering::SeqCst);
            })
            .unwrap();
        assert!(server.listening());
        assert_eq!(server.address(), Some(addr.clone()));
        assert_eq!(heard.load(Ordering::SeqCst), 1);
        assert_eq!(
            server.listen_remote(addr, || {}).unwrap_err().code(),
            "ERR_SERVER_ALREADY_LISTEN"
        );
        let (a, b) = Io::pair().unwrap();
        server.feed_connection(a);
        let s = tokio::time::timeout(std::time::Duration::from_secs(5), rx.recv())
            .await
            .expect("a 'connection' for the fed connection")
            .unwrap();
        assert_eq!(server.get_connections(), 1);
        server.close().unwrap();
        assert_eq!(
            closed.load(Ordering::SeqCst),
            1,
            "close hook ran once, 'close' waits"
        );
        s.destroy(None);
        drop(b);
        tokio::time::timeout(std::time::Duration::from_secs(5), server.closed())
            .await
            .expect("'close' after the fed connection ended");
        assert_eq!(closed.load(Ordering::SeqCst), 11);
    }
}
