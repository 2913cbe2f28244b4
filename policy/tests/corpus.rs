//! The RFC 4745 and RFC 5025 examples of the shared corpus, with the
//! decisions the RFCs describe for a table of watchers.

use pidf::xml::{Document, Limits};
use policy::{
    Components, Context, DateTime, PolicyError, Problem, QName, RuleSet, SubHandling,
    Transformations, UserInput, Watcher,
};

fn rules(rel: &str) -> RuleSet {
    RuleSet::parse(&testkit::vector(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

#[test]
fn every_policy_example_parses_and_round_trips() {
    let all = testkit::vectors("policy", ".xml");
    assert!(all.len() >= 2);
    for (name, bytes) in all {
        let rs = RuleSet::parse(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(!rs.rules().is_empty(), "{name}");
        let written = rs.to_bytes();
        let again = RuleSet::parse(&written).unwrap_or_else(|e| panic!("{name} rewritten: {e}"));
        assert_eq!(again, rs, "{name}");
        assert_eq!(again.to_bytes(), written, "{name}: writing is stable");
        // The typed form, written canonically, evaluates the same.
        let typed =
            RuleSet::parse(&RuleSet::from_rules(rs.rules().to_vec()).to_bytes()).expect("typed");
        assert_eq!(typed.rules(), rs.rules(), "{name}");
    }
}

/// RFC 4745 section 12: bob, while the sphere is "work", between 17:00 and
/// 19:00 (+01:00) on 2003-12-24. The rule has no actions, so even when it
/// applies it grants block: no document.
#[test]
fn rfc4745_example_decisions() {
    let rs = rules("policy/4745-1.xml");
    let bob = Watcher::authenticated("sip:bob@example.com");
    let table: [(&Watcher, Option<&str>, Option<&str>, bool); 10] = [
        (&bob, Some("2003-12-24T17:30:00+01:00"), Some("work"), true),
        (&bob, Some("2003-12-24T17:00:00+01:00"), Some("work"), true),
        (&bob, Some("2003-12-24T16:00:00Z"), Some("WORK"), true),
        (&bob, Some("2003-12-24T16:59:59+01:00"), Some("work"), false),
        (&bob, Some("2003-12-24T19:00:00+01:00"), Some("work"), false),
        (&bob, Some("2003-12-24T17:30:00+01:00"), Some("home"), false),
        (&bob, Some("2003-12-24T17:30:00+01:00"), None, false),
        (&bob, None, Some("work"), false),
        (
            &Watcher::authenticated("sip:alice@example.com"),
            Some("2003-12-24T17:30:00+01:00"),
            Some("work"),
            false,
        ),
        (
            &Watcher::unauthenticated(),
            Some("2003-12-24T17:30:00+01:00"),
            Some("work"),
            false,
        ),
    ];
    for (w, now, sphere, applies) in table {
        let ctx = Context::new(
            now.map(|t| DateTime::parse(t).expect("time")),
            sphere.map(str::to_owned),
        );
        let ids: Vec<&str> = rs.matching(w, &ctx).iter().map(|r| r.id.as_str()).collect();
        assert_eq!(
            ids,
            if applies { vec!["f3g44r1"] } else { vec![] },
            "{w:?} {now:?} {sphere:?}"
        );
        let p = rs.evaluate(w, &ctx);
        assert_eq!(p.sub_handling, SubHandling::Block);
        assert_eq!(p.transformations, Transformations::default());
    }
}

fn rfc5025_grant() -> Transformations {
    Transformations {
        services: Components {
            service_uri_schemes: ["sip".to_owned(), "mailto".to_owned()].into(),
            ..Components::default()
        },
        persons: Components {
            all: true,
            ..Components::default()
        },
        activities: true,
        user_input: UserInput::Bare,
        unknown_attributes: [QName {
            ns: "urn:vendor-specific:foo-namespace".into(),
            name: "foo".into(),
        }]
        .into(),
        ..Transformations::default()
    }
}

/// RFC 5025 section 6: user@example.com is allowed, sees sip and mailto
/// services, all persons, activities, bare user-input and foo.
#[test]
fn rfc5025_example_decisions() {
    let rs = rules("policy/5025-1.xml");
    let ctx = Context::default();
    let table = [
        (
            Watcher::authenticated("sip:user@example.com"),
            SubHandling::Allow,
        ),
        (
            Watcher::authenticated("sip:user@EXAMPLE.COM;transport=tls"),
            SubHandling::Allow,
        ),
        (
            Watcher::authenticated("sip:other@example.com").with_identity("sip:user@example.com"),
            SubHandling::Allow,
        ),
        (
            Watcher::authenticated("sip:User@example.com"),
            SubHandling::Block,
        ),
        (
            Watcher::authenticated("sips:user@example.com"),
            SubHandling::Block,
        ),
        (
            Watcher::authenticated("sip:user@example.org"),
            SubHandling::Block,
        ),
        (Watcher::unauthenticated(), SubHandling::Block),
    ];
    for (w, want) in &table {
        let p = rs.evaluate(w, &ctx);
        assert_eq!(p.sub_handling, *want, "{w:?}");
        let t = if *want == SubHandling::Allow {
            rfc5025_grant()
        } else {
            Transformations::default()
        };
        assert_eq!(p.transformations, t, "{w:?}");
    }
}

/// The RFC 5025 rules applied to the RPID example of RFC 4480: the im:
/// service, the device, every note, and all person attributes other than
/// activities and the timestamp are removed.
#[test]
fn rfc5025_rules_on_rfc4480_document() {
    let rs = rules("policy/5025-1.xml");
    let doc =
        Document::parse(&testkit::vector("pidf/4480-1.xml"), &Limits::default()).expect("pidf");
    let d = rs
        .decide(
            &Watcher::authenticated("sip:user@example.com"),
            &Context::default(),
            &doc,
        )
        .expect("presence");
    let got = String::from_utf8(d.document_bytes().expect("allowed")).expect("utf-8");
    let want = concat!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n",
        r#"<presence xmlns="urn:ietf:params:xml:ns:pidf" xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model" xmlns:rpid="urn:ietf:params:xml:ns:pidf:rpid" entity="pres:someone@example.com">"#,
        r#"<tuple id="ty4658"><status><basic>open</basic></status><contact priority="1.0">mailto:secretary@example.com</contact></tuple>"#,
        r#"<tuple id="eg92n8"><status><basic>open</basic></status><rpid:service-class><rpid:electronic/></rpid:service-class><contact priority="1.0">mailto:someone@example.com</contact></tuple>"#,
        r#"<dm:person id="p1"><rpid:activities from="2005-05-30T12:00:00+05:00" until="2005-05-30T17:00:00+05:00"><rpid:note>Far away</rpid:note><rpid:away/></rpid:activities><dm:timestamp>2005-05-30T16:09:44+05:00</dm:timestamp></dm:person>"#,
        "</presence>"
    );
    assert_eq!(got, want);
    // Anyone else: block, no document.
    let other = rs
        .decide(
            &Watcher::authenticated("sip:eve@example.com"),
            &Context::default(),
            &doc,
        )
        .expect("presence");
    assert_eq!(
        (other.sub_handling, other.document),
        (SubHandling::Block, None)
    );
}

/// The same rules on every PIDF example that parses: the view never holds a
/// device, a note, or a service outside sip/mailto, and applying it again
/// changes nothing (RFC 5025 section 4).
#[test]
fn rfc5025_rules_on_every_pidf_example() {
    let rs = rules("policy/5025-1.xml");
    let user = Watcher::authenticated("sip:user@example.com");
    let p = rs.evaluate(&user, &Context::default());
    let mut seen = 0;
    for (name, bytes) in testkit::vectors("pidf", ".xml") {
        let Ok(doc) = Document::parse(&bytes, &Limits::default()) else {
            continue;
        };
        let Ok(Some(view)) = p.apply(&doc) else {
            continue;
        };
        seen += 1;
        for e in view.root.elements() {
            let ns = e.name.ns_str();
            assert!(
                !(ns.ends_with("data-model") && e.name.local == "device"),
                "{name}: device"
            );
            assert_ne!(e.name.local, "note", "{name}: note");
            if e.name.local == "tuple" {
                let contact = e
                    .elements()
                    .find(|c| c.name.local == "contact")
                    .map(|c| c.text());
                let c = contact.unwrap_or_default();
                assert!(
                    c.trim().starts_with("sip:") || c.trim().starts_with("mailto:"),
                    "{name}: {c}"
                );
                assert!(e.elements().all(|c| c.name.local != "note"), "{name}");
            }
        }
        assert_eq!(
            p.apply(&view).expect("presence"),
            Some(view.clone()),
            "{name}"
        );
    }
    assert!(seen >= 5, "only {seen} PIDF examples viewed");
}

#[test]
fn unknown_extensions_and_comments_survive_byte_for_byte() {
    let src = r#"<?xml version="1.0" encoding="UTF-8"?>
<cr:ruleset xmlns:cr="urn:ietf:params:xml:ns:common-policy" xmlns:pr="urn:ietf:params:xml:ns:pres-rules" xmlns:x="urn:example:ext">
 <!-- kept -->
 <cr:rule id="a" x:note="kept">
  <cr:conditions><x:geo radius="5"/></cr:conditions>
  <cr:actions><x:forward>yes</x:forward><pr:sub-handling>confirm</pr:sub-handling></cr:actions>
  <cr:transformations><x:blur level="2"/><pr:provide-services><x:by-tag>t</x:by-tag></pr:provide-services></cr:transformations>
 </cr:rule>
 <x:meta/>
</cr:ruleset>"#;
    let rs = RuleSet::parse(src.as_bytes()).expect("valid");
    assert_eq!(String::from_utf8(rs.to_bytes()).expect("utf-8"), src);
    let r = &rs.rules()[0];
    assert_eq!(r.conditions.unknown.len(), 1);
    assert_eq!(r.actions.extensions.len(), 1);
    assert_eq!(r.transformation_extensions.len(), 1);
    // An unknown condition is FALSE: the rule never applies.
    assert!(rs
        .matching(&Watcher::unauthenticated(), &Context::default())
        .is_empty());
}

#[test]
fn broken_rule_documents_are_typed_errors() {
    let wrap = |rule: &str| {
        format!(
            r#"<ruleset xmlns="urn:ietf:params:xml:ns:common-policy" xmlns:pr="urn:ietf:params:xml:ns:pres-rules">{rule}</ruleset>"#
        )
    };
    let invalid = |s: &str| match RuleSet::parse(s.as_bytes()) {
        Err(PolicyError::Invalid {
            element, problem, ..
        }) => (element, problem),
        other => panic!("{s}: {other:?}"),
    };
    assert_eq!(
        invalid(&wrap("<rule/>")),
        ("rule", Problem::MissingAttribute("id"))
    );
    assert_eq!(
        invalid(&wrap(r#"<rule id="a"/><rule id="a"/>"#)),
        ("rule", Problem::DuplicateId)
    );
    assert_eq!(
        invalid(&wrap(
            r#"<rule id="a"><actions><pr:sub-handling>maybe</pr:sub-handling></actions></rule>"#
        )),
        ("sub-handling", Problem::BadValue("maybe".into()))
    );
    assert_eq!(
        invalid(&wrap(
            r#"<rule id="a"><conditions><validity><from>2003-12-24T17:00:00Z</from></validity></conditions></rule>"#
        )),
        ("validity", Problem::UnpairedValidity)
    );
    assert_eq!(
        invalid(&wrap(
            r#"<rule id="a"><conditions><validity><from>yesterday</from><until>2003-12-24T17:00:00Z</until></validity></conditions></rule>"#
        )),
        ("validity", Problem::BadValue("yesterday".into()))
    );
    assert_eq!(
        invalid(&wrap(
            r#"<rule id="a"><transformations><pr:provide-mood>yes</pr:provide-mood></transformations></rule>"#
        )),
        ("provide-mood", Problem::BadValue("yes".into()))
    );
    assert_eq!(
        invalid(&wrap(
            r#"<rule id="a"><transformations><pr:provide-unknown-attribute name="foo">true</pr:provide-unknown-attribute></transformations></rule>"#
        )),
        ("provide-unknown-attribute", Problem::MissingAttribute("ns"))
    );
    assert_eq!(
        invalid(&wrap(r#"<rule id="a"><conditions/><conditions/></rule>"#)),
        ("conditions", Problem::Repeated)
    );
    assert_eq!(
        invalid(&wrap(
            r#"<rule id="a"><transformations><pr:provide-persons><pr:deviceID>x</pr:deviceID></pr:provide-persons></transformations></rule>"#
        )),
        ("provide-persons", Problem::BadValue("deviceID".into()))
    );
    assert!(matches!(
        RuleSet::parse(b"<presence xmlns='urn:ietf:params:xml:ns:pidf'/>"),
        Err(PolicyError::NotRuleset { .. })
    ));
    assert!(matches!(
        RuleSet::parse(b"<!DOCTYPE r [<!ENTITY a 'b'>]><ruleset xmlns='urn:ietf:params:xml:ns:common-policy'/>"),
        Err(PolicyError::Xml(_))
    ));
    let small = Limits {
        max_size: 64,
        ..Limits::default()
    };
    assert!(matches!(
        RuleSet::parse_with(wrap("").as_bytes(), &small),
        Err(PolicyError::Xml(_))
    ));
    // The message says what and where.
    let e = RuleSet::parse(
        wrap(r#"<rule id="r7"><actions><pr:sub-handling>maybe</pr:sub-handling></actions></rule>"#)
            .as_bytes(),
    )
    .expect_err("invalid");
    assert_eq!(
        e.to_string(),
        r#"<sub-handling> in rule "r7": invalid value "maybe""#
    );
}
