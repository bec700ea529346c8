//! `alloc`, `alloc_unsafe` and Node's 8 KiB allocation pool.

use std::cell::RefCell;

use bytes::BytesMut;

use crate::buffer::{Buffer, MAX_LENGTH};
use crate::error::{Error, Result};
use crate::ops::format_received;

/// Node's `Buffer.poolSize`: the size of the slab small buffers are carved from.
#[doc(alias = "poolSize")]
pub const POOL_SIZE: usize = 8 * 1024;

thread_local! {
    static POOL: RefCell<BytesMut> = RefCell::new(BytesMut::new());
}

pub(crate) fn check_size(size: usize) -> Result<()> {
    if size > MAX_LENGTH {
        return Err(Error::out_of_range(
            "size",
            &format!(">= 0 && <= {MAX_LENGTH}"),
            format_received(size as f64),
        ));
    }
    Ok(())
}

impl Buffer {
    /// `Buffer.alloc(size)`: `size` zero bytes.
    ///
    /// Fails with `ERR_OUT_OF_RANGE` over [`MAX_LENGTH`].
    pub fn alloc(size: usize) -> Result<Buffer> {
        check_size(size)?;
        Ok(Buffer::from(vec![0u8; size]))
    }

    /// `Buffer.allocUnsafe(size)`: a buffer whose contents the caller will
    /// overwrite.
    ///
    /// As in Node, a buffer under `POOL_SIZE / 2` (4 KiB) is carved from a
    /// per-thread 8 KiB pool, so a loop of small allocations does not call the
    /// system allocator for each one; larger ones are allocated alone. Safe
    /// Rust cannot hand out uninitialised memory, so the bytes are zeros (the
    /// pool is zeroed once, when it is made), where Node leaves old data.
    ///
    /// A pooled buffer is private (written in place) until it is first
    /// shared, see [`Buffer`]'s notes on mutation.
    ///
    /// ```
    /// use rt_buffer::Buffer;
    /// let mut buf = Buffer::alloc_unsafe(4)?;
    /// buf.write_u32_be(0xdeadbeef, 0)?;
    /// assert_eq!(buf.to_string(rt_buffer::Encoding::Hex), "deadbeef");
    /// # Ok::<(), rt_buffer::Error>(())
    /// ```
    #[doc(alias = "allocUnsafe")]
    pub fn alloc_unsafe(size: usize) -> Result<Buffer> {
        if size >= POOL_SIZE >> 1 {
            check_size(size)?;
            return Ok(Buffer::from(vec![0u8; size]));
        }
        Ok(POOL.with(|pool| {
            let mut pool = pool.borrow_mut();
            if pool.len() < size {
                *pool = BytesMut::zeroed(POOL_SIZE);
            }
            let piece = pool.split_to(size);
            // Node keeps pool offsets 8-byte aligned.
            let pad = (8 - size % 8) % 8;
            if pad > 0 && pool.len() >= pad {
                let _ = pool.split_to(pad);
            }
            Buffer::from_unique(piece)
        }))
    }

    /// `Buffer.allocUnsafeSlow(size)`: like [`alloc_unsafe`](Buffer::alloc_unsafe),
    /// never from the pool.
    #[doc(alias = "allocUnsafeSlow")]
    pub fn alloc_unsafe_slow(size: usize) -> Result<Buffer> {
        Buffer::alloc(size)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_buffers_come_from_one_pool() {
        // Start from a fresh pool so the pieces below are neighbours.
        POOL.with(|p| *p.borrow_mut() = BytesMut::zeroed(POOL_SIZE));
        let a = Buffer::alloc_unsafe(16).unwrap();
        let b = Buffer::alloc_unsafe(10).unwrap();
        let c = Buffer::alloc_unsafe(8).unwrap();
        assert_eq!(b.as_ptr() as usize - a.as_ptr() as usize, 16);
        assert_eq!(c.as_ptr() as usize - b.as_ptr() as usize, 16, "8-aligned");
        let big = Buffer::alloc_unsafe(POOL_SIZE / 2).unwrap();
        assert_eq!(big.len(), POOL_SIZE / 2);
        assert!(Buffer::alloc_unsafe(MAX_LENGTH + 1).is_err());
    }

    #[test]
    fn pooled_buffers_are_written_in_place_until_shared() {
        let mut a = Buffer::alloc_unsafe(32).unwrap();
        let p = a.as_ptr();
        a.as_mut_slice()[0] = 1;
        a.write_u8(2, 1).unwrap();
        assert_eq!(a.as_ptr(), p, "private pooled buffer is written in place");
        let copy = a.clone();
        assert_ne!(copy.as_ptr(), p, "cloning a private pooled buffer copies");
        a.freeze();
        assert_eq!(a.as_ptr(), p);
        let shared = a.clone();
        assert_eq!(shared.as_ptr(), p, "after freeze, clones share");
        a.write_u8(3, 0).unwrap();
        assert_eq!(shared[0], 1, "writes after sharing are copy-on-write");
        assert_eq!(a[..2], [3, 2]);
    }

    #[test]
    fn alloc_zeroes_and_checks_size() {
        assert_eq!(Buffer::alloc(3).unwrap(), vec![0u8; 3]);
        let e = Buffer::alloc(MAX_LENGTH + 1).unwrap_err();
        assert_eq!(e.code(), "ERR_OUT_OF_RANGE");
        assert_eq!(
            e.to_string(),
            "The value of \"size\" is out of range. It must be >= 0 && <= 4294967296. Received 4_294_967_297"
        );
    }
}
