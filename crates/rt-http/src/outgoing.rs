//! The core of an outgoing message (Node's `OutgoingMessage`, specialised by
//! `ServerResponse` here): header storage with Node's validation, the head as
//! `_storeHeader` writes it (`Date`, `Connection`, `Keep-Alive`,
//! `Content-Length` or chunked framing), and body framing for `write` / `end`.
//!
//! It does no I/O: each call appends the bytes to send to an output buffer,
//! so a connection task can put a response's head and body into one vectored
//! write. The `ServerResponse` stream is built on it.

use rt_stream::Error;

use crate::date::{push_utc_date, utc_date};
use crate::headers::array_index;

/// A header value as `setHeader` takes it: one value or several lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutValue {
    /// One value.
    One(String),
    /// Several values (one line each; `cookie` joined with `"; "`).
    Many(Vec<String>),
}

impl From<&str> for OutValue {
    fn from(s: &str) -> OutValue {
        OutValue::One(s.to_string())
    }
}

impl From<String> for OutValue {
    fn from(s: String) -> OutValue {
        OutValue::One(s)
    }
}

impl From<u64> for OutValue {
    fn from(n: u64) -> OutValue {
        OutValue::One(n.to_string())
    }
}

impl<S: Into<String>> From<Vec<S>> for OutValue {
    fn from(v: Vec<S>) -> OutValue {
        OutValue::Many(v.into_iter().map(Into::into).collect())
    }
}

/// Node's `checkIsHttpToken`.
pub(crate) fn is_token(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| crate::parser::chars::TOKEN[b as usize])
}

/// Node's `checkInvalidHeaderChar`: anything but HTAB, SP..~ and U+0080..U+00FF.
pub(crate) fn has_invalid_char(s: &str) -> bool {
    // Printable ASCII (the usual case) without decoding characters.
    !plain(s) && has_invalid_char_slow(s)
}

/// Only HTAB and printable ASCII: valid, and the same bytes in Latin-1 and UTF-8.
pub(crate) fn plain(s: &str) -> bool {
    s.bytes().all(|b| b == b'\t' || (b' '..=b'~').contains(&b))
}

fn has_invalid_char_slow(s: &str) -> bool {
    s.chars()
        .any(|c| !(c == '\t' || (' '..='~').contains(&c) || ('\u{80}'..='\u{ff}').contains(&c)))
}

fn headers_sent(action: &str) -> Error {
    Error::new(
        "ERR_HTTP_HEADERS_SENT",
        format!("Cannot {action} headers after they are sent to the client"),
    )
}

fn validate_name(name: &str, label: &str) -> Result<(), Error> {
    if !is_token(name) {
        return Err(Error::new(
            "ERR_INVALID_HTTP_TOKEN",
            format!("{label} must be a valid HTTP token [\"{name}\"]"),
        ));
    }
    Ok(())
}

/// `Ok(true)` when the value is [`plain`] ASCII.
fn validate_value(name: &str, value: &OutValue) -> Result<bool, Error> {
    let check = |s: &str| {
        if plain(s) {
            Some(true)
        } else {
            (!has_invalid_char_slow(s)).then_some(false)
        }
    };
    let ascii = match value {
        OutValue::One(s) => check(s),
        OutValue::Many(v) => v.iter().try_fold(true, |all, s| check(s).map(|p| all && p)),
    };
    ascii.ok_or_else(|| {
        Error::new(
            "ERR_INVALID_CHAR",
            format!("Invalid character in header content [\"{name}\"]"),
        )
    })
}

/// Body chunks at least this large are sent without a copy.
const BIG_CHUNK: usize = 4096;

thread_local! {
    /// One spare head buffer per thread: a keep-alive connection's heads
    /// reuse it instead of allocating a string per response.
    static HEAD_BUF: std::cell::Cell<String> = const { std::cell::Cell::new(String::new()) };
}

/// An empty string with room for a head (the thread's spare one if free).
pub(crate) fn take_head_buffer() -> String {
    let s = HEAD_BUF.with(std::cell::Cell::take);
    if s.capacity() == 0 {
        String::with_capacity(256)
    } else {
        s
    }
}

fn give_head_buffer(mut s: String) {
    if s.capacity() > 0 && s.capacity() <= 4096 {
        s.clear();
        let _ = HEAD_BUF.try_with(|c| c.set(s));
    }
}

/// Appends `n` in decimal without the formatter. The digits are pushed one
/// by one: status codes, timeouts and small lengths are one to three
/// digits, which costs less than copying a slice (a `memcpy` call each).
pub(crate) fn push_u64(out: &mut String, n: u64) {
    let (high, low) = (n / 1000, (n % 1000) as u16);
    if high > 0 {
        push_u64(out, high);
    }
    let (a, b, c) = ((low / 100) as u8, (low / 10 % 10) as u8, (low % 10) as u8);
    if high > 0 || a > 0 {
        out.push(char::from(b'0' + a));
    }
    if high > 0 || a > 0 || b > 0 {
        out.push(char::from(b'0' + b));
    }
    out.push(char::from(b'0' + c));
}

/// A chunk's size line (`{:x}\r\n`) without the formatter.
fn push_chunk_size(out: &mut Vec<u8>, n: usize) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut digits = [0u8; 18];
    let mut i = 16;
    let mut n = n;
    loop {
        i -= 1;
        digits[i] = HEX[n & 15];
        n >>= 4;
        if n == 0 {
            break;
        }
    }
    digits[16] = b'\r';
    digits[17] = b'\n';
    out.extend_from_slice(&digits[i..]);
}

/// The `Keep-Alive: timeout=N[, max=M]` line.
fn push_keep_alive(head: &mut String, secs: u64, max: u64) {
    head.push_str("Keep-Alive: timeout=");
    push_u64(head, secs);
    if max > 0 {
        head.push_str(", max=");
        push_u64(head, max);
    }
    head.push_str("\r\n");
}

/// `Date`, `Connection: keep-alive` and `Keep-Alive` lines as one string,
/// kept per thread for the current second (and these two numbers).
fn push_date_keep_alive(head: &mut String, secs: u64, max: u64) {
    thread_local! {
        static LINES: std::cell::RefCell<(u64, u64, u64, String)> =
            const { std::cell::RefCell::new((u64::MAX, 0, 0, String::new())) };
    }
    utc_date(|now, date| {
        let cached = LINES.try_with(|l| {
            let mut l = l.borrow_mut();
            if (l.0, l.1, l.2) != (now, secs, max) {
                let mut s = String::with_capacity(96);
                s.push_str("Date: ");
                s.push_str(date);
                s.push_str("\r\nConnection: keep-alive\r\n");
                push_keep_alive(&mut s, secs, max);
                *l = (now, secs, max, s);
            }
            head.push_str(&l.3);
        });
        if cached.is_err() {
            // No thread-local left (the thread is ending): made here.
            head.push_str("Date: ");
            head.push_str(date);
            head.push_str("\r\nConnection: keep-alive\r\n");
            push_keep_alive(head, secs, max);
        }
    });
}

/// Appends `s` as Latin-1 bytes (every char was validated to be <= U+00FF).
fn push_latin1(out: &mut Vec<u8>, s: &str) {
    if s.is_ascii() {
        out.extend_from_slice(s.as_bytes());
    } else {
        out.extend(s.chars().map(|c| c as u32 as u8));
    }
}

/// A header set with `setHeader`: its lower-cased key and its name as
/// given, in one string (one allocation per header), and its value.
#[derive(Debug, Clone)]
struct Entry {
    /// `key` then `name`; the key is `text[..split]`.
    text: String,
    split: usize,
    value: OutValue,
    /// The value is [`plain`] ASCII.
    ascii: bool,
}

impl Entry {
    /// `text`: an empty string to fill (a spare one, or new).
    fn new(mut text: String, name: &str, value: OutValue, ascii: bool) -> Entry {
        text.reserve(name.len() * 2);
        text.push_str(name);
        text.make_ascii_lowercase();
        let split = text.len();
        text.push_str(name);
        Entry {
            text,
            split,
            value,
            ascii,
        }
    }

    fn key(&self) -> &str {
        &self.text[..self.split]
    }

    fn name(&self) -> &str {
        &self.text[self.split..]
    }

    fn is(&self, name: &str) -> bool {
        self.key().eq_ignore_ascii_case(name)
    }
}

/// What `_storeHeader` saw among the headers it wrote.
#[derive(Default)]
struct Seen {
    connection: bool,
    content_length: bool,
    te: bool,
    date: bool,
    expect: bool,
    trailer: bool,
}

/// `/(?:^|\W)word(?:$|\W)/i`: `word` as a whole token of `value`.
pub(crate) fn has_token(value: &str, word: &str) -> bool {
    let v = value.as_bytes();
    let w = word.len();
    (0..v.len().saturating_sub(w - 1)).any(|i| {
        v[i..i + w].eq_ignore_ascii_case(word.as_bytes())
            && (i == 0 || !is_word(v[i - 1]))
            && (i + w == v.len() || !is_word(v[i + w]))
    })
}

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// The state of an outgoing message (Node's `OutgoingMessage` fields).
#[doc(alias = "OutgoingMessage")]
#[derive(Debug, Clone)]
pub struct Outgoing {
    /// (lower-cased name, name as set, value), in JS object key order.
    headers: Vec<Entry>,
    /// Emptied name strings of an earlier message's entries, for this one's.
    spare_texts: Vec<String>,
    /// The stored head is [`plain`] ASCII (the same bytes in Latin-1 and UTF-8).
    head_ascii: bool,
    /// Whether `setHeader` ever ran (removing every header keeps it true).
    touched: bool,
    /// The head as Node's `_header` string (chars <= U+00FF unless a caller
    /// let others through), encoded when it is sent.
    header: Option<String>,
    /// Bytes ready to send (drained by [`Outgoing::take_output`]).
    output: Vec<u8>,
    /// Large body chunks sent as they are, without a copy: each goes on the
    /// wire at its offset of `output` (see [`Outgoing::swap_output_parts`]).
    parts: Vec<(usize, rt_buffer::Buffer)>,
    parts_len: usize,
    header_sent: bool,
    pub(crate) has_body: bool,
    chunked: bool,
    pub(crate) should_keep_alive: bool,
    pub(crate) use_chunked_by_default: bool,
    pub(crate) send_date: bool,
    removed_connection: bool,
    removed_content_length: bool,
    removed_te: bool,
    content_length: Option<u64>,
    pub(crate) keep_alive_timeout_ms: u64,
    pub(crate) max_requests_per_socket: u64,
    pub(crate) max_requests_reached: bool,
    /// Whether the message goes through an agent (a client request).
    pub(crate) has_agent: bool,
    /// The status code (ServerResponse's; a chunked 204 / 304 is not framed).
    pub(crate) status_code: u16,
    default_keep_alive: bool,
    last: bool,
    finished: bool,
    trailer: Vec<u8>,
}

thread_local! {
    /// A spare header list per thread, for the next message's `setHeader`.
    static ENTRIES: std::cell::Cell<Vec<Entry>> = const { std::cell::Cell::new(Vec::new()) };
}

impl Drop for Outgoing {
    fn drop(&mut self) {
        let mut v = std::mem::take(&mut self.headers);
        if v.capacity() > 0 && v.capacity() <= 32 {
            v.clear();
            let _ = ENTRIES.try_with(|c| c.set(v));
        }
    }
}

impl Default for Outgoing {
    fn default() -> Outgoing {
        Outgoing {
            headers: Vec::new(),
            spare_texts: Vec::new(),
            head_ascii: false,
            touched: false,
            header: None,
            output: Vec::new(),
            parts: Vec::new(),
            parts_len: 0,
            header_sent: false,
            has_body: true,
            chunked: false,
            should_keep_alive: true,
            use_chunked_by_default: true,
            send_date: false,
            removed_connection: false,
            removed_content_length: false,
            removed_te: false,
            content_length: None,
            keep_alive_timeout_ms: 0,
            max_requests_per_socket: 0,
            max_requests_reached: false,
            has_agent: false,
            status_code: 200,
            default_keep_alive: true,
            last: false,
            finished: false,
            trailer: Vec::new(),
        }
    }
}

impl Outgoing {
    /// `setHeader(name, value)`.
    #[doc(alias = "setHeader")]
    pub fn set_header(&mut self, name: &str, value: impl Into<OutValue>) -> Result<(), Error> {
        if self.header.is_some() {
            return Err(headers_sent("set"));
        }
        let value = value.into();
        validate_name(name, "Header name")?;
        let ascii = validate_value(name, &value)?;
        self.touched = true;
        if self.headers.capacity() == 0 {
            self.headers = ENTRIES.with(std::cell::Cell::take);
        }
        let text = self.spare_texts.pop().unwrap_or_default();
        match self.headers.iter_mut().find(|e| e.is(name)) {
            Some(entry) => *entry = Entry::new(text, name, value, ascii),
            None => {
                let entry = Entry::new(text, name, value, ascii);
                let at = match array_index(entry.key()) {
                    Some(n) => self
                        .headers
                        .iter()
                        .position(|e| array_index(e.key()).is_none_or(|m| m > n))
                        .unwrap_or(self.headers.len()),
                    None => self.headers.len(),
                };
                self.headers.insert(at, entry);
            }
        }
        Ok(())
    }

    /// `appendHeader(name, value)`: adds lines to a header already set.
    #[doc(alias = "appendHeader")]
    pub fn append_header(&mut self, name: &str, value: impl Into<OutValue>) -> Result<(), Error> {
        if self.header.is_some() {
            return Err(headers_sent("append"));
        }
        let value = value.into();
        validate_name(name, "Header name")?;
        let ascii = validate_value(name, &value)?;
        let Some(entry) = self.headers.iter_mut().find(|e| e.is(name)) else {
            return self.set_header(name, value);
        };
        entry.ascii &= ascii;
        let mut values = match std::mem::replace(&mut entry.value, OutValue::Many(Vec::new())) {
            OutValue::One(s) => vec![s],
            OutValue::Many(v) => v,
        };
        match value {
            OutValue::One(s) => values.push(s),
            OutValue::Many(v) => values.extend(v),
        }
        entry.value = OutValue::Many(values);
        Ok(())
    }

    /// Takes `old`'s header name strings, emptied, for this message's
    /// `setHeader` calls (a keep-alive connection's responses then set the
    /// same headers without allocating their names again).
    pub(crate) fn adopt_spares(&mut self, old: &mut Outgoing) {
        const KEEP: usize = 16;
        std::mem::swap(&mut self.spare_texts, &mut old.spare_texts);
        for e in old.headers.drain(..) {
            if self.spare_texts.len() >= KEEP {
                break;
            }
            let mut text = e.text;
            text.clear();
            self.spare_texts.push(text);
        }
    }

    /// `getHeader(name)`.
    #[doc(alias = "getHeader")]
    pub fn get_header(&self, name: &str) -> Option<&OutValue> {
        self.headers.iter().find(|e| e.is(name)).map(|e| &e.value)
    }

    /// `getHeaderNames()`: lower-cased, in order.
    #[doc(alias = "getHeaderNames")]
    pub fn get_header_names(&self) -> Vec<&str> {
        self.headers.iter().map(Entry::key).collect()
    }

    /// `hasHeader(name)`.
    #[doc(alias = "hasHeader")]
    pub fn has_header(&self, name: &str) -> bool {
        self.get_header(name).is_some()
    }

    /// `removeHeader(name)`.
    #[doc(alias = "removeHeader")]
    pub fn remove_header(&mut self, name: &str) -> Result<(), Error> {
        if self.header.is_some() {
            return Err(headers_sent("remove"));
        }
        let lower = name.to_ascii_lowercase();
        match lower.as_str() {
            "connection" => self.removed_connection = true,
            "content-length" => self.removed_content_length = true,
            "transfer-encoding" => self.removed_te = true,
            "date" => self.send_date = false,
            _ => {}
        }
        self.headers.retain(|e| !e.is(&lower));
        Ok(())
    }

    /// `headersSent`.
    #[doc(alias = "headersSent")]
    pub fn headers_sent(&self) -> bool {
        self.header.is_some()
    }

    /// `writableEnded`.
    #[doc(alias = "writableEnded")]
    pub fn finished(&self) -> bool {
        self.finished
    }

    pub(crate) fn set_last(&mut self, last: bool) {
        self.last = last;
    }

    /// Whether the connection must close after this message (Node's `_last`).
    pub fn is_last(&self) -> bool {
        self.last
    }

    /// `addTrailers(headers)`.
    #[doc(alias = "addTrailers")]
    pub fn add_trailers<'a>(
        &mut self,
        trailers: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<(), Error> {
        // Node empties the trailer first and stops at the first bad entry,
        // keeping the ones before it.
        self.trailer.clear();
        for (name, value) in trailers {
            validate_name(name, "Trailer name")?;
            if has_invalid_char(value) {
                return Err(Error::new(
                    "ERR_INVALID_CHAR",
                    format!("Invalid character in trailer content [\"{name}\"]"),
                ));
            }
            push_latin1(&mut self.trailer, name);
            self.trailer.extend_from_slice(b": ");
            push_latin1(&mut self.trailer, value);
            self.trailer.extend_from_slice(b"\r\n");
        }
        Ok(())
    }

    /// Whether any header was ever set (Node's `kOutHeaders` is not null).
    pub(crate) fn touched(&self) -> bool {
        self.touched
    }

    /// `_storeHeader(firstLine, headers)`, with the first line already in
    /// `head` (its line end included; `first_ascii`: the line is ASCII, so
    /// its bytes are the same in Latin-1 and UTF-8). `explicit` are headers
    /// given to `writeHead` when no header was set before (validated here,
    /// as Node does); otherwise the stored headers are written.
    pub(crate) fn store_header_into(
        &mut self,
        mut head: String,
        first_ascii: bool,
        explicit: Option<&[(String, OutValue)]>,
    ) -> Result<(), Error> {
        let mut seen = Seen::default();
        // Names are tokens and what is added here ASCII: only the first
        // line and the values can make the head other than plain ASCII.
        self.head_ascii = first_ascii;
        match explicit {
            Some(list) => {
                for (name, value) in list {
                    validate_name(name, "Header name")?;
                    self.process_header(&mut head, &mut seen, name, value, true)?;
                }
            }
            None => {
                let headers = std::mem::take(&mut self.headers);
                let r = headers.iter().try_for_each(|e| {
                    self.head_ascii &= e.ascii;
                    self.process_header(&mut head, &mut seen, e.name(), &e.value, false)
                });
                self.headers = headers;
                r?;
            }
        }
        // A chunked 204 / 304: no zero chunk, and the connection closes.
        if self.chunked && matches!(self.status_code, 204 | 304) {
            self.chunked = false;
            self.should_keep_alive = false;
        }
        let date = self.send_date && !seen.date;
        let send_keep_alive =
            self.should_keep_alive && (seen.content_length || self.use_chunked_by_default || self.has_agent);
        // The usual keep-alive response: its `Date`, `Connection` and
        // `Keep-Alive` lines in one piece, made once a second.
        let combined = date
            && send_keep_alive
            && !self.removed_connection
            && !seen.connection
            && !self.max_requests_reached
            && self.keep_alive_timeout_ms > 0
            && self.default_keep_alive;
        if combined {
            push_date_keep_alive(
                &mut head,
                self.keep_alive_timeout_ms / 1000,
                self.max_requests_per_socket,
            );
        } else if date {
            head.push_str("Date: ");
            push_utc_date(&mut head);
            head.push_str("\r\n");
        }
        if self.removed_connection {
            self.last = !self.should_keep_alive;
        } else if !seen.connection && !combined {
            if send_keep_alive && self.max_requests_reached {
                head.push_str("Connection: close\r\n");
            } else if send_keep_alive {
                head.push_str("Connection: keep-alive\r\n");
                if self.keep_alive_timeout_ms > 0 && self.default_keep_alive {
                    push_keep_alive(
                        &mut head,
                        self.keep_alive_timeout_ms / 1000,
                        self.max_requests_per_socket,
                    );
                }
            } else {
                self.last = true;
                head.push_str("Connection: close\r\n");
            }
        }
        if !seen.content_length && !seen.te {
            if !self.has_body {
                self.chunked = false;
            } else if !self.use_chunked_by_default {
                self.last = true;
            } else if !seen.trailer && !self.removed_content_length && self.content_length.is_some() {
                head.push_str("Content-Length: ");
                push_u64(&mut head, self.content_length.unwrap_or(0));
                head.push_str("\r\n");
            } else if !self.removed_te {
                head.push_str("Transfer-Encoding: chunked\r\n");
                self.chunked = true;
            } else {
                self.last = true;
            }
        }
        if !self.chunked && seen.trailer {
            return Err(Error::new(
                "ERR_HTTP_TRAILER_INVALID",
                "Trailers are invalid with this transfer encoding",
            ));
        }
        head.push_str("\r\n");
        self.header = Some(head);
        self.header_sent = false;
        // With an `Expect` header Node sends the head at once, as a string
        // in the default encoding (UTF-8).
        if seen.expect {
            self.flush_head(true);
        }
        Ok(())
    }

    fn process_header(
        &mut self,
        head: &mut String,
        seen: &mut Seen,
        name: &str,
        value: &OutValue,
        validate: bool,
    ) -> Result<(), Error> {
        match value {
            OutValue::Many(v) if v.len() < 2 || !name.eq_ignore_ascii_case("cookie") => {
                for one in v {
                    self.store_one(head, seen, name, one, validate)?;
                }
                Ok(())
            }
            OutValue::Many(v) => self.store_one(head, seen, name, &v.join("; "), validate),
            OutValue::One(s) => self.store_one(head, seen, name, s, validate),
        }
    }

    fn store_one(
        &mut self,
        head: &mut String,
        seen: &mut Seen,
        name: &str,
        value: &str,
        validate: bool,
    ) -> Result<(), Error> {
        if validate && !plain(value) {
            self.head_ascii = false;
            if has_invalid_char_slow(value) {
                return Err(Error::new(
                    "ERR_INVALID_CHAR",
                    format!("Invalid character in header content [\"{name}\"]"),
                ));
            }
        }
        head.push_str(name);
        head.push_str(": ");
        head.push_str(value);
        head.push_str("\r\n");
        // matchHeader
        if name.len() < 4 || name.len() > 17 {
            return Ok(());
        }
        // matchHeader compares case-insensitively; no lower-cased copy per header.
        let is = |known: &str| name.eq_ignore_ascii_case(known);
        match () {
            _ if is("connection") => {
                seen.connection = true;
                self.removed_connection = false;
                if has_token(value, "close") {
                    self.last = true;
                } else {
                    self.should_keep_alive = true;
                }
            }
            _ if is("transfer-encoding") => {
                seen.te = true;
                self.removed_te = false;
                if has_token(value, "chunked") {
                    self.chunked = true;
                }
            }
            _ if is("content-length") => {
                seen.content_length = true;
                self.content_length = value.trim().parse().ok();
                self.removed_content_length = false;
            }
            _ if is("date") => seen.date = true,
            _ if is("expect") => seen.expect = true,
            _ if is("trailer") => seen.trailer = true,
            _ if is("keep-alive") => self.default_keep_alive = false,
            _ => {}
        }
        Ok(())
    }

    /// Moves the stored head into the output if it was not sent yet: as
    /// Latin-1 (Node's `_header` before a Buffer chunk), or as UTF-8 when it
    /// goes out with a string in the default encoding.
    fn flush_head(&mut self, utf8: bool) {
        if !self.header_sent {
            if let Some(h) = &mut self.header {
                if self.output.is_empty() && self.parts.is_empty() && (utf8 || self.head_ascii) {
                    // Nothing before it and the same bytes either way: the
                    // head's buffer becomes the output (no copy), and the
                    // output's empty buffer is the next head's.
                    let head = std::mem::take(h).into_bytes();
                    let spare = std::mem::replace(&mut self.output, head);
                    self.header_sent = true;
                    give_head_buffer(String::from_utf8(spare).unwrap_or_default());
                    return;
                }
                if utf8 {
                    self.output.extend_from_slice(h.as_bytes());
                } else {
                    push_latin1(&mut self.output, h);
                }
                self.header_sent = true;
                // The head's text is in the output now: its buffer goes
                // back for the next head (`header` stays set: "sent").
                give_head_buffer(std::mem::take(h));
            }
        }
    }

    /// `write(chunk)` after the head exists: the framed chunk into the
    /// output. A body the message may not have (HEAD, 204, 304, 1xx) is
    /// dropped, as Node drops it.
    pub(crate) fn write_body(&mut self, chunk: &[u8]) {
        if !self.has_body {
            return;
        }
        self.flush_head(false);
        if self.chunked && !chunk.is_empty() {
            // The size line straight into the output (no String per chunk).
            push_chunk_size(&mut self.output, chunk.len());
            self.output.extend_from_slice(chunk);
            self.output.extend_from_slice(b"\r\n");
        } else {
            self.output.extend_from_slice(chunk);
        }
    }

    /// [`write_body`](Self::write_body) for an owned chunk: a large one is
    /// kept as it is (framed around, not copied) for a vectored write.
    pub(crate) fn write_body_buf(&mut self, chunk: rt_buffer::Buffer) {
        if chunk.len() < BIG_CHUNK || !self.has_body {
            self.write_body(&chunk);
            return;
        }
        self.flush_head(false);
        if self.chunked {
            push_chunk_size(&mut self.output, chunk.len());
        }
        self.parts_len += chunk.len();
        self.parts.push((self.output.len(), chunk));
        if self.chunked {
            self.output.extend_from_slice(b"\r\n");
        }
    }

    /// Records the content length `end(chunk)` knows before the implicit head.
    pub(crate) fn set_content_length(&mut self, n: u64) {
        self.content_length = Some(n);
    }

    /// The end of the message: the last chunk and trailers when chunked.
    pub(crate) fn finish(&mut self) {
        self.flush_head(false);
        self.finished = true;
        if self.has_body && self.chunked {
            self.output.extend_from_slice(b"0\r\n");
            let trailer = std::mem::take(&mut self.trailer);
            self.output.extend_from_slice(&trailer);
            self.output.extend_from_slice(b"\r\n");
        }
    }

    /// Raw bytes outside the message framing (an interim `100 Continue`).
    pub(crate) fn write_raw(&mut self, bytes: &[u8]) {
        self.output.extend_from_slice(bytes);
    }

    /// Takes the bytes ready to send, in order: what one vectored write
    /// puts on the connection.
    pub fn take_output(&mut self) -> Vec<u8> {
        if self.parts.is_empty() {
            return std::mem::take(&mut self.output);
        }
        // Flattened: the body chunks kept aside join the bytes.
        let mut flat = Vec::with_capacity(self.output.len() + self.parts_len);
        let mut at = 0;
        for (offset, chunk) in std::mem::take(&mut self.parts) {
            flat.extend_from_slice(&self.output[at..offset]);
            flat.extend_from_slice(&chunk);
            at = offset;
        }
        flat.extend_from_slice(&self.output[at..]);
        self.output.clear();
        self.parts_len = 0;
        flat
    }

    /// [`swap_output`](Self::swap_output), and the large body chunks that go
    /// between its bytes (offset into the bytes, chunk) into `parts` (empty).
    pub fn swap_output_parts(&mut self, buf: &mut Vec<u8>, parts: &mut Vec<(usize, rt_buffer::Buffer)>) {
        std::mem::swap(&mut self.output, buf);
        std::mem::swap(&mut self.parts, parts);
        self.parts_len = 0;
    }

    /// Swaps the bytes ready to send with `buf` (an empty buffer the
    /// connection reuses), so no allocation happens per response.
    pub fn swap_output(&mut self, buf: &mut Vec<u8>) {
        std::mem::swap(&mut self.output, buf);
    }

    /// How many bytes wait to be sent.
    pub fn output_len(&self) -> usize {
        self.output.len() + self.parts_len
    }

    /// `getHeaders()`: (lower-cased name, value), in order.
    #[doc(alias = "getHeaders")]
    pub fn get_headers(&self) -> Vec<(String, OutValue)> {
        self.headers
            .iter()
            .map(|e| (e.key().to_string(), e.value.clone()))
            .collect()
    }
}

/// What `ServerResponse` and `ClientRequest` share: an [`Outgoing`] core and
/// their own implicit head; `write` and `end` are provided over them
/// (Node's `OutgoingMessage.prototype.write` / `end`).
pub trait Message {
    /// The outgoing core.
    fn outgoing(&mut self) -> &mut Outgoing;

    /// Writes the head from the current state (Node's `_implicitHeader`).
    fn implicit_head(&mut self) -> Result<(), Error>;

    /// `write(chunk)`: the bytes to send (the head first, once) join the
    /// output ([`Outgoing::take_output`]).
    fn write(&mut self, chunk: &[u8]) -> Result<(), Error> {
        if self.outgoing().finished() {
            return Err(Error::new("ERR_STREAM_WRITE_AFTER_END", "write after end"));
        }
        if !self.outgoing().headers_sent() {
            self.implicit_head()?;
        }
        self.outgoing().write_body(chunk);
        Ok(())
    }

    /// `end([chunk])`: the rest of the message joins the output. A second
    /// `end()` without a chunk does nothing; with one it is
    /// `ERR_STREAM_WRITE_AFTER_END`.
    fn end(&mut self, chunk: &[u8]) -> Result<(), Error> {
        if !chunk.is_empty() {
            if self.outgoing().finished() {
                return Err(Error::new("ERR_STREAM_WRITE_AFTER_END", "write after end"));
            }
            if !self.outgoing().headers_sent() {
                self.outgoing().set_content_length(chunk.len() as u64);
                self.implicit_head()?;
            }
            self.outgoing().write_body(chunk);
        } else if self.outgoing().finished() {
            return Ok(());
        } else if !self.outgoing().headers_sent() {
            self.outgoing().set_content_length(0);
            self.implicit_head()?;
        }
        self.outgoing().finish();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::push_u64;

    #[test]
    fn chunk_size_lines_as_the_formatter_writes_them() {
        for n in [0usize, 1, 15, 16, 255, 4096, 65_536, 1 << 20, usize::MAX] {
            let mut v = b"x".to_vec();
            super::push_chunk_size(&mut v, n);
            assert_eq!(v, format!("x{n:x}\r\n").into_bytes());
        }
    }

    #[test]
    fn push_u64_every_width() {
        for n in [
            0,
            7,
            9,
            10,
            42,
            99,
            100,
            101,
            200,
            999,
            1000,
            1001,
            1010,
            65_536,
            1_000_000,
            u64::MAX,
        ] {
            let mut s = String::from("x");
            push_u64(&mut s, n);
            assert_eq!(s, format!("x{n}"));
        }
    }
}
