//! Two-party session tests on a fake clock with an in-memory link.
#![allow(clippy::disallowed_methods)] // one clock reading as the fake clock's origin

use bytes::Bytes;
use msrp::{
    parse_stream, ByteRange, Event, Flag, Limits, MessageSpec, Method, MsrpUri, ReportMode,
    Session, SessionConfig, StatusCode, SuccessReportMode,
};
use std::time::{Duration, Instant};

fn alice_uri() -> MsrpUri {
    MsrpUri::parse("msrp://atlanta.example.com:7654/jshA7weztas;tcp").unwrap()
}
fn bob_uri() -> MsrpUri {
    MsrpUri::parse("msrp://biloxi.example.com:12763/kjhd37s2s20w2a;tcp").unwrap()
}

fn pair(chunk: usize) -> (Session, Session) {
    let mut a = SessionConfig::new(alice_uri(), vec![bob_uri()]);
    a.chunk_size = chunk;
    a.seed = 1;
    let mut b = SessionConfig::new(bob_uri(), vec![alice_uri()]);
    b.chunk_size = chunk;
    b.seed = 2;
    (Session::new(a).unwrap(), Session::new(b).unwrap())
}

/// Moves everything both ways until quiet; returns the bytes each side
/// wrote and the events each side raised.
fn pump(
    a: &mut Session,
    b: &mut Session,
    now: Instant,
) -> (Vec<u8>, Vec<u8>, Vec<Event>, Vec<Event>) {
    let (mut wa, mut wb, mut ea, mut eb) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    loop {
        let mut moved = false;
        while let Some(t) = a.poll_transmit(now) {
            wa.extend_from_slice(&t.to_vec());
            for s in t.segments {
                b.handle_input(now, s);
            }
            moved = true;
        }
        while let Some(t) = b.poll_transmit(now) {
            wb.extend_from_slice(&t.to_vec());
            for s in t.segments {
                a.handle_input(now, s);
            }
            moved = true;
        }
        while let Some(e) = a.poll_event() {
            ea.push(e);
        }
        while let Some(e) = b.poll_event() {
            eb.push(e);
        }
        if !moved {
            return (wa, wb, ea, eb);
        }
    }
}

fn data_of(events: &[Event], id: &str) -> Vec<u8> {
    let mut out = Vec::new();
    for e in events {
        if let Event::Data {
            message_id,
            offset,
            data,
        } = e
        {
            if message_id == id {
                let end = *offset as usize + data.len();
                if out.len() < end {
                    out.resize(end, 0);
                }
                out[*offset as usize..end].copy_from_slice(data);
            }
        }
    }
    out
}

#[test]
fn one_message_with_responses() {
    let (mut a, mut b) = pair(2048);
    let now = Instant::now();
    let id = a
        .send_message(
            MessageSpec::new("text/plain"),
            Bytes::from_static(b"Hey Bob, are you there?"),
        )
        .unwrap();
    let (wa, wb, ea, eb) = pump(&mut a, &mut b, now);
    let sent = parse_stream(&wa, Limits::default()).unwrap();
    assert_eq!(sent.len(), 1);
    let c = &sent[0];
    assert_eq!(c.head.method(), Some(&Method::SEND));
    assert_eq!(
        c.head.headers.get_str("To-Path"),
        Some(bob_uri().to_string().as_str())
    );
    assert_eq!(
        c.head.headers.typed::<ByteRange>().unwrap().unwrap(),
        ByteRange {
            start: 1,
            end: Some(23),
            total: Some(23)
        }
    );
    assert_eq!(c.flag, Flag::Complete);
    let resp = parse_stream(&wb, Limits::default()).unwrap();
    assert_eq!(resp.len(), 1);
    assert_eq!(resp[0].head.status(), Some(StatusCode::OK));
    assert_eq!(resp[0].head.tid, c.head.tid);
    assert_eq!(
        resp[0].head.headers.get_str("To-Path"),
        Some(alice_uri().to_string().as_str())
    );
    assert!(
        matches!(&eb[0], Event::MessageStart { message_id, total: Some(23), .. } if *message_id == id)
    );
    assert_eq!(data_of(&eb, &id), b"Hey Bob, are you there?");
    assert!(eb.contains(&Event::MessageComplete {
        message_id: id.clone(),
        total: 23
    }));
    assert_eq!(ea, vec![Event::MessageSent { message_id: id }]);
    assert_eq!(a.poll_timeout(), None);
}

#[test]
fn a_short_message_interrupts_a_long_one() {
    let (mut a, mut b) = pair(1000);
    let now = Instant::now();
    let big: Vec<u8> = (0..10_000u32).map(|i| (i % 251) as u8).collect();
    let big_id = a
        .send_message(
            MessageSpec::new("application/octet-stream"),
            Bytes::from(big.clone()),
        )
        .unwrap();
    // One chunk of the big message goes out, then a chat line is queued.
    let t = a.poll_transmit(now).unwrap();
    for s in t.segments {
        b.handle_input(now, s);
    }
    let small_id = a
        .send_message(MessageSpec::new("text/plain"), Bytes::from_static(b"brb"))
        .unwrap();
    let (wa, _, _, eb) = pump(&mut a, &mut b, now);
    let chunks = parse_stream(&wa, Limits::default()).unwrap();
    // The chat line is the first chunk written after the interruption.
    assert_eq!(chunks[0].head.headers.message_id(), Some(small_id.as_str()));
    assert!(chunks[1..]
        .iter()
        .all(|c| c.head.headers.message_id() == Some(big_id.as_str())));
    assert_eq!(chunks.last().unwrap().flag, Flag::Complete);
    assert!(chunks[1..chunks.len() - 1]
        .iter()
        .all(|c| c.flag == Flag::More));
    let done: Vec<&Event> = eb
        .iter()
        .filter(|e| matches!(e, Event::MessageComplete { .. }))
        .collect();
    assert_eq!(
        done[0],
        &Event::MessageComplete {
            message_id: small_id.clone(),
            total: 3
        }
    );
    assert_eq!(
        done[1],
        &Event::MessageComplete {
            message_id: big_id.clone(),
            total: 10_000
        }
    );
    assert_eq!(data_of(&eb, &big_id), big);
    assert_eq!(data_of(&eb, &small_id), b"brb");
}

fn send_chunk(tid: &str, mid: &str, range: &str, body: &[u8], flag: u8, extra: &str) -> Vec<u8> {
    let mut v = format!(
        "MSRP {tid} SEND\r\nTo-Path: {}\r\nFrom-Path: {}\r\nMessage-ID: {mid}\r\nByte-Range: {range}\r\n{extra}Content-Type: text/plain\r\n\r\n",
        bob_uri(),
        alice_uri()
    )
    .into_bytes();
    v.extend_from_slice(body);
    v.extend_from_slice(format!("\r\n-------{tid}").as_bytes());
    v.push(flag);
    v.extend_from_slice(b"\r\n");
    v
}

fn feed(s: &mut Session, bytes: Vec<u8>) -> (Vec<Event>, Vec<msrp::Chunk>) {
    let now = Instant::now();
    s.handle_input(now, Bytes::from(bytes));
    let mut ev = Vec::new();
    while let Some(e) = s.poll_event() {
        ev.push(e);
    }
    let mut w = Vec::new();
    while let Some(t) = s.poll_transmit(now) {
        w.extend_from_slice(&t.to_vec());
    }
    (ev, parse_stream(&w, Limits::default()).unwrap())
}

#[test]
fn out_of_order_and_duplicate_ranges() {
    let (_, mut b) = pair(1000);
    let (ev, r) = feed(
        &mut b,
        send_chunk("t2aaaa", "m1xyz", "6-10/10", b"world", b'$', ""),
    );
    assert_eq!(r[0].head.status(), Some(StatusCode::OK));
    assert!(!ev
        .iter()
        .any(|e| matches!(e, Event::MessageComplete { .. })));
    // A duplicate overlapping range: only the new bytes are handed out.
    let (ev2, _) = feed(
        &mut b,
        send_chunk("t3aaaa", "m1xyz", "4-8/10", b"lowor", b'+', ""),
    );
    let (ev3, _) = feed(
        &mut b,
        send_chunk("t1aaaa", "m1xyz", "1-5/10", b"hello", b'+', ""),
    );
    let all: Vec<Event> = ev.into_iter().chain(ev2).chain(ev3.clone()).collect();
    assert_eq!(data_of(&all, "m1xyz"), b"helloworld");
    let bytes: usize = all
        .iter()
        .map(|e| {
            if let Event::Data { data, .. } = e {
                data.len()
            } else {
                0
            }
        })
        .sum();
    assert_eq!(bytes, 10, "no byte handed out twice");
    assert!(ev3.contains(&Event::MessageComplete {
        message_id: "m1xyz".into(),
        total: 10
    }));
    assert_eq!(b.incoming_in_progress(), 0);
}

#[test]
fn success_reports_per_message_and_per_chunk() {
    let (_, mut b) = pair(1000);
    let (_, w) = feed(
        &mut b,
        send_chunk(
            "t1aaaa",
            "m1xyz",
            "1-5/10",
            b"hello",
            b'+',
            "Success-Report: yes\r\n",
        ),
    );
    assert_eq!(w.len(), 1);
    let (_, w) = feed(
        &mut b,
        send_chunk(
            "t2aaaa",
            "m1xyz",
            "6-10/10",
            b"world",
            b'$',
            "Success-Report: yes\r\n",
        ),
    );
    assert_eq!(w.len(), 2);
    let rep = &w[1];
    assert_eq!(rep.head.method(), Some(&Method::REPORT));
    assert_eq!(rep.head.headers.get_str("Byte-Range"), Some("1-10/10"));
    assert_eq!(rep.head.headers.get_str("Status"), Some("000 200 OK"));
    assert_eq!(rep.head.headers.message_id(), Some("m1xyz"));
    assert_eq!(
        rep.head.headers.get_str("To-Path"),
        Some(alice_uri().to_string().as_str())
    );

    let mut cfg = SessionConfig::new(bob_uri(), vec![alice_uri()]);
    cfg.success_report_mode = SuccessReportMode::PerChunk;
    let mut b = Session::new(cfg).unwrap();
    let (_, w) = feed(
        &mut b,
        send_chunk(
            "t1aaaa",
            "m2xyz",
            "1-5/10",
            b"hello",
            b'+',
            "Success-Report: yes\r\n",
        ),
    );
    assert_eq!(w.len(), 2);
    assert_eq!(w[1].head.headers.get_str("Byte-Range"), Some("1-5/10"));
}

#[test]
fn failure_report_modes() {
    let (_, mut b) = pair(1000);
    let (_, w) = feed(
        &mut b,
        send_chunk(
            "t1aaaa",
            "m1xyz",
            "1-5/5",
            b"hello",
            b'$',
            "Failure-Report: no\r\n",
        ),
    );
    assert!(w.is_empty());
    let (_, w) = feed(
        &mut b,
        send_chunk(
            "t2aaaa",
            "m2xyz",
            "1-5/5",
            b"hello",
            b'$',
            "Failure-Report: partial\r\n",
        ),
    );
    assert!(w.is_empty());
    let mut cfg = SessionConfig::new(bob_uri(), vec![alice_uri()]);
    cfg.accept_types = vec!["message/cpim".into()];
    let mut b = Session::new(cfg).unwrap();
    let (_, w) = feed(
        &mut b,
        send_chunk(
            "t3aaaa",
            "m3xyz",
            "1-5/5",
            b"hello",
            b'$',
            "Failure-Report: partial\r\n",
        ),
    );
    assert_eq!(w[0].head.status(), Some(StatusCode::UNSUPPORTED_MEDIA_TYPE));
}

#[test]
fn error_responses() {
    // 415 unsupported type, 413 too large, 403 receive not allowed.
    let mut cfg = SessionConfig::new(bob_uri(), vec![alice_uri()]);
    cfg.accept_types = vec!["message/cpim".into()];
    cfg.max_message_size = Some(100);
    let mut b = Session::new(cfg.clone()).unwrap();
    let (ev, w) = feed(
        &mut b,
        send_chunk("t1aaaa", "m1xyz", "1-5/5", b"hello", b'$', ""),
    );
    assert_eq!(w[0].head.status(), Some(StatusCode::UNSUPPORTED_MEDIA_TYPE));
    assert!(!ev.iter().any(|e| matches!(e, Event::Data { .. })));
    cfg.accept_types.clear();
    let mut b = Session::new(cfg.clone()).unwrap();
    let (_, w) = feed(
        &mut b,
        send_chunk("t1aaaa", "m1xyz", "1-5/500", b"hello", b'+', ""),
    );
    assert_eq!(w[0].head.status(), Some(StatusCode::TOO_LARGE));
    // The next chunk of a refused message is refused too.
    let (_, w) = feed(
        &mut b,
        send_chunk("t2aaaa", "m1xyz", "6-10/500", b"hello", b'+', ""),
    );
    assert_eq!(w[0].head.status(), Some(StatusCode::TOO_LARGE));
    cfg.may_receive = false;
    let mut b = Session::new(cfg.clone()).unwrap();
    let (_, w) = feed(
        &mut b,
        send_chunk("t1aaaa", "m1xyz", "1-5/5", b"hello", b'$', ""),
    );
    assert_eq!(w[0].head.status(), Some(StatusCode::FORBIDDEN));
    // 481: To-Path names another session.
    let (_, mut b) = pair(100);
    let wrong = String::from_utf8(send_chunk("t1aaaa", "m1xyz", "1-5/5", b"hello", b'$', ""))
        .unwrap()
        .replace("kjhd37s2s20w2a", "other");
    let (_, w) = feed(&mut b, wrong.into_bytes());
    assert_eq!(w[0].head.status(), Some(StatusCode::NO_SUCH_SESSION));
    // 400: no Message-ID.
    let no_mid = String::from_utf8(send_chunk("t1aaaa", "m1xyz", "1-5/5", b"hello", b'$', ""))
        .unwrap()
        .replace("Message-ID: m1xyz\r\n", "");
    let (_, w) = feed(&mut b, no_mid.into_bytes());
    assert_eq!(w[0].head.status(), Some(StatusCode::BAD_REQUEST));
    // 501: unknown method, with the full From-Path as To-Path.
    let req = format!(
        "MSRP t9aaaa FROBNICATE\r\nTo-Path: {}\r\nFrom-Path: {}\r\n-------t9aaaa$\r\n",
        bob_uri(),
        alice_uri()
    );
    let (_, w) = feed(&mut b, req.into_bytes());
    assert_eq!(w[0].head.status(), Some(StatusCode::NOT_IMPLEMENTED));
    assert_eq!(w[0].head.tid.as_ref(), b"t9aaaa");
}

#[test]
fn transaction_timeout_is_408() {
    let (mut a, _) = pair(1000);
    let t0 = Instant::now();
    let id = a
        .send_message(MessageSpec::new("text/plain"), Bytes::from_static(b"hello"))
        .unwrap();
    assert!(a.poll_transmit(t0).is_some());
    assert_eq!(a.poll_timeout(), Some(t0 + Duration::from_secs(30)));
    a.handle_timeout(t0 + Duration::from_secs(29));
    assert_eq!(a.poll_event(), None);
    a.handle_timeout(t0 + Duration::from_secs(30));
    assert_eq!(
        a.poll_event(),
        Some(Event::MessageFailed {
            message_id: id,
            status: StatusCode::TIMEOUT
        })
    );
    assert_eq!(a.poll_timeout(), None);
}

#[test]
fn error_response_fails_the_message_and_failure_no_is_never_timed() {
    let (mut a, _) = pair(4);
    let t0 = Instant::now();
    let id = a
        .send_message(
            MessageSpec::new("text/plain"),
            Bytes::from_static(b"hello world"),
        )
        .unwrap();
    let first = parse_stream(&a.poll_transmit(t0).unwrap().to_vec(), Limits::default())
        .unwrap()
        .remove(0);
    assert_eq!(first.flag, Flag::More);
    let resp = format!(
        "MSRP {} 413 Message Too Large\r\nTo-Path: {}\r\nFrom-Path: {}\r\n-------{}$\r\n",
        first.head.tid_str(),
        alice_uri(),
        bob_uri(),
        first.head.tid_str()
    );
    a.handle_input(t0, Bytes::from(resp));
    assert_eq!(
        a.poll_event(),
        Some(Event::MessageFailed {
            message_id: id,
            status: StatusCode::TOO_LARGE
        })
    );
    assert!(
        a.poll_transmit(t0).is_none(),
        "no more chunks of a failed message"
    );
    let mut spec = MessageSpec::new("text/plain");
    spec.failure_report = ReportMode::No;
    a.send_message(spec, Bytes::from_static(b"x")).unwrap();
    let c = parse_stream(&a.poll_transmit(t0).unwrap().to_vec(), Limits::default())
        .unwrap()
        .remove(0);
    assert_eq!(c.head.headers.get_str("Failure-Report"), Some("no"));
    assert_eq!(a.poll_timeout(), None);
}

#[test]
fn abort_sends_hash_and_receiver_drops_the_message() {
    let (mut a, mut b) = pair(5);
    let now = Instant::now();
    let id = a.start_message(MessageSpec::new("text/plain")).unwrap();
    a.push_data(&id, Bytes::from_static(b"hello wor"), false)
        .unwrap();
    let (_, _, _, eb) = pump(&mut a, &mut b, now);
    assert_eq!(data_of(&eb, &id), b"hello");
    a.abort_message(&id).unwrap();
    let (wa, _, _, eb) = pump(&mut a, &mut b, now);
    let c = parse_stream(&wa, Limits::default()).unwrap();
    assert_eq!(c[0].flag, Flag::Abort);
    assert_eq!(c[0].head.headers.get_str("Byte-Range"), Some("6-*/*"));
    assert!(!c[0].head.has_body);
    assert!(eb.contains(&Event::MessageAborted {
        message_id: id,
        status: None
    }));
    assert_eq!(b.incoming_in_progress(), 0);
}

#[test]
fn failure_report_from_peer_fails_message() {
    let (mut a, _) = pair(100);
    let now = Instant::now();
    let id = a.start_message(MessageSpec::new("text/plain")).unwrap();
    a.push_data(&id, Bytes::from_static(b"x"), false).unwrap();
    let rep = format!("MSRP r1aaaa REPORT\r\nTo-Path: {}\r\nFrom-Path: {}\r\nMessage-ID: {id}\r\nByte-Range: 1-1/1\r\nStatus: 000 408 Request Timeout\r\n-------r1aaaa$\r\n", alice_uri(), bob_uri());
    a.handle_input(now, Bytes::from(rep));
    assert_eq!(
        a.poll_event(),
        Some(Event::MessageFailed {
            message_id: id.clone(),
            status: StatusCode::TIMEOUT
        })
    );
    assert!(matches!(a.poll_event(), Some(Event::Report { message_id, .. }) if message_id == id));
    assert!(a.poll_transmit(now).is_none(), "REPORTs get no response");
}

#[test]
fn malformed_stream_is_reported() {
    let (_, mut b) = pair(100);
    b.handle_input(Instant::now(), Bytes::from_static(b"GET / HTTP/1.1\r\n"));
    assert!(matches!(b.poll_event(), Some(Event::StreamError(_))));
    assert!(b.is_broken());
}

#[test]
fn bodies_holding_end_lines_get_another_transaction_id() {
    let (mut a, mut b) = pair(64);
    let now = Instant::now();
    // Build a body that holds the end-line of the first transaction id the
    // sender would pick, by asking a twin session for it.
    let (mut twin, _) = pair(64);
    twin.send_message(MessageSpec::new("text/plain"), Bytes::from_static(b"x"))
        .unwrap();
    let tid = parse_stream(
        &twin.poll_transmit(now).unwrap().to_vec(),
        Limits::default(),
    )
    .unwrap()[0]
        .head
        .tid_str()
        .to_owned();
    let body = format!("a\r\n-------{tid}$\r\nb");
    let id = a
        .send_message(MessageSpec::new("text/plain"), Bytes::from(body.clone()))
        .unwrap();
    let (wa, _, _, eb) = pump(&mut a, &mut b, now);
    let c = parse_stream(&wa, Limits::default()).unwrap();
    assert_ne!(c[0].head.tid_str(), tid);
    assert_eq!(data_of(&eb, &id), body.as_bytes());
}

#[test]
fn incoming_state_is_capped() {
    let mut cfg = SessionConfig::new(bob_uri(), vec![alice_uri()]);
    cfg.max_incoming_messages = 2;
    cfg.max_ranges = 2;
    let mut b = Session::new(cfg).unwrap();
    let (_, w) = feed(
        &mut b,
        send_chunk("t1aaaa", "m1xyz", "1-1/100", b"a", b'+', ""),
    );
    assert_eq!(w[0].head.status(), Some(StatusCode::OK));
    let (_, w) = feed(
        &mut b,
        send_chunk("t2aaaa", "m2xyz", "1-1/100", b"a", b'+', ""),
    );
    assert_eq!(w[0].head.status(), Some(StatusCode::OK));
    let (_, w) = feed(
        &mut b,
        send_chunk("t3aaaa", "m3xyz", "1-1/100", b"a", b'+', ""),
    );
    assert_eq!(
        w[0].head.status(),
        Some(StatusCode::FORBIDDEN),
        "a third message in progress"
    );
    // Gaps: ranges 1, 10 are kept; a third disjoint range is refused, a
    // range touching a kept one is fine.
    let (_, w) = feed(
        &mut b,
        send_chunk("t4aaaa", "m1xyz", "10-10/100", b"b", b'+', ""),
    );
    assert_eq!(w[0].head.status(), Some(StatusCode::OK));
    let (_, w) = feed(
        &mut b,
        send_chunk("t5aaaa", "m1xyz", "20-20/100", b"c", b'+', ""),
    );
    assert_eq!(w[0].head.status(), Some(StatusCode::FORBIDDEN));
}

#[test]
fn endpoint_routes_by_to_path_and_binds_sessions() {
    use msrp::endpoint::{ConnectionId, Endpoint, EndpointEvent};
    let now = Instant::now();
    let mut ep = Endpoint::new(Limits::default());
    let s1 = ep.add_session(
        Session::new(SessionConfig::new(bob_uri(), vec![alice_uri()])).unwrap(),
        None,
    );
    let carol = MsrpUri::parse("msrp://biloxi.example.com:12763/carol99;tcp").unwrap();
    let s2 = ep.add_session(
        Session::new(SessionConfig::new(carol.clone(), vec![alice_uri()])).unwrap(),
        None,
    );
    let c1 = ConnectionId(1);
    let c2 = ConnectionId(2);
    // Two sessions on one connection.
    ep.handle_input(
        now,
        c1,
        Bytes::from(send_chunk("t1aaaa", "m1xyz", "1-2/2", b"hi", b'$', "")),
    );
    let to_carol = String::from_utf8(send_chunk("t2aaaa", "m2xyz", "1-2/2", b"yo", b'$', ""))
        .unwrap()
        .replace("kjhd37s2s20w2a", "carol99");
    ep.handle_input(now, c1, Bytes::from(to_carol.clone()));
    assert_eq!(ep.connection_of(s1), Some(c1));
    assert_eq!(ep.connection_of(s2), Some(c1));
    let mut evs = Vec::new();
    while let Some(e) = ep.poll_event() {
        evs.push(e);
    }
    assert!(evs.iter().any(|e| matches!(e, EndpointEvent::Session(h, Event::MessageComplete { message_id, .. }) if *h == s1 && message_id == "m1xyz")));
    assert!(evs.iter().any(|e| matches!(e, EndpointEvent::Session(h, Event::MessageComplete { message_id, .. }) if *h == s2 && message_id == "m2xyz")));
    let outs: Vec<_> = std::iter::from_fn(|| ep.poll_transmit(now)).collect();
    assert_eq!(outs.len(), 2);
    assert!(outs.iter().all(|(c, _)| *c == c1));
    // The same session from another connection: 506.
    ep.handle_input(
        now,
        c2,
        Bytes::from(
            to_carol
                .replace("t2aaaa", "t3aaaa")
                .replace("m2xyz", "m3xyz"),
        ),
    );
    let (c, t) = ep.poll_transmit(now).unwrap();
    assert_eq!(c, c2);
    let r = parse_stream(&t.to_vec(), Limits::default())
        .unwrap()
        .remove(0);
    assert_eq!(r.head.status(), Some(StatusCode::WRONG_CONNECTION));
    assert_eq!(
        r.head.headers.get_str("From-Path"),
        Some(carol.to_string().as_str())
    );
    // An unknown session: 481.
    let unknown = to_carol
        .replace("carol99", "nobody1")
        .replace("t2aaaa", "t4aaaa");
    ep.handle_input(now, c2, Bytes::from(unknown));
    let (_, t) = ep.poll_transmit(now).unwrap();
    assert_eq!(
        parse_stream(&t.to_vec(), Limits::default()).unwrap()[0]
            .head
            .status(),
        Some(StatusCode::NO_SUCH_SESSION)
    );
    // After the first connection closes, the session may move.
    ep.close_connection(c1);
    ep.handle_input(
        now,
        c2,
        Bytes::from(
            to_carol
                .replace("t2aaaa", "t5aaaa")
                .replace("m2xyz", "m5xyz"),
        ),
    );
    assert_eq!(ep.connection_of(s2), Some(c2));
    // A broken connection is reported.
    ep.handle_input(now, ConnectionId(3), Bytes::from_static(b"garbage\r\n"));
    let mut saw = false;
    while let Some(e) = ep.poll_event() {
        saw |= matches!(e, EndpointEvent::ConnectionError(ConnectionId(3), _));
    }
    assert!(saw);
}

#[test]
fn partial_chunks_wait_unless_flushed() {
    let (mut a, mut b) = pair(1000);
    let now = Instant::now();
    let id = a.start_message(MessageSpec::new("text/plain")).unwrap();
    a.push_data(&id, Bytes::from_static(b"typing"), false)
        .unwrap();
    assert!(a.poll_transmit(now).is_none(), "less than a chunk waits");
    a.flush(&id).unwrap();
    let (wa, _, _, eb) = pump(&mut a, &mut b, now);
    let c = parse_stream(&wa, Limits::default()).unwrap();
    assert_eq!(c.len(), 1);
    assert_eq!(c[0].flag, Flag::More);
    assert_eq!(c[0].head.headers.get_str("Byte-Range"), Some("1-6/*"));
    assert_eq!(data_of(&eb, &id), b"typing");
    a.push_data(&id, Bytes::from_static(b"!"), true).unwrap();
    let (wa, _, ea, eb) = pump(&mut a, &mut b, now);
    let c = parse_stream(&wa, Limits::default()).unwrap();
    assert_eq!(c[0].head.headers.get_str("Byte-Range"), Some("7-7/7"));
    assert!(eb.contains(&Event::MessageComplete {
        message_id: id.clone(),
        total: 7
    }));
    assert!(ea.contains(&Event::MessageSent { message_id: id }));
    assert_eq!(a.flush("nope"), Err(msrp::UsageError::UnknownMessage));
}

#[test]
fn usage_errors() {
    let mut s = Session::new(SessionConfig::new(bob_uri(), vec![])).unwrap();
    assert!(
        s.send_message(MessageSpec::new("text/plain"), Bytes::new())
            .is_err(),
        "nowhere to send"
    );
    let (mut a, _) = pair(10);
    assert!(a
        .send_message(MessageSpec::new("text/pl\r\nain"), Bytes::new())
        .is_err());
    let mut spec = MessageSpec::new("text/plain");
    spec.total = Some(3);
    let id = a.start_message(spec).unwrap();
    assert_eq!(
        a.push_data(&id, Bytes::from_static(b"abcd"), false),
        Err(msrp::UsageError::MessageClosed)
    );
    a.push_data(&id, Bytes::from_static(b"abc"), true).unwrap();
    assert_eq!(
        a.push_data(&id, Bytes::from_static(b"x"), true),
        Err(msrp::UsageError::MessageClosed)
    );
    assert_eq!(
        a.push_data("nope", Bytes::new(), true),
        Err(msrp::UsageError::UnknownMessage)
    );
    let mut cfg = SessionConfig::new(bob_uri(), vec![alice_uri()]);
    cfg.chunk_size = 0;
    assert_eq!(Session::new(cfg).unwrap_err(), msrp::UsageError::ChunkSize);
}

#[test]
fn late_duplicates_of_finished_messages_are_not_handed_out() {
    let (_, mut b) = pair(1000);
    // Aborted: a late copy of its first chunk is acknowledged, not delivered.
    let (ev, _) = feed(
        &mut b,
        send_chunk("t1aaaa", "m1xyz", "1-5/10", b"hello", b'+', ""),
    );
    assert!(ev.iter().any(|e| matches!(e, Event::Data { .. })));
    let (ev, _) = feed(
        &mut b,
        send_chunk("t2aaaa", "m1xyz", "6-6/10", b"x", b'#', ""),
    );
    assert!(ev.contains(&Event::MessageAborted {
        message_id: "m1xyz".into(),
        status: None
    }));
    let (ev, w) = feed(
        &mut b,
        send_chunk("t3aaaa", "m1xyz", "1-5/10", b"hello", b'+', ""),
    );
    assert!(ev.is_empty(), "{ev:?}");
    assert_eq!(w[0].head.status(), Some(StatusCode::OK));
    // Refused: stays refused with the same status.
    let mut cfg = SessionConfig::new(bob_uri(), vec![alice_uri()]);
    cfg.accept_types = vec!["message/cpim".into()];
    let mut b = Session::new(cfg).unwrap();
    let (_, w) = feed(
        &mut b,
        send_chunk("t1aaaa", "m2xyz", "1-5/5", b"hello", b'$', ""),
    );
    assert_eq!(w[0].head.status(), Some(StatusCode::UNSUPPORTED_MEDIA_TYPE));
    let (ev, w) = feed(
        &mut b,
        send_chunk("t2aaaa", "m2xyz", "1-5/5", b"hello", b'$', ""),
    );
    assert_eq!(w[0].head.status(), Some(StatusCode::UNSUPPORTED_MEDIA_TYPE));
    assert!(!ev.iter().any(|e| matches!(e, Event::Data { .. })));
}
