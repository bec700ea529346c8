//! The `Buffer` type: storage, conversions, views, and the core string codecs.

use std::borrow::Borrow;
use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;

use bytes::{Bytes, BytesMut};

use crate::encoding::Encoding;
use crate::error::{Error, Result};
use crate::raw::pool_block::Piece;
use crate::recycle::Recycled;

/// Node's `buffer.constants.MAX_LENGTH` (v20, 64-bit): the largest buffer Node creates.
#[doc(alias = "kMaxLength")]
pub const MAX_LENGTH: usize = 1 << 32;

/// Node's `Buffer`: a fixed-length run of bytes, cheap to clone and to slice.
///
/// # Memory and mutation
/// A `Buffer` is a view on reference-counted memory (`bytes::Bytes`).
/// `clone`, [`subarray`](Buffer::subarray) and [`slice`](Buffer::slice) are
/// O(1) and share the memory. Reads are free through `Deref<Target = [u8]>`.
///
/// Writes take `&mut self`. A write is done in place when this handle is the
/// only one on its memory; otherwise the handle first takes a private copy
/// (copy-on-write). **Unlike Node, a write through one view is not seen by
/// the other views that exist at that moment**: every handle behaves like
/// its own value. (Node's shared mutable views cannot be had in safe Rust
/// without locking every read.)
///
/// A small buffer from [`alloc_unsafe`](Buffer::alloc_unsafe) is carved from
/// an 8 KiB pool and stays writable in place until it is first shared; cloning
/// or slicing such a still-private pooled buffer copies its (under 4 KiB of)
/// bytes instead of sharing them, and [`freeze`](Buffer::freeze) turns it into
/// shared memory for O(1) clones from then on. A larger `alloc_unsafe`
/// buffer is a view on a block that goes back to a per-thread cache for the
/// next `alloc_unsafe` when its last view is dropped; its views and clones
/// share it in O(1).
#[derive(Default)]
pub struct Buffer {
    repr: Repr,
}

pub(crate) enum Repr {
    /// Static memory (`from_static`): cloned by copying the reference, no
    /// count to touch, nothing to free.
    Static(&'static [u8]),
    /// Reference-counted, possibly shared memory.
    Shared(Bytes),
    /// Memory no other handle can reach (written in place).
    Unique(BytesMut),
    /// A fresh piece of the `alloc_unsafe` pool, which no other handle can
    /// reach.
    Pooled(Piece),
    /// A view on a large `alloc_unsafe` block, which goes back to the
    /// per-thread cache when its last handle is dropped.
    Recycled(Recycled),
}

impl Default for Repr {
    fn default() -> Self {
        Repr::Shared(Bytes::new())
    }
}

impl Buffer {
    /// An empty buffer.
    pub const fn new() -> Buffer {
        Buffer {
            repr: Repr::Shared(Bytes::new()),
        }
    }

    #[inline]
    pub(crate) fn from_piece(p: Piece) -> Buffer {
        Buffer {
            repr: Repr::Pooled(p),
        }
    }

    pub(crate) fn from_recycled(r: Recycled) -> Buffer {
        Buffer {
            repr: Repr::Recycled(r),
        }
    }

    /// A buffer over a `'static` slice, without copying.
    pub const fn from_static(bytes: &'static [u8]) -> Buffer {
        Buffer {
            repr: Repr::Static(bytes),
        }
    }

    /// The number of bytes (`buf.length`).
    #[doc(alias = "length")]
    #[inline]
    pub fn len(&self) -> usize {
        self.as_slice().len()
    }

    /// Whether the buffer holds no bytes.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The bytes, as a slice.
    #[inline]
    pub fn as_slice(&self) -> &[u8] {
        match &self.repr {
            Repr::Static(s) => s,
            Repr::Shared(b) => b,
            Repr::Unique(b) => b,
            Repr::Pooled(p) => p.as_slice(),
            Repr::Recycled(r) => r.as_slice(),
        }
    }

    /// Makes this buffer's memory shareable, so later clones and slices are
    /// O(1). Only a still-private buffer fresh from the `alloc_unsafe` pool
    /// needs it; for every other buffer it does nothing.
    pub fn freeze(&mut self) {
        if matches!(self.repr, Repr::Pooled(_) | Repr::Unique(_)) {
            self.repr = Repr::Shared(Bytes::from(std::mem::take(self)));
        }
    }

    /// Copy-on-write for a recycled block that other views still share: this
    /// handle takes a private copy (the block stays with the other views).
    fn unshare_recycled(&mut self) {
        if let Repr::Recycled(r) = &self.repr
            && !r.is_unique()
        {
            self.repr = Repr::Unique(BytesMut::from(r.as_slice()));
        }
    }

    /// Runs `f` on the bytes with write access: in place when this handle is
    /// the only one on its memory, on a private copy otherwise.
    pub(crate) fn with_mut<R>(&mut self, f: impl FnOnce(&mut [u8]) -> R) -> R {
        self.unshare_recycled();
        match &mut self.repr {
            Repr::Unique(b) => f(b),
            Repr::Pooled(p) => f(p.as_mut_slice()),
            // The only handle on its block (`unshare_recycled`).
            Repr::Recycled(r) => f(r.as_mut_slice().unwrap_or_default()),
            Repr::Static(st) => {
                let mut m = BytesMut::from(*st);
                let r = f(&mut m);
                self.repr = Repr::Shared(m.freeze());
                r
            }
            Repr::Shared(b) => {
                let taken = std::mem::take(b);
                let mut m = match taken.try_into_mut() {
                    Ok(m) => m,
                    Err(shared) => BytesMut::from(&shared[..]),
                };
                let r = f(&mut m);
                self.repr = Repr::Shared(m.freeze());
                r
            }
        }
    }

    /// The bytes with write access (copy-on-write, see the type's docs).
    ///
    /// Unlike Node, other handles on the same memory do not see the writes.
    pub fn as_mut_slice(&mut self) -> &mut [u8] {
        self.unshare_recycled();
        if let Repr::Static(st) = &self.repr {
            self.repr = Repr::Unique(BytesMut::from(*st));
        }
        if let Repr::Shared(b) = &mut self.repr {
            let taken = std::mem::take(b);
            let m = match taken.try_into_mut() {
                Ok(m) => m,
                Err(shared) => BytesMut::from(&shared[..]),
            };
            self.repr = Repr::Unique(m);
        }
        match &mut self.repr {
            Repr::Unique(b) => b,
            Repr::Pooled(p) => p.as_mut_slice(),
            // The only handle on its block (`unshare_recycled`).
            Repr::Recycled(r) => r.as_mut_slice().unwrap_or_default(),
            // Just made unique above.
            Repr::Shared(_) | Repr::Static(_) => &mut [],
        }
    }

    /// `Buffer.from(string, encoding)`: encodes `s`.
    ///
    /// ```
    /// use rt_buffer::{Buffer, Encoding};
    /// // Buffer.from('hello world', 'utf8').toString('hex')
    /// let buf = Buffer::from_str("hello world", Encoding::Utf8);
    /// assert_eq!(buf.to_string(Encoding::Hex), "68656c6c6f20776f726c64");
    /// assert_eq!(Buffer::from_str("aGk=", Encoding::Base64), "hi");
    /// ```
    #[doc(alias = "from")]
    pub fn from_str(s: &str, encoding: Encoding) -> Buffer {
        match encoding {
            Encoding::Utf8 => Buffer::from(s),
            other => Buffer::from(other.encode(s)),
        }
    }

    /// `buf.toString(encoding)`: decodes every byte.
    #[doc(alias = "toString")]
    #[allow(clippy::inherent_to_string_shadow_display)]
    pub fn to_string(&self, encoding: Encoding) -> String {
        encoding.decode(self)
    }

    /// `buf.toString(encoding, start, end)` with Node's clamping: a negative
    /// `start` counts as 0, an `end` past the length as the length, and an
    /// empty or reversed range gives `""`.
    #[doc(alias = "toString")]
    pub fn to_string_range(&self, encoding: Encoding, start: i64, end: i64) -> String {
        let len = self.len() as i64;
        let start = start.max(0);
        if start >= len {
            return String::new();
        }
        let end = end.min(len);
        if end <= start {
            return String::new();
        }
        encoding.decode(&self[start as usize..end as usize])
    }

    /// The UTF-16 code units of the bytes read as utf16le (an odd trailing
    /// byte is dropped): lossless, where [`to_string`](Buffer::to_string)
    /// must turn a lone surrogate into U+FFFD.
    ///
    /// ```
    /// use rt_buffer::{Buffer, Encoding};
    /// let half = Buffer::from(&[0x3d, 0xd8][..]);
    /// assert_eq!(half.to_utf16(), vec![0xd83d]);
    /// assert_eq!(half.to_string(Encoding::Utf16le), "\u{fffd}");
    /// ```
    pub fn to_utf16(&self) -> Vec<u16> {
        crate::encoding::utf16_units(self)
    }

    /// `buf.subarray(start, end)`: a view on bytes `start..end`, sharing
    /// memory, in O(1). Negative indices count from the end; indices are
    /// clamped to the buffer, and `end < start` gives an empty view.
    ///
    /// ```
    /// use rt_buffer::Buffer;
    /// let buf = Buffer::from("buffer");
    /// assert_eq!(buf.subarray(1, 3), "uf");
    /// assert_eq!(buf.subarray(-3, 6), "fer");
    /// assert_eq!(buf.subarray(4, 1), "");
    /// ```
    pub fn subarray(&self, start: i64, end: i64) -> Buffer {
        let len = self.len();
        let (s, e) = (clamp_index(start, len), clamp_index(end, len));
        let e = e.max(s);
        self.view(s, e)
    }

    /// `buf.slice(start, end)`: the same as [`subarray`](Buffer::subarray)
    /// (Node's `slice` also shares memory).
    pub fn slice(&self, start: i64, end: i64) -> Buffer {
        self.subarray(start, end)
    }

    /// A view on `start..end` (both in range, `start <= end`).
    pub(crate) fn view(&self, start: usize, end: usize) -> Buffer {
        match &self.repr {
            Repr::Static(s) => Buffer {
                repr: Repr::Static(&s[start..end]),
            },
            Repr::Shared(b) => Buffer {
                repr: Repr::Shared(b.slice(start..end)),
            },
            Repr::Unique(b) => Buffer::from(&b[start..end]),
            Repr::Pooled(p) => Buffer::from(&p.as_slice()[start..end]),
            Repr::Recycled(r) => Buffer::from_recycled(r.view(start, end)),
        }
    }

    /// `Buffer.concat(list, totalLength)`: the buffers one after the other.
    ///
    /// With `total_length`, the result has exactly that length: truncated
    /// when shorter, zero-filled when longer. A length over [`MAX_LENGTH`]
    /// fails with `ERR_OUT_OF_RANGE`.
    ///
    /// ```
    /// use rt_buffer::Buffer;
    /// let list = [Buffer::from("ab"), Buffer::from("cd")];
    /// assert_eq!(Buffer::concat(&list, None)?, "abcd");
    /// assert_eq!(Buffer::concat(&list, Some(3))?, "abc");
    /// assert_eq!(Buffer::concat(&list, Some(5))?, &b"abcd\0"[..]);
    /// # Ok::<(), rt_buffer::Error>(())
    /// ```
    pub fn concat(list: &[Buffer], total_length: Option<usize>) -> Result<Buffer> {
        if list.is_empty() {
            return Ok(Buffer::new());
        }
        let total = match total_length {
            Some(n) => {
                if n > MAX_LENGTH {
                    return Err(Error::out_of_range(
                        "length",
                        &format!(">= 0 && <= {MAX_LENGTH}"),
                        crate::ops::format_received(n as f64),
                    ));
                }
                n
            }
            None => list.iter().map(Buffer::len).sum(),
        };
        if total == 0 {
            return Ok(Buffer::new());
        }
        if list.len() == 1 && list[0].len() == total {
            return Ok(list[0].clone());
        }
        let mut out = Vec::with_capacity(total);
        for b in list {
            let room = total - out.len();
            if room == 0 {
                break;
            }
            out.extend_from_slice(&b[..b.len().min(room)]);
        }
        out.resize(total, 0);
        Ok(Buffer::from(out))
    }

    /// The bytes as `bytes::Bytes` (O(1) for shared memory).
    pub fn to_bytes(&self) -> Bytes {
        match &self.repr {
            Repr::Static(s) => Bytes::from_static(s),
            Repr::Shared(b) => b.clone(),
            Repr::Unique(b) => Bytes::copy_from_slice(b),
            Repr::Pooled(p) => Bytes::copy_from_slice(p.as_slice()),
            Repr::Recycled(r) => r.clone().into_bytes(),
        }
    }
}

/// Node's index clamping for `subarray`: negative counts from the end.
pub(crate) fn clamp_index(i: i64, len: usize) -> usize {
    if i < 0 {
        let back = i.unsigned_abs();
        len.saturating_sub(usize::try_from(back).unwrap_or(usize::MAX))
    } else {
        usize::try_from(i).unwrap_or(usize::MAX).min(len)
    }
}

impl Clone for Buffer {
    /// O(1) for shared memory; a still-private pooled buffer (see
    /// [`alloc_unsafe`](Buffer::alloc_unsafe)) is copied.
    #[inline]
    fn clone(&self) -> Self {
        match &self.repr {
            Repr::Static(s) => Buffer {
                repr: Repr::Static(s),
            },
            Repr::Shared(b) => Buffer {
                repr: Repr::Shared(b.clone()),
            },
            Repr::Unique(b) => Buffer::from(&b[..]),
            Repr::Pooled(p) => Buffer::from(p.as_slice()),
            Repr::Recycled(r) => Buffer::from_recycled(r.clone()),
        }
    }
}

impl Deref for Buffer {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        self.as_slice()
    }
}

impl AsRef<[u8]> for Buffer {
    fn as_ref(&self) -> &[u8] {
        self.as_slice()
    }
}

impl Borrow<[u8]> for Buffer {
    fn borrow(&self) -> &[u8] {
        self.as_slice()
    }
}

impl PartialEq for Buffer {
    fn eq(&self, other: &Buffer) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl Eq for Buffer {}

impl PartialEq<[u8]> for Buffer {
    fn eq(&self, other: &[u8]) -> bool {
        self.as_slice() == other
    }
}

impl PartialEq<&[u8]> for Buffer {
    fn eq(&self, other: &&[u8]) -> bool {
        self.as_slice() == *other
    }
}

impl PartialEq<Vec<u8>> for Buffer {
    fn eq(&self, other: &Vec<u8>) -> bool {
        self.as_slice() == &other[..]
    }
}

impl PartialEq<str> for Buffer {
    fn eq(&self, other: &str) -> bool {
        self.as_slice() == other.as_bytes()
    }
}

impl PartialEq<&str> for Buffer {
    fn eq(&self, other: &&str) -> bool {
        self.as_slice() == other.as_bytes()
    }
}

impl PartialOrd for Buffer {
    fn partial_cmp(&self, other: &Buffer) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Buffer {
    /// Byte-wise order, as `Buffer.compare` (shorter prefix first).
    fn cmp(&self, other: &Buffer) -> Ordering {
        self.as_slice().cmp(other.as_slice())
    }
}

impl Hash for Buffer {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_slice().hash(state);
    }
}

/// Node's `util.inspect` form: `<Buffer 68 65 6c 6c 6f>`, at most 50 bytes,
/// then `... N more bytes`.
fn inspect(bytes: &[u8], f: &mut fmt::Formatter<'_>) -> fmt::Result {
    const MAX: usize = 50;
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    f.write_str("<Buffer")?;
    let shown = bytes.len().min(MAX);
    let mut s = String::with_capacity(shown * 3);
    for &b in &bytes[..shown] {
        s.push(' ');
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 15)]));
    }
    if bytes.is_empty() {
        s.push(' ');
    }
    f.write_str(&s)?;
    let more = bytes.len() - shown;
    if more > 0 {
        write!(f, " ... {more} more byte{}", if more > 1 { "s" } else { "" })?;
    }
    f.write_str(">")
}

impl fmt::Debug for Buffer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        inspect(self, f)
    }
}

impl fmt::Display for Buffer {
    /// The same as `Debug`: Node's inspect form.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        inspect(self, f)
    }
}

impl From<Vec<u8>> for Buffer {
    /// Takes the vector without copying.
    fn from(v: Vec<u8>) -> Buffer {
        Buffer {
            repr: Repr::Shared(Bytes::from(v)),
        }
    }
}

impl From<Bytes> for Buffer {
    /// Free: shares the memory.
    fn from(b: Bytes) -> Buffer {
        Buffer {
            repr: Repr::Shared(b),
        }
    }
}

impl From<BytesMut> for Buffer {
    /// Free: freezes the memory.
    fn from(b: BytesMut) -> Buffer {
        Buffer {
            repr: Repr::Shared(b.freeze()),
        }
    }
}

impl From<&[u8]> for Buffer {
    /// Copies the bytes.
    fn from(b: &[u8]) -> Buffer {
        Buffer::from(b.to_vec())
    }
}

impl<const N: usize> From<&[u8; N]> for Buffer {
    /// Copies the bytes.
    fn from(b: &[u8; N]) -> Buffer {
        Buffer::from(b.to_vec())
    }
}

impl From<&Vec<u8>> for Buffer {
    /// Copies the bytes.
    fn from(b: &Vec<u8>) -> Buffer {
        Buffer::from(b.clone())
    }
}

impl From<&str> for Buffer {
    /// UTF-8 bytes of `s` (`Buffer.from(s)`).
    fn from(s: &str) -> Buffer {
        Buffer::from(s.as_bytes().to_vec())
    }
}

impl From<String> for Buffer {
    /// UTF-8 bytes of `s`, without copying.
    fn from(s: String) -> Buffer {
        Buffer::from(s.into_bytes())
    }
}

impl From<&Buffer> for Buffer {
    /// `Buffer.from(buffer)`: the same bytes (shared; see copy-on-write).
    fn from(b: &Buffer) -> Buffer {
        b.clone()
    }
}

impl From<Buffer> for Bytes {
    /// Free.
    fn from(b: Buffer) -> Bytes {
        match b.repr {
            Repr::Static(s) => Bytes::from_static(s),
            Repr::Shared(b) => b,
            Repr::Unique(b) => b.freeze(),
            // Shares the piece (its block stays allocated while the `Bytes` lives).
            Repr::Pooled(p) => Bytes::from_owner(p),
            Repr::Recycled(r) => r.into_bytes(),
        }
    }
}

impl From<Buffer> for BytesMut {
    /// Free when the buffer is the only handle on its memory, a copy otherwise
    /// (a fresh pooled buffer is copied while its pool block is in use).
    fn from(b: Buffer) -> BytesMut {
        match b.repr {
            Repr::Unique(b) => b,
            // A piece of the `alloc_unsafe` pool is copied: its block is the
            // pool's, not an allocation a `BytesMut` could own.
            Repr::Pooled(p) => BytesMut::from(p.as_slice()),
            Repr::Recycled(r) => BytesMut::from(r.as_slice()),
            Repr::Static(s) => BytesMut::from(s),
            Repr::Shared(b) => match b.try_into_mut() {
                Ok(m) => m,
                Err(b) => BytesMut::from(&b[..]),
            },
        }
    }
}

impl From<Buffer> for Vec<u8> {
    /// Copies the bytes unless the buffer is the sole owner of a whole `Vec`.
    fn from(b: Buffer) -> Vec<u8> {
        match b.repr {
            Repr::Static(s) => s.to_vec(),
            Repr::Shared(b) => Vec::from(b),
            Repr::Unique(b) => b.into(),
            Repr::Pooled(p) => p.as_slice().to_vec(),
            Repr::Recycled(r) => r.into_vec(),
        }
    }
}

impl FromIterator<u8> for Buffer {
    fn from_iter<I: IntoIterator<Item = u8>>(iter: I) -> Buffer {
        Buffer::from(iter.into_iter().collect::<Vec<u8>>())
    }
}

impl<'a> IntoIterator for &'a Buffer {
    type Item = &'a u8;
    type IntoIter = std::slice::Iter<'a, u8>;

    fn into_iter(self) -> Self::IntoIter {
        self.as_slice().iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inspect_format() {
        assert_eq!(format!("{:?}", Buffer::from("hello")), "<Buffer 68 65 6c 6c 6f>");
        assert_eq!(format!("{}", Buffer::new()), "<Buffer >");
        let s = format!("{:?}", Buffer::from(vec![0u8; 51]));
        assert!(s.ends_with(" 00 ... 1 more byte>"), "{s}");
        let s = format!("{:?}", Buffer::from(vec![0u8; 52]));
        assert!(s.ends_with(" ... 2 more bytes>"), "{s}");
    }

    #[test]
    fn static_buffers_clone_slice_and_copy_on_write() {
        static BYTES: [u8; 6] = *b"abcdef";
        let a = Buffer::from_static(&BYTES);
        let c = a.clone();
        assert!(matches!(c.repr, Repr::Static(_)), "a clone stays static");
        assert_eq!(c.as_ptr(), BYTES.as_ptr(), "a clone shares the static bytes");
        let v = a.subarray(1, 4);
        assert!(matches!(v.repr, Repr::Static(_)), "a slice stays static");
        assert_eq!(&v[..], b"bcd");
        assert_eq!(v.as_ptr(), BYTES[1..].as_ptr(), "a slice shares the static bytes");
        let mut w = a.clone();
        w.as_mut_slice()[0] = b'X';
        assert_eq!(&w[..], b"Xbcdef", "a write goes to a private copy");
        let mut m = a.clone();
        m.with_mut(|b| b[5] = b'Z');
        assert_eq!(&m[..], b"abcdeZ");
        assert_eq!(&a[..], b"abcdef", "the static bytes stay as they were");
        assert_eq!(&a.to_bytes()[..], b"abcdef");
        assert_eq!(&Bytes::from(v.clone())[..], b"bcd");
        assert_eq!(&BytesMut::from(v.clone())[..], b"bcd");
        assert_eq!(Vec::from(v), b"bcd".to_vec());
    }

    #[test]
    fn views_share_until_written() {
        let a = Buffer::from(vec![1u8, 2, 3, 4]);
        let mut b = a.subarray(1, 3);
        assert_eq!(b, vec![2u8, 3]);
        b.as_mut_slice()[0] = 9;
        assert_eq!(b, vec![9u8, 3]);
        assert_eq!(
            a,
            vec![1u8, 2, 3, 4],
            "a write through one view is not seen by another"
        );
    }

    #[test]
    fn unique_writes_are_in_place() {
        let mut a = Buffer::from(vec![1u8, 2, 3]);
        let p = a.as_ptr();
        a.as_mut_slice()[0] = 7;
        assert_eq!(a.as_ptr(), p);
        a.with_mut(|s| s[1] = 8);
        assert_eq!(a.as_ptr(), p);
        assert_eq!(a, vec![7u8, 8, 3]);
    }

    #[test]
    fn clamping() {
        let b = Buffer::from("hello");
        assert_eq!(b.to_string_range(Encoding::Utf8, -5, 2), "he");
        assert_eq!(b.to_string_range(Encoding::Utf8, 3, 100), "lo");
        assert_eq!(b.to_string_range(Encoding::Utf8, 3, 2), "");
        assert_eq!(b.to_string_range(Encoding::Utf8, 9, 12), "");
        assert_eq!(b.subarray(-100, 100), "hello");
        assert_eq!(b.subarray(i64::MIN, i64::MAX), "hello");
        assert_eq!(b.subarray(-2, -1), "l");
    }

    #[test]
    fn buffers_cross_threads() {
        // A pooled piece inside is `Send + Sync` too (its drop on another
        // thread takes the atomic path, see `raw::pool_block`).
        fn send_sync<T: Send + Sync + 'static>() {}
        send_sync::<Buffer>();
        let mut pooled = Buffer::alloc_unsafe(8).unwrap();
        pooled.as_mut_slice().fill(4);
        let back = std::thread::scope(|s| s.spawn(move || pooled.to_vec()).join());
        assert_eq!(back.ok(), Some(vec![4u8; 8]));
    }

    #[test]
    fn conversions_are_free() {
        let v = vec![1u8, 2, 3];
        let p = v.as_ptr();
        let b = Buffer::from(v);
        let c = b.clone();
        assert_eq!(c.as_ptr(), p);
        let bytes: Bytes = c.into();
        assert_eq!(bytes.as_ptr(), p);
    }
}
