//! RFC 3428 pager-mode MESSAGE between two endpoints: delivery with loss,
//! the 1300-byte rule over UDP, and the receiver's answers.

mod flows_support;

use flows_support::{uri, World};
use sip_core::endpoint::{Event, Peer};
use sip_core::header::{Accept, ContentType, MediaType};
use sip_core::pager::{self, PagerError};
use sip_core::transaction::Transport;
use sip_core::{NameAddr, StatusCode};
use std::time::Duration;
use testkit::net::{Fault, NetConfig};

fn text() -> ContentType {
    ContentType(MediaType::new("text", "plain").unwrap())
}

fn alice() -> NameAddr {
    NameAddr::new(uri("sip:alice@atlanta.example.com"))
}

#[test]
fn message_is_delivered_once_despite_loss_and_answered_without_body() {
    let mut w = World::new(2, NetConfig::default(), 80);
    w.net.fault_next(b"MESSAGE sip:", Fault::Drop);
    w.net.fault_next(b"SIP/2.0 200", Fault::Drop);
    let now = w.now();
    let peer = w.peer(1);
    let msg = pager::message(
        w.ep(0),
        alice(),
        uri("sip:bob@biloxi.example.com"),
        &text(),
        "Watson, come here.",
    );
    let id = pager::send(w.ep(0), now, msg, peer).unwrap();
    let mut got = vec![];
    w.run_for(Duration::from_secs(5), |i, now, ep, ev| {
        if let (
            1,
            Event::Request {
                transaction,
                request,
                ..
            },
        ) = (i, ev)
        {
            got.push(request.body().clone());
            let r = pager::answer(request, &[text()], 4096);
            ep.send_response(now, *transaction, &r).unwrap();
        }
    });
    assert_eq!(got, [bytes::Bytes::from_static(b"Watson, come here.")]);
    let ok = w.nodes[0].events.iter().find_map(|(_, e)| match e {
        Event::Response {
            transaction,
            response,
        } if *transaction == id => Some(response.clone()),
        _ => None,
    });
    let ok = ok.unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    assert!(ok.body().is_empty(), "a 2xx to MESSAGE has no body (7)");
    // Sent three times: the first was lost, the 200 to the second was lost.
    assert_eq!(w.delivered(1, "MESSAGE"), 2);
    assert_eq!(w.net.dropped(), 2);
}

#[test]
fn large_messages_need_a_congestion_controlled_transport() {
    let mut w = World::new(2, NetConfig::default(), 81);
    let now = w.now();
    let udp = w.peer(1);
    assert_eq!(pager::size_limit(udp), Some(1300));
    let body = "x".repeat(1200);
    let msg = pager::message(
        w.ep(0),
        alice(),
        uri("sip:bob@biloxi.example.com"),
        &text(),
        body,
    );
    let e = pager::send(w.ep(0), now, msg.clone(), udp).unwrap_err();
    assert!(
        matches!(e, PagerError::TooLarge { limit: 1300, size } if size > 1300),
        "{e:?}"
    );
    assert!(w.ep(0).poll_transmit().is_none());
    let tcp = Peer {
        transport: Transport::Tcp,
        ..udp
    };
    assert_eq!(pager::size_limit(tcp), None);
    pager::send(w.ep(0), now, msg, tcp).unwrap();
    assert!(w.ep(0).poll_transmit().unwrap().contents.len() > 1300);
    // Just under the limit goes over UDP.
    let msg = pager::message(
        w.ep(0),
        alice(),
        uri("sip:bob@biloxi.example.com"),
        &text(),
        "y".repeat(900),
    );
    assert!(pager::send(w.ep(0), now, msg, udp).is_ok());
}

#[test]
fn receiver_refuses_unknown_types_and_large_bodies() {
    let mut w = World::new(2, NetConfig::default(), 82);
    let html = ContentType(MediaType::new("text", "html").unwrap());
    let msg = pager::message(
        w.ep(0),
        alice(),
        uri("sip:bob@biloxi.example.com"),
        &html,
        "<b>hi</b>",
    );
    let r = pager::answer(&msg, &[text()], 4096);
    assert_eq!(r.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(
        r.headers().typed::<Accept>().unwrap(),
        Some(Accept(text().0))
    );
    let r = pager::answer(&msg, std::slice::from_ref(&html), 4);
    assert_eq!(r.status(), StatusCode::REQUEST_ENTITY_TOO_LARGE);
    let r = pager::answer(&msg, &[html], 4096);
    assert_eq!(r.status(), StatusCode::OK);
}
