//! The events a `ClientRequest` emits besides the stream's own (`'finish'`,
//! `'close'`, `'error'`), and their payloads.

use std::net::SocketAddr;

use rt_events::Event;
use rt_net::Socket;

use crate::headers::Headers;
use crate::incoming::IncomingMessage;

/// `'response'`: the response's head arrived; the body streams from the
/// [`IncomingMessage`] (Node: `req.on('response', (res) => ..)`).
pub static RESPONSE: Event<IncomingMessage> = Event::new("response");

/// `'socket'`: the request was given a connection (a new one, or a free one
/// from the agent's pool). As in Node (`process.nextTick(onSocketNT)`) it
/// comes on the tick after `http.request()` returned, so a listener added
/// right after the call hears it, before `'response'` and `'close'`; a
/// request destroyed before that tick gets none. A new connection is handed
/// over while it connects (the payload has no remote address yet; Node's
/// `socket.connecting`), so a connection that fails (refused, a failed
/// lookup) emits `'socket'`, then `'error'`, then `'close'`, as Node's.
pub static SOCKET: Event<ClientSocket> = Event::new("socket");

/// `'information'`: an interim `1xx` response other than `101` (a
/// `100 Continue`, `102`, `103 Early Hints`).
pub static INFORMATION: Event<Information> = Event::new("information");

/// `'upgrade'`: the server answered `101 Switching Protocols`; the
/// connection is handed over as an rt-net socket.
pub static UPGRADE: Event<Upgrade> = Event::new("upgrade");

/// `'connect'`: the server answered a `CONNECT` request with a 2xx; the
/// connection is handed over as an rt-net socket.
pub static CONNECT: Event<Upgrade> = Event::new("connect");

/// `'timeout'`: the connection was idle for the request's timeout (Node
/// emits it and leaves the request alone: destroy it in the listener).
pub static TIMEOUT: Event<()> = Event::new("timeout");

/// The connection a request runs on (Node's `req.socket`, as far as a
/// request's user sees it: its addresses and whether it was reused).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientSocket {
    /// This end's address (`socket.localAddress` / `localPort`): what the
    /// server sees as `remotePort`. In the `'socket'` of a new connection
    /// it is known once the TCP connect to an IP address is issued, as
    /// Node's `localPort`; `None` for a name being looked up and a Unix
    /// socket; `req.socket()` has it once connected.
    pub local: Option<SocketAddr>,
    /// The server's address (`socket.remoteAddress` / `remotePort`); `None`
    /// while connecting, as Node's is `undefined`.
    pub remote: Option<SocketAddr>,
    /// A number naming the connection in this process (stable over reuse).
    pub id: u64,
    /// Whether the connection served an earlier request (`req.reusedSocket`).
    pub reused: bool,
}

/// An interim response (Node's `'information'` payload).
#[derive(Debug, Clone)]
pub struct Information {
    /// `statusCode`.
    pub status_code: u16,
    /// `statusMessage`.
    pub status_message: String,
    /// `httpVersion`.
    pub http_version: String,
    /// `headers`, merged as Node merges them.
    pub headers: Headers,
    /// `rawHeaders`.
    pub raw_headers: Vec<String>,
}

/// What `'upgrade'` and `'connect'` hand over: `(response, socket, head)`.
#[derive(Clone)]
pub struct Upgrade {
    /// The `101` (or `CONNECT`'s 2xx) response.
    pub response: IncomingMessage,
    /// The connection, now the caller's.
    pub socket: Socket,
    /// Bytes that arrived after the response head (the new protocol's first bytes).
    pub head: Vec<u8>,
}

impl std::fmt::Debug for Upgrade {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Upgrade")
            .field("status", &self.response.status_code())
            .field("head", &self.head.len())
            .finish()
    }
}
