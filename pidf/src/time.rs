//! `xs:dateTime` values (the PIDF `timestamp`, RPID `from`/`until`, ...).

use std::fmt;

use crate::text::Text;

/// A date and time as written in the document (RFC 3863 section 4.1.7 uses
/// `xs:dateTime`, with the RFC 3339 profile).
///
/// The text is kept verbatim so documents round-trip; [`Timestamp::to_unix`]
/// gives a comparable instant. A value without a time zone is taken as UTC.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Timestamp(Text);

/// Seconds and nanoseconds since 1970-01-01T00:00:00Z; orders instants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UnixTime {
    /// Whole seconds since the epoch (negative before it).
    pub secs: i64,
    /// Nanoseconds within the second.
    pub nanos: u32,
}

impl Timestamp {
    /// Checks `text` is an `xs:dateTime` and keeps it.
    pub fn parse(text: &str) -> Option<Timestamp> {
        let t = text.trim();
        parse_datetime(t)?;
        Some(Timestamp(Text::new(t)))
    }

    /// The timestamp for `t`, written as `YYYY-MM-DDThh:mm:ssZ` (with a
    /// fraction when `t.nanos` is not zero).
    pub fn from_unix(t: UnixTime) -> Timestamp {
        let c = t.to_calendar();
        let mut s = format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
            c.year, c.month, c.day, c.hour, c.minute, c.second
        );
        if c.nanos != 0 {
            let frac = format!("{:09}", c.nanos);
            s.push('.');
            s.push_str(frac.trim_end_matches('0'));
        }
        s.push('Z');
        Timestamp(Text::new(&s))
    }

    /// The text as written.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// The instant it denotes.
    pub fn to_unix(&self) -> UnixTime {
        // Checked at construction; the fallback is unreachable but harmless.
        parse_datetime(self.0.as_str()).unwrap_or(UnixTime { secs: 0, nanos: 0 })
    }
}

impl UnixTime {
    /// Reads an `xs:dateTime` (`2005-05-30T16:09:44+05:00`, with an
    /// optional fraction and zone; white space around it is ignored) as the
    /// instant it denotes. A value without a zone is taken as UTC, and a
    /// leap second (`:60`) as the first instant of the next minute. `None`
    /// for anything else, such as a field out of range or year 0000.
    ///
    /// ```
    /// use pidf::UnixTime;
    /// let t = UnixTime::parse("1970-01-01T01:00:00.5+01:00").unwrap();
    /// assert_eq!(t, UnixTime { secs: 0, nanos: 500_000_000 });
    /// assert_eq!(UnixTime::parse("1970-02-30T00:00:00Z"), None);
    /// ```
    pub fn parse(text: &str) -> Option<UnixTime> {
        parse_datetime(text.trim())
    }

    /// The instant's date and time in UTC (proleptic Gregorian calendar).
    ///
    /// ```
    /// use pidf::UnixTime;
    /// let c = UnixTime { secs: 1_004_201_369, nanos: 0 }.to_calendar();
    /// assert_eq!((c.year, c.month, c.day), (2001, 10, 27));
    /// assert_eq!((c.hour, c.minute, c.second), (16, 49, 29));
    /// ```
    pub fn to_calendar(self) -> Calendar {
        let days = self.secs.div_euclid(86_400);
        let sod = self.secs.rem_euclid(86_400);
        let (year, month, day) = civil_from_days(days);
        // Each value is below 60 (or 24, 32, 13) by construction.
        let small = |v: i64| u8::try_from(v).unwrap_or(0);
        Calendar {
            year,
            month: small(month),
            day: small(day),
            hour: small(sod / 3600),
            minute: small(sod / 60 % 60),
            second: small(sod % 60),
            nanos: self.nanos,
        }
    }
}

/// The UTC date and time of an instant ([`UnixTime::to_calendar`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Calendar {
    /// The year (negative before 1 BC, as the proleptic calendar counts).
    pub year: i64,
    /// The month, 1 to 12.
    pub month: u8,
    /// The day of the month, 1 to 31.
    pub day: u8,
    /// The hour, 0 to 23.
    pub hour: u8,
    /// The minute, 0 to 59.
    pub minute: u8,
    /// The second, 0 to 59.
    pub second: u8,
    /// Nanoseconds within the second.
    pub nanos: u32,
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.as_str())
    }
}

fn digits(s: &[u8], n: usize) -> Option<(i64, &[u8])> {
    let (d, rest) = s.split_at_checked(n)?;
    let mut v: i64 = 0;
    for &b in d {
        if !b.is_ascii_digit() {
            return None;
        }
        v = v * 10 + i64::from(b - b'0');
    }
    Some((v, rest))
}

fn expect(s: &[u8], c: u8) -> Option<&[u8]> {
    match s.split_first() {
        Some((&b, rest)) if b == c => Some(rest),
        _ => None,
    }
}

/// Parses `YYYY-MM-DDThh:mm:ss[.f+][Z|(+|-)hh:mm]` (XML Schema part 2,
/// section 3.2.7; years before 0001 and after 9999 are refused).
fn parse_datetime(t: &str) -> Option<UnixTime> {
    let s = t.as_bytes();
    let (year, s) = digits(s, 4)?;
    let s = expect(s, b'-')?;
    let (month, s) = digits(s, 2)?;
    let s = expect(s, b'-')?;
    let (day, s) = digits(s, 2)?;
    let s = expect(s, b'T')?;
    let (hour, s) = digits(s, 2)?;
    let s = expect(s, b':')?;
    let (min, s) = digits(s, 2)?;
    let s = expect(s, b':')?;
    let (sec, mut s) = digits(s, 2)?;
    let mut nanos: u32 = 0;
    if let Some(rest) = expect(s, b'.') {
        let n = rest.iter().take_while(|b| b.is_ascii_digit()).count();
        if n == 0 {
            return None;
        }
        let (frac, rest) = rest.split_at_checked(n)?;
        for (i, &b) in frac.iter().take(9).enumerate() {
            nanos += u32::from(b - b'0') * 10u32.pow(8 - i as u32);
        }
        s = rest;
    }
    let offset = match s {
        [] | [b'Z'] => 0,
        [sign @ (b'+' | b'-'), rest @ ..] => {
            let (oh, r) = digits(rest, 2)?;
            let r = expect(r, b':')?;
            let (om, r) = digits(r, 2)?;
            if !r.is_empty() || oh > 14 || om > 59 {
                return None;
            }
            let o = oh * 3600 + om * 60;
            if *sign == b'-' {
                -o
            } else {
                o
            }
        }
        _ => return None,
    };
    if year == 0
        || !(1..=12).contains(&month)
        || day < 1
        || day > days_in_month(year, month)
        || hour > 24
        || min > 59
        || sec > 60
        || (hour == 24 && (min != 0 || sec != 0 || nanos != 0))
    {
        return None;
    }
    let days = days_from_civil(year, month, day);
    let secs = days * 86_400 + hour * 3600 + min * 60 + sec - offset;
    Some(UnixTime { secs, nanos })
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (the well-known
/// era-based conversion).
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
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_rfc_examples() {
        let t = Timestamp::parse("2001-10-27T16:49:29Z").unwrap();
        assert_eq!(t.to_unix().secs, 1_004_201_369);
        let a = Timestamp::parse("2005-05-30T16:09:44+05:00").unwrap();
        let b = Timestamp::parse("2005-05-30T11:09:44Z").unwrap();
        assert_eq!(a.to_unix(), b.to_unix());
        let f = Timestamp::parse("2005-08-15T10:20:00.000-05:00").unwrap();
        assert_eq!(
            f.to_unix(),
            Timestamp::parse("2005-08-15T15:20:00Z").unwrap().to_unix()
        );
        let frac = Timestamp::parse("1970-01-01T00:00:00.25").unwrap();
        assert_eq!(
            frac.to_unix(),
            UnixTime {
                secs: 0,
                nanos: 250_000_000
            }
        );
    }

    #[test]
    fn refuses_bad_values() {
        for bad in [
            "",
            "2005-13-01T00:00:00Z",
            "2005-02-29T00:00:00Z",
            "2005-01-01 00:00:00Z",
            "2005-01-01T00:00:00+5",
            "2005-01-01T00:00:00.Z",
            "0000-01-01T00:00:00Z",
            "2005-01-01T25:00:00Z",
            "２005-01-01T00:00:00Z",
        ] {
            assert!(Timestamp::parse(bad).is_none(), "{bad}");
        }
        assert!(Timestamp::parse("2004-02-29T23:59:60Z").is_some());
    }

    #[test]
    fn unix_round_trip() {
        for secs in [0i64, 1, 951_782_400, 1_700_000_000, -86_401] {
            let t = Timestamp::from_unix(UnixTime { secs, nanos: 5 });
            assert_eq!(t.to_unix(), UnixTime { secs, nanos: 5 }, "{t}");
        }
    }
}
