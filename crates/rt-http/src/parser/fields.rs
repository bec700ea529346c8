//! The header block (shared by requests, responses and trailers), with
//! llhttp's rules for names, values, Content-Length, Transfer-Encoding and
//! Connection.

use std::ops::Range;

use super::chars::{CONNECTION_TOKEN, HEADER_VALUE, TOKEN};
use super::cursor::{Cursor, Parsed, Step, Stop, err, partial};
use super::error::{HpeCode, ParseError};

/// One header as received: ranges into the parsed buffer. The value has its
/// leading and trailing whitespace removed, as Node gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawHeader {
    /// The name's bytes.
    pub name: Range<usize>,
    /// The value's bytes.
    pub value: Range<usize>,
}

/// The header block of a request, a response or trailers: the headers in
/// order, and what llhttp learned from them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fields {
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
    /// Whether these are a request's (requests may not follow `chunked` with
    /// another coding).
    request: bool,
}

impl Fields {
    pub(crate) fn new(request: bool) -> Fields {
        Fields {
            headers: take_header_list(),
            content_length: None,
            chunked: false,
            transfer_encoding: false,
            connection_close: false,
            connection_keep_alive: false,
            connection_upgrade: false,
            upgrade_header: false,
            request,
        }
    }
}

thread_local! {
    /// A spare header list per thread: a request's list goes back here when
    /// its message is dropped, and the next head parsed takes it instead of
    /// allocating one.
    static SPARE: std::cell::Cell<Vec<RawHeader>> = const { std::cell::Cell::new(Vec::new()) };
}

fn take_header_list() -> Vec<RawHeader> {
    SPARE.with(std::cell::Cell::take)
}

/// Gives a header list back for the next head (kept if it is small).
pub(crate) fn give_header_list(mut v: Vec<RawHeader>) {
    if v.capacity() > 0 && v.capacity() <= 64 {
        v.clear();
        let _ = SPARE.try_with(|s| s.set(v));
    }
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
/// blank line) at the start of `buf`: the fields and the block's length.
pub(crate) fn parse_trailers(
    buf: &[u8],
    max_header_size: usize,
) -> Result<Parsed<(Fields, usize)>, ParseError> {
    let mut c = Cursor::new(buf, max_header_size);
    let mut f = Fields::new(true);
    match header_lines(&mut c, &mut f) {
        Ok(()) => Ok(Parsed::Complete((f, c.i))),
        Err(Stop::Partial) => partial(&c),
        Err(Stop::Error(e)) => Err(e),
    }
}

/// The header block through its blank line.
pub(crate) fn header_block(c: &mut Cursor<'_>, f: &mut Fields) -> Step<()> {
    if c.peek()? == b' ' {
        return err(
            HpeCode::UnexpectedSpace,
            "Unexpected space after start line",
            c.i + 1,
        );
    }
    header_lines(c, f)
}

/// Header lines through the blank line (the request's, or trailers).
fn header_lines(c: &mut Cursor<'_>, f: &mut Fields) -> Step<()> {
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
        c.skip_while(&TOKEN)?;
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
            Special::TransferEncoding if f.content_length.is_some() => {
                return err(
                    HpeCode::InvalidTransferEncoding,
                    "Transfer-Encoding can't be present with Content-Length",
                    c.i,
                );
            }
            Special::ContentLength if f.transfer_encoding => {
                return err(
                    HpeCode::InvalidContentLength,
                    "Content-Length can't be present with Transfer-Encoding",
                    c.i,
                );
            }
            _ => {}
        }
        let value = header_value(c, f, kind)?;
        // llhttp ends the value's span at its CR and reports after it.
        c.track(value.len(), c.i - 1)?;
        f.headers.push(RawHeader { name, value });
    }
}

/// One header value, from after the colon through its CRLF; returns the
/// value's range without surrounding whitespace.
fn header_value(c: &mut Cursor<'_>, f: &mut Fields, kind: Special) -> Step<Range<usize>> {
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
        Special::ContentLength => content_length(c, f)?,
        Special::TransferEncoding => transfer_encoding(c, f)?,
        Special::Connection => connection(c, f)?,
        Special::Upgrade => {
            f.upgrade_header = true;
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
    c.skip_while(&HEADER_VALUE)
}

fn content_length(c: &mut Cursor<'_>, f: &mut Fields) -> Step<()> {
    if f.content_length.is_some() {
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
    // Only spaces may follow the digits (Node v20's llhttp refuses HTAB here).
    while c.peek()? == b' ' {
        c.i += 1;
    }
    if !matches!(c.peek()?, b'\r' | b'\n') {
        return err(
            HpeCode::InvalidContentLength,
            "Invalid character in Content-Length",
            c.i,
        );
    }
    f.content_length = Some(n);
    Ok(())
}

fn transfer_encoding(c: &mut Cursor<'_>, f: &mut Fields) -> Step<()> {
    if f.chunked && f.request {
        // Once chunked has been selected, no other coding may follow in a request.
        return err(
            HpeCode::InvalidTransferEncoding,
            "Invalid `Transfer-Encoding` header value",
            c.i + 1,
        );
    }
    f.transfer_encoding = true;
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
                b',' if f.request => {
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
    f.chunked = last_is_chunked;
    Ok(())
}

fn connection(c: &mut Cursor<'_>, f: &mut Fields) -> Step<()> {
    #[derive(Clone, Copy, PartialEq)]
    enum Tok {
        None,
        Close,
        KeepAlive,
        Upgrade,
    }
    let set = |t: Tok, f: &mut Fields| match t {
        Tok::Close => f.connection_close = true,
        Tok::KeepAlive => f.connection_keep_alive = true,
        Tok::Upgrade => f.connection_upgrade = true,
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
                    set(tok, f);
                    continue;
                }
                b'\r' | b'\n' => {
                    set(tok, f);
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
