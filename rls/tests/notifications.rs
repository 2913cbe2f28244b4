//! The RFC 4662 section 6 NOTIFY bodies (steps 3, 11 and 13): parsed,
//! checked, applied to a subscriber's table, and rebuilt from the same state
//! (compared by structure, not by boundary bytes).

use std::time::Duration;

use pidf::xml::{Document, Element, Limits};
use rls::mime::{ContentType, MimeLimits, Multipart};
use rls::notify::{NotifyLimits, RlmiNotification, StatePart};
use rls::rlmi::{Instance, InstanceState, Resource, Rlmi};
use rls::rls_services::{Service, ServiceSource};
use rls::server::{
    BackendState, BackendTarget, ListKind, ListServer, ListSubscribe, MemoryDirectory,
    ServerConfig, ServerEvent, StateBody, StoredList,
};
use rls::view::{Applied, ListView};
use rls::{DisplayName, DocErrorKind, MimeErrorKind};

const PIDF: &str = "urn:ietf:params:xml:ns:pidf";

/// The unfolded `Content-Type` of a stored SIP message.
fn content_type_of(dat: &[u8]) -> String {
    let text = String::from_utf8_lossy(dat);
    let head = text.split("\r\n\r\n").next().unwrap();
    let mut unfolded: Vec<String> = Vec::new();
    for line in head.split("\r\n") {
        if line.starts_with([' ', '\t']) {
            let last = unfolded.last_mut().unwrap();
            last.push(' ');
            last.push_str(line.trim());
        } else {
            unfolded.push(line.to_owned());
        }
    }
    unfolded
        .iter()
        .find_map(|l| l.strip_prefix("Content-Type:"))
        .unwrap()
        .trim()
        .to_owned()
}

/// The body of a stored SIP message (everything after the empty line).
fn body_of(dat: &[u8]) -> &[u8] {
    let at = dat.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    &dat[at + 4..]
}

/// A PIDF document as the RFC prints them: one tuple, a basic status and
/// maybe a contact.
fn pidf(entity: &str, tuple: &str, basic: &str, contact: bool) -> Vec<u8> {
    let mut t = Element::new(PIDF, "tuple")
        .with_attr("id", tuple)
        .with_child(
            Element::new(PIDF, "status").with_child(Element::new(PIDF, "basic").with_text(basic)),
        );
    if contact {
        t = t.with_child(
            Element::new(PIDF, "contact")
                .with_attr("priority", "1.0")
                .with_text(entity),
        );
    }
    let p = Element::new(PIDF, "presence")
        .with_attr("entity", entity)
        .with_child(t);
    Document::new(p).to_xml_string().into_bytes()
}

fn same_xml(a: &[u8], b: &[u8]) -> bool {
    let l = Limits::default();
    Document::parse(a, &l)
        .unwrap()
        .root
        .infoset_eq(&Document::parse(b, &l).unwrap().root)
}

/// Two notifications carry the same thing: same RLMI, same parts (by cid,
/// content type and XML infoset of the body).
fn assert_same(a: &RlmiNotification, b: &RlmiNotification) {
    assert_eq!(a.rlmi, b.rlmi);
    assert_eq!(a.root_cid, b.root_cid);
    assert_eq!(a.parts.len(), b.parts.len());
    for (x, y) in a.parts.iter().zip(&b.parts) {
        assert_eq!(x.cid, y.cid);
        assert_eq!(
            ContentType::parse(&x.content_type).unwrap(),
            ContentType::parse(&y.content_type).unwrap()
        );
        if x.content_type.contains("xml") {
            assert!(same_xml(&x.body, &y.body), "part {}", x.cid);
        } else {
            assert_eq!(x.body, y.body);
        }
    }
}

/// Step 3's state, built in code.
fn step3_state() -> RlmiNotification {
    let mut doc = Rlmi::new("sip:adam-friends@pres.vancouver.example.com", 1, true);
    doc.names = vec![
        DisplayName::with_lang("en", "Buddy List at COM"),
        DisplayName::with_lang("de", "Liste der Freunde an COM"),
    ];
    doc.resources = vec![
        Resource::new("sip:bob@vancouver.example.com")
            .with_name(DisplayName::new("Bob Smith"))
            .with_instance(
                Instance::new("juwigmtboe", InstanceState::Active)
                    .with_cid("bUZBsM@pres.vancouver.example.com"),
            ),
        Resource::new("sip:dave@vancouver.example.com")
            .with_name(DisplayName::new("Dave Jones"))
            .with_instance(
                Instance::new("hqzsuxtfyq", InstanceState::Active)
                    .with_cid("ZvSvkz@pres.vancouver.example.com"),
            ),
        Resource::new("sip:ed@dallas.example.net").with_name(DisplayName::new("Ed at NET")),
        Resource::new("sip:adam-friends@stockholm.example.org")
            .with_name(DisplayName::with_lang("en", "My Friends at ORG"))
            .with_name(DisplayName::with_lang("de", "Meine Freunde an ORG")),
    ];
    let mut n = RlmiNotification::new(doc, "nXYxAE@pres.vancouver.example.com");
    n.parts = vec![
        StatePart {
            cid: "bUZBsM@pres.vancouver.example.com".into(),
            content_type: "application/pidf+xml;charset=\"UTF-8\"".into(),
            body: pidf("sip:bob@vancouver.example.com", "sg89ae", "open", true),
        },
        StatePart {
            cid: "ZvSvkz@pres.vancouver.example.com".into(),
            content_type: "application/pidf+xml;charset=\"UTF-8\"".into(),
            body: pidf("sip:dave@vancouver.example.com", "slie74", "closed", false),
        },
    ];
    n
}

/// The step 3 body with the RFC's stray quote removed.
fn step3_fixed() -> Vec<u8> {
    let raw = testkit::vector("rls/4662-step3-body.mime");
    String::from_utf8(raw)
        .unwrap()
        .replace("com\"\">", "com\">")
        .into_bytes()
}

#[test]
fn step3_as_printed_fails_in_the_rlmi_part() {
    let dat = testkit::vector("rls/4662-step3-notify.dat");
    let ct = content_type_of(&dat);
    let e = RlmiNotification::parse(&ct, body_of(&dat), &NotifyLimits::default()).unwrap_err();
    let MimeErrorKind::Root(doc) = &e.kind else {
        panic!("{e}")
    };
    assert!(matches!(doc.kind, DocErrorKind::Xml(_)), "{e}");
    // The framing itself is fine: three parts.
    let mp = Multipart::parse_detect(body_of(&dat), &MimeLimits::default()).unwrap();
    assert_eq!(mp.parts.len(), 3);
    assert_eq!(
        body_of(&dat),
        &testkit::vector("rls/4662-step3-body.mime")[..]
    );
}

#[test]
fn step3_full_state_rebuilt() {
    let dat = testkit::vector("rls/4662-step3-notify.dat");
    let ct = content_type_of(&dat);
    let parsed = RlmiNotification::parse(&ct, &step3_fixed(), &NotifyLimits::default()).unwrap();
    assert_eq!(parsed.root_cid, "nXYxAE@pres.vancouver.example.com");
    assert_eq!(parsed.parts.len(), 2);
    let state = step3_state();
    assert_same(&parsed, &state);
    // Rebuilt with the RFC's boundary and parsed back: the same structure.
    let enc = state.encode_with_boundary("50UBfW7LSCVLtggUPe5z");
    let ours = ContentType::parse(&enc.content_type).unwrap();
    let theirs = ContentType::parse(&ct).unwrap();
    assert_eq!(ours.mime, theirs.mime);
    for p in ["type", "start", "boundary"] {
        assert_eq!(ours.param(p), theirs.param(p), "{p}");
    }
    let back =
        RlmiNotification::parse(&enc.content_type, &enc.body, &NotifyLimits::default()).unwrap();
    assert_same(&back, &parsed);
    // Applied to a fresh table.
    let mut view = ListView::new();
    assert_eq!(view.apply(&parsed), Applied::Full { version: 1 });
    assert_eq!(view.len(), 4);
    let bob = view.resource("sip:bob@vancouver.example.com").unwrap();
    assert!(same_xml(
        bob.active_body().unwrap(),
        &pidf("sip:bob@vancouver.example.com", "sg89ae", "open", true)
    ));
}

#[test]
fn step3_from_a_list_server() {
    // Drive the list server with step 3's back-end state; its first NOTIFY
    // must say what the RFC's says, up to generated ids and the version
    // (RFC 4662 section 5.2 wants 0 first; the example prints 1).
    let t = testkit::net::Clock::new();
    let list_uri = "sip:adam-friends@pres.vancouver.example.com";
    let members = rls::resource_lists::List::new(None)
        .with_entry(
            rls::resource_lists::Entry::new("sip:bob@vancouver.example.com")
                .with_display_name(DisplayName::new("Bob Smith")),
        )
        .with_entry(
            rls::resource_lists::Entry::new("sip:dave@vancouver.example.com")
                .with_display_name(DisplayName::new("Dave Jones")),
        )
        .with_entry(
            rls::resource_lists::Entry::new("sip:ed@dallas.example.net")
                .with_display_name(DisplayName::new("Ed at NET")),
        );
    let mut dir = MemoryDirectory::default();
    dir.insert(StoredList {
        kind: ListKind::Personal {
            owner: "sip:adam@vancouver.example.com".into(),
        },
        service: Service::new(list_uri, ServiceSource::List(members)),
        names: step3_state().rlmi.names,
    });
    let mut server = ListServer::new(ServerConfig {
        min_interval: Duration::ZERO,
        host: "pres.vancouver.example.com".into(),
        ..ServerConfig::default()
    });
    let id = server
        .handle_subscribe(
            t.now(),
            &ListSubscribe {
                list_uri: list_uri.into(),
                subscriber: "sip:adam@vancouver.example.com".into(),
                package: "presence".into(),
                supports_eventlist: true,
                requires_recipient_list: false,
                body: None,
            },
            &dir,
        )
        .unwrap();
    let mut backends = Vec::new();
    while let Some(e) = server.poll_event() {
        if let ServerEvent::OpenBackend {
            backend,
            target: BackendTarget::Resource { uri },
            ..
        } = e
        {
            backends.push((backend, uri));
        }
    }
    for (b, uri) in &backends {
        let (tuple, basic, contact) = match uri.as_str() {
            "sip:bob@vancouver.example.com" => ("sg89ae", "open", true),
            "sip:dave@vancouver.example.com" => ("slie74", "closed", false),
            _ => continue,
        };
        server
            .handle_backend_notify(
                t.now(),
                *b,
                uri,
                BackendState::Active,
                Some(StateBody {
                    content_type: "application/pidf+xml;charset=\"UTF-8\"".into(),
                    body: pidf(uri, tuple, basic, contact),
                }),
            )
            .unwrap();
    }
    // A refresh: one full-state NOTIFY with everything known.
    server.handle_refresh(t.now(), id).unwrap();
    let mut last = None;
    while let Some(e) = server.poll_event() {
        if let ServerEvent::Notify(n) = e {
            last = Some(n);
        }
    }
    let n = last.unwrap();
    assert!(n.full_state);
    let ours = RlmiNotification::parse(&n.content_type, &n.body, &NotifyLimits::default()).unwrap();
    let rfc = step3_state();
    assert_eq!(ours.rlmi.uri, rfc.rlmi.uri);
    assert_eq!(ours.rlmi.names, rfc.rlmi.names);
    // Step 3's fourth resource is a list at a peer; this server has three.
    assert_eq!(ours.rlmi.resources.len(), 3);
    for (o, r) in ours.rlmi.resources.iter().zip(&rfc.rlmi.resources) {
        assert_eq!(o.uri, r.uri);
        assert_eq!(o.names, r.names);
        assert_eq!(o.instances.len(), r.instances.len());
        for (oi, ri) in o.instances.iter().zip(&r.instances) {
            assert_eq!(oi.state, ri.state);
            let op = ours.part(oi.cid.as_deref().unwrap()).unwrap();
            let rp = rfc.part(ri.cid.as_deref().unwrap()).unwrap();
            assert!(same_xml(&op.body, &rp.body));
        }
    }
}

fn step11_state() -> RlmiNotification {
    let mut doc = Rlmi::new("sip:adam-friends@stockholm.example.org", 1, true);
    doc.names = vec![
        DisplayName::with_lang("en", "Buddy List at COM"),
        DisplayName::with_lang("de", "Liste der Freunde an COM"),
    ];
    doc.resources = vec![
        Resource::new("sip:joe@stockholm.example.org")
            .with_name(DisplayName::new("Joe Thomas"))
            .with_instance(
                Instance::new("1", InstanceState::Active).with_cid("mrEakg@stockholm.example.org"),
            ),
        Resource::new("sip:mark@stockholm.example.org")
            .with_name(DisplayName::new("Mark Edwards"))
            .with_instance(
                Instance::new("1", InstanceState::Active).with_cid("KKMDmv@stockholm.example.org"),
            ),
    ];
    let mut n = RlmiNotification::new(doc, "Cvjpeo@stockholm.example.org");
    n.parts = vec![
        StatePart {
            cid: "mrEakg@stockholm.example.org".into(),
            content_type: "application/pidf+xml;charset=\"UTF-8\"".into(),
            body: pidf("sip:joe@stockholm.example.org", "x823a4", "open", true),
        },
        StatePart {
            cid: "KKMDmv@stockholm.example.org".into(),
            content_type: "application/pidf+xml;charset=\"UTF-8\"".into(),
            body: pidf("sip:mark@stockholm.example.org", "z98075", "closed", false),
        },
    ];
    n
}

#[test]
fn step11_signed_list_rebuilt() {
    let dat = testkit::vector("rls/4662-step11-notify.dat");
    let ct = ContentType::parse(&content_type_of(&dat)).unwrap();
    assert_eq!(ct.mime, "multipart/signed");
    assert_eq!(ct.param("protocol"), Some("application/pkcs7-signature"));
    let signed = Multipart::parse(
        body_of(&dat),
        ct.param("boundary").unwrap(),
        &MimeLimits::default(),
    )
    .unwrap();
    assert_eq!(signed.parts.len(), 2);
    assert_eq!(
        signed.parts[1].header("Content-Type"),
        Some("application/pkcs7-signature")
    );
    assert_eq!(signed.parts[1].body, b"[PKCS #7 signature here]\r\n");
    let inner = &signed.parts[0];
    assert_eq!(inner.content_id(), Some("ZPvJHL@stockholm.example.org"));
    let parsed = RlmiNotification::parse(
        inner.header("Content-Type").unwrap(),
        &inner.body,
        &NotifyLimits::default(),
    )
    .unwrap();
    assert_eq!(
        parsed.rlmi,
        Rlmi::parse(&testkit::vector("rls/4662-rlmi-2.xml")).unwrap()
    );
    let state = step11_state();
    assert_same(&parsed, &state);
    let enc = state.encode_with_boundary("tuLLl3lDyPZX0GMr2YOo");
    assert_eq!(
        ContentType::parse(&enc.content_type).unwrap(),
        ContentType::parse(inner.header("Content-Type").unwrap()).unwrap()
    );
    let back =
        RlmiNotification::parse(&enc.content_type, &enc.body, &NotifyLimits::default()).unwrap();
    assert_same(&back, &parsed);
}

#[test]
fn step13_partial_state_rebuilt_and_applied() {
    let dat = testkit::vector("rls/4662-step13-notify.dat");
    let ct = content_type_of(&dat);
    let parsed = RlmiNotification::parse(&ct, body_of(&dat), &NotifyLimits::default()).unwrap();
    assert_eq!(
        parsed.rlmi,
        Rlmi::parse(&testkit::vector("rls/4662-rlmi-3.xml")).unwrap()
    );
    assert_eq!(parsed.parts.len(), 1);
    let fwd = &parsed.parts[0];
    assert_eq!(fwd.cid, "1KQhyE@pres.vancouver.example.com");
    let fct = ContentType::parse(&fwd.content_type).unwrap();
    assert_eq!(fct.mime, "multipart/signed");
    // The forwarded body, as printed, lost the blank line after the nested
    // RLMI part's headers: the nested parse says so.
    let signed = Multipart::parse(
        &fwd.body,
        fct.param("boundary").unwrap(),
        &MimeLimits::default(),
    )
    .unwrap();
    let inner = &signed.parts[0];
    let e = RlmiNotification::parse(
        inner.header("Content-Type").unwrap(),
        &inner.body,
        &NotifyLimits::default(),
    )
    .unwrap_err();
    assert_eq!(e.kind, MimeErrorKind::BadHeader);

    // Rebuilt from state: the partial RLMI plus the signed body forwarded
    // unchanged (here, step 11's well-formed one).
    let mut doc = Rlmi::new("sip:adam-friends@pres.vancouver.example.com", 2, false);
    doc.names = step3_state().rlmi.names;
    doc.resources = vec![
        Resource::new("sip:ed@dallas.example.net")
            .with_name(DisplayName::new("Ed at NET"))
            .with_instance(Instance::new("sdlkmeopdf", InstanceState::Pending)),
        Resource::new("sip:adam-friends@stockholm.example.org")
            .with_name(DisplayName::with_lang("en", "My Friends at ORG"))
            .with_name(DisplayName::with_lang("de", "Meine Freunde an ORG"))
            .with_instance(
                Instance::new("cmpqweitlp", InstanceState::Active)
                    .with_cid("1KQhyE@pres.vancouver.example.com"),
            ),
    ];
    let step11 = testkit::vector("rls/4662-step11-notify.dat");
    let mut state = RlmiNotification::new(doc, "2BEI83@pres.vancouver.example.com");
    state.parts.push(StatePart {
        cid: "1KQhyE@pres.vancouver.example.com".into(),
        content_type: content_type_of(&step11),
        body: body_of(&step11).to_vec(),
    });
    let enc = state.encode_with_boundary("TfZxoxgAvLqgj4wRWPDL");
    let back =
        RlmiNotification::parse(&enc.content_type, &enc.body, &NotifyLimits::default()).unwrap();
    assert_eq!(back, state);
    assert_eq!(back.rlmi, parsed.rlmi);
    assert_eq!(back.root_cid, parsed.root_cid);
    assert_eq!(
        ContentType::parse(&back.parts[0].content_type).unwrap(),
        fct
    );

    // The subscriber's table after step 3 then step 13.
    let mut view = ListView::new();
    let s3 = RlmiNotification::parse_detect(&step3_fixed(), &NotifyLimits::default()).unwrap();
    assert_eq!(view.apply(&s3), Applied::Full { version: 1 });
    assert_eq!(view.apply(&parsed), Applied::Partial { version: 2 });
    let ed = view.resource("sip:ed@dallas.example.net").unwrap();
    assert_eq!(ed.instances[0].state, InstanceState::Pending);
    let org = view
        .resource("sip:adam-friends@stockholm.example.org")
        .unwrap();
    assert_eq!(org.instances[0].id, "cmpqweitlp");
    assert_eq!(org.active_body(), Some(&fwd.body[..]));
    assert!(org.instances[0]
        .content_type
        .as_deref()
        .unwrap()
        .starts_with("multipart/signed"));
    // Bob is untouched by the partial notification.
    assert!(view
        .resource("sip:bob@vancouver.example.com")
        .unwrap()
        .active_body()
        .is_some());
    assert_eq!(view.apply(&parsed), Applied::Stale { local: 2, got: 2 });
}

#[test]
fn every_notify_vector_is_covered() {
    let bodies = testkit::vectors("rls", ".mime");
    let dats = testkit::vectors("rls", ".dat");
    assert_eq!(bodies.len(), 3);
    assert_eq!(dats.len(), 3);
    // Each .mime file is exactly its .dat's body.
    for ((bn, b), (dn, d)) in bodies.iter().zip(&dats) {
        assert_eq!(bn.replace("-body.mime", ""), dn.replace("-notify.dat", ""));
        assert_eq!(body_of(d), &b[..], "{bn}");
    }
}
