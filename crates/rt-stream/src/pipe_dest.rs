//! What a source's readable state keeps of each pipe destination: the
//! destination as a [`Target`] (writes, `end`, its listeners) and the
//! listeners the pipe put on it. A leaf, below the stream core.

use std::sync::Arc;

use crate::error::Error;
use crate::listeners::{ListenerId, StreamEvent};
use crate::pipe_source::PipeSource;

/// A pipe destination, as the source's state machine calls it.
pub(crate) trait Target<T>: Send + Sync {
    fn write_chunk(self: Arc<Self>, chunk: T) -> Result<bool, Error>;
    fn end_writable(self: Arc<Self>);
    /// `'pipe'` (`added`) / `'unpipe'` with the source.
    fn emit_piping(&self, added: bool, src: &PipeSource);
    fn needs_drain(&self) -> bool;
    /// The writable state's own `needDrain` (not the getter's: true even
    /// when ending or destroyed).
    fn need_drain_raw(&self) -> bool;
    fn listen(&self, ev: StreamEvent, once: bool, f: Arc<dyn Fn() + Send + Sync>) -> ListenerId;
    /// Adds pipe's `'error'`, `'close'` and `'finish'` listeners (Node's
    /// onerror, onclose, onfinish) running `f`: one closure for all three
    /// ('error' first, before the destination's own).
    fn listen_unpipe(&self, f: crate::listeners::Callback<()>) -> [ListenerId; 3];
    fn unlisten(&self, id: ListenerId);
    fn target_id(&self) -> usize;
}

/// One destination of a source's pipes.
pub(crate) struct PipeDest<T> {
    pub(crate) target: Arc<dyn Target<T>>,
    pub(crate) id: usize,
    /// The pipe's place among the source's `'data'` listeners.
    pub(crate) seq: u64,
    pub(crate) listeners: [ListenerId; 3],
    pub(crate) drain_listener: Option<ListenerId>,
    /// The pipe's `'end'` listener on the source (Node's `endFn`).
    pub(crate) end_listener: Option<ListenerId>,
}

impl<T> PipeDest<T> {
    pub(crate) fn cleanup(&self) {
        for l in &self.listeners {
            self.target.unlisten(*l);
        }
        if let Some(l) = self.drain_listener {
            self.target.unlisten(l);
        }
    }
}
