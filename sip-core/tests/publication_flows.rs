//! RFC 3903 publication between a PUA (node 0, the EPA) and a presence
//! agent (node 1, the ESC) through endpoints, the lossy network and the fake
//! clock: refresh, modify, remove, expiry, 412 recovery, 423 retry.

mod flows_support;

use flows_support::{uri, World};
use sip_core::endpoint::{Endpoint, Event, Peer, TransactionId};
use sip_core::header::{ContentType, MediaType, SipIfMatch};
use sip_core::publication::{
    Compositor, CompositorConfig, PublicationEvent, Publisher, PublisherState,
};
use sip_core::{HeaderName, Method, StatusCode};
use std::collections::HashMap;
use std::time::{Duration, Instant};
use testkit::net::NetConfig;

const S: fn(u64) -> Duration = Duration::from_secs;

fn pidf() -> ContentType {
    ContentType(MediaType::new("application", "pidf+xml").unwrap())
}

struct App {
    publisher: Publisher,
    pub_tx: HashMap<TransactionId, ()>,
    esc: Compositor,
    changes: Vec<(Instant, PublicationEvent)>,
    statuses: Vec<u16>,
}

impl App {
    fn new(expires: u32, esc: CompositorConfig) -> App {
        App {
            publisher: Publisher::new(
                &uri("sip:presentity@example.com"),
                "<sip:presentity@example.com>;tag=1234wxyz",
                "81818181@pua.example.com",
                "presence",
                expires,
                Duration::from_millis(500),
            ),
            pub_tx: HashMap::new(),
            esc: Compositor::new(esc),
            changes: Vec::new(),
            statuses: Vec::new(),
        }
    }

    fn send(&mut self, ep: &mut Endpoint, now: Instant, req: Option<sip_core::Request>) {
        if let Some(req) = req {
            let id = ep
                .send_request(now, req, Peer::udp("192.0.2.2:5060".parse().unwrap()))
                .unwrap();
            self.pub_tx.insert(id, ());
        }
    }

    fn on_event(&mut self, node: usize, now: Instant, ep: &mut Endpoint, ev: &Event) {
        match (node, ev) {
            (
                0,
                Event::Response {
                    transaction,
                    response,
                },
            ) if self.pub_tx.contains_key(transaction) => {
                if response.status().is_final() {
                    self.statuses.push(response.status().as_u16());
                }
                let next = self.publisher.handle_response(now, response);
                self.send(ep, now, next);
            }
            (0, Event::Failed { .. }) => self.publisher.handle_failure(now),
            (
                1,
                Event::Request {
                    transaction,
                    request,
                    ..
                },
            ) => {
                assert_eq!(request.method(), &Method::PUBLISH);
                let r = self.esc.handle_publish(now, request, true);
                ep.send_response(now, *transaction, &r).unwrap();
                while let Some(c) = self.esc.poll_event() {
                    self.changes.push((now, c));
                }
            }
            _ => {}
        }
    }

    fn poll_timeout(&mut self) -> Option<Instant> {
        [self.publisher.poll_timeout(), self.esc.poll_timeout()]
            .into_iter()
            .flatten()
            .min()
    }

    fn on_timeout(&mut self, w: &mut World) {
        let now = w.now();
        let next = self.publisher.handle_timeout(now);
        self.send(w.ep(0), now, next);
        self.esc.handle_timeout(now);
        while let Some(c) = self.esc.poll_event() {
            self.changes.push((now, c));
        }
    }
}

fn drive(w: &mut World, app: &mut App, d: Duration) {
    let until = w.now() + d;
    loop {
        let next = app.poll_timeout().map_or(until, |t| t.min(until));
        let more = w.step(next, &mut |i, now, ep, ev| app.on_event(i, now, ep, ev));
        if app.poll_timeout().is_some_and(|t| t <= w.now()) {
            app.on_timeout(w);
        }
        if !more && w.now() >= until {
            return;
        }
    }
}

fn publish(w: &mut World, app: &mut App, body: &'static str) {
    let now = w.now();
    let req = app.publisher.publish(now, &pidf(), body.into());
    app.send(w.ep(0), now, req);
}

fn kinds(app: &App) -> Vec<&'static str> {
    app.changes
        .iter()
        .map(|(_, c)| match c {
            PublicationEvent::Created { .. } => "created",
            PublicationEvent::Modified { .. } => "modified",
            PublicationEvent::Refreshed { .. } => "refreshed",
            PublicationEvent::Removed { .. } => "removed",
            PublicationEvent::Expired { .. } => "expired",
            _ => "other",
        })
        .collect()
}

#[test]
fn refreshed_modified_expired() {
    let mut w = World::new(2, NetConfig::default(), 70);
    let mut app = App::new(
        3600,
        CompositorConfig {
            max_expires: 600,
            ..CompositorConfig::default()
        },
    );
    publish(&mut w, &mut app, "<presence>open</presence>");
    drive(&mut w, &mut app, S(1));
    assert_eq!(app.publisher.state(), PublisherState::Published);
    let first = app.publisher.etag().unwrap().to_vec();
    // The ESC cut 3600 to 600: refreshes every 600 - 32 s.
    drive(&mut w, &mut app, S(1200));
    assert_eq!(kinds(&app), ["created", "refreshed", "refreshed"]);
    let second = app.publisher.etag().unwrap().to_vec();
    assert_ne!(first, second, "every success brings a new entity-tag");
    assert_eq!(app.esc.len(), 1);
    let (etag, p) = app
        .esc
        .publications(b"sip:presentity@example.com", b"presence")
        .next()
        .unwrap();
    assert_eq!(&etag[..], &second[..]);
    assert_eq!(&p.body[..], b"<presence>open</presence>");
    // Refreshes carry SIP-If-Match and no body (4.3).
    let refresh = w
        .net
        .log()
        .iter()
        .filter(|(_, d)| d.data.starts_with(b"PUBLISH"))
        .nth(1)
        .map(|(_, d)| String::from_utf8_lossy(&d.data).into_owned())
        .unwrap();
    assert!(
        refresh.contains(&format!(
            "SIP-If-Match: {}\r\n",
            String::from_utf8_lossy(&first)
        )),
        "{refresh}"
    );
    assert!(refresh.contains("Content-Length: 0\r\n"));
    assert!(!refresh.contains("Content-Type"));

    publish(&mut w, &mut app, "<presence>closed</presence>");
    drive(&mut w, &mut app, S(1));
    assert_eq!(kinds(&app).last(), Some(&"modified"));
    let (_, p) = app
        .esc
        .publications(b"sip:presentity@example.com", b"presence")
        .next()
        .unwrap();
    assert_eq!(&p.body[..], b"<presence>closed</presence>");

    // The PUA disappears: the ESC expires the state 600 s after the last
    // PUBLISH.
    let last = w.now();
    app.publisher = Publisher::new(
        &uri("sip:x@example.com"),
        "<sip:x@example.com>;tag=1",
        "c",
        "presence",
        60,
        S(0),
    );
    drive(&mut w, &mut app, S(700));
    let (at, ev) = app.changes.last().unwrap();
    assert!(matches!(ev, PublicationEvent::Expired { .. }));
    let lived = *at - last;
    assert!(lived >= S(599) && lived <= S(601), "{lived:?}");
    assert!(app.esc.is_empty());
}

#[test]
fn publisher_expires_when_refreshes_fail_and_recovers_after_412() {
    let mut w = World::new(2, NetConfig::default(), 71);
    let mut app = App::new(300, CompositorConfig::default());
    publish(&mut w, &mut app, "<presence>open</presence>");
    drive(&mut w, &mut app, S(1));
    let old = app.publisher.etag().unwrap().to_vec();
    // The ESC restarts and forgets everything: the next refresh gets 412
    // and the publisher republishes its document from scratch (5).
    app.esc = Compositor::new(CompositorConfig {
        seed: 9,
        ..CompositorConfig::default()
    });
    drive(&mut w, &mut app, S(300));
    assert_eq!(app.statuses, [200, 412, 200]);
    assert_eq!(kinds(&app), ["created", "created"]);
    assert_ne!(app.publisher.etag().unwrap(), &old[..]);
    assert_eq!(app.publisher.state(), PublisherState::Published);
    let republish = w
        .net
        .log()
        .iter()
        .filter(|(_, d)| d.data.starts_with(b"PUBLISH"))
        .nth(2)
        .map(|(_, d)| String::from_utf8_lossy(&d.data).into_owned())
        .unwrap();
    assert!(
        !republish.contains("SIP-If-Match"),
        "an initial publication: {republish}"
    );
    assert!(republish.ends_with("<presence>open</presence>"));

    // With the ESC unreachable the publication runs out on the PUA side.
    let esc = w.nodes[1].addr;
    w.net.set_down(esc, true);
    drive(&mut w, &mut app, S(400));
    assert_eq!(app.publisher.state(), PublisherState::Removed);
    assert_eq!(app.publisher.etag(), None);
}

#[test]
fn remove_and_brief_interval() {
    let mut w = World::new(2, NetConfig::default(), 72);
    let mut app = App::new(
        30,
        CompositorConfig {
            min_expires: 120,
            ..CompositorConfig::default()
        },
    );
    publish(&mut w, &mut app, "<presence/>");
    drive(&mut w, &mut app, S(1));
    assert_eq!(app.statuses, [423, 200], "retried with Min-Expires");
    let left = app.publisher.expires_at().unwrap() - w.now();
    assert!(left > S(115) && left <= S(120));
    let now = w.now();
    let rm = app.publisher.remove(now).unwrap();
    assert_eq!(
        rm.headers().get(&HeaderName::EXPIRES).map(|v| &v[..]),
        Some(&b"0"[..])
    );
    assert!(rm.headers().typed::<SipIfMatch>().unwrap().is_some());
    app.send(w.ep(0), now, Some(rm));
    drive(&mut w, &mut app, S(1));
    assert_eq!(app.publisher.state(), PublisherState::Removed);
    assert_eq!(kinds(&app), ["created", "removed"]);
    assert!(app.esc.is_empty());
    assert_eq!(app.publisher.poll_timeout(), None);
}

#[test]
fn changes_while_in_flight_are_merged() {
    let mut w = World::new(2, NetConfig::default(), 73);
    let mut app = App::new(600, CompositorConfig::default());
    publish(&mut w, &mut app, "<presence>1</presence>");
    publish(&mut w, &mut app, "<presence>2</presence>");
    publish(&mut w, &mut app, "<presence>3</presence>");
    drive(&mut w, &mut app, S(1));
    assert_eq!(
        w.delivered(1, "PUBLISH"),
        2,
        "one in flight at a time, changes merged"
    );
    assert_eq!(kinds(&app), ["created", "modified"]);
    let (_, p) = app
        .esc
        .publications(b"sip:presentity@example.com", b"presence")
        .next()
        .unwrap();
    assert_eq!(&p.body[..], b"<presence>3</presence>");
}

#[test]
fn esc_answers_per_section_6() {
    let t0 = testkit::net::Clock::new().now();
    let mut esc = Compositor::new(CompositorConfig::default());
    let mut p = Publisher::new(
        &uri("sip:presentity@example.com"),
        "<sip:presentity@example.com>;tag=a",
        "c1",
        "presence",
        3600,
        S(0),
    );
    let req = p.publish(t0, &pidf(), "<presence/>".into()).unwrap();
    let mut with_via = req.clone();
    with_via.headers_mut().prepend(
        HeaderName::VIA,
        "SIP/2.0/UDP pua.example.com;branch=z9hG4bK1",
    );
    assert_eq!(
        esc.handle_publish(t0, &with_via, false).status(),
        StatusCode::NOT_FOUND
    );
    let mut dialog = with_via.clone();
    dialog.headers_mut().set(HeaderName::EVENT, "dialog");
    assert_eq!(
        esc.handle_publish(t0, &dialog, true).status(),
        StatusCode::BAD_EVENT
    );
    let mut stale = with_via.clone();
    stale.headers_mut().push(HeaderName::SIP_IF_MATCH, "nope");
    assert_eq!(
        esc.handle_publish(t0, &stale, true).status(),
        StatusCode::CONDITIONAL_REQUEST_FAILED
    );
    let mut two = stale.clone();
    two.headers_mut().push(HeaderName::SIP_IF_MATCH, "again");
    assert_eq!(
        esc.handle_publish(t0, &two, true).status(),
        StatusCode::BAD_REQUEST
    );
    let mut empty = with_via.clone();
    empty.set_body(bytes::Bytes::new());
    assert_eq!(
        esc.handle_publish(t0, &empty, true).status(),
        StatusCode::BAD_REQUEST
    );
    let ok = esc.handle_publish(t0, &with_via, true);
    assert_eq!(ok.status(), StatusCode::OK);
    assert!(ok.headers().get(&HeaderName::SIP_ETAG).is_some());
    assert_eq!(
        ok.headers().get(&HeaderName::EXPIRES).map(|v| &v[..]),
        Some(&b"3600"[..])
    );
    // An entity-tag of another resource does not match (6 step 3).
    let etag = ok.headers().get(&HeaderName::SIP_ETAG).unwrap().clone();
    let mut other =
        sip_core::RequestBuilder::new(Method::PUBLISH, uri("sip:other@example.com")).build();
    for (n, v) in with_via.headers().iter() {
        other.headers_mut().push(n.clone(), v.clone());
    }
    other.headers_mut().push(HeaderName::SIP_IF_MATCH, etag);
    assert_eq!(
        esc.handle_publish(t0, &other, true).status(),
        StatusCode::CONDITIONAL_REQUEST_FAILED
    );
}

#[test]
fn publication_survives_a_snapshot_and_restore_on_both_sides() {
    let mut w = World::new(2, NetConfig::default(), 74);
    let mut app = App::new(600, CompositorConfig::default());
    publish(&mut w, &mut app, "<presence>open</presence>");
    drive(&mut w, &mut app, S(300));
    let now = w.now();
    let ps = app.publisher.snapshot(now);
    let cs = app.esc.snapshot(now);
    assert_eq!(cs.publications.len(), 1);
    app.publisher = Publisher::restore(now, ps);
    app.esc = Compositor::restore(CompositorConfig::default(), now, cs.clone());
    assert_eq!(app.esc.snapshot(now), cs);
    drive(&mut w, &mut app, S(1200));
    assert_eq!(
        app.statuses.iter().filter(|&&s| s == 412).count(),
        0,
        "the ESC knew the entity-tag"
    );
    // Refreshes at 568 s and 1136 s, both after the restore at 300 s.
    assert_eq!(kinds(&app), ["created", "refreshed", "refreshed"]);
    // Entity-tags issued after the restore are new ones.
    let tags: std::collections::HashSet<Vec<u8>> =
        app.changes
            .iter()
            .filter_map(|(_, c)| match c {
                PublicationEvent::Created { etag, .. }
                | PublicationEvent::Refreshed { etag, .. } => Some(etag.to_vec()),
                _ => None,
            })
            .collect();
    assert_eq!(tags.len(), 3);
}
