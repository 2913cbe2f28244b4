//! Property tests: built documents and notifications round trip, arbitrary
//! bytes never panic a parser, and the subscriber's table follows a server
//! under any order of delivery.

use proptest::prelude::*;

use rls::mime::{ContentType, MimeLimits, Multipart, Part};
use rls::notify::{NotifyLimits, RlmiNotification, StatePart};
use rls::resource_lists::{Entry, List, Member, ResourceLists};
use rls::rlmi::{Instance, InstanceState, Resource, Rlmi};
use rls::rls_services::{Packages, RlsServices, Service, ServiceSource};
use rls::view::ListView;
use rls::DisplayName;

fn text() -> impl Strategy<Value = String> {
    // Printable text with XML's special characters and some non-ASCII, no
    // leading/trailing white space (names keep text as written).
    "[a-zA-Z0-9<>&\"' :;@./éß中-]{0,12}"
}

fn uri() -> impl Strategy<Value = String> {
    "sip:[a-z0-9]{1,8}@[a-z]{1,6}\\.example\\.(com|org)"
}

fn name() -> impl Strategy<Value = DisplayName> {
    (proptest::option::of("[a-z]{2}(-[A-Z]{2})?"), text()).prop_map(|(lang, text)| DisplayName {
        lang: lang.map(Into::into),
        text: text.into(),
    })
}

fn state() -> impl Strategy<Value = InstanceState> {
    prop_oneof![
        Just(InstanceState::Active),
        Just(InstanceState::Pending),
        Just(InstanceState::Terminated),
    ]
}

fn instance() -> impl Strategy<Value = Instance> {
    (
        "[a-z0-9]{1,10}",
        state(),
        proptest::option::of("[a-z]{1,10}"),
        proptest::option::of("[a-zA-Z0-9]{1,8}@[a-z]{1,5}"),
    )
        .prop_map(|(id, st, reason, cid)| {
            let mut i = Instance::new(id, st);
            i.reason = reason.map(Into::into);
            i.cid = cid.map(Into::into);
            i
        })
}

fn rlmi() -> impl Strategy<Value = Rlmi> {
    (
        uri(),
        any::<u32>(),
        any::<bool>(),
        proptest::collection::vec(name(), 0..3),
        proptest::collection::vec(
            (
                uri(),
                proptest::collection::vec(name(), 0..2),
                proptest::collection::vec(instance(), 0..3),
            ),
            0..6,
        ),
    )
        .prop_map(|(u, v, f, names, rs)| {
            let mut d = Rlmi::new(u, v, f);
            d.names = names;
            for (u, names, inst) in rs {
                let mut r = Resource::new(u);
                r.names = names;
                r.instances = inst;
                d.resources.push(r);
            }
            d
        })
}

fn list(depth: u32) -> BoxedStrategy<List> {
    let entry = (uri(), proptest::option::of(name())).prop_map(|(u, d)| {
        let mut e = Entry::new(u);
        e.display_name = d;
        Member::Entry(e)
    });
    let leaf = proptest::collection::vec(entry, 0..5);
    let members: BoxedStrategy<Vec<Member>> = if depth == 0 {
        leaf.boxed()
    } else {
        (leaf, proptest::collection::vec(list(depth - 1), 0..2))
            .prop_map(|(mut m, ls)| {
                m.extend(ls.into_iter().map(Member::List));
                m
            })
            .boxed()
    };
    (
        proptest::option::of("[a-z]{1,8}"),
        proptest::option::of(name()),
        members,
    )
        .prop_map(|(n, d, members)| List {
            name: n.map(Into::into),
            display_name: d,
            members,
            other_attributes: Vec::new(),
        })
        .boxed()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn rlmi_round_trips(d in rlmi()) {
        let out = d.to_xml();
        prop_assert_eq!(Rlmi::parse(&out).unwrap(), d.clone());
        prop_assert_eq!(Rlmi::parse(d.to_pretty_string().as_bytes()).unwrap(), d);
    }

    #[test]
    fn resource_lists_round_trip(ls in proptest::collection::vec(list(2), 0..3)) {
        let d = ResourceLists::new(ls);
        prop_assert_eq!(ResourceLists::parse(&d.to_xml()).unwrap(), d);
    }

    #[test]
    fn rls_services_round_trip(
        svcs in proptest::collection::vec(
            (uri(), prop_oneof![
                "http://[a-z]{1,8}\\.example/[a-z/]{0,10}".prop_map(ServiceSource::ResourceList),
                list(1).prop_map(ServiceSource::List),
            ], proptest::option::of(proptest::collection::vec("[a-z]{1,8}", 0..3))),
            0..4,
        )
    ) {
        let d = RlsServices {
            services: svcs
                .into_iter()
                .map(|(u, src, pk)| {
                    let mut s = Service::new(u, src);
                    s.packages = pk.map(|names| Packages { names, extensions: Vec::new() });
                    s
                })
                .collect(),
            ..RlsServices::default()
        };
        prop_assert_eq!(RlsServices::parse(&d.to_xml()).unwrap(), d);
    }

    #[test]
    fn notifications_round_trip(
        d in rlmi(),
        bodies in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..200), 0..4),
        seed in any::<u64>(),
    ) {
        let mut n = RlmiNotification::new(d, "root@example.com");
        for (i, b) in bodies.into_iter().enumerate() {
            n.parts.push(StatePart {
                cid: format!("p{i}@example.com"),
                content_type: "application/octet-stream".into(),
                body: b,
            });
        }
        let enc = n.encode(seed);
        let back = RlmiNotification::parse(&enc.content_type, &enc.body, &NotifyLimits::default()).unwrap();
        prop_assert_eq!(&back, &n);
        prop_assert_eq!(RlmiNotification::parse_detect(&enc.body, &NotifyLimits::default()).unwrap(), n);
    }

    #[test]
    fn content_type_round_trips(
        t in "[a-z]{1,8}", s in "[a-z0-9+.-]{1,10}",
        params in proptest::collection::vec(("[a-z]{1,6}", "[ -~]{0,10}"), 0..4),
    ) {
        let mut ct = ContentType::new(&format!("{t}/{s}"));
        for (k, v) in params {
            ct = ct.with_param(&k, v);
        }
        prop_assert_eq!(ContentType::parse(&ct.to_string()).unwrap(), ct);
    }

    #[test]
    fn multipart_round_trips(
        bodies in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..100), 1..5),
    ) {
        let mp = Multipart {
            boundary: "zz-boundary-0123456789".into(),
            parts: bodies
                .into_iter()
                .filter(|b| !b.windows(4).any(|w| w == b"--zz"))
                .map(|b| Part::new("application/octet-stream", "x@y", b))
                .collect(),
        };
        prop_assume!(!mp.parts.is_empty());
        let bytes = mp.to_bytes();
        prop_assert_eq!(Multipart::parse(&bytes, &mp.boundary, &MimeLimits::default()).unwrap(), mp);
    }

    #[test]
    fn arbitrary_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = Rlmi::parse(&data);
        let _ = ResourceLists::parse(&data);
        let _ = RlsServices::parse(&data);
        let _ = Multipart::parse_detect(&data, &MimeLimits::default());
        let _ = Multipart::parse(&data, "b", &MimeLimits::default());
        let _ = RlmiNotification::parse_detect(&data, &NotifyLimits::default());
        let _ = ContentType::parse(&String::from_utf8_lossy(&data));
    }

    #[test]
    fn xmlish_bytes_never_panic(
        parts in proptest::collection::vec(prop_oneof![
            Just("<list xmlns=\"urn:ietf:params:xml:ns:rlmi\" uri=\"u\" version=\"1\" fullState=\"1\">".to_owned()),
            Just("<resource uri=\"a\">".to_owned()),
            Just("<instance id=\"i\" state=\"active\" cid=\"c\"/>".to_owned()),
            Just("</resource>".to_owned()),
            Just("</list>".to_owned()),
            Just("<resource-lists xmlns=\"urn:ietf:params:xml:ns:resource-lists\">".to_owned()),
            Just("<entry uri=\"x\"/>".to_owned()),
            Just("--b\r\nContent-Type: application/rlmi+xml\r\n\r\n".to_owned()),
            Just("\r\n--b--".to_owned()),
            "[ -~]{0,8}",
        ], 0..12),
    ) {
        let data = parts.concat();
        let _ = Rlmi::parse(data.as_bytes());
        let _ = ResourceLists::parse(data.as_bytes());
        let _ = RlmiNotification::parse_detect(data.as_bytes(), &NotifyLimits::default());
    }

    #[test]
    fn view_follows_any_delivery_order(
        order in Just((0u32..8).collect::<Vec<_>>()).prop_shuffle(),
        drop in proptest::collection::vec(any::<bool>(), 8),
    ) {
        // Version 0 is full state; versions 1..8 each set resource r{v % 3}.
        let mk = |v: u32| {
            let mut d = Rlmi::new("sip:l@x", v, v == 0);
            let r = format!("sip:r{}@x", v % 3);
            d.resources.push(Resource::new(r).with_instance(Instance::new("i", InstanceState::Pending).with_reason(v.to_string())));
            RlmiNotification::new(d, "root")
        };
        let mut view = ListView::new();
        let mut highest = None::<u32>;
        for (k, v) in order.iter().enumerate() {
            if drop[k] { continue; }
            let a = view.apply(&mk(*v));
            match highest {
                Some(h) if *v <= h => prop_assert!(a.is_stale(), "{:?}", a),
                _ => {
                    highest = Some(*v);
                    prop_assert!(!a.is_stale(), "{:?}", a);
                }
            }
            prop_assert_eq!(view.version(), highest);
        }
    }
}

/// Namespace declarations to put on an element: each of three prefixes
/// (one of them `rl`) maybe bound to one of three namespaces (one of them
/// resource-lists), and maybe a default namespace.
fn decls() -> impl Strategy<Value = String> {
    const URIS: [&str; 3] = [
        "urn:example:one",
        "urn:example:two",
        "urn:ietf:params:xml:ns:resource-lists",
    ];
    (
        proptest::collection::vec(proptest::option::of(0..3usize), 3),
        proptest::option::of(0..3usize),
    )
        .prop_map(|(prefixed, default)| {
            let mut s = String::new();
            for (p, u) in ["rl", "a", "b"].iter().zip(prefixed) {
                if let Some(u) = u {
                    s.push_str(&format!(" xmlns:{p}=\"{}\"", URIS[u]));
                }
            }
            if let Some(u) = default {
                s.push_str(&format!(" xmlns=\"{}\"", URIS[u]));
            }
            s
        })
}

/// An element that may be a resource-lists member or an extension,
/// depending on the declarations in scope, with declarations of its own.
fn member_text(depth: u32) -> BoxedStrategy<String> {
    let leaf = (
        prop_oneof![Just(""), Just("rl:"), Just("a:"), Just("b:")],
        prop_oneof![Just("entry"), Just("external"), Just("x")],
        decls(),
        proptest::collection::vec(
            (prop_oneof![Just(""), Just("a:"), Just("b:")], decls()),
            0..2,
        ),
    )
        .prop_map(|(p, local, d, kids)| {
            let inner: String = kids
                .iter()
                .map(|(kp, kd)| format!("<{kp}k{kd} v=\"a:b\"/>"))
                .collect();
            format!("<{p}{local} uri=\"sip:u@example.com\"{d}>{inner}</{p}{local}>")
        });
    if depth == 0 {
        return leaf.boxed();
    }
    prop_oneof![
        3 => leaf,
        1 => (
            prop_oneof![Just(""), Just("rl:")],
            decls(),
            proptest::collection::vec(member_text(depth - 1), 0..4),
        )
            .prop_map(|(p, d, ms)| format!("<{p}list{d}>{}</{p}list>", ms.concat())),
    ]
    .boxed()
}

/// The root's declarations: every prefix bound, so any name is well formed.
const ROOT_DECLS: &str = r#" xmlns:rl="urn:ietf:params:xml:ns:resource-lists" xmlns:a="urn:example:one" xmlns:b="urn:example:two""#;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Declarations on typed elements (which the model does not keep) do
    /// not change what a written document parses to.
    #[test]
    fn resource_lists_with_scattered_declarations_round_trip(
        lists in proptest::collection::vec((decls(), proptest::collection::vec(member_text(2), 0..4)), 0..3),
    ) {
        let body: String = lists
            .iter()
            .map(|(d, ms)| format!("<rl:list{d}>{}</rl:list>", ms.concat()))
            .collect();
        let src = format!(
            "<resource-lists xmlns=\"urn:ietf:params:xml:ns:resource-lists\"{ROOT_DECLS}>{body}</resource-lists>"
        );
        let Ok(doc) = ResourceLists::parse(src.as_bytes()) else {
            return Ok(());
        };
        let out = doc.to_xml();
        prop_assert_eq!(&ResourceLists::parse(&out).unwrap(), &doc, "{}", String::from_utf8_lossy(&out));
    }

    /// The same for rls-services, whose `<service>`, `<list>` and
    /// `<packages>` may carry declarations too.
    #[test]
    fn rls_services_with_scattered_declarations_round_trip(
        services in proptest::collection::vec(
            (decls(), decls(), proptest::collection::vec(member_text(1), 0..4), decls()),
            0..3,
        ),
        root_default in any::<bool>(),
    ) {
        let body: String = services
            .iter()
            .map(|(sd, ld, ms, pd)| {
                format!(
                    "<r:service uri=\"sip:l@example.com\"{sd}><r:list{ld}>{}</r:list>\
                     <r:packages{pd}><r:package>presence</r:package><a:p/><x/></r:packages><y/></r:service>",
                    ms.concat()
                )
            })
            .collect();
        let default = if root_default { " xmlns=\"urn:example:d\"" } else { "" };
        let src = format!(
            "<r:rls-services xmlns:r=\"urn:ietf:params:xml:ns:rls-services\"{default}{ROOT_DECLS}>{body}<z/></r:rls-services>"
        );
        let Ok(doc) = RlsServices::parse(src.as_bytes()) else {
            return Ok(());
        };
        let out = doc.to_xml();
        prop_assert_eq!(&RlsServices::parse(&out).unwrap(), &doc, "{}", String::from_utf8_lossy(&out));
    }
}
