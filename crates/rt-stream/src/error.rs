//! The error type every stream operation reports, with Node's `code`.

use std::fmt;
use std::io;
use std::sync::Arc;

/// An error from a stream, carrying Node's error `code` (`ERR_STREAM_WRITE_AFTER_END`,
/// `ENOENT`, ...).
///
/// Errors are cheap to clone: Node delivers one error to several parties (the
/// `'error'` listeners, a write callback, `finished`, `pipeline`), and so does rt.
#[derive(Clone)]
pub struct Error {
    inner: Arc<Inner>,
}

struct Inner {
    code: String,
    message: String,
    errno: Option<i32>,
    syscall: Option<String>,
    path: Option<String>,
    io_kind: Option<io::ErrorKind>,
}

impl Error {
    /// An error with an arbitrary `code` and `message` (for implementors of
    /// streams that report their own failures).
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Error {
        Error {
            inner: Arc::new(Inner {
                code: code.into(),
                message: message.into(),
                errno: None,
                syscall: None,
                path: None,
                io_kind: None,
            }),
        }
    }

    /// Node's error code, e.g. `"ERR_STREAM_DESTROYED"` or `"ENOENT"`.
    pub fn code(&self) -> &str {
        &self.inner.code
    }

    /// The message, in Node's words (`"write after end"`).
    pub fn message(&self) -> &str {
        &self.inner.message
    }

    /// Node's negative `errno` for system errors (`-2` for `ENOENT`).
    pub fn errno(&self) -> Option<i32> {
        self.inner.errno
    }

    /// The system call that failed (`"open"`, `"read"`), for system errors.
    pub fn syscall(&self) -> Option<&str> {
        self.inner.syscall.as_deref()
    }

    /// The path involved, for file system errors.
    pub fn path(&self) -> Option<&str> {
        self.inner.path.as_deref()
    }

    /// Whether two handles are the same error (the same delivery).
    pub fn same(&self, other: &Error) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }

    /// `ERR_STREAM_WRITE_AFTER_END`: `write()` after `end()`.
    pub fn write_after_end() -> Error {
        Error::new("ERR_STREAM_WRITE_AFTER_END", "write after end")
    }

    /// `ERR_STREAM_PUSH_AFTER_EOF`: `push()` after the end was pushed.
    pub fn push_after_eof() -> Error {
        Error::new("ERR_STREAM_PUSH_AFTER_EOF", "stream.push() after EOF")
    }

    /// `ERR_STREAM_UNSHIFT_AFTER_END_EVENT`: `unshift()` after `'end'`.
    pub fn unshift_after_end_event() -> Error {
        Error::new(
            "ERR_STREAM_UNSHIFT_AFTER_END_EVENT",
            "stream.unshift() after end event",
        )
    }

    /// `ERR_STREAM_DESTROYED`: `method` was called on a destroyed stream.
    pub fn destroyed(method: &str) -> Error {
        Error::new(
            "ERR_STREAM_DESTROYED",
            format!("Cannot call {method} after a stream was destroyed"),
        )
    }

    /// `ERR_STREAM_ALREADY_FINISHED`: `method` was called after `'finish'`.
    pub fn already_finished(method: &str) -> Error {
        Error::new(
            "ERR_STREAM_ALREADY_FINISHED",
            format!("Cannot call {method} after a stream was finished"),
        )
    }

    /// `ERR_STREAM_PREMATURE_CLOSE`: the stream closed before ending or finishing.
    pub fn premature_close() -> Error {
        Error::new("ERR_STREAM_PREMATURE_CLOSE", "Premature close")
    }

    /// `ERR_MULTIPLE_CALLBACK`: a completion was signalled twice.
    pub fn multiple_callback() -> Error {
        Error::new("ERR_MULTIPLE_CALLBACK", "Callback called multiple times")
    }

    /// `ERR_STREAM_CANNOT_PIPE`: piping from a stream that is not readable.
    pub fn cannot_pipe() -> Error {
        Error::new("ERR_STREAM_CANNOT_PIPE", "Cannot pipe, not readable")
    }

    /// `ERR_INVALID_ARG_TYPE` for argument `name`.
    pub fn invalid_arg_type(name: &str, expected: &str, actual: &str) -> Error {
        Error::new(
            "ERR_INVALID_ARG_TYPE",
            format!("The \"{name}\" argument must be {expected}. Received {actual}"),
        )
    }

    /// `ERR_OUT_OF_RANGE` for option `name`.
    pub fn out_of_range(name: &str, range: &str, received: &str) -> Error {
        Error::new(
            "ERR_OUT_OF_RANGE",
            format!("The value of \"{name}\" is out of range. It must be {range}. Received {received}"),
        )
    }

    /// `ERR_UNKNOWN_ENCODING`.
    pub fn unknown_encoding(name: &str) -> Error {
        Error::new("ERR_UNKNOWN_ENCODING", format!("Unknown encoding: {name}"))
    }

    /// `ERR_INVALID_ARG_VALUE` for option `name`.
    pub fn invalid_arg_value(name: &str, received: &str) -> Error {
        Error::new(
            "ERR_INVALID_ARG_VALUE",
            format!("The argument '{name}' is invalid. Received {received}"),
        )
    }

    /// A system error from `io`, tagged like Node's: `ENOENT: no such file or
    /// directory, open '/x'` with `errno`, `syscall` and `path`.
    pub fn from_io(err: &io::Error, syscall: &str, path: Option<&str>) -> Error {
        let (code, errno, desc) = errno_name(err);
        let message = match path {
            Some(p) => format!("{code}: {desc}, {syscall} '{p}'"),
            None => format!("{code}: {desc}, {syscall}"),
        };
        Error {
            inner: Arc::new(Inner {
                code: code.to_string(),
                message,
                errno,
                syscall: Some(syscall.to_string()),
                path: path.map(str::to_string),
                io_kind: Some(err.kind()),
            }),
        }
    }

    /// The `io::ErrorKind` this error maps to (for the tokio bridges).
    pub fn io_kind(&self) -> io::ErrorKind {
        if let Some(k) = self.inner.io_kind {
            return k;
        }
        match self.code() {
            "ERR_STREAM_PREMATURE_CLOSE" => io::ErrorKind::UnexpectedEof,
            "ERR_STREAM_DESTROYED" | "ERR_STREAM_WRITE_AFTER_END" => io::ErrorKind::BrokenPipe,
            "ERR_INVALID_ARG_TYPE" | "ERR_OUT_OF_RANGE" | "ERR_INVALID_ARG_VALUE" => {
                io::ErrorKind::InvalidInput
            }
            _ => io::ErrorKind::Other,
        }
    }
}

fn errno_name(err: &io::Error) -> (&'static str, Option<i32>, String) {
    if let Some(raw) = err.raw_os_error() {
        return match crate::errno::describe(raw) {
            ("UNKNOWN", _) => ("EIO", Some(-raw), err.to_string()),
            (name, desc) => (name, Some(-raw), desc.to_string()),
        };
    }
    let (name, n) = match crate::errno::from_kind(err.kind()) {
        Some(raw) => (crate::errno::describe(raw).0, raw),
        None if err.kind() == io::ErrorKind::UnexpectedEof => ("EOF", 4095),
        None => ("EIO", libc::EIO),
    };
    (name, Some(-n), err.to_string())
}

impl From<io::Error> for Error {
    fn from(err: io::Error) -> Error {
        if let Some(inner) = err.get_ref().and_then(|e| e.downcast_ref::<Error>()) {
            return inner.clone();
        }
        Error::from_io(&err, "write", None)
    }
}

impl From<Error> for io::Error {
    fn from(err: Error) -> io::Error {
        io::Error::new(err.io_kind(), err)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.inner.message)
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Error [{}]: {}", self.inner.code, self.inner.message)
    }
}

impl std::error::Error for Error {}

impl PartialEq for Error {
    fn eq(&self, other: &Error) -> bool {
        self.code() == other.code() && self.message() == other.message()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_messages_are_nodes() {
        assert_eq!(Error::write_after_end().code(), "ERR_STREAM_WRITE_AFTER_END");
        assert_eq!(
            Error::destroyed("write").message(),
            "Cannot call write after a stream was destroyed"
        );
        let e = Error::from_io(&io::Error::from_raw_os_error(2), "open", Some("/nope"));
        assert_eq!(e.code(), "ENOENT");
        assert_eq!(e.errno(), Some(-2));
        assert_eq!(e.syscall(), Some("open"));
        assert_eq!(e.message(), "ENOENT: no such file or directory, open '/nope'");
        let io: io::Error = e.clone().into();
        let back: Error = io.into();
        assert!(back.same(&e));
    }
}
