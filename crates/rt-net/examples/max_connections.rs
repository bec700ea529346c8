//! The notes' server with `maxConnections` and `getConnections`:
//!
//! ```js
//! var server = net.createServer(function (socket) {
//!   console.log('someone connects');
//!   server.maxConnections = 3;
//!   server.getConnections(function (err, count) {
//!     console.log("the count of client is " + count);
//!   });
//! });
//! server.listen(8000, function () { console.log("Creat server on http://127.0.0.1:8000/"); });
//! ```
//!
//! Five clients connect one after the other: the first three are served,
//! the next two are dropped (Node's `'drop'` event) and see the end at once.
//! Run: `cargo run -p rt-net --example max_connections`.

use rt_net::events::{CONNECTION, DROP};
use rt_net::{Emitter, Error, Server, Socket, connect};

#[tokio::main]
async fn main() -> Result<(), Error> {
    let server = Server::new();
    let s = server.clone();
    server.on(&CONNECTION, move |socket: &Socket| {
        println!("someone connects");
        s.set_max_connections(Some(3));
        println!("the count of client is {}", s.get_connections());
        // Keep the connection open until the client leaves.
        let socket = socket.clone();
        tokio::spawn(async move { while let Ok(Some(_)) = socket.recv().await {} });
    });
    server.set_max_connections(Some(3));
    server.on(&DROP, |info| {
        println!(
            "dropped {}:{} (max connections reached)",
            info.remote_address, info.remote_port
        )
    });
    let port = server.listen(("127.0.0.1", 0)).await?.port().unwrap_or(0);
    println!("Creat server on http://127.0.0.1:{port}/");

    let mut clients = Vec::new();
    for i in 1..=5 {
        let c = connect(("127.0.0.1", port)).await?;
        // Wait until the server has either taken or dropped it.
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        println!(
            "client {i}: connections on the server: {}",
            server.get_connections()
        );
        clients.push(c);
    }
    for (i, c) in clients.iter().enumerate().skip(3) {
        let ended = c.recv().await?.is_none();
        println!("client {}: ended by the server: {ended}", i + 1);
    }
    for c in &clients {
        let _ = c.end();
    }
    server.close()?;
    server.closed().await;
    println!("server closed, connections: {}", server.get_connections());
    Ok(())
}
