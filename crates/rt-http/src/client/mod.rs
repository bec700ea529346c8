//! The HTTP client: Node's `http.request` / `http.get`, [`ClientRequest`]
//! (a writable stream of the request body) and [`Agent`] (keep-alive
//! connection pooling). The response is an
//! [`IncomingMessage`](crate::IncomingMessage), the same readable stream a
//! server receives requests as.
//!
//! ```js
//! http.get('http://localhost:8080/', (res) => {
//!   res.setEncoding('utf8');
//!   let body = '';
//!   res.on('data', (c) => { body += c; });
//!   res.on('end', () => console.log(res.statusCode, body));
//! }).on('error', (e) => console.error(e.code));
//! ```
//!
//! ```no_run
//! # async fn demo() -> Result<(), rt_stream::Error> {
//! let req = rt_http::get("http://localhost:8080/")?;
//! let res = req.response().await?;
//! let body = res.read_all().await?;
//! println!("{} {}", res.status_code(), body.len());
//! # Ok(()) }
//! ```
//!
//! One task per connection owns the socket: it writes what the request's
//! stream hands it (a request given a free connection from the pool is
//! written by its own `'socket'` tick instead, as Node's `onSocketNT`
//! flushes it: see `early_write`) and parses the response in place from the transport's
//! buffer (`parse_response`, `ChunkedDecoder`), pushing the body into the
//! response with backpressure. Between requests a keep-alive connection
//! waits in its agent's pool and watches its socket, so one the server
//! closed leaves the pool before any request can be given to it.

mod agent;
mod agent_name;
mod conn;
mod connector;
mod create;
mod early_write;
pub mod events;
mod job;
mod options;
mod request;
mod socket_gate;

pub use agent::{Agent, AgentOptions, Scheduling};
pub use connector::{CreateConnection, Lookup};
pub use create::{get, request, request_with};
pub use events::{ClientSocket, Information, Upgrade};
pub use options::{AgentChoice, RequestInput, RequestOptions};
pub use request::ClientRequest;
