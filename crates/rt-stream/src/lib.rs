//! # rt-stream — Node.js's `stream` module, in Rust
//!
//! Node v20's streams — [`Readable`], [`Writable`], [`Duplex`], [`Transform`],
//! [`PassThrough`] — with Node's buffering, backpressure, modes, events and
//! error codes, checked step by step against `node` by a differential test.
//! Byte streams carry [`Buffer`]s (rt-buffer); object streams carry any `T`.
//!
//! ## Design
//! - **Handles share one state machine.** A stream is an `Arc` around its
//!   state; cloning a handle is cheap and every clone (the source, a pipe's
//!   destination, listeners) sees the same stream. All types are `Send + Sync`.
//! - **Node's algorithm, ported.** The readable and writable state machines
//!   follow `lib/internal/streams/readable.js` / `writable.js` of Node v20
//!   decision for decision (`needReadable`, `pendingcb`, `afterWriteTick`...).
//!   User code (listeners, the implementor's hooks) never runs with the
//!   state locked, so re-entrancy (a `'data'` listener that pauses, a
//!   `'drain'` listener that writes) works as in Node.
//! - **`process.nextTick`.** Work Node defers to `nextTick` is queued on a
//!   per-thread FIFO drained by one task on the tokio runtime (outside a
//!   runtime: run before the call returns). After each step has settled,
//!   the events and return values are Node's, in Node's order.
//! - **Implementing a stream** means implementing [`Source`] (`_read`) or
//!   [`Sink`] (`_write`, `_writev`, `_final`, `_destroy`). A sink's write
//!   returns a [`WriteOutcome`]: `Done` is the synchronous fast path (no
//!   allocation, no task), `Pending(future)` and `Deferred` the slow ones.
//!   Closures work too (`Writable::from_fn`, `from_async_fn`, `Transform::new`).
//! - **Two faces, one state.** Node's events (`on_data`, `on(StreamEvent::End, ..)`)
//!   and an async pull face (`read().await`, `write_all().await`,
//!   [`finished`], [`pipeline!`]) read the same state in the same order.
//! - **pipe without events on the hot path.** `pipe` keeps Node's protocol
//!   (pause on `false`, resume on `'drain'`, end, unpipe) but the source calls
//!   the destination's `write` directly where Node emits `'data'`: a chunk
//!   goes from `push` to the sink in one call chain.
//! - **rt-events.** Every handle also is an [`rt_events::Emitter`]
//!   (`stream.emitter()`), keyed by the statics in [`events`] (`events::END`,
//!   `events::DATA`...), with Node's side effects for `'data'` / `'readable'`.
//!   The typed `on_data` / `on(StreamEvent)` methods are the fast path and work
//!   for object-mode payloads of any type.
//! - **Errors** are [`Error`] values with Node's `code()`; an `'error'`
//!   nobody listens to stays on the stream (`errored()`) and is returned by
//!   every async face, never dropped.
//!
//! ## Node API -> rt
//!
//! | Node | rt |
//! | --- | --- |
//! | `new Readable({ read })`, `readable.push(chunk / null)` | [`Readable::from_source`], [`Readable::new`], [`Readable::push`], [`Readable::push_end`], [`Pusher`] |
//! | `new Readable({ objectMode: true })` | [`Readable::objects`], [`Readable::objects_from_source`] |
//! | `Readable.from(iterable / asyncIterable)` | [`Readable::from_iter`], [`Readable::from_stream`] |
//! | `readable.read(size)` | [`Readable::read_now`] |
//! | `for await (const chunk of readable)` | [`Readable::read`]`.await`, `futures_core::Stream` |
//! | `readable.on('data' / 'end' / ...)` | [`Readable::on_data`], [`Readable::on`] + [`StreamEvent`], [`Readable::on_error`]; or `readable.emitter().on(&events::END, ..)` |
//! | `pause / resume / isPaused / unshift / setEncoding` | [`Readable::pause`], [`Readable::resume`], [`Readable::is_paused`], [`Readable::unshift`], [`Readable::set_encoding`] |
//! | `readableLength / readableFlowing / readableEnded` | [`Readable::readable_length`], [`Readable::readable_flowing`], [`Readable::readable_ended`] |
//! | `new Writable({ write, writev, final, destroy })` | [`Writable::new`] + [`Sink`], [`Writable::from_fn`], [`Writable::from_async_fn`] |
//! | `writable.write(chunk[, cb])` | [`Writable::write`] (`Result<bool>`), [`Writable::write_cb`], [`Writable::write_all`]`.await` |
//! | `writable.end([chunk][, cb])` | [`Writable::end`], [`Writable::end_with`], [`Writable::end_cb`], [`Writable::end_and_wait`] |
//! | `cork / uncork` | [`Writable::cork`], [`Writable::uncork`] |
//! | `write(string[, enc])`, `setDefaultEncoding` | [`Writable::write_str`], [`Writable::write_str_in`], [`Writable::set_default_encoding`] |
//! | `fs.createReadStream / createWriteStream` | [`fs::create_read_stream`], [`fs::create_write_stream`] |
//! | `Readable.from(asyncRead)` / `AsyncRead`, `AsyncWrite`, `Stream`, `Sink` | [`Readable::from_async_read`], [`Writable::from_async_write`], [`Readable::into_async_read`]; `Writable` is `AsyncWrite` and `Sink`, `Readable` is `Stream` |
//! | `writableLength / writableNeedDrain / writableFinished` | [`Writable::writable_length`], [`Writable::writable_need_drain`], [`Writable::writable_finished`] |
//! | `stream.destroy(err)` | `destroy(Some(err))` on every handle |
//! | `new Duplex(...)` | [`Duplex::new`], [`DuplexOptions`] (`allow_half_open`) |
//! | `new Transform({ transform, flush })` | [`Transform::new`], [`Transform::with_flush`], [`Transform::objects`] |
//! | `new PassThrough()` | [`PassThrough::new`] |
//! | `readable.pipe(dest[, { end }])`, `unpipe` | [`Readable::pipe`], [`Readable::pipe_with`], [`Readable::unpipe`] |
//! | `pipeline(a, b, c, cb)` | [`pipeline!`]`(a, b, c).await`, [`pipeline()`] |
//! | `finished(stream, cb)` | [`finished`]`(&stream).await` |
//! | `err.code` | [`Error::code`] |
//! | `stream.on('end', ..)`, `stream.listenerCount('end')`, `eventNames()` | `Emitter::on(&stream, &`[`events::END`]`, ..)`, `Emitter::listener_count`, `Emitter::event_names` ([`rt_events::Emitter`]) |
//! | `await events.once(stream, 'end')` | [`rt_events::once`]`(&stream, &events::END).await` |
//!
//! ## Example
//!
//! ```js
//! const { Readable, Transform, Writable, pipeline } = require('stream');
//! const src = Readable.from(['a', 'b', 'c']);
//! const upper = new Transform({ objectMode: true,
//!   transform(s, _, cb) { cb(null, s.toUpperCase()); } });
//! const out = [];
//! const sink = new Writable({ objectMode: true, write(s, _, cb) { out.push(s); cb(); } });
//! pipeline(src, upper, sink, (err) => console.log(err, out)); // undefined [ 'A', 'B', 'C' ]
//! ```
//!
//! ```
//! use rt_stream::{pipeline, Readable, Transform, Writable, DuplexOptions, Pusher};
//! use std::sync::{Arc, Mutex};
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! let src = Readable::from_iter(["a", "b", "c"].map(String::from));
//! let upper = Transform::objects(DuplexOptions::default(), |s: String, push: &Pusher<String>| {
//!     push.push(s.to_uppercase());
//!     Ok(())
//! });
//! let out = Arc::new(Mutex::new(Vec::new()));
//! let o = out.clone();
//! let sink = Writable::objects_from_fn(Default::default(), move |s: String| {
//!     o.lock().unwrap().push(s);
//!     Ok(())
//! });
//! pipeline!(src, upper, sink).await?;
//! assert_eq!(*out.lock().unwrap(), ["A", "B", "C"]);
//! # Ok::<(), rt_stream::Error>(())
//! # }).unwrap();
//! ```
#![forbid(unsafe_code)]

mod async_face;
mod bridge;
mod chunk;
mod core;
mod duplex;
pub mod errno;
mod error;
pub mod events;
mod from;
pub mod fs;
mod listeners;
mod methods;
mod pipe;
mod pipeline;
mod readable;
mod readable_core;
mod tick;
mod transform;
mod writable;
mod writable_core;

pub use crate::bridge::StreamReader;
pub use crate::duplex::{Duplex, DuplexOptions, NullSink};
pub use crate::error::Error;
pub use crate::listeners::{ListenerId, StreamEvent};
pub use crate::pipe::{PipeOptions, PipeTarget, WritableStream};
pub use crate::pipeline::{Control, Pipeline, ReadableStream, StreamHandle, closed, finished, pipeline};
pub use crate::readable::{
    DEFAULT_HIGH_WATER_MARK, DEFAULT_OBJECT_HIGH_WATER_MARK, Pusher, Readable, ReadableOptions, Source, Void,
};
pub use crate::transform::{PassThrough, Transform};
pub use crate::writable::{Completion, Deferred, Sink, Writable, WritableOptions, WriteFuture, WriteOutcome};
pub use rt_buffer::Buffer;
