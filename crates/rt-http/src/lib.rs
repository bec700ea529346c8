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
//! What exists today: [`parser`], the HTTP/1 request-head parser and chunked
//! decoder the server will run in place on the transport's buffer, with Node
//! v20's llhttp verdicts (checked against a real `node` server).
//!
//! See the workspace README for the module map and build order.

#![forbid(unsafe_code)]

pub mod parser;
