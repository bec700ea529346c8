//! The JSON body reader against body-parser's rules: the limit at and one
//! past its value (declared and chunked), malformed and strict-mode bodies,
//! the type check, charsets and encodings.

mod wire;

use std::sync::mpsc;

use rt_http::{IncomingMessage, ServerResponse};
use rt_web::json::{JsonOptions, read_json};
use wire::{chunked_request, exchange, request, serve};

/// A server echoing the parsed JSON (or `none` when the type is not JSON);
/// every reader result is also sent to the returned channel.
async fn json_server(
    opts: JsonOptions,
) -> (rt_http::Server, u16, mpsc::Receiver<Result<Option<String>, u16>>) {
    let (tx, rx) = mpsc::channel();
    let tx = std::sync::Mutex::new(tx);
    let (server, port) = serve(move |req: IncomingMessage, res: ServerResponse| {
        let opts = opts.clone();
        let tx = tx.lock().expect("lock").clone();
        async move {
            let got = read_json(&req, &opts).await;
            let _ = tx.send(
                got.clone()
                    .map(|v| v.map(|v| v.to_string()))
                    .map_err(|e| e.status),
            );
            match got {
                Ok(Some(v)) => {
                    let _ = res.end_with(v.to_string());
                }
                Ok(None) => {
                    let _ = res.end_with("none");
                }
                Err(e) => e.send(&res),
            }
        }
    })
    .await;
    (server, port, rx)
}

fn body_of_len(n: usize) -> Vec<u8> {
    // {"a":"xxxx..."} padded to exactly n bytes.
    assert!(n >= 8);
    let mut v = b"{\"a\":\"".to_vec();
    v.resize(n - 2, b'x');
    v.extend_from_slice(b"\"}");
    assert_eq!(v.len(), n);
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn limit_at_and_one_past_declared_and_chunked() {
    let limit = 1000;
    let (_server, port, rx) = json_server(JsonOptions::default().limit(limit)).await;
    for chunked in [false, true] {
        let make = if chunked { chunked_request } else { request };
        let ok = exchange(port, &make("/", "application/json", &body_of_len(limit as usize))).await;
        assert_eq!(ok.status, 200, "at the limit (chunked {chunked}): {}", ok.text());
        assert_eq!(ok.body.len(), limit as usize);
        let over = exchange(
            port,
            &make("/", "application/json", &body_of_len(limit as usize + 1)),
        )
        .await;
        assert_eq!(
            over.status,
            413,
            "one past the limit (chunked {chunked}): {}",
            over.text()
        );
        assert!(
            over.text().contains("request entity too large"),
            "{}",
            over.text()
        );
        assert_eq!(over.header("connection").as_deref(), Some("close"));
    }
    let results: Vec<_> = (0..4)
        .map(|_| rt_tests::wait::recv_within(&rx, 10, "a reader result"))
        .collect();
    assert_eq!(
        results.iter().filter(|r| matches!(r, Err(413))).count(),
        2,
        "{results:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_huge_body_is_refused_without_reading_it() {
    // 8 MiB announced and sent in chunks, limit 1 KiB: the server answers
    // 413 and closes; the client cannot push the whole body through.
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (_server, port, _rx) = json_server(JsonOptions::default().limit(1024)).await;
    let s = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("connect");
    let (mut rd, mut wr) = s.into_split();
    let writer = tokio::spawn(async move {
        let head = "POST / HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
        wr.write_all(head.as_bytes()).await?;
        let chunk = vec![b' '; 64 * 1024];
        let mut sent = 0usize;
        for _ in 0..128 {
            wr.write_all(format!("{:x}\r\n", chunk.len()).as_bytes()).await?;
            wr.write_all(&chunk).await?;
            wr.write_all(b"\r\n").await?;
            sent += chunk.len();
        }
        wr.write_all(b"0\r\n\r\n").await?;
        Ok::<usize, std::io::Error>(sent)
    });
    let mut got = Vec::new();
    let _ = rt_tests::wait::within(30, "the 413 and EOF", rd.read_to_end(&mut got)).await;
    let a = wire::parse_answer(&got).expect("an answer");
    assert_eq!(a.status, 413);
    let sent = rt_tests::wait::within(30, "the writer to stop", writer)
        .await
        .expect("join");
    assert!(
        sent.is_err(),
        "the whole 8 MiB body went through: the server read past its limit"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_strict_empty_type_and_charset() {
    let (_server, port, _rx) = json_server(JsonOptions::default()).await;
    let bad = exchange(port, &request("/", "application/json", b"{\"a\":}")).await;
    assert_eq!(bad.status, 400);
    assert!(bad.text().starts_with("invalid JSON: "), "{}", bad.text());
    let prim = exchange(port, &request("/", "application/json", b" \"str\"")).await;
    assert_eq!(prim.status, 400);
    assert!(prim.text().contains("strict mode"), "{}", prim.text());
    let empty = exchange(port, &request("/", "application/json", b"")).await;
    assert_eq!((empty.status, empty.text().as_str()), (200, "{}"));
    let other = exchange(port, &request("/", "text/plain", b"{}")).await;
    assert_eq!((other.status, other.text().as_str()), (200, "none"));
    let latin = exchange(port, &request("/", "application/json; charset=latin1", b"{}")).await;
    assert_eq!(latin.status, 415);
    assert!(
        latin.text().contains("unsupported charset \"LATIN1\""),
        "{}",
        latin.text()
    );
    let ok = exchange(port, &request("/", "application/json; charset=UTF-8", b"[1,2]")).await;
    assert_eq!((ok.status, ok.text().as_str()), (200, "[1,2]"));
    let mut gz = request("/", "application/json", b"{}");
    let at = gz.windows(4).position(|w| w == b"\r\n\r\n").expect("head end");
    gz.splice(at..at, b"\r\nContent-Encoding: br".iter().copied());
    let gz = exchange(port, &gz).await;
    assert_eq!(gz.status, 415);
    assert!(
        gz.text().contains("unsupported content encoding \"br\""),
        "{}",
        gz.text()
    );

    let lax = JsonOptions::default().strict(false);
    assert_eq!(
        rt_web::json::parse_json(b"12", lax.strict).expect("lax"),
        serde_json::json!(12)
    );
}
