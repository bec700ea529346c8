//! The child's end: a program started by `fork` (Node's or ours) finds its
//! channel from `NODE_CHANNEL_FD` (Node: what the child's bootstrap does
//! before user code, giving `process.send` and `process.on('message')`).

use std::os::fd::OwnedFd;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};

use rt_events::EventEmitter;
use rt_stream::Error;

use super::Channel;
use crate::channel_env::{CHANNEL_FD, SERIALIZATION_MODE};

static CLAIMED: AtomicBool = AtomicBool::new(false);

/// Whether this process claimed a channel from its environment.
pub(crate) fn claimed() -> bool {
    CLAIMED.load(Ordering::Relaxed)
}

/// This process's channel to the parent that forked it (Node: the child's
/// `process.send`, `process.on('message')`, `process.disconnect()`,
/// `process.connected`), or `None` when it was not started with one.
/// Call it once, inside a tokio runtime; later calls return the same channel.
///
/// The fd named by `NODE_CHANNEL_FD` is taken over (moved to a
/// close-on-exec copy, the inherited fd closed, so programs this process
/// starts do not hold the channel), and children this process spawns do not
/// inherit the two `NODE_CHANNEL_*` variables. Only the json serialization
/// is spoken; `advanced` is refused.
///
/// The channel's emitter is its own (`channel.on(&MESSAGE, ..)`), standing
/// for Node's `process`. When the parent goes away, `'disconnect'` comes
/// and [`recv`](Channel::recv) returns `None`.
#[doc(alias = "process.send")]
#[doc(alias = "NODE_CHANNEL_FD")]
pub fn from_env() -> Result<Option<Channel>, Error> {
    static CHANNEL: OnceLock<Channel> = OnceLock::new();
    if let Some(c) = CHANNEL.get() {
        return Ok(Some(c.clone()));
    }
    let Ok(fd) = std::env::var(CHANNEL_FD) else {
        return Ok(None);
    };
    let fd: i32 = fd
        .trim()
        .parse()
        .map_err(|_| Error::invalid_arg_value(CHANNEL_FD, &format!("'{fd}'")))?;
    if let Ok(mode) = std::env::var(SERIALIZATION_MODE) {
        if mode != "json" {
            return Err(Error::invalid_arg_value(
                SERIALIZATION_MODE,
                &format!("'{mode}' (only 'json' is spoken)"),
            ));
        }
    }
    let owned = claim(fd)?;
    let channel = Channel::open(owned, EventEmitter::with_type_name("process"))?;
    CLAIMED.store(true, Ordering::Relaxed);
    Ok(Some(CHANNEL.get_or_init(|| channel).clone()))
}

/// A close-on-exec copy of this process's fd `fd`, taken without `unsafe`:
/// `pidfd_getfd` on our own pidfd (Linux 5.6+).
fn claim(fd: i32) -> Result<OwnedFd, Error> {
    use rustix::process::{PidfdFlags, PidfdGetfdFlags, getpid, pidfd_getfd, pidfd_open};
    let sys = |e: rustix::io::Errno| Error::syscall_failed(&std::io::Error::from(e), "pidfd_getfd");
    let me = pidfd_open(getpid(), PidfdFlags::empty()).map_err(sys)?;
    let owned = pidfd_getfd(&me, fd, PidfdGetfdFlags::empty()).map_err(sys)?;
    // The inherited fd is not close-on-exec: left open, every program this
    // one starts would hold the channel, and the parent would not see it
    // close when this process exits (Node's child does not leak it).
    // Nothing else in this process owns it: `NODE_CHANNEL_FD` gave it to us.
    let _ = nix::unistd::close(fd);
    Ok(owned)
}
