//! A socket as an rt-stream Duplex: pipes to and from rt streams.

use rt_net::{Socket, connect, create_server};
use rt_stream::{Buffer, PassThrough, Pusher, Transform, pipeline};

#[tokio::test]
async fn echo_through_a_stream_pipeline() {
    let server = create_server(|s: Socket| async move {
        let d = s.to_duplex();
        pipeline!(d.clone(), PassThrough::new(Default::default()), d).await
    });
    let port = server.listen(("127.0.0.1", 0)).await.unwrap().port().unwrap();
    let c = connect(("127.0.0.1", port)).await.unwrap();
    let payload: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    let writer = {
        let c = c.clone();
        let p = payload.clone();
        tokio::spawn(async move {
            for piece in p.chunks(7_000) {
                c.write_all(piece.to_vec()).await.unwrap();
            }
            c.end();
        })
    };
    let mut got = Vec::new();
    while let Some(chunk) = c.read().await.unwrap() {
        got.extend_from_slice(&chunk);
    }
    writer.await.unwrap();
    assert_eq!(got.len(), payload.len());
    assert!(got == payload);
    server.close().unwrap();
}

/// Regression (lead's report): with Node's default (no half-open) the
/// duplex ended its writable side at 'end' while the pipeline still
/// carried transformed data toward it, and the tail was lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pipeline_through_a_transform_never_loses_data() {
    let server = create_server(|s: Socket| async move {
        let d = s.to_duplex();
        let upper = Transform::new(Default::default(), |chunk: Buffer, push: &Pusher<Buffer>| {
            push.push(chunk.to_ascii_uppercase());
            Ok(())
        });
        pipeline!(d.clone(), upper, d).await
    });
    let port = server.listen(("127.0.0.1", 0)).await.unwrap().port().unwrap();
    let payload: Vec<u8> = (0..20_000u32).map(|i| b'a' + (i % 26) as u8).collect();
    let expected = payload.to_ascii_uppercase();
    for round in 0..300 {
        let c = connect(("127.0.0.1", port)).await.unwrap();
        for piece in payload.chunks(7_000) {
            c.write_all(piece.to_vec()).await.unwrap();
            tokio::task::yield_now().await;
        }
        c.end();
        let mut got = Vec::new();
        while let Some(chunk) = c.read().await.unwrap() {
            got.extend_from_slice(&chunk);
        }
        assert_eq!(got.len(), expected.len(), "round {round}");
        assert!(got == expected, "round {round}: data differs");
    }
    server.close().unwrap();
}

/// Node's default is kept when nothing is piped into the duplex: our side
/// ends once the peer's end has been read.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_duplex_that_is_only_read_ends_after_the_peer() {
    let server = create_server(|s: Socket| async move {
        let d = s.to_duplex();
        let mut n = 0;
        while let Some(chunk) = d.read().await {
            n += chunk?.len();
        }
        assert_eq!(n, 5);
        Ok::<(), rt_stream::Error>(())
    });
    let port = server.listen(("127.0.0.1", 0)).await.unwrap().port().unwrap();
    let c = connect(("127.0.0.1", port)).await.unwrap();
    c.end_with("12345");
    // The server's side ends by itself: we read the end.
    assert!(c.read().await.unwrap().is_none());
    c.closed().await;
    server.close().unwrap();
}
