//! `swap16`, `swap32`, `swap64`: byte order reversal in place.

use crate::buffer::Buffer;
use crate::error::{Error, Result};

impl Buffer {
    fn swap(&mut self, size: usize) -> Result<&mut Buffer> {
        if !self.len().is_multiple_of(size) {
            return Err(Error::invalid_buffer_size(size as u32 * 8));
        }
        self.with_mut(|b| b.chunks_exact_mut(size).for_each(<[u8]>::reverse));
        Ok(self)
    }

    /// `buf.swap16()`: swaps the byte order of each 16-bit unit, in place.
    ///
    /// A length that is not a multiple of 2 fails with `ERR_INVALID_BUFFER_SIZE`.
    pub fn swap16(&mut self) -> Result<&mut Buffer> {
        self.swap(2)
    }

    /// `buf.swap32()`: swaps the byte order of each 32-bit unit, in place.
    pub fn swap32(&mut self) -> Result<&mut Buffer> {
        self.swap(4)
    }

    /// `buf.swap64()`: swaps the byte order of each 64-bit unit, in place.
    pub fn swap64(&mut self) -> Result<&mut Buffer> {
        self.swap(8)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn swaps() {
        let mut b = Buffer::from(vec![1u8, 2, 3, 4, 5, 6, 7, 8]);
        b.swap16().unwrap();
        assert_eq!(b, vec![2u8, 1, 4, 3, 6, 5, 8, 7]);
        b.swap32().unwrap();
        assert_eq!(b, vec![3u8, 4, 1, 2, 7, 8, 5, 6]);
        b.swap64().unwrap();
        assert_eq!(b, vec![6u8, 5, 8, 7, 2, 1, 4, 3]);
        let e = Buffer::alloc(5).unwrap().swap32().unwrap_err();
        assert_eq!(e.code(), "ERR_INVALID_BUFFER_SIZE");
        assert_eq!(e.to_string(), "Buffer size must be a multiple of 32-bits");
    }
}
