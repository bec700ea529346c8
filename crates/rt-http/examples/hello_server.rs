//! The Node snippet every tutorial starts with:
//!
//! ```js
//! const http = require('http');
//! const server = http.createServer((req, res) => {
//!   res.statusCode = 200;
//!   res.setHeader('Content-Type', 'text/plain');
//!   res.end('Hello World\n');
//! });
//! server.listen(3000, '127.0.0.1', () => console.log('Server running at http://127.0.0.1:3000/'));
//! ```
//!
//! Run with `cargo run -p rt-http --example hello_server [port]`; with
//! `RT_EXAMPLE_ONCE=1` it answers one request of its own and exits.

use rt_http::{IncomingMessage, ServerResponse, create_server};

#[tokio::main]
async fn main() -> Result<(), rt_stream::Error> {
    let server = create_server(|_req: IncomingMessage, res: ServerResponse| {
        res.set_status_code(200);
        let _ = res.set_header("Content-Type", "text/plain");
        let _ = res.end_with("Hello World\n");
    });
    let port: u16 = std::env::args()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(3000);
    let addr = server.listen(("127.0.0.1", port)).await?;
    let port = addr.port().unwrap_or(port);
    println!("Server running at http://127.0.0.1:{port}/");
    if std::env::var_os("RT_EXAMPLE_ONCE").is_some() {
        let socket = rt_net::connect(("127.0.0.1", port)).await?;
        socket.end_with("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")?;
        let got: Vec<u8> = socket.read_all().await?.iter().flat_map(|c| c.to_vec()).collect();
        print!("{}", String::from_utf8_lossy(&got));
        server.close()?;
        return Ok(());
    }
    std::future::pending::<()>().await;
    Ok(())
}
