//! Binding listening sockets (socket2 for the options tokio does not expose)
//! and adopting listeners made elsewhere.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};

use socket2::{Domain, Protocol, Socket as RawSocket, Type};
use tokio::net::{TcpListener, UnixListener};

use crate::address::{AddressInfo, ServerAddress};
use crate::conn::Conn;
use crate::error::{Error, NetErrorExt};
use crate::lookup::lookup;
use crate::options::ListenOptions;

/// Node's default backlog.
pub(crate) const DEFAULT_BACKLOG: i32 = 511;

/// A listening socket registered with tokio.
#[derive(Debug)]
pub(crate) enum Listener {
    Tcp(TcpListener),
    Unix(UnixListener),
}

impl Listener {
    pub(crate) async fn accept(&self) -> io::Result<Conn> {
        match self {
            Listener::Tcp(l) => l.accept().await.map(|(s, _)| Conn::Tcp(s)),
            Listener::Unix(l) => l.accept().await.map(|(s, _)| Conn::Unix(s)),
        }
    }

    /// Stops listening now, even while the accept task still holds the
    /// listener: on Linux `shutdown` on a listening socket refuses new
    /// connections and wakes a pending accept (Node closes the handle
    /// synchronously in `server.close()`).
    ///
    /// Unix listeners are left alone: after `shutdown` Linux reports them
    /// hung up while `accept` keeps answering `EAGAIN`, which would spin
    /// the accept task. Their path is unlinked at close instead, so new
    /// clients get `ENOENT` at once, and the accept task drops them.
    pub(crate) fn stop(&self) {
        if let Listener::Tcp(l) = self {
            let _ = socket2::SockRef::from(l).shutdown(std::net::Shutdown::Both);
        }
    }

    pub(crate) fn address(&self, path: Option<&str>) -> Option<ServerAddress> {
        match self {
            Listener::Tcp(l) => l
                .local_addr()
                .ok()
                .map(|a| ServerAddress::Inet(AddressInfo::from(a))),
            Listener::Unix(l) => Some(ServerAddress::Path(match path {
                Some(p) => p.to_string(),
                None => unix_name(l),
            })),
        }
    }
}

fn unix_name(l: &UnixListener) -> String {
    let Ok(addr) = l.local_addr() else {
        return String::new();
    };
    if let Some(p) = addr.as_pathname() {
        return p.to_string_lossy().into_owned();
    }
    #[cfg(target_os = "linux")]
    {
        use std::os::linux::net::SocketAddrExt;
        let std_addr: std::os::unix::net::SocketAddr = addr.into();
        if let Some(name) = std_addr.as_abstract_name() {
            let end = name.iter().rposition(|b| *b != 0).map_or(0, |i| i + 1);
            return format!("\0{}", String::from_utf8_lossy(&name[..end]));
        }
    }
    String::new()
}

/// What a bind produced: the listener and, for a Unix path, the file to
/// remove on close.
pub(crate) struct Bound {
    pub(crate) listener: Listener,
    pub(crate) unlink: Option<PathBuf>,
    pub(crate) path: Option<String>,
}

/// Binds and listens as Node's `server.listen(options)`.
pub(crate) async fn bind(options: &ListenOptions) -> Result<Bound, Error> {
    let backlog = options.backlog.unwrap_or(DEFAULT_BACKLOG);
    if let Some(path) = &options.path {
        return bind_unix(path, backlog, options);
    }
    let addrs: Vec<SocketAddr> = match &options.host {
        Some(host) => {
            let (ip, _) = lookup(host, None).await?;
            vec![SocketAddr::new(ip, options.port)]
        }
        None => vec![
            SocketAddr::new(IpAddr::V6(Ipv6Addr::UNSPECIFIED), options.port),
            SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), options.port),
        ],
    };
    let mut last = None;
    for (i, addr) in addrs.iter().enumerate() {
        match bind_tcp(*addr, backlog, options) {
            Ok(l) => {
                return Ok(Bound {
                    listener: Listener::Tcp(l),
                    unlink: None,
                    path: None,
                });
            }
            Err(e) => {
                // No IPv6 on this machine: Node falls back to 0.0.0.0.
                let no_v6 = matches!(
                    e.raw_os_error(),
                    Some(libc::EAFNOSUPPORT) | Some(libc::EADDRNOTAVAIL)
                );
                let err = Error::listen(&e, &addr.ip().to_string(), Some(addr.port()));
                if !(no_v6 && i + 1 < addrs.len()) {
                    return Err(err);
                }
                last = Some(err);
            }
        }
    }
    Err(last.unwrap_or_else(|| Error::invalid_arg("options", "has no address to listen on")))
}

fn bind_tcp(addr: SocketAddr, backlog: i32, options: &ListenOptions) -> io::Result<TcpListener> {
    let sock = RawSocket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    // libuv sets SO_REUSEADDR on every TCP listener.
    sock.set_reuse_address(true)?;
    if options.reuse_port {
        sock.set_reuse_port(true)?;
    }
    if addr.is_ipv6() {
        sock.set_only_v6(options.ipv6_only)?;
    }
    sock.set_nonblocking(true)?;
    sock.bind(&addr.into())?;
    sock.listen(backlog)?;
    TcpListener::from_std(sock.into())
}

fn bind_unix(path: &Path, backlog: i32, options: &ListenOptions) -> Result<Bound, Error> {
    let shown = path.to_string_lossy().into_owned();
    let fail = |e: io::Error| Error::listen(&e, &shown, None);
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::ffi::OsStrExt;
        if let Some(name) = path.as_os_str().as_bytes().strip_prefix(b"\0") {
            let addr = crate::conn::abstract_addr(name).map_err(fail)?;
            let std = std::os::unix::net::UnixListener::bind_addr(&addr).map_err(fail)?;
            let raw = RawSocket::from(OwnedFd::from(std));
            raw.listen(backlog).map_err(fail)?;
            raw.set_nonblocking(true).map_err(fail)?;
            let std: std::os::unix::net::UnixListener = OwnedFd::from(raw).into();
            return Ok(Bound {
                listener: Listener::Unix(UnixListener::from_std(std).map_err(fail)?),
                unlink: None,
                path: Some(shown),
            });
        }
    }
    let sock = RawSocket::new(Domain::UNIX, Type::STREAM, None).map_err(fail)?;
    let addr = socket2::SockAddr::unix(path).map_err(fail)?;
    sock.bind(&addr).map_err(fail)?;
    sock.listen(backlog).map_err(fail)?;
    sock.set_nonblocking(true).map_err(fail)?;
    if options.readable_all || options.writable_all {
        use std::os::unix::fs::PermissionsExt;
        let mut mode = 0o600;
        if options.readable_all {
            mode |= 0o044;
        }
        if options.writable_all {
            mode |= 0o022;
        }
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).map_err(fail)?;
    }
    let std: std::os::unix::net::UnixListener = OwnedFd::from(sock).into();
    Ok(Bound {
        listener: Listener::Unix(UnixListener::from_std(std).map_err(fail)?),
        unlink: Some(path.to_path_buf()),
        path: Some(shown),
    })
}

/// A listener made elsewhere (another crate, a parent process): Node's
/// `server.listen(handle)`.
#[derive(Debug)]
pub enum ListenHandle {
    /// A std TCP listener.
    StdTcp(std::net::TcpListener),
    /// A tokio TCP listener.
    Tcp(TcpListener),
    /// A std Unix listener.
    StdUnix(std::os::unix::net::UnixListener),
    /// A tokio Unix listener.
    Unix(UnixListener),
    /// A raw listening socket, TCP or Unix (Node: `{ fd }`); its kind is read
    /// from the socket itself.
    Fd(OwnedFd),
}

impl From<std::net::TcpListener> for ListenHandle {
    fn from(l: std::net::TcpListener) -> Self {
        ListenHandle::StdTcp(l)
    }
}

impl From<TcpListener> for ListenHandle {
    fn from(l: TcpListener) -> Self {
        ListenHandle::Tcp(l)
    }
}

impl From<std::os::unix::net::UnixListener> for ListenHandle {
    fn from(l: std::os::unix::net::UnixListener) -> Self {
        ListenHandle::StdUnix(l)
    }
}

impl From<UnixListener> for ListenHandle {
    fn from(l: UnixListener) -> Self {
        ListenHandle::Unix(l)
    }
}

impl From<OwnedFd> for ListenHandle {
    fn from(fd: OwnedFd) -> Self {
        ListenHandle::Fd(fd)
    }
}

pub(crate) fn adopt(handle: ListenHandle) -> Result<Listener, Error> {
    let fail = |e: io::Error| Error::syscall_failed(&e, "listen");
    Ok(match handle {
        ListenHandle::Tcp(l) => Listener::Tcp(l),
        ListenHandle::Unix(l) => Listener::Unix(l),
        ListenHandle::StdTcp(l) => {
            l.set_nonblocking(true).map_err(fail)?;
            Listener::Tcp(TcpListener::from_std(l).map_err(fail)?)
        }
        ListenHandle::StdUnix(l) => {
            l.set_nonblocking(true).map_err(fail)?;
            Listener::Unix(UnixListener::from_std(l).map_err(fail)?)
        }
        ListenHandle::Fd(fd) => {
            let raw = RawSocket::from(fd);
            let local = raw.local_addr().map_err(fail)?;
            // Node listens on a handed-over socket that is only bound.
            raw.listen(DEFAULT_BACKLOG).map_err(fail)?;
            raw.set_nonblocking(true).map_err(fail)?;
            if local.domain() == Domain::UNIX {
                let std: std::os::unix::net::UnixListener = OwnedFd::from(raw).into();
                Listener::Unix(UnixListener::from_std(std).map_err(fail)?)
            } else if local.domain() == Domain::IPV4 || local.domain() == Domain::IPV6 {
                Listener::Tcp(TcpListener::from_std(raw.into()).map_err(fail)?)
            } else {
                return Err(Error::invalid_arg("handle", "is not a TCP or Unix stream socket"));
            }
        }
    })
}
