//! Watcher information documents, `application/watcherinfo+xml`
//! (RFC 3858), full and partial, for the `presence.winfo` template package
//! (RFC 3857).
//!
//! ```
//! use simple_presence::doc::winfo::{WatcherInfo, WinfoState, WatcherStatus};
//! let wi = WatcherInfo::parse(br#"<watcherinfo xmlns="urn:ietf:params:xml:ns:watcherinfo" version="0" state="full">
//!   <watcher-list resource="sip:bob@example.net" package="presence">
//!     <watcher id="w1" status="pending" event="subscribe">sip:alice@example.com</watcher>
//!   </watcher-list></watcherinfo>"#)?;
//! assert_eq!(wi.state(), WinfoState::Full);
//! let w = &wi.lists()[0].watchers[0];
//! assert_eq!((w.uri.as_str(), w.status), ("sip:alice@example.com", WatcherStatus::Pending));
//! # Ok::<(), simple_presence::DocError>(())
//! ```
#![cfg_attr(
    not(test),
    deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)
)]

use pidf::xml::{Document, Element, Limits, Node};

use super::{parse_root, to_bytes};
use crate::error::DocError;

/// The watcherinfo namespace (RFC 3858 section 4).
pub const NS: &str = "urn:ietf:params:xml:ns:watcherinfo";
/// The MIME type of these documents.
pub const CONTENT_TYPE: &str = "application/watcherinfo+xml";
const DOC: &str = "watcherinfo";

/// Most watchers one document may list (all lists together).
pub const MAX_WATCHERS: usize = 10_000;

/// Whether a document is the whole state or a change (RFC 3858 section 4.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WinfoState {
    /// The complete watcher information.
    Full,
    /// Only the watchers whose state changed.
    Partial,
}

impl WinfoState {
    /// The attribute value.
    pub fn as_str(self) -> &'static str {
        match self {
            WinfoState::Full => "full",
            WinfoState::Partial => "partial",
        }
    }
}

/// A watcher's subscription state (RFC 3857 section 5.3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WatcherStatus {
    /// Waiting for authorization.
    Pending,
    /// Authorized and receiving state.
    Active,
    /// Refused or expired while pending, and remembered for a while.
    Waiting,
    /// Ended.
    Terminated,
}

impl WatcherStatus {
    /// The attribute value.
    pub fn as_str(self) -> &'static str {
        match self {
            WatcherStatus::Pending => "pending",
            WatcherStatus::Active => "active",
            WatcherStatus::Waiting => "waiting",
            WatcherStatus::Terminated => "terminated",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "pending" => WatcherStatus::Pending,
            "active" => WatcherStatus::Active,
            "waiting" => WatcherStatus::Waiting,
            "terminated" => WatcherStatus::Terminated,
            _ => return None,
        })
    }
}

/// The event that moved a watcher to its status (RFC 3857 section 5.3.2).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum WatcherEvent {
    /// `subscribe`.
    Subscribe,
    /// `approved`.
    Approved,
    /// `deactivated`.
    Deactivated,
    /// `probation`.
    Probation,
    /// `rejected`.
    Rejected,
    /// `timeout`.
    Timeout,
    /// `giveup`.
    Giveup,
    /// `noresource`.
    Noresource,
    /// Any other token, kept as written.
    Other(String),
}

impl WatcherEvent {
    /// The attribute value.
    pub fn as_str(&self) -> &str {
        match self {
            WatcherEvent::Subscribe => "subscribe",
            WatcherEvent::Approved => "approved",
            WatcherEvent::Deactivated => "deactivated",
            WatcherEvent::Probation => "probation",
            WatcherEvent::Rejected => "rejected",
            WatcherEvent::Timeout => "timeout",
            WatcherEvent::Giveup => "giveup",
            WatcherEvent::Noresource => "noresource",
            WatcherEvent::Other(s) => s,
        }
    }

    fn parse(s: &str) -> Self {
        match s {
            "subscribe" => WatcherEvent::Subscribe,
            "approved" => WatcherEvent::Approved,
            "deactivated" => WatcherEvent::Deactivated,
            "probation" => WatcherEvent::Probation,
            "rejected" => WatcherEvent::Rejected,
            "timeout" => WatcherEvent::Timeout,
            "giveup" => WatcherEvent::Giveup,
            "noresource" => WatcherEvent::Noresource,
            o => WatcherEvent::Other(o.to_owned()),
        }
    }
}

/// One `<watcher>` (RFC 3858 section 4.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Watcher {
    /// The watcher's URI (the element's text).
    pub uri: String,
    /// The subscription's identifier, stable across documents.
    pub id: String,
    /// The subscription state.
    pub status: WatcherStatus,
    /// What caused the state.
    pub event: WatcherEvent,
    /// `display-name`, if given.
    pub display_name: Option<String>,
    /// `expiration` (seconds), if given.
    pub expiration: Option<u64>,
    /// `duration-subscribed` (seconds), if given.
    pub duration_subscribed: Option<u64>,
}

impl Watcher {
    /// A watcher with the required fields.
    pub fn new(uri: &str, id: &str, status: WatcherStatus, event: WatcherEvent) -> Self {
        Watcher {
            uri: uri.to_owned(),
            id: id.to_owned(),
            status,
            event,
            display_name: None,
            expiration: None,
            duration_subscribed: None,
        }
    }

    fn to_element(&self) -> Element {
        let mut e = Element::new(NS, "watcher")
            .with_attr("status", self.status.as_str())
            .with_attr("id", self.id.clone())
            .with_attr("event", self.event.as_str().to_owned());
        if let Some(d) = &self.display_name {
            e.set_attr("display-name", d.clone());
        }
        if let Some(x) = self.expiration {
            e.set_attr("expiration", x.to_string());
        }
        if let Some(x) = self.duration_subscribed {
            e.set_attr("duration-subscribed", x.to_string());
        }
        e.with_text(self.uri.clone())
    }

    fn from_element(e: &Element) -> Result<Self, DocError> {
        let req = |what: &'static str, name: &str| {
            e.attr(name).ok_or(DocError::Missing { doc: DOC, what })
        };
        let status_s = req("attribute status of <watcher>", "status")?;
        let status = WatcherStatus::parse(status_s.trim())
            .ok_or_else(|| DocError::invalid(DOC, "attribute status of <watcher>", status_s))?;
        let id = req("attribute id of <watcher>", "id")?.to_owned();
        let event = WatcherEvent::parse(req("attribute event of <watcher>", "event")?.trim());
        let num = |name: &str, what: &'static str| -> Result<Option<u64>, DocError> {
            match e.attr(name) {
                None => Ok(None),
                Some(v) => v
                    .trim()
                    .parse()
                    .map(Some)
                    .map_err(|_| DocError::invalid(DOC, what, v)),
            }
        };
        Ok(Watcher {
            uri: e.text().trim().to_owned(),
            id,
            status,
            event,
            display_name: e.attr("display-name").map(str::to_owned),
            expiration: num("expiration", "attribute expiration of <watcher>")?,
            duration_subscribed: num(
                "duration-subscribed",
                "attribute duration-subscribed of <watcher>",
            )?,
        })
    }
}

/// One `<watcher-list>`: the watchers of one resource and package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatcherList {
    /// The watched resource's URI.
    pub resource: String,
    /// The event package watched, e.g. `presence`.
    pub package: String,
    /// The watchers, in document order.
    pub watchers: Vec<Watcher>,
}

/// A watcherinfo document: typed fields over the lossless tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatcherInfo {
    doc: Document,
    version: u64,
    state: WinfoState,
    lists: Vec<WatcherList>,
}

impl WatcherInfo {
    /// Parses with the default XML limits.
    pub fn parse(input: &[u8]) -> Result<Self, DocError> {
        Self::parse_with(input, &Limits::default())
    }

    /// Parses with the given XML limits.
    pub fn parse_with(input: &[u8], limits: &Limits) -> Result<Self, DocError> {
        let doc = parse_root(input, limits, DOC, NS, "watcherinfo")?;
        Self::from_document(doc)
    }

    /// Reads the typed fields of an already parsed tree.
    pub fn from_document(doc: Document) -> Result<Self, DocError> {
        let root = &doc.root;
        let v = root.attr("version").ok_or(DocError::Missing {
            doc: DOC,
            what: "attribute version of <watcherinfo>",
        })?;
        let version = v
            .trim()
            .parse()
            .map_err(|_| DocError::invalid(DOC, "attribute version of <watcherinfo>", v))?;
        let s = root.attr("state").ok_or(DocError::Missing {
            doc: DOC,
            what: "attribute state of <watcherinfo>",
        })?;
        let state = match s.trim() {
            "full" => WinfoState::Full,
            "partial" => WinfoState::Partial,
            _ => {
                return Err(DocError::invalid(
                    DOC,
                    "attribute state of <watcherinfo>",
                    s,
                ))
            }
        };
        let mut lists = Vec::new();
        let mut count = 0usize;
        for l in root.children_named(NS, "watcher-list") {
            let resource = l.attr("resource").ok_or(DocError::Missing {
                doc: DOC,
                what: "attribute resource of <watcher-list>",
            })?;
            let package = l.attr("package").ok_or(DocError::Missing {
                doc: DOC,
                what: "attribute package of <watcher-list>",
            })?;
            let mut watchers = Vec::new();
            for w in l.children_named(NS, "watcher") {
                count += 1;
                if count > MAX_WATCHERS {
                    return Err(DocError::TooMany {
                        doc: DOC,
                        what: "watchers",
                        limit: MAX_WATCHERS,
                    });
                }
                watchers.push(Watcher::from_element(w)?);
            }
            lists.push(WatcherList {
                resource: resource.to_owned(),
                package: package.to_owned(),
                watchers,
            });
        }
        Ok(WatcherInfo {
            doc,
            version,
            state,
            lists,
        })
    }

    /// Builds a document from typed values.
    pub fn new(version: u64, state: WinfoState, lists: Vec<WatcherList>) -> Self {
        let mut root = Element::new(NS, "watcherinfo")
            .with_attr("version", version.to_string())
            .with_attr("state", state.as_str());
        for l in &lists {
            let mut le = Element::new(NS, "watcher-list")
                .with_attr("resource", l.resource.clone())
                .with_attr("package", l.package.clone());
            for w in &l.watchers {
                le = le.with_child(w.to_element());
            }
            root = root.with_child(le);
        }
        WatcherInfo {
            doc: Document::new(root),
            version,
            state,
            lists,
        }
    }

    /// The `version` counter (RFC 3858 section 4.1).
    pub fn version(&self) -> u64 {
        self.version
    }

    /// Full or partial.
    pub fn state(&self) -> WinfoState {
        self.state
    }

    /// The watcher lists.
    pub fn lists(&self) -> &[WatcherList] {
        &self.lists
    }

    /// The tree, with everything it carried.
    pub fn document(&self) -> &Document {
        &self.doc
    }

    /// Writes the document.
    pub fn write(&self, out: &mut Vec<u8>) {
        self.doc.write(out);
    }

    /// The document as bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        to_bytes(&self.doc)
    }

    /// Applies a received document to this (full) state, per RFC 3858
    /// section 4.4: a full document replaces it; a partial one must carry
    /// the next version and replaces each watcher by `id` (adding new ones,
    /// and new lists), keeping everything else.
    ///
    /// Returns `Err(expected_version)` when a partial document's version is
    /// not the next one: the subscriber must then refresh to get full state.
    pub fn apply(&mut self, update: &WatcherInfo) -> Result<(), u64> {
        let next = self.version.saturating_add(1);
        if update.state == WinfoState::Full {
            *self = update.clone();
            return Ok(());
        }
        if update.version != next {
            return Err(next);
        }
        for ul in update.doc.root.children_named(NS, "watcher-list") {
            let res = ul.attr("resource").unwrap_or_default();
            let pkg = ul.attr("package").unwrap_or_default();
            let root = &mut self.doc.root;
            let existing = root.children.iter_mut().find_map(|n| match n {
                Node::Element(e)
                    if e.is(NS, "watcher-list")
                        && e.attr("resource") == Some(res)
                        && e.attr("package") == Some(pkg) =>
                {
                    Some(e)
                }
                _ => None,
            });
            match existing {
                None => root.children.push(Node::Element(ul.clone())),
                Some(list) => {
                    for uw in ul.children_named(NS, "watcher") {
                        let id = uw.attr("id");
                        let slot = list.children.iter_mut().find(|n| {
                            matches!(n, Node::Element(e) if e.is(NS, "watcher") && e.attr("id") == id)
                        });
                        match slot {
                            Some(n) => *n = Node::Element(uw.clone()),
                            None => list.children.push(Node::Element(uw.clone())),
                        }
                    }
                }
            }
        }
        self.doc.root.set_attr("version", next.to_string());
        self.version = next;
        // The merged tree was valid piece by piece, so re-reading cannot fail;
        // keep the old typed view if it somehow does.
        if let Ok(again) = WatcherInfo::from_document(self.doc.clone()) {
            self.lists = again.lists;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn rfc3858_example() {
        let v = testkit::vector("winfo/3858-1.xml");
        let wi = WatcherInfo::parse(&v).unwrap();
        assert_eq!((wi.version(), wi.state()), (0, WinfoState::Full));
        let l = &wi.lists()[0];
        assert_eq!(l.resource, "sip:professor@example.net");
        assert_eq!(l.package, "presence");
        assert_eq!(l.watchers.len(), 2);
        let a = &l.watchers[0];
        assert_eq!(a.uri, "sip:userA@example.net");
        assert_eq!(a.status, WatcherStatus::Active);
        assert_eq!(a.event, WatcherEvent::Approved);
        assert_eq!(a.duration_subscribed, Some(509));
        let b = &l.watchers[1];
        assert_eq!(b.id, "hh8juja87s997-ass7");
        assert_eq!(b.display_name.as_deref(), Some("Mr. Subscriber"));
        assert_eq!(b.status, WatcherStatus::Pending);
        // Round trip keeps the infoset.
        let again = WatcherInfo::parse(&wi.to_bytes()).unwrap();
        assert_eq!(again.lists(), wi.lists());
        assert!(again.document().root.infoset_eq(&wi.document().root));
    }

    #[test]
    fn unknown_extensions_survive() {
        let src = br#"<watcherinfo xmlns="urn:ietf:params:xml:ns:watcherinfo" xmlns:x="urn:x" version="3" state="partial" x:a="1"><watcher-list resource="sip:a@b" package="presence"><watcher id="1" status="active" event="approved">sip:c@d<x:extra>k</x:extra></watcher></watcher-list><x:tail/></watcherinfo>"#;
        let wi = WatcherInfo::parse(src).unwrap();
        let out = String::from_utf8(wi.to_bytes()).unwrap();
        assert!(out.contains("x:extra"), "{out}");
        assert!(out.contains("x:tail"), "{out}");
        assert!(out.contains("x:a=\"1\""), "{out}");
        assert_eq!(wi.lists()[0].watchers[0].uri, "sip:c@d");
    }

    #[test]
    fn errors_say_what() {
        let e = WatcherInfo::parse(
            br#"<watcherinfo xmlns="urn:ietf:params:xml:ns:watcherinfo" state="full"/>"#,
        )
        .unwrap_err();
        assert!(e.to_string().contains("version"), "{e}");
        let e = WatcherInfo::parse(br#"<watcherinfo xmlns="urn:ietf:params:xml:ns:watcherinfo" version="0" state="half"/>"#).unwrap_err();
        assert!(matches!(e, DocError::Invalid { .. }), "{e}");
        let e = WatcherInfo::parse(br#"<watcherinfo version="0" state="full"/>"#).unwrap_err();
        assert!(matches!(e, DocError::WrongRoot { .. }), "{e}");
        let e = WatcherInfo::parse(br#"<watcherinfo xmlns="urn:ietf:params:xml:ns:watcherinfo" version="0" state="full"><watcher-list resource="a" package="p"><watcher id="1" status="sleepy" event="x">u</watcher></watcher-list></watcherinfo>"#).unwrap_err();
        assert!(e.to_string().contains("status"), "{e}");
    }

    #[test]
    fn partial_updates_merge_by_id() {
        let mut full = WatcherInfo::parse(&testkit::vector("winfo/3858-1.xml")).unwrap();
        let mut b = Watcher::new(
            "sip:userB@example.org",
            "hh8juja87s997-ass7",
            WatcherStatus::Active,
            WatcherEvent::Approved,
        );
        b.display_name = Some("Mr. Subscriber".into());
        let c = Watcher::new(
            "sip:c@example.org",
            "c1",
            WatcherStatus::Pending,
            WatcherEvent::Subscribe,
        );
        let list = |w| WatcherList {
            resource: "sip:professor@example.net".into(),
            package: "presence".into(),
            watchers: w,
        };
        let p = WatcherInfo::new(
            1,
            WinfoState::Partial,
            vec![list(vec![b.clone(), c.clone()])],
        );
        full.apply(&p).unwrap();
        assert_eq!(full.version(), 1);
        let ws = &full.lists()[0].watchers;
        assert_eq!(ws.len(), 3);
        assert_eq!(ws[1], b);
        assert_eq!(ws[2], c);
        // A gap is refused, asking for version 2.
        let gap = WatcherInfo::new(5, WinfoState::Partial, vec![]);
        assert_eq!(full.apply(&gap), Err(2));
    }

    fn watcher() -> impl Strategy<Value = Watcher> {
        (
            "[a-z]{1,8}",
            "[a-zA-Z0-9]{1,8}",
            0..4u8,
            prop::option::of("[ -~]{0,12}"),
            prop::option::of(0..100_000u64),
        )
            .prop_map(|(u, id, s, d, x)| {
                let status = [
                    WatcherStatus::Pending,
                    WatcherStatus::Active,
                    WatcherStatus::Waiting,
                    WatcherStatus::Terminated,
                ][s as usize];
                let mut w = Watcher::new(
                    &format!("sip:{u}@example.com"),
                    &id,
                    status,
                    WatcherEvent::Timeout,
                );
                w.display_name = d;
                w.expiration = x;
                w
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        #[test]
        fn round_trip(v in 0..u64::MAX, ws in prop::collection::vec(watcher(), 0..5)) {
            let wi = WatcherInfo::new(v, WinfoState::Full, vec![WatcherList {
                resource: "sip:r@example.net".into(), package: "presence".into(), watchers: ws }]);
            let back = WatcherInfo::parse(&wi.to_bytes()).unwrap();
            prop_assert_eq!(back.lists(), wi.lists());
            prop_assert_eq!(back.version(), v);
            prop_assert_eq!(back.to_bytes(), wi.to_bytes());
        }

        #[test]
        fn arbitrary_bytes_never_panic(b in prop::collection::vec(any::<u8>(), 0..512)) {
            let _ = WatcherInfo::parse(&b);
        }
    }
}
