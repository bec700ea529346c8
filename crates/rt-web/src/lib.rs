//! # rt-web — the notes' web toolkit on rt-http (being built)
//!
//! **Status: being built.** A crate of its own rather than a module of rt-http, so that a
//! program that only needs `http` does not compile the toolkit's dependencies (a Redis client,
//! a multipart parser, a MySQL client for the example application).
//!
//! | Node / express | rt-web | status |
//! | --- | --- | --- |
//! | `querystring` | [`querystring`] | done (checked against `node`) |
//! | express's `app`, `app.use`, `app.get(path, ...)`, `next` | [`Router`], [`Next`], [`router`] | done |
//! | express's `req` (`req.params`, `req.query`, `req.path`) | [`Request`] | done |
//! | `http-errors` / `next(err)` | [`HttpError`] | done |
//! | the `cookie` npm package (`parse`, `serialize`), `res.cookie`, `req.cookies` | [`cookie`] | done (checked against cookie@0.7.2's answers) |
//!
//! Still to come: sessions with a pluggable store (memory, Redis), Basic
//! authentication, body readers (urlencoded, JSON, multipart streamed to disk) with size
//! limits, and static files.
#![forbid(unsafe_code)]

pub mod cookie;
mod error;
pub mod path_pattern;
pub mod querystring;
mod request;
pub mod router;

pub use error::{HttpError, IntoOutcome};
pub use request::Request;
pub use router::{Next, Router};
