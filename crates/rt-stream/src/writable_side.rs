//! [`WritableSide`]: Node's `stream.Writable` methods (`write`, `end`,
//! `cork`, `uncork`, `setDefaultEncoding`...), provided over
//! [`StreamBase::stream_core`] for every stream with a writable side.

use std::future::Future;

use rt_buffer::Buffer;

use crate::error::Error;
use crate::stream::StreamBase;

/// A stream with a writable side: [`Writable`](crate::Writable),
/// [`Duplex`](crate::Duplex), transforms, and types that extend them
/// (rt-net's `Socket`). Every method is provided.
#[doc(alias = "stream.Writable")]
pub trait WritableSide: StreamBase {
    /// Writes a chunk: `Ok(true)` to go on, `Ok(false)` to wait for
    /// `'drain'`; `Err` (also emitted as `'error'`) after `end()` or
    /// `destroy()`. Node: `writable.write(chunk)`.
    #[inline]
    fn write(&self, chunk: impl Into<Self::Write>) -> Result<bool, Error> {
        let core = self.stream_core();
        let r = core.write_inner(chunk.into(), None);
        if r.is_err() {
            core.settle();
        }
        r
    }

    /// Writes a chunk and calls `cb` when the sink has taken it (or failed).
    /// Node: `writable.write(chunk, cb)`.
    #[doc(alias = "write")]
    fn write_cb(
        &self,
        chunk: impl Into<Self::Write>,
        cb: impl FnOnce(Result<(), Error>) + Send + 'static,
    ) -> Result<bool, Error> {
        let core = self.stream_core();
        let r = core.write_inner(chunk.into(), Some(Box::new(cb)));
        core.settle();
        r
    }

    /// Writes a chunk and, if the buffer is full, waits for `'drain'`.
    fn write_all(
        &self,
        chunk: impl Into<Self::Write>,
    ) -> impl Future<Output = Result<(), Error>> + Send + '_ {
        let chunk = chunk.into();
        async move {
            if !self.write(chunk)? {
                let core = self.stream_core();
                std::future::poll_fn(|cx| core.poll_drain(cx)).await?;
            }
            Ok(())
        }
    }

    /// Adds a `'pipe'` listener, called with the source that starts piping
    /// into this stream. Node: `writable.on('pipe', (src) => ..)`.
    fn on_pipe(&self, f: impl Fn(&crate::PipeSource) + Send + Sync + 'static) -> crate::ListenerId {
        self.stream_core()
            .ev
            .on_piping(true, false, std::sync::Arc::new(f))
    }

    /// Adds an `'unpipe'` listener, called with the source that stops
    /// piping into this stream. Node: `writable.on('unpipe', (src) => ..)`.
    fn on_unpipe(&self, f: impl Fn(&crate::PipeSource) + Send + Sync + 'static) -> crate::ListenerId {
        self.stream_core()
            .ev
            .on_piping(false, false, std::sync::Arc::new(f))
    }

    /// Ends the writable side: `'finish'` follows once every write is done.
    /// Node: `writable.end()`.
    fn end(&self) -> Result<(), Error> {
        let core = self.stream_core();
        let r = core.end_inner(None, None);
        core.settle();
        r
    }

    /// Writes a last chunk, then ends. Node: `writable.end(chunk)`.
    #[doc(alias = "end")]
    fn end_with(&self, chunk: impl Into<Self::Write>) -> Result<(), Error> {
        let core = self.stream_core();
        let r = core.end_inner(Some(chunk.into()), None);
        core.settle();
        r
    }

    /// Ends and calls `cb` at `'finish'` (or with the error). Node: `writable.end(cb)`.
    #[doc(alias = "end")]
    fn end_cb(&self, cb: impl FnOnce(Result<(), Error>) + Send + 'static) {
        let core = self.stream_core();
        let _ = core.end_inner(None, Some(Box::new(cb)));
        core.settle();
    }

    /// Writes a last chunk, ends, and calls `cb` at `'finish'` (or with the
    /// error). Node: `writable.end(chunk, cb)`.
    #[doc(alias = "end")]
    fn end_with_cb(
        &self,
        chunk: impl Into<Self::Write>,
        cb: impl FnOnce(Result<(), Error>) + Send + 'static,
    ) {
        let core = self.stream_core();
        let _ = core.end_inner(Some(chunk.into()), Some(Box::new(cb)));
        core.settle();
    }

    /// Ends and waits for `'finish'`.
    fn end_and_wait(&self) -> impl Future<Output = Result<(), Error>> + Send + '_ {
        async move {
            let (tx, rx) = tokio::sync::oneshot::channel();
            self.end_cb(move |r| {
                let _ = tx.send(r);
            });
            match rx.await {
                Ok(r) => r,
                Err(_) => Err(Error::premature_close()),
            }
        }
    }

    /// Holds writes in the buffer until `uncork` (nests). Node: `writable.cork()`.
    fn cork(&self) {
        self.stream_core().cork();
    }

    /// Releases one `cork`; the last one flushes the held writes (as one
    /// `writev` batch when the sink has one). Node: `writable.uncork()`.
    fn uncork(&self) {
        let core = self.stream_core();
        core.uncork();
        core.settle();
    }

    /// Units buffered and in flight. Node: `writable.writableLength`.
    #[doc(alias = "writableLength")]
    fn writable_length(&self) -> usize {
        self.stream_core()
            .lock()
            .w
            .as_ref()
            .map(|w| w.length)
            .unwrap_or(0)
    }

    /// Whether `end()` was called. Node: `writable.writableEnded`.
    #[doc(alias = "writableEnded")]
    fn writable_ended(&self) -> bool {
        self.stream_core()
            .lock()
            .w
            .as_ref()
            .map(|w| w.ending)
            .unwrap_or(false)
    }

    /// Whether `'finish'` was emitted. Node: `writable.writableFinished`.
    #[doc(alias = "writableFinished")]
    fn writable_finished(&self) -> bool {
        self.stream_core()
            .lock()
            .w
            .as_ref()
            .map(|w| w.finished)
            .unwrap_or(false)
    }

    /// Whether `write()` returned `false` and `'drain'` is due. Node: `writable.writableNeedDrain`.
    #[doc(alias = "writableNeedDrain")]
    fn writable_need_drain(&self) -> bool {
        // Node: false once destroyed or ending.
        let st = self.stream_core().lock();
        !st.destroyed && st.w.as_ref().is_some_and(|w| w.need_drain && !w.ending)
    }

    /// Node: `writable.writableHighWaterMark`.
    #[doc(alias = "writableHighWaterMark")]
    fn writable_high_water_mark(&self) -> usize {
        self.stream_core().lock().w.as_ref().map(|w| w.hwm).unwrap_or(0)
    }

    /// Node: `writable.writableCorked`.
    #[doc(alias = "writableCorked")]
    fn writable_corked(&self) -> u32 {
        self.stream_core()
            .lock()
            .w
            .as_ref()
            .map(|w| w.corked)
            .unwrap_or(0)
    }

    /// Node: `writable.writableObjectMode`.
    #[doc(alias = "writableObjectMode")]
    fn writable_object_mode(&self) -> bool {
        self.stream_core()
            .lock()
            .w
            .as_ref()
            .map(|w| w.object_mode)
            .unwrap_or(false)
    }

    /// How many writes (or writev batches) the sink completed successfully:
    /// after a failure, a caller can tell which writes went through.
    fn writes_completed(&self) -> u64 {
        let core = self.stream_core();
        let slow = core.lock().w.as_ref().map(|w| w.completed).unwrap_or(0);
        slow + core.fast.completed()
    }

    /// Whether writing is still possible. Node: `writable.writable`.
    fn is_writable(&self) -> bool {
        let st = self.stream_core().lock();
        !st.destroyed && st.errored.is_none() && st.w.as_ref().map(|w| !w.ending).unwrap_or(false)
    }

    /// Sets the encoding `write_str` uses (default `utf8`); an unknown
    /// name is `ERR_UNKNOWN_ENCODING`. Byte streams only.
    /// Node: `writable.setDefaultEncoding(enc)`.
    #[doc(alias = "setDefaultEncoding")]
    fn set_default_encoding(&self, encoding: &str) -> Result<(), Error>
    where
        Self: StreamBase<Write = Buffer>,
    {
        let enc = crate::writable::encoding(encoding)?;
        if let Some(w) = self.stream_core().lock().w.as_mut() {
            w.default_encoding = enc;
        }
        Ok(())
    }

    /// Writes a string encoded with the default encoding. Byte streams only.
    /// Node: `writable.write(string)`.
    #[doc(alias = "write")]
    fn write_str(&self, s: &str) -> Result<bool, Error>
    where
        Self: StreamBase<Write = Buffer>,
    {
        let enc = default_encoding(self);
        self.write(Buffer::from_str(s, enc))
    }

    /// Writes a string encoded with the default encoding and calls `cb` when
    /// the sink has taken it (or failed). Byte streams only.
    /// Node: `writable.write(string, cb)`.
    #[doc(alias = "write")]
    fn write_str_cb(
        &self,
        s: &str,
        cb: impl FnOnce(Result<(), Error>) + Send + 'static,
    ) -> Result<bool, Error>
    where
        Self: StreamBase<Write = Buffer>,
    {
        let enc = default_encoding(self);
        self.write_cb(Buffer::from_str(s, enc), cb)
    }

    /// Writes a string in `encoding`. Byte streams only.
    /// Node: `writable.write(string, encoding)`.
    #[doc(alias = "write")]
    fn write_str_in(&self, s: &str, encoding: &str) -> Result<bool, Error>
    where
        Self: StreamBase<Write = Buffer>,
    {
        let enc = crate::writable::encoding(encoding)?;
        self.write(Buffer::from_str(s, enc))
    }
}

/// The writable side's default encoding (Node: `_writableState.defaultEncoding`),
/// utf8 for a stream without a writable side.
fn default_encoding<S: StreamBase + ?Sized>(s: &S) -> rt_buffer::Encoding {
    s.stream_core()
        .lock()
        .w
        .as_ref()
        .map(|w| w.default_encoding)
        .unwrap_or_default()
}
