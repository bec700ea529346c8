//! `pipeline(...)` and `finished(stream)`: completion and error handling over
//! whole chains of streams.

use std::future::Future;
use std::future::poll_fn;
use std::sync::Arc;
use std::task::{Context, Poll};

use crate::core::Core;
use crate::error::Error;
use crate::pipe::{PipeOptions, WritableStream};
use crate::pipe_dest::Target;

pub(crate) trait ControlInner: Send + Sync {
    fn poll_done(self: Arc<Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>>;
    fn poll_close(self: Arc<Self>, cx: &mut Context<'_>) -> Poll<()>;
    fn destroy_with(self: Arc<Self>, err: Option<Error>);
}

impl<R: Send + 'static, W: Send + 'static> ControlInner for Core<R, W> {
    fn poll_done(self: Arc<Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.poll_finished(cx)
    }
    fn poll_close(self: Arc<Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.poll_closed(cx)
    }
    fn destroy_with(self: Arc<Self>, err: Option<Error>) {
        self.destroy(err);
    }
}

/// An opaque handle on any stream, for `finished` and `pipeline`.
#[derive(Clone)]
pub struct Control {
    inner: Arc<dyn ControlInner>,
}

/// Any stream handle ([`Readable`](crate::Readable), [`Writable`](crate::Writable),
/// [`Duplex`](crate::Duplex)).
pub trait StreamHandle: Send + Sync + 'static {
    /// The handle `finished` and `pipeline` watch.
    #[doc(hidden)]
    fn control(&self) -> Control;
}

/// A stream with a readable side of `T` chunks that can be piped from.
pub trait ReadableStream<T>: StreamHandle {
    /// Pipes into `target`.
    #[doc(hidden)]
    fn pipe_into(&self, target: crate::pipe::PipeTarget<T>, opts: PipeOptions);
}

/// Every stream is a handle `finished` and `pipeline` take.
impl<S: crate::StreamBase> StreamHandle for S {
    fn control(&self) -> Control {
        Control {
            inner: self.stream_core().clone(),
        }
    }
}

crate::impl_emitter!([T: Send + 'static] crate::Readable<T>);
crate::impl_emitter!([T: Send + 'static] crate::Writable<T>);
crate::impl_emitter!([R: Send + 'static, W: Send + 'static] crate::Duplex<R, W>);

struct Raw<T>(Arc<dyn Target<T>>);
impl<T: Send + 'static> WritableStream<T> for Raw<T> {
    fn pipe_target(&self) -> crate::pipe::PipeTarget<T> {
        crate::pipe::PipeTarget {
            inner: self.0.clone(),
        }
    }
    fn pipe_id(&self) -> usize {
        self.0.target_id()
    }
}

/// Every stream with a readable side of cloneable chunks can be piped from.
impl<S: crate::ReadableSide> ReadableStream<S::Read> for S
where
    S::Read: Clone,
{
    fn pipe_into(&self, target: crate::pipe::PipeTarget<S::Read>, opts: PipeOptions) {
        crate::pipe::pipe(self.stream_core(), &Raw(target.inner), opts);
    }
}

/// Resolves when `stream` is done: its readable side emitted `'end'` and its
/// writable side `'finish'`; fails with the stream's error, or with
/// `ERR_STREAM_PREMATURE_CLOSE` if it was destroyed first.
/// Node: `stream.finished(stream, cb)` / `stream/promises.finished`.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// use rt_stream::{finished, Writable};
/// let w = Writable::discard();
/// w.end_with("bye").unwrap();
/// finished(&w).await.unwrap();
/// # });
/// ```
pub async fn finished(stream: &impl StreamHandle) -> Result<(), Error> {
    let c = stream.control().inner;
    poll_fn(|cx| c.clone().poll_done(cx)).await
}

/// Resolves once `stream` emitted `'close'`.
pub async fn closed(stream: &impl StreamHandle) {
    let c = stream.control().inner;
    poll_fn(|cx| c.clone().poll_close(cx)).await
}

type Connect<T> = Box<dyn FnOnce(crate::pipe::PipeTarget<T>) + Send>;

/// A chain of streams being built for [`pipeline!`](crate::pipeline!):
/// `Pipeline::from(&src).pipe(&transform).to(&dest).await`.
pub struct Pipeline<T> {
    controls: Vec<Control>,
    connect: Connect<T>,
}

impl<T: Send + 'static> Pipeline<T> {
    /// Starts a chain at `src`.
    pub fn from<S: ReadableStream<T> + Clone>(src: &S) -> Pipeline<T> {
        let s = src.clone();
        Pipeline {
            controls: vec![src.control()],
            connect: Box::new(move |t| s.pipe_into(t, PipeOptions::default())),
        }
    }

    /// Adds a middle stream (a transform or duplex).
    pub fn pipe<U: Send + 'static, D>(self, next: &D) -> Pipeline<U>
    where
        D: WritableStream<T> + ReadableStream<U> + Clone,
    {
        (self.connect)(next.pipe_target());
        let mut controls = self.controls;
        controls.push(next.control());
        let n = next.clone();
        Pipeline {
            controls,
            connect: Box::new(move |t| n.pipe_into(t, PipeOptions::default())),
        }
    }

    /// Ends the chain at `dest` and runs it. Every stage is wired when this
    /// is called, before the future is polled (as Node's `pipeline()` wires
    /// at the call); the future resolves when every stream is done; on the
    /// first error, it destroys every stream with it and returns it.
    pub fn to<D: WritableStream<T> + StreamHandle>(
        self,
        dest: &D,
    ) -> impl Future<Output = Result<(), Error>> + Send + 'static {
        (self.connect)(dest.pipe_target());
        let mut controls = self.controls;
        controls.push(dest.control());
        run(controls)
    }
}

async fn run(controls: Vec<Control>) -> Result<(), Error> {
    let mut done = vec![false; controls.len()];
    let res = poll_fn(|cx| {
        for (i, c) in controls.iter().enumerate() {
            if done[i] {
                continue;
            }
            match c.inner.clone().poll_done(cx) {
                Poll::Ready(Ok(())) => done[i] = true,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => {}
            }
        }
        if done.iter().all(|d| *d) {
            Poll::Ready(Ok(()))
        } else {
            Poll::Pending
        }
    })
    .await;
    if let Err(e) = &res {
        for c in &controls {
            c.inner.clone().destroy_with(Some(e.clone()));
        }
    }
    res
}

/// Pipes `src` into `dest` and waits for both to be done; on an error,
/// destroys both and returns it. Node: `stream.pipeline(src, dest, cb)`.
/// Both are wired when this is called, before the future is polled.
pub fn pipeline<T, S, D>(src: &S, dest: &D) -> impl Future<Output = Result<(), Error>> + Send + 'static
where
    T: Send + 'static,
    S: ReadableStream<T> + Clone,
    D: WritableStream<T> + StreamHandle,
{
    Pipeline::from(src).to(dest)
}

/// Node's `pipeline(a, b, ..., z)`: pipes each stream into the next, resolves
/// when all are done, destroys all on the first error and returns it.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// use rt_stream::{pipeline, Readable, PassThrough, Writable, DuplexOptions, Buffer};
/// let src = Readable::from_iter(vec![Buffer::from("a"), Buffer::from("b")]);
/// let mid = PassThrough::objects::<Buffer>(DuplexOptions::default());
/// let dst = Writable::objects_from_fn(Default::default(), |_c: Buffer| Ok(()));
/// pipeline!(src, mid, dst).await.unwrap();
/// # });
/// ```
#[macro_export]
macro_rules! pipeline {
    ($src:expr, $($rest:expr),+ $(,)?) => {
        $crate::__pipeline_chain!($crate::Pipeline::from(&$src); $($rest),+)
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __pipeline_chain {
    ($p:expr; $last:expr) => { $p.to(&$last) };
    ($p:expr; $next:expr, $($rest:expr),+) => {
        $crate::__pipeline_chain!($p.pipe(&$next); $($rest),+)
    };
}
