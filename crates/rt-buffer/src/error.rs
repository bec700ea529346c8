//! The error type: every failure carries Node's `code` and Node's message.

use std::fmt;

/// Which JavaScript error class Node would throw for this error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// Node throws a `RangeError` (offsets, lengths, sizes).
    Range,
    /// Node throws a `TypeError` (unknown encodings, invalid arguments).
    Type,
}

/// An error from rt-buffer, mirroring the error Node would throw.
///
/// `code()` is Node's `err.code` (`"ERR_OUT_OF_RANGE"`, ...) and `Display`
/// prints Node's `err.message`, word for word.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Error {
    code: &'static str,
    kind: ErrorKind,
    message: String,
}

impl Error {
    pub(crate) fn new(code: &'static str, kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            code,
            kind,
            message: message.into(),
        }
    }

    /// Node's error code, e.g. `"ERR_OUT_OF_RANGE"`.
    pub fn code(&self) -> &'static str {
        self.code
    }

    /// The JavaScript error class Node would use (`RangeError` or `TypeError`).
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// Node's error message (the same text `Display` prints).
    pub fn message(&self) -> &str {
        &self.message
    }

    /// `ERR_UNKNOWN_ENCODING`: `Unknown encoding: <name>`.
    pub(crate) fn unknown_encoding(name: &str) -> Self {
        Error::new(
            "ERR_UNKNOWN_ENCODING",
            ErrorKind::Type,
            format!("Unknown encoding: {name}"),
        )
    }

    /// `ERR_OUT_OF_RANGE`: `The value of "<name>" is out of range. It must be <range>. Received <value>`.
    pub(crate) fn out_of_range(name: &str, range: &str, received: impl fmt::Display) -> Self {
        Error::new(
            "ERR_OUT_OF_RANGE",
            ErrorKind::Range,
            format!("The value of \"{name}\" is out of range. It must be {range}. Received {received}"),
        )
    }

    /// `ERR_BUFFER_OUT_OF_BOUNDS`; with a name: `"<name>" is outside of buffer bounds`,
    /// without: `Attempt to access memory outside buffer bounds`.
    pub(crate) fn buffer_out_of_bounds(name: Option<&str>) -> Self {
        let message = match name {
            Some(name) => format!("\"{name}\" is outside of buffer bounds"),
            None => "Attempt to access memory outside buffer bounds".to_string(),
        };
        Error::new("ERR_BUFFER_OUT_OF_BOUNDS", ErrorKind::Range, message)
    }

    /// `ERR_INVALID_ARG_VALUE`: `The argument '<name>' is invalid. Received <value>`.
    pub(crate) fn invalid_arg_value(name: &str, received: impl fmt::Display) -> Self {
        Error::new(
            "ERR_INVALID_ARG_VALUE",
            ErrorKind::Type,
            format!("The argument '{name}' is invalid. Received {received}"),
        )
    }
}

impl Error {
    /// `ERR_INVALID_BUFFER_SIZE`: `Buffer size must be a multiple of <bits>-bits`.
    pub(crate) fn invalid_buffer_size(bits: u32) -> Self {
        Error::new(
            "ERR_INVALID_BUFFER_SIZE",
            ErrorKind::Range,
            format!("Buffer size must be a multiple of {bits}-bits"),
        )
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

/// `Result<T, rt_buffer::Error>`.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_nodes() {
        let e = Error::out_of_range("offset", ">= 0 and <= 0", 1);
        assert_eq!(e.code(), "ERR_OUT_OF_RANGE");
        assert_eq!(
            e.to_string(),
            "The value of \"offset\" is out of range. It must be >= 0 and <= 0. Received 1"
        );
        assert_eq!(
            Error::unknown_encoding("utf16").to_string(),
            "Unknown encoding: utf16"
        );
        assert_eq!(Error::unknown_encoding("x").kind(), ErrorKind::Type);
        assert_eq!(
            Error::buffer_out_of_bounds(None).message(),
            "Attempt to access memory outside buffer bounds"
        );
    }
}
