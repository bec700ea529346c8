//! Functions that take an encoding *name*, as Node's do, with Node's fallback
//! for each: an empty or unknown name is not always an error in Node.

use crate::buffer::Buffer;
use crate::encoding::Encoding;
use crate::error::Result;
use crate::search::Needle;

impl Buffer {
    /// `Buffer.from(string, encodingName)`, with Node's fallback: the empty
    /// name means utf8 (as a missing one does); any other name Node does not
    /// know fails with `ERR_UNKNOWN_ENCODING`.
    ///
    /// ```js
    /// Buffer.from('hé', '');       // <Buffer 68 c3 a9>
    /// Buffer.from('hé', 'utf9');   // throws ERR_UNKNOWN_ENCODING: Unknown encoding: utf9
    /// ```
    ///
    /// ```
    /// use rt_buffer::Buffer;
    /// assert_eq!(Buffer::from_str_named("hé", "")?, "hé");
    /// assert_eq!(Buffer::from_str_named("6869", "HEX")?, "hi");
    /// assert_eq!(Buffer::from_str_named("hé", "utf9").unwrap_err().code(), "ERR_UNKNOWN_ENCODING");
    /// # Ok::<(), rt_buffer::Error>(())
    /// ```
    #[doc(alias = "from")]
    pub fn from_str_named(s: &str, encoding: &str) -> Result<Buffer> {
        let encoding = if encoding.is_empty() {
            Encoding::Utf8
        } else {
            Encoding::from_name(encoding)?
        };
        Ok(Buffer::from_str(s, encoding))
    }

    /// `Buffer.byteLength(string, encodingName)`, with Node's fallback: an
    /// empty or unknown name gives the utf8 length (Node does not throw here).
    ///
    /// ```js
    /// Buffer.byteLength('hé😀', 'utf9');   // 7, as utf8
    /// Buffer.byteLength('hé😀', 'ucs2');   // 8
    /// ```
    ///
    /// ```
    /// use rt_buffer::Buffer;
    /// assert_eq!(Buffer::byte_length("hé😀", "utf9"), 7);
    /// assert_eq!(Buffer::byte_length("hé😀", ""), 7);
    /// assert_eq!(Buffer::byte_length("hé😀", "ucs2"), 8);
    /// ```
    #[doc(alias = "byteLength")]
    pub fn byte_length(s: &str, encoding: &str) -> usize {
        Encoding::from_name(encoding)
            .unwrap_or(Encoding::Utf8)
            .byte_length(s)
    }

    /// `buf.indexOf(value, byteOffset, encodingName)` with Node's rules for
    /// the name: a number or `Buffer` needle ignores a name Node does not
    /// know (the search is the utf8 one), while a string needle fails with
    /// `ERR_UNKNOWN_ENCODING` (also for the empty name). `byte_offset: None`
    /// is Node's form with the name in the offset position,
    /// `buf.indexOf(value, encodingName)`.
    ///
    /// ```js
    /// const buf = Buffer.from('abcabc');
    /// buf.indexOf(99, 'utf9');                   // 2
    /// buf.indexOf(Buffer.from('bc'), 2, 'utf9'); // 4
    /// buf.indexOf('c', 0, 'utf9');               // throws ERR_UNKNOWN_ENCODING
    /// ```
    ///
    /// ```
    /// use rt_buffer::Buffer;
    /// let buf = Buffer::from("abcabc");
    /// assert_eq!(buf.index_of_named(99, None, "utf9")?, Some(2));
    /// assert_eq!(buf.index_of_named(&Buffer::from("bc"), Some(2), "utf9")?, Some(4));
    /// assert_eq!(buf.index_of_named("c", Some(0), "utf9").unwrap_err().code(), "ERR_UNKNOWN_ENCODING");
    /// assert_eq!(buf.index_of_named("6263", Some(0), "hex")?, Some(1));
    /// # Ok::<(), rt_buffer::Error>(())
    /// ```
    #[doc(alias = "indexOf")]
    pub fn index_of_named<'a>(
        &self,
        value: impl Into<Needle<'a>>,
        byte_offset: Option<i64>,
        encoding: &str,
    ) -> Result<Option<usize>> {
        let needle = value.into();
        let encoding = needle_encoding(needle, encoding)?;
        Ok(match byte_offset {
            Some(o) => self.index_of_from(needle, o, encoding),
            None => self.index_of_from(needle, 0, encoding),
        })
    }

    /// `buf.lastIndexOf(value, byteOffset, encodingName)`, with the name
    /// rules of [`index_of_named`](Buffer::index_of_named). `byte_offset:
    /// None` searches from the end, as Node's `buf.lastIndexOf(value, encodingName)`.
    ///
    /// ```js
    /// Buffer.from('abcabc').lastIndexOf(99, 'utf9');   // 5
    /// ```
    ///
    /// ```
    /// use rt_buffer::Buffer;
    /// let buf = Buffer::from("abcabc");
    /// assert_eq!(buf.last_index_of_named(99, None, "utf9")?, Some(5));
    /// assert_eq!(buf.last_index_of_named(&Buffer::from("bc"), Some(3), "bogus")?, Some(1));
    /// # Ok::<(), rt_buffer::Error>(())
    /// ```
    #[doc(alias = "lastIndexOf")]
    pub fn last_index_of_named<'a>(
        &self,
        value: impl Into<Needle<'a>>,
        byte_offset: Option<i64>,
        encoding: &str,
    ) -> Result<Option<usize>> {
        let needle = value.into();
        let encoding = needle_encoding(needle, encoding)?;
        Ok(match byte_offset {
            Some(o) => self.last_index_of_from(needle, o, encoding),
            None => self.last_index_of_from(needle, self.len() as i64, encoding),
        })
    }

    /// `buf.includes(value, byteOffset, encodingName)`, with the name rules
    /// of [`index_of_named`](Buffer::index_of_named).
    ///
    /// ```js
    /// Buffer.from('abc').includes(99, 'utf9');   // true
    /// ```
    ///
    /// ```
    /// use rt_buffer::Buffer;
    /// assert!(Buffer::from("abc").includes_named(99, None, "utf9")?);
    /// # Ok::<(), rt_buffer::Error>(())
    /// ```
    #[doc(alias = "includes")]
    pub fn includes_named<'a>(
        &self,
        value: impl Into<Needle<'a>>,
        byte_offset: Option<i64>,
        encoding: &str,
    ) -> Result<bool> {
        Ok(self.index_of_named(value, byte_offset, encoding)?.is_some())
    }
}

/// Node's `bidirectionalIndexOf`: a string needle needs a known name; a
/// number or buffer needle falls back to utf8.
fn needle_encoding(needle: Needle<'_>, name: &str) -> Result<Encoding> {
    match (Encoding::from_name(name), needle) {
        (Ok(e), _) => Ok(e),
        (Err(e), Needle::Str(_)) => Err(e),
        (Err(_), _) => Ok(Encoding::Utf8),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fallbacks() {
        let b = Buffer::from("abcabc");
        assert_eq!(
            b.index_of_named("c", None, "").unwrap_err().to_string(),
            "Unknown encoding: "
        );
        assert_eq!(b.index_of_named(&Buffer::from("c"), Some(0), ""), Ok(Some(2)));
        assert_eq!(Buffer::from_str_named("", ""), Ok(Buffer::new()));
        assert_eq!(Buffer::byte_length("", "utf9"), 0);
    }
}
