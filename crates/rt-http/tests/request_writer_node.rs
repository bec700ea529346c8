//! `ClientRequest`'s bytes against Node's, byte for byte: seeded request
//! options (method, path, auth, setHost, headers as an object or a raw
//! array, agent kind) and operations (setHeader, removeHeader, write, end)
//! run through Node's `http.request` to a raw server that records the bytes
//! (tests/node/request_oracle.js), and through rt's `RequestCore`.

mod common;

use common::{latin1, latin1_bytes, unb64};
use rt_http::{Message, OutValue, RequestCore, RequestHeadOptions, RequestHeaders};
use rt_tests::node::node_or_skip;
use rt_tests::rng::Rng;
use serde_json::{Value, json};

fn pick<T: Copy>(rng: &mut Rng, items: &[T]) -> T {
    items[rng.below(items.len() as u64) as usize]
}

fn generate(rng: &mut Rng) -> Value {
    const NAMES: &[&str] = &[
        "Host",
        "Content-Type",
        "X-Foo",
        "Connection",
        "Content-Length",
        "Transfer-Encoding",
        "Cookie",
        "Authorization",
        "Bad Name",
    ];
    const VALUES: &[&str] = &["a", "close", "keep-alive", "chunked", "3", "x\r\ny", "caf\u{e9}"];
    let mut opts = serde_json::Map::new();
    if rng.below(4) != 0 {
        opts.insert(
            "method".into(),
            json!(pick(
                rng,
                &[
                    "GET",
                    "POST",
                    "put",
                    "HEAD",
                    "DELETE",
                    "PATCH",
                    "BAD METHOD",
                    "OPTIONS",
                    ""
                ]
            )),
        );
    }
    if rng.below(4) != 0 {
        opts.insert(
            "path".into(),
            json!(pick(
                rng,
                &["/", "/a?b=c", "/with space", "/caf\u{e9}", "", "/x\ty"]
            )),
        );
    }
    if rng.below(4) == 0 {
        opts.insert(
            "auth".into(),
            json!(pick(rng, &["user:pass", "u", "caf\u{e9}:x"])),
        );
    }
    let n = rng.below(4);
    let headers: Vec<Value> = (0..n)
        .map(|_| json!([pick(rng, NAMES), pick(rng, VALUES)]))
        .collect();
    let raw = rng.below(5) == 0;
    if raw {
        opts.insert("headers".into(), json!(headers));
    } else if n > 0 {
        let mut m = serde_json::Map::new();
        for h in &headers {
            m.insert(h[0].as_str().unwrap_or_default().to_string(), h[1].clone());
        }
        opts.insert("headers".into(), Value::Object(m));
    }
    let mut ops = Vec::new();
    for _ in 0..rng.below(3) {
        ops.push(match rng.below(3) {
            0 => json!(["setHeader", pick(rng, NAMES), pick(rng, VALUES)]),
            1 => json!(["removeHeader", pick(rng, NAMES)]),
            _ => json!(["write", pick(rng, &["hello", "", "x"])]),
        });
    }
    ops.push(json!(["end", pick(rng, &["", "body"])]));
    json!({
        "opts": opts,
        "agent": pick(rng, &["global", "none", "finite"]),
        "hostHeader": rng.below(6) != 0,
        "ops": ops,
    })
}

fn out_value(v: &Value) -> OutValue {
    match v {
        Value::Array(items) => OutValue::Many(
            items
                .iter()
                .map(|s| s.as_str().unwrap_or_default().to_string())
                .collect(),
        ),
        other => OutValue::One(other.as_str().unwrap_or_default().to_string()),
    }
}

fn rt_run(case: &Value, port: u16) -> (Vec<u8>, Vec<Value>) {
    let o = &case["opts"];
    let s = |k: &str| o.get(k).and_then(Value::as_str).map(str::to_string);
    let headers = match o.get("headers") {
        Some(Value::Array(list)) => RequestHeaders::Raw(
            list.iter()
                .map(|p| (p[0].as_str().unwrap_or_default().to_string(), out_value(&p[1])))
                .collect(),
        ),
        Some(Value::Object(m)) => {
            RequestHeaders::Map(m.iter().map(|(k, v)| (k.clone(), out_value(v))).collect())
        }
        _ => RequestHeaders::Map(Vec::new()),
    };
    let mut opts = RequestHeadOptions::default();
    opts.method = s("method");
    opts.path = s("path");
    opts.host = Some("127.0.0.1".into());
    opts.port = Some(port);
    opts.auth = s("auth");
    opts.set_host = (case["hostHeader"] == false).then_some(false);
    opts.headers = headers;
    opts.agent_keep_alive = Some(case["agent"] != "none");
    let mut errors = Vec::new();
    let mut req = match RequestCore::new(opts) {
        Ok(r) => r,
        Err(e) => {
            errors.push(json!(["ctor", e.code()]));
            return (Vec::new(), errors);
        }
    };
    for (k, op) in case["ops"].as_array().into_iter().flatten().enumerate() {
        let arg = |i: usize| op[i].as_str().unwrap_or_default();
        let r = match op[0].as_str().unwrap_or_default() {
            "setHeader" => req.out.set_header(arg(1), out_value(&op[2])),
            "removeHeader" => req.out.remove_header(arg(1)),
            "write" => req.write(&latin1_bytes(arg(1))),
            "end" => req.end(&latin1_bytes(arg(1))),
            other => panic!("unknown op {other}"),
        };
        if let Err(e) = r {
            errors.push(json!([k, e.code()]));
        }
    }
    (req.out.take_output(), errors)
}

#[test]
fn client_request_bytes_match_node() {
    let Some(node) = node_or_skip("client_request_bytes_match_node") else {
        return;
    };
    let count = std::env::var("RT_HTTP_PARSER_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(800);
    let seed = std::env::var("RT_HTTP_PARSER_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0x00c1_1e47);
    let mut rng = Rng::new(seed);
    let cases: Vec<Value> = (0..count).map(|_| generate(&mut rng)).collect();
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/node/request_oracle.js");
    let out = node.run_file(&script, &[], &serde_json::to_vec(&cases).unwrap());
    let v: Value = serde_json::from_slice(&out).expect("node's JSON");
    let port = v["port"].as_u64().expect("port") as u16;
    let results = v["results"].as_array().expect("results");
    assert_eq!(
        results.len(),
        cases.len(),
        "node answered {} of {} cases",
        results.len(),
        cases.len()
    );
    let mut failures = Vec::new();
    for (c, r) in cases.iter().zip(results) {
        let node_bytes = latin1(&unb64(r["bytes"].as_str().unwrap_or_default()));
        let node_errors = r["errors"].as_array().cloned().unwrap_or_default();
        let (rt_bytes, rt_errors) = rt_run(c, port);
        let rt_bytes = latin1(&rt_bytes);
        if node_bytes != rt_bytes || node_errors != rt_errors {
            failures.push(format!(
                "{c}\n  node: {node_bytes:?} {node_errors:?}\n  rt:   {rt_bytes:?} {rt_errors:?}"
            ));
        }
    }
    println!(
        "compared {} requests with node's ClientRequest: {} differ",
        cases.len(),
        failures.len()
    );
    assert_eq!(cases.len(), count);
    assert!(
        failures.is_empty(),
        "{} of {} cases differ from node; first ones:\n{}",
        failures.len(),
        cases.len(),
        failures.iter().take(8).cloned().collect::<Vec<_>>().join("\n")
    );
}
