//! Every PIDF example of RFC 3863, 4479, 4480, 4481, 4482 and 5196 in the
//! shared corpus: it parses, yields the values the RFC describes, and
//! round-trips (infoset equal to the source).

use pidf::ext::{CapValue, Cipid, Extensions, RpidKind, RpidValue, Sphere};
use pidf::xml::{Document, Limits, XmlErrorKind};
use pidf::{ns, Basic, Error, Presence};

fn load(name: &str) -> (Vec<u8>, Presence) {
    let bytes = testkit::vector(&format!("pidf/{name}"));
    let p = Presence::parse(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
    (bytes, p)
}

/// Writes the model back and checks it is the same infoset as the source,
/// and that writing the re-parsed output gives the same bytes (a fixpoint).
fn assert_round_trip(name: &str, src: &[u8], p: &Presence) {
    let out = p.to_xml();
    let a = Document::parse(src, &Limits::default()).unwrap();
    let b = Document::parse(&out, &Limits::default())
        .unwrap_or_else(|e| panic!("{name}: output does not parse: {e}"));
    assert!(
        a.root.infoset_eq(&b.root),
        "{name}: round trip changed the infoset:\n{}",
        String::from_utf8_lossy(&out)
    );
    let again = Presence::parse(&out).unwrap().to_xml();
    assert_eq!(out, again, "{name}: writing is not a fixpoint");
}

#[test]
fn every_pidf_vector_round_trips() {
    let mut seen = 0;
    for (name, bytes) in testkit::vectors("pidf", ".xml") {
        if name.starts_with("5262") || name == "4482-1.xml" {
            continue;
        }
        let p = Presence::parse(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_round_trip(&name, &bytes, &p);
        seen += 1;
    }
    assert_eq!(seen, 11);
}

#[test]
fn rfc3863_basic_prefixed_and_default_namespace() {
    let (src1, a) = load("3863-1.xml");
    let (_, b) = load("3863-2.xml");
    for p in [&a, &b] {
        assert_eq!(p.entity.as_deref(), Some("pres:someone@example.com"));
        assert_eq!(p.tuples.len(), 1);
        let t = &p.tuples[0];
        assert_eq!(t.id, "sg89ae");
        assert_eq!(t.status.basic, Some(Basic::Open));
        let c = t.contact.as_ref().unwrap();
        assert_eq!(c.uri, "tel:+09012345678");
        assert_eq!(c.priority.as_ref().unwrap().per_mille(), 800);
    }
    assert!(a.infoset_eq(&b), "same document in two prefix styles");
    // The impp: prefix survives.
    let out = String::from_utf8(a.to_xml()).unwrap();
    assert!(out.contains("<impp:tuple id=\"sg89ae\">"), "{out}");
    assert!(!out.contains("xmlns=\""), "{out}");
    assert_round_trip("3863-1", &src1, &a);
}

#[test]
fn rfc3863_status_extension() {
    let (_, p) = load("3863-3.xml");
    let t = &p.tuples[0];
    assert_eq!(t.status.basic, Some(Basic::Open));
    let loc = t
        .status
        .extension("urn:example-com:pidf-status-type", "location")
        .unwrap();
    assert_eq!(loc.text(), "home");
    assert_eq!(t.contact.as_ref().unwrap().uri, "im:someone@example.com");
    assert!(t.contact.as_ref().unwrap().priority.is_none());
}

#[test]
fn rfc3863_notes_languages_and_timestamp() {
    let (_, p) = load("3863-4.xml");
    assert_eq!(p.tuples.len(), 2);
    let t = &p.tuples[0];
    assert_eq!(
        t.status
            .extension("urn:ietf:params:xml:ns:pidf:im", "im")
            .unwrap()
            .text(),
        "busy"
    );
    assert_eq!(t.notes.len(), 2);
    assert_eq!(t.notes[0].lang.as_deref(), Some("en"));
    assert_eq!(t.notes[0].text, "Don't Disturb Please!");
    assert_eq!(t.notes[1].lang.as_deref(), Some("fr"));
    assert_eq!(
        t.timestamp.as_ref().unwrap().as_str(),
        "2001-10-27T16:49:29Z"
    );
    assert_eq!(
        p.tuples[1].contact.as_ref().unwrap().uri,
        "mailto:someone@example.com"
    );
    assert_eq!(
        p.tuples[1]
            .contact
            .as_ref()
            .unwrap()
            .priority
            .as_ref()
            .unwrap()
            .as_str(),
        "1.0"
    );
    assert_eq!(p.notes.len(), 1);
    assert_eq!(p.notes[0].text, "I'll be in Tokyo next week");
    // xml:lang is written with the reserved prefix, never declared.
    let out = String::from_utf8(p.to_xml()).unwrap();
    assert!(out.contains(r#"<note xml:lang="fr">"#), "{out}");
    assert!(!out.contains("xmlns:xml"), "{out}");
}

#[test]
fn rfc3863_extensions_stay_in_place() {
    let (_, p) = load("3863-5.xml");
    let t = &p.tuples[0];
    assert_eq!(t.extensions.len(), 1);
    assert!(t.extensions[0].is("http://id.example.com/presence/", "mytupletag"));
    // The contact's white space is trimmed in the model.
    assert_eq!(
        p.tuples[1].contact.as_ref().unwrap().uri,
        "im:someone@mobilecarrier.net"
    );
    assert_eq!(p.extensions.len(), 1);
    assert_eq!(p.extensions[0].text(), "My extended presentity information");
    // In place: mytupletag before contact, mytag after the tuples.
    let out = String::from_utf8(p.to_xml()).unwrap();
    let ext = out.find("myex:mytupletag").unwrap();
    let contact = out.find("impp:contact").unwrap();
    assert!(ext < contact);
    assert!(out.rfind("</impp:tuple>").unwrap() < out.find("<myex:mytag>").unwrap());

    let (_, p6) = load("3863-6.xml");
    let mu = pidf::ext::must_understand(&p6);
    assert_eq!(mu.len(), 1);
    assert_eq!(mu[0].name.local, "ex1");
    assert_eq!(mu[0].text(), "val1");
}

#[test]
fn rfc4479_data_model() {
    let (_, p) = load("4479-1.xml");
    assert_eq!(p.entity, None, "the RFC's example has no entity");
    assert_eq!(p.validate(), Err(Error::MissingEntity));
    let t = &p.tuples[0];
    assert_eq!(t.device_ids(), vec!["mac:8asd7d7d70".to_owned()]);
    let caps = t.servcaps().unwrap();
    assert_eq!(caps.supported("methods"), vec!["MESSAGE", "OPTIONS"]);
    assert_eq!(caps.supported("extensions"), vec!["pref"]);
    assert_eq!(p.persons.len(), 1);
    assert_eq!(p.persons[0].id, "p1");
    assert!(p.persons[0].activities().unwrap().has("on-the-phone"));
    assert_eq!(p.devices.len(), 1);
    let d = &p.devices[0];
    assert_eq!(d.id, "pc122");
    assert_eq!(d.device_id, "mac:8asd7d7d70");
    assert_eq!(d.user_input().unwrap().state, "idle");
}

#[test]
fn rfc4480_rpid() {
    let (_, p) = load("4480-1.xml");
    p.validate().unwrap();
    assert_eq!(p.tuples.len(), 3);
    let t0 = &p.tuples[0];
    assert_eq!(t0.device_ids(), vec!["urn:device:0003ba4811e3".to_owned()]);
    assert!(t0.relationship().unwrap().has("self"));
    assert!(t0.service_class().unwrap().has("electronic"));
    assert!(p.tuples[1].relationship().unwrap().has("assistant"));
    let t2 = &p.tuples[2];
    assert_eq!(t2.class().as_deref(), Some("email"));
    assert_eq!(
        t2.status_icon().as_deref(),
        Some("http://example.com/mail.png")
    );

    let d = &p.devices[0];
    assert_eq!(d.id, "pc147");
    assert_eq!(d.device_id, "urn:device:0003ba4811e3");
    assert_eq!(d.notes[0].text, "PC");
    let ui = d.user_input().unwrap();
    assert_eq!(ui.state, "idle");
    assert_eq!(ui.idle_threshold, Some(600));
    assert_eq!(ui.last_input.unwrap().as_str(), "2004-10-21T13:20:00-05:00");

    let person = &p.persons[0];
    let act = person.activities().unwrap();
    assert_eq!(act.kind, Some(RpidKind::Activities));
    assert_eq!(
        act.from.as_ref().unwrap().as_str(),
        "2005-05-30T12:00:00+05:00"
    );
    assert_eq!(
        act.until.as_ref().unwrap().as_str(),
        "2005-05-30T17:00:00+05:00"
    );
    assert_eq!(act.notes[0].text, "Far away");
    assert_eq!(act.values, vec![RpidValue::Token("away".into())]);
    assert_eq!(person.class().as_deref(), Some("calendar"));
    let mood = person.mood().unwrap();
    assert!(mood.has("angry"));
    assert!(mood.values.contains(&RpidValue::Other("brooding".into())));
    assert_eq!(person.place_is().unwrap().audio.as_deref(), Some("noisy"));
    let pt = person.place_type().unwrap();
    assert!(
        matches!(&pt.values[0], RpidValue::Extension(e) if e.is(ns::LOCATION_TYPE, "residence"))
    );
    assert!(person.privacy().unwrap().has("unknown"));
    assert_eq!(person.sphere(), Some(Sphere::Text("bowling league".into())));
    assert_eq!(
        person.status_icon().as_deref(),
        Some("http://example.com/play.gif")
    );
    assert_eq!(person.time_offset().unwrap().minutes, -240);
    assert_eq!(person.notes[0].text, "Scoring 120");
    assert_eq!(
        person.timestamp.as_ref().unwrap().as_str(),
        "2005-05-30T16:09:44+05:00"
    );
    // Document order at the top: tuples, note, device, person.
    let out = String::from_utf8(p.to_xml()).unwrap();
    assert!(out.find("<dm:device").unwrap() < out.find("<dm:person").unwrap());
}

#[test]
fn rfc4481_timed_status() {
    let (_, p) = load("4481-1.xml");
    assert!(!p.declaration);
    let ts = p.tuples[0].timed_statuses();
    assert_eq!(ts.len(), 1);
    assert_eq!(ts[0].basic, Some(Basic::Closed));
    assert_eq!(ts[0].from.as_str(), "2005-08-15T10:20:00.000-05:00");
    assert_eq!(
        ts[0].until.as_ref().unwrap().as_str(),
        "2005-08-22T19:30:00.000-05:00"
    );
    assert!(ts[0].from.to_unix() < ts[0].until.as_ref().unwrap().to_unix());
    assert_eq!(p.tuples[0].status.basic, Some(Basic::Open));
}

#[test]
fn rfc4482_cipid() {
    let bytes = testkit::vector("pidf/4482-1.xml");
    // As printed in the RFC the document is not well-formed.
    match Presence::parse(&bytes) {
        Err(Error::Xml(e)) => {
            assert!(matches!(e.kind, XmlErrorKind::Syntax(_)), "{e}");
            assert!(e.offset > 400 && e.offset < 600, "offset {}", e.offset);
        }
        other => panic!("expected a syntax error, got {other:?}"),
    }

    let (_, p) = load("4482-2.xml");
    let person = &p.persons[0];
    assert_eq!(
        person.cipid(Cipid::Card).as_deref(),
        Some("http://example.com/~someone/card.vcd")
    );
    assert_eq!(
        person.cipid(Cipid::Homepage).as_deref(),
        Some("http://example.com/~someone")
    );
    assert_eq!(
        person.cipid(Cipid::Icon).as_deref(),
        Some("http://example.com/~someone/icon.gif")
    );
    assert_eq!(
        person.cipid(Cipid::Map).as_deref(),
        Some("http://example.com/~someone/gml-map.xml")
    );
    assert_eq!(
        person.cipid(Cipid::Sound).as_deref(),
        Some("http://example.com/~someone/whoosh.wav")
    );
    assert_eq!(person.cipid(Cipid::DisplayName), None);
    let assistant = p.tuple_by_id("bs78").unwrap();
    assert_eq!(assistant.status.basic, Some(Basic::Closed));
    assert!(assistant.relationship().unwrap().has("assistant"));
    assert_eq!(
        assistant.cipid(Cipid::Card).as_deref(),
        Some("http://example.com/~assistant/card.vcd")
    );
    // The xsi:schemaLocation attribute on the root survives.
    assert_eq!(p.attributes.len(), 1);
    assert_eq!(p.attributes[0].name.local, "schemaLocation");
}

#[test]
fn rfc5196_capabilities() {
    let (_, p) = load("5196-1.xml");
    let caps = p.tuples[0].servcaps().unwrap();
    assert_eq!(caps.flag("audio"), Some(true));
    assert_eq!(caps.flag("message"), Some(true));
    assert_eq!(caps.flag("video"), Some(false));
    assert_eq!(
        caps.supported("methods"),
        vec!["ACK", "BYE", "INVITE", "MESSAGE"]
    );
    assert_eq!(caps.supported("duplex"), vec!["full"]);
    assert_eq!(caps.supported("schemes"), vec!["sip"]);
    assert!(caps
        .entries
        .iter()
        .any(|(n, v)| n == "description" && *v == CapValue::Text("Example service".into())));
    let d = &p.devices[0];
    assert_eq!(d.id, "hgt67");
    assert_eq!(d.device_id, "urn:uuid:d27459b7-8213-4395-aa77-ed859a3e5b3a");
    assert_eq!(d.devcaps().unwrap().supported("mobility"), vec!["mobile"]);
}
