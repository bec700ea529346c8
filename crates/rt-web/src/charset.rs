//! Decoding a body's bytes by its `charset`, as body-parser does through
//! iconv-lite: the names it accepts (case-insensitive, punctuation ignored:
//! `UTF-16LE`, `utf16le`, `utf-1-6le`), a leading byte-order mark removed,
//! UTF-16 without a label told apart by its BOM or by where its ASCII
//! zeros fall (iconv-lite's heuristic), malformed sequences as U+FFFD.
//!
//! Supported: UTF-8, UTF-16LE / UCS-2, UTF-16BE and UTF-16. Not supported
//! (415): UTF-32 (as express 4's iconv-lite 0.4.24; body-parser 2's newer
//! iconv-lite decodes it) and UTF-7 (which both decode). Checked against
//! iconv-lite 0.7 (npm's copy); its unlabelled UTF-16 guess reads the first
//! 100 code units, 0.4.24's the first 32.

/// A charset [`decode`] reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Charset {
    /// UTF-8.
    Utf8,
    /// UTF-16, little-endian (`utf-16le`, `ucs-2`).
    Utf16Le,
    /// UTF-16, big-endian.
    Utf16Be,
    /// UTF-16 with the byte order from its BOM or guessed (default little-endian).
    Utf16,
}

impl Charset {
    /// The charset a `charset` parameter names, `None` when rt cannot decode it.
    /// Node: `iconv.encodingExists(name)` (for the names rt supports).
    #[doc(alias = "iconv.encodingExists")]
    pub fn from_label(label: &str) -> Option<Charset> {
        // iconv-lite's canonical name: lower case, without a trailing ":1234"
        // and without anything but [0-9a-z].
        let lower = label.to_ascii_lowercase();
        let trimmed = match lower.rsplit_once(':') {
            Some((head, tail)) if tail.len() == 4 && tail.bytes().all(|b| b.is_ascii_digit()) => head,
            _ => &lower,
        };
        let canon: String = trimmed
            .chars()
            .filter(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
            .collect();
        match canon.as_str() {
            "utf8" | "unicode11utf8" => Some(Charset::Utf8),
            "utf16le" | "ucs2" => Some(Charset::Utf16Le),
            "utf16be" => Some(Charset::Utf16Be),
            "utf16" => Some(Charset::Utf16),
            _ => None,
        }
    }
}

/// Decodes `bytes` as `charset` into text. Node: `iconv.decode(buf, charset)`
/// (a leading BOM stripped; invalid sequences become U+FFFD; an odd
/// trailing byte of UTF-16 is dropped).
#[doc(alias = "iconv.decode")]
pub fn decode(bytes: &[u8], charset: Charset) -> String {
    let text = match charset {
        Charset::Utf8 => String::from_utf8_lossy(bytes).into_owned(),
        Charset::Utf16Le => utf16(bytes, false),
        Charset::Utf16Be => utf16(bytes, true),
        Charset::Utf16 => utf16(bytes, utf16_is_be(bytes)),
    };
    match text.strip_prefix('\u{feff}') {
        Some(rest) => rest.to_owned(),
        None => text,
    }
}

/// iconv-lite's choice for unlabelled UTF-16: the BOM when there is one,
/// otherwise the byte order with more ASCII characters (a zero high byte)
/// among the first 100 code units; little-endian on a tie.
fn utf16_is_be(bytes: &[u8]) -> bool {
    match bytes {
        [0xff, 0xfe, ..] => return false,
        [0xfe, 0xff, ..] => return true,
        _ => {}
    }
    let (mut le, mut be) = (0usize, 0usize);
    for pair in bytes.chunks_exact(2).take(100) {
        if pair[0] == 0 && pair[1] != 0 {
            be += 1;
        }
        if pair[0] != 0 && pair[1] == 0 {
            le += 1;
        }
    }
    be > le
}

fn utf16(bytes: &[u8], be: bool) -> String {
    let units = bytes.chunks_exact(2).map(|p| {
        if be {
            u16::from_be_bytes([p[0], p[1]])
        } else {
            u16::from_le_bytes([p[0], p[1]])
        }
    });
    char::decode_utf16(units)
        .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_and_boms() {
        assert_eq!(Charset::from_label("UTF-8"), Some(Charset::Utf8));
        assert_eq!(Charset::from_label("utf-1-6"), Some(Charset::Utf16));
        assert_eq!(Charset::from_label("utf-16le:1234"), Some(Charset::Utf16Le));
        assert_eq!(Charset::from_label("utf-32"), None);
        assert_eq!(Charset::from_label("utf-9"), None);
        assert_eq!(decode(b"\xef\xbb\xbf{}", Charset::Utf8), "{}");
        assert_eq!(decode(b"\xfe\xff\x00{\x00}", Charset::Utf16), "{}");
        assert_eq!(decode(b"{\x00}\x00", Charset::Utf16), "{}");
        assert_eq!(decode(b"\x00{\x00}", Charset::Utf16), "{}");
        assert_eq!(decode(b"{\x00}\x00!", Charset::Utf16Le), "{}");
    }
}
