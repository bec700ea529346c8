//! The transport under a socket: what a parser or a hand-off needs without
//! the stream machinery.
//!
//! - [`IdleTimer`]: one resettable idle timer per connection (Node's
//!   `socket.setTimeout`), re-armed with an atomic store, never a task per call.

mod timer;

pub use timer::IdleTimer;
