//! The 8 KiB block `alloc_unsafe` carves small buffers from, refilled
//! without zeroing when every piece of the old block has been dropped.
//!
//! Why (callgrind, a loop of `alloc_unsafe(64)` + drop, issue 9): a third of
//! the ~191 instructions per call was the `memset` of a fresh zeroed 8 KiB
//! block every 128 calls. Node's pool is never cleared.
//!
//! Soundness: handing out uninitialised bytes as `&[u8]` would be undefined
//! behaviour, so the block is zeroed once, when it is made; after that it is
//! reused in place, and every byte in it is initialised because
//! - the block is a `BytesMut::zeroed(POOL_SIZE)`: its first `POOL_SIZE`
//!   bytes are zeros;
//! - this pool keeps a handle on it from then on, so the allocation stays
//!   the same one; a refill reuses it only when `try_reclaim` (which never
//!   allocates) finds this handle the only one left, and the reclaimed view
//!   starts at the block's recorded address with room for `POOL_SIZE`;
//! - pieces live inside `Buffer` (`Repr::Unique`, written through `&mut [u8]`,
//!   or frozen into read-only `Bytes`); `From<Buffer> for BytesMut` hands a
//!   piece out only through `Bytes -> BytesMut`, which copies while this pool
//!   still holds the block, so no code outside the crate can reach a piece's
//!   spare capacity (`BytesMut::spare_capacity_mut` could de-initialise it).
//!
//! So the reused bytes are old data of dropped buffers (or zeros), Node's
//! `allocUnsafe` contract, and never memory a live buffer can reach.

use bytes::{Buf, BytesMut};

/// Node's `Buffer.poolSize` (re-exported as `rt_buffer::POOL_SIZE`).
pub(crate) const BLOCK_SIZE: usize = 8 * 1024;

/// The unused rest of the current block and the block's start address.
pub(crate) struct PoolBlock {
    rest: BytesMut,
    /// Address of the block `rest` is a view on (0: no block yet).
    base: usize,
    /// How many refills reused the block in place (for tests).
    reused: u64,
}

impl PoolBlock {
    /// No block yet: the first [`take`](PoolBlock::take) makes one.
    pub(crate) fn new() -> PoolBlock {
        PoolBlock {
            rest: BytesMut::new(),
            base: 0,
            reused: 0,
        }
    }

    /// A private piece of `size` bytes (`size <= BLOCK_SIZE`) of old data or
    /// zeros; the next piece starts 8-byte aligned, as in Node.
    #[inline]
    pub(crate) fn take(&mut self, size: usize) -> BytesMut {
        if self.rest.len() < size {
            self.refill();
        }
        let piece = self.rest.split_to(size.min(self.rest.len()));
        let pad = (8 - size % 8) % 8;
        if pad > 0 && self.rest.len() >= pad {
            // Moves the start: no reference-count traffic (split_to would
            // make and drop a handle, two atomic operations).
            self.rest.advance(pad);
        }
        piece
    }

    /// How many refills reused the block in place.
    #[cfg(test)]
    pub(crate) fn reused(&self) -> u64 {
        self.reused
    }

    /// The start address of the current block (0 before the first one).
    #[cfg(test)]
    pub(crate) fn base(&self) -> usize {
        self.base
    }

    /// A full block again: the current one when no piece of it is alive,
    /// else a fresh zeroed one.
    #[cold]
    #[inline(never)]
    fn refill(&mut self) {
        self.rest.clear();
        if self.base != 0
            && self.rest.try_reclaim(BLOCK_SIZE)
            && self.rest.as_ptr() as usize == self.base
            && self.rest.capacity() >= BLOCK_SIZE
        {
            // SAFETY: `rest` is the only handle on the block made below
            // (`try_reclaim` succeeds only then, and never allocates); its
            // view starts at the block's start (`base`, an allocation this
            // pool has kept alive since it made it, so still the same one)
            // and has room for `BLOCK_SIZE` bytes, the length it was made
            // with. Every one of those bytes is initialised: zeroed when the block
            // was made, written since only through `&mut [u8]` by buffers
            // (see the module docs: no piece's spare capacity ever leaves the
            // crate while this pool holds the block).
            unsafe { self.rest.set_len(BLOCK_SIZE) };
            self.reused += 1;
            return;
        }
        self.rest = BytesMut::zeroed(BLOCK_SIZE);
        self.base = self.rest.as_ptr() as usize;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A tiny seeded generator (xorshift64*), so failures replay.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }
        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
    }

    /// Differential against a model of the block: every piece holds exactly
    /// the bytes last written at its place (zeros in a fresh block), live
    /// pieces never overlap and keep what was written to them, and dropped
    /// pieces' memory comes back without zeroing. Run under valgrind by
    /// `cargo xtask ci`, where a read of an uninitialised byte fails the run
    /// (every byte is compared, so a branch depends on it).
    #[test]
    fn reused_blocks_hold_old_data_and_never_a_live_piece() {
        let mut pool = PoolBlock::new();
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let mut model = vec![0u8; BLOCK_SIZE];
        let mut model_base = 0usize;
        // Live pieces with the bytes written to them.
        let mut live: Vec<(BytesMut, Vec<u8>)> = Vec::new();
        let (mut compared, mut fresh_blocks) = (0usize, 0usize);
        const STEPS: usize = 6000;
        for step in 0..STEPS {
            // Sizes as alloc_unsafe gives the pool (< BLOCK_SIZE / 2), mostly small.
            let size = match rng.below(10) {
                0 => rng.below(BLOCK_SIZE as u64 / 2) as usize,
                1 => 0,
                _ => 1 + rng.below(200) as usize,
            };
            let mut piece = pool.take(size);
            assert_eq!(piece.len(), size, "step {step}");
            if pool.base() != model_base {
                // A fresh block: zeros (it was made while a piece was alive).
                model_base = pool.base();
                model.fill(0);
                fresh_blocks += 1;
            }
            let at = piece.as_ptr() as usize;
            if size > 0 {
                assert!(
                    at >= model_base && at + size <= model_base + BLOCK_SIZE,
                    "step {step}"
                );
                let off = at - model_base;
                assert_eq!(&piece[..], &model[off..off + size], "step {step}: old data");
                compared += 1;
                for (b, m) in piece.iter_mut().zip(&mut model[off..off + size]) {
                    *b = rng.next() as u8;
                    *m = *b;
                }
            }
            for (p, _) in &live {
                let (s, e) = (p.as_ptr() as usize, p.as_ptr() as usize + p.len());
                assert!(
                    size == 0 || p.is_empty() || at + size <= s || e <= at,
                    "step {step}: overlap"
                );
            }
            let bytes = piece.to_vec();
            live.push((piece, bytes));
            // Drop most pieces soon, some late (they keep their block alive).
            while live.len() > rng.below(4) as usize {
                let (p, bytes) = live.remove(rng.below(live.len() as u64) as usize);
                assert_eq!(p[..], bytes[..], "step {step}: a live piece kept its bytes");
            }
        }
        println!(
            "pool_block differential: {compared} pieces compared over {STEPS} steps, {} reuses, {fresh_blocks} fresh blocks",
            pool.reused()
        );
        assert!(compared > STEPS / 2, "{compared} pieces compared");
        assert!(
            pool.reused() > 10,
            "blocks were reused in place ({})",
            pool.reused()
        );
        assert!(
            fresh_blocks > 1,
            "fresh blocks were made while pieces lived ({fresh_blocks})"
        );
    }

    /// No panic at the edges: zero sizes, the largest piece, a block that
    /// ends exactly, a piece that outlives its block.
    #[test]
    fn take_does_not_panic_at_the_edges() {
        let mut pool = PoolBlock::new();
        assert!(pool.take(0).is_empty());
        let whole = pool.take(BLOCK_SIZE);
        assert_eq!(whole.len(), BLOCK_SIZE);
        assert!(whole.iter().all(|&b| b == 0), "a fresh block is zeros");
        let base = pool.base();
        drop(whole);
        let mut again = pool.take(BLOCK_SIZE);
        assert_eq!(pool.base(), base, "reused in place");
        assert_eq!(pool.reused(), 1);
        again.fill(7);
        drop(again);
        let kept = pool.take(BLOCK_SIZE / 2);
        assert!(kept.iter().all(|&b| b == 7), "old data comes back");
        let b = pool.take(BLOCK_SIZE / 2);
        assert!(b.iter().all(|&b| b == 7));
        drop(b);
        // `kept` is alive: the next refill makes a fresh block.
        let c = pool.take(1);
        assert_ne!(pool.base(), base);
        assert_eq!(c[..], [0]);
        assert!(kept.iter().all(|&b| b == 7), "the live piece kept its bytes");
        for size in [0, 1, 7, 8, 9, 4095, 4096] {
            assert_eq!(pool.take(size).len(), size);
        }
    }
}
