//! `Writable`: Node's `stream.Writable`, and the `Sink` trait its implementors provide.

use std::future::Future;
use std::sync::Arc;

use crate::chunk::{byte_ops, object_ops};
use crate::core::Core;
use crate::error::Error;
use crate::readable::{DEFAULT_HIGH_WATER_MARK, DEFAULT_OBJECT_HIGH_WATER_MARK, Void};
use crate::sink::{Sink, WriteOutcome};
use crate::state::{State, WState};
use rt_buffer::Buffer;

/// A sink from a closure that handles each chunk at once.
pub(crate) struct FnSink<F>(pub(crate) F);

impl<T, F> Sink<T> for FnSink<F>
where
    F: FnMut(T) -> Result<(), Error> + Send + 'static,
{
    fn write(&mut self, chunk: T) -> WriteOutcome {
        WriteOutcome::Done((self.0)(chunk))
    }
}

/// A sink from an async closure.
pub(crate) struct AsyncFnSink<F>(pub(crate) F);

impl<T, F, Fut> Sink<T> for AsyncFnSink<F>
where
    F: FnMut(T) -> Fut + Send + 'static,
    Fut: Future<Output = Result<(), Error>> + Send + 'static,
{
    fn write(&mut self, chunk: T) -> WriteOutcome {
        WriteOutcome::Pending(Box::pin((self.0)(chunk)))
    }
}

/// Options of a writable stream (Node's `new Writable(options)`).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct WritableOptions {
    /// Buffered amount at which `write()` starts returning `false`
    /// (`None`: 16 KiB, or 16 objects in object mode). Node: `highWaterMark`.
    pub high_water_mark: Option<usize>,
    /// Count chunks as one each (byte streams only). Node: `objectMode`.
    pub object_mode: bool,
    /// Encoding for strings written with `write_str` (default `utf8`).
    /// Node: `defaultEncoding`.
    pub default_encoding: String,
    /// `false`: strings written stay strings, with their encoding, on
    /// their way to the sink (default `true`: they are encoded to bytes).
    /// Takes effect on a writable of [`EncodedChunk`](crate::EncodedChunk)s
    /// ([`Writable::encoded`]); a `Writable<Buffer>`'s sink takes bytes only.
    /// Node: `decodeStrings`.
    pub decode_strings: bool,
    /// Emit `'close'` after destruction (default true). Node: `emitClose`.
    pub emit_close: bool,
    /// Destroy the stream after `'finish'` (default true). Node: `autoDestroy`.
    pub auto_destroy: bool,
    /// Called when the stream is destroyed; `'close'` waits for its
    /// callback, which may come later (`None`: the destruction completes at
    /// once). Node: the `destroy(err, cb)` option (`_destroy`).
    pub destroy: Option<crate::DestroyHook>,
}

option_setters!(WritableOptions {
    /// Sets `high_water_mark` (Node: `highWaterMark`).
    #[doc(alias = "highWaterMark")]
    high_water_mark: Some(usize),
    /// Sets `object_mode` (Node: `objectMode`).
    #[doc(alias = "objectMode")]
    object_mode: (bool),
    /// Sets `default_encoding` (Node: `defaultEncoding`).
    #[doc(alias = "defaultEncoding")]
    default_encoding: into(String),
    /// Sets `decode_strings` (Node: `decodeStrings`).
    #[doc(alias = "decodeStrings")]
    decode_strings: (bool),
    /// Sets `emit_close` (Node: `emitClose`).
    #[doc(alias = "emitClose")]
    emit_close: (bool),
    /// Sets `auto_destroy` (Node: `autoDestroy`).
    #[doc(alias = "autoDestroy")]
    auto_destroy: (bool),
    /// Sets the `destroy` hook (Node: the `destroy(err, cb)` option).
    #[doc(alias = "_destroy")]
    destroy: Some(crate::DestroyHook),
});

impl Default for WritableOptions {
    fn default() -> Self {
        WritableOptions {
            high_water_mark: None,
            object_mode: false,
            default_encoding: "utf8".to_string(),
            decode_strings: true,
            emit_close: true,
            auto_destroy: true,
            destroy: None,
        }
    }
}

/// Node's `stream.Writable`: a destination with a write buffer, `cork`,
/// backpressure (`write()` returns `false`, `'drain'` follows) and `end`.
///
/// ```
/// use rt_stream::{Writable, WritableOptions, Buffer, Error};
/// use std::sync::{Arc, Mutex};
/// // const w = new Writable({ write(chunk, enc, cb) { got.push(chunk); cb(); } });
/// let got = Arc::new(Mutex::new(Vec::new()));
/// let g = got.clone();
/// let w = Writable::from_fn(WritableOptions::default(), move |c: Buffer| {
///     g.lock().unwrap().extend_from_slice(&c);
///     Ok::<(), Error>(())
/// });
/// assert_eq!(w.write("hello ").unwrap(), true);
/// w.end_with("world").unwrap();
/// assert_eq!(&got.lock().unwrap()[..], b"hello world");
/// ```
#[doc(alias = "stream.Writable")]
pub struct Writable<T = Buffer> {
    pub(crate) core: Arc<Core<Void, T>>,
}

impl<T> Clone for Writable<T> {
    fn clone(&self) -> Self {
        Writable {
            core: self.core.clone(),
        }
    }
}

impl<T> std::fmt::Debug for Writable<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Writable")
    }
}

pub(crate) fn writable_state<T>(
    opts: &WritableOptions,
    object_mode: bool,
    ops: crate::chunk::ChunkOps<T>,
    has_writev: bool,
) -> WState<T> {
    let hwm = opts.high_water_mark.unwrap_or(if object_mode {
        DEFAULT_OBJECT_HIGH_WATER_MARK
    } else {
        DEFAULT_HIGH_WATER_MARK
    });
    let mut w = WState::new(hwm, object_mode, ops, has_writev);
    w.auto_destroy = opts.auto_destroy;
    w
}

impl<T: Send + 'static> Writable<T> {
    pub(crate) fn build(
        opts: WritableOptions,
        object_mode: bool,
        ops: crate::chunk::ChunkOps<T>,
        sink: Box<dyn Sink<T>>,
    ) -> Self {
        let w = writable_state(&opts, object_mode, ops, sink.has_writev());
        let mut st = State::new(None, Some(w));
        st.auto_destroy = opts.auto_destroy;
        st.emit_close = opts.emit_close;
        st.destroy_hook = opts.destroy;
        Writable {
            core: Core::new(st, None, Some(sink)),
        }
    }

    /// An object-mode writable into `sink`. Node: `new Writable({ objectMode: true, write })`.
    pub fn objects(sink: impl Sink<T>, opts: WritableOptions) -> Self {
        Self::build(opts, true, object_ops(), Box::new(sink))
    }

    /// An object-mode writable calling `f` for each object.
    pub fn objects_from_fn(
        opts: WritableOptions,
        f: impl FnMut(T) -> Result<(), Error> + Send + 'static,
    ) -> Self {
        Self::objects(FnSink(f), opts)
    }

    /// An object-mode writable whose writes are async closures.
    pub fn objects_from_async_fn<F, Fut>(opts: WritableOptions, f: F) -> Self
    where
        F: FnMut(T) -> Fut + Send + 'static,
        Fut: Future<Output = Result<(), Error>> + Send + 'static,
    {
        Self::objects(AsyncFnSink(f), opts)
    }

    crate::stream_methods!();
    crate::writable_methods!();
}

impl<T: Send + 'static> crate::StreamBase for Writable<T> {
    type Read = Void;
    type Write = T;
    fn stream_core(&self) -> &Arc<Core<Void, T>> {
        &self.core
    }
}

impl<T: Send + 'static> crate::WritableSide for Writable<T> {}

impl Writable<Buffer> {
    /// A byte writable into `sink`. Node: `new Writable({ write, writev, final, destroy })`.
    pub fn new(sink: impl Sink<Buffer>, opts: WritableOptions) -> Self {
        let object_mode = opts.object_mode;
        let ops = if object_mode { object_ops() } else { byte_ops() };
        let enc = opts.default_encoding.clone();
        let w = Self::build(opts, object_mode, ops, Box::new(sink));
        if let Err(e) = w.set_default_encoding(&enc) {
            // Node's constructor throws; here the stream carries the error.
            w.destroy(Some(e));
        }
        w
    }

    /// A byte writable calling `f` for each chunk, synchronously
    /// (Node: `write(chunk, enc, cb) { ...; cb(); }`).
    pub fn from_fn(
        opts: WritableOptions,
        f: impl FnMut(Buffer) -> Result<(), Error> + Send + 'static,
    ) -> Self {
        Self::new(FnSink(f), opts)
    }

    /// A byte writable whose writes are async closures (Node: `write` calling `cb` later).
    pub fn from_async_fn<F, Fut>(opts: WritableOptions, f: F) -> Self
    where
        F: FnMut(Buffer) -> Fut + Send + 'static,
        Fut: Future<Output = Result<(), Error>> + Send + 'static,
    {
        Self::new(AsyncFnSink(f), opts)
    }

    /// A writable that accepts and drops everything (`/dev/null`).
    pub fn discard() -> Self {
        Self::from_fn(WritableOptions::default(), |_| Ok(()))
    }

    crate::writable_methods!(bytes);
}

pub(crate) fn encoding(name: &str) -> Result<rt_buffer::Encoding, Error> {
    rt_buffer::Encoding::from_name(name).map_err(Error::from)
}
