//! Body throughput of the streaming parser on 64 KiB chunks fed in 4 KiB
//! reads, next to a `memchr::memmem` scan of the same reads (the floor).
#![allow(missing_docs)] // criterion_group! generates undocumented items

mod common;

use bytes::Bytes;
use common::{corpus, stream};
use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use msrp::{Limits, ParseEvent, Parser};

fn bench(c: &mut Criterion) {
    let all = stream();
    let reads: Vec<Bytes> = (0..all.len())
        .step_by(4096)
        .map(|s| all.slice(s..(s + 4096).min(all.len())))
        .collect();
    let mut g = c.benchmark_group("msrp_body_64k_chunks_4k_reads");
    g.throughput(Throughput::Bytes(all.len() as u64));
    g.bench_function("parser", |b| {
        b.iter(|| {
            let mut p = Parser::new(Limits::default());
            let mut n = 0usize;
            for r in &reads {
                p.push(r.clone());
                while let Some(ev) = p.poll().unwrap() {
                    if let ParseEvent::Body(body) = ev {
                        n += body.len();
                    }
                }
            }
            black_box(n)
        })
    });
    let finder = memchr::memmem::Finder::new(b"\r\n-------tid00001x");
    g.bench_function("memmem_floor", |b| {
        b.iter(|| {
            let mut n = 0usize;
            for r in &reads {
                n += finder.find_iter(r).count();
            }
            black_box(n)
        })
    });
    g.finish();
}

/// The RFC example exchanges of the shared corpus as one stream: head-heavy
/// small chunks, fed in one read.
fn bench_corpus(c: &mut Criterion) {
    let all = corpus();
    let mut g = c.benchmark_group("msrp_corpus_stream");
    g.throughput(Throughput::Bytes(all.len() as u64));
    g.bench_function("parser", |b| {
        b.iter(|| {
            let mut p = Parser::new(Limits::default());
            p.push(all.clone());
            let mut n = 0usize;
            while let Some(ev) = p.poll().unwrap() {
                if let ParseEvent::End(_) = ev {
                    n += 1;
                }
            }
            black_box(n)
        })
    });
    g.finish();
}

criterion_group!(benches, bench, bench_corpus);
criterion_main!(benches);
