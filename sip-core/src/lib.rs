//! `sip-core`: the SIP message layer of simple-peering, Sans-IO.
//!
//! It parses, validates, builds and serializes SIP messages (RFC 3261
//! section 7 and the section 25 grammar) without doing any I/O: bytes in,
//! typed values out, and the reverse.
//!
//! - [`parse`]: the borrowed framing tier (httparse's shape:
//!   [`Status::Complete`] / [`Status::Partial`]) with [`Limits`] on
//!   message size, header count, line length and body size.
//! - [`Message`] ([`Request`] / [`Response`]): owned messages that keep
//!   the received buffer and read their header values and body in place
//!   (a `Bytes` slice is made only when one is asked for; short parts of
//!   typed values, such as hosts, user parts, display names and
//!   parameters, are copied into the value instead of sharing the buffer,
//!   which would cost an atomic reference count each); header order,
//!   duplicates, compact names and unknown headers kept; [`Message::parse_datagram`]
//!   (RFC 3261 18.3), [`Message::validate`] (the rules RFC 4475 tests),
//!   [`Message::write`] (round trip) and [`Message::write_canonical`].
//! - [`framer::StreamFramer`]: stream framing by Content-Length, several
//!   messages per read or one split across reads, RFC 5626 CRLF
//!   keep-alives.
//! - [`uri`]: `sip:`/`sips:` with RFC 3261 19.1.4 comparison, `tel:`
//!   (RFC 3966), `pres:` (RFC 3859), `im:` (RFC 3860), other absolute URIs
//!   through the `url` crate; name-addr.
//! - [`header`]: [`HeaderName`] (case-insensitive, compact forms) and the
//!   typed views through [`TypedHeader`]: Via, From, To, Call-ID, CSeq,
//!   Max-Forwards, Contact, Route, Record-Route, Content-Type,
//!   Content-Length, Content-ID, Content-Disposition, Expires, Min-Expires,
//!   Event, Allow-Events, Subscription-State (RFC 6665), SIP-ETag,
//!   SIP-If-Match (RFC 3903), Require, Proxy-Require, Supported,
//!   Unsupported, Accept, Allow, WWW-Authenticate, Proxy-Authenticate,
//!   Authorization, Proxy-Authorization, Retry-After, Date, Warning.
//! - [`multipart`]: `multipart/mixed` and `multipart/related` (RFC 2046,
//!   RFC 2387) bodies, parsed and built.
//! - [`error`]: one error type per layer, each with what and where, and
//!   the status code a server answers with.
//!
//! The message layer does not cover SDP, S/MIME, Content-Encoding, the
//! Warning and Identity semantics, `tel:` comparison beyond digits and
//! parameters, or RFC 2047 encoded words; the transaction, dialog,
//! subscription, publication and pager modules of this crate build on it:
//!
//! - [`transaction`]: the four transaction machines of RFC 3261 section 17
//!   with RFC 6026 (Accepted states, Timers L and M), timers A-M in a small
//!   table, T1/T2/T4 configurable, matching by branch with the RFC 2543
//!   fallback, ACK of non-2xx inside the client INVITE transaction.
//! - [`endpoint`]: one [`endpoint::Endpoint`] per socket owning many
//!   transactions: `handle_input`, `handle_timeout`, `poll_transmit`,
//!   `poll_timeout`, `poll_event` (its docs show the `no_run` event loop
//!   and the contract: after any `handle_*`, drain `poll_transmit` and
//!   `poll_event`, then read `poll_timeout`).
//! - [`dialog`]: RFC 3261 section 12 dialogs.
//! - [`subscription`]: RFC 6665 subscriber and notifier for any event
//!   package, with RFC 6446 rate control.
//! - [`publication`]: RFC 3903 publisher and event state compositor.
//! - [`pager`]: RFC 3428 pager-mode MESSAGE.
//! - [`target`]: which transports may carry a request to its target
//!   (`sips:` and `transport=tls` need TLS, RFC 3261 8.1.2, 26.2.2); the
//!   endpoint refuses the others.
//!
//! Not covered there: Timer C and proxy behaviour (RFC 3261 16), the
//! transport layer's sent-by check (18.1.2), RFC 5839 conditional
//! notification.
//!
//! ```
//! use sip_core::header::{CSeq, SubscriptionState, SubState};
//! use sip_core::{Limits, Message, Method, Response, StatusCode};
//!
//! let datagram = b"NOTIFY sip:alice@pc33.atlanta.com SIP/2.0\r\n\
//! v: SIP/2.0/UDP pres.biloxi.com;branch=z9hG4bK776sgdkse\r\n\
//! Max-Forwards: 70\r\n\
//! t: <sip:alice@atlanta.com>;tag=1234\r\n\
//! f: <sip:bob@biloxi.com>;tag=abcd\r\n\
//! i: 3848276298220188511@atlanta.com\r\n\
//! CSeq: 2 NOTIFY\r\n\
//! o: presence\r\n\
//! Subscription-State: active;expires=3599\r\n\
//! l: 0\r\n\r\n";
//! let msg = Message::parse_datagram(&datagram[..], &Limits::default()).unwrap();
//! msg.validate().unwrap();
//! let state: SubscriptionState = msg.headers().typed().unwrap().unwrap();
//! assert_eq!((state.expires(), state.state), (Some(3599), SubState::Active));
//! assert_eq!(msg.cseq().unwrap().method, Method::NOTIFY);
//!
//! // Answer it.
//! let ok = Response::from_request(msg.as_request().unwrap(), StatusCode::OK);
//! let wire = ok.to_bytes();
//! assert!(wire.starts_with(b"SIP/2.0 200 OK\r\n"));
//! let again = Message::parse_datagram(wire, &Limits::default()).unwrap();
//! assert_eq!(again.headers().typed::<CSeq>().unwrap(), msg.cseq());
//! ```

pub mod error;
pub mod framer;
pub mod header;
pub mod message;
pub mod method;
pub mod multipart;
pub mod parse;
mod small;
mod text;
pub mod uri;

pub mod dialog;
pub mod endpoint;
pub mod pager;
pub mod publication;
pub mod subscription;
pub mod target;
pub mod transaction;

/// The `bytes` crate, whose `Bytes` the messages hold.
pub use bytes;
pub use bytes::Bytes;
pub use error::{
    HeaderError, HeaderErrorKind, HopError, MultipartError, MultipartErrorKind, ParseError,
    ParseErrorKind, UriError, UriErrorKind, ValidationError,
};
pub use framer::{StreamEvent, StreamFramer};
pub use header::{HeaderName, Headers, TypedHeader};
pub use message::{Message, Request, RequestBuilder, Response};
pub use method::{Method, StatusCode, Version};
pub use parse::{Limits, Status};
pub use uri::{Host, HostText, NameAddr, Params, SipUri, Uri};
