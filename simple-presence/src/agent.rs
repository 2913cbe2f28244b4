//! The presence agent of one domain (RFC 3856 section 6, RFC 3857, RFC
//! 5025 section 3.2.1).
//!
//! It accepts PUBLISH through `sip-core`'s [`Compositor`] and composes each
//! presentity's publications with [`pidf::compose`]; it authorizes every
//! presence SUBSCRIBE with the presentity's pres-rules:
//! - block and confirm: the subscription is accepted as pending and carries
//!   no document, so a blocked watcher sees exactly what a watcher awaiting
//!   confirmation sees; confirm (and block) show in the presentity's
//!   watcher information (as `pending` / `terminated;rejected`);
//! - polite-block: active, with the [`policy::neutral_document`];
//! - allow: active, with the view the rules give.
//!
//! When the rules change ([`PresenceAgent::set_rules`]) every watcher is
//! re-evaluated: a pending watcher that is now allowed is activated; an
//! active watcher that is now blocked simply receives no further state
//! (nothing in the dialog changes, so it cannot tell).
//!
//! A watcher whose SUBSCRIBE lists `application/pidf-diff+xml` in Accept
//! gets partial notifications (RFC 5263 section 4.4): `<pidf-full>` with
//! version 1 first, then `<pidf-diff>` (or `<pidf-full>` when smaller, RFC
//! 5262 section 4) one version up per NOTIFY; a refresh brings full state,
//! and no change goes out while the previous NOTIFY awaits its final
//! response. Other watchers get `application/pidf+xml`.
//!
//! `presence.winfo` (RFC 3857) is served to the presentity alone: a full
//! `application/watcherinfo+xml` document first, partial ones after.
//!
//! Back-end subscriptions from a peering border (a `Peering` header and a
//! `text/uri-list` body, see [`crate::views`]) get, per update, one
//! document per distinct view ([`policy::RuleSet::views`]) or the full
//! document and the rules exported for the peer's domain.
//!
//! Identity: the agent trusts its domain's edge (proxy or border) to have
//! authenticated the sender and reads P-Asserted-Identity, else From.
//! Sans-IO: [`PresenceAgent::handle_request`] returns the response; NOTIFYs
//! to send are drained with [`PresenceAgent::poll_transmit`].
#![cfg_attr(
    not(test),
    deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)
)]

use std::collections::hash_map::DefaultHasher;
use std::collections::{HashMap, VecDeque};
use std::hash::{Hash, Hasher};
use std::time::Instant;

use pidf::xml::{Document, Limits};
use policy::{Context, RuleSet, SubHandling, Watcher as Identity};
use sip_core::dialog::DialogId;
use sip_core::publication::{Compositor, CompositorConfig, PublicationEvent};
use sip_core::subscription::{Notifier, NotifierState, SubscriptionConfig};
use sip_core::{Bytes, HeaderName, Method, Request, Response, StatusCode};

use crate::doc::winfo::{self, WatcherEvent, WatcherInfo, WatcherList, WatcherStatus, WinfoState};
use crate::partial::PartialNotify;
use crate::sip::{aor, asserted, content_type, domain_of, event_package, header_str, target};
use crate::views::{self, Delegated, PeerMode, ViewBundle};

/// Settings of a [`PresenceAgent`].
#[derive(Debug, Clone)]
pub struct AgentConfig {
    /// The domain whose presentities it serves.
    pub domain: String,
    /// Its Contact URI.
    pub contact: String,
    /// Subscription durations and rates.
    pub subscription: SubscriptionConfig,
    /// Publication durations.
    pub compositor: CompositorConfig,
    /// The time and sphere rules are evaluated in.
    pub context: Context,
}

impl AgentConfig {
    /// Defaults for `domain`.
    pub fn new(domain: &str) -> Self {
        AgentConfig {
            domain: domain.to_ascii_lowercase(),
            contact: format!("sip:pa@{domain}"),
            subscription: SubscriptionConfig::default(),
            compositor: CompositorConfig::default(),
            context: Context::default(),
        }
    }
}

#[derive(Debug)]
enum Kind {
    Watcher {
        who: Identity,
        uri: String,
    },
    Winfo {
        version: u64,
    },
    Peer {
        mode: PeerMode,
        domain: String,
        watchers: Vec<String>,
        rules_sent: Option<u64>,
    },
}

#[derive(Debug)]
struct Sub {
    notifier: Notifier,
    presentity: String,
    kind: Kind,
    last: Option<u64>,
    /// The real (undisclosed) answer, for watcher information.
    handling: SubHandling,
    /// RFC 5263 partial notification, when the watcher asked for it.
    partial: Option<PartialNotify>,
}

#[derive(Debug)]
struct Presentity {
    rules: RuleSet,
    rules_version: u64,
    document: Option<Document>,
    subs: Vec<DialogId>,
}

impl Presentity {
    fn new() -> Self {
        Presentity {
            rules: RuleSet::from_rules(Vec::new()),
            rules_version: 0,
            document: None,
            subs: Vec::new(),
        }
    }
}

fn digest<T: Hash>(t: &T) -> u64 {
    let mut h = DefaultHasher::new();
    t.hash(&mut h);
    h.finish()
}

/// The presence agent. See the [module docs](self).
#[derive(Debug)]
pub struct PresenceAgent {
    config: AgentConfig,
    compositor: Compositor,
    presentities: HashMap<String, Presentity>,
    subs: HashMap<DialogId, Sub>,
    out: VecDeque<Request>,
    counter: u64,
    /// The last instant a `handle_*` call gave.
    now: Option<Instant>,
}

impl PresenceAgent {
    /// An agent with no presentity.
    pub fn new(config: AgentConfig) -> Self {
        PresenceAgent {
            compositor: Compositor::new(config.compositor.clone()),
            config,
            presentities: HashMap::new(),
            subs: HashMap::new(),
            out: VecDeque::new(),
            counter: 0,
            now: None,
        }
    }

    /// The next request (NOTIFY) to send.
    pub fn poll_transmit(&mut self) -> Option<Request> {
        self.out.pop_front()
    }

    /// How many subscriptions it holds.
    pub fn subscriptions(&self) -> usize {
        self.subs.len()
    }

    /// The composed document of `presentity`, if any publication is live.
    pub fn document(&self, presentity: &str) -> Option<&Document> {
        self.presentities.get(presentity)?.document.as_ref()
    }

    /// Sets `presentity`'s pres-rules (as an XCAP PUT would) and re-evaluates
    /// its watchers.
    pub fn set_rules(&mut self, now: Instant, presentity: &str, rules: RuleSet) {
        let key = aor(presentity).unwrap_or_else(|| presentity.to_owned());
        self.now = Some(now);
        let p = self
            .presentities
            .entry(key.clone())
            .or_insert_with(Presentity::new);
        p.rules = rules;
        p.rules_version += 1;
        self.notify_all(now, &key);
    }

    /// A response to one of our NOTIFYs (a transaction timeout is a 408).
    /// For a watcher taking partial notifications, a final response lets
    /// the next one go (RFC 5263 section 4.4), stamped with the instant of
    /// the last `handle_*` call (drain [`PresenceAgent::poll_transmit`]
    /// after this too).
    pub fn handle_response(&mut self, response: &Response) {
        let Some(id) = DialogId::of_response(response) else {
            return;
        };
        if let Some(s) = self.subs.get_mut(&id) {
            s.notifier.handle_notify_response(response);
            if let (Some(p), Some(now)) = (&mut s.partial, self.now) {
                if !response.status().is_provisional() {
                    if let Some(r) = p.answered(now, &mut s.notifier) {
                        self.out.push_back(r);
                    }
                }
            }
        }
    }

    /// When [`PresenceAgent::handle_timeout`] must run next: the earliest
    /// publication expiry or subscription deadline (a scan of all of them).
    pub fn poll_timeout(&mut self) -> Option<Instant> {
        let subs = self
            .subs
            .values_mut()
            .filter_map(|s| s.notifier.poll_timeout());
        subs.chain(self.compositor.poll_timeout()).min()
    }

    /// Runs timers: expired publications and subscriptions.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.now = Some(now);
        self.compositor.handle_timeout(now);
        self.after_publish(now);
        let mut gone = Vec::new();
        for (id, s) in &mut self.subs {
            if let Some(r) = s.notifier.handle_timeout(now) {
                if let Some(p) = &mut s.partial {
                    p.sent(&mut s.notifier, Some(&r));
                }
                self.out.push_back(r);
            }
            if s.notifier.state() == NotifierState::Terminated {
                gone.push(id.clone());
            }
        }
        for id in gone {
            self.drop_sub(&id);
        }
    }

    /// A request from inside the domain (or forwarded by the border).
    pub fn handle_request(&mut self, now: Instant, req: &Request) -> Response {
        self.now = Some(now);
        let m = req.method();
        if *m == Method::PUBLISH {
            let res = aor(&target(req));
            let known = res
                .as_deref()
                .and_then(domain_of)
                .is_some_and(|d| d == self.config.domain);
            let r = self.compositor.handle_publish(now, req, known);
            self.after_publish(now);
            r
        } else if *m == Method::SUBSCRIBE {
            match DialogId::of_incoming(req) {
                Some(id) => self.in_dialog(now, &id, req),
                None => self.initial(now, req),
            }
        } else {
            Response::from_request(req, StatusCode::METHOD_NOT_ALLOWED)
        }
    }

    fn drop_sub(&mut self, id: &DialogId) {
        if let Some(s) = self.subs.remove(id) {
            if let Some(p) = self.presentities.get_mut(&s.presentity) {
                p.subs.retain(|x| x != id);
            }
        }
    }

    fn after_publish(&mut self, now: Instant) {
        let mut changed: Vec<(String, Bytes)> = Vec::new();
        while let Some(e) = self.compositor.poll_event() {
            match e {
                PublicationEvent::Created { resource, .. }
                | PublicationEvent::Modified { resource, .. }
                | PublicationEvent::Removed { resource, .. }
                | PublicationEvent::Expired { resource, .. } => {
                    if let Some(a) = std::str::from_utf8(&resource).ok().and_then(aor) {
                        if !changed.iter().any(|(k, _)| *k == a) {
                            changed.push((a, resource));
                        }
                    }
                }
                _ => {}
            }
        }
        for (key, resource) in changed {
            let mut pubs = Vec::new();
            for (etag, p) in self.compositor.publications(&resource, b"presence") {
                if let Ok(presence) = pidf::Presence::parse(&p.body) {
                    pubs.push(pidf::compose::Publication {
                        etag: String::from_utf8_lossy(etag).into_owned(),
                        expires: p.expires_at,
                        presence,
                    });
                }
            }
            // Arrival order is what compose calls oldest first; the
            // compositor's map has none, so order by expiry.
            pubs.sort_by_key(|p| p.expires);
            let doc = pidf::compose::compose(&pubs, now, &pidf::compose::Policy::default())
                .and_then(|p| Document::parse(&p.to_xml(), &Limits::default()).ok());
            self.presentities
                .entry(key.clone())
                .or_insert_with(Presentity::new)
                .document = doc;
            self.notify_all(now, &key);
        }
    }

    fn tag(&mut self) -> String {
        self.counter += 1;
        format!("pa{:x}", self.counter)
    }

    fn initial(&mut self, now: Instant, req: &Request) -> Response {
        let cfg = self.config.subscription;
        let pkg = event_package(req.headers()).unwrap_or_default();
        let Some(key) = aor(&target(req)) else {
            return Response::from_request(req, StatusCode::NOT_FOUND);
        };
        if domain_of(&key).as_deref() != Some(self.config.domain.as_str()) {
            return Response::from_request(req, StatusCode::NOT_FOUND);
        }
        if let Err(e) = Notifier::check(req, &["presence", "presence.winfo"], &cfg) {
            return Notifier::refusal(req, &e);
        }
        let who = asserted(req.headers()).and_then(|u| aor(&u));
        let peering = header_str(req.headers(), &views::peering_name()).and_then(PeerMode::parse);
        let kind = if pkg == "presence.winfo" {
            if who.as_deref() != Some(key.as_str()) {
                return Response::from_request(req, StatusCode::FORBIDDEN);
            }
            Kind::Winfo { version: 0 }
        } else if let Some(mode) = peering {
            let Ok(watchers) = views::parse_uri_list(req.body()) else {
                return Response::from_request(req, StatusCode::BAD_REQUEST);
            };
            // Only a peer's border (checked by ours) may ask for the views of
            // a watcher list, and only for watchers of its own domain.
            let domain = who.as_deref().and_then(domain_of).unwrap_or_default();
            if domain.is_empty()
                || domain == self.config.domain
                || watchers
                    .iter()
                    .any(|w| domain_of(w).as_deref() != Some(domain.as_str()))
            {
                return Response::from_request(req, StatusCode::FORBIDDEN);
            }
            Kind::Peer {
                mode,
                domain,
                watchers,
                rules_sent: None,
            }
        } else {
            let Some(uri) = who else {
                return Response::from_request(req, StatusCode::FORBIDDEN);
            };
            Kind::Watcher {
                who: Identity::authenticated(&uri),
                uri,
            }
        };
        let mut resp = Response::from_request(req, StatusCode::OK);
        let tag = self.tag();
        resp.set_to_tag(&tag);
        resp.headers_mut()
            .push(HeaderName::CONTACT, format!("<{}>", self.config.contact));
        let p = self
            .presentities
            .entry(key.clone())
            .or_insert_with(Presentity::new);
        let doc = p
            .document
            .clone()
            .unwrap_or_else(|| policy::neutral_document(&key));
        // What the first NOTIFY says.
        let (state, handling, body) = match &kind {
            Kind::Watcher { who, .. } => match p.rules.decide(who, &self.config.context, &doc) {
                Ok(d) => match d.document_bytes() {
                    Some(b) => (
                        NotifierState::Active,
                        d.sub_handling,
                        Some((views::PIDF, Bytes::from(b))),
                    ),
                    None => (NotifierState::Pending, d.sub_handling, None),
                },
                Err(_) => (NotifierState::Pending, SubHandling::Block, None),
            },
            Kind::Winfo { .. } => (NotifierState::Active, SubHandling::Allow, None),
            Kind::Peer { .. } => (NotifierState::Active, SubHandling::Allow, None),
        };
        let notifier = match Notifier::accept(now, req, &mut resp, state, &cfg) {
            Ok(n) => n,
            Err(e) => return Notifier::refusal(req, &e),
        };
        let id = notifier.dialog().id().clone();
        let partial = (matches!(kind, Kind::Watcher { .. })
            && crate::partial::requested(req.headers()))
        .then(PartialNotify::new);
        let mut sub = Sub {
            notifier,
            presentity: key.clone(),
            kind,
            last: None,
            handling,
            partial,
        };
        match &mut sub.kind {
            Kind::Winfo { version } => {
                let full = self.winfo_full(&key, *version);
                *version += 1;
                sub.notifier.set_body(
                    content_type(winfo::CONTENT_TYPE),
                    Bytes::from(full.to_bytes()),
                );
            }
            Kind::Peer { .. } => {
                if let Some((ct, b, h)) = self.peer_body(&key, &mut sub.kind, &doc) {
                    sub.last = Some(h);
                    sub.notifier.set_body(Some(ct), b);
                }
            }
            Kind::Watcher { .. } => {
                if let Some((ct, b)) = body {
                    sub.last = Some(digest(&b));
                    let staged = match &mut sub.partial {
                        Some(p) => p.set_first(&mut sub.notifier, &b),
                        None => false,
                    };
                    if !staged {
                        sub.notifier.set_body(content_type(ct), b);
                    }
                }
            }
        }
        if let Ok(n) = sub.notifier.initial_notify(now) {
            if let Some(p) = &mut sub.partial {
                p.sent(&mut sub.notifier, Some(&n));
            }
            self.out.push_back(n);
        }
        let terminated = sub.notifier.state() == NotifierState::Terminated;
        let changed_watcher = matches!(sub.kind, Kind::Watcher { .. } | Kind::Peer { .. });
        if !terminated {
            if let Some(p) = self.presentities.get_mut(&key) {
                p.subs.push(id.clone());
            }
            self.subs.insert(id.clone(), sub);
            if changed_watcher {
                self.winfo_changed(now, &key, Some(&id));
            }
        }
        resp
    }

    fn in_dialog(&mut self, now: Instant, id: &DialogId, req: &Request) -> Response {
        let cfg = self.config.subscription;
        let Some(s) = self.subs.get_mut(id) else {
            return Response::from_request(req, StatusCode::CALL_TRANSACTION_DOES_NOT_EXIST);
        };
        let (resp, notify) = s.notifier.handle_subscribe(now, req, &cfg);
        if let Some(p) = &mut s.partial {
            // A refresh carries full state (RFC 5263 section 4.4).
            p.sent(&mut s.notifier, notify.as_ref());
        }
        let key = s.presentity.clone();
        let mut list_changed = false;
        if let Kind::Peer { watchers, .. } = &mut s.kind {
            if !req.body().is_empty() {
                if let Ok(list) = views::parse_uri_list(req.body()) {
                    list_changed = *watchers != list;
                    *watchers = list;
                }
            }
        }
        let terminated = s.notifier.state() == NotifierState::Terminated;
        if let Some(n) = notify {
            self.out.push_back(n);
        }
        if terminated {
            self.drop_sub(id);
            self.winfo_changed(now, &key, None);
        } else if list_changed {
            self.notify_one(now, id);
            self.winfo_changed(now, &key, None);
        }
        resp
    }

    fn peer_body(
        &self,
        key: &str,
        kind: &mut Kind,
        doc: &Document,
    ) -> Option<(sip_core::header::ContentType, Bytes, u64)> {
        let p = self.presentities.get(key)?;
        let Kind::Peer {
            mode,
            domain,
            watchers,
            rules_sent,
        } = kind
        else {
            return None;
        };
        match mode {
            PeerMode::PerView => {
                let ids: Vec<Identity> = watchers
                    .iter()
                    .map(|w| Identity::authenticated(w))
                    .collect();
                let groups = p
                    .rules
                    .views(doc, &ids, &self.config.context)
                    .unwrap_or_default();
                let bundle = ViewBundle::from_groups(&groups, watchers);
                let h = digest(&bundle);
                let (ct, b) = bundle.build();
                Some((ct, b, h))
            }
            PeerMode::Delegated => {
                let mut d = Vec::new();
                doc.write(&mut d);
                let rules = (*rules_sent != Some(p.rules_version)).then(|| {
                    Bytes::from(
                        p.rules
                            .export_for(&policy::Peer::new([domain.as_str()]))
                            .to_bytes(),
                    )
                });
                *rules_sent = Some(p.rules_version);
                let del = Delegated {
                    document: Bytes::from(d),
                    rules,
                };
                let h = digest(&del);
                let (ct, b) = del.build();
                Some((ct, b, h))
            }
        }
    }

    fn notify_all(&mut self, now: Instant, key: &str) {
        let ids = match self.presentities.get(key) {
            Some(p) => p.subs.clone(),
            None => return,
        };
        let mut winfo = false;
        for id in &ids {
            winfo |= self.notify_one(now, id);
        }
        if winfo {
            self.winfo_changed(now, key, None);
        }
    }

    /// Re-evaluates one subscription; returns whether its real answer
    /// changed (for watcher information).
    fn notify_one(&mut self, now: Instant, id: &DialogId) -> bool {
        let Some(mut s) = self.subs.remove(id) else {
            return false;
        };
        let key = s.presentity.clone();
        let doc = self
            .presentities
            .get(&key)
            .and_then(|p| p.document.clone())
            .unwrap_or_else(|| policy::neutral_document(&key));
        let mut changed = false;
        match &s.kind {
            Kind::Watcher { who, .. } => {
                let d = self
                    .presentities
                    .get(&key)
                    .and_then(|p| p.rules.decide(who, &self.config.context, &doc).ok());
                let handling = d.as_ref().map_or(SubHandling::Block, |d| d.sub_handling);
                changed = handling != s.handling;
                s.handling = handling;
                if let Some(b) = d.and_then(|d| d.document_bytes()) {
                    let b = Bytes::from(b);
                    let h = digest(&b);
                    match (s.notifier.state(), &mut s.partial) {
                        (NotifierState::Pending, partial) => {
                            let staged = match partial {
                                Some(p) => p.set_first(&mut s.notifier, &b),
                                None => false,
                            };
                            if !staged {
                                s.notifier.set_body(content_type(views::PIDF), b);
                            }
                            s.last = Some(h);
                            if let Some(r) = s.notifier.activate(now) {
                                if let Some(p) = &mut s.partial {
                                    p.sent(&mut s.notifier, Some(&r));
                                }
                                self.out.push_back(r);
                            }
                        }
                        (NotifierState::Active, Some(p)) if s.last != Some(h) => {
                            s.last = Some(h);
                            if let Some(r) = p.update(now, &mut s.notifier, &b) {
                                self.out.push_back(r);
                            }
                        }
                        (NotifierState::Active, None) if s.last != Some(h) => {
                            s.last = Some(h);
                            if let Some(r) = s.notifier.update(now, content_type(views::PIDF), b) {
                                self.out.push_back(r);
                            }
                        }
                        _ => {}
                    }
                }
                // Block or confirm on an active watcher: nothing more is sent.
            }
            Kind::Peer { .. } => {
                let body = self.peer_body(&key, &mut s.kind, &doc);
                if let Some((ct, b, h)) = body.filter(|(_, _, h)| s.last != Some(*h)) {
                    s.last = Some(h);
                    if let Some(r) = s.notifier.update(now, Some(ct), b) {
                        self.out.push_back(r);
                    }
                }
            }
            Kind::Winfo { .. } => {}
        }
        self.subs.insert(id.clone(), s);
        changed
    }

    fn winfo_entries(&self, key: &str, only: Option<&DialogId>) -> Vec<winfo::Watcher> {
        let mut out = Vec::new();
        let Some(p) = self.presentities.get(key) else {
            return out;
        };
        for id in &p.subs {
            if only.is_some_and(|o| o != id) {
                continue;
            }
            let Some(s) = self.subs.get(id) else { continue };
            let (status, event) = match s.handling {
                SubHandling::Allow | SubHandling::PoliteBlock => {
                    (WatcherStatus::Active, WatcherEvent::Approved)
                }
                SubHandling::Confirm => (WatcherStatus::Pending, WatcherEvent::Subscribe),
                SubHandling::Block => (WatcherStatus::Terminated, WatcherEvent::Rejected),
            };
            match &s.kind {
                Kind::Watcher { uri, .. } => {
                    let sid = format!("{:x}", digest(&id.call_id));
                    out.push(winfo::Watcher::new(uri, &sid, status, event));
                }
                Kind::Peer { watchers, .. } => {
                    let ids: Vec<Identity> = watchers
                        .iter()
                        .map(|w| Identity::authenticated(w))
                        .collect();
                    for (w, i) in watchers.iter().zip(&ids) {
                        let h = p.rules.evaluate(i, &self.config.context).sub_handling;
                        let (st, ev) = match h {
                            SubHandling::Allow | SubHandling::PoliteBlock => {
                                (WatcherStatus::Active, WatcherEvent::Approved)
                            }
                            SubHandling::Confirm => {
                                (WatcherStatus::Pending, WatcherEvent::Subscribe)
                            }
                            SubHandling::Block => {
                                (WatcherStatus::Terminated, WatcherEvent::Rejected)
                            }
                        };
                        let sid = format!("p{:x}", digest(&(w, &id.call_id)));
                        out.push(winfo::Watcher::new(w, &sid, st, ev));
                    }
                }
                Kind::Winfo { .. } => {}
            }
        }
        out
    }

    fn winfo_full(&self, key: &str, version: u64) -> WatcherInfo {
        WatcherInfo::new(
            version,
            WinfoState::Full,
            vec![WatcherList {
                resource: key.to_owned(),
                package: "presence".into(),
                watchers: self.winfo_entries(key, None),
            }],
        )
    }

    /// Sends watcher information to the presentity's winfo subscribers:
    /// partial with the one changed watcher when known, else full.
    fn winfo_changed(&mut self, now: Instant, key: &str, one: Option<&DialogId>) {
        let Some(p) = self.presentities.get(key) else {
            return;
        };
        let winfo_subs: Vec<DialogId> = p
            .subs
            .iter()
            .filter(|id| {
                matches!(
                    self.subs.get(*id).map(|s| &s.kind),
                    Some(Kind::Winfo { .. })
                )
            })
            .cloned()
            .collect();
        if winfo_subs.is_empty() {
            return;
        }
        let partial_entries = one.map(|o| self.winfo_entries(key, Some(o)));
        for id in winfo_subs {
            let version = match self.subs.get(&id).map(|s| &s.kind) {
                Some(Kind::Winfo { version }) => *version,
                _ => continue,
            };
            let doc = match &partial_entries {
                Some(e) => WatcherInfo::new(
                    version,
                    WinfoState::Partial,
                    vec![WatcherList {
                        resource: key.to_owned(),
                        package: "presence".into(),
                        watchers: e.clone(),
                    }],
                ),
                None => self.winfo_full(key, version),
            };
            if let Some(s) = self.subs.get_mut(&id) {
                if let Kind::Winfo { version } = &mut s.kind {
                    *version += 1;
                }
                if let Some(r) = s.notifier.update(
                    now,
                    content_type(winfo::CONTENT_TYPE),
                    Bytes::from(doc.to_bytes()),
                ) {
                    self.out.push_back(r);
                }
            }
        }
    }
}
