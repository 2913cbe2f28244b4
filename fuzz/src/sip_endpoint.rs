//! Stateful fuzz entry points for the `sip-core` endpoint and its
//! subscription machine: arbitrary sequences of datagrams, clock steps and
//! TU answers. Nothing may panic, and the endpoint's queues must drain.

use sip_core::endpoint::{Endpoint, EndpointConfig, Event, Peer};
use sip_core::subscription::{Subscriber, SubscriptionConfig};
use sip_core::{Limits, Message, Response, StatusCode};
use std::time::{Duration, Instant};

#[allow(clippy::disallowed_methods)]
fn origin() -> Instant {
    // Fuzzing needs an origin only; all later times are offsets from it.
    Instant::now()
}

/// Splits `data` into records: one opcode byte, one length byte, payload.
fn records(data: &[u8]) -> impl Iterator<Item = (u8, &[u8])> {
    let mut rest = data;
    std::iter::from_fn(move || {
        let (&op, tail) = rest.split_first()?;
        let (&len, tail) = tail.split_first().unwrap_or((&0, &[]));
        let n = usize::from(len).min(tail.len());
        let (payload, tail) = tail.split_at(n);
        rest = tail;
        Some((op, payload))
    })
}

/// Drives one endpoint: opcode 0-3 hands in a datagram from one of four
/// peers, 4 moves the clock (payload byte x 100 ms) and fires timers, 5
/// answers pending requests with the status in the payload.
pub fn endpoint(data: &[u8]) {
    let mut now = origin();
    let mut ep = Endpoint::new(EndpointConfig::for_addr(
        "192.0.2.1:5060".parse().expect("literal"),
    ));
    let mut pending = Vec::new();
    for (op, payload) in records(data) {
        match op % 6 {
            p @ 0..=3 => {
                let peer = Peer::udp(format!("192.0.2.{}:5060", 10 + p).parse().expect("literal"));
                ep.handle_input(now, peer, payload.to_vec());
            }
            4 => {
                let step = u64::from(payload.first().copied().unwrap_or(1));
                now += Duration::from_millis(100 * step);
                ep.handle_timeout(now);
            }
            _ => {
                let code = 100 + u16::from(payload.first().copied().unwrap_or(100)) % 600;
                let status = StatusCode::new(code).unwrap_or(StatusCode::OK);
                for (id, req) in pending.drain(..) {
                    let r = Response::from_request(&req, status);
                    let _ = ep.send_response(now, id, &r);
                }
            }
        }
        while ep.poll_transmit().is_some() {}
        while let Some(ev) = ep.poll_event() {
            if let Event::Request {
                transaction,
                request,
                ..
            } = ev
            {
                if pending.len() < 16 {
                    pending.push((transaction, request));
                }
            }
        }
        if let Some(t) = ep.poll_timeout() {
            assert!(
                t + Duration::from_secs(600) > now,
                "a deadline left far behind"
            );
        }
    }
}

/// Drives a subscriber with arbitrary NOTIFYs and responses: opcode even
/// hands the payload in as a message, odd moves the clock by payload x 1 s.
pub fn subscriber(data: &[u8]) {
    let mut now = origin();
    let sub_text = b"SUBSCRIBE sip:bob@b.example SIP/2.0\r\nFrom: <sip:a@a.example>;tag=1\r\n\
To: <sip:bob@b.example>\r\nCall-ID: c1\r\nCSeq: 1 SUBSCRIBE\r\nEvent: presence\r\n\
Expires: 600\r\nContact: <sip:a@192.0.2.1>\r\nContent-Length: 0\r\n\r\n";
    let Ok(Message::Request(req)) = Message::parse_datagram(&sub_text[..], &Limits::default())
    else {
        return;
    };
    let Ok(mut sub) = Subscriber::new(now, req, SubscriptionConfig::default()) else {
        return;
    };
    for (op, payload) in records(data) {
        if op % 2 == 0 {
            match Message::parse_datagram(payload.to_vec(), &Limits::default()) {
                Ok(Message::Request(r)) => {
                    let _ = sub.handle_notify(now, &r);
                }
                Ok(Message::Response(r)) => {
                    let _ = sub.handle_response(now, &r);
                }
                Err(_) => {}
            }
        } else {
            now += Duration::from_secs(u64::from(payload.first().copied().unwrap_or(1)));
            let _ = sub.handle_timeout(now);
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn smoke() {
        let notify = b"NOTIFY sip:a@192.0.2.1 SIP/2.0\r\nFrom: <sip:bob@b.example>;tag=9\r\n\
To: <sip:a@a.example>;tag=1\r\nCall-ID: c1\r\nCSeq: 1 NOTIFY\r\nEvent: presence\r\n\
Subscription-State: active;expires=60\r\nContact: <sip:bob@192.0.2.2>\r\nContent-Length: 0\r\n\r\n";
        let mut data = vec![0u8, notify.len().min(255) as u8];
        data.extend_from_slice(&notify[..notify.len().min(255)]);
        data.extend_from_slice(&[1, 1, 200]);
        super::subscriber(&data);
        super::endpoint(&data);
    }
}
