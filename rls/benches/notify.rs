//! RLMI notifications for a 500-member list with 1% of members (5)
//! changing per tick: the cost and size of a partial notification versus a
//! full-state one, on the server (aggregate, build, encode) and on the
//! subscriber (parse, apply).
//!
//! `cargo bench -p rls --bench notify -- --warm-up-time 1 --measurement-time 3`
//!
//! Parsing the full-state RLMI document of 500 resources has two more
//! modes, as the `pidf` parse bench has:
//!
//! - `RLS_BENCH_LOOP=WHAT:N` runs one case `N` times and nothing else
//!   (WHAT `floor`, `roxmltree`, `tree` or `typed`), for instruction
//!   counts, which do not depend on the machine's load: the difference
//!   between a run of `N` and one of `2N` under `valgrind
//!   --tool=callgrind`, divided by `N`;
//! - `RLS_BENCH_RATIO=ROUNDS` times the four in alternation, in one
//!   process, and prints each one's fastest round and its ratio to the
//!   floor and to roxmltree (see `testkit::interleave`), steadier on a
//!   shared host than separate criterion runs.

mod common;

use std::hint::black_box;

use common::{floor, rlmi_500_from, setup, subscribe, CHANGED, MEMBERS};
use criterion::{BatchSize, Criterion, Throughput};
use rls::notify::{NotifyLimits, RlmiNotification};
use rls::resource_lists::List;
use rls::rls_services::{Service, ServiceSource};
use rls::server::{ListKind, MemoryDirectory, StoredList};
use rls::view::ListView;

const WATCHERS: usize = 100;

fn bench(c: &mut Criterion) {
    let mut s = setup();
    let partial = s.tick();
    let full = s.full();
    assert_eq!(partial.resources, CHANGED);
    assert_eq!(full.resources, MEMBERS);
    eprintln!(
        "rlmi bytes per NOTIFY: partial ({CHANGED} of {MEMBERS}) = {} B, full = {} B ({:.1}x)",
        partial.body.len(),
        full.body.len(),
        full.body.len() as f64 / partial.body.len() as f64
    );

    let mut g = c.benchmark_group("rls_server_notify");
    g.throughput(Throughput::Bytes(partial.body.len() as u64));
    g.bench_function("partial_1pct_of_500", |b| {
        b.iter(|| black_box(s.tick().body.len()))
    });
    g.throughput(Throughput::Bytes(full.body.len() as u64));
    g.bench_function("full_500", |b| b.iter(|| black_box(s.full().body.len())));
    g.finish();

    // 100 watchers of the same list share the 500 back ends: one tick
    // (5 back-end NOTIFYs) fans out to 100 partial NOTIFYs.
    let mut many = setup();
    let mut dir = MemoryDirectory::default();
    let uris: Vec<String> = (0..MEMBERS)
        .map(|i| format!("sip:user{i:03}@example.com"))
        .collect();
    dir.insert(StoredList {
        kind: ListKind::Public,
        service: Service::new(
            "sip:big-list@rls.example.com",
            ServiceSource::List(List::of_uris(&uris)),
        ),
        names: Vec::new(),
    });
    for w in 1..WATCHERS {
        many.server
            .handle_subscribe(
                many.now,
                &subscribe(
                    "sip:big-list@rls.example.com",
                    format!("sip:watcher{w}@example.com"),
                ),
                &dir,
            )
            .expect("subscribe");
    }
    assert_eq!(many.server.backends(), MEMBERS, "back ends are shared");
    // The first tick aligns the watchers' throttle intervals; from then on
    // each tick is one partial NOTIFY per watcher.
    many.tick_all();
    assert_eq!(many.tick_all(), WATCHERS);
    let mut g = c.benchmark_group("rls_server_fanout");
    g.throughput(Throughput::Bytes((partial.body.len() * WATCHERS) as u64));
    g.bench_function("partial_1pct_of_500_to_100_watchers", |b| {
        b.iter(|| black_box(many.tick_all()))
    });
    g.finish();

    // The subscriber: parse the body and apply it to a table one version
    // behind.
    let limits = NotifyLimits::default();
    let base = {
        let mut v = ListView::new();
        let n = RlmiNotification::parse(&full.content_type, &full.body, &limits).expect("parse");
        v.apply(&n);
        v
    };
    let mut g = c.benchmark_group("rls_subscriber_apply");
    for (name, n) in [("partial_1pct_of_500", &partial), ("full_500", &full)] {
        g.throughput(Throughput::Bytes(n.body.len() as u64));
        g.bench_function(name, |b| {
            b.iter_batched_ref(
                || base.clone(),
                |view| {
                    let mut parsed =
                        RlmiNotification::parse(&n.content_type, &n.body, &limits).expect("parse");
                    parsed.rlmi.version = view.version().unwrap_or(0) + 1;
                    black_box(view.apply(&parsed))
                },
                BatchSize::LargeInput,
            )
        });
    }
    g.finish();

    // Parsing the full-state RLMI document (500 resources) into the typed
    // model, with roxmltree (a read-only DOM, no typed model) and a bare
    // quick-xml event loop (the floor) on the same bytes as references.
    let doc = rlmi_500_from(&full);
    let mut g = c.benchmark_group("rlmi_parse_500");
    g.throughput(Throughput::Bytes(doc.len() as u64));
    g.bench_function("quick_xml_read_event_loop", |b| {
        b.iter(|| floor(black_box(&doc)))
    });
    g.bench_function("rls_rlmi", |b| {
        b.iter(|| black_box(rls::Rlmi::parse(&doc).expect("parses").resources.len()))
    });
    g.bench_function("xml_tree_only", |b| {
        b.iter(|| {
            black_box(
                pidf::xml::Document::parse(&doc, &pidf::xml::Limits::default())
                    .expect("parses")
                    .root
                    .children
                    .len(),
            )
        })
    });
    let text = std::str::from_utf8(&doc).expect("utf-8");
    g.bench_function("roxmltree_reference", |b| {
        b.iter(|| {
            black_box(
                roxmltree::Document::parse(text)
                    .expect("parses")
                    .root_element()
                    .children()
                    .count(),
            )
        })
    });
    g.finish();
}

/// The cases of the RLMI parse, by name, for the two modes above.
fn rlmi_case<'a>(what: &str, doc: &'a [u8]) -> Box<dyn FnMut() + 'a> {
    match what {
        "floor" => Box::new(move || {
            black_box(floor(black_box(doc)));
        }),
        "roxmltree" => {
            let text = std::str::from_utf8(doc).expect("utf-8");
            Box::new(move || {
                let d = roxmltree::Document::parse(black_box(text)).expect("parses");
                black_box(d.root_element().children().count());
            })
        }
        "tree" => Box::new(move || {
            let _ = black_box(pidf::xml::Document::parse(
                black_box(doc),
                &pidf::xml::Limits::default(),
            ));
        }),
        "typed" => Box::new(move || {
            let _ = black_box(rls::Rlmi::parse(black_box(doc)));
        }),
        other => panic!("unknown case {other}"),
    }
}

/// `RLS_BENCH_LOOP` and `RLS_BENCH_RATIO` (see the crate doc); `None` when
/// neither is set.
fn parse_modes() -> Option<()> {
    let looped = std::env::var("RLS_BENCH_LOOP").ok();
    let ratio = std::env::var("RLS_BENCH_RATIO").ok();
    if looped.is_none() && ratio.is_none() {
        return None;
    }
    let mut s = setup();
    let doc = rlmi_500_from(&s.full());
    if let Some(spec) = looped {
        let (what, n) = spec.split_once(':').expect("RLS_BENCH_LOOP=WHAT:N");
        let n: usize = n.parse().expect("RLS_BENCH_LOOP=WHAT:N");
        let mut case = rlmi_case(what, &doc);
        for _ in 0..n {
            case();
        }
    }
    if let Some(rounds) = ratio {
        use testkit::interleave::{interleave, print, Case};
        let rounds: usize = rounds.parse().expect("RLS_BENCH_RATIO=ROUNDS");
        let mut cases: Vec<Case<'_>> = ["floor", "roxmltree", "tree", "typed"]
            .into_iter()
            .map(|w| (w, rlmi_case(w, &doc)))
            .collect();
        let t = interleave(&mut cases, rounds, 20);
        let title = format!("RLMI, {MEMBERS} resources ({} bytes)", doc.len());
        print(&title, &t, "floor");
        print(&title, &t, "roxmltree");
    }
    Some(())
}

// The macro's generated functions carry no docs.
#[allow(missing_docs)]
mod group {
    criterion::criterion_group!(benches, super::bench);
}

fn main() {
    if parse_modes().is_some() {
        return;
    }
    group::benches();
    Criterion::default().configure_from_args().final_summary();
}
