//! HTTP/1 parsing in place, with the verdicts of Node v20's llhttp (strict
//! mode): the request head ([`parse_request`]) and chunked bodies
//! ([`ChunkedDecoder`]).
//!
//! The parser works on a byte slice the connection owns (the transport's read
//! buffer) and returns ranges into it, so a server can parse one request
//! without copying or locking, and build an `IncomingMessage` only from what it
//! needs.

mod chars;
mod chunked;
mod error;
mod head;
mod method;

pub use chunked::{ChunkEvent, ChunkedDecoder, MAX_CHUNK_EXTENSIONS};
pub use error::{HpeCode, ParseError};
pub use head::{BodyKind, DEFAULT_MAX_HEADER_SIZE, Parsed, RawHeader, RequestHead, parse_request};
