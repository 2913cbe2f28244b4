//! The event state compositor (RFC 3903 6, 8.3).

use super::PublicationError;
use crate::endpoint::Rng;
use crate::header::{ContentType, Event, Expires, HeaderName, SipIfMatch, TypedHeader};
use crate::message::{Request, Response};
use crate::method::StatusCode;
use bytes::Bytes;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::time::{Duration, Instant};

/// Settings of a [`Compositor`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompositorConfig {
    /// Event packages accepted (others get 489).
    pub packages: Vec<String>,
    /// Shortest publication granted (shorter ones get 423).
    pub min_expires: u32,
    /// Longest publication granted (longer ones are cut).
    pub max_expires: u32,
    /// Duration when a PUBLISH has no Expires.
    pub default_expires: u32,
    /// Most publications stored at once (beyond: 503).
    pub max_publications: usize,
    /// Seed of the entity-tag generator.
    pub seed: u64,
}

impl Default for CompositorConfig {
    fn default() -> Self {
        CompositorConfig {
            packages: vec!["presence".into()],
            min_expires: 60,
            max_expires: 86_400,
            default_expires: 3600,
            max_publications: 1 << 20,
            seed: 0,
        }
    }
}

/// One stored publication.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Publication {
    /// The resource (Request-URI as written).
    pub resource: Bytes,
    /// The event package.
    pub event: Bytes,
    /// The Content-Type of the document.
    pub content_type: Option<ContentType>,
    /// The document.
    pub body: Bytes,
    /// When it expires.
    pub expires_at: Instant,
}

/// What changed, for the TU that composes the state.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PublicationEvent {
    /// A new publication (initial PUBLISH or 412 recovery).
    Created {
        /// Its entity-tag.
        etag: Bytes,
        /// The resource.
        resource: Bytes,
    },
    /// The document of a publication changed (its entity-tag too).
    Modified {
        /// The old entity-tag.
        old: Bytes,
        /// The new entity-tag.
        etag: Bytes,
        /// The resource.
        resource: Bytes,
    },
    /// A refresh (no change of document; new entity-tag).
    Refreshed {
        /// The old entity-tag.
        old: Bytes,
        /// The new entity-tag.
        etag: Bytes,
    },
    /// Removed by the publisher (Expires: 0).
    Removed {
        /// Its entity-tag.
        etag: Bytes,
        /// The resource.
        resource: Bytes,
    },
    /// Expired unrefreshed.
    Expired {
        /// Its entity-tag.
        etag: Bytes,
        /// The resource.
        resource: Bytes,
    },
}

/// The ESC: stores publications by entity-tag. See the [module docs](super).
#[derive(Debug)]
pub struct Compositor {
    config: CompositorConfig,
    rng: Rng,
    counter: u64,
    entries: HashMap<Bytes, Publication>,
    timers: BinaryHeap<Reverse<(Instant, Bytes)>>,
    events: VecDeque<PublicationEvent>,
}

impl Compositor {
    /// A compositor.
    pub fn new(config: CompositorConfig) -> Compositor {
        Compositor {
            rng: Rng::new(config.seed),
            config,
            counter: 0,
            entries: HashMap::new(),
            timers: BinaryHeap::new(),
            events: VecDeque::new(),
        }
    }

    /// How many publications are stored.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when none is stored.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The publication of an entity-tag.
    pub fn get(&self, etag: &[u8]) -> Option<&Publication> {
        self.entries.get(etag)
    }

    /// Every publication for `resource` and `event`, to compose.
    pub fn publications<'a>(
        &'a self,
        resource: &'a [u8],
        event: &'a [u8],
    ) -> impl Iterator<Item = (&'a Bytes, &'a Publication)> + 'a {
        self.entries.iter().filter(move |(_, p)| {
            &p.resource[..] == resource && p.event.eq_ignore_ascii_case(event)
        })
    }

    /// The next change to compose.
    pub fn poll_event(&mut self) -> Option<PublicationEvent> {
        self.events.pop_front()
    }

    /// When [`Compositor::handle_timeout`] must run next.
    pub fn poll_timeout(&mut self) -> Option<Instant> {
        while let Some(Reverse((at, tag))) = self.timers.peek() {
            match self.entries.get(tag) {
                Some(p) if p.expires_at == *at => return Some(*at),
                _ => {
                    self.timers.pop();
                }
            }
        }
        None
    }

    /// Expires publications due at `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        while let Some(Reverse((at, _))) = self.timers.peek() {
            if *at > now {
                break;
            }
            let Some(Reverse((at, tag))) = self.timers.pop() else {
                break;
            };
            if self.entries.get(&tag).is_some_and(|p| p.expires_at == at) {
                if let Some(p) = self.entries.remove(&tag) {
                    self.events.push_back(PublicationEvent::Expired {
                        etag: tag,
                        resource: p.resource,
                    });
                }
            }
        }
    }

    fn new_etag(&mut self) -> Bytes {
        // 8.3: unique among current tags and never reused: a counter makes
        // it unique, the random part makes it unguessable.
        self.counter += 1;
        Bytes::from(format!("{:x}.{:016x}", self.counter, self.rng.next_u64()))
    }

    /// Processes a PUBLISH (the steps of section 6; step 1, whether this
    /// ESC holds the resource, is the TU's: pass `known_resource`).
    /// Returns the response to send; changes are queued for
    /// [`Compositor::poll_event`].
    pub fn handle_publish(
        &mut self,
        now: Instant,
        request: &Request,
        known_resource: bool,
    ) -> Response {
        match self.process(now, request, known_resource) {
            Ok((etag, secs)) => {
                let mut r = Response::from_request(request, StatusCode::OK);
                let tag = format!("{:016x}", self.rng.next_u64());
                r.set_to_tag(&tag);
                r.headers_mut().push_typed(&Expires(secs));
                if let Some(etag) = etag {
                    r.headers_mut().push(HeaderName::SIP_ETAG, etag);
                }
                r
            }
            Err(e) => {
                let mut r = Response::from_request(request, StatusCode::from(&e));
                if let PublicationError::IntervalTooBrief { min } = e {
                    r.headers_mut().push_typed(&crate::header::MinExpires(min));
                }
                r
            }
        }
    }

    fn process(
        &mut self,
        now: Instant,
        request: &Request,
        known: bool,
    ) -> Result<(Option<Bytes>, u32), PublicationError> {
        if !known {
            return Err(PublicationError::UnknownResource);
        }
        let h = request.headers();
        // Step 2.
        let ev: Event = h.typed().ok().flatten().ok_or(PublicationError::BadEvent)?;
        if !self
            .config
            .packages
            .iter()
            .any(|p| ev.package.eq_ignore_ascii_case(p.as_bytes()))
        {
            return Err(PublicationError::BadEvent);
        }
        let mut resource = Vec::with_capacity(48);
        request.uri().write(&mut resource);
        // Step 3.
        let if_match = match h.count(&HeaderName::SIP_IF_MATCH) {
            0 => None,
            1 => {
                let m: SipIfMatch = h
                    .typed()
                    .map_err(|_| PublicationError::InvalidIfMatch)?
                    .ok_or(PublicationError::InvalidIfMatch)?;
                Some(m.0)
            }
            _ => return Err(PublicationError::InvalidIfMatch),
        };
        if let Some(tag) = &if_match {
            match self.entries.get(tag) {
                Some(p)
                    if p.resource[..] == resource[..]
                        && p.event.eq_ignore_ascii_case(&ev.package) => {}
                _ => return Err(PublicationError::NoMatch),
            }
        }
        // Step 4.
        let asked = match h.typed::<Expires>() {
            Ok(Some(e)) => e.0,
            Ok(None) => self.config.default_expires,
            Err(_) => return Err(PublicationError::MissingHeader("Expires")),
        };
        if asked > 0 && asked < self.config.min_expires {
            return Err(PublicationError::IntervalTooBrief {
                min: self.config.min_expires,
            });
        }
        let secs = asked.min(self.config.max_expires);
        // Step 5.
        let body = request.body();
        let ct: Option<ContentType> = h.typed().ok().flatten();
        if !body.is_empty() && ct.is_none() {
            return Err(PublicationError::UnsupportedMediaType);
        }
        let expires_at = now + Duration::from_secs(u64::from(secs));
        match if_match {
            None => {
                if body.is_empty() {
                    return Err(PublicationError::EmptyInitial);
                }
                if secs == 0 {
                    // Nothing to keep: accepted without state.
                    return Ok((None, 0));
                }
                if self.entries.len() >= self.config.max_publications {
                    return Err(PublicationError::Overload);
                }
                let etag = self.new_etag();
                let resource = Bytes::from(resource);
                self.entries.insert(
                    etag.clone(),
                    Publication {
                        resource: resource.clone(),
                        event: Bytes::copy_from_slice(&ev.package),
                        content_type: ct,
                        body: Bytes::copy_from_slice(body),
                        expires_at,
                    },
                );
                self.timers.push(Reverse((expires_at, etag.clone())));
                self.events.push_back(PublicationEvent::Created {
                    etag: etag.clone(),
                    resource,
                });
                Ok((Some(etag), secs))
            }
            Some(old) => {
                let Some(mut p) = self.entries.remove(&old) else {
                    return Err(PublicationError::NoMatch);
                };
                if secs == 0 {
                    self.events.push_back(PublicationEvent::Removed {
                        etag: old,
                        resource: p.resource,
                    });
                    return Ok((None, 0));
                }
                let etag = self.new_etag();
                p.expires_at = expires_at;
                let ev = if body.is_empty() {
                    PublicationEvent::Refreshed {
                        old,
                        etag: etag.clone(),
                    }
                } else {
                    p.content_type = ct;
                    p.body = Bytes::copy_from_slice(body);
                    PublicationEvent::Modified {
                        old,
                        etag: etag.clone(),
                        resource: p.resource.clone(),
                    }
                };
                self.entries.insert(etag.clone(), p);
                self.timers.push(Reverse((expires_at, etag.clone())));
                self.events.push_back(ev);
                Ok((Some(etag), secs))
            }
        }
    }
}

impl Compositor {
    /// The Expires value granted for `asked` seconds (clamped to the
    /// configured maximum).
    pub fn granted(&self, asked: u32) -> u32 {
        asked.min(self.config.max_expires)
    }
}

/// One stored publication without instants (see [`CompositorSnapshot`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct PublicationSnapshot {
    /// Its entity-tag.
    pub etag: Bytes,
    /// The resource.
    pub resource: Bytes,
    /// The event package.
    pub event: Bytes,
    /// The Content-Type, as written.
    pub content_type: Option<Bytes>,
    /// The document.
    pub body: Bytes,
    /// Time left until expiry.
    pub expires_in: Duration,
}

/// A compositor's state without instants, to persist (with the `serde`
/// feature) and restore. The entity-tag counter and generator state are
/// kept, so tags issued after a restore never repeat earlier ones (8.3).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct CompositorSnapshot {
    /// Entity-tags issued so far.
    pub counter: u64,
    /// Generator state.
    pub rng: u64,
    /// The publications.
    pub publications: Vec<PublicationSnapshot>,
}

impl Compositor {
    /// The state to persist, as of `now`.
    pub fn snapshot(&self, now: Instant) -> CompositorSnapshot {
        let mut publications: Vec<PublicationSnapshot> = self
            .entries
            .iter()
            .map(|(etag, p)| PublicationSnapshot {
                etag: etag.clone(),
                resource: p.resource.clone(),
                event: p.event.clone(),
                content_type: p.content_type.as_ref().map(TypedHeader::to_value),
                body: p.body.clone(),
                expires_in: p.expires_at.saturating_duration_since(now),
            })
            .collect();
        publications.sort_by(|a, b| a.etag.cmp(&b.etag));
        CompositorSnapshot {
            counter: self.counter,
            rng: self.rng.state(),
            publications,
        }
    }

    /// A compositor restored from a snapshot, expiries counted from `now`.
    pub fn restore(config: CompositorConfig, now: Instant, s: CompositorSnapshot) -> Compositor {
        let mut c = Compositor::new(config);
        c.counter = s.counter;
        c.rng = Rng::new(s.rng);
        for p in s.publications {
            let expires_at = now + p.expires_in;
            c.timers.push(Reverse((expires_at, p.etag.clone())));
            c.entries.insert(
                p.etag,
                Publication {
                    resource: p.resource,
                    event: p.event,
                    content_type: p.content_type.and_then(|v| ContentType::decode(&v).ok()),
                    body: p.body,
                    expires_at,
                },
            );
        }
        c
    }
}
