//! The request parser against a real Node v20 server, verdict for verdict.
//!
//! Each case is raw bytes sent on one connection and half-closed. Node's
//! server (tests/node/parser_oracle.js) logs what it saw: requests (method,
//! url, version, rawHeaders), their bodies, upgrades and `clientError`s with
//! their code and `bytesParsed`. The same bytes go through rt's parser driven
//! the way a connection drives it (head, body, next head or the
//! `Connection: close` rule, EOF), and the two logs must be equal.
//!
//! Cases: every hand-written strictness shape below plus seeded generated
//! requests and mutations of them.

mod common;

use common::{b64, latin1};
use rt_http::parser::{BodyKind, ChunkEvent, ChunkedDecoder, DEFAULT_MAX_HEADER_SIZE, Parsed, parse_request};
use rt_http::{HeaderValue, Headers};
use rt_tests::node::node_or_skip;
use rt_tests::rng::Rng;
use serde_json::{Value, json};

/// Generated cases per run; `RT_HTTP_PARSER_CASES` raises it for a longer hunt
/// and `RT_HTTP_PARSER_SEED` picks another seed.
fn generated() -> usize {
    std::env::var("RT_HTTP_PARSER_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3000)
}

fn seed() -> u64 {
    std::env::var("RT_HTTP_PARSER_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0x5eed_4711)
}

/// The hand-written shapes: every rule the issue names, and the odd things
/// Node accepts.
fn hand_written() -> Vec<Vec<u8>> {
    common::strict_requests::strictness_requests()
}

/// A seeded valid request (sometimes two, pipelined).
fn generate(rng: &mut Rng) -> Vec<u8> {
    const METHODS: &[&str] = &[
        "GET", "POST", "PUT", "HEAD", "DELETE", "OPTIONS", "PATCH", "QUERY", "M-SEARCH",
    ];
    const URLS: &[&str] = &["/", "/a/b?c=d#e", "*", "http://h:1/p?q", "/%20x", "/a;b,c"];
    const NAMES: &[&str] = &[
        "Host",
        "X-Foo",
        "Accept",
        "Cookie",
        "connection",
        "USER-AGENT",
        "Set-Cookie",
        "set-cookie",
        "HOST",
        "Age",
        "Content-Type",
        "10",
        "2",
        "x-foo",
        "Date",
        "If-Match",
        "Authorization",
    ];
    const VALUES: &[&str] = &["a", "b c", "", "x,y", "close", "keep-alive", "\u{e9}t\u{e9}"];
    let mut out = Vec::new();
    let requests = 1 + rng.below(2);
    for _ in 0..requests {
        let m = METHODS[rng.below(METHODS.len() as u64) as usize];
        let u = URLS[rng.below(URLS.len() as u64) as usize];
        let v = ["HTTP/1.1", "HTTP/1.0", "HTTP/1.1"][rng.below(3) as usize];
        out.extend_from_slice(format!("{m} {u} {v}\r\n").as_bytes());
        for _ in 0..rng.below(6) {
            let n = NAMES[rng.below(NAMES.len() as u64) as usize];
            let val = VALUES[rng.below(VALUES.len() as u64) as usize];
            out.extend_from_slice(n.as_bytes());
            out.extend_from_slice(b": ");
            // Values as Latin-1 bytes (é -> 0xe9), as a client would send them.
            out.extend(val.chars().map(|c| c as u32 as u8));
            out.extend_from_slice(b"\r\n");
        }
        match rng.below(3) {
            0 => out.extend_from_slice(b"\r\n"),
            1 => {
                let body: Vec<u8> = (0..rng.below(6)).map(|i| b'a' + i as u8).collect();
                out.extend_from_slice(format!("Content-Length: {}\r\n\r\n", body.len()).as_bytes());
                out.extend_from_slice(&body);
            }
            _ => {
                out.extend_from_slice(b"Transfer-Encoding: chunked\r\n\r\n");
                for _ in 0..rng.below(3) {
                    let n = 1 + rng.below(4) as usize;
                    if rng.below(3) == 0 {
                        out.extend_from_slice(format!("{n:x};e=\"v\"\r\n").as_bytes());
                    } else {
                        out.extend_from_slice(format!("{n:X}\r\n").as_bytes());
                    }
                    out.extend(std::iter::repeat_n(b'z', n));
                    out.extend_from_slice(b"\r\n");
                }
                out.extend_from_slice(b"0\r\n");
                if rng.below(2) == 0 {
                    out.extend_from_slice(b"T: 1\r\n");
                }
                out.extend_from_slice(b"\r\n");
            }
        }
    }
    out
}

/// Mutates `case` in 1-3 places with bytes parsers trip on.
fn mutate(rng: &mut Rng, case: &mut Vec<u8>) {
    const BYTES: &[u8] = b"\r\n \t:,;\"\\\x00\x7f\x80\xff/?#@0aZ-=";
    for _ in 0..1 + rng.below(3) {
        if case.is_empty() {
            case.push(b'G');
        }
        let at = rng.below(case.len() as u64) as usize;
        let b = BYTES[rng.below(BYTES.len() as u64) as usize];
        match rng.below(4) {
            0 => case[at] = b,
            1 => case.insert(at, b),
            2 => {
                case.remove(at);
            }
            _ => {
                let line: &[u8] = [&b"\r\n"[..], b"\r\nX: y", b" ", b"\r\n\r\n"][rng.below(4) as usize];
                case.splice(at..at, line.iter().copied());
            }
        }
    }
}

/// rt's log for `input`: the parser driven as a connection drives it.
/// Returns (head/upgrade/error events in order, bodies in order).
fn rt_log(input: &[u8]) -> (Vec<Value>, Vec<Value>) {
    let mut events = Vec::new();
    let mut bodies = Vec::new();
    let mut at = 0;
    loop {
        let rest = &input[at..];
        let head = match parse_request(rest, DEFAULT_MAX_HEADER_SIZE) {
            Ok(Parsed::Complete(h)) => h,
            Ok(Parsed::Partial) => {
                // At EOF: only blank lines may be left between requests.
                if rest.iter().any(|&b| b != b'\r' && b != b'\n') {
                    events.push(json!(["err", "HPE_INVALID_EOF_STATE", 0]));
                }
                return (events, bodies);
            }
            Err(e) => {
                events.push(json!(["err", e.code.as_str(), at + e.at]));
                return (events, bodies);
            }
        };
        let headers: Vec<String> = head
            .fields
            .headers
            .iter()
            .flat_map(|h| [latin1(&rest[h.name.clone()]), latin1(&rest[h.value.clone()])])
            .collect();
        let url = latin1(&rest[head.url.clone()]);
        let version = format!("{}.{}", head.version.0, head.version.1);
        let kind = head.body();
        if let Ok(BodyKind::Upgrade) = kind {
            events.push(json!(["upgrade", head.method, url]));
            return (events, bodies);
        }
        let merged = Headers::from_raw(headers.chunks(2).map(|p| (p[0].as_str(), p[1].as_str())), false);
        let merged: Vec<Value> = merged
            .iter()
            .map(|(k, v)| match v {
                HeaderValue::One(s) => json!([k, s]),
                HeaderValue::List(l) => json!([k, l]),
            })
            .collect();
        events.push(json!(["req", head.method, url, version, headers, merged]));
        let mut pos = at + head.len;
        let mut body = Vec::new();
        match kind {
            Err(e) => {
                events.push(json!(["err", e.code.as_str(), at + e.at]));
                return (events, bodies);
            }
            Ok(BodyKind::None | BodyKind::Upgrade) => {}
            Ok(BodyKind::Length(n)) => {
                let avail = (input.len() - pos) as u64;
                if avail < n {
                    events.push(json!(["err", "HPE_INVALID_EOF_STATE", 0]));
                    return (events, bodies);
                }
                body.extend_from_slice(&input[pos..pos + n as usize]);
                pos += n as usize;
            }
            Ok(BodyKind::Chunked) => {
                let mut dec = ChunkedDecoder::new(DEFAULT_MAX_HEADER_SIZE);
                loop {
                    match dec.decode(&input[pos..]) {
                        Err(e) => {
                            events.push(json!(["err", e.code.as_str(), pos + e.at]));
                            return (events, bodies);
                        }
                        Ok((n, ev)) => {
                            let base = pos;
                            pos += n;
                            match ev {
                                Some(ChunkEvent::Data(r)) => {
                                    body.extend_from_slice(&input[base + r.start..base + r.end])
                                }
                                Some(ChunkEvent::End(_)) => break,
                                None => {
                                    events.push(json!(["err", "HPE_INVALID_EOF_STATE", 0]));
                                    return (events, bodies);
                                }
                            }
                        }
                    }
                }
            }
        }
        bodies.push(json!(b64(&body)));
        if !head.should_keep_alive() {
            // llhttp's `closed` state: blank lines are skipped, anything else
            // is data after `Connection: close`.
            if let Some(off) = input[pos..].iter().position(|&b| b != b'\r' && b != b'\n') {
                events.push(json!(["err", "HPE_CLOSED_CONNECTION", pos + off + 1]));
            }
            return (events, bodies);
        }
        at = pos;
    }
}

/// Splits Node's log the same way: bodies ('end') apart from the rest.
fn node_log(log: &Value) -> (Vec<Value>, Vec<Value>) {
    let mut events = Vec::new();
    let mut bodies = Vec::new();
    for e in log.as_array().expect("a list of events") {
        if e[0] == "end" {
            bodies.push(e[1].clone());
        } else {
            events.push(e.clone());
        }
    }
    (events, bodies)
}

#[test]
fn request_parser_matches_node_server() {
    let Some(node) = node_or_skip("request_parser_matches_node_server") else {
        return;
    };
    let mut cases = hand_written();
    let hand = cases.len();
    let generated = generated();
    let mut rng = Rng::new(seed());
    for i in 0..generated {
        let mut c = generate(&mut rng);
        if i % 3 != 0 {
            mutate(&mut rng, &mut c);
        }
        cases.push(c);
    }
    let input = serde_json::to_vec(&cases.iter().map(|c| b64(c)).collect::<Vec<_>>()).unwrap();
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/node/parser_oracle.js");
    let out = node.run_file(&script, &[], &input);
    let logs: Vec<Value> = serde_json::from_slice(&out).expect("node's JSON");
    assert_eq!(
        logs.len(),
        cases.len(),
        "node answered {} of {} cases",
        logs.len(),
        cases.len()
    );
    let mut failures = Vec::new();
    for (case, log) in cases.iter().zip(&logs) {
        let (ne, nb) = node_log(log);
        let (re, rb) = rt_log(case);
        // Node logs a body only once the handler saw its end; compare bodies
        // only when no error cut the connection short.
        let errored = ne.iter().any(|e| e[0] == "err" || e[0] == "upgrade");
        if ne != re || (!errored && nb != rb) {
            failures.push(format!(
                "case {:?}\n  node: {ne:?} bodies {nb:?}\n  rt:   {re:?} bodies {rb:?}",
                latin1(case)
            ));
        }
    }
    println!(
        "compared {} cases with node ({} hand-written, {} generated): {} differ",
        cases.len(),
        hand,
        generated,
        failures.len()
    );
    assert_eq!(cases.len(), hand + generated);
    assert!(
        failures.is_empty(),
        "{} of {} cases differ from node; first ones:\n{}",
        failures.len(),
        cases.len(),
        failures.iter().take(15).cloned().collect::<Vec<_>>().join("\n")
    );
}
