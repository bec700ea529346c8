//! [`PipeSource`]: the source stream a `'pipe'` / `'unpipe'` listener
//! receives (Node: `dest.on('pipe', (src) => ..)`). A leaf: the stream core
//! implements [`SourceOps`] in `pipe.rs`.

use std::any::Any;
use std::sync::Arc;

use crate::error::Error;

/// What a [`PipeSource`] can do with the stream behind it, whatever its
/// chunk types (implemented by every stream core).
pub(crate) trait SourceOps: Send + Sync + 'static {
    /// The core's address: the stream's identity.
    fn source_id(&self) -> usize;
    /// The core as `Arc<Core<R, W>>`, for the handles' `from_pipe_source`.
    fn core_any(self: Arc<Self>) -> Arc<dyn Any + Send + Sync>;
    fn type_name(&self) -> &'static str;
    fn pause(self: Arc<Self>);
    fn resume(self: Arc<Self>);
    fn is_paused(&self) -> bool;
    fn readable_flowing(&self) -> Option<bool>;
    fn readable_length(&self) -> usize;
    fn readable_ended(&self) -> bool;
    fn unpipe(self: Arc<Self>, dest: Option<usize>);
    fn destroy(self: Arc<Self>, err: Option<Error>);
    fn destroyed(&self) -> bool;
    /// Adds a payload-less listener for the event named `name` (a stream
    /// event); returns the stream's listener id.
    fn listen(self: Arc<Self>, name: &'static str, once: bool, f: Box<dyn Fn() + Send + Sync>) -> u64;
    fn listen_error(&self, f: Box<dyn Fn(&Error) + Send + Sync>) -> u64;
    fn unlisten(self: Arc<Self>, id: u64);
    fn count(&self, name: &str) -> usize;
}

/// The source stream of a pipe, as the destination's `'pipe'` and
/// `'unpipe'` listeners receive it (Node: `dest.emit('pipe', src)`).
///
/// It is a handle on the source itself, whatever its type (a
/// [`Readable`](crate::Readable), a [`Duplex`](crate::Duplex) or
/// transform, rt-net's `Socket`): it compares equal to the source
/// (`src == readable`, [`is`](Self::is)), works as that stream (pause,
/// resume, unpipe, destroy, listeners, state), and converts back to the
/// concrete handle with [`Readable::from_pipe_source`](crate::Readable::from_pipe_source)
/// / [`Duplex::from_pipe_source`](crate::Duplex::from_pipe_source) when the chunk
/// types match.
///
/// ```
/// use rt_stream::{PipeSource, Readable, ReadableOptions, Writable, WritableOptions, NullSink};
/// use std::sync::{Arc, Mutex};
/// let src = Readable::new(ReadableOptions::default());
/// let dest = Writable::new(NullSink, WritableOptions::default());
/// let seen: Arc<Mutex<Option<PipeSource>>> = Arc::default();
/// let s = seen.clone();
/// dest.on_pipe(move |from| *s.lock().unwrap() = Some(from.clone()));
/// src.pipe(&dest);
/// let from = seen.lock().unwrap().take().unwrap();
/// assert!(from == src); // Node: src === readable
/// from.unpipe(Some(&dest)); // Node: src.unpipe(this)
/// assert!(Readable::<rt_stream::Buffer>::from_pipe_source(&from).unwrap().same_stream(&src));
/// ```
#[derive(Clone)]
#[doc(alias = "pipe")]
pub struct PipeSource {
    pub(crate) inner: Arc<dyn SourceOps>,
}

impl std::fmt::Debug for PipeSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PipeSource({})", self.inner.type_name())
    }
}

impl PartialEq for PipeSource {
    fn eq(&self, other: &Self) -> bool {
        self.inner.source_id() == other.inner.source_id()
    }
}

impl Eq for PipeSource {}

impl std::hash::Hash for PipeSource {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.inner.source_id().hash(state);
    }
}

impl PipeSource {
    /// The stream's type name (`"Readable"`, `"Duplex"`, or the owner's,
    /// `"Socket"`). Node: `src.constructor.name`.
    pub fn type_name(&self) -> &'static str {
        self.inner.type_name()
    }

    /// Switches the source out of flowing mode. Node: `src.pause()`.
    pub fn pause(&self) {
        self.inner.clone().pause();
    }

    /// Switches the source into flowing mode. Node: `src.resume()`.
    pub fn resume(&self) {
        self.inner.clone().resume();
    }

    /// Node: `src.isPaused()`.
    #[doc(alias = "isPaused")]
    pub fn is_paused(&self) -> bool {
        self.inner.is_paused()
    }

    /// Node: `src.readableFlowing`.
    #[doc(alias = "readableFlowing")]
    pub fn readable_flowing(&self) -> Option<bool> {
        self.inner.readable_flowing()
    }

    /// Node: `src.readableLength`.
    #[doc(alias = "readableLength")]
    pub fn readable_length(&self) -> usize {
        self.inner.readable_length()
    }

    /// Node: `src.readableEnded`.
    #[doc(alias = "readableEnded")]
    pub fn readable_ended(&self) -> bool {
        self.inner.readable_ended()
    }

    /// Destroys the source. Node: `src.destroy(err)`.
    pub fn destroy(&self, err: Option<Error>) {
        self.inner.clone().destroy(err);
    }

    /// Node: `src.destroyed`.
    pub fn destroyed(&self) -> bool {
        self.inner.destroyed()
    }
}
