//! The readable side's state machine: Node v20's `lib/internal/streams/readable.js`
//! (push, read, flowing and paused modes, `'readable'`, `'end'`), in Rust.

use std::collections::VecDeque;
use std::sync::Arc;

use crate::chunk::ChunkOps;
use crate::core::{Core, Guard};
use crate::error::Error;
use crate::listeners::StreamEvent;
use crate::source::Pusher;
use crate::state::{RState, Tick};

/// What other threads left to the token's holder when it lets go.
#[derive(Clone, Copy, Default)]
struct Owed {
    flow: bool,
    end: bool,
    readable: bool,
}

/// What a thread may do about delivering chunks.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Claim {
    /// It took the token: it delivers, then releases it.
    Acquired,
    /// It holds the token already (a listener re-entered): it delivers.
    Nested,
    /// Another thread holds it: it leaves the chunk to that thread.
    Busy,
}

/// Gives the delivery token back if user code panics while delivering a
/// chunk, so the stream keeps working for other threads (as an emitter does).
struct DeliveryGuard<'a, R: Send + 'static, W: Send + 'static> {
    core: &'a Arc<Core<R, W>>,
    armed: bool,
}

impl<'a, R: Send + 'static, W: Send + 'static> DeliveryGuard<'a, R, W> {
    fn new(core: &'a Arc<Core<R, W>>, claim: Claim) -> Self {
        DeliveryGuard {
            core,
            armed: claim == Claim::Acquired,
        }
    }

    /// The normal way out: the caller releases the token itself.
    fn disarm(&mut self) {
        self.armed = false;
    }
}

impl<R: Send + 'static, W: Send + 'static> Drop for DeliveryGuard<'_, R, W> {
    fn drop(&mut self) {
        if self.armed && std::thread::panicking() {
            let mut st = self.core.lock();
            if let Some(r) = st.r.as_mut() {
                r.emitting_on = None;
            }
        }
    }
}

/// Marks a stream's source `read` as running on this thread (until dropped,
/// panics included).
struct InRead(usize);

impl InRead {
    fn enter(p: usize) -> Self {
        crate::thread_ident::in_read(|r| r.borrow_mut().push(p));
        InRead(p)
    }
}

impl Drop for InRead {
    fn drop(&mut self) {
        let p = self.0;
        crate::thread_ident::in_read(|r| {
            let mut r = r.borrow_mut();
            if let Some(i) = r.iter().rposition(|x| *x == p) {
                r.swap_remove(i);
            }
        });
    }
}

impl<R> RState<R> {
    pub(crate) fn new(hwm: usize, object_mode: bool, ops: ChunkOps<R>) -> Self {
        RState {
            buffer: VecDeque::new(),
            length: 0,
            hwm,
            ops,
            object_mode,
            ended: false,
            end_emitted: false,
            reading: false,
            // As Node: anything that must happen "later" must not happen
            // before the first read either.
            sync: true,
            need_readable: false,
            emitted_readable: false,
            readable_listening: false,
            data_listening: false,
            resume_scheduled: false,
            has_paused: false,
            paused: false,
            flowing: None,
            reading_more: false,
            data_emitted: false,
            decoder: None,
            encoding: None,
            pipes: Vec::new(),
            await_drain: Vec::new(),
            multi_await_drain: false,
            chunk_clone: None,
            auto_destroy: true,
            emitting_on: None,
            flow_again: false,
            end_again: false,
            readable_again: false,
        }
    }

    /// A chunk pushed now goes straight to the 'data' listeners and pipes
    /// (flowing, not inside the source's own synchronous read, nothing
    /// buffered ahead of it).
    #[inline]
    fn direct_delivery(&self) -> bool {
        self.flowing == Some(true)
            && !self.sync
            && (self.data_listening || !self.pipes.is_empty())
            && self.length == 0
    }

    fn claim(&mut self) -> Claim {
        let me = crate::thread_ident::current();
        match self.emitting_on {
            None => {
                self.emitting_on = Some(me);
                Claim::Acquired
            }
            Some(t) if t == me => Claim::Nested,
            Some(_) => Claim::Busy,
        }
    }

    fn len_of(&self, c: &R) -> usize {
        (self.ops.len)(c)
    }

    pub(crate) fn can_push_more(&self) -> bool {
        !self.ended && (self.length < self.hwm || self.length == 0)
    }

    fn how_much_to_read(&self, n: Option<usize>) -> usize {
        match n {
            Some(0) => 0,
            _ if self.length == 0 && self.ended => 0,
            _ if self.object_mode => 1,
            None => {
                if self.flowing == Some(true) && self.length > 0 {
                    self.buffer.front().map(|c| self.len_of(c)).unwrap_or(0)
                } else {
                    self.length
                }
            }
            Some(n) if n <= self.length => n,
            Some(_) => {
                if self.ended {
                    self.length
                } else {
                    0
                }
            }
        }
    }

    /// Node's `fromList`: takes `n` units from the front of the buffer.
    fn take_from_list(&mut self, n: usize) -> Option<R> {
        if self.length == 0 {
            return None;
        }
        if self.object_mode {
            return self.buffer.pop_front();
        }
        let len = self.ops.len;
        if n >= self.length {
            if self.buffer.len() == 1 {
                return self.buffer.pop_front();
            }
            let all: Vec<R> = self.buffer.drain(..).collect();
            return self.ops.concat.map(|c| c(all, self.length));
        }
        let first_len = self.buffer.front().map(len)?;
        if n < first_len {
            let split = self.ops.split_front?;
            let front = self.buffer.front_mut()?;
            return Some(split(front, n));
        }
        if n == first_len {
            return self.buffer.pop_front();
        }
        let mut parts = Vec::new();
        let mut need = n;
        while need > 0 {
            let Some(front) = self.buffer.front_mut() else {
                break;
            };
            let l = len(front);
            if l <= need {
                need -= l;
                if let Some(c) = self.buffer.pop_front() {
                    parts.push(c);
                }
            } else {
                let split = self.ops.split_front?;
                parts.push(split(front, need));
                need = 0;
            }
        }
        self.ops.concat.map(|c| c(parts, n))
    }
}

fn compute_new_hwm(n: usize) -> usize {
    const MAX_HWM: usize = 0x4000_0000;
    if n > MAX_HWM {
        MAX_HWM
    } else {
        n.next_power_of_two()
    }
}

macro_rules! rs {
    ($st:expr) => {
        match $st.r.as_mut() {
            Some(r) => r,
            None => return Default::default(),
        }
    };
}

impl<R: Send + 'static, W: Send + 'static> Core<R, W> {
    /// `readable.read(n)`: `None` is Node's `read()` with no size.
    pub(crate) fn read_inner(self: &Arc<Self>, n: Option<usize>) -> Option<R> {
        self.read_impl(n, false)
    }

    /// `read(n)`; with `only_flowing`, Node's `flow` step: nothing unless flowing.
    fn read_impl(self: &Arc<Self>, n: Option<usize>, only_flowing: bool) -> Option<R> {
        let mut st = self.lock();
        let n_orig = n;
        let destroyed_or_errored = st.destroyed || st.errored.is_some();
        let r = rs!(st);
        if only_flowing && r.flowing != Some(true) {
            return None;
        }
        if let Some(n) = n {
            if n > r.hwm {
                r.hwm = compute_new_hwm(n);
            }
        }
        if n != Some(0) {
            r.emitted_readable = false;
        }
        if n == Some(0)
            && r.need_readable
            && ((if r.hwm != 0 {
                r.length >= r.hwm
            } else {
                r.length > 0
            }) || r.ended)
        {
            if r.length == 0 && r.ended {
                self.end_readable(&mut st);
            } else {
                self.emit_readable(&mut st);
            }
            return None;
        }
        let mut n = r.how_much_to_read(n);
        if n == 0 && r.ended {
            if r.length == 0 {
                self.end_readable(&mut st);
            }
            return None;
        }
        let mut do_read = r.need_readable;
        if r.length == 0 || r.length.saturating_sub(n) < r.hwm {
            do_read = true;
        }
        if r.reading || r.ended || destroyed_or_errored {
            // No read now (Node sets doRead = false here).
        } else if do_read {
            r.reading = true;
            r.sync = true;
            if r.length == 0 {
                r.need_readable = true;
            }
            let hwm = r.hwm;
            drop(st);
            self.call_read(hwm);
            st = self.lock();
            let r = rs!(st);
            r.sync = false;
            if !r.reading {
                n = r.how_much_to_read(n_orig);
            }
        }
        let r = rs!(st);
        let mut claim = Claim::Nested;
        if n > 0 && (r.data_listening || !r.pipes.is_empty()) {
            claim = r.claim();
            if claim == Claim::Busy && only_flowing {
                // Another thread is delivering: it flows again for us.
                r.flow_again = true;
                return None;
            }
        }
        let ret = if n > 0 { r.take_from_list(n) } else { None };
        if ret.is_none() {
            if r.length <= r.hwm {
                r.need_readable = true;
            }
            n = 0;
        } else {
            r.length -= n.min(r.length);
            r.await_drain.clear();
        }
        if r.length == 0 {
            if !r.ended {
                r.need_readable = true;
            }
            if n_orig != Some(n) && r.ended {
                self.end_readable(&mut st);
            }
        }
        let mut to = (false, false);
        if ret.is_some() && !st.error_emitted && !st.close_emitted {
            let r = rs!(st);
            r.data_emitted = true;
            to = (r.data_listening, !r.pipes.is_empty());
        }
        drop(st);
        let mut guard = DeliveryGuard::new(self, claim);
        if let Some(c) = &ret {
            match to {
                (true, true) => self.deliver_in_order(c),
                (true, false) => {
                    self.ev.emit_data(c);
                }
                (false, true) => self.deliver_to_pipes(c),
                (false, false) => {}
            }
        }
        guard.disarm();
        if claim == Claim::Acquired {
            self.release_delivery();
        }
        ret
    }

    /// Lets go of the delivery token; delivers what other threads left to it.
    fn release_delivery(self: &Arc<Self>) {
        let mut st = self.lock();
        let owed = self.release_locked(&mut st);
        drop(st);
        self.after_release(owed);
    }

    /// Lets go of the token under the lock; says what other threads left
    /// to do (an `'end'` is queued here; hand the rest to `after_release`).
    fn release_locked(self: &Arc<Self>, st: &mut Guard<'_, R, W>) -> Owed {
        let Some(r) = st.r.as_mut() else {
            return Owed::default();
        };
        r.emitting_on = None;
        let owed = Owed {
            flow: std::mem::take(&mut r.flow_again),
            end: std::mem::take(&mut r.end_again),
            readable: std::mem::take(&mut r.readable_again),
        };
        if owed.end {
            self.schedule(st, Tick::EndReadable);
        }
        owed
    }

    fn after_release(self: &Arc<Self>, owed: Owed) {
        if owed.readable {
            self.emit_readable_now();
        }
        if owed.flow {
            self.flow();
        }
        if owed.end {
            self.settle();
        }
    }

    fn call_read(self: &Arc<Self>, hwm: usize) {
        use std::sync::atomic::Ordering::SeqCst;
        let me = Arc::as_ptr(self) as *const () as usize;
        // A source already busy on this thread (a push from inside `read`
        // that re-entered `read`) is not asked again: it is still
        // "reading", as in Node.
        if crate::thread_ident::in_read(|r| r.borrow().contains(&me)) {
            return;
        }
        let pusher = Pusher::new(self.clone());
        loop {
            crate::counter_cells::count_lock();
            let mut s = match self.source.try_lock() {
                Ok(g) => g,
                Err(_) => {
                    // Busy on another thread (multi-thread runtime): that
                    // thread asks again once its `read` returns. Dropping
                    // the request instead would leave `reading` set with no
                    // read under way: the stream would never read again (a
                    // socket would never see its peer's end).
                    self.read_again.store(true, SeqCst);
                    match self.source.try_lock() {
                        // It let go meanwhile (maybe before seeing the flag): ask now.
                        Ok(g) => g,
                        Err(_) => return,
                    }
                }
            };
            self.read_again.store(false, SeqCst);
            {
                let _reading = InRead::enter(me);
                if let Some(src) = s.as_mut() {
                    src.read(hwm, &pusher);
                }
            }
            drop(s);
            // Asked again while this thread read: read once more if the
            // read that was asked for is still owed (nothing pushed since).
            if !self.read_again.swap(false, SeqCst) {
                return;
            }
            let owed = self.lock().r.as_ref().is_some_and(|r| r.reading);
            if !owed {
                return;
            }
        }
    }

    /// `push(chunk)` / `push(null)` / `unshift(chunk)`.
    pub(crate) fn add_chunk_entry(self: &Arc<Self>, chunk: Option<R>, front: bool) -> bool {
        self.add_chunk_entry_as(chunk, front, false)
    }

    /// [`add_chunk_entry`](Self::add_chunk_entry); `text`: the chunk is a
    /// UTF-8 string (Node: `push(string)`), which skips the decoder of a
    /// stream decoding UTF-8 (Node keeps a string pushed in the stream's
    /// encoding as it is: the decoder's pending bytes stay pending).
    pub(crate) fn add_chunk_entry_as(self: &Arc<Self>, chunk: Option<R>, front: bool, text: bool) -> bool {
        let mut st = self.lock_read_side();
        // Only a chunk delivered at once keeps the write gate open (see
        // `lock_read_side`); every other push shuts it as `lock` does.
        let delivered_at_once = !front
            && !st.destroyed
            && st.errored.is_none()
            && !st.inline_pending
            && match (&chunk, st.r.as_ref()) {
                (Some(c), Some(r)) => {
                    !(r.ops.is_empty)(c) && !r.ended && r.decoder.is_none() && r.direct_delivery()
                }
                _ => false,
            };
        if !delivered_at_once {
            st = self.close_gate_if_open(st);
        }
        let destroyed_or_errored = st.destroyed || st.errored.is_some();
        let r = rs!(st);
        let Some(mut c) = chunk else {
            r.reading = false;
            self.on_eof_chunk(st);
            return false;
        };
        if (r.ops.is_empty)(&c) {
            if !front {
                r.reading = false;
                self.maybe_read_more(&mut st);
            }
            let r = rs!(st);
            return r.can_push_more();
        }
        if front {
            if r.end_emitted {
                let st = self.error_or_destroy(st, Error::unshift_after_end_event(), false);
                return st.r.as_ref().map(|r| r.can_push_more()).unwrap_or(false);
            }
            if destroyed_or_errored {
                return false;
            }
            let st = self.add_chunk(st, c, true);
            return st.r.as_ref().map(|r| r.can_push_more()).unwrap_or(false);
        }
        if r.ended {
            drop(self.error_or_destroy(st, Error::push_after_eof(), false));
            return false;
        }
        if destroyed_or_errored {
            return false;
        }
        r.reading = false;
        let as_is = text && r.encoding.as_deref() == Some("utf8");
        if let Some(d) = r.decoder.as_mut().filter(|_| !as_is) {
            c = d.write(c);
            if !r.object_mode && r.len_of(&c) == 0 {
                self.maybe_read_more(&mut st);
                let r = rs!(st);
                return r.can_push_more();
            }
        }
        let st = self.add_chunk(st, c, false);
        st.r.as_ref().map(|r| r.can_push_more()).unwrap_or(false)
    }

    fn add_chunk<'a>(self: &'a Arc<Self>, mut st: Guard<'a, R, W>, c: R, front: bool) -> Guard<'a, R, W> {
        let Some(r) = st.r.as_mut() else { return st };
        let mut claim = Claim::Nested;
        let direct = r.direct_delivery();
        if direct {
            claim = r.claim();
            if claim == Claim::Busy {
                // Another thread is delivering: this chunk queues behind
                // what it holds, and it flows again before letting go.
                r.flow_again = true;
            }
        }
        if direct && claim != Claim::Busy {
            r.await_drain.clear();
            r.data_emitted = true;
            let (listeners, pipes) = (r.data_listening, !r.pipes.is_empty());
            // One destination and no 'data' listener (a socket piped into
            // itself, a source piped into one writable): the destination is
            // taken under this lock and the chunk moves into its `write`
            // (no second lock to look the pipes up, no clone of the chunk).
            let one = match r.pipes.as_slice() {
                [d] if !listeners => Some((d.target.clone(), d.id, d.seq)),
                _ => None,
            };
            drop(st);
            let mut guard = DeliveryGuard::new(self, claim);
            if let Some((target, id, seq)) = one {
                self.deliver_to_one_pipe(target, id, seq, c);
            } else if listeners && pipes {
                self.deliver_in_order(&c);
            } else if listeners {
                self.ev.emit_data(&c);
            } else if pipes {
                self.deliver_to_pipes(&c);
            }
            guard.disarm();
            // The delivery token's release changes only the readable state
            // (a tick it queues outside a runtime shuts the gate below).
            st = self.lock_read_side();
            if claim == Claim::Acquired {
                let owed = self.release_locked(&mut st);
                if owed.flow || owed.end || owed.readable {
                    drop(st);
                    self.after_release(owed);
                    st = self.lock();
                }
            }
            if st.inline_pending {
                st = self.close_gate_if_open(st);
            }
        } else {
            // Buffered: the gate shuts as under `lock` (a no-op when the
            // caller took `lock`).
            st = self.close_gate_if_open(st);
            let Some(r) = st.r.as_mut() else { return st };
            r.length += r.len_of(&c);
            if front {
                r.buffer.push_front(c);
            } else {
                r.buffer.push_back(c);
            }
            if r.need_readable {
                self.emit_readable(&mut st);
            }
            st.wake();
        }
        self.maybe_read_more(&mut st);
        if st.inline_pending {
            st = self.close_gate_if_open(st);
        }
        st
    }

    fn on_eof_chunk(self: &Arc<Self>, mut st: Guard<'_, R, W>) {
        let Some(r) = st.r.as_mut() else { return };
        if r.ended {
            return;
        }
        if let Some(d) = r.decoder.as_mut() {
            if let Some(tail) = d.end() {
                let l = r.len_of(&tail);
                if l > 0 {
                    r.length += l;
                    r.buffer.push_back(tail);
                }
            }
        }
        r.ended = true;
        st.wake();
        let r = rs!(st);
        if r.sync {
            self.emit_readable(&mut st);
        } else {
            r.need_readable = false;
            r.emitted_readable = true;
            drop(st);
            self.emit_readable_now();
        }
    }

    pub(crate) fn emit_readable(self: &Arc<Self>, st: &mut Guard<'_, R, W>) {
        let r = rs!(st);
        r.need_readable = false;
        if !r.emitted_readable {
            r.emitted_readable = true;
            self.schedule(st, Tick::EmitReadable);
        }
    }

    /// Node's `emitReadable_`. The emitting thread holds the delivery
    /// token: when another thread holds it (emitting `'readable'` or
    /// delivering chunks), that thread emits once it is done, so a stream's
    /// listeners never run on two threads at once (Node's one thread).
    pub(crate) fn emit_readable_now(self: &Arc<Self>) {
        // A loop, not recursion: other threads may leave emission after
        // emission to this one.
        loop {
            let mut st = self.lock();
            let ok = !st.destroyed && st.errored.is_none();
            let r = rs!(st);
            let claim = r.claim();
            if claim == Claim::Busy {
                r.readable_again = true;
                return;
            }
            let mut guard = DeliveryGuard::new(self, claim);
            if ok && (r.length > 0 || r.ended) {
                drop(st);
                self.ev.emit(StreamEvent::Readable);
                st = self.lock();
                if let Some(r) = st.r.as_mut() {
                    r.emitted_readable = false;
                }
            }
            guard.disarm();
            let mut owed = Owed::default();
            if claim == Claim::Acquired {
                owed = self.release_locked(&mut st);
            }
            // Node v20: `state[kState] |= (...) ? kNeedReadable : 0`: only
            // sets it (a 'readable' owed from before stays owed).
            if let Some(r) = st.r.as_mut() {
                if r.flowing != Some(true) && !r.ended && r.length <= r.hwm {
                    r.need_readable = true;
                }
            }
            drop(st);
            let again = std::mem::take(&mut owed.readable);
            self.after_release(owed);
            self.flow();
            if !again {
                return;
            }
        }
    }

    /// Node's `flow`: reads while flowing. It holds the delivery token for
    /// the whole loop; if another thread holds it, that thread flows again.
    pub(crate) fn flow(self: &Arc<Self>) {
        let claim = {
            let mut st = self.lock();
            let r = rs!(st);
            if r.flowing != Some(true) {
                return;
            }
            let claim = r.claim();
            if claim == Claim::Busy {
                r.flow_again = true;
                return;
            }
            claim
        };
        let mut guard = DeliveryGuard::new(self, claim);
        while self.read_impl(None, true).is_some() {}
        guard.disarm();
        if claim == Claim::Acquired {
            self.release_delivery();
        }
    }

    /// Node's `maybeReadMore`: a deferred `read(0)` that keeps a source
    /// reading up to the mark. Skipped for a push-driven source, which keeps
    /// pushing on its own (no tick per chunk).
    pub(crate) fn maybe_read_more(self: &Arc<Self>, st: &mut Guard<'_, R, W>) {
        if self.push_driven {
            return;
        }
        let r = rs!(st);
        if !r.reading_more {
            r.reading_more = true;
            self.schedule(st, Tick::MaybeReadMore);
        }
    }

    pub(crate) fn maybe_read_more_now(self: &Arc<Self>) {
        loop {
            let len = {
                let mut st = self.lock();
                let r = rs!(st);
                if r.reading || r.ended || !(r.length < r.hwm || (r.flowing == Some(true) && r.length == 0)) {
                    break;
                }
                r.length
            };
            self.read_inner(Some(0));
            let mut st = self.lock();
            let r = rs!(st);
            if len == r.length {
                break;
            }
        }
        let mut st = self.lock();
        let r = rs!(st);
        r.reading_more = false;
    }

    pub(crate) fn end_readable(self: &Arc<Self>, st: &mut Guard<'_, R, W>) {
        let r = rs!(st);
        if !r.end_emitted {
            r.ended = true;
            self.schedule(st, Tick::EndReadable);
        }
    }

    pub(crate) fn end_readable_now(self: &Arc<Self>) {
        let mut st = self.lock();
        let ok = st.errored.is_none() && !st.close_emitted;
        let r = rs!(st);
        if !(ok && !r.end_emitted && r.length == 0) {
            return;
        }
        if r.emitting_on.is_some_and(|t| t != crate::thread_ident::current()) {
            // The last chunk is still on its way on another thread.
            r.end_again = true;
            return;
        }
        r.end_emitted = true;
        let r_auto = r.auto_destroy;
        st.wake();
        drop(st);
        // The pipes' ends are 'end' listeners (Node's endFn), in order.
        self.ev.emit(StreamEvent::End);
        let mut st = self.lock();
        let writable = st.w.as_ref().map(|w| !w.ending && !w.ended).unwrap_or(false)
            && !st.destroyed
            && st.errored.is_none();
        if writable && !st.allow_half_open {
            self.schedule(&mut st, Tick::EndWritable);
        } else if r_auto && st.auto_destroy {
            let auto = match st.w.as_ref() {
                None => true,
                Some(w) => w.auto_destroy && w.finished,
            };
            if auto {
                drop(st);
                self.destroy(None);
            }
        }
    }

    /// `readable.resume()`.
    pub(crate) fn resume(self: &Arc<Self>) {
        let mut st = self.lock();
        let r = rs!(st);
        if r.flowing != Some(true) {
            r.flowing = Some(!r.readable_listening);
            if !r.resume_scheduled {
                r.resume_scheduled = true;
                self.schedule(&mut st, Tick::Resume);
            }
        }
        let r = rs!(st);
        r.has_paused = true;
        r.paused = false;
        st.wake();
    }

    pub(crate) fn resume_now(self: &Arc<Self>) {
        let reading = {
            let mut st = self.lock();
            rs!(st).reading
        };
        if !reading {
            self.read_inner(Some(0));
        }
        {
            let mut st = self.lock();
            rs!(st).resume_scheduled = false;
        }
        self.ev.emit(StreamEvent::Resume);
        self.flow();
        let again = {
            let mut st = self.lock();
            let r = rs!(st);
            r.flowing == Some(true) && !r.reading
        };
        if again {
            self.read_inner(Some(0));
        }
    }

    /// `readable.pause()`.
    pub(crate) fn pause(self: &Arc<Self>) {
        let mut st = self.lock();
        let r = rs!(st);
        let emit = r.flowing != Some(false);
        r.flowing = Some(false);
        r.has_paused = true;
        r.paused = true;
        drop(st);
        if emit {
            self.ev.emit(StreamEvent::Pause);
        }
    }

    /// `readable.isPaused()`.
    pub(crate) fn is_paused(&self) -> bool {
        let mut st = self.lock();
        let r = rs!(st);
        r.paused || r.flowing == Some(false)
    }

    /// After a `'data'` listener was added.
    pub(crate) fn data_listener_added(self: &Arc<Self>) {
        let readable_count = self.ev.count(StreamEvent::Readable);
        let mut st = self.lock();
        let r = rs!(st);
        r.data_listening = true;
        if readable_count > 0 {
            r.readable_listening = true;
        }
        if r.flowing != Some(false) {
            drop(st);
            self.resume();
        }
    }

    /// After a `'readable'` listener was added.
    pub(crate) fn readable_listener_added(self: &Arc<Self>) {
        let mut st = self.lock();
        let r = rs!(st);
        if !r.end_emitted && !r.readable_listening {
            r.readable_listening = true;
            r.need_readable = true;
            r.flowing = Some(false);
            r.emitted_readable = false;
            if r.length > 0 {
                self.emit_readable(&mut st);
            } else if !r.reading {
                self.schedule(&mut st, Tick::ReadZero);
            }
        }
    }

    pub(crate) fn listener_removed(self: &Arc<Self>, ev: StreamEvent) {
        match ev {
            StreamEvent::Readable => {
                let mut st = self.lock();
                self.schedule(&mut st, Tick::UpdateReadableListening);
            }
            StreamEvent::Data if self.ev.count(StreamEvent::Data) == 0 => {
                let mut st = self.lock();
                rs!(st).data_listening = false;
            }
            _ => {}
        }
    }

    pub(crate) fn update_readable_listening(self: &Arc<Self>) {
        let count = self.ev.count(StreamEvent::Readable);
        let mut st = self.lock();
        let r = rs!(st);
        r.readable_listening = count > 0;
        if r.has_paused && !r.paused && r.resume_scheduled {
            r.flowing = Some(true);
        } else if r.data_listening {
            drop(st);
            self.resume();
        } else if !r.readable_listening {
            r.flowing = None;
        }
    }
}
