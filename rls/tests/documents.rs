//! Every RLMI, resource-lists and rls-services example of RFC 4662 and
//! RFC 4826 in `../shared/corpus/rls/`: parse, values, round trip, and the
//! errors the RFCs' own typos produce.

use pidf::xml::{Document, Limits};
use rls::resource_lists::{Member, ResourceLists};
use rls::rlmi::{InstanceState, Rlmi};
use rls::rls_services::{RlsServices, ServiceSource};
use rls::{DisplayName, DocErrorKind};

fn tree(bytes: &[u8]) -> Document {
    Document::parse(bytes, &Limits::default()).expect("well-formed")
}

/// Parse, write, parse again: same typed value, same infoset as the source.
fn assert_round_trip_rlmi(src: &[u8]) -> Rlmi {
    let doc = Rlmi::parse(src).expect("parses");
    let out = doc.to_xml();
    assert_eq!(Rlmi::parse(&out).expect("reparses"), doc);
    assert!(tree(src).root.infoset_eq(&tree(&out).root));
    assert_eq!(Rlmi::parse(doc.to_pretty_string().as_bytes()).unwrap(), doc);
    doc
}

#[test]
fn rlmi_1_has_the_rfcs_stray_quote() {
    let e = Rlmi::parse(&testkit::vector("rls/4662-rlmi-1.xml")).unwrap_err();
    let DocErrorKind::Xml(x) = &e.kind else {
        panic!("{e}")
    };
    // The tokenizer reads the doubled quote as opening a value that never
    // closes, so the tag runs to the end of input.
    assert!(matches!(x.kind, pidf::xml::XmlErrorKind::Syntax(_)), "{e}");
    let src = testkit::vector("rls/4662-rlmi-1.xml");
    // With the quote removed, it is the step 3 list.
    let fixed = String::from_utf8(src)
        .unwrap()
        .replace("com\"\">", "com\">");
    let d = assert_round_trip_rlmi(fixed.as_bytes());
    assert_eq!(d.uri, "sip:adam-friends@pres.vancouver.example.com");
    assert_eq!((d.version, d.full_state), (1, true));
    assert_eq!(
        d.names,
        vec![
            DisplayName::with_lang("en", "Buddy List at COM"),
            DisplayName::with_lang("de", "Liste der Freunde an COM"),
        ]
    );
    let uris: Vec<_> = d.resources.iter().map(|r| r.uri.as_str()).collect();
    assert_eq!(
        uris,
        [
            "sip:bob@vancouver.example.com",
            "sip:dave@vancouver.example.com",
            "sip:ed@dallas.example.net",
            "sip:adam-friends@stockholm.example.org"
        ]
    );
    let bob = &d.resources[0];
    assert_eq!(bob.names, vec![DisplayName::new("Bob Smith")]);
    assert_eq!(bob.instances[0].id, "juwigmtboe");
    assert_eq!(bob.instances[0].state, InstanceState::Active);
    assert_eq!(
        bob.instances[0].cid.as_deref(),
        Some("bUZBsM@pres.vancouver.example.com")
    );
    assert!(d.resources[2].instances.is_empty());
    assert_eq!(d.resources[3].names.len(), 2);
}

#[test]
fn rlmi_2_and_4_stockholm_lists() {
    for (file, name) in [
        ("rls/4662-rlmi-2.xml", "Buddy List at COM"),
        ("rls/4662-rlmi-4.xml", "Buddy List at ORG"),
    ] {
        let d = assert_round_trip_rlmi(&testkit::vector(file));
        assert_eq!(d.uri, "sip:adam-friends@stockholm.example.org");
        assert_eq!((d.version, d.full_state), (1, true));
        assert_eq!(d.names[0], DisplayName::with_lang("en", name));
        assert_eq!(d.resources.len(), 2);
        let mark = d.resource("sip:mark@stockholm.example.org").unwrap();
        assert_eq!(mark.instances[0].id, "1");
        assert_eq!(
            mark.instances[0].cid.as_deref(),
            Some("KKMDmv@stockholm.example.org")
        );
    }
}

#[test]
fn rlmi_3_is_partial_state() {
    let d = assert_round_trip_rlmi(&testkit::vector("rls/4662-rlmi-3.xml"));
    assert_eq!((d.version, d.full_state), (2, false));
    let ed = d.resource("sip:ed@dallas.example.net").unwrap();
    assert_eq!(ed.instances[0].state, InstanceState::Pending);
    assert_eq!(ed.instances[0].cid, None);
    let org = d
        .resource("sip:adam-friends@stockholm.example.org")
        .unwrap();
    assert_eq!(org.instances[0].id, "cmpqweitlp");
    assert_eq!(
        org.instances[0].cid.as_deref(),
        Some("1KQhyE@pres.vancouver.example.com")
    );
}

#[test]
fn resource_lists_4826_1() {
    for (file, folded) in [("rls/4826-1.xml", true), ("rls/4826-1-unfolded.xml", false)] {
        let src = testkit::vector(file);
        let d = ResourceLists::parse(&src).unwrap();
        let out = d.to_xml();
        assert_eq!(ResourceLists::parse(&out).unwrap(), d);
        assert!(tree(&src).root.infoset_eq(&tree(&out).root));
        let friends = d.list("friends").unwrap();
        assert_eq!(friends.members.len(), 3);
        let Member::Entry(bill) = &friends.members[0] else {
            panic!("entry first")
        };
        assert_eq!(bill.uri, "sip:bill@example.com");
        assert_eq!(bill.display_name, Some(DisplayName::new("Bill Doe")));
        let Member::EntryRef(r) = &friends.members[1] else {
            panic!("entry-ref second")
        };
        // The RFC folds the reference across lines for display: each line
        // break in an attribute value reads as a space (XML 1.0 section
        // 3.3.3), the indentation after it stays. The unfolded variant
        // carries the real reference.
        assert!(!r.reference.contains('\n'));
        assert_eq!(r.reference.contains("~~/    resource-lists"), folded);
        if !folded {
            assert_eq!(
                r.reference,
                "resource-lists/users/sip:bill@example.com/index/~~/resource-lists/list%5b@name=%22list1%22%5d/entry%5b@uri=%22sip:petri@example.com%22%5d"
            );
        }
        let Member::List(close) = &friends.members[2] else {
            panic!("nested list third")
        };
        assert_eq!(close.name.as_deref(), Some("close-friends"));
        assert_eq!(close.display_name, Some(DisplayName::new("Close Friends")));
        let uris: Vec<_> = close.entries().map(|e| e.uri.as_str()).collect();
        assert_eq!(uris, ["sip:joe@example.com", "sip:nancy@example.com"]);
        let Some(Member::External(x)) = close.members.last() else {
            panic!("external last")
        };
        assert_eq!(x.display_name, Some(DisplayName::new("Marketing")));
        assert!(x
            .anchor
            .as_deref()
            .unwrap()
            .starts_with("http://xcap.example.org/resource-lists/users/"));
        // xmlns:xsi survives.
        assert!(String::from_utf8(out)
            .unwrap()
            .contains("xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\""));
    }
}

fn check_services_2(d: &RlsServices) {
    assert_eq!(d.services.len(), 2);
    let buddies = d.service("sip:mybuddies@example.com").unwrap();
    let ServiceSource::ResourceList(u) = &buddies.source else {
        panic!("resource-list")
    };
    assert!(u.starts_with("http://xcap.example.com/resource-lists/user"));
    assert!(u.ends_with("%22l1%22%5d"));
    assert_eq!(buddies.packages.as_ref().unwrap().names, ["presence"]);
    let mk = d.service("sip:marketing@example.com").unwrap();
    let ServiceSource::List(l) = &mk.source else {
        panic!("inline list")
    };
    assert_eq!(l.name.as_deref(), Some("marketing"));
    let uris: Vec<_> = l.entries().map(|e| e.uri.as_str()).collect();
    assert_eq!(uris, ["sip:joe@example.com", "sip:sudhir@example.com"]);
    assert!(mk.serves("presence") && !mk.serves("dialog"));
}

#[test]
fn rls_services_2_and_5() {
    for file in [
        "rls/4826-2.xml",
        "rls/4826-2-unfolded.xml",
        "rls/4826-5.xml",
    ] {
        let src = testkit::vector(file);
        let d = RlsServices::parse(&src).unwrap();
        check_services_2(&d);
        let out = d.to_xml();
        let again = RlsServices::parse(&out).unwrap();
        assert_eq!(again, d);
        assert!(tree(&src).root.infoset_eq(&tree(&out).root), "{file}");
        // The rl: prefix is kept for the inline entries.
        assert!(String::from_utf8(out).unwrap().contains("<rl:entry"));
    }
    let unfolded = RlsServices::parse(&testkit::vector("rls/4826-2-unfolded.xml")).unwrap();
    let ServiceSource::ResourceList(u) = &unfolded.services[0].source else {
        panic!()
    };
    assert_eq!(
        u,
        "http://xcap.example.com/resource-lists/users/sip:joe@example.com/index/~~/resource-lists/list%5b@name=%22l1%22%5d"
    );
}

#[test]
fn rls_services_3_has_no_namespace() {
    // Printed without any namespace declaration: names are matched by URI,
    // so this is not an rls-services document.
    let e = RlsServices::parse(&testkit::vector("rls/4826-3.xml")).unwrap_err();
    assert_eq!(
        e.kind,
        DocErrorKind::WrongRoot {
            found_ns: String::new(),
            found: "rls-services".into(),
            expected_ns: rls::rls_services::NS,
            expected: "rls-services",
        }
    );
}

#[test]
fn rls_services_4_uses_an_undeclared_prefix() {
    let e = RlsServices::parse(&testkit::vector("rls/4826-4.xml")).unwrap_err();
    let DocErrorKind::Xml(x) = &e.kind else {
        panic!("{e}")
    };
    assert_eq!(x.kind, pidf::xml::XmlErrorKind::UnboundPrefix);
}

#[test]
fn every_xml_vector_is_covered() {
    // A new file in the corpus must get a test above.
    let names: Vec<String> = testkit::vectors("rls", "xml")
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    assert_eq!(names.len(), 11, "{names:?}");
}

/// The RFC 4826 examples expanded: the section 3.3 list with its entry-ref
/// and external resolved, and the section 4.3 services.
#[test]
fn rfc_4826_lists_expand() {
    use rls::expand::{expand, expand_anchor, ExpandLimits};
    use rls::resource_lists::{Entry, List};
    use rls::server::MemoryDirectory;

    let d = ResourceLists::parse(&testkit::vector("rls/4826-1-unfolded.xml")).unwrap();
    let mut dir = MemoryDirectory::default();
    dir.refs.insert(
        "resource-lists/users/sip:bill@example.com/index/~~/resource-lists/list%5b@name=%22list1%22%5d/entry%5b@uri=%22sip:petri@example.com%22%5d".into(),
        Entry::new("sip:petri@example.com"),
    );
    dir.externals.insert(
        "http://xcap.example.org/resource-lists/users/sip:a@example.org/index/~~/resource-lists/list%5b@name=%22mkting%22%5d".into(),
        List::of_uris(&["sip:joe@example.com", "sip:mo@example.org"]),
    );
    let e = expand(d.list("friends").unwrap(), &dir, &ExpandLimits::default()).unwrap();
    assert_eq!(
        e.uris().collect::<Vec<_>>(),
        [
            "sip:bill@example.com",
            "sip:petri@example.com",
            "sip:joe@example.com",
            "sip:nancy@example.com",
            "sip:mo@example.org"
        ]
    );
    assert!(e.unresolved.is_empty());
    assert_eq!(
        e.members[0].display_name,
        Some(DisplayName::new("Bill Doe"))
    );
    // Without a resolver the references are reported, not followed.
    let bare = expand(
        d.list("friends").unwrap(),
        &rls::expand::NoReferences,
        &ExpandLimits::default(),
    )
    .unwrap();
    assert_eq!(bare.members.len(), 3);
    assert_eq!(bare.unresolved.len(), 2);

    // Section 4.3: the first service points at joe's list "l1".
    let s = RlsServices::parse(&testkit::vector("rls/4826-2-unfolded.xml")).unwrap();
    let ServiceSource::ResourceList(anchor) = &s.services[0].source else {
        panic!()
    };
    dir.externals
        .insert(anchor.clone(), List::of_uris(&["sip:a@example.com"]));
    let e = expand_anchor(anchor, &dir, &ExpandLimits::default()).unwrap();
    assert_eq!(e.uris().collect::<Vec<_>>(), ["sip:a@example.com"]);
}
