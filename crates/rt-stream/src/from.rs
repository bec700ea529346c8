//! Sources made from async streams (`Readable::from` of an async iterable).

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use crate::error::Error;
use crate::locking::lock;
use crate::source::{Pusher, Source};

/// Pulls items from a `futures::Stream` on a task while the readable wants more.
pub(crate) struct StreamSource<S> {
    stream: Arc<Mutex<Option<S>>>,
}

impl<S> StreamSource<S> {
    pub(crate) fn new(s: S) -> Self {
        StreamSource {
            stream: Arc::new(Mutex::new(Some(s))),
        }
    }
}

/// What a pulled item becomes: pushed, the end, or a failure.
pub(crate) trait Item<T>: Send + 'static {
    fn into_push(self) -> Result<T, Error>;
}

pub(crate) struct Plain<T>(T);
impl<T: Send + 'static> Item<T> for Plain<T> {
    fn into_push(self) -> Result<T, Error> {
        Ok(self.0)
    }
}

/// What became of one pulled item.
enum Step {
    /// Pushed, and the readable wants more.
    More,
    /// Pushed, and the readable is full: the stream goes back to its slot
    /// until the next `read`.
    Full,
    /// The end or a failure was pushed: the stream is done.
    Done,
}

/// Pushes one pull's outcome: an item, or the end (`None`).
fn offer<T: Send + 'static, I: Item<T>>(next: Option<I>, push: &Pusher<T>) -> Step {
    match next.map(Item::into_push) {
        Some(Ok(v)) => {
            if push.push(v) {
                Step::More
            } else {
                Step::Full
            }
        }
        Some(Err(e)) => {
            push.destroy(Some(e));
            Step::Done
        }
        None => {
            push.push_end();
            Step::Done
        }
    }
}

fn pump<T, S, I>(slot: Arc<Mutex<Option<S>>>, push: Pusher<T>, map: fn(S::Item) -> I)
where
    T: Send + 'static,
    S: futures_core::Stream + Send + Unpin + 'static,
    I: Item<T>,
{
    // Take the stream out while pumping; `read` is not called again until we push.
    let Some(mut stream) = lock(&slot).take() else {
        return;
    };
    // Fast path: items that are ready now are pushed without a task.
    let waker = std::task::Waker::noop();
    let mut cx = Context::from_waker(waker);
    while let Poll::Ready(next) = Pin::new(&mut stream).poll_next(&mut cx) {
        match offer(next.map(map), &push) {
            Step::More => {}
            Step::Full => {
                *lock(&slot) = Some(stream);
                return;
            }
            Step::Done => return,
        }
    }
    let handle = match tokio::runtime::Handle::try_current() {
        Ok(h) => h,
        Err(_) => {
            push.destroy(Some(Error::new(
                "ERR_NO_RUNTIME",
                "an async source needs a tokio runtime",
            )));
            return;
        }
    };
    handle.spawn(async move {
        loop {
            let next = std::future::poll_fn(|cx| Pin::new(&mut stream).poll_next(cx)).await;
            match offer(next.map(map), &push) {
                Step::More => {}
                Step::Full => {
                    *lock(&slot) = Some(stream);
                    return;
                }
                Step::Done => return,
            }
        }
    });
}

impl<T, S> Source<T> for StreamSource<S>
where
    T: Send + 'static,
    S: futures_core::Stream<Item = T> + Send + Unpin + 'static,
{
    fn read(&mut self, _size: usize, push: &Pusher<T>) {
        pump(self.stream.clone(), push.clone(), Plain);
    }
}

/// Like [`StreamSource`], for streams of `Result`s (an `Err` destroys the readable).
pub(crate) struct TryStreamSource<S> {
    stream: Arc<Mutex<Option<S>>>,
}

impl<S> TryStreamSource<S> {
    pub(crate) fn new(s: S) -> Self {
        TryStreamSource {
            stream: Arc::new(Mutex::new(Some(s))),
        }
    }
}

pub(crate) struct Fallible<C>(Result<C, Error>);
impl<T: Send + 'static, C: Into<T> + Send + 'static> Item<T> for Fallible<C> {
    fn into_push(self) -> Result<T, Error> {
        self.0.map(Into::into)
    }
}

impl<T, S, C> Source<T> for TryStreamSource<S>
where
    T: Send + 'static,
    C: Into<T> + Send + 'static,
    S: futures_core::Stream<Item = Result<C, Error>> + Send + Unpin + 'static,
{
    fn read(&mut self, _size: usize, push: &Pusher<T>) {
        pump(self.stream.clone(), push.clone(), Fallible);
    }
}
