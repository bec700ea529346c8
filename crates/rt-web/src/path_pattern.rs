//! [`PathPattern`]: express 4's route paths (path-to-regexp 0.1 semantics, the parts the
//! notes use): literal segments, `:name` parameters (one segment, `[^/]+`), `:name?`
//! optional ones, and `*` / `*name` wildcards as express 4's `(.*)`: any rest of the path,
//! slashes included, even empty — `/files/*` matches `/files/` (`""`) and `/files/a/b/`
//! (`"a/b/"`), not `/files`; a pattern starting with `*` takes the path's leading `/` too
//! (`*` on `/a` gives `"/a"`). rt refuses a path with an empty segment inside (`/a//b`),
//! which express's `*` would match.
//! Matching is case-insensitive and a trailing slash is allowed, as express's defaults
//! (`caseSensitive: false`, `strict: false`).

use crate::error::HttpError;
use crate::querystring::decode_uri_component;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Param { name: String, optional: bool },
    Wildcard(String),
}

/// A compiled route path such as `/api/users/:id` or `/files/*`. express: the `path` of
/// `app.get(path, ...)`.
#[doc(alias = "path-to-regexp")]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathPattern {
    source: String,
    segments: Vec<Segment>,
}

impl PathPattern {
    /// Compiles `pattern`. A leading `/` is optional; empty segments are ignored.
    #[doc(alias = "pathToRegexp")]
    pub fn new(pattern: &str) -> PathPattern {
        let segments = pattern
            .split('/')
            .filter(|s| !s.is_empty())
            .map(|s| {
                if let Some(name) = s.strip_prefix(':') {
                    match name.strip_suffix('?') {
                        Some(n) => Segment::Param {
                            name: n.to_owned(),
                            optional: true,
                        },
                        None => Segment::Param {
                            name: name.to_owned(),
                            optional: false,
                        },
                    }
                } else if let Some(name) = s.strip_prefix('*') {
                    Segment::Wildcard(if name.is_empty() {
                        "*".into()
                    } else {
                        name.to_owned()
                    })
                } else {
                    Segment::Literal(s.to_ascii_lowercase())
                }
            })
            .collect();
        PathPattern {
            source: pattern.to_owned(),
            segments,
        }
    }

    /// The pattern as written.
    #[doc(alias = "route.path")]
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// Matches a request path (percent-encoded, without the query). `Ok(None)`: no match;
    /// `Ok(Some(params))`: the parameters, percent-decoded; `Err`: a parameter that does not
    /// decode (express answers 400 "Failed to decode param").
    #[doc(alias = "regexp.exec")]
    pub fn matches(&self, path: &str) -> Result<Option<Vec<(String, String)>>, HttpError> {
        match split_path(path) {
            Some(split) => self.matches_split(&split),
            None => Ok(None),
        }
    }

    /// [`PathPattern::matches`] on a path already split with [`split_path`] (a router splits
    /// each request's path once for all its routes).
    pub fn matches_split(&self, split: &SplitPath<'_>) -> Result<Option<Vec<(String, String)>>, HttpError> {
        let parts = &split.parts;
        let mut params = Vec::new();
        let mut i = 0usize;
        for (si, seg) in self.segments.iter().enumerate() {
            match seg {
                Segment::Literal(lit) => match parts.get(i) {
                    Some(p) if p.eq_ignore_ascii_case(lit) => i += 1,
                    _ => return Ok(None),
                },
                Segment::Param { name, optional } => match parts.get(i) {
                    Some(p) => {
                        params.push((name.clone(), decode_param(p)?));
                        i += 1;
                    }
                    None if *optional => {}
                    None => return Ok(None),
                },
                Segment::Wildcard(name) => {
                    // The rest, unless later segments must match after it: take as much as
                    // leaves enough parts for them.
                    let after = self.segments.len() - si - 1;
                    // express's `(.*)` after the pattern's `/`: at the end it may be empty
                    // when the path ends with that `/` (`/files/` for `/files/*`, not
                    // `/files`); before more segments it needs one at least.
                    let leading = si == 0 && !self.source.starts_with('/');
                    let least = if after == 0 && (split.trailing_slash || leading) {
                        0
                    } else {
                        1
                    };
                    if parts.len() < i + least + after {
                        return Ok(None);
                    }
                    let end = parts.len() - after;
                    let mut rest = parts[i..end].join("/");
                    if after == 0 && split.trailing_slash && end > i {
                        rest.push('/');
                    }
                    if leading {
                        rest.insert(0, '/');
                    }
                    params.push((name.clone(), decode_param(&rest)?));
                    i = end;
                }
            }
        }
        if i == parts.len() {
            Ok(Some(params))
        } else {
            Ok(None)
        }
    }

    /// Whether `path` is `prefix` or lies under it (`/api` covers `/api` and `/api/x`, not
    /// `/apix`), case-insensitively: express's `app.use(path, ...)`.
    #[doc(alias = "app.use(path)")]
    pub fn is_prefix_of(prefix: &str, path: &str) -> bool {
        let prefix = prefix.trim_end_matches('/');
        if prefix.is_empty() {
            return true;
        }
        path.len() >= prefix.len()
            && path.is_char_boundary(prefix.len())
            && path[..prefix.len()].eq_ignore_ascii_case(prefix)
            && matches!(path.as_bytes().get(prefix.len()), None | Some(b'/'))
    }
}

/// A request path cut into its segments by [`split_path`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SplitPath<'a> {
    /// The segments, without empty ones (`/api/users/` is `["api", "users"]`).
    pub parts: Vec<&'a str>,
    /// Whether the path ends with `/` (`/` itself does): a `*` at the end of a pattern may
    /// then match nothing.
    pub trailing_slash: bool,
}

/// A request path's segments, `None` when it has an empty segment inside (`/a//b`): express's
/// non-strict mode allows one trailing slash only.
pub fn split_path(path: &str) -> Option<SplitPath<'_>> {
    let inner = path.trim_start_matches('/').trim_end_matches('/');
    if inner.contains("//") || path.ends_with("//") {
        return None;
    }
    Some(SplitPath {
        parts: inner.split('/').filter(|s| !s.is_empty()).collect(),
        trailing_slash: path.ends_with('/'),
    })
}

fn decode_param(raw: &str) -> Result<String, HttpError> {
    decode_uri_component(raw).map_err(|_| HttpError::new(400, format!("Failed to decode param '{raw}'")))
}
