//! Shared helpers for the offset-taking operations.

/// Formats a received number the way Node's error messages do: integers
/// beyond 2^32 in magnitude get `_` separators (`4_294_967_297`).
pub(crate) fn format_received(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() > 4_294_967_296.0 && v.is_finite() {
        let s = format!("{}", v.abs() as u128);
        let mut out = String::new();
        if v < 0.0 {
            out.push('-');
        }
        let first = s.len() % 3;
        for (i, ch) in s.chars().enumerate() {
            if i != 0 && i % 3 == first % 3 && (i >= first) {
                out.push('_');
            }
            out.push(ch);
        }
        out
    } else if v.fract() == 0.0 && v.is_finite() {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

use crate::error::{Error, Result};

/// Node's `validateOffset(value, name, min = 0, max)`: `ERR_OUT_OF_RANGE`
/// (`It must be >= 0 && <= max`) outside `0..=max`.
pub(crate) fn validate_offset(value: i64, name: &str, max: usize) -> Result<usize> {
    if value < 0 || value as u64 > max as u64 {
        return Err(Error::out_of_range(
            name,
            &format!(">= 0 && <= {max}"),
            format_received(value as f64),
        ));
    }
    Ok(value as usize)
}

/// Node's `strEscape`: one quoted piece of an inspected string.
fn quote_piece(s: &str) -> String {
    let quote = if !s.contains('\'') {
        '\''
    } else if !s.contains('"') {
        '"'
    } else if !s.contains('`') && !s.contains("${") {
        '`'
    } else {
        '\''
    };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\\' => out.push_str("\\\\"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || (0x7f..=0x9f).contains(&(c as u32)) => {
                out.push_str(&format!("\\x{:02X}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

/// `util.inspect` of a string, as Node's error messages quote values:
/// single quotes unless the string holds one (then double quotes, then
/// backticks), control characters escaped, a long string split after each
/// newline into `'...' +\n  '...'` pieces, and the whole cut at 128 UTF-16
/// code units.
pub(crate) fn inspect_str(s: &str) -> String {
    let units: usize = s.chars().map(char::len_utf16).sum();
    let out = if units > 124 && s.contains('\n') {
        s.split_inclusive('\n')
            .map(quote_piece)
            .collect::<Vec<_>>()
            .join(" +\n  ")
    } else {
        quote_piece(s)
    };
    // Node cuts the inspected text at 128 UTF-16 code units (which may
    // split a surrogate pair: that half becomes U+FFFD here).
    let mut units = 0;
    for (i, c) in out.char_indices() {
        let w = c.len_utf16();
        if units + w > 128 {
            let mut cut = out[..i].to_string();
            if units < 128 {
                cut.push('\u{fffd}');
            }
            cut.push_str("...");
            return cut;
        }
        units += w;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inspect_strings() {
        assert_eq!(inspect_str("zz"), "'zz'");
        assert_eq!(inspect_str("it's"), "\"it's\"");
        assert_eq!(inspect_str("a\nb\0"), "'a\\nb\\x00'");
        assert_eq!(inspect_str("\u{b}\u{80}\u{a0}"), "'\\x0B\\x80\u{a0}'");
    }

    #[test]
    fn separators() {
        assert_eq!(format_received(4_294_967_297.0), "4_294_967_297");
        assert_eq!(format_received(-42_949_672_970.0), "-42_949_672_970");
        assert_eq!(format_received(5.0), "5");
        assert_eq!(format_received(-1.0), "-1");
        assert_eq!(format_received(1.5), "1.5");
    }
}
