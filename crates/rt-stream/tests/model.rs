//! Shuttle models of the stream core's locking and delivery order.
//!
//! Built only with `--features model`: the mutexes of a stream's state (the
//! core's state and source, the listener lists, a write's completion slot,
//! a transform's callback) are then shuttle's, so shuttle decides which
//! thread runs at every lock and explores thousands of interleavings per
//! scenario (random and PCT schedules, each reproducible from the seed it
//! prints on failure). The streams run outside any runtime: their ticks run
//! before the public call that queued them returns, on the caller's thread.
//!
//! What every scenario checks is what Node's one thread guarantees: a
//! stream's listeners never run on two threads at once, chunks are delivered
//! once each and in order, `'end'` / `'finish'` come once, after the data,
//! and no schedule deadlocks (shuttle fails a schedule in which every thread
//! is blocked).
//!
//! Run: `cargo test -p rt-stream --features model --test model` (`cargo xtask ci` does).
#![cfg(feature = "model")]
#![allow(missing_docs)]

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rt_stream::*;
use shuttle::thread;

/// Schedules per scenario and strategy.
const ITERATIONS: usize = 20_000;

/// Runs `f` under shuttle's random and PCT schedulers, on a thread of its
/// own so that a real hang (a std lock held across a shuttle switch) fails
/// the test instead of stalling it; returns the schedules run.
fn explore(name: &'static str, f: fn()) -> usize {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runs = Arc::new(AtomicUsize::new(0));
        let counted = {
            let runs = runs.clone();
            move || {
                runs.fetch_add(1, SeqCst);
                f();
            }
        };
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            shuttle::check_random(counted.clone(), ITERATIONS);
            shuttle::check_pct(counted, ITERATIONS, 3);
        }));
        let _ = tx.send(r.map(|_| runs.load(SeqCst)));
    });
    match rx.recv_timeout(Duration::from_secs(300)) {
        Ok(Ok(n)) => {
            println!("{name}: {n} schedules explored");
            n
        }
        Ok(Err(p)) => std::panic::resume_unwind(p),
        Err(_) => panic!("{name}: the schedules did not finish within 300 s (a real hang)"),
    }
}

/// Counts listener calls that start while another is still running.
#[derive(Default)]
struct Overlap {
    inside: AtomicUsize,
    overlapped: AtomicUsize,
}

impl Overlap {
    fn enter(&self) {
        if self.inside.fetch_add(1, SeqCst) > 0 {
            self.overlapped.fetch_add(1, SeqCst);
        }
        // A listener's body is user code: let shuttle switch inside it.
        thread::yield_now();
    }
    fn leave(&self) {
        self.inside.fetch_sub(1, SeqCst);
    }
    fn overlapped(&self) -> usize {
        self.overlapped.load(SeqCst)
    }
}

/// Flowing mode: one thread pushes 0..5 then the end, another pauses and
/// resumes. Every chunk reaches the 'data' listener once, in order, one call
/// at a time; 'end' comes once, after the last chunk.
fn flowing_with_pause_resume() {
    let opts = ReadableOptions::default().high_water_mark(2);
    let r: Readable<u32> = Readable::objects(opts);
    let got = Arc::new(Mutex::new(Vec::new()));
    let ends = Arc::new(AtomicUsize::new(0));
    let at_end = Arc::new(Mutex::new(None));
    let overlap = Arc::new(Overlap::default());
    {
        let (got, overlap) = (got.clone(), overlap.clone());
        r.on_data(move |v: &u32| {
            overlap.enter();
            got.lock().unwrap().push(*v);
            overlap.leave();
        });
    }
    {
        let (got, ends, at_end) = (got.clone(), ends.clone(), at_end.clone());
        r.on(StreamEvent::End, move || {
            ends.fetch_add(1, SeqCst);
            *at_end.lock().unwrap() = Some(got.lock().unwrap().len());
        });
    }
    let producer = {
        let r = r.clone();
        thread::spawn(move || {
            for i in 0..5u32 {
                r.push(i);
            }
            r.push_end();
        })
    };
    let toggler = {
        let r = r.clone();
        thread::spawn(move || {
            r.pause();
            r.resume();
            r.pause();
            r.resume();
        })
    };
    producer.join().unwrap();
    toggler.join().unwrap();
    // Whatever the toggles left, a last resume lets the rest flow.
    r.resume();
    assert_eq!(
        *got.lock().unwrap(),
        vec![0, 1, 2, 3, 4],
        "chunks once each, in order"
    );
    assert_eq!(ends.load(SeqCst), 1, "'end' once");
    assert_eq!(*at_end.lock().unwrap(), Some(5), "'end' after the last chunk");
    assert_eq!(overlap.overlapped(), 0, "'data' listener calls overlapped");
}

/// Paused mode: two producers push while a 'readable' listener drains with
/// read(). Never two 'readable' calls at once, every chunk read once, each
/// producer's chunks in its order, 'end' once after everything.
fn readable_with_two_producers() {
    let r: Readable<u32> = Readable::objects(ReadableOptions::default());
    let got = Arc::new(Mutex::new(Vec::new()));
    let ends = Arc::new(AtomicUsize::new(0));
    let overlap = Arc::new(Overlap::default());
    {
        let (got, overlap, me) = (got.clone(), overlap.clone(), r.clone());
        r.on(StreamEvent::Readable, move || {
            overlap.enter();
            while let Some(v) = me.read_now(None) {
                got.lock().unwrap().push(v);
            }
            overlap.leave();
        });
    }
    {
        let ends = ends.clone();
        r.on(StreamEvent::End, move || {
            ends.fetch_add(1, SeqCst);
        });
    }
    let producers: Vec<_> = (0..2u32)
        .map(|p| {
            let r = r.clone();
            thread::spawn(move || {
                for i in 0..3u32 {
                    r.push(p * 10 + i);
                }
            })
        })
        .collect();
    for p in producers {
        p.join().unwrap();
    }
    r.push_end();
    // A chunk left in the buffer after the last 'readable' is read here.
    while let Some(v) = r.read_now(None) {
        got.lock().unwrap().push(v);
    }
    let got = got.lock().unwrap().clone();
    let mut sorted = got.clone();
    sorted.sort_unstable();
    assert_eq!(
        sorted,
        vec![0, 1, 2, 10, 11, 12],
        "every chunk read once: {got:?}"
    );
    for p in 0..2 {
        let mine: Vec<_> = got.iter().filter(|v| **v / 10 == p).copied().collect();
        assert_eq!(
            mine,
            vec![p * 10, p * 10 + 1, p * 10 + 2],
            "producer {p}'s order: {got:?}"
        );
    }
    assert_eq!(overlap.overlapped(), 0, "'readable' listener calls overlapped");
    assert_eq!(ends.load(SeqCst), 1, "'end' once");
}

/// Schedules of `deferred_writes_completed_elsewhere` in which a write said
/// `false` (so the 'drain' checks were not vacuous).
static SCHEDULES_WITH_BACKPRESSURE: AtomicUsize = AtomicUsize::new(0);

/// A sink whose writes complete later, from another thread.
struct LaterSink {
    seen: Arc<Mutex<Vec<u32>>>,
    pending: Arc<Mutex<Vec<Completion>>>,
}

impl Sink<u32> for LaterSink {
    fn write(&mut self, chunk: u32) -> WriteOutcome {
        self.seen.lock().unwrap().push(chunk);
        let (c, out) = WriteOutcome::deferred();
        self.pending.lock().unwrap().push(c);
        out
    }
}

/// A writer thread writes 0..4 (high-water mark 2) with callbacks and ends;
/// a completer thread completes the sink's writes as they come. The sink
/// sees every chunk once in order, each callback runs once and in order,
/// one 'drain' follows each write that returned false (the writer waits for
/// it before writing on), and 'finish' comes once, after the last callback.
fn deferred_writes_completed_elsewhere() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let pending = Arc::new(Mutex::new(Vec::new()));
    let opts = WritableOptions::default().high_water_mark(2);
    let w: Writable<u32> = Writable::objects(
        LaterSink {
            seen: seen.clone(),
            pending: pending.clone(),
        },
        opts,
    );
    let callbacks = Arc::new(Mutex::new(Vec::new()));
    let drains = Arc::new(AtomicUsize::new(0));
    let finishes = Arc::new(AtomicUsize::new(0));
    let at_finish = Arc::new(Mutex::new(None));
    {
        let drains = drains.clone();
        w.on(StreamEvent::Drain, move || {
            drains.fetch_add(1, SeqCst);
        });
    }
    {
        let (finishes, at_finish, callbacks) = (finishes.clone(), at_finish.clone(), callbacks.clone());
        w.on(StreamEvent::Finish, move || {
            finishes.fetch_add(1, SeqCst);
            *at_finish.lock().unwrap() = Some(callbacks.lock().unwrap().len());
        });
    }
    let writer = {
        let (w, callbacks, drains) = (w.clone(), callbacks.clone(), drains.clone());
        thread::spawn(move || {
            // A writer that respects backpressure, as Node code does: after a
            // `false`, it waits for 'drain' (bounded; the completer gets turns).
            let mut falses = 0;
            for i in 0..4u32 {
                let callbacks = callbacks.clone();
                let ok = w
                    .write_cb(i, move |r| {
                        assert!(r.is_ok(), "write {i} failed: {r:?}");
                        callbacks.lock().unwrap().push(i);
                    })
                    .expect("write accepted");
                if !ok {
                    falses += 1;
                    for _ in 0..400 {
                        if drains.load(SeqCst) >= falses {
                            break;
                        }
                        thread::yield_now();
                    }
                    assert_eq!(
                        drains.load(SeqCst),
                        falses,
                        "one 'drain' after write {i} said false"
                    );
                }
            }
            w.end().expect("end accepted");
            falses
        })
    };
    let completer = {
        let pending = pending.clone();
        thread::spawn(move || {
            let mut done = 0;
            // Bounded: four writes, and each schedule gives the writer a turn.
            for _ in 0..400 {
                if done == 4 {
                    break;
                }
                let next = {
                    let mut p = pending.lock().unwrap();
                    if p.is_empty() { None } else { Some(p.remove(0)) }
                };
                match next {
                    Some(c) => {
                        c.complete(Ok(()));
                        done += 1;
                    }
                    None => thread::yield_now(),
                }
            }
            done
        })
    };
    let falses = writer.join().unwrap();
    let completed = completer.join().unwrap();
    assert_eq!(completed, 4, "the completer saw all four writes reach the sink");
    assert_eq!(
        *seen.lock().unwrap(),
        vec![0, 1, 2, 3],
        "the sink got each chunk once, in order"
    );
    assert_eq!(
        *callbacks.lock().unwrap(),
        vec![0, 1, 2, 3],
        "callbacks once each, in order"
    );
    if falses > 0 {
        SCHEDULES_WITH_BACKPRESSURE.fetch_add(1, SeqCst);
    }
    assert_eq!(
        drains.load(SeqCst),
        falses,
        "one 'drain' per write that said false"
    );
    assert_eq!(finishes.load(SeqCst), 1, "'finish' once");
    assert_eq!(
        *at_finish.lock().unwrap(),
        Some(4),
        "'finish' after every callback"
    );
}

/// A transform fed by one thread and read (flowing) while another thread
/// pipes nothing but pauses and resumes it: output in input order, once.
fn transform_under_pause_resume() {
    let t = Transform::objects(DuplexOptions::default(), |v: u32, push: &Pusher<u32>| {
        push.push(v * 2);
        Ok(())
    });
    let got = Arc::new(Mutex::new(Vec::new()));
    let overlap = Arc::new(Overlap::default());
    {
        let (got, overlap) = (got.clone(), overlap.clone());
        t.on_data(move |v: &u32| {
            overlap.enter();
            got.lock().unwrap().push(*v);
            overlap.leave();
        });
    }
    let writer = {
        let t = t.clone();
        thread::spawn(move || {
            for i in 0..4u32 {
                t.write(i).expect("write accepted");
            }
            t.end().expect("end accepted");
        })
    };
    let toggler = {
        let t = t.clone();
        thread::spawn(move || {
            t.pause();
            t.resume();
        })
    };
    writer.join().unwrap();
    toggler.join().unwrap();
    t.resume();
    assert_eq!(
        *got.lock().unwrap(),
        vec![0, 2, 4, 6],
        "transformed chunks once each, in order"
    );
    assert_eq!(overlap.overlapped(), 0, "'data' listener calls overlapped");
}

/// A byte sink for the write gate's models: records each chunk's first
/// byte (and `F` for `_final`), counts overlapping calls, lets shuttle
/// switch inside, and re-enters its own stream once (writing `re` from
/// inside the write of chunk `at`) when given the stream.
struct GateSink {
    seen: Arc<Mutex<Vec<u8>>>,
    overlap: Arc<Overlap>,
    reenter: Option<(u8, u8, Arc<Mutex<Option<Writable>>>)>,
}

impl Sink<Buffer> for GateSink {
    fn write(&mut self, chunk: Buffer) -> WriteOutcome {
        self.overlap.enter();
        self.seen.lock().unwrap().push(chunk[0]);
        self.overlap.leave();
        if let Some((at, re, w)) = &self.reenter {
            if chunk[0] == *at {
                let w = w.lock().unwrap().clone();
                if let Some(w) = w {
                    // Node: a write inside `_write` is buffered behind it.
                    assert!(w.writable_length() >= 1, "the running write is counted");
                    w.write(Buffer::from(vec![*re]))
                        .expect("re-entrant write accepted");
                }
            }
        }
        WriteOutcome::ok()
    }

    fn finish(&mut self) -> Option<WriteOutcome> {
        self.overlap.enter();
        self.seen.lock().unwrap().push(b'F');
        self.overlap.leave();
        Some(WriteOutcome::ok())
    }
}

/// Two threads write three one-byte chunks each (bytes 1..=3 and 11..=13)
/// through `write()` (the gate's fast path once a write completed inline)
/// while a third corks and uncorks the stream twice (shutting the gate and
/// making writes buffer); then the stream ends. The sink never runs twice
/// at once and gets every chunk once, each thread's in order, `_final`
/// after all of them; 'finish' comes once.
fn fast_writes_against_cork() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let overlap = Arc::new(Overlap::default());
    let w = Writable::new(
        GateSink {
            seen: seen.clone(),
            overlap: overlap.clone(),
            reenter: None,
        },
        WritableOptions::default(),
    );
    let finishes = Arc::new(AtomicUsize::new(0));
    {
        let finishes = finishes.clone();
        w.on(StreamEvent::Finish, move || {
            finishes.fetch_add(1, SeqCst);
        });
    }
    let writer = |first: u8| {
        let w = w.clone();
        thread::spawn(move || {
            for b in first..first + 3 {
                assert!(
                    w.write(Buffer::from(vec![b])).expect("write accepted"),
                    "room left"
                );
            }
        })
    };
    let (a, b) = (writer(1), writer(11));
    let corker = {
        let w = w.clone();
        thread::spawn(move || {
            for _ in 0..2 {
                w.cork();
                thread::yield_now();
                w.uncork();
            }
        })
    };
    a.join().unwrap();
    b.join().unwrap();
    corker.join().unwrap();
    let completed_before_end = w.writes_completed();
    w.end().expect("end accepted");
    let seen = seen.lock().unwrap().clone();
    assert_eq!(overlap.overlapped(), 0, "sink calls never overlap");
    assert_eq!(seen.len(), 7, "six chunks and _final: {seen:?}");
    assert_eq!(seen.last(), Some(&b'F'), "_final last: {seen:?}");
    let of = |lo: u8, hi: u8| {
        seen.iter()
            .copied()
            .filter(|c| (lo..=hi).contains(c))
            .collect::<Vec<_>>()
    };
    assert_eq!(of(1, 3), vec![1, 2, 3], "thread a's chunks once each, in order");
    assert_eq!(
        of(11, 13),
        vec![11, 12, 13],
        "thread b's chunks once each, in order"
    );
    assert_eq!(completed_before_end, 6, "writes completed");
    assert_eq!(w.writable_length(), 0, "nothing left buffered");
    assert_eq!(finishes.load(SeqCst), 1, "'finish' once");
}

/// A sink re-entering its stream from a write (writing chunk 9 from inside
/// chunk 2) while another thread writes too, and a third destroys nothing
/// but asks the writable length: the re-entrant chunk waits behind the one
/// in the sink (Node buffers a write made inside `_write`), nothing
/// deadlocks, every chunk arrives once, each thread's in order.
fn reentrant_write_in_fast_path() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let overlap = Arc::new(Overlap::default());
    let handle = Arc::new(Mutex::new(None));
    let w = Writable::new(
        GateSink {
            seen: seen.clone(),
            overlap: overlap.clone(),
            reenter: Some((2, 9, handle.clone())),
        },
        WritableOptions::default(),
    );
    *handle.lock().unwrap() = Some(w.clone());
    let a = {
        let w = w.clone();
        thread::spawn(move || {
            for b in 1..=3u8 {
                w.write(Buffer::from(vec![b])).expect("write accepted");
            }
        })
    };
    let b = {
        let w = w.clone();
        thread::spawn(move || {
            for b in 11..=12u8 {
                w.write(Buffer::from(vec![b])).expect("write accepted");
            }
        })
    };
    let looker = {
        let w = w.clone();
        thread::spawn(move || {
            for _ in 0..2 {
                assert!(w.writable_length() <= 6, "writable length in range");
                thread::yield_now();
            }
        })
    };
    a.join().unwrap();
    b.join().unwrap();
    looker.join().unwrap();
    *handle.lock().unwrap() = None;
    let seen = seen.lock().unwrap().clone();
    assert_eq!(overlap.overlapped(), 0, "sink calls never overlap");
    let of = |set: &[u8]| {
        seen.iter()
            .copied()
            .filter(|c| set.contains(c))
            .collect::<Vec<_>>()
    };
    // The re-entrant chunk joins the buffer behind what is there: after
    // chunk 2 (whose write made it), maybe after 3 or 12 (buffered first).
    let at = |c: u8| seen.iter().position(|&x| x == c);
    assert!(at(9) > at(2), "the re-entrant chunk after its writer's: {seen:?}");
    assert_eq!(
        of(&[1, 2, 3]),
        vec![1, 2, 3],
        "thread a's chunks once, in order: {seen:?}"
    );
    assert_eq!(
        of(&[11, 12]),
        vec![11, 12],
        "thread b's chunks once, in order: {seen:?}"
    );
    assert_eq!(seen.len(), 6, "six chunks: {seen:?}");
    assert_eq!(w.writable_length(), 0, "nothing left buffered");
    assert_eq!(w.writes_completed(), 6, "writes completed");
}

/// A source fed by `push` only (as a socket's reader pushes): `read` asks
/// for nothing, and the stream skips the deferred `read(0)` after a chunk.
struct PushedFromOutside;

impl Source<Buffer> for PushedFromOutside {
    fn read(&mut self, _size: usize, _push: &Pusher<Buffer>) {}

    fn push_driven(&self) -> bool {
        true
    }
}

/// A byte duplex that echoes (a 'data' listener writing each chunk back
/// into the same duplex, as a socket piped into itself), after a first
/// write that opened the write gate: one thread pushes
/// chunks 1..=3 (each delivered at once, keeping the write gate open, so
/// its echo takes the gate), another writes 11 and 12 into the same
/// duplex, a third corks and uncorks it (shutting the gate); then it ends.
/// The sink never runs twice at once and gets every chunk once, each
/// thread's in order, `_final` last; the 'data' listener never runs twice
/// at once.
fn echo_through_the_gate_against_writes_and_cork() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let overlap = Arc::new(Overlap::default());
    let d = Duplex::new(
        DuplexOptions::default(),
        Some(PushedFromOutside),
        Some(GateSink {
            seen: seen.clone(),
            overlap: overlap.clone(),
            reenter: None,
        }),
    );
    let listener_overlap = Arc::new(Overlap::default());
    let echo_to = Arc::new(Mutex::new(Some(d.clone())));
    {
        let (echo_to, listener_overlap) = (echo_to.clone(), listener_overlap.clone());
        d.on_data(move |chunk: &Buffer| {
            listener_overlap.enter();
            let d = echo_to.lock().unwrap().clone();
            if let Some(d) = d {
                d.write(chunk.clone()).expect("echo accepted");
            }
            listener_overlap.leave();
        });
    }
    // A first write completes inline and opens the gate.
    d.write(Buffer::from(vec![0])).expect("first write accepted");
    let pusher = {
        let d = d.clone();
        thread::spawn(move || {
            for b in 1..=3u8 {
                d.push(Buffer::from(vec![b]));
            }
        })
    };
    let writer = {
        let d = d.clone();
        thread::spawn(move || {
            for b in 11..=12u8 {
                d.write(Buffer::from(vec![b])).expect("write accepted");
            }
        })
    };
    let corker = {
        let d = d.clone();
        thread::spawn(move || {
            d.cork();
            thread::yield_now();
            d.uncork();
        })
    };
    pusher.join().unwrap();
    writer.join().unwrap();
    corker.join().unwrap();
    *echo_to.lock().unwrap() = None;
    d.end().expect("end accepted");
    let seen = seen.lock().unwrap().clone();
    assert_eq!(overlap.overlapped(), 0, "sink calls never overlap");
    assert_eq!(
        listener_overlap.overlapped(),
        0,
        "'data' listener calls never overlap"
    );
    let of = |set: &[u8]| {
        seen.iter()
            .copied()
            .filter(|c| set.contains(c))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        of(&[1, 2, 3]),
        vec![1, 2, 3],
        "the echoes once each, in order: {seen:?}"
    );
    assert_eq!(
        of(&[11, 12]),
        vec![11, 12],
        "the writer's chunks once each, in order: {seen:?}"
    );
    assert_eq!(seen.first(), Some(&0), "the first write first: {seen:?}");
    assert_eq!(seen.len(), 7, "six chunks and _final: {seen:?}");
    assert_eq!(seen.last(), Some(&b'F'), "_final last: {seen:?}");
    assert_eq!(d.writable_length(), 0, "nothing left buffered");
}

#[test]
fn model_flowing_with_pause_resume() {
    assert_eq!(
        explore("flowing_with_pause_resume", flowing_with_pause_resume),
        2 * ITERATIONS
    );
}

#[test]
fn model_readable_with_two_producers() {
    assert_eq!(
        explore("readable_with_two_producers", readable_with_two_producers),
        2 * ITERATIONS
    );
}

#[test]
fn model_deferred_writes_completed_elsewhere() {
    assert_eq!(
        explore(
            "deferred_writes_completed_elsewhere",
            deferred_writes_completed_elsewhere
        ),
        2 * ITERATIONS
    );
    let with = SCHEDULES_WITH_BACKPRESSURE.load(SeqCst);
    println!("deferred_writes_completed_elsewhere: {with} schedules with a write that said false");
    assert!(
        with > ITERATIONS / 10,
        "too few schedules met backpressure: {with}"
    );
}

#[test]
fn model_transform_under_pause_resume() {
    assert_eq!(
        explore("transform_under_pause_resume", transform_under_pause_resume),
        2 * ITERATIONS
    );
}

/// Runs `f`'s exploration and checks that `write()`s went through the
/// write gate's fast path in it (so the checks were not vacuous).
fn explore_fast(name: &'static str, f: fn()) {
    let before = rt_stream::counters::fast_writes().expect("the model feature counts fast writes");
    assert_eq!(explore(name, f), 2 * ITERATIONS);
    let fast = rt_stream::counters::fast_writes().unwrap() - before;
    println!("{name}: {fast} writes took the fast path");
    assert!(fast > 100, "too few fast writes: {fast}");
}

#[test]
fn model_fast_writes_against_cork() {
    explore_fast("fast_writes_against_cork", fast_writes_against_cork);
}

#[test]
fn model_reentrant_write_in_fast_path() {
    explore_fast("reentrant_write_in_fast_path", reentrant_write_in_fast_path);
}

#[test]
fn model_echo_through_the_gate_against_writes_and_cork() {
    explore_fast(
        "echo_through_the_gate_against_writes_and_cork",
        echo_through_the_gate_against_writes_and_cork,
    );
}
