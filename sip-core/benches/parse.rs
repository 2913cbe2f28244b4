//! Parsing throughput against rsip (same bytes) and httparse (an HTTP copy:
//! same headers, HTTP start line), in one group per message so ratios come
//! from one run.
//!
//! `cargo bench -p sip-core --bench parse -- --warm-up-time 1 --measurement-time 3`
//!
//! For instruction counts, which do not depend on the machine's load, the
//! same binary runs one case in a loop when `SIP_BENCH_LOOP` is set to
//! `MESSAGE:WHAT:N` (MESSAGE `invite`, `200ok` or `notify-pidf`; WHAT
//! `parse`, `typed`, `rsip`, `rsip-typed` or `httparse`):
//!
//! ```text
//! SIP_BENCH_LOOP=invite:typed:10000 valgrind --tool=callgrind target/release/deps/parse-*
//! ```
//!
//! Instructions per iteration are the difference between two such runs
//! (N and 2N) divided by N, so the set-up cost cancels out.

// criterion_group! generates an undocumented function.
#![allow(missing_docs)]

use criterion::{black_box, criterion_group, BenchmarkId, Criterion, Throughput};
use rsip::prelude::*;
use sip_core::header::{CSeq, CallId, From, To, Via};
use sip_core::{Limits, Message};

/// A 142-byte SDP offer, so the RFC 3261 24.2 F1 INVITE's Content-Length
/// matches.
fn sdp(len: usize) -> Vec<u8> {
    let base = b"v=0\r\no=alice 2890844526 2890844526 IN IP4 pc33.atlanta.com\r\ns=-\r\nc=IN IP4 pc33.atlanta.com\r\nt=0 0\r\nm=audio 49172 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n";
    let mut v = base.to_vec();
    v.resize(len, b'x');
    v
}

fn invite() -> Vec<u8> {
    let mut m = testkit::vector("sip/examples/rfc3261-24.2-F1.dat");
    m.extend_from_slice(&sdp(142));
    m
}

/// RFC 3261 24.2 F9 (200 OK to the INVITE) with its Via folds joined (rsip
/// refuses folded lines) and a 131-byte SDP body.
fn ok200() -> Vec<u8> {
    let raw = testkit::vector("sip/examples/rfc3261-24.2-F9.dat");
    let text = String::from_utf8(raw).unwrap().replace("\r\n ;", ";");
    let mut m = text.into_bytes();
    m.extend_from_slice(&sdp(131));
    m
}

fn notify() -> Vec<u8> {
    let mut pidf = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<presence xmlns=\"urn:ietf:params:xml:ns:pidf\" entity=\"pres:bob@biloxi.com\">\n",
    );
    let mut i = 0;
    while pidf.len() < 1450 {
        pidf.push_str(&format!(
            "  <tuple id=\"t{i}\"><status><basic>open</basic></status><contact priority=\"0.8\">sip:bob@pc{i}.biloxi.com</contact></tuple>\n"
        ));
        i += 1;
    }
    pidf.push_str("</presence>\n");
    let head = format!(
        "NOTIFY sip:alice@pc33.atlanta.com SIP/2.0\r\n\
Via: SIP/2.0/TCP pres.biloxi.com;branch=z9hG4bK776sgdkse\r\n\
Max-Forwards: 70\r\n\
To: <sip:alice@atlanta.com>;tag=31415\r\n\
From: <sip:bob@biloxi.com>;tag=ffd2\r\n\
Call-ID: 3848276298220188511@atlanta.com\r\n\
CSeq: 2 NOTIFY\r\n\
Contact: <sip:pres.biloxi.com;transport=tcp>\r\n\
Event: presence\r\n\
Subscription-State: active;expires=3599\r\n\
Content-Type: application/pidf+xml\r\n\
Content-Length: {}\r\n\r\n",
        pidf.len()
    );
    let mut m = head.into_bytes();
    m.extend_from_slice(pidf.as_bytes());
    m
}

/// The same message with an HTTP start line.
fn http_copy(sip: &[u8]) -> Vec<u8> {
    let nl = sip.iter().position(|&b| b == b'\n').unwrap();
    let start = if sip.starts_with(b"SIP/") {
        &b"HTTP/1.1 200 OK\r\n"[..]
    } else {
        &b"POST /sip HTTP/1.1\r\n"[..]
    };
    let mut v = start.to_vec();
    v.extend_from_slice(&sip[nl + 1..]);
    v
}

fn httparse_parse(buf: &[u8]) -> usize {
    let mut headers = [httparse::EMPTY_HEADER; 32];
    if buf.starts_with(b"HTTP/") {
        let mut r = httparse::Response::new(&mut headers);
        match r.parse(buf).unwrap() {
            httparse::Status::Complete(n) => n,
            httparse::Status::Partial => 0,
        }
    } else {
        let mut r = httparse::Request::new(&mut headers);
        match r.parse(buf).unwrap() {
            httparse::Status::Complete(n) => n,
            httparse::Status::Partial => 0,
        }
    }
}

fn ours_typed(m: &Message) -> (Via, From, To, CSeq, CallId) {
    let h = m.headers();
    (
        h.typed::<Via>().unwrap().unwrap(),
        h.typed::<From>().unwrap().unwrap(),
        h.typed::<To>().unwrap().unwrap(),
        h.typed::<CSeq>().unwrap().unwrap(),
        h.typed::<CallId>().unwrap().unwrap(),
    )
}

fn rsip_typed(m: &rsip::SipMessage) -> usize {
    let via = m.via_header().unwrap().typed().unwrap();
    let from = m.from_header().unwrap().typed().unwrap();
    let to = m.to_header().unwrap().typed().unwrap();
    let cseq = m.cseq_header().unwrap().typed().unwrap();
    let call_id = m.call_id_header().unwrap().value().len();
    black_box((&via, &from, &to, &cseq));
    call_id
}

fn bench(c: &mut Criterion) {
    let limits = Limits::default();
    for (name, msg) in [
        ("invite", invite()),
        ("200ok", ok200()),
        ("notify-pidf", notify()),
    ] {
        let bytes = bytes::Bytes::from(msg.clone());
        // Sanity: every parser accepts the input.
        Message::parse_datagram(bytes.clone(), &limits).unwrap();
        rsip::SipMessage::try_from(&msg[..]).unwrap();
        let http = http_copy(&msg);
        assert!(httparse_parse(&http) > 0);

        let mut g = c.benchmark_group(name);
        g.throughput(Throughput::Bytes(msg.len() as u64));
        g.bench_function(BenchmarkId::new("parse", "sip-core"), |b| {
            b.iter(|| Message::parse_datagram(black_box(bytes.clone()), &limits).unwrap())
        });
        g.bench_function(BenchmarkId::new("parse", "rsip"), |b| {
            b.iter(|| rsip::SipMessage::try_from(black_box(&msg[..])).unwrap())
        });
        g.bench_function(BenchmarkId::new("parse", "httparse"), |b| {
            b.iter(|| httparse_parse(black_box(&http)))
        });
        g.bench_function(BenchmarkId::new("parse+typed", "sip-core"), |b| {
            b.iter(|| {
                let m = Message::parse_datagram(black_box(bytes.clone()), &limits).unwrap();
                ours_typed(&m)
            })
        });
        g.bench_function(BenchmarkId::new("parse+typed", "rsip"), |b| {
            b.iter(|| {
                let m = rsip::SipMessage::try_from(black_box(&msg[..])).unwrap();
                rsip_typed(&m)
            })
        });
        let parsed = Message::parse_datagram(bytes.clone(), &limits).unwrap();
        let rparsed = rsip::SipMessage::try_from(&msg[..]).unwrap();
        g.bench_function(BenchmarkId::new("serialize", "sip-core"), |b| {
            b.iter(|| black_box(&parsed).to_bytes())
        });
        g.bench_function(BenchmarkId::new("serialize", "rsip"), |b| {
            b.iter(|| black_box(&rparsed).to_string())
        });
        g.finish();
    }
}

/// Runs one case `n` times (see the crate doc); `None` when the variable
/// is not set.
fn loop_mode() -> Option<()> {
    let spec = std::env::var("SIP_BENCH_LOOP").ok()?;
    let mut parts = spec.split(':');
    let (name, what, n) = (parts.next()?, parts.next()?, parts.next()?);
    let n: usize = n.parse().expect("SIP_BENCH_LOOP=MESSAGE:WHAT:N");
    let msg = match name {
        "invite" => invite(),
        "200ok" => ok200(),
        "notify-pidf" => notify(),
        other => panic!("unknown message {other}"),
    };
    let limits = Limits::default();
    let bytes = bytes::Bytes::from(msg.clone());
    let http = http_copy(&msg);
    for _ in 0..n {
        match what {
            "parse" => {
                black_box(Message::parse_datagram(black_box(bytes.clone()), &limits).unwrap());
            }
            "typed" => {
                let m = Message::parse_datagram(black_box(bytes.clone()), &limits).unwrap();
                black_box(ours_typed(&m));
            }
            "rsip" => {
                black_box(rsip::SipMessage::try_from(black_box(&msg[..])).unwrap());
            }
            "rsip-typed" => {
                let m = rsip::SipMessage::try_from(black_box(&msg[..])).unwrap();
                black_box(rsip_typed(&m));
            }
            "httparse" => {
                black_box(httparse_parse(black_box(&http)));
            }
            other => panic!("unknown case {other}"),
        }
    }
    Some(())
}

criterion_group!(benches, bench);

fn main() {
    if loop_mode().is_some() {
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
