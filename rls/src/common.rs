//! Pieces shared by the three document types.

#![cfg_attr(
    not(test),
    deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)
)]

use pidf::xml::{Attribute, Element, Name, Node, NsDecl};
use pidf::Text;

use crate::error::{DocError, DocErrorKind, DocKind};

/// The namespace of `xml:lang` (Namespaces in XML 1.0 section 3).
pub const XML_NS: &str = "http://www.w3.org/XML/1998/namespace";

/// A human-readable name with an optional language tag: RLMI `<name>`
/// (RFC 4662 section 5.4) and resource-lists `<display-name>` (RFC 4826
/// section 3.2).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DisplayName {
    /// The `xml:lang` language tag, if any.
    pub lang: Option<Text>,
    /// The text, as written (white space kept).
    pub text: Text,
}

impl DisplayName {
    /// A name with no language tag.
    pub fn new(text: impl Into<Text>) -> Self {
        DisplayName {
            lang: None,
            text: text.into(),
        }
    }

    /// A name with a language tag.
    pub fn with_lang(lang: impl Into<Text>, text: impl Into<Text>) -> Self {
        DisplayName {
            lang: Some(lang.into()),
            text: text.into(),
        }
    }

    pub(crate) fn from_element(e: &Element) -> Self {
        DisplayName {
            lang: e.attr_ns(XML_NS, "lang").map(Text::from),
            text: e.text().into(),
        }
    }

    /// [`DisplayName::from_element`], taking the text instead of copying.
    pub(crate) fn from_owned(mut e: Element) -> Self {
        let lang = e
            .attributes
            .iter()
            .position(|a| a.name.is(XML_NS, "lang"))
            .map(|i| e.attributes.remove(i).value);
        let text = match e.children.as_mut_slice() {
            [Node::Text(t)] => std::mem::take(t),
            _ => e.text().into(),
        };
        DisplayName { lang, text }
    }

    pub(crate) fn to_element(&self, ns: &str, local: &str) -> Element {
        let mut e = Element::new(ns, local);
        if let Some(lang) = &self.lang {
            e.attributes.push(Attribute {
                name: Name::prefixed(XML_NS, "xml", "lang"),
                value: lang.clone(),
            });
        }
        if !self.text.is_empty() {
            e.children.push(Node::Text(self.text.clone()));
        }
        e
    }
}

/// Where in a document a parser is: a linked list of element steps on the
/// stack, rendered as a path only when an error needs it.
///
/// Each step below the root also holds the namespace declarations written on
/// its element. The typed model does not keep them, so an element kept whole
/// from under it takes along the ones it is in the scope of (see
/// [`At::detach`]).
#[derive(Clone, Copy)]
pub(crate) struct At<'a> {
    pub(crate) parent: Option<&'a At<'a>>,
    pub(crate) name: &'static str,
    /// 1-based position among same-named siblings; 0 for the root.
    pub(crate) index: usize,
    /// The declarations on this step's element (none for the root, whose
    /// prefixed declarations the documents keep).
    decls: &'a [NsDecl],
}

impl<'a> At<'a> {
    pub(crate) fn root(name: &'static str) -> Self {
        At {
            parent: None,
            name,
            index: 0,
            decls: &[],
        }
    }

    /// The step into `e`, the `index`-th `name` child.
    pub(crate) fn child(&'a self, name: &'static str, index: usize, e: &'a Element) -> At<'a> {
        self.child_decls(name, index, &e.namespaces)
    }

    /// The step into the `index`-th `name` child, whose declarations were
    /// taken off it as `decls` (for a typed reader that takes the element
    /// apart).
    pub(crate) fn child_decls(
        &'a self,
        name: &'static str,
        index: usize,
        decls: &'a [NsDecl],
    ) -> At<'a> {
        At {
            parent: Some(self),
            name,
            index,
            decls,
        }
    }

    /// `value`, an attribute [`take_attrs`] took, or the error that says
    /// the required `attribute` is missing here.
    pub(crate) fn required_value(
        &self,
        doc: DocKind,
        value: Option<Text>,
        attribute: &'static str,
    ) -> Result<Text, DocError> {
        value.ok_or_else(|| self.err(doc, DocErrorKind::MissingAttribute { attribute }))
    }

    /// [`At::detach`], for a child the reader owns.
    pub(crate) fn detach_owned(&self, mut c: Element) -> Element {
        let mut cur = Some(self);
        while let Some(step) = cur {
            for d in step.decls {
                if d.prefix.is_some() && !c.namespaces.iter().any(|o| o.prefix == d.prefix) {
                    c.namespaces.push(d.clone());
                }
            }
            cur = step.parent;
        }
        if !c.namespaces.iter().any(|d| d.prefix.is_none()) {
            if let Some(uri) = outside_default(&c).map(str::to_owned) {
                c.namespaces.push(NsDecl::new(None, &uri));
            }
        }
        c
    }

    /// `c`, a child of this step's element that the typed model keeps as a
    /// tree, made to carry the namespace context it had here.
    ///
    /// Written back, the typed elements above it carry no declarations of
    /// their own (only the root's are kept), so `c` takes along:
    /// - each prefix declared on a typed element between the root and `c`,
    ///   innermost first, unless `c` declares that prefix itself (so names
    ///   and QName values in it keep their meaning);
    /// - the default namespace, when an unprefixed name in `c` relies on
    ///   one from outside it (the writer declares the document's own
    ///   namespace as the default on the root, and may redeclare it on typed
    ///   elements, so the source's default cannot be assumed).
    ///
    /// Parsing what the model writes then gives back the same `c`: every
    /// name in it is bound inside it, so nothing is declared on the way.
    pub(crate) fn detach(&self, c: &Element) -> Element {
        self.detach_owned(c.clone())
    }

    pub(crate) fn render(&self) -> String {
        let mut steps = Vec::new();
        let mut cur = Some(self);
        while let Some(a) = cur {
            steps.push(a);
            cur = a.parent;
        }
        let mut s = String::new();
        for a in steps.iter().rev() {
            s.push('/');
            s.push_str(a.name);
            if a.index > 0 {
                s.push_str(&format!("[{}]", a.index));
            }
        }
        s
    }

    pub(crate) fn err(&self, doc: DocKind, kind: DocErrorKind) -> DocError {
        DocError::new(doc, kind, self.render())
    }

    pub(crate) fn required(
        &self,
        doc: DocKind,
        e: &Element,
        attribute: &'static str,
    ) -> Result<Text, DocError> {
        e.attr(attribute)
            .map(Text::from)
            .ok_or_else(|| self.err(doc, DocErrorKind::MissingAttribute { attribute }))
    }
}

/// The namespace an unprefixed element name in `e` takes from a default
/// declared outside `e` (`""` for none), if any name does.
///
/// Depth first, in document order, with an explicit stack: no recursion
/// however deep the tree.
fn outside_default(e: &Element) -> Option<&str> {
    let mut stack = vec![e];
    while let Some(x) = stack.pop() {
        if x.namespaces.iter().any(|d| d.prefix.is_none()) {
            continue;
        }
        if x.name.prefix.is_none() {
            return Some(x.name.ns_str());
        }
        let before = stack.len();
        stack.extend(x.elements());
        // Children in document order come off the stack first-child first.
        if let Some(added) = stack.get_mut(before..) {
            added.reverse();
        }
    }
    None
}

/// Takes the unqualified attributes named in `names` off `e` in one pass:
/// each one's value in its slot (the first, should a name repeat), in the
/// order of `names`. The other attributes stay on `e` in their order, in
/// a list allocated only when there are any, so that a typed reader that
/// keeps the list (as its other attributes) keeps no empty allocation.
pub(crate) fn take_attrs<const N: usize>(e: &mut Element, names: [&str; N]) -> [Option<Text>; N] {
    let mut out: [Option<Text>; N] = std::array::from_fn(|_| None);
    for a in std::mem::take(&mut e.attributes) {
        if a.name.ns.is_none() {
            if let Some(slot) = names
                .iter()
                .position(|n| *n == a.name.local)
                .and_then(|i| out.get_mut(i))
                .filter(|slot| slot.is_none())
            {
                *slot = Some(a.value);
                continue;
            }
        }
        e.attributes.push(a);
    }
    out
}

/// The attributes of `e` other than the unqualified ones in `known`.
pub(crate) fn other_attributes(e: &Element, known: &[&str]) -> Vec<Attribute> {
    e.attributes
        .iter()
        .filter(|a| !(a.name.ns.is_none() && known.contains(&&*a.name.local)))
        .cloned()
        .collect()
}

/// Checks the root's name and turns a mismatch into a typed error.
pub(crate) fn expect_root(
    doc: DocKind,
    root: &Element,
    ns: &'static str,
    local: &'static str,
) -> Result<(), DocError> {
    if root.is(ns, local) {
        return Ok(());
    }
    Err(DocError::new(
        doc,
        DocErrorKind::WrongRoot {
            found_ns: root.name.ns_str().to_owned(),
            found: root.name.local.to_string(),
            expected_ns: ns,
            expected: local,
        },
        "/",
    ))
}

/// Appends `attrs` to `e`.
pub(crate) fn push_attrs(e: &mut Element, attrs: &[Attribute]) {
    e.attributes.extend(attrs.iter().cloned());
}

/// Indents a built tree for people: a newline and `depth` spaces before
/// every child element, so written documents read like the RFC figures.
/// Elements that carry any text of their own (mixed content, or white
/// space kept from a parse) are left exactly as they are.
pub(crate) fn indent(e: &mut Element, depth: usize) {
    if !e.children.iter().any(|n| matches!(n, Node::Element(_)))
        || e.children
            .iter()
            .any(|n| matches!(n, Node::Text(_) | Node::CData(_)))
    {
        return;
    }
    let mut out = Vec::with_capacity(e.children.len() * 2 + 1);
    for n in std::mem::take(&mut e.children) {
        match n {
            Node::Element(mut c) => {
                indent(&mut c, depth + 1);
                out.push(Node::line_and_spaces(2 * (depth + 1)));
                out.push(Node::Element(c));
            }
            other => out.push(other),
        }
    }
    out.push(Node::line_and_spaces(2 * depth));
    e.children = out;
}

/// The root's prefixed namespace declarations. The root is always written
/// in the default namespace (the document's own), so default declarations
/// are not kept: the writer adds the right one, and a parsed document and
/// the same document built in code compare equal.
pub(crate) fn extra_namespaces(e: &Element, _ns: &str) -> Vec<NsDecl> {
    e.namespaces
        .iter()
        .filter(|d| d.prefix.is_some())
        .cloned()
        .collect()
}

/// The declarations to write on a root: the document's own namespace as the
/// default first, then the others as parsed.
pub(crate) fn with_default_ns(ns: &str, others: &[NsDecl]) -> Vec<NsDecl> {
    let mut v = Vec::with_capacity(others.len() + 1);
    v.push(NsDecl::new(None, ns));
    v.extend(others.iter().filter(|d| d.prefix.is_some()).cloned());
    v
}
