//! The writable side's state machine: Node v20's `lib/internal/streams/writable.js`
//! (write, buffering, cork, writev batches, end, final, finish), in Rust.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;

use crate::chunk::ChunkOps;
use crate::core::{Core, Guard};
use crate::error::Error;
use crate::fast_write::{AtomicU64, SlotGuard};
use crate::listeners::StreamEvent;
use crate::sink::{WriteOutcome, Writing};
use crate::state::{EndCb, Entry, State, Tick, WState, WriteCb};
use crate::thread_ident;

impl<W> WState<W> {
    pub(crate) fn new(hwm: usize, object_mode: bool, ops: ChunkOps<W>, has_writev: bool) -> Self {
        WState {
            buffered: VecDeque::new(),
            length: 0,
            hwm,
            ops,
            object_mode,
            writing: false,
            writelen: 0,
            writecb: None,
            sync: true,
            corked: 0,
            ending: false,
            ended: false,
            finished: false,
            final_called: false,
            prefinished: false,
            need_drain: false,
            buffer_processing: false,
            after_write_pending: false,
            pendingcb: 0,
            on_finished: Vec::new(),
            has_writev,
            auto_destroy: true,
            completed: 0,
            default_encoding: rt_buffer::Encoding::Utf8,
            decode_strings: true,
        }
    }
}

macro_rules! ws {
    ($st:expr) => {
        match $st.w.as_mut() {
            Some(w) => w,
            None => return Default::default(),
        }
    };
}

macro_rules! ws_ok {
    ($st:expr) => {
        match $st.w.as_mut() {
            Some(w) => w,
            None => return Ok(()),
        }
    };
}

fn need_finish<R, W>(st: &crate::state::State<R, W>) -> bool {
    match st.w.as_ref() {
        Some(w) => {
            w.ending
                && !st.destroyed
                && !w.finished
                && !w.writing
                && !st.error_emitted
                && !st.close_emitted
                && st.errored.is_none()
                // Node's kBuffered stays set until clearBuffer has written
                // every buffered chunk (its resetBuffer comes after the
                // loop): a chunk completing inside clearBuffer never finishes.
                && w.buffered.is_empty()
                && !w.buffer_processing
                && w.length == 0
        }
        None => false,
    }
}

impl<R: Send + 'static, W: Send + 'static> Core<R, W> {
    /// `writable.write(chunk, cb)`: `Ok(false)` means "stop until 'drain'".
    #[inline(always)]
    pub(crate) fn write_inner(self: &Arc<Self>, chunk: W, cb: Option<WriteCb>) -> Result<bool, Error> {
        match cb {
            None => self.write_fast(chunk),
            cb => self.write_locked(chunk, cb),
        }
    }

    /// [`write_inner`](Self::write_inner) through the state lock.
    #[inline(never)]
    fn write_locked(self: &Arc<Self>, chunk: W, cb: Option<WriteCb>) -> Result<bool, Error> {
        let mut st = self.lock();
        if cb.is_none()
            && !st.destroyed
            && st.errored.is_none()
            && st
                .w
                .as_ref()
                .is_some_and(|w| !w.ending && !w.writing && w.corked == 0)
        {
            return self.write_idle(st, chunk);
        }
        let destroyed = st.destroyed;
        let Some(w) = st.w.as_mut() else {
            return Err(Error::new("ERR_STREAM_NOT_WRITABLE", "stream is not writable"));
        };
        let err = if w.ending {
            Some(Error::write_after_end())
        } else if destroyed {
            Some(Error::destroyed("write"))
        } else {
            None
        };
        if let Some(err) = err {
            if let Some(cb) = cb {
                self.schedule(&mut st, Tick::WriteCb(cb, Err(err.clone())));
            }
            drop(self.error_or_destroy(st, err.clone(), true));
            return Err(err);
        }
        w.pendingcb += 1;
        let len = (w.ops.len)(&chunk);
        w.length += len;
        if w.writing || w.corked > 0 || st.errored.is_some() {
            let Some(w) = st.w.as_mut() else {
                return Ok(false);
            };
            w.buffered.push_back(Entry { chunk, cb });
        } else {
            st = self.do_write(st, Writing::One(chunk), len, cb);
        }
        let bad = st.destroyed || st.errored.is_some();
        let Some(w) = st.w.as_mut() else {
            return Ok(false);
        };
        let ret = w.length < w.hwm || w.length == 0;
        if !ret {
            w.need_drain = true;
        }
        self.settle_locked(st);
        Ok(ret && !bad)
    }

    /// [`write_inner`](Self::write_inner) without a callback into a stream
    /// that is writable and not writing, corked or errored (every write of
    /// a sink that completes at once): Node's `writeOrBuffer` -> `doWrite`
    /// -> `onwrite` in one function, with two lock rounds (the sink runs
    /// between them, outside the lock). When the sink completed
    /// synchronously and nothing happened meanwhile that Node's `onwrite`
    /// would act on (nothing buffered, no 'drain' due, not ending, no
    /// waiter, no tick to run), the completion is done inline, as
    /// `onwrite_g` would do it; anything else goes through `onwrite_g`.
    #[inline(always)]
    fn write_idle<'a>(self: &'a Arc<Self>, mut st: Guard<'a, R, W>, chunk: W) -> Result<bool, Error> {
        let s = &mut *st;
        let Some(w) = s.w.as_mut() else {
            return Ok(false);
        };
        w.pendingcb += 1;
        let len = (w.ops.len)(&chunk);
        w.length += len;
        w.writelen = len;
        // Idle: the last write's callback was taken when it completed.
        debug_assert!(w.writecb.is_none());
        w.writing = true;
        w.sync = true;
        // The sink leaves the state while it runs: no lock is held over user
        // code, and `writing` keeps every other write buffered.
        let mut sink = self.take_sink(st);
        let outcome = match sink.as_mut() {
            Some(s) => s.write(chunk),
            None => WriteOutcome::Done(Ok(())),
        };
        self.fast.put_sink(sink);
        st = self.lock();
        self.complete_idle(st, outcome)
    }

    /// The sink for a slow-path hook, taken out of the gate's slot: at once
    /// if the slot is free, else after the state lock is let go (a fast
    /// write holding the slot may need it). Drops `st` either way.
    fn take_sink(&self, st: Guard<'_, R, W>) -> Option<Box<dyn crate::sink::Sink<W>>> {
        let first = self.fast.try_take_sink();
        drop(st);
        match first {
            Some(sink) => sink,
            None => self.fast.take_sink(),
        }
    }

    /// The tail of [`write_idle`](Self::write_idle) once the sink returned
    /// `outcome` (the state lock retaken): Node's `onwrite` and the end of
    /// `write`, inline for a synchronous success nothing interfered with.
    /// That inline completion leaves the state idle: it opens the write
    /// gate (`fast_write.rs`) when the next write may skip the lock.
    #[inline(always)]
    fn complete_idle<'a>(
        self: &'a Arc<Self>,
        mut st: Guard<'a, R, W>,
        outcome: WriteOutcome,
    ) -> Result<bool, Error> {
        let s = &mut *st;
        if let WriteOutcome::Done(Ok(())) = outcome {
            let quiet = !s.destroyed && s.errored.is_none() && s.wakers.is_empty() && !s.inline_pending;
            if let Some(w) = s.w.as_mut() {
                let left = w.length - w.writelen.min(w.length);
                // Object mode takes onwrite_g's afterWrite tick unless one
                // is pending (Node v20's kObjectMode quirk there).
                if quiet
                    && w.buffered.is_empty()
                    && !w.ending
                    && !(w.need_drain && left == 0)
                    && (!w.object_mode || w.after_write_pending)
                {
                    // onwrite_g's synchronous success without a callback,
                    // then the tail of write_inner.
                    w.writing = false;
                    w.length = left;
                    w.writelen = 0;
                    w.completed += 1;
                    w.pendingcb -= 1;
                    w.sync = false;
                    let ret = left < w.hwm || left == 0;
                    if !ret {
                        w.need_drain = true;
                    }
                    if left == 0 && w.corked == 0 && !w.object_mode {
                        self.fast.open.store(true, Relaxed);
                    }
                    return Ok(ret);
                }
            }
            st = self.onwrite_g(st, Ok(()), true);
        } else {
            match outcome {
                WriteOutcome::Done(res) => st = self.onwrite_g(st, res, true),
                other => {
                    drop(st);
                    self.handle_outcome(other, Completing::Write);
                    st = self.lock();
                }
            }
        }
        let bad = st.destroyed || st.errored.is_some();
        let Some(w) = st.w.as_mut() else {
            return Ok(false);
        };
        w.sync = false;
        let ret = w.length < w.hwm || w.length == 0;
        if !ret {
            w.need_drain = true;
        }
        self.settle_locked(st);
        Ok(ret && !bad)
    }

    /// `write(chunk)` without the state lock, through the write gate
    /// (`fast_write.rs`): when the gate is open and its slot free, the
    /// sink runs at once; a synchronous success changes nothing in the
    /// state (the inline completion of [`write_idle`](Self::write_idle)
    /// would leave it as it found it), so the write is done. `Err(chunk)`:
    /// the gate shut, it takes the ordinary path.
    #[inline(always)]
    fn write_fast(self: &Arc<Self>, chunk: W) -> Result<bool, Error> {
        let gate = &self.fast;
        if !gate.open.load(Relaxed) {
            return self.write_locked(chunk, None);
        }
        let Some(mut slot) = gate.try_claim() else {
            return self.write_locked(chunk, None);
        };
        // The claim synchronises with the last holder of the slot: a gate
        // shut under it is seen shut here.
        if !gate.open.load(Relaxed) {
            drop(slot);
            return self.write_locked(chunk, None);
        }
        let len = (slot.len)(&chunk);
        let Some(sink) = slot.sink.as_mut() else {
            drop(slot);
            return self.write_locked(chunk, None);
        };
        gate.len.store(len, Relaxed);
        gate.owner.store(thread_ident::number(), Relaxed);
        let mark = OwnerMark(&gate.owner);
        let outcome = sink.write(chunk);
        if matches!(outcome, WriteOutcome::Done(Ok(()))) && !gate.taken_over.load(Relaxed) {
            // Nothing to drop in a `Done(Ok(()))` (spares the call to the
            // enum's drop glue).
            std::mem::forget(outcome);
            drop(mark);
            crate::counter_cells::count_fast_write();
            bump(&gate.completed);
            drop(slot);
            return Ok(true);
        }
        self.write_fast_slow(slot, mark, outcome)
    }

    /// A fast write that the sink did not complete at once, or that the
    /// sink's re-entry made an ordinary write: make it one (if not yet),
    /// let the slot go, and finish it as [`write_idle`](Self::write_idle).
    #[cold]
    #[inline(never)]
    fn write_fast_slow(
        self: &Arc<Self>,
        slot: SlotGuard<'_, W>,
        mark: OwnerMark<'_>,
        outcome: WriteOutcome,
    ) -> Result<bool, Error> {
        // Still the owner: the lock takes the write over (`close_gate`).
        let st = self.lock();
        self.fast.taken_over.store(false, Relaxed);
        drop(mark);
        drop(slot);
        self.complete_idle(st, outcome)
    }

    /// `Core::lock` found the write gate open: shut it. The gate is shut
    /// once no fast write runs (one holding the slot is waited for, the
    /// state lock let go meanwhile); this thread's own fast write (its sink
    /// re-entering the stream) is made an ordinary in-flight write instead,
    /// as Node's state would show it: writing, its length counted.
    #[cold]
    #[inline(never)]
    pub(crate) fn close_gate<'a>(&'a self, mut st: Guard<'a, R, W>) -> Guard<'a, R, W> {
        let gate = &self.fast;
        loop {
            if !gate.open.load(Relaxed) {
                return st;
            }
            if let Some(slot) = gate.try_claim() {
                gate.open.store(false, Relaxed);
                drop(slot);
                return st;
            }
            if gate.owner.load(Relaxed) == thread_ident::number() {
                take_over(&mut st, gate.len.load(Relaxed));
                gate.taken_over.store(true, Relaxed);
                gate.open.store(false, Relaxed);
                return st;
            }
            drop(st);
            crate::fast_write::relax();
            st = crate::locking::lock(&self.st);
        }
    }

    fn do_write<'a>(
        self: &'a Arc<Self>,
        mut st: Guard<'a, R, W>,
        chunk: Writing<W>,
        len: usize,
        cb: Option<WriteCb>,
    ) -> Guard<'a, R, W> {
        let destroyed = st.destroyed;
        let Some(w) = st.w.as_mut() else { return st };
        w.writelen = len;
        w.writecb = cb;
        w.writing = true;
        w.sync = true;
        if destroyed {
            st = self.onwrite_g(st, Err(Error::destroyed("write")), true);
        } else {
            // The sink leaves the state while it runs: no lock is held over
            // user code, and `writing` keeps every other write buffered.
            let mut sink = self.take_sink(st);
            let outcome = match sink.as_mut() {
                Some(s) => match chunk {
                    Writing::One(c) => s.write(c),
                    Writing::Many(v) => s.writev(v),
                },
                None => WriteOutcome::Done(Ok(())),
            };
            self.fast.put_sink(sink);
            st = self.lock();
            match outcome {
                WriteOutcome::Done(res) => st = self.onwrite_g(st, res, true),
                other => {
                    drop(st);
                    self.handle_outcome(other, Completing::Write);
                    st = self.lock();
                }
            }
        }
        if let Some(w) = st.w.as_mut() {
            w.sync = false;
        }
        st
    }

    fn handle_outcome(self: &Arc<Self>, outcome: WriteOutcome, what: Completing) {
        let done = move |me: &Arc<Self>, res: Result<(), Error>, sync: bool| match what {
            Completing::Write => me.onwrite(res, sync),
            Completing::Final => me.on_final(res, sync),
        };
        match outcome {
            WriteOutcome::Done(res) => done(self, res, true),
            WriteOutcome::Pending(fut) => match self.runtime() {
                Some(h) => {
                    let me = self.clone();
                    h.spawn(async move {
                        let res = fut.await;
                        done(&me, res, false);
                        me.settle();
                    });
                }
                None => done(
                    self,
                    Err(Error::new(
                        "ERR_NO_RUNTIME",
                        "a pending write needs a tokio runtime to complete on",
                    )),
                    true,
                ),
            },
            WriteOutcome::Deferred(d) => {
                let me = self.clone();
                if let Some(res) = d.register(Box::new(move |res| {
                    done(&me, res, false);
                    me.settle();
                })) {
                    done(self, res, true);
                }
            }
        }
    }

    /// Node's `onwrite`: the sink completed the current write (or writev).
    pub(crate) fn onwrite(self: &Arc<Self>, res: Result<(), Error>, sync: bool) {
        let st = self.lock();
        drop(self.onwrite_g(st, res, sync));
    }

    fn onwrite_g<'a>(
        self: &'a Arc<Self>,
        mut st: Guard<'a, R, W>,
        res: Result<(), Error>,
        sync: bool,
    ) -> Guard<'a, R, W> {
        let Some(w) = st.w.as_mut() else { return st };
        let cb = w.writecb.take();
        w.writing = false;
        w.length -= w.writelen.min(w.length);
        w.writelen = 0;
        st.wake();
        match res {
            Err(er) => {
                if st.errored.is_none() {
                    st.errored = Some(er.clone());
                }
                if sync {
                    self.schedule(&mut st, Tick::OnWriteError(er, cb));
                } else {
                    drop(st);
                    self.onwrite_error(er, cb);
                    st = self.lock();
                }
            }
            Ok(()) => {
                let Some(w) = st.w.as_mut() else { return st };
                w.completed += 1;
                if !w.buffered.is_empty() {
                    st = self.clear_buffer(st);
                }
                let Some(w) = st.w.as_mut() else { return st };
                if sync {
                    let need_drain = w.need_drain && w.length == 0;
                    // Node v20 writes `(state[kState] & kDestroyed !== 0)`,
                    // which is `state[kState] & 1`: kObjectMode. So an
                    // object-mode write without a callback takes the
                    // afterWrite tick too (and 'finish' comes a tick later).
                    let need_tick = need_drain || w.object_mode || cb.is_some();
                    if cb.is_none() {
                        if !w.after_write_pending && need_tick {
                            w.after_write_pending = true;
                            self.schedule(&mut st, Tick::AfterWrite(None));
                        } else {
                            w.pendingcb -= 1;
                            if w.ending {
                                st = self.finish_maybe(st, true);
                            }
                        }
                    } else {
                        w.after_write_pending = true;
                        self.schedule(&mut st, Tick::AfterWrite(cb));
                    }
                } else {
                    drop(st);
                    self.after_write(cb);
                    st = self.lock();
                }
            }
        }
        st
    }

    pub(crate) fn onwrite_error(self: &Arc<Self>, er: Error, cb: Option<WriteCb>) {
        {
            let mut st = self.lock();
            ws!(st).pendingcb -= 1;
        }
        if let Some(cb) = cb {
            cb(Err(er.clone()));
        }
        let st = self.lock();
        let st = self.error_buffer(st);
        drop(self.error_or_destroy(st, er, false));
    }

    pub(crate) fn after_write(self: &Arc<Self>, cb: Option<WriteCb>) {
        let mut st = self.lock();
        let destroyed = st.destroyed;
        let w = ws!(st);
        w.after_write_pending = false;
        let need_drain = !w.ending && w.need_drain && !destroyed && w.length == 0;
        if need_drain {
            w.need_drain = false;
            // `write_all` waits for exactly this change: wake it here. The
            // wake-up at the write's completion (`onwrite_g`) came before
            // it, and a waiter that looked in between is parked again.
            st.wake();
            drop(st);
            self.ev.emit(StreamEvent::Drain);
            st = self.lock();
        }
        let w = ws!(st);
        w.pendingcb -= 1;
        if let Some(cb) = cb {
            drop(st);
            cb(Ok(()));
            st = self.lock();
        }
        if st.destroyed {
            st = self.error_buffer(st);
        }
        if st.w.as_ref().map(|w| w.ending).unwrap_or(false) {
            drop(self.finish_maybe(st, true));
        }
    }

    pub(crate) fn error_buffer<'a>(self: &'a Arc<Self>, mut st: Guard<'a, R, W>) -> Guard<'a, R, W> {
        let errored = st.errored.clone();
        let Some(w) = st.w.as_mut() else { return st };
        if w.writing {
            return st;
        }
        let mut cbs = Vec::new();
        for e in w.buffered.drain(..) {
            let l = (w.ops.len)(&e.chunk);
            w.length -= l.min(w.length);
            if let Some(cb) = e.cb {
                cbs.push(cb);
            }
        }
        let ends: Vec<EndCb> = w.on_finished.drain(..).collect();
        drop(st);
        for cb in cbs {
            cb(Err(errored.clone().unwrap_or_else(|| Error::destroyed("write"))));
        }
        for cb in ends {
            cb(Err(errored.clone().unwrap_or_else(|| Error::destroyed("end"))));
        }
        self.lock()
    }

    pub(crate) fn clear_buffer<'a>(self: &'a Arc<Self>, mut st: Guard<'a, R, W>) -> Guard<'a, R, W> {
        let destroyed = st.destroyed;
        let Some(w) = st.w.as_mut() else { return st };
        if destroyed || w.buffer_processing || w.corked > 0 || w.buffered.is_empty() {
            return st;
        }
        w.buffer_processing = true;
        if w.buffered.len() > 1 && w.has_writev {
            let n = w.buffered.len() as i64;
            w.pendingcb -= n - 1;
            let mut chunks = Vec::with_capacity(w.buffered.len());
            let mut cbs = Vec::new();
            for e in w.buffered.drain(..) {
                chunks.push(e.chunk);
                if let Some(cb) = e.cb {
                    cbs.push(cb);
                }
            }
            let cb: Option<WriteCb> = if cbs.is_empty() {
                None
            } else {
                Some(Box::new(move |res: Result<(), Error>| {
                    for cb in cbs {
                        cb(res.clone());
                    }
                }))
            };
            let len = w.length;
            st = self.do_write(st, Writing::Many(chunks), len, cb);
        } else {
            loop {
                let Some(w) = st.w.as_mut() else { return st };
                let Some(e) = w.buffered.pop_front() else {
                    break;
                };
                let len = (w.ops.len)(&e.chunk);
                st = self.do_write(st, Writing::One(e.chunk), len, e.cb);
                if st.w.as_ref().map(|w| w.writing).unwrap_or(true) {
                    break;
                }
            }
        }
        if let Some(w) = st.w.as_mut() {
            w.buffer_processing = false;
        }
        st
    }

    /// `writable.cork()`.
    pub(crate) fn cork(self: &Arc<Self>) {
        let mut st = self.lock();
        ws!(st).corked += 1;
    }

    /// `writable.uncork()`.
    pub(crate) fn uncork(self: &Arc<Self>) {
        let mut st = self.lock();
        let w = ws!(st);
        if w.corked > 0 {
            w.corked -= 1;
            if !w.writing {
                drop(self.clear_buffer(st));
            }
        }
    }

    /// `writable.end(chunk, cb)`.
    pub(crate) fn end_inner(self: &Arc<Self>, chunk: Option<W>, cb: Option<EndCb>) -> Result<(), Error> {
        let mut err = None;
        if let Some(c) = chunk {
            if let Err(e) = self.write_inner(c, None) {
                err = Some(e);
            }
        }
        let mut st = self.lock();
        let w = ws_ok!(st);
        if w.corked > 0 {
            w.corked = 1;
            drop(st);
            self.uncork();
            st = self.lock();
        }
        let errored = st.errored.clone();
        let destroyed = st.destroyed;
        let w = ws_ok!(st);
        if err.is_some() {
        } else if !w.ending && errored.is_none() {
            w.ending = true;
            st = self.finish_maybe(st, true);
            ws_ok!(st).ended = true;
        } else if w.finished {
            err = Some(Error::already_finished("end"));
        } else if destroyed {
            err = Some(Error::destroyed("end"));
        }
        st.wake();
        if let Some(cb) = cb {
            let finished = st.w.as_ref().map(|w| w.finished).unwrap_or(false);
            if let Some(e) = &err {
                self.schedule(&mut st, Tick::EndCb(cb, Err(e.clone())));
            } else if let Some(e) = st.errored.clone() {
                self.schedule(&mut st, Tick::EndCb(cb, Err(e)));
            } else if finished {
                self.schedule(&mut st, Tick::EndCb(cb, Ok(())));
            } else {
                ws_ok!(st).on_finished.push(cb);
            }
        }
        match err {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    fn on_final(self: &Arc<Self>, res: Result<(), Error>, sync: bool) {
        let mut st = self.lock();
        let w = ws!(st);
        if w.prefinished {
            let e = res.err().unwrap_or_else(Error::multiple_callback);
            drop(self.error_or_destroy(st, e, false));
            return;
        }
        w.pendingcb -= 1;
        match res {
            Err(e) => {
                let ends: Vec<EndCb> = w.on_finished.drain(..).collect();
                drop(st);
                for cb in ends {
                    cb(Err(e.clone()));
                }
                let st = self.lock();
                drop(self.error_or_destroy(st, e, sync));
            }
            Ok(()) => {
                if need_finish(&st) {
                    ws!(st).prefinished = true;
                    drop(st);
                    self.ev.emit(StreamEvent::Prefinish);
                    let mut st = self.lock();
                    ws!(st).pendingcb += 1;
                    self.schedule(&mut st, Tick::Finish);
                }
            }
        }
    }

    fn prefinish<'a>(self: &'a Arc<Self>, mut st: Guard<'a, R, W>) -> Guard<'a, R, W> {
        let destroyed = st.destroyed;
        let Some(w) = st.w.as_mut() else { return st };
        if w.prefinished || w.final_called {
            return st;
        }
        w.final_called = true;
        if !destroyed {
            w.sync = true;
            w.pendingcb += 1;
            drop(st);
            let mut sink = self.fast.take_sink();
            let outcome = sink.as_mut().and_then(|s| s.finish());
            self.fast.put_sink(sink);
            match outcome {
                Some(outcome) => {
                    self.handle_outcome(outcome, Completing::Final);
                    let mut st = self.lock();
                    if let Some(w) = st.w.as_mut() {
                        w.sync = false;
                    }
                    return st;
                }
                None => {
                    let mut st = self.lock();
                    let Some(w) = st.w.as_mut() else { return st };
                    w.pendingcb -= 1;
                    w.sync = false;
                    w.prefinished = true;
                    drop(st);
                    self.ev.emit(StreamEvent::Prefinish);
                    return self.lock();
                }
            }
        }
        w.prefinished = true;
        drop(st);
        self.ev.emit(StreamEvent::Prefinish);
        self.lock()
    }

    pub(crate) fn finish_maybe<'a>(
        self: &'a Arc<Self>,
        mut st: Guard<'a, R, W>,
        sync: bool,
    ) -> Guard<'a, R, W> {
        if need_finish(&st) {
            st = self.prefinish(st);
            let Some(w) = st.w.as_mut() else { return st };
            if w.pendingcb == 0 {
                if sync {
                    w.pendingcb += 1;
                    self.schedule(&mut st, Tick::FinishMaybe);
                } else if need_finish(&st) {
                    ws_inc(&mut st);
                    st = self.finish(st);
                }
            }
        }
        st
    }

    pub(crate) fn finish_maybe_tick(self: &Arc<Self>) {
        let mut st = self.lock();
        if need_finish(&st) {
            drop(self.finish(st));
        } else {
            ws!(st).pendingcb -= 1;
        }
    }

    pub(crate) fn finish<'a>(self: &'a Arc<Self>, mut st: Guard<'a, R, W>) -> Guard<'a, R, W> {
        let Some(w) = st.w.as_mut() else { return st };
        w.pendingcb -= 1;
        w.finished = true;
        let ends: Vec<EndCb> = w.on_finished.drain(..).collect();
        let w_auto = w.auto_destroy;
        st.wake();
        drop(st);
        for cb in ends {
            cb(Ok(()));
        }
        self.ev.emit(StreamEvent::Finish);
        let st = self.lock();
        if w_auto && st.auto_destroy {
            let auto = match st.r.as_ref() {
                None => true,
                Some(r) => r.auto_destroy && r.end_emitted,
            };
            if auto {
                drop(st);
                self.destroy(None);
                return self.lock();
            }
        }
        st
    }

    pub(crate) fn end_writable_now(self: &Arc<Self>) {
        let writable = {
            let st = self.lock();
            !st.destroyed
                && st.errored.is_none()
                && st.w.as_ref().map(|w| !w.ending && !w.ended).unwrap_or(false)
        };
        if writable {
            let _ = self.end_inner(None, None);
        }
    }
}

/// The state of a write in flight (Node's `writeOrBuffer` -> `doWrite`
/// before the sink returns), for a fast write its sink re-entered.
fn take_over<R, W>(st: &mut State<R, W>, len: usize) {
    if let Some(w) = st.w.as_mut() {
        w.pendingcb += 1;
        w.length += len;
        w.writelen = len;
        w.writing = true;
        w.sync = true;
    }
}

/// Adds one; only the write gate's slot holder writes the counter.
fn bump(c: &AtomicU64) {
    c.store(c.load(Relaxed) + 1, Relaxed);
}

/// Clears the write gate's owner when the fast write ends, even by a
/// panicking sink.
struct OwnerMark<'a>(&'a AtomicU64);

impl Drop for OwnerMark<'_> {
    fn drop(&mut self) {
        self.0.store(0, Relaxed);
    }
}

fn ws_inc<R, W>(st: &mut Guard<'_, R, W>) {
    if let Some(w) = st.w.as_mut() {
        w.pendingcb += 1;
    }
}

#[derive(Clone, Copy)]
enum Completing {
    Write,
    Final,
}
