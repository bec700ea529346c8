//! A request's own resolver and connection maker: Node's `options.lookup`
//! and `options.createConnection`.

use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::Arc;

use rt_net::Family;
use rt_net::transport::Io;
use rt_stream::Error;

type Pending<T> = Pin<Box<dyn Future<Output = Result<T, Error>> + Send>>;
type LookupFn = dyn Fn(String, Option<Family>) -> Pending<(IpAddr, Family)> + Send + Sync;
type CreateFn = dyn Fn(String, u16) -> Pending<Io> + Send + Sync;

/// Node's `options.lookup(hostname, { family }, callback)`: resolves the
/// request's host instead of the system resolver (`dns.lookup`). Its error
/// is the request's `'error'`.
///
/// ```
/// use rt_http::client::Lookup;
/// let lookup = Lookup::new(|host, _family| async move {
///     match host.as_str() {
///         "api.internal" => Ok(([127, 0, 0, 1].into(), rt_net::Family::IPv4)),
///         _ => Err(rt_stream::Error::new("ENOTFOUND", format!("getaddrinfo ENOTFOUND {host}"))),
///     }
/// });
/// # let _ = lookup;
/// ```
#[doc(alias = "lookup")]
#[derive(Clone)]
pub struct Lookup(Arc<LookupFn>);

impl Lookup {
    /// A resolver from an async function of `(hostname, family)`.
    pub fn new<F, R>(f: F) -> Lookup
    where
        F: Fn(String, Option<Family>) -> R + Send + Sync + 'static,
        R: Future<Output = Result<(IpAddr, Family), Error>> + Send + 'static,
    {
        Lookup(Arc::new(move |host, family| Box::pin(f(host, family))))
    }

    pub(crate) fn resolve(&self, host: &str, family: Option<Family>) -> Pending<(IpAddr, Family)> {
        (self.0)(host.to_string(), family)
    }
}

impl std::fmt::Debug for Lookup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Lookup(..)")
    }
}

/// Node's `options.createConnection(options)`: makes the request's
/// connection (given the host and port) instead of the agent's TCP connect;
/// its error is the request's `'error'`. The connection is a kernel stream
/// (TCP, Unix socket), as the client parses in place on it.
#[doc(alias = "createConnection")]
#[derive(Clone)]
pub struct CreateConnection(Arc<CreateFn>);

impl CreateConnection {
    /// A connection maker from an async function of `(host, port)`.
    pub fn new<F, R>(f: F) -> CreateConnection
    where
        F: Fn(String, u16) -> R + Send + Sync + 'static,
        R: Future<Output = Result<Io, Error>> + Send + 'static,
    {
        CreateConnection(Arc::new(move |host, port| Box::pin(f(host, port))))
    }

    pub(crate) fn connect(&self, host: &str, port: u16) -> Pending<Io> {
        (self.0)(host.to_string(), port)
    }
}

impl std::fmt::Debug for CreateConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CreateConnection(..)")
    }
}
