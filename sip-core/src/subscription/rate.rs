//! Event rate control on the notifier side (RFC 6446): `max-rate` (5),
//! `min-rate` (6) and `adaptive-min-rate` (7). Rates are notifications per
//! second, as in the Event and Subscription-State parameters.

use std::time::{Duration, Instant};

/// The rates asked for in the Event header of a SUBSCRIBE (RFC 6446 9.1),
/// possibly adjusted by the notifier and reflected in Subscription-State.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Rates {
    /// Most notifications per second.
    pub max_rate: Option<f64>,
    /// Fewest notifications per second.
    pub min_rate: Option<f64>,
    /// Fewest notifications per second on average over a period.
    pub adaptive_min_rate: Option<f64>,
}

fn positive(v: Option<&[u8]>) -> Option<f64> {
    let s = std::str::from_utf8(v?).ok()?;
    // RFC 6446 9.1: 1*DIGIT ["." 1*DIGIT]; no signs or exponents.
    let ok = !s.is_empty()
        && s.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && s.bytes().filter(|&b| b == b'.').count() <= 1
        && !s.starts_with('.')
        && !s.ends_with('.');
    let v: f64 = if ok { s.parse().ok()? } else { return None };
    // Rates outside [MIN_RATE, MAX_RATE] are ignored: a rate of one per
    // several months means no rate control, and extreme values would
    // overflow the clock arithmetic.
    (MIN_RATE..=MAX_RATE).contains(&v).then_some(v)
}

/// The smallest rate honoured: one notification per 1,000,000 s.
pub const MIN_RATE: f64 = 1e-6;
/// The largest rate honoured: 1,000 notifications per second.
pub const MAX_RATE: f64 = 1e3;

impl Rates {
    /// Reads the three parameters from header parameters; absent,
    /// malformed and zero values are ignored.
    pub fn from_params(params: &crate::uri::Params) -> Rates {
        Rates {
            max_rate: positive(params.get("max-rate")),
            min_rate: positive(params.get("min-rate")),
            adaptive_min_rate: positive(params.get("adaptive-min-rate")),
        }
    }

    /// True when none is set.
    pub fn is_empty(&self) -> bool {
        self.max_rate.is_none() && self.min_rate.is_none() && self.adaptive_min_rate.is_none()
    }

    /// Appends `;max-rate=..;min-rate=..;adaptive-min-rate=..` as set.
    pub fn write_params(&self, out: &mut String) {
        use std::fmt::Write;
        for (name, v) in [
            ("max-rate", self.max_rate),
            ("min-rate", self.min_rate),
            ("adaptive-min-rate", self.adaptive_min_rate),
        ] {
            if let Some(v) = v {
                let _ = write!(out, ";{name}={}", fmt_rate(v));
            }
        }
    }
}

fn fmt_rate(v: f64) -> String {
    // Plain decimal (the grammar has no exponent), trailing zeros dropped.
    let s = format!("{v:.6}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s.is_empty() {
        "0".into()
    } else {
        s.into()
    }
}

fn secs(v: f64) -> Duration {
    Duration::try_from_secs_f64(v).unwrap_or(Duration::MAX)
}

/// The notifier's pacing state for one subscription.
#[derive(Debug, Clone, PartialEq)]
pub struct RateControl {
    rates: Rates,
    period: Duration,
    last_sent: Option<Instant>,
    // Adaptive minimum rate: notifications sent within the rolling period,
    // plus the initial history of 7.2 step 1 until the first period ends.
    history: Vec<Instant>,
    seed_count: u32,
    seed_until: Option<Instant>,
    next: Option<Instant>,
}

impl RateControl {
    /// Pacing for `rates`; `period` is the rolling period of the adaptive
    /// minimum rate (7.4: more than 1/adaptive-min-rate; it is raised to
    /// four times that when shorter).
    pub fn new(now: Instant, rates: Rates, period: Duration) -> RateControl {
        let mut period = period;
        let mut seed_count = 0;
        if let Some(amr) = rates
            .adaptive_min_rate
            .filter(|r| (MIN_RATE..=MAX_RATE).contains(r))
        {
            let floor = secs(4.0 / amr);
            if period <= secs(1.0 / amr) {
                period = floor;
            }
            seed_count = (period.as_secs_f64() * amr).ceil().min(f64::from(u32::MAX)) as u32;
        }
        RateControl {
            rates,
            period,
            last_sent: None,
            history: Vec::new(),
            seed_count,
            seed_until: rates
                .adaptive_min_rate
                .and_then(|_| now.checked_add(period)),
            next: None,
        }
    }

    /// The rates in force (reflected in Subscription-State).
    pub fn rates(&self) -> Rates {
        self.rates
    }

    /// 5.3: a max-rate whose interval exceeds the remaining subscription
    /// time is raised to the reciprocal of that time.
    pub fn clamp_to_expiry(&mut self, remaining: Duration) {
        if let Some(m) = self.rates.max_rate {
            let r = remaining.as_secs_f64();
            if r > 0.0 && 1.0 / m > r {
                self.rates.max_rate = Some(1.0 / r);
            }
        }
    }

    /// When the last notification went out.
    pub fn last_sent(&self) -> Option<Instant> {
        self.last_sent
    }

    /// The earliest instant a state-change notification may go out
    /// (max-rate); `None` when at once.
    pub fn earliest(&self) -> Option<Instant> {
        let m = self.rates.max_rate?;
        self.last_sent?.checked_add(secs(1.0 / m))
    }

    fn count(&mut self, now: Instant) -> u32 {
        let cutoff = now.checked_sub(self.period);
        self.history.retain(|t| cutoff.is_none_or(|c| *t > c));
        let seed = match self.seed_until {
            Some(u) if now < u => self.seed_count,
            _ => 0,
        };
        seed.saturating_add(self.history.len() as u32)
    }

    /// The instant a notification must go out even without a state change
    /// (min-rate, adaptive-min-rate). It is computed when a notification
    /// is sent (RFC 6446 7.2 step 4), never closer than 1/[`MAX_RATE`].
    pub fn deadline(&self) -> Option<Instant> {
        self.next
    }

    fn compute(&mut self, last: Instant) -> Option<Instant> {
        let floor = 1.0 / MAX_RATE;
        let mut at: Option<Instant> = None;
        if let Some(m) = self.rates.min_rate {
            at = last.checked_add(secs((1.0 / m).max(floor)));
        }
        if let Some(amr) = self.rates.adaptive_min_rate {
            // 7.4 equations (1) and (2).
            let count = f64::from(self.count(last).max(1));
            let mut timeout = count / (amr * amr * self.period.as_secs_f64());
            if let Some(m) = self.rates.max_rate {
                timeout = timeout.max(1.0 / m);
            }
            if let Some(t) = last.checked_add(secs(timeout.max(floor))) {
                at = Some(at.map_or(t, |a| a.min(t)));
            }
        }
        at
    }

    /// Records a notification sent at `now` (retransmissions do not count)
    /// and computes the next deadline.
    pub fn sent(&mut self, now: Instant) {
        self.last_sent = Some(now);
        if self.rates.adaptive_min_rate.is_some() {
            self.history.push(now);
            // Bound the history: only the count within the period matters.
            if self.history.len() > 4096 {
                self.history.drain(..2048);
            }
        }
        self.next = self.compute(now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(s: &str) -> crate::uri::Params {
        let h: crate::header::Event =
            crate::header::TypedHeader::decode(&bytes::Bytes::from(format!("presence{s}")))
                .unwrap();
        h.params
    }

    #[test]
    fn parses_the_three_rates() {
        let r = Rates::from_params(&params(
            ";max-rate=0.5;min-rate=0.01;adaptive-min-rate=0.002",
        ));
        assert_eq!(r.max_rate, Some(0.5));
        assert_eq!(r.min_rate, Some(0.01));
        assert_eq!(r.adaptive_min_rate, Some(0.002));
        let r = Rates::from_params(&params(";max-rate=-1;min-rate=1e3;adaptive-min-rate=0"));
        assert!(r.is_empty());
        let tiny = format!(";max-rate=0.{}1;min-rate=99999999999", "0".repeat(40));
        assert!(
            Rates::from_params(&params(&tiny)).is_empty(),
            "extremes are ignored"
        );
        let mut s = String::new();
        Rates {
            max_rate: Some(0.25),
            min_rate: Some(2.0),
            adaptive_min_rate: None,
        }
        .write_params(&mut s);
        assert_eq!(s, ";max-rate=0.25;min-rate=2");
    }

    #[test]
    fn max_and_min_rate_pacing() {
        let t0 = testkit::net::Clock::new().now();
        let rates = Rates {
            max_rate: Some(0.1),
            min_rate: Some(0.01),
            adaptive_min_rate: None,
        };
        let mut rc = RateControl::new(t0, rates, Duration::from_secs(60));
        assert_eq!(rc.earliest(), None);
        rc.sent(t0);
        assert_eq!(rc.earliest(), Some(t0 + Duration::from_secs(10)));
        assert_eq!(rc.deadline(), Some(t0 + Duration::from_secs(100)));
        rc.clamp_to_expiry(Duration::from_secs(5));
        assert_eq!(rc.rates().max_rate, Some(0.2));
    }

    #[test]
    fn adaptive_min_rate_follows_equation_one() {
        let t0 = testkit::net::Clock::new().now();
        let rates = Rates {
            max_rate: None,
            min_rate: None,
            adaptive_min_rate: Some(0.1),
        };
        let mut rc = RateControl::new(t0, rates, Duration::from_secs(100));
        rc.sent(t0);
        // count = 100 * 0.1 seed + 1 sent = 11; timeout = 11 / (0.01 * 100) = 11 s.
        assert_eq!(rc.deadline(), Some(t0 + Duration::from_secs(11)));
        // After the first period only real notifications count.
        let later = t0 + Duration::from_secs(150);
        rc.sent(later);
        assert_eq!(rc.deadline(), Some(later + Duration::from_secs(1)));
    }
}
