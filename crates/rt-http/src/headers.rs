//! `message.headers`: received header lines merged as Node v20 merges them
//! (`IncomingMessage._addHeaderLine`).
//!
//! Names are lower-cased. A repeated `set-cookie` becomes a list; a repeated
//! `cookie` is joined with `"; "`; the headers Node treats as singletons
//! (`host`, `content-type`, `user-agent`, `authorization`...) keep their first
//! value; every other repeated header is joined with `", "`. Keys keep Node's
//! order: the order of first appearance, except that names which are array
//! indices in JavaScript (`"0"`, `"42"`) come first in numeric order, as they
//! do in a JS object.

/// One merged header value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeaderValue {
    /// A single (possibly joined) value.
    One(String),
    /// `set-cookie`'s values, one per received line.
    List(Vec<String>),
}

impl HeaderValue {
    /// The value as one string (a list is joined with `", "`).
    pub fn joined(&self) -> String {
        match self {
            HeaderValue::One(s) => s.clone(),
            HeaderValue::List(v) => v.join(", "),
        }
    }
}

/// How a repeated header is merged (Node's `matchKnownFields` flag).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Merge {
    /// Keep the first value (drop duplicates).
    First,
    /// Join with `", "`.
    Comma,
    /// Join with `"; "` (cookie).
    Semicolon,
    /// Collect into a list (set-cookie).
    List,
}

fn merge_rule(lower: &str) -> Merge {
    match lower {
        "age"
        | "host"
        | "from"
        | "etag"
        | "server"
        | "referer"
        | "expires"
        | "location"
        | "user-agent"
        | "retry-after"
        | "content-type"
        | "max-forwards"
        | "authorization"
        | "last-modified"
        | "content-length"
        | "if-modified-since"
        | "proxy-authorization"
        | "if-unmodified-since" => Merge::First,
        "cookie" => Merge::Semicolon,
        "set-cookie" => Merge::List,
        _ => Merge::Comma,
    }
}

/// Whether `key` is a JavaScript array index (an object puts those first).
pub(crate) fn array_index(key: &str) -> Option<u32> {
    if key.is_empty() || key.len() > 10 || !key.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if key.len() > 1 && key.starts_with('0') {
        return None;
    }
    let n: u64 = key.parse().ok()?;
    (n < u64::from(u32::MAX)).then_some(n as u32)
}

/// Received headers merged as Node merges them into `message.headers`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[doc(alias = "headers")]
#[doc(alias = "IncomingMessage.headers")]
pub struct Headers {
    entries: Vec<(String, HeaderValue)>,
}

impl Headers {
    /// Merges `raw` (name, value) pairs in received order. With
    /// `join_duplicates` (Node's `joinDuplicateHeaders` option) singletons
    /// are joined with `", "` instead of keeping their first value.
    pub fn from_raw<'a>(raw: impl IntoIterator<Item = (&'a str, &'a str)>, join_duplicates: bool) -> Headers {
        let mut h = Headers::default();
        for (name, value) in raw {
            h.add(name, value, join_duplicates);
        }
        h
    }

    /// Adds one received header line.
    pub fn add(&mut self, name: &str, value: &str, join_duplicates: bool) {
        let lower = name.to_ascii_lowercase();
        let rule = merge_rule(&lower);
        let at = self.entries.iter().position(|(k, _)| *k == lower);
        match (rule, at) {
            (Merge::List, Some(i)) => {
                if let HeaderValue::List(v) = &mut self.entries[i].1 {
                    v.push(value.to_string());
                }
            }
            (Merge::List, None) => self.insert(lower, HeaderValue::List(vec![value.to_string()])),
            (Merge::First, Some(_)) if !join_duplicates => {}
            (rule, Some(i)) => {
                if let HeaderValue::One(s) = &mut self.entries[i].1 {
                    s.push_str(if rule == Merge::Semicolon { "; " } else { ", " });
                    s.push_str(value);
                }
            }
            (_, None) => self.insert(lower, HeaderValue::One(value.to_string())),
        }
    }

    fn insert(&mut self, key: String, value: HeaderValue) {
        // Array-index keys go first, in numeric order; others in insertion order.
        let at = match array_index(&key) {
            Some(n) => self
                .entries
                .iter()
                .position(|(k, _)| array_index(k).is_none_or(|m| m > n))
                .unwrap_or(self.entries.len()),
            None => self.entries.len(),
        };
        self.entries.insert(at, (key, value));
    }

    /// The value of `name` (any case).
    pub fn get(&self, name: &str) -> Option<&HeaderValue> {
        let lower = name.to_ascii_lowercase();
        self.entries.iter().find(|(k, _)| *k == lower).map(|(_, v)| v)
    }

    /// The entries in Node's key order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &HeaderValue)> {
        self.entries.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// How many distinct names.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are no headers.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merges_as_node() {
        let h = Headers::from_raw(
            [
                ("Host", "a"),
                ("HOST", "b"),
                ("Cookie", "x=1"),
                ("cookie", "y=2"),
                ("Set-Cookie", "s=1"),
                ("set-cookie", "t=2"),
                ("X-A", "1"),
                ("x-a", "2"),
                ("10", "n"),
                ("2", "m"),
            ],
            false,
        );
        let keys: Vec<&str> = h.iter().map(|(k, _)| k).collect();
        assert_eq!(keys, ["2", "10", "host", "cookie", "set-cookie", "x-a"]);
        assert_eq!(h.get("host"), Some(&HeaderValue::One("a".into())));
        assert_eq!(h.get("cookie"), Some(&HeaderValue::One("x=1; y=2".into())));
        assert_eq!(
            h.get("set-cookie"),
            Some(&HeaderValue::List(vec!["s=1".into(), "t=2".into()]))
        );
        assert_eq!(h.get("X-A"), Some(&HeaderValue::One("1, 2".into())));
        let j = Headers::from_raw([("Host", "a"), ("host", "b")], true);
        assert_eq!(j.get("host"), Some(&HeaderValue::One("a, b".into())));
    }
}
