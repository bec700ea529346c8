//! Node's cluster wire protocol: `{"cmd":"NODE_CLUSTER", ...fields, "seq":N}`
//! messages with one sequence counter per process, replies carrying
//! `"ack":<seq>`, and callbacks waiting for them (Node:
//! `internal/cluster/utils.js`'s `sendHelper` and `internal`).

use std::collections::HashMap;
use std::os::fd::OwnedFd;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use rt_child_process::Channel;
use rt_child_process::ipc::SendHandle;
use rt_stream::Error;
use serde_json::{Map, Value};

/// The `cmd` of every cluster message.
pub(crate) const CMD: &str = "NODE_CLUSTER";

/// What runs when the reply to a message comes: the reply and the fd that
/// came with it.
pub(crate) type Reply = Box<dyn FnOnce(Value, Option<OwnedFd>) + Send>;

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// One process's sequence counter and the callbacks waiting for replies.
#[derive(Default)]
pub(crate) struct Sender {
    seq: AtomicU64,
    /// seq -> (the peer it went to, the callback).
    callbacks: Mutex<HashMap<u64, (u32, Reply)>>,
}

impl Sender {
    /// Sends `{cmd: NODE_CLUSTER, ...fields, seq}` to `peer` over
    /// `channel`, with a raw fd as a `'net.Native'` handle when given;
    /// `reply` runs when the answer (`ack` = this seq) comes.
    pub(crate) fn send(
        &self,
        channel: &Channel,
        peer: u32,
        fields: Map<String, Value>,
        handle: Option<Arc<OwnedFd>>,
        reply: Option<Reply>,
    ) -> Result<bool, Error> {
        let seq = self.seq.fetch_add(1, Ordering::Relaxed);
        let mut message = Map::with_capacity(fields.len() + 2);
        message.insert("cmd".into(), Value::from(CMD));
        message.extend(fields);
        message.insert("seq".into(), Value::from(seq));
        if let Some(r) = reply {
            lock(&self.callbacks).insert(seq, (peer, r));
        }
        let sent = match handle {
            Some(fd) => channel.send_handle(&message, SendHandle::Native(fd)),
            None => channel.send(&message),
        };
        if sent.is_err() {
            lock(&self.callbacks).remove(&seq);
        }
        sent
    }

    /// Sends `newconn` with an accepted connection to `peer` (Node:
    /// `RoundRobinHandle`'s `handoff`): `{"cmd":"NODE_CLUSTER","act":"newconn",
    /// "key":key,"seq":N}` as a `'net.Native'` handle, serialized straight
    /// into its line (the bytes a Node primary writes, with no JSON value
    /// built); `reply` runs on the worker's answer.
    pub(crate) fn send_newconn(
        &self,
        channel: &Channel,
        peer: u32,
        key: &str,
        fd: Arc<OwnedFd>,
        reply: Reply,
    ) -> Result<bool, Error> {
        let seq = self.seq.fetch_add(1, Ordering::Relaxed);
        lock(&self.callbacks).insert(seq, (peer, reply));
        let sent = channel.send_handle(&NewConn { key, seq }, SendHandle::Native(fd));
        if sent.is_err() {
            lock(&self.callbacks).remove(&seq);
        }
        sent
    }

    /// The callback waiting for `ack`, if any.
    pub(crate) fn take(&self, ack: u64) -> Option<Reply> {
        lock(&self.callbacks).remove(&ack).map(|(_, r)| r)
    }

    /// Forgets the callbacks of a peer that went away.
    pub(crate) fn forget(&self, peer: u32) {
        lock(&self.callbacks).retain(|_, (p, _)| *p != peer);
    }
}

/// A `newconn` message, fields in Node's order.
struct NewConn<'a> {
    key: &'a str,
    seq: u64,
}

impl serde::Serialize for NewConn<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut m = s.serialize_struct("NewConn", 4)?;
        m.serialize_field("cmd", CMD)?;
        m.serialize_field("act", "newconn")?;
        m.serialize_field("key", self.key)?;
        m.serialize_field("seq", &self.seq)?;
        m.end()
    }
}

/// An object's fields as a map (for `fields!`).
pub(crate) fn fields(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// JavaScript's string form of a field, as Node's template strings make
/// keys: a missing field is `undefined`, `null` is `null`.
pub(crate) fn js(v: Option<&Value>) -> String {
    match v {
        None => "undefined".into(),
        Some(Value::Null) => "null".into(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

/// The message is a cluster message.
pub(crate) fn is_cluster(m: &Value) -> bool {
    m.get("cmd").and_then(Value::as_str) == Some(CMD)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newconn_is_the_message_node_sends() {
        // A Node v20 primary's `msg` of its newconn NODE_HANDLE line, read
        // off the channel by a raw worker.
        const NODE: &str = r#"{"cmd":"NODE_CLUSTER","act":"newconn","key":"null:0:4:undefined:0","seq":1}"#;
        let ours = serde_json::to_string(&NewConn {
            key: "null:0:4:undefined:0",
            seq: 1,
        })
        .unwrap();
        assert_eq!(ours, NODE);
        let quoted = serde_json::to_string(&NewConn {
            key: "/tmp/a\"b:-1",
            seq: 7,
        })
        .unwrap();
        assert_eq!(
            serde_json::from_str::<Value>(&quoted).unwrap()["key"],
            "/tmp/a\"b:-1"
        );
    }
}
