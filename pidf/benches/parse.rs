//! Parse and serialize a 10-tuple RPID document (about 5.5 KB), next to the
//! floor (a bare quick-xml `read_event` loop over the same bytes),
//! quick-xml's namespace-resolving reader over them (`NsReader`, nothing
//! kept: what binding names to namespace URIs costs on its own) and
//! roxmltree building a DOM of it.
//!
//! For instruction counts, which do not depend on the machine's load, the
//! same binary runs one case in a loop when `PIDF_BENCH_LOOP` is set to
//! `WHAT:N` (WHAT `floor`, `ns-floor`, `roxmltree`, `tree`, `typed` or `write`):
//!
//! ```text
//! PIDF_BENCH_LOOP=typed:1000 valgrind --tool=callgrind target/release/deps/parse-*
//! ```
//!
//! Instructions per iteration are the difference between two such runs
//! (N and 2N) divided by N.
//!
//! For time ratios steadier than those of separate criterion runs on a
//! shared host, `PIDF_BENCH_RATIO=ROUNDS` times the parses and the write
//! in alternation, in one process, and prints each one's fastest round
//! and its ratio to the floor and to roxmltree (see `testkit::interleave`):
//!
//! ```text
//! PIDF_BENCH_RATIO=30 cargo bench -p pidf --bench parse
//! ```
#![allow(missing_docs)] // criterion_group! generates undocumented items

mod common;

use common::{dom, floor, ns_floor, DOC};
use criterion::{black_box, criterion_group, Criterion, Throughput};

fn parse(c: &mut Criterion) {
    let mut g = c.benchmark_group("pidf_parse");
    g.throughput(Throughput::Bytes(DOC.len() as u64));
    g.bench_function("quick_xml_read_event_loop", |b| {
        b.iter(|| floor(black_box(DOC)))
    });
    g.bench_function("quick_xml_ns_reader_loop", |b| {
        b.iter(|| ns_floor(black_box(DOC)))
    });
    g.bench_function("roxmltree_dom", |b| b.iter(|| dom(black_box(DOC))));
    g.bench_function("pidf_xml_tree", |b| {
        b.iter(|| pidf::xml::Document::parse(black_box(DOC), &pidf::xml::Limits::default()))
    });
    g.bench_function("pidf_presence_typed", |b| {
        b.iter(|| pidf::Presence::parse(black_box(DOC)))
    });
    g.finish();
}

fn serialize(c: &mut Criterion) {
    let doc = pidf::Presence::parse(DOC).expect("bench document parses");
    let mut g = c.benchmark_group("pidf_serialize");
    g.throughput(Throughput::Bytes(DOC.len() as u64));
    let mut out = Vec::with_capacity(8192);
    g.bench_function("pidf_presence_write", |b| {
        b.iter(|| {
            out.clear();
            black_box(&doc).write(&mut out);
            out.len()
        })
    });
    g.finish();
}

fn partial(c: &mut Criterion) {
    let old = pidf::Presence::parse(DOC).expect("bench document parses");
    let mut new = old.clone();
    new.tuples[3].status.basic = Some(pidf::Basic::Open);
    new.tuples[7].notes[0].text = "changed".into();
    let d = pidf::partial::diff(&old, &new, Some(2));
    let mut g = c.benchmark_group("pidf_partial");
    g.throughput(Throughput::Bytes(DOC.len() as u64));
    g.bench_function("diff", |b| {
        b.iter(|| pidf::partial::diff(black_box(&old), black_box(&new), Some(2)))
    });
    g.bench_function("apply", |b| b.iter(|| black_box(&d).apply(black_box(&old))));
    g.finish();
}

/// Runs one case `n` times (see the crate doc); `None` when the variable
/// is not set.
fn loop_mode() -> Option<()> {
    let spec = std::env::var("PIDF_BENCH_LOOP").ok()?;
    let (what, n) = spec.split_once(':')?;
    let n: usize = n.parse().expect("PIDF_BENCH_LOOP=WHAT:N");
    let parsed = pidf::Presence::parse(DOC).expect("bench document parses");
    let mut out = Vec::with_capacity(8192);
    for _ in 0..n {
        match what {
            "floor" => {
                black_box(floor(black_box(DOC)));
            }
            "ns-floor" => {
                black_box(ns_floor(black_box(DOC)));
            }
            "roxmltree" => {
                black_box(dom(black_box(DOC)));
            }
            "tree" => {
                let _ = black_box(pidf::xml::Document::parse(
                    black_box(DOC),
                    &pidf::xml::Limits::default(),
                ));
            }
            "typed" => {
                let _ = black_box(pidf::Presence::parse(black_box(DOC)));
            }
            "write" => {
                out.clear();
                black_box(&parsed).write(&mut out);
            }
            other => panic!("unknown case {other}"),
        }
    }
    Some(())
}

/// Times the parses and the write in alternation (see the crate doc);
/// `None` when the variable is not set.
fn ratio_mode() -> Option<()> {
    use testkit::interleave::{interleave, print, Case};
    let rounds: usize = std::env::var("PIDF_BENCH_RATIO")
        .ok()?
        .parse()
        .expect("PIDF_BENCH_RATIO=ROUNDS");
    let parsed = pidf::Presence::parse(DOC).expect("bench document parses");
    let mut out = Vec::with_capacity(8192);
    let mut cases: Vec<Case<'_>> = vec![
        (
            "quick-xml floor",
            Box::new(|| {
                black_box(floor(black_box(DOC)));
            }),
        ),
        (
            "quick-xml NsReader",
            Box::new(|| {
                black_box(ns_floor(black_box(DOC)));
            }),
        ),
        (
            "roxmltree",
            Box::new(|| {
                black_box(dom(black_box(DOC)));
            }),
        ),
        (
            "typed parse",
            Box::new(|| {
                let _ = black_box(pidf::Presence::parse(black_box(DOC)));
            }),
        ),
        (
            "generic tree",
            Box::new(|| {
                let _ = black_box(pidf::xml::Document::parse(
                    black_box(DOC),
                    &pidf::xml::Limits::default(),
                ));
            }),
        ),
        (
            "write",
            Box::new(|| {
                out.clear();
                black_box(&parsed).write(&mut out);
            }),
        ),
    ];
    let t = interleave(&mut cases, rounds, 200);
    print("rpid-10.xml", &t, "quick-xml floor");
    print("rpid-10.xml", &t, "roxmltree");
    Some(())
}

criterion_group!(benches, parse, serialize, partial);

fn main() {
    if loop_mode().is_some() || ratio_mode().is_some() {
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
