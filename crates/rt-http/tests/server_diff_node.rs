//! Wire-level differential: the same raw request bytes go to a Node v20
//! http server (tests/node/server_oracle.js) and to the rt server with the
//! same handler; the raw response bytes must be equal (the `Date` value
//! only is normalised). Every case is sent whole and split into three
//! segments that arrive separately.

mod common;
mod server_common;

use rt_http::ServerOptions;
use server_common::{NodeTwin, exchange, normalise, show, start_rt};

/// The parser's strictness cases (the verdicts tests/parser_node.rs checks),
/// now judged by what the server answers.
fn strictness_cases() -> Vec<Vec<u8>> {
    common::strict_requests::strictness_requests()
}

fn with_host(line: &str, rest: &str) -> Vec<u8> {
    format!("{line}\r\nHost: h\r\n{rest}").into_bytes()
}

/// Server behaviour: framing, keep-alive, pipelining, bodies, trailers,
/// HEAD, 204/304, Expect, Host, header merging, smuggling shapes.
fn feature_cases() -> Vec<Vec<u8>> {
    let mut v: Vec<Vec<u8>> = Vec::new();
    for path in [
        "/",
        "/chunked",
        "/204",
        "/304",
        "/trailers",
        "/close",
        "/cookies",
        "/bad",
        "/flush",
        "/status",
        "/head-with-len",
    ] {
        for method in ["GET", "HEAD"] {
            v.push(with_host(&format!("{method} {path} HTTP/1.1"), "\r\n"));
        }
        v.push(format!("GET {path} HTTP/1.0\r\n\r\n").into_bytes());
    }
    let more: &[&[u8]] = &[
        b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /chunked HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
        b"GET /chunked HTTP/1.0\r\nTE: chunked\r\n\r\n",
        b"GET /a HTTP/1.1\r\nHost: h\r\n\r\nGET /b HTTP/1.1\r\nHost: h\r\n\r\nGET /chunked HTTP/1.1\r\nHost: h\r\n\r\n",
        b"GET /a HTTP/1.1\r\nHost: h\r\n\r\nPOST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabcGET /c HTTP/1.1\r\nHost: h\r\n\r\n",
        b"GET /a HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\nGET /b HTTP/1.1\r\nHost: h\r\n\r\n",
        b"POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello",
        b"POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n",
        b"POST /p HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n",
        b"POST /p HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\n0\r\nX-T: v\r\nX-T: w\r\nY: z\r\n\r\n",
        b"POST /p HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nA\r\n0123456789\r\n0\r\n\r\nGET /next HTTP/1.1\r\nHost: h\r\n\r\n",
        b"POST /p HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nok",
        b"POST /p HTTP/1.1\r\nHost: h\r\nExpect: 100-Continue\r\nContent-Length: 2\r\n\r\nok",
        b"POST /p HTTP/1.1\r\nHost: h\r\nExpect: something\r\nContent-Length: 2\r\n\r\nok",
        b"POST /p HTTP/1.0\r\nExpect: something\r\nContent-Length: 2\r\n\r\nok",
        b"GET / HTTP/1.1\r\n\r\n",
        b"GET / HTTP/1.1\r\nHOST: h\r\n\r\n",
        b"GET / HTTP/1.0\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\nCookie: x=1\r\ncookie: y=2\r\nSet-Cookie: s=1\r\nset-cookie: t=2\r\nX-D: 1\r\nx-d: 2\r\nUser-Agent: u1\r\nUser-Agent: u2\r\n\r\n",
        b"GET /?q=1&r=%20 HTTP/1.1\r\nHost: h\r\nX-Latin: caf\xe9\r\n\r\n",
        b"GET http://h:1/abs?x HTTP/1.1\r\nHost: h\r\n\r\n",
        b"OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n",
        b"DELETE /d HTTP/1.1\r\nHost: h\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: h\r\nConnection: keep-alive\r\n\r\n",
        b"\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: h\r\n\r\n\r\nGET /2 HTTP/1.1\r\nHost: h\r\n\r\n",
        // Smuggling shapes.
        b"POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: h\r\n\r\n",
        b"POST /p HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n0\r\n\r\n",
        b"POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\nContent-Length: 5\r\n\r\nabcde",
        b"POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 4, 5\r\n\r\nabcde",
        b"POST /p HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n",
        b"POST /p HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: identity\r\n\r\nabc",
        b"POST /p HTTP/1.1\r\nHost: h\r\nTransfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n",
        b"POST /p HTTP/1.1\r\nHost: h\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n",
        b"POST /p HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
        b"POST /p HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\nabc\n0\n\n",
        b"POST /p HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcd\r\n0\r\n\r\n",
        b"POST /p HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\nabc\r\n0\r\n\r\n",
        b"POST /p HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0x3\r\nabc\r\n0\r\n\r\n",
        b"POST /p HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nX : y\r\n\r\n",
        b"POST /p HTTP/1.1\r\nHost: h\nContent-Length: 3\r\n\r\nabc",
        b"POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\rabc",
        b"POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nab",
        b"POST /p HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nab",
        b"GET / HTTP/1.1\r\nHost: h\r\nX\x00Y: 1\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: h\r\nX: a\x0bb\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: h\r\n\tX: 1\r\n\r\n",
        b"GET /a b HTTP/1.1\r\nHost: h\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: h\r\n\r\nGARBAGE\r\n\r\n",
    ];
    v.extend(more.iter().map(|c| c.to_vec()));
    // An Upgrade request with no 'upgrade' listener (Node v20 answers it as
    // a normal request; the rest of the read that ended its head is dropped;
    // a later read is parsed as HTTP; a parse error right after it gets no
    // answer). Each case is as long again as the upgrade head, so split in
    // three the head ends exactly at the last segment's start.
    let up = b"GET /up HTTP/1.1\r\nHost: h\r\nConnection: upgrade\r\nUpgrade: foo\r\n\r\n".to_vec();
    let pad = |start: &str, end: &str| {
        let mut x = start.to_string();
        while x.len() + end.len() < up.len() {
            x.push('p');
        }
        x.push_str(end);
        assert_eq!(x.len(), up.len(), "the second half as long as the head");
        x.into_bytes()
    };
    for second in [
        pad("GET /2 HTTP/1.1\r\nHost: h\r\nX-Pad: ", "\r\n\r\n"),
        pad("garbage", "\r\n\r\n"),
        pad(
            "POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nX: ",
            "\r\n\r\nabc",
        ),
    ] {
        let mut c = up.clone();
        c.extend_from_slice(&second);
        v.push(c);
    }
    let mut c = up.clone();
    c.extend_from_slice(b"GET /dropped HTTP/1.1\r\nHost: h\r\n\r\n");
    v.push(c);
    v
}

/// Cases for a server with small limits: maxHeaderSize 1024,
/// maxRequestsPerSocket 2, maxHeadersCount 3.
fn limit_cases() -> Vec<Vec<u8>> {
    let mut v: Vec<Vec<u8>> = Vec::new();
    v.push(b"GET /a HTTP/1.1\r\nHost: h\r\n\r\nGET /b HTTP/1.1\r\nHost: h\r\n\r\nGET /c HTTP/1.1\r\nHost: h\r\n\r\n".to_vec());
    v.push(b"GET /a HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n".to_vec());
    v.push(b"GET /a HTTP/1.0\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n".to_vec());
    for len in [900, 990, 1000, 1010, 1024, 1100] {
        let mut c = b"GET / HTTP/1.1\r\nHost: h\r\nX: ".to_vec();
        c.extend(std::iter::repeat_n(b'v', len));
        c.extend_from_slice(b"\r\n\r\n");
        v.push(c);
    }
    let mut c =
        b"POST /p HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\nT: ".to_vec();
    c.extend(std::iter::repeat_n(b't', 1100));
    c.extend_from_slice(b"\r\n\r\n");
    v.push(c);
    v
}

/// The whole case, and three segments (first byte, up to the middle, rest).
fn splits(case: &[u8]) -> Vec<Vec<&[u8]>> {
    let mut out = vec![vec![case]];
    if case.len() >= 3 {
        let mid = case.len() / 2;
        out.push(vec![&case[..1], &case[1..mid], &case[mid..]]);
    }
    out
}

fn compare(node_port: u16, rt_port: u16, cases: &[Vec<u8>], failures: &mut Vec<String>) -> usize {
    let mut n = 0;
    for case in cases {
        for segs in splits(case) {
            let a = normalise(exchange(node_port, &segs));
            let b = normalise(exchange(rt_port, &segs));
            if a != b {
                failures.push(format!(
                    "request ({} segments): {}\n  node: {}\n  rt:   {}",
                    segs.len(),
                    show(case),
                    show(&a),
                    show(&b)
                ));
            }
            n += 1;
        }
    }
    n
}

#[test]
fn raw_responses_match_node() {
    let Some(node) = rt_tests::node::node_or_skip("raw_responses_match_node") else {
        return;
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let mut failures = Vec::new();
    let mut compared = 0;
    let mut expected = 0;

    let twin = NodeTwin::start(&node, "{}");
    let (_server, port) = rt.block_on(start_rt(ServerOptions::default()));
    let mut cases = strictness_cases();
    cases.extend(feature_cases());
    expected += cases.iter().map(|c| splits(c).len()).sum::<usize>();
    compared += compare(twin.port, port, &cases, &mut failures);
    drop(twin);

    let twin = NodeTwin::start(
        &node,
        r#"{"maxHeaderSize":1024,"maxRequestsPerSocket":2,"maxHeadersCount":3}"#,
    );
    let mut opts = ServerOptions::default();
    opts.max_header_size = 1024;
    opts.max_requests_per_socket = 2;
    opts.max_headers_count = 3;
    let (_limited, port) = rt.block_on(start_rt(opts));
    let cases = limit_cases();
    expected += cases.iter().map(|c| splits(c).len()).sum::<usize>();
    compared += compare(twin.port, port, &cases, &mut failures);

    println!(
        "compared {compared} raw exchanges with node ({} differ)",
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "{} of {compared} exchanges differ from node:\n{}",
        failures.len(),
        failures.iter().take(60).cloned().collect::<Vec<_>>().join("\n")
    );
    assert_eq!(compared, expected);
    assert!(compared >= 200, "at least 100 cases, each whole and split");
}
