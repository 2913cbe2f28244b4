//! RFC 5262 partial PIDF: the RFC's own example (full state 567, a diff to
//! 568, the full state 568 it yields), diff computation and version tracking.

use pidf::partial::{diff, OpKind, PartialDoc, PartialState, Pos, Ws};
use pidf::xml::{Document, Limits};
use pidf::{Basic, Error, Presence, Tuple};

fn load(name: &str) -> PartialDoc {
    PartialDoc::parse(&testkit::vector(&format!("pidf/{name}")))
        .unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn full(d: PartialDoc) -> (Option<u32>, Presence) {
    match d {
        PartialDoc::Full(f) => (f.version, f.presence),
        PartialDoc::Diff(_) => panic!("expected pidf-full"),
    }
}

#[test]
fn vectors_round_trip() {
    for name in ["5262-1.xml", "5262-2.xml", "5262-3.xml"] {
        let src = testkit::vector(&format!("pidf/{name}"));
        let doc = PartialDoc::parse(&src).unwrap();
        let out = doc.to_xml();
        let a = Document::parse(&src, &Limits::default()).unwrap();
        let b = Document::parse(&out, &Limits::default()).unwrap();
        assert!(
            a.root.infoset_eq(&b.root),
            "{name}:\n{}",
            String::from_utf8_lossy(&out)
        );
        assert_eq!(PartialDoc::parse(&out).unwrap(), doc, "{name}");
    }
}

#[test]
fn rfc5262_full_state_values() {
    let (v, p) = full(load("5262-1.xml"));
    assert_eq!(v, Some(567));
    assert_eq!(p.entity.as_deref(), Some("pres:someone@example.com"));
    assert_eq!(p.tuples.len(), 3);
    assert_eq!(
        p.tuple_by_id("cg231jcr")
            .unwrap()
            .contact
            .as_ref()
            .unwrap()
            .priority
            .as_ref()
            .unwrap()
            .as_str(),
        "1.0"
    );
    assert_eq!(
        p.tuple_by_id("r1230d").unwrap().status.basic,
        Some(Basic::Closed)
    );
    assert_eq!(p.notes[0].text, "Full state presence document");
    assert_eq!(p.persons[0].id, "p123");
    assert_eq!(p.devices[0].device_id, "urn:esn:600b40c7");
}

#[test]
fn rfc5262_diff_values() {
    let PartialDoc::Diff(d) = load("5262-2.xml") else {
        panic!("expected pidf-diff");
    };
    assert_eq!(d.version, Some(568));
    assert_eq!(d.entity.as_deref(), Some("pres:someone@example.com"));
    let kinds: Vec<OpKind> = d.ops.iter().map(|o| o.kind).collect();
    assert_eq!(
        kinds,
        [
            OpKind::Add,
            OpKind::Replace,
            OpKind::Remove,
            OpKind::Replace
        ]
    );
    assert_eq!(d.ops[0].sel, "presence/note");
    assert_eq!(d.ops[0].pos, Some(Pos::Before));
    assert_eq!(d.ops[2].ws, Some(Ws::After));
    assert_eq!(d.ops[3].sel, "*/tuple[@id='cg231jcr']/contact/@priority");
}

#[test]
fn rfc5262_apply_yields_the_next_full_state() {
    let (_, v567) = full(load("5262-1.xml"));
    let PartialDoc::Diff(d) = load("5262-2.xml") else {
        panic!()
    };
    let got = d.apply(&v567).unwrap();
    let (_, mut want) = full(load("5262-3.xml"));
    // The RFC's two figures disagree on the new tuple's note text (section 6
    // prints "...and person element" in the diff, "...and note element" in
    // the result); everything else must match.
    let t = got.tuple_by_id("ert4773").unwrap();
    assert_eq!(
        t.notes[0].text,
        "This is a new tuple inserted between the last tuple and person element"
    );
    want.tuples[3].notes[0].text = t.notes[0].text.clone();
    assert!(
        got.infoset_eq(&want),
        "{}",
        String::from_utf8_lossy(&got.to_xml())
    );
    assert_eq!(
        got.tuple_by_id("r1230d").unwrap().status.basic,
        Some(Basic::Open)
    );
    assert!(!got.persons[0].to_element().to_xml_string().contains("busy"));
    // The held copy is untouched.
    assert_eq!(v567.tuples.len(), 3);
}

#[test]
fn state_tracks_versions_and_refuses_gaps() {
    let mut st = PartialState::new();
    let diff568 = load("5262-2.xml");
    assert_eq!(
        st.handle(&diff568).unwrap_err(),
        Error::VersionGap {
            have: None,
            received: Some(568)
        }
    );
    st.handle(&load("5262-1.xml")).unwrap();
    assert_eq!(st.version(), Some(567));
    let p = st.handle(&diff568).unwrap();
    assert_eq!(p.tuples.len(), 4);
    assert_eq!(st.version(), Some(568));
    // The same diff again is a gap (568 held, 568 received).
    assert!(matches!(
        st.handle(&diff568),
        Err(Error::VersionGap {
            have: Some(568),
            received: Some(568)
        })
    ));
    assert_eq!(st.presence().unwrap().tuples.len(), 4, "unchanged on error");
}

#[test]
fn computed_diff_applies() {
    let (_, a) = full(load("5262-1.xml"));
    let (_, b) = full(load("5262-3.xml"));
    let d = diff(&a, &b, Some(568));
    // As fine as the RFC's own diff: the changed text, the changed attribute,
    // the removed activity, the added tuple.
    let ops: Vec<(OpKind, &str)> = d.ops.iter().map(|o| (o.kind, o.sel.as_str())).collect();
    assert_eq!(
        ops,
        [
            (OpKind::Replace, "*/tuple[@id='cg231jcr']/contact/@priority"),
            (OpKind::Replace, "*/tuple[@id='r1230d']/status/basic/text()"),
            (
                OpKind::Remove,
                "*/dm:person[@id='p123']/rpid:activities/rpid:busy[1]"
            ),
            (OpKind::Add, "*/note"),
        ],
        "{:#?}",
        d.ops
    );
    assert_eq!(d.ops[3].pos, Some(Pos::Before));
    // Through the wire form.
    let wire = PartialDoc::Diff(d).to_xml();
    let PartialDoc::Diff(d) = PartialDoc::parse(&wire).unwrap() else {
        panic!()
    };
    let got = d.apply(&a).unwrap();
    assert!(got.infoset_eq(&b), "{}", String::from_utf8_lossy(&wire));
    // No change, no operations.
    assert!(diff(&a, &a, Some(1)).ops.is_empty());
}

#[test]
fn diff_handles_reorder_removal_and_attributes() {
    let a = Presence::new("pres:a@example.com")
        .tuple(Tuple::new("t1").basic(Basic::Open))
        .tuple(Tuple::new("t2").basic(Basic::Open))
        .tuple(Tuple::new("t3").basic(Basic::Closed))
        .note("one")
        .note("two");
    let mut b = Presence::new("pres:b@example.com")
        .tuple(Tuple::new("t3").basic(Basic::Open))
        .tuple(Tuple::new("t1").basic(Basic::Open))
        .tuple(Tuple::new("t4").basic(Basic::Closed))
        .note("two")
        .note("three");
    b.attributes.push(pidf::xml::Attribute {
        name: pidf::xml::Name::local("x"),
        value: "1".into(),
    });
    let d = diff(&a, &b, Some(2));
    let got = d.apply(&a).unwrap();
    assert!(
        got.infoset_eq(&b),
        "{}",
        String::from_utf8_lossy(&got.to_xml())
    );
    let back = diff(&b, &a, Some(3)).apply(&b).unwrap();
    assert!(back.infoset_eq(&a));
}

#[test]
fn selector_errors() {
    let base = Presence::new("pres:a@example.com").tuple(Tuple::new("t1").basic(Basic::Open));
    let patch = |ops: &str| {
        let doc = format!(
            r#"<p:pidf-diff xmlns="urn:ietf:params:xml:ns:pidf" xmlns:p="urn:ietf:params:xml:ns:pidf-diff" version="2">{ops}</p:pidf-diff>"#
        );
        match PartialDoc::parse(doc.as_bytes()).unwrap() {
            PartialDoc::Diff(d) => d.apply(&base),
            PartialDoc::Full(_) => panic!(),
        }
    };
    assert!(matches!(
        patch(r#"<p:remove sel="*/tuple[@id='nope']"/>"#),
        Err(Error::NoSingleMatch { count: 0, .. })
    ));
    assert!(matches!(
        patch(r#"<p:remove sel="//tuple"/>"#),
        Err(Error::BadSelector { .. })
    ));
    assert!(matches!(
        patch(r#"<p:remove sel="*/x:tuple"/>"#),
        Err(Error::BadSelector { .. })
    ));
    assert!(matches!(
        patch(r#"<p:remove sel="*"/>"#),
        Err(Error::BadPatch { .. })
    ));
    // Positional and text() selectors work.
    let p = patch(r#"<p:replace sel="/presence/tuple[1]/status/basic/text()">closed</p:replace>"#)
        .unwrap();
    assert_eq!(p.tuples[0].status.basic, Some(Basic::Closed));
    let p = patch(r#"<p:add sel="*" type="@x">v</p:add><p:add sel="*/tuple" pos="after"><tuple id="t2"><status/></tuple></p:add>"#).unwrap();
    assert_eq!(p.attributes[0].value, "v");
    assert_eq!(p.tuples[1].id, "t2");
    assert!(matches!(
        patch(r#"<p:replace sel="*"><foo xmlns="urn:x"/></p:replace>"#),
        Err(Error::BadPatch { .. })
    ));
    // A patch that leaves an invalid document is refused.
    assert!(matches!(
        patch(r#"<p:replace sel="*/tuple/status/basic/text()">maybe</p:replace>"#),
        Err(Error::BadValue {
            element: "basic",
            ..
        })
    ));
}

#[test]
fn large_documents_diff_in_bounded_time() {
    let mut a = Presence::new("pres:a@example.com");
    let mut b = Presence::new("pres:a@example.com");
    for i in 0..1000 {
        a = a.note(format!("note {i}").as_str());
        b = b.note(format!("note {}", i + 1).as_str());
    }
    let d = diff(&a, &b, Some(2));
    assert_eq!(d.ops.len(), 1, "one replace of the root");
    assert_eq!(d.ops[0].sel, "*");
    assert!(d.apply(&a).unwrap().infoset_eq(&b));
}
