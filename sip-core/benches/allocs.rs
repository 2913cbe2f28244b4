//! Allocations per parse, counted by a counting global allocator, on the
//! messages of the `parse` bench (same builders, `benches/common`): parse
//! alone and parse plus the five typed reads, for sip-core and for rsip on
//! the same bytes. Each case runs once to warm up, then [`N`] times inside
//! a counting region; the figures are the totals divided by [`N`], exact
//! and the same on every run.
//!
//! `cargo bench -p sip-core --bench allocs`

mod common;

use common::{ours_typed, rsip_typed};
use criterion::black_box;
use sip_core::{Limits, Message};
use std::alloc::System;
use testkit::alloc::{group, per_call, StatsAlloc, Table, INSTRUMENTED_SYSTEM};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// Parses per case.
const N: usize = 1_000;

fn main() {
    let limits = Limits::default();
    let mut t = Table::new(&format!(
        "sip-core: allocations per parse (average of {N} parses)"
    ));
    for (name, msg) in common::messages() {
        let input = format!("{name} ({} bytes)", group(msg.len()));
        let bytes = bytes::Bytes::from(msg.clone());
        t.row(
            &input,
            "sip-core `Message::parse_datagram`",
            per_call(GLOBAL, N, || {
                black_box(Message::parse_datagram(black_box(bytes.clone()), &limits).unwrap());
            }),
        );
        t.row(
            &input,
            "sip-core parse + typed Via, From, To, CSeq, Call-ID",
            per_call(GLOBAL, N, || {
                let m = Message::parse_datagram(black_box(bytes.clone()), &limits).unwrap();
                black_box(ours_typed(&m));
            }),
        );
        t.row(
            &input,
            "rsip `SipMessage::try_from` (reference)",
            per_call(GLOBAL, N, || {
                black_box(rsip::SipMessage::try_from(black_box(&msg[..])).unwrap());
            }),
        );
        t.row(
            &input,
            "rsip parse + the same five `typed()` (reference)",
            per_call(GLOBAL, N, || {
                let m = rsip::SipMessage::try_from(black_box(&msg[..])).unwrap();
                black_box(rsip_typed(&m));
            }),
        );
    }
    t.print();
}
