//! Pager-mode instant messages (RFC 3428): MESSAGE requests outside any
//! dialog, each in its own non-INVITE transaction of the
//! [`Endpoint`].
//!
//! Sending: [`message`] builds the request (fresh tag and Call-ID from the
//! endpoint's seeded generator), [`send`] sends it and enforces the size
//! rule of section 6: over a transport without congestion control (UDP),
//! a MESSAGE larger than 1300 bytes is refused ([`PagerError::TooLarge`]);
//! send it over TCP or TLS instead. Receiving: [`answer`] checks an
//! incoming MESSAGE (section 7) and returns the response: 200 without a
//! body (7: a 2xx to MESSAGE carries none), 415 with Accept for a type not
//! taken, 413 for a body over the limit.
//!
//! ```
//! use sip_core::endpoint::{Endpoint, EndpointConfig, Event, Peer};
//! use sip_core::header::{ContentType, MediaType};
//! use sip_core::{pager, NameAddr, Uri};
//! let t0 = std::time::Instant::now(); // the application's clock
//! let mut alice = Endpoint::new(EndpointConfig::for_addr("192.0.2.1:5060".parse().unwrap()));
//! let mut bob = Endpoint::new(EndpointConfig::for_addr("192.0.2.2:5060".parse().unwrap()));
//! let text = ContentType(MediaType::new("text", "plain").unwrap());
//! let msg = pager::message(
//!     &mut alice,
//!     NameAddr::new(Uri::parse_str("sip:alice@atlanta.example.com").unwrap()),
//!     Uri::parse_str("sip:bob@biloxi.example.com").unwrap(),
//!     &text,
//!     "Watson, come here.",
//! );
//! pager::send(&mut alice, t0, msg, Peer::udp("192.0.2.2:5060".parse().unwrap())).unwrap();
//! let wire = alice.poll_transmit().unwrap();
//! bob.handle_input(t0, Peer::udp("192.0.2.1:5060".parse().unwrap()), wire.contents);
//! let Some(Event::Request { transaction, request, .. }) = bob.poll_event() else { panic!() };
//! let reply = pager::answer(&request, &[text], 4096);
//! assert_eq!(reply.status().as_u16(), 200);
//! bob.send_response(t0, transaction, &reply).unwrap();
//! ```

use crate::endpoint::{Endpoint, Peer, SendError, TransactionId, MAX_UDP_REQUEST};
use crate::header::{Accept, CSeq, CallId, ContentType, From, MaxForwards, To};
use crate::message::{Request, RequestBuilder, Response};
use crate::method::{Method, StatusCode};
use crate::uri::{NameAddr, Uri};
use bytes::Bytes;
use std::time::Instant;

/// Why a MESSAGE was not sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PagerError {
    /// Over 1300 bytes on a transport without congestion control (6).
    #[error("MESSAGE of {size} bytes is over {limit} bytes without congestion control")]
    TooLarge {
        /// Its size.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// Not a MESSAGE request.
    #[error("not a MESSAGE request")]
    NotMessage,
    /// The endpoint refused it.
    #[error(transparent)]
    Send(SendError),
}

/// Builds a MESSAGE from `from` to `to` with a fresh From tag and
/// Call-ID, CSeq 1, and the body.
pub fn message(
    ep: &mut Endpoint,
    from: NameAddr,
    to: Uri,
    content_type: &ContentType,
    body: impl Into<Bytes>,
) -> Request {
    let tag = ep.new_tag();
    let call_id = ep.new_call_id();
    let from = From::new(from);
    let from = from.with_tag(&tag).unwrap_or(from);
    RequestBuilder::new(Method::MESSAGE, to.clone())
        .typed(&MaxForwards(70))
        .typed(&from)
        .typed(&To::new(NameAddr::new(to)))
        .typed(&CallId(Bytes::from(call_id)))
        .typed(&CSeq {
            seq: 1,
            method: Method::MESSAGE,
        })
        .body(content_type, body)
        .build()
}

/// Sends a MESSAGE in a new non-INVITE transaction, refusing one that is
/// too large for the transport (RFC 3428 6, RFC 3261 18.1.1).
pub fn send(
    ep: &mut Endpoint,
    now: Instant,
    request: Request,
    peer: Peer,
) -> Result<TransactionId, PagerError> {
    if *request.method() != Method::MESSAGE {
        return Err(PagerError::NotMessage);
    }
    match ep.send_request(now, request, peer) {
        Ok(id) => Ok(id),
        Err(SendError::TooLarge { size, limit }) => Err(PagerError::TooLarge { size, limit }),
        Err(e) => Err(PagerError::Send(e)),
    }
}

/// The size limit for `peer`'s transport: 1300 bytes unless it is
/// congestion-controlled.
pub fn size_limit(peer: Peer) -> Option<usize> {
    (!peer.transport.is_congestion_controlled()).then_some(MAX_UDP_REQUEST)
}

/// The response to an incoming MESSAGE (RFC 3428 7): 200 (no body) when
/// its Content-Type is one of `accepted` and its body at most `max_body`
/// bytes; 415 with Accept listing `accepted`; 413; 405 for another method.
pub fn answer(request: &Request, accepted: &[ContentType], max_body: usize) -> Response {
    if *request.method() != Method::MESSAGE {
        return Response::from_request(request, StatusCode::METHOD_NOT_ALLOWED);
    }
    if request.body().len() > max_body {
        return Response::from_request(request, StatusCode::REQUEST_ENTITY_TOO_LARGE);
    }
    let ct: Option<ContentType> = request.headers().typed().ok().flatten();
    let ok = ct.is_some_and(|ct| {
        accepted.iter().any(|a| {
            ct.0.mtype().eq_ignore_ascii_case(a.0.mtype())
                && ct.0.subtype().eq_ignore_ascii_case(a.0.subtype())
        })
    });
    if !ok {
        let mut r = Response::from_request(request, StatusCode::UNSUPPORTED_MEDIA_TYPE);
        for a in accepted {
            r.headers_mut().push_typed(&Accept(a.0.clone()));
        }
        return r;
    }
    Response::from_request(request, StatusCode::OK)
}
