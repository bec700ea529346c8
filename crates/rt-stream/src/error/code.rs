//! [`Code`]: Node's `err.code`, as a typed value that prints as Node's name.

use std::fmt;
use std::io;

/// Node's error code (`err.code`): `ECONNREFUSED`, `ERR_STREAM_DESTROYED`,
/// `HPE_INVALID_METHOD`...
///
/// A `Copy` value that compares as cheaply as a pointer pair, matches in
/// `match` arms (`Code::ECONNRESET => ..`) and prints as Node's name
/// (`Display` and [`as_str`](Code::as_str)). Every code an rt crate reports
/// is a constant here; a stream implementor can name its own with
/// [`Code::custom`] (or `Code::from(name)` for a name known only at run time).
///
/// ```
/// use rt_stream::{Code, Error};
/// let e = Error::write_after_end();
/// assert_eq!(e.typed_code(), Code::ERR_STREAM_WRITE_AFTER_END);
/// assert_eq!(e.code(), "ERR_STREAM_WRITE_AFTER_END");
/// assert_eq!(Code::ECONNRESET.to_string(), "ECONNRESET");
/// ```
#[doc(alias = "code")]
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Code(&'static str);

impl Code {
    /// A code of your own (`Code::custom("ERR_MY_PARSER")`), for stream
    /// implementors that report failures Node has no code for.
    pub const fn custom(name: &'static str) -> Code {
        Code(name)
    }

    /// Node's name for the code: `"ECONNREFUSED"`.
    pub const fn as_str(self) -> &'static str {
        self.0
    }

    /// The code Node gives an OS error number (`libc::ENOENT` -> `ENOENT`),
    /// from the one table in [`crate::errno`]; `UNKNOWN` for numbers it does
    /// not know.
    pub fn from_errno(raw: i32) -> Code {
        Code(crate::errno::describe(raw).0)
    }

    /// Whether this is an operating-system error code (`E...`), as opposed
    /// to one of Node's own (`ERR_...`, `HPE_...`).
    pub fn is_system(self) -> bool {
        self.0.starts_with('E') && !self.0.starts_with("ERR_")
    }

    /// The closest `io::ErrorKind`, for code that handles `io::Error`s.
    pub fn io_kind(self) -> io::ErrorKind {
        use io::ErrorKind as K;
        match self {
            Code::EADDRINUSE => K::AddrInUse,
            Code::EADDRNOTAVAIL => K::AddrNotAvailable,
            Code::EACCES | Code::EPERM => K::PermissionDenied,
            Code::ECONNREFUSED => K::ConnectionRefused,
            Code::ECONNRESET => K::ConnectionReset,
            Code::ECONNABORTED => K::ConnectionAborted,
            Code::EPIPE | Code::ERR_STREAM_DESTROYED | Code::ERR_STREAM_WRITE_AFTER_END => K::BrokenPipe,
            Code::ETIMEDOUT => K::TimedOut,
            Code::ENOENT | Code::ENOTFOUND => K::NotFound,
            Code::EEXIST => K::AlreadyExists,
            Code::ENOTCONN | Code::ERR_SOCKET_CLOSED => K::NotConnected,
            Code::EAGAIN => K::WouldBlock,
            Code::EINTR => K::Interrupted,
            Code::ENOMEM => K::OutOfMemory,
            Code::ERR_STREAM_PREMATURE_CLOSE | Code::EOF => K::UnexpectedEof,
            Code::EINVAL
            | Code::ERR_INVALID_ARG_TYPE
            | Code::ERR_INVALID_ARG_VALUE
            | Code::ERR_OUT_OF_RANGE
            | Code::ERR_SOCKET_BAD_PORT
            | Code::ERR_UNKNOWN_ENCODING => K::InvalidInput,
            _ if self.is_http_parse() => K::InvalidData,
            _ => K::Other,
        }
    }

    /// Whether this is one of the HTTP parser's codes (`HPE_...`).
    pub fn is_http_parse(self) -> bool {
        self.0.starts_with("HPE_")
    }
}

impl From<&str> for Code {
    /// The named constant for `name` when there is one (no allocation);
    /// otherwise `name` is interned: each distinct code name is stored once
    /// for the life of the process (use [`Code::custom`] for a `&'static str`).
    fn from(name: &str) -> Code {
        known(name).unwrap_or_else(|| intern(name))
    }
}

/// Each distinct code name that is not a constant, stored once.
fn intern(name: &str) -> Code {
    use std::collections::HashSet;
    use std::sync::{Mutex, OnceLock, PoisonError};
    static NAMES: OnceLock<Mutex<HashSet<&'static str>>> = OnceLock::new();
    let mut names = NAMES
        .get_or_init(|| Mutex::new(HashSet::new()))
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    if let Some(n) = names.get(name) {
        return Code(n);
    }
    let leaked: &'static str = Box::leak(name.to_owned().into_boxed_str());
    names.insert(leaked);
    Code(leaked)
}

impl From<Code> for &'static str {
    fn from(c: Code) -> &'static str {
        c.0
    }
}

impl PartialEq<str> for Code {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for Code {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl fmt::Debug for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

macro_rules! codes {
    ($($(#[$m:meta])* $name:ident;)*) => {
        impl Code {
            $(
                $(#[$m])*
                pub const $name: Code = Code(stringify!($name));
            )*
        }

        /// Every named constant, for tests that check the list.
        #[cfg(test)]
        pub(crate) const ALL: &[Code] = &[$(Code::$name),*];

        /// The named constant for `name`, if there is one.
        fn known(name: &str) -> Option<Code> {
            match name {
                $(stringify!($name) => Some(Code::$name),)*
                _ => None,
            }
        }
    };
}

codes! {
    // ----- operating-system errors (names from `crate::errno`) -----
    /// `EADDRINUSE`: address already in use.
    EADDRINUSE;
    /// `EADDRNOTAVAIL`: address not available.
    EADDRNOTAVAIL;
    /// `EACCES`: permission denied.
    EACCES;
    /// `EPERM`: operation not permitted.
    EPERM;
    /// `ECONNREFUSED`: connection refused.
    ECONNREFUSED;
    /// `ECONNRESET`: connection reset by peer (also Node's "socket hang up").
    ECONNRESET;
    /// `ECONNABORTED`: software caused connection abort.
    ECONNABORTED;
    /// `EPIPE`: broken pipe.
    EPIPE;
    /// `ETIMEDOUT`: connection timed out.
    ETIMEDOUT;
    /// `ENOENT`: no such file or directory.
    ENOENT;
    /// `ENOTDIR`: not a directory.
    ENOTDIR;
    /// `EINVAL`: invalid argument.
    EINVAL;
    /// `EMFILE`: too many open files.
    EMFILE;
    /// `ENFILE`: file table overflow.
    ENFILE;
    /// `ENOBUFS`: no buffer space available.
    ENOBUFS;
    /// `ENOMEM`: not enough memory.
    ENOMEM;
    /// `ENETUNREACH`: network is unreachable.
    ENETUNREACH;
    /// `ENETDOWN`: network is down.
    ENETDOWN;
    /// `EHOSTUNREACH`: host is unreachable.
    EHOSTUNREACH;
    /// `ENOTCONN`: socket is not connected.
    ENOTCONN;
    /// `ENOTSOCK`: socket operation on non-socket.
    ENOTSOCK;
    /// `EAFNOSUPPORT`: address family not supported.
    EAFNOSUPPORT;
    /// `EBADF`: bad file descriptor.
    EBADF;
    /// `ENAMETOOLONG`: name too long.
    ENAMETOOLONG;
    /// `EAGAIN`: resource temporarily unavailable.
    EAGAIN;
    /// `EINTR`: interrupted system call.
    EINTR;
    /// `EISCONN`: socket is already connected.
    EISCONN;
    /// `EALREADY`: connection already in progress.
    EALREADY;
    /// `EPROTO`: protocol error.
    EPROTO;
    /// `EROFS`: read-only file system.
    EROFS;
    /// `ECANCELED`: operation canceled.
    ECANCELED;
    /// `EEXIST`: file already exists.
    EEXIST;
    /// `EISDIR`: illegal operation on a directory.
    EISDIR;
    /// `ENOSPC`: no space left on device.
    ENOSPC;
    /// `EIO`: i/o error.
    EIO;
    /// `EOF`: end of file (libuv's `UV_EOF`).
    EOF;
    /// `UNKNOWN`: an OS error libuv has no name for.
    UNKNOWN;
    // ----- name lookup (`dns.lookup`) -----
    /// `ENOTFOUND`: the host name does not resolve (`EAI_NONAME` / `EAI_NODATA`).
    ENOTFOUND;
    /// `EAI_AGAIN`: temporary failure in name resolution.
    EAI_AGAIN;
    /// `EAI_MEMORY`: out of memory during name resolution.
    EAI_MEMORY;
    // ----- arguments -----
    /// `ERR_INVALID_ARG_TYPE` (a `TypeError` in Node).
    ERR_INVALID_ARG_TYPE;
    /// `ERR_INVALID_ARG_VALUE` (a `TypeError` in Node).
    ERR_INVALID_ARG_VALUE;
    /// `ERR_OUT_OF_RANGE` (a `RangeError` in Node).
    ERR_OUT_OF_RANGE;
    /// `ERR_UNKNOWN_ENCODING` (a `TypeError` in Node).
    ERR_UNKNOWN_ENCODING;
    /// `ERR_METHOD_NOT_IMPLEMENTED`: `_read`, `_write`... left out.
    ERR_METHOD_NOT_IMPLEMENTED;
    // ----- buffer -----
    /// `ERR_BUFFER_OUT_OF_BOUNDS` (a `RangeError`).
    ERR_BUFFER_OUT_OF_BOUNDS;
    /// `ERR_INVALID_BUFFER_SIZE` (a `RangeError`).
    ERR_INVALID_BUFFER_SIZE;
    // ----- events -----
    /// `ERR_UNHANDLED_ERROR`: an `'error'` event nobody listened to.
    ERR_UNHANDLED_ERROR;
    // ----- stream -----
    /// `ERR_STREAM_WRITE_AFTER_END`.
    ERR_STREAM_WRITE_AFTER_END;
    /// `ERR_STREAM_PUSH_AFTER_EOF`.
    ERR_STREAM_PUSH_AFTER_EOF;
    /// `ERR_STREAM_UNSHIFT_AFTER_END_EVENT`.
    ERR_STREAM_UNSHIFT_AFTER_END_EVENT;
    /// `ERR_STREAM_DESTROYED`.
    ERR_STREAM_DESTROYED;
    /// `ERR_STREAM_ALREADY_FINISHED`.
    ERR_STREAM_ALREADY_FINISHED;
    /// `ERR_STREAM_PREMATURE_CLOSE`.
    ERR_STREAM_PREMATURE_CLOSE;
    /// `ERR_STREAM_CANNOT_PIPE`.
    ERR_STREAM_CANNOT_PIPE;
    /// `ERR_STREAM_NOT_WRITABLE`.
    ERR_STREAM_NOT_WRITABLE;
    /// `ERR_STREAM_NULL_VALUES`.
    ERR_STREAM_NULL_VALUES;
    /// `ERR_MULTIPLE_CALLBACK`.
    ERR_MULTIPLE_CALLBACK;
    /// `ABORT_ERR`: an operation aborted through an `AbortSignal`.
    ABORT_ERR;
    // ----- net -----
    /// `ERR_SERVER_NOT_RUNNING`.
    ERR_SERVER_NOT_RUNNING;
    /// `ERR_SERVER_ALREADY_LISTEN`.
    ERR_SERVER_ALREADY_LISTEN;
    /// `ERR_SOCKET_CLOSED`.
    ERR_SOCKET_CLOSED;
    /// `ERR_SOCKET_CLOSED_BEFORE_CONNECTION`.
    ERR_SOCKET_CLOSED_BEFORE_CONNECTION;
    /// `ERR_SOCKET_CONNECTING`.
    ERR_SOCKET_CONNECTING;
    /// `ERR_SOCKET_BAD_PORT` (a `RangeError`).
    ERR_SOCKET_BAD_PORT;
    // ----- http: llhttp's parser errors (with `bytes_parsed`, `reason`, `raw_packet`) -----
    /// `HPE_INTERNAL`.
    HPE_INTERNAL;
    /// `HPE_STRICT`.
    HPE_STRICT;
    /// `HPE_CR_EXPECTED`.
    HPE_CR_EXPECTED;
    /// `HPE_LF_EXPECTED`.
    HPE_LF_EXPECTED;
    /// `HPE_UNEXPECTED_CONTENT_LENGTH`.
    HPE_UNEXPECTED_CONTENT_LENGTH;
    /// `HPE_UNEXPECTED_SPACE`.
    HPE_UNEXPECTED_SPACE;
    /// `HPE_CLOSED_CONNECTION`.
    HPE_CLOSED_CONNECTION;
    /// `HPE_INVALID_METHOD`.
    HPE_INVALID_METHOD;
    /// `HPE_INVALID_URL`.
    HPE_INVALID_URL;
    /// `HPE_INVALID_CONSTANT`.
    HPE_INVALID_CONSTANT;
    /// `HPE_INVALID_VERSION`.
    HPE_INVALID_VERSION;
    /// `HPE_INVALID_HEADER_TOKEN`.
    HPE_INVALID_HEADER_TOKEN;
    /// `HPE_INVALID_CONTENT_LENGTH`.
    HPE_INVALID_CONTENT_LENGTH;
    /// `HPE_INVALID_CHUNK_SIZE`.
    HPE_INVALID_CHUNK_SIZE;
    /// `HPE_INVALID_STATUS`.
    HPE_INVALID_STATUS;
    /// `HPE_INVALID_EOF_STATE`.
    HPE_INVALID_EOF_STATE;
    /// `HPE_INVALID_TRANSFER_ENCODING`.
    HPE_INVALID_TRANSFER_ENCODING;
    /// `HPE_HEADER_OVERFLOW`: the head is larger than `maxHeaderSize` (431).
    HPE_HEADER_OVERFLOW;
    /// `HPE_CHUNK_EXTENSIONS_OVERFLOW`.
    HPE_CHUNK_EXTENSIONS_OVERFLOW;
    /// `HPE_PAUSED_UPGRADE`.
    HPE_PAUSED_UPGRADE;
    /// `HPE_USER`.
    HPE_USER;
    // ----- http: Node's own -----
    /// `ERR_HTTP_HEADERS_SENT`.
    ERR_HTTP_HEADERS_SENT;
    /// `ERR_HTTP_INVALID_HEADER_VALUE`.
    ERR_HTTP_INVALID_HEADER_VALUE;
    /// `ERR_HTTP_INVALID_STATUS_CODE` (a `RangeError`).
    ERR_HTTP_INVALID_STATUS_CODE;
    /// `ERR_HTTP_TRAILER_INVALID`.
    ERR_HTTP_TRAILER_INVALID;
    /// `ERR_HTTP_REQUEST_TIMEOUT`.
    ERR_HTTP_REQUEST_TIMEOUT;
    /// `ERR_HTTP_SOCKET_ENCODING`.
    ERR_HTTP_SOCKET_ENCODING;
    /// `ERR_HTTP_SOCKET_ASSIGNED`.
    ERR_HTTP_SOCKET_ASSIGNED;
    /// `ERR_HTTP_CONTENT_LENGTH_MISMATCH`.
    ERR_HTTP_CONTENT_LENGTH_MISMATCH;
    /// `ERR_HTTP_BODY_NOT_ALLOWED`.
    ERR_HTTP_BODY_NOT_ALLOWED;
    /// `ERR_INVALID_HTTP_TOKEN`.
    ERR_INVALID_HTTP_TOKEN;
    /// `ERR_INVALID_CHAR`.
    ERR_INVALID_CHAR;
    /// `ERR_UNESCAPED_CHARACTERS`.
    ERR_UNESCAPED_CHARACTERS;
    /// `ERR_INVALID_PROTOCOL`.
    ERR_INVALID_PROTOCOL;
    /// `ERR_INVALID_URL`.
    ERR_INVALID_URL;
    // ----- child_process -----
    /// `ERR_CHILD_PROCESS_STDIO_MAXBUFFER` (a `RangeError`).
    ERR_CHILD_PROCESS_STDIO_MAXBUFFER;
    /// `ERR_CHILD_PROCESS_IPC_REQUIRED`.
    ERR_CHILD_PROCESS_IPC_REQUIRED;
    /// `ERR_IPC_CHANNEL_CLOSED`.
    ERR_IPC_CHANNEL_CLOSED;
    /// `ERR_IPC_DISCONNECTED`.
    ERR_IPC_DISCONNECTED;
    /// `ERR_IPC_ONE_PIPE`.
    ERR_IPC_ONE_PIPE;
    /// `ERR_IPC_SYNC_FORK`.
    ERR_IPC_SYNC_FORK;
    /// `ERR_CHILD_CLOSED_BEFORE_REPLY`.
    ERR_CHILD_CLOSED_BEFORE_REPLY;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constants_print_their_names_and_errno_codes_are_constants() {
        for c in ALL {
            assert!(!c.as_str().is_empty());
            assert_eq!(c.to_string(), c.as_str());
        }
        // Every name the errno table can produce is a named constant.
        for raw in 0..200 {
            let c = Code::from_errno(raw);
            assert!(ALL.contains(&c), "{c} has no constant");
        }
        assert_eq!(Code::from_errno(libc::ECONNREFUSED), Code::ECONNREFUSED);
        assert!(Code::ECONNREFUSED.is_system() && !Code::ERR_SOCKET_CLOSED.is_system());
        assert_eq!(Code::HPE_INVALID_METHOD.io_kind(), io::ErrorKind::InvalidData);
        let custom = Code::custom("ERR_MINE");
        assert_eq!(custom, "ERR_MINE");
        // A runtime name: the constant when known, else interned once.
        let known = String::from("ECONNRESET");
        assert_eq!(Code::from(known.as_str()), Code::ECONNRESET);
        let (a, b) = (String::from("ERR_RUNTIME"), String::from("ERR_RUNTIME"));
        assert!(std::ptr::eq(
            Code::from(a.as_str()).as_str(),
            Code::from(b.as_str()).as_str()
        ));
        assert!(matches!(Code::ECONNRESET, Code::ECONNRESET));
    }
}
