//! [`Io`]: the one fd pump. Every byte source rt reads and writes (TCP and
//! Unix stream sockets, socketpairs, pipe ends) is one of its variants, used
//! through `&self` readiness + non-blocking `try_*` calls, so a reader and a
//! writer never lock each other and no future is boxed per operation.

use std::io::{self, IoSlice};
use std::mem::MaybeUninit;
use std::net::Shutdown;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::task::{Context, Poll};

use bytes::BytesMut;
use socket2::SockRef;
use tokio::io::Interest;
use tokio::net::unix::pipe;
use tokio::net::{TcpStream, UnixStream};

/// One OS byte source or sink registered with tokio's reactor: the fd pump
/// under every rt stream that talks to the kernel (Node: libuv's
/// `uv_stream_t`, which is a TCP handle, a pipe handle for Unix sockets and
/// pipes alike, or a tty).
///
/// - [`Io::Tcp`] and [`Io::Unix`] are full duplex (a socketpair, the IPC
///   channel, is [`Io::Unix`]; it also passes fds, see
///   [`try_send_with_fds`](Io::try_send_with_fds)).
/// - [`Io::PipeReader`] and [`Io::PipeWriter`] are the two ends of a pipe
///   (a child's stdout/stderr and stdin). Reading a write end reports end of
///   file at once; writing a read end fails with `EBADF`, as the OS does.
///
/// Reads go into a caller's `BytesMut` without zeroing it; writes and
/// vectored writes go straight to the kernel. `WouldBlock` means "await
/// [`readable`](Io::readable) / [`writable`](Io::writable) and try again".
#[doc(alias = "uv_stream_t")]
#[derive(Debug)]
#[non_exhaustive]
pub enum Io {
    /// A connected TCP socket.
    Tcp(TcpStream),
    /// A connected Unix stream socket (a path, an abstract name, or one end of a socketpair).
    Unix(UnixStream),
    /// The read end of a pipe or FIFO.
    PipeReader(pipe::Receiver),
    /// The write end of a pipe or FIFO.
    PipeWriter(pipe::Sender),
}

fn ebadf() -> io::Error {
    io::Error::from_raw_os_error(libc::EBADF)
}

fn einval() -> io::Error {
    io::Error::from_raw_os_error(libc::EINVAL)
}

/// The most bytes one [`Io::read_now`] asks of the kernel (it reads into
/// stack memory, then copies what came: a request head is a few hundred
/// bytes).
pub(crate) const READ_NOW_MAX: usize = 8 * 1024;

/// A read shorter than asked drained the kernel's buffer: clear readiness
/// right away (tokio only clears it if no newer event arrived), saving the
/// extra `read` that would only return `EAGAIN`.
fn short(n: usize, want: usize) -> io::Result<()> {
    if n > 0 && n < want {
        Err(io::ErrorKind::WouldBlock.into())
    } else {
        Ok(())
    }
}

impl From<TcpStream> for Io {
    fn from(s: TcpStream) -> Io {
        Io::Tcp(s)
    }
}

impl From<UnixStream> for Io {
    fn from(s: UnixStream) -> Io {
        Io::Unix(s)
    }
}

impl From<pipe::Receiver> for Io {
    fn from(p: pipe::Receiver) -> Io {
        Io::PipeReader(p)
    }
}

impl From<pipe::Sender> for Io {
    fn from(p: pipe::Sender) -> Io {
        Io::PipeWriter(p)
    }
}

impl AsFd for Io {
    fn as_fd(&self) -> BorrowedFd<'_> {
        match self {
            Io::Tcp(s) => s.as_fd(),
            Io::Unix(s) => s.as_fd(),
            Io::PipeReader(p) => p.as_fd(),
            Io::PipeWriter(p) => p.as_fd(),
        }
    }
}

impl AsRawFd for Io {
    fn as_raw_fd(&self) -> RawFd {
        self.as_fd().as_raw_fd()
    }
}

impl Io {
    /// A connected pair of Unix stream sockets (`socketpair(AF_UNIX,
    /// SOCK_STREAM)`): what Node's IPC channel is made of.
    #[doc(alias = "socketpair")]
    pub fn pair() -> io::Result<(Io, Io)> {
        let (a, b) = UnixStream::pair()?;
        Ok((Io::Unix(a), Io::Unix(b)))
    }

    /// A new pipe: `(read end, write end)`.
    pub fn pipe() -> io::Result<(Io, Io)> {
        let (tx, rx) = pipe::pipe()?;
        Ok((Io::PipeReader(rx), Io::PipeWriter(tx)))
    }

    /// Adopts an open fd (Node: `new net.Socket({ fd })`, a handle received
    /// over IPC, a child's stdio): its kind is read from the fd itself
    /// (`fstat`, the socket's domain and type, the open mode of a pipe), and
    /// it is switched to non-blocking mode. A TCP or Unix *stream* socket
    /// that is connected, or a pipe/FIFO end, is accepted; a listening
    /// socket (use `Server::listen_handle`), a datagram socket, a regular
    /// file or a tty is refused with `EINVAL`. Must run inside a tokio runtime.
    pub fn from_fd(fd: OwnedFd) -> io::Result<Io> {
        use rustix::fs::{FileType, OFlags};
        use rustix::net::{AddressFamily, SocketType, sockopt};
        let stat = rustix::fs::fstat(&fd)?;
        match FileType::from_raw_mode(stat.st_mode) {
            FileType::Socket => {
                if sockopt::socket_type(&fd)? != SocketType::STREAM || sockopt::socket_acceptconn(&fd)? {
                    return Err(einval());
                }
                rustix::io::ioctl_fionbio(&fd, true)?;
                let domain = sockopt::socket_domain(&fd)?;
                if domain == AddressFamily::UNIX {
                    Ok(Io::Unix(UnixStream::from_std(fd.into())?))
                } else if domain == AddressFamily::INET || domain == AddressFamily::INET6 {
                    Ok(Io::Tcp(TcpStream::from_std(fd.into())?))
                } else {
                    Err(einval())
                }
            }
            FileType::Fifo => {
                let mode = rustix::fs::fcntl_getfl(&fd)? & OFlags::RWMODE;
                if mode == OFlags::WRONLY {
                    Ok(Io::PipeWriter(pipe::Sender::from_owned_fd(fd)?))
                } else {
                    // Read-only, or a FIFO opened read-write: read from it.
                    Ok(Io::PipeReader(pipe::Receiver::from_owned_fd(fd)?))
                }
            }
            _ => Err(einval()),
        }
    }

    /// Takes the fd back out of tokio's reactor (still non-blocking), e.g.
    /// to send it to another process or hand it to a child.
    pub fn into_fd(self) -> io::Result<OwnedFd> {
        Ok(match self {
            Io::Tcp(s) => OwnedFd::from(s.into_std()?),
            Io::Unix(s) => OwnedFd::from(s.into_std()?),
            Io::PipeReader(p) => p.into_nonblocking_fd()?,
            Io::PipeWriter(p) => p.into_nonblocking_fd()?,
        })
    }

    /// Waits until a read may make progress (data, end of file or an error).
    pub async fn readable(&self) -> io::Result<()> {
        match self {
            Io::Tcp(s) => s.readable().await,
            Io::Unix(s) => s.readable().await,
            Io::PipeReader(p) => p.readable().await,
            Io::PipeWriter(_) => Ok(()),
        }
    }

    /// Waits until a write may make progress.
    pub async fn writable(&self) -> io::Result<()> {
        match self {
            Io::Tcp(s) => s.writable().await,
            Io::Unix(s) => s.writable().await,
            Io::PipeReader(_) => Ok(()),
            Io::PipeWriter(p) => p.writable().await,
        }
    }

    /// Polls read readiness (for hand-written futures).
    pub fn poll_read_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self {
            Io::Tcp(s) => s.poll_read_ready(cx),
            Io::Unix(s) => s.poll_read_ready(cx),
            Io::PipeReader(p) => p.poll_read_ready(cx),
            Io::PipeWriter(_) => Poll::Ready(Ok(())),
        }
    }

    /// Polls write readiness (for hand-written futures).
    pub fn poll_write_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self {
            Io::Tcp(s) => s.poll_write_ready(cx),
            Io::Unix(s) => s.poll_write_ready(cx),
            Io::PipeReader(_) => Poll::Ready(Ok(())),
            Io::PipeWriter(p) => p.poll_write_ready(cx),
        }
    }

    /// One non-blocking read appended to `buf`'s spare capacity (never
    /// zeroed): `Ok(0)` is end of file (or no spare capacity), `WouldBlock`
    /// means not ready. A short read clears readiness at once.
    pub fn try_read_buf(&self, buf: &mut BytesMut) -> io::Result<usize> {
        let want = buf.capacity() - buf.len();
        let mut got = None;
        let mut read = |n: io::Result<usize>| {
            let n = n?;
            got = Some(n);
            short(n, want)
        };
        let result = match self {
            Io::Tcp(s) => s.try_io(Interest::READABLE, || read(s.try_read_buf(buf))),
            Io::Unix(s) => s.try_io(Interest::READABLE, || read(s.try_read_buf(buf))),
            Io::PipeReader(p) => p.try_io(|| read(p.try_read_buf(buf))),
            Io::PipeWriter(_) => return Ok(0),
        };
        match (got, result) {
            (Some(n), _) => Ok(n),
            (None, Err(e)) => Err(e),
            (None, Ok(())) => Err(io::ErrorKind::WouldBlock.into()),
        }
    }

    /// One non-blocking read straight from the kernel, whatever tokio's
    /// reactor last said of the fd (up to `want` bytes, at most
    /// [`READ_NOW_MAX`], appended to `buf`): for an fd that may have data
    /// before the reactor's first report on it (a connection handed in from
    /// another process). tokio's readiness of a fresh registration is "not
    /// ready" until the reactor's next turn, so
    /// [`try_read_buf`](Io::try_read_buf) would answer `WouldBlock` without
    /// asking the kernel. `Ok(0)` is end of file; errors are the kernel's
    /// (`ECONNRESET` for a reset, `WouldBlock` for nothing there yet).
    pub(crate) fn read_now(&self, buf: &mut BytesMut, want: usize) -> io::Result<usize> {
        if let Io::PipeWriter(_) = self {
            return Ok(0);
        }
        let mut stack = [MaybeUninit::<u8>::uninit(); READ_NOW_MAX];
        let want = want.clamp(1, READ_NOW_MAX);
        let (got, _) = rustix::io::read(self.as_fd(), &mut stack[..want])?;
        buf.extend_from_slice(got);
        Ok(got.len())
    }

    /// One non-blocking `writev` straight to the kernel, whatever tokio's
    /// reactor last said of the fd (see [`read_now`](Io::read_now)): a
    /// fresh connection has room to write before the reactor says so. One
    /// buffer goes as a plain write (`send` on a socket), as in
    /// [`try_write_vectored`](Io::try_write_vectored).
    pub(crate) fn write_vectored_now(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        use rustix::net::SendFlags;
        match (self, bufs) {
            (Io::PipeReader(_), _) => Err(ebadf()),
            (Io::Tcp(_) | Io::Unix(_), [one]) => {
                Ok(rustix::net::send(self.as_fd(), one, SendFlags::NOSIGNAL)?)
            }
            _ => Ok(rustix::io::writev(self.as_fd(), bufs)?),
        }
    }

    /// One non-blocking write: how many bytes the kernel took.
    pub fn try_write(&self, data: &[u8]) -> io::Result<usize> {
        match self {
            Io::Tcp(s) => s.try_write(data),
            Io::Unix(s) => s.try_write(data),
            Io::PipeReader(_) => Err(ebadf()),
            Io::PipeWriter(p) => p.try_write(data),
        }
    }

    /// One non-blocking `writev`: how many bytes the kernel took, from the
    /// front of `bufs` (a head and a body leave in one system call). A
    /// single buffer goes as a plain write (`send` on a socket): the
    /// kernel's `writev` path costs more per call (it copies in and checks
    /// the iovec array; measured here at about 100 ns per call on loopback
    /// TCP, of a 160-byte response's 600 ns).
    #[doc(alias = "writev")]
    pub fn try_write_vectored(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        if let [one] = bufs {
            return self.try_write(one);
        }
        match self {
            Io::Tcp(s) => s.try_write_vectored(bufs),
            Io::Unix(s) => s.try_write_vectored(bufs),
            Io::PipeReader(_) => Err(ebadf()),
            Io::PipeWriter(p) => p.try_write_vectored(bufs),
        }
    }

    /// Sends FIN on a socket (Node's `end()` once the queue is flushed). A
    /// pipe's write end has no half-close: it closes when dropped.
    pub fn shutdown_write(&self) -> io::Result<()> {
        match self {
            Io::Tcp(_) | Io::Unix(_) => self.sock().shutdown(Shutdown::Write),
            Io::PipeReader(_) | Io::PipeWriter(_) => Ok(()),
        }
    }

    /// The socket under a TCP or Unix connection, for options
    /// (`TCP_NODELAY`, keep-alive, linger). On a pipe, socket calls fail
    /// with `ENOTSOCK`.
    pub fn sock(&self) -> SockRef<'_> {
        SockRef::from(self)
    }

    /// Whether this is a TCP connection.
    pub fn is_tcp(&self) -> bool {
        matches!(self, Io::Tcp(_))
    }

    /// The local address of a TCP connection.
    pub fn local_addr(&self) -> Option<std::net::SocketAddr> {
        match self {
            Io::Tcp(s) => s.local_addr().ok(),
            _ => None,
        }
    }

    /// The remote address of a TCP connection.
    pub fn peer_addr(&self) -> Option<std::net::SocketAddr> {
        match self {
            Io::Tcp(s) => s.peer_addr().ok(),
            _ => None,
        }
    }

    pub(crate) fn unix(&self) -> io::Result<&UnixStream> {
        match self {
            Io::Unix(s) => Ok(s),
            _ => Err(einval()),
        }
    }
}
