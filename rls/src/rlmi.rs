//! `application/rlmi+xml`: Resource List Meta-Information (RFC 4662
//! section 5).
//!
//! The root of every list notification: the list's URI, a version that
//! grows by one per NOTIFY, whether the document carries full state, and one
//! `<resource>` per reported resource with its virtual subscriptions
//! (`<instance>`). Attributes and elements from other namespaces are kept and
//! written back.

#![cfg_attr(
    not(test),
    deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)
)]

use pidf::xml::{Attribute, Document, Element, Limits, Node, NsDecl};
use pidf::Text;

use crate::common::{
    expect_root, extra_namespaces, indent, push_attrs, take_attrs, with_default_ns, At, DisplayName,
};
use crate::error::{DocError, DocErrorKind, DocKind};

/// The RLMI namespace (RFC 4662 section 5.1).
pub const NS: &str = "urn:ietf:params:xml:ns:rlmi";
/// The RLMI media type (RFC 4662 section 9.1).
pub const CONTENT_TYPE: &str = "application/rlmi+xml";

const DOC: DocKind = DocKind::Rlmi;

/// The state of one virtual subscription (RFC 4662 section 5.5, with the
/// meanings of RFC 6665's `Subscription-State`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InstanceState {
    /// `active`: state is available (the instance carries a `cid`).
    Active,
    /// `pending`: the back-end subscription awaits authorization.
    Pending,
    /// `terminated`: the back-end subscription is gone (with a `reason`).
    Terminated,
}

impl InstanceState {
    /// The attribute value.
    pub fn as_str(self) -> &'static str {
        match self {
            InstanceState::Active => "active",
            InstanceState::Pending => "pending",
            InstanceState::Terminated => "terminated",
        }
    }

    /// Parses an attribute value (the schema's closed enumeration).
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "active" => Some(InstanceState::Active),
            "pending" => Some(InstanceState::Pending),
            "terminated" => Some(InstanceState::Terminated),
            _ => None,
        }
    }
}

/// One `<instance>`: a virtual subscription to a resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instance {
    /// Opaque id, unique within its resource.
    pub id: Text,
    /// The virtual subscription's state.
    pub state: InstanceState,
    /// Why it terminated (required by the RFC when `state` is terminated).
    pub reason: Option<Text>,
    /// Content-ID of the body part with the resource's state (required by
    /// the RFC when `state` is active), without angle brackets.
    pub cid: Option<Text>,
    /// Attributes from other namespaces.
    pub other_attributes: Vec<Attribute>,
    /// Child content (the schema allows any element).
    pub content: Vec<Node>,
}

impl Instance {
    /// An instance with the given id and state.
    pub fn new(id: impl Into<Text>, state: InstanceState) -> Self {
        Instance {
            id: id.into(),
            state,
            reason: None,
            cid: None,
            other_attributes: Vec::new(),
            content: Vec::new(),
        }
    }

    /// Builder: sets the `cid`.
    pub fn with_cid(mut self, cid: impl Into<Text>) -> Self {
        self.cid = Some(cid.into());
        self
    }

    /// Builder: sets the `reason`.
    pub fn with_reason(mut self, reason: impl Into<Text>) -> Self {
        self.reason = Some(reason.into());
        self
    }

    /// Reads an `<instance>`, taking the element apart.
    fn from_tree(mut e: Element, at: &At<'_>) -> Result<Self, DocError> {
        let [id, state_s, reason, cid] = take_attrs(&mut e, ["id", "state", "reason", "cid"]);
        let id = at.required_value(DOC, id, "id")?;
        let state_s = at.required_value(DOC, state_s, "state")?;
        let state = InstanceState::parse(&state_s).ok_or_else(|| {
            at.err(
                DOC,
                DocErrorKind::InvalidAttribute {
                    attribute: "state",
                    value: state_s.to_string(),
                },
            )
        })?;
        Ok(Instance {
            id,
            state,
            reason,
            cid,
            other_attributes: std::mem::take(&mut e.attributes),
            content: std::mem::take(&mut e.children)
                .into_iter()
                .map(|n| match n {
                    Node::Element(c) => Node::Element(at.detach_owned(c)),
                    other => other,
                })
                .collect(),
        })
    }

    fn to_element(&self) -> Element {
        let mut e = Element::new(NS, "instance")
            .with_attr("id", self.id.clone())
            .with_attr("state", self.state.as_str());
        if let Some(r) = &self.reason {
            e.set_attr("reason", r.clone());
        }
        if let Some(c) = &self.cid {
            e.set_attr("cid", c.clone());
        }
        push_attrs(&mut e, &self.other_attributes);
        e.children = self.content.clone();
        e
    }
}

/// One `<resource>` of the list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resource {
    /// The resource's URI (the key of the subscriber's table).
    pub uri: Text,
    /// Human-readable names.
    pub names: Vec<DisplayName>,
    /// Its virtual subscriptions; none while the server knows no state.
    pub instances: Vec<Instance>,
    /// Attributes from other namespaces.
    pub other_attributes: Vec<Attribute>,
    /// Child elements from other namespaces, written after the instances.
    pub extensions: Vec<Element>,
}

impl Resource {
    /// A resource with no names and no instances.
    pub fn new(uri: impl Into<Text>) -> Self {
        Resource {
            uri: uri.into(),
            names: Vec::new(),
            instances: Vec::new(),
            other_attributes: Vec::new(),
            extensions: Vec::new(),
        }
    }

    /// Builder: adds a name.
    pub fn with_name(mut self, name: DisplayName) -> Self {
        self.names.push(name);
        self
    }

    /// Builder: adds an instance.
    pub fn with_instance(mut self, instance: Instance) -> Self {
        self.instances.push(instance);
        self
    }

    /// Reads a `<resource>`, taking the element apart.
    fn from_tree(mut e: Element, at: &At<'_>) -> Result<Self, DocError> {
        let [uri] = take_attrs(&mut e, ["uri"]);
        let mut r = Resource::new(at.required_value(DOC, uri, "uri")?);
        r.other_attributes = std::mem::take(&mut e.attributes);
        // Room for exactly the instances there are: most resources have
        // one, where pushing would make room for four.
        r.instances = Vec::with_capacity(count_children(&e, "instance"));
        let mut n_inst = 0;
        for n in std::mem::take(&mut e.children) {
            let Node::Element(mut c) = n else { continue };
            if c.is(NS, "name") {
                r.names.push(DisplayName::from_owned(c));
            } else if c.is(NS, "instance") {
                n_inst += 1;
                let decls = std::mem::take(&mut c.namespaces);
                let at = at.child_decls("instance", n_inst, &decls);
                r.instances.push(Instance::from_tree(c, &at)?);
            } else {
                r.extensions.push(at.detach_owned(c));
            }
        }
        Ok(r)
    }

    fn to_element(&self) -> Element {
        let mut e = Element::new(NS, "resource").with_attr("uri", self.uri.clone());
        push_attrs(&mut e, &self.other_attributes);
        for n in &self.names {
            e.children.push(Node::Element(n.to_element(NS, "name")));
        }
        for i in &self.instances {
            e.children.push(Node::Element(i.to_element()));
        }
        for x in &self.extensions {
            e.children.push(Node::Element(x.clone()));
        }
        e
    }
}

/// How many children of `e` are RLMI elements named `local`.
fn count_children(e: &Element, local: &str) -> usize {
    e.children
        .iter()
        .filter(|n| matches!(n, Node::Element(c) if c.is(NS, local)))
        .count()
}

/// An RLMI document: the `<list>` root.
///
/// ```
/// use rls::rlmi::{Instance, InstanceState, Resource, Rlmi};
///
/// let mut doc = Rlmi::new("sip:friends@example.com", 0, true);
/// doc.resources.push(
///     Resource::new("sip:bob@example.com")
///         .with_instance(Instance::new("a1", InstanceState::Active).with_cid("p1@example.com")),
/// );
/// let xml = doc.to_xml();
/// let back = Rlmi::parse(&xml)?;
/// assert_eq!(back, doc);
/// # Ok::<(), rls::DocError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rlmi {
    /// The list's URI.
    pub uri: Text,
    /// 0 in the first NOTIFY of a subscription, then one more per NOTIFY
    /// (RFC 4662 section 5.2).
    pub version: u32,
    /// Whether every resource of the list is reported.
    pub full_state: bool,
    /// Content-ID of a part with aggregate state for the whole list.
    pub cid: Option<Text>,
    /// Human-readable names of the list.
    pub names: Vec<DisplayName>,
    /// The resources reported.
    pub resources: Vec<Resource>,
    /// Attributes from other namespaces.
    pub other_attributes: Vec<Attribute>,
    /// Child elements from other namespaces, written after the resources.
    pub extensions: Vec<Element>,
    /// Namespace declarations on the root as parsed, so prefixes survive.
    pub namespaces: Vec<NsDecl>,
}

impl Rlmi {
    /// An empty list document.
    pub fn new(uri: impl Into<Text>, version: u32, full_state: bool) -> Self {
        Rlmi {
            uri: uri.into(),
            version,
            full_state,
            cid: None,
            names: Vec::new(),
            resources: Vec::new(),
            other_attributes: Vec::new(),
            extensions: Vec::new(),
            namespaces: Vec::new(),
        }
    }

    /// Parses an RLMI document within the default [`Limits`].
    pub fn parse(input: &[u8]) -> Result<Self, DocError> {
        Self::parse_with(input, &Limits::default())
    }

    /// Parses an RLMI document within `limits`.
    pub fn parse_with(input: &[u8], limits: &Limits) -> Result<Self, DocError> {
        let doc = Document::parse(input, limits).map_err(|e| DocError::xml(DOC, e))?;
        Self::from_tree(doc.root)
    }

    /// Reads the typed document from a parsed `<list>` element, taking it
    /// apart (no text is copied). What [`Rlmi::parse`] does.
    pub fn from_tree(mut e: Element) -> Result<Self, DocError> {
        expect_root(DOC, &e, NS, "list")?;
        let at = At::root("list");
        let [uri, v, f, cid] = take_attrs(&mut e, ["uri", "version", "fullState", "cid"]);
        let uri = at.required_value(DOC, uri, "uri")?;
        let v = at.required_value(DOC, v, "version")?;
        let version = v.trim().parse::<u32>().map_err(|_| {
            at.err(
                DOC,
                DocErrorKind::InvalidAttribute {
                    attribute: "version",
                    value: v.to_string(),
                },
            )
        })?;
        let f = at.required_value(DOC, f, "fullState")?;
        let full_state = parse_bool(&f).ok_or_else(|| {
            at.err(
                DOC,
                DocErrorKind::InvalidAttribute {
                    attribute: "fullState",
                    value: f.to_string(),
                },
            )
        })?;
        let mut doc = Rlmi::new(uri, version, full_state);
        doc.cid = cid;
        doc.other_attributes = std::mem::take(&mut e.attributes);
        doc.namespaces = extra_namespaces(&e, NS);
        // Room for every resource at once: a full-state document holds
        // hundreds, which growing by doubling would copy over and over.
        doc.resources = Vec::with_capacity(count_children(&e, "resource"));
        let mut n_res = 0;
        for n in std::mem::take(&mut e.children) {
            let Node::Element(mut c) = n else { continue };
            if c.is(NS, "name") {
                doc.names.push(DisplayName::from_owned(c));
            } else if c.is(NS, "resource") {
                n_res += 1;
                let decls = std::mem::take(&mut c.namespaces);
                let at = at.child_decls("resource", n_res, &decls);
                doc.resources.push(Resource::from_tree(c, &at)?);
            } else {
                doc.extensions.push(at.detach_owned(c));
            }
        }
        Ok(doc)
    }

    /// Reads the typed document from a parsed `<list>` element, copying
    /// what it keeps (see [`Rlmi::from_tree`] to take a tree apart instead).
    pub fn from_element(e: &Element) -> Result<Self, DocError> {
        Self::from_tree(e.clone())
    }

    /// The document as a `<list>` element tree.
    pub fn to_element(&self) -> Element {
        let mut e = Element::new(NS, "list");
        e.namespaces = with_default_ns(NS, &self.namespaces);
        e.set_attr("uri", self.uri.clone());
        e.set_attr("version", self.version.to_string());
        e.set_attr("fullState", if self.full_state { "true" } else { "false" });
        if let Some(c) = &self.cid {
            e.set_attr("cid", c.clone());
        }
        push_attrs(&mut e, &self.other_attributes);
        for n in &self.names {
            e.children.push(Node::Element(n.to_element(NS, "name")));
        }
        for r in &self.resources {
            e.children.push(Node::Element(r.to_element()));
        }
        for x in &self.extensions {
            e.children.push(Node::Element(x.clone()));
        }
        e
    }

    /// Writes the document (with an XML declaration), compactly.
    pub fn write(&self, out: &mut Vec<u8>) {
        Document::new(self.to_element()).write(out);
    }

    /// The document as compact XML bytes.
    pub fn to_xml(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.write(&mut out);
        out
    }

    /// The document as indented XML, for people.
    pub fn to_pretty_string(&self) -> String {
        let mut root = self.to_element();
        indent(&mut root, 0);
        Document::new(root).to_xml_string()
    }

    /// The resource with URI `uri`.
    pub fn resource(&self, uri: &str) -> Option<&Resource> {
        self.resources.iter().find(|r| r.uri == uri)
    }
}

/// `xs:boolean` (XML Schema Part 2 section 3.2.2).
pub(crate) fn parse_bool(s: &str) -> Option<bool> {
    match s.trim() {
        "true" | "1" => Some(true),
        "false" | "0" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = r#"<?xml version="1.0"?>
<list xmlns="urn:ietf:params:xml:ns:rlmi" xmlns:x="urn:example:x"
      uri="sip:adam-friends@lists.vancouver.example.com"
      version="7" fullState="true" x:flag="on">
  <name xml:lang="en">Buddy List</name>
  <name xml:lang="fr">Liste d'amis</name>
  <resource uri="sip:bob@vancouver.example.com">
    <name>Bob Smith</name>
    <instance id="juwigmtboe" state="active"
              cid="12345.aaa@vancouver.example.com"/>
  </resource>
  <resource uri="sip:jim@vancouver.example.com">
    <name>Jim</name>
    <instance id="oflzxqzuvg" state="terminated" reason="rejected" />
    <x:note>kept</x:note>
  </resource>
  <resource uri="sip:ed@vancouver.example.com">
    <name>Ed</name>
    <instance id="grqhzsppxb" state="pending"/>
  </resource>
  <x:trailer a="1"/>
</list>"#;

    #[test]
    fn parses_the_section_5_1_example() {
        let d = Rlmi::parse(EXAMPLE.as_bytes()).unwrap();
        assert_eq!(d.uri, "sip:adam-friends@lists.vancouver.example.com");
        assert_eq!(d.version, 7);
        assert!(d.full_state);
        assert_eq!(d.names[1], DisplayName::with_lang("fr", "Liste d'amis"));
        assert_eq!(d.resources.len(), 3);
        let jim = d.resource("sip:jim@vancouver.example.com").unwrap();
        assert_eq!(jim.instances[0].state, InstanceState::Terminated);
        assert_eq!(jim.instances[0].reason.as_deref(), Some("rejected"));
        assert_eq!(jim.extensions.len(), 1);
        assert_eq!(d.extensions.len(), 1);
        assert_eq!(d.other_attributes[0].value, "on");
    }

    #[test]
    fn round_trip_keeps_extensions() {
        let src = Document::parse(EXAMPLE.as_bytes(), &Limits::default()).unwrap();
        let d = Rlmi::from_element(&src.root).unwrap();
        let out = d.to_xml();
        let again = Document::parse(&out, &Limits::default()).unwrap();
        assert!(
            src.root.infoset_eq(&again.root),
            "{}",
            String::from_utf8_lossy(&out)
        );
        assert_eq!(Rlmi::parse(&out).unwrap(), d);
        let pretty = d.to_pretty_string();
        assert_eq!(Rlmi::parse(pretty.as_bytes()).unwrap(), d);
    }

    #[test]
    fn attributes_it_does_not_know_stay_in_order() {
        let src = r#"<list xmlns="urn:ietf:params:xml:ns:rlmi" xmlns:x="urn:x" a="1" uri="u" x:uri="2" version="3" fullState="false" b="4">
  <resource x:n="5" uri="sip:a@example.com" c="6"><instance cid="c1" x:id="7" state="active" id="i1" d="8"/></resource>
  <resource uri="sip:b@example.com"><instance id="i2" state="pending"/></resource>
</list>"#;
        let d = Rlmi::parse(src.as_bytes()).unwrap();
        let names = |a: &[Attribute]| -> Vec<String> {
            a.iter()
                .map(|a| format!("{}={}", a.name.local, a.value))
                .collect()
        };
        assert_eq!((d.uri.as_str(), d.version, d.full_state), ("u", 3, false));
        assert_eq!(names(&d.other_attributes), ["a=1", "uri=2", "b=4"]);
        let r = &d.resources[0];
        assert_eq!(r.uri, "sip:a@example.com");
        assert_eq!(names(&r.other_attributes), ["n=5", "c=6"]);
        let i = &r.instances[0];
        assert_eq!((i.id.as_str(), i.cid.as_deref()), ("i1", Some("c1")));
        assert_eq!(names(&i.other_attributes), ["id=7", "d=8"]);
        // With nothing else on an element, nothing is kept allocated.
        let plain = &d.resources[1];
        assert_eq!(plain.other_attributes.capacity(), 0);
        assert_eq!(plain.instances[0].other_attributes.capacity(), 0);
        assert_eq!(plain.instances.capacity(), 1);
        assert_eq!(d.resources.capacity(), 2);
        assert_eq!(Rlmi::parse(&d.to_xml()).unwrap(), d);
    }

    #[test]
    fn schema_errors_say_what_and_where() {
        let cases: &[(&str, &str)] = &[
            (
                r#"<list xmlns="urn:ietf:params:xml:ns:rlmi" version="1" fullState="true"/>"#,
                "rlmi document: missing required attribute \"uri\" at /list",
            ),
            (
                r#"<list xmlns="urn:ietf:params:xml:ns:rlmi" uri="u" version="-1" fullState="true"/>"#,
                "rlmi document: attribute \"version\" has invalid value \"-1\" at /list",
            ),
            (
                r#"<list xmlns="urn:ietf:params:xml:ns:rlmi" uri="u" version="1" fullState="yes"/>"#,
                "rlmi document: attribute \"fullState\" has invalid value \"yes\" at /list",
            ),
            (
                r#"<list xmlns="urn:ietf:params:xml:ns:rlmi" uri="u" version="1" fullState="1"><resource uri="a"/><resource uri="b"><instance id="i" state="gone"/></resource></list>"#,
                "rlmi document: attribute \"state\" has invalid value \"gone\" at /list/resource[2]/instance[1]",
            ),
            (
                r#"<list uri="u" version="1" fullState="1"/>"#,
                "rlmi document: root element is {}list, expected {urn:ietf:params:xml:ns:rlmi}list at /",
            ),
            // Required attributes are checked in the schema's order, each
            // where it is missing; a namespaced one of the same local
            // name does not stand in for it.
            (
                r#"<list xmlns="urn:ietf:params:xml:ns:rlmi" xmlns:x="urn:x" uri="u" x:version="1" fullState="1"/>"#,
                "rlmi document: missing required attribute \"version\" at /list",
            ),
            (
                r#"<list xmlns="urn:ietf:params:xml:ns:rlmi" uri="u" version="1" fullState="1"><resource uri="a"/><resource/></list>"#,
                "rlmi document: missing required attribute \"uri\" at /list/resource[2]",
            ),
            (
                r#"<list xmlns="urn:ietf:params:xml:ns:rlmi" uri="u" version="1" fullState="1"><resource uri="a"><instance state="active"/></resource></list>"#,
                "rlmi document: missing required attribute \"id\" at /list/resource[1]/instance[1]",
            ),
            (
                r#"<list xmlns="urn:ietf:params:xml:ns:rlmi" uri="u" version="1" fullState="1"><resource uri="a"><instance cid="c" id="i"/></resource></list>"#,
                "rlmi document: missing required attribute \"state\" at /list/resource[1]/instance[1]",
            ),
        ];
        for (src, msg) in cases {
            assert_eq!(Rlmi::parse(src.as_bytes()).unwrap_err().to_string(), *msg);
        }
        let e = Rlmi::parse(b"<list").unwrap_err();
        assert!(matches!(e.kind, DocErrorKind::Xml(_)));
    }

    #[test]
    fn root_in_a_prefix_with_another_default() {
        let src = br#"<r:list xmlns:r="urn:ietf:params:xml:ns:rlmi" xmlns="urn:other" uri="u" version="1" fullState="true"><r:resource uri="a"/><x/></r:list>"#;
        let d = Rlmi::parse(src).unwrap();
        assert_eq!(d.extensions.len(), 1);
        let out = d.to_xml();
        let again = Document::parse(&out, &Limits::default()).unwrap();
        let orig = Document::parse(src, &Limits::default()).unwrap();
        assert!(
            orig.root.infoset_eq(&again.root),
            "{}",
            String::from_utf8_lossy(&out)
        );
    }

    #[test]
    fn boolean_forms() {
        let d = Rlmi::parse(
            br#"<list xmlns="urn:ietf:params:xml:ns:rlmi" uri="u" version="4294967295" fullState="0"/>"#,
        )
        .unwrap();
        assert!(!d.full_state);
        assert_eq!(d.version, u32::MAX);
    }
}
