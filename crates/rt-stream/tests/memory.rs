//! Memory stays bounded by the high-water marks: 1 GiB piped from a fast
//! source into a destination ten times slower, with the buffered bytes
//! checked on the streams' own accounting at every write, and the memory
//! actually held measured by counting the chunks still alive (each chunk
//! owns its storage through a drop counter, and arrives uncopied).
#![allow(missing_docs)]

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use rt_stream::*;
use rt_tests::wait::within;

const GIB: u64 = 1 << 30;
const CHUNK: usize = 64 * 1024;

/// The bytes every chunk shows (shared, so 1 GiB needs no 1 GiB of memory).
static BLOCK: [u8; CHUNK] = [7u8; CHUNK];

/// Chunks made and not yet dropped, and the most alive at once.
static ALIVE: AtomicUsize = AtomicUsize::new(0);
static MAX_ALIVE: AtomicUsize = AtomicUsize::new(0);

/// The owner of one chunk's storage: alive from the source's push until the
/// last handle on the chunk is dropped, wherever rt keeps it.
struct Tracked;

impl Tracked {
    fn chunk() -> Buffer {
        let now = ALIVE.fetch_add(1, Ordering::SeqCst) + 1;
        MAX_ALIVE.fetch_max(now, Ordering::SeqCst);
        Buffer::from(bytes::Bytes::from_owner(Tracked))
    }
}

impl AsRef<[u8]> for Tracked {
    fn as_ref(&self) -> &[u8] {
        &BLOCK
    }
}

impl Drop for Tracked {
    fn drop(&mut self) {
        ALIVE.fetch_sub(1, Ordering::SeqCst);
    }
}

#[tokio::test]
async fn one_gib_into_a_ten_times_slower_destination_stays_within_the_marks() {
    let mut sent = 0u64;
    // The source is synchronous: a chunk is there whenever it is asked.
    let src = Readable::from_source(
        move |_size: usize, p: &Pusher<Buffer>| {
            if sent >= GIB {
                p.push_end();
            } else {
                sent += CHUNK as u64;
                p.push(Tracked::chunk());
            }
        },
        ReadableOptions::default().high_water_mark(CHUNK),
    );
    let max_buffered = Arc::new(AtomicUsize::new(0));
    let received = Arc::new(AtomicU64::new(0));
    let dst_cell: Arc<OnceLock<Writable>> = Arc::new(OnceLock::new());
    let copied_chunks = Arc::new(AtomicUsize::new(0));
    let copied = copied_chunks.clone();
    let (s2, m2, r2, d2) = (
        src.clone(),
        max_buffered.clone(),
        received.clone(),
        dst_cell.clone(),
    );
    // The destination takes ten scheduler turns per chunk (the source none).
    let dst = Writable::from_async_fn(
        WritableOptions::default().high_water_mark(CHUNK),
        move |c: Buffer| {
            // The chunk must arrive uncopied, so the drop counter is the
            // memory the pipe holds (a copy would free the tracked storage
            // early); counted here, asserted in the test body.
            if c.as_ptr() != BLOCK.as_ptr() {
                copied.fetch_add(1, Ordering::Relaxed);
            }
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
    within(300, "1 GiB through the pipeline", pipeline(&src, &dst))
        .await
        .unwrap();
    assert_eq!(received.load(Ordering::Relaxed), GIB);
    assert_eq!(
        copied_chunks.load(Ordering::Relaxed),
        0,
        "chunks were copied on their way, so counting them does not measure memory"
    );
    // The memory held: chunks alive at once, never more than a few marks'
    // worth (each mark is one chunk); none left once the pipeline is done
    // and its streams are dropped.
    let max_alive = MAX_ALIVE.load(Ordering::SeqCst);
    println!("at most {max_alive} chunks of {CHUNK} bytes alive at once");
    assert!(max_alive >= 1);
    assert!(
        max_alive <= 4,
        "up to {max_alive} chunks of {CHUNK} bytes were alive at once, more than 4 high-water marks"
    );
    drop((src, dst, dst_cell));
    assert_eq!(
        ALIVE.load(Ordering::SeqCst),
        0,
        "chunks still alive after the pipeline"
    );
    let max = max_buffered.load(Ordering::Relaxed);
    assert!(max > 0);
    assert!(
        max <= 4 * CHUNK,
        "buffered up to {max} bytes, more than 4 high-water marks"
    );
}
