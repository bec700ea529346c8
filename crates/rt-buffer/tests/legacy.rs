//! Legacy encodings against node's WHATWG `TextDecoder` (full ICU): decoding
//! of valid and malformed input, whole and streamed; and encode round trips.

mod common;

use common::{hex, node_answers, node_json};
use rt_buffer::LegacyEncoding;
use rt_tests::node::node_or_skip;
use rt_tests::rng::Rng;
use serde_json::json;

/// (label, sample characters, does node's ICU decoder follow WHATWG on malformed input).
///
/// Node's `TextDecoder` is ICU's, not the WHATWG Encoding Standard's: for
/// shift_jis, euc-jp, euc-kr, ibm866, koi8-u, windows-1253 and windows-1255
/// it recovers from malformed bytes differently or maps a few bytes
/// differently, so only valid text is compared there. Node 20 decodes
/// windows-1252 as ISO-8859-1 (0x80 is U+0080, not `€`), a node bug, so
/// windows-1252 is checked by round trip and unit tests, not against node.
const LABELS: &[(&str, &str, bool)] = &[
    ("gbk", "前端开发中文字符串编码测试", true),
    ("gb18030", "前端开发€😀龘", true),
    ("big5", "傳統中文字體測試", true),
    ("shift_jis", "日本語のテキストｶﾀｶﾅ", false),
    ("euc-jp", "日本語のテキスト", false),
    ("iso-2022-jp", "日本語のテキスト", false),
    ("euc-kr", "한국어 텍스트", false),
    ("windows-1250", "Zażółć gęślą jaźń", true),
    ("windows-1251", "Съешь же ещё этих мягких", true),
    ("windows-1253", "Ελληνικά", false),
    ("windows-1254", "İstanbul ğüşöç", true),
    ("windows-1255", "עברית", false),
    ("windows-1256", "العربية", true),
    ("windows-1257", "Ąčęėįšųūž", true),
    ("windows-1258", "đàâêôơư", true),
    ("windows-874", "ภาษาไทย", true),
    ("iso-8859-2", "Zażółć", true),
    ("iso-8859-5", "Привет", true),
    ("iso-8859-7", "Ελληνικά", true),
    ("iso-8859-15", "€ œ Ÿ", true),
    ("koi8-r", "Привет мир", true),
    ("koi8-u", "Привіт світ", false),
    ("ibm866", "Привет", false),
    ("macintosh", "café ∞", true),
    ("utf-16be", "h😀é", true),
    ("utf-16le", "h😀é", true),
];

const SCRIPT: &str = r#"
const input = JSON.parse(require('fs').readFileSync(0, 'utf8'));
const out = input.map(([label, chunks]) => {
  const d = new TextDecoder(label);
  let s = '';
  chunks.forEach((h, i) => { s += d.decode(Buffer.from(h, 'hex'), { stream: i < chunks.length - 1 }); });
  return s.replace(/^\uFEFF/, '');
});
process.stdout.write(JSON.stringify(out));
"#;

fn sample(rng: &mut Rng, pool: &str) -> String {
    let chars: Vec<char> = pool.chars().chain("ab 09,.".chars()).collect();
    let n = rng.below(30) as usize;
    (0..n).map(|_| *rng.pick(&chars)).collect()
}

/// (label, chunks, the text the bytes encode when they are valid).
type Case = (&'static str, Vec<Vec<u8>>, Option<String>);

#[test]
fn windows_1252_and_round_trips_without_node() {
    let w = LegacyEncoding::for_label("windows-1252").expect("label");
    assert_eq!(w.decode(&[0x80, 0x9f, 0xe9]), "€Ÿé");
    assert_eq!(w.encode("€Ÿé"), vec![0x80, 0x9f, 0xe9]);
    let mut rng = Rng::new(1252);
    for &(label, pool, _) in LABELS.iter().chain(&[("windows-1252", "café déjà vu €", true)]) {
        let enc = LegacyEncoding::for_label(label).expect("label");
        for _ in 0..200 {
            let t = sample(&mut rng, pool);
            assert_eq!(enc.decode(&enc.encode(&t)), t, "{label}");
        }
    }
}

#[test]
fn legacy_decoding_matches_node_text_decoder() {
    let Some(node) = node_or_skip("legacy_decoding_matches_node_text_decoder") else {
        return;
    };
    let mut rng = Rng::new(0x1e6ac7);
    let mut cases: Vec<Case> = Vec::new();
    for &(label, pool, malformed) in LABELS {
        let enc = LegacyEncoding::for_label(label).expect("label");
        for i in 0..120 {
            let (bytes, text) = if malformed && i % 3 == 2 {
                // Malformed: random bytes, biased to lead-byte ranges.
                let n = rng.below(24) as usize;
                let b: Vec<u8> = (0..n)
                    .map(|_| {
                        if rng.chance(1, 2) {
                            0x80 | rng.next_u64() as u8
                        } else {
                            rng.next_u64() as u8
                        }
                    })
                    .collect();
                (b, None)
            } else {
                let t = sample(&mut rng, pool);
                (enc.encode(&t), Some(t))
            };
            // Whole, and split into up to 3 chunks at random points.
            cases.push((label, vec![bytes.clone()], text.clone()));
            let a = rng.below(bytes.len() as u64 + 1) as usize;
            let b = a + rng.below((bytes.len() - a) as u64 + 1) as usize;
            cases.push((
                label,
                vec![bytes[..a].to_vec(), bytes[a..b].to_vec(), bytes[b..].to_vec()],
                text,
            ));
        }
    }
    let input = json!(
        cases
            .iter()
            .map(|(l, chunks, _)| json!([l, chunks.iter().map(|c| hex(c)).collect::<Vec<_>>()]))
            .collect::<Vec<_>>()
    );
    let out = node_json(&node, SCRIPT, &input);
    // Per label: 120 texts, each whole and split in three.
    assert_eq!(cases.len(), LABELS.len() * 120 * 2);
    let out = node_answers(&out, cases.len(), "TextDecoder");
    let mut failures = Vec::new();
    let mut icu_pua = 0;
    for ((label, chunks, text), want) in cases.iter().zip(out) {
        let want = want.as_str().expect("string");
        // Node's TextDecoder is ICU's, which maps some byte sequences to
        // Private Use Area characters where the WHATWG Encoding Standard
        // (and encoding_rs, and browsers) has a real character or an error.
        // Those cases cannot be compared with node.
        let pua = want.chars().any(|c| ('\u{e000}'..='\u{f8ff}').contains(&c));
        let mut d = LegacyEncoding::for_label(label).expect("label").decoder();
        let mut got = String::new();
        for (i, c) in chunks.iter().enumerate() {
            if i + 1 == chunks.len() {
                got.push_str(&d.end_with(c));
            } else {
                got.push_str(&d.write(c));
            }
        }
        if pua && text.is_none() {
            icu_pua += 1;
        } else if got != want {
            failures.push(format!(
                "{label} {:?}: rt {got:?} node {want:?}",
                chunks.iter().map(|c| hex(c)).collect::<Vec<_>>()
            ));
        }
        if let Some(t) = text
            && &got != t
        {
            failures.push(format!("{label}: round trip of {t:?} gave {got:?}"));
        }
    }
    assert!(
        icu_pua * 10 < cases.len(),
        "too few comparable cases ({icu_pua} skipped)"
    );
    assert!(
        failures.is_empty(),
        "{} of {} cases differ:\n{}",
        failures.len(),
        cases.len(),
        failures[..failures.len().min(20)].join("\n")
    );
    println!(
        "compared {} cases with node ({icu_pua} more skipped: ICU private-use mappings)",
        cases.len() - icu_pua
    );
}
