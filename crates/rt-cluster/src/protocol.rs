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

/// What runs when a worker answers a `newconn`: whether it accepted the
/// connection.
pub(crate) type Reply = Box<dyn FnOnce(bool) + Send>;

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// One process's sequence counter and the callbacks waiting for replies.
#[derive(Default)]
pub(crate) struct Sender {
    seq: AtomicU64,
    /// seq -> (the peer it went to, the callback).
    callbacks: Mutex<HashMap<u64, (u32, Reply), BuildSeqHasher>>,
}

/// The callbacks' keys are this process's own sequence numbers (counted
/// up from 0, never chosen by a peer): a multiplication spreads them, no
/// keyed hash needed (the default SipHash cost a few hundred instructions
/// per handed-off connection).
type BuildSeqHasher = std::hash::BuildHasherDefault<SeqHasher>;

#[derive(Default)]
struct SeqHasher(u64);

impl std::hash::Hasher for SeqHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0 ^ n).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

impl Sender {
    /// Sends `{cmd: NODE_CLUSTER, ...fields, seq}` over `channel`, with a
    /// raw fd as a `'net.Native'` handle when given.
    pub(crate) fn send(
        &self,
        channel: &Channel,
        fields: Map<String, Value>,
        handle: Option<Arc<OwnedFd>>,
    ) -> Result<bool, Error> {
        let seq = self.seq.fetch_add(1, Ordering::Relaxed);
        let mut message = Map::with_capacity(fields.len() + 2);
        message.insert("cmd".into(), Value::from(CMD));
        message.extend(fields);
        message.insert("seq".into(), Value::from(seq));
        match handle {
            Some(fd) => channel.send_handle(&message, SendHandle::Native(fd)),
            None => channel.send(&message),
        }
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
        message: &NewConn,
        fd: Arc<OwnedFd>,
        reply: Reply,
    ) -> Result<bool, Error> {
        let seq = self.seq.fetch_add(1, Ordering::Relaxed);
        lock(&self.callbacks).insert(seq, (peer, reply));
        let sent = channel.send_json(message.with_seq(seq), Some(SendHandle::Native(fd)));
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

/// A worker's answer to a `newconn` as Node's workers and rt's write it
/// (`{"cmd":"NODE_CLUSTER","ack":A,"accepted":B,"seq":S}`): `(ack,
/// accepted)`, read without a JSON value; `None` for any other line.
pub(crate) fn newconn_answer(line: &[u8]) -> Option<(u64, bool)> {
    let rest = line.strip_prefix(b"{\"cmd\":\"NODE_CLUSTER\",\"ack\":")?;
    let (ack, rest) = number(rest)?;
    let (accepted, rest) = match rest.strip_prefix(b",\"accepted\":true,\"seq\":") {
        Some(r) => (true, r),
        None => (false, rest.strip_prefix(b",\"accepted\":false,\"seq\":")?),
    };
    let (_, rest) = number(rest)?;
    (rest == b"}").then_some((ack, accepted))
}

/// A JSON integer as Node writes a seq (up to 2^53): digits, no sign; the
/// number and what follows it.
fn number(s: &[u8]) -> Option<(u64, &[u8])> {
    let end = s.iter().position(|b| !b.is_ascii_digit()).unwrap_or(s.len());
    if end == 0 || end > 16 {
        return None;
    }
    let n = s[..end].iter().fold(0u64, |n, d| n * 10 + u64::from(d - b'0'));
    Some((n, &s[end..]))
}

/// A primary's `newconn` as Node's primaries and rt's write it
/// (`{"cmd":"NODE_CLUSTER","act":"newconn","key":K,"seq":N}`): `(key, seq)`,
/// read without a JSON value; `None` for anything else (a key with an
/// escape in it included: that goes the general way).
pub(crate) fn newconn(msg: &[u8]) -> Option<(&str, u64)> {
    let rest = msg.strip_prefix(b"{\"cmd\":\"NODE_CLUSTER\",\"act\":\"newconn\",\"key\":\"")?;
    let end = rest.iter().position(|&b| b == b'"' || b == b'\\' || b < 0x20)?;
    let (key, rest) = rest.split_at(end);
    let key = std::str::from_utf8(key).ok()?;
    let (seq, rest) = number(rest.strip_prefix(b"\",\"seq\":")?)?;
    (rest == b"}").then_some((key, seq))
}

/// A worker's answer to a `newconn`, fields in Node's order (`ack` is the
/// `newconn`'s `seq` as it came).
pub(crate) struct NewConnAnswer<A> {
    pub(crate) ack: A,
    pub(crate) accepted: bool,
    pub(crate) seq: u64,
}

impl<A: serde::Serialize> serde::Serialize for NewConnAnswer<A> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut m = s.serialize_struct("NewConnAnswer", 4)?;
        m.serialize_field("cmd", CMD)?;
        m.serialize_field("ack", &self.ack)?;
        m.serialize_field("accepted", &self.accepted)?;
        m.serialize_field("seq", &self.seq)?;
        m.end()
    }
}

/// A round-robin handle's `newconn` message, made once: the JSON text
/// `{"cmd":"NODE_CLUSTER","act":"newconn","key":<key>,"seq":` (fields in
/// Node's order) that each connection's seq completes.
pub(crate) struct NewConn {
    head: Vec<u8>,
}

impl NewConn {
    pub(crate) fn new(key: &str) -> NewConn {
        let mut head = br#"{"cmd":"NODE_CLUSTER","act":"newconn","key":"#.to_vec();
        // A string always serializes.
        let _ = serde_json::to_writer(&mut head, key);
        head.extend_from_slice(br#","seq":"#);
        NewConn { head }
    }

    /// The message with `seq`.
    fn with_seq(&self, seq: u64) -> Vec<u8> {
        let mut m = Vec::with_capacity(self.head.len() + 21);
        m.extend_from_slice(&self.head);
        push_u64(&mut m, seq);
        m.push(b'}');
        m
    }
}

/// A worker's answer to a `newconn` whose `seq` was a number, as its JSON
/// text: the bytes `serde_json` writes for [`NewConnAnswer`] (Node's), made
/// without serializing a value.
pub(crate) fn newconn_answer_json(ack: u64, accepted: bool, seq: u64) -> Vec<u8> {
    let mut m = Vec::with_capacity(96);
    m.extend_from_slice(br#"{"cmd":"NODE_CLUSTER","ack":"#);
    push_u64(&mut m, ack);
    m.extend_from_slice(if accepted {
        br#","accepted":true,"seq":"#.as_slice()
    } else {
        br#","accepted":false,"seq":"#.as_slice()
    });
    push_u64(&mut m, seq);
    m.push(b'}');
    m
}

/// `n` in decimal, as JSON writes an integer.
fn push_u64(out: &mut Vec<u8>, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[at..]);
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
        let ours = NewConn::new("null:0:4:undefined:0").with_seq(1);
        assert_eq!(String::from_utf8_lossy(&ours), NODE);
        let quoted = NewConn::new("/tmp/a\"b:-1").with_seq(u64::MAX);
        let back: Value = serde_json::from_slice(&quoted).unwrap();
        assert_eq!(back["key"], "/tmp/a\"b:-1");
        assert_eq!(back["seq"], u64::MAX);
        assert_eq!(back.as_object().map(|o| o.len()), Some(4));
    }

    #[test]
    fn newconns_are_read_as_node_writes_them() {
        // A Node v20 primary's newconn msg, read off the channel.
        const NODE: &[u8] = br#"{"cmd":"NODE_CLUSTER","act":"newconn","key":"null:0:4:undefined:0","seq":1}"#;
        assert_eq!(newconn(NODE), Some(("null:0:4:undefined:0", 1)));
        let ours = NewConn::new("/tmp/a b.sock:-1:-1:undefined:0").with_seq(1234);
        assert_eq!(newconn(&ours), Some(("/tmp/a b.sock:-1:-1:undefined:0", 1234)));
        // Anything else goes the general way.
        let others: [&[u8]; 8] = [
            br#"{"cmd":"NODE_CLUSTER","act":"newconn","key":"a\"b","seq":1}"#,
            br#"{"cmd":"NODE_CLUSTER","act":"newconn","key":"a\u0041","seq":1}"#,
            br#"{"cmd":"NODE_CLUSTER","act":"newconn","key":"k","seq":1,"x":2}"#,
            br#"{"cmd":"NODE_CLUSTER","act":"newconn","key":"k","seq":-1}"#,
            br#"{"cmd":"NODE_CLUSTER","act":"newconn","key":"k","seq":99999999999999999999}"#,
            br#"{"cmd":"NODE_CLUSTER","act":"newconn","seq":1,"key":"k"}"#,
            br#"{"cmd":"NODE_CLUSTER","ack":1,"errno":0,"key":"k","seq":1}"#,
            b"",
        ];
        for other in others {
            assert_eq!(newconn(other), None, "{}", String::from_utf8_lossy(other));
        }
        println!("{} lines that are not a plain newconn left alone", others.len());
    }

    #[test]
    fn newconn_answers_are_written_as_serde_writes_them() {
        let numbers = [0, 1, 9, 10, 99, 100, 12_345, 1 << 53, u64::MAX];
        let mut compared = 0;
        for &ack in &numbers {
            for &seq in &numbers {
                for accepted in [true, false] {
                    let serde = serde_json::to_vec(&NewConnAnswer { ack, accepted, seq }).unwrap();
                    assert_eq!(
                        String::from_utf8_lossy(&newconn_answer_json(ack, accepted, seq)),
                        String::from_utf8_lossy(&serde)
                    );
                    compared += 1;
                }
            }
        }
        assert_eq!(compared, numbers.len() * numbers.len() * 2);
        println!("{compared} answers written as serde_json writes them");
    }

    #[test]
    fn newconn_answers_are_read_as_node_writes_them() {
        // A Node v20 worker's answer, read off the channel.
        const NODE: &[u8] = br#"{"cmd":"NODE_CLUSTER","ack":1,"accepted":true,"seq":3}"#;
        assert_eq!(newconn_answer(NODE), Some((1, true)));
        let ours = serde_json::to_vec(&NewConnAnswer {
            ack: &Value::from(1),
            accepted: true,
            seq: 3,
        })
        .unwrap();
        assert_eq!(ours, NODE);
        let refused = br#"{"cmd":"NODE_CLUSTER","ack":12,"accepted":false,"seq":40}"#;
        assert_eq!(newconn_answer(refused), Some((12, false)));
        // Anything else goes the general way.
        let others: [&[u8]; 8] = [
            br#"{"cmd":"NODE_CLUSTER","ack":1,"accepted":true,"seq":3,"x":1}"#,
            br#"{"cmd":"NODE_CLUSTER","ack":-1,"accepted":true,"seq":3}"#,
            br#"{"cmd":"NODE_CLUSTER","ack":1.5,"accepted":true,"seq":3}"#,
            br#"{"cmd":"NODE_CLUSTER","ack":,"accepted":true,"seq":3}"#,
            br#"{"cmd":"NODE_CLUSTER","ack":99999999999999999999,"accepted":true,"seq":3}"#,
            br#"{"cmd":"NODE_CLUSTER","act":"online","seq":0}"#,
            br#"{"accepted":true,"ack":1,"cmd":"NODE_CLUSTER","seq":3}"#,
            b"",
        ];
        for other in others {
            assert_eq!(newconn_answer(other), None, "{}", String::from_utf8_lossy(other));
        }
        println!("{} lines that are not a newconn answer left alone", others.len());
    }
}
