//! The rt test kit: what every crate's tests and benchmarks share.
//!
//! - [`node`]: find the machine's `node` (Node is the oracle), skip with a
//!   printed notice when it is missing, fail instead under `RT_REQUIRE_NODE=1`,
//!   and run small Node scripts with input on stdin; the Node runners of
//!   differential tests share one case loop (`tests/node/cases.js`, through
//!   [`node::Node::run_cases`]).
//! - [`skip`]: visible skips (counted by `cargo xtask ci`) that fail instead
//!   when a requirement variable (`RT_REQUIRE_NODE`, `RT_REQUIRE_SERVICES`) is
//!   truthy.
//! - [`redis`](mod@redis): a real `redis-server` on a loopback port with its own temp data
//!   dir, skipped with a notice when missing (a failure under `RT_REQUIRE_SERVICES=1`).
//! - [`wait`]: bounded waits that fail saying what did not happen.
//! - [`temp`]: temporary folders removed on drop.
//! - [`mariadb`]: a real MariaDB server per test (own port, own data folder).
//! - [`diff`]: the end of a differential test (none of N cases differ, N printed).
//! - [`rng`]: a small seeded generator for differential tests (same seed, same
//!   inputs, on every machine).
//! - [`bench`](mod@bench): timing loops and the `BENCH {...}` line format that
//!   `cargo xtask bench` reads from a Rust benchmark and from its Node twin
//!   (`tests/node/bench.js` is the Node side of the same format), and the
//!   harness for servers under load (a server process, `wrk`, its CPU and
//!   memory from `/proc`).
//!
//! The crate's own `tests/` folder holds the cross-crate integration tests.
#![forbid(unsafe_code)]

pub mod bench;
pub mod diff;
pub mod mariadb;
pub mod node;
pub mod redis;
pub mod rng;
pub mod skip;
pub mod temp;
pub mod wait;
