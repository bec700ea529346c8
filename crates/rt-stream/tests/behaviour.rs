//! Behaviour tests: each rule of Node's streams, on rt-stream.
#![allow(missing_docs)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use rt_stream::*;
use rt_tests::wait::{wait_until_async, within};

type Log = Arc<Mutex<Vec<String>>>;

fn log() -> Log {
    Arc::new(Mutex::new(Vec::new()))
}

fn push_log(l: &Log, s: impl Into<String>) {
    l.lock().unwrap().push(s.into());
}

fn taken(l: &Log) -> Vec<String> {
    std::mem::take(&mut *l.lock().unwrap())
}

async fn settle() {
    for _ in 0..64 {
        tokio::task::yield_now().await;
    }
}

fn watch_all<F: Fn(StreamEvent, Box<dyn Fn() + Send + Sync>)>(l: &Log, prefix: &str, on: F) {
    for ev in [
        StreamEvent::End,
        StreamEvent::Finish,
        StreamEvent::Close,
        StreamEvent::Drain,
        StreamEvent::Prefinish,
        StreamEvent::Pause,
        StreamEvent::Resume,
    ] {
        let l = l.clone();
        let name = format!("{prefix}{}", ev.name());
        on(ev, Box::new(move || push_log(&l, name.clone())));
    }
}

#[test]
fn handles_are_send_sync_and_cheap_to_clone() {
    fn assert_send_sync<T: Send + Sync + Clone>() {}
    assert_send_sync::<Readable>();
    assert_send_sync::<Writable>();
    assert_send_sync::<Duplex>();
    assert_send_sync::<Readable<String>>();
    assert_send_sync::<Error>();
    let r = Readable::new(ReadableOptions::default());
    let r2 = r.clone();
    r.push("x");
    assert_eq!(r2.readable_length(), 1);
    assert!(r.same_stream(&r2));
}

#[tokio::test]
async fn write_returns_false_at_the_mark_and_drain_follows_at_several_marks() {
    for hwm in [1usize, 3, 16, 100] {
        let pending = Arc::new(Mutex::new(Vec::<Completion>::new()));
        let p = pending.clone();
        struct S(Arc<Mutex<Vec<Completion>>>);
        impl Sink<Buffer> for S {
            fn write(&mut self, _c: Buffer) -> WriteOutcome {
                let (c, o) = WriteOutcome::deferred();
                self.0.lock().unwrap().push(c);
                o
            }
        }
        let w = Writable::new(S(p), WritableOptions::default().high_water_mark(hwm));
        let drains = Arc::new(AtomicUsize::new(0));
        let d = drains.clone();
        w.on(StreamEvent::Drain, move || {
            d.fetch_add(1, Ordering::SeqCst);
        });
        // Write 1-byte chunks: true until the buffered length reaches the mark.
        let mut total = 0;
        loop {
            total += 1;
            let ok = w.write("x").unwrap();
            assert_eq!(ok, total < hwm, "hwm {hwm} write {total}");
            if !ok {
                break;
            }
        }
        assert!(w.writable_need_drain());
        assert_eq!(w.writable_length(), hwm);
        // Completing all but the last write: no drain yet.
        for _ in 0..hwm - 1 {
            let c = pending.lock().unwrap().remove(0);
            c.complete(Ok(()));
            settle().await;
            assert_eq!(drains.load(Ordering::SeqCst), 0);
        }
        let c = pending.lock().unwrap().remove(0);
        c.complete(Ok(()));
        settle().await;
        assert_eq!(drains.load(Ordering::SeqCst), 1, "hwm {hwm}");
        assert!(!w.writable_need_drain());
        assert_eq!(w.writes_completed(), hwm as u64);
    }
}

#[tokio::test]
async fn write_all_waits_for_drain() {
    let got = Arc::new(Mutex::new(Vec::new()));
    let g = got.clone();
    let w = Writable::from_async_fn(WritableOptions::default().high_water_mark(4), move |c: Buffer| {
        let g = g.clone();
        async move {
            tokio::task::yield_now().await;
            g.lock().unwrap().extend_from_slice(&c);
            Ok(())
        }
    });
    for i in 0..50u8 {
        within(
            10,
            "'drain' after a full buffer",
            w.write_all(vec![b'a' + (i % 26); 3]),
        )
        .await
        .unwrap();
        assert!(w.writable_length() <= 4 + 3);
    }
    within(10, "'finish'", w.end_and_wait()).await.unwrap();
    assert_eq!(got.lock().unwrap().len(), 150);
    assert!(w.writable_finished());
}

#[tokio::test]
async fn event_order_end_finish_close() {
    let l = log();
    let w = Writable::discard();
    watch_all(&l, "w ", |ev, f| {
        w.on(ev, f);
    });
    w.write("a").unwrap();
    w.end().unwrap();
    settle().await;
    assert_eq!(taken(&l), ["w prefinish", "w finish", "w close"]);

    let r = Readable::new(ReadableOptions::default());
    watch_all(&l, "r ", |ev, f| {
        r.on(ev, f);
    });
    let l2 = l.clone();
    r.on_data(move |c| push_log(&l2, format!("data {}", String::from_utf8_lossy(c))));
    r.push("x");
    r.push_end();
    settle().await;
    assert_eq!(taken(&l), ["r resume", "data x", "r end", "r close"]);
}

#[tokio::test]
async fn cork_nests_and_flushes_one_writev_batch() {
    struct V(Log);
    impl Sink<Buffer> for V {
        fn write(&mut self, c: Buffer) -> WriteOutcome {
            push_log(&self.0, format!("write {}", String::from_utf8_lossy(&c)));
            WriteOutcome::ok()
        }
        fn writev(&mut self, cs: Vec<Buffer>) -> WriteOutcome {
            let v: Vec<String> = cs
                .iter()
                .map(|c| String::from_utf8_lossy(c).into_owned())
                .collect();
            push_log(&self.0, format!("writev {}", v.join("|")));
            WriteOutcome::ok()
        }
        fn has_writev(&self) -> bool {
            true
        }
    }
    let l = log();
    let w = Writable::new(V(l.clone()), WritableOptions::default());
    w.cork();
    w.cork();
    assert_eq!(w.writable_corked(), 2);
    for c in ["a", "b", "c"] {
        assert!(w.write(c).unwrap());
    }
    w.uncork();
    assert!(taken(&l).is_empty());
    assert_eq!(w.writable_length(), 3);
    w.uncork();
    assert_eq!(taken(&l), ["writev a|b|c"]);
    assert_eq!(w.writable_length(), 0);
    // A single corked chunk goes through write, not writev.
    w.cork();
    w.write("z").unwrap();
    w.uncork();
    assert_eq!(taken(&l), ["write z"]);
}

#[tokio::test]
async fn flowing_and_paused_switches() {
    let r = Readable::new(ReadableOptions::default());
    assert_eq!(r.readable_flowing(), None);
    let id = r.on_data(|_| {});
    assert_eq!(r.readable_flowing(), Some(true));
    r.pause();
    assert_eq!(r.readable_flowing(), Some(false));
    assert!(r.is_paused());
    // A data listener does not restart an explicitly paused stream.
    r.on_data(|_| {});
    assert_eq!(r.readable_flowing(), Some(false));
    r.resume();
    assert_eq!(r.readable_flowing(), Some(true));
    r.off(id);
    // A readable listener takes over: paused mode.
    r.on(StreamEvent::Readable, || {});
    assert_eq!(r.readable_flowing(), Some(false));
    settle().await;
}

#[tokio::test]
async fn read_n_with_encoding_never_splits_characters() {
    let r = Readable::new(ReadableOptions::default());
    r.set_encoding("utf8").unwrap();
    assert_eq!(r.readable_encoding().as_deref(), Some("utf8"));
    let euro = "€".as_bytes(); // e2 82 ac
    r.push(&euro[..1]);
    assert_eq!(r.readable_length(), 0);
    r.push(&euro[1..]);
    r.push("ab");
    assert_eq!(r.readable_length(), 3); // "€ab" in UTF-16 units
    assert_eq!(&r.read_now(Some(1)).unwrap()[..], "€".as_bytes());
    assert_eq!(&r.read_now(Some(1)).unwrap()[..], b"a");
    assert_eq!(r.read_now(Some(5)), None);
    r.push_end();
    assert_eq!(&r.read_now(Some(5)).unwrap()[..], b"b");
    assert!(
        r.set_encoding("klingon")
            .is_err_and(|e| e.code() == "ERR_UNKNOWN_ENCODING")
    );
}

#[tokio::test]
async fn push_after_eof_and_write_after_end_have_nodes_codes() {
    let r = Readable::new(ReadableOptions::default());
    let errs = log();
    let e2 = errs.clone();
    r.on_error(move |e| push_log(&e2, e.code()));
    r.push_end();
    r.push("late");
    settle().await;
    assert_eq!(taken(&errs), ["ERR_STREAM_PUSH_AFTER_EOF"]);
    assert!(r.destroyed());

    let w = Writable::discard();
    let e2 = errs.clone();
    w.on_error(move |e| push_log(&e2, e.code()));
    w.end().unwrap();
    let e = w.write("x").unwrap_err();
    assert_eq!(e.code(), "ERR_STREAM_WRITE_AFTER_END");
    assert_eq!(e.message(), "write after end");
    settle().await;
    assert_eq!(taken(&errs), ["ERR_STREAM_WRITE_AFTER_END"]);
    let e = w.write("y").unwrap_err();
    assert_eq!(e.code(), "ERR_STREAM_WRITE_AFTER_END");
    // The write after end destroyed the stream before it finished: end()
    // now fails with ERR_STREAM_DESTROYED (node v20, same sequence).
    assert!(w.destroyed());
    assert!(!w.writable_finished());
    let e = w.end().unwrap_err();
    assert_eq!(e.code(), "ERR_STREAM_DESTROYED");
    assert_eq!(e.message(), "Cannot call end after a stream was destroyed");

    // After 'finish', end() fails with ERR_STREAM_ALREADY_FINISHED, through
    // its return value and through the callback (node v20: the callback's
    // error is ERR_STREAM_ALREADY_FINISHED even once auto-destroyed).
    let w = Writable::discard();
    w.end().unwrap();
    settle().await;
    assert!(w.writable_finished());
    let e = w.end().unwrap_err();
    assert_eq!(e.code(), "ERR_STREAM_ALREADY_FINISHED");
    assert_eq!(e.message(), "Cannot call end after a stream was finished");
    let (tx, rx) = tokio::sync::oneshot::channel();
    w.end_cb(move |r| {
        let _ = tx.send(r);
    });
    let r = within(10, "end()'s callback after 'finish'", rx).await.unwrap();
    assert_eq!(r.unwrap_err().code(), "ERR_STREAM_ALREADY_FINISHED");
}

#[tokio::test]
async fn destroy_while_writes_are_in_flight() {
    let pending = Arc::new(Mutex::new(Vec::<Completion>::new()));
    struct S(Arc<Mutex<Vec<Completion>>>);
    impl Sink<Buffer> for S {
        fn write(&mut self, _c: Buffer) -> WriteOutcome {
            let (c, o) = WriteOutcome::deferred();
            self.0.lock().unwrap().push(c);
            o
        }
    }
    let w = Writable::new(S(pending.clone()), WritableOptions::default());
    let l = log();
    for i in 0..3 {
        let l = l.clone();
        w.write_cb("x", move |r| {
            push_log(
                &l,
                format!(
                    "cb{i} {}",
                    r.err().map(|e| e.code().to_string()).unwrap_or("ok".into())
                ),
            )
        })
        .unwrap();
    }
    let lc = l.clone();
    w.on(StreamEvent::Close, move || push_log(&lc, "close"));
    w.destroy(None);
    settle().await;
    // The first write is still with the sink; the buffered ones fail now.
    let first = pending.lock().unwrap().remove(0);
    first.complete(Ok(()));
    settle().await;
    let got = taken(&l);
    assert!(got.contains(&"close".to_string()));
    assert!(got.contains(&"cb0 ok".to_string()));
    assert!(got.contains(&"cb1 ERR_STREAM_DESTROYED".to_string()));
    assert!(got.contains(&"cb2 ERR_STREAM_DESTROYED".to_string()));
    assert_eq!(w.writes_completed(), 1);
    assert_eq!(w.write("late").unwrap_err().code(), "ERR_STREAM_DESTROYED");
}

#[tokio::test]
async fn finished_reports_premature_close_and_errors() {
    let r = Readable::new(ReadableOptions::default());
    let r2 = r.clone();
    let h = tokio::spawn(async move { finished(&r2).await });
    r.destroy(None);
    let res = within(10, "finished() after destroy", h).await.unwrap();
    assert_eq!(res.unwrap_err().code(), "ERR_STREAM_PREMATURE_CLOSE");

    let w = Writable::discard();
    w.destroy(Some(Error::new("ERR_TEST", "boom")));
    let res = within(10, "finished() of an errored writable", finished(&w)).await;
    assert_eq!(res.unwrap_err().code(), "ERR_TEST");

    let w = Writable::discard();
    w.end().unwrap();
    within(10, "finished() after end", finished(&w)).await.unwrap();
    within(10, "'close' after end", closed(&w)).await;
}

#[tokio::test]
async fn pipe_to_several_destinations_at_different_speeds() {
    let fast = Arc::new(Mutex::new(Vec::new()));
    let slow = Arc::new(Mutex::new(Vec::new()));
    let f = fast.clone();
    let s = slow.clone();
    let wf = Writable::from_fn(WritableOptions::default().high_water_mark(8), move |c| {
        f.lock().unwrap().extend_from_slice(&c);
        Ok(())
    });
    let ws = Writable::from_async_fn(WritableOptions::default().high_water_mark(8), move |c: Buffer| {
        let s = s.clone();
        async move {
            for _ in 0..5 {
                tokio::task::yield_now().await;
            }
            s.lock().unwrap().extend_from_slice(&c);
            Ok(())
        }
    });
    // The most bytes buffered at once in the source and in each destination,
    // sampled each time the source is asked for a chunk.
    let max_buffered = Arc::new([AtomicUsize::new(0), AtomicUsize::new(0), AtomicUsize::new(0)]);
    let streams: Arc<OnceLock<(Readable, Writable, Writable)>> = Arc::new(OnceLock::new());
    let (m, st) = (max_buffered.clone(), streams.clone());
    let mut n = 0u8;
    let src = Readable::from_source(
        move |_size: usize, p: &Pusher<Buffer>| {
            if let Some((src, wf, ws)) = st.get() {
                m[0].fetch_max(src.readable_length(), Ordering::SeqCst);
                m[1].fetch_max(wf.writable_length(), Ordering::SeqCst);
                m[2].fetch_max(ws.writable_length(), Ordering::SeqCst);
            }
            if n == 200 {
                p.push_end();
            } else {
                n += 1;
                p.push(vec![n; 4]);
            }
        },
        ReadableOptions::default().high_water_mark(8),
    );
    let _ = streams.set((src.clone(), wf.clone(), ws.clone()));
    src.pipe(&wf);
    src.pipe(&ws);
    within(10, "the fast destination's 'finish'", finished(&wf))
        .await
        .unwrap();
    within(10, "the slow destination's 'finish'", finished(&ws))
        .await
        .unwrap();
    let expect: Vec<u8> = (1..=200u8).flat_map(|i| [i; 4]).collect();
    assert_eq!(*fast.lock().unwrap(), expect);
    assert_eq!(*slow.lock().unwrap(), expect);
    // Backpressure from the slow destination holds everyone near the marks
    // (8 bytes each, 4-byte chunks): at most one chunk over a mark, where
    // ignoring the slow side's `false` would let it pile up hundreds of bytes.
    let [src_max, fast_max, slow_max] = [0, 1, 2].map(|i| max_buffered[i].load(Ordering::SeqCst));
    assert!(src_max <= 8 + 4, "source buffered up to {src_max} bytes");
    assert!(
        fast_max <= 8 + 4,
        "fast destination buffered up to {fast_max} bytes"
    );
    assert!(
        slow_max <= 8 + 4,
        "slow destination buffered up to {slow_max} bytes"
    );
    assert!(
        slow_max >= 4,
        "the slow destination never had a backlog: the test measures nothing"
    );
}

#[tokio::test]
async fn pipeline_error_in_the_middle_destroys_every_stream() {
    let src = Readable::from_iter((0..100).map(|i| Buffer::from(format!("{i},"))));
    let mid = Transform::objects(DuplexOptions::default(), |c: Buffer, p: &Pusher<Buffer>| {
        if &c[..] == b"7," {
            return Err(Error::new("ERR_BAD_CHUNK", "chunk 7 is bad"));
        }
        p.push(c);
        Ok(())
    });
    let dst = Writable::objects_from_fn(WritableOptions::default(), |_c: Buffer| Ok(()));
    let err = within(10, "the pipeline to fail", pipeline!(src, mid, dst))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "ERR_BAD_CHUNK");
    settle().await;
    assert!(src.destroyed());
    assert!(mid.destroyed());
    assert!(dst.destroyed());
}

#[tokio::test]
async fn transform_with_flush_and_backpressure() {
    // A line splitter: bytes in, lines out, the last partial line at flush.
    let carry = Arc::new(Mutex::new(Vec::<u8>::new()));
    let c2 = carry.clone();
    let lines = Transform::bytes_to_objects(
        DuplexOptions::default().readable_high_water_mark(2),
        move |chunk: Buffer, p: &Pusher<String>| {
            let mut c = carry.lock().unwrap();
            c.extend_from_slice(&chunk);
            while let Some(i) = c.iter().position(|&b| b == b'\n') {
                let line: Vec<u8> = c.drain(..=i).collect();
                p.push(String::from_utf8_lossy(&line[..i]).into_owned());
            }
            Ok(())
        },
        move |p: &Pusher<String>| {
            let c = std::mem::take(&mut *c2.lock().unwrap());
            if !c.is_empty() {
                p.push(String::from_utf8_lossy(&c).into_owned());
            }
            Ok(())
        },
    );
    let writer = lines.clone();
    let w = tokio::spawn(async move {
        for part in ["on", "e\ntwo\nthr", "ee\nfo", "ur"] {
            writer.write_all(part).await.unwrap();
        }
        writer.end().unwrap();
    });
    let got: Vec<String> = within(10, "every line and 'end'", lines.read_all())
        .await
        .unwrap();
    within(10, "the writer task", w).await.unwrap();
    assert_eq!(got, ["one", "two", "three", "four"]);
}

#[tokio::test]
async fn readable_from_async_stream_and_iteration() {
    /// Counts to 50; before every 7th item it is not ready, and a thread
    /// wakes it a millisecond later (a lost waker would hang the read).
    struct Count {
        n: u32,
        waiting: bool,
        pendings: Arc<AtomicUsize>,
    }
    impl futures_core::Stream for Count {
        type Item = u32;
        fn poll_next(
            mut self: std::pin::Pin<&mut Self>,
            cx: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Option<u32>> {
            if self.n == 50 {
                return std::task::Poll::Ready(None);
            }
            if (self.n + 1) % 7 == 0 && !self.waiting {
                self.waiting = true;
                self.pendings.fetch_add(1, Ordering::SeqCst);
                let waker = cx.waker().clone();
                std::thread::spawn(move || {
                    std::thread::sleep(std::time::Duration::from_millis(1));
                    waker.wake();
                });
                return std::task::Poll::Pending;
            }
            self.waiting = false;
            self.n += 1;
            std::task::Poll::Ready(Some(self.n))
        }
    }
    let pendings = Arc::new(AtomicUsize::new(0));
    let r = Readable::from_stream(Count {
        n: 0,
        waiting: false,
        pendings: pendings.clone(),
    });
    let all = within(
        10,
        "all 50 items of a stream that is sometimes pending",
        r.read_all(),
    )
    .await
    .unwrap();
    assert_eq!(all, (1..=50).collect::<Vec<_>>());
    assert_eq!(
        pendings.load(Ordering::SeqCst),
        7,
        "items 7, 14, ..., 49 were pending first"
    );
    settle().await;
    assert!(r.readable_ended());
}

/// A stream of `Result` chunks that is not ready every third poll, and
/// fails at `fail_at` (if given).
struct Chunks {
    next: u8,
    last: u8,
    fail_at: Option<u8>,
    polls: u32,
}

impl futures_core::Stream for Chunks {
    type Item = Result<Vec<u8>, Error>;
    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        self.polls += 1;
        if self.polls % 3 == 0 {
            // Not ready now: come back later (the pump's task takes over).
            cx.waker().wake_by_ref();
            return std::task::Poll::Pending;
        }
        if self.next > self.last {
            return std::task::Poll::Ready(None);
        }
        let n = self.next;
        self.next += 1;
        if self.fail_at == Some(n) {
            return std::task::Poll::Ready(Some(Err(Error::new("ERR_TEST_SOURCE", "boom"))));
        }
        std::task::Poll::Ready(Some(Ok(vec![n; 3])))
    }
}

#[tokio::test]
async fn readable_from_a_byte_stream_that_is_not_always_ready() {
    let r = Readable::from_byte_stream(
        Chunks {
            next: 0,
            last: 40,
            fail_at: None,
            polls: 0,
        },
        ReadableOptions::default().high_water_mark(8),
    );
    let got: Vec<u8> = within(10, "every chunk and 'end'", r.read_all())
        .await
        .unwrap()
        .concat();
    let want: Vec<u8> = (0..=40u8).flat_map(|n| [n; 3]).collect();
    assert_eq!(got, want);
    settle().await;
    assert!(r.readable_ended());

    let r = Readable::from_byte_stream(
        Chunks {
            next: 0,
            last: 40,
            fail_at: Some(20),
            polls: 0,
        },
        ReadableOptions::default().high_water_mark(8),
    );
    let err = within(10, "the source's error", r.read_all()).await.unwrap_err();
    assert_eq!(err.code(), "ERR_TEST_SOURCE");
    settle().await;
    assert!(r.destroyed());
    assert!(!r.readable_ended());
}

#[test]
fn an_async_source_that_is_not_ready_needs_a_runtime() {
    let r = Readable::from_byte_stream(
        Chunks {
            next: 0,
            last: 40,
            fail_at: None,
            polls: 0,
        },
        ReadableOptions::default(),
    );
    let seen = log();
    let s2 = seen.clone();
    r.on_error(move |e| push_log(&s2, e.code()));
    r.resume();
    assert_eq!(taken(&seen), vec!["ERR_NO_RUNTIME".to_string()]);
    assert!(r.destroyed());
}

#[tokio::test]
async fn duplex_allow_half_open_false_ends_the_writable_side() {
    let d = Duplex::new(
        DuplexOptions::default().allow_half_open(false),
        None::<fn(usize, &Pusher<Buffer>)>,
        Some(NullSink),
    );
    let l = log();
    let l2 = l.clone();
    d.on(StreamEvent::Finish, move || push_log(&l2, "finish"));
    d.on_data(|_| {});
    d.push_end();
    settle().await;
    assert!(d.writable_ended());
    assert_eq!(taken(&l), ["finish"]);
}

#[test]
fn no_runtime_needed_for_synchronous_streams() {
    let out = Arc::new(Mutex::new(Vec::new()));
    let o = out.clone();
    let w = Writable::from_fn(WritableOptions::default(), move |c| {
        o.lock().unwrap().extend_from_slice(&c);
        Ok(())
    });
    let done = Arc::new(AtomicUsize::new(0));
    let d = done.clone();
    w.on(StreamEvent::Finish, move || {
        d.fetch_add(1, Ordering::SeqCst);
    });
    for i in 0..1000 {
        w.write(format!("{i};")).unwrap();
    }
    w.end().unwrap();
    assert_eq!(done.load(Ordering::SeqCst), 1);
    let want: String = (0..1000).map(|i| format!("{i};")).collect();
    assert_eq!(String::from_utf8_lossy(&out.lock().unwrap()), want);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pipe_across_threads_keeps_every_byte_in_order() {
    let sum = Arc::new(Mutex::new(Vec::new()));
    let s = sum.clone();
    let mut rng = rt_tests::rng::Rng::new(42);
    let chunks: Vec<Buffer> = (0..2000)
        .map(|_| {
            let n = rng.range(1, 300) as usize;
            Buffer::from(rng.bytes(n))
        })
        .collect();
    let expect: Vec<u8> = chunks.iter().flat_map(|c| c.iter().copied()).collect();
    let src = Readable::from_iter(chunks);
    let mid = PassThrough::objects::<Buffer>(DuplexOptions::default());
    let dst = Writable::objects_from_async_fn(WritableOptions::default(), move |c: Buffer| {
        let s = s.clone();
        async move {
            tokio::task::yield_now().await;
            s.lock().unwrap().extend_from_slice(&c);
            Ok(())
        }
    });
    within(30, "the pipeline across threads", pipeline!(src, mid, dst))
        .await
        .unwrap();
    assert_eq!(*sum.lock().unwrap(), expect);
}

#[tokio::test]
async fn the_rt_events_face_sees_the_same_events_with_nodes_side_effects() {
    use rt_events::Emitter;
    let r = Readable::new(ReadableOptions::default());
    let l = log();
    let l2 = l.clone();
    // A readable listener through the emitter switches to paused mode.
    let id = r
        .emitter()
        .on(&events::READABLE, move |_| push_log(&l2, "readable"));
    assert_eq!(r.readable_flowing(), Some(false));
    r.push("a");
    settle().await;
    assert_eq!(taken(&l), ["readable"]);
    assert!(r.emitter().off(&events::READABLE, id));
    let l3 = l.clone();
    Emitter::on(&r, &events::DATA, move |c: &Buffer| {
        push_log(&l3, format!("data {}", String::from_utf8_lossy(c)))
    });
    let l4 = l.clone();
    r.emitter().on(&events::END, move |_| push_log(&l4, "end"));
    r.resume();
    r.push_end();
    settle().await;
    assert_eq!(taken(&l), ["data a", "end"]);

    let w = Writable::discard();
    let l5 = l.clone();
    w.emitter().on(&events::ERROR, move |e: &Error| {
        push_log(&l5, format!("error {}", e.code()))
    });
    w.destroy(Some(Error::new("ERR_TEST", "x")));
    settle().await;
    assert_eq!(taken(&l), ["error ERR_TEST"]);
}

#[test]
fn strings_are_encoded_with_the_default_encoding() {
    let got = Arc::new(Mutex::new(Vec::new()));
    let g = got.clone();
    let w = Writable::from_fn(WritableOptions::default(), move |c| {
        g.lock().unwrap().push(c.to_vec());
        Ok(())
    });
    w.write_str("é").unwrap();
    w.set_default_encoding("hex").unwrap();
    w.write_str("6869").unwrap();
    w.write_str_in("aGk=", "base64").unwrap();
    assert_eq!(
        *got.lock().unwrap(),
        [vec![0xc3, 0xa9], b"hi".to_vec(), b"hi".to_vec()]
    );
    assert_eq!(
        w.set_default_encoding("nope").unwrap_err().code(),
        "ERR_UNKNOWN_ENCODING"
    );
}

/// One stream, pushed from one task while another task pauses and resumes
/// it: on a multi-thread runtime both threads reach the delivery code, and
/// every chunk must still reach `'data'` once, in push order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pushes_racing_pause_and_resume_on_other_threads_keep_order() {
    for round in 0..20u32 {
        let r = Arc::new(Readable::objects(ReadableOptions::default()));
        let seen = Arc::new(Mutex::new(Vec::<u32>::new()));
        let s = seen.clone();
        r.on_data(move |v: &u32| {
            // Widen the window between taking a chunk and recording it.
            for _ in 0..200 {
                std::hint::spin_loop();
            }
            s.lock().unwrap().push(*v);
        });
        const N: u32 = 3000;
        let p = r.clone();
        let producer = tokio::spawn(async move {
            for i in 0..N {
                p.push(i);
                if i % 7 == 0 {
                    tokio::task::yield_now().await;
                }
            }
        });
        let t = r.clone();
        let toggler = tokio::spawn(async move {
            for i in 0..2000u32 {
                if i % 2 == 0 {
                    t.pause();
                } else {
                    t.resume();
                }
                tokio::task::yield_now().await;
            }
            t.resume();
        });
        within(30, "the producer task", producer).await.unwrap();
        within(30, "the pause/resume task", toggler).await.unwrap();
        r.resume();
        wait_until_async(30, &format!("round {round}: all {N} chunks reach 'data'"), || {
            seen.lock().unwrap().len() >= N as usize
        })
        .await;
        let got = seen.lock().unwrap().clone();
        let want: Vec<u32> = (0..N).collect();
        assert_eq!(got, want, "round {round}");
    }
}

#[test]
fn a_panicking_data_listener_does_not_stall_the_stream_for_other_threads() {
    // No runtime: deferred work runs before each call returns, on the calling thread.
    let r = Readable::objects(ReadableOptions::default());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let bad = r.on_data(|n: &u32| {
        if *n == 0 {
            panic!("listener fails on the first chunk");
        }
    });
    let s = seen.clone();
    r.on_data(move |n: &u32| s.lock().unwrap().push(*n));
    let r2 = r.clone();
    let first = std::thread::spawn(move || {
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| r2.push(0u32)));
    });
    rt_tests::wait::wait_until(10, "the first pushing thread finishes", || first.is_finished());
    first.join().unwrap();
    // The listener that threw is gone; another thread pushes: its chunks
    // must be delivered (a delivery token left held by the panicking thread
    // would leave them buffered forever).
    r.off(bad);
    let r3 = r.clone();
    let second = std::thread::spawn(move || {
        for n in 1..=3u32 {
            r3.push(n);
        }
    });
    rt_tests::wait::wait_until(10, "the second pushing thread finishes", || second.is_finished());
    second.join().unwrap();
    assert_eq!(*seen.lock().unwrap(), [1, 2, 3]);
}

/// Regression (multi-thread): a `_read` asked for on one thread while the
/// source is still in `read` on another is not dropped. The reading thread
/// asks again once its `read` returns (the read is still owed: nothing was
/// pushed since); before, `reading` stayed set with no read under way and
/// the stream never read again (a socket piped into itself never saw its
/// peer's end).
#[test]
fn a_read_asked_for_while_the_source_reads_on_another_thread_is_not_lost() {
    use std::sync::mpsc::channel;
    use std::time::Duration;
    let calls = Arc::new(AtomicUsize::new(0));
    let (inside_tx, inside_rx) = channel::<()>();
    let (done_tx, done_rx) = channel::<()>();
    let done_rx = Mutex::new(done_rx);
    let c = calls.clone();
    let src = Readable::from_source(
        move |_size: usize, p: &Pusher<Buffer>| match c.fetch_add(1, Ordering::SeqCst) {
            0 => {
                // Pushed (no longer "reading"), still inside `read`: let the
                // other thread ask for a read now, and wait until it has.
                p.push("a");
                let _ = inside_tx.send(());
                let _ = done_rx.lock().unwrap().recv_timeout(Duration::from_secs(10));
            }
            _ => p.push_end(),
        },
        // A mark of one byte: the pushed chunk fills it, so no read-more
        // re-enters `read` on the first thread.
        ReadableOptions::default().high_water_mark(1),
    );
    let reader = {
        let src = src.clone();
        std::thread::spawn(move || {
            src.read_now(Some(0));
        })
    };
    inside_rx
        .recv_timeout(Duration::from_secs(10))
        .expect("the source's first read never ran");
    // Another thread reads (and asks for a `_read`) while the first is
    // still in `read`.
    assert_eq!(src.read_now(None).map(|b| b.to_vec()), Some(b"a".to_vec()));
    done_tx.send(()).unwrap();
    reader.join().expect("the reading thread panicked");
    assert_eq!(
        calls.load(Ordering::SeqCst),
        2,
        "the read asked for during the first read was dropped"
    );
    assert!(src.read_now(None).is_none());
}
