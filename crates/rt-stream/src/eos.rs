//! Node's end-of-stream (`internal/streams/end-of-stream.js`, `eos`): calls
//! back once when a stream is done (its 'end' / 'finish', or its 'close'
//! judged by its state), fails with its error or with
//! `ERR_STREAM_PREMATURE_CLOSE`. `pipeline` is built on it, as Node's is.

use std::sync::{Arc, Weak};

use crate::control::{ControlInner, Snap};
use crate::error::Error;
use crate::listeners::{ListenerId, StreamEvent};
use crate::locking::{Mutex, lock};

/// The callback, called at most once (Node wraps it in `once`).
pub(crate) type EosCallback = Box<dyn FnOnce(Option<Error>) + Send>;

struct EosState {
    callback: Option<EosCallback>,
    will_emit_close: bool,
    writable_finished: bool,
    readable_finished: bool,
}

/// Node's `cleanup` returned by `eos`: removes its listeners and drops the
/// callback (a tick already scheduled then does nothing).
pub(crate) struct Eos {
    state: Arc<Mutex<EosState>>,
    stream: Weak<dyn ControlInner>,
    ids: Vec<ListenerId>,
}

impl Eos {
    pub(crate) fn cleanup(self) {
        lock(&self.state).callback = None;
        if let Some(s) = self.stream.upgrade() {
            for id in self.ids {
                s.unlisten(id);
            }
        }
    }
}

fn call(state: &Mutex<EosState>, err: Option<Error>) {
    let cb = lock(state).callback.take();
    if let Some(cb) = cb {
        cb(err);
    }
}

/// Node's `onclose` / `onclosed`: judged by the state at the stream's 'close'.
fn on_close(state: &Mutex<EosState>, s: &Snap, readable: bool, writable: bool, strict: bool) {
    if let Some(e) = s.errored.clone() {
        return call(state, Some(e));
    }
    if strict {
        let (rf, wf) = {
            let e = lock(state);
            (e.readable_finished, e.writable_finished)
        };
        if readable && !rf && s.has_r && s.is_readable_finished(false) != Some(true) {
            return call(state, Some(Error::premature_close()));
        }
        if writable && !wf && s.is_writable_finished(false) != Some(true) {
            return call(state, Some(Error::premature_close()));
        }
    }
    call(state, None)
}

/// `eos(stream, { readable, writable, error }, callback)`; `None` for
/// `readable` / `writable` means "the side the stream has".
pub(crate) fn eos(
    stream: &Arc<dyn ControlInner>,
    readable: Option<bool>,
    writable: Option<bool>,
    error: bool,
    callback: EosCallback,
) -> Eos {
    let s = stream.snap();
    let readable = readable.unwrap_or(s.has_r);
    let writable = writable.unwrap_or(s.has_w);
    let will_emit_close = s.will_emit_close() && s.has_r == readable && s.has_w == writable;
    let state = Arc::new(Mutex::new(EosState {
        callback: Some(callback),
        will_emit_close,
        writable_finished: s.is_writable_finished(false) == Some(true),
        readable_finished: s.is_readable_finished(false) == Some(true),
    }));
    let weak = Arc::downgrade(stream);
    let mut ids = Vec::with_capacity(4);

    let (st, w) = (state.clone(), weak.clone());
    let onend = move || {
        let Some(c) = w.upgrade() else { return };
        let s = c.snap();
        let mut e = lock(&st);
        e.readable_finished = true;
        if s.destroyed {
            e.will_emit_close = false;
        }
        if e.will_emit_close && (s.writable_getter() != Some(true) || writable) {
            return;
        }
        if !writable || e.writable_finished {
            drop(e);
            call(&st, None);
        }
    };
    ids.push(stream.listen(StreamEvent::End, false, Arc::new(onend)));

    let (st, w) = (state.clone(), weak.clone());
    let onfinish = move || {
        let Some(c) = w.upgrade() else { return };
        let s = c.snap();
        let mut e = lock(&st);
        e.writable_finished = true;
        if s.destroyed {
            e.will_emit_close = false;
        }
        if e.will_emit_close && (s.readable_getter() != Some(true) || readable) {
            return;
        }
        if !readable || e.readable_finished {
            drop(e);
            call(&st, None);
        }
    };
    ids.push(stream.listen(StreamEvent::Finish, false, Arc::new(onfinish)));

    if error {
        let st = state.clone();
        ids.push(stream.listen_error(false, Arc::new(move |e: &Error| call(&st, Some(e.clone())))));
    }

    let (st, w) = (state.clone(), weak.clone());
    let onclose = move || {
        if let Some(c) = w.upgrade() {
            on_close(&st, &c.snap(), readable, writable, true);
        }
    };
    let onclose: Arc<dyn Fn() + Send + Sync> = Arc::new(onclose);
    ids.push(stream.listen(StreamEvent::Close, false, onclose.clone()));

    let (st, w) = (state.clone(), weak.clone());
    let onclosed = move || {
        if let Some(c) = w.upgrade() {
            on_close(&st, &c.snap(), readable, writable, false);
        }
    };
    let (writable_finished, readable_finished) = {
        let e = lock(&state);
        (e.writable_finished, e.readable_finished)
    };
    // Node's checks in its order: already closed; errored (and no 'close'
    // coming); a side the caller does not watch, the other already done.
    let closed_now = if s.closed {
        stream.clone().next_tick(Box::new(move || onclose()));
        false
    } else if s.error_emitted {
        !will_emit_close
    } else {
        let writable_done = !readable
            && (!will_emit_close || s.is_readable() == Some(true))
            && (writable_finished || s.is_writable() == Some(false))
            && (!s.has_w || s.pendingcb == 0);
        let readable_done = !writable
            && (!will_emit_close || s.is_writable() == Some(true))
            && (readable_finished || s.is_readable() == Some(false));
        writable_done || readable_done
    };
    if closed_now {
        stream.clone().next_tick(Box::new(onclosed));
    }
    Eos {
        state,
        stream: weak,
        ids,
    }
}
