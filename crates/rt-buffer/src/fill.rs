//! `buf.fill` and `Buffer.alloc(size, fill, encoding)`.

use crate::buffer::Buffer;
use crate::encoding::Encoding;
use crate::error::{Error, Result};
use crate::ops::{inspect_str, validate_offset};
use crate::{MAX_LENGTH, pool::check_size};

/// A value to fill a buffer with: a byte, a string (in an encoding), or bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fill<'a> {
    /// A number: Node keeps its low 8 bits.
    Byte(u8),
    /// A string, encoded in the encoding given to the fill.
    Str(&'a str),
    /// A byte pattern (`Buffer` / `Uint8Array` fill value).
    Bytes(&'a [u8]),
}

crate::value_from::value_from_impls!(Fill);

/// Fills `dst` with `pattern` repeated (the last copy cut short), by doubling.
fn repeat_into(dst: &mut [u8], pattern: &[u8]) {
    let n = pattern.len().min(dst.len());
    dst[..n].copy_from_slice(&pattern[..n]);
    let mut filled = n;
    while filled < dst.len() {
        let take = filled.min(dst.len() - filled);
        dst.copy_within(..take, filled);
        filled += take;
    }
}

impl Buffer {
    /// `Buffer.alloc(size, fill, encoding)`: `size` bytes filled with `fill`.
    ///
    /// A string or byte pattern that encodes to no bytes (`'zz'` in hex, an
    /// empty buffer) fails with `ERR_INVALID_ARG_VALUE`; an empty string
    /// fills with zeros, as in Node.
    ///
    /// ```
    /// use rt_buffer::{Buffer, Encoding};
    /// // Buffer.alloc(5, 'ab')
    /// assert_eq!(Buffer::alloc_fill(5, "ab", Encoding::Utf8)?, "ababa");
    /// assert_eq!(Buffer::alloc_fill(3, 0x41u8, Encoding::Utf8)?, "AAA");
    /// # Ok::<(), rt_buffer::Error>(())
    /// ```
    #[doc(alias = "alloc")]
    pub fn alloc_fill<'a>(size: usize, fill: impl Into<Fill<'a>>, encoding: Encoding) -> Result<Buffer> {
        check_size(size)?;
        let mut v = vec![0u8; size];
        if size > 0 {
            fill_slice(&mut v, fill.into(), encoding)?;
        }
        Ok(Buffer::from(v))
    }

    /// `buf.fill(value)`: fills the whole buffer (strings as utf8).
    pub fn fill<'a>(&mut self, value: impl Into<Fill<'a>>) -> Result<&mut Buffer> {
        self.fill_with(value, 0, None, Encoding::Utf8)
    }

    /// `buf.fill(value, offset, end, encoding)`: fills `offset..end`
    /// (`end` defaults to the length) with `value` repeated; a multi-byte
    /// pattern is cut where the range ends.
    ///
    /// `offset` outside `0..=2^32` or `end` outside `0..=len` fail with
    /// `ERR_OUT_OF_RANGE`; `offset >= end` fills nothing. A pattern that
    /// encodes to no bytes fails with `ERR_INVALID_ARG_VALUE`.
    ///
    /// ```
    /// use rt_buffer::{Buffer, Encoding};
    /// let mut buf = Buffer::alloc(6)?;
    /// // buf.fill('€', 1, 5)
    /// buf.fill_with("€", 1, Some(5), Encoding::Utf8)?;
    /// assert_eq!(buf.to_string(Encoding::Hex), "00e282ace200");
    /// # Ok::<(), rt_buffer::Error>(())
    /// ```
    pub fn fill_with<'a>(
        &mut self,
        value: impl Into<Fill<'a>>,
        offset: i64,
        end: Option<i64>,
        encoding: Encoding,
    ) -> Result<&mut Buffer> {
        let len = self.len();
        let offset = validate_offset(offset, "offset", MAX_LENGTH)?;
        let end = match end {
            Some(e) => validate_offset(e, "end", len)?,
            None => len,
        };
        if offset >= end {
            return Ok(self);
        }
        let value = value.into();
        // Check the pattern before touching (and possibly copying) memory.
        let pattern = pattern_of(value, encoding)?;
        self.with_mut(|b| match pattern {
            Pattern::Byte(x) => b[offset..end].fill(x),
            Pattern::Bytes(p) => repeat_into(&mut b[offset..end], &p),
        });
        Ok(self)
    }
}

enum Pattern {
    Byte(u8),
    Bytes(Vec<u8>),
}

fn pattern_of(value: Fill<'_>, encoding: Encoding) -> Result<Pattern> {
    Ok(match value {
        Fill::Byte(x) => Pattern::Byte(x),
        Fill::Str("") => Pattern::Byte(0),
        Fill::Str(s) => {
            let p = encoding.encode(s);
            match p.len() {
                0 => return Err(Error::invalid_arg_value("value", inspect_str(s))),
                1 => Pattern::Byte(p[0]),
                _ => Pattern::Bytes(p),
            }
        }
        Fill::Bytes(b) => match b.len() {
            0 => {
                return Err(Error::invalid_arg_value(
                    "value",
                    format!("{:?}", Buffer::from(b)),
                ));
            }
            1 => Pattern::Byte(b[0]),
            _ => Pattern::Bytes(b.to_vec()),
        },
    })
}

fn fill_slice(dst: &mut [u8], value: Fill<'_>, encoding: Encoding) -> Result<()> {
    match pattern_of(value, encoding)? {
        Pattern::Byte(x) => dst.fill(x),
        Pattern::Bytes(p) => repeat_into(dst, &p),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_repeat_and_cut() {
        let mut b = Buffer::alloc(7).unwrap();
        b.fill("abc").unwrap();
        assert_eq!(b, "abcabca");
        b.fill_with(&b"xy"[..], 2, Some(5), Encoding::Utf8).unwrap();
        assert_eq!(b, "abxyxca");
        b.fill_with("6162", 0, Some(3), Encoding::Hex).unwrap();
        assert_eq!(b, "abayxca");
        let e = b.fill_with("zz", 0, None, Encoding::Hex).unwrap_err();
        assert_eq!(e.code(), "ERR_INVALID_ARG_VALUE");
        assert_eq!(e.to_string(), "The argument 'value' is invalid. Received 'zz'");
        let e = b.fill_with(&b""[..], 0, None, Encoding::Utf8).unwrap_err();
        assert_eq!(
            e.to_string(),
            "The argument 'value' is invalid. Received <Buffer >"
        );
        assert_eq!(
            b.fill_with(1u8, 0, Some(8), Encoding::Utf8).unwrap_err().code(),
            "ERR_OUT_OF_RANGE"
        );
        assert_eq!(
            b.fill_with(1u8, -1, None, Encoding::Utf8).unwrap_err().code(),
            "ERR_OUT_OF_RANGE"
        );
        b.fill("").unwrap();
        assert_eq!(b, vec![0u8; 7]);
    }
}
