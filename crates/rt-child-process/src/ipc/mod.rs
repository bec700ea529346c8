//! Node's IPC channel: JSON lines over a Unix socketpair, both ways.
//!
//! - [`Channel`]: one end of a channel, the parent's (in a
//!   [`ChildProcess`](crate::ChildProcess)) or the child's ([`from_env`]):
//!   `send`, `'message'` / `recv`, `disconnect`, `'disconnect'`.
//! - [`from_env`]: what a forked rt program calls to find its channel
//!   (Node does this before user code runs and exposes it as `process.send`).

mod channel;
mod child_side;
mod framing;
mod raw;
mod sock;

pub use channel::{
    BACKPRESSURE_BYTES, Channel, InternalMessage, MAX_QUEUE_BYTES, ReceivedHandle, SendHandle,
};
pub(crate) use child_side::claimed;
pub use child_side::from_env;
pub use framing::is_internal;
pub use raw::RawHandle;
