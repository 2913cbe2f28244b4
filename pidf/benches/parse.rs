//! Parse and serialize a 10-tuple RPID document (about 5.5 KB), next to the
//! floor (a bare quick-xml `read_event` loop over the same bytes) and
//! roxmltree building a DOM of it.
#![allow(missing_docs)] // criterion_group! generates undocumented items

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use quick_xml::events::Event;
use quick_xml::Reader;

const DOC: &[u8] = include_bytes!("data/rpid-10.xml");

fn parse(c: &mut Criterion) {
    let mut g = c.benchmark_group("pidf_parse");
    g.throughput(Throughput::Bytes(DOC.len() as u64));
    g.bench_function("quick_xml_read_event_loop", |b| {
        b.iter(|| {
            let mut r = Reader::from_reader(black_box(DOC));
            let mut n = 0usize;
            loop {
                match r.read_event() {
                    Ok(Event::Eof) | Err(_) => break,
                    Ok(_) => n += 1,
                }
            }
            n
        })
    });
    g.bench_function("roxmltree_dom", |b| {
        b.iter(|| {
            let text = std::str::from_utf8(black_box(DOC)).unwrap_or_default();
            roxmltree::Document::parse(text).map(|d| d.descendants().count())
        })
    });
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

criterion_group!(benches, parse, serialize, partial);
criterion_main!(benches);
