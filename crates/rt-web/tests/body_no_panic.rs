//! No panic on any body: seeded mutations of valid multipart and JSON
//! bodies go through the readers over real sockets; every request must get
//! an answer (200, 400, 413 or 415) and the reader must return a result.
//! A panic in a reader would end its handler without an answer.

mod wire;

use std::sync::mpsc;

use rt_http::{IncomingMessage, ServerResponse};
use rt_tests::rng::Rng;
use rt_tests::temp::TempDir;
use rt_tests::wait::recv_within;
use rt_web::json::{JsonOptions, read_json};
use rt_web::multipart::{MultipartOptions, read_multipart};
use wire::{Form, exchange, request, serve};

const SEED: u64 = 0x5eed_b0d1;
const CASES: usize = 150;

fn mutate(rng: &mut Rng, base: &[u8], specials: &[&[u8]]) -> Vec<u8> {
    let mut v = base.to_vec();
    for _ in 0..=rng.below(4) {
        let len = v.len().max(1) as u64;
        match rng.below(6) {
            0 => {
                let i = rng.below(len) as usize;
                if i < v.len() {
                    v[i] = rng.below(256) as u8;
                }
            }
            1 => {
                let i = rng.below(len) as usize;
                let n = rng.below(64) as usize;
                v.drain(i.min(v.len())..(i + n).min(v.len()));
            }
            2 => {
                let i = rng.below(len) as usize;
                v.truncate(i);
            }
            3 => {
                let i = rng.below(len) as usize;
                let s = rng.pick(specials).to_vec();
                let at = i.min(v.len());
                v.splice(at..at, s);
            }
            4 => {
                let i = rng.below(len) as usize;
                let n = rng.below(200) as usize;
                let piece: Vec<u8> = v[i.min(v.len())..(i + n).min(v.len())].to_vec();
                let at = rng.below(len) as usize;
                let at = at.min(v.len());
                v.splice(at..at, piece);
            }
            _ => {
                let i = rng.below(len) as usize;
                let n = rng.below(16) as usize;
                let junk = rng.bytes(n);
                let at = i.min(v.len());
                v.splice(at..at, junk);
            }
        }
    }
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mutated_multipart_and_json_never_panic() {
    let dir = TempDir::new("rt-web-np");
    let (tx, rx) = mpsc::channel::<(u16, bool)>();
    let tx = std::sync::Mutex::new(tx);
    let dest = dir.path().to_path_buf();
    let (_server, port) = serve(move |req: IncomingMessage, res: ServerResponse| {
        let tx = tx.lock().expect("lock").clone();
        let dest = dest.clone();
        async move {
            let (status, ok) = if req.url() == "/json" {
                match read_json(&req, &JsonOptions::default().limit(4096)).await {
                    Ok(_) => (200, true),
                    Err(e) => {
                        e.send(&res);
                        (e.status, false)
                    }
                }
            } else {
                let opts = MultipartOptions::new(&dest)
                    .file_size(3000)
                    .field_size(500)
                    .total(20_000);
                match read_multipart(&req, &opts).await {
                    Ok(Some(f)) => {
                        for file in f.files {
                            let _ = std::fs::remove_file(file.path);
                        }
                        (200, true)
                    }
                    Ok(None) => (200, true),
                    Err(e) => {
                        e.send(&res);
                        (e.status, false)
                    }
                }
            };
            if ok {
                let _ = res.end_with("ok");
            }
            let _ = tx.send((status, ok));
        }
    })
    .await;

    let (ct, mp) = Form::new()
        .field("name", b"alice")
        .file("f", "a.txt", &[b'z'; 2500])
        .field("x", "ünï".as_bytes())
        .finish();
    let json = br#"{"name":"alice","tags":["a","b"],"n":-1.5e3,"o":{"k":null,"t":true},"s":"\u00e9\n"}"#;
    let mp_specials: &[&[u8]] = &[
        b"\r\n",
        b"--",
        b"----rtBoundary7MA4YWxkTrZu0gW",
        b"\r\nContent-Disposition: form-data\r\n\r\n",
        b"; filename=\"",
        b"\"",
        b"\r\n\r\n",
        b"Content-Type: ",
    ];
    let json_specials: &[&[u8]] = &[
        b"{",
        b"}",
        b"[",
        b"]",
        b"\"",
        b"\\u",
        b"\\",
        b",",
        b":",
        b"1e999999",
        b"\xff",
    ];
    let mut rng = Rng::new(SEED);
    let mut statuses = std::collections::BTreeMap::new();
    let mut compared = 0;
    for case in 0..CASES * 2 {
        let is_json = case % 2 == 1;
        let (path, ctype, body) = if is_json {
            ("/json", "application/json", mutate(&mut rng, json, json_specials))
        } else {
            ("/mp", ct.as_str(), mutate(&mut rng, &mp, mp_specials))
        };
        let req = if rng.chance(1, 4) {
            wire::chunked_request(path, ctype, &body)
        } else {
            request(path, ctype, &body)
        };
        let a = exchange(port, &req).await;
        let (status, _) = recv_within(
            &rx,
            30,
            &format!("the reader's result for case {case} (seed {SEED:#x})"),
        );
        assert_eq!(
            a.status, status,
            "case {case}: the answer and the reader disagree"
        );
        assert!(
            [200, 400, 413, 415].contains(&a.status),
            "case {case} (seed {SEED:#x}): status {}",
            a.status
        );
        *statuses.entry(a.status).or_insert(0) += 1;
        compared += 1;
    }
    assert_eq!(compared, CASES * 2);
    println!("{compared} mutated bodies answered without a panic: {statuses:?}");
    assert!(
        statuses.get(&400).copied().unwrap_or(0) > 10,
        "too few malformed cases: {statuses:?}"
    );
    assert!(
        wire::files_in(dir.path()).is_empty(),
        "a failed upload left a file"
    );
}
