//! The peering border with 100,000 local watchers (example.com) of 1,000
//! remote presentities (example.net, 100 watchers each, three distinct
//! views per presentity): one presence update end to end (PUBLISH at the
//! presentity's agent, the back-end NOTIFY across the link, the fan-out to
//! 100 local NOTIFYs), in per-view and delegated mode. Each update flips
//! the basic status and the note, so all three views change. Link messages and
//! bytes per update are printed once per mode; criterion times the update.

use std::time::{Duration, Instant};

use criterion::{criterion_main, Criterion, Throughput};
use policy::RuleSet;
use simple_presence::agent::{AgentConfig, PresenceAgent};
use simple_presence::border::{Border, BorderConfig, Dest, PeerEntry};
use simple_presence::identity::PeerIdentity;
use simple_presence::sip::{content_type, pai_name, NewRequest};
use simple_presence::views::{self, PeerMode};
use sip_core::publication::Publisher;
use sip_core::{Bytes, Message, Method, Uri};

const PRESENTITIES: usize = 1_000;
const PER: usize = 100;

struct Rig {
    agent: PresenceAgent,
    net_border: Border,
    com_border: Border,
    publishers: Vec<Publisher>,
    com_id: PeerIdentity,
    net_id: PeerIdentity,
    link_msgs: usize,
    link_bytes: usize,
    local_notifies: usize,
    tick: u64,
    flips: Vec<u64>,
}

fn wire(m: &Message) -> Message {
    Message::parse_datagram(m.to_bytes(), &views::limits()).expect("parses")
}

fn rules(p: usize) -> RuleSet {
    // Everyone in example.com but ten sees the services; ten friends see
    // all; the ten others get the neutral document (polite-block).
    let ones = |r: std::ops::Range<usize>| {
        r.map(|i| format!("<one id=\"sip:u{p}x{i}@example.com\"/>"))
            .collect::<String>()
    };
    let excepts = |r: std::ops::Range<usize>| {
        r.map(|i| format!("<except id=\"sip:u{p}x{i}@example.com\"/>"))
            .collect::<String>()
    };
    RuleSet::parse(
        format!(
            r#"<ruleset xmlns="urn:ietf:params:xml:ns:common-policy" xmlns:pr="urn:ietf:params:xml:ns:pres-rules">
<rule id="all"><conditions><identity><many domain="example.com">{}</many></identity></conditions>
 <actions><pr:sub-handling>allow</pr:sub-handling></actions>
 <transformations><pr:provide-services><pr:service-uri-scheme>sip</pr:service-uri-scheme></pr:provide-services></transformations></rule>
<rule id="friends"><conditions><identity>{}</identity></conditions>
 <actions><pr:sub-handling>allow</pr:sub-handling></actions>
 <transformations><pr:provide-services><pr:all-services/></pr:provide-services><pr:provide-all-attributes/></transformations></rule>
<rule id="nope"><conditions><identity>{}</identity></conditions>
 <actions><pr:sub-handling>polite-block</pr:sub-handling></actions></rule>
</ruleset>"#,
            excepts(10..20),
            ones(0..10),
            ones(10..20)
        )
        .as_bytes(),
    )
    .expect("rules parse")
}

fn presentity(p: usize) -> String {
    format!("sip:p{p}@example.net")
}

impl Rig {
    fn new(mode: PeerMode, now: Instant) -> Rig {
        let mut r = Rig {
            agent: PresenceAgent::new(AgentConfig::new("example.net")),
            net_border: Border::new(BorderConfig::new(
                "example.net",
                vec![PeerEntry::new("example.com", mode)],
            )),
            com_border: Border::new(BorderConfig::new(
                "example.com",
                vec![PeerEntry::new("example.net", mode)],
            )),
            publishers: Vec::new(),
            com_id: PeerIdentity::from_domains(["example.com"]),
            net_id: PeerIdentity::from_domains(["example.net"]),
            link_msgs: 0,
            link_bytes: 0,
            local_notifies: 0,
            tick: 0,
            flips: vec![0; PRESENTITIES],
        };
        for p in 0..PRESENTITIES {
            r.agent.set_rules(now, &presentity(p), rules(p));
            r.publishers.push(Publisher::new(
                &Uri::parse_str(&presentity(p)).unwrap(),
                &format!("<{}>;tag=p", presentity(p)),
                &format!("pub{p}"),
                "presence",
                3600,
                Duration::from_millis(500),
            ));
            r.publish(now, p);
        }
        r.settle(now);
        for p in 0..PRESENTITIES {
            for i in 0..PER {
                let u = format!("sip:u{p}x{i}@example.com");
                let mut s = NewRequest {
                    method: Method::SUBSCRIBE,
                    to: &presentity(p),
                    from: &u,
                    tag: "t",
                    call_id: &format!("c.{u}"),
                    contact: Some(&u),
                    event: Some("presence"),
                    expires: Some(3600),
                }
                .build(None)
                .unwrap();
                s.headers_mut().push(pai_name(), format!("<{u}>"));
                r.com_border.handle_inside(now, Message::Request(s));
            }
        }
        r.settle(now);
        r
    }

    fn publish(&mut self, now: Instant, p: usize) {
        self.tick += 1;
        self.flips[p] += 1;
        let doc = format!(
            "<presence xmlns=\"urn:ietf:params:xml:ns:pidf\" entity=\"{e}\">\
             <tuple id=\"a\"><status><basic>{b}</basic></status><contact>{e}</contact><note>tick {t}</note></tuple>\
             <tuple id=\"b\"><status><basic>open</basic></status><contact>mailto:p{p}@example.net</contact></tuple></presence>",
            e = presentity(p),
            t = self.tick,
            b = if self.flips[p] % 2 == 0 { "open" } else { "closed" }
        );
        let ct = content_type("application/pidf+xml").unwrap();
        if let Some(req) = self.publishers[p].publish(now, &ct, Bytes::from(doc)) {
            let resp = self.agent.handle_request(now, &req);
            self.publishers[p].handle_response(now, &resp);
        }
    }

    /// Moves messages until nothing is left to send.
    fn settle(&mut self, now: Instant) {
        loop {
            let mut moved = false;
            while let Some(n) = self.agent.poll_transmit() {
                moved = true;
                self.net_border.handle_inside(now, Message::Request(n));
            }
            while let Some(t) = self.net_border.poll_transmit() {
                moved = true;
                match t.dest {
                    Dest::Inside => {
                        if let Message::Request(r) = t.message {
                            let x = self.agent.handle_request(now, &r);
                            self.net_border.handle_inside(now, Message::Response(x));
                        }
                    }
                    Dest::Peer { .. } => {
                        self.link_msgs += 1;
                        self.link_bytes += t.message.to_bytes().len();
                        let m = wire(&t.message);
                        self.com_border.handle_peer(now, &self.net_id, m);
                    }
                }
            }
            while let Some(t) = self.com_border.poll_transmit() {
                moved = true;
                match t.dest {
                    Dest::Inside => {
                        if let Message::Request(r) = &t.message {
                            if *r.method() == Method::NOTIFY {
                                self.local_notifies += 1;
                            }
                        }
                    }
                    Dest::Peer { .. } => {
                        self.link_msgs += 1;
                        self.link_bytes += t.message.to_bytes().len();
                        let m = wire(&t.message);
                        self.net_border.handle_peer(now, &self.com_id, m);
                    }
                }
            }
            if !moved {
                return;
            }
        }
    }

    fn update(&mut self, now: Instant, p: usize) {
        self.publish(now, p);
        self.settle(now);
    }
}

fn bench(c: &mut Criterion) {
    #[allow(clippy::disallowed_methods)]
    let now = Instant::now();
    let mut g = c.benchmark_group("border");
    g.sample_size(10);
    for mode in [PeerMode::PerView, PeerMode::Delegated] {
        let mut rig = Rig::new(mode, now);
        assert_eq!(
            rig.com_border.stats().local_subscriptions,
            PRESENTITIES * PER
        );
        assert_eq!(rig.com_border.stats().backends, PRESENTITIES);
        // Link figures over 100 updates.
        let (m0, b0, n0) = (rig.link_msgs, rig.link_bytes, rig.local_notifies);
        let d0 = rig.com_border.stats().documents_in;
        for p in 0..100 {
            rig.update(now, p);
        }
        let msgs = (rig.link_msgs - m0) as f64 / 100.0;
        let bytes = (rig.link_bytes - b0) as f64 / 100.0;
        let fan = (rig.local_notifies - n0) as f64 / 100.0;
        let docs = (rig.com_border.stats().documents_in - d0) as f64 / 100.0;
        eprintln!(
            "border {}: {msgs:.2} link messages, {bytes:.0} link bytes, {docs:.1} PIDF documents across, {fan:.1} local NOTIFYs per update \
             ({} watchers, {} back ends)",
            mode.as_str(),
            PRESENTITIES * PER,
            rig.com_border.stats().backends
        );
        g.throughput(Throughput::Elements(1));
        let mut p = 0;
        g.bench_function(format!("update/{}", mode.as_str()), |b| {
            b.iter(|| {
                p = (p + 1) % PRESENTITIES;
                rig.update(now, p);
            })
        });
    }
    g.finish();
}

// The macro's generated functions carry no docs.
#[allow(missing_docs)]
mod group {
    criterion::criterion_group!(benches, super::bench);
}
use group::benches;
criterion_main!(benches);
