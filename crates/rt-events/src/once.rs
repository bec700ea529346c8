//! `events.once(emitter, name)` as a future.

use std::any::Any;
use std::convert::Infallible;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};

use crate::emitter::{EventEmitter, WeakEmitter};
use crate::emitter_trait::Emitter;
use crate::event::Event;
use crate::listener::ListenerId;

type Registration = (&'static str, ListenerId);

struct State<T> {
    result: Option<Result<T, Box<dyn Any + Send>>>,
    done: bool,
    waker: Option<Waker>,
    value: Option<Registration>,
    error: Option<Registration>,
}

fn lock<T>(s: &Mutex<State<T>>) -> MutexGuard<'_, State<T>> {
    s.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Owns the registrations; removes them when dropped.
struct Guard<T> {
    emitter: EventEmitter,
    state: Arc<Mutex<State<T>>>,
}

impl<T> Drop for Guard<T> {
    fn drop(&mut self) {
        let (value, error) = {
            let mut s = lock(&self.state);
            s.done = true;
            (s.value.take(), s.error.take())
        };
        for (name, id) in value.into_iter().chain(error) {
            self.emitter.off(name, id);
        }
    }
}

/// A future for the next emission of an event: Node's `events.once(emitter, name)`.
///
/// Created by [`once`]. The listener is registered when the future is
/// created (not when first polled), so no emission is missed; dropping the
/// future removes it. Add an error event with [`or_error`](Self::or_error)
/// to fail with the error if it comes first, as Node's `events.once` does.
#[must_use = "futures do nothing unless awaited; dropping it removes the listener"]
pub struct Once<T, E = Infallible> {
    guard: Guard<T>,
    _error: PhantomData<fn() -> E>,
}

/// Settles the future: removes the other listener first, then publishes the
/// result and wakes the task, so that once the future is ready both of its
/// listeners are gone (as with Node's `events.once`).
fn settle<T>(
    st: &Mutex<State<T>>,
    weak: &WeakEmitter,
    ok: bool,
    result: impl FnOnce() -> Result<T, Box<dyn Any + Send>>,
) {
    let other = {
        let mut s = lock(st);
        if s.done {
            return;
        }
        s.done = true;
        if ok {
            s.value = None;
            s.error.take()
        } else {
            s.error = None;
            s.value.take()
        }
    };
    if let (Some((name, id)), Some(e)) = (other, weak.upgrade()) {
        e.off(name, id);
    }
    let waker = {
        let mut s = lock(st);
        s.result = Some(result());
        s.waker.take()
    };
    if let Some(w) = waker {
        w.wake();
    }
}

/// Waits for the next `event` from `emitter` and resolves with a clone of its
/// payload (Node's `await events.once(emitter, name)`).
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// // const [v] = await events.once(emitter, 'ready');
/// use rt_events::{once, Event, EventEmitter};
/// static READY: Event<u32> = Event::new("ready");
/// static ERROR: Event<String> = Event::new("error");
/// let e = EventEmitter::new();
/// let next = once(&e, &READY).or_error(&ERROR);
/// e.emit(&READY, 7);
/// assert_eq!(next.await, Ok(7));
/// # });
/// ```
pub fn once<S, T>(emitter: &S, event: &Event<T>) -> Once<T, Infallible>
where
    S: Emitter + ?Sized,
    T: Clone + Send + Sync + 'static,
{
    let emitter = emitter.emitter().clone();
    let state = Arc::new(Mutex::new(State {
        result: None,
        done: false,
        waker: None,
        value: None,
        error: None,
    }));
    let st = state.clone();
    let weak = emitter.downgrade();
    let id = emitter.once(event, move |v: &T| {
        settle(&st, &weak, true, || Ok(v.clone()));
    });
    {
        let mut s = lock(&state);
        if !s.done {
            s.value = Some((event.name(), id));
        }
    }
    Once {
        guard: Guard { emitter, state },
        _error: PhantomData,
    }
}

impl<T: Send + 'static> Once<T, Infallible> {
    /// Also listens (once) to `error`: if it is emitted first, the future
    /// resolves with `Err(error)` and the value listener is removed, as with
    /// Node's `events.once`.
    pub fn or_error<E>(self, error: &Event<E>) -> Once<T, E>
    where
        E: Clone + Send + Sync + 'static,
    {
        let guard = self.guard;
        let st = guard.state.clone();
        let weak = guard.emitter.downgrade();
        let id = guard.emitter.once(error, move |err: &E| {
            settle(&st, &weak, false, || Err(Box::new(err.clone())));
        });
        let stale = {
            let mut s = lock(&guard.state);
            if s.done {
                true
            } else {
                s.error = Some((error.name(), id));
                false
            }
        };
        if stale {
            guard.emitter.off(error, id);
        }
        Once {
            guard,
            _error: PhantomData,
        }
    }
}

impl<T, E: 'static> Future for Once<T, E> {
    type Output = Result<T, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut s = lock(&self.guard.state);
        match s.result.take() {
            Some(Ok(v)) => Poll::Ready(Ok(v)),
            Some(Err(e)) => match e.downcast::<E>() {
                Ok(e) => Poll::Ready(Err(*e)),
                // Only `or_error::<E>` stores errors, so this cannot happen.
                Err(_) => Poll::Pending,
            },
            None => {
                s.waker = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}

impl<T, E> Unpin for Once<T, E> {}
