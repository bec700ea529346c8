//! The client's response path against hostile servers: seeded garbage,
//! mutations of valid responses (byte flips, cuts, insertions), huge heads,
//! endless headers, bad and huge chunk sizes, each written in random pieces
//! and then the connection closed. Every request must end in a response or
//! an error with Node's code (an `HPE_*` or ECONNRESET), never a panic (a
//! panic hook counts them, in the connection tasks too) or a hang (each
//! wait is bounded), and a huge head is refused without being buffered
//! whole.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use rt_http::RequestOptions;
use rt_http::client::AgentChoice;
use rt_tests::rng::Rng;
use rt_tests::wait::within;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const VALID: &[&[u8]] = &[
    b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-T\r\n\r\n5\r\nhello\r\n3;ext=1\r\nabc\r\n0\r\nX-T: v\r\n\r\n",
    b"HTTP/1.0 200 OK\r\n\r\nuntil close",
    b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\nX-A: b\r\n\r\n",
    b"HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n",
    b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\nConnection: upgrade\r\n\r\nraw",
];

fn case(rng: &mut Rng, i: usize) -> Vec<u8> {
    match i % 8 {
        0 => {
            let n = rng.below(200) as usize;
            rng.bytes(n)
        }
        1 => {
            // A valid response with byte flips.
            let mut v = VALID[rng.below(VALID.len() as u64) as usize].to_vec();
            for _ in 0..=rng.below(4) {
                let at = rng.below(v.len() as u64) as usize;
                v[at] = *rng.pick(b"\r\n :\x00\x7f\xff0aZ;\t");
            }
            v
        }
        2 => {
            // Cut short.
            let v = VALID[rng.below(VALID.len() as u64) as usize].to_vec();
            let at = rng.below(v.len() as u64) as usize;
            v[..at].to_vec()
        }
        3 => {
            // Bytes inserted.
            let mut v = VALID[rng.below(VALID.len() as u64) as usize].to_vec();
            let at = rng.below(v.len() as u64 + 1) as usize;
            let n = 1 + rng.below(8) as usize;
            let extra = rng.bytes(n);
            v.splice(at..at, extra);
            v
        }
        4 => {
            // A huge head: one header value past max_header_size.
            let mut v = b"HTTP/1.1 200 OK\r\nX-Big: ".to_vec();
            v.extend(std::iter::repeat_n(b'a', 20_000 + rng.below(200_000) as usize));
            v.extend_from_slice(b"\r\n\r\n");
            v
        }
        5 => {
            // Endless small headers.
            let mut v = b"HTTP/1.1 200 OK\r\n".to_vec();
            for k in 0..(2_000 + rng.below(4_000)) {
                v.extend_from_slice(format!("h{k}: v\r\n").as_bytes());
            }
            v
        }
        6 => {
            // Chunk sizes: huge, negative-looking, overflowing, bad.
            let size = *rng.pick(&[
                "ffffffffffffffffff",
                "-1",
                "1x",
                "fffffffffffffff",
                " 5",
                "5 ",
                "0x5",
            ]);
            format!("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n{size}\r\nhello\r\n0\r\n\r\n")
                .into_bytes()
        }
        _ => {
            // Blank lines and whitespace before or instead of a head.
            let mut v = vec![b'\r'; rng.below(70_000) as usize];
            v.extend_from_slice(VALID[rng.below(VALID.len() as u64) as usize]);
            v
        }
    }
}

#[test]
fn hostile_servers_never_panic_or_hang_the_client() {
    let panics = Arc::new(AtomicUsize::new(0));
    let p = panics.clone();
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        p.fetch_add(1, Ordering::SeqCst);
        default_hook(info);
    }));
    let cases: usize = std::env::var("RT_CLIENT_HOSTILE_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(400);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let mut rng = Rng::new(0x5eed_c11e);
    let inputs: Vec<(Vec<u8>, Vec<usize>)> = (0..cases)
        .map(|i| {
            let bytes = case(&mut rng, i);
            // Random piece sizes: the response crosses reads anywhere.
            let mut cuts = Vec::new();
            let mut at = 0;
            while at < bytes.len() {
                at += 1 + rng.below(4096) as usize;
                cuts.push(at.min(bytes.len()));
            }
            (bytes, cuts)
        })
        .collect();
    let outcomes: BTreeMap<String, usize> = rt.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let served = inputs.clone();
        tokio::spawn(async move {
            for (bytes, cuts) in served {
                let Ok((mut s, _)) = listener.accept().await else {
                    return;
                };
                tokio::spawn(async move {
                    let mut buf = [0u8; 4096];
                    let _ = s.read(&mut buf).await; // the request head
                    let mut from = 0;
                    for to in cuts {
                        if s.write_all(&bytes[from..to]).await.is_err() {
                            return;
                        }
                        let _ = s.flush().await;
                        tokio::task::yield_now().await;
                        from = to;
                    }
                    let _ = s.shutdown().await;
                });
            }
        });
        let mut outcomes = BTreeMap::new();
        for (i, (bytes, _)) in inputs.iter().enumerate() {
            let opts = RequestOptions::default()
                .host("127.0.0.1")
                .port(port)
                .agent(AgentChoice::None);
            let req = rt_http::get(opts).expect("request");
            let what = format!(
                "case {i}'s response ({:?}...)",
                String::from_utf8_lossy(&bytes[..bytes.len().min(40)])
            );
            let outcome = match within(30, &what, req.response()).await {
                Ok(res) => match tokio::time::timeout(Duration::from_secs(30), res.read_all()).await {
                    Ok(Ok(_)) => format!("{}", res.status_code()),
                    Ok(Err(e)) => format!("body {}", e.code()),
                    Err(_) => {
                        // An upgrade's socket or an until-close body the
                        // server never closes cannot happen here (it closes).
                        panic!("case {i}: the body never ended");
                    }
                },
                Err(e) => {
                    let code = e.code();
                    assert!(
                        code.starts_with("HPE_") || code == "ECONNRESET",
                        "case {i}: unexpected error {code}: {}",
                        e.message()
                    );
                    code.to_string()
                }
            };
            *outcomes.entry(outcome).or_insert(0) += 1;
        }
        outcomes
    });
    let total: usize = outcomes.values().sum();
    assert_eq!(total, cases, "every case ended");
    assert_eq!(panics.load(Ordering::SeqCst), 0, "no panic anywhere");
    assert!(
        outcomes.contains_key("HPE_HEADER_OVERFLOW"),
        "huge heads refused: {outcomes:?}"
    );
    assert!(
        outcomes.keys().any(|k| k == "200"),
        "valid responses still parse: {outcomes:?}"
    );
    println!("{total} hostile responses: {outcomes:?}");
}
