//! The presence user agent (RFC 3903 over RFC 3856): publishes its
//! presentity's PIDF document, modifies it, keeps it fresh and removes it,
//! through `sip-core`'s [`Publisher`] (entity tags, 412 recovery, 423
//! retry, refresh before expiry).

use std::time::{Duration, Instant};

use pidf::Presence;
use sip_core::publication::{Publisher, PublisherState};
use sip_core::{Bytes, Request, Response, Uri};

use crate::sip::content_type;

/// A presence user agent for one presentity. See the [module docs](self).
#[derive(Debug)]
pub struct PresenceUa {
    publisher: Publisher,
}

impl PresenceUa {
    /// A user agent publishing for `presentity` (its AOR), asking for
    /// `expires` seconds per publication. `None` when `presentity` is not a
    /// URI.
    pub fn new(presentity: &str, expires: u32) -> Option<Self> {
        let uri = Uri::parse_str(presentity).ok()?;
        Some(PresenceUa {
            publisher: Publisher::new(
                &uri,
                &format!("<{presentity}>;tag=ua"),
                &format!("ua.{presentity}"),
                "presence",
                expires,
                Duration::from_millis(500),
            ),
        })
    }

    /// Publishes (first time) or modifies (after) the document. Returns the
    /// PUBLISH to send now, or `None` when one is in flight (this one goes
    /// out when it is answered).
    pub fn publish(&mut self, now: Instant, presence: &Presence) -> Option<Request> {
        let ct = content_type("application/pidf+xml")?;
        self.publisher
            .publish(now, &ct, Bytes::from(presence.to_xml()))
    }

    /// Removes the publication (Expires: 0).
    pub fn remove(&mut self, now: Instant) -> Option<Request> {
        self.publisher.remove(now)
    }

    /// A response to our PUBLISH: returns the next PUBLISH, if any.
    pub fn handle_response(&mut self, now: Instant, response: &Response) -> Option<Request> {
        self.publisher.handle_response(now, response)
    }

    /// Runs the refresh timer: returns the refreshing PUBLISH when due.
    pub fn handle_timeout(&mut self, now: Instant) -> Option<Request> {
        self.publisher.handle_timeout(now)
    }

    /// When [`PresenceUa::handle_timeout`] must run next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.publisher.poll_timeout()
    }

    /// The publication's state.
    pub fn state(&self) -> PublisherState {
        self.publisher.state()
    }

    /// The current entity tag.
    pub fn etag(&self) -> Option<&[u8]> {
        self.publisher.etag()
    }
}
