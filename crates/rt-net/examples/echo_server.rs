//! The notes' TCP server and client (tcp-server.js / tcp-client.js):
//!
//! ```js
//! var server = net.createServer(function (socket) {
//!   socket.on('data', function (data) {
//!     console.log(data.toString());
//!     socket.write('from server to client');
//!   });
//!   socket.on('end', function () { console.log('server died'); });
//! });
//! server.listen(8124, function () { console.log('server listen on port 8124'); });
//!
//! var client = net.connect({ port: 8124 }, function () {
//!   console.log('client connected');
//!   client.write('from client to server');
//! });
//! client.on('data', function (data) { console.log(data.toString()); client.end(); });
//! client.on('end', function () { console.log('client disconnected'); });
//! ```
//!
//! Here the server takes any free port on 127.0.0.1, and the program ends
//! once the client is done. Run: `cargo run -p rt-net --example echo_server`.

use rt_net::events::{DATA, END};
use rt_net::{Error, Socket, connect, create_server};

#[tokio::main]
async fn main() -> Result<(), Error> {
    let server = create_server(|socket: Socket| async move {
        let s = socket.clone();
        socket.on(&DATA, move |data| {
            println!("{}", String::from_utf8_lossy(data));
            let _ = s.write("from server to client");
        });
        socket.on(&END, |_| println!("server died"));
    });
    let port = server.listen(("127.0.0.1", 0)).await?.port().unwrap_or(0);
    println!("server listen on port {port}");

    let client = connect(("127.0.0.1", port)).await?;
    println!("client connected");
    let _ = client.write("from client to server");
    let c = client.clone();
    client.on(&DATA, move |data| {
        println!("{}", String::from_utf8_lossy(data));
        let _ = c.end();
    });
    client.on(&END, |_| println!("client disconnected"));

    client.wait_closed().await;
    server.close()?;
    server.closed().await;
    Ok(())
}
