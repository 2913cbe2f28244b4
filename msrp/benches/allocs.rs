//! Allocations per chunk parsed by [`msrp::Parser`] on the streams of the
//! `parser` bench (same builders, `benches/common`), and the bytes an idle
//! [`msrp::Session`] keeps, counted by a counting global allocator.
//!
//! Parsing: each stream is parsed once to warm up, then `n` times inside a
//! counting region, a new parser each time as the `parser` bench does; the
//! figures are the totals divided by the chunks parsed, exact and the same
//! on every run.
//!
//! Sessions: 10,000 chat sessions (as an MSRP server holding one per
//! client would), each configured from our chat description and the
//! peer's (`MsrpDescription::session_config`), with their own `msrp://`
//! paths, all held at once; the figure is the bytes allocated and not
//! freed, divided by 10,000, with the `Session` values themselves (their
//! `Vec`) counted.
//!
//! `cargo bench -p msrp --bench allocs`

mod common;

use bytes::Bytes;
use common::{corpus, stream};
use criterion::black_box;
use msrp::sdp::MsrpDescription;
use msrp::{Limits, MsrpUri, ParseEvent, Parser, Session, SessionConfig};
use std::alloc::System;
use testkit::alloc::{
    exact, group, net_bytes, per_call, PerCall, Region, StatsAlloc, Table, INSTRUMENTED_SYSTEM,
};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// Idle sessions held at once.
const SESSIONS: usize = 10_000;

/// Parses `reads` with a new parser; the number of chunks (end-lines).
fn parse(reads: &[Bytes]) -> usize {
    let mut p = Parser::new(Limits::default());
    let mut chunks = 0usize;
    for r in reads {
        p.push(r.clone());
        while let Some(ev) = p.poll().unwrap() {
            match ev {
                ParseEvent::End(_) => chunks += 1,
                ev => {
                    black_box(ev);
                }
            }
        }
    }
    chunks
}

/// `c` (counted per parse of the stream) per chunk of it.
fn per_chunk(c: PerCall, chunks: usize) -> PerCall {
    PerCall {
        calls: c.calls * chunks,
        ..c
    }
}

/// A session id as implementations make them: 16 characters of a
/// pseudo-random alphabet.
fn session_id(seed: u64) -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..16)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            ALPHABET[(x % ALPHABET.len() as u64) as usize] as char
        })
        .collect()
}

/// Session `i`'s configuration: our chat description (a server at
/// `chat.example.com:2855`) against client `i`'s.
fn config(i: usize) -> SessionConfig {
    let ours = MsrpUri::parse(&format!(
        "msrp://chat.example.com:2855/{};tcp",
        session_id(2 * i as u64)
    ))
    .unwrap();
    let theirs = MsrpUri::parse(&format!(
        "msrp://client{i}.atlanta.example.com:{}/{};tcp",
        40_000 + i % 20_000,
        session_id(2 * i as u64 + 1)
    ))
    .unwrap();
    let mine = MsrpDescription::chat("chat.example.com", 2855, ours);
    let peer = MsrpDescription::chat(&format!("client{i}.atlanta.example.com"), 40_000, theirs);
    mine.session_config(&peer).expect("a path")
}

fn main() {
    let mut t = Table::new("msrp: allocations per chunk parsed by `msrp::Parser`");

    let all = corpus();
    let reads = [all.clone()];
    let chunks = parse(&reads);
    t.row(
        &format!(
            "RFC corpus as one stream, one read ({} bytes, {chunks} chunks; 1,000 parses)",
            group(all.len())
        ),
        "`Parser`, per chunk",
        per_chunk(
            per_call(GLOBAL, 1_000, || {
                black_box(parse(&reads));
            }),
            chunks,
        ),
    );

    let all = stream();
    let reads: Vec<Bytes> = (0..all.len())
        .step_by(4096)
        .map(|s| all.slice(s..(s + 4096).min(all.len())))
        .collect();
    let chunks = parse(&reads);
    t.row(
        &format!(
            "64 KiB chunks in 4 KiB reads ({} bytes, {chunks} chunks; 100 parses)",
            group(all.len())
        ),
        "`Parser`, per chunk",
        per_chunk(
            per_call(GLOBAL, 100, || {
                black_box(parse(&reads));
            }),
            chunks,
        ),
    );
    t.row(
        "(none)",
        "`Parser::new`, per parser",
        per_call(GLOBAL, 1_000, || {
            black_box(Parser::new(Limits::default()));
        }),
    );
    t.print();

    // Idle sessions: configurations and sessions built inside the region,
    // all held.
    let _warm = Session::new(config(SESSIONS)).unwrap();
    let region = Region::new(GLOBAL);
    let mut held: Vec<Session> = Vec::with_capacity(SESSIONS);
    for i in 0..SESSIONS {
        held.push(Session::new(config(i)).unwrap());
    }
    let sessions = net_bytes(&region);
    black_box(&held);
    drop(held);

    // The parts: the configurations alone, and the parsers alone.
    let region = Region::new(GLOBAL);
    let configs: Vec<SessionConfig> = (0..SESSIONS).map(config).collect();
    let config_bytes = net_bytes(&region);
    black_box(&configs);
    drop(configs);
    let region = Region::new(GLOBAL);
    let parsers: Vec<Parser> = (0..SESSIONS)
        .map(|_| Parser::new(Limits::default()))
        .collect();
    let parser_bytes = net_bytes(&region);
    black_box(&parsers);
    drop(parsers);

    let per = |b: i64| exact(b.max(0) as usize, SESSIONS);
    println!(
        "msrp: memory retained per idle session ({} held)\n",
        group(SESSIONS)
    );
    println!("| what | bytes each |");
    println!("|---|---|");
    println!(
        "| idle `Session` (chat, one `msrp://` URI each way), all told | {} |",
        per(sessions)
    );
    println!(
        "| of which the `Session` value itself (`size_of`) | {} |",
        group(std::mem::size_of::<Session>())
    );
    println!(
        "| a `SessionConfig` alone (`size_of` {} + heap) | {} |",
        std::mem::size_of::<SessionConfig>(),
        per(config_bytes)
    );
    println!(
        "| a `Parser` alone (`size_of` {} + heap) | {} |",
        std::mem::size_of::<Parser>(),
        per(parser_bytes)
    );
    println!();
}
