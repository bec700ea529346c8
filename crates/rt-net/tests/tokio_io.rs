//! Socket as tokio AsyncRead / AsyncWrite: the ecosystem's I/O helpers work on it.

mod common;

use common::{WAIT, Within, checked_server};
use rt_net::{ServerOptions, Socket, connect};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokio_io_copy_echo_and_helpers() {
    // An echo server written with tokio::io::split + copy on an rt socket.
    let (server, mut handled) = checked_server(ServerOptions::default(), |s: Socket| async move {
        let (mut r, mut w) = tokio::io::split(s);
        let copied = tokio::io::copy(&mut r, &mut w).await?;
        w.shutdown().await?;
        Ok::<u64, std::io::Error>(copied)
    });
    let port = server
        .listen(("127.0.0.1", 0))
        .within(WAIT, "listen")
        .await
        .unwrap()
        .port()
        .unwrap();
    let mut c = connect(("127.0.0.1", port))
        .within(WAIT, "connect")
        .await
        .unwrap();
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
    r.read_to_end(&mut back)
        .within(WAIT, "the echo's end")
        .await
        .unwrap();
    writer
        .within(WAIT, "the writer task")
        .await
        .expect("the writer task panicked");
    assert!(back == payload, "echo differs ({} bytes back)", back.len());
    assert_eq!(c.bytes_written(), payload.len() as u64);
    assert_eq!(c.bytes_read(), payload.len() as u64);
    // Both sides ended: the socket is closed, and writing through the tokio
    // trait is Node's ERR_STREAM_DESTROYED, carried inside the io::Error.
    c.wait_closed().within(WAIT, "the client's 'close'").await;
    let err = AsyncWriteExt::write_all(&mut c, b"late")
        .within(WAIT, "a late write")
        .await
        .unwrap_err();
    let net = err
        .get_ref()
        .and_then(|e| e.downcast_ref::<rt_net::Error>())
        .unwrap();
    assert_eq!(net.code(), "ERR_STREAM_DESTROYED");
    // The server's copy saw every byte and shut down cleanly.
    let copied = handled
        .next("the server's copy")
        .await
        .expect("the server's copy failed");
    assert_eq!(copied, payload.len() as u64);
    server.close().unwrap();
}
