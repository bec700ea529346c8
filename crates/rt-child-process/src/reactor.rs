//! Fds of this crate's own (a pipe, a socketpair end) on the current
//! tokio reactor, registered for the interest they need only.

use std::io;
use std::os::fd::OwnedFd;

use tokio::io::Interest;
use tokio::io::unix::AsyncFd;

/// Registers `fd` with the current reactor for `interest` only.
///
/// `AsyncFd::with_interest` is deprecated as unsound for fd holders that
/// may close or swap their fd while registered (tokio#8587); its
/// replacement only moves that promise to an `unsafe` call, which this
/// crate forbids. The promise holds for an `OwnedFd` given to the `AsyncFd`:
/// the fd stays open and the same until the `AsyncFd` is dropped (which
/// deregisters it first).
#[allow(deprecated)]
pub(crate) fn register(fd: OwnedFd, interest: Interest) -> io::Result<AsyncFd<OwnedFd>> {
    AsyncFd::with_interest(fd, interest)
}
