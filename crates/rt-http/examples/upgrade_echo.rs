//! `'upgrade'`: the socket and the bytes after the head are handed over, as
//! a WebSocket server takes them (Node's docs example, simplified):
//!
//! ```js
//! const server = http.createServer((req, res) => res.end('okay'));
//! server.on('upgrade', (req, socket, head) => {
//!   socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n');
//!   socket.pipe(socket); // echo
//! });
//! ```
//!
//! Run: `cargo run -p rt-http --example upgrade_echo` (prints its port, then
//! a client of its own upgrades and gets `ping` echoed).

use rt_events::Emitter;
use rt_http::server::{UPGRADE, Upgrade};
use rt_http::{IncomingMessage, ServerResponse, create_server};

#[tokio::main]
async fn main() -> Result<(), rt_stream::Error> {
    let server = create_server(|_req: IncomingMessage, res: ServerResponse| {
        let _ = res.end_with("okay");
    });
    server.on(&UPGRADE, |u: &Upgrade| {
        let socket = u.socket.clone();
        let _ =
            socket.write("HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n");
        if !u.head.is_empty() {
            let _ = socket.write(u.head.clone());
        }
        socket.pipe(&socket);
    });
    let port = server.listen(("127.0.0.1", 0)).await?.port().unwrap_or(0);
    println!("listening on {port}");
    let client = rt_net::connect(("127.0.0.1", port)).await?;
    client.write("GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\nping")?;
    let mut got = Vec::new();
    let mut sent = false;
    while !got.ends_with(b"pingpong") {
        if !sent && got.ends_with(b"ping") {
            client.write("pong")?;
            sent = true;
        }
        match tokio::time::timeout(std::time::Duration::from_secs(5), client.read()).await {
            Ok(Some(Ok(chunk))) => got.extend_from_slice(&chunk),
            _ => break,
        }
    }
    print!("{}", String::from_utf8_lossy(&got));
    println!();
    client.destroy(None);
    server.close()?;
    Ok(())
}
