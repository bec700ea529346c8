//! Memory stays bounded by the high-water marks: 1 GiB piped from a fast
//! source into a destination ten times slower, with the buffered bytes
//! checked on the streams' own accounting at every write.
#![allow(missing_docs)]

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use rt_stream::*;

const GIB: u64 = 1 << 30;
const CHUNK: usize = 64 * 1024;

#[tokio::test]
async fn one_gib_into_a_ten_times_slower_destination_stays_within_the_marks() {
    let block = Buffer::from(vec![7u8; CHUNK]);
    let mut sent = 0u64;
    // The source is synchronous: a chunk is there whenever it is asked.
    let src = Readable::from_source(
        move |_size: usize, p: &Pusher<Buffer>| {
            if sent >= GIB {
                p.push_end();
            } else {
                sent += CHUNK as u64;
                p.push(block.clone());
            }
        },
        ReadableOptions {
            high_water_mark: Some(CHUNK),
            ..Default::default()
        },
    );
    let max_buffered = Arc::new(AtomicUsize::new(0));
    let received = Arc::new(AtomicU64::new(0));
    let dst_cell: Arc<OnceLock<Writable>> = Arc::new(OnceLock::new());
    let (s2, m2, r2, d2) = (
        src.clone(),
        max_buffered.clone(),
        received.clone(),
        dst_cell.clone(),
    );
    // The destination takes ten scheduler turns per chunk (the source none).
    let dst = Writable::from_async_fn(
        WritableOptions {
            high_water_mark: Some(CHUNK),
            ..Default::default()
        },
        move |c: Buffer| {
            let buffered = s2.readable_length() + d2.get().map(|d| d.writable_length()).unwrap_or(0);
            m2.fetch_max(buffered, Ordering::Relaxed);
            r2.fetch_add(c.len() as u64, Ordering::Relaxed);
            async move {
                for _ in 0..10 {
                    tokio::task::yield_now().await;
                }
                Ok(())
            }
        },
    );
    let _ = dst_cell.set(dst.clone());
    pipeline(&src, &dst).await.unwrap();
    assert_eq!(received.load(Ordering::Relaxed), GIB);
    let max = max_buffered.load(Ordering::Relaxed);
    assert!(max > 0);
    assert!(
        max <= 4 * CHUNK,
        "buffered up to {max} bytes, more than 4 high-water marks"
    );
}
