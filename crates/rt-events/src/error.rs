//! Errors with Node's codes: `ERR_UNHANDLED_ERROR` and `ERR_OUT_OF_RANGE`.

use std::error::Error;
use std::fmt;

/// An `'error'` event that nobody listened to, handed back to the emitting
/// caller (Node throws `ERR_UNHANDLED_ERROR`, or the error itself).
///
/// Carries the original error: [`error`](Self::error) /
/// [`into_inner`](Self::into_inner).
pub struct UnhandledError<E> {
    error: E,
    event: &'static str,
}

impl<E> UnhandledError<E> {
    pub(crate) fn new(event: &'static str, error: E) -> Self {
        UnhandledError { error, event }
    }

    /// Node's error code: `"ERR_UNHANDLED_ERROR"`.
    pub fn code(&self) -> &'static str {
        "ERR_UNHANDLED_ERROR"
    }

    /// The name of the event nobody listened to (`"error"`).
    pub fn event(&self) -> &'static str {
        self.event
    }

    /// The emitted error (Node's `err.context`).
    pub fn error(&self) -> &E {
        &self.error
    }

    /// Takes the emitted error back.
    pub fn into_inner(self) -> E {
        self.error
    }
}

impl<E: fmt::Debug> fmt::Debug for UnhandledError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnhandledError")
            .field("code", &self.code())
            .field("event", &self.event)
            .field("error", &self.error)
            .finish()
    }
}

impl<E: fmt::Debug> fmt::Display for UnhandledError<E> {
    /// Node's message: `Unhandled error. (<the error>)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Unhandled error. ({:?})", self.error)
    }
}

impl<E: Error + 'static> Error for UnhandledError<E> {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        Some(&self.error)
    }
}

/// A value outside its allowed range (Node's `ERR_OUT_OF_RANGE`), such as a
/// negative or NaN max-listeners limit.
#[derive(Clone, Debug, PartialEq)]
pub struct OutOfRangeError {
    name: &'static str,
    range: &'static str,
    received: String,
}

impl OutOfRangeError {
    pub(crate) fn number(name: &'static str, range: &'static str, value: f64) -> Self {
        OutOfRangeError {
            name,
            range,
            received: js_number(value),
        }
    }

    /// Node's error code: `"ERR_OUT_OF_RANGE"`.
    pub fn code(&self) -> &'static str {
        "ERR_OUT_OF_RANGE"
    }

    /// The name of the argument Node reports (`"setMaxListeners"`, ...).
    pub fn name(&self) -> &'static str {
        self.name
    }
}

impl fmt::Display for OutOfRangeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "The value of \"{}\" is out of range. It must be {}. Received {}",
            self.name, self.range, self.received
        )
    }
}

impl Error for OutOfRangeError {}

/// Formats a number the way Node's `ERR_OUT_OF_RANGE` prints it.
pub(crate) fn js_number(v: f64) -> String {
    if v.is_nan() {
        return "NaN".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "Infinity" } else { "-Infinity" }.into();
    }
    if v.fract() == 0.0 && v.abs() < 1e21 {
        let s = format!("{v:.0}");
        if v.abs() > 4_294_967_296.0 {
            return add_numerical_separator(&s);
        }
        return s;
    }
    if v.abs() >= 1e21 || (v != 0.0 && v.abs() < 1e-6) {
        // JavaScript's exponent form: 1e+21, 1.5e-7.
        let s = format!("{v:e}");
        return match s.split_once('e') {
            Some((m, e)) if !e.starts_with('-') => format!("{m}e+{e}"),
            _ => s,
        };
    }
    format!("{v}")
}

fn add_numerical_separator(s: &str) -> String {
    let start = usize::from(s.starts_with('-'));
    let mut i = s.len();
    let mut res = String::new();
    while i >= start + 4 {
        res = format!("_{}{}", &s[i - 3..i], res);
        i -= 3;
    }
    format!("{}{}", &s[..i], res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_print_like_node() {
        assert_eq!(js_number(-1.0), "-1");
        assert_eq!(js_number(f64::NAN), "NaN");
        assert_eq!(js_number(f64::NEG_INFINITY), "-Infinity");
        assert_eq!(js_number(-1.5), "-1.5");
        assert_eq!(js_number(-10_000_000_000.0), "-10_000_000_000");
        assert_eq!(js_number(-4_294_967_296.0), "-4294967296");
        assert_eq!(js_number(-1e21), "-1e+21");
        assert_eq!(js_number(-1.5e-7), "-1.5e-7");
    }

    #[test]
    fn out_of_range_message() {
        let e = OutOfRangeError::number("setMaxListeners", ">= 0", -1.0);
        assert_eq!(e.code(), "ERR_OUT_OF_RANGE");
        assert_eq!(
            e.to_string(),
            "The value of \"setMaxListeners\" is out of range. It must be >= 0. Received -1"
        );
    }

    #[test]
    fn unhandled_error_carries_the_error() {
        let e = UnhandledError::new("error", "boom");
        assert_eq!(e.code(), "ERR_UNHANDLED_ERROR");
        assert_eq!(e.to_string(), "Unhandled error. (\"boom\")");
        assert_eq!(e.event(), "error");
        assert_eq!(*e.error(), "boom");
        assert_eq!(e.into_inner(), "boom");
    }
}
