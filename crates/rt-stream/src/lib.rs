//! # rt-stream — Node.js's `stream` module, in Rust
#![forbid(unsafe_code)]

mod async_face;
mod buffer;
mod chunk;
mod core;
mod duplex;
mod error;
mod from;
mod listeners;
mod methods;
mod pipe;
mod pipeline;
mod readable;
mod readable_core;
mod transform;
mod writable;
mod writable_core;

pub use crate::buffer::Buffer;
pub use crate::duplex::{Duplex, DuplexOptions, NullSink};
pub use crate::error::Error;
pub use crate::listeners::{ListenerId, StreamEvent};
pub use crate::pipe::{PipeOptions, PipeTarget, WritableStream};
pub use crate::pipeline::{closed, finished, pipeline, Control, Pipeline, ReadableStream, StreamHandle};
pub use crate::readable::{
    Pusher, Readable, ReadableOptions, Source, Void, DEFAULT_HIGH_WATER_MARK,
    DEFAULT_OBJECT_HIGH_WATER_MARK,
};
pub use crate::transform::{PassThrough, Transform};
pub use crate::writable::{
    Completion, Deferred, Sink, Writable, WritableOptions, WriteFuture, WriteOutcome,
};
