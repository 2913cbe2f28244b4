//! Parsing throughput against rsip (same bytes) and httparse (an HTTP copy:
//! same headers, HTTP start line), in one group per message so ratios come
//! from one run.
//!
//! `cargo bench -p sip-core --bench parse -- --warm-up-time 1 --measurement-time 3`
//!
//! For instruction counts, which do not depend on the machine's load, the
//! same binary runs one case in a loop when `SIP_BENCH_LOOP` is set to
//! `MESSAGE:WHAT:N` (MESSAGE `invite`, `200ok` or `notify-pidf`; WHAT
//! `parse`, `typed`, `rsip`, `rsip-typed`, `httparse` or `head`, the
//! borrowed framing tier `sip_core::parse::parse_head`):
//!
//! ```text
//! SIP_BENCH_LOOP=invite:typed:10000 valgrind --tool=callgrind target/release/deps/parse-*
//! ```
//!
//! Instructions per iteration are the difference between two such runs
//! (N and 2N) divided by N, so the set-up cost cancels out.
//!
//! For time ratios steadier than those of separate criterion runs on a
//! shared host, `SIP_BENCH_RATIO=ROUNDS` times every case of a message in
//! alternation, in one process, and prints each case's fastest round and
//! its ratio to the reference (see `testkit::interleave`):
//!
//! ```text
//! SIP_BENCH_RATIO=30 cargo bench -p sip-core --bench parse
//! ```

// criterion_group! generates an undocumented function.
#![allow(missing_docs)]

mod common;

use common::{invite, notify, ok200, ours_typed, rsip_typed};
use criterion::{black_box, criterion_group, BenchmarkId, Criterion, Throughput};
use sip_core::{Limits, Message};

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

/// The borrowed framing tier (`sip_core::parse::parse_head`), httparse's
/// shape: start line and header lines as slices of the buffer, nothing
/// owned. What a proxy's fast rejection or a stream framer reads.
fn head_parse(buf: &[u8]) -> usize {
    let mut headers = [sip_core::parse::RawHeader::default(); 32];
    match sip_core::parse::parse_head(buf, &mut headers, &Limits::default()).unwrap() {
        sip_core::Status::Complete(h) => h.head_len,
        sip_core::Status::Partial => 0,
    }
}

fn bench(c: &mut Criterion) {
    let limits = Limits::default();
    for (name, msg) in common::messages() {
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
        g.bench_function(BenchmarkId::new("parse", "sip-core parse_head"), |b| {
            b.iter(|| head_parse(black_box(&msg)))
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
            "head" => {
                black_box(head_parse(black_box(&msg)));
            }
            other => panic!("unknown case {other}"),
        }
    }
    Some(())
}

/// Times each message's cases in alternation (see the crate doc); `None`
/// when the variable is not set.
fn ratio_mode() -> Option<()> {
    use testkit::interleave::{interleave, print, Case};
    let rounds: usize = std::env::var("SIP_BENCH_RATIO")
        .ok()?
        .parse()
        .expect("SIP_BENCH_RATIO=ROUNDS");
    let limits = Limits::default();
    for (name, msg) in common::messages() {
        let bytes = bytes::Bytes::from(msg.clone());
        let http = http_copy(&msg);
        let parsed = Message::parse_datagram(bytes.clone(), &limits).unwrap();
        let rparsed = rsip::SipMessage::try_from(&msg[..]).unwrap();
        let mut parse: Vec<Case<'_>> = vec![
            (
                "sip-core",
                Box::new(|| {
                    black_box(Message::parse_datagram(black_box(bytes.clone()), &limits).unwrap());
                }),
            ),
            (
                "rsip",
                Box::new(|| {
                    black_box(rsip::SipMessage::try_from(black_box(&msg[..])).unwrap());
                }),
            ),
            (
                "httparse",
                Box::new(|| {
                    black_box(httparse_parse(black_box(&http)));
                }),
            ),
            (
                "parse_head (borrowed)",
                Box::new(|| {
                    black_box(head_parse(black_box(&msg)));
                }),
            ),
        ];
        let t = interleave(&mut parse, rounds, 2_000);
        print(&format!("{name}/parse"), &t, "sip-core");
        let mut typed: Vec<Case<'_>> = vec![
            (
                "sip-core",
                Box::new(|| {
                    let m = Message::parse_datagram(black_box(bytes.clone()), &limits).unwrap();
                    black_box(ours_typed(&m));
                }),
            ),
            (
                "rsip",
                Box::new(|| {
                    let m = rsip::SipMessage::try_from(black_box(&msg[..])).unwrap();
                    black_box(rsip_typed(&m));
                }),
            ),
        ];
        let t = interleave(&mut typed, rounds, 1_000);
        print(&format!("{name}/parse+typed"), &t, "sip-core");
        let mut serialize: Vec<Case<'_>> = vec![
            (
                "sip-core",
                Box::new(|| {
                    black_box(black_box(&parsed).to_bytes());
                }),
            ),
            (
                "rsip",
                Box::new(|| {
                    black_box(black_box(&rparsed).to_string());
                }),
            ),
        ];
        let t = interleave(&mut serialize, rounds, 2_000);
        print(&format!("{name}/serialize"), &t, "sip-core");
    }
    Some(())
}

criterion_group!(benches, bench);

fn main() {
    if loop_mode().is_some() || ratio_mode().is_some() {
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
