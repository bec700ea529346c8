//! JavaScript strings as UTF-16 code units, both ways: `Buffer.from(jsString, enc)`
//! for strings a Rust `&str` cannot hold (lone surrogates), and a lossless
//! `buf.toString('utf16le', start, end)`.

use crate::buffer::Buffer;
use crate::encoding::{Encoding, decode_base64_bytes, decode_hex_bytes, utf16_units};

impl Encoding {
    /// Encodes a JavaScript string given as UTF-16 code units, exactly as
    /// `Buffer.from(s, encoding)` does in Node, lone surrogates included:
    ///
    /// - `utf16le`: every unit as it is (a lone surrogate keeps its value);
    /// - `latin1` / `binary` / `ascii`: the low byte of every unit;
    /// - `utf8`: a lone surrogate becomes U+FFFD (`EF BF BD`), a pair its character;
    /// - `base64` / `base64url` / `hex`: the low byte of every unit is read as
    ///   the character (Node's decoders look at the low byte only), then
    ///   decoded with Node's lenient rules.
    ///
    /// For a well-formed string this is [`encode`](Encoding::encode) of its UTF-8 form.
    ///
    /// ```js
    /// Buffer.from('a\uD83D', 'utf16le');  // <Buffer 61 00 3d d8>
    /// Buffer.from('a\uD83D', 'utf8');     // <Buffer 61 ef bf bd>
    /// Buffer.from('a\uD83D', 'latin1');   // <Buffer 61 3d>
    /// ```
    ///
    /// ```
    /// use rt_buffer::Encoding;
    /// let units = [0x61, 0xd83d];
    /// assert_eq!(Encoding::Utf16le.encode_utf16(&units), [0x61, 0x00, 0x3d, 0xd8]);
    /// assert_eq!(Encoding::Utf8.encode_utf16(&units), [0x61, 0xef, 0xbf, 0xbd]);
    /// assert_eq!(Encoding::Latin1.encode_utf16(&units), [0x61, 0x3d]);
    /// ```
    #[doc(alias = "from")]
    pub fn encode_utf16(self, units: &[u16]) -> Vec<u8> {
        match self {
            Encoding::Utf8 => {
                let mut s = String::with_capacity(units.len());
                s.extend(char::decode_utf16(units.iter().copied()).map(|r| r.unwrap_or('\u{fffd}')));
                s.into_bytes()
            }
            Encoding::Utf16le => units.iter().flat_map(|u| u.to_le_bytes()).collect(),
            Encoding::Latin1 | Encoding::Ascii => low_bytes(units),
            Encoding::Base64 | Encoding::Base64url => decode_base64_bytes(&low_bytes(units)),
            Encoding::Hex => decode_hex_bytes(&low_bytes(units)),
        }
    }
}

fn low_bytes(units: &[u16]) -> Vec<u8> {
    units.iter().map(|&u| u as u8).collect()
}

impl Buffer {
    /// `Buffer.from(string, encoding)` for a JavaScript string given as its
    /// UTF-16 code units, which may hold lone surrogates (see
    /// [`Encoding::encode_utf16`] for what each encoding makes of them).
    ///
    /// ```js
    /// // a string cut in the middle of a surrogate pair
    /// const s = '😀x'.slice(1);                  // '\uDE00x'
    /// Buffer.from(s, 'utf16le');                 // <Buffer 00 de 78 00>
    /// Buffer.from(s);                            // <Buffer ef bf bd 78>
    /// Buffer.from(s, 'ascii');                   // <Buffer 00 78>
    /// ```
    ///
    /// ```
    /// use rt_buffer::{Buffer, Encoding};
    /// let s: Vec<u16> = "😀x".encode_utf16().skip(1).collect();
    /// assert_eq!(Buffer::from_utf16(&s, Encoding::Utf16le), &[0x00, 0xde, 0x78, 0x00][..]);
    /// assert_eq!(Buffer::from_utf16(&s, Encoding::Utf8), &b"\xef\xbf\xbdx"[..]);
    /// assert_eq!(Buffer::from_utf16(&s, Encoding::Ascii), &[0x00, 0x78][..]);
    /// ```
    #[doc(alias = "from")]
    pub fn from_utf16(units: &[u16], encoding: Encoding) -> Buffer {
        Buffer::from(encoding.encode_utf16(units))
    }

    /// `buf.toString('utf16le', start, end)` (or `'ucs2'`), losslessly: the
    /// UTF-16 code units of bytes `start..end`, lone surrogates kept (where
    /// [`to_string_range`](Buffer::to_string_range) must write U+FFFD).
    ///
    /// The range is clamped as Node clamps it (a negative `start` counts as
    /// 0, an `end` past the length as the length, an empty or reversed range
    /// gives no units), and an odd last byte of the range is dropped.
    ///
    /// ```js
    /// const buf = Buffer.from([0x61, 0x00, 0x3d, 0xd8, 0x62]);
    /// buf.toString('ucs2', 0, 4);   // 'a\uD83D'
    /// buf.toString('ucs2', 2, 99);  // '\uD83D' (the odd last byte dropped)
    /// ```
    ///
    /// ```
    /// use rt_buffer::Buffer;
    /// let buf = Buffer::from(&[0x61, 0x00, 0x3d, 0xd8, 0x62]);
    /// assert_eq!(buf.to_utf16_range(0, 4), [0x61, 0xd83d]);
    /// assert_eq!(buf.to_utf16_range(2, 99), [0xd83d]);
    /// assert_eq!(buf.to_utf16_range(-7, 1), [0u16; 0]);
    /// ```
    #[doc(alias = "toString")]
    pub fn to_utf16_range(&self, start: i64, end: i64) -> Vec<u16> {
        let len = self.len() as i64;
        let start = start.max(0);
        let end = end.min(len);
        if start >= len || end <= start {
            return Vec::new();
        }
        utf16_units(&self[start as usize..end as usize])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn well_formed_strings_encode_as_from_str() {
        for s in ["", "abc", "h€llo", "😀x", "QUJD", "6869", "\u{ffff}\u{10000}é"] {
            let units: Vec<u16> = s.encode_utf16().collect();
            for enc in Encoding::ALL {
                assert_eq!(enc.encode_utf16(&units), enc.encode(s), "{enc} {s:?}");
            }
        }
    }

    #[test]
    fn lone_surrogates() {
        let units = [0xdc00, 0x41, 0xd800];
        assert_eq!(Encoding::Utf8.encode_utf16(&units), b"\xef\xbf\xbdA\xef\xbf\xbd");
        assert_eq!(
            Encoding::Utf16le.encode_utf16(&units),
            [0, 0xdc, 0x41, 0, 0, 0xd8]
        );
        assert_eq!(Encoding::Ascii.encode_utf16(&units), [0, 0x41, 0]);
        let b = Buffer::from(&[0x00, 0xdc, 0x41]);
        assert_eq!(b.to_utf16_range(0, 3), [0xdc00]);
        assert_eq!(b.to_utf16_range(1, 3), [0x41dc]);
        assert_eq!(b.to_utf16_range(3, 1), [0u16; 0]);
    }
}
