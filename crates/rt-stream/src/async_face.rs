//! The async pull face: polls behind `read().await`, `write_all().await`,
//! `finished()`, the pipe task and the futures / tokio bridges. They read the
//! same state as the event face and register a waker that the state machine
//! wakes at every change.

use std::sync::Arc;
use std::task::{Context, Poll};

use crate::core::Core;
use crate::error::Error;
use crate::state::WState;

impl<R: Send + 'static, W: Send + 'static> Core<R, W> {
    /// The next chunk (one buffered chunk at a time, never a concatenation).
    pub(crate) fn poll_read_chunk(self: &Arc<Self>, cx: &mut Context<'_>) -> Poll<Option<Result<R, Error>>> {
        loop {
            {
                let mut st = self.lock();
                let Some(r) = st.r.as_mut() else {
                    return Poll::Ready(None);
                };
                // Pull one chunk: count the front chunk like flowing mode does.
                let front = r.buffer.front().map(|c| (r.ops.len)(c));
                let hwm = r.hwm;
                drop(st);
                let got = match front {
                    // Within the mark, `read(n)` leaves the mark alone.
                    Some(n) if n > 0 && n <= hwm => self.read_inner(Some(n)),
                    Some(n) if n > 0 => self.read_exact_front(n),
                    _ => self.read_inner(None),
                };
                self.settle();
                if let Some(c) = got {
                    return Poll::Ready(Some(Ok(c)));
                }
            }
            let mut st = self.lock();
            if let Some(e) = st.errored.clone() {
                return Poll::Ready(Some(Err(e)));
            }
            let Some(r) = st.r.as_ref() else {
                return Poll::Ready(None);
            };
            if r.length > 0 {
                continue;
            }
            if r.end_emitted || r.ended {
                return Poll::Ready(None);
            }
            if st.destroyed {
                return Poll::Ready(Some(Err(Error::premature_close())));
            }
            st.add_waker(cx.waker());
            return Poll::Pending;
        }
    }

    /// `read(n)` where `n` is the front chunk's length, without raising the
    /// high-water mark (the async face hands out chunks as they were pushed).
    fn read_exact_front(self: &Arc<Self>, n: usize) -> Option<R> {
        let saved = {
            let mut st = self.lock();
            let r = st.r.as_mut()?;
            let saved = r.hwm;
            if n > r.hwm {
                r.hwm = n;
            }
            saved
        };
        let got = self.read_inner(Some(n));
        let mut st = self.lock();
        if let Some(r) = st.r.as_mut() {
            r.hwm = saved;
        }
        got
    }

    /// Ready once `'drain'` has happened (or draining no longer matters).
    pub(crate) fn poll_drain(self: &Arc<Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.poll_writable(cx, |w| !w.need_drain || w.ending)
    }

    /// Ready when the write buffer is empty (every write completed).
    pub(crate) fn poll_flushed(self: &Arc<Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.poll_writable(cx, |w| w.length == 0)
    }

    /// The error, a destroyed stream's `ERR_STREAM_DESTROYED`, ready when
    /// there is no writable side or `ready` says so, else pending.
    fn poll_writable(
        self: &Arc<Self>,
        cx: &mut Context<'_>,
        ready: impl FnOnce(&WState<W>) -> bool,
    ) -> Poll<Result<(), Error>> {
        let mut st = self.lock();
        if let Some(e) = st.errored.clone() {
            return Poll::Ready(Err(e));
        }
        if st.destroyed {
            return Poll::Ready(Err(Error::destroyed("write")));
        }
        let Some(w) = st.w.as_ref() else {
            return Poll::Ready(Ok(()));
        };
        if ready(w) {
            return Poll::Ready(Ok(()));
        }
        st.add_waker(cx.waker());
        Poll::Pending
    }

    /// `end()` unless the writable side is already ending, then ready once
    /// `'finish'` happened (or with the error, or a premature close): the
    /// close of the futures `Sink` and the shutdown of the tokio `AsyncWrite`.
    pub(crate) fn poll_end(self: &Arc<Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        let ending = self.lock().w.as_ref().map(|w| w.ending).unwrap_or(true);
        if !ending {
            let r = self.end_inner(None, None);
            self.settle();
            r?;
        }
        let mut st = self.lock();
        if let Some(e) = st.errored.clone() {
            return Poll::Ready(Err(e));
        }
        if st.w.as_ref().map(|w| w.finished).unwrap_or(true) {
            return Poll::Ready(Ok(()));
        }
        if st.destroyed {
            return Poll::Ready(Err(Error::premature_close()));
        }
        st.add_waker(cx.waker());
        Poll::Pending
    }

    /// Ready once `'close'` was emitted.
    pub(crate) fn poll_closed(self: &Arc<Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut st = self.lock();
        if st.close_emitted || (st.closed && !st.emit_close) {
            return Poll::Ready(());
        }
        st.add_waker(cx.waker());
        Poll::Pending
    }
}
