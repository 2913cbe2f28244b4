//! The messages the `parse` and `allocs` benches share, and the typed reads
//! they time and count, so both measure the same bytes and the same work.

use criterion::black_box;
use rsip::prelude::*;
use sip_core::header::{CSeq, CallId, From, To, Via};
use sip_core::Message;

/// A 142-byte SDP offer, so the RFC 3261 24.2 F1 INVITE's Content-Length
/// matches.
fn sdp(len: usize) -> Vec<u8> {
    let base = b"v=0\r\no=alice 2890844526 2890844526 IN IP4 pc33.atlanta.com\r\ns=-\r\nc=IN IP4 pc33.atlanta.com\r\nt=0 0\r\nm=audio 49172 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n";
    let mut v = base.to_vec();
    v.resize(len, b'x');
    v
}

/// RFC 3261 24.2 F1 (Alice's INVITE) with a 142-byte SDP body.
pub(crate) fn invite() -> Vec<u8> {
    let mut m = testkit::vector("sip/examples/rfc3261-24.2-F1.dat");
    m.extend_from_slice(&sdp(142));
    m
}

/// RFC 3261 24.2 F9 (200 OK to the INVITE) with its Via folds joined (rsip
/// refuses folded lines) and a 131-byte SDP body.
pub(crate) fn ok200() -> Vec<u8> {
    let raw = testkit::vector("sip/examples/rfc3261-24.2-F9.dat");
    let text = String::from_utf8(raw).unwrap().replace("\r\n ;", ";");
    let mut m = text.into_bytes();
    m.extend_from_slice(&sdp(131));
    m
}

/// A NOTIFY carrying a PIDF body of about 1.5 KB (tuples until 1,450
/// bytes).
pub(crate) fn notify() -> Vec<u8> {
    let mut pidf = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<presence xmlns=\"urn:ietf:params:xml:ns:pidf\" entity=\"pres:bob@biloxi.com\">\n",
    );
    let mut i = 0;
    while pidf.len() < 1450 {
        pidf.push_str(&format!(
            "  <tuple id=\"t{i}\"><status><basic>open</basic></status><contact priority=\"0.8\">sip:bob@pc{i}.biloxi.com</contact></tuple>\n"
        ));
        i += 1;
    }
    pidf.push_str("</presence>\n");
    let head = format!(
        "NOTIFY sip:alice@pc33.atlanta.com SIP/2.0\r\n\
Via: SIP/2.0/TCP pres.biloxi.com;branch=z9hG4bK776sgdkse\r\n\
Max-Forwards: 70\r\n\
To: <sip:alice@atlanta.com>;tag=31415\r\n\
From: <sip:bob@biloxi.com>;tag=ffd2\r\n\
Call-ID: 3848276298220188511@atlanta.com\r\n\
CSeq: 2 NOTIFY\r\n\
Contact: <sip:pres.biloxi.com;transport=tcp>\r\n\
Event: presence\r\n\
Subscription-State: active;expires=3599\r\n\
Content-Type: application/pidf+xml\r\n\
Content-Length: {}\r\n\r\n",
        pidf.len()
    );
    let mut m = head.into_bytes();
    m.extend_from_slice(pidf.as_bytes());
    m
}

/// Via, From, To, CSeq and Call-ID read as typed values, kept from the
/// optimizer by `black_box` on references and dropped here; the Call-ID's
/// length is returned. That is what [`rsip_typed`] does with rsip's, so
/// both sides do the same work around the reads (until 2026-12-03 this
/// returned the five values, a 560-byte move that rsip's side did not
/// make).
pub(crate) fn ours_typed(m: &Message) -> usize {
    let h = m.headers();
    let via = h.typed::<Via>().unwrap().unwrap();
    let from = h.typed::<From>().unwrap().unwrap();
    let to = h.typed::<To>().unwrap().unwrap();
    let cseq = h.typed::<CSeq>().unwrap().unwrap();
    let call_id = h.typed::<CallId>().unwrap().unwrap();
    black_box((&via, &from, &to, &cseq, &call_id));
    call_id.0.len()
}

/// The same five through rsip's `typed()` (Call-ID has none: its
/// length).
pub(crate) fn rsip_typed(m: &rsip::SipMessage) -> usize {
    let via = m.via_header().unwrap().typed().unwrap();
    let from = m.from_header().unwrap().typed().unwrap();
    let to = m.to_header().unwrap().typed().unwrap();
    let cseq = m.cseq_header().unwrap().typed().unwrap();
    let call_id = m.call_id_header().unwrap().value().len();
    black_box((&via, &from, &to, &cseq));
    call_id
}

/// The three messages by the names the benches give them.
pub(crate) fn messages() -> [(&'static str, Vec<u8>); 3] {
    [
        ("invite", invite()),
        ("200ok", ok200()),
        ("notify-pidf", notify()),
    ]
}
