//! Lossless UTF-16 (lone surrogates, split pairs) and Node's encoding-name
//! fallbacks, against node: `Buffer.from(jsString, enc)`,
//! `buf.toString('ucs2', start, end)`, a StringDecoder whose output is
//! UTF-16 units, and `Buffer.from(s, '')` / `byteLength(s, 'utf9')` /
//! `indexOf(n, 'utf9')`.

mod common;

use common::{hard_bytes, hard_string, hex, node_json, unhex};
use rt_buffer::{Buffer, Encoding, Needle, StringDecoder};
use rt_tests::node::node_or_skip;
use rt_tests::rng::Rng;
use serde_json::{Value, json};

/// JavaScript strings as code units: lone high and low surrogates, pairs,
/// pairs cut at every position, characters of every width, and the base64
/// and hex alphabets (with their low-byte look-alikes such as U+0141).
fn js_units(rng: &mut Rng) -> Vec<u16> {
    let len = match rng.below(8) {
        0 => 0,
        1..=5 => rng.below(12) as usize,
        _ => rng.below(120) as usize,
    };
    let mut out = Vec::new();
    while out.len() < len {
        match rng.below(9) {
            0 => out.push(0xd800 + rng.below(0x400) as u16),
            1 => out.push(0xdc00 + rng.below(0x400) as u16),
            2 => {
                let hi = 0xd800 + rng.below(0x400) as u16;
                let lo = 0xdc00 + rng.below(0x400) as u16;
                out.extend([hi, lo]);
            }
            3 => out.push(rng.below(0x80) as u16),
            4 => out.push(rng.below(0x1_0000) as u16),
            5 => out.push(*rng.pick(&[0xff, 0x80, 0x141, 0x130, 0x166, 0x3d, 0x2b, 0xfffd, 0xffff])),
            _ => {
                let s = hard_string(rng);
                out.extend(s.encode_utf16().take(8));
            }
        }
    }
    out
}

fn units_of(v: &Value) -> Vec<u16> {
    v.as_array()
        .expect("units array")
        .iter()
        .map(|u| u.as_u64().expect("unit") as u16)
        .collect()
}

#[test]
fn from_utf16_matches_node() {
    let Some(node) = node_or_skip("from_utf16_matches_node") else {
        return;
    };
    const SCRIPT: &str = r#"
const input = JSON.parse(require('fs').readFileSync(0, 'utf8'));
const out = input.map(([units, enc]) => Buffer.from(String.fromCharCode(...units), enc).toString('hex'));
process.stdout.write(JSON.stringify(out));
"#;
    let mut rng = Rng::new(0x5f16);
    let mut cases: Vec<(Vec<u16>, Encoding)> = Vec::new();
    for _ in 0..600 {
        let units = js_units(&mut rng);
        for enc in Encoding::ALL {
            cases.push((units.clone(), enc));
        }
    }
    // A surrogate pair cut at every offset of a string.
    let whole: Vec<u16> = "a😀é😀b世".encode_utf16().collect();
    for i in 0..=whole.len() {
        for j in i..=whole.len() {
            for enc in Encoding::ALL {
                cases.push((whole[i..j].to_vec(), enc));
            }
        }
    }
    let input = json!(
        cases
            .iter()
            .map(|(u, e)| json!([u, e.name()]))
            .collect::<Vec<_>>()
    );
    let out = node_json(&node, SCRIPT, &input);
    let out = out.as_array().expect("array");
    assert_eq!(out.len(), cases.len(), "node answered every case");
    assert!(cases.len() >= 4_500, "{} cases", cases.len());
    let mut failures = Vec::new();
    for ((units, enc), want) in cases.iter().zip(out) {
        let ours = Buffer::from_utf16(units, *enc);
        let want = unhex(want.as_str().expect("hex"));
        if ours != want {
            failures.push(format!("{enc} {units:x?}: rt {} node {}", hex(&ours), hex(&want)));
        }
    }
    rt_tests::diff::assert_none_differ("from_utf16_matches_node", &failures, cases.len());
}

#[test]
fn to_utf16_range_matches_node() {
    let Some(node) = node_or_skip("to_utf16_range_matches_node") else {
        return;
    };
    const SCRIPT: &str = r#"
const input = JSON.parse(require('fs').readFileSync(0, 'utf8'));
const out = input.map(([h, enc, start, end]) => {
  const s = Buffer.from(h, 'hex').toString(enc, start, end);
  const units = [];
  for (let i = 0; i < s.length; i++) units.push(s.charCodeAt(i));
  return units;
});
process.stdout.write(JSON.stringify(out));
"#;
    let mut rng = Rng::new(0x7016);
    let mut cases: Vec<(Vec<u8>, &str, i64, i64)> = Vec::new();
    for _ in 0..2_000 {
        let bytes = hard_bytes(&mut rng);
        let len = bytes.len() as i64;
        let start = rng.range(-3, len + 3);
        let end = rng.range(-3, len + 3);
        let enc = *rng.pick(&["utf16le", "ucs2", "UCS-2", "utf-16le"]);
        cases.push((bytes, enc, start, end));
    }
    // A pair split at every byte offset.
    let pair = [0x61, 0x00, 0x3d, 0xd8, 0x00, 0xde, 0x62, 0x00];
    for start in 0..=8 {
        for end in 0..=9 {
            cases.push((pair.to_vec(), "utf16le", start, end));
        }
    }
    let input = json!(
        cases
            .iter()
            .map(|(b, e, s, t)| json!([hex(b), e, s, t]))
            .collect::<Vec<_>>()
    );
    let out = node_json(&node, SCRIPT, &input);
    let out = out.as_array().expect("array");
    assert_eq!(out.len(), cases.len(), "node answered every case");
    assert!(cases.len() >= 2_000, "{} cases", cases.len());
    let mut failures = Vec::new();
    for ((bytes, enc, start, end), want) in cases.iter().zip(out) {
        assert_eq!(Encoding::from_name(enc), Ok(Encoding::Utf16le));
        let ours = Buffer::from(bytes.as_slice()).to_utf16_range(*start, *end);
        let want = units_of(want);
        if ours != want {
            failures.push(format!(
                "{} {start}..{end}: rt {ours:x?} node {want:x?}",
                hex(bytes)
            ));
        }
    }
    rt_tests::diff::assert_none_differ("to_utf16_range_matches_node", &failures, cases.len());
}

/// Feeds `chunks` to a decoder in units mode; the last chunk through
/// `end_with_utf16` when `end_with_last`, else a final `end_utf16()`.
fn decode_units(enc: Encoding, chunks: &[Vec<u8>], end_with_last: bool) -> Vec<Vec<u16>> {
    let mut d = StringDecoder::new(enc);
    let mut pieces = Vec::new();
    for (i, c) in chunks.iter().enumerate() {
        if end_with_last && i == chunks.len() - 1 {
            pieces.push(d.end_with_utf16(c));
        } else {
            pieces.push(d.write_utf16(c));
        }
    }
    if !end_with_last {
        pieces.push(d.end_utf16());
    }
    pieces
}

#[test]
fn string_decoder_units_match_node() {
    let Some(node) = node_or_skip("string_decoder_units_match_node") else {
        return;
    };
    const SCRIPT: &str = r#"
const { StringDecoder } = require('string_decoder');
const input = JSON.parse(require('fs').readFileSync(0, 'utf8'));
const units = (s) => { const u = []; for (let i = 0; i < s.length; i++) u.push(s.charCodeAt(i)); return u; };
const out = input.map(([enc, chunks, endWithLast]) => {
  const d = new StringDecoder(enc);
  const bufs = chunks.map((h) => Buffer.from(h, 'hex'));
  const pieces = [];
  for (let i = 0; i < bufs.length; i++) {
    if (endWithLast && i === bufs.length - 1) pieces.push(d.end(bufs[i]));
    else pieces.push(d.write(bufs[i]));
  }
  if (!endWithLast) pieces.push(d.end());
  return pieces.map(units);
});
process.stdout.write(JSON.stringify(out));
"#;
    let mut rng = Rng::new(0xdec16);
    let mut cases: Vec<(Encoding, Vec<Vec<u8>>, bool)> = Vec::new();
    // Surrogate pairs, lone halves and odd bytes, cut at every offset.
    let tricky: &[&[u8]] = &[
        &[0x3d, 0xd8, 0x00, 0xde],
        &[0x3d, 0xd8, 0x61, 0x00, 0x00, 0xde],
        &[0x3d, 0xd8, 0x3d, 0xd8, 0x00, 0xde, 0x00, 0xde],
        &[0x61, 0x00, 0x3d, 0xd8],
        &[0x00, 0xdc, 0x00, 0xd8, 0x62],
        &[0x3d, 0xd8, 0x00, 0xde, 0x3d],
    ];
    for t in tricky {
        for i in 0..=t.len() {
            for j in i..=t.len() {
                for end in [false, true] {
                    cases.push((
                        Encoding::Utf16le,
                        vec![t[..i].to_vec(), t[i..j].to_vec(), t[j..].to_vec()],
                        end,
                    ));
                }
            }
        }
    }
    for k in 0..300 {
        let enc = if k % 3 == 0 {
            *rng.pick(&Encoding::ALL)
        } else {
            Encoding::Utf16le
        };
        let mut bytes = hard_bytes(&mut rng);
        bytes.truncate(20);
        for i in 0..=bytes.len() {
            let (a, b) = bytes.split_at(i);
            cases.push((enc, vec![a.to_vec(), b.to_vec()], k % 2 == 0));
        }
        cases.push((enc, bytes.iter().map(|&b| vec![b]).collect(), k % 5 == 0));
    }
    let input = json!(
        cases
            .iter()
            .map(|(e, chunks, end)| json!([e.name(), chunks.iter().map(|c| hex(c)).collect::<Vec<_>>(), end]))
            .collect::<Vec<_>>()
    );
    let out = node_json(&node, SCRIPT, &input);
    let out = out.as_array().expect("array");
    assert_eq!(out.len(), cases.len(), "node answered every case");
    assert!(cases.len() >= 3_000, "{} cases", cases.len());
    let mut failures = Vec::new();
    for ((enc, chunks, end), want) in cases.iter().zip(out) {
        let ours = decode_units(*enc, chunks, *end);
        let want: Vec<Vec<u16>> = want.as_array().expect("pieces").iter().map(units_of).collect();
        if ours != want {
            failures.push(format!(
                "{enc} {:?} end_with_last={end}: rt {ours:x?} node {want:x?}",
                chunks.iter().map(|c| hex(c)).collect::<Vec<_>>()
            ));
        }
    }
    rt_tests::diff::assert_none_differ("string_decoder_units_match_node", &failures, cases.len());
}

const NAMES: &[&str] = &[
    "",
    "utf9",
    "bogus",
    "utf8",
    "UTF-8",
    "ucs2",
    "utf16le",
    "latin1",
    "binary",
    "ascii",
    "base64",
    "base64url",
    "hex",
    "HEX",
    "utf16",
    "latin-1",
];

#[test]
fn encoding_name_fallbacks_match_node() {
    let Some(node) = node_or_skip("encoding_name_fallbacks_match_node") else {
        return;
    };
    const SCRIPT: &str = r#"
const input = JSON.parse(require('fs').readFileSync(0, 'utf8'));
const run = (f) => { try { return ['ok', f()]; } catch (e) { return ['err', e.code, e.message]; } };
const out = input.map(([op, s, name, hay, needle, offset]) => {
  switch (op) {
    case 'from': return run(() => Buffer.from(s, name).toString('hex'));
    case 'byteLength': return run(() => Buffer.byteLength(s, name));
    default: {
      const buf = Buffer.from(hay, 'hex');
      const n = needle[0] === 'num' ? needle[1] : needle[0] === 'buf' ? Buffer.from(needle[1], 'hex') : needle[1];
      const args = offset === null ? [n, name] : [n, offset, name];
      return run(() => { const r = buf[op](...args); return typeof r === 'boolean' ? (r ? 1 : -1) : r; });
    }
  }
});
process.stdout.write(JSON.stringify(out));
"#;
    #[derive(Debug)]
    enum Case {
        From(String, &'static str),
        ByteLength(String, &'static str),
        Search(&'static str, Vec<u8>, Value, Option<i64>, &'static str),
    }
    let mut rng = Rng::new(0xe9c0);
    let mut cases = Vec::new();
    for _ in 0..700 {
        let s = hard_string(&mut rng);
        let name = NAMES[rng.below(NAMES.len() as u64) as usize];
        cases.push(Case::From(s.clone(), name));
        cases.push(Case::ByteLength(s, NAMES[rng.below(NAMES.len() as u64) as usize]));
        let hay = hard_bytes(&mut rng);
        let needle = match rng.below(3) {
            0 => json!(["num", rng.below(256)]),
            1 => {
                let at = rng.below(hay.len() as u64 + 1) as usize;
                let n = rng.below(4) as usize;
                json!(["buf", hex(&hay[at..(at + n).min(hay.len())])])
            }
            _ => json!(["str", *rng.pick(&["a", "", "61", "YQ==", "é", "\u{0}"])]),
        };
        let offset = rng
            .chance(1, 3)
            .then(|| rng.range(-(hay.len() as i64) - 2, hay.len() as i64 + 2));
        let op = *rng.pick(&["indexOf", "lastIndexOf", "includes"]);
        cases.push(Case::Search(
            op,
            hay,
            needle,
            offset,
            NAMES[rng.below(NAMES.len() as u64) as usize],
        ));
    }
    let input = json!(
        cases
            .iter()
            .map(|c| match c {
                Case::From(s, n) => json!(["from", s, n, "", [], null]),
                Case::ByteLength(s, n) => json!(["byteLength", s, n, "", [], null]),
                Case::Search(op, hay, needle, offset, n) => json!([op, "", n, hex(hay), needle, offset]),
            })
            .collect::<Vec<_>>()
    );
    let out = node_json(&node, SCRIPT, &input);
    let out = out.as_array().expect("array");
    assert_eq!(out.len(), cases.len(), "node answered every case");
    assert!(cases.len() >= 2_100, "{} cases", cases.len());
    let err = |e: rt_buffer::Error| json!(["err", e.code(), e.to_string()]);
    let found = |r: Option<usize>| json!(["ok", r.map_or(-1, |i| i as i64)]);
    let mut failures = Vec::new();
    for (case, want) in cases.iter().zip(out) {
        let ours = match case {
            Case::From(s, n) => match Buffer::from_str_named(s, n) {
                Ok(b) => json!(["ok", hex(&b)]),
                Err(e) => err(e),
            },
            Case::ByteLength(s, n) => json!(["ok", Buffer::byte_length(s, n)]),
            Case::Search(op, hay, needle, offset, n) => {
                let buf = Buffer::from(hay.as_slice());
                let bytes;
                let needle: Needle<'_> = match needle[0].as_str() {
                    Some("num") => Needle::Byte(needle[1].as_u64().expect("num") as u8),
                    Some("buf") => {
                        bytes = unhex(needle[1].as_str().expect("hex"));
                        Needle::Bytes(&bytes)
                    }
                    _ => Needle::Str(needle[1].as_str().expect("str")),
                };
                let r = match *op {
                    "indexOf" => buf.index_of_named(needle, *offset, n),
                    "lastIndexOf" => buf.last_index_of_named(needle, *offset, n),
                    _ => buf.includes_named(needle, *offset, n).map(|b| b.then_some(1)),
                };
                match r {
                    Ok(r) => found(r),
                    Err(e) => err(e),
                }
            }
        };
        if &ours != want {
            failures.push(format!("{case:?}: rt {ours} node {want}"));
        }
    }
    rt_tests::diff::assert_none_differ("encoding_name_fallbacks_match_node", &failures, cases.len());
}
