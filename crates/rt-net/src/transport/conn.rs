//! [`Transport`]: a connection that owns its read buffer and idle timer,
//! for code that parses bytes itself (rt-http's one task per connection, the
//! IPC channel) and wants no stream machinery and no locks on its path.

use std::collections::VecDeque;
use std::future::poll_fn;
use std::io::{self, IoSlice};
use std::os::fd::{BorrowedFd, OwnedFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};
use std::task::{Context, Poll};

use bytes::BytesMut;

use super::fd_passing::Received;
use super::{IdleTimer, Io};

/// Default bytes asked of the kernel per read (libuv reads 64 KiB).
pub const DEFAULT_READ_SIZE: usize = 64 * 1024;

/// A connection over one [`Io`] that owns its read buffer and carries one
/// resettable [`IdleTimer`]: reads append to [`buffer`](Transport::buffer)
/// (reused, never zeroed), the owner parses in place and consumes what it
/// used (`buffer().advance(n)` / `split_to(n)`), and writes (plain,
/// vectored, with fds) go straight to the kernel. Node: what sits under a
/// `net.Socket` (libuv's stream plus `socket.setTimeout`'s timer).
///
/// One task owns it (`&mut self` reads); writes take `&self`. An idle
/// transport holds no read buffer: [`read`](Transport::read) lets go of an
/// empty one before it waits, so idle connections cost no buffer memory.
///
/// Every read and write counts as activity for the [timer](Transport::timer).
#[derive(Debug)]
pub struct Transport {
    /// Shared only with [`Transport::io_weak`]'s holders (never strongly
    /// held elsewhere for longer than a call).
    io: Arc<Io>,
    buf: BytesMut,
    read_size: usize,
    timer: IdleTimer,
    /// Set when fds are received with data (SCM_RIGHTS).
    fd_inbox: Option<FdInbox>,
    /// Reads go straight to the kernel ([`Io::read_now`]) until one comes
    /// back short or would block ([`Transport::assume_ready`]).
    read_now: bool,
    /// Writes go straight to the kernel until one would block.
    write_now: AtomicBool,
}

#[derive(Debug)]
struct FdInbox {
    fds: VecDeque<OwnedFd>,
    /// recvmsg needs initialised memory: one scratch buffer, zeroed once,
    /// from which what arrived is copied into the read buffer.
    scratch: Box<[u8]>,
}

impl From<Io> for Transport {
    fn from(io: Io) -> Transport {
        Transport::new(io)
    }
}

impl Transport {
    /// A transport over `io`, reading up to [`DEFAULT_READ_SIZE`] bytes per read.
    pub fn new(io: Io) -> Transport {
        Transport {
            io: Arc::new(io),
            buf: BytesMut::new(),
            read_size: DEFAULT_READ_SIZE,
            timer: IdleTimer::new(),
            fd_inbox: None,
            read_now: false,
            write_now: AtomicBool::new(false),
        }
    }

    /// Takes the fd as ready already: its first reads and writes go
    /// straight to the kernel instead of waiting for the reactor's first
    /// report on it, reads until one comes back short (the kernel's buffer
    /// was drained) or would block, writes until one would block; then
    /// the transport waits for readiness as usual. For a connection that
    /// likely has data waiting when it is adopted (a connection accepted by
    /// another process and handed in: a cluster worker's, whose request
    /// is usually in the socket already). tokio's readiness of a fresh
    /// registration is "not ready" until the reactor's next turn, so
    /// without this the first read waits for that turn (an `epoll_wait`
    /// and a task wake-up) even when the bytes are there. Events and
    /// errors are the same either way: the bytes, end of file (`Ok(0)`),
    /// or the kernel's error (`ECONNRESET` for a connection reset before
    /// it was read). A pipe or socket with nothing waiting costs one read
    /// that would block.
    #[doc(alias = "uv_read_start")]
    pub fn assume_ready(mut self) -> Transport {
        self.read_now = self.fd_inbox.is_none();
        self.write_now = AtomicBool::new(true);
        self
    }

    /// Adopts an open fd ([`Io::from_fd`]).
    pub fn from_fd(fd: OwnedFd) -> io::Result<Transport> {
        Ok(Transport::new(Io::from_fd(fd)?))
    }

    /// Also receives fds sent with data (SCM_RIGHTS) on a Unix socket
    /// (Node's IPC channel): they queue in arrival order for
    /// [`take_fd`](Transport::take_fd). Without this, fds sent to this end
    /// are closed by the kernel on receipt. `EINVAL` on other kinds.
    pub fn receive_fds(mut self) -> io::Result<Transport> {
        self.io.unix()?;
        self.fd_inbox = Some(FdInbox {
            fds: VecDeque::new(),
            scratch: vec![0; self.read_size].into_boxed_slice(),
        });
        Ok(self)
    }

    /// Bytes asked of the kernel per read (at least 1).
    pub fn set_read_size(&mut self, size: usize) {
        self.read_size = size.max(1);
        if let Some(inbox) = &mut self.fd_inbox {
            inbox.scratch = vec![0; self.read_size].into_boxed_slice();
        }
    }

    /// The fd pump under this transport.
    pub fn io(&self) -> &Io {
        &self.io
    }

    /// A weak handle on the fd pump, for asking the socket something (its
    /// addresses: `getsockname`, `getpeername`) from elsewhere, only when
    /// asked, while the transport lives: it upgrades until the transport
    /// is dropped or [`into_parts`](Transport::into_parts) takes the pump.
    /// (rt-http's requests read their connection's addresses this way, so
    /// that a connection nobody asks costs no system call for them, as
    /// Node's sockets read theirs lazily.)
    pub fn io_weak(&self) -> Weak<Io> {
        Arc::downgrade(&self.io)
    }

    /// The idle timer (Node: `socket.setTimeout`): re-arm it with
    /// `timer().set_timeout(..)` and await `timer().expired()` beside reads.
    pub fn timer(&self) -> &IdleTimer {
        &self.timer
    }

    /// What was read and not consumed yet: parse it in place, then drop the
    /// parsed part (`advance`, `split_to`).
    pub fn buffer(&mut self) -> &mut BytesMut {
        &mut self.buf
    }

    /// The unread bytes, read-only (while writing with `&self`, e.g. an
    /// echo: `t.write_all(t.data()).await`, then `t.buffer().clear()`).
    pub fn data(&self) -> &[u8] {
        &self.buf
    }

    /// The next received fd, oldest first.
    pub fn take_fd(&mut self) -> Option<OwnedFd> {
        self.fd_inbox.as_mut()?.fds.pop_front()
    }

    /// How many received fds wait in [`take_fd`](Transport::take_fd)'s queue.
    pub fn pending_fds(&self) -> usize {
        self.fd_inbox.as_ref().map_or(0, |i| i.fds.len())
    }

    /// One non-blocking read appended to the buffer: `Ok(0)` at end of
    /// file, `WouldBlock` when nothing is there.
    pub fn try_read(&mut self) -> io::Result<usize> {
        let n = match &mut self.fd_inbox {
            None => {
                if self.buf.capacity() == 0 {
                    self.buf = spare::take();
                }
                self.buf.reserve(self.read_size);
                if self.read_now {
                    self.read_now_once()?
                } else {
                    self.io.try_read_buf(&mut self.buf)?
                }
            }
            Some(inbox) => {
                let Received { bytes, .. } = self.io.try_recv_with_fds(&mut inbox.scratch, &mut inbox.fds)?;
                self.buf.extend_from_slice(&inbox.scratch[..bytes]);
                bytes
            }
        };
        if n > 0 {
            self.timer.touch();
        }
        Ok(n)
    }

    /// A read straight from the kernel ([`assume_ready`](Transport::assume_ready)):
    /// the last one once it comes back short, at end of file, or with an error.
    fn read_now_once(&mut self) -> io::Result<usize> {
        let want = self.read_size.min(super::io::READ_NOW_MAX);
        let r = self.io.read_now(&mut self.buf, want);
        match &r {
            Ok(n) if *n == want => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            _ => self.read_now = false,
        }
        r
    }

    /// Polls for the next read into the buffer: `Ok(0)` at end of file.
    /// An empty buffer is let go of while the connection waits.
    pub fn poll_read(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        while self.read_now {
            match self.try_read() {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                r => return Poll::Ready(r),
            }
        }
        loop {
            match self.io.poll_read_ready(cx) {
                Poll::Pending => {
                    if self.buf.is_empty() && self.buf.capacity() > 0 {
                        spare::put(std::mem::take(&mut self.buf));
                    }
                    return Poll::Pending;
                }
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Ready(Ok(())) => {}
            }
            match self.try_read() {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                r => return Poll::Ready(r),
            }
        }
    }

    /// Reads once more into the buffer (waiting for data): the byte count,
    /// `Ok(0)` at end of file.
    pub async fn read(&mut self) -> io::Result<usize> {
        poll_fn(|cx| self.poll_read(cx)).await
    }

    /// One non-blocking write: how many bytes the kernel took.
    pub fn try_write(&self, data: &[u8]) -> io::Result<usize> {
        if self.write_now.load(Ordering::Relaxed) {
            return self.try_write_vectored(&[IoSlice::new(data)]);
        }
        let n = self.io.try_write(data)?;
        self.timer.touch();
        Ok(n)
    }

    /// One non-blocking `writev`: how many bytes the kernel took.
    #[doc(alias = "writev")]
    pub fn try_write_vectored(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        let n = if self.write_now.load(Ordering::Relaxed) {
            // Straight to the kernel until a write would block
            // ([`assume_ready`](Transport::assume_ready)).
            match self.io.write_vectored_now(bufs) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    self.write_now.store(false, Ordering::Relaxed);
                    return Err(e);
                }
                r => r?,
            }
        } else {
            self.io.try_write_vectored(bufs)?
        };
        self.timer.touch();
        Ok(n)
    }

    /// Writes all of `bufs`, one `writev` per readiness, resuming after
    /// partial writes (a response head and body in one system call when the
    /// kernel takes them). `bufs` is consumed (advanced) as it goes.
    #[doc(alias = "writev")]
    pub async fn write_all_vectored(&self, mut bufs: &mut [IoSlice<'_>]) -> io::Result<()> {
        IoSlice::advance_slices(&mut bufs, 0);
        while !bufs.is_empty() {
            match self.try_write_vectored(bufs) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => IoSlice::advance_slices(&mut bufs, n),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => self.io.writable().await?,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Writes all of `data`.
    pub async fn write_all(&self, data: &[u8]) -> io::Result<()> {
        self.write_all_vectored(&mut [IoSlice::new(data)]).await
    }

    /// Sends `data` with `fds` attached to its first byte (SCM_RIGHTS), then
    /// the rest of `data` if the kernel took only part of it. The fds stay
    /// open here. Only on a Unix socket.
    #[doc(alias = "sendmsg")]
    pub async fn send_with_fds(&self, data: &[u8], fds: &[BorrowedFd<'_>]) -> io::Result<()> {
        if fds.is_empty() {
            return self.write_all(data).await;
        }
        let n = loop {
            match self.io.try_send_with_fds(&[IoSlice::new(data)], fds) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => self.io.writable().await?,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        };
        self.timer.touch();
        self.write_all(&data[n..]).await
    }

    /// Polls write readiness (for hand-written futures).
    pub fn poll_write_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.io.poll_write_ready(cx)
    }

    /// Waits until a write may make progress.
    pub async fn writable(&self) -> io::Result<()> {
        self.io.writable().await
    }

    /// Waits until a read may make progress.
    pub async fn readable(&self) -> io::Result<()> {
        self.io.readable().await
    }

    /// Sends FIN (a socket's half-close); see [`Io::shutdown_write`].
    pub fn shutdown_write(&self) -> io::Result<()> {
        self.io.shutdown_write()
    }

    /// Gives the pump and the unread bytes back (an upgrade hands both on;
    /// Node: the `head` of `'upgrade'`). The timer is closed.
    ///
    /// A holder of [`io_weak`](Transport::io_weak) that is using the pump
    /// at this moment (upgraded) is waited for: its call ends soon.
    pub fn into_parts(self) -> (Io, BytesMut) {
        self.timer.close();
        let mut io = self.io;
        loop {
            match Arc::try_unwrap(io) {
                Ok(io) => return (io, self.buf),
                Err(shared) => {
                    io = shared;
                    std::thread::yield_now();
                }
            }
        }
    }
}

/// One empty read buffer kept per thread: a transport lets go of its empty
/// buffer while it waits (an idle connection holds none) and takes this one
/// back before its next read, so a busy connection does not allocate and
/// free its read buffer on every wait.
mod spare {
    use std::cell::Cell;

    use bytes::BytesMut;

    thread_local! {
        static SPARE: Cell<BytesMut> = Cell::new(BytesMut::new());
    }

    /// The thread's spare buffer (empty, maybe with capacity), or a new empty one.
    pub(super) fn take() -> BytesMut {
        SPARE.try_with(Cell::take).unwrap_or_default()
    }

    /// Keeps `buf` (empty) as the thread's spare if the slot is free.
    pub(super) fn put(buf: BytesMut) {
        debug_assert!(buf.is_empty());
        let _ = SPARE.try_with(|slot| {
            let old = slot.replace(buf);
            if old.capacity() > 0 {
                // The slot was taken: keep the larger one, drop the other.
                let kept = slot.take();
                slot.set(if kept.capacity() >= old.capacity() {
                    kept
                } else {
                    old
                });
            }
        });
    }
}
