//! `readable.pipe(dest)`: Node's pipe protocol, run as direct calls.
//!
//! Node wires a pipe with listeners: `'data'` -> `dest.write(chunk)`; a
//! `false` -> `src.pause()` and a `'drain'` listener on `dest` ->
//! `src.resume()`; `'end'` -> `dest.end()`; `dest`'s `'finish'` / `'close'` /
//! `'error'` -> `unpipe`. rt keeps exactly that protocol (so the order of
//! `'pipe'`, `'pause'`, `'resume'`, `'drain'`, `'unpipe'`, `'finish'` is
//! Node's, checked by the differential test) but delivers chunks without
//! the event machinery: the source's state machine calls the destinations'
//! `write` directly where Node would emit `'data'`. A chunk pushed into a
//! flowing source goes straight through `dest.write` into the sink in the
//! same call (no task, no allocation, no event per chunk); a pull source is
//! drained by the same flow loop Node runs (one tick per `resume`, not per
//! chunk). Pausing and resuming happen once per high-water mark, when the
//! destination says so.

use std::sync::{Arc, Weak};

use crate::core::Core;
use crate::error::Error;
use crate::listeners::{ListenerId, StreamEvent};
use crate::pipe_dest::{PipeDest, Target};
use crate::pipe_source::{PipeSource, SourceOps};
use crate::state::Tick;

/// Options of `pipe` (Node's `readable.pipe(dest, { end })`).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct PipeOptions {
    /// End the destination when the source ends (default true). Node: `end`.
    pub end: bool,
}

option_setters!(PipeOptions {
    /// Sets `end` (Node: `end`).
    end: (bool),
});

impl Default for PipeOptions {
    fn default() -> Self {
        PipeOptions { end: true }
    }
}

impl<R: Send + 'static, W: Send + 'static> Target<W> for Core<R, W> {
    fn write_chunk(self: Arc<Self>, chunk: W) -> Result<bool, Error> {
        let r = self.write_inner(chunk, None);
        if r.is_err() {
            self.settle();
        }
        r
    }
    fn end_writable(self: Arc<Self>) {
        let _ = self.end_inner(None, None);
        self.settle();
    }
    fn emit_piping(&self, added: bool, src: &PipeSource) {
        self.ev.emit_piping(added, src);
    }
    fn needs_drain(&self) -> bool {
        // Node's `dest.writableNeedDrain`: false once ending or destroyed.
        let st = self.lock();
        !st.destroyed && st.w.as_ref().is_some_and(|w| w.need_drain && !w.ending)
    }
    fn need_drain_raw(&self) -> bool {
        self.lock().w.as_ref().is_some_and(|w| w.need_drain)
    }
    fn listen(&self, ev: StreamEvent, once: bool, f: Arc<dyn Fn() + Send + Sync>) -> ListenerId {
        if ev == StreamEvent::Error {
            // pipe's error handler runs first (Node prepends it): the source
            // is paused and unpiped before the destination's 'error' listeners.
            self.ev.prepend_error(once, Arc::new(move |_: &Error| f()))
        } else {
            self.ev.on(ev, once, Arc::new(move |_: &()| f()))
        }
    }
    fn listen_unpipe(&self, f: crate::listeners::Callback<()>) -> [ListenerId; 3] {
        // Two closures for the three lists ('close' and 'finish' share
        // `f`): a pipe costs a connection as few allocations as it can.
        let g = f.clone();
        let on_error = self.ev.prepend_error(true, Arc::new(move |_: &Error| g(&())));
        let on_close = self.ev.on(StreamEvent::Close, true, f.clone());
        let on_finish = self.ev.on(StreamEvent::Finish, true, f);
        [on_error, on_close, on_finish]
    }
    fn unlisten(&self, id: ListenerId) {
        self.ev.off(id);
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

/// Every stream with a writable side can be piped into.
impl<S: crate::WritableSide> WritableStream<S::Write> for S {
    fn pipe_target(&self) -> PipeTarget<S::Write> {
        PipeTarget {
            inner: self.stream_core().clone(),
        }
    }
    fn pipe_id(&self) -> usize {
        Arc::as_ptr(self.stream_core()) as *const () as usize
    }
}

pub(crate) fn pipe<R, W, D>(src: &Arc<Core<R, W>>, dest: &D, opts: PipeOptions)
where
    R: Clone + Send + 'static,
    W: Send + 'static,
    D: WritableStream<R>,
{
    let target = dest.pipe_target().inner;
    let id = target.target_id();
    // dest's 'finish' / 'close' / 'error' unpipe it (Node's onfinish / onclose / onerror).
    let weak: Weak<Core<R, W>> = Arc::downgrade(src);
    let listeners = target.listen_unpipe(Arc::new(move |_: &()| {
        if let Some(s) = weak.upgrade() {
            unpipe(&s, Some(id));
        }
    }));
    // Node's src.on('data', ondata) marks the source readable-listening
    // when it has 'readable' listeners (even ones added after its 'end'),
    // so the resume below leaves it paused.
    let readable_listeners = src.ev.count(StreamEvent::Readable) > 0;
    // Node's `src.once('end', endFn)`: this pipe's end is a listener among
    // the source's 'end' listeners, in the order it was added (a later
    // listener, pipeline's own end included, runs after it). A source
    // already ended takes the tick below instead.
    let ended = src.lock().r.as_ref().is_none_or(|r| r.end_emitted);
    let end_listener = (!ended).then(|| {
        let (t, weak, end) = (target.clone(), Arc::downgrade(src), opts.end);
        src.ev.on(
            StreamEvent::End,
            true,
            Arc::new(move |_: &()| {
                if end {
                    t.clone().end_writable();
                } else if let Some(s) = weak.upgrade() {
                    unpipe(&s, Some(id));
                }
            }),
        )
    });
    let seq = src.ev.take_id();
    let (end_emitted, flowing) = {
        let mut st = src.lock();
        let Some(r) = st.r.as_mut() else { return };
        if readable_listeners {
            r.readable_listening = true;
        }
        r.chunk_clone = Some(<R as Clone>::clone);
        // Node: a second pipe turns `awaitDrainWriters` into a Set.
        if r.pipes.len() == 1 {
            r.multi_await_drain = true;
        }
        // Most streams pipe into one destination: room for exactly one
        // (a first push would make room for four).
        r.pipes.reserve_exact(1);
        r.pipes.push(PipeDest {
            target: target.clone(),
            id,
            seq,
            listeners,
            drain_listener: None,
            end_listener,
        });
        (r.end_emitted, r.flowing)
    };
    if end_emitted && end_listener.is_none() {
        // Node's `process.nextTick(endFn)`: this pipe's end alone (the
        // source's other pipes were ended at its 'end'), run even if the
        // pipe is gone by then, as Node's tick is.
        let (t, weak) = (target.clone(), Arc::downgrade(src));
        let end_fn: Box<dyn FnOnce() + Send> = if opts.end {
            Box::new(move || t.end_writable())
        } else {
            Box::new(move || {
                if let Some(s) = weak.upgrade() {
                    unpipe(&s, Some(id));
                }
            })
        };
        let mut st = src.lock();
        src.schedule(&mut st, Tick::Call(end_fn));
    }
    // Node's src.on('data', ondata): starts flowing unless paused explicitly.
    if flowing != Some(false) {
        src.resume();
    }
    target.emit_piping(true, &PipeSource { inner: src.clone() });
    if target.needs_drain() {
        src.pipe_pause(id, seq);
    } else if src.lock().r.as_ref().and_then(|r| r.flowing) != Some(true) {
        src.resume();
    }
    src.settle();
}

pub(crate) fn unpipe<R: Send + 'static, W: Send + 'static>(src: &Arc<Core<R, W>>, id: Option<usize>) {
    // One destination (no allocation), or all of them.
    let (one, all, now_empty, awaiting) = {
        let mut st = src.lock();
        let Some(r) = st.r.as_mut() else { return };
        // Node's cleanup tests `state.awaitDrainWriters`: a destination, or
        // a Set (truthy even when empty).
        let awaiting = r.multi_await_drain || !r.await_drain.is_empty();
        let (one, all): (Option<PipeDest<R>>, Vec<PipeDest<R>>) = match id {
            None => (None, std::mem::take(&mut r.pipes)),
            // Node's indexOf + splice: one entry of a destination piped twice.
            Some(id) => (
                r.pipes.iter().position(|d| d.id == id).map(|i| r.pipes.remove(i)),
                Vec::new(),
            ),
        };
        r.await_drain
            .retain(|d| one.iter().chain(all.iter()).all(|x| x.id != *d));
        (one, all, r.pipes.is_empty(), awaiting)
    };
    if one.is_none() && all.is_empty() {
        return;
    }
    if now_empty {
        src.pause();
    }
    let source = PipeSource { inner: src.clone() };
    for d in one.into_iter().chain(all) {
        // Node's cleanup() calls the pipe's ondrain when the source waited
        // for a drain and the destination still needs one: the source
        // resumes if something else still reads it ('data' listeners,
        // other pipes).
        let ondrain = d.drain_listener.is_some() && awaiting && d.target.need_drain_raw();
        d.cleanup();
        if let Some(l) = d.end_listener {
            src.ev.off(l);
        }
        d.target.emit_piping(false, &source);
        if ondrain {
            src.pipe_on_drain(d.id);
        }
    }
    src.settle();
}

impl<R: Send + 'static, W: Send + 'static> Core<R, W> {
    /// Node's pipe `ondata`: writes `chunk` to every destination; a `false`
    /// pauses the source until that destination drains.
    pub(crate) fn deliver_to_pipes(self: &Arc<Self>, chunk: &R) {
        // One destination (the common case): no snapshot allocation.
        let single = {
            let st = self.lock();
            match st.r.as_ref() {
                Some(r) if r.pipes.len() == 1 => match r.chunk_clone {
                    Some(c) => Some((r.pipes[0].target.clone(), r.pipes[0].id, r.pipes[0].seq, c)),
                    None => return,
                },
                Some(_) => None,
                None => return,
            }
        };
        if let Some((t, id, seq, clone)) = single {
            // A failed write returns false in Node: the source pauses too.
            if !matches!(t.write_chunk(clone(chunk)), Ok(true)) {
                self.pipe_pause(id, seq);
            }
            return;
        }
        type Dests<R> = Vec<(Arc<dyn Target<R>>, usize, u64)>;
        let (dests, clone): (Dests<R>, fn(&R) -> R) = {
            let st = self.lock();
            match st.r.as_ref() {
                Some(r) => match r.chunk_clone {
                    Some(c) => (
                        r.pipes.iter().map(|d| (d.target.clone(), d.id, d.seq)).collect(),
                        c,
                    ),
                    None => return,
                },
                None => return,
            }
        };
        for (t, id, seq) in dests {
            if !matches!(t.write_chunk(clone(chunk)), Ok(true)) {
                self.pipe_pause(id, seq);
            }
        }
    }

    /// A chunk for `'data'` listeners and pipes both: each in the order it
    /// was added (Node's pipe is a `'data'` listener), so a pipe added
    /// before a listener writes (and may pause the source) before that
    /// listener sees the chunk.
    pub(crate) fn deliver_in_order(self: &Arc<Self>, chunk: &R)
    where
        R: 'static,
    {
        type Dests<R> = Vec<(Arc<dyn Target<R>>, usize, u64)>;
        let (dests, clone): (Dests<R>, fn(&R) -> R) = {
            let st = self.lock();
            match st.r.as_ref() {
                Some(r) => match r.chunk_clone {
                    Some(c) => (
                        r.pipes.iter().map(|d| (d.target.clone(), d.id, d.seq)).collect(),
                        c,
                    ),
                    None => {
                        drop(st);
                        self.ev.emit_data(chunk);
                        return;
                    }
                },
                None => return,
            }
        };
        let mut next = 0;
        self.ev.emit_data_ordered(chunk, &mut |upto| {
            while let Some((t, id, seq)) = dests.get(next) {
                if *seq >= upto {
                    break;
                }
                next += 1;
                if !matches!(t.clone().write_chunk(clone(chunk)), Ok(true)) {
                    self.pipe_pause(*id, *seq);
                }
            }
        });
    }

    /// [`deliver_to_pipes`](Self::deliver_to_pipes) for the one
    /// destination `target` (taken by the caller under the state lock it
    /// held anyway): the chunk moves into the write.
    pub(crate) fn deliver_to_one_pipe(
        self: &Arc<Self>,
        target: Arc<dyn Target<R>>,
        id: usize,
        seq: u64,
        chunk: R,
    ) {
        if !matches!(target.write_chunk(chunk), Ok(true)) {
            self.pipe_pause(id, seq);
        }
    }

    /// Node's pipe `pause()` of the pipe `seq` into `id`: wait for `id`'s
    /// `'drain'`. The drain listener is that pipe's own (Node's `ondrain`
    /// is per pipe; a destination piped twice has two).
    fn pipe_pause(self: &Arc<Self>, id: usize, seq: u64) {
        let need_listener = {
            let mut st = self.lock();
            let Some(r) = st.r.as_mut() else { return };
            let Some(d) = r.pipes.iter().find(|d| d.seq == seq) else {
                return;
            };
            let target = d.target.clone();
            let need = d.drain_listener.is_none();
            if r.pipes.len() == 1 {
                r.multi_await_drain = false;
                r.await_drain.clear();
                r.await_drain.push(id);
            } else if !r.await_drain.contains(&id) {
                r.await_drain.push(id);
            }
            need.then_some(target)
        };
        self.pause();
        if let Some(target) = need_listener {
            let weak = Arc::downgrade(self);
            let l = target.listen(
                StreamEvent::Drain,
                false,
                Arc::new(move || {
                    if let Some(s) = weak.upgrade() {
                        s.pipe_on_drain(id);
                    }
                }),
            );
            let mut st = self.lock();
            if let Some(d) =
                st.r.as_mut()
                    .and_then(|r| r.pipes.iter_mut().find(|d| d.seq == seq))
            {
                d.drain_listener = Some(l);
            } else {
                drop(st);
                target.unlisten(l);
            }
        }
    }

    /// Node's `pipeOnDrain`.
    fn pipe_on_drain(self: &Arc<Self>, id: usize) {
        let resume = {
            let mut st = self.lock();
            let Some(r) = st.r.as_mut() else { return };
            r.await_drain.retain(|d| *d != id);
            r.await_drain.is_empty() && (r.data_listening || !r.pipes.is_empty())
        };
        if resume {
            self.resume();
        }
    }
}

/// A [`PipeSource`] works the stream behind it, whatever its chunk types.
impl<R: Send + 'static, W: Send + 'static> SourceOps for Core<R, W> {
    fn source_id(&self) -> usize {
        self as *const Self as *const () as usize
    }
    fn core_any(self: Arc<Self>) -> Arc<dyn std::any::Any + Send + Sync> {
        self
    }
    fn type_name(&self) -> &'static str {
        self.ev
            .hooks_owner
            .get()
            .and_then(|h| h.type_name())
            .unwrap_or(self.ev.type_name)
    }
    fn pause(self: Arc<Self>) {
        Core::pause(&self);
        self.settle();
    }
    fn resume(self: Arc<Self>) {
        Core::resume(&self);
        self.settle();
    }
    fn is_paused(&self) -> bool {
        Core::is_paused(self)
    }
    fn readable_flowing(&self) -> Option<bool> {
        self.lock().r.as_ref().and_then(|r| r.flowing)
    }
    fn readable_length(&self) -> usize {
        self.lock().r.as_ref().map_or(0, |r| r.length)
    }
    fn readable_ended(&self) -> bool {
        self.lock().r.as_ref().is_some_and(|r| r.end_emitted)
    }
    fn unpipe(self: Arc<Self>, dest: Option<usize>) {
        unpipe(&self, dest);
    }
    fn destroy(self: Arc<Self>, err: Option<Error>) {
        Core::destroy(&self, err);
    }
    fn destroyed(&self) -> bool {
        self.lock().destroyed
    }
    fn listen(self: Arc<Self>, name: &'static str, once: bool, f: Box<dyn Fn() + Send + Sync>) -> u64 {
        let Some(ev) = crate::listeners::by_name(name) else {
            return 0;
        };
        crate::EventKey::listen(ev, &self, once, f).0
    }
    fn listen_error(&self, f: Box<dyn Fn(&Error) + Send + Sync>) -> u64 {
        self.ev.on_error(false, Arc::from(f)).0
    }
    fn unlisten(self: Arc<Self>, id: u64) {
        if let Some(ev) = self.ev.off(ListenerId(id)) {
            self.listener_removed(ev);
            self.settle();
        }
    }
    fn count(&self, name: &str) -> usize {
        crate::listeners::user_count(&self.ev, name)
    }
}

/// The source as a stream: listeners, unpiping, identity.
impl PipeSource {
    /// Adds a listener to the source (a `'data'` listener starts its flow,
    /// as in Node). Node: `src.on(name, fn)`.
    #[doc(alias = "addListener")]
    pub fn on(&self, event: StreamEvent, f: impl Fn() + Send + Sync + 'static) -> ListenerId {
        ListenerId(self.inner.clone().listen(event.name(), false, Box::new(f)))
    }

    /// Like [`on`](Self::on), removed after the first call. Node: `src.once(name, fn)`.
    pub fn once(&self, event: StreamEvent, f: impl Fn() + Send + Sync + 'static) -> ListenerId {
        ListenerId(self.inner.clone().listen(event.name(), true, Box::new(f)))
    }

    /// Adds an `'error'` listener to the source. Node: `src.on('error', fn)`.
    pub fn on_error(&self, f: impl Fn(&Error) + Send + Sync + 'static) -> ListenerId {
        ListenerId(self.inner.listen_error(Box::new(f)))
    }

    /// Removes a listener added through this handle (or the source's own).
    /// Node: `src.off(name, fn)`.
    #[doc(alias = "removeListener")]
    pub fn off(&self, id: ListenerId) {
        self.inner.clone().unlisten(id.0);
    }

    /// How many listeners the source has for `event`. Node: `src.listenerCount(name)`.
    #[doc(alias = "listenerCount")]
    pub fn listener_count(&self, event: impl crate::Named) -> usize {
        self.inner.count(event.name_of())
    }

    /// Stops the source piping into `dest` (every destination with
    /// `None`). Node: `src.unpipe(dest)`.
    pub fn unpipe<T, D: WritableStream<T>>(&self, dest: Option<&D>) {
        self.inner.clone().unpipe(dest.map(|d| d.pipe_id()));
    }

    /// Whether `stream` is this source (Node: `src === stream`).
    pub fn is<S: crate::StreamBase>(&self, stream: &S) -> bool {
        Arc::as_ptr(stream.stream_core()) as *const () as usize == self.inner.source_id()
    }
}

/// `src == stream`: the same stream (Node: `src === stream`).
impl<S: crate::StreamBase> PartialEq<S> for PipeSource {
    fn eq(&self, other: &S) -> bool {
        self.is(other)
    }
}
