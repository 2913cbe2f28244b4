//! Body throughput of the streaming parser on 64 KiB chunks fed in 4 KiB
//! reads, next to a `memchr::memmem` scan of the same reads (the floor).
#![allow(missing_docs)] // criterion_group! generates undocumented items

use bytes::Bytes;
use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use msrp::{Chunk, ChunkHead, Flag, Limits, Method, ParseEvent, Parser};

fn stream() -> Bytes {
    let mut out = Vec::new();
    for i in 0..16u32 {
        let tid = format!("tid{i:05}x");
        let mut head = ChunkHead::request(&tid, Method::SEND).unwrap();
        head.headers
            .push("To-Path", "msrp://bob.example.com:8888/9di4ea;tcp")
            .unwrap();
        head.headers
            .push("From-Path", "msrp://alice.example.com:7654/iau39;tcp")
            .unwrap();
        head.headers.push("Message-ID", "12339sdqwer").unwrap();
        head.headers
            .push(
                "Byte-Range",
                format!("{}-{}/*", i * 65536 + 1, (i + 1) * 65536),
            )
            .unwrap();
        head.headers
            .push("Content-Type", "application/octet-stream")
            .unwrap();
        head.has_body = true;
        // Pseudo-random body with plenty of CR, LF and '-' bytes.
        let mut x = 0x1234_5678u32 ^ i;
        let body: Vec<u8> = (0..65536)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                match x % 16 {
                    0 => b'\r',
                    1 => b'\n',
                    2 => b'-',
                    _ => x as u8,
                }
            })
            .collect();
        let flag = if i == 15 { Flag::Complete } else { Flag::More };
        out.extend_from_slice(
            &Chunk {
                head,
                body: body.into(),
                flag,
            }
            .to_bytes()
            .unwrap(),
        );
    }
    Bytes::from(out)
}

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
    let mut all = Vec::new();
    for (name, bytes) in testkit::vectors("msrp", ".msrp") {
        if !name.contains("NO-END-LINE") {
            all.extend_from_slice(&bytes);
        }
    }
    let all = Bytes::from(all);
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
