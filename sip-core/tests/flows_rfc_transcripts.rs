//! Transcript tests: the message flows of RFC 3856 section 8 ("Example
//! Message Flow", F1-F6) and RFC 3903 section 15 (M1-M14) replayed through
//! the machines, endpoints and in-memory network. The order of messages,
//! who sends them, and the headers the RFCs show are checked; branches,
//! tags and CSeq numbers other than their relations are ours.

mod flows_support;

use flows_support::{uri, World};
use sip_core::endpoint::{Event, Peer, TransactionId};
use sip_core::header::{ContentType, MediaType};
use sip_core::publication::{Compositor, CompositorConfig, PublicationEvent, Publisher};
use sip_core::subscription::{
    Notifier, NotifierState, NotifyOutcome, Subscriber, SubscriptionConfig,
};
use sip_core::{HeaderName, Limits, Message, Method, Request, Response, StatusCode};
use std::cell::RefCell;
use std::collections::HashSet;
use std::time::Duration;
use testkit::net::NetConfig;

fn pidf() -> Option<ContentType> {
    Some(ContentType(
        MediaType::new("application", "pidf+xml").unwrap(),
    ))
}

fn parse_request(text: &str) -> Request {
    let m = Message::parse_datagram(text.replace('\n', "\r\n").into_bytes(), &Limits::default())
        .unwrap();
    m.as_request().unwrap().clone()
}

/// One line per datagram: "from>to first-line".
fn transcript(w: &World) -> Vec<String> {
    let names = ["W", "S", "P"];
    let idx = |a| w.nodes.iter().position(|n| n.addr == a).unwrap();
    w.net
        .log()
        .iter()
        .map(|(_, d)| {
            let text = String::from_utf8_lossy(&d.data);
            let line = text.lines().next().unwrap_or_default();
            let line = line.strip_suffix(" SIP/2.0").unwrap_or(line);
            let cseq = text
                .lines()
                .find_map(|l| l.strip_prefix("CSeq: "))
                .map(|c| c.split(' ').nth(1).unwrap_or_default().to_owned())
                .unwrap_or_default();
            let head = if line.starts_with("SIP/2.0") {
                let code = line.split(' ').nth(1).unwrap_or_default();
                format!("{code} {cseq}")
            } else {
                line.split(' ').next().unwrap_or_default().to_owned()
            };
            format!("{}>{} {}", names[idx(d.from)], names[idx(d.to)], head)
        })
        .collect()
}

fn wire(w: &World, n: usize) -> Message {
    let (_, d) = &w.net.log()[n];
    Message::parse_datagram(d.data.clone(), &Limits::default()).unwrap()
}

fn header(m: &Message, name: HeaderName) -> String {
    m.headers()
        .get(&name)
        .map(|v| String::from_utf8_lossy(v).into_owned())
        .unwrap_or_default()
}

const F1: &str = "SUBSCRIBE sip:resource@example.com SIP/2.0
To: <sip:resource@example.com>
From: <sip:user@example.com>;tag=xfg9
Call-ID: 2010@watcherhost.example.com
CSeq: 17766 SUBSCRIBE
Max-Forwards: 70
Event: presence
Accept: application/pidf+xml
Contact: <sip:user@watcherhost.example.com>
Expires: 600
Content-Length: 0

";

#[test]
fn rfc3856_section8_presence_server_flow() {
    let mut w = World::new(2, NetConfig::default(), 90);
    let cfg = SubscriptionConfig::default();
    let f1 = parse_request(F1);
    let now = w.now();
    let mut sub = Subscriber::new(now, f1.clone(), cfg).unwrap();
    let server = w.peer(1);
    let sub_tx = w.ep(0).send_request(now, f1, server).unwrap();
    let notifier: RefCell<Option<Notifier>> = RefCell::new(None);
    let mut notify_tx: HashSet<TransactionId> = HashSet::new();
    let mut tu = |i: usize, now, ep: &mut sip_core::endpoint::Endpoint, ev: &Event| match (i, ev) {
        (
            1,
            Event::Request {
                transaction,
                request,
                ..
            },
        ) => {
            // F2: the server accepts (the watcher is authorized) and F3
            // follows at once.
            assert_eq!(Notifier::check(request, &["presence"], &cfg), Ok(600));
            let mut ok = Response::from_request(request, StatusCode::OK);
            ok.set_to_tag("ffd2");
            ok.headers_mut()
                .push(HeaderName::CONTACT, "sip:server.example.com");
            let mut n =
                Notifier::accept(now, request, &mut ok, NotifierState::Active, &cfg).unwrap();
            ep.send_response(now, *transaction, &ok).unwrap();
            n.set_body(pidf(), "[PIDF Document]".into());
            let f3 = n.initial_notify(now).unwrap();
            notify_tx.insert(
                ep.send_request(now, f3, Peer::udp("192.0.2.1:5060".parse().unwrap()))
                    .unwrap(),
            );
            *notifier.borrow_mut() = Some(n);
        }
        (
            0,
            Event::Response {
                transaction,
                response,
            },
        ) if *transaction == sub_tx => {
            assert!(sub.handle_response(now, response).is_none());
        }
        (
            0,
            Event::Request {
                transaction,
                request,
                ..
            },
        ) => match sub.handle_notify(now, request) {
            NotifyOutcome::Accepted { response, .. } => {
                ep.send_response(now, *transaction, &response).unwrap()
            }
            other => panic!("{other:?}"),
        },
        _ => {}
    };
    w.run_for(Duration::from_secs(56), &mut tu);
    // "Update presence" by non-SIP means: F5.
    let now = w.now();
    let f5 = notifier
        .borrow_mut()
        .as_mut()
        .unwrap()
        .update(now, pidf(), "[New PIDF Document]".into())
        .unwrap();
    let server_ep = w.ep(1);
    server_ep
        .send_request(now, f5, Peer::udp("192.0.2.1:5060".parse().unwrap()))
        .unwrap();
    w.run_for(Duration::from_secs(1), &mut tu);

    assert_eq!(
        transcript(&w),
        [
            "W>S SUBSCRIBE",
            "S>W 100 SUBSCRIBE",
            "S>W 200 SUBSCRIBE",
            "S>W NOTIFY",
            "W>S 200 NOTIFY",
            "S>W NOTIFY",
            "W>S 200 NOTIFY"
        ]
        .iter()
        .filter(|l| !l.contains(" 100 "))
        .map(|s| s.to_string())
        .collect::<Vec<_>>()
    );
    let f2 = wire(&w, 1);
    assert_eq!(header(&f2, HeaderName::EXPIRES), "600");
    assert!(header(&f2, HeaderName::TO).ends_with(";tag=ffd2"));
    let f3 = wire(&w, 2);
    let r3 = f3.as_request().unwrap();
    assert_eq!(
        r3.uri().to_string(),
        "sip:user@watcherhost.example.com",
        "the Contact of F1"
    );
    assert_eq!(
        header(&f3, HeaderName::FROM),
        "<sip:resource@example.com>;tag=ffd2"
    );
    assert_eq!(
        header(&f3, HeaderName::TO),
        "<sip:user@example.com>;tag=xfg9"
    );
    assert_eq!(
        header(&f3, HeaderName::CALL_ID),
        "2010@watcherhost.example.com"
    );
    assert_eq!(header(&f3, HeaderName::EVENT), "presence");
    assert_eq!(
        header(&f3, HeaderName::SUBSCRIPTION_STATE),
        "active;expires=600"
    );
    assert_eq!(header(&f3, HeaderName::CONTACT), "sip:server.example.com");
    assert_eq!(
        header(&f3, HeaderName::CONTENT_TYPE),
        "application/pidf+xml"
    );
    assert_eq!(&f3.body()[..], b"[PIDF Document]");
    let f5 = wire(&w, 4);
    let seq3 = f3.cseq().unwrap().seq;
    assert_eq!(f5.cseq().unwrap().seq, seq3 + 1);
    assert_eq!(
        header(&f5, HeaderName::SUBSCRIPTION_STATE),
        "active;expires=544"
    );
    assert_eq!(&f5.body()[..], b"[New PIDF Document]");
    assert_eq!(sub.dialog().unwrap().remote_seq(), Some(seq3 + 1));
}

const M1: &str = "SUBSCRIBE sip:presentity@example.com SIP/2.0
To: <sip:presentity@example.com>
From: <sip:watcher@example.com>;tag=12341234
Call-ID: 12345678@host.example.com
CSeq: 1 SUBSCRIBE
Max-Forwards: 70
Expires: 3600
Event: presence
Contact: sip:user@host.example.com
Content-Length: 0

";

#[test]
fn rfc3903_section15_publication_flow() {
    // Nodes: 0 watcher, 1 presence agent (ESC + notifier), 2 PUA (EPA).
    let mut w = World::new(3, NetConfig::default(), 91);
    let cfg = SubscriptionConfig::default();
    let watcher = Peer::udp(w.nodes[0].addr);
    let pa = w.peer(1);
    let now = w.now();
    let m1 = parse_request(M1);
    let mut sub = Subscriber::new(now, m1.clone(), cfg).unwrap();
    w.ep(0).send_request(now, m1, pa).unwrap();
    let mut esc = Compositor::new(CompositorConfig {
        max_expires: 1800,
        ..CompositorConfig::default()
    });
    let mut notifier: Option<Notifier> = None;
    let publisher = RefCell::new(Publisher::new(
        &uri("sip:presentity@example.com"),
        "<sip:presentity@example.com>;tag=1234wxyz",
        "81818181@pua.example.com",
        "presence",
        3600,
        Duration::from_millis(500),
    ));
    let pending_publish: RefCell<Option<Request>> = RefCell::new(None);
    let mut tu = |i: usize, now, ep: &mut sip_core::endpoint::Endpoint, ev: &Event| match (i, ev) {
        (
            1,
            Event::Request {
                transaction,
                request,
                ..
            },
        ) if request.method() == &Method::SUBSCRIBE => {
            let mut ok = Response::from_request(request, StatusCode::OK);
            ok.set_to_tag("abcd1234");
            ok.headers_mut()
                .push(HeaderName::CONTACT, "sip:pa.example.com");
            let mut n =
                Notifier::accept(now, request, &mut ok, NotifierState::Active, &cfg).unwrap();
            ep.send_response(now, *transaction, &ok).unwrap();
            n.set_body(pidf(), "[PIDF document]".into());
            ep.send_request(now, n.initial_notify(now).unwrap(), watcher)
                .unwrap();
            notifier = Some(n);
        }
        (
            1,
            Event::Request {
                transaction,
                request,
                ..
            },
        ) => {
            let r = esc.handle_publish(now, request, true);
            ep.send_response(now, *transaction, &r).unwrap();
            while let Some(change) = esc.poll_event() {
                let etag = match &change {
                    PublicationEvent::Created { etag, .. }
                    | PublicationEvent::Modified { etag, .. } => etag.clone(),
                    // M10: a refresh changes nothing for the watchers.
                    _ => continue,
                };
                let doc = esc.get(&etag).unwrap().clone();
                let n = notifier.as_mut().unwrap();
                if let Some(nf) = n.update(now, doc.content_type, doc.body) {
                    ep.send_request(now, nf, watcher).unwrap();
                }
            }
        }
        (
            0,
            Event::Request {
                transaction,
                request,
                ..
            },
        ) => match sub.handle_notify(now, request) {
            NotifyOutcome::Accepted { response, .. } => {
                ep.send_response(now, *transaction, &response).unwrap()
            }
            other => panic!("{other:?}"),
        },
        (0, Event::Response { response, .. }) => {
            sub.handle_response(now, response);
        }
        (2, Event::Response { response, .. }) => {
            *pending_publish.borrow_mut() = publisher.borrow_mut().handle_response(now, response);
        }
        _ => {}
    };
    w.run_for(Duration::from_secs(1), &mut tu);
    // M5.
    let now = w.now();
    let m5 = publisher
        .borrow_mut()
        .publish(now, &pidf().unwrap(), "[Published PIDF document]".into())
        .unwrap();
    w.ep(2).send_request(now, m5, pa).unwrap();
    w.run_for(Duration::from_secs(1), &mut tu);
    assert!(pending_publish.borrow().is_none());
    // M9: the refresh, due 1800 - 32 s later.
    let refresh_at = publisher.borrow().poll_timeout().unwrap();
    // 1800 s granted, refreshed 64*T1 early, counted from M6 (10 ms after M5).
    let m6_at = w
        .net
        .log()
        .iter()
        .rev()
        .find(|(_, d)| {
            d.data.starts_with(b"SIP/2.0 200") && d.data.windows(9).any(|x| x == b" PUBLISH\r")
        })
        .unwrap()
        .0;
    assert_eq!(refresh_at - m6_at, Duration::from_secs(1768));
    w.run_until(refresh_at, &mut tu);
    let now = w.now();
    let m9 = publisher.borrow_mut().handle_timeout(now).unwrap();
    w.ep(2).send_request(now, m9, pa).unwrap();
    w.run_for(Duration::from_secs(1), &mut tu);
    // M11: a modification.
    let now = w.now();
    let m11 = publisher
        .borrow_mut()
        .publish(now, &pidf().unwrap(), "[Published PIDF Document 2]".into())
        .unwrap();
    w.ep(2).send_request(now, m11, pa).unwrap();
    w.run_for(Duration::from_secs(1), &mut tu);

    let t: Vec<String> = transcript(&w)
        .into_iter()
        .filter(|l| !l.contains(" 100 "))
        .collect();
    assert_eq!(
        t,
        [
            "W>S SUBSCRIBE",     // M1
            "S>W 200 SUBSCRIBE", // M2
            "S>W NOTIFY",        // M3
            "W>S 200 NOTIFY",    // M4
            "P>S PUBLISH",       // M5
            "S>P 200 PUBLISH",   // M6
            "S>W NOTIFY",        // M7
            "W>S 200 NOTIFY",    // M8
            "P>S PUBLISH",       // M9
            "S>P 200 PUBLISH",   // M10 (no NOTIFY follows)
            "P>S PUBLISH",       // M11
            "S>P 200 PUBLISH",   // M12
            "S>W NOTIFY",        // M13
            "W>S 200 NOTIFY",    // M14
        ]
    );
    let msgs: Vec<Message> = w
        .net
        .log()
        .iter()
        .map(|(_, d)| Message::parse_datagram(d.data.clone(), &Limits::default()).unwrap())
        .filter(|m| m.as_response().is_none_or(|r| r.status().as_u16() != 100))
        .collect();
    let (m5, m6, m7, m9, m10, m11, m12, m13) = (
        &msgs[4], &msgs[5], &msgs[6], &msgs[8], &msgs[9], &msgs[10], &msgs[11], &msgs[12],
    );
    assert_eq!(header(m5, HeaderName::EXPIRES), "3600");
    assert_eq!(header(m5, HeaderName::EVENT), "presence");
    assert!(m5.headers().get(&HeaderName::SIP_IF_MATCH).is_none());
    assert_eq!(header(m5, HeaderName::CONTENT_TYPE), "application/pidf+xml");
    assert_eq!(
        header(m6, HeaderName::EXPIRES),
        "1800",
        "the ESC chose a shorter interval"
    );
    let etag1 = header(m6, HeaderName::SIP_ETAG);
    assert!(!etag1.is_empty());
    assert_eq!(&m7.body()[..], b"[Published PIDF document]");
    assert_eq!(header(m9, HeaderName::SIP_IF_MATCH), etag1);
    assert!(m9.body().is_empty() && m9.headers().get(&HeaderName::CONTENT_TYPE).is_none());
    let etag2 = header(m10, HeaderName::SIP_ETAG);
    assert_ne!(etag2, etag1);
    assert_eq!(header(m11, HeaderName::SIP_IF_MATCH), etag2);
    assert_eq!(&m11.body()[..], b"[Published PIDF Document 2]");
    let etag3 = header(m12, HeaderName::SIP_ETAG);
    assert!(etag3 != etag2 && etag3 != etag1);
    assert_eq!(&m13.body()[..], b"[Published PIDF Document 2]");
    assert_eq!(m13.cseq().unwrap().seq, m7.cseq().unwrap().seq + 1);
    assert!(header(m13, HeaderName::SUBSCRIPTION_STATE).starts_with("active;expires="));
}
