//! The rt test kit: what every crate's tests and benchmarks share.
//!
//! - [`node`]: find the machine's `node` (Node is the oracle), skip with a
//!   printed notice when it is missing, fail instead under `RT_REQUIRE_NODE=1`,
//!   and run small Node scripts with input on stdin.
//! - [`rng`]: a small seeded generator for differential tests (same seed, same
//!   inputs, on every machine).
//! - [`bench`](mod@bench): timing loops and the `BENCH {...}` line format that
//!   `cargo xtask bench` reads from a Rust benchmark and from its Node twin
//!   (`tests/node/bench.js` is the Node side of the same format).
//!
//! The crate's own `tests/` folder holds the cross-crate integration tests.

pub mod bench;
pub mod node;
pub mod rng;
