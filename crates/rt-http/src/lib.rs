//! # rt-http — Node.js's `http` module, in Rust (not ready)
//!
//! **Status: not built yet.** This crate is a placeholder in the rt workspace so
//! that the crate graph, the umbrella `rt` and CI exist from day one. It exports
//! nothing yet; nothing here pretends to work.
//!
//! When built, it will hold:
//! - `create_server`, `Server` (request / connection / close / upgrade / checkContinue,
//!   keep-alive, pipelining, Node's limits and timeouts), `IncomingMessage` (a Readable)
//!   and `ServerResponse` (a Writable);
//! - the client: `request`, `get`, `ClientRequest` and a pooling keep-alive `Agent`;
//! - the notes' web-app helpers: query strings, cookies, Basic auth, body parsers, routing.
//!
//! What exists today: [`parser`], the HTTP/1 parsers (request and response
//! heads, chunked bodies) the server and client will run in place on the
//! transport's buffer, with Node v20's llhttp verdicts (checked against a real
//! `node`), [`Headers`], received headers merged as Node merges them, and
//! [`IncomingMessage`], a received request or response as a readable stream
//! fed by its connection (see [`incoming`] for the feeding protocol).
//!
//! See the workspace README for the module map and build order.

#![forbid(unsafe_code)]

mod date;
pub mod headers;
pub mod incoming;
pub mod outgoing;
pub mod parser;
pub mod request_core;
pub mod response_core;
pub mod status;

pub use headers::{HeaderValue, Headers};
pub use incoming::{BodyState, IncomingMessage, MessageHead, SocketInfo};
pub use outgoing::{Message, OutValue, Outgoing};
pub use request_core::{RequestCore, RequestHeadOptions, RequestHeaders};
pub use response_core::{RequestFacts, ResponseCore};
pub use status::status_text;
