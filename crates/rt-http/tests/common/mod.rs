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
