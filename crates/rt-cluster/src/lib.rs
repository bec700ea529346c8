//! # rt-cluster — Node.js's `cluster` module, in Rust (not ready)
//!
//! **Status: not built yet.** This crate is a placeholder in the rt workspace so
//! that the crate graph, the umbrella `rt` and CI exist from day one. It exports
//! nothing yet; nothing here pretends to work.
//!
//! When built, it will hold:
//! - a primary that forks workers sharing one listening port (round-robin or shared handle),
//!   speaking Node's cluster protocol so rt and Node processes mix;
//! - Worker objects and their events, crash restart with limits, graceful and rolling restarts.
//!
//! See the workspace README for the module map and build order.
#![forbid(unsafe_code)]
