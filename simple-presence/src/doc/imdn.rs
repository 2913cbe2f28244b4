//! Instant message disposition notifications, `message/imdn+xml`
//! (RFC 5438 section 7): delivery, display and processing notifications.
//!
//! ```
//! use simple_presence::doc::imdn::{Imdn, Kind, Status};
//! let n = Imdn::new("34jk324j", "2008-04-04T12:16:49-05:00", Kind::Delivery, Status::Delivered);
//! let back = Imdn::parse(&n.to_bytes())?;
//! assert_eq!((back.message_id(), back.kind(), back.status()), ("34jk324j", Kind::Delivery, &Status::Delivered));
//! # Ok::<(), simple_presence::DocError>(())
//! ```
#![cfg_attr(
    not(test),
    deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)
)]

use pidf::xml::{Document, Element, Limits};

use super::{child_text, parse_root, set_child_text, to_bytes};
use crate::error::DocError;

/// The IMDN namespace.
pub const NS: &str = "urn:ietf:params:xml:ns:imdn";
/// The MIME type of these documents.
pub const CONTENT_TYPE: &str = "message/imdn+xml";
const DOC: &str = "imdn";

/// Which notification a document is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// `<delivery-notification>`.
    Delivery,
    /// `<display-notification>`.
    Display,
    /// `<processing-notification>`.
    Processing,
}

impl Kind {
    /// The element name.
    pub fn element(self) -> &'static str {
        match self {
            Kind::Delivery => "delivery-notification",
            Kind::Display => "display-notification",
            Kind::Processing => "processing-notification",
        }
    }

    /// The `Disposition-Notification` token that asks for it
    /// (RFC 5438 section 6.3).
    pub fn token(self) -> &'static str {
        match self {
            Kind::Delivery => "positive-delivery",
            Kind::Display => "display",
            Kind::Processing => "processing",
        }
    }
}

/// The disposition (the single child of `<status>`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Status {
    /// `delivered`.
    Delivered,
    /// `failed`.
    Failed,
    /// `forbidden`.
    Forbidden,
    /// `error`.
    Error,
    /// `displayed`.
    Displayed,
    /// `processed`.
    Processed,
    /// `stored`.
    Stored,
    /// An extension, by local name (its element is kept in the tree).
    Other(String),
}

impl Status {
    /// The element name.
    pub fn element(&self) -> &str {
        match self {
            Status::Delivered => "delivered",
            Status::Failed => "failed",
            Status::Forbidden => "forbidden",
            Status::Error => "error",
            Status::Displayed => "displayed",
            Status::Processed => "processed",
            Status::Stored => "stored",
            Status::Other(s) => s,
        }
    }

    fn parse(local: &str) -> Self {
        match local {
            "delivered" => Status::Delivered,
            "failed" => Status::Failed,
            "forbidden" => Status::Forbidden,
            "error" => Status::Error,
            "displayed" => Status::Displayed,
            "processed" => Status::Processed,
            "stored" => Status::Stored,
            o => Status::Other(o.to_owned()),
        }
    }
}

/// An IMDN document: typed fields over the lossless tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Imdn {
    doc: Document,
    message_id: String,
    datetime: String,
    kind: Kind,
    status: Status,
}

impl Imdn {
    /// A notification for message `message_id` sent at `datetime`.
    pub fn new(message_id: &str, datetime: &str, kind: Kind, status: Status) -> Self {
        let st = Element::new(NS, "status").with_child(Element::new(NS, status.element()));
        let root = Element::new(NS, "imdn")
            .with_child(Element::new(NS, "message-id").with_text(message_id))
            .with_child(Element::new(NS, "datetime").with_text(datetime))
            .with_child(Element::new(NS, kind.element()).with_child(st));
        Imdn {
            doc: Document::new(root),
            message_id: message_id.to_owned(),
            datetime: datetime.to_owned(),
            kind,
            status,
        }
    }

    /// Parses with the default XML limits.
    pub fn parse(input: &[u8]) -> Result<Self, DocError> {
        Self::parse_with(input, &Limits::default())
    }

    /// Parses with the given XML limits.
    pub fn parse_with(input: &[u8], limits: &Limits) -> Result<Self, DocError> {
        let doc = parse_root(input, limits, DOC, NS, "imdn")?;
        let root = &doc.root;
        let message_id = child_text(root, NS, "message-id").ok_or(DocError::Missing {
            doc: DOC,
            what: "<message-id>",
        })?;
        let datetime = child_text(root, NS, "datetime").ok_or(DocError::Missing {
            doc: DOC,
            what: "<datetime>",
        })?;
        let mut found = None;
        for k in [Kind::Delivery, Kind::Display, Kind::Processing] {
            if let Some(e) = root.child(NS, k.element()) {
                if found.is_some() {
                    return Err(DocError::invalid(DOC, "notification element", k.element()));
                }
                found = Some((k, e));
            }
        }
        let (kind, note) = found.ok_or(DocError::Missing {
            doc: DOC,
            what: "a delivery-, display- or processing-notification",
        })?;
        let st = note.child(NS, "status").ok_or(DocError::Missing {
            doc: DOC,
            what: "<status> in the notification",
        })?;
        let status = st
            .elements()
            .next()
            .map(|e| Status::parse(&e.name.local))
            .ok_or(DocError::Missing {
                doc: DOC,
                what: "a disposition in <status>",
            })?;
        Ok(Imdn {
            doc,
            message_id,
            datetime,
            kind,
            status,
        })
    }

    /// `<message-id>` of the message this is about.
    pub fn message_id(&self) -> &str {
        &self.message_id
    }

    /// `<datetime>` the message was sent, as written.
    pub fn datetime(&self) -> &str {
        &self.datetime
    }

    /// Which notification.
    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// The disposition.
    pub fn status(&self) -> &Status {
        &self.status
    }

    /// `<recipient-uri>`, if present.
    pub fn recipient_uri(&self) -> Option<String> {
        child_text(&self.doc.root, NS, "recipient-uri")
    }

    /// `<original-recipient-uri>`, if present.
    pub fn original_recipient_uri(&self) -> Option<String> {
        child_text(&self.doc.root, NS, "original-recipient-uri")
    }

    /// Sets `<recipient-uri>` (the schema puts it before the notification;
    /// a new one is inserted right after `<datetime>`).
    pub fn set_recipient_uri(&mut self, uri: &str) {
        let root = &mut self.doc.root;
        if root.child(NS, "recipient-uri").is_some() {
            set_child_text(root, NS, "recipient-uri", Some(uri));
            return;
        }
        let at = root
            .children
            .iter()
            .position(|n| matches!(n, pidf::xml::Node::Element(e) if e.is(NS, "datetime")))
            .map_or(0, |i| i + 1);
        root.children.insert(
            at,
            pidf::xml::Node::Element(Element::new(NS, "recipient-uri").with_text(uri)),
        );
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
    fn rfc5438_delivery_example() {
        // After RFC 5438 section 7.2.1.1 (delivery notification).
        let src = br#"<?xml version="1.0" encoding="UTF-8"?>
   <imdn xmlns="urn:ietf:params:xml:ns:imdn">
     <message-id>34jk324j</message-id>
     <datetime>2008-04-04T12:16:49-05:00</datetime>
     <recipient-uri>im:bob@example.com</recipient-uri>
     <original-recipient-uri>im:bob@example.com</original-recipient-uri>
     <delivery-notification>
        <status>
           <delivered/>
        </status>
     </delivery-notification>
   </imdn>"#;
        let n = Imdn::parse(src).unwrap();
        assert_eq!(n.message_id(), "34jk324j");
        assert_eq!(n.datetime(), "2008-04-04T12:16:49-05:00");
        assert_eq!(n.kind(), Kind::Delivery);
        assert_eq!(n.status(), &Status::Delivered);
        assert_eq!(n.recipient_uri().as_deref(), Some("im:bob@example.com"));
        let back = Imdn::parse(&n.to_bytes()).unwrap();
        assert!(back.document().root.infoset_eq(&n.document().root));
    }

    #[test]
    fn refused() {
        for (src, needle) in [
            (&br#"<imdn xmlns="urn:ietf:params:xml:ns:imdn"><datetime>x</datetime><display-notification><status><displayed/></status></display-notification></imdn>"#[..], "message-id"),
            (br#"<imdn xmlns="urn:ietf:params:xml:ns:imdn"><message-id>1</message-id><datetime>x</datetime></imdn>"#, "notification"),
            (br#"<imdn xmlns="urn:ietf:params:xml:ns:imdn"><message-id>1</message-id><datetime>x</datetime><display-notification><status/></display-notification></imdn>"#, "disposition"),
            (br#"<imdn xmlns="urn:ietf:params:xml:ns:imdn"><message-id>1</message-id><datetime>x</datetime><display-notification><status><displayed/></status></display-notification><delivery-notification><status><delivered/></status></delivery-notification></imdn>"#, "notification"),
        ] {
            let e = Imdn::parse(src).unwrap_err();
            assert!(e.to_string().contains(needle), "{e}");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        #[test]
        fn round_trip(id in "[A-Za-z0-9]{1,16}", k in 0..3usize, s in 0..7usize, r in prop::option::of("[a-z]{1,8}")) {
            let kind = [Kind::Delivery, Kind::Display, Kind::Processing][k];
            let status = [Status::Delivered, Status::Failed, Status::Forbidden, Status::Error,
                Status::Displayed, Status::Processed, Status::Stored][s].clone();
            let mut n = Imdn::new(&id, "2008-04-04T12:16:49Z", kind, status.clone());
            if let Some(r) = &r { n.set_recipient_uri(&format!("im:{r}@example.com")); }
            let back = Imdn::parse(&n.to_bytes()).unwrap();
            prop_assert_eq!(back.message_id(), id.as_str());
            prop_assert_eq!(back.kind(), kind);
            prop_assert_eq!(back.status(), &status);
            prop_assert_eq!(back.recipient_uri(), r.map(|r| format!("im:{r}@example.com")));
            prop_assert_eq!(back.to_bytes(), n.to_bytes());
        }

        #[test]
        fn arbitrary_bytes_never_panic(b in prop::collection::vec(any::<u8>(), 0..512)) {
            let _ = Imdn::parse(&b);
        }
    }
}
