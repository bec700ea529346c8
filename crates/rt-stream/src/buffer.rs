//! Temporary stand-in for rt-buffer's `Buffer` and `StringDecoder` until that
//! crate lands on main (same surface, utf8 only).

use bytes::Bytes;
use std::ops::Deref;

/// A chunk of bytes (stand-in for `rt_buffer::Buffer`).
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct Buffer(Bytes);

impl Buffer {
    /// The bytes from `start` to `end`, sharing memory.
    pub fn subarray(&self, start: usize, end: usize) -> Buffer {
        let end = end.min(self.0.len());
        let start = start.min(end);
        Buffer(self.0.slice(start..end))
    }
    pub(crate) fn concat_total(list: &[Buffer], total: usize) -> Buffer {
        let mut v = Vec::with_capacity(total);
        for b in list {
            v.extend_from_slice(b);
        }
        Buffer(Bytes::from(v))
    }
}

impl std::fmt::Debug for Buffer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "<Buffer")?;
        for b in self.0.iter() {
            write!(f, " {b:02x}")?;
        }
        write!(f, ">")
    }
}

impl Deref for Buffer {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.0
    }
}
impl From<Vec<u8>> for Buffer {
    fn from(v: Vec<u8>) -> Buffer {
        Buffer(Bytes::from(v))
    }
}
impl From<&[u8]> for Buffer {
    fn from(v: &[u8]) -> Buffer {
        Buffer(Bytes::copy_from_slice(v))
    }
}
impl From<&str> for Buffer {
    fn from(v: &str) -> Buffer {
        Buffer(Bytes::copy_from_slice(v.as_bytes()))
    }
}
impl From<String> for Buffer {
    fn from(v: String) -> Buffer {
        Buffer(Bytes::from(v.into_bytes()))
    }
}
impl From<Bytes> for Buffer {
    fn from(v: Bytes) -> Buffer {
        Buffer(v)
    }
}
impl From<Buffer> for Bytes {
    fn from(v: Buffer) -> Bytes {
        v.0
    }
}

/// Stand-in for `rt_buffer::StringDecoder` (utf8 only).
#[derive(Debug, Default)]
pub struct StringDecoder {
    pending: Vec<u8>,
}

impl StringDecoder {
    /// Decodes `bytes`, holding back an incomplete trailing character.
    pub fn write(&mut self, bytes: &[u8]) -> String {
        self.pending.extend_from_slice(bytes);
        let mut cut = self.pending.len();
        for back in 1..=3.min(self.pending.len()) {
            let b = self.pending[self.pending.len() - back];
            if b & 0xC0 == 0x80 {
                continue;
            }
            let need = if b >= 0xF0 {
                4
            } else if b >= 0xE0 {
                3
            } else if b >= 0xC0 {
                2
            } else {
                1
            };
            if need > back {
                cut = self.pending.len() - back;
            }
            break;
        }
        let rest = self.pending.split_off(cut);
        let done = std::mem::replace(&mut self.pending, rest);
        String::from_utf8_lossy(&done).into_owned()
    }
    /// Flushes what is held back.
    pub fn end(&mut self) -> String {
        let done = std::mem::take(&mut self.pending);
        String::from_utf8_lossy(&done).into_owned()
    }
}

/// A decoder for `encoding` and its canonical name (stand-in: utf8 only).
pub(crate) fn decoder_for(encoding: &str) -> Result<(StringDecoder, String), crate::Error> {
    match encoding.to_ascii_lowercase().as_str() {
        "utf8" | "utf-8" => Ok((StringDecoder::default(), "utf8".to_string())),
        _ => Err(crate::Error::unknown_encoding(encoding)),
    }
}
