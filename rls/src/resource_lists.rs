//! `application/resource-lists+xml` (RFC 4826 section 3).
//!
//! A document holds lists; a list holds, in any order, entries (a URI),
//! entry references (an XCAP path to an entry elsewhere), externals (a URI
//! of a list elsewhere) and nested lists. Unknown elements keep their place
//! among the members; unknown attributes are kept too.

#![cfg_attr(
    not(test),
    deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)
)]

use pidf::xml::{Attribute, Document, Element, Limits, Name, Node, NsDecl};
use pidf::Text;

use crate::common::{
    expect_root, extra_namespaces, indent, other_attributes, push_attrs, with_default_ns, At,
    DisplayName,
};
use crate::error::{DocError, DocKind};

/// The resource-lists namespace (RFC 4826 section 3.2).
pub const NS: &str = "urn:ietf:params:xml:ns:resource-lists";
/// The media type (RFC 4826 section 9.1).
pub const CONTENT_TYPE: &str = "application/resource-lists+xml";

/// `<entry>`: one resource by URI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The resource's URI.
    pub uri: Text,
    /// Its display name.
    pub display_name: Option<DisplayName>,
    /// Attributes from other namespaces.
    pub other_attributes: Vec<Attribute>,
    /// Child elements from other namespaces.
    pub extensions: Vec<Element>,
}

impl Entry {
    /// An entry for `uri`.
    pub fn new(uri: impl Into<Text>) -> Self {
        Entry {
            uri: uri.into(),
            display_name: None,
            other_attributes: Vec::new(),
            extensions: Vec::new(),
        }
    }

    /// Builder: sets the display name.
    pub fn with_display_name(mut self, name: DisplayName) -> Self {
        self.display_name = Some(name);
        self
    }
}

/// `<entry-ref>`: an entry kept elsewhere, by XCAP path relative to the
/// XCAP root (RFC 4826 section 3.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryRef {
    /// The `ref` attribute.
    pub reference: Text,
    /// Its display name.
    pub display_name: Option<DisplayName>,
    /// Attributes from other namespaces.
    pub other_attributes: Vec<Attribute>,
    /// Child elements from other namespaces.
    pub extensions: Vec<Element>,
}

/// `<external>`: a whole list kept elsewhere, by absolute URI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct External {
    /// The `anchor` attribute (optional in the schema).
    pub anchor: Option<Text>,
    /// Its display name.
    pub display_name: Option<DisplayName>,
    /// Attributes from other namespaces.
    pub other_attributes: Vec<Attribute>,
    /// Child elements from other namespaces.
    pub extensions: Vec<Element>,
}

/// One member of a list, in document order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Member {
    /// `<entry>`.
    Entry(Entry),
    /// `<entry-ref>`.
    EntryRef(EntryRef),
    /// `<external>`.
    External(External),
    /// A nested `<list>`.
    List(List),
    /// An element from another namespace, kept in place.
    Extension(Element),
}

/// `<list>`: a named list of members.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct List {
    /// The `name` attribute (unique among sibling lists).
    pub name: Option<Text>,
    /// Its display name.
    pub display_name: Option<DisplayName>,
    /// Its members, in order.
    pub members: Vec<Member>,
    /// Attributes from other namespaces.
    pub other_attributes: Vec<Attribute>,
}

impl List {
    /// An empty list.
    pub fn new(name: Option<&str>) -> Self {
        List {
            name: name.map(Text::from),
            ..List::default()
        }
    }

    /// Builder: appends an entry.
    pub fn with_entry(mut self, entry: Entry) -> Self {
        self.members.push(Member::Entry(entry));
        self
    }

    /// A flat list of entries for `uris` (the RFC 5367 ad-hoc form).
    pub fn of_uris<S: AsRef<str>>(uris: &[S]) -> Self {
        List {
            members: uris
                .iter()
                .map(|u| Member::Entry(Entry::new(u.as_ref())))
                .collect(),
            ..List::default()
        }
    }

    /// The entries directly in this list (not nested ones).
    pub fn entries(&self) -> impl Iterator<Item = &Entry> {
        self.members.iter().filter_map(|m| match m {
            Member::Entry(e) => Some(e),
            _ => None,
        })
    }

    /// Reads a list element of any name (an `rls-services` `<list>` is in
    /// that namespace but has resource-lists content).
    pub(crate) fn from_element(e: &Element, doc: DocKind, at: &At<'_>) -> Result<Self, DocError> {
        let mut list = List {
            name: e.attr("name").map(Text::from),
            other_attributes: other_attributes(e, &["name"]),
            ..List::default()
        };
        let (mut n_entry, mut n_ref, mut n_external, mut n_list) = (0, 0, 0, 0);
        for c in e.elements() {
            if c.name.ns_str() != NS {
                list.members.push(Member::Extension(at.detach(c)));
                continue;
            }
            match &*c.name.local {
                "display-name" if list.display_name.is_none() && list.members.is_empty() => {
                    list.display_name = Some(DisplayName::from_element(c));
                }
                "entry" => {
                    n_entry += 1;
                    let at = at.child("entry", n_entry, c);
                    let (display_name, extensions) = display_and_rest(c, &at);
                    list.members.push(Member::Entry(Entry {
                        uri: at.required(doc, c, "uri")?,
                        display_name,
                        other_attributes: other_attributes(c, &["uri"]),
                        extensions,
                    }));
                }
                "entry-ref" => {
                    n_ref += 1;
                    let at = at.child("entry-ref", n_ref, c);
                    let (display_name, extensions) = display_and_rest(c, &at);
                    list.members.push(Member::EntryRef(EntryRef {
                        reference: at.required(doc, c, "ref")?,
                        display_name,
                        other_attributes: other_attributes(c, &["ref"]),
                        extensions,
                    }));
                }
                "external" => {
                    n_external += 1;
                    let at = at.child("external", n_external, c);
                    let (display_name, extensions) = display_and_rest(c, &at);
                    list.members.push(Member::External(External {
                        anchor: c.attr("anchor").map(Text::from),
                        display_name,
                        other_attributes: other_attributes(c, &["anchor"]),
                        extensions,
                    }));
                }
                "list" => {
                    n_list += 1;
                    let at = at.child("list", n_list, c);
                    list.members
                        .push(Member::List(List::from_element(c, doc, &at)?));
                }
                _ => list.members.push(Member::Extension(at.detach(c))),
            }
        }
        Ok(list)
    }

    /// Writes the list as an element named `{ns}list`; resource-lists
    /// children are written with `prefix` when one is given (so an
    /// rls-services document keeps its `rl:` entries).
    pub(crate) fn to_element_named(&self, ns: &str, prefix: Option<&str>) -> Element {
        let mut e = if ns == NS {
            rl_element("list", prefix)
        } else {
            Element::new(ns, "list")
        };
        if let Some(n) = &self.name {
            e.set_attr("name", n.clone());
        }
        push_attrs(&mut e, &self.other_attributes);
        if let Some(d) = &self.display_name {
            e.children.push(Node::Element(display_element(d, prefix)));
        }
        for m in &self.members {
            let child = match m {
                Member::Entry(x) => member_element(
                    "entry",
                    ("uri", Some(&x.uri)),
                    &x.display_name,
                    &x.other_attributes,
                    &x.extensions,
                    prefix,
                ),
                Member::EntryRef(x) => member_element(
                    "entry-ref",
                    ("ref", Some(&x.reference)),
                    &x.display_name,
                    &x.other_attributes,
                    &x.extensions,
                    prefix,
                ),
                Member::External(x) => member_element(
                    "external",
                    ("anchor", x.anchor.as_ref()),
                    &x.display_name,
                    &x.other_attributes,
                    &x.extensions,
                    prefix,
                ),
                Member::List(l) => l.to_element_named(NS, prefix),
                Member::Extension(x) => x.clone(),
            };
            e.children.push(Node::Element(child));
        }
        e
    }
}

fn rl_element(local: &str, prefix: Option<&str>) -> Element {
    match prefix {
        Some(p) => Element::with_name(Name::prefixed(NS, p, local)),
        None => Element::new(NS, local),
    }
}

fn display_element(d: &DisplayName, prefix: Option<&str>) -> Element {
    let mut e = d.to_element(NS, "display-name");
    if let Some(p) = prefix {
        e.name = Name::prefixed(NS, p, "display-name");
    }
    e
}

/// The prefix `namespaces` bind to the resource-lists namespace, if any.
pub(crate) fn rl_prefix(namespaces: &[NsDecl]) -> Option<&str> {
    namespaces
        .iter()
        .find(|d| d.uri == NS && d.prefix.is_some())
        .and_then(|d| d.prefix.as_deref())
}

fn display_and_rest(e: &Element, at: &At<'_>) -> (Option<DisplayName>, Vec<Element>) {
    let mut display = None;
    let mut rest = Vec::new();
    for c in e.elements() {
        if display.is_none() && c.is(NS, "display-name") {
            display = Some(DisplayName::from_element(c));
        } else {
            rest.push(at.detach(c));
        }
    }
    (display, rest)
}

fn member_element(
    local: &str,
    (attr, value): (&str, Option<&Text>),
    display: &Option<DisplayName>,
    others: &[Attribute],
    extensions: &[Element],
    prefix: Option<&str>,
) -> Element {
    let mut e = rl_element(local, prefix);
    if let Some(v) = value {
        e.set_attr(attr, v.clone());
    }
    push_attrs(&mut e, others);
    if let Some(d) = display {
        e.children.push(Node::Element(display_element(d, prefix)));
    }
    for x in extensions {
        e.children.push(Node::Element(x.clone()));
    }
    e
}

/// A resource-lists document: the `<resource-lists>` root.
///
/// ```
/// use rls::resource_lists::{Entry, List, ResourceLists};
///
/// let doc = ResourceLists::parse(br#"<resource-lists xmlns="urn:ietf:params:xml:ns:resource-lists">
///   <list name="friends"><entry uri="sip:bill@example.com"/></list>
/// </resource-lists>"#)?;
/// assert_eq!(doc.lists[0].entries().next().map(|e| e.uri.as_str()), Some("sip:bill@example.com"));
/// assert_eq!(ResourceLists::parse(&doc.to_xml())?, doc);
/// # Ok::<(), rls::DocError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ResourceLists {
    /// The top-level lists.
    pub lists: Vec<List>,
    /// Attributes from other namespaces.
    pub other_attributes: Vec<Attribute>,
    /// Child elements from other namespaces, written after the lists.
    pub extensions: Vec<Element>,
    /// Namespace declarations on the root as parsed.
    pub namespaces: Vec<NsDecl>,
}

impl ResourceLists {
    /// A document holding `lists`.
    pub fn new(lists: Vec<List>) -> Self {
        ResourceLists {
            lists,
            ..ResourceLists::default()
        }
    }

    /// Parses a document within the default [`Limits`].
    pub fn parse(input: &[u8]) -> Result<Self, DocError> {
        Self::parse_with(input, &Limits::default())
    }

    /// Parses a document within `limits`.
    pub fn parse_with(input: &[u8], limits: &Limits) -> Result<Self, DocError> {
        let doc =
            Document::parse(input, limits).map_err(|e| DocError::xml(DocKind::ResourceLists, e))?;
        Self::from_element(&doc.root)
    }

    /// Reads the typed document from a parsed root element.
    pub fn from_element(e: &Element) -> Result<Self, DocError> {
        const D: DocKind = DocKind::ResourceLists;
        expect_root(D, e, NS, "resource-lists")?;
        let at = At::root("resource-lists");
        let mut doc = ResourceLists {
            other_attributes: e.attributes.clone(),
            namespaces: extra_namespaces(e, NS),
            ..ResourceLists::default()
        };
        let mut n = 0;
        for c in e.elements() {
            if c.is(NS, "list") {
                n += 1;
                let at = at.child("list", n, c);
                doc.lists.push(List::from_element(c, D, &at)?);
            } else {
                doc.extensions.push(at.detach(c));
            }
        }
        Ok(doc)
    }

    /// The document as an element tree.
    pub fn to_element(&self) -> Element {
        let mut e = Element::new(NS, "resource-lists");
        e.namespaces = with_default_ns(NS, &self.namespaces);
        push_attrs(&mut e, &self.other_attributes);
        for l in &self.lists {
            e.children.push(Node::Element(l.to_element_named(NS, None)));
        }
        for x in &self.extensions {
            e.children.push(Node::Element(x.clone()));
        }
        e
    }

    /// Writes the document compactly, with an XML declaration.
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

    /// The top-level list named `name`.
    pub fn list(&self, name: &str) -> Option<&List> {
        self.lists.iter().find(|l| l.name.as_deref() == Some(name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::DocErrorKind;

    #[test]
    fn members_keep_their_order_and_extensions() {
        let src =
            br#"<resource-lists xmlns="urn:ietf:params:xml:ns:resource-lists" xmlns:x="urn:x">
 <list name="a" x:k="v">
  <display-name xml:lang="en">A</display-name>
  <entry uri="sip:1@x"><display-name>One</display-name><x:e/></entry>
  <x:middle/>
  <entry-ref ref="resource-lists/users/u/index/~~/resource-lists/list%5b@name=%22b%22%5d"/>
  <list name="n"><entry uri="sip:2@x"/></list>
  <external anchor="http://xcap.example/list"/>
 </list>
 <x:tail/>
</resource-lists>"#;
        let d = ResourceLists::parse(src).unwrap();
        let a = d.list("a").unwrap();
        assert_eq!(a.display_name, Some(DisplayName::with_lang("en", "A")));
        assert!(
            matches!(&a.members[0], Member::Entry(e) if e.uri == "sip:1@x" && e.extensions.len() == 1)
        );
        assert!(matches!(&a.members[1], Member::Extension(e) if e.is("urn:x", "middle")));
        assert!(matches!(&a.members[2], Member::EntryRef(_)));
        assert!(matches!(&a.members[3], Member::List(l) if l.name.as_deref() == Some("n")));
        assert!(
            matches!(&a.members[4], Member::External(x) if x.anchor.as_deref() == Some("http://xcap.example/list"))
        );
        assert_eq!(d.extensions.len(), 1);
        let src_tree = Document::parse(src, &Limits::default()).unwrap();
        let out = d.to_xml();
        let back = Document::parse(&out, &Limits::default()).unwrap();
        assert!(src_tree.root.infoset_eq(&back.root));
        assert_eq!(
            ResourceLists::parse(d.to_pretty_string().as_bytes()).unwrap(),
            d
        );
    }

    #[test]
    fn missing_uri_is_located() {
        let e = ResourceLists::parse(
            br#"<resource-lists xmlns="urn:ietf:params:xml:ns:resource-lists"><list/><list><entry uri="a"/><entry/></list></resource-lists>"#,
        )
        .unwrap_err();
        assert_eq!(e.at, "/resource-lists/list[2]/entry[2]");
        assert_eq!(e.kind, DocErrorKind::MissingAttribute { attribute: "uri" });
    }
}
