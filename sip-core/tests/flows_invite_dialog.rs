//! An INVITE dialog between two endpoints (RFC 3261 12, 13): 180 and 200
//! with Record-Route and Contact, the ACK of the 2xx built by the dialog and
//! re-sent when the 2xx is retransmitted, a target-refreshing re-INVITE and
//! a BYE; and the Event `id` rule of RFC 6665 on a NOTIFY.

mod flows_support;

use flows_support::{request, World};
use sip_core::dialog::{Dialog, DialogState};
use sip_core::endpoint::{Event, Peer};
use sip_core::subscription::{NotifyOutcome, Subscriber, SubscriptionConfig, SubscriptionError};
use sip_core::{HeaderName, Method, Response, StatusCode};
use std::cell::RefCell;
use std::time::Duration;
use testkit::net::{Fault, NetConfig};

const ALICE: &str = "sip:alice@atlanta.example.com";
const BOB: &str = "sip:bob@biloxi.example.com";

#[test]
fn invite_dialog_ack_reinvite_bye() {
    let mut w = World::new(2, NetConfig::default(), 95);
    // The first ACK is lost: Bob's endpoint retransmits the 200, Alice's
    // TU sees it again (Accepted state) and re-sends the same ACK.
    w.net.fault_next(b"ACK sip:", Fault::Drop);
    let mut invite = request(w.ep(0), Method::INVITE, ALICE, BOB, 1);
    invite
        .headers_mut()
        .push(HeaderName::CONTACT, "<sip:alice@192.0.2.1:5060>");
    let (now, bob) = (w.now(), w.peer(1));
    let alice = Peer::udp(w.nodes[0].addr);
    let inv_tx = w.ep(0).send_request(now, invite.clone(), bob).unwrap();
    let uac: RefCell<Option<Dialog>> = RefCell::new(None);
    let uas: RefCell<Option<Dialog>> = RefCell::new(None);
    let ack_bytes: RefCell<Option<bytes::Bytes>> = RefCell::new(None);
    let acks_seen = RefCell::new(0);
    let mut tu = |i: usize, now, ep: &mut sip_core::endpoint::Endpoint, ev: &Event| match (i, ev) {
        (
            1,
            Event::Request {
                transaction,
                request,
                ..
            },
        ) if request.method() == &Method::INVITE => {
            let mut d = uas.borrow_mut();
            if let Some(d) = d.as_mut() {
                // re-INVITE: in-dialog, target refresh.
                d.handle_request(request).unwrap();
                let mut ok = Response::from_request(request, StatusCode::OK);
                ok.headers_mut()
                    .push(HeaderName::CONTACT, "<sip:bob@192.0.2.2:5060>");
                ep.send_response(now, *transaction, &ok).unwrap();
                return;
            }
            let mut ringing = Response::from_request(request, StatusCode::new(180).unwrap());
            ringing.set_to_tag("bob1");
            ringing
                .headers_mut()
                .push(HeaderName::RECORD_ROUTE, "<sip:p1.example.com;lr>");
            ringing
                .headers_mut()
                .push(HeaderName::CONTACT, "<sip:bob@192.0.2.2:5060>");
            ep.send_response(now, *transaction, &ringing).unwrap();
            // The 200 carries the same tag, Record-Route and Contact.
            let mut ok = Response::from_request(request, StatusCode::OK);
            for (n, v) in ringing.headers().iter() {
                if *n == HeaderName::RECORD_ROUTE || *n == HeaderName::CONTACT {
                    ok.headers_mut().push(n.clone(), v.clone());
                }
            }
            ok.set_to_tag("bob1");
            ep.send_response(now, *transaction, &ok).unwrap();
            *d = Some(Dialog::uas(request, &ok).unwrap());
        }
        (
            1,
            Event::Ack {
                request,
                transaction,
                ..
            },
        ) => {
            assert!(
                transaction.is_some(),
                "matched to the Accepted INVITE transaction"
            );
            uas.borrow_mut()
                .as_mut()
                .unwrap()
                .handle_request(request)
                .unwrap();
            *acks_seen.borrow_mut() += 1;
        }
        (
            1,
            Event::Request {
                transaction,
                request,
                ..
            },
        ) if request.method() == &Method::BYE => {
            let mut d = uas.borrow_mut();
            let d = d.as_mut().unwrap();
            d.handle_request(request).unwrap();
            d.terminate();
            ep.send_response(
                now,
                *transaction,
                &Response::from_request(request, StatusCode::OK),
            )
            .unwrap();
        }
        (0, Event::Response { response, .. }) => {
            let cseq = response
                .headers()
                .typed::<sip_core::header::CSeq>()
                .unwrap()
                .unwrap();
            let mut d = uac.borrow_mut();
            match (cseq.method.clone(), response.status().as_u16()) {
                (_, 100) => {}
                (m, 180) if m == Method::INVITE => {
                    let early = Dialog::uac(&invite, response).unwrap();
                    assert_eq!(early.state(), DialogState::Early);
                    *d = Some(early);
                }
                (m, 200) if m == Method::INVITE => {
                    let d = d.as_mut().unwrap();
                    d.handle_response(&Method::INVITE, response);
                    assert_eq!(d.state(), DialogState::Confirmed);
                    // 13.2.2.4: the TU ACKs every 2xx, the same ACK each time.
                    let again = ack_bytes.borrow().clone();
                    match again {
                        Some(b) => ep.send_raw(bob, b),
                        None => {
                            let ack = d.ack(cseq.seq).unwrap();
                            *ack_bytes.borrow_mut() = Some(ep.send_ack(now, ack, bob).unwrap());
                        }
                    }
                }
                (m, _) => d.as_mut().unwrap().handle_response(&m, response),
            }
        }
        _ => {}
    };
    w.run_for(Duration::from_secs(2), &mut tu);
    assert_eq!(*acks_seen.borrow(), 1);
    assert_eq!(w.delivered(1, "ACK"), 1);
    assert_eq!(
        w.delivered(0, "SIP/2.0 200"),
        2,
        "the 2xx was retransmitted once"
    );
    assert_eq!(
        w.ep(0).client_state(inv_tx),
        Some(sip_core::transaction::ClientState::Accepted)
    );
    {
        let d = uac.borrow();
        let d = d.as_ref().unwrap();
        assert_eq!(d.route_set().len(), 1);
        assert_eq!(d.remote_target(), b"sip:bob@192.0.2.2:5060");
    }
    // A re-INVITE with a new Contact refreshes Bob's target for Alice.
    let now = w.now();
    let mut reinvite = uac
        .borrow_mut()
        .as_mut()
        .unwrap()
        .request(Method::INVITE)
        .unwrap();
    reinvite
        .headers_mut()
        .set(HeaderName::CONTACT, "<sip:alice@198.51.100.1:5060>");
    assert_eq!(reinvite.uri().to_string(), "sip:bob@192.0.2.2:5060");
    assert!(reinvite.headers().get(&HeaderName::ROUTE).is_some());
    *ack_bytes.borrow_mut() = None;
    w.ep(0).send_request(now, reinvite, bob).unwrap();
    w.run_for(Duration::from_secs(1), &mut tu);
    assert_eq!(
        uas.borrow().as_ref().unwrap().remote_target(),
        b"sip:alice@198.51.100.1:5060"
    );
    assert_eq!(*acks_seen.borrow(), 2);
    // BYE.
    let now = w.now();
    let bye = uac
        .borrow_mut()
        .as_mut()
        .unwrap()
        .request(Method::BYE)
        .unwrap();
    assert_eq!(
        bye.headers()
            .typed::<sip_core::header::CSeq>()
            .unwrap()
            .unwrap()
            .seq,
        3
    );
    w.ep(0).send_request(now, bye, bob).unwrap();
    w.run_for(Duration::from_secs(1), &mut tu);
    assert_eq!(
        uas.borrow().as_ref().unwrap().state(),
        DialogState::Terminated
    );
    assert_eq!(uas.borrow().as_ref().unwrap().remote_seq(), Some(3));
    let _ = alice;
}

#[test]
fn notify_with_another_event_id_is_refused_with_489() {
    let mut w = World::new(2, NetConfig::default(), 96);
    let now = w.now();
    let mut sub_req = request(w.ep(0), Method::SUBSCRIBE, ALICE, BOB, 1);
    sub_req
        .headers_mut()
        .push(HeaderName::EVENT, "presence;id=1");
    sub_req
        .headers_mut()
        .push(HeaderName::CONTACT, "<sip:alice@192.0.2.1>");
    let mut sub = Subscriber::new(now, sub_req.clone(), SubscriptionConfig::default()).unwrap();
    let from_tag = sub_req
        .headers()
        .typed::<sip_core::header::From>()
        .unwrap()
        .unwrap();
    let tag = String::from_utf8_lossy(from_tag.tag().unwrap()).into_owned();
    let call_id =
        String::from_utf8_lossy(sub_req.headers().get(&HeaderName::CALL_ID).unwrap()).into_owned();
    let notify = |event: &str| {
        let text = format!(
            "NOTIFY sip:alice@192.0.2.1 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.2;branch=z9hG4bKn\r\n\
From: <{BOB}>;tag=b\r\nTo: <{ALICE}>;tag={tag}\r\nCall-ID: {call_id}\r\nCSeq: 1 NOTIFY\r\n\
Event: {event}\r\nSubscription-State: active;expires=60\r\nContact: <sip:bob@192.0.2.2>\r\n\
Content-Length: 0\r\n\r\n"
        );
        sip_core::Message::parse_datagram(text.into_bytes(), &sip_core::Limits::default())
            .unwrap()
            .as_request()
            .unwrap()
            .clone()
    };
    match sub.handle_notify(now, &notify("presence;id=2")) {
        NotifyOutcome::Refused { response, error } => {
            assert_eq!(error, SubscriptionError::BadEvent);
            assert_eq!(response.status(), StatusCode::BAD_EVENT);
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        sub.handle_notify(now, &notify("presence;id=1")),
        NotifyOutcome::Accepted { .. }
    ));
}
