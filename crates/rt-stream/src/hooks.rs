//! [`StreamHooks`]: what a type that extends a stream adds around the
//! stream's own events (set with [`StreamBase::set_hooks`](crate::StreamBase::set_hooks)).

use crate::error::Error;

/// What a type that extends a stream adds around the stream's own events
/// (Node: a subclass overriding `_destroy` / listening to itself): the
/// owner's hooks, set once with [`StreamBase::set_hooks`](crate::StreamBase::set_hooks).
///
/// The hooks run on the thread that emits, with no stream lock held, and
/// may call back into the stream.
pub trait StreamHooks: Send + Sync + 'static {
    /// `'close'` is due; the stream's own `on(StreamEvent::Close)` listeners
    /// have run. Return `true` if the owner emitted `'close'` on the
    /// stream's emitter itself (a socket's carries `had_error`: Node's
    /// `emit('close', hadError)`); `false` emits the stream's
    /// payload-less [`events::CLOSE`](crate::events::CLOSE) there.
    fn close(&self, had_error: bool) -> bool {
        let _ = had_error;
        false
    }

    /// `'end'` was emitted (to every listener).
    fn end(&self) {}

    /// `'error'` is about to be emitted with `err` (the stream recorded it:
    /// [`StreamBase::errored`](crate::StreamBase::errored)).
    fn error(&self, err: &Error) {
        let _ = err;
    }

    /// A source started (`true`) or stopped (`false`) piping into this
    /// stream (Node's `'pipe'` / `'unpipe'`).
    fn piped(&self, added: bool) {
        let _ = added;
    }

    /// The emitter's type name (Node's `constructor.name`, in warnings):
    /// `Some("Socket")`; `None` keeps the stream's (`"Duplex"`...).
    fn type_name(&self) -> Option<&'static str> {
        None
    }
}
