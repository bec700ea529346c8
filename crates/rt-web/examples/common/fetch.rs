//! One request with rt-http's client, for the examples: (status, headers, body).

// Each example reads only some of the fields.
#![allow(dead_code)]

use rt_http::RequestOptions;

/// What came back.
pub(crate) struct Fetched {
    /// The status code.
    pub(crate) status: u16,
    /// The response's headers as rt-http merged them.
    pub(crate) headers: rt_http::Headers,
    /// The body as text.
    pub(crate) body: String,
}

/// `method url` with `headers` and `body`.
pub(crate) async fn fetch(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Result<Fetched, Box<dyn std::error::Error>> {
    let mut opts = RequestOptions::default().method(method);
    for (k, v) in headers {
        opts = opts.header(k, v);
    }
    let req = rt_http::request_with(url, opts)?;
    if body.is_empty() {
        req.end()?;
    } else {
        req.end_with(body.as_bytes().to_vec())?;
    }
    let res = tokio::time::timeout(std::time::Duration::from_secs(10), req.response()).await??;
    let chunks = tokio::time::timeout(std::time::Duration::from_secs(10), res.read_all()).await??;
    let body: Vec<u8> = chunks.iter().flat_map(|c| c.to_vec()).collect();
    Ok(Fetched {
        status: res.status_code(),
        headers: res.headers().clone(),
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}
