//! `rt_web::cookie` against the `cookie` npm package v0.7.2 (what express 4 uses).
//!
//! npm packages are not installed on the test machines and `npm` cannot fetch offline, so
//! the package's answers for the seeded cases are recorded in `tests/fixtures/cookie-0.7.2.json`
//! (inputs and outputs). The test always compares rt with that record. With
//! `RT_NPM_COOKIE=/path/to/cookie` (an unpacked `npm pack cookie@0.7.2`) and `node`, it runs the
//! package itself on the same inputs and checks the record is still what the package says;
//! `RT_REGENERATE=1` rewrites the record from the package.

use std::time::{Duration, UNIX_EPOCH};

use rt_tests::rng::Rng;
use rt_web::cookie::{self, CookieOptions, Priority, SameSite};
use serde_json::{Value, json};

const PARSE_PIECES: &[&str] = &[
    "a=b",
    "; ",
    ";",
    "=",
    " ",
    "\t",
    "\"",
    "%",
    "%20",
    "%E4%B8%AD",
    "%E4%B8",
    "%zz",
    "name",
    "__proto__",
    "x",
    "é",
    ",",
    "==",
    "a",
    "\"q\"",
    "k=v",
    "%41",
    "1",
    "toString",
    "foo=bar",
    "=x",
    "\"\"",
    "  ",
];
const NAMES: &[&str] = &["a", "sid", "connect.sid", "x-y", "!#$%&'*+-.^_`|~", "Z9"];
const BAD_NAMES: &[&str] = &["a b", "a;b", "a=b", "é", "\"q\"", "(x)", "", "k\t"];
const VALUES: &[&str] = &[
    "",
    "1",
    "hello world",
    "a;b",
    "\"quoted\"",
    "\"",
    "é中",
    "100%",
    "x,y",
    "a\\b",
    "s:abc.DEF+/=",
    "\u{7f}",
];
const DOMAINS: &[&str] = &[
    "example.com",
    ".example.com",
    "EXAMPLE.com",
    "a-b.c",
    "-bad.com",
    "bad-.com",
    "a..b",
    "ex ample.com",
    "é.com",
    "localhost",
];
const PATHS: &[&str] = &["/", "/a/b", "/a;b", "/a<b", "/é", "/a b", "/%2F", "/x=y"];
const EXPIRES: &[u64] = &[
    0,
    1_000,
    1_700_000_000_123,
    951_782_400_000,
    4_102_444_800_000,
    253_402_300_800_000,
];

fn parse_case(rng: &mut Rng) -> String {
    let n = rng.below(8);
    (0..n).map(|_| *rng.pick(PARSE_PIECES)).collect()
}

fn js_key_order(entries: Vec<(String, String)>) -> Vec<(String, String)> {
    let index_of = |k: &str| -> Option<u64> {
        let n: u64 = k.parse().ok()?;
        (n.to_string() == k && n < 4_294_967_295).then_some(n)
    };
    let (mut ints, rest): (Vec<_>, Vec<_>) = entries.into_iter().partition(|(k, _)| index_of(k).is_some());
    ints.sort_by_key(|(k, _)| index_of(k));
    ints.into_iter().chain(rest).collect()
}

/// The seeded cases (the record's inputs) and rt's answers.
fn cases() -> (Vec<Value>, Vec<Value>) {
    let mut rng = Rng::new(0x00c0_0c1e);
    let mut inputs = Vec::new();
    let mut ours = Vec::new();
    let hand = [
        "foo=bar; equation=E%3Dmc%5E2",
        "a=1; a=2",
        "a=\"quoted\"",
        "a=\"",
        "a=%E4%B8",
        "a = b ; c = d",
        "noequals; a=b",
        "a=b;; c=d",
        "a",
        "",
        "__proto__=x; b=1",
    ];
    let add_parse = |s: String, inputs: &mut Vec<Value>, ours: &mut Vec<Value>| {
        let parsed = cookie::parse(&s);
        let entries = js_key_order(parsed.iter().map(|(k, v)| (k.to_owned(), v.to_owned())).collect());
        inputs.push(json!({"op": "parse", "s": s}));
        ours.push(json!(entries));
    };
    for s in hand {
        add_parse(s.to_owned(), &mut inputs, &mut ours);
    }
    for _ in 0..1500 {
        let s = parse_case(&mut rng);
        add_parse(s, &mut inputs, &mut ours);
    }
    for _ in 0..800 {
        let name = if rng.chance(4, 5) {
            *rng.pick(NAMES)
        } else {
            *rng.pick(BAD_NAMES)
        };
        let value = *rng.pick(VALUES);
        let raw = rng.chance(1, 3);
        let mut o = CookieOptions::default();
        let mut js = json!({"op": "serialize", "name": name, "value": value, "raw": raw});
        if rng.chance(1, 3) {
            let age = rng.range(-5, 100_000);
            o.max_age = Some(age);
            js["maxAge"] = json!(age);
        }
        if rng.chance(1, 3) {
            let d = *rng.pick(DOMAINS);
            o.domain = Some(d.into());
            js["domain"] = json!(d);
        }
        if rng.chance(1, 3) {
            let p = *rng.pick(PATHS);
            o.path = Some(p.into());
            js["path"] = json!(p);
        }
        if rng.chance(1, 3) {
            let ms = *rng.pick(EXPIRES);
            o.expires = Some(UNIX_EPOCH + Duration::from_millis(ms));
            js["expires"] = json!(ms);
        }
        o.http_only = rng.chance(1, 3);
        o.secure = rng.chance(1, 3);
        o.partitioned = rng.chance(1, 4);
        js["httpOnly"] = json!(o.http_only);
        js["secure"] = json!(o.secure);
        js["partitioned"] = json!(o.partitioned);
        if rng.chance(1, 3) {
            let (p, s) = *rng.pick(&[
                (Priority::Low, "low"),
                (Priority::Medium, "Medium"),
                (Priority::High, "HIGH"),
            ]);
            o.priority = Some(p);
            js["priority"] = json!(s);
        }
        if rng.chance(1, 3) {
            let choices = [
                (SameSite::Strict, json!(true)),
                (SameSite::Strict, json!("strict")),
                (SameSite::Lax, json!("Lax")),
                (SameSite::None, json!("none")),
            ];
            let (ss, s) = rng.pick(&choices);
            o.same_site = Some(*ss);
            js["sameSite"] = s.clone();
        }
        let out = if raw {
            cookie::serialize_with(name, value, &o, &|v| v.to_owned())
        } else {
            cookie::serialize(name, value, &o)
        };
        inputs.push(js);
        ours.push(match out {
            Ok(s) => json!({"ok": s}),
            Err(e) => json!({"err": e.to_string()}),
        });
    }
    (inputs, ours)
}

const NODE_SCRIPT: &str = r#"
const cookie = require(process.env.RT_NPM_COOKIE);
const cases = JSON.parse(require('fs').readFileSync(0, 'utf8'));
const out = cases.map((c) => {
  if (c.op === 'parse') return Object.entries(cookie.parse(c.s));
  const opts = {};
  for (const k of ['maxAge', 'domain', 'path', 'httpOnly', 'secure', 'partitioned', 'priority', 'sameSite']) if (k in c) opts[k] = c[k];
  if ('expires' in c) opts.expires = new Date(c.expires);
  if (c.raw) opts.encode = (v) => v;
  try { return { ok: cookie.serialize(c.name, c.value, opts) }; } catch (e) { return { err: e.message }; }
});
process.stdout.write(JSON.stringify(out));
"#;

const RECORD: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/cookie-0.7.2.json");

#[test]
fn cookie_matches_npm_cookie() {
    let (inputs, ours) = cases();
    assert_eq!(inputs.len(), 11 + 1500 + 800);

    if let Ok(pkg) = std::env::var("RT_NPM_COOKIE") {
        if let Some(node) = rt_tests::node::node_or_skip("cookie_matches_npm_cookie (live)") {
            let mut cmd_script = String::from("process.env.RT_NPM_COOKIE = ");
            cmd_script.push_str(&serde_json::to_string(&pkg).unwrap());
            cmd_script.push_str(";\n");
            cmd_script.push_str(NODE_SCRIPT);
            let out = node.run_script(&cmd_script, serde_json::to_string(&inputs).unwrap().as_bytes());
            let live: Vec<Value> = serde_json::from_slice(&out).expect("node's JSON");
            assert_eq!(live.len(), inputs.len());
            if std::env::var("RT_REGENERATE").is_ok_and(|v| v == "1") {
                let record = json!({"package": "cookie@0.7.2", "inputs": inputs, "outputs": live});
                std::fs::write(RECORD, serde_json::to_string(&record).unwrap()).expect("write the record");
                println!("cookie: record rewritten from {pkg}");
            }
            let record: Value = serde_json::from_str(&std::fs::read_to_string(RECORD).unwrap()).unwrap();
            assert_eq!(
                record["outputs"].as_array().unwrap(),
                &live,
                "the record is what the package says"
            );
            println!(
                "cookie: the record matches the live package on {} cases",
                live.len()
            );
        }
    } else {
        println!("cookie: RT_NPM_COOKIE not set, comparing with the recorded answers of cookie@0.7.2");
    }

    let record: Value = serde_json::from_str(&std::fs::read_to_string(RECORD).expect("the record")).unwrap();
    assert_eq!(
        record["inputs"].as_array().unwrap(),
        &inputs,
        "the record was made from these inputs"
    );
    let theirs = record["outputs"].as_array().unwrap();
    assert_eq!(theirs.len(), ours.len());
    let mut mismatches = 0;
    for ((case, a), b) in inputs.iter().zip(&ours).zip(theirs) {
        if a != b {
            mismatches += 1;
            if mismatches <= 15 {
                eprintln!("MISMATCH {case}\n  rt:     {a}\n  cookie: {b}");
            }
        }
    }
    println!(
        "cookie: compared {} cases with cookie@0.7.2's answers, {mismatches} differ",
        ours.len()
    );
    assert_eq!(mismatches, 0);
}

#[test]
fn cookie_hand_cases() {
    let c = cookie::parse("a=1; b=\"two\"; a=3; bad=%E4%B8; e=%E4%B8%AD");
    assert_eq!(c.get("a"), Some("1"));
    assert_eq!(c.get("b"), Some("two"));
    assert_eq!(c.get("bad"), Some("%E4%B8"));
    assert_eq!(c.get("e"), Some("中"));
    assert_eq!(c.len(), 4);
    let o = CookieOptions {
        max_age: Some(3600),
        domain: Some("example.com".into()),
        path: Some("/".into()),
        expires: Some(UNIX_EPOCH + Duration::from_secs(1_700_000_000)),
        http_only: true,
        secure: true,
        partitioned: true,
        priority: None,
        same_site: Some(SameSite::None),
    };
    assert_eq!(
        cookie::serialize("sid", "a b", &o).unwrap(),
        "sid=a%20b; Max-Age=3600; Domain=example.com; Path=/; Expires=Tue, 14 Nov 2023 22:13:20 GMT; HttpOnly; Secure; Partitioned; SameSite=None"
    );
    assert_eq!(
        cookie::serialize("a b", "1", &o).unwrap_err().to_string(),
        "argument name is invalid"
    );
    let raw = |v: &str| v.to_owned();
    assert_eq!(
        cookie::serialize_with("a", "x;y", &o, &raw)
            .unwrap_err()
            .to_string(),
        "argument val is invalid"
    );
    let bad_path = CookieOptions {
        path: Some("/a;b".into()),
        ..Default::default()
    };
    assert_eq!(
        cookie::serialize("a", "1", &bad_path).unwrap_err().to_string(),
        "option path is invalid"
    );
    let bad_domain = CookieOptions {
        domain: Some("-x.com".into()),
        ..Default::default()
    };
    assert_eq!(
        cookie::serialize("a", "1", &bad_domain).unwrap_err().to_string(),
        "option domain is invalid"
    );
}
