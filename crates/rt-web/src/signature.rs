//! Signed cookie values in the `cookie-signature` npm package's format (what express-session
//! and cookie-parser write): `value.` + base64 HMAC-SHA256 of `value` without `=` padding.
//! Checking compares in constant time (the `hmac` crate's `verify_slice`).

use base64::Engine;
use base64::engine::general_purpose::STANDARD_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

fn mac(secret: &[u8], value: &str) -> HmacSha256 {
    // HMAC takes a key of any length: `new_from_slice` cannot fail for it.
    let mut m = <HmacSha256 as Mac>::new_from_slice(secret)
        .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
    m.update(value.as_bytes());
    m
}

/// `signature.sign(value, secret)`: `value.<base64 HMAC-SHA256>`.
#[doc(alias = "cookie-signature.sign")]
pub fn sign(value: &str, secret: &[u8]) -> String {
    let tag = mac(secret, value).finalize().into_bytes();
    format!("{value}.{}", STANDARD_NO_PAD.encode(tag))
}

/// `signature.unsign(input, secret)`: the value when `input` carries a valid signature for
/// `secret` (compared in constant time), else `None` (Node: `false`).
#[doc(alias = "cookie-signature.unsign")]
pub fn unsign<'a>(input: &'a str, secret: &[u8]) -> Option<&'a str> {
    let dot = input.rfind('.')?;
    let (value, tag) = (&input[..dot], &input[dot + 1..]);
    // A canonical unpadded base64 tag of 32 bytes is 43 characters; anything else is not one
    // this function could have written (Node compares the whole re-signed string).
    let tag = STANDARD_NO_PAD.decode(tag).ok()?;
    if STANDARD_NO_PAD.encode(&tag) != input[dot + 1..] {
        return None;
    }
    mac(secret, value).verify_slice(&tag).ok().map(|()| value)
}
