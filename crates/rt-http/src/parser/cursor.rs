//! The scanning cursor the head parsers share: restartable parsing ("need
//! more bytes" or a verdict) and Node's count of head bytes against
//! `max_header_size`.

use super::error::{HpeCode, ParseError};

/// The result of parsing: a complete head, or a need for more bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parsed<T> {
    /// The head is complete.
    Complete(T),
    /// The buffer ends inside the head and nothing in it is wrong yet.
    Partial,
}

/// Why the scan stopped without a verdict.
pub(crate) enum Stop {
    /// The buffer ended first.
    Partial,
    /// A verdict.
    Error(ParseError),
}

impl From<ParseError> for Stop {
    fn from(e: ParseError) -> Stop {
        Stop::Error(e)
    }
}

pub(crate) type Step<T> = Result<T, Stop>;

pub(crate) fn err<T>(code: HpeCode, reason: &'static str, at: usize) -> Step<T> {
    Err(Stop::Error(ParseError::new(code, reason, at)))
}

pub(crate) struct Cursor<'a> {
    pub(crate) buf: &'a [u8],
    pub(crate) i: usize,
    /// Node counts the bytes of the URL, header names and values against
    /// `max_header_size` (its `TrackHeader`).
    pub(crate) tracked: usize,
    pub(crate) max: usize,
    /// Where the URL ended (before the byte that ended it).
    pub(crate) url_end: usize,
    /// The start of the URL, name or value being read, if any: Node counts
    /// a span's bytes as they arrive, so a span cut by the end of the buffer
    /// counts too.
    pub(crate) open: Option<usize>,
}

impl Cursor<'_> {
    pub(crate) fn peek(&self) -> Step<u8> {
        self.buf.get(self.i).copied().ok_or(Stop::Partial)
    }

    /// Moves past the bytes of class `class`; "need more bytes" when the
    /// buffer ends among them.
    pub(crate) fn skip_while(&mut self, class: &[bool; 256]) -> Step<()> {
        match self.buf[self.i..].iter().position(|&b| !class[b as usize]) {
            Some(n) => {
                self.i += n;
                Ok(())
            }
            None => {
                self.i = self.buf.len();
                Err(Stop::Partial)
            }
        }
    }

    /// Counts a span that ended at `at`; Node reports the overflow there.
    pub(crate) fn track(&mut self, span: usize, at: usize) -> Step<()> {
        self.open = None;
        self.tracked += span;
        if self.tracked >= self.max {
            return err(HpeCode::HeaderOverflow, "Header overflow", at);
        }
        Ok(())
    }

    /// Matches the literal `lit` at the cursor; on a mismatch, `code` at the
    /// first differing byte (llhttp's tries consume what matched).
    /// `x.y` after `HTTP/`: one digit, a dot, one digit, and only the
    /// versions llhttp accepts (0.9, 1.0, 1.1, 2.0).
    pub(crate) fn version_digits(&mut self) -> Step<(u8, u8)> {
        let major = self.peek()?;
        if !major.is_ascii_digit() {
            return err(HpeCode::InvalidVersion, "Invalid major version", self.i);
        }
        self.i += 1;
        if self.peek()? != b'.' {
            return err(HpeCode::InvalidVersion, "Expected dot", self.i);
        }
        self.i += 1;
        let minor = self.peek()?;
        if !minor.is_ascii_digit() {
            return err(HpeCode::InvalidVersion, "Invalid minor version", self.i);
        }
        self.i += 1;
        let v = (major - b'0', minor - b'0');
        if !matches!(v, (0, 9) | (1, 0) | (1, 1) | (2, 0)) {
            return err(HpeCode::InvalidVersion, "Invalid HTTP version", self.i);
        }
        Ok(v)
    }

    pub(crate) fn literal(&mut self, lit: &[u8], code: HpeCode, reason: &'static str) -> Step<()> {
        for &want in lit {
            if self.peek()? != want {
                return err(code, reason, self.i);
            }
            self.i += 1;
        }
        Ok(())
    }
}

impl<'a> Cursor<'a> {
    /// A cursor at the start of `buf`.
    pub(crate) fn new(buf: &'a [u8], max_header_size: usize) -> Cursor<'a> {
        Cursor {
            buf,
            i: 0,
            tracked: 0,
            max: max_header_size,
            url_end: 0,
            open: None,
        }
    }
}

/// "Need more bytes", unless the span cut by the end of the buffer already
/// takes the head past `max_header_size` (so a head that never ends is
/// refused, and a connection buffers at most that much).
pub(crate) fn partial<T>(c: &Cursor<'_>) -> Result<Parsed<T>, ParseError> {
    if let Some(start) = c.open {
        if c.tracked + (c.buf.len() - start) >= c.max {
            return Err(ParseError::new(
                HpeCode::HeaderOverflow,
                "Header overflow",
                c.buf.len(),
            ));
        }
    }
    Ok(Parsed::Partial)
}
