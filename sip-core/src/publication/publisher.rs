//! The event publication agent (RFC 3903 4, 5).

use crate::header::{
    CSeq, CallId, ContentType, Expires, HeaderName, MaxForwards, MinExpires, SipETag, SipIfMatch,
};
use crate::message::{Request, RequestBuilder, Response};
use crate::method::{Method, StatusCode};
use crate::uri::Uri;
use bytes::Bytes;
use std::time::{Duration, Instant};

/// Where a publication stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum PublisherState {
    /// Nothing published.
    Idle,
    /// An initial PUBLISH is in flight (no entity-tag yet).
    Publishing,
    /// Published; the entity-tag is known.
    Published,
    /// Removed (Expires: 0 accepted) or expired unrefreshed.
    Removed,
    /// The ESC refused it for good.
    Failed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
enum Kind {
    Initial,
    Refresh,
    Modify,
    Remove,
}

/// One piece of event state published for a resource. See the
/// [module docs](super).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Publisher {
    target: Bytes,
    from: Bytes,
    to: Bytes,
    call_id: Bytes,
    event: Bytes,
    seq: u32,
    expires: u32,
    state: PublisherState,
    etag: Option<Bytes>,
    // The current document, kept to republish after a 412.
    content_type: Option<Bytes>,
    body: Option<Bytes>,
    in_flight: Option<(u32, Kind)>,
    // A change made while a PUBLISH was in flight.
    queued: Option<Kind>,
    #[cfg_attr(feature = "serde", serde(skip))]
    expires_at: Option<Instant>,
    #[cfg_attr(feature = "serde", serde(skip))]
    refresh_at: Option<Instant>,
    last_status: Option<u16>,
    t1: Duration,
}

impl Publisher {
    /// A publisher for `resource` (the Request-URI, normally the AOR),
    /// sending as `from` (a From value with tag, e.g.
    /// `<sip:alice@a.example>;tag=x`) with `call_id`, for `event` with the
    /// asked duration `expires`. `t1` sets how early refreshes go (64*T1
    /// before expiry, at most half the duration).
    pub fn new(
        resource: &Uri,
        from: &str,
        call_id: &str,
        event: &str,
        expires: u32,
        t1: Duration,
    ) -> Publisher {
        let mut target = Vec::new();
        resource.write(&mut target);
        let mut to = Vec::with_capacity(target.len() + 2);
        to.push(b'<');
        to.extend_from_slice(&target);
        to.push(b'>');
        Publisher {
            target: Bytes::from(target),
            from: Bytes::copy_from_slice(from.as_bytes()),
            to: Bytes::from(to),
            call_id: Bytes::copy_from_slice(call_id.as_bytes()),
            event: Bytes::copy_from_slice(event.as_bytes()),
            seq: 0,
            expires,
            state: PublisherState::Idle,
            etag: None,
            content_type: None,
            body: None,
            in_flight: None,
            queued: None,
            expires_at: None,
            refresh_at: None,
            last_status: None,
            t1,
        }
    }

    /// The state.
    pub fn state(&self) -> PublisherState {
        self.state
    }

    /// The entity-tag of the publication, once the ESC gave one.
    pub fn etag(&self) -> Option<&[u8]> {
        self.etag.as_deref()
    }

    /// When the published state expires.
    pub fn expires_at(&self) -> Option<Instant> {
        self.expires_at
    }

    /// The status of the last final response.
    pub fn last_status(&self) -> Option<StatusCode> {
        self.last_status.and_then(StatusCode::new)
    }

    /// True while a PUBLISH is in flight.
    pub fn is_busy(&self) -> bool {
        self.in_flight.is_some()
    }

    /// When [`Publisher::handle_timeout`] must run next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        match (self.refresh_at, self.expires_at) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    fn build(&mut self, kind: Kind) -> Option<Request> {
        let target = Uri::parse(&self.target).ok()?;
        self.seq = self.seq.wrapping_add(1) & 0x7FFF_FFFF;
        let mut b = RequestBuilder::new(Method::PUBLISH, target)
            .typed(&MaxForwards(70))
            .header(HeaderName::FROM, self.from.clone())
            .header(HeaderName::TO, self.to.clone())
            .typed(&CallId(self.call_id.clone()))
            .typed(&CSeq {
                seq: self.seq,
                method: Method::PUBLISH,
            })
            .header(HeaderName::EVENT, self.event.clone());
        if kind != Kind::Initial {
            b = b.typed(&SipIfMatch(self.etag.clone()?));
        }
        b = b.typed(&Expires(if kind == Kind::Remove {
            0
        } else {
            self.expires
        }));
        let mut r = b.build();
        if matches!(kind, Kind::Initial | Kind::Modify) {
            if let (Some(ct), Some(body)) = (&self.content_type, &self.body) {
                r.headers_mut().push(HeaderName::CONTENT_TYPE, ct.clone());
                r.set_body(body.clone());
            }
        }
        self.in_flight = Some((self.seq, kind));
        if kind == Kind::Initial {
            self.state = PublisherState::Publishing;
        }
        Some(r)
    }

    fn send_or_queue(&mut self, kind: Kind) -> Option<Request> {
        if self.in_flight.is_some() {
            // 4: one PUBLISH at a time; a later change supersedes an
            // earlier queued one, removal supersedes everything.
            self.queued = Some(match (self.queued, kind) {
                (Some(Kind::Remove), _) => Kind::Remove,
                (Some(Kind::Initial), Kind::Modify) => Kind::Initial,
                (_, k) => k,
            });
            return None;
        }
        self.build(kind)
    }

    /// Publishes `body` (4.2 initial, or 4.4 modify when published).
    /// Returns the PUBLISH to send, or `None` when one is in flight (this
    /// one goes out after it).
    pub fn publish(
        &mut self,
        _now: Instant,
        content_type: &ContentType,
        body: Bytes,
    ) -> Option<Request> {
        use crate::header::TypedHeader;
        self.content_type = Some(content_type.to_value());
        self.body = Some(body);
        let kind = if self.etag.is_some() {
            Kind::Modify
        } else {
            Kind::Initial
        };
        self.send_or_queue(kind)
    }

    /// Refreshes now (4.3): SIP-If-Match and no body. Normally
    /// [`Publisher::handle_timeout`] does it before expiry.
    pub fn refresh(&mut self, _now: Instant) -> Option<Request> {
        self.etag.as_ref()?;
        self.refresh_at = None;
        self.send_or_queue(Kind::Refresh)
    }

    /// Removes the state (4.5): SIP-If-Match and Expires: 0.
    pub fn remove(&mut self, _now: Instant) -> Option<Request> {
        self.refresh_at = None;
        if self.etag.is_none() && self.in_flight.is_none() {
            self.state = PublisherState::Removed;
            return None;
        }
        self.body = None;
        self.send_or_queue(Kind::Remove)
    }

    /// A final or provisional response to our PUBLISH (5). Returns the
    /// next PUBLISH to send: the 412 recovery (a new initial publication),
    /// a 423 retry, or a change queued meanwhile.
    pub fn handle_response(&mut self, now: Instant, response: &Response) -> Option<Request> {
        let st = response.status();
        if st.is_provisional() {
            return None;
        }
        let h = response.headers();
        let seq = h.typed::<CSeq>().ok().flatten().map(|c| c.seq);
        let (_, kind) = self.in_flight.filter(|(s, _)| Some(*s) == seq)?;
        self.in_flight = None;
        self.last_status = Some(st.as_u16());
        if st.is_success() {
            if kind == Kind::Remove {
                self.etag = None;
                self.state = PublisherState::Removed;
                self.expires_at = None;
                self.refresh_at = None;
                self.queued = None;
                return None;
            }
            // 8.2: every success brings a new entity-tag.
            if let Some(tag) = h.typed::<SipETag>().ok().flatten() {
                self.etag = Some(Bytes::copy_from_slice(&tag.0));
            }
            let secs = h
                .typed::<Expires>()
                .ok()
                .flatten()
                .map_or(self.expires, |e| e.0);
            let d = Duration::from_secs(u64::from(secs));
            self.expires_at = Some(now + d);
            let margin = self.t1.saturating_mul(64).min(d / 2);
            self.refresh_at = Some(now + d - margin);
            self.state = PublisherState::Published;
        } else if st == StatusCode::CONDITIONAL_REQUEST_FAILED {
            // 5: drop the entity-tag and publish afresh.
            self.etag = None;
            self.expires_at = None;
            self.refresh_at = None;
            if kind == Kind::Remove || self.body.is_none() {
                self.state = PublisherState::Removed;
                self.queued = None;
                return None;
            }
            self.queued = None;
            return self.build(Kind::Initial);
        } else if st == StatusCode::INTERVAL_TOO_BRIEF {
            if let Some(min) = h.typed::<MinExpires>().ok().flatten() {
                if min.0 > self.expires {
                    self.expires = min.0;
                    return self.build(kind);
                }
            }
            self.state = PublisherState::Failed;
        } else if kind == Kind::Initial {
            self.state = PublisherState::Failed;
        }
        // Other failures of a refresh or modify leave the publication as
        // it was until it expires.
        let next = self.queued.take()?;
        let next = match next {
            Kind::Modify | Kind::Refresh if self.etag.is_none() => Kind::Initial,
            // A change made while the initial PUBLISH was in flight
            // modifies the publication it created.
            Kind::Initial if self.etag.is_some() => Kind::Modify,
            Kind::Remove if self.etag.is_none() => {
                self.state = PublisherState::Removed;
                return None;
            }
            k => k,
        };
        if next == Kind::Initial && self.body.is_none() {
            return None;
        }
        self.build(next)
    }

    /// The PUBLISH transaction failed without a response (timeout or
    /// transport error).
    pub fn handle_failure(&mut self, _now: Instant) {
        if let Some((_, kind)) = self.in_flight.take() {
            if kind == Kind::Initial {
                self.state = PublisherState::Failed;
            }
        }
    }

    /// Runs the timers: the refresh (returns the PUBLISH) and the expiry.
    pub fn handle_timeout(&mut self, now: Instant) -> Option<Request> {
        if self.expires_at.is_some_and(|t| t <= now) {
            self.expires_at = None;
            self.refresh_at = None;
            self.etag = None;
            self.state = PublisherState::Removed;
            return None;
        }
        if self.refresh_at.is_some_and(|t| t <= now) {
            self.refresh_at = None;
            return self.refresh(now);
        }
        None
    }
}

/// A publisher's state without instants, to persist (with the `serde`
/// feature) and restore: deadlines become durations from the snapshot. A
/// PUBLISH in flight is forgotten (the next refresh or a 412 sorts it out).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct PublisherSnapshot {
    /// The machine (its instants are not part of it).
    pub publisher: Publisher,
    /// Time left until expiry.
    pub expires_in: Option<Duration>,
    /// Time left until the refresh.
    pub refresh_in: Option<Duration>,
}

impl Publisher {
    /// The state to persist, as of `now`.
    pub fn snapshot(&self, now: Instant) -> PublisherSnapshot {
        let mut publisher = self.clone();
        publisher.expires_at = None;
        publisher.refresh_at = None;
        publisher.in_flight = None;
        if publisher.state == PublisherState::Publishing {
            publisher.state = PublisherState::Idle;
        }
        PublisherSnapshot {
            publisher,
            expires_in: self.expires_at.map(|t| t.saturating_duration_since(now)),
            refresh_in: self.refresh_at.map(|t| t.saturating_duration_since(now)),
        }
    }

    /// A publisher restored from a snapshot, its deadlines counted from
    /// `now`.
    pub fn restore(now: Instant, s: PublisherSnapshot) -> Publisher {
        let mut p = s.publisher;
        p.expires_at = s.expires_in.map(|d| now + d);
        p.refresh_at = s.refresh_in.map(|d| now + d);
        p
    }
}
