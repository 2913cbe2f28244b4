//! One presence update of a 20-tuple document for 10,000 and 100,000
//! watchers in a peer domain, spread over a handful of rules: time per
//! update grouped by view, against one evaluation and one copy per watcher.
//! Prints, once, the bytes that cross the link both ways. The
//! `policy_parse` group times parsing the rule set and the RFC 5025
//! example next to a quick-xml floor.
//!
//! `cargo bench -p policy --bench views -- --warm-up-time 1 --measurement-time 3 policy_parse`

// criterion_group! generates an undocumented function.
#![allow(missing_docs)]

mod common;

use common::{floor, rules_doc, PEER};
use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use pidf::xml::{Document, Limits};
use policy::{Context, DateTime, RuleSet, Watcher};

fn presence() -> Document {
    let mut s = String::from(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<presence xmlns="urn:ietf:params:xml:ns:pidf" xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model" xmlns:rpid="urn:ietf:params:xml:ns:pidf:rpid" entity="pres:alice@home.example">"#,
    );
    for i in 0..20 {
        let (class, scheme) = match i % 4 {
            0 => ("work", "sip"),
            1 => ("home", "sip"),
            2 => ("work", "mailto"),
            _ => ("other", "im"),
        };
        s += &format!(
            r#"
 <tuple id="t{i}"><status><basic>{}</basic></status><rpid:class>{class}</rpid:class><dm:deviceID>urn:uuid:00000000-0000-0000-0000-{i:012}</dm:deviceID><rpid:status-icon>http://icons.example/{i}.png</rpid:status-icon><contact priority="0.{i}">{scheme}:alice{i}@home.example</contact><note>service {i}</note><timestamp>2026-11-25T09:00:00Z</timestamp></tuple>"#,
            if i % 3 == 0 { "closed" } else { "open" }
        );
    }
    s += r#"
 <dm:person id="p1"><rpid:activities><rpid:meeting/></rpid:activities><rpid:mood><rpid:happy/></rpid:mood><rpid:place-type><rpid:office/></rpid:place-type><rpid:sphere>work</rpid:sphere><rpid:user-input idle-threshold="600" last-input="2026-11-25T08:55:00Z">active</rpid:user-input><dm:note>In the Paris office</dm:note><dm:timestamp>2026-11-25T09:00:00Z</dm:timestamp></dm:person>
 <dm:device id="d1"><rpid:user-input>active</rpid:user-input><dm:deviceID>urn:uuid:00000000-0000-0000-0000-000000000001</dm:deviceID></dm:device>
</presence>"#;
    Document::parse(s.as_bytes(), &Limits::default()).expect("bench presence parses")
}

/// The rule set of `common::rules_doc`, parsed.
fn rules() -> RuleSet {
    RuleSet::parse(rules_doc().as_bytes()).expect("bench rules parse")
}

fn watchers(n: usize) -> Vec<Watcher> {
    (0..n)
        .map(|i| Watcher::authenticated(&format!("sip:u{i}@{PEER}")))
        .collect()
}

fn bench(c: &mut Criterion) {
    let doc = presence();
    let rs = rules();
    let ctx = Context::new(DateTime::parse("2026-11-25T09:00:00Z"), None);
    let mut group = c.benchmark_group("views");
    for n in [10_000usize, 100_000] {
        let ws = watchers(n);
        let groups = rs.views(&doc, &ws, &ctx).expect("presence");
        let grouped: usize = groups
            .iter()
            .filter_map(|g| g.document.as_ref())
            .map(|d| d.len())
            .sum();
        let lists: usize = groups
            .iter()
            .flat_map(|g| g.watchers.iter())
            .map(|&i| ws[i].identities().next().map_or(0, str::len) + 2)
            .sum();
        let mut per_watcher = 0usize;
        for (w, g) in groups
            .iter()
            .flat_map(|g| g.watchers.iter().map(move |w| (w, g)))
        {
            let _ = w;
            per_watcher += g.document.as_ref().map_or(0, |d| d.len());
        }
        eprintln!(
            "{n} watchers: {} views ({} with a document); bytes across the link: grouped {grouped} documents + {lists} watcher list = {}, one copy per watcher {per_watcher} ({:.0}x)",
            groups.len(),
            groups.iter().filter(|g| g.document.is_some()).count(),
            grouped + lists,
            per_watcher as f64 / (grouped + lists).max(1) as f64
        );
        group.throughput(Throughput::Elements(n as u64));
        group.bench_with_input(BenchmarkId::new("grouped", n), &ws, |b, ws| {
            b.iter(|| rs.views(&doc, ws, &ctx).expect("presence"))
        });
        if n == 10_000 {
            // The reference: evaluate and write one document per watcher.
            group.bench_with_input(BenchmarkId::new("per_watcher", n), &ws, |b, ws| {
                b.iter(|| {
                    ws.iter()
                        .map(|w| {
                            rs.decide(w, &ctx, &doc)
                                .expect("presence")
                                .document_bytes()
                                .map_or(0, |d| d.len())
                        })
                        .sum::<usize>()
                })
            });
        }
    }
    group.finish();
}

/// Parsing rule sets: the rule set above (2,350 `<one>`/`<except>`
/// identities) and the RFC 5025 example pres-rules of the shared corpus,
/// each next to the generic `pidf::xml` tree and a bare quick-xml event
/// loop (the floor) on the same bytes.
fn parse(c: &mut Criterion) {
    let mut g = c.benchmark_group("policy_parse");
    for (name, doc) in [
        ("bench_rules", rules_doc().into_bytes()),
        ("rfc5025", testkit::vector("policy/5025-1.xml")),
    ] {
        RuleSet::parse(&doc).expect("bench rules parse");
        g.throughput(Throughput::Bytes(doc.len() as u64));
        g.bench_with_input(BenchmarkId::new("ruleset_parse", name), &doc, |b, doc| {
            b.iter(|| RuleSet::parse(black_box(doc)).expect("parses"))
        });
        g.bench_with_input(BenchmarkId::new("xml_tree_only", name), &doc, |b, doc| {
            b.iter(|| Document::parse(black_box(doc), &Limits::default()).expect("parses"))
        });
        g.bench_with_input(
            BenchmarkId::new("quick_xml_read_event_loop", name),
            &doc,
            |b, doc| b.iter(|| floor(black_box(doc))),
        );
    }
    g.finish();
}

criterion_group!(benches, bench, parse);
criterion_main!(benches);
