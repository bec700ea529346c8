//! A fixed-count loop of the stream bench's per-chunk figure (16-byte
//! `write()`s into a discarding Writable), for instruction-count profiles:
//!
//! ```sh
//! cargo build --release -p rt-stream --example profile_write
//! valgrind --tool=callgrind target/release/examples/profile_write 100000
//! ```
//!
//! Run it with two counts and divide the difference in instructions by the
//! difference in counts to get instructions per write without the setup.

use std::hint::black_box;

use rt_stream::{Buffer, Writable, WritableOptions};

fn main() {
    let n: u64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(100_000);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let w = Writable::from_fn(WritableOptions::default(), |c| {
        black_box(&c);
        Ok(())
    });
    static BYTES: [u8; 16] = [1; 16];
    let chunk = Buffer::from_static(&BYTES);
    rt.block_on(async {
        for _ in 0..n {
            black_box(w.write(chunk.clone()).ok());
        }
    });
}
