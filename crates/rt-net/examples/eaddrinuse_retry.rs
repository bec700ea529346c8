//! The notes' EADDRINUSE retry:
//!
//! ```js
//! server.on('error', function (e) {
//!   if (e.code === 'EADDRINUSE') {
//!     console.log('地址正被使用，重试中。。。');
//!     setTimeout(() => { server.close(); server.listen(PORT, HOST); }, 1000);
//!   }
//! });
//! ```
//!
//! Another server holds the port for a moment; ours gets EADDRINUSE,
//! retries after a delay, and listens once the port is free.
//! Run: `cargo run -p rt-net --example eaddrinuse_retry`.

use std::time::Duration;

use rt_net::events::ERROR;
use rt_net::{Emitter, Error, Server};

#[tokio::main]
async fn main() -> Result<(), Error> {
    const HOST: &str = "127.0.0.1";
    // Someone else is on the port...
    let squatter = Server::new();
    let port = squatter.listen((HOST, 0)).await?.port().unwrap_or(0);
    // ...and leaves after 300 ms.
    let s = squatter.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let _ = s.close();
        println!("the other server left port {port}");
    });

    let server = Server::new();
    server.on(&ERROR, |e: &Error| {
        if e.code() == "EADDRINUSE" {
            println!("地址正被使用，重试中。。。 ({})", e.message());
        }
    });
    let mut attempts = 0;
    loop {
        attempts += 1;
        match server.listen((HOST, port)).await {
            Ok(addr) => {
                println!("listening on {addr} after {attempts} attempt(s)");
                break;
            }
            Err(e) if e.code() == "EADDRINUSE" && attempts < 20 => {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => return Err(e),
        }
    }
    server.close()?;
    server.closed().await;
    Ok(())
}
