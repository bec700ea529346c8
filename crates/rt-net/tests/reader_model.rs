//! Shuttle model of the socket reader's wake-up protocol (`socket/io_impl.rs`,
//! `Reader::poll`, `Socket::source_read` and `Socket::wake_reader`).
//!
//! The reader takes the socket's state lock on its first wake-up only, to
//! leave its waker there and set `reader_armed`; later wake-ups read that
//! flag and skip the lock. Whoever stops the reader (`release`,
//! `read_stop`) sets its stop flag, clears `reader_armed` and wakes the
//! waker it takes, all under the lock. What must hold in every schedule: a
//! stopped reader ends (it does not wait for readiness forever while
//! holding the connection, which would keep the fd open), and a new reader
//! started after an old one ended leaves its own waker (an old reader's
//! waker would wake a task that is gone).
//!
//! This is a model of the protocol, written again with shuttle's
//! primitives (the socket itself runs on tokio, which shuttle does not
//! drive): a waker is a channel sender, readiness events from the I/O
//! driver are sends on the reader's own channel, and a reader that waits
//! forever is a thread blocked on its channel, which shuttle reports as a
//! deadlock once every other thread is done.
//!
//! Run: `cargo test -p rt-net --features model --test reader_model` (`cargo xtask ci` does).
#![cfg(feature = "model")]
#![allow(missing_docs)]

use std::sync::Arc;
use std::sync::atomic::Ordering::SeqCst;
use std::time::Duration;

use shuttle::sync::Mutex;
use shuttle::sync::atomic::{AtomicBool, AtomicUsize};
use shuttle::sync::mpsc::{Receiver, Sender, channel};
use shuttle::thread;

const ITERATIONS: usize = 5_000;

/// The socket's state, as far as the reader is concerned.
struct State {
    stopped: bool,
    /// The reader task's waker (a sender to the task's wake-up channel).
    waker: Option<Sender<()>>,
    reader_running: bool,
}

struct Socket {
    st: Mutex<State>,
    reader_armed: AtomicBool,
}

impl Socket {
    fn new() -> Arc<Socket> {
        Arc::new(Socket {
            st: Mutex::new(State {
                stopped: false,
                waker: None,
                reader_running: false,
            }),
            reader_armed: AtomicBool::new(false),
        })
    }

    /// `release` / `read_stop`: the stop flag, then `wake_reader`.
    fn stop(&self) {
        let mut st = self.st.lock().unwrap();
        st.stopped = true;
        self.reader_armed.store(false, SeqCst);
        if let Some(w) = st.waker.take() {
            let _ = w.send(());
        }
    }

    /// `source_read`: starts a reader unless one runs or the socket stopped.
    fn start_reader(&self) -> bool {
        let mut st = self.st.lock().unwrap();
        if st.stopped || st.reader_running {
            return false;
        }
        st.reader_running = true;
        st.waker = None;
        self.reader_armed.store(false, SeqCst);
        true
    }
}

/// `Reader::poll`, run once per wake-up: `false` once the reader ended.
fn poll(s: &Socket, me: &Sender<()>) -> bool {
    if !s.reader_armed.load(SeqCst) {
        let mut st = s.st.lock().unwrap();
        if st.stopped {
            st.reader_running = false;
            st.waker = None;
            s.reader_armed.store(false, SeqCst);
            return false;
        }
        st.waker = Some(me.clone());
        s.reader_armed.store(true, SeqCst);
    }
    // poll_read_ready: Pending (the driver's readiness events come as
    // wake-ups on the same channel).
    true
}

/// A reader task: polls on every wake-up until it ends. `ends_by_itself`:
/// after that many wake-ups it ends as a reader does when the readable
/// side is at its mark (`Pump::Stop`, `reader_running` cleared, the waker
/// left behind).
fn reader(
    s: Arc<Socket>,
    tx: Sender<()>,
    rx: Receiver<()>,
    ends_by_itself: Option<usize>,
    ended: Arc<AtomicUsize>,
) {
    let mut polls = 0;
    while poll(&s, &tx) {
        polls += 1;
        if Some(polls) == ends_by_itself {
            s.st.lock().unwrap().reader_running = false;
            break;
        }
        // Waits for its waker (a stop) or a readiness event; it holds a
        // sender of its own (tokio's registration holds the waker), so a
        // reader nobody wakes waits forever.
        rx.recv().unwrap();
    }
    ended.fetch_add(1, SeqCst);
}

/// Starts a reader on `s` (already started with `start_reader`) whose
/// readiness events `driver` sends from a thread of its own, while a third
/// thread stops the socket; returns once all three are done.
fn race_a_stop(s: &Arc<Socket>, ended: &Arc<AtomicUsize>, driver: fn(Sender<()>)) {
    let (tx, rx) = channel();
    let events = tx.clone();
    let r = {
        let (s, ended) = (s.clone(), ended.clone());
        thread::spawn(move || reader(s, tx, rx, None, ended))
    };
    let d = thread::spawn(move || driver(events));
    let stopper = {
        let s = s.clone();
        thread::spawn(move || s.stop())
    };
    stopper.join().unwrap();
    d.join().unwrap();
    r.join().unwrap();
}

/// Runs `f` under shuttle's random and PCT schedulers on a thread of its
/// own (a real hang fails the test instead of stalling it).
fn explore(name: &'static str, f: fn()) {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let r = std::panic::catch_unwind(|| {
            shuttle::check_random(f, ITERATIONS);
            shuttle::check_pct(f, ITERATIONS, 3);
        });
        let _ = tx.send(r);
    });
    match rx.recv_timeout(Duration::from_secs(300)) {
        Ok(Ok(())) => println!("{name}: {} schedules explored", 2 * ITERATIONS),
        Ok(Err(p)) => std::panic::resume_unwind(p),
        Err(_) => panic!("{name}: the schedules did not finish within 300 s (a real hang)"),
    }
}

/// A reader woken by readiness events on one thread, stopped from another:
/// it always ends.
#[test]
fn a_stopped_reader_ends() {
    explore("a_stopped_reader_ends", || {
        let s = Socket::new();
        assert!(s.start_reader());
        let ended = Arc::new(AtomicUsize::new(0));
        race_a_stop(&s, &ended, |driver| {
            for _ in 0..3 {
                let _ = driver.send(());
                thread::yield_now();
            }
        });
        assert_eq!(ended.load(SeqCst), 1, "the reader ended");
    });
}

/// A reader that ended by itself (at the mark) and a second one started
/// after it: a stop racing with them still ends the second one.
#[test]
fn a_restarted_reader_leaves_its_own_waker() {
    explore("a_restarted_reader_leaves_its_own_waker", || {
        let s = Socket::new();
        assert!(s.start_reader());
        let ended = Arc::new(AtomicUsize::new(0));
        // The first reader: two wake-ups (the second on the fast path), then
        // it ends at the mark, leaving its waker and the flag behind.
        let (tx1, rx1) = channel();
        let _ = tx1.send(());
        reader(s.clone(), tx1, rx1, Some(2), ended.clone());
        assert!(s.start_reader(), "a second reader starts");
        race_a_stop(&s, &ended, |driver| {
            let _ = driver.send(());
        });
        assert_eq!(ended.load(SeqCst), 2, "both readers ended");
    });
}
