//! The subscriber (RFC 6665 4.1).

use super::{
    event_of, event_value, same_event, set_expires, Rates, Reason, SubscriptionConfig,
    SubscriptionError, Termination,
};
use crate::dialog::{Dialog, DialogId};
use crate::header::{
    CSeq, ContentType, Expires, HeaderName, MinExpires, SubState, SubscriptionState,
};
use crate::message::{Request, Response};
use crate::method::{Method, StatusCode};
use bytes::Bytes;
use std::time::{Duration, Instant};

/// The state of a subscription as the subscriber sees it (RFC 6665 4.1.2,
/// Subscription-State of the last NOTIFY).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum SubscriberState {
    /// SUBSCRIBE sent; no NOTIFY yet.
    Init,
    /// The notifier has not authorized it yet.
    Pending,
    /// Active.
    Active,
    /// Ended.
    Terminated(Termination),
}

/// What one NOTIFY said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    /// The state it announced.
    pub state: SubscriberState,
    /// Its Content-Type, when it had a body.
    pub content_type: Option<ContentType>,
    /// Its body (event package state), maybe empty.
    pub body: Bytes,
}

/// The result of [`Subscriber::handle_notify`].
#[derive(Debug, Clone, PartialEq)]
#[allow(clippy::large_enum_variant)]
pub enum NotifyOutcome {
    /// The NOTIFY belongs to this subscription; send `response`.
    Accepted {
        /// The answer (200).
        response: Response,
        /// What it said.
        notification: Notification,
    },
    /// A NOTIFY from another fork of the initial SUBSCRIBE, within Timer
    /// N: a new subscription of its own (4.1.2.4, 4.5.1); send `response`.
    Forked {
        /// The answer (200).
        response: Response,
        /// The new subscription.
        subscriber: Box<Subscriber>,
        /// What it said.
        notification: Notification,
    },
    /// Refused; send `response` (481, 489 or 400).
    Refused {
        /// The answer.
        response: Response,
        /// Why.
        error: SubscriptionError,
    },
}

/// One subscription, subscriber side. See the [module docs](super).
#[derive(Debug, Clone, PartialEq)]
pub struct Subscriber {
    config: SubscriptionConfig,
    package: Bytes,
    id: Option<Bytes>,
    // Boxed: most subscriptions ask for no rate control.
    rates: Option<Box<Rates>>,
    state: SubscriberState,
    dialog: Option<Dialog>,
    // The initial SUBSCRIBE, kept while Timer N runs (forks, 423 retry).
    initial: Option<Box<Request>>,
    timer_n: Option<Instant>,
    expires_at: Option<Instant>,
    refresh_at: Option<Instant>,
    requested: u32,
    // CSeq and Expires of the SUBSCRIBE in flight.
    in_flight: Option<(u32, u32)>,
    // A NOTIFY came since the SUBSCRIBE that started Timer N.
    notified: bool,
}

fn boxed(r: Rates) -> Option<Box<Rates>> {
    (!r.is_empty()).then(|| Box::new(r))
}

fn status(code: StatusCode) -> Termination {
    Termination {
        reason: None,
        retry_after: None,
        status: Some(code),
    }
}

impl Subscriber {
    /// Starts a subscription with `subscribe`, an initial SUBSCRIBE the TU
    /// built (Event, From tag, Call-ID, CSeq, Contact; Expires or the
    /// package default). Send it through the endpoint.
    pub fn new(
        now: Instant,
        subscribe: Request,
        config: SubscriptionConfig,
    ) -> Result<Subscriber, SubscriptionError> {
        let h = subscribe.headers();
        let ev = event_of(h).ok_or(SubscriptionError::BadEvent)?;
        let cseq: CSeq = h
            .typed()
            .ok()
            .flatten()
            .ok_or(SubscriptionError::MissingHeader("CSeq"))?;
        let requested = h
            .typed::<Expires>()
            .ok()
            .flatten()
            .map_or(config.default_expires, |e| e.0);
        Ok(Subscriber {
            config,
            package: Bytes::copy_from_slice(&ev.package),
            id: ev.id().map(Bytes::copy_from_slice),
            rates: boxed(Rates::from_params(&ev.params)),
            state: SubscriberState::Init,
            dialog: None,
            initial: Some(Box::new(subscribe)),
            timer_n: Some(now + config.timer_n()),
            expires_at: None,
            refresh_at: None,
            requested,
            in_flight: Some((cseq.seq, requested)),
            notified: false,
        })
    }

    /// The state.
    pub fn state(&self) -> &SubscriberState {
        &self.state
    }

    /// True once terminated.
    pub fn is_terminated(&self) -> bool {
        matches!(self.state, SubscriberState::Terminated(_))
    }

    /// The dialog, once the 2xx or a NOTIFY made it.
    pub fn dialog(&self) -> Option<&Dialog> {
        self.dialog.as_ref()
    }

    /// The dialog id, once known.
    pub fn dialog_id(&self) -> Option<&DialogId> {
        self.dialog.as_ref().map(|d| d.id())
    }

    /// When the subscription expires unless refreshed.
    pub fn expires_at(&self) -> Option<Instant> {
        self.expires_at
    }

    /// When a refresh will be sent.
    pub fn refresh_at(&self) -> Option<Instant> {
        self.refresh_at
    }

    /// Changes the rates asked for in the next refresh (RFC 6446).
    pub fn set_rates(&mut self, rates: Rates) {
        self.rates = boxed(rates);
    }

    /// When [`Subscriber::handle_timeout`] must run next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        [self.timer_n, self.refresh_at, self.expires_at]
            .into_iter()
            .flatten()
            .min()
    }

    fn end(&mut self, t: Termination) {
        self.state = SubscriberState::Terminated(t);
        self.timer_n = None;
        self.refresh_at = None;
        self.expires_at = None;
        self.in_flight = None;
        self.initial = None;
    }

    fn set_expiry(&mut self, now: Instant, secs: u32) {
        let d = Duration::from_secs(u64::from(secs));
        self.expires_at = Some(now + d);
        // Refresh early enough for a whole non-INVITE transaction (64*T1)
        // to finish, and never before half the duration.
        let margin = self.config.timer_n().min(d / 2);
        self.refresh_at = (secs > 0).then(|| now + d - margin);
    }

    /// A response to our SUBSCRIBE (initial, refresh or unsubscribe).
    /// Returns a new SUBSCRIBE to send when the answer calls for one (423
    /// with Min-Expires on the initial request).
    pub fn handle_response(&mut self, now: Instant, response: &Response) -> Option<Request> {
        if self.is_terminated() {
            return None;
        }
        let st = response.status();
        let h = response.headers();
        let cseq = h.typed::<CSeq>().ok().flatten().map(|c| c.seq);
        let (seq, asked) = self.in_flight.filter(|(s, _)| Some(*s) == cseq)?;
        if st.is_provisional() {
            return None;
        }
        self.in_flight = None;
        let initial = self.dialog.is_none();
        if st.is_success() {
            if initial {
                if let Some(inv) = self.initial.as_deref() {
                    match Dialog::uac(inv, response) {
                        Ok(d) => self.dialog = Some(d),
                        Err(_) => {
                            self.end(status(st));
                            return None;
                        }
                    }
                }
            }
            // 4.2.1.1: the notifier may shorten the duration, never lengthen.
            let granted = h.typed::<Expires>().ok().flatten().map_or(asked, |e| e.0);
            if asked == 0 {
                // Unsubscribed: the final NOTIFY follows; Timer N bounds the wait.
                self.refresh_at = None;
            } else {
                self.set_expiry(now, granted);
            }
            return None;
        }
        if st == StatusCode::INTERVAL_TOO_BRIEF && initial {
            if let (Some(min), Some(inv)) = (
                h.typed::<MinExpires>().ok().flatten(),
                self.initial.as_deref(),
            ) {
                if min.0 > asked {
                    let mut again = inv.clone();
                    let next = seq.wrapping_add(1);
                    again.headers_mut().set_typed(&CSeq {
                        seq: next,
                        method: Method::SUBSCRIBE,
                    });
                    again.headers_mut().remove(&HeaderName::VIA);
                    set_expires(again.headers_mut(), min.0);
                    self.requested = min.0;
                    self.in_flight = Some((next, min.0));
                    self.initial = Some(Box::new(again.clone()));
                    self.timer_n = Some(now + self.config.timer_n());
                    return Some(again);
                }
            }
        }
        // 4.1.2.2: these end a subscription being refreshed; any failure
        // ends one not yet made.
        let fatal = matches!(
            st.as_u16(),
            404 | 405 | 410 | 416 | 480..=485 | 489 | 501 | 604
        );
        if initial || fatal {
            self.end(status(st));
        }
        None
    }

    /// The SUBSCRIBE transaction failed without a response (timeout or
    /// transport error, reported by the endpoint).
    pub fn handle_failure(&mut self, _now: Instant) {
        self.in_flight = None;
        if self.dialog.is_none() && self.state == SubscriberState::Init {
            self.end(status(StatusCode::REQUEST_TIMEOUT));
        }
        // A failed refresh leaves the subscription valid until it expires.
    }

    /// A NOTIFY arrived. The TU routes NOTIFYs by dialog id (or, before any
    /// dialog, by Call-ID and From tag) and sends back the response.
    pub fn handle_notify(&mut self, now: Instant, notify: &Request) -> NotifyOutcome {
        let refuse = |e: SubscriptionError| NotifyOutcome::Refused {
            response: Response::from_request(notify, StatusCode::from(&e)),
            error: e,
        };
        if self.is_terminated() {
            return refuse(SubscriptionError::NoSubscription);
        }
        let h = notify.headers();
        match event_of(h) {
            Some(ev) if same_event(&ev, &self.package, self.id.as_deref()) => {}
            _ => return refuse(SubscriptionError::BadEvent),
        }
        let Some(ss) = h.typed::<SubscriptionState>().ok().flatten() else {
            return refuse(SubscriptionError::MissingHeader("Subscription-State"));
        };
        match &mut self.dialog {
            Some(d) => {
                if DialogId::of_incoming(notify).as_ref() != Some(d.id()) {
                    // Another fork (4.1.2.4): a new subscription while Timer N
                    // runs, 481 afterwards.
                    return match (self.timer_n, self.initial.as_deref()) {
                        (Some(_), Some(init)) => match Dialog::from_notify(init, notify) {
                            Ok(fd) => {
                                let mut fork = self.clone();
                                fork.dialog = Some(fd);
                                fork.state = SubscriberState::Init;
                                fork.expires_at = None;
                                fork.refresh_at = None;
                                fork.in_flight = None;
                                fork.timer_n = None;
                                fork.initial = None;
                                let (response, notification) = fork.apply_notify(now, notify, &ss);
                                NotifyOutcome::Forked {
                                    response,
                                    subscriber: Box::new(fork),
                                    notification,
                                }
                            }
                            Err(e) => refuse(e.into()),
                        },
                        _ => refuse(SubscriptionError::NoSubscription),
                    };
                }
                if let Err(e) = d.handle_request(notify) {
                    return refuse(e.into());
                }
            }
            None => {
                // NOTIFY before the 2xx (4.1.2.4): it makes the dialog.
                let Some(init) = self.initial.as_deref() else {
                    return refuse(SubscriptionError::NoSubscription);
                };
                match Dialog::from_notify(init, notify) {
                    Ok(d) => self.dialog = Some(d),
                    Err(e) => return refuse(e.into()),
                }
            }
        }
        let (response, notification) = self.apply_notify(now, notify, &ss);
        NotifyOutcome::Accepted {
            response,
            notification,
        }
    }

    fn apply_notify(
        &mut self,
        now: Instant,
        notify: &Request,
        ss: &SubscriptionState,
    ) -> (Response, Notification) {
        // A NOTIFY confirms the subscription; Timer N keeps running only to
        // bound the window for forks.
        self.notified = true;
        match &ss.state {
            SubState::Active | SubState::Pending | SubState::Other(_) => {
                self.state = if ss.state == SubState::Pending {
                    SubscriberState::Pending
                } else {
                    SubscriberState::Active
                };
                if let Some(e) = ss.expires() {
                    // 4.1.3: the notifier may shorten the duration.
                    let shorter = self
                        .expires_at
                        .is_none_or(|at| now + Duration::from_secs(u64::from(e)) < at);
                    if shorter || self.expires_at.is_none() {
                        self.set_expiry(now, e);
                    }
                }
            }
            SubState::Terminated => self.end(Termination {
                reason: ss.reason().map(Reason::parse),
                retry_after: ss.retry_after(),
                status: None,
            }),
        }
        let mut response = Response::from_request(notify, StatusCode::OK);
        response
            .headers_mut()
            .remove(&HeaderName::SUBSCRIPTION_STATE);
        let notification = Notification {
            state: self.state.clone(),
            content_type: notify.headers().typed::<ContentType>().ok().flatten(),
            body: notify.body().clone(),
        };
        (response, notification)
    }

    fn build(&mut self, expires: u32) -> Result<Request, SubscriptionError> {
        let d = self
            .dialog
            .as_mut()
            .ok_or(SubscriptionError::NoSubscription)?;
        let mut r = d.request(Method::SUBSCRIBE)?;
        let seq = d.local_seq().unwrap_or(0);
        r.headers_mut().push(
            HeaderName::EVENT,
            event_value(
                &self.package,
                self.id.as_deref(),
                &self.rates.as_deref().copied().unwrap_or_default(),
            ),
        );
        set_expires(r.headers_mut(), expires);
        self.in_flight = Some((seq, expires));
        Ok(r)
    }

    /// A refresh SUBSCRIBE now (normally [`Subscriber::handle_timeout`]
    /// sends it at [`Subscriber::refresh_at`]).
    pub fn refresh(&mut self, now: Instant) -> Result<Request, SubscriptionError> {
        if self.is_terminated() {
            return Err(SubscriptionError::NoSubscription);
        }
        self.refresh_at = None;
        self.timer_n = Some(now + self.config.timer_n());
        self.notified = false;
        self.build(self.requested)
    }

    /// Ends the subscription (4.1.2.3): a SUBSCRIBE with Expires: 0; the
    /// final NOTIFY ends it (or Timer N after the 2xx).
    pub fn unsubscribe(&mut self, now: Instant) -> Result<Request, SubscriptionError> {
        if self.is_terminated() {
            return Err(SubscriptionError::NoSubscription);
        }
        self.refresh_at = None;
        self.timer_n = Some(now + self.config.timer_n());
        self.notified = false;
        self.build(0)
    }

    /// Runs the timers: Timer N (no NOTIFY: the subscription failed or the
    /// unsubscription is done), the refresh (returns the SUBSCRIBE to send)
    /// and the expiry.
    pub fn handle_timeout(&mut self, now: Instant) -> Option<Request> {
        if self.timer_n.is_some_and(|t| t <= now) {
            // 4.1.2.2, 4.1.2.4: no NOTIFY since the last SUBSCRIBE ends the
            // subscription; either way forks are no longer accepted.
            self.timer_n = None;
            self.initial = None;
            if !self.notified {
                self.end(status(StatusCode::REQUEST_TIMEOUT));
                return None;
            }
        }
        if self.expires_at.is_some_and(|t| t <= now) {
            self.end(Termination {
                reason: Some(Reason::Timeout),
                retry_after: None,
                status: None,
            });
            return None;
        }
        if self.refresh_at.is_some_and(|t| t <= now) {
            self.refresh_at = None;
            // A SUBSCRIBE already in flight will set the next refresh.
            if self.in_flight.is_none() {
                return self.refresh(now).ok();
            }
        }
        None
    }
}

/// A subscriber's state without instants, to persist (with the `serde`
/// feature) and restore in another process: deadlines become durations
/// from the moment of the snapshot. The initial request, Timer N and a
/// SUBSCRIBE in flight are not kept: a restored subscription is an
/// established one (refreshed at once if its refresh time has passed).
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct SubscriberSnapshot {
    /// Settings.
    pub config: SubscriptionConfig,
    /// Event package.
    pub package: Bytes,
    /// Event `id`.
    pub id: Option<Bytes>,
    /// Rates asked for.
    pub rates: Rates,
    /// State.
    pub state: SubscriberState,
    /// Dialog.
    pub dialog: Option<Dialog>,
    /// Time left until expiry.
    pub expires_in: Option<Duration>,
    /// Time left until the refresh.
    pub refresh_in: Option<Duration>,
    /// Duration asked for in refreshes.
    pub requested: u32,
}

impl Subscriber {
    /// The state to persist, as of `now`.
    pub fn snapshot(&self, now: Instant) -> SubscriberSnapshot {
        SubscriberSnapshot {
            config: self.config,
            package: self.package.clone(),
            id: self.id.clone(),
            rates: self.rates.as_deref().copied().unwrap_or_default(),
            state: self.state.clone(),
            dialog: self.dialog.clone(),
            expires_in: self.expires_at.map(|t| t.saturating_duration_since(now)),
            refresh_in: self.refresh_at.map(|t| t.saturating_duration_since(now)),
            requested: self.requested,
        }
    }

    /// A subscriber restored from a snapshot, its deadlines counted from
    /// `now`.
    pub fn restore(now: Instant, s: SubscriberSnapshot) -> Subscriber {
        Subscriber {
            config: s.config,
            package: s.package,
            id: s.id,
            rates: boxed(s.rates),
            state: s.state,
            dialog: s.dialog,
            initial: None,
            timer_n: None,
            expires_at: s.expires_in.map(|d| now + d),
            refresh_at: s.refresh_in.map(|d| now + d),
            requested: s.requested,
            in_flight: None,
            notified: true,
        }
    }
}
