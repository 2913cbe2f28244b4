//! PIDF presence documents: a typed, lossless, fast model of what crosses a
//! presence peering link, and the XML tree the workspace's document crates
//! share.
//!
//! What it covers:
//! - `application/pidf+xml` (RFC 3863): [`Presence`] with its [`Tuple`]s
//!   (status, contact and priority, notes with `xml:lang`, timestamp) and
//!   notes; extension elements in any namespace and prefix are kept in place
//!   and written back (section 4.3). Plain PIDF from older clients is just a
//!   document without persons or devices.
//! - The data model (RFC 4479): [`Person`], [`Device`] with `deviceID`, the
//!   tuple as a service, occurrence ids.
//! - RPID (RFC 4480), CIPID (RFC 4482), timed status (RFC 4481) and
//!   capabilities (RFC 5196) as typed views over the extension elements, in
//!   [`ext`].
//! - Partial PIDF (RFC 5262, used by RFC 5263 partial notification):
//!   `pidf-full` and `pidf-diff` documents, diff and patch (the RFC 5261
//!   operations with the XPath subset they need), version tracking, in
//!   [`partial`].
//! - Composition of several publications of one presentity, with a
//!   configurable policy, in [`compose`].
//!
//! Not covered: `mustUnderstand` enforcement (RFC 3863 section 4.3.3 leaves
//! the decision to the application: see [`ext::must_understand`]), XML
//! encodings other than UTF-8, RFC 5261 selectors beyond the subset listed
//! in [`partial`], and namespace names holding references, quotes or white
//! space (refused: they are URIs, and quick-xml resolves the raw text).
//!
//! Lossless means infoset-equal ([`xml::Element::infoset_eq`]): every
//! element, attribute and namespace comes back, in place, with its text;
//! prefixes and where namespaces are declared may change, and comments and
//! white space directly inside presence, tuple, status, person and device
//! are not kept (inside extension elements they are).
//!
//! Text in the model (ids, URIs, notes, language tags, attribute values,
//! character data) is a [`Text`]: read like a `&str`, kept in place up to
//! 24 bytes, borrowed when static and shared when longer, so reading a
//! document allocates little and cloning one copies no long text.
//!
//! Parsing refuses DTDs and caps size, depth, element and attribute counts
//! ([`xml::Limits`]); errors say what and where ([`Error`]). A one-pass
//! parser fills the typed model straight from the crate's own strict
//! tokenizer (the subset of XML presence documents use) and, for anything
//! out of the ordinary, defers to the reference path (the [`xml`] tree,
//! then [`Presence::from_element`]). The tree itself reads plain documents
//! with that tokenizer too, and everything else (comments, CDATA, DTDs,
//! errors) with quick-xml. Writing goes straight from the model to bytes,
//! byte-identical to [`Presence::to_element`] written by
//! [`xml::Element::write`]. Tests and fuzz targets hold each fast path to
//! its reference.
//!
//! ```
//! use pidf::{Basic, Contact, Note, Presence, Priority, Tuple};
//!
//! let doc = Presence::new("pres:alice@example.com").tuple(
//!     Tuple::new("t1")
//!         .basic(Basic::Open)
//!         .contact(Contact::new("sip:alice@example.com").priority(Priority::from_per_mille(800)))
//!         .note(Note::new("at my desk").lang("en")),
//! );
//! let xml = doc.to_xml();
//! let back = Presence::parse(&xml)?;
//! assert_eq!(back.entity.as_deref(), Some("pres:alice@example.com"));
//! let t = &back.tuples[0];
//! assert_eq!(t.status.basic, Some(Basic::Open));
//! assert_eq!(t.contact.as_ref().map(|c| c.uri.as_str()), Some("sip:alice@example.com"));
//! assert_eq!(t.notes[0].lang.as_deref(), Some("en"));
//! assert!(back.infoset_eq(&doc));
//! # Ok::<(), pidf::Error>(())
//! ```
#![cfg_attr(
    not(test),
    deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)
)]

pub mod compose;
mod error;
pub mod ext;
mod fast;
mod model;
pub mod ns;
pub mod partial;
mod scan;
mod text;
mod time;
mod write;
pub mod xml;

pub use error::Error;
pub use model::{Basic, Contact, Device, Note, Person, Presence, Priority, Status, Tuple};
pub use text::Text;
pub use time::{Calendar, Timestamp, UnixTime};
