//! The http server's events and their payloads (`'request'`, `'upgrade'`,
//! `'clientError'`...), shared by the server and its connection tasks.

use rt_events::Event;
use rt_net::Socket;
use rt_stream::{Buffer, Error};

use crate::incoming::IncomingMessage;
use crate::response::ServerResponse;

/// `'request'`: a request and its response (Node: `server.on('request', (req, res) => ..)`).
pub static REQUEST: Event<Exchange> = Event::new("request");
/// `'checkContinue'`: a request with `Expect: 100-continue`; the listener
/// decides (`res.write_continue()` or a final status).
pub static CHECK_CONTINUE: Event<Exchange> = Event::new("checkContinue");
/// `'checkExpectation'`: a request with another `Expect` value (without a
/// listener Node answers 417).
pub static CHECK_EXPECTATION: Event<Exchange> = Event::new("checkExpectation");
/// `'dropRequest'`: a request past `max_requests_per_socket` (answered 503).
pub static DROP_REQUEST: Event<IncomingMessage> = Event::new("dropRequest");
/// `'upgrade'`: a request with `Connection: upgrade`; the socket and the
/// bytes read after the head are the listener's.
pub static UPGRADE: Event<Upgrade> = Event::new("upgrade");
/// `'connect'`: a `CONNECT` request; the socket and the bytes read after
/// the head are the listener's.
pub static CONNECT: Event<Upgrade> = Event::new("connect");
/// `'clientError'`: the parser refused the bytes (or a timeout hit); the
/// socket is the listener's (Node's default: a canned 400 / 408 / 413 / 431,
/// then close).
pub static CLIENT_ERROR: Event<ClientError> = Event::new("clientError");

/// A request and its response (the payload of `'request'`).
#[derive(Debug, Clone)]
pub struct Exchange {
    /// The request.
    pub req: IncomingMessage,
    /// The response to write.
    pub res: ServerResponse,
}

/// The payload of `'upgrade'` and `'connect'`: `(req, socket, head)`.
#[derive(Debug, Clone)]
pub struct Upgrade {
    /// The request.
    pub req: IncomingMessage,
    /// The connection, now the listener's.
    pub socket: Socket,
    /// Bytes read after the request's head (Node's `head`).
    pub head: Buffer,
}

/// The payload of `'clientError'`: `(err, socket)`.
#[derive(Debug, Clone)]
pub struct ClientError {
    /// `HPE_*` (with `bytes_parsed` in the message's place: see
    /// [`ClientError::bytes_parsed`]) or `ERR_HTTP_REQUEST_TIMEOUT`.
    pub error: Error,
    /// Node's `err.bytesParsed`.
    pub bytes_parsed: usize,
    /// Node's `err.rawPacket`: the bytes being parsed.
    pub raw_packet: Buffer,
    /// The connection, now the listener's.
    pub socket: Socket,
}
