//! The `destroy` option of every stream ([`DestroyHook`]): Node's
//! `new Readable({ destroy(err, cb) {..} })` / `_destroy`, which may call
//! its callback ([`DestroyCallback`]) later. A leaf: the core calls the hook
//! and hands it a callback that completes the destruction.

use std::future::Future;
use std::sync::Arc;

use crate::error::Error;

type Done = Box<dyn FnOnce(Option<Error>) + Send>;

/// The callback of a [`DestroyHook`]: Node's `cb` of `_destroy(err, cb)`.
/// Until it is called the stream is destroyed but not closed (`closed()`
/// is `false`, no `'close'` / `'error'` yet); calling it with an error
/// emits that error (the stream's `errored()` keeps the first one), with
/// `None` only `'close'`.
///
/// Dropping it uncalled completes the destruction as Node's default
/// `_destroy` does: `cb(err)` with the error the hook was given.
#[doc(alias = "_destroy")]
pub struct DestroyCallback {
    done: Option<Done>,
    given: Option<Error>,
}

impl DestroyCallback {
    pub(crate) fn new(given: Option<Error>, done: impl FnOnce(Option<Error>) + Send + 'static) -> Self {
        DestroyCallback {
            done: Some(Box::new(done)),
            given,
        }
    }

    /// Completes the destruction with `err` (Node: `cb(err)`; `None` is
    /// `cb()` / `cb(null)`). May be called from any thread, at any time.
    #[doc(alias = "cb")]
    pub fn call(mut self, err: Option<Error>) {
        if let Some(done) = self.done.take() {
            done(err);
        }
    }
}

impl Drop for DestroyCallback {
    fn drop(&mut self) {
        if let Some(done) = self.done.take() {
            done(self.given.take());
        }
    }
}

impl std::fmt::Debug for DestroyCallback {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DestroyCallback")
    }
}

type HookFn = dyn Fn(Option<Error>, DestroyCallback) + Send + Sync;

/// The `destroy` option of [`ReadableOptions`](crate::ReadableOptions),
/// [`WritableOptions`](crate::WritableOptions) and
/// [`DuplexOptions`](crate::DuplexOptions) (so of a Transform too): Node's
/// `destroy(err, cb)` option (`_destroy`). Called once, when the stream is
/// destroyed, with the error `destroy` was given (after a
/// [`Source`](crate::Source)'s / [`Sink`](crate::Sink)'s own `destroy`,
/// with the error they returned); `'close'` (and `'error'`, if the callback
/// gets one) come only after its [`DestroyCallback`] is called, which may
/// be later. A second `destroy()` meanwhile does nothing, as in Node.
///
/// ```
/// use rt_stream::{DestroyHook, Readable, ReadableOptions};
/// use std::sync::{Arc, Mutex};
/// // new Readable({ read() {}, destroy(err, cb) { later = cb; } })
/// let later = Arc::new(Mutex::new(None));
/// let l = later.clone();
/// let r = Readable::new(ReadableOptions::default().destroy(DestroyHook::new(move |_err, cb| {
///     *l.lock().unwrap() = Some(cb);
/// })));
/// r.destroy(None);
/// assert!(r.destroyed() && !r.closed());
/// later.lock().unwrap().take().unwrap().call(None); // cb()
/// assert!(r.closed());
/// ```
#[derive(Clone)]
#[doc(alias = "destroy")]
#[doc(alias = "_destroy")]
pub struct DestroyHook(Arc<HookFn>);

impl DestroyHook {
    /// A hook that gets the error and the callback to call, now or later.
    /// Node: `destroy(err, cb) { .. }`.
    #[doc(alias = "_destroy")]
    pub fn new(f: impl Fn(Option<Error>, DestroyCallback) + Send + Sync + 'static) -> Self {
        DestroyHook(Arc::new(f))
    }

    /// A hook that completes when it returns, with the error it returns.
    /// Node: `destroy(err, cb) { ..; cb(err); }`.
    #[doc(alias = "_destroy")]
    pub fn from_fn(f: impl Fn(Option<Error>) -> Option<Error> + Send + Sync + 'static) -> Self {
        DestroyHook::new(move |err, cb| cb.call(f(err)))
    }

    /// A hook that completes when its future does, with the error it
    /// yields (Node: `destroy(err, cb)` calling `cb` after some async
    /// work). The future runs on the current tokio runtime; without one
    /// the destruction completes at once with `ERR_NO_RUNTIME`.
    #[doc(alias = "_destroy")]
    pub fn from_async<Fut>(f: impl Fn(Option<Error>) -> Fut + Send + Sync + 'static) -> Self
    where
        Fut: Future<Output = Option<Error>> + Send + 'static,
    {
        DestroyHook::new(move |err, cb| match tokio::runtime::Handle::try_current() {
            Ok(h) => {
                let fut = f(err);
                h.spawn(async move { cb.call(fut.await) });
            }
            Err(_) => cb.call(Some(Error::new(
                "ERR_NO_RUNTIME",
                "an asynchronous destroy needs a tokio runtime to complete on",
            ))),
        })
    }

    pub(crate) fn run(&self, err: Option<Error>, cb: DestroyCallback) {
        (self.0)(err, cb)
    }
}

impl std::fmt::Debug for DestroyHook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DestroyHook")
    }
}
