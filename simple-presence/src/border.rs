//! The peering border: the element at the edge of a peer network
//! (RFC 5344 sections 2 and 3: authenticated peers, presence aggregation
//! across the link; RFC 5922 for what a connection has authenticated).
//!
//! - A peer table of trusted domains, each with the [`PeerMode`] the link
//!   uses. A request from a peer is refused with 403 (and the reason given
//!   to the log hook) when its From or P-Asserted-Identity domain is not in
//!   the table, or is not covered by the connection's [`PeerIdentity`]; a
//!   back-end subscription must list only watchers of domains the
//!   connection authenticated, and may ask for delegated policy only from a
//!   peer the table allows it for.
//! - Outgoing presence subscriptions for remote users are aggregated: every
//!   local watcher of one remote presentity gets its own dialog with the
//!   border (a `sip-core` [`Notifier`]), and one back-end subscription per
//!   presentity crosses the link, carrying the watcher list (see
//!   [`crate::views`] for the wire format). NOTIFYs from the link are fanned
//!   out locally: per-view mode hands each watcher the view listed for it;
//!   delegated mode computes each watcher's view from the full document
//!   with the delegated rules. A watcher whose answer is block or confirm
//!   stays (or is frozen) pending-looking: nothing tells it apart. When a
//!   back-end subscription is refused or ends, its local subscriptions end
//!   with `noresource`. A local watcher that accepts
//!   `application/pidf-diff+xml` gets partial notifications of its view
//!   (RFC 5263, as the presence agent sends them).
//! - List subscriptions (RFC 4662: a presence SUBSCRIBE with `Supported:
//!   eventlist`) to a list in a peer domain are aggregated too: every local
//!   watcher of one remote list gets its own dialog with the border, and
//!   one back-end list subscription (the border's own, so meant for lists
//!   the peer serves to any watcher of ours: public groups) crosses the
//!   link. The border keeps the list's state (`rls`'s `ListSubscriber`);
//!   a local subscription gets full state first (RLMI version 0, or
//!   pending until the back end has state), then each RLMI notification
//!   of the back end renumbered with its own version (RFC 4662 section
//!   5.2), every NOTIFY with `Require: eventlist`, full state again on a
//!   refresh. A gap on the back end is not passed on: it is refreshed and
//!   the full state that comes back goes out instead.
//! - Any other request is relayed (statefully, so responses find their way
//!   back): local to peer when its Request-URI is in a peer's domain, peer
//!   to local when in ours. An initial INVITE, SUBSCRIBE or REFER is
//!   record-routed ([`BorderConfig::record_route`]), so the later requests
//!   of its dialog, whose Request-URI is the far end's Contact (often an
//!   address), come back through the border and go on by its Route entry:
//!   to the peer it names, or inside when that peer sends them within a
//!   dialog the border record-routed with it (a Route entry alone does not
//!   let a peer reach inside addresses). A response is taken only from
//!   where its request went (the peer's connection, or inside). That
//!   covers INVITE dialogs: an INVITE's provisional responses pass
//!   and keep the relay for its final one (RFC 3261 section 16.7); the ACK
//!   of a 2xx (a request of its own, section 13.2.2.4) or of a non-2xx
//!   (section 17.1.1.3) is relayed like any request but, never being
//!   answered, leaves nothing behind; in-dialog requests such as BYE are
//!   relayed and answered like any other. A 2xx to an INVITE keeps its
//!   relay for 64*T1 (32 s) more, so the callee's retransmissions of it
//!   (section 13.3.1.4, RFC 6026) still reach the caller. Relay state is
//!   bounded: a request left unanswered is forgotten after 64*T1, an
//!   INVITE after [`RELAY_INVITE_LIFETIME`], and at most [`MAX_RELAYED`]
//!   are remembered at once (the oldest go first), so a peer that never
//!   answers cannot grow the border. A relayed request loses one from its
//!   Max-Forwards (70 is added where there is none); one that has none
//!   left is answered 483 instead (RFC 3261 sections 16.3 and 16.6), so a
//!   request that routing sends round in a loop stops. The Via is the
//!   transaction layer's: an application relaying through a
//!   `sip_core::endpoint::Endpoint` has it add one to each relayed request,
//!   and takes it off the response with `Response::pop_via` before
//!   handing it to the border (RFC 3261 section 16.7 item 3).
//! - TLS (RFC 5344 section 3, RFC 3261 sections 26.2 and 26.3.2.2): a peer
//!   may be marked [`PeerEntry::require_tls`]. Everything the border hands
//!   the application for such a peer says so ([`Dest::Peer`] `tls`), and
//!   its requests carry a `sips:` Request-URI (back-end subscriptions a
//!   `sips:` Contact too, RFC 3261 section 8.1.1.8, so the peer's NOTIFYs
//!   need TLS on every hop back to us, its own inside hops included); a
//!   `sips:` request from inside goes over TLS to any peer. The application says what each
//!   peer message came over ([`Border::handle_peer_over`],
//!   [`LinkTransport`]): a request from a TLS-requiring peer, or with a
//!   `sips:` Request-URI, that did not come over TLS is refused with 403
//!   ([`Refusal::TlsRequired`]), and a response to something sent over TLS
//!   is ignored unless it came over TLS. With
//!   [`BorderConfig::check_via_sent_by`], a request whose top Via sent-by
//!   host the connection did not authenticate is refused too.
//!
//! Sans-IO: feed [`Border::handle_inside`] / [`Border::handle_peer`], then
//! drain [`Border::poll_transmit`].
#![cfg_attr(
    not(test),
    deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)
)]

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::fmt;
use std::time::{Duration, Instant};

use pidf::xml::{Document, Limits};
use policy::{Context, RuleSet, SubHandling, Watcher as Identity};
use rls::notify::{RlmiNotification, StatePart};
use rls::rlmi::{Instance, Resource, Rlmi};
use rls::subscriber::ListSubscriber;
use rls::view::{Applied, ListView};
use sip_core::dialog::DialogId;
use sip_core::header::{CSeq, CallId};
use sip_core::header::{ContentType, Route, To, TypedHeader, Via};
use sip_core::subscription::{
    Notifier, NotifierState, NotifyOutcome, Reason, Subscriber, SubscriptionConfig,
};
use sip_core::{
    Bytes, HeaderName, Message, Method, Request, RequestBuilder, Response, SipUri, StatusCode, Uri,
};

use crate::identity::PeerIdentity;
use crate::partial::PartialNotify;
use crate::sip::{
    aor, asserted, content_type, domain_of, event_package, from_uri, header_str, pai_uri, target,
    NewRequest,
};
use crate::views::{self, Delegated, PeerMode, ViewBundle};

/// One trusted peer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerEntry {
    /// The peer's SIP domain; its connections must have authenticated it.
    pub domain: String,
    /// How presence crosses the link with it (delegated only for peers
    /// trusted with the presentities' rules).
    pub mode: PeerMode,
    /// The link with this peer must be TLS, both ways (RFC 5344 section 3,
    /// RFC 3261 section 26.3.2.2): what the border sends it is marked
    /// [`Dest::Peer`] `tls`, with a `sips:` Request-URI; what it receives
    /// from it over anything else is refused ([`Refusal::TlsRequired`]).
    pub require_tls: bool,
}

impl PeerEntry {
    /// A peer reached over any transport.
    pub fn new(domain: &str, mode: PeerMode) -> Self {
        PeerEntry {
            domain: domain.to_ascii_lowercase(),
            mode,
            require_tls: false,
        }
    }

    /// The same peer, reached only over TLS.
    pub fn tls(mut self) -> Self {
        self.require_tls = true;
        self
    }
}

/// The transport a peer's message arrived over, as the application knows
/// it (it ran the TLS handshake, the border did not).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LinkTransport {
    /// UDP, TCP or anything else without TLS.
    Plain,
    /// TLS (over TCP); the [`PeerIdentity`] given with it is what the
    /// peer's certificate was verified for (RFC 5922 section 7).
    Tls,
}

impl LinkTransport {
    fn is_tls(self) -> bool {
        self == LinkTransport::Tls
    }
}

/// Why a peer's request was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Refusal {
    /// The From or P-Asserted-Identity domain is not a trusted peer.
    UntrustedDomain(String),
    /// The domain is trusted but the connection did not authenticate it.
    NotAuthenticated {
        /// The domain the request claims.
        claimed: String,
        /// What the connection authenticated.
        presented: Vec<String>,
    },
    /// No usable From.
    NoFrom,
    /// A back-end subscription listed a watcher of another domain.
    ForeignWatcher(String),
    /// A back-end subscription asked for a mode the table does not allow.
    ModeNotAllowed(PeerMode),
    /// The request came over a transport without TLS, but the peer it
    /// claims to come from requires TLS, or its Request-URI is `sips:`
    /// (RFC 3261 section 26.2.2: every hop to the target domain secured).
    TlsRequired(String),
    /// [`BorderConfig::check_via_sent_by`] is set and the top Via's
    /// sent-by host is not a domain the connection authenticated (an IP
    /// address never is; RFC 5922 identities are domains).
    ViaNotAuthenticated {
        /// The sent-by host, or `None` without a readable Via.
        sent_by: Option<String>,
        /// What the connection authenticated.
        presented: Vec<String>,
    },
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::UntrustedDomain(d) => write!(f, "domain {d} is not a trusted peer"),
            Refusal::NotAuthenticated { claimed, presented } => write!(
                f,
                "domain {claimed} not authenticated by the connection (it presented {presented:?})"
            ),
            Refusal::NoFrom => f.write_str("no From URI"),
            Refusal::ForeignWatcher(w) => {
                write!(
                    f,
                    "watcher {w} is not in a domain the connection authenticated"
                )
            }
            Refusal::ModeNotAllowed(m) => {
                write!(f, "mode {} not allowed for this peer", m.as_str())
            }
            Refusal::TlsRequired(d) => {
                write!(f, "{d} must be reached over TLS, the request came without")
            }
            Refusal::ViaNotAuthenticated {
                sent_by: Some(h),
                presented,
            } => write!(
                f,
                "top Via sent-by {h} not authenticated by the connection (it presented {presented:?})"
            ),
            Refusal::ViaNotAuthenticated { sent_by: None, .. } => {
                f.write_str("no readable top Via to check the sent-by of")
            }
        }
    }
}

/// What the log hook sees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    /// The method refused.
    pub method: String,
    /// The domains the connection authenticated.
    pub connection: Vec<String>,
    /// Why.
    pub reason: Refusal,
}

/// Where a message goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dest {
    /// Into the local domain (routed there by Request-URI).
    Inside,
    /// Across the link to a peer domain. For a response (a relayed one, or
    /// a 403) it names the peer only as a hint: send it back on the
    /// connection the request came in on (for an anonymous connection the
    /// name is empty).
    Peer {
        /// The peer's domain.
        domain: String,
        /// The message must go over TLS to a peer that authenticated
        /// `domain` (RFC 5922), never over UDP or plain TCP: the peer
        /// requires it ([`PeerEntry::require_tls`]), or the request's
        /// Request-URI is `sips:`, or (for a response) the request came
        /// over TLS.
        tls: bool,
    },
}

impl Dest {
    fn peer(domain: impl Into<String>, tls: bool) -> Dest {
        Dest::Peer {
            domain: domain.into(),
            tls,
        }
    }
}

/// A message to send.
#[derive(Debug, Clone)]
pub struct Transmit {
    /// Where.
    pub dest: Dest,
    /// What.
    pub message: Message,
}

/// Counters of what crossed the link.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BorderStats {
    /// Back-end subscriptions open.
    pub backends: usize,
    /// Local watcher subscriptions held.
    pub local_subscriptions: usize,
    /// Back-end NOTIFYs received from peers.
    pub notifies_in: u64,
    /// PIDF documents received in them.
    pub documents_in: u64,
    /// Requests refused with 403.
    pub refused: u64,
    /// Back-end list subscriptions open (RFC 4662, one per remote list).
    pub list_backends: usize,
    /// Local watchers' list subscriptions held.
    pub list_subscriptions: usize,
    /// Requests not relayed because their Max-Forwards had run out (answered
    /// 483) or could not be read (answered 400).
    pub hops_refused: u64,
}

/// Settings of a [`Border`].
#[derive(Debug, Clone)]
pub struct BorderConfig {
    /// Our domain.
    pub domain: String,
    /// The border's own URI (From and Contact of back-end subscriptions).
    pub contact: String,
    /// The peer table.
    pub peers: Vec<PeerEntry>,
    /// Subscription durations.
    pub subscription: SubscriptionConfig,
    /// The context delegated rules are evaluated in.
    pub context: Context,
    /// Also refuse (403) a peer's request whose top Via sent-by host is not
    /// covered by the connection's identity (RFC 5922 section 7.2
    /// comparison): the peer's border must put its own domain there, as
    /// RFC 3261 section 26.3.2.2 lets a receiving proxy insist on. Off by
    /// default: many borders put an address in sent-by.
    pub check_via_sent_by: bool,
    /// The host the border record-routes with (RFC 3261 section 16.6 item
    /// 4), or `None` not to. An initial INVITE, SUBSCRIBE or REFER the
    /// border relays gets `Record-Route: <sip:HOST;lr;peer=DOMAIN>` on top
    /// (`sips:` over TLS), so the dialog's later requests from either side
    /// come back through the border, which takes that entry off their
    /// Route and sends them on by it: to the peer it names, or inside when
    /// that peer sent them. Both networks must reach the border at HOST
    /// (by default our domain). Without it, in-dialog requests are routed
    /// by Request-URI like initial ones, which fails for a remote target
    /// that is an address rather than a name in one of the two domains.
    pub record_route: Option<String>,
}

impl BorderConfig {
    /// A border for `domain` with the given peers.
    pub fn new(domain: &str, peers: Vec<PeerEntry>) -> Self {
        BorderConfig {
            domain: domain.to_ascii_lowercase(),
            contact: format!("sip:border@{}", domain.to_ascii_lowercase()),
            peers,
            subscription: SubscriptionConfig::default(),
            context: Context::default(),
            check_via_sent_by: false,
            record_route: Some(domain.to_ascii_lowercase()),
        }
    }
}

#[derive(Debug)]
struct Local {
    notifier: Notifier,
    watcher: String,
    presentity: String,
    last: Option<Bytes>,
    /// RFC 5263 partial notification, when the watcher asked for it.
    partial: Option<PartialNotify>,
}

/// What a back-end subscription to a peer holds, whether to a presentity
/// or to a list: the subscription and where it goes.
#[derive(Debug)]
struct Leg {
    sub: Subscriber,
    peer: String,
    /// What crosses for it goes over TLS (the peer requires it, or a
    /// local watcher asked with a `sips:` URI).
    tls: bool,
}

impl Leg {
    /// A request of this subscription, for its peer.
    fn send(&self, r: Request) -> Transmit {
        to_peer(&self.peer, self.tls, req(r))
    }

    /// A response from the peer over `over` (ignored when it did not come
    /// over TLS and must have); any request that follows goes to `out`.
    /// Returns whether the subscription has ended.
    fn handle_response(
        &mut self,
        now: Instant,
        x: &Response,
        over: LinkTransport,
        out: &mut VecDeque<Transmit>,
    ) -> bool {
        if self.tls && !over.is_tls() {
            return false;
        }
        if let Some(again) = self.sub.handle_response(now, x) {
            out.push_back(self.send(again));
        }
        self.sub.is_terminated()
    }

    /// A NOTIFY from the peer over `over`: its response goes to `out`.
    /// Returns the body and Content-Type of an accepted one.
    fn handle_notify(
        &mut self,
        now: Instant,
        r: &Request,
        over: LinkTransport,
        out: &mut VecDeque<Transmit>,
    ) -> Option<(Bytes, Option<ContentType>)> {
        let (x, got) = match self.sub.handle_notify(now, r) {
            NotifyOutcome::Accepted {
                response,
                notification,
            } => (
                response,
                Some((notification.body, notification.content_type)),
            ),
            NotifyOutcome::Forked { response, .. } | NotifyOutcome::Refused { response, .. } => {
                (response, None)
            }
        };
        out.push_back(Transmit {
            dest: Dest::peer(self.peer.clone(), over.is_tls()),
            message: resp(x),
        });
        got
    }
}

#[derive(Debug)]
struct Backend {
    leg: Leg,
    mode: PeerMode,
    locals: Vec<DialogId>,
    watchers: Vec<String>,
    dirty: bool,
    /// Delegated mode: the last document and rules.
    document: Option<Document>,
    rules: Option<RuleSet>,
    /// Per-view mode: the last answer per watcher (document, or none when
    /// pending).
    views: HashMap<String, Option<Bytes>>,
}

/// A local watcher's subscription to a remote list, held by the border.
#[derive(Debug)]
struct LocalList {
    notifier: Notifier,
    list: String,
    /// The RLMI version of the next NOTIFY with a body (RFC 4662 section
    /// 5.2: 0 first, one more each time), counted per local subscription.
    version: u32,
}

/// The one back-end subscription to a remote list.
#[derive(Debug)]
struct ListBackend {
    leg: Leg,
    /// The list's state as the RLMI notifications built it.
    state: ListSubscriber,
    locals: Vec<DialogId>,
}

/// A log hook.
pub type LogHook = Box<dyn FnMut(&Refused) + Send>;

/// How many relayed requests a [`Border`] remembers at once.
pub const MAX_RELAYED: usize = 65_536;

/// How long a relayed non-INVITE request, or a 2xx to an INVITE, keeps its
/// relay: 64*T1 with the RFC 3261 default T1 of 500 ms.
pub const RELAY_LIFETIME: Duration = Duration::from_secs(32);

/// How long a relayed INVITE waits for its final response: Timer C of
/// RFC 3261 section 16.6 (more than 3 minutes).
pub const RELAY_INVITE_LIFETIME: Duration = Duration::from_secs(181);

type RelayKey = (Bytes, u32, Method);

/// How long a dialog the border record-routed stays known with no request
/// of it passing: a peer's requests routed by our Record-Route entry are
/// relayed inside only for a dialog still known (see
/// [`BorderConfig::record_route`]).
pub const ROUTED_DIALOG_IDLE: Duration = Duration::from_secs(24 * 3600);

/// How many record-routed dialogs are known at once; beyond that the one
/// idle longest is forgotten.
pub const MAX_ROUTED_DIALOGS: usize = 65_536;

/// The dialogs the border record-routed, by Call-ID, with the peer each
/// is with; entries lapse after [`ROUTED_DIALOG_IDLE`] without use.
#[derive(Debug, Default)]
struct RoutedDialogs {
    /// Call-ID -> the peer, the expiry key, and whether a 2xx has passed
    /// for it (a dialog whose creating request failed is forgotten, so its
    /// Call-ID cannot carry a peer's requests inside afterwards).
    by_call: HashMap<Bytes, (String, (Instant, u64), bool)>,
    expiry: BTreeMap<(Instant, u64), Bytes>,
    seq: u64,
}

impl RoutedDialogs {
    fn expire(&mut self, now: Instant) {
        while let Some(e) = self.expiry.first_entry() {
            if e.key().0 > now {
                break;
            }
            let call = e.remove();
            self.by_call.remove(&call);
        }
    }

    fn forget(&mut self, call: &[u8]) {
        if let Some((_, at, _)) = self.by_call.remove(call) {
            self.expiry.remove(&at);
        }
    }

    /// A final response to a dialog-creating request of `call` passed: a
    /// 2xx confirms the dialog; a failure ends one not confirmed yet.
    fn answered(&mut self, call: &[u8], success: bool) {
        match self.by_call.get_mut(call) {
            Some(entry) if success => entry.2 = true,
            Some((_, _, false)) => self.forget(call),
            _ => {}
        }
    }

    /// Knows (or keeps knowing) dialog `call` as one with `peer`.
    fn touch(&mut self, now: Instant, call: Bytes, peer: &str) {
        self.expire(now);
        let confirmed = self.by_call.get(&call).is_some_and(|e| e.2);
        self.forget(&call);
        while self.by_call.len() >= MAX_ROUTED_DIALOGS {
            let Some((_, old)) = self.expiry.pop_first() else {
                break;
            };
            self.by_call.remove(&old);
        }
        self.seq += 1;
        let at = (now + ROUTED_DIALOG_IDLE, self.seq);
        self.expiry.insert(at, call.clone());
        self.by_call.insert(call, (peer.to_owned(), at, confirmed));
    }

    /// The peer of dialog `call`, if it is known.
    fn peer(&mut self, now: Instant, call: &[u8]) -> Option<&str> {
        self.expire(now);
        self.by_call.get(call).map(|(p, _, _)| p.as_str())
    }
}

/// Where the responses to a relayed request go.
#[derive(Debug)]
struct Relay {
    dest: Dest,
    /// The peer the request went to (`None`: it went inside). Only that
    /// peer's connection may answer it, and nothing inside may.
    sent_to: Option<String>,
    /// The request went to the peer over TLS: its responses are then taken
    /// only from TLS.
    tls: bool,
    /// When the relay is forgotten: its key in `Border::relay_expiry`.
    expires: (Instant, u64),
    /// A 2xx to this INVITE has passed (later ones are retransmissions).
    answered: bool,
}

/// The peering border. See the [module docs](self).
pub struct Border {
    config: BorderConfig,
    locals: HashMap<DialogId, Local>,
    backends: HashMap<String, Backend>,
    backend_by_call: HashMap<Bytes, String>,
    list_locals: HashMap<DialogId, LocalList>,
    list_backends: HashMap<String, ListBackend>,
    list_by_call: HashMap<Bytes, String>,
    /// Relayed requests awaiting their response.
    relayed: HashMap<RelayKey, Relay>,
    /// `relayed` ordered by expiry (the instant, then a sequence number).
    relay_expiry: BTreeMap<(Instant, u64), RelayKey>,
    relay_seq: u64,
    /// Dialogs we record-routed.
    routed: RoutedDialogs,
    out: VecDeque<Transmit>,
    stats: BorderStats,
    log: Option<LogHook>,
    counter: u64,
    now: Option<Instant>,
}

impl fmt::Debug for Border {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Border")
            .field("domain", &self.config.domain)
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

fn req(m: Request) -> Message {
    Message::Request(m)
}
fn resp(m: Response) -> Message {
    Message::Response(m)
}
/// A message for inside the local domain.
fn inside(message: Message) -> Transmit {
    Transmit {
        dest: Dest::Inside,
        message,
    }
}

fn key_of(h: &sip_core::Headers) -> Option<(Bytes, u32, Method)> {
    let c: CallId = h.typed().ok().flatten()?;
    let s: CSeq = h.typed().ok().flatten()?;
    Some((c.0, s.seq, s.method))
}

impl Border {
    /// A border.
    pub fn new(config: BorderConfig) -> Self {
        Border {
            config,
            locals: HashMap::new(),
            backends: HashMap::new(),
            backend_by_call: HashMap::new(),
            list_locals: HashMap::new(),
            list_backends: HashMap::new(),
            list_by_call: HashMap::new(),
            relayed: HashMap::new(),
            relay_expiry: BTreeMap::new(),
            relay_seq: 0,
            routed: RoutedDialogs::default(),
            out: VecDeque::new(),
            stats: BorderStats::default(),
            log: None,
            counter: 0,
            now: None,
        }
    }

    /// Sets the hook that sees every refusal and its reason.
    pub fn set_log(&mut self, hook: LogHook) {
        self.log = Some(hook);
    }

    /// Counters.
    pub fn stats(&self) -> BorderStats {
        BorderStats {
            backends: self.backends.len(),
            local_subscriptions: self.locals.len(),
            list_backends: self.list_backends.len(),
            list_subscriptions: self.list_locals.len(),
            ..self.stats
        }
    }

    fn peer(&self, domain: &str) -> Option<&PeerEntry> {
        self.config
            .peers
            .iter()
            .find(|p| p.domain.eq_ignore_ascii_case(domain))
    }

    /// The next message to send. Watcher-list changes are sent here, one
    /// refresh per back-end subscription however many watchers joined.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        if self.out.is_empty() {
            self.flush();
        }
        self.out.pop_front()
    }

    fn flush(&mut self) {
        let Some(now) = self.now else { return };
        for be in self.backends.values_mut() {
            if !be.dirty || be.leg.sub.dialog().is_none() {
                continue;
            }
            be.dirty = false;
            let r = if be.watchers.is_empty() {
                be.leg.sub.unsubscribe(now)
            } else {
                be.leg.sub.refresh(now)
            };
            if let Ok(mut r) = r {
                if let Some(ct) = content_type(views::URI_LIST) {
                    crate::sip::set_body(&mut r, &ct, views::write_uri_list(&be.watchers));
                }
                r.headers_mut().set(views::peering_name(), be.mode.as_str());
                self.out.push_back(be.leg.send(r));
            }
        }
    }

    /// When [`Border::handle_timeout`] must run next: the earliest back-end
    /// refresh or local subscription deadline (a scan of all of them).
    pub fn poll_timeout(&mut self) -> Option<Instant> {
        let locals = self
            .locals
            .values_mut()
            .filter_map(|l| l.notifier.poll_timeout());
        let backends = self
            .backends
            .values()
            .filter_map(|b| b.leg.sub.poll_timeout());
        let list_locals = self
            .list_locals
            .values_mut()
            .filter_map(|l| l.notifier.poll_timeout());
        let list_backends = self
            .list_backends
            .values()
            .filter_map(|b| b.leg.sub.poll_timeout());
        let relays = self.relay_expiry.keys().next().map(|(at, _)| *at);
        locals
            .chain(backends)
            .chain(list_locals)
            .chain(list_backends)
            .chain(relays)
            .min()
    }

    /// Runs timers (back-end and local subscription refreshes and expiry).
    pub fn handle_timeout(&mut self, now: Instant) {
        self.now = Some(now);
        self.expire_relays(now);
        for be in self.backends.values_mut() {
            if let Some(r) = be.leg.sub.handle_timeout(now) {
                self.out.push_back(be.leg.send(r));
            }
        }
        let mut gone = Vec::new();
        for (id, l) in &mut self.locals {
            if let Some(r) = l.notifier.handle_timeout(now) {
                if let Some(p) = &mut l.partial {
                    p.sent(&mut l.notifier, Some(&r));
                }
                self.out.push_back(inside(req(r)));
            }
            if l.notifier.state() == NotifierState::Terminated {
                gone.push(id.clone());
            }
        }
        for id in gone {
            self.drop_local(&id);
        }
        let mut ended = Vec::new();
        for (uri, be) in &mut self.list_backends {
            if let Some(r) = be.leg.sub.handle_timeout(now) {
                self.out.push_back(be.leg.send(r));
            }
            if be.leg.sub.is_terminated() {
                ended.push(uri.clone());
            }
        }
        for uri in ended {
            self.end_list_backend(now, &uri);
        }
        let mut gone = Vec::new();
        let ids: Vec<DialogId> = self.list_locals.keys().cloned().collect();
        for id in ids {
            let Some(l) = self.list_locals.get_mut(&id) else {
                continue;
            };
            let n = l.notifier.handle_timeout(now);
            self.list_sent(&id, n);
            if self
                .list_locals
                .get(&id)
                .is_some_and(|l| l.notifier.state() == NotifierState::Terminated)
            {
                gone.push(id);
            }
        }
        for id in gone {
            self.drop_list_local(now, &id);
        }
    }

    /// A message from inside the local domain.
    pub fn handle_inside(&mut self, now: Instant, msg: Message) {
        self.now = Some(now);
        match msg {
            Message::Response(r) => {
                if let Some(k) = key_of(r.headers()) {
                    if k.2 == Method::NOTIFY {
                        if let Some(id) = DialogId::of_response(&r) {
                            if let Some(l) = self.locals.get_mut(&id) {
                                l.notifier.handle_notify_response(&r);
                                if let Some(p) = &mut l.partial {
                                    if !r.status().is_provisional() {
                                        if let Some(n) = p.answered(now, &mut l.notifier) {
                                            self.out.push_back(inside(req(n)));
                                        }
                                    }
                                }
                                return;
                            }
                            if let Some(l) = self.list_locals.get_mut(&id) {
                                l.notifier.handle_notify_response(&r);
                                if l.notifier.state() == NotifierState::Terminated {
                                    self.drop_list_local(now, &id);
                                }
                                return;
                            }
                        }
                    }
                    // A request relayed to a peer is answered by the peer.
                    if self.relayed.get(&k).is_some_and(|x| x.sent_to.is_some()) {
                        return;
                    }
                    self.relay_response(k, r);
                }
            }
            Message::Request(r) => self.inside_request(now, r),
        }
    }

    fn inside_request(&mut self, now: Instant, mut r: Request) {
        let tgt = target(&r);
        let dom = domain_of(&tgt).unwrap_or_default();
        let is_sub = *r.method() == Method::SUBSCRIBE
            && event_package(r.headers()).as_deref() == Some("presence");
        let list = header_str(
            r.headers(),
            &HeaderName::new("Supported").unwrap_or(HeaderName::SUPPORTED),
        )
        .is_some_and(|s| s.contains("eventlist"));
        if is_sub && list {
            if let Some(id) = DialogId::of_incoming(&r) {
                if self.list_locals.contains_key(&id) {
                    return self.local_list_in_dialog(now, &id, &r);
                }
            } else if dom != self.config.domain && self.peer(&dom).is_some() {
                return self.local_list_initial(now, r, &dom);
            }
        }
        if is_sub && !list {
            if let Some(id) = DialogId::of_incoming(&r) {
                if self.locals.contains_key(&id) {
                    return self.local_in_dialog(now, &id, &r);
                }
            } else if dom != self.config.domain {
                return self.local_initial(now, r, &dom);
            }
        }
        // A request of a dialog we record-routed goes where our entry
        // says; any other by its Request-URI.
        let routed = self.pop_own_route(&mut r);
        let in_dialog = routed.is_some();
        let (dom, secure) = match routed {
            Some((peer, secure)) => (peer, secure),
            None if dom == self.config.domain => {
                let x = Response::from_request(&r, StatusCode::NOT_FOUND);
                return self.out.push_back(inside(resp(x)));
            }
            None => (dom, false),
        };
        let Some(peer) = self.peer(&dom) else {
            let x = Response::from_request(&r, StatusCode::NOT_FOUND);
            return self.out.push_back(inside(resp(x)));
        };
        let tls = peer.require_tls || secure || is_sips(r.uri());
        if !self.take_hop(&mut r, Dest::Inside) {
            return;
        }
        self.route_dialog(now, &mut r, &dom, tls, in_dialog);
        self.remember(&r, Dest::Inside, tls, Some(&dom));
        self.out.push_back(to_peer(&dom, tls, req(r)));
    }

    /// The peer named by our Record-Route entry at the top of `r`'s Route
    /// (and whether it is `sips:`), if that is where it is.
    fn own_route(&self, r: &Request) -> Option<(String, bool)> {
        let host = self.config.record_route.as_deref()?;
        let route: Route = r.headers().typed().ok().flatten()?;
        let u = route.uri().as_sip()?;
        if !u.lr() || !u.host().to_string().eq_ignore_ascii_case(host) {
            return None;
        }
        let peer = std::str::from_utf8(u.param("peer")?).ok()?;
        Some((peer.to_ascii_lowercase(), u.is_secure()))
    }

    /// Like [`Border::own_route`], and takes the entry off (RFC 3261
    /// section 16.4: a proxy removes the Route value that names it).
    fn pop_own_route(&self, r: &mut Request) -> Option<(String, bool)> {
        let found = self.own_route(r)?;
        r.headers_mut().pop_first(&HeaderName::ROUTE);
        Some(found)
    }

    /// Keeps the record-routed dialogs up to date for a request relayed to
    /// or from `peer`: one that came by our Route entry (`in_dialog`) keeps
    /// its dialog known, or ends it with a BYE; an initial INVITE, SUBSCRIBE
    /// or REFER gets our Record-Route entry on top (RFC 3261 section 16.6
    /// item 4; see [`BorderConfig::record_route`]) and its dialog becomes
    /// known.
    fn route_dialog(
        &mut self,
        now: Instant,
        r: &mut Request,
        peer: &str,
        tls: bool,
        in_dialog: bool,
    ) {
        let Some(host) = &self.config.record_route else {
            return;
        };
        let call_id = |r: &Request| r.headers().typed::<CallId>().ok().flatten();
        if in_dialog {
            let Some(call) = call_id(r) else {
                return;
            };
            if *r.method() == Method::BYE {
                self.routed.forget(&call.0);
            } else {
                self.routed.touch(now, call.0, peer);
            }
            return;
        }
        // Cheapest test first: most relayed requests (NOTIFY, MESSAGE,
        // PUBLISH) create no dialog, and leave with no header read.
        if ![Method::INVITE, Method::SUBSCRIBE, Method::REFER].contains(r.method()) {
            return;
        }
        let plain_domain = !peer.is_empty()
            && peer
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.');
        let initial = || {
            r.headers()
                .typed::<To>()
                .ok()
                .flatten()
                .is_some_and(|t| t.tag().is_none())
        };
        if !plain_domain || !initial() {
            return;
        }
        let Some(call) = call_id(r) else {
            return;
        };
        let scheme = if tls { "sips" } else { "sip" };
        let value = format!("<{scheme}:{host};lr;peer={peer}>");
        r.headers_mut().prepend(HeaderName::RECORD_ROUTE, value);
        self.routed.touch(now, call.0, peer);
    }

    /// Takes a hop off a request the border relays, as a proxy does
    /// (RFC 3261 section 16.6 item 3), so a routing loop between borders
    /// ends. When the request may go no further, answers it to `back` (483,
    /// or 400 for a Max-Forwards that is not a number: section 16.3 item 2)
    /// and returns `false`; an ACK, never answered, is just dropped.
    fn take_hop(&mut self, r: &mut Request, back: Dest) -> bool {
        let Err(e) = r.take_hop() else {
            return true;
        };
        self.stats.hops_refused += 1;
        if *r.method() != Method::ACK {
            let x = Response::from_request(r, e.status_code());
            self.out.push_back(Transmit {
                dest: back,
                message: resp(x),
            });
        }
        false
    }

    /// Remembers where the response to a relayed request goes. Not for an
    /// ACK: it is never answered (RFC 3261 section 17.1.1.3 for a non-2xx,
    /// 13.2.2.4 for a 2xx, where it is a request of its own that ends no
    /// transaction), so an entry for it would never be removed.
    fn remember(&mut self, r: &Request, dest: Dest, tls: bool, sent_to: Option<&str>) {
        let Some(now) = self.now else { return };
        let Some(k) = key_of(r.headers()) else { return };
        if k.2 == Method::ACK {
            return;
        }
        let life = if k.2 == Method::INVITE {
            RELAY_INVITE_LIFETIME
        } else {
            RELAY_LIFETIME
        };
        self.expire_relays(now);
        self.forget_relay(&k);
        while self.relayed.len() >= MAX_RELAYED {
            let Some((_, old)) = self.relay_expiry.pop_first() else {
                break;
            };
            self.relayed.remove(&old);
        }
        let expires = self.arm_relay(k.clone(), now + life);
        self.relayed.insert(
            k,
            Relay {
                dest,
                sent_to: sent_to.map(str::to_owned),
                tls,
                expires,
                answered: false,
            },
        );
    }

    fn arm_relay(&mut self, k: RelayKey, at: Instant) -> (Instant, u64) {
        self.relay_seq += 1;
        let id = (at, self.relay_seq);
        self.relay_expiry.insert(id, k);
        id
    }

    fn forget_relay(&mut self, k: &RelayKey) -> Option<Relay> {
        let r = self.relayed.remove(k)?;
        self.relay_expiry.remove(&r.expires);
        Some(r)
    }

    /// Forgets the relays whose time is up.
    fn expire_relays(&mut self, now: Instant) {
        while let Some(entry) = self.relay_expiry.first_entry() {
            if entry.key().0 > now {
                break;
            }
            let k = entry.remove();
            self.relayed.remove(&k);
        }
    }

    /// Relays a response to where its request came from. A provisional
    /// one (an INVITE's 100 or 180) keeps the relay for the final response
    /// that follows (RFC 3261 section 16.7: a proxy forwards every
    /// provisional and the final); a final one ends it.
    fn relay_response(&mut self, k: (Bytes, u32, Method), x: Response) {
        let status = x.status();
        if !status.is_provisional()
            && [Method::INVITE, Method::SUBSCRIBE, Method::REFER].contains(&k.2)
            && self.relayed.contains_key(&k)
        {
            self.routed.answered(&k.0, status.is_success());
        }
        let dest = if status.is_provisional() {
            self.relayed.get(&k).map(|r| r.dest.clone())
        } else if status.is_success() && k.2 == Method::INVITE {
            // Kept for the 2xx retransmissions: the first 2xx re-arms the
            // relay for RELAY_LIFETIME, the later ones just pass.
            let now = self.now;
            let (dest, rearm) = match self.relayed.get(&k) {
                Some(r) => (Some(r.dest.clone()), !r.answered),
                None => (None, false),
            };
            if let (true, Some(now)) = (rearm, now) {
                if let Some(mut r) = self.forget_relay(&k) {
                    r.answered = true;
                    r.expires = self.arm_relay(k.clone(), now + RELAY_LIFETIME);
                    self.relayed.insert(k, r);
                }
            }
            dest
        } else {
            self.forget_relay(&k).map(|r| r.dest)
        };
        if let Some(dest) = dest {
            self.out.push_back(Transmit {
                dest,
                message: resp(x),
            });
        }
    }

    fn local_initial(&mut self, now: Instant, r: Request, dom: &str) {
        let cfg = self.config.subscription;
        let (Some(peer), Some(presentity), Some(watcher)) = (
            self.peer(dom).cloned(),
            aor(&target(&r)),
            asserted(r.headers()).and_then(|u| aor(&u)),
        ) else {
            let x = Response::from_request(&r, StatusCode::NOT_FOUND);
            return self.out.push_back(inside(resp(x)));
        };
        let Some(notifier) = self.accept_local(now, &r, false, NotifierState::Pending, None) else {
            return;
        };
        let id = notifier.dialog().id().clone();
        let mut local = Local {
            notifier,
            watcher: watcher.clone(),
            presentity: presentity.clone(),
            last: None,
            partial: crate::partial::requested(r.headers()).then(PartialNotify::new),
        };
        if let Ok(n) = local.notifier.initial_notify(now) {
            self.out.push_back(inside(req(n)));
        }
        if local.notifier.state() == NotifierState::Terminated {
            return;
        }
        self.locals.insert(id.clone(), local);
        let sips = is_sips(r.uri());
        match self.backends.get_mut(&presentity) {
            Some(be) => {
                be.leg.tls |= sips;
                be.locals.push(id.clone());
                if !be.watchers.contains(&watcher) {
                    be.watchers.push(watcher.clone());
                    be.dirty = true;
                }
                // What is already known for this watcher is given at once.
                let answer = answer_for(be, &watcher, &self.config.context);
                if let Some(a) = answer {
                    deliver(&mut self.locals, &mut self.out, now, &id, a);
                }
            }
            None => {
                let tls = peer.require_tls || sips;
                let list = content_type(views::URI_LIST)
                    .map(|ct| (ct, views::write_uri_list(std::slice::from_ref(&watcher))));
                let body = list.as_ref().map(|(c, b)| (c, b.clone()));
                let Some((call, mut s)) = self.backend_subscribe(&presentity, false, tls, body)
                else {
                    return;
                };
                s.headers_mut()
                    .push(views::peering_name(), peer.mode.as_str());
                let Ok(sub) = Subscriber::new(now, s.clone(), cfg) else {
                    return;
                };
                self.backend_by_call
                    .insert(Bytes::from(call), presentity.clone());
                self.backends.insert(
                    presentity,
                    Backend {
                        leg: Leg {
                            sub,
                            peer: peer.domain.clone(),
                            tls,
                        },
                        mode: peer.mode,
                        locals: vec![id],
                        watchers: vec![watcher],
                        dirty: false,
                        document: None,
                        rules: None,
                        views: HashMap::new(),
                    },
                );
                self.out.push_back(to_peer(&peer.domain, tls, req(s)));
            }
        }
    }

    /// Accepts a local watcher's SUBSCRIBE in `state` (with `body` as the
    /// first NOTIFY's, when given): its 200 (with `Require: eventlist` for
    /// a `list`, RFC 4662 section 5.1), or its refusal, goes inside.
    fn accept_local(
        &mut self,
        now: Instant,
        r: &Request,
        list: bool,
        state: NotifierState,
        body: Option<(ContentType, Bytes)>,
    ) -> Option<Notifier> {
        let cfg = self.config.subscription;
        if let Err(e) = Notifier::check(r, &["presence"], &cfg) {
            self.out.push_back(inside(resp(Notifier::refusal(r, &e))));
            return None;
        }
        self.counter += 1;
        let mut ok = Response::from_request(r, StatusCode::OK);
        let tag = if list { "bl" } else { "b" };
        ok.set_to_tag(&format!("{tag}{:x}", self.counter));
        ok.headers_mut()
            .push(HeaderName::CONTACT, format!("<{}>", self.config.contact));
        if list {
            ok.headers_mut().push(HeaderName::REQUIRE, "eventlist");
        }
        let mut notifier = match Notifier::accept(now, r, &mut ok, state, &cfg) {
            Ok(n) => n,
            Err(e) => {
                self.out.push_back(inside(resp(Notifier::refusal(r, &e))));
                return None;
            }
        };
        if let Some((ct, b)) = body {
            notifier.set_body(Some(ct), b);
        }
        self.out.push_back(inside(resp(ok)));
        Some(notifier)
    }

    /// A back-end SUBSCRIBE to `to` (a presentity, or a `list`) with a new
    /// Call-ID, returned with it.
    fn backend_subscribe(
        &mut self,
        to: &str,
        list: bool,
        tls: bool,
        body: Option<(&ContentType, Bytes)>,
    ) -> Option<(String, Request)> {
        self.counter += 1;
        let (call, tag) = if list { ("bl", "blt") } else { ("be", "bt") };
        let call = format!("{call}{:x}.{}", self.counter, self.config.domain);
        let tag = format!("{tag}{:x}", self.counter);
        // RFC 3261 8.1.1.8: a sips: Request-URI asks for a sips:
        // Contact, where the peer's NOTIFYs will be sent.
        let contact = if tls {
            secure_uri_str(&self.config.contact)
        } else {
            self.config.contact.clone()
        };
        let s = NewRequest {
            method: Method::SUBSCRIBE,
            to,
            from: &self.config.contact,
            tag: &tag,
            call_id: &call,
            contact: Some(&contact),
            event: Some("presence"),
            expires: Some(3600),
        }
        .build(body)?;
        Some((call, s))
    }

    fn local_in_dialog(&mut self, now: Instant, id: &DialogId, r: &Request) {
        let cfg = self.config.subscription;
        let Some(l) = self.locals.get_mut(id) else {
            return;
        };
        let (x, n) = l.notifier.handle_subscribe(now, r, &cfg);
        if let Some(p) = &mut l.partial {
            // A refresh carries full state (RFC 5263 section 4.4).
            p.sent(&mut l.notifier, n.as_ref());
        }
        self.out.push_back(inside(resp(x)));
        if let Some(n) = n {
            self.out.push_back(inside(req(n)));
        }
        if l.notifier.state() == NotifierState::Terminated {
            self.drop_local(id);
        }
    }

    fn drop_local(&mut self, id: &DialogId) {
        let Some(l) = self.locals.remove(id) else {
            return;
        };
        if let Some(be) = self.backends.get_mut(&l.presentity) {
            be.locals.retain(|x| x != id);
            let still = be
                .locals
                .iter()
                .any(|x| self.locals.get(x).is_some_and(|o| o.watcher == l.watcher));
            if !still {
                be.watchers.retain(|w| *w != l.watcher);
                be.dirty = true;
            }
        }
    }

    fn refuse(&mut self, conn: &PeerIdentity, over: LinkTransport, r: &Request, reason: Refusal) {
        self.stats.refused += 1;
        if let Some(h) = &mut self.log {
            h(&Refused {
                method: r.method().to_string(),
                connection: conn
                    .domains()
                    .iter()
                    .map(|d| d.as_str().to_owned())
                    .collect(),
                reason,
            });
        }
        let x = Response::from_request(r, StatusCode::FORBIDDEN);
        let peer = conn
            .domains()
            .first()
            .map(|d| d.as_str().to_owned())
            .unwrap_or_default();
        self.out.push_back(Transmit {
            dest: Dest::peer(peer, over.is_tls()),
            message: resp(x),
        });
    }

    /// Checks a peer's request, in this order: the From (and
    /// P-Asserted-Identity) domain must be a trusted peer; a peer that
    /// requires TLS, or a `sips:` Request-URI, must have come over TLS; the
    /// connection must have authenticated the domain; with
    /// [`BorderConfig::check_via_sent_by`], it must also have authenticated
    /// the top Via's sent-by host. Returns the From domain.
    pub fn check_peer(
        &self,
        conn: &PeerIdentity,
        over: LinkTransport,
        r: &Request,
    ) -> Result<String, Refusal> {
        let presented = || {
            conn.domains()
                .iter()
                .map(|d| d.as_str().to_owned())
                .collect()
        };
        let from = from_uri(r.headers())
            .and_then(|u| domain_of(&u))
            .ok_or(Refusal::NoFrom)?;
        let mut claimed = vec![from.clone()];
        if let Some(p) = pai_uri(r.headers()).and_then(|u| domain_of(&u)) {
            claimed.push(p);
        }
        for d in claimed {
            let Some(peer) = self.peer(&d) else {
                return Err(Refusal::UntrustedDomain(d));
            };
            if peer.require_tls && !over.is_tls() {
                return Err(Refusal::TlsRequired(d));
            }
            if !conn.covers(&d) {
                return Err(Refusal::NotAuthenticated {
                    claimed: d,
                    presented: presented(),
                });
            }
        }
        if is_sips(r.uri()) && !over.is_tls() {
            return Err(Refusal::TlsRequired(
                domain_of(&target(r)).unwrap_or_default(),
            ));
        }
        if self.config.check_via_sent_by {
            let via: Option<Via> = r.headers().typed().ok().flatten();
            let host = via.map(|v| v.host().to_string());
            if !host.as_deref().is_some_and(|h| conn.covers(h)) {
                return Err(Refusal::ViaNotAuthenticated {
                    sent_by: host,
                    presented: presented(),
                });
            }
        }
        Ok(from)
    }

    /// A message from a peer over a connection without TLS (UDP, TCP) that
    /// authenticated `conn` by other means (e.g. a private interconnect):
    /// [`Border::handle_peer_over`] with [`LinkTransport::Plain`]. A peer
    /// that requires TLS is refused here.
    pub fn handle_peer(&mut self, now: Instant, conn: &PeerIdentity, msg: Message) {
        self.handle_peer_over(now, conn, LinkTransport::Plain, msg);
    }

    /// A message from a peer, over a connection of transport `over` that
    /// authenticated `conn` (for TLS: the domains its certificate was
    /// verified for, RFC 5922 section 7). Requests are checked with
    /// [`Border::check_peer`] and refused with 403 (the reason to the log
    /// hook); responses to what the border sent over TLS are ignored unless
    /// they too came over TLS.
    pub fn handle_peer_over(
        &mut self,
        now: Instant,
        conn: &PeerIdentity,
        over: LinkTransport,
        msg: Message,
    ) {
        self.now = Some(now);
        let r = match msg {
            Message::Response(x) => {
                let Some(k) = key_of(x.headers()) else { return };
                if let Some(p) = self.backend_by_call.get(&k.0).cloned() {
                    let out = &mut self.out;
                    if self
                        .backends
                        .get_mut(&p)
                        .is_some_and(|be| be.leg.handle_response(now, &x, over, out))
                    {
                        self.end_backend(now, &p);
                    }
                    return;
                }
                if let Some(uri) = self.list_by_call.get(&k.0).cloned() {
                    let out = &mut self.out;
                    if self
                        .list_backends
                        .get_mut(&uri)
                        .is_some_and(|be| be.leg.handle_response(now, &x, over, out))
                    {
                        self.end_list_backend(now, &uri);
                    }
                    return;
                }
                // Only the peer a request went to answers it, over TLS when
                // it went over TLS.
                if self.relayed.get(&k).is_some_and(|r| {
                    (r.tls && !over.is_tls())
                        || !r.sent_to.as_deref().is_some_and(|p| conn.covers(p))
                }) {
                    return;
                }
                self.relay_response(k, x);
                return;
            }
            Message::Request(r) => r,
        };
        let mut r = r;
        let from_dom = match self.check_peer(conn, over, &r) {
            Ok(d) => d,
            Err(e) => return self.refuse(conn, over, &r, e),
        };
        // A NOTIFY of one of our back-end subscriptions, from the peer it
        // was sent to.
        if *r.method() == Method::NOTIFY {
            let call: Option<CallId> = r.headers().typed().ok().flatten();
            if let Some(p) = call
                .as_ref()
                .and_then(|c| self.backend_by_call.get(&c.0).cloned())
            {
                if self
                    .backends
                    .get(&p)
                    .is_some_and(|b| b.leg.peer.eq_ignore_ascii_case(&from_dom))
                {
                    return self.backend_notify(now, &p, over, &r);
                }
            }
            if let Some(uri) = call.and_then(|c| self.list_by_call.get(&c.0).cloned()) {
                if self
                    .list_backends
                    .get(&uri)
                    .is_some_and(|b| b.leg.peer.eq_ignore_ascii_case(&from_dom))
                {
                    return self.list_backend_notify(now, &uri, over, &r);
                }
            }
        }
        // A back-end subscription from the peer: check what it asks.
        if *r.method() == Method::SUBSCRIBE {
            if let Some(mode) =
                header_str(r.headers(), &views::peering_name()).and_then(PeerMode::parse)
            {
                let allowed = self.peer(&from_dom).map(|p| p.mode);
                if mode == PeerMode::Delegated && allowed != Some(PeerMode::Delegated) {
                    return self.refuse(conn, over, &r, Refusal::ModeNotAllowed(mode));
                }
                if let Ok(list) = views::parse_uri_list(r.body()) {
                    if let Some(w) = list
                        .iter()
                        .find(|w| !domain_of(w).is_some_and(|d| conn.covers(&d)))
                    {
                        let w = w.clone();
                        return self.refuse(conn, over, &r, Refusal::ForeignWatcher(w));
                    }
                }
            }
        }
        let dom = domain_of(&target(&r)).unwrap_or_default();
        // A request of a dialog we record-routed for this peer comes in
        // whatever its Request-URI (the far end's Contact); any other must
        // be for our domain.
        let call = r.headers().typed::<CallId>().ok().flatten();
        let known = call.as_ref().and_then(|c| self.routed.peer(now, &c.0));
        let routed = known.is_some_and(|p| p.eq_ignore_ascii_case(&from_dom))
            && self
                .own_route(&r)
                .is_some_and(|(peer, _)| peer.eq_ignore_ascii_case(&from_dom));
        if routed {
            r.headers_mut().pop_first(&HeaderName::ROUTE);
        } else if dom != self.config.domain {
            let x = Response::from_request(&r, StatusCode::NOT_FOUND);
            return self.out.push_back(Transmit {
                dest: Dest::peer(from_dom, over.is_tls()),
                message: resp(x),
            });
        }
        let back = Dest::peer(from_dom.clone(), over.is_tls());
        if !self.take_hop(&mut r, back.clone()) {
            return;
        }
        self.route_dialog(now, &mut r, &from_dom, over.is_tls(), routed);
        self.remember(&r, back, false, None);
        self.out.push_back(inside(req(r)));
    }

    /// A local watcher's list SUBSCRIBE (RFC 4662, `Supported: eventlist`)
    /// to a list in a peer domain: accepted here, joined to the one
    /// back-end subscription to that list (opened when it is the first).
    fn local_list_initial(&mut self, now: Instant, r: Request, dom: &str) {
        let cfg = self.config.subscription;
        let (Some(peer), Some(list)) = (self.peer(dom).cloned(), aor(&target(&r))) else {
            let x = Response::from_request(&r, StatusCode::NOT_FOUND);
            return self.out.push_back(inside(resp(x)));
        };
        // Full state at once when the list's state is already known.
        let known = self
            .list_backends
            .get(&list)
            .filter(|b| b.state.is_synced())
            .and_then(|b| list_full_state(&list, b.state.view(), 0));
        let state = if known.is_some() {
            NotifierState::Active
        } else {
            NotifierState::Pending
        };
        let Some(mut notifier) = self.accept_local(now, &r, true, state, known) else {
            return;
        };
        let id = notifier.dialog().id().clone();
        let n = notifier.initial_notify(now).ok();
        let terminated = notifier.state() == NotifierState::Terminated;
        self.list_locals.insert(
            id.clone(),
            LocalList {
                notifier,
                list: list.clone(),
                version: 0,
            },
        );
        self.list_sent(&id, n);
        if terminated {
            self.list_locals.remove(&id);
            return;
        }
        match self.list_backends.get_mut(&list) {
            Some(be) if !be.locals.is_empty() => {
                be.locals.push(id);
                return;
            }
            // Being unsubscribed (its last watcher left): start afresh.
            Some(_) => {
                self.list_backends.remove(&list);
                self.list_by_call.retain(|_, l| *l != list);
            }
            None => {}
        }
        let tls = peer.require_tls || is_sips(r.uri());
        let Some((call, mut s)) = self.backend_subscribe(&list, true, tls, None) else {
            return;
        };
        let state = ListSubscriber::new(&[views::PIDF]);
        for (n, v) in state.subscribe_headers() {
            if let Some(h) = HeaderName::new(n) {
                s.headers_mut().push(h, v);
            }
        }
        let Ok(sub) = Subscriber::new(now, s.clone(), cfg) else {
            return;
        };
        self.list_by_call.insert(Bytes::from(call), list.clone());
        self.list_backends.insert(
            list,
            ListBackend {
                leg: Leg {
                    sub,
                    peer: peer.domain.clone(),
                    tls,
                },
                state,
                locals: vec![id],
            },
        );
        self.out.push_back(to_peer(&peer.domain, tls, req(s)));
    }

    fn local_list_in_dialog(&mut self, now: Instant, id: &DialogId, r: &Request) {
        let cfg = self.config.subscription;
        let Some(l) = self.list_locals.get_mut(id) else {
            return;
        };
        let (x, n) = l.notifier.handle_subscribe(now, r, &cfg);
        let terminated = l.notifier.state() == NotifierState::Terminated;
        self.out.push_back(inside(resp(x)));
        self.list_sent(id, n);
        if terminated {
            self.drop_list_local(now, id);
        }
    }

    /// Sends a local list NOTIFY (with `Require: eventlist`, RFC 4662
    /// section 5.2); one with a body used up its RLMI version, so the
    /// notifier is handed full state with the next one, for a refresh.
    fn list_sent(&mut self, id: &DialogId, n: Option<Request>) {
        let Some(mut n) = n else { return };
        let Some(l) = self.list_locals.get_mut(id) else {
            return;
        };
        n.headers_mut().push(HeaderName::REQUIRE, "eventlist");
        if !n.body().is_empty() {
            l.version = l.version.saturating_add(1);
            let full = self
                .list_backends
                .get(&l.list)
                .and_then(|b| list_full_state(&l.list, b.state.view(), l.version));
            if let Some((ct, b)) = full {
                l.notifier.set_body(Some(ct), b);
            }
        }
        self.out.push_back(inside(req(n)));
    }

    fn drop_list_local(&mut self, now: Instant, id: &DialogId) {
        let Some(l) = self.list_locals.remove(id) else {
            return;
        };
        let Some(be) = self.list_backends.get_mut(&l.list) else {
            return;
        };
        be.locals.retain(|x| x != id);
        if be.locals.is_empty() {
            if let Ok(r) = be.leg.sub.unsubscribe(now) {
                self.out.push_back(be.leg.send(r));
            }
        }
    }

    /// A back-end list subscription ended: so do its local ones.
    fn end_list_backend(&mut self, now: Instant, list: &str) {
        let Some(be) = self.list_backends.remove(list) else {
            return;
        };
        self.list_by_call.retain(|_, l| l != list);
        for id in be.locals {
            if let Some(mut l) = self.list_locals.remove(&id) {
                if let Some(mut n) = l.notifier.terminate(now, Reason::Noresource, None) {
                    n.headers_mut().push(HeaderName::REQUIRE, "eventlist");
                    self.out.push_back(inside(req(n)));
                }
            }
        }
    }

    /// An RLMI NOTIFY of a back-end list subscription: the list's state is
    /// updated and the notification fanned out to every local
    /// subscription, renumbered with its own version (a local subscription
    /// still pending gets full state). A gap is not passed on: the back
    /// end is refreshed and the full state that follows goes out instead.
    fn list_backend_notify(&mut self, now: Instant, list: &str, over: LinkTransport, r: &Request) {
        let Some(be) = self.list_backends.get_mut(list) else {
            return;
        };
        let Some((body, ct)) = be.leg.handle_notify(now, r, over, &mut self.out) else {
            return;
        };
        self.stats.notifies_in += 1;
        let ct_value = ct.map(|c| String::from_utf8_lossy(&c.to_value()).into_owned());
        if let (Some(ct), false) = (ct_value, body.is_empty()) {
            let got = RlmiNotification::parse(&ct, &body, &Default::default()).ok();
            let applied = be.state.handle_notify(&ct, &body);
            let forward = match (&applied, got) {
                (Ok(Applied::Full { .. } | Applied::Partial { .. }), Some(n)) => Some(n),
                _ => None,
            };
            if be.state.poll_refresh() || applied.as_ref().is_ok_and(Applied::needs_refresh) {
                if let Ok(again) = be.leg.sub.refresh(now) {
                    self.out.push_back(be.leg.send(again));
                }
            }
            if let Some(n) = forward {
                let ids = be.locals.clone();
                for id in ids {
                    self.list_fan_out(now, list, &id, &n);
                }
            }
        }
        if self
            .list_backends
            .get(list)
            .is_some_and(|b| b.leg.sub.is_terminated())
        {
            self.end_list_backend(now, list);
        }
    }

    fn list_fan_out(&mut self, now: Instant, list: &str, id: &DialogId, n: &RlmiNotification) {
        let Some(be) = self.list_backends.get(list) else {
            return;
        };
        let Some(l) = self.list_locals.get_mut(id) else {
            return;
        };
        let sent = match l.notifier.state() {
            NotifierState::Pending => {
                let Some((ct, b)) = list_full_state(list, be.state.view(), l.version) else {
                    return;
                };
                l.notifier.set_body(Some(ct), b);
                l.notifier.activate(now)
            }
            NotifierState::Active => {
                let mut mine = n.clone();
                mine.rlmi.version = l.version;
                mine.rlmi.uri = list.into();
                let enc = mine.encode(u64::from(l.version) ^ self.counter);
                let Ok(ct) = ContentType::decode(&Bytes::from(enc.content_type)) else {
                    return;
                };
                let n = l.notifier.update(now, Some(ct), Bytes::from(enc.body));
                if n.is_none() {
                    // Held back by max-rate (RFC 6446): what goes out later
                    // must not lose this change to the next one, so it is
                    // full state.
                    if let Some((ct, b)) = list_full_state(list, be.state.view(), l.version) {
                        l.notifier.set_body(Some(ct), b);
                    }
                }
                n
            }
            NotifierState::Terminated => None,
        };
        self.list_sent(id, sent);
    }

    fn backend_notify(&mut self, now: Instant, presentity: &str, over: LinkTransport, r: &Request) {
        let ctx = self.config.context.clone();
        let Some(be) = self.backends.get_mut(presentity) else {
            return;
        };
        let Some((body, ct)) = be.leg.handle_notify(now, r, over, &mut self.out) else {
            return;
        };
        self.stats.notifies_in += 1;
        let Some(ct) = ct.filter(|_| !body.is_empty()) else {
            return;
        };
        match be.mode {
            PeerMode::PerView => {
                let Ok(b) = ViewBundle::parse(&ct.0, &body) else {
                    return;
                };
                self.stats.documents_in += b.documents() as u64;
                for v in b.views {
                    for w in v.watchers {
                        be.views.insert(w, v.active.then(|| v.document.clone()));
                    }
                }
            }
            PeerMode::Delegated => {
                let Ok(d) = Delegated::parse(&ct.0, &body) else {
                    return;
                };
                self.stats.documents_in += 1;
                if let Ok(doc) = Document::parse(&d.document, &Limits::default()) {
                    be.document = Some(doc);
                }
                if let Some(rules) = d.rules.and_then(|r| RuleSet::parse(&r).ok()) {
                    be.rules = Some(rules);
                }
                // Each distinct view is computed and written once, as the
                // presentity's side would in per-view mode.
                be.views.clear();
                if let (Some(doc), Some(rules)) = (&be.document, &be.rules) {
                    let ids: Vec<Identity> = be
                        .watchers
                        .iter()
                        .map(|w| Identity::authenticated(w))
                        .collect();
                    if let Ok(groups) = rules.views(doc, &ids, &ctx) {
                        for v in ViewBundle::from_groups(&groups, &be.watchers).views {
                            for w in v.watchers {
                                be.views.insert(w, v.active.then(|| v.document.clone()));
                            }
                        }
                    }
                }
            }
        }
        let ids = be.locals.clone();
        for id in ids {
            let Some(w) = self.locals.get(&id).map(|l| l.watcher.clone()) else {
                continue;
            };
            let Some(be) = self.backends.get(presentity) else {
                return;
            };
            if let Some(a) = answer_for(be, &w, &ctx) {
                deliver(&mut self.locals, &mut self.out, now, &id, a);
            }
        }
        if self
            .backends
            .get(presentity)
            .is_some_and(|b| b.leg.sub.is_terminated())
        {
            self.end_backend(now, presentity);
        }
    }

    /// A back-end subscription ended (refused, or terminated by the peer):
    /// its local watchers' subscriptions end too, with `noresource`.
    fn end_backend(&mut self, now: Instant, presentity: &str) {
        let Some(be) = self.backends.remove(presentity) else {
            return;
        };
        self.backend_by_call.retain(|_, p| p != presentity);
        for id in be.locals {
            if let Some(mut l) = self.locals.remove(&id) {
                if let Some(n) = l.notifier.terminate(now, Reason::Noresource, None) {
                    self.out.push_back(inside(req(n)));
                }
            }
        }
    }
}

/// A request or response for a peer. A request that must go over TLS gets
/// a `sips:` Request-URI (RFC 3261 section 26.2.2; `;transport=tls` is
/// deprecated there), so the peer knows every hop to it was secured.
fn to_peer(domain: &str, tls: bool, m: Message) -> Transmit {
    let message = match m {
        Message::Request(r) if tls && !is_sips(r.uri()) => req(secure_request(r)),
        m => m,
    };
    Transmit {
        dest: Dest::peer(domain, tls),
        message,
    }
}

/// Whether a URI is a `sips:` one.
fn is_sips(u: &Uri) -> bool {
    u.as_sip().is_some_and(SipUri::is_secure)
}

/// `sip:x` as `sips:x` ([`sip_core::target::secure_uri`]: `transport=udp`
/// or `tls` dropped); anything else, or what does not parse, unchanged.
fn secure_uri_str(uri: &str) -> String {
    match Uri::parse_str(uri) {
        Ok(u) => sip_core::target::secure_uri(&u).to_string(),
        Err(_) => uri.to_owned(),
    }
}

/// The request with its Request-URI in the `sips:` scheme.
fn secure_request(r: Request) -> Request {
    let uri = sip_core::target::secure_uri(r.uri());
    let mut b = RequestBuilder::new(r.method().clone(), uri);
    for (n, v) in r.headers().iter() {
        b = b.header(n.clone(), v.clone());
    }
    let mut out = b.build();
    out.set_body(r.body().clone());
    out
}

/// A full-state RLMI notification of `list` from what the view holds,
/// numbered `version` (RFC 4662 section 5: every resource, each instance
/// with its state part).
fn list_full_state(list: &str, view: &ListView, version: u32) -> Option<(ContentType, Bytes)> {
    let mut rlmi = Rlmi::new(list, version, true);
    rlmi.names = view.names().to_vec();
    let mut parts = Vec::new();
    for (uri, row) in view.resources() {
        let mut res = Resource::new(uri);
        res.names = row.names.clone();
        for inst in &row.instances {
            let mut i = Instance::new(inst.id.clone(), inst.state);
            i.reason = inst.reason.clone();
            if let (Some(ct), Some(body)) = (&inst.content_type, &inst.body) {
                let cid = format!("p{}.{}", parts.len(), version);
                i = i.with_cid(cid.clone());
                parts.push(StatePart {
                    cid,
                    content_type: ct.clone(),
                    body: body.clone(),
                });
            }
            res.instances.push(i);
        }
        rlmi.resources.push(res);
    }
    let n = RlmiNotification {
        rlmi,
        root_cid: format!("list.{version}"),
        parts,
    };
    let enc = n.encode(u64::from(version));
    let ct = ContentType::decode(&Bytes::from(enc.content_type)).ok()?;
    Some((ct, Bytes::from(enc.body)))
}

/// The document a watcher is to get from what the back end holds: `Some`
/// of an active view, `None` when nothing is to be sent.
fn answer_for(be: &Backend, watcher: &str, ctx: &Context) -> Option<Bytes> {
    match be.mode {
        PeerMode::PerView => be.views.get(watcher).cloned().flatten(),
        PeerMode::Delegated => {
            if let Some(a) = be.views.get(watcher) {
                return a.clone();
            }
            let (doc, rules) = (be.document.as_ref()?, be.rules.as_ref()?);
            let d = rules
                .decide(&Identity::authenticated(watcher), ctx, doc)
                .ok()?;
            match d.sub_handling {
                SubHandling::Allow | SubHandling::PoliteBlock => {
                    d.document_bytes().map(Bytes::from)
                }
                SubHandling::Block | SubHandling::Confirm => None,
            }
        }
    }
}

fn deliver(
    locals: &mut HashMap<DialogId, Local>,
    out: &mut VecDeque<Transmit>,
    now: Instant,
    id: &DialogId,
    doc: Bytes,
) {
    let Some(l) = locals.get_mut(id) else { return };
    if l.last.as_ref() == Some(&doc) {
        return;
    }
    l.last = Some(doc.clone());
    let ct = content_type(views::PIDF);
    let n = match (l.notifier.state(), &mut l.partial) {
        (NotifierState::Pending, partial) => {
            if !partial
                .as_mut()
                .is_some_and(|p| p.set_first(&mut l.notifier, &doc))
            {
                l.notifier.set_body(ct, doc);
            }
            let n = l.notifier.activate(now);
            if let Some(p) = &mut l.partial {
                p.sent(&mut l.notifier, n.as_ref());
            }
            n
        }
        (NotifierState::Active, Some(p)) => p.update(now, &mut l.notifier, &doc),
        (NotifierState::Active, None) => l.notifier.update(now, ct, doc),
        (NotifierState::Terminated, _) => None,
    };
    if let Some(n) = n {
        out.push_back(inside(req(n)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sip::{content_type, NewRequest};
    use sip_core::header::MaxForwards;
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    const COM: &str = "example.com";
    const NET: &str = "example.net";

    fn border(peer: PeerEntry, via: bool) -> (Border, Arc<Mutex<Vec<Refused>>>) {
        let mut c = BorderConfig::new(COM, vec![peer]);
        c.check_via_sent_by = via;
        let mut b = Border::new(c);
        let log: Arc<Mutex<Vec<Refused>>> = Arc::default();
        let l2 = log.clone();
        b.set_log(Box::new(move |r: &Refused| {
            l2.lock().unwrap().push(r.clone())
        }));
        (b, log)
    }

    fn request(method: Method, to: &str, from: &str, call: &str) -> Request {
        NewRequest {
            method: method.clone(),
            to,
            from,
            tag: "t1",
            call_id: call,
            contact: Some(from),
            event: (method == Method::SUBSCRIBE).then_some("presence"),
            expires: (method == Method::SUBSCRIBE).then_some(600),
        }
        .build(
            (method == Method::MESSAGE)
                .then(|| (content_type("text/plain").unwrap(), Bytes::from("hi")))
                .as_ref()
                .map(|(c, b)| (c, b.clone())),
        )
        .unwrap()
    }

    /// Alice's request to `to`, from inside.
    fn alice_sends(b: &mut Border, now: Instant, method: Method, to: &str, call: &str) {
        let r = request(method, to, "sip:alice@example.com", call);
        b.handle_inside(now, Message::Request(r));
    }

    fn drain(b: &mut Border) -> Vec<Transmit> {
        std::iter::from_fn(|| b.poll_transmit()).collect()
    }

    fn to_peer_requests(out: &[Transmit]) -> Vec<(bool, Request)> {
        out.iter()
            .filter_map(|t| match (&t.dest, &t.message) {
                (Dest::Peer { tls, .. }, Message::Request(r)) => Some((*tls, r.clone())),
                _ => None,
            })
            .collect()
    }

    fn header(r: &Request, name: HeaderName) -> &str {
        header_str(r.headers(), &name).unwrap_or_default()
    }

    #[test]
    fn a_tls_peer_gets_everything_over_tls_with_sips_uris() {
        let now = testkit::net::Clock::new().now();
        let (mut b, _) = border(PeerEntry::new(NET, PeerMode::PerView).tls(), false);
        alice_sends(&mut b, now, Method::SUBSCRIBE, "sip:bob@example.net", "c1");
        let out = drain(&mut b);
        let reqs = to_peer_requests(&out);
        assert_eq!(reqs.len(), 1, "one back-end SUBSCRIBE");
        let (tls, s) = &reqs[0];
        assert!(*tls);
        assert_eq!(target(s), "sips:bob@example.net");
        assert_eq!(header(s, HeaderName::CONTACT), "<sips:border@example.com>");
        // The peer answers over TLS; the refresh goes over TLS to a sips:
        // form of the peer's Contact.
        let mut ok = Response::from_request(s, StatusCode::OK);
        ok.set_to_tag("n1");
        ok.headers_mut()
            .push(HeaderName::CONTACT, "<sip:pa.example.net;transport=udp>");
        b.handle_peer_over(
            now,
            &PeerIdentity::from_domains([NET]),
            LinkTransport::Tls,
            Message::Response(ok),
        );
        assert!(drain(&mut b).is_empty());
        let notify = RequestBuilder::new(
            Method::NOTIFY,
            Uri::parse_str("sips:border@example.com").unwrap(),
        )
        .header(HeaderName::FROM, "<sip:bob@example.net>;tag=n1")
        .header(HeaderName::TO, header(s, HeaderName::FROM).to_owned())
        .header(
            HeaderName::CALL_ID,
            header(s, HeaderName::CALL_ID).to_owned(),
        )
        .header(HeaderName::CSEQ, "1 NOTIFY")
        .header(HeaderName::EVENT, "presence")
        .header(HeaderName::SUBSCRIPTION_STATE, "pending;expires=3600")
        .header(HeaderName::CONTACT, "<sip:pa.example.net>")
        .build();
        b.handle_peer_over(
            now,
            &PeerIdentity::from_domains([NET]),
            LinkTransport::Tls,
            Message::Request(notify),
        );
        let out = drain(&mut b);
        assert_eq!(out.len(), 1, "{out:?}");
        assert_eq!(out[0].dest, Dest::peer(NET, true));
        assert!(
            matches!(&out[0].message, Message::Response(x) if x.status() == StatusCode::OK),
            "{out:?}"
        );
        // By then Alice's 600 s subscription has expired too: the refresh
        // and the unsubscription that follows both go over TLS.
        b.handle_timeout(now + Duration::from_secs(3590));
        let reqs = to_peer_requests(&drain(&mut b));
        let expires: Vec<&str> = reqs
            .iter()
            .map(|(_, r)| header(r, HeaderName::EXPIRES))
            .collect();
        assert_eq!(expires, ["3600", "0"]);
        for (tls, r) in &reqs {
            assert!(*tls);
            assert_eq!(target(r), "sips:pa.example.net");
        }
        // A relayed MESSAGE too.
        alice_sends(&mut b, now, Method::MESSAGE, "sip:bob@example.net", "m1");
        let reqs = to_peer_requests(&drain(&mut b));
        assert_eq!(reqs.len(), 1);
        assert!(reqs[0].0);
        assert_eq!(target(&reqs[0].1), "sips:bob@example.net");
        assert_eq!(&reqs[0].1.body()[..], b"hi");
        assert!(reqs[0].1.headers().get(&HeaderName::CONTENT_TYPE).is_some());
    }

    #[test]
    fn a_plain_peer_gets_sip_unless_the_request_is_sips() {
        let now = testkit::net::Clock::new().now();
        let (mut b, _) = border(PeerEntry::new(NET, PeerMode::PerView), false);
        alice_sends(&mut b, now, Method::MESSAGE, "sip:bob@example.net", "m1");
        alice_sends(&mut b, now, Method::MESSAGE, "sips:bob@example.net", "m2");
        let reqs = to_peer_requests(&drain(&mut b));
        let got: Vec<(bool, String)> = reqs.iter().map(|(t, r)| (*t, target(r))).collect();
        assert_eq!(
            got,
            [
                (false, "sip:bob@example.net".to_owned()),
                (true, "sips:bob@example.net".to_owned())
            ]
        );
    }

    #[test]
    fn a_response_for_tls_is_taken_only_from_tls() {
        let now = testkit::net::Clock::new().now();
        let (mut b, _) = border(PeerEntry::new(NET, PeerMode::PerView).tls(), false);
        alice_sends(&mut b, now, Method::SUBSCRIBE, "sip:bob@example.net", "c1");
        let (_, s) = to_peer_requests(&drain(&mut b)).remove(0);
        let no = Response::from_request(&s, StatusCode::FORBIDDEN);
        let conn = PeerIdentity::from_domains([NET]);
        b.handle_peer_over(
            now,
            &conn,
            LinkTransport::Plain,
            Message::Response(no.clone()),
        );
        assert_eq!(b.stats().backends, 1, "ignored: it did not come over TLS");
        assert!(drain(&mut b).is_empty());
        b.handle_peer_over(now, &conn, LinkTransport::Tls, Message::Response(no));
        assert_eq!(b.stats().backends, 0, "taken over TLS: the back end ends");
        // Relayed: same rule.
        alice_sends(&mut b, now, Method::MESSAGE, "sip:bob@example.net", "m1");
        let (_, m) = to_peer_requests(&drain(&mut b)).remove(0);
        let ok = Response::from_request(&m, StatusCode::OK);
        b.handle_peer_over(
            now,
            &conn,
            LinkTransport::Plain,
            Message::Response(ok.clone()),
        );
        assert!(drain(&mut b).is_empty());
        b.handle_peer_over(now, &conn, LinkTransport::Tls, Message::Response(ok));
        let out = drain(&mut b);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].dest, Dest::Inside);
    }

    /// Alice's INVITE dialog with bob across the border, both directions
    /// of the border seen from example.com: the 180 does not end the relay
    /// (the 200 after it still finds its way), the ACK crosses and leaves
    /// nothing to answer, the BYE crosses and its 200 comes back. Then
    /// bob's side: a peer's INVITE, ACK and BYE to a user of ours.
    #[test]
    fn an_invite_dialog_crosses_with_its_ack_and_bye() {
        let now = testkit::net::Clock::new().now();
        let (mut b, log) = border(PeerEntry::new(NET, PeerMode::PerView).tls(), false);
        let conn = PeerIdentity::from_domains([NET]);
        // Relays still waiting for a final response (a 2xx to an INVITE
        // keeps its relay a while for retransmissions, answered).
        let waiting = |b: &Border| b.relayed.values().filter(|r| !r.answered).count();
        let sdp = |b: &str| {
            (
                content_type("application/sdp").unwrap(),
                Bytes::from(b.to_owned()),
            )
        };
        let (ct, body) = sdp("v=0\r\n");
        let invite = NewRequest {
            method: Method::INVITE,
            to: "sips:bob@example.net",
            from: "sips:alice@example.com",
            tag: "at",
            call_id: "call1",
            contact: Some("sips:alice@example.com"),
            event: None,
            expires: None,
        }
        .build(Some((&ct, body)))
        .unwrap();
        b.handle_inside(now, Message::Request(invite));
        let reqs = to_peer_requests(&drain(&mut b));
        assert_eq!(reqs.len(), 1);
        let (tls, inv) = &reqs[0];
        assert!(*tls);
        assert_eq!(inv.method(), &Method::INVITE);
        assert_eq!(&inv.body()[..], b"v=0\r\n");
        let from_net = |b: &mut Border, x: Response| {
            b.handle_peer_over(now, &conn, LinkTransport::Tls, Message::Response(x));
            drain(b)
        };
        let mut ringing = Response::from_request(inv, StatusCode::RINGING);
        ringing.set_to_tag("bt");
        let out = from_net(&mut b, ringing);
        assert_eq!(out.len(), 1, "the 180 is relayed inside");
        assert_eq!(out[0].dest, Dest::Inside);
        let mut ok = Response::from_request(inv, StatusCode::OK);
        ok.set_to_tag("bt");
        ok.headers_mut()
            .push(HeaderName::CONTACT, "<sips:bob@example.net>");
        let out = from_net(&mut b, ok.clone());
        assert_eq!(out.len(), 1, "the 200 after the 180 is relayed too");
        assert!(matches!(&out[0].message, Message::Response(x) if x.status() == StatusCode::OK));
        assert_eq!(waiting(&b), 0, "the final answered the relay");
        // The callee's retransmission of the 2xx still finds its way.
        let out = from_net(&mut b, ok.clone());
        assert_eq!(out.len(), 1, "a retransmitted 200 is relayed too");
        assert_eq!(out[0].dest, Dest::Inside);
        // The ACK and the BYE, built from the dialog as alice's UA would.
        let mut dialog = sip_core::dialog::Dialog::uac(inv, &ok).unwrap();
        let ack = dialog.ack(1).unwrap();
        b.handle_inside(now, Message::Request(ack));
        let reqs = to_peer_requests(&drain(&mut b));
        assert_eq!(reqs.len(), 1, "the ACK crosses");
        assert_eq!(reqs[0].1.method(), &Method::ACK);
        assert_eq!(target(&reqs[0].1), "sips:bob@example.net");
        assert_eq!(waiting(&b), 0, "nothing awaits an answer to the ACK");
        let bye = dialog.request(Method::BYE).unwrap();
        b.handle_inside(now, Message::Request(bye));
        let reqs = to_peer_requests(&drain(&mut b));
        assert_eq!(reqs.len(), 1, "the BYE crosses");
        let (_, bye) = &reqs[0];
        assert_eq!(key_of(bye.headers()).unwrap().1, 2);
        let out = from_net(&mut b, Response::from_request(bye, StatusCode::OK));
        assert_eq!(out.len(), 1, "its 200 comes back inside");
        assert_eq!(out[0].dest, Dest::Inside);
        assert_eq!(waiting(&b), 0);

        // The other way: example.net's user calls ours.
        let (ct, body) = sdp("v=0\r\n");
        let invite = NewRequest {
            method: Method::INVITE,
            to: "sips:alice@example.com",
            from: "sips:bob@example.net",
            tag: "bt2",
            call_id: "call2",
            contact: Some("sips:bob@example.net"),
            event: None,
            expires: None,
        }
        .build(Some((&ct, body)))
        .unwrap();
        let from_peer = |b: &mut Border, r: Request| {
            b.handle_peer_over(now, &conn, LinkTransport::Tls, Message::Request(r));
            drain(b)
        };
        let out = from_peer(&mut b, invite.clone());
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].dest, Dest::Inside);
        let mut ringing = Response::from_request(&invite, StatusCode::RINGING);
        ringing.set_to_tag("at2");
        b.handle_inside(now, Message::Response(ringing));
        let mut ok = Response::from_request(&invite, StatusCode::OK);
        ok.set_to_tag("at2");
        ok.headers_mut()
            .push(HeaderName::CONTACT, "<sips:alice@example.com>");
        b.handle_inside(now, Message::Response(ok.clone()));
        let out = drain(&mut b);
        let statuses: Vec<(Dest, u16)> = out
            .iter()
            .filter_map(|t| match &t.message {
                Message::Response(x) => Some((t.dest.clone(), x.status().as_u16())),
                _ => None,
            })
            .collect();
        assert_eq!(
            statuses,
            [(Dest::peer(NET, true), 180), (Dest::peer(NET, true), 200)]
        );
        let mut dialog = sip_core::dialog::Dialog::uac(&invite, &ok).unwrap();
        let out = from_peer(&mut b, dialog.ack(1).unwrap());
        assert!(
            matches!(&out[..], [Transmit { dest: Dest::Inside, message: Message::Request(a) }] if *a.method() == Method::ACK),
            "{out:?}"
        );
        assert_eq!(waiting(&b), 0, "nothing awaits an answer to the ACK");
        let bye = dialog.request(Method::BYE).unwrap();
        let out = from_peer(&mut b, bye.clone());
        assert_eq!(out.len(), 1);
        b.handle_inside(
            now,
            Message::Response(Response::from_request(&bye, StatusCode::OK)),
        );
        let out = drain(&mut b);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].dest, Dest::peer(NET, true));
        assert_eq!(waiting(&b), 0);
        assert!(log.lock().unwrap().is_empty(), "nothing refused");
        // 64*T1 after the 2xx, nothing is left.
        assert_eq!(b.relayed.len(), 2, "the two INVITEs' answered relays");
        assert_eq!(b.poll_timeout(), Some(now + RELAY_LIFETIME));
        b.handle_timeout(now + RELAY_LIFETIME);
        assert!(b.relayed.is_empty());
        assert!(b.relay_expiry.is_empty());
    }

    #[test]
    fn unanswered_relays_are_forgotten_in_time_and_bounded() {
        let now = testkit::net::Clock::new().now();
        let (mut b, _) = border(PeerEntry::new(NET, PeerMode::PerView), false);
        let conn = PeerIdentity::from_domains([NET]);
        alice_sends(&mut b, now, Method::MESSAGE, "sip:bob@example.net", "m1");
        assert_eq!(drain(&mut b).len(), 1);
        assert_eq!(b.relayed.len(), 1);
        assert_eq!(b.poll_timeout(), Some(now + RELAY_LIFETIME));
        b.handle_timeout(now + RELAY_LIFETIME - Duration::from_millis(1));
        assert_eq!(b.relayed.len(), 1);
        b.handle_timeout(now + RELAY_LIFETIME);
        assert!(
            b.relayed.is_empty(),
            "never answered, forgotten after 64*T1"
        );
        // A late answer then goes nowhere.
        let late = request(
            Method::MESSAGE,
            "sip:bob@example.net",
            "sip:alice@example.com",
            "m1",
        );
        b.handle_peer(
            now + RELAY_LIFETIME,
            &conn,
            Message::Response(Response::from_request(&late, StatusCode::OK)),
        );
        assert!(drain(&mut b).is_empty());
        // However many go unanswered at once, at most MAX_RELAYED are kept.
        let t = now + RELAY_LIFETIME;
        for i in 0..MAX_RELAYED + 10 {
            let m = request(
                Method::MESSAGE,
                "sip:bob@example.net",
                "sip:alice@example.com",
                &format!("c{i}"),
            );
            b.handle_inside(t, Message::Request(m));
        }
        drain(&mut b);
        assert_eq!(b.relayed.len(), MAX_RELAYED);
        assert_eq!(b.relay_expiry.len(), MAX_RELAYED);
        let first = request(
            Method::MESSAGE,
            "sip:bob@example.net",
            "sip:alice@example.com",
            "c0",
        );
        b.handle_peer(
            t,
            &conn,
            Message::Response(Response::from_request(&first, StatusCode::OK)),
        );
        assert!(drain(&mut b).is_empty(), "the oldest was dropped");
        let last = request(
            Method::MESSAGE,
            "sip:bob@example.net",
            "sip:alice@example.com",
            &format!("c{}", MAX_RELAYED + 9),
        );
        b.handle_peer(
            t,
            &conn,
            Message::Response(Response::from_request(&last, StatusCode::OK)),
        );
        assert_eq!(drain(&mut b).len(), 1, "the newest is still relayed");
    }

    fn status_to(out: &[Transmit]) -> Vec<(Dest, u16)> {
        out.iter()
            .filter_map(|t| match &t.message {
                Message::Response(x) => Some((t.dest.clone(), x.status().as_u16())),
                Message::Request(_) => None,
            })
            .collect()
    }

    #[test]
    fn a_routing_loop_through_the_border_ends_with_483() {
        // The inside network sends what the border relays straight back to
        // it: each pass takes a hop off, and the 71st is answered 483.
        let now = testkit::net::Clock::new().now();
        let (mut b, _) = border(PeerEntry::new(NET, PeerMode::PerView), false);
        let mut r = request(
            Method::MESSAGE,
            "sip:bob@example.net",
            "sip:alice@example.com",
            "loop",
        );
        assert_eq!(
            r.headers().typed::<MaxForwards>(),
            Ok(Some(MaxForwards(70)))
        );
        let mut relays = 0;
        let answers = loop {
            b.handle_inside(now, Message::Request(r.clone()));
            let out = drain(&mut b);
            match to_peer_requests(&out).pop() {
                Some((_, next)) => {
                    relays += 1;
                    assert_eq!(
                        next.headers().typed::<MaxForwards>(),
                        Ok(Some(MaxForwards(70 - relays)))
                    );
                    r = next;
                }
                None => break status_to(&out),
            }
            assert!(relays <= 70, "the loop did not end");
        };
        assert_eq!(relays, 70);
        assert_eq!(answers, [(Dest::Inside, 483)]);
        assert_eq!(b.stats().hops_refused, 1);
    }

    #[test]
    fn a_peer_request_out_of_hops_is_answered_not_relayed() {
        let now = testkit::net::Clock::new().now();
        let (mut b, log) = border(PeerEntry::new(NET, PeerMode::PerView), false);
        let conn = PeerIdentity::from_domains([NET]);
        let from_bob = |m: Method, hops: &str| {
            let mut r = request(m, "sip:alice@example.com", "sip:bob@example.net", "p1");
            r.headers_mut().set(
                HeaderName::MAX_FORWARDS,
                Bytes::copy_from_slice(hops.as_bytes()),
            );
            Message::Request(r)
        };
        // One hop left: relayed inside with none.
        b.handle_peer(now, &conn, from_bob(Method::MESSAGE, "1"));
        let out = drain(&mut b);
        assert!(matches!(
            &out[..],
            [Transmit { dest: Dest::Inside, message: Message::Request(r) }]
                if r.headers().typed::<MaxForwards>() == Ok(Some(MaxForwards(0)))
        ));
        // None left, or unreadable: answered to the peer.
        b.handle_peer(now, &conn, from_bob(Method::MESSAGE, "0"));
        b.handle_peer(now, &conn, from_bob(Method::MESSAGE, "many"));
        assert_eq!(
            status_to(&drain(&mut b)),
            [(Dest::peer(NET, false), 483), (Dest::peer(NET, false), 400)]
        );
        // An ACK is never answered: dropped.
        b.handle_peer(now, &conn, from_bob(Method::ACK, "0"));
        assert!(drain(&mut b).is_empty());
        assert_eq!(b.stats().hops_refused, 3);
        assert!(log.lock().unwrap().is_empty(), "not an identity refusal");
    }

    /// The one message a border handed out, and where.
    fn only(b: &mut Border) -> (Dest, Message) {
        let mut out = drain(b);
        assert_eq!(out.len(), 1, "{out:?}");
        let t = out.remove(0);
        (t.dest, t.message)
    }

    fn values(m: &Message, name: HeaderName) -> Vec<String> {
        m.headers()
            .get_all(&name)
            .map(|v| String::from_utf8_lossy(v).into_owned())
            .collect()
    }

    #[test]
    fn a_dialog_with_address_contacts_crosses_both_borders_by_record_route() {
        let now = testkit::net::Clock::new().now();
        let mut a = Border::new(BorderConfig::new(
            COM,
            vec![PeerEntry::new(NET, PeerMode::PerView)],
        ));
        let mut b = Border::new(BorderConfig::new(
            NET,
            vec![PeerEntry::new(COM, PeerMode::PerView)],
        ));
        let (from_com, from_net) = (
            PeerIdentity::from_domains([COM]),
            PeerIdentity::from_domains([NET]),
        );
        // Alice calls Bob; her Contact is an address.
        let mut invite = request(
            Method::INVITE,
            "sip:bob@example.net",
            "sip:alice@example.com",
            "call",
        );
        invite
            .headers_mut()
            .set(HeaderName::CONTACT, "<sip:alice@192.0.2.1:5060>");
        a.handle_inside(now, Message::Request(invite));
        let (dest, m) = only(&mut a);
        assert_eq!(dest, Dest::peer(NET, false));
        assert_eq!(
            values(&m, HeaderName::RECORD_ROUTE),
            ["<sip:example.com;lr;peer=example.net>"]
        );
        b.handle_peer(now, &from_com, m);
        let (dest, Message::Request(at_bob)) = only(&mut b) else {
            panic!("a request")
        };
        assert_eq!(dest, Dest::Inside);
        let rr = values(&Message::Request(at_bob.clone()), HeaderName::RECORD_ROUTE);
        assert_eq!(
            rr,
            [
                "<sip:example.net;lr;peer=example.com>",
                "<sip:example.com;lr;peer=example.net>"
            ]
        );
        // Bob answers from an address too, the Record-Route copied
        // (RFC 3261 section 12.1.1); the 200 goes back the same way.
        let mut ok = Response::from_request(&at_bob, StatusCode::OK);
        ok.set_to_tag("bob1");
        for v in &rr {
            ok.headers_mut()
                .push(HeaderName::RECORD_ROUTE, Bytes::from(v.clone()));
        }
        ok.headers_mut()
            .set(HeaderName::CONTACT, "<sip:bob@198.51.100.2:5060>");
        b.handle_inside(now, Message::Response(ok.clone()));
        let (dest, m) = only(&mut b);
        assert_eq!(dest, Dest::peer(COM, false));
        a.handle_peer(now, &from_net, m);
        assert_eq!(only(&mut a).0, Dest::Inside);
        // Alice's INFO: to Bob's address, through the route set (the
        // Record-Route reversed, RFC 3261 section 12.1.2).
        let in_dialog = |m: Method, from: &str, to: &str, target: &str, route: [&str; 2]| {
            let mut r = request(m, target, from, "call");
            r.headers_mut()
                .set(HeaderName::TO, format!("<{to}>;tag=bob1"));
            for v in route {
                r.headers_mut().push(HeaderName::ROUTE, v.to_owned());
            }
            Message::Request(r)
        };
        a.handle_inside(
            now,
            in_dialog(
                Method::INFO,
                "sip:alice@example.com",
                "sip:bob@example.net",
                "sip:bob@198.51.100.2:5060",
                [rr[1].as_str(), rr[0].as_str()],
            ),
        );
        let (dest, m) = only(&mut a);
        assert_eq!(dest, Dest::peer(NET, false));
        assert_eq!(values(&m, HeaderName::ROUTE), [rr[0].as_str()]);
        assert!(values(&m, HeaderName::RECORD_ROUTE).is_empty());
        b.handle_peer(now, &from_com, m);
        let (dest, Message::Request(at_bob)) = only(&mut b) else {
            panic!("a request")
        };
        assert_eq!(dest, Dest::Inside);
        assert_eq!(target(&at_bob), "sip:bob@198.51.100.2:5060");
        assert!(at_bob.headers().get(&HeaderName::ROUTE).is_none());
        // Bob's BYE the other way: his route set is the Record-Route in
        // order.
        let bobs_bye = || {
            in_dialog(
                Method::BYE,
                "sip:bob@example.net",
                "sip:alice@example.com",
                "sip:alice@192.0.2.1:5060",
                [rr[0].as_str(), rr[1].as_str()],
            )
        };
        b.handle_inside(now, bobs_bye());
        let (dest, m) = only(&mut b);
        assert_eq!(dest, Dest::peer(COM, false));
        a.handle_peer(now, &from_net, m.clone());
        let (dest, Message::Request(at_alice)) = only(&mut a) else {
            panic!("a request")
        };
        assert_eq!(dest, Dest::Inside);
        assert_eq!(target(&at_alice), "sip:alice@192.0.2.1:5060");
        // The BYE ended the dialog: the same request again is not routed.
        a.handle_peer(now, &from_net, m);
        assert_eq!(status_to(&drain(&mut a)), [(Dest::peer(NET, false), 404)]);
        // Nor is a peer's request with our entry for a dialog we never
        // record-routed: the entry alone does not open the inside.
        let forged = {
            let mut r = request(
                Method::MESSAGE,
                "sip:printer@10.0.0.9",
                "sip:bob@example.net",
                "forged",
            );
            r.headers_mut().push(HeaderName::ROUTE, rr[1].clone());
            Message::Request(r)
        };
        a.handle_peer(now, &from_net, forged);
        assert_eq!(status_to(&drain(&mut a)), [(Dest::peer(NET, false), 404)]);
        // Our entry naming another peer does not route a peer's request.
        let mut c = BorderConfig::new(COM, vec![PeerEntry::new(NET, PeerMode::PerView)]);
        c.peers
            .push(PeerEntry::new("example.org", PeerMode::PerView));
        let mut a2 = Border::new(c);
        let org_bye = {
            let mut r = request(
                Method::BYE,
                "sip:alice@192.0.2.1:5060",
                "sip:carol@example.org",
                "other",
            );
            r.headers_mut().push(HeaderName::ROUTE, rr[1].clone());
            Message::Request(r)
        };
        a2.handle_peer(now, &PeerIdentity::from_domains(["example.org"]), org_bye);
        let out = drain(&mut a2);
        assert_eq!(status_to(&out), [(Dest::peer("example.org", false), 404)]);
    }

    #[test]
    fn a_tls_peer_is_record_routed_with_sips() {
        let now = testkit::net::Clock::new().now();
        let (mut a, _) = border(PeerEntry::new(NET, PeerMode::PerView).tls(), false);
        alice_sends(&mut a, now, Method::INVITE, "sip:bob@example.net", "t1");
        let (dest, m) = only(&mut a);
        assert_eq!(dest, Dest::peer(NET, true));
        let rr = values(&m, HeaderName::RECORD_ROUTE);
        assert_eq!(rr, ["<sips:example.com;lr;peer=example.net>"]);
        let mut bye = request(
            Method::BYE,
            "sip:bob@198.51.100.2",
            "sip:alice@example.com",
            "t1",
        );
        bye.headers_mut().push(HeaderName::ROUTE, rr[0].clone());
        a.handle_inside(now, Message::Request(bye));
        let (dest, m) = only(&mut a);
        assert_eq!(dest, Dest::peer(NET, true));
        let Message::Request(r) = m else { panic!() };
        assert_eq!(target(&r), "sips:bob@198.51.100.2");
    }

    #[test]
    fn only_the_peer_a_request_went_to_answers_it() {
        let now = testkit::net::Clock::new().now();
        let mut c = BorderConfig::new(COM, vec![PeerEntry::new(NET, PeerMode::PerView)]);
        c.peers
            .push(PeerEntry::new("example.org", PeerMode::PerView));
        let mut b = Border::new(c);
        let r = request(
            Method::MESSAGE,
            "sip:bob@example.net",
            "sip:alice@example.com",
            "m1",
        );
        b.handle_inside(now, Message::Request(r.clone()));
        assert_eq!(only(&mut b).0, Dest::peer(NET, false));
        let ok = || Message::Response(Response::from_request(&r, StatusCode::OK));
        // Another peer, and the inside network, cannot answer it.
        b.handle_peer(now, &PeerIdentity::from_domains(["example.org"]), ok());
        b.handle_inside(now, ok());
        assert!(drain(&mut b).is_empty());
        // The peer it went to can.
        b.handle_peer(now, &PeerIdentity::from_domains([NET]), ok());
        assert_eq!(status_to(&drain(&mut b)), [(Dest::Inside, 200)]);
    }

    #[test]
    fn a_failed_dialog_does_not_keep_its_route_open() {
        let now = testkit::net::Clock::new().now();
        let (mut a, _) = border(PeerEntry::new(NET, PeerMode::PerView), false);
        let from_net = PeerIdentity::from_domains([NET]);
        // Bob (example.net) calls Alice through the border, twice.
        let invite = |call: &str| {
            let mut r = request(
                Method::INVITE,
                "sip:alice@example.com",
                "sip:bob@example.net",
                call,
            );
            r.headers_mut()
                .set(HeaderName::CONTACT, "<sip:bob@198.51.100.2>");
            r
        };
        let answer = |a: &mut Border, r: &Request, code: u16| {
            let mut x = Response::from_request(r, StatusCode::new(code).unwrap());
            x.set_to_tag("alice1");
            a.handle_inside(now, Message::Response(x));
            assert_eq!(status_to(&drain(a)), [(Dest::peer(NET, false), code)]);
        };
        let peers_request = |m: Method, call: &str| {
            let mut r = request(m, "sip:alice@192.0.2.1", "sip:bob@example.net", call);
            r.headers_mut()
                .set(HeaderName::TO, "<sip:alice@example.com>;tag=alice1");
            r.headers_mut()
                .push(HeaderName::ROUTE, "<sip:example.com;lr;peer=example.net>");
            Message::Request(r)
        };
        for call in ["busy", "taken"] {
            a.handle_peer(now, &from_net, Message::Request(invite(call)));
            let (_, Message::Request(at_alice)) = only(&mut a) else {
                panic!()
            };
            answer(&mut a, &at_alice, if call == "busy" { 486 } else { 200 });
        }
        // The refused call's Call-ID no longer routes; the answered one does.
        a.handle_peer(now, &from_net, peers_request(Method::INFO, "busy"));
        assert_eq!(status_to(&drain(&mut a)), [(Dest::peer(NET, false), 404)]);
        a.handle_peer(now, &from_net, peers_request(Method::INVITE, "taken"));
        let (dest, Message::Request(reinvite)) = only(&mut a) else {
            panic!()
        };
        assert_eq!(dest, Dest::Inside);
        // A re-INVITE that fails does not end a confirmed dialog.
        let mut x = Response::from_request(&reinvite, StatusCode::new(491).unwrap());
        x.set_to_tag("alice1");
        a.handle_inside(now, Message::Response(x));
        drain(&mut a);
        a.handle_peer(now, &from_net, peers_request(Method::BYE, "taken"));
        assert_eq!(only(&mut a).0, Dest::Inside);
    }

    #[test]
    fn record_routed_dialogs_lapse_when_idle_and_are_bounded() {
        let now = testkit::net::Clock::new().now();
        let mut d = RoutedDialogs::default();
        d.touch(now, Bytes::from_static(b"c0"), NET);
        let later = now + ROUTED_DIALOG_IDLE - Duration::from_secs(1);
        assert_eq!(d.peer(later, b"c0"), Some(NET));
        // Used: known for another idle period from then.
        d.touch(later, Bytes::from_static(b"c0"), NET);
        assert_eq!(d.peer(now + ROUTED_DIALOG_IDLE, b"c0"), Some(NET));
        assert_eq!(d.peer(later + ROUTED_DIALOG_IDLE, b"c0"), None);
        assert!(d.expiry.is_empty());
        // However many, at most MAX_ROUTED_DIALOGS; the idlest go first.
        for i in 0..MAX_ROUTED_DIALOGS + 3 {
            d.touch(now, Bytes::from(format!("d{i}")), NET);
        }
        assert_eq!(d.by_call.len(), MAX_ROUTED_DIALOGS);
        assert_eq!(d.expiry.len(), MAX_ROUTED_DIALOGS);
        assert_eq!(d.peer(now, b"d2"), None);
        assert_eq!(d.peer(now, b"d3"), Some(NET));
    }

    #[test]
    fn without_record_route_an_address_target_is_not_routed() {
        let now = testkit::net::Clock::new().now();
        let mut c = BorderConfig::new(COM, vec![PeerEntry::new(NET, PeerMode::PerView)]);
        c.record_route = None;
        let mut a = Border::new(c);
        alice_sends(&mut a, now, Method::INVITE, "sip:bob@example.net", "i1");
        let (_, m) = only(&mut a);
        assert!(values(&m, HeaderName::RECORD_ROUTE).is_empty());
        alice_sends(&mut a, now, Method::BYE, "sip:bob@198.51.100.2", "i1");
        assert_eq!(status_to(&drain(&mut a)), [(Dest::Inside, 404)]);
    }

    #[test]
    fn a_tls_peer_over_plain_is_refused() {
        let now = testkit::net::Clock::new().now();
        let (mut b, log) = border(PeerEntry::new(NET, PeerMode::PerView).tls(), false);
        let conn = PeerIdentity::from_domains([NET]);
        let m = request(
            Method::MESSAGE,
            "sip:alice@example.com",
            "sip:bob@example.net",
            "m1",
        );
        b.handle_peer(now, &conn, Message::Request(m.clone()));
        let out = drain(&mut b);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].dest, Dest::peer(NET, false));
        assert!(
            matches!(&out[0].message, Message::Response(x) if x.status() == StatusCode::FORBIDDEN)
        );
        assert_eq!(
            log.lock().unwrap()[0].reason,
            Refusal::TlsRequired(NET.into())
        );
        // Anonymous and plain: still the TLS requirement that is reported.
        b.handle_peer(now, &PeerIdentity::none(), Message::Request(m.clone()));
        drain(&mut b);
        assert_eq!(
            log.lock().unwrap()[1].reason,
            Refusal::TlsRequired(NET.into())
        );
        // Over TLS it goes in; the response goes back over TLS.
        b.handle_peer_over(now, &conn, LinkTransport::Tls, Message::Request(m.clone()));
        let out = drain(&mut b);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].dest, Dest::Inside);
        b.handle_inside(
            now,
            Message::Response(Response::from_request(&m, StatusCode::OK)),
        );
        assert_eq!(drain(&mut b)[0].dest, Dest::peer(NET, true));
        // TLS, but the certificate is someone else's.
        let other = PeerIdentity::from_domains(["example.org"]);
        b.handle_peer_over(now, &other, LinkTransport::Tls, Message::Request(m));
        drain(&mut b);
        assert!(matches!(
            &log.lock().unwrap()[2].reason,
            Refusal::NotAuthenticated { claimed, .. } if claimed == NET
        ));
        assert_eq!(b.stats().refused, 3);
    }

    #[test]
    fn a_sips_request_over_plain_is_refused() {
        let now = testkit::net::Clock::new().now();
        let (mut b, log) = border(PeerEntry::new(NET, PeerMode::PerView), false);
        let conn = PeerIdentity::from_domains([NET]);
        let m = request(
            Method::MESSAGE,
            "sips:alice@example.com",
            "sip:bob@example.net",
            "m1",
        );
        b.handle_peer(now, &conn, Message::Request(m.clone()));
        drain(&mut b);
        assert_eq!(
            log.lock().unwrap()[0].reason,
            Refusal::TlsRequired(COM.into())
        );
        b.handle_peer_over(now, &conn, LinkTransport::Tls, Message::Request(m));
        assert_eq!(drain(&mut b)[0].dest, Dest::Inside);
        assert_eq!(log.lock().unwrap().len(), 1);
    }

    #[test]
    fn via_sent_by_is_checked_when_configured() {
        let now = testkit::net::Clock::new().now();
        let conn = PeerIdentity::from_domains([NET]);
        let with_via = |via: Option<&str>| {
            let mut m = request(
                Method::MESSAGE,
                "sip:alice@example.com",
                "sip:bob@example.net",
                "v",
            );
            if let Some(v) = via {
                m.headers_mut().push(HeaderName::VIA, v.to_owned());
            }
            m
        };
        let (mut b, log) = border(PeerEntry::new(NET, PeerMode::PerView), true);
        for (via, ok) in [
            (Some("SIP/2.0/TLS Example.NET;branch=z9hG4bK1"), true),
            (Some("SIP/2.0/TLS example.net:5061;branch=z9hG4bK2"), true),
            (Some("SIP/2.0/TLS 192.0.2.7:5061;branch=z9hG4bK3"), false),
            (Some("SIP/2.0/TLS sip.example.net;branch=z9hG4bK4"), false),
            (None, false),
        ] {
            b.handle_peer(now, &conn, Message::Request(with_via(via)));
            let out = drain(&mut b);
            assert_eq!(out[0].dest == Dest::Inside, ok, "{via:?}");
        }
        let reasons: Vec<_> = log
            .lock()
            .unwrap()
            .iter()
            .map(|r| r.reason.clone())
            .collect();
        let presented = vec![NET.to_owned()];
        assert_eq!(
            reasons,
            [
                Refusal::ViaNotAuthenticated {
                    sent_by: Some("192.0.2.7".into()),
                    presented: presented.clone()
                },
                Refusal::ViaNotAuthenticated {
                    sent_by: Some("sip.example.net".into()),
                    presented: presented.clone()
                },
                Refusal::ViaNotAuthenticated {
                    sent_by: None,
                    presented
                },
            ]
        );
        // Off (the default): the sent-by is not looked at.
        let (mut b, log) = border(PeerEntry::new(NET, PeerMode::PerView), false);
        b.handle_peer(
            now,
            &conn,
            Message::Request(with_via(Some("SIP/2.0/UDP 192.0.2.7;branch=z9hG4bK5"))),
        );
        assert_eq!(drain(&mut b)[0].dest, Dest::Inside);
        assert!(log.lock().unwrap().is_empty());
    }

    fn rlmi_notify(
        s: &Request,
        to_tag: &str,
        cseq: u32,
        version: u32,
        full: bool,
        note: &str,
    ) -> Request {
        let mut rlmi = Rlmi::new("sip:friends@example.net", version, full);
        rlmi.resources.push(
            Resource::new(bob()).with_instance(
                Instance::new("i1", rls::rlmi::InstanceState::Active).with_cid("p1"),
            ),
        );
        let n = RlmiNotification {
            rlmi,
            root_cid: "root".into(),
            parts: vec![StatePart {
                cid: "p1".into(),
                content_type: views::PIDF.into(),
                body: format!(
                    "<presence xmlns=\"urn:ietf:params:xml:ns:pidf\" entity=\"{}\">\
                     <tuple id=\"t\"><status><basic>open</basic></status><note>{note}</note></tuple></presence>",
                    bob()
                )
                .into_bytes(),
            }],
        };
        let enc = n.encode(1);
        let mut r = RequestBuilder::new(
            Method::NOTIFY,
            Uri::parse_str("sips:border@example.com").unwrap(),
        )
        .header(
            HeaderName::FROM,
            format!("<sip:friends@example.net>;tag={to_tag}"),
        )
        .header(HeaderName::TO, header(s, HeaderName::FROM).to_owned())
        .header(
            HeaderName::CALL_ID,
            header(s, HeaderName::CALL_ID).to_owned(),
        )
        .header(HeaderName::CSEQ, format!("{cseq} NOTIFY"))
        .header(HeaderName::EVENT, "presence")
        .header(HeaderName::SUBSCRIPTION_STATE, "active;expires=3600")
        .header(HeaderName::REQUIRE, "eventlist")
        .header(HeaderName::CONTACT, "<sip:rls.example.net>")
        .header(HeaderName::CONTENT_TYPE, enc.content_type)
        .build();
        r.set_body(enc.body);
        r
    }

    fn bob() -> &'static str {
        "sip:bob@example.net"
    }

    /// The RLMI (version, fullState) and notes of a local NOTIFY.
    fn rlmi_of(r: &Request) -> (u32, bool, String) {
        let ct = header(r, HeaderName::CONTENT_TYPE);
        let n = RlmiNotification::parse(ct, r.body(), &Default::default()).unwrap();
        let body = String::from_utf8(n.parts[0].body.clone()).unwrap();
        (n.rlmi.version, n.rlmi.full_state, body)
    }

    #[test]
    fn a_local_list_subscription_renumbers_refreshes_and_skips_gaps() {
        let now = testkit::net::Clock::new().now();
        let (mut b, _) = border(PeerEntry::new(NET, PeerMode::PerView).tls(), false);
        let conn = PeerIdentity::from_domains([NET]);
        let mut sub = request(
            Method::SUBSCRIBE,
            "sip:friends@example.net",
            "sip:alice@example.com",
            "l1",
        );
        sub.headers_mut().push(HeaderName::SUPPORTED, "eventlist");
        b.handle_inside(now, Message::Request(sub.clone()));
        let out = drain(&mut b);
        let ok = match &out[0].message {
            Message::Response(x) => x.clone(),
            m => panic!("{m:?}"),
        };
        assert_eq!(
            header_str(ok.headers(), &HeaderName::REQUIRE),
            Some("eventlist")
        );
        let backend = to_peer_requests(&out);
        assert_eq!(backend.len(), 1);
        let (tls, s) = &backend[0];
        assert!(*tls);
        assert_eq!(target(s), "sips:friends@example.net");
        assert!(header(s, HeaderName::SUPPORTED).contains("eventlist"));
        assert_eq!(b.stats().list_backends, 1);
        // The back end comes up with full state: Alice gets it as version 0.
        let mut ok_be = Response::from_request(s, StatusCode::OK);
        ok_be.set_to_tag("r1");
        b.handle_peer_over(now, &conn, LinkTransport::Tls, Message::Response(ok_be));
        let n = rlmi_notify(s, "r1", 1, 7, true, "one");
        b.handle_peer_over(now, &conn, LinkTransport::Tls, Message::Request(n));
        let out = drain(&mut b);
        let local: Vec<&Request> = out
            .iter()
            .filter_map(|t| match (&t.dest, &t.message) {
                (Dest::Inside, Message::Request(r)) => Some(r),
                _ => None,
            })
            .collect();
        assert_eq!(local.len(), 1);
        let (v, full, body) = rlmi_of(local[0]);
        assert_eq!((v, full), (0, true));
        assert!(body.contains("one"));
        // Version 9 after 7: a gap. Not passed on; the back end refreshes.
        let n = rlmi_notify(s, "r1", 2, 9, false, "lost");
        b.handle_peer_over(now, &conn, LinkTransport::Tls, Message::Request(n));
        let out = drain(&mut b);
        assert!(out.iter().all(|t| t.dest != Dest::Inside), "{out:?}");
        let again = to_peer_requests(&out);
        assert_eq!(again.len(), 1);
        assert_eq!(again[0].1.method(), &Method::SUBSCRIBE);
        // The next one in sequence goes out, renumbered 1.
        let n = rlmi_notify(s, "r1", 3, 10, false, "two");
        b.handle_peer_over(now, &conn, LinkTransport::Tls, Message::Request(n));
        let out = drain(&mut b);
        let (v, full, body) = match &out.last().unwrap().message {
            Message::Request(r) => rlmi_of(r),
            m => panic!("{m:?}"),
        };
        assert_eq!((v, full), (1, false));
        assert!(body.contains("two"));
        // Alice refreshes: full state, version 2.
        let mut refresh = sub.clone();
        refresh.headers_mut().set(
            HeaderName::TO,
            format!("<sip:friends@example.net>;tag={}", {
                let t = header_str(ok.headers(), &HeaderName::TO).unwrap();
                t.rsplit_once("tag=").unwrap().1.to_owned()
            }),
        );
        refresh.headers_mut().set(HeaderName::CSEQ, "2 SUBSCRIBE");
        b.handle_inside(now, Message::Request(refresh));
        let out = drain(&mut b);
        assert_eq!(out.len(), 2, "{out:?}");
        let (v, full, body) = match &out[1].message {
            Message::Request(r) => rlmi_of(r),
            m => panic!("{m:?}"),
        };
        assert_eq!((v, full), (2, true));
        assert!(body.contains("two"));
    }

    #[test]
    fn secure_uris() {
        for (a, b) in [
            ("sip:bob@example.net", "sips:bob@example.net"),
            (
                "SIP:bob@example.net:5060;transport=UDP;lr",
                "sips:bob@example.net:5060;lr",
            ),
            (
                "sip:example.net;transport=tcp",
                "sips:example.net;transport=tcp",
            ),
            ("sips:bob@example.net", "sips:bob@example.net"),
            ("tel:+123", "tel:+123"),
        ] {
            assert_eq!(secure_uri_str(a), b, "{a}");
        }
    }
}
