//! `Readable`: Node's `stream.Readable`, and the `Source` trait its implementors provide.

use std::sync::Arc;

use crate::chunk::{byte_ops, object_ops, text_ops};
use crate::core::Core;
use crate::error::Error;
use crate::source::{PushTarget, Pusher, Source};
use crate::state::{Decode, RState, State};
use rt_buffer::{Buffer, StringDecoder};

/// Default high-water mark of a byte stream: 16 KiB (Node v20).
pub const DEFAULT_HIGH_WATER_MARK: usize = 16 * 1024;
/// Default high-water mark of an object-mode stream: 16 objects.
pub const DEFAULT_OBJECT_HIGH_WATER_MARK: usize = 16;

impl<R: Send + 'static, W: Send + 'static> PushTarget<R> for Core<R, W> {
    fn push_chunk(self: Arc<Self>, chunk: Option<R>) -> bool {
        let r = self.add_chunk_entry(chunk, false);
        self.settle();
        r
    }
    fn push_text(self: Arc<Self>, chunk: R) -> bool {
        let r = self.add_chunk_entry_as(Some(chunk), false, true);
        self.settle();
        r
    }
    fn destroy_from_source(self: Arc<Self>, err: Option<Error>) {
        self.destroy(err);
    }
    fn can_push(&self) -> bool {
        let st = self.lock();
        !st.destroyed && st.r.as_ref().map(|r| r.can_push_more()).unwrap_or(false)
    }
}

/// Options of a readable stream (Node's `new Readable(options)`).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ReadableOptions {
    /// Buffer level at which the source stops being asked for data
    /// (`None`: 16 KiB, or 16 objects in object mode). Node: `highWaterMark`.
    pub high_water_mark: Option<usize>,
    /// Count chunks as one each instead of by bytes (byte streams only; streams
    /// of other types are always object mode). Node: `objectMode`.
    pub object_mode: bool,
    /// Decode chunks to text with this encoding (as `set_encoding`). Node: `encoding`.
    pub encoding: Option<String>,
    /// Emit `'close'` after destruction (default true). Node: `emitClose`.
    pub emit_close: bool,
    /// Destroy the stream after `'end'` (default true). Node: `autoDestroy`.
    pub auto_destroy: bool,
    /// Called when the stream is destroyed; `'close'` waits for its
    /// callback, which may come later (`None`: the destruction completes at
    /// once). Node: the `destroy(err, cb)` option (`_destroy`).
    pub destroy: Option<crate::DestroyHook>,
}

option_setters!(ReadableOptions {
    /// Sets `high_water_mark` (Node: `highWaterMark`).
    #[doc(alias = "highWaterMark")]
    high_water_mark: Some (usize),
    /// Sets `object_mode` (Node: `objectMode`).
    #[doc(alias = "objectMode")]
    object_mode: (bool),
    /// Sets `encoding` (Node: `encoding`).
    encoding: Some into (String),
    /// Sets `emit_close` (Node: `emitClose`).
    #[doc(alias = "emitClose")]
    emit_close: (bool),
    /// Sets `auto_destroy` (Node: `autoDestroy`).
    #[doc(alias = "autoDestroy")]
    auto_destroy: (bool),
    /// Sets the `destroy` hook (Node: the `destroy(err, cb)` option).
    #[doc(alias = "_destroy")]
    destroy: Some (crate::DestroyHook),
});

impl Default for ReadableOptions {
    fn default() -> Self {
        ReadableOptions {
            high_water_mark: None,
            object_mode: false,
            encoding: None,
            emit_close: true,
            auto_destroy: true,
            destroy: None,
        }
    }
}

/// Stand-in for the side a stream does not have.
#[doc(hidden)]
#[derive(Debug)]
pub enum Void {}

/// Node's `stream.Readable`: a source of chunks with a buffer, flowing and
/// paused modes, and backpressure.
///
/// A handle is cheap to clone; every clone is the same stream. Byte streams
/// are `Readable<Buffer>` (the default); object streams carry any `T`.
///
/// ```
/// use rt_stream::{Readable, ReadableOptions, Buffer};
/// // const r = new Readable({ read() {} }); r.push('hi'); r.push(null);
/// let r = Readable::new(ReadableOptions::default());
/// r.push("hi");
/// r.push_end();
/// assert_eq!(&r.read_now(None).unwrap()[..], b"hi");
/// ```
#[doc(alias = "stream.Readable")]
pub struct Readable<T = Buffer> {
    pub(crate) core: Arc<Core<T, Void>>,
}

impl<T> Clone for Readable<T> {
    fn clone(&self) -> Self {
        Readable {
            core: self.core.clone(),
        }
    }
}

impl<T> std::fmt::Debug for Readable<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Readable")
    }
}

pub(crate) fn readable_state<T>(
    opts: &ReadableOptions,
    object_mode: bool,
    ops: crate::chunk::ChunkOps<T>,
) -> RState<T> {
    let hwm = opts.high_water_mark.unwrap_or(if object_mode {
        DEFAULT_OBJECT_HIGH_WATER_MARK
    } else {
        DEFAULT_HIGH_WATER_MARK
    });
    let mut r = RState::new(hwm, object_mode, ops);
    r.auto_destroy = opts.auto_destroy;
    r
}

impl<T: Send + 'static> Readable<T> {
    /// The [`Readable`] a `'pipe'` / `'unpipe'` listener's source is, if it
    /// is one with chunks of `T` (`None` for any other stream). Node: the
    /// `src` argument used as the stream it is.
    pub fn from_pipe_source(src: &crate::PipeSource) -> Option<Self> {
        let core = src.inner.clone().core_any().downcast::<Core<T, Void>>().ok()?;
        Some(Readable { core })
    }

    fn build(
        opts: ReadableOptions,
        object_mode: bool,
        ops: crate::chunk::ChunkOps<T>,
        source: Option<Box<dyn Source<T>>>,
    ) -> Self {
        let r = readable_state(&opts, object_mode, ops);
        let mut st = State::new(Some(r), None);
        st.auto_destroy = opts.auto_destroy;
        st.emit_close = opts.emit_close;
        st.destroy_hook = opts.destroy;
        Readable {
            core: Core::new(st, source, None),
        }
    }

    /// An object-mode readable fed by `push` (no source). Node:
    /// `new Readable({ objectMode: true, read() {} })`.
    pub fn objects(opts: ReadableOptions) -> Self {
        Self::build(opts, true, object_ops(), None)
    }

    /// An object-mode readable whose data comes from `source`.
    pub fn objects_from_source(source: impl Source<T>, opts: ReadableOptions) -> Self {
        Self::build(opts, true, object_ops(), Some(Box::new(source)))
    }

    /// An object-mode readable of an iterator's items, then the end.
    /// Node: `Readable.from(iterable)`.
    #[doc(alias = "from")]
    #[allow(clippy::should_implement_trait)]
    pub fn from_iter<I>(iter: I) -> Self
    where
        I: IntoIterator<Item = T>,
        I::IntoIter: Send + 'static,
    {
        let mut it = iter.into_iter();
        Self::objects_from_source(
            move |_size: usize, push: &Pusher<T>| loop {
                match it.next() {
                    Some(item) => {
                        if !push.push(item) {
                            break;
                        }
                    }
                    None => {
                        push.push_end();
                        break;
                    }
                }
            },
            ReadableOptions::default(),
        )
    }

    /// An object-mode readable of an async stream's items (`futures::Stream`),
    /// then the end. Node: `Readable.from(asyncIterable)`.
    #[doc(alias = "from")]
    pub fn from_stream<S>(stream: S) -> Self
    where
        S: futures_core::Stream<Item = T> + Send + Unpin + 'static,
    {
        Self::objects_from_source(crate::from::StreamSource::new(stream), ReadableOptions::default())
    }

    crate::stream_methods!();
    crate::readable_methods!();
}

impl<T: Send + 'static> crate::StreamBase for Readable<T> {
    type Read = T;
    type Write = Void;
    fn stream_core(&self) -> &Arc<Core<T, Void>> {
        &self.core
    }
}

impl<T: Send + 'static> crate::ReadableSide for Readable<T> {}

impl Readable<Buffer> {
    /// A byte readable fed by `push` (no source). Node: `new Readable({ read() {} })`.
    pub fn new(opts: ReadableOptions) -> Self {
        Self::from_parts(opts, None)
    }

    /// A byte readable whose data comes from `source` (Node's `_read`).
    pub fn from_source(source: impl Source<Buffer>, opts: ReadableOptions) -> Self {
        Self::from_parts(opts, Some(Box::new(source)))
    }

    fn from_parts(opts: ReadableOptions, source: Option<Box<dyn Source<Buffer>>>) -> Self {
        let object_mode = opts.object_mode;
        let enc = opts.encoding.clone();
        let ops = if object_mode { object_ops() } else { byte_ops() };
        let r = Self::build(opts, object_mode, ops, source);
        if let Some(e) = enc {
            // An unknown encoding in the options is reported like Node's
            // constructor would throw it: as the stream's error.
            if let Err(err) = set_encoding(&r.core, &e) {
                r.destroy(Some(err));
            }
        }
        r
    }

    /// A byte readable of an async stream of chunks (`futures::Stream`).
    pub fn from_byte_stream<S, C>(stream: S, opts: ReadableOptions) -> Self
    where
        S: futures_core::Stream<Item = Result<C, Error>> + Send + Unpin + 'static,
        C: Into<Buffer> + Send + 'static,
    {
        Self::from_source(crate::from::TryStreamSource::new(stream), opts)
    }

    crate::readable_methods!(bytes);
}

pub(crate) struct TextDecoder {
    inner: StringDecoder,
}

impl Decode<Buffer> for TextDecoder {
    fn write(&mut self, chunk: Buffer) -> Buffer {
        Buffer::from(self.inner.write(&chunk))
    }
    fn end(&mut self) -> Option<Buffer> {
        let s = self.inner.end();
        if s.is_empty() { None } else { Some(Buffer::from(s)) }
    }
}

pub(crate) fn set_encoding<W: Send + 'static>(
    core: &Arc<Core<Buffer, W>>,
    encoding: &str,
) -> Result<(), Error> {
    let (mut dec, name) = decoder_for(encoding)?;
    let mut st = core.lock();
    let Some(r) = st.r.as_mut() else {
        return Ok(());
    };
    if r.object_mode {
        r.encoding = Some(name);
        r.decoder = Some(Box::new(TextDecoder { inner: dec }));
        return Ok(());
    }
    // Node: `content += decoder.write(data)` over the buffer, where a
    // chunk that is already a string (an encoding was set before) passes
    // through as it is; only raw bytes are decoded with the new encoding.
    let already_text = r.encoding.is_some();
    let mut content = String::new();
    for c in r.buffer.drain(..) {
        if already_text {
            content.push_str(&String::from_utf8_lossy(&c));
        } else {
            content.push_str(&dec.write(&c));
        }
    }
    r.ops = text_ops();
    r.length = crate::chunk::utf16_len(content.as_bytes());
    if !content.is_empty() {
        r.buffer.push_back(Buffer::from(content));
    }
    r.encoding = Some(name);
    r.decoder = Some(Box::new(TextDecoder { inner: dec }));
    Ok(())
}

fn decoder_for(encoding: &str) -> Result<(StringDecoder, String), Error> {
    let enc = rt_buffer::Encoding::from_name(encoding).map_err(Error::from)?;
    Ok((StringDecoder::new(enc), enc.name().to_string()))
}
