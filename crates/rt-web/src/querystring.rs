//! Node's `querystring` module: [`parse`], [`stringify()`], [`escape`], [`unescape`],
//! [`unescape_buffer`], ported from Node v20's `lib/querystring.js` step for step.
//!
//! The scanner works on UTF-16 code units as Node's does (so multi-character and non-ASCII
//! `sep` / `eq` match exactly where Node's match), `+` is a space, a key or value is decoded
//! only when it holds a valid `%XX`, and a malformed sequence falls back to
//! [`unescape_buffer`] as Node's `qs.unescape` does (`'%zz'` stays `'%zz'`, a stray invalid
//! UTF-8 byte becomes U+FFFD). Repeated keys become a list ([`QueryValue::Many`]).
//!
//! ```
//! use rt_web::querystring;
//!
//! // The notes: `var query = querystring.parse(url.parse(req.url).query);`
//! let query = querystring::parse("foo=bar&baz=val&baz=2&sp=a+b%20c");
//! assert_eq!(query.get("foo"), Some("bar"));
//! assert_eq!(query.get_all("baz"), ["val", "2"]);
//! assert_eq!(query.get("sp"), Some("a b c"));
//!
//! let back = querystring::stringify(&query);
//! assert_eq!(back, "foo=bar&baz=val&baz=2&sp=a%20b%20c");
//! ```
//!
//! One difference from a JavaScript object, said here rather than hidden: a JS object lists
//! integer-like keys (`"0"`, `"7"`) first in numeric order; [`ParsedQuery`] keeps every key in
//! the order it first appeared. The values and the lists are the same.

use std::collections::HashMap;
use std::fmt;

/// Node's default `maxKeys` for [`parse`].
#[doc(alias = "maxKeys")]
pub const DEFAULT_MAX_KEYS: usize = 1000;

/// A decoder for [`ParseOptions::decode_uri_component`]: `Err` makes Node fall back to
/// [`unescape`] (with `+` as a space).
#[doc(alias = "decodeURIComponent")]
pub type DecodeFn<'a> = &'a dyn Fn(&str) -> Result<String, UriError>;

/// An encoder for [`StringifyOptions::encode_uri_component`].
#[doc(alias = "encodeURIComponent")]
pub type EncodeFn<'a> = &'a dyn Fn(&str) -> String;

/// The options of `querystring.parse(str, sep, eq, options)`.
#[doc(alias = "querystring.parse options")]
#[derive(Clone, Copy)]
pub struct ParseOptions<'a> {
    /// `maxKeys`: how many pairs are read (default 1000); `0` means no limit, as in Node.
    #[doc(alias = "maxKeys")]
    pub max_keys: usize,
    /// `decodeURIComponent`: the decoder for keys and values (default: [`unescape`]). With a
    /// custom decoder every key and value goes through it and `+` is handed to it as `%20`,
    /// as Node does.
    #[doc(alias = "decodeURIComponent")]
    pub decode_uri_component: Option<DecodeFn<'a>>,
}

impl Default for ParseOptions<'_> {
    fn default() -> Self {
        ParseOptions {
            max_keys: DEFAULT_MAX_KEYS,
            decode_uri_component: None,
        }
    }
}

impl fmt::Debug for ParseOptions<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ParseOptions")
            .field("max_keys", &self.max_keys)
            .field("decode_uri_component", &self.decode_uri_component.is_some())
            .finish()
    }
}

/// The options of `querystring.stringify(obj, sep, eq, options)`.
#[doc(alias = "querystring.stringify options")]
#[derive(Clone, Copy, Default)]
pub struct StringifyOptions<'a> {
    /// `encodeURIComponent`: the encoder for keys and string values (default: [`escape`]).
    #[doc(alias = "encodeURIComponent")]
    pub encode_uri_component: Option<EncodeFn<'a>>,
}

impl fmt::Debug for StringifyOptions<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StringifyOptions")
            .field("encode_uri_component", &self.encode_uri_component.is_some())
            .finish()
    }
}

/// `URIError: URI malformed`, what JavaScript's `decodeURIComponent` throws.
#[doc(alias = "URIError")]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UriError;

impl fmt::Display for UriError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("URI malformed")
    }
}

impl std::error::Error for UriError {}

/// One key's value in a [`ParsedQuery`]: a string, or a list when the key was repeated.
#[doc(alias = "ParsedUrlQuery")]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueryValue {
    /// The key appeared once.
    One(String),
    /// The key appeared more than once (values in order).
    Many(Vec<String>),
}

impl QueryValue {
    /// The first value.
    #[doc(alias = "query[key]")]
    pub fn first(&self) -> &str {
        match self {
            QueryValue::One(s) => s,
            QueryValue::Many(v) => v.first().map(String::as_str).unwrap_or(""),
        }
    }

    /// Every value, in order (one for [`QueryValue::One`]).
    #[doc(alias = "query[key]")]
    pub fn all(&self) -> &[String] {
        match self {
            QueryValue::One(s) => std::slice::from_ref(s),
            QueryValue::Many(v) => v,
        }
    }
}

/// What [`parse`] returns: Node's `{ __proto__: null }` object, keys in first-seen order.
#[doc(alias = "ParsedUrlQuery")]
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParsedQuery {
    entries: Vec<(String, QueryValue)>,
    index: HashMap<String, usize>,
}

impl ParsedQuery {
    /// An empty result.
    #[doc(alias = "querystring.parse")]
    pub fn new() -> Self {
        Self::default()
    }

    /// The first value of `key` (`obj[key]`, or `obj[key][0]` for a list).
    #[doc(alias = "query[key]")]
    pub fn get(&self, key: &str) -> Option<&str> {
        self.value(key).map(QueryValue::first)
    }

    /// Every value of `key`, in order; empty when absent.
    #[doc(alias = "query[key]")]
    pub fn get_all(&self, key: &str) -> &[String] {
        self.value(key).map(QueryValue::all).unwrap_or(&[])
    }

    /// The value of `key` as Node has it: a string or a list.
    #[doc(alias = "query[key]")]
    pub fn value(&self, key: &str) -> Option<&QueryValue> {
        self.index.get(key).map(|&i| &self.entries[i].1)
    }

    /// Whether `key` is present (`key in obj`).
    #[doc(alias = "in")]
    pub fn contains_key(&self, key: &str) -> bool {
        self.index.contains_key(key)
    }

    /// How many distinct keys.
    #[doc(alias = "Object.keys")]
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are no keys.
    #[doc(alias = "Object.keys")]
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The keys and values in first-seen order (`Object.entries(obj)`, see the module docs
    /// about integer-like keys).
    #[doc(alias = "Object.entries")]
    pub fn iter(&self) -> impl Iterator<Item = (&str, &QueryValue)> {
        self.entries.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// Adds `value` under `key` as Node's `addKeyVal` does: a second value turns the key into
    /// a list.
    #[doc(alias = "addKeyVal")]
    pub fn append(&mut self, key: String, value: String) {
        match self.index.get(&key) {
            Some(&i) => {
                let slot = &mut self.entries[i].1;
                match slot {
                    QueryValue::One(first) => {
                        let first = std::mem::take(first);
                        *slot = QueryValue::Many(vec![first, value]);
                    }
                    QueryValue::Many(list) => list.push(value),
                }
            }
            None => {
                self.index.insert(key.clone(), self.entries.len());
                self.entries.push((key, QueryValue::One(value)));
            }
        }
    }
}

impl<'a> IntoIterator for &'a ParsedQuery {
    type Item = (&'a str, &'a QueryValue);
    type IntoIter = Box<dyn Iterator<Item = (&'a str, &'a QueryValue)> + 'a>;
    fn into_iter(self) -> Self::IntoIter {
        Box::new(self.iter())
    }
}

/// `querystring.parse(str)`: [`parse_with`] with `'&'`, `'='` and the default options.
#[doc(alias = "querystring.parse")]
#[doc(alias = "querystring.decode")]
pub fn parse(qs: &str) -> ParsedQuery {
    parse_with(qs, None, None, &ParseOptions::default())
}

fn is_hex(c: u16) -> bool {
    matches!(c, 0x30..=0x39 | 0x41..=0x46 | 0x61..=0x66)
}

fn unhex(c: u16) -> Option<u8> {
    match c {
        0x30..=0x39 => Some((c - 0x30) as u8),
        0x41..=0x46 => Some((c - 0x41 + 10) as u8),
        0x61..=0x66 => Some((c - 0x61 + 10) as u8),
        _ => None,
    }
}

/// `querystring.parse(str, sep, eq, options)`. `sep` / `eq` of `None` or `""` mean `'&'` /
/// `'='` (Node's `!sep`).
#[doc(alias = "querystring.parse")]
#[doc(alias = "querystring.decode")]
pub fn parse_with(qs: &str, sep: Option<&str>, eq: Option<&str>, options: &ParseOptions<'_>) -> ParsedQuery {
    let mut obj = ParsedQuery::new();
    if qs.is_empty() {
        return obj;
    }
    let units: Vec<u16> = qs.encode_utf16().collect();
    let sep_codes: Vec<u16> = match sep {
        Some(s) if !s.is_empty() => s.encode_utf16().collect(),
        _ => vec![b'&' as u16],
    };
    let eq_codes: Vec<u16> = match eq {
        Some(s) if !s.is_empty() => s.encode_utf16().collect(),
        _ => vec![b'=' as u16],
    };
    let sep_len = sep_codes.len();
    let eq_len = eq_codes.len();
    // Node counts `pairs` down to 0; "unlimited" never reaches 0.
    let mut pairs: i64 = if options.max_keys > 0 {
        options.max_keys.min(i64::MAX as usize) as i64
    } else {
        -1
    };
    let custom = options.decode_uri_component;
    let custom_decode = custom.is_some();
    let decode = |s: String| -> String {
        match custom {
            Some(f) => f(&s).unwrap_or_else(|_| unescape_with(&s, true)),
            None => unescape_with(&s, false),
        }
    };
    let plus: &[u16] = if custom_decode {
        &[0x25, 0x32, 0x30]
    } else {
        &[0x20]
    };

    let mut last_pos = 0usize;
    let mut sep_idx = 0usize;
    let mut eq_idx = 0usize;
    let mut key: Vec<u16> = Vec::new();
    let mut value: Vec<u16> = Vec::new();
    let mut key_encoded = custom_decode;
    let mut val_encoded = custom_decode;
    let mut encode_check = 0u8;

    let add = |obj: &mut ParsedQuery, key: &[u16], value: &[u16], ke: bool, ve: bool| {
        let mut k = String::from_utf16_lossy(key);
        let mut v = String::from_utf16_lossy(value);
        if !k.is_empty() && ke {
            k = decode(k);
        }
        if !v.is_empty() && ve {
            v = decode(v);
        }
        obj.append(k, v);
    };

    let len = units.len();
    let mut i = 0usize;
    while i < len {
        let code = units[i];
        if code == sep_codes[sep_idx] {
            sep_idx += 1;
            if sep_idx == sep_len {
                let end = i + 1 - sep_idx;
                if eq_idx < eq_len {
                    if last_pos < end {
                        key.extend_from_slice(&units[last_pos..end]);
                    } else if key.is_empty() {
                        pairs -= 1;
                        if pairs == 0 {
                            return obj;
                        }
                        last_pos = i + 1;
                        sep_idx = 0;
                        eq_idx = 0;
                        i += 1;
                        continue;
                    }
                } else if last_pos < end {
                    value.extend_from_slice(&units[last_pos..end]);
                }
                add(&mut obj, &key, &value, key_encoded, val_encoded);
                pairs -= 1;
                if pairs == 0 {
                    return obj;
                }
                key_encoded = custom_decode;
                val_encoded = custom_decode;
                key.clear();
                value.clear();
                encode_check = 0;
                last_pos = i + 1;
                sep_idx = 0;
                eq_idx = 0;
            }
        } else {
            sep_idx = 0;
            if eq_idx < eq_len {
                if code == eq_codes[eq_idx] {
                    eq_idx += 1;
                    if eq_idx == eq_len {
                        let end = i + 1 - eq_idx;
                        if last_pos < end {
                            key.extend_from_slice(&units[last_pos..end]);
                        }
                        encode_check = 0;
                        last_pos = i + 1;
                    }
                    i += 1;
                    continue;
                } else {
                    eq_idx = 0;
                    if !key_encoded {
                        if code == 0x25 {
                            encode_check = 1;
                            i += 1;
                            continue;
                        } else if encode_check > 0 {
                            if is_hex(code) {
                                encode_check += 1;
                                if encode_check == 3 {
                                    key_encoded = true;
                                }
                                i += 1;
                                continue;
                            } else {
                                encode_check = 0;
                            }
                        }
                    }
                }
                if code == 0x2B {
                    if last_pos < i {
                        key.extend_from_slice(&units[last_pos..i]);
                    }
                    key.extend_from_slice(plus);
                    last_pos = i + 1;
                    i += 1;
                    continue;
                }
            }
            if code == 0x2B {
                if last_pos < i {
                    value.extend_from_slice(&units[last_pos..i]);
                }
                value.extend_from_slice(plus);
                last_pos = i + 1;
            } else if !val_encoded {
                if code == 0x25 {
                    encode_check = 1;
                } else if encode_check > 0 {
                    if is_hex(code) {
                        encode_check += 1;
                        if encode_check == 3 {
                            val_encoded = true;
                        }
                    } else {
                        encode_check = 0;
                    }
                }
            }
        }
        i += 1;
    }

    if last_pos < len {
        if eq_idx < eq_len {
            key.extend_from_slice(&units[last_pos..]);
        } else if sep_idx < sep_len {
            value.extend_from_slice(&units[last_pos..]);
        }
    } else if eq_idx == 0 && key.is_empty() {
        return obj;
    }
    add(&mut obj, &key, &value, key_encoded, val_encoded);
    obj
}

/// JavaScript's `decodeURIComponent(s)`: every `%XX` run decoded as strict UTF-8, or
/// [`UriError`] (a `%` without two hex digits, a bad or incomplete UTF-8 sequence).
#[doc(alias = "decodeURIComponent")]
pub fn decode_uri_component(s: &str) -> Result<String, UriError> {
    let b = s.as_bytes();
    if !b.contains(&b'%') {
        return Ok(s.to_owned());
    }
    let mut out: Vec<u8> = Vec::with_capacity(b.len());
    let hex_at = |k: usize| -> Result<u8, UriError> {
        if k + 2 >= b.len() {
            return Err(UriError);
        }
        match (unhex(b[k + 1] as u16), unhex(b[k + 2] as u16)) {
            (Some(h), Some(l)) => Ok(h * 16 + l),
            _ => Err(UriError),
        }
    };
    let mut k = 0usize;
    while k < b.len() {
        if b[k] != b'%' {
            out.push(b[k]);
            k += 1;
            continue;
        }
        let first = hex_at(k)?;
        k += 3;
        if first < 0x80 {
            out.push(first);
            continue;
        }
        let n = first.leading_ones() as usize;
        if !(2..=4).contains(&n) {
            return Err(UriError);
        }
        let mut seq = vec![first];
        for _ in 1..n {
            if k >= b.len() || b[k] != b'%' {
                return Err(UriError);
            }
            let next = hex_at(k)?;
            if next & 0xC0 != 0x80 {
                return Err(UriError);
            }
            seq.push(next);
            k += 3;
        }
        if std::str::from_utf8(&seq).is_err() {
            return Err(UriError);
        }
        out.extend_from_slice(&seq);
    }
    // Only whole, valid sequences were added to `s`'s own valid UTF-8.
    String::from_utf8(out).map_err(|_| UriError)
}

/// `querystring.unescape(str)`: `decodeURIComponent`, and when that throws,
/// [`unescape_buffer`] decoded as UTF-8 (invalid bytes become U+FFFD).
#[doc(alias = "querystring.unescape")]
pub fn unescape(s: &str) -> String {
    unescape_with(s, false)
}

fn unescape_with(s: &str, decode_spaces: bool) -> String {
    match decode_uri_component(s) {
        Ok(v) => v,
        Err(_) => String::from_utf8_lossy(&unescape_buffer(s, decode_spaces)).into_owned(),
    }
}

/// `querystring.unescapeBuffer(str, decodeSpaces)`: `%XX` to bytes, `+` to a space when
/// `decode_spaces`; a `%` without two hex digits stays. Like Node, every other character
/// gives one byte, the low byte of its UTF-16 code unit(s) (`'é'` gives `0xE9`).
#[doc(alias = "querystring.unescapeBuffer")]
pub fn unescape_buffer(s: &str, decode_spaces: bool) -> Vec<u8> {
    let units: Vec<u16> = s.encode_utf16().collect();
    let len = units.len();
    let mut out = Vec::with_capacity(len);
    let max_length = len as isize - 2;
    let mut index = 0usize;
    while index < len {
        let mut current = units[index];
        if current == 0x2B && decode_spaces {
            out.push(b' ');
            index += 1;
            continue;
        }
        if current == 0x25 && (index as isize) < max_length {
            index += 1;
            current = units[index];
            match unhex(current) {
                None => {
                    out.push(b'%');
                    continue;
                }
                Some(high) => {
                    index += 1;
                    match unhex(units[index]) {
                        None => {
                            out.push(b'%');
                            index -= 1;
                        }
                        Some(low) => current = (high * 16 + low) as u16,
                    }
                }
            }
        }
        out.push(current as u8);
        index += 1;
    }
    out
}

fn no_escape(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_' | b'~' | b'!' | b'\'' | b'(' | b')' | b'*')
}

/// `querystring.escape(str)`: percent-encodes the UTF-8 bytes of everything but
/// `A-Z a-z 0-9 - . _ ~ ! ' ( ) *`, upper-case hex.
#[doc(alias = "querystring.escape")]
pub fn escape(s: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    if s.bytes().all(no_escape) {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len() * 3);
    for &c in s.as_bytes() {
        if no_escape(c) {
            out.push(c as char);
        } else {
            out.push('%');
            out.push(HEX[(c >> 4) as usize] as char);
            out.push(HEX[(c & 15) as usize] as char);
        }
    }
    out
}

/// A value for [`stringify()`]: what a JavaScript object's property may hold.
#[doc(alias = "stringifyPrimitive")]
#[derive(Debug, Clone, PartialEq)]
pub enum StringifyValue {
    /// A string (encoded).
    Str(String),
    /// A JavaScript number (`String(n)`; non-finite numbers give `''` as in Node).
    Number(f64),
    /// An integer written in decimal (a BigInt in Node).
    Int(i128),
    /// `true` / `false`.
    Bool(bool),
    /// `null`, `undefined`, an object: Node writes `key=`.
    Empty,
    /// An array: one `key=value` per element, none for an empty array.
    List(Vec<StringifyValue>),
}

impl From<&str> for StringifyValue {
    fn from(v: &str) -> Self {
        StringifyValue::Str(v.to_owned())
    }
}
impl From<String> for StringifyValue {
    fn from(v: String) -> Self {
        StringifyValue::Str(v)
    }
}
impl From<&String> for StringifyValue {
    fn from(v: &String) -> Self {
        StringifyValue::Str(v.clone())
    }
}
impl From<f64> for StringifyValue {
    fn from(v: f64) -> Self {
        StringifyValue::Number(v)
    }
}
impl From<bool> for StringifyValue {
    fn from(v: bool) -> Self {
        StringifyValue::Bool(v)
    }
}
macro_rules! from_int {
    ($($t:ty),*) => {$(
        impl From<$t> for StringifyValue {
            fn from(v: $t) -> Self { StringifyValue::Int(v as i128) }
        }
    )*};
}
from_int!(i8, i16, i32, i64, u8, u16, u32, u64, usize, isize);
impl<T: Into<StringifyValue>> From<Option<T>> for StringifyValue {
    fn from(v: Option<T>) -> Self {
        v.map_or(StringifyValue::Empty, Into::into)
    }
}
impl<T: Into<StringifyValue>> From<Vec<T>> for StringifyValue {
    fn from(v: Vec<T>) -> Self {
        StringifyValue::List(v.into_iter().map(Into::into).collect())
    }
}
impl<T: Clone + Into<StringifyValue>> From<&[T]> for StringifyValue {
    fn from(v: &[T]) -> Self {
        StringifyValue::List(v.iter().cloned().map(Into::into).collect())
    }
}
impl From<&QueryValue> for StringifyValue {
    fn from(v: &QueryValue) -> Self {
        match v {
            QueryValue::One(s) => StringifyValue::Str(s.clone()),
            QueryValue::Many(l) => StringifyValue::List(l.iter().map(Into::into).collect()),
        }
    }
}

/// JavaScript's `String(n)` for a number (`Number.prototype.toString()`).
#[doc(alias = "Number.prototype.toString")]
pub fn js_number_to_string(n: f64) -> String {
    if n.is_nan() {
        return "NaN".into();
    }
    if n == 0.0 {
        return "0".into();
    }
    if n.is_infinite() {
        return if n > 0.0 { "Infinity" } else { "-Infinity" }.into();
    }
    let sign = if n < 0.0 { "-" } else { "" };
    // Rust's `{:e}` is the shortest round-trip digits, as ECMAScript's Number::toString asks.
    let sci = format!("{:e}", n.abs());
    let (mantissa, exp) = sci.split_once('e').unwrap_or((sci.as_str(), "0"));
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let e: i64 = exp.parse().unwrap_or(0);
    let k = digits.len() as i64;
    let n_ = e + 1; // the decimal point sits after `n_` digits
    let body = if k <= n_ && n_ <= 21 {
        format!("{digits}{}", "0".repeat((n_ - k) as usize))
    } else if 0 < n_ && n_ <= 21 {
        format!("{}.{}", &digits[..n_ as usize], &digits[n_ as usize..])
    } else if -6 < n_ && n_ <= 0 {
        format!("0.{}{digits}", "0".repeat((-n_) as usize))
    } else {
        let exp_sign = if n_ - 1 < 0 { '-' } else { '+' };
        let ee = (n_ - 1).abs();
        if k == 1 {
            format!("{digits}e{exp_sign}{ee}")
        } else {
            format!("{}.{}e{exp_sign}{ee}", &digits[..1], &digits[1..])
        }
    };
    format!("{sign}{body}")
}

/// Node's `stringifyPrimitive`: strings as they are, finite numbers, integers and booleans
/// in decimal, anything else `''`.
fn primitive(v: &StringifyValue) -> String {
    match v {
        StringifyValue::Str(s) => s.clone(),
        StringifyValue::Number(n) if n.is_finite() => js_number_to_string(*n),
        StringifyValue::Int(i) => i.to_string(),
        StringifyValue::Bool(b) => b.to_string(),
        _ => String::new(),
    }
}

/// Node's `encodeStringified` (default encoder) and `encodeStringifiedCustom` (custom one).
fn convert(v: &StringifyValue, custom: Option<EncodeFn<'_>>) -> String {
    if let Some(encode) = custom {
        return encode(&primitive(v));
    }
    match v {
        StringifyValue::Str(s) => escape(s),
        // Numbers of 1e21 and more print with an exponent ("1e+21") that gets escaped.
        StringifyValue::Number(n) if n.is_finite() && n.abs() >= 1e21 => escape(&primitive(v)),
        other => primitive(other),
    }
}

/// `querystring.stringify(obj)`: [`stringify_with`] with `'&'`, `'='`, [`escape`].
#[doc(alias = "querystring.stringify")]
#[doc(alias = "querystring.encode")]
pub fn stringify<I, K, V>(obj: I) -> String
where
    I: IntoIterator<Item = (K, V)>,
    K: AsRef<str>,
    V: Into<StringifyValue>,
{
    stringify_with(obj, None, None, &StringifyOptions::default())
}

/// `querystring.stringify(obj, sep, eq, options)`: `obj` is any list of `(key, value)` pairs
/// (a [`ParsedQuery`], a `Vec`, a map), written in its order. `sep` / `eq` of `None` or `""`
/// mean `'&'` / `'='`. As in Node, a custom `encode_uri_component` is called with every key and
/// every value turned to a string first (`''` for [`StringifyValue::Empty`]).
#[doc(alias = "querystring.stringify")]
#[doc(alias = "querystring.encode")]
pub fn stringify_with<I, K, V>(
    obj: I,
    sep: Option<&str>,
    eq: Option<&str>,
    options: &StringifyOptions<'_>,
) -> String
where
    I: IntoIterator<Item = (K, V)>,
    K: AsRef<str>,
    V: Into<StringifyValue>,
{
    let sep = sep.filter(|s| !s.is_empty()).unwrap_or("&");
    let eq = eq.filter(|s| !s.is_empty()).unwrap_or("=");
    let custom = options.encode_uri_component;
    let mut fields = String::new();
    for (k, v) in obj {
        let v: StringifyValue = v.into();
        let mut ks = convert(&StringifyValue::Str(k.as_ref().to_owned()), custom);
        ks.push_str(eq);
        match &v {
            StringifyValue::List(items) => {
                if items.is_empty() {
                    continue;
                }
                if !fields.is_empty() {
                    fields.push_str(sep);
                }
                for (j, item) in items.iter().enumerate() {
                    if j > 0 {
                        fields.push_str(sep);
                    }
                    fields.push_str(&ks);
                    fields.push_str(&convert(item, custom));
                }
            }
            other => {
                if !fields.is_empty() {
                    fields.push_str(sep);
                }
                fields.push_str(&ks);
                fields.push_str(&convert(other, custom));
            }
        }
    }
    fields
}
