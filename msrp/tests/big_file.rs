//! Streams a large generated file through a sender and a receiver session
//! in memory, in 16 KiB reads, checking its SHA-256 and the process's peak
//! memory (VmHWM): the session must not hold the message.
//!
//! The 1 GiB run is slow in a debug build, so it runs with `--release`
//! (`cargo test -p msrp --release --test big_file`); a 16 MiB run of the
//! same code runs in every build.
#![allow(clippy::disallowed_methods)] // one clock reading as the fake clock's origin

use bytes::Bytes;
use msrp::{Event, MessageSpec, MsrpUri, Session, SessionConfig};
use sha2::{Digest, Sha256};
use std::time::Instant;

fn vm_hwm_kib() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn stream(total: u64) {
    let a_uri = MsrpUri::parse("msrp://alice.example.com:7654/iau39;tcp").unwrap();
    let b_uri = MsrpUri::parse("msrp://bob.example.com:8888/9di4ea;tcp").unwrap();
    let mut ca = SessionConfig::new(a_uri.clone(), vec![b_uri.clone()]);
    ca.chunk_size = 256 * 1024;
    let mut cb = SessionConfig::new(b_uri, vec![a_uri]);
    cb.seed = 7;
    let mut a = Session::new(ca).unwrap();
    let mut b = Session::new(cb).unwrap();
    let now = Instant::now();
    let base = vm_hwm_kib();

    let mut spec = MessageSpec::new("application/octet-stream");
    spec.total = Some(total);
    let id = a.start_message(spec).unwrap();
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    let mut pushed = 0u64;
    let mut sent_hash = Sha256::new();
    let mut recv_hash = Sha256::new();
    let mut received = 0u64;
    let mut complete = false;
    let mut sent = false;
    const BLOCK: usize = 64 * 1024;
    const READ: usize = 16 * 1024;
    while !(complete && sent) {
        // Keep at most two chunks queued: the application's flow control.
        while pushed < total && a.queued(&id).unwrap_or(0) < 2 * 256 * 1024 {
            let n = BLOCK.min((total - pushed) as usize);
            let mut block = vec![0u8; n];
            for w in block.chunks_mut(8) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let bytes = x.to_le_bytes();
                w.copy_from_slice(&bytes[..w.len()]);
            }
            sent_hash.update(&block);
            pushed += n as u64;
            a.push_data(&id, Bytes::from(block), pushed == total)
                .unwrap();
        }
        let mut moved = false;
        while let Some(t) = a.poll_transmit(now) {
            moved = true;
            // Re-cut the segments into network-sized reads (zero copy).
            for seg in t.segments {
                let mut at = 0;
                while at < seg.len() {
                    let end = (at + READ).min(seg.len());
                    b.handle_input(now, seg.slice(at..end));
                    at = end;
                }
            }
        }
        while let Some(e) = b.poll_event() {
            match e {
                Event::Data { offset, data, .. } => {
                    assert_eq!(offset, received, "in-order stream");
                    received += data.len() as u64;
                    recv_hash.update(&data);
                }
                Event::MessageComplete { total: t, .. } => {
                    assert_eq!(t, total);
                    complete = true;
                }
                Event::MessageStart { .. } => {}
                other => panic!("unexpected {other:?}"),
            }
        }
        while let Some(t) = b.poll_transmit(now) {
            moved = true;
            for seg in t.segments {
                a.handle_input(now, seg);
            }
        }
        while let Some(e) = a.poll_event() {
            match e {
                Event::MessageSent { .. } => sent = true,
                other => panic!("unexpected {other:?}"),
            }
        }
        assert!(moved || pushed < total || complete, "stalled at {received}");
    }
    assert_eq!(received, total);
    assert_eq!(sent_hash.finalize(), recv_hash.finalize());
    assert!(a.finish_input().is_ok() && b.finish_input().is_ok());
    if let (Some(before), Some(after)) = (base, vm_hwm_kib()) {
        let grew = after.saturating_sub(before);
        eprintln!("peak memory grew by {grew} KiB for {total} bytes");
        assert!(grew < 64 * 1024, "peak memory grew by {grew} KiB");
    }
}

#[test]
#[cfg_attr(debug_assertions, ignore = "1 GiB: run with --release")]
fn one_gibibyte_in_constant_memory() {
    stream(1 << 30);
}

#[test]
fn sixteen_mebibytes_in_constant_memory() {
    stream(16 << 20);
}
