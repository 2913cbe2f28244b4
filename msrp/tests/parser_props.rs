//! Property tests of the streaming parser: split and read-size invariance,
//! bodies with fake end-lines, arbitrary bytes never panic.

use bytes::Bytes;
use msrp::{Chunk, ChunkHead, Flag, Limits, Method, ParseEvent, Parser};
use proptest::prelude::*;

fn tid_strategy() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9][a-zA-Z0-9.+%=-]{3,12}"
}

/// Bodies built from pieces that look like end-lines of this or other
/// transactions, CRLFs and random bytes.
fn body_strategy() -> impl Strategy<Value = Vec<Vec<u8>>> {
    prop::collection::vec(
        prop_oneof![
            prop::collection::vec(any::<u8>(), 0..40),
            Just(b"\r\n".to_vec()),
            Just(b"\r\n-------".to_vec()),
            "[a-z0-9]{4,8}[$+#]".prop_map(|s| format!("\r\n-------{s}\r\n").into_bytes()),
            Just(b"-------".to_vec()),
        ],
        0..12,
    )
}

fn chunk(tid: &str, pieces: &[Vec<u8>], with_body: bool, flag: Flag) -> Chunk {
    let mut head = ChunkHead::request(tid, Method::SEND).unwrap();
    head.headers
        .push("To-Path", "msrp://b.example:1/s;tcp")
        .unwrap();
    head.headers.push("Message-ID", "m1234").unwrap();
    head.headers.push("X-Unknown", "kept").unwrap();
    head.has_body = with_body;
    let body: Vec<u8> = if with_body {
        pieces.concat()
    } else {
        Vec::new()
    };
    if with_body {
        head.headers
            .push("Content-Type", "application/octet-stream")
            .unwrap();
    }
    Chunk {
        head,
        body: body.into(),
        flag,
    }
}

fn run(stream: &[u8], cuts: &[usize]) -> Result<Vec<(ChunkHead, Vec<u8>, Flag)>, msrp::ParseError> {
    let mut p = Parser::new(Limits::default());
    let mut out = Vec::new();
    let mut head = None;
    let mut body = Vec::new();
    let mut at = 0;
    let mut i = 0;
    while at < stream.len() {
        let n = cuts.get(i % cuts.len().max(1)).copied().unwrap_or(7).max(1);
        i += 1;
        let end = (at + n).min(stream.len());
        p.push(Bytes::copy_from_slice(&stream[at..end]));
        at = end;
        while let Some(ev) = p.poll()? {
            match ev {
                ParseEvent::Head(h) => head = Some(h),
                ParseEvent::Body(b) => body.extend_from_slice(&b),
                ParseEvent::End(f) => {
                    out.push((head.take().unwrap(), std::mem::take(&mut body), f))
                }
            }
        }
    }
    p.finish()?;
    Ok(out)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_split_gives_the_same_chunks(
        specs in prop::collection::vec((tid_strategy(), body_strategy(), any::<bool>(), 0u8..3), 1..4),
        cuts in prop::collection::vec(1usize..300, 1..8),
    ) {
        let mut chunks = Vec::new();
        let mut stream = Vec::new();
        for (tid, pieces, with_body, f) in &specs {
            let flag = [Flag::Complete, Flag::More, Flag::Abort][*f as usize];
            let c = chunk(tid, pieces, *with_body, flag);
            // A body that holds its own end-line must be refused by the
            // writer; such cases are not sent.
            match c.to_bytes() {
                Ok(b) => { stream.extend_from_slice(&b); chunks.push(c); }
                Err(_) => prop_assert!(c.body_holds_end_line()),
            }
        }
        let got = run(&stream, &cuts).unwrap();
        prop_assert_eq!(got.len(), chunks.len());
        for (g, c) in got.iter().zip(&chunks) {
            prop_assert_eq!(&g.0, &c.head);
            prop_assert_eq!(&g.1[..], c.body.as_ref());
            prop_assert_eq!(g.2, c.flag);
        }
        // serialize(parse(x)) == x
        let mut again = Vec::new();
        for (h, b, f) in &got {
            again.extend_from_slice(&Chunk { head: h.clone(), body: b.clone().into(), flag: *f }.to_bytes().unwrap());
        }
        prop_assert_eq!(again, stream);
    }

    #[test]
    fn arbitrary_bytes_never_panic(data in prop::collection::vec(any::<u8>(), 0..600), cuts in prop::collection::vec(1usize..64, 1..5)) {
        let _ = run(&data, &cuts);
    }

    #[test]
    fn mutated_chunks_never_panic(pos in 0usize..200, byte in any::<u8>(), cuts in prop::collection::vec(1usize..64, 1..5)) {
        let mut b = chunk("abcd1234", &[b"hello\r\n-------abcd1234x".to_vec()], true, Flag::Complete).to_bytes().unwrap();
        let i = pos % b.len();
        b[i] = byte;
        let _ = run(&b, &cuts);
    }
}

#[test]
fn caps_are_enforced() {
    let c = chunk("abcd1234", &[vec![b'x'; 5000]], true, Flag::Complete);
    let bytes = c.to_bytes().unwrap();
    let mut p = Parser::new(Limits {
        max_body: 4096,
        ..Limits::default()
    });
    p.push(Bytes::from(bytes.clone()));
    let e = loop {
        match p.poll() {
            Ok(Some(_)) => {}
            Ok(None) => panic!("no error"),
            Err(e) => break e,
        }
    };
    assert_eq!(e.kind, msrp::ParseErrorKind::BodyTooLarge);
    let mut p = Parser::new(Limits {
        max_head: 64,
        ..Limits::default()
    });
    p.push(Bytes::from(bytes.clone()));
    assert_eq!(
        p.poll().unwrap_err().kind,
        msrp::ParseErrorKind::HeadersTooLarge
    );
    let mut p = Parser::new(Limits {
        max_headers: 2,
        ..Limits::default()
    });
    p.push(Bytes::from(bytes));
    assert_eq!(
        p.poll().unwrap_err().kind,
        msrp::ParseErrorKind::TooManyHeaders
    );
}

#[test]
fn body_slices_share_the_input_buffer() {
    let c = chunk("abcd1234", &[vec![b'x'; 60_000]], true, Flag::Complete);
    let bytes = Bytes::from(c.to_bytes().unwrap());
    let range = bytes.as_ptr() as usize..bytes.as_ptr() as usize + bytes.len();
    let mut p = Parser::new(Limits::default());
    p.push(bytes.clone());
    let mut total = 0;
    while let Some(ev) = p.poll().unwrap() {
        if let ParseEvent::Body(b) = ev {
            assert!(range.contains(&(b.as_ptr() as usize)), "body was copied");
            total += b.len();
        }
    }
    assert_eq!(total, 60_000);
}

#[test]
fn malformed_table() {
    for (input, kind) in [
        (&b"HTTP/1.1 200 OK\r\n"[..], msrp::ParseErrorKind::StartLine),
        (b"MSRP ab SEND\r\n", msrp::ParseErrorKind::TransactionId),
        (b"MSRP abcd send\r\n", msrp::ParseErrorKind::Method),
        (b"MSRP abcd 20x\r\n", msrp::ParseErrorKind::StatusCode),
        (
            b"MSRP abcd SEND\r\nNoColon\r\n",
            msrp::ParseErrorKind::Header,
        ),
        (
            b"MSRP abcd SEND\nTo-Path: x\r\n",
            msrp::ParseErrorKind::LineEnding,
        ),
        (
            b"MSRP abcd SEND\r\n-------abce$\r\n",
            msrp::ParseErrorKind::EndLine,
        ),
        (
            b"MSRP abcd SEND\r\n-------abcd!\r\n",
            msrp::ParseErrorKind::EndLine,
        ),
        (
            b"MSRP abcd SEND\r\n\r\nxx\r\n-------abcd$zz",
            msrp::ParseErrorKind::EndLine,
        ),
        (
            b"MSRP abcd SEND\r\nTo-Path: x\r\n",
            msrp::ParseErrorKind::Incomplete,
        ),
    ] {
        let e = msrp::parse_stream(input, Limits::default()).unwrap_err();
        assert_eq!(e.kind, kind, "{}", String::from_utf8_lossy(input));
    }
    let e =
        msrp::parse_stream(b"MSRP abcd SEND\r\nBad Name: x\r\n", Limits::default()).unwrap_err();
    assert_eq!(e.offset, 16);
}
