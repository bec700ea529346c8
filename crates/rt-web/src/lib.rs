//! # rt-web — the notes' web toolkit on rt-http (being built)
//!
//! **Status: being built.** A crate of its own rather than a module of rt-http, so that a
//! program that only needs `http` does not compile the toolkit's dependencies (a Redis client,
//! a multipart parser, a MySQL client for the example application).
//!
//! | Node / express | rt-web | status |
//! | --- | --- | --- |
//! | `querystring` | [`querystring`] | done (checked against `node`) |
//!
//! Still to come: cookies, sessions with a pluggable store (memory, Redis), Basic
//! authentication, body readers (urlencoded, JSON, multipart streamed to disk) with size
//! limits, a router with middleware, and static files.
#![forbid(unsafe_code)]

pub mod querystring;
