//! # rt-buffer — Node.js's `buffer` and `string_decoder`, in Rust
//!
//! [`Buffer`] is Node's `Buffer`: a fixed-length run of bytes that is cheap
//! to clone and to slice, with every one of Node's encodings ([`Encoding`])
//! producing exactly the bytes and strings Node v20 produces, including for
//! malformed input. [`StringDecoder`] decodes a byte stream chunk by chunk
//! without mangling a character split across chunks.
//!
//! ## Example
//!
//! ```js
//! const buf = Buffer.from('hello world', 'utf8');
//! buf.toString('hex');            // '68656c6c6f20776f726c64'
//! buf.toString('base64');         // 'aGVsbG8gd29ybGQ='
//! buf.readUInt32BE(0);            // 1751477356
//! ```
//!
//! ```
//! use rt_buffer::{Buffer, Encoding};
//! let buf = Buffer::from_str("hello world", Encoding::Utf8);
//! assert_eq!(buf.to_string(Encoding::Hex), "68656c6c6f20776f726c64");
//! assert_eq!(buf.to_string(Encoding::Base64), "aGVsbG8gd29ybGQ=");
//! assert_eq!(buf.read_u32_be(0)?, 1751477356);
//! assert_eq!(format!("{:?}", buf.subarray(0, 5)), "<Buffer 68 65 6c 6c 6f>");
//! # Ok::<(), rt_buffer::Error>(())
//! ```
//!
//! ## Node API -> rt
//!
//! | Node | rt |
//! | --- | --- |
//! | `Buffer.from(string, enc)` | [`Buffer::from_str`], `Buffer::from(&str)` |
//! | `Buffer.from(array / buffer)` | `Buffer::from(Vec<u8> / &[u8] / Bytes)` |
//! | `Buffer.alloc(size)` | [`Buffer::alloc`] |
//! | `Buffer.allocUnsafe(size)` | [`Buffer::alloc_unsafe`] (8 KiB pool, [`POOL_SIZE`]) |
//! | `Buffer.concat(list, total)` | [`Buffer::concat`] |
//! | `Buffer.byteLength(s, enc)` | [`Encoding::byte_length`] |
//! | `Buffer.isEncoding(name)` | [`Encoding::is_encoding`] |
//! | `buf.toString(enc, start, end)` | [`Buffer::to_string`], [`Buffer::to_string_range`] |
//! | `buf.subarray / buf.slice` | [`Buffer::subarray`], [`Buffer::slice`] |
//! | `buf.readUInt32LE(o)` ... `buf.writeDoubleBE(v, o)` | [`Buffer::read_u32_le`] ... [`Buffer::write_f64_be`] |
//! | `buf.readBigUInt64LE(o)` | [`Buffer::read_u64_le`] |
//! | `buf.readUIntLE(o, n)` / `buf.writeIntBE(v, o, n)` | [`Buffer::read_uint_le`], [`Buffer::write_int_be`] |
//! | `util.inspect(buf)` | `Debug` / `Display`: `<Buffer 68 65>` |
//! | `new StringDecoder(enc)` | [`StringDecoder::new`] |
//! | `err.code` | [`Error::code`] |
//!
//! ## Differences from Node
//!
//! | Node | rt | why |
//! | --- | --- | --- |
//! | views share *mutable* memory: a write through one is seen by all | views share memory until written; a write is in place when the handle is the only one on its memory, else copy-on-write: **other views existing at that moment do not see it** | safe Rust cannot give several live handles unsynchronised shared mutation |
//! | `allocUnsafe` returns old memory | zeros (pool zeroed once per 8 KiB) | no `unsafe` |
//! | strings may hold lone surrogates (utf16le decode of half a pair) | U+FFFD | a Rust `String` cannot hold one |
//! | `Buffer.from(s, '')` means utf8 | [`Encoding::from_name`]`("")` is `ERR_UNKNOWN_ENCODING` | as `Buffer.isEncoding('')` |
//! | values are JS numbers, checked at run time | fixed-width values are typed (`u16`, `i32`...); only the 1-6 byte variable widths check the value | the type system rules the rest out |
#![forbid(unsafe_code)]

mod buffer;
mod compare;
mod decoder;
mod encoding;
mod error;
mod fill;
mod json;
mod legacy;
mod numbers;
mod ops;
mod pool;
mod search;
mod swap;
mod write;

pub use buffer::{Buffer, MAX_LENGTH};
pub use decoder::StringDecoder;
pub use encoding::Encoding;
pub use error::{Error, ErrorKind, Result};
pub use fill::Fill;
pub use legacy::{LegacyDecoder, LegacyEncoding};
pub use pool::POOL_SIZE;
pub use search::Needle;
