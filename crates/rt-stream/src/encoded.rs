//! `decodeStrings: false`: a byte writable (or duplex, or transform) whose
//! sink receives strings as strings, with their encoding ([`EncodedChunk`],
//! [`Writable::encoded`], [`Duplex::encoded`], `Transform::encoded`).

use std::sync::Arc;

use rt_buffer::{Buffer, Encoding};

use crate::chunk::{ChunkOps, byte_ops, object_ops};
use crate::core::Core;
use crate::duplex::{Duplex, DuplexOptions};
use crate::error::Error;
use crate::sink::Sink;
use crate::source::Source;
use crate::writable::{FnSink, Writable, WritableOptions};

/// A chunk as the sink of a [`Writable::encoded`] stream receives it: Node's
/// `_write(chunk, encoding, cb)`. With `decode_strings(false)` a string
/// written with [`write_str`](Writable::write_str) / `write_str_in` arrives
/// as [`Str`](Self::Str) with the encoding it was written in (or the default
/// encoding); bytes arrive as [`Buffer`](Self::Buffer) (Node's encoding
/// `'buffer'`). With `decode_strings(true)` (Node's default) strings are
/// encoded first and arrive as bytes too.
///
/// The encoding is typed: Node passes the name as written (`'HEX'`,
/// `'binary'`, `'ucs2'`), rt the [`Encoding`] it names (`Hex`, `Latin1`,
/// `Utf16le`), whose [`name`](Encoding::name) is Node's canonical spelling.
#[derive(Debug, Clone, PartialEq, Eq)]
#[doc(alias = "decodeStrings")]
pub enum EncodedChunk {
    /// A string and its encoding (Node: `typeof chunk === 'string'`).
    Str(String, Encoding),
    /// Bytes (Node: a `Buffer`, encoding `'buffer'`).
    Buffer(Buffer),
}

impl EncodedChunk {
    /// Node's `encoding` argument of `_write`: the string's encoding
    /// (canonical name), `"buffer"` for bytes.
    pub fn encoding(&self) -> &'static str {
        match self {
            EncodedChunk::Str(_, enc) => enc.name(),
            EncodedChunk::Buffer(_) => "buffer",
        }
    }

    /// The chunk's bytes: a string encoded in its encoding (Node:
    /// `Buffer.from(chunk, encoding)`), bytes as they are.
    pub fn to_buffer(&self) -> Buffer {
        match self {
            EncodedChunk::Str(s, enc) => Buffer::from_str(s, *enc),
            EncodedChunk::Buffer(b) => b.clone(),
        }
    }

    /// The length Node counts in `writableLength`: a string's `length`
    /// (UTF-16 code units, whatever its encoding), a buffer's bytes.
    pub fn len(&self) -> usize {
        match self {
            EncodedChunk::Str(s, _) => s.encode_utf16().count(),
            EncodedChunk::Buffer(b) => b.len(),
        }
    }

    /// Whether [`len`](Self::len) is 0.
    pub fn is_empty(&self) -> bool {
        match self {
            EncodedChunk::Str(s, _) => s.is_empty(),
            EncodedChunk::Buffer(b) => b.is_empty(),
        }
    }
}

impl From<Buffer> for EncodedChunk {
    fn from(b: Buffer) -> Self {
        EncodedChunk::Buffer(b)
    }
}

impl From<Vec<u8>> for EncodedChunk {
    fn from(v: Vec<u8>) -> Self {
        EncodedChunk::Buffer(Buffer::from(v))
    }
}

impl From<&[u8]> for EncodedChunk {
    fn from(v: &[u8]) -> Self {
        EncodedChunk::Buffer(Buffer::from(v.to_vec()))
    }
}

fn chunk_len(c: &EncodedChunk) -> usize {
    c.len()
}

fn chunk_empty(c: &EncodedChunk) -> bool {
    c.is_empty()
}

/// Byte mode over encoded chunks: strings count their UTF-16 length.
fn encoded_ops() -> ChunkOps<EncodedChunk> {
    ChunkOps {
        len: chunk_len,
        is_empty: chunk_empty,
        concat: None,
        split_front: None,
    }
}

/// An encoding name as `write(string, encoding)` takes it: a Node encoding,
/// or `'buffer'` (Node passes the string on as it is; here it reads as utf8).
fn string_encoding(name: &str) -> Result<Encoding, Error> {
    if name.eq_ignore_ascii_case("buffer") {
        return Ok(Encoding::Utf8);
    }
    crate::writable::encoding(name)
}

/// The string as a sink of `core` will see it: kept with its encoding, or
/// encoded when the stream decodes strings.
fn string_chunk<R: Send + 'static>(
    core: &Core<R, EncodedChunk>,
    s: &str,
    enc: Option<Encoding>,
) -> EncodedChunk {
    let (default, decode) = core
        .lock()
        .w
        .as_ref()
        .map_or((Encoding::Utf8, true), |w| (w.default_encoding, w.decode_strings));
    let enc = enc.unwrap_or(default);
    if decode {
        EncodedChunk::Buffer(Buffer::from_str(s, enc))
    } else {
        EncodedChunk::Str(s.to_owned(), enc)
    }
}

/// Sets the writable side's `decodeStrings` and default encoding (an
/// unknown one fails the stream, as Node's constructor throws).
fn configure<R: Send + 'static>(core: &Arc<Core<R, EncodedChunk>>, decode: bool, default_encoding: &str) {
    match string_encoding(default_encoding) {
        Ok(enc) => {
            if let Some(st) = core.lock().w.as_mut() {
                st.default_encoding = enc;
                st.decode_strings = decode;
            }
        }
        Err(e) => core.destroy(Some(e)),
    }
    core.settle();
}

/// The string-writing methods of a stream whose writable side carries
/// [`EncodedChunk`]s (a Writable's, a Duplex's, a Transform's).
macro_rules! encoded_write_methods {
    () => {
        /// Sets the encoding `write_str` uses; an unknown name is
        /// `ERR_UNKNOWN_ENCODING`. Node: `writable.setDefaultEncoding(enc)`.
        #[doc(alias = "setDefaultEncoding")]
        pub fn set_default_encoding(&self, encoding: &str) -> Result<(), Error> {
            let enc = crate::writable::encoding(encoding)?;
            if let Some(w) = self.core.lock().w.as_mut() {
                w.default_encoding = enc;
            }
            Ok(())
        }

        /// Writes a string in the default encoding. Node: `writable.write(string)`.
        #[doc(alias = "write")]
        pub fn write_str(&self, s: &str) -> Result<bool, Error> {
            let chunk = string_chunk(&self.core, s, None);
            self.write(chunk)
        }

        /// Writes a string in the default encoding and calls `cb` when the sink
        /// has taken it (or failed). Node: `writable.write(string, cb)`.
        #[doc(alias = "write")]
        pub fn write_str_cb(
            &self,
            s: &str,
            cb: impl FnOnce(Result<(), Error>) + Send + 'static,
        ) -> Result<bool, Error> {
            let chunk = string_chunk(&self.core, s, None);
            self.write_cb(chunk, cb)
        }

        /// Writes a string in `encoding` (an unknown name is
        /// `ERR_UNKNOWN_ENCODING`, nothing written). Node: `writable.write(string, encoding)`.
        #[doc(alias = "write")]
        pub fn write_str_in(&self, s: &str, encoding: &str) -> Result<bool, Error> {
            let chunk = string_chunk(&self.core, s, Some(string_encoding(encoding)?));
            self.write(chunk)
        }
    };
}

impl Writable<EncodedChunk> {
    /// A byte writable whose sink receives [`EncodedChunk`]s: with
    /// `opts.decode_strings(false)` strings stay strings, with their
    /// encoding. Node: `new Writable({ decodeStrings: false, write(chunk, encoding, cb) })`.
    #[doc(alias = "decodeStrings")]
    pub fn encoded(sink: impl Sink<EncodedChunk>, opts: WritableOptions) -> Self {
        let decode = opts.decode_strings;
        let default_encoding = opts.default_encoding.clone();
        let w = Self::build(opts, false, encoded_ops(), Box::new(sink));
        configure(&w.core, decode, &default_encoding);
        w
    }

    /// Like [`encoded`](Self::encoded), calling `f` for each chunk at once
    /// (Node: `write(chunk, encoding, cb) { ...; cb(); }`).
    pub fn encoded_from_fn(
        opts: WritableOptions,
        f: impl FnMut(EncodedChunk) -> Result<(), Error> + Send + 'static,
    ) -> Self {
        Self::encoded(FnSink(f), opts)
    }

    encoded_write_methods!();
}

impl<R: Send + 'static> Duplex<R, EncodedChunk> {
    encoded_write_methods!();
}

impl Duplex<Buffer, EncodedChunk> {
    /// A byte duplex whose sink receives [`EncodedChunk`]s: with
    /// `opts.decode_strings(false)` strings written stay strings, with
    /// their encoding. Node: `new Duplex({ decodeStrings: false, read, write(chunk, encoding, cb) })`.
    #[doc(alias = "decodeStrings")]
    pub fn encoded(
        opts: DuplexOptions,
        source: Option<impl Source<Buffer>>,
        sink: Option<impl Sink<EncodedChunk>>,
    ) -> Self {
        let (ro, _) = opts.sides();
        let d = Self::build(
            &opts,
            ro.object_mode,
            if ro.object_mode { object_ops() } else { byte_ops() },
            false,
            encoded_ops(),
            source.map(|s| Box::new(s) as Box<dyn Source<Buffer>>),
            sink.map(|s| Box::new(s) as Box<dyn Sink<EncodedChunk>>),
        );
        finish_encoded(&d, &opts);
        d
    }
}

/// The options' `decodeStrings`, `defaultEncoding` and `encoding` on a new
/// duplex with an encoded writable side.
pub(crate) fn finish_encoded(d: &Duplex<Buffer, EncodedChunk>, opts: &DuplexOptions) {
    configure(&d.core, opts.decode_strings, &opts.default_encoding);
    if let Some(e) = &opts.encoding {
        if let Err(err) = crate::readable::set_encoding(&d.core, e) {
            d.destroy(Some(err));
        }
    }
}

/// Byte mode over encoded chunks, for a transform's writable side.
pub(crate) fn encoded_side() -> (bool, ChunkOps<EncodedChunk>) {
    (false, encoded_ops())
}
