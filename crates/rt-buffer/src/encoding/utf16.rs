//! utf16le (ucs2): encode from a Rust string, decode with U+FFFD for lone surrogates.

/// The number of UTF-16 code units in `s` (JavaScript's `s.length`).
pub(crate) fn utf16_len(s: &str) -> usize {
    // Every byte that is not a continuation byte starts a char (one unit);
    // 4-byte chars take a second unit. Counted in u8 lanes over 127-byte
    // chunks (at most 254 per chunk), which LLVM vectorises.
    let mut n = 0usize;
    for chunk in s.as_bytes().chunks(127) {
        let mut k = 0u8;
        for &x in chunk {
            k += u8::from((x as i8) >= -0x40) + u8::from(x >= 0xf0);
        }
        n += usize::from(k);
    }
    n
}

/// `Buffer.from(s, 'utf16le')`.
pub(crate) fn encode_utf16le(s: &str) -> Vec<u8> {
    if s.is_ascii() {
        let mut out = vec![0u8; s.len() * 2];
        for (d, &b) in out.chunks_exact_mut(2).zip(s.as_bytes()) {
            d[0] = b;
        }
        return out;
    }
    // Exact length: a Vec whose length is its capacity becomes `Bytes`
    // without another allocation.
    let mut out = vec![0u8; utf16_len(s) * 2];
    for (d, u) in out.chunks_exact_mut(2).zip(s.encode_utf16()) {
        d.copy_from_slice(&u.to_le_bytes());
    }
    out
}

/// `buf.toString('utf16le')`: an odd trailing byte is dropped, and a lone
/// surrogate (which a Rust string cannot hold) becomes U+FFFD.
pub(crate) fn decode_utf16le(bytes: &[u8]) -> String {
    let even = &bytes[..bytes.len() & !1];
    encoding_rs::UTF_16LE
        .decode_without_bom_handling(even)
        .0
        .into_owned()
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
