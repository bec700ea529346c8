//! How the state machines measure, split and join chunks, per mode.
//!
//! Byte mode counts bytes (or UTF-16 code units once `set_encoding` turned the
//! chunks into text, as Node counts string length); object mode counts one per
//! chunk. The state machines are generic over the chunk type and reach these
//! operations through a small table of function pointers chosen at creation.

use rt_buffer::Buffer;

/// Operations on chunks of type `T` (one table per mode).
pub(crate) struct ChunkOps<T> {
    /// Length of a chunk in the stream's unit.
    pub(crate) len: fn(&T) -> usize,
    /// Whether a raw (not yet decoded) chunk holds nothing (never, in object mode).
    pub(crate) is_empty: fn(&T) -> bool,
    /// Joins chunks totalling `total` units into one (byte mode only).
    pub(crate) concat: Option<fn(Vec<T>, usize) -> T>,
    /// Splits off and returns the first `n` units of a chunk (byte mode only).
    pub(crate) split_front: Option<fn(&mut T, usize) -> T>,
}

impl<T> Clone for ChunkOps<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for ChunkOps<T> {}

fn one<T>(_: &T) -> usize {
    1
}

fn never<T>(_: &T) -> bool {
    false
}

fn buf_empty(b: &Buffer) -> bool {
    b.is_empty()
}

/// Object mode: every chunk counts one.
pub(crate) fn object_ops<T>() -> ChunkOps<T> {
    ChunkOps {
        len: one::<T>,
        is_empty: never::<T>,
        concat: None,
        split_front: None,
    }
}

fn buf_len(b: &Buffer) -> usize {
    b.len()
}

fn buf_concat(list: Vec<Buffer>, total: usize) -> Buffer {
    match Buffer::concat(&list, Some(total)) {
        Ok(b) => b,
        Err(_) => Buffer::concat(&list, None).unwrap_or_default(),
    }
}

/// Text chunks: `total` counts UTF-16 units, not bytes; all of every chunk
/// (Node's `state.buffer.join('')`).
fn text_concat(list: Vec<Buffer>, _total: usize) -> Buffer {
    Buffer::concat(&list, None).unwrap_or_default()
}

fn buf_split(b: &mut Buffer, n: usize) -> Buffer {
    let n = n.min(b.len()) as i64;
    let head = b.subarray(0, n);
    *b = b.subarray(n, b.len() as i64);
    head
}

/// Byte mode on raw bytes.
pub(crate) fn byte_ops() -> ChunkOps<Buffer> {
    ChunkOps {
        len: buf_len,
        is_empty: buf_empty,
        concat: Some(buf_concat),
        split_front: Some(buf_split),
    }
}

/// UTF-16 code units of UTF-8 text (what JavaScript's `string.length` counts).
pub(crate) fn utf16_len(bytes: &[u8]) -> usize {
    // Chunks of decoded text are valid UTF-8: count leading bytes, with 4-byte
    // sequences counting two units (a surrogate pair).
    let mut n = 0;
    for &b in bytes {
        if b & 0xC0 != 0x80 {
            n += if b >= 0xF0 { 2 } else { 1 };
        }
    }
    n
}

fn text_len(b: &Buffer) -> usize {
    utf16_len(b)
}

fn text_split(b: &mut Buffer, n: usize) -> Buffer {
    // Byte offset of the `n`th UTF-16 unit; a surrogate pair is never split
    // (JavaScript can split one, UTF-8 cannot hold half a pair).
    let bytes: &[u8] = b;
    let mut units = 0;
    let mut at = bytes.len();
    for (i, &c) in bytes.iter().enumerate() {
        if c & 0xC0 != 0x80 {
            if units >= n {
                at = i;
                break;
            }
            units += if c >= 0xF0 { 2 } else { 1 };
        }
    }
    buf_split(b, at)
}

/// Byte mode after `set_encoding`: chunks are UTF-8 text, counted in UTF-16 units.
pub(crate) fn text_ops() -> ChunkOps<Buffer> {
    ChunkOps {
        len: text_len,
        is_empty: buf_empty,
        concat: Some(text_concat),
        split_front: Some(text_split),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_counted_and_split_like_javascript_strings() {
        assert_eq!(utf16_len("aé€😀".as_bytes()), 5);
        let mut b = Buffer::from("aé€😀b");
        let head = text_split(&mut b, 3);
        assert_eq!(&head[..], "aé€".as_bytes());
        assert_eq!(&b[..], "😀b".as_bytes());
        let mut c = Buffer::from("hello");
        assert_eq!(&buf_split(&mut c, 2)[..], b"he");
        assert_eq!(&c[..], b"llo");
    }
}
