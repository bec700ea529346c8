//! [`Source`]: what an implementor of a readable stream provides, and the
//! [`Pusher`] it pushes through (a leaf: the stream core holds a `Source`
//! and hands out pushers without this file knowing the core).

use std::sync::Arc;

use crate::error::Error;
use rt_buffer::Buffer;

/// What an implementor of a readable stream provides: Node's `_read` and `_destroy`.
///
/// `read` is called when the stream wants more data (its buffer is below the
/// high-water mark and no read is outstanding). Push chunks with
/// [`Pusher::push`] now or later (clone the pusher into a task), and the end
/// with [`Pusher::push_end`]; `read` is not called again until something was pushed.
pub trait Source<T>: Send + 'static {
    /// Node's `_read(size)`: produce data, pushing it through `push`.
    fn read(&mut self, size: usize, push: &Pusher<T>);

    /// Node's `_destroy(err, cb)`: release resources; return the error to report.
    fn destroy(&mut self, err: Option<Error>) -> Option<Error> {
        err
    }

    /// Whether the source pushes on its own whenever it has data and keeps
    /// pushing while `push` returns `true` (a socket's reader), so `read`
    /// is only needed to restart it after a `push` returned `false`. The
    /// stream then skips Node's `maybeReadMore` step (a deferred `read(0)`
    /// after each chunk), which would only tell such a source what it
    /// already does. Default `false`: `read` is called as in Node.
    fn push_driven(&self) -> bool {
        false
    }
}

impl<T, F> Source<T> for F
where
    F: FnMut(usize, &Pusher<T>) + Send + 'static,
{
    fn read(&mut self, size: usize, push: &Pusher<T>) {
        self(size, push)
    }
}

pub(crate) trait PushTarget<T>: Send + Sync {
    fn push_chunk(self: Arc<Self>, chunk: Option<T>) -> bool;
    /// `push_chunk` of a string's UTF-8 bytes (Node: `push(string)`).
    fn push_text(self: Arc<Self>, chunk: T) -> bool;
    fn destroy_from_source(self: Arc<Self>, err: Option<Error>);
    fn can_push(&self) -> bool;
}

/// The handle a [`Source`] pushes through (Node's `this.push` inside `_read`).
/// Cheap to clone and `Send`: keep one in a task to push later.
pub struct Pusher<T> {
    target: Arc<dyn PushTarget<T>>,
}

impl<T> Clone for Pusher<T> {
    fn clone(&self) -> Self {
        Pusher {
            target: self.target.clone(),
        }
    }
}

impl<T: Send + 'static> Pusher<T> {
    pub(crate) fn new(target: Arc<dyn PushTarget<T>>) -> Pusher<T> {
        Pusher { target }
    }

    /// Pushes a chunk; `false` asks the source to stop until `read` is called again.
    /// Node: `readable.push(chunk)`.
    pub fn push(&self, chunk: impl Into<T>) -> bool {
        self.target.clone().push_chunk(Some(chunk.into()))
    }

    /// Pushes a string: its UTF-8 bytes, or the string as it is on a
    /// stream decoding UTF-8 (see [`Readable::push_str`](crate::Readable::push_str)).
    /// Node: `this.push(string)`.
    #[doc(alias = "push")]
    pub fn push_str(&self, s: &str) -> bool
    where
        T: From<Buffer>,
    {
        self.target.clone().push_text(T::from(Buffer::from(s)))
    }

    /// Pushes the end of the data. Node: `readable.push(null)`.
    #[doc(alias = "push")]
    pub fn push_end(&self) {
        self.target.clone().push_chunk(None);
    }

    /// Destroys the stream (a failing source: `destroy(err)`).
    pub fn destroy(&self, err: Option<Error>) {
        self.target.clone().destroy_from_source(err);
    }

    /// Whether a push now would be accepted below the high-water mark.
    pub fn wants_more(&self) -> bool {
        self.target.can_push()
    }
}
