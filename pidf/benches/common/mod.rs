//! The document and the reference parsers the `parse` and `allocs` benches
//! share, so both measure the same bytes and the same work.

/// A 10-tuple RPID document (about 5.7 KB).
pub(crate) const DOC: &[u8] = include_bytes!("../data/rpid-10.xml");

pub(crate) use testkit::xml_floor as floor;
pub(crate) use testkit::xml_ns_floor as ns_floor;

/// roxmltree's read-only DOM of the document; the number of nodes.
pub(crate) fn dom(doc: &[u8]) -> Option<usize> {
    let text = std::str::from_utf8(doc).unwrap_or_default();
    roxmltree::Document::parse(text)
        .ok()
        .map(|d| d.descendants().count())
}
