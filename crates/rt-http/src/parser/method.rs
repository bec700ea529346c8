//! Request methods as llhttp (Node v20) knows them, and its prefix-trie match.

/// Every method llhttp's request parser matches (`http.METHODS` plus the RTSP
/// and RAOP ones, which only an `RTSP/x.y` request line may use).
pub(crate) const ALL: &[&str] = &[
    "DELETE",
    "GET",
    "HEAD",
    "POST",
    "PUT",
    "CONNECT",
    "OPTIONS",
    "TRACE",
    "COPY",
    "LOCK",
    "MKCOL",
    "MOVE",
    "PROPFIND",
    "PROPPATCH",
    "SEARCH",
    "UNLOCK",
    "BIND",
    "REBIND",
    "UNBIND",
    "ACL",
    "REPORT",
    "MKACTIVITY",
    "CHECKOUT",
    "MERGE",
    "M-SEARCH",
    "NOTIFY",
    "SUBSCRIBE",
    "UNSUBSCRIBE",
    "PATCH",
    "PURGE",
    "MKCALENDAR",
    "LINK",
    "UNLINK",
    "SOURCE",
    "PRI",
    "DESCRIBE",
    "ANNOUNCE",
    "SETUP",
    "PLAY",
    "PAUSE",
    "TEARDOWN",
    "GET_PARAMETER",
    "SET_PARAMETER",
    "REDIRECT",
    "RECORD",
    "FLUSH",
    "QUERY",
];

/// Methods an `HTTP/x.y` request may use (Node's `http.METHODS`, plus PRI).
pub(crate) fn allowed_with_http(m: &str) -> bool {
    !matches!(
        m,
        "DESCRIBE"
            | "ANNOUNCE"
            | "SETUP"
            | "PLAY"
            | "PAUSE"
            | "TEARDOWN"
            | "GET_PARAMETER"
            | "SET_PARAMETER"
            | "REDIRECT"
            | "RECORD"
            | "FLUSH"
    )
}

/// Methods an `RTSP/x.y` request may use.
pub(crate) fn allowed_with_rtsp(m: &str) -> bool {
    matches!(
        m,
        "OPTIONS"
            | "DESCRIBE"
            | "ANNOUNCE"
            | "SETUP"
            | "PLAY"
            | "PAUSE"
            | "TEARDOWN"
            | "GET_PARAMETER"
            | "SET_PARAMETER"
            | "REDIRECT"
            | "RECORD"
            | "FLUSH"
            | "GET"
            | "POST"
    )
}

/// The outcome of matching a method at the start of `buf`.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum MethodMatch {
    /// A method of this length matched (the byte after it is not examined).
    Found(&'static str),
    /// Every byte so far continues some method: more input is needed.
    Partial,
    /// No method continues at this offset (llhttp's trie consumed the bytes
    /// before it).
    Mismatch(usize),
}

/// Walks llhttp's method trie greedily: the longest prefix of `buf` that
/// begins some method; a complete method there is the match (llhttp does not
/// backtrack to a shorter method once a longer one fails).
pub(crate) fn match_method(buf: &[u8]) -> MethodMatch {
    // The common methods followed by their space: no method holds a space,
    // so the walk below would stop right there with the same answer.
    for m in ["GET", "POST", "PUT", "HEAD", "DELETE", "PATCH", "OPTIONS"] {
        if buf.len() > m.len() && buf[m.len()] == b' ' && buf.starts_with(m.as_bytes()) {
            return MethodMatch::Found(m);
        }
    }
    let mut k = 0;
    loop {
        let continues = |len: usize| {
            ALL.iter()
                .any(|m| m.len() >= len && m.as_bytes()[..len] == buf[..len])
        };
        if k == buf.len() {
            // All of the input is a prefix of some method. A method that is
            // not a prefix of a longer one is known to be complete.
            if let Some(m) = ALL.iter().find(|m| m.len() == k && m.as_bytes() == &buf[..k]) {
                if !ALL.iter().any(|o| o.len() > k && o.as_bytes()[..k] == buf[..k]) {
                    return MethodMatch::Found(m);
                }
            }
            return MethodMatch::Partial;
        }
        if continues(k + 1) {
            k += 1;
            continue;
        }
        return match ALL.iter().find(|m| m.len() == k && m.as_bytes() == &buf[..k]) {
            Some(m) if k > 0 => MethodMatch::Found(m),
            _ => MethodMatch::Mismatch(k),
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trie() {
        assert_eq!(match_method(b"GET /"), MethodMatch::Found("GET"));
        assert_eq!(match_method(b"GETT"), MethodMatch::Found("GET"));
        assert_eq!(match_method(b"GET_X"), MethodMatch::Mismatch(4));
        assert_eq!(match_method(b"FOO"), MethodMatch::Mismatch(1));
        assert_eq!(match_method(b"get"), MethodMatch::Mismatch(0));
        assert_eq!(match_method(b"GE"), MethodMatch::Partial);
        assert_eq!(match_method(b"GET"), MethodMatch::Partial);
        assert_eq!(match_method(b"DELETE"), MethodMatch::Found("DELETE"));
        assert_eq!(match_method(b"M-SEARCH *"), MethodMatch::Found("M-SEARCH"));
        assert_eq!(match_method(b""), MethodMatch::Partial);
    }
}
