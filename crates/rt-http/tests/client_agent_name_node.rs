//! `agent.getName(options)` as Node v20's: the pool name for each shape of
//! options (host, port, localAddress, family, socketPath, and what getName
//! ignores), and the names a request's pool is counted under in
//! `agent.sockets` (the request defaults its host, port and `hostname`
//! first; a port of 0 is none) with the request's Host header, compared
//! with node's.

use rt_http::{Agent, AgentOptions, RequestOptions};
use rt_net::Family;
use rt_tests::node::node_or_skip;
use serde_json::{Value, json};

/// One shape of options, for rt and as the object node is given.
fn shape(
    host: Option<&str>,
    hostname: Option<&str>,
    port: Option<u16>,
    local: Option<&str>,
    family: Option<u8>,
    socket_path: Option<&str>,
) -> (RequestOptions, Value) {
    let mut o = RequestOptions::default();
    let mut js = serde_json::Map::new();
    if let Some(h) = host {
        o.host = Some(h.into());
        js.insert("host".into(), h.into());
    }
    if let Some(h) = hostname {
        o.hostname = Some(h.into());
        js.insert("hostname".into(), h.into());
    }
    if let Some(p) = port {
        o.port = Some(p);
        js.insert("port".into(), p.into());
    }
    if let Some(l) = local {
        o.local_address = Some(l.into());
        js.insert("localAddress".into(), l.into());
    }
    if let Some(f) = family {
        o.family = Some(if f == 4 { Family::IPv4 } else { Family::IPv6 });
        js.insert("family".into(), f.into());
    }
    if let Some(p) = socket_path {
        o.socket_path = Some(p.into());
        js.insert("socketPath".into(), p.into());
    }
    (o, Value::Object(js))
}

/// The shape with `defaultPort` too.
fn with_default_port((mut o, mut js): (RequestOptions, Value), port: u16) -> (RequestOptions, Value) {
    o.default_port = Some(port);
    js["defaultPort"] = port.into();
    (o, js)
}

const SCRIPT: &str = r#"
const http = require('http');
const { names, requests } = JSON.parse(require('fs').readFileSync(0, 'utf8'));
const agent = new http.Agent();
const out = { names: names.map((o) => agent.getName(o)), requests: [] };
for (const o of requests) {
  const a = new http.Agent({ keepAlive: true });
  const req = http.get({ ...o, agent: a });
  req.on('error', () => {});
  out.requests.push([Object.keys(a.sockets), req.getHeader('host')]);
  req.destroy();
}
console.log(JSON.stringify(out));
"#;

/// Mutation: the socket path written as before (`/tmp/s.sock:` in place of
/// the rest) -> the socketPath shapes differ from node's.
#[test]
fn get_name_and_pool_names_as_node() {
    let Some(node) = node_or_skip("get_name_and_pool_names_as_node") else {
        return;
    };
    let names = [
        shape(None, None, None, None, None, None),
        shape(None, None, None, None, None, Some("/tmp/s.sock")),
        shape(Some("h"), None, None, None, None, None),
        shape(Some("h"), None, Some(0), None, None, None),
        shape(None, None, Some(8080), None, None, None),
        shape(Some("h"), None, Some(80), Some("1.2.3.4"), None, None),
        shape(Some("h"), None, None, None, Some(4), None),
        shape(Some("h"), None, None, None, Some(6), None),
        shape(Some("h"), None, Some(1), None, None, Some("/x")),
        shape(Some("h"), None, None, Some("::1"), Some(6), Some("/x")),
        shape(None, Some("hn"), Some(9), None, None, None),
        shape(Some(""), None, None, None, None, None),
        shape(Some("::1"), None, Some(443), Some("::1"), Some(6), None),
        shape(
            Some("example.com"),
            None,
            Some(65535),
            None,
            Some(4),
            Some("/tmp/a b/s.sock"),
        ),
    ];
    // A port bound but not listening: the requests are refused.
    let holder = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).expect("socket");
    holder
        .bind(&std::net::SocketAddr::from(([127, 0, 0, 1], 0)).into())
        .expect("bind");
    let closed = holder
        .local_addr()
        .expect("addr")
        .as_socket()
        .expect("inet")
        .port();
    let dir = rt_tests::temp::TempDir::new("rt-http-agent-name");
    let missing = dir.path().join("missing.sock");
    let missing = missing.to_str().expect("utf-8 path");
    let requests = [
        shape(None, None, None, None, None, Some(missing)),
        shape(Some("127.0.0.1"), None, Some(closed), None, None, None),
        shape(None, None, Some(closed), None, None, None),
        shape(
            Some("ignored"),
            Some("localhost"),
            Some(closed),
            Some("127.0.0.1"),
            Some(4),
            None,
        ),
        shape(Some("127.0.0.1"), None, Some(closed), None, None, Some(missing)),
        // A port of 0 is none (Node: `options.port || defaultPort || 80`).
        shape(Some("127.0.0.1"), None, Some(0), None, None, Some(missing)),
        with_default_port(
            shape(Some("127.0.0.1"), None, Some(0), None, None, Some(missing)),
            closed,
        ),
        with_default_port(shape(Some("127.0.0.1"), None, None, None, None, Some(missing)), 0),
    ];
    let input = json!({
        "names": names.iter().map(|(_, js)| js.clone()).collect::<Vec<_>>(),
        "requests": requests.iter().map(|(_, js)| js.clone()).collect::<Vec<_>>(),
    });
    let out = node.run_script(SCRIPT, input.to_string().as_bytes());
    let node_saw: Value = serde_json::from_slice(&out)
        .unwrap_or_else(|e| panic!("node printed {:?}: {e}", String::from_utf8_lossy(&out)));
    let agent = Agent::default();
    let rt_names: Vec<String> = names.iter().map(|(o, _)| agent.get_name(o)).collect();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    // In a marked section: the request's connection fails only after it
    // (its 'socket' tick first), so the pool still counts it when read.
    let rt_requests: Vec<Value> = rt_stream::runtime::block_on(&runtime, async {
        requests
            .iter()
            .map(|(o, _)| {
                let a = Agent::new(AgentOptions {
                    keep_alive: true,
                    ..AgentOptions::default()
                });
                let req = rt_http::get(o.clone().agent(&a)).expect("request");
                let keys: Vec<String> = a.sockets().into_keys().collect();
                let host = match req.get_header("host") {
                    Some(rt_http::OutValue::One(h)) => Value::from(h),
                    Some(other) => Value::from(format!("{other:?}")),
                    None => Value::Null,
                };
                req.destroy(None);
                json!([keys, host])
            })
            .collect()
    });
    drop(holder);
    let rt_saw = json!({ "names": rt_names, "requests": rt_requests });
    println!("node: {node_saw}\nrt:   {rt_saw}");
    assert_eq!(
        node_saw["names"][1], "localhost:::/tmp/s.sock",
        "node's socketPath name"
    );
    let (nn, rn) = (&node_saw["names"], &rt_saw["names"]);
    for (i, (o, js)) in names.iter().enumerate() {
        assert_eq!(rn[i], nn[i], "getName({js}) (rt options {o:?})");
    }
    let (nr, rr) = (&node_saw["requests"], &rt_saw["requests"]);
    for (i, (_, js)) in requests.iter().enumerate() {
        assert_eq!(rr[i], nr[i], "agent.sockets keys after a request with {js}");
    }
    assert_eq!(
        (nn.as_array().map(Vec::len), nr.as_array().map(Vec::len)),
        (Some(names.len()), Some(requests.len())),
        "node answered every shape"
    );
    println!(
        "agent names: {} getName shapes and {} request pools compared with node",
        names.len(),
        requests.len()
    );
}
