//! RFC 7701 chat room switch, driven with the RFC's own exchanges.
#![allow(clippy::disallowed_methods)] // one clock reading as the fake clock's origin

use bytes::Bytes;
use msrp::chat::{ChatEvent, ChatRoom, ChatRoomConfig, ParticipantId};
use msrp::cpim::Cpim;
use msrp::{parse_stream, Limits, Method, MsrpUri, SessionConfig, StatusCode};
use std::time::Instant;

fn u(s: &str) -> MsrpUri {
    MsrpUri::parse(s).unwrap()
}

const ROOM_FOR_ALICE: &str = "msrp://chat.example.com:12763/kjhd37s2s20w2a;tcp";
const ALICE_CLIENT: &str = "msrp://client.atlanta.example.com:7654/jshA7weztas;tcp";
const ROOM_FOR_BOB: &str = "msrp://chat.example.com:5678/jofofo3;tcp";
const BOB_CLIENT: &str = "msrp://client.biloxi.example.com:4923/49dufdje2;tcp";

fn room(alice_identity: &str, bob_private: bool) -> (ChatRoom, ParticipantId, ParticipantId) {
    let mut r = ChatRoom::new(ChatRoomConfig {
        room_uri: "sip:chatroom22@chat.example.com".into(),
        allow_nicknames: true,
        reserved_nicknames: vec!["admin".into()],
        max_message_size: 64 * 1024,
    });
    let a = r
        .join(
            alice_identity,
            SessionConfig::new(u(ROOM_FOR_ALICE), vec![u(ALICE_CLIENT)]),
            vec!["*".into()],
            true,
        )
        .unwrap();
    let b = r
        .join(
            "sip:bob@example.com",
            SessionConfig::new(u(ROOM_FOR_BOB), vec![u(BOB_CLIENT)]),
            vec!["text/plain".into()],
            bob_private,
        )
        .unwrap();
    (r, a, b)
}

fn out(r: &mut ChatRoom, now: Instant) -> Vec<(ParticipantId, msrp::Chunk)> {
    let mut v = Vec::new();
    while let Some((p, t)) = r.poll_transmit(now) {
        for c in parse_stream(&t.to_vec(), Limits::default()).unwrap() {
            v.push((p, c));
        }
    }
    v
}

fn nickname_request(tid: &str, to: &str, from: &str, nick: &str) -> Vec<u8> {
    format!("MSRP {tid} NICKNAME\r\nTo-Path: {to}\r\nFrom-Path: {from}\r\nUse-Nickname: {nick}\r\n-------{tid}$\r\n").into_bytes()
}

#[test]
fn nicknames_as_in_section_9_2() {
    let now = Instant::now();
    let (mut r, a, b) = room("sip:alice@atlanta.example.com", true);
    // Bob holds "Alice the great" already.
    r.handle_input(
        now,
        b,
        Bytes::from(nickname_request(
            "bobnick1",
            ROOM_FOR_BOB,
            BOB_CLIENT,
            "\"Alice the great\"",
        )),
    );
    assert_eq!(out(&mut r, now)[0].1.head.status(), Some(StatusCode::OK));
    assert_eq!(
        r.poll_event(),
        Some(ChatEvent::Nickname {
            participant: b,
            nickname: "Alice the great".into()
        })
    );
    // Alice's request of the RFC gets the RFC's 425, byte for byte.
    r.handle_input(
        now,
        a,
        Bytes::from(testkit::vector(
            "msrp/rfc7701-line1776-nickname-d93kswow.msrp",
        )),
    );
    let mut wire = Vec::new();
    while let Some((p, t)) = r.poll_transmit(now) {
        assert_eq!(p, a);
        wire.extend_from_slice(&t.to_vec());
    }
    assert_eq!(
        wire,
        testkit::vector("msrp/rfc7701-line1800-425-d93kswow.msrp")
    );
    // Her second choice is accepted, again as the RFC prints it.
    r.handle_input(
        now,
        a,
        Bytes::from(testkit::vector(
            "msrp/rfc7701-line1808-nickname-09swk2d.msrp",
        )),
    );
    let t = r.poll_transmit(now).unwrap().1.to_vec();
    assert_eq!(t, testkit::vector("msrp/rfc7701-line1817-200-09swk2d.msrp"));
    assert_eq!(r.nickname(a), Some("Alice in Wonderland"));
    // Malformed (424), reserved (425).
    r.handle_input(
        now,
        a,
        Bytes::from(nickname_request(
            "badnick1",
            ROOM_FOR_ALICE,
            ALICE_CLIENT,
            "unquoted",
        )),
    );
    assert_eq!(
        out(&mut r, now)[0].1.head.status(),
        Some(StatusCode::BAD_NICKNAME)
    );
    r.handle_input(
        now,
        a,
        Bytes::from(nickname_request(
            "resnick1",
            ROOM_FOR_ALICE,
            ALICE_CLIENT,
            "\"ADMIN\"",
        )),
    );
    assert_eq!(
        out(&mut r, now)[0].1.head.status(),
        Some(StatusCode::NICKNAME_IN_USE)
    );
    // Once Bob leaves, his nickname is free.
    r.leave(b);
    r.handle_input(
        now,
        a,
        Bytes::from(nickname_request(
            "freenick",
            ROOM_FOR_ALICE,
            ALICE_CLIENT,
            "\"Alice the great\"",
        )),
    );
    assert_eq!(out(&mut r, now)[0].1.head.status(), Some(StatusCode::OK));
}

#[test]
fn regular_message_fans_out_as_in_section_9_3() {
    let now = Instant::now();
    let (mut r, a, b) = room("sip:alice@atlanta.example.com", true);
    let send = testkit::vector("msrp/rfc7701-line1865-send-3490visdm.msrp");
    let original = parse_stream(&send, Limits::default()).unwrap().remove(0);
    r.handle_input(now, a, Bytes::from(send));
    let o = out(&mut r, now);
    let to_alice: Vec<_> = o.iter().filter(|(p, _)| *p == a).collect();
    let to_bob: Vec<_> = o.iter().filter(|(p, _)| *p == b).collect();
    assert_eq!(to_alice.len(), 1);
    assert_eq!(to_alice[0].1.head.status(), Some(StatusCode::OK));
    assert_eq!(to_bob.len(), 1, "the sender gets no copy");
    let fwd = &to_bob[0].1;
    assert_eq!(fwd.head.method(), Some(&Method::SEND));
    assert_eq!(fwd.head.headers.get_str("To-Path"), Some(BOB_CLIENT));
    assert_eq!(fwd.head.headers.get_str("From-Path"), Some(ROOM_FOR_BOB));
    assert_eq!(fwd.head.headers.content_type(), Some("message/cpim"));
    // The content is the sender's, unmodified (section 6.1).
    assert_eq!(fwd.body, original.body);
    let cpim = Cpim::parse(&fwd.body).unwrap();
    assert_eq!(cpim.from(), Some("<sip:alice@atlanta.example.com>"));
    assert_eq!(cpim.body.as_ref(), b"Hello guys, how are you today?");
    assert_eq!(
        r.poll_event(),
        Some(ChatEvent::Forwarded {
            from: a,
            to: vec![b],
            private: false
        })
    );
}

#[test]
fn private_messages_as_in_section_9_4() {
    let now = Instant::now();
    let (mut r, a, b) = room("sip:alice@example.com", true);
    r.handle_input(
        now,
        a,
        Bytes::from(testkit::vector("msrp/rfc7701-line1951-send-6959ssdf.msrp")),
    );
    let o = out(&mut r, now);
    assert_eq!(o.iter().filter(|(p, _)| *p == b).count(), 1);
    assert_eq!(
        r.poll_event(),
        Some(ChatEvent::Forwarded {
            from: a,
            to: vec![b],
            private: true
        })
    );
    // Bob without private messaging: 428 in a failure REPORT to Alice.
    let (mut r, a, b) = room("sip:alice@example.com", false);
    r.handle_input(
        now,
        a,
        Bytes::from(testkit::vector("msrp/rfc7701-line1951-send-6959ssdf.msrp")),
    );
    let o = out(&mut r, now);
    assert!(o.iter().all(|(p, _)| *p == a));
    let rep = o
        .iter()
        .find(|(_, c)| c.head.method() == Some(&Method::REPORT))
        .unwrap();
    assert_eq!(
        rep.1.head.headers.get_str("Status"),
        Some("000 428 Private Messages Not Supported")
    );
    assert_eq!(
        r.poll_event(),
        Some(ChatEvent::Refused {
            from: a,
            status: StatusCode::NO_PRIVATE_MESSAGES
        })
    );
    let _ = b;
}

#[test]
fn refusals() {
    let now = Instant::now();
    // From does not belong to the sender: 403.
    let (mut r, a, _) = room("sip:mallory@example.com", true);
    r.handle_input(
        now,
        a,
        Bytes::from(testkit::vector("msrp/rfc7701-line1865-send-3490visdm.msrp")),
    );
    let _ = out(&mut r, now);
    assert_eq!(
        r.poll_event(),
        Some(ChatEvent::Refused {
            from: a,
            status: StatusCode::FORBIDDEN
        })
    );
    // Unknown private recipient: 404.
    let (mut r, a, _) = room("sip:alice@example.com", true);
    let send = String::from_utf8(testkit::vector("msrp/rfc7701-line1951-send-6959ssdf.msrp"))
        .unwrap()
        .replace("sip:bob@", "sip:nobody@");
    r.handle_input(now, a, Bytes::from(send));
    let _ = out(&mut r, now);
    assert_eq!(
        r.poll_event(),
        Some(ChatEvent::Refused {
            from: a,
            status: StatusCode::NOT_FOUND
        })
    );
    // Not message/cpim: 415 as the transaction response, after a 481.
    let (mut r, a, _) = room("sip:alice@example.com", true);
    // (a vector addressed to another session first: 481)
    r.handle_input(
        now,
        a,
        Bytes::from(testkit::vector("msrp/rfc4975-s4-fig2-send-a786hjs2.msrp")),
    );
    assert_eq!(
        out(&mut r, now)[0].1.head.status(),
        Some(StatusCode::NO_SUCH_SESSION)
    );
    let plain = format!("MSRP plain001 SEND\r\nTo-Path: {ROOM_FOR_ALICE}\r\nFrom-Path: {ALICE_CLIENT}\r\nMessage-ID: m1\r\nByte-Range: 1-2/2\r\nContent-Type: text/plain\r\n\r\nhi\r\n-------plain001$\r\n");
    r.handle_input(now, a, Bytes::from(plain));
    assert_eq!(
        out(&mut r, now)[0].1.head.status(),
        Some(StatusCode::UNSUPPORTED_MEDIA_TYPE)
    );
}
