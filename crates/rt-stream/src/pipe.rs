//! `readable.pipe(dest)`: one task per source moves chunks into every
//! destination, awaiting `'drain'` when a destination's `write()` says `false`.
//!
//! Node drives a pipe with events (`'data'` -> `dest.write()` -> `false` ->
//! `src.pause()` ... `'drain'` -> `src.resume()`). rt keeps the observable
//! behaviour (`'pipe'`, `'pause'` on `false`, `'resume'` after `'drain'`,
//! `dest.end()` at the source's `'end'`, `'unpipe'`) but runs the hot path as
//! one loop: take the next buffered chunk, write it to each destination, and
//! await the destinations that asked to wait. No event round trip per chunk.

use std::future::poll_fn;
use std::sync::Arc;
use std::task::{Context, Poll};

use crate::core::{Core, Tick};
use crate::error::Error;
use crate::listeners::StreamEvent;

/// Options of `pipe` (Node's `readable.pipe(dest, { end })`).
#[derive(Debug, Clone)]
pub struct PipeOptions {
    /// End the destination when the source ends (default true). Node: `end`.
    pub end: bool,
}

impl Default for PipeOptions {
    fn default() -> Self {
        PipeOptions { end: true }
    }
}

pub(crate) trait Target<T>: Send + Sync {
    fn write_chunk(self: Arc<Self>, chunk: T) -> Result<bool, Error>;
    fn end_writable(self: Arc<Self>);
    fn poll_drained(self: Arc<Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>>;
    fn emit_event(&self, ev: StreamEvent);
    fn needs_drain(&self) -> bool;
    fn gone(&self) -> bool;
    fn target_id(&self) -> usize;
}

impl<R: Send + 'static, W: Send + 'static> Target<W> for Core<R, W> {
    fn write_chunk(self: Arc<Self>, chunk: W) -> Result<bool, Error> {
        let r = self.write_inner(chunk, None);
        self.settle();
        r
    }
    fn end_writable(self: Arc<Self>) {
        let _ = self.end_inner(None, None);
        self.settle();
    }
    fn poll_drained(self: Arc<Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.poll_drain(cx)
    }
    fn emit_event(&self, ev: StreamEvent) {
        self.ev.emit(ev);
    }
    fn needs_drain(&self) -> bool {
        self.lock().w.as_ref().map(|w| w.need_drain).unwrap_or(false)
    }
    fn gone(&self) -> bool {
        let st = self.lock();
        st.destroyed || st.w.as_ref().map(|w| w.finished).unwrap_or(true)
    }
    fn target_id(&self) -> usize {
        self as *const Self as *const () as usize
    }
}

/// An opaque handle on a stream's writable side (used by `pipe`).
pub struct PipeTarget<T> {
    pub(crate) inner: Arc<dyn Target<T>>,
}

/// A stream with a writable side of `T` chunks: [`Writable`](crate::Writable)
/// and [`Duplex`](crate::Duplex) (so a transform can be a pipe's destination).
pub trait WritableStream<T>: Send + Sync + 'static {
    /// The handle `pipe` writes through.
    #[doc(hidden)]
    fn pipe_target(&self) -> PipeTarget<T>;
    /// Identity of the stream (for `unpipe`).
    #[doc(hidden)]
    fn pipe_id(&self) -> usize;
}

impl<T: Send + 'static> WritableStream<T> for crate::Writable<T> {
    fn pipe_target(&self) -> PipeTarget<T> {
        PipeTarget {
            inner: self.core.clone(),
        }
    }
    fn pipe_id(&self) -> usize {
        Arc::as_ptr(&self.core) as *const () as usize
    }
}

impl<R: Send + 'static, T: Send + 'static> WritableStream<T> for crate::Duplex<R, T> {
    fn pipe_target(&self) -> PipeTarget<T> {
        PipeTarget {
            inner: self.core.clone(),
        }
    }
    fn pipe_id(&self) -> usize {
        Arc::as_ptr(&self.core) as *const () as usize
    }
}

pub(crate) struct PipeDest<T> {
    pub(crate) target: Arc<dyn Target<T>>,
    pub(crate) end: bool,
}

pub(crate) fn pipe<R, W, D>(src: &Arc<Core<R, W>>, dest: &D, opts: PipeOptions)
where
    R: Clone + Send + 'static,
    W: Send + 'static,
    D: WritableStream<R>,
{
    let target = dest.pipe_target().inner;
    let (start, end_emitted, flowing) = {
        let mut st = src.lock();
        let Some(r) = st.r.as_mut() else { return };
        r.pipes.push(PipeDest {
            target: target.clone(),
            end: opts.end,
        });
        let start = !r.pipe_task;
        r.pipe_task = true;
        (start, r.end_emitted, r.flowing)
    };
    if end_emitted {
        let mut st = src.lock();
        src.schedule(&mut st, Tick::PipeEnd);
    }
    target.emit_event(StreamEvent::Pipe);
    if target.needs_drain() {
        src.pause();
    } else if flowing != Some(true) {
        src.resume();
    }
    if start {
        match src.runtime() {
            Some(h) => {
                let me = src.clone();
                h.spawn(async move { pipe_task(me).await });
            }
            None => {
                let st = src.lock();
                let e = Error::new("ERR_NO_RUNTIME", "pipe() needs a tokio runtime to run on");
                drop(src.error_or_destroy(st, e, true));
            }
        }
    }
    src.settle();
}

pub(crate) fn unpipe<R: Send + 'static, W: Send + 'static>(src: &Arc<Core<R, W>>, id: Option<usize>) {
    let removed: Vec<PipeDest<R>> = {
        let mut st = src.lock();
        let Some(r) = st.r.as_mut() else { return };
        let removed = match id {
            None => std::mem::take(&mut r.pipes),
            Some(id) => {
                let (gone, keep) = std::mem::take(&mut r.pipes)
                    .into_iter()
                    .partition(|d| d.target.target_id() == id);
                r.pipes = keep;
                gone
            }
        };
        st.wake();
        removed
    };
    if removed.is_empty() {
        return;
    }
    let now_empty = src.lock().r.as_ref().map(|r| r.pipes.is_empty()).unwrap_or(true);
    if now_empty {
        src.pause();
    }
    for d in removed {
        d.target.emit_event(StreamEvent::Unpipe);
    }
    src.settle();
}

impl<R: Send + 'static, W: Send + 'static> Core<R, W> {
    /// The source emitted `'end'`: end the destinations (unless `end: false`)
    /// and unpipe them.
    pub(crate) fn pipe_source_ended(self: &Arc<Self>) {
        let dests: Vec<PipeDest<R>> = {
            let mut st = self.lock();
            let Some(r) = st.r.as_mut() else { return };
            std::mem::take(&mut r.pipes)
        };
        for d in &dests {
            if d.end {
                d.target.clone().end_writable();
            }
        }
        for d in dests {
            d.target.emit_event(StreamEvent::Unpipe);
        }
    }

    fn snapshot_pipes(&self) -> Option<(Vec<Arc<dyn Target<R>>>, bool)> {
        let mut st = self.lock();
        let r = st.r.as_mut()?;
        if r.pipes.is_empty() {
            r.pipe_task = false;
            return None;
        }
        let dests = r.pipes.iter().map(|d| d.target.clone()).collect();
        Some((dests, r.flowing == Some(true)))
    }

    fn poll_pipe_chunk(self: &Arc<Self>, cx: &mut Context<'_>) -> Poll<Option<R>> {
        loop {
            {
                let st = self.lock();
                let Some(r) = st.r.as_ref() else {
                    return Poll::Ready(None);
                };
                if r.pipes.is_empty() || r.flowing != Some(true) {
                    return Poll::Ready(None);
                }
            }
            let got = self.read_inner(None);
            self.settle();
            if got.is_some() {
                return Poll::Ready(got);
            }
            let mut st = self.lock();
            let gone = st.destroyed || st.errored.is_some();
            let Some(r) = st.r.as_ref() else {
                return Poll::Ready(None);
            };
            if r.length > 0 && r.flowing == Some(true) {
                continue;
            }
            if gone || (r.ended && r.length == 0) || r.pipes.is_empty() || r.flowing != Some(true) {
                return Poll::Ready(None);
            }
            st.add_waker(cx.waker());
            return Poll::Pending;
        }
    }

    fn poll_flowing_or_done(self: &Arc<Self>, cx: &mut Context<'_>) -> Poll<bool> {
        let mut st = self.lock();
        let gone = st.destroyed || st.errored.is_some();
        let Some(r) = st.r.as_ref() else {
            return Poll::Ready(false);
        };
        if gone || r.pipes.is_empty() || r.end_emitted {
            return Poll::Ready(false);
        }
        if r.flowing == Some(true) {
            return Poll::Ready(true);
        }
        st.add_waker(cx.waker());
        Poll::Pending
    }
}

async fn pipe_task<R: Clone + Send + 'static, W: Send + 'static>(src: Arc<Core<R, W>>) {
    loop {
        let Some((dests, flowing)) = src.snapshot_pipes() else {
            return;
        };
        if !flowing {
            if !poll_fn(|cx| src.poll_flowing_or_done(cx)).await {
                let mut st = src.lock();
                let bad = st.destroyed || st.errored.is_some();
                if let Some(r) = st.r.as_mut() {
                    if r.pipes.is_empty() || bad || r.end_emitted {
                        r.pipe_task = false;
                        return;
                    }
                }
            }
            continue;
        }
        let Some(chunk) = poll_fn(|cx| src.poll_pipe_chunk(cx)).await else {
            let mut st = src.lock();
            let stop = st.destroyed
                || st.errored.is_some()
                || st.r.as_ref().map(|r| r.pipes.is_empty() || r.ended).unwrap_or(true);
            if stop {
                if let Some(r) = st.r.as_mut() {
                    r.pipe_task = false;
                }
                return;
            }
            continue;
        };
        let mut waits = Vec::new();
        let n = dests.len();
        let mut chunk = Some(chunk);
        for (i, d) in dests.iter().enumerate() {
            let c = if i + 1 == n {
                chunk.take()
            } else {
                chunk.clone()
            };
            let Some(c) = c else { break };
            match d.clone().write_chunk(c) {
                Ok(true) => {}
                Ok(false) => waits.push(d.clone()),
                Err(_) => unpipe(&src, Some(d.target_id())),
            }
        }
        if !waits.is_empty() {
            src.pause();
            src.settle();
            for d in waits {
                let id = d.target_id();
                let d2 = d.clone();
                if poll_fn(move |cx| d2.clone().poll_drained(cx)).await.is_err() || d.gone() {
                    unpipe(&src, Some(id));
                }
            }
            let still = src
                .lock()
                .r
                .as_ref()
                .map(|r| !r.pipes.is_empty())
                .unwrap_or(false);
            if still {
                src.resume();
                src.settle();
            }
        }
    }
}
