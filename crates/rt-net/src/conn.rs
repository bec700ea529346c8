//! The OS connection under a socket: a tokio TCP or Unix stream, used through
//! `&self` readiness + `try_*` calls so readers and writers never lock each other.

use std::io::{self, IoSlice};
use std::net::Shutdown;

use bytes::BytesMut;
use socket2::SockRef;
use tokio::io::Interest;
use tokio::net::{TcpStream, UnixStream};

/// A Linux abstract socket address the way libuv (and so Node) makes it:
/// the name padded with NULs to the whole of `sun_path`, so rt and Node
/// servers and clients find each other.
#[cfg(target_os = "linux")]
pub(crate) fn abstract_addr(name: &[u8]) -> io::Result<std::os::unix::net::SocketAddr> {
    use std::os::linux::net::SocketAddrExt;
    const SUN_PATH_NAME: usize = 107;
    if name.len() > SUN_PATH_NAME {
        return Err(io::Error::from_raw_os_error(libc::ENAMETOOLONG));
    }
    let mut padded = name.to_vec();
    padded.resize(SUN_PATH_NAME, 0);
    std::os::unix::net::SocketAddr::from_abstract_name(&padded)
}

fn short(n: usize, want: usize) -> io::Result<()> {
    if n > 0 && n < want {
        Err(io::ErrorKind::WouldBlock.into())
    } else {
        Ok(())
    }
}

/// A connected stream socket.
#[derive(Debug)]
pub(crate) enum Conn {
    Tcp(TcpStream),
    Unix(UnixStream),
}

impl Conn {
    pub(crate) async fn readable(&self) -> io::Result<()> {
        match self {
            Conn::Tcp(s) => s.readable().await,
            Conn::Unix(s) => s.readable().await,
        }
    }

    pub(crate) async fn writable(&self) -> io::Result<()> {
        match self {
            Conn::Tcp(s) => s.writable().await,
            Conn::Unix(s) => s.writable().await,
        }
    }

    /// One non-blocking read. A short read (fewer bytes than asked for)
    /// drained the kernel's buffer, so readiness is cleared right away
    /// (safe: tokio only clears it if no newer event arrived), saving the
    /// extra `read` that would only return `EAGAIN`.
    pub(crate) fn try_read_buf(&self, buf: &mut BytesMut) -> io::Result<usize> {
        let want = buf.capacity() - buf.len();
        let mut got = None;
        let result = match self {
            Conn::Tcp(s) => s.try_io(Interest::READABLE, || {
                let n = s.try_read_buf(buf)?;
                got = Some(n);
                short(n, want)
            }),
            Conn::Unix(s) => s.try_io(Interest::READABLE, || {
                let n = s.try_read_buf(buf)?;
                got = Some(n);
                short(n, want)
            }),
        };
        match (got, result) {
            (Some(n), _) => Ok(n),
            (None, Err(e)) => Err(e),
            (None, Ok(())) => Err(io::ErrorKind::WouldBlock.into()),
        }
    }

    pub(crate) fn try_write(&self, data: &[u8]) -> io::Result<usize> {
        match self {
            Conn::Tcp(s) => s.try_write(data),
            Conn::Unix(s) => s.try_write(data),
        }
    }

    pub(crate) fn try_write_vectored(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        match self {
            Conn::Tcp(s) => s.try_write_vectored(bufs),
            Conn::Unix(s) => s.try_write_vectored(bufs),
        }
    }

    pub(crate) fn sock(&self) -> SockRef<'_> {
        match self {
            Conn::Tcp(s) => SockRef::from(s),
            Conn::Unix(s) => SockRef::from(s),
        }
    }

    /// Sends FIN (Node's `end()` once the queue is flushed).
    pub(crate) fn shutdown_write(&self) -> io::Result<()> {
        self.sock().shutdown(Shutdown::Write)
    }

    pub(crate) fn is_tcp(&self) -> bool {
        matches!(self, Conn::Tcp(_))
    }

    /// Local and remote addresses as (address, port, family) triples.
    pub(crate) fn local_addr(&self) -> Option<std::net::SocketAddr> {
        match self {
            Conn::Tcp(s) => s.local_addr().ok(),
            Conn::Unix(_) => None,
        }
    }

    pub(crate) fn peer_addr(&self) -> Option<std::net::SocketAddr> {
        match self {
            Conn::Tcp(s) => s.peer_addr().ok(),
            Conn::Unix(_) => None,
        }
    }
}
