//! The roles over real transactions: Alice's watcher and example.com's
//! border, example.net's border, presence agent and Bob's presence user
//! agent, each behind its own `sip_core::endpoint::Endpoint` on the
//! testkit's in-memory UDP network and fake clock. Everything crosses as
//! datagrams, so retransmissions (Timers A, E, G...), absorbed duplicates
//! and timeouts are the endpoints' own; this harness only routes, as an
//! application would (a stateful proxy's Via handling included).
//!
//! With no loss the message counts are exact; with 20% loss (fixed seed)
//! the subscription still comes up and both the published state and an
//! update reach Alice. With borders that require TLS of each other, every
//! `sips:` request goes over TLS (TLS is modelled by the sender's port)
//! and the `Endpoint` itself refuses them over UDP. Two watchers of a
//! public group of example.net (its list agent) share one back-end list
//! subscription across the link.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use pidf::Presence;
use simple_presence::agent::{AgentConfig, PresenceAgent};
use simple_presence::border::{Border, BorderConfig, Dest, LinkTransport, PeerEntry, Refused};
use simple_presence::identity::PeerIdentity;
use simple_presence::list::ListAgent;
use simple_presence::sip::{aor, domain_of, target};
use simple_presence::ua::PresenceUa;
use simple_presence::views::PeerMode;
use simple_presence::watcher::PresenceWatcher;
use sip_core::endpoint::{Endpoint, EndpointConfig, Event, Peer, SendError, TransactionId};
use sip_core::header::{CSeq, CallId};
use sip_core::subscription::SubscriberState;
use sip_core::transaction::Transport;
use sip_core::{Bytes, HeaderName, Host, Message, Method, Request, Response, StatusCode};
use std::sync::{Arc, Mutex};
use testkit::net::{Clock, Net, NetConfig};

const COM: &str = "example.com";
const NET: &str = "example.net";
const ALICE: &str = "sip:alice@example.com";
const BOB: &str = "sip:bob@example.net";

fn addr(d: u8, n: u8) -> SocketAddr {
    SocketAddr::from(([10, 0, d, n], 5060))
}
const ALICE_AT: (u8, u8) = (1, 3);
const COM_BORDER: (u8, u8) = (1, 2);
const NET_BORDER: (u8, u8) = (2, 2);
const AGENT: (u8, u8) = (2, 1);
const BOB_AT: (u8, u8) = (2, 3);
const DAVE: &str = "sip:dave@example.com";
const DAVE_AT: (u8, u8) = (1, 4);
const LISTS_AT: (u8, u8) = (2, 4);
/// A public group of example.net, served by its list agent.
const GROUP: &str = "sip:friends@example.net";

fn at(a: (u8, u8)) -> SocketAddr {
    addr(a.0, a.1)
}

enum Role {
    Watcher(PresenceWatcher),
    Publisher(PresenceUa),
    Agent(PresenceAgent),
    Lists(Box<ListAgent>),
    Border {
        border: Box<Border>,
        /// The other border's address and what its connection authenticated.
        peer: (SocketAddr, PeerIdentity),
        /// Where this domain's users and presence agent are.
        users: HashMap<String, SocketAddr>,
        agent: Option<SocketAddr>,
    },
}

type Key = (Bytes, u32, Method);

fn key(h: &sip_core::Headers) -> Option<Key> {
    let c: CallId = h.typed().ok().flatten()?;
    let s: CSeq = h.typed().ok().flatten()?;
    Some((c.0, s.seq, s.method))
}

struct Node {
    addr: SocketAddr,
    ep: Endpoint,
    role: Role,
    /// Server transactions by request key, to answer through.
    server: HashMap<Key, TransactionId>,
    /// Client transactions' requests and where they went: to report a
    /// timeout as a 408, and to tell a border which side answered.
    client: HashMap<TransactionId, (Request, SocketAddr, bool)>,
    /// For a border whose link is TLS: the other border.
    tls_peer: Option<SocketAddr>,
}

impl Node {
    fn new(a: (u8, u8), via_host: &str, role: Role) -> Node {
        let mut c = EndpointConfig::new(Host::parse_str(via_host).unwrap(), Some(5060));
        c.seed = u64::from(a.0) << 8 | u64::from(a.1);
        Node {
            addr: at(a),
            ep: Endpoint::new(c),
            role,
            server: HashMap::new(),
            client: HashMap::new(),
            tls_peer: None,
        }
    }
}

/// A proxy's first step on a response from its client transaction: the top
/// Via (its own) comes off (RFC 3261 16.7 step 3), so what it relays
/// carries exactly the Vias of the request it answers.
fn pop_via(mut r: Response) -> Response {
    assert!(r.pop_via().is_some(), "a response without our Via");
    r
}

struct World {
    clock: Clock,
    net: Net,
    nodes: Vec<Node>,
    refusals: Arc<Mutex<Vec<Refused>>>,
}

fn rules() -> policy::RuleSet {
    policy::RuleSet::parse(
        br#"<ruleset xmlns="urn:ietf:params:xml:ns:common-policy" xmlns:pr="urn:ietf:params:xml:ns:pres-rules">
<rule id="a"><conditions><identity><one id="sip:alice@example.com"/></identity></conditions>
<actions><pr:sub-handling>allow</pr:sub-handling></actions>
<transformations><pr:provide-services><pr:all-services/></pr:provide-services><pr:provide-all-attributes/></transformations></rule>
<rule id="rls"><conditions><identity><one id="sip:rls@example.net"/></identity></conditions>
<actions><pr:sub-handling>allow</pr:sub-handling></actions>
<transformations><pr:provide-services><pr:all-services/></pr:provide-services><pr:provide-all-attributes/></transformations></rule></ruleset>"#,
    )
    .unwrap()
}

fn lists() -> ListAgent {
    use rls::resource_lists::{Entry, List};
    use rls::rls_services::{Service, ServiceSource};
    use rls::server::{ListKind, MemoryDirectory, StoredList};
    let mut dir = MemoryDirectory::default();
    dir.insert(StoredList {
        kind: ListKind::Public,
        service: Service::new(
            GROUP,
            ServiceSource::List(List::new(None).with_entry(Entry::new(BOB))),
        ),
        names: Vec::new(),
    });
    ListAgent::new(NET, dir)
}

fn presence(note: &str) -> Presence {
    Presence::parse(
        format!(
            "<presence xmlns=\"urn:ietf:params:xml:ns:pidf\" entity=\"{BOB}\"><tuple id=\"t\">\
             <status><basic>open</basic></status><contact>{BOB}</contact><note>{note}</note></tuple></presence>"
        )
        .as_bytes(),
    )
    .unwrap()
}

impl World {
    fn new(loss: f64, seed: u64) -> World {
        World::with_link(loss, seed, false)
    }

    /// A world whose borders require TLS of each other (`tls`).
    fn with_link(loss: f64, seed: u64, tls: bool) -> World {
        let clock = Clock::new();
        let refusals: Arc<Mutex<Vec<Refused>>> = Arc::default();
        let border = |me: &str, other: &str| {
            let mut p = PeerEntry::new(other, PeerMode::PerView);
            p.require_tls = tls;
            let mut c = BorderConfig::new(me, vec![p]);
            // The endpoints put the domain in the Via sent-by: check it.
            c.check_via_sent_by = true;
            let mut b = Border::new(c);
            let r = refusals.clone();
            b.set_log(Box::new(move |x: &Refused| {
                r.lock().unwrap().push(x.clone())
            }));
            b
        };
        let mut agent = PresenceAgent::new(AgentConfig::new(NET));
        agent.set_rules(clock.now(), BOB, rules());
        let mut nodes = vec![
            Node::new(
                ALICE_AT,
                "10.0.1.3",
                Role::Watcher(PresenceWatcher::new(ALICE)),
            ),
            Node::new(
                COM_BORDER,
                COM,
                Role::Border {
                    border: Box::new(border(COM, NET)),
                    peer: (at(NET_BORDER), PeerIdentity::from_domains([NET])),
                    users: HashMap::from([
                        (ALICE.to_owned(), at(ALICE_AT)),
                        (DAVE.to_owned(), at(DAVE_AT)),
                    ]),
                    agent: None,
                },
            ),
            Node::new(
                NET_BORDER,
                NET,
                Role::Border {
                    border: Box::new(border(NET, COM)),
                    peer: (at(COM_BORDER), PeerIdentity::from_domains([COM])),
                    users: HashMap::from([(GROUP.to_owned(), at(LISTS_AT))]),
                    agent: Some(at(AGENT)),
                },
            ),
            Node::new(AGENT, "10.0.2.1", Role::Agent(agent)),
            Node::new(
                BOB_AT,
                "10.0.2.3",
                Role::Publisher(PresenceUa::new(BOB, 3600).unwrap()),
            ),
            Node::new(
                DAVE_AT,
                "10.0.1.4",
                Role::Watcher(PresenceWatcher::new(DAVE)),
            ),
            Node::new(LISTS_AT, "10.0.2.4", Role::Lists(Box::new(lists()))),
        ];
        if tls {
            nodes[1].tls_peer = Some(at(NET_BORDER));
            nodes[2].tls_peer = Some(at(COM_BORDER));
        }
        let config = NetConfig {
            loss,
            ..NetConfig::default()
        };
        World {
            clock,
            net: Net::new(config, seed),
            nodes,
            refusals,
        }
    }

    fn node(&mut self, a: (u8, u8)) -> &mut Node {
        self.nodes.iter_mut().find(|n| n.addr == at(a)).unwrap()
    }

    fn watcher(&mut self) -> &mut PresenceWatcher {
        self.watcher_at(ALICE_AT)
    }

    fn watcher_at(&mut self, a: (u8, u8)) -> &mut PresenceWatcher {
        match &mut self.node(a).role {
            Role::Watcher(w) => w,
            _ => unreachable!(),
        }
    }

    fn border(&mut self, a: (u8, u8)) -> &mut Border {
        match &mut self.node(a).role {
            Role::Border { border, .. } => border,
            _ => unreachable!(),
        }
    }

    /// Bob publishes `note`.
    fn publish(&mut self, note: &str) {
        let now = self.clock.now();
        let n = self.node(BOB_AT);
        let Role::Publisher(ua) = &mut n.role else {
            unreachable!()
        };
        let r = ua.publish(now, &presence(note)).unwrap();
        send_request(n, now, r, at(AGENT));
        self.pump();
    }

    /// The watcher at `a` subscribes to the group (RFC 4662).
    fn subscribe_list(&mut self, a: (u8, u8)) {
        let now = self.clock.now();
        let n = self.node(a);
        let Role::Watcher(w) = &mut n.role else {
            unreachable!()
        };
        let r = w.subscribe(now, GROUP, "presence", true).unwrap();
        send_request(n, now, r, at(COM_BORDER));
        self.pump();
    }

    /// Alice subscribes to Bob.
    fn subscribe(&mut self) {
        let now = self.clock.now();
        let n = self.node(ALICE_AT);
        let Role::Watcher(w) = &mut n.role else {
            unreachable!()
        };
        let r = w.subscribe(now, BOB, "presence", false).unwrap();
        send_request(n, now, r, at(COM_BORDER));
        self.pump();
    }

    /// Moves everything that is ready: roles' output into endpoints,
    /// endpoints' datagrams onto the network, endpoints' events into roles,
    /// until nothing moves.
    fn pump(&mut self) {
        let now = self.clock.now();
        loop {
            let mut moved = false;
            for n in &mut self.nodes {
                moved |= role_output(n, now);
                while let Some(t) = n.ep.poll_transmit() {
                    moved = true;
                    let from = over(n.addr, t.destination.transport == Transport::Tls);
                    self.net
                        .send(now, from, t.destination.addr, t.contents.to_vec());
                }
                while let Some(ev) = n.ep.poll_event() {
                    moved = true;
                    on_event(n, now, ev);
                }
            }
            if !moved {
                return;
            }
        }
    }

    /// Runs the world for `d` of simulated time.
    fn run_for(&mut self, d: Duration) {
        let until = self.clock.now() + d;
        for _ in 0..1_000_000 {
            self.pump();
            let mut next = self.net.next_arrival();
            for n in &mut self.nodes {
                let t = [n.ep.poll_timeout(), role_timeout(&mut n.role)]
                    .into_iter()
                    .flatten()
                    .min();
                next = [next, t].into_iter().flatten().min();
            }
            let Some(t) = next.filter(|t| *t <= until) else {
                self.clock.advance_to(until);
                self.pump();
                return;
            };
            self.clock.advance_to(t);
            let now = self.clock.now();
            for d in self.net.deliver(now) {
                if let Some(n) = self.nodes.iter_mut().find(|n| n.addr == plain(d.to)) {
                    let peer = Peer {
                        addr: d.from,
                        transport: if d.from.port() == TLS_PORT {
                            Transport::Tls
                        } else {
                            Transport::Udp
                        },
                    };
                    n.ep.handle_input(now, peer, d.data);
                }
            }
            for n in &mut self.nodes {
                if n.ep.poll_timeout().is_some_and(|x| x <= now) {
                    n.ep.handle_timeout(now);
                }
                if role_timeout(&mut n.role).is_some_and(|x| x <= now) {
                    role_handle_timeout(n, now);
                }
            }
        }
        panic!("the world did not settle");
    }

    /// Datagrams delivered since log index `from`, by kind: the method of
    /// a request, `<status> <method>` of a response.
    fn counts(&self, from: usize) -> Vec<(String, usize)> {
        let mut m: std::collections::BTreeMap<String, usize> = Default::default();
        for (_, d) in self.net.log().iter().skip(from) {
            let msg =
                Message::parse_datagram(Bytes::from(d.data.clone()), &Default::default()).unwrap();
            let k = match &msg {
                Message::Request(r) => r.method().to_string(),
                Message::Response(x) => {
                    format!("{} {}", x.status().as_u16(), key(x.headers()).unwrap().2)
                }
            };
            *m.entry(k).or_default() += 1;
        }
        m.into_iter().collect()
    }
}

/// TLS is modelled by the port: what goes over TLS leaves from port 5061
/// of its sender.
const TLS_PORT: u16 = 5061;

fn plain(a: SocketAddr) -> SocketAddr {
    SocketAddr::new(a.ip(), 5060)
}

fn over(a: SocketAddr, tls: bool) -> SocketAddr {
    SocketAddr::new(a.ip(), if tls { TLS_PORT } else { 5060 })
}

/// The transport for `r` to `to`, as an application picks it: TLS on a
/// TLS link, and for a target that needs it (a `sips:` Request-URI needs
/// TLS on every hop to its domain, RFC 3261 section 26.2.2), else UDP.
fn peer_of(n: &Node, to: SocketAddr, r: &Request) -> Peer {
    let needs_tls = sip_core::target::request_transports(r)
        .map(|t| !t.allows(Transport::Udp))
        .unwrap_or(false);
    // Too large for UDP once the endpoint adds its Via (RFC 3261 section
    // 18.1.1): TCP.
    let large = r.to_bytes().len() + 200 > sip_core::endpoint::MAX_UDP_REQUEST;
    Peer {
        addr: to,
        transport: if n.tls_peer == Some(to) || needs_tls {
            Transport::Tls
        } else if large {
            Transport::Tcp
        } else {
            Transport::Udp
        },
    }
}

fn send_request(n: &mut Node, now: Instant, r: Request, to: SocketAddr) {
    let peer = peer_of(n, to, &r);
    let id =
        n.ep.send_request(now, r.clone(), peer)
            .expect("the endpoint takes it");
    n.client
        .insert(id, (r, to, peer.transport == Transport::Tls));
}

fn send_response(n: &mut Node, now: Instant, x: &Response) {
    let id = key(x.headers()).and_then(|k| n.server.remove(&k));
    if let Some(id) = id {
        n.ep.send_response(now, id, x)
            .expect("the transaction takes it");
    }
}

fn role_timeout(r: &mut Role) -> Option<Instant> {
    match r {
        Role::Watcher(w) => w.poll_timeout(),
        Role::Publisher(p) => p.poll_timeout(),
        Role::Agent(a) => a.poll_timeout(),
        Role::Lists(_) => None,
        Role::Border { border, .. } => border.poll_timeout(),
    }
}

fn role_handle_timeout(n: &mut Node, now: Instant) {
    match &mut n.role {
        Role::Watcher(w) => w.handle_timeout(now),
        Role::Publisher(p) => {
            if let Some(r) = p.handle_timeout(now) {
                send_request(n, now, r, at(AGENT));
            }
        }
        Role::Agent(a) => a.handle_timeout(now),
        Role::Lists(_) => {}
        Role::Border { border, .. } => border.handle_timeout(now),
    }
}

/// Where a request from inside a domain goes: a user (or list) by address
/// of record, else the presence agent for PUBLISH and SUBSCRIBE.
fn route_inside(
    users: &HashMap<String, SocketAddr>,
    agent: Option<SocketAddr>,
    r: &Request,
) -> Option<SocketAddr> {
    if let Some(a) = aor(&target(r)).and_then(|u| users.get(&u)) {
        return Some(*a);
    }
    let m = r.method();
    if *m == Method::SUBSCRIBE || *m == Method::PUBLISH {
        return agent;
    }
    None
}

/// Drains a role's output into its endpoint. Returns whether anything
/// moved.
fn role_output(n: &mut Node, now: Instant) -> bool {
    let mut moved = false;
    match &mut n.role {
        Role::Watcher(w) => {
            let out: Vec<Request> = std::iter::from_fn(|| w.poll_transmit()).collect();
            for r in out {
                moved = true;
                send_request(n, now, r, at(COM_BORDER));
            }
        }
        Role::Agent(a) => {
            let out: Vec<Request> = std::iter::from_fn(|| a.poll_transmit()).collect();
            for r in out {
                moved = true;
                // The NOTIFYs of a back-end subscription go to the border,
                // those of the list agent's to it.
                let to = match aor(&target(&r)).as_deref() {
                    Some("sip:rls@example.net") => at(LISTS_AT),
                    _ if domain_of(&target(&r)).as_deref() == Some(NET) => at(BOB_AT),
                    _ => at(NET_BORDER),
                };
                send_request(n, now, r, to);
            }
        }
        Role::Publisher(_) => {}
        Role::Lists(l) => {
            let out: Vec<Request> = std::iter::from_fn(|| l.poll_transmit()).collect();
            for r in out {
                moved = true;
                // Its members' presence from the agent; its NOTIFYs to the
                // subscriber (the border of example.com).
                let to = if *r.method() == Method::SUBSCRIBE {
                    at(AGENT)
                } else {
                    at(NET_BORDER)
                };
                send_request(n, now, r, to);
            }
        }
        Role::Border {
            border,
            peer,
            users,
            agent,
        } => {
            let (peer_addr, users, agent) = (peer.0, users.clone(), *agent);
            let out: Vec<_> = std::iter::from_fn(|| border.poll_transmit()).collect();
            for t in out {
                moved = true;
                match (t.dest, t.message) {
                    (_, Message::Response(x)) => send_response(n, now, &x),
                    (Dest::Peer { tls, .. }, Message::Request(r)) => {
                        assert_eq!(tls, n.tls_peer.is_some(), "TLS exactly when required");
                        send_request(n, now, r, peer_addr);
                    }
                    (Dest::Inside, Message::Request(r)) => {
                        let to = route_inside(&users, agent, &r).expect("a local destination");
                        send_request(n, now, r, to);
                    }
                }
            }
        }
    }
    moved
}

/// An endpoint event for the role.
fn on_event(n: &mut Node, now: Instant, ev: Event) {
    // A request and who sent it, or a response and where its request went.
    let (req, resp) = match ev {
        Event::Request {
            transaction,
            request,
            peer,
        } => {
            if let Some(k) = key(request.headers()) {
                n.server.insert(k, transaction);
            }
            let tls = peer.transport == Transport::Tls;
            (Some((request, plain(peer.addr), tls)), None)
        }
        Event::Response {
            transaction,
            response,
        } => {
            let Some((_, to, tls)) = n.client.get(&transaction) else {
                return;
            };
            let (to, tls) = (*to, *tls);
            if !response.status().is_provisional() {
                n.client.remove(&transaction);
            }
            (None, Some((pop_via(response), to, tls)))
        }
        Event::Failed { transaction, .. } => {
            // A transaction timeout is a 408 to the TU (RFC 3261 8.1.3.1).
            let Some((r, to, tls)) = n.client.remove(&transaction) else {
                return;
            };
            let x = Response::from_request(&r, StatusCode::REQUEST_TIMEOUT);
            (None, Some((x, to, tls)))
        }
        _ => return,
    };
    match &mut n.role {
        Role::Watcher(w) => {
            if let Some((r, _, _)) = req {
                let x = w.handle_notify(now, &r);
                send_response(n, now, &x);
            } else if let Some((x, _, _)) = resp {
                w.handle_response(now, &x);
            }
        }
        Role::Publisher(p) => {
            if let Some((x, _, _)) = resp {
                if let Some(again) = p.handle_response(now, &x) {
                    send_request(n, now, again, at(AGENT));
                }
            }
        }
        Role::Agent(a) => {
            if let Some((r, _, _)) = req {
                let x = a.handle_request(now, &r);
                send_response(n, now, &x);
            } else if let Some((x, _, _)) = resp {
                a.handle_response(&x);
            }
        }
        Role::Lists(l) => {
            if let Some((r, _, _)) = req {
                let x = l.handle_request(now, &r);
                send_response(n, now, &x);
            } else if let Some((x, _, _)) = resp {
                l.handle_response(now, &x);
            }
        }
        Role::Border { border, peer, .. } => {
            let (m, other, tls) = match (req, resp) {
                (Some((r, from, tls)), _) => (Message::Request(r), from, tls),
                (None, Some((x, to, tls))) => (Message::Response(x), to, tls),
                (None, None) => return,
            };
            if other == peer.0 {
                let over = if tls {
                    LinkTransport::Tls
                } else {
                    LinkTransport::Plain
                };
                border.handle_peer_over(now, &peer.1, over, m);
            } else {
                border.handle_inside(now, m);
            }
        }
    }
}

fn note(w: &mut World) -> Option<String> {
    let p = w.watcher().presence(BOB)?;
    Some(String::from_utf8(p.to_xml()).unwrap())
}

fn kinds(v: &[(&str, usize)]) -> Vec<(String, usize)> {
    v.iter().map(|(k, n)| (k.to_string(), *n)).collect()
}

#[test]
fn lossless_message_counts_are_exact() {
    let mut w = World::new(0.0, 1);
    w.publish("one");
    w.run_for(Duration::from_secs(5));
    assert_eq!(w.counts(0), kinds(&[("200 PUBLISH", 1), ("PUBLISH", 1)]));

    // Alice's SUBSCRIBE, the back-end one across the link and on to the
    // agent (3 SUBSCRIBEs, 3 answers); the agent's NOTIFY relayed by both
    // borders (2), the border's pending NOTIFY to Alice and the one with
    // the document (2), each answered.
    let mark = w.net.log().len();
    w.subscribe();
    w.run_for(Duration::from_secs(5));
    assert_eq!(
        w.counts(mark),
        kinds(&[
            ("200 NOTIFY", 4),
            ("200 SUBSCRIBE", 3),
            ("NOTIFY", 4),
            ("SUBSCRIBE", 3)
        ])
    );
    assert_eq!(
        w.watcher().state(BOB, "presence"),
        Some(&SubscriberState::Active)
    );
    assert!(note(&mut w).unwrap().contains("one"));

    // An update: one PUBLISH, one NOTIFY per hop.
    let mark = w.net.log().len();
    w.publish("two");
    w.run_for(Duration::from_secs(5));
    assert_eq!(
        w.counts(mark),
        kinds(&[
            ("200 NOTIFY", 3),
            ("200 PUBLISH", 1),
            ("NOTIFY", 3),
            ("PUBLISH", 1)
        ])
    );
    assert!(note(&mut w).unwrap().contains("two"));
    assert_eq!(w.net.dropped(), 0);
    assert!(
        w.refusals.lock().unwrap().is_empty(),
        "the Via check passed"
    );
    assert_eq!(w.border(COM_BORDER).stats().backends, 1);
}

#[test]
fn a_fifth_of_the_datagrams_lost_and_presence_still_flows() {
    let mut w = World::new(0.2, 7);
    w.publish("one");
    w.run_for(Duration::from_secs(60));
    w.subscribe();
    w.run_for(Duration::from_secs(120));
    assert_eq!(
        w.watcher().state(BOB, "presence"),
        Some(&SubscriberState::Active)
    );
    assert!(note(&mut w).unwrap().contains("one"), "{:?}", note(&mut w));
    let mark = w.net.log().len();
    w.publish("two");
    w.run_for(Duration::from_secs(120));
    assert!(note(&mut w).unwrap().contains("two"), "{:?}", note(&mut w));
    assert!(w.net.dropped() > 0);
    // Losses were made good by retransmission: more than the lossless 8
    // datagrams of an update arrived (duplicates absorbed by the endpoints).
    let arrived: usize = w.counts(mark).iter().map(|(_, n)| n).sum();
    assert!(arrived >= 8, "{arrived}");
    assert!(w.refusals.lock().unwrap().is_empty());
    assert_eq!(w.border(COM_BORDER).stats().backends, 1);
    assert_eq!(w.border(COM_BORDER).stats().local_subscriptions, 1);
}

#[test]
fn twenty_seeds_of_twenty_percent_loss() {
    let mut lost = 0;
    for seed in 1..=20 {
        let mut w = World::new(0.2, seed);
        w.publish("one");
        w.run_for(Duration::from_secs(60));
        w.subscribe();
        w.run_for(Duration::from_secs(120));
        assert!(
            note(&mut w).is_some_and(|n| n.contains("one")),
            "seed {seed}"
        );
        w.publish("two");
        w.run_for(Duration::from_secs(120));
        assert!(
            note(&mut w).is_some_and(|n| n.contains("two")),
            "seed {seed}"
        );
        lost += w.net.dropped();
    }
    assert!(lost > 20, "{lost} datagrams lost in all");
}

#[test]
fn a_tls_link_carries_sips_requests_the_endpoint_refuses_over_udp() {
    let mut w = World::with_link(0.0, 1, true);
    w.publish("one");
    w.run_for(Duration::from_secs(5));
    w.subscribe();
    w.run_for(Duration::from_secs(5));
    assert!(note(&mut w).unwrap().contains("one"));
    w.publish("two");
    w.run_for(Duration::from_secs(5));
    assert!(note(&mut w).unwrap().contains("two"));
    assert!(w.refusals.lock().unwrap().is_empty());
    // Every request between the borders had a sips: Request-URI and a TLS
    // Via; the transaction layer would not have sent one over UDP.
    let borders = [at(COM_BORDER), at(NET_BORDER)];
    let mut requests = 0;
    for (_, d) in w.net.log() {
        if !(borders.contains(&plain(d.from)) && borders.contains(&plain(d.to))) {
            continue;
        }
        let m = Message::parse_datagram(Bytes::from(d.data.clone()), &Default::default()).unwrap();
        let via = simple_presence::sip::header_str(m.headers(), &HeaderName::VIA).unwrap();
        assert!(via.starts_with("SIP/2.0/TLS example."), "{via}");
        let Message::Request(mut r) = m else { continue };
        requests += 1;
        assert!(r.uri().to_string().starts_with("sips:"), "{}", r.uri());
        r.headers_mut().remove(&HeaderName::VIA);
        let mut ep = Endpoint::new(EndpointConfig::new(Host::parse_str(COM).unwrap(), None));
        let err = ep.send_request(w.clock.now(), r, Peer::udp(at(NET_BORDER)));
        assert!(
            matches!(err, Err(SendError::InsecureTransport { .. })),
            "{err:?}"
        );
    }
    // SUBSCRIBE, then two NOTIFYs.
    assert_eq!(requests, 3);
    // Anywhere, a sips: request went over TLS: inside example.net too, the
    // back-end SUBSCRIBE on to the agent and the agent's NOTIFYs to the
    // border's sips: Contact (every hop to example.com).
    let mut sips = 0;
    for (_, d) in w.net.log() {
        if let Ok(Message::Request(r)) =
            Message::parse_datagram(Bytes::from(d.data.clone()), &Default::default())
        {
            if r.uri().to_string().starts_with("sips:") {
                sips += 1;
                assert_eq!(d.from.port(), TLS_PORT, "{} from {}", r.method(), d.from);
            }
        }
    }
    assert_eq!(
        sips, 6,
        "the link's 3, the SUBSCRIBE to the agent, its 2 NOTIFYs"
    );
}

#[test]
fn watchers_of_a_remote_list_share_one_back_end_through_the_endpoints() {
    let mut w = World::new(0.0, 3);
    w.publish("one");
    w.run_for(Duration::from_secs(5));
    let link = |w: &World, from: usize, method: Method| {
        let borders = [at(COM_BORDER), at(NET_BORDER)];
        w.net
            .log()
            .iter()
            .skip(from)
            .filter(|(_, d)| borders.contains(&plain(d.from)) && borders.contains(&plain(d.to)))
            .filter(|(_, d)| {
                matches!(
                    Message::parse_datagram(Bytes::from(d.data.clone()), &Default::default()),
                    Ok(Message::Request(r)) if *r.method() == method
                )
            })
            .count()
    };
    let row = |w: &mut World, a: (u8, u8)| -> String {
        let v = w.watcher_at(a).list(GROUP).expect("a list view");
        let body = v
            .resource(BOB)
            .and_then(|r| r.active_body())
            .unwrap_or_default();
        String::from_utf8_lossy(body).into_owned()
    };
    let mark = w.net.log().len();
    w.subscribe_list(ALICE_AT);
    w.run_for(Duration::from_secs(5));
    w.subscribe_list(DAVE_AT);
    w.run_for(Duration::from_secs(5));
    assert_eq!(
        link(&w, mark, Method::SUBSCRIBE),
        1,
        "one list SUBSCRIBE crossed"
    );
    let s = w.border(COM_BORDER).stats();
    assert_eq!((s.list_backends, s.list_subscriptions), (1, 2));
    for a in [ALICE_AT, DAVE_AT] {
        assert!(row(&mut w, a).contains("one"), "{a:?}");
    }
    // An update: one RLMI NOTIFY crosses, both watchers have it.
    let mark = w.net.log().len();
    w.publish("two");
    w.run_for(Duration::from_secs(5));
    assert_eq!(link(&w, mark, Method::NOTIFY), 1);
    for a in [ALICE_AT, DAVE_AT] {
        assert!(row(&mut w, a).contains("two"), "{a:?}");
    }
    assert!(w.refusals.lock().unwrap().is_empty());
}
