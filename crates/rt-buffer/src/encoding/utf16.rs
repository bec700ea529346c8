//! utf16le (ucs2): encode from a Rust string, decode with U+FFFD for lone surrogates.

/// The number of UTF-16 code units in `s` (JavaScript's `s.length`).
pub(crate) fn utf16_len(s: &str) -> usize {
    let b = s.as_bytes();
    // Every byte that is not a continuation byte starts a char (one unit);
    // 4-byte chars take a second unit.
    let mut n = 0usize;
    for &x in b {
        n += usize::from((x as i8) >= -0x40) + usize::from(x >= 0xf0);
    }
    n
}

/// `Buffer.from(s, 'utf16le')`.
pub(crate) fn encode_utf16le(s: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len() * 2);
    if s.is_ascii() {
        for &b in s.as_bytes() {
            out.push(b);
            out.push(0);
        }
        return out;
    }
    for unit in s.encode_utf16() {
        out.extend_from_slice(&unit.to_le_bytes());
    }
    out
}

/// `buf.toString('utf16le')`: an odd trailing byte is dropped, and a lone
/// surrogate (which a Rust string cannot hold) becomes U+FFFD.
pub(crate) fn decode_utf16le(bytes: &[u8]) -> String {
    let units = bytes.chunks_exact(2).map(|p| u16::from_le_bytes([p[0], p[1]]));
    let mut out = String::with_capacity(bytes.len() / 2);
    out.extend(char::decode_utf16(units).map(|r| r.unwrap_or('\u{fffd}')));
    out
}

/// The UTF-16 code units in `bytes` (little-endian; an odd trailing byte is dropped).
pub(crate) fn utf16_units(bytes: &[u8]) -> Vec<u16> {
    bytes
        .chunks_exact(2)
        .map(|p| u16::from_le_bytes([p[0], p[1]]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_lengths() {
        for s in ["", "abc", "h€llo", "😀x", "\u{ffff}\u{10000}"] {
            assert_eq!(utf16_len(s), s.encode_utf16().count());
            assert_eq!(decode_utf16le(&encode_utf16le(s)), s);
        }
        assert_eq!(decode_utf16le(&[0x61, 0, 0x62]), "a");
        assert_eq!(decode_utf16le(&[0x3d, 0xd8, 0x61, 0]), "\u{fffd}a");
        assert_eq!(utf16_units(&[1, 2, 3]), vec![0x0201]);
    }
}
