//! Endpoint benchmark: memory per open non-INVITE transaction and per idle
//! subscription with 100,000 of each (counted by a counting global
//! allocator), and time per message through two endpoints.
//!
//! Run: `cargo bench -p sip-core --bench endpoint -- --warm-up-time 1 --measurement-time 3`

use criterion::{Criterion, Throughput};
use sip_core::endpoint::{Endpoint, EndpointConfig, Event, Peer};
use sip_core::header::{CSeq, CallId, ContentType, Expires, From, MaxForwards, MediaType, To};
use sip_core::subscription::{
    Notifier, NotifierState, NotifyOutcome, Subscriber, SubscriptionConfig,
};
use sip_core::{HeaderName, Method, NameAddr, Request, RequestBuilder, Response, StatusCode, Uri};
use stats_alloc::{Region, StatsAlloc, INSTRUMENTED_SYSTEM};
use std::alloc::System;
use std::hint::black_box;
use std::time::{Duration, Instant};
use testkit::alloc::net_bytes;

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

const N: usize = 100_000;

fn uri(s: &str) -> Uri {
    Uri::parse_str(s).unwrap()
}

fn message(ep: &mut Endpoint, i: usize) -> Request {
    let tag = ep.new_tag();
    let call_id = ep.new_call_id();
    let text = ContentType(MediaType::new("text", "plain").unwrap());
    RequestBuilder::new(
        Method::MESSAGE,
        uri(&format!("sip:user{i}@biloxi.example.com")),
    )
    .typed(&MaxForwards(70))
    .typed(
        &From::new(NameAddr::new(uri("sip:alice@atlanta.example.com")))
            .with_tag(&tag)
            .unwrap(),
    )
    .typed(&To::new(NameAddr::new(uri(&format!(
        "sip:user{i}@biloxi.example.com"
    )))))
    .typed(&CallId(call_id.into()))
    .typed(&CSeq {
        seq: 1,
        method: Method::MESSAGE,
    })
    .body(
        &text,
        "Hello, this is a pager-mode instant message of ordinary size.",
    )
    .build()
}

fn endpoints() -> (Endpoint, Endpoint, Peer, Peer) {
    let a: std::net::SocketAddr = "192.0.2.1:5060".parse().unwrap();
    let b: std::net::SocketAddr = "192.0.2.2:5060".parse().unwrap();
    let mut ca = EndpointConfig::for_addr(a);
    ca.seed = 1;
    let mut cb = EndpointConfig::for_addr(b);
    cb.seed = 2;
    (
        Endpoint::new(ca),
        Endpoint::new(cb),
        Peer::udp(a),
        Peer::udp(b),
    )
}

#[allow(clippy::disallowed_methods)]
fn origin() -> Instant {
    Instant::now()
}

fn memory_report() {
    let now = origin();
    let (mut a, mut b, pa, pb) = endpoints();
    // The requests are consumed by send_request: count their heap so that
    // what they free is not taken off the transactions' share.
    let region = Region::new(GLOBAL);
    let reqs: Vec<Request> = (0..N).map(|i| message(&mut a, i)).collect();
    let reqs_heap = net_bytes(&region);
    let wire_len = {
        let mut r = reqs[0].clone();
        r.headers_mut().prepend(
            HeaderName::VIA,
            "SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK0123456789abcdef;rport",
        );
        r.to_bytes().len()
    };

    // Client side: 100,000 open non-INVITE transactions (Trying).
    let region = Region::new(GLOBAL);
    let mut wire = Vec::with_capacity(N);
    for r in reqs {
        a.send_request(now, r, pb).unwrap();
        wire.push(a.poll_transmit().unwrap().contents);
    }
    let _ = a.poll_timeout();
    let held_by_wire = wire.len() * std::mem::size_of::<bytes::Bytes>();
    let client = net_bytes(&region) + reqs_heap - held_by_wire as i64;
    println!(
        "open client non-INVITE transactions: {N}, {} bytes each (request on the wire {wire_len} bytes)",
        client / N as i64
    );

    // Server side: the same requests received and answered (Completed,
    // waiting out Timer J with the response kept for retransmission).
    let region = Region::new(GLOBAL);
    let mut answered = 0usize;
    for d in &wire {
        b.handle_input(now, pa, d.clone());
        while let Some(ev) = b.poll_event() {
            if let Event::Request {
                transaction,
                request,
                ..
            } = ev
            {
                let mut r = Response::from_request(&request, StatusCode::OK);
                r.set_to_tag("srv");
                b.send_response(now, transaction, &r).unwrap();
                answered += 1;
            }
        }
        while b.poll_transmit().is_some() {}
    }
    let _ = b.poll_timeout();
    // The received datagrams stay alive in `wire` (shared with the
    // server's parse only while it runs), so this counts the server's own.
    let server = net_bytes(&region);
    println!(
        "open server non-INVITE transactions (Completed): {answered}, {} bytes each",
        server / answered as i64
    );
    drop(wire);

    // 100,000 idle subscriptions on each side, after the first NOTIFY and
    // after Timer N (the initial request is then dropped). Each machine's
    // heap is counted in a region of its own; fixtures are built outside.
    let cfg = SubscriptionConfig::default();
    let fixture = |a: &mut Endpoint, i: usize| {
        let tag = a.new_tag();
        let call_id = a.new_call_id();
        let build = || {
            RequestBuilder::new(
                Method::SUBSCRIBE,
                uri(&format!("sip:user{i}@biloxi.example.com")),
            )
            .typed(&MaxForwards(70))
            .typed(
                &From::new(NameAddr::new(uri("sip:alice@atlanta.example.com")))
                    .with_tag(&tag)
                    .unwrap(),
            )
            .typed(&To::new(NameAddr::new(uri(&format!(
                "sip:user{i}@biloxi.example.com"
            )))))
            .typed(&CallId(call_id.clone().into()))
            .typed(&CSeq {
                seq: 1,
                method: Method::SUBSCRIBE,
            })
            .header(HeaderName::EVENT, "presence")
            .typed(&Expires(3600))
            .header(HeaderName::CONTACT, "<sip:alice@192.0.2.1:5060>")
            .build()
        };
        // Two independent copies: a clone would share buffers, and what
        // the subscriber frees would then not match what it took.
        let r = Region::new(GLOBAL);
        let req = build();
        let req_heap = net_bytes(&r);
        let mut received = build();
        received.headers_mut().prepend(
            HeaderName::VIA,
            "SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKabc",
        );
        let mut ok = Response::from_request(&received, StatusCode::OK);
        ok.set_to_tag(&format!("n{i}"));
        ok.headers_mut()
            .push(HeaderName::CONTACT, "<sip:pa@192.0.2.2:5060>");
        (req, req_heap, received, ok)
    };
    let mut subs = Vec::with_capacity(N);
    let mut notifiers = Vec::with_capacity(N);
    let (mut sub_heap, mut notifier_heap) = (0i64, 0i64);
    for i in 0..N {
        let (req, req_heap, received, mut ok) = fixture(&mut a, i);
        let r = Region::new(GLOBAL);
        let mut n = Notifier::accept(now, &received, &mut ok, NotifierState::Active, &cfg).unwrap();
        let notify = n.initial_notify(now).unwrap();
        let with_notify = net_bytes(&r);
        let r = Region::new(GLOBAL);
        let mut sub = Subscriber::new(now, req, cfg).unwrap();
        sub.handle_response(now, &ok);
        match sub.handle_notify(now, &notify) {
            NotifyOutcome::Accepted { .. } => {}
            other => panic!("{other:?}"),
        }
        sub.handle_timeout(now + Duration::from_secs(33));
        // The subscriber took `req` (built outside) and dropped it after
        // Timer N: add its heap back.
        sub_heap += net_bytes(&r) + req_heap;
        // The NOTIFY is the notifier's output, not its state.
        let r = Region::new(GLOBAL);
        drop(notify);
        notifier_heap += with_notify + net_bytes(&r);
        subs.push(sub);
        notifiers.push(n);
        drop((received, ok));
    }
    println!(
        "idle subscriptions: {N} subscribers at {} bytes each ({} inline + heap), {N} notifiers at {} bytes each ({} inline + heap)",
        sub_heap / N as i64 + std::mem::size_of::<Subscriber>() as i64,
        std::mem::size_of::<Subscriber>(),
        notifier_heap / N as i64 + std::mem::size_of::<Notifier>() as i64,
        std::mem::size_of::<Notifier>(),
    );
    black_box((&subs, &notifiers, &a, &b));
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("endpoint");
    // One non-INVITE transaction through both endpoints: request sent,
    // parsed, matched, answered, response parsed and matched (2 messages).
    let (mut a, mut b, pa, pb) = endpoints();
    let proto = message(&mut a, 1);
    let len = proto.to_bytes().len();
    g.throughput(Throughput::Bytes(2 * len as u64));
    let mut now = origin();
    let mut n = 0u32;
    g.bench_function("non_invite_transaction", |bench| {
        bench.iter(|| {
            n = n.wrapping_add(1);
            let mut r = proto.clone();
            r.headers_mut().set_typed(&CSeq {
                seq: n,
                method: Method::MESSAGE,
            });
            a.send_request(now, r, pb).unwrap();
            let t = a.poll_transmit().unwrap();
            b.handle_input(now, pa, t.contents);
            if let Some(Event::Request {
                transaction,
                request,
                ..
            }) = b.poll_event()
            {
                let mut resp = Response::from_request(&request, StatusCode::OK);
                resp.set_to_tag("srv");
                b.send_response(now, transaction, &resp).unwrap();
            }
            let t = b.poll_transmit().unwrap();
            a.handle_input(now, pb, t.contents);
            black_box(a.poll_event());
            // 1 ms of simulated time per transaction: Timers J and K keep
            // about 32,000 and 5,000 transactions open in steady state.
            now += Duration::from_millis(1);
            a.handle_timeout(now);
            b.handle_timeout(now);
        })
    });
    // A retransmitted request absorbed by its server transaction.
    let (mut a, mut b, pa, pb) = endpoints();
    let r = message(&mut a, 2);
    a.send_request(now, r, pb).unwrap();
    let wire = a.poll_transmit().unwrap().contents;
    b.handle_input(now, pa, wire.clone());
    let Some(Event::Request {
        transaction,
        request,
        ..
    }) = b.poll_event()
    else {
        panic!()
    };
    b.send_response(
        now,
        transaction,
        &Response::from_request(&request, StatusCode::OK),
    )
    .unwrap();
    while b.poll_transmit().is_some() {}
    g.throughput(Throughput::Bytes(wire.len() as u64));
    g.bench_function("absorb_retransmission", |bench| {
        bench.iter(|| {
            b.handle_input(now, pa, wire.clone());
            black_box(b.poll_transmit());
        })
    });
    g.finish();
}

fn main() {
    memory_report();
    let mut c = Criterion::default().configure_from_args();
    bench(&mut c);
    c.final_summary();
}
