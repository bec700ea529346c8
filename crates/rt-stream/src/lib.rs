//! # rt-stream — Node.js's `stream` module, in Rust (in progress)
//!
//! **Status: being built.** Nothing is exported yet.
//!
//! When built, it will hold:
//! - Readable, Writable, Duplex, Transform, PassThrough with Node's backpressure;
//! - pipe, pipeline, finished, bridges to tokio's AsyncRead / AsyncWrite, file streams.
