//! Property tests: generated valid messages round-trip and keep their
//! values; arbitrary bytes never panic the datagram parser, the stream
//! framer (at random split points), the URI parser or the typed headers.

use proptest::prelude::*;
use sip_core::header::*;
use sip_core::multipart::{Multipart, MultipartBuilder, Part};
use sip_core::{HeaderName, Headers, Limits, Message, Method, StreamEvent, StreamFramer, Uri};

fn token() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9][a-zA-Z0-9.!%*_+`'~-]{0,12}"
}

fn host() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z][a-z0-9-]{0,8}(\\.[a-z][a-z0-9]{0,6}){0,2}",
        (0u8..=255, 0u8..=255, 0u8..=255, 1u8..=254)
            .prop_map(|(a, b, c, d)| format!("{a}.{b}.{c}.{d}")),
        Just("[2001:db8::10]".to_string()),
    ]
}

fn sip_uri() -> impl Strategy<Value = String> {
    (
        any::<bool>(),
        proptest::option::of("[a-zA-Z0-9._~-]{1,10}(%[0-9A-F]{2})?"),
        host(),
        proptest::option::of(1u16..65535),
        proptest::collection::vec(("[a-z]{1,6}", proptest::option::of("[a-z0-9]{1,6}")), 0..3),
    )
        .prop_map(|(secure, user, host, port, params)| {
            let mut s = String::from(if secure { "sips:" } else { "sip:" });
            if let Some(u) = user {
                s.push_str(&u);
                s.push('@');
            }
            s.push_str(&host);
            if let Some(p) = port {
                s.push_str(&format!(":{p}"));
            }
            for (n, v) in params {
                s.push(';');
                s.push_str(&n);
                if let Some(v) = v {
                    s.push('=');
                    s.push_str(&v);
                }
            }
            s
        })
}

fn display() -> impl Strategy<Value = Option<String>> {
    proptest::option::of("[a-zA-Z \"\\\\,;<>]{0,12}")
        .prop_map(|d| d.map(|d| format!("\"{}\" ", d.replace('\\', "\\\\").replace('"', "\\\""))))
}

/// A generated message with the values it should parse to.
#[derive(Debug, Clone)]
struct Generated {
    bytes: Vec<u8>,
    method: String,
    seq: u32,
    call_id: String,
    tag: String,
    branch: String,
    ext: (String, String),
    body: Vec<u8>,
    vias: usize,
}

fn message() -> impl Strategy<Value = Generated> {
    (
        prop_oneof![
            Just("INVITE".to_string()),
            Just("SUBSCRIBE".to_string()),
            Just("NOTIFY".to_string()),
            Just("PUBLISH".to_string()),
            Just("MESSAGE".to_string()),
            "[A-Z]{3,10}",
        ],
        sip_uri(),
        (sip_uri(), display(), sip_uri(), display()),
        (
            any::<u32>(),
            "[a-zA-Z0-9]{1,16}(@[a-z0-9.]{1,10})?",
            token(),
            "[a-zA-Z0-9]{1,12}",
        ),
        (1usize..4, any::<bool>(), any::<bool>(), 0u8..=255),
        ("X-[A-Za-z]{1,8}", "[!-~]([ -~]{0,20}[!-~])?"),
        proptest::collection::vec(any::<u8>(), 0..64),
        any::<bool>(),
    )
        .prop_map(
            |(
                method,
                ruri,
                (from, fd, to, td),
                (seq, call_id, tag, branch),
                (vias, compact, fold, mf),
                ext,
                body,
                resp,
            )| {
                let mut h = String::new();
                let n = |full: &str, c: &str| {
                    if compact {
                        c.to_string()
                    } else {
                        full.to_string()
                    }
                };
                for i in 0..vias {
                    let sep = if fold { "\r\n " } else { " " };
                    h.push_str(&format!(
                        "{}: SIP/2.0/UDP{sep}host{i}.example.com;branch=z9hG4bK{branch}{i}\r\n",
                        n("Via", "v")
                    ));
                }
                h.push_str(&format!("Max-Forwards: {mf}\r\n"));
                h.push_str(&format!(
                    "{}: {}<{from}>;tag={tag}\r\n",
                    n("From", "f"),
                    fd.unwrap_or_default()
                ));
                h.push_str(&format!(
                    "{}: {}<{to}>\r\n",
                    n("To", "t"),
                    td.unwrap_or_default()
                ));
                h.push_str(&format!("{}: {call_id}\r\n", n("Call-ID", "i")));
                h.push_str(&format!("CSeq: {seq} {method}\r\n"));
                h.push_str(&format!("{}: {}\r\n", ext.0, ext.1));
                h.push_str(&format!(
                    "{}: {}\r\n\r\n",
                    n("Content-Length", "l"),
                    body.len()
                ));
                let start = if resp {
                    "SIP/2.0 200 OK\r\n".to_string()
                } else {
                    format!("{method} {ruri} SIP/2.0\r\n")
                };
                let mut bytes = start.into_bytes();
                bytes.extend_from_slice(h.as_bytes());
                bytes.extend_from_slice(&body);
                Generated {
                    bytes,
                    method,
                    seq,
                    call_id,
                    tag,
                    branch,
                    ext,
                    body,
                    vias,
                }
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn generated_messages_parse_and_round_trip(g in message()) {
        let m = Message::parse_datagram(g.bytes.clone(), &Limits::default()).unwrap();
        prop_assert_eq!(m.validate(), Ok(()));
        let cseq: CSeq = m.headers().typed().unwrap().unwrap();
        prop_assert_eq!(cseq.seq, g.seq);
        prop_assert_eq!(cseq.method.as_bytes(), g.method.as_bytes());
        prop_assert_eq!(&m.call_id().unwrap().0[..], g.call_id.as_bytes());
        let from = m.from_header().unwrap();
        prop_assert_eq!(from.tag(), Some(g.tag.as_bytes()));
        let vias: Vec<Via> = m.headers().typed_all().unwrap();
        prop_assert_eq!(vias.len(), g.vias);
        let branch = format!("z9hG4bK{}0", g.branch);
        prop_assert_eq!(vias[0].branch().unwrap(), branch.as_bytes());
        let ext = HeaderName::new(&g.ext.0).unwrap();
        prop_assert_eq!(&m.headers().get(&ext).unwrap()[..], g.ext.1.as_bytes());
        prop_assert_eq!(&m.body()[..], &g.body[..]);
        // serialize(parse(x)) reparses equal
        let again = Message::parse_datagram(m.to_bytes(), &Limits::default()).unwrap();
        prop_assert_eq!(&again, &m);
        // the canonical form is a fixed point and keeps the values
        let canon = m.to_canonical();
        let c = Message::parse_datagram(canon.clone(), &Limits::default()).unwrap();
        prop_assert_eq!(c.to_canonical(), canon);
        prop_assert_eq!(c.cseq(), m.cseq());
        prop_assert_eq!(c.headers().typed_all::<Via>().unwrap(), vias);
        prop_assert_eq!(c.body(), m.body());
    }

    #[test]
    fn stream_framing_matches_datagrams(gs in proptest::collection::vec(message(), 1..4), cuts in proptest::collection::vec(1usize..40, 1..20)) {
        let mut stream = Vec::new();
        for g in &gs {
            stream.extend_from_slice(&g.bytes);
            stream.extend_from_slice(b"\r\n\r\n");
        }
        let mut f = StreamFramer::new(Limits::default());
        let mut got = Vec::new();
        let mut pos = 0;
        let mut i = 0;
        while pos < stream.len() {
            let n = cuts[i % cuts.len()].min(stream.len() - pos);
            f.handle_input(&stream[pos..pos + n]);
            pos += n;
            i += 1;
            while let Some(ev) = f.poll_event().unwrap() {
                got.push(ev);
            }
        }
        let msgs: Vec<Message> = got.into_iter().filter_map(|e| match e {
            StreamEvent::Message(m) => Some(m),
            _ => None,
        }).collect();
        prop_assert_eq!(msgs.len(), gs.len());
        for (m, g) in msgs.iter().zip(&gs) {
            let d = Message::parse_datagram(g.bytes.clone(), &Limits::default()).unwrap();
            prop_assert_eq!(m, &d);
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..512)) {
        if let Ok(m) = Message::parse_datagram(data.clone(), &Limits::default()) {
            let _ = m.validate();
            let _ = m.to_canonical();
            let again = Message::parse_datagram(m.to_bytes(), &Limits::default()).unwrap();
            prop_assert_eq!(again, m);
        }
        let mut f = StreamFramer::new(Limits::default());
        for chunk in data.chunks(7) {
            f.handle_input(chunk);
            while let Ok(Some(_)) = f.poll_event() {}
        }
    }

    #[test]
    fn mutated_messages_never_panic(g in message(), at in any::<prop::sample::Index>(), byte in any::<u8>(), cut in any::<prop::sample::Index>()) {
        let mut b = g.bytes.clone();
        let i = at.index(b.len());
        b[i] = byte;
        b.truncate(cut.index(b.len() + 1).max(i));
        if let Ok(m) = Message::parse_datagram(b, &Limits::default()) {
            let _ = m.validate();
            for (name, _) in m.headers().iter() {
                let _ = name.to_string();
            }
            let _ = m.headers().typed_all::<Via>();
            let _ = m.headers().typed_all::<Contact>();
            let again = Message::parse_datagram(m.to_bytes(), &Limits::default()).unwrap();
            prop_assert_eq!(again, m);
        }
    }

    #[test]
    fn uris_round_trip(s in sip_uri()) {
        let u = Uri::parse_str(&s).unwrap();
        prop_assert_eq!(u.to_string(), s.clone());
        prop_assert!(u.equivalent(&Uri::parse_str(&s).unwrap()));
    }

    #[test]
    fn arbitrary_uri_and_header_text_never_panics(s in "[ -~]{0,40}") {
        let b = bytes::Bytes::from(s.clone());
        if let Ok(u) = Uri::parse(&b) {
            let again = Uri::parse(&bytes::Bytes::from(u.to_string())).unwrap();
            prop_assert!(again.equivalent(&u) || matches!(u, Uri::Other(_)));
        }
        let _ = Via::decode(&b);
        let _ = Contact::decode(&b);
        let _ = From::decode(&b);
        let _ = CSeq::decode(&b);
        let _ = ContentType::decode(&b);
        let _ = SubscriptionState::decode(&b);
        let _ = Authorization::decode(&b);
        let _ = Date::decode(&b);
        let _ = RetryAfter::decode(&b);
    }

    #[test]
    fn arbitrary_multipart_bodies_never_panic(boundary in "[a-zA-Z0-9'()+_,./:=? -]{0,72}", body in proptest::collection::vec(prop_oneof![Just(b'-'), Just(b'\r'), Just(b'\n'), Just(b'b'), Just(b':'), any::<u8>()], 0..200)) {
        let t = MediaType::new("multipart", "mixed").unwrap();
        if let Some(t) = t.with_param("boundary", &boundary) {
            let b = bytes::Bytes::from(body);
            if let Ok(m) = Multipart::parse(&t, &b, &Limits::default()) {
                let again = Multipart::parse(&t, &m.to_bytes(), &Limits::default()).unwrap();
                prop_assert_eq!(again.parts().len(), m.parts().len());
            }
        }
    }

    #[test]
    fn multipart_round_trips(parts in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..80), 1..5)) {
        let t = MediaType::new("application", "octet-stream").unwrap();
        let mut b = MultipartBuilder::mixed();
        for (i, p) in parts.iter().enumerate() {
            b = b.part(Part::new(&t, p.clone()).with_content_id(&ContentId::new(&format!("p{i}@x")).unwrap()));
        }
        let (ct, body) = b.build();
        let m = Multipart::parse(&ct.0, &body, &Limits::default()).unwrap();
        prop_assert_eq!(m.parts().len(), parts.len());
        for (got, want) in m.parts().iter().zip(&parts) {
            prop_assert_eq!(&got.body[..], &want[..]);
        }
        prop_assert_eq!(m.to_bytes(), body);
    }
}

#[test]
fn methods_in_the_issue_are_known() {
    for (m, t) in [
        (Method::SUBSCRIBE, "SUBSCRIBE"),
        (Method::NOTIFY, "NOTIFY"),
        (Method::PUBLISH, "PUBLISH"),
        (Method::MESSAGE, "MESSAGE"),
        (Method::REFER, "REFER"),
        (Method::OPTIONS, "OPTIONS"),
        (Method::INFO, "INFO"),
        (Method::UPDATE, "UPDATE"),
        (Method::PRACK, "PRACK"),
    ] {
        assert_eq!(Method::from_bytes(t.as_bytes()), Some(m));
    }
}

proptest! {
    /// A proxy's Via handling: popping the top Via of a response, however
    /// its Vias are spread over lines (one value a line, several, with a
    /// quoted comma), takes exactly the first value and keeps the rest in
    /// order; popping them all leaves no Via and the other headers as they
    /// were.
    #[test]
    fn pop_via_takes_the_vias_in_order(
        lines in proptest::collection::vec(
            proptest::collection::vec((host(), token(), any::<bool>()), 1..4),
            1..4,
        ),
    ) {
        let mut all = Vec::new();
        let mut head = String::from("SIP/2.0 200 OK\r\nCSeq: 1 MESSAGE\r\n");
        for line in &lines {
            let values: Vec<String> = line
                .iter()
                .map(|(h, b, quoted)| {
                    let extra = if *quoted { ";x=\"a, b\"" } else { "" };
                    format!("SIP/2.0/UDP {h};branch=z9hG4bK{b}{extra}")
                })
                .collect();
            head.push_str(&format!("Via: {}\r\n", values.join(" , ")));
            all.extend(values);
        }
        head.push_str("Call-ID: x\r\n\r\n");
        let Message::Response(mut r) =
            Message::parse_datagram(head.into_bytes(), &Limits::default()).unwrap()
        else {
            panic!("a response")
        };
        for expected in &all {
            let got = r.pop_via().expect("a Via left");
            prop_assert_eq!(&got[..], expected.as_bytes());
        }
        prop_assert!(r.pop_via().is_none());
        prop_assert_eq!(
            &r.to_bytes()[..],
            &b"SIP/2.0 200 OK\r\nCSeq: 1 MESSAGE\r\nCall-ID: x\r\n\r\n"[..]
        );
    }
}

/// A header value of the kinds the typed proxy headers read: a valid
/// address, Via or CSeq, or printable junk close to them.
fn header_value() -> impl Strategy<Value = String> {
    prop_oneof![
        (display(), sip_uri(), proptest::option::of(token())).prop_map(|(d, u, tag)| {
            let tag = tag.map(|t| format!(";tag={t}")).unwrap_or_default();
            match d {
                Some(d) => format!("{d}<{u}>{tag}"),
                None => format!("{u}{tag}"),
            }
        }),
        (host(), token()).prop_map(|(h, b)| format!("SIP/2.0/UDP {h};branch=z9hG4bK{b};rport")),
        (any::<u32>(), token()).prop_map(|(n, m)| format!("{n} {m}")),
        (0u32..300).prop_map(|n| n.to_string()),
        "[ -~]{0,40}",
    ]
}

/// Decodes `H` from a parsed message, where the value lies in the
/// message's buffer, and from headers built with the same value as their
/// own `Bytes`: the two must agree, errors (and their offsets) included.
fn in_place_equals_alone<H>(m: &Message, value: &str) -> Result<(), TestCaseError>
where
    H: TypedHeader + PartialEq + std::fmt::Debug,
{
    let mut built = Headers::new();
    built.push(H::NAME, value.to_string());
    prop_assert_eq!(
        m.headers().typed::<H>(),
        built.typed::<H>(),
        "value {:?}",
        value
    );
    if !H::LIST {
        let alone = H::decode(&bytes::Bytes::from(value.to_string()));
        prop_assert_eq!(
            m.headers().typed::<H>(),
            alone.map(Some),
            "value {:?}",
            value
        );
    }
    Ok(())
}

proptest! {
    /// `Headers::typed` decodes a parsed message's values where they lie
    /// in its buffer (`TypedHeader::decode_in`); that must give what the
    /// value alone gives, for every header that decodes in place.
    #[test]
    fn typed_reads_in_the_buffer_equal_reads_of_the_value_alone(
        value in header_value(),
        lead in "[ \t]{0,2}",
    ) {
        prop_assume!(!value.contains(['\r', '\n']));
        for name in ["From", "To", "Contact", "Route", "Record-Route", "Via", "CSeq", "Call-ID", "Max-Forwards", "Expires"] {
            let text = format!(
                "OPTIONS sip:a@b SIP/2.0\r\nX-Before: 1\r\n{name}:{lead}{value}\r\nContent-Length: 0\r\n\r\n"
            );
            let Ok(m) = Message::parse_datagram(text.into_bytes(), &Limits::default()) else {
                continue;
            };
            let v = value.trim_matches([' ', '\t']);
            match name {
                "From" => in_place_equals_alone::<From>(&m, v)?,
                "To" => in_place_equals_alone::<To>(&m, v)?,
                "Contact" => in_place_equals_alone::<Contact>(&m, v)?,
                "Route" => in_place_equals_alone::<Route>(&m, v)?,
                "Record-Route" => in_place_equals_alone::<RecordRoute>(&m, v)?,
                "Via" => in_place_equals_alone::<Via>(&m, v)?,
                "CSeq" => in_place_equals_alone::<CSeq>(&m, v)?,
                "Max-Forwards" => in_place_equals_alone::<MaxForwards>(&m, v)?,
                "Expires" => in_place_equals_alone::<Expires>(&m, v)?,
                _ => in_place_equals_alone::<CallId>(&m, v)?,
            }
        }
    }
}
