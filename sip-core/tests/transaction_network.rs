//! Two endpoints through the in-memory network on a fake clock: lost,
//! duplicated, reordered and delayed packets, each timer's effect on the
//! wire, CANCEL, transport errors and malformed input.

mod flows_support;

use flows_support::{answer_all, count, request, World};
use sip_core::endpoint::{Discard, Event, Peer, SendError};
use sip_core::transaction::{ClientState, Failure, ServerState, Timer, Transport};
use sip_core::{Method, Response, StatusCode};
use std::time::Duration;
use testkit::net::{Fault, NetConfig};

const ALICE: &str = "sip:alice@atlanta.example.com";
const BOB: &str = "sip:bob@biloxi.example.com";
const S: fn(u64) -> Duration = Duration::from_secs;

fn finals(w: &World, node: usize) -> Vec<u16> {
    w.nodes[node]
        .events
        .iter()
        .filter_map(|(_, e)| match e {
            Event::Response { response, .. } if response.status().is_final() => {
                Some(response.status().as_u16())
            }
            _ => None,
        })
        .collect()
}

#[test]
fn options_on_a_clean_network_and_timers_k_and_j_clear_state() {
    let mut w = World::new(2, NetConfig::default(), 1);
    let req = request(w.ep(0), Method::OPTIONS, ALICE, BOB, 1);
    let peer = w.peer(1);
    let now = w.now();
    let id = w.ep(0).send_request(now, req, peer).unwrap();
    w.run_for(S(1), answer_all(200));
    assert_eq!(finals(&w, 0), [200]);
    assert_eq!(w.ep(0).client_state(id), Some(ClientState::Completed));
    assert_eq!(w.ep(1).transaction_count(), 1, "server waits out Timer J");
    w.run_for(S(5), answer_all(200));
    assert_eq!(
        w.ep(0).transaction_count(),
        0,
        "Timer K (T4) ended the client"
    );
    assert_eq!(w.ep(1).transaction_count(), 1);
    w.run_for(S(30), answer_all(200));
    assert_eq!(
        w.ep(1).transaction_count(),
        0,
        "Timer J (64*T1) ended the server"
    );
    assert_eq!(w.delivered(1, "OPTIONS"), 1);
}

#[test]
fn lost_request_is_retransmitted_by_timer_e() {
    let mut w = World::new(2, NetConfig::default(), 2);
    w.net.fault_next(b"OPTIONS sip:", Fault::Drop);
    let req = request(w.ep(0), Method::OPTIONS, ALICE, BOB, 1);
    let (now, peer) = (w.now(), w.peer(1));
    w.ep(0).send_request(now, req, peer).unwrap();
    w.run_for(S(2), answer_all(200));
    assert_eq!(w.delivered(1, "OPTIONS"), 1);
    let got = w
        .net
        .log()
        .iter()
        .find(|(_, d)| d.data.starts_with(b"OPTIONS"))
        .unwrap()
        .0;
    assert_eq!(
        got - w.start,
        Duration::from_millis(505),
        "sent again at T1, 5 ms on the wire"
    );
    assert_eq!(finals(&w, 0), [200]);
}

#[test]
fn lost_response_is_resent_from_completed_and_tu_sees_one_request() {
    let mut w = World::new(2, NetConfig::default(), 3);
    w.net.fault_next(b"SIP/2.0 200", Fault::Drop);
    let req = request(w.ep(0), Method::OPTIONS, ALICE, BOB, 1);
    let (now, peer) = (w.now(), w.peer(1));
    w.ep(0).send_request(now, req, peer).unwrap();
    w.run_for(S(3), answer_all(200));
    assert_eq!(w.delivered(1, "OPTIONS"), 2);
    assert_eq!(w.delivered(0, "SIP/2.0 200"), 1);
    assert_eq!(
        count(&w.nodes[1].events, |e| matches!(e, Event::Request { .. })),
        1
    );
    assert_eq!(finals(&w, 0), [200]);
}

#[test]
fn duplicated_and_reordered_packets_are_absorbed() {
    let mut w = World::new(2, NetConfig::default(), 4);
    w.net.fault_next(b"MESSAGE sip:", Fault::Duplicate);
    w.net.fault_next(b"SIP/2.0 200", Fault::Duplicate);
    let req = request(w.ep(0), Method::MESSAGE, ALICE, BOB, 1);
    let (now, peer) = (w.now(), w.peer(1));
    w.ep(0).send_request(now, req, peer).unwrap();
    w.run_for(S(1), answer_all(200));
    assert_eq!(w.delivered(1, "MESSAGE"), 2);
    assert_eq!(
        count(&w.nodes[1].events, |e| matches!(e, Event::Request { .. })),
        1
    );
    assert_eq!(finals(&w, 0), [200], "the duplicate 200 is absorbed");
}

#[test]
fn delayed_provisional_after_final_is_ignored() {
    let mut w = World::new(2, NetConfig::default(), 5);
    w.net
        .fault_next(b"SIP/2.0 100", Fault::Delay(Duration::from_millis(300)));
    let req = request(w.ep(0), Method::INVITE, ALICE, BOB, 1);
    let (now, peer) = (w.now(), w.peer(1));
    w.ep(0).send_request(now, req, peer).unwrap();
    w.run_for(S(1), answer_all(486));
    // The 486 overtook the 100 Trying; the late 100 is not passed up.
    let statuses: Vec<u16> = w.nodes[0]
        .events
        .iter()
        .filter_map(|(_, e)| match e {
            Event::Response { response, .. } => Some(response.status().as_u16()),
            _ => None,
        })
        .collect();
    assert_eq!(statuses, [486]);
    assert_eq!(w.delivered(1, "ACK"), 1);
}

#[test]
fn invite_486_with_lost_ack_uses_timer_g_then_confirms_with_timer_i() {
    let mut w = World::new(2, NetConfig::default(), 6);
    w.net.fault_next(b"ACK sip:", Fault::Drop);
    let req = request(w.ep(0), Method::INVITE, ALICE, BOB, 1);
    let (now, peer) = (w.now(), w.peer(1));
    w.ep(0).send_request(now, req, peer).unwrap();
    let mut server_tx = None;
    w.run_for(S(1), |i, now, ep, ev| {
        if let Event::Request {
            transaction,
            request,
            ..
        } = ev
        {
            server_tx = Some(*transaction);
            let mut r = Response::from_request(request, StatusCode::BUSY_HERE);
            r.set_to_tag("b1");
            ep.send_response(now, *transaction, &r).unwrap();
            assert_eq!(i, 1);
        }
    });
    let st = server_tx.unwrap();
    assert_eq!(
        w.delivered(1, "ACK"),
        1,
        "the second ACK answered Timer G's 486"
    );
    assert_eq!(w.delivered(0, "SIP/2.0 486"), 2);
    assert_eq!(w.ep(1).server_state(st), Some(ServerState::Confirmed));
    assert_eq!(finals(&w, 0), [486]);
    w.run_for(S(6), |_, _, _, _| {});
    assert_eq!(w.ep(1).server_state(st), None, "Timer I (T4) ended it");
    w.run_for(S(30), |_, _, _, _| {});
    assert_eq!(w.ep(0).transaction_count(), 0, "Timer D ended the client");
}

#[test]
fn invite_2xx_lost_is_retransmitted_until_the_tu_acks() {
    let mut w = World::new(2, NetConfig::default(), 7);
    w.net.fault_next(b"SIP/2.0 200", Fault::Drop);
    let req = request(w.ep(0), Method::INVITE, ALICE, BOB, 1);
    let (now, peer) = (w.now(), w.peer(1));
    let id = w.ep(0).send_request(now, req, peer).unwrap();
    let bob = w.peer(1);
    w.run_for(S(3), |i, now, ep, ev| match ev {
        Event::Request {
            transaction,
            request,
            ..
        } => {
            let mut r = Response::from_request(request, StatusCode::OK);
            r.set_to_tag("b2");
            ep.send_response(now, *transaction, &r).unwrap();
        }
        Event::Response { response, .. } if i == 0 && response.status().is_success() => {
            // The dialog layer's job: ACK the 2xx.
            let mut ack = request(ep, Method::ACK, ALICE, BOB, 1);
            let call_id = response
                .headers()
                .get(&sip_core::HeaderName::CALL_ID)
                .unwrap()
                .clone();
            ack.headers_mut()
                .set(sip_core::HeaderName::CALL_ID, call_id);
            ep.send_ack(now, ack, bob).unwrap();
        }
        _ => {}
    });
    assert_eq!(
        w.delivered(0, "SIP/2.0 200"),
        1,
        "the retransmitted 2xx got through"
    );
    assert_eq!(w.ep(0).client_state(id), Some(ClientState::Accepted));
    let acks = count(&w.nodes[1].events, |e| {
        matches!(
            e,
            Event::Ack {
                transaction: Some(_),
                ..
            }
        )
    });
    assert_eq!(
        acks, 1,
        "the ACK of the 2xx reached the TU through the Accepted transaction"
    );
    w.run_for(S(40), |_, _, _, _| {});
    assert_eq!(
        w.delivered(0, "SIP/2.0 200"),
        1,
        "no 2xx retransmission after the ACK"
    );
    assert_eq!(
        w.ep(0).transaction_count() + w.ep(1).transaction_count(),
        0,
        "Timers M and L"
    );
}

#[test]
fn unreachable_peer_times_out_with_b_and_f() {
    let mut w = World::new(2, NetConfig::default(), 8);
    let bob = w.nodes[1].addr;
    w.net.set_down(bob, true);
    let (now, peer) = (w.now(), w.peer(1));
    let inv = request(w.ep(0), Method::INVITE, ALICE, BOB, 1);
    let a = w.ep(0).send_request(now, inv, peer).unwrap();
    let opt = request(w.ep(0), Method::OPTIONS, ALICE, BOB, 1);
    let b = w.ep(0).send_request(now, opt, peer).unwrap();
    w.run_for(S(40), |_, _, _, _| {});
    let failed: Vec<_> = w.nodes[0]
        .events
        .iter()
        .filter_map(|(t, e)| match e {
            Event::Failed {
                transaction,
                failure,
            } => Some((*transaction, *failure, *t - w.start)),
            _ => None,
        })
        .collect();
    assert_eq!(failed.len(), 2);
    assert!(failed.contains(&(a, Failure::Timeout(Timer::B), S(32))));
    assert!(failed.contains(&(b, Failure::Timeout(Timer::F), S(32))));
    // 1 + 6 INVITEs (Timer A) and 1 + 10 OPTIONS (Timer E) went out.
    assert_eq!(w.net.dropped(), 7 + 11);
}

#[test]
fn cancel_ends_a_pending_invite_with_487() {
    let mut w = World::new(2, NetConfig::default(), 9);
    let req = request(w.ep(0), Method::INVITE, ALICE, BOB, 1);
    let (now, peer) = (w.now(), w.peer(1));
    let inv = w.ep(0).send_request(now, req, peer).unwrap();
    let mut pending = None;
    w.run_for(Duration::from_millis(100), |_, _, _, ev| {
        if let Event::Request {
            transaction,
            request,
            ..
        } = ev
        {
            pending = Some((*transaction, request.clone()));
        }
    });
    let now = w.now();
    let cancel = w.ep(0).cancel(now, inv).unwrap();
    let (st, invite) = pending.unwrap();
    w.run_for(S(1), |_, now, ep, ev| {
        if let Event::Cancelled { invite: i, .. } = ev {
            assert_eq!(*i, st);
            let mut r = Response::from_request(&invite, StatusCode::REQUEST_TERMINATED);
            r.set_to_tag("c1");
            ep.send_response(now, st, &r).unwrap();
        }
    });
    let got: Vec<_> = w.nodes[0]
        .events
        .iter()
        .filter_map(|(_, e)| match e {
            Event::Response {
                transaction,
                response,
            } => Some((*transaction, response.status().as_u16())),
            _ => None,
        })
        .collect();
    assert!(got.contains(&(cancel, 200)));
    assert!(got.contains(&(inv, 487)));
    assert_eq!(w.delivered(1, "ACK"), 1);
    // A CANCEL for nothing gets 481.
    let now = w.now();
    assert_eq!(w.ep(0).cancel(now, inv), Err(SendError::InvalidState));
}

#[test]
fn lossy_network_every_transaction_ends_once() {
    for seed in 0..4u64 {
        let cfg = NetConfig {
            loss: 0.2,
            duplicate: 0.1,
            min_delay: Duration::from_millis(2),
            max_delay: Duration::from_millis(400),
        };
        let mut w = World::new(2, cfg, 100 + seed);
        let mut ids = vec![];
        for i in 0..40 {
            let m = if i % 4 == 0 {
                Method::INVITE
            } else {
                Method::MESSAGE
            };
            let req = request(w.ep(0), m, ALICE, BOB, i + 1);
            let (now, peer) = (w.now(), w.peer(1));
            ids.push(w.ep(0).send_request(now, req, peer).unwrap());
        }
        w.run_for(S(120), answer_all(404));
        for id in &ids {
            let finals = count(
                &w.nodes[0].events,
                |e| matches!(e, Event::Response { transaction, response } if transaction == id && response.status().is_final()),
            );
            let failures = count(
                &w.nodes[0].events,
                |e| matches!(e, Event::Failed { transaction, .. } if transaction == id),
            );
            assert_eq!(
                finals + failures,
                1,
                "seed {seed}: {id:?} ended {finals} + {failures} times"
            );
        }
        let requests = count(&w.nodes[1].events, |e| matches!(e, Event::Request { .. }));
        assert!(
            requests <= 40,
            "the server TU saw each request at most once"
        );
        assert_eq!(w.ep(0).transaction_count() + w.ep(1).transaction_count(), 0);
    }
}

#[test]
fn transport_error_fails_the_transaction() {
    let mut w = World::new(2, NetConfig::default(), 10);
    let req = request(w.ep(0), Method::OPTIONS, ALICE, BOB, 1);
    let (now, peer) = (w.now(), w.peer(1));
    let id = w.ep(0).send_request(now, req, peer).unwrap();
    let t = w.ep(0).poll_transmit().unwrap();
    assert_eq!(t.transaction, Some(id));
    w.ep(0).handle_transport_error(now, id);
    assert_eq!(
        w.ep(0).poll_event(),
        Some(Event::Failed {
            transaction: id,
            failure: Failure::Transport
        })
    );
    assert_eq!(w.ep(0).transaction_count(), 0);
}

#[test]
fn malformed_input_is_discarded_and_bad_requests_get_400() {
    let mut w = World::new(2, NetConfig::default(), 11);
    let now = w.now();
    let from = Peer::udp("198.51.100.7:5060".parse().unwrap());
    w.ep(1).handle_input(now, from, &b"\x00\x01garbage"[..]);
    assert!(matches!(
        w.ep(1).poll_event(),
        Some(Event::Discarded {
            reason: Discard::Parse(_),
            ..
        })
    ));
    let no_cseq = b"OPTIONS sip:bob@biloxi.example.com SIP/2.0\r\n\
Via: SIP/2.0/UDP 198.51.100.7;branch=z9hG4bKx1\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:bob@biloxi.example.com>\r\n\
Call-ID: c1\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n";
    w.ep(1).handle_input(now, from, &no_cseq[..]);
    assert!(matches!(
        w.ep(1).poll_event(),
        Some(Event::Discarded {
            reason: Discard::Invalid(_),
            ..
        })
    ));
    let t = w.ep(1).poll_transmit().unwrap();
    assert!(t.contents.starts_with(b"SIP/2.0 400 "));
    assert_eq!(t.destination, from);
    assert_eq!(w.ep(1).transaction_count(), 0);
}

#[test]
fn large_requests_need_congestion_control() {
    let mut w = World::new(2, NetConfig::default(), 12);
    let mut req = request(w.ep(0), Method::MESSAGE, ALICE, BOB, 1);
    req.set_body(vec![b'x'; 1400]);
    let (now, peer) = (w.now(), w.peer(1));
    let err = w.ep(0).send_request(now, req.clone(), peer).unwrap_err();
    assert!(
        matches!(err, SendError::TooLarge { limit: 1300, .. }),
        "{err:?}"
    );
    let tcp = Peer {
        transport: Transport::Tcp,
        ..peer
    };
    let id = w.ep(0).send_request(now, req, tcp).unwrap();
    let sent = w.ep(0).poll_transmit().unwrap();
    assert!(sent.contents.windows(12).any(|x| x == b"SIP/2.0/TCP "));
    assert_eq!(
        w.ep(0).poll_timeout(),
        Some(now + S(32)),
        "only Timer F over TCP"
    );
    assert_eq!(w.ep(0).client_state(id), Some(ClientState::Trying));
}

#[test]
fn stray_responses_go_up() {
    let mut w = World::new(2, NetConfig::default(), 13);
    let req = request(w.ep(0), Method::OPTIONS, ALICE, BOB, 1);
    let mut req2 = req.clone();
    req2.headers_mut().prepend(
        sip_core::HeaderName::VIA,
        "SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKnobody",
    );
    let r = Response::from_request(&req2, StatusCode::OK);
    let now = w.now();
    let from = w.peer(1);
    w.ep(0).handle_input(now, from, r.to_bytes());
    assert!(matches!(
        w.ep(0).poll_event(),
        Some(Event::StrayResponse { .. })
    ));
}

#[test]
fn no_ack_fires_timer_h_on_the_server() {
    let mut w = World::new(2, NetConfig::default(), 14);
    let req = request(w.ep(0), Method::INVITE, ALICE, BOB, 1);
    let (now, peer) = (w.now(), w.peer(1));
    w.ep(0).send_request(now, req, peer).unwrap();
    // The INVITE gets through and is answered; then Alice vanishes, so no
    // ACK ever comes.
    w.run_for(Duration::from_millis(6), answer_all(486));
    let alice = w.nodes[0].addr;
    w.net.set_down(alice, true);
    w.run_for(S(40), answer_all(486));
    let failed: Vec<_> = w.nodes[1]
        .events
        .iter()
        .filter_map(|(t, e)| match e {
            Event::Failed { failure, .. } => Some((*failure, *t - w.start)),
            _ => None,
        })
        .collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].0, Failure::Timeout(Timer::H));
    let at = failed[0].1;
    assert!(at >= S(32) && at < S(33), "64*T1 after the 486: {at:?}");
    assert_eq!(w.ep(1).transaction_count(), 0);
}

#[test]
fn responses_carry_received_and_rport() {
    let mut w = World::new(2, NetConfig::default(), 15);
    let now = w.now();
    let from = Peer::udp("198.51.100.7:40000".parse().unwrap());
    let req = b"OPTIONS sip:bob@biloxi.example.com SIP/2.0\r\n\
Via: SIP/2.0/UDP client.example.com:5060;branch=z9hG4bKr1;rport\r\n\
Via: SIP/2.0/UDP proxy.example.com;branch=z9hG4bKr0\r\n\
From: <sip:a@b.example>;tag=1\r\nTo: <sip:bob@biloxi.example.com>\r\n\
Call-ID: r1\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n";
    w.ep(1).handle_input(now, from, &req[..]);
    let Some(Event::Request {
        transaction,
        request,
        ..
    }) = w.ep(1).poll_event()
    else {
        panic!("no request")
    };
    let r = Response::from_request(&request, StatusCode::OK);
    w.ep(1).send_response(now, transaction, &r).unwrap();
    let t = w.ep(1).poll_transmit().unwrap();
    assert_eq!(t.destination, from);
    let text = String::from_utf8_lossy(&t.contents).into_owned();
    assert!(
        text.contains("Via: SIP/2.0/UDP client.example.com:5060;branch=z9hG4bKr1;received=198.51.100.7;rport=40000\r\nVia: SIP/2.0/UDP proxy.example.com;branch=z9hG4bKr0\r\n"),
        "{text}"
    );
    // A retransmission still matches the transaction.
    w.ep(1).handle_input(now, from, &req[..]);
    assert!(w.ep(1).poll_event().is_none());
    assert_eq!(
        w.ep(1).poll_transmit().map(|t| t.contents),
        Some(t.contents)
    );
}

#[test]
fn stream_messages_framed_by_the_application() {
    use sip_core::framer::{StreamEvent, StreamFramer};
    let mut w = World::new(2, NetConfig::default(), 16);
    let now = w.now();
    let tcp = |addr| Peer {
        addr,
        transport: Transport::Tcp,
    };
    let (alice, bob) = (tcp(w.nodes[0].addr), tcp(w.nodes[1].addr));
    let a = request(w.ep(0), Method::OPTIONS, ALICE, BOB, 1);
    let b = request(w.ep(0), Method::MESSAGE, ALICE, BOB, 2);
    w.ep(0).send_request(now, a, bob).unwrap();
    w.ep(0).send_request(now, b, bob).unwrap();
    // Both requests in one TCP read, split at an odd place.
    let mut stream = Vec::new();
    while let Some(t) = w.ep(0).poll_transmit() {
        stream.extend_from_slice(&t.contents);
    }
    let mut framer = StreamFramer::new(sip_core::Limits::default());
    let (first, second) = stream.split_at(stream.len() / 3);
    for chunk in [first, second] {
        framer.handle_input(chunk);
        while let Ok(Some(StreamEvent::Message(m))) = framer.poll_event() {
            w.ep(1).handle_message(now, alice, m);
        }
    }
    let mut answered = 0;
    while let Some(ev) = w.ep(1).poll_event() {
        if let Event::Request {
            transaction,
            request,
            peer,
        } = ev
        {
            assert_eq!(peer.transport, Transport::Tcp);
            let r = Response::from_request(&request, StatusCode::OK);
            w.ep(1).send_response(now, transaction, &r).unwrap();
            answered += 1;
        }
    }
    assert_eq!(answered, 2);
    // Over TCP, Timer J is zero: the server transactions are gone at once.
    assert_eq!(w.ep(1).transaction_count(), 0);
    let t = w.ep(1).poll_transmit().unwrap();
    assert_eq!(t.destination, alice);
}

#[test]
fn transaction_cap_answers_503_and_refuses_sends() {
    use sip_core::endpoint::{Endpoint, EndpointConfig};
    let addr = "192.0.2.2:5060".parse().unwrap();
    let mut cfg = EndpointConfig::for_addr(addr);
    cfg.max_transactions = 1;
    let mut ep = Endpoint::new(cfg);
    let mut w = World::new(1, NetConfig::default(), 17);
    let now = w.now();
    let from = Peer::udp("192.0.2.9:5060".parse().unwrap());
    for seq in 1..=2u32 {
        let mut r = request(w.ep(0), Method::OPTIONS, ALICE, BOB, seq);
        r.headers_mut().prepend(
            sip_core::HeaderName::VIA,
            format!("SIP/2.0/UDP 192.0.2.9:5060;branch=z9hG4bKcap{seq}"),
        );
        ep.handle_input(now, from, r.to_bytes());
    }
    assert!(matches!(ep.poll_event(), Some(Event::Request { .. })));
    assert!(matches!(
        ep.poll_event(),
        Some(Event::Discarded {
            reason: Discard::Overload,
            ..
        })
    ));
    assert!(ep
        .poll_transmit()
        .unwrap()
        .contents
        .starts_with(b"SIP/2.0 503 "));
    let r = request(&mut ep, Method::OPTIONS, BOB, ALICE, 1);
    assert_eq!(ep.send_request(now, r, from), Err(SendError::Overload));
    assert_eq!(ep.transaction_count(), 1);
}
