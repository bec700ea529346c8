//! The stream events as rt-events keys, for the [`rt_events::Emitter`] face.
//!
//! Every stream also is an rt-events emitter: `stream.emitter()` (or the
//! [`Emitter`](rt_events::Emitter) trait, implemented by every handle) takes
//! listeners keyed by these statics, with Node's side effects (a `'data'`
//! listener starts the flow, a `'readable'` listener switches to paused mode).
//!
//! ```
//! use rt_events::Emitter;
//! use rt_stream::{events, Readable, ReadableOptions};
//! use std::sync::{Arc, Mutex};
//! // readable.on('data', c => got.push(c)); readable.on('end', () => ...)
//! let r = Readable::new(ReadableOptions::default());
//! let got = Arc::new(Mutex::new(Vec::new()));
//! let g = got.clone();
//! r.emitter().on(&events::DATA, move |c| g.lock().unwrap().extend_from_slice(c));
//! r.push("hi");
//! r.push_end();
//! assert_eq!(&got.lock().unwrap()[..], b"hi");
//! assert_eq!(Emitter::listener_count(&r, &events::DATA), 1);
//! ```
//!
//! The emitter face carries every event of every stream, and `'data'` of
//! byte streams (object-mode data is on `on_data`). Listeners added through
//! `on_*` run before the ones added through the emitter.

use rt_buffer::Buffer;
use rt_events::Event;

use crate::error::Error;

/// `'data'` of a byte stream.
pub static DATA: Event<Buffer> = Event::new("data");
/// `'end'`.
pub static END: Event<()> = Event::new("end");
/// `'readable'`.
pub static READABLE: Event<()> = Event::new("readable");
/// `'pause'`.
pub static PAUSE: Event<()> = Event::new("pause");
/// `'resume'`.
pub static RESUME: Event<()> = Event::new("resume");
/// `'close'`.
pub static CLOSE: Event<()> = Event::new("close");
/// `'error'`.
pub static ERROR: Event<Error> = Event::new("error");
/// `'drain'`.
pub static DRAIN: Event<()> = Event::new("drain");
/// `'finish'`.
pub static FINISH: Event<()> = Event::new("finish");
/// `'prefinish'`.
pub static PREFINISH: Event<()> = Event::new("prefinish");
/// `'pipe'`.
pub static PIPE: Event<()> = Event::new("pipe");
/// `'unpipe'`.
pub static UNPIPE: Event<()> = Event::new("unpipe");
