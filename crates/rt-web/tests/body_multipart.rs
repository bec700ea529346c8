//! Multipart to disk: every limit at and one past its value, malformed
//! bodies (missing boundary, truncated part, a part with no name), a 10 MB
//! file past a 1 MB limit, and a client that disconnects mid-upload: in
//! every failing case the upload folder ends empty.

mod wire;

use std::sync::mpsc;

use rt_http::{IncomingMessage, ServerResponse};
use rt_tests::temp::TempDir;
use rt_tests::wait::{recv_within, wait_until};
use rt_web::multipart::{Multipart, MultipartOptions, read_multipart};
use wire::{Form, exchange, files_in, request, serve};

type Outcome = Result<Option<Multipart>, (u16, String)>;

async fn upload_server(opts: MultipartOptions) -> (rt_http::Server, u16, mpsc::Receiver<Outcome>) {
    let (tx, rx) = mpsc::channel();
    let tx = std::sync::Mutex::new(tx);
    let (server, port) = serve(move |req: IncomingMessage, res: ServerResponse| {
        let opts = opts.clone();
        let tx = tx.lock().expect("lock").clone();
        async move {
            let got = read_multipart(&req, &opts).await;
            match &got {
                Ok(Some(form)) => {
                    let _ = res.end_with(format!("fields {} files {}", form.fields.len(), form.files.len()));
                }
                Ok(None) => {
                    let _ = res.end_with("none");
                }
                Err(e) => e.send(&res),
            }
            let _ = tx.send(got.map_err(|e| (e.status, e.message)));
        }
    })
    .await;
    (server, port, rx)
}

fn outcome(rx: &mpsc::Receiver<Outcome>) -> Outcome {
    recv_within(rx, 30, "the multipart reader's result")
}

fn expect_status(o: Outcome, status: u16, what: &str) -> String {
    match o {
        Err((s, m)) if s == status => m,
        other => panic!("{what}: expected {status}, got {other:?}"),
    }
}

fn form_ok(o: Outcome, what: &str) -> Multipart {
    match o {
        Ok(Some(f)) => f,
        other => panic!("{what}: expected a form, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fields_and_files_land_on_disk_exactly() {
    let dir = TempDir::new("rt-web-mp");
    let (_s, port, rx) = upload_server(MultipartOptions::new(dir.path())).await;
    let data: Vec<u8> = (0..300_000u32).map(|i| (i % 253) as u8).collect();
    let (ct, body) = Form::new()
        .field("title", "héllo".as_bytes())
        .file("doc", "a.bin", &data)
        .field("tag", b"x")
        .file("doc2", "empty.txt", b"")
        .finish();
    let a = exchange(port, &request("/", &ct, &body)).await;
    assert_eq!((a.status, a.text().as_str()), (200, "fields 2 files 2"));
    let form = form_ok(outcome(&rx), "a good form");
    assert_eq!(form.field("title"), Some("héllo"));
    assert_eq!(form.field("tag"), Some("x"));
    let f = form.file("doc").expect("the file");
    assert_eq!(f.original_name.as_deref(), Some("a.bin"));
    assert_eq!(f.content_type.as_deref(), Some("application/octet-stream"));
    assert_eq!(f.size, data.len() as u64);
    assert!(
        std::fs::read(&f.path).expect("read the upload") == data,
        "the file's bytes differ"
    );
    assert_eq!(form.file("doc2").expect("empty file").size, 0);
    assert_eq!(files_in(dir.path()).len(), 2);
    // Not multipart: left alone.
    let other = exchange(port, &request("/", "application/json", b"{}")).await;
    assert_eq!(other.text(), "none");
    assert!(matches!(outcome(&rx), Ok(None)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_limit_at_and_one_past() {
    let dir = TempDir::new("rt-web-mp");
    // file_size
    let (_s, port, rx) = upload_server(MultipartOptions::new(dir.path()).file_size(1000)).await;
    let (ct, body) = Form::new().file("f", "a", &[7u8; 1000]).finish();
    assert_eq!(exchange(port, &request("/", &ct, &body)).await.status, 200);
    let f = form_ok(outcome(&rx), "file at the limit");
    std::fs::remove_file(&f.files[0].path).expect("remove");
    let (ct, body) = Form::new().file("f", "a", &[7u8; 1001]).finish();
    assert_eq!(exchange(port, &request("/", &ct, &body)).await.status, 413);
    expect_status(outcome(&rx), 413, "file one past");
    assert!(files_in(dir.path()).is_empty(), "the partial file is left");

    // total (declared length and counted)
    let (ct, body) = Form::new().file("f", "a", &[1u8; 500]).finish();
    let total = body.len() as u64;
    let (_s2, port2, rx2) = upload_server(MultipartOptions::new(dir.path()).total(total)).await;
    assert_eq!(exchange(port2, &request("/", &ct, &body)).await.status, 200);
    let f = form_ok(outcome(&rx2), "total at the limit");
    std::fs::remove_file(&f.files[0].path).expect("remove");
    let (ct, body) = Form::new().file("f", "a", &[1u8; 501]).finish();
    assert_eq!(exchange(port2, &request("/", &ct, &body)).await.status, 413);
    expect_status(outcome(&rx2), 413, "total one past (declared)");
    assert_eq!(
        exchange(port2, &wire::chunked_request("/", &ct, &body))
            .await
            .status,
        413
    );
    expect_status(outcome(&rx2), 413, "total one past (chunked)");
    assert!(files_in(dir.path()).is_empty(), "a partial file is left");

    // field_size, fields, files
    let (_s3, port3, rx3) = upload_server(
        MultipartOptions::new(dir.path())
            .field_size(10)
            .fields(2)
            .files(1),
    )
    .await;
    let cases: Vec<(Form, u16, &str)> = vec![
        (Form::new().field("a", &[b'v'; 10]), 200, "field at its size"),
        (
            Form::new().field("a", &[b'v'; 11]),
            413,
            "field one past its size",
        ),
        (
            Form::new().field("a", b"1").field("b", b"2"),
            200,
            "fields at the count",
        ),
        (
            Form::new().field("a", b"1").field("b", b"2").field("c", b"3"),
            413,
            "fields one past",
        ),
        (Form::new().file("f", "a", b"1"), 200, "files at the count"),
        (
            Form::new().file("f", "a", b"1").file("g", "b", b"2"),
            413,
            "files one past",
        ),
    ];
    let n = cases.len();
    for (form, status, what) in cases {
        let (ct, body) = form.finish();
        assert_eq!(
            exchange(port3, &request("/", &ct, &body)).await.status,
            status,
            "{what}"
        );
        match outcome(&rx3) {
            Ok(Some(f)) => {
                assert_eq!(status, 200, "{what}");
                for file in f.files {
                    std::fs::remove_file(file.path).expect("remove");
                }
            }
            other => {
                expect_status(other, status, what);
            }
        }
        assert!(files_in(dir.path()).is_empty(), "{what}: a file is left");
    }
    println!("{n} count/size cases compared");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_bodies_are_400_and_leave_nothing() {
    let dir = TempDir::new("rt-web-mp");
    let (_s, port, rx) = upload_server(MultipartOptions::new(dir.path())).await;
    // Missing boundary.
    let a = exchange(
        port,
        &request("/", "multipart/form-data", b"--x\r\n\r\n--x--\r\n"),
    )
    .await;
    assert_eq!(a.status, 400);
    assert!(a.text().contains("missing boundary"), "{}", a.text());
    outcome(&rx).expect_err("missing boundary");
    // Truncated part: a file part whose closing boundary never comes.
    let (ct, body) = Form::new().file("f", "a", &[9u8; 200_000]).finish();
    let cut = &body[..150_000];
    let a = exchange(port, &request("/", &ct, cut)).await;
    assert_eq!(a.status, 400, "{}", a.text());
    let m = expect_status(outcome(&rx), 400, "truncated");
    assert!(m.starts_with("multipart: "), "{m}");
    assert!(files_in(dir.path()).is_empty(), "the truncated file is left");
    // A part with no name.
    let body = b"--B\r\nContent-Disposition: form-data; filename=\"x\"\r\n\r\ndata\r\n--B--\r\n";
    let a = exchange(port, &request("/", "multipart/form-data; boundary=B", body)).await;
    assert_eq!(a.status, 400);
    assert!(a.text().contains("a part has no name"), "{}", a.text());
    expect_status(outcome(&rx), 400, "no name");
    assert!(files_in(dir.path()).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_mb_file_against_a_one_mb_limit() {
    let dir = TempDir::new("rt-web-mp");
    let (_s, port, rx) = upload_server(MultipartOptions::new(dir.path()).file_size(1 << 20)).await;
    let (ct, body) = Form::new()
        .file("big", "big.bin", &vec![0xabu8; 10 * 1000 * 1000])
        .finish();
    let a = exchange(port, &request("/", &ct, &body)).await;
    assert_eq!(a.status, 413, "{}", a.text());
    assert!(
        a.text().contains("a file is limited to 1048576 bytes"),
        "{}",
        a.text()
    );
    expect_status(outcome(&rx), 413, "10 MB over 1 MB");
    assert!(files_in(dir.path()).is_empty(), "the partial 1 MB file is left");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_disconnecting_mid_upload_leaves_no_file() {
    use tokio::io::AsyncWriteExt;
    let dir = TempDir::new("rt-web-mp");
    let (_s, port, rx) = upload_server(MultipartOptions::new(dir.path())).await;
    let (ct, body) = Form::new().file("f", "a", &vec![5u8; 4 << 20]).finish();
    let full = request("/", &ct, &body);
    let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("connect");
    // Half the upload, then wait until the file exists with data in it.
    s.write_all(&full[..full.len() / 2]).await.expect("half");
    s.flush().await.expect("flush");
    let d = dir.path().to_path_buf();
    wait_until(30, "the partial upload on disk", || {
        files_in(&d)
            .first()
            .and_then(|p| std::fs::metadata(p).ok())
            .is_some_and(|m| m.len() > 0)
    });
    drop(s);
    let m = expect_status(outcome(&rx), 400, "the disconnect");
    assert_eq!(m, "request aborted");
    assert!(
        files_in(dir.path()).is_empty(),
        "the partial file is still on disk"
    );
}
