//! `Buffer::alloc_unsafe` hands out zeros, as its documentation promises
//! (Node leaves old memory there; safe Rust cannot), including pieces carved
//! from a pool whose earlier pieces were written to and dropped.

use rt_buffer::{Buffer, POOL_SIZE};

#[test]
fn alloc_unsafe_returns_zeros_even_after_the_pool_was_written() {
    // Sizes on both sides of the pool threshold (POOL_SIZE / 2), odd ones
    // (the pool pads to 8 bytes), and enough rounds to refill the pool.
    let sizes = [
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
    ];
    let mut checked = 0;
    for round in 0..50u8 {
        let mut keep = Vec::new();
        for &size in &sizes {
            let mut b = Buffer::alloc_unsafe(size).unwrap();
            assert_eq!(b.len(), size);
            assert!(
                b.iter().all(|&x| x == 0),
                "round {round}: alloc_unsafe({size}) is not all zeros"
            );
            let slow = Buffer::alloc_unsafe_slow(size).unwrap();
            assert!(slow.iter().all(|&x| x == 0), "alloc_unsafe_slow({size})");
            // Dirty it, in place, so a reused piece would show.
            b.as_mut_slice().fill(0xa5u8 ^ round);
            if size % 2 == 0 {
                keep.push(b);
            }
            checked += 2;
        }
        drop(keep);
    }
    assert_eq!(checked, 50 * sizes.len() * 2);
}

#[test]
fn alloc_unsafe_on_other_threads_returns_zeros() {
    // Each thread has its own pool.
    let threads: Vec<_> = (0..4u8)
        .map(|t| {
            std::thread::spawn(move || {
                for i in 0..2_000usize {
                    let size = (i * 37 + usize::from(t)) % 600;
                    let mut b = Buffer::alloc_unsafe(size).unwrap();
                    if b.iter().any(|&x| x != 0) {
                        return Err(format!("thread {t}: alloc_unsafe({size}) is not all zeros"));
                    }
                    b.as_mut_slice().fill(0xff);
                }
                Ok(())
            })
        })
        .collect();
    for t in threads {
        rt_tests::wait::wait_until(30, "an allocating thread to finish", || t.is_finished());
        t.join().unwrap().unwrap();
    }
}
