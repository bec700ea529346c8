//! `Content-Type` parsing as body-parser needs it (the `content-type` and
//! `type-is` npm packages' rules, reduced): the lower-cased media type and
//! its parameters (quoted values unquoted).

/// A parsed `Content-Type`. Node: `require('content-type').parse(req)`.
#[doc(alias = "contentType.parse")]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentType {
    /// `type/subtype`, lower-cased, e.g. `application/json`.
    pub media_type: String,
    /// Parameters with lower-cased names, e.g. `("charset", "utf-8")`.
    pub params: Vec<(String, String)>,
}

impl ContentType {
    /// Parses a header value; `None` when there is no `type/subtype`.
    pub fn parse(value: &str) -> Option<ContentType> {
        let mut parts = split_params(value).into_iter();
        let media_type = parts.next()?.trim().to_ascii_lowercase();
        let (t, s) = media_type.split_once('/')?;
        if t.is_empty() || s.is_empty() || !media_type.bytes().all(is_token_or_slash) {
            return None;
        }
        let mut params = Vec::new();
        for p in parts {
            let Some((k, v)) = p.split_once('=') else { continue };
            let k = k.trim().to_ascii_lowercase();
            let v = v.trim();
            let v = match v.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
                Some(q) => unquote(q),
                None => v.to_string(),
            };
            params.push((k, v));
        }
        Some(ContentType { media_type, params })
    }

    /// A parameter's value by (case-insensitive) name.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Whether the media type is `want` (`type-is` rules: `*/json` style
    /// wildcards and `+suffix` matching such as `application/*+json`).
    #[doc(alias = "typeis")]
    pub fn is(&self, want: &str) -> bool {
        let Some((wt, ws)) = want.split_once('/') else {
            return false;
        };
        let Some((t, s)) = self.media_type.split_once('/') else {
            return false;
        };
        let type_ok = wt == "*" || wt.eq_ignore_ascii_case(t);
        let sub_ok = if ws == "*" {
            true
        } else if let Some(suffix) = ws.strip_prefix("*+") {
            s.rsplit_once('+')
                .is_some_and(|(_, sfx)| sfx.eq_ignore_ascii_case(suffix))
        } else {
            ws.eq_ignore_ascii_case(s)
        };
        type_ok && sub_ok
    }
}

/// The request's parsed `Content-Type`, if it has a valid one.
pub fn of(req: &rt_http::IncomingMessage) -> Option<ContentType> {
    req.header("content-type").as_deref().and_then(ContentType::parse)
}

fn is_token_or_slash(b: u8) -> bool {
    b == b'/' || b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// Splits on `;` outside quoted strings.
fn split_params(v: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut quoted = false;
    let mut escaped = false;
    for (i, c) in v.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            ';' if !quoted => {
                out.push(&v[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&v[start..]);
    out
}

fn unquote(q: &str) -> String {
    let mut out = String::with_capacity(q.len());
    let mut esc = false;
    for c in q.chars() {
        if esc {
            out.push(c);
            esc = false;
        } else if c == '\\' {
            esc = true;
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_type_and_params() {
        let ct = ContentType::parse("Multipart/Form-Data; boundary=\"a;b\\\"c\"; charset=UTF-8").unwrap();
        assert_eq!(ct.media_type, "multipart/form-data");
        assert_eq!(ct.param("boundary"), Some("a;b\"c"));
        assert_eq!(ct.param("CHARSET"), Some("UTF-8"));
        assert!(ContentType::parse("nonsense").is_none());
        assert!(ContentType::parse("/json").is_none());
        assert!(ContentType::parse("").is_none());
    }

    #[test]
    fn type_is_wildcards() {
        let ct = ContentType::parse("application/vnd.api+json").unwrap();
        assert!(ct.is("application/*+json"));
        assert!(ct.is("*/*"));
        assert!(!ct.is("application/json"));
        assert!(
            ContentType::parse("application/json")
                .unwrap()
                .is("application/json")
        );
    }
}
