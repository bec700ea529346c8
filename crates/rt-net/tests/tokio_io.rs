//! Socket as tokio AsyncRead / AsyncWrite: the ecosystem's I/O helpers work on it.

use rt_net::{Socket, connect, create_server};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokio_io_copy_echo_and_helpers() {
    // An echo server written with tokio::io::split + copy on an rt socket.
    let server = create_server(|s: Socket| async move {
        let (mut r, mut w) = tokio::io::split(s);
        tokio::io::copy(&mut r, &mut w).await?;
        w.shutdown().await
    });
    let port = server.listen(("127.0.0.1", 0)).await.unwrap().port().unwrap();
    let mut c = connect(("127.0.0.1", port)).await.unwrap();
    let payload: Vec<u8> = (0..3_000_000u32).map(|i| (i * 7 % 253) as u8).collect();
    let (mut r, mut w) = tokio::io::split(c.clone());
    let p = payload.clone();
    let writer = tokio::spawn(async move {
        for piece in p.chunks(10_007) {
            w.write_all(piece).await.unwrap();
        }
        w.shutdown().await.unwrap();
    });
    let mut back = Vec::new();
    r.read_to_end(&mut back).await.unwrap();
    writer.await.unwrap();
    assert!(back == payload, "echo differs ({} bytes back)", back.len());
    assert_eq!(c.bytes_written(), payload.len() as u64);
    assert_eq!(c.bytes_read(), payload.len() as u64);
    // Both sides ended: the socket is closed, and writing through the tokio
    // trait is Node's ERR_STREAM_DESTROYED, carried inside the io::Error.
    c.closed().await;
    let err = AsyncWriteExt::write_all(&mut c, b"late").await.unwrap_err();
    let net = err
        .get_ref()
        .and_then(|e| e.downcast_ref::<rt_net::NetError>())
        .unwrap();
    assert_eq!(net.code(), "ERR_STREAM_DESTROYED");
    server.close().unwrap();
}
