//! `req.setTimeout` / `res.setTimeout` on the server and their `'timeout'`
//! events, against a Node v20 server with the same handler: Node's
//! `socketOnTimeout` tells the request being received (while it is not
//! complete), then the response being sent, and destroys the connection
//! when neither (nor the server) listens. The same Node raw client drives
//! both servers; the response bytes (Date normalised), how the exchange
//! ended and the handlers' logs must be equal.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use rt_http::{IncomingMessage, MESSAGE_TIMEOUT, Server, ServerOptions, ServerResponse};
use rt_tests::wait::within;

const SCRIPT: &str = r#"
const http = require('http'); const net = require('net');
const rtPort = Number(require('fs').readFileSync(0, 'utf8'));
const cases = JSON.parse(process.argv[2]);
const log = [];
const srv = http.createServer((req, res) => {
  const u = req.url;
  if (u === '/req') {
    req.setTimeout(150);
    req.on('timeout', () => { log.push('req timeout complete=' + req.complete); res.end('req-t'); });
  } else if (u === '/res') {
    res.setTimeout(150, () => { log.push('res timeout'); res.end('res-t'); });
  } else if (u === '/none') {
    res.setTimeout(150);
  } else if (u === '/both') {
    req.setTimeout(150);
    req.on('timeout', () => log.push('req timeout'));
    res.on('timeout', () => { log.push('res timeout'); res.end('both-t'); });
  } else if (u === '/complete') {
    req.setTimeout(150, () => log.push('req timeout (complete)'));
    res.on('timeout', () => { log.push('res timeout'); res.end('complete-t'); });
  } else if (u === '/later') {
    setImmediate(() => res.setTimeout(150, () => { log.push('res timeout later'); res.end('later-t'); }));
  } else if (u === '/answered') {
    res.setTimeout(150, () => log.push('res timeout (answered)'));
    res.end('answered');
  }
});
function run(port, c) {
  return new Promise((resolve) => {
    const s = net.connect(port); let got = ''; let done = false; let timer;
    const finish = (how) => { if (done) return; done = true; clearTimeout(timer); s.destroy();
      resolve({ got: got.replace(/Date: [^\r]*\r\n/g, 'Date: X\r\n'), how }); };
    s.on('data', (d) => { got += d.toString('latin1'); if (c.until && got.endsWith(c.until)) finish('answered'); });
    s.on('close', () => finish('closed'));
    s.on('error', () => {});
    s.on('connect', () => { s.write(c.bytes); timer = setTimeout(() => finish('still open'), c.wait); });
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

/// The rt twin of the script's handler.
async fn handle(log: Arc<Mutex<Vec<String>>>, req: IncomingMessage, res: ServerResponse) {
    let push = move |s: String| log.lock().expect("log").push(s);
    match req.url() {
        "/req" => {
            req.set_timeout(Duration::from_millis(150));
            let (r, res, push) = (req.clone(), res.clone(), push.clone());
            req.on(&MESSAGE_TIMEOUT, move |_| {
                push(format!("req timeout complete={}", r.complete()));
                let _ = res.end_with("req-t");
            });
        }
        "/res" => {
            res.set_timeout(Duration::from_millis(150));
            let r = res.clone();
            res.on(&MESSAGE_TIMEOUT, move |_| {
                push("res timeout".into());
                let _ = r.end_with("res-t");
            });
        }
        "/none" => {
            res.set_timeout(Duration::from_millis(150));
        }
        "/both" => {
            req.set_timeout(Duration::from_millis(150));
            let p = push.clone();
            req.on(&MESSAGE_TIMEOUT, move |_| p("req timeout".into()));
            let r = res.clone();
            res.on(&MESSAGE_TIMEOUT, move |_| {
                push("res timeout".into());
                let _ = r.end_with("both-t");
            });
        }
        "/complete" => {
            req.set_timeout(Duration::from_millis(150));
            let p = push.clone();
            req.on(&MESSAGE_TIMEOUT, move |_| p("req timeout (complete)".into()));
            let r = res.clone();
            res.on(&MESSAGE_TIMEOUT, move |_| {
                push("res timeout".into());
                let _ = r.end_with("complete-t");
            });
        }
        "/later" => {
            tokio::task::yield_now().await;
            res.set_timeout(Duration::from_millis(150));
            let r = res.clone();
            res.on(&MESSAGE_TIMEOUT, move |_| {
                push("res timeout later".into());
                let _ = r.end_with("later-t");
            });
        }
        "/answered" => {
            res.set_timeout(Duration::from_millis(150));
            res.on(&MESSAGE_TIMEOUT, move |_| push("res timeout (answered)".into()));
            let _ = res.end_with("answered");
        }
        _ => {}
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_and_response_timeouts_as_node() {
    let Some(node) = rt_tests::node::node_or_skip("request_and_response_timeouts_as_node") else {
        return;
    };
    let log = Arc::new(Mutex::new(Vec::new()));
    let l = log.clone();
    let server = Server::with_options(
        ServerOptions::default(),
        Some(move |req: IncomingMessage, res: ServerResponse| handle(l.clone(), req, res)),
    );
    let port = within(10, "listen", server.listen(("127.0.0.1", 0)))
        .await
        .expect("listen")
        .port()
        .expect("port");
    let post = |path: &str| format!("POST {path} HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\n12345");
    let get = |path: &str| format!("GET {path} HTTP/1.1\r\nHost: h\r\n\r\n");
    // (name, bytes sent, the body that ends the exchange, ms to wait at most)
    let cases: Vec<(&str, String, &str, u32)> = vec![
        ("req", post("/req"), "req-t", 3000),
        ("res", get("/res"), "res-t", 3000),
        ("none", get("/none"), "", 3000),
        ("both", post("/both"), "both-t", 3000),
        ("complete", get("/complete"), "complete-t", 3000),
        ("later", get("/later"), "later-t", 3000),
        // Answered at once: the timer still runs on the idle keep-alive
        // connection, nobody hears it and nothing closes it before the wait.
        ("answered", get("/answered"), "", 600),
    ];
    let spec: Vec<serde_json::Value> = cases
        .iter()
        .map(|(name, bytes, until, wait)| serde_json::json!({"name": name, "bytes": bytes, "until": until, "wait": wait}))
        .collect();
    let spec = serde_json::Value::from(spec);
    let got = common::run_node_cases(node, "message_timeout.js", SCRIPT, &spec, port, cases.len()).await;
    let rt_log = log.lock().expect("log").clone();
    let mut node_log = Vec::new();
    let mut compared = 0;
    for ((name, ..), g) in cases.iter().zip(&got) {
        assert_eq!(g["name"], *name);
        assert_eq!(
            g["rt"]["how"], g["node"]["how"],
            "how the exchange ended, case {name}: {g}"
        );
        assert_eq!(g["rt"]["got"], g["node"]["got"], "response bytes, case {name}");
        let l: Vec<String> = serde_json::from_value(g["node"]["log"].clone()).expect("node log");
        node_log.extend(l);
        compared += 1;
    }
    println!("node's answers: {got:?}");
    assert_eq!(
        rt_log, node_log,
        "the handlers' logs ('timeout' events heard, in order)"
    );
    println!("message timeout cases compared with node: {compared}");
    assert_eq!(compared, 7);
}
