//! base64 and base64url: base64-simd on the fast path; Node's lenient decoder
//! (both alphabets, garbage skipped, stop at the first `=`) on the slow path.

use super::{low_bytes, utf16_len};

/// `buf.toString('base64')`: standard alphabet, padded.
pub(crate) fn encode_base64(bytes: &[u8]) -> String {
    encode_with(bytes, &base64_simd::STANDARD)
}

/// `buf.toString('base64url')`: URL alphabet, no padding.
pub(crate) fn encode_base64url(bytes: &[u8]) -> String {
    encode_with(bytes, &base64_simd::URL_SAFE_NO_PAD)
}

/// Whole 48-byte blocks through rt-buffer's AVX-512 kernel, the rest (all of
/// it without AVX-512) through base64-simd with the same alphabet.
fn encode_with(bytes: &[u8], codec: &base64_simd::Base64) -> String {
    let mut out = String::with_capacity(codec.encoded_length(bytes.len()));
    let read = crate::raw::base64_encode_prefix(bytes, codec.charset(), &mut out);
    codec.encode_append(&bytes[read..], &mut out);
    out
}

/// Node's `base64ByteLength(str, str.length)`.
pub(crate) fn base64_byte_length(s: &str) -> usize {
    let b = s.as_bytes();
    let mut bytes = utf16_len(s);
    let mut end = b.len();
    if end > 0 && b[end - 1] == b'=' {
        bytes -= 1;
        end -= 1;
        if bytes > 1 && b[end - 1] == b'=' {
            bytes -= 1;
        }
    }
    (bytes * 3) >> 2
}

const INVALID: u8 = 0xff;

/// Both alphabets: `+` and `-` are 62, `/` and `_` are 63.
static UNBASE64: [u8; 256] = {
    let mut t = [INVALID; 256];
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut i = 0;
    while i < 64 {
        t[alphabet[i] as usize] = i as u8;
        i += 1;
    }
    t[b'-' as usize] = 62;
    t[b'_' as usize] = 63;
    t
};

/// `Buffer.from(s, 'base64')` / `'base64url'` (the same decoder in Node).
pub(crate) fn decode_base64(s: &str) -> Vec<u8> {
    if s.len() >= 256 {
        // The kernel first: it stops at the first non-ASCII byte anyway, so
        // the whole-string ASCII check below is left to what it does not take.
        let mut out = Vec::with_capacity(s.len() / 4 * 3 + 3);
        let read = crate::raw::base64_decode_prefix(s.as_bytes(), &mut out);
        // The prefix is ASCII: `read` is on a character boundary.
        if read > 0
            && let Some(rest) = s.get(read..)
        {
            out.extend_from_slice(&decode_base64_units(rest));
            return out;
        }
    }
    decode_base64_units(s)
}

/// Node's decoder over the low bytes of `s`'s UTF-16 code units.
fn decode_base64_units(s: &str) -> Vec<u8> {
    match low_bytes(s) {
        None => decode_base64_bytes(s.as_bytes()),
        Some(units) => decode_base64_slow(&units),
    }
}

pub(crate) fn decode_base64_bytes(src: &[u8]) -> Vec<u8> {
    if src.len() >= 256 {
        // Whole blocks of plain base64 / base64url characters through the
        // AVX-512 kernel; Node's decoder starts afresh after such a prefix.
        let mut out = Vec::with_capacity(src.len() / 4 * 3 + 3);
        let read = crate::raw::base64_decode_prefix(src, &mut out);
        if read > 0 {
            out.extend_from_slice(&decode_base64_rest(&src[read..]));
            return out;
        }
    }
    decode_base64_rest(src)
}

fn decode_base64_rest(src: &[u8]) -> Vec<u8> {
    let fast = if src.len().is_multiple_of(4) {
        base64_simd::STANDARD
            .decode_to_vec(src)
            .or_else(|_| base64_simd::URL_SAFE.decode_to_vec(src))
    } else {
        base64_simd::STANDARD_NO_PAD
            .decode_to_vec(src)
            .or_else(|_| base64_simd::URL_SAFE_NO_PAD.decode_to_vec(src))
    };
    match fast {
        Ok(v) => v,
        Err(_) => decode_base64_slow(src),
    }
}

/// Node's lenient decoder: legal characters of either alphabet are taken in
/// order, anything else is skipped, decoding stops at the first `=`; a final
/// group of 2 or 3 characters gives 1 or 2 bytes, a lone final character none.
pub(crate) fn decode_base64_slow(src: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(src.len() / 4 * 3 + 2);
    let mut acc = 0u32;
    let mut n = 0u32;
    for &c in src {
        let v = UNBASE64[c as usize];
        if v == INVALID {
            if c == b'=' {
                break;
            }
            continue;
        }
        acc = (acc << 6) | u32::from(v);
        n += 1;
        if n == 4 {
            out.extend_from_slice(&[(acc >> 16) as u8, (acc >> 8) as u8, acc as u8]);
            acc = 0;
            n = 0;
        }
    }
    match n {
        2 => out.push((acc >> 4) as u8),
        3 => out.extend_from_slice(&[(acc >> 10) as u8, (acc >> 2) as u8]),
        _ => {}
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lenient_decoding() {
        assert_eq!(decode_base64("QUJD"), b"ABC");
        assert_eq!(decode_base64("QUI"), b"AB");
        assert_eq!(decode_base64("QUI="), b"AB");
        assert_eq!(decode_base64("QQ"), b"A");
        assert_eq!(decode_base64("Q"), b"");
        assert_eq!(decode_base64("QU JD\n"), b"ABC");
        assert_eq!(decode_base64("QQ==QUJD"), b"A");
        assert_eq!(decode_base64("QQ\u{141}=QUJD"), vec![0x41, 0x00]);
        assert_eq!(decode_base64("-_-_"), decode_base64("+/+/"));
        assert_eq!(encode_base64(b"\xfb\xff"), "+/8=");
        assert_eq!(encode_base64url(b"\xfb\xff"), "-_8");
    }
}
