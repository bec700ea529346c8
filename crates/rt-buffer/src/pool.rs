//! `alloc`, `alloc_unsafe` and Node's 8 KiB allocation pool.

use crate::buffer::{Buffer, MAX_LENGTH};
use crate::error::{Error, Result};
use crate::ops::format_received;
use crate::raw::pool_block::{self, BLOCK_SIZE};
use crate::recycle::Recycled;

/// Node's `Buffer.poolSize`: the size of the slab small buffers are carved from.
#[doc(alias = "poolSize")]
pub const POOL_SIZE: usize = BLOCK_SIZE;

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
    /// As in Node, the contents are unknown and may be old data: the bytes
    /// of buffers that were dropped earlier, never those of a buffer that is
    /// still alive, and never uninitialised memory (safe Rust cannot hand
    /// that out).
    ///
    /// - A buffer under `POOL_SIZE / 2` (4 KiB) is carved from a per-thread
    ///   8 KiB pool, as in Node, so a loop of small allocations does not call
    ///   the system allocator for each one. The pool is zeroed once, when it
    ///   is made, and reused in place once every buffer carved from it is
    ///   dropped, so these pieces hold zeros or the old bytes of dropped
    ///   pooled buffers. A pooled buffer is private
    ///   (written in place) until it is first shared, see [`Buffer`]'s notes
    ///   on mutation. Making and dropping one on the same thread takes no
    ///   atomic operation; it may be sent to and dropped on any thread.
    /// - A larger one reuses the memory of a large `alloc_unsafe` buffer this
    ///   thread dropped before (up to 4 blocks and 8 MiB are kept per thread,
    ///   and a block is reused for requests of half its size or more), so
    ///   it may hold that buffer's old bytes; the first time it is zeros. A
    ///   fresh 1 MiB `calloc` is a 1 MiB `memset` once glibc serves it from
    ///   the heap, which this avoids. Clones and views share the block in
    ///   O(1); it is recycled when the last of them is dropped.
    ///
    /// ```
    /// use rt_buffer::Buffer;
    /// let mut buf = Buffer::alloc_unsafe(4)?;
    /// buf.write_u32_be(0xdeadbeef, 0)?;
    /// assert_eq!(buf.to_string(rt_buffer::Encoding::Hex), "deadbeef");
    /// # Ok::<(), rt_buffer::Error>(())
    /// ```
    #[doc(alias = "allocUnsafe")]
    #[inline]
    pub fn alloc_unsafe(size: usize) -> Result<Buffer> {
        if size >= POOL_SIZE >> 1 {
            return Self::alloc_large(size);
        }
        Ok(Buffer::from_piece(pool_block::take(size)))
    }

    /// A large `alloc_unsafe` (out of line: the small path above is inlined
    /// into callers, so its result is built in their registers).
    #[inline(never)]
    fn alloc_large(size: usize) -> Result<Buffer> {
        check_size(size)?;
        Ok(Buffer::from_recycled(Recycled::new(size)))
    }

    /// `Buffer.allocUnsafeSlow(size)`: like [`alloc_unsafe`](Buffer::alloc_unsafe),
    /// never from the pool: under 4 KiB zeros, from 4 KiB on recycled memory
    /// of a dropped large `alloc_unsafe` buffer (or zeros).
    #[doc(alias = "allocUnsafeSlow")]
    pub fn alloc_unsafe_slow(size: usize) -> Result<Buffer> {
        if size >= POOL_SIZE >> 1 {
            check_size(size)?;
            return Ok(Buffer::from_recycled(Recycled::new(size)));
        }
        Buffer::alloc(size)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_buffers_come_from_one_pool() {
        // Start from a fresh pool so the pieces below are neighbours.
        pool_block::fresh_thread_pool();
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
    fn a_pooled_buffer_leaves_as_bytes_mut_only_by_copy() {
        // Its spare capacity must not reach code outside the crate while the
        // pool block is reused in place (see `raw::pool_block`).
        let mut a = Buffer::alloc_unsafe(16).unwrap();
        a.as_mut_slice().fill(5);
        let p = a.as_ptr();
        let m = bytes::BytesMut::from(a);
        assert_ne!(m.as_ptr(), p, "copied while the pool holds the block");
        assert_eq!(m[..], [5; 16]);
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
