//! A file transfer set up as RFC 5547 describes: an SDP offer with a
//! file-selector, the answer, then the file over the sessions built from
//! the two descriptions, checked against the selector's size and hash.
#![allow(clippy::disallowed_methods)] // one clock reading as the fake clock's origin

use bytes::Bytes;
use msrp::sdp::{Direction, FileSelector, FileTransfer, MsrpDescription, Sdp, Setup};
use msrp::{Event, MessageSpec, MsrpUri, Session, SessionConfig};
use sha2::{Digest, Sha256};
use std::time::Instant;

#[test]
fn offer_answer_then_transfer() {
    let file: Vec<u8> = (0..100_000u32).map(|i| (i * 7 % 253) as u8).collect();
    let digest = Sha256::digest(&file);
    let alice_uri = MsrpUri::parse("msrp://alicepc.example.com:7654/jshA7we;tcp").unwrap();
    let bob_uri = MsrpUri::parse("msrp://bobpc.example.com:8888/9di4ea;tcp").unwrap();

    // Alice offers to send the file.
    let mut offer = MsrpDescription::chat("alicepc.example.com", 7654, alice_uri.clone());
    offer.direction = Direction::SendOnly;
    offer.accept_types = vec!["message/cpim".into()];
    offer.file = Some(FileTransfer {
        selector: FileSelector {
            name: Some("My cool picture.jpg".into()),
            media_type: Some("image/jpeg".into()),
            size: Some(file.len() as u64),
            hash: Some(("sha-256".into(), FileSelector::hex_hash(&digest))),
        },
        transfer_id: "vBnG916bdberum2fFEABR1FR3ExZMUrd".into(),
        disposition: Some("attachment".into()),
        dates: vec![("creation".into(), "Mon, 15 May 2006 15:01:31 +0300".into())],
        icon: None,
        range: Some((1, None)),
    });
    let offer_bytes = offer.to_sdp("alice", 2890844526).to_bytes();

    // Bob reads it and answers.
    let got = MsrpDescription::from_sdp(&Sdp::parse(&offer_bytes).unwrap()).unwrap();
    let sel = got.file.as_ref().unwrap().selector.clone();
    assert_eq!(sel.size, Some(100_000));
    assert_eq!(got.direction, Direction::SendOnly);
    let answer = MsrpDescription::answer(
        &got,
        "bobpc.example.com",
        8888,
        vec![bob_uri.clone()],
        vec!["image/jpeg".into()],
    );
    let answer_bytes = answer.to_sdp("bob", 1).to_bytes();
    let ans = MsrpDescription::from_sdp(&Sdp::parse(&answer_bytes).unwrap()).unwrap();
    assert_eq!(ans.direction, Direction::RecvOnly);
    assert_eq!(ans.setup, Some(Setup::Active));
    assert_eq!(
        ans.file.as_ref().unwrap().transfer_id,
        "vBnG916bdberum2fFEABR1FR3ExZMUrd"
    );

    // Sessions from the two descriptions: each sends to the other's path.
    let mut ca = SessionConfig::new(alice_uri.clone(), ans.path.clone());
    ca.chunk_size = 8192;
    ca.may_receive = offer.direction != Direction::SendOnly;
    let mut cb = SessionConfig::new(bob_uri.clone(), got.path.clone());
    cb.accept_types = ans.accept_types.clone();
    cb.max_message_size = sel.size;
    let mut a = Session::new(ca).unwrap();
    let mut b = Session::new(cb).unwrap();
    let now = Instant::now();
    let mut spec = MessageSpec::new(sel.media_type.as_deref().unwrap());
    spec.extra_headers.push((
        "Content-Disposition".into(),
        "attachment; filename=\"My cool picture.jpg\"".into(),
    ));
    spec.success_report = true;
    let id = a.send_message(spec, Bytes::from(file.clone())).unwrap();
    let mut received = vec![0u8; file.len()];
    let mut done = false;
    let mut reported = false;
    for _ in 0..100 {
        while let Some(t) = a.poll_transmit(now) {
            for s in t.segments {
                b.handle_input(now, s);
            }
        }
        while let Some(t) = b.poll_transmit(now) {
            for s in t.segments {
                a.handle_input(now, s);
            }
        }
        while let Some(e) = b.poll_event() {
            match e {
                Event::Data { offset, data, .. } => {
                    received[offset as usize..offset as usize + data.len()].copy_from_slice(&data)
                }
                Event::MessageComplete { total, .. } => {
                    assert_eq!(Some(total), sel.size);
                    done = true;
                }
                _ => {}
            }
        }
        while let Some(e) = a.poll_event() {
            if let Event::Report {
                message_id,
                status,
                range,
            } = e
            {
                assert_eq!(message_id, id);
                assert!(status.code.is_success());
                assert_eq!(range.and_then(|r| r.total), Some(100_000));
                reported = true;
            }
        }
        if done && reported {
            break;
        }
    }
    assert!(done && reported);
    let (alg, hex) = sel.hash.unwrap();
    assert_eq!(alg, "sha-256");
    assert_eq!(FileSelector::hex_hash(&Sha256::digest(&received)), hex);
}
