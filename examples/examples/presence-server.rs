//! `presence-server`: a small SIP presence server on UDP and TCP.
//!
//! It accepts PUBLISH (RFC 3903, through the sip-core [`Compositor`]),
//! composes every live publication of a presentity into one PIDF document
//! (RFC 3863, `pidf::compose`), accepts SUBSCRIBE to the `presence` event
//! package (RFC 3856, RFC 6665, through the sip-core [`Notifier`]) and
//! sends NOTIFYs with the document each watcher may see, as the
//! presentity's pres-rules (RFC 5025, `policy::RuleSet`) in
//! `DIR/<user>.xml` decide; without rules nothing is shown (default deny),
//! unless `--allow-all`. It answers MESSAGE (RFC 3428) for its users with
//! 200 and OPTIONS with 200, and logs each transaction on one line.
//!
//! ```text
//! presence-server --listen 127.0.0.1:5090 --allow-all
//! presence-server --listen 127.0.0.1:5090 --tls 127.0.0.1:5091 --domain example.com
//! ```
//!
//! With `--tls` it also takes SIP over TLS (rustls; RFC 3261 section
//! 26.3.1) with the certificate of `--tls-cert`/`--tls-key`; a client
//! certificate is optional and, when sent, verified against `--tls-ca` and
//! logged with the SIP domains it authenticates (RFC 5922). Without those
//! files a demo CA and a certificate for the domain (subjectAltName URI
//! `sip:<domain>`, DNS `<domain>`) are generated into a folder it prints.
//!
//! The presentity itself (From user equal to the Request-URI user, or
//! anyone with `--allow-all`) may subscribe to `presence.winfo` (RFC 3857)
//! and gets the full watcher list (RFC 3858) whenever a watcher comes, goes
//! or is authorized.
//!
//! Not covered: partial watcher-info documents (always `state="full"`; a
//! NOTIFY resent on refresh repeats the last version); watchers are identified by their From URI (no authentication, so
//! this is a test server, not one to expose); `<validity>` and `<sphere>`
//! conditions of rules see no time and no sphere.
#![allow(clippy::disallowed_methods)]

use examples::args::Args;
use examples::net::Driver;
use policy::{Context, RuleSet, SubHandling, Watcher};
use sip_core::bytes::Bytes;
use sip_core::dialog::DialogId;
use sip_core::endpoint::{Event, Peer, TransactionId};
use sip_core::header::HeaderName;
use sip_core::publication::{Compositor, CompositorConfig, PublicationEvent};
use sip_core::subscription::{Notifier, NotifierState, SubscriptionConfig};
use sip_core::transaction::Transport;
use sip_core::{Method, Request, Response, StatusCode};
use std::collections::{BTreeSet, HashMap};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

const USAGE: &str = "\
usage: presence-server --listen ADDR:PORT [--domain D] [--rules DIR] [--allow-all]
                       [--tls ADDR:PORT [--tls-cert FILE --tls-key FILE --tls-ca FILE]]

A presence server on UDP and TCP at ADDR:PORT.
  --domain D    only serve URIs whose host is D (or the listen address, or
                localhost); others get 404. Default: any host.
  --rules DIR   pres-rules (RFC 5025) of user U in DIR/U.xml; a watcher no
                rule allows gets 403 (block), a pending subscription
                (confirm) or the neutral document (polite-block)
  --allow-all   every watcher sees the full document (like Kamailio's
                presence_xml force_active)
  --tls ADDR:PORT  also take SIP over TLS there (port 0 picks one)
  --tls-cert FILE  our certificate chain, PEM (end-entity first)
  --tls-key FILE   its private key, PEM
  --tls-ca FILE    CA certificates, PEM, that client certificates (optional)
                   are verified against
                Without the three files a demo CA and a certificate for the
                domain (--domain, else localhost) are generated and the
                folder is printed.
The presentity may subscribe to presence.winfo (its watcher list).
Logs one line per transaction on standard output.";

const ALLOW: &str = "OPTIONS, PUBLISH, SUBSCRIBE, MESSAGE";

/// Most subscriptions held at once; beyond, new ones get 503.
const MAX_SUBSCRIPTIONS: usize = 100_000;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    if let Err(e) = run().await {
        eprintln!("presence-server: {e}");
        std::process::exit(1);
    }
}

/// One watcher's subscription.
struct Sub {
    notifier: Notifier,
    peer: Peer,
    user: String,
    watcher: String,
    /// `presence.winfo` (RFC 3857) rather than `presence`.
    winfo: bool,
    /// RFC 3858 document version, one up per document sent.
    version: u32,
}

struct Server {
    drv: Driver,
    listen: SocketAddr,
    /// Where SIP over TLS is taken, with `--tls`.
    tls_listen: Option<SocketAddr>,
    domain: Option<String>,
    rules: Option<PathBuf>,
    allow_all: bool,
    compositor: Compositor,
    /// Entity-tag of each stored publication -> its user.
    etags: HashMap<Bytes, String>,
    subs: HashMap<DialogId, Sub>,
    /// Our NOTIFY transactions -> their subscription.
    notifies: HashMap<TransactionId, DialogId>,
    sub_config: SubscriptionConfig,
    /// Users whose watcher list changed since their winfo watchers heard.
    winfo_dirty: BTreeSet<String>,
}

fn transport_name(p: Peer) -> &'static str {
    match p.transport {
        Transport::Udp => "UDP",
        Transport::Tcp => "TCP",
        Transport::Tls => "TLS",
        _ => "other",
    }
}

/// The URI inside a From/To value (`"x" <uri>;tag=..` or `uri;tag=..`).
fn addr_uri(v: &[u8]) -> String {
    let s = String::from_utf8_lossy(v);
    match (s.find('<'), s.find('>')) {
        (Some(a), Some(b)) if a < b => s.get(a + 1..b).unwrap_or_default().to_owned(),
        _ => s.split(';').next().unwrap_or_default().trim().to_owned(),
    }
}

/// `application/watcherinfo+xml` (RFC 3858).
fn winfo_type() -> sip_core::header::ContentType {
    examples::content_type("application", "watcherinfo+xml")
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn from_uri(r: &Request) -> String {
    r.headers()
        .get(&HeaderName::FROM)
        .map(|v| addr_uri(v))
        .unwrap_or_default()
}

impl Server {
    /// The user a Request-URI names, when it is one of ours.
    fn user_of(&self, r: &Request) -> Option<String> {
        let sip = r.uri().as_sip()?;
        let user = sip.user()?.into_owned();
        if user.is_empty() || user.contains('/') || user.contains('\\') || user.starts_with('.') {
            return None;
        }
        if let Some(d) = &self.domain {
            let mut host = Vec::new();
            sip.host().write(&mut host);
            let host = String::from_utf8_lossy(&host).to_ascii_lowercase();
            let ok = host == d.to_ascii_lowercase()
                || host == self.listen.ip().to_string()
                || host == "localhost";
            if !ok {
                return None;
            }
        }
        Some(user)
    }

    fn log(&self, peer: Peer, r: &Request, status: StatusCode, extra: &str) {
        let mut uri = Vec::new();
        r.uri().write(&mut uri);
        examples::say!(
            "{} {} {} {} from={} -> {}{}",
            transport_name(peer),
            peer.addr,
            r.method(),
            String::from_utf8_lossy(&uri),
            from_uri(r),
            status.as_u16(),
            extra
        );
    }

    async fn respond(&mut self, tx: TransactionId, peer: Peer, req: &Request, resp: &Response) {
        self.log(peer, req, resp.status(), "");
        if let Err(e) = self.drv.ep.send_response(Instant::now(), tx, resp) {
            examples::say!("  (response not sent: {e})");
        }
        self.drv.flush().await;
    }

    fn contact(&self, peer: Peer) -> String {
        match peer.transport {
            Transport::Tcp => format!("<sip:{};transport=tcp>", self.listen),
            Transport::Tls => format!(
                "<sip:{};transport=tls>",
                self.tls_listen.unwrap_or(self.listen)
            ),
            _ => format!("<sip:{}>", self.listen),
        }
    }

    /// The composed document of `user`, from every live publication.
    fn composed(&self, user: &str) -> Option<Vec<u8>> {
        let now = Instant::now();
        let mut pubs: Vec<pidf::compose::Publication> = self
            .etags
            .iter()
            .filter(|(_, u)| u.as_str() == user)
            .filter_map(|(etag, _)| {
                let p = self.compositor.get(etag)?;
                let presence = pidf::Presence::parse(&p.body).ok()?;
                Some(pidf::compose::Publication {
                    etag: String::from_utf8_lossy(etag).into_owned(),
                    expires: p.expires_at,
                    presence,
                })
            })
            .collect();
        // Oldest first, as compose wants: the one expiring first is taken
        // as the oldest.
        pubs.sort_by_key(|p| p.expires);
        pidf::compose::compose(&pubs, now, &pidf::compose::Policy::default()).map(|p| p.to_xml())
    }

    /// What `watcher` may see of `user`: how the subscription is handled
    /// and the document to send.
    fn view(&self, user: &str, watcher: &str) -> (SubHandling, Option<Vec<u8>>) {
        let doc = self.composed(user);
        if self.allow_all {
            return (SubHandling::Allow, doc);
        }
        let Some(dir) = &self.rules else {
            return (SubHandling::Block, None);
        };
        let rules = match std::fs::read(dir.join(format!("{user}.xml"))) {
            Ok(bytes) => match RuleSet::parse(&bytes) {
                Ok(r) => r,
                Err(e) => {
                    examples::say!("  rules of {user} unreadable ({e}): deny");
                    return (SubHandling::Block, None);
                }
            },
            Err(_) => return (SubHandling::Block, None),
        };
        let w = Watcher::authenticated(watcher);
        let ctx = Context::default();
        let Some(doc) = doc else {
            return (rules.evaluate(&w, &ctx).sub_handling, None);
        };
        let parsed = match pidf::xml::Document::parse(&doc, &pidf::xml::Limits::default()) {
            Ok(d) => d,
            Err(_) => return (rules.evaluate(&w, &ctx).sub_handling, None),
        };
        match rules.decide(&w, &ctx, &parsed) {
            Ok(d) => {
                let bytes = d.document_bytes();
                (d.sub_handling, bytes)
            }
            Err(_) => (SubHandling::Block, None),
        }
    }

    async fn send_notify(&mut self, id: DialogId, mut notify: Request) {
        let Some(sub) = self.subs.get(&id) else {
            return;
        };
        let peer = sub.peer;
        if !notify.headers().contains(&HeaderName::MAX_FORWARDS) {
            notify.headers_mut().push(HeaderName::MAX_FORWARDS, "70");
        }
        if !notify.headers().contains(&HeaderName::CONTACT) {
            let c = self.contact(peer);
            notify.headers_mut().push(HeaderName::CONTACT, c);
        }
        match self.drv.ep.send_request(Instant::now(), notify, peer) {
            Ok(tx) => {
                self.notifies.insert(tx, id);
            }
            Err(e) => examples::say!("  NOTIFY to {} not sent: {e}", peer.addr),
        }
        self.drv.flush().await;
    }

    fn drop_if_done(&mut self, id: &DialogId) {
        if self
            .subs
            .get(id)
            .is_some_and(|s| s.notifier.state() == NotifierState::Terminated)
        {
            if let Some(s) = self.subs.remove(id) {
                if !s.winfo {
                    self.winfo_dirty.insert(s.user);
                }
            }
        }
    }

    /// The RFC 3858 watcher list of `user`'s presence, full state.
    fn winfo_doc(&self, user: &str, version: u32) -> Vec<u8> {
        use std::hash::{Hash, Hasher};
        let mut out = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<watcherinfo xmlns=\"urn:ietf:params:xml:ns:watcherinfo\" version=\"{version}\" state=\"full\">\n  <watcher-list resource=\"sip:{}@{}\" package=\"presence\">\n",
            xml_escape(user),
            self.domain.clone().unwrap_or_else(|| self.listen.ip().to_string())
        );
        let mut watchers: Vec<(&DialogId, &Sub)> = self
            .subs
            .iter()
            .filter(|(_, s)| !s.winfo && s.user == user)
            .collect();
        watchers.sort_by(|a, b| a.1.watcher.cmp(&b.1.watcher));
        for (id, s) in watchers {
            let mut h = std::collections::hash_map::DefaultHasher::new();
            id.hash(&mut h);
            let status = match s.notifier.state() {
                NotifierState::Pending => "pending",
                NotifierState::Active => "active",
                NotifierState::Terminated => continue,
            };
            out.push_str(&format!(
                "    <watcher id=\"w{:016x}\" event=\"subscribe\" status=\"{status}\">{}</watcher>\n",
                h.finish(),
                xml_escape(&s.watcher)
            ));
        }
        out.push_str("  </watcher-list>\n</watcherinfo>\n");
        out.into_bytes()
    }

    /// Tells the winfo watchers of every user whose watcher list changed.
    async fn flush_winfo(&mut self) {
        let now = Instant::now();
        while let Some(user) = self.winfo_dirty.pop_first() {
            let ids: Vec<DialogId> = self
                .subs
                .iter()
                .filter(|(_, s)| s.winfo && s.user == user)
                .map(|(id, _)| id.clone())
                .collect();
            for id in ids {
                let Some(version) = self.subs.get(&id).map(|s| s.version) else {
                    continue;
                };
                let doc = self.winfo_doc(&user, version);
                let Some(sub) = self.subs.get_mut(&id) else {
                    continue;
                };
                let n = sub
                    .notifier
                    .update(now, Some(winfo_type()), Bytes::from(doc));
                if n.is_some() {
                    sub.version = sub.version.wrapping_add(1);
                }
                if let Some(n) = n {
                    self.send_notify(id.clone(), n).await;
                }
                self.drop_if_done(&id);
            }
        }
    }

    async fn on_subscribe(&mut self, tx: TransactionId, peer: Peer, req: Request) {
        let now = Instant::now();
        if let Some(id) = DialogId::of_incoming(&req) {
            // A refresh or an unsubscription inside the dialog.
            let Some(sub) = self.subs.get_mut(&id) else {
                let r = Response::from_request(&req, StatusCode::CALL_TRANSACTION_DOES_NOT_EXIST);
                self.respond(tx, peer, &req, &r).await;
                return;
            };
            sub.peer = peer;
            let (resp, notify) = sub.notifier.handle_subscribe(now, &req, &self.sub_config);
            let mut resp = resp;
            if resp.status().is_success() {
                let c = self.contact(peer);
                resp.headers_mut().push(HeaderName::CONTACT, c);
            }
            self.respond(tx, peer, &req, &resp).await;
            if let Some(n) = notify {
                self.send_notify(id.clone(), n).await;
            }
            self.drop_if_done(&id);
            return;
        }
        let Some(user) = self.user_of(&req) else {
            let r = Response::from_request(&req, StatusCode::NOT_FOUND);
            self.respond(tx, peer, &req, &r).await;
            return;
        };
        if self.subs.len() >= MAX_SUBSCRIPTIONS {
            let mut r = Response::from_request(&req, StatusCode::SERVICE_UNAVAILABLE);
            r.headers_mut().push(HeaderName::RETRY_AFTER, "30");
            self.respond(tx, peer, &req, &r).await;
            return;
        }
        if let Err(e) = Notifier::check(&req, &["presence", "presence.winfo"], &self.sub_config) {
            let mut r = Notifier::refusal(&req, &e);
            if r.status() == StatusCode::BAD_EVENT {
                r.headers_mut()
                    .push(HeaderName::ALLOW_EVENTS, "presence, presence.winfo");
            }
            self.respond(tx, peer, &req, &r).await;
            return;
        }
        let winfo = req.headers().get(&HeaderName::EVENT).is_some_and(|e| {
            let pkg = e.split(|b| *b == b';').next().unwrap_or_default();
            pkg.trim_ascii().eq_ignore_ascii_case(b"presence.winfo")
        });
        let watcher = from_uri(&req);
        let (handling, doc) = if winfo {
            // RFC 3857 5.2: the presentity itself may see its watchers.
            let own = watcher
                .split_once(':')
                .and_then(|(_, rest)| rest.split_once('@'))
                .is_some_and(|(u, _)| u == user);
            if own || self.allow_all {
                (SubHandling::Allow, Some(self.winfo_doc(&user, 0)))
            } else {
                (SubHandling::Block, None)
            }
        } else {
            self.view(&user, &watcher)
        };
        let state = match handling {
            SubHandling::Block => {
                let r = Response::from_request(&req, StatusCode::FORBIDDEN);
                self.respond(tx, peer, &req, &r).await;
                return;
            }
            SubHandling::Confirm => NotifierState::Pending,
            _ => NotifierState::Active,
        };
        let mut resp = Response::from_request(&req, StatusCode::OK);
        let tag = self.drv.ep.new_tag();
        resp.set_to_tag(&tag);
        resp.headers_mut()
            .push(HeaderName::CONTACT, self.contact(peer));
        let mut notifier = match Notifier::accept(now, &req, &mut resp, state, &self.sub_config) {
            Ok(n) => n,
            Err(e) => {
                let r = Notifier::refusal(&req, &e);
                self.respond(tx, peer, &req, &r).await;
                return;
            }
        };
        let ct = if winfo {
            winfo_type()
        } else {
            examples::pidf_type()
        };
        match doc {
            Some(d) => notifier.set_body(Some(ct), Bytes::from(d)),
            None => notifier.set_body(None, Bytes::new()),
        }
        let first = notifier.initial_notify(now);
        let id = notifier.dialog().id().clone();
        self.respond(tx, peer, &req, &resp).await;
        self.subs.insert(
            id.clone(),
            Sub {
                notifier,
                peer,
                user: user.clone(),
                watcher,
                winfo,
                version: 1,
            },
        );
        if !winfo {
            self.winfo_dirty.insert(user);
        }
        match first {
            Ok(n) => self.send_notify(id.clone(), n).await,
            Err(e) => examples::say!("  initial NOTIFY not built: {e}"),
        }
        self.drop_if_done(&id);
    }

    async fn on_publish(&mut self, tx: TransactionId, peer: Peer, req: Request) {
        let now = Instant::now();
        let user = self.user_of(&req);
        let resp = self.compositor.handle_publish(now, &req, user.is_some());
        self.respond(tx, peer, &req, &resp).await;
        let mut changed = BTreeSet::new();
        while let Some(ev) = self.compositor.poll_event() {
            match ev {
                PublicationEvent::Created { etag, .. } => {
                    if let Some(u) = &user {
                        self.etags.insert(etag, u.clone());
                        changed.insert(u.clone());
                    }
                }
                PublicationEvent::Modified { old, etag, .. } => {
                    if let Some(u) = self.etags.remove(&old) {
                        self.etags.insert(etag, u.clone());
                        changed.insert(u);
                    }
                }
                PublicationEvent::Refreshed { old, etag } => {
                    if let Some(u) = self.etags.remove(&old) {
                        self.etags.insert(etag, u);
                    }
                }
                PublicationEvent::Removed { etag, .. } | PublicationEvent::Expired { etag, .. } => {
                    if let Some(u) = self.etags.remove(&etag) {
                        changed.insert(u);
                    }
                }
                _ => {}
            }
        }
        for u in changed {
            self.notify_all(&u).await;
        }
    }

    /// The state of `user` changed: tell each of its watchers what they
    /// may see now.
    async fn notify_all(&mut self, user: &str) {
        let ids: Vec<DialogId> = self
            .subs
            .iter()
            .filter(|(_, s)| !s.winfo && s.user == user)
            .map(|(id, _)| id.clone())
            .collect();
        let now = Instant::now();
        for id in ids {
            let Some(watcher) = self.subs.get(&id).map(|s| s.watcher.clone()) else {
                continue;
            };
            let (handling, doc) = self.view(user, &watcher);
            let Some(sub) = self.subs.get_mut(&id) else {
                continue;
            };
            let (ct, body) = match doc {
                Some(d) => (Some(examples::pidf_type()), Bytes::from(d)),
                None => (None, Bytes::new()),
            };
            let notify = match handling {
                SubHandling::Block => {
                    sub.notifier
                        .terminate(now, sip_core::subscription::Reason::Rejected, None)
                }
                SubHandling::Confirm => {
                    sub.notifier.set_body(None, Bytes::new());
                    None
                }
                _ if sub.notifier.state() == NotifierState::Pending => {
                    sub.notifier.set_body(ct, body);
                    self.winfo_dirty.insert(user.to_owned());
                    sub.notifier.activate(now)
                }
                _ => sub.notifier.update(now, ct, body),
            };
            if let Some(n) = notify {
                self.send_notify(id.clone(), n).await;
            }
            self.drop_if_done(&id);
        }
    }

    async fn on_request(&mut self, tx: TransactionId, peer: Peer, req: Request) {
        let m = req.method().clone();
        if m == Method::SUBSCRIBE {
            self.on_subscribe(tx, peer, req).await;
        } else if m == Method::PUBLISH {
            self.on_publish(tx, peer, req).await;
        } else if m == Method::MESSAGE {
            let mut r = if self.user_of(&req).is_some() {
                sip_core::pager::answer(
                    &req,
                    &[
                        examples::content_type("text", "plain"),
                        examples::content_type("message", "cpim"),
                        examples::content_type("application", "im-iscomposing+xml"),
                    ],
                    64 * 1024,
                )
            } else {
                Response::from_request(&req, StatusCode::NOT_FOUND)
            };
            let tag = self.drv.ep.new_tag();
            r.set_to_tag(&tag);
            let text = String::from_utf8_lossy(req.body());
            let extra = format!(
                " ({} bytes: {:?})",
                req.body().len(),
                text.chars().take(60).collect::<String>()
            );
            self.log(peer, &req, r.status(), &extra);
            let _ = self.drv.ep.send_response(Instant::now(), tx, &r);
            self.drv.flush().await;
        } else if m == Method::OPTIONS {
            let mut r = Response::from_request(&req, StatusCode::OK);
            r.headers_mut().push(HeaderName::ALLOW, ALLOW);
            r.headers_mut().push(HeaderName::ALLOW_EVENTS, "presence");
            self.respond(tx, peer, &req, &r).await;
        } else {
            let mut r = Response::from_request(&req, StatusCode::METHOD_NOT_ALLOWED);
            r.headers_mut().push(HeaderName::ALLOW, ALLOW);
            self.respond(tx, peer, &req, &r).await;
        }
    }

    async fn on_event(&mut self, ev: Event) {
        match ev {
            Event::Request {
                transaction,
                request,
                peer,
            } => self.on_request(transaction, peer, request).await,
            Event::Response {
                transaction,
                response,
            } => {
                if response.status().is_provisional() {
                    return;
                }
                if let Some(id) = self.notifies.remove(&transaction) {
                    examples::say!(
                        "NOTIFY {} -> {}",
                        self.subs.get(&id).map_or("(ended)".to_owned(), |s| format!(
                            "{} for {}",
                            s.watcher, s.user
                        )),
                        response.status().as_u16()
                    );
                    if let Some(s) = self.subs.get_mut(&id) {
                        s.notifier.handle_notify_response(&response);
                    }
                    self.drop_if_done(&id);
                }
            }
            Event::Failed {
                transaction,
                failure,
            } => {
                if let Some(id) = self.notifies.remove(&transaction) {
                    examples::say!("NOTIFY failed ({failure:?}): subscription removed");
                    if let Some(s) = self.subs.get_mut(&id) {
                        s.notifier.handle_notify_failure();
                    }
                    self.drop_if_done(&id);
                }
            }
            Event::Discarded { peer, reason } => {
                examples::say!("{} {} dropped: {reason:?}", transport_name(peer), peer.addr);
            }
            _ => {}
        }
    }

    /// The next instant one of our machines needs to run.
    fn next_timer(&mut self) -> Option<Instant> {
        let mut at = self.compositor.poll_timeout();
        for s in self.subs.values_mut() {
            if let Some(t) = s.notifier.poll_timeout() {
                at = Some(at.map_or(t, |a| a.min(t)));
            }
        }
        at
    }

    async fn on_timers(&mut self) {
        let now = Instant::now();
        self.compositor.handle_timeout(now);
        let mut changed = BTreeSet::new();
        while let Some(ev) = self.compositor.poll_event() {
            if let PublicationEvent::Expired { etag, .. } = ev {
                if let Some(u) = self.etags.remove(&etag) {
                    examples::say!(
                        "publication {} of {u} expired",
                        String::from_utf8_lossy(&etag)
                    );
                    changed.insert(u);
                }
            }
        }
        for u in changed {
            self.notify_all(&u).await;
        }
        let due: Vec<DialogId> = self
            .subs
            .iter_mut()
            .filter_map(|(id, s)| {
                s.notifier
                    .poll_timeout()
                    .is_some_and(|t| t <= now)
                    .then(|| id.clone())
            })
            .collect();
        for id in due {
            let n = self
                .subs
                .get_mut(&id)
                .and_then(|s| s.notifier.handle_timeout(now));
            if let Some(n) = n {
                self.send_notify(id.clone(), n).await;
            }
            self.drop_if_done(&id);
        }
    }
}

async fn run() -> Result<(), String> {
    let args = Args::parse(std::env::args().skip(1), &["allow-all"])?;
    if args.flag("help") {
        examples::say!("{USAGE}");
        return Ok(());
    }
    let listen: SocketAddr = args
        .require("listen")?
        .parse()
        .map_err(|e| format!("--listen: {e}"))?;
    let rules = args.get("rules").map(PathBuf::from);
    if let Some(d) = &rules {
        if !d.is_dir() {
            return Err(format!("--rules {}: not a directory", d.display()));
        }
    }
    let mut drv = Driver::bind(listen, true, examples::seed())
        .await
        .map_err(|e| format!("listening on {listen}: {e}"))?;
    // The port really bound (for `--listen ADDR:0`), for logs and Contacts.
    let listen = drv.local_addr();
    let tls_listen = match args.get("tls") {
        Some(a) => Some(listen_tls(&mut drv, a, &args).await?),
        None => None,
    };
    let compositor = Compositor::new(CompositorConfig {
        seed: examples::seed().rotate_left(17),
        ..CompositorConfig::default()
    });
    let mut server = Server {
        drv,
        listen,
        tls_listen,
        domain: args.get("domain").map(str::to_owned),
        rules,
        allow_all: args.flag("allow-all"),
        compositor,
        etags: HashMap::new(),
        subs: HashMap::new(),
        notifies: HashMap::new(),
        sub_config: SubscriptionConfig::default(),
        winfo_dirty: BTreeSet::new(),
    };
    examples::say!(
        "presence-server listening on {listen} (UDP and TCP){}{}",
        tls_listen
            .map(|a| format!(", {a} (TLS)"))
            .unwrap_or_default(),
        if server.allow_all {
            ", every watcher allowed"
        } else {
            ""
        }
    );
    loop {
        let deadline = server
            .next_timer()
            .unwrap_or_else(|| Instant::now() + Duration::from_secs(3600));
        match server.drv.next_event(deadline).await {
            Some(ev) => server.on_event(ev).await,
            None => server.on_timers().await,
        }
        server.flush_winfo().await;
    }
}

/// Starts the TLS listener of `--tls`, with the certificate files given or
/// a generated demo PKI; returns its address.
async fn listen_tls(drv: &mut Driver, addr: &str, args: &Args) -> Result<SocketAddr, String> {
    use examples::tls::{Credentials, DemoPki};
    let addr: SocketAddr = addr.parse().map_err(|e| format!("--tls {addr}: {e}"))?;
    let files = (
        args.get("tls-cert"),
        args.get("tls-key"),
        args.get("tls-ca"),
    );
    let creds = match files {
        (Some(cert), Some(key), Some(ca)) => {
            Credentials::from_pem_files(cert.as_ref(), key.as_ref(), ca.as_ref())
                .map_err(|e| e.to_string())?
        }
        (None, None, None) => {
            let domain = args.get("domain").unwrap_or("localhost");
            let dir = std::env::temp_dir().join("simple-peering-presence-server-pki");
            let pki = DemoPki::new(&dir, "presence-server demo CA").map_err(|e| e.to_string())?;
            let creds = pki.issue(domain).map_err(|e| e.to_string())?;
            examples::say!(
                "TLS: demo PKI in {}: ca.pem (trust it in clients), {domain}.pem, {domain}.key",
                dir.display()
            );
            creds
        }
        _ => return Err("--tls-cert, --tls-key and --tls-ca go together".into()),
    };
    let config = creds
        .server_config_client_optional()
        .map_err(|e| format!("TLS: {e}"))?;
    drv.listen_tls(addr, config, |from, peer| match peer {
        Ok(Some(p)) => examples::say!(
            "TLS {from} connected: client certificate [{}], SIP domains {}",
            p.describe(),
            p.domains()
        ),
        Ok(None) => examples::say!("TLS {from} connected: no client certificate"),
        Err(e) => examples::say!("TLS {from} refused: {e}"),
    })
    .await
    .map_err(|e| format!("--tls {addr}: {e}"))
}
