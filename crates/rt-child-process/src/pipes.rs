//! The parent's ends of the child's pipes, made into sockets when the
//! program takes them (`stdout()`, `stderr()`, `stdio()`); until then an
//! output pipe is read ahead here and what was read is kept for the taker.
//!
//! Node's `flushStdio` resumes output streams nobody reads once the child
//! exited, so that `'close'` comes; in Node the code that takes a stream
//! always runs before that. Here the caller's next line may run after the
//! child's whole life (a multi-thread runtime's `block_on` thread, a
//! descheduled thread), so an untaken pipe is read into a buffer instead:
//! before exit up to [`READ_AHEAD`] (what Node's socket reads ahead: the
//! child then blocks on its pipe, as in Node), after exit to its end, and
//! the taker gets a socket that yields those bytes first. Past
//! [`KEEP_LIMIT`] after exit (a grandchild writing on), what was kept is
//! dropped and the rest thrown away as Node's flushStdio does, so neither
//! memory nor the writer is held. Every read happens under the slot's lock,
//! which taking also holds: no byte is read after the stream was taken.

use std::io;
use std::os::fd::OwnedFd;
use std::pin::pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};

use bytes::BytesMut;
use rt_buffer::Buffer;
use rt_net::{Socket, SocketOptions};
use rt_stream::Error;
use tokio::io::Interest;
use tokio::io::unix::AsyncFd;
use tokio::sync::Notify;

/// Bytes read ahead from an untaken pipe while the child runs.
pub(crate) const READ_AHEAD: usize = 64 * 1024;
/// Bytes kept from an untaken pipe after the child exited.
pub(crate) const KEEP_LIMIT: usize = 1024 * 1024;
/// One read's size.
const READ_SIZE: usize = 64 * 1024;

/// One of the child's fds, as the parent holds it.
pub(crate) struct Slot {
    state: Mutex<State>,
    /// What the program took (set once).
    socket: OnceLock<Option<Socket>>,
    /// The child exited: read an untaken pipe to its end.
    exited: AtomicBool,
    /// State changes (taken, ended, exited).
    changed: Notify,
}

enum State {
    /// Not a pipe of the parent's (inherit, ignore, ipc, an fd or socket),
    /// or taken (the socket is in `socket`).
    Done,
    /// An output pipe nobody took or read yet.
    Idle(OwnedFd),
    /// Read ahead by [`read_ahead`]'s task.
    Reading {
        rx: Arc<Reader>,
        kept: BytesMut,
        /// Past [`KEEP_LIMIT`]: nothing is kept any more.
        discarding: bool,
    },
    /// Read to its end before anyone took it (the fd is closed).
    Ended(BytesMut),
}

fn lock(m: &Mutex<State>) -> MutexGuard<'_, State> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Slot {
    /// No pipe of the parent's at this fd.
    pub(crate) fn none() -> Slot {
        Slot::with(State::Done, OnceLock::new())
    }

    /// A stream made at spawn (stdin: the parent writes).
    pub(crate) fn made(socket: Socket) -> Slot {
        Slot::with(State::Done, OnceLock::from(Some(socket)))
    }

    /// The parent's read end of an output pipe, made a socket when taken.
    pub(crate) fn output(fd: OwnedFd) -> Slot {
        Slot::with(State::Idle(fd), OnceLock::new())
    }

    fn with(state: State, socket: OnceLock<Option<Socket>>) -> Slot {
        Slot {
            state: Mutex::new(state),
            socket,
            exited: AtomicBool::new(false),
            changed: Notify::new(),
        }
    }

    /// The stream, taking it: from now on it is the program's to read.
    pub(crate) fn take(&self, runtime: &tokio::runtime::Handle) -> Option<&Socket> {
        self.socket
            .get_or_init(|| {
                let mut st = lock(&self.state);
                let made = match std::mem::replace(&mut *st, State::Done) {
                    State::Done => None,
                    State::Idle(fd) => Some(socket_with(runtime, Ok(fd), BytesMut::new())),
                    State::Reading { rx, kept, .. } => {
                        let fd = rustix::io::fcntl_dupfd_cloexec(rx.0.get_ref(), 0).map_err(io::Error::from);
                        Some(socket_with(runtime, fd, kept))
                    }
                    State::Ended(kept) => Some(socket_with(runtime, ended_pipe(), kept)),
                };
                drop(st);
                self.changed.notify_waiters();
                made
            })
            .as_ref()
    }

    /// The stream if it was taken.
    pub(crate) fn taken(&self) -> Option<&Socket> {
        self.socket.get().and_then(Option::as_ref)
    }

    /// The child exited: an untaken pipe is read to its end.
    pub(crate) fn set_exited(&self) {
        self.exited.store(true, Ordering::Release);
        self.changed.notify_waiters();
    }

    /// Waits until this fd no longer holds `'close'` back: an untaken pipe
    /// read to its end, a taken stream closed.
    pub(crate) async fn settled(&self) {
        loop {
            let mut changed = pin!(self.changed.notified());
            changed.as_mut().enable();
            if !matches!(*lock(&self.state), State::Idle(_) | State::Reading { .. }) {
                break;
            }
            changed.await;
        }
        if let Some(s) = self.taken() {
            s.wait_closed().await;
        }
    }

    /// Starts reading an untaken output pipe ahead (on `runtime`).
    pub(crate) fn start_reading(self: &Arc<Self>, runtime: &tokio::runtime::Handle) {
        if matches!(*lock(&self.state), State::Idle(_)) {
            runtime.spawn(read_ahead(self.clone()));
        }
    }

    /// Reads what the pipe has now, under the lock. `true` when done (the
    /// pipe ended, or it was taken).
    fn read_now(&self, scratch: &mut Vec<u8>) -> bool {
        let mut st = lock(&self.state);
        let State::Reading { rx, kept, discarding } = &mut *st else {
            return true;
        };
        let exited = self.exited.load(Ordering::Acquire);
        loop {
            if !exited && kept.len() >= READ_AHEAD {
                return false;
            }
            let r = if *discarding {
                scratch.resize(READ_SIZE, 0);
                rx.try_read(scratch)
            } else {
                kept.reserve(READ_SIZE);
                rx.try_read_buf(kept)
            };
            match r {
                Ok(0) => break,
                Ok(_) => {
                    if kept.len() > KEEP_LIMIT {
                        *discarding = true;
                        *kept = BytesMut::new();
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return false,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                // A pipe's read does not fail otherwise; if it did, it ends.
                Err(_) => break,
            }
        }
        let kept = std::mem::take(kept);
        *st = State::Ended(kept);
        drop(st);
        self.changed.notify_waiters();
        true
    }
}

/// Reads an untaken output pipe ahead until it is taken or ends.
async fn read_ahead(slot: Arc<Slot>) {
    let rx = {
        let mut st = lock(&slot.state);
        let State::Idle(fd) = std::mem::replace(&mut *st, State::Done) else {
            return;
        };
        match Reader::new(fd) {
            Ok(rx) => {
                let rx = Arc::new(rx);
                *st = State::Reading {
                    rx: rx.clone(),
                    kept: BytesMut::new(),
                    discarding: false,
                };
                rx
            }
            // Not registered (the runtime shuts down): nothing to read into.
            Err(_) => {
                *st = State::Ended(BytesMut::new());
                drop(st);
                slot.changed.notify_waiters();
                return;
            }
        }
    };
    let mut scratch = Vec::new();
    loop {
        let mut changed = pin!(slot.changed.notified());
        changed.as_mut().enable();
        let want = match &*lock(&slot.state) {
            State::Reading { kept, .. } => slot.exited.load(Ordering::Acquire) || kept.len() < READ_AHEAD,
            _ => return,
        };
        if want {
            tokio::select! {
                biased;
                _ = &mut changed => continue,
                r = rx.readable() => {
                    if r.is_err() {
                        // Treated as the end (see read_now).
                        let mut st = lock(&slot.state);
                        if let State::Reading { kept, .. } = &mut *st {
                            *st = State::Ended(std::mem::take(kept));
                        }
                        drop(st);
                        slot.changed.notify_waiters();
                        return;
                    }
                }
            }
        } else {
            changed.await;
            continue;
        }
        if slot.read_now(&mut scratch) {
            return;
        }
    }
}

/// The parent's end of an output pipe, or of a socketpair (fds above 2,
/// duplex as in Node), read without blocking on this runtime's reactor.
struct Reader(AsyncFd<OwnedFd>);

impl Reader {
    fn new(fd: OwnedFd) -> io::Result<Reader> {
        rustix::io::ioctl_fionbio(&fd, true)?;
        Ok(Reader(rt_net::transport::register(fd, Interest::READABLE)?))
    }

    /// Waits until a read may find something (readiness is cleared by a
    /// read that finds nothing).
    async fn readable(&self) -> io::Result<()> {
        self.0.readable().await.map(|mut g| g.retain_ready())
    }

    fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.0
            .try_io(Interest::READABLE, |fd| Ok(rustix::io::read(fd, &mut *buf)?))
    }

    /// Reads at most one [`READ_SIZE`] onto the end of `buf`.
    fn try_read_buf(&self, buf: &mut BytesMut) -> io::Result<usize> {
        let start = buf.len();
        buf.resize(start + READ_SIZE, 0);
        let r = self.try_read(&mut buf[start..]);
        buf.truncate(start + r.as_ref().map_or(0, |n| *n));
        r
    }
}

/// A socket over `fd` whose first data is `kept`; a failure to make it is
/// the socket's error (taking a stream cannot fail in Node).
fn socket_with(runtime: &tokio::runtime::Handle, fd: io::Result<OwnedFd>, kept: BytesMut) -> Socket {
    let _in = runtime.enter();
    let made = fd
        .map_err(|e| Error::syscall_failed(&e, "spawn"))
        .and_then(crate::stdio::socket_of);
    match made {
        Ok(s) => {
            if !kept.is_empty() {
                s.unshift(Buffer::from(kept.freeze()));
            }
            s
        }
        Err(e) => {
            let s = Socket::new(SocketOptions::default());
            s.destroy_with_error(e);
            s
        }
    }
}

/// The read end of a pipe that has ended (for a stream taken after its
/// pipe was read to its end and closed).
fn ended_pipe() -> io::Result<OwnedFd> {
    let (r, _w) = rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC)?;
    Ok(r)
}
