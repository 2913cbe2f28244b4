//! Property tests: the invariants a privacy filter must keep.

use std::collections::BTreeSet;

use pidf::xml::{Document, Element, Limits};
use policy::{
    expand, neutral_document, Components, Conditions, Context, DateTime, Domain, Except, Identity,
    Many, Peer, Permissions, QName, Rule, RuleSet, SubHandling, Transformations, UserInput,
    Watcher,
};
use proptest::prelude::*;

const PIDF: &str = "urn:ietf:params:xml:ns:pidf";
const DM: &str = "urn:ietf:params:xml:ns:pidf:data-model";
const RPID: &str = "urn:ietf:params:xml:ns:pidf:rpid";

const IDS: [&str; 8] = [
    "sip:u0@a.example",
    "sip:u1@a.example",
    "sip:u2@a.example",
    "sip:u0@b.example",
    "sip:u1@b.example",
    "tel:+15550000",
    "sip:u3@a.example",
    "sip:u2@b.example",
];
const DOMAINS: [&str; 2] = ["a.example", "b.example"];
const CLASSES: [&str; 2] = ["work", "home"];
const SCHEMES: [&str; 3] = ["sip", "mailto", "im"];
const TUPLES: [&str; 4] = ["t1", "t2", "t3", "t4"];
const UNKNOWN: [&str; 2] = ["foo", "bar"];

fn subset<T: Clone + Ord + std::fmt::Debug + 'static>(
    pool: &'static [T],
) -> impl Strategy<Value = BTreeSet<T>> {
    proptest::sample::subsequence(pool.to_vec(), 0..=pool.len())
        .prop_map(|v| v.into_iter().collect())
}

fn strings(pool: &'static [&'static str]) -> impl Strategy<Value = BTreeSet<String>> {
    subset(pool).prop_map(|s| s.into_iter().map(str::to_owned).collect())
}

fn components() -> impl Strategy<Value = Components> {
    (
        prop::bool::weighted(0.2),
        strings(&CLASSES),
        strings(&TUPLES),
        strings(&SCHEMES),
    )
        .prop_map(|(all, classes, occ, schemes)| {
            let mut c = Components {
                all,
                classes,
                occurrence_ids: occ,
                service_uri_schemes: schemes,
                ..Components::default()
            };
            c.normalize();
            c
        })
}

fn user_input() -> impl Strategy<Value = UserInput> {
    prop_oneof![
        Just(UserInput::False),
        Just(UserInput::Bare),
        Just(UserInput::Thresholds),
        Just(UserInput::Full)
    ]
}

fn sub_handling() -> impl Strategy<Value = Option<SubHandling>> {
    prop_oneof![
        Just(None),
        Just(Some(SubHandling::Block)),
        Just(Some(SubHandling::Confirm)),
        Just(Some(SubHandling::PoliteBlock)),
        Just(Some(SubHandling::Allow)),
    ]
}

fn transformations() -> impl Strategy<Value = Transformations> {
    (
        components(),
        components(),
        components(),
        prop::collection::vec(any::<bool>(), 13),
        user_input(),
        subset(&UNKNOWN),
    )
        .prop_map(
            |(mut services, persons, mut devices, b, user_input, unknown)| {
                // Persons take only class and occurrence-id; services and
                // devices keep what their schema allows.
                let persons = Components {
                    service_uri_schemes: BTreeSet::new(),
                    ..persons
                };
                devices.service_uri_schemes.clear();
                devices.device_ids = if b[12] {
                    ["urn:x:1".to_owned()].into()
                } else {
                    BTreeSet::new()
                };
                services.service_uris = if b[11] {
                    [policy::uri::normalize_uri("mailto:p@example.com")].into()
                } else {
                    BTreeSet::new()
                };
                services.normalize();
                devices.normalize();
                Transformations {
                    services,
                    persons,
                    devices,
                    activities: b[0],
                    class: b[1],
                    device_id: b[2],
                    mood: b[3],
                    place_is: b[4],
                    place_type: b[5],
                    privacy: b[6],
                    relationship: b[7],
                    sphere: b[8],
                    status_icon: b[9],
                    time_offset: b[10],
                    note: b[11] && b[12],
                    user_input,
                    unknown_attributes: unknown
                        .into_iter()
                        .map(|n| QName {
                            ns: "urn:foo".into(),
                            name: n.into(),
                        })
                        .collect(),
                    all_attributes: b[1] && b[2] && b[3],
                }
            },
        )
}

fn identity() -> impl Strategy<Value = Identity> {
    let except = prop_oneof![
        prop::sample::select(&IDS[..]).prop_map(|u| Except::Id(policy::uri::normalize_uri(u))),
        prop::sample::select(&DOMAINS[..]).prop_map(|d| Except::Domain(Domain::new(d))),
    ];
    let many = (
        prop::option::of(prop::sample::select(&DOMAINS[..])),
        prop::collection::vec(except, 0..3),
    )
        .prop_map(|(d, except)| Many {
            domain: d.map(Domain::new),
            except,
        });
    (subset(&IDS), prop::collection::vec(many, 0..2)).prop_map(|(ones, many)| Identity {
        ones: ones.into_iter().map(policy::uri::normalize_uri).collect(),
        many,
        unknown: vec![],
    })
}

fn rule() -> impl Strategy<Value = Rule> {
    let t = |s: &str| DateTime::parse(s).expect("time");
    let validity = prop_oneof![
        3 => Just(vec![]),
        1 => Just(vec![vec![(t("2003-12-24T16:00:00Z"), t("2003-12-24T18:00:00Z"))]]),
        1 => Just(vec![vec![(t("2003-12-22T16:00:00Z"), t("2003-12-23T18:00:00Z")), (t("2004-01-01T00:00:00Z"), t("2004-01-02T00:00:00Z"))]]),
    ];
    let sphere = prop_oneof![3 => Just(vec![]), 1 => Just(vec![vec!["work".to_owned()]]), 1 => Just(vec![vec!["home".to_owned(), "travel".to_owned()]])];
    (
        prop::collection::vec(identity(), 0..2),
        sphere,
        validity,
        sub_handling(),
        transformations(),
    )
        .prop_map(
            |(identity, sphere, validity, sub_handling, transformations)| Rule {
                id: String::new(),
                conditions: Conditions {
                    identity,
                    sphere,
                    validity,
                    unknown: vec![],
                },
                actions: policy::Actions {
                    sub_handling,
                    extensions: vec![],
                },
                transformations,
                transformation_extensions: vec![],
            },
        )
}

fn number(mut rules: Vec<Rule>) -> Vec<Rule> {
    for (i, r) in rules.iter_mut().enumerate() {
        r.id = format!("r{i}");
    }
    rules
}

fn ruleset() -> impl Strategy<Value = RuleSet> {
    prop::collection::vec(rule(), 0..6).prop_map(|r| RuleSet::from_rules(number(r)))
}

/// A presence document: tuples t1..t4, a person, a device, with a random
/// choice of attributes each.
fn presence() -> impl Strategy<Value = Document> {
    let tuple = (
        prop::sample::select(&SCHEMES[..]),
        prop::option::of(prop::sample::select(&CLASSES[..])),
        any::<[bool; 6]>(),
    );
    (prop::collection::vec(tuple, 1..5), any::<[bool; 10]>(), prop::sample::select(&CLASSES[..])).prop_map(|(tuples, pb, pclass)| {
        let mut s = format!(r#"<presence xmlns="{PIDF}" xmlns:dm="{DM}" xmlns:r="{RPID}" xmlns:f="urn:foo" entity="pres:p@example.com">"#);
        for (i, (scheme, class, b)) in tuples.iter().enumerate() {
            s += &format!(r#"<tuple id="t{}"><status><basic>{}</basic>{}</status>"#, i + 1, if b[0] { "open" } else { "closed" }, if b[1] { "<f:bar>b</f:bar>" } else { "" });
            if let Some(c) = class {
                s += &format!("<r:class>{c}</r:class>");
            }
            if b[2] { s += "<dm:deviceID>urn:x:1</dm:deviceID>"; }
            if b[3] { s += "<r:status-icon>http://i.example/x.png</r:status-icon><r:privacy><r:quiet/></r:privacy>"; }
            if b[4] { s += r#"<r:user-input idle-threshold="60" last-input="2003-12-24T16:00:00Z">idle</r:user-input>"#; }
            s += &format!("<contact>{scheme}:p@example.com</contact>");
            if b[5] { s += "<note>tuple note</note><f:foo>1</f:foo>"; }
            s += "<timestamp>2003-12-24T16:00:00Z</timestamp></tuple>";
        }
        if pb[0] { s += "<note>root note</note>"; }
        s += &format!(r#"<dm:person id="p1"><r:class>{pclass}</r:class>"#);
        let attrs = [
            "<r:activities><r:away/></r:activities>",
            "<r:mood><r:happy/></r:mood>",
            "<r:place-is><r:audio><r:noisy/></r:audio></r:place-is>",
            "<r:place-type><r:home/></r:place-type>",
            "<r:sphere>work</r:sphere>",
            "<r:time-offset>60</r:time-offset>",
            r#"<r:user-input idle-threshold="60" since="2003-12-24T16:00:00Z">active</r:user-input>"#,
            "<dm:note>person note</dm:note><f:foo>2</f:foo>",
        ];
        for (a, on) in attrs.iter().zip(&pb[1..9]) {
            if *on { s += a; }
        }
        s += "<dm:timestamp>2003-12-24T16:00:00Z</dm:timestamp></dm:person>";
        if pb[9] {
            s += r#"<dm:device id="d1"><r:class>home</r:class><dm:deviceID>urn:x:1</dm:deviceID><dm:note>PC</dm:note><r:user-input>idle</r:user-input></dm:device>"#;
        }
        s += "</presence>";
        Document::parse(s.as_bytes(), &Limits::default()).expect("generated presence parses")
    })
}

fn watcher() -> impl Strategy<Value = Watcher> {
    prop_oneof![
        1 => Just(Watcher::unauthenticated()),
        6 => prop::sample::select(&IDS[..]).prop_map(Watcher::authenticated),
        1 => (prop::sample::select(&IDS[..]), prop::sample::select(&IDS[..])).prop_map(|(a, b)| Watcher::authenticated(a).with_identity(b)),
    ]
}

fn context() -> impl Strategy<Value = Context> {
    (
        prop::sample::select(vec![
            None,
            Some("2003-12-24T17:00:00Z"),
            Some("2004-01-01T12:00:00Z"),
        ]),
        prop::sample::select(vec![None, Some("work"), Some("Home")]),
    )
        .prop_map(|(t, s)| Context::new(t.and_then(DateTime::parse), s.map(str::to_owned)))
}

/// Whether `child` of a component of the given kind may appear, by the
/// table of RFC 5025 section 3.3.2, written independently of the filter.
fn attribute_granted(t: &Transformations, kind: &str, child: &Element) -> bool {
    let name = (child.name.ns_str(), &*child.name.local);
    let always: &[(&str, &str)] = match kind {
        "tuple" => &[
            (PIDF, "contact"),
            (PIDF, "timestamp"),
            (PIDF, "status"),
            (RPID, "service-class"),
        ],
        "device" => &[(DM, "timestamp"), (DM, "deviceID")],
        _ => &[(DM, "timestamp")],
    };
    if always.contains(&name) || t.all_attributes {
        return true;
    }
    let table: [((&str, &str), bool); 13] = [
        ((RPID, "activities"), t.activities),
        ((RPID, "class"), t.class),
        ((DM, "deviceID"), t.device_id),
        ((RPID, "mood"), t.mood),
        ((RPID, "place-is"), t.place_is),
        ((RPID, "place-type"), t.place_type),
        ((RPID, "privacy"), t.privacy),
        ((RPID, "relationship"), t.relationship),
        ((RPID, "sphere"), t.sphere),
        ((RPID, "status-icon"), t.status_icon),
        ((RPID, "time-offset"), t.time_offset),
        ((PIDF, "note"), t.note),
        ((DM, "note"), t.note),
    ];
    if let Some((_, v)) = table.iter().find(|(n, _)| *n == name) {
        return *v;
    }
    if name == (RPID, "user-input") {
        let attrs: BTreeSet<&str> = child.attributes.iter().map(|a| &*a.name.local).collect();
        return match t.user_input {
            UserInput::False => false,
            UserInput::Bare => {
                !attrs.contains("idle-threshold")
                    && !attrs.contains("since")
                    && !attrs.contains("last-input")
            }
            UserInput::Thresholds => !attrs.contains("since") && !attrs.contains("last-input"),
            UserInput::Full => true,
        };
    }
    t.unknown_attributes
        .iter()
        .any(|q| q.ns == name.0 && q.name == name.1)
}

fn component_granted(c: &Components, e: &Element) -> bool {
    let class = e.elements().find(|x| x.is(RPID, "class")).map(|x| x.text());
    let contact = e
        .elements()
        .find(|x| x.is(PIDF, "contact"))
        .map(|x| x.text())
        .unwrap_or_default();
    let scheme = contact.split(':').next().unwrap_or_default().to_owned();
    let device_id = e
        .elements()
        .find(|x| x.is(DM, "deviceID"))
        .map(|x| x.text());
    c.all
        || e.attr("id").is_some_and(|id| c.occurrence_ids.contains(id))
        || class.is_some_and(|k| c.classes.contains(&k))
        || (e.is(PIDF, "tuple") && c.service_uri_schemes.contains(&scheme))
        || (e.is(PIDF, "tuple")
            && c.service_uris
                .contains(&policy::uri::normalize_uri(&contact)))
        || (e.is(DM, "device") && device_id.is_some_and(|d| c.device_ids.contains(&d)))
}

/// Element names (with component id) in a view, for inclusion checks.
fn inventory(view: &Document) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for e in view.root.elements() {
        let id = e.attr("id").unwrap_or("-");
        out.insert(format!("{}/{id}", e.name.local));
        for c in e.elements() {
            let attrs: Vec<String> = c
                .attributes
                .iter()
                .map(|a| a.name.local.to_string())
                .collect();
            out.insert(format!(
                "{}/{id}/{}{{{}}}{attrs:?}",
                e.name.local,
                c.name.ns_str(),
                c.name.local
            ));
            for s in c.elements() {
                out.insert(format!(
                    "{}/{id}/{}/{}",
                    e.name.local, c.name.local, s.name.local
                ));
            }
        }
    }
    out
}

fn answer(
    rs: &RuleSet,
    w: &Watcher,
    ctx: &Context,
    doc: &Document,
) -> (SubHandling, Option<Vec<u8>>) {
    let d = rs.decide(w, ctx, doc).expect("presence");
    (d.sub_handling.disclosed(), d.document_bytes())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn typed_rules_round_trip(rs in ruleset()) {
        let bytes = rs.to_bytes();
        let again = RuleSet::parse(&bytes).expect("written rules parse");
        prop_assert_eq!(again.rules(), rs.rules());
        prop_assert_eq!(again.to_bytes(), bytes);
    }

    #[test]
    fn arbitrary_bytes_never_panic(data in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = RuleSet::parse(&data);
    }

    #[test]
    fn mutated_documents_never_panic(rs in ruleset(), at in any::<prop::sample::Index>(), byte in any::<u8>()) {
        let mut bytes = rs.to_bytes();
        let i = at.index(bytes.len());
        bytes[i] = byte;
        if let Ok(parsed) = RuleSet::parse(&bytes) {
            // Whatever parses writes back to something that parses the same.
            prop_assert_eq!(RuleSet::parse(&parsed.to_bytes()).expect("rewritten"), parsed);
        }
    }

    #[test]
    fn view_holds_only_what_is_granted(rs in ruleset(), doc in presence(), w in watcher(), ctx in context()) {
        let p = rs.evaluate(&w, &ctx);
        let Some(view) = p.apply(&doc).expect("presence") else {
            prop_assert!(p.sub_handling < SubHandling::PoliteBlock);
            return Ok(());
        };
        if p.sub_handling == SubHandling::PoliteBlock {
            prop_assert_eq!(view, neutral_document("pres:p@example.com"));
            return Ok(());
        }
        let t = &p.transformations;
        let original = inventory(&doc);
        for item in inventory(&view) {
            prop_assert!(original.contains(&item) || item.contains("user-input"), "{} not in the original", item);
        }
        for e in view.root.elements() {
            let (set, kind) = match (e.name.ns_str(), &*e.name.local) {
                (PIDF, "tuple") => (&t.services, "tuple"),
                (DM, "person") => (&t.persons, "person"),
                (DM, "device") => (&t.devices, "device"),
                (PIDF, "note") => { prop_assert!(t.note); continue; }
                other => { prop_assert!(false, "unexpected {:?}", other); continue; }
            };
            let source = doc.root.elements().find(|o| o.name == e.name && o.attr("id") == e.attr("id")).expect("from the original");
            prop_assert!(component_granted(set, source), "{} not granted", e.to_xml_string());
            for c in e.elements() {
                prop_assert!(attribute_granted(t, kind, c), "{} in {} not granted", c.to_xml_string(), kind);
                if c.is(PIDF, "status") {
                    for s in c.elements().filter(|s| !s.is(PIDF, "basic")) {
                        prop_assert!(attribute_granted(t, kind, s));
                    }
                }
            }
        }
    }

    #[test]
    fn adding_a_rule_never_narrows(rules in prop::collection::vec(rule(), 0..5), extra in rule(), doc in presence(), w in watcher(), ctx in context()) {
        let before = RuleSet::from_rules(number(rules.clone()));
        let mut more = rules;
        more.push(extra);
        let after = RuleSet::from_rules(number(more));
        let (p, q) = (before.evaluate(&w, &ctx), after.evaluate(&w, &ctx));
        prop_assert!(q.sub_handling >= p.sub_handling);
        let mut joined = q.transformations.clone();
        joined.union(&p.transformations);
        prop_assert_eq!(&joined, &q.transformations, "a permission was lost");
        if p.sub_handling == SubHandling::Allow {
            let a = inventory(&p.apply(&doc).expect("ok").expect("doc"));
            let b = inventory(&q.apply(&doc).expect("ok").expect("doc"));
            for item in &a {
                // A wider user-input grant shows more attributes: same element.
                prop_assert!(b.contains(item) || item.contains("user-input"), "{} vanished", item);
            }
        }
    }

    #[test]
    fn grouping_then_expanding_gives_each_watcher_its_view(rs in ruleset(), doc in presence(), ws in prop::collection::vec(watcher(), 0..24), ctx in context()) {
        let groups = rs.views(&doc, &ws, &ctx).expect("presence");
        let all: Vec<usize> = { let mut v: Vec<usize> = groups.iter().flat_map(|g| g.watchers.clone()).collect(); v.sort(); v };
        prop_assert_eq!(all, (0..ws.len()).collect::<Vec<_>>());
        let answers: BTreeSet<(SubHandling, Option<Vec<u8>>)> = groups.iter().map(|g| (g.sub_handling, g.document.as_deref().map(<[u8]>::to_vec))).collect();
        prop_assert_eq!(answers.len(), groups.len(), "two groups with the same view");
        for (i, (sh, bytes)) in expand(&groups, ws.len()).into_iter().enumerate() {
            let own = answer(&rs, &ws[i], &ctx, &doc);
            prop_assert_eq!((sh, bytes.as_deref().map(<[u8]>::to_vec)), own);
        }
    }

    #[test]
    fn delegated_evaluation_equals_local(rs in ruleset(), doc in presence(), ctx in context()) {
        let peer = Peer::new(["a.example"]);
        let exported = rs.export_for(&peer).to_bytes();
        let imported = RuleSet::parse(&exported).expect("export parses");
        let text = String::from_utf8(exported).expect("utf-8");
        prop_assert!(!text.contains("b.example") && !text.contains("tel:") && !text.contains(">block<"), "{}", text);
        let mut ws = vec![Watcher::unauthenticated()];
        ws.extend(IDS.iter().filter(|u| u.ends_with("@a.example")).map(|u| Watcher::authenticated(u)));
        for w in &ws {
            prop_assert_eq!(answer(&imported, w, &ctx, &doc), answer(&rs, w, &ctx, &doc), "{:?}", w);
        }
        // Nothing the peer computes says "block".
        for w in &ws {
            prop_assert!(imported.evaluate(w, &ctx).sub_handling >= SubHandling::Confirm);
        }
    }

    #[test]
    fn blocked_is_indistinguishable_from_pending_and_polite_from_offline(rs in ruleset(), doc in presence(), other in presence(), w in watcher(), ctx in context()) {
        let p = rs.evaluate(&w, &ctx);
        let here = answer(&rs, &w, &ctx, &doc);
        match p.sub_handling {
            SubHandling::Block | SubHandling::Confirm => prop_assert_eq!(here, (SubHandling::Confirm, None)),
            SubHandling::PoliteBlock => {
                // Same answer whatever the presentity's state; and it is a
                // document an allowed watcher could get: one closed service.
                prop_assert_eq!(&here, &answer(&rs, &w, &ctx, &other));
                let neutral = neutral_document("pres:p@example.com");
                let mut all = Permissions { sub_handling: SubHandling::Allow, ..Permissions::default() };
                all.transformations.services.all = true;
                prop_assert_eq!(all.apply(&neutral).expect("ok"), Some(neutral.clone()));
                prop_assert_eq!(here.0, SubHandling::Allow);
            }
            SubHandling::Allow => prop_assert_eq!(here.0, SubHandling::Allow),
        }
        // Blocked and confirmed watchers share one group on the link.
        let ws = [w.clone(), Watcher::authenticated("sip:nobody@c.example")];
        let groups = rs.views(&doc, &ws, &ctx).expect("presence");
        prop_assert!(groups.iter().filter(|g| g.document.is_none()).count() <= 1);
    }
}
