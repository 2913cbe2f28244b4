//! Applying permissions to a presence document: the privacy filter of
//! RFC 5025 section 3.3.
//!
//! The filter works on the lossless [`pidf::xml`] tree of a PIDF document,
//! since a transformation is a tree filter: it keeps the `<tuple>`,
//! `<dm:person>` and `<dm:device>` occurrences the permissions identify, and
//! inside each only the presence attributes granted. What no rule grants is
//! removed. The result is written compactly (white space between elements,
//! comments and processing instructions dropped), so that neither layout nor
//! comments hint at what was removed, and so that equal views are equal bytes.
//!
//! The filter is idempotent, as RFC 5025 section 4 requires: `F(F(D)) = F(D)`.

#![cfg_attr(
    not(test),
    deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)
)]

use pidf::xml::{Attribute, Document, Element, Node, Ns};

use crate::error::ViewError;
use crate::eval::{Context, Permissions, Watcher};
use crate::ns::{DATA_MODEL as DM, PIDF, RPID};
use crate::rules::{Components, QName, RuleSet, SubHandling, Transformations, UserInput};
use crate::uri::{normalize_uri, uri_scheme};

/// What a watcher is to receive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// The combined `<sub-handling>`, as the presence server must act on it.
    pub sub_handling: SubHandling,
    /// The document to send: `None` for block and confirm (the watcher's
    /// subscription shows as pending and carries no document), the neutral
    /// document for polite-block, the filtered document for allow.
    pub document: Option<Document>,
}

impl Decision {
    /// The document as bytes, if there is one.
    pub fn document_bytes(&self) -> Option<Vec<u8>> {
        self.document.as_ref().map(|d| {
            let mut out = Vec::new();
            d.write(&mut out);
            out
        })
    }
}

/// Which kind of data component an element is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Component {
    Tuple,
    Person,
    Device,
}

impl Permissions {
    /// The document this watcher receives for `presence`, or `None` when it
    /// receives none (block, confirm).
    pub fn apply(&self, presence: &Document) -> Result<Option<Document>, ViewError> {
        let root = &presence.root;
        if !root.is(PIDF, "presence") {
            return Err(ViewError::NotPresence {
                found: root.name.local.to_string(),
            });
        }
        Ok(match self.sub_handling {
            SubHandling::Block | SubHandling::Confirm => None,
            SubHandling::PoliteBlock => Some(neutral_document(root.attr("entity").unwrap_or(""))),
            SubHandling::Allow => Some(Document::new(filter_presence(&self.transformations, root))),
        })
    }
}

impl RuleSet {
    /// Evaluates the rules for `w` and applies them to `presence`.
    pub fn decide(
        &self,
        w: &Watcher,
        ctx: &Context,
        presence: &Document,
    ) -> Result<Decision, ViewError> {
        let p = self.evaluate(w, ctx);
        Ok(Decision {
            sub_handling: p.sub_handling,
            document: p.apply(presence)?,
        })
    }
}

/// The document sent to a politely blocked watcher (RFC 5025 section
/// 3.2.1): no person or device, one service whose basic status is closed.
///
/// It depends on the entity alone, so it never changes as the presentity's
/// real state changes, and it looks like a presentity that publishes a
/// single offline service: nothing in it says the watcher is blocked.
pub fn neutral_document(entity: &str) -> Document {
    let mut root = Element::new(PIDF, "presence");
    if !entity.is_empty() {
        root.set_attr("entity", entity);
    }
    // A stable tuple id derived from the entity (FNV-1a), so repeated
    // notifications are identical.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in entity.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    let tuple = Element::new(PIDF, "tuple")
        .with_attr("id", format!("t{:08x}", h as u32))
        .with_child(
            Element::new(PIDF, "status")
                .with_child(Element::new(PIDF, "basic").with_text("closed")),
        );
    Document::new(root.with_child(tuple))
}

/// The presentity's sphere per RFC 5025 section 3.1.2: the `<rpid:sphere>`
/// of the person elements of `presence` when at least one has it and all
/// that have it agree; otherwise undefined.
pub fn presence_sphere(presence: &Document) -> Option<String> {
    let mut value: Option<String> = None;
    for person in presence.root.children_named(DM, "person") {
        for s in person.children_named(RPID, "sphere") {
            let v = s.text().trim().to_owned();
            match &value {
                None => value = Some(v),
                Some(prev) if *prev == v => {}
                Some(_) => return None,
            }
        }
    }
    value
}

fn shallow(e: &Element) -> Element {
    Element {
        name: e.name.clone(),
        namespaces: e.namespaces.clone(),
        attributes: e.attributes.clone(),
        children: Vec::new(),
    }
}

/// A deep copy without comments, processing instructions, and the white
/// space between child elements.
fn clean(e: &Element) -> Element {
    let mut out = shallow(e);
    let has_elements = e.elements().next().is_some();
    out.children = e
        .children
        .iter()
        .filter_map(|n| match n {
            Node::Element(c) => Some(Node::Element(clean(c))),
            Node::Text(t) if has_elements && t.trim().is_empty() => None,
            Node::Text(t) => Some(Node::Text(t.clone())),
            Node::CData(t) => Some(Node::CData(t.clone())),
            Node::Comment(_) | Node::ProcessingInstruction(_) => None,
        })
        .collect();
    out
}

fn unknown_granted(t: &Transformations, e: &Element) -> bool {
    // Avoids allocating a QName per lookup.
    t.unknown_attributes
        .iter()
        .any(|q: &QName| q.name == e.name.local && q.ns == e.name.ns_str())
}

/// The element with only the attributes named in `keep` (and `xml:*`):
/// the root and the data components carry nothing else a watcher needs, and
/// an unknown attribute there is information no rule granted.
fn bare(e: &Element, keep: &str) -> Element {
    let mut out = shallow(e);
    out.attributes.retain(|a| match a.name.ns.as_deref() {
        None => a.name.local == keep,
        Some(ns) => ns == XML_NS,
    });
    out
}

const XML_NS: &str = "http://www.w3.org/XML/1998/namespace";

/// Removes namespace declarations that nothing in the subtree uses, so that
/// a view does not reveal which extensions the full document carried.
/// Returns the namespace URIs the subtree uses.
fn prune_namespaces(e: &mut Element) -> Vec<Ns> {
    fn add(used: &mut Vec<Ns>, ns: Option<&Ns>) {
        if let Some(ns) = ns {
            if !used.contains(ns) {
                used.push(ns.clone());
            }
        }
    }
    let mut used: Vec<Ns> = Vec::new();
    add(&mut used, e.name.ns.as_ref());
    for a in &e.attributes {
        add(&mut used, a.name.ns.as_ref());
    }
    for c in &mut e.children {
        if let Node::Element(c) = c {
            for ns in prune_namespaces(c) {
                add(&mut used, Some(&ns));
            }
        }
    }
    e.namespaces
        .retain(|d| d.uri.is_empty() || used.iter().any(|u| **u == *d.uri));
    used
}

fn filter_presence(t: &Transformations, root: &Element) -> Element {
    let mut out = bare(root, "entity");
    for e in root.elements() {
        let kept = match (e.name.ns_str(), &*e.name.local) {
            (PIDF, "tuple") => identifies(&t.services, e, Component::Tuple)
                .then(|| filter_component(t, e, Component::Tuple)),
            (DM, "person") => identifies(&t.persons, e, Component::Person)
                .then(|| filter_component(t, e, Component::Person)),
            (DM, "device") => identifies(&t.devices, e, Component::Device)
                .then(|| filter_component(t, e, Component::Device)),
            // The presentity-level note falls under provide-note too.
            (PIDF, "note") => t.note.then(|| clean(e)),
            _ => unknown_granted(t, e).then(|| clean(e)),
        };
        if let Some(k) = kept {
            out.children.push(Node::Element(k));
        }
    }
    prune_namespaces(&mut out);
    out
}

/// Whether the set identifies this occurrence (RFC 5025 section 3.3.1).
fn identifies(set: &Components, e: &Element, kind: Component) -> bool {
    if set.all {
        return true;
    }
    if e.attr("id")
        .is_some_and(|id| set.occurrence_ids.contains(id))
    {
        return true;
    }
    if !set.classes.is_empty()
        && e.children_named(RPID, "class")
            .any(|c| set.classes.contains(c.text().trim()))
    {
        return true;
    }
    match kind {
        Component::Tuple => {
            if set.service_uris.is_empty() && set.service_uri_schemes.is_empty() {
                return false;
            }
            e.children_named(PIDF, "contact").any(|c| {
                let text = c.text();
                let uri = text.trim();
                set.service_uris.contains(&normalize_uri(uri))
                    || uri_scheme(uri).is_some_and(|s| set.service_uri_schemes.contains(s))
            })
        }
        Component::Device => {
            !set.device_ids.is_empty()
                && e.children_named(DM, "deviceID")
                    .any(|d| set.device_ids.contains(&normalize_uri(&d.text())))
        }
        Component::Person => false,
    }
}

fn filter_component(t: &Transformations, e: &Element, kind: Component) -> Element {
    let mut out = if t.all_attributes {
        shallow(e)
    } else {
        bare(e, "id")
    };
    for c in e.elements() {
        if let Some(k) = filter_attribute(t, c, kind) {
            out.children.push(Node::Element(k));
        }
    }
    out
}

/// The granted form of one child of a tuple, person or device, if any.
fn filter_attribute(t: &Transformations, c: &Element, kind: Component) -> Option<Element> {
    let ns = c.name.ns_str();
    let local = &*c.name.local;
    // Always reported (RFC 5025 section 3.3.2).
    let always = matches!(
        (kind, ns, local),
        (Component::Tuple, PIDF, "contact" | "timestamp")
            | (Component::Tuple, RPID, "service-class")
            | (Component::Person | Component::Device, DM, "timestamp")
            | (Component::Device, DM, "deviceID")
    );
    if always {
        return Some(clean(c));
    }
    if kind == Component::Tuple && c.is(PIDF, "status") {
        // <basic> always; status extensions like any other attribute.
        let mut out = shallow(c);
        for s in c.elements() {
            let kept = if s.is(PIDF, "basic") {
                Some(clean(s))
            } else {
                filter_attribute(t, s, kind)
            };
            if let Some(k) = kept {
                out.children.push(Node::Element(k));
            }
        }
        return Some(out);
    }
    if t.all_attributes {
        return Some(clean(c));
    }
    let granted = match (ns, local) {
        (PIDF | DM, "note") => t.note,
        (DM, "deviceID") => t.device_id,
        (RPID, "activities") => t.activities,
        (RPID, "class") => t.class,
        (RPID, "mood") => t.mood,
        (RPID, "place-is") => t.place_is,
        (RPID, "place-type") => t.place_type,
        (RPID, "privacy") => t.privacy,
        (RPID, "relationship") => t.relationship,
        (RPID, "sphere") => t.sphere,
        (RPID, "status-icon") => t.status_icon,
        (RPID, "time-offset") => t.time_offset,
        (RPID, "user-input") => return user_input(t.user_input, c),
        // Unknown to this server's policy schemas (RFC 5025 section 3.3.2.14).
        _ => unknown_granted(t, c),
    };
    granted.then(|| clean(c))
}

/// `<user-input>` at a granted level. RFC 4480 names the time attribute
/// `last-input`, RFC 5025 calls it `since`; both are treated alike. Levels
/// nest (bare within thresholds within full), so more permission never
/// shows less.
fn user_input(level: UserInput, c: &Element) -> Option<Element> {
    let drop: &[&str] = match level {
        UserInput::False => return None,
        UserInput::Bare => &["idle-threshold", "last-input", "since"],
        UserInput::Thresholds => &["last-input", "since"],
        UserInput::Full => &[],
    };
    let mut out = clean(c);
    out.attributes
        .retain(|a: &Attribute| !(a.name.ns.is_none() && drop.contains(&&*a.name.local)));
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use pidf::xml::Limits;

    type Grant = fn(&mut Transformations);

    fn doc(s: &str) -> Document {
        Document::parse(s.as_bytes(), &Limits::default()).expect("valid xml")
    }

    fn allow(t: Transformations) -> Permissions {
        Permissions {
            sub_handling: SubHandling::Allow,
            transformations: t,
        }
    }

    const P: &str = r#"<presence xmlns="urn:ietf:params:xml:ns:pidf" xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model" xmlns:r="urn:ietf:params:xml:ns:pidf:rpid" xmlns:f="urn:foo" entity="pres:a@example.com"><tuple id="t1"><status><basic>open</basic><f:ext>x</f:ext></status><r:class>work</r:class><dm:deviceID>urn:x:1</dm:deviceID><contact>sip:a@example.com</contact><note>hi</note><f:foo>1</f:foo></tuple><tuple id="t2"><status><basic>closed</basic></status><contact>mailto:a@example.com</contact></tuple><note>root</note><dm:person id="p1"><r:activities><r:away/></r:activities><r:user-input idle-threshold="600" last-input="2004-10-21T13:20:00-05:00" from="2004-10-21T13:00:00Z">idle</r:user-input><dm:timestamp>2005-05-30T16:09:44+05:00</dm:timestamp></dm:person><dm:device id="d1"><dm:deviceID>urn:x:1</dm:deviceID><dm:note>PC</dm:note></dm:device></presence>"#;

    fn view(t: Transformations) -> String {
        allow(t)
            .apply(&doc(P))
            .expect("presence")
            .expect("a document")
            .root
            .to_xml_string()
    }

    #[test]
    fn nothing_granted_keeps_only_the_root() {
        assert_eq!(
            view(Transformations::default()),
            r#"<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="pres:a@example.com"/>"#
        );
    }

    #[test]
    fn services_by_scheme_keep_only_mandatory_attributes() {
        let mut t = Transformations::default();
        t.services.service_uri_schemes.insert("sip".into());
        let v = view(t);
        assert!(v.contains(r#"<tuple id="t1"><status><basic>open</basic></status><contact>sip:a@example.com</contact></tuple>"#), "{v}");
        assert!(
            !v.contains("t2") && !v.contains("note") && !v.contains("person"),
            "{v}"
        );
    }

    #[test]
    fn each_component_selector() {
        let cases: [(Grant, &str, &str); 6] = [
            (
                |t| {
                    t.services.occurrence_ids.insert("t2".into());
                },
                "t2",
                "t1",
            ),
            (
                |t| {
                    t.services.classes.insert("work".into());
                },
                "t1",
                "t2",
            ),
            (
                |t| {
                    t.services
                        .service_uris
                        .insert(normalize_uri("mailto:a@EXAMPLE.com"));
                },
                "t2",
                "t1",
            ),
            (
                |t| {
                    t.devices.device_ids.insert("urn:x:1".into());
                },
                "d1",
                "p1",
            ),
            (
                |t| {
                    t.persons.occurrence_ids.insert("p1".into());
                },
                "p1",
                "d1",
            ),
            (
                |t| {
                    t.persons.all = true;
                },
                "p1",
                "t1",
            ),
        ];
        for (set, has, lacks) in cases {
            let mut t = Transformations::default();
            set(&mut t);
            let v = view(t);
            assert!(
                v.contains(&format!("id=\"{has}\"")) && !v.contains(&format!("id=\"{lacks}\"")),
                "{v}"
            );
        }
    }

    #[test]
    fn attributes_need_their_permission() {
        let mut t = Transformations::default();
        t.services.all = true;
        t.persons.all = true;
        t.devices.all = true;
        let base = view(t.clone());
        for absent in [
            "r:class",
            "f:foo",
            "f:ext",
            "<note",
            "r:activities",
            "r:user-input",
            "dm:note",
            "<tuple id=\"t1\"><status><basic>open</basic></status><dm:deviceID",
        ] {
            assert!(!base.contains(absent), "{absent} in {base}");
        }
        // The device's own deviceID and the person's timestamp always show.
        assert!(
            base.contains(r#"<dm:device id="d1"><dm:deviceID>urn:x:1</dm:deviceID></dm:device>"#),
            "{base}"
        );
        assert!(base.contains("dm:timestamp"), "{base}");
        let grants: [(Grant, &str); 7] = [
            (|t| t.class = true, "<r:class>work</r:class>"),
            (|t| t.note = true, "<dm:note>PC</dm:note>"),
            (
                |t| t.device_id = true,
                "</status><dm:deviceID>urn:x:1</dm:deviceID><contact>",
            ),
            (
                |t| t.activities = true,
                "<r:activities><r:away/></r:activities>",
            ),
            (
                |t| {
                    t.unknown_attributes.insert(QName {
                        ns: "urn:foo".into(),
                        name: "foo".into(),
                    });
                },
                "<f:foo>1</f:foo>",
            ),
            (
                |t| {
                    t.unknown_attributes.insert(QName {
                        ns: "urn:foo".into(),
                        name: "ext".into(),
                    });
                },
                "<basic>open</basic><f:ext>x</f:ext>",
            ),
            (|t| t.all_attributes = true, "<note>hi</note>"),
        ];
        for (g, want) in grants {
            let mut t2 = t.clone();
            g(&mut t2);
            let v = view(t2);
            assert!(v.contains(want), "{want} not in {v}");
        }
        // The root-level note follows provide-note.
        let mut t2 = t.clone();
        t2.note = true;
        assert!(view(t2).contains("<note>root</note>"));
    }

    #[test]
    fn unused_namespaces_and_unknown_component_attributes_are_removed() {
        let d = doc(
            r#"<presence xmlns="urn:ietf:params:xml:ns:pidf" xmlns:geo="urn:geo" xmlns:f="urn:foo" f:trace="1" entity="pres:a@example.com"><tuple id="t1" f:secret="s" xml:lang="en"><status><basic>open</basic></status><geo:where>here</geo:where></tuple></presence>"#,
        );
        let mut t = Transformations::default();
        t.services.all = true;
        let v = allow(t.clone()).apply(&d).expect("ok").expect("doc");
        assert_eq!(
            v.root.to_xml_string(),
            r#"<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="pres:a@example.com"><tuple id="t1" xml:lang="en"><status><basic>open</basic></status></tuple></presence>"#
        );
        t.all_attributes = true;
        let v = allow(t).apply(&d).expect("ok").expect("doc");
        assert_eq!(
            v.root.to_xml_string(),
            r#"<presence xmlns="urn:ietf:params:xml:ns:pidf" xmlns:geo="urn:geo" xmlns:f="urn:foo" entity="pres:a@example.com"><tuple id="t1" f:secret="s" xml:lang="en"><status><basic>open</basic></status><geo:where>here</geo:where></tuple></presence>"#
        );
    }

    #[test]
    fn user_input_levels() {
        let expect = [
            (UserInput::False, None),
            (
                UserInput::Bare,
                Some(r#"<r:user-input from="2004-10-21T13:00:00Z">idle</r:user-input>"#),
            ),
            (
                UserInput::Thresholds,
                Some(
                    r#"<r:user-input idle-threshold="600" from="2004-10-21T13:00:00Z">idle</r:user-input>"#,
                ),
            ),
            (
                UserInput::Full,
                Some(
                    r#"<r:user-input idle-threshold="600" last-input="2004-10-21T13:20:00-05:00" from="2004-10-21T13:00:00Z">idle</r:user-input>"#,
                ),
            ),
        ];
        for (level, want) in expect {
            let mut t = Transformations::default();
            t.persons.all = true;
            t.user_input = level;
            let v = view(t);
            match want {
                Some(w) => assert!(v.contains(w), "{level:?}: {v}"),
                None => assert!(!v.contains("user-input"), "{v}"),
            }
        }
    }

    #[test]
    fn block_confirm_polite() {
        let d = doc(P);
        for (sh, some) in [
            (SubHandling::Block, false),
            (SubHandling::Confirm, false),
            (SubHandling::PoliteBlock, true),
        ] {
            let mut p = allow(Transformations::default());
            p.transformations.all_attributes = true;
            p.transformations.services.all = true;
            p.sub_handling = sh;
            let out = p.apply(&d).expect("presence");
            assert_eq!(out.is_some(), some);
            if let Some(o) = out {
                assert_eq!(o, neutral_document("pres:a@example.com"));
            }
        }
        assert!(matches!(
            allow(Transformations::default()).apply(&doc("<x/>")),
            Err(ViewError::NotPresence { .. })
        ));
    }

    #[test]
    fn filtering_is_idempotent() {
        let mut t = Transformations::default();
        t.services.all = true;
        t.persons.all = true;
        t.user_input = UserInput::Bare;
        t.note = true;
        let p = allow(t);
        let once = p.apply(&doc(P)).expect("ok").expect("doc");
        let twice = p.apply(&once).expect("ok").expect("doc");
        assert_eq!(once, twice);
    }

    #[test]
    fn sphere_of_presence() {
        let d = |s: &str| {
            doc(&format!(
                r#"<presence xmlns="urn:ietf:params:xml:ns:pidf" xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model" xmlns:r="urn:ietf:params:xml:ns:pidf:rpid">{s}</presence>"#
            ))
        };
        assert_eq!(presence_sphere(&d("")), None);
        assert_eq!(
            presence_sphere(&d(
                "<dm:person id='a'><r:sphere>work</r:sphere></dm:person><dm:person id='b'/>"
            ))
            .as_deref(),
            Some("work")
        );
        assert_eq!(presence_sphere(&d("<dm:person id='a'><r:sphere>work</r:sphere></dm:person><dm:person id='b'><r:sphere>home</r:sphere></dm:person>")), None);
    }
}
