//! What a worker's `'listening'` reports (Node: `{ addressType, address, port, fd }`).

use serde_json::Value;

/// Where a worker's server listens, as the worker reported it (Node: the
/// `'listening'` event's `address`: `addressType` 4, 6 or -1 for a Unix
/// path; `address` `None` for "all interfaces").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address {
    /// 4, 6, or -1 (a Unix socket path). Node: `addressType`.
    pub address_type: i64,
    /// The host asked for (`None`: all interfaces), or the path. Node: `address`.
    pub address: Option<String>,
    /// The port (-1 for a path). Node: `port`.
    pub port: i64,
    /// Node: `fd` (a listen on an fd; not used by rt workers).
    pub fd: Option<i64>,
}

impl Address {
    pub(crate) fn from_message(m: &Value) -> Address {
        Address {
            address_type: m.get("addressType").and_then(Value::as_i64).unwrap_or(0),
            address: m.get("address").and_then(Value::as_str).map(str::to_string),
            port: m.get("port").and_then(Value::as_i64).unwrap_or(0),
            fd: m.get("fd").and_then(Value::as_i64),
        }
    }
}
