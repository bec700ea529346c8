//! [`EventKey`]: what `on` / `once` take (a [`StreamEvent`] or an rt-events
//! key), and how each adds its listener to a stream's core with Node's side
//! effects.

use std::sync::Arc;

use crate::core::Core;
use crate::error::Error;
use crate::listeners::{ListenerId, StreamEvent};

/// What [`StreamBase::on`](crate::StreamBase::on) and `once` take: a
/// [`StreamEvent`] with a payload-less `Fn()` listener (the stream's typed
/// lists, the fast path), or an rt-events key `&Event<T>` with an `Fn(&T)`
/// listener (the stream's emitter: `&events::END`, `&events::DATA`, or a
/// subtype's own events such as a socket's `&CONNECT`). Either way the
/// listener has Node's side effects (`'data'` starts the flow).
pub trait EventKey<F>: Sized {
    /// The id `on` returns, for removing the listener: a stream
    /// [`ListenerId`] for a [`StreamEvent`], an `rt_events::ListenerId` for a key.
    type Id;
    /// Adds `f` to `core`.
    #[doc(hidden)]
    fn listen<R: Send + 'static, W: Send + 'static>(
        self,
        core: &Arc<Core<R, W>>,
        once: bool,
        f: F,
    ) -> Self::Id;
}

impl<F: Fn() + Send + Sync + 'static> EventKey<F> for StreamEvent {
    type Id = ListenerId;
    fn listen<R: Send + 'static, W: Send + 'static>(
        self,
        core: &Arc<Core<R, W>>,
        once: bool,
        f: F,
    ) -> ListenerId {
        match self {
            // These carry a payload: `on_data` / `on_error` get it. A
            // payload-less listener still works, it just ignores it.
            StreamEvent::Data => {
                let id = core.ev.on_data_unit(once, Arc::new(f));
                core.data_listener_added();
                core.settle();
                id
            }
            StreamEvent::Error => core.ev.on_error(once, Arc::new(move |_: &Error| f())),
            other => {
                let id = core.ev.on(other, once, Arc::new(move |_: &()| f()));
                if other == StreamEvent::Readable {
                    core.readable_listener_added();
                    core.settle();
                }
                id
            }
        }
    }
}

impl<T, F> EventKey<F> for &rt_events::Event<T>
where
    T: Send + Sync + 'static,
    F: Fn(&T) + Send + Sync + 'static,
{
    type Id = rt_events::ListenerId;
    fn listen<R: Send + 'static, W: Send + 'static>(
        self,
        core: &Arc<Core<R, W>>,
        once: bool,
        f: F,
    ) -> rt_events::ListenerId {
        let em = core.emitter();
        // 'newListener' runs before the add: what it queues (the flow a
        // 'data' listener starts) is held until the listener is in, on
        // every thread (see `Marked`).
        let id = {
            let _section = crate::runtime::Marked::begin();
            if once { em.once(self, f) } else { em.on(self, f) }
        };
        // Without a runtime, run what the listener's side effects queued.
        core.settle();
        id
    }
}
