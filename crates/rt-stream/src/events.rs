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
//! byte streams (object-mode data is on `on_data`: rt-events does take an
//! `Event::<T>::new("data")` key built at run time, but its `emit` moves the
//! payload in, which would need `T: Clone` and a clone per chunk). Listeners
//! added through `on_*` run before the ones added through the emitter.
//!
//! Through the [`Emitter`](rt_events::Emitter) trait, `listener_count` and
//! `event_names` count both faces (Node has one list; across the faces names
//! come in no particular order) and hide the `'newListener'` /
//! `'removeListener'` listeners each stream keeps for itself; the raw
//! `stream.emitter()` shows them. Adding a `'data'` / `'readable'` listener
//! through the trait runs what it set in motion once it is registered (when
//! no runtime is running); added to `stream.emitter()` directly, the stream's
//! next call does. As the side effects come from `'newListener'`,
//! `prepend_listener` of `'data'` starts the flow too (Node's does not).
//! `Emitter::remove_all_listeners` keeps (re-installs) those meta listeners.
//! A chunk costs the emitter one atomic load while it has no `'data'`
//! listener (the meta listeners keep the count).

use rt_buffer::Buffer;
use rt_events::Event;

use crate::error::Error;
use crate::pipe_source::PipeSource;

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
/// `'pipe'`, with the source that started piping into the stream
/// (Node: `dest.on('pipe', (src) => ..)`).
pub static PIPE: Event<PipeSource> = Event::new("pipe");
/// `'unpipe'`, with the source that stopped piping into the stream.
pub static UNPIPE: Event<PipeSource> = Event::new("unpipe");

/// Whether `name` is one of the two meta events each stream listens to
/// itself (to give `'data'` / `'readable'` listeners Node's side effects).
pub(crate) fn is_meta(name: &str) -> bool {
    name == rt_events::NEW_LISTENER.name() || name == rt_events::REMOVE_LISTENER.name()
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::Ordering;

    use rt_events::Emitter;

    use super::*;
    use crate::{Readable, ReadableOptions};

    #[test]
    fn an_idle_stream_has_no_emitter_until_it_is_used() {
        let r = Readable::new(ReadableOptions::default());
        let id = r.on_data(|_| {}); // the stream's own face
        r.on(crate::StreamEvent::End, || {});
        r.push("x");
        r.off(id);
        assert_eq!(r.listener_count(crate::StreamEvent::Data), 0);
        assert!(r.core.ev.emitter_if_any().is_none());
        let em = r.emitter();
        assert_eq!(
            em.listener_count(rt_events::NEW_LISTENER.name()),
            1,
            "hooks installed"
        );
        assert_eq!(Emitter::listener_count(&r, "newListener"), 0, "and hidden");
    }

    #[test]
    fn the_data_gate_follows_the_emitters_data_listeners() {
        let r = Readable::new(ReadableOptions::default());
        let n = || r.core.ev.data_on_emitter.load(Ordering::Acquire);
        assert_eq!(n(), 0);
        r.on_data(|_| {}); // the stream's own face: no emitter work per chunk
        assert_eq!(n(), 0);
        let a = Emitter::on(&r, &DATA, |_| {});
        Emitter::once(&r, &DATA, |_| {});
        assert_eq!(n(), 2);
        r.push("x"); // flowing: the once listener runs and goes
        assert_eq!(n(), 1);
        assert!(Emitter::off(&r, &DATA, a));
        assert_eq!(n(), 0);
        Emitter::on(&r, &DATA, |_| {});
        Emitter::remove_all_listeners(&r, None);
        assert_eq!(n(), 0);
        Emitter::on(&r, &DATA, |_| {});
        assert_eq!(n(), 1, "the meta listeners are back");
        r.emitter().remove_all_listeners(Some("data"));
        assert_eq!(n(), 0);
    }
}
