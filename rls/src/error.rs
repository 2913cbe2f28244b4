//! The crate's error types.

use pidf::xml::XmlError;

/// Which document a [`DocError`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DocKind {
    /// `application/rlmi+xml` (RFC 4662 section 5).
    Rlmi,
    /// `application/resource-lists+xml` (RFC 4826 section 3).
    ResourceLists,
    /// `application/rls-services+xml` (RFC 4826 section 4).
    RlsServices,
}

impl std::fmt::Display for DocKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            DocKind::Rlmi => "rlmi",
            DocKind::ResourceLists => "resource-lists",
            DocKind::RlsServices => "rls-services",
        })
    }
}

/// What is wrong with a well-formed XML document that is not a valid
/// instance of its schema.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DocErrorKind {
    /// The XML itself is malformed, too large or refused (DOCTYPE).
    #[error("{}", .0.kind)]
    Xml(#[from] XmlError),
    /// The root element is not the one the document type requires; names are
    /// matched by namespace URI, so a root in no namespace lands here too.
    #[error("root element is {{{found_ns}}}{found}, expected {{{expected_ns}}}{expected}")]
    WrongRoot {
        /// Namespace URI of the root found (empty for none).
        found_ns: String,
        /// Local name of the root found.
        found: String,
        /// Namespace URI required.
        expected_ns: &'static str,
        /// Local name required.
        expected: &'static str,
    },
    /// A required attribute is absent.
    #[error("missing required attribute {attribute:?}")]
    MissingAttribute {
        /// The attribute's name.
        attribute: &'static str,
    },
    /// An attribute's value is outside its type.
    #[error("attribute {attribute:?} has invalid value {value:?}")]
    InvalidAttribute {
        /// The attribute's name.
        attribute: &'static str,
        /// The value found.
        value: String,
    },
    /// A required child element is absent.
    #[error("missing required element <{element}>")]
    MissingElement {
        /// The element's local name.
        element: &'static str,
    },
}

/// A document parse error: which document, what, and where (an element
/// path such as `/list/resource[2]/instance[1]`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{doc} document: {kind} at {at}")]
pub struct DocError {
    /// The document type being parsed.
    pub doc: DocKind,
    /// What went wrong.
    pub kind: DocErrorKind,
    /// Element path where it was found (`/` for the document itself).
    pub at: String,
}

impl DocError {
    pub(crate) fn new(doc: DocKind, kind: DocErrorKind, at: impl Into<String>) -> Self {
        DocError {
            doc,
            kind,
            at: at.into(),
        }
    }

    pub(crate) fn xml(doc: DocKind, e: XmlError) -> Self {
        let at = format!("byte {}", e.offset);
        DocError::new(doc, DocErrorKind::Xml(e), at)
    }
}

/// What went wrong while parsing a MIME `multipart` body or a
/// `Content-Type` value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MimeErrorKind {
    /// The body is larger than the configured cap.
    #[error("body larger than {limit} bytes")]
    TooLarge {
        /// The cap that was exceeded.
        limit: usize,
    },
    /// More parts than the configured cap.
    #[error("more than {limit} parts")]
    TooManyParts {
        /// The cap that was exceeded.
        limit: usize,
    },
    /// A part with more headers than the configured cap.
    #[error("more than {limit} headers in a part")]
    TooManyHeaders {
        /// The cap that was exceeded.
        limit: usize,
    },
    /// Multipart bodies nested deeper than the configured cap.
    #[error("multipart nested deeper than {limit}")]
    TooDeep {
        /// The cap that was exceeded.
        limit: usize,
    },
    /// A `Content-Type` value that does not follow RFC 2045 section 5.1.
    #[error("malformed Content-Type")]
    BadContentType,
    /// A multipart `Content-Type` without a usable `boundary` parameter.
    #[error("missing or invalid boundary parameter")]
    BadBoundary,
    /// The body does not start with (or never reaches) a delimiter line.
    #[error("no opening boundary delimiter")]
    NoDelimiter,
    /// A multipart body with no part (RFC 2046 section 5.1.1 requires one).
    #[error("multipart body without parts")]
    NoParts,
    /// The closing delimiter (`--boundary--`) never comes.
    #[error("no closing boundary delimiter")]
    Unterminated,
    /// A header line in a part that is neither `name: value` nor a
    /// continuation.
    #[error("malformed part header line")]
    BadHeader,
    /// A part without the empty line that ends its headers.
    #[error("part headers not terminated by an empty line")]
    HeadersUnterminated,
    /// The body's content type is not `multipart/related` with
    /// `type="application/rlmi+xml"` (RFC 4662 section 5).
    #[error("not a multipart/related RLMI body")]
    NotRlmi,
    /// No part carries the RLMI root (by `start`, or first part).
    #[error("no application/rlmi+xml root part")]
    NoRoot,
    /// The root part's RLMI document is invalid.
    #[error("root part: {0}")]
    Root(Box<DocError>),
}

/// A MIME error with the byte offset near which it was found (framing
/// errors; errors inside the RLMI root carry their own position).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind}{}", at_byte(kind, *offset))]
pub struct MimeError {
    /// What went wrong.
    pub kind: MimeErrorKind,
    /// Byte offset into the parsed input.
    pub offset: usize,
}

fn at_byte(kind: &MimeErrorKind, offset: usize) -> String {
    match kind {
        MimeErrorKind::Root(_) | MimeErrorKind::NotRlmi | MimeErrorKind::NoRoot => String::new(),
        _ => format!(" (at byte {offset})"),
    }
}

impl MimeError {
    pub(crate) fn new(kind: MimeErrorKind, offset: usize) -> Self {
        MimeError { kind, offset }
    }
}

/// Why a list could not be expanded (RFC 4826 section 3.2 references and
/// nesting resolved against a caller-supplied resolver).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ExpandError {
    /// Expansion found more distinct members than the cap.
    #[error("list expands to more than {limit} members")]
    TooManyMembers {
        /// The cap that was exceeded.
        limit: usize,
    },
    /// Lists, references or externals nest deeper than the cap.
    #[error("list nesting deeper than {limit}")]
    TooDeep {
        /// The cap that was exceeded.
        limit: usize,
    },
    /// A reference or external anchor leads back to a list being expanded.
    #[error("reference loop through {reference:?}")]
    Loop {
        /// The reference or anchor seen twice on one path.
        reference: String,
    },
    /// The resolver knows nothing about a reference or anchor.
    #[error("unresolvable reference {reference:?}")]
    Unresolved {
        /// The `entry-ref` ref or `external` anchor.
        reference: String,
    },
}
