//! Hostile input: what the other side of a peering link, or whoever pretends
//! to be it, can send on purpose. Each case must end in a typed error (or a
//! correct parse) within the caps, quickly and in bounded memory.
//!
//! All cases run in one test, one after the other, so the process's peak
//! memory can be read before and after. The time and memory bounds are far
//! above what the parsers need (debug build, busy machine): they catch a
//! parser that reads without bound or goes quadratic, not a slow one.

use std::time::{Duration, Instant};

use msrp::{ParseEvent, Parser as MsrpParser};
use pidf::xml::{Document, Limits as XmlLimits, XmlErrorKind};
use pidf::Presence;
use sip_core::{Limits, Message, StreamEvent, StreamFramer};

/// Generous per-case wall-clock bound.
const TIME_BOUND: Duration = Duration::from_secs(20);
/// Generous bound on peak memory growth over the whole run, in KiB.
const MEMORY_BOUND_KIB: u64 = 512 * 1024;

/// Peak resident memory of this process (Linux `VmHWM`), in KiB.
fn peak_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Runs one case, asserting it finished within the time bound.
#[allow(clippy::disallowed_methods)] // the bound is the point of this test
fn case(name: &str, f: impl FnOnce()) {
    let start = Instant::now();
    f();
    let took = start.elapsed();
    assert!(took < TIME_BOUND, "{name} took {took:?}");
    println!("{name}: {took:?}");
}

fn xml_kind(input: &[u8], limits: &XmlLimits) -> XmlErrorKind {
    match Document::parse(input, limits) {
        Ok(_) => panic!("hostile XML parsed"),
        Err(e) => e.kind,
    }
}

fn sip_datagram_fails(input: Vec<u8>) {
    assert!(
        Message::parse_datagram(input, &Limits::default()).is_err(),
        "hostile SIP datagram parsed"
    );
}

fn sip_stream_fails(input: &[u8]) {
    let mut framer = StreamFramer::new(Limits::default());
    // Fed in 4 KiB reads, as a socket would; the framer must give up as soon
    // as a cap is crossed rather than buffer everything.
    for piece in input.chunks(4096) {
        framer.handle_input(piece);
        loop {
            match framer.poll_event() {
                Err(_) => return,
                Ok(Some(StreamEvent::Message(_))) => panic!("hostile stream gave a message"),
                Ok(Some(_)) => {}
                Ok(None) => break,
            }
        }
    }
    panic!("hostile stream was never refused");
}

/// Feeds an MSRP stream in 64 KiB reads, dropping body data as it comes;
/// returns the first error, or `None` if the stream parsed.
fn msrp_stream(pieces: impl Iterator<Item = Vec<u8>>) -> Option<msrp::ParseError> {
    let mut parser = MsrpParser::new(msrp::Limits::default());
    for piece in pieces {
        parser.push(piece.into());
        loop {
            match parser.poll() {
                Err(e) => return Some(e),
                Ok(Some(ParseEvent::Body(_) | ParseEvent::Head(_) | ParseEvent::End(_))) => {}
                Ok(None) => break,
            }
        }
    }
    parser.finish().err()
}

#[test]
fn hostile_inputs_are_refused_in_bounded_time_and_memory() {
    let base = peak_kib();
    let xml = XmlLimits::default();

    // XML.
    case("billion laughs", || {
        let bomb = br#"<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">]><presence xmlns="urn:ietf:params:xml:ns:pidf" entity="pres:a@b">&lol2;</presence>"#;
        assert_eq!(xml_kind(bomb, &xml), XmlErrorKind::Doctype);
        assert!(Presence::parse(bomb).is_err());
        assert!(policy::RuleSet::parse(bomb).is_err());
        assert!(rls::Rlmi::parse(bomb).is_err());
    });
    case("external entity", || {
        let ext = br#"<!DOCTYPE p [<!ENTITY x SYSTEM "file:///etc/passwd">]><p>&x;</p>"#;
        assert_eq!(xml_kind(ext, &xml), XmlErrorKind::Doctype);
        assert_eq!(xml_kind(b"<p>&x;</p>", &xml), XmlErrorKind::UnknownEntity);
    });
    case("100,000 levels of nesting", || {
        let mut doc = "<a>".repeat(100_000);
        doc.push_str(&"</a>".repeat(100_000));
        assert!(matches!(
            xml_kind(doc.as_bytes(), &xml),
            XmlErrorKind::TooDeep { .. }
        ));
        assert!(Presence::parse(doc.as_bytes()).is_err());
    });
    case("10 MB attribute value", || {
        let doc = format!(r#"<a x="{}"/>"#, "v".repeat(10 << 20));
        assert!(matches!(
            xml_kind(doc.as_bytes(), &xml),
            XmlErrorKind::TooLarge { .. }
        ));
        // Even with the size cap lifted, it parses in linear time.
        let big = XmlLimits {
            max_size: 64 << 20,
            ..xml
        };
        let parsed = Document::parse(doc.as_bytes(), &big).expect("a long value is legal");
        assert_eq!(parsed.root.attr("x").map(str::len), Some(10 << 20));
    });
    case("a million tiny elements", || {
        let mut doc = String::from("<a>");
        doc.push_str(&"<b/>".repeat(1_000_000));
        doc.push_str("</a>");
        assert!(matches!(
            xml_kind(doc.as_bytes(), &xml),
            XmlErrorKind::TooLarge { .. }
        ));
        let big = XmlLimits {
            max_size: 64 << 20,
            ..xml
        };
        assert!(matches!(
            xml_kind(doc.as_bytes(), &big),
            XmlErrorKind::TooManyElements { .. }
        ));
    });
    case("invalid UTF-8 in XML", || {
        let doc = b"<presence xmlns=\"urn:ietf:params:xml:ns:pidf\" entity=\"pres:\xff@b\"/>";
        assert!(Presence::parse(doc).is_err());
        assert!(Document::parse(b"<a>\xc3\x28</a>", &xml).is_err());
        assert!(Document::parse(b"<\xfe/>", &xml).is_err());
    });

    // SIP.
    let head = "OPTIONS sip:bob@example.net SIP/2.0\r\nVia: SIP/2.0/UDP h.example.com;branch=z9hG4bK1\r\nMax-Forwards: 70\r\nFrom: <sip:a@example.com>;tag=1\r\nTo: <sip:bob@example.net>\r\nCall-ID: x\r\nCSeq: 1 OPTIONS\r\n";
    case("100,000 headers", || {
        let mut m = head.to_owned();
        m.push_str(&"X-A: b\r\n".repeat(100_000));
        m.push_str("Content-Length: 0\r\n\r\n");
        sip_datagram_fails(m.clone().into_bytes());
        sip_stream_fails(m.as_bytes());
    });
    case("Content-Length larger than the data", || {
        sip_datagram_fails(format!("{head}Content-Length: 5000\r\n\r\nshort").into_bytes());
    });
    case("negative Content-Length", || {
        let m = format!("{head}Content-Length: -5\r\n\r\nhello");
        sip_datagram_fails(m.clone().into_bytes());
        sip_stream_fails(m.as_bytes());
    });
    case("overflowing Content-Length", || {
        for cl in [
            "18446744073709551616",
            "99999999999999999999999999",
            "4294967296",
        ] {
            let m = format!("{head}Content-Length: {cl}\r\n\r\nhello");
            sip_datagram_fails(m.clone().into_bytes());
            sip_stream_fails(m.as_bytes());
        }
    });
    case("1 MB header line", || {
        let m = format!(
            "{head}Subject: {}\r\nContent-Length: 0\r\n\r\n",
            "s".repeat(1 << 20)
        );
        sip_datagram_fails(m.clone().into_bytes());
        sip_stream_fails(m.as_bytes());
    });
    case("endless folding", || {
        let mut m = format!("{head}Subject: a\r\n");
        m.push_str(&" folded\r\n".repeat(200_000));
        sip_stream_fails(m.as_bytes());
        sip_datagram_fails(m.into_bytes());
    });
    case("invalid UTF-8 in SIP", || {
        let mut m = head.as_bytes().to_vec();
        m.extend_from_slice(b"Subject: \xff\xfe\xc3\x28\r\nContent-Length: 0\r\n\r\n");
        // Header values are bytes: the message may parse, but whatever is
        // decoded from it must not panic, and writing it back must reparse.
        if let Ok(msg) = Message::parse_datagram(m, &Limits::default()) {
            let mut out = Vec::new();
            msg.write(&mut out);
            assert!(Message::parse_datagram(out, &Limits::default()).is_ok());
        }
        sip_datagram_fails(b"OPTI\xffONS sip:a@b SIP/2.0\r\n\r\n".to_vec());
    });

    // MSRP.
    let chunk_head = "MSRP a786hjs2 SEND\r\nTo-Path: msrp://b.example.com:7777/iau39soe2843z;tcp\r\nFrom-Path: msrp://a.example.com:7654/jshA7weztas;tcp\r\nMessage-ID: 87652491\r\nByte-Range: 1-*/*\r\nContent-Type: text/plain\r\n\r\n";
    case("an MSRP chunk that never ends", || {
        // 100 MiB of body and no end-line: refused once the chunk passes the
        // body cap, without holding the body.
        let mut sent = 0usize;
        let pieces = std::iter::once(chunk_head.as_bytes().to_vec()).chain(
            std::iter::repeat_with(|| vec![b'x'; 64 * 1024]).take_while(move |_| {
                sent += 1;
                sent <= 1600
            }),
        );
        assert!(msrp_stream(pieces).is_some(), "endless chunk accepted");
    });
    case("Byte-Range totals of u64::MAX", || {
        let m = "MSRP t1 SEND\r\nTo-Path: msrp://b.example.com:7777/s;tcp\r\nFrom-Path: msrp://a.example.com:7654/s;tcp\r\nMessage-ID: m\r\nByte-Range: 18446744073709551615-18446744073709551615/18446744073709551615\r\nContent-Type: text/plain\r\n\r\nx\r\n-------t1$\r\n"
            .to_owned();
        // Either a typed error or a chunk: never a panic or an overflow.
        let _ = msrp_stream(std::iter::once(m.into_bytes()));
        let over = "MSRP t2 SEND\r\nTo-Path: msrp://b.example.com:7777/s;tcp\r\nFrom-Path: msrp://a.example.com:7654/s;tcp\r\nMessage-ID: m\r\nByte-Range: 1-18446744073709551616/99999999999999999999999\r\n\r\n-------t2$\r\n";
        let _ = msrp_stream(std::iter::once(over.as_bytes().to_vec()));
    });
    case("MSRP bodies with fake end-lines", || {
        let body = "\r\n-------a786hjs2X\r\n-------other$\r\n-------a786hjs2";
        let m = format!("{chunk_head}{body}\r\n-------a786hjs2$\r\n");
        let mut parser = MsrpParser::new(msrp::Limits::default());
        parser.push(m.into_bytes().into());
        let mut got = Vec::new();
        let mut flag = None;
        while let Some(ev) = parser.poll().expect("valid chunk") {
            match ev {
                ParseEvent::Body(b) => got.extend_from_slice(&b),
                ParseEvent::End(f) => flag = Some(f),
                ParseEvent::Head(_) => {}
            }
        }
        assert_eq!(
            got,
            body.as_bytes(),
            "the body ends only at its own end-line"
        );
        assert_eq!(flag, Some(msrp::Flag::Complete));
    });
    case("invalid UTF-8 in MSRP", || {
        let m = b"MSRP \xff\xfe SEND\r\nTo-Path: msrp://\xc3\x28/s;tcp\r\n\r\n-------\xff\xfe$\r\n"
            .to_vec();
        assert!(msrp_stream(std::iter::once(m)).is_some());
    });

    if let (Some(before), Some(after)) = (base, peak_kib()) {
        let grew = after.saturating_sub(before);
        println!("peak memory grew by {grew} KiB");
        assert!(grew < MEMORY_BOUND_KIB, "peak memory grew by {grew} KiB");
    }
}
