//! HTTP/1 parsing in place, with the verdicts of Node v20's llhttp (strict
//! mode): request heads ([`parse_request`]), response heads
//! ([`parse_response`]) and chunked bodies ([`ChunkedDecoder`]).
//!
//! The parser works on a byte slice the connection owns (the transport's read
//! buffer) and returns ranges into it, so a server can parse one request
//! without copying or locking, and build an `IncomingMessage` only from what it
//! needs.
//!
//! Like Node, the parser counts only the bytes of the URL, header names and
//! values against `max_header_size`; whitespace and blank lines between
//! messages are not counted, so a server also caps what it buffers.

pub(crate) mod chars;
mod chunked;
mod cursor;
mod error;
mod fields;
mod method;
mod request;
mod response;

pub use chunked::{ChunkEvent, ChunkedDecoder, MAX_CHUNK_EXTENSIONS};
pub use cursor::Parsed;
pub use error::{HpeCode, ParseError};
pub(crate) use fields::give_header_list;
pub use fields::{Fields, RawHeader};
pub use request::{BodyKind, DEFAULT_MAX_HEADER_SIZE, RequestHead, parse_request};
pub use response::{ResponseBody, ResponseHead, parse_response};
