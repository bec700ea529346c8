//! The shared state machine behind every stream handle.
//!
//! A stream handle ([`Readable`](crate::Readable), [`Writable`](crate::Writable),
//! [`Duplex`](crate::Duplex)) is an `Arc<Core>`: cloning a handle is one atomic
//! increment, and every clone (the source, a pipe's destination, listeners)
//! looks at the same state. The state sits behind one mutex; the implementor's
//! hooks (`Source`, `Sink`) sit behind two others, so user code never runs with
//! the state locked and may call back into the stream (a `'data'` listener that
//! pauses, a `'drain'` listener that writes, a sink that destroys).
//!
//! ## Node's `process.nextTick`, here
//! Node defers parts of its streams' work to `process.nextTick` (`'drain'`,
//! `'end'`, `'readable'`, `'close'`, ...). rt keeps the same split: what Node
//! does synchronously happens before the call returns, what Node defers is put
//! on a tick queue, one per thread that queues work, drained in order by one
//! task on the tokio runtime that is current (or was current when the stream
//! was created): ticks of different streams run in the order they were
//! queued, as with Node's single `nextTick` queue. Outside any runtime, a
//! stream's ticks run just before the public call that queued them returns. So the order of events and return values,
//! observed after each step has settled, is Node's.

use std::collections::VecDeque;
use std::sync::Arc;

use crate::locking::{Mutex, MutexGuard};
use std::task::Waker;

use crate::destroy_hook::DestroyCallback;
use crate::error::Error;
use crate::fast_write::Gate;
use crate::listeners::{Listeners, StreamEvent};
use crate::sink::Sink;
use crate::source::Source;
use crate::state::{RState, State, Tick, WState};

pub(crate) use crate::locking::lock;

impl<R: Send + 'static, W: Send + 'static> crate::tick::Ticker for Core<R, W> {
    /// Runs the stream's oldest queued tick (one tick-queue entry each).
    fn run_one_tick(self: Arc<Self>) {
        let t = self.lock().ticks.pop_front();
        if let Some(t) = t {
            self.run_tick(t);
        }
    }
}

pub(crate) type Guard<'a, R, W> = MutexGuard<'a, State<R, W>>;

impl<R, W> State<R, W> {
    pub(crate) fn new(r: Option<RState<R>>, w: Option<WState<W>>) -> Self {
        State {
            r,
            w,
            destroyed: false,
            closed: false,
            close_emitted: false,
            error_emitted: false,
            errored: None,
            auto_destroy: true,
            emit_close: true,
            allow_half_open: true,
            destroy_hook: None,
            ticks: VecDeque::new(),
            tick_scheduled: false,
            inline_pending: false,
            flushing: false,
            wakers: Vec::new(),
        }
    }

    /// Registers a task waker, woken at the next state change.
    pub(crate) fn add_waker(&mut self, w: &Waker) {
        if !self.wakers.iter().any(|x| x.will_wake(w)) {
            self.wakers.push(w.clone());
        }
    }

    /// Wakes every async waiter (they re-check the state).
    #[inline]
    pub(crate) fn wake(&mut self) {
        if !self.wakers.is_empty() {
            self.wake_all();
        }
    }

    #[inline(never)]
    fn wake_all(&mut self) {
        for w in self.wakers.drain(..) {
            w.wake();
        }
    }

    fn check_error(&mut self, err: &Option<Error>) {
        if let Some(e) = err {
            if self.errored.is_none() {
                self.errored = Some(e.clone());
            }
        }
    }
}

/// The state machines behind a stream handle (opaque; exported as
/// [`StreamCore`](crate::StreamCore)): Node's readable and writable state,
/// the implementor's [`Source`](crate::Source) and [`Sink`](crate::Sink),
/// the stream's listeners and its emitter. Every handle of a stream shares
/// one, in an `Arc`; a stream type returns it from
/// [`StreamBase::stream_core`](crate::StreamBase::stream_core).
pub struct Core<R, W> {
    pub(crate) st: Mutex<State<R, W>>,
    pub(crate) source: Mutex<Option<Box<dyn Source<R>>>>,
    pub(crate) ev: Listeners<R>,
    handle: Option<tokio::runtime::Handle>,
    /// The source pushes on its own ([`Source::push_driven`](crate::Source::push_driven)).
    pub(crate) push_driven: bool,
    /// Set once ticks were ever queued for an inline run (no runtime): until
    /// then `settle` has nothing to do and skips the lock.
    inline_hint: std::sync::atomic::AtomicBool,
    /// Another thread wanted `_read` while this stream's source was busy
    /// reading on a thread of its own: the reading thread asks again.
    pub(crate) read_again: std::sync::atomic::AtomicBool,
    /// Where the sink lives, and the lock-free claim of `write()`'s fast
    /// path (`fast_write.rs`).
    pub(crate) fast: Gate<W>,
}

impl<R: Send + 'static, W: Send + 'static> Core<R, W> {
    pub(crate) fn new(
        state: State<R, W>,
        source: Option<Box<dyn Source<R>>>,
        sink: Option<Box<dyn Sink<W>>>,
    ) -> Arc<Self> {
        let fast = Gate::new(sink);
        if let Some(w) = state.w.as_ref() {
            fast.set_len(w.ops.len);
        }
        let type_name = match (state.r.is_some(), state.w.is_some()) {
            (true, true) => "Duplex",
            (true, false) => "Readable",
            _ => "Writable",
        };
        let push_driven = source.as_ref().is_some_and(|s| s.push_driven());
        Arc::new(Core {
            st: Mutex::new(state),
            source: Mutex::new(source),
            push_driven,
            ev: Listeners::new(type_name),
            handle: tokio::runtime::Handle::try_current().ok(),
            inline_hint: std::sync::atomic::AtomicBool::new(false),
            read_again: std::sync::atomic::AtomicBool::new(false),
            fast,
        })
    }

    /// The stream's rt-events emitter — the one emitter of the stream and of
    /// any type extending it — created with the stream's meta listeners on
    /// first use (an idle stream that nobody listens to through rt-events
    /// never allocates one).
    pub fn emitter(self: &Arc<Self>) -> &rt_events::EventEmitter {
        if let Some(em) = self.ev.events.get() {
            return em;
        }
        self.ev.events.get_or_init(|| {
            // The hooks go on before the emitter is shared: no listener can
            // be added through it unseen.
            let name = self.ev.hooks_owner.get().and_then(|h| h.type_name());
            let em = rt_events::EventEmitter::with_type_name(name.unwrap_or(self.ev.type_name));
            self.install_event_hooks_on(&em);
            em
        })
    }

    /// The stream's emitter if anyone has used it yet (a type extending the
    /// stream emits its own events only then: nobody can be listening).
    pub fn emitter_if_used(&self) -> Option<&rt_events::EventEmitter> {
        self.ev.emitter_if_any()
    }

    /// Listeners added through the rt-events face have Node's side effects
    /// too ('data' starts the flow, 'readable' switches to paused mode): the
    /// stream's own `'newListener'` / `'removeListener'` listeners, installed
    /// again by this call if a `remove_all_listeners` took them away.
    pub(crate) fn install_event_hooks(self: &Arc<Self>) {
        let em = self.emitter();
        self.install_event_hooks_on(em);
    }

    fn install_event_hooks_on(self: &Arc<Self>, em: &rt_events::EventEmitter) {
        use std::sync::atomic::Ordering;
        let mut hooks = lock(&self.ev.hooks);
        let (mut on_new, mut on_remove) = match *hooks {
            Some((a, b)) => (Some(a), Some(b)),
            None => (None, None),
        };
        if on_new.is_some_and(|id| !em.listeners(&rt_events::NEW_LISTENER).contains(&id)) {
            on_new = None;
        }
        if on_remove.is_some_and(|id| !em.listeners(&rt_events::REMOVE_LISTENER).contains(&id)) {
            on_remove = None;
        }
        if on_new.is_none() || on_remove.is_none() {
            // Recount: listeners may have come and gone unseen.
            self.ev
                .data_on_emitter
                .store(em.listener_count("data"), Ordering::Release);
        }
        let on_new = on_new.unwrap_or_else(|| {
            let weak = Arc::downgrade(self);
            em.on(&rt_events::NEW_LISTENER, move |info: &rt_events::ListenerInfo| {
                if let Some(c) = weak.upgrade() {
                    // 'newListener' runs before the add: the ticks this
                    // queues must wait for it (the `Emitter` methods settle
                    // after adding; otherwise the stream's next call does).
                    match info.event {
                        "data" => {
                            c.ev.data_on_emitter.fetch_add(1, Ordering::AcqRel);
                            c.data_listener_added()
                        }
                        "readable" => c.readable_listener_added(),
                        _ => {}
                    }
                }
            })
        });
        let on_remove = on_remove.unwrap_or_else(|| {
            let weak = Arc::downgrade(self);
            em.on(
                &rt_events::REMOVE_LISTENER,
                move |info: &rt_events::ListenerInfo| {
                    if let Some(c) = weak.upgrade() {
                        if let Some(ev) = crate::listeners::by_name(info.event) {
                            if ev == StreamEvent::Data {
                                let _ = c.ev.data_on_emitter.fetch_update(
                                    Ordering::AcqRel,
                                    Ordering::Acquire,
                                    |n| n.checked_sub(1),
                                );
                            }
                            c.listener_removed(ev);
                            c.settle();
                        }
                    }
                },
            )
        });
        *hooks = Some((on_new, on_remove));
    }

    /// Takes the state lock. It closes the write gate (`fast_write.rs`):
    /// whoever holds the lock may change what the gate promised; and on
    /// the thread of a fast write in flight (its sink re-entering the
    /// stream) it makes that write an ordinary one first.
    #[inline]
    pub(crate) fn lock(&self) -> Guard<'_, R, W> {
        let st = lock(&self.st);
        if self.fast.open.load(std::sync::atomic::Ordering::Relaxed) {
            return self.close_gate(st);
        }
        st
    }

    /// The state lock for the readable side's chunk delivery, leaving the
    /// write gate as it is: a push that delivers a chunk at once (flowing,
    /// nothing buffered) changes only the readable state and the delivery
    /// token, nothing the open gate promised about the writable state. So
    /// a duplex that echoes (a socket piped into itself) does not shut the
    /// gate its own last write opened, and the write the delivery makes
    /// takes the gate instead of two lock rounds. Any holder that goes on
    /// to change more (buffering, ending, an error, inline ticks) first
    /// shuts the gate with [`close_gate_if_open`](Self::close_gate_if_open).
    #[inline]
    pub(crate) fn lock_read_side(&self) -> Guard<'_, R, W> {
        lock(&self.st)
    }

    /// What [`lock`](Self::lock) does to the write gate, for a holder of
    /// [`lock_read_side`](Self::lock_read_side)'s guard.
    #[inline]
    pub(crate) fn close_gate_if_open<'a>(&'a self, st: Guard<'a, R, W>) -> Guard<'a, R, W> {
        if self.fast.open.load(std::sync::atomic::Ordering::Relaxed) {
            return self.close_gate(st);
        }
        st
    }

    /// The runtime to run deferred work on, if any.
    pub(crate) fn runtime(&self) -> Option<tokio::runtime::Handle> {
        tokio::runtime::Handle::try_current()
            .ok()
            .or_else(|| self.handle.clone())
    }

    /// Queues `t` (Node's `process.nextTick`).
    pub(crate) fn schedule(self: &Arc<Self>, st: &mut State<R, W>, t: Tick) {
        st.ticks.push_back(t);
        match self.runtime() {
            Some(h) => crate::tick::enqueue(&h, self.clone()),
            None => {
                st.tick_scheduled = true;
                st.inline_pending = true;
                self.inline_hint.store(true, std::sync::atomic::Ordering::Relaxed);
            }
        }
    }

    /// Called at the end of every public operation: outside a runtime, runs
    /// the ticks it queued (unless a tick run is already under way).
    pub(crate) fn settle(self: &Arc<Self>) {
        if !self.inline_hint.load(std::sync::atomic::Ordering::Relaxed) {
            return;
        }
        let run = {
            let mut st = self.lock();
            if st.inline_pending && !st.flushing {
                st.inline_pending = false;
                true
            } else {
                false
            }
        };
        if run {
            self.run_ticks();
        }
    }

    /// [`settle`](Self::settle) for a caller that holds the lock.
    pub(crate) fn settle_locked(self: &Arc<Self>, mut st: Guard<'_, R, W>) {
        let run = st.inline_pending && !st.flushing;
        if run {
            st.inline_pending = false;
        }
        drop(st);
        if run {
            self.run_ticks();
        }
    }

    fn run_ticks(self: &Arc<Self>) {
        {
            let mut st = self.lock();
            if st.flushing {
                return;
            }
            st.flushing = true;
        }
        loop {
            let t = {
                let mut st = self.lock();
                match st.ticks.pop_front() {
                    Some(t) => t,
                    None => {
                        st.tick_scheduled = false;
                        st.inline_pending = false;
                        st.flushing = false;
                        return;
                    }
                }
            };
            self.run_tick(t);
        }
    }

    fn run_tick(self: &Arc<Self>, t: Tick) {
        match t {
            Tick::EmitReadable => self.emit_readable_now(),
            Tick::MaybeReadMore => self.maybe_read_more_now(),
            Tick::Resume => self.resume_now(),
            Tick::EndReadable => self.end_readable_now(),
            Tick::ReadZero => {
                self.read_inner(Some(0));
            }
            Tick::UpdateReadableListening => self.update_readable_listening(),
            Tick::AfterWrite(cb) => self.after_write(cb),
            Tick::OnWriteError(e, cb) => self.onwrite_error(e, cb),
            Tick::FinishMaybe => self.finish_maybe_tick(),
            Tick::Finish => {
                let st = self.lock();
                drop(self.finish(st));
            }
            Tick::ErrorBuffer => {
                let st = self.lock();
                drop(self.error_buffer(st));
            }
            Tick::EmitErrorClose(e) => {
                self.emit_error_now(e);
                self.emit_close_now();
            }
            Tick::EmitClose => self.emit_close_now(),
            Tick::EmitError(e) => self.emit_error_now(e),
            Tick::WriteCb(cb, res) => cb(res),
            Tick::EndCb(cb, res) => cb(res),
            Tick::EndWritable => self.end_writable_now(),
            Tick::Call(f) => f(),
        }
    }

    // ----- destruction (Node's internal/streams/destroy.js) -----

    /// `stream.destroy(err)`.
    pub(crate) fn destroy(self: &Arc<Self>, err: Option<Error>) {
        let mut st = self.lock();
        // Node's Writable.prototype.destroy (Duplex uses it too): buffered
        // writes and end callbacks fail on the next tick (errorBuffer).
        if let Some(w) = st.w.as_ref() {
            if (!w.buffered.is_empty() || !w.on_finished.is_empty()) && !st.destroyed {
                self.schedule(&mut st, Tick::ErrorBuffer);
            }
        }
        if st.destroyed {
            return;
        }
        st.check_error(&err);
        st.destroyed = true;
        st.wake();
        let hook = st.destroy_hook.clone();
        drop(st);
        let res = self.call_destroy_hooks(err);
        match hook {
            None => self.on_destroy(res),
            // Node's `_destroy(err, onDestroy)`: 'close' / 'error' wait for
            // the callback, which may come later, from any thread.
            Some(hook) => {
                let core = self.clone();
                let cb = DestroyCallback::new(res.clone(), move |err| {
                    core.on_destroy(err);
                    core.settle();
                });
                hook.run(res, cb);
            }
        }
        self.settle();
    }

    fn call_destroy_hooks(self: &Arc<Self>, mut err: Option<Error>) -> Option<Error> {
        // Hooks run without the state lock. A hook busy in another call (a
        // sink destroying its own stream from `write`) is skipped: Node's
        // `_destroy` would run re-entrantly there; the implementor already
        // knows it is tearing down.
        if let Ok(mut s) = self.source.try_lock() {
            if let Some(s) = s.as_mut() {
                err = s.destroy(err);
            }
        }
        let sink = self.fast.take_sink();
        if let Some(mut s) = sink {
            err = s.destroy(err);
            self.fast.put_sink(Some(s));
        }
        err
    }

    fn on_destroy(self: &Arc<Self>, err: Option<Error>) {
        let mut st = self.lock();
        st.check_error(&err);
        st.closed = true;
        match err {
            Some(e) => self.schedule(&mut st, Tick::EmitErrorClose(e)),
            None => self.schedule(&mut st, Tick::EmitClose),
        }
        st.wake();
    }

    fn emit_close_now(self: &Arc<Self>) {
        let (emit, had_error) = {
            let mut st = self.lock();
            st.close_emitted = true;
            st.wake();
            (st.emit_close, st.errored.is_some())
        };
        if emit {
            self.ev.emit_close(had_error);
        }
    }

    fn emit_error_now(self: &Arc<Self>, err: Error) {
        {
            let mut st = self.lock();
            if st.error_emitted {
                return;
            }
            st.error_emitted = true;
            st.wake();
        }
        // Nobody listening: Node would throw. Here the error stays recorded in
        // the stream (`errored()`), and every async face (`read`, `write_all`,
        // `finished`, `pipeline`) reports it to its caller.
        self.ev.emit_error(&err);
    }

    /// Node's `errorOrDestroy(stream, err, sync)`; takes and gives back the lock.
    pub(crate) fn error_or_destroy<'a>(
        self: &'a Arc<Self>,
        mut st: Guard<'a, R, W>,
        err: Error,
        sync: bool,
    ) -> Guard<'a, R, W> {
        if st.destroyed {
            return st;
        }
        if st.auto_destroy {
            drop(st);
            self.destroy(Some(err));
            return self.lock();
        }
        st.check_error(&Some(err.clone()));
        if sync {
            self.schedule(&mut st, Tick::EmitError(err));
            st
        } else {
            drop(st);
            self.emit_error_now(err);
            self.lock()
        }
    }
}
