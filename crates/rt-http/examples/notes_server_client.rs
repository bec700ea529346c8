//! The notes' http-server.js and http-client.js, in one program:
//!
//! ```js
//! // http-server.js
//! http.createServer((req, res) => {
//!   res.writeHead(200, { "Content-Type": "text/plain" });
//!   res.end("Hello World");
//! }).listen(3000, console.log("Listening on port 3000."));
//!
//! // http-client.js
//! var req = http.request({ hostname: "127.0.0.1", port: 3000, path: "/", method: "GET" }, function(res) {
//!   console.log(res.statusCode);
//!   console.log(JSON.stringify(res.headers));
//!   res.setEncoding("utf8");
//!   res.on("data", function(chunk) { console.log(chunk); });
//! });
//! req.end();
//! ```
//!
//! Here the server takes a free port and the client asks it once. Run:
//! `cargo run -p rt-http --example notes_server_client`.

use rt_http::{IncomingMessage, OutValue, ServerResponse, create_server};
use rt_stream::ReadableSide;

#[tokio::main]
async fn main() -> Result<(), rt_stream::Error> {
    let server = create_server(|_req: IncomingMessage, res: ServerResponse| {
        let _ = res.write_head_with(
            200,
            None,
            Some(vec![("Content-Type".to_string(), OutValue::from("text/plain"))]),
        );
        let _ = res.end_with("Hello World");
    });
    let port = server.listen(("127.0.0.1", 0)).await?.port().unwrap_or(3000);
    println!("Listening on port {port}.");

    let req = rt_http::request(format!("http://127.0.0.1:{port}/"))?;
    req.end()?;
    let res = req.response().await?;
    println!("{}", res.status_code());
    let headers: Vec<String> = res
        .headers()
        .iter()
        .map(|(k, v)| format!("{k:?}:{:?}", v.joined()))
        .collect();
    println!("{{{}}}", headers.join(","));
    res.set_encoding("utf8")?;
    while let Some(chunk) = res.read().await {
        println!("{}", String::from_utf8_lossy(&chunk?));
    }
    server.close()?;
    Ok(())
}
