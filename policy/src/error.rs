//! The crate's error types.

use pidf::xml::XmlError;

/// Why a rule document was refused.
///
/// A rule document that cannot be parsed fails closed: the caller has no
/// [`RuleSet`](crate::RuleSet), so no presence is shown to anyone.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyError {
    /// The document is not well-formed, or breaks a [`Limits`](pidf::xml::Limits) cap.
    #[error("rule document: {0}")]
    Xml(#[from] XmlError),
    /// The root element is not a common-policy `<ruleset>`.
    #[error("root element is <{found}>, expected a common-policy <ruleset>")]
    NotRuleset {
        /// The local name of the root that was found.
        found: String,
    },
    /// An element of a rule breaks the schema of RFC 4745 or RFC 5025.
    #[error("<{element}> in rule {}: {problem}", rule.as_deref().map_or("(none)".to_owned(), |r| format!("{r:?}")))]
    Invalid {
        /// The id of the rule it is in, when known.
        rule: Option<String>,
        /// The local name of the offending element.
        element: &'static str,
        /// What is wrong with it.
        problem: Problem,
    },
}

/// What is wrong with an element, in [`PolicyError::Invalid`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Problem {
    /// A required attribute is absent.
    #[error("missing attribute {0:?}")]
    MissingAttribute(&'static str),
    /// A value that the schema does not allow.
    #[error("invalid value {0:?}")]
    BadValue(String),
    /// Two rules share an id (RFC 4745 section 6.1).
    #[error("rule id used twice")]
    DuplicateId,
    /// An element that may appear once appears again.
    #[error("appears more than once")]
    Repeated,
    /// `<from>` and `<until>` are not in pairs (RFC 4745 section 7.4).
    #[error("<from> and <until> not in pairs")]
    UnpairedValidity,
}

/// Why a view could not be computed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ViewError {
    /// The presence document's root is not a PIDF `<presence>`.
    #[error("root element is <{found}>, expected a PIDF <presence>")]
    NotPresence {
        /// The local name of the root that was found.
        found: String,
    },
    /// The presence document itself could not be parsed.
    #[error("presence document: {0}")]
    Xml(#[from] XmlError),
}
