//! Allocations per parse of the `parse` bench's 10-tuple RPID document
//! (`benches/data/rpid-10.xml`), counted by a counting global allocator:
//! the quick-xml event loop (the floor), its namespace-resolving reader
//! and roxmltree as references, the
//! generic `pidf::xml` tree, the typed `Presence` parse, and
//! `Presence::write` into a reused buffer as the `parse` bench does. Each
//! case runs once to warm up, then [`N`] times inside a counting region;
//! the figures are the totals divided by [`N`], exact and the same on
//! every run.
//!
//! `cargo bench -p pidf --bench allocs`

mod common;

use common::{dom, floor, ns_floor, DOC};
use criterion::black_box;
use std::alloc::System;
use testkit::alloc::{group, per_call, StatsAlloc, Table, INSTRUMENTED_SYSTEM};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// Parses per case.
const N: usize = 1_000;

fn main() {
    let input = format!("rpid-10.xml ({} bytes)", group(DOC.len()));
    let mut t = Table::new(&format!(
        "pidf: allocations per parse (average of {N} parses)"
    ));
    t.row(
        &input,
        "quick-xml `read_event` loop (floor, reference)",
        per_call(GLOBAL, N, || {
            black_box(floor(black_box(DOC)));
        }),
    );
    t.row(
        &input,
        "quick-xml `NsReader` loop (reference)",
        per_call(GLOBAL, N, || {
            black_box(ns_floor(black_box(DOC)));
        }),
    );
    t.row(
        &input,
        "roxmltree DOM (reference)",
        per_call(GLOBAL, N, || {
            black_box(dom(black_box(DOC)));
        }),
    );
    t.row(
        &input,
        "`pidf::Presence::parse` (typed)",
        per_call(GLOBAL, N, || {
            let _ = black_box(pidf::Presence::parse(black_box(DOC)));
        }),
    );
    t.row(
        &input,
        "`pidf::xml::Document::parse` (generic tree)",
        per_call(GLOBAL, N, || {
            let _ = black_box(pidf::xml::Document::parse(
                black_box(DOC),
                &pidf::xml::Limits::default(),
            ));
        }),
    );
    let parsed = pidf::Presence::parse(DOC).expect("bench document parses");
    let mut out = Vec::with_capacity(8192);
    t.row(
        &input,
        "`Presence::write` (into a reused 8 KiB buffer)",
        per_call(GLOBAL, N, || {
            out.clear();
            black_box(&parsed).write(&mut out);
            black_box(out.len());
        }),
    );
    t.print();
}
