//! `buf.write(string, offset, length, encoding)`.

use crate::buffer::Buffer;
use crate::encoding::{Encoding, encode_latin1};
use crate::error::Result;
use crate::ops::validate_offset;

/// The longest prefix of `s` whose UTF-8 fits in `max` bytes (whole characters only).
fn utf8_prefix(s: &str, max: usize) -> &[u8] {
    if s.len() <= max {
        return s.as_bytes();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s.as_bytes()[..end]
}

impl Buffer {
    /// `buf.write(string, offset, length, encoding)`: writes `string`
    /// encoded at `offset`, at most `length` bytes (default: to the end);
    /// returns the number of bytes written.
    ///
    /// utf8 never writes part of a character; utf16le writes whole code
    /// units (so, like Node, it may write half of a surrogate pair); hex and
    /// base64 write the decoded prefix that fits. `offset` and `length`
    /// outside `0..=len` fail with `ERR_OUT_OF_RANGE`.
    ///
    /// ```
    /// use rt_buffer::{Buffer, Encoding};
    /// let mut buf = Buffer::alloc(5)?;
    /// // buf.write('a€€', 0) -> 4: the second '€' does not fit
    /// assert_eq!(buf.write("a€€", 0, None, Encoding::Utf8)?, 4);
    /// assert_eq!(buf.write("ff", 4, None, Encoding::Hex)?, 1);
    /// assert_eq!(buf.to_string(Encoding::Hex), "61e282acff");
    /// # Ok::<(), rt_buffer::Error>(())
    /// ```
    pub fn write(
        &mut self,
        string: &str,
        offset: i64,
        length: Option<i64>,
        encoding: Encoding,
    ) -> Result<usize> {
        let len = self.len();
        let offset = validate_offset(offset, "offset", len)?;
        let remaining = len - offset;
        let max = match length {
            Some(l) => validate_offset(l, "length", len)?.min(remaining),
            None => remaining,
        };
        if max == 0 {
            return Ok(0);
        }
        let owned;
        let bytes: &[u8] = match encoding {
            Encoding::Utf8 => utf8_prefix(string, max),
            Encoding::Utf16le => {
                let units = max / 2;
                owned = string
                    .encode_utf16()
                    .take(units)
                    .flat_map(u16::to_le_bytes)
                    .collect::<Vec<u8>>();
                &owned
            }
            Encoding::Latin1 | Encoding::Ascii => {
                owned = if string.is_ascii() {
                    string.as_bytes()[..string.len().min(max)].to_vec()
                } else {
                    let mut v = encode_latin1(string);
                    v.truncate(max);
                    v
                };
                &owned
            }
            Encoding::Base64 | Encoding::Base64url | Encoding::Hex => {
                let mut v = encoding.encode(string);
                v.truncate(max);
                owned = v;
                &owned
            }
        };
        let n = bytes.len();
        if n > 0 {
            self.with_mut(|b| b[offset..offset + n].copy_from_slice(bytes));
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_splits_utf8() {
        let mut b = Buffer::alloc(3).unwrap();
        assert_eq!(b.write("😀", 0, None, Encoding::Utf8).unwrap(), 0);
        let mut b = Buffer::alloc(2).unwrap();
        assert_eq!(b.write("😀", 0, None, Encoding::Utf16le).unwrap(), 2);
        assert_eq!(b, &[0x3d, 0xd8][..]);
        assert_eq!(
            b.write("x", 3, None, Encoding::Utf8).unwrap_err().code(),
            "ERR_OUT_OF_RANGE"
        );
        assert_eq!(
            b.write("x", 0, Some(3), Encoding::Utf8).unwrap_err().code(),
            "ERR_OUT_OF_RANGE"
        );
        assert_eq!(b.write("xyz", 1, Some(2), Encoding::Latin1).unwrap(), 1);
        assert_eq!(b, &[0x3d, b'x'][..]);
    }
}
