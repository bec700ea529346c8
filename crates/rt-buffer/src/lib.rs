//! # rt-buffer — Node.js's `buffer` module, in Rust (in progress)
//!
//! **Status: being built.** Nothing is exported yet.
//!
//! When built, it will hold:
//! - `Buffer` with every encoding Node has, byte for byte;
//! - `StringDecoder` and the legacy encodings iconv-lite users know, through encoding_rs.
