//! A list subscription end to end, in memory, on a fake clock: a subscriber,
//! the local list server, and a peer list server in another domain that the
//! local one reaches with an RFC 5367 ad-hoc list subscription.

use std::time::Duration;

use rls::resource_lists::{Entry, List, ResourceLists};
use rls::rlmi::InstanceState;
use rls::rls_services::{Service, ServiceSource};
use rls::server::{
    BackendId, BackendState, BackendTarget, ListKind, ListNotify, ListServer, ListSubscribe,
    ListSubscriptionState, MemoryDirectory, PeerRls, Reject, ServerConfig, ServerEvent, StateBody,
    StoredList, SubscriptionId,
};
use rls::subscriber::ListSubscriber;
use rls::view::Applied;
use rls::DisplayName;
use testkit::net::Clock;

const LIST: &str = "sip:adam-friends@pres.vancouver.example.com";
const ADAM: &str = "sip:adam@vancouver.example.com";
const BOB: &str = "sip:bob@vancouver.example.com";
const DAVE: &str = "sip:dave@vancouver.example.com";
const ED: &str = "sip:ed@dallas.example.net";
const JOE: &str = "sip:joe@stockholm.example.org";
const MARK: &str = "sip:mark@stockholm.example.org";
const PEER_RLS: &str = "sip:rls@stockholm.example.org";

fn pidf(entity: &str, basic: &str) -> StateBody {
    StateBody {
        content_type: "application/pidf+xml;charset=\"UTF-8\"".into(),
        body: format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n<presence xmlns=\"urn:ietf:params:xml:ns:pidf\" entity=\"{entity}\"><tuple id=\"t\"><status><basic>{basic}</basic></status></tuple></presence>"
        )
        .into_bytes(),
    }
}

fn directory(members: &[&str]) -> MemoryDirectory {
    let mut list = List::new(Some("friends"));
    for m in members {
        list = list.with_entry(Entry::new(*m));
    }
    let mut d = MemoryDirectory::default();
    d.insert(StoredList {
        kind: ListKind::Personal { owner: ADAM.into() },
        service: Service::new(LIST, ServiceSource::List(list)),
        names: vec![DisplayName::with_lang("en", "Buddy List at COM")],
    });
    d
}

fn local_config() -> ServerConfig {
    ServerConfig {
        min_interval: Duration::from_secs(5),
        local_domains: vec!["vancouver.example.com".into()],
        peer_rls: vec![PeerRls {
            domain: "stockholm.example.org".into(),
            uri: PEER_RLS.into(),
        }],
        host: "pres.vancouver.example.com".into(),
        seed: 42,
        ..ServerConfig::default()
    }
}

fn subscribe_from(sub: &ListSubscriber, list_uri: &str, who: &str) -> ListSubscribe {
    let headers = sub.subscribe_headers();
    ListSubscribe {
        list_uri: list_uri.into(),
        subscriber: who.into(),
        package: "presence".into(),
        supports_eventlist: headers
            .iter()
            .any(|(n, v)| *n == "Supported" && v.split(',').any(|t| t.trim() == "eventlist")),
        requires_recipient_list: false,
        body: None,
    }
}

/// Events of a server, split by kind.
#[derive(Default, Debug)]
struct Drained {
    opened: Vec<(BackendId, BackendTarget)>,
    closed: Vec<BackendId>,
    notifies: Vec<ListNotify>,
}

fn drain(s: &mut ListServer) -> Drained {
    let mut d = Drained::default();
    while let Some(e) = s.poll_event() {
        match e {
            ServerEvent::OpenBackend {
                backend, target, ..
            } => d.opened.push((backend, target)),
            ServerEvent::CloseBackend { backend, .. } => d.closed.push(backend),
            ServerEvent::Notify(n) => d.notifies.push(n),
        }
    }
    d
}

fn backend_for(opened: &[(BackendId, BackendTarget)], uri: &str) -> BackendId {
    opened
        .iter()
        .find(|(_, t)| matches!(t, BackendTarget::Resource { uri: u } if u == uri))
        .map(|(b, _)| *b)
        .unwrap_or_else(|| panic!("no back end for {uri}"))
}

fn deliver(sub: &mut ListSubscriber, n: &ListNotify) -> Applied {
    sub.handle_notify(&n.content_type, &n.body)
        .expect("server bodies parse")
}

#[test]
fn list_subscription_lifecycle() {
    let mut clock = Clock::new();
    let t0 = clock.now();
    let mut dir = directory(&[BOB, DAVE, ED, JOE, MARK]);
    let mut rls = ListServer::new(local_config());
    let mut adam = ListSubscriber::new(&["application/pidf+xml"]);

    // Initial SUBSCRIBE: back ends opened, full state at once, version 0.
    let id = rls
        .handle_subscribe(clock.now(), &subscribe_from(&adam, LIST, ADAM), &dir)
        .unwrap();
    let ev = drain(&mut rls);
    assert_eq!(
        ev.opened.len(),
        4,
        "bob, dave, ed one by one; stockholm as one list"
    );
    let (peer_backend, peer_target) = ev
        .opened
        .iter()
        .find(|(_, t)| matches!(t, BackendTarget::PeerList { .. }))
        .cloned()
        .unwrap();
    let BackendTarget::PeerList {
        rls_uri,
        members,
        body,
    } = peer_target
    else {
        unreachable!()
    };
    assert_eq!(rls_uri, PEER_RLS);
    assert_eq!(members, [JOE, MARK]);
    let (bob_b, dave_b, ed_b) = (
        backend_for(&ev.opened, BOB),
        backend_for(&ev.opened, DAVE),
        backend_for(&ev.opened, ED),
    );
    assert_eq!(ev.notifies.len(), 1);
    let n0 = &ev.notifies[0];
    assert_eq!((n0.version, n0.full_state, n0.resources), (0, true, 5));
    assert!(n0.headers().contains(&("Require", "eventlist".into())));
    assert!(n0.headers().contains(&("Event", "presence".into())));
    assert_eq!(deliver(&mut adam, n0), Applied::Full { version: 0 });
    assert_eq!(adam.view().len(), 5);
    assert_eq!(adam.view().names()[0].text, "Buddy List at COM");
    assert!(adam.view().resources().all(|(_, r)| r.instances.is_empty()));
    assert_eq!(rls.poll_timeout(), None);

    // The peer RLS accepts the ad-hoc list the local server sends it.
    let mut peer = ListServer::new(ServerConfig {
        min_interval: Duration::from_secs(5),
        local_domains: vec!["stockholm.example.org".into()],
        host: "stockholm.example.org".into(),
        seed: 7,
        ..ServerConfig::default()
    });
    let body_bytes = body.to_xml();
    let peer_sub = peer
        .handle_subscribe(
            clock.now(),
            &ListSubscribe {
                list_uri: PEER_RLS.into(),
                subscriber: "sip:pres.vancouver.example.com".into(),
                package: "presence".into(),
                supports_eventlist: true,
                requires_recipient_list: true,
                body: Some(ResourceLists::parse(&body_bytes).unwrap()),
            },
            &MemoryDirectory::default(),
        )
        .unwrap();
    let pev = drain(&mut peer);
    assert_eq!(pev.opened.len(), 2);
    let (joe_b, mark_b) = (
        backend_for(&pev.opened, JOE),
        backend_for(&pev.opened, MARK),
    );
    // Its first (empty) full state goes to the local server.
    rls.handle_backend_list_notify(
        clock.now(),
        peer_backend,
        &pev.notifies[0].content_type,
        &pev.notifies[0].body,
    )
    .unwrap();
    assert!(drain(&mut rls).notifies.is_empty(), "nothing known yet");

    // Back-end NOTIFYs within the throttle interval are merged.
    clock.advance(Duration::from_secs(1));
    rls.handle_backend_notify(
        clock.now(),
        bob_b,
        BOB,
        BackendState::Active,
        Some(pidf(BOB, "closed")),
    )
    .unwrap();
    clock.advance(Duration::from_secs(1));
    rls.handle_backend_notify(
        clock.now(),
        bob_b,
        BOB,
        BackendState::Active,
        Some(pidf(BOB, "open")),
    )
    .unwrap();
    rls.handle_backend_notify(clock.now(), dave_b, DAVE, BackendState::Pending, None)
        .unwrap();
    assert!(drain(&mut rls).notifies.is_empty());
    assert_eq!(rls.poll_timeout(), Some(t0 + Duration::from_secs(5)));
    clock.advance_to(rls.poll_timeout().unwrap());
    rls.handle_timeout(clock.now());
    let ev = drain(&mut rls);
    assert_eq!(ev.notifies.len(), 1);
    let n1 = &ev.notifies[0];
    assert_eq!((n1.version, n1.full_state, n1.resources), (1, false, 2));
    assert_eq!(deliver(&mut adam, n1), Applied::Partial { version: 1 });
    let bob = adam.view().resource(BOB).unwrap();
    assert_eq!(bob.instances[0].state, InstanceState::Active);
    assert_eq!(bob.active_body(), Some(&pidf(BOB, "open").body[..]));
    assert_eq!(
        adam.view().resource(DAVE).unwrap().instances[0].state,
        InstanceState::Pending
    );

    // The peer learns joe, then mark; it throttles as well, so mark comes
    // in a second RLMI NOTIFY. Each reaches the local server, which
    // reports it.
    clock.advance(Duration::from_secs(6));
    peer.handle_backend_notify(
        clock.now(),
        joe_b,
        JOE,
        BackendState::Active,
        Some(pidf(JOE, "open")),
    )
    .unwrap();
    peer.handle_backend_notify(
        clock.now(),
        mark_b,
        MARK,
        BackendState::Active,
        Some(pidf(MARK, "closed")),
    )
    .unwrap();
    let first = drain(&mut peer).notifies;
    assert_eq!(first.len(), 1);
    assert_eq!(
        first[0].resources, 1,
        "joe only: mark waits for the interval"
    );
    rls.handle_backend_list_notify(
        clock.now(),
        peer_backend,
        &first[0].content_type,
        &first[0].body,
    )
    .unwrap();
    let n2 = drain(&mut rls).notifies.remove(0);
    assert_eq!((n2.version, n2.full_state, n2.resources), (2, false, 1));
    assert_eq!(deliver(&mut adam, &n2), Applied::Partial { version: 2 });
    clock.advance_to(peer.poll_timeout().unwrap());
    peer.handle_timeout(clock.now());
    let second = drain(&mut peer).notifies;
    assert_eq!((second[0].version, second[0].resources), (2, 1));
    rls.handle_backend_list_notify(
        clock.now(),
        peer_backend,
        &second[0].content_type,
        &second[0].body,
    )
    .unwrap();
    let n3 = drain(&mut rls).notifies.remove(0);
    assert_eq!((n3.version, n3.resources), (3, 1));
    assert_eq!(deliver(&mut adam, &n3), Applied::Partial { version: 3 });
    assert_eq!(
        adam.view().resource(MARK).unwrap().active_body(),
        Some(&pidf(MARK, "closed").body[..])
    );
    assert_eq!(
        adam.view().resource(JOE).unwrap().active_body(),
        Some(&pidf(JOE, "open").body[..])
    );

    // A back-end subscription is terminated: reported once, with reason.
    clock.advance(Duration::from_secs(10));
    let before = rls.backends();
    rls.handle_backend_notify(
        clock.now(),
        ed_b,
        ED,
        BackendState::Terminated {
            reason: "rejected".into(),
        },
        None,
    )
    .unwrap();
    assert_eq!(rls.backends(), before - 1);
    let ev = drain(&mut rls);
    let n4 = &ev.notifies[0];
    assert_eq!((n4.version, n4.resources), (4, 1));
    assert_eq!(deliver(&mut adam, n4), Applied::Partial { version: 4 });
    let ed = &adam.view().resource(ED).unwrap().instances[0];
    assert_eq!(ed.state, InstanceState::Terminated);
    assert_eq!(ed.reason.as_deref(), Some("rejected"));

    // A member leaves the list: its back end closes and full state follows.
    clock.advance(Duration::from_secs(10));
    dir = directory(&[BOB, ED, JOE, MARK]);
    rls.handle_list_changed(clock.now(), LIST, &dir);
    let ev = drain(&mut rls);
    assert_eq!(ev.closed, [dave_b]);
    assert!(ev.opened.is_empty());
    let n5 = &ev.notifies[0];
    assert_eq!((n5.version, n5.full_state, n5.resources), (5, true, 4));
    assert_eq!(deliver(&mut adam, n5), Applied::Full { version: 5 });
    assert!(adam.view().resource(DAVE).is_none());
    assert_eq!(
        adam.view().resource(BOB).unwrap().active_body(),
        Some(&pidf(BOB, "open").body[..])
    );
    assert!(adam.view().resource(ED).unwrap().instances.is_empty());
    assert_eq!(rls.members(id).unwrap(), [BOB, ED, JOE, MARK]);

    // A NOTIFY is lost; the next one shows the gap; a refresh recovers.
    clock.advance(Duration::from_secs(10));
    rls.handle_backend_notify(
        clock.now(),
        bob_b,
        BOB,
        BackendState::Active,
        Some(pidf(BOB, "closed")),
    )
    .unwrap();
    let lost = drain(&mut rls).notifies;
    assert_eq!(lost[0].version, 6);
    clock.advance(Duration::from_secs(10));
    peer.handle_backend_notify(
        clock.now(),
        joe_b,
        JOE,
        BackendState::Active,
        Some(pidf(JOE, "closed")),
    )
    .unwrap();
    let pev = drain(&mut peer);
    rls.handle_backend_list_notify(
        clock.now(),
        peer_backend,
        &pev.notifies[0].content_type,
        &pev.notifies[0].body,
    )
    .unwrap();
    let n7 = drain(&mut rls).notifies.remove(0);
    assert_eq!(
        deliver(&mut adam, &n7),
        Applied::Gap {
            expected: 6,
            got: 7
        }
    );
    assert!(adam.poll_refresh());
    assert!(!adam.poll_refresh(), "the flag clears once read");
    // Stale bob until the refresh:
    assert_eq!(
        adam.view().resource(BOB).unwrap().active_body(),
        Some(&pidf(BOB, "open").body[..])
    );
    clock.advance(Duration::from_millis(100));
    rls.handle_refresh(clock.now(), id).unwrap();
    let n8 = drain(&mut rls).notifies.remove(0);
    assert_eq!(
        (n8.version, n8.full_state),
        (8, true),
        "refresh is not throttled"
    );
    assert_eq!(deliver(&mut adam, &n8), Applied::Full { version: 8 });
    assert_eq!(
        adam.view().resource(BOB).unwrap().active_body(),
        Some(&pidf(BOB, "closed").body[..])
    );
    // The lost NOTIFY arriving late is discarded.
    assert_eq!(
        deliver(&mut adam, &lost[0]),
        Applied::Stale { local: 8, got: 6 }
    );

    // The peer ends its list subscription: joe and mark are reported
    // terminated, once.
    clock.advance(Duration::from_secs(10));
    rls.handle_backend_terminated(clock.now(), peer_backend, "deactivated")
        .unwrap();
    let n9 = drain(&mut rls).notifies.remove(0);
    assert_eq!((n9.version, n9.full_state, n9.resources), (9, false, 2));
    assert_eq!(deliver(&mut adam, &n9), Applied::Partial { version: 9 });
    for uri in [JOE, MARK] {
        let i = &adam.view().resource(uri).unwrap().instances[0];
        assert_eq!(i.state, InstanceState::Terminated);
        assert_eq!(i.reason.as_deref(), Some("deactivated"));
    }
    assert!(rls
        .handle_backend_terminated(clock.now(), peer_backend, "again")
        .is_err());

    // Unsubscribe: every back end closed, a final terminated NOTIFY.
    rls.handle_unsubscribe(clock.now(), id, "timeout").unwrap();
    let ev = drain(&mut rls);
    assert_eq!(ev.closed, [bob_b], "ed's and the peer's ended already");
    let last = &ev.notifies[0];
    assert_eq!(
        last.state,
        ListSubscriptionState::Terminated { reason: "timeout" }
    );
    assert!(last
        .headers()
        .contains(&("Subscription-State", "terminated;reason=timeout".into())));
    assert_eq!(rls.subscriptions(), 0);
    assert_eq!(rls.backends(), 0);
    assert_eq!(peer.subscriptions(), 1);
    let _ = peer_sub;
}

#[test]
fn subscriptions_refused_with_the_right_code() {
    let clock = Clock::new();
    let dir = directory(&[BOB]);
    let mut rls = ListServer::new(local_config());
    let adam = ListSubscriber::new(&[]);
    let ok = subscribe_from(&adam, LIST, ADAM);
    let cases: Vec<(ListSubscribe, u16)> = vec![
        (
            ListSubscribe {
                supports_eventlist: false,
                ..ok.clone()
            },
            421,
        ),
        (
            ListSubscribe {
                subscriber: BOB.into(),
                ..ok.clone()
            },
            403,
        ),
        (
            ListSubscribe {
                list_uri: "sip:nobody@pres.vancouver.example.com".into(),
                ..ok.clone()
            },
            404,
        ),
        (
            ListSubscribe {
                requires_recipient_list: true,
                ..ok.clone()
            },
            400,
        ),
        (
            ListSubscribe {
                body: Some(ResourceLists::new(vec![List::of_uris(&[BOB])])),
                ..ok.clone()
            },
            415,
        ),
    ];
    for (req, code) in cases {
        let e: Reject = rls.handle_subscribe(clock.now(), &req, &dir).unwrap_err();
        assert_eq!(e.status(), code, "{e}");
    }
    // A public list with a package list that lacks "dialog".
    let mut d2 = MemoryDirectory::default();
    let mut svc = Service::new(LIST, ServiceSource::List(List::of_uris(&[BOB])));
    svc.packages = Some(rls::rls_services::Packages {
        names: vec!["presence".into()],
        extensions: vec![],
    });
    d2.insert(StoredList {
        kind: ListKind::Public,
        service: svc,
        names: vec![],
    });
    let dialog = ListSubscribe {
        package: "dialog".into(),
        subscriber: BOB.into(),
        ..ok.clone()
    };
    assert_eq!(
        rls.handle_subscribe(clock.now(), &dialog, &d2)
            .unwrap_err()
            .status(),
        489
    );
    // Anyone may subscribe to a public list.
    let bob_sub = ListSubscribe {
        subscriber: BOB.into(),
        ..ok
    };
    assert!(rls.handle_subscribe(clock.now(), &bob_sub, &d2).is_ok());
    assert!(drain(&mut rls).notifies.len() == 1);
}

#[test]
fn adhoc_lists_from_the_subscribe_body() {
    let clock = Clock::new();
    let mut rls = ListServer::new(ServerConfig {
        adhoc_max_members: 3,
        ..local_config()
    });
    let adam = ListSubscriber::new(&["application/pidf+xml"]);
    let req = adam.adhoc_request(&[BOB, DAVE, BOB, ED]);
    assert!(req
        .headers
        .contains(&("Require", "recipient-list-subscribe".into())));
    assert!(req
        .headers
        .contains(&("Content-Disposition", "recipient-list".into())));
    // The server reads the SUBSCRIBE the subscriber helper described.
    let mut headers: Vec<(&str, &str)> = vec![("Event", "presence")];
    headers.extend(req.headers.iter().map(|(n, v)| (*n, v.as_str())));
    let sub = ListSubscribe::from_request(
        "sip:rls@pres.vancouver.example.com",
        ADAM,
        headers,
        &req.body,
    )
    .unwrap();
    assert!(sub.supports_eventlist && sub.requires_recipient_list);
    assert_eq!(sub.package, "presence");
    let id: SubscriptionId = rls
        .handle_subscribe(clock.now(), &sub, &MemoryDirectory::default())
        .unwrap();
    assert_eq!(
        rls.members(id).unwrap(),
        [BOB, DAVE, ED],
        "duplicates dropped"
    );
    let ev = drain(&mut rls);
    assert_eq!(ev.opened.len(), 3);
    assert_eq!(ev.notifies[0].resources, 3);
    let too_many = ListSubscribe {
        body: Some(ResourceLists::new(vec![List::of_uris(&[
            BOB, DAVE, ED, JOE,
        ])])),
        ..sub
    };
    let e = rls
        .handle_subscribe(clock.now(), &too_many, &MemoryDirectory::default())
        .unwrap_err();
    assert_eq!(e, Reject::TooManyMembers { limit: 3 });
    assert_eq!(e.status(), 403);
}

#[test]
fn members_joining_are_reported_in_partial_state() {
    let mut clock = Clock::new();
    let mut dir = directory(&[BOB]);
    let mut rls = ListServer::new(local_config());
    let mut adam = ListSubscriber::new(&[]);
    let id = rls
        .handle_subscribe(clock.now(), &subscribe_from(&adam, LIST, ADAM), &dir)
        .unwrap();
    let n0 = drain(&mut rls).notifies.remove(0);
    deliver(&mut adam, &n0);
    clock.advance(Duration::from_secs(1));
    dir = directory(&[BOB, DAVE]);
    rls.handle_list_changed(clock.now(), LIST, &dir);
    let ev = drain(&mut rls);
    assert_eq!(ev.opened.len(), 1);
    assert!(ev.notifies.is_empty(), "throttled");
    clock.advance_to(rls.poll_timeout().unwrap());
    rls.handle_timeout(clock.now());
    let n1 = drain(&mut rls).notifies.remove(0);
    assert_eq!((n1.full_state, n1.resources), (false, 1));
    assert_eq!(deliver(&mut adam, &n1), Applied::Partial { version: 1 });
    assert_eq!(adam.view().len(), 2);
    // The list disappears: the subscription ends.
    rls.handle_list_changed(clock.now(), LIST, &MemoryDirectory::default());
    let ev = drain(&mut rls);
    assert_eq!(ev.closed.len(), 2);
    assert_eq!(
        ev.notifies[0].state,
        ListSubscriptionState::Terminated {
            reason: "noresource"
        }
    );
    assert!(rls.members(id).is_none());
}

#[test]
fn probation_keeps_the_instance_until_state_returns() {
    let mut clock = Clock::new();
    let dir = directory(&[BOB, DAVE]);
    let mut rls = ListServer::new(local_config());
    let adam = ListSubscriber::new(&[]);
    let id = rls
        .handle_subscribe(clock.now(), &subscribe_from(&adam, LIST, ADAM), &dir)
        .unwrap();
    let ev = drain(&mut rls);
    let (bob_b, dave_b) = (backend_for(&ev.opened, BOB), backend_for(&ev.opened, DAVE));
    let terminated = |reason: &str| BackendState::Terminated {
        reason: reason.into(),
    };
    clock.advance(Duration::from_secs(10));
    rls.handle_backend_notify(clock.now(), bob_b, BOB, terminated("probation"), None)
        .unwrap();
    rls.handle_backend_notify(clock.now(), dave_b, DAVE, terminated("rejected"), None)
        .unwrap();
    clock.advance(Duration::from_secs(10));
    rls.handle_timeout(clock.now());
    drain(&mut rls);
    // The next full state still shows bob on probation; dave's is gone.
    rls.handle_refresh(clock.now(), id).unwrap();
    let n = drain(&mut rls).notifies.remove(0);
    let parsed =
        rls::RlmiNotification::parse(&n.content_type, &n.body, &Default::default()).unwrap();
    let bob = parsed.rlmi.resource(BOB).unwrap();
    assert_eq!(bob.instances[0].state, InstanceState::Terminated);
    assert_eq!(bob.instances[0].reason.as_deref(), Some("probation"));
    assert!(parsed.rlmi.resource(DAVE).unwrap().instances.is_empty());
    // Bob's back end is retried and comes back through the same id; while
    // active without a state document it is reported with no instance.
    clock.advance(Duration::from_secs(10));
    rls.handle_backend_notify(clock.now(), bob_b, BOB, BackendState::Active, None)
        .unwrap();
    let n = drain(&mut rls).notifies.remove(0);
    let parsed =
        rls::RlmiNotification::parse(&n.content_type, &n.body, &Default::default()).unwrap();
    assert!(parsed.rlmi.resource(BOB).unwrap().instances.is_empty());
    clock.advance(Duration::from_secs(10));
    rls.handle_backend_notify(
        clock.now(),
        bob_b,
        BOB,
        BackendState::Active,
        Some(pidf(BOB, "open")),
    )
    .unwrap();
    assert!(rls
        .handle_backend_notify(clock.now(), dave_b, DAVE, BackendState::Active, None)
        .is_err());
    let n = drain(&mut rls).notifies.remove(0);
    let parsed =
        rls::RlmiNotification::parse(&n.content_type, &n.body, &Default::default()).unwrap();
    let inst = &parsed.rlmi.resource(BOB).unwrap().instances[0];
    assert_eq!(inst.state, InstanceState::Active);
    assert!(parsed.dangling_cids().is_empty() && inst.cid.is_some());
}

#[test]
fn subscriptions_are_capped() {
    let clock = Clock::new();
    let dir = directory(&[BOB]);
    let mut rls = ListServer::new(ServerConfig {
        max_subscriptions: 1,
        ..local_config()
    });
    let adam = ListSubscriber::new(&[]);
    let req = subscribe_from(&adam, LIST, ADAM);
    let first = rls.handle_subscribe(clock.now(), &req, &dir).unwrap();
    assert_eq!(
        rls.handle_subscribe(clock.now(), &req, &dir)
            .unwrap_err()
            .status(),
        503
    );
    rls.handle_unsubscribe(clock.now(), first, "timeout")
        .unwrap();
    assert!(rls.handle_subscribe(clock.now(), &req, &dir).is_ok());
}

#[test]
fn back_ends_are_shared_between_subscriptions() {
    let mut clock = Clock::new();
    let mut dir = MemoryDirectory::default();
    dir.insert(StoredList {
        kind: ListKind::Public,
        service: Service::new(LIST, ServiceSource::List(List::of_uris(&[BOB, DAVE, JOE]))),
        names: vec![],
    });
    let mut rls = ListServer::new(local_config());
    let mut adam = ListSubscriber::new(&[]);
    let mut carol = ListSubscriber::new(&[]);
    let first = rls
        .handle_subscribe(clock.now(), &subscribe_from(&adam, LIST, ADAM), &dir)
        .unwrap();
    let ev = drain(&mut rls);
    assert_eq!(ev.opened.len(), 3, "bob, dave, and the stockholm peer list");
    deliver(&mut adam, &ev.notifies[0]);
    let bob_b = backend_for(&ev.opened, BOB);
    rls.handle_backend_notify(
        clock.now(),
        bob_b,
        BOB,
        BackendState::Active,
        Some(pidf(BOB, "open")),
    )
    .unwrap();
    drain(&mut rls);

    // A second watcher of the same list: bob and dave are already watched,
    // only a peer list subscription of its own is opened, and bob's known
    // state is in its very first NOTIFY.
    clock.advance(Duration::from_secs(1));
    let second = rls
        .handle_subscribe(
            clock.now(),
            &subscribe_from(&carol, LIST, "sip:carol@vancouver.example.com"),
            &dir,
        )
        .unwrap();
    let ev = drain(&mut rls);
    assert_eq!(ev.opened.len(), 1);
    assert!(matches!(ev.opened[0].1, BackendTarget::PeerList { .. }));
    assert_eq!(rls.backends(), 4);
    assert_eq!(
        deliver(&mut carol, &ev.notifies[0]),
        Applied::Full { version: 0 }
    );
    assert_eq!(
        carol.view().resource(BOB).unwrap().active_body(),
        Some(&pidf(BOB, "open").body[..])
    );

    // One back-end NOTIFY reaches both watchers.
    clock.advance(Duration::from_secs(10));
    rls.handle_backend_notify(
        clock.now(),
        bob_b,
        BOB,
        BackendState::Active,
        Some(pidf(BOB, "closed")),
    )
    .unwrap();
    let ev = drain(&mut rls);
    assert_eq!(ev.notifies.len(), 2);
    for n in &ev.notifies {
        let w = if n.subscription == first {
            &mut adam
        } else {
            &mut carol
        };
        deliver(w, n);
        assert_eq!(
            w.view().resource(BOB).unwrap().active_body(),
            Some(&pidf(BOB, "closed").body[..])
        );
    }

    // The first watcher leaves: only its peer list closes.
    rls.handle_unsubscribe(clock.now(), first, "timeout")
        .unwrap();
    let ev = drain(&mut rls);
    assert_eq!(ev.closed.len(), 1);
    assert_eq!(rls.backends(), 3);
    // The last one out closes the shared back ends.
    rls.handle_unsubscribe(clock.now(), second, "timeout")
        .unwrap();
    let ev = drain(&mut rls);
    assert_eq!(ev.closed.len(), 3);
    assert!(ev.closed.contains(&bob_b));
    assert_eq!(rls.backends(), 0);
}
