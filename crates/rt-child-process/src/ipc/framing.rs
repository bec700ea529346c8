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

/// One message as a line.
pub(crate) fn encode<T: serde::Serialize + ?Sized>(message: &T) -> Result<Vec<u8>, Error> {
    let mut line = serde_json::to_vec(message).map_err(|e| {
        Error::new(
            Code::ERR_INVALID_ARG_TYPE,
            format!("The \"message\" argument cannot be serialized as JSON: {e}"),
        )
        .with_name("TypeError")
    })?;
    line.push(b'\n');
    Ok(line)
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
    serde_json::from_slice(line).map_err(|e| {
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
}
