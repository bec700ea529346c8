//! [`ReadableSide`]: Node's `stream.Readable` methods (`push`, `read`,
//! `pause`, `resume`, `pipe`, `setEncoding`...), provided over
//! [`StreamBase::stream_core`] for every stream with a readable side.

use std::future::Future;
use std::sync::Arc;

use rt_buffer::Buffer;

use crate::error::Error;
use crate::pipe::{PipeOptions, WritableStream};
use crate::stream::StreamBase;

/// A stream with a readable side: [`Readable`](crate::Readable),
/// [`Duplex`](crate::Duplex), transforms, and types that extend them
/// (rt-net's `Socket`). Every method is provided.
#[doc(alias = "stream.Readable")]
pub trait ReadableSide: StreamBase {
    /// Adds a `'data'` listener and, unless the stream was paused
    /// explicitly, switches it to flowing mode. Node: `stream.on('data', fn)`.
    fn on_data(&self, f: impl Fn(&Self::Read) + Send + Sync + 'static) -> crate::ListenerId {
        let core = self.stream_core();
        let id = core.ev.on_data(false, Arc::new(f));
        core.data_listener_added();
        core.settle();
        id
    }

    /// Adds a chunk to the read buffer; `false` means "stop until asked
    /// again" (the buffer reached the high-water mark). Node: `readable.push(chunk)`.
    fn push(&self, chunk: impl Into<Self::Read>) -> bool {
        let core = self.stream_core();
        let r = core.add_chunk_entry(Some(chunk.into()), false);
        core.settle();
        r
    }

    /// Adds a string to the read buffer (as [`push`](Self::push) of its
    /// UTF-8 bytes, except on a stream decoding UTF-8: there the string is
    /// added as it is, past the decoder, as Node keeps a string pushed in
    /// the stream's encoding). Node: `readable.push(string)`.
    #[doc(alias = "push")]
    fn push_str(&self, s: &str) -> bool
    where
        Self: StreamBase<Read = Buffer>,
    {
        let core = self.stream_core();
        let r = core.add_chunk_entry_as(Some(Buffer::from(s)), false, true);
        core.settle();
        r
    }

    /// Signals the end of the data. Node: `readable.push(null)`.
    #[doc(alias = "push")]
    fn push_end(&self) {
        let core = self.stream_core();
        core.add_chunk_entry(None, false);
        core.settle();
    }

    /// Puts a chunk back at the front of the buffer. Node: `readable.unshift(chunk)`.
    fn unshift(&self, chunk: impl Into<Self::Read>) -> bool {
        let core = self.stream_core();
        let r = core.add_chunk_entry(Some(chunk.into()), true);
        core.settle();
        r
    }

    /// Node's synchronous `readable.read(size)`: `None` size reads what is
    /// buffered (one chunk in flowing mode); `Some(n)` reads exactly `n`
    /// units, or `None` until they are there (all that is left after the end).
    /// Emits `'data'` for what it returns.
    #[doc(alias = "read")]
    fn read_now(&self, size: Option<usize>) -> Option<Self::Read> {
        let core = self.stream_core();
        let r = core.read_inner(size);
        core.settle();
        r
    }

    /// The next chunk, waiting for one: `None` at the end, `Some(Err)` if
    /// the stream failed or closed early. Node: `for await (const chunk of readable)`.
    fn read(&self) -> impl Future<Output = Option<Result<Self::Read, Error>>> + Send + '_ {
        let core = self.stream_core();
        std::future::poll_fn(move |cx| core.poll_read_chunk(cx))
    }

    /// Reads every remaining chunk.
    fn read_all(&self) -> impl Future<Output = Result<Vec<Self::Read>, Error>> + Send + '_ {
        async move {
            let mut out = Vec::new();
            while let Some(c) = self.read().await {
                out.push(c?);
            }
            Ok(out)
        }
    }

    /// Switches out of flowing mode (`'pause'`). Node: `readable.pause()`.
    fn pause(&self) {
        let core = self.stream_core();
        core.pause();
        core.settle();
    }

    /// Switches into flowing mode (`'resume'`, then `'data'`). Node: `readable.resume()`.
    fn resume(&self) {
        let core = self.stream_core();
        core.resume();
        core.settle();
    }

    /// Node: `readable.isPaused()`.
    #[doc(alias = "isPaused")]
    fn is_paused(&self) -> bool {
        self.stream_core().is_paused()
    }

    /// Units buffered (bytes, or objects in object mode). Node: `readable.readableLength`.
    #[doc(alias = "readableLength")]
    fn readable_length(&self) -> usize {
        self.stream_core()
            .lock()
            .r
            .as_ref()
            .map(|r| r.length)
            .unwrap_or(0)
    }

    /// Whether `'end'` was emitted. Node: `readable.readableEnded`.
    #[doc(alias = "readableEnded")]
    fn readable_ended(&self) -> bool {
        self.stream_core()
            .lock()
            .r
            .as_ref()
            .map(|r| r.end_emitted)
            .unwrap_or(false)
    }

    /// Whether the stream was destroyed or failed before emitting `'end'`.
    /// Node: `readable.readableAborted`.
    #[doc(alias = "readableAborted")]
    fn readable_aborted(&self) -> bool {
        let st = self.stream_core().lock();
        (st.destroyed || st.errored.is_some()) && st.r.as_ref().is_some_and(|r| !r.end_emitted)
    }

    /// Whether a chunk was handed out (`'data'`, or `read()`). Node: `readable.readableDidRead`.
    #[doc(alias = "readableDidRead")]
    fn readable_did_read(&self) -> bool {
        self.stream_core()
            .lock()
            .r
            .as_ref()
            .is_some_and(|r| r.data_emitted)
    }

    /// Node's `readable.readableFlowing`: `None` (no mechanism yet), `Some(true)`, `Some(false)`.
    #[doc(alias = "readableFlowing")]
    fn readable_flowing(&self) -> Option<bool> {
        self.stream_core().lock().r.as_ref().and_then(|r| r.flowing)
    }

    /// Node: `readable.readableHighWaterMark`.
    #[doc(alias = "readableHighWaterMark")]
    fn readable_high_water_mark(&self) -> usize {
        self.stream_core().lock().r.as_ref().map(|r| r.hwm).unwrap_or(0)
    }

    /// Node: `readable.readableObjectMode`.
    #[doc(alias = "readableObjectMode")]
    fn readable_object_mode(&self) -> bool {
        self.stream_core()
            .lock()
            .r
            .as_ref()
            .map(|r| r.object_mode)
            .unwrap_or(false)
    }

    /// Whether reading is still possible: not destroyed, and neither
    /// `'end'` nor `'error'` emitted yet (true after `push_end()` until
    /// `'end'`, as in Node). Node: `readable.readable`.
    fn is_readable(&self) -> bool {
        let st = self.stream_core().lock();
        !st.destroyed && !st.error_emitted && st.r.as_ref().map(|r| !r.end_emitted).unwrap_or(false)
    }

    /// Node: `readable.readableEncoding`.
    #[doc(alias = "readableEncoding")]
    fn readable_encoding(&self) -> Option<String> {
        self.stream_core()
            .lock()
            .r
            .as_ref()
            .and_then(|r| r.encoding.clone())
    }

    /// Pipes into `dest`, ending it at the end; returns `dest`. Node: `readable.pipe(dest)`.
    fn pipe<D: WritableStream<Self::Read> + Clone>(&self, dest: &D) -> D
    where
        Self::Read: Clone,
    {
        crate::pipe::pipe(self.stream_core(), dest, PipeOptions::default());
        dest.clone()
    }

    /// Pipes with options (`end: false` keeps `dest` open). Node: `readable.pipe(dest, opts)`.
    fn pipe_with<D: WritableStream<Self::Read> + Clone>(&self, dest: &D, opts: PipeOptions) -> D
    where
        Self::Read: Clone,
    {
        crate::pipe::pipe(self.stream_core(), dest, opts);
        dest.clone()
    }

    /// Stops piping into `dest` (or into every destination with `None`).
    /// Node: `readable.unpipe(dest)`.
    fn unpipe<D: WritableStream<Self::Read>>(&self, dest: Option<&D>) {
        crate::pipe::unpipe(self.stream_core(), dest.map(|d| d.pipe_id()));
    }

    /// Decodes the data to text: chunks become UTF-8 text (a character split
    /// across chunks is never mangled) and lengths count UTF-16 units, as
    /// JavaScript strings do; an unknown name is `ERR_UNKNOWN_ENCODING`.
    /// Byte streams only. Node: `readable.setEncoding(enc)`.
    #[doc(alias = "setEncoding")]
    fn set_encoding(&self, encoding: &str) -> Result<(), Error>
    where
        Self: StreamBase<Read = Buffer>,
    {
        crate::readable::set_encoding(self.stream_core(), encoding)
    }
}
