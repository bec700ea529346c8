//! The request head (request line and header block), parsed in place with
//! llhttp's rules as Node v20 runs it: every verdict, code and offset is the
//! one a Node server reports for the same bytes (tests/parser_node.rs checks
//! them against a real `node`).
//!
//! The parser is restartable rather than resumable: it re-reads the head from
//! the start of the buffer each time more bytes arrive (a head is at most
//! `max_header_size` bytes), and reports an error as soon as the offending
//! byte is in the buffer, as llhttp does.

use std::ops::Range;

use super::chars::{ALPHA, URL, USERINFO};
use super::cursor::{Cursor, Parsed, Step, Stop, err, partial};
use super::error::{HpeCode, ParseError};
use super::fields::{Fields, header_block};
use super::method::{MethodMatch, allowed_with_http, allowed_with_rtsp, match_method};

/// Node's default `maxHeaderSize` (16 KiB).
pub const DEFAULT_MAX_HEADER_SIZE: usize = 16 * 1024;

/// How the message body is framed, decided from the head as llhttp does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyKind {
    /// No body (no Content-Length, or 0, and not chunked).
    None,
    /// Exactly this many bytes.
    Length(u64),
    /// `Transfer-Encoding: chunked`.
    Chunked,
    /// The connection changes protocol after the head (CONNECT, or an
    /// `Upgrade` with `Connection: upgrade` and no body): the bytes after the
    /// head belong to the new protocol.
    Upgrade,
}

/// A parsed request head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestHead {
    /// The method (`"GET"`, `"M-SEARCH"`...).
    pub method: &'static str,
    /// The request target's bytes.
    pub url: Range<usize>,
    /// The version: (1, 1), (1, 0), (0, 9) for a request line without one...
    pub version: (u8, u8),
    /// The header block.
    pub fields: Fields,
    /// The head's length in bytes, through the blank line.
    pub len: usize,
}

impl RequestHead {
    /// Whether the request asks to switch protocols (llhttp's `upgrade`).
    pub fn upgrade(&self) -> bool {
        (self.fields.upgrade_header && self.fields.connection_upgrade) || self.method == "CONNECT"
    }

    /// How the body is framed; an error for a request whose Transfer-Encoding
    /// does not end in `chunked` (llhttp refuses it, as Node does).
    pub fn body(&self) -> Result<BodyKind, ParseError> {
        let has_body = self.fields.chunked || self.fields.content_length.unwrap_or(0) > 0;
        if self.upgrade() && (self.method == "CONNECT" || !has_body) {
            return Ok(BodyKind::Upgrade);
        }
        if self.fields.chunked {
            return Ok(BodyKind::Chunked);
        }
        if self.fields.transfer_encoding {
            return Err(ParseError::new(
                HpeCode::InvalidTransferEncoding,
                "Request has invalid `Transfer-Encoding`",
                self.len,
            ));
        }
        Ok(match self.fields.content_length {
            Some(n) if n > 0 => BodyKind::Length(n),
            _ => BodyKind::None,
        })
    }

    /// llhttp's `should_keep_alive` for a request: HTTP/1.1 unless
    /// `Connection: close`; HTTP/1.0 only with `Connection: keep-alive`.
    pub fn should_keep_alive(&self) -> bool {
        if self.version.0 > 0 && self.version.1 > 0 || self.version.0 > 1 {
            !self.fields.connection_close
        } else {
            self.fields.connection_keep_alive
        }
    }
}

/// Parses a request head at the start of `buf`.
///
/// `Ok(Parsed::Partial)` means "read more": nothing so far is wrong.
/// An error carries Node's code and offset; Node answers it with its canned
/// `400 Bad Request` (431 for [`HpeCode::HeaderOverflow`]) when the server
/// has no `clientError` listener.
pub fn parse_request(buf: &[u8], max_header_size: usize) -> Result<Parsed<RequestHead>, ParseError> {
    let mut c = Cursor::new(buf, max_header_size);
    match request(&mut c) {
        Ok(head) => Ok(Parsed::Complete(head)),
        Err(Stop::Partial) => partial(&c),
        Err(Stop::Error(e)) => Err(e),
    }
}

fn request(c: &mut Cursor<'_>) -> Step<RequestHead> {
    // Empty lines before a request are skipped.
    while matches!(c.peek()?, b'\r' | b'\n') {
        c.i += 1;
    }
    let start = c.i;
    let method = match match_method(&c.buf[start..]) {
        MethodMatch::Found(m) => m,
        MethodMatch::Partial => return Err(Stop::Partial),
        MethodMatch::Mismatch(k) => {
            return err(HpeCode::InvalidMethod, "Invalid method encountered", start + k);
        }
    };
    c.i = start + method.len();
    if c.peek()? != b' ' {
        return err(HpeCode::InvalidMethod, "Expected space after method", c.i);
    }
    while c.peek()? == b' ' {
        c.i += 1;
    }
    let url_start = c.i;
    c.open = Some(url_start);
    let after_url = if method == "CONNECT" {
        url_server(c, false)?
    } else {
        url(c)?
    };
    let url = url_start..c.url_end;
    c.track(url.len(), url.end)?;
    // The node after the URL's end is still one of llhttp's URL nodes, which
    // refuse HTAB and FF in strict mode.
    if matches!(c.peek()?, b'\t' | 0x0c) {
        return err(
            HpeCode::InvalidUrl,
            "Invalid characters in url (strict mode)",
            c.i + 1,
        );
    }
    let version = match after_url {
        UrlEnd::Http09 => (0, 9),
        UrlEnd::Http => version(c, method)?,
    };
    let mut fields = Fields::new(true);
    header_block(c, &mut fields)?;
    Ok(RequestHead {
        method,
        url,
        version,
        fields,
        len: c.i,
    })
}

enum UrlEnd {
    /// A space: the version follows.
    Http,
    /// The line ended: HTTP/0.9.
    Http09,
}

/// A URL node's verdict on whitespace and the ends of the URL; `None` when
/// the byte is not an end.
fn url_end(c: &mut Cursor<'_>, b: u8) -> Step<Option<UrlEnd>> {
    c.url_end = c.i;
    match b {
        b' ' => {
            c.i += 1;
            Ok(Some(UrlEnd::Http))
        }
        b'\r' => {
            if c.buf.get(c.i + 1).is_none() {
                return Err(Stop::Partial);
            }
            if c.buf[c.i + 1] != b'\n' {
                return err(HpeCode::InvalidUrl, "Expected CRLF", c.i + 1);
            }
            c.i += 2;
            Ok(Some(UrlEnd::Http09))
        }
        b'\n' => {
            c.i += 1;
            Ok(Some(UrlEnd::Http09))
        }
        b'\t' | 0x0c => err(
            HpeCode::InvalidUrl,
            "Invalid characters in url (strict mode)",
            c.i + 1,
        ),
        _ => Ok(None),
    }
}

fn url(c: &mut Cursor<'_>) -> Step<UrlEnd> {
    let b = c.peek()?;
    match b {
        b'/' | b'*' => {
            c.i += 1;
            url_path(c)
        }
        b if ALPHA[b as usize] => {
            // schema
            loop {
                let b = c.peek()?;
                if ALPHA[b as usize] {
                    c.i += 1;
                } else if b == b':' {
                    c.i += 1;
                    break;
                } else if matches!(b, b' ' | b'\r' | b'\n') {
                    return err(HpeCode::InvalidUrl, "Invalid characters in url", c.i + 1);
                } else if matches!(b, b'\t' | 0x0c) {
                    return err(
                        HpeCode::InvalidUrl,
                        "Invalid characters in url (strict mode)",
                        c.i + 1,
                    );
                } else {
                    return err(HpeCode::InvalidUrl, "Unexpected char in url schema", c.i);
                }
            }
            for k in 0..2 {
                let b = c.peek()?;
                if b == b'/' {
                    c.i += 1;
                } else if k == 1 {
                    // Inside llhttp's `//` match: any other byte fails here.
                    return err(HpeCode::InvalidUrl, "Unexpected char in url schema", c.i);
                } else if matches!(b, b' ' | b'\r' | b'\n') {
                    return err(HpeCode::InvalidUrl, "Invalid characters in url", c.i + 1);
                } else if matches!(b, b'\t' | 0x0c) {
                    return err(
                        HpeCode::InvalidUrl,
                        "Invalid characters in url (strict mode)",
                        c.i + 1,
                    );
                } else {
                    return err(HpeCode::InvalidUrl, "Unexpected char in url schema", c.i);
                }
            }
            url_server(c, false)
        }
        b' ' | b'\r' | b'\n' => err(HpeCode::InvalidUrl, "Invalid characters in url", c.i + 1),
        b'\t' | 0x0c => err(
            HpeCode::InvalidUrl,
            "Invalid characters in url (strict mode)",
            c.i + 1,
        ),
        _ => err(HpeCode::InvalidUrl, "Unexpected start char in url", c.i),
    }
}

/// The authority of an absolute URL, or a CONNECT target.
fn url_server(c: &mut Cursor<'_>, mut seen_at: bool) -> Step<UrlEnd> {
    loop {
        let b = c.peek()?;
        if let Some(end) = url_end(c, b)? {
            return Ok(end);
        }
        match b {
            b'/' => {
                c.i += 1;
                return url_path(c);
            }
            b'?' => {
                c.i += 1;
                return url_query(c);
            }
            b'@' if seen_at => return err(HpeCode::InvalidUrl, "Double @ in url", c.i + 1),
            b'@' => {
                seen_at = true;
                c.i += 1;
            }
            b'[' | b']' => c.i += 1,
            b if USERINFO[b as usize] => c.i += 1,
            _ => return err(HpeCode::InvalidUrl, "Unexpected char in url server", c.i),
        }
    }
}

fn url_path(c: &mut Cursor<'_>) -> Step<UrlEnd> {
    loop {
        let b = c.peek()?;
        if URL[b as usize] {
            c.i += 1;
            continue;
        }
        if let Some(end) = url_end(c, b)? {
            return Ok(end);
        }
        match b {
            b'?' => {
                c.i += 1;
                return url_query(c);
            }
            b'#' => {
                c.i += 1;
                return url_fragment(c);
            }
            _ => return err(HpeCode::InvalidUrl, "Invalid char in url path", c.i),
        }
    }
}

fn url_query(c: &mut Cursor<'_>) -> Step<UrlEnd> {
    loop {
        let b = c.peek()?;
        if URL[b as usize] || b == b'?' {
            c.i += 1;
            continue;
        }
        if let Some(end) = url_end(c, b)? {
            return Ok(end);
        }
        if b == b'#' {
            c.i += 1;
            return url_fragment(c);
        }
        return err(HpeCode::InvalidUrl, "Invalid char in url query", c.i);
    }
}

fn url_fragment(c: &mut Cursor<'_>) -> Step<UrlEnd> {
    loop {
        let b = c.peek()?;
        if URL[b as usize] || b == b'?' || b == b'#' {
            c.i += 1;
            continue;
        }
        if let Some(end) = url_end(c, b)? {
            return Ok(end);
        }
        return err(HpeCode::InvalidUrl, "Invalid char in url fragment start", c.i);
    }
}

/// `HTTP/x.y` (or `RTSP/x.y`, `ICE/x.y`) and the CRLF after it.
fn version(c: &mut Cursor<'_>, method: &'static str) -> Step<(u8, u8)> {
    while c.peek()? == b' ' {
        c.i += 1;
    }
    let proto_ok = match c.peek()? {
        b'H' => {
            c.literal(b"HTTP", HpeCode::InvalidConstant, "Expected HTTP/, RTSP/ or ICE/")?;
            allowed_with_http(method)
        }
        b'R' => {
            c.literal(b"RTSP", HpeCode::InvalidConstant, "Expected HTTP/, RTSP/ or ICE/")?;
            allowed_with_rtsp(method)
        }
        b'I' => {
            c.literal(b"ICE", HpeCode::InvalidConstant, "Expected HTTP/, RTSP/ or ICE/")?;
            method == "SOURCE"
        }
        _ => return err(HpeCode::InvalidConstant, "Expected HTTP/, RTSP/ or ICE/", c.i),
    };
    if !proto_ok {
        return err(
            HpeCode::InvalidConstant,
            "Invalid method for HTTP/x.x request",
            c.i,
        );
    }
    if c.peek()? != b'/' {
        return err(HpeCode::InvalidConstant, "Expected HTTP/, RTSP/ or ICE/", c.i);
    }
    c.i += 1;
    let v = c.version_digits()?;
    if method == "PRI" {
        c.literal(
            b"\r\n\r\nSM\r\n\r\n",
            HpeCode::InvalidVersion,
            "Expected HTTP/2 Connection Preface",
        )?;
        return err(HpeCode::PausedH2Upgrade, "Pause on PRI/Upgrade", c.i);
    }
    match c.peek()? {
        b'\r' => {
            c.i += 1;
            if c.peek()? != b'\n' {
                return err(HpeCode::Strict, "Expected CRLF after version", c.i);
            }
            c.i += 1;
        }
        b'\n' => return err(HpeCode::InvalidVersion, "Expected CRLF after version", c.i + 1),
        _ => return err(HpeCode::InvalidVersion, "Expected CRLF after version", c.i),
    }
    Ok(v)
}
