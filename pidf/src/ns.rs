//! Namespace URIs of the presence formats this crate models.
//!
//! Code compares element names by these URIs, never by prefix.

/// PIDF (RFC 3863 section 4.1).
pub const PIDF: &str = "urn:ietf:params:xml:ns:pidf";
/// The presence data model: person, device, deviceID (RFC 4479 section 4).
pub const DATA_MODEL: &str = "urn:ietf:params:xml:ns:pidf:data-model";
/// RPID, rich presence extensions (RFC 4480 section 5).
pub const RPID: &str = "urn:ietf:params:xml:ns:pidf:rpid";
/// CIPID, contact information (RFC 4482 section 3).
pub const CIPID: &str = "urn:ietf:params:xml:ns:pidf:cipid";
/// Timed presence status (RFC 4481 section 3).
pub const TIMED_STATUS: &str = "urn:ietf:params:xml:ns:pidf:timed-status";
/// User agent capabilities, servcaps and devcaps (RFC 5196 section 3).
pub const CAPS: &str = "urn:ietf:params:xml:ns:pidf:caps";
/// Partial PIDF, `pidf-full` and `pidf-diff` (RFC 5262 section 3).
pub const PIDF_DIFF: &str = "urn:ietf:params:xml:ns:pidf-diff";
/// Location types used inside RPID `place-type` (RFC 4589).
pub const LOCATION_TYPE: &str = "urn:ietf:params:xml:ns:location-type";
/// The namespace of `xml:lang`.
pub const XML: &str = crate::xml::XML_NS;

/// The prefix this crate declares for `ns` when it has to declare one.
pub(crate) fn conventional_prefix(ns: &str) -> Option<&'static str> {
    Some(match ns {
        DATA_MODEL => "dm",
        RPID => "rpid",
        CIPID => "c",
        TIMED_STATUS => "ts",
        CAPS => "caps",
        PIDF_DIFF => "p",
        LOCATION_TYPE => "lt",
        _ => return None,
    })
}
