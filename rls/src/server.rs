//! A Sans-IO resource list server (RFC 4662 section 4, RFC 5367).
//!
//! [`ListServer`] deals in the essentials of requests and in events, never
//! bytes on sockets: the application's SIP layer accepts the SUBSCRIBE,
//! hands its list URI, subscriber and headers of interest to
//! [`ListServer::handle_subscribe`], and then drains
//! [`ListServer::poll_event`] for the back-end subscriptions to open or
//! close and the RLMI NOTIFY bodies to send. Back-end NOTIFYs come back
//! through [`ListServer::handle_backend_notify`] (one resource) or
//! [`ListServer::handle_backend_list_notify`] (a peer RLS's RLMI body).
//!
//! Notifications to one subscriber are throttled to one per
//! [`ServerConfig::min_interval`]: changes that arrive sooner are merged into
//! the next partial notification, sent from [`ListServer::handle_timeout`]
//! at the instant [`ListServer::poll_timeout`] names. The first NOTIFY of a
//! subscription, and the first after each refresh, carry full state and go
//! out at once (RFC 4662 section 5.2).
//!
//! Single-resource back ends are shared: every list subscription whose list
//! holds a resource uses one back-end subscription per resource and
//! package, a watcher joining later gets the last known state in its first
//! NOTIFY, and the last watcher to leave closes it.
//!
//! Members in another domain are subscribed one by one, unless the
//! configuration names an RLS for that domain ([`PeerRls`]): then the
//! server opens a single back-end list subscription to the peer, carrying
//! the members as an RFC 5367 ad-hoc list.

#![cfg_attr(
    not(test),
    deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)
)]

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use crate::common::DisplayName;
use crate::error::{ExpandError, MimeError};
use crate::expand::{expand, expand_anchor, ExpandLimits, Expansion, NoReferences, Resolver};
use crate::ids::{mix, IdSource};
use crate::notify::{NotifyLimits, RlmiNotification, StatePart};
use crate::resource_lists::{Entry, List, Member, ResourceLists};
use crate::rlmi::{Instance, InstanceState, Resource, Rlmi};
use crate::rls_services::{Service, ServiceSource};

/// An RLS that a peer domain runs: subscribe to its members through it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerRls {
    /// The peer's domain (host part of its members' URIs).
    pub domain: String,
    /// The URI to send ad-hoc list SUBSCRIBEs to.
    pub uri: String,
}

/// The list server's configuration.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Least time between two NOTIFYs to one subscriber.
    pub min_interval: Duration,
    /// Caps on expanding stored lists.
    pub expand: ExpandLimits,
    /// Most members of an ad-hoc list carried in a SUBSCRIBE (RFC 5367).
    pub adhoc_max_members: usize,
    /// Domains this server's own back ends serve (compared ignoring case).
    pub local_domains: Vec<String>,
    /// Peer domains that run an RLS.
    pub peer_rls: Vec<PeerRls>,
    /// Host part of the Content-IDs the server makes up.
    pub host: String,
    /// Seed for instance ids, Content-IDs and boundaries.
    pub seed: u64,
    /// Caps on parsing a peer's RLMI notification.
    pub notify_limits: NotifyLimits,
    /// Most live list subscriptions; more are refused with 503.
    pub max_subscriptions: usize,
}

impl Default for ServerConfig {
    /// One NOTIFY per second at most, default expansion caps, 100 ad-hoc
    /// members, 10,000 subscriptions, no peers.
    fn default() -> Self {
        ServerConfig {
            min_interval: Duration::from_secs(1),
            expand: ExpandLimits::default(),
            adhoc_max_members: 100,
            local_domains: Vec::new(),
            peer_rls: Vec::new(),
            host: "rls.invalid".into(),
            seed: 0,
            notify_limits: NotifyLimits::default(),
            max_subscriptions: 10_000,
        }
    }
}

/// Who may subscribe to a stored list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListKind {
    /// A user's own list: only its owner may subscribe (RFC 4662 section
    /// 4.4's usual policy).
    Personal {
        /// The owner's address of record.
        owner: String,
    },
    /// A list kept by an administrator: anyone may subscribe, nobody
    /// subscribing can change it.
    Public,
}

impl ListKind {
    /// Whether `user` may change the list's membership (through whatever
    /// interface the application offers, e.g. XCAP): the owner of a
    /// personal list; nobody subscribing to a public list, which only its
    /// administrators change.
    pub fn may_modify(&self, user: &str) -> bool {
        match self {
            ListKind::Personal { owner } => owner == user,
            ListKind::Public => false,
        }
    }
}

/// A list the server answers for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredList {
    /// Its owner policy.
    pub kind: ListKind,
    /// Its rls-services entry: URI, members, packages.
    pub service: Service,
    /// Names to report in RLMI `<name>` elements.
    pub names: Vec<DisplayName>,
}

/// Where stored lists come from; references inside them are resolved by
/// the [`Resolver`] half.
pub trait Directory: Resolver {
    /// The list served at `uri`.
    fn list(&self, uri: &str) -> Option<StoredList>;
}

/// A [`Directory`] held in memory: lists by URI, externals by anchor,
/// entries by reference.
#[derive(Debug, Clone, Default)]
pub struct MemoryDirectory {
    /// Stored lists, by service URI.
    pub lists: HashMap<String, StoredList>,
    /// Lists behind `<external>` anchors and `<resource-list>` URIs.
    pub externals: HashMap<String, List>,
    /// Entries behind `<entry-ref>` references.
    pub refs: HashMap<String, Entry>,
}

impl MemoryDirectory {
    /// Adds (or replaces) a stored list.
    pub fn insert(&mut self, list: StoredList) {
        self.lists.insert(list.service.uri.to_string(), list);
    }
}

impl Resolver for MemoryDirectory {
    fn entry_ref(&self, reference: &str) -> Option<Entry> {
        self.refs.get(reference).cloned()
    }
    fn external(&self, anchor: &str) -> Option<List> {
        self.externals.get(anchor).cloned()
    }
}

impl Directory for MemoryDirectory {
    fn list(&self, uri: &str) -> Option<StoredList> {
        self.lists.get(uri).cloned()
    }
}

/// What the server needs from an incoming list SUBSCRIBE.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListSubscribe {
    /// The Request-URI: a stored list, or the server's own URI for an
    /// ad-hoc list.
    pub list_uri: String,
    /// The authenticated subscriber's address of record.
    pub subscriber: String,
    /// The `Event` package.
    pub package: String,
    /// Whether `Supported` lists `eventlist`.
    pub supports_eventlist: bool,
    /// Whether `Require` lists `recipient-list-subscribe` (RFC 5367).
    pub requires_recipient_list: bool,
    /// The resource-lists body, when the SUBSCRIBE carries one.
    pub body: Option<ResourceLists>,
}

impl ListSubscribe {
    /// Reads the essentials from a SUBSCRIBE's headers (name, value pairs
    /// as received; names compared ignoring case, comma lists split) and
    /// body. `Supported`/`Require` may be written compactly (`k`); the body
    /// is kept only with a resource-lists `Content-Type`, and one that does
    /// not parse is refused with [`Reject::BadList`].
    pub fn from_request<'a>(
        list_uri: &str,
        subscriber: &str,
        headers: impl IntoIterator<Item = (&'a str, &'a str)>,
        body: &[u8],
    ) -> Result<Self, Reject> {
        let mut req = ListSubscribe {
            list_uri: list_uri.to_owned(),
            subscriber: subscriber.to_owned(),
            package: String::new(),
            supports_eventlist: false,
            requires_recipient_list: false,
            body: None,
        };
        let mut body_type = None;
        let tokens = |v: &'a str| v.split(',').map(str::trim);
        for (name, value) in headers {
            let n = name.trim();
            if n.eq_ignore_ascii_case("Supported") || n.eq_ignore_ascii_case("k") {
                req.supports_eventlist |=
                    tokens(value).any(|t| t.eq_ignore_ascii_case("eventlist"));
            } else if n.eq_ignore_ascii_case("Require") {
                req.requires_recipient_list |=
                    tokens(value).any(|t| t.eq_ignore_ascii_case("recipient-list-subscribe"));
            } else if n.eq_ignore_ascii_case("Event") || n.eq_ignore_ascii_case("o") {
                // The package, without parameters such as `id`.
                req.package = value.split(';').next().unwrap_or("").trim().to_owned();
            } else if n.eq_ignore_ascii_case("Content-Type") || n.eq_ignore_ascii_case("c") {
                body_type = crate::mime::ContentType::parse(value).ok();
            }
        }
        if !body.is_empty() {
            match body_type {
                Some(ct) if ct.mime == crate::resource_lists::CONTENT_TYPE => {
                    let doc =
                        ResourceLists::parse(body).map_err(|e| Reject::BadList(Box::new(e)))?;
                    req.body = Some(doc);
                }
                // A body of another type carries no list: RFC 5367 section
                // 5.1 answers 415 when Require asks for one.
                _ if req.requires_recipient_list => return Err(Reject::UnsupportedBody),
                _ => {}
            }
        }
        Ok(req)
    }
}

/// Why a list SUBSCRIBE is refused; [`Reject::status`] gives the response
/// code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Reject {
    /// No `Supported: eventlist` (421 with `Require: eventlist`, RFC 4662
    /// section 4.1).
    #[error("subscriber does not support eventlist")]
    ExtensionRequired,
    /// No list at that URI (404).
    #[error("no list at this URI")]
    NotFound,
    /// A personal list subscribed to by someone else (403).
    #[error("list belongs to another user")]
    Forbidden,
    /// The list does not serve this event package (489).
    #[error("event package not served by this list")]
    BadEvent,
    /// `Require: recipient-list-subscribe` without a resource-lists body
    /// (400).
    #[error("recipient-list-subscribe without a resource-lists body")]
    MissingList,
    /// A resource-lists body without `Require: recipient-list-subscribe`
    /// (415, RFC 5367 section 5.1).
    #[error("resource-lists body without recipient-list-subscribe")]
    UnexpectedBody,
    /// An ad-hoc list larger than [`ServerConfig::adhoc_max_members`] (403).
    #[error("ad-hoc list has more than {limit} members")]
    TooManyMembers {
        /// The cap.
        limit: usize,
    },
    /// The resource-lists body does not parse (400).
    #[error("resource-lists body: {0}")]
    BadList(Box<crate::error::DocError>),
    /// `Require: recipient-list-subscribe` with a body that is not
    /// `application/resource-lists+xml` (415).
    #[error("recipient list body is not application/resource-lists+xml")]
    UnsupportedBody,
    /// [`ServerConfig::max_subscriptions`] reached (503).
    #[error("too many list subscriptions")]
    Busy,
    /// The list cannot be expanded (loop, depth, size): 500 for a stored
    /// list, since the fault is the server's.
    #[error("list cannot be expanded: {0}")]
    Expansion(ExpandError),
}

impl Reject {
    /// The SIP response code to answer with.
    pub fn status(&self) -> u16 {
        match self {
            Reject::ExtensionRequired => 421,
            Reject::NotFound => 404,
            Reject::Forbidden | Reject::TooManyMembers { .. } => 403,
            Reject::BadEvent => 489,
            Reject::MissingList | Reject::BadList(_) => 400,
            Reject::UnexpectedBody | Reject::UnsupportedBody => 415,
            Reject::Expansion(_) => 500,
            Reject::Busy => 503,
        }
    }
}

/// Misuse of the server's API (unknown ids); never caused by the peer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UsageError {
    /// No such subscription (or it has ended).
    #[error("unknown subscription")]
    UnknownSubscription,
    /// No such back-end subscription (or it was closed).
    #[error("unknown back-end subscription")]
    UnknownBackend,
    /// The resource is not one the back end serves.
    #[error("resource {0:?} is not served by this back end")]
    UnknownResource(String),
    /// A peer's list notification could not be parsed.
    #[error("back-end list notification: {0}")]
    BadListNotify(MimeError),
}

/// A list subscription handled by the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SubscriptionId(pub u64);

/// A back-end subscription the server asked the application to open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BackendId(pub u64);

/// What a back-end subscription is to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BackendTarget {
    /// One resource: a plain SUBSCRIBE to `uri`.
    Resource {
        /// The resource URI.
        uri: String,
    },
    /// A peer RLS: a SUBSCRIBE to `rls_uri` with `Supported: eventlist`,
    /// `Require: recipient-list-subscribe` and `body` (RFC 5367).
    PeerList {
        /// The peer RLS's URI.
        rls_uri: String,
        /// The members subscribed through it.
        members: Vec<String>,
        /// The ad-hoc list to carry as `application/resource-lists+xml`.
        body: ResourceLists,
    },
}

/// What a back-end NOTIFY said about one resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BackendState {
    /// The back-end subscription is pending authorization.
    Pending,
    /// The back-end subscription is active.
    Active,
    /// The back-end subscription ended, with the `reason` of its
    /// `Subscription-State`.
    Terminated {
        /// E.g. `rejected`, `noresource`, `timeout`.
        reason: String,
    },
}

/// A state document from a back end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateBody {
    /// Its `Content-Type` value.
    pub content_type: String,
    /// Its bytes.
    pub body: Vec<u8>,
}

/// `Subscription-State` of a list NOTIFY.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListSubscriptionState {
    /// `active`.
    Active,
    /// `terminated;reason=...`: the last NOTIFY of the subscription.
    Terminated {
        /// The reason.
        reason: &'static str,
    },
}

/// A NOTIFY to send to a list subscriber.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListNotify {
    /// The subscription it belongs to.
    pub subscription: SubscriptionId,
    /// The subscription's event package (for the `Event` header).
    pub package: String,
    /// The RLMI version it carries.
    pub version: u32,
    /// Whether it carries full state.
    pub full_state: bool,
    /// How many resources it reports.
    pub resources: usize,
    /// The `Subscription-State`.
    pub state: ListSubscriptionState,
    /// The `Content-Type` value (`multipart/related; type=...`).
    pub content_type: String,
    /// The body.
    pub body: Vec<u8>,
}

impl ListNotify {
    /// The headers the NOTIFY needs besides the dialog's own: `Event`,
    /// `Subscription-State`, `Require: eventlist` (RFC 4662 section 4.1) and
    /// `Content-Type`.
    pub fn headers(&self) -> Vec<(&'static str, String)> {
        let state = match &self.state {
            ListSubscriptionState::Active => "active".to_owned(),
            ListSubscriptionState::Terminated { reason } => format!("terminated;reason={reason}"),
        };
        vec![
            ("Event", self.package.clone()),
            ("Subscription-State", state),
            ("Require", "eventlist".to_owned()),
            ("Content-Type", self.content_type.clone()),
        ]
    }
}

/// What the server asks of the application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerEvent {
    /// Open a back-end subscription.
    OpenBackend {
        /// The list subscription that first needs it (single-resource back
        /// ends may come to serve others too).
        subscription: SubscriptionId,
        /// Its id, to pass back with its NOTIFYs.
        backend: BackendId,
        /// What to subscribe to.
        target: BackendTarget,
        /// The event package.
        package: String,
    },
    /// Close a back-end subscription (SUBSCRIBE with `Expires: 0`).
    CloseBackend {
        /// The last list subscription it served.
        subscription: SubscriptionId,
        /// The back end.
        backend: BackendId,
    },
    /// Send a NOTIFY to a list subscriber.
    Notify(ListNotify),
}

#[derive(Debug, Clone)]
struct InstanceSlot {
    id: pidf::Text,
    state: InstanceState,
    reason: Option<pidf::Text>,
    body: Option<StateBody>,
}

#[derive(Debug, Clone)]
struct Slot {
    uri: String,
    name: Option<DisplayName>,
    backend: BackendId,
    instance: Option<InstanceSlot>,
    dirty: bool,
}

#[derive(Debug, Clone)]
struct Sub {
    list_uri: String,
    package: String,
    /// False for ad-hoc lists, which never change.
    stored: bool,
    names: Vec<DisplayName>,
    slots: Vec<Slot>,
    /// Last version sent.
    version: Option<u32>,
    need_full: bool,
    last_sent: Option<Instant>,
}

impl Sub {
    fn pending(&self) -> bool {
        self.need_full || self.slots.iter().any(|s| s.dirty)
    }
}

#[derive(Debug, Clone)]
struct Backend {
    /// The list subscriptions it serves: one for a peer list; for a single
    /// resource, every subscription whose list holds it (back ends are
    /// shared per resource and package).
    consumers: Vec<SubscriptionId>,
    target: BackendTarget,
    package: String,
    /// The last state reported, for subscriptions that join later.
    last: Option<(BackendState, Option<StateBody>)>,
}

/// The list server. See the module docs for the contract: after any
/// `handle_*`, drain [`ListServer::poll_event`], then read
/// [`ListServer::poll_timeout`].
#[derive(Debug)]
pub struct ListServer {
    config: ServerConfig,
    subs: HashMap<SubscriptionId, Sub>,
    backends: HashMap<BackendId, Backend>,
    /// Single-resource back ends by (package, resource URI).
    shared: HashMap<(String, String), BackendId>,
    events: VecDeque<ServerEvent>,
    next_sub: u64,
    next_backend: u64,
    ids: IdSource,
    boundaries: u64,
}

impl ListServer {
    /// A server with `config`.
    pub fn new(config: ServerConfig) -> Self {
        let ids = IdSource::new(config.seed);
        ListServer {
            boundaries: mix(config.seed ^ 0xB0B),
            config,
            subs: HashMap::new(),
            backends: HashMap::new(),
            shared: HashMap::new(),
            events: VecDeque::new(),
            next_sub: 1,
            next_backend: 1,
            ids,
        }
    }

    /// The configuration.
    pub fn config(&self) -> &ServerConfig {
        &self.config
    }

    /// How many list subscriptions are live.
    pub fn subscriptions(&self) -> usize {
        self.subs.len()
    }

    /// How many back-end subscriptions are open.
    pub fn backends(&self) -> usize {
        self.backends.len()
    }

    /// The member URIs of subscription `sub`, in list order.
    pub fn members(&self, sub: SubscriptionId) -> Option<Vec<&str>> {
        self.subs
            .get(&sub)
            .map(|s| s.slots.iter().map(|x| x.uri.as_str()).collect())
    }

    /// An initial list SUBSCRIBE. On success the caller answers 200 with
    /// `Require: eventlist`, and the events carry the back ends to open
    /// and the first (full state) NOTIFY.
    pub fn handle_subscribe(
        &mut self,
        now: Instant,
        req: &ListSubscribe,
        directory: &dyn Directory,
    ) -> Result<SubscriptionId, Reject> {
        if !req.supports_eventlist {
            return Err(Reject::ExtensionRequired);
        }
        if self.subs.len() >= self.config.max_subscriptions {
            return Err(Reject::Busy);
        }
        let (expansion, names, stored) = match (&req.body, req.requires_recipient_list) {
            (Some(body), true) => (self.expand_adhoc(body)?, Vec::new(), false),
            (None, true) => return Err(Reject::MissingList),
            (Some(_), false) => return Err(Reject::UnexpectedBody),
            (None, false) => {
                let stored = directory.list(&req.list_uri).ok_or(Reject::NotFound)?;
                if let ListKind::Personal { owner } = &stored.kind {
                    if *owner != req.subscriber {
                        return Err(Reject::Forbidden);
                    }
                }
                if !stored.service.serves(&req.package) {
                    return Err(Reject::BadEvent);
                }
                let e = expand_service(&stored.service, directory, &self.config.expand)
                    .map_err(Reject::Expansion)?;
                (e, stored.names, true)
            }
        };
        let id = SubscriptionId(self.next_sub);
        self.next_sub += 1;
        let mut sub = Sub {
            list_uri: req.list_uri.clone(),
            package: req.package.clone(),
            stored,
            names,
            slots: Vec::new(),
            version: None,
            need_full: true,
            last_sent: None,
        };
        self.add_members(id, &mut sub, &expansion);
        self.subs.insert(id, sub);
        self.flush(now, id, true);
        Ok(id)
    }

    /// A refreshing SUBSCRIBE within subscription `sub`: the next NOTIFY,
    /// sent now, carries full state (RFC 4662 section 5.2).
    pub fn handle_refresh(&mut self, now: Instant, sub: SubscriptionId) -> Result<(), UsageError> {
        let s = self
            .subs
            .get_mut(&sub)
            .ok_or(UsageError::UnknownSubscription)?;
        s.need_full = true;
        self.flush(now, sub, true);
        Ok(())
    }

    /// The subscription ends (an unsubscribe, or it expired): back ends are
    /// closed and a final full-state NOTIFY says `terminated`.
    pub fn handle_unsubscribe(
        &mut self,
        now: Instant,
        sub: SubscriptionId,
        reason: &'static str,
    ) -> Result<(), UsageError> {
        let s = self
            .subs
            .get_mut(&sub)
            .ok_or(UsageError::UnknownSubscription)?;
        s.need_full = true;
        self.send(now, sub, ListSubscriptionState::Terminated { reason });
        self.close_all(sub);
        self.subs.remove(&sub);
        Ok(())
    }

    /// A stored list changed (members added or removed, or the list
    /// deleted): every subscription to it is re-expanded. Removed members'
    /// back ends are closed and the next NOTIFY carries full state, since
    /// partial state cannot say that a resource left (RFC 4662 section
    /// 5.6.2); added members get back ends and are reported.
    pub fn handle_list_changed(&mut self, now: Instant, list_uri: &str, directory: &dyn Directory) {
        let mut ids: Vec<SubscriptionId> = self
            .subs
            .iter()
            .filter(|(_, s)| s.stored && s.list_uri == list_uri)
            .map(|(k, _)| *k)
            .collect();
        ids.sort();
        for id in ids {
            let stored = directory.list(list_uri);
            let expansion = stored
                .as_ref()
                .map(|l| expand_service(&l.service, directory, &self.config.expand));
            match expansion {
                Some(Ok(e)) => {
                    let Some(mut sub) = self.subs.remove(&id) else {
                        continue;
                    };
                    if let Some(l) = stored {
                        sub.names = l.names;
                    }
                    self.reconcile(id, &mut sub, &e);
                    self.subs.insert(id, sub);
                    self.flush(now, id, false);
                }
                // Gone, or no longer expandable: end the subscription.
                _ => {
                    let _ = self.handle_unsubscribe(now, id, "noresource");
                }
            }
        }
    }

    /// A back-end NOTIFY about `resource` on back end `backend`. A
    /// terminated single-resource back end is forgotten, except on
    /// `probation`, where the application re-subscribes after `retry-after`
    /// and keeps reporting through the same id.
    pub fn handle_backend_notify(
        &mut self,
        now: Instant,
        backend: BackendId,
        resource: &str,
        state: BackendState,
        body: Option<StateBody>,
    ) -> Result<(), UsageError> {
        let b = self
            .backends
            .get_mut(&backend)
            .ok_or(UsageError::UnknownBackend)?;
        let consumers = b.consumers.clone();
        // On probation the application tries again later (RFC 6665
        // section 4.1.3) and keeps reporting through the same id.
        let terminated =
            matches!(&state, BackendState::Terminated { reason } if reason != "probation");
        let single = matches!(b.target, BackendTarget::Resource { .. });
        if single {
            let kept = match (&state, &b.last) {
                (BackendState::Active, Some((_, old))) if body.is_none() => old.clone(),
                _ => body.clone(),
            };
            b.last = Some((state.clone(), kept));
        }
        let mut served = false;
        for sub in &consumers {
            match self.update_slot(*sub, backend, resource, state.clone(), body.clone()) {
                Ok(()) => served = true,
                Err(UsageError::UnknownResource(_)) => {}
                Err(e) => return Err(e),
            }
        }
        if terminated && single {
            self.forget_backend(backend);
        }
        for sub in consumers {
            self.flush(now, sub, false);
        }
        if served {
            Ok(())
        } else {
            Err(UsageError::UnknownResource(resource.to_owned()))
        }
    }

    /// A whole back-end subscription ended (its final NOTIFY said
    /// `terminated`, or it could not be established): every resource it
    /// served is reported terminated with `reason`, once.
    pub fn handle_backend_terminated(
        &mut self,
        now: Instant,
        backend: BackendId,
        reason: &str,
    ) -> Result<(), UsageError> {
        let b = self
            .forget_backend(backend)
            .ok_or(UsageError::UnknownBackend)?;
        for sub in b.consumers {
            let uris: Vec<String> = self
                .subs
                .get(&sub)
                .map(|s| {
                    s.slots
                        .iter()
                        .filter(|x| x.backend == backend)
                        .map(|x| x.uri.clone())
                        .collect()
                })
                .unwrap_or_default();
            for uri in uris {
                let state = BackendState::Terminated {
                    reason: reason.to_owned(),
                };
                self.update_slot(sub, backend, &uri, state, None)?;
            }
            self.flush(now, sub, false);
        }
        Ok(())
    }

    /// A back-end NOTIFY from a peer RLS (a [`BackendTarget::PeerList`]):
    /// its RLMI body is split into per-resource updates. Resources the back
    /// end does not serve are ignored.
    pub fn handle_backend_list_notify(
        &mut self,
        now: Instant,
        backend: BackendId,
        content_type: &str,
        body: &[u8],
    ) -> Result<(), UsageError> {
        let consumers = self
            .backends
            .get(&backend)
            .ok_or(UsageError::UnknownBackend)?
            .consumers
            .clone();
        let n = RlmiNotification::parse(content_type, body, &self.config.notify_limits)
            .map_err(UsageError::BadListNotify)?;
        let index = n.parts_by_cid();
        for r in &n.rlmi.resources {
            // One instance per resource is kept: the first that is not
            // terminated, else the first.
            let inst = r
                .instances
                .iter()
                .find(|i| i.state != InstanceState::Terminated)
                .or_else(|| r.instances.first());
            let Some(inst) = inst else { continue };
            let state = match inst.state {
                InstanceState::Active => BackendState::Active,
                InstanceState::Pending => BackendState::Pending,
                InstanceState::Terminated => BackendState::Terminated {
                    reason: inst.reason.as_deref().unwrap_or("noresource").to_owned(),
                },
            };
            let body = inst
                .cid
                .as_deref()
                .and_then(|c| index.get(c))
                .map(|p| StateBody {
                    content_type: p.content_type.clone(),
                    body: p.body.clone(),
                });
            for sub in &consumers {
                match self.update_slot(*sub, backend, &r.uri, state.clone(), body.clone()) {
                    Ok(()) | Err(UsageError::UnknownResource(_)) => {}
                    Err(e) => return Err(e),
                }
            }
        }
        for sub in consumers {
            self.flush(now, sub, false);
        }
        Ok(())
    }

    /// Time passed: sends the NOTIFYs whose throttle interval is over.
    pub fn handle_timeout(&mut self, now: Instant) {
        let mut due: Vec<SubscriptionId> = self
            .subs
            .iter()
            .filter(|(_, s)| s.pending())
            .map(|(k, _)| *k)
            .collect();
        due.sort();
        for id in due {
            self.flush(now, id, false);
        }
    }

    /// The next instant [`ListServer::handle_timeout`] has work.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.subs
            .values()
            .filter(|s| s.pending())
            .filter_map(|s| s.last_sent.map(|t| t + self.config.min_interval))
            .min()
    }

    /// The next thing to do.
    pub fn poll_event(&mut self) -> Option<ServerEvent> {
        self.events.pop_front()
    }

    fn expand_adhoc(&self, body: &ResourceLists) -> Result<Expansion, Reject> {
        // RFC 5367 section 4: flat lists; references are not followed.
        let mut all = List::default();
        for l in &body.lists {
            all.members.push(Member::List(l.clone()));
        }
        let limits = ExpandLimits {
            max_members: self.config.adhoc_max_members,
            max_depth: self.config.expand.max_depth,
        };
        expand(&all, &NoReferences, &limits).map_err(|e| match e {
            ExpandError::TooManyMembers { limit } => Reject::TooManyMembers { limit },
            other => Reject::Expansion(other),
        })
    }

    fn peer_for(&self, uri: &str) -> Option<&PeerRls> {
        let d = domain_of(uri)?;
        if self
            .config
            .local_domains
            .iter()
            .any(|l| l.eq_ignore_ascii_case(d))
        {
            return None;
        }
        self.config
            .peer_rls
            .iter()
            .find(|p| p.domain.eq_ignore_ascii_case(d))
    }

    fn new_backend(
        &mut self,
        sub: SubscriptionId,
        target: BackendTarget,
        package: &str,
    ) -> BackendId {
        let id = BackendId(self.next_backend);
        self.next_backend += 1;
        if let BackendTarget::Resource { uri } = &target {
            self.shared.insert((package.to_owned(), uri.clone()), id);
        }
        self.backends.insert(
            id,
            Backend {
                consumers: vec![sub],
                target: target.clone(),
                package: package.to_owned(),
                last: None,
            },
        );
        self.events.push_back(ServerEvent::OpenBackend {
            subscription: sub,
            backend: id,
            target,
            package: package.to_owned(),
        });
        id
    }

    /// Adds slots (and back ends) for members not yet in `sub`.
    fn add_members(&mut self, id: SubscriptionId, sub: &mut Sub, e: &Expansion) {
        let mut peer_groups: Vec<(PeerRls, Vec<usize>)> = Vec::new();
        let first_new = sub.slots.len();
        for m in &e.members {
            if sub.slots.iter().any(|s| s.uri == m.uri) {
                continue;
            }
            let idx = sub.slots.len();
            sub.slots.push(Slot {
                uri: m.uri.clone(),
                name: m.display_name.clone(),
                backend: BackendId(0),
                instance: None,
                // New members of a running subscription are reported.
                dirty: sub.version.is_some(),
            });
            if let Some(p) = self.peer_for(&m.uri).cloned() {
                match peer_groups.iter_mut().find(|(g, _)| g.domain == p.domain) {
                    Some((_, v)) => v.push(idx),
                    None => peer_groups.push((p, vec![idx])),
                }
            }
        }
        for idx in first_new..sub.slots.len() {
            let in_group = peer_groups.iter().any(|(_, v)| v.contains(&idx));
            if in_group {
                continue;
            }
            let Some(uri) = sub.slots.get(idx).map(|s| s.uri.clone()) else {
                continue;
            };
            let key = (sub.package.clone(), uri.clone());
            let existing = self.shared.get(&key).copied();
            let b = match existing.and_then(|b| self.backends.get_mut(&b).map(|x| (b, x))) {
                Some((b, backend)) => {
                    if !backend.consumers.contains(&id) {
                        backend.consumers.push(id);
                    }
                    // Known state is reported from the first NOTIFY on
                    // (RFC 4662 section 4.5).
                    if let (Some((state, body)), Some(slot)) =
                        (backend.last.clone(), sub.slots.get_mut(idx))
                    {
                        set_instance(&mut self.ids, slot, state, body);
                    }
                    b
                }
                None => self.new_backend(id, BackendTarget::Resource { uri }, &sub.package.clone()),
            };
            if let Some(s) = sub.slots.get_mut(idx) {
                s.backend = b;
            }
        }
        for (peer, idxs) in peer_groups {
            let members: Vec<String> = idxs
                .iter()
                .filter_map(|i| sub.slots.get(*i).map(|s| s.uri.clone()))
                .collect();
            let body = ResourceLists::new(vec![List::of_uris(&members)]);
            let target = BackendTarget::PeerList {
                rls_uri: peer.uri.clone(),
                members,
                body,
            };
            let b = self.new_backend(id, target, &sub.package.clone());
            for i in idxs {
                if let Some(s) = sub.slots.get_mut(i) {
                    s.backend = b;
                }
            }
        }
    }

    /// Brings `sub` to the membership of `e`.
    fn reconcile(&mut self, id: SubscriptionId, sub: &mut Sub, e: &Expansion) {
        let keep: std::collections::HashSet<&str> = e.uris().collect();
        let removed: Vec<Slot> = sub
            .slots
            .iter()
            .filter(|s| !keep.contains(s.uri.as_str()))
            .cloned()
            .collect();
        if removed.is_empty() && e.members.len() == sub.slots.len() {
            return;
        }
        let mut closed = Vec::new();
        for r in &removed {
            if closed.contains(&r.backend) {
                continue;
            }
            closed.push(r.backend);
            match self.backends.get(&r.backend).map(|b| b.target.clone()) {
                Some(BackendTarget::PeerList { .. }) => {
                    // Re-home the peer group's surviving members: drop their
                    // slots' link and let add_members regroup them.
                    for s in sub.slots.iter_mut().filter(|s| s.backend == r.backend) {
                        s.backend = BackendId(0);
                    }
                    self.close(id, r.backend);
                }
                Some(BackendTarget::Resource { .. }) => self.close(id, r.backend),
                None => {}
            }
        }
        if !removed.is_empty() {
            sub.slots.retain(|s| keep.contains(s.uri.as_str()));
            sub.need_full = true;
        }
        // Survivors of a closed peer group go through add_members again.
        let orphans: Vec<Slot> = sub
            .slots
            .iter()
            .filter(|s| s.backend == BackendId(0))
            .cloned()
            .collect();
        sub.slots.retain(|s| s.backend != BackendId(0));
        let mut again = Expansion::default();
        for m in &e.members {
            if !sub.slots.iter().any(|s| s.uri == m.uri) {
                again.members.push(m.clone());
            }
        }
        self.add_members(id, sub, &again);
        // Orphans keep their last known state until the new back end says
        // otherwise.
        for o in orphans {
            if let Some(s) = sub.slots.iter_mut().find(|s| s.uri == o.uri) {
                s.instance = o.instance;
                s.dirty = o.dirty;
            }
        }
        // Keep the list's order.
        let order: HashMap<&str, usize> = e
            .members
            .iter()
            .enumerate()
            .map(|(i, m)| (m.uri.as_str(), i))
            .collect();
        sub.slots
            .sort_by_key(|s| order.get(s.uri.as_str()).copied().unwrap_or(usize::MAX));
    }

    /// `sub` no longer needs `backend`; the last one out closes it.
    fn close(&mut self, sub: SubscriptionId, backend: BackendId) {
        let Some(b) = self.backends.get_mut(&backend) else {
            return;
        };
        b.consumers.retain(|c| *c != sub);
        if b.consumers.is_empty() {
            self.forget_backend(backend);
            self.events.push_back(ServerEvent::CloseBackend {
                subscription: sub,
                backend,
            });
        }
    }

    /// Drops a back end from the tables (no event).
    fn forget_backend(&mut self, backend: BackendId) -> Option<Backend> {
        let b = self.backends.remove(&backend)?;
        if let BackendTarget::Resource { uri } = &b.target {
            let key = (b.package.clone(), uri.clone());
            if self.shared.get(&key) == Some(&backend) {
                self.shared.remove(&key);
            }
        }
        Some(b)
    }

    fn close_all(&mut self, sub: SubscriptionId) {
        let mut ids: Vec<BackendId> = self
            .backends
            .iter()
            .filter(|(_, b)| b.consumers.contains(&sub))
            .map(|(k, _)| *k)
            .collect();
        ids.sort();
        for b in ids {
            self.close(sub, b);
        }
    }

    fn update_slot(
        &mut self,
        sub_id: SubscriptionId,
        backend: BackendId,
        resource: &str,
        state: BackendState,
        body: Option<StateBody>,
    ) -> Result<(), UsageError> {
        let sub = self
            .subs
            .get_mut(&sub_id)
            .ok_or(UsageError::UnknownSubscription)?;
        let slot = sub
            .slots
            .iter_mut()
            .find(|s| s.backend == backend && s.uri == resource)
            .ok_or_else(|| UsageError::UnknownResource(resource.to_owned()))?;
        set_instance(&mut self.ids, slot, state, body);
        Ok(())
    }

    /// Sends a NOTIFY for `id` if something is pending and the throttle
    /// allows it (or `force`).
    fn flush(&mut self, now: Instant, id: SubscriptionId, force: bool) {
        let Some(sub) = self.subs.get(&id) else {
            return;
        };
        if !sub.pending() {
            return;
        }
        if !force {
            if let Some(last) = sub.last_sent {
                if now < last + self.config.min_interval {
                    return;
                }
            }
        }
        self.send(now, id, ListSubscriptionState::Active);
    }

    fn send(&mut self, now: Instant, id: SubscriptionId, state: ListSubscriptionState) {
        let host = self.config.host.clone();
        let Some(sub) = self.subs.get_mut(&id) else {
            return;
        };
        let full = sub.need_full;
        let version = sub.version.map_or(0, |v| v.wrapping_add(1));
        let mut doc = Rlmi::new(sub.list_uri.clone(), version, full);
        doc.names = sub.names.clone();
        let mut parts = Vec::new();
        for slot in sub.slots.iter_mut().filter(|s| full || s.dirty) {
            let mut r = Resource::new(slot.uri.clone());
            if let Some(n) = &slot.name {
                r.names.push(n.clone());
            }
            // An active back end whose state has not arrived yet is reported
            // like one not known at all: no instance (RFC 4662 section 4.5),
            // since an active instance must name its state part (section 5.5).
            let known = slot
                .instance
                .as_ref()
                .filter(|i| !(i.state == InstanceState::Active && i.body.is_none()));
            if let Some(inst) = known {
                let mut i = Instance::new(inst.id.clone(), inst.state);
                i.reason = inst.reason.clone();
                if let (InstanceState::Active, Some(b)) = (inst.state, &inst.body) {
                    let cid = format!("{}@{}", self.ids.token(), host);
                    parts.push(StatePart {
                        cid: cid.clone(),
                        content_type: b.content_type.clone(),
                        body: b.body.clone(),
                    });
                    i.cid = Some(cid.into());
                }
                r.instances.push(i);
            }
            doc.resources.push(r);
            slot.dirty = false;
            // A terminated instance is reported once (RFC 4662 section 4.5),
            // unless the back end will be tried again ("probation"): then it
            // stays until state comes back.
            if slot.instance.as_ref().is_some_and(|i| {
                i.state == InstanceState::Terminated && i.reason.as_deref() != Some("probation")
            }) {
                slot.instance = None;
            }
        }
        let resources = doc.resources.len();
        let root_cid = format!("{}@{}", self.ids.token(), host);
        let mut n = RlmiNotification::new(doc, root_cid);
        n.parts = parts;
        self.boundaries = self.boundaries.wrapping_add(1);
        let enc = n.encode(self.boundaries);
        sub.version = Some(version);
        sub.need_full = false;
        sub.last_sent = Some(now);
        let package = sub.package.clone();
        self.events.push_back(ServerEvent::Notify(ListNotify {
            subscription: id,
            package,
            version,
            full_state: full,
            resources,
            state,
            content_type: enc.content_type,
            body: enc.body,
        }));
    }
}

/// Records a back end's report in a member's slot and marks it for the next
/// NOTIFY.
fn set_instance(ids: &mut IdSource, slot: &mut Slot, state: BackendState, body: Option<StateBody>) {
    let (state, reason) = match state {
        BackendState::Pending => (InstanceState::Pending, None),
        BackendState::Active => (InstanceState::Active, None),
        BackendState::Terminated { reason } => (InstanceState::Terminated, Some(reason.into())),
    };
    let id = match &slot.instance {
        Some(i) => i.id.clone(),
        None => ids.token().into(),
    };
    let body = match state {
        // A NOTIFY without a body keeps the last known state.
        InstanceState::Active => {
            body.or_else(|| slot.instance.as_ref().and_then(|i| i.body.clone()))
        }
        _ => None,
    };
    slot.instance = Some(InstanceSlot {
        id,
        state,
        reason,
        body,
    });
    slot.dirty = true;
}

fn expand_service(
    service: &Service,
    resolver: &dyn Resolver,
    limits: &ExpandLimits,
) -> Result<Expansion, ExpandError> {
    match &service.source {
        ServiceSource::List(l) => expand(l, resolver, limits),
        ServiceSource::ResourceList(anchor) => expand_anchor(anchor, resolver, limits),
    }
}

/// The host part of a `sip:`, `sips:` or `pres:` URI (user and port
/// dropped), or of a bare `user@host`.
pub fn domain_of(uri: &str) -> Option<&str> {
    let u = uri.trim().trim_start_matches('<');
    let rest = match u.split_once(':') {
        Some((scheme, rest)) if !scheme.contains('@') => rest,
        _ => u,
    };
    let hostport = rest.rsplit_once('@').map_or(rest, |(_, h)| h);
    let end = hostport
        .find([';', '?', '>', ':'])
        .unwrap_or(hostport.len());
    let host = hostport.get(..end)?;
    (!host.is_empty()).then_some(host)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains() {
        assert_eq!(domain_of("sip:bob@example.com"), Some("example.com"));
        assert_eq!(
            domain_of("sips:bob@Example.COM:5061;transport=tls"),
            Some("Example.COM")
        );
        assert_eq!(domain_of("<sip:a@b.org>"), Some("b.org"));
        assert_eq!(domain_of("pres:x@y"), Some("y"));
        assert_eq!(domain_of("sip:example.net"), Some("example.net"));
        assert_eq!(domain_of("sip:"), None);
    }

    #[test]
    fn subscribe_essentials_from_headers() {
        let body = br#"<resource-lists xmlns="urn:ietf:params:xml:ns:resource-lists"><list><entry uri="sip:bill@example.com"/></list></resource-lists>"#;
        let r = ListSubscribe::from_request(
            "sip:rls@example.com",
            "sip:adam@example.com",
            [
                ("Event", "presence;id=1"),
                ("require", "recipient-list-subscribe"),
                ("k", "100rel, EventList"),
                ("Content-Type", "application/resource-lists+xml"),
            ],
            body,
        )
        .unwrap();
        assert_eq!(r.package, "presence");
        assert!(r.supports_eventlist && r.requires_recipient_list);
        assert_eq!(r.body.unwrap().lists[0].entries().count(), 1);
        let plain = ListSubscribe::from_request("sip:l@x", "sip:a@x", [("Event", "presence")], b"")
            .unwrap();
        assert!(!plain.supports_eventlist && plain.body.is_none());
        let bad = ListSubscribe::from_request(
            "sip:l@x",
            "sip:a@x",
            [
                ("Require", "recipient-list-subscribe"),
                ("c", "application/resource-lists+xml"),
            ],
            b"<resource-lists",
        )
        .unwrap_err();
        assert_eq!(bad.status(), 400);
        let other = ListSubscribe::from_request(
            "sip:l@x",
            "sip:a@x",
            [
                ("Require", "recipient-list-subscribe"),
                ("Content-Type", "text/plain"),
            ],
            b"sip:bill@example.com",
        )
        .unwrap_err();
        assert_eq!(other.status(), 415);
    }

    #[test]
    fn list_kinds() {
        let p = ListKind::Personal {
            owner: "sip:a@x".into(),
        };
        assert!(p.may_modify("sip:a@x"));
        assert!(!p.may_modify("sip:b@x"));
        assert!(!ListKind::Public.may_modify("sip:a@x"));
    }

    #[test]
    fn reject_codes() {
        assert_eq!(Reject::ExtensionRequired.status(), 421);
        assert_eq!(Reject::UnexpectedBody.status(), 415);
        assert_eq!(Reject::TooManyMembers { limit: 1 }.status(), 403);
    }
}
