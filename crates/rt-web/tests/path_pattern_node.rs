//! Route patterns against express 4's matching, run in node: for each pattern the
//! regular expression express 4's path-to-regexp 0.1 builds from it (written out
//! below: `*` is `(.*)`, `:name` is `(?:([^\/]+?))`, `:name?` is
//! `(?:\/([^\/]+?))?`, then `\/?$`, case-insensitive), executed by node on seeded
//! paths, its groups decoded with `decodeURIComponent` (express's `decode_param`);
//! rt's `PathPattern::matches` must give the same match and values. express itself
//! is not installed here (npm cannot fetch offline).

use rt_tests::node::node_or_skip;
use rt_tests::rng::Rng;
use rt_web::path_pattern::PathPattern;
use serde_json::{Value, json};

/// (rt pattern, express 4's regexp source for it).
const PATTERNS: &[(&str, &str)] = &[
    ("/files/*", r"^\/files\/(.*)\/?$"),
    ("*", r"^(.*)\/?$"),
    ("/*", r"^\/(.*)\/?$"),
    ("/a/*/b", r"^\/a\/(.*)\/b\/?$"),
    ("/api/users/:id", r"^\/api\/users\/(?:([^\/]+?))\/?$"),
    ("/x/:a/:b?", r"^\/x\/(?:([^\/]+?))(?:\/([^\/]+?))?\/?$"),
    ("/files", r"^\/files\/?$"),
];

const SEGMENTS: &[&str] = &[
    "files", "FILES", "a", "b", "x", "api", "users", "7", "%41", "F%C3%A9", "y.z", "-",
];

const NODE_JS: &str = r#"
const cases = JSON.parse(require('fs').readFileSync(0, 'utf8'));
const out = cases.map(([re, path]) => {
  const m = new RegExp(re, 'i').exec(path);
  if (!m) return null;
  return m.slice(1).filter((g) => g !== undefined).map((g) => {
    try { return decodeURIComponent(g); } catch (e) { return { error: g }; }
  });
});
process.stdout.write(JSON.stringify(out));
"#;

#[test]
fn patterns_match_as_express_4_regexps_do() {
    let Some(node) = node_or_skip("patterns_match_as_express_4_regexps_do") else {
        return;
    };
    let mut rng = Rng::new(0x2a);
    let mut paths = vec![
        "/".to_string(),
        "/files".into(),
        "/files/".into(),
        "/a/b".into(),
        "/a/x/b/".into(),
    ];
    while paths.len() < 200 {
        let depth = rng.below(5);
        let mut p: String = (0..depth).map(|_| format!("/{}", rng.pick(SEGMENTS))).collect();
        if p.is_empty() || rng.chance(1, 4) {
            p.push('/');
        }
        paths.push(p);
    }
    let mut cases = Vec::new();
    for (pattern, re) in PATTERNS {
        for p in &paths {
            cases.push((pattern, json!([re, p]), p.clone()));
        }
    }
    let input: Vec<&Value> = cases.iter().map(|c| &c.1).collect();
    let out = node.run_script(NODE_JS, &serde_json::to_vec(&input).expect("json"));
    let want: Vec<Value> = serde_json::from_slice(&out).expect("node's answers");
    assert_eq!(want.len(), cases.len(), "node answered every case");
    let mut failures = Vec::new();
    let mut matched = 0;
    for ((pattern, _, path), want) in cases.iter().zip(&want) {
        let got = PathPattern::new(pattern).matches(path);
        let got: Value = match got {
            Ok(None) => Value::Null,
            Ok(Some(params)) => Value::Array(params.into_iter().map(|(_, v)| Value::String(v)).collect()),
            Err(_) => json!("decode error"),
        };
        let want = match want {
            Value::Array(a) if a.iter().any(|v| v.is_object()) => json!("decode error"),
            other => other.clone(),
        };
        if !got.is_null() {
            matched += 1;
        }
        if got != want {
            failures.push(format!("{pattern} on {path}: express {want}, rt {got}"));
        }
    }
    println!(
        "route patterns: {} cases compared with express 4's regexps in node ({matched} matches)",
        cases.len()
    );
    assert_eq!(cases.len(), PATTERNS.len() * 200);
    assert!(
        failures.is_empty(),
        "{} differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
