//! Unit tests of the four machines, driven directly with a fake clock: each
//! timer of Table 4 and RFC 6026 fires here at its RFC time.

use super::*;
use crate::message::Message;
use crate::method::StatusCode;
use crate::parse::Limits;
use std::time::{Duration, Instant};

const INVITE: &[u8] = b"INVITE sip:bob@biloxi.example.com SIP/2.0\r\n\
Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bKnashds8\r\n\
Route: <sip:p1.example.com;lr>\r\n\
Max-Forwards: 70\r\n\
To: Bob <sip:bob@biloxi.example.com>\r\n\
From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n\
Call-ID: a84b4c76e66710\r\n\
CSeq: 314159 INVITE\r\n\
Content-Length: 0\r\n\r\n";

const OPTIONS: &[u8] = b"OPTIONS sip:bob@biloxi.example.com SIP/2.0\r\n\
Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bKopt1\r\n\
Max-Forwards: 70\r\n\
To: Bob <sip:bob@biloxi.example.com>\r\n\
From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n\
Call-ID: opt-1\r\n\
CSeq: 1 OPTIONS\r\n\
Content-Length: 0\r\n\r\n";

fn req(b: &[u8]) -> Request {
    match Message::parse_datagram(Bytes::copy_from_slice(b), &Limits::default()).unwrap() {
        Message::Request(r) => r,
        Message::Response(_) => panic!("not a request"),
    }
}

fn resp(r: &Request, code: u16) -> Response {
    let mut resp = Response::from_request(r, StatusCode::new(code).unwrap());
    if code > 100 {
        resp.set_to_tag("a6c85cf");
    }
    resp
}

fn t0() -> Instant {
    testkit::net::Clock::new().now()
}

const MS: fn(u64) -> Duration = Duration::from_millis;

#[test]
fn client_invite_timer_a_doubles_and_b_times_out() {
    let cfg = TimerConfig::default();
    let now = t0();
    let r = req(INVITE);
    let (mut tx, out) = ClientTransaction::start(&r, r.to_bytes(), false, now, &cfg);
    assert!(out.transmit.is_some());
    let mut sends = vec![];
    let mut at = now;
    while tx.state() != ClientState::Terminated {
        at = tx.next_timeout().unwrap();
        let out = tx.handle_timeout(at, &cfg);
        if out.transmit.is_some() {
            sends.push((at - now).as_millis());
        }
        if let Some(f) = out.failure {
            assert_eq!(f, Failure::Timeout(Timer::B));
        }
    }
    // Timer A: 0.5, 1.5, 3.5, 7.5, 15.5, 31.5 s; Timer B at 32 s.
    assert_eq!(sends, [500, 1500, 3500, 7500, 15500, 31500]);
    assert_eq!(at - now, MS(32_000));
}

#[test]
fn client_invite_non_2xx_acks_and_timer_d() {
    let cfg = TimerConfig::default();
    let now = t0();
    let r = req(INVITE);
    let (mut tx, _) = ClientTransaction::start(&r, r.to_bytes(), false, now, &cfg);
    assert!(
        tx.handle_response(now + MS(100), &resp(&r, 180), &cfg)
            .deliver
    );
    assert_eq!(tx.state(), ClientState::Proceeding);
    assert_eq!(
        tx.next_timeout(),
        Some(now + MS(100) + cfg.timer_c),
        "no retransmission or B in Proceeding, only C"
    );
    let out = tx.handle_response(now + MS(200), &resp(&r, 486), &cfg);
    assert!(out.deliver);
    let ack = out.transmit.expect("ACK");
    let ack = req(&ack);
    assert_eq!(ack.method(), &Method::ACK);
    assert_eq!(ack.uri(), r.uri());
    let cseq: CSeq = ack.headers().typed().unwrap().unwrap();
    assert_eq!((cseq.seq, cseq.method), (314159, Method::ACK));
    let to: crate::header::To = ack.headers().typed().unwrap().unwrap();
    assert_eq!(to.tag(), Some(&b"a6c85cf"[..]));
    assert_eq!(
        ack.headers().get(&HeaderName::ROUTE).map(|v| &v[..]),
        Some(&b"<sip:p1.example.com;lr>"[..])
    );
    let via: Via = ack.headers().typed().unwrap().unwrap();
    assert_eq!(via.branch(), Some(&b"z9hG4bKnashds8"[..]));
    // A retransmitted 486 is absorbed and ACKed again.
    let again = tx.handle_response(now + MS(300), &resp(&r, 486), &cfg);
    assert!(!again.deliver);
    assert_eq!(again.transmit.map(|b| req(&b)), Some(ack));
    // Timer D: 32 s.
    assert_eq!(tx.timer(Timer::D), Some(now + MS(200) + MS(32_000)));
    tx.handle_timeout(now + MS(32_199), &cfg);
    assert_eq!(tx.state(), ClientState::Completed);
    tx.handle_timeout(now + MS(32_200), &cfg);
    assert_eq!(tx.state(), ClientState::Terminated);
}

#[test]
fn client_invite_2xx_is_accepted_until_timer_m() {
    let cfg = TimerConfig::default();
    let now = t0();
    let r = req(INVITE);
    let (mut tx, _) = ClientTransaction::start(&r, r.to_bytes(), false, now, &cfg);
    let out = tx.handle_response(now + MS(50), &resp(&r, 200), &cfg);
    assert!(out.deliver && out.transmit.is_none(), "the TU ACKs a 2xx");
    assert_eq!(tx.state(), ClientState::Accepted);
    // RFC 6026: a retransmitted 2xx still reaches the TU.
    assert!(
        tx.handle_response(now + MS(550), &resp(&r, 200), &cfg)
            .deliver
    );
    assert!(
        !tx.handle_response(now + MS(600), &resp(&r, 486), &cfg)
            .deliver
    );
    assert_eq!(tx.timer(Timer::M), Some(now + MS(50) + cfg.t1_x64()));
    tx.handle_timeout(now + MS(50) + cfg.t1_x64(), &cfg);
    assert_eq!(tx.state(), ClientState::Terminated);
}

#[test]
fn client_non_invite_timer_e_caps_at_t2_and_f_times_out() {
    let cfg = TimerConfig::default();
    let now = t0();
    let r = req(OPTIONS);
    let (mut tx, _) = ClientTransaction::start(&r, r.to_bytes(), false, now, &cfg);
    let mut sends = vec![];
    while tx.state() != ClientState::Terminated {
        let at = tx.next_timeout().unwrap();
        let out = tx.handle_timeout(at, &cfg);
        if out.transmit.is_some() {
            sends.push((at - now).as_millis());
        }
        if tx.state() == ClientState::Terminated {
            assert_eq!(out.failure, Some(Failure::Timeout(Timer::F)));
            assert_eq!(at - now, MS(32_000));
        }
    }
    assert_eq!(&sends[..6], [500, 1500, 3500, 7500, 11500, 15500]);
    assert_eq!(sends.len(), 10);
}

#[test]
fn client_non_invite_proceeding_retransmits_at_t2_and_timer_k() {
    let cfg = TimerConfig::default();
    let now = t0();
    let r = req(OPTIONS);
    let (mut tx, _) = ClientTransaction::start(&r, r.to_bytes(), false, now, &cfg);
    assert!(
        tx.handle_response(now + MS(100), &resp(&r, 100), &cfg)
            .deliver
    );
    assert_eq!(tx.state(), ClientState::Proceeding);
    // Timer E was set for 500 ms; after it fires the interval is T2.
    let out = tx.handle_timeout(now + MS(500), &cfg);
    assert!(out.transmit.is_some());
    assert_eq!(tx.timer(Timer::E), Some(now + MS(4500)));
    assert!(
        tx.handle_response(now + MS(600), &resp(&r, 200), &cfg)
            .deliver
    );
    assert!(
        !tx.handle_response(now + MS(700), &resp(&r, 200), &cfg)
            .deliver
    );
    assert_eq!(tx.timer(Timer::K), Some(now + MS(600) + cfg.t4));
    assert_eq!(tx.timer(Timer::E), None);
    tx.handle_timeout(now + MS(5600), &cfg);
    assert_eq!(tx.state(), ClientState::Terminated);
}

#[test]
fn reliable_client_never_retransmits_and_ends_at_once() {
    let cfg = TimerConfig::default();
    let now = t0();
    let r = req(OPTIONS);
    let (mut tx, _) = ClientTransaction::start(&r, r.to_bytes(), true, now, &cfg);
    assert_eq!(tx.timer(Timer::E), None);
    assert_eq!(tx.timer(Timer::F), Some(now + MS(32_000)));
    tx.handle_response(now, &resp(&r, 404), &cfg);
    assert_eq!(tx.state(), ClientState::Terminated, "Timer K is zero");
    let r = req(INVITE);
    let (mut tx, _) = ClientTransaction::start(&r, r.to_bytes(), true, now, &cfg);
    assert_eq!(tx.timer(Timer::A), None);
    let out = tx.handle_response(now, &resp(&r, 603), &cfg);
    assert!(out.transmit.is_some(), "ACK still sent");
    assert_eq!(tx.state(), ClientState::Terminated, "Timer D is zero");
}

#[test]
fn client_transport_error_fails_pending_transactions() {
    let cfg = TimerConfig::default();
    let r = req(OPTIONS);
    let (mut tx, _) = ClientTransaction::start(&r, r.to_bytes(), false, t0(), &cfg);
    assert_eq!(
        tx.handle_transport_error().failure,
        Some(Failure::Transport)
    );
    assert_eq!(tx.state(), ClientState::Terminated);
}

#[test]
fn server_invite_non_2xx_timer_g_h_and_ack_timer_i() {
    let cfg = TimerConfig::default();
    let now = t0();
    let r = req(INVITE);
    let mut tx = ServerTransaction::new(true, false, true);
    assert_eq!(tx.state(), ServerState::Proceeding);
    let trying = resp(&r, 100).to_bytes();
    tx.send_response(now, StatusCode::TRYING, trying.clone(), &cfg)
        .unwrap();
    assert_eq!(tx.handle_retransmission().transmit, Some(trying));
    let busy = resp(&r, 486).to_bytes();
    tx.send_response(now, StatusCode::BUSY_HERE, busy.clone(), &cfg)
        .unwrap();
    assert_eq!(tx.state(), ServerState::Completed);
    assert!(tx
        .send_response(now, StatusCode::OK, busy.clone(), &cfg)
        .is_err());
    // Timer G: 0.5, 1.5, 3.5, 7.5, 11.5 s ...
    let mut sends = vec![];
    for _ in 0..5 {
        let at = tx.timer(Timer::G).unwrap();
        assert_eq!(tx.handle_timeout(at, &cfg).transmit, Some(busy.clone()));
        sends.push((at - now).as_millis());
    }
    assert_eq!(sends, [500, 1500, 3500, 7500, 11500]);
    assert_eq!(tx.handle_retransmission().transmit, Some(busy.clone()));
    tx.handle_ack(now + MS(12_000), &cfg);
    assert_eq!(tx.state(), ServerState::Confirmed);
    assert_eq!(tx.timer(Timer::G), None);
    assert_eq!(tx.timer(Timer::I), Some(now + MS(17_000)));
    assert!(!tx.handle_ack(now + MS(12_100), &cfg).deliver);
    tx.handle_timeout(now + MS(17_000), &cfg);
    assert_eq!(tx.state(), ServerState::Terminated);

    // Without the ACK, Timer H ends it at 64*T1.
    let mut tx = ServerTransaction::new(true, false, true);
    tx.send_response(now, StatusCode::BUSY_HERE, busy, &cfg)
        .unwrap();
    let mut failure = None;
    while tx.state() != ServerState::Terminated {
        let at = tx.next_timeout().unwrap();
        failure = tx.handle_timeout(at, &cfg).failure.or(failure);
        if tx.state() == ServerState::Terminated {
            assert_eq!(at - now, MS(32_000));
        }
    }
    assert_eq!(failure, Some(Failure::Timeout(Timer::H)));
}

#[test]
fn server_invite_2xx_accepted_timer_l_and_2xx_retransmission() {
    let cfg = TimerConfig::default();
    let now = t0();
    let r = req(INVITE);
    let ok = resp(&r, 200).to_bytes();
    let mut tx = ServerTransaction::new(true, false, true);
    tx.send_response(now, StatusCode::OK, ok.clone(), &cfg)
        .unwrap();
    assert_eq!(tx.state(), ServerState::Accepted);
    // INVITE retransmissions are absorbed (RFC 6026 8.7).
    assert_eq!(tx.handle_retransmission(), Output::default());
    let at = tx.timer(Timer::Retransmit2xx).unwrap();
    assert_eq!(at, now + MS(500));
    assert_eq!(tx.handle_timeout(at, &cfg).transmit, Some(ok.clone()));
    assert_eq!(tx.timer(Timer::Retransmit2xx), Some(now + MS(1500)));
    assert!(
        tx.handle_ack(now + MS(1000), &cfg).deliver,
        "ACK of a 2xx goes up"
    );
    assert_eq!(tx.timer(Timer::Retransmit2xx), None);
    // The TU may still pass 2xx retransmissions through.
    assert!(tx
        .send_response(now + MS(1100), StatusCode::OK, ok.clone(), &cfg)
        .is_ok());
    let out = tx.handle_timeout(now + MS(32_000), &cfg);
    assert_eq!(out.failure, None);
    assert_eq!(tx.state(), ServerState::Terminated);

    // No ACK at all: L reports the failure.
    let mut tx = ServerTransaction::new(true, false, true);
    tx.send_response(now, StatusCode::OK, ok, &cfg).unwrap();
    let mut last = Output::default();
    while tx.state() != ServerState::Terminated {
        let at = tx.next_timeout().unwrap();
        last = tx.handle_timeout(at, &cfg);
    }
    assert_eq!(last.failure, Some(Failure::Timeout(Timer::L)));
}

#[test]
fn server_non_invite_timer_j_and_retransmissions() {
    let cfg = TimerConfig::default();
    let now = t0();
    let r = req(OPTIONS);
    let mut tx = ServerTransaction::new(false, false, true);
    assert_eq!(tx.state(), ServerState::Trying);
    assert_eq!(
        tx.handle_retransmission().transmit,
        None,
        "nothing to resend in Trying"
    );
    let ok = resp(&r, 200).to_bytes();
    tx.send_response(now, StatusCode::OK, ok.clone(), &cfg)
        .unwrap();
    assert_eq!(tx.state(), ServerState::Completed);
    assert_eq!(tx.handle_retransmission().transmit, Some(ok));
    assert_eq!(tx.timer(Timer::J), Some(now + MS(32_000)));
    tx.handle_timeout(now + MS(32_000), &cfg);
    assert_eq!(tx.state(), ServerState::Terminated);

    let mut tx = ServerTransaction::new(false, true, true);
    tx.send_response(now, StatusCode::OK, resp(&r, 200).to_bytes(), &cfg)
        .unwrap();
    assert_eq!(
        tx.state(),
        ServerState::Terminated,
        "Timer J is zero over reliable transports"
    );
}

#[test]
fn server_transport_error_keeps_accepted() {
    let cfg = TimerConfig::default();
    let r = req(INVITE);
    let mut tx = ServerTransaction::new(true, false, false);
    tx.send_response(t0(), StatusCode::OK, resp(&r, 200).to_bytes(), &cfg)
        .unwrap();
    assert_eq!(tx.handle_transport_error(), Output::default());
    assert_eq!(tx.state(), ServerState::Accepted);
    let mut tx = ServerTransaction::new(false, false, false);
    assert_eq!(
        tx.handle_transport_error().failure,
        Some(Failure::Transport)
    );
}

#[test]
fn keys_match_responses_and_retransmissions() {
    let r = req(INVITE);
    let k = ClientKey::of_request(&r).unwrap();
    assert_eq!(ClientKey::of_response(&resp(&r, 180)), Some(k.clone()));
    let cancel = cancel_for(&r);
    let ck = ClientKey::of_request(&cancel).unwrap();
    assert_eq!(ck.branch, k.branch);
    assert_ne!(ck, k, "CANCEL has a transaction of its own");
    let sk = ServerKey::of(&r).unwrap();
    assert!(
        matches!(&sk, ServerKey::Branch { sent_by, .. } if &sent_by[..] == b"pc33.atlanta.example.com")
    );
    assert_eq!(ServerKey::of_as(&cancel, &Method::INVITE), Some(sk.clone()));
    let ack = ack_for_non_2xx(&r, &resp(&r, 404));
    assert_eq!(ServerKey::of(&ack), Some(sk));
}

#[test]
fn rfc2543_requests_match_without_branch() {
    let old = String::from_utf8_lossy(INVITE).replace(";branch=z9hG4bKnashds8", "");
    let r = req(old.as_bytes());
    let k = ServerKey::of(&r).unwrap();
    assert!(matches!(&k, ServerKey::Legacy(l) if l.cseq == 314159));
    let again = req(old.as_bytes());
    assert_eq!(ServerKey::of(&again), Some(k.clone()));
    let ack = ack_for_non_2xx(&r, &resp(&r, 486));
    assert_eq!(
        ServerKey::of(&ack),
        Some(k.clone()),
        "ACK matches the INVITE"
    );
    let other = req(old.replace("314159", "314160").as_bytes());
    assert_ne!(ServerKey::of(&other), Some(k));
}

#[test]
fn client_invite_timer_c_bounds_proceeding_and_restarts_on_provisionals() {
    let cfg = TimerConfig::default();
    let now = t0();
    let r = req(INVITE);
    let (mut tx, _) = ClientTransaction::start(&r, r.to_bytes(), false, now, &cfg);
    tx.handle_response(now + MS(100), &resp(&r, 100), &cfg);
    assert_eq!(tx.state(), ClientState::Proceeding);
    assert_eq!(tx.timer(Timer::A), None);
    assert_eq!(tx.timer(Timer::B), None);
    assert_eq!(tx.timer(Timer::C), Some(now + MS(100) + cfg.timer_c));
    // A later provisional restarts it (RFC 3261 16.7 step 2).
    tx.handle_response(now + MS(60_000), &resp(&r, 180), &cfg);
    let c = now + MS(60_000) + cfg.timer_c;
    assert_eq!(tx.next_timeout(), Some(c));
    assert!(tx.handle_timeout(c - MS(1), &cfg).failure.is_none());
    assert_eq!(tx.state(), ClientState::Proceeding);
    let out = tx.handle_timeout(c, &cfg);
    assert_eq!(out.failure, Some(Failure::Timeout(Timer::C)));
    assert!(out.transmit.is_none());
    assert_eq!(tx.state(), ClientState::Terminated);
    assert_eq!(tx.next_timeout(), None);
}
