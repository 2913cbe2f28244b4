//! RLMI bodies built here read with `sip_core::multipart`, and bodies built
//! with `sip_core::multipart` read here: the two multipart codecs of the
//! workspace agree on the wire form.

use bytes::Bytes;
use rls::notify::{NotifyLimits, RlmiNotification, StatePart};
use rls::rlmi::{Instance, InstanceState, Resource, Rlmi};
use sip_core::header::{ContentId, ContentType, MediaType, TypedHeader};
use sip_core::multipart::{Multipart, MultipartBuilder, Part};

fn sample() -> RlmiNotification {
    let mut doc = Rlmi::new("sip:friends@example.com", 4, false);
    doc.resources
        .push(Resource::new("sip:bob@example.com").with_instance(
            Instance::new("b1", InstanceState::Active).with_cid("bob1@example.com"),
        ));
    let mut n = RlmiNotification::new(doc, "root@example.com");
    n.parts.push(StatePart {
        cid: "bob1@example.com".into(),
        content_type: "application/pidf+xml".into(),
        body: b"<presence xmlns=\"urn:ietf:params:xml:ns:pidf\" entity=\"pres:bob@example.com\"/>"
            .to_vec(),
    });
    n
}

#[test]
fn sip_core_reads_our_bodies() {
    let n = sample();
    let enc = n.encode(3);
    let ct = ContentType::decode(&Bytes::from(enc.content_type.clone())).expect("content type");
    assert!(ct.0.is("multipart", "related"));
    let mp = Multipart::parse(&ct.0, &Bytes::from(enc.body), &Default::default()).expect("parses");
    assert_eq!(mp.parts().len(), 2);
    let root = mp.root().expect("root by start");
    assert_eq!(Rlmi::parse(&root.body).unwrap(), n.rlmi);
    let part = mp.part_by_id(b"bob1@example.com").expect("by cid");
    assert_eq!(&part.body[..], &n.parts[0].body[..]);
}

#[test]
fn we_read_sip_core_bodies() {
    let n = sample();
    let rlmi = MediaType::new("application", "rlmi+xml").unwrap();
    let pidf = MediaType::new("application", "pidf+xml").unwrap();
    let (ct, body) = MultipartBuilder::related(&rlmi)
        .part(
            Part::new(&rlmi, n.rlmi.to_xml())
                .with_content_id(&ContentId::new("root@example.com").unwrap()),
        )
        .part(
            Part::new(&pidf, n.parts[0].body.clone())
                .with_content_id(&ContentId::new("bob1@example.com").unwrap()),
        )
        .start(&ContentId::new("root@example.com").unwrap())
        .build();
    let value = String::from_utf8(ct.to_value().to_vec()).unwrap();
    let back = RlmiNotification::parse(&value, &body, &NotifyLimits::default()).expect("parses");
    assert_eq!(back, n);
}
