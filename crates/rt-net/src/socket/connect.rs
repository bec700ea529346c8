//! Connecting a socket: lookup, TCP or Unix connect, the connect timeout,
//! and installing the connection once it is up (Node's `socket.connect`,
//! `net.connect`).

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use rt_events::Emitter;
use rt_stream::StreamBase;

use super::events::{CONNECT, LOOKUP, READY};
use super::{Socket, lock};
use crate::address::Family;
use crate::conn::Conn;
use crate::error::{Error, NetErrorExt};
use crate::lookup::{LookupInfo, lookup};
use crate::options::ConnectOptions;

impl Socket {
    /// Connects to a TCP port (on `localhost` unless a host is given) or a
    /// Unix socket path. Node: `socket.connect(options[, connectListener])`;
    /// the returned future is the connect listener.
    ///
    /// Emits `'lookup'` (for a host name), then `'connect'` and `'ready'`; on
    /// failure `'error'` and `'close'(true)`, and the error is returned too
    /// (`ECONNREFUSED`, `ENOENT`, `ENOTFOUND`, `ETIMEDOUT`...).
    ///
    /// `options.socket`'s half-open policy and read size apply; its
    /// high-water mark is the one the socket was made with (as Node's
    /// `writableHighWaterMark`, a constructor option): [`connect`] uses it.
    pub async fn connect(&self, options: impl Into<ConnectOptions>) -> Result<(), Error> {
        let options = options.into();
        if self.destroyed() {
            return Err(Error::socket_closed());
        }
        {
            let mut st = lock(&self.inner.st);
            if st.released {
                return Err(Error::socket_closed());
            }
            if st.connecting || st.connected {
                return Err(Error::new(
                    "ERR_SOCKET_CONNECTING",
                    "Socket is already connecting or connected",
                ));
            }
            st.connecting = true;
            st.allow_half_open = options.socket.allow_half_open;
            self.inner
                .read_size
                .store(options.socket.read_size.max(1), Ordering::Relaxed);
            if options.no_delay {
                st.no_delay = Some(true);
            }
            if options.keep_alive {
                st.keep_alive = Some((true, options.keep_alive_initial_delay));
            }
        }
        let attempt = self.open(&options);
        let result = match options.connect_timeout {
            Some(limit) => match tokio::time::timeout(limit, attempt).await {
                Ok(r) => r,
                Err(_) => Err(match &options.path {
                    Some(p) => Error::connect_timeout(&p.to_string_lossy(), None),
                    None => Error::connect_timeout(
                        options.host.as_deref().unwrap_or("localhost"),
                        Some(options.port),
                    ),
                }),
            },
            None => attempt.await,
        };
        match result {
            Ok(conn) => {
                if self.destroyed() {
                    return Err(Error::closed_before_connection());
                }
                self.attach(conn);
                if let Some(t) = options.timeout {
                    self.set_timeout(t);
                }
                self.emit_own(&CONNECT, ());
                self.emit_own(&READY, ());
                self.inner.changed.notify_waiters();
                self.on_connected();
                Ok(())
            }
            Err(e) => {
                lock(&self.inner.st).connecting = false;
                self.destroy_with(Some(e.clone()));
                // As in Node, 'error' and 'close' have been emitted by the
                // time the caller hears of the failure.
                self.wait_closed().await;
                Err(e)
            }
        }
    }

    /// Emits one of the socket's own events, if anyone listens through the
    /// emitter (an idle socket never makes one).
    pub(super) fn emit_own<T: Send + Sync + 'static>(&self, event: &rt_events::Event<T>, payload: T) {
        if self.stream_core().emitter_if_used().is_some() {
            Emitter::emit(self, event, payload);
        }
    }

    async fn open(&self, options: &ConnectOptions) -> Result<Conn, Error> {
        if let Some(path) = &options.path {
            let shown = path.to_string_lossy().to_string();
            lock(&self.inner.st).path = Some(shown.clone());
            return connect_unix(path)
                .await
                .map_err(|e| Error::connect(&e, &shown, None));
        }
        let host = options.host.clone().unwrap_or_else(|| "localhost".into());
        let is_literal = host.parse::<std::net::IpAddr>().is_ok();
        let (ip, family) = lookup(&host, options.family).await?;
        if !is_literal {
            self.emit_own(
                &LOOKUP,
                LookupInfo {
                    address: ip.to_string(),
                    family,
                    host: host.clone(),
                },
            );
        }
        let addr = SocketAddr::new(ip, options.port);
        let shown_ip = ip.to_string();
        let sock = match family {
            Family::IPv4 => tokio::net::TcpSocket::new_v4(),
            Family::IPv6 => tokio::net::TcpSocket::new_v6(),
        }
        .map_err(|e| Error::connect(&e, &shown_ip, Some(options.port)))?;
        if options.local_address.is_some() || options.local_port.is_some() {
            let local_ip = match &options.local_address {
                Some(a) => a.parse().map_err(|_| {
                    Error::invalid_arg("options.localAddress", &format!("is invalid. Received '{a}'"))
                })?,
                None => match family {
                    Family::IPv4 => std::net::IpAddr::from([0, 0, 0, 0]),
                    Family::IPv6 => std::net::IpAddr::from([0u16; 8]),
                },
            };
            let local = SocketAddr::new(local_ip, options.local_port.unwrap_or(0));
            // Node: `exceptionWithHostPort(err, 'bind', localAddress, localPort)`.
            sock.bind(local).map_err(|e| {
                Error::with_host_port(&e, "bind", &local_ip.to_string(), Some(i32::from(local.port())))
            })?;
        }
        sock.connect(addr).await.map(Conn::Tcp).map_err(|e| {
            let err = Error::connect(&e, &shown_ip, Some(options.port));
            // Node adds the local end when both were asked for.
            match (&options.local_address, options.local_port) {
                (Some(a), Some(p)) if p > 0 => err.with_local_suffix(a, i32::from(p)),
                _ => err,
            }
        })
    }

    /// Installs a connected OS socket: caches addresses, applies options.
    pub(super) fn attach(&self, conn: Conn) {
        let (no_delay, keep_alive) = {
            let mut st = lock(&self.inner.st);
            st.connected = true;
            st.connecting = false;
            (st.no_delay, st.keep_alive)
        };
        if conn.is_tcp() {
            if let Some(on) = no_delay {
                let _ = conn.sock().set_tcp_nodelay(on);
            }
            if let Some((on, delay)) = keep_alive {
                super::options::apply_keep_alive(&conn, on, delay);
            }
        }
        lock(&self.inner.st).conn = Some(Arc::new(conn));
        self.touch();
    }

    /// Starts what waited for the connection: a `_read`, a write, a `_final`.
    pub(super) fn on_connected(&self) {
        let (read, write, fin) = {
            let mut st = lock(&self.inner.st);
            let write = st.pending_write.is_some() && !st.writer_running;
            if write {
                st.writer_running = true;
            }
            (std::mem::take(&mut st.want_read), write, st.pending_final.take())
        };
        if write {
            let me = self.clone();
            self.spawn(async move { me.writer().await });
        }
        if let Some(c) = fin {
            c.complete(self.shutdown_now());
        }
        if read {
            self.source_read();
        }
    }
}

async fn connect_unix(path: &std::path::Path) -> io::Result<Conn> {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::ffi::OsStrExt;
        let raw = path.as_os_str().as_bytes();
        if let Some(name) = raw.strip_prefix(b"\0") {
            let addr = crate::conn::abstract_addr(name)?;
            let std = std::os::unix::net::UnixStream::connect_addr(&addr)?;
            std.set_nonblocking(true)?;
            return Ok(Conn::Unix(tokio::net::UnixStream::from_std(std)?));
        }
    }
    Ok(Conn::Unix(tokio::net::UnixStream::connect(path).await?))
}

/// Opens a connection (Node: `net.connect(options)` / `net.createConnection`).
/// Resolves once connected, after `'connect'`.
///
/// ```no_run
/// # async fn demo() -> Result<(), rt_net::Error> {
/// // const client = net.connect({ port: 8124 }, () => client.write('hi'));
/// let client = rt_net::connect(8124).await?;
/// client.write("hi")?;
/// # Ok(()) }
/// ```
#[doc(alias = "createConnection")]
pub async fn connect(options: impl Into<ConnectOptions>) -> Result<Socket, Error> {
    let options = options.into();
    let socket = Socket::new(options.socket.clone());
    socket.connect(options).await?;
    Ok(socket)
}

/// Same as [`connect`]. Node: `net.createConnection(options)`.
pub async fn create_connection(options: impl Into<ConnectOptions>) -> Result<Socket, Error> {
    connect(options).await
}
