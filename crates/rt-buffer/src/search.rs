//! `indexOf`, `lastIndexOf` and `includes`, with Node's offset rules.

use memchr::memmem;

use crate::buffer::Buffer;
use crate::encoding::Encoding;

/// What to look for: a byte, a string (encoded in the search's encoding), or bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Needle<'a> {
    /// A number: Node keeps its low 8 bits.
    Byte(u8),
    /// A string, encoded in the encoding given to the search.
    Str(&'a str),
    /// A byte sequence (`Buffer` / `Uint8Array` needle).
    Bytes(&'a [u8]),
}

crate::value_from::value_from_impls!(Needle);

/// Node's `IndexOfOffset`: where a search starts, or `None` when no search is needed.
fn index_of_offset(len: usize, offset: i64, needle_len: usize, forward: bool) -> Option<usize> {
    let len_i = len as i64;
    let needle_i = needle_len as i64;
    if offset < 0 {
        if offset + len_i >= 0 {
            Some((len_i + offset) as usize)
        } else if forward || needle_len == 0 {
            Some(0)
        } else {
            None
        }
    } else if offset + needle_i <= len_i {
        Some(offset as usize)
    } else if needle_len == 0 {
        Some(len)
    } else if forward {
        None
    } else {
        len.checked_sub(1)
    }
}

/// Node's `SearchString` on bytes: the first match at or after `start`
/// (forward) or the last match at or before `start` (backward).
fn search_bytes(hay: &[u8], needle: &[u8], start: usize, forward: bool) -> Option<usize> {
    if hay.len() < needle.len() {
        return None;
    }
    let diff = hay.len() - needle.len();
    if forward {
        if start > diff {
            return None;
        }
        if needle.len() == 1 {
            return memchr::memchr(needle[0], &hay[start..]).map(|i| i + start);
        }
        find_adaptive(&hay[start..], needle).map(|i| i + start)
    } else {
        let last = start.min(diff);
        let window = &hay[..last + needle.len()];
        if needle.len() == 1 {
            return memchr::memrchr(needle[0], window);
        }
        memmem::rfind(window, needle)
    }
}

/// Forward search as V8's string search does it: candidates by `memchr` on
/// the needle's first byte (the fastest scan there is when that byte is
/// rare), moving to `memmem` (Two-Way with a SIMD prefilter) as soon as
/// false candidates show the first byte is common.
fn find_adaptive(hay: &[u8], needle: &[u8]) -> Option<usize> {
    let last = hay.len().checked_sub(needle.len())?;
    let first = needle[0];
    let mut pos = 0;
    let mut misses = 0usize;
    while pos <= last {
        let i = pos + memchr::memchr(first, &hay[pos..=last])?;
        if &hay[i..i + needle.len()] == needle {
            return Some(i);
        }
        pos = i + 1;
        misses += 1;
        if misses > 8 + pos / 256 {
            return memmem::find(&hay[pos..], needle).map(|j| j + pos);
        }
    }
    None
}

/// `SearchString` on UTF-16 code units (ucs2 searches): matches only at even byte offsets.
fn search_units(hay: &[u8], needle: &[u8], start_unit: usize, forward: bool) -> Option<usize> {
    let hay_units = hay.len() / 2;
    let needle_units = needle.len() / 2;
    if hay_units < needle_units || needle_units == 0 {
        return None;
    }
    let diff = hay_units - needle_units;
    let needle = &needle[..needle_units * 2];
    let matches = |u: usize| &hay[2 * u..2 * u + needle.len()] == needle;
    if forward {
        (start_unit..=diff).find(|&u| matches(u)).map(|u| u * 2)
    } else {
        (0..=start_unit.min(diff))
            .rev()
            .find(|&u| matches(u))
            .map(|u| u * 2)
    }
}

impl Buffer {
    fn index_of_impl(
        &self,
        needle: Needle<'_>,
        byte_offset: Option<i64>,
        encoding: Encoding,
        forward: bool,
    ) -> Option<usize> {
        let byte_offset = byte_offset
            .map(|o| o.clamp(-0x8000_0000, 0x7fff_ffff))
            .unwrap_or(if forward { 0 } else { self.len() as i64 });
        let owned;
        let (needle_bytes, ucs2): (&[u8], bool) = match needle {
            Needle::Byte(b) => {
                let at = index_of_offset(self.len(), byte_offset, 1, forward)?;
                if self.is_empty() {
                    return None;
                }
                return if forward {
                    memchr::memchr(b, &self[at..]).map(|i| i + at)
                } else {
                    memchr::memrchr(b, &self[..=at])
                };
            }
            Needle::Str(s) => {
                owned = encoding.encode(s);
                (&owned[..], encoding == Encoding::Utf16le)
            }
            Needle::Bytes(b) => (b, encoding == Encoding::Utf16le),
        };
        // ucs2 string searches see the buffer rounded down to whole code units.
        let hay_len = if ucs2 && matches!(needle, Needle::Str(_)) {
            self.len() & !1
        } else {
            self.len()
        };
        let hay = &self[..hay_len];
        let at = index_of_offset(hay_len, byte_offset, needle_bytes.len(), forward);
        if needle_bytes.is_empty() {
            return at;
        }
        let at = at?;
        if hay_len == 0 || (forward && needle_bytes.len() + at > hay_len) || needle_bytes.len() > hay_len {
            return None;
        }
        if ucs2 {
            if hay_len < 2 || needle_bytes.len() < 2 {
                return None;
            }
            // Node compares the unit search's "not found" (units * 2) with the
            // byte length: for an odd-length haystack they differ, and Node
            // returns len - 1. Kept for byte-for-byte parity.
            search_units(hay, needle_bytes, at / 2, forward).or((hay_len % 2 == 1).then(|| hay_len - 1))
        } else {
            search_bytes(hay, needle_bytes, at, forward)
        }
    }

    /// `buf.indexOf(value)`: the first position of `value` (strings as utf8).
    ///
    /// ```
    /// use rt_buffer::Buffer;
    /// let buf = Buffer::from("this is a buffer");
    /// assert_eq!(buf.index_of("is"), Some(2));
    /// assert_eq!(buf.index_of(b'a'), Some(8));
    /// assert_eq!(buf.index_of(&Buffer::from("a buffer")), Some(8));
    /// assert_eq!(buf.index_of("nope"), None);
    /// ```
    #[doc(alias = "indexOf")]
    pub fn index_of<'a>(&self, value: impl Into<Needle<'a>>) -> Option<usize> {
        self.index_of_impl(value.into(), None, Encoding::Utf8, true)
    }

    /// `buf.indexOf(value, byteOffset, encoding)`: searches from
    /// `byte_offset` (negative counts from the end; before the start means
    /// the whole buffer). An empty needle matches at the clamped offset.
    #[doc(alias = "indexOf")]
    pub fn index_of_from<'a>(
        &self,
        value: impl Into<Needle<'a>>,
        byte_offset: i64,
        encoding: Encoding,
    ) -> Option<usize> {
        self.index_of_impl(value.into(), Some(byte_offset), encoding, true)
    }

    /// `buf.lastIndexOf(value)`: the last position of `value`.
    #[doc(alias = "lastIndexOf")]
    pub fn last_index_of<'a>(&self, value: impl Into<Needle<'a>>) -> Option<usize> {
        self.index_of_impl(value.into(), None, Encoding::Utf8, false)
    }

    /// `buf.lastIndexOf(value, byteOffset, encoding)`: the last match that
    /// starts at or before `byte_offset` (negative counts from the end).
    #[doc(alias = "lastIndexOf")]
    pub fn last_index_of_from<'a>(
        &self,
        value: impl Into<Needle<'a>>,
        byte_offset: i64,
        encoding: Encoding,
    ) -> Option<usize> {
        self.index_of_impl(value.into(), Some(byte_offset), encoding, false)
    }

    /// `buf.includes(value)`.
    pub fn includes<'a>(&self, value: impl Into<Needle<'a>>) -> bool {
        self.index_of(value).is_some()
    }

    /// `buf.includes(value, byteOffset, encoding)`.
    #[doc(alias = "includes")]
    pub fn includes_from<'a>(
        &self,
        value: impl Into<Needle<'a>>,
        byte_offset: i64,
        encoding: Encoding,
    ) -> bool {
        self.index_of_from(value, byte_offset, encoding).is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adaptive_search_agrees_with_naive() {
        let mut x = 12345u32;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x
        };
        for round in 0..2_000 {
            let alphabet = 1 + (round % 4) as u32;
            let hay: Vec<u8> = (0..(next() % 3000)).map(|_| (next() % alphabet) as u8).collect();
            let needle: Vec<u8> = (0..1 + next() % 6).map(|_| (next() % alphabet) as u8).collect();
            let naive = hay.windows(needle.len()).position(|w| w == &needle[..]);
            assert_eq!(find_adaptive(&hay, &needle), naive);
        }
    }

    #[test]
    fn offsets() {
        let b = Buffer::from("abcabc");
        assert_eq!(b.index_of_from("bc", 2, Encoding::Utf8), Some(4));
        assert_eq!(b.index_of_from("bc", -2, Encoding::Utf8), Some(4));
        assert_eq!(b.index_of_from("bc", -100, Encoding::Utf8), Some(1));
        assert_eq!(b.index_of_from("bc", 5, Encoding::Utf8), None);
        assert_eq!(b.last_index_of("bc"), Some(4));
        assert_eq!(b.last_index_of_from("bc", 3, Encoding::Utf8), Some(1));
        assert_eq!(b.last_index_of_from("bc", -100, Encoding::Utf8), None);
        assert_eq!(b.index_of_from("", 100, Encoding::Utf8), Some(6));
        assert_eq!(b.index_of_from("6263", 0, Encoding::Hex), Some(1));
        let u = Buffer::from_str("aXbX", Encoding::Utf16le);
        assert_eq!(u.index_of_from("X", 0, Encoding::Utf16le), Some(2));
        assert_eq!(u.last_index_of_from("X", 7, Encoding::Utf16le), Some(6));
    }
}
