//! Removing listeners: `off` / `removeListener` and `removeAllListeners`.

use super::state::{Garbage, Inner, Slot};
use super::{EventEmitter, Unwind};
use crate::cache;
use crate::event::AsEventName;
use crate::listener::{ListenerId, ListenerInfo, REMOVE_LISTENER};

impl EventEmitter {
    /// Removes the listener registered as `id` from `event`
    /// (`emitter.off(name, fn)`). Returns whether it was there.
    ///
    /// `'removeListener'` is emitted after removal. An emit already running
    /// still calls it (emit works on a snapshot).
    #[doc(alias = "removeListener")]
    pub fn off<N: AsEventName + ?Sized>(&self, event: &N, id: ListenerId) -> bool {
        self.remove_id(event.event_name(), id, false)
    }

    /// Same as [`off`](Self::off) (`emitter.removeListener(name, fn)`).
    #[doc(alias = "removeListener")]
    pub fn remove_listener<N: AsEventName + ?Sized>(&self, event: &N, id: ListenerId) -> bool {
        self.remove_id(event.event_name(), id, false)
    }

    /// Removes listener `id` of `name`. `by_wrapper`: Node would call
    /// `removeListener` with the once wrapper (it fired, or
    /// `removeAllListeners` is walking the list), not the function; this
    /// decides the `'removeListener'` payload ([`ListenerInfo::as_wrapper`]).
    pub(super) fn remove_id(&self, name: &str, id: ListenerId, by_wrapper: bool) -> bool {
        let mut g = self.lock();
        let Some(si) = g.find(name) else {
            return false;
        };
        let slot = &mut g.slots[si];
        let Some(pos) = slot.list.iter().position(|l| l.info().id == id) else {
            return false;
        };
        let before = slot.list.len();
        // The last one (the usual `on` then `off`) without `remove`'s
        // shifting copy (a `memmove` call even with nothing to shift).
        let mut removed = if pos + 1 == before {
            match slot.list.pop() {
                Some(last) => last,
                None => return false,
            }
        } else {
            slot.list.remove(pos)
        };
        slot.detach(before, Slot::ids);
        let old_snapshot = slot.snapshot.take();
        if slot.list.len() <= 1 {
            slot.warned = false;
        }
        // Surplus empty slots to drop: rarely any (no `Garbage` to make,
        // check and drop on the usual path).
        let mut garbage = None;
        if slot.list.is_empty() {
            let name = slot.name;
            if g.name_emptied(&self.shared.names, si) {
                let mut surplus = Garbage::default();
                g.purge_empty(&mut surplus);
                garbage = Some(surplus);
            }
            if g.live() == 0 {
                // The old table still has this last name.
                g.replace_table(|_| {
                    if name == "error" {
                        vec![removed.shared()]
                    } else {
                        Vec::new()
                    }
                });
            }
        }
        self.bump(&g);
        let notify = g.has_remove_listener;
        drop(g);
        if notify {
            let info = removed.info();
            // Node's single-function branch passes `list.listener || listener`
            // (the function); its array branch passes what it was given.
            let as_wrapper = by_wrapper && info.once && before >= 2;
            self.emit(&REMOVE_LISTENER, ListenerInfo { as_wrapper, ..info });
        }
        // Dropped without the lock (a listener's drop may run any code).
        let sweep = removed.in_snapshot();
        drop(removed);
        drop(old_snapshot);
        if let Some(garbage) = garbage {
            garbage.release();
        }
        if sweep {
            cache::released();
        }
        true
    }

    /// Removes every listener of the event `name`, or of every event when
    /// `name` is `None` (`emitter.removeAllListeners([name])`).
    ///
    /// As in Node, when `'removeListener'` has listeners they hear about each
    /// removal (last registered first; `'removeListener'`'s own listeners
    /// last when clearing everything).
    #[doc(alias = "removeAllListeners")]
    pub fn remove_all_listeners(&self, name: Option<&str>) {
        let mut g = self.lock();
        if !g.has_remove_listener {
            let mut garbage = Garbage::default();
            let mut changed = false;
            let error_before = if g.js.error_watchers > 0 {
                g.error_list()
            } else {
                Vec::new()
            };
            for slot in g.slots.iter_mut() {
                if name.is_none_or(|n| n == slot.name) && !slot.list.is_empty() {
                    let before = slot.list.len();
                    let ids = slot.ids();
                    garbage.list(&mut slot.list);
                    slot.detach(before, |_| ids);
                    garbage.snapshot(slot.snapshot.take());
                    slot.warned = false;
                    changed = true;
                }
            }
            if changed {
                g.names_changed(&self.shared.names, &mut garbage);
                self.bump(&g);
            }
            let error_held = |_: &mut Inner| error_before;
            match name {
                None => g.replace_table(error_held),
                Some(n) if changed && g.live() == 0 => {
                    if n == "error" {
                        g.replace_table(error_held);
                    } else {
                        g.replace_table(|_| Vec::new());
                    }
                }
                Some(_) => {}
            }
            drop(g);
            garbage.release();
            return;
        }
        drop(g);
        match name {
            None => {
                for key in self.event_names() {
                    if key != REMOVE_LISTENER.name() {
                        self.remove_all_listeners(Some(key));
                    }
                }
                self.remove_all_listeners(Some(REMOVE_LISTENER.name()));
                // Node ends with `_events = {}`: whatever the 'removeListener'
                // listeners added meanwhile goes too, silently.
                let mut g = self.lock();
                let mut garbage = Garbage::default();
                g.replace_table(Inner::error_list);
                for slot in g.slots.iter_mut() {
                    let before = slot.list.len();
                    let ids = slot.ids();
                    garbage.list(&mut slot.list);
                    slot.detach(before, |_| ids);
                    garbage.snapshot(slot.snapshot.take());
                    slot.warned = false;
                }
                g.names_changed(&self.shared.names, &mut garbage);
                self.bump(&g);
                drop(g);
                garbage.release();
            }
            Some(n) => self.remove_all_walking(n),
        }
    }

    /// Node's `removeAllListeners(name)` when `'removeListener'` has
    /// listeners: removes the listeners one by one from the last, walking the
    /// list's array by index while `'removeListener'` listeners run (and may
    /// change it). Node walks the live array, so an index can land on a
    /// listener added meanwhile, or (once the array was replaced) on the
    /// array's old content; this does the same. Where Node then reads past
    /// the end and throws `ERR_INVALID_ARG_TYPE`, this stops.
    pub(super) fn remove_all_walking(&self, name: &str) {
        let start = {
            let mut g = self.lock();
            let Some(i) = g.find_live(name) else { return };
            let slot = &mut g.slots[i];
            match slot.list.len() {
                1 => Err(slot.list[0].info().id),
                len => {
                    slot.js.walkers += 1;
                    Ok((slot.js.array, len))
                }
            }
        };
        let (array, len) = match start {
            Err(only) => {
                self.remove_id(name, only, true);
                return;
            }
            Ok(walk) => walk,
        };
        // If a 'removeListener' listener panics, stop walking on the way out.
        let unwalk = move |g: &mut Inner| {
            if let Some(si) = g.find(name) {
                let slot = &mut g.slots[si];
                slot.js.walkers = slot.js.walkers.saturating_sub(1);
                if slot.js.walkers == 0 {
                    slot.js.detached = Vec::new();
                }
            }
            Vec::new()
        };
        let guard = Unwind(self, unwalk);
        let mut frozen: Option<Vec<ListenerId>> = None;
        for i in (0..len).rev() {
            let id = {
                let g = self.lock();
                let slot = g.find(name).map(|si| &g.slots[si]);
                if frozen.is_none() {
                    match slot {
                        Some(s) if s.js.array == array && s.list.len() >= 2 => {
                            s.list.get(i).map(|l| l.info().id)
                        }
                        _ => {
                            let content = slot
                                .and_then(|s| s.js.detached.iter().find(|(a, _)| *a == array))
                                .map(|(_, ids)| ids.clone())
                                .unwrap_or_default();
                            frozen = Some(content);
                            frozen.as_ref().and_then(|f| f.get(i).copied())
                        }
                    }
                } else {
                    frozen.as_ref().and_then(|f| f.get(i).copied())
                }
            };
            match id {
                Some(id) => {
                    self.remove_id(name, id, true);
                }
                None => break,
            }
        }
        guard.disarm();
        unwalk(&mut self.lock());
    }
}
