//! What the rt-http differential tests share: the byte/text conversions
//! their JSON exchange with `node` needs, done by rt-buffer (whose codecs are
//! themselves checked against node).

#![allow(dead_code, unreachable_pub)]

pub mod strict_requests;

use rt_buffer::{Buffer, Encoding};

/// `bytes` as Latin-1 text (how Node decodes header bytes).
pub fn latin1(bytes: &[u8]) -> String {
    Buffer::from(bytes.to_vec()).to_string(Encoding::Latin1)
}

/// Latin-1 text back to bytes (`Buffer.from(s, 'latin1')`).
pub fn latin1_bytes(s: &str) -> Vec<u8> {
    Buffer::from_str(s, Encoding::Latin1).to_vec()
}

/// `bytes` in base64.
pub fn b64(bytes: &[u8]) -> String {
    Buffer::from(bytes.to_vec()).to_string(Encoding::Base64)
}

/// Base64 text back to bytes.
pub fn unb64(s: &str) -> Vec<u8> {
    Buffer::from_str(s, Encoding::Base64).to_vec()
}

/// Runs the node `script` (written as `file` in a temp dir) with the JSON
/// `spec` as its argument and the rt server's `port` on stdin, and returns
/// the JSON list it prints, checked to hold one entry per case (`cases`).
pub async fn run_node_cases(
    node: rt_tests::node::Node,
    file: &'static str,
    script: &'static str,
    spec: &serde_json::Value,
    port: u16,
    cases: usize,
) -> Vec<serde_json::Value> {
    let spec = serde_json::to_string(spec).expect("json");
    let out = tokio::task::spawn_blocking(move || {
        let dir = rt_tests::temp::TempDir::new("rt-http-node-cases");
        let path = dir.path().join(file);
        std::fs::write(&path, script).expect("write script");
        node.run_file(&path, &[&spec], port.to_string().as_bytes())
    })
    .await
    .expect("node ran");
    let v: serde_json::Value = serde_json::from_slice(&out).expect("node printed JSON");
    let got = v.as_array().expect("a list").clone();
    assert_eq!(got.len(), cases, "every case ran");
    got
}
