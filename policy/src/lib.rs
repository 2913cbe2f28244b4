//! Presence authorization policy for SIMPLE peering: common-policy
//! (RFC 4745) and presence authorization rules (RFC 5025), their evaluation,
//! the privacy filter applied to PIDF documents, one copy per distinct view
//! across a peering link, and delegation of a presentity's rules to a
//! trusted peer.
//!
//! - [`RuleSet`] parses and writes `application/auth-policy+xml` and
//!   `application/pres-rules+xml` documents on the lossless [`pidf::xml`]
//!   tree: unknown conditions, actions, transformations and namespaces
//!   survive a round trip. A document that cannot be parsed is a typed
//!   [`PolicyError`] and yields no rules, so nothing is shown (fail closed).
//! - [`RuleSet::evaluate`] finds the rules whose conditions hold for a
//!   [`Watcher`] (an identity the server authenticated, never the From
//!   header) in a [`Context`] (the time and sphere, passed in: the crate
//!   reads no clock) and combines them per RFC 4745 section 10.2 into
//!   [`Permissions`]: sub-handling by maximum, booleans by OR, user-input by
//!   maximum, sets by union. What no rule grants is removed.
//! - [`Permissions::apply`] / [`RuleSet::decide`] filter a PIDF document
//!   (RFC 5025 section 3.3): block and confirm give no document,
//!   polite-block the [`neutral_document`], allow the filtered view.
//! - [`RuleSet::views`] groups the watchers of one update by the exact
//!   answer they get and returns each distinct [`ViewGroup`] once.
//! - [`RuleSet::export_for`] cuts the rules down to what a [`Peer`] needs.
//!
//! Readings of the RFCs worth knowing:
//! - `<identity/>` with no children holds for unauthenticated watchers only
//!   (RFC 5025 section 3.1.1.2; for authenticated ones it is RFC 4745's OR
//!   over nothing); an absent `<identity>` holds for everyone.
//! - A `dateTime` without a zone is taken as UTC; without a time in the
//!   [`Context`] every `<validity>` is false; an undefined sphere makes every
//!   `<sphere>` false. Unknown conditions are false (RFC 4745 section 7).
//! - Attribute permissions apply wherever the element appears; the
//!   presentity-level `<note>` follows provide-note; `<user-input>` levels
//!   nest (bare within thresholds within full), treating RFC 4480's
//!   `last-input` like RFC 5025's `since`.
//! - A view is written compactly, without comments, unused namespace
//!   declarations or unknown attributes on the root and components, so it
//!   tells nothing about what was removed, and equal views are equal bytes.
//! - Beyond the presence server, block is disclosed as confirm and
//!   polite-block as allow ([`SubHandling::disclosed`]): the answers a
//!   watcher gets are alike, so nothing downstream can tell it is blocked.
//!
//! Not implemented: XCAP usage (RFC 5025 section 9), the capability
//! discovery of RFC 5025 section 8, meta policies (RFC 4745 section 11), and
//! the mapping between aliases of one user (which RFC 5025 forbids anyway).
//! Watcher-requested subsets of the document (RFC 4745 section 6) are the
//! caller's to intersect.
//!
//! ```
//! use pidf::xml::{Document, Limits};
//! use policy::{Context, RuleSet, SubHandling, Watcher};
//!
//! let rules = RuleSet::parse(br#"<ruleset xmlns="urn:ietf:params:xml:ns:common-policy"
//!     xmlns:pr="urn:ietf:params:xml:ns:pres-rules">
//!   <rule id="friends">
//!     <conditions><identity><one id="sip:bob@example.com"/></identity></conditions>
//!     <actions><pr:sub-handling>allow</pr:sub-handling></actions>
//!     <transformations>
//!       <pr:provide-services><pr:service-uri-scheme>sip</pr:service-uri-scheme></pr:provide-services>
//!     </transformations>
//!   </rule>
//! </ruleset>"#)?;
//!
//! let presence = Document::parse(br#"<presence xmlns="urn:ietf:params:xml:ns:pidf"
//!     entity="pres:alice@example.com">
//!   <tuple id="a"><status><basic>open</basic></status><contact>sip:alice@example.com</contact>
//!     <note>at lunch</note></tuple>
//!   <tuple id="b"><status><basic>open</basic></status><contact>mailto:alice@example.com</contact></tuple>
//! </presence>"#, &Limits::default())?;
//!
//! let ctx = Context::default();
//! let bob = rules.decide(&Watcher::authenticated("sip:bob@example.com"), &ctx, &presence)?;
//! assert_eq!(bob.sub_handling, SubHandling::Allow);
//! assert_eq!(
//!     String::from_utf8(bob.document_bytes().unwrap())?,
//!     "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<presence xmlns=\"urn:ietf:params:xml:ns:pidf\" \
//!      entity=\"pres:alice@example.com\"><tuple id=\"a\"><status><basic>open</basic></status>\
//!      <contact>sip:alice@example.com</contact></tuple></presence>"
//! );
//!
//! // Nobody else is granted anything: no document.
//! let eve = rules.decide(&Watcher::authenticated("sip:eve@example.com"), &ctx, &presence)?;
//! assert_eq!((eve.sub_handling, eve.document), (SubHandling::Block, None));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod delegate;
mod error;
mod eval;
pub mod ns;
mod peering;
mod rules;
mod time;
pub mod uri;
mod view;

pub use delegate::Peer;
pub use error::{PolicyError, Problem, ViewError};
pub use eval::{Context, Permissions, Watcher};
pub use peering::{expand, ViewGroup};
pub use rules::{
    Actions, Components, Conditions, Domain, Except, Identity, Many, QName, Rule, RuleSet,
    SubHandling, Transformations, UserInput,
};
pub use time::DateTime;
pub use view::{neutral_document, presence_sphere, Decision};
