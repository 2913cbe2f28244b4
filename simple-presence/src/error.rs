//! The crate's error types.

use pidf::xml::XmlError;

/// A document (watcherinfo, isComposing, IMDN) that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DocError {
    /// The XML itself is malformed or over a limit.
    #[error("{doc}: {source}")]
    Xml {
        /// Which document type was being read.
        doc: &'static str,
        /// The XML error, with its byte offset.
        #[source]
        source: XmlError,
    },
    /// The root element is not the one the document type requires.
    #[error("{doc}: root element is <{found}>, expected <{expected}> in its namespace")]
    WrongRoot {
        /// Which document type was being read.
        doc: &'static str,
        /// The local name expected.
        expected: &'static str,
        /// The local name found.
        found: String,
    },
    /// A required element or attribute is absent.
    #[error("{doc}: missing {what}")]
    Missing {
        /// Which document type was being read.
        doc: &'static str,
        /// What is missing, e.g. `attribute version of <watcherinfo>`.
        what: &'static str,
    },
    /// An element or attribute value is outside its grammar.
    #[error("{doc}: invalid {what}: {value:?}")]
    Invalid {
        /// Which document type was being read.
        doc: &'static str,
        /// Which value, e.g. `attribute state of <watcherinfo>`.
        what: &'static str,
        /// The value as found (truncated to 64 characters).
        value: String,
    },
    /// More items than the configured cap.
    #[error("{doc}: more than {limit} {what}")]
    TooMany {
        /// Which document type was being read.
        doc: &'static str,
        /// What was counted.
        what: &'static str,
        /// The cap.
        limit: usize,
    },
}

impl DocError {
    pub(crate) fn invalid(doc: &'static str, what: &'static str, value: &str) -> Self {
        DocError::Invalid {
            doc,
            what,
            value: value.chars().take(64).collect(),
        }
    }
}
