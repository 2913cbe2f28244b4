//! Fuzz entry points for the `rls` parsers and the list server.
//!
//! Suggested targets (`fuzz_targets/rls_<entry>.rs`): `rls_rlmi`,
//! `rls_resource_lists`, `rls_rls_services`, `rls_multipart` (seeds: the
//! shared `rls` corpus, plus `corpus/rls_multipart`), `rls_server` (seeds:
//! `corpus/rls_server`).

use std::time::{Duration, Instant};

use pidf::xml::Limits;
use rls::mime::{MimeLimits, Multipart};
use rls::notify::{NotifyLimits, RlmiNotification};
use rls::resource_lists::{List, ResourceLists};
use rls::rlmi::Rlmi;
use rls::rls_services::{RlsServices, Service, ServiceSource};
use rls::server::{
    BackendId, BackendState, ListKind, ListServer, ListSubscribe, MemoryDirectory, ServerConfig,
    ServerEvent, StateBody, StoredList, SubscriptionId,
};
use rls::view::ListView;

fn limits() -> Limits {
    Limits {
        max_size: 64 * 1024,
        ..Limits::default()
    }
}

fn notify_limits() -> NotifyLimits {
    NotifyLimits {
        mime: MimeLimits {
            max_body: 64 * 1024,
            ..MimeLimits::default()
        },
        xml: limits(),
    }
}

/// Arbitrary bytes as an RLMI document: what parses writes back to the same
/// model, and writing is a fixpoint.
pub fn rlmi(data: &[u8]) {
    let Ok(doc) = Rlmi::parse_with(data, &limits()) else {
        return;
    };
    let out = doc.to_xml();
    let again = Rlmi::parse(&out).unwrap_or_else(|e| {
        panic!(
            "written RLMI does not parse: {e}\n{}",
            String::from_utf8_lossy(&out)
        )
    });
    assert_eq!(again, doc, "RLMI round trip changed the model");
    assert_eq!(again.to_xml(), out, "writing is not a fixpoint");
}

/// Arbitrary bytes as a resource-lists document.
pub fn resource_lists(data: &[u8]) {
    let Ok(doc) = ResourceLists::parse_with(data, &limits()) else {
        return;
    };
    let out = doc.to_xml();
    let again = ResourceLists::parse(&out).unwrap_or_else(|e| {
        panic!(
            "written resource-lists does not parse: {e}\n{}",
            String::from_utf8_lossy(&out)
        )
    });
    assert_eq!(again, doc, "resource-lists round trip changed the model");
    // Expansion of whatever parsed never panics.
    for l in &doc.lists {
        let _ = rls::expand::expand(
            l,
            &rls::expand::NoReferences,
            &rls::expand::ExpandLimits::default(),
        );
    }
}

/// Arbitrary bytes as an rls-services document.
pub fn rls_services(data: &[u8]) {
    let Ok(doc) = RlsServices::parse_with(data, &limits()) else {
        return;
    };
    let out = doc.to_xml();
    let again = RlsServices::parse(&out).unwrap_or_else(|e| {
        panic!(
            "written rls-services does not parse: {e}\n{}",
            String::from_utf8_lossy(&out)
        )
    });
    assert_eq!(again, doc, "rls-services round trip changed the model");
}

/// Arbitrary bytes as a multipart RLMI body (boundary from the first line):
/// whatever parses re-encodes to a body that parses to the same
/// notification, and applying it to a table never panics.
pub fn multipart(data: &[u8]) {
    let _ = Multipart::parse_detect(data, &notify_limits().mime);
    let Ok(n) = RlmiNotification::parse_detect(data, &notify_limits()) else {
        return;
    };
    let enc = n.encode(1);
    let again = RlmiNotification::parse(&enc.content_type, &enc.body, &NotifyLimits::default())
        .unwrap_or_else(|e| {
            panic!(
                "re-encoded notification does not parse: {e}\n{}",
                String::from_utf8_lossy(&enc.body)
            )
        });
    assert_eq!(again, n, "notification round trip changed it");
    let mut view = ListView::new();
    let _ = view.apply(&n);
    let _ = view.apply(&again);
}

type Views = Vec<(SubscriptionId, ListView)>;
type Backends = Vec<(BackendId, String)>;

/// Drains a server's events: back ends are tracked, NOTIFYs must parse and
/// apply in order without a gap.
fn drain(server: &mut ListServer, views: &mut Views, backends: &mut Backends) {
    while let Some(e) = server.poll_event() {
        match e {
            ServerEvent::OpenBackend {
                backend,
                target: rls::server::BackendTarget::Resource { uri },
                ..
            } => backends.push((backend, uri)),
            ServerEvent::OpenBackend { .. } => {}
            ServerEvent::CloseBackend { backend, .. } => backends.retain(|(b, _)| *b != backend),
            ServerEvent::Notify(n) => {
                let parsed =
                    RlmiNotification::parse(&n.content_type, &n.body, &NotifyLimits::default())
                        .unwrap_or_else(|e| panic!("server NOTIFY does not parse: {e}"));
                if let Some((_, v)) = views.iter_mut().find(|(s, _)| *s == n.subscription) {
                    let applied = v.apply(&parsed);
                    assert!(
                        !applied.needs_refresh()
                            && !matches!(applied, rls::view::Applied::Stale { .. }),
                        "in-order delivery must not gap: {applied:?}"
                    );
                }
            }
        }
    }
}

/// How many operations [`server`] runs from one input; the rest of a longer
/// input is ignored.
///
/// Nearly every operation makes the server send a NOTIFY that the target
/// parses and applies, so a run costs about 0.15 ms per operation (plus
/// 0.5 ms for the first subscription) under AddressSanitizer. The first
/// campaign let libFuzzer grow inputs to several kilobytes (thousands of
/// operations), about 15 inputs a second. Each kind of state of the server
/// (back ends pending, active or terminated, one or two watchers, the list
/// grown or shrunk, a throttled notification waiting for its timer) is
/// reachable in a handful of operations; bounding the sequence keeps the
/// checks made per operation and lets the fuzzer try far more distinct
/// sequences.
pub const SERVER_MAX_OPS: usize = 16;

/// Arbitrary bytes as a sequence of operations on a list server: every
/// NOTIFY it emits must parse and apply in order to a subscriber's table
/// without a gap. At most [`SERVER_MAX_OPS`] operations run.
pub fn server(data: &[u8]) {
    let data = data.get(..2 * SERVER_MAX_OPS).unwrap_or(data);
    let members: Vec<String> = (0..8).map(|i| format!("sip:m{i}@example.com")).collect();
    let directory = |n: usize| {
        let mut d = MemoryDirectory::default();
        d.insert(StoredList {
            kind: ListKind::Public,
            service: Service::new(
                "sip:list@example.com",
                ServiceSource::List(List::of_uris(members.get(..n).unwrap_or(&members))),
            ),
            names: Vec::new(),
        });
        d
    };
    let mut server = ListServer::new(ServerConfig {
        min_interval: Duration::from_secs(2),
        ..ServerConfig::default()
    });
    #[allow(clippy::disallowed_methods)]
    let mut now = Instant::now();
    let request = ListSubscribe {
        list_uri: "sip:list@example.com".into(),
        subscriber: "sip:a@example.com".into(),
        package: "presence".into(),
        supports_eventlist: true,
        requires_recipient_list: false,
        body: None,
    };
    let Ok(sub) = server.handle_subscribe(now, &request, &directory(8)) else {
        panic!("subscription to a known public list refused");
    };
    let mut views: Views = vec![(sub, ListView::new())];
    let mut backends: Backends = Vec::new();
    drain(&mut server, &mut views, &mut backends);
    for op in data.chunks(2) {
        let (&a, b) = match op.split_first() {
            Some(x) => x,
            None => break,
        };
        let arg = b.first().copied().unwrap_or(0) as usize;
        match a % 7 {
            0 => now += Duration::from_millis((arg as u64) * 50),
            1 | 2 => {
                if let Some((bid, uri)) = backends.get(arg % backends.len().max(1)).cloned() {
                    let state = match a % 3 {
                        0 => BackendState::Pending,
                        1 => BackendState::Active,
                        _ => BackendState::Terminated {
                            reason: "rejected".into(),
                        },
                    };
                    let body = StateBody {
                        content_type: "application/pidf+xml".into(),
                        body: format!("<presence n=\"{arg}\"/>").into_bytes(),
                    };
                    let _ = server.handle_backend_notify(now, bid, &uri, state, Some(body));
                }
            }
            3 => server.handle_timeout(now),
            4 => server.handle_list_changed(now, "sip:list@example.com", &directory(arg % 9)),
            5 => {
                let _ = server.handle_refresh(now, sub);
            }
            _ => {
                // A second watcher comes or goes; back ends are shared.
                if let Some((second, _)) = views.get(1).cloned() {
                    let _ = server.handle_unsubscribe(now, second, "timeout");
                    views.truncate(1);
                } else if let Ok(second) =
                    server.handle_subscribe(now, &request, &directory(arg % 9))
                {
                    views.push((second, ListView::new()));
                }
            }
        }
        drain(&mut server, &mut views, &mut backends);
        if let Some(t) = server.poll_timeout() {
            assert!(t > now || server.subscriptions() > 0);
        }
    }
}
