//! RFC 4976 relays: AUTH with digest through a relay, forwarding SENDs
//! between two sessions, failure REPORTs on error and on timeout.
#![allow(clippy::disallowed_methods)] // one clock reading as the fake clock's origin

use bytes::Bytes;
use msrp::relay::{AuthClient, AuthEvent, Forward, Relay, RelayConfig};
use msrp::{
    parse_stream, ChunkHead, Event, Limits, MessageSpec, Method, MsrpUri, Session, SessionConfig,
    StatusCode,
};
use std::collections::HashMap;
use std::time::{Duration, Instant};

fn u(s: &str) -> MsrpUri {
    MsrpUri::parse(s).unwrap()
}

fn relay() -> Relay {
    let mut users = HashMap::new();
    users.insert("alice".to_owned(), "secret".to_owned());
    Relay::new(RelayConfig {
        uri: u("msrps://relay.example.com:9000;tcp"),
        realm: "relay.example.com".into(),
        users,
        default_expires: 600,
        min_expires: 60,
        max_expires: 3600,
        seed: 11,
    })
}

fn heads(t: msrp::Transmit) -> ChunkHead {
    parse_stream(&t.to_vec(), Limits::default())
        .unwrap()
        .remove(0)
        .head
}

fn authenticate(
    r: &mut Relay,
    now: Instant,
    password: &str,
    expires: Option<u32>,
) -> Vec<AuthEvent> {
    let mut c = AuthClient::new(
        u("msrps://relay.example.com:9000;tcp"),
        u("msrps://alice.example.com:9892/98cjs;tcp"),
        "alice",
        password,
        expires,
        5,
    );
    c.start(now);
    let mut events = Vec::new();
    for _ in 0..4 {
        let Some(t) = c.poll_transmit() else { break };
        let req = heads(t);
        assert_eq!(req.method(), Some(&Method::AUTH));
        let resp = r.handle_auth(now, &req);
        // Through the wire form, as a real connection would.
        let mut b = Vec::new();
        resp.write(&mut b);
        resp.write_end(msrp::Flag::Complete, &mut b);
        let resp = parse_stream(&b, Limits::default()).unwrap().remove(0).head;
        c.handle_response(now, &resp);
        while let Some(e) = c.poll_event() {
            events.push(e);
        }
    }
    events
}

#[test]
fn auth_with_digest_gives_use_path_and_expires() {
    let mut r = relay();
    let now = Instant::now();
    let ev = authenticate(&mut r, now, "secret", None);
    let [AuthEvent::Authenticated { use_path, expires }] = ev.as_slice() else {
        panic!("{ev:?}")
    };
    assert_eq!(*expires, 600);
    assert_eq!(use_path.len(), 1);
    assert_eq!(use_path[0].host(), "relay.example.com");
    assert!(use_path[0].session_id().is_some());
    assert!(r.owns(&use_path[0], now));
    assert!(!r.owns(&use_path[0], now + Duration::from_secs(601)));
    assert_eq!(
        authenticate(&mut r, now, "wrong", None),
        vec![AuthEvent::Failed(StatusCode::FORBIDDEN)]
    );
    // 423 with Min-Expires, then a retry inside the bounds.
    let ev = authenticate(&mut r, now, "secret", Some(10));
    assert!(
        matches!(
            ev.as_slice(),
            [AuthEvent::Authenticated { expires: 60, .. }]
        ),
        "{ev:?}"
    );
}

#[test]
fn auth_client_times_out_and_refreshes() {
    let now = Instant::now();
    let mut c = AuthClient::new(
        u("msrps://relay.example.com:9000;tcp"),
        u("msrps://a.example.com:1/x;tcp"),
        "a",
        "b",
        None,
        1,
    );
    c.start(now);
    assert!(c.poll_transmit().is_some());
    assert_eq!(c.poll_timeout(), Some(now + Duration::from_secs(30)));
    c.handle_timeout(now + Duration::from_secs(30));
    assert_eq!(c.poll_event(), Some(AuthEvent::Failed(StatusCode::TIMEOUT)));
    // Admitted for 100 s: a new AUTH goes out at 90 s.
    let mut r = relay();
    let mut c = AuthClient::new(
        u("msrps://relay.example.com:9000;tcp"),
        u("msrps://a.example.com:1/x;tcp"),
        "alice",
        "secret",
        Some(100),
        1,
    );
    c.start(now);
    for _ in 0..2 {
        let req = heads(c.poll_transmit().unwrap());
        c.handle_response(now, &r.handle_auth(now, &req));
    }
    assert!(matches!(
        c.poll_event(),
        Some(AuthEvent::Authenticated { expires: 100, .. })
    ));
    assert_eq!(c.poll_timeout(), Some(now + Duration::from_secs(90)));
    c.handle_timeout(now + Duration::from_secs(90));
    assert!(c.poll_transmit().is_some());
}

/// Alice -> relay -> Bob: the relay rewrites paths, answers Alice, and the
/// body reaches Bob untouched; Bob's response goes back to the relay.
#[test]
fn send_through_a_relay() {
    let mut r = relay();
    let now = Instant::now();
    let ev = authenticate(&mut r, now, "secret", None);
    let AuthEvent::Authenticated { use_path, .. } = &ev[0] else {
        panic!()
    };
    let alice = u("msrps://alice.example.com:9892/98cjs;tcp");
    let bob = u("msrps://bob.example.com:8888/9di4ea;tcp");
    let mut to = use_path.clone();
    to.push(bob.clone());
    let mut a = Session::new(SessionConfig::new(alice.clone(), to)).unwrap();
    let mut bob_cfg = SessionConfig::new(bob.clone(), vec![alice.clone()]);
    // Bob's connection is to the relay, verified by its host name, not to
    // Alice: no fingerprint check.
    bob_cfg.peer_certificate = msrp::PeerCertificate::NotChecked;
    let mut b = Session::new(bob_cfg).unwrap();
    let id = a
        .send_message(
            MessageSpec::new("text/plain"),
            Bytes::from_static(b"Hi through the relay"),
        )
        .unwrap();
    let wire = a.poll_transmit(now).unwrap().to_vec();
    let chunk = parse_stream(&wire, Limits::default()).unwrap().remove(0);
    let Forward::Next { head, response } = r.forward_request(now, &chunk.head) else {
        panic!()
    };
    // The relay moved its URI from To-Path to From-Path.
    assert_eq!(
        head.headers.get_str("To-Path"),
        Some(bob.to_string().as_str())
    );
    assert_eq!(
        head.headers.get_str("From-Path"),
        Some(format!("{} {}", use_path[0], alice).as_str())
    );
    assert_ne!(head.tid, chunk.head.tid);
    // Alice gets the relay's 200 and is done with the message.
    let response = response.unwrap();
    assert_eq!(response.status(), Some(StatusCode::OK));
    let mut rb = Vec::new();
    response.write(&mut rb);
    response.write_end(msrp::Flag::Complete, &mut rb);
    a.handle_input(now, Bytes::from(rb));
    assert_eq!(
        a.poll_event(),
        Some(Event::MessageSent {
            message_id: id.clone()
        })
    );
    // Bob receives the forwarded chunk with its body unchanged.
    let fwd = msrp::Chunk {
        head: head.clone(),
        body: chunk.body.clone(),
        flag: chunk.flag,
    };
    b.handle_input(now, Bytes::from(fwd.to_bytes().unwrap()));
    let mut got = Vec::new();
    while let Some(e) = b.poll_event() {
        if let Event::Data { data, .. } = e {
            got.extend_from_slice(&data);
        }
    }
    assert_eq!(got, b"Hi through the relay");
    let bob_resp = heads(b.poll_transmit(now).unwrap());
    assert_eq!(
        bob_resp.headers.get_str("To-Path"),
        Some(use_path[0].to_string().as_str())
    );
    assert_eq!(r.handle_response(now, &bob_resp), None);
    assert_eq!(r.poll_timeout(), None);
}

#[test]
fn relay_failure_reports() {
    let mut r = relay();
    let now = Instant::now();
    let ev = authenticate(&mut r, now, "secret", None);
    let AuthEvent::Authenticated { use_path, .. } = &ev[0] else {
        panic!()
    };
    let alice = u("msrps://alice.example.com:9892/98cjs;tcp");
    let bob = u("msrps://bob.example.com:8888/9di4ea;tcp");
    let mut to = use_path.clone();
    to.push(bob.clone());
    let mut a = Session::new(SessionConfig::new(alice.clone(), to)).unwrap();
    a.send_message(MessageSpec::new("text/plain"), Bytes::from_static(b"one"))
        .unwrap();
    a.send_message(MessageSpec::new("text/plain"), Bytes::from_static(b"two"))
        .unwrap();
    let c1 = parse_stream(&a.poll_transmit(now).unwrap().to_vec(), Limits::default())
        .unwrap()
        .remove(0);
    let c2 = parse_stream(&a.poll_transmit(now).unwrap().to_vec(), Limits::default())
        .unwrap()
        .remove(0);
    let Forward::Next { head: h1, .. } = r.forward_request(now, &c1.head) else {
        panic!()
    };
    let Forward::Next { .. } = r.forward_request(now, &c2.head) else {
        panic!()
    };
    // Bob refuses the first: the relay reports 415 back to Alice.
    let mut refuse = ChunkHead::response(&h1.tid, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    refuse
        .headers
        .push("To-Path", use_path[0].to_string())
        .unwrap();
    refuse.headers.push("From-Path", bob.to_string()).unwrap();
    let rep = r.handle_response(now, &refuse).unwrap();
    assert_eq!(rep.method(), Some(&Method::REPORT));
    assert_eq!(
        rep.headers.get_str("Status"),
        Some("000 415 Unsupported Media Type")
    );
    assert_eq!(rep.headers.message_id(), c1.head.headers.message_id());
    assert_eq!(
        rep.headers.get_str("To-Path"),
        Some(alice.to_string().as_str())
    );
    // The second gets no answer: 408 after 30 s.
    assert_eq!(r.poll_timeout(), Some(now + Duration::from_secs(30)));
    let reps = r.handle_timeout(now + Duration::from_secs(30));
    assert_eq!(reps.len(), 1);
    assert_eq!(
        reps[0].headers.get_str("Status"),
        Some("000 408 Request Timeout")
    );
    // Alice's session turns the REPORT into a failure of that message.
    let mut b = Vec::new();
    reps[0].write(&mut b);
    reps[0].write_end(msrp::Flag::Complete, &mut b);
    a.handle_input(now, Bytes::from(b));
    let mid = c2.head.headers.message_id().unwrap().to_owned();
    let evs: Vec<Event> = std::iter::from_fn(|| a.poll_event()).collect();
    assert!(
        evs.contains(&Event::MessageFailed {
            message_id: mid,
            status: StatusCode::TIMEOUT
        }),
        "{evs:?}"
    );
    // A request naming a URI the relay never handed out: 481.
    let mut bogus = c1.head.clone();
    bogus
        .headers
        .set(
            "To-Path",
            format!("msrps://relay.example.com:9000/nope;tcp {bob}"),
        )
        .unwrap();
    let Forward::Refuse {
        response: Some(resp),
        ..
    } = r.forward_request(now, &bogus)
    else {
        panic!()
    };
    assert_eq!(resp.status(), Some(StatusCode::NO_SUCH_SESSION));
}

#[test]
fn corpus_auth_exchange_parses_with_digest() {
    let req = parse_stream(
        &testkit::vector("msrp/rfc4976-s5.1-auth-49fi-authorization.msrp"),
        Limits::default(),
    )
    .unwrap()
    .remove(0);
    let p = msrp::relay::parse_digest_params(req.head.headers.get_str("Authorization").unwrap())
        .unwrap();
    assert!(p.contains(&("username".into(), "Alice".into())));
    assert!(p.contains(&("qop".into(), "auth".into())));
    let ch = parse_stream(
        &testkit::vector("msrp/rfc4976-s5.1-401-49fh.msrp"),
        Limits::default(),
    )
    .unwrap()
    .remove(0);
    let p = msrp::relay::parse_digest_params(ch.head.headers.get_str("WWW-Authenticate").unwrap())
        .unwrap();
    assert!(p.contains(&("nonce".into(), "dcd98b7102dd2f0e8b11d0f600bfb0c093".into())));
    // The client answers the RFC's challenge with a well-formed AUTH.
    let now = Instant::now();
    let mut c = AuthClient::new(
        u("msrps://alice@intra.example.com;tcp"),
        u("msrps://alice.example.com:9892/98cjs;tcp"),
        "Alice",
        "pw",
        None,
        3,
    );
    c.start(now);
    let first = heads(c.poll_transmit().unwrap());
    let mut resp = ch.head.clone();
    resp.tid = first.tid.clone();
    c.handle_response(now, &resp);
    let second = heads(c.poll_transmit().unwrap());
    let p =
        msrp::relay::parse_digest_params(second.headers.get_str("Authorization").unwrap()).unwrap();
    assert!(p.contains(&("realm".into(), "intra.example.com".into())));
    assert!(p.contains(&("nc".into(), "00000001".into())));
}

fn chunk_of(name: &str) -> msrp::Chunk {
    parse_stream(&testkit::vector(&format!("msrp/{name}")), Limits::default())
        .unwrap()
        .remove(0)
}

fn relay_at(uri: &str) -> Relay {
    Relay::new(RelayConfig {
        uri: u(uri),
        realm: "example".into(),
        users: HashMap::new(),
        default_expires: 600,
        min_expires: 60,
        max_expires: 3600,
        seed: 1,
    })
}

/// RFC 4976 section 3: Alice -> relay A -> relay B -> Bob and Bob's success
/// REPORT back, each hop's paths as the RFC prints them.
#[test]
fn two_relays_as_in_rfc4976_section_3() {
    let now = Instant::now();
    let mut a = relay_at("msrps://a.example.org:9000/kjfjan;tcp");
    let mut b = relay_at("msrps://b.example.net:9000/aeiug;tcp");
    let hop1 = chunk_of("rfc4976-s3-send-6aef-alice-to-relayA.msrp");
    let hop2 = chunk_of("rfc4976-s3-send-juh76-relayA-to-relayB.msrp");
    let hop3 = chunk_of("rfc4976-s3-send-xght6-relayB-to-bob.msrp");
    let paths = |h: &ChunkHead| {
        (
            h.headers.get_str("To-Path").unwrap().to_owned(),
            h.headers.get_str("From-Path").unwrap().to_owned(),
        )
    };

    let Forward::Next {
        head: at_b,
        response,
    } = a.forward_request(now, &hop1.head)
    else {
        panic!()
    };
    assert_eq!(paths(&at_b), paths(&hop2.head));
    let ok = response.unwrap();
    let rfc_ok = chunk_of("rfc4976-s3-200ok-6aef.msrp");
    assert_eq!(ok.status(), rfc_ok.head.status());
    assert_eq!(ok.tid, rfc_ok.head.tid);
    assert_eq!(
        ok.headers.get_str("To-Path"),
        rfc_ok.head.headers.get_str("To-Path")
    );
    assert_eq!(
        ok.headers.get_str("From-Path"),
        rfc_ok.head.headers.get_str("From-Path")
    );

    let Forward::Next { head: at_bob, .. } = b.forward_request(now, &at_b) else {
        panic!()
    };
    assert_eq!(paths(&at_bob), paths(&hop3.head));

    // Bob's session takes the chunk and sends the success REPORT the RFC
    // shows (transaction id aside).
    let mut bob = Session::new(SessionConfig::new(
        u("msrps://bob.example.net:8145/foo;tcp"),
        vec![],
    ))
    .unwrap();
    let fwd = msrp::Chunk {
        head: at_bob.clone(),
        body: hop1.body.clone(),
        flag: hop1.flag,
    };
    bob.handle_input(now, Bytes::from(fwd.to_bytes().unwrap()));
    let out: Vec<msrp::Chunk> = std::iter::from_fn(|| bob.poll_transmit(now))
        .flat_map(|t| parse_stream(&t.to_vec(), Limits::default()).unwrap())
        .collect();
    assert_eq!(out[0].head.status(), Some(StatusCode::OK));
    let report = &out[1];
    let rfc_report = chunk_of("rfc4976-s3-report-yh67-bob-to-relayB.msrp");
    let mut expected = rfc_report.clone();
    expected.head.tid = report.head.tid.clone();
    assert_eq!(report, &expected, "Bob's REPORT as in the RFC");

    // Relay B forwards the REPORT toward Alice.
    let Forward::Next {
        head: at_a,
        response,
    } = b.forward_request(now, &report.head)
    else {
        panic!()
    };
    assert!(response.is_none(), "REPORTs get no response");
    assert_eq!(
        paths(&at_a),
        paths(&chunk_of("rfc4976-s3-report-yh67-relayB-to-relayA.msrp").head)
    );
    let Forward::Next { head: at_alice, .. } = a.forward_request(now, &at_a) else {
        panic!()
    };
    assert_eq!(
        paths(&at_alice),
        paths(&chunk_of("rfc4976-s3-report-yh67-relayA-to-alice.msrp").head)
    );
}

#[test]
fn auth_client_checks_rspauth() {
    let now = Instant::now();
    let mut r = relay();
    let mut c = AuthClient::new(
        u("msrps://relay.example.com:9000;tcp"),
        u("msrps://a.example.com:1/x;tcp"),
        "alice",
        "secret",
        None,
        9,
    );
    c.start(now);
    let req = heads(c.poll_transmit().unwrap());
    c.handle_response(now, &r.handle_auth(now, &req));
    let req = heads(c.poll_transmit().unwrap());
    let mut ok = r.handle_auth(now, &req);
    assert!(ok
        .headers
        .get_str("Authentication-Info")
        .unwrap()
        .contains("rspauth="));
    // A forged 200 (wrong rspauth) is refused.
    let forged = ok
        .headers
        .get_str("Authentication-Info")
        .unwrap()
        .replace("rspauth=\"", "rspauth=\"0");
    ok.headers.set("Authentication-Info", forged).unwrap();
    c.handle_response(now, &ok);
    assert_eq!(
        c.poll_event(),
        Some(AuthEvent::Failed(StatusCode::FORBIDDEN))
    );
}
