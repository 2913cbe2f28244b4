//! The clearing house: a hub several peer networks connect through
//! (RFC 5344 section 3 calls it a federation's central element). It
//! authenticates each network by what its connection presented, forwards
//! requests to the network of their Request-URI and responses back the way
//! the request came, and hands every message crossing it to a logging hook
//! (whole, or headers only), a refused request with why ([`HubRefusal`];
//! the answer itself carries only its status code).
//!
//! A forwarded request loses one from its Max-Forwards (70 is added where
//! there is none); one that has none left is answered 483 instead
//! (RFC 3261 sections 16.3 and 16.6), so a misrouted request cannot go
//! round between the hub and its members for ever.
//!
//! A response is forwarded only when it comes from the network its request
//! was forwarded to, and only back to the network that sent the request;
//! provisional responses pass without ending the relay, the final one ends
//! it. At most [`MAX_RELAYED`] requests await their final response; beyond
//! that the oldest is forgotten (its late responses are then dropped), so
//! requests that are never answered cannot grow the hub without bound.
//!
//! A border behind the hub treats the hub's connection as authenticated for
//! the networks the hub federates: the hub has already checked each
//! request's From and P-Asserted-Identity against its sender's connection.
//!
//! A member may require TLS ([`Network::tls`]), as a border's peer can
//! ([`PeerEntry::tls`](crate::border::PeerEntry::tls)). With
//! [`ClearingHouse::handle_over`] telling the hub how each message arrived,
//! it refuses with 403 a request that did not come over TLS from such a
//! member, for such a member, or for a `sips:` Request-URI (RFC 3261
//! section 26.2.2: TLS on every hop), and drops such a member's responses
//! that did not come over TLS. [`ClearingHouse::requires_tls`] tells the
//! application which members it must send to over TLS only.

use std::collections::{HashMap, VecDeque};
use std::fmt;

use sip_core::header::{CSeq, CallId};
use sip_core::{Bytes, HopError, Message, Method, Request, Response, StatusCode};

use crate::border::LinkTransport;
use crate::identity::PeerIdentity;
use crate::sip::{domain_of, from_uri, pai_uri, target};

/// How many forwarded requests may await a final response at once.
pub const MAX_RELAYED: usize = 65_536;

type Key = (Bytes, u32, Method);

/// Where a forwarded request went and where its responses go back to.
#[derive(Debug)]
struct Relay {
    back_to: String,
    sent_to: String,
}

/// One member network.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Network {
    /// Its SIP domain.
    pub domain: String,
    /// Everything to and from it must cross over TLS (see the module
    /// docs).
    pub require_tls: bool,
}

impl Network {
    /// A member that does not require TLS.
    ///
    /// ```
    /// use simple_presence::hub::Network;
    /// let net = Network::new("example.net").tls();
    /// assert!(net.require_tls);
    /// ```
    pub fn new(domain: impl Into<String>) -> Self {
        Network {
            domain: domain.into(),
            require_tls: false,
        }
    }

    /// The same member, requiring TLS.
    pub fn tls(mut self) -> Self {
        self.require_tls = true;
        self
    }
}

/// What the log hook sees for each message crossing the hub.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Crossing {
    /// The sending network (empty when unauthenticated).
    pub from: String,
    /// The receiving network (empty when refused).
    pub to: String,
    /// The message as it crossed; with `headers_only`, the start line and
    /// headers alone.
    pub bytes: Vec<u8>,
    /// Why it was refused instead of forwarded; `None` when forwarded.
    pub refusal: Option<HubRefusal>,
}

impl Crossing {
    /// Whether the message was refused instead of forwarded.
    pub fn is_refused(&self) -> bool {
        self.refusal.is_some()
    }
}

/// Why the hub refused a request, for its log hook ([`Crossing`]). The
/// answer itself carries only the status code.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum HubRefusal {
    /// The connection authenticated no member network (403).
    NotAMember,
    /// TLS was required (by a member at either end, or by a `sips:`
    /// Request-URI) and the request came in the clear (403).
    TlsRequired,
    /// The request has no From or P-Asserted-Identity domain (403).
    NoIdentity,
    /// A From or P-Asserted-Identity domain is not a member's, or not one
    /// the connection authenticated (403).
    ForeignIdentity(String),
    /// The Request-URI is in no member's domain (404).
    UnknownDestination(String),
    /// Max-Forwards had run out (483) or could not be read (400).
    Hops(HopError),
}

impl HubRefusal {
    /// The status code the hub answers with.
    pub fn status_code(&self) -> StatusCode {
        match self {
            HubRefusal::UnknownDestination(_) => StatusCode::NOT_FOUND,
            HubRefusal::Hops(e) => e.status_code(),
            _ => StatusCode::FORBIDDEN,
        }
    }
}

impl fmt::Display for HubRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HubRefusal::NotAMember => f.write_str("the connection authenticated no member"),
            HubRefusal::TlsRequired => f.write_str("TLS required, request came in the clear"),
            HubRefusal::NoIdentity => f.write_str("no From or P-Asserted-Identity domain"),
            HubRefusal::ForeignIdentity(d) => {
                write!(f, "identity domain {d} is not the connection's member")
            }
            HubRefusal::UnknownDestination(d) => write!(f, "no member for {d}"),
            HubRefusal::Hops(e) => write!(f, "not forwarded: {e}"),
        }
    }
}

/// A log hook.
pub type CrossingHook = Box<dyn FnMut(&Crossing) + Send>;

/// The clearing house. See the [module docs](self).
pub struct ClearingHouse {
    networks: Vec<Network>,
    out: VecDeque<(String, Message)>,
    relayed: HashMap<Key, Relay>,
    /// Keys of `relayed` in the order they were added (may hold keys
    /// already answered; they are skipped on eviction).
    order: VecDeque<Key>,
    hook: Option<CrossingHook>,
    headers_only: bool,
    forwarded: u64,
    refused: u64,
}

impl fmt::Debug for ClearingHouse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClearingHouse")
            .field("networks", &self.networks)
            .field("forwarded", &self.forwarded)
            .field("refused", &self.refused)
            .finish_non_exhaustive()
    }
}

fn key_of(m: &Message) -> Option<Key> {
    let c: CallId = m.headers().typed().ok().flatten()?;
    let s: CSeq = m.headers().typed().ok().flatten()?;
    Some((c.0, s.seq, s.method))
}

impl ClearingHouse {
    /// A hub federating `networks`.
    pub fn new(networks: Vec<Network>) -> Self {
        ClearingHouse {
            networks,
            out: VecDeque::new(),
            relayed: HashMap::new(),
            order: VecDeque::new(),
            hook: None,
            headers_only: false,
            forwarded: 0,
            refused: 0,
        }
    }

    /// Sets the logging hook; `headers_only` keeps bodies out of the log.
    pub fn set_log(&mut self, hook: CrossingHook, headers_only: bool) {
        self.hook = Some(hook);
        self.headers_only = headers_only;
    }

    /// How many messages were forwarded, and how many requests were
    /// refused (403 for who sent them, 404 for where they go, 483 or 400 for
    /// their Max-Forwards; ACKs refused silently count too).
    pub fn counts(&self) -> (u64, u64) {
        (self.forwarded, self.refused)
    }

    /// The next message to send, with the network to send it to.
    pub fn poll_transmit(&mut self) -> Option<(String, Message)> {
        self.out.pop_front()
    }

    fn network(&self, d: &str) -> Option<&Network> {
        self.networks
            .iter()
            .find(|n| n.domain.eq_ignore_ascii_case(d))
    }

    fn log(&mut self, from: &str, to: &str, m: &Message, refusal: Option<HubRefusal>) {
        let headers_only = self.headers_only;
        if let Some(h) = &mut self.hook {
            let mut bytes = m.to_bytes().to_vec();
            if headers_only {
                if let Some(end) = bytes.windows(4).position(|w| w == b"\r\n\r\n") {
                    bytes.truncate(end + 4);
                }
            }
            h(&Crossing {
                from: from.to_owned(),
                to: to.to_owned(),
                bytes,
                refusal,
            });
        }
    }

    /// How many forwarded requests await their final response.
    pub fn pending(&self) -> usize {
        self.relayed.len()
    }

    fn remember(&mut self, k: Key, back_to: &str, sent_to: &str) {
        while self.relayed.len() >= MAX_RELAYED {
            match self.order.pop_front() {
                Some(old) => {
                    self.relayed.remove(&old);
                }
                None => break,
            }
        }
        // Answered keys linger in `order`; drop them before it outgrows
        // the map by much.
        if self.order.len() >= 2 * MAX_RELAYED {
            let relayed = &self.relayed;
            self.order.retain(|k| relayed.contains_key(k));
        }
        self.order.push_back(k.clone());
        self.relayed.insert(
            k,
            Relay {
                back_to: back_to.to_owned(),
                sent_to: sent_to.to_owned(),
            },
        );
    }

    /// Whether the member `domain` requires TLS: send to it over TLS only.
    pub fn requires_tls(&self, domain: &str) -> bool {
        self.network(domain).is_some_and(|n| n.require_tls)
    }

    /// A message from a network over a connection that authenticated `conn`,
    /// not over TLS ([`ClearingHouse::handle_over`] with
    /// [`LinkTransport::Plain`]).
    pub fn handle(&mut self, conn: &PeerIdentity, m: Message) {
        self.handle_over(conn, LinkTransport::Plain, m);
    }

    /// A message from a network over a connection of transport `over` that
    /// authenticated `conn` (for TLS: the domains its certificate was
    /// verified for, RFC 5922 section 7).
    pub fn handle_over(&mut self, conn: &PeerIdentity, over: LinkTransport, m: Message) {
        let source = self
            .networks
            .iter()
            .find(|n| conn.covers(&n.domain))
            .map(|n| n.domain.clone());
        let tls = over == LinkTransport::Tls;
        match m {
            Message::Response(ref r) => {
                if !tls && source.as_deref().is_some_and(|d| self.requires_tls(d)) {
                    return;
                }
                let Some(k) = key_of(&m) else { return };
                let Some(relay) = self.relayed.get(&k) else {
                    return;
                };
                // Only the network the request went to may answer it.
                if source.as_deref() != Some(relay.sent_to.as_str()) {
                    return;
                }
                let to = relay.back_to.clone();
                if r.status().is_final() {
                    self.relayed.remove(&k);
                }
                let from = source.unwrap_or_default();
                self.log(&from, &to, &m, None);
                self.forwarded += 1;
                self.out.push_back((to, m));
            }
            Message::Request(mut r) => {
                let from = source.clone().unwrap_or_default();
                let checked = self.check(conn, tls, source.as_deref(), &r);
                // A proxy takes a hop off what it forwards (RFC 3261
                // section 16.6 item 3), so a routing loop through the hub
                // ends with a 483 (section 16.3 item 2).
                let checked =
                    checked.and_then(|to| r.take_hop().map(|_| to).map_err(HubRefusal::Hops));
                let m = Message::Request(r);
                match checked {
                    Ok(to) => {
                        if let Some(k) = key_of(&m) {
                            self.remember(k, &from, &to);
                        }
                        self.log(&from, &to, &m, None);
                        self.forwarded += 1;
                        self.out.push_back((to, m));
                    }
                    Err(why) => {
                        self.refused += 1;
                        let code = why.status_code();
                        self.log(&from, "", &m, Some(why));
                        let Message::Request(r) = &m else { return };
                        if *r.method() == Method::ACK {
                            // Never answered (RFC 3261 section 17.1.1.3).
                            return;
                        }
                        let x = Message::Response(Response::from_request(r, code));
                        let back = conn
                            .domains()
                            .first()
                            .map(|d| d.as_str().to_owned())
                            .unwrap_or_default();
                        self.out.push_back((back, x));
                    }
                }
            }
        }
    }

    /// Checks a request from `source` (the member the connection
    /// authenticated) and returns the member it goes to.
    fn check(
        &self,
        conn: &PeerIdentity,
        tls: bool,
        source: Option<&str>,
        r: &Request,
    ) -> Result<String, HubRefusal> {
        let claimed: Vec<String> = [from_uri(r.headers()), pai_uri(r.headers())]
            .into_iter()
            .flatten()
            .filter_map(|u| domain_of(&u))
            .collect();
        let to = domain_of(&target(r)).unwrap_or_default();
        let dest = self.network(&to).is_some().then(|| to.clone());
        // TLS on every hop for a member that requires it, and for sips:
        // (RFC 3261 section 26.2.2).
        let needs_tls = r.uri().as_sip().is_some_and(|u| u.is_secure())
            || source.is_some_and(|d| self.requires_tls(d))
            || dest.as_deref().is_some_and(|d| self.requires_tls(d));
        if source.is_none() {
            return Err(HubRefusal::NotAMember);
        }
        if needs_tls && !tls {
            return Err(HubRefusal::TlsRequired);
        }
        if claimed.is_empty() {
            return Err(HubRefusal::NoIdentity);
        }
        if let Some(d) = claimed
            .iter()
            .find(|d| !conn.covers(d) || self.network(d).is_none())
        {
            return Err(HubRefusal::ForeignIdentity(d.clone()));
        }
        dest.ok_or(HubRefusal::UnknownDestination(to))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sip::NewRequest;
    use sip_core::header::MaxForwards;
    use sip_core::{HeaderName, Request};

    fn hub() -> ClearingHouse {
        ClearingHouse::new(
            ["example.com", "example.net", "example.org"]
                .into_iter()
                .map(Network::new)
                .collect(),
        )
    }

    fn subscribe(call: &str) -> Request {
        NewRequest {
            method: Method::SUBSCRIBE,
            to: "sip:bob@example.net",
            from: "sip:alice@example.com",
            tag: "t1",
            call_id: call,
            contact: Some("sip:alice@example.com"),
            event: Some("presence"),
            expires: Some(600),
        }
        .build(None)
        .unwrap()
    }

    fn answer(r: &Request, code: u16) -> Message {
        Message::Response(Response::from_request(r, StatusCode::new(code).unwrap()))
    }

    #[test]
    fn responses_come_only_from_the_network_the_request_went_to() {
        let (com, net, org) = (
            PeerIdentity::from_domains(["example.com"]),
            PeerIdentity::from_domains(["example.net"]),
            PeerIdentity::from_domains(["example.org"]),
        );
        let mut h = hub();
        let r = subscribe("c1");
        h.handle(&com, Message::Request(r.clone()));
        let (to, _) = h.poll_transmit().unwrap();
        assert_eq!(to, "example.net");
        assert_eq!(h.pending(), 1);
        // A third network answering someone else's request is ignored.
        h.handle(&org, answer(&r, 200));
        assert!(h.poll_transmit().is_none());
        // So is the sender answering its own request.
        h.handle(&com, answer(&r, 200));
        assert!(h.poll_transmit().is_none());
        // A provisional passes and keeps the relay; the final ends it.
        h.handle(&net, answer(&r, 180));
        assert_eq!(h.poll_transmit().unwrap().0, "example.com");
        assert_eq!(h.pending(), 1);
        h.handle(&net, answer(&r, 200));
        let (to, m) = h.poll_transmit().unwrap();
        assert_eq!(to, "example.com");
        assert!(matches!(m, Message::Response(ref x) if x.status().as_u16() == 200));
        assert_eq!(h.pending(), 0);
        // A retransmitted final after that has nowhere to go.
        h.handle(&net, answer(&r, 200));
        assert!(h.poll_transmit().is_none());
        assert_eq!(h.counts(), (3, 0));
    }

    #[test]
    fn a_routing_loop_through_the_hub_ends_with_483() {
        // example.com's border sends back to the hub what the hub sends it
        // for example.net (a misrouting): each pass takes a hop off.
        let com = PeerIdentity::from_domains(["example.com"]);
        let mut h = hub();
        let mut m = Message::Request(subscribe("loop"));
        let mut forwarded = 0u8;
        let (to, answer) = loop {
            h.handle(&com, m);
            let (to, out) = h.poll_transmit().expect("forwarded or answered");
            match out {
                Message::Request(r) => {
                    forwarded += 1;
                    assert_eq!(
                        r.headers().typed::<MaxForwards>(),
                        Ok(Some(MaxForwards(70 - forwarded)))
                    );
                    m = Message::Request(r);
                }
                answer => break (to, answer),
            }
            assert!(forwarded <= 70, "the loop did not end");
        };
        assert_eq!(forwarded, 70);
        assert_eq!((to.as_str(), status_of(&answer)), ("example.com", 483));
        assert_eq!(h.counts(), (70, 1));
        // An ACK out of hops is dropped: nothing answers an ACK.
        let mut ack = NewRequest {
            method: Method::ACK,
            to: "sip:bob@example.net",
            from: "sip:alice@example.com",
            tag: "t1",
            call_id: "ack",
            contact: None,
            event: None,
            expires: None,
        }
        .build(None)
        .unwrap();
        ack.headers_mut().set(HeaderName::MAX_FORWARDS, "0");
        h.handle(&com, Message::Request(ack));
        assert!(h.poll_transmit().is_none());
        assert_eq!(h.counts(), (70, 2));
    }

    #[test]
    fn refusals_reach_the_log_with_why() {
        use std::sync::{Arc, Mutex};
        let mut h = ClearingHouse::new(vec![
            Network::new("example.com"),
            Network::new("example.net").tls(),
        ]);
        let seen: Arc<Mutex<Vec<Option<HubRefusal>>>> = Arc::default();
        let s2 = seen.clone();
        h.set_log(
            Box::new(move |c: &Crossing| s2.lock().unwrap().push(c.refusal.clone())),
            true,
        );
        let com = PeerIdentity::from_domains(["example.com"]);
        let to = |uri: &str, call: &str| {
            NewRequest {
                method: Method::MESSAGE,
                to: uri,
                from: "sip:alice@example.com",
                tag: "t1",
                call_id: call,
                contact: None,
                event: None,
                expires: None,
            }
            .build(None)
            .unwrap()
        };
        let mut spoofed = to("sip:bob@example.com", "c3");
        spoofed
            .headers_mut()
            .set(HeaderName::FROM, "<sip:eve@example.org>;tag=e");
        let mut hops = to("sip:carol@example.com", "c5");
        hops.headers_mut().set(HeaderName::MAX_FORWARDS, "0");
        let cases: Vec<(PeerIdentity, Request, HubRefusal, u16)> = vec![
            (
                PeerIdentity::from_domains(["example.org"]),
                to("sip:bob@example.com", "c1"),
                HubRefusal::NotAMember,
                403,
            ),
            (
                com.clone(),
                to("sip:bob@example.net", "c2"),
                HubRefusal::TlsRequired,
                403,
            ),
            (
                com.clone(),
                spoofed,
                HubRefusal::ForeignIdentity("example.org".into()),
                403,
            ),
            (
                com.clone(),
                to("sip:dave@example.edu", "c4"),
                HubRefusal::UnknownDestination("example.edu".into()),
                404,
            ),
            (
                com.clone(),
                hops,
                HubRefusal::Hops(HopError::Exhausted),
                483,
            ),
        ];
        for (conn, r, why, code) in cases {
            h.handle(&conn, Message::Request(r));
            let (_, answer) = h.poll_transmit().expect("an answer");
            assert_eq!(status_of(&answer), code, "{why}");
            assert_eq!(seen.lock().unwrap().pop(), Some(Some(why)));
        }
        // What is forwarded is logged with no refusal.
        h.handle(&com, Message::Request(to("sip:erin@example.com", "c6")));
        assert!(matches!(h.poll_transmit(), Some((_, Message::Request(_)))));
        assert_eq!(seen.lock().unwrap().pop(), Some(None));
    }

    fn status_of(m: &Message) -> u16 {
        match m {
            Message::Response(x) => x.status().as_u16(),
            Message::Request(_) => 0,
        }
    }

    #[test]
    fn members_that_require_tls_get_and_give_nothing_in_the_clear() {
        use LinkTransport::{Plain, Tls};
        let (com, net, org) = (
            PeerIdentity::from_domains(["example.com"]),
            PeerIdentity::from_domains(["example.net"]),
            PeerIdentity::from_domains(["example.org"]),
        );
        // example.net requires TLS; example.com and example.org do not.
        let mut h = ClearingHouse::new(vec![
            Network::new("example.com"),
            Network::new("example.net").tls(),
            Network::new("example.org"),
        ]);
        assert!(h.requires_tls("EXAMPLE.net") && !h.requires_tls("example.com"));
        // To a TLS member: refused unless the request came over TLS.
        let r = subscribe("c1");
        h.handle_over(&com, Plain, Message::Request(r.clone()));
        let (to, m) = h.poll_transmit().unwrap();
        assert_eq!((to.as_str(), status_of(&m)), ("example.com", 403));
        h.handle_over(&com, Tls, Message::Request(r.clone()));
        assert_eq!(h.poll_transmit().unwrap().0, "example.net");
        // Its answer in the clear is dropped; over TLS it passes.
        h.handle_over(&net, Plain, answer(&r, 200));
        assert!(h.poll_transmit().is_none());
        h.handle_over(&net, Tls, answer(&r, 200));
        assert_eq!(h.poll_transmit().unwrap().0, "example.com");
        // From a TLS member: refused unless over TLS, whoever it is for.
        let back = NewRequest {
            method: Method::MESSAGE,
            to: "sip:carol@example.org",
            from: "sip:bob@example.net",
            tag: "t2",
            call_id: "c2",
            contact: None,
            event: None,
            expires: None,
        }
        .build(None)
        .unwrap();
        h.handle(&net, Message::Request(back.clone()));
        let (to, m) = h.poll_transmit().unwrap();
        assert_eq!((to.as_str(), status_of(&m)), ("example.net", 403));
        h.handle_over(&net, Tls, Message::Request(back));
        assert_eq!(h.poll_transmit().unwrap().0, "example.org");
        // Between two members that do not require it, a sips: request
        // still needs TLS; a sip: one does not.
        let to_org = |to: &str, call_id: &str| {
            NewRequest {
                method: Method::MESSAGE,
                to,
                from: "sip:alice@example.com",
                tag: "t3",
                call_id,
                contact: None,
                event: None,
                expires: None,
            }
            .build(None)
            .unwrap()
        };
        let secure = to_org("sips:carol@example.org", "c3");
        h.handle_over(&com, Plain, Message::Request(secure.clone()));
        assert_eq!(status_of(&h.poll_transmit().unwrap().1), 403);
        h.handle_over(&com, Tls, Message::Request(secure));
        assert_eq!(h.poll_transmit().unwrap().0, "example.org");
        h.handle_over(
            &com,
            Plain,
            Message::Request(to_org("sip:carol@example.org", "c4")),
        );
        assert_eq!(h.poll_transmit().unwrap().0, "example.org");
        assert_eq!(h.counts(), (5, 3));
        let _ = org;
    }

    #[test]
    fn unanswered_requests_do_not_grow_the_hub_without_bound() {
        let com = PeerIdentity::from_domains(["example.com"]);
        let net = PeerIdentity::from_domains(["example.net"]);
        let mut h = hub();
        let first = subscribe("c-first");
        h.handle(&com, Message::Request(first.clone()));
        for i in 0..MAX_RELAYED {
            h.handle(&com, Message::Request(subscribe(&format!("c{i}"))));
        }
        while h.poll_transmit().is_some() {}
        assert_eq!(h.pending(), MAX_RELAYED);
        // The oldest was forgotten: its answer is dropped.
        h.handle(&net, answer(&first, 200));
        assert!(h.poll_transmit().is_none());
    }
}
