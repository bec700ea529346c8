//! A server connection's addresses, asked of the OS only when someone
//! wants them (Node's `socket.remoteAddress` reads `getpeername` lazily
//! too): a connection nobody asks costs no `getsockname` / `getpeername`.
//! A leaf: the connection's link holds it, messages and the connection's
//! handle ask it; [`SocketInfo`], the pair of addresses, lives here too.

use std::net::SocketAddr;
use std::sync::{OnceLock, Weak};

use rt_net::transport::Io;

/// The addresses of the connection a message arrived on (Node:
/// `message.socket.remoteAddress`...).
#[doc(alias = "socket.remoteAddress")]
#[doc(alias = "socket.localAddress")]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SocketInfo {
    /// The peer's address.
    pub remote: Option<SocketAddr>,
    /// Our end's address.
    pub local: Option<SocketAddr>,
}

/// The addresses of one connection: read from its socket on the first
/// ask, kept from then on (also after the connection closed). Never asked
/// before the connection closed: none, as Node's `remoteAddress` is then
/// `undefined`.
pub(crate) struct ConnAddrs {
    io: Weak<Io>,
    known: OnceLock<SocketInfo>,
}

impl ConnAddrs {
    /// For the socket `io` points at (the connection's transport owns it).
    pub(crate) fn new(io: Weak<Io>) -> ConnAddrs {
        ConnAddrs {
            io,
            known: OnceLock::new(),
        }
    }

    /// The addresses, asked of the socket the first time.
    pub(crate) fn get(&self) -> SocketInfo {
        if let Some(known) = self.known.get() {
            return *known;
        }
        match self.io.upgrade() {
            Some(io) => *self.known.get_or_init(|| SocketInfo {
                remote: io.peer_addr(),
                local: io.local_addr(),
            }),
            None => SocketInfo::default(),
        }
    }
}
