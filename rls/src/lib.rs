//! Resource list subscriptions for SIP presence.
//!
//! This crate will hold the documents and the list server of RFC 4662
//! (`application/rlmi+xml` and its `multipart/related` notifications),
//! RFC 4826 (`application/resource-lists+xml`, `application/rls-services+xml`)
//! and RFC 5367 (lists carried in the SUBSCRIBE itself).
//!
//! Nothing is implemented yet: the crate exists so the workspace has its final
//! shape. See the project's issue tracker for the plan.
