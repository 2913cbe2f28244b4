//! The document and the reference parsers the `parse` and `allocs` benches
//! share, so both measure the same bytes and the same work.

use quick_xml::events::Event;
use quick_xml::Reader;

/// A 10-tuple RPID document (about 5.7 KB).
pub(crate) const DOC: &[u8] = include_bytes!("../data/rpid-10.xml");

/// The floor: every event of the document, nothing kept.
pub(crate) fn floor(doc: &[u8]) -> usize {
    let mut r = Reader::from_reader(doc);
    let mut n = 0usize;
    loop {
        match r.read_event() {
            Ok(Event::Eof) | Err(_) => break,
            Ok(_) => n += 1,
        }
    }
    n
}

/// roxmltree's read-only DOM of the document; the number of nodes.
pub(crate) fn dom(doc: &[u8]) -> Option<usize> {
    let text = std::str::from_utf8(doc).unwrap_or_default();
    roxmltree::Document::parse(text)
        .ok()
        .map(|d| d.descendants().count())
}
