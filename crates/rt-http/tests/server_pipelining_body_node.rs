//! Pipelined requests with bodies (Content-Length and chunked), sent in one
//! write, whose handlers answer late or out of order, against a Node v20
//! server with the same handler. Node's parser reads ahead: it emits
//! `'request'` for a request with a body while the responses before it are
//! open and pushes its body as it parses it; the responses go out strictly
//! in request order. The same Node raw client sends each case to both
//! servers; the response bytes (Date normalised), the order of the
//! `'request'` events (with how many responses had been ended when each
//! came) and the bodies each request received must be equal.

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use rt_http::{IncomingMessage, Server, ServerOptions, ServerResponse};
use rt_stream::StreamEvent;
use rt_tests::wait::within;

/// Each request's url says which responses of its case its arrival ends
/// (`?end=2,1`: request 2's, then request 1's), in both servers; each
/// request's body is recorded at its `'end'`.
const SCRIPT: &str = r#"
const http = require('http'); const net = require('net');
const rtPort = Number(require('fs').readFileSync(0, 'utf8'));
const cases = JSON.parse(process.argv[2]);
const held = {}; const log = []; const bodies = []; let ended = 0;
const srv = http.createServer((req, res) => {
  const [path, query] = req.url.split('?');
  const [, name, i] = path.split('/');
  log.push(req.url + ' ended=' + ended);
  let body = '';
  req.setEncoding('latin1');
  req.on('data', (d) => { body += d; });
  req.on('end', () => { bodies.push(req.url + ' body=' + body); });
  (held[name] = held[name] || {})[i] = { res, url: req.url };
  const ends = query && query.startsWith('end=') ? query.slice(4).split(',') : [];
  for (const j of ends) {
    const h = held[name][j];
    if (h) { delete held[name][j]; ended++; h.res.end('b:' + h.url); }
  }
});
function run(port, c) {
  return new Promise((resolve) => {
    const s = net.connect(port); let got = ''; let done = false; let timer;
    const lastBody = 'b:' + c.last;
    const finish = (how) => { if (done) return; done = true; clearTimeout(timer); s.destroy();
      resolve({ got: got.replace(/Date: [^\r]*\r\n/g, 'Date: X\r\n'), how }); };
    s.on('data', (d) => { got += d.toString('latin1'); if (!c.closes && got.endsWith(lastBody)) finish('complete'); });
    s.on('close', () => finish('closed'));
    s.on('error', () => {});
    s.on('connect', () => { s.write(c.bytes, 'latin1'); timer = setTimeout(() => finish('stuck'), 5000); });
  });
}
srv.listen(0, '127.0.0.1', async () => {
  const out = [];
  for (const c of cases) {
    const from = log.length; const bfrom = bodies.length;
    const node = await run(srv.address().port, c);
    node.log = log.slice(from);
    node.bodies = bodies.slice(bfrom);
    out.push({ name: c.name, node, rt: await run(rtPort, c) });
  }
  console.log(JSON.stringify(out));
  srv.close();
});
"#;

struct Case {
    name: &'static str,
    /// The requests, each whole (head and body).
    requests: Vec<String>,
    /// The last request's url (its response ends the exchange).
    last: &'static str,
    /// The last request closes the connection.
    closes: bool,
}

fn get(url: &str) -> String {
    format!("GET {url} HTTP/1.1\r\nHost: h\r\n\r\n")
}

fn post_len(url: &str, body: &str, extra: &str) -> String {
    format!(
        "POST {url} HTTP/1.1\r\nHost: h\r\n{extra}Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
}

fn post_chunked(url: &str, chunks: &[&str], trailer: &str) -> String {
    let mut s = format!("POST {url} HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n");
    for c in chunks {
        s.push_str(&format!("{:x}\r\n{c}\r\n", c.len()));
    }
    s.push_str(&format!("0\r\n{trailer}\r\n"));
    s
}

fn cases() -> Vec<Case> {
    let big = "x".repeat(100_000);
    vec![
        // Each answered when the next one comes; the next ones have bodies.
        Case {
            name: "late-length",
            requests: vec![
                get("/ll/1"),
                post_len("/ll/2?end=1", "hello", ""),
                post_len("/ll/3?end=2", "world!", ""),
                get("/ll/4?end=3,4"),
            ],
            last: "/ll/4?end=3,4",
            closes: false,
        },
        Case {
            name: "late-chunked",
            requests: vec![
                get("/lc/1"),
                post_chunked("/lc/2?end=1", &["hel", "lo"], ""),
                post_chunked("/lc/3?end=2", &["a"], "X-T: 1\r\n"),
                get("/lc/4?end=3,4"),
            ],
            last: "/lc/4?end=3,4",
            closes: false,
        },
        // Bodies all the way, answered last to first.
        Case {
            name: "reverse",
            requests: vec![
                post_len("/rv/1", "abc", ""),
                post_chunked("/rv/2", &["de", "f"], ""),
                post_len("/rv/3", "ghij", ""),
                get("/rv/4?end=4,3,2,1"),
            ],
            last: "/rv/4?end=4,3,2,1",
            closes: false,
        },
        // A body larger than a read and the readable's high-water mark,
        // held behind an open response.
        Case {
            name: "large",
            requests: vec![get("/lg/1"), post_len("/lg/2", &big, ""), get("/lg/3?end=3,2,1")],
            last: "/lg/3?end=3,2,1",
            closes: false,
        },
        // The last one, with a body, closes the connection.
        Case {
            name: "close",
            requests: vec![
                post_len("/cl/1", "one", ""),
                post_len("/cl/2?end=2,1", "two", "Connection: close\r\n"),
            ],
            last: "/cl/2?end=2,1",
            closes: true,
        },
    ]
}

type Held = Arc<Mutex<HashMap<String, (String, ServerResponse)>>>;

/// The rt twin of the script's handler; the logs are shared with the test.
fn start_rt(log: Arc<Mutex<Vec<String>>>, bodies: Arc<Mutex<Vec<String>>>) -> Server {
    let held: Held = Arc::default();
    let ended = Arc::new(Mutex::new(0usize));
    Server::with_options(
        ServerOptions::default(),
        Some(move |req: IncomingMessage, res: ServerResponse| {
            let url = req.url().to_string();
            let (path, query) = url.split_once('?').unwrap_or((&url, ""));
            let mut parts = path.split('/').skip(1);
            let name = parts.next().unwrap_or("").to_string();
            let i = parts.next().unwrap_or("").to_string();
            let mut ended = ended.lock().expect("ended");
            log.lock().expect("log").push(format!("{url} ended={}", *ended));
            let body = Arc::new(Mutex::new(Vec::<u8>::new()));
            let b = body.clone();
            req.on_data(move |chunk| b.lock().expect("body").extend_from_slice(chunk));
            let (bodies, u) = (bodies.clone(), url.clone());
            req.on(StreamEvent::End, move || {
                let text: String = body.lock().expect("body").iter().map(|&c| c as char).collect();
                bodies.lock().expect("bodies").push(format!("{u} body={text}"));
            });
            let mut held = held.lock().expect("held");
            held.insert(format!("{name}/{i}"), (url.clone(), res));
            let ends = query
                .strip_prefix("end=")
                .map(|e| e.split(',').collect::<Vec<_>>());
            for j in ends.unwrap_or_default() {
                if let Some((u, h)) = held.remove(&format!("{name}/{j}")) {
                    *ended += 1;
                    let _ = h.end_with(format!("b:{u}"));
                }
            }
        }),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pipelined_requests_with_bodies_dispatched_ahead_as_node() {
    let Some(node) = rt_tests::node::node_or_skip("pipelined_requests_with_bodies_dispatched_ahead_as_node")
    else {
        return;
    };
    let log = Arc::new(Mutex::new(Vec::new()));
    let bodies = Arc::new(Mutex::new(Vec::new()));
    let server = start_rt(log.clone(), bodies.clone());
    let port = within(10, "listen", server.listen(("127.0.0.1", 0)))
        .await
        .expect("listen")
        .port()
        .expect("port");
    let cases = cases();
    let spec: Vec<serde_json::Value> = cases
        .iter()
        .map(|c| {
            serde_json::json!({
                "name": c.name,
                "bytes": c.requests.concat(),
                "last": c.last,
                "closes": c.closes,
            })
        })
        .collect();
    let spec = serde_json::Value::from(spec);
    let got = common::run_node_cases(node, "pipelining_body.js", SCRIPT, &spec, port, cases.len()).await;
    let rt_log = log.lock().expect("log").clone();
    let mut rt_bodies = bodies.lock().expect("bodies").clone();
    let mut at = 0;
    let mut compared = 0;
    let mut all_node_bodies = Vec::new();
    for (c, g) in cases.iter().zip(&got) {
        assert_eq!(g["name"], c.name);
        let want = if c.closes { "closed" } else { "complete" };
        assert_eq!(g["node"]["how"], want, "node's answer to {}: {g}", c.name);
        assert_eq!(
            g["rt"]["how"], g["node"]["how"],
            "how the exchange ended, case {}: {}",
            c.name, g["rt"]
        );
        assert_eq!(
            g["rt"]["got"], g["node"]["got"],
            "response bytes, case {}",
            c.name
        );
        let node_log: Vec<String> = serde_json::from_value(g["node"]["log"].clone()).expect("node log");
        let n = node_log.len();
        assert_eq!(n, c.requests.len(), "node saw every request of {}", c.name);
        assert_eq!(
            rt_log.get(at..at + n).map(<[String]>::to_vec),
            Some(node_log),
            "'request' events (order, responses ended before each), case {}",
            c.name
        );
        at += n;
        let node_bodies: Vec<String> =
            serde_json::from_value(g["node"]["bodies"].clone()).expect("node bodies");
        assert_eq!(node_bodies.len(), n, "node's bodies of {}", c.name);
        all_node_bodies.extend(node_bodies);
        compared += 1;
    }
    assert_eq!(at, rt_log.len(), "no other rt 'request' events: {rt_log:?}");
    // Each request's body, whole (the order of 'end' events across requests
    // is not part of the comparison).
    rt_bodies.sort();
    all_node_bodies.sort();
    assert_eq!(rt_bodies.len(), all_node_bodies.len(), "bodies received");
    assert_eq!(rt_bodies, all_node_bodies, "the bodies each request received");
    println!(
        "pipelining-with-body cases compared with node: {compared} ({} requests, {} bodies)",
        at,
        rt_bodies.len()
    );
    assert_eq!(compared, 5);
}
