//! Static files over real sockets: headers and statuses as `send` /
//! `serve-static` give them (Content-Type by extension, weak ETag,
//! Last-Modified, 304 on If-None-Match / If-Modified-Since, 412, Range 206 /
//! 416, If-Range, HEAD, directories, dotfiles) and every traversal attempt
//! refused without leaking the file outside the root.

mod wire;

use std::sync::Arc;

use rt_http::{IncomingMessage, ServerResponse};
use rt_tests::temp::TempDir;
use rt_web::static_files::{ServeStatic, Served, StaticOptions};
use wire::{Answer, exchange, serve};

async fn get(port: u16, method: &str, path: &str, headers: &[(&str, &str)]) -> Answer {
    let mut r = format!("{method} {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n");
    for (k, v) in headers {
        r.push_str(&format!("{k}: {v}\r\n"));
    }
    r.push_str("\r\n");
    exchange(port, r.as_bytes()).await
}

struct Site {
    _tmp: TempDir,
    port: u16,
    _server: rt_http::Server,
    data: Vec<u8>,
}

async fn site(opts: StaticOptions) -> Site {
    let tmp = TempDir::new("rt-web-static");
    let root = tmp.path().join("public");
    std::fs::create_dir_all(root.join("sub")).expect("mkdir");
    std::fs::write(tmp.path().join("secret.txt"), "TOP SECRET").expect("write");
    std::fs::write(root.join("index.html"), "<h1>home</h1>").expect("write");
    std::fs::write(root.join("style.css"), "body{color:red}").expect("write");
    std::fs::write(root.join("sub").join("index.html"), "<p>sub</p>").expect("write");
    std::fs::write(root.join(".env"), "PASSWORD=x").expect("write");
    std::fs::write(root.join("empty.txt"), "").expect("write");
    let data: Vec<u8> = (0..3_000_000u32).map(|i| (i * 7 % 251) as u8).collect();
    std::fs::write(root.join("data.bin"), &data).expect("write");
    let files = Arc::new(ServeStatic::with_options(&root, opts));
    let (server, port) = serve(move |req: IncomingMessage, res: ServerResponse| {
        let files = files.clone();
        async move {
            if files.serve(&req, &res).await == Served::Next {
                res.set_status_code(404);
                let _ = res.end_with("next");
            }
        }
    })
    .await;
    Site {
        _tmp: tmp,
        port,
        _server: server,
        data,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn headers_conditional_requests_and_head() {
    let s = site(StaticOptions::default()).await;
    let a = get(s.port, "GET", "/style.css", &[]).await;
    assert_eq!(a.status, 200);
    assert_eq!(a.text(), "body{color:red}");
    assert_eq!(
        a.header("content-type").as_deref(),
        Some("text/css; charset=UTF-8")
    );
    assert_eq!(a.header("content-length").as_deref(), Some("15"));
    assert_eq!(a.header("accept-ranges").as_deref(), Some("bytes"));
    assert_eq!(a.header("cache-control").as_deref(), Some("public, max-age=0"));
    let etag = a.header("etag").expect("an ETag");
    assert!(etag.starts_with("W/\"f-") && etag.ends_with('"'), "{etag}");
    let lm = a.header("last-modified").expect("Last-Modified");
    assert!(lm.ends_with(" GMT"), "{lm}");

    let nm = get(s.port, "GET", "/style.css", &[("If-None-Match", &etag)]).await;
    assert_eq!(nm.status, 304);
    assert!(nm.body.is_empty());
    assert_eq!(nm.header("content-type"), None);
    assert_eq!(nm.header("etag").as_deref(), Some(etag.as_str()));
    let star = get(s.port, "GET", "/style.css", &[("If-None-Match", "*")]).await;
    assert_eq!(star.status, 304);
    let ims = get(s.port, "GET", "/style.css", &[("If-Modified-Since", &lm)]).await;
    assert_eq!(ims.status, 304);
    let old = get(
        s.port,
        "GET",
        "/style.css",
        &[("If-Modified-Since", "Thu, 01 Jan 1970 00:00:00 GMT")],
    )
    .await;
    assert_eq!(old.status, 200);
    // Both validators must match (fresh's rule).
    let both = get(
        s.port,
        "GET",
        "/style.css",
        &[("If-None-Match", "\"other\""), ("If-Modified-Since", &lm)],
    )
    .await;
    assert_eq!(both.status, 200);
    let nc = get(
        s.port,
        "GET",
        "/style.css",
        &[("If-None-Match", &etag), ("Cache-Control", "no-cache")],
    )
    .await;
    assert_eq!(nc.status, 200);
    let pf = get(s.port, "GET", "/style.css", &[("If-Match", "\"nope\"")]).await;
    assert_eq!(pf.status, 412);
    let pm = get(s.port, "GET", "/style.css", &[("If-Match", &etag)]).await;
    assert_eq!(pm.status, 200);
    let ius = get(
        s.port,
        "GET",
        "/style.css",
        &[("If-Unmodified-Since", "Thu, 01 Jan 1970 00:00:00 GMT")],
    )
    .await;
    assert_eq!(ius.status, 412);

    let head = get(s.port, "HEAD", "/data.bin", &[]).await;
    assert_eq!(head.status, 200);
    assert_eq!(head.header("content-length").as_deref(), Some("3000000"));
    assert_eq!(
        head.header("content-type").as_deref(),
        Some("application/octet-stream")
    );
    assert!(head.body.is_empty());

    let big = get(s.port, "GET", "/data.bin", &[]).await;
    assert_eq!(big.status, 200);
    assert!(
        big.body == s.data,
        "the 3 MB body differs ({} bytes)",
        big.body.len()
    );

    let empty = get(s.port, "GET", "/empty.txt", &[]).await;
    assert_eq!(
        (empty.status, empty.header("content-length").as_deref()),
        (200, Some("0"))
    );
    let post = get(s.port, "POST", "/style.css", &[]).await;
    assert_eq!(
        (post.status, post.text().as_str()),
        (404, "next"),
        "POST falls through"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ranges_206_416_and_if_range() {
    let s = site(StaticOptions::default()).await;
    let len = s.data.len();
    type Case = (&'static str, u16, Option<(usize, usize)>);
    let cases: Vec<Case> = vec![
        ("bytes=0-99", 206, Some((0, 99))),
        ("bytes=-10", 206, Some((len - 10, len - 1))),
        ("bytes=2999990-", 206, Some((2_999_990, len - 1))),
        ("bytes=100-99999999", 206, Some((100, len - 1))),
        ("bytes=0-1,2-5", 206, Some((0, 5))),
        ("bytes=0-1,100-200", 200, None),
        ("bytes=3000000-", 416, None),
        ("bytes=5-1", 416, None),
        ("items=0-5", 200, None),
        ("bytes=x-y", 200, None),
    ];
    let n = cases.len();
    for (range, status, span) in cases {
        let a = get(s.port, "GET", "/data.bin", &[("Range", range)]).await;
        assert_eq!(a.status, status, "{range}");
        match (status, span) {
            (206, Some((from, to))) => {
                assert_eq!(
                    a.header("content-range").as_deref(),
                    Some(format!("bytes {from}-{to}/{len}").as_str()),
                    "{range}"
                );
                assert!(a.body == s.data[from..=to], "{range}: the bytes differ");
            }
            (416, _) => {
                assert_eq!(
                    a.header("content-range").as_deref(),
                    Some(format!("bytes */{len}").as_str())
                );
            }
            _ => assert_eq!(a.body.len(), len, "{range}: the whole file"),
        }
    }
    println!("{n} ranges checked");
    let etag = get(s.port, "HEAD", "/data.bin", &[])
        .await
        .header("etag")
        .expect("etag");
    let ok = get(
        s.port,
        "GET",
        "/data.bin",
        &[("Range", "bytes=0-9"), ("If-Range", &etag)],
    )
    .await;
    assert_eq!(ok.status, 206);
    let stale = get(
        s.port,
        "GET",
        "/data.bin",
        &[("Range", "bytes=0-9"), ("If-Range", "\"old\"")],
    )
    .await;
    assert_eq!(stale.status, 200);
    let head = get(s.port, "HEAD", "/data.bin", &[("Range", "bytes=0-9")]).await;
    assert_eq!(
        (head.status, head.header("content-length").as_deref()),
        (206, Some("10"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn traversal_is_refused_and_directories_dotfiles() {
    let s = site(StaticOptions::default()).await;
    let attempts: Vec<(&str, u16)> = vec![
        ("/../secret.txt", 403),
        ("/sub/../../secret.txt", 403),
        ("/%2e%2e/secret.txt", 403),
        ("/%2E%2E/secret.txt", 403),
        ("/.%2e/secret.txt", 403),
        ("/..%2fsecret.txt", 403),
        ("/sub%2f..%2f..%2fsecret.txt", 403),
        ("/..%5csecret.txt", 403),
        ("/..\\secret.txt", 403),
        ("/style.css%00.png", 400),
        ("/%00", 400),
        ("/%zz", 400),
        ("secret.txt", 400),
    ];
    let n = attempts.len();
    for (path, status) in attempts {
        let a = get(s.port, "GET", path, &[]).await;
        assert_eq!(a.status, status, "{path}: {}", a.text());
        assert!(!a.text().contains("TOP SECRET"), "{path} leaked the file");
    }
    println!("{n} traversal attempts refused");
    // An absolute path in the URL stays under the root.
    let abs = get(s.port, "GET", "//etc/passwd", &[]).await;
    assert_eq!((abs.status, abs.text().as_str()), (404, "next"));
    let dot = get(s.port, "GET", "/.env", &[]).await;
    assert_eq!(
        (dot.status, dot.text().as_str()),
        (404, "next"),
        "dotfiles are ignored"
    );
    let redirect = get(s.port, "GET", "/sub?x=1", &[]).await;
    assert_eq!(redirect.status, 301);
    assert_eq!(redirect.header("location").as_deref(), Some("/sub/"));
    let index = get(s.port, "GET", "/sub/", &[]).await;
    assert_eq!((index.status, index.text().as_str()), (200, "<p>sub</p>"));
    assert_eq!(
        index.header("content-type").as_deref(),
        Some("text/html; charset=UTF-8")
    );
    let root = get(s.port, "GET", "/", &[]).await;
    assert_eq!(root.text(), "<h1>home</h1>");
    let missing = get(s.port, "GET", "/nope.txt", &[]).await;
    assert_eq!((missing.status, missing.text().as_str()), (404, "next"));

    let strict = site(StaticOptions::default().fallthrough(false)).await;
    let nf = get(strict.port, "GET", "/nope.txt", &[]).await;
    assert_eq!(nf.status, 404);
    assert_eq!(nf.text(), "Not Found");
    let m = get(strict.port, "DELETE", "/style.css", &[]).await;
    assert_eq!((m.status, m.header("allow").as_deref()), (405, Some("GET, HEAD")));
}
