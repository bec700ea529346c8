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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separators() {
        assert_eq!(format_received(4_294_967_297.0), "4_294_967_297");
        assert_eq!(format_received(-42_949_672_970.0), "-42_949_672_970");
        assert_eq!(format_received(5.0), "5");
        assert_eq!(format_received(-1.0), "-1");
        assert_eq!(format_received(1.5), "1.5");
    }
}
