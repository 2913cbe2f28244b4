//! The notifier (RFC 6665 4.2) with RFC 6446 rate control.

use super::{
    event_of, event_value, same_event, set_expires, RateControl, Rates, Reason, SubscriptionConfig,
    SubscriptionError,
};
use crate::dialog::Dialog;
use crate::header::{ContentType, Expires, HeaderName, TypedHeader};
use crate::message::{Request, Response};
use crate::method::{Method, StatusCode};
use bytes::Bytes;
use std::time::{Duration, Instant};

/// The state of a subscription as the notifier holds it (RFC 6665 4.2.1,
/// Figure 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum NotifierState {
    /// Awaiting authorization.
    Pending,
    /// Authorized.
    Active,
    /// Ended (final NOTIFY sent, or the subscriber is gone).
    Terminated,
}

/// One subscription, notifier side. See the [module docs](super).
#[derive(Debug, Clone)]
pub struct Notifier {
    dialog: Dialog,
    package: Bytes,
    id: Option<Bytes>,
    state: NotifierState,
    expires_at: Instant,
    rate: Option<Box<RateControl>>,
    // The current state document, resent on refresh and for min-rate.
    content_type: Option<ContentType>,
    body: Bytes,
    // A state change held back by max-rate.
    dirty: bool,
}

fn granted(request: &Request, config: &SubscriptionConfig) -> Result<u32, SubscriptionError> {
    let asked = match request.headers().typed::<Expires>() {
        Ok(Some(e)) => e.0,
        Ok(None) => config.default_expires,
        Err(_) => return Err(SubscriptionError::MissingHeader("Expires")),
    };
    if asked != 0 && asked < config.min_expires {
        return Err(SubscriptionError::IntervalTooBrief {
            min: config.min_expires,
        });
    }
    Ok(asked.min(config.max_expires))
}

impl Notifier {
    /// Checks an initial SUBSCRIBE (4.2.1.1): an Event of one of `packages`
    /// (else 489) and an acceptable Expires (else 423). Returns the
    /// duration to grant. Answer refusals with
    /// [`Notifier::refusal`].
    pub fn check(
        subscribe: &Request,
        packages: &[&str],
        config: &SubscriptionConfig,
    ) -> Result<u32, SubscriptionError> {
        let ev = event_of(subscribe.headers()).ok_or(SubscriptionError::BadEvent)?;
        if !packages
            .iter()
            .any(|p| ev.package.eq_ignore_ascii_case(p.as_bytes()))
        {
            return Err(SubscriptionError::BadEvent);
        }
        granted(subscribe, config)
    }

    /// The response refusing `request` for `error` (with Min-Expires for
    /// 423, RFC 3261 20.23; Allow-Events for 489 is left to the TU).
    pub fn refusal(request: &Request, error: &SubscriptionError) -> Response {
        let mut r = Response::from_request(request, StatusCode::from(error));
        if let SubscriptionError::IntervalTooBrief { min } = error {
            r.headers_mut().push_typed(&crate::header::MinExpires(*min));
        }
        r
    }

    /// Accepts a SUBSCRIBE checked by [`Notifier::check`]: `response` is the
    /// TU's 200 or 202 with its To tag and Contact; Expires is set in it to
    /// the granted duration. Then send [`Notifier::initial_notify`] at once
    /// (4.2.1.2). A SUBSCRIBE with Expires: 0 (a fetch) gets a terminated
    /// NOTIFY.
    pub fn accept(
        now: Instant,
        subscribe: &Request,
        response: &mut Response,
        state: NotifierState,
        config: &SubscriptionConfig,
    ) -> Result<Notifier, SubscriptionError> {
        let ev = event_of(subscribe.headers()).ok_or(SubscriptionError::BadEvent)?;
        let secs = granted(subscribe, config)?;
        set_expires(response.headers_mut(), secs);
        let dialog = Dialog::uas(subscribe, response)?;
        let rates = Rates::from_params(&ev.params);
        let d = Duration::from_secs(u64::from(secs));
        let rate = (!rates.is_empty()).then(|| {
            let mut rc = RateControl::new(now, rates, config.rate_period);
            rc.clamp_to_expiry(d);
            Box::new(rc)
        });
        Ok(Notifier {
            dialog,
            package: Bytes::copy_from_slice(&ev.package),
            id: ev.id().map(Bytes::copy_from_slice),
            state: if secs == 0 {
                NotifierState::Terminated
            } else {
                state
            },
            expires_at: now + d,
            rate,
            content_type: None,
            body: Bytes::new(),
            dirty: false,
        })
    }

    /// The state.
    pub fn state(&self) -> NotifierState {
        self.state
    }

    /// The dialog.
    pub fn dialog(&self) -> &Dialog {
        &self.dialog
    }

    /// When the subscription expires.
    pub fn expires_at(&self) -> Instant {
        self.expires_at
    }

    /// The rates in force, when the subscriber asked for rate control.
    pub fn rates(&self) -> Option<Rates> {
        self.rate.as_ref().map(|r| r.rates())
    }

    /// When [`Notifier::handle_timeout`] must run next.
    pub fn poll_timeout(&mut self) -> Option<Instant> {
        if self.state == NotifierState::Terminated {
            return None;
        }
        let mut at = self.expires_at;
        if let Some(rc) = self.rate.as_mut() {
            if self.dirty {
                if let Some(e) = rc.earliest() {
                    at = at.min(e);
                }
            }
            if self.state == NotifierState::Active {
                if let Some(d) = rc.deadline() {
                    at = at.min(d);
                }
            }
        }
        Some(at)
    }

    fn notify(
        &mut self,
        now: Instant,
        terminated: Option<(Reason, Option<u32>)>,
    ) -> Result<Request, SubscriptionError> {
        let mut r = self.dialog.request(Method::NOTIFY)?;
        r.headers_mut().push(
            HeaderName::EVENT,
            event_value(&self.package, self.id.as_deref(), &Rates::default()),
        );
        let mut ss = String::with_capacity(64);
        match (&terminated, self.state) {
            (Some((reason, retry)), _) => {
                ss.push_str("terminated;reason=");
                ss.push_str(&String::from_utf8_lossy(reason.as_bytes()));
                if let Some(ra) = retry {
                    ss.push_str(&format!(";retry-after={ra}"));
                }
            }
            (None, s) => {
                ss.push_str(if s == NotifierState::Pending {
                    "pending"
                } else {
                    "active"
                });
                let left = self.expires_at.saturating_duration_since(now).as_secs();
                ss.push_str(&format!(";expires={left}"));
                if let Some(rc) = &self.rate {
                    rc.rates().write_params(&mut ss);
                }
            }
        }
        r.headers_mut()
            .push(HeaderName::SUBSCRIPTION_STATE, Bytes::from(ss));
        if let Some(ct) = &self.content_type {
            r.headers_mut()
                .push(HeaderName::CONTENT_TYPE, ct.to_value());
            r.set_body(self.body.clone());
        }
        if let Some(rc) = self.rate.as_mut() {
            rc.sent(now);
        }
        self.dirty = false;
        if terminated.is_some() {
            self.state = NotifierState::Terminated;
        }
        Ok(r)
    }

    /// Sets the state document without notifying (e.g. before the first
    /// NOTIFY).
    pub fn set_body(&mut self, content_type: Option<ContentType>, body: Bytes) {
        self.content_type = content_type;
        self.body = body;
    }

    /// The NOTIFY that must follow the 2xx at once (4.2.1.2); not subject
    /// to max-rate (RFC 6446 5.2). For a fetch (Expires: 0) it is the final
    /// one (`terminated;reason=timeout`).
    pub fn initial_notify(&mut self, now: Instant) -> Result<Request, SubscriptionError> {
        if self.state == NotifierState::Terminated {
            self.state = NotifierState::Active;
            return self.notify(now, Some((Reason::Timeout, None)));
        }
        self.notify(now, None)
    }

    /// The resource state changed (4.2.2): returns the NOTIFY to send now,
    /// or `None` when max-rate holds it back (it then goes out from
    /// [`Notifier::handle_timeout`], with the latest state only).
    pub fn update(
        &mut self,
        now: Instant,
        content_type: Option<ContentType>,
        body: Bytes,
    ) -> Option<Request> {
        if self.state == NotifierState::Terminated {
            return None;
        }
        self.set_body(content_type, body);
        if self.state == NotifierState::Pending {
            // Nothing is disclosed before authorization.
            return None;
        }
        if let Some(e) = self.rate.as_ref().and_then(|r| r.earliest()) {
            if now < e {
                self.dirty = true;
                return None;
            }
        }
        self.notify(now, None).ok()
    }

    /// Authorization came: pending becomes active and a NOTIFY goes out at
    /// once (not subject to max-rate, RFC 6446 5.2).
    pub fn activate(&mut self, now: Instant) -> Option<Request> {
        if self.state != NotifierState::Pending {
            return None;
        }
        self.state = NotifierState::Active;
        self.notify(now, None).ok()
    }

    /// Ends the subscription with `reason` (and `retry-after` where it has
    /// meaning): the final NOTIFY, never rate-limited.
    pub fn terminate(
        &mut self,
        now: Instant,
        reason: Reason,
        retry_after: Option<u32>,
    ) -> Option<Request> {
        if self.state == NotifierState::Terminated {
            return None;
        }
        self.notify(now, Some((reason, retry_after))).ok()
    }

    /// A SUBSCRIBE inside the dialog: a refresh, or with Expires: 0 an
    /// unsubscription (4.2.1.2, 4.2.1.3). Returns the response to send and
    /// the NOTIFY that follows it. Refusals come back as the response alone.
    pub fn handle_subscribe(
        &mut self,
        now: Instant,
        subscribe: &Request,
        config: &SubscriptionConfig,
    ) -> (Response, Option<Request>) {
        let refuse = |e: SubscriptionError| (Notifier::refusal(subscribe, &e), None);
        if self.state == NotifierState::Terminated {
            return refuse(SubscriptionError::NoSubscription);
        }
        match event_of(subscribe.headers()) {
            Some(ev) if same_event(&ev, &self.package, self.id.as_deref()) => {
                let rates = Rates::from_params(&ev.params);
                if !rates.is_empty() {
                    let mut rc = RateControl::new(now, rates, config.rate_period);
                    // Keep the pacing across the change: the last
                    // notification still counts against the new max-rate.
                    if let Some(last) = self.rate.as_deref().and_then(RateControl::last_sent) {
                        rc.sent(last);
                    }
                    self.rate = Some(Box::new(rc));
                } else {
                    self.rate = None;
                }
            }
            _ => return refuse(SubscriptionError::BadEvent),
        }
        if let Err(e) = self.dialog.handle_request(subscribe) {
            return refuse(e.into());
        }
        let secs = match granted(subscribe, config) {
            Ok(s) => s,
            Err(e) => return refuse(e),
        };
        let mut resp = Response::from_request(subscribe, StatusCode::OK);
        resp.set_to_tag(&String::from_utf8_lossy(&self.dialog.id().local_tag));
        set_expires(resp.headers_mut(), secs);
        let d = Duration::from_secs(u64::from(secs));
        self.expires_at = now + d;
        if let Some(rc) = self.rate.as_mut() {
            rc.clamp_to_expiry(d);
        }
        let notify = if secs == 0 {
            self.notify(now, Some((Reason::Timeout, None)))
        } else {
            self.notify(now, None)
        };
        (resp, notify.ok())
    }

    /// A response to one of our NOTIFYs (4.2.2): 481 (and 408) mean the
    /// subscriber is gone; the subscription ends without another NOTIFY.
    pub fn handle_notify_response(&mut self, response: &Response) {
        let st = response.status();
        if st == StatusCode::CALL_TRANSACTION_DOES_NOT_EXIST || st == StatusCode::REQUEST_TIMEOUT {
            self.state = NotifierState::Terminated;
            self.dialog.terminate();
        }
    }

    /// A NOTIFY transaction timed out (Timer F): 4.2.2 says remove the
    /// subscription.
    pub fn handle_notify_failure(&mut self) {
        self.state = NotifierState::Terminated;
        self.dialog.terminate();
    }

    /// Runs the timers: expiry (final NOTIFY with `reason=timeout`), a
    /// state change held back by max-rate, or a min-rate/adaptive-min-rate
    /// NOTIFY of the current state. Returns the NOTIFY to send.
    pub fn handle_timeout(&mut self, now: Instant) -> Option<Request> {
        if self.state == NotifierState::Terminated {
            return None;
        }
        if now >= self.expires_at {
            return self.notify(now, Some((Reason::Timeout, None))).ok();
        }
        if self.state != NotifierState::Active {
            return None;
        }
        let rc = self.rate.as_mut()?;
        let due_change = self.dirty && rc.earliest().is_none_or(|e| e <= now);
        let due_min = rc.deadline().is_some_and(|d| d <= now);
        if due_change || due_min {
            let n = self.notify(now, None).ok();
            if n.is_none() {
                // The dialog cannot carry requests any more: stop, rather
                // than be woken at the same instant again.
                self.state = NotifierState::Terminated;
            }
            return n;
        }
        None
    }
}

/// A notifier's state without instants, to persist (with the `serde`
/// feature) and restore: the expiry becomes a duration from the snapshot.
/// Rate control restarts from the restored rates (its history is not kept).
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct NotifierSnapshot {
    /// Dialog.
    pub dialog: Dialog,
    /// Event package.
    pub package: Bytes,
    /// Event `id`.
    pub id: Option<Bytes>,
    /// State.
    pub state: NotifierState,
    /// Time left until expiry.
    pub expires_in: Duration,
    /// Rates in force.
    pub rates: Option<Rates>,
    /// Content-Type of the current document, as written.
    pub content_type: Option<Bytes>,
    /// The current document.
    pub body: Bytes,
    /// A change held back by max-rate.
    pub dirty: bool,
}

impl Notifier {
    /// The state to persist, as of `now`.
    pub fn snapshot(&self, now: Instant) -> NotifierSnapshot {
        NotifierSnapshot {
            dialog: self.dialog.clone(),
            package: self.package.clone(),
            id: self.id.clone(),
            state: self.state,
            expires_in: self.expires_at.saturating_duration_since(now),
            rates: self.rates(),
            content_type: self.content_type.as_ref().map(TypedHeader::to_value),
            body: self.body.clone(),
            dirty: self.dirty,
        }
    }

    /// A notifier restored from a snapshot; `rate_period` as in
    /// [`SubscriptionConfig::rate_period`].
    pub fn restore(now: Instant, s: NotifierSnapshot, rate_period: Duration) -> Notifier {
        Notifier {
            dialog: s.dialog,
            package: s.package,
            id: s.id,
            state: s.state,
            expires_at: now + s.expires_in,
            rate: s
                .rates
                .map(|r| Box::new(RateControl::new(now, r, rate_period))),
            content_type: s.content_type.and_then(|v| ContentType::decode(&v).ok()),
            body: s.body,
            dirty: s.dirty,
        }
    }
}
