//! Node's json serialization of the channel: `JSON.stringify(message) +
//! "\n"` out, lines split on `\n` in (a partial tail kept), internal
//! `NODE_*` messages told apart.

use bytes::BytesMut;
use rt_stream::{Code, Error};
use serde_json::Value;

/// Node's rule for an internal message: an object whose `cmd` is a string
/// longer than 5 characters starting with `NODE_`. Internal messages never
/// reach `'message'` listeners.
pub fn is_internal(message: &Value) -> bool {
    match message.get("cmd") {
        Some(Value::String(cmd)) => cmd.len() > 5 && cmd.starts_with("NODE_"),
        _ => false,
    }
}

fn not_serializable(e: serde_json::Error) -> Error {
    Error::new(
        Code::ERR_INVALID_ARG_TYPE,
        format!("The \"message\" argument cannot be serialized as JSON: {e}"),
    )
    .with_name("TypeError")
}

/// One message as a line.
pub(crate) fn encode<T: serde::Serialize + ?Sized>(message: &T) -> Result<Vec<u8>, Error> {
    let mut line = serde_json::to_vec(message).map_err(not_serializable)?;
    line.push(b'\n');
    Ok(line)
}

/// A message with a handle as its `NODE_HANDLE` line, the bytes Node
/// writes (`{"cmd":"NODE_HANDLE","type":<kind>,"msg":<message>}`, keys in
/// that order): the message is serialized once, in place.
pub(crate) fn encode_handle<T: serde::Serialize + ?Sized>(
    kind: &'static str,
    message: &T,
) -> Result<Vec<u8>, Error> {
    let mut line = handle_head(kind, 64);
    serde_json::to_writer(&mut line, message).map_err(not_serializable)?;
    line.extend_from_slice(b"}\n");
    Ok(line)
}

/// [`encode_handle`] for a message given as its JSON text.
pub(crate) fn encode_handle_json(kind: &'static str, message_json: &[u8]) -> Vec<u8> {
    let mut line = handle_head(kind, message_json.len() + 2);
    line.extend_from_slice(message_json);
    line.extend_from_slice(b"}\n");
    line
}

/// A message given as its JSON text goes as one line: a line break in it
/// would end the line early (`ERR_INVALID_ARG_VALUE`).
pub(crate) fn refuse_line_breaks(message_json: &[u8]) -> Result<(), Error> {
    if memchr::memchr2(b'\n', b'\r', message_json).is_some() {
        return Err(Error::new(
            Code::ERR_INVALID_ARG_VALUE,
            "The message's JSON text must not contain a line break",
        ));
    }
    Ok(())
}

/// `{"cmd":"NODE_HANDLE","type":"<kind>","msg":` (`kind` is one of the
/// handle types, nothing to escape), with room for `more` bytes.
fn handle_head(kind: &'static str, more: usize) -> Vec<u8> {
    const HEAD: &[u8] = b"{\"cmd\":\"NODE_HANDLE\",\"type\":\"";
    let mut line = Vec::with_capacity(HEAD.len() + kind.len() + 9 + more);
    line.extend_from_slice(HEAD);
    line.extend_from_slice(kind.as_bytes());
    line.extend_from_slice(b"\",\"msg\":");
    line
}

/// Splits complete lines off the front of a read buffer.
#[derive(Default)]
pub(crate) struct LineSplitter {
    /// How far the buffer was already searched for `\n` (a 6 MB message
    /// arriving in 64 KiB reads is searched once, not once per read).
    scanned: usize,
}

impl LineSplitter {
    /// The next complete line (without its `\n`), or `None`.
    pub(crate) fn next_line(&mut self, buf: &mut BytesMut) -> Option<BytesMut> {
        match memchr::memchr(b'\n', &buf[self.scanned..]) {
            Some(i) => {
                let end = self.scanned + i;
                self.scanned = 0;
                let mut line = buf.split_to(end + 1);
                line.truncate(end);
                Some(line)
            }
            None => {
                self.scanned = buf.len();
                None
            }
        }
    }
}

/// One line as a message: a line that is not JSON (or is empty) is an
/// error carrying the line, where a Node receiver would crash.
pub(crate) fn decode(line: &[u8]) -> Result<Value, Error> {
    // UTF-8 checked once for the whole line (word at a time while it is
    // ASCII) instead of string by string; a line that is not UTF-8 goes
    // the checking way, for the same error as before.
    let parsed = match std::str::from_utf8(line) {
        Ok(text) => serde_json::from_str(text),
        Err(_) => serde_json::from_slice(line),
    };
    parsed.map_err(|e| {
        let shown = String::from_utf8_lossy(line);
        Error::new(
            Code::custom("ERR_IPC_INVALID_MESSAGE"),
            format!("Invalid IPC message ({e}): {shown:?}"),
        )
        .with_name("SyntaxError")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_split_and_partial_tails_wait() {
        let mut s = LineSplitter::default();
        let mut buf = BytesMut::from(&b"{\"a\":1}\n{\"b\""[..]);
        assert_eq!(&s.next_line(&mut buf).unwrap()[..], b"{\"a\":1}");
        assert!(s.next_line(&mut buf).is_none());
        buf.extend_from_slice(b":2}\r\n");
        let l = s.next_line(&mut buf).unwrap();
        assert_eq!(decode(&l).unwrap(), serde_json::json!({"b": 2}));
        assert!(buf.is_empty());
        let e = decode(b"").unwrap_err();
        assert_eq!(e.code(), "ERR_IPC_INVALID_MESSAGE");
        let e = decode(b"nope{").unwrap_err();
        assert!(e.message().contains("nope{"), "{}", e.message());
        assert!(is_internal(&serde_json::json!({"cmd": "NODE_HANDLE_ACK"})));
        assert!(!is_internal(&serde_json::json!({"cmd": "NODE_"})));
        assert!(!is_internal(&serde_json::json!("NODE_HANDLE")));
    }

    #[test]
    fn lines_decode_the_same_whether_utf8_or_not() {
        let text = "{\"k\":\"é€😀\",\"n\":[1,2.5,null]}";
        assert_eq!(
            decode(text.as_bytes()).unwrap(),
            serde_json::json!({"k": "é€😀", "n": [1, 2.5, null]})
        );
        // Not UTF-8 inside a string: serde_json's error, with the bytes shown.
        let e = decode(b"{\"k\":\"\xff\"}").unwrap_err();
        assert_eq!(e.code(), "ERR_IPC_INVALID_MESSAGE");
        assert!(
            e.message().contains("invalid unicode code point"),
            "{}",
            e.message()
        );
        // Not UTF-8 outside a string: still not JSON.
        let e = decode(b"{\"k\":1}\xff").unwrap_err();
        assert_eq!(e.code(), "ERR_IPC_INVALID_MESSAGE");
    }

    #[test]
    fn handle_lines_are_the_bytes_node_writes() {
        // A Node v20 primary's newconn, as read off the channel by a raw
        // worker (keys in Node's order).
        const NODE: &[u8] = b"{\"cmd\":\"NODE_HANDLE\",\"type\":\"net.Native\",\"msg\":{\"cmd\":\"NODE_CLUSTER\",\"act\":\"newconn\",\"key\":\"null:0:4:undefined:0\",\"seq\":1}}\n";
        struct NewConn;
        impl serde::Serialize for NewConn {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                use serde::ser::SerializeStruct;
                let mut m = s.serialize_struct("NewConn", 4)?;
                m.serialize_field("cmd", "NODE_CLUSTER")?;
                m.serialize_field("act", "newconn")?;
                m.serialize_field("key", "null:0:4:undefined:0")?;
                m.serialize_field("seq", &1u64)?;
                m.end()
            }
        }
        let m = NewConn;
        assert_eq!(encode_handle("net.Native", &m).unwrap(), NODE);
        let json = br#"{"cmd":"NODE_CLUSTER","act":"newconn","key":"null:0:4:undefined:0","seq":1}"#;
        assert_eq!(encode_handle_json("net.Native", json), NODE);
        let line = encode_handle("net.Socket", &serde_json::json!({"a": [1, "\n"]})).unwrap();
        assert_eq!(
            line,
            b"{\"cmd\":\"NODE_HANDLE\",\"type\":\"net.Socket\",\"msg\":{\"a\":[1,\"\\n\"]}}\n"
        );
        let mut bad = std::collections::HashMap::new();
        bad.insert((1, 2), 3);
        assert_eq!(
            encode_handle("net.Native", &bad).unwrap_err().code(),
            "ERR_INVALID_ARG_TYPE"
        );
    }
}
