//! Message composition indication, `application/im-iscomposing+xml`
//! (RFC 3994 section 4).
//!
//! ```
//! use simple_presence::doc::iscomposing::{IsComposing, ComposeState};
//! let mut c = IsComposing::new(ComposeState::Active);
//! c.set_refresh(Some(90));
//! let back = IsComposing::parse(&c.to_bytes())?;
//! assert_eq!((back.state(), back.refresh()), (ComposeState::Active, Some(90)));
//! # Ok::<(), simple_presence::DocError>(())
//! ```
#![cfg_attr(
    not(test),
    deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)
)]

use pidf::xml::{Document, Element, Limits};

use super::{child_text, parse_root, set_child_text, to_bytes};
use crate::error::DocError;

/// The isComposing namespace.
pub const NS: &str = "urn:ietf:params:xml:ns:im-iscomposing";
/// The MIME type of these documents.
pub const CONTENT_TYPE: &str = "application/im-iscomposing+xml";
const DOC: &str = "isComposing";

/// The composer's state (RFC 3994 section 3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ComposeState {
    /// Composing a message.
    Active,
    /// Not composing.
    Idle,
}

impl ComposeState {
    /// The element text.
    pub fn as_str(self) -> &'static str {
        match self {
            ComposeState::Active => "active",
            ComposeState::Idle => "idle",
        }
    }
}

/// An isComposing document: typed fields over the lossless tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IsComposing {
    doc: Document,
    state: ComposeState,
    refresh: Option<u32>,
}

impl IsComposing {
    /// A document with only `<state>`.
    pub fn new(state: ComposeState) -> Self {
        let root = Element::new(NS, "isComposing")
            .with_child(Element::new(NS, "state").with_text(state.as_str()));
        IsComposing {
            doc: Document::new(root),
            state,
            refresh: None,
        }
    }

    /// Parses with the default XML limits.
    pub fn parse(input: &[u8]) -> Result<Self, DocError> {
        Self::parse_with(input, &Limits::default())
    }

    /// Parses with the given XML limits.
    pub fn parse_with(input: &[u8], limits: &Limits) -> Result<Self, DocError> {
        let doc = parse_root(input, limits, DOC, NS, "isComposing")?;
        let s = child_text(&doc.root, NS, "state").ok_or(DocError::Missing {
            doc: DOC,
            what: "<state>",
        })?;
        let state = match s.as_str() {
            "active" => ComposeState::Active,
            "idle" => ComposeState::Idle,
            _ => return Err(DocError::invalid(DOC, "<state>", &s)),
        };
        let refresh = match child_text(&doc.root, NS, "refresh") {
            None => None,
            Some(r) => match r.parse::<u32>() {
                Ok(n) if n > 0 => Some(n),
                _ => return Err(DocError::invalid(DOC, "<refresh>", &r)),
            },
        };
        Ok(IsComposing {
            doc,
            state,
            refresh,
        })
    }

    /// `<state>`.
    pub fn state(&self) -> ComposeState {
        self.state
    }

    /// `<refresh>`: seconds until the sender refreshes an active state.
    pub fn refresh(&self) -> Option<u32> {
        self.refresh
    }

    /// `<lastactive>` as written (an XML dateTime).
    pub fn last_active(&self) -> Option<String> {
        child_text(&self.doc.root, NS, "lastactive")
    }

    /// `<contenttype>`: the type of the message being composed.
    pub fn content_type(&self) -> Option<String> {
        child_text(&self.doc.root, NS, "contenttype")
    }

    /// Sets `<refresh>` (RFC 3994 section 3.2: only with an active state;
    /// zero is not allowed and removes it).
    pub fn set_refresh(&mut self, secs: Option<u32>) {
        let secs = secs.filter(|s| *s > 0);
        self.refresh = secs;
        let t = secs.map(|s| s.to_string());
        set_child_text(&mut self.doc.root, NS, "refresh", t.as_deref());
    }

    /// Sets `<lastactive>`.
    pub fn set_last_active(&mut self, when: Option<&str>) {
        set_child_text(&mut self.doc.root, NS, "lastactive", when);
    }

    /// Sets `<contenttype>`.
    pub fn set_content_type(&mut self, ct: Option<&str>) {
        set_child_text(&mut self.doc.root, NS, "contenttype", ct);
    }

    /// The tree, with everything it carried.
    pub fn document(&self) -> &Document {
        &self.doc
    }

    /// The document as bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        to_bytes(&self.doc)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn rfc3994_example() {
        // The example of RFC 3994 section 4 (a 'content type' and a refresh).
        let src = br#"<?xml version="1.0" encoding="UTF-8"?>
   <isComposing xmlns="urn:ietf:params:xml:ns:im-iscomposing"
     xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
     <state>active</state>
     <contenttype>text/html</contenttype>
     <refresh>90</refresh>
   </isComposing>"#;
        let c = IsComposing::parse(src).unwrap();
        assert_eq!(c.state(), ComposeState::Active);
        assert_eq!(c.refresh(), Some(90));
        assert_eq!(c.content_type().as_deref(), Some("text/html"));
        assert_eq!(c.last_active(), None);
        let back = IsComposing::parse(&c.to_bytes()).unwrap();
        assert_eq!(back, IsComposing::parse(&back.to_bytes()).unwrap());
        assert_eq!(back.refresh(), Some(90));
    }

    #[test]
    fn refused() {
        for (src, needle) in [
            (&br#"<isComposing xmlns="urn:ietf:params:xml:ns:im-iscomposing"/>"#[..], "state"),
            (br#"<isComposing xmlns="urn:ietf:params:xml:ns:im-iscomposing"><state>busy</state></isComposing>"#, "busy"),
            (br#"<isComposing xmlns="urn:ietf:params:xml:ns:im-iscomposing"><state>idle</state><refresh>0</refresh></isComposing>"#, "refresh"),
            (br#"<isComposing><state>idle</state></isComposing>"#, "root"),
        ] {
            let e = IsComposing::parse(src).unwrap_err();
            assert!(e.to_string().contains(needle), "{e}");
        }
    }

    #[test]
    fn unknown_children_survive_and_setters_edit_in_place() {
        let src = br#"<isComposing xmlns="urn:ietf:params:xml:ns:im-iscomposing" xmlns:e="urn:e"><state>idle</state><e:x>1</e:x><lastactive>2003-01-27T10:43:00Z</lastactive></isComposing>"#;
        let mut c = IsComposing::parse(src).unwrap();
        c.set_last_active(Some("2003-01-27T10:44:00Z"));
        let out = String::from_utf8(c.to_bytes()).unwrap();
        assert!(
            out.contains("<e:x>1</e:x><lastactive>2003-01-27T10:44:00Z</lastactive>"),
            "{out}"
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        #[test]
        fn round_trip(active: bool, r in prop::option::of(1..u32::MAX), ct in prop::option::of("[a-z]{1,8}/[a-z]{1,8}")) {
            let mut c = IsComposing::new(if active { ComposeState::Active } else { ComposeState::Idle });
            c.set_refresh(r);
            c.set_content_type(ct.as_deref());
            let back = IsComposing::parse(&c.to_bytes()).unwrap();
            prop_assert_eq!(back.state(), c.state());
            prop_assert_eq!(back.refresh(), r);
            prop_assert_eq!(back.content_type(), ct);
            prop_assert_eq!(back.to_bytes(), c.to_bytes());
        }

        #[test]
        fn arbitrary_bytes_never_panic(b in prop::collection::vec(any::<u8>(), 0..512)) {
            let _ = IsComposing::parse(&b);
        }
    }
}
