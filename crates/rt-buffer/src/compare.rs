//! `equals`, `compare` and `copy`.

use std::cmp::Ordering;

use crate::buffer::{Buffer, MAX_LENGTH};
use crate::error::{Error, Result};
use crate::ops::{format_received, validate_offset};

impl Buffer {
    /// `buf.equals(other)`: the same bytes.
    pub fn equals(&self, other: &[u8]) -> bool {
        self.as_slice() == other
    }

    /// `Buffer.compare(a, b)` / `buf.compare(target)`: byte-wise order
    /// (`Less` is Node's -1), a shorter prefix first.
    ///
    /// ```
    /// use rt_buffer::Buffer;
    /// use std::cmp::Ordering;
    /// assert_eq!(Buffer::compare(&Buffer::from("a"), &Buffer::from("b")), Ordering::Less);
    /// ```
    pub fn compare(&self, target: &[u8]) -> Ordering {
        self.as_slice().cmp(target)
    }

    /// `buf.compare(target, targetStart, targetEnd, sourceStart, sourceEnd)`:
    /// compares `self[source_start..source_end]` with
    /// `target[target_start..target_end]`.
    ///
    /// Starts outside `0..=2^32` and ends outside `0..=len` fail with
    /// `ERR_OUT_OF_RANGE`; an empty range sorts first.
    #[doc(alias = "compare")]
    pub fn compare_range(
        &self,
        target: &[u8],
        target_start: i64,
        target_end: i64,
        source_start: i64,
        source_end: i64,
    ) -> Result<Ordering> {
        let ts = validate_offset(target_start, "targetStart", MAX_LENGTH)?;
        let te = validate_offset(target_end, "targetEnd", target.len())?;
        let ss = validate_offset(source_start, "sourceStart", MAX_LENGTH)?;
        let se = validate_offset(source_end, "sourceEnd", self.len())?;
        if ss >= se {
            return Ok(if ts >= te { Ordering::Equal } else { Ordering::Less });
        }
        if ts >= te {
            return Ok(Ordering::Greater);
        }
        Ok(self[ss..se].cmp(&target[ts..te]))
    }

    /// `buf.copy(target, targetStart, sourceStart, sourceEnd)`: copies
    /// `self[source_start..source_end]` into `target` at `target_start`, as
    /// much as fits; returns the number of bytes copied.
    ///
    /// A negative `target_start` or `source_end`, or a `source_start` outside
    /// `0..=len`, fails with `ERR_OUT_OF_RANGE`.
    ///
    /// ```
    /// use rt_buffer::Buffer;
    /// let src = Buffer::from("abcdef");
    /// let mut dst = Buffer::alloc(4)?;
    /// assert_eq!(src.copy(&mut dst, 1, 2, 6)?, 3);
    /// assert_eq!(dst, &b"\0cde"[..]);
    /// # Ok::<(), rt_buffer::Error>(())
    /// ```
    pub fn copy(
        &self,
        target: &mut Buffer,
        target_start: i64,
        source_start: i64,
        source_end: i64,
    ) -> Result<usize> {
        let (ts, ss, se) = copy_range(self.len(), target.len(), target_start, source_start, source_end)?;
        if se == ss {
            return Ok(0);
        }
        target.with_mut(|t| t[ts..ts + (se - ss)].copy_from_slice(&self[ss..se]));
        Ok(se - ss)
    }

    /// `buf.copy(buf, targetStart, sourceStart, sourceEnd)`: the same within
    /// one buffer (the ranges may overlap).
    #[doc(alias = "copy")]
    pub fn copy_within(&mut self, target_start: i64, source_start: i64, source_end: i64) -> Result<usize> {
        let len = self.len();
        let (ts, ss, se) = copy_range(len, len, target_start, source_start, source_end)?;
        if se == ss {
            return Ok(0);
        }
        self.with_mut(|b| b.copy_within(ss..se, ts));
        Ok(se - ss)
    }
}

/// Node's `_copy` argument rules; returns (target_start, source_start, source_end)
/// with the source range cut to what fits.
fn copy_range(
    source_len: usize,
    target_len: usize,
    target_start: i64,
    source_start: i64,
    source_end: i64,
) -> Result<(usize, usize, usize)> {
    if target_start < 0 {
        return Err(Error::out_of_range(
            "targetStart",
            ">= 0",
            format_received(target_start as f64),
        ));
    }
    if source_start < 0 || source_start as u64 > source_len as u64 {
        return Err(Error::out_of_range(
            "sourceStart",
            &format!(">= 0 && <= {source_len}"),
            format_received(source_start as f64),
        ));
    }
    if source_end < 0 {
        return Err(Error::out_of_range(
            "sourceEnd",
            ">= 0",
            format_received(source_end as f64),
        ));
    }
    let ts = usize::try_from(target_start).unwrap_or(usize::MAX);
    let ss = source_start as usize;
    let se = usize::try_from(source_end).unwrap_or(usize::MAX);
    if ts >= target_len || ss >= se {
        return Ok((0, 0, 0));
    }
    let n = (se - ss).min(target_len - ts).min(source_len - ss);
    Ok((ts, ss, ss + n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_and_compare() {
        let src = Buffer::from("abcdef");
        let mut dst = Buffer::alloc(3).unwrap();
        assert_eq!(src.copy(&mut dst, 0, 0, 100).unwrap(), 3);
        assert_eq!(dst, "abc");
        assert_eq!(src.copy(&mut dst, 5, 0, 6).unwrap(), 0);
        assert_eq!(
            src.copy(&mut dst, -1, 0, 6).unwrap_err().code(),
            "ERR_OUT_OF_RANGE"
        );
        let mut b = Buffer::from("abcdef");
        assert_eq!(b.copy_within(1, 0, 3).unwrap(), 3);
        assert_eq!(b, "aabcef");
        let t = Buffer::from("xbcx");
        assert_eq!(src.compare_range(&t, 1, 3, 1, 3).unwrap(), Ordering::Equal);
        assert_eq!(src.compare_range(&t, 1, 1, 1, 3).unwrap(), Ordering::Greater);
        assert_eq!(
            src.compare_range(&t, 0, 5, 0, 1).unwrap_err().code(),
            "ERR_OUT_OF_RANGE"
        );
        assert!(src.equals(b"abcdef"));
    }
}
