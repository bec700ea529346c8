//! The notes' TCP client, with `setTimeout` and `setKeepAlive`:
//!
//! ```js
//! var client = net.Socket();
//! client.connect(8000, '127.0.0.1', function () {
//!   console.log("connect the server");
//!   client.write("message from client");
//! });
//! client.setKeepAlive(true, 1000);
//! client.setTimeout(300);
//! client.on('timeout', () => { console.log('idle: ending'); client.end(); });
//! client.on("data", function (data) { console.log("the data of server is " + data.toString()); });
//! client.on("end", function () { console.log("data end"); });
//! ```
//!
//! A small server answers once and then stays silent; the client's
//! timeout fires (the socket is not closed for us) and the client ends.
//! Run: `cargo run -p rt-net --example client_timeout_keepalive`.

use std::time::Duration;

use rt_net::events::{CLOSE, CONNECT, DATA, END, TIMEOUT};
use rt_net::{Error, Socket, SocketOptions, create_server};

#[tokio::main]
async fn main() -> Result<(), Error> {
    let server = create_server(|socket: Socket| async move {
        if let Ok(Some(msg)) = socket.recv().await {
            let _ = socket.write(format!("got: {}", String::from_utf8_lossy(&msg)));
        }
        // Then silence until the client ends.
        while let Ok(Some(_)) = socket.recv().await {}
    });
    let port = server.listen(("127.0.0.1", 0)).await?.port().unwrap_or(0);

    let client = Socket::new(SocketOptions::default());
    let c = client.clone();
    client.on(&CONNECT, move |_| {
        println!("connect the server");
        let _ = c.write("message from client");
    });
    client.on(&DATA, |data| {
        println!("the data of server is {}", String::from_utf8_lossy(data))
    });
    let c = client.clone();
    client.on(&TIMEOUT, move |_| {
        println!(
            "idle: ending (timeout does not close the socket: {})",
            c.ready_state()
        );
        let _ = c.end();
    });
    client.on(&END, |_| println!("data end"));
    client.on(&CLOSE, |had_error| println!("closed, had_error={had_error}"));

    client.connect(("127.0.0.1", port)).await?;
    client.set_keep_alive(true, Duration::from_secs(1));
    client.set_timeout(Duration::from_millis(300));
    println!("keep-alive on: {:?}", client.keep_alive());

    client.wait_closed().await;
    server.close()?;
    server.closed().await;
    Ok(())
}
