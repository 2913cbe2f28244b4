//! Presence and instant messaging between peer networks, Sans-IO.
//!
//! This crate ties `sip-core`, `pidf`, `policy`, `rls` and `msrp` together
//! into the roles a service provider runs. Every role takes `sip-core`
//! requests and responses (`handle_*`), hands back what to send
//! (`poll_transmit`) and says when to run its timers (`poll_timeout`, then
//! `handle_timeout`); none does I/O or reads a clock. They sit above the
//! transaction layer: an application runs each behind a
//! `sip_core::endpoint::Endpoint` (retransmissions, matching) and reports
//! a transaction timeout as a 408 response. The tests run them over
//! `testkit`'s in-memory network, directly and (`tests/lossy.rs`) each
//! behind its own `Endpoint` with 20% of the datagrams lost.
//!
//! - [`agent::PresenceAgent`]: the presence server of one domain (RFC 3856):
//!   PUBLISH through the `sip-core` compositor (RFC 3903) and `pidf`
//!   composition; SUBSCRIBE authorized with the presentity's pres-rules
//!   (RFC 5025: block and confirm pending and indistinguishable,
//!   polite-block the neutral document, allow the filtered view);
//!   `presence.winfo` (RFC 3857) to the presentity; back-end subscriptions
//!   from a peering border (one document per distinct view, or the full
//!   document and delegated rules).
//! - [`ua::PresenceUa`]: the presence user agent: PUBLISH, modify,
//!   refresh, remove (RFC 3903) through `sip-core`'s `Publisher`.
//! - [`watcher::PresenceWatcher`]: subscribes to `presence` and
//!   `presence.winfo`; takes `application/pidf+xml`,
//!   `application/pidf-diff+xml` (RFC 5263), RLMI `multipart/related`
//!   (RFC 4662) and watcher information; keeps the state per subscription.
//! - [`pager::Pager`]: pager-mode IM (RFC 3428) in `message/cpim`
//!   (RFC 3862), IMDN delivery and display notifications (RFC 5438),
//!   isComposing (RFC 3994).
//! - [`border::Border`]: the peering border (RFC 5344): peer table, 403 for
//!   untrusted or unauthenticated domains (RFC 5922 identities, and
//!   optionally the top Via sent-by; reasons to a log hook), peers that
//!   require TLS (`sips:` Request-URIs, RFC 3261 section 26.2.2; never
//!   handed out for a plain transport, refused when they arrive over one),
//!   aggregation of local watchers into one back-end subscription per
//!   remote presentity (and one per remote list, RFC 4662), fan-out in
//!   per-view or delegated mode; [`views`] documents the wire format across
//!   the link.
//! - [`list::ListAgent`]: a resource list server (RFC 4662) for one
//!   domain around `rls`'s `ListServer`: public and personal lists, one
//!   back-end presence subscription per member, RLMI NOTIFYs.
//! - [`hub::ClearingHouse`]: a hub several networks connect through, with a
//!   logging hook (optionally headers only).
//! - [`doc`]: watcher information (RFC 3858, full and partial),
//!   isComposing (RFC 3994) and IMDN (RFC 5438) documents, lossless.
//! - [`identity`]: what a peer connection authenticated (RFC 5922).
//!
//! Partial notification (RFC 5263): the agent, and the border to its local
//! watchers, send `application/pidf-diff+xml` to a watcher whose SUBSCRIBE
//! accepts it (`<pidf-full>` version 1 first, then the smaller of a
//! `<pidf-diff>` and `<pidf-full>`, one version up each time, full state on
//! a refresh, one NOTIFY in flight at a time); others get full PIDF.
//!
//! Not done: RFC 5367 peer-RLS back ends (the border aggregates list
//! subscriptions, but the peer's list server still subscribes to each
//! member itself); watcher filters (RFC 4661); IMDN processing notifications
//! and aggregation (RFC 5438 section 8); the winfo `waiting` state.
//!
//! ```
//! use simple_presence::agent::{AgentConfig, PresenceAgent};
//! use simple_presence::watcher::PresenceWatcher;
//! use sip_core::{Bytes, Message};
//! # #[allow(clippy::disallowed_methods)]
//! let now = std::time::Instant::now(); // the application's clock
//! let mut agent = PresenceAgent::new(AgentConfig::new("example.com"));
//! agent.set_rules(now, "sip:bob@example.com", policy::RuleSet::parse(
//!     br#"<ruleset xmlns="urn:ietf:params:xml:ns:common-policy"
//!            xmlns:pr="urn:ietf:params:xml:ns:pres-rules"><rule id="r">
//!       <conditions/><actions><pr:sub-handling>allow</pr:sub-handling></actions>
//!       <transformations><pr:provide-services><pr:all-services/></pr:provide-services>
//!       </transformations></rule></ruleset>"#)?);
//! let mut alice = PresenceWatcher::new("sip:alice@example.com");
//! let sub = alice.subscribe(now, "sip:bob@example.com", "presence", false).unwrap();
//! // Over the wire and back.
//! let sub = Message::parse_datagram(Message::Request(sub).to_bytes(), &Default::default())?;
//! let ok = agent.handle_request(now, sub.as_request().unwrap());
//! assert_eq!(ok.status().as_u16(), 200);
//! alice.handle_response(now, &ok);
//! let notify = agent.poll_transmit().unwrap();
//! let reply = alice.handle_notify(now, &notify);
//! assert_eq!(reply.status().as_u16(), 200);
//! // Nothing published yet: the document says so (one closed tuple).
//! let p = alice.presence("sip:bob@example.com").unwrap();
//! assert_eq!(p.tuples.len(), 1);
//! # let _ = Bytes::new();
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod agent;
pub mod border;
pub mod doc;
mod error;
pub mod hub;
pub mod identity;
pub mod list;
pub mod pager;
mod partial;
pub mod sip;
pub mod ua;
pub mod views;
pub mod watcher;

pub use error::DocError;
