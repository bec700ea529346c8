//! # rt-events — Node.js's `events` module, in Rust (in progress)
//!
//! **Status: being built.** Nothing is exported yet.
//!
//! When built, it will hold:
//! - `EventEmitter` with Node v20's semantics and typed `Event<T>` keys;
//! - `once(emitter, event)` as a future and `on(emitter, event)` as an async stream.
