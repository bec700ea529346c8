//! The socket's `_read` and `_write` / `_final` / `_destroy`: the
//! [`rt_stream::Source`] and [`rt_stream::Sink`] the socket's stream runs on.
//!
//! - `_read` reads from the kernel and pushes, inline while data is there,
//!   then from a task that waits for readability; it stops as soon as a push
//!   returns `false` (the readable side is at its mark) and starts again at
//!   the next `_read`. Nothing is read ahead of the mark.
//! - `_write` writes straight to the kernel and returns
//!   [`WriteOutcome::Done`] when it took everything (no task, no
//!   allocation); only a remainder is kept, written by a task once the
//!   socket is writable, and the write completes then.

use std::io::{self, IoSlice};
use std::sync::Weak;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::Poll;

use bytes::{Buf, Bytes, BytesMut};
use rt_buffer::Buffer;
use rt_stream::{Pusher, Sink, Source, WriteOutcome};

use super::{Inner, Socket, destroyed_error, lock};
use crate::conn::Conn;
use crate::error::Error;

pub(crate) struct SocketSource {
    pub(crate) inner: Weak<Inner>,
}

impl Source<Buffer> for SocketSource {
    fn read(&mut self, _size: usize, _push: &Pusher<Buffer>) {
        if let Some(inner) = self.inner.upgrade() {
            Socket { inner }.source_read();
        }
    }

    fn destroy(&mut self, err: Option<Error>) -> Option<Error> {
        if let Some(inner) = self.inner.upgrade() {
            Socket { inner }.release();
        }
        err
    }

    /// The reader pushes while the kernel has data and the stream takes it.
    fn push_driven(&self) -> bool {
        true
    }
}

pub(crate) struct SocketSink {
    pub(crate) inner: Weak<Inner>,
    /// The connection the last write went to (a weak handle: the fd still
    /// closes when the socket lets go of it). While the socket is not let
    /// go, a write goes there without the socket's state lock.
    pub(crate) conn: Weak<Conn>,
}

impl Sink<Buffer> for SocketSink {
    fn write(&mut self, chunk: Buffer) -> WriteOutcome {
        let Some(inner) = self.inner.upgrade() else {
            return WriteOutcome::Done(Err(destroyed_error("write")));
        };
        let socket = Socket { inner };
        if !socket.inner.released.load(Ordering::Acquire) {
            if let Some(conn) = self.conn.upgrade() {
                return socket.write_to(&conn, chunk.into());
            }
        }
        let bytes: Bytes = chunk.into();
        if bytes.is_empty() {
            return WriteOutcome::ok();
        }
        match socket.connected_conn() {
            Ok(conn) => {
                self.conn = std::sync::Arc::downgrade(&conn);
                socket.write_to(&conn, bytes)
            }
            Err(None) => {
                let len = bytes.len() as u64;
                socket.defer_rest(bytes, len)
            }
            Err(Some(e)) => WriteOutcome::Done(Err(e)),
        }
    }

    fn writev(&mut self, chunks: Vec<Buffer>) -> WriteOutcome {
        match self.inner.upgrade() {
            Some(inner) => Socket { inner }.sink_writev(chunks),
            None => WriteOutcome::Done(Err(destroyed_error("write"))),
        }
    }

    fn has_writev(&self) -> bool {
        true
    }

    fn finish(&mut self) -> Option<WriteOutcome> {
        let inner = self.inner.upgrade()?;
        Some(Socket { inner }.sink_final())
    }

    fn destroy(&mut self, err: Option<Error>) -> Option<Error> {
        if let Some(inner) = self.inner.upgrade() {
            Socket { inner }.release();
        }
        err
    }
}

/// The reader task: waits for readability on the connection's own
/// read-waker slot (no waiter list, no notifier), then pumps. Letting go of
/// the connection or `read_stop` wakes it through the waker it leaves in
/// the state (see [`Socket::wake_reader`]). Written out by hand so that the
/// task of an idle connection is as small as tokio makes one (two handles,
/// no async state machine).
///
/// The state lock is taken on the first wake-up only (to leave the waker):
/// after it, `Inner::reader_armed` says in one atomic load that the waker
/// is there and nothing asked the reader to stop. The waker left once keeps
/// waking this reader: `Reader` is only ever run as a tokio task of its own
/// (spawned by `source_read`), and a task's waker always wakes that task.
struct Reader {
    socket: Socket,
    conn: std::sync::Arc<Conn>,
}

impl std::future::Future for Reader {
    type Output = ();

    fn poll(self: std::pin::Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> Poll<()> {
        let me = &*self;
        let inner = &me.socket.inner;
        loop {
            if !inner.reader_armed.load(Ordering::Acquire) {
                let mut st = lock(&inner.st);
                if st.released || st.read_stopped {
                    st.reader_running = false;
                    st.reader_waker = None;
                    inner.reader_armed.store(false, Ordering::Release);
                    return Poll::Ready(());
                }
                match &st.reader_waker {
                    Some(w) if w.will_wake(cx.waker()) => {}
                    _ => st.reader_waker = Some(cx.waker().clone()),
                }
                inner.reader_armed.store(true, Ordering::Release);
            }
            let size = inner.read_size.load(Ordering::Relaxed);
            match me.conn.poll_read_ready(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Err(e)) => {
                    {
                        let mut st = lock(&inner.st);
                        st.reader_running = false;
                        st.reader_waker = None;
                        inner.reader_armed.store(false, Ordering::Release);
                    }
                    me.socket.destroy_with(Some(Error::syscall_failed(&e, "read")));
                    return Poll::Ready(());
                }
                Poll::Ready(Ok(())) => {}
            }
            if let Pump::Stop = me.socket.pump(&me.conn, size) {
                return Poll::Ready(());
            }
            // The kernel said "would block": most often nothing came since,
            // and the waker left in the state is this task's, so the wait
            // starts without taking the lock. Data (or an error) that came
            // meanwhile goes round the checks above first.
            if me.conn.poll_read_ready(cx).is_pending() {
                return Poll::Pending;
            }
        }
    }
}

enum Pump {
    /// The kernel has nothing more now: wait for readability.
    Wait,
    /// Stopped (mark reached, end of data, error or destroyed).
    Stop,
}

impl Socket {
    /// `_read`: reads now what the kernel has, then waits for more in a task.
    pub(super) fn source_read(&self) {
        let (conn, size) = {
            let mut st = lock(&self.inner.st);
            if st.released || st.read_eof || st.read_stopped {
                return;
            }
            if !st.connected {
                // Read once connected (see `on_connected`).
                st.want_read = true;
                return;
            }
            if st.reader_running {
                st.read_wanted = true;
                return;
            }
            let Some(conn) = st.conn.clone() else {
                return;
            };
            st.reader_running = true;
            st.read_wanted = false;
            // A reader task that ended left its waker (and the flag saying
            // so): the next one leaves its own on its first wake-up.
            st.reader_waker = None;
            self.inner.reader_armed.store(false, Ordering::Release);
            (conn, self.inner.read_size.load(Ordering::Relaxed))
        };
        if let Pump::Wait = self.pump(&conn, size) {
            self.spawn(Reader {
                socket: self.clone(),
                conn,
            });
        }
    }

    /// Reads and pushes until the kernel has nothing (`Wait`) or the reader
    /// must stop (`Stop`, with `reader_running` cleared). Only the holder
    /// of `reader_running` calls it, so it is the one writer of `bytes_read`.
    fn pump(&self, conn: &Conn, size: usize) -> Pump {
        loop {
            match read_into_thread_buffer(conn, size, &self.inner.read_now) {
                Ok(Some(bytes)) => {
                    let read = &self.inner.bytes_read;
                    read.store(
                        read.load(Ordering::Relaxed) + bytes.len() as u64,
                        Ordering::Relaxed,
                    );
                    self.touch();
                    if !rt_stream::ReadableSide::push(self, Buffer::from(bytes)) {
                        let mut st = lock(&self.inner.st);
                        if st.read_wanted && !st.released && !st.read_stopped {
                            st.read_wanted = false;
                            continue;
                        }
                        st.reader_running = false;
                        return Pump::Stop;
                    }
                }
                Ok(None) => {
                    {
                        let mut st = lock(&self.inner.st);
                        st.read_eof = true;
                        st.reader_running = false;
                    }
                    rt_stream::ReadableSide::push_end(self);
                    return Pump::Stop;
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Pump::Wait,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    lock(&self.inner.st).reader_running = false;
                    self.destroy_with(Some(Error::syscall_failed(&e, "read")));
                    return Pump::Stop;
                }
            }
        }
    }

    /// Wakes a reader task waiting for readability, so that it sees
    /// `released` / `read_stopped` (set under the same lock) and ends.
    pub(super) fn wake_reader(inner: &Inner, st: &mut super::State) {
        inner.reader_armed.store(false, Ordering::Release);
        if let Some(w) = st.reader_waker.take() {
            w.wake();
        }
    }

    /// The connection to write to: `Err(None)` while it is not up yet (the
    /// write waits for it), `Err(Some(_))` once the socket let go of it.
    fn connected_conn(&self) -> Result<std::sync::Arc<Conn>, Option<Error>> {
        let st = lock(&self.inner.st);
        if st.released {
            return Err(Some(destroyed_error("write")));
        }
        if !st.connected {
            return Err(None);
        }
        st.conn.clone().ok_or_else(|| Some(destroyed_error("write")))
    }

    /// `_write` on the connection: straight to the kernel; `Done` when it
    /// took everything.
    fn write_to(&self, conn: &Conn, mut bytes: Bytes) -> WriteOutcome {
        let len = bytes.len() as u64;
        if bytes.is_empty() {
            return WriteOutcome::ok();
        }
        loop {
            match self.write_some(conn, &[IoSlice::new(&bytes)]) {
                Ok(n) => {
                    bytes.advance(n);
                    if bytes.is_empty() {
                        self.add_sent(len);
                        self.touch_if_timed();
                        return WriteOutcome::ok();
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return WriteOutcome::Done(Err(self.write_failed(&e))),
            }
        }
        self.defer_rest(bytes, len)
    }

    /// `_writev`: one vectored write for everything buffered.
    fn sink_writev(&self, chunks: Vec<Buffer>) -> WriteOutcome {
        let chunks: Vec<Bytes> = chunks
            .into_iter()
            .map(Bytes::from)
            .filter(|b| !b.is_empty())
            .collect();
        let total: usize = chunks.iter().map(|b| b.len()).sum();
        if total == 0 {
            return WriteOutcome::ok();
        }
        let conn = {
            let st = lock(&self.inner.st);
            if st.released {
                return WriteOutcome::Done(Err(destroyed_error("write")));
            }
            if !st.connected {
                drop(st);
                return self.defer_rest(concat(&chunks, 0), total as u64);
            }
            match st.conn.clone() {
                Some(c) => c,
                None => return WriteOutcome::Done(Err(destroyed_error("write"))),
            }
        };
        let mut done = 0usize;
        while done < total {
            let slices = slices_from(&chunks, done);
            match self.write_some(&conn, &slices) {
                Ok(n) => done += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return WriteOutcome::Done(Err(self.write_failed(&e))),
            }
        }
        if done == total {
            self.add_sent(total as u64);
            self.touch_if_timed();
            return WriteOutcome::ok();
        }
        self.defer_rest(concat(&chunks, done), total as u64)
    }

    /// One non-blocking write, straight to the kernel while the socket
    /// assumes its fd ready ([`Socket::assume_ready`]: until a write would
    /// block), else through the reactor's readiness.
    fn write_some(&self, conn: &Conn, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        if self.inner.write_now.load(Ordering::Relaxed) {
            let r = conn.write_vectored_now(bufs);
            if matches!(&r, Err(e) if e.kind() == io::ErrorKind::WouldBlock) {
                self.inner.write_now.store(false, Ordering::Relaxed);
            }
            return r;
        }
        conn.try_write_vectored(bufs)
    }

    fn write_failed(&self, e: &io::Error) -> Error {
        Error::syscall_failed(e, "write")
    }

    /// Writes are serialised by the stream (one `_write` at a time, the
    /// writer task only while one is pending): a plain add, no locked
    /// read-modify-write.
    fn add_sent(&self, n: u64) {
        let sent = &self.inner.bytes_sent;
        sent.store(sent.load(Ordering::Relaxed) + n, Ordering::Relaxed);
    }

    fn touch_if_timed(&self) {
        self.touch();
    }

    /// Keeps `rest` (and the write's completion) for the writer task. The
    /// whole write (`len` bytes) counts as sent once it completes: until
    /// then it is in the stream's `writable_length`.
    fn defer_rest(&self, rest: Bytes, len: u64) -> WriteOutcome {
        let (c, out) = WriteOutcome::deferred();
        let start = {
            let mut st = lock(&self.inner.st);
            st.pending_write = Some(Box::new((rest, c, len)));
            let start = st.connected && !st.writer_running;
            if start {
                st.writer_running = true;
            }
            start
        };
        if start {
            let me = self.clone();
            self.spawn(async move { me.writer().await });
        }
        out
    }

    /// Writes the pending remainder as the socket becomes writable.
    pub(super) async fn writer(self) {
        let Some(conn) = self.conn() else {
            lock(&self.inner.st).writer_running = false;
            return;
        };
        loop {
            let closed = self.inner.changed.notified();
            tokio::pin!(closed);
            closed.as_mut().enable();
            if lock(&self.inner.st).released {
                lock(&self.inner.st).writer_running = false;
                return;
            }
            tokio::select! {
                biased;
                r = conn.writable() => {
                    if let Err(e) = r {
                        lock(&self.inner.st).writer_running = false;
                        self.destroy_with(Some(Error::syscall_failed(&e, "write")));
                        return;
                    }
                }
                _ = closed => continue,
            }
            let Some((mut rest, c, len)) = lock(&self.inner.st).pending_write.take().map(|b| *b) else {
                lock(&self.inner.st).writer_running = false;
                return;
            };
            let mut failed = None;
            loop {
                match conn.try_write(&rest) {
                    Ok(n) => {
                        rest.advance(n);
                        if rest.is_empty() {
                            break;
                        }
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => {
                        failed = Some(e);
                        break;
                    }
                }
            }
            if let Some(e) = failed {
                lock(&self.inner.st).writer_running = false;
                let err = self.write_failed(&e);
                c.complete(Err(err));
                return;
            }
            if rest.is_empty() {
                lock(&self.inner.st).writer_running = false;
                self.inner.bytes_sent.fetch_add(len, Ordering::Relaxed);
                self.touch();
                c.complete(Ok(()));
                return;
            }
            lock(&self.inner.st).pending_write = Some(Box::new((rest, c, len)));
        }
    }

    /// `_final`: sends our FIN (once connected).
    fn sink_final(&self) -> WriteOutcome {
        let mut st = lock(&self.inner.st);
        if st.released {
            return WriteOutcome::Done(Err(destroyed_error("end")));
        }
        if !st.connected {
            let (c, out) = WriteOutcome::deferred();
            st.pending_final = Some(c);
            return out;
        }
        drop(st);
        WriteOutcome::Done(self.shutdown_now())
    }

    pub(super) fn shutdown_now(&self) -> Result<(), Error> {
        if let Some(c) = self.conn() {
            // ENOTCONN when the peer already reset: nothing left to say.
            let _ = c.shutdown_write();
        }
        Ok(())
    }
}

fn slices_from(chunks: &[Bytes], mut skip: usize) -> Vec<IoSlice<'_>> {
    let mut out = Vec::with_capacity(chunks.len().min(64));
    for c in chunks {
        if out.len() == 64 {
            break;
        }
        if skip >= c.len() {
            skip -= c.len();
            continue;
        }
        out.push(IoSlice::new(&c[skip..]));
        skip = 0;
    }
    out
}

fn concat(chunks: &[Bytes], mut skip: usize) -> Bytes {
    let mut out = BytesMut::new();
    for c in chunks {
        if skip >= c.len() {
            skip -= c.len();
            continue;
        }
        out.extend_from_slice(&c[skip..]);
        skip = 0;
    }
    out.freeze()
}

thread_local! {
    /// One read buffer per thread, not per socket: an idle connection holds
    /// no buffer at all. Chunks are split off it; once they are dropped,
    /// `reserve` takes the same allocation back (no malloc per read).
    static READ_BUF: std::cell::RefCell<BytesMut> = std::cell::RefCell::new(BytesMut::new());
}

/// One non-blocking read into the thread's buffer: `Ok(None)` at EOF.
/// While `now` is set the read goes straight to the kernel (`Io::read_now`)
/// and `now` is cleared once a read comes back short, at EOF or failing.
fn read_into_thread_buffer(conn: &Conn, size: usize, now: &AtomicBool) -> io::Result<Option<Bytes>> {
    READ_BUF.with(|cell| {
        let mut buf = cell.borrow_mut();
        buf.clear();
        if buf.capacity() < size {
            buf.reserve(size);
        }
        let read = if now.load(Ordering::Relaxed) {
            let want = size.min(crate::transport::READ_NOW_MAX);
            let r = conn.read_now(&mut buf, want);
            match &r {
                Ok(n) if *n == want => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                _ => now.store(false, Ordering::Relaxed),
            }
            r
        } else {
            conn.try_read_buf(&mut buf)
        };
        match read {
            Ok(0) => Ok(None),
            Ok(n) => Ok(Some(buf.split_to(n).freeze())),
            Err(e) => Err(e),
        }
    })
}
