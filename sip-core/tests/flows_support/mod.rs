//! A two-or-more endpoint world on a fake clock and a lossy in-memory
//! network (quinn's `Pair`, str0m's `progress`): shared by the flow tests.
#![allow(dead_code, unreachable_pub)]

use sip_core::endpoint::{Endpoint, EndpointConfig, Event, Peer};
use sip_core::header::{CSeq, CallId, From, MaxForwards, To};
use sip_core::{Method, NameAddr, Request, RequestBuilder, Uri};
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use testkit::net::{Clock, Net, NetConfig};

pub struct Node {
    pub addr: SocketAddr,
    pub ep: Endpoint,
    pub events: Vec<(Instant, Event)>,
}

pub struct World {
    pub clock: Clock,
    pub net: Net,
    pub nodes: Vec<Node>,
    pub start: Instant,
}

impl World {
    pub fn new(n: usize, net: NetConfig, seed: u64) -> World {
        let clock = Clock::new();
        let nodes = (0..n)
            .map(|i| {
                let addr: SocketAddr = format!("192.0.2.{}:5060", i + 1).parse().unwrap();
                let mut cfg = EndpointConfig::for_addr(addr);
                cfg.seed = seed.wrapping_mul(31).wrapping_add(i as u64);
                Node {
                    addr,
                    ep: Endpoint::new(cfg),
                    events: Vec::new(),
                }
            })
            .collect();
        World {
            start: clock.now(),
            clock,
            net: Net::new(net, seed),
            nodes,
        }
    }

    pub fn now(&self) -> Instant {
        self.clock.now()
    }

    pub fn peer(&self, i: usize) -> Peer {
        Peer::udp(self.nodes[i].addr)
    }

    pub fn ep(&mut self, i: usize) -> &mut Endpoint {
        &mut self.nodes[i].ep
    }

    /// Drains every endpoint's transmits into the network and its events
    /// into `tu` (which may send more), until all are quiet.
    pub fn flush(&mut self, tu: &mut impl FnMut(usize, Instant, &mut Endpoint, &Event)) {
        let now = self.clock.now();
        loop {
            let mut progressed = false;
            for (i, node) in self.nodes.iter_mut().enumerate() {
                while let Some(t) = node.ep.poll_transmit() {
                    self.net
                        .send(now, node.addr, t.destination.addr, t.contents.to_vec());
                    progressed = true;
                }
                while let Some(ev) = node.ep.poll_event() {
                    tu(i, now, &mut node.ep, &ev);
                    node.events.push((now, ev));
                    progressed = true;
                }
            }
            if !progressed {
                return;
            }
        }
    }

    /// Runs the world until `until` (or until nothing is left to do).
    pub fn run_until(
        &mut self,
        until: Instant,
        mut tu: impl FnMut(usize, Instant, &mut Endpoint, &Event),
    ) {
        while self.step(until, &mut tu) {}
    }

    /// One step: flushes, moves the clock to the next arrival or endpoint
    /// timer (at most `until`), delivers and fires timers, flushes again.
    /// Returns false once the clock is at `until`.
    pub fn step(
        &mut self,
        until: Instant,
        tu: &mut impl FnMut(usize, Instant, &mut Endpoint, &Event),
    ) -> bool {
        self.flush(tu);
        let mut next = self.net.next_arrival();
        for n in &mut self.nodes {
            next = match (next, n.ep.poll_timeout()) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
        }
        let next = next.map_or(until, |t| t.min(until));
        self.clock.advance_to(next);
        let now = self.clock.now();
        for d in self.net.deliver(now) {
            if let Some(n) = self.nodes.iter_mut().find(|n| n.addr == d.to) {
                n.ep.handle_input(now, Peer::udp(d.from), d.data);
            }
        }
        for n in &mut self.nodes {
            n.ep.handle_timeout(now);
        }
        self.flush(tu);
        now < until
    }

    /// Runs for `d` from now.
    pub fn run_for(&mut self, d: Duration, tu: impl FnMut(usize, Instant, &mut Endpoint, &Event)) {
        let until = self.clock.now() + d;
        self.run_until(until, tu);
    }

    /// The datagrams delivered to node `to` whose first line starts with
    /// `prefix`.
    pub fn delivered(&self, to: usize, prefix: &str) -> usize {
        let addr = self.nodes[to].addr;
        self.net
            .log()
            .iter()
            .filter(|(_, d)| d.to == addr && d.data.starts_with(prefix.as_bytes()))
            .count()
    }
}

pub fn uri(s: &str) -> Uri {
    Uri::parse_str(s).unwrap()
}

/// An out-of-dialog request from `from` to `to` with a fresh tag and
/// Call-ID.
pub fn request(ep: &mut Endpoint, method: Method, from: &str, to: &str, seq: u32) -> Request {
    let tag = ep.new_tag();
    let call_id = ep.new_call_id();
    RequestBuilder::new(method.clone(), uri(to))
        .typed(&MaxForwards(70))
        .typed(&From::new(NameAddr::new(uri(from))).with_tag(&tag).unwrap())
        .typed(&To::new(NameAddr::new(uri(to))))
        .typed(&CallId(call_id.into()))
        .typed(&CSeq { seq, method })
        .build()
}

/// The TU that answers every request with `code` (adding a To tag) and
/// ignores the rest.
pub fn answer_all(code: u16) -> impl FnMut(usize, Instant, &mut Endpoint, &Event) {
    move |_, now, ep, ev| {
        if let Event::Request {
            transaction,
            request,
            ..
        } = ev
        {
            let mut r =
                sip_core::Response::from_request(request, sip_core::StatusCode::new(code).unwrap());
            r.set_to_tag("srv");
            ep.send_response(now, *transaction, &r).unwrap();
        }
    }
}

pub fn count(events: &[(Instant, Event)], f: impl Fn(&Event) -> bool) -> usize {
    events.iter().filter(|(_, e)| f(e)).count()
}
