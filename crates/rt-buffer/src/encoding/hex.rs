//! hex: faster-hex both ways; Node's stop-at-the-first-bad-pair rule on the slow path.

use super::{ascii_to_string, low_bytes};

/// `buf.toString('hex')`: two lowercase digits per byte.
pub(crate) fn encode_hex(bytes: &[u8]) -> String {
    let mut out = super::zeroed(bytes.len() * 2);
    // Cannot fail: the output is exactly twice the input.
    if faster_hex::hex_encode(bytes, &mut out).is_err() {
        return String::new();
    }
    ascii_to_string(out)
}

fn unhex(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// `Buffer.from(s, 'hex')`: pairs of digits; stops at the first pair that is
/// not two hex digits; an odd last digit is dropped. Non-ASCII characters are
/// read as the low byte of their UTF-16 code units, as Node does.
pub(crate) fn decode_hex(s: &str) -> Vec<u8> {
    match low_bytes(s) {
        None => decode_hex_bytes(s.as_bytes()),
        Some(units) => decode_hex_bytes(&units),
    }
}

pub(crate) fn decode_hex_bytes(src: &[u8]) -> Vec<u8> {
    let pairs = src.len() / 2;
    let src = &src[..pairs * 2];
    let mut out = super::zeroed(pairs);
    if faster_hex::hex_decode(src, &mut out).is_ok() {
        return out;
    }
    let mut n = 0;
    for pair in src.chunks_exact(2) {
        match (unhex(pair[0]), unhex(pair[1])) {
            (Some(a), Some(b)) => {
                out[n] = (a << 4) | b;
                n += 1;
            }
            _ => break,
        }
    }
    out.truncate(n);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_rules() {
        assert_eq!(encode_hex(&[0xab, 0x01]), "ab01");
        assert_eq!(decode_hex("AB01"), vec![0xab, 0x01]);
        assert_eq!(decode_hex("abc"), vec![0xab]);
        assert_eq!(decode_hex("ab0g12"), vec![0xab]);
        assert_eq!(decode_hex("ab\u{162}c"), vec![0xab, 0xbc]);
        assert_eq!(decode_hex(""), Vec::<u8>::new());
    }
}
