//! The constant-memory claim of `msrp-send-file` and `msrp-recv-file`,
//! cheaply, in two steps of one test:
//!
//! 1. 200 MB pass in process through a sending [`msrp::Session`] fed by
//!    the tools' [`FileSource`] and a receiving one drained into their
//!    [`FileSink`]; the bytes the code holds at once (the sender's queue,
//!    the bytes in transit, the sink's buffer) are checked after every
//!    step against a bound that does not depend on the size.
//! 2. 100 MB pass over a loopback TCP connection through the tools' own
//!    loops ([`msrp_cli::send_file`] and [`msrp_cli::receive_file`] over
//!    [`MsrpConn`]), sender and receiver on one runtime.
//!
//! After each, the process's peak resident memory (VmHWM, Linux) must have
//! grown by less than 16 MiB: that would show anything retained behind
//! our back (received buffers pinned by slices, events piling up while a
//! fast sender fills the socket). This file holds only this test so
//! nothing else moves VmHWM.
//!
//! The content is a 65,521-byte random table repeated (a prime period, so
//! chunk and read boundaries never line up with it): generating and
//! checking it is a copy and a compare, fast in a debug build.

use examples::msrp_cli::{self, FileSink, FileSource, MsrpConn};
use msrp::{Bytes, Event, MessageSpec, MsrpUri, Session, SessionConfig};
use std::io::{Read, Seek, SeekFrom, Write};
use std::time::Instant;

const PERIOD: usize = 65_521;
const TOTAL: u64 = 200_000_000;
/// What step 2 sends over TCP.
const TCP_TOTAL: u64 = 100_000_000;
const CHUNK: usize = 64 * 1024;
/// Network-sized reads the receiver gets.
const READ: usize = 16 * 1024;

fn table() -> Vec<u8> {
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    (0..PERIOD)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

/// The file being sent: `total` bytes of the repeated table.
struct Source<'a> {
    table: &'a [u8],
    pos: u64,
    total: u64,
}

impl Read for Source<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let left = usize::try_from(self.total - self.pos).unwrap_or(usize::MAX);
        let mut n = 0;
        while n < buf.len().min(left) {
            let at = (self.pos as usize + n) % PERIOD;
            let take = (PERIOD - at).min(buf.len().min(left) - n);
            buf[n..n + take].copy_from_slice(&self.table[at..at + take]);
            n += take;
        }
        self.pos += n as u64;
        Ok(n)
    }
}

/// The file being written: checks every byte against the table at its
/// offset instead of storing it.
struct Check<'a> {
    table: &'a [u8],
    pos: u64,
    written: u64,
}

impl Write for Check<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let mut n = 0;
        while n < buf.len() {
            let at = (self.pos as usize + n) % PERIOD;
            let take = (PERIOD - at).min(buf.len() - n);
            if buf[n..n + take] != self.table[at..at + take] {
                return Err(std::io::Error::other(format!(
                    "wrong bytes at {}",
                    self.pos + n as u64
                )));
            }
            n += take;
        }
        self.pos += n as u64;
        self.written += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Seek for Check<'_> {
    fn seek(&mut self, to: SeekFrom) -> std::io::Result<u64> {
        match to {
            SeekFrom::Start(p) => self.pos = p,
            _ => return Err(std::io::Error::other("only absolute seeks")),
        }
        Ok(self.pos)
    }
}

fn vm_hwm_kib() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[test]
#[allow(clippy::disallowed_methods)] // one clock reading: the sessions' fake clock
fn two_hundred_megabytes_in_constant_memory() {
    let table = table();
    let a_uri = MsrpUri::parse("msrp://127.0.0.1:7654/sender;tcp").unwrap();
    let b_uri = MsrpUri::parse("msrp://127.0.0.1:8888/receiver;tcp").unwrap();
    let mut ca = SessionConfig::new(a_uri.clone(), vec![b_uri.clone()]);
    ca.chunk_size = CHUNK;
    let mut cb = SessionConfig::new(b_uri, vec![a_uri]);
    cb.seed = 7;
    let mut a = Session::new(ca).unwrap();
    let mut b = Session::new(cb).unwrap();
    let now = Instant::now();
    let base = vm_hwm_kib();

    let mut spec = MessageSpec::new("application/octet-stream");
    spec.total = Some(TOTAL);
    spec.success_report = true;
    let id = a.start_message(spec).unwrap();
    let mut source = FileSource::new(
        Source {
            table: &table,
            pos: 0,
            total: TOTAL,
        },
        TOTAL,
        CHUNK,
    );
    let mut sink = FileSink::new(Check {
        table: &table,
        pos: 0,
        written: 0,
    });
    let mut peak_held = 0usize;
    let mut complete = false;
    let mut reported = false;
    let mut steps = 0u64;
    while !(complete && reported) {
        steps += 1;
        assert!(steps < 1_000_000, "no progress");
        source.feed(&mut a, &id).unwrap();
        while let Some(t) = a.poll_transmit(now) {
            let in_transit = t.len();
            let held = a.queued(&id).unwrap_or(0) + in_transit + sink.buffered();
            peak_held = peak_held.max(held);
            for seg in t.segments {
                let mut at = 0;
                while at < seg.len() {
                    let end = (at + READ).min(seg.len());
                    b.handle_input(now, Bytes::copy_from_slice(&seg[at..end]));
                    at = end;
                }
            }
            while let Some(e) = b.poll_event() {
                match e {
                    Event::Data { offset, data, .. } => sink.write_at(offset, &data).unwrap(),
                    Event::MessageComplete { total, .. } => {
                        assert_eq!(total, TOTAL);
                        complete = true;
                    }
                    Event::MessageStart { .. } => {}
                    other => panic!("receiver: unexpected {other:?}"),
                }
            }
        }
        while let Some(t) = b.poll_transmit(now) {
            for seg in t.segments {
                a.handle_input(now, seg);
            }
        }
        while let Some(e) = a.poll_event() {
            match e {
                Event::Report { status, range, .. } => {
                    assert!(status.code.is_success());
                    assert_eq!(range.and_then(|r| r.end), Some(TOTAL));
                    reported = true;
                }
                Event::MessageSent { .. } => {}
                other => panic!("sender: unexpected {other:?}"),
            }
        }
    }
    let check = sink.finish().unwrap();
    assert_eq!(check.written, TOTAL);
    // The window (2 chunks, at least 128 KiB) plus one 64 KiB block, one
    // chunk in transit and the sink's 64 KiB buffer.
    let bound = source.max_held() + CHUNK + 64 * 1024;
    eprintln!("peak bytes held by the code: {peak_held} (bound {bound}) for {TOTAL} bytes");
    assert!(peak_held <= bound, "held {peak_held} bytes at once");
    if let (Some(before), Some(after)) = (base, vm_hwm_kib()) {
        let grew = after.saturating_sub(before);
        eprintln!("peak resident memory grew by {grew} KiB for {TOTAL} bytes");
        assert!(grew < 16 * 1024, "peak memory grew by {grew} KiB");
    }
    over_tcp(&table);
}

/// Step 2: the tools' send and receive loops over loopback TCP, each on a
/// thread and runtime of its own so the sender fills the socket while the
/// receiver works.
fn over_tcp(table: &[u8]) {
    let runtime = || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    };
    let base = vm_hwm_kib();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let a_uri = msrp_cli::msrp_uri("127.0.0.1:9".parse().unwrap(), "sender").unwrap();
    let b_uri = msrp_cli::msrp_uri(addr, "receiver").unwrap();
    let mut ca = SessionConfig::new(a_uri.clone(), vec![b_uri.clone()]);
    ca.chunk_size = CHUNK;
    let cb = SessionConfig::new(b_uri, vec![a_uri]);
    let timeout = std::time::Duration::from_secs(30);
    let written = std::thread::scope(|scope| {
        let sender = scope.spawn(|| {
            runtime().block_on(async {
                let out = tokio::net::TcpStream::connect(addr).await.unwrap();
                let mut conn = MsrpConn::new(Session::new(ca).unwrap(), out, timeout);
                let mut source = FileSource::new(
                    Source {
                        table,
                        pos: 0,
                        total: TCP_TOTAL,
                    },
                    TCP_TOTAL,
                    CHUNK,
                );
                let spec = MessageSpec::new("application/octet-stream");
                msrp_cli::send_file(&mut conn, &mut source, spec).await
            })
        });
        let (inc, _) = listener.accept().unwrap();
        inc.set_nonblocking(true).unwrap();
        let got = runtime().block_on(async {
            let inc = tokio::net::TcpStream::from_std(inc).unwrap();
            let mut conn = MsrpConn::new(Session::new(cb).unwrap(), inc, timeout);
            let mut sink = FileSink::new(Check {
                table,
                pos: 0,
                written: 0,
            });
            let got = msrp_cli::receive_file(&mut conn, &mut sink, Some(TCP_TOTAL)).await;
            assert_eq!(got.unwrap(), TCP_TOTAL);
            // Keep the connection until the sender has its REPORT.
            let w = sink.finish().unwrap().written;
            let _ = conn.wait(None, true).await;
            w
        });
        sender.join().unwrap().unwrap();
        got
    });
    assert_eq!(written, TCP_TOTAL);
    if let (Some(before), Some(after)) = (base, vm_hwm_kib()) {
        let grew = after.saturating_sub(before);
        eprintln!("over TCP: peak resident memory grew by {grew} KiB for {TCP_TOTAL} bytes");
        assert!(grew < 16 * 1024, "peak memory grew by {grew} KiB over TCP");
    }
}
