//! One presence update of a 20-tuple document for 10,000 and 100,000
//! watchers in a peer domain, spread over a handful of rules: time per
//! update grouped by view, against one evaluation and one copy per watcher.
//! Prints, once, the bytes that cross the link both ways.

// criterion_group! generates an undocumented function.
#![allow(missing_docs)]

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use pidf::xml::{Document, Limits};
use policy::{Context, DateTime, RuleSet, Watcher};

const PEER: &str = "peer.example";

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

/// Five rules: colleagues (the whole peer domain but the blocked), friends
/// (2,000 listed), family (50 listed), politely blocked (200 listed), and a
/// work-hours rule for everyone.
fn rules() -> RuleSet {
    let ones = |range: std::ops::Range<usize>| -> String {
        range
            .map(|i| format!(r#"<one id="sip:u{i}@{PEER}"/>"#))
            .collect()
    };
    let blocked: String = (9_000..9_100)
        .map(|i| format!(r#"<except id="sip:u{i}@{PEER}"/>"#))
        .collect();
    let doc = format!(
        r#"<ruleset xmlns="urn:ietf:params:xml:ns:common-policy" xmlns:pr="urn:ietf:params:xml:ns:pres-rules">
<rule id="colleagues"><conditions><identity><many domain="{PEER}">{blocked}</many></identity></conditions>
 <actions><pr:sub-handling>allow</pr:sub-handling></actions>
 <transformations><pr:provide-services><pr:class>work</pr:class></pr:provide-services><pr:provide-persons><pr:all-persons/></pr:provide-persons><pr:provide-activities>true</pr:provide-activities></transformations></rule>
<rule id="friends"><conditions><identity>{}</identity></conditions>
 <actions><pr:sub-handling>allow</pr:sub-handling></actions>
 <transformations><pr:provide-services><pr:service-uri-scheme>sip</pr:service-uri-scheme><pr:service-uri-scheme>im</pr:service-uri-scheme></pr:provide-services><pr:provide-persons><pr:all-persons/></pr:provide-persons><pr:provide-activities>true</pr:provide-activities><pr:provide-mood>true</pr:provide-mood><pr:provide-user-input>bare</pr:provide-user-input></transformations></rule>
<rule id="family"><conditions><identity>{}</identity></conditions>
 <actions><pr:sub-handling>allow</pr:sub-handling></actions>
 <transformations><pr:provide-services><pr:all-services/></pr:provide-services><pr:provide-persons><pr:all-persons/></pr:provide-persons><pr:provide-devices><pr:all-devices/></pr:provide-devices><pr:provide-all-attributes/></transformations></rule>
<rule id="polite"><conditions><identity>{}</identity></conditions>
 <actions><pr:sub-handling>polite-block</pr:sub-handling></actions></rule>
<rule id="work-hours"><conditions><validity><from>2026-11-25T08:00:00Z</from><until>2026-11-25T18:00:00Z</until></validity></conditions>
 <actions><pr:sub-handling>confirm</pr:sub-handling></actions>
 <transformations><pr:provide-note>true</pr:provide-note></transformations></rule>
</ruleset>"#,
        ones(1_000..3_000),
        ones(0..50),
        ones(5_000..5_200),
    );
    RuleSet::parse(doc.as_bytes()).expect("bench rules parse")
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

criterion_group!(benches, bench);
criterion_main!(benches);
