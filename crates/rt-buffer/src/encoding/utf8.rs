//! utf8: validation through simdutf8, WHATWG replacement on the slow path.

/// Decodes UTF-8 like Node (and the WHATWG decoder): each maximal invalid
/// subpart becomes one U+FFFD.
pub(crate) fn decode_utf8(bytes: &[u8]) -> String {
    match simdutf8::basic::from_utf8(bytes) {
        Ok(s) => s.to_owned(),
        // std's lossy decoder replaces maximal subparts, as WHATWG asks.
        Err(_) => String::from_utf8_lossy(bytes).into_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replacement_per_maximal_subpart() {
        assert_eq!(decode_utf8(b"a\xe2\x82b"), "a\u{fffd}b");
        assert_eq!(decode_utf8(b"\xed\xa0\x80"), "\u{fffd}\u{fffd}\u{fffd}");
        assert_eq!(decode_utf8(b"\xf0\x9f\x98\x80"), "😀");
        assert_eq!(decode_utf8(b"\xff\xfe"), "\u{fffd}\u{fffd}");
    }
}
