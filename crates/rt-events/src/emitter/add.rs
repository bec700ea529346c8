//! Adding listeners: `on`, `once`, `prependListener`, ...

use super::EventEmitter;
use super::js_array::JsArray;
use super::state::Slot;
use crate::event::Event;
use crate::listener::{ListenerId, ListenerInfo, NEW_LISTENER, entry};
use crate::warning::{self, MaxListenersExceededWarning, default_limit};

impl EventEmitter {
    /// Adds `listener` at the end of `event`'s list (`emitter.on(name, fn)`).
    /// Returns the id to remove it with [`off`](Self::off).
    ///
    /// `'newListener'` is emitted first; a warning is reported if the list
    /// grows past [`get_max_listeners`](Self::get_max_listeners).
    #[doc(alias = "addListener")]
    pub fn on<T, F>(&self, event: &Event<T>, listener: F) -> ListenerId
    where
        T: Send + Sync + 'static,
        F: Fn(&T) + Send + Sync + 'static,
    {
        self.add(event, listener, false, false)
    }

    /// Same as [`on`](Self::on) (`emitter.addListener(name, fn)`).
    #[doc(alias = "addListener")]
    pub fn add_listener<T, F>(&self, event: &Event<T>, listener: F) -> ListenerId
    where
        T: Send + Sync + 'static,
        F: Fn(&T) + Send + Sync + 'static,
    {
        self.add(event, listener, false, false)
    }

    /// Adds a listener that runs at most once: it is removed just before it
    /// runs (`emitter.once(name, fn)`).
    pub fn once<T, F>(&self, event: &Event<T>, listener: F) -> ListenerId
    where
        T: Send + Sync + 'static,
        F: Fn(&T) + Send + Sync + 'static,
    {
        self.add(event, listener, true, false)
    }

    /// Adds `listener` at the start of `event`'s list (`emitter.prependListener`).
    #[doc(alias = "prependListener")]
    pub fn prepend_listener<T, F>(&self, event: &Event<T>, listener: F) -> ListenerId
    where
        T: Send + Sync + 'static,
        F: Fn(&T) + Send + Sync + 'static,
    {
        self.add(event, listener, false, true)
    }

    /// Adds a once listener at the start of `event`'s list
    /// (`emitter.prependOnceListener`).
    #[doc(alias = "prependOnceListener")]
    pub fn prepend_once_listener<T, F>(&self, event: &Event<T>, listener: F) -> ListenerId
    where
        T: Send + Sync + 'static,
        F: Fn(&T) + Send + Sync + 'static,
    {
        self.add(event, listener, true, true)
    }

    pub(super) fn add<T, F>(&self, event: &Event<T>, listener: F, once: bool, prepend: bool) -> ListenerId
    where
        T: Send + Sync + 'static,
        F: Fn(&T) + Send + Sync + 'static,
    {
        let name = event.name();
        let mut g = self.lock();
        let id = ListenerId {
            emitter: self.shared.id,
            seq: g.next_seq,
        };
        g.next_seq += 1;
        let info = ListenerInfo {
            event: name,
            id,
            once,
            as_wrapper: false,
        };
        if g.has_new_listener {
            drop(g);
            self.emit(&NEW_LISTENER, info);
            g = self.lock();
        }
        let entry = entry(info, listener);
        let max = g.max.unwrap_or_else(default_limit);
        let mut new_slot = false;
        let idx = match g.find(name) {
            Some(i) => i,
            None => {
                new_slot = true;
                g.slots.push(Slot {
                    name,
                    bit: event.bit(),
                    list: Vec::new(),
                    snapshot: None,
                    warned: false,
                    order: 0,
                    js: JsArray::default(),
                });
                g.slots.len() - 1
            }
        };
        let order = g.next_order;
        let slot = &mut g.slots[idx];
        let was_empty = slot.list.is_empty();
        if was_empty {
            slot.order = order;
        }
        if prepend {
            slot.list.insert(0, entry);
        } else {
            slot.list.push(entry);
        }
        let new_array = slot.list.len() == 2;
        let old_snapshot = slot.snapshot.take();
        let count = slot.list.len();
        let warning = if count >= 2 && !slot.warned && max > 0.0 && count as f64 > max {
            slot.warned = true;
            Some(MaxListenersExceededWarning {
                event: name,
                count,
                emitter_type: self.shared.type_name,
                max,
            })
        } else {
            None
        };
        if was_empty {
            g.next_order += 1;
            g.name_added(&self.shared.names, idx, new_slot);
        }
        if new_array {
            g.new_array(idx);
        }
        self.bump(&g);
        let hook = warning.as_ref().and_then(|_| g.hook.clone());
        drop(g);
        drop(old_snapshot);
        if let Some(w) = warning {
            warning::report(hook, &w);
        }
        id
    }
}
