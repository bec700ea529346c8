//! A write's completion when the stream changed while the sink ran: the sink
//! (Node's `_write`) calling back into its own stream, and another thread
//! writing meanwhile. A synchronous write into an idle stream completes in a
//! short path; these are the cases where it must not, and the expected logs
//! are what node v20 prints for the same script:
//!
//! ```js
//! const w = new Writable({ highWaterMark: 3, write(c, e, cb) { /* below */ cb(); } });
//! for (const ev of ['drain', 'finish', 'close', 'error']) w.on(ev, ...log);
//! // body; then log length and needDrain; after the ticks, length, finished, destroyed
//! ```
#![allow(missing_docs)]

use std::sync::{Arc, Mutex, OnceLock, mpsc};

use rt_stream::*;
use rt_tests::wait::recv_within;

type Log = Arc<Mutex<Vec<String>>>;

fn push_log(l: &Log, s: impl Into<String>) {
    l.lock().unwrap().push(s.into());
}

async fn settle() {
    for _ in 0..64 {
        tokio::task::yield_now().await;
    }
}

/// A `highWaterMark: 3` writable whose sink logs `_write <chunk>` and then
/// runs `inner` with the stream itself, and whose events are logged.
fn writable(l: &Log, inner: impl Fn(&Log, &Writable, &str) + Send + Sync + 'static) -> Writable {
    let me: Arc<OnceLock<Writable>> = Arc::new(OnceLock::new());
    let (l2, me2) = (l.clone(), me.clone());
    let w = Writable::from_fn(WritableOptions::default().high_water_mark(3), move |c: Buffer| {
        let text = String::from_utf8_lossy(&c).into_owned();
        push_log(&l2, format!("_write {text}"));
        if let Some(w) = me2.get() {
            inner(&l2, w, &text);
        }
        Ok(())
    });
    let _ = me.set(w.clone());
    for (ev, name) in [
        (StreamEvent::Drain, "drain"),
        (StreamEvent::Finish, "finish"),
        (StreamEvent::Close, "close"),
    ] {
        let l = l.clone();
        w.on(ev, move || push_log(&l, name));
    }
    let le = l.clone();
    w.on_error(move |e| push_log(&le, format!("error {}", e.code())));
    w
}

fn ret(r: Result<bool, Error>) -> String {
    match r {
        Ok(b) => b.to_string(),
        Err(e) => format!("Err {}", e.code()),
    }
}

async fn finish_log(l: &Log, w: &Writable) -> Vec<String> {
    push_log(
        l,
        format!(
            "sync end; len {} needDrain {}",
            w.writable_length(),
            w.writable_need_drain()
        ),
    );
    settle().await;
    push_log(
        l,
        format!(
            "later; len {} finished {} destroyed {}",
            w.writable_length(),
            w.writable_finished(),
            w.destroyed()
        ),
    );
    std::mem::take(&mut *l.lock().unwrap())
}

#[tokio::test]
async fn write_from_inside_the_sink_is_buffered_then_written() {
    // if (c == 'a') { log('inner ' + this.write('bc')); log('inner len ..'); }
    let l: Log = Arc::default();
    let w = writable(&l, |l, w, c| {
        if c == "a" {
            push_log(l, format!("inner {}", ret(w.write("bc"))));
            push_log(
                l,
                format!(
                    "inner len {} needDrain {}",
                    w.writable_length(),
                    w.writable_need_drain()
                ),
            );
        }
    });
    push_log(&l, format!("ret {}", ret(w.write("a"))));
    let got = finish_log(&l, &w).await;
    assert_eq!(
        got,
        [
            "_write a",
            "inner false",
            "inner len 3 needDrain true",
            "_write bc",
            "ret true",
            "sync end; len 0 needDrain true",
            "drain",
            "later; len 0 finished false destroyed false"
        ]
    );
    assert_eq!(w.writes_completed(), 2);
}

#[tokio::test]
async fn end_from_inside_the_sink_writes_its_chunk_after_the_current_one() {
    // if (c == 'a') { this.end('b'); log('inner ended ..'); } ; then w.write('x') after end
    let l: Log = Arc::default();
    let w = writable(&l, |l, w, c| {
        if c == "a" {
            w.end_with("b").unwrap();
            push_log(
                l,
                format!("inner ended {} len {}", w.writable_ended(), w.writable_length()),
            );
        }
    });
    push_log(&l, format!("ret {}", ret(w.write("a"))));
    // Node emits ERR_STREAM_WRITE_AFTER_END ('error'); rt also returns it.
    assert_eq!(ret(w.write("x")), "Err ERR_STREAM_WRITE_AFTER_END");
    let got = finish_log(&l, &w).await;
    assert_eq!(
        got,
        [
            "_write a",
            "inner ended true len 2",
            "_write b",
            "ret true",
            "sync end; len 0 needDrain false",
            "error ERR_STREAM_WRITE_AFTER_END",
            "close",
            "later; len 0 finished false destroyed true"
        ]
    );
}

#[tokio::test]
async fn destroy_from_inside_the_sink() {
    // this.destroy(); cb();
    let l: Log = Arc::default();
    let w = writable(&l, |_, w, _| w.destroy(None));
    push_log(&l, format!("ret {}", ret(w.write("a"))));
    // Node: the second write returns false (its callback gets
    // ERR_STREAM_DESTROYED, no 'error'); rt returns that error.
    assert_eq!(ret(w.write("b")), "Err ERR_STREAM_DESTROYED");
    let got = finish_log(&l, &w).await;
    assert_eq!(
        got,
        [
            "_write a",
            "ret false",
            "sync end; len 0 needDrain false",
            "close",
            "later; len 0 finished false destroyed true"
        ]
    );
}

#[tokio::test]
async fn cork_from_inside_the_sink_holds_the_next_write() {
    // if (c == 'a') { this.cork(); log('inner ' + this.write('b')); } ; then uncork
    let l: Log = Arc::default();
    let w = writable(&l, |l, w, c| {
        if c == "a" {
            w.cork();
            push_log(l, format!("inner {}", ret(w.write("b"))));
        }
    });
    push_log(&l, format!("ret {}", ret(w.write("a"))));
    push_log(&l, format!("len {}", w.writable_length()));
    w.uncork();
    push_log(&l, format!("uncorked len {}", w.writable_length()));
    let got = finish_log(&l, &w).await;
    assert_eq!(
        got,
        [
            "_write a",
            "inner true",
            "ret true",
            "len 1",
            "_write b",
            "uncorked len 0",
            "sync end; len 0 needDrain false",
            "later; len 0 finished false destroyed false"
        ]
    );
}

/// Another thread writes while the sink holds the first chunk: its chunk is
/// buffered, and the first write's completion writes it (the same order as
/// a write from inside the sink in Node).
#[test]
fn write_from_another_thread_while_the_sink_runs_is_written_at_completion() {
    let got: Log = Arc::default();
    let (in_sink_tx, in_sink_rx) = mpsc::channel::<()>();
    let (go_tx, go_rx) = mpsc::channel::<()>();
    let go_rx = Mutex::new(go_rx);
    let g = got.clone();
    let w = Writable::from_fn(WritableOptions::default(), move |c: Buffer| {
        let text = String::from_utf8_lossy(&c).into_owned();
        push_log(&g, text.clone());
        if text == "a" {
            in_sink_tx.send(()).unwrap();
            recv_within(&go_rx.lock().unwrap(), 10, "the other thread's write");
        }
        Ok(())
    });
    let w2 = w.clone();
    let other = std::thread::spawn(move || {
        recv_within(&in_sink_rx, 10, "the first write in the sink");
        let r = w2.write("b");
        let len = w2.writable_length();
        go_tx.send(()).unwrap();
        (r.ok(), len)
    });
    assert_eq!(w.write("a").ok(), Some(true));
    let (r, len_while_writing) = other.join().unwrap();
    assert_eq!(r, Some(true), "the other thread's write");
    assert_eq!(len_while_writing, 2, "'a' with the sink and 'b' buffered");
    assert_eq!(*got.lock().unwrap(), ["a", "b"]);
    assert_eq!(w.writable_length(), 0);
    assert_eq!(w.writes_completed(), 2);
}
