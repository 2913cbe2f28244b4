//! Property tests of the other parsers (URI, SDP, CPIM) and of the session
//! as a whole: round trips, arbitrary bytes never panic, and any message
//! split into any chunk size and fed in any read sizes, with chunks
//! delivered out of order and duplicated, reassembles to the same bytes.
#![allow(clippy::disallowed_methods)] // one clock reading as the fake clock's origin

use bytes::Bytes;
use msrp::cpim::Cpim;
use msrp::sdp::Sdp;
use msrp::{parse_stream, Event, Limits, MessageSpec, MsrpUri, Session, SessionConfig};
use proptest::prelude::*;
use std::time::Instant;

fn uri_strategy() -> impl Strategy<Value = String> {
    (
        prop_oneof![Just("msrp"), Just("msrps"), Just("MSRP")],
        proptest::option::of("[a-z]{1,6}"),
        prop_oneof![
            "[a-z0-9.-]{1,20}".prop_map(|s| format!("h{s}")),
            Just("[2001:db8::1]".to_owned())
        ],
        proptest::option::of(1u16..),
        proptest::option::of("[A-Za-z0-9+=/._~-]{1,16}"),
        prop_oneof![Just("tcp"), Just("ws"), Just("wss"), Just("TCP")],
        prop::collection::vec(("[a-z]{1,5}", proptest::option::of("[a-z0-9]{1,5}")), 0..3),
    )
        .prop_map(|(scheme, user, host, port, sid, transport, params)| {
            let mut s = format!("{scheme}://");
            if let Some(u) = user {
                s.push_str(&format!("{u}@"));
            }
            s.push_str(&host);
            if let Some(p) = port {
                s.push_str(&format!(":{p}"));
            }
            if let Some(sid) = sid {
                s.push_str(&format!("/{sid}"));
            }
            s.push(';');
            s.push_str(transport);
            for (n, v) in params {
                match v {
                    Some(v) => s.push_str(&format!(";{n}={v}")),
                    None => s.push_str(&format!(";{n}")),
                }
            }
            s
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn uris_round_trip(s in uri_strategy()) {
        let u = MsrpUri::parse(&s).unwrap();
        prop_assert_eq!(u.to_string(), s.clone());
        prop_assert!(u.matches(&MsrpUri::parse(&s.to_uppercase().replace("MSRP", "msrp")).unwrap_or(u.clone())) || s.contains('/'));
        prop_assert!(u.matches(&u));
    }

    #[test]
    fn uri_arbitrary_text_never_panics(s in "\\PC{0,80}") {
        if let Ok(u) = MsrpUri::parse(&s) {
            prop_assert_eq!(MsrpUri::parse(&u.to_string()).unwrap(), u);
        }
    }

    #[test]
    fn sdp_round_trips(lines in prop::collection::vec(("[a-z]", "[ -~]{0,40}"), 0..20)) {
        let mut text = String::from("v=0\r\n");
        for (k, v) in &lines {
            text.push_str(&format!("{k}={v}\r\n"));
        }
        let sdp = Sdp::parse(text.as_bytes()).unwrap();
        prop_assert_eq!(sdp.to_bytes(), text.as_bytes());
        if let Some(m) = sdp.msrp_media() {
            let _ = (m.path(), m.file_selector(), m.file_date(), m.file_range(), m.max_size());
        }
    }

    #[test]
    fn sdp_arbitrary_bytes_never_panic(b in prop::collection::vec(any::<u8>(), 0..300)) {
        if let Ok(s) = Sdp::parse(&b) {
            prop_assert_eq!(Sdp::parse(&s.to_bytes()).unwrap(), s);
        }
    }

    #[test]
    fn cpim_round_trips(
        headers in prop::collection::vec((proptest::option::of("[a-z]{1,4}"), "[A-Za-z-]{1,10}", "[ -~]{0,30}"), 0..8),
        mime in prop::collection::vec(("Content-[A-Za-z]{1,8}", "[ -~]{0,30}"), 1..4),
        body in prop::collection::vec(any::<u8>(), 0..100),
    ) {
        let mut text = Vec::new();
        for (p, n, v) in &headers {
            if n.eq_ignore_ascii_case("content-type") { continue; }
            if let Some(p) = p { text.extend_from_slice(format!("{p}.").as_bytes()); }
            text.extend_from_slice(format!("{n}: {v}\r\n").as_bytes());
        }
        text.extend_from_slice(b"\r\n");
        for (n, v) in &mime {
            text.extend_from_slice(format!("{n}: {v}\r\n").as_bytes());
        }
        text.extend_from_slice(b"\r\n");
        text.extend_from_slice(&body);
        let c = Cpim::parse(&text).unwrap();
        prop_assert_eq!(c.to_bytes(), text);
        prop_assert_eq!(c.body.as_ref(), &body[..]);
    }

    #[test]
    fn cpim_arbitrary_bytes_never_panic(b in prop::collection::vec(any::<u8>(), 0..300)) {
        if let Ok(c) = Cpim::parse(&b) {
            prop_assert_eq!(Cpim::parse(&c.to_bytes()).unwrap(), c);
        }
    }

    #[test]
    fn session_arbitrary_bytes_never_panic(b in prop::collection::vec(any::<u8>(), 0..400)) {
        let me = MsrpUri::parse("msrp://b.example:1/s;tcp").unwrap();
        let mut s = Session::new(SessionConfig::new(me, vec![])).unwrap();
        let now = Instant::now();
        s.handle_input(now, Bytes::from(b));
        while s.poll_event().is_some() {}
        while let Some(t) = s.poll_transmit(now) {
            prop_assert!(parse_stream(&t.to_vec(), Limits::default()).is_ok());
        }
    }

    /// Any message, any chunk size, any read sizes, chunks shuffled and
    /// some repeated: the receiver hands out each byte exactly once and the
    /// message reassembles.
    #[test]
    fn reassembly_is_invariant(
        body in prop::collection::vec(any::<u8>(), 0..3000),
        chunk in 1usize..700,
        reads in prop::collection::vec(1usize..200, 1..6),
        order_seed in any::<u64>(),
        dups in prop::collection::vec(any::<prop::sample::Index>(), 0..3),
    ) {
        let a_uri = MsrpUri::parse("msrp://a.example:1/x;tcp").unwrap();
        let b_uri = MsrpUri::parse("msrp://b.example:2/y;tcp").unwrap();
        let mut ca = SessionConfig::new(a_uri.clone(), vec![b_uri.clone()]);
        ca.chunk_size = chunk;
        let mut a = Session::new(ca).unwrap();
        let mut cb = SessionConfig::new(b_uri, vec![a_uri]);
        // A shuffle of n chunks can leave n/2 gaps; the default cap (256)
        // is tested apart.
        cb.max_ranges = 4096;
        let mut b = Session::new(cb).unwrap();
        let now = Instant::now();
        let id = a.send_message(MessageSpec::new("application/octet-stream"), Bytes::from(body.clone())).unwrap();
        let mut chunks: Vec<Vec<u8>> = std::iter::from_fn(|| a.poll_transmit(now)).map(|t| t.to_vec()).collect();
        prop_assert_eq!(chunks.len(), body.len().div_ceil(chunk).max(1));
        // Shuffle (Fisher-Yates on a seeded generator) and repeat some.
        let mut x = order_seed | 1;
        for i in (1..chunks.len()).rev() {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17;
            chunks.swap(i, (x % (i as u64 + 1)) as usize);
        }
        for d in &dups {
            let c = chunks[d.index(chunks.len())].clone();
            chunks.push(c);
        }
        let stream: Vec<u8> = chunks.concat();
        let mut at = 0;
        let mut k = 0;
        while at < stream.len() {
            let n = reads[k % reads.len()];
            k += 1;
            let end = (at + n).min(stream.len());
            b.handle_input(now, Bytes::copy_from_slice(&stream[at..end]));
            at = end;
        }
        let mut got = vec![None::<u8>; body.len()];
        let mut complete = 0;
        while let Some(e) = b.poll_event() {
            match e {
                Event::Data { message_id, offset, data } => {
                    prop_assert_eq!(&message_id, &id);
                    for (i, byte) in data.iter().enumerate() {
                        let slot = &mut got[offset as usize + i];
                        prop_assert!(slot.is_none(), "byte {} handed out twice", offset as usize + i);
                        *slot = Some(*byte);
                    }
                }
                Event::MessageComplete { total, .. } => {
                    prop_assert_eq!(total, body.len() as u64);
                    complete += 1;
                }
                _ => {}
            }
        }
        prop_assert_eq!(complete, 1);
        let got: Vec<u8> = got.into_iter().map(|b| b.unwrap()).collect();
        prop_assert_eq!(got, body);
    }
}
