//! The bridges both ways, with real tokio types: a TcpStream, a File, an in-memory duplex pipe.
#![allow(missing_docs)]

use futures_util::{SinkExt, StreamExt};
use rt_stream::*;
use rt_tests::wait::within;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn data(n: usize, seed: u64) -> Vec<u8> {
    rt_tests::rng::Rng::new(seed).bytes(n)
}

#[tokio::test]
async fn tcp_stream_both_ways() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let payload = data(3 * 1024 * 1024 + 17, 1);
    let p2 = payload.clone();
    let client = tokio::spawn(async move {
        let sock = within(60, "the TCP connect", tokio::net::TcpStream::connect(addr))
            .await
            .unwrap();
        let (_rd, wr) = sock.into_split();
        let w = Writable::from_async_write(wr, WritableOptions::default());
        for chunk in p2.chunks(10_000) {
            within(60, "'drain' on the TCP writer", w.write_all(chunk))
                .await
                .unwrap();
        }
        within(60, "the TCP writer's 'finish'", w.end_and_wait())
            .await
            .unwrap();
    });
    let (sock, _) = within(60, "the TCP accept", listener.accept()).await.unwrap();
    let (rd, _wr) = sock.into_split();
    let r = Readable::from_async_read(rd, ReadableOptions::default());
    let got: Vec<u8> = within(60, "the whole payload over TCP", r.read_all())
        .await
        .unwrap()
        .concat();
    within(10, "the client task", client).await.unwrap();
    assert_eq!(got.len(), payload.len());
    assert!(got == payload);
}

#[tokio::test]
async fn tokio_duplex_pipe_through_rt_streams() {
    // tokio writer -> (duplex) -> rt Readable -> pipe -> rt Writable (AsyncWrite) -> (duplex) -> tokio reader
    let (mut a, b) = tokio::io::duplex(8 * 1024);
    let (c, mut d) = tokio::io::duplex(8 * 1024);
    let payload = data(500_000, 2);
    let p2 = payload.clone();
    let writer = tokio::spawn(async move {
        within(60, "the tokio writer", a.write_all(&p2)).await.unwrap();
        within(60, "the tokio writer's shutdown", a.shutdown())
            .await
            .unwrap();
    });
    let src = Readable::from_async_read(b, ReadableOptions::default());
    let dst = Writable::from_async_write(c, WritableOptions::default());
    let reader = tokio::spawn(async move {
        let mut out = Vec::new();
        within(60, "the tokio reader to see EOF", d.read_to_end(&mut out))
            .await
            .unwrap();
        out
    });
    within(10, "the pipeline through the duplex pipes", pipeline(&src, &dst))
        .await
        .unwrap();
    within(10, "the writer task", writer).await.unwrap();
    assert!(within(10, "the reader task", reader).await.unwrap() == payload);
}

#[tokio::test]
async fn readable_as_async_read_and_writable_as_async_write() {
    let payload = data(200_000, 3);
    let src = Readable::from_iter(payload.chunks(777).map(Buffer::from).collect::<Vec<_>>());
    // An object-mode readable of Buffers is not a byte stream; re-chunk through a byte PassThrough.
    let pass = PassThrough::new(DuplexOptions::default());
    src.pipe(&pass);
    let mut reader = pass.into_async_read();
    let out = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let o = out.clone();
    let mut w = Writable::from_fn(WritableOptions::default(), move |c| {
        o.lock().unwrap().extend_from_slice(&c);
        Ok(())
    });
    let n = within(
        60,
        "tokio::io::copy through the bridges",
        tokio::io::copy(&mut reader, &mut w),
    )
    .await
    .unwrap();
    within(10, "the writable's shutdown", w.shutdown()).await.unwrap();
    assert_eq!(n as usize, payload.len());
    assert!(*out.lock().unwrap() == payload);
    assert!(w.writable_finished());
}

#[tokio::test]
async fn file_via_tokio_fs() {
    let dir = rt_tests::temp::TempDir::new("rt-stream-bridge");
    let path = dir.path().join("f.bin");
    let payload = data(300_001, 4);
    let f = tokio::fs::File::create(&path).await.unwrap();
    let w = Writable::from_async_write(f, WritableOptions::default());
    for c in payload.chunks(4096) {
        within(10, "'drain' on the file writer", w.write_all(c))
            .await
            .unwrap();
    }
    within(10, "the file writer's 'finish'", w.end_and_wait())
        .await
        .unwrap();
    let f = tokio::fs::File::open(&path).await.unwrap();
    let r = Readable::from_async_read(f, ReadableOptions::default());
    let got: Vec<u8> = within(10, "the file's contents", r.read_all())
        .await
        .unwrap()
        .concat();
    assert!(got == payload);
}

#[tokio::test]
async fn futures_stream_and_sink() {
    let mut r = Readable::from_iter(vec![1u32, 2, 3]);
    let mut seen = Vec::new();
    while let Some(x) = within(10, "the next item", r.next()).await {
        seen.push(x.unwrap());
    }
    assert_eq!(seen, [1, 2, 3]);

    let got = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let g = got.clone();
    let mut w =
        Writable::objects_from_async_fn(WritableOptions::default().high_water_mark(2), move |x: u32| {
            let g = g.clone();
            async move {
                tokio::task::yield_now().await;
                g.lock().unwrap().push(x);
                Ok(())
            }
        });
    for i in 0..20 {
        within(10, "the sink to take an item", w.send(i)).await.unwrap();
    }
    within(10, "the sink to close", w.close()).await.unwrap();
    assert_eq!(*got.lock().unwrap(), (0..20).collect::<Vec<_>>());
}

#[tokio::test]
async fn io_errors_keep_their_codes() {
    let (a, b) = tokio::io::duplex(64);
    drop(b);
    let w = Writable::from_async_write(a, WritableOptions::default());
    let errs = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let e2 = errs.clone();
    w.on_error(move |e| e2.lock().unwrap().push(e.code().to_string()));
    let _ = w.write("into a closed pipe");
    let e = within(10, "finished() to report EPIPE", finished(&w))
        .await
        .unwrap_err();
    assert_eq!(e.code(), "EPIPE");
    within(10, "'close' after EPIPE", closed(&w)).await;
    assert_eq!(*errs.lock().unwrap(), ["EPIPE"]);
}
