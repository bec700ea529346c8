//! `Buffer::alloc_unsafe`'s contract, Node's `allocUnsafe` one made safe: the
//! length asked for, writable, independent of every other buffer, and its
//! bytes are zeros or old bytes of buffers that were dropped, never memory a
//! live buffer can still reach. Pieces of the small-buffer pool (under
//! `POOL_SIZE / 2`) come from 8 KiB blocks that are reused in place once all
//! their pieces are dropped; larger buffers recycle dropped ones' memory.

use std::collections::HashSet;

use rt_buffer::{Buffer, POOL_SIZE};

/// Sizes on both sides of the pool threshold (POOL_SIZE / 2), odd ones (the
/// pool pads to 8 bytes), and large ones that go through the recycler.
const SIZES: [usize; 12] = [
    0,
    1,
    7,
    8,
    9,
    100,
    1000,
    POOL_SIZE / 2 - 1,
    POOL_SIZE / 2,
    POOL_SIZE,
    3 * POOL_SIZE + 5,
    1 << 20,
];

/// Fills `b` with copies of `tag` (8 bytes each, from the start; a tail
/// shorter than 8 bytes gets the tag's first bytes).
fn stamp(b: &mut Buffer, tag: u64) {
    for (i, x) in b.as_mut_slice().iter_mut().enumerate() {
        *x = tag.to_le_bytes()[i % 8];
    }
}

/// The tags found at 8-byte steps from the start of `b`.
fn tags_in(b: &[u8]) -> impl Iterator<Item = u64> + '_ {
    b.chunks_exact(8)
        .map(|c| u64::from_le_bytes(c.try_into().unwrap_or_default()))
}

fn range(b: &[u8]) -> (usize, usize) {
    let p = b.as_ptr() as usize;
    (p, p + b.len())
}

/// Allocates and drops buffers of every size for `rounds` rounds, keeping
/// some alive, and checks each new buffer against every live one. Returns
/// how many buffers it checked.
fn churn(rounds: u64, first_tag: u64) -> Result<usize, String> {
    let mut live: Vec<(u64, Buffer)> = Vec::new();
    let mut next_tag = first_tag;
    let mut checked = 0;
    for round in 0..rounds {
        for (i, &size) in SIZES.iter().enumerate() {
            for slow in [false, true] {
                let mut b = if slow {
                    Buffer::alloc_unsafe_slow(size)
                } else {
                    Buffer::alloc_unsafe(size)
                }
                .map_err(|e| format!("alloc_unsafe({size}): {e}"))?;
                if b.len() != size {
                    return Err(format!("alloc_unsafe({size}) has length {}", b.len()));
                }
                // No byte of a live buffer's memory, and none of its tags.
                let (lo, hi) = range(&b);
                let live_tags: HashSet<u64> = live.iter().map(|(t, _)| *t).collect();
                for (tag, other) in &live {
                    let (olo, ohi) = range(other);
                    if size > 0 && !other.is_empty() && lo < ohi && olo < hi {
                        return Err(format!(
                            "round {round}: alloc_unsafe({size}) overlaps the live buffer tagged {tag}"
                        ));
                    }
                }
                if let Some(t) = tags_in(&b).find(|t| live_tags.contains(t)) {
                    return Err(format!(
                        "round {round}: alloc_unsafe({size}) holds the live buffer tag {t}"
                    ));
                }
                // Writable, and independent of every other buffer.
                let tag = next_tag;
                next_tag += 1;
                stamp(&mut b, tag);
                if tags_in(&b).any(|t| t != tag) {
                    return Err(format!("alloc_unsafe({size}): a write did not stick"));
                }
                checked += 1;
                // Keep about half alive (and views of some), drop the rest.
                if (round + i as u64 + u64::from(slow)).is_multiple_of(2) {
                    let view = b.subarray(0, (size / 2) as i64 & !7);
                    live.push((tag, b));
                    if round % 3 == 0 {
                        live.push((tag, view));
                    }
                }
            }
        }
        // Writes to the new buffers changed no live one.
        for (t, other) in &live {
            if tags_in(other).any(|x| x != *t) {
                return Err(format!("round {round}: the live buffer {t} was changed"));
            }
        }
        // Drop the oldest live buffers so their memory can come back.
        let excess = live.len().saturating_sub(12);
        live.drain(..excess);
    }
    Ok(checked)
}

#[test]
fn alloc_unsafe_never_hands_out_a_live_buffers_memory() {
    let checked = churn(40, 1).unwrap();
    println!("alloc_unsafe: {checked} buffers checked against the live ones");
    assert_eq!(checked, 40 * SIZES.len() * 2);
}

#[test]
fn alloc_unsafe_on_other_threads_keeps_the_contract() {
    // Each thread has its own pool and recycler; tags differ per thread.
    let threads: Vec<_> = (0..4u64)
        .map(|t| std::thread::spawn(move || churn(10, (t + 1) << 40)))
        .collect();
    let mut total = 0;
    for t in threads {
        rt_tests::wait::wait_until(60, "an allocating thread to finish", || t.is_finished());
        total += t.join().unwrap().unwrap();
    }
    assert_eq!(total, 4 * 10 * SIZES.len() * 2);
}

#[test]
fn a_large_buffer_dropped_on_another_thread_is_not_reused_while_alive_here() {
    let mut kept = Buffer::alloc_unsafe(1 << 20).unwrap();
    stamp(&mut kept, 7);
    let view = kept.subarray(0, 4096);
    // The handle goes to another thread and is dropped there; the view keeps
    // the memory alive here.
    let (tx, rx) = std::sync::mpsc::channel();
    let t = std::thread::spawn(move || {
        drop(kept);
        let fresh = Buffer::alloc_unsafe(1 << 20).unwrap();
        tx.send(range(&fresh)).unwrap();
    });
    let other = rt_tests::wait::recv_within(&rx, 30, "the other thread's allocation");
    t.join().unwrap();
    let fresh = Buffer::alloc_unsafe(1 << 20).unwrap();
    let (vlo, vhi) = range(&view);
    for (lo, hi) in [other, range(&fresh)] {
        assert!(hi <= vlo || vhi <= lo, "a block a live view is on was handed out");
    }
    assert!(tags_in(&view).all(|t| t == 7), "the view's bytes changed");
}

#[test]
fn a_dropped_large_buffer_is_recycled_with_its_old_bytes() {
    // Node's contract: the contents of allocUnsafe are unknown, may be old data.
    let mut a = Buffer::alloc_unsafe(1 << 20).unwrap();
    stamp(&mut a, 0x5eed);
    let (lo, _) = range(&a);
    drop(a);
    let b = Buffer::alloc_unsafe(1 << 20).unwrap();
    assert_eq!(range(&b).0, lo, "the dropped block was not reused");
    assert!(
        tags_in(&b).all(|t| t == 0x5eed),
        "a recycled block keeps its bytes"
    );
    // Written in place: the only handle on its block.
    let mut b = b;
    b.as_mut_slice()[0] = 1;
    assert_eq!(range(&b).0, lo, "the only handle writes in place");
}

#[test]
fn writing_a_shared_large_buffer_leaves_the_other_handles_alone() {
    let mut a = Buffer::alloc_unsafe(1 << 20).unwrap();
    stamp(&mut a, 1);
    let view = a.subarray(8, 72);
    let clone = a.clone();
    stamp(&mut a, 2);
    assert!(tags_in(&a).all(|t| t == 2), "the write through `a` stuck");
    assert!(tags_in(&view).all(|t| t == 1), "the view did not change");
    assert!(tags_in(&clone).all(|t| t == 1), "the clone did not change");
    // Through the numeric writers too (copy-on-write, then in place).
    let mut clone2 = clone.clone();
    clone2.write_u8(9, 0).unwrap();
    assert_eq!((clone2[0], clone[0]), (9, 1));
}

#[test]
fn pooled_buffers_dropped_on_another_thread_keep_the_contract() {
    // Small (pooled) buffers made here go one by one to another thread,
    // which checks and drops each before the next is made; one in 150 is
    // frozen and cloned first, so its piece lives on here in the clone (a
    // block then has one live piece or a few when it fills up). Nothing
    // made here may reach a live clone's memory, and the memory of the
    // buffers dropped over there comes back here.
    const BUFFERS: u64 = 2000;
    let (to_holder, held) = std::sync::mpsc::channel::<(u64, Buffer)>();
    let (done_tx, done) = std::sync::mpsc::channel::<u64>();
    let holder = std::thread::spawn(move || {
        // Ends when the sender is dropped (the test body below is bounded).
        for (tag, b) in held {
            assert!(tags_in(&b).all(|t| t == tag), "buffer {tag} changed on the way");
            drop(b);
            done_tx
                .send(tag)
                .unwrap_or_else(|_| panic!("the test body is gone"));
        }
    });
    let mut clones: Vec<(u64, Buffer)> = Vec::new();
    let mut reused = 0u64;
    let mut dropped_there: HashSet<usize> = HashSet::new();
    for i in 0..BUFFERS {
        let tag = i + 1;
        let size = 8 + (i as usize * 37) % 300;
        let mut b = Buffer::alloc_unsafe(size).unwrap();
        let (lo, hi) = range(&b);
        for (t, o) in &clones {
            let (olo, ohi) = range(o);
            assert!(hi <= olo || ohi <= lo, "buffer {tag} overlaps the live clone {t}");
        }
        if dropped_there.contains(&lo) {
            reused += 1;
        }
        stamp(&mut b, tag);
        if i % 150 == 7 {
            b.freeze();
            clones.push((tag, b.clone()));
        }
        dropped_there.insert(lo);
        to_holder
            .send((tag, b))
            .unwrap_or_else(|_| panic!("the holding thread is gone"));
        let back = rt_tests::wait::recv_within(&done, 30, "the holding thread to drop a buffer");
        assert_eq!(back, tag);
        // Clones go from time to time (their pieces are dropped here).
        if i % 400 == 399 {
            clones.truncate(3);
        }
    }
    for (t, o) in &clones {
        assert!(tags_in(o).all(|x| x == *t), "the clone {t} changed");
    }
    drop(to_holder);
    rt_tests::wait::wait_until(30, "the holding thread to finish", || holder.is_finished());
    holder.join().expect("the holding thread panicked");
    println!(
        "alloc_unsafe across threads: {BUFFERS} pooled buffers checked, {reused} at a place used before"
    );
    assert!(
        reused > BUFFERS / 8,
        "memory dropped on the other thread came back ({reused})"
    );
}
