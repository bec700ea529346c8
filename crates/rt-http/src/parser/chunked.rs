//! `Transfer-Encoding: chunked` bodies, decoded in place with llhttp's rules
//! (chunk sizes, extensions, the CRLF after each chunk, trailers).

use std::ops::Range;

use super::chars::{HEX, QDTEXT, QUOTED_PAIR, TOKEN, hex_value};
use super::cursor::Parsed;
use super::error::{HpeCode, ParseError};
use super::fields::{RawHeader, parse_trailers};

/// Node's limit on the bytes of chunk extensions in one size line (413).
pub const MAX_CHUNK_EXTENSIONS: usize = 16 * 1024;

/// What one call to [`ChunkedDecoder::decode`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChunkEvent {
    /// Body bytes at this range of the input.
    Data(Range<usize>),
    /// The last chunk and its trailers (ranges into the input): the body is done.
    End(Vec<RawHeader>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Size,
    Data(u64),
    DataEnd,
    Trailers,
    Done,
}

/// An incremental decoder of a chunked body.
///
/// Feed it the unread bytes of the connection's buffer; it returns how many
/// it consumed and at most one event. Bytes it did not consume (a size line or
/// trailer block cut by the end of the buffer) must be offered again with more
/// bytes after them.
#[derive(Debug, Clone)]
pub struct ChunkedDecoder {
    state: State,
    max_header_size: usize,
}

impl ChunkedDecoder {
    /// A decoder at the start of a chunked body; trailers are held to
    /// `max_header_size` as the head was.
    pub fn new(max_header_size: usize) -> ChunkedDecoder {
        ChunkedDecoder {
            state: State::Size,
            max_header_size,
        }
    }

    /// Whether the last chunk and its trailers have been read.
    pub fn is_done(&self) -> bool {
        self.state == State::Done
    }

    /// Decodes from `buf`: `(consumed, event)`. `(0, None)` means "need more
    /// bytes". Error offsets are relative to `buf`.
    pub fn decode(&mut self, buf: &[u8]) -> Result<(usize, Option<ChunkEvent>), ParseError> {
        let mut at = 0;
        loop {
            match self.state {
                State::Done => return Ok((at, None)),
                State::Size => match size_line(&buf[at..]).map_err(|e| shift(e, at))? {
                    None => return Ok((at, None)),
                    Some((len, size)) => {
                        at += len;
                        self.state = if size == 0 {
                            State::Trailers
                        } else {
                            State::Data(size)
                        };
                    }
                },
                State::Data(left) => {
                    let avail = (buf.len() - at) as u64;
                    if avail == 0 {
                        return Ok((at, None));
                    }
                    let n = avail.min(left) as usize;
                    let range = at..at + n;
                    self.state = if left == n as u64 {
                        State::DataEnd
                    } else {
                        State::Data(left - n as u64)
                    };
                    return Ok((at + n, Some(ChunkEvent::Data(range))));
                }
                State::DataEnd => {
                    let rest = &buf[at..];
                    match rest {
                        [] | [b'\r'] => return Ok((at, None)),
                        [b'\r', b'\n', ..] => {
                            at += 2;
                            self.state = State::Size;
                        }
                        [b'\r', _, ..] => {
                            // llhttp's two-byte match consumed the CR.
                            return Err(ParseError::new(
                                HpeCode::Strict,
                                "Expected LF after chunk data",
                                at + 1,
                            ));
                        }
                        [b'\n', ..] => {
                            return Err(ParseError::new(
                                HpeCode::CrExpected,
                                "Missing expected CR after chunk data",
                                at + 1,
                            ));
                        }
                        _ => {
                            return Err(ParseError::new(
                                HpeCode::Strict,
                                "Expected LF after chunk data",
                                at,
                            ));
                        }
                    }
                }
                State::Trailers => {
                    return match parse_trailers(&buf[at..], self.max_header_size).map_err(|e| shift(e, at))? {
                        Parsed::Partial => Ok((at, None)),
                        Parsed::Complete((fields, len)) => {
                            self.state = State::Done;
                            let headers = fields
                                .headers
                                .into_iter()
                                .map(|h| RawHeader {
                                    name: h.name.start + at..h.name.end + at,
                                    value: h.value.start + at..h.value.end + at,
                                })
                                .collect();
                            Ok((at + len, Some(ChunkEvent::End(headers))))
                        }
                    };
                }
            }
        }
    }
}

fn shift(mut e: ParseError, by: usize) -> ParseError {
    e.at += by;
    e
}

fn bad_size(at: usize) -> ParseError {
    ParseError::new(HpeCode::InvalidChunkSize, "Invalid character in chunk size", at)
}

fn strict(reason: &'static str, at: usize) -> ParseError {
    ParseError::new(HpeCode::Strict, reason, at)
}

/// One chunk-size line: `Ok(None)` when it is not complete yet, else its
/// length (through the LF) and the size.
fn size_line(buf: &[u8]) -> Result<Option<(usize, u64)>, ParseError> {
    let get = |i: usize| buf.get(i).copied();
    let partial = |i: usize| -> Result<Option<(usize, u64)>, ParseError> {
        if i > MAX_CHUNK_EXTENSIONS {
            return Err(ParseError::new(
                HpeCode::ChunkExtensionsOverflow,
                "Chunk extensions overflow",
                i,
            ));
        }
        Ok(None)
    };
    let mut i = 0;
    let mut size: u64 = 0;
    match get(i) {
        None => return Ok(None),
        Some(b) if HEX[b as usize] => {}
        Some(_) => return Err(bad_size(i)),
    }
    while let Some(b) = get(i) {
        if !HEX[b as usize] {
            break;
        }
        i += 1;
        size = match size.checked_mul(16).and_then(|s| s.checked_add(hex_value(b))) {
            Some(s) => s,
            None => {
                return Err(ParseError::new(
                    HpeCode::InvalidChunkSize,
                    "Chunk size overflow",
                    i,
                ));
            }
        };
    }
    // chunk_size_otherwise
    let Some(b) = get(i) else { return partial(i) };
    match b {
        b' ' | b'\t' => return Err(bad_size(i + 1)),
        b'\r' => i += 1,
        b'\n' => {
            return Err(ParseError::new(
                HpeCode::CrExpected,
                "Missing expected CR after chunk size",
                i + 1,
            ));
        }
        b';' => {
            i += 1;
            i = match extensions(buf, i)? {
                Some(i) => i,
                None => return partial(buf.len()),
            };
        }
        _ => return Err(bad_size(i)),
    }
    // chunk_size_almost_done
    match get(i) {
        None => partial(i),
        Some(b'\n') => Ok(Some((i + 1, size))),
        Some(_) => Err(strict("Expected LF after chunk size", i)),
    }
}

/// Chunk extensions after a `;`, through the CR that ends the line; returns
/// the offset after that CR, or `None` when the line is not complete.
fn extensions(buf: &[u8], mut i: usize) -> Result<Option<usize>, ParseError> {
    let get = |i: usize| buf.get(i).copied();
    loop {
        // chunk_extensions
        match get(i) {
            None => return Ok(None),
            Some(b' ' | b'\r') => return Err(strict("Invalid character in chunk extensions", i + 1)),
            Some(_) => {}
        }
        // chunk_extension_name
        loop {
            let Some(b) = get(i) else { return Ok(None) };
            match b {
                _ if TOKEN[b as usize] => i += 1,
                b'=' => {
                    i += 1;
                    break;
                }
                b';' => {
                    i += 1;
                    break;
                }
                b'\r' => return Ok(Some(i + 1)),
                b'\n' => {
                    return Err(ParseError::new(
                        HpeCode::CrExpected,
                        "Missing expected CR after chunk extension name",
                        i,
                    ));
                }
                _ => return Err(strict("Invalid character in chunk extensions name", i + 1)),
            }
        }
        if buf[i - 1] == b';' {
            continue;
        }
        // chunk_extension_value
        loop {
            let Some(b) = get(i) else { return Ok(None) };
            match b {
                b'"' => {
                    i += 1;
                    // chunk_extension_quoted_value
                    loop {
                        let Some(b) = get(i) else { return Ok(None) };
                        match b {
                            b'"' => {
                                i += 1;
                                break;
                            }
                            b'\\' => {
                                i += 1;
                                let Some(q) = get(i) else { return Ok(None) };
                                if !QUOTED_PAIR[q as usize] {
                                    return Err(strict(
                                        "Invalid quoted-pair in chunk extensions quoted value",
                                        i + 1,
                                    ));
                                }
                                i += 1;
                            }
                            _ if QDTEXT[b as usize] => i += 1,
                            _ => {
                                return Err(strict(
                                    "Invalid character in chunk extensions quoted value",
                                    i + 1,
                                ));
                            }
                        }
                    }
                    // chunk_extension_quoted_value_done
                    match get(i) {
                        None => return Ok(None),
                        Some(b';') => {
                            i += 1;
                            break;
                        }
                        Some(b'\r') => return Ok(Some(i + 1)),
                        Some(b'\n') => {
                            return Err(ParseError::new(
                                HpeCode::CrExpected,
                                "Missing expected CR after chunk extension value",
                                i,
                            ));
                        }
                        Some(_) => {
                            return Err(strict("Invalid character in chunk extensions quote value", i));
                        }
                    }
                }
                _ if TOKEN[b as usize] => i += 1,
                b';' => {
                    i += 1;
                    break;
                }
                b'\r' => return Ok(Some(i + 1)),
                b'\n' => {
                    return Err(ParseError::new(
                        HpeCode::CrExpected,
                        "Missing expected CR after chunk extension value",
                        i,
                    ));
                }
                _ => return Err(strict("Invalid character in chunk extensions value", i + 1)),
            }
        }
    }
}
