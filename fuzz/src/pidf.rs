//! Fuzz entry points for the `pidf` parsers.

use pidf::partial::PartialDoc;
use pidf::xml::{Document, Limits};
use pidf::Presence;

fn limits() -> Limits {
    Limits {
        max_size: 64 * 1024,
        ..Limits::default()
    }
}

/// Parses arbitrary bytes as a PIDF document; whatever parses must write
/// back to a document that parses to the same model, and writing that again
/// must give the same bytes.
///
/// It is also a differential check of the fast path: whatever
/// `Presence::parse_with` answers must be what the reference path
/// (quick-xml alone, then `Presence::from_document`) answers for the same
/// bytes.
pub fn pidf_parse(data: &[u8]) {
    let parsed = Presence::parse_with(data, &limits());
    assert_eq!(
        parsed.as_ref().ok(),
        reference(data).as_ref(),
        "the fast path and the reference path disagree"
    );
    let Ok(doc) = parsed else {
        return;
    };
    let out = doc.to_xml();
    let again = match Presence::parse(&out) {
        Ok(d) => d,
        Err(e) => panic!(
            "written document does not parse: {e}\n{}",
            String::from_utf8_lossy(&out)
        ),
    };
    assert!(doc.infoset_eq(&again), "round trip changed the infoset");
    assert_eq!(out, again.to_xml(), "writing is not a fixpoint");
    let _ = doc.validate();
}

/// The reference parse through the public API: the XML tree as quick-xml
/// alone reads it, then the model built from it.
fn reference(data: &[u8]) -> Option<Presence> {
    Presence::from_document(Document::parse_reference(data, &limits()).ok()?).ok()
}

/// Parses arbitrary bytes as a partial PIDF document (`pidf-full` or
/// `pidf-diff`) and checks the round trip.
pub fn pidf_diff_parse(data: &[u8]) {
    let Ok(doc) = PartialDoc::parse_with(data, &limits()) else {
        return;
    };
    let out = doc.to_xml();
    match PartialDoc::parse(&out) {
        Ok(again) => assert_eq!(again.to_xml(), out, "writing is not a fixpoint"),
        Err(e) => panic!(
            "written document does not parse: {e}\n{}",
            String::from_utf8_lossy(&out)
        ),
    }
}

/// The document [`pidf_diff_apply`] patches.
pub const BASE: &[u8] = br#"<presence xmlns="urn:ietf:params:xml:ns:pidf" xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model" xmlns:r="urn:ietf:params:xml:ns:pidf:rpid" entity="pres:a@example.com"><tuple id="t1"><status><basic>open</basic></status><contact priority="0.5">sip:a@example.com</contact><note xml:lang="en">hi</note></tuple><tuple id="t2"><status><basic>closed</basic></status></tuple><note>n</note><dm:person id="p1"><r:activities><r:busy/></r:activities></dm:person><dm:device id="d1"><dm:deviceID>urn:x:1</dm:deviceID></dm:device></presence>"#;

/// Applies arbitrary bytes, read as a `pidf-diff`, to a fixed document; a
/// patch that applies must leave a document that writes and parses back.
pub fn pidf_diff_apply(data: &[u8]) {
    let Ok(PartialDoc::Diff(d)) = PartialDoc::parse_with(data, &limits()) else {
        return;
    };
    let Ok(base) = Presence::parse(BASE) else {
        panic!("the base document must parse");
    };
    if let Ok(next) = d.apply(&base) {
        let out = next.to_xml();
        let again = Presence::parse(&out).unwrap_or_else(|e| {
            panic!(
                "patched document does not parse: {e}\n{}",
                String::from_utf8_lossy(&out)
            )
        });
        assert!(
            next.infoset_eq(&again),
            "patched round trip changed the infoset"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_points_take_the_rfc_vectors() {
        for (_, bytes) in testkit::vectors("pidf", ".xml") {
            pidf_parse(&bytes);
            pidf_diff_parse(&bytes);
            pidf_diff_apply(&bytes);
        }
        // The stored seeds are patches that apply to BASE.
        let base = Presence::parse(BASE).unwrap();
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus/pidf_diff_apply");
        let mut seeds = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            let bytes = std::fs::read(entry.unwrap().path()).unwrap();
            let Ok(PartialDoc::Diff(d)) = PartialDoc::parse(&bytes) else {
                panic!("seed is not a pidf-diff");
            };
            d.apply(&base).unwrap();
            pidf_diff_apply(&bytes);
            seeds += 1;
        }
        assert!(seeds >= 4);
        pidf_diff_apply(
            br#"<p:pidf-diff xmlns="urn:ietf:params:xml:ns:pidf" xmlns:p="urn:ietf:params:xml:ns:pidf-diff"><p:remove sel="*/tuple[@id='t2']"/></p:pidf-diff>"#,
        );
    }
}
