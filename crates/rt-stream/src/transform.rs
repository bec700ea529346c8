//! `Transform` and `PassThrough`: duplexes whose output is computed from their input.

use std::sync::{Arc, Weak};

use crate::locking::Mutex;

use crate::chunk::{ChunkOps, byte_ops, object_ops};
use crate::core::{Core, lock};
use crate::duplex::{Duplex, DuplexOptions};
use crate::encoded::EncodedChunk;
use crate::error::Error;
use crate::sink::{Completion, Sink, WriteOutcome};
use crate::source::{Pusher, Source};
use rt_buffer::Buffer;

use crate::sink::WriteFuture;

type SyncTransform<R, W> = Box<dyn FnMut(W, &Pusher<R>) -> Result<(), Error> + Send>;
type AsyncTransform<R, W> = Box<dyn FnMut(W, Pusher<R>) -> WriteFuture + Send>;
type SyncFlush<R> = Box<dyn FnMut(&Pusher<R>) -> Result<(), Error> + Send>;
type AsyncFlush<R> = Box<dyn FnMut(Pusher<R>) -> WriteFuture + Send>;

/// `_transform`: completes when it returns, or when its future does.
enum TransformFn<R, W> {
    Sync(SyncTransform<R, W>),
    Async(AsyncTransform<R, W>),
}

/// `_flush`: completes when it returns, or when its future does.
enum FlushFn<R> {
    Sync(SyncFlush<R>),
    Async(AsyncFlush<R>),
}

/// Runs `fut` on `core`'s runtime, then `then` with its result; the
/// returned outcome completes when `then` completes its `Completion`.
/// Without a runtime: `ERR_NO_RUNTIME`, as a pending write.
fn run_async<R: Send + 'static, W: Send + 'static>(
    core: &Arc<Core<R, W>>,
    fut: WriteFuture,
    then: impl FnOnce(Result<(), Error>, Completion) + Send + 'static,
) -> WriteOutcome {
    let Some(h) = core.runtime() else {
        return WriteOutcome::Done(Err(Error::new(
            "ERR_NO_RUNTIME",
            "an asynchronous transform needs a tokio runtime to complete on",
        )));
    };
    let (c, outcome) = WriteOutcome::deferred();
    h.spawn(async move {
        let res = fut.await;
        then(res, c);
    });
    outcome
}

/// Node's `_write` of a Transform, after `_transform` called back: the
/// write completes now, unless the readable side grew and is at its mark
/// (then at the next `_read`, Node's kCallback).
fn after_transform<R: Send + 'static, W: Send + 'static>(
    core: &Arc<Core<R, W>>,
    before: usize,
    pending: &Pending,
    c: Completion,
) {
    let hold = {
        let st = core.lock();
        match (st.r.as_ref(), st.w.as_ref()) {
            (Some(r), Some(w)) => !(r.ended || w.ending || before == r.length || r.length < r.hwm),
            _ => false,
        }
    };
    if hold {
        *lock(&pending.callback) = Some(c);
    } else {
        c.complete(Ok(()));
    }
}

struct Pending {
    callback: Mutex<Option<Completion>>,
}

struct TransformSink<R, W> {
    f: TransformFn<R, W>,
    flush: Option<FlushFn<R>>,
    core: Weak<Core<R, W>>,
    pending: Arc<Pending>,
}

impl<R: Send + 'static, W: Send + 'static> Sink<W> for TransformSink<R, W> {
    fn write(&mut self, chunk: W) -> WriteOutcome {
        let Some(core) = self.core.upgrade() else {
            return WriteOutcome::ok();
        };
        let before = core.lock().r.as_ref().map(|r| r.length).unwrap_or(0);
        let pusher = Pusher::new(core.clone());
        let f = match &mut self.f {
            TransformFn::Sync(f) => f,
            TransformFn::Async(f) => {
                let fut = f(chunk, pusher);
                let pending = self.pending.clone();
                let weak = self.core.clone();
                return run_async(&core, fut, move |res, c| match (res, weak.upgrade()) {
                    (Err(e), _) => c.complete(Err(e)),
                    (Ok(()), Some(core)) => after_transform(&core, before, &pending, c),
                    (Ok(()), None) => c.complete(Ok(())),
                });
            }
        };
        if let Err(e) = f(chunk, &pusher) {
            return WriteOutcome::Done(Err(e));
        }
        let st = core.lock();
        let (Some(r), Some(w)) = (st.r.as_ref(), st.w.as_ref()) else {
            return WriteOutcome::ok();
        };
        if r.ended || w.ending || before == r.length || r.length < r.hwm {
            WriteOutcome::ok()
        } else {
            // The readable side is full: hold the write's completion until
            // the consumer reads (Node keeps the callback in kCallback).
            let (c, outcome) = WriteOutcome::deferred();
            *lock(&self.pending.callback) = Some(c);
            outcome
        }
    }

    fn finish(&mut self) -> Option<WriteOutcome> {
        let core = self.core.upgrade()?;
        let pusher = Pusher::new(core.clone());
        match self.flush.as_mut() {
            Some(FlushFn::Sync(flush)) => {
                if let Err(e) = flush(&pusher) {
                    return Some(WriteOutcome::Done(Err(e)));
                }
            }
            Some(FlushFn::Async(flush)) => {
                let fut = flush(pusher.clone());
                return Some(run_async(&core, fut, move |res, c| match res {
                    Err(e) => c.complete(Err(e)),
                    Ok(()) => {
                        pusher.push_end();
                        c.complete(Ok(()));
                    }
                }));
            }
            None => {}
        }
        pusher.push_end();
        Some(WriteOutcome::ok())
    }
}

struct TransformSource {
    pending: Arc<Pending>,
}

impl<R: Send + 'static> Source<R> for TransformSource {
    fn read(&mut self, _size: usize, _push: &Pusher<R>) {
        let c = lock(&self.pending.callback).take();
        if let Some(c) = c {
            c.complete(Ok(()));
        }
    }
}

/// Node's `stream.Transform`: a duplex whose readable output is computed
/// from its writable input by a function (`_transform`) and, at the end, a
/// flush (`_flush`). Constructors return a [`Duplex`].
///
/// ```
/// use rt_stream::{Transform, DuplexOptions, Buffer};
/// // new Transform({ transform(chunk, enc, cb) { cb(null, chunk.toString().toUpperCase()) } })
/// let upper = Transform::new(DuplexOptions::default(), |chunk: Buffer, push| {
///     push.push(chunk.to_ascii_uppercase());
///     Ok(())
/// });
/// upper.write("hello").unwrap();
/// assert_eq!(&upper.read_now(None).unwrap()[..], b"HELLO");
/// ```
#[doc(alias = "stream.Transform")]
#[derive(Debug)]
pub struct Transform;

fn make<R: Send + 'static, W: Send + 'static>(
    opts: &DuplexOptions,
    r: (bool, ChunkOps<R>),
    w: (bool, ChunkOps<W>),
    f: TransformFn<R, W>,
    flush: Option<FlushFn<R>>,
) -> Duplex<R, W> {
    let pending = Arc::new(Pending {
        callback: Mutex::new(None),
    });
    let d = Duplex::build(
        opts,
        r.0,
        r.1,
        w.0,
        w.1,
        Some(Box::new(TransformSource {
            pending: pending.clone(),
        })),
        None,
    );
    let sink = TransformSink {
        f,
        flush,
        core: Arc::downgrade(&d.core),
        pending,
    };
    d.core.fast.set_sink(Box::new(sink));
    let mut st = d.core.lock();
    // Node's Transform constructor unsets the readable side's sync guard
    // (`this._readableState.sync = false`): a chunk pushed while the side is
    // flowing goes straight to 'data' / the pipe, even before the scheduled
    // resume has run (so a pipeline's transform and destination interleave).
    if let Some(r) = st.r.as_mut() {
        r.sync = false;
    }
    drop(st);
    d
}

fn byte_side(object: bool) -> (bool, ChunkOps<Buffer>) {
    (object, if object { object_ops() } else { byte_ops() })
}

#[allow(clippy::new_ret_no_self)]
impl Transform {
    /// A byte transform. `f` pushes zero or more output chunks per input
    /// chunk. Node: `new Transform({ transform })`.
    pub fn new(
        opts: DuplexOptions,
        f: impl FnMut(Buffer, &Pusher<Buffer>) -> Result<(), Error> + Send + 'static,
    ) -> Duplex<Buffer, Buffer> {
        Self::with_flush(opts, f, |_: &Pusher<Buffer>| Ok(()))
    }

    /// A byte transform with a flush step run after the last input.
    /// Node: `new Transform({ transform, flush })`.
    pub fn with_flush(
        opts: DuplexOptions,
        f: impl FnMut(Buffer, &Pusher<Buffer>) -> Result<(), Error> + Send + 'static,
        flush: impl FnMut(&Pusher<Buffer>) -> Result<(), Error> + Send + 'static,
    ) -> Duplex<Buffer, Buffer> {
        let (ro, wo) = opts.sides();
        let d = make(
            &opts,
            byte_side(ro.object_mode),
            byte_side(wo.object_mode),
            TransformFn::Sync(Box::new(f)),
            Some(FlushFn::Sync(Box::new(flush))),
        );
        if let Some(e) = &opts.encoding {
            if let Err(err) = d.set_encoding(e) {
                d.destroy(Some(err));
            }
        }
        d
    }

    /// An object-mode transform from `W` objects to `R` objects.
    pub fn objects<R: Send + 'static, W: Send + 'static>(
        opts: DuplexOptions,
        f: impl FnMut(W, &Pusher<R>) -> Result<(), Error> + Send + 'static,
    ) -> Duplex<R, W> {
        make(
            &opts,
            (true, object_ops()),
            (true, object_ops()),
            TransformFn::Sync(Box::new(f)),
            None,
        )
    }

    /// An object-mode transform with a flush step.
    pub fn objects_with_flush<R: Send + 'static, W: Send + 'static>(
        opts: DuplexOptions,
        f: impl FnMut(W, &Pusher<R>) -> Result<(), Error> + Send + 'static,
        flush: impl FnMut(&Pusher<R>) -> Result<(), Error> + Send + 'static,
    ) -> Duplex<R, W> {
        make(
            &opts,
            (true, object_ops()),
            (true, object_ops()),
            TransformFn::Sync(Box::new(f)),
            Some(FlushFn::Sync(Box::new(flush))),
        )
    }

    /// Bytes in, objects out (a parser: lines, records). Node:
    /// `new Transform({ readableObjectMode: true, transform })`.
    pub fn bytes_to_objects<R: Send + 'static>(
        opts: DuplexOptions,
        f: impl FnMut(Buffer, &Pusher<R>) -> Result<(), Error> + Send + 'static,
        flush: impl FnMut(&Pusher<R>) -> Result<(), Error> + Send + 'static,
    ) -> Duplex<R, Buffer> {
        let (_, wo) = opts.sides();
        make(
            &opts,
            (true, object_ops()),
            byte_side(wo.object_mode),
            TransformFn::Sync(Box::new(f)),
            Some(FlushFn::Sync(Box::new(flush))),
        )
    }

    /// A byte transform that completes asynchronously: `f` gets each chunk
    /// and a [`Pusher`] to keep, and the write completes when its future
    /// does (Node: `transform(chunk, enc, cb)` calling `cb` later; an error
    /// is `cb(err)`). Needs a tokio runtime.
    ///
    /// ```
    /// use rt_stream::{Transform, DuplexOptions, Buffer};
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let upper = Transform::new_async(DuplexOptions::default(), |chunk: Buffer, push| async move {
    ///     tokio::task::yield_now().await; // e.g. a lookup
    ///     push.push(chunk.to_ascii_uppercase());
    ///     Ok(())
    /// });
    /// upper.end_with("hi").unwrap();
    /// let out = upper.read_all().await.unwrap();
    /// assert_eq!(out.concat(), b"HI");
    /// # });
    /// ```
    #[doc(alias = "_transform")]
    pub fn new_async<Fut>(
        opts: DuplexOptions,
        f: impl FnMut(Buffer, Pusher<Buffer>) -> Fut + Send + 'static,
    ) -> Duplex<Buffer, Buffer>
    where
        Fut: std::future::Future<Output = Result<(), Error>> + Send + 'static,
    {
        Self::with_flush_async(opts, f, |_: Pusher<Buffer>| async { Ok(()) })
    }

    /// [`new_async`](Self::new_async) with a flush that completes
    /// asynchronously too (Node: `flush(cb)` calling `cb` later); the
    /// readable side ends after it.
    #[doc(alias = "_flush")]
    pub fn with_flush_async<Fut, FutF>(
        opts: DuplexOptions,
        mut f: impl FnMut(Buffer, Pusher<Buffer>) -> Fut + Send + 'static,
        mut flush: impl FnMut(Pusher<Buffer>) -> FutF + Send + 'static,
    ) -> Duplex<Buffer, Buffer>
    where
        Fut: std::future::Future<Output = Result<(), Error>> + Send + 'static,
        FutF: std::future::Future<Output = Result<(), Error>> + Send + 'static,
    {
        let (ro, wo) = opts.sides();
        let d = make(
            &opts,
            byte_side(ro.object_mode),
            byte_side(wo.object_mode),
            TransformFn::Async(Box::new(move |c, p| Box::pin(f(c, p)))),
            Some(FlushFn::Async(Box::new(move |p| Box::pin(flush(p))))),
        );
        if let Some(e) = &opts.encoding {
            if let Err(err) = d.set_encoding(e) {
                d.destroy(Some(err));
            }
        }
        d
    }

    /// An object-mode transform that completes asynchronously, with an
    /// asynchronous flush (see [`new_async`](Self::new_async)).
    #[doc(alias = "_transform")]
    pub fn objects_async<R, W, Fut, FutF>(
        opts: DuplexOptions,
        mut f: impl FnMut(W, Pusher<R>) -> Fut + Send + 'static,
        mut flush: impl FnMut(Pusher<R>) -> FutF + Send + 'static,
    ) -> Duplex<R, W>
    where
        R: Send + 'static,
        W: Send + 'static,
        Fut: std::future::Future<Output = Result<(), Error>> + Send + 'static,
        FutF: std::future::Future<Output = Result<(), Error>> + Send + 'static,
    {
        make(
            &opts,
            (true, object_ops()),
            (true, object_ops()),
            TransformFn::Async(Box::new(move |c, p| Box::pin(f(c, p)))),
            Some(FlushFn::Async(Box::new(move |p| Box::pin(flush(p))))),
        )
    }
}

impl Transform {
    /// A byte transform whose `f` receives [`EncodedChunk`]s: with
    /// `opts.decode_strings(false)` a string written with `write_str` /
    /// `write_str_in` arrives as the string with its encoding, bytes as
    /// bytes. Node: `new Transform({ decodeStrings: false, transform(chunk, encoding, cb) })`.
    ///
    /// ```
    /// use rt_stream::{Transform, DuplexOptions, EncodedChunk};
    /// let t = Transform::encoded(DuplexOptions::default().decode_strings(false), |c, push| {
    ///     if let EncodedChunk::Str(s, enc) = &c {
    ///         push.push(format!("{s} in {}", enc.name()));
    ///     }
    ///     Ok(())
    /// });
    /// t.write_str_in("ff", "hex").unwrap();
    /// assert_eq!(&t.read_now(None).unwrap()[..], b"ff in hex");
    /// ```
    #[doc(alias = "decodeStrings")]
    pub fn encoded(
        opts: DuplexOptions,
        f: impl FnMut(EncodedChunk, &Pusher<Buffer>) -> Result<(), Error> + Send + 'static,
    ) -> Duplex<Buffer, EncodedChunk> {
        Self::encoded_with_flush(opts, f, |_: &Pusher<Buffer>| Ok(()))
    }

    /// [`encoded`](Self::encoded) with a flush step run after the last input.
    /// Node: `new Transform({ decodeStrings: false, transform, flush })`.
    #[doc(alias = "decodeStrings")]
    pub fn encoded_with_flush(
        opts: DuplexOptions,
        f: impl FnMut(EncodedChunk, &Pusher<Buffer>) -> Result<(), Error> + Send + 'static,
        flush: impl FnMut(&Pusher<Buffer>) -> Result<(), Error> + Send + 'static,
    ) -> Duplex<Buffer, EncodedChunk> {
        let (ro, _) = opts.sides();
        let d = make(
            &opts,
            byte_side(ro.object_mode),
            crate::encoded::encoded_side(),
            TransformFn::Sync(Box::new(f)),
            Some(FlushFn::Sync(Box::new(flush))),
        );
        crate::encoded::finish_encoded(&d, &opts);
        d
    }
}

/// Node's `stream.PassThrough`: a transform that outputs its input unchanged.
///
/// ```
/// use rt_stream::{PassThrough, DuplexOptions};
/// let p = PassThrough::new(DuplexOptions::default());
/// p.write("same").unwrap();
/// assert_eq!(&p.read_now(None).unwrap()[..], b"same");
/// ```
#[doc(alias = "stream.PassThrough")]
#[derive(Debug)]
pub struct PassThrough;

#[allow(clippy::new_ret_no_self)]
impl PassThrough {
    /// A byte pass-through. Node: `new PassThrough()`.
    pub fn new(opts: DuplexOptions) -> Duplex<Buffer, Buffer> {
        Transform::new(opts, |c, p| {
            p.push(c);
            Ok(())
        })
    }

    /// An object-mode pass-through. Node: `new PassThrough({ objectMode: true })`.
    pub fn objects<T: Send + 'static>(opts: DuplexOptions) -> Duplex<T, T> {
        Transform::objects(opts, |c: T, p: &Pusher<T>| {
            p.push(c);
            Ok(())
        })
    }
}
