//! `StringDecoder`: decodes a byte stream chunk by chunk without mangling a
//! character split across chunks (Node's `string_decoder`).

use crate::encoding::{
    Encoding, decode_ascii, decode_latin1, decode_utf8, encode_base64, encode_base64url, encode_hex,
};

/// Where decoded text goes: a Rust string, or JavaScript's UTF-16 code units.
enum Sink<'a> {
    Str(&'a mut String),
    Units(&'a mut Vec<u16>),
}

/// Node's `StringDecoder` (`require('string_decoder').StringDecoder`).
///
/// `write` returns the text of every complete character so far and holds
/// back an incomplete one; `end` flushes what is left exactly as Node does
/// (U+FFFD for an incomplete UTF-8 tail, the padded base64 of 1 or 2 left
/// over bytes, nothing for an odd UTF-16 byte).
///
/// One difference from Node: a Rust `String` cannot hold half a UTF-16
/// surrogate pair. Where Node's `write` would return a lone high surrogate
/// whose partner comes in the next chunk, rt holds it back and returns the
/// whole character with the next `write`; a surrogate that stays unpaired
/// becomes U+FFFD. The concatenated output is the same as Node's.
///
/// ```
/// use rt_buffer::{Encoding, StringDecoder};
/// // const d = new StringDecoder('utf8'); d.write(Buffer.from([0xe2, 0x82])); d.write(Buffer.from([0xac]))
/// let mut d = StringDecoder::new(Encoding::Utf8);
/// assert_eq!(d.write(&[0xe2, 0x82]), "");
/// assert_eq!(d.write(&[0xac]), "€");
/// assert_eq!(d.end_with(&[0xe2]), "\u{fffd}");
/// ```
#[derive(Debug, Clone)]
pub struct StringDecoder {
    encoding: Encoding,
    /// The bytes of an incomplete character (at most 4).
    buf: [u8; 4],
    buffered: usize,
    missing: usize,
    /// utf16le only: a high surrogate whose low half has not come yet.
    pending_high: Option<u16>,
}

impl StringDecoder {
    /// A decoder for `encoding` (`new StringDecoder(encoding)`).
    pub fn new(encoding: Encoding) -> StringDecoder {
        StringDecoder {
            encoding,
            buf: [0; 4],
            buffered: 0,
            missing: 0,
            pending_high: None,
        }
    }

    /// The encoding this decoder decodes (`decoder.encoding`).
    pub fn encoding(&self) -> Encoding {
        self.encoding
    }

    /// The bytes held back from the last `write` (`decoder.lastChar`'s content).
    #[doc(alias = "lastChar")]
    pub fn held_bytes(&self) -> &[u8] {
        &self.buf[..self.buffered]
    }

    fn make(&mut self, bytes: &[u8], out: &mut Sink<'_>) {
        let out = match out {
            Sink::Str(s) => s,
            Sink::Units(units) => {
                if self.encoding == Encoding::Utf16le {
                    // Lossless: the units as they are, lone surrogates included.
                    units.extend(self.pending_high.take());
                    units.extend(crate::encoding::utf16_units(bytes));
                } else {
                    let mut s = String::new();
                    self.make(bytes, &mut Sink::Str(&mut s));
                    units.extend(s.encode_utf16());
                }
                return;
            }
        };
        match self.encoding {
            Encoding::Utf8 => out.push_str(&decode_utf8(bytes)),
            Encoding::Utf16le => self.push_utf16(bytes, out),
            Encoding::Base64 => out.push_str(&encode_base64(bytes)),
            Encoding::Base64url => out.push_str(&encode_base64url(bytes)),
            Encoding::Latin1 => out.push_str(&decode_latin1(bytes)),
            Encoding::Ascii => out.push_str(&decode_ascii(bytes)),
            Encoding::Hex => out.push_str(&encode_hex(bytes)),
        }
    }

    fn push_utf16(&mut self, bytes: &[u8], out: &mut String) {
        let mut units: Vec<u16> = Vec::with_capacity(bytes.len() / 2 + 1);
        if let Some(h) = self.pending_high.take() {
            units.push(h);
        }
        units.extend(bytes.chunks_exact(2).map(|p| u16::from_le_bytes([p[0], p[1]])));
        if let Some(&last) = units.last()
            && (0xd800..0xdc00).contains(&last)
        {
            self.pending_high = Some(last);
            units.pop();
        }
        out.extend(char::decode_utf16(units).map(|r| r.unwrap_or('\u{fffd}')));
    }

    /// `decoder.write(buffer)`: the text of every complete character; an
    /// incomplete character at the end is held for the next call.
    pub fn write(&mut self, data: &[u8]) -> String {
        let mut out = String::new();
        self.write_into(data, &mut Sink::Str(&mut out));
        out
    }

    /// `decoder.write(buffer)` with the result as the JavaScript string's
    /// UTF-16 code units, losslessly: for `utf16le`, exactly the units
    /// Node's `write` returns, so a high surrogate that is not followed by
    /// its low half comes out alone, as in Node (where [`write`](StringDecoder::write)
    /// must hold it back or write U+FFFD). A high surrogate at the very end
    /// of the chunk is held for the next call, as Node holds it. For the
    /// other encodings these are the units of [`write`](StringDecoder::write)'s string.
    ///
    /// ```js
    /// const d = new StringDecoder('utf16le');
    /// d.write(Buffer.from([0x3d, 0xd8]));         // '' (a high surrogate, held)
    /// d.write(Buffer.from([0x61, 0x00]));         // '\uD83Da' (its partner did not come)
    /// d.write(Buffer.from([0x00, 0xde, 0x62]));   // '\uDE00' (a lone low surrogate; 0x62 held)
    /// d.end();                                    // '' (the odd byte is dropped)
    /// ```
    ///
    /// ```
    /// use rt_buffer::{Encoding, StringDecoder};
    /// let mut d = StringDecoder::new(Encoding::Utf16le);
    /// assert_eq!(d.write_utf16(&[0x3d, 0xd8]), [0u16; 0]);
    /// assert_eq!(d.write_utf16(&[0x61, 0x00]), [0xd83d, 0x61]);
    /// assert_eq!(d.write_utf16(&[0x00, 0xde, 0x62]), [0xde00]);
    /// assert_eq!(d.end_utf16(), [0u16; 0]);
    /// ```
    #[doc(alias = "write")]
    pub fn write_utf16(&mut self, data: &[u8]) -> Vec<u16> {
        let mut out = Vec::new();
        self.write_into(data, &mut Sink::Units(&mut out));
        out
    }

    fn write_into(&mut self, mut data: &[u8], out: &mut Sink<'_>) {
        let enc = self.encoding;
        if !matches!(
            enc,
            Encoding::Utf8 | Encoding::Utf16le | Encoding::Base64 | Encoding::Base64url
        ) {
            self.make(data, out);
            return;
        }
        if self.missing > 0 {
            if enc == Encoding::Utf8 {
                // A byte that should continue the held character but does not
                // ends it: the held bytes are decoded alone (to U+FFFD).
                for i in 0..data.len().min(self.missing) {
                    if data[i] & 0xc0 != 0x80 {
                        self.missing = 0;
                        self.buf[self.buffered..self.buffered + i].copy_from_slice(&data[..i]);
                        self.buffered += i;
                        data = &data[i..];
                        break;
                    }
                }
            }
            let found = data.len().min(self.missing);
            self.buf[self.buffered..self.buffered + found].copy_from_slice(&data[..found]);
            data = &data[found..];
            self.missing -= found;
            self.buffered += found;
            if self.missing == 0 {
                let held = self.buf;
                let n = self.buffered;
                self.buffered = 0;
                self.make(&held[..n], out);
            }
        }
        if data.is_empty() {
            if enc == Encoding::Utf16le && self.buffered == 0 {
                // Nothing new; a pending surrogate stays pending.
            }
            return;
        }
        let n = data.len();
        match enc {
            Encoding::Utf8 if data[n - 1] & 0x80 != 0 => {
                let mut i = n - 1;
                loop {
                    self.buffered += 1;
                    if data[i] & 0xc0 == 0x80 {
                        if self.buffered >= 4 || i == 0 {
                            self.buffered = 0;
                            break;
                        }
                    } else {
                        let need = if data[i] & 0xe0 == 0xc0 {
                            2
                        } else if data[i] & 0xf0 == 0xe0 {
                            3
                        } else if data[i] & 0xf8 == 0xf0 {
                            4
                        } else {
                            self.buffered = 0;
                            break;
                        };
                        if self.buffered >= need {
                            self.buffered = 0;
                            self.missing = 0;
                        } else {
                            self.missing = need - self.buffered;
                        }
                        break;
                    }
                    i -= 1;
                }
            }
            Encoding::Utf16le => {
                if n % 2 == 1 {
                    self.buffered = 1;
                    self.missing = 1;
                } else if data[n - 1] & 0xfc == 0xd8 {
                    self.buffered = 2;
                    self.missing = 2;
                }
            }
            Encoding::Base64 | Encoding::Base64url => {
                self.buffered = n % 3;
                if self.buffered > 0 {
                    self.missing = 3 - self.buffered;
                }
            }
            _ => {}
        }
        let keep = self.buffered;
        self.buf[..keep].copy_from_slice(&data[n - keep..]);
        let body = &data[..n - keep];
        if !body.is_empty() {
            self.make(body, out);
        }
    }

    /// `decoder.end()`: flushes the held bytes (U+FFFD for an incomplete
    /// UTF-8 character, padded base64 for 1 or 2 bytes, nothing for an odd
    /// UTF-16 byte) and resets the decoder.
    pub fn end(&mut self) -> String {
        let mut out = String::new();
        self.flush_into(&mut Sink::Str(&mut out));
        out
    }

    /// `decoder.end(buffer)`: `write(data)` then `end()`, in one string.
    pub fn end_with(&mut self, data: &[u8]) -> String {
        let mut out = String::new();
        self.write_into(data, &mut Sink::Str(&mut out));
        self.flush_into(&mut Sink::Str(&mut out));
        out
    }

    /// `decoder.end()` as UTF-16 code units (see [`write_utf16`](StringDecoder::write_utf16)):
    /// a held high surrogate comes out alone, as Node's `end()` gives it.
    ///
    /// ```
    /// use rt_buffer::{Encoding, StringDecoder};
    /// // new StringDecoder('utf16le').end(Buffer.from([0x3d, 0xd8])) === '\uD83D'
    /// let mut d = StringDecoder::new(Encoding::Utf16le);
    /// assert_eq!(d.end_with_utf16(&[0x3d, 0xd8]), [0xd83d]);
    /// ```
    #[doc(alias = "end")]
    pub fn end_utf16(&mut self) -> Vec<u16> {
        let mut out = Vec::new();
        self.flush_into(&mut Sink::Units(&mut out));
        out
    }

    /// `decoder.end(buffer)` as UTF-16 code units: [`write_utf16`](StringDecoder::write_utf16)
    /// then [`end_utf16`](StringDecoder::end_utf16), in one run.
    #[doc(alias = "end")]
    pub fn end_with_utf16(&mut self, data: &[u8]) -> Vec<u16> {
        let mut out = Vec::new();
        self.write_into(data, &mut Sink::Units(&mut out));
        self.flush_into(&mut Sink::Units(&mut out));
        out
    }

    fn flush_into(&mut self, out: &mut Sink<'_>) {
        if self.encoding == Encoding::Utf16le && self.buffered % 2 == 1 {
            self.buffered -= 1;
            self.missing = self.missing.saturating_sub(1);
        }
        if self.buffered > 0 {
            let held = self.buf;
            let n = self.buffered;
            self.make(&held[..n], out);
        }
        if let Some(h) = self.pending_high.take() {
            match out {
                Sink::Str(s) => s.push('\u{fffd}'),
                Sink::Units(units) => units.push(h),
            }
        }
        self.buffered = 0;
        self.missing = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_split_and_flush() {
        let mut d = StringDecoder::new(Encoding::Utf8);
        let euro = "€".as_bytes();
        assert_eq!(d.write(&euro[..1]), "");
        assert_eq!(d.write(&euro[1..2]), "");
        assert_eq!(d.write(&euro[2..]), "€");
        assert_eq!(d.write(&[0xe2]), "");
        assert_eq!(d.write(b"A"), "\u{fffd}A");
        assert_eq!(d.write(&[0xf0, 0x9f]), "");
        assert_eq!(d.end(), "\u{fffd}");
        assert_eq!(d.end(), "");
    }

    #[test]
    fn utf16_surrogates_across_writes() {
        let mut d = StringDecoder::new(Encoding::Utf16le);
        let bytes: Vec<u8> = "😀".encode_utf16().flat_map(u16::to_le_bytes).collect();
        let mut all = String::new();
        for b in &bytes {
            all.push_str(&d.write(std::slice::from_ref(b)));
        }
        all.push_str(&d.end());
        assert_eq!(all, "😀");
        assert_eq!(d.end_with(&[0x3d, 0xd8]), "\u{fffd}");
        assert_eq!(d.end_with(&[0x61, 0x00, 0x62]), "a");
    }

    #[test]
    fn base64_groups() {
        let mut d = StringDecoder::new(Encoding::Base64);
        assert_eq!(d.write(b"ab"), "");
        assert_eq!(d.write(b"cd"), "YWJj");
        assert_eq!(d.end(), "ZA==");
    }
}
