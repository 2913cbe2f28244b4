//! The presence user agent and the watcher against one presence agent, by
//! direct calls: publish, modify, refresh on the clock, remove; partial
//! (pidf-diff) notifications applied by the watcher.

use std::time::Duration;

use pidf::Presence;
use simple_presence::agent::{AgentConfig, PresenceAgent};
use simple_presence::ua::PresenceUa;
use simple_presence::watcher::PresenceWatcher;
use sip_core::header::CSeq;
use sip_core::publication::PublisherState;
use sip_core::{Bytes, HeaderName, StatusCode};
use testkit::net::Clock;

const BOB: &str = "sip:bob@example.com";
const ALICE: &str = "sip:alice@example.com";

fn presence(note: &str) -> Presence {
    Presence::parse(
        format!(
            "<presence xmlns=\"urn:ietf:params:xml:ns:pidf\" entity=\"{BOB}\"><tuple id=\"t\">\
             <status><basic>open</basic></status><contact>{BOB}</contact><note>{note}</note></tuple></presence>"
        )
        .as_bytes(),
    )
    .unwrap()
}

/// A presentity with several devices; only the first tuple's note changes.
fn devices(note: &str) -> Presence {
    let others: String = (1..6)
        .map(|i| {
            format!(
                "<tuple id=\"d{i}\"><status><basic>open</basic></status>\
                 <contact priority=\"0.{i}\">sip:bob@pc{i}.example.com</contact>\
                 <note>device {i}, unchanged</note></tuple>"
            )
        })
        .collect();
    Presence::parse(
        format!(
            "<presence xmlns=\"urn:ietf:params:xml:ns:pidf\" entity=\"{BOB}\"><tuple id=\"t\">\
             <status><basic>open</basic></status><contact>{BOB}</contact><note>{note}</note></tuple>{others}</presence>"
        )
        .as_bytes(),
    )
    .unwrap()
}

fn setup() -> (Clock, PresenceAgent, PresenceUa, PresenceWatcher) {
    let clock = Clock::new();
    let now = clock.now();
    let mut agent = PresenceAgent::new(AgentConfig::new("example.com"));
    agent.set_rules(
        now,
        BOB,
        policy::RuleSet::parse(
            br#"<ruleset xmlns="urn:ietf:params:xml:ns:common-policy" xmlns:pr="urn:ietf:params:xml:ns:pres-rules">
<rule id="r"><conditions/><actions><pr:sub-handling>allow</pr:sub-handling></actions>
<transformations><pr:provide-services><pr:all-services/></pr:provide-services><pr:provide-all-attributes/></transformations></rule></ruleset>"#,
        )
        .unwrap(),
    );
    let ua = PresenceUa::new(BOB, 600).unwrap();
    let mut alice = PresenceWatcher::new(ALICE);
    let sub = alice.subscribe(now, BOB, "presence", false).unwrap();
    let ok = agent.handle_request(now, &sub);
    assert_eq!(ok.status(), StatusCode::OK);
    alice.handle_response(now, &ok);
    deliver(&mut agent, &mut alice, &clock);
    (clock, agent, ua, alice)
}

fn deliver(agent: &mut PresenceAgent, alice: &mut PresenceWatcher, clock: &Clock) -> usize {
    let mut n = 0;
    while let Some(r) = agent.poll_transmit() {
        let x = alice.handle_notify(clock.now(), &r);
        assert_eq!(x.status(), StatusCode::OK);
        agent.handle_response(&x);
        n += 1;
    }
    n
}

fn note(alice: &PresenceWatcher) -> String {
    let p = alice.presence(BOB).unwrap();
    String::from_utf8(p.to_xml()).unwrap()
}

#[test]
fn publish_modify_refresh_remove() {
    let (mut clock, mut agent, mut ua, mut alice) = setup();
    let now = clock.now();
    let p = ua.publish(now, &presence("first")).unwrap();
    let x = agent.handle_request(now, &p);
    assert_eq!(x.status(), StatusCode::OK);
    assert!(ua.handle_response(now, &x).is_none());
    assert_eq!(ua.state(), PublisherState::Published);
    assert_eq!(deliver(&mut agent, &mut alice, &clock), 1);
    assert!(note(&alice).contains("first"));
    let etag1 = ua.etag().unwrap().to_vec();

    // Modify: SIP-If-Match carries the tag, the tag changes, Alice sees it.
    let m = ua.publish(now, &presence("second")).unwrap();
    assert_eq!(
        m.headers()
            .get(&HeaderName::SIP_IF_MATCH)
            .map(|v| v.to_vec()),
        Some(etag1.clone())
    );
    let x = agent.handle_request(now, &m);
    ua.handle_response(now, &x);
    assert_ne!(ua.etag().unwrap(), &etag1[..]);
    assert_eq!(deliver(&mut agent, &mut alice, &clock), 1);
    assert!(note(&alice).contains("second"));

    // The refresh goes out before expiry, has no body and changes nothing
    // for watchers.
    let due = ua.poll_timeout().unwrap();
    assert!(due < now + Duration::from_secs(600));
    clock.advance_to(due);
    let r = ua.handle_timeout(clock.now()).unwrap();
    assert!(r.body().is_empty());
    let x = agent.handle_request(clock.now(), &r);
    assert_eq!(x.status(), StatusCode::OK);
    ua.handle_response(clock.now(), &x);
    agent.handle_timeout(clock.now());
    assert_eq!(deliver(&mut agent, &mut alice, &clock), 0);

    // Remove: the presentity has no state left; Alice gets the closed
    // neutral document.
    let r = ua.remove(clock.now()).unwrap();
    let x = agent.handle_request(clock.now(), &r);
    ua.handle_response(clock.now(), &x);
    assert_eq!(deliver(&mut agent, &mut alice, &clock), 1);
    let doc = note(&alice);
    assert!(!doc.contains("second") && doc.contains("closed"), "{doc}");
}

#[test]
fn an_unrefreshed_publication_expires() {
    let (mut clock, mut agent, mut ua, mut alice) = setup();
    let p = ua.publish(clock.now(), &presence("brief")).unwrap();
    let x = agent.handle_request(clock.now(), &p);
    ua.handle_response(clock.now(), &x);
    deliver(&mut agent, &mut alice, &clock);
    assert!(note(&alice).contains("brief"));
    clock.advance(Duration::from_secs(601));
    agent.handle_timeout(clock.now());
    deliver(&mut agent, &mut alice, &clock);
    assert!(!note(&alice).contains("brief"));
}

#[test]
fn watcher_applies_pidf_diff_and_asks_for_full_state_on_a_gap() {
    let (clock, mut agent, mut ua, mut alice) = setup();
    let now = clock.now();
    let p = ua.publish(now, &presence("base")).unwrap();
    let x = agent.handle_request(now, &p);
    ua.handle_response(now, &x);
    // Take the agent's NOTIFY as a template for partial notifications.
    let mut template = agent.poll_transmit().unwrap();
    let x = alice.handle_notify(now, &template);
    assert_eq!(x.status(), StatusCode::OK);
    let next_cseq = |r: &mut sip_core::Request, n: u32| {
        let mut c: CSeq = r.headers().typed().unwrap().unwrap();
        c.seq += n;
        r.headers_mut().set_typed(&c);
    };
    let ct = simple_presence::sip::content_type("application/pidf-diff+xml").unwrap();
    let full =
        pidf::partial::PartialDoc::Full(pidf::partial::PidfFull::new(presence("v1"), Some(1)));
    let diff = pidf::partial::PartialDoc::between(&presence("v1"), &presence("v2"), 2);
    for d in [full, diff] {
        next_cseq(&mut template, 1);
        simple_presence::sip::set_body(&mut template, &ct, Bytes::from(d.to_xml()));
        assert_eq!(alice.handle_notify(now, &template).status(), StatusCode::OK);
    }
    assert!(note(&alice).contains("v2"));
    // Version 5 after 2: a gap, so the watcher refreshes its subscription.
    let gap = pidf::partial::PartialDoc::between(&presence("v2"), &presence("v9"), 5);
    next_cseq(&mut template, 1);
    simple_presence::sip::set_body(&mut template, &ct, Bytes::from(gap.to_xml()));
    alice.handle_notify(now, &template);
    assert!(note(&alice).contains("v2"));
    let refresh = alice.poll_transmit().expect("a refreshing SUBSCRIBE");
    assert_eq!(refresh.method(), &sip_core::Method::SUBSCRIBE);
}

/// Alice and Carol hold the same presence (namespace declarations aside:
/// a `<pidf-full>` also declares the pidf-diff namespace).
fn assert_same(a: &PresenceWatcher, b: &PresenceWatcher) {
    let strip = |w: &PresenceWatcher| {
        let mut p = w.presence(BOB).unwrap().clone();
        p.namespaces.clear();
        p
    };
    assert_eq!(strip(a), strip(b));
}

/// Every NOTIFY the agent has queued, by the watcher it is for (the
/// Request-URI is the watcher's Contact).
fn pending(agent: &mut PresenceAgent) -> Vec<(String, sip_core::Request)> {
    std::iter::from_fn(|| agent.poll_transmit())
        .map(|r| (r.uri().to_string(), r))
        .collect()
}

/// The version and kind of a NOTIFY's pidf-diff body, or `None` for plain
/// PIDF.
fn partial_of(r: &sip_core::Request) -> Option<(u32, &'static str)> {
    let ct = simple_presence::sip::header_str(r.headers(), &HeaderName::CONTENT_TYPE)?;
    if !ct.starts_with("application/pidf-diff+xml") {
        assert!(ct.starts_with("application/pidf+xml"), "{ct}");
        return None;
    }
    let d = pidf::partial::PartialDoc::parse(r.body()).unwrap();
    let kind = match d {
        pidf::partial::PartialDoc::Full(_) => "full",
        pidf::partial::PartialDoc::Diff(_) => "diff",
    };
    Some((d.version().unwrap(), kind))
}

#[test]
fn agent_sends_partial_notifications_to_watchers_that_accept_them() {
    let (mut clock, mut agent, mut ua, mut alice) = setup();
    let now = clock.now();
    // Carol does not accept pidf-diff.
    let mut carol = PresenceWatcher::new("sip:carol@example.com");
    carol.set_accept_partial(false);
    let sub = carol.subscribe(now, BOB, "presence", false).unwrap();
    let ok = agent.handle_request(now, &sub);
    carol.handle_response(now, &ok);
    let first = pending(&mut agent);
    assert_eq!(first.len(), 1);
    assert_eq!(partial_of(&first[0].1), None, "carol: full pidf");
    carol.handle_notify(now, &first[0].1);
    // Alice's first NOTIFY (in setup) was version 1, full.
    assert_eq!(
        alice.held(BOB, "presence").unwrap().notified,
        1,
        "alice has her first document"
    );

    // Each change: Alice gets the next version (a diff when smaller than
    // the full document), Carol full PIDF; both hold the same state.
    let answer = |agent: &mut PresenceAgent,
                  alice: &mut PresenceWatcher,
                  carol: &mut PresenceWatcher,
                  got: Vec<(String, sip_core::Request)>| {
        let mut versions = Vec::new();
        for (to, r) in got {
            let x = if to == ALICE {
                versions.push(partial_of(&r).expect("alice gets pidf-diff+xml"));
                alice.handle_notify(now, &r)
            } else {
                assert_eq!(partial_of(&r), None);
                carol.handle_notify(now, &r)
            };
            assert_eq!(x.status(), StatusCode::OK);
            agent.handle_response(&x);
        }
        versions
    };
    // From the neutral document to the first publication everything
    // changes: the full document is the smaller (RFC 5262 section 4).
    for (i, (n, kind)) in [("base", "full"), ("second", "diff"), ("third", "diff")]
        .into_iter()
        .enumerate()
    {
        let p = ua.publish(now, &devices(n)).unwrap();
        let x = agent.handle_request(now, &p);
        ua.handle_response(now, &x);
        let got = pending(&mut agent);
        let full_len = got.iter().find(|(t, _)| t != ALICE).unwrap().1.body().len();
        let alice_len = got.iter().find(|(t, _)| t == ALICE).unwrap().1.body().len();
        let v = answer(&mut agent, &mut alice, &mut carol, got);
        assert_eq!(v, [(i as u32 + 2, kind)], "{n}");
        if kind == "diff" {
            assert!(alice_len < full_len, "{alice_len} < {full_len}");
        }
        assert!(note(&alice).contains(n));
        assert_same(&alice, &carol);
    }

    // A change while Alice's last NOTIFY awaits its response is held back
    // (RFC 5263 section 4.4), and later changes fold into it.
    let publish = |agent: &mut PresenceAgent, ua: &mut PresenceUa, n: &str| {
        let p = ua.publish(now, &devices(n)).unwrap();
        let x = agent.handle_request(now, &p);
        ua.handle_response(now, &x);
    };
    publish(&mut agent, &mut ua, "fourth");
    let got = pending(&mut agent);
    let (_, to_alice) = got.iter().find(|(t, _)| t == ALICE).unwrap().clone();
    assert_eq!(partial_of(&to_alice), Some((5, "diff")));
    publish(&mut agent, &mut ua, "fifth");
    publish(&mut agent, &mut ua, "sixth");
    let held = pending(&mut agent);
    assert!(
        held.iter().all(|(t, _)| t != ALICE),
        "nothing more for alice yet"
    );
    let x = alice.handle_notify(now, &to_alice);
    agent.handle_response(&x);
    let next = pending(&mut agent);
    assert_eq!(next.len(), 1);
    assert_eq!(partial_of(&next[0].1), Some((6, "diff")));
    let x = alice.handle_notify(now, &next[0].1);
    agent.handle_response(&x);
    assert!(note(&alice).contains("sixth"));
    for (_, r) in got.into_iter().chain(held).filter(|(t, _)| t != ALICE) {
        carol.handle_notify(now, &r);
    }
    assert_same(&alice, &carol);

    // Alice misses version 7 (her stack answered it, the application lost
    // it); version 8 shows the gap, she refreshes and gets full state.
    publish(&mut agent, &mut ua, "seventh");
    let (_, lost) = pending(&mut agent)
        .into_iter()
        .find(|(t, _)| t == ALICE)
        .unwrap();
    assert_eq!(partial_of(&lost), Some((7, "diff")));
    agent.handle_response(&sip_core::Response::from_request(&lost, StatusCode::OK));
    publish(&mut agent, &mut ua, "eighth");
    let (_, gap) = pending(&mut agent)
        .into_iter()
        .find(|(t, _)| t == ALICE)
        .unwrap();
    assert_eq!(partial_of(&gap), Some((8, "diff")));
    let x = alice.handle_notify(now, &gap);
    assert_eq!(x.status(), StatusCode::OK);
    agent.handle_response(&x);
    assert!(note(&alice).contains("sixth"), "the gap is not applied");
    let refresh = alice.poll_transmit().expect("a refreshing SUBSCRIBE");
    clock.advance(Duration::from_millis(10));
    let ok = agent.handle_request(clock.now(), &refresh);
    assert_eq!(ok.status(), StatusCode::OK);
    alice.handle_response(clock.now(), &ok);
    let got = pending(&mut agent);
    assert_eq!(got.len(), 1);
    assert_eq!(partial_of(&got[0].1), Some((9, "full")));
    let x = alice.handle_notify(clock.now(), &got[0].1);
    agent.handle_response(&x);
    assert!(note(&alice).contains("eighth"));
    // And diffs resume from there.
    publish(&mut agent, &mut ua, "ninth");
    let (_, r) = pending(&mut agent)
        .into_iter()
        .find(|(t, _)| t == ALICE)
        .unwrap();
    assert_eq!(partial_of(&r), Some((10, "diff")));
    alice.handle_notify(clock.now(), &r);
    assert!(note(&alice).contains("ninth"));
}
