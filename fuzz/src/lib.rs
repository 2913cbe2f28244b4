//! Fuzz entry points for every parser in the workspace.
//!
//! Each function here takes arbitrary bytes and drives one parser; the
//! cargo-fuzz targets in `fuzz_targets/` are thin wrappers around them, and
//! `tests/replay.rs` replays the stored corpora through the same functions on
//! stable Rust so CI checks them without a nightly toolchain.

pub mod msrp;
pub mod pidf;
pub mod policy;
pub mod rls;
pub mod simple_presence;
pub mod sip;
pub mod sip_endpoint;
pub mod xml;
