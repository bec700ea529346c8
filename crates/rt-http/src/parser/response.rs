//! The response head (status line and header block), with llhttp's rules as
//! Node v20's client runs them, and how a response's body is framed.

use std::ops::Range;

use super::cursor::{Cursor, Parsed, Step, Stop, err, partial};
use super::error::{HpeCode, ParseError};
use super::fields::{Fields, header_block};

/// A parsed response head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseHead {
    /// The version: (1, 1), (1, 0)...
    pub version: (u8, u8),
    /// The status code (three digits).
    pub status: u16,
    /// The reason phrase's bytes (any bytes but CR and LF, as llhttp takes them).
    pub reason: Range<usize>,
    /// The header block.
    pub fields: Fields,
    /// The head's length in bytes, through the blank line.
    pub len: usize,
}

/// How a response's body is framed (llhttp's `after_headers_complete` and
/// `message_needs_eof` for responses).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponseBody {
    /// No body: a 1xx, 204 or 304, a response to HEAD, or `Content-Length: 0`.
    None,
    /// Exactly this many bytes.
    Length(u64),
    /// `Transfer-Encoding: chunked` (the last coding).
    Chunked,
    /// The body runs until the server closes the connection.
    UntilClose,
    /// 101 Switching Protocols, or an upgrade without a body: the bytes after
    /// the head belong to the new protocol.
    Upgrade,
}

impl ResponseHead {
    /// How the body is framed; `head_request` is true for a response to HEAD
    /// (Node's client then skips the body whatever the headers say).
    pub fn body(&self, head_request: bool) -> ResponseBody {
        let f = &self.fields;
        let has_body = f.chunked || f.content_length.unwrap_or(0) > 0;
        // Node's client skips the body of 1xx, 204 and 304 responses and of
        // responses to HEAD.
        let skip = head_request || self.status / 100 == 1 || self.status == 204 || self.status == 304;
        // For responses, Upgrade + Connection: upgrade only count on a 101.
        let upgrade = f.upgrade_header && f.connection_upgrade && self.status == 101;
        if self.status == 101 || (upgrade && (skip || !has_body)) {
            return ResponseBody::Upgrade;
        }
        if skip {
            return ResponseBody::None;
        }
        if f.chunked {
            return ResponseBody::Chunked;
        }
        if f.transfer_encoding {
            return ResponseBody::UntilClose;
        }
        match f.content_length {
            Some(0) => ResponseBody::None,
            Some(n) => ResponseBody::Length(n),
            None => ResponseBody::UntilClose,
        }
    }

    /// llhttp's `should_keep_alive` for a response: HTTP/1.1 unless
    /// `Connection: close`, HTTP/1.0 only with `Connection: keep-alive`, and
    /// never when the body runs until the connection closes.
    pub fn should_keep_alive(&self, head_request: bool) -> bool {
        let f = &self.fields;
        let by_version = if self.version.0 > 0 && self.version.1 > 0 || self.version.0 > 1 {
            !f.connection_close
        } else {
            f.connection_keep_alive
        };
        by_version && self.body(head_request) != ResponseBody::UntilClose
    }
}

/// Parses a response head at the start of `buf` (see [`super::parse_request`]
/// for the meaning of `Partial` and of errors).
pub fn parse_response(buf: &[u8], max_header_size: usize) -> Result<Parsed<ResponseHead>, ParseError> {
    let mut c = Cursor::new(buf, max_header_size);
    match response(&mut c) {
        Ok(head) => Ok(Parsed::Complete(head)),
        Err(Stop::Partial) => partial(&c),
        Err(Stop::Error(e)) => Err(e),
    }
}

fn response(c: &mut Cursor<'_>) -> Step<ResponseHead> {
    while matches!(c.peek()?, b'\r' | b'\n') {
        c.i += 1;
    }
    match c.peek()? {
        b'H' => c.literal(b"HTTP", HpeCode::InvalidConstant, "Expected HTTP/, RTSP/ or ICE/")?,
        b'R' => c.literal(b"RTSP", HpeCode::InvalidConstant, "Expected HTTP/, RTSP/ or ICE/")?,
        b'I' => c.literal(b"ICE", HpeCode::InvalidConstant, "Expected HTTP/, RTSP/ or ICE/")?,
        _ => return err(HpeCode::InvalidConstant, "Expected HTTP/, RTSP/ or ICE/", c.i),
    }
    if c.peek()? != b'/' {
        return err(HpeCode::InvalidConstant, "Expected HTTP/, RTSP/ or ICE/", c.i);
    }
    c.i += 1;
    let version = c.version_digits()?;
    if c.peek()? != b' ' {
        return err(HpeCode::InvalidVersion, "Expected space after version", c.i);
    }
    c.i += 1;
    let mut status: u16 = 0;
    for _ in 0..3 {
        let d = c.peek()?;
        if !d.is_ascii_digit() {
            return err(HpeCode::InvalidStatus, "Invalid status code", c.i);
        }
        c.i += 1;
        status = status * 10 + u16::from(d - b'0');
    }
    let reason_start;
    match c.peek()? {
        b' ' => {
            c.i += 1;
            reason_start = c.i;
            // res_status: anything up to CR or LF.
            loop {
                match c.peek()? {
                    b'\r' => break,
                    b'\n' => {
                        return err(
                            HpeCode::CrExpected,
                            "Missing expected CR after response line",
                            c.i + 1,
                        );
                    }
                    _ => c.i += 1,
                }
            }
        }
        b'\r' => reason_start = c.i,
        b'\n' => return err(HpeCode::InvalidStatus, "Invalid response status", c.i + 1),
        _ => return err(HpeCode::InvalidStatus, "Invalid response status", c.i),
    }
    let reason = reason_start..c.i;
    c.i += 1; // the CR
    // Node v20's llhttp takes an LF, or a second CR, after the status line's CR.
    if !matches!(c.peek()?, b'\n' | b'\r') {
        return err(HpeCode::Strict, "Expected LF after CR", c.i);
    }
    c.i += 1;
    let mut fields = Fields::new(false);
    header_block(c, &mut fields)?;
    Ok(ResponseHead {
        version,
        status,
        reason,
        fields,
        len: c.i,
    })
}
