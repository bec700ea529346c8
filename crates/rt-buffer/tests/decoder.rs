//! StringDecoder against node: every split of a few hundred byte strings,
//! byte-at-a-time feeding, and end() with and without a last chunk.

mod common;

use common::{hard_bytes, hex, node_answers, node_json};
use rt_buffer::{Encoding, StringDecoder};
use rt_tests::node::node_or_skip;
use rt_tests::rng::Rng;
use serde_json::json;

const SCRIPT: &str = r#"
const { StringDecoder } = require('string_decoder');
const input = JSON.parse(require('fs').readFileSync(0, 'utf8'));
const out = input.map(([enc, chunks, endWithLast]) => {
  const d = new StringDecoder(enc);
  const bufs = chunks.map((h) => Buffer.from(h, 'hex'));
  const pieces = [];
  for (let i = 0; i < bufs.length; i++) {
    if (endWithLast && i === bufs.length - 1) pieces.push(d.end(bufs[i]));
    else pieces.push(d.write(bufs[i]));
  }
  if (!endWithLast) pieces.push(d.end());
  // Each piece as text, then the whole output, then each piece's exact
  // UTF-16 code units (lone surrogates included) as hex.
  return pieces
    .map((p) => p.toWellFormed())
    .concat([pieces.join('').toWellFormed()])
    .concat(pieces.map((p) => Buffer.from(p, 'utf16le').toString('hex')));
});
process.stdout.write(JSON.stringify(out));
"#;

fn run(enc: Encoding, chunks: &[&[u8]], end_with_last: bool) -> Vec<String> {
    let mut d = StringDecoder::new(enc);
    let mut pieces = Vec::new();
    for (i, c) in chunks.iter().enumerate() {
        if end_with_last && i == chunks.len() - 1 {
            pieces.push(d.end_with(c));
        } else {
            pieces.push(d.write(c));
        }
    }
    if !end_with_last {
        pieces.push(d.end());
    }
    let all = pieces.concat();
    pieces.push(all);
    pieces
}

/// What each `write` / `end` call returned, as the hex of its UTF-16 code
/// units (the lossless `*_utf16` face: exactly the JavaScript string's units).
fn run_units(enc: Encoding, chunks: &[&[u8]], end_with_last: bool) -> Vec<String> {
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
        .iter()
        .map(|p| hex(&p.iter().flat_map(|u| u.to_le_bytes()).collect::<Vec<u8>>()))
        .collect()
}

#[test]
fn every_split_matches_node() {
    let Some(node) = node_or_skip("every_split_matches_node") else {
        return;
    };
    let mut rng = Rng::new(0xdec0de);
    let mut cases: Vec<(Encoding, Vec<Vec<u8>>, bool)> = Vec::new();
    for enc in Encoding::ALL {
        for k in 0..40 {
            let mut bytes = hard_bytes(&mut rng);
            bytes.truncate(24);
            // Every split into two chunks.
            for i in 0..=bytes.len() {
                let (a, b) = bytes.split_at(i);
                cases.push((enc, vec![a.to_vec(), b.to_vec()], k % 2 == 0));
            }
            // Every split into three chunks of a shorter prefix.
            let short = &bytes[..bytes.len().min(8)];
            for i in 0..=short.len() {
                for j in i..=short.len() {
                    let chunks = vec![short[..i].to_vec(), short[i..j].to_vec(), short[j..].to_vec()];
                    cases.push((enc, chunks, false));
                }
            }
            // One byte at a time.
            cases.push((enc, bytes.iter().map(|&b| vec![b]).collect(), k % 3 == 0));
        }
    }
    let input = json!(
        cases
            .iter()
            .map(|(e, chunks, end)| json!([e.name(), chunks.iter().map(|c| hex(c)).collect::<Vec<_>>(), end]))
            .collect::<Vec<_>>()
    );
    let out = node_json(&node, SCRIPT, &input);
    assert_eq!(cases.len(), 12_694, "case list changed size");
    let out = node_answers(&out, cases.len(), "StringDecoder");
    let mut failures = Vec::new();
    for ((enc, chunks, end), want) in cases.iter().zip(out) {
        let refs: Vec<&[u8]> = chunks.iter().map(Vec::as_slice).collect();
        let ours = run(*enc, &refs, *end);
        let mut want: Vec<String> = want
            .as_array()
            .expect("pieces")
            .iter()
            .map(|v| v.as_str().expect("str").to_string())
            .collect();
        // Node gave n pieces, the whole text, then the n pieces' units.
        let calls = ours.len() - 1;
        assert_eq!(want.len(), 2 * calls + 1, "node's answer has the wrong shape");
        let want_units = want.split_off(calls + 1);
        // utf16le: `write` (a Rust String) holds a high surrogate back until
        // its partner comes (Node returns it alone), so its text is compared
        // whole; every call's output is compared exactly through `write_utf16`.
        let same = if *enc == Encoding::Utf16le {
            ours.last() == want.last()
        } else {
            ours == want
        };
        if !same {
            failures.push(format!(
                "{enc} {:?} end_with_last={end}: rt {ours:?} node {want:?}",
                chunks.iter().map(|c| hex(c)).collect::<Vec<_>>()
            ));
        }
        let units = run_units(*enc, &refs, *end);
        if units != want_units {
            failures.push(format!(
                "{enc} {:?} end_with_last={end}, UTF-16 units of each call: rt {units:?} node {want_units:?}",
                chunks.iter().map(|c| hex(c)).collect::<Vec<_>>()
            ));
        }
    }
    rt_tests::diff::assert_none_differ("every_split_matches_node", &failures, cases.len());
}
