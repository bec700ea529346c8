//! The write of a request on a free connection from the agent's pool, done
//! on the request's `'socket'` tick, as Node's `onSocketNT` emits
//! `'socket'` and then flushes the request (`req._flush()`) on the socket
//! it was given. The connection's task is not woken to write it: on a
//! 1-in-flight keep-alive exchange the request leaves on the tick that
//! follows the code that made it, and the task takes over (reads the
//! response, writes whatever else the body brings) afterwards.
//!
//! The connection may find its socket closed by the server when it takes
//! the request from the pool: if the tick has not written yet, the request
//! is withdrawn from that socket (the tick then tells and writes nothing,
//! and the request goes to another connection, as before); if it has, the
//! request stays on it and fails as Node's does on a socket closed under
//! it ("socket hang up").

use std::io::{self, ErrorKind};
use std::sync::Weak;

use rt_net::transport::Io;

/// Where a request stands with its pooled socket's early write.
#[derive(Default)]
pub(crate) enum Early {
    /// Not given a free connection's socket by the pool.
    #[default]
    None,
    /// Given one: the `'socket'` tick writes on it.
    Ready(Weak<Io>),
    /// The tick took it: it wrote what was queued, `end` when that was the
    /// request's last piece; `err` a write error for the connection to report.
    Written { end: bool, err: Option<io::Error> },
    /// The connection found the socket unusable before the tick: the tick
    /// tells nothing and writes nothing; the request goes elsewhere.
    Withdrawn,
}

/// Writes as much of `bytes` as the socket takes now: the count written,
/// and the error that stopped it (a full socket buffer is no error).
pub(crate) fn write_now(io: &Io, bytes: &[u8]) -> (usize, Option<io::Error>) {
    let mut at = 0;
    while at < bytes.len() {
        match io.try_write(&bytes[at..]) {
            Ok(0) => return (at, Some(ErrorKind::WriteZero.into())),
            Ok(n) => at += n,
            Err(e) if e.kind() == ErrorKind::WouldBlock => break,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return (at, Some(e)),
        }
    }
    (at, None)
}
