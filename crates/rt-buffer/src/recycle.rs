//! Memory of dropped large `alloc_unsafe` buffers, kept per thread for the
//! next large `alloc_unsafe` (Node's contract for `allocUnsafe`: the contents
//! are unknown and may be old data).
//!
//! Why: a fresh `vec![0u8; n]` of 1 MiB is a `calloc` that glibc serves from
//! the heap once its dynamic mmap threshold has risen past 1 MiB (after the
//! first `free` of such a block), and `calloc` then clears the whole block:
//! callgrind shows 99.9% of a 1 MiB `alloc_unsafe` in `memset`. A recycled
//! block is memory a dropped buffer already initialised, so handing it out
//! again is both free and sound: no byte is uninitialised, and only memory
//! that no live buffer can reach comes back (a [`Slab`] returns to the cache
//! from its own `Drop`, when the last handle on it is gone).

use std::cell::RefCell;
use std::sync::Arc;

use bytes::Bytes;

/// Blocks at most this large are kept (larger ones go back to the allocator).
const MAX_CACHED_BYTES: usize = 8 << 20;
/// At most this many blocks are kept per thread.
const MAX_CACHED_BLOCKS: usize = 4;

thread_local! {
    static CACHE: RefCell<Vec<Vec<u8>>> = const { RefCell::new(Vec::new()) };
}

/// One recyclable block: every byte of the `Vec` is initialised (it is the
/// `Vec`'s length). Dropping it gives the block to this thread's cache.
pub(crate) struct Slab(Vec<u8>);

impl Drop for Slab {
    fn drop(&mut self) {
        let block = std::mem::take(&mut self.0);
        // During thread teardown the cache is gone: the block is just freed.
        let _ = CACHE.try_with(|cache| {
            if let Ok(mut cache) = cache.try_borrow_mut() {
                give(&mut cache, block);
            }
        });
    }
}

impl AsRef<[u8]> for Slab {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

/// Keeps `block` unless it is too large; the oldest blocks make room.
fn give(cache: &mut Vec<Vec<u8>>, block: Vec<u8>) {
    if block.len() > MAX_CACHED_BYTES || block.is_empty() {
        return;
    }
    let mut total: usize = cache.iter().map(Vec::len).sum();
    while !cache.is_empty() && (cache.len() >= MAX_CACHED_BLOCKS || total + block.len() > MAX_CACHED_BYTES) {
        total -= cache.remove(0).len();
    }
    cache.push(block);
}

/// A block of at least `size` bytes (and at most twice that, so a small
/// request does not pin a large block): a recycled one, else a zeroed one.
fn take(size: usize) -> Slab {
    let reused = CACHE
        .try_with(|cache| {
            let mut cache = cache.try_borrow_mut().ok()?;
            let at = cache
                .iter()
                .rposition(|b| b.len() >= size && b.len() / 2 <= size)?;
            Some(cache.swap_remove(at))
        })
        .ok()
        .flatten();
    Slab(reused.unwrap_or_else(|| vec![0u8; size]))
}

/// A buffer's view on a recyclable block: bytes `start..end` of it.
#[derive(Clone)]
pub(crate) struct Recycled {
    slab: Arc<Slab>,
    start: usize,
    end: usize,
}

impl Recycled {
    /// `size` bytes of recycled (or, the first time, zeroed) memory.
    pub(crate) fn new(size: usize) -> Recycled {
        Recycled {
            slab: Arc::new(take(size)),
            start: 0,
            end: size,
        }
    }

    pub(crate) fn as_slice(&self) -> &[u8] {
        &self.slab.0[self.start..self.end]
    }

    /// Whether this is the only handle on the block.
    pub(crate) fn is_unique(&self) -> bool {
        Arc::strong_count(&self.slab) == 1
    }

    /// Write access when this is the only handle on the block.
    pub(crate) fn as_mut_slice(&mut self) -> Option<&mut [u8]> {
        let (start, end) = (self.start, self.end);
        Arc::get_mut(&mut self.slab).map(|s| &mut s.0[start..end])
    }

    /// The view on `start..end` of this view (both in range, `start <= end`).
    pub(crate) fn view(&self, start: usize, end: usize) -> Recycled {
        Recycled {
            slab: Arc::clone(&self.slab),
            start: self.start + start,
            end: self.start + end,
        }
    }

    /// The same bytes as `Bytes`, sharing the block (it is recycled when the
    /// last `Bytes` on it is dropped).
    pub(crate) fn into_bytes(self) -> Bytes {
        let (start, end) = (self.start, self.end);
        Bytes::from_owner(SlabRef(self.slab)).slice(start..end)
    }

    /// The bytes as a `Vec`: the block itself when this is its only handle
    /// and the view starts at its beginning, else a copy.
    pub(crate) fn into_vec(self) -> Vec<u8> {
        let (start, end) = (self.start, self.end);
        match Arc::try_unwrap(self.slab) {
            Ok(mut slab) if start == 0 => {
                let mut v = std::mem::take(&mut slab.0);
                v.truncate(end);
                v
            }
            Ok(slab) => slab.0[start..end].to_vec(),
            Err(shared) => shared.0[start..end].to_vec(),
        }
    }
}

/// `Bytes` owner for a shared block.
struct SlabRef(Arc<Slab>);

impl AsRef<[u8]> for SlabRef {
    fn as_ref(&self) -> &[u8] {
        &self.0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dropped_block_is_reused_and_a_live_one_is_not() {
        CACHE.with(|c| c.borrow_mut().clear());
        let a = Recycled::new(10_000);
        let pa = a.as_slice().as_ptr();
        let b = Recycled::new(10_000);
        assert_ne!(b.as_slice().as_ptr(), pa, "a live block is never handed out");
        drop(a);
        let c = Recycled::new(9_000);
        assert_eq!(c.as_slice().as_ptr(), pa, "the dropped block is reused");
        assert_eq!(c.as_slice().len(), 9_000);
        // Too small a request does not take a block over twice its size.
        drop(c);
        let d = Recycled::new(100);
        assert_ne!(d.as_slice().as_ptr(), pa);
        // A block still shared by a view stays out of the cache.
        let e = Recycled::new(10_000);
        assert_eq!(e.as_slice().as_ptr(), pa);
        let view = e.view(10, 20);
        drop(e);
        assert_ne!(Recycled::new(10_000).as_slice().as_ptr(), pa);
        drop(view);
        assert_eq!(Recycled::new(10_000).as_slice().as_ptr(), pa);
    }

    #[test]
    fn the_cache_is_bounded() {
        CACHE.with(|c| c.borrow_mut().clear());
        let blocks: Vec<_> = (0..10).map(|_| Recycled::new(3 << 20)).collect();
        drop(blocks);
        let (n, total) = CACHE.with(|c| {
            let c = c.borrow();
            (c.len(), c.iter().map(Vec::len).sum::<usize>())
        });
        assert!(n <= MAX_CACHED_BLOCKS, "{n} blocks cached");
        assert!(total <= MAX_CACHED_BYTES, "{total} bytes cached");
        assert_eq!(n, 2, "two 3 MiB blocks fit in 8 MiB");
        drop(Recycled::new(MAX_CACHED_BYTES + 1));
        assert_eq!(CACHE.with(|c| c.borrow().len()), 2, "an oversized block is freed");
    }
}
