//! Bridges both ways between rt streams and the Rust async ecosystem:
//! tokio's `AsyncRead` / `AsyncWrite` and futures' `Stream` / `Sink`.
//!
//! - any `AsyncRead` becomes a [`Readable`] ([`Readable::from_async_read`]),
//!   any `AsyncWrite` a [`Writable`] ([`Writable::from_async_write`]);
//! - a byte [`Readable`] / [`Duplex`] is an `AsyncRead` through
//!   [`Readable::into_async_read`] / [`Duplex::into_async_read`], a byte
//!   [`Writable`] / [`Duplex`] is an `AsyncWrite` itself;
//! - every [`Readable`] / [`Duplex`] is a `futures_core::Stream` of chunks,
//!   every [`Writable`] a `futures_sink::Sink`.
//!
//! The fast path polls the tokio object once with a no-op waker: data that
//! is ready (a socket with bytes waiting, a pipe with room) moves without a
//! task. Only when the object is not ready does a task take it over until
//! it is, then hand it back.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

use bytes::BytesMut;
use rt_buffer::Buffer;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};

use crate::core::{Core, lock};
use crate::error::Error;
use crate::readable::ReadableOptions;
use crate::sink::{Sink, WriteOutcome};
use crate::source::{Pusher, Source};
use crate::writable::WritableOptions;
use crate::{Duplex, Readable, Writable};

fn io_err(e: io::Error, syscall: &str) -> Error {
    if let Some(inner) = e.get_ref().and_then(|x| x.downcast_ref::<Error>()) {
        return inner.clone();
    }
    Error::from_io(&e, syscall, None)
}

/// A [`Source`] reading from a tokio `AsyncRead`.
struct ReadSource<T> {
    slot: Arc<Mutex<Option<T>>>,
}

enum Step {
    Pushed,
    End,
    Failed(Error),
    Pending,
}

fn try_read<T: AsyncRead + Unpin>(
    reader: &mut T,
    size: usize,
    cx: &mut Context<'_>,
) -> Poll<io::Result<Option<Buffer>>> {
    let mut buf = BytesMut::zeroed(size.max(1));
    let mut rb = ReadBuf::new(&mut buf);
    match Pin::new(reader).poll_read(cx, &mut rb) {
        Poll::Ready(Ok(())) => {
            let n = rb.filled().len();
            if n == 0 {
                Poll::Ready(Ok(None))
            } else {
                buf.truncate(n);
                Poll::Ready(Ok(Some(Buffer::from(buf.freeze()))))
            }
        }
        Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
        Poll::Pending => Poll::Pending,
    }
}

fn step<T: AsyncRead + Unpin>(
    reader: &mut T,
    size: usize,
    push: &Pusher<Buffer>,
    cx: &mut Context<'_>,
) -> Step {
    match try_read(reader, size, cx) {
        Poll::Ready(Ok(Some(b))) => {
            push.push(b);
            Step::Pushed
        }
        Poll::Ready(Ok(None)) => Step::End,
        Poll::Ready(Err(e)) => Step::Failed(io_err(e, "read")),
        Poll::Pending => Step::Pending,
    }
}

impl<T: AsyncRead + Send + Unpin + 'static> Source<Buffer> for ReadSource<T> {
    fn read(&mut self, size: usize, push: &Pusher<Buffer>) {
        let Some(mut reader) = lock(&self.slot).take() else {
            return;
        };
        let mut cx = Context::from_waker(Waker::noop());
        match step(&mut reader, size, push, &mut cx) {
            Step::Pushed => {
                *lock(&self.slot) = Some(reader);
                return;
            }
            Step::End => {
                push.push_end();
                return;
            }
            Step::Failed(e) => {
                push.destroy(Some(e));
                return;
            }
            Step::Pending => {}
        }
        let Ok(handle) = tokio::runtime::Handle::try_current() else {
            push.destroy(Some(Error::new(
                "ERR_NO_RUNTIME",
                "reading an AsyncRead needs a tokio runtime",
            )));
            return;
        };
        let slot = self.slot.clone();
        let push = push.clone();
        handle.spawn(async move {
            let res = std::future::poll_fn(|cx| try_read(&mut reader, size, cx)).await;
            match res {
                Ok(Some(b)) => {
                    *lock(&slot) = Some(reader);
                    push.push(b);
                }
                Ok(None) => push.push_end(),
                Err(e) => push.destroy(Some(io_err(e, "read"))),
            }
        });
    }
}

/// A [`Sink`] writing into a tokio `AsyncWrite`.
struct WriteSink<T> {
    slot: Arc<Mutex<Option<T>>>,
}

fn write_now<T: AsyncWrite + Unpin>(w: &mut T, mut data: &[u8]) -> Result<usize, Error> {
    let mut cx = Context::from_waker(Waker::noop());
    let mut done = 0;
    while !data.is_empty() {
        match Pin::new(&mut *w).poll_write(&mut cx, data) {
            Poll::Ready(Ok(0)) => {
                return Err(Error::from_io(
                    &io::Error::from(io::ErrorKind::WriteZero),
                    "write",
                    None,
                ));
            }
            Poll::Ready(Ok(n)) => {
                done += n;
                data = &data[n..];
            }
            Poll::Ready(Err(e)) => return Err(io_err(e, "write")),
            Poll::Pending => break,
        }
    }
    Ok(done)
}

impl<T: AsyncWrite + Send + Unpin + 'static> Sink<Buffer> for WriteSink<T> {
    fn write(&mut self, chunk: Buffer) -> WriteOutcome {
        let Some(mut w) = lock(&self.slot).take() else {
            return WriteOutcome::Done(Err(Error::destroyed("write")));
        };
        let done = match write_now(&mut w, &chunk) {
            Ok(n) => n,
            Err(e) => {
                *lock(&self.slot) = Some(w);
                return WriteOutcome::Done(Err(e));
            }
        };
        if done == chunk.len() {
            *lock(&self.slot) = Some(w);
            return WriteOutcome::ok();
        }
        let slot = self.slot.clone();
        WriteOutcome::Pending(Box::pin(async move {
            let res = w.write_all(&chunk[done..]).await;
            *lock(&slot) = Some(w);
            res.map_err(|e| io_err(e, "write"))
        }))
    }

    fn finish(&mut self) -> Option<WriteOutcome> {
        let slot = self.slot.clone();
        let mut w = lock(&self.slot).take()?;
        Some(WriteOutcome::Pending(Box::pin(async move {
            let res = w.shutdown().await;
            *lock(&slot) = Some(w);
            res.map_err(|e| io_err(e, "shutdown"))
        })))
    }

    fn destroy(&mut self, err: Option<Error>) -> Option<Error> {
        // Dropping the writer closes it.
        lock(&self.slot).take();
        err
    }
}

impl Readable<Buffer> {
    /// A readable of the bytes of any tokio `AsyncRead` (a `TcpStream`'s read
    /// half, a `File`, a pipe): each `_read` reads up to the high-water mark.
    pub fn from_async_read<T>(reader: T, opts: ReadableOptions) -> Self
    where
        T: AsyncRead + Send + Unpin + 'static,
    {
        Readable::from_source(
            ReadSource {
                slot: Arc::new(Mutex::new(Some(reader))),
            },
            opts,
        )
    }

    /// This readable as a tokio `AsyncRead`.
    pub fn into_async_read(self) -> StreamReader {
        StreamReader {
            inner: Box::new(self),
            leftover: None,
        }
    }
}

impl Writable<Buffer> {
    /// A writable into any tokio `AsyncWrite`: writes go straight through
    /// when the writer has room; `end()` shuts the writer down before `'finish'`.
    pub fn from_async_write<T>(writer: T, opts: WritableOptions) -> Self
    where
        T: AsyncWrite + Send + Unpin + 'static,
    {
        Writable::new(
            WriteSink {
                slot: Arc::new(Mutex::new(Some(writer))),
            },
            opts,
        )
    }
}

impl<W: Send + 'static> Duplex<Buffer, W> {
    /// The readable side as a tokio `AsyncRead`.
    pub fn into_async_read(self) -> StreamReader {
        StreamReader {
            inner: Box::new(self),
            leftover: None,
        }
    }
}

trait ChunkPoll: Send + Sync + Unpin {
    fn poll_chunk(&self, cx: &mut Context<'_>) -> Poll<Option<Result<Buffer, Error>>>;
}

impl ChunkPoll for Readable<Buffer> {
    fn poll_chunk(&self, cx: &mut Context<'_>) -> Poll<Option<Result<Buffer, Error>>> {
        self.core.poll_read_chunk(cx)
    }
}

impl<W: Send + 'static> ChunkPoll for Duplex<Buffer, W> {
    fn poll_chunk(&self, cx: &mut Context<'_>) -> Poll<Option<Result<Buffer, Error>>> {
        self.core.poll_read_chunk(cx)
    }
}

/// A byte readable seen as a tokio `AsyncRead` (see [`Readable::into_async_read`]).
pub struct StreamReader {
    inner: Box<dyn ChunkPoll>,
    leftover: Option<Buffer>,
}

impl std::fmt::Debug for StreamReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StreamReader")
    }
}

impl AsyncRead for StreamReader {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let chunk = match self.leftover.take() {
            Some(c) => c,
            None => match self.inner.poll_chunk(cx) {
                Poll::Ready(Some(Ok(c))) => c,
                Poll::Ready(Some(Err(e))) => return Poll::Ready(Err(e.into())),
                Poll::Ready(None) => return Poll::Ready(Ok(())),
                Poll::Pending => return Poll::Pending,
            },
        };
        let n = chunk.len().min(buf.remaining());
        buf.put_slice(&chunk[..n]);
        if n < chunk.len() {
            self.leftover = Some(chunk.subarray(n as i64, chunk.len() as i64));
        }
        Poll::Ready(Ok(()))
    }
}

fn poll_write_core<R: Send + 'static>(
    core: &Arc<Core<R, Buffer>>,
    cx: &mut Context<'_>,
    buf: &[u8],
) -> Poll<io::Result<usize>> {
    match core.poll_drain(cx) {
        Poll::Ready(Ok(())) => {}
        Poll::Ready(Err(e)) => return Poll::Ready(Err(e.into())),
        Poll::Pending => return Poll::Pending,
    }
    let r = core.write_inner(Buffer::from(buf), None);
    core.settle();
    match r {
        Ok(_) => Poll::Ready(Ok(buf.len())),
        Err(e) => Poll::Ready(Err(e.into())),
    }
}

impl AsyncWrite for Writable<Buffer> {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        poll_write_core(&self.core, cx, buf)
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.core.poll_flushed(cx).map_err(Into::into)
    }
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.core.poll_end(cx).map_err(Into::into)
    }
}

impl<R: Send + 'static> AsyncWrite for Duplex<R, Buffer> {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        poll_write_core(&self.core, cx, buf)
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.core.poll_flushed(cx).map_err(Into::into)
    }
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.core.poll_end(cx).map_err(Into::into)
    }
}

impl<T: Send + 'static> futures_core::Stream for Readable<T> {
    type Item = Result<T, Error>;
    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.core.poll_read_chunk(cx)
    }
}

impl<R: Send + 'static, W: Send + 'static> futures_core::Stream for Duplex<R, W> {
    type Item = Result<R, Error>;
    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.core.poll_read_chunk(cx)
    }
}

/// futures' `Sink` for a writable handle: `poll_ready` waits for `'drain'`,
/// `start_send` writes, `poll_flush` waits for every write, `poll_close` ends
/// and waits for `'finish'`.
macro_rules! sink_impl {
    (impl<$($g:ident),*> Sink<$item:ident> for $ty:ty) => {
        impl<$($g: Send + 'static),*> futures_sink::Sink<$item> for $ty {
            type Error = Error;
            fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
                self.core.poll_drain(cx)
            }
            fn start_send(self: Pin<&mut Self>, item: $item) -> Result<(), Error> {
                let r = self.core.write_inner(item, None);
                self.core.settle();
                r.map(|_| ())
            }
            fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
                self.core.poll_flushed(cx)
            }
            fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
                self.core.poll_end(cx)
            }
        }
    };
}

sink_impl!(impl<T> Sink<T> for Writable<T>);
sink_impl!(impl<R, W> Sink<W> for Duplex<R, W>);
