//! `pipeline(...)`, ported from Node's `internal/streams/pipeline.js`, and
//! `finished(stream)` / `closed(stream)`.
//!
//! Node's structure, step for step: each stream gets a `destroyer` (an eos
//! on the sides the chain uses, and a destroy for the first error) and an
//! `'error'` listener; each pair is piped with `end: false` and ended by the
//! pipeline itself at the source's 'end'; `finishCount` counts the eos
//! completions (two per pair); the first error (a premature close gives
//! way to a real error) destroys every stream not yet done, in chain order;
//! the result comes a tick after the last completion.

use std::collections::VecDeque;
use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};
use std::task::{Context, Poll, Waker};

use crate::control::{Control, ControlInner, ReadableStream, StreamHandle};
use crate::eos::eos;
use crate::error::{Code, Error};
use crate::listeners::StreamEvent;
use crate::locking::{Mutex, lock};
use crate::pipe::{PipeOptions, PipeTarget, WritableStream};

/// Resolves when `stream` is done: its readable side emitted `'end'` and its
/// writable side `'finish'`; fails with the stream's error, or with
/// `ERR_STREAM_PREMATURE_CLOSE` if it was destroyed first.
/// Node: `stream.finished(stream, cb)` / `stream/promises.finished`: Node's
/// eos, whose listeners are added when this is called (before the future
/// is polled); the future resolves when eos calls back.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// use rt_stream::{finished, Writable};
/// let w = Writable::discard();
/// w.end_with("bye").unwrap();
/// finished(&w).await.unwrap();
/// # });
/// ```
pub fn finished(stream: &impl StreamHandle) -> impl Future<Output = Result<(), Error>> + Send + 'static {
    let c = stream.control().inner;
    let slot: Arc<Mutex<Slot>> = Arc::new(Mutex::new(Slot::default()));
    let s = slot.clone();
    let eos = eos(
        &c,
        None,
        None,
        true,
        Box::new(move |err| {
            let waker = {
                let mut s = lock(&s);
                s.result = Some(match err {
                    None => Ok(()),
                    Some(e) => Err(e),
                });
                s.waker.take()
            };
            if let Some(w) = waker {
                w.wake();
            }
        }),
    );
    Finished {
        slot,
        eos: Some(eos),
        _keep: c,
    }
}

#[derive(Default)]
struct Slot {
    result: Option<Result<(), Error>>,
    waker: Option<Waker>,
}

/// [`finished`]'s future: eos's result once it called back.
struct Finished {
    slot: Arc<Mutex<Slot>>,
    eos: Option<crate::eos::Eos>,
    _keep: Arc<dyn ControlInner>,
}

impl Future for Finished {
    type Output = Result<(), Error>;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let res = {
            let mut s = lock(&self.slot);
            match s.result.take() {
                Some(r) => r,
                None => {
                    s.waker = Some(cx.waker().clone());
                    return Poll::Pending;
                }
            }
        };
        self.eos = None;
        Poll::Ready(res)
    }
}

impl Drop for Finished {
    fn drop(&mut self) {
        // A future dropped before eos called back takes its listeners off
        // the stream (Node's cleanup).
        if let Some(e) = self.eos.take() {
            e.cleanup();
        }
    }
}

/// Resolves once `stream` emitted `'close'`.
pub async fn closed(stream: &impl StreamHandle) {
    let c = stream.control().inner;
    poll_fn(|cx| c.clone().poll_close(cx)).await
}

type Destroy = Box<dyn FnOnce(Option<Error>) + Send>;
type Cleanup = Box<dyn FnOnce() + Send>;

/// Node's `pipelineImpl` closure state.
#[derive(Default)]
struct RunState {
    error: Option<Error>,
    finish_count: i64,
    destroys: VecDeque<Destroy>,
    last_stream_cleanup: Vec<Cleanup>,
    /// Where the callback's `process.nextTick` runs: the last stream's queue.
    tick_on: Option<Weak<dyn ControlInner>>,
    result: Option<Result<(), Error>>,
    called: bool,
    waker: Option<Waker>,
}

struct Run {
    st: Mutex<RunState>,
}

/// Node's `finish(err)`: one completion counted down.
fn finish(run: &Arc<Run>, err: Option<Error>) {
    let last = {
        let mut s = lock(&run.st);
        s.finish_count -= 1;
        s.finish_count == 0
    };
    finish_impl(run, err, last);
}

/// Node's `finishImpl(err, final)`.
fn finish_impl(run: &Arc<Run>, err: Option<Error>, last: bool) {
    {
        let mut s = lock(&run.st);
        if let Some(e) = err {
            if s.error
                .as_ref()
                .is_none_or(|x| x.is(Code::ERR_STREAM_PREMATURE_CLOSE))
            {
                s.error = Some(e);
            }
        }
        if s.error.is_none() && !last {
            return;
        }
    }
    // `while (destroys.length) destroys.shift()(error)`: one at a time, the
    // lock let go (a destroy may come back here).
    loop {
        let (d, error) = {
            let mut s = lock(&run.st);
            (s.destroys.pop_front(), s.error.clone())
        };
        let Some(d) = d else { break };
        d(error);
    }
    if last {
        let (cleanups, error, tick_on) = {
            let mut s = lock(&run.st);
            let cleanups = if s.error.is_none() {
                std::mem::take(&mut s.last_stream_cleanup)
            } else {
                Vec::new()
            };
            (cleanups, s.error.clone(), s.tick_on.clone())
        };
        for f in cleanups {
            f();
        }
        // `process.nextTick(callback, error, value)`.
        let r = run.clone();
        let callback: Box<dyn FnOnce() + Send> = Box::new(move || {
            let waker = {
                let mut s = lock(&r.st);
                if s.called {
                    return;
                }
                s.called = true;
                s.result = Some(match error {
                    None => Ok(()),
                    Some(e) => Err(e),
                });
                s.waker.take()
            };
            if let Some(w) = waker {
                w.wake();
            }
        });
        match tick_on.and_then(|w| w.upgrade()) {
            Some(c) => c.next_tick(callback),
            None => callback(),
        }
    }
}

/// Node's `destroyer(stream, reading, writing)`: an eos on the sides the
/// chain uses, and the destroy `finishImpl` calls.
fn destroyer(c: &Arc<dyn ControlInner>, reading: bool, writing: bool) -> (Destroy, crate::eos::Eos) {
    let finished = Arc::new(AtomicBool::new(false));
    let f = finished.clone();
    c.listen(
        StreamEvent::Close,
        false,
        Arc::new(move || f.store(true, Ordering::SeqCst)),
    );
    let f = finished.clone();
    let cleanup = eos(
        c,
        Some(reading),
        Some(writing),
        true,
        Box::new(move |err| f.store(err.is_none(), Ordering::SeqCst)),
    );
    let weak = Arc::downgrade(c);
    let destroy: Destroy = Box::new(move |err| {
        if finished.swap(true, Ordering::SeqCst) {
            return;
        }
        // destroyImpl.destroyer(stream, err || new ERR_STREAM_DESTROYED('pipe')).
        if let Some(c) = weak.upgrade() {
            if !c.snap().destroyed {
                c.destroy_with(Some(err.unwrap_or_else(|| Error::destroyed("pipe"))));
            }
        }
    });
    (destroy, cleanup)
}

/// The per-stream part of Node's loop: the destroyer and the `'error'`
/// listener that catches errors after the pipe has completed.
fn add_stream(run: &Arc<Run>, c: &Arc<dyn ControlInner>, reading: bool, writing: bool, is_last: bool) {
    let (destroy, cleanup) = destroyer(c, reading, writing);
    let mut s = lock(&run.st);
    s.destroys.push_back(destroy);
    if is_last && c.snap().is_readable() == Some(true) {
        s.last_stream_cleanup.push(Box::new(move || cleanup.cleanup()));
    }
    drop(s);
    let r = run.clone();
    let id = c.listen_error(
        false,
        Arc::new(move |e: &Error| {
            if e.name() != "AbortError" && !e.is(Code::ERR_STREAM_PREMATURE_CLOSE) {
                finish(&r, Some(e.clone()));
            }
        }),
    );
    if is_last && c.snap().is_readable() == Some(true) {
        let w = Arc::downgrade(c);
        lock(&run.st).last_stream_cleanup.push(Box::new(move || {
            if let Some(c) = w.upgrade() {
                c.unlisten(id);
            }
        }));
    }
}

/// Node's `pipe(src, dst, finish, { end: true })` inside pipeline: pipes with
/// `end: false`, ends `dst` itself at the source's 'end', counts the eos of
/// both. Returns the cleanup of `dst`'s eos.
fn pipe_pair(
    run: &Arc<Run>,
    src: &Arc<dyn ControlInner>,
    dst: &Arc<dyn ControlInner>,
    connect: impl FnOnce(PipeOptions),
) -> crate::eos::Eos {
    lock(&run.st).finish_count += 2;
    let ended = Arc::new(AtomicBool::new(false));
    let (r, e) = (run.clone(), ended.clone());
    dst.listen(
        StreamEvent::Close,
        false,
        Arc::new(move || {
            if !e.load(Ordering::SeqCst) {
                // The destination closed before the source completed.
                finish(&r, Some(Error::premature_close()));
            }
        }),
    );
    connect(PipeOptions::default().end(false));
    let (e, d) = (ended.clone(), Arc::downgrade(dst));
    let end_fn = move || {
        e.store(true, Ordering::SeqCst);
        if let Some(d) = d.upgrade() {
            d.end_writable();
        }
    };
    if src.snap().is_readable_finished(true) == Some(true) {
        src.clone().next_tick(Box::new(end_fn));
    } else {
        src.listen(StreamEvent::End, true, Arc::new(end_fn));
    }
    let (r, w) = (run.clone(), Arc::downgrade(src));
    drop(eos(
        src,
        Some(true),
        Some(false),
        true,
        Box::new(move |err| {
            let Some(s) = w.upgrade() else {
                return finish(&r, err);
            };
            let st = s.snap();
            if err
                .as_ref()
                .is_some_and(|e| e.is(Code::ERR_STREAM_PREMATURE_CLOSE))
                && st.has_r
                && st.r_ended
                && st.errored.is_none()
                && !st.error_emitted
            {
                // Some readables emit 'close' before 'end': wait for the
                // 'end' (or an 'error') that is still coming.
                let r2 = r.clone();
                s.listen(StreamEvent::End, true, Arc::new(move || finish(&r2, None)));
                let r3 = r.clone();
                s.listen_error(true, Arc::new(move |e: &Error| finish(&r3, Some(e.clone()))));
            } else {
                finish(&r, err);
            }
        }),
    ));
    let r = run.clone();
    eos(
        dst,
        Some(false),
        Some(true),
        true,
        Box::new(move |err| finish(&r, err)),
    )
}

type Connect<T> = Box<dyn FnOnce(PipeTarget<T>, PipeOptions) + Send>;

/// A chain of streams being built for [`pipeline!`](crate::pipeline!):
/// `Pipeline::from(&src).pipe(&transform).to(&dest).await`. Each call wires
/// its stream at once, as Node's `pipeline(a, b, c, cb)` does in its loop.
pub struct Pipeline<T> {
    run: Arc<Run>,
    prev: Control,
    keep: Vec<Control>,
    connect: Connect<T>,
}

impl<T: Send + 'static> Pipeline<T> {
    /// Starts a chain at `src`.
    pub fn from<S: ReadableStream<T> + Clone>(src: &S) -> Pipeline<T> {
        let run = Arc::new(Run {
            st: Mutex::new(RunState::default()),
        });
        let c = src.control();
        add_stream(&run, &c.inner, true, false, false);
        let s = src.clone();
        Pipeline {
            run,
            keep: vec![c.clone()],
            prev: c,
            connect: Box::new(move |t, o| s.pipe_into(t, o)),
        }
    }

    /// Adds a middle stream (a transform or duplex).
    pub fn pipe<U: Send + 'static, D>(self, next: &D) -> Pipeline<U>
    where
        D: WritableStream<T> + ReadableStream<U> + Clone,
    {
        let c = next.control();
        add_stream(&self.run, &c.inner, true, true, false);
        let (connect, target) = (self.connect, next.pipe_target());
        drop(pipe_pair(&self.run, &self.prev.inner, &c.inner, move |o| {
            connect(target, o)
        }));
        let mut keep = self.keep;
        keep.push(c.clone());
        let n = next.clone();
        Pipeline {
            run: self.run,
            keep,
            prev: c,
            connect: Box::new(move |t, o| n.pipe_into(t, o)),
        }
    }

    /// Ends the chain at `dest` and runs it. Every stage is wired when this
    /// is called, before the future is polled (as Node's `pipeline()` wires
    /// at the call); the future resolves a tick after every stream is
    /// done, after their 'close' events; on the first error every stream
    /// not yet done is destroyed with it, and it is the result (a
    /// premature close gives way to a later real error, as in Node).
    pub fn to<D: WritableStream<T> + StreamHandle>(
        self,
        dest: &D,
    ) -> impl Future<Output = Result<(), Error>> + Send + 'static {
        let c = dest.control();
        add_stream(&self.run, &c.inner, false, true, true);
        lock(&self.run.st).tick_on = Some(Arc::downgrade(&c.inner));
        let (connect, target) = (self.connect, dest.pipe_target());
        let cleanup = pipe_pair(&self.run, &self.prev.inner, &c.inner, move |o| connect(target, o));
        if c.inner.snap().is_readable() == Some(true) {
            lock(&self.run.st)
                .last_stream_cleanup
                .push(Box::new(move || cleanup.cleanup()));
        }
        let mut keep = self.keep;
        keep.push(c);
        PipelineFuture {
            run: self.run,
            _keep: keep,
        }
    }
}

/// The result of a wired pipeline; holds its streams until it resolves.
struct PipelineFuture {
    run: Arc<Run>,
    _keep: Vec<Control>,
}

impl Future for PipelineFuture {
    type Output = Result<(), Error>;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut s = lock(&self.run.st);
        match s.result.take() {
            Some(r) => Poll::Ready(r),
            None => {
                s.waker = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}

/// Pipes `src` into `dest` and waits for both to be done; on an error,
/// destroys both and returns it. Node: `stream.pipeline(src, dest, cb)`.
/// Both are wired when this is called, before the future is polled.
pub fn pipeline<T, S, D>(src: &S, dest: &D) -> impl Future<Output = Result<(), Error>> + Send + 'static
where
    T: Send + 'static,
    S: ReadableStream<T> + Clone,
    D: WritableStream<T> + StreamHandle,
{
    Pipeline::from(src).to(dest)
}

/// Node's `pipeline(a, b, ..., z)`: pipes each stream into the next, resolves
/// when all are done, destroys all on the first error and returns it.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// use rt_stream::{pipeline, Readable, PassThrough, Writable, DuplexOptions, Buffer};
/// let src = Readable::from_iter(vec![Buffer::from("a"), Buffer::from("b")]);
/// let mid = PassThrough::objects::<Buffer>(DuplexOptions::default());
/// let dst = Writable::objects_from_fn(Default::default(), |_c: Buffer| Ok(()));
/// pipeline!(src, mid, dst).await.unwrap();
/// # });
/// ```
#[macro_export]
macro_rules! pipeline {
    ($src:expr, $($rest:expr),+ $(,)?) => {
        $crate::__pipeline_chain!($crate::Pipeline::from(&$src); $($rest),+)
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __pipeline_chain {
    ($p:expr; $last:expr) => { $p.to(&$last) };
    ($p:expr; $next:expr, $($rest:expr),+) => {
        $crate::__pipeline_chain!($p.pipe(&$next); $($rest),+)
    };
}
