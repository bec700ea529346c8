//! The `Date` header value (`new Date().toUTCString()`), computed at most once
//! a second, as Node caches it.

use std::cell::RefCell;
use std::time::{SystemTime, UNIX_EPOCH};

/// Formats seconds since the Unix epoch as an IMF-fixdate
/// (`Sun, 06 Nov 1994 08:49:37 GMT`).
pub(crate) fn imf_fixdate(secs: u64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let days = secs / 86_400;
    let rem = secs % 86_400;
    let (h, m, s) = (rem / 3600, rem / 60 % 60, rem % 60);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{}, {:02} {} {} {:02}:{:02}:{:02} GMT",
        DAYS[(days % 7) as usize],
        d,
        MONTHS[(month - 1) as usize],
        year,
        h,
        m,
        s
    )
}

/// Node's `utcDate()`: appends the current time as a `Date` header value.
/// Each thread keeps the value of the current second, so a response takes
/// no lock and formats at most once a second.
pub(crate) fn push_utc_date(out: &mut String) {
    utc_date(|_, date| out.push_str(date));
}

/// Calls `f` with the current second (since the epoch) and its `Date`
/// value, formatted at most once a second per thread.
pub(crate) fn utc_date(f: impl FnOnce(u64, &str)) {
    thread_local! {
        static CACHE: RefCell<(u64, String)> = const { RefCell::new((u64::MAX, String::new())) };
    }
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let mut f = Some(f);
    let _ = CACHE.try_with(|c| {
        let mut c = c.borrow_mut();
        if c.0 != now {
            *c = (now, imf_fixdate(now));
        }
        if let Some(f) = f.take() {
            f(now, &c.1);
        }
    });
    // No thread-local left (the thread is ending): formatted here.
    if let Some(f) = f {
        f(now, &imf_fixdate(now));
    }
}

#[cfg(test)]
mod tests {
    use super::imf_fixdate;

    #[test]
    fn known_dates() {
        assert_eq!(imf_fixdate(784_111_777), "Sun, 06 Nov 1994 08:49:37 GMT");
        assert_eq!(imf_fixdate(0), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(imf_fixdate(951_782_400), "Tue, 29 Feb 2000 00:00:00 GMT");
        assert_eq!(imf_fixdate(1_795_900_000), "Sat, 28 Nov 2026 21:06:40 GMT");
    }
}
