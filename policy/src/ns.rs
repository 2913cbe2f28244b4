//! Namespace URIs of the documents this crate reads and writes.

/// Common policy, RFC 4745 section 15.1.
pub const COMMON_POLICY: &str = "urn:ietf:params:xml:ns:common-policy";
/// Presence authorization rules, RFC 5025 section 11.2.
pub const PRES_RULES: &str = "urn:ietf:params:xml:ns:pres-rules";
/// PIDF, RFC 3863.
pub const PIDF: &str = "urn:ietf:params:xml:ns:pidf";
/// The presence data model (person, device), RFC 4479.
pub const DATA_MODEL: &str = "urn:ietf:params:xml:ns:pidf:data-model";
/// RPID, RFC 4480.
pub const RPID: &str = "urn:ietf:params:xml:ns:pidf:rpid";
