//! Inflating a request body by its `Content-Encoding`, as body-parser does:
//! `gzip` (zlib's gunzip, several members in a row allowed) and `deflate`
//! (zlib's inflate: the zlib format), `identity` as it is; the limit counts
//! inflated bytes, and inflating stops at the first byte past it (a small
//! body that inflates to a huge one is refused without holding it).
//!
//! Built on `flate2` (miniz_oxide underneath, pure Rust).

use std::io::Write;

use crate::body_error::BodyError;

/// A `Content-Encoding` the readers take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coding {
    /// No coding (`identity`, or no header).
    Identity,
    /// `gzip`.
    Gzip,
    /// `deflate` (the zlib format, as Node's `zlib.createInflate()`).
    Deflate,
}

impl Coding {
    /// The coding a `Content-Encoding` header names (lower-cased, as body-parser
    /// reads it). With `inflate` off, anything but `identity` is a 415
    /// (`content encoding unsupported`); an unknown coding is a 415
    /// (`unsupported content encoding "br"`). express 4's body-parser takes
    /// gzip and deflate only; `br` is refused as there.
    #[doc(alias = "contentstream")]
    pub fn from_header(header: Option<&str>, inflate: bool) -> Result<Coding, BodyError> {
        let name = header.unwrap_or("identity").to_ascii_lowercase();
        if !inflate && name != "identity" {
            return Err(BodyError {
                status: 415,
                kind: "encoding.unsupported",
                message: "content encoding unsupported".to_string(),
            });
        }
        match name.as_str() {
            "identity" => Ok(Coding::Identity),
            "gzip" => Ok(Coding::Gzip),
            "deflate" => Ok(Coding::Deflate),
            _ => Err(BodyError::encoding(&name)),
        }
    }
}

/// A sink that keeps at most `limit` bytes and fails past it.
struct Capped {
    out: Vec<u8>,
    limit: u64,
    over: bool,
}

impl Write for Capped {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if (self.out.len() + buf.len()) as u64 > self.limit {
            self.over = true;
            return Err(std::io::Error::other("past the limit"));
        }
        self.out.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

enum Decoder {
    Identity(Capped),
    Gzip(flate2::write::MultiGzDecoder<Capped>),
    Deflate(flate2::write::ZlibDecoder<Capped>),
}

/// A body being inflated chunk by chunk under a limit on the inflated size.
pub struct Inflater {
    decoder: Decoder,
    what: String,
    limit: u64,
}

impl std::fmt::Debug for Inflater {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Inflater").field("limit", &self.limit).finish()
    }
}

impl Inflater {
    /// An inflater for `coding`; `what` names the body in a 413's message.
    pub fn new(coding: Coding, limit: u64, what: &str, capacity: usize) -> Inflater {
        let sink = Capped {
            out: Vec::with_capacity(capacity),
            limit,
            over: false,
        };
        let decoder = match coding {
            Coding::Identity => Decoder::Identity(sink),
            Coding::Gzip => Decoder::Gzip(flate2::write::MultiGzDecoder::new(sink)),
            Coding::Deflate => Decoder::Deflate(flate2::write::ZlibDecoder::new(sink)),
        };
        Inflater {
            decoder,
            what: what.to_string(),
            limit,
        }
    }

    /// Takes the next chunk of the (coded) body.
    pub fn push(&mut self, chunk: &[u8]) -> Result<(), BodyError> {
        let r = match &mut self.decoder {
            Decoder::Identity(sink) => sink.write_all(chunk),
            Decoder::Gzip(d) => d.write_all(chunk),
            Decoder::Deflate(d) => {
                // Past the end of the zlib stream Node's inflate ignores what follows
                // (the decoder takes no more: `Ok(0)`); `finish` still checks the end.
                let mut rest = chunk;
                let mut r = Ok(());
                while !rest.is_empty() {
                    match d.write(rest) {
                        Ok(0) => break,
                        Ok(n) => rest = &rest[n..],
                        Err(e) => {
                            r = Err(e);
                            break;
                        }
                    }
                }
                r
            }
        };
        r.map_err(|e| self.error(e))
    }

    /// The whole inflated body; a coded body that ends early is a 400.
    pub fn finish(mut self) -> Result<Vec<u8>, BodyError> {
        let done = match &mut self.decoder {
            Decoder::Identity(_) => Ok(()),
            Decoder::Gzip(d) => d.try_finish(),
            Decoder::Deflate(d) => d.try_finish(),
        };
        if let Err(e) = done {
            return Err(self.error(e));
        }
        let sink = match self.decoder {
            Decoder::Identity(sink) => sink,
            Decoder::Gzip(d) => d.finish().map_err(|e| inflate_error(&e))?,
            Decoder::Deflate(d) => d.finish().map_err(|e| inflate_error(&e))?,
        };
        Ok(sink.out)
    }

    fn error(&self, e: std::io::Error) -> BodyError {
        let over = match &self.decoder {
            Decoder::Identity(s) => s.over,
            Decoder::Gzip(d) => d.get_ref().over,
            Decoder::Deflate(d) => d.get_ref().over,
        };
        if over {
            BodyError::too_large(&self.what, self.limit)
        } else {
            inflate_error(&e)
        }
    }
}

/// A coded body that does not inflate: 400, as body-parser answers zlib's errors.
fn inflate_error(e: &std::io::Error) -> BodyError {
    BodyError {
        status: 400,
        kind: "encoding.failed",
        message: format!("the body does not inflate: {e}"),
    }
}
