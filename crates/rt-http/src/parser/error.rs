//! The parser's errors: llhttp's `HPE_*` codes, as Node reports them on
//! `clientError` (`err.code`, `err.reason`, `err.bytesParsed`).

use std::fmt;

/// An llhttp error code, printed as Node prints it (`HPE_INVALID_METHOD`...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum HpeCode {
    /// `HPE_STRICT`: a strictness rule (a CR not followed by LF...).
    Strict,
    /// `HPE_CR_EXPECTED`: a bare LF where CRLF is required.
    CrExpected,
    /// `HPE_LF_EXPECTED`: a CR not followed by LF after a header value.
    LfExpected,
    /// `HPE_UNEXPECTED_CONTENT_LENGTH`: a second Content-Length header.
    UnexpectedContentLength,
    /// `HPE_UNEXPECTED_SPACE`: whitespace at the start of the header block.
    UnexpectedSpace,
    /// `HPE_INVALID_METHOD`: an unknown method or no space after it.
    InvalidMethod,
    /// `HPE_INVALID_URL`: a byte the URL may not hold.
    InvalidUrl,
    /// `HPE_INVALID_CONSTANT`: an unknown protocol, or a method the protocol lacks.
    InvalidConstant,
    /// `HPE_INVALID_VERSION`: a version other than 0.9, 1.0, 1.1 or 2.0, or junk after it.
    InvalidVersion,
    /// `HPE_INVALID_HEADER_TOKEN`: a byte a header name or value may not hold, or obs-fold.
    InvalidHeaderToken,
    /// `HPE_INVALID_CONTENT_LENGTH`: a malformed Content-Length, or one beside Transfer-Encoding.
    InvalidContentLength,
    /// `HPE_INVALID_STATUS`: a status code that is not three digits.
    InvalidStatus,
    /// `HPE_INVALID_CHUNK_SIZE`: a malformed chunk size line.
    InvalidChunkSize,
    /// `HPE_INVALID_TRANSFER_ENCODING`: `chunked` not last, or beside Content-Length.
    InvalidTransferEncoding,
    /// `HPE_PAUSED_H2_UPGRADE`: the HTTP/2 connection preface (`PRI * HTTP/2.0`).
    PausedH2Upgrade,
    /// `HPE_HEADER_OVERFLOW`: the head is larger than `max_header_size` (Node answers 431).
    HeaderOverflow,
    /// `HPE_CLOSED_CONNECTION`: data after a message that closed the connection.
    ClosedConnection,
    /// `HPE_CHUNK_EXTENSIONS_OVERFLOW`: chunk extensions larger than Node allows (413).
    ChunkExtensionsOverflow,
}

impl HpeCode {
    /// Node's name for the code.
    pub fn as_str(self) -> &'static str {
        match self {
            HpeCode::Strict => "HPE_STRICT",
            HpeCode::CrExpected => "HPE_CR_EXPECTED",
            HpeCode::LfExpected => "HPE_LF_EXPECTED",
            HpeCode::UnexpectedContentLength => "HPE_UNEXPECTED_CONTENT_LENGTH",
            HpeCode::UnexpectedSpace => "HPE_UNEXPECTED_SPACE",
            HpeCode::InvalidMethod => "HPE_INVALID_METHOD",
            HpeCode::InvalidUrl => "HPE_INVALID_URL",
            HpeCode::InvalidConstant => "HPE_INVALID_CONSTANT",
            HpeCode::InvalidVersion => "HPE_INVALID_VERSION",
            HpeCode::InvalidHeaderToken => "HPE_INVALID_HEADER_TOKEN",
            HpeCode::InvalidContentLength => "HPE_INVALID_CONTENT_LENGTH",
            HpeCode::InvalidStatus => "HPE_INVALID_STATUS",
            HpeCode::InvalidChunkSize => "HPE_INVALID_CHUNK_SIZE",
            HpeCode::InvalidTransferEncoding => "HPE_INVALID_TRANSFER_ENCODING",
            HpeCode::PausedH2Upgrade => "HPE_PAUSED_H2_UPGRADE",
            HpeCode::HeaderOverflow => "HPE_HEADER_OVERFLOW",
            HpeCode::ChunkExtensionsOverflow => "HPE_CHUNK_EXTENSIONS_OVERFLOW",
            HpeCode::ClosedConnection => "HPE_CLOSED_CONNECTION",
        }
    }
}

impl fmt::Display for HpeCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A parse error: the code, llhttp's reason text, and how many bytes of the
/// input were parsed before it (Node's `bytesParsed`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// The `HPE_*` code.
    pub code: HpeCode,
    /// llhttp's reason (Node's message is `Parse Error: {reason}`).
    pub reason: &'static str,
    /// Offset of the error in the input (Node's `bytesParsed`).
    pub at: usize,
}

impl ParseError {
    pub(crate) fn new(code: HpeCode, reason: &'static str, at: usize) -> ParseError {
        ParseError { code, reason, at }
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Parse Error: {}", self.reason)
    }
}

impl std::error::Error for ParseError {}
