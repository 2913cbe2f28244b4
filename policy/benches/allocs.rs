//! Allocations per parse, counted by a counting global allocator: the
//! `views` bench's rule set (same builder, `benches/common`) and the RFC
//! 5025 example pres-rules of the shared corpus, each parsed by
//! `RuleSet::parse`, into the generic `pidf::xml` tree and by a bare
//! quick-xml event loop (the floor). Each case runs once to warm up, then
//! `n` times inside a counting region; the figures are the totals divided
//! by `n`, exact and the same on every run.
//!
//! `cargo bench -p policy --bench allocs`

mod common;

use common::{floor, rules_doc};
use criterion::black_box;
use pidf::xml::{Document, Limits};
use policy::RuleSet;
use std::alloc::System;
use testkit::alloc::{group, per_call, StatsAlloc, Table, INSTRUMENTED_SYSTEM};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

fn main() {
    let mut t = Table::new(
        "policy: allocations per parse (average of 100 parses of the bench rule set, 1,000 of the RFC 5025 example)",
    );
    for (name, doc, n) in [
        (
            "bench rule set, 5 rules, 2,350 identities",
            rules_doc().into_bytes(),
            100,
        ),
        (
            "RFC 5025 example pres-rules, `5025-1.xml`",
            testkit::vector("policy/5025-1.xml"),
            1_000,
        ),
    ] {
        let input = format!("{name} ({} bytes)", group(doc.len()));
        t.row(
            &input,
            "`RuleSet::parse` (typed)",
            per_call(GLOBAL, n, || {
                black_box(RuleSet::parse(black_box(&doc)).expect("parses"));
            }),
        );
        t.row(
            &input,
            "`pidf::xml::Document::parse` (generic tree)",
            per_call(GLOBAL, n, || {
                black_box(Document::parse(black_box(&doc), &Limits::default()).expect("parses"));
            }),
        );
        t.row(
            &input,
            "quick-xml `read_event` loop (floor, reference)",
            per_call(GLOBAL, n, || {
                black_box(floor(black_box(&doc)));
            }),
        );
    }
    t.print();
}
