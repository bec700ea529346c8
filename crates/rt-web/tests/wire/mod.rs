//! Shared by the body-reader tests: a server on a free loopback port and a raw
//! HTTP/1.1 client that sends exact bytes and reads the whole answer.
#![allow(dead_code)]

use std::future::Future;

use rt_http::{IncomingMessage, ServerResponse};
use rt_tests::wait::within;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Starts a server with `handler` on 127.0.0.1; returns it and its port.
pub(crate) async fn serve<F, Fut>(handler: F) -> (rt_http::Server, u16)
where
    F: Fn(IncomingMessage, ServerResponse) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let server = rt_http::create_server(handler);
    let addr = within(10, "listen", server.listen(("127.0.0.1", 0)))
        .await
        .expect("listen");
    let port = addr.port().expect("a port");
    (server, port)
}

/// A parsed answer.
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) head: String,
    pub(crate) body: Vec<u8>,
}

impl Answer {
    pub(crate) fn header(&self, name: &str) -> Option<String> {
        self.head.lines().skip(1).find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim().eq_ignore_ascii_case(name).then(|| v.trim().to_string())
        })
    }

    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Parses the first response in `raw` (Content-Length or chunked or to EOF).
pub(crate) fn parse_answer(raw: &[u8]) -> Option<Answer> {
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    let head = String::from_utf8_lossy(&raw[..split - 4]).into_owned();
    let status = head.get(9..12)?.parse().ok()?;
    let mut a = Answer {
        status,
        head,
        body: Vec::new(),
    };
    let rest = &raw[split..];
    if let Some(n) = a.header("content-length").and_then(|v| v.parse::<usize>().ok()) {
        a.body = rest.get(..n)?.to_vec();
    } else if a
        .header("transfer-encoding")
        .is_some_and(|v| v.contains("chunked"))
    {
        let mut r = rest;
        loop {
            let line_end = r.windows(2).position(|w| w == b"\r\n")?;
            let size = usize::from_str_radix(std::str::from_utf8(&r[..line_end]).ok()?.trim(), 16).ok()?;
            r = &r[line_end + 2..];
            if size == 0 {
                break;
            }
            a.body.extend_from_slice(r.get(..size)?);
            r = &r[size + 2..];
        }
    } else {
        a.body = rest.to_vec();
    }
    Some(a)
}

/// Parses the answer to a HEAD request: a head and no body, whatever
/// `Content-Length` says; bytes after the head are an error.
pub(crate) fn parse_head_answer(raw: &[u8]) -> Option<Answer> {
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    if split != raw.len() {
        return None;
    }
    let head = String::from_utf8_lossy(&raw[..split - 4]).into_owned();
    let status = head.get(9..12)?.parse().ok()?;
    Some(Answer {
        status,
        head,
        body: Vec::new(),
    })
}

/// Sends `request` whole on a new connection and reads to EOF (send
/// `Connection: close`). Write errors are ignored: a server that refuses a
/// body early may close before it is all sent.
pub(crate) async fn exchange(port: u16, request: &[u8]) -> Answer {
    let s = within(10, "connect", TcpStream::connect(("127.0.0.1", port)))
        .await
        .expect("connect");
    let (mut rd, mut wr) = s.into_split();
    let req = request.to_vec();
    let writer = tokio::spawn(async move {
        let _ = wr.write_all(&req).await;
        wr
    });
    let mut got = Vec::new();
    let _ = within(30, "the answer (to EOF)", rd.read_to_end(&mut got)).await;
    let _ = writer.await;
    let parsed = if request.starts_with(b"HEAD ") {
        parse_head_answer(&got)
    } else {
        parse_answer(&got)
    };
    parsed.unwrap_or_else(|| panic!("no HTTP answer in {:?}", String::from_utf8_lossy(&got)))
}

/// A request with `Content-Length`.
pub(crate) fn request(path: &str, content_type: &str, body: &[u8]) -> Vec<u8> {
    let mut r = format!(
        "POST {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    r.extend_from_slice(body);
    r
}

/// A request with a chunked body (no declared length), in one chunk.
pub(crate) fn chunked_request(path: &str, content_type: &str, body: &[u8]) -> Vec<u8> {
    let mut r = format!(
        "POST {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\nContent-Type: {content_type}\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    .into_bytes();
    if !body.is_empty() {
        r.extend_from_slice(format!("{:x}\r\n", body.len()).as_bytes());
        r.extend_from_slice(body);
        r.extend_from_slice(b"\r\n");
    }
    r.extend_from_slice(b"0\r\n\r\n");
    r
}

/// A multipart body builder.
pub(crate) struct Form {
    pub(crate) boundary: String,
    pub(crate) body: Vec<u8>,
}

impl Form {
    pub(crate) fn new() -> Form {
        Form {
            boundary: "----rtBoundary7MA4YWxkTrZu0gW".to_string(),
            body: Vec::new(),
        }
    }

    pub(crate) fn field(mut self, name: &str, value: &[u8]) -> Form {
        self.body.extend_from_slice(
            format!(
                "--{}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n",
                self.boundary
            )
            .as_bytes(),
        );
        self.body.extend_from_slice(value);
        self.body.extend_from_slice(b"\r\n");
        self
    }

    pub(crate) fn file(mut self, name: &str, file_name: &str, data: &[u8]) -> Form {
        self.body.extend_from_slice(
            format!(
                "--{}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n",
                self.boundary
            )
            .as_bytes(),
        );
        self.body.extend_from_slice(data);
        self.body.extend_from_slice(b"\r\n");
        self
    }

    pub(crate) fn finish(mut self) -> (String, Vec<u8>) {
        self.body
            .extend_from_slice(format!("--{}--\r\n", self.boundary).as_bytes());
        (
            format!("multipart/form-data; boundary={}", self.boundary),
            self.body,
        )
    }
}

/// Files left in `dir`.
pub(crate) fn files_in(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(dir)
        .expect("read_dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect()
}
