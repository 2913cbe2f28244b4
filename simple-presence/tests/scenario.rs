//! Two domains, example.com and example.net, each with a presence agent
//! and a border, on the testkit clock and in-memory network.

mod common;

use common::{World, COM, NET};
use policy::RuleSet;
use simple_presence::border::Refusal;
use simple_presence::identity::PeerIdentity;
use simple_presence::sip::{content_type, NewRequest};
use simple_presence::views::{self, Delegated, PeerMode, ViewBundle};
use sip_core::subscription::SubscriberState;
use sip_core::{Message, Method, StatusCode};
use std::net::SocketAddr;

fn rules(body: &str) -> RuleSet {
    RuleSet::parse(
        format!(
            r#"<ruleset xmlns="urn:ietf:params:xml:ns:common-policy"
    xmlns:pr="urn:ietf:params:xml:ns:pres-rules">{body}</ruleset>"#
        )
        .as_bytes(),
    )
    .unwrap()
}

fn bob_rules_for(alice_handling: &str) -> RuleSet {
    rules(&format!(
        r#"<rule id="a"><conditions><identity><one id="sip:alice@example.com"/></identity></conditions>
  <actions><pr:sub-handling>{alice_handling}</pr:sub-handling></actions>
  <transformations><pr:provide-services><pr:all-services/></pr:provide-services><pr:provide-all-attributes/></transformations></rule>"#
    ))
}

fn note_of(w: &World, dom: &str, user: &str, of: &str) -> Option<String> {
    let d = w.domains.iter().find(|d| d.name == dom).unwrap();
    let p = d.watchers.get(user)?.presence(of)?;
    let mut out = Vec::new();
    p.write(&mut out);
    Some(String::from_utf8(out).unwrap())
}

fn alice_bob(mode: PeerMode) {
    let mut w = World::new(mode);
    let now = w.clock.now();
    w.dom(NET)
        .agent
        .set_rules(now, "sip:bob@example.net", bob_rules_for("allow"));
    w.publish("sip:bob@example.net", "open", "in a meeting");
    w.run();
    w.subscribe("sip:alice@example.com", "sip:bob@example.net", "presence");
    w.run();
    let doc = note_of(&w, COM, "sip:alice@example.com", "sip:bob@example.net")
        .expect("alice has bob's presence");
    assert!(doc.contains("in a meeting"), "{doc}");
    // An update crosses and reaches her.
    w.publish("sip:bob@example.net", "closed", "gone home");
    w.run();
    let doc = note_of(&w, COM, "sip:alice@example.com", "sip:bob@example.net").unwrap();
    assert!(doc.contains("gone home") && doc.contains("closed"), "{doc}");
    assert_eq!(w.dom(COM).border.stats().backends, 1);
}

#[test]
fn alice_subscribes_to_bob_across_domains_per_view() {
    alice_bob(PeerMode::PerView);
}

#[test]
fn alice_subscribes_to_bob_across_domains_delegated() {
    alice_bob(PeerMode::Delegated);
}

fn user(i: usize) -> String {
    format!("sip:w{i}@example.com")
}

/// Friends see everything, colleagues the services without notes, the rest
/// of example.com the neutral document (polite-block).
fn carol_rules(n: usize) -> RuleSet {
    let ones = |r: std::ops::Range<usize>| {
        r.map(|i| format!("<one id=\"{}\"/>", user(i)))
            .collect::<String>()
    };
    rules(&format!(
        r#"<rule id="all"><conditions><identity><many domain="example.com"/></identity></conditions>
  <actions><pr:sub-handling>polite-block</pr:sub-handling></actions><transformations/></rule>
<rule id="friends"><conditions><identity>{}</identity></conditions>
  <actions><pr:sub-handling>allow</pr:sub-handling></actions>
  <transformations><pr:provide-services><pr:all-services/></pr:provide-services><pr:provide-all-attributes/></transformations></rule>
<rule id="colleagues"><conditions><identity>{}</identity></conditions>
  <actions><pr:sub-handling>allow</pr:sub-handling></actions>
  <transformations><pr:provide-services><pr:service-uri-scheme>sip</pr:service-uri-scheme></pr:provide-services></transformations></rule>"#,
        ones(0..n / 3),
        ones(n / 3..2 * n / 3)
    ))
}

fn thousand_watchers(mode: PeerMode) {
    const N: usize = 1000;
    let carol = "sip:carol@example.net";
    let mut w = World::new(mode);
    let now = w.clock.now();
    let rs = carol_rules(N);
    w.dom(NET).agent.set_rules(now, carol, rs.clone());
    w.publish(carol, "open", "writing");
    w.run();
    for i in 0..N {
        w.subscribe(&user(i), carol, "presence");
    }
    w.run();
    assert_eq!(
        w.dom(COM).border.stats().backends,
        1,
        "one back-end subscription"
    );
    assert_eq!(
        w.dom(NET).agent.subscriptions(),
        1,
        "the agent sees one subscription"
    );

    let mark = w.net.log().len();
    w.publish(carol, "closed", "at the dentist");
    w.run();
    let (_, _, msgs) = w.link_traffic(mark);
    let notifies: Vec<_> = msgs
        .iter()
        .filter_map(|m| match m {
            Message::Request(r) if *r.method() == Method::NOTIFY => Some(r),
            _ => None,
        })
        .collect();
    assert_eq!(notifies.len(), 1, "one NOTIFY crosses per update");
    let ct = notifies[0]
        .headers()
        .typed::<sip_core::header::ContentType>()
        .unwrap()
        .unwrap();
    let docs = match mode {
        PeerMode::PerView => {
            let b = ViewBundle::parse(&ct.0, notifies[0].body()).unwrap();
            assert_eq!(b.views.iter().map(|v| v.watchers.len()).sum::<usize>(), N);
            b.documents()
        }
        PeerMode::Delegated => {
            let d = Delegated::parse(&ct.0, notifies[0].body()).unwrap();
            assert!(d.rules.is_none(), "rules are not resent when unchanged");
            1
        }
    };
    assert_eq!(docs, if mode == PeerMode::PerView { 3 } else { 1 });

    // Every watcher has exactly the view its rules give, computed here
    // straight from the agent's document.
    let doc = w.dom(NET).agent.document(carol).unwrap().clone();
    let ctx = policy::Context::default();
    let mut distinct = std::collections::HashSet::new();
    for i in 0..N {
        let want = rs
            .decide(&policy::Watcher::authenticated(&user(i)), &ctx, &doc)
            .unwrap()
            .document_bytes()
            .unwrap();
        let want = pidf::Presence::parse(&want).unwrap();
        let d = w.dom(COM);
        let got = d.watchers[&user(i)].presence(carol).expect("a document");
        assert_eq!(got, &want, "watcher {i}");
        distinct.insert(format!("{want:?}"));
    }
    assert_eq!(distinct.len(), 3);
    let note = |i: usize| {
        let mut o = Vec::new();
        w.domains[0].watchers[&user(i)]
            .presence(carol)
            .unwrap()
            .write(&mut o);
        String::from_utf8(o).unwrap()
    };
    assert!(note(0).contains("at the dentist"));
    assert!(!note(N / 2).contains("at the dentist") && note(N / 2).contains("sip:carol"));
    assert!(!note(N - 1).contains("sip:carol@example.net</contact>"));
}

#[test]
fn thousand_watchers_three_views_per_view_mode() {
    thousand_watchers(PeerMode::PerView);
}

#[test]
fn thousand_watchers_three_views_delegated_mode() {
    thousand_watchers(PeerMode::Delegated);
}

fn block_list(mode: PeerMode) {
    let bob = "sip:bob@example.net";
    let alice = "sip:alice@example.com";
    let mut w = World::new(mode);
    let now = w.clock.now();
    w.dom(NET).agent.set_rules(now, bob, bob_rules_for("allow"));
    w.publish(bob, "open", "one");
    w.run();
    w.subscribe(alice, bob, "presence");
    w.run();
    let before = w.dom(COM).watchers[alice]
        .held(bob, "presence")
        .unwrap()
        .notifies;
    assert!(note_of(&w, COM, alice, bob).unwrap().contains("one"));
    // Bob puts Alice on his block list.
    let now = w.clock.now();
    w.dom(NET).agent.set_rules(now, bob, bob_rules_for("block"));
    w.run();
    w.publish(bob, "closed", "two");
    w.run();
    w.publish(bob, "open", "three");
    w.run();
    let d = w.dom(COM);
    let held = d.watchers[alice].held(bob, "presence").unwrap();
    assert_eq!(
        held.notifies, before,
        "no NOTIFY reaches her after the block"
    );
    assert!(note_of(&w, COM, alice, bob).unwrap().contains("one"));
    // Her subscription looks as it did: active, nothing terminated.
    assert_eq!(
        w.dom(COM).watchers[alice].state(bob, "presence"),
        Some(&SubscriberState::Active)
    );
    // A fresh blocked watcher and one awaiting confirmation look alike.
    let now = w.clock.now();
    w.dom(NET).agent.set_rules(
        now,
        bob,
        rules(
            r#"<rule id="b"><conditions><identity><one id="sip:eve@example.com"/></identity></conditions>
  <actions><pr:sub-handling>block</pr:sub-handling></actions></rule>
<rule id="c"><conditions><identity><one id="sip:frank@example.com"/></identity></conditions>
  <actions><pr:sub-handling>confirm</pr:sub-handling></actions></rule>"#,
        ),
    );
    w.subscribe("sip:eve@example.com", bob, "presence");
    w.subscribe("sip:frank@example.com", bob, "presence");
    w.run();
    let d = w.dom(COM);
    let (e, f) = (
        &d.watchers["sip:eve@example.com"],
        &d.watchers["sip:frank@example.com"],
    );
    assert_eq!(e.state(bob, "presence"), Some(&SubscriberState::Pending));
    assert_eq!(e.state(bob, "presence"), f.state(bob, "presence"));
    let (he, hf) = (
        e.held(bob, "presence").unwrap(),
        f.held(bob, "presence").unwrap(),
    );
    assert_eq!((he.notifies, he.notified), (hf.notifies, hf.notified));
    assert_eq!(he.notified, 0);
}

#[test]
fn blocked_watcher_stops_receiving_and_cannot_tell_per_view() {
    block_list(PeerMode::PerView);
}

#[test]
fn blocked_watcher_stops_receiving_and_cannot_tell_delegated() {
    block_list(PeerMode::Delegated);
}

fn outside_subscribe(
    w: &mut World,
    from_addr: [u8; 4],
    conn: PeerIdentity,
    from: &str,
) -> StatusCode {
    let a = SocketAddr::from((from_addr, 5060));
    let r = NewRequest {
        method: Method::SUBSCRIBE,
        to: "sip:bob@example.net",
        from,
        tag: "x1",
        call_id: &format!("evil.{from}"),
        contact: Some(from),
        event: Some("presence"),
        expires: Some(600),
    }
    .build(None)
    .unwrap();
    w.send_outside(a, conn, NET, r);
    w.run();
    let (_, x) = w
        .outside_got
        .iter()
        .rev()
        .find(|(t, _)| *t == a)
        .expect("an answer");
    x.status()
}

#[test]
fn untrusted_domain_and_spoofed_from_are_refused() {
    let mut w = World::new(PeerMode::PerView);
    // A domain that is not a peer, presenting its own certificate.
    let code = outside_subscribe(
        &mut w,
        [10, 0, 7, 1],
        PeerIdentity::from_domains(["evil.org"]),
        "sip:mallory@evil.org",
    );
    assert_eq!(code, StatusCode::FORBIDDEN);
    // The same connection claiming to be example.com.
    let code = outside_subscribe(
        &mut w,
        [10, 0, 7, 1],
        PeerIdentity::from_domains(["evil.org"]),
        "sip:alice@example.com",
    );
    assert_eq!(code, StatusCode::FORBIDDEN);
    // No certificate at all.
    let code = outside_subscribe(
        &mut w,
        [10, 0, 7, 2],
        PeerIdentity::none(),
        "sip:alice@example.com",
    );
    assert_eq!(code, StatusCode::FORBIDDEN);
    let log = w.dom(NET).refusals.lock().unwrap().clone();
    assert_eq!(log.len(), 3);
    assert_eq!(log[0].reason, Refusal::UntrustedDomain("evil.org".into()));
    assert!(
        matches!(&log[1].reason, Refusal::NotAuthenticated { claimed, .. } if claimed == "example.com")
    );
    assert!(
        matches!(&log[2].reason, Refusal::NotAuthenticated { presented, .. } if presented.is_empty())
    );
    assert_eq!(
        w.dom(NET).agent.subscriptions(),
        0,
        "nothing reached the agent"
    );
    assert_eq!(w.dom(NET).border.stats().refused, 3);
}

#[test]
fn back_end_listing_a_foreign_watcher_is_refused() {
    let mut w = World::new(PeerMode::PerView);
    // example.com's own connection, but the list names a user of another domain.
    let a = SocketAddr::from(([10, 0, 7, 3], 5060));
    let mut r = NewRequest {
        method: Method::SUBSCRIBE,
        to: "sip:bob@example.net",
        from: "sip:border@example.com",
        tag: "x2",
        call_id: "be.forged",
        contact: Some("sip:border@example.com"),
        event: Some("presence"),
        expires: Some(600),
    }
    .build(Some((
        &content_type(views::URI_LIST).unwrap(),
        views::write_uri_list(&["sip:a@example.com".into(), "sip:victim@example.org".into()]),
    )))
    .unwrap();
    r.headers_mut().push(views::peering_name(), "per-view");
    w.send_outside(a, PeerIdentity::from_domains([COM]), NET, r);
    w.run();
    let log = w.dom(NET).refusals.lock().unwrap().clone();
    assert_eq!(
        log[0].reason,
        Refusal::ForeignWatcher("sip:victim@example.org".into())
    );
    // Delegated mode is not granted to a per-view peer either.
    let mut r = NewRequest {
        method: Method::SUBSCRIBE,
        to: "sip:bob@example.net",
        from: "sip:border@example.com",
        tag: "x3",
        call_id: "be.forged2",
        contact: Some("sip:border@example.com"),
        event: Some("presence"),
        expires: Some(600),
    }
    .build(None)
    .unwrap();
    r.headers_mut().push(views::peering_name(), "delegated");
    w.send_outside(a, PeerIdentity::from_domains([COM]), NET, r);
    w.run();
    let log = w.dom(NET).refusals.lock().unwrap().clone();
    assert_eq!(log[1].reason, Refusal::ModeNotAllowed(PeerMode::Delegated));
}

fn pager_im(w: &mut World) {
    use simple_presence::doc::imdn::{Kind, Status};
    use simple_presence::doc::iscomposing::ComposeState;
    let (alice, bob) = ("sip:alice@example.com", "sip:bob@example.net");
    let typing = w
        .pager(alice)
        .composing(bob, ComposeState::Active, Some(60))
        .unwrap();
    w.send_message(alice, typing);
    w.run();
    assert_eq!(
        w.pager(bob).composing_state(alice),
        Some(ComposeState::Active)
    );
    let (id, m) = w
        .pager(alice)
        .send_text(
            "2026-11-25T10:00:00Z",
            bob,
            "lunch?",
            &[Kind::Delivery, Kind::Display],
        )
        .unwrap();
    w.send_message(alice, m);
    w.run();
    let got = w.pager(bob).received().to_vec();
    assert_eq!(got.len(), 1);
    assert_eq!(&got[0].body[..], b"lunch?");
    assert_eq!(got[0].from, alice);
    assert_eq!(got[0].message_id.as_deref(), Some(id.as_str()));
    assert_eq!(
        w.pager(bob).composing_state(alice),
        Some(ComposeState::Idle)
    );
    // The delivery notification came back across the link.
    let n = w.pager(alice).notifications().to_vec();
    assert_eq!(n.len(), 1);
    assert_eq!(
        (n[0].message_id(), n[0].kind(), n[0].status()),
        (id.as_str(), Kind::Delivery, &Status::Delivered)
    );
    assert_eq!(n[0].recipient_uri().as_deref(), Some(bob));
    // Bob reads it.
    assert!(w.pager(bob).displayed("2026-11-25T10:01:00Z", &id));
    w.run();
    let n = w.pager(alice).notifications().to_vec();
    assert_eq!(n.len(), 2);
    assert_eq!(
        (n[1].kind(), n[1].status()),
        (Kind::Display, &Status::Displayed)
    );
    // Alice got 200 for her three MESSAGEs, Bob for his two IMDNs.
    let ok = |w: &mut World, d: &str| {
        w.dom(d)
            .message_answers
            .iter()
            .filter(|r| r.status() == StatusCode::OK)
            .count()
    };
    assert_eq!(ok(w, COM), 2);
    assert_eq!(ok(w, NET), 2);
}

#[test]
fn pager_im_with_imdn_across_domains() {
    let mut w = World::new(PeerMode::PerView);
    pager_im(&mut w);
}

#[test]
fn everything_through_the_clearing_house() {
    use simple_presence::hub::Crossing;
    use std::sync::{Arc, Mutex};
    let mut w = World::new(PeerMode::PerView).with_hub();
    let seen: Arc<Mutex<Vec<Crossing>>> = Arc::default();
    let s2 = seen.clone();
    w.hub.as_mut().unwrap().1.set_log(
        Box::new(move |c: &Crossing| s2.lock().unwrap().push(c.clone())),
        true,
    );
    // Presence across the hub.
    let now = w.clock.now();
    w.dom(NET)
        .agent
        .set_rules(now, "sip:bob@example.net", bob_rules_for("allow"));
    w.publish("sip:bob@example.net", "open", "via the hub");
    w.run();
    w.subscribe("sip:alice@example.com", "sip:bob@example.net", "presence");
    w.run();
    let doc = note_of(&w, COM, "sip:alice@example.com", "sip:bob@example.net").unwrap();
    assert!(doc.contains("via the hub"), "{doc}");
    // IM with IMDN across the hub.
    pager_im(&mut w);
    let log = seen.lock().unwrap().clone();
    let (fwd, refused) = w.hub.as_ref().unwrap().1.counts();
    assert_eq!(log.len() as u64, fwd + refused);
    assert!(log.iter().all(|c| !c.is_refused()));
    assert!(log
        .iter()
        .any(|c| c.from == COM && c.to == NET && c.bytes.starts_with(b"SUBSCRIBE ")));
    assert!(log
        .iter()
        .any(|c| c.from == NET && c.to == COM && c.bytes.starts_with(b"NOTIFY ")));
    // Headers only: no body made it into the log.
    assert!(log.iter().all(|c| c.bytes.ends_with(b"\r\n\r\n")));
    assert!(!log
        .iter()
        .any(|c| c.bytes.windows(6).any(|x| x == b"lunch?")));
    // The hub refuses a member claiming another member's domain.
    let a = SocketAddr::from(([10, 0, 1, 2], 5070));
    let r = NewRequest {
        method: Method::MESSAGE,
        to: "sip:bob@example.net",
        from: "sip:mallory@example.net",
        tag: "s",
        call_id: "spoof.hub",
        contact: None,
        event: None,
        expires: None,
    }
    .build(None)
    .unwrap();
    w.identities.insert(a, PeerIdentity::from_domains([COM]));
    let hub = w.hub.as_ref().unwrap().0;
    w.net.send(
        w.clock.now(),
        a,
        hub,
        Message::Request(r).to_bytes().to_vec(),
    );
    w.run();
    assert_eq!(w.hub.as_ref().unwrap().1.counts().1, 1);
    assert!(seen.lock().unwrap().last().unwrap().is_refused());
}

#[test]
fn watcher_information_and_confirmation_in_one_domain() {
    use simple_presence::doc::winfo::WatcherStatus;
    let (alice, bob) = ("sip:alice@example.com", "sip:bob@example.com");
    let mut w = World::new(PeerMode::PerView);
    let now = w.clock.now();
    w.dom(COM).agent.set_rules(now, bob, rules(r#"<rule id="c"><conditions/><actions><pr:sub-handling>confirm</pr:sub-handling></actions></rule>"#));
    w.publish(bob, "open", "hello");
    w.subscribe(bob, bob, "presence.winfo");
    w.run();
    let winfo = |w: &World| {
        w.domains[0].watchers[bob]
            .held(bob, "presence.winfo")
            .unwrap()
            .winfo
            .clone()
            .unwrap()
    };
    assert!(winfo(&w).lists()[0].watchers.is_empty());
    // Alice subscribes: pending for her, a winfo notification for Bob.
    w.subscribe(alice, bob, "presence");
    w.run();
    assert_eq!(
        w.dom(COM).watchers[alice].state(bob, "presence"),
        Some(&SubscriberState::Pending)
    );
    let wi = winfo(&w);
    let ws = &wi.lists()[0].watchers;
    assert_eq!(ws.len(), 1);
    assert_eq!(
        (ws[0].uri.as_str(), ws[0].status),
        (alice, WatcherStatus::Pending)
    );
    // Bob approves: Alice becomes active with the document, winfo says so.
    let now = w.clock.now();
    w.dom(COM).agent.set_rules(now, bob, bob_rules_for("allow"));
    w.run();
    assert_eq!(
        w.dom(COM).watchers[alice].state(bob, "presence"),
        Some(&SubscriberState::Active)
    );
    assert!(note_of(&w, COM, alice, bob).unwrap().contains("hello"));
    let wi = winfo(&w);
    assert_eq!(wi.lists()[0].watchers[0].status, WatcherStatus::Active);
    assert!(wi.version() >= 2);
    // Only Bob may watch his watchers.
    w.subscribe(alice, bob, "presence.winfo");
    w.run();
    assert!(w.dom(COM).watchers[alice]
        .held(bob, "presence.winfo")
        .unwrap()
        .winfo
        .is_none());
}

#[test]
fn agent_takes_watcher_lists_only_from_a_peer_for_its_own_users() {
    let mut w = World::new(PeerMode::PerView);
    let now = w.clock.now();
    let list = |ws: &[&str]| {
        Some((
            content_type(views::URI_LIST).unwrap(),
            views::write_uri_list(&ws.iter().map(|s| s.to_string()).collect::<Vec<_>>()),
        ))
    };
    let sub = |from: &str, call: &str, ws: &[&str]| {
        let (ct, b) = list(ws).unwrap();
        let mut r = NewRequest {
            method: Method::SUBSCRIBE,
            to: "sip:bob@example.com",
            from,
            tag: "t",
            call_id: call,
            contact: Some(from),
            event: Some("presence"),
            expires: Some(600),
        }
        .build(Some((&ct, b)))
        .unwrap();
        r.headers_mut().push(views::peering_name(), "per-view");
        r
    };
    // A local user asking for others' views.
    let r = sub("sip:mallory@example.com", "c1", &["sip:alice@example.com"]);
    assert_eq!(
        w.dom(COM).agent.handle_request(now, &r).status(),
        StatusCode::FORBIDDEN
    );
    // A peer listing users of a third domain.
    let r = sub("sip:border@example.net", "c2", &["sip:x@example.org"]);
    assert_eq!(
        w.dom(COM).agent.handle_request(now, &r).status(),
        StatusCode::FORBIDDEN
    );
    // A peer listing its own users.
    let r = sub("sip:border@example.net", "c3", &["sip:x@example.net"]);
    assert_eq!(
        w.dom(COM).agent.handle_request(now, &r).status(),
        StatusCode::OK
    );
    assert_eq!(w.dom(COM).agent.subscriptions(), 1);
}

#[test]
fn alice_subscribes_to_a_public_group_in_the_other_domain() {
    let (mut w, group, members) = public_group_world(["bob here", "carol here"]);
    w.subscribe_list("sip:alice@example.com", group);
    w.run();
    let d = w.dom(COM);
    let view = d.watchers["sip:alice@example.com"]
        .list(group)
        .expect("a list view");
    for (m, note) in members.iter().zip(["bob here", "carol here"]) {
        let row = view
            .resource(m)
            .unwrap_or_else(|| panic!("{m} in the list"));
        let body = String::from_utf8(row.active_body().expect("active state").to_vec()).unwrap();
        assert!(body.contains(note), "{body}");
    }
    // A member's change reaches her as a list notification.
    w.publish("sip:bob@example.net", "closed", "bob left");
    w.run();
    let d = w.dom(COM);
    let view = d.watchers["sip:alice@example.com"].list(group).unwrap();
    let row = view.resource("sip:bob@example.net").unwrap();
    let body = String::from_utf8(row.active_body().unwrap().to_vec()).unwrap();
    assert!(body.contains("bob left"), "{body}");
    assert_eq!(w.dom(NET).border.stats().refused, 0);
}

#[test]
fn a_refused_back_end_ends_the_local_subscriptions() {
    // example.com asks for delegated policy; example.net grants only per-view.
    let mut w = World::new(PeerMode::Delegated);
    w.domains[1].border = simple_presence::border::Border::new(
        simple_presence::border::BorderConfig::new(NET, vec![common::peer(COM, PeerMode::PerView)]),
    );
    w.subscribe("sip:alice@example.com", "sip:bob@example.net", "presence");
    w.run();
    assert_eq!(w.dom(NET).border.stats().refused, 1);
    let d = w.dom(COM);
    assert!(matches!(
        d.watchers["sip:alice@example.com"].state("sip:bob@example.net", "presence"),
        Some(SubscriberState::Terminated(_))
    ));
    assert_eq!(d.border.stats().backends, 0);
    assert_eq!(d.border.stats().local_subscriptions, 0);
}

#[test]
fn peers_requiring_tls_talk_only_over_tls_with_sips_uris() {
    use simple_presence::border::Refusal;
    let mut w = World::new(PeerMode::PerView).with_tls();
    let now = w.clock.now();
    let (alice, bob) = ("sip:alice@example.com", "sip:bob@example.net");
    w.dom(NET).agent.set_rules(now, bob, bob_rules_for("allow"));
    w.publish(bob, "open", "behind TLS");
    w.run();
    w.subscribe(alice, bob, "presence");
    w.run();
    assert!(note_of(&w, COM, alice, bob).unwrap().contains("behind TLS"));
    w.publish(bob, "closed", "still TLS");
    w.run();
    assert!(note_of(&w, COM, alice, bob).unwrap().contains("still TLS"));
    pager_im(&mut w);
    // Every message on the link went over TLS, every request with a sips:
    // Request-URI.
    let link = w.link_messages(0);
    let requests = link
        .iter()
        .filter(|(_, m)| m.as_request().is_some())
        .count();
    assert!(requests >= 6, "SUBSCRIBE, NOTIFYs, MESSAGEs: {requests}");
    for (tls, m) in &link {
        assert!(tls, "{m:?}");
        if let Message::Request(r) = m {
            assert!(r.uri().to_string().starts_with("sips:"), "{}", r.uri());
        }
    }
    assert_eq!(w.dom(COM).border.stats().refused, 0);
    assert_eq!(w.dom(NET).border.stats().refused, 0);
    // A connection authenticated as example.com by other means, but not
    // over TLS, is refused.
    let code = outside_subscribe(
        &mut w,
        [10, 0, 7, 1],
        PeerIdentity::from_domains([COM]),
        "sip:mallory@example.com",
    );
    assert_eq!(code, StatusCode::FORBIDDEN);
    let log = w.dom(NET).refusals.lock().unwrap().clone();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].reason, Refusal::TlsRequired(COM.into()));
    assert_eq!(w.dom(NET).agent.subscriptions(), 1, "only the border's");
}

#[test]
fn a_top_via_the_connection_did_not_authenticate_is_refused_when_checked() {
    use simple_presence::border::Refusal;
    let mut w = World::new(PeerMode::PerView).with_tls();
    w.reconfigure_border(NET, |c| {
        c.check_via_sent_by = true;
        c.peers[0].require_tls = true;
    });
    let send = |w: &mut World, n: u8, via: &str| {
        let a = SocketAddr::from(([10, 0, 7, n], common::TLS_PORT));
        let mut r = NewRequest {
            method: Method::MESSAGE,
            to: "sip:bob@example.net",
            from: "sip:alice@example.com",
            tag: "v",
            call_id: &format!("via.{n}"),
            contact: None,
            event: None,
            expires: None,
        }
        .build(Some((
            &content_type("text/plain").unwrap(),
            sip_core::Bytes::from("hello"),
        )))
        .unwrap();
        r.headers_mut()
            .push(sip_core::HeaderName::VIA, via.to_owned());
        w.send_outside(a, PeerIdentity::from_domains([COM]), NET, r);
        w.run();
        w.outside_got
            .iter()
            .rev()
            .find(|(t, _)| t.ip() == a.ip())
            .map(|(_, x)| x.status())
    };
    // Covered: the MESSAGE reaches Bob (who answers 200).
    assert_eq!(
        send(&mut w, 1, "SIP/2.0/TLS example.com:5061;branch=z9hG4bKv1"),
        Some(StatusCode::OK)
    );
    // An address, or another domain, in sent-by: 403.
    assert_eq!(
        send(&mut w, 2, "SIP/2.0/TLS 198.51.100.4:5061;branch=z9hG4bKv2"),
        Some(StatusCode::FORBIDDEN)
    );
    assert_eq!(
        send(&mut w, 3, "SIP/2.0/TLS proxy.evil.org;branch=z9hG4bKv3"),
        Some(StatusCode::FORBIDDEN)
    );
    let log = w.dom(NET).refusals.lock().unwrap().clone();
    let sent_by: Vec<_> = log
        .iter()
        .map(|r| match &r.reason {
            Refusal::ViaNotAuthenticated { sent_by, .. } => sent_by.clone(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        sent_by,
        [
            Some("198.51.100.4".to_owned()),
            Some("proxy.evil.org".to_owned())
        ]
    );
    assert_eq!(w.pager("sip:bob@example.net").received().len(), 1);
}

#[test]
fn the_border_sends_partial_notifications_to_local_watchers_that_ask() {
    use simple_presence::watcher::PresenceWatcher;
    let (alice, carol, bob) = (
        "sip:alice@example.com",
        "sip:carol@example.com",
        "sip:bob@example.net",
    );
    let mut w = World::new(PeerMode::Delegated);
    let now = w.clock.now();
    w.dom(NET).agent.set_rules(
        now,
        bob,
        rules(
            r#"<rule id="a"><conditions/><actions><pr:sub-handling>allow</pr:sub-handling></actions>
  <transformations><pr:provide-services><pr:all-services/></pr:provide-services><pr:provide-all-attributes/></transformations></rule>"#,
        ),
    );
    let mut plain = PresenceWatcher::new(carol);
    plain.set_accept_partial(false);
    w.dom(COM).watchers.insert(carol.into(), plain);
    w.publish(bob, "open", "one");
    w.run();
    let mark = w.net.log().len();
    w.subscribe(alice, bob, "presence");
    w.subscribe(carol, bob, "presence");
    w.run();
    for n in ["two", "three"] {
        w.publish(bob, "open", n);
        w.run();
    }
    // What the border sent each local watcher: (content type, version).
    let mut got: std::collections::HashMap<String, Vec<(String, Option<u32>)>> = Default::default();
    for (_, d) in w.net.log().iter().skip(mark) {
        let m = Message::parse_datagram(sip_core::Bytes::from(d.data.clone()), &views::limits())
            .unwrap();
        let Message::Request(r) = m else { continue };
        if *r.method() != Method::NOTIFY
            || r.body().is_empty()
            || d.to.ip().to_string() != "10.0.1.3"
        {
            continue;
        }
        let ct = simple_presence::sip::header_str(r.headers(), &sip_core::HeaderName::CONTENT_TYPE)
            .unwrap()
            .to_owned();
        let version = pidf::partial::PartialDoc::parse(r.body())
            .ok()
            .and_then(|p| p.version());
        got.entry(r.uri().to_string())
            .or_default()
            .push((ct, version));
    }
    let diff = "application/pidf-diff+xml".to_owned();
    let pidf = "application/pidf+xml".to_owned();
    assert_eq!(
        got[alice],
        [
            (diff.clone(), Some(1)),
            (diff.clone(), Some(2)),
            (diff, Some(3))
        ]
    );
    assert_eq!(
        got[carol],
        [(pidf.clone(), None), (pidf.clone(), None), (pidf, None)]
    );
    assert!(note_of(&w, COM, alice, bob).unwrap().contains("three"));
    assert_eq!(note_of(&w, COM, alice, bob), note_of(&w, COM, carol, bob));
}

/// example.net with a public group of Bob and Carol, served by its list
/// agent, the members publishing `notes`.
fn public_group_world(notes: [&str; 2]) -> (World, &'static str, [&'static str; 2]) {
    use rls::resource_lists::{Entry, List};
    use rls::rls_services::{Service, ServiceSource};
    use rls::server::{ListKind, MemoryDirectory, StoredList};
    let mut w = World::new(PeerMode::PerView);
    let group = "sip:friends@example.net";
    let members = ["sip:bob@example.net", "sip:carol@example.net"];
    let mut dir = MemoryDirectory::default();
    let list = members
        .iter()
        .fold(List::new(None), |l, m| l.with_entry(Entry::new(*m)));
    dir.insert(StoredList {
        kind: ListKind::Public,
        service: Service::new(group, ServiceSource::List(list)),
        names: Vec::new(),
    });
    w.dom(NET).lists = Some(simple_presence::list::ListAgent::new(NET, dir));
    let rls_rules = rules(
        r#"<rule id="rls"><conditions><identity><one id="sip:rls@example.net"/></identity></conditions>
  <actions><pr:sub-handling>allow</pr:sub-handling></actions>
  <transformations><pr:provide-services><pr:all-services/></pr:provide-services><pr:provide-all-attributes/></transformations></rule>"#,
    );
    let now = w.clock.now();
    for (m, note) in members.iter().zip(notes) {
        w.dom(NET).agent.set_rules(now, m, rls_rules.clone());
        w.publish(m, "open", note);
    }
    w.run();
    (w, group, members)
}

#[test]
fn local_watchers_of_one_remote_list_share_one_back_end() {
    let (mut w, group, members) = public_group_world(["bob here", "carol here"]);
    let watchers = [
        "sip:alice@example.com",
        "sip:dave@example.com",
        "sip:erin@example.com",
    ];
    let mark = w.net.log().len();
    w.subscribe_list(watchers[0], group);
    w.run();
    // Two more join once the list's state is known at the border.
    w.subscribe_list(watchers[1], group);
    w.subscribe_list(watchers[2], group);
    w.run();
    let crossed = |w: &World, mark: usize, method: Method| {
        w.link_traffic(mark)
            .2
            .iter()
            .filter(|m| matches!(m, Message::Request(r) if *r.method() == method))
            .count()
    };
    assert_eq!(
        crossed(&w, mark, Method::SUBSCRIBE),
        1,
        "one back-end list subscription"
    );
    let stats = w.dom(COM).border.stats();
    assert_eq!((stats.list_backends, stats.list_subscriptions), (1, 3));
    let rows = |w: &mut World, who: &str| -> Vec<String> {
        let d = w.dom(COM);
        let view = d.watchers[who].list(group).expect("a list view");
        members
            .iter()
            .map(|m| {
                let body = view
                    .resource(m)
                    .and_then(|r| r.active_body())
                    .unwrap_or_default();
                String::from_utf8_lossy(body).into_owned()
            })
            .collect()
    };
    for who in watchers {
        let r = rows(&mut w, who);
        assert!(
            r[0].contains("bob here") && r[1].contains("carol here"),
            "{who}: {r:?}"
        );
    }
    // An update: one NOTIFY crosses, every local watcher gets it.
    let mark2 = w.net.log().len();
    w.publish(members[0], "closed", "bob left");
    w.run();
    assert_eq!(crossed(&w, mark2, Method::NOTIFY), 1);
    for who in watchers {
        let r = rows(&mut w, who);
        assert!(
            r[0].contains("bob left") && r[1].contains("carol here"),
            "{who}: {r:?}"
        );
    }
    // Each local subscription has its own dialog and RLMI versions: 0 (full
    // state), then one more per NOTIFY.
    let mut versions: std::collections::HashMap<String, Vec<(u32, bool)>> = Default::default();
    let mut dialogs = std::collections::HashSet::new();
    for (_, d) in w.net.log().iter().skip(mark) {
        let Ok(Message::Request(r)) =
            Message::parse_datagram(sip_core::Bytes::from(d.data.clone()), &views::limits())
        else {
            continue;
        };
        if *r.method() != Method::NOTIFY || d.to.ip().to_string() != "10.0.1.3" {
            continue;
        }
        let call: sip_core::header::CallId = r.headers().typed().unwrap().unwrap();
        dialogs.insert(call.0);
        assert_eq!(
            simple_presence::sip::header_str(r.headers(), &sip_core::HeaderName::REQUIRE),
            Some("eventlist")
        );
        if r.body().is_empty() {
            continue;
        }
        let ct = simple_presence::sip::header_str(r.headers(), &sip_core::HeaderName::CONTENT_TYPE)
            .unwrap();
        let n = rls::notify::RlmiNotification::parse(ct, r.body(), &Default::default()).unwrap();
        assert_eq!(n.rlmi.uri, group);
        versions
            .entry(r.uri().to_string())
            .or_default()
            .push((n.rlmi.version, n.rlmi.full_state));
    }
    assert_eq!(dialogs.len(), 3);
    for who in watchers {
        let v = &versions[who];
        assert!(v.len() >= 2, "{who}: {v:?}");
        assert_eq!(v[0], (0, true), "{who}: {v:?}");
        for (i, (n, _)) in v.iter().enumerate() {
            assert_eq!(*n, i as u32, "{who}: {v:?}");
        }
    }
    assert_eq!(w.dom(NET).border.stats().refused, 0);
}
