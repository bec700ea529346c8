//! The type-erased handle on any stream that `finished`, `pipeline` and
//! Node's end-of-stream logic work through ([`Control`]), and the stream
//! traits `pipeline` builds chains from.

use std::sync::Arc;
use std::task::{Context, Poll};

use crate::core::Core;
use crate::error::Error;
use crate::listeners::{ListenerId, StreamEvent};
use crate::pipe::{PipeOptions, WritableStream};
use crate::pipe_dest::Target;
use crate::state::Tick;

/// What Node's stream utils (`isReadableFinished`, `willEmitClose`, ...)
/// read of a stream, taken under one lock.
pub(crate) struct Snap {
    pub(crate) has_r: bool,
    pub(crate) has_w: bool,
    pub(crate) destroyed: bool,
    pub(crate) closed: bool,
    pub(crate) errored: Option<Error>,
    pub(crate) error_emitted: bool,
    pub(crate) auto_destroy: bool,
    pub(crate) emit_close: bool,
    pub(crate) end_emitted: bool,
    pub(crate) r_ended: bool,
    pub(crate) r_length: usize,
    pub(crate) w_finished: bool,
    pub(crate) w_ending: bool,
    pub(crate) w_ended: bool,
    pub(crate) w_length: usize,
    pub(crate) pendingcb: i64,
}

impl Snap {
    /// Node's `willEmitClose(stream)`.
    pub(crate) fn will_emit_close(&self) -> bool {
        self.auto_destroy && self.emit_close && !self.closed
    }
    /// Node's `isReadableFinished(stream, strict)` (`None`: not readable).
    pub(crate) fn is_readable_finished(&self, strict: bool) -> Option<bool> {
        if !self.has_r {
            return None;
        }
        if self.errored.is_some() {
            return Some(false);
        }
        Some(self.end_emitted || (!strict && self.r_ended && self.r_length == 0))
    }
    /// Node's `isWritableFinished(stream, strict)` (`None`: not writable).
    pub(crate) fn is_writable_finished(&self, strict: bool) -> Option<bool> {
        if !self.has_w {
            return None;
        }
        if self.w_finished {
            return Some(true);
        }
        if self.errored.is_some() {
            return Some(false);
        }
        Some(self.w_finished || (!strict && self.w_ended && self.w_length == 0))
    }
    /// Node's `stream.readable` getter (`None`: no readable side).
    pub(crate) fn readable_getter(&self) -> Option<bool> {
        self.has_r
            .then_some(!self.destroyed && !self.error_emitted && !self.end_emitted)
    }
    /// Node's `stream.writable` getter (`None`: no writable side).
    pub(crate) fn writable_getter(&self) -> Option<bool> {
        self.has_w
            .then_some(!self.destroyed && self.errored.is_none() && !self.w_ending && !self.w_ended)
    }
    /// Node's `isWritableEnded(stream)`.
    fn is_writable_ended(&self) -> bool {
        if self.w_ending {
            return true;
        }
        if self.errored.is_some() {
            return false;
        }
        self.w_ended
    }
    /// Node's `isReadable(stream)`: `None` for a stream without a readable side.
    pub(crate) fn is_readable(&self) -> Option<bool> {
        let readable = self.readable_getter()?;
        if self.destroyed {
            return Some(false);
        }
        Some(readable && self.is_readable_finished(true) != Some(true))
    }
    /// Node's `isWritable(stream)`: `None` for a stream without a writable side.
    pub(crate) fn is_writable(&self) -> Option<bool> {
        let writable = self.writable_getter()?;
        if self.destroyed {
            return Some(false);
        }
        Some(writable && !self.is_writable_ended())
    }
}

pub(crate) trait ControlInner: Send + Sync {
    fn poll_close(self: Arc<Self>, cx: &mut Context<'_>) -> Poll<()>;
    fn destroy_with(self: Arc<Self>, err: Option<Error>);
    fn snap(&self) -> Snap;
    /// `stream.on(ev, f)` / `stream.once(ev, f)` for an event without a payload.
    fn listen(&self, ev: StreamEvent, once: bool, f: Arc<dyn Fn() + Send + Sync>) -> ListenerId;
    /// `stream.on('error', f)` / `once`.
    fn listen_error(&self, once: bool, f: Arc<dyn Fn(&Error) + Send + Sync>) -> ListenerId;
    fn unlisten(&self, id: ListenerId);
    /// `process.nextTick(f)`, on this stream's tick queue.
    fn next_tick(self: Arc<Self>, f: Box<dyn FnOnce() + Send>);
    /// `stream.end()` of the writable side.
    fn end_writable(self: Arc<Self>);
}

impl<R: Send + 'static, W: Send + 'static> ControlInner for Core<R, W> {
    fn poll_close(self: Arc<Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.poll_closed(cx)
    }
    fn destroy_with(self: Arc<Self>, err: Option<Error>) {
        self.destroy(err);
    }
    fn snap(&self) -> Snap {
        let st = self.lock();
        let r = st.r.as_ref();
        let w = st.w.as_ref();
        Snap {
            has_r: r.is_some(),
            has_w: w.is_some(),
            destroyed: st.destroyed,
            closed: st.closed,
            errored: st.errored.clone(),
            error_emitted: st.error_emitted,
            auto_destroy: st.auto_destroy,
            emit_close: st.emit_close,
            end_emitted: r.is_some_and(|r| r.end_emitted),
            r_ended: r.is_some_and(|r| r.ended),
            r_length: r.map_or(0, |r| r.length),
            w_finished: w.is_some_and(|w| w.finished),
            w_ending: w.is_some_and(|w| w.ending),
            w_ended: w.is_some_and(|w| w.ended),
            w_length: w.map_or(0, |w| w.length),
            pendingcb: w.map_or(0, |w| w.pendingcb),
        }
    }
    fn listen(&self, ev: StreamEvent, once: bool, f: Arc<dyn Fn() + Send + Sync>) -> ListenerId {
        self.ev.on(ev, once, Arc::new(move |_: &()| f()))
    }
    fn listen_error(&self, once: bool, f: Arc<dyn Fn(&Error) + Send + Sync>) -> ListenerId {
        self.ev.on_error(once, f)
    }
    fn unlisten(&self, id: ListenerId) {
        self.ev.off(id);
    }
    fn next_tick(self: Arc<Self>, f: Box<dyn FnOnce() + Send>) {
        let mut st = self.lock();
        self.schedule(&mut st, Tick::Call(f));
    }
    fn end_writable(self: Arc<Self>) {
        Target::<W>::end_writable(self);
    }
}

/// An opaque handle on any stream, for `finished` and `pipeline`.
#[derive(Clone)]
pub struct Control {
    pub(crate) inner: Arc<dyn ControlInner>,
}

/// Any stream handle ([`Readable`](crate::Readable), [`Writable`](crate::Writable),
/// [`Duplex`](crate::Duplex)).
pub trait StreamHandle: Send + Sync + 'static {
    /// The handle `finished` and `pipeline` watch.
    #[doc(hidden)]
    fn control(&self) -> Control;
}

/// A stream with a readable side of `T` chunks that can be piped from.
pub trait ReadableStream<T>: StreamHandle {
    /// Pipes into `target`.
    #[doc(hidden)]
    fn pipe_into(&self, target: crate::pipe::PipeTarget<T>, opts: PipeOptions);
}

/// Every stream is a handle `finished` and `pipeline` take.
impl<S: crate::StreamBase> StreamHandle for S {
    fn control(&self) -> Control {
        Control {
            inner: self.stream_core().clone(),
        }
    }
}

crate::impl_emitter!([T: Send + 'static] crate::Readable<T>);
crate::impl_emitter!([T: Send + 'static] crate::Writable<T>);
crate::impl_emitter!([R: Send + 'static, W: Send + 'static] crate::Duplex<R, W>);

struct Raw<T>(Arc<dyn Target<T>>);
impl<T: Send + 'static> WritableStream<T> for Raw<T> {
    fn pipe_target(&self) -> crate::pipe::PipeTarget<T> {
        crate::pipe::PipeTarget {
            inner: self.0.clone(),
        }
    }
    fn pipe_id(&self) -> usize {
        self.0.target_id()
    }
}

/// Every stream with a readable side of cloneable chunks can be piped from.
impl<S: crate::ReadableSide> ReadableStream<S::Read> for S
where
    S::Read: Clone,
{
    fn pipe_into(&self, target: crate::pipe::PipeTarget<S::Read>, opts: PipeOptions) {
        crate::pipe::pipe(self.stream_core(), &Raw(target.inner), opts);
    }
}
