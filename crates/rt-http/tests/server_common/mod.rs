//! What the server tests share: the handler both servers run (its Node twin
//! is tests/node/server_oracle.js), starting the Node twin, and a raw
//! client that sends bytes in segments and reads until the server closes.

#![allow(dead_code, unreachable_pub)]

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Stdio};
use std::time::Duration;

use rt_http::{HeaderValue, IncomingMessage, OutValue, Server, ServerOptions, ServerResponse};
use rt_tests::node::Node;
use rt_tests::wait::Lines;

/// The handler of tests/node/server_oracle.js.
pub async fn handle(req: IncomingMessage, res: ServerResponse) {
    match req.url() {
        "/chunked" => {
            let _ = res.write("a");
            let _ = res.write("bc");
            let _ = res.end();
        }
        "/204" => {
            let _ = res.write_head(204);
            let _ = res.end_with("x");
        }
        "/304" => {
            let _ = res.write_head_with(304, None, Some(vec![("X-A".into(), OutValue::from("1"))]));
            let _ = res.end();
        }
        "/trailers" => {
            if let Err(e) =
                res.write_head_with(200, None, Some(vec![("Trailer".into(), OutValue::from("X-T"))]))
            {
                let _ = res.end_with(e.code());
                return;
            }
            let _ = res.write("a");
            let _ = res.add_trailers([("X-T", "v")]);
            let _ = res.end();
        }
        "/close" => {
            let _ = res.set_header("Connection", "close");
            let _ = res.end_with("bye");
        }
        "/cookies" => {
            let _ = res.set_header("Set-Cookie", vec!["a=1", "b=2"]);
            let _ = res.append_header("X-M", "one");
            let _ = res.append_header("X-M", "two");
            let _ = res.end();
        }
        "/bad" => {
            let tries: Vec<Result<(), rt_stream::Error>> = vec![
                res.set_header("X Y", "v").map(|_| ()),
                res.set_header("X", "a\r\nb").map(|_| ()),
                res.set_header("X", "a\nb").map(|_| ()),
                res.set_header("", "v").map(|_| ()),
            ];
            let out: Vec<&str> = tries
                .iter()
                .map(|r| match r {
                    Ok(()) => "ok",
                    Err(e) => e.code(),
                })
                .collect();
            let _ = res.end_with(out.join(","));
        }
        "/flush" => {
            let _ = res.flush_headers();
            let _ = res.end_with("later");
        }
        "/status" => {
            res.set_status_code(404);
            res.set_status_message("Nope");
            let _ = res.end_with("nf");
        }
        "/head-with-len" => {
            let _ = res.set_header("Content-Length", "5");
            let _ = res.end_with("hello");
        }
        _ => {
            let body: Vec<u8> = match req.read_all().await {
                Ok(chunks) => chunks.iter().flat_map(|c| c.to_vec()).collect(),
                Err(_) => return,
            };
            let entries: Vec<serde_json::Value> = req
                .headers()
                .iter()
                .map(|(k, v)| {
                    let v = match v {
                        HeaderValue::One(s) => serde_json::Value::from(s.as_str()),
                        HeaderValue::List(l) => serde_json::Value::from(l.clone()),
                    };
                    serde_json::json!([k, v])
                })
                .collect();
            let lines = [
                req.method().to_string(),
                req.url().to_string(),
                req.http_version(),
                serde_json::to_string(req.raw_headers()).unwrap_or_default(),
                serde_json::to_string(&entries).unwrap_or_default(),
                body.len().to_string(),
                body.iter().map(|&b| b as char).collect(),
                serde_json::to_string(&req.raw_trailers()).unwrap_or_default(),
                req.complete().to_string(),
            ];
            let _ = res.set_header("X-Echo", "1");
            let _ = res.end_with(lines.join("\n"));
        }
    }
}

/// A Node server running server_oracle.js with `options` (JSON for
/// `http.createServer`); stops when dropped.
pub struct NodeTwin {
    child: Child,
    stdin: Option<ChildStdin>,
    pub port: u16,
}

impl NodeTwin {
    pub fn start(node: &Node, options: &str) -> NodeTwin {
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/node/server_oracle.js");
        let mut child = node
            .command()
            .arg(script)
            .arg(options)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("spawn node server_oracle.js");
        let stdin = child.stdin.take();
        let lines = Lines::spawn(child.stdout.take().expect("node stdout"));
        let port = lines
            .next_within(30, "the node twin's port")
            .trim()
            .parse()
            .expect("a port number");
        NodeTwin { child, stdin, port }
    }
}

impl Drop for NodeTwin {
    fn drop(&mut self) {
        drop(self.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An rt server with the twin's handler, listening on 127.0.0.1.
pub async fn start_rt(options: ServerOptions) -> (Server, u16) {
    let server = Server::with_options(options, Some(handle));
    let addr = rt_tests::wait::within(10, "rt server listening", server.listen(("127.0.0.1", 0)))
        .await
        .expect("listen");
    (server, addr.port().expect("a port"))
}

/// Sends `segments` (a pause between them so each arrives on its own),
/// half-closes, and reads until the server closes (or resets).
pub fn exchange(port: u16, segments: &[&[u8]]) -> Vec<u8> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.set_nodelay(true).expect("nodelay");
    s.set_read_timeout(Some(Duration::from_secs(15)))
        .expect("timeout");
    for (i, seg) in segments.iter().enumerate() {
        if i > 0 {
            std::thread::sleep(Duration::from_millis(15));
        }
        if s.write_all(seg).is_err() {
            break;
        }
    }
    let _ = s.shutdown(Shutdown::Write);
    let mut out = Vec::new();
    let mut buf = [0u8; 65536];
    loop {
        match s.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e)
                if e.kind() == std::io::ErrorKind::WouldBlock || e.kind() == std::io::ErrorKind::TimedOut =>
            {
                panic!("the server neither answered nor closed within 15 s")
            }
            Err(_) => break, // reset: what arrived before it counts
        }
    }
    out
}

/// The response bytes with each `Date:` value replaced by `X`.
pub fn normalise(mut bytes: Vec<u8>) -> Vec<u8> {
    let pat = b"\r\nDate: ";
    let mut i = 0;
    while let Some(at) = bytes[i..].windows(pat.len()).position(|w| w == pat) {
        let start = i + at + pat.len();
        let end = bytes[start..]
            .windows(2)
            .position(|w| w == b"\r\n")
            .map_or(bytes.len(), |e| start + e);
        bytes.splice(start..end, *b"X");
        i = start + 1;
    }
    bytes
}

/// Printable form of bytes for failure messages.
pub fn show(bytes: &[u8]) -> String {
    bytes.escape_ascii().to_string()
}
