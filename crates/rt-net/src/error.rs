//! rt-net's errors are rt's one error type, [`Error`] (rt-stream's, with
//! Node's `code`, `errno`, `syscall`, `address`, `port` and `hostname`):
//! the error a socket emits as `'error'` is the very value its stream
//! reports, its `io::Error` carries and its async methods return.
//! [`NetErrorExt`] adds the constructors for the failures of `net`.

use std::io;

pub use rt_stream::{Code, Error};

/// The former name of rt-net's error type, now rt's one [`Error`]; kept
/// (without a deprecation warning, which `-D warnings` turns into a build
/// failure) so that code written against the old name still builds. New
/// code names [`Error`].
#[doc(hidden)]
pub type NetError = Error;

/// Node's `net` errors as constructors of [`Error`]
/// (`Error::connect(&io_err, "127.0.0.1", Some(1))`), with Node's messages:
///
/// ```text
/// connect ECONNREFUSED 127.0.0.1:1
/// listen EADDRINUSE: address already in use 127.0.0.1:8000
/// getaddrinfo ENOTFOUND nosuchhost.invalid
/// Server is not running.
/// ```
pub trait NetErrorExt: Sized {
    /// A system error of `connect` to `address:port` (`port` `None` for a
    /// Unix path): `connect ECONNREFUSED 127.0.0.1:1`, `connect ENOENT /tmp/x.sock`.
    fn connect(err: &io::Error, address: &str, port: Option<u16>) -> Self;

    /// A system error of `listen` (or `bind`) on `address:port`, or on a Unix
    /// path when `port` is `None` (Node then reports `port: -1`):
    /// `listen EADDRINUSE: address already in use 127.0.0.1:8000`.
    fn listen(err: &io::Error, address: &str, port: Option<u16>) -> Self;

    /// A failed name lookup: `getaddrinfo ENOTFOUND nosuchhost.invalid`
    /// (`EAI_AGAIN` for a temporary failure), as Node's `dns.lookup` reports
    /// it, with `errno`, `syscall` and `hostname`.
    fn lookup(err: &io::Error, hostname: &str) -> Self;

    /// `ETIMEDOUT` from rt's connect timeout: `connect ETIMEDOUT 10.0.0.1:80`.
    fn connect_timeout(address: &str, port: Option<u16>) -> Self;

    /// `ERR_SERVER_NOT_RUNNING`: `close()` on a server that is not listening.
    fn server_not_running() -> Self;

    /// `ERR_SERVER_ALREADY_LISTEN`: `listen()` twice without `close()`.
    fn server_already_listen() -> Self;

    /// `ERR_SOCKET_CLOSED`: an operation on a socket that is closed.
    fn socket_closed() -> Self;

    /// `ERR_SOCKET_CLOSED_BEFORE_CONNECTION`: the socket was destroyed while connecting.
    fn closed_before_connection() -> Self;

    /// `ERR_SOCKET_BAD_PORT` for a port outside `0..65536` (Node's wording).
    fn bad_port(name: &str, port: i64) -> Self;

    /// `ERR_INVALID_ARG_VALUE`: an option that Node would reject
    /// (`The argument '<name>' <what>`).
    fn invalid_arg(name: &str, what: &str) -> Self;
}

impl NetErrorExt for Error {
    fn connect(err: &io::Error, address: &str, port: Option<u16>) -> Error {
        Error::with_host_port(err, "connect", address, port.map(i32::from))
    }

    fn listen(err: &io::Error, address: &str, port: Option<u16>) -> Error {
        Error::uv_with_host_port(err, "listen", address, Some(port.map(i32::from).unwrap_or(-1)))
    }

    fn lookup(err: &io::Error, hostname: &str) -> Error {
        let text = err.to_string();
        let (code, errno) = if text.contains("Temporary failure") {
            (Code::EAI_AGAIN, -3001)
        } else if text.contains("memory") {
            (Code::EAI_MEMORY, -3006)
        } else {
            // EAI_NONAME and EAI_NODATA: Node names both ENOTFOUND.
            (Code::ENOTFOUND, -3008)
        };
        Error::new(code, format!("getaddrinfo {code} {hostname}"))
            .with_errno(errno)
            .with_syscall("getaddrinfo")
            .with_hostname(hostname)
            .with_io_kind(io::ErrorKind::NotFound)
    }

    fn connect_timeout(address: &str, port: Option<u16>) -> Error {
        Error::connect(&io::Error::from_raw_os_error(libc::ETIMEDOUT), address, port)
    }

    fn server_not_running() -> Error {
        Error::new(Code::ERR_SERVER_NOT_RUNNING, "Server is not running.")
    }

    fn server_already_listen() -> Error {
        Error::new(
            Code::ERR_SERVER_ALREADY_LISTEN,
            "Listen method has been called more than once without closing.",
        )
    }

    fn socket_closed() -> Error {
        Error::new(Code::ERR_SOCKET_CLOSED, "Socket is closed")
    }

    fn closed_before_connection() -> Error {
        Error::new(
            Code::ERR_SOCKET_CLOSED_BEFORE_CONNECTION,
            "Socket closed before the connection was established",
        )
    }

    fn bad_port(name: &str, port: i64) -> Error {
        Error::new(
            Code::ERR_SOCKET_BAD_PORT,
            format!("{name} should be >= 0 and < 65536. Received type number ({port})."),
        )
    }

    fn invalid_arg(name: &str, what: &str) -> Error {
        Error::new(
            Code::ERR_INVALID_ARG_VALUE,
            format!("The argument '{name}' {what}"),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connect_message_is_nodes() {
        let e = Error::connect(
            &io::Error::from_raw_os_error(libc::ECONNREFUSED),
            "127.0.0.1",
            Some(1),
        );
        assert_eq!(e.message(), "connect ECONNREFUSED 127.0.0.1:1");
        assert_eq!(e.code(), "ECONNREFUSED");
        assert_eq!(e.errno(), Some(-111));
        assert_eq!(e.syscall(), Some("connect"));
        assert_eq!(e.port(), Some(1));
        assert_eq!(e.io_kind(), io::ErrorKind::ConnectionRefused);
    }

    #[test]
    fn listen_message_is_nodes() {
        let inuse = io::Error::from_raw_os_error(libc::EADDRINUSE);
        assert_eq!(
            Error::listen(&inuse, "::", Some(8000)).message(),
            "listen EADDRINUSE: address already in use :::8000"
        );
        let p = Error::listen(&inuse, "/tmp/x.sock", None);
        assert_eq!(
            p.message(),
            "listen EADDRINUSE: address already in use /tmp/x.sock"
        );
        assert_eq!(p.port(), Some(-1));
        let acces = Error::listen(&io::Error::from_raw_os_error(libc::EACCES), "0.0.0.0", Some(80));
        assert_eq!(acces.code(), "EACCES");
        assert_eq!(acces.message(), "listen EACCES: permission denied 0.0.0.0:80");
    }

    #[test]
    fn kinds_without_errno_still_get_codes() {
        let e = Error::syscall_failed(&io::Error::from(io::ErrorKind::BrokenPipe), "write");
        assert_eq!(e.message(), "write EPIPE");
        let u = Error::syscall_failed(&io::Error::other("odd"), "read");
        assert_eq!(u.code(), "UNKNOWN");
        assert_eq!(u.errno(), None);
    }

    #[test]
    fn lookup_message_is_nodes() {
        let e = Error::lookup(&io::Error::other("Name or service not known"), "x.invalid");
        assert_eq!(e.message(), "getaddrinfo ENOTFOUND x.invalid");
        assert_eq!(e.errno(), Some(-3008));
        assert_eq!(e.hostname(), Some("x.invalid"));
        assert_eq!(e.io_kind(), io::ErrorKind::NotFound);
    }
}
