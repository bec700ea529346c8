//! `events.on(emitter, name)` as an async stream.

use std::any::Any;
use std::collections::VecDeque;
use std::convert::Infallible;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};

use futures_core::Stream;

use crate::emitter::EventEmitter;
use crate::emitter_trait::Emitter;
use crate::event::Event;
use crate::listener::ListenerId;

type Registration = (&'static str, ListenerId);

struct State<T> {
    queue: VecDeque<T>,
    error: Option<Box<dyn Any + Send>>,
    /// The error came: later payloads are not queued.
    stopping: bool,
    /// The error is published: after the queue and the error, the end.
    ended: bool,
    waker: Option<Waker>,
    regs: Vec<Registration>,
}

fn lock<T>(s: &Mutex<State<T>>) -> MutexGuard<'_, State<T>> {
    s.lock().unwrap_or_else(PoisonError::into_inner)
}

struct Guard<T> {
    emitter: EventEmitter,
    state: Arc<Mutex<State<T>>>,
}

impl<T> Guard<T> {
    fn unregister(&self) {
        let regs = std::mem::take(&mut lock(&self.state).regs);
        for (name, id) in regs {
            self.emitter.off(name, id);
        }
    }
}

impl<T> Drop for Guard<T> {
    fn drop(&mut self) {
        self.unregister();
    }
}

/// An async stream of an event's payloads: Node's `events.on(emitter, name)`.
///
/// Created by [`on`]. The listener is registered at creation and removed when
/// the stream is dropped or ends.
///
/// **Buffering:** emit is synchronous and never waits for the reader, so
/// payloads emitted faster than they are read are queued, without bound (as
/// in Node). Each item is a clone of the emitted payload.
///
/// With [`or_error`](Self::or_error), an error event ends the stream: the
/// payloads queued before it come first, then `Err(error)`, then `None`.
#[must_use = "streams do nothing unless polled; dropping it removes the listener"]
pub struct On<T, E = Infallible> {
    guard: Guard<T>,
    _error: PhantomData<fn() -> E>,
}

/// Streams every future emission of `event` from `emitter` (Node's
/// `for await (const [v] of events.on(emitter, name))`).
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// use std::future::poll_fn;
/// use std::pin::Pin;
/// use futures_core::Stream;
/// use rt_events::{on, Event, EventEmitter};
///
/// static TICK: Event<u32> = Event::new("tick");
/// let e = EventEmitter::new();
/// let mut ticks = on(&e, &TICK);
/// e.emit(&TICK, 1);
/// e.emit(&TICK, 2);
/// let next = poll_fn(|cx| Pin::new(&mut ticks).poll_next(cx)).await;
/// assert_eq!(next, Some(Ok(1)));
/// # });
/// ```
pub fn on<S, T>(emitter: &S, event: &Event<T>) -> On<T, Infallible>
where
    S: Emitter + ?Sized,
    T: Clone + Send + Sync + 'static,
{
    let emitter = emitter.emitter().clone();
    let state = Arc::new(Mutex::new(State {
        queue: VecDeque::new(),
        error: None,
        stopping: false,
        ended: false,
        waker: None,
        regs: Vec::new(),
    }));
    let st = state.clone();
    let id = emitter.on(event, move |v: &T| {
        let mut s = lock(&st);
        if s.stopping {
            return;
        }
        s.queue.push_back(v.clone());
        if let Some(w) = s.waker.take() {
            w.wake();
        }
    });
    lock(&state).regs.push((event.name(), id));
    On {
        guard: Guard { emitter, state },
        _error: PhantomData,
    }
}

impl<T: Send + 'static> On<T, Infallible> {
    /// Also listens to `error`: when it is emitted, the stream yields the
    /// payloads already queued, then `Err(error)`, then ends, and its
    /// listeners are removed.
    pub fn or_error<E>(self, error: &Event<E>) -> On<T, E>
    where
        E: Clone + Send + Sync + 'static,
    {
        let guard = self.guard;
        let st = guard.state.clone();
        let weak = guard.emitter.downgrade();
        let id = guard.emitter.on(error, move |err: &E| {
            let regs = {
                let mut s = lock(&st);
                if s.stopping {
                    return;
                }
                s.stopping = true;
                std::mem::take(&mut s.regs)
            };
            // Listeners first, then the error: when the reader sees it, the
            // stream no longer listens.
            if let Some(e) = weak.upgrade() {
                for (name, id) in regs {
                    e.off(name, id);
                }
            }
            let waker = {
                let mut s = lock(&st);
                s.error = Some(Box::new(err.clone()));
                s.ended = true;
                s.waker.take()
            };
            if let Some(w) = waker {
                w.wake();
            }
        });
        lock(&guard.state).regs.push((error.name(), id));
        On {
            guard,
            _error: PhantomData,
        }
    }
}

impl<T, E: 'static> Stream for On<T, E> {
    type Item = Result<T, E>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let mut s = lock(&self.guard.state);
        if let Some(v) = s.queue.pop_front() {
            return Poll::Ready(Some(Ok(v)));
        }
        if let Some(e) = s.error.take() {
            return Poll::Ready(e.downcast::<E>().ok().map(|e| Err(*e)));
        }
        if s.ended {
            return Poll::Ready(None);
        }
        s.waker = Some(cx.waker().clone());
        Poll::Pending
    }
}

impl<T, E> Unpin for On<T, E> {}
