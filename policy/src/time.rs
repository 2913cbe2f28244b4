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
    /// optional fraction and `Z`). A time without a zone is taken as UTC;
    /// digits below a millisecond are dropped. The reading is
    /// [`pidf::UnixTime::parse`], the one PIDF timestamps use, so a leap
    /// second (`:60`) is the first instant of the next minute. Returns
    /// `None` for anything else, including out-of-range fields and instants
    /// outside the years 0001 to 9999 in UTC.
    ///
    /// ```
    /// use policy::DateTime;
    /// let t = DateTime::parse("1970-01-01T01:00:00.25+01:00").unwrap();
    /// assert_eq!(t.unix_millis(), 250);
    /// assert_eq!(DateTime::parse("2003-13-01T00:00:00Z"), None);
    /// ```
    pub fn parse(s: &str) -> Option<Self> {
        let u = pidf::UnixTime::parse(s)?;
        let ms = u
            .secs
            .checked_mul(1000)?
            .checked_add(i64::from(u.nanos / 1_000_000))?;
        let t = DateTime(ms);
        // Keep to years 0001-9999 in UTC, so that every value writes back
        // as a four-digit year.
        (MIN <= t && t <= MAX).then_some(t)
    }
}

impl fmt::Display for DateTime {
    /// Writes the instant as a UTC `dateTime` with milliseconds.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = self.0.rem_euclid(1000);
        let c = pidf::UnixTime {
            secs: self.0.div_euclid(1000),
            nanos: 0,
        }
        .to_calendar();
        write!(
            f,
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{ms:03}Z",
            c.year, c.month, c.day, c.hour, c.minute, c.second
        )
    }
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
            // Outside the years 0001-9999 once in UTC.
            "0001-01-01T00:00:00+00:01",
            "9999-12-31T23:59:59-00:01",
        ] {
            assert_eq!(t(bad), None, "{bad}");
        }
        assert_eq!(t("0001-01-01T00:00:00Z"), Some(MIN.unix_millis()));
        assert_eq!(t("9999-12-31T23:59:59.9999Z"), Some(MAX.unix_millis()));
        // A leap second reads as the next minute's first instant, as in
        // PIDF timestamps.
        assert_eq!(t("2016-12-31T23:59:60Z"), t("2017-01-01T00:00:00Z"),);
        assert_eq!(t(" 1970-01-01T00:00:00.0009Z "), Some(0));
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
