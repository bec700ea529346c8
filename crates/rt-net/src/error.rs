//! [`NetError`]: every failure of rt-net, with Node's `code`, `errno`,
//! `syscall`, `address` and `port` fields and Node's message.

use std::fmt;
use std::io;

/// An error from a server, a socket or a lookup, shaped like Node's.
///
/// System errors carry Node's code name (`ECONNREFUSED`, `EADDRINUSE`, ...),
/// the negative `errno`, the `syscall` that failed and, where Node adds them,
/// the `address` and `port`. The message is Node's, byte for byte:
///
/// ```text
/// connect ECONNREFUSED 127.0.0.1:1
/// listen EADDRINUSE: address already in use 127.0.0.1:8000
/// getaddrinfo ENOTFOUND nosuchhost.invalid
/// Server is not running.
/// ```
///
/// Cheap to clone (one allocation shared by every handle): Node delivers one
/// error to several parties, and so does rt.
#[derive(Clone, PartialEq, Eq)]
pub struct NetError {
    inner: std::sync::Arc<Repr>,
}

#[derive(Debug, PartialEq, Eq)]
struct Repr {
    code: String,
    message: String,
    errno: Option<i32>,
    syscall: Option<String>,
    address: Option<String>,
    port: Option<i32>,
    hostname: Option<String>,
}

/// How the message is built from the fields (Node has several shapes).
#[derive(Clone, Copy)]
enum Shape {
    /// `connect ECONNREFUSED 127.0.0.1:1` (Node's `exceptionWithHostPort`).
    Plain,
    /// `listen EADDRINUSE: address already in use 127.0.0.1:1`
    /// (Node's `uvExceptionWithHostPort`).
    WithDescription,
}

impl NetError {
    fn from_repr(r: Repr) -> NetError {
        NetError {
            inner: std::sync::Arc::new(r),
        }
    }

    /// An error with a Node code and message of your own (`ERR_...` errors).
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> NetError {
        NetError::from_repr(Repr {
            code: code.into(),
            message: message.into(),
            errno: None,
            syscall: None,
            address: None,
            port: None,
            hostname: None,
        })
    }

    /// A system error from `syscall` (`"connect"`, `"listen"`, `"read"`,
    /// `"write"`...) with no address (Node: `read ECONNRESET`).
    pub fn from_io(err: &io::Error, syscall: &str) -> NetError {
        Self::system(err, syscall, None, None, Shape::Plain)
    }

    /// A system error of `connect` to `address:port` (`port` `None` for a
    /// Unix path): `connect ECONNREFUSED 127.0.0.1:1`, `connect ENOENT /tmp/x.sock`.
    pub fn connect(err: &io::Error, address: &str, port: Option<u16>) -> NetError {
        Self::system(
            err,
            "connect",
            Some(address.to_string()),
            port.map(i32::from),
            Shape::Plain,
        )
    }

    /// A system error of `listen` (or `bind`) on `address:port`, or on a Unix
    /// path when `port` is `None` (Node then reports `port: -1`):
    /// `listen EADDRINUSE: address already in use 127.0.0.1:8000`.
    pub fn listen(err: &io::Error, address: &str, port: Option<u16>) -> NetError {
        Self::system(
            err,
            "listen",
            Some(address.to_string()),
            Some(port.map(i32::from).unwrap_or(-1)),
            Shape::WithDescription,
        )
    }

    fn system(
        err: &io::Error,
        syscall: &str,
        address: Option<String>,
        port: Option<i32>,
        shape: Shape,
    ) -> NetError {
        let raw = err
            .raw_os_error()
            .or_else(|| rt_stream::errno::from_kind(err.kind()))
            .unwrap_or(0);
        let (code, description) = if raw == 0 {
            ("UNKNOWN", "unknown error")
        } else {
            rt_stream::errno::describe(raw)
        };
        let mut message = match shape {
            Shape::Plain => format!("{syscall} {code}"),
            Shape::WithDescription => format!("{syscall} {code}: {description}"),
        };
        if let Some(a) = &address {
            message.push(' ');
            message.push_str(a);
            if let Some(p) = port.filter(|p| *p >= 0) {
                message.push_str(&format!(":{p}"));
            }
        }
        NetError::from_repr(Repr {
            code: code.to_string(),
            message,
            errno: (raw != 0).then_some(-raw),
            syscall: Some(syscall.to_string()),
            address,
            port,
            hostname: None,
        })
    }

    /// A failed name lookup: `getaddrinfo ENOTFOUND nosuchhost.invalid`
    /// (`EAI_AGAIN` for a temporary failure), as Node's `dns.lookup` reports it.
    pub fn lookup(err: &io::Error, hostname: &str) -> NetError {
        let text = err.to_string();
        let (code, errno) = if text.contains("Temporary failure") {
            ("EAI_AGAIN", -3001)
        } else if text.contains("memory") {
            ("EAI_MEMORY", -3006)
        } else {
            // EAI_NONAME and EAI_NODATA: Node names both ENOTFOUND.
            ("ENOTFOUND", -3008)
        };
        NetError::from_repr(Repr {
            code: code.to_string(),
            message: format!("getaddrinfo {code} {hostname}"),
            errno: Some(errno),
            syscall: Some("getaddrinfo".to_string()),
            address: None,
            port: None,
            hostname: Some(hostname.to_string()),
        })
    }

    /// `ERR_SERVER_NOT_RUNNING`: `close()` on a server that is not listening.
    pub fn server_not_running() -> NetError {
        NetError::new("ERR_SERVER_NOT_RUNNING", "Server is not running.")
    }

    /// `ERR_SERVER_ALREADY_LISTEN`: `listen()` twice without `close()`.
    pub fn server_already_listen() -> NetError {
        NetError::new(
            "ERR_SERVER_ALREADY_LISTEN",
            "Listen method has been called more than once without closing.",
        )
    }

    /// `ERR_SOCKET_CLOSED`: an operation on a socket that is closed.
    pub fn socket_closed() -> NetError {
        NetError::new("ERR_SOCKET_CLOSED", "Socket is closed")
    }

    /// `ERR_SOCKET_CLOSED_BEFORE_CONNECTION`: the socket was destroyed while connecting.
    pub fn closed_before_connection() -> NetError {
        NetError::new(
            "ERR_SOCKET_CLOSED_BEFORE_CONNECTION",
            "Socket closed before the connection was established",
        )
    }

    /// `ERR_SOCKET_BAD_PORT` for a port outside `0..65536` (Node's wording).
    pub fn bad_port(name: &str, port: i64) -> NetError {
        NetError::new(
            "ERR_SOCKET_BAD_PORT",
            format!("{name} should be >= 0 and < 65536. Received type number ({port})."),
        )
    }

    /// `ERR_INVALID_ARG_VALUE`: an option that Node would reject.
    pub fn invalid_arg(name: &str, what: &str) -> NetError {
        NetError::new("ERR_INVALID_ARG_VALUE", format!("The argument '{name}' {what}"))
    }

    /// `ETIMEDOUT` from rt's connect timeout: `connect ETIMEDOUT 10.0.0.1:80`.
    pub fn connect_timeout(address: &str, port: Option<u16>) -> NetError {
        Self::connect(&io::Error::from_raw_os_error(libc::ETIMEDOUT), address, port)
    }

    /// Node's error code: `"ECONNREFUSED"`, `"ERR_SERVER_NOT_RUNNING"`, ...
    pub fn code(&self) -> &str {
        &self.inner.code
    }

    /// The message, in Node's words.
    pub fn message(&self) -> &str {
        &self.inner.message
    }

    /// Node's negative `errno` (`-111` for `ECONNREFUSED` on Linux), for system errors.
    pub fn errno(&self) -> Option<i32> {
        self.inner.errno
    }

    /// The system call that failed (`"connect"`, `"listen"`, `"read"`, `"write"`, `"getaddrinfo"`).
    pub fn syscall(&self) -> Option<&str> {
        self.inner.syscall.as_deref()
    }

    /// The address involved (an IP or a Unix path), when Node reports one.
    pub fn address(&self) -> Option<&str> {
        self.inner.address.as_deref()
    }

    /// The port involved (`-1` for a Unix path on `listen`, as in Node).
    pub fn port(&self) -> Option<i32> {
        self.inner.port
    }

    /// The host name that did not resolve, for lookup errors.
    pub fn hostname(&self) -> Option<&str> {
        self.inner.hostname.as_deref()
    }

    /// The closest `io::ErrorKind` (for code that handles `io::Error`s).
    pub fn kind(&self) -> io::ErrorKind {
        use io::ErrorKind as K;
        match self.inner.code.as_str() {
            "EADDRINUSE" => K::AddrInUse,
            "EADDRNOTAVAIL" => K::AddrNotAvailable,
            "EACCES" | "EPERM" => K::PermissionDenied,
            "ECONNREFUSED" => K::ConnectionRefused,
            "ECONNRESET" => K::ConnectionReset,
            "ECONNABORTED" => K::ConnectionAborted,
            "EPIPE" => K::BrokenPipe,
            "ETIMEDOUT" => K::TimedOut,
            "ENOENT" | "ENOTFOUND" => K::NotFound,
            "ENOTCONN" | "ERR_SOCKET_CLOSED" => K::NotConnected,
            "EINVAL" | "ERR_INVALID_ARG_VALUE" | "ERR_SOCKET_BAD_PORT" => K::InvalidInput,
            _ => K::Other,
        }
    }
}

impl fmt::Display for NetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.inner.message)
    }
}

impl fmt::Debug for NetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.fmt(f)
    }
}

impl std::error::Error for NetError {}

impl From<NetError> for io::Error {
    fn from(e: NetError) -> io::Error {
        io::Error::new(e.kind(), e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connect_message_is_nodes() {
        let e = NetError::connect(
            &io::Error::from_raw_os_error(libc::ECONNREFUSED),
            "127.0.0.1",
            Some(1),
        );
        assert_eq!(e.message(), "connect ECONNREFUSED 127.0.0.1:1");
        assert_eq!(e.code(), "ECONNREFUSED");
        assert_eq!(e.errno(), Some(-111));
        assert_eq!(e.syscall(), Some("connect"));
        assert_eq!(e.port(), Some(1));
        assert_eq!(e.kind(), io::ErrorKind::ConnectionRefused);
    }

    #[test]
    fn listen_message_is_nodes() {
        let inuse = io::Error::from_raw_os_error(libc::EADDRINUSE);
        assert_eq!(
            NetError::listen(&inuse, "::", Some(8000)).message(),
            "listen EADDRINUSE: address already in use :::8000"
        );
        let p = NetError::listen(&inuse, "/tmp/x.sock", None);
        assert_eq!(
            p.message(),
            "listen EADDRINUSE: address already in use /tmp/x.sock"
        );
        assert_eq!(p.port(), Some(-1));
        let acces = NetError::listen(&io::Error::from_raw_os_error(libc::EACCES), "0.0.0.0", Some(80));
        assert_eq!(acces.code(), "EACCES");
        assert_eq!(acces.message(), "listen EACCES: permission denied 0.0.0.0:80");
    }

    #[test]
    fn kinds_without_errno_still_get_codes() {
        let e = NetError::from_io(&io::Error::from(io::ErrorKind::BrokenPipe), "write");
        assert_eq!(e.message(), "write EPIPE");
        let u = NetError::from_io(&io::Error::other("odd"), "read");
        assert_eq!(u.code(), "UNKNOWN");
        assert_eq!(u.errno(), None);
    }

    #[test]
    fn lookup_message_is_nodes() {
        let e = NetError::lookup(&io::Error::other("Name or service not known"), "x.invalid");
        assert_eq!(e.message(), "getaddrinfo ENOTFOUND x.invalid");
        assert_eq!(e.errno(), Some(-3008));
        assert_eq!(e.hostname(), Some("x.invalid"));
    }
}
