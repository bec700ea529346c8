//! Node's encodings: names, aliases, and the codecs for each one.

mod base64;
mod hex;
mod latin1;
mod utf16;
mod utf8;

use std::fmt;
use std::str::FromStr;

use crate::error::Error;

pub(crate) use self::base64::{
    base64_byte_length, decode_base64, decode_base64_bytes, encode_base64, encode_base64url,
};
pub(crate) use self::hex::{decode_hex, decode_hex_bytes, encode_hex};
pub(crate) use self::latin1::{decode_ascii, decode_latin1, encode_latin1};
pub(crate) use self::utf8::decode_utf8;
pub(crate) use self::utf16::{decode_utf16le, encode_utf16le, utf16_len, utf16_units};

/// One of Node's Buffer encodings.
///
/// Names are matched the way Node matches them: case-insensitively, with
/// Node's aliases (`"utf-8"`, `"ucs2"`, `"ucs-2"`, `"utf-16le"`, `"binary"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Encoding {
    /// `'utf8'` / `'utf-8'`: invalid input decodes to U+FFFD, one per maximal invalid subpart.
    #[default]
    Utf8,
    /// `'utf16le'` / `'ucs2'`: little-endian UTF-16; an odd trailing byte is dropped.
    Utf16le,
    /// `'latin1'` / `'binary'`: one byte per UTF-16 code unit (ISO-8859-1; the code unit's low byte).
    Latin1,
    /// `'ascii'`: decode masks the high bit; encode behaves like latin1.
    Ascii,
    /// `'base64'`: padded standard alphabet out; lenient decode (both alphabets, skips garbage, stops at `=`).
    Base64,
    /// `'base64url'`: unpadded URL alphabet out; decodes like `Base64`.
    Base64url,
    /// `'hex'`: two lowercase digits per byte; decode stops at the first invalid pair.
    Hex,
}

impl Encoding {
    /// Every encoding, in Node's documentation order.
    pub const ALL: [Encoding; 7] = [
        Encoding::Utf8,
        Encoding::Utf16le,
        Encoding::Latin1,
        Encoding::Ascii,
        Encoding::Base64,
        Encoding::Base64url,
        Encoding::Hex,
    ];

    /// Looks an encoding up by one of Node's names, case-insensitively.
    ///
    /// Unknown names fail with `ERR_UNKNOWN_ENCODING` (`Unknown encoding: <name>`),
    /// as `Buffer.from('x', name)` does in Node. Unlike `Buffer.from`, the
    /// empty string is not taken to mean utf8 (it is unknown, as
    /// `Buffer.isEncoding('')` says). The functions that take a name with
    /// Node's fallbacks are [`Buffer::from_str_named`](crate::Buffer::from_str_named),
    /// [`Buffer::byte_length`](crate::Buffer::byte_length) and
    /// [`Buffer::index_of_named`](crate::Buffer::index_of_named) (and its siblings).
    ///
    /// ```
    /// use rt_buffer::Encoding;
    /// assert_eq!(Encoding::from_name("UTF-8")?, Encoding::Utf8);
    /// assert_eq!(Encoding::from_name("ucs-2")?, Encoding::Utf16le);
    /// assert_eq!(Encoding::from_name("utf16").unwrap_err().code(), "ERR_UNKNOWN_ENCODING");
    /// # Ok::<(), rt_buffer::Error>(())
    /// ```
    #[doc(alias = "normalizeEncoding")]
    pub fn from_name(name: &str) -> Result<Encoding, Error> {
        Self::lookup(name).ok_or_else(|| Error::unknown_encoding(name))
    }

    fn lookup(name: &str) -> Option<Encoding> {
        if name.len() > 9 {
            return None;
        }
        let mut lower = [0u8; 9];
        for (d, s) in lower.iter_mut().zip(name.bytes()) {
            *d = s.to_ascii_lowercase();
        }
        Some(match &lower[..name.len()] {
            b"utf8" | b"utf-8" => Encoding::Utf8,
            b"ucs2" | b"ucs-2" | b"utf16le" | b"utf-16le" => Encoding::Utf16le,
            b"latin1" | b"binary" => Encoding::Latin1,
            b"ascii" => Encoding::Ascii,
            b"base64" => Encoding::Base64,
            b"base64url" => Encoding::Base64url,
            b"hex" => Encoding::Hex,
            _ => return None,
        })
    }

    /// Whether `name` names one of Node's encodings (`Buffer.isEncoding`).
    #[doc(alias = "isEncoding")]
    pub fn is_encoding(name: &str) -> bool {
        Self::lookup(name).is_some()
    }

    /// Node's canonical name: `"utf8"`, `"utf16le"`, `"latin1"`, `"ascii"`,
    /// `"base64"`, `"base64url"` or `"hex"`.
    pub fn name(self) -> &'static str {
        match self {
            Encoding::Utf8 => "utf8",
            Encoding::Utf16le => "utf16le",
            Encoding::Latin1 => "latin1",
            Encoding::Ascii => "ascii",
            Encoding::Base64 => "base64",
            Encoding::Base64url => "base64url",
            Encoding::Hex => "hex",
        }
    }

    /// Encodes `s` into bytes, as `Buffer.from(s, encoding)` does.
    pub fn encode(self, s: &str) -> Vec<u8> {
        match self {
            Encoding::Utf8 => s.as_bytes().to_vec(),
            Encoding::Utf16le => encode_utf16le(s),
            Encoding::Latin1 | Encoding::Ascii => encode_latin1(s),
            Encoding::Base64 | Encoding::Base64url => decode_base64(s),
            Encoding::Hex => decode_hex(s),
        }
    }

    /// Decodes `bytes` into a string, as `buf.toString(encoding)` does.
    ///
    /// Where Node would produce a lone UTF-16 surrogate (utf16le input with
    /// half a pair), the Rust string holds U+FFFD instead.
    pub fn decode(self, bytes: &[u8]) -> String {
        match self {
            Encoding::Utf8 => decode_utf8(bytes),
            Encoding::Utf16le => decode_utf16le(bytes),
            Encoding::Latin1 => decode_latin1(bytes),
            Encoding::Ascii => decode_ascii(bytes),
            Encoding::Base64 => encode_base64(bytes),
            Encoding::Base64url => encode_base64url(bytes),
            Encoding::Hex => encode_hex(bytes),
        }
    }

    /// The number of bytes `s` takes in this encoding (`Buffer.byteLength(s, encoding)`).
    ///
    /// As in Node, base64 and hex give the length computed from the string's
    /// length (without decoding), which is an upper bound for lenient input.
    #[doc(alias = "byteLength")]
    pub fn byte_length(self, s: &str) -> usize {
        match self {
            Encoding::Utf8 => s.len(),
            Encoding::Utf16le => utf16_len(s) * 2,
            Encoding::Latin1 | Encoding::Ascii => utf16_len(s),
            Encoding::Base64 | Encoding::Base64url => base64_byte_length(s),
            Encoding::Hex => utf16_len(s) >> 1,
        }
    }
}

impl FromStr for Encoding {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Encoding::from_name(s)
    }
}

impl fmt::Display for Encoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// `n` zero bytes for a codec to overwrite: under 4 KiB by `malloc` and a
/// `memset` instead of `calloc` (`vec![0u8; n]`), because glibc's `calloc`
/// bypasses its per-thread cache and runs the general allocator: callgrind
/// counted 153 instructions of `calloc` + `_int_malloc` per 64 B
/// `Buffer.from(s, 'latin1')`, against ~25 for a cached `malloc` (issue 9).
/// Larger outputs keep `calloc`, which may get already-zero pages.
#[allow(clippy::slow_vector_initialization)] // the `calloc` is what this avoids
pub(crate) fn zeroed(n: usize) -> Vec<u8> {
    if n >= 4096 {
        return vec![0u8; n];
    }
    let mut v = Vec::with_capacity(n);
    v.resize(n, 0);
    v
}

/// Builds a `String` from bytes known to be ASCII (never fails for such input;
/// falls back to a lossy conversion rather than panicking).
pub(crate) fn ascii_to_string(bytes: Vec<u8>) -> String {
    match String::from_utf8(bytes) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    }
}

/// The UTF-16 code units of `s`, each cut to its low byte (how Node reads a
/// JavaScript string for base64, hex, latin1 and ascii). `None` if `s` is
/// ASCII, where the code units are the bytes themselves.
pub(crate) fn low_bytes(s: &str) -> Option<Vec<u8>> {
    if s.is_ascii() {
        return None;
    }
    Some(encode_latin1(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_aliases() {
        for (name, enc) in [
            ("utf8", Encoding::Utf8),
            ("UTF-8", Encoding::Utf8),
            ("Ucs2", Encoding::Utf16le),
            ("UCS-2", Encoding::Utf16le),
            ("utf-16LE", Encoding::Utf16le),
            ("binary", Encoding::Latin1),
            ("LATIN1", Encoding::Latin1),
            ("ascii", Encoding::Ascii),
            ("Base64", Encoding::Base64),
            ("base64URL", Encoding::Base64url),
            ("HEX", Encoding::Hex),
        ] {
            assert_eq!(Encoding::from_name(name), Ok(enc), "{name}");
            assert_eq!(name.parse::<Encoding>(), Ok(enc));
        }
        for bad in ["", "utf16", "latin-1", "us-ascii", "utf-8 ", "base64urlx", "ü"] {
            let e = Encoding::from_name(bad).unwrap_err();
            assert_eq!(e.code(), "ERR_UNKNOWN_ENCODING");
            assert_eq!(e.to_string(), format!("Unknown encoding: {bad}"));
        }
        for e in Encoding::ALL {
            assert_eq!(Encoding::from_name(&e.to_string()), Ok(e));
        }
    }

    #[test]
    fn byte_lengths() {
        assert_eq!(Encoding::Utf8.byte_length("h€"), 4);
        assert_eq!(Encoding::Utf16le.byte_length("h😀"), 6);
        assert_eq!(Encoding::Latin1.byte_length("h😀"), 3);
        assert_eq!(Encoding::Hex.byte_length("abc"), 1);
        assert_eq!(Encoding::Base64.byte_length("QUJD"), 3);
        assert_eq!(Encoding::Base64.byte_length("QQ=="), 1);
        assert_eq!(Encoding::Base64.byte_length("QUI="), 2);
    }
}
