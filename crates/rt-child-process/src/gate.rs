//! The `'spawn'` event's gate: `'spawn'` is emitted once, before any other
//! event of the child, and late enough for listeners added right after
//! `spawn()` returns (Node emits it on the next tick).

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use rt_events::EventEmitter;

use crate::events::SPAWN;

/// Emits `'spawn'` at most once: [`SpawnGate::open`] is called before
/// every other event of a started child, so `'spawn'` always comes first.
pub(crate) struct SpawnGate {
    /// `'spawn'` was emitted (or will never be): the fast path.
    done: AtomicBool,
    /// Held while `'spawn'` is being emitted, so that an event racing on
    /// another thread waits for its listeners to finish.
    emitting: Mutex<bool>,
    emitter: EventEmitter,
}

impl SpawnGate {
    /// A gate for a started child: `'spawn'` pending.
    pub(crate) fn pending(emitter: EventEmitter) -> SpawnGate {
        SpawnGate {
            done: AtomicBool::new(false),
            emitting: Mutex::new(false),
            emitter,
        }
    }

    /// Whether `'spawn'` was emitted.
    pub(crate) fn is_open(&self) -> bool {
        self.done.load(Ordering::Acquire)
    }

    /// Whether the `'spawn'` listener `id` is registered.
    pub(crate) fn has_listener(&self, id: rt_events::ListenerId) -> bool {
        self.emitter.listeners(&SPAWN).contains(&id)
    }

    /// Emits `'spawn'` unless it was emitted already.
    pub(crate) fn open(&self) {
        if self.done.load(Ordering::Acquire) {
            return;
        }
        let mut emitted = self
            .emitting
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if !*emitted {
            *emitted = true;
            self.emitter.emit(&SPAWN, ());
            self.done.store(true, Ordering::Release);
        }
    }
}
