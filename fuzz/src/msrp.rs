//! Fuzz entry points for the `msrp` parsers.
//!
//! Each function takes arbitrary bytes, drives one parser and asserts what
//! must hold for any input: no panic, the same result for any split of the
//! reads, and for what parses, that serialization reparses to an equal
//! value.

use msrp::chunk::Chunk;
use msrp::cpim::Cpim;
use msrp::sdp::{MsrpDescription, Sdp};
use msrp::{Bytes, Limits, MsrpUri, ParseEvent, Parser};

fn limits() -> Limits {
    Limits {
        max_head: 4096,
        max_headers: 32,
        max_body: 64 * 1024,
    }
}

/// Runs the streaming parser over `data` cut into reads of the given sizes;
/// returns the complete chunks and the error, if any.
fn run_stream(data: &[u8], sizes: &[u8]) -> (Vec<Chunk>, Option<msrp::ParseError>) {
    let mut p = Parser::new(limits());
    let mut chunks = Vec::new();
    let mut head = None;
    let mut body = Vec::new();
    let mut pos = 0;
    let mut i = 0;
    while pos < data.len() {
        let n = usize::from(sizes.get(i % sizes.len().max(1)).copied().unwrap_or(7)).max(1);
        i += 1;
        let end = (pos + n).min(data.len());
        p.push(Bytes::copy_from_slice(&data[pos..end]));
        pos = end;
        loop {
            match p.poll() {
                Ok(Some(ParseEvent::Head(h))) => head = Some(h),
                Ok(Some(ParseEvent::Body(b))) => body.extend_from_slice(&b),
                Ok(Some(ParseEvent::End(flag))) => {
                    let head = head.take().expect("End follows Head");
                    chunks.push(Chunk {
                        head,
                        body: std::mem::take(&mut body).into(),
                        flag,
                    });
                }
                Ok(None) => break,
                Err(e) => return (chunks, Some(e)),
            }
        }
    }
    (chunks, p.finish().err())
}

/// A chunk stream fed in read sizes taken from the first 8 bytes: the
/// chunks (and the error) match a single whole read, and every chunk
/// serializes and reparses equal.
pub fn chunk_stream(data: &[u8]) {
    let (sizes, rest) = data.split_at(data.len().min(8));
    let (split, split_err) = run_stream(rest, sizes);
    let (whole, whole_err) = run_stream(rest, &[255]);
    assert_eq!(split, whole, "read sizes change the chunks");
    assert_eq!(
        split_err.map(|e| e.kind),
        whole_err.map(|e| e.kind),
        "read sizes change the error"
    );
    for c in &split {
        let bytes = c.to_bytes().expect("a parsed chunk serializes");
        let (again, used) = Chunk::parse(&bytes).expect("a serialized chunk reparses");
        assert_eq!(used, bytes.len());
        assert_eq!(&again, c, "serialize(parse(x)) reparses equal");
    }
}

/// An MSRP URI: what parses writes back to text that parses equal, and
/// matches itself under the RFC 4975 section 6.1 rules.
pub fn uri(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(u) = MsrpUri::parse(text) {
        let again = MsrpUri::parse(&u.to_string()).expect("a written URI reparses");
        assert_eq!(again, u);
        assert!(u.matches(&again));
    }
    let _ = msrp::uri::parse_path(text);
}

/// An SDP document: what parses writes back and reparses equal; the MSRP
/// description reads without panicking.
pub fn sdp(data: &[u8]) {
    if let Ok(s) = Sdp::parse(data) {
        let again = Sdp::parse(&s.to_bytes()).expect("a written SDP reparses");
        assert_eq!(again, s);
        if let Ok(d) = MsrpDescription::from_sdp(&s) {
            let _ = d.to_sdp("fuzz", 1);
        }
    }
}

/// A message/cpim body: what parses writes back and reparses equal.
pub fn cpim(data: &[u8]) {
    if let Ok(c) = Cpim::parse(data) {
        let again = Cpim::parse(&c.to_bytes()).expect("a written CPIM body reparses");
        assert_eq!(again, c);
        let _ = c.namespaces();
        let _ = c.imdn_message_id();
        let _ = c.disposition_notification();
    }
}

/// A session fed arbitrary bytes as its peer's stream: never panics, and
/// whatever it writes back is well-formed MSRP.
#[allow(clippy::disallowed_methods)] // a fixed origin for the fake clock
pub fn session(data: &[u8]) {
    let me = MsrpUri::parse("msrp://b.example:1/s;tcp").expect("static URI");
    let peer = MsrpUri::parse("msrp://a.example:1/s;tcp").expect("static URI");
    let mut cfg = msrp::SessionConfig::new(me, vec![peer]);
    cfg.limits = limits();
    cfg.max_message_size = Some(1 << 20);
    let mut s = msrp::Session::new(cfg).expect("valid config");
    let now = std::time::Instant::now();
    s.handle_input(now, Bytes::copy_from_slice(data));
    while s.poll_event().is_some() {}
    while let Some(t) = s.poll_transmit(now) {
        msrp::parse_stream(&t.to_vec(), Limits::default()).expect("the session writes valid MSRP");
    }
    s.handle_timeout(now + std::time::Duration::from_secs(60));
}

/// How many operations [`session_pair`] runs from one input; the rest of a
/// longer input is ignored.
///
/// Every kind of state the pair can be in (several open messages, chunks
/// lost, duplicated or reordered on the wire, pending transactions timing
/// out) is reachable in a few dozen operations, and the cost of a run grows
/// with its length: the first campaign let libFuzzer grow inputs to 22 KB
/// (11,000 operations, about 0.2 s each under AddressSanitizer), so it ran
/// about 100 inputs a second. Bounding the sequence keeps every run short
/// and lets the fuzzer try far more distinct sequences; the checks made per
/// operation are unchanged.
pub const SESSION_PAIR_MAX_OPS: usize = 64;

/// Two sessions driven by a sequence of operations read from `data`
/// (send, push, flush, abort, deliver, drop, duplicate, reorder, advance
/// the clock): no panic, no byte handed out twice, every byte handed out
/// is the byte sent at that offset, and whatever either side writes is
/// well-formed MSRP. At most [`SESSION_PAIR_MAX_OPS`] operations run, and
/// a write step takes at most eight chunks from a session.
#[allow(clippy::disallowed_methods)] // a fixed origin for the fake clock
pub fn session_pair(data: &[u8]) {
    let data = data.get(..1 + 2 * SESSION_PAIR_MAX_OPS).unwrap_or(data);
    use std::collections::HashMap;
    let a_uri = MsrpUri::parse("msrp://a.example:1/x;tcp").expect("static URI");
    let b_uri = MsrpUri::parse("msrp://b.example:2/y;tcp").expect("static URI");
    let mut ca = msrp::SessionConfig::new(a_uri.clone(), vec![b_uri.clone()]);
    ca.chunk_size = 1 + usize::from(data.first().copied().unwrap_or(16));
    let mut a = msrp::Session::new(ca).expect("valid config");
    let mut b =
        msrp::Session::new(msrp::SessionConfig::new(b_uri, vec![a_uri])).expect("valid config");
    let mut now = std::time::Instant::now();
    // What a sent for each message, and what b handed out.
    let mut sent: HashMap<String, Vec<u8>> = HashMap::new();
    let mut got: HashMap<String, Vec<Option<u8>>> = HashMap::new();
    let mut open: Vec<String> = Vec::new();
    let mut wire: Vec<Bytes> = Vec::new();
    let mut ops = data.iter().skip(1).copied();
    let mut counter = 0u8;
    while let Some(op) = ops.next() {
        let arg = ops.next().unwrap_or(0);
        match op % 9 {
            0 => {
                if let Ok(id) = a.start_message(msrp::MessageSpec::new("text/plain")) {
                    sent.insert(id.clone(), Vec::new());
                    open.push(id);
                }
            }
            1 | 2 => {
                if let Some(id) = open.get(usize::from(arg) % open.len().max(1)).cloned() {
                    let piece: Vec<u8> = (0..arg).map(|i| i.wrapping_add(counter)).collect();
                    counter = counter.wrapping_add(1);
                    let last = op % 9 == 2;
                    if a.push_data(&id, Bytes::from(piece.clone()), last).is_ok() {
                        sent.entry(id.clone())
                            .or_default()
                            .extend_from_slice(&piece);
                        if last {
                            open.retain(|m| *m != id);
                        }
                    }
                }
            }
            3 => {
                if let Some(id) = open.get(usize::from(arg) % open.len().max(1)) {
                    let _ = a.flush(id);
                }
            }
            4 => {
                if let Some(id) = open.get(usize::from(arg) % open.len().max(1)).cloned() {
                    let _ = a.abort_message(&id);
                    open.retain(|m| *m != id);
                }
            }
            5 => {
                // At most `arg % 8 + 1` writes per step, so a message cut
                // into one-byte chunks does not cost thousands of writes in
                // one step (and partial drains interleave with deliveries).
                for _ in 0..=arg % 8 {
                    let Some(t) = a.poll_transmit(now) else { break };
                    let bytes = t.to_vec();
                    msrp::parse_stream(&bytes, Limits::default()).expect("a writes valid MSRP");
                    wire.push(Bytes::from(bytes));
                }
            }
            6 => {
                // Deliver, drop, duplicate or swap queued chunks.
                if !wire.is_empty() {
                    let i = usize::from(arg) % wire.len();
                    match arg % 4 {
                        0 => {
                            let c = wire.remove(i);
                            b.handle_input(now, c);
                        }
                        1 => {
                            wire.remove(i);
                        }
                        2 => {
                            let c = wire[i].clone();
                            b.handle_input(now, c);
                        }
                        _ => wire.swap(0, i),
                    }
                }
            }
            7 => {
                for _ in 0..=arg % 8 {
                    let Some(t) = b.poll_transmit(now) else { break };
                    msrp::parse_stream(&t.to_vec(), Limits::default())
                        .expect("b writes valid MSRP");
                    for s in t.segments {
                        a.handle_input(now, s);
                    }
                }
            }
            _ => {
                now += std::time::Duration::from_secs(u64::from(arg));
                a.handle_timeout(now);
                b.handle_timeout(now);
            }
        }
        while a.poll_event().is_some() {}
        while let Some(e) = b.poll_event() {
            if let msrp::Event::Data {
                message_id,
                offset,
                data,
            } = e
            {
                let want = sent.get(&message_id).expect("data of a message a sent");
                let slots = got.entry(message_id).or_default();
                for (k, byte) in data.iter().enumerate() {
                    let at = offset as usize + k;
                    assert_eq!(
                        want.get(at),
                        Some(byte),
                        "byte {at} differs from what was sent"
                    );
                    if slots.len() <= at {
                        slots.resize(at + 1, None);
                    }
                    assert!(slots[at].is_none(), "byte {at} handed out twice");
                    slots[at] = Some(*byte);
                }
            }
        }
    }
}

/// A relay fed every chunk parsed from `data` as AUTH, request to forward
/// or response: no panic, and what it produces is well-formed MSRP.
#[allow(clippy::disallowed_methods)] // a fixed origin for the fake clock
pub fn relay(data: &[u8]) {
    use msrp::relay::{Forward, Relay, RelayConfig};
    let mut users = std::collections::HashMap::new();
    users.insert("alice".to_owned(), "secret".to_owned());
    let mut r = Relay::new(RelayConfig {
        uri: MsrpUri::parse("msrps://relay.example.com:9000/abcd;tcp").expect("static URI"),
        realm: "relay.example.com".into(),
        users,
        default_expires: 600,
        min_expires: 60,
        max_expires: 3600,
        seed: 1,
    });
    let now = std::time::Instant::now();
    let check = |h: &msrp::ChunkHead| {
        let mut b = Vec::new();
        h.write(&mut b);
        h.write_end(msrp::Flag::Complete, &mut b);
        msrp::parse_stream(&b, Limits::default()).expect("the relay writes valid MSRP");
    };
    let (chunks, _) = run_stream(data, &[255]);
    for c in &chunks {
        if c.head.method() == Some(&msrp::Method::AUTH) {
            check(&r.handle_auth(now, &c.head));
        } else if c.head.method().is_some() {
            match r.forward_request(now, &c.head) {
                Forward::Next { head, response } => {
                    check(&head);
                    if let Some(resp) = response {
                        check(&resp);
                    }
                }
                Forward::Refuse { response, report } => {
                    for h in response.iter().chain(report.iter()) {
                        check(h);
                    }
                }
            }
        } else if let Some(h) = r.handle_response(now, &c.head) {
            check(&h);
        }
    }
    for h in r.handle_timeout(now + std::time::Duration::from_secs(31)) {
        check(&h);
    }
}

/// A chat room whose first participant sends `data`: no panic, and what
/// the room writes is well-formed MSRP.
#[allow(clippy::disallowed_methods)] // a fixed origin for the fake clock
pub fn chat(data: &[u8]) {
    use msrp::chat::{ChatRoom, ChatRoomConfig};
    let mut room = ChatRoom::new(ChatRoomConfig {
        room_uri: "sip:room@chat.example.com".into(),
        allow_nicknames: true,
        reserved_nicknames: vec!["admin".into()],
        max_message_size: 64 * 1024,
    });
    let room_a =
        MsrpUri::parse("msrp://chat.example.com:12763/kjhd37s2s20w2a;tcp").expect("static URI");
    let room_b = MsrpUri::parse("msrp://chat.example.com:5678/jofofo3;tcp").expect("static URI");
    let client_a = MsrpUri::parse("msrp://client.atlanta.example.com:7654/jshA7weztas;tcp")
        .expect("static URI");
    let client_b =
        MsrpUri::parse("msrp://client.biloxi.example.com:4923/49dufdje2;tcp").expect("static URI");
    let Ok(a) = room.join(
        "sip:alice@atlanta.example.com",
        msrp::SessionConfig::new(room_a, vec![client_a]),
        vec!["*".into()],
        true,
    ) else {
        return;
    };
    let _ = room.join(
        "sip:bob@example.com",
        msrp::SessionConfig::new(room_b, vec![client_b]),
        vec!["text/plain".into()],
        false,
    );
    let now = std::time::Instant::now();
    room.handle_input(now, a, Bytes::copy_from_slice(data));
    while room.poll_event().is_some() {}
    while let Some((_, t)) = room.poll_transmit(now) {
        msrp::parse_stream(&t.to_vec(), Limits::default()).expect("the room writes valid MSRP");
    }
}

/// An `a=fingerprint` value (RFC 8122 section 5): what parses writes back
/// to text that parses equal, with upper-case hex; checking the input's
/// bytes as a certificate against it, directly and through a session
/// waiting for its TLS peer, never panics and agrees. The input is also
/// read as an SDP document whose fingerprints are looked up.
pub fn fingerprint(data: &[u8]) {
    use msrp::fingerprint::{verify, Fingerprint};
    if let Ok(s) = Sdp::parse(data) {
        if let Ok(fps) = s.fingerprints() {
            let _ = verify(&fps, data);
        }
        for m in &s.media {
            let _ = s.fingerprints_for(m);
        }
    }
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(fp) = Fingerprint::parse(text) else {
        return;
    };
    let written = fp.to_string();
    let again = Fingerprint::parse(&written).expect("a written fingerprint reparses");
    assert_eq!(again, fp);
    let (_, hex) = written.split_once(' ').expect("hash SP digest");
    assert!(
        !hex.bytes().any(|b| b.is_ascii_lowercase()),
        "hex is upper-case"
    );
    let direct = verify(std::slice::from_ref(&fp), data);
    let a = MsrpUri::parse("msrps://a.example:1/x;tcp").expect("static URI");
    let b = MsrpUri::parse("msrps://b.example:2/y;tcp").expect("static URI");
    let mut cfg = msrp::SessionConfig::new(a, vec![b]);
    cfg.peer_certificate = msrp::PeerCertificate::Fingerprints(vec![fp]);
    let mut s = msrp::Session::new(cfg).expect("valid config");
    assert_eq!(s.handle_peer_certificate(data), direct);
    assert!(!s.awaits_peer_certificate());
    assert_eq!(s.is_broken(), direct.is_err());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_points_accept_samples() {
        let chunk = b"\x03\x05\x01\x07\x02\x0b\x11\x13MSRP a786hjs2 SEND\r\nTo-Path: msrp://b.example:1/s;tcp\r\nFrom-Path: msrp://a.example:1/s;tcp\r\nMessage-ID: 87652491\r\nByte-Range: 1-5/5\r\nContent-Type: text/plain\r\n\r\nhello\r\n-------a786hjs2$\r\n";
        chunk_stream(chunk);
        session(&chunk[8..]);
        uri(b"msrp://a.example:1/s;tcp;x=y");
        sdp(b"v=0\r\nm=message 9 TCP/MSRP *\r\na=path:msrp://a.example/s;tcp\r\n");
        cpim(b"From: <sip:a@x>\r\n\r\nContent-Type: text/plain\r\n\r\nhi");
        session_pair(&[8, 0, 0, 1, 20, 2, 5, 5, 0, 6, 2, 6, 0, 7, 0, 8, 31]);
        relay(&chunk[8..]);
        chat(&chunk[8..]);
        fingerprint(b"sha-256 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff");
        fingerprint(b"v=0\r\na=fingerprint:md5 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF\r\nm=message 9 TCP/TLS/MSRP *\r\n");
    }
}
