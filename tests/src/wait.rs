//! Bounded waits: every wait in a test ends, and a wait that times out fails
//! saying what did not happen.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! let v = rt_tests::wait::within(5, "the answer", async { 42 }).await;
//! assert_eq!(v, 42);
//! # }
//! ```

use std::future::Future;
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Awaits `fut` for at most `secs` seconds; panics with
/// "timed out after {secs}s waiting for {what}" when it does not finish.
#[track_caller]
pub fn within<F: Future>(secs: u64, what: &str, fut: F) -> impl Future<Output = F::Output> {
    let caller = std::panic::Location::caller();
    let what = what.to_string();
    async move {
        match tokio::time::timeout(Duration::from_secs(secs), fut).await {
            Ok(v) => v,
            Err(_) => panic!("timed out after {secs}s waiting for {what} (at {caller})"),
        }
    }
}

/// Receives from a std channel for at most `secs` seconds; panics saying what
/// did not arrive, or that every sender was dropped without sending it.
#[track_caller]
pub fn recv_within<T>(rx: &mpsc::Receiver<T>, secs: u64, what: &str) -> T {
    match rx.recv_timeout(Duration::from_secs(secs)) {
        Ok(v) => v,
        Err(mpsc::RecvTimeoutError::Timeout) => {
            panic!("timed out after {secs}s waiting for {what}")
        }
        Err(mpsc::RecvTimeoutError::Disconnected) => {
            panic!("never got {what}: every sender was dropped without sending it")
        }
    }
}

/// Receives from a tokio channel for at most `secs` seconds; panics saying
/// what did not arrive, or that the channel closed without it.
#[track_caller]
pub fn recv_async<'a, T: Send + 'a>(
    rx: &'a mut tokio::sync::mpsc::UnboundedReceiver<T>,
    secs: u64,
    what: &str,
) -> impl Future<Output = T> + 'a {
    let caller = std::panic::Location::caller();
    let what = what.to_string();
    async move {
        match tokio::time::timeout(Duration::from_secs(secs), rx.recv()).await {
            Ok(Some(v)) => v,
            Ok(None) => panic!("never got {what}: the channel closed without it (at {caller})"),
            Err(_) => panic!("timed out after {secs}s waiting for {what} (at {caller})"),
        }
    }
}

/// Polls `cond` (every millisecond, blocking this thread) until it is true, for
/// at most `secs` seconds; panics saying what did not become true.
#[track_caller]
pub fn wait_until(secs: u64, what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !cond() {
        if Instant::now() >= deadline {
            panic!("timed out after {secs}s waiting until {what}");
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// The async form of [`wait_until`]: yields to the runtime between polls.
#[track_caller]
pub fn wait_until_async<'a>(
    secs: u64,
    what: &str,
    mut cond: impl FnMut() -> bool + 'a,
) -> impl Future<Output = ()> + 'a {
    let caller = std::panic::Location::caller();
    let what = what.to_string();
    async move {
        let deadline = Instant::now() + Duration::from_secs(secs);
        while !cond() {
            if Instant::now() >= deadline {
                panic!("timed out after {secs}s waiting until {what} (at {caller})");
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }
}

/// Reads lines from `reader` on a thread of its own, so a test can wait for
/// the next line with a bound ([`Lines::next_within`]) instead of blocking
/// forever on a child that never prints.
pub struct Lines {
    rx: mpsc::Receiver<std::io::Result<String>>,
}

impl Lines {
    /// Starts the reader thread over `reader`.
    pub fn spawn<R: std::io::Read + Send + 'static>(reader: R) -> Lines {
        use std::io::BufRead;
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(reader).lines() {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Lines { rx }
    }

    /// The next line, waiting at most `secs` seconds; panics saying `what`
    /// did not arrive (timeout, or the writer closed its end first).
    #[track_caller]
    pub fn next_within(&self, secs: u64, what: &str) -> String {
        match self.rx.recv_timeout(Duration::from_secs(secs)) {
            Ok(Ok(line)) => line,
            Ok(Err(e)) => panic!("reading {what} failed: {e}"),
            Err(mpsc::RecvTimeoutError::Timeout) => {
                panic!("timed out after {secs}s waiting for {what}")
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                panic!("never got {what}: the writer closed its output first")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[should_panic(expected = "timed out after 1s waiting until never")]
    fn wait_until_fails_saying_what() {
        wait_until(1, "never", || false);
    }

    #[test]
    #[should_panic(expected = "never got the value")]
    fn recv_within_reports_dropped_sender() {
        let (tx, rx) = mpsc::channel::<u8>();
        drop(tx);
        recv_within(&rx, 1, "the value");
    }

    #[tokio::test]
    #[should_panic(expected = "timed out after 1s waiting for a pending future")]
    async fn within_fails_saying_what() {
        within(1, "a pending future", std::future::pending::<()>()).await;
    }

    #[test]
    fn lines_next_within() {
        let lines = Lines::spawn(&b"one\ntwo\n"[..]);
        assert_eq!(lines.next_within(5, "line 1"), "one");
        assert_eq!(lines.next_within(5, "line 2"), "two");
        let r = std::panic::catch_unwind(|| lines.next_within(5, "line 3"));
        let msg = *r.unwrap_err().downcast::<String>().unwrap();
        assert!(msg.contains("never got line 3"), "{msg}");
    }
}
