//! # users-api — the notes' `/api/users` application on rt
//!
//! The notes build it with express, body-parser and `mysql.createPool({
//! connectionLimit: 4 })`; this is the same application on rt-web: the
//! router, Basic auth and sessions kept in Redis for the login route, the JSON body reader (400 for bad JSON, 413 past 16 KiB), a MySQL
//! pool of 4 (`mysql_async`), and the notes' Redis calls behind
//! `/api/books`.
//!
//! | route | answer |
//! | --- | --- |
//! | `GET /api/users[?name=x]` | 200, a JSON array |
//! | `GET /api/users/:id` | 200 the user, 404, 400 for a non-numeric id |
//! | `POST /api/users` `{"username", "email"?}` | 201 the user (+ `Location`), 400 bad JSON / no username, 409 duplicate |
//! | `PUT /api/users/:id` | 200 the user, 404, 400, 409 |
//! | `DELETE /api/users/:id` | 204, 404 |
//! | `POST /api/login` (Basic auth) | 200 and a session cookie (data in Redis), 401 with `WWW-Authenticate` |
//! | `GET /api/me` | 200 the logged-in user, 401 |
//! | `POST /api/logout` | 204, the session removed from Redis |
//! | `GET /api/books` | 200, what `set` / `get` / `hset` / `hkeys` / `hgetall` (TTL 60 s) give |
//!
//! A workspace member rather than `crates/rt-web/examples/`: its MySQL and
//! Redis clients are then compiled for it alone, not for every test build of
//! rt-web.
#![forbid(unsafe_code)]

pub mod db;
pub mod notes_redis;
mod routes;

pub use routes::{AppState, JSON_LIMIT, app};
