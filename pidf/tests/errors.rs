//! Refused documents: each error says what and where.

use pidf::partial::PartialDoc;
use pidf::xml::{Limits, XmlErrorKind};
use pidf::{Error, Presence};

const OPEN: &str = r#"<presence xmlns="urn:ietf:params:xml:ns:pidf" xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model" entity="pres:a@example.com">"#;

fn doc(body: &str) -> String {
    format!("{OPEN}{body}</presence>")
}

#[test]
fn semantic_errors_name_the_element_and_tuple() {
    let st = "<status><basic>open</basic></status>";
    let cases: Vec<(String, Error)> = vec![
        (
            doc(&format!("<tuple>{st}</tuple>")),
            Error::MissingAttribute {
                element: "tuple",
                attribute: "id",
            },
        ),
        (
            doc("<tuple id='t1'><contact>sip:a@b</contact></tuple>"),
            Error::MissingElement {
                parent: "tuple",
                id: "t1".into(),
                element: "status",
            },
        ),
        (
            doc("<tuple id='t1'><status><basic>maybe</basic></status></tuple>"),
            Error::BadValue {
                element: "basic",
                context: "t1".into(),
                value: "maybe".into(),
            },
        ),
        (
            doc(&format!(
                "<tuple id='t1'>{st}<contact priority='1.5'>sip:a@b</contact></tuple>"
            )),
            Error::BadValue {
                element: "priority",
                context: "t1".into(),
                value: "1.5".into(),
            },
        ),
        (
            doc(&format!(
                "<tuple id='t1'>{st}<timestamp>yesterday</timestamp></tuple>"
            )),
            Error::BadValue {
                element: "timestamp",
                context: "t1".into(),
                value: "yesterday".into(),
            },
        ),
        (
            doc(&format!("<tuple id='t1'>{st}{st}</tuple>")),
            Error::Duplicate {
                parent: "tuple",
                id: "t1".into(),
                element: "status",
            },
        ),
        (
            doc(&format!(
                "<tuple id='t1'>{st}<contact>a</contact><contact>b</contact></tuple>"
            )),
            Error::Duplicate {
                parent: "tuple",
                id: "t1".into(),
                element: "contact",
            },
        ),
        (doc("hello"), Error::UnexpectedText("presence")),
        (
            doc("<dm:device id='d1'><dm:note>x</dm:note></dm:device>"),
            Error::MissingElement {
                parent: "device",
                id: "d1".into(),
                element: "deviceID",
            },
        ),
        (
            doc("<dm:person><dm:note>x</dm:note></dm:person>"),
            Error::MissingAttribute {
                element: "person",
                attribute: "id",
            },
        ),
        (
            doc(&format!("<tuple id='t1'>{st}<note>a<b/></note></tuple>")),
            Error::BadValue {
                element: "note",
                context: "t1".into(),
                value: "<child element>".into(),
            },
        ),
    ];
    for (input, want) in cases {
        assert_eq!(Presence::parse(input.as_bytes()), Err(want), "{input}");
    }
    let wrong = br#"<presence xmlns="urn:example:not-pidf"/>"#;
    assert!(matches!(
        Presence::parse(wrong),
        Err(Error::WrongRoot { found, .. }) if found == "{urn:example:not-pidf}presence"
    ));
    assert!(matches!(
        PartialDoc::parse(wrong),
        Err(Error::WrongRoot { .. })
    ));
    assert!(matches!(
        PartialDoc::parse(br#"<pidf-full xmlns="urn:ietf:params:xml:ns:pidf-diff" version="x"/>"#),
        Err(Error::BadValue {
            element: "version",
            ..
        })
    ));
}

#[test]
fn validate_reports_what_parsing_tolerates() {
    let st = "<status><basic>open</basic></status>";
    let p =
        Presence::parse(doc(&format!("<tuple id='x'>{st}</tuple><dm:person id='x'/>")).as_bytes())
            .unwrap();
    assert_eq!(p.validate(), Err(Error::DuplicateId("x".into())));
}

#[test]
fn limits_hold_on_every_path() {
    let limits = Limits {
        max_size: 4096,
        max_depth: 4,
        max_elements: 10,
        max_attributes: 3,
    };
    let st = "<status><basic>open</basic></status>";
    let deep = doc(&format!(
        "<tuple id='t'>{st}<x:a xmlns:x='urn:x'><x:b><x:c/></x:b></x:a></tuple>"
    ));
    let many = doc(&format!("<tuple id='t'>{st}</tuple>").repeat(4));
    let attrs = doc(&format!("<tuple id='t' a='1' b='2' c='3'>{st}</tuple>"));
    let big = doc(&"<note>n</note>".repeat(400));
    for (input, check) in [
        (
            &deep,
            (|k: &XmlErrorKind| matches!(k, XmlErrorKind::TooDeep { limit: 4 }))
                as fn(&XmlErrorKind) -> bool,
        ),
        (&many, |k| {
            matches!(k, XmlErrorKind::TooManyElements { limit: 10 })
        }),
        (&attrs, |k| {
            matches!(k, XmlErrorKind::TooManyAttributes { limit: 3 })
        }),
        (&big, |k| {
            matches!(k, XmlErrorKind::TooLarge { limit: 4096 })
        }),
    ] {
        match Presence::parse_with(input.as_bytes(), &limits) {
            Err(Error::Xml(e)) => assert!(check(&e.kind), "{e} for {input}"),
            other => panic!("expected a limit error, got {other:?}"),
        }
        // Within the default limits the same documents are fine.
        Presence::parse(input.as_bytes()).unwrap();
    }
    let bomb = r#"<!DOCTYPE p [<!ENTITY a "aaaa">]><presence xmlns="urn:ietf:params:xml:ns:pidf">&a;</presence>"#;
    assert!(matches!(
        Presence::parse(bomb.as_bytes()),
        Err(Error::Xml(e)) if e.kind == XmlErrorKind::Doctype
    ));
}

#[test]
fn control_characters_are_refused_on_the_fast_path_too() {
    // The typed parse reads a plain document on its fast path; one that
    // holds a character XML 1.0 forbids falls to the reference path, which
    // names it.
    for doc in [
        "<presence xmlns=\"urn:ietf:params:xml:ns:pidf\" entity=\"pres:a@example.com\"><note>\u{7}</note></presence>",
        "<presence xmlns=\"urn:ietf:params:xml:ns:pidf\" entity=\"pres:a@example.com\"><note>&#7;</note></presence>",
        "<presence xmlns=\"urn:ietf:params:xml:ns:pidf\" entity=\"pres:a&#x1B;@example.com\"/>",
    ] {
        match Presence::parse(doc.as_bytes()) {
            Err(Error::Xml(e)) => assert_eq!(e.kind, XmlErrorKind::ForbiddenChar, "{doc}"),
            other => panic!("{doc}: {other:?}"),
        }
    }
    let tab = "<presence xmlns=\"urn:ietf:params:xml:ns:pidf\" entity=\"pres:a@example.com\"><note>a&#9;b</note></presence>";
    assert_eq!(
        Presence::parse(tab.as_bytes()).unwrap().notes[0].text,
        "a\tb"
    );
}
