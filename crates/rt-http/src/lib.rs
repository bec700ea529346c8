//! # rt-http — Node.js's `http` module, in Rust (in progress)
//!
//! ## The server
//!
//! [`create_server`] / [`Server`]: Node's `http.createServer((req, res) => ..)`
//! with a sync or async handler (or [`server::REQUEST`] listeners), one tokio
//! task per connection parsing in place on rt-net's transport: keep-alive,
//! HTTP/1.0, pipelining (responses in request order), Content-Length and
//! chunked bodies with trailers, HEAD, 204/304, `Expect: 100-continue`
//! (automatic unless [`server::CHECK_CONTINUE`] is listened to) and 417,
//! Node's canned 400 / 408 / 413 / 431 answers or [`server::CLIENT_ERROR`],
//! [`server::UPGRADE`] / [`server::CONNECT`] handing over the socket and the
//! bytes read after the head, and Node's limits and timeouts
//! ([`ServerOptions`]). Its raw responses are compared byte for byte with a
//! Node v20 server's (tests/server_diff_node.rs).
//!
//! | Node | rt |
//! | --- | --- |
//! | `http.createServer([options][, handler])` | [`create_server`], [`Server::new`], [`Server::with_options`] |
//! | `server.listen(...)`, `server.address()` | [`Server::listen`], [`Server::listen_handle`], [`Server::address`] |
//! | `server.close()`, `closeAllConnections()`, `closeIdleConnections()` | [`Server::close`] + [`Server::closed`], [`Server::close_all_connections`], [`Server::close_idle_connections`] |
//! | `'request'`, `'checkContinue'`, `'checkExpectation'`, `'upgrade'`, `'connect'`, `'clientError'`, `'dropRequest'` | [`server::REQUEST`], [`server::CHECK_CONTINUE`], [`server::CHECK_EXPECTATION`], [`server::UPGRADE`], [`server::CONNECT`], [`server::CLIENT_ERROR`], [`server::DROP_REQUEST`] |
//! | `http.IncomingMessage` | [`IncomingMessage`] (a readable stream) |
//! | `http.ServerResponse` | [`ServerResponse`] (a writable stream) |
//! | `http.request(url \| options)`, `http.get(...)` | [`request`], [`request_with`], [`get`] ([`RequestOptions`]) |
//! | `http.ClientRequest`, `req.on('response' / 'socket' / 'information' / 'upgrade' / 'connect' / 'timeout')` | [`ClientRequest`], [`ClientRequest::response`], [`client::events`] |
//! | `new http.Agent(options)`, `http.globalAgent` | [`Agent`], [`AgentOptions`], [`Agent::global`] |
//!
//! ## The rest
//!
//! [`parser`], the HTTP/1 parsers (request and response heads, chunked
//! bodies) with Node v20's llhttp verdicts (checked against a real `node`);
//! [`Headers`], received headers merged as Node merges them;
//! [`IncomingMessage`], a received request or response as a readable stream
//! fed by its connection (see [`incoming`] for the feeding protocol); it is
//! also the client's response.
//!
//! See the workspace README for the module map and build order.

#![forbid(unsafe_code)]

pub mod client;
mod conn_addrs;
mod conn_shared;
mod connection;
mod date;
pub mod headers;
pub mod incoming;
mod message_timeout;
pub mod outgoing;
pub mod parser;
mod read_buffer;
pub mod request_core;
pub mod response;
pub mod response_core;
pub mod server;
mod server_connection;
mod server_events;
mod server_inner;
mod server_options;
pub mod status;

pub use client::{
    Agent, AgentOptions, ClientRequest, RequestOptions, Scheduling, get, request, request_with,
};
pub use conn_addrs::SocketInfo;
pub use headers::{HeaderValue, Headers};
pub use incoming::{BodyState, IncomingMessage, MessageHead};
pub use message_timeout::MESSAGE_TIMEOUT;
pub use outgoing::{Message, OutValue, Outgoing};
pub use request_core::{RequestCore, RequestHeadOptions, RequestHeaders};
pub use response::ServerResponse;
pub use response_core::{RequestFacts, ResponseCore};
pub use server::{
    ClientError, Exchange, IntoHandler, Server, ServerConnection, ServerOptions, Upgrade, create_server,
};
pub use status::status_text;
