//! The records behind a stream: both sides' state (Node's `ReadableState`
//! and `WritableState`), what they share, and the work deferred to the tick
//! queue. Only data and the traits it holds: the state machines that change
//! it are `impl` blocks of the core (`core.rs`, `readable_core.rs`,
//! `writable_core.rs`), which import this leaf, never the other way round.

use std::collections::VecDeque;
use std::task::Waker;

use crate::chunk::ChunkOps;
use crate::error::Error;
use crate::pipe_dest::PipeDest;

/// Work deferred to the stream's tick queue (Node's `process.nextTick`).
pub(crate) enum Tick {
    EmitReadable,
    MaybeReadMore,
    Resume,
    EndReadable,
    ReadZero,
    UpdateReadableListening,
    AfterWrite(Option<WriteCb>),
    OnWriteError(Error, Option<WriteCb>),
    FinishMaybe,
    Finish,
    ErrorBuffer,
    EmitErrorClose(Error),
    EmitClose,
    EmitError(Error),
    WriteCb(WriteCb, Result<(), Error>),
    EndCb(EndCb, Result<(), Error>),
    EndWritable,
    /// Node's `process.nextTick(f)` for work outside the state machine: a
    /// pipe added after its source's 'end' (`endFn` for that pipe alone),
    /// eos's and pipeline's deferred calls.
    Call(Box<dyn FnOnce() + Send>),
}

/// Both sides' state plus what they share (destruction, errors, ticks).
pub(crate) struct State<R, W> {
    pub(crate) r: Option<RState<R>>,
    pub(crate) w: Option<WState<W>>,
    pub(crate) destroyed: bool,
    pub(crate) closed: bool,
    pub(crate) close_emitted: bool,
    pub(crate) error_emitted: bool,
    pub(crate) errored: Option<Error>,
    pub(crate) auto_destroy: bool,
    pub(crate) emit_close: bool,
    pub(crate) allow_half_open: bool,
    /// The `destroy` option (Node's `_destroy` from the options).
    pub(crate) destroy_hook: Option<crate::destroy_hook::DestroyHook>,
    pub(crate) ticks: VecDeque<Tick>,
    pub(crate) tick_scheduled: bool,
    pub(crate) inline_pending: bool,
    pub(crate) flushing: bool,
    pub(crate) wakers: Vec<Waker>,
}

/// Turns pushed chunks into text chunks after `set_encoding` (Node's StringDecoder step).
pub(crate) trait Decode<R>: Send {
    fn write(&mut self, chunk: R) -> R;
    fn end(&mut self) -> Option<R>;
}

pub(crate) struct RState<R> {
    pub(crate) buffer: VecDeque<R>,
    pub(crate) length: usize,
    pub(crate) hwm: usize,
    pub(crate) ops: ChunkOps<R>,
    pub(crate) object_mode: bool,
    pub(crate) ended: bool,
    pub(crate) end_emitted: bool,
    pub(crate) reading: bool,
    pub(crate) sync: bool,
    pub(crate) need_readable: bool,
    pub(crate) emitted_readable: bool,
    pub(crate) readable_listening: bool,
    pub(crate) data_listening: bool,
    pub(crate) resume_scheduled: bool,
    pub(crate) has_paused: bool,
    pub(crate) paused: bool,
    pub(crate) flowing: Option<bool>,
    pub(crate) reading_more: bool,
    pub(crate) data_emitted: bool,
    pub(crate) decoder: Option<Box<dyn Decode<R>>>,
    pub(crate) encoding: Option<String>,
    pub(crate) pipes: Vec<PipeDest<R>>,
    pub(crate) await_drain: Vec<usize>,
    /// Node's `multiAwaitDrain`: `awaitDrainWriters` is a Set (set when a
    /// second pipe is added, cleared when a lone pipe pauses). A Set is
    /// truthy even when empty, which a pipe's cleanup tests.
    pub(crate) multi_await_drain: bool,
    pub(crate) chunk_clone: Option<fn(&R) -> R>,
    pub(crate) auto_destroy: bool,
    /// The delivery token: the thread handing chunks to `'data'` listeners
    /// and pipes, or emitting `'readable'`, right now. Node's code runs on
    /// one thread; on a multi-thread runtime only the holder delivers, so
    /// chunks leave in buffer order and a stream's `'readable'` listeners
    /// never run on two threads at once.
    pub(crate) emitting_on: Option<crate::thread_ident::ThreadId>,
    /// Another thread wanted to flow (or buffered a chunk) while the token
    /// was held: the holder flows again before it lets go.
    pub(crate) flow_again: bool,
    /// `'end'` was due while another thread was still delivering a chunk.
    pub(crate) end_again: bool,
    /// `'readable'` was due while another thread held the token: the holder
    /// emits it before it lets go.
    pub(crate) readable_again: bool,
}

/// A write's completion callback (Node's `write(chunk, cb)`).
pub(crate) type WriteCb = Box<dyn FnOnce(Result<(), Error>) + Send>;
/// An `end(cb)` callback.
pub(crate) type EndCb = Box<dyn FnOnce(Result<(), Error>) + Send>;

pub(crate) struct Entry<W> {
    pub(crate) chunk: W,
    pub(crate) cb: Option<WriteCb>,
}

pub(crate) struct WState<W> {
    pub(crate) buffered: VecDeque<Entry<W>>,
    pub(crate) length: usize,
    pub(crate) hwm: usize,
    pub(crate) ops: ChunkOps<W>,
    pub(crate) object_mode: bool,
    pub(crate) writing: bool,
    pub(crate) writelen: usize,
    pub(crate) writecb: Option<WriteCb>,
    pub(crate) sync: bool,
    pub(crate) corked: u32,
    pub(crate) ending: bool,
    pub(crate) ended: bool,
    pub(crate) finished: bool,
    pub(crate) final_called: bool,
    pub(crate) prefinished: bool,
    pub(crate) need_drain: bool,
    pub(crate) buffer_processing: bool,
    pub(crate) after_write_pending: bool,
    pub(crate) pendingcb: i64,
    pub(crate) on_finished: Vec<EndCb>,
    pub(crate) has_writev: bool,
    pub(crate) auto_destroy: bool,
    pub(crate) completed: u64,
    pub(crate) default_encoding: rt_buffer::Encoding,
    /// Node's `decodeStrings` (read by `Writable<EncodedChunk>`'s string writes).
    pub(crate) decode_strings: bool,
}
