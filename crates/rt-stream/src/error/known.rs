//! Node's own errors (`ERR_*`) that streams raise, and the HTTP parser's
//! errors (`HPE_*`), with Node's messages.

use rt_buffer::Buffer;

use super::{Code, Error};

impl Error {
    /// `ERR_STREAM_WRITE_AFTER_END`: `write()` after `end()`.
    pub fn write_after_end() -> Error {
        Error::new(Code::ERR_STREAM_WRITE_AFTER_END, "write after end")
    }

    /// `ERR_STREAM_PUSH_AFTER_EOF`: `push()` after the end was pushed.
    pub fn push_after_eof() -> Error {
        Error::new(Code::ERR_STREAM_PUSH_AFTER_EOF, "stream.push() after EOF")
    }

    /// `ERR_STREAM_UNSHIFT_AFTER_END_EVENT`: `unshift()` after `'end'`.
    pub fn unshift_after_end_event() -> Error {
        Error::new(
            Code::ERR_STREAM_UNSHIFT_AFTER_END_EVENT,
            "stream.unshift() after end event",
        )
    }

    /// `ERR_STREAM_DESTROYED`: `method` was called on a destroyed stream.
    pub fn destroyed(method: &str) -> Error {
        Error::new(
            Code::ERR_STREAM_DESTROYED,
            format!("Cannot call {method} after a stream was destroyed"),
        )
    }

    /// `ERR_STREAM_ALREADY_FINISHED`: `method` was called after `'finish'`.
    pub fn already_finished(method: &str) -> Error {
        Error::new(
            Code::ERR_STREAM_ALREADY_FINISHED,
            format!("Cannot call {method} after a stream was finished"),
        )
    }

    /// `ERR_STREAM_PREMATURE_CLOSE`: the stream closed before ending or finishing.
    pub fn premature_close() -> Error {
        Error::new(Code::ERR_STREAM_PREMATURE_CLOSE, "Premature close")
    }

    /// `ERR_MULTIPLE_CALLBACK`: a completion was signalled twice.
    pub fn multiple_callback() -> Error {
        Error::new(Code::ERR_MULTIPLE_CALLBACK, "Callback called multiple times")
    }

    /// `ERR_STREAM_CANNOT_PIPE`: piping from a stream that is not readable.
    pub fn cannot_pipe() -> Error {
        Error::new(Code::ERR_STREAM_CANNOT_PIPE, "Cannot pipe, not readable")
    }

    /// `ERR_INVALID_ARG_TYPE` for argument `name`.
    pub fn invalid_arg_type(name: &str, expected: &str, actual: &str) -> Error {
        Error::new(
            Code::ERR_INVALID_ARG_TYPE,
            format!("The \"{name}\" argument must be {expected}. Received {actual}"),
        )
    }

    /// `ERR_OUT_OF_RANGE` for option `name`.
    pub fn out_of_range(name: &str, range: &str, received: &str) -> Error {
        Error::new(
            Code::ERR_OUT_OF_RANGE,
            format!("The value of \"{name}\" is out of range. It must be {range}. Received {received}"),
        )
    }

    /// `ERR_UNKNOWN_ENCODING`.
    pub fn unknown_encoding(name: &str) -> Error {
        Error::new(Code::ERR_UNKNOWN_ENCODING, format!("Unknown encoding: {name}"))
    }

    /// `ERR_INVALID_ARG_VALUE` for option `name`.
    pub fn invalid_arg_value(name: &str, received: &str) -> Error {
        Error::new(
            Code::ERR_INVALID_ARG_VALUE,
            format!("The argument '{name}' is invalid. Received {received}"),
        )
    }

    /// An HTTP parser error as Node's `'clientError'` sees it: `code` is an
    /// `HPE_*` [`Code`], the message is `Parse Error: <reason>`, and
    /// [`bytes_parsed`](Error::bytes_parsed), [`reason`](Error::reason) and
    /// [`raw_packet`](Error::raw_packet) are set.
    ///
    /// ```
    /// use rt_stream::{Code, Error};
    /// let e = Error::http_parse(Code::HPE_INVALID_METHOD, "Invalid method encountered", 2, None);
    /// assert_eq!(e.message(), "Parse Error: Invalid method encountered");
    /// assert_eq!(e.bytes_parsed(), Some(2));
    /// ```
    #[doc(alias = "clientError")]
    pub fn http_parse(code: Code, reason: &str, bytes_parsed: usize, raw_packet: Option<Buffer>) -> Error {
        Error::new(code, format!("Parse Error: {reason}")).with_parse(
            bytes_parsed,
            reason.to_string(),
            raw_packet,
        )
    }
}
