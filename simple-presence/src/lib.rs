//! Presence and instant messaging between peer networks.
//!
//! This crate ties `sip-core`, `pidf`, `policy`, `rls` and `msrp` together
//! into the roles a service provider runs: a presence user agent, a watcher,
//! a presence agent (RFC 3856, RFC 3857/3858 watcher information), a
//! pager-mode IM endpoint (RFC 3428 with CPIM, IMDN and isComposing), the
//! peering border (RFC 5344) and a clearing house.
//!
//! What exists today:
//! - [`identity`]: the authenticated identity of a peer connection and the
//!   SIP domain certificate rules of RFC 5922, which the peering border
//!   enforces.
//! - [`doc`]: watcher information (RFC 3858, full and partial), isComposing
//!   (RFC 3994) and IMDN (RFC 5438) documents, lossless.

pub mod agent;
pub mod border;
pub mod doc;
mod error;
pub mod hub;
pub mod identity;
pub mod pager;
pub mod sip;
pub mod views;
pub mod watcher;

pub use error::DocError;
