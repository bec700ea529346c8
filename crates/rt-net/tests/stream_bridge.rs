//! A socket as an rt-stream Duplex: pipes to and from rt streams.

use rt_net::{Socket, connect, create_server};
use rt_stream::{PassThrough, pipeline};

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
