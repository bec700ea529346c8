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
