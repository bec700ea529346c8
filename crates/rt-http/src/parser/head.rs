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

use super::chars::{ALPHA, CONNECTION_TOKEN, HEADER_VALUE, TOKEN, URL, USERINFO};
use super::error::{HpeCode, ParseError};
use super::method::{MethodMatch, allowed_with_http, allowed_with_rtsp, match_method};

/// Node's default `maxHeaderSize` (16 KiB).
pub const DEFAULT_MAX_HEADER_SIZE: usize = 16 * 1024;

/// One header as received: ranges into the parsed buffer. The value has its
/// leading and trailing whitespace removed, as Node gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawHeader {
    /// The name's bytes.
    pub name: Range<usize>,
    /// The value's bytes.
    pub value: Range<usize>,
}

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
    /// The headers in order (`rawHeaders`).
    pub headers: Vec<RawHeader>,
    /// The value of Content-Length, when present.
    pub content_length: Option<u64>,
    /// Whether the last Transfer-Encoding coding is `chunked`.
    pub chunked: bool,
    /// Whether a Transfer-Encoding header with a value was seen.
    pub transfer_encoding: bool,
    /// `Connection: close` seen.
    pub connection_close: bool,
    /// `Connection: keep-alive` seen.
    pub connection_keep_alive: bool,
    /// `Connection: upgrade` seen.
    pub connection_upgrade: bool,
    /// An `Upgrade` header seen.
    pub upgrade_header: bool,
    /// The head's length in bytes, through the blank line.
    pub len: usize,
}

impl RequestHead {
    /// Whether the request asks to switch protocols (llhttp's `upgrade`).
    pub fn upgrade(&self) -> bool {
        (self.upgrade_header && self.connection_upgrade) || self.method == "CONNECT"
    }

    /// How the body is framed; an error for a request whose Transfer-Encoding
    /// does not end in `chunked` (llhttp refuses it, as Node does).
    pub fn body(&self) -> Result<BodyKind, ParseError> {
        let has_body = self.chunked || self.content_length.unwrap_or(0) > 0;
        if self.upgrade() && (self.method == "CONNECT" || !has_body) {
            return Ok(BodyKind::Upgrade);
        }
        if self.chunked {
            return Ok(BodyKind::Chunked);
        }
        if self.transfer_encoding {
            return Err(ParseError::new(
                HpeCode::InvalidTransferEncoding,
                "Request has invalid `Transfer-Encoding`",
                self.len,
            ));
        }
        Ok(match self.content_length {
            Some(n) if n > 0 => BodyKind::Length(n),
            _ => BodyKind::None,
        })
    }

    /// llhttp's `should_keep_alive` for a request: HTTP/1.1 unless
    /// `Connection: close`; HTTP/1.0 only with `Connection: keep-alive`.
    pub fn should_keep_alive(&self) -> bool {
        if self.version.0 > 0 && self.version.1 > 0 || self.version.0 > 1 {
            !self.connection_close
        } else {
            self.connection_keep_alive
        }
    }
}

/// The result of parsing: a complete head, or a need for more bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parsed<T> {
    /// The head is complete.
    Complete(T),
    /// The buffer ends inside the head and nothing in it is wrong yet.
    Partial,
}

/// Why the scan stopped without a verdict.
enum Stop {
    Partial,
    Error(ParseError),
}

impl From<ParseError> for Stop {
    fn from(e: ParseError) -> Stop {
        Stop::Error(e)
    }
}

type Step<T> = Result<T, Stop>;

fn err<T>(code: HpeCode, reason: &'static str, at: usize) -> Step<T> {
    Err(Stop::Error(ParseError::new(code, reason, at)))
}

struct Cursor<'a> {
    buf: &'a [u8],
    i: usize,
    /// Node counts the bytes of the URL, header names and values against
    /// `max_header_size` (its `TrackHeader`).
    tracked: usize,
    max: usize,
    /// Where the URL ended (before the byte that ended it).
    url_end: usize,
    /// The start of the URL, name or value being read, if any: Node counts
    /// a span's bytes as they arrive, so a span cut by the end of the buffer
    /// counts too.
    open: Option<usize>,
}

impl Cursor<'_> {
    fn peek(&self) -> Step<u8> {
        self.buf.get(self.i).copied().ok_or(Stop::Partial)
    }

    /// Counts a span that ended at `at`; Node reports the overflow there.
    fn track(&mut self, span: usize, at: usize) -> Step<()> {
        self.open = None;
        self.tracked += span;
        if self.tracked >= self.max {
            return err(HpeCode::HeaderOverflow, "Header overflow", at);
        }
        Ok(())
    }

    /// Matches the literal `lit` at the cursor; on a mismatch, `code` at the
    /// first differing byte (llhttp's tries consume what matched).
    fn literal(&mut self, lit: &[u8], code: HpeCode, reason: &'static str) -> Step<()> {
        for &want in lit {
            if self.peek()? != want {
                return err(code, reason, self.i);
            }
            self.i += 1;
        }
        Ok(())
    }
}

/// Parses a request head at the start of `buf`.
///
/// `Ok(Parsed::Partial)` means "read more": nothing so far is wrong.
/// An error carries Node's code and offset; Node answers it with its canned
/// `400 Bad Request` (431 for [`HpeCode::HeaderOverflow`]) when the server
/// has no `clientError` listener.
pub fn parse_request(buf: &[u8], max_header_size: usize) -> Result<Parsed<RequestHead>, ParseError> {
    let mut c = Cursor {
        buf,
        i: 0,
        tracked: 0,
        max: max_header_size,
        url_end: 0,
        open: None,
    };
    match request(&mut c) {
        Ok(head) => Ok(Parsed::Complete(head)),
        Err(Stop::Partial) => partial(&c),
        Err(Stop::Error(e)) => Err(e),
    }
}

/// "Need more bytes", unless the span cut by the end of the buffer already
/// takes the head past `max_header_size` (so a head that never ends is
/// refused, and a connection buffers at most that much).
fn partial<T>(c: &Cursor<'_>) -> Result<Parsed<T>, ParseError> {
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
    let mut head = RequestHead {
        method,
        url,
        version,
        headers: Vec::new(),
        content_length: None,
        chunked: false,
        transfer_encoding: false,
        connection_close: false,
        connection_keep_alive: false,
        connection_upgrade: false,
        upgrade_header: false,
        len: 0,
    };
    headers(c, &mut head)?;
    head.len = c.i;
    Ok(head)
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
    let major = c.peek()?;
    if !major.is_ascii_digit() {
        return err(HpeCode::InvalidVersion, "Invalid major version", c.i);
    }
    c.i += 1;
    if c.peek()? != b'.' {
        return err(HpeCode::InvalidVersion, "Expected dot", c.i);
    }
    c.i += 1;
    let minor = c.peek()?;
    if !minor.is_ascii_digit() {
        return err(HpeCode::InvalidVersion, "Invalid minor version", c.i);
    }
    c.i += 1;
    let v = (major - b'0', minor - b'0');
    if !matches!(v, (0, 9) | (1, 0) | (1, 1) | (2, 0)) {
        return err(HpeCode::InvalidVersion, "Invalid HTTP version", c.i);
    }
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

/// Which header's value is being read (llhttp's `header_state`).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Special {
    General,
    Connection,
    ContentLength,
    TransferEncoding,
    Upgrade,
}

fn special(name: &[u8]) -> Special {
    if name.eq_ignore_ascii_case(b"connection") || name.eq_ignore_ascii_case(b"proxy-connection") {
        Special::Connection
    } else if name.eq_ignore_ascii_case(b"content-length") {
        Special::ContentLength
    } else if name.eq_ignore_ascii_case(b"transfer-encoding") {
        Special::TransferEncoding
    } else if name.eq_ignore_ascii_case(b"upgrade") {
        Special::Upgrade
    } else {
        Special::General
    }
}

/// Parses a trailer block (the header lines after the last chunk, through the
/// blank line) at the start of `buf`. The result's `headers` and `len` are
/// what matter; its other fields describe no request.
pub(crate) fn parse_trailers(buf: &[u8], max_header_size: usize) -> Result<Parsed<RequestHead>, ParseError> {
    let mut c = Cursor {
        buf,
        i: 0,
        tracked: 0,
        max: max_header_size,
        url_end: 0,
        open: None,
    };
    let mut head = RequestHead {
        method: "",
        url: 0..0,
        version: (1, 1),
        headers: Vec::new(),
        content_length: None,
        chunked: false,
        transfer_encoding: false,
        connection_close: false,
        connection_keep_alive: false,
        connection_upgrade: false,
        upgrade_header: false,
        len: 0,
    };
    match trailer_lines(&mut c, &mut head) {
        Ok(()) => {
            head.len = c.i;
            Ok(Parsed::Complete(head))
        }
        Err(Stop::Partial) => partial(&c),
        Err(Stop::Error(e)) => Err(e),
    }
}

fn trailer_lines(c: &mut Cursor<'_>, head: &mut RequestHead) -> Step<()> {
    header_lines(c, head)
}

/// The header block through its blank line.
fn headers(c: &mut Cursor<'_>, head: &mut RequestHead) -> Step<()> {
    if c.peek()? == b' ' {
        return err(
            HpeCode::UnexpectedSpace,
            "Unexpected space after start line",
            c.i + 1,
        );
    }
    header_lines(c, head)
}

/// Header lines through the blank line (the request's, or trailers).
fn header_lines(c: &mut Cursor<'_>, head: &mut RequestHead) -> Step<()> {
    loop {
        // header_field_start
        match c.peek()? {
            b'\r' => {
                c.i += 1;
                if c.peek()? != b'\n' {
                    return err(HpeCode::Strict, "Expected LF after headers", c.i);
                }
                c.i += 1;
                return Ok(());
            }
            b'\n' => return err(HpeCode::InvalidHeaderToken, "Invalid header field char", c.i + 1),
            b':' => return err(HpeCode::InvalidHeaderToken, "Invalid header token", c.i),
            _ => {}
        }
        let name_start = c.i;
        c.open = Some(name_start);
        while TOKEN[c.peek()? as usize] {
            c.i += 1;
        }
        let name = name_start..c.i;
        let kind = special(&c.buf[name.clone()]);
        match c.peek()? {
            b':' => {}
            b' ' if kind != Special::General => {
                return err(HpeCode::InvalidHeaderToken, "Invalid header field char", c.i + 1);
            }
            _ => return err(HpeCode::InvalidHeaderToken, "Invalid header token", c.i),
        }
        c.i += 1;
        c.track(name.len(), c.i)?;
        match kind {
            Special::TransferEncoding if head.content_length.is_some() => {
                return err(
                    HpeCode::InvalidTransferEncoding,
                    "Transfer-Encoding can't be present with Content-Length",
                    c.i,
                );
            }
            Special::ContentLength if head.transfer_encoding => {
                return err(
                    HpeCode::InvalidContentLength,
                    "Content-Length can't be present with Transfer-Encoding",
                    c.i,
                );
            }
            _ => {}
        }
        let value = header_value(c, head, kind)?;
        // llhttp ends the value's span at its CR and reports after it.
        c.track(value.len(), c.i - 1)?;
        head.headers.push(RawHeader { name, value });
    }
}

/// One header value, from after the colon through its CRLF; returns the
/// value's range without surrounding whitespace.
fn header_value(c: &mut Cursor<'_>, head: &mut RequestHead, kind: Special) -> Step<Range<usize>> {
    // header_value_discard_ws
    loop {
        match c.peek()? {
            b' ' | b'\t' => c.i += 1,
            b'\r' => {
                c.i += 1;
                if c.peek()? != b'\n' {
                    return err(HpeCode::Strict, "Expected LF after CR", c.i);
                }
                c.i += 1;
                // header_value_discard_lws: an empty value.
                let b = c.peek()?;
                if b == b' ' || b == b'\t' {
                    return err(HpeCode::InvalidHeaderToken, "Invalid header value char", c.i + 1);
                }
                if kind == Special::ContentLength {
                    return err(HpeCode::InvalidContentLength, "Empty Content-Length", c.i);
                }
                return Ok(c.i - 2..c.i - 2);
            }
            b'\n' => return err(HpeCode::InvalidHeaderToken, "Invalid header value char", c.i + 1),
            _ => break,
        }
    }
    let start = c.i;
    c.open = Some(start);
    match kind {
        Special::ContentLength => content_length(c, head)?,
        Special::TransferEncoding => transfer_encoding(c, head)?,
        Special::Connection => connection(c, head)?,
        Special::Upgrade => {
            head.upgrade_header = true;
            general_value(c)?;
        }
        Special::General => general_value(c)?,
    }
    // header_value_otherwise: at the end of the value.
    let end = c.i;
    match c.peek()? {
        b'\r' => c.i += 1,
        b'\n' => return err(HpeCode::CrExpected, "Missing expected CR after header value", c.i),
        _ => return err(HpeCode::InvalidHeaderToken, "Invalid header value char", c.i),
    }
    if c.peek()? != b'\n' {
        return err(HpeCode::LfExpected, "Missing expected LF after header value", c.i);
    }
    c.i += 1;
    // header_value_lws: obs-fold is refused.
    if matches!(c.peek()?, b' ' | b'\t') {
        return err(
            HpeCode::InvalidHeaderToken,
            "Unexpected whitespace after header value",
            c.i,
        );
    }
    let mut trimmed = end;
    while trimmed > start && matches!(c.buf[trimmed - 1], b' ' | b'\t') {
        trimmed -= 1;
    }
    Ok(start..trimmed)
}

fn general_value(c: &mut Cursor<'_>) -> Step<()> {
    while HEADER_VALUE[c.peek()? as usize] {
        c.i += 1;
    }
    Ok(())
}

fn content_length(c: &mut Cursor<'_>, head: &mut RequestHead) -> Step<()> {
    if head.content_length.is_some() {
        return err(HpeCode::UnexpectedContentLength, "Duplicate Content-Length", c.i);
    }
    let mut n: u64 = 0;
    while let b @ b'0'..=b'9' = c.peek()? {
        c.i += 1;
        n = match n.checked_mul(10).and_then(|n| n.checked_add(u64::from(b - b'0'))) {
            Some(n) => n,
            None => return err(HpeCode::InvalidContentLength, "Content-Length overflow", c.i),
        };
    }
    while matches!(c.peek()?, b' ' | b'\t') {
        c.i += 1;
    }
    if !matches!(c.peek()?, b'\r' | b'\n') {
        return err(
            HpeCode::InvalidContentLength,
            "Invalid character in Content-Length",
            c.i,
        );
    }
    head.content_length = Some(n);
    Ok(())
}

fn transfer_encoding(c: &mut Cursor<'_>, head: &mut RequestHead) -> Step<()> {
    if head.chunked {
        // Once chunked has been selected, no other coding may follow in a request.
        return err(
            HpeCode::InvalidTransferEncoding,
            "Invalid `Transfer-Encoding` header value",
            c.i + 1,
        );
    }
    head.transfer_encoding = true;
    let mut last_is_chunked = false;
    'codings: loop {
        // header_value_te_chunked: does this coding read `chunked`?
        let at = c.i;
        let mut k = 0;
        while k < 7 {
            let b = c.peek()?;
            if b.to_ascii_lowercase() != b"chunked"[k] {
                break;
            }
            c.i += 1;
            k += 1;
        }
        if k == 7 {
            // header_value_te_chunked_last
            while c.peek()? == b' ' {
                c.i += 1;
            }
            match c.peek()? {
                b'\r' | b'\n' => {
                    last_is_chunked = true;
                    break 'codings;
                }
                b',' => {
                    return err(
                        HpeCode::InvalidTransferEncoding,
                        "Invalid `Transfer-Encoding` header value",
                        c.i + 1,
                    );
                }
                _ => {}
            }
        }
        let _ = at;
        // header_value_te_token
        loop {
            let b = c.peek()?;
            if b == b',' {
                c.i += 1;
                while matches!(c.peek()?, b' ' | b'\t') {
                    c.i += 1;
                }
                continue 'codings;
            }
            if CONNECTION_TOKEN[b as usize] {
                c.i += 1;
                continue;
            }
            // Anything else: the rest is an ordinary value.
            general_value(c)?;
            break 'codings;
        }
    }
    head.chunked = last_is_chunked;
    Ok(())
}

fn connection(c: &mut Cursor<'_>, head: &mut RequestHead) -> Step<()> {
    #[derive(Clone, Copy, PartialEq)]
    enum Tok {
        None,
        Close,
        KeepAlive,
        Upgrade,
    }
    let set = |t: Tok, head: &mut RequestHead| match t {
        Tok::Close => head.connection_close = true,
        Tok::KeepAlive => head.connection_keep_alive = true,
        Tok::Upgrade => head.connection_upgrade = true,
        Tok::None => {}
    };
    loop {
        // header_value_connection: skip whitespace, try the known tokens.
        while matches!(c.peek()?, b' ' | b'\t') {
            c.i += 1;
        }
        let mut tok = Tok::None;
        for (word, t) in [
            (&b"close"[..], Tok::Close),
            (&b"upgrade"[..], Tok::Upgrade),
            (&b"keep-alive"[..], Tok::KeepAlive),
        ] {
            let rest = &c.buf[c.i..];
            let n = rest.len().min(word.len());
            if rest[..n].eq_ignore_ascii_case(&word[..n]) {
                if n < word.len() {
                    return Err(Stop::Partial);
                }
                c.i += word.len();
                tok = t;
                break;
            }
        }
        if tok != Tok::None {
            // header_value_connection_ws
            while matches!(c.peek()?, b' ' | b'\t') {
                c.i += 1;
            }
            match c.peek()? {
                b',' => {
                    c.i += 1;
                    set(tok, head);
                    continue;
                }
                b'\r' | b'\n' => {
                    set(tok, head);
                    return Ok(());
                }
                _ => {}
            }
        }
        // header_value_connection_token
        loop {
            let b = c.peek()?;
            if b == b',' {
                c.i += 1;
                break;
            }
            if CONNECTION_TOKEN[b as usize] {
                c.i += 1;
                continue;
            }
            return Ok(());
        }
    }
}
