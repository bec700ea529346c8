//! The channel's socket, registered with the reactor for reading only.
//!
//! A socket registered for both directions (as a tokio `UnixStream` is) is
//! woken by the kernel's "room to write" edge each time the peer reads:
//! in a round trip that is one more wake-up (and, with both processes on
//! one core, one more context switch) per message on each side, for
//! nothing. libuv watches a pipe for writing only while a write waits, and
//! so does this: a write that finds the socket full waits on a writable
//! registration made for that wait.

use std::collections::VecDeque;
use std::io::{self, IoSlice};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

use rt_net::transport::{recv_with_fds, send_with_fds};

use rt_net::transport::register;
use tokio::io::Interest;
use tokio::io::unix::AsyncFd;

pub(crate) struct Sock {
    fd: AsyncFd<OwnedFd>,
}

impl AsFd for Sock {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.get_ref().as_fd()
    }
}

impl Sock {
    /// Adopts a connected Unix stream socket (made non-blocking). Inside a
    /// tokio runtime.
    pub(crate) fn new(fd: OwnedFd) -> io::Result<Sock> {
        use rustix::net::{AddressFamily, SocketType, sockopt};
        if sockopt::socket_type(&fd)? != SocketType::STREAM
            || sockopt::socket_domain(&fd)? != AddressFamily::UNIX
        {
            return Err(io::Error::from_raw_os_error(libc::EINVAL));
        }
        rustix::io::ioctl_fionbio(&fd, true)?;
        Ok(Sock {
            fd: register(fd, Interest::READABLE)?,
        })
    }

    /// Waits for data and reads it (one `recvmsg`): `Ok(0)` is end of
    /// file. A short read that brought no fds emptied the socket (without
    /// `SO_PASSCRED` the kernel joins every queued segment into one read
    /// and stops early only after a segment that carried fds), so
    /// readiness is cleared at once (tokio keeps it if a newer event came,
    /// and never clears the peer's end of file): no `recvmsg` that only
    /// says `EAGAIN` before the waiting task runs. A short read that
    /// brought fds stopped at their segment, which may not be the last:
    /// readiness is cleared only when `drained` says, from the bytes read,
    /// that nothing can be queued behind them.
    pub(crate) async fn recv(
        &self,
        buf: &mut [u8],
        fds: &mut VecDeque<OwnedFd>,
        drained: impl Fn(&[u8]) -> bool,
    ) -> io::Result<usize> {
        let want = buf.len();
        loop {
            let mut ready = self.fd.readable().await?;
            match ready.try_io(|fd| recv_with_fds(fd.as_fd(), buf, fds)) {
                Ok(Ok(r)) => {
                    if r.bytes > 0 && r.bytes < want && (r.fds == 0 || drained(&buf[..r.bytes])) {
                        ready.clear_ready();
                    }
                    return Ok(r.bytes);
                }
                Ok(Err(e)) if e.kind() == io::ErrorKind::Interrupted => {}
                Ok(Err(e)) => return Err(e),
                // Not ready after all: readiness was cleared; wait again.
                Err(_) => {}
            }
        }
    }

    /// One non-blocking `sendmsg` (`MSG_NOSIGNAL`) with `fds` (may be
    /// empty) on its first byte: how many bytes the kernel took.
    pub(crate) fn send_now(&self, bufs: &[IoSlice<'_>], fds: &[BorrowedFd<'_>]) -> io::Result<usize> {
        send_with_fds(self.as_fd(), bufs, fds)
    }

    /// Waits until the socket has room to write (a registration for this
    /// wait only, on a duplicate of the fd).
    pub(crate) async fn writable(&self) -> io::Result<()> {
        let dup = rustix::io::fcntl_dupfd_cloexec(self.as_fd(), 0)?;
        let w = register(dup, Interest::WRITABLE)?;
        let _ready = w.writable().await?;
        Ok(())
    }

    /// Shuts both directions down (the peer reads end of file).
    pub(crate) fn shutdown(&self) {
        let _ = rustix::net::shutdown(self, rustix::net::Shutdown::Both);
    }

    /// Shuts the writing half down: the peer reads end of file, this side
    /// still reads what the peer sends, and its end of file.
    pub(crate) fn shutdown_write(&self) {
        let _ = rustix::net::shutdown(self, rustix::net::Shutdown::Write);
    }
}
