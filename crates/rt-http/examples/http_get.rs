//! Node's `http.get` example (from the `http` docs), in rt:
//!
//! ```js
//! http.get('http://localhost:8000/', (res) => {
//!   const { statusCode } = res;
//!   const contentType = res.headers['content-type'];
//!   let error;
//!   if (statusCode !== 200) {
//!     error = new Error('Request Failed.\n' + `Status Code: ${statusCode}`);
//!   } else if (!/^application\/json/.test(contentType)) {
//!     error = new Error('Invalid content-type.\n' +
//!                       `Expected application/json but received ${contentType}`);
//!   }
//!   if (error) {
//!     console.error(error.message);
//!     res.resume(); // consume response data to free up memory
//!     return;
//!   }
//!   res.setEncoding('utf8');
//!   let rawData = '';
//!   res.on('data', (chunk) => { rawData += chunk; });
//!   res.on('end', () => console.log(JSON.parse(rawData)));
//! }).on('error', (e) => {
//!   console.error(`Got error: ${e.message}`);
//! });
//! ```
//!
//! Run with `cargo run -p rt-http --example http_get [url]`. Without a URL
//! it starts a server of its own (the docs' `http.createServer` answering
//! `{ data: 'Hello World!' }`) on a free port and gets from it.

use rt_http::{IncomingMessage, ServerResponse, create_server};
use rt_stream::ReadableSide;

#[tokio::main]
async fn main() -> Result<(), rt_stream::Error> {
    // The server lives until main returns.
    let server = create_server(|_req: IncomingMessage, res: ServerResponse| {
        let _ = res.set_header("Content-Type", "application/json");
        let _ = res.end_with(r#"{"data":"Hello World!"}"#);
    });
    let url = match std::env::args().nth(1) {
        Some(url) => url,
        None => {
            let addr = server.listen(("127.0.0.1", 0)).await?;
            format!("http://127.0.0.1:{}/", addr.port().unwrap_or(8000))
        }
    };
    let req = rt_http::get(url.as_str())?;
    let res = match req.response().await {
        Ok(res) => res,
        Err(e) => {
            eprintln!("Got error: {}", e.message());
            return Ok(());
        }
    };
    let status = res.status_code();
    let content_type = res.header("content-type").unwrap_or_default();
    let error = if status != 200 {
        Some(format!("Request Failed.\nStatus Code: {status}"))
    } else if !content_type.starts_with("application/json") {
        Some(format!(
            "Invalid content-type.\nExpected application/json but received {content_type}"
        ))
    } else {
        None
    };
    if let Some(message) = error {
        eprintln!("{message}");
        res.resume(); // consume response data to free up memory
        return Ok(());
    }
    res.set_encoding("utf8")?;
    let mut raw = String::new();
    for chunk in res.read_all().await? {
        raw.push_str(&String::from_utf8_lossy(&chunk));
    }
    println!("{raw}");
    Ok(())
}
