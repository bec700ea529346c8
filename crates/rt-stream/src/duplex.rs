//! `Duplex`: a readable side and a writable side in one stream (sockets,
//! transforms), sharing destruction and errors as Node's `stream.Duplex`.

use std::sync::Arc;

use crate::chunk::{byte_ops, object_ops};
use crate::core::Core;
use crate::readable::{ReadableOptions, readable_state};
use crate::sink::Sink;
use crate::source::Source;
use crate::state::State;
use crate::writable::{WritableOptions, writable_state};
use rt_buffer::Buffer;

/// Options of a duplex stream (Node's `new Duplex(options)`).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct DuplexOptions {
    /// High-water mark of both sides unless set per side. Node: `highWaterMark`.
    pub high_water_mark: Option<usize>,
    /// Node: `readableHighWaterMark`.
    pub readable_high_water_mark: Option<usize>,
    /// Node: `writableHighWaterMark`.
    pub writable_high_water_mark: Option<usize>,
    /// Object mode on both sides (byte duplexes only). Node: `objectMode`.
    pub object_mode: bool,
    /// Object mode on the readable side only. Node: `readableObjectMode`.
    pub readable_object_mode: bool,
    /// Object mode on the writable side only. Node: `writableObjectMode`.
    pub writable_object_mode: bool,
    /// Keep the writable side open after the readable side ended (default
    /// true); `false` ends it at `'end'`. Node: `allowHalfOpen`.
    pub allow_half_open: bool,
    /// Decode the readable side's data with this encoding. Node: `encoding`.
    pub encoding: Option<String>,
    /// `false`: strings written stay strings, with their encoding, on their
    /// way to the sink or `_transform` (default `true`: encoded to bytes).
    /// Takes effect on a duplex whose writable side carries
    /// [`EncodedChunk`](crate::EncodedChunk)s ([`Duplex::encoded`],
    /// [`Transform::encoded`](crate::Transform::encoded)). Node: `decodeStrings`.
    pub decode_strings: bool,
    /// Encoding of strings written with `write_str` (default `utf8`), on a
    /// duplex with an [`EncodedChunk`](crate::EncodedChunk) writable side.
    /// Node: `defaultEncoding`.
    pub default_encoding: String,
    /// Emit `'close'` after destruction (default true). Node: `emitClose`.
    pub emit_close: bool,
    /// Destroy after `'end'` and `'finish'` (default true). Node: `autoDestroy`.
    pub auto_destroy: bool,
    /// Called when the stream is destroyed; `'close'` waits for its
    /// callback, which may come later (`None`: the destruction completes at
    /// once). Node: the `destroy(err, cb)` option (`_destroy`).
    pub destroy: Option<crate::DestroyHook>,
}

option_setters!(DuplexOptions {
    /// Sets `high_water_mark` (Node: `highWaterMark`).
    #[doc(alias = "highWaterMark")]
    high_water_mark: Some (usize),
    /// Sets `readable_high_water_mark` (Node: `readableHighWaterMark`).
    #[doc(alias = "readableHighWaterMark")]
    readable_high_water_mark: Some (usize),
    /// Sets `writable_high_water_mark` (Node: `writableHighWaterMark`).
    #[doc(alias = "writableHighWaterMark")]
    writable_high_water_mark: Some (usize),
    /// Sets `object_mode` (Node: `objectMode`).
    #[doc(alias = "objectMode")]
    object_mode: (bool),
    /// Sets `readable_object_mode` (Node: `readableObjectMode`).
    #[doc(alias = "readableObjectMode")]
    readable_object_mode: (bool),
    /// Sets `writable_object_mode` (Node: `writableObjectMode`).
    #[doc(alias = "writableObjectMode")]
    writable_object_mode: (bool),
    /// Sets `allow_half_open` (Node: `allowHalfOpen`).
    #[doc(alias = "allowHalfOpen")]
    allow_half_open: (bool),
    /// Sets `encoding` (Node: `encoding`).
    encoding: Some into (String),
    /// Sets `decode_strings` (Node: `decodeStrings`).
    #[doc(alias = "decodeStrings")]
    decode_strings: (bool),
    /// Sets `default_encoding` (Node: `defaultEncoding`).
    #[doc(alias = "defaultEncoding")]
    default_encoding: into (String),
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

impl Default for DuplexOptions {
    fn default() -> Self {
        DuplexOptions {
            high_water_mark: None,
            readable_high_water_mark: None,
            writable_high_water_mark: None,
            object_mode: false,
            readable_object_mode: false,
            writable_object_mode: false,
            allow_half_open: true,
            encoding: None,
            decode_strings: true,
            default_encoding: "utf8".to_string(),
            emit_close: true,
            auto_destroy: true,
            destroy: None,
        }
    }
}

impl DuplexOptions {
    pub(crate) fn sides(&self) -> (ReadableOptions, WritableOptions) {
        (
            ReadableOptions {
                high_water_mark: self.readable_high_water_mark.or(self.high_water_mark),
                object_mode: self.object_mode || self.readable_object_mode,
                encoding: self.encoding.clone(),
                emit_close: self.emit_close,
                auto_destroy: self.auto_destroy,
                destroy: None,
            },
            WritableOptions {
                high_water_mark: self.writable_high_water_mark.or(self.high_water_mark),
                object_mode: self.object_mode || self.writable_object_mode,
                emit_close: self.emit_close,
                auto_destroy: self.auto_destroy,
                // Unused by a duplex (its default encoding is set apart);
                // an empty string allocates nothing per stream.
                default_encoding: String::new(),
                decode_strings: true,
                destroy: None,
            },
        )
    }
}

/// Node's `stream.Duplex`: readable chunks of `R` out, writable chunks of `W`
/// in, one stream (one `destroy`, one `'close'`).
///
/// ```
/// use rt_stream::{Duplex, DuplexOptions, Buffer, Error};
/// // new Duplex({ read() {}, write(c, e, cb) { this.push(c); cb(); } }) — an echo
/// let d = Duplex::new(DuplexOptions::default(), None::<fn(usize, &rt_stream::Pusher<Buffer>)>, None::<rt_stream::NullSink>);
/// d.push("ping");
/// assert_eq!(&d.read_now(None).unwrap()[..], b"ping");
/// ```
#[doc(alias = "stream.Duplex")]
pub struct Duplex<R = Buffer, W = R> {
    pub(crate) core: Arc<Core<R, W>>,
}

impl<R, W> Clone for Duplex<R, W> {
    fn clone(&self) -> Self {
        Duplex {
            core: self.core.clone(),
        }
    }
}

impl<R, W> std::fmt::Debug for Duplex<R, W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Duplex")
    }
}

/// A sink that drops everything (a duplex whose writes go nowhere).
#[derive(Debug, Default, Clone, Copy)]
pub struct NullSink;

impl<T: Send + 'static> Sink<T> for NullSink {
    fn write(&mut self, _chunk: T) -> crate::WriteOutcome {
        crate::WriteOutcome::ok()
    }
}

impl<R: Send + 'static, W: Send + 'static> Duplex<R, W> {
    /// The [`Duplex`] (or transform) a `'pipe'` / `'unpipe'` listener's
    /// source is, if it is one with these chunk types (`None` for any other
    /// stream). Node: the `src` argument used as the stream it is.
    pub fn from_pipe_source(src: &crate::PipeSource) -> Option<Self> {
        let core = src.inner.clone().core_any().downcast::<Core<R, W>>().ok()?;
        Some(Duplex { core })
    }

    pub(crate) fn build(
        opts: &DuplexOptions,
        r_object: bool,
        r_ops: crate::chunk::ChunkOps<R>,
        w_object: bool,
        w_ops: crate::chunk::ChunkOps<W>,
        source: Option<Box<dyn Source<R>>>,
        sink: Option<Box<dyn Sink<W>>>,
    ) -> Self {
        let (ro, wo) = opts.sides();
        let r = readable_state(&ro, r_object, r_ops);
        let has_writev = sink.as_ref().map(|s| s.has_writev()).unwrap_or(false);
        let w = writable_state(&wo, w_object, w_ops, has_writev);
        let mut st = State::new(Some(r), Some(w));
        st.allow_half_open = opts.allow_half_open;
        st.auto_destroy = opts.auto_destroy;
        st.emit_close = opts.emit_close;
        st.destroy_hook = opts.destroy.clone();
        Duplex {
            core: Core::new(st, source, sink),
        }
    }

    /// An object-mode duplex (both sides carry objects).
    pub fn objects(opts: DuplexOptions, source: Option<impl Source<R>>, sink: Option<impl Sink<W>>) -> Self {
        Self::build(
            &opts,
            true,
            object_ops(),
            true,
            object_ops(),
            source.map(|s| Box::new(s) as Box<dyn Source<R>>),
            sink.map(|s| Box::new(s) as Box<dyn Sink<W>>),
        )
    }

    crate::stream_methods!();
    crate::readable_methods!();
    crate::writable_methods!();
}

impl<R: Send + 'static, W: Send + 'static> crate::StreamBase for Duplex<R, W> {
    type Read = R;
    type Write = W;
    fn stream_core(&self) -> &Arc<Core<R, W>> {
        &self.core
    }
}

impl<R: Send + 'static, W: Send + 'static> crate::ReadableSide for Duplex<R, W> {}
impl<R: Send + 'static, W: Send + 'static> crate::WritableSide for Duplex<R, W> {}

impl Duplex<Buffer, Buffer> {
    /// A byte duplex from a source (Node's `_read`; `None`: fed by `push`) and
    /// a sink (`_write`...; `None`: writes are dropped).
    pub fn new(
        opts: DuplexOptions,
        source: Option<impl Source<Buffer>>,
        sink: Option<impl Sink<Buffer>>,
    ) -> Self {
        let (ro, wo) = opts.sides();
        let d = Self::build(
            &opts,
            ro.object_mode,
            if ro.object_mode { object_ops() } else { byte_ops() },
            wo.object_mode,
            if wo.object_mode { object_ops() } else { byte_ops() },
            source.map(|s| Box::new(s) as Box<dyn Source<Buffer>>),
            sink.map(|s| Box::new(s) as Box<dyn Sink<Buffer>>),
        );
        if let Some(e) = &opts.encoding {
            if let Err(err) = d.set_encoding(e) {
                d.destroy(Some(err));
            }
        }
        d
    }

    crate::writable_methods!(bytes);
    crate::readable_methods!(bytes);
}
