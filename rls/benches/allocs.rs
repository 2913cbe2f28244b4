//! Allocations per parse, counted by a counting global allocator: the
//! `notify` bench's 500-resource RLMI document (same builder,
//! `benches/common`) and the RFC 4826 resource-lists and rls-services
//! examples of the shared corpus, each parsed into the typed model, into
//! the generic `pidf::xml` tree, by roxmltree and by a bare quick-xml event
//! loop (the floor). Each case runs once to warm up, then `n` times inside
//! a counting region; the figures are the totals divided by `n`, exact and
//! the same on every run.
//!
//! `cargo bench -p rls --bench allocs`

// The set-up is shared with the `notify` bench; this one uses only part
// of it.
#[allow(dead_code)]
mod common;

use common::{floor, rlmi_500_from, setup};
use criterion::black_box;
use rls::resource_lists::ResourceLists;
use rls::rls_services::RlsServices;
use rls::Rlmi;
use std::alloc::System;
use testkit::alloc::{group, per_call, StatsAlloc, Table, INSTRUMENTED_SYSTEM};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// The references on `doc`, as rows of `t`: the generic tree, roxmltree
/// (as the `notify` bench runs it) and the floor.
fn references(t: &mut Table, input: &str, doc: &[u8], n: usize) {
    t.row(
        input,
        "`pidf::xml::Document::parse` (generic tree)",
        per_call(GLOBAL, n, || {
            black_box(
                pidf::xml::Document::parse(black_box(doc), &pidf::xml::Limits::default())
                    .expect("parses")
                    .root
                    .children
                    .len(),
            );
        }),
    );
    let text = std::str::from_utf8(doc).expect("utf-8");
    t.row(
        input,
        "roxmltree DOM (reference)",
        per_call(GLOBAL, n, || {
            black_box(
                roxmltree::Document::parse(black_box(text))
                    .expect("parses")
                    .root_element()
                    .children()
                    .count(),
            );
        }),
    );
    t.row(
        input,
        "quick-xml `read_event` loop (floor, reference)",
        per_call(GLOBAL, n, || {
            black_box(floor(black_box(doc)));
        }),
    );
}

/// The `notify` bench's 500-resource RLMI document: that of the full
/// NOTIFY following the first partial one.
fn rlmi_500() -> Vec<u8> {
    let mut s = setup();
    s.tick();
    let full = s.full();
    rlmi_500_from(&full)
}

fn main() {
    let mut t = Table::new("rls: allocations per parse (average of 100 parses of the RLMI document, 1,000 of the others)");

    let doc = rlmi_500();
    let input = format!("RLMI, 500 resources ({} bytes)", group(doc.len()));
    t.row(
        &input,
        "`rls::Rlmi::parse` (typed)",
        per_call(GLOBAL, 100, || {
            black_box(
                Rlmi::parse(black_box(&doc))
                    .expect("parses")
                    .resources
                    .len(),
            );
        }),
    );
    references(&mut t, &input, &doc, 100);

    let doc = testkit::vector("rls/4826-1.xml");
    let input = format!(
        "resource-lists, RFC 4826 3.3 (`4826-1.xml`, {} bytes)",
        group(doc.len())
    );
    t.row(
        &input,
        "`ResourceLists::parse` (typed)",
        per_call(GLOBAL, 1_000, || {
            black_box(ResourceLists::parse(black_box(&doc)).expect("parses"));
        }),
    );
    references(&mut t, &input, &doc, 1_000);

    let doc = testkit::vector("rls/4826-2.xml");
    let input = format!(
        "rls-services, RFC 4826 4.3 (`4826-2.xml`, {} bytes)",
        group(doc.len())
    );
    t.row(
        &input,
        "`RlsServices::parse` (typed)",
        per_call(GLOBAL, 1_000, || {
            black_box(RlsServices::parse(black_box(&doc)).expect("parses"));
        }),
    );
    references(&mut t, &input, &doc, 1_000);

    t.print();
}
