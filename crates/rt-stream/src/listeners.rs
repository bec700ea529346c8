//! Typed listener lists for a stream's events.
//!
//! Each event keeps its listeners in a copy-on-write `Arc<Vec<_>>`: emitting
//! clones one `Arc` (a snapshot, as Node's emit works on a copy) and calls the
//! listeners with no lock held, so a listener may add or remove listeners,
//! write, pause or destroy re-entrantly.

use std::sync::Arc;

use crate::locking::Mutex;

use crate::error::Error;
use crate::hooks::StreamHooks;
use crate::locking::lock;
use crate::pipe_source::PipeSource;

/// Identifies one registered listener, for [`off`](crate::Readable::off).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ListenerId(pub(crate) u64);

pub(crate) type Callback<A> = Arc<dyn Fn(&A) + Send + Sync>;

pub(crate) struct Entry<A: ?Sized> {
    id: u64,
    once: bool,
    f: Arc<dyn Fn(&A) + Send + Sync>,
}

impl<A: ?Sized> Clone for Entry<A> {
    fn clone(&self) -> Self {
        Entry {
            id: self.id,
            once: self.once,
            f: self.f.clone(),
        }
    }
}

/// One event's listeners; `None` until the first one is added, so a stream
/// nobody listens to allocates nothing for its lists. A list is one
/// allocation (`Arc<[_]>`), rebuilt when a listener comes or goes (rare
/// next to emits, which share it): a connection's few lists cost one
/// allocation each, not two.
pub(crate) struct List<A: ?Sized>(Option<Arc<[Entry<A>]>>);

impl<A: ?Sized> Default for List<A> {
    fn default() -> Self {
        List(None)
    }
}

impl<A: ?Sized> List<A> {
    fn len(&self) -> usize {
        self.0.as_ref().map_or(0, |v| v.len())
    }
}

/// The events a stream emits, named as in Node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StreamEvent {
    /// `'data'`: a chunk is handed out.
    Data,
    /// `'end'`: the readable side has no more data.
    End,
    /// `'readable'`: data (or the end) is ready to be read.
    Readable,
    /// `'pause'`: the stream switched out of flowing mode.
    Pause,
    /// `'resume'`: the stream switched into flowing mode.
    Resume,
    /// `'close'`: the stream and its resources are closed.
    Close,
    /// `'error'`: the stream failed.
    Error,
    /// `'drain'`: the write buffer emptied after `write()` returned `false`.
    Drain,
    /// `'finish'`: every write completed after `end()`.
    Finish,
    /// `'prefinish'`: `final` completed, `'finish'` is next.
    Prefinish,
    /// `'pipe'`: a source started piping into this writable.
    Pipe,
    /// `'unpipe'`: a source stopped piping into this writable.
    Unpipe,
}

/// An event named for [`StreamBase::listener_count`](crate::StreamBase::listener_count):
/// a [`StreamEvent`], an rt-events key (`&events::DATA`) or a name (`"data"`).
pub trait Named {
    /// The event's name.
    fn name_of(&self) -> &str;
}

impl Named for StreamEvent {
    fn name_of(&self) -> &str {
        self.name()
    }
}

impl<N: rt_events::AsEventName + ?Sized> Named for &N {
    fn name_of(&self) -> &str {
        (**self).event_name()
    }
}

impl StreamEvent {
    /// Node's name of the event (`"data"`, `"end"`, ...).
    pub fn name(self) -> &'static str {
        match self {
            StreamEvent::Data => "data",
            StreamEvent::End => "end",
            StreamEvent::Readable => "readable",
            StreamEvent::Pause => "pause",
            StreamEvent::Resume => "resume",
            StreamEvent::Close => "close",
            StreamEvent::Error => "error",
            StreamEvent::Drain => "drain",
            StreamEvent::Finish => "finish",
            StreamEvent::Prefinish => "prefinish",
            StreamEvent::Pipe => "pipe",
            StreamEvent::Unpipe => "unpipe",
        }
    }
}

pub(crate) struct Lists<R> {
    next_id: u64,
    pub(crate) data: List<R>,
    pub(crate) error: List<Error>,
    pub(crate) simple: [List<()>; 8],
    /// `'pipe'` and `'unpipe'`: their listeners receive the source.
    pub(crate) piping: [List<PipeSource>; 2],
}

/// Slots 0..8 are `simple`, 8 and 9 `piping`.
const SIMPLE: usize = 8;

fn slot(ev: StreamEvent) -> usize {
    match ev {
        StreamEvent::End => 0,
        StreamEvent::Readable => 1,
        StreamEvent::Pause => 2,
        StreamEvent::Resume => 3,
        StreamEvent::Close => 4,
        StreamEvent::Drain => 5,
        StreamEvent::Finish => 6,
        StreamEvent::Prefinish => 7,
        StreamEvent::Pipe => 8,
        StreamEvent::Unpipe => 9,
        StreamEvent::Data | StreamEvent::Error => usize::MAX,
    }
}

pub(crate) struct Listeners<R> {
    lists: Mutex<Lists<R>>,
    /// The rt-events face: every event is emitted here too. Created (with
    /// the stream's meta listeners) on first use by `Core::emitter`; until
    /// then a stream allocates nothing for it and emits nothing there.
    pub(crate) events: std::sync::OnceLock<rt_events::EventEmitter>,
    /// The emitter's type name (`"Duplex"`, ...), for when it is created.
    pub(crate) type_name: &'static str,
    /// `'data'` listeners on `events`, kept by the stream's meta listeners:
    /// a chunk costs one load, no lock, while there are none.
    pub(crate) data_on_emitter: std::sync::atomic::AtomicUsize,
    /// The ids of the stream's own `'newListener'` / `'removeListener'` listeners.
    pub(crate) hooks: Mutex<Option<(rt_events::ListenerId, rt_events::ListenerId)>>,
    /// The owner's hooks, for a type that extends the stream.
    pub(crate) hooks_owner: std::sync::OnceLock<Box<dyn StreamHooks>>,
}

fn key(ev: StreamEvent) -> &'static rt_events::Event<()> {
    use crate::events::*;
    match ev {
        StreamEvent::End => &END,
        StreamEvent::Readable => &READABLE,
        StreamEvent::Pause => &PAUSE,
        StreamEvent::Resume => &RESUME,
        StreamEvent::Close => &CLOSE,
        StreamEvent::Drain => &DRAIN,
        StreamEvent::Finish => &FINISH,
        StreamEvent::Prefinish => &PREFINISH,
        // Emitted with their payload by `emit_piping`.
        StreamEvent::Pipe | StreamEvent::Unpipe => &END,
        StreamEvent::Data | StreamEvent::Error => &END,
    }
}

/// The stream event called `name`, if it is one.
pub(crate) fn by_name(name: &str) -> Option<StreamEvent> {
    ALL.into_iter().find(|e| e.name() == name)
}

const ALL: [StreamEvent; 12] = [
    StreamEvent::Data,
    StreamEvent::Error,
    StreamEvent::End,
    StreamEvent::Readable,
    StreamEvent::Pause,
    StreamEvent::Resume,
    StreamEvent::Close,
    StreamEvent::Drain,
    StreamEvent::Finish,
    StreamEvent::Prefinish,
    StreamEvent::Pipe,
    StreamEvent::Unpipe,
];

impl<R> Listeners<R> {
    pub(crate) fn new(type_name: &'static str) -> Self {
        Listeners {
            events: std::sync::OnceLock::new(),
            type_name,
            lists: Mutex::new(Lists {
                next_id: 1,
                data: List::default(),
                error: List::default(),
                simple: Default::default(),
                piping: Default::default(),
            }),
            data_on_emitter: std::sync::atomic::AtomicUsize::new(0),
            hooks: Mutex::new(None),
            hooks_owner: std::sync::OnceLock::new(),
        }
    }
}

fn add<A: ?Sized>(list: &mut List<A>, id: u64, once: bool, f: Arc<dyn Fn(&A) + Send + Sync>) {
    let entry = Entry { id, once, f };
    // Exact-size iterators: one allocation for the new list.
    list.0 = Some(match list.0.take() {
        Some(v) => v.iter().cloned().chain(std::iter::once(entry)).collect(),
        None => Arc::from([entry]),
    });
}

/// Keeps the listeners `keep` accepts; drops the list's `Arc` once its
/// last listener is gone.
fn retain<A: ?Sized>(list: &mut List<A>, keep: impl Fn(&Entry<A>) -> bool) {
    if let Some(v) = &list.0 {
        let kept = v.iter().filter(|e| keep(e)).count();
        if kept == v.len() {
            return;
        }
        list.0 = (kept > 0).then(|| v.iter().filter(|e| keep(e)).cloned().collect());
    }
}

fn snapshot<A: ?Sized>(list: &mut List<A>) -> Option<Arc<[Entry<A>]>> {
    let snap = list.0.clone().filter(|v| !v.is_empty())?;
    if snap.iter().any(|e| e.once) {
        retain(list, |e| !e.once);
    }
    Some(snap)
}

fn remove<A: ?Sized>(list: &mut List<A>, id: u64) -> bool {
    if list.0.as_ref().is_some_and(|v| v.iter().any(|e| e.id == id)) {
        retain(list, |e| e.id != id);
        true
    } else {
        false
    }
}

impl<R> Listeners<R> {
    /// A place in the order of listeners, for a pipe: Node's pipe is a
    /// `'data'` listener of its own, called in the order it was added.
    pub(crate) fn take_id(&self) -> u64 {
        let mut l = lock(&self.lists);
        let id = l.next_id;
        l.next_id += 1;
        id
    }

    pub(crate) fn on_data(&self, once: bool, f: Callback<R>) -> ListenerId {
        let mut l = lock(&self.lists);
        let id = l.next_id;
        l.next_id += 1;
        add(&mut l.data, id, once, f);
        ListenerId(id)
    }

    pub(crate) fn on_data_unit(&self, once: bool, f: Arc<dyn Fn() + Send + Sync>) -> ListenerId
    where
        R: 'static,
    {
        self.on_data(once, Arc::new(move |_: &R| f()))
    }

    pub(crate) fn on_error(&self, once: bool, f: Callback<Error>) -> ListenerId {
        let mut l = lock(&self.lists);
        let id = l.next_id;
        l.next_id += 1;
        add(&mut l.error, id, once, f);
        ListenerId(id)
    }

    /// An `'error'` listener that runs before the others (Node's
    /// `prependListener(dest, 'error', onerror)` in `pipe`).
    pub(crate) fn prepend_error(&self, once: bool, f: Callback<Error>) -> ListenerId {
        let mut l = lock(&self.lists);
        let id = l.next_id;
        l.next_id += 1;
        let entry = Entry { id, once, f };
        l.error.0 = Some(match l.error.0.take() {
            Some(v) => std::iter::once(entry).chain(v.iter().cloned()).collect(),
            None => Arc::from([entry]),
        });
        ListenerId(id)
    }

    pub(crate) fn on(&self, ev: StreamEvent, once: bool, f: Callback<()>) -> ListenerId {
        let mut l = lock(&self.lists);
        let id = l.next_id;
        l.next_id += 1;
        let s = slot(ev);
        if s < SIMPLE {
            add(&mut l.simple[s], id, once, f);
        } else if s < SIMPLE + 2 {
            // One list per event, so both kinds of listener keep Node's order.
            add(
                &mut l.piping[s - SIMPLE],
                id,
                once,
                Arc::new(move |_: &PipeSource| f(&())),
            );
        }
        ListenerId(id)
    }

    /// A `'pipe'` (`added`) or `'unpipe'` listener that receives the source.
    pub(crate) fn on_piping(&self, added: bool, once: bool, f: Callback<PipeSource>) -> ListenerId {
        let mut l = lock(&self.lists);
        let id = l.next_id;
        l.next_id += 1;
        add(&mut l.piping[usize::from(!added)], id, once, f);
        ListenerId(id)
    }

    /// Removes a listener; returns the event it was registered for.
    pub(crate) fn off(&self, id: ListenerId) -> Option<StreamEvent> {
        let mut l = lock(&self.lists);
        if remove(&mut l.data, id.0) {
            return Some(StreamEvent::Data);
        }
        if remove(&mut l.error, id.0) {
            return Some(StreamEvent::Error);
        }
        const ALL: [StreamEvent; 8] = [
            StreamEvent::End,
            StreamEvent::Readable,
            StreamEvent::Pause,
            StreamEvent::Resume,
            StreamEvent::Close,
            StreamEvent::Drain,
            StreamEvent::Finish,
            StreamEvent::Prefinish,
        ];
        if let Some(ev) = ALL.into_iter().find(|&ev| remove(&mut l.simple[slot(ev)], id.0)) {
            return Some(ev);
        }
        [StreamEvent::Pipe, StreamEvent::Unpipe]
            .into_iter()
            .find(|&ev| remove(&mut l.piping[slot(ev) - SIMPLE], id.0))
    }

    /// The rt-events face, if anyone used it yet.
    pub(crate) fn emitter_if_any(&self) -> Option<&rt_events::EventEmitter> {
        self.events.get()
    }

    /// Listeners for `name` on the rt-events face (none while it does not exist).
    pub(crate) fn emitter_count(&self, name: &str) -> usize {
        self.emitter_if_any().map_or(0, |em| em.listener_count(name))
    }

    pub(crate) fn count(&self, ev: StreamEvent) -> usize {
        self.own_count(ev) + self.emitter_count(ev.name())
    }

    /// The names of the events the stream's own lists have listeners for.
    pub(crate) fn own_event_names(&self) -> Vec<&'static str> {
        ALL.into_iter()
            .filter(|&e| self.own_count(e) > 0)
            .map(StreamEvent::name)
            .collect()
    }

    fn own_count(&self, ev: StreamEvent) -> usize {
        let l = lock(&self.lists);
        match ev {
            StreamEvent::Data => l.data.len(),
            StreamEvent::Error => l.error.len(),
            StreamEvent::Pipe | StreamEvent::Unpipe => l.piping[slot(ev) - SIMPLE].len(),
            other => l.simple[slot(other)].len(),
        }
    }

    pub(crate) fn emit_data(&self, chunk: &R) -> bool
    where
        R: 'static,
    {
        let snap = snapshot(&mut lock(&self.lists).data);
        let mine = match snap {
            Some(s) => {
                for e in s.iter() {
                    (e.f)(chunk);
                }
                true
            }
            None => false,
        };
        // The emitter face carries byte chunks (Buffer); object-mode data is
        // on `on_data`. One load when nobody listens there.
        let theirs = match (chunk as &dyn std::any::Any).downcast_ref::<rt_buffer::Buffer>() {
            Some(b) if self.data_on_emitter.load(std::sync::atomic::Ordering::Acquire) > 0 => self
                .emitter_if_any()
                .is_some_and(|em| em.emit(&crate::events::DATA, b.clone())),
            _ => false,
        };
        mine || theirs
    }

    /// [`emit_data`](Self::emit_data), calling `before(id)` ahead of each
    /// typed listener (with the listener's place) and `before(u64::MAX)`
    /// at the end: the pipes added before that listener take the chunk
    /// first, as Node's pipe `ondata` listeners do.
    pub(crate) fn emit_data_ordered(&self, chunk: &R, before: &mut dyn FnMut(u64))
    where
        R: 'static,
    {
        let snap = snapshot(&mut lock(&self.lists).data);
        if let Some(s) = snap {
            for e in s.iter() {
                before(e.id);
                (e.f)(chunk);
            }
        }
        if let Some(b) = (chunk as &dyn std::any::Any).downcast_ref::<rt_buffer::Buffer>() {
            if self.data_on_emitter.load(std::sync::atomic::Ordering::Acquire) > 0 {
                if let Some(em) = self.emitter_if_any() {
                    em.emit(&crate::events::DATA, b.clone());
                }
            }
        }
        before(u64::MAX);
    }

    pub(crate) fn emit_error(&self, err: &Error) -> bool {
        if let Some(h) = self.hooks_owner.get() {
            h.error(err);
        }
        let snap = snapshot(&mut lock(&self.lists).error);
        let mine = match snap {
            Some(s) => {
                for e in s.iter() {
                    (e.f)(err);
                }
                true
            }
            None => false,
        };
        // errorMonitor listeners see every error, heard or not (Node).
        let theirs = self.emitter_if_any().is_some_and(|em| {
            (em.listener_count("error") > 0 || em.listener_count(rt_events::ERROR_MONITOR_NAME) > 0)
                && em.emit_error(&crate::events::ERROR, err.clone()).is_ok()
        });
        mine || theirs
    }

    pub(crate) fn emit(&self, ev: StreamEvent) -> bool {
        let s = slot(ev);
        if s >= SIMPLE {
            // 'data' / 'error' / 'pipe' / 'unpipe' carry a payload.
            return false;
        }
        let snap = snapshot(&mut lock(&self.lists).simple[s]);
        let mine = match snap {
            Some(s) => {
                for e in s.iter() {
                    (e.f)(&());
                }
                true
            }
            None => false,
        };
        let owner = self.hooks_owner.get();
        let theirs = self.emitter_if_any().is_some_and(|em| em.emit(key(ev), ()));
        if let (Some(h), StreamEvent::End) = (owner, ev) {
            h.end();
        }
        mine || theirs
    }

    /// `'pipe'` (`added`) or `'unpipe'` with the source (Node:
    /// `dest.emit('pipe', src)`), to the stream's own listeners, the
    /// owner's hook, then the emitter's.
    pub(crate) fn emit_piping(&self, added: bool, src: &PipeSource) -> bool {
        let snap = snapshot(&mut lock(&self.lists).piping[usize::from(!added)]);
        let mine = match snap {
            Some(s) => {
                for e in s.iter() {
                    (e.f)(src);
                }
                true
            }
            None => false,
        };
        if let Some(h) = self.hooks_owner.get() {
            h.piped(added);
        }
        let key = if added {
            &crate::events::PIPE
        } else {
            &crate::events::UNPIPE
        };
        let theirs = self.emitter_if_any().is_some_and(|em| em.emit(key, src.clone()));
        mine || theirs
    }

    /// `'close'`: the stream's own listeners, then the owner's hook (which
    /// may emit its own `'close'` on the emitter), else the emitter's.
    pub(crate) fn emit_close(&self, had_error: bool) {
        let snap = snapshot(&mut lock(&self.lists).simple[slot(StreamEvent::Close)]);
        if let Some(s) = snap {
            for e in s.iter() {
                (e.f)(&());
            }
        }
        if self.hooks_owner.get().is_some_and(|h| h.close(had_error)) {
            return;
        }
        if let Some(em) = self.emitter_if_any() {
            em.emit(key(StreamEvent::Close), ());
        }
    }
}

/// The count a user sees: both faces' listeners (Node has one list), without
/// the stream's own meta listeners.
pub(crate) fn user_count<R>(ev: &Listeners<R>, name: &str) -> usize {
    match by_name(name) {
        Some(e) => ev.count(e),
        None if crate::events::is_meta(name) => ev.emitter_count(name).saturating_sub(1),
        None => ev.emitter_count(name),
    }
}

/// The event names a user sees: the emitter's (without the stream's own meta
/// listeners), then those only the stream's own lists have.
pub(crate) fn user_names<R>(ev: &Listeners<R>) -> Vec<&'static str> {
    let mut names = ev
        .emitter_if_any()
        .map(rt_events::EventEmitter::event_names)
        .unwrap_or_default();
    names.retain(|n| !crate::events::is_meta(n) || user_count(ev, n) > 0);
    for n in ev.own_event_names() {
        if !names.contains(&n) {
            names.push(n);
        }
    }
    names
}
