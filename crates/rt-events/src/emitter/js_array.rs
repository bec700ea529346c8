//! Node's JavaScript data structures, where rt-events must reproduce how
//! they behave rather than what they hold.
//!
//! - **Listener arrays.** Node keeps one listener as a bare function and two
//!   or more in an array that it mutates in place, replacing it with a bare
//!   function when one listener is left. `removeAllListeners(name)` walks
//!   that array by index while `'removeListener'` listeners change it, so
//!   an index can land on a listener added meanwhile, or, once the array was
//!   replaced, keep reading the old array's content. [`JsArray`] tracks which
//!   array a slot's list is in and what a detached array held (the walk
//!   itself is `EventEmitter::remove_all_walking`, in `remove.rs`).
//! - **The listener table.** Node keeps the per-name lists in an object that
//!   `emit` reads once and that is replaced (not emptied) when its last name
//!   goes or on `removeAllListeners()`. Only `emit('error')` can notice:
//!   its errorMonitor listeners run between the read and the use. [`JsTable`]
//!   keeps the `'error'` listeners each replaced table still held.
//! - **Key order.** `eventNames()` lists integer-like names first, ascending
//!   ([`array_index`]), then the others in insertion order.

use std::sync::Arc;

use crate::listener::{Erased, ListenerId};

/// Which JavaScript array holds a slot's list, for the walk of
/// `removeAllListeners(name)`.
#[derive(Default)]
pub(super) struct JsArray {
    /// Which array holds the list while it has two or more listeners.
    pub(super) array: u64,
    /// `remove_all_listeners` loops walking this slot's array.
    pub(super) walkers: u32,
    /// While walkers exist: the content of each array at the moment it
    /// stopped being the slot's array.
    pub(super) detached: Vec<(u64, Vec<ListenerId>)>,
}

impl JsArray {
    /// Records that the list's array is no longer its array, if it was one
    /// (`before` and `after`: the list's length around the change; an array
    /// exists from two listeners) and someone walks it.
    #[inline]
    pub(super) fn detach(&mut self, before: usize, after: usize, content: impl FnOnce() -> Vec<ListenerId>) {
        if before >= 2 && after <= 1 && self.walkers > 0 {
            self.detached.push((self.array, content()));
        }
    }
}

/// Node's listener table object, per emitter.
#[derive(Default)]
pub(super) struct JsTable {
    /// Source of [`JsArray::array`] values.
    pub(super) next_array: u64,
    /// Which listener table Node would be using (see [`JsTable::replace`]).
    pub(super) table: u64,
    /// `emit_error` calls running errorMonitor listeners.
    pub(super) error_watchers: u32,
    /// While error watchers exist: the `'error'` listeners each replaced
    /// table held.
    pub(super) frozen_error: Vec<(u64, Vec<Arc<dyn Erased>>)>,
}

impl JsTable {
    /// Node replaces its table object (instead of emptying it) when the last
    /// event name goes and on `removeAllListeners()`. While an
    /// `emit('error')` runs errorMonitor listeners it keeps using the table
    /// it read first: `held` gives the `'error'` listeners that one holds.
    pub(super) fn replace(&mut self, held: impl FnOnce() -> Vec<Arc<dyn Erased>>) {
        if self.error_watchers > 0 {
            self.frozen_error.push((self.table, held()));
        }
        self.table += 1;
    }

    /// A new array for a list that just went to two listeners.
    pub(super) fn new_array(&mut self) -> u64 {
        self.next_array += 1;
        self.next_array
    }
}

/// `Some(i)` if `name` is a canonical array index ("0", "17", not "01"),
/// which JavaScript lists first, in numeric order.
pub(super) fn array_index(name: &str) -> Option<u32> {
    if name.is_empty() || name.len() > 10 || (name.len() > 1 && name.starts_with('0')) {
        return None;
    }
    if !name.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let v: u64 = name.parse().ok()?;
    (v < u64::from(u32::MAX)).then_some(v as u32)
}

/// `eventNames()`'s order for the live names, given as (insertion stamp,
/// name): integer-like names ascending, then the others in insertion
/// order, then `errorMonitor` (a symbol key).
pub(super) fn key_order(mut live: Vec<(u64, &'static str)>, symbol: &str) -> Vec<&'static str> {
    live.sort_unstable_by_key(|&(order, _)| order);
    let mut index: Vec<(u32, &'static str)> = live
        .iter()
        .filter_map(|&(_, n)| array_index(n).map(|i| (i, n)))
        .collect();
    index.sort_unstable();
    let mut out: Vec<&'static str> = index.into_iter().map(|(_, n)| n).collect();
    out.extend(
        live.iter()
            .map(|&(_, n)| n)
            .filter(|n| array_index(n).is_none() && *n != symbol),
    );
    out.extend(live.iter().map(|&(_, n)| n).filter(|n| *n == symbol));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn array_indices() {
        assert_eq!(array_index("0"), Some(0));
        assert_eq!(array_index("10"), Some(10));
        assert_eq!(array_index("4294967294"), Some(4_294_967_294));
        assert_eq!(array_index("4294967295"), None);
        assert_eq!(array_index("01"), None);
        assert_eq!(array_index("-1"), None);
        assert_eq!(array_index("a"), None);
        assert_eq!(array_index(""), None);
    }

    #[test]
    fn keys_in_javascript_order() {
        let live = vec![(3, "b"), (1, "10"), (0, "sym"), (2, "2"), (4, "a")];
        assert_eq!(key_order(live, "sym"), ["2", "10", "b", "a", "sym"]);
    }
}
