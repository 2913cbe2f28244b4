//! The crate's error type.

use crate::xml::XmlError;

/// Why a presence document (full, partial or patch) was refused or a patch
/// could not be applied.
///
/// Syntax errors carry the byte offset (through [`XmlError`]); semantic errors
/// name the element and, where it has one, the `id` of the tuple, person or
/// device they were found in.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The bytes are not a well-formed, namespace-valid XML document within
    /// the limits.
    #[error("{0}")]
    Xml(#[from] XmlError),
    /// The root element is not the one the document type requires.
    #[error("root element is {found}, expected {expected}")]
    WrongRoot {
        /// What the document type requires, e.g. `{urn:ietf:params:xml:ns:pidf}presence`.
        expected: &'static str,
        /// The root found, as `{namespace}local`.
        found: String,
    },
    /// A required attribute is missing (`id` on a tuple, person or device).
    #[error("<{element}> has no {attribute} attribute")]
    MissingAttribute {
        /// The element, e.g. `tuple`.
        element: &'static str,
        /// The attribute, e.g. `id`.
        attribute: &'static str,
    },
    /// A required child element is missing (`status` in a tuple, `deviceID`
    /// in a device).
    #[error("<{parent} id={id:?}> has no <{element}>")]
    MissingElement {
        /// The parent element.
        parent: &'static str,
        /// The parent's `id`.
        id: String,
        /// The missing child.
        element: &'static str,
    },
    /// A child that may appear at most once appears twice.
    #[error("<{parent} id={id:?}> has more than one <{element}>")]
    Duplicate {
        /// The parent element.
        parent: &'static str,
        /// The parent's `id` (empty for `status`).
        id: String,
        /// The repeated child.
        element: &'static str,
    },
    /// The `entity` attribute is missing (RFC 3863 section 4.1.2); reported
    /// by [`crate::Presence::validate`] only, as RFC 4479's own example omits it.
    #[error("<presence> has no entity attribute")]
    MissingEntity,
    /// Two tuples, persons or devices share an `id` (RFC 3863 section 4.1.4:
    /// ids are unique within a document).
    #[error("id {0:?} is used twice")]
    DuplicateId(String),
    /// A value does not match its type: `basic` other than open/closed,
    /// a `priority` that is not a qvalue, a timestamp that is not an
    /// xs:dateTime, a version that is not a number.
    #[error("<{element}> in {context:?}: invalid value {value:?}")]
    BadValue {
        /// The element or attribute holding the value.
        element: &'static str,
        /// Where: the id of the enclosing tuple, person or device, or the
        /// document part.
        context: String,
        /// The value as found (truncated to 64 bytes).
        value: String,
    },
    /// Character data where only elements may appear.
    #[error("text inside <{0}>, where only elements may appear")]
    UnexpectedText(&'static str),
    /// A patch selector (RFC 5261 section 4.1) that does not parse or uses
    /// XPath beyond the subset partial PIDF needs.
    #[error("selector {sel:?}: {reason}")]
    BadSelector {
        /// The selector.
        sel: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A patch selector that matches no node or more than one (RFC 5261
    /// section 5: `<no-match>`, `<not-single-match>`).
    #[error("selector {sel:?} matches {count} nodes, expected exactly one")]
    NoSingleMatch {
        /// The selector.
        sel: String,
        /// How many nodes it matched (0 or 2).
        count: usize,
    },
    /// A patch operation that is malformed or cannot apply to what its
    /// selector found (RFC 5261 section 5 `<invalid-patch>` family).
    #[error("patch operation {op} on {sel:?}: {reason}")]
    BadPatch {
        /// `add`, `replace` or `remove`.
        op: &'static str,
        /// The operation's selector.
        sel: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// A `pidf-diff` that does not follow the version held (RFC 5262 section
    /// 3.1): the subscriber has missed an update and must fetch full state.
    #[error("version gap: have {have:?}, received {received:?}")]
    VersionGap {
        /// The version of the document held (`None` when none is).
        have: Option<u32>,
        /// The version received.
        received: Option<u32>,
    },
    /// The `entity` of a partial document differs from the one held.
    #[error("entity {received:?} does not match {have:?}")]
    EntityMismatch {
        /// The entity held.
        have: String,
        /// The entity received.
        received: String,
    },
}

/// Truncates a value for an error message, on a character boundary.
pub(crate) fn clip(s: &str) -> String {
    let mut end = s.len().min(64);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s.get(..end).unwrap_or_default().to_owned()
}
