//! The 8 KiB blocks `alloc_unsafe` carves small buffers from: reused in
//! place without zeroing once every piece of a block is dropped, and
//! counted without atomic operations while a piece is made and dropped on
//! the thread whose pool made it (biased reference counting).
//!
//! Why (callgrind and perf, a loop of `alloc_unsafe(64)` + drop, issue 9):
//! a third of the ~191 instructions per call was the `memset` of a fresh
//! zeroed block every 128 calls (Node's pool is never cleared), and with
//! `BytesMut` pieces two atomic read-modify-writes on the block's shared
//! count (carve and drop) were most of what was left at 118.8 instructions.
//!
//! # Counting
//! A block's pieces are counted in two places:
//! - `local` in the pool that owns the block: pieces carved from it, less
//!   those dropped on this thread while it is still the pool's current block
//!   (plain loads and stores: only this thread touches its pool);
//! - `shared` in the block: `OWNED` less the pieces dropped anywhere else
//!   (another thread, or after the pool let the block go), by atomic
//!   `fetch_sub`.
//!
//! So the live pieces of a current block are `local - (OWNED - shared)`. A
//! piece's drop takes the plain path only when this thread's pool's current
//! block is the piece's block: a live piece keeps its block allocated, and a
//! block is current only in the pool that made it, so an equal address means
//! the owning thread. When the pool moves to a new block (or is dropped at
//! thread exit) it lets the old one go by adding `local - OWNED` to `shared`,
//! which leaves `shared` = live pieces; from then on every drop is atomic and
//! the one that takes it to 0 frees the block (as `Arc` does). `shared` never
//! reaches 0 while a pool owns the block: that would take 2^62 drops.
//!
//! # Soundness of the bytes
//! Handing out uninitialised bytes as `&[u8]` would be undefined behaviour,
//! so a block is zeroed once, when it is made; after that it is reused in
//! place only when no piece of it is alive (`local == OWNED - shared`, read
//! with `Acquire`, so the writes of pieces dropped on other threads happen
//! before the reuse), and its bytes are written only through `&mut [u8]` of
//! live pieces, which never overlap (each starts where the previous one
//! ended, rounded up to 8). So reused bytes are old data of dropped buffers
//! (or zeros), Node's `allocUnsafe` contract, never memory a live buffer can
//! reach, and never uninitialised. A piece has no spare capacity to hand out.

use std::alloc::{Layout, alloc_zeroed, dealloc, handle_alloc_error};
use std::cell::{Cell, UnsafeCell};
use std::ptr::{self, NonNull};
use std::sync::atomic::{AtomicUsize, Ordering, fence};

/// Node's `Buffer.poolSize` (re-exported as `rt_buffer::POOL_SIZE`).
pub(crate) const BLOCK_SIZE: usize = 8 * 1024;

/// A block's `shared` count while its pool owns it (less the pieces dropped
/// through the shared path).
const OWNED: usize = 1 << (usize::BITS - 2);

/// `next` when the pool has no block: larger than any `at + size` can fit.
const NO_BLOCK: usize = BLOCK_SIZE + 1;

/// One heap block: its shared count and its bytes.
struct Block {
    shared: AtomicUsize,
    bytes: UnsafeCell<[u8; BLOCK_SIZE]>,
    /// The id of the pool that made the block (tests count blocks per pool).
    #[cfg(test)]
    owner: u64,
}

/// A zeroed block its pool owns (`shared == OWNED`).
fn new_block() -> NonNull<Block> {
    let layout = Layout::new::<Block>();
    // SAFETY: `Block` is not zero-sized.
    let Some(block) = NonNull::new(unsafe { alloc_zeroed(layout) }.cast::<Block>()) else {
        handle_alloc_error(layout)
    };
    // SAFETY: all-zero bytes are a valid `Block` (an `AtomicUsize` of 0,
    // zero bytes, and in tests an `owner` of 0), allocated with its layout;
    // a reference to the `shared` field alone.
    unsafe { (*block.as_ptr()).shared.store(OWNED, Ordering::Relaxed) };
    block
}

/// Frees `block`.
///
/// # Safety
/// `block` came from [`new_block`], no pool owns it any more, no piece of it
/// is alive, and this is the only call for it (the caller took `shared` to 0,
/// or let the block go with no piece alive).
unsafe fn free_block(block: NonNull<Block>) {
    #[cfg(test)]
    // SAFETY: the block is still allocated (freed below).
    test_stats::update(unsafe { (*block.as_ptr()).owner }, |s| s.freed += 1);
    // SAFETY: the caller's promise: the last handle on an allocation
    // `new_block` made with this layout (`Block` has no drop glue).
    unsafe { dealloc(block.as_ptr().cast(), Layout::new::<Block>()) };
}

/// A piece dropped anywhere but on its block's owning pool's thread while
/// the block is current: the atomic path.
///
/// # Safety
/// `block` is the block of a live piece that is being dropped (and is
/// counted in `shared` from here on).
#[inline(never)]
unsafe fn release_shared(block: NonNull<Block>) {
    #[cfg(test)]
    // SAFETY: the dropping piece keeps its block allocated.
    test_stats::update(unsafe { (*block.as_ptr()).owner }, |s| s.shared_drops += 1);
    // SAFETY: the dropping piece keeps its block allocated until this
    // decrement; a reference to the `shared` field alone (the bytes are in
    // an `UnsafeCell` and may be borrowed by other pieces).
    let shared = unsafe { &(*block.as_ptr()).shared };
    // Release: this piece's writes happen before the reuse or free of the
    // block by whoever sees the count the decrement leaves.
    if shared.fetch_sub(1, Ordering::Release) == 1 {
        fence(Ordering::Acquire);
        // SAFETY: `shared` was 1: the pool let the block go (it cannot be 1
        // while owned) and this was the last piece.
        unsafe { free_block(block) };
    }
}

/// The pool of one thread: the current block and where the next piece starts.
pub(crate) struct PoolBlock {
    /// The current block (null: none yet).
    block: Cell<*mut Block>,
    /// Offset of the next piece in the block (`NO_BLOCK` without a block).
    next: Cell<usize>,
    /// Pieces carved from the current block, less those dropped on this
    /// thread through this pool (see the module docs).
    local: Cell<usize>,
    /// How many refills reused the block in place (for tests).
    reused: Cell<u64>,
    /// This pool's id in `test_stats` (0: none drawn yet).
    #[cfg(test)]
    id: Cell<u64>,
}

thread_local! {
    /// The pool `alloc_unsafe` carves from on this thread.
    static POOL: PoolBlock = const { PoolBlock::new() };
}

/// A private piece of `size` bytes (`size` <= `BLOCK_SIZE`, else it is cut
/// to that) of old data or zeros, from this thread's pool (from a block of
/// its own during thread teardown, when the pool is gone).
#[inline]
pub(crate) fn take(size: usize) -> Piece {
    POOL.try_with(|pool| pool.take(size))
        .unwrap_or_else(|_| PoolBlock::new().take(size))
}

/// This thread's pool starts a fresh block (tests that pin neighbours).
#[cfg(test)]
pub(crate) fn fresh_thread_pool() {
    POOL.with(|pool| pool.let_go());
}

/// Runs `f` on this thread's pool (tests).
#[cfg(test)]
fn with_thread_pool<R>(f: impl FnOnce(&PoolBlock) -> R) -> R {
    POOL.with(f)
}

impl PoolBlock {
    /// No block yet: the first [`take`](PoolBlock::take) makes one.
    pub(crate) const fn new() -> PoolBlock {
        PoolBlock {
            block: Cell::new(ptr::null_mut()),
            next: Cell::new(NO_BLOCK),
            local: Cell::new(0),
            reused: Cell::new(0),
            #[cfg(test)]
            id: Cell::new(0),
        }
    }

    /// A private piece of `size` bytes (cut to `BLOCK_SIZE`) of old data or
    /// zeros; the next piece starts 8-byte aligned, as in Node.
    #[inline]
    pub(crate) fn take(&self, size: usize) -> Piece {
        let size = size.min(BLOCK_SIZE);
        let mut at = self.next.get();
        if at + size > BLOCK_SIZE {
            self.refill();
            at = 0;
        }
        let block = self.block.get();
        // `at + size <= BLOCK_SIZE`, a multiple of 8: so is the rounded end.
        self.next.set((at + size + 7) & !7);
        self.local.set(self.local.get() + 1);
        // SAFETY: `block` is not null (`next` <= BLOCK_SIZE only with a block,
        // and `refill` makes one); `at + size <= BLOCK_SIZE`, so the piece's
        // bytes are inside the block's, and no live piece has any of them
        // (pieces of this block life start at or after the previous end).
        // The pointer is made without a reference to the bytes, which live
        // pieces may borrow.
        unsafe {
            let bytes = UnsafeCell::raw_get(ptr::addr_of!((*block).bytes)).cast::<u8>();
            Piece {
                ptr: NonNull::new_unchecked(bytes.add(at)),
                len: size,
                block: NonNull::new_unchecked(block),
            }
        }
    }

    /// Counts a piece of `block` dropped on this thread; false when `block`
    /// is not this pool's current block (the caller takes the atomic path).
    #[inline]
    fn release_local(&self, block: *mut Block) -> bool {
        if self.block.get() != block {
            return false;
        }
        self.local.set(self.local.get() - 1);
        #[cfg(test)]
        test_stats::update(self.id(), |s| s.local_drops += 1);
        true
    }

    /// This pool's id in `test_stats`.
    #[cfg(test)]
    pub(crate) fn id(&self) -> u64 {
        use std::sync::atomic::AtomicU64;
        static NEXT: AtomicU64 = AtomicU64::new(1);
        if self.id.get() == 0 {
            self.id.set(NEXT.fetch_add(1, Ordering::Relaxed));
        }
        self.id.get()
    }

    /// How many refills reused the block in place.
    #[cfg(test)]
    pub(crate) fn reused(&self) -> u64 {
        self.reused.get()
    }

    /// The start address of the current block's bytes (0 without a block).
    #[cfg(test)]
    pub(crate) fn base(&self) -> usize {
        let block = self.block.get();
        if block.is_null() {
            return 0;
        }
        // SAFETY: a current block is allocated; no reference is made.
        unsafe { UnsafeCell::raw_get(ptr::addr_of!((*block).bytes)) as usize }
    }

    /// A full block again: the current one when no piece of it is alive,
    /// else a fresh zeroed one.
    #[cold]
    #[inline(never)]
    fn refill(&self) {
        if let Some(block) = NonNull::new(self.block.get()) {
            // SAFETY: the current block is allocated (this pool holds it);
            // a reference to its `shared` field alone.
            let shared = unsafe { &(*block.as_ptr()).shared };
            // Acquire: the pieces dropped elsewhere wrote their bytes first.
            let elsewhere = OWNED - shared.load(Ordering::Acquire);
            if elsewhere == self.local.get() {
                // No piece is alive, and none can come back: nobody else
                // touches `shared` until new pieces are carved.
                shared.store(OWNED, Ordering::Relaxed);
                self.local.set(0);
                self.next.set(0);
                self.reused.set(self.reused.get() + 1);
                return;
            }
            self.let_go();
        }
        let block = new_block();
        #[cfg(test)]
        {
            // SAFETY: a fresh block no piece has reached yet.
            unsafe { (*block.as_ptr()).owner = self.id() };
            test_stats::update(self.id(), |s| s.made += 1);
        }
        self.block.set(block.as_ptr());
        self.local.set(0);
        self.next.set(0);
    }

    /// Gives up the current block: its live pieces' drops free it.
    fn let_go(&self) {
        let block = self.block.replace(ptr::null_mut());
        self.next.set(NO_BLOCK);
        let local = self.local.replace(0);
        let Some(block) = NonNull::new(block) else {
            return;
        };
        // SAFETY: the block is allocated until this pool lets it go here.
        let shared = unsafe { &(*block.as_ptr()).shared };
        // `shared` = OWNED - elsewhere becomes local - elsewhere: the live
        // pieces. AcqRel: the reuse or free sees this thread's writes, and a
        // free here sees the other threads'.
        if shared.fetch_sub(OWNED - local, Ordering::AcqRel) == OWNED - local {
            // SAFETY: no piece is alive and the pool let the block go.
            unsafe { free_block(block) };
        }
    }
}

impl Drop for PoolBlock {
    fn drop(&mut self) {
        self.let_go();
    }
}

/// A piece of a pool block: `len` bytes at `ptr` that only this piece can
/// reach while it is alive. Dropping it counts it off its block.
pub(crate) struct Piece {
    ptr: NonNull<u8>,
    len: usize,
    block: NonNull<Block>,
}

// SAFETY: a piece's bytes are reached only through it (`&self` reads,
// `&mut self` writes); its drop on another thread takes the atomic path (the
// pool's plain count is touched only on the pool's own thread, see
// `Piece::drop`).
unsafe impl Send for Piece {}
// SAFETY: `&Piece` gives only reads of its bytes.
unsafe impl Sync for Piece {}

impl Piece {
    /// The bytes.
    #[inline]
    pub(crate) fn as_slice(&self) -> &[u8] {
        // SAFETY: `len` initialised bytes at `ptr` (see the module docs),
        // inside a block this piece keeps allocated, which no other live
        // piece reaches and the pool does not touch.
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
    }

    /// The bytes, writable.
    #[inline]
    pub(crate) fn as_mut_slice(&mut self) -> &mut [u8] {
        // SAFETY: as in `as_slice`; `&mut self` makes this the only borrow.
        unsafe { std::slice::from_raw_parts_mut(self.ptr.as_ptr(), self.len) }
    }
}

#[cfg(test)]
impl Piece {
    /// The id of the pool that made this piece's block.
    fn owner_id(&self) -> u64 {
        // SAFETY: this piece keeps its block allocated.
        unsafe { (*self.block.as_ptr()).owner }
    }
}

impl AsRef<[u8]> for Piece {
    fn as_ref(&self) -> &[u8] {
        self.as_slice()
    }
}

impl Drop for Piece {
    #[inline]
    fn drop(&mut self) {
        let block = self.block;
        if !POOL
            .try_with(|pool| pool.release_local(block.as_ptr()))
            .unwrap_or(false)
        {
            // SAFETY: this piece is alive until here and counts itself off.
            unsafe { release_shared(block) };
        }
    }
}

/// Blocks made and freed, and drops by path, per pool (tests).
#[cfg(test)]
mod test_stats {
    use std::collections::HashMap;
    use std::sync::Mutex;

    #[derive(Clone, Copy, Default, Debug, PartialEq)]
    pub(crate) struct Stats {
        pub(crate) made: u64,
        pub(crate) freed: u64,
        /// Pieces dropped through the pool (plain path).
        pub(crate) local_drops: u64,
        /// Pieces dropped through the block's atomic count.
        pub(crate) shared_drops: u64,
    }

    static STATS: Mutex<Option<HashMap<u64, Stats>>> = Mutex::new(None);

    pub(crate) fn update(pool: u64, f: impl FnOnce(&mut Stats)) {
        let mut all = STATS.lock().unwrap_or_else(|e| e.into_inner());
        f(all.get_or_insert_with(HashMap::new).entry(pool).or_default());
    }

    pub(crate) fn of(pool: u64) -> Stats {
        let all = STATS.lock().unwrap_or_else(|e| e.into_inner());
        all.as_ref()
            .and_then(|m| m.get(&pool).copied())
            .unwrap_or_default()
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
    /// pieces' memory comes back without zeroing. Returns (pieces compared,
    /// fresh blocks).
    fn differential(pool: &PoolBlock, seed: u64, steps: usize) -> (usize, usize) {
        let mut rng = Rng(seed);
        let mut model = vec![0u8; BLOCK_SIZE];
        let mut model_base = 0usize;
        // Live pieces with the bytes written to them.
        let mut live: Vec<(Piece, Vec<u8>)> = Vec::new();
        let (mut compared, mut fresh_blocks) = (0usize, 0usize);
        for step in 0..steps {
            // Sizes as alloc_unsafe gives the pool (< BLOCK_SIZE / 2), mostly small.
            let size = match rng.below(10) {
                0 => rng.below(BLOCK_SIZE as u64 / 2) as usize,
                1 => 0,
                _ => 1 + rng.below(200) as usize,
            };
            let mut piece = pool.take(size);
            assert_eq!(piece.as_slice().len(), size, "step {step}");
            if pool.base() != model_base {
                // A fresh block: zeros (it was made while a piece was alive).
                model_base = pool.base();
                model.fill(0);
                fresh_blocks += 1;
            }
            let at = piece.as_slice().as_ptr() as usize;
            assert!(
                at >= model_base && at + size <= model_base + BLOCK_SIZE,
                "step {step}"
            );
            if size > 0 {
                let off = at - model_base;
                assert_eq!(piece.as_slice(), &model[off..off + size], "step {step}: old data");
                compared += 1;
                for (b, m) in piece.as_mut_slice().iter_mut().zip(&mut model[off..off + size]) {
                    *b = rng.next() as u8;
                    *m = *b;
                }
            }
            for (p, _) in &live {
                let p = p.as_slice();
                let (s, e) = (p.as_ptr() as usize, p.as_ptr() as usize + p.len());
                assert!(
                    size == 0 || p.is_empty() || at + size <= s || e <= at,
                    "step {step}: overlap"
                );
            }
            let bytes = piece.as_slice().to_vec();
            live.push((piece, bytes));
            // Drop most pieces soon, some late (they keep their block alive).
            while live.len() > rng.below(4) as usize {
                let (p, bytes) = live.remove(rng.below(live.len() as u64) as usize);
                assert_eq!(
                    p.as_slice(),
                    &bytes[..],
                    "step {step}: a live piece kept its bytes"
                );
            }
        }
        (compared, fresh_blocks)
    }

    /// The differential on a pool of its own (every drop takes the shared
    /// path) and on the thread's pool (drops take the plain path). Run under
    /// valgrind by `cargo xtask ci`, where a read of an uninitialised byte
    /// fails the run (every byte is compared, so a branch depends on it).
    #[test]
    fn reused_blocks_hold_old_data_and_never_a_live_piece() {
        const STEPS: usize = 6000;
        for on_thread_pool in [false, true] {
            let ((compared, fresh_blocks), reused, before, after) = if on_thread_pool {
                fresh_thread_pool();
                with_thread_pool(|pool| {
                    let (start, before) = (pool.reused(), test_stats::of(pool.id()));
                    let result = differential(pool, 0x9e37_79b9_7f4a_7c15, STEPS);
                    (result, pool.reused() - start, before, test_stats::of(pool.id()))
                })
            } else {
                let pool = PoolBlock::new();
                let result = differential(&pool, 0x9e37_79b9_7f4a_7c15, STEPS);
                let id = pool.id();
                let reused = pool.reused();
                drop(pool);
                let after = test_stats::of(id);
                assert_eq!(after.made, after.freed, "every block of the pool was freed once");
                (result, reused, test_stats::Stats::default(), after)
            };
            let (local, shared) = (
                after.local_drops - before.local_drops,
                after.shared_drops - before.shared_drops,
            );
            println!(
                "pool_block differential (thread pool: {on_thread_pool}): {compared} pieces compared over {STEPS} steps, {reused} reuses, {fresh_blocks} fresh blocks, {local} plain drops, {shared} atomic drops"
            );
            assert!(compared > STEPS / 2, "{compared} pieces compared");
            assert!(reused > 10, "blocks were reused in place ({reused})");
            assert!(
                fresh_blocks > 1,
                "fresh blocks were made while pieces lived ({fresh_blocks})"
            );
            if on_thread_pool {
                assert!(local > STEPS as u64 / 2, "most drops were plain ({local})");
            } else {
                assert_eq!(local, 0, "a pool of its own never takes the plain path");
                assert_eq!(shared, STEPS as u64, "every piece was dropped once");
            }
        }
    }

    /// Pieces made on one thread and dropped on others (and some on their
    /// own thread, after it moved on to other blocks), while that thread
    /// keeps carving: every piece keeps its bytes until dropped, no live
    /// piece's bytes are handed out again, and every block made is freed
    /// exactly once when the last of its pieces and its pool are gone.
    #[test]
    fn pieces_dropped_on_other_threads_free_their_blocks_once() {
        use std::sync::mpsc;
        const PIECES: u64 = 3000;
        let (to_a, from_owner_a) = mpsc::channel::<(u64, Piece)>();
        let (to_b, from_owner_b) = mpsc::channel::<(u64, Piece)>();
        let dropper = |rx: mpsc::Receiver<(u64, Piece)>| {
            std::thread::spawn(move || {
                let mut dropped = 0u64;
                // Ends when the owner thread drops its sender (bounded by it).
                for (tag, piece) in rx {
                    let want = tag.to_le_bytes();
                    assert!(
                        piece
                            .as_slice()
                            .iter()
                            .enumerate()
                            .all(|(i, &b)| b == want[i % 8]),
                        "piece {tag} kept its bytes on the other thread"
                    );
                    drop(piece);
                    dropped += 1;
                }
                dropped
            })
        };
        let (a, b) = (dropper(from_owner_a), dropper(from_owner_b));
        let owner = std::thread::spawn(move || {
            let mut rng = Rng(0x2545_f491_4f6c_dd1d);
            let mut kept: Vec<(u64, Piece)> = Vec::new();
            let (mut sent, mut here) = (0u64, 0u64);
            for tag in 0..PIECES {
                let size = 1 + rng.below(300) as usize;
                let mut piece = take(size);
                let (lo, hi) = (
                    piece.as_slice().as_ptr() as usize,
                    piece.as_slice().as_ptr() as usize + size,
                );
                for (t, p) in &kept {
                    let (s, e) = (
                        p.as_slice().as_ptr() as usize,
                        p.as_slice().as_ptr() as usize + p.as_slice().len(),
                    );
                    assert!(hi <= s || e <= lo, "piece {tag} overlaps the live piece {t}");
                }
                let bytes = tag.to_le_bytes();
                for (i, b) in piece.as_mut_slice().iter_mut().enumerate() {
                    *b = bytes[i % 8];
                }
                match rng.below(4) {
                    0 => {
                        to_a.send((tag, piece))
                            .unwrap_or_else(|_| panic!("thread a is gone"));
                        sent += 1;
                    }
                    1 => {
                        to_b.send((tag, piece))
                            .unwrap_or_else(|_| panic!("thread b is gone"));
                        sent += 1;
                    }
                    _ => kept.push((tag, piece)),
                }
                // Drop kept pieces here, some long after their block was left.
                while kept.len() > rng.below(40) as usize {
                    let (t, p) = kept.remove(rng.below(kept.len() as u64) as usize);
                    let want = t.to_le_bytes();
                    assert!(
                        p.as_slice().iter().enumerate().all(|(i, &b)| b == want[i % 8]),
                        "piece {t} kept its bytes"
                    );
                    here += 1;
                }
            }
            // Some pieces outlive this thread's pool: they go to thread a.
            for (t, p) in kept.drain(..) {
                to_a.send((t, p)).unwrap_or_else(|_| panic!("thread a is gone"));
                sent += 1;
            }
            (with_thread_pool(|pool| pool.id()), sent, here)
        });
        rt_tests::wait::wait_until(120, "the owner thread to finish", || owner.is_finished());
        let (owner_id, sent, here) = owner.join().expect("the owner thread panicked");
        rt_tests::wait::wait_until(120, "dropping thread a to finish", || a.is_finished());
        rt_tests::wait::wait_until(120, "dropping thread b to finish", || b.is_finished());
        let dropped = a.join().expect("thread a panicked") + b.join().expect("thread b panicked");
        let stats = test_stats::of(owner_id);
        println!(
            "pool_block threads: {PIECES} pieces, {sent} dropped on other threads, {here} on their own; {stats:?}"
        );
        assert_eq!(dropped, sent, "every piece sent was dropped there");
        assert_eq!(sent + here, PIECES);
        assert!(
            here > PIECES / 4 && sent > PIECES / 4,
            "both paths ran ({here} / {sent})"
        );
        assert!(stats.made > 10, "the owner made blocks ({})", stats.made);
        assert_eq!(stats.made, stats.freed, "every block was freed exactly once");
        assert!(stats.local_drops > 0, "some drops on the owner thread were plain");
        assert!(stats.local_drops <= here, "only the owner's own drops were plain");
    }

    /// No panic at the edges: zero sizes, the largest piece, a size over
    /// the block, a block that ends exactly, a piece that outlives its block
    /// and its pool, a piece made and dropped during thread teardown.
    #[test]
    fn take_does_not_panic_at_the_edges() {
        let pool = PoolBlock::new();
        assert!(pool.take(0).as_slice().is_empty());
        let mut whole = pool.take(BLOCK_SIZE);
        assert_eq!(whole.as_slice().len(), BLOCK_SIZE);
        assert!(whole.as_slice().iter().all(|&b| b == 0), "a fresh block is zeros");
        whole.as_mut_slice().fill(3);
        let base = pool.base();
        drop(whole);
        let mut again = pool.take(BLOCK_SIZE + 1);
        assert_eq!(again.as_slice().len(), BLOCK_SIZE, "cut to the block");
        assert_eq!(pool.base(), base, "reused in place");
        assert_eq!(pool.reused(), 1);
        assert!(again.as_slice().iter().all(|&b| b == 3), "old data comes back");
        again.as_mut_slice().fill(7);
        drop(again);
        let kept = pool.take(BLOCK_SIZE / 2);
        assert!(kept.as_slice().iter().all(|&b| b == 7), "old data comes back");
        let b = pool.take(BLOCK_SIZE / 2);
        assert!(b.as_slice().iter().all(|&b| b == 7));
        drop(b);
        // `kept` is alive: the next refill makes a fresh block.
        let c = pool.take(1);
        assert_ne!(pool.base(), base);
        assert_eq!(c.as_slice(), [0]);
        assert!(
            kept.as_slice().iter().all(|&b| b == 7),
            "the live piece kept its bytes"
        );
        for size in [0, 1, 7, 8, 9, 4095, 4096, usize::MAX] {
            assert_eq!(pool.take(size).as_slice().len(), size.min(BLOCK_SIZE));
        }
        drop(pool);
        assert!(
            kept.as_slice().iter().all(|&b| b == 7),
            "a piece outlives its pool"
        );
        drop((kept, c));

        // Pieces made and dropped from another thread-local's destructor
        // after this thread's pool is gone (thread-locals are destroyed in
        // the reverse order of their first use: LATE is used first).
        use std::sync::Mutex;
        static LATE_POOLS: Mutex<Vec<u64>> = Mutex::new(Vec::new());
        struct Late(Option<Piece>);
        impl Drop for Late {
            fn drop(&mut self) {
                let mut p = take(24);
                p.as_mut_slice().fill(1);
                let mut pools = LATE_POOLS.lock().unwrap_or_else(|e| e.into_inner());
                pools.push(p.owner_id());
                if let Some(kept) = self.0.take() {
                    pools.push(kept.owner_id());
                }
            }
        }
        thread_local! {
            static LATE: std::cell::RefCell<Late> = const { std::cell::RefCell::new(Late(None)) };
        }
        let t = std::thread::spawn(|| {
            LATE.with(|l| l.borrow_mut().0 = Some(take(16)));
            with_thread_pool(|pool| pool.id())
        });
        rt_tests::wait::wait_until(60, "the teardown thread to finish", || t.is_finished());
        let id = t.join().expect("the teardown thread panicked");
        let pools = LATE_POOLS.lock().unwrap_or_else(|e| e.into_inner()).clone();
        assert_eq!(
            pools.len(),
            2,
            "LATE's destructor ran and made a piece ({pools:?})"
        );
        assert_eq!(pools[1], id, "the kept piece came from the thread's pool");
        // (Thread-local destruction order is not promised: say which path ran.)
        println!(
            "pool_block teardown: LATE's new piece came from {}",
            if pools[0] == id {
                "the thread's pool (still alive)"
            } else {
                "a pool of its own (the thread's was gone)"
            }
        );
        for pool in pools {
            let stats = test_stats::of(pool);
            assert!(stats.made >= 1);
            assert_eq!(
                stats.made, stats.freed,
                "blocks made in teardown were freed ({stats:?})"
            );
        }
    }
}
