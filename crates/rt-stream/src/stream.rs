//! [`StreamBase`]: what every stream is — events, destruction and status —
//! as provided methods over one accessor, [`StreamBase::stream_core`].
//!
//! A type becomes a stream by holding a stream core (the state machines,
//! shared by every clone of a handle) and returning it from `stream_core`;
//! [`ReadableSide`](crate::ReadableSide) and [`WritableSide`](crate::WritableSide)
//! add the two sides' methods the same way. See the crate docs, "How a new
//! stream type is written".

use std::sync::Arc;

use crate::core::Core as StreamCore;
use crate::error::Error;
use crate::event_key::EventKey;
use crate::hooks::StreamHooks;
use crate::listeners::{ListenerId, Named};

/// Every stream: listeners, destruction and status, provided over
/// [`stream_core`](Self::stream_core) (the model is rt-events'
/// [`Emitter`](rt_events::Emitter), provided methods over `emitter()`).
///
/// Implemented by [`Readable`](crate::Readable), [`Writable`](crate::Writable),
/// [`Duplex`](crate::Duplex) (and so transforms), and by types that extend a
/// stream (rt-net's `Socket`). The concrete types also have every method
/// inherently, so calling them needs no import; generic code takes
/// `S: StreamBase` (or a side trait).
#[doc(alias = "stream.Stream")]
pub trait StreamBase: Send + Sync + 'static {
    /// The readable side's chunk type ([`Void`](crate::Void) without one).
    type Read: Send + 'static;
    /// The writable side's chunk type ([`Void`](crate::Void) without one).
    type Write: Send + 'static;

    /// The stream's core: the one accessor a stream type implements.
    fn stream_core(&self) -> &Arc<StreamCore<Self::Read, Self::Write>>;

    /// Adds a listener: for a [`StreamEvent`](crate::StreamEvent) a
    /// payload-less `Fn()` (returns a stream [`ListenerId`]), for an
    /// rt-events key (`&events::END`, `&events::DATA`, a subtype's own
    /// `&Event<T>`) an `Fn(&T)` on the stream's emitter (returns an
    /// `rt_events::ListenerId`). A `'data'` listener starts the flow and a
    /// `'readable'` listener switches to paused mode, either way, as in Node.
    /// Node: `stream.on(name, fn)`.
    #[doc(alias = "addListener")]
    fn on<K: EventKey<F>, F>(&self, event: K, f: F) -> K::Id {
        event.listen(self.stream_core(), false, f)
    }

    /// Like [`on`](Self::on), removed after the first call. Node: `stream.once`.
    fn once<K: EventKey<F>, F>(&self, event: K, f: F) -> K::Id {
        event.listen(self.stream_core(), true, f)
    }

    /// Adds an `'error'` listener. Node: `stream.on('error', fn)`.
    fn on_error(&self, f: impl Fn(&Error) + Send + Sync + 'static) -> ListenerId {
        self.stream_core().ev.on_error(false, Arc::new(f))
    }

    /// Removes a listener added by `on` / `once` / `on_*` with a
    /// [`StreamEvent`](crate::StreamEvent). Node: `stream.off(name, fn)`.
    #[doc(alias = "removeListener")]
    fn off(&self, id: ListenerId) {
        let core = self.stream_core();
        if let Some(ev) = core.ev.off(id) {
            core.listener_removed(ev);
            core.settle();
        }
    }

    /// How many listeners `event` has (a [`StreamEvent`](crate::StreamEvent),
    /// an rt-events key or a name), on both faces. Node: `stream.listenerCount(name)`.
    #[doc(alias = "listenerCount")]
    fn listener_count(&self, event: impl Named) -> usize {
        crate::listeners::user_count(&self.stream_core().ev, event.name_of())
    }

    /// Destroys the stream: `'error'` (if `err`) then `'close'`, pending
    /// writes fail with `ERR_STREAM_DESTROYED`, later calls fail cleanly.
    /// Node: `stream.destroy(err)`.
    fn destroy(&self, err: Option<Error>) {
        self.stream_core().destroy(err);
    }

    /// Whether `destroy` was called. Node: `stream.destroyed`.
    fn destroyed(&self) -> bool {
        self.stream_core().lock().destroyed
    }

    /// The error the stream failed with, if any. Node: `stream.errored`.
    fn errored(&self) -> Option<Error> {
        self.stream_core().lock().errored.clone()
    }

    /// Whether `'close'` is due or done (the stream is closed). Node: `stream.closed`.
    fn closed(&self) -> bool {
        self.stream_core().lock().closed
    }

    /// Whether two handles are the same stream.
    fn same_stream(&self, other: &Self) -> bool
    where
        Self: Sized,
    {
        Arc::ptr_eq(self.stream_core(), other.stream_core())
    }

    /// Installs the owner's [`StreamHooks`] (once; `false` if hooks were
    /// already set). A type that extends a stream calls this when it builds it.
    fn set_hooks(&self, hooks: impl StreamHooks) -> bool
    where
        Self: Sized,
    {
        self.stream_core().ev.hooks_owner.set(Box::new(hooks)).is_ok()
    }
}
