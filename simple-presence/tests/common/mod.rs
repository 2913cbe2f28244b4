//! A two-domain world on the testkit clock and network: per domain a
//! presence agent, a border and the users (watchers, publishers), plus an
//! optional clearing house between the borders.
#![allow(unreachable_pub, dead_code)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;

use simple_presence::agent::{AgentConfig, PresenceAgent};
use simple_presence::border::{Border, BorderConfig, Dest, LinkTransport, PeerEntry, Refused};
use simple_presence::identity::PeerIdentity;
use simple_presence::sip::{aor, domain_of, from_uri, target};
use simple_presence::views::{self, PeerMode};
use simple_presence::watcher::PresenceWatcher;
use sip_core::header::{CSeq, CallId};
use sip_core::publication::Publisher;
use sip_core::{Bytes, Message, Method, Request, Response, Uri};
use std::sync::{Arc, Mutex};
use testkit::net::{Clock, Net, NetConfig};

pub const COM: &str = "example.com";
pub const NET: &str = "example.net";

pub struct Domain {
    pub name: String,
    pub agent: PresenceAgent,
    pub border: Border,
    pub watchers: HashMap<String, PresenceWatcher>,
    pub publishers: HashMap<String, Publisher>,
    pub pagers: HashMap<String, simple_presence::pager::Pager>,
    pub message_answers: Vec<Response>,
    pub lists: Option<simple_presence::list::ListAgent>,
    pub refusals: Arc<Mutex<Vec<Refused>>>,
    pub base: u8,
}

fn addr(base: u8, n: u8) -> SocketAddr {
    SocketAddr::from(([10, 0, base, n], 5060))
}

/// TLS on the link is modelled by the port: a message sent over TLS leaves
/// from port 5061 of its sender (which is otherwise the same element).
pub const TLS_PORT: u16 = 5061;

/// The element an address belongs to, whatever the transport.
fn plain(a: SocketAddr) -> SocketAddr {
    SocketAddr::new(a.ip(), 5060)
}

fn over(a: SocketAddr, tls: bool) -> SocketAddr {
    SocketAddr::new(a.ip(), if tls { TLS_PORT } else { 5060 })
}

const AGENT: u8 = 1;
const BORDER: u8 = 2;
const USERS: u8 = 3;
const RLS: u8 = 4;

type Key = (Bytes, u32, Method);

fn key(m: &Message) -> Option<Key> {
    let c: CallId = m.headers().typed().ok().flatten()?;
    let s: CSeq = m.headers().typed().ok().flatten()?;
    Some((c.0, s.seq, s.method))
}

pub struct World {
    pub mode: PeerMode,
    pub clock: Clock,
    pub net: Net,
    pub domains: Vec<Domain>,
    /// Where to answer each request an element received: (element, key).
    reply_to: HashMap<(SocketAddr, Key), SocketAddr>,
    /// Extra identities: address -> what its connection authenticated.
    pub identities: HashMap<SocketAddr, PeerIdentity>,
    /// The hub's address, when borders talk through one.
    pub hub: Option<(SocketAddr, simple_presence::hub::ClearingHouse)>,
    /// Every response an outside address received.
    pub outside_got: Vec<(SocketAddr, Response)>,
}

pub fn peer(domain: &str, mode: PeerMode) -> PeerEntry {
    PeerEntry::new(domain, mode)
}

fn logged_border(config: BorderConfig, refusals: &Arc<Mutex<Vec<Refused>>>) -> Border {
    let mut border = Border::new(config);
    let r2 = refusals.clone();
    border.set_log(Box::new(move |r: &Refused| {
        r2.lock().unwrap().push(r.clone())
    }));
    border
}

impl World {
    pub fn new(mode: PeerMode) -> World {
        let mut domains = Vec::new();
        for (i, (name, other)) in [(COM, NET), (NET, COM)].into_iter().enumerate() {
            let refusals = Arc::new(Mutex::new(Vec::new()));
            let border = logged_border(BorderConfig::new(name, vec![peer(other, mode)]), &refusals);
            domains.push(Domain {
                name: name.into(),
                agent: PresenceAgent::new(AgentConfig::new(name)),
                border,
                watchers: HashMap::new(),
                publishers: HashMap::new(),
                pagers: HashMap::new(),
                message_answers: Vec::new(),
                lists: None,
                refusals,
                base: i as u8 + 1,
            });
        }
        let mut identities = HashMap::new();
        identities.insert(addr(1, BORDER), PeerIdentity::from_domains([COM]));
        identities.insert(addr(2, BORDER), PeerIdentity::from_domains([NET]));
        World {
            mode,
            clock: Clock::new(),
            net: Net::new(NetConfig::default(), 1),
            domains,
            reply_to: HashMap::new(),
            identities,
            hub: None,
            outside_got: Vec::new(),
        }
    }

    /// Replaces domain `name`'s border by one with the configuration
    /// `f` makes of its default one (the log hook is kept).
    pub fn reconfigure_border(&mut self, name: &str, f: impl FnOnce(&mut BorderConfig)) {
        let other = if name == COM { NET } else { COM };
        let mode = self.mode;
        let d = self.dom(name);
        let mut config = BorderConfig::new(name, vec![peer(other, mode)]);
        f(&mut config);
        d.border = logged_border(config, &d.refusals);
    }

    /// Both borders require TLS of each other.
    pub fn with_tls(mut self) -> World {
        for name in [COM, NET] {
            self.reconfigure_border(name, |c| {
                for p in &mut c.peers {
                    p.require_tls = true;
                }
            });
        }
        self
    }

    pub fn with_hub(mut self) -> World {
        let a = SocketAddr::from(([10, 0, 9, 1], 5060));
        self.hub = Some((
            a,
            simple_presence::hub::ClearingHouse::new(vec![
                simple_presence::hub::Network::new(COM),
                simple_presence::hub::Network::new(NET),
            ]),
        ));
        self.identities
            .insert(a, PeerIdentity::from_domains([COM, NET]));
        self
    }

    pub fn dom(&mut self, name: &str) -> &mut Domain {
        self.domains.iter_mut().find(|d| d.name == name).unwrap()
    }

    fn idx(&self, name: &str) -> usize {
        self.domains.iter().position(|d| d.name == name).unwrap()
    }

    pub fn border_addr(&self, name: &str) -> SocketAddr {
        addr(self.domains[self.idx(name)].base, BORDER)
    }

    fn send(&mut self, from: SocketAddr, to: SocketAddr, m: &Message) {
        let now = self.clock.now();
        self.net.send(now, from, to, m.to_bytes().to_vec());
    }

    /// Sends a request from inside domain `d` (base) by routing rules.
    fn route_inside(&mut self, base: u8, from: SocketAddr, m: Message) {
        let name = self
            .domains
            .iter()
            .find(|d| d.base == base)
            .unwrap()
            .name
            .clone();
        match &m {
            Message::Response(_) => {
                let k = key(&m).unwrap();
                if let Some(to) = self.reply_to.remove(&(from, k)) {
                    self.send(from, to, &m);
                }
            }
            Message::Request(r) => {
                let t = target(r);
                let dom = domain_of(&t).unwrap_or_default();
                let list = r.headers().iter().any(|(n, v)| {
                    n.as_bytes().eq_ignore_ascii_case(b"Supported")
                        && v.windows(9).any(|x| x == b"eventlist")
                });
                let to = if dom != name || t.contains("border@") {
                    addr(base, BORDER)
                } else if t.contains("rls@") || (list && *r.method() == Method::SUBSCRIBE) {
                    addr(base, RLS)
                } else if *r.method() == Method::SUBSCRIBE || *r.method() == Method::PUBLISH {
                    addr(base, AGENT)
                } else {
                    addr(base, USERS)
                };
                if to == from {
                    return;
                }
                self.send(from, to, &m);
            }
        }
    }

    /// Sends from an arbitrary outside address to a border.
    pub fn send_outside(
        &mut self,
        from: SocketAddr,
        who: PeerIdentity,
        to_domain: &str,
        r: Request,
    ) {
        self.identities.insert(from, who);
        let to = self.border_addr(to_domain);
        self.send(from, to, &Message::Request(r));
    }

    /// Drains every element's output onto the network.
    fn drain(&mut self) {
        for i in 0..self.domains.len() {
            let base = self.domains[i].base;
            while let Some(r) = self.domains[i].agent.poll_transmit() {
                self.route_inside(base, addr(base, AGENT), Message::Request(r));
            }
            let mut ws = Vec::new();
            for w in self.domains[i].watchers.values_mut() {
                while let Some(r) = w.poll_transmit() {
                    ws.push(r);
                }
            }
            for p in self.domains[i].pagers.values_mut() {
                while let Some(r) = p.poll_transmit() {
                    ws.push(r);
                }
            }
            for r in ws {
                self.route_inside(base, addr(base, USERS), Message::Request(r));
            }
            let mut lr = Vec::new();
            if let Some(l) = &mut self.domains[i].lists {
                while let Some(r) = l.poll_transmit() {
                    lr.push(r);
                }
            }
            for r in lr {
                self.route_inside(base, addr(base, RLS), Message::Request(r));
            }
            while let Some(t) = self.domains[i].border.poll_transmit() {
                let me = addr(base, BORDER);
                match t.dest {
                    Dest::Inside => self.route_inside(base, me, t.message),
                    Dest::Peer { domain: d, tls } => {
                        let from = over(me, tls);
                        if let Message::Response(_) = &t.message {
                            let k = key(&t.message).unwrap();
                            if let Some(to) = self.reply_to.remove(&(me, k)) {
                                self.send(from, to, &t.message);
                            }
                            continue;
                        }
                        let to = match &self.hub {
                            Some((h, _)) => *h,
                            None => self.border_addr(&d),
                        };
                        self.send(from, to, &t.message);
                    }
                }
            }
        }
        if let Some((ha, mut hub)) = self.hub.take() {
            while let Some((dom, m)) = hub.poll_transmit() {
                let to = match &m {
                    Message::Response(_) => self.reply_to.remove(&(ha, key(&m).unwrap())),
                    Message::Request(_) => Some(self.border_addr(&dom)),
                };
                if let Some(to) = to {
                    self.send(ha, to, &m);
                }
            }
            self.hub = Some((ha, hub));
        }
    }

    /// Runs the world until the network is idle.
    pub fn run(&mut self) {
        for _ in 0..10_000 {
            self.drain();
            let Some(t) = self.net.next_arrival() else {
                return;
            };
            self.clock.advance_to(t);
            let now = self.clock.now();
            for d in self.net.deliver(now) {
                let m = Message::parse_datagram(Bytes::from(d.data), &views::limits())
                    .expect("every message on the wire parses");
                if let (Message::Request(_), Some(k)) = (&m, key(&m)) {
                    self.reply_to.insert((d.to, k), d.from);
                }
                self.deliver(now, d.from, d.to, m);
            }
        }
        panic!("the world did not settle");
    }

    fn deliver(&mut self, now: std::time::Instant, from: SocketAddr, to: SocketAddr, m: Message) {
        let transport = if from.port() == TLS_PORT {
            LinkTransport::Tls
        } else {
            LinkTransport::Plain
        };
        let to = plain(to);
        if let Some((ha, hub)) = &mut self.hub {
            if *ha == to {
                let conn = self.identities.get(&from).cloned().unwrap_or_default();
                hub.handle(&conn, m);
                return;
            }
        }
        let Some(i) = self.domains.iter().position(|d| {
            d.base
                == to
                    .ip()
                    .to_string()
                    .split('.')
                    .nth(2)
                    .unwrap()
                    .parse::<u8>()
                    .unwrap()
        }) else {
            // An outside party.
            if let Message::Response(r) = m {
                self.outside_got.push((to, r));
            }
            return;
        };
        let base = self.domains[i].base;
        let is_peer_link = from.ip().to_string().split('.').nth(2) != Some(&base.to_string());
        let d = &mut self.domains[i];
        match (to, m) {
            (t, m) if t == addr(base, BORDER) => {
                if is_peer_link {
                    let conn = self
                        .identities
                        .get(&from)
                        .or_else(|| self.identities.get(&plain(from)))
                        .cloned()
                        .unwrap_or_default();
                    d.border.handle_peer_over(now, &conn, transport, m);
                } else {
                    d.border.handle_inside(now, m);
                }
            }
            (t, Message::Request(r)) if t == addr(base, AGENT) => {
                let x = d.agent.handle_request(now, &r);
                self.route_inside(base, t, Message::Response(x));
            }
            (t, Message::Response(x)) if t == addr(base, AGENT) => d.agent.handle_response(&x),
            (t, Message::Request(r)) if t == addr(base, RLS) => {
                let x = match &mut d.lists {
                    Some(l) => l.handle_request(now, &r),
                    None => Response::from_request(&r, sip_core::StatusCode::NOT_FOUND),
                };
                self.route_inside(base, t, Message::Response(x));
            }
            (t, Message::Response(x)) if t == addr(base, RLS) => {
                if let Some(l) = &mut d.lists {
                    l.handle_response(now, &x);
                }
            }
            (t, Message::Request(r)) if t == addr(base, USERS) => {
                let who = aor(&target(&r)).unwrap();
                let x = match d.watchers.get_mut(&who) {
                    Some(w) if *r.method() == Method::NOTIFY => w.handle_notify(now, &r),
                    _ if *r.method() == Method::MESSAGE => d
                        .pagers
                        .entry(who.clone())
                        .or_insert_with(|| simple_presence::pager::Pager::new(&who))
                        .handle_message("2026-11-25T10:00:00Z", &r),
                    _ => Response::from_request(&r, sip_core::StatusCode::NOT_FOUND),
                };
                self.route_inside(base, t, Message::Response(x));
            }
            (t, Message::Response(x)) if t == addr(base, USERS) => {
                let who = from_uri(x.headers()).and_then(|u| aor(&u)).unwrap();
                if x.headers().typed::<CSeq>().unwrap().unwrap().method == Method::MESSAGE {
                    d.message_answers.push(x);
                } else if x.headers().typed::<CSeq>().unwrap().unwrap().method == Method::PUBLISH {
                    if let Some(p) = d.publishers.get_mut(&who) {
                        if let Some(again) = p.handle_response(now, &x) {
                            self.route_inside(base, t, Message::Request(again));
                        }
                    }
                } else if let Some(w) = d.watchers.get_mut(&who) {
                    w.handle_response(now, &x);
                }
            }
            _ => {}
        }
    }

    /// A watcher `user` in its domain subscribes to `resource`.
    pub fn subscribe(&mut self, user: &str, resource: &str, package: &str) {
        let now = self.clock.now();
        let dom = domain_of(user).unwrap();
        let i = self.idx(&dom);
        let base = self.domains[i].base;
        let w = self.domains[i]
            .watchers
            .entry(user.to_owned())
            .or_insert_with(|| PresenceWatcher::new(user));
        let r = w.subscribe(now, resource, package, false).unwrap();
        self.route_inside(base, addr(base, USERS), Message::Request(r));
    }

    /// A watcher `user` subscribes to the list `list` (RFC 4662).
    pub fn subscribe_list(&mut self, user: &str, list: &str) {
        let now = self.clock.now();
        let dom = domain_of(user).unwrap();
        let i = self.idx(&dom);
        let base = self.domains[i].base;
        let w = self.domains[i]
            .watchers
            .entry(user.to_owned())
            .or_insert_with(|| PresenceWatcher::new(user));
        let r = w.subscribe(now, list, "presence", true).unwrap();
        self.route_inside(base, addr(base, USERS), Message::Request(r));
    }

    /// `user` sends a pager-mode message (or any MESSAGE it built).
    pub fn send_message(&mut self, user: &str, r: Request) {
        let dom = domain_of(user).unwrap();
        let base = self.domains[self.idx(&dom)].base;
        self.route_inside(base, addr(base, USERS), Message::Request(r));
    }

    pub fn pager(&mut self, user: &str) -> &mut simple_presence::pager::Pager {
        let dom = domain_of(user).unwrap();
        let i = self.idx(&dom);
        self.domains[i]
            .pagers
            .entry(user.to_owned())
            .or_insert_with(|| simple_presence::pager::Pager::new(user))
    }

    /// `user` publishes a PIDF document with basic `status` and a note.
    pub fn publish(&mut self, user: &str, status: &str, note: &str) {
        let now = self.clock.now();
        let dom = domain_of(user).unwrap();
        let i = self.idx(&dom);
        let base = self.domains[i].base;
        let p = self.domains[i]
            .publishers
            .entry(user.to_owned())
            .or_insert_with(|| {
                Publisher::new(
                    &Uri::parse_str(user).unwrap(),
                    &format!("<{user}>;tag=pub"),
                    &format!("pub.{user}"),
                    "presence",
                    3600,
                    Duration::from_millis(500),
                )
            });
        let doc = format!(
            "<presence xmlns=\"urn:ietf:params:xml:ns:pidf\" entity=\"{user}\">\
             <tuple id=\"t1\"><status><basic>{status}</basic></status>\
             <contact>{user}</contact><note>{note}</note></tuple>\
             <tuple id=\"t2\"><status><basic>open</basic></status><contact>mailto:x@{dom}</contact></tuple></presence>"
        );
        let ct = simple_presence::sip::content_type("application/pidf+xml").unwrap();
        if let Some(r) = p.publish(now, &ct, Bytes::from(doc)) {
            self.route_inside(base, addr(base, USERS), Message::Request(r));
        }
    }

    /// Bytes and datagrams between the two borders (or through the hub)
    /// since log index `from`.
    pub fn link_traffic(&self, from: usize) -> (usize, usize, Vec<Message>) {
        let borders = [addr(1, BORDER), addr(2, BORDER)];
        let hub = self.hub.as_ref().map(|(a, _)| *a);
        let on_link = |a: &SocketAddr| borders.contains(&plain(*a)) || Some(*a) == hub;
        let mut n = 0;
        let mut bytes = 0;
        let mut msgs = Vec::new();
        for (_, d) in self.net.log().iter().skip(from) {
            if on_link(&d.from) && on_link(&d.to) {
                n += 1;
                bytes += d.data.len();
                msgs.push(
                    Message::parse_datagram(Bytes::from(d.data.clone()), &views::limits()).unwrap(),
                );
            }
        }
        (n, bytes, msgs)
    }

    /// The messages between the two borders since log index `from`, each
    /// with whether it went over TLS.
    pub fn link_messages(&self, from: usize) -> Vec<(bool, Message)> {
        let borders = [addr(1, BORDER), addr(2, BORDER)];
        self.net
            .log()
            .iter()
            .skip(from)
            .filter(|(_, d)| borders.contains(&plain(d.from)) && borders.contains(&plain(d.to)))
            .map(|(_, d)| {
                let m =
                    Message::parse_datagram(Bytes::from(d.data.clone()), &views::limits()).unwrap();
                (d.from.port() == TLS_PORT, m)
            })
            .collect()
    }
}
