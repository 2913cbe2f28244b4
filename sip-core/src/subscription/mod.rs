//! SIP-specific event notification (RFC 6665) for any event package: the
//! [`Subscriber`] and [`Notifier`] machines, and the notifier-side rate
//! control of RFC 6446 ([`RateControl`]).
//!
//! Both machines sit above transactions and deal in requests and responses,
//! never bytes: the TU sends the requests they build through an
//! [`Endpoint`](crate::endpoint::Endpoint) and hands back what comes in.
//! Each has `poll_timeout()` and `handle_timeout(now)`; nothing reads a
//! clock.
//!
//! Covered: initial SUBSCRIBE with Event `id`, 2xx (200 or 202) and 423
//! retry with Min-Expires, NOTIFY before the 2xx, forked NOTIFYs within
//! Timer N (4.1.2.4), refresh before expiry, unsubscribe (Expires: 0),
//! Subscription-State pending/active/terminated with `reason` and
//! `retry-after` (4.1.3), timeouts, 481 handling, and `max-rate`,
//! `min-rate`, `adaptive-min-rate`. Not covered: RFC 5839 conditional
//! notification and the GRUU and REFER specifics of RFC 6665 section 5.

mod notifier;
pub mod rate;
mod subscriber;

pub use notifier::{Notifier, NotifierSnapshot, NotifierState};
pub use rate::{RateControl, Rates};
pub use subscriber::{
    Notification, NotifyOutcome, Subscriber, SubscriberSnapshot, SubscriberState,
};

use crate::dialog::DialogError;
use crate::header::{Event, HeaderName, TypedHeader};
use crate::method::StatusCode;
use bytes::Bytes;
use std::time::Duration;

/// Why a subscription ended (RFC 6665 4.1.3 `reason` values).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Reason {
    /// Retry at once with a new subscription.
    Deactivated,
    /// Retry later (after `retry-after`).
    Probation,
    /// Authorization policy changed: do not retry.
    Rejected,
    /// Not refreshed in time (or a poll ended): may retry at once.
    Timeout,
    /// Authorization not obtained in time: retry after `retry-after`.
    Giveup,
    /// The resource no longer exists: do not retry.
    Noresource,
    /// The resource will never change: do not retry.
    Invariant,
    /// An extension value.
    Other(Bytes),
}

impl Reason {
    /// Reads a `reason` value (case-insensitive tokens).
    pub fn parse(v: &[u8]) -> Reason {
        const KNOWN: [(&str, Reason); 7] = [
            ("deactivated", Reason::Deactivated),
            ("probation", Reason::Probation),
            ("rejected", Reason::Rejected),
            ("timeout", Reason::Timeout),
            ("giveup", Reason::Giveup),
            ("noresource", Reason::Noresource),
            ("invariant", Reason::Invariant),
        ];
        KNOWN
            .iter()
            .find(|(n, _)| v.eq_ignore_ascii_case(n.as_bytes()))
            .map(|(_, r)| r.clone())
            .unwrap_or_else(|| Reason::Other(Bytes::copy_from_slice(v)))
    }

    /// The token.
    pub fn as_bytes(&self) -> &[u8] {
        match self {
            Reason::Deactivated => b"deactivated",
            Reason::Probation => b"probation",
            Reason::Rejected => b"rejected",
            Reason::Timeout => b"timeout",
            Reason::Giveup => b"giveup",
            Reason::Noresource => b"noresource",
            Reason::Invariant => b"invariant",
            Reason::Other(b) => b,
        }
    }
}

/// How a subscription ended.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Termination {
    /// The `reason` (none when the notifier gave none, or when the end came
    /// from a failure on our side).
    pub reason: Option<Reason>,
    /// The `retry-after` seconds.
    pub retry_after: Option<u32>,
    /// The status of a failed SUBSCRIBE, or 408 for a timeout.
    #[cfg_attr(feature = "serde", serde(with = "status_serde"))]
    pub status: Option<StatusCode>,
}

#[cfg(feature = "serde")]
mod status_serde {
    use crate::method::StatusCode;

    pub(super) fn serialize<S: serde::Serializer>(
        v: &Option<StatusCode>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        serde::Serialize::serialize(&v.map(StatusCode::as_u16), s)
    }

    pub(super) fn deserialize<'de, D: serde::Deserializer<'de>>(
        d: D,
    ) -> Result<Option<StatusCode>, D::Error> {
        let v: Option<u16> = serde::Deserialize::deserialize(d)?;
        Ok(v.and_then(StatusCode::new))
    }
}

impl Termination {
    /// When the subscriber may subscribe again, following 4.1.3:
    /// `None` for rejected, noresource and invariant; otherwise after
    /// `retry-after` where it has meaning (probation, giveup, unknown or no
    /// reason), or at once.
    pub fn retry_in(&self) -> Option<Duration> {
        let after = Duration::from_secs(u64::from(self.retry_after.unwrap_or(0)));
        match &self.reason {
            Some(Reason::Rejected | Reason::Noresource | Reason::Invariant) => None,
            Some(Reason::Deactivated | Reason::Timeout) => Some(Duration::ZERO),
            _ => Some(after),
        }
    }
}

/// Settings shared by subscriber and notifier.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct SubscriptionConfig {
    /// T1; Timer N is 64*T1 (4.1.2.4).
    pub t1: Duration,
    /// Shortest subscription a notifier grants (shorter ones get 423).
    pub min_expires: u32,
    /// Longest subscription a notifier grants (longer ones are cut).
    pub max_expires: u32,
    /// Duration when a SUBSCRIBE has no Expires (the package default).
    pub default_expires: u32,
    /// Rolling period of the adaptive minimum rate (RFC 6446 7.4).
    pub rate_period: Duration,
}

impl Default for SubscriptionConfig {
    fn default() -> Self {
        SubscriptionConfig {
            t1: Duration::from_millis(500),
            min_expires: 60,
            max_expires: 86_400,
            default_expires: 3600,
            rate_period: Duration::from_secs(3600),
        }
    }
}

impl SubscriptionConfig {
    /// Timer N.
    pub fn timer_n(&self) -> Duration {
        self.t1.saturating_mul(64)
    }
}

/// A refused subscription request or NOTIFY; maps to the status to answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SubscriptionError {
    /// No Event header, or a package or `id` we do not handle (489).
    #[error("bad or unsupported event")]
    BadEvent,
    /// The requested duration is shorter than we grant (423).
    #[error("interval too brief, at least {min} s")]
    IntervalTooBrief {
        /// The Min-Expires to send.
        min: u32,
    },
    /// A header is missing or unreadable (400).
    #[error("missing or unreadable {0}")]
    MissingHeader(&'static str),
    /// No such subscription (481).
    #[error("no such subscription")]
    NoSubscription,
    /// A dialog rule was broken.
    #[error(transparent)]
    Dialog(#[from] DialogError),
}

impl From<&SubscriptionError> for StatusCode {
    fn from(e: &SubscriptionError) -> StatusCode {
        match e {
            SubscriptionError::BadEvent => StatusCode::BAD_EVENT,
            SubscriptionError::IntervalTooBrief { .. } => StatusCode::INTERVAL_TOO_BRIEF,
            SubscriptionError::MissingHeader(_) => StatusCode::BAD_REQUEST,
            SubscriptionError::NoSubscription => StatusCode::CALL_TRANSACTION_DOES_NOT_EXIST,
            SubscriptionError::Dialog(d) => StatusCode::from(d),
        }
    }
}

/// The Event header value for a package, `id` and rates.
pub(crate) fn event_value(package: &[u8], id: Option<&[u8]>, rates: &Rates) -> Bytes {
    let mut s = String::from_utf8_lossy(package).into_owned();
    if let Some(id) = id {
        s.push_str(";id=");
        s.push_str(&String::from_utf8_lossy(id));
    }
    rates.write_params(&mut s);
    Bytes::from(s)
}

/// True when `ev` names `package` with the same `id` (RFC 6665 8.2.1:
/// package compared case-sensitively... tokens compared as RFC 3261 does,
/// case-insensitively here; `id` compared exactly).
pub(crate) fn same_event(ev: &Event, package: &[u8], id: Option<&[u8]>) -> bool {
    ev.package.eq_ignore_ascii_case(package) && ev.id() == id
}

/// The Event header of a message.
pub(crate) fn event_of(h: &crate::header::Headers) -> Option<Event> {
    h.typed::<Event>().ok().flatten()
}

/// Sets Expires.
pub(crate) fn set_expires(h: &mut crate::header::Headers, secs: u32) {
    h.set(HeaderName::EXPIRES, crate::header::Expires(secs).to_value());
}
