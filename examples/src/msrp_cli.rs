//! Shared plumbing of the `msrp-chat`, `msrp-send-file` and
//! `msrp-recv-file` programs (being built).
