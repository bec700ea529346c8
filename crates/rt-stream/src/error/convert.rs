//! Lossless conversions into and out of [`Error`]: `io::Error` both ways
//! (the error rides inside the `io::Error` and comes back as the same
//! delivery), `rt_buffer::Error` and rt-events' errors in (code, message and
//! JavaScript class kept; the original is the `source()`).

use std::fmt;
use std::io;

use rt_events::{OutOfRangeError, UnhandledError};

use super::{Code, Error};

impl From<io::Error> for Error {
    /// The rt error an `io::Error` carries (the same delivery, every field
    /// kept), or a system error of `write` for a plain OS error.
    fn from(err: io::Error) -> Error {
        if let Some(inner) = err.get_ref().and_then(|e| e.downcast_ref::<Error>()) {
            return inner.clone();
        }
        Error::from_io(&err, "write", None)
    }
}

impl From<Error> for io::Error {
    /// An `io::Error` of the error's [`io_kind`](Error::io_kind) that carries
    /// the error itself (`get_ref()` / `into_inner()` give it back).
    fn from(err: Error) -> io::Error {
        io::Error::new(err.io_kind(), err)
    }
}

impl From<rt_buffer::Error> for Error {
    /// Code, message and class (`RangeError` / `TypeError`) kept; the buffer
    /// error is the `source()`.
    fn from(err: rt_buffer::Error) -> Error {
        let name = match err.kind() {
            rt_buffer::ErrorKind::Range => "RangeError",
            rt_buffer::ErrorKind::Type => "TypeError",
        };
        Error::new(Code::custom(err.code()), err.message())
            .with_name(name)
            .with_source(err)
    }
}

impl From<OutOfRangeError> for Error {
    /// `ERR_OUT_OF_RANGE` with Node's message (a `RangeError`).
    fn from(err: OutOfRangeError) -> Error {
        Error::new(Code::custom(err.code()), err.to_string())
            .with_name("RangeError")
            .with_source(err)
    }
}

impl From<UnhandledError<Error>> for Error {
    /// The emitted error itself: Node throws an unheard `'error'` event's
    /// `Error` object as it is (`ERR_UNHANDLED_ERROR` only wraps values that
    /// are not errors; see [`Error::unhandled`]).
    fn from(err: UnhandledError<Error>) -> Error {
        err.into_inner()
    }
}

impl Error {
    /// `ERR_UNHANDLED_ERROR` for an unheard `'error'` event whose value is
    /// not an [`Error`]: `Unhandled error. (<value>)`, as Node throws it.
    #[doc(alias = "ERR_UNHANDLED_ERROR")]
    pub fn unhandled<E: fmt::Debug>(err: UnhandledError<E>) -> Error {
        Error::new(Code::custom(err.code()), err.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn io_round_trip_is_the_same_error_with_every_field() {
        let e = Error::with_host_port(
            &io::Error::from_raw_os_error(libc::ECONNREFUSED),
            "connect",
            "127.0.0.1",
            Some(1),
        );
        let io: io::Error = e.clone().into();
        assert_eq!(io.kind(), io::ErrorKind::ConnectionRefused);
        let back: Error = io.into();
        assert!(back.same(&e));
        assert_eq!(back.address(), Some("127.0.0.1"));
        assert_eq!(back.port(), Some(1));
        assert_eq!(back.errno(), Some(-111));
    }

    #[test]
    fn buffer_and_events_errors_keep_code_message_and_class() {
        let b = rt_buffer::Buffer::from_str_in("x", "no-such-encoding").unwrap_err();
        let want = (b.code(), b.message().to_string());
        let e = Error::from(b);
        assert_eq!((e.code(), e.message().to_string()), want);
        assert_eq!(e.code(), "ERR_UNKNOWN_ENCODING");
        assert_eq!(e.name(), "TypeError");
        assert!(std::error::Error::source(&e).is_some());

        let ee = rt_events::EventEmitter::new();
        let r = ee.try_set_max_listeners(-1.0).map(|_| ()).unwrap_err();
        let msg = r.to_string();
        let e = Error::from(r);
        assert_eq!((e.code(), e.message()), ("ERR_OUT_OF_RANGE", msg.as_str()));
        assert_eq!(e.name(), "RangeError");
    }
}
