//! The documents the roles exchange besides PIDF: watcher information
//! (RFC 3858), isComposing (RFC 3994) and IMDN (RFC 5438).
//!
//! All three share one shape: `Type::parse(&[u8]) -> Result<Type, DocError>`
//! reads the document into typed fields *and* keeps the lossless
//! [`pidf::xml`] tree it came from, so `write` gives back every unknown
//! element, attribute, namespace and comment in place. Building a document
//! (`Type::new` and setters) edits that same tree.

pub mod imdn;
pub mod iscomposing;
pub mod winfo;

use pidf::xml::{Document, Element, Limits, Node};

use crate::error::DocError;

/// Parses `input` with `limits` and checks the root is `{ns}root`.
pub(crate) fn parse_root(
    input: &[u8],
    limits: &Limits,
    doc: &'static str,
    ns: &str,
    root: &'static str,
) -> Result<Document, DocError> {
    let d = Document::parse(input, limits).map_err(|source| DocError::Xml { doc, source })?;
    if !d.root.is(ns, root) {
        return Err(DocError::WrongRoot {
            doc,
            expected: root,
            found: d.root.name.local.to_string(),
        });
    }
    Ok(d)
}

/// The trimmed text of the first `{ns}local` child.
pub(crate) fn child_text(e: &Element, ns: &str, local: &str) -> Option<String> {
    e.child(ns, local).map(|c| c.text().trim().to_owned())
}

/// Sets the text of the first `{ns}local` child of `e`, creating it at the
/// end when absent; `None` removes it.
pub(crate) fn set_child_text(e: &mut Element, ns: &str, local: &str, text: Option<&str>) {
    let pos = e
        .children
        .iter()
        .position(|n| matches!(n, Node::Element(c) if c.is(ns, local)));
    match (pos, text) {
        (Some(i), Some(t)) => {
            if let Some(Node::Element(c)) = e.children.get_mut(i) {
                c.children = vec![Node::Text(t.to_owned().into())];
            }
        }
        (Some(i), None) => {
            e.children.remove(i);
        }
        (None, Some(t)) => e
            .children
            .push(Node::Element(Element::new(ns, local).with_text(t))),
        (None, None) => {}
    }
}

/// Writes a document to bytes.
pub(crate) fn to_bytes(d: &Document) -> Vec<u8> {
    let mut out = Vec::new();
    d.write(&mut out);
    out
}
