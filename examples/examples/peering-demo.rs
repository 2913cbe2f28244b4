//! `peering-demo`: two peer networks, example.com and example.net, talking
//! over loopback, running the RFC 5344 use cases live.
//!
//! Each network is a presence agent, its users (watchers, publishers,
//! pagers) and a peering border. Inside a network the elements exchange
//! messages in process; between the networks every message is serialized
//! and crosses a real UDP socket on 127.0.0.1 (one per border, ephemeral
//! ports), and the MSRP sessions (negotiated with `msrp::sdp` offers and
//! answers, handed over in process since no INVITE dialog is involved) run
//! over loopback TCP connections. The
//! ladder shows what crossed the link: time, direction, method or status,
//! bytes.
//!
//! Exits 0 when every step succeeded, 1 otherwise. Every wait has a
//! timeout.
#![allow(clippy::disallowed_methods)] // an application reads the clock

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use msrp::sdp::{Direction, FileSelector, FileTransfer, MsrpDescription, Sdp, Setup};
use msrp::{MessageSpec, MsrpUri, Session};
use rls::resource_lists::{Entry, List};
use rls::rls_services::{Service, ServiceSource};
use rls::server::{ListKind, MemoryDirectory, StoredList};
use simple_presence::agent::{AgentConfig, PresenceAgent};
use simple_presence::border::{Border, BorderConfig, Dest, PeerEntry};
use simple_presence::doc::imdn::{Kind, Status};
use simple_presence::identity::PeerIdentity;
use simple_presence::list::ListAgent;
use simple_presence::pager::Pager;
use simple_presence::sip::{aor, domain_of, from_uri, target};
use simple_presence::views::{self, PeerMode};
use simple_presence::watcher::PresenceWatcher;
use sip_core::header::{CSeq, CallId};
use sip_core::publication::Publisher;
use sip_core::{Bytes, Message, Method, Response, StatusCode, Uri};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, UdpSocket};

const COM: &str = "example.com";
const NET: &str = "example.net";
/// Longest wait for one datagram or one TCP read.
const WAIT: Duration = Duration::from_secs(3);
/// Watchers of the many-watchers use case.
const MANY: usize = 1000;
const NOW: &str = "2026-11-25T10:00:00Z";

/// An element inside one network.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
enum Elem {
    Agent,
    Border,
    Users,
    /// The resource list server.
    Rls,
}

type Key = (Bytes, u32, Method);

fn key(m: &Message) -> Option<Key> {
    let c: CallId = m.headers().typed().ok().flatten()?;
    let s: CSeq = m.headers().typed().ok().flatten()?;
    Some((c.0, s.seq, s.method))
}

/// One peer network.
struct Domain {
    name: &'static str,
    agent: PresenceAgent,
    border: Border,
    watchers: HashMap<String, PresenceWatcher>,
    publishers: HashMap<String, Publisher>,
    pagers: HashMap<String, Pager>,
    message_answers: Vec<Response>,
    lists: Option<ListAgent>,
    /// Who to answer for each request an element received.
    reply_to: HashMap<(Elem, Key), Elem>,
    /// The border's socket on the peering link.
    sock: UdpSocket,
    /// What the link connection authenticated (the other network).
    peer_id: PeerIdentity,
    /// NOTIFYs (count, bytes) the border handed to local watchers.
    local_notifies: (usize, usize),
}

/// Traffic on the link.
#[derive(Default, Clone, Copy)]
struct Link {
    datagrams: usize,
    bytes: usize,
    notifies: usize,
    notify_bytes: usize,
}

/// Both networks and the link between them.
struct Demo {
    doms: Vec<Domain>,
    inside: VecDeque<(usize, Elem, Elem, Message)>,
    start: Instant,
    in_flight: usize,
    link: Link,
    /// Print one ladder line per datagram.
    ladder: bool,
    /// Otherwise: (count, bytes) per label.
    summary: std::collections::BTreeMap<String, (usize, usize)>,
}

fn plural(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

fn label(m: &Message) -> String {
    let cseq: Option<CSeq> = m.headers().typed().ok().flatten();
    let event = m
        .headers()
        .iter()
        .find(|(n, _)| {
            n.as_bytes().eq_ignore_ascii_case(b"Event") || n.as_bytes().eq_ignore_ascii_case(b"o")
        })
        .map(|(_, v)| String::from_utf8_lossy(v).into_owned());
    let header = |name: &[u8]| {
        m.headers()
            .iter()
            .find(|(n, _)| n.as_bytes().eq_ignore_ascii_case(name))
            .map(|(_, v)| String::from_utf8_lossy(v).into_owned())
            .unwrap_or_default()
    };
    let mut what: Vec<String> = event.into_iter().collect();
    if header(b"Supported").contains("eventlist") && m.body().is_empty() {
        what.push("eventlist".into());
    }
    if header(b"Content-Type").starts_with("multipart/related") {
        what.push("RLMI".into());
    }
    let ct: Option<sip_core::header::ContentType> = m.headers().typed().ok().flatten();
    if let (Some(ct), Message::Request(r)) = (ct, m) {
        if *r.method() == Method::NOTIFY && header(b"Content-Type").starts_with("multipart/mixed") {
            match views::ViewBundle::parse(&ct.0, r.body()) {
                Ok(b) if b.views.iter().any(|v| !v.watchers.is_empty()) => what.push(format!(
                    "{} for {}",
                    plural(b.documents(), "view"),
                    plural(
                        b.views.iter().map(|v| v.watchers.len()).sum::<usize>(),
                        "watcher"
                    )
                )),
                _ => {
                    if let Ok(dl) = views::Delegated::parse(&ct.0, r.body()) {
                        what.push(
                            if dl.rules.is_some() {
                                "full doc + rules"
                            } else {
                                "full doc"
                            }
                            .into(),
                        );
                    }
                }
            }
        }
    }
    let imdn = b"imdn+xml";
    if m.body().windows(imdn.len()).any(|w| w == imdn) {
        what.push("IMDN".into());
    } else if header(b"Content-Type").starts_with("message/cpim") {
        what.push("CPIM".into());
    }
    match m {
        Message::Request(r) if what.is_empty() => r.method().to_string(),
        Message::Request(r) => format!("{} ({})", r.method(), what.join(", ")),
        Message::Response(r) => format!(
            "{} ({})",
            r.status().as_u16(),
            cseq.map(|c| c.method.to_string()).unwrap_or_default()
        ),
    }
}

impl Demo {
    async fn new(mode: PeerMode) -> Result<Demo, String> {
        let mut doms = Vec::new();
        for (name, other) in [(COM, NET), (NET, COM)] {
            let sock = UdpSocket::bind("127.0.0.1:0")
                .await
                .map_err(|e| format!("bind the {name} border's UDP socket: {e}"))?;
            doms.push(Domain {
                name,
                agent: PresenceAgent::new(AgentConfig::new(name)),
                border: Border::new(BorderConfig::new(name, vec![PeerEntry::new(other, mode)])),
                watchers: HashMap::new(),
                publishers: HashMap::new(),
                pagers: HashMap::new(),
                message_answers: Vec::new(),
                lists: None,
                reply_to: HashMap::new(),
                sock,
                peer_id: PeerIdentity::from_domains([other]),
                local_notifies: (0, 0),
            });
        }
        Ok(Demo {
            doms,
            inside: VecDeque::new(),
            start: Instant::now(),
            in_flight: 0,
            link: Link::default(),
            ladder: true,
            summary: Default::default(),
        })
    }

    fn addr(&self, i: usize) -> Result<SocketAddr, String> {
        self.doms
            .get(i)
            .ok_or("no such network")?
            .sock
            .local_addr()
            .map_err(|e| format!("local address: {e}"))
    }

    fn idx(name: &str) -> usize {
        usize::from(name == NET)
    }

    /// Routes a message from element `from` inside network `i`.
    fn route_inside(&mut self, i: usize, from: Elem, m: Message) {
        let d = &mut self.doms[i];
        let to = match &m {
            Message::Response(_) => match key(&m).and_then(|k| d.reply_to.remove(&(from, k))) {
                Some(to) => to,
                None => return,
            },
            Message::Request(r) => {
                let t = target(r);
                let dom = domain_of(&t).unwrap_or_default();
                let list = r.headers().iter().any(|(n, v)| {
                    n.as_bytes().eq_ignore_ascii_case(b"Supported")
                        && v.windows(9).any(|x| x == b"eventlist")
                });
                if dom != d.name {
                    Elem::Border
                } else if t.contains("rls@") || (list && *r.method() == Method::SUBSCRIBE) {
                    Elem::Rls
                } else if *r.method() == Method::SUBSCRIBE || *r.method() == Method::PUBLISH {
                    Elem::Agent
                } else {
                    Elem::Users
                }
            }
        };
        if to != from {
            self.inside.push_back((i, from, to, m));
        }
    }

    /// Serializes `m` onto the link from network `i`'s border.
    async fn send_link(&mut self, i: usize, m: &Message) -> Result<(), String> {
        let bytes = m.to_bytes();
        let to = self.addr(1 - i)?;
        self.doms[i]
            .sock
            .send_to(&bytes, to)
            .await
            .map_err(|e| format!("send on the link from {}: {e}", self.doms[i].name))?;
        self.in_flight += 1;
        self.link.datagrams += 1;
        self.link.bytes += bytes.len();
        if matches!(m, Message::Request(r) if *r.method() == Method::NOTIFY) {
            self.link.notifies += 1;
            self.link.notify_bytes += bytes.len();
        }
        if !self.ladder {
            let e = self.summary.entry(label(m)).or_default();
            e.0 += 1;
            e.1 += bytes.len();
        } else {
            println!(
                "  {:>7.1} ms  {COM} {} {NET}  {:<40} {:>6} B",
                self.start.elapsed().as_secs_f64() * 1000.0,
                if i == 0 { "-->" } else { "<--" },
                label(m),
                bytes.len()
            );
        }
        Ok(())
    }

    /// Collects every element's output.
    async fn drain(&mut self) -> Result<(), String> {
        for i in 0..2 {
            while let Some(r) = self.doms[i].agent.poll_transmit() {
                self.route_inside(i, Elem::Agent, Message::Request(r));
            }
            let mut out = Vec::new();
            for w in self.doms[i].watchers.values_mut() {
                while let Some(r) = w.poll_transmit() {
                    out.push(r);
                }
            }
            for p in self.doms[i].pagers.values_mut() {
                while let Some(r) = p.poll_transmit() {
                    out.push(r);
                }
            }
            for r in out {
                self.route_inside(i, Elem::Users, Message::Request(r));
            }
            let mut out = Vec::new();
            if let Some(l) = &mut self.doms[i].lists {
                while let Some(r) = l.poll_transmit() {
                    out.push(r);
                }
            }
            for r in out {
                self.route_inside(i, Elem::Rls, Message::Request(r));
            }
            while let Some(t) = self.doms[i].border.poll_transmit() {
                match t.dest {
                    Dest::Inside => self.route_inside(i, Elem::Border, t.message),
                    Dest::Peer { .. } => self.send_link(i, &t.message).await?,
                }
            }
        }
        Ok(())
    }

    /// Runs both networks until nothing is in flight.
    async fn run(&mut self) -> Result<(), String> {
        let mut b0 = vec![0u8; 65_535];
        let mut b1 = vec![0u8; 65_535];
        for _ in 0..1_000_000 {
            self.drain().await?;
            if let Some((i, from, to, m)) = self.inside.pop_front() {
                self.deliver_inside(i, from, to, m);
                continue;
            }
            if self.in_flight == 0 {
                return Ok(());
            }
            let (i, data) = tokio::select! {
                r = self.doms[0].sock.recv_from(&mut b0) => (0, r.map(|(n, _)| Bytes::copy_from_slice(&b0[..n]))),
                r = self.doms[1].sock.recv_from(&mut b1) => (1, r.map(|(n, _)| Bytes::copy_from_slice(&b1[..n]))),
                () = tokio::time::sleep(WAIT) => {
                    return Err(format!("{} datagram(s) on the link never arrived within {WAIT:?}", self.in_flight));
                }
            };
            let data = data.map_err(|e| format!("receive on the link: {e}"))?;
            self.in_flight -= 1;
            let m = Message::parse_datagram(data, &views::limits())
                .map_err(|e| format!("a datagram on the link does not parse: {e}"))?;
            let now = Instant::now();
            let d = &mut self.doms[i];
            d.border.handle_peer(now, &d.peer_id.clone(), m);
        }
        Err("the networks did not settle".into())
    }

    fn deliver_inside(&mut self, i: usize, from: Elem, to: Elem, m: Message) {
        let now = Instant::now();
        if let (Message::Request(_), Some(k)) = (&m, key(&m)) {
            self.doms[i].reply_to.insert((to, k), from);
        }
        let d = &mut self.doms[i];
        match (to, m) {
            (Elem::Border, m) => d.border.handle_inside(now, m),
            (Elem::Agent, Message::Request(r)) => {
                let x = d.agent.handle_request(now, &r);
                self.route_inside(i, to, Message::Response(x));
            }
            (Elem::Agent, Message::Response(x)) => d.agent.handle_response(&x),
            (Elem::Rls, Message::Request(r)) => {
                let x = match &mut d.lists {
                    Some(l) => l.handle_request(now, &r),
                    None => Response::from_request(&r, StatusCode::NOT_FOUND),
                };
                self.route_inside(i, to, Message::Response(x));
            }
            (Elem::Rls, Message::Response(x)) => {
                if let Some(l) = &mut d.lists {
                    l.handle_response(now, &x);
                }
            }
            (Elem::Users, Message::Request(r)) => {
                if from == Elem::Border && *r.method() == Method::NOTIFY {
                    d.local_notifies.0 += 1;
                    d.local_notifies.1 += Message::Request(r.clone()).to_bytes().len();
                }
                let who = aor(&target(&r)).unwrap_or_default();
                let x = match d.watchers.get_mut(&who) {
                    Some(w) if *r.method() == Method::NOTIFY => w.handle_notify(now, &r),
                    _ if *r.method() == Method::MESSAGE => d
                        .pagers
                        .entry(who.clone())
                        .or_insert_with(|| Pager::new(&who))
                        .handle_message(NOW, &r),
                    _ => Response::from_request(&r, StatusCode::NOT_FOUND),
                };
                self.route_inside(i, to, Message::Response(x));
            }
            (Elem::Users, Message::Response(x)) => {
                let who = from_uri(x.headers())
                    .and_then(|u| aor(&u))
                    .unwrap_or_default();
                let method = x.headers().typed::<CSeq>().ok().flatten().map(|c| c.method);
                if method == Some(Method::MESSAGE) {
                    d.message_answers.push(x);
                } else if method == Some(Method::PUBLISH) {
                    if let Some(again) = d
                        .publishers
                        .get_mut(&who)
                        .and_then(|p| p.handle_response(now, &x))
                    {
                        self.route_inside(i, to, Message::Request(again));
                    }
                } else if let Some(w) = d.watchers.get_mut(&who) {
                    w.handle_response(now, &x);
                }
            }
        }
    }

    fn subscribe(&mut self, user: &str, resource: &str) -> Result<(), String> {
        self.subscribe_as(user, resource, false)
    }

    /// Subscribes `user` to `resource`, a list (RFC 4662) when `list`.
    fn subscribe_as(&mut self, user: &str, resource: &str, list: bool) -> Result<(), String> {
        let i = Self::idx(&domain_of(user).unwrap_or_default());
        let r = self.doms[i]
            .watchers
            .entry(user.to_owned())
            .or_insert_with(|| PresenceWatcher::new(user))
            .subscribe(Instant::now(), resource, "presence", list)
            .ok_or_else(|| format!("{user} cannot subscribe to {resource}"))?;
        self.route_inside(i, Elem::Users, Message::Request(r));
        Ok(())
    }

    fn publish(&mut self, user: &str, status: &str, note: &str) -> Result<(), String> {
        let dom = domain_of(user).unwrap_or_default();
        let i = Self::idx(&dom);
        let uri = Uri::parse_str(user).map_err(|e| format!("{user}: {e}"))?;
        let p = self.doms[i]
            .publishers
            .entry(user.to_owned())
            .or_insert_with(|| {
                Publisher::new(
                    &uri,
                    &format!("<{user}>;tag=pub"),
                    &format!("pub.{user}"),
                    "presence",
                    3600,
                    Duration::from_millis(500),
                )
            });
        let doc = format!(
            "<presence xmlns=\"urn:ietf:params:xml:ns:pidf\" entity=\"{user}\">\
             <tuple id=\"im\"><status><basic>{status}</basic></status>\
             <contact>{user}</contact><note>{note}</note></tuple>\
             <tuple id=\"mail\"><status><basic>open</basic></status>\
             <contact>mailto:desk@{dom}</contact></tuple></presence>"
        );
        let ct = simple_presence::sip::content_type("application/pidf+xml")
            .ok_or("the PIDF content type")?;
        if let Some(r) = p.publish(Instant::now(), &ct, Bytes::from(doc)) {
            self.route_inside(i, Elem::Users, Message::Request(r));
        }
        Ok(())
    }

    /// The document `user` holds for `of`, as text.
    fn seen(&self, user: &str, of: &str) -> Option<String> {
        let i = Self::idx(&domain_of(user)?);
        let p = self.doms[i].watchers.get(user)?.presence(of)?;
        let mut out = Vec::new();
        p.write(&mut out);
        Some(String::from_utf8_lossy(&out).into_owned())
    }

    fn set_rules(&mut self, user: &str, rules: &str) -> Result<(), String> {
        let i = Self::idx(&domain_of(user).unwrap_or_default());
        let rs = policy::RuleSet::parse(
            format!(
                r#"<ruleset xmlns="urn:ietf:params:xml:ns:common-policy"
    xmlns:pr="urn:ietf:params:xml:ns:pres-rules">{rules}</ruleset>"#
            )
            .as_bytes(),
        )
        .map_err(|e| format!("rules of {user}: {e}"))?;
        self.doms[i].agent.set_rules(Instant::now(), user, rs);
        Ok(())
    }
}

fn check(ok: bool, what: &str) -> Result<(), String> {
    if ok {
        println!("  ok: {what}");
        Ok(())
    } else {
        Err(format!("check failed: {what}"))
    }
}

const ALLOW_ALL: &str = "<actions><pr:sub-handling>allow</pr:sub-handling></actions>\
  <transformations><pr:provide-services><pr:all-services/></pr:provide-services>\
  <pr:provide-all-attributes/></transformations>";

async fn inter_domain() -> Result<(), String> {
    println!("\n== 1. inter-domain subscription: alice@example.com watches bob@example.net ==");
    let (alice, bob) = ("sip:alice@example.com", "sip:bob@example.net");
    let mut d = Demo::new(PeerMode::PerView).await?;
    println!(
        "  example.com border on udp {}, example.net border on udp {}",
        d.addr(0)?,
        d.addr(1)?
    );
    d.set_rules(
        bob,
        &format!(
            r#"<rule id="a"><conditions><identity><one id="{alice}"/></identity></conditions>{ALLOW_ALL}</rule>"#
        ),
    )?;
    d.publish(bob, "open", "in a meeting")?;
    d.run().await?;
    d.subscribe(alice, bob)?;
    d.run().await?;
    let doc = d.seen(alice, bob).unwrap_or_default();
    check(
        doc.contains("in a meeting"),
        "alice has bob's document (note \"in a meeting\")",
    )?;
    println!("  bob publishes an update");
    d.publish(bob, "closed", "gone home")?;
    d.run().await?;
    let doc = d.seen(alice, bob).unwrap_or_default();
    check(
        doc.contains("gone home") && doc.contains("closed"),
        "the update crossed: alice sees closed, \"gone home\"",
    )?;
    Ok(())
}

async fn public_group() -> Result<(), String> {
    println!("\n== 2. public-group list subscription across domains: alice@example.com watches sip:friends@example.net ==");
    let group = "sip:friends@example.net";
    let alice = "sip:alice@example.com";
    let members = [
        ("sip:bob@example.net", "bob here"),
        ("sip:carol@example.net", "carol here"),
    ];
    let mut d = Demo::new(PeerMode::PerView).await?;
    let list = members
        .iter()
        .fold(List::new(None), |l, (m, _)| l.with_entry(Entry::new(*m)));
    let mut dir = MemoryDirectory::default();
    dir.insert(StoredList {
        kind: ListKind::Public,
        service: Service::new(group, ServiceSource::List(list)),
        names: Vec::new(),
    });
    d.doms[1].lists = Some(ListAgent::new(NET, dir));
    // The members let example.net's list server (subscribing as itself)
    // see them.
    for (m, note) in members {
        d.set_rules(
            m,
            &format!(
                r#"<rule id="rls"><conditions><identity><one id="sip:rls@example.net"/></identity></conditions>{ALLOW_ALL}</rule>"#
            ),
        )?;
        d.publish(m, "open", note)?;
    }
    d.run().await?;
    d.subscribe_as(alice, group, true)?;
    d.run().await?;
    let row = |d: &Demo, m: &str| -> String {
        d.doms[0]
            .watchers
            .get(alice)
            .and_then(|w| w.list(group))
            .and_then(|v| v.resource(m))
            .and_then(|r| r.active_body())
            .map(|b| String::from_utf8_lossy(b).into_owned())
            .unwrap_or_default()
    };
    for (m, note) in members {
        check(
            row(&d, m).contains(note),
            &format!("alice's list view has {m} (\"{note}\")"),
        )?;
    }
    println!("  bob publishes an update");
    d.publish(members[0].0, "closed", "bob left")?;
    d.run().await?;
    check(
        row(&d, members[0].0).contains("bob left"),
        "the change reached alice as a list notification",
    )?;
    Ok(())
}

fn user(i: usize) -> String {
    format!("sip:w{i}@example.com")
}

/// Friends see everything, colleagues the services without notes, the rest
/// of example.com the neutral document (polite-block).
fn three_rule_sets(n: usize) -> String {
    let ones = |r: std::ops::Range<usize>| {
        r.map(|i| format!("<one id=\"{}\"/>", user(i)))
            .collect::<String>()
    };
    format!(
        r#"<rule id="all"><conditions><identity><many domain="example.com"/></identity></conditions>
  <actions><pr:sub-handling>polite-block</pr:sub-handling></actions><transformations/></rule>
<rule id="friends"><conditions><identity>{}</identity></conditions>{ALLOW_ALL}</rule>
<rule id="colleagues"><conditions><identity>{}</identity></conditions>
  <actions><pr:sub-handling>allow</pr:sub-handling></actions>
  <transformations><pr:provide-services><pr:service-uri-scheme>sip</pr:service-uri-scheme></pr:provide-services></transformations></rule>"#,
        ones(0..n / 3),
        ones(n / 3..2 * n / 3)
    )
}

async fn many_watchers(mode: PeerMode) -> Result<(), String> {
    println!(
        "\n== 3. carol@example.net watched by {MANY} watchers in example.com, three privacy rule sets ({} mode) ==",
        mode.as_str()
    );
    let carol = "sip:carol@example.net";
    let mut d = Demo::new(mode).await?;
    d.set_rules(carol, &three_rule_sets(MANY))?;
    d.publish(carol, "open", "writing")?;
    d.run().await?;
    d.ladder = false;
    let before = d.link;
    for i in 0..MANY {
        d.subscribe(&user(i), carol)?;
    }
    d.run().await?;
    println!(
        "  {MANY} local SUBSCRIBEs: {} datagrams, {} bytes crossed the link",
        d.link.datagrams - before.datagrams,
        d.link.bytes - before.bytes
    );
    for (what, (n, b)) in std::mem::take(&mut d.summary) {
        println!("      {n:>4} x {what:<40} {b:>6} B");
    }
    check(
        d.doms[0].border.stats().backends == 1,
        "one back-end subscription across the link",
    )?;
    let got = (0..MANY)
        .filter(|i| d.seen(&user(*i), carol).is_some())
        .count();
    check(
        got == MANY,
        &format!("{got} of {MANY} watchers hold a document"),
    )?;
    d.ladder = true;
    println!("  carol publishes an update:");
    let (before, local_before) = (d.link, d.doms[0].local_notifies);
    d.publish(carol, "closed", "at the dentist")?;
    d.run().await?;
    let copies = d.link.notifies - before.notifies;
    let bytes = d.link.notify_bytes - before.notify_bytes;
    let local = (
        d.doms[0].local_notifies.0 - local_before.0,
        d.doms[0].local_notifies.1 - local_before.1,
    );
    println!(
        "  per update: {copies} NOTIFY, {bytes} bytes across the link ({} mode); \
         one per watcher would send {} NOTIFYs, {} bytes ({:.1}x)",
        mode.as_str(),
        local.0,
        local.1,
        local.1 as f64 / bytes.max(1) as f64
    );
    check(copies == 1, "one NOTIFY crossed for the update")?;
    // Friends and colleagues see the change; the polite-blocked third keeps
    // its unchanged neutral document and gets no NOTIFY.
    let changed = 2 * MANY / 3;
    check(
        local.0 == changed,
        &format!("the {changed} watchers whose view changed were notified locally"),
    )?;
    let friend = d.seen(&user(0), carol).unwrap_or_default();
    let colleague = d.seen(&user(MANY / 2), carol).unwrap_or_default();
    let other = d.seen(&user(MANY - 1), carol).unwrap_or_default();
    check(friend.contains("at the dentist"), "a friend sees the note")?;
    check(
        !colleague.contains("at the dentist") && colleague.contains("sip:carol"),
        "a colleague sees the sip service without the note",
    )?;
    check(
        !other.contains("at the dentist") && !other.contains("sip:carol@example.net</contact>"),
        "the rest of example.com sees the neutral document",
    )?;
    Ok(())
}

async fn pager_im() -> Result<(), String> {
    println!("\n== 4. pager-mode IM alice@example.com -> bob@example.net with an IMDN ==");
    let (alice, bob) = ("sip:alice@example.com", "sip:bob@example.net");
    let mut d = Demo::new(PeerMode::PerView).await?;
    let (id, m) = d.doms[0]
        .pagers
        .entry(alice.into())
        .or_insert_with(|| Pager::new(alice))
        .send_text(NOW, bob, "lunch at noon?", &[Kind::Delivery])
        .ok_or("alice cannot build the MESSAGE")?;
    d.route_inside(0, Elem::Users, Message::Request(m));
    d.run().await?;
    let answered = d.doms[0]
        .message_answers
        .iter()
        .any(|r| r.status().as_u16() == 200);
    check(answered, "alice's MESSAGE got 200")?;
    let got = d.doms[1]
        .pagers
        .get(bob)
        .map(|p| p.received().to_vec())
        .unwrap_or_default();
    check(
        got.iter()
            .any(|r| &r.body[..] == b"lunch at noon?" && r.from == alice),
        "bob received \"lunch at noon?\" from alice",
    )?;
    let n = d.doms[0]
        .pagers
        .get(alice)
        .map(|p| p.notifications().to_vec())
        .unwrap_or_default();
    check(
        n.iter().any(|n| {
            n.message_id() == id && n.kind() == Kind::Delivery && n.status() == &Status::Delivered
        }),
        "alice received the IMDN: delivered",
    )?;
    Ok(())
}

/// Writes what `s` has to send to `conn`, counting bytes.
async fn pump(
    s: &mut Session,
    conn: &mut TcpStream,
    sent: &mut (usize, usize),
) -> Result<(), String> {
    while let Some(t) = s.poll_transmit(Instant::now()) {
        sent.0 += 1;
        for seg in &t.segments {
            sent.1 += seg.len();
            conn.write_all(seg)
                .await
                .map_err(|e| format!("MSRP write: {e}"))?;
        }
    }
    Ok(())
}

/// One MSRP session between alice (example.com, the offerer, listening)
/// and bob (example.net, the answerer, connecting: RFC 6135 `actpass` is
/// answered `active`): the SDP offer and answer are built and read with
/// `msrp::sdp`, the session settings come from them, then alice sends
/// `bodies` over loopback TCP. Returns what bob received, in order, and
/// the offer bob read.
async fn msrp_leg(
    what: &str,
    offer_for: impl FnOnce(MsrpUri, u16) -> MsrpDescription,
    answer_types: Vec<String>,
    bodies: Vec<(MessageSpec, Bytes)>,
) -> Result<(Vec<Vec<u8>>, MsrpDescription), String> {
    let t0 = Instant::now();
    let at = || t0.elapsed().as_secs_f64() * 1000.0;
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| format!("MSRP listen: {e}"))?;
    let alice_addr = listener
        .local_addr()
        .map_err(|e| format!("MSRP address: {e}"))?;
    let uri = |s: String| MsrpUri::parse(&s).map_err(|e| format!("MSRP URI {s}: {e}"));
    let alice_uri = uri(format!("msrp://{alice_addr}/a{}com;tcp", what.len()))?;
    // The offer, as alice would put it in an INVITE.
    let offer = offer_for(alice_uri, alice_addr.port());
    let offer_sdp = offer.to_sdp("alice", 2_890_844_526).to_bytes();
    println!(
        "  {:>7.1} ms  {COM} --> {NET}  {:<40} {:>6} B",
        at(),
        format!("SDP offer ({what}, setup:actpass)"),
        offer_sdp.len()
    );
    // Bob reads it and answers.
    let got_offer = Sdp::parse(&offer_sdp)
        .and_then(|s| MsrpDescription::from_sdp(&s))
        .map_err(|e| format!("bob reads the SDP offer: {e}"))?;
    let bob_uri = uri(format!("msrp://127.0.0.1:9/b{}net;tcp", what.len()))?;
    let answer = MsrpDescription::answer(&got_offer, "127.0.0.1", 9, vec![bob_uri], answer_types);
    let answer_sdp = answer.to_sdp("bob", 2_890_844_527).to_bytes();
    println!(
        "  {:>7.1} ms  {COM} <-- {NET}  {:<40} {:>6} B",
        at(),
        format!(
            "SDP answer (setup:{})",
            answer.setup.map(Setup::as_str).unwrap_or("-")
        ),
        answer_sdp.len()
    );
    let got_answer = Sdp::parse(&answer_sdp)
        .and_then(|s| MsrpDescription::from_sdp(&s))
        .map_err(|e| format!("alice reads the SDP answer: {e}"))?;
    if answer.setup != Some(Setup::Active) {
        return Err("bob's answer does not take the active role".into());
    }
    let alice_cfg = offer
        .session_config(&got_answer)
        .ok_or("alice's session settings")?;
    let bob_cfg = answer
        .session_config(&got_offer)
        .ok_or("bob's session settings")?;
    let target = format!("{}:{}", got_offer.host, got_offer.port);
    let mut bob_conn = tokio::time::timeout(WAIT, TcpStream::connect(&target))
        .await
        .map_err(|_| "MSRP connect timed out")?
        .map_err(|e| format!("MSRP connect to {target}: {e}"))?;
    let (mut alice_conn, _) = tokio::time::timeout(WAIT, listener.accept())
        .await
        .map_err(|_| "MSRP accept timed out")?
        .map_err(|e| format!("MSRP accept: {e}"))?;
    let mut alice = Session::new(alice_cfg).map_err(|e| format!("alice's session: {e}"))?;
    let mut bob = Session::new(bob_cfg).map_err(|e| format!("bob's session: {e}"))?;

    let mut ids = Vec::new();
    for (spec, body) in bodies {
        ids.push(
            alice
                .send_message(spec, body)
                .map_err(|e| format!("send over MSRP: {e}"))?,
        );
    }
    let mut got: HashMap<String, Vec<u8>> = HashMap::new();
    let mut complete = Vec::new();
    let mut sent_ok = Vec::new();
    let (mut a_sent, mut b_sent) = ((0, 0), (0, 0));
    let (mut ab, mut bb) = (vec![0u8; 65_536], vec![0u8; 65_536]);
    loop {
        pump(&mut alice, &mut alice_conn, &mut a_sent).await?;
        pump(&mut bob, &mut bob_conn, &mut b_sent).await?;
        while let Some(ev) = bob.poll_event() {
            match ev {
                msrp::Event::Data {
                    message_id,
                    offset,
                    data,
                } => {
                    let buf = got.entry(message_id).or_default();
                    if buf.len() as u64 != offset {
                        return Err(format!("MSRP data out of order at {offset}"));
                    }
                    buf.extend_from_slice(&data);
                }
                msrp::Event::MessageComplete { message_id, .. } => complete.push(message_id),
                msrp::Event::MessageAborted { message_id, status } => {
                    return Err(format!("bob refused MSRP message {message_id}: {status:?}"))
                }
                msrp::Event::StreamError(e) => return Err(format!("bob's stream: {e}")),
                _ => {}
            }
        }
        while let Some(ev) = alice.poll_event() {
            match ev {
                msrp::Event::MessageSent { message_id } => sent_ok.push(message_id),
                msrp::Event::MessageFailed { message_id, status } => {
                    return Err(format!("MSRP message {message_id} failed: {status}"))
                }
                msrp::Event::StreamError(e) => return Err(format!("alice's stream: {e}")),
                _ => {}
            }
        }
        if ids
            .iter()
            .all(|i| complete.contains(i) && sent_ok.contains(i))
        {
            break;
        }
        tokio::select! {
            r = bob_conn.read(&mut bb) => {
                let n = r.map_err(|e| format!("MSRP read at bob: {e}"))?;
                if n == 0 { return Err("alice closed the MSRP connection".into()); }
                bob.handle_input(Instant::now(), Bytes::copy_from_slice(&bb[..n]));
            }
            r = alice_conn.read(&mut ab) => {
                let n = r.map_err(|e| format!("MSRP read at alice: {e}"))?;
                if n == 0 { return Err("bob closed the MSRP connection".into()); }
                alice.handle_input(Instant::now(), Bytes::copy_from_slice(&ab[..n]));
            }
            () = tokio::time::sleep(WAIT) => return Err("MSRP transfer timed out".into()),
        }
    }
    println!(
        "  {:>7.1} ms  {COM} --> {NET}  {:<40} {:>6} B",
        at(),
        format!("MSRP SEND x {} (tcp)", a_sent.0),
        a_sent.1
    );
    println!(
        "  {:>7.1} ms  {COM} <-- {NET}  {:<40} {:>6} B",
        at(),
        format!("MSRP 200 x {} (tcp)", b_sent.0),
        b_sent.1
    );
    let out = ids
        .iter()
        .map(|i| got.remove(i).unwrap_or_default())
        .collect();
    Ok((out, got_offer))
}

async fn msrp_session() -> Result<(), String> {
    println!("\n== 5. MSRP chat and file transfer alice@example.com -> bob@example.net ==");
    println!("  (the SDP would ride in an INVITE; here it is handed over in process)");
    let text = Bytes::from_static(b"Here comes the report.");
    let (got, _) = msrp_leg(
        "chat",
        |uri, port| MsrpDescription::chat("127.0.0.1", port, uri),
        vec!["message/cpim".into(), "text/plain".into()],
        vec![(MessageSpec::new("text/plain"), text.clone())],
    )
    .await?;
    check(
        got.first().map(Vec::as_slice) == Some(&text[..]),
        "bob received the chat message \"Here comes the report.\"",
    )?;

    let file: Vec<u8> = (0..300 * 1024u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let file = Bytes::from(file);
    let octets = "application/octet-stream";
    let size = file.len() as u64;
    let mut spec = MessageSpec::new(octets);
    spec.extra_headers.push((
        "Content-Disposition".into(),
        "attachment; filename=\"report.bin\"".into(),
    ));
    let (got, offer) = msrp_leg(
        "file transfer",
        move |uri, port| MsrpDescription {
            host: "127.0.0.1".into(),
            port,
            path: vec![uri],
            accept_types: vec![octets.into()],
            accept_wrapped_types: Vec::new(),
            max_size: None,
            setup: Some(Setup::ActPass),
            direction: Direction::SendOnly,
            file: Some(FileTransfer {
                selector: FileSelector {
                    name: Some("report.bin".into()),
                    media_type: Some(octets.into()),
                    size: Some(size),
                    hash: None,
                },
                transfer_id: "peering-demo-1".into(),
                disposition: Some("attachment".into()),
                ..FileTransfer::default()
            }),
        },
        vec![octets.into()],
        vec![(spec, file.clone())],
    )
    .await?;
    let announced = offer.file.as_ref().and_then(|f| f.selector.size);
    let got = got.first().map(Vec::as_slice).unwrap_or_default();
    check(
        announced == Some(got.len() as u64),
        &format!("the received size matches the SDP file-selector ({size} bytes)"),
    )?;
    check(
        got == &file[..],
        &format!("bob received the {size} byte file, byte for byte"),
    )?;
    Ok(())
}

async fn demo() -> Result<(), String> {
    println!("peering-demo: example.com and example.net peering over 127.0.0.1");
    inter_domain().await?;
    public_group().await?;
    many_watchers(PeerMode::PerView).await?;
    many_watchers(PeerMode::Delegated).await?;
    pager_im().await?;
    msrp_session().await?;
    Ok(())
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let started = Instant::now();
    let r = tokio::time::timeout(Duration::from_secs(60), demo()).await;
    match r {
        Ok(Ok(())) => {
            println!(
                "\npeering-demo: every step succeeded in {:.2} s",
                started.elapsed().as_secs_f64()
            );
        }
        Ok(Err(e)) => {
            eprintln!("peering-demo: FAILED: {e}");
            std::process::exit(1);
        }
        Err(_) => {
            eprintln!("peering-demo: FAILED: the demo did not finish within 60 s");
            std::process::exit(1);
        }
    }
}
