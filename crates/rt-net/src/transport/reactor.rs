//! [`register`]: an fd of the caller's own on the current tokio reactor,
//! for the interest it needs only.

use std::io;
use std::os::fd::OwnedFd;

use tokio::io::Interest;
use tokio::io::unix::AsyncFd;

/// Registers `fd` with the current tokio reactor for `interest` only (as
/// libuv's `uv__io_start` watches an fd for the events it waits for): a
/// pipe or socket read from is not woken by the kernel's "room to write"
/// edge, a listening socket is registered for accepts only. rt-child-process
/// registers its pipes and IPC socket this way, rt-cluster its round-robin
/// listening socket. Must run inside a tokio runtime.
///
/// `AsyncFd::with_interest` is deprecated as unsound for fd holders that
/// may close or swap their fd while registered (tokio#8587); its
/// replacement only moves that promise to an `unsafe` call, which rt
/// forbids. The promise holds for an `OwnedFd` given to the `AsyncFd`: the
/// fd stays open and the same until the `AsyncFd` is dropped (which
/// deregisters it first).
#[doc(alias = "uv__io_start")]
#[allow(deprecated)]
pub fn register(fd: OwnedFd, interest: Interest) -> io::Result<AsyncFd<OwnedFd>> {
    AsyncFd::with_interest(fd, interest)
}
