//! [`Error`]: the one Node error type of rt, with a typed [`Code`], and every
//! field Node puts on its errors (`errno`, `syscall`, `address`, `port`,
//! `path`, `dest`, `hostname`, `spawnargs`, `bytesParsed`...).
//!
//! Every rt crate reports this type (rt-net re-exports it as
//! `rt_net::Error`), so an error keeps all of its fields on its way from a
//! socket's `'error'` event into a stream's `errored()`, into an
//! `io::Error` and back.
//!
//! - [`code`] : the [`Code`] type and its constants.
//! - [`system`] : system errors in Node's message shapes (`connect
//!   ECONNREFUSED 127.0.0.1:1`, `ENOENT: no such file or directory, open
//!   '/x'`, `spawn ls-not-here ENOENT`...).
//! - [`known`] : Node's own `ERR_*` errors that streams raise, and the HTTP
//!   parser's `HPE_*` errors.
//! - [`convert`] : lossless conversions from and to `io::Error`,
//!   `rt_buffer::Error` and rt-events' errors.

pub(crate) mod code;
mod convert;
mod known;
mod system;

use std::fmt;
use std::io;
use std::sync::Arc;

use rt_buffer::Buffer;

pub use code::Code;

/// An error with Node's `code`, message and fields, shared by every rt crate
/// (streams, sockets, servers, lookups; HTTP and child processes next).
///
/// `code()` is Node's `err.code` as a string (`"ECONNREFUSED"`),
/// [`typed_code`](Error::typed_code) the same as a [`Code`]; `Display`
/// prints Node's `err.message` byte for byte:
///
/// ```text
/// connect ECONNREFUSED 127.0.0.1:1
/// listen EADDRINUSE: address already in use :::8000
/// ENOENT: no such file or directory, open '/nope'
/// spawn ls-not-here ENOENT
/// Parse Error: Invalid method encountered
/// ```
///
/// Errors are cheap to clone (one shared allocation): Node delivers one
/// error to several parties (the `'error'` listeners, a write callback,
/// `finished`, `pipeline`), and so does rt; [`same`](Error::same) tells
/// whether two handles are one delivery.
#[doc(alias = "SystemError")]
#[derive(Clone)]
pub struct Error {
    inner: Arc<Inner>,
}

#[derive(Clone, Default)]
struct Inner {
    code: Option<Code>,
    message: String,
    name: Option<&'static str>,
    errno: Option<i32>,
    syscall: Option<String>,
    address: Option<String>,
    port: Option<i32>,
    local_address: Option<String>,
    local_port: Option<i32>,
    path: Option<String>,
    dest: Option<String>,
    hostname: Option<String>,
    spawnargs: Option<Vec<String>>,
    parse: Option<ParseInfo>,
    io_kind: Option<io::ErrorKind>,
    source: Option<Arc<dyn std::error::Error + Send + Sync + 'static>>,
}

/// What Node puts on an HTTP parser error (`HPE_*`).
#[derive(Clone)]
struct ParseInfo {
    bytes_parsed: usize,
    reason: String,
    raw_packet: Option<Buffer>,
}

impl Error {
    /// An error with a code and message of your own (for implementors of
    /// streams that report their own failures): `Error::new("ERR_MINE", "..")`
    /// or `Error::new(Code::EPIPE, "..")`.
    pub fn new(code: impl Into<Code>, message: impl Into<String>) -> Error {
        Error {
            inner: Arc::new(Inner {
                code: Some(code.into()),
                message: message.into(),
                ..Inner::default()
            }),
        }
    }

    fn edit(mut self, f: impl FnOnce(&mut Inner)) -> Error {
        f(Arc::make_mut(&mut self.inner));
        self
    }

    // ----- accessors --------------------------------------------------------

    /// Node's error code as a string, e.g. `"ERR_STREAM_DESTROYED"` or `"ENOENT"`.
    pub fn code(&self) -> &'static str {
        self.typed_code().as_str()
    }

    /// Node's error code as a [`Code`] (`Code::ECONNREFUSED`), for `match`.
    pub fn typed_code(&self) -> Code {
        self.inner.code.unwrap_or(Code::UNKNOWN)
    }

    /// Whether the error has code `code`.
    pub fn is(&self, code: Code) -> bool {
        self.typed_code() == code
    }

    /// The message, in Node's words (`"write after end"`, `"connect
    /// ECONNREFUSED 127.0.0.1:1"`).
    pub fn message(&self) -> &str {
        &self.inner.message
    }

    /// The JavaScript class Node would throw (`err.name`): `"TypeError"` for
    /// invalid arguments, `"RangeError"` for out-of-range values,
    /// `"Error"` otherwise.
    pub fn name(&self) -> &'static str {
        if let Some(n) = self.inner.name {
            return n;
        }
        match self.typed_code() {
            Code::ERR_INVALID_ARG_TYPE
            | Code::ERR_INVALID_ARG_VALUE
            | Code::ERR_UNKNOWN_ENCODING
            | Code::ERR_INVALID_HTTP_TOKEN
            | Code::ERR_INVALID_CHAR
            | Code::ERR_HTTP_INVALID_HEADER_VALUE => "TypeError",
            Code::ERR_OUT_OF_RANGE
            | Code::ERR_BUFFER_OUT_OF_BOUNDS
            | Code::ERR_INVALID_BUFFER_SIZE
            | Code::ERR_SOCKET_BAD_PORT
            | Code::ERR_HTTP_INVALID_STATUS_CODE
            | Code::ERR_CHILD_PROCESS_STDIO_MAXBUFFER => "RangeError",
            Code::ABORT_ERR => "AbortError",
            _ => "Error",
        }
    }

    /// Node's negative `errno` for system errors (`-2` for `ENOENT`, `-3008`
    /// for `ENOTFOUND`).
    pub fn errno(&self) -> Option<i32> {
        self.inner.errno
    }

    /// The system call that failed (`"open"`, `"read"`, `"connect"`,
    /// `"getaddrinfo"`, `"spawn ls"`), for system errors.
    pub fn syscall(&self) -> Option<&str> {
        self.inner.syscall.as_deref()
    }

    /// The address involved (an IP or a Unix socket path), where Node reports one.
    pub fn address(&self) -> Option<&str> {
        self.inner.address.as_deref()
    }

    /// The port involved (`-1` for a Unix path on `listen`, as in Node).
    pub fn port(&self) -> Option<i32> {
        self.inner.port
    }

    /// The local address a failed `connect` was bound to (Node's `localAddress`).
    #[doc(alias = "localAddress")]
    pub fn local_address(&self) -> Option<&str> {
        self.inner.local_address.as_deref()
    }

    /// The local port a failed `connect` was bound to (Node's `localPort`).
    #[doc(alias = "localPort")]
    pub fn local_port(&self) -> Option<i32> {
        self.inner.local_port
    }

    /// The path involved, for file system and spawn errors.
    pub fn path(&self) -> Option<&str> {
        self.inner.path.as_deref()
    }

    /// The destination path, for two-path file system errors (`rename`, `link`).
    pub fn dest(&self) -> Option<&str> {
        self.inner.dest.as_deref()
    }

    /// The host name that did not resolve, for lookup errors.
    pub fn hostname(&self) -> Option<&str> {
        self.inner.hostname.as_deref()
    }

    /// The arguments of a failed spawn (Node's `err.spawnargs`).
    pub fn spawnargs(&self) -> Option<&[String]> {
        self.inner.spawnargs.as_deref()
    }

    /// How many bytes the HTTP parser consumed before it failed (Node's
    /// `err.bytesParsed`), for `HPE_*` errors.
    #[doc(alias = "bytesParsed")]
    pub fn bytes_parsed(&self) -> Option<usize> {
        self.inner.parse.as_ref().map(|p| p.bytes_parsed)
    }

    /// The HTTP parser's reason (Node's `err.reason`: `"Invalid method
    /// encountered"`), for `HPE_*` errors.
    pub fn reason(&self) -> Option<&str> {
        self.inner.parse.as_ref().map(|p| p.reason.as_str())
    }

    /// The bytes the HTTP parser failed on (Node's `err.rawPacket`).
    #[doc(alias = "rawPacket")]
    pub fn raw_packet(&self) -> Option<&Buffer> {
        self.inner.parse.as_ref().and_then(|p| p.raw_packet.as_ref())
    }

    /// Whether two handles are the same error (the same delivery).
    pub fn same(&self, other: &Error) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }

    /// The `io::ErrorKind` this error maps to (for the tokio bridges): the
    /// kind of the OS error it came from, or the closest one for its code.
    pub fn io_kind(&self) -> io::ErrorKind {
        self.inner.io_kind.unwrap_or_else(|| self.typed_code().io_kind())
    }

    // ----- builders (each returns the error with one field set) --------------

    /// Sets `errno` (Node's negative number).
    pub fn with_errno(self, errno: i32) -> Error {
        self.edit(|i| i.errno = Some(errno))
    }

    /// Sets `syscall`.
    pub fn with_syscall(self, syscall: impl Into<String>) -> Error {
        self.edit(|i| i.syscall = Some(syscall.into()))
    }

    /// Sets `address`.
    pub fn with_address(self, address: impl Into<String>) -> Error {
        self.edit(|i| i.address = Some(address.into()))
    }

    /// Sets `port`.
    pub fn with_port(self, port: i32) -> Error {
        self.edit(|i| i.port = Some(port))
    }

    /// Sets `localAddress` and `localPort`.
    pub fn with_local(self, address: impl Into<String>, port: i32) -> Error {
        self.edit(|i| {
            i.local_address = Some(address.into());
            i.local_port = Some(port);
        })
    }

    /// Sets `path`.
    pub fn with_path(self, path: impl Into<String>) -> Error {
        self.edit(|i| i.path = Some(path.into()))
    }

    /// Sets `dest`.
    pub fn with_dest(self, dest: impl Into<String>) -> Error {
        self.edit(|i| i.dest = Some(dest.into()))
    }

    /// Sets `hostname`.
    pub fn with_hostname(self, hostname: impl Into<String>) -> Error {
        self.edit(|i| i.hostname = Some(hostname.into()))
    }

    /// Sets `spawnargs`.
    pub fn with_spawnargs(self, args: Vec<String>) -> Error {
        self.edit(|i| i.spawnargs = Some(args))
    }

    /// Sets the JavaScript class name (`err.name`).
    pub fn with_name(self, name: &'static str) -> Error {
        self.edit(|i| i.name = Some(name))
    }

    /// Sets the `io::ErrorKind` the error converts to.
    pub fn with_io_kind(self, kind: io::ErrorKind) -> Error {
        self.edit(|i| i.io_kind = Some(kind))
    }

    /// Sets the underlying error `source()` returns.
    pub fn with_source(self, source: impl std::error::Error + Send + Sync + 'static) -> Error {
        self.edit(|i| i.source = Some(Arc::new(source)))
    }

    fn with_parse(self, bytes_parsed: usize, reason: String, raw_packet: Option<Buffer>) -> Error {
        self.edit(|i| {
            i.parse = Some(ParseInfo {
                bytes_parsed,
                reason,
                raw_packet,
            })
        })
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.inner.message)
    }
}

impl fmt::Debug for Error {
    /// Node's `util.inspect` shape: `Error [CODE]: message { errno: .., .. }`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = &*self.inner;
        write!(f, "{} [{}]: {}", self.name(), self.code(), i.message)?;
        let mut fields: Vec<String> = Vec::new();
        let mut put = |k: &str, v: Option<String>| {
            if let Some(v) = v {
                fields.push(format!("{k}: {v}"));
            }
        };
        let q = |s: &Option<String>| s.as_ref().map(|s| format!("'{s}'"));
        put("errno", i.errno.map(|e| e.to_string()));
        put("syscall", q(&i.syscall));
        put("address", q(&i.address));
        put("port", i.port.map(|p| p.to_string()));
        put("localAddress", q(&i.local_address));
        put("localPort", i.local_port.map(|p| p.to_string()));
        put("path", q(&i.path));
        put("dest", q(&i.dest));
        put("hostname", q(&i.hostname));
        put("spawnargs", i.spawnargs.as_ref().map(|a| format!("{a:?}")));
        put(
            "bytesParsed",
            i.parse.as_ref().map(|p| p.bytes_parsed.to_string()),
        );
        if !fields.is_empty() {
            write!(f, " {{ {} }}", fields.join(", "))?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.inner
            .source
            .as_deref()
            .map(|s| s as &(dyn std::error::Error + 'static))
    }
}

impl PartialEq for Error {
    /// Equal when Node would print them the same: code, message and the
    /// system fields.
    fn eq(&self, other: &Error) -> bool {
        let (a, b) = (&*self.inner, &*other.inner);
        self.code() == other.code()
            && a.message == b.message
            && a.errno == b.errno
            && a.syscall == b.syscall
            && a.address == b.address
            && a.port == b.port
            && a.path == b.path
            && a.dest == b.dest
            && a.hostname == b.hostname
    }
}

impl Eq for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builders_set_one_field_each_and_keep_the_rest() {
        let e = Error::new(Code::ECONNRESET, "read ECONNRESET")
            .with_errno(-104)
            .with_syscall("read")
            .with_address("1.2.3.4")
            .with_port(80)
            .with_path("/p")
            .with_dest("/d")
            .with_hostname("h");
        assert_eq!(e.code(), "ECONNRESET");
        assert_eq!(e.errno(), Some(-104));
        assert_eq!(e.syscall(), Some("read"));
        assert_eq!(e.address(), Some("1.2.3.4"));
        assert_eq!(e.port(), Some(80));
        assert_eq!(
            (e.path(), e.dest(), e.hostname()),
            (Some("/p"), Some("/d"), Some("h"))
        );
        assert_eq!(e.io_kind(), io::ErrorKind::ConnectionReset);
        assert_eq!(
            format!("{e:?}"),
            "Error [ECONNRESET]: read ECONNRESET { errno: -104, syscall: 'read', address: '1.2.3.4', \
             port: 80, path: '/p', dest: '/d', hostname: 'h' }"
        );
        // A shared error is copied, not changed under the other handle.
        let shared = e.clone();
        let changed = e.with_port(81);
        assert_eq!(shared.port(), Some(80));
        assert_eq!(changed.port(), Some(81));
    }

    #[test]
    fn names_follow_nodes_classes() {
        assert_eq!(Error::invalid_arg_type("a", "b", "c").name(), "TypeError");
        assert_eq!(Error::out_of_range("a", "b", "c").name(), "RangeError");
        assert_eq!(Error::premature_close().name(), "Error");
    }
}
