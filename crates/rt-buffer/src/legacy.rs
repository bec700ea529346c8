//! Legacy encodings (iconv-lite's job) through encoding_rs: every WHATWG
//! label, both directions, and a streaming decoder.
//!
//! # latin1 is two different things
//! Node's own `'latin1'` (alias `'binary'`) is ISO-8859-1: byte `b` is
//! U+00bb. The WHATWG label `latin1` (like `iso-8859-1` and `ascii`) names
//! windows-1252, where 0x80 is `€`. [`Buffer::from_str_in`] and
//! [`Buffer::to_string_in`] look Node's names up first, so `"latin1"` keeps
//! Node's (and iconv-lite's) ISO-8859-1 meaning there; [`LegacyEncoding`]
//! follows WHATWG, so `LegacyEncoding::for_label("latin1")` is windows-1252.

use encoding_rs::{CoderResult, EncoderResult};

use crate::buffer::Buffer;
use crate::encoding::Encoding;
use crate::error::{Error, Result};

/// A WHATWG encoding (GBK, GB18030, Big5, Shift_JIS, EUC-JP, EUC-KR,
/// windows-125x, ISO-8859-x, KOI8-R, UTF-16BE...), through encoding_rs.
///
/// ```
/// use rt_buffer::LegacyEncoding;
/// // iconv.encode('前端', 'gbk')
/// let gbk = LegacyEncoding::for_label("GBK")?;
/// assert_eq!(gbk.encode("前端"), vec![0xc7, 0xb0, 0xb6, 0xcb]);
/// assert_eq!(gbk.decode(&[0xc7, 0xb0, 0xb6, 0xcb]), "前端");
/// # Ok::<(), rt_buffer::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LegacyEncoding {
    inner: &'static encoding_rs::Encoding,
}

impl LegacyEncoding {
    /// Looks up a WHATWG label (case-insensitive, surrounding whitespace
    /// ignored): `"gbk"`, `"shift_jis"`, `"windows-1251"`, `"koi8-r"`...
    ///
    /// Unknown labels, and the decode-only `replacement` encoding's labels,
    /// fail with `ERR_UNKNOWN_ENCODING`.
    pub fn for_label(label: &str) -> Result<LegacyEncoding> {
        match encoding_rs::Encoding::for_label(label.as_bytes()) {
            Some(e) if e != encoding_rs::REPLACEMENT => Ok(LegacyEncoding { inner: e }),
            _ => Err(Error::unknown_encoding(label)),
        }
    }

    /// The encoding's WHATWG name (`"GBK"`, `"Shift_JIS"`, `"windows-1252"`...).
    pub fn name(self) -> &'static str {
        self.inner.name()
    }

    /// The encoding_rs encoding behind this one.
    pub fn as_encoding_rs(self) -> &'static encoding_rs::Encoding {
        self.inner
    }

    /// Encodes `s`; a character the encoding cannot represent becomes `?`,
    /// as iconv-lite does. UTF-16LE/BE encode to UTF-16 (encoding_rs alone
    /// would give UTF-8 there, as the WHATWG encoder does).
    pub fn encode(self, s: &str) -> Vec<u8> {
        if self.inner == encoding_rs::UTF_16LE {
            return Encoding::Utf16le.encode(s);
        }
        if self.inner == encoding_rs::UTF_16BE {
            let mut v = Encoding::Utf16le.encode(s);
            v.chunks_exact_mut(2).for_each(<[u8]>::reverse);
            return v;
        }
        let mut encoder = self.inner.new_encoder();
        let mut out = Vec::with_capacity(s.len() + 16);
        let mut src = s;
        let mut last = true;
        loop {
            if out.capacity() - out.len() < 16 {
                out.reserve(src.len() + 16);
            }
            let (result, read) = encoder.encode_from_utf8_to_vec_without_replacement(src, &mut out, last);
            src = &src[read..];
            match result {
                EncoderResult::InputEmpty => {
                    if last {
                        break;
                    }
                    last = true;
                }
                EncoderResult::OutputFull => out.reserve(src.len() + 16),
                EncoderResult::Unmappable(_) => {
                    // Through the encoder, so stateful encodings (ISO-2022-JP)
                    // switch back to ASCII first.
                    let mut q = "?";
                    while !q.is_empty() {
                        out.reserve(16);
                        let (_, n) = encoder.encode_from_utf8_to_vec_without_replacement(q, &mut out, false);
                        q = &q[n..];
                    }
                }
            }
        }
        out
    }

    /// Decodes `bytes`; malformed sequences become U+FFFD (WHATWG rules),
    /// and a leading byte order mark is dropped, as iconv-lite does.
    pub fn decode(self, bytes: &[u8]) -> String {
        let mut d = self.decoder();
        let mut s = d.write(bytes);
        s.push_str(&d.end());
        s
    }

    /// A streaming decoder for this encoding.
    pub fn decoder(self) -> LegacyDecoder {
        LegacyDecoder {
            encoding: self,
            inner: self.inner.new_decoder_without_bom_handling(),
            started: false,
        }
    }
}

/// A streaming decoder for a [`LegacyEncoding`] (iconv-lite's
/// `getDecoder(enc)` / `decodeStream`): a multi-byte character split across
/// chunks is held back and completed, as [`StringDecoder`](crate::StringDecoder)
/// does for Node's encodings.
///
/// ```
/// use rt_buffer::LegacyEncoding;
/// let mut d = LegacyEncoding::for_label("shift_jis")?.decoder();
/// assert_eq!(d.write(&[0x82]), "");
/// assert_eq!(d.write(&[0xa0, 0x41]), "あA");
/// assert_eq!(d.end_with(&[0x82]), "\u{fffd}");
/// # Ok::<(), rt_buffer::Error>(())
/// ```
pub struct LegacyDecoder {
    encoding: LegacyEncoding,
    inner: encoding_rs::Decoder,
    started: bool,
}

impl std::fmt::Debug for LegacyDecoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LegacyDecoder")
            .field("encoding", &self.encoding.name())
            .finish_non_exhaustive()
    }
}

impl LegacyDecoder {
    /// The encoding being decoded.
    pub fn encoding(&self) -> LegacyEncoding {
        self.encoding
    }

    fn run(&mut self, mut src: &[u8], last: bool) -> String {
        if src.is_empty() && !last {
            // Nothing to decode; encoding_rs would drop a held lead byte here.
            return String::new();
        }
        let mut out = String::with_capacity(
            16 + self
                .inner
                .max_utf8_buffer_length(src.len())
                .unwrap_or(src.len().saturating_mul(3))
                .min(src.len().saturating_mul(3) + 16),
        );
        loop {
            let (result, read, _) = self.inner.decode_to_string(src, &mut out, last);
            src = &src[read..];
            match result {
                CoderResult::InputEmpty => break,
                CoderResult::OutputFull => out.reserve(src.len().saturating_mul(3) + 16),
            }
        }
        if !self.started && !out.is_empty() {
            self.started = true;
            if let Some(rest) = out.strip_prefix('\u{feff}') {
                out = rest.to_string();
            }
        }
        out
    }

    /// Decodes a chunk: the text of every complete character.
    pub fn write(&mut self, chunk: &[u8]) -> String {
        self.run(chunk, false)
    }

    /// Flushes what is held back (U+FFFD for an incomplete character) and
    /// resets the decoder for a new stream.
    pub fn end(&mut self) -> String {
        self.end_with(&[])
    }

    /// `write(chunk)` then `end()`, in one string.
    pub fn end_with(&mut self, chunk: &[u8]) -> String {
        let s = self.run(chunk, true);
        self.inner = self.encoding.inner.new_decoder_without_bom_handling();
        self.started = false;
        s
    }
}

impl Buffer {
    /// `iconv.encode(s, label)`: Node's encodings by Node's names (so
    /// `"latin1"` is ISO-8859-1), every other WHATWG label through
    /// [`LegacyEncoding`].
    ///
    /// ```
    /// use rt_buffer::{Buffer, Encoding};
    /// let gbk = Buffer::from_str_in("前端", "gbk")?;
    /// assert_eq!(gbk.to_string(Encoding::Hex), "c7b0b6cb");
    /// assert_eq!(gbk.to_string_in("gbk")?, "前端");
    /// assert_eq!(Buffer::from_str_in("€", "latin1")?, &[0xac][..]);
    /// assert_eq!(Buffer::from_str_in("€", "windows-1252")?, &[0x80][..]);
    /// # Ok::<(), rt_buffer::Error>(())
    /// ```
    pub fn from_str_in(s: &str, label: &str) -> Result<Buffer> {
        if let Ok(e) = Encoding::from_name(label) {
            return Ok(Buffer::from_str(s, e));
        }
        Ok(Buffer::from(LegacyEncoding::for_label(label)?.encode(s)))
    }

    /// `iconv.decode(buf, label)`: the text of these bytes in `label` (Node's
    /// names first, then WHATWG labels).
    pub fn to_string_in(&self, label: &str) -> Result<String> {
        if let Ok(e) = Encoding::from_name(label) {
            return Ok(self.to_string(e));
        }
        Ok(LegacyEncoding::for_label(label)?.decode(self))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_and_round_trips() {
        for (label, text) in [
            ("gbk", "前端开发"),
            ("gb18030", "前端😀"),
            ("big5", "傳統"),
            ("shift_jis", "日本語テキスト"),
            ("euc-jp", "日本語"),
            ("iso-2022-jp", "日本語 and ASCII"),
            ("euc-kr", "한국어"),
            ("windows-1251", "Привет"),
            ("koi8-r", "Привет"),
            ("iso-8859-7", "Ελληνικά"),
            ("windows-1252", "café €"),
            ("utf-16be", "h😀"),
            ("utf-16le", "h😀"),
        ] {
            let e = LegacyEncoding::for_label(label).unwrap();
            assert_eq!(e.decode(&e.encode(text)), text, "{label}");
        }
        assert_eq!(
            LegacyEncoding::for_label("latin1").unwrap().name(),
            "windows-1252"
        );
        assert_eq!(
            LegacyEncoding::for_label("nope").unwrap_err().code(),
            "ERR_UNKNOWN_ENCODING"
        );
        assert!(LegacyEncoding::for_label("iso-2022-kr").is_err(), "replacement");
        let gbk = LegacyEncoding::for_label("gbk").unwrap();
        assert_eq!(gbk.encode("a\u{1f600}b"), b"a?b");
        let jis = LegacyEncoding::for_label("iso-2022-jp").unwrap();
        let bytes = jis.encode("日\u{1f600}本");
        assert_eq!(jis.decode(&bytes), "日?本");
        assert_eq!(
            LegacyEncoding::for_label("utf-8")
                .unwrap()
                .decode(b"\xef\xbb\xbfhi"),
            "hi"
        );
    }
}
