//! Event state publication (RFC 3903): the [`Publisher`] (the event
//! publication agent, EPA) and the [`Compositor`] (the event state
//! compositor, ESC). Like the subscription machines they deal in requests
//! and responses and take `now` as input.
//!
//! Covered: initial publication, refresh (SIP-If-Match, no body),
//! modification, removal (Expires: 0), 412 recovery by a new initial
//! publication, 423 retry with Min-Expires, one PUBLISH in flight at a
//! time (later changes are merged, 4), and on the ESC side the six steps
//! of section 6 with fresh entity-tags per success (8.3) and expiry. Not
//! covered: composition itself (the TU combines the stored documents) and
//! the OPTIONS handling of section 7.

mod compositor;
mod publisher;

pub use compositor::{
    Compositor, CompositorConfig, CompositorSnapshot, Publication, PublicationEvent,
    PublicationSnapshot,
};
pub use publisher::{Publisher, PublisherSnapshot, PublisherState};

use crate::method::StatusCode;

/// A refused PUBLISH; maps to the status to answer (RFC 3903 6).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PublicationError {
    /// Step 1: not a resource this ESC holds state for (404).
    #[error("unknown resource")]
    UnknownResource,
    /// Step 2: no Event, or a package not handled (489).
    #[error("bad or unsupported event")]
    BadEvent,
    /// Step 3: SIP-If-Match with several or malformed entity-tags (400).
    #[error("invalid SIP-If-Match")]
    InvalidIfMatch,
    /// Step 3: the entity-tag matches nothing stored (412).
    #[error("no publication with this entity-tag")]
    NoMatch,
    /// Step 4: Expires below the minimum (423).
    #[error("interval too brief, at least {min} s")]
    IntervalTooBrief {
        /// The Min-Expires to send.
        min: u32,
    },
    /// Step 5: an initial publication without a body (400).
    #[error("initial publication without a body")]
    EmptyInitial,
    /// Step 5: a body the package does not take (415).
    #[error("unsupported media type")]
    UnsupportedMediaType,
    /// Too many publications stored (503).
    #[error("too many publications")]
    Overload,
    /// A header the request needs is missing or unreadable (400).
    #[error("missing or unreadable {0}")]
    MissingHeader(&'static str),
}

impl From<&PublicationError> for StatusCode {
    fn from(e: &PublicationError) -> StatusCode {
        match e {
            PublicationError::UnknownResource => StatusCode::NOT_FOUND,
            PublicationError::BadEvent => StatusCode::BAD_EVENT,
            PublicationError::NoMatch => StatusCode::CONDITIONAL_REQUEST_FAILED,
            PublicationError::IntervalTooBrief { .. } => StatusCode::INTERVAL_TOO_BRIEF,
            PublicationError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            PublicationError::Overload => StatusCode::SERVICE_UNAVAILABLE,
            PublicationError::InvalidIfMatch
            | PublicationError::EmptyInitial
            | PublicationError::MissingHeader(_) => StatusCode::BAD_REQUEST,
        }
    }
}
