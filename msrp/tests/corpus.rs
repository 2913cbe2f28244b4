//! Every MSRP exchange of the shared corpus (RFC 4975, 4976, 5547, 7701,
//! 7977): framed by end-line, typed headers decoded, written back byte for
//! byte, and fed in every read size.

use bytes::Bytes;
use msrp::{
    parse_stream, ByteRange, Expires, FailureReport, Flag, Limits, Method, ParseErrorKind,
    ParseEvent, Parser, ReportMode, Status, StatusCode, SuccessReport,
};

fn all() -> Vec<(String, Vec<u8>)> {
    let v = testkit::vectors("msrp", ".msrp");
    assert!(v.len() >= 80, "corpus has {} files", v.len());
    v
}

/// The transaction id named in the file name (the part the MANIFEST uses).
fn tid_in_name(name: &str, tid: &str) -> bool {
    name.contains(tid)
}

#[test]
fn every_vector_frames_and_round_trips() {
    for (name, bytes) in all() {
        if name.contains("NO-END-LINE") {
            continue;
        }
        let chunks =
            parse_stream(&bytes, Limits::default()).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(chunks.len(), 1, "{name}");
        let c = &chunks[0];
        assert!(
            tid_in_name(&name, c.head.tid_str()),
            "{name}: tid {}",
            c.head.tid_str()
        );
        let kind = name.split('-').nth(2).unwrap_or_default();
        if name.contains("-send-") {
            assert_eq!(c.head.method(), Some(&Method::SEND), "{name}");
            assert!(c.head.headers.message_id().is_some(), "{name}");
        }
        if name.contains("-200") {
            assert_eq!(c.head.status(), Some(StatusCode::OK), "{name} {kind}");
        }
        if name.contains("-401-") {
            assert_eq!(c.head.status(), Some(StatusCode::UNAUTHORIZED), "{name}");
            assert!(c.head.headers.get("WWW-Authenticate").is_some(), "{name}");
        }
        if name.contains("-auth-") {
            assert_eq!(c.head.method(), Some(&Method::AUTH), "{name}");
        }
        // Paths parse as URIs wherever present.
        if let Some(p) = c.head.headers.to_path() {
            assert!(!p
                .unwrap_or_else(|e| panic!("{name}: To-Path {e}"))
                .is_empty());
        }
        if let Some(p) = c.head.headers.from_path() {
            assert!(!p
                .unwrap_or_else(|e| panic!("{name}: From-Path {e}"))
                .is_empty());
        }
        if let Some(r) = c.head.headers.typed::<ByteRange>() {
            r.unwrap_or_else(|e| panic!("{name}: Byte-Range {e}"));
        }
        assert_eq!(c.to_bytes().unwrap(), bytes, "{name}: round trip");
    }
}

#[test]
fn vector_without_end_line_is_incomplete() {
    let bytes = testkit::vector("msrp/rfc4976-s3-200ok-xght6-NO-END-LINE-in-rfc.msrp");
    let e = parse_stream(&bytes, Limits::default()).unwrap_err();
    assert_eq!(e.kind, ParseErrorKind::Incomplete);
}

#[test]
fn byte_range_mismatches_of_the_rfc_do_not_matter() {
    // RFC 4975 figure 2: Byte-Range says 25 bytes, the body is 23.
    let c = &parse_stream(
        &testkit::vector("msrp/rfc4975-s4-fig2-send-a786hjs2.msrp"),
        Limits::default(),
    )
    .unwrap()[0];
    assert_eq!(c.body.as_ref(), b"Hey Bob, are you there?");
    let r = c.head.headers.typed::<ByteRange>().unwrap().unwrap();
    assert_eq!((r.start, r.end, r.total), (1, Some(25), Some(25)));
    assert_eq!(c.flag, Flag::Complete);
    assert_eq!(c.head.headers.content_type(), Some("text/plain"));
    // Section 11.1 step 4: 14-byte body under 1-16/16.
    let c = &parse_stream(
        &testkit::vector("msrp/rfc4975-s11.1-step4-send-d93kswow.msrp"),
        Limits::default(),
    )
    .unwrap()[0];
    assert_eq!(c.body.as_ref(), b"Hi, I'm Alice!");
}

#[test]
fn continuation_flags_and_reports() {
    let v = |n: &str| {
        parse_stream(&testkit::vector(&format!("msrp/{n}")), Limits::default())
            .unwrap()
            .remove(0)
    };
    let c1 = v("rfc4975-s5.1-fig3-chunk1-dkei38sd-plus.msrp");
    assert_eq!(c1.flag, Flag::More);
    let c2 = v("rfc4975-s5.1-fig3-chunk2-dkei38ia-dollar.msrp");
    assert_eq!(c2.flag, Flag::Complete);
    let f14 = v("rfc4975-s11.4-fig14-cpim-chunk1-d93kswow-plus.msrp");
    assert_eq!(f14.flag, Flag::More);
    assert_eq!(f14.body.len(), 137);
    let sys = v("rfc4975-s11.5-system-message-d93kswow.msrp");
    assert_eq!(
        sys.head.headers.typed::<SuccessReport>().unwrap().unwrap(),
        SuccessReport(false)
    );
    assert_eq!(
        sys.head.headers.typed::<FailureReport>().unwrap().unwrap(),
        FailureReport(ReportMode::No)
    );
    let f16 = v("rfc4975-s11.6-fig16-send-success-report-yes-d93kswow.msrp");
    assert_eq!(
        f16.head.headers.typed::<SuccessReport>().unwrap().unwrap(),
        SuccessReport(true)
    );
    let f17 = v("rfc4975-s11.6-fig17-report-success-dkei38sd.msrp");
    assert_eq!(f17.head.method(), Some(&Method::REPORT));
    let st = f17.head.headers.typed::<Status>().unwrap().unwrap();
    assert_eq!((st.namespace, st.code), (0, StatusCode::OK));
    assert!(!f17.head.has_body);
}

#[test]
fn relay_vectors() {
    let v = |n: &str| {
        parse_stream(&testkit::vector(&format!("msrp/{n}")), Limits::default())
            .unwrap()
            .remove(0)
    };
    let hop2 = v("rfc4976-s3-send-juh76-relayA-to-relayB.msrp");
    assert_eq!(hop2.head.headers.to_path().unwrap().unwrap().len(), 2);
    assert_eq!(hop2.head.headers.from_path().unwrap().unwrap().len(), 2);
    let ok = v("rfc4976-s5.1-200ok-49fi-use-path-expires.msrp");
    assert_eq!(
        ok.head.headers.typed::<Expires>().unwrap().unwrap(),
        Expires(900)
    );
    let up = msrp::uri::parse_path(ok.head.headers.get_str("Use-Path").unwrap()).unwrap();
    assert_eq!(
        up[0].to_string(),
        "msrps://intra.example.com:9000/jui787s2f;tcp"
    );
    let ws = v("rfc7977-line902-send-juh76.msrp");
    let from = ws.head.headers.from_path().unwrap().unwrap();
    assert!(from[1].is_websocket());
    let nick = v("rfc7701-line1776-nickname-d93kswow.msrp");
    assert_eq!(nick.head.method(), Some(&Method::NICKNAME));
    assert_eq!(
        nick.head.headers.get_str("Use-Nickname"),
        Some("\"Alice the great\"")
    );
    let r425 = v("rfc7701-line1800-425-d93kswow.msrp");
    assert_eq!(r425.head.status(), Some(StatusCode::NICKNAME_IN_USE));
}

/// Feeds the whole corpus as one stream in reads of every size from 1 to
/// 40 bytes; the events must rebuild the same chunks.
#[test]
fn corpus_stream_in_any_read_size() {
    let mut stream = Vec::new();
    for (name, bytes) in all() {
        if !name.contains("NO-END-LINE") {
            stream.extend_from_slice(&bytes);
        }
    }
    let want = parse_stream(&stream, Limits::default()).unwrap();
    for step in 1..=40 {
        let mut p = Parser::new(Limits::default());
        let mut got = Vec::new();
        let mut body = Vec::new();
        let mut head = None;
        for piece in stream.chunks(step) {
            p.push(Bytes::copy_from_slice(piece));
            while let Some(ev) = p.poll().unwrap() {
                match ev {
                    ParseEvent::Head(h) => head = Some(h),
                    ParseEvent::Body(b) => body.extend_from_slice(&b),
                    ParseEvent::End(f) => {
                        got.push((head.take().unwrap(), std::mem::take(&mut body), f))
                    }
                }
            }
        }
        p.finish().unwrap();
        assert_eq!(got.len(), want.len());
        for (g, w) in got.iter().zip(&want) {
            assert_eq!(g.0, w.head, "step {step}");
            assert_eq!(g.1, w.body.as_ref(), "step {step}");
            assert_eq!(g.2, w.flag);
        }
    }
}

#[test]
fn cpim_bodies_of_the_corpus() {
    let mut seen = 0;
    for (name, bytes) in all() {
        if name.contains("NO-END-LINE") {
            continue;
        }
        let c = parse_stream(&bytes, Limits::default()).unwrap().remove(0);
        if c.head.headers.content_type() != Some("message/cpim") {
            continue;
        }
        let starts_message =
            matches!(c.head.headers.typed::<ByteRange>(), Some(Ok(r)) if r.start == 1);
        if !starts_message {
            continue;
        }
        // RFC 7701 section 9.5's first chunk is cut inside the CPIM headers.
        if name.contains("rfc7701-line2047") {
            assert!(msrp::cpim::Cpim::parse(&c.body).is_err());
            continue;
        }
        let cpim = msrp::cpim::Cpim::parse(&c.body).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(cpim.from().is_some_and(|f| f.contains("sip:")), "{name}");
        assert!(cpim.to().is_some_and(|t| t.contains("sip:")), "{name}");
        assert!(cpim.content_type().is_some(), "{name}");
        assert_eq!(cpim.to_bytes(), c.body.as_ref(), "{name}: CPIM round trip");
        seen += 1;
    }
    assert!(seen >= 8, "only {seen} CPIM bodies");
    // RFC 4975 figure 14 puts the MIME headers straight after the CPIM
    // ones, without the blank line RFC 3862 asks for: read as merged.
    let f14 = parse_stream(
        &testkit::vector("msrp/rfc4975-s11.4-fig14-cpim-chunk1-d93kswow-plus.msrp"),
        Limits::default(),
    )
    .unwrap()
    .remove(0);
    let cpim = msrp::cpim::Cpim::parse(&f14.body).unwrap();
    assert!(cpim.mime.is_none());
    assert_eq!(cpim.content_type(), Some("text/plain"));
    assert_eq!(cpim.body.as_ref(), b"ABCD");
    // RFC 5547 section 9.1: folded Content-Disposition kept as written.
    let ft = parse_stream(
        &testkit::vector("msrp/rfc5547-line2124-send-d93kswow.msrp"),
        Limits::default(),
    )
    .unwrap()
    .remove(0);
    let cpim = msrp::cpim::Cpim::parse(&ft.body).unwrap();
    assert_eq!(cpim.content_type(), Some("image/jpeg"));
    assert!(cpim
        .get("Content-Disposition")
        .unwrap()
        .contains("size=1931"));
}

/// Every SEND of the corpus, given to a session that owns its To-Path URI,
/// is acknowledged with 200 (unless it asks for no response) and its body
/// handed out as it is.
#[test]
#[allow(clippy::disallowed_methods)] // one clock reading as the fake clock's origin
fn sessions_take_every_corpus_send() {
    let now = std::time::Instant::now();
    let mut sends = 0;
    for (name, bytes) in all() {
        if !name.contains("-send-") {
            continue;
        }
        let c = parse_stream(&bytes, Limits::default()).unwrap().remove(0);
        let to = c.head.headers.to_path().unwrap().unwrap();
        let from = c.head.headers.from_path().unwrap().unwrap();
        let mut cfg = msrp::SessionConfig::new(to[0].clone(), from.clone());
        // The corpus chunks are fed without a connection: no TLS peer to
        // check (an `msrps:` From-Path would otherwise ask for one).
        cfg.peer_certificate = msrp::PeerCertificate::NotChecked;
        let mut s = msrp::Session::new(cfg).unwrap();
        s.handle_input(now, Bytes::from(bytes.clone()));
        let mut data = Vec::new();
        while let Some(e) = s.poll_event() {
            if let msrp::Event::Data { data: d, .. } = e {
                data.extend_from_slice(&d);
            }
        }
        assert_eq!(data, c.body.as_ref(), "{name}");
        let out: Vec<u8> = std::iter::from_fn(|| s.poll_transmit(now))
            .flat_map(|t| t.to_vec())
            .collect();
        let resp = parse_stream(&out, Limits::default()).unwrap();
        let no_response = c
            .head
            .headers
            .typed::<FailureReport>()
            .is_some_and(|f| f.unwrap().0 != ReportMode::Yes);
        if no_response {
            assert!(resp.is_empty(), "{name}");
        } else {
            assert_eq!(resp[0].head.status(), Some(StatusCode::OK), "{name}");
            assert_eq!(resp[0].head.tid, c.head.tid);
            assert_eq!(
                resp[0].head.headers.get_str("To-Path"),
                Some(from[0].to_string().as_str()),
                "{name}"
            );
        }
        sends += 1;
    }
    assert!(sends >= 25, "{sends}");
}
