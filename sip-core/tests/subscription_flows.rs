//! RFC 6665 subscriptions between a watcher (node 0) and a notifier (node
//! 1), through endpoints, the lossy in-memory network and the fake clock:
//! refreshes, every termination reason, Timer N, unsubscribe, expiry, 481,
//! NOTIFY before the 2xx, forked NOTIFYs and rate control.

mod flows_support;

use flows_support::{uri, World};
use sip_core::endpoint::{Endpoint, Event, Peer, TransactionId};
use sip_core::header::{
    CSeq, CallId, ContentType, Event as EventHeader, Expires, From, MaxForwards, MediaType, To,
};
use sip_core::subscription::{
    Notifier, NotifierState, NotifyOutcome, Reason, Subscriber, SubscriberState, SubscriptionConfig,
};
use sip_core::{HeaderName, Method, NameAddr, Request, RequestBuilder, Response, StatusCode};
use std::collections::HashMap;
use std::time::{Duration, Instant};
use testkit::net::{Fault, NetConfig};

const S: fn(u64) -> Duration = Duration::from_secs;

fn cfg() -> SubscriptionConfig {
    SubscriptionConfig {
        min_expires: 60,
        ..SubscriptionConfig::default()
    }
}

fn pidf() -> Option<ContentType> {
    Some(ContentType(
        MediaType::new("application", "pidf+xml").unwrap(),
    ))
}

fn subscribe(ep: &mut Endpoint, expires: u32, event: &str) -> Request {
    let tag = ep.new_tag();
    let call_id = ep.new_call_id();
    RequestBuilder::new(Method::SUBSCRIBE, uri("sip:bob@192.0.2.2"))
        .typed(&MaxForwards(70))
        .typed(
            &From::new(NameAddr::new(uri("sip:alice@atlanta.example.com")))
                .with_tag(&tag)
                .unwrap(),
        )
        .typed(&To::new(NameAddr::new(uri("sip:bob@biloxi.example.com"))))
        .typed(&CallId(call_id.into()))
        .typed(&CSeq {
            seq: 1,
            method: Method::SUBSCRIBE,
        })
        .header(HeaderName::EVENT, event.to_owned())
        .typed(&Expires(expires))
        .header(HeaderName::CONTACT, "<sip:alice@192.0.2.1>")
        .build()
}

/// The two TUs: a watcher with its subscriptions, a notifier with its.
#[derive(Default)]
struct App {
    subs: Vec<Subscriber>,
    sub_tx: HashMap<TransactionId, usize>,
    notes: Vec<(Instant, SubscriberState, Vec<u8>)>,
    notifiers: Vec<Notifier>,
    notify_tx: HashMap<(usize, TransactionId), usize>,
    // Notifier behaviour.
    pending_first: bool,
    silent: bool,
    refused_notifies: usize,
    // Node index of each notifier (1, or 2 for a fork).
    notifier_node: Vec<usize>,
}

const WATCHER: usize = 0;

impl App {
    fn peer(node: usize) -> Peer {
        Peer::udp(format!("192.0.2.{}:5060", node + 1).parse().unwrap())
    }

    fn send_sub(&mut self, ep: &mut Endpoint, now: Instant, idx: usize, req: Request) {
        let id = ep.send_request(now, req, Self::peer(1)).unwrap();
        self.sub_tx.insert(id, idx);
    }

    fn send_notify(
        &mut self,
        node: usize,
        ep: &mut Endpoint,
        now: Instant,
        idx: usize,
        req: Request,
    ) {
        let id = ep.send_request(now, req, Self::peer(WATCHER)).unwrap();
        self.notify_tx.insert((node, id), idx);
    }

    fn poll_timeout(&mut self) -> Option<Instant> {
        let a = self.subs.iter().filter_map(|s| s.poll_timeout());
        let b = self
            .notifiers
            .iter_mut()
            .filter_map(|n| n.poll_timeout())
            .collect::<Vec<_>>();
        a.chain(b).min()
    }

    fn on_timeout(&mut self, w: &mut World) {
        let now = w.now();
        for i in 0..self.subs.len() {
            if let Some(req) = self.subs[i].handle_timeout(now) {
                self.send_sub(w.ep(WATCHER), now, i, req);
            }
        }
        for i in 0..self.notifiers.len() {
            if let Some(req) = self.notifiers[i].handle_timeout(now) {
                let node = self.notifier_node[i];
                self.send_notify(node, w.ep(node), now, i, req);
            }
        }
    }

    fn on_event(&mut self, node: usize, now: Instant, ep: &mut Endpoint, ev: &Event) {
        match (node, ev) {
            (
                WATCHER,
                Event::Response {
                    transaction,
                    response,
                },
            ) => {
                if let Some(&i) = self.sub_tx.get(transaction) {
                    if let Some(again) = self.subs[i].handle_response(now, response) {
                        self.send_sub(ep, now, i, again);
                    }
                }
            }
            (WATCHER, Event::Failed { transaction, .. }) => {
                if let Some(&i) = self.sub_tx.get(transaction) {
                    self.subs[i].handle_failure(now);
                }
            }
            (
                WATCHER,
                Event::Request {
                    transaction,
                    request,
                    ..
                },
            ) => {
                assert_eq!(request.method(), &Method::NOTIFY);
                // Route by dialog; a NOTIFY for no live subscription of ours
                // goes to the first one (which answers 481 or takes a fork).
                let id = sip_core::dialog::DialogId::of_incoming(request);
                if self.subs.is_empty() {
                    let r = Response::from_request(
                        request,
                        StatusCode::CALL_TRANSACTION_DOES_NOT_EXIST,
                    );
                    ep.send_response(now, *transaction, &r).unwrap();
                    return;
                }
                let idx = self
                    .subs
                    .iter()
                    .position(|s| s.dialog_id().is_some() && s.dialog_id() == id.as_ref())
                    .unwrap_or(0);
                match self.subs[idx].handle_notify(now, request) {
                    NotifyOutcome::Accepted {
                        response,
                        notification,
                    } => {
                        self.notes
                            .push((now, notification.state, notification.body.to_vec()));
                        ep.send_response(now, *transaction, &response).unwrap();
                    }
                    NotifyOutcome::Forked {
                        response,
                        subscriber,
                        notification,
                    } => {
                        self.notes
                            .push((now, notification.state, notification.body.to_vec()));
                        self.subs.push(*subscriber);
                        ep.send_response(now, *transaction, &response).unwrap();
                    }
                    NotifyOutcome::Refused { response, .. } => {
                        self.refused_notifies += 1;
                        ep.send_response(now, *transaction, &response).unwrap();
                    }
                }
            }
            (
                n,
                Event::Request {
                    transaction,
                    request,
                    ..
                },
            ) => {
                assert_eq!(request.method(), &Method::SUBSCRIBE);
                let known = sip_core::dialog::DialogId::of_incoming(request)
                    .and_then(|id| self.notifiers.iter().position(|x| x.dialog().id() == &id));
                if let Some(i) = known {
                    let (resp, notify) = self.notifiers[i].handle_subscribe(now, request, &cfg());
                    ep.send_response(now, *transaction, &resp).unwrap();
                    if let Some(nf) = notify {
                        self.send_notify(n, ep, now, i, nf);
                    }
                    return;
                }
                if let Err(e) = Notifier::check(request, &["presence"], &cfg()) {
                    ep.send_response(now, *transaction, &Notifier::refusal(request, &e))
                        .unwrap();
                    return;
                }
                self.accept(n, ep, now, *transaction, request);
            }
            (
                n,
                Event::Response {
                    transaction,
                    response,
                },
            ) => {
                if let Some(&i) = self.notify_tx.get(&(n, *transaction)) {
                    self.notifiers[i].handle_notify_response(response);
                }
            }
            (n, Event::Failed { transaction, .. }) => {
                if let Some(&i) = self.notify_tx.get(&(n, *transaction)) {
                    self.notifiers[i].handle_notify_failure();
                }
            }
            _ => {}
        }
    }

    fn accept(
        &mut self,
        n: usize,
        ep: &mut Endpoint,
        now: Instant,
        tx: TransactionId,
        request: &Request,
    ) {
        let mut resp = Response::from_request(request, StatusCode::ACCEPTED);
        resp.set_to_tag(&format!("notifier{n}"));
        resp.headers_mut()
            .push(HeaderName::CONTACT, format!("<sip:bob@192.0.2.{}>", n + 1));
        let state = if self.pending_first {
            NotifierState::Pending
        } else {
            NotifierState::Active
        };
        let mut notifier = Notifier::accept(now, request, &mut resp, state, &cfg()).unwrap();
        notifier.set_body(pidf(), bytes::Bytes::from_static(b"<presence/>"));
        ep.send_response(now, tx, &resp).unwrap();
        let first = notifier.initial_notify(now).unwrap();
        self.notifiers.push(notifier);
        self.notifier_node.push(n);
        if !self.silent {
            let i = self.notifiers.len() - 1;
            self.send_notify(n, ep, now, i, first);
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

fn start(w: &mut World, app: &mut App, expires: u32, event: &str) {
    let now = w.now();
    let req = subscribe(w.ep(WATCHER), expires, event);
    app.subs
        .push(Subscriber::new(now, req.clone(), cfg()).unwrap());
    app.send_sub(w.ep(WATCHER), now, 0, req);
}

fn terminated(app: &App, i: usize) -> Option<sip_core::subscription::Termination> {
    match app.subs[i].state() {
        SubscriberState::Terminated(t) => Some(t.clone()),
        _ => None,
    }
}

#[test]
fn subscription_refreshes_then_ends_with_each_reason() {
    let reasons = [
        (Reason::Deactivated, None, Some(Duration::ZERO)),
        (Reason::Probation, Some(30), Some(S(30))),
        (Reason::Rejected, None, None),
        (Reason::Timeout, None, Some(Duration::ZERO)),
        (Reason::Giveup, Some(60), Some(S(60))),
        (Reason::Noresource, None, None),
        (Reason::Invariant, Some(31_536_000), None),
    ];
    for (k, (reason, retry_after, retry_in)) in reasons.into_iter().enumerate() {
        let mut w = World::new(2, NetConfig::default(), 40 + k as u64);
        let mut app = App {
            pending_first: true,
            ..App::default()
        };
        start(&mut w, &mut app, 120, "presence");
        drive(&mut w, &mut app, S(1));
        assert_eq!(app.subs[0].state(), &SubscriberState::Pending);
        let now = w.now();
        let act = app.notifiers[0].activate(now).unwrap();
        app.send_notify(1, w.ep(1), now, 0, act);
        drive(&mut w, &mut app, S(1));
        assert_eq!(app.subs[0].state(), &SubscriberState::Active);
        // Five minutes: refreshes every 120 - 32 = 88 s.
        drive(&mut w, &mut app, S(300));
        let refreshes = w.delivered(1, "SUBSCRIBE") - 1;
        assert_eq!(refreshes, 3, "{reason:?}");
        assert_eq!(app.subs[0].state(), &SubscriberState::Active);
        assert_eq!(app.notifiers[0].state(), NotifierState::Active);
        let dialog = app.subs[0].dialog().unwrap();
        assert_eq!(dialog.local_seq(), Some(4));
        let now = w.now();
        let fin = app.notifiers[0]
            .terminate(now, reason.clone(), retry_after)
            .unwrap();
        let ss = fin
            .headers()
            .get(&HeaderName::SUBSCRIPTION_STATE)
            .unwrap()
            .clone();
        assert!(ss.starts_with(b"terminated;reason="), "{ss:?}");
        app.send_notify(1, w.ep(1), now, 0, fin);
        drive(&mut w, &mut app, S(5));
        let t = terminated(&app, 0).expect("terminated");
        assert_eq!(t.reason, Some(reason.clone()));
        assert_eq!(t.retry_after, retry_after);
        assert_eq!(t.retry_in(), retry_in, "{reason:?}");
        // pending, active, 3 refresh NOTIFYs, terminated.
        assert_eq!(app.notes.len(), 6, "{reason:?}");
        assert_eq!(app.subs[0].poll_timeout(), None);
    }
}

#[test]
fn no_notify_within_timer_n_fails_the_subscription() {
    let mut w = World::new(2, NetConfig::default(), 50);
    let mut app = App {
        silent: true,
        ..App::default()
    };
    start(&mut w, &mut app, 600, "presence");
    drive(&mut w, &mut app, S(31));
    assert_eq!(app.subs[0].state(), &SubscriberState::Init);
    drive(&mut w, &mut app, S(2));
    let t = terminated(&app, 0).unwrap();
    assert_eq!(t.status, Some(StatusCode::REQUEST_TIMEOUT));
}

#[test]
fn unsubscribe_gets_a_final_notify() {
    let mut w = World::new(2, NetConfig::default(), 51);
    let mut app = App::default();
    start(&mut w, &mut app, 600, "presence");
    drive(&mut w, &mut app, S(2));
    assert_eq!(app.subs[0].state(), &SubscriberState::Active);
    let now = w.now();
    let unsub = app.subs[0].unsubscribe(now).unwrap();
    assert_eq!(
        unsub.headers().typed::<Expires>().unwrap(),
        Some(Expires(0))
    );
    app.send_sub(w.ep(WATCHER), now, 0, unsub);
    drive(&mut w, &mut app, S(2));
    let t = terminated(&app, 0).unwrap();
    assert_eq!(t.reason, Some(Reason::Timeout));
    assert_eq!(app.notifiers[0].state(), NotifierState::Terminated);
    assert_eq!(app.notifiers[0].poll_timeout(), None);
}

#[test]
fn late_notify_gets_481_and_unrefreshed_subscription_expires() {
    let mut w = World::new(2, NetConfig::default(), 52);
    let mut app = App::default();
    start(&mut w, &mut app, 60, "presence");
    drive(&mut w, &mut app, S(2));
    // The watcher ends the subscription on its side only.
    let now = w.now();
    let end = app.notifiers[0]
        .clone()
        .terminate(now, Reason::Deactivated, None)
        .unwrap();
    assert!(matches!(
        app.subs[0].handle_notify(now, &end),
        NotifyOutcome::Accepted { .. }
    ));
    assert!(app.subs[0].is_terminated());
    // The notifier sends a state change; the watcher answers 481.
    let upd = app.notifiers[0]
        .update(
            now,
            pidf(),
            bytes::Bytes::from_static(b"<presence>2</presence>"),
        )
        .unwrap();
    app.send_notify(1, w.ep(1), now, 0, upd);
    drive(&mut w, &mut app, S(2));
    assert_eq!(app.refused_notifies, 1);
    assert_eq!(w.delivered(1, "SIP/2.0 481"), 1);
    assert_eq!(
        app.notifiers[0].state(),
        NotifierState::Terminated,
        "481 ends it"
    );

    // Expiry on the notifier side: the watcher vanishes without refreshing.
    let mut w = World::new(2, NetConfig::default(), 53);
    let mut app = App::default();
    start(&mut w, &mut app, 60, "presence");
    drive(&mut w, &mut app, S(2));
    app.subs.clear();
    drive(&mut w, &mut app, S(57));
    assert_eq!(app.notifiers[0].state(), NotifierState::Active);
    drive(&mut w, &mut app, S(2));
    assert_eq!(app.notifiers[0].state(), NotifierState::Terminated);
    let last = w
        .net
        .log()
        .iter()
        .rev()
        .find(|(_, d)| d.data.starts_with(b"NOTIFY"))
        .unwrap();
    let text = String::from_utf8_lossy(&last.1.data);
    assert!(
        text.contains("Subscription-State: terminated;reason=timeout"),
        "{text}"
    );
}

#[test]
fn notify_before_the_2xx_makes_the_dialog() {
    let mut w = World::new(2, NetConfig::default(), 54);
    w.net
        .fault_next(b"SIP/2.0 202", Fault::Delay(Duration::from_millis(200)));
    let mut app = App::default();
    start(&mut w, &mut app, 600, "presence;id=a1");
    drive(&mut w, &mut app, Duration::from_millis(100));
    assert_eq!(
        app.subs[0].state(),
        &SubscriberState::Active,
        "the NOTIFY overtook the 202"
    );
    assert!(app.subs[0].expires_at().is_some());
    drive(&mut w, &mut app, S(1));
    assert_eq!(
        app.subs[0].dialog().unwrap().id().clone(),
        app.notifiers[0].dialog().id().clone().swap()
    );
    assert!(app.subs[0].refresh_at().is_some());
}

trait Swap {
    fn swap(self) -> Self;
}

impl Swap for sip_core::dialog::DialogId {
    fn swap(self) -> Self {
        sip_core::dialog::DialogId {
            call_id: self.call_id,
            local_tag: self.remote_tag,
            remote_tag: self.local_tag,
        }
    }
}

#[test]
fn forked_notifies_make_two_subscriptions_within_timer_n() {
    let mut w = World::new(3, NetConfig::default(), 55);
    let mut app = App::default();
    start(&mut w, &mut app, 600, "presence");
    // A forking proxy would have sent the SUBSCRIBE to node 2 too: hand
    // node 2's TU the same request.
    let mut copy = None;
    drive(&mut w, &mut app, S(1));
    for (_, ev) in &w.nodes[1].events {
        if let Event::Request { request, .. } = ev {
            copy = Some(request.clone());
        }
    }
    let copy = copy.unwrap();
    let now = w.now();
    let mut resp = Response::from_request(&copy, StatusCode::OK);
    resp.set_to_tag("fork2");
    resp.headers_mut()
        .push(HeaderName::CONTACT, "<sip:bob@192.0.2.3>");
    let mut n2 = Notifier::accept(now, &copy, &mut resp, NotifierState::Active, &cfg()).unwrap();
    let first = n2.initial_notify(now).unwrap();
    app.notifiers.push(n2);
    app.notifier_node.push(2);
    app.send_notify(2, w.ep(2), now, 1, first);
    drive(&mut w, &mut app, S(1));
    assert_eq!(app.subs.len(), 2, "the fork made a second subscription");
    assert_ne!(app.subs[0].dialog_id(), app.subs[1].dialog_id());
    assert_eq!(app.subs[1].state(), &SubscriberState::Active);
    // After Timer N a third fork is refused with 481.
    drive(&mut w, &mut app, S(40));
    let now = w.now();
    let mut resp = Response::from_request(&copy, StatusCode::OK);
    resp.set_to_tag("fork3");
    resp.headers_mut()
        .push(HeaderName::CONTACT, "<sip:bob@192.0.2.3>");
    let mut n3 = Notifier::accept(now, &copy, &mut resp, NotifierState::Active, &cfg()).unwrap();
    let late = n3.initial_notify(now).unwrap();
    app.notifiers.push(n3);
    app.notifier_node.push(2);
    app.send_notify(2, w.ep(2), now, 2, late);
    drive(&mut w, &mut app, S(1));
    assert_eq!(app.subs.len(), 2);
    assert_eq!(app.refused_notifies, 1);
    assert_eq!(app.notifiers[2].state(), NotifierState::Terminated);
}

#[test]
fn bad_event_and_brief_interval_are_refused_then_retried() {
    let mut w = World::new(2, NetConfig::default(), 56);
    let mut app = App::default();
    start(&mut w, &mut app, 600, "dialog");
    drive(&mut w, &mut app, S(1));
    assert_eq!(
        terminated(&app, 0).unwrap().status,
        Some(StatusCode::BAD_EVENT)
    );

    let mut w = World::new(2, NetConfig::default(), 57);
    let mut app = App::default();
    start(&mut w, &mut app, 10, "presence");
    drive(&mut w, &mut app, S(2));
    assert_eq!(w.delivered(0, "SIP/2.0 423"), 1);
    assert_eq!(
        app.subs[0].state(),
        &SubscriberState::Active,
        "retried with Min-Expires"
    );
    let left = app.subs[0].expires_at().unwrap() - w.now();
    assert!(left > S(55) && left <= S(60), "{left:?}");
}

#[test]
fn lossy_network_subscription_survives_refreshes() {
    let net = NetConfig {
        loss: 0.15,
        duplicate: 0.05,
        min_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(150),
    };
    for seed in 0..3 {
        let mut w = World::new(2, net.clone(), 60 + seed);
        let mut app = App::default();
        start(&mut w, &mut app, 300, "presence");
        drive(&mut w, &mut app, S(1800));
        assert_eq!(app.subs[0].state(), &SubscriberState::Active, "seed {seed}");
        assert_eq!(
            app.notifiers[0].state(),
            NotifierState::Active,
            "seed {seed}"
        );
        assert!(app.notes.len() >= 7, "seed {seed}: {}", app.notes.len());
    }
}

#[test]
fn max_rate_holds_back_and_merges_state_changes() {
    let mut w = World::new(2, NetConfig::default(), 58);
    let mut app = App::default();
    start(&mut w, &mut app, 3600, "presence;max-rate=0.1");
    drive(&mut w, &mut app, S(1));
    assert_eq!(app.notes.len(), 1);
    let rates = app.notifiers[0].rates().unwrap();
    assert_eq!(rates.max_rate, Some(0.1));
    let now = w.now();
    for k in 0..3 {
        let body = format!("<presence>{k}</presence>");
        assert!(
            app.notifiers[0].update(now, pidf(), body.into()).is_none(),
            "held back"
        );
    }
    drive(&mut w, &mut app, S(20));
    assert_eq!(app.notes.len(), 2, "one NOTIFY for the three changes");
    assert_eq!(app.notes[1].2, b"<presence>2</presence>");
    let gap = app.notes[1].0 - app.notes[0].0;
    assert!(gap >= S(10) && gap < S(11), "{gap:?}");
}

#[test]
fn min_rate_sends_the_state_again() {
    let mut w = World::new(2, NetConfig::default(), 59);
    let mut app = App::default();
    start(&mut w, &mut app, 3600, "presence;min-rate=0.05");
    drive(&mut w, &mut app, S(101));
    // One at once, then every 20 s.
    assert_eq!(
        app.notes.len(),
        6,
        "{:?}",
        app.notes.iter().map(|n| n.0 - w.start).collect::<Vec<_>>()
    );
    let ss = app.notifiers[0]
        .clone()
        .update(w.now(), pidf(), "x".into())
        .unwrap();
    let v = ss.headers().get(&HeaderName::SUBSCRIPTION_STATE).unwrap();
    assert!(v.ends_with(b";min-rate=0.05"), "{v:?}");
    let _ = EventHeader::new("presence");
}

#[test]
fn subscription_survives_a_snapshot_and_restore_on_both_sides() {
    use sip_core::subscription::{NotifierSnapshot, SubscriberSnapshot};
    let mut w = World::new(2, NetConfig::default(), 65);
    let mut app = App::default();
    start(&mut w, &mut app, 300, "presence;id=7");
    drive(&mut w, &mut app, S(100));
    // Both processes restart with their persisted state.
    let now = w.now();
    let s: SubscriberSnapshot = app.subs[0].snapshot(now);
    let n: NotifierSnapshot = app.notifiers[0].snapshot(now);
    assert_eq!(s.state, SubscriberState::Active);
    assert!(s.expires_in.unwrap() <= S(300));
    app.subs[0] = Subscriber::restore(now, s.clone());
    app.notifiers[0] = Notifier::restore(now, n, cfg().rate_period);
    assert_eq!(app.subs[0].snapshot(now), s);
    drive(&mut w, &mut app, S(900));
    assert_eq!(app.subs[0].state(), &SubscriberState::Active);
    assert_eq!(app.notifiers[0].state(), NotifierState::Active);
    assert!(
        w.delivered(1, "SUBSCRIBE") >= 4,
        "refreshes went on after the restore"
    );
    let now = w.now();
    let fin = app.notifiers[0]
        .terminate(now, Reason::Noresource, None)
        .unwrap();
    assert!(
        String::from_utf8_lossy(fin.headers().get(&HeaderName::EVENT).unwrap()).contains("id=7")
    );
    app.send_notify(1, w.ep(1), now, 0, fin);
    drive(&mut w, &mut app, S(2));
    assert_eq!(
        terminated(&app, 0).unwrap().reason,
        Some(Reason::Noresource)
    );
}

#[cfg(feature = "serde")]
#[test]
fn snapshots_are_serde() {
    fn persistable<T: serde::Serialize + serde::de::DeserializeOwned>() {}
    persistable::<sip_core::subscription::SubscriberSnapshot>();
    persistable::<sip_core::subscription::NotifierSnapshot>();
    persistable::<sip_core::publication::PublisherSnapshot>();
    persistable::<sip_core::publication::CompositorSnapshot>();
}

#[test]
fn fetch_with_expires_zero_gets_one_terminated_notify() {
    let mut w = World::new(2, NetConfig::default(), 66);
    let mut app = App::default();
    start(&mut w, &mut app, 0, "presence");
    drive(&mut w, &mut app, S(2));
    // RFC 6665 4.4.3: state polling; the one NOTIFY carries the state.
    assert_eq!(app.notes.len(), 1);
    assert_eq!(app.notes[0].2, b"<presence/>");
    let t = terminated(&app, 0).unwrap();
    assert_eq!(t.reason, Some(Reason::Timeout));
    assert_eq!(app.notifiers[0].state(), NotifierState::Terminated);
    assert_eq!(w.delivered(1, "SIP/2.0 200"), 1, "the NOTIFY was answered");
}
