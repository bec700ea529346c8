//! # rt-net — Node.js's `net` module, in Rust (in progress)
//!
//! **Status: being built.** Nothing is exported yet.
//!
//! When built, it will hold:
//! - `Server` and `Socket` (a Duplex) over TCP and Unix sockets, with Node's events,
//!   error codes and options.
