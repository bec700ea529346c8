//! `rt_web::querystring` against Node v20's own `querystring` module on seeded random inputs
//! and hand cases: parse (sep, eq, maxKeys, custom decoders), stringify (every value kind,
//! custom encoder), escape, unescape, unescapeBuffer.

use rt_tests::rng::Rng;
use rt_web::querystring::{self, ParseOptions, QueryValue, StringifyOptions, StringifyValue, UriError};
use serde_json::{Value, json};

const PIECES: &[&str] = &[
    "a",
    "b",
    "key",
    "0",
    "7",
    "12",
    "4294967295",
    "__proto__",
    "=",
    "==",
    "&",
    "&&",
    ";",
    "+",
    "++",
    "%",
    "%2",
    "%20",
    "%3D",
    "%26",
    "%2B",
    "%zz",
    "%g1",
    "%C3%A9",
    "%E4%B8%AD",
    "%E4%B8",
    "%F0%9F%98%80",
    "%F0%9F%98",
    "%80",
    "%ff",
    "%C0%AF",
    "%ED%A0%80",
    "%F8%80",
    "é",
    "中",
    "😀",
    " ",
    "x",
    "::",
    ":",
    "%%",
    "%2%",
    "=&",
    "&=",
    "%25",
    "%41",
    "hasOwnProperty",
    "constructor",
];
const SEPS: &[Option<&str>] = &[
    None,
    None,
    None,
    Some(";"),
    Some("::"),
    Some("&&"),
    Some("é"),
    Some("😀"),
    Some("ab"),
    Some(""),
];
const EQS: &[Option<&str>] = &[
    None,
    None,
    None,
    Some(":"),
    Some("=="),
    Some("=>"),
    Some("中"),
    Some(""),
];
const MAX_KEYS: &[Option<usize>] = &[None, None, Some(0), Some(1), Some(2), Some(3), Some(1000)];
/// Named decoders the Node side knows too.
const DECODERS: &[&str] = &["", "", "", "upper", "throw_x"];

fn random_string(rng: &mut Rng, max_pieces: u64) -> String {
    let n = rng.below(max_pieces + 1);
    (0..n).map(|_| *rng.pick(PIECES)).collect()
}

fn upper(s: &str) -> Result<String, UriError> {
    Ok(s.to_uppercase())
}
fn throw_x(s: &str) -> Result<String, UriError> {
    if s.contains('x') {
        Err(UriError)
    } else {
        querystring::decode_uri_component(s).map(|d| format!("<{d}>"))
    }
}

const NODE_SCRIPT: &str = r#"
const qs = require('querystring');
const cases = JSON.parse(require('fs').readFileSync(0, 'utf8'));
const decoders = {
  upper: (s) => s.toUpperCase(),
  throw_x: (s) => { if (s.includes('x')) throw new Error('x'); return '<' + decodeURIComponent(s) + '>'; },
};
const fromTagged = (v) => {
  switch (v[0]) {
    case 's': return v[1];
    case 'n': return typeof v[1] === 'string' ? Number(v[1]) : v[1];
    case 'i': return BigInt(v[1]);
    case 'b': return v[1];
    case 'z': return null;
    case 'l': return v[1].map(fromTagged);
  }
};
const out = cases.map((c) => {
  switch (c.op) {
    case 'parse': {
      const opts = {};
      if (c.maxKeys !== null) opts.maxKeys = c.maxKeys;
      if (c.decoder) opts.decodeURIComponent = decoders[c.decoder];
      return Object.entries(qs.parse(c.s, c.sep, c.eq, opts));
    }
    case 'stringify': {
      const obj = {};
      for (const [k, v] of c.obj) obj[k] = fromTagged(v);
      const opts = c.upper ? { encodeURIComponent: (s) => s.toUpperCase() + '!' } : undefined;
      return qs.stringify(obj, c.sep, c.eq, opts);
    }
    case 'escape': return qs.escape(c.s);
    case 'unescape': return qs.unescape(c.s);
    case 'unescapeBuffer': return [...qs.unescapeBuffer(c.s, c.spaces)];
  }
});
process.stdout.write(JSON.stringify(out));
"#;

/// ECMAScript's array-index keys ("0" .. "4294967294" in canonical form) come first in an
/// object's key order, ascending; the rest keep insertion order.
fn js_key_order(entries: Vec<(String, Value)>) -> Vec<(String, Value)> {
    let index_of = |k: &str| -> Option<u64> {
        let n: u64 = k.parse().ok()?;
        (n.to_string() == k && n < 4_294_967_295).then_some(n)
    };
    let (mut ints, rest): (Vec<_>, Vec<_>) = entries.into_iter().partition(|(k, _)| index_of(k).is_some());
    ints.sort_by_key(|(k, _)| index_of(k));
    ints.into_iter().chain(rest).collect()
}

fn parsed_json(p: &querystring::ParsedQuery) -> Value {
    let entries = p
        .iter()
        .map(|(k, v)| {
            let v = match v {
                QueryValue::One(s) => json!(s),
                QueryValue::Many(l) => json!(l),
            };
            (k.to_owned(), v)
        })
        .collect();
    Value::Array(
        js_key_order(entries)
            .into_iter()
            .map(|(k, v)| json!([k, v]))
            .collect(),
    )
}

fn random_value(rng: &mut Rng, depth: u32) -> (Value, StringifyValue) {
    match rng.below(if depth == 0 { 9 } else { 7 }) {
        0..=2 => {
            let s = random_string(rng, 4);
            (json!(["s", s]), StringifyValue::Str(s))
        }
        3 => {
            let n = *rng.pick(&[
                0.0,
                -0.0,
                1.0,
                -3.5,
                123.456,
                1e21,
                -2e22,
                1.5e-7,
                1e-6,
                0.1,
                1e20,
                255.0,
                5e-324,
                1.7976931348623157e308,
            ]);
            (json!(["n", n]), StringifyValue::Number(n))
        }
        4 => {
            let (t, n) = *rng.pick(&[
                ("NaN", f64::NAN),
                ("Infinity", f64::INFINITY),
                ("-Infinity", f64::NEG_INFINITY),
            ]);
            (json!(["n", t]), StringifyValue::Number(n))
        }
        5 => {
            let b = rng.chance(1, 2);
            (json!(["b", b]), StringifyValue::Bool(b))
        }
        6 => {
            let i = rng.range(-1_000_000_000_000, 1_000_000_000_000) as i128 * 1_000_000;
            (json!(["i", i.to_string()]), StringifyValue::Int(i))
        }
        7 => (json!(["z"]), StringifyValue::Empty),
        _ => {
            let n = rng.below(4);
            let (js, rs): (Vec<_>, Vec<_>) = (0..n).map(|_| random_value(rng, depth + 1)).unzip();
            (json!(["l", js]), StringifyValue::List(rs))
        }
    }
}

#[test]
fn querystring_matches_node() {
    let Some(node) = rt_tests::node::node_or_skip("querystring_matches_node") else {
        return;
    };
    let mut rng = Rng::new(0x9e_57_13);
    let mut cases: Vec<Value> = Vec::new();
    let mut ours: Vec<Value> = Vec::new();

    // Hand cases first: the documented examples and the edges.
    let hand_parse: &[&str] = &[
        "foo=bar&abc=xyz&abc=123",
        "",
        "&",
        "=",
        "&&==&&",
        "a",
        "a=",
        "=b",
        "a=b=c",
        "a+b=c+d",
        "a%20b=c%20d",
        "a=%zz",
        "a=%",
        "a=%4",
        "a=%41%",
        "%E4%B8%AD=%E4%B8",
        "a=%80&b=%ff%fe",
        "a=1&a=2&a=3",
        "__proto__=1&constructor=2",
        "a=%2B+%2b",
        "a%=b",
        "a%%41=1",
        "%C0%AF=x",
        "é=中&😀=%F0%9F%98%80",
    ];
    for s in hand_parse {
        cases.push(json!({"op": "parse", "s": s, "sep": null, "eq": null, "maxKeys": null, "decoder": ""}));
        ours.push(parsed_json(&querystring::parse(s)));
    }
    let n_hand = cases.len();

    for _ in 0..4000 {
        let s = random_string(&mut rng, 14);
        let sep = *rng.pick(SEPS);
        let eq = *rng.pick(EQS);
        let max_keys = *rng.pick(MAX_KEYS);
        let decoder = *rng.pick(DECODERS);
        let dec: Option<querystring::DecodeFn<'_>> = match decoder {
            "upper" => Some(&upper),
            "throw_x" => Some(&throw_x),
            _ => None,
        };
        let opts = ParseOptions {
            max_keys: max_keys.unwrap_or(querystring::DEFAULT_MAX_KEYS),
            decode_uri_component: dec,
        };
        cases.push(
            json!({"op": "parse", "s": s, "sep": sep, "eq": eq, "maxKeys": max_keys, "decoder": decoder}),
        );
        ours.push(parsed_json(&querystring::parse_with(&s, sep, eq, &opts)));
    }
    let upper_enc = |s: &str| s.to_uppercase() + "!";
    for _ in 0..2000 {
        let n = rng.below(5);
        let mut js_obj = Vec::new();
        let mut rs_obj: Vec<(String, StringifyValue)> = Vec::new();
        for _ in 0..n {
            // Plain keys only: a JS object cannot hold the same key twice, and integer-like
            // keys would be reordered (stringify's output order is the object's key order).
            let mut k = random_string(&mut rng, 3).replace(|c: char| c.is_ascii_digit(), "d");
            k.push('k');
            if rs_obj.iter().any(|(x, _)| *x == k) {
                continue;
            }
            let (jv, rv) = random_value(&mut rng, 0);
            js_obj.push(json!([k, jv]));
            rs_obj.push((k, rv));
        }
        let sep = *rng.pick(SEPS);
        let eq = *rng.pick(EQS);
        let upper = rng.chance(1, 4);
        let opts = StringifyOptions {
            encode_uri_component: if upper { Some(&upper_enc) } else { None },
        };
        cases.push(json!({"op": "stringify", "obj": js_obj, "sep": sep, "eq": eq, "upper": upper}));
        ours.push(json!(querystring::stringify_with(rs_obj, sep, eq, &opts)));
    }
    for _ in 0..1500 {
        let s = random_string(&mut rng, 8);
        cases.push(json!({"op": "escape", "s": s}));
        ours.push(json!(querystring::escape(&s)));
        cases.push(json!({"op": "unescape", "s": s}));
        ours.push(json!(querystring::unescape(&s)));
        let spaces = rng.chance(1, 2);
        cases.push(json!({"op": "unescapeBuffer", "s": s, "spaces": spaces}));
        ours.push(json!(querystring::unescape_buffer(&s, spaces)));
    }

    let out = node.run_script(NODE_SCRIPT, serde_json::to_string(&cases).unwrap().as_bytes());
    let theirs: Vec<Value> = serde_json::from_slice(&out).expect("node's JSON");
    assert_eq!(theirs.len(), cases.len(), "node answered every case");
    assert_eq!(ours.len(), cases.len());
    assert_eq!(cases.len(), n_hand + 4000 + 2000 + 4500, "cases compared");
    let mut mismatches = 0;
    for ((case, a), b) in cases.iter().zip(&ours).zip(&theirs) {
        if a != b {
            mismatches += 1;
            if mismatches <= 15 {
                eprintln!("MISMATCH {case}\n  rt:   {a}\n  node: {b}");
            }
        }
    }
    println!(
        "querystring: compared {} cases with node {}, {mismatches} differ",
        cases.len(),
        node.version()
    );
    assert_eq!(
        mismatches,
        0,
        "rt and node differ on {mismatches} of {} cases",
        cases.len()
    );
}

#[test]
fn querystring_hand_cases() {
    // Node: querystring.parse('w=%D6%D0%CE%C4&foo=bar', null, null, { decodeURIComponent: gbkDecode })
    let q = querystring::parse("foo=bar&abc=xyz&abc=123");
    assert_eq!(q.get("foo"), Some("bar"));
    assert_eq!(q.get_all("abc"), ["xyz", "123"]);
    assert_eq!(
        q.value("abc"),
        Some(&QueryValue::Many(vec!["xyz".into(), "123".into()]))
    );
    assert_eq!(q.get("none"), None);
    assert!(q.get_all("none").is_empty());
    // maxKeys 1000 by default: the 1001st pair is not read.
    let many: String = (0..1001).map(|i| format!("k{i}=v&")).collect();
    assert_eq!(querystring::parse(&many).len(), 1000);
    let opts = ParseOptions {
        max_keys: 0,
        ..Default::default()
    };
    assert_eq!(querystring::parse_with(&many, None, None, &opts).len(), 1001);
    assert_eq!(querystring::unescape("%zz%41"), "%zzA");
    assert_eq!(querystring::unescape("%E4%B8"), "\u{FFFD}");
    assert_eq!(querystring::escape("a b&é"), "a%20b%26%C3%A9");
    assert_eq!(
        querystring::stringify([
            ("foo", StringifyValue::from("bar")),
            ("baz", vec!["qux", "quux"].into()),
            ("corge", "".into())
        ]),
        "foo=bar&baz=qux&baz=quux&corge="
    );
    assert_eq!(
        querystring::stringify_with(
            [("foo", "bar"), ("baz", "qux")],
            Some(";"),
            Some(":"),
            &Default::default()
        ),
        "foo:bar;baz:qux"
    );
    assert_eq!(querystring::js_number_to_string(1e21), "1e+21");
    assert_eq!(querystring::js_number_to_string(1.5e-7), "1.5e-7");
    assert_eq!(querystring::js_number_to_string(123.456), "123.456");
    assert_eq!(querystring::js_number_to_string(-0.0), "0");
}
