//! The clearing house: a hub several peer networks connect through
//! (RFC 5344 section 3 calls it a federation's central element). It
//! authenticates each network by what its connection presented, forwards
//! requests to the network of their Request-URI and responses back the way
//! the request came, and hands every message crossing it to a logging hook
//! (whole, or headers only).
//!
//! A border behind the hub treats the hub's connection as authenticated for
//! the networks the hub federates: the hub has already checked each
//! request's From and P-Asserted-Identity against its sender's connection.

use std::collections::{HashMap, VecDeque};
use std::fmt;

use sip_core::header::{CSeq, CallId};
use sip_core::{Bytes, Message, Method, Response, StatusCode};

use crate::identity::PeerIdentity;
use crate::sip::{domain_of, from_uri, pai_uri, target};

/// One member network.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Network {
    /// Its SIP domain.
    pub domain: String,
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
    /// Whether it was refused (403) instead of forwarded.
    pub refused: bool,
}

/// A log hook.
pub type CrossingHook = Box<dyn FnMut(&Crossing) + Send>;

/// The clearing house. See the [module docs](self).
pub struct ClearingHouse {
    networks: Vec<Network>,
    out: VecDeque<(String, Message)>,
    relayed: HashMap<(Bytes, u32, Method), String>,
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

fn key_of(m: &Message) -> Option<(Bytes, u32, Method)> {
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

    /// (forwarded, refused) counts.
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

    fn log(&mut self, from: &str, to: &str, m: &Message, refused: bool) {
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
                refused,
            });
        }
    }

    /// A message from a network over a connection that authenticated `conn`.
    pub fn handle(&mut self, conn: &PeerIdentity, m: Message) {
        let source = self
            .networks
            .iter()
            .find(|n| conn.covers(&n.domain))
            .map(|n| n.domain.clone());
        match m {
            Message::Response(_) => {
                let Some(k) = key_of(&m) else { return };
                if let Some(to) = self.relayed.remove(&k) {
                    let from = source.unwrap_or_default();
                    self.log(&from, &to, &m, false);
                    self.forwarded += 1;
                    self.out.push_back((to, m));
                }
            }
            Message::Request(ref r) => {
                let claimed: Vec<String> = [from_uri(r.headers()), pai_uri(r.headers())]
                    .into_iter()
                    .flatten()
                    .filter_map(|u| domain_of(&u))
                    .collect();
                let dest = domain_of(&target(r)).filter(|d| self.network(d).is_some());
                let ok = source.is_some()
                    && !claimed.is_empty()
                    && claimed
                        .iter()
                        .all(|d| conn.covers(d) && self.network(d).is_some());
                let from = source.clone().unwrap_or_default();
                match (ok, dest) {
                    (true, Some(to)) => {
                        if let Some(k) = key_of(&m) {
                            self.relayed.insert(k, from.clone());
                        }
                        self.log(&from, &to, &m, false);
                        self.forwarded += 1;
                        self.out.push_back((to, m));
                    }
                    (ok, _) => {
                        let code = if ok {
                            StatusCode::NOT_FOUND
                        } else {
                            StatusCode::FORBIDDEN
                        };
                        let x = Message::Response(Response::from_request(r, code));
                        self.log(&from, "", &m, true);
                        self.refused += 1;
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
}
