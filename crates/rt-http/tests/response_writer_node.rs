//! `ServerResponse`'s bytes against Node's, byte for byte.
//!
//! Each case is a request (method, version, Connection / TE / Expect headers)
//! and a seeded sequence of operations on the response (setHeader,
//! appendHeader, removeHeader, statusCode, writeHead, write, end,
//! addTrailers, writeContinue). Node's server runs them on its
//! `ServerResponse` (tests/node/response_oracle.js) and a raw client records
//! the bytes; rt's `ResponseCore` runs the same operations. The bytes (with
//! the `Date` value blanked) and the operations that failed, with their
//! codes, must be equal.

mod common;

use common::{b64, latin1_bytes, unb64};
use rt_http::{Message, OutValue, RequestFacts, ResponseCore};
use rt_tests::node::node_or_skip;
use rt_tests::rng::Rng;
use serde_json::{Value, json};

struct Case {
    method: &'static str,
    version: (u8, u8),
    connection: Option<&'static str>,
    te: Option<&'static str>,
    expect: bool,
    ops: Vec<Value>,
}

fn pick<T: Copy>(rng: &mut Rng, items: &[T]) -> T {
    items[rng.below(items.len() as u64) as usize]
}

fn generate(rng: &mut Rng) -> Case {
    const NAMES: &[&str] = &[
        "Content-Type",
        "X-Foo",
        "x-foo",
        "Set-Cookie",
        "Cookie",
        "Connection",
        "Content-Length",
        "Transfer-Encoding",
        "Date",
        "Keep-Alive",
        "Trailer",
        "123",
        "Bad Name",
        "Expect",
    ];
    const VALUES: &[&str] = &[
        "text/plain",
        "a",
        "close",
        "keep-alive",
        "chunked",
        "gzip, chunked",
        "5",
        "0",
        "x\ny",
        "caf\u{e9}",
        "timeout=9",
        "",
    ];
    let mut ops = Vec::new();
    let n = rng.below(6);
    for _ in 0..n {
        let op = match rng.below(10) {
            0..=3 => {
                let name = pick(rng, NAMES);
                if rng.below(4) == 0 {
                    json!(["setHeader", name, [pick(rng, VALUES), pick(rng, VALUES)]])
                } else {
                    json!(["setHeader", name, pick(rng, VALUES)])
                }
            }
            4 => json!(["appendHeader", pick(rng, NAMES), pick(rng, VALUES)]),
            5 => json!(["removeHeader", pick(rng, NAMES)]),
            6 => json!(["statusCode", pick(rng, &[200, 204, 304, 404, 101, 500])]),
            7 => {
                let status = pick(rng, &[200, 201, 204, 304, 100, 418, 99, 1000, 299]);
                let reason: Value = if rng.below(3) == 0 {
                    json!(pick(rng, &["Fine", "Bad\rReason", ""]))
                } else {
                    Value::Null
                };
                let headers: Value = if rng.below(2) == 0 {
                    json!([[pick(rng, NAMES), pick(rng, VALUES)]])
                } else {
                    Value::Null
                };
                json!(["writeHead", status, reason, headers])
            }
            8 => json!(["write", pick(rng, &["hello", "", "x"])]),
            _ => json!([
                "addTrailers",
                [[pick(rng, &["X-T", "Bad T"]), pick(rng, &["1", "a\rb"])]]
            ]),
        };
        ops.push(op);
    }
    if rng.below(5) == 0 {
        ops.insert(0, json!(["writeContinue"]));
    }
    ops.push(json!(["end", pick(rng, &["", "bye", "body!"])]));
    if rng.below(8) == 0 {
        ops.push(json!(["end", "again"]));
    }
    Case {
        method: pick(rng, &["GET", "GET", "HEAD", "POST"]),
        version: pick(rng, &[(1, 1), (1, 1), (1, 0)]),
        connection: pick(rng, &[None, None, Some("close"), Some("keep-alive")]),
        te: pick(rng, &[None, None, Some("chunked")]),
        expect: rng.below(6) == 0,
        ops,
    }
}

fn request_bytes(i: usize, c: &Case) -> Vec<u8> {
    let mut r = format!(
        "{} / HTTP/{}.{}\r\nHost: x\r\nX-Case: {i}\r\n",
        c.method, c.version.0, c.version.1
    );
    if let Some(v) = c.connection {
        r.push_str(&format!("Connection: {v}\r\n"));
    }
    if let Some(v) = c.te {
        r.push_str(&format!("TE: {v}\r\n"));
    }
    if c.expect {
        r.push_str("Expect: 100-continue\r\n");
    }
    r.push_str("\r\n");
    r.into_bytes()
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

/// rt's bytes and errors for case `c`.
fn rt_run(c: &Case) -> (Vec<u8>, Vec<Value>) {
    let keep_alive = match (c.version, c.connection) {
        (_, Some("close")) => false,
        ((1, 0), Some("keep-alive")) => true,
        ((1, 0), _) => false,
        _ => true,
    };
    let facts = RequestFacts {
        method: c.method,
        version: c.version,
        te: c.te,
        keep_alive,
        expect_continue: false,
    };
    let mut res = ResponseCore::new(facts, 5000, 0);
    let mut out: Vec<u8> = Vec::new();
    let mut errors = Vec::new();
    // Node answers `Expect: 100-continue` itself before the handler runs.
    if c.expect && c.version == (1, 1) {
        res.write_continue();
    }
    for (k, op) in c.ops.iter().enumerate() {
        let name = op[0].as_str().unwrap_or_default();
        let r = match name {
            "setHeader" => res
                .out
                .set_header(op[1].as_str().unwrap_or_default(), out_value(&op[2])),
            "appendHeader" => res
                .out
                .append_header(op[1].as_str().unwrap_or_default(), out_value(&op[2])),
            "removeHeader" => res.out.remove_header(op[1].as_str().unwrap_or_default()),
            "statusCode" => {
                res.set_status_code(op[1].as_u64().unwrap_or(200) as u16);
                Ok(())
            }
            "writeHead" => {
                let headers = op[3].as_array().map(|list| {
                    list.iter()
                        .map(|pair| {
                            (
                                pair[0].as_str().unwrap_or_default().to_string(),
                                out_value(&pair[1]),
                            )
                        })
                        .collect()
                });
                res.write_head(op[1].as_u64().unwrap_or(0) as u32, op[2].as_str(), headers)
            }
            "write" => res.write(&latin1_bytes(op[1].as_str().unwrap_or_default())),
            "end" => res.end(&latin1_bytes(op[1].as_str().unwrap_or_default())),
            "addTrailers" => {
                let list: Vec<(String, String)> = op[1]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|p| {
                        (
                            p[0].as_str().unwrap_or_default().to_string(),
                            p[1].as_str().unwrap_or_default().to_string(),
                        )
                    })
                    .collect();
                res.out
                    .add_trailers(list.iter().map(|(a, b)| (a.as_str(), b.as_str())))
            }
            "writeContinue" => {
                res.write_continue();
                Ok(())
            }
            other => panic!("unknown op {other}"),
        };
        if let Err(e) = r {
            // Node throws from these, except a write after end, which it
            // reports as an 'error' event.
            if e.code() == "ERR_STREAM_WRITE_AFTER_END" {
                errors.push(json!(["async", e.code()]));
            } else {
                errors.push(json!([k, e.code()]));
            }
        }
    }
    out.extend(res.out.take_output());
    (out, errors)
}

/// Blanks the value of every `Date:` header line.
fn blank_date(bytes: &[u8]) -> String {
    let text: String = bytes.iter().map(|&b| b as char).collect();
    let mut out = String::new();
    for (i, line) in text.split("\r\n").enumerate() {
        if i > 0 {
            out.push_str("\r\n");
        }
        if line.starts_with("Date: ") && line.ends_with(" GMT") {
            out.push_str("Date: <date>");
        } else {
            out.push_str(line);
        }
    }
    out
}

#[test]
fn server_response_bytes_match_node() {
    let Some(node) = node_or_skip("server_response_bytes_match_node") else {
        return;
    };
    // RT_HTTP_PARSER_CASES / RT_HTTP_PARSER_SEED: a longer hunt on demand.
    let count = std::env::var("RT_HTTP_PARSER_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1500);
    let seed = std::env::var("RT_HTTP_PARSER_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0x5e_5b0d7);
    let mut rng = Rng::new(seed);
    let cases: Vec<Case> = (0..count).map(|_| generate(&mut rng)).collect();
    let input: Vec<Value> = cases
        .iter()
        .enumerate()
        .map(|(i, c)| json!({ "req": b64(&request_bytes(i, c)), "ops": c.ops }))
        .collect();
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/node/response_oracle.js");
    let out = node.run_file(&script, &[], &serde_json::to_vec(&input).unwrap());
    let results: Vec<Value> = serde_json::from_slice(&out).expect("node's JSON");
    assert_eq!(
        results.len(),
        cases.len(),
        "node answered {} of {} cases",
        results.len(),
        cases.len()
    );
    let mut failures = Vec::new();
    for (c, r) in cases.iter().zip(&results) {
        let node_bytes = blank_date(&unb64(r["bytes"].as_str().unwrap_or_default()));
        let node_errors = r["errors"].as_array().cloned().unwrap_or_default();
        let (rt_bytes, rt_errors) = rt_run(c);
        let rt_bytes = blank_date(&rt_bytes);
        if node_bytes != rt_bytes || node_errors != rt_errors {
            failures.push(format!(
                "{} HTTP/{}.{} conn={:?} te={:?} expect={} ops={}\n  node: {node_bytes:?} {node_errors:?}\n  rt:   {rt_bytes:?} {rt_errors:?}",
                c.method,
                c.version.0,
                c.version.1,
                c.connection,
                c.te,
                c.expect,
                serde_json::to_string(&c.ops).unwrap_or_default()
            ));
        }
    }
    println!(
        "compared {} responses with node's ServerResponse: {} differ",
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
