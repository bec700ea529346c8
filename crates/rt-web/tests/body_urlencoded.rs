//! The urlencoded body reader: body-parser's `urlencoded({ extended: false })`
//! rules (limit and parameterLimit at and one past their values, charset,
//! type check), parsed by Node's querystring.

mod wire;

use std::sync::mpsc;

use rt_http::{IncomingMessage, ServerResponse};
use rt_tests::wait::recv_within;
use rt_web::urlencoded::{UrlencodedOptions, read_urlencoded};
use wire::{chunked_request, exchange, request, serve};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn limits_charset_and_parsing() {
    let (tx, rx) = mpsc::channel();
    let tx = std::sync::Mutex::new(tx);
    let (_server, port) = serve(move |req: IncomingMessage, res: ServerResponse| {
        let tx = tx.lock().expect("lock").clone();
        async move {
            let opts = UrlencodedOptions::default().limit(100).parameter_limit(3);
            let got = read_urlencoded(&req, &opts).await;
            match &got {
                Ok(Some(form)) => {
                    let mut out = String::new();
                    for (k, v) in form.iter() {
                        out.push_str(&format!("{k}={:?};", v.all()));
                    }
                    let _ = res.end_with(out);
                }
                Ok(None) => {
                    let _ = res.end_with("none");
                }
                Err(e) => e.send(&res),
            }
            let _ = tx.send(got.map(|f| f.map(|f| f.len())).map_err(|e| e.status));
        }
    })
    .await;
    let form = "application/x-www-form-urlencoded";
    let a = exchange(port, &request("/", form, b"a=1&a=2&b=x+y%21")).await;
    assert_eq!(
        (a.status, a.text().as_str()),
        (200, "a=[\"1\", \"2\"];b=[\"x y!\"];")
    );
    assert_eq!(recv_within(&rx, 10, "the reader"), Ok(Some(2)));
    // limit: 100 bytes at, 101 past (declared and chunked).
    let at = format!("a={}", "x".repeat(98));
    let past = format!("a={}", "x".repeat(99));
    for make in [request, chunked_request] {
        assert_eq!(exchange(port, &make("/", form, at.as_bytes())).await.status, 200);
        assert_eq!(
            exchange(port, &make("/", form, past.as_bytes())).await.status,
            413
        );
    }
    // parameterLimit: 3 at, 4 past.
    assert_eq!(
        exchange(port, &request("/", form, b"a=1&b=2&c=3")).await.status,
        200
    );
    let over = exchange(port, &request("/", form, b"a=1&b=2&c=3&d=4")).await;
    assert_eq!(over.status, 413);
    assert!(over.text().contains("too many parameters"), "{}", over.text());
    let cs = exchange(
        port,
        &request("/", "application/x-www-form-urlencoded; charset=latin1", b"a=1"),
    )
    .await;
    assert_eq!(cs.status, 415);
    let empty = exchange(port, &request("/", form, b"")).await;
    assert_eq!((empty.status, empty.text().as_str()), (200, ""));
    let other = exchange(port, &request("/", "application/json", b"{}")).await;
    assert_eq!(other.text(), "none");
    let bad = exchange(port, &request("/", form, b"a=%E0%A4%A&b=\xff")).await;
    assert_eq!(bad.status, 200, "malformed escapes are kept as Node keeps them");
    // Node: querystring.parse("a=%E0%A4%A") gives "\ufffd%A"; a raw 0xff byte decodes to U+FFFD.
    assert_eq!(bad.text(), "a=[\"\u{fffd}%A\"];b=[\"\u{fffd}\"];");
}
