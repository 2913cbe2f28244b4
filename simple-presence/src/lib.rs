//! Presence and instant messaging between peer networks.
//!
//! This crate will tie `sip-core`, `pidf`, `policy`, `rls` and `msrp`
//! together into the roles a service provider runs: a presence user agent, a
//! watcher, a presence agent (RFC 3856, RFC 3857/3858 watcher information), a
//! pager-mode IM endpoint (RFC 3428 with CPIM, IMDN and isComposing), the
//! peering border (RFC 5344) and a clearing house.
//!
//! Nothing is implemented yet: the crate exists so the workspace has its final
//! shape. See the project's issue tracker for the plan.
