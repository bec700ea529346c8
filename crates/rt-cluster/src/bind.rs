//! The primary's sockets for a worker's `queryServer`: where to bind, and
//! the binding itself (Node: `RoundRobinHandle`'s `server.listen` and
//! `SharedHandle`'s `_createServerHandle`).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::os::fd::OwnedFd;
use std::path::PathBuf;

use serde_json::{Value, json};
use socket2::{Domain, Protocol, SockAddr, Socket, Type};

/// Node's default backlog.
const DEFAULT_BACKLOG: i32 = 511;

/// The address of a `queryServer`.
pub(crate) struct Where {
    address: Option<String>,
    port: i64,
    address_type: i64,
    backlog: Option<i32>,
    ipv6_only: bool,
}

impl Where {
    pub(crate) fn from_message(m: &Value) -> Where {
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
}

fn errno(e: &std::io::Error) -> i64 {
    -i64::from(e.raw_os_error().unwrap_or(libc::EINVAL))
}

fn einval() -> std::io::Error {
    std::io::Error::from_raw_os_error(libc::EINVAL)
}

/// A listening socket of the round-robin primary.
pub(crate) struct Listening {
    /// Non-blocking, close-on-exec.
    pub(crate) fd: OwnedFd,
    /// Node's `getsockname` answer (`{address, family, port}`); `None` for
    /// a Unix socket.
    pub(crate) sockname: Option<Value>,
    /// The path to remove when the socket closes (libuv unlinks a pipe
    /// server's path on close).
    pub(crate) unlink: Option<PathBuf>,
}

/// Binds and listens as Node's `server.listen({port, host, ipv6Only,
/// backlog})` or `({path, backlog})`; a failure is a negative errno (what
/// the primary answers).
pub(crate) async fn listen(w: &Where) -> Result<Listening, i64> {
    let backlog = w.backlog.unwrap_or(DEFAULT_BACKLOG);
    if w.address_type == -1 {
        return listen_unix(w.address.clone().unwrap_or_default(), backlog).map_err(|e| errno(&e));
    }
    let port = u16::try_from(w.port).map_err(|_| -i64::from(libc::EINVAL))?;
    let addrs = match &w.address {
        Some(host) => {
            let (ip, _) = rt_net::lookup(host, None)
                .await
                .map_err(|e| i64::from(e.errno().unwrap_or(-libc::EINVAL)))?;
            vec![SocketAddr::new(ip, port)]
        }
        None => vec![
            SocketAddr::new(IpAddr::V6(Ipv6Addr::UNSPECIFIED), port),
            SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), port),
        ],
    };
    let mut last = -i64::from(libc::EINVAL);
    for (i, addr) in addrs.iter().enumerate() {
        let s = match tcp(*addr, w.ipv6_only).and_then(|s| s.listen(backlog).map(|()| s)) {
            Ok(s) => s,
            Err(e) => {
                // No IPv6 on this machine: Node falls back to 0.0.0.0.
                let no_v6 = matches!(
                    e.raw_os_error(),
                    Some(libc::EAFNOSUPPORT) | Some(libc::EADDRNOTAVAIL)
                );
                last = errno(&e);
                if no_v6 && i + 1 < addrs.len() {
                    continue;
                }
                return Err(last);
            }
        };
        let local = s
            .local_addr()
            .ok()
            .and_then(|a| a.as_socket())
            .ok_or(-i64::from(libc::EINVAL))?;
        let family = if local.is_ipv6() { "IPv6" } else { "IPv4" };
        return Ok(Listening {
            fd: s.into(),
            sockname: Some(
                json!({"address": local.ip().to_string(), "family": family, "port": local.port()}),
            ),
            unlink: None,
        });
    }
    Err(last)
}

fn listen_unix(path: String, backlog: i32) -> std::io::Result<Listening> {
    if let Some(name) = path.strip_prefix('\0') {
        // The Linux abstract namespace: no file to remove.
        use std::os::linux::net::SocketAddrExt;
        let addr = std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes())?;
        let s = Socket::from(OwnedFd::from(std::os::unix::net::UnixListener::bind_addr(&addr)?));
        s.listen(backlog)?;
        s.set_nonblocking(true)?;
        return Ok(Listening {
            fd: s.into(),
            sockname: None,
            unlink: None,
        });
    }
    let s = Socket::new(Domain::UNIX, Type::STREAM, None)?;
    s.bind(&SockAddr::unix(&path)?)?;
    s.listen(backlog)?;
    s.set_nonblocking(true)?;
    Ok(Listening {
        fd: s.into(),
        sockname: None,
        unlink: Some(PathBuf::from(path)),
    })
}

/// A TCP socket bound to `addr` as libuv binds (`SO_REUSEADDR`,
/// `IPV6_V6ONLY` as asked), non-blocking and close-on-exec (socket2's
/// default), not listening.
fn tcp(addr: SocketAddr, v6only: bool) -> std::io::Result<Socket> {
    let s = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    s.set_reuse_address(true)?;
    if addr.is_ipv6() {
        s.set_only_v6(v6only)?;
    }
    s.bind(&addr.into())?;
    s.set_nonblocking(true)?;
    Ok(s)
}

/// Node's `_createServerHandle` for a shared handle: a bound, not
/// listening, non-blocking socket (`::` dual-stack when no address,
/// falling back to `0.0.0.0`).
pub(crate) fn bind(w: &Where) -> std::io::Result<OwnedFd> {
    if w.address_type == -1 {
        let path = w.address.clone().unwrap_or_default();
        let s = Socket::new(Domain::UNIX, Type::STREAM, None)?;
        s.bind(&SockAddr::unix(path)?)?;
        s.set_nonblocking(true)?;
        return Ok(s.into());
    }
    let port = u16::try_from(w.port).map_err(|_| einval())?;
    match &w.address {
        None => tcp(
            SocketAddr::new(IpAddr::V6(Ipv6Addr::UNSPECIFIED), port),
            w.ipv6_only,
        )
        .or_else(|_| tcp(SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), port), false))
        .map(OwnedFd::from),
        Some(a) => {
            let ip: IpAddr = a.parse().map_err(|_| einval())?;
            tcp(SocketAddr::new(ip, port), w.ipv6_only).map(OwnedFd::from)
        }
    }
}
