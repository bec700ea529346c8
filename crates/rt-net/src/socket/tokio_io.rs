//! tokio's `AsyncRead` / `AsyncWrite` for [`Socket`]: the bridge to the
//! rest of the Rust ecosystem (`tokio::io::copy`, `BufReader`, codecs...).
//!
//! Both go through the socket's stream: reads take the stream's chunks (so
//! they count in `bytes_read`, reach `'data'` listeners and follow
//! `set_encoding`), writes are stream writes (`write` + `'drain'`), and
//! shutdown is `end()`. Errors carry the socket's [`Error`](crate::Error) itself inside the `io::Error`.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::{Buf, Bytes};
use futures_core::Stream;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use super::Socket;

impl AsyncRead for Socket {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = &*self;
        if buf.remaining() == 0 {
            return Poll::Ready(Ok(()));
        }
        let mut rest = this
            .inner
            .read_rest
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if rest.is_none() {
            let mut d = this.inner.stream.clone();
            match Pin::new(&mut d).poll_next(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(None) => return Poll::Ready(Ok(())),
                Poll::Ready(Some(Err(e))) => {
                    if rt_stream::StreamBase::errored(this).is_none() {
                        return Poll::Ready(Ok(()));
                    }
                    return Poll::Ready(Err(e.into()));
                }
                Poll::Ready(Some(Ok(chunk))) => *rest = Some(Bytes::from(chunk)),
            }
        }
        if let Some(b) = rest.as_mut() {
            let n = b.len().min(buf.remaining());
            buf.put_slice(&b[..n]);
            b.advance(n);
            if b.is_empty() {
                *rest = None;
            }
        }
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for Socket {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, data: &[u8]) -> Poll<io::Result<usize>> {
        let mut d = self.inner.stream.clone();
        Pin::new(&mut d).poll_write(cx, data)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let mut d = self.inner.stream.clone();
        Pin::new(&mut d).poll_flush(cx)
    }

    /// Flushes, then `end()`: our FIN goes out, as Node's `socket.end()`.
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let mut d = self.inner.stream.clone();
        Pin::new(&mut d).poll_shutdown(cx)
    }
}
