//! Pipelined requests whose handlers answer late or out of order, against a
//! Node v20 server with the same handler: Node's parser reads ahead and
//! emits `'request'` for every request it has read while the responses
//! before it are still open, and sends the responses strictly in request
//! order (later ones wait in line). The same Node raw client sends each
//! case's requests in one write to both servers; the response bytes (Date
//! normalised) and the order of the `'request'` events (with how many
//! responses had been ended when each came) must be equal.

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use rt_http::{IncomingMessage, Server, ServerOptions, ServerResponse};
use rt_tests::wait::within;

/// Each request's url says which responses of its case its arrival ends
/// (`?end=2,1`: request 2's, then request 1's), in both servers.
const SCRIPT: &str = r#"
const http = require('http'); const net = require('net');
const rtPort = Number(require('fs').readFileSync(0, 'utf8'));
const cases = JSON.parse(process.argv[2]);
const held = {}; const log = []; let ended = 0;
const srv = http.createServer((req, res) => {
  const [path, query] = req.url.split('?');
  const [, name, i] = path.split('/');
  log.push(req.url + ' ended=' + ended);
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
    s.on('connect', () => { s.write(c.bytes); timer = setTimeout(() => finish('stuck'), 5000); });
  });
}
srv.listen(0, '127.0.0.1', async () => {
  const out = [];
  for (const c of cases) {
    const from = log.length;
    const node = await run(srv.address().port, c);
    node.log = log.slice(from);
    out.push({ name: c.name, node, rt: await run(rtPort, c) });
  }
  console.log(JSON.stringify(out));
  srv.close();
});
"#;

struct Case {
    name: &'static str,
    /// Each request: url, then extra header lines.
    requests: Vec<(&'static str, &'static str)>,
    /// The last request closes the connection.
    closes: bool,
}

fn cases() -> Vec<Case> {
    vec![
        // All five read at once, answered last to first.
        Case {
            name: "rev",
            requests: vec![
                ("/rev/1", ""),
                ("/rev/2", ""),
                ("/rev/3", ""),
                ("/rev/4", ""),
                ("/rev/5?end=5,4,3,2,1", ""),
            ],
            closes: false,
        },
        // Each answered when the next one comes.
        Case {
            name: "late",
            requests: vec![
                ("/late/1", ""),
                ("/late/2?end=1", ""),
                ("/late/3?end=2", ""),
                ("/late/4?end=3", ""),
                ("/late/5?end=4,5", ""),
            ],
            closes: false,
        },
        // Some answered at once, some held behind them.
        Case {
            name: "mix",
            requests: vec![
                ("/mix/1?end=1", ""),
                ("/mix/2", ""),
                ("/mix/3?end=3", ""),
                ("/mix/4?end=2", ""),
                ("/mix/5?end=5,4", ""),
            ],
            closes: false,
        },
        // The last one closes the connection; answered last to first.
        Case {
            name: "close",
            requests: vec![
                ("/close/1", ""),
                ("/close/2", "X-A: 1\r\n"),
                ("/close/3?end=3,2,1", "Connection: close\r\n"),
            ],
            closes: true,
        },
        // Twenty, the first held until the last.
        Case {
            name: "twenty",
            requests: (1..=20)
                .map(|i| -> (&'static str, &'static str) {
                    let url = match i {
                        1 => "/twenty/1".to_string(),
                        20 => "/twenty/20?end=1,20".to_string(),
                        _ => format!("/twenty/{i}?end={i}"),
                    };
                    (Box::leak(url.into_boxed_str()), "")
                })
                .collect(),
            closes: false,
        },
    ]
}

/// The rt twin of the script's handler; the log is shared with the test.
fn start_rt(log: Arc<Mutex<Vec<String>>>) -> Server {
    let held: Arc<Mutex<HashMap<String, (String, ServerResponse)>>> = Arc::default();
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
async fn pipelined_requests_dispatched_ahead_answered_in_order_as_node() {
    let Some(node) =
        rt_tests::node::node_or_skip("pipelined_requests_dispatched_ahead_answered_in_order_as_node")
    else {
        return;
    };
    let log = Arc::new(Mutex::new(Vec::new()));
    let server = start_rt(log.clone());
    let port = within(10, "listen", server.listen(("127.0.0.1", 0)))
        .await
        .expect("listen")
        .port()
        .expect("port");
    let cases = cases();
    let spec: Vec<serde_json::Value> = cases
        .iter()
        .map(|c| {
            let bytes: String = c
                .requests
                .iter()
                .map(|(url, extra)| format!("GET {url} HTTP/1.1\r\nHost: h\r\n{extra}\r\n"))
                .collect();
            serde_json::json!({
                "name": c.name,
                "bytes": bytes,
                "last": c.requests.last().map(|r| r.0),
                "closes": c.closes,
            })
        })
        .collect();
    let spec = serde_json::Value::from(spec);
    let got = common::run_node_cases(node, "pipelining.js", SCRIPT, &spec, port, cases.len()).await;
    let rt_log = log.lock().expect("log").clone();
    let mut at = 0;
    let mut compared = 0;
    for (c, g) in cases.iter().zip(&got) {
        assert_eq!(g["name"], c.name);
        let want = if c.closes { "closed" } else { "complete" };
        assert_eq!(g["node"]["how"], want, "node's answer to {}: {g}", c.name);
        assert_eq!(
            g["rt"]["how"], g["node"]["how"],
            "how the exchange ended, case {}: {g}",
            c.name
        );
        assert_eq!(
            g["rt"]["got"], g["node"]["got"],
            "response bytes, case {}",
            c.name
        );
        let node_log: Vec<String> = serde_json::from_value(g["node"]["log"].clone()).expect("node log");
        let n = node_log.len();
        assert_eq!(n, c.requests.len(), "node saw every request of {}", c.name);
        let rt_part = rt_log.get(at..at + n).map(<[String]>::to_vec);
        assert_eq!(
            rt_part,
            Some(node_log),
            "'request' events (order, responses ended before each), case {}",
            c.name
        );
        at += n;
        compared += 1;
    }
    assert_eq!(at, rt_log.len(), "no other rt 'request' events: {rt_log:?}");
    println!("pipelining cases compared with node: {compared}");
    assert_eq!(compared, 5);
}
