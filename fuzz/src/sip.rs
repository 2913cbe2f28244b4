//! Fuzz entry points for the `sip-core` parsers.
//!
//! Each function takes arbitrary bytes, drives one parser and asserts what
//! must hold for any input: no panic, and for what parses, that
//! serialization reparses to an equal value.

use sip_core::header::{
    Accept, Allow, AllowEvents, Authorization, CSeq, CallId, Contact, ContentDisposition,
    ContentId, ContentLength, ContentType, Date, Event, Expires, From, MaxForwards, MinExpires,
    ProxyAuthenticate, ProxyAuthorization, ProxyRequire, RecordRoute, Require, RetryAfter, Route,
    SipETag, SipIfMatch, SubscriptionState, Supported, To, TypedHeader, Unsupported, Via, Warning,
    WwwAuthenticate,
};
use sip_core::multipart::Multipart;
use sip_core::{Bytes, Limits, Message, Status, StreamEvent, StreamFramer, Uri};

fn limits() -> Limits {
    Limits {
        max_message: 16 * 1024,
        max_headers: 64,
        max_line: 2048,
        max_body: 8 * 1024,
    }
}

/// The limits for reading back what was written from input read under
/// [`limits`]: writing ends every line with CRLF and puts `: ` after each
/// header name, so a line may be two bytes longer than it was read, and a
/// message two bytes a line (see `sip_core::Limits`).
fn limits_after_write() -> Limits {
    let l = limits();
    Limits {
        max_line: l.max_line + 2,
        max_message: l.max_message + 2 * (l.max_headers + 2),
        ..l
    }
}

/// One datagram: parse, validate, canonicalize; what parses reparses equal.
pub fn datagram(data: &[u8]) {
    if let Ok(m) = Message::parse_datagram(data.to_vec(), &limits()) {
        let _ = m.validate();
        let _ = m.to_canonical();
        let again = Message::parse_datagram(m.to_bytes(), &limits_after_write())
            .expect("a serialized message reparses");
        assert_eq!(again, m, "serialize(parse(x)) reparses equal");
    }
}

/// Round trip: parse, serialize, reparse equal; and the canonical form is
/// a fixed point.
pub fn round_trip(data: &[u8]) {
    let Ok(m) = Message::parse_datagram(data.to_vec(), &limits()) else {
        return;
    };
    let again = Message::parse_datagram(m.to_bytes(), &limits_after_write()).expect("reparse");
    assert_eq!(again, m);
    let canon = m.to_canonical();
    if let Ok(c) = Message::parse_datagram(canon.clone(), &limits()) {
        assert_eq!(c.to_canonical(), canon, "canonical form is stable");
    }
}

/// The stream framer with read sizes taken from the first bytes.
pub fn stream(data: &[u8]) {
    let (sizes, rest) = data.split_at(data.len().min(8));
    let mut f = StreamFramer::new(limits());
    let mut pos = 0;
    let mut i = 0;
    while pos < rest.len() {
        let n = usize::from(sizes.get(i % sizes.len().max(1)).copied().unwrap_or(1)).max(1);
        let end = (pos + n).min(rest.len());
        f.handle_input(&rest[pos..end]);
        pos = end;
        i += 1;
        while let Ok(Some(_)) = f.poll_event() {}
    }
}

/// Differential: a buffer framed as a stream (in one read and byte by
/// byte) gives the same first message as `Message::parse_stream`, and when
/// that message fills the buffer exactly, the same as the datagram parser.
pub fn differential(data: &[u8]) {
    let buf = Bytes::copy_from_slice(data);
    let whole = Message::parse_stream(&buf, &limits());
    let mut one = StreamFramer::new(limits());
    one.handle_input(data);
    let mut bytewise = StreamFramer::new(limits());
    let mut first_bytewise = None;
    for b in data {
        bytewise.handle_input(std::slice::from_ref(b));
        if let Ok(Some(StreamEvent::Message(m))) = bytewise.poll_event() {
            first_bytewise = Some(m);
            break;
        }
    }
    // Skip keep-alives in the one-read framer.
    let first_one = loop {
        match one.poll_event() {
            Ok(Some(StreamEvent::Message(m))) => break Some(m),
            Ok(Some(_)) => continue,
            _ => break None,
        }
    };
    if let Ok(Status::Complete((m, used))) = whole {
        // Leading CRLFs before the message are consumed by parse_stream but
        // reported as keep-alives by the framers; the message is the same.
        assert_eq!(first_one.as_ref(), Some(&m), "one-read framer agrees");
        if let Some(b) = &first_bytewise {
            assert_eq!(b, &m, "byte-by-byte framer agrees");
        }
        if used == data.len() {
            let d = Message::parse_datagram(buf.clone(), &limits()).expect("datagram agrees");
            assert_eq!(d, m);
        }
    }
}

/// URIs: what parses reprints to something that parses to an equivalent
/// URI (other schemes are kept as sent).
pub fn uri(data: &[u8]) {
    let b = Bytes::copy_from_slice(data);
    if let Ok(u) = Uri::parse(&b) {
        let again = Uri::parse(&Bytes::from(u.to_string())).expect("reparse");
        assert!(again.equivalent(&u) || again == u);
    }
}

fn typed<H: TypedHeader + PartialEq + std::fmt::Debug>(v: &Bytes) {
    if let Ok(h) = H::decode(v) {
        let enc = h.to_value();
        if let Ok(again) = H::decode(&enc) {
            assert_eq!(
                again.to_value(),
                enc,
                "{}: encode is a fixed point for {:?}",
                std::any::type_name::<H>(),
                String::from_utf8_lossy(v)
            );
        }
    }
}

/// Every typed header decoder on the same value.
pub fn headers(data: &[u8]) {
    let v = Bytes::copy_from_slice(data);
    typed::<Via>(&v);
    typed::<From>(&v);
    typed::<To>(&v);
    typed::<CallId>(&v);
    typed::<CSeq>(&v);
    typed::<MaxForwards>(&v);
    typed::<Contact>(&v);
    typed::<Route>(&v);
    typed::<RecordRoute>(&v);
    typed::<ContentType>(&v);
    typed::<ContentLength>(&v);
    typed::<ContentId>(&v);
    typed::<ContentDisposition>(&v);
    typed::<Expires>(&v);
    typed::<MinExpires>(&v);
    typed::<Event>(&v);
    typed::<AllowEvents>(&v);
    typed::<SubscriptionState>(&v);
    typed::<SipETag>(&v);
    typed::<SipIfMatch>(&v);
    typed::<Require>(&v);
    typed::<ProxyRequire>(&v);
    typed::<Supported>(&v);
    typed::<Unsupported>(&v);
    typed::<Accept>(&v);
    typed::<Allow>(&v);
    typed::<WwwAuthenticate>(&v);
    typed::<ProxyAuthenticate>(&v);
    typed::<Authorization>(&v);
    typed::<ProxyAuthorization>(&v);
    typed::<RetryAfter>(&v);
    typed::<Date>(&v);
    typed::<Warning>(&v);
}

/// A multipart body; the first line (up to LF) is the Content-Type.
pub fn multipart(data: &[u8]) {
    let nl = data.iter().position(|&b| b == b'\n').unwrap_or(data.len());
    let ct = Bytes::copy_from_slice(&data[..nl]);
    let body = Bytes::copy_from_slice(data.get(nl + 1..).unwrap_or_default());
    let Ok(ct) = ContentType::decode(&ct) else {
        return;
    };
    if let Ok(m) = Multipart::parse(&ct.0, &body, &limits()) {
        let again = Multipart::parse(&ct.0, &m.to_bytes(), &limits_after_write()).expect("reparse");
        assert_eq!(again.parts().len(), m.parts().len());
        for (a, b) in again.parts().iter().zip(m.parts()) {
            assert_eq!(a.body, b.body);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_points_run_on_vectors() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../shared/corpus/sip/rfc4475");
        let Ok(dir) = std::fs::read_dir(&root) else {
            return;
        };
        for e in dir.flatten() {
            let Ok(data) = std::fs::read(e.path()) else {
                continue;
            };
            datagram(&data);
            round_trip(&data);
            stream(&data);
            differential(&data);
            for line in data.split(|&b| b == b'\n') {
                headers(line);
                uri(line);
            }
        }
        multipart(
            b"multipart/mixed;boundary=b\n--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n--b--\r\n",
        );
    }
}
