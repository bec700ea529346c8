//! Races on a multi-thread runtime that Node, with its one thread, cannot
//! have: a stream's listeners never run on two threads at once, and an
//! async waiter never misses the state change it waits for.
#![allow(missing_docs)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use rt_stream::*;
use rt_tests::wait::within;
use support::{Flavour, runtime};

mod support;

/// Two producers on two workers push while a `'readable'` listener reads:
/// Node emits `'readable'` from its one thread, so a listener never starts
/// while the previous call is still running. Each round counts the calls
/// that started while another was inside.
#[test]
fn readable_is_emitted_for_one_stream_on_one_thread_at_a_time() {
    const ROUNDS: u32 = 40;
    const PER_PRODUCER: u32 = 2000;
    let rt = runtime(Flavour::MultiThread);
    let mut emissions = 0usize;
    let mut overlaps = 0usize;
    for round in 0..ROUNDS {
        let (calls, overlapped, got) = rt.block_on(async {
            let r: Readable<u32> = Readable::objects(ReadableOptions::default());
            let inside = Arc::new(AtomicUsize::new(0));
            let calls = Arc::new(AtomicUsize::new(0));
            let overlapped = Arc::new(AtomicUsize::new(0));
            let got = Arc::new(Mutex::new(Vec::new()));
            let listener;
            {
                let (inside, calls, overlapped, got) =
                    (inside.clone(), calls.clone(), overlapped.clone(), got.clone());
                let me = r.clone();
                listener = r.on(StreamEvent::Readable, move || {
                    calls.fetch_add(1, Ordering::SeqCst);
                    if inside.fetch_add(1, Ordering::SeqCst) > 0 {
                        overlapped.fetch_add(1, Ordering::SeqCst);
                    }
                    // Widen the window in which another emission could start.
                    for _ in 0..2000 {
                        std::hint::spin_loop();
                    }
                    while let Some(v) = me.read_now(None) {
                        got.lock().unwrap().push(v);
                    }
                    inside.fetch_sub(1, Ordering::SeqCst);
                });
            }
            let (end_tx, end_rx) = tokio::sync::oneshot::channel();
            let end_tx = Mutex::new(Some(end_tx));
            r.on(StreamEvent::End, move || {
                if let Some(t) = end_tx.lock().unwrap().take() {
                    let _ = t.send(());
                }
            });
            let producers: Vec<_> = (0..2u32)
                .map(|p| {
                    let r = r.clone();
                    tokio::spawn(async move {
                        for i in 0..PER_PRODUCER {
                            r.push(p * PER_PRODUCER + i);
                            if i % 5 == 0 {
                                tokio::task::yield_now().await;
                            }
                        }
                    })
                })
                .collect();
            for p in producers {
                within(30, "a producer to push all its chunks", p).await.unwrap();
            }
            r.push_end();
            within(30, &format!("'end' in round {round}"), end_rx)
                .await
                .unwrap();
            // The listener holds a handle of the stream: break the cycle.
            r.off(listener);
            let got = std::mem::take(&mut *got.lock().unwrap());
            (
                calls.load(Ordering::SeqCst),
                overlapped.load(Ordering::SeqCst),
                got,
            )
        });
        let mut sorted = got.clone();
        sorted.sort_unstable();
        assert_eq!(
            sorted,
            (0..2 * PER_PRODUCER).collect::<Vec<_>>(),
            "round {round}: every pushed value read exactly once"
        );
        emissions += calls;
        overlaps += overlapped;
    }
    println!("{ROUNDS} rounds, {emissions} 'readable' emissions, {overlaps} started inside another");
    assert!(emissions >= ROUNDS as usize, "'readable' was emitted");
    assert_eq!(overlaps, 0, "'readable' listener calls that overlapped another");
}

/// `write_all` waits for `'drain'`; here `'drain'` comes from a tick queued
/// by a synchronous completion (`uncork` writes the held chunk at once), and
/// the completion's wake-up lets the waiter look before that tick has run.
/// It must still be woken when `'drain'` happens (current-thread runtime:
/// the waiter always runs before the tick, so this fails every time if the
/// drain does not wake).
#[tokio::test]
async fn write_all_is_woken_by_a_drain_that_comes_from_a_tick() {
    for round in 0..20 {
        let w = Writable::from_fn(WritableOptions::default().high_water_mark(4), |_| Ok(()));
        let drains = Arc::new(AtomicUsize::new(0));
        let d = drains.clone();
        w.on(StreamEvent::Drain, move || {
            d.fetch_add(1, Ordering::SeqCst);
        });
        w.cork();
        let w2 = w.clone();
        let waiter = tokio::spawn(async move { w2.write_all(Buffer::from(vec![7u8; 16])).await });
        let held = w.clone();
        rt_tests::wait::wait_until_async(5, "the corked write to be buffered", move || {
            held.writable_length() == 16
        })
        .await;
        w.uncork();
        within(
            5,
            &format!("round {round}: write_all to return after 'drain'"),
            waiter,
        )
        .await
        .unwrap()
        .unwrap();
        assert_eq!(drains.load(Ordering::SeqCst), 1, "round {round}: one 'drain'");
    }
}

/// `fs::create_write_stream(..)` then `write_all(..).await` in parallel
/// writers on a multi-thread runtime: each write past the write-behind
/// window completes on the file's I/O thread, and `write_all` must see the
/// `'drain'` that follows (it once missed it and never returned).
#[test]
fn file_write_all_returns_under_parallel_writers() {
    const ROUNDS: usize = 12;
    const WRITERS: usize = 4;
    const CHUNK: usize = 16 * 1024;
    const CHUNKS: usize = 160; // 2.5 MiB per file: past the 1 MiB write-behind
    let rt = runtime(Flavour::MultiThread);
    let dir = rt_tests::temp::TempDir::new("rt-stream-races");
    let drains = Arc::new(AtomicUsize::new(0));
    for round in 0..ROUNDS {
        let handles: Vec<_> = (0..WRITERS)
            .map(|k| {
                let path = dir.path().join(format!("w{k}"));
                let drains = drains.clone();
                rt.spawn(async move {
                    let w = fs::create_write_stream(&path, fs::WriteStreamOptions::default())?;
                    w.on(StreamEvent::Drain, move || {
                        drains.fetch_add(1, Ordering::SeqCst);
                    });
                    let chunk = Buffer::from(vec![k as u8; CHUNK]);
                    for _ in 0..CHUNKS {
                        w.write_all(chunk.clone()).await?;
                    }
                    w.end_and_wait().await?;
                    Ok::<_, Error>(path)
                })
            })
            .collect();
        for (k, h) in handles.into_iter().enumerate() {
            let what = format!("round {round}, writer {k}: every write_all and the end to return");
            let path = rt.block_on(within(60, &what, h)).unwrap().unwrap();
            let data = std::fs::read(&path).unwrap();
            assert_eq!(data.len(), CHUNK * CHUNKS, "round {round}, writer {k}: file size");
            assert!(
                data.iter().all(|b| *b == k as u8),
                "round {round}, writer {k}: content"
            );
        }
    }
    let drains = drains.load(Ordering::SeqCst);
    println!(
        "{ROUNDS} rounds of {WRITERS} parallel file writers: {drains} write_all calls waited for 'drain'"
    );
    assert!(
        drains > 0,
        "no write_all waited for 'drain': the test did not reach the race"
    );
}
