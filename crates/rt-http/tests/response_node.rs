//! The response parser against Node v20's http client, verdict for verdict.
//!
//! Each case is the raw bytes a server sends before closing; Node's client
//! (tests/node/client_oracle.js) logs the informational responses, the
//! response, its body and trailers, and errors with their codes. rt's
//! response parser and chunked decoder, driven as a client connection drives
//! them, must log the same.

mod common;

use common::{b64, latin1};
use rt_http::parser::{
    ChunkEvent, ChunkedDecoder, DEFAULT_MAX_HEADER_SIZE, Parsed, ResponseBody, parse_response,
};
use rt_tests::node::node_or_skip;
use rt_tests::rng::Rng;
use serde_json::{Value, json};

fn hand_written() -> Vec<(Vec<u8>, &'static str)> {
    let cases: &[(&[u8], &str)] = &[
        (b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nab", "GET"),
        (b"HTTP/1.1 200 OK\r\n\r\nabc", "GET"),
        (b"HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n", "GET"),
        (b"HTTP/1.1 200 \r\nContent-Length: 0\r\n\r\n", "GET"),
        (b"HTTP/1.1 2000 OK\r\n\r\n", "GET"),
        (b"HTTP/1.1 20 OK\r\n\r\n", "GET"),
        (b"HTTP/1.1 2x0 OK\r\n\r\n", "GET"),
        (b"HTTP/1.1 200 O\x00K\x7f\r\nContent-Length: 0\r\n\r\n", "GET"),
        (b"HTTP/1.1 200 OK\nContent-Length: 0\r\n\r\n", "GET"),
        (b"HTTP/1.1 200\nContent-Length: 0\r\n\r\n", "GET"),
        (b"HTTP/1.1 200 OK\rX\r\n\r\n", "GET"),
        (b"HTTP/1.1  200 OK\r\n\r\n", "GET"),
        (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\nabc",
            "GET",
        ),
        (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n0\r\nT: 1\r\n\r\n",
            "GET",
        ),
        (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n",
            "GET",
        ),
        (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nx\r\n",
            "GET",
        ),
        (
            b"HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\nhello",
            "GET",
        ),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", "HEAD"),
        (
            b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx",
            "GET",
        ),
        (
            b"HTTP/1.1 103 Early\r\nLink: x\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx",
            "GET",
        ),
        (b"HTTP/1.0 200 OK\r\n\r\nxyz", "GET"),
        (b"HTTP/2.0 200 OK\r\n\r\nxyz", "GET"),
        (b"HTTP/1.2 200 OK\r\n\r\nxyz", "GET"),
        (
            b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx",
            "GET",
        ),
        (
            b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\nx",
            "GET",
        ),
        (b"ICE/1.0 200 OK\r\n\r\nx", "GET"),
        (b"XTTP/1.1 200 OK\r\n\r\n", "GET"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab", "GET"),
        (
            b"HTTP/1.1 101 Switching\r\nUpgrade: ws\r\nConnection: upgrade\r\n\r\nxx",
            "GET",
        ),
        (b"HTTP/1.1 304 NM\r\nTransfer-Encoding: chunked\r\n\r\n", "GET"),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nzz", "GET"),
        (b"HTTP/1.1 200 OK\r\nX: a\r\n b\r\n\r\n", "GET"),
        (b"HTTP/1.1 200 OK\r\nX : a\r\n\r\n", "GET"),
        (b"HTTP/1.1 200 OK\r\n", "GET"),
        (
            b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nabHTTP/1.1 200 OK\r\n\r\n",
            "GET",
        ),
        (b"", "GET"),
    ];
    cases.iter().map(|(c, m)| (c.to_vec(), *m)).collect()
}

fn generate(rng: &mut Rng) -> (Vec<u8>, &'static str) {
    const STATUS: &[&str] = &[
        "200 OK",
        "201 Created",
        "404 Not Found",
        "204 No Content",
        "304 Not Modified",
        "500 x y",
        "200",
    ];
    const NAMES: &[&str] = &["Server", "X-Foo", "Set-Cookie", "connection", "Date"];
    const VALUES: &[&str] = &["a", "b c", "", "close", "keep-alive", "x,y"];
    let method = if rng.below(5) == 0 { "HEAD" } else { "GET" };
    let mut out = Vec::new();
    if rng.below(6) == 0 {
        out.extend_from_slice(b"HTTP/1.1 100 Continue\r\n\r\n");
    }
    let v = ["HTTP/1.1", "HTTP/1.0"][rng.below(2) as usize];
    let st = STATUS[rng.below(STATUS.len() as u64) as usize];
    out.extend_from_slice(format!("{v} {st}\r\n").as_bytes());
    for _ in 0..rng.below(3) {
        let n = NAMES[rng.below(NAMES.len() as u64) as usize];
        let val = VALUES[rng.below(VALUES.len() as u64) as usize];
        out.extend_from_slice(format!("{n}: {val}\r\n").as_bytes());
    }
    match rng.below(3) {
        0 => {
            out.extend_from_slice(b"\r\n");
            out.extend_from_slice(&b"until-close"[..rng.below(12) as usize]);
        }
        1 => {
            let n = rng.below(5) as usize;
            out.extend_from_slice(format!("Content-Length: {n}\r\n\r\n").as_bytes());
            out.extend(std::iter::repeat_n(b'b', n));
        }
        _ => {
            out.extend_from_slice(b"Transfer-Encoding: chunked\r\n\r\n");
            for _ in 0..rng.below(3) {
                let n = 1 + rng.below(3) as usize;
                out.extend_from_slice(format!("{n}\r\n").as_bytes());
                out.extend(std::iter::repeat_n(b'c', n));
                out.extend_from_slice(b"\r\n");
            }
            out.extend_from_slice(b"0\r\n");
            if rng.below(2) == 0 {
                out.extend_from_slice(b"Trailer-A: 1\r\n");
            }
            out.extend_from_slice(b"\r\n");
        }
    }
    (out, method)
}

fn mutate(rng: &mut Rng, case: &mut Vec<u8>) {
    const BYTES: &[u8] = b"\r\n \t:,;\x00\x7f\x80/0aZ-H";
    for _ in 0..1 + rng.below(2) {
        if case.is_empty() {
            case.push(b'H');
        }
        let at = rng.below(case.len() as u64) as usize;
        let b = BYTES[rng.below(BYTES.len() as u64) as usize];
        match rng.below(3) {
            0 => case[at] = b,
            1 => case.insert(at, b),
            _ => {
                case.remove(at);
            }
        }
    }
}

/// rt's log: the response parser driven as Node's client drives it.
fn rt_log(input: &[u8], method: &str) -> Vec<Value> {
    let head_request = method == "HEAD";
    let mut log = Vec::new();
    let mut at = 0;
    loop {
        let rest = &input[at..];
        let head = match parse_response(rest, DEFAULT_MAX_HEADER_SIZE) {
            Ok(Parsed::Complete(h)) => h,
            Ok(Parsed::Partial) => {
                // The server closed before a whole response: Node's client
                // reports a hang-up.
                log.push(json!(["err", "ECONNRESET", Value::Null]));
                return log;
            }
            Err(e) => {
                log.push(json!(["err", e.code.as_str(), at + e.at]));
                return log;
            }
        };
        let raw: Vec<String> = head
            .fields
            .headers
            .iter()
            .flat_map(|h| [latin1(&rest[h.name.clone()]), latin1(&rest[h.value.clone()])])
            .collect();
        let version = format!("{}.{}", head.version.0, head.version.1);
        let reason = latin1(&rest[head.reason.clone()]);
        let kind = head.body(head_request);
        if kind == ResponseBody::Upgrade {
            log.push(json!(["upgrade", head.status]));
            return log;
        }
        if head.status / 100 == 1 {
            log.push(json!(["info", head.status, reason, version, raw]));
            at += head.len;
            if !head.should_keep_alive(head_request) {
                if let Some(off) = input[at..].iter().position(|&b| b != b'\r' && b != b'\n') {
                    log.push(json!(["err", "HPE_CLOSED_CONNECTION", at + off + 1]));
                }
                return log;
            }
            continue;
        }
        log.push(json!(["res", head.status, reason, version, raw]));
        let mut pos = at + head.len;
        let mut body = Vec::new();
        let mut trailers: Vec<String> = Vec::new();
        match kind {
            ResponseBody::None | ResponseBody::Upgrade => {}
            ResponseBody::UntilClose => {
                body.extend_from_slice(&input[pos..]);
                pos = input.len();
            }
            ResponseBody::Length(n) => {
                if ((input.len() - pos) as u64) < n {
                    log.push(json!(["reserr", "ECONNRESET"]));
                    return log;
                }
                body.extend_from_slice(&input[pos..pos + n as usize]);
                pos += n as usize;
            }
            ResponseBody::Chunked => {
                let mut dec = ChunkedDecoder::new(DEFAULT_MAX_HEADER_SIZE);
                loop {
                    match dec.decode(&input[pos..]) {
                        Err(e) => {
                            // Node reports the parse error, then the
                            // response is aborted.
                            log.push(json!(["err", e.code.as_str(), pos + e.at]));
                            log.push(json!(["reserr", "ECONNRESET"]));
                            return log;
                        }
                        Ok((n, ev)) => {
                            let base = pos;
                            pos += n;
                            match ev {
                                Some(ChunkEvent::Data(r)) => {
                                    body.extend_from_slice(&input[base + r.start..base + r.end])
                                }
                                Some(ChunkEvent::End(t)) => {
                                    trailers = t
                                        .iter()
                                        .flat_map(|h| {
                                            [
                                                latin1(&input[base + h.name.start..base + h.name.end]),
                                                latin1(&input[base + h.value.start..base + h.value.end]),
                                            ]
                                        })
                                        .collect();
                                    break;
                                }
                                None => {
                                    log.push(json!(["reserr", "ECONNRESET"]));
                                    return log;
                                }
                            }
                        }
                    }
                }
            }
        }
        // What follows a complete response: the parser reads on (Node logs
        // its verdict before the response's 'end', which is emitted later).
        let rest = &input[pos..];
        if !head.should_keep_alive(head_request) {
            // llhttp's `closed` state: anything but blank lines is an error.
            if let Some(off) = rest.iter().position(|&b| b != b'\r' && b != b'\n') {
                log.push(json!(["err", "HPE_CLOSED_CONNECTION", pos + off + 1]));
            }
        } else if let Err(e) = parse_response(rest, DEFAULT_MAX_HEADER_SIZE) {
            log.push(json!(["err", e.code.as_str(), pos + e.at]));
        }
        log.push(json!(["end", b64(&body), trailers]));
        return log;
    }
}

#[test]
fn response_parser_matches_node_client() {
    let Some(node) = node_or_skip("response_parser_matches_node_client") else {
        return;
    };
    let mut cases = hand_written();
    let hand = cases.len();
    // RT_HTTP_PARSER_CASES / RT_HTTP_PARSER_SEED: a longer hunt on demand.
    let generated = std::env::var("RT_HTTP_PARSER_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1500);
    let seed = std::env::var("RT_HTTP_PARSER_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0x7e5_90a5e);
    let mut rng = Rng::new(seed);
    for i in 0..generated {
        let (mut c, m) = generate(&mut rng);
        if i % 3 != 0 {
            mutate(&mut rng, &mut c);
        }
        cases.push((c, m));
    }
    let input =
        serde_json::to_vec(&cases.iter().map(|(c, m)| json!([b64(c), m])).collect::<Vec<_>>()).unwrap();
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/node/client_oracle.js");
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
    for ((case, method), log) in cases.iter().zip(&logs) {
        let node_log: Vec<Value> = log.as_array().expect("a list").clone();
        let rt = rt_log(case, method);
        if node_log != rt {
            failures.push(format!(
                "case {:?} ({method})\n  node: {node_log:?}\n  rt:   {rt:?}",
                latin1(case)
            ));
        }
    }
    println!(
        "compared {} responses with node's client ({hand} hand-written, {generated} generated): {} differ",
        cases.len(),
        failures.len()
    );
    assert_eq!(cases.len(), hand + generated);
    assert!(
        failures.is_empty(),
        "{} of {} cases differ from node; first ones:\n{}",
        failures.len(),
        cases.len(),
        failures.iter().take(12).cloned().collect::<Vec<_>>().join("\n")
    );
}
