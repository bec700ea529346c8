//! Signals by Node's names and numbers (`'SIGTERM'`, `15`), as
//! `child.kill(signal)` and `killSignal` take them and as `'exit'` reports
//! them.

use std::str::FromStr;

use nix::sys::signal::Signal as NixSignal;
use rt_stream::{Code, Error};

/// A signal, by name or number (Node: `'SIGTERM'`, `9`); `0` only checks
/// that the process exists.
#[doc(alias = "killSignal")]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Signal(i32);

impl Signal {
    /// `SIGTERM`, the default of `kill()` and of `killSignal`.
    pub const SIGTERM: Signal = Signal(libc::SIGTERM);
    /// `SIGKILL`.
    pub const SIGKILL: Signal = Signal(libc::SIGKILL);
    /// `SIGINT`.
    pub const SIGINT: Signal = Signal(libc::SIGINT);
    /// `SIGHUP`.
    pub const SIGHUP: Signal = Signal(libc::SIGHUP);

    /// The signal with this name (`"SIGTERM"`) or number (`"15"`, `15`).
    /// Unknown ones are Node's `ERR_UNKNOWN_SIGNAL` (a `TypeError`).
    pub fn parse(s: &str) -> Result<Signal, Error> {
        if let Ok(n) = s.parse::<i32>() {
            return Signal::from_number(n);
        }
        NixSignal::from_str(s)
            .map(|s| Signal(s as i32))
            .map_err(|_| unknown(s))
    }

    /// The signal with this number (`0` included).
    pub fn from_number(n: i32) -> Result<Signal, Error> {
        if n == 0 || NixSignal::try_from(n).is_ok() {
            Ok(Signal(n))
        } else {
            Err(unknown(&n.to_string()))
        }
    }

    /// The signal's number.
    pub fn number(self) -> i32 {
        self.0
    }

    /// Node's name for it (`"SIGTERM"`); `None` for `0`.
    pub fn name(self) -> Option<&'static str> {
        name_of(self.0)
    }

    pub(crate) fn nix(self) -> Option<NixSignal> {
        NixSignal::try_from(self.0).ok()
    }
}

impl Default for Signal {
    fn default() -> Signal {
        Signal::SIGTERM
    }
}

impl TryFrom<&str> for Signal {
    type Error = Error;
    fn try_from(s: &str) -> Result<Signal, Error> {
        Signal::parse(s)
    }
}

impl TryFrom<i32> for Signal {
    type Error = Error;
    fn try_from(n: i32) -> Result<Signal, Error> {
        Signal::from_number(n)
    }
}

/// Node's name of signal number `n` (`"SIGKILL"` for 9).
pub(crate) fn name_of(n: i32) -> Option<&'static str> {
    NixSignal::try_from(n).ok().map(|s| s.as_str())
}

fn unknown(s: &str) -> Error {
    Error::new(Code::custom("ERR_UNKNOWN_SIGNAL"), format!("Unknown signal: {s}")).with_name("TypeError")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_numbers() {
        assert_eq!(Signal::parse("SIGKILL").unwrap().number(), 9);
        assert_eq!(Signal::parse("9").unwrap().name(), Some("SIGKILL"));
        assert_eq!(Signal::from_number(0).unwrap().name(), None);
        let e = Signal::parse("SIGNOPE").unwrap_err();
        assert_eq!(
            (e.code(), e.message(), e.name()),
            ("ERR_UNKNOWN_SIGNAL", "Unknown signal: SIGNOPE", "TypeError")
        );
        assert!(Signal::from_number(999).is_err());
    }
}
