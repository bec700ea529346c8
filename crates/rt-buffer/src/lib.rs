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
//! | `Buffer.from(string, enc)` | [`Buffer::from_str`], `Buffer::from(&str / String)`; by name: [`Buffer::from_str_named`] |
//! | `Buffer.from(jsString, enc)` with lone surrogates | [`Buffer::from_utf16`], [`Encoding::encode_utf16`] |
//! | `Buffer.from(array)` | [`Buffer::from_array`], [`Buffer::from_numbers`] (`& 0xFF`) |
//! | `Buffer.from(buffer / arrayBuffer)` | `Buffer::from(Vec<u8> / &[u8] / Bytes / BytesMut / &Buffer)` |
//! | `Buffer.from({type: 'Buffer', data})` | [`Buffer::from_json`] |
//! | `Buffer.alloc(size, fill, enc)` | [`Buffer::alloc`], [`Buffer::alloc_fill`] |
//! | `Buffer.allocUnsafe(size)` / `allocUnsafeSlow` | [`Buffer::alloc_unsafe`] (8 KiB pool, [`POOL_SIZE`]), [`Buffer::alloc_unsafe_slow`] |
//! | `Buffer.concat(list, total)` | [`Buffer::concat`] |
//! | `Buffer.byteLength(s, enc)` | [`Encoding::byte_length`]; by name: [`Buffer::byte_length`] |
//! | `Buffer.isEncoding(name)` | [`Encoding::is_encoding`], [`Encoding::from_name`] |
//! | `Buffer.compare(a, b)` / `buf.compare(t, ...)` | [`Buffer::compare`], [`Buffer::compare_range`], `Ord` |
//! | `buf.equals(other)` | [`Buffer::equals`], `==` |
//! | `buf.length` | [`Buffer::len`] |
//! | `buf.toString(enc, start, end)` | [`Buffer::to_string`], [`Buffer::to_string_range`]; lossless UTF-16: [`Buffer::to_utf16`], [`Buffer::to_utf16_range`] |
//! | `buf.subarray / buf.slice` | [`Buffer::subarray`], [`Buffer::slice`] (O(1), shared) |
//! | `buf.copy(target, ts, ss, se)` | [`Buffer::copy`], [`Buffer::copy_within`] |
//! | `buf.fill(value, offset, end, enc)` | [`Buffer::fill`], [`Buffer::fill_with`] ([`Fill`]) |
//! | `buf.indexOf / lastIndexOf / includes` | [`Buffer::index_of`], [`Buffer::index_of_from`], [`Buffer::last_index_of`], [`Buffer::last_index_of_from`], [`Buffer::includes`], [`Buffer::includes_from`] ([`Needle`]); by name: [`Buffer::index_of_named`], [`Buffer::last_index_of_named`], [`Buffer::includes_named`] |
//! | `buf.write(string, offset, length, enc)` | [`Buffer::write`] |
//! | `buf.readUInt8 ... readDoubleBE`, `writeUInt8 ... writeDoubleBE` | [`Buffer::read_u8`] ... [`Buffer::read_f64_be`], [`Buffer::write_u8`] ... [`Buffer::write_f64_be`] |
//! | `buf.readBigUInt64LE` ... `writeBigInt64BE` | [`Buffer::read_u64_le`] ... [`Buffer::write_i64_be`] |
//! | `buf.readUIntLE(o, n)` ... `writeIntBE(v, o, n)` | [`Buffer::read_uint_le`], [`Buffer::read_int_be`], [`Buffer::write_uint_le`], [`Buffer::write_int_be`] ... |
//! | `buf.swap16/32/64()` | [`Buffer::swap16`], [`Buffer::swap32`], [`Buffer::swap64`] |
//! | `buf.toJSON()` | [`Buffer::to_json`] |
//! | `util.inspect(buf)` | `Debug` / `Display`: `<Buffer 68 65 ... 14 more bytes>` |
//! | `buffer.constants.MAX_LENGTH` | [`MAX_LENGTH`] |
//! | `new StringDecoder(enc)`, `.write`, `.end` | [`StringDecoder::new`], [`StringDecoder::write`], [`StringDecoder::end`], [`StringDecoder::end_with`]; as UTF-16 units: [`StringDecoder::write_utf16`], [`StringDecoder::end_utf16`] |
//! | `iconv.encode(s, 'gbk')` / `iconv.decode(buf, 'gbk')` | [`Buffer::from_str_in`], [`Buffer::to_string_in`], [`LegacyEncoding`] |
//! | `iconv.getDecoder('gbk')` | [`LegacyEncoding::decoder`] ([`LegacyDecoder`]) |
//! | `err.code` / `err.message` | [`Error::code`] / `Display` |
//!
//! Offsets are `i64` so that Node's negative and out-of-range arguments can be
//! passed and fail with Node's error (code and message).
//!
//! ## Legacy encodings
//!
//! ```js
//! const iconv = require('iconv-lite');
//! iconv.encode('前端', 'gbk');               // <Buffer c7 b0 b6 cb>
//! iconv.decode(Buffer.from([0x82, 0xa0]), 'shift_jis');   // 'あ'
//! ```
//!
//! ```
//! use rt_buffer::{Buffer, Encoding};
//! let gbk = Buffer::from_str_in("前端", "gbk")?;
//! assert_eq!(gbk.to_string(Encoding::Hex), "c7b0b6cb");
//! assert_eq!(Buffer::from(&[0x82, 0xa0]).to_string_in("shift_jis")?, "あ");
//! # Ok::<(), rt_buffer::Error>(())
//! ```
//!
//! Node's own `'latin1'` is ISO-8859-1, while the WHATWG label `latin1`
//! means windows-1252: [`Buffer::from_str_in`] looks Node's names up first
//! (so `"latin1"` stays ISO-8859-1, as in iconv-lite), [`LegacyEncoding`]
//! follows WHATWG (`LegacyEncoding::for_label("latin1")` is windows-1252).
//! Unmappable characters encode as `?` (iconv-lite's choice); malformed
//! input decodes to U+FFFD by the WHATWG rules.
//!
//! ## Differences from Node
//!
//! | Node | rt | why |
//! | --- | --- | --- |
//! | views share *mutable* memory: a write through one is seen by all | views share memory until written; a write is in place when the handle is the only one on its memory, else copy-on-write: **other views existing at that moment do not see it** | safe Rust cannot give several live handles unsynchronised shared mutation |
//! | `allocUnsafe` returns old memory, possibly never initialised | under 4 KiB zeros or the old bytes of dropped pooled buffers (the 8 KiB pool is zeroed once, when made, and reused in place once all its pieces are dropped); from 4 KiB on the old bytes of a large `allocUnsafe` buffer this thread dropped (zeros the first time) | no uninitialised memory is handed out, and no live buffer's memory |
//! | a fresh pooled buffer is just another view | it is private (written in place) until shared; cloning or slicing it copies its < 4 KiB until [`Buffer::freeze`] | a piece carved from the pool cannot be shared from `&self` |
//! | strings may hold lone surrogates (utf16le decode of half a pair) | `String` results hold U+FFFD; the UTF-16 forms are lossless: [`Buffer::to_utf16_range`] and [`Buffer::from_utf16`] both ways | a Rust `String` cannot hold one |
//! | `StringDecoder('utf16le').write` may return a lone high surrogate | [`StringDecoder::write`] holds it back until its low half comes (the concatenated output is Node's); [`StringDecoder::write_utf16`] returns Node's units exactly | same |
//! | encodings are names: `Buffer.from(s, '')` is utf8, `byteLength(s, 'utf9')` the utf8 length, `indexOf(97, 'utf9')` ignores the name | typed [`Encoding`]s; the `*_named` functions ([`Buffer::from_str_named`], [`Buffer::byte_length`], [`Buffer::index_of_named`]...) take names with Node's fallbacks; [`Encoding::from_name`]`("")` is `ERR_UNKNOWN_ENCODING`, as `Buffer.isEncoding('')` is false | a Rust enum has no unknown value |
//! | values are JS numbers, checked at run time | fixed-width values are typed (`u16`, `i32`...); only the 1-6 byte variable widths check the value | the type system rules the rest out |
//! | `indexOf(buffer, offset, 'ucs2')` on an odd-length buffer returns `length - 1` when nothing matches | the same, kept for parity | a quirk of Node's UCS-2 search, reproduced byte for byte |
//! | `TextDecoder` (ICU) maps some legacy bytes to the Private Use Area | encoding_rs follows the WHATWG Encoding Standard, as browsers do | iconv-lite's job done the standard way |
// `deny`, not `forbid`: the one module with `unsafe` (`raw`: AVX-512
// kernels, each behind a safe function, and `raw::pool_block`, the
// alloc_unsafe pool: refill without zeroing, biased reference counts)
// allows it for itself; everywhere else it stays an error.
#![deny(unsafe_code)]

mod buffer;
mod compare;
mod decoder;
mod encoding;
mod error;
mod fill;
mod js_string;
mod json;
mod legacy;
mod named;
mod numbers;
mod ops;
mod pool;
mod raw;
mod recycle;
mod search;
mod swap;
mod value_from;
mod write;

pub use buffer::{Buffer, MAX_LENGTH};
pub use decoder::StringDecoder;
pub use encoding::Encoding;
pub use error::{Error, ErrorKind, Result};
pub use fill::Fill;
pub use legacy::{LegacyDecoder, LegacyEncoding};
pub use pool::POOL_SIZE;
pub use search::Needle;
