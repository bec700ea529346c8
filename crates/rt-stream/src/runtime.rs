//! Running rt code from `block_on`: Node's "ticks after the synchronous
//! code" on every thread.
//!
//! Node runs `process.nextTick` work only after the synchronous code that
//! queued it has returned, so `socket.on('data', ..); socket.on('end', ..);`
//! can rely on the flow started by the first listener not running before the
//! second is added. rt holds deferred work (its ticks) until the poll that
//! queued it is over. Inside tasks (`tokio::spawn`) and on a current-thread
//! runtime that needs nothing from you. The `block_on` thread of a
//! multi-thread runtime is different: tokio polls the future given to
//! `block_on` and parks with no hook in between, so rt cannot see where that
//! poll ends unless the future is wrapped:
//!
//! - [`block_on`] is `Runtime::block_on` with the future wrapped;
//! - [`sections`] wraps any future (for `#[tokio::main]` / `#[tokio::test]`
//!   bodies: `rt_stream::runtime::sections(async { .. }).await`).
//!
//! **Plain `block_on` on a multi-thread runtime** (an unwrapped
//! `#[tokio::main]` / `#[tokio::test(flavor = "multi_thread")]` body): ticks
//! queued there are not held past the rt call that queued them (nothing
//! would release them; holding would hang). They run on a worker at once, in
//! the order queued, possibly while the body's synchronous code is still
//! running. Nothing is dropped: adding a listener holds the ticks it causes
//! until the listener is in (a `'data'` listener always gets the data its
//! flow emits), and every event is emitted; but a listener added *after*
//! the call that starts a flow (adding a `'data'` listener, `resume`,
//! `pipe`) can come after the event it wanted (`'end'` of a short stream).
//! There, add every listener before the call that starts the flow, or wrap
//! the body with [`sections`].
//!
//! ```
//! use rt_stream::{Readable, StreamEvent};
//! use std::sync::{Arc, Mutex};
//! let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).build().unwrap();
//! let log = Arc::new(Mutex::new(Vec::new()));
//! rt_stream::runtime::block_on(&rt, async {
//!     let r = Readable::new(Default::default());
//!     r.push(rt_stream::Buffer::from("hi"));
//!     r.push_end();
//!     let l = log.clone();
//!     r.on_data(move |c| l.lock().unwrap().push(format!("data {}", c.len())));
//!     // The flow the 'data' listener started waits for this poll to end:
//!     let l = log.clone();
//!     let (tx, rx) = tokio::sync::oneshot::channel();
//!     let tx = Mutex::new(Some(tx));
//!     r.on(StreamEvent::End, move || {
//!         l.lock().unwrap().push("end".to_string());
//!         tx.lock().unwrap().take().map(|t| t.send(()));
//!     });
//!     rx.await.unwrap();
//! });
//! assert_eq!(*log.lock().unwrap(), ["data 2", "end"]);
//! ```

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// `runtime.block_on(future)` with Node's tick order on the calling thread:
/// ticks queued by each poll of `future` run after that poll returns.
#[doc(alias = "nextTick")]
#[doc(alias = "process.nextTick")]
pub fn block_on<F: Future>(runtime: &tokio::runtime::Runtime, future: F) -> F::Output {
    runtime.block_on(sections(future))
}

/// Wraps `future` so that each of its polls is a synchronous section in
/// Node's sense: ticks it queues run after the poll returns, on any thread
/// (needed on the `block_on` thread of a multi-thread runtime; harmless
/// elsewhere). Nested wraps count once.
#[doc(alias = "nextTick")]
#[doc(alias = "process.nextTick")]
pub fn sections<F: Future>(future: F) -> Sections<F> {
    Sections {
        inner: Box::pin(future),
    }
}

/// `process.nextTick(f)`: `f` runs on rt's tick queue after the synchronous
/// section that queued it is over, in order with the streams' own deferred
/// work (`'data'` flows, `'end'`, `'close'`...) queued on the same thread, as
/// Node's `nextTick` queue runs them. A section is one poll of a task, or a
/// marked poll ([`sections`], [`block_on`]); on the unmarked `block_on`
/// thread of a multi-thread runtime `f` runs on a worker at once (see the
/// module docs). A tick queued by a tick runs in the same pass, after it.
/// Outside any runtime `f` runs at once. If the runtime shuts down before
/// its turn, `f` is dropped without running (put cleanup in a `Drop`).
///
/// ```
/// use std::sync::{Arc, Mutex};
/// let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).build().unwrap();
/// let log = Arc::new(Mutex::new(Vec::new()));
/// rt_stream::runtime::block_on(&rt, async {
///     let (tx, rx) = tokio::sync::oneshot::channel();
///     let l = log.clone();
///     rt_stream::runtime::next_tick(move || {
///         l.lock().unwrap().push("tick");
///         let _ = tx.send(());
///     });
///     // Still the section that queued the tick: it has not run.
///     log.lock().unwrap().push("sync");
///     rx.await.unwrap();
/// });
/// assert_eq!(*log.lock().unwrap(), ["sync", "tick"]);
/// ```
#[doc(alias = "nextTick")]
#[doc(alias = "process.nextTick")]
pub fn next_tick(f: impl FnOnce() + Send + 'static) {
    crate::tick::next_tick(f);
}

/// The future returned by [`sections`].
#[doc(alias = "nextTick")]
#[must_use = "futures do nothing unless polled"]
pub struct Sections<F> {
    inner: Pin<Box<F>>,
}

impl<F> std::fmt::Debug for Sections<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sections")
    }
}

/// A marked section on this thread until dropped (also when unwinding).
pub(crate) struct Marked(());

impl Marked {
    pub(crate) fn begin() -> Self {
        crate::tick::marked_poll_begins();
        Marked(())
    }
}

impl Drop for Marked {
    fn drop(&mut self) {
        crate::tick::marked_poll_ends();
    }
}

impl<F: Future> Future for Sections<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let _section = Marked::begin();
        self.inner.as_mut().poll(cx)
    }
}
