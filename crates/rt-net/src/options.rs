//! Option structs: what Node takes as `options` objects.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::address::Family;
use rt_stream::option_setters;

/// Options of a socket that are not about where it connects (Node's
/// `new net.Socket(options)`).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SocketOptions {
    /// Keep our side writable after the peer's `'end'` until we call `end()`
    /// (default `false`: we end automatically, as Node). Node: `allowHalfOpen`.
    pub allow_half_open: bool,
    /// `write()` returns `false` once this many bytes are queued (default 16 KiB).
    /// Node: `writableHighWaterMark`.
    pub high_water_mark: usize,
    /// Bytes asked of the kernel per read at most (default 64 KiB, as Node).
    pub read_size: usize,
}

option_setters!(SocketOptions {
    /// Sets `allow_half_open` (Node: `allowHalfOpen`).
    #[doc(alias = "allowHalfOpen")]
    allow_half_open: (bool),
    /// Sets `high_water_mark` (Node: `writableHighWaterMark`).
    #[doc(alias = "writableHighWaterMark")]
    high_water_mark: (usize),
    /// Sets `read_size` (Node: `readSize`).
    #[doc(alias = "readSize")]
    read_size: (usize),
});

impl Default for SocketOptions {
    fn default() -> Self {
        SocketOptions {
            allow_half_open: false,
            high_water_mark: 16 * 1024,
            read_size: 64 * 1024,
        }
    }
}

/// Where and how to connect (Node's `socket.connect(options)` /
/// `net.connect(options)`).
///
/// Build one from a port (`3000u16`, on `localhost`), a `(host, port)` pair,
/// a `SocketAddr`, or a Unix socket path, then adjust fields.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct ConnectOptions {
    /// TCP port. Node: `port`.
    pub port: u16,
    /// Host name or IP (default `"localhost"`). Node: `host`.
    pub host: Option<String>,
    /// A Unix socket path instead of TCP (`"\0name"`: the Linux abstract
    /// namespace). Node: `path`.
    pub path: Option<PathBuf>,
    /// Only addresses of this family from the lookup. Node: `family`.
    pub family: Option<Family>,
    /// Bind to this local address first. Node: `localAddress`.
    pub local_address: Option<String>,
    /// Bind to this local port first. Node: `localPort`.
    pub local_port: Option<u16>,
    /// Give up connecting after this long with `ETIMEDOUT` (rt's addition;
    /// Node users build it from `setTimeout` + `destroy`).
    pub connect_timeout: Option<Duration>,
    /// Calls `set_timeout` with this value once connected. Node: `timeout`.
    pub timeout: Option<Duration>,
    /// Disable Nagle's algorithm. Node: `noDelay`.
    pub no_delay: bool,
    /// Enable TCP keep-alive. Node: `keepAlive`.
    pub keep_alive: bool,
    /// Delay before the first keep-alive probe. Node: `keepAliveInitialDelay`.
    pub keep_alive_initial_delay: Duration,
    /// Socket options (half-open, high-water mark).
    pub socket: SocketOptions,
}

option_setters!(ConnectOptions {
    /// Sets `port` (Node: `port`).
    port: (u16),
    /// Sets `host` (Node: `host`).
    host: Some into (String),
    /// Sets `family` (Node: `family`).
    family: Some (Family),
    /// Sets `local_address` (Node: `localAddress`).
    #[doc(alias = "localAddress")]
    local_address: Some into (String),
    /// Sets `local_port` (Node: `localPort`).
    #[doc(alias = "localPort")]
    local_port: Some (u16),
    /// Sets `connect_timeout` (Node: `connectTimeout`).
    #[doc(alias = "connectTimeout")]
    connect_timeout: Some (Duration),
    /// Sets `timeout` (Node: `timeout`).
    timeout: Some (Duration),
    /// Sets `no_delay` (Node: `noDelay`).
    #[doc(alias = "noDelay")]
    no_delay: (bool),
    /// Sets `keep_alive` (Node: `keepAlive`).
    #[doc(alias = "keepAlive")]
    keep_alive: (bool),
    /// Sets `keep_alive_initial_delay` (Node: `keepAliveInitialDelay`).
    #[doc(alias = "keepAliveInitialDelay")]
    keep_alive_initial_delay: (Duration),
    /// Sets `socket` (Node: `socket`).
    socket: (SocketOptions),
});

impl ConnectOptions {
    /// TCP to `host:port`.
    pub fn tcp(host: impl Into<String>, port: u16) -> ConnectOptions {
        ConnectOptions {
            port,
            host: Some(host.into()),
            ..Default::default()
        }
    }

    /// A Unix socket path.
    pub fn path(path: impl Into<PathBuf>) -> ConnectOptions {
        ConnectOptions {
            path: Some(path.into()),
            ..Default::default()
        }
    }
}

impl From<u16> for ConnectOptions {
    fn from(port: u16) -> Self {
        ConnectOptions {
            port,
            ..Default::default()
        }
    }
}

impl From<(&str, u16)> for ConnectOptions {
    fn from((host, port): (&str, u16)) -> Self {
        ConnectOptions::tcp(host, port)
    }
}

impl From<(String, u16)> for ConnectOptions {
    fn from((host, port): (String, u16)) -> Self {
        ConnectOptions::tcp(host, port)
    }
}

impl From<SocketAddr> for ConnectOptions {
    fn from(addr: SocketAddr) -> Self {
        ConnectOptions::tcp(addr.ip().to_string(), addr.port())
    }
}

impl From<&Path> for ConnectOptions {
    fn from(p: &Path) -> Self {
        ConnectOptions::path(p)
    }
}

impl From<PathBuf> for ConnectOptions {
    fn from(p: PathBuf) -> Self {
        ConnectOptions::path(p)
    }
}

/// Where and how to listen (Node's `server.listen(options)`).
///
/// Build one from a port (`8000u16`: all interfaces, `::` dual-stack as
/// Node), a `(host, port)` pair, a `SocketAddr` or a Unix path.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct ListenOptions {
    /// Port; 0 picks a free one. Node: `port`.
    pub port: u16,
    /// Host to bind (default: `::`, falling back to `0.0.0.0`). Node: `host`.
    pub host: Option<String>,
    /// A Unix socket path instead (`"\0name"`: the Linux abstract namespace);
    /// the port is then ignored. Node: `path`.
    pub path: Option<PathBuf>,
    /// Pending connections queue length (default 511, as Node). Node: `backlog`.
    pub backlog: Option<i32>,
    /// Node's `exclusive`: in Node's cluster, `false` shares the handle
    /// through the primary. rt-cluster reads it; a lone server ignores it.
    pub exclusive: bool,
    /// Bind `SO_REUSEPORT` so several processes (rt-cluster's shared-socket
    /// mode) can listen on one port, the kernel spreading connections.
    /// Node 22's `reusePort`.
    pub reuse_port: bool,
    /// Only IPv6 on `::` (no dual stack). Node: `ipv6Only`.
    pub ipv6_only: bool,
    /// Make a Unix socket readable by all users. Node: `readableAll`.
    pub readable_all: bool,
    /// Make a Unix socket writable by all users. Node: `writableAll`.
    pub writable_all: bool,
}

option_setters!(ListenOptions {
    /// Sets `port` (Node: `port`).
    port: (u16),
    /// Sets `host` (Node: `host`).
    host: Some into (String),
    /// Sets `backlog` (Node: `backlog`).
    backlog: Some (i32),
    /// Sets `exclusive` (Node: `exclusive`).
    exclusive: (bool),
    /// Sets `reuse_port` (Node: `reusePort`).
    #[doc(alias = "reusePort")]
    reuse_port: (bool),
    /// Sets `ipv6_only` (Node: `ipv6Only`).
    #[doc(alias = "ipv6Only")]
    ipv6_only: (bool),
    /// Sets `readable_all` (Node: `readableAll`).
    #[doc(alias = "readableAll")]
    readable_all: (bool),
    /// Sets `writable_all` (Node: `writableAll`).
    #[doc(alias = "writableAll")]
    writable_all: (bool),
});

impl ListenOptions {
    /// TCP on `host:port`.
    pub fn tcp(host: impl Into<String>, port: u16) -> ListenOptions {
        ListenOptions {
            port,
            host: Some(host.into()),
            ..Default::default()
        }
    }

    /// A Unix socket path.
    pub fn path(path: impl Into<PathBuf>) -> ListenOptions {
        ListenOptions {
            path: Some(path.into()),
            ..Default::default()
        }
    }
}

impl From<u16> for ListenOptions {
    fn from(port: u16) -> Self {
        ListenOptions {
            port,
            ..Default::default()
        }
    }
}

impl From<(&str, u16)> for ListenOptions {
    fn from((host, port): (&str, u16)) -> Self {
        ListenOptions::tcp(host, port)
    }
}

impl From<(String, u16)> for ListenOptions {
    fn from((host, port): (String, u16)) -> Self {
        ListenOptions::tcp(host, port)
    }
}

impl From<SocketAddr> for ListenOptions {
    fn from(addr: SocketAddr) -> Self {
        ListenOptions::tcp(addr.ip().to_string(), addr.port())
    }
}

impl From<&Path> for ListenOptions {
    fn from(p: &Path) -> Self {
        ListenOptions::path(p)
    }
}

impl From<PathBuf> for ListenOptions {
    fn from(p: PathBuf) -> Self {
        ListenOptions::path(p)
    }
}

/// Options of a server (Node's `net.createServer(options)`).
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct ServerOptions {
    /// Accepted sockets keep their side writable after the client's end.
    /// Node: `allowHalfOpen`.
    pub allow_half_open: bool,
    /// Accepted sockets start paused (no reads until `resume`). Node: `pauseOnConnect`.
    pub pause_on_connect: bool,
    /// Disable Nagle's algorithm on accepted sockets. Node: `noDelay`.
    pub no_delay: bool,
    /// Enable keep-alive on accepted sockets. Node: `keepAlive`.
    pub keep_alive: bool,
    /// Keep-alive initial delay. Node: `keepAliveInitialDelay`.
    pub keep_alive_initial_delay: std::time::Duration,
    /// Write high-water mark of accepted sockets (`None`: 16 KiB).
    pub high_water_mark: Option<usize>,
}

option_setters!(ServerOptions {
    /// Sets `allow_half_open` (Node: `allowHalfOpen`).
    #[doc(alias = "allowHalfOpen")]
    allow_half_open: (bool),
    /// Sets `pause_on_connect` (Node: `pauseOnConnect`).
    #[doc(alias = "pauseOnConnect")]
    pause_on_connect: (bool),
    /// Sets `no_delay` (Node: `noDelay`).
    #[doc(alias = "noDelay")]
    no_delay: (bool),
    /// Sets `keep_alive` (Node: `keepAlive`).
    #[doc(alias = "keepAlive")]
    keep_alive: (bool),
    /// Sets `keep_alive_initial_delay` (Node: `keepAliveInitialDelay`).
    #[doc(alias = "keepAliveInitialDelay")]
    keep_alive_initial_delay: (std::time::Duration),
    /// Sets `high_water_mark` (Node: `highWaterMark`).
    #[doc(alias = "highWaterMark")]
    high_water_mark: Some(usize),
});
