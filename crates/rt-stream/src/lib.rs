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
//! - **Errors** are [`Error`] values with Node's `code()` (typed: [`Code`])
//!   and every field Node puts on its errors (`errno`, `syscall`, `address`,
//!   `port`, `path`...). It is rt's one error type: rt-net and the crates
//!   above report it too, so a socket's error reaches a stream's `errored()`
//!   and an `io::Error` whole. An `'error'` nobody listens to stays on the
//!   stream (`errored()`) and is returned by every async face, never dropped.
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
//! | `readableAborted / readableDidRead` | [`Readable::readable_aborted`], [`Readable::readable_did_read`] |
//! | `new Writable({ write, writev, final, destroy })` | [`Writable::new`] + [`Sink`], [`Writable::from_fn`], [`Writable::from_async_fn`] |
//! | `writable.write(chunk[, cb])` | [`Writable::write`] (`Result<bool>`), [`Writable::write_cb`], [`Writable::write_all`]`.await` |
//! | `writable.end([chunk][, cb])` | [`Writable::end`], [`Writable::end_with`], [`Writable::end_cb`], [`Writable::end_and_wait`] |
//! | `cork / uncork` | [`Writable::cork`], [`Writable::uncork`] |
//! | `write(string[, enc])`, `setDefaultEncoding` | [`Writable::write_str`], [`Writable::write_str_in`], [`Writable::set_default_encoding`] |
//! | `new Writable({ decodeStrings: false, write(chunk, encoding, cb) })` | [`Writable::encoded`] with [`WritableOptions::decode_strings`]`(false)`: the sink gets [`EncodedChunk`]s (a string with its encoding, or bytes) |
//! | `new Duplex / Transform({ decodeStrings: false, write / transform(chunk, encoding, cb) })` | [`Duplex::encoded`], [`Transform::encoded`] with [`DuplexOptions::decode_strings`]`(false)` |
//! | `writable.on('pipe' / 'unpipe', (src) => ..)` | [`Writable::on_pipe`], [`Writable::on_unpipe`] (or `&events::PIPE`): the source as a [`PipeSource`] |
//! | `fs.createReadStream / createWriteStream` | [`fs::create_read_stream`], [`fs::create_write_stream`] |
//! | `Readable.from(asyncRead)` / `AsyncRead`, `AsyncWrite`, `Stream`, `Sink` | [`Readable::from_async_read`], [`Writable::from_async_write`], [`Readable::into_async_read`]; `Writable` is `AsyncWrite` and `Sink`, `Readable` is `Stream` |
//! | `writableLength / writableNeedDrain / writableFinished` | [`Writable::writable_length`], [`Writable::writable_need_drain`], [`Writable::writable_finished`] |
//! | `stream.destroy(err)` | `destroy(Some(err))` on every handle |
//! | `new Readable / Writable / Duplex / Transform({ destroy(err, cb) })` | the `destroy` option: [`DestroyHook`] (its [`DestroyCallback`] may be called later) |
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
//!
//! ## How a new stream type is written
//!
//! A type *is* a stream when it implements [`StreamBase`] (one accessor,
//! [`stream_core`](StreamBase::stream_core), returning the stream's
//! [`StreamCore`]) and the side traits it has: [`ReadableSide`],
//! [`WritableSide`], or both for a duplex. Every stream method (`push`,
//! `read`, `pause`, `resume`, `pipe`, `set_encoding`, `write`, `end`,
//! `cork`, `destroy`, `on`...) is a provided method over that accessor, as
//! rt-events' [`Emitter`](rt_events::Emitter) provides its methods over
//! `emitter()`. So a type extends a stream instead of wrapping one:
//!
//! - **one core, one emitter.** Build the core with the constructor of the
//!   closest stream ([`Duplex::new`], [`Readable::from_source`],
//!   [`Writable::new`]) around your [`Source`] / [`Sink`] and keep its
//!   `stream_core()`. The stream's emitter is the type's emitter: emit your
//!   own events (`'line'`, a socket's `'connect'`) on it, and
//!   [`impl_emitter!`] makes the type an [`Emitter`](rt_events::Emitter)
//!   with the stream's rules. Never forward events from an inner stream.
//! - **your state next to the stream's.** Keep what the type adds (a
//!   socket's connection and addresses, a response's headers) beside the
//!   core, and ask the core for what it knows (`destroyed()`,
//!   `readable_ended()`, `errored()`): never mirror it.
//! - **hooks, not listeners,** for what the type adds around the stream's
//!   events: [`StreamHooks`] (`close(had_error)`, `end`, `error`, `piped`),
//!   set once with [`StreamBase::set_hooks`]. A socket emits its own
//!   `'close'(had_error)` from the `close` hook.
//! - **one shape.** [`stream_methods!`], [`readable_methods!`] and
//!   [`writable_methods!`] give the type every trait method as an inherent
//!   one, so callers need no import, `on` takes both a [`StreamEvent`] and an
//!   rt-events key even with `Emitter` in scope, and a method has the same
//!   signature on every stream (`write` -> `Result<bool>`, `pipe(&dest)` ->
//!   `dest`, `destroy(Option<Error>)`). The blanket impls make the type
//!   pipeable and usable in [`pipeline!`] and [`finished`].
//!
//! Names: the traits are `StreamBase`, `ReadableSide` and `WritableSide` so
//! that the structs [`Readable`], [`Writable`] and [`Duplex`] keep their
//! Node names (`ReadableStream` / `WritableStream` already name the
//! "can be piped from / into" traits that every side gets by a blanket impl).
//! [`prelude`] imports the three traits for generic code.
//!
//! For what comes next: rt-http's `IncomingMessage` is a [`ReadableSide`]
//! over a core fed by its connection's parser (its own state: headers,
//! method, url; its own events: `'aborted'`), `ServerResponse` a
//! [`WritableSide`] whose [`Sink`] frames the body and whose own state is
//! its headers (`set_header` next to `write`), and a child's stdio pipes are
//! a [`Readable`] / [`Writable`] over the fd pump — each with one emitter.
//!
//! ### Worked example: a line splitter
//!
//! A duplex that takes bytes, hands out each complete line as a chunk, and
//! also emits its own `'line'` event with the text:
//!
//! ```
//! use std::sync::{Arc, Mutex, Weak};
//! use rt_events::{Emitter, Event};
//! use rt_stream::{
//!     events, Buffer, Duplex, DuplexOptions, Pusher, ReadableSide, Sink, StreamBase, StreamCore,
//!     StreamEvent, WritableSide, WriteOutcome,
//! };
//!
//! /// `'line'`: one line of the input, without its `\n`.
//! static LINE: Event<String> = Event::new("line");
//!
//! #[derive(Clone)]
//! struct LineSplitter {
//!     inner: Arc<Inner>,
//! }
//!
//! struct Inner {
//!     core: Arc<StreamCore<Buffer, Buffer>>, // the stream: state machines + the one emitter
//!     partial: Mutex<Vec<u8>>,               // the splitter's own state, next to it
//! }
//!
//! impl StreamBase for LineSplitter {
//!     type Read = Buffer;
//!     type Write = Buffer;
//!     fn stream_core(&self) -> &Arc<StreamCore<Buffer, Buffer>> {
//!         &self.inner.core
//!     }
//! }
//! impl ReadableSide for LineSplitter {}
//! impl WritableSide for LineSplitter {}
//! rt_stream::impl_emitter!(LineSplitter);
//!
//! impl LineSplitter {
//!     rt_stream::stream_methods!();
//!     rt_stream::readable_methods!();
//!     rt_stream::writable_methods!();
//!
//!     fn new() -> Self {
//!         let inner = Arc::new_cyclic(|weak: &Weak<Inner>| Inner {
//!             // `_write` / `_final` of the splitter; the readable side is fed by `push`.
//!             core: Duplex::new(DuplexOptions::default(), None::<fn(usize, &Pusher<Buffer>)>, Some(Split(weak.clone())))
//!                 .stream_core()
//!                 .clone(),
//!             partial: Mutex::new(Vec::new()),
//!         });
//!         LineSplitter { inner }
//!     }
//!
//!     fn line(&self, line: Vec<u8>) {
//!         let text = String::from_utf8_lossy(&line).into_owned();
//!         self.push(format!("{text}\n")); // the readable side...
//!         self.emit(&LINE, text); // ...and the splitter's own event, on the same emitter
//!     }
//! }
//!
//! struct Split(Weak<Inner>);
//!
//! impl Sink<Buffer> for Split {
//!     fn write(&mut self, chunk: Buffer) -> WriteOutcome {
//!         let Some(inner) = self.0.upgrade() else { return WriteOutcome::ok() };
//!         let s = LineSplitter { inner };
//!         let lines: Vec<Vec<u8>> = {
//!             let mut partial = s.inner.partial.lock().unwrap();
//!             partial.extend_from_slice(&chunk);
//!             let mut lines = Vec::new();
//!             while let Some(i) = partial.iter().position(|&b| b == b'\n') {
//!                 let rest = partial.split_off(i + 1);
//!                 partial.pop(); // the '\n'
//!                 lines.push(std::mem::replace(&mut *partial, rest));
//!             }
//!             lines
//!         };
//!         for l in lines {
//!             s.line(l);
//!         }
//!         WriteOutcome::ok()
//!     }
//!
//!     // `_final`: the last line may have no '\n'; then the readable side ends.
//!     fn finish(&mut self) -> Option<WriteOutcome> {
//!         let s = LineSplitter { inner: self.0.upgrade()? };
//!         let rest = std::mem::take(&mut *s.inner.partial.lock().unwrap());
//!         if !rest.is_empty() {
//!             s.line(rest);
//!         }
//!         s.push_end();
//!         Some(WriteOutcome::ok())
//!     }
//! }
//!
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! let s = LineSplitter::new();
//! let lines = Arc::new(Mutex::new(Vec::new()));
//! let l = lines.clone();
//! s.on(&LINE, move |line: &String| l.lock().unwrap().push(line.clone())); // its own event
//! let ended = Arc::new(Mutex::new(false));
//! let e = ended.clone();
//! s.on(StreamEvent::End, move || *e.lock().unwrap() = true); // a stream event, same emitter
//! let finished = rt_events::once(&s, &events::FINISH);
//!
//! s.write("one\ntw")?;
//! s.write("o\nthree")?;
//! s.end()?;
//! finished.await.expect("'finish'");
//! assert_eq!(*lines.lock().unwrap(), ["one", "two", "three"]);
//!
//! // The readable side carries the same lines; it is a stream like any other.
//! let out: Vec<u8> = s.read_all().await?.iter().flat_map(|c| c.to_vec()).collect();
//! assert_eq!(out, b"one\ntwo\nthree\n");
//! rt_stream::finished(&s).await?; // 'end' and 'finish' both happened
//! assert!(*ended.lock().unwrap());
//! assert_eq!(s.listener_count(&LINE), 1);
//! # Ok::<(), rt_stream::Error>(())
//! # }).unwrap();
//! ```
#![forbid(unsafe_code)]

#[macro_use]
mod setters;

mod async_face;
mod bridge;
mod chunk;
mod control;
mod core;
mod counter_cells;
mod destroy_hook;
/// Counters that tests and profiling read (not part of the API).
#[doc(hidden)]
pub mod counters {
    pub use crate::counter_cells::*;
    pub use crate::tick::idle_drainers_here as idle_drainers;
}
mod duplex;
mod encoded;
mod eos;
pub mod errno;
mod error;
mod event_key;
pub mod events;
mod fast_write;
mod from;
pub mod fs;
mod hooks;
mod listeners;
mod locking;
mod methods;
mod pipe;
mod pipe_dest;
mod pipe_source;
mod pipeline;
mod readable;
mod readable_core;
mod readable_side;
pub mod runtime;
mod sink;
mod source;
mod state;
mod stream;
mod thread_ident;
mod tick;
mod transform;
mod writable;
mod writable_core;
mod writable_side;

pub use crate::bridge::StreamReader;
pub use crate::control::{Control, ReadableStream, StreamHandle};
pub use crate::core::Core as StreamCore;
pub use crate::destroy_hook::{DestroyCallback, DestroyHook};
pub use crate::duplex::{Duplex, DuplexOptions, NullSink};
pub use crate::encoded::EncodedChunk;
pub use crate::error::{Code, Error};
pub use crate::event_key::EventKey;
pub use crate::hooks::StreamHooks;
pub use crate::listeners::{ListenerId, Named, StreamEvent};
#[doc(hidden)]
pub use crate::methods::__emitter_support;
pub use crate::pipe::{PipeOptions, PipeTarget, WritableStream};
pub use crate::pipe_source::PipeSource;
pub use crate::pipeline::{Pipeline, closed, finished, pipeline};
pub use crate::readable::{
    DEFAULT_HIGH_WATER_MARK, DEFAULT_OBJECT_HIGH_WATER_MARK, Readable, ReadableOptions, Void,
};
pub use crate::readable_side::ReadableSide;
pub use crate::sink::{Completion, Deferred, Sink, WriteFuture, WriteOutcome};
pub use crate::source::{Pusher, Source};
pub use crate::stream::StreamBase;
pub use crate::transform::{PassThrough, Transform};
pub use crate::writable::{Writable, WritableOptions};
pub use crate::writable_side::WritableSide;
pub use rt_buffer::Buffer;

/// The stream traits, for generic code over any stream:
/// `use rt_stream::prelude::*`.
pub mod prelude {
    pub use crate::{ReadableSide, StreamBase, WritableSide};
}
