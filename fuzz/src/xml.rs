//! Fuzz entry points for the shared XML tree (`pidf::xml`).

use pidf::xml::{Document, Limits};

/// Parses arbitrary bytes as an XML document; whatever parses must write
/// back to a document that parses again to the same infoset.
///
/// It is also a differential check of the tree's fast path: whatever
/// `Document::parse` answers must be what quick-xml alone
/// (`Document::parse_reference`) answers.
pub fn xml_tree(data: &[u8]) {
    let limits = Limits {
        max_size: 64 * 1024,
        ..Limits::default()
    };
    let parsed = Document::parse(data, &limits);
    assert_eq!(
        parsed.as_ref().ok(),
        Document::parse_reference(data, &limits).as_ref().ok(),
        "the tree's fast path and quick-xml disagree"
    );
    let Ok(doc) = parsed else {
        return;
    };
    let mut out = Vec::new();
    doc.write(&mut out);
    let again = match Document::parse(&out, &Limits::default()) {
        Ok(d) => d,
        Err(e) => panic!(
            "written document does not parse: {e}\n{}",
            String::from_utf8_lossy(&out)
        ),
    };
    assert!(
        doc.root.infoset_eq(&again.root),
        "round trip changed the infoset"
    );
}
