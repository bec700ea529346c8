//! Differential tests: every encoding, both directions, against node.

mod common;

use common::{hard_bytes, hard_string, hex, node_answers, node_json, rough_base64, rough_hex, unhex};
use rt_buffer::{Buffer, Encoding};
use rt_tests::node::node_or_skip;
use rt_tests::rng::Rng;
use serde_json::json;

const CASES: usize = 2_000;

const SCRIPT: &str = r#"
const input = JSON.parse(require('fs').readFileSync(0, 'utf8'));
const decode = input.decode.map(([enc, h]) => {
  const s = Buffer.from(h, 'hex').toString(enc);
  return [s.toWellFormed(), Buffer.from(s, 'utf16le').toString('hex')];
});
const encode = input.encode.map(([enc, s]) => [Buffer.from(s, enc).toString('hex'), Buffer.byteLength(s, enc)]);
process.stdout.write(JSON.stringify({ decode, encode }));
"#;

#[test]
fn every_encoding_both_directions_matches_node() {
    let Some(node) = node_or_skip("every_encoding_both_directions_matches_node") else {
        return;
    };
    let mut rng = Rng::new(0x5eed_b0ff);
    let mut decode = Vec::new();
    let mut encode = Vec::new();
    for enc in Encoding::ALL {
        for _ in 0..CASES {
            decode.push((enc, hard_bytes(&mut rng)));
            let s = match (enc, rng.below(3)) {
                (Encoding::Base64 | Encoding::Base64url, 0 | 1) => rough_base64(&mut rng),
                (Encoding::Hex, 0 | 1) => rough_hex(&mut rng),
                _ => hard_string(&mut rng),
            };
            encode.push((enc, s));
        }
    }
    let input = json!({
        "decode": decode.iter().map(|(e, b)| json!([e.name(), hex(b)])).collect::<Vec<_>>(),
        "encode": encode.iter().map(|(e, s)| json!([e.name(), s])).collect::<Vec<_>>(),
    });
    let out = node_json(&node, SCRIPT, &input);
    let want_cases = Encoding::ALL.len() * CASES;
    assert_eq!((decode.len(), encode.len()), (want_cases, want_cases));
    let node_decode = node_answers(&out["decode"], want_cases, "decode");
    let node_encode = node_answers(&out["encode"], want_cases, "encode");
    let mut failures = Vec::new();
    for ((enc, bytes), got) in decode.iter().zip(node_decode) {
        let buf = Buffer::from(bytes.clone());
        let want = got[0].as_str().expect("string");
        let ours = buf.to_string(*enc);
        if ours != want {
            failures.push(format!("decode {enc} {}: rt {ours:?} node {want:?}", hex(bytes)));
        }
        if *enc == Encoding::Utf16le {
            let units: Vec<u8> = buf.to_utf16().iter().flat_map(|u| u.to_le_bytes()).collect();
            if hex(&units) != got[1].as_str().expect("hex") {
                failures.push(format!("to_utf16 {}", hex(bytes)));
            }
        }
    }
    for ((enc, s), got) in encode.iter().zip(node_encode) {
        let want = unhex(got[0].as_str().expect("hex"));
        let ours = Buffer::from_str(s, *enc);
        if ours != want {
            failures.push(format!(
                "encode {enc} {s:?}: rt {} node {}",
                hex(&ours),
                hex(&want)
            ));
        }
        let want_len = got[1].as_u64().expect("len") as usize;
        if enc.byte_length(s) != want_len {
            failures.push(format!(
                "byte_length {enc} {s:?}: rt {} node {want_len}",
                enc.byte_length(s)
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} mismatches, first ones:\n{}",
        failures.len(),
        failures[..failures.len().min(20)].join("\n")
    );
    println!(
        "compared {} decode and {} encode cases with node",
        decode.len(),
        encode.len()
    );
}

#[test]
fn round_trips() {
    let mut rng = Rng::new(7);
    for _ in 0..3_000 {
        let n = rng.below(300) as usize;
        let bytes = rng.bytes(n);
        let buf = Buffer::from(bytes.clone());
        for enc in [
            Encoding::Base64,
            Encoding::Base64url,
            Encoding::Hex,
            Encoding::Latin1,
        ] {
            assert_eq!(Buffer::from_str(&buf.to_string(enc), enc), bytes, "{enc}");
        }
        let s = hard_string(&mut rng);
        for enc in [Encoding::Utf8, Encoding::Utf16le] {
            assert_eq!(Buffer::from_str(&s, enc).to_string(enc), s, "{enc}");
        }
        let even = &bytes[..bytes.len() & !1];
        let units = Buffer::from(even).to_utf16();
        let back: Vec<u8> = units.iter().flat_map(|u| u.to_le_bytes()).collect();
        assert_eq!(back, even);
        let ascii: String = s.chars().filter(char::is_ascii).collect();
        assert_eq!(
            Buffer::from_str(&ascii, Encoding::Ascii).to_string(Encoding::Ascii),
            ascii
        );
    }
}

/// Node's side of the bulk comparison: like [`SCRIPT`], but the UTF-16 units
/// only for `utf16le` (they would be 4 times each string's size).
const BULK_SCRIPT: &str = r#"
const input = JSON.parse(require('fs').readFileSync(0, 'utf8'));
const decode = input.decode.map(([enc, h]) => {
  const s = Buffer.from(h, 'hex').toString(enc);
  return [s.toWellFormed(), enc === 'utf16le' ? Buffer.from(s, 'utf16le').toString('hex') : ''];
});
const encode = input.encode.map(([enc, s]) => [Buffer.from(s, enc).toString('hex'), Buffer.byteLength(s, enc)]);
process.stdout.write(JSON.stringify({ decode, encode }));
"#;

/// The sizes of the bulk cases: past every SIMD block and loop unrolling.
const BULK_SIZES: [usize; 4] = [1 << 10, 16 << 10, 256 << 10, 1 << 20];

/// The kinds of bulk input, per encoding and direction.
const BULK_KINDS: [&str; 3] = ["rough", "defects", "clean"];

/// Repeats `piece` until `size` bytes, then cuts to exactly `size`.
fn fill_bytes(rng: &mut Rng, size: usize, mut piece: impl FnMut(&mut Rng) -> Vec<u8>) -> Vec<u8> {
    let mut out = Vec::with_capacity(size + 512);
    while out.len() < size {
        out.extend(piece(rng));
    }
    out.truncate(size);
    out
}

/// Repeats `piece` until `size` bytes of UTF-8, cut at a character boundary.
fn fill_string(rng: &mut Rng, size: usize, mut piece: impl FnMut(&mut Rng) -> String) -> String {
    let mut out = String::with_capacity(size + 512);
    while out.len() < size {
        out.push_str(&piece(rng));
    }
    let cut = (0..=size).rev().find(|&i| out.is_char_boundary(i)).unwrap_or(0);
    out.truncate(cut);
    out
}

/// Positions for a few defects: random ones, and one in the last 64 bytes
/// (after the last whole SIMD block).
fn defect_positions(rng: &mut Rng, len: usize) -> Vec<usize> {
    let mut at: Vec<usize> = (0..1 + rng.below(3))
        .map(|_| rng.below(len as u64 + 1) as usize)
        .collect();
    at.push(len.saturating_sub(rng.below(64) as usize));
    at.sort_unstable();
    at
}

/// Bytes to decode with `enc`: `rough` is the hard-byte generator end to end,
/// `defects` a long valid run for `enc` with a few malformed pieces in it,
/// `clean` ASCII (the fast paths' best case).
fn bulk_bytes(rng: &mut Rng, enc: Encoding, kind: &str, size: usize) -> Vec<u8> {
    match kind {
        "rough" => fill_bytes(rng, size, hard_bytes),
        "defects" => {
            let mut b = match enc {
                Encoding::Utf8 | Encoding::Utf16le => {
                    let s = fill_string(rng, size, hard_string);
                    Buffer::from_str(&s, enc).to_vec()
                }
                _ => rng.bytes(size),
            };
            b.truncate(size);
            const BAD: &[&[u8]] = &[
                b"\xff",
                b"\xc3",
                b"\xe2\x82",
                b"\xed\xa0\x80",
                b"\xf0\x9f\x98",
                b"\x00\xd8",
                b"\x00\xdc",
                b"\x3d\xd8a",
            ];
            for at in defect_positions(rng, b.len()).into_iter().rev() {
                let bad = *rng.pick(BAD);
                b.splice(at..at, bad.iter().copied());
            }
            b
        }
        _ => fill_bytes(rng, size, |r| {
            let n = 1 + r.below(80) as usize;
            r.bytes(n).iter().map(|x| b' ' + x % 95).collect()
        }),
    }
}

/// A string to encode with `enc`: `rough` is the hard-string (or rough
/// base64 / hex) generator end to end, `defects` a long valid text for `enc`
/// with a few bad characters in it, `clean` a valid text for `enc`.
fn bulk_string(rng: &mut Rng, enc: Encoding, kind: &str, size: usize) -> String {
    let valid = |rng: &mut Rng| -> String {
        match enc {
            Encoding::Base64 | Encoding::Base64url | Encoding::Hex => {
                let data = rng.bytes(size * 3 / 4 + 3);
                let mut s = Buffer::from(data).to_string(enc);
                s.truncate(size);
                s
            }
            _ => fill_string(rng, size, |r| {
                let n = 1 + r.below(80) as usize;
                r.bytes(n).iter().map(|x| char::from(b' ' + x % 95)).collect()
            }),
        }
    };
    match (kind, enc) {
        ("rough", Encoding::Base64 | Encoding::Base64url) => fill_string(rng, size, rough_base64),
        ("rough", Encoding::Hex) => fill_string(rng, size, rough_hex),
        ("rough", _) => fill_string(rng, size, hard_string),
        ("defects", _) => {
            let mut s = valid(rng);
            const BAD: &[&str] = &[
                " ", "\n", "=", "==", "!", "é", "€", "😀", "g", "-", "_", "\u{ffff}", "ÿ",
            ];
            for at in defect_positions(rng, s.len()).into_iter().rev() {
                let at = (0..=at).rev().find(|&i| s.is_char_boundary(i)).unwrap_or(0);
                let bad: &str = rng.pick::<&str>(BAD);
                s.insert_str(at, bad);
            }
            s
        }
        _ => valid(rng),
    }
}

/// The first index where `a` and `b` differ (or the shorter length).
fn first_difference<T: PartialEq>(a: &[T], b: &[T]) -> usize {
    a.iter()
        .zip(b)
        .position(|(x, y)| x != y)
        .unwrap_or(a.len().min(b.len()))
}

#[test]
fn every_encoding_both_directions_matches_node_in_bulk() {
    let Some(node) = node_or_skip("every_encoding_both_directions_matches_node_in_bulk") else {
        return;
    };
    let mut rng = Rng::new(0xb01c_5eed);
    let mut decode = Vec::new();
    let mut encode = Vec::new();
    for size in BULK_SIZES {
        for enc in Encoding::ALL {
            for kind in BULK_KINDS {
                decode.push((enc, kind, size, bulk_bytes(&mut rng, enc, kind, size)));
                encode.push((enc, kind, size, bulk_string(&mut rng, enc, kind, size)));
            }
        }
    }
    let want_cases = BULK_SIZES.len() * Encoding::ALL.len() * BULK_KINDS.len();
    assert_eq!((decode.len(), encode.len()), (want_cases, want_cases));
    let input = json!({
        "decode": decode.iter().map(|(e, _, _, b)| json!([e.name(), hex(b)])).collect::<Vec<_>>(),
        "encode": encode.iter().map(|(e, _, _, s)| json!([e.name(), s])).collect::<Vec<_>>(),
    });
    let out = node_json(&node, BULK_SCRIPT, &input);
    let node_decode = node_answers(&out["decode"], want_cases, "bulk decode");
    let node_encode = node_answers(&out["encode"], want_cases, "bulk encode");
    let mut failures = Vec::new();
    for ((enc, kind, size, bytes), got) in decode.iter().zip(node_decode) {
        let buf = Buffer::from(bytes.clone());
        let want = got[0].as_str().expect("string");
        let ours = buf.to_string(*enc);
        if ours != want {
            let at = first_difference(ours.as_bytes(), want.as_bytes());
            failures.push(format!(
                "decode {enc} {kind} {size} B: rt and node differ from output byte {at} (rt {} bytes, node {})",
                ours.len(),
                want.len()
            ));
        }
        if *enc == Encoding::Utf16le {
            let units: Vec<u8> = buf.to_utf16().iter().flat_map(|u| u.to_le_bytes()).collect();
            let want = unhex(got[1].as_str().expect("hex"));
            if units != want {
                let at = first_difference(&units, &want);
                failures.push(format!("to_utf16 {kind} {size} B: differs from byte {at}"));
            }
        }
    }
    for ((enc, kind, size, s), got) in encode.iter().zip(node_encode) {
        let want = unhex(got[0].as_str().expect("hex"));
        let ours = Buffer::from_str(s, *enc);
        if ours != want {
            let at = first_difference(&ours, &want);
            failures.push(format!(
                "encode {enc} {kind} {size} B: rt and node differ from output byte {at} (rt {} bytes, node {})",
                ours.len(),
                want.len()
            ));
        }
        let want_len = got[1].as_u64().expect("len") as usize;
        if enc.byte_length(s) != want_len {
            failures.push(format!(
                "byte_length {enc} {kind} {size} B: rt {} node {want_len}",
                enc.byte_length(s)
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures[..failures.len().min(20)].join("\n")
    );
    println!(
        "compared {} decode and {} encode cases of 1 KiB to 1 MiB with node",
        decode.len(),
        encode.len()
    );
}
