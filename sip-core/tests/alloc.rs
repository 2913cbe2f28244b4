//! Allocation counts on the hot path: parsing a message allocates once (the
//! header list), and reading the core headers a proxy needs (Via, CSeq,
//! Call-ID, From/To tags, Max-Forwards) allocates nothing; nor do raw
//! reads after the first. Counted with
//! stats_alloc's instrumented allocator (one test in this binary, so no
//! other test allocates meanwhile).

use sip_core::header::{
    CSeq, CallId, ContentType, From, HeaderName, MaxForwards, To, TypedHeader, Via,
};
use sip_core::multipart::Multipart;
use sip_core::{Bytes, Limits, Message};

use stats_alloc::{Region, StatsAlloc, INSTRUMENTED_SYSTEM};
use std::alloc::System;

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

const INVITE: &[u8] = b"INVITE sip:bob@biloxi.com SIP/2.0\r\n\
Via: SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bKnashds8;received=192.0.2.1;rport=5060\r\n\
Via: SIP/2.0/UDP bigbox3.site3.atlanta.com;branch=z9hG4bK77ef4c2312983.1\r\n\
Max-Forwards: 70\r\n\
To: Bob <sip:bob@biloxi.com>\r\n\
From: \"Alice\" <sip:alice@atlanta.com>;tag=1928301774\r\n\
Call-ID: a84b4c76e66710@pc33.atlanta.com\r\n\
CSeq: 314159 INVITE\r\n\
Contact: <sip:alice@pc33.atlanta.com>\r\n\
Content-Type: application/sdp\r\n\
Content-Length: 4\r\n\r\nv=0\n";

#[test]
fn hot_path_allocations() {
    let buf = Bytes::from_static(INVITE);
    let limits = Limits::default();

    let region = Region::new(GLOBAL);
    let msg = Message::parse_datagram(buf, &limits).unwrap();
    assert_eq!(
        region.change().allocations,
        1,
        "one allocation: the header list"
    );

    let region = Region::new(GLOBAL);
    let h = msg.headers();
    let vias: usize = h
        .typed_iter::<Via>()
        .map(|v| v.unwrap().port().unwrap_or(5060) as usize)
        .sum();
    let via: Via = h.typed().unwrap().unwrap();
    let cseq: CSeq = h.typed().unwrap().unwrap();
    let call_id: CallId = h.typed().unwrap().unwrap();
    let from: From = h.typed().unwrap().unwrap();
    let to: To = h.typed().unwrap().unwrap();
    let mf: MaxForwards = h.typed().unwrap().unwrap();
    let typed_allocs = region.change().allocations;
    assert_eq!(typed_allocs, 0, "typed core headers allocate nothing");

    // Raw values as `Bytes`: the first read makes the list's cache of
    // value slices (one allocation), later reads find it there.
    let region = Region::new(GLOBAL);
    let first = h.get(&HeaderName::VIA).unwrap().clone();
    let first_allocs = region.change().allocations;
    let region = Region::new(GLOBAL);
    let raw: usize = h.iter().map(|(_, v)| v.len()).sum();
    let contact = h.get(&HeaderName::CONTACT).unwrap().len();
    assert_eq!((first_allocs, region.change().allocations), (1, 0));
    assert_eq!(
        &first[..],
        b"SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bKnashds8;received=192.0.2.1;rport=5060"
    );
    assert_eq!((raw, contact), (307, 28));

    // A two-part multipart body, whose part header values stay in the
    // body (with each value in a store of its own it was 9).
    let ct = ContentType::decode(&Bytes::from_static(b"multipart/mixed;boundary=b")).unwrap();
    let body = Bytes::from_static(
        b"--b\r\nContent-Type: text/plain\r\nContent-ID: <a@h>\r\n\r\none\r\n\
          --b\r\nContent-Type: text/plain\r\n\r\ntwo\r\n--b--\r\n",
    );
    let region = Region::new(GLOBAL);
    let parts = Multipart::parse(&ct.0, &body, &limits).unwrap();
    // The delimiter to search for, the boundary kept, the list of parts,
    // and a list of lines a part.
    assert_eq!(region.change().allocations, 5);
    assert_eq!(parts.parts().len(), 2);
    assert_eq!(&parts.parts()[1].body[..], b"two");

    // The values are real (and keep the optimizer honest).
    assert_eq!(vias, 2 * 5060);
    assert_eq!(via.branch(), Some(&b"z9hG4bKnashds8"[..]));
    assert_eq!(via.rport(), Some(Some(5060)));
    assert_eq!(cseq.seq, 314159);
    assert_eq!(&call_id.0[..], b"a84b4c76e66710@pc33.atlanta.com");
    assert_eq!(from.tag(), Some(&b"1928301774"[..]));
    assert_eq!(to.tag(), None);
    assert_eq!(mf, MaxForwards(70));
}
