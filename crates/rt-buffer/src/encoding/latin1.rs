//! latin1 (binary) and ascii.

use super::ascii_to_string;

/// `Buffer.from(s, 'latin1')` (and `'ascii'`): each UTF-16 code unit's low byte.
pub(crate) fn encode_latin1(s: &str) -> Vec<u8> {
    if s.is_ascii() {
        return s.as_bytes().to_vec();
    }
    // Exact capacity: a Vec whose length is its capacity becomes `Bytes`
    // without another allocation. Not zeroed: the kernel writes into it.
    let mut out = Vec::with_capacity(super::utf16_len(s));
    // The Latin-1-only prefix (usually all of it) through the SIMD kernel.
    let read = crate::raw::latin1_from_utf8_prefix(s.as_bytes(), &mut out);
    let mut at = read.min(s.len());
    while !s.is_char_boundary(at) {
        at += 1;
    }
    for c in s[at..].chars() {
        let c = c as u32;
        if c < 0x1_0000 {
            out.push(c as u8);
        } else {
            let v = c - 0x1_0000;
            out.extend_from_slice(&[(0xd800 + (v >> 10)) as u8, (0xdc00 + (v & 0x3ff)) as u8]);
        }
    }
    out
}

/// `buf.toString('latin1')`: byte `b` becomes U+00bb.
pub(crate) fn decode_latin1(bytes: &[u8]) -> String {
    crate::raw::utf8_from_latin1(bytes)
}

/// `buf.toString('ascii')`: each byte with its high bit cleared.
pub(crate) fn decode_ascii(bytes: &[u8]) -> String {
    ascii_to_string(bytes.iter().map(|&b| b & 0x7f).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latin1_and_ascii() {
        assert_eq!(encode_latin1("aé€"), vec![0x61, 0xe9, 0xac]);
        assert_eq!(encode_latin1("😀"), vec![0x3d, 0x00]);
        assert_eq!(
            encode_latin1("aé€\u{7ff}\u{ffff}b"),
            vec![0x61, 0xe9, 0xac, 0xff, 0xff, 0x62]
        );
        assert_eq!(encode_latin1("é😀"), vec![0xe9, 0x3d, 0x00]);
        // Exactly as long as its allocation (so `Bytes::from` takes it as is).
        for s in ["é", "aé€😀", &"Größe, café ".repeat(40)] {
            let v = encode_latin1(s);
            assert_eq!(v.len(), v.capacity(), "{s}");
        }
        assert_eq!(decode_latin1(&[0x61, 0xe9, 0xff]), "aéÿ");
        assert_eq!(decode_ascii(&[0x61, 0xe9, 0xff]), "ai\u{7f}");
    }
}
