//! PIDF presence documents (RFC 3863) and the XML tree the document crates
//! share.
//!
//! The typed presence model lands on top of [`xml`], the lossless tree that
//! keeps unknown extensions in place.

pub mod xml;
