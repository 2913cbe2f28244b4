//! Points in time for validity conditions (RFC 4745 section 7.4).
//!
//! The crate never reads a clock: the caller passes the time of the request
//! in [`Context::now`](crate::Context::now).

#![cfg_attr(
    not(test),
    deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)
)]

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

/// 0001-01-01T00:00:00Z.
const MIN: DateTime = DateTime(-62_135_596_800_000);
/// 9999-12-31T23:59:59.999Z.
const MAX: DateTime = DateTime(253_402_300_799_999);

/// A point in time, in milliseconds since 1970-01-01T00:00:00Z.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DateTime(i64);

impl DateTime {
    /// The instant `ms` milliseconds after the Unix epoch.
    pub const fn from_unix_millis(ms: i64) -> Self {
        DateTime(ms)
    }

    /// Milliseconds since the Unix epoch.
    pub const fn unix_millis(self) -> i64 {
        self.0
    }

    /// Converts a `SystemTime` read by the caller.
    pub fn from_system_time(t: SystemTime) -> Self {
        match t.duration_since(UNIX_EPOCH) {
            Ok(d) => DateTime(i64::try_from(d.as_millis()).unwrap_or(i64::MAX)),
            Err(e) => DateTime(i64::try_from(e.duration().as_millis()).map_or(i64::MIN, |m| -m)),
        }
    }

    /// Parses an XML Schema `dateTime` (`2003-12-24T17:00:00+01:00`, with
    /// optional fraction and `Z`). A time without a zone is taken as UTC.
    /// Returns `None` for anything else, including out-of-range fields.
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim();
        let b = s.as_bytes();
        let num = |r: std::ops::Range<usize>| -> Option<i64> {
            let part = b.get(r)?;
            if part.is_empty() || !part.iter().all(u8::is_ascii_digit) {
                return None;
            }
            std::str::from_utf8(part).ok()?.parse().ok()
        };
        let sep = |i: usize, c: u8| b.get(i) == Some(&c);
        if !(sep(4, b'-') && sep(7, b'-') && sep(10, b'T') && sep(13, b':') && sep(16, b':')) {
            return None;
        }
        let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
        let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
        let mut i = 19;
        let mut millis = 0i64;
        if sep(i, b'.') {
            let start = i + 1;
            let mut end = start;
            while b.get(end).is_some_and(u8::is_ascii_digit) {
                end += 1;
            }
            if end == start {
                return None;
            }
            // Only the first three digits count; the rest is below a millisecond.
            let digits = b.get(start..end.min(start + 3))?;
            let mut m = 0i64;
            for (k, d) in digits.iter().enumerate() {
                m += i64::from(d - b'0') * [100, 10, 1].get(k).copied().unwrap_or(0);
            }
            millis = m;
            i = end;
        }
        let offset_min = match b.get(i) {
            None => 0,
            Some(b'Z') if i + 1 == b.len() => 0,
            Some(&c @ (b'+' | b'-')) if i + 6 == b.len() && sep(i + 3, b':') => {
                let (h, m) = (num(i + 1..i + 3)?, num(i + 4..i + 6)?);
                if h > 14 || m > 59 {
                    return None;
                }
                let v = h * 60 + m;
                if c == b'-' {
                    -v
                } else {
                    v
                }
            }
            _ => return None,
        };
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
        let days_in_month = match month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if leap => 29,
            2 => 28,
            _ => return None,
        };
        let end_of_day = hour == 24 && minute == 0 && second == 0 && millis == 0;
        if day < 1
            || day > days_in_month
            || (hour > 23 && !end_of_day)
            || minute > 59
            || second > 59
        {
            return None;
        }
        let days = days_from_civil(year, month, day);
        let secs = days * 86_400 + hour * 3600 + minute * 60 + second - offset_min * 60;
        let t = DateTime(secs * 1000 + millis);
        // Keep to years 0001-9999 in UTC, so that every value writes back
        // as a four-digit year.
        (MIN <= t && t <= MAX).then_some(t)
    }
}

impl fmt::Display for DateTime {
    /// Writes the instant as a UTC `dateTime` with milliseconds.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = self.0.rem_euclid(1000);
        let secs = self.0.div_euclid(1000);
        let days = secs.div_euclid(86_400);
        let rem = secs.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        write!(
            f,
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{ms:03}Z",
            rem / 3600,
            rem % 3600 / 60,
            rem % 60
        )
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
/// well-known algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_schema_datetimes() {
        let t = |s| DateTime::parse(s).map(DateTime::unix_millis);
        assert_eq!(t("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(t("1970-01-01T00:00:00"), Some(0));
        assert_eq!(t("1970-01-01T01:00:00+01:00"), Some(0));
        assert_eq!(t("2003-08-15T10:20:00.000-05:00"), Some(1_060_960_800_000));
        assert_eq!(t("2003-12-24T17:00:00+01:00"), Some(1_072_281_600_000));
        assert_eq!(t("2000-02-29T00:00:00.5Z"), Some(951_782_400_500));
        for bad in [
            "",
            "2003-12-24",
            "2003-13-01T00:00:00Z",
            "2001-02-29T00:00:00Z",
            "2003-12-24T17:00:00+1:00",
            "2003-12-24T17:00:00Zx",
            "2003-12-24T17:60:00Z",
            "2003-12-24T17:00:00.Z",
            "２００３-12-24T17:00:00Z",
        ] {
            assert_eq!(t(bad), None, "{bad}");
        }
    }

    #[test]
    fn display_round_trips() {
        for s in [
            "2003-12-24T16:00:00.000Z",
            "1969-12-31T23:59:59.999Z",
            "2400-02-29T12:34:56.789Z",
        ] {
            let d = DateTime::parse(s).expect(s);
            assert_eq!(d.to_string(), s);
        }
    }
}
