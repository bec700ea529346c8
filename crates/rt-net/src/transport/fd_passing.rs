//! SCM_RIGHTS: fds sent and received with data over a Unix stream socket
//! (Node's IPC channel passes servers and sockets this way), through
//! rustix's safe `sendmsg` / `recvmsg`, so this crate stays free of `unsafe`.
//!
//! Node sends at most one fd per `sendmsg`, on the call that carries the
//! start of a `NODE_HANDLE` line; a receiver keeps fds in arrival order
//! and pairs them with the lines itself. This file moves bytes and fds
//! only; the framing is the caller's.

use std::collections::VecDeque;
use std::io::{self, IoSlice, IoSliceMut};
use std::mem::MaybeUninit;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

use rustix::net::{
    RecvAncillaryBuffer, RecvAncillaryMessage, RecvFlags, ReturnFlags, SendAncillaryBuffer,
    SendAncillaryMessage, SendFlags,
};
use tokio::io::Interest;

use super::Io;

/// The most fds one [`Io::try_send_with_fds`] sends (Node sends one), and
/// the most one receive call takes; more in one message are closed by the
/// kernel and reported as `fds_truncated`.
pub const MAX_FDS: usize = 16;

/// What one [`Io::try_recv_with_fds`] got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Received {
    /// Bytes read into the buffer (0: end of file).
    pub bytes: usize,
    /// Fds received with them (appended to the caller's queue).
    pub fds: usize,
    /// The sender attached more fds than fit ([`MAX_FDS`]): the kernel
    /// closed the rest (`MSG_CTRUNC`).
    pub fds_truncated: bool,
}

/// One non-blocking `sendmsg` of `bufs` on the Unix stream socket `fd`,
/// with `fds` (may be empty) attached to their first byte (SCM_RIGHTS),
/// `MSG_NOSIGNAL`: how many bytes the kernel took. For a socket this
/// process registers its own way; [`Io::try_send_with_fds`] is this through
/// the reactor's readiness. At most [`MAX_FDS`] fds and at least one byte
/// (`EINVAL`).
#[doc(alias = "sendmsg")]
pub fn send_with_fds(fd: BorrowedFd<'_>, bufs: &[IoSlice<'_>], fds: &[BorrowedFd<'_>]) -> io::Result<usize> {
    if fds.len() > MAX_FDS || bufs.iter().all(|b| b.is_empty()) {
        return Err(io::Error::from_raw_os_error(libc::EINVAL));
    }
    let mut space = [MaybeUninit::<u8>::uninit(); rustix::cmsg_space!(ScmRights(MAX_FDS))];
    let mut control = SendAncillaryBuffer::new(&mut space);
    if !fds.is_empty() && !control.push(SendAncillaryMessage::ScmRights(fds)) {
        return Err(io::Error::from_raw_os_error(libc::EINVAL));
    }
    Ok(rustix::net::sendmsg(
        fd,
        bufs,
        &mut control,
        SendFlags::NOSIGNAL | SendFlags::DONTWAIT,
    )?)
}

/// One non-blocking `recvmsg` on the Unix stream socket `fd` into `buf`
/// (initialised bytes); received fds are appended to `fds` in arrival
/// order, close-on-exec. For a socket this process registers its own way;
/// [`Io::try_recv_with_fds`] is this through the reactor's readiness.
#[doc(alias = "recvmsg")]
pub fn recv_with_fds(
    fd: BorrowedFd<'_>,
    buf: &mut [u8],
    fds: &mut VecDeque<OwnedFd>,
) -> io::Result<Received> {
    if buf.is_empty() {
        return Ok(Received {
            bytes: 0,
            fds: 0,
            fds_truncated: false,
        });
    }
    let mut space = [MaybeUninit::<u8>::uninit(); rustix::cmsg_space!(ScmRights(MAX_FDS))];
    let mut control = RecvAncillaryBuffer::new(&mut space);
    let mut iov = [IoSliceMut::new(buf)];
    let flags = RecvFlags::CMSG_CLOEXEC | RecvFlags::DONTWAIT;
    let msg = rustix::net::recvmsg(fd, &mut iov, &mut control, flags)?;
    let mut got = 0;
    for m in control.drain() {
        if let RecvAncillaryMessage::ScmRights(received) = m {
            for fd in received {
                fds.push_back(fd);
                got += 1;
            }
        }
    }
    Ok(Received {
        bytes: msg.bytes,
        fds: got,
        fds_truncated: msg.flags.contains(ReturnFlags::CTRUNC),
    })
}

impl Io {
    /// One non-blocking `sendmsg` of `bufs` with `fds` attached (SCM_RIGHTS)
    /// to their first byte: how many bytes the kernel took. The fds went if
    /// any byte did; on `WouldBlock` nothing was sent. The fds stay open
    /// here (the receiver gets duplicates; close yours when it acknowledged).
    /// Only on a Unix stream socket (`EINVAL` otherwise), with at most
    /// [`MAX_FDS`] fds and at least one byte (`EINVAL`).
    #[doc(alias = "sendmsg")]
    #[doc(alias = "SCM_RIGHTS")]
    pub fn try_send_with_fds(&self, bufs: &[IoSlice<'_>], fds: &[BorrowedFd<'_>]) -> io::Result<usize> {
        let s = self.unix()?;
        if fds.len() > MAX_FDS || bufs.iter().all(|b| b.is_empty()) {
            return Err(io::Error::from_raw_os_error(libc::EINVAL));
        }
        s.try_io(Interest::WRITABLE, || send_with_fds(s.as_fd(), bufs, fds))
    }

    /// One non-blocking `recvmsg` into `buf` (initialised bytes: callers
    /// keep one scratch buffer and copy out what arrived); received fds are
    /// appended to `fds` in arrival order, close-on-exec. Only on a Unix
    /// stream socket (`EINVAL` otherwise).
    #[doc(alias = "recvmsg")]
    #[doc(alias = "SCM_RIGHTS")]
    pub fn try_recv_with_fds(&self, buf: &mut [u8], fds: &mut VecDeque<OwnedFd>) -> io::Result<Received> {
        let s = self.unix()?;
        if buf.is_empty() {
            return Ok(Received {
                bytes: 0,
                fds: 0,
                fds_truncated: false,
            });
        }
        s.try_io(Interest::READABLE, || recv_with_fds(s.as_fd(), buf, fds))
    }
}
