//! tokio's `AsyncRead` / `AsyncWrite` for [`Socket`]: the bridge to the
//! rest of the Rust ecosystem (`tokio::io::copy`, `BufReader`, codecs...).
//!
//! Reads take raw bytes from the kernel (no `set_encoding` decoding) and
//! still count in `bytes_read` and reach `'data'` listeners; writes go
//! through the same queue and counters as [`Socket::write`]. The socket must
//! be connected (`ENOTCONN` otherwise).

use std::io;
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::task::{Context, Poll, ready};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use super::{DATA, Socket, destroyed_error, flush, lock};
use crate::error::NetError;

fn not_connected() -> io::Error {
    io::Error::new(io::ErrorKind::NotConnected, "socket is not connected")
}

impl AsyncRead for Socket {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = &*self;
        if buf.remaining() == 0 {
            return Poll::Ready(Ok(()));
        }
        let Some(conn) = this.conn() else {
            let st = lock(&this.inner.st);
            return if st.destroyed || st.read_eof {
                Poll::Ready(Ok(()))
            } else {
                Poll::Ready(Err(not_connected()))
            };
        };
        if lock(&this.inner.st).read_eof {
            return Poll::Ready(Ok(()));
        }
        loop {
            match conn.try_read(buf.initialize_unfilled()) {
                Ok(0) => {
                    this.on_eof();
                    return Poll::Ready(Ok(()));
                }
                Ok(n) => {
                    let filled = buf.filled().len();
                    buf.advance(n);
                    this.inner.bytes_read.fetch_add(n as u64, Ordering::Relaxed);
                    this.touch();
                    if this.ev().is_some_and(|e| e.listener_count(&DATA) > 0) {
                        let chunk = rt_buffer::Buffer::from(&buf.filled()[filled..]);
                        this.emit(&DATA, chunk);
                    }
                    return Poll::Ready(Ok(()));
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    ready!(conn.poll_read_ready(cx))?;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    let err = NetError::from_io(&e, "read");
                    this.destroy_with(Some(err.clone()));
                    return Poll::Ready(Err(err.into()));
                }
            }
        }
    }
}

impl Socket {
    /// Flushes the queue from a poll context: `Ready` once it is empty.
    fn poll_flush_queue(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let Some(conn) = self.conn() else {
            return Poll::Ready(Err(not_connected()));
        };
        loop {
            let outcome = {
                let mut st = lock(&self.inner.st);
                if st.destroyed {
                    return Poll::Ready(Err(destroyed_error("write").into()));
                }
                flush(&conn, &mut st)
            };
            match outcome {
                Ok(true) => return Poll::Ready(Ok(())),
                Ok(false) => ready!(conn.poll_write_ready(cx))?,
                Err(e) => {
                    let err = NetError::from_io(&e, "write");
                    self.destroy_with(Some(err.clone()));
                    return Poll::Ready(Err(err.into()));
                }
            }
        }
    }
}

impl AsyncWrite for Socket {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, data: &[u8]) -> Poll<io::Result<usize>> {
        let this = &*self;
        {
            let st = lock(&this.inner.st);
            if st.destroyed {
                return Poll::Ready(Err(destroyed_error("write").into()));
            }
            if st.ending {
                return Poll::Ready(Err(NetError::new(
                    "ERR_STREAM_WRITE_AFTER_END",
                    "write after end",
                )
                .into()));
            }
        }
        // Earlier `write()`s go first.
        ready!(this.poll_flush_queue(cx))?;
        let Some(conn) = this.conn() else {
            return Poll::Ready(Err(not_connected()));
        };
        loop {
            let result = {
                let st = lock(&this.inner.st);
                if !st.queue.is_empty() {
                    drop(st);
                    ready!(this.poll_flush_queue(cx))?;
                    continue;
                }
                conn.try_write(data)
            };
            match result {
                Ok(n) => {
                    this.inner.bytes_written.fetch_add(n as u64, Ordering::Relaxed);
                    this.touch();
                    return Poll::Ready(Ok(n));
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    ready!(conn.poll_write_ready(cx))?;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    let err = NetError::from_io(&e, "write");
                    this.destroy_with(Some(err.clone()));
                    return Poll::Ready(Err(err.into()));
                }
            }
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if lock(&self.inner.st).queue.is_empty() {
            return Poll::Ready(Ok(()));
        }
        self.poll_flush_queue(cx)
    }

    /// Flushes, then `end()`: our FIN goes out, as Node's `socket.end()`.
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if !lock(&self.inner.st).queue.is_empty() {
            ready!(self.poll_flush_queue(cx))?;
        }
        self.end();
        Poll::Ready(Ok(()))
    }
}
