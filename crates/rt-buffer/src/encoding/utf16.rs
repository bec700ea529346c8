//! utf16le (ucs2): encode from a Rust string, decode with U+FFFD for lone surrogates.

/// The number of UTF-16 code units in `s` (JavaScript's `s.length`).
pub(crate) fn utf16_len(s: &str) -> usize {
    if let Some(n) = crate::raw::utf16_len(s.as_bytes()) {
        return n;
    }
    // Every byte that is not a continuation byte starts a char (one unit);
    // 4-byte chars take a second unit. Counted in u8 lanes over 128-byte
    // chunks (at most 128 per counter and chunk), which LLVM vectorises with
    // no scalar remainder but the last chunk's.
    let mut n = 0usize;
    for chunk in s.as_bytes().chunks(128) {
        let (mut starts, mut astral) = (0u8, 0u8);
        for &x in chunk {
            starts += u8::from((x as i8) >= -0x40);
            astral += u8::from(x >= 0xf0);
        }
        n += usize::from(starts) + usize::from(astral);
    }
    n
}

/// `Buffer.from(s, 'utf16le')`.
pub(crate) fn encode_utf16le(s: &str) -> Vec<u8> {
    if s.is_ascii() {
        let mut out = super::zeroed(s.len() * 2);
        for (d, &b) in out.chunks_exact_mut(2).zip(s.as_bytes()) {
            d[0] = b;
        }
        return out;
    }
    // Exact capacity: a Vec whose length is its capacity becomes `Bytes`
    // without another allocation. Not zeroed: the kernel writes into it.
    let mut out = Vec::with_capacity(utf16_len(s) * 2);
    let mut read = 0;
    while read < s.len() {
        // Blocks without four-byte characters through the SIMD kernel, the
        // others (and the whole text without AVX-512) on the scalar path.
        read += crate::raw::utf16le_from_utf8_prefix(&s.as_bytes()[read..], &mut out);
        while !s.is_char_boundary(read) {
            read += 1;
        }
        let end = (read + 32).min(s.len());
        let mut next = read;
        for (at, c) in s[read..].char_indices() {
            if read + at >= end {
                break;
            }
            next = read + at + c.len_utf8();
            let mut units = [0u16; 2];
            for u in c.encode_utf16(&mut units) {
                out.extend_from_slice(&u.to_le_bytes());
            }
        }
        read = next.max(end.min(s.len()));
    }
    out
}

/// `buf.toString('utf16le')`: an odd trailing byte is dropped, and a lone
/// surrogate (which a Rust string cannot hold) becomes U+FFFD.
pub(crate) fn decode_utf16le(bytes: &[u8]) -> String {
    crate::raw::utf8_from_utf16le(bytes)
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
            // Exactly as long as its allocation (so `Bytes::from` takes it as is).
            let v = encode_utf16le(s);
            assert_eq!(v.len(), v.capacity(), "{s}");
        }
        assert_eq!(decode_utf16le(&[0x61, 0, 0x62]), "a");
        assert_eq!(decode_utf16le(&[0x3d, 0xd8, 0x61, 0]), "\u{fffd}a");
        assert_eq!(utf16_units(&[1, 2, 3]), vec![0x0201]);
    }
}
