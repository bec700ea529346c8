//! # rt-child-process — Node.js's `child_process` module, in Rust (not ready)
//!
//! **Status: not built yet.** This crate is a placeholder in the rt workspace so
//! that the crate graph, the umbrella `rt` and CI exist from day one. It exports
//! nothing yet; nothing here pretends to work.
//!
//! When built, it will hold:
//! - `spawn` with cwd / env / stdio / detached / shell, the child's stdio as rt streams,
//!   `kill`, and the events spawn / exit / close / error;
//! - `exec` / `execFile` with timeout, killSignal and maxBuffer, and the sync variants;
//! - `fork` with an IPC channel speaking Node's own wire format (JSON lines, handle passing).
//!
//! See the workspace README for the module map and build order.
#![forbid(unsafe_code)]
