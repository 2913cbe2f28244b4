//! Property tests: arbitrary datagrams and arbitrary sequences of inputs
//! never panic the endpoint or the subscription and publication machines;
//! under arbitrary loss every client transaction ends exactly once.

mod flows_support;

use flows_support::{request, World};
use proptest::prelude::*;
use sip_core::endpoint::{Endpoint, EndpointConfig, Event, Peer};
use sip_core::publication::{Compositor, CompositorConfig};
use sip_core::subscription::{Subscriber, SubscriptionConfig};
use sip_core::{Limits, Message, Method};
use std::time::Duration;
use testkit::net::{Clock, NetConfig};

const OPTIONS: &str = "OPTIONS sip:bob@biloxi.example.com SIP/2.0\r\n\
Via: SIP/2.0/UDP 192.0.2.9:5060;branch=z9hG4bKabc\r\n\
From: <sip:a@atlanta.example.com>;tag=1\r\nTo: <sip:bob@biloxi.example.com>\r\n\
Call-ID: c1\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n";

fn mutate(base: &[u8], edits: &[(usize, u8)]) -> Vec<u8> {
    let mut v = base.to_vec();
    for &(i, b) in edits {
        if !v.is_empty() {
            let i = i % v.len();
            v[i] = b;
        }
    }
    v
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_datagrams_never_panic(data in proptest::collection::vec(any::<u8>(), 0..600)) {
        let mut clock = Clock::new();
        let mut ep = Endpoint::new(EndpointConfig::for_addr("192.0.2.1:5060".parse().unwrap()));
        let peer = Peer::udp("192.0.2.9:5060".parse().unwrap());
        ep.handle_input(clock.now(), peer, data);
        clock.advance(Duration::from_secs(40));
        ep.handle_timeout(clock.now());
        while ep.poll_transmit().is_some() {}
        while ep.poll_event().is_some() {}
    }

    #[test]
    fn mutated_requests_and_responses_never_panic(
        edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 0..8),
        respond in any::<bool>(),
    ) {
        let clock = Clock::new();
        let now = clock.now();
        let mut ep = Endpoint::new(EndpointConfig::for_addr("192.0.2.1:5060".parse().unwrap()));
        let peer = Peer::udp("192.0.2.9:5060".parse().unwrap());
        let data = mutate(OPTIONS.as_bytes(), &edits);
        ep.handle_input(now, peer, data.clone());
        ep.handle_input(now, peer, data);
        while let Some(ev) = ep.poll_event() {
            if let (true, Event::Request { transaction, request, .. }) = (respond, ev) {
                let r = sip_core::Response::from_request(&request, sip_core::StatusCode::OK);
                let _ = ep.send_response(now, transaction, &r);
            }
        }
        // Mutated responses to a real client transaction.
        let req = request(&mut ep, Method::OPTIONS, "sip:a@atlanta.example.com", "sip:bob@biloxi.example.com", 1);
        ep.send_request(now, req, peer).unwrap();
        let sent = ep.poll_transmit().unwrap().contents;
        if let Ok(Message::Request(r)) = Message::parse_datagram(sent, &Limits::default()) {
            let resp = sip_core::Response::from_request(&r, sip_core::StatusCode::OK).to_bytes();
            ep.handle_input(now, peer, mutate(&resp, &edits));
        }
        while ep.poll_event().is_some() {}
    }

    #[test]
    fn machines_take_arbitrary_messages(edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 0..8)) {
        let now = Clock::new().now();
        let base = OPTIONS.replace("OPTIONS", "SUBSCRIBE").replace("Content-Length: 0", "Event: presence\r\nExpires: 600\r\nContact: <sip:a@192.0.2.9>\r\nContent-Length: 0");
        let Ok(Message::Request(sub_req)) = Message::parse_datagram(base.clone().into_bytes(), &Limits::default()) else {
            panic!("base request parses");
        };
        let mut sub = Subscriber::new(now, sub_req, SubscriptionConfig::default()).unwrap();
        let data = mutate(base.replace("SUBSCRIBE", "NOTIFY").as_bytes(), &edits);
        if let Ok(Message::Request(n)) = Message::parse_datagram(data.clone(), &Limits::default()) {
            let _ = sub.handle_notify(now, &n);
        }
        let _ = sub.handle_timeout(now + Duration::from_secs(3600));
        let mut esc = Compositor::new(CompositorConfig::default());
        if let Ok(Message::Request(p)) = Message::parse_datagram(mutate(base.replace("SUBSCRIBE", "PUBLISH").as_bytes(), &edits), &Limits::default()) {
            let _ = esc.handle_publish(now, &p, true);
        }
        esc.handle_timeout(now + Duration::from_secs(100_000));
    }

    #[test]
    fn notifier_takes_arbitrary_rates_and_times(
        max in "[0-9.]{1,12}",
        min in "[0-9.]{1,12}",
        amr in "[0-9.]{1,12}",
        steps in proptest::collection::vec(0u64..100_000, 1..20),
    ) {
        let t0 = Clock::new().now();
        let text = format!(
            "SUBSCRIBE sip:bob@b.example SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.9;branch=z9hG4bK1\r\n\
From: <sip:a@a.example>;tag=1\r\nTo: <sip:bob@b.example>\r\nCall-ID: c1\r\nCSeq: 1 SUBSCRIBE\r\n\
Event: presence;max-rate={max};min-rate={min};adaptive-min-rate={amr}\r\nExpires: 3600\r\n\
Contact: <sip:a@192.0.2.9>\r\nContent-Length: 0\r\n\r\n"
        );
        let Ok(Message::Request(req)) = Message::parse_datagram(text.into_bytes(), &Limits::default()) else {
            return Ok(());
        };
        let mut ok = sip_core::Response::from_request(&req, sip_core::StatusCode::OK);
        ok.set_to_tag("n");
        ok.headers_mut().push(sip_core::HeaderName::CONTACT, "<sip:bob@192.0.2.2>");
        let cfg = SubscriptionConfig::default();
        let Ok(mut n) = sip_core::subscription::Notifier::accept(t0, &req, &mut ok, sip_core::subscription::NotifierState::Active, &cfg) else {
            return Ok(());
        };
        let _ = n.initial_notify(t0);
        let mut now = t0;
        let mut woken = 0;
        for s in steps {
            now += Duration::from_millis(s);
            let _ = n.update(now, None, bytes::Bytes::from_static(b"x"));
            while let Some(t) = n.poll_timeout() {
                if t > now || woken > 10_000 {
                    break;
                }
                woken += 1;
                let _ = n.handle_timeout(now);
            }
        }
        prop_assert!(woken <= 10_000, "the notifier kept asking to be woken at the same instant");
    }

    #[test]
    fn every_transaction_ends_once_under_any_loss(seed in any::<u64>(), loss in 0.0f64..0.6, dup in 0.0f64..0.3) {
        let cfg = NetConfig { loss, duplicate: dup, min_delay: Duration::from_millis(1), max_delay: Duration::from_millis(300) };
        let mut w = World::new(2, cfg, seed);
        let mut ids = vec![];
        for i in 0..6 {
            let m = if i % 3 == 0 { Method::INVITE } else { Method::OPTIONS };
            let req = request(w.ep(0), m, "sip:a@atlanta.example.com", "sip:bob@biloxi.example.com", i + 1);
            let (now, peer) = (w.now(), w.peer(1));
            ids.push(w.ep(0).send_request(now, req, peer).unwrap());
        }
        // Timer C (180 s) bounds an INVITE whose every final response is lost.
        w.run_for(Duration::from_secs(200), flows_support::answer_all(480));
        for id in ids {
            let ends = flows_support::count(&w.nodes[0].events, |e| match e {
                Event::Response { transaction, response } => *transaction == id && response.status().is_final(),
                Event::Failed { transaction, .. } => *transaction == id,
                _ => false,
            });
            prop_assert_eq!(ends, 1);
        }
        prop_assert_eq!(w.ep(0).transaction_count() + w.ep(1).transaction_count(), 0);
    }
}
