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
//! | express-session (`session()`, `req.session`, `MemoryStore`), connect-redis | [`session`], [`session_store`], [`session_redis`] | done |
//! | cookie-signature (`sign`, `unsign`) | [`signature`] | done (checked against Node's crypto) |
//! | basic-auth, express-basic-auth | [`basic_auth`] | done |
//! | the `cookie` npm package (`parse`, `serialize`), `res.cookie`, `req.cookies` | [`cookie`] | done (checked against cookie@0.7.2's answers) |
//!
//! ## Body readers and static files
//!
//! | Node (npm) | rt-web | status |
//! | --- | --- | --- |
//! | `bodyParser.json()` / `express.json()` | [`json::read_json`] | done |
//! | `bodyParser.urlencoded({ extended: false })` / `express.urlencoded` | [`urlencoded::read_urlencoded`] | done |
//! | `multer({ dest, limits })` (disk storage) | [`multipart::read_multipart`] | done |
//! | `raw-body` (`getRawBody(req, { limit })`) | [`raw_body::read_limited`] | done |
//! | body-parser's errors (`err.status`, `err.type`) | [`body_error::BodyError`] | done |
//! | `content-type` / `type-is` | [`content_type::ContentType`] | done |
//! | `express.static` / `serve-static` / `send` | [`static_files::ServeStatic`] | done |
//! | `range-parser` | [`range::parse_range`] | done |
//! | `mime.lookup` (send's table, common types) | [`mime_types::content_type_for`] | done |
//!
//! The body readers follow Node's `body-parser`, not the notes: a body past
//! its limit is answered **413 Payload Too Large** (the notes' examples
//! answer 400), a malformed body 400 with a message saying what is wrong, an
//! unsupported charset or `Content-Encoding` 415; `gzip` / `deflate` bodies are
//! inflated (the limit counts inflated bytes) and JSON may come in UTF-16. Reading stops at the first
//! byte past a limit (a declared `Content-Length` past it is refused before
//! reading), and the 413 closes the connection so the rest is never read.
#![forbid(unsafe_code)]

pub mod basic_auth;
pub mod body_error;
pub mod charset;
pub mod content_type;
pub mod cookie;
mod error;
pub mod inflate;
pub mod json;
pub mod mime_types;
pub mod multipart;
pub mod path_pattern;
pub mod querystring;
pub mod range;
pub mod raw_body;
mod request;
pub mod router;
pub mod session;
pub mod session_redis;
pub mod session_store;
pub mod signature;
pub mod static_files;
pub mod static_path;
pub mod upload_file;
pub mod urlencoded;

pub use error::{HttpError, IntoOutcome};
pub use request::Request;
pub use router::{Next, Router};
