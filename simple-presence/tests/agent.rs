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
