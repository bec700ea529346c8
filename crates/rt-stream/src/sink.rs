//! [`Sink`]: what an implementor of a writable stream provides, and how a
//! write completes ([`WriteOutcome`], [`Completion`]). A leaf: the stream
//! core holds a `Sink` without this file knowing the core.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use crate::locking::Mutex;

use crate::error::Error;
use crate::locking::lock;

/// A boxed future completing a write (the slow path of [`WriteOutcome`]).
pub type WriteFuture = Pin<Box<dyn Future<Output = Result<(), Error>> + Send>>;

/// How a [`Sink`] finished (or will finish) a write — Node's `_write` callback.
///
/// `Done` is the synchronous fast path: no allocation, no task. `Pending`
/// hands the stream a future to run on the runtime; `Deferred` lets the
/// implementor signal completion itself through a [`Completion`].
pub enum WriteOutcome {
    /// The write completed (Node: `cb()` / `cb(err)` called synchronously).
    Done(Result<(), Error>),
    /// The write completes when this future does.
    Pending(WriteFuture),
    /// The write completes when the paired [`Completion`] is completed.
    Deferred(Deferred),
}

impl WriteOutcome {
    /// `Done(Ok(()))`.
    pub fn ok() -> WriteOutcome {
        WriteOutcome::Done(Ok(()))
    }

    /// A completion handle and the outcome to return from the sink: call
    /// `completion.complete(result)` when the write is done, from anywhere.
    pub fn deferred() -> (Completion, WriteOutcome) {
        let slot = Arc::new(Mutex::new(Slot::Waiting));
        (
            Completion {
                slot: Some(slot.clone()),
            },
            WriteOutcome::Deferred(Deferred { slot }),
        )
    }
}

type DoneFn = Box<dyn FnOnce(Result<(), Error>) + Send>;

enum Slot {
    Waiting,
    Done(Result<(), Error>),
    Registered(DoneFn),
    Finished,
}

/// The stream's side of a deferred write (see [`WriteOutcome::deferred`]).
pub struct Deferred {
    slot: Arc<Mutex<Slot>>,
}

impl Deferred {
    /// Registers what to run at completion; returns the result at once if
    /// the completion already happened.
    pub(crate) fn register(self, f: DoneFn) -> Option<Result<(), Error>> {
        let mut s = lock(&self.slot);
        match std::mem::replace(&mut *s, Slot::Finished) {
            Slot::Done(r) => Some(r),
            Slot::Waiting => {
                *s = Slot::Registered(f);
                None
            }
            other => {
                *s = other;
                None
            }
        }
    }
}

/// Completes a deferred write (Node: calling `_write`'s callback later).
/// Dropping it without completing fails the write with `ERR_STREAM_PREMATURE_CLOSE`.
pub struct Completion {
    slot: Option<Arc<Mutex<Slot>>>,
}

impl Completion {
    /// Completes the write with `result`.
    pub fn complete(mut self, result: Result<(), Error>) {
        self.fire(result);
    }

    fn fire(&mut self, result: Result<(), Error>) {
        let Some(slot) = self.slot.take() else {
            return;
        };
        let f = {
            let mut s = lock(&slot);
            match std::mem::replace(&mut *s, Slot::Finished) {
                Slot::Registered(f) => Some(f),
                Slot::Waiting => {
                    *s = Slot::Done(result.clone());
                    None
                }
                other => {
                    *s = other;
                    None
                }
            }
        };
        if let Some(f) = f {
            f(result);
        }
    }
}

impl Drop for Completion {
    fn drop(&mut self) {
        if self.slot.is_some() {
            self.fire(Err(Error::premature_close()));
        }
    }
}

/// What an implementor of a writable stream provides: Node's `_write`,
/// `_writev`, `_final` and `_destroy`.
///
/// `write` is called for one chunk at a time, never concurrently; the next
/// chunk waits until the outcome completes. Return [`WriteOutcome::Done`]
/// when the chunk is handled at once (the fast path).
pub trait Sink<T>: Send + 'static {
    /// Node's `_write(chunk, encoding, cb)`.
    fn write(&mut self, chunk: T) -> WriteOutcome;

    /// Node's `_writev(chunks, cb)`: several buffered chunks at once (after
    /// `uncork`, or when writes piled up). Only called if [`has_writev`](Self::has_writev).
    fn writev(&mut self, chunks: Vec<T>) -> WriteOutcome {
        let _ = chunks;
        WriteOutcome::Done(Err(Error::new(
            "ERR_METHOD_NOT_IMPLEMENTED",
            "The _writev() method is not implemented",
        )))
    }

    /// Whether [`writev`](Self::writev) is implemented.
    fn has_writev(&self) -> bool {
        false
    }

    /// Node's `_final(cb)`: called once after `end()` when every write is
    /// done, before `'finish'`. `None` (the default) means "no `_final`".
    fn finish(&mut self) -> Option<WriteOutcome> {
        None
    }

    /// Node's `_destroy(err, cb)`: release resources; return the error to report.
    fn destroy(&mut self, err: Option<Error>) -> Option<Error> {
        err
    }
}

pub(crate) enum Writing<W> {
    One(W),
    Many(Vec<W>),
}
