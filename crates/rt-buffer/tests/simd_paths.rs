//! The AVX-512 kernels' inputs (rt-buffer's `raw` module) against node:
//! long latin1 / utf16le / base64 texts with the characters that make a
//! kernel stop and hand over (non-Latin-1 and astral characters, surrogates,
//! padding, whitespace, garbage) at every kind of position, and lengths
//! around each block size. Plus a no-panic sweep over sub-slices at every
//! alignment. Set `RT_BUFFER_NO_AVX512=1` to run the same cases on the
//! scalar paths.

mod common;

use common::{hex, node_json, unhex};
use rt_buffer::{Buffer, Encoding};
use rt_tests::node::node_or_skip;
use rt_tests::rng::Rng;
use serde_json::json;

/// A length that favours the kernels' edges: around multiples of 32 and 64.
fn edge_len(rng: &mut Rng) -> usize {
    match rng.below(3) {
        0 => rng.below(300) as usize,
        1 => (32 * rng.below(40) as i64 + rng.range(-2, 2)).max(0) as usize,
        _ => rng.below(3000) as usize,
    }
}

/// Mostly one kind of text (`main`), with rare characters of other kinds.
fn text(rng: &mut Rng, main: fn(&mut Rng) -> char) -> String {
    let len = edge_len(rng);
    let rare = 1 + rng.below(200);
    let mut s = String::new();
    while s.len() < len {
        let c = if rng.below(rare * 4) == 0 {
            *rng.pick(&[
                '😀',
                '€',
                'Ł',
                '\u{ffff}',
                '\u{10ffff}',
                'é',
                '\0',
                '\u{7ff}',
                '\u{800}',
            ])
        } else {
            main(rng)
        };
        s.push(c);
    }
    s
}

fn latin1_char(rng: &mut Rng) -> char {
    char::from(rng.below(256) as u8)
}

fn cjk_char(rng: &mut Rng) -> char {
    match rng.below(6) {
        0 => char::from(rng.below(128) as u8),
        1 => char::from_u32(0x80 + rng.below(0x780) as u32).unwrap_or('é'),
        _ => char::from_u32(0x4e00 + rng.below(0x5000) as u32).unwrap_or('世'),
    }
}

/// UTF-16LE bytes: mostly BMP characters, with lone and paired surrogates
/// and an odd last byte now and then.
fn utf16_bytes(rng: &mut Rng) -> Vec<u8> {
    let units = edge_len(rng) / 2;
    let rare = 1 + rng.below(100);
    let mut out = Vec::with_capacity(units * 2 + 1);
    for _ in 0..units {
        let u = if rng.below(rare * 2) == 0 {
            0xd800 + rng.below(0x800) as u16
        } else {
            cjk_char(rng) as u16
        };
        out.extend(u.to_le_bytes());
    }
    if rng.chance(1, 4) {
        out.push(0x41);
    }
    out
}

/// base64 or base64url of random bytes, sometimes with a blemish Node's
/// lenient decoder deals with (whitespace, garbage, padding in the middle).
fn base64_text(rng: &mut Rng) -> String {
    let n = edge_len(rng);
    let data = rng.bytes(n);
    let enc = if rng.chance(1, 2) {
        Encoding::Base64
    } else {
        Encoding::Base64url
    };
    let mut s = Buffer::from(data).to_string(enc);
    if rng.chance(1, 2) && !s.is_empty() {
        let at = rng.below(s.len() as u64) as usize;
        let what = *rng.pick(&[" ", "\n", "=", "!", "é", "==", "-", "_", "+", "/"]);
        s.insert_str(at, what);
    }
    s
}

#[test]
fn long_texts_match_node() {
    let Some(node) = node_or_skip("long_texts_match_node") else {
        return;
    };
    const SCRIPT: &str = r#"
const input = JSON.parse(require('fs').readFileSync(0, 'utf8'));
const out = input.map(([op, enc, arg]) => op === 'from'
  ? Buffer.from(arg, enc).toString('hex')
  : Buffer.from(arg, 'hex').toString(enc).toWellFormed());
process.stdout.write(JSON.stringify(out));
"#;
    let mut rng = Rng::new(0x51d);
    // (op, encoding, argument): "from" takes a string, "to" hex bytes.
    let mut cases: Vec<(&str, Encoding, String)> = Vec::new();
    for _ in 0..250 {
        cases.push(("from", Encoding::Latin1, text(&mut rng, latin1_char)));
        cases.push(("from", Encoding::Ascii, text(&mut rng, latin1_char)));
        let n = edge_len(&mut rng);
        cases.push(("to", Encoding::Latin1, hex(&rng.bytes(n))));
        cases.push(("from", Encoding::Utf16le, text(&mut rng, cjk_char)));
        cases.push(("to", Encoding::Utf16le, hex(&utf16_bytes(&mut rng))));
        cases.push(("from", Encoding::Base64, base64_text(&mut rng)));
        cases.push(("from", Encoding::Base64url, base64_text(&mut rng)));
    }
    let input = json!(
        cases
            .iter()
            .map(|(op, enc, arg)| json!([op, enc.name(), arg]))
            .collect::<Vec<_>>()
    );
    let out = node_json(&node, SCRIPT, &input);
    let out = out.as_array().expect("array");
    assert_eq!(out.len(), cases.len(), "node answered every case");
    assert_eq!(cases.len(), 1_750);
    let mut failures = Vec::new();
    for ((op, enc, arg), want) in cases.iter().zip(out) {
        let want = want.as_str().expect("string");
        let ours = if *op == "from" {
            hex(&Buffer::from_str(arg, *enc))
        } else {
            Buffer::from(unhex(arg)).to_string(*enc)
        };
        if ours != want {
            let (o, w): (String, String) = (ours.chars().take(80).collect(), want.chars().take(80).collect());
            failures.push(format!(
                "{op} {enc} (arg {} chars): rt {o}... node {w}...",
                arg.len()
            ));
        }
    }
    rt_tests::diff::assert_none_differ("long_texts_match_node", &failures, cases.len());
}

/// `toString('base64' | 'base64url')` of random bytes of lengths around the
/// AVX-512 encoder's 48-byte block (and long ones) against node.
#[test]
fn base64_encode_matches_node() {
    let Some(node) = node_or_skip("base64_encode_matches_node") else {
        return;
    };
    const SCRIPT: &str = r#"
const input = JSON.parse(require('fs').readFileSync(0, 'utf8'));
const out = input.map(([enc, h]) => Buffer.from(h, 'hex').toString(enc));
process.stdout.write(JSON.stringify(out));
"#;
    let mut rng = Rng::new(0xb64e);
    let mut cases: Vec<(Encoding, Vec<u8>)> = Vec::new();
    for k in 0..600 {
        let len = match k % 3 {
            0 => rng.below(200) as usize,
            1 => (48 * rng.below(60) as i64 + rng.range(-3, 3)).max(0) as usize,
            _ => rng.below(20_000) as usize,
        };
        let enc = if k % 2 == 0 {
            Encoding::Base64
        } else {
            Encoding::Base64url
        };
        cases.push((enc, rng.bytes(len)));
    }
    let input = json!(
        cases
            .iter()
            .map(|(e, b)| json!([e.name(), hex(b)]))
            .collect::<Vec<_>>()
    );
    let out = node_json(&node, SCRIPT, &input);
    let out = out.as_array().expect("array");
    assert_eq!(out.len(), cases.len(), "node answered every case");
    assert_eq!(cases.len(), 600);
    let mut failures = Vec::new();
    for ((enc, bytes), want) in cases.iter().zip(out) {
        let ours = Buffer::from(bytes.as_slice()).to_string(*enc);
        if ours != want.as_str().expect("string") {
            failures.push(format!("{enc} of {} bytes: rt {:.60}...", bytes.len(), ours));
        }
    }
    rt_tests::diff::assert_none_differ("base64_encode_matches_node", &failures, cases.len());
}

/// Every encoding over sub-slices at every alignment of a few long inputs:
/// no panic, and each result agrees with the same call on a fresh copy
/// (so a kernel reading out of its slice would show as a difference).
#[test]
fn sub_slices_never_panic() {
    let mut rng = Rng::new(0xa11);
    let mut calls = 0usize;
    for _ in 0..6 {
        let mut bytes = rng.bytes(700);
        bytes.extend(utf16_bytes(&mut rng).iter().take(400));
        let s = text(&mut rng, cjk_char) + &text(&mut rng, latin1_char);
        let buf = Buffer::from(bytes.clone());
        for start in 0..70 {
            let end = bytes.len() - rng.below(70) as usize;
            let view = buf.subarray(start as i64, end as i64);
            let copy = Buffer::from(bytes[start..end].to_vec());
            for enc in Encoding::ALL {
                assert_eq!(view.to_string(enc), copy.to_string(enc), "{enc} {start}..{end}");
                calls += 1;
            }
            let mut at = start.min(s.len());
            while !s.is_char_boundary(at) {
                at += 1;
            }
            for enc in Encoding::ALL {
                let piece = &s[at..];
                assert_eq!(
                    Buffer::from_str(piece, enc),
                    Buffer::from_str(String::from(piece).as_str(), enc)
                );
                calls += 1;
            }
        }
    }
    assert_eq!(calls, 6 * 70 * 14);
    eprintln!("sub_slices_never_panic: {calls} calls");
}
