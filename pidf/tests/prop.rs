//! Property tests: generated documents round-trip, a computed diff applied
//! to the old document yields the new one, and arbitrary bytes never panic.

use pidf::ext::{Cipid, RpidKind, RpidSet};
use pidf::partial::{diff, PartialDoc};
use pidf::xml::{Element, Name};
use pidf::{Basic, Contact, Device, Note, Person, Presence, Priority, Timestamp, Tuple, UnixTime};
use proptest::prelude::*;

fn text() -> impl Strategy<Value = String> {
    // XML-legal characters, the markup ones included.
    proptest::string::string_regex("[a-zA-Z0-9 <>&\"'é中\t\n]{0,12}").unwrap()
}

fn timestamp() -> impl Strategy<Value = Timestamp> {
    (0i64..4_000_000_000, 0u32..3).prop_map(|(secs, n)| {
        Timestamp::from_unix(UnixTime {
            secs,
            nanos: n * 250_000_000,
        })
    })
}

fn note() -> impl Strategy<Value = Note> {
    (text(), proptest::option::of(prop_oneof!["en", "fr", "hu"])).prop_map(|(t, l)| {
        let n = Note::new(t);
        match l {
            Some(l) => n.lang(l),
            None => n,
        }
    })
}

/// An extension element in an unknown namespace, with a prefix or not, an
/// attribute and a nested child.
fn extension() -> impl Strategy<Value = Element> {
    (0usize..3, any::<bool>(), text(), text()).prop_map(|(ns, prefixed, a, t)| {
        let uri = ["urn:example:a", "urn:example:b", "http://id.example.com/x"][ns];
        let name = if prefixed {
            Name::prefixed(uri, &format!("x{ns}"), "ext")
        } else {
            Name::new(uri, "ext")
        };
        Element::with_name(name)
            .with_attr("a", a)
            .with_child(Element::new(uri, "inner").with_text(t))
    })
}

fn tuple(id: String) -> impl Strategy<Value = Tuple> {
    (
        prop_oneof![Just(Basic::Open), Just(Basic::Closed)],
        proptest::option::of((0u16..=1000, "[a-z]{1,8}")),
        proptest::collection::vec(note(), 0..3),
        proptest::option::of(timestamp()),
        proptest::collection::vec(extension(), 0..2),
        any::<bool>(),
    )
        .prop_map(move |(b, contact, notes, ts, exts, rpid)| {
            let mut t = Tuple::new(id.clone()).basic(b);
            if let Some((p, user)) = contact {
                t = t.contact(
                    Contact::new(format!("sip:{user}@example.com"))
                        .priority(Priority::from_per_mille(p)),
                );
            }
            for n in notes {
                t = t.note(n);
            }
            if let Some(ts) = ts {
                t = t.timestamp(ts);
            }
            for e in exts {
                t = t.extension(e);
            }
            if rpid {
                t = t
                    .extension(pidf::ext::device_id_element("urn:x:dev"))
                    .extension(
                        RpidSet::new(RpidKind::Relationship)
                            .value("self")
                            .to_element(),
                    );
            }
            t
        })
}

fn person(id: String) -> impl Strategy<Value = Person> {
    (
        proptest::sample::subsequence(vec!["away", "busy", "meal", "on-the-phone"], 0..3),
        proptest::option::of(timestamp()),
        proptest::option::of(text()),
        proptest::collection::vec(note(), 0..2),
    )
        .prop_map(move |(acts, ts, name, notes)| {
            let mut p = Person::new(id.clone());
            if !acts.is_empty() {
                let mut s = RpidSet::new(RpidKind::Activities);
                for a in acts {
                    s = s.value(a);
                }
                p = p.extension(s.to_element());
            }
            if let Some(n) = name {
                p = p.extension(Cipid::DisplayName.element(&n));
            }
            for n in notes {
                p = p.note(n);
            }
            if let Some(ts) = ts {
                p = p.timestamp(ts);
            }
            p
        })
}

/// A document whose tuples, persons and devices are drawn from small id
/// pools, so two generated documents overlap.
fn presence() -> impl Strategy<Value = Presence> {
    (
        proptest::sample::subsequence(vec!["t1", "t2", "t3", "t4", "t5"], 0..5),
        proptest::sample::subsequence(vec!["p1", "p2"], 0..2),
        proptest::sample::subsequence(vec!["d1", "d2"], 0..2),
        proptest::collection::vec(note(), 0..3),
        proptest::collection::vec(extension(), 0..2),
        any::<bool>(),
    )
        .prop_flat_map(|(tids, pids, dids, notes, exts, shuffle)| {
            let tuples: Vec<_> = tids.iter().map(|id| tuple((*id).to_owned())).collect();
            let persons: Vec<_> = pids.iter().map(|id| person((*id).to_owned())).collect();
            let devices: Vec<Device> = dids
                .iter()
                .map(|id| Device::new(*id, format!("urn:uuid:{id}")).note("dev"))
                .collect();
            (
                tuples,
                persons,
                Just(devices),
                Just(notes),
                Just(exts),
                Just(shuffle),
            )
        })
        .prop_map(|(mut tuples, persons, devices, notes, exts, shuffle)| {
            if shuffle {
                tuples.reverse();
            }
            let mut p = Presence::new("pres:someone@example.com");
            for t in tuples {
                p = p.tuple(t);
            }
            for n in notes {
                p = p.note(n);
            }
            for x in persons {
                p = p.person(x);
            }
            for d in devices {
                p = p.device(d);
            }
            for e in exts {
                p = p.extension(e);
            }
            p
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn generated_documents_round_trip(p in presence()) {
        let xml = p.to_xml();
        // The direct writer and the tree writer agree byte for byte.
        let tree = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{}",
            p.to_element().to_xml_string()
        );
        prop_assert_eq!(String::from_utf8(xml.clone()).unwrap(), tree);
        let back = Presence::parse(&xml).map_err(|e| {
            TestCaseError::fail(format!("{e}\n{}", String::from_utf8_lossy(&xml)))
        })?;
        prop_assert!(back.infoset_eq(&p), "{}", String::from_utf8_lossy(&xml));
        // Writing is a fixpoint once parsed (built trees may hold empty text
        // nodes, which parse back as nothing).
        let out = back.to_xml();
        prop_assert_eq!(Presence::parse(&out).unwrap().to_xml(), out);
        prop_assert_eq!(&back.tuples.len(), &p.tuples.len());
        for (a, b) in back.tuples.iter().zip(&p.tuples) {
            prop_assert_eq!(&a.id, &b.id);
            prop_assert_eq!(a.status.basic, b.status.basic);
            prop_assert_eq!(&a.contact, &b.contact);
            prop_assert_eq!(&a.notes, &b.notes);
            prop_assert_eq!(&a.timestamp, &b.timestamp);
        }
        back.validate().unwrap();
    }

    #[test]
    fn diff_then_apply_yields_the_new_document(a in presence(), b in presence()) {
        let d = diff(&a, &b, Some(2));
        let got = d.apply(&a).map_err(|e| TestCaseError::fail(format!("{e}\n{:?}", d.ops)))?;
        prop_assert!(got.infoset_eq(&b));
        // And through the wire form.
        let wire = PartialDoc::Diff(d).to_xml();
        let PartialDoc::Diff(d2) = PartialDoc::parse(&wire).unwrap() else {
            return Err(TestCaseError::fail("not a diff"));
        };
        prop_assert!(d2.apply(&a).unwrap().infoset_eq(&b), "{}", String::from_utf8_lossy(&wire));
        let between = PartialDoc::between(&a, &b, 2);
        let mut st = pidf::partial::PartialState::new();
        st.handle(&PartialDoc::Full(pidf::partial::PidfFull::new(a.clone(), Some(1)))).unwrap();
        prop_assert!(st.handle(&between).unwrap().infoset_eq(&b));
    }

    #[test]
    fn arbitrary_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = Presence::parse(&data);
        let _ = PartialDoc::parse(&data);
    }

    #[test]
    fn mutated_documents_never_panic(
        p in presence(),
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
    ) {
        let mut xml = p.to_xml();
        for (i, b) in edits {
            let at = i.index(xml.len());
            xml[at] = b;
        }
        if let Ok(q) = Presence::parse(&xml) {
            let out = q.to_xml();
            let again = Presence::parse(&out).unwrap();
            prop_assert!(again.infoset_eq(&q));
            prop_assert_eq!(again.to_xml(), out, "writing is a fixpoint");
        }
        let _ = PartialDoc::parse(&xml);
    }

    #[test]
    fn mutated_vectors_round_trip(
        which in 0usize..15,
        other in 0usize..15,
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..4),
    ) {
        let vectors = testkit::vectors("pidf", ".xml");
        let (_, mut bytes) = vectors[which % vectors.len()].clone();
        for (i, b) in edits {
            let at = i.index(bytes.len());
            bytes[at] = b;
        }
        if let Ok(q) = Presence::parse(&bytes) {
            let out = q.to_xml();
            let again = Presence::parse(&out).unwrap();
            prop_assert!(again.infoset_eq(&q));
            prop_assert_eq!(again.to_xml(), out);
            // Diff to and from another vector's document applies.
            if let Ok(r) = Presence::parse(&vectors[other % vectors.len()].1) {
                prop_assert!(diff(&q, &r, Some(1)).apply(&q).unwrap().infoset_eq(&r));
                prop_assert!(diff(&r, &q, Some(1)).apply(&r).unwrap().infoset_eq(&q));
            }
        }
        if let Ok(d) = PartialDoc::parse(&bytes) {
            let out = d.to_xml();
            let again = PartialDoc::parse(&out).unwrap();
            prop_assert_eq!(again.to_xml(), out);
        }
    }

    #[test]
    fn mutated_patches_never_panic(
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
    ) {
        let PartialDoc::Full(base) = PartialDoc::parse(&testkit::vector("pidf/5262-1.xml")).unwrap() else {
            return Err(TestCaseError::fail("5262-1 is a pidf-full"));
        };
        let mut bytes = testkit::vector("pidf/5262-2.xml");
        for (i, b) in edits {
            let at = i.index(bytes.len());
            bytes[at] = b;
        }
        if let Ok(PartialDoc::Diff(d)) = PartialDoc::parse(&bytes) {
            if let Ok(next) = d.apply(&base.presence) {
                let out = next.to_xml();
                prop_assert!(Presence::parse(&out).unwrap().infoset_eq(&next));
            }
        }
    }
}

proptest! {
    /// `Text` holds exactly the string it was made from, in every form it
    /// takes (kept in place, shared), and appending to it concatenates.
    #[test]
    fn text_holds_its_string_and_appends(a in "\\PC{0,40}", b in "\\PC{0,40}") {
        use pidf::Text;
        let t = Text::from(a.as_str());
        prop_assert_eq!(t.as_str(), a.as_str());
        prop_assert_eq!(t.is_shared(), a.len() > 24);
        prop_assert_eq!(&Text::from(a.clone()), &t);
        prop_assert_eq!(t.cmp(&Text::from(b.as_str())), a.cmp(&b));
        let mut joined = t.clone();
        joined.push_str(&b);
        prop_assert_eq!(joined.as_str(), format!("{a}{b}"));
        prop_assert_eq!(String::from(joined), format!("{a}{b}"));
        prop_assert_eq!(t.as_str(), a.as_str());
    }
}
