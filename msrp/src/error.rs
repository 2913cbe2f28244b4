//! The crate's error types.
//!
//! Peer errors (bad bytes from the wire) carry a kind and a byte offset and
//! never allocate; protocol errors map to an MSRP status code through
//! [`From`]; usage errors (the application asked for something impossible)
//! are kept apart in [`UsageError`].

use crate::status::StatusCode;

/// What went wrong while parsing an MSRP chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseErrorKind {
    /// The start line is not `MSRP SP transact-id SP (method / status)`.
    #[error("malformed start line")]
    StartLine,
    /// The transaction id is not 4 to 32 ident characters (RFC 4975 section 9).
    #[error("malformed transaction id")]
    TransactionId,
    /// The method is not one or more upper-case letters.
    #[error("malformed method")]
    Method,
    /// The status code is not three digits.
    #[error("malformed status code")]
    StatusCode,
    /// A header line has no `:` or an invalid name.
    #[error("malformed header line")]
    Header,
    /// A line does not end with CRLF.
    #[error("line not terminated by CRLF")]
    LineEnding,
    /// The header section is larger than the configured cap.
    #[error("header section too large")]
    HeadersTooLarge,
    /// More header fields than the configured cap.
    #[error("too many header fields")]
    TooManyHeaders,
    /// The body is larger than the configured chunk cap.
    #[error("chunk body too large")]
    BodyTooLarge,
    /// The end-line is malformed (wrong transaction id or flag).
    #[error("malformed end-line")]
    EndLine,
    /// The input ended inside a chunk.
    #[error("input ends inside a chunk")]
    Incomplete,
    /// A typed header value does not follow its grammar.
    #[error("malformed header value")]
    HeaderValue,
}

/// A parse error: what went wrong and at which byte offset of the input
/// stream (counted from the first byte the parser saw).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{kind} at byte {offset}")]
pub struct ParseError {
    /// What went wrong.
    pub kind: ParseErrorKind,
    /// Where, as a byte offset into the stream or value.
    pub offset: u64,
}

impl ParseError {
    /// Builds an error of `kind` at `offset`.
    pub fn new(kind: ParseErrorKind, offset: u64) -> Self {
        Self { kind, offset }
    }
}

impl From<ParseError> for StatusCode {
    /// Every malformed chunk is answered with 400 except an oversized body
    /// (413, RFC 4975 section 10.5).
    fn from(e: ParseError) -> Self {
        match e.kind {
            ParseErrorKind::BodyTooLarge => StatusCode::TOO_LARGE,
            _ => StatusCode::BAD_REQUEST,
        }
    }
}

/// What went wrong while parsing an MSRP URI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UriErrorKind {
    /// The scheme is neither `msrp` nor `msrps`.
    #[error("scheme is not msrp or msrps")]
    Scheme,
    /// The `//authority` part is missing or malformed.
    #[error("malformed authority")]
    Authority,
    /// The port is not a number in 0..=65535.
    #[error("malformed port")]
    Port,
    /// The session-id has characters outside `unreserved / "+" / "=" / "/"`.
    #[error("malformed session-id")]
    SessionId,
    /// The `;transport` parameter is missing.
    #[error("missing transport")]
    Transport,
    /// A parameter is malformed.
    #[error("malformed parameter")]
    Param,
    /// The URI is longer than the cap.
    #[error("URI too long")]
    TooLong,
}

/// A URI parse error with the byte offset inside the URI text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{kind} at byte {offset} of the URI")]
pub struct UriError {
    /// What went wrong.
    pub kind: UriErrorKind,
    /// Byte offset inside the URI text.
    pub offset: usize,
}

/// An error in a text format other than chunks: SDP, CPIM, digest
/// parameters. `line` is 1-based.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{what} at line {line}")]
pub struct FormatError {
    /// What went wrong.
    pub what: &'static str,
    /// The 1-based line where it went wrong (0 when not line-based).
    pub line: usize,
}

impl FormatError {
    /// Builds an error.
    pub fn new(what: &'static str, line: usize) -> Self {
        Self { what, line }
    }
}

/// A protocol error detected on a received request, answered with a status
/// code (RFC 4975 section 10, RFC 4976 section 8, RFC 7701 section 11).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProtocolError {
    /// The request is malformed (400).
    #[error("bad request: {0}")]
    BadRequest(&'static str),
    /// The action is not allowed (403).
    #[error("forbidden")]
    Forbidden,
    /// The message is larger than the receiver accepts (413).
    #[error("message too large")]
    TooLarge,
    /// The media type is not acceptable (415).
    #[error("unsupported media type")]
    UnsupportedMediaType,
    /// The Expires value is out of bounds (423).
    #[error("interval out of bounds")]
    IntervalOutOfBounds,
    /// The To-Path does not name a session of ours (481).
    #[error("no such session")]
    NoSuchSession,
    /// The method is not understood (501).
    #[error("method not understood")]
    NotImplemented,
    /// The session is bound to another connection (506).
    #[error("session on another connection")]
    WrongConnection,
}

impl From<ProtocolError> for StatusCode {
    fn from(e: ProtocolError) -> Self {
        match e {
            ProtocolError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ProtocolError::Forbidden => StatusCode::FORBIDDEN,
            ProtocolError::TooLarge => StatusCode::TOO_LARGE,
            ProtocolError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ProtocolError::IntervalOutOfBounds => StatusCode::INTERVAL_OUT_OF_BOUNDS,
            ProtocolError::NoSuchSession => StatusCode::NO_SUCH_SESSION,
            ProtocolError::NotImplemented => StatusCode::NOT_IMPLEMENTED,
            ProtocolError::WrongConnection => StatusCode::WRONG_CONNECTION,
        }
    }
}

/// The application asked for something the crate cannot do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UsageError {
    /// No outgoing message has this id.
    #[error("unknown message")]
    UnknownMessage,
    /// Data pushed past the declared size, or after the message was finished.
    #[error("message already complete or data past its declared size")]
    MessageClosed,
    /// The chunk size must be at least one byte.
    #[error("chunk size must be at least 1")]
    ChunkSize,
    /// The value cannot be written on the wire (contains CR or LF, or too long).
    #[error("value not allowed on the wire: {0}")]
    BadValue(&'static str),
}

/// Why a certificate fingerprint was refused: a malformed `a=fingerprint`
/// value (RFC 8122 section 5), or a peer certificate that does not match
/// what the SDP offered (RFC 4975 section 14.4).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FingerprintError {
    /// The value does not follow `hash-func SP 2UHEX *(":" 2UHEX)`.
    #[error("malformed fingerprint: {0}")]
    Syntax(&'static str),
    /// The digest length does not fit the hash function (`expected` is
    /// `None` for an unknown function, whose limit is 1 to 64 bytes).
    #[error("fingerprint of {found} bytes, the hash function needs {}", expected.map_or("1 to 64".to_owned(), |n| n.to_string()))]
    Length {
        /// The length the hash function produces.
        expected: Option<usize>,
        /// The length found.
        found: usize,
    },
    /// The peer's SDP offered no fingerprint for a TLS session.
    #[error("no fingerprint in the SDP for a TLS session")]
    Missing,
    /// None of the offered fingerprints uses a hash function this crate
    /// can compute; the functions offered are listed.
    #[error("no offered fingerprint can be checked (hash functions offered: {})", join_hashes(.0))]
    NoUsableHash(Vec<crate::fingerprint::HashFunc>),
    /// The peer's certificate matches none of the offered fingerprints.
    #[error("the peer certificate does not match the SDP fingerprint")]
    Mismatch,
    /// Chunks arrived on a TLS session before the peer's certificate was
    /// checked.
    #[error("data before the peer certificate was checked")]
    NotChecked,
}

fn join_hashes(h: &[crate::fingerprint::HashFunc]) -> String {
    h.iter().map(|h| h.as_str()).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_map_to_status_codes() {
        for (e, code) in [
            (ProtocolError::BadRequest("x"), 400),
            (ProtocolError::Forbidden, 403),
            (ProtocolError::TooLarge, 413),
            (ProtocolError::UnsupportedMediaType, 415),
            (ProtocolError::IntervalOutOfBounds, 423),
            (ProtocolError::NoSuchSession, 481),
            (ProtocolError::NotImplemented, 501),
            (ProtocolError::WrongConnection, 506),
        ] {
            assert_eq!(StatusCode::from(e).as_u16(), code);
        }
        assert_eq!(
            StatusCode::from(ParseError::new(ParseErrorKind::BodyTooLarge, 9)),
            StatusCode::TOO_LARGE
        );
        assert_eq!(
            StatusCode::from(ParseError::new(ParseErrorKind::Header, 9)),
            StatusCode::BAD_REQUEST
        );
        assert_eq!(
            ParseError::new(ParseErrorKind::EndLine, 42).to_string(),
            "malformed end-line at byte 42"
        );
    }
}
