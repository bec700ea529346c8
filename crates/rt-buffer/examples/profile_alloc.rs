//! A fixed-count loop of `Buffer::alloc_unsafe`, for instruction-count profiles:
//!
//! ```sh
//! cargo build --release -p rt-buffer --example profile_alloc
//! valgrind --tool=callgrind target/release/examples/profile_alloc 64 100000
//! ```
//!
//! Run it with two counts and divide the difference in instructions by the
//! difference in counts to get instructions per allocation without the setup.

use std::hint::black_box;

use rt_buffer::Buffer;

fn main() {
    let mut args = std::env::args().skip(1);
    let size: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(64);
    let n: u64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(100_000);
    for _ in 0..n {
        black_box(Buffer::alloc_unsafe(black_box(size)).ok());
    }
}
