//! The watcher: subscribes to `presence` (RFC 3856) and to
//! `presence.winfo` (RFC 3857), and keeps the current state per
//! subscription.
//!
//! It accepts `application/pidf+xml` (full state), `application/pidf-diff+xml`
//! (RFC 5263 partial notification, applied with [`pidf::partial`]; a version
//! gap asks for a refresh), `multipart/related` RLMI list notifications
//! (RFC 4662, through [`rls::subscriber::ListSubscriber`]) and
//! `application/watcherinfo+xml` (full and partial).
//!
//! Sans-IO: [`PresenceWatcher::subscribe`] returns the SUBSCRIBE to send;
//! [`PresenceWatcher::handle_notify`] returns the response to a NOTIFY;
//! [`PresenceWatcher::handle_response`] takes responses to SUBSCRIBEs;
//! refreshes come from [`PresenceWatcher::handle_timeout`] through
//! [`PresenceWatcher::poll_transmit`].
#![cfg_attr(
    not(test),
    deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)
)]

use std::collections::{HashMap, VecDeque};
use std::time::Instant;

use pidf::partial::{PartialDoc, PartialState};
use pidf::Presence;
use rls::subscriber::ListSubscriber;
use sip_core::header::CallId;
use sip_core::subscription::{NotifyOutcome, Subscriber, SubscriberState, SubscriptionConfig};
use sip_core::{Bytes, HeaderName, Request, Response, StatusCode};

use crate::doc::winfo::WatcherInfo;
use crate::sip::{aor, header_str, pai_name, NewRequest};

/// What a subscription currently holds.
#[derive(Debug, Default)]
pub struct Held {
    /// The presence document (full or rebuilt from diffs).
    pub presence: Option<Presence>,
    /// The watcher information (for `presence.winfo`).
    pub winfo: Option<WatcherInfo>,
    /// NOTIFYs received with a body.
    pub notified: usize,
    /// NOTIFYs received in all.
    pub notifies: usize,
}

#[derive(Debug)]
struct Entry {
    sub: Subscriber,
    held: Held,
    partial: PartialState,
    list: Option<ListSubscriber>,
}

/// A watcher for one user. See the [module docs](self).
#[derive(Debug)]
pub struct PresenceWatcher {
    me: String,
    config: SubscriptionConfig,
    entries: HashMap<(String, String), Entry>,
    by_call: HashMap<Bytes, (String, String)>,
    out: VecDeque<Request>,
    counter: u64,
    partial: bool,
}

impl PresenceWatcher {
    /// A watcher whose identity (and Contact) is `me`.
    pub fn new(me: &str) -> Self {
        PresenceWatcher {
            me: me.to_owned(),
            config: SubscriptionConfig::default(),
            entries: HashMap::new(),
            by_call: HashMap::new(),
            out: VecDeque::new(),
            counter: 0,
            partial: true,
        }
    }

    /// Whether later SUBSCRIBEs list `application/pidf-diff+xml` in Accept,
    /// asking for partial notifications (RFC 5263 section 4.2); on by
    /// default. Either way the watcher takes what comes.
    pub fn set_accept_partial(&mut self, on: bool) {
        self.partial = on;
    }

    /// The watcher's URI.
    pub fn uri(&self) -> &str {
        &self.me
    }

    /// Starts a subscription to `package` of `resource`; `list` marks a
    /// resource list (RFC 4662: `Supported: eventlist`). Returns the
    /// SUBSCRIBE, with P-Asserted-Identity as the domain's proxy would add.
    pub fn subscribe(
        &mut self,
        now: Instant,
        resource: &str,
        package: &str,
        list: bool,
    ) -> Option<Request> {
        self.counter += 1;
        let call = format!("{:x}.{}", self.counter, self.me);
        let tag = format!("w{:x}", self.counter);
        let mut req = NewRequest {
            method: sip_core::Method::SUBSCRIBE,
            to: resource,
            from: &self.me,
            tag: &tag,
            call_id: &call,
            contact: Some(&self.me),
            event: Some(package),
            expires: Some(3600),
        }
        .build(None)?;
        req.headers_mut().push(pai_name(), format!("<{}>", self.me));
        let ls = list.then(|| {
            let ls = ListSubscriber::new(&["application/pidf+xml"]);
            for (n, v) in ls.subscribe_headers() {
                if let Some(h) = HeaderName::new(n) {
                    req.headers_mut().push(h, v);
                }
            }
            ls
        });
        if !list {
            req.headers_mut().push(
                HeaderName::ACCEPT,
                if self.partial {
                    "application/pidf+xml, application/pidf-diff+xml, multipart/related, application/rlmi+xml"
                } else {
                    "application/pidf+xml, multipart/related, application/rlmi+xml"
                },
            );
        }
        let sub = Subscriber::new(now, req.clone(), self.config).ok()?;
        let key = (aor(resource)?, package.to_ascii_lowercase());
        self.by_call.insert(Bytes::from(call), key.clone());
        self.entries.insert(
            key,
            Entry {
                sub,
                held: Held::default(),
                partial: PartialState::new(),
                list: ls,
            },
        );
        Some(req)
    }

    /// What the subscription to `package` of `resource` holds.
    pub fn held(&self, resource: &str, package: &str) -> Option<&Held> {
        let key = (aor(resource)?, package.to_ascii_lowercase());
        self.entries.get(&key).map(|e| &e.held)
    }

    /// The current presence document of `resource`.
    pub fn presence(&self, resource: &str) -> Option<&Presence> {
        self.held(resource, "presence")?.presence.as_ref()
    }

    /// The subscription state (as the NOTIFYs announced it).
    pub fn state(&self, resource: &str, package: &str) -> Option<&SubscriberState> {
        let key = (aor(resource)?, package.to_ascii_lowercase());
        self.entries.get(&key).map(|e| e.sub.state())
    }

    /// A list subscription's view (RLMI).
    pub fn list(&self, resource: &str) -> Option<&rls::view::ListView> {
        let key = (aor(resource)?, "presence".to_owned());
        self.entries.get(&key)?.list.as_ref().map(|l| l.view())
    }

    /// The next request (a refresh) to send.
    pub fn poll_transmit(&mut self) -> Option<Request> {
        self.out.pop_front()
    }

    /// When [`PresenceWatcher::handle_timeout`] must run next: the earliest
    /// refresh or expiry of its subscriptions.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.entries
            .values()
            .filter_map(|e| e.sub.poll_timeout())
            .min()
    }

    /// Runs refresh timers.
    pub fn handle_timeout(&mut self, now: Instant) {
        for e in self.entries.values_mut() {
            if let Some(r) = e.sub.handle_timeout(now) {
                self.out.push_back(r);
            }
        }
    }

    fn entry_of(&mut self, h: &sip_core::Headers) -> Option<&mut Entry> {
        let call: CallId = h.typed().ok().flatten()?;
        let key = self.by_call.get(&call.0)?.clone();
        self.entries.get_mut(&key)
    }

    /// A response to one of our SUBSCRIBEs.
    pub fn handle_response(&mut self, now: Instant, response: &Response) {
        let mut again = None;
        if let Some(e) = self.entry_of(response.headers()) {
            again = e.sub.handle_response(now, response);
        }
        if let Some(r) = again {
            self.out.push_back(r);
        }
    }

    /// A NOTIFY: returns the response to send.
    pub fn handle_notify(&mut self, now: Instant, notify: &Request) -> Response {
        let Some(e) = self.entry_of(notify.headers()) else {
            return Response::from_request(notify, StatusCode::CALL_TRANSACTION_DOES_NOT_EXIST);
        };
        match e.sub.handle_notify(now, notify) {
            NotifyOutcome::Accepted {
                response,
                notification,
            } => {
                e.held.notifies += 1;
                if !notification.body.is_empty() {
                    e.held.notified += 1;
                    let ct = header_str(notify.headers(), &HeaderName::CONTENT_TYPE)
                        .unwrap_or_default()
                        .to_owned();
                    let mime = ct
                        .split(';')
                        .next()
                        .unwrap_or_default()
                        .trim()
                        .to_ascii_lowercase();
                    let body = &notification.body;
                    let refresh = match mime.as_str() {
                        "application/pidf+xml" => {
                            if let Ok(p) = Presence::parse(body) {
                                e.held.presence = Some(p);
                            }
                            false
                        }
                        "application/pidf-diff+xml" => match PartialDoc::parse(body) {
                            Ok(d) => match e.partial.handle(&d) {
                                Ok(p) => {
                                    // The <pidf-full> wrapper's namespace is
                                    // not part of the presence document.
                                    let mut p = p.clone();
                                    p.namespaces.retain(|n| n.uri != pidf::ns::PIDF_DIFF);
                                    e.held.presence = Some(p);
                                    false
                                }
                                Err(_) => true,
                            },
                            // A processing error: renew (RFC 5263 section 4.5).
                            Err(_) => true,
                        },
                        "application/watcherinfo+xml" => {
                            match (WatcherInfo::parse(body), &mut e.held.winfo) {
                                (Ok(w), Some(cur)) => cur.apply(&w).is_err(),
                                (Ok(w), None) => {
                                    e.held.winfo = Some(w);
                                    false
                                }
                                _ => false,
                            }
                        }
                        "multipart/related" => match &mut e.list {
                            Some(l) => {
                                let _ = l.handle_notify(&ct, body);
                                l.poll_refresh()
                            }
                            None => false,
                        },
                        _ => false,
                    };
                    if refresh {
                        if let Ok(r) = e.sub.refresh(now) {
                            self.out.push_back(r);
                        }
                    }
                }
                response
            }
            NotifyOutcome::Forked { response, .. } => response,
            NotifyOutcome::Refused { response, .. } => response,
        }
    }
}
