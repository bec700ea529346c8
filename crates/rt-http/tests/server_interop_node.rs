//! Node's own http client (`http.request`, an Agent with keep-alive, a raw
//! `net` socket for pipelining) against the rt server: keep-alive reuse by
//! socket identity, chunked bodies both ways, trailers both ways,
//! 100-continue, HEAD, upgrade hand-off, pipelining in order.

mod server_common;

use std::path::PathBuf;

use rt_events::Emitter;
use rt_http::ServerOptions;
use rt_http::server::{UPGRADE, Upgrade};
use serde_json::Value;
use server_common::start_rt;

#[test]
fn node_client_against_rt_server() {
    let Some(node) = rt_tests::node::node_or_skip("node_client_against_rt_server") else {
        return;
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let (server, port) = rt.block_on(start_rt(ServerOptions::default()));
    server.on(&UPGRADE, |u: &Upgrade| {
        let s = u.socket.clone();
        let _ = s.write("HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n");
        if !u.head.is_empty() {
            let _ = s.write(u.head.clone());
        }
        s.pipe(&s);
    });
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/node/client_against.js");
    let out = node.run_file(&script, &[&port.to_string()], b"");
    let v: Value = serde_json::from_slice(&out).expect("node's JSON");
    assert!(v.get("error").is_none(), "node client failed: {}", v["error"]);

    // Keep-alive: one socket for the three requests, reused twice.
    let ka = v["keepAlive"].as_array().expect("keepAlive");
    assert_eq!(ka.len(), 3);
    let first_socket = &ka[0][1];
    for (i, r) in ka.iter().enumerate() {
        assert_eq!(r[0], 200, "request {i}");
        assert_eq!(&r[1], first_socket, "request {i} on the first socket");
        assert_eq!(r[2], i > 0, "reusedSocket of request {i}");
        assert_eq!(r[3], "keep-alive");
    }

    // Chunked request body with trailers, echoed by the handler.
    let up: Vec<&str> = v["chunkedUp"]
        .as_array()
        .expect("chunkedUp")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(up[0], "POST");
    assert!(
        up[3].contains("\"Transfer-Encoding\",\"chunked\""),
        "chunked upload: {}",
        up[3]
    );
    assert_eq!(&up[5..], ["4", "abcd", "[\"X-Up\",\"done\"]", "true"]);

    assert_eq!(v["chunkedDown"], serde_json::json!(["abc", "chunked"]));
    assert_eq!(v["trailers"], serde_json::json!(["a", {"x-t": "v"}]));

    assert_eq!(v["gotContinue"], true, "100 Continue reached node's client");
    let cont: Vec<&str> = v["cont"]
        .as_array()
        .expect("cont")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(&cont[5..7], ["4", "wxyz"]);

    assert_eq!(
        v["head"],
        serde_json::json!([200, "", null]),
        "HEAD: no body and, as Node, no framing header"
    );

    assert_eq!(v["upgrade"], serde_json::json!([101, "echo", "ping"]));

    assert_eq!(
        v["pipelined"],
        serde_json::json!(["200 OK /p1", "200 OK chunked", "200 OK /p3"]),
        "pipelined responses in request order"
    );
    println!("node's http client: 9 scenarios against the rt server");
}
