//! The endpoint: one per socket (or per set of sockets sharing a Via
//! sent-by). It parses what arrives, matches it to a transaction or reports
//! a new request, and queues what to send; the transactions themselves are
//! the machines of [`crate::transaction`].
//!
//! The contract, as in quinn-proto and str0m: after any `handle_*` call or
//! `send_*` call, drain [`Endpoint::poll_transmit`] and
//! [`Endpoint::poll_event`], then read [`Endpoint::poll_timeout`] and call
//! [`Endpoint::handle_timeout`] when that instant comes.
//!
//! What the endpoint does on the TU's behalf: it prepends the Via (with a
//! fresh branch) to every request it sends, answers INVITE with 100 Trying
//! at once (17.2.1), answers CANCEL (9.2: 200 when the INVITE is found, 481
//! otherwise) and reports [`Event::Cancelled`], retransmits a 2xx to INVITE
//! over unreliable transports until its ACK (13.3.1.4), answers malformed
//! requests with 400, refuses to send requests over 1300 bytes on a
//! transport without congestion control (18.1.1, RFC 3428 6), and refuses
//! to send a request or ACK over a transport its target does not allow
//! (a `sips:` Request-URI or next hop, or `transport=tls`, over anything
//! but TLS: RFC 3261 8.1.2 and 26.2.2, see [`crate::target`]). The Via it
//! prepends names the peer's transport (`SIP/2.0/TLS` over TLS).
//! Responses go back to the address the request came from (the `rport`
//! behaviour of RFC 3581, right for UDP behind NAT and for connections).
//!
//! An event loop over a UDP socket (the application owns the socket and
//! the clock; the endpoint owns neither):
//!
//! ```no_run
//! use sip_core::endpoint::{Endpoint, EndpointConfig, Event, Peer};
//! use sip_core::{Response, StatusCode};
//! use std::net::UdpSocket;
//! use std::time::Instant;
//!
//! let socket = UdpSocket::bind("0.0.0.0:5060")?;
//! let mut ep = Endpoint::new(EndpointConfig::for_addr(socket.local_addr()?));
//! let mut buf = vec![0u8; 65_535];
//! loop {
//!     // 1. Wait for a datagram, or until the endpoint's next deadline.
//!     let timeout = ep.poll_timeout().map(|t| t.saturating_duration_since(Instant::now()));
//!     socket.set_read_timeout(timeout.filter(|d| !d.is_zero()))?;
//!     match socket.recv_from(&mut buf) {
//!         Ok((n, from)) => ep.handle_input(Instant::now(), Peer::udp(from), buf[..n].to_vec()),
//!         Err(_) => ep.handle_timeout(Instant::now()),
//!     }
//!     // 2. After any handle_* call: drain transmits, then events...
//!     while let Some(t) = ep.poll_transmit() {
//!         if socket.send_to(&t.contents, t.destination.addr).is_err() {
//!             if let Some(id) = t.transaction {
//!                 ep.handle_transport_error(Instant::now(), id);
//!             }
//!         }
//!     }
//!     while let Some(ev) = ep.poll_event() {
//!         if let Event::Request { transaction, request, .. } = ev {
//!             let mut ok = Response::from_request(&request, StatusCode::OK);
//!             ok.set_to_tag(&ep.new_tag());
//!             ep.send_response(Instant::now(), transaction, &ok)?;
//!         }
//!     }
//!     // 3. ...and only then read poll_timeout again (top of the loop);
//!     // responses sent while handling events queued more transmits, which
//!     // the next turn drains.
//! }
//! # #[allow(unreachable_code)]
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use crate::header::{CSeq, CallId, Via};
use crate::message::{Message, Request, Response};
use crate::method::{Method, StatusCode};
use crate::parse::Limits;
use crate::transaction::{
    cancel_for, ClientKey, ClientState, ClientTransaction, Failure, Output, ServerKey, ServerState,
    ServerTransaction, TimerConfig, Transport, MAGIC_COOKIE,
};
use crate::uri::Host;
use bytes::Bytes;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::net::SocketAddr;
use std::time::Instant;

/// The largest request sent over a transport without congestion control
/// (RFC 3261 18.1.1: path MTU 1500 minus 200; RFC 3428 6).
pub const MAX_UDP_REQUEST: usize = 1300;

/// The far end of a message: address and transport.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Peer {
    /// The socket address.
    pub addr: SocketAddr,
    /// The transport.
    pub transport: Transport,
}

impl Peer {
    /// A peer over UDP.
    pub fn udp(addr: SocketAddr) -> Peer {
        Peer {
            addr,
            transport: Transport::Udp,
        }
    }
}

/// Names one transaction of an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct TransactionId(pub u64);

/// Settings of an [`Endpoint`].
#[derive(Debug, Clone)]
pub struct EndpointConfig {
    /// Host of the Via sent-by.
    pub via_host: Host,
    /// Port of the Via sent-by.
    pub via_port: Option<u16>,
    /// Protocol timers.
    pub timers: TimerConfig,
    /// Parser limits for what arrives.
    pub limits: Limits,
    /// Seed of the generator of branches, tags and Call-IDs.
    pub seed: u64,
    /// Retransmit 2xx responses to INVITE until their ACK (13.3.1.4).
    pub retransmit_2xx: bool,
    /// Most transactions open at once; beyond, new requests get 503 and
    /// sends fail.
    pub max_transactions: usize,
    /// Largest request over a transport without congestion control.
    pub max_udp_request: usize,
}

impl EndpointConfig {
    /// Defaults for a sent-by of `host` and `port`.
    pub fn new(via_host: Host, via_port: Option<u16>) -> EndpointConfig {
        EndpointConfig {
            via_host,
            via_port,
            timers: TimerConfig::default(),
            limits: Limits::default(),
            seed: 0,
            retransmit_2xx: true,
            max_transactions: 1 << 20,
            max_udp_request: MAX_UDP_REQUEST,
        }
    }

    /// Defaults for the sent-by of a socket address.
    pub fn for_addr(addr: SocketAddr) -> EndpointConfig {
        let host = match addr.ip() {
            std::net::IpAddr::V4(v4) => Host::parse_str(&v4.to_string()),
            std::net::IpAddr::V6(v6) => Host::parse_str(&format!("[{v6}]")),
        };
        let host = host.unwrap_or_else(|_| Host::parse_str("localhost").expect("literal host"));
        EndpointConfig::new(host, Some(addr.port()))
    }
}

/// One datagram or stream write to make.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transmit {
    /// Where to.
    pub destination: Peer,
    /// The bytes (clones of the stored message on retransmission).
    pub contents: Bytes,
    /// The transaction that sent it, if any (report a failed send with
    /// [`Endpoint::handle_transport_error`]).
    pub transaction: Option<TransactionId>,
}

/// Why an incoming message was dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Discard {
    /// It did not parse.
    Parse(crate::error::ParseError),
    /// A request broke an RFC 3261 rule (answered 400 when possible).
    Invalid(crate::error::ValidationError),
    /// Via, CSeq or branch missing: it cannot be matched.
    Unmatchable,
    /// Too many transactions open (answered 503).
    Overload,
}

/// What happened, for the TU.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// A new request; answer it with [`Endpoint::send_response`].
    Request {
        /// Its server transaction.
        transaction: TransactionId,
        /// The request.
        request: Request,
        /// Who sent it.
        peer: Peer,
    },
    /// An ACK that no transaction absorbed: the ACK of a 2xx (13.3.1.4).
    Ack {
        /// The INVITE server transaction it acknowledges, when still open.
        transaction: Option<TransactionId>,
        /// The ACK.
        request: Request,
        /// Who sent it.
        peer: Peer,
    },
    /// The peer cancelled a pending INVITE; the endpoint answered the CANCEL
    /// with 200 and the TU should answer the INVITE with 487 (9.2).
    Cancelled {
        /// The INVITE's server transaction.
        invite: TransactionId,
        /// The CANCEL.
        request: Request,
    },
    /// A response for one of our client transactions.
    Response {
        /// The client transaction.
        transaction: TransactionId,
        /// The response.
        response: Response,
    },
    /// A response matching no transaction (e.g. a 2xx retransmission after
    /// the INVITE transaction ended: the TU re-sends its ACK).
    StrayResponse {
        /// The response.
        response: Response,
        /// Who sent it.
        peer: Peer,
    },
    /// A transaction failed (timeout or transport error).
    Failed {
        /// The transaction.
        transaction: TransactionId,
        /// Why.
        failure: Failure,
    },
    /// Something that arrived was dropped.
    Discarded {
        /// Who sent it.
        peer: Peer,
        /// Why.
        reason: Discard,
    },
}

/// A usage error of the endpoint's send methods.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SendError {
    /// The request is too large for a transport without congestion
    /// control (RFC 3261 18.1.1); send it over TCP or TLS.
    #[error("request of {size} bytes exceeds {limit} bytes over UDP")]
    TooLarge {
        /// Its size.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// ACK and CANCEL have their own methods (`send_ack`, `cancel`).
    #[error("{0} is not sent through send_request")]
    WrongMethod(Method),
    /// No such transaction (or of the wrong kind).
    #[error("no such transaction")]
    UnknownTransaction,
    /// The transaction's state does not allow this response.
    #[error("the transaction's state does not allow this")]
    InvalidState,
    /// Too many transactions open.
    #[error("too many open transactions")]
    Overload,
    /// The message lacks a header the transaction layer needs.
    #[error("missing or unreadable {0}")]
    MissingHeader(&'static str),
    /// The request's target does not allow the peer's transport (e.g. a
    /// `sips:` target over UDP or TCP); send it over one of `allowed`.
    #[error("the target needs {allowed}, not {}", transport.as_str())]
    InsecureTransport {
        /// The peer's transport.
        transport: Transport,
        /// What the target allows.
        allowed: crate::target::Transports,
    },
    /// No transport can reach the request's target (e.g. a `sips:` URI
    /// with `transport=udp`).
    #[error("unreachable target: {0}")]
    Target(#[from] crate::target::TargetError),
}

/// Refuses a request whose target does not allow `transport`.
fn check_target(request: &Request, transport: Transport) -> Result<(), SendError> {
    let allowed = crate::target::request_transports(request)?;
    if allowed.allows(transport) {
        Ok(())
    } else {
        Err(SendError::InsecureTransport { transport, allowed })
    }
}

/// A small seedable generator (splitmix64) for branches, tags and Call-IDs:
/// unpredictable enough for uniqueness, deterministic for tests.
#[derive(Debug, Clone)]
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub(crate) fn state(&self) -> u64 {
        self.0
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub(crate) fn token(&mut self, prefix: &str, words: usize) -> String {
        use std::fmt::Write;
        let mut s = String::with_capacity(prefix.len() + 16 * words);
        s.push_str(prefix);
        for _ in 0..words {
            let _ = write!(s, "{:016x}", self.next_u64());
        }
        s
    }
}

#[derive(Debug)]
enum Machine {
    Client(ClientTransaction),
    Server(ServerTransaction),
}

#[derive(Debug)]
enum Key {
    Client(ClientKey),
    Server(ServerKey),
}

#[derive(Debug)]
struct Slot {
    machine: Machine,
    key: Key,
    peer: Peer,
    scheduled: Option<Instant>,
    // INVITE server transactions: (Call-ID, CSeq) to match the ACK of a 2xx.
    ack_key: Option<Box<(Bytes, u32)>>,
}

/// A SIP endpoint owning many transactions. See the [module docs](self).
#[derive(Debug)]
pub struct Endpoint {
    config: EndpointConfig,
    rng: Rng,
    next_id: u64,
    slots: HashMap<TransactionId, Slot>,
    client_keys: HashMap<ClientKey, TransactionId>,
    server_keys: HashMap<ServerKey, TransactionId>,
    accepted: HashMap<(Bytes, u32), TransactionId>,
    timers: BinaryHeap<Reverse<(Instant, TransactionId)>>,
    transmits: VecDeque<Transmit>,
    events: VecDeque<Event>,
}

impl Endpoint {
    /// A new endpoint.
    pub fn new(config: EndpointConfig) -> Endpoint {
        Endpoint {
            rng: Rng::new(config.seed),
            config,
            next_id: 0,
            slots: HashMap::new(),
            client_keys: HashMap::new(),
            server_keys: HashMap::new(),
            accepted: HashMap::new(),
            timers: BinaryHeap::new(),
            transmits: VecDeque::new(),
            events: VecDeque::new(),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &EndpointConfig {
        &self.config
    }

    /// A fresh tag for From or To (RFC 3261 19.3: 64 random bits).
    pub fn new_tag(&mut self) -> String {
        self.rng.token("", 1)
    }

    /// A fresh Call-ID (128 random bits).
    pub fn new_call_id(&mut self) -> String {
        self.rng.token("", 2)
    }

    /// A fresh branch with the magic cookie.
    pub fn new_branch(&mut self) -> String {
        self.rng.token(MAGIC_COOKIE, 1)
    }

    /// How many transactions are open.
    pub fn transaction_count(&self) -> usize {
        self.slots.len()
    }

    /// The state of a client transaction, while it exists.
    pub fn client_state(&self, id: TransactionId) -> Option<ClientState> {
        match self.slots.get(&id).map(|s| &s.machine) {
            Some(Machine::Client(c)) => Some(c.state()),
            _ => None,
        }
    }

    /// The state of a server transaction, while it exists.
    pub fn server_state(&self, id: TransactionId) -> Option<ServerState> {
        match self.slots.get(&id).map(|s| &s.machine) {
            Some(Machine::Server(s)) => Some(s.state()),
            _ => None,
        }
    }

    /// The next transmission to make.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }

    /// The next event for the TU.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// When [`Endpoint::handle_timeout`] must be called next.
    pub fn poll_timeout(&mut self) -> Option<Instant> {
        while let Some(Reverse((at, id))) = self.timers.peek().copied() {
            match self.slots.get(&id) {
                Some(slot) if slot.scheduled == Some(at) => return Some(at),
                _ => {
                    self.timers.pop();
                }
            }
        }
        None
    }

    /// Fires every timer due at `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        while let Some(Reverse((at, id))) = self.timers.peek().copied() {
            if at > now {
                break;
            }
            self.timers.pop();
            let Some(slot) = self.slots.get_mut(&id) else {
                continue;
            };
            if slot.scheduled != Some(at) {
                continue;
            }
            slot.scheduled = None;
            let timers = self.config.timers;
            let out = match &mut slot.machine {
                Machine::Client(c) => c.handle_timeout(now, &timers),
                Machine::Server(s) => s.handle_timeout(now, &timers),
            };
            self.apply(id, out, None);
        }
    }

    /// Sending a transaction's message failed (17.1.4, 17.2.4).
    pub fn handle_transport_error(&mut self, _now: Instant, id: TransactionId) {
        let Some(slot) = self.slots.get_mut(&id) else {
            return;
        };
        let out = match &mut slot.machine {
            Machine::Client(c) => c.handle_transport_error(),
            Machine::Server(s) => s.handle_transport_error(),
        };
        self.apply(id, out, None);
    }

    /// One datagram arrived from `peer` (RFC 3261 18.3 datagram framing),
    /// or the bytes of one message framed from a stream.
    pub fn handle_input(&mut self, now: Instant, peer: Peer, data: impl Into<Bytes>) {
        let msg = match Message::parse_datagram(data.into(), &self.config.limits) {
            Ok(m) => m,
            Err(e) => {
                self.events.push_back(Event::Discarded {
                    peer,
                    reason: Discard::Parse(e),
                });
                return;
            }
        };
        self.handle_message(now, peer, msg);
    }

    /// A message already parsed arrived from `peer`: for stream transports,
    /// where the application frames with
    /// [`StreamFramer`](crate::framer::StreamFramer) and need not parse
    /// twice.
    pub fn handle_message(&mut self, now: Instant, peer: Peer, msg: Message) {
        match msg {
            Message::Request(r) => self.handle_request(now, peer, r),
            Message::Response(r) => self.handle_response(now, peer, r),
        }
    }

    fn handle_response(&mut self, now: Instant, peer: Peer, response: Response) {
        let Some(key) = ClientKey::of_response(&response) else {
            self.events.push_back(Event::Discarded {
                peer,
                reason: Discard::Unmatchable,
            });
            return;
        };
        let Some(&id) = self.client_keys.get(&key) else {
            self.events
                .push_back(Event::StrayResponse { response, peer });
            return;
        };
        let timers = self.config.timers;
        let Some(Slot {
            machine: Machine::Client(c),
            ..
        }) = self.slots.get_mut(&id)
        else {
            return;
        };
        let out = c.handle_response(now, &response, &timers);
        self.apply(
            id,
            out,
            Some(Event::Response {
                transaction: id,
                response,
            }),
        );
    }

    fn handle_request(&mut self, now: Instant, peer: Peer, request: Request) {
        let Some(key) = ServerKey::of(&request) else {
            self.events.push_back(Event::Discarded {
                peer,
                reason: Discard::Unmatchable,
            });
            return;
        };
        let is_ack = *request.method() == Method::ACK;
        if let Some(&id) = self.server_keys.get(&key) {
            let timers = self.config.timers;
            if let Some(Slot {
                machine: Machine::Server(s),
                ..
            }) = self.slots.get_mut(&id)
            {
                let out = if is_ack {
                    s.handle_ack(now, &timers)
                } else {
                    s.handle_retransmission()
                };
                let ev = Event::Ack {
                    transaction: Some(id),
                    request,
                    peer,
                };
                self.apply(id, out, Some(ev));
            }
            return;
        }
        if is_ack {
            // The ACK of a 2xx has a branch of its own (17.1.1.3); match it
            // by Call-ID and CSeq to the Accepted INVITE transaction.
            let ack_key = ack_key(&request);
            let id = ack_key.and_then(|k| self.accepted.get(&k).copied());
            if let Some(id) = id {
                let timers = self.config.timers;
                if let Some(Slot {
                    machine: Machine::Server(s),
                    ..
                }) = self.slots.get_mut(&id)
                {
                    let out = s.handle_ack(now, &timers);
                    let ev = Event::Ack {
                        transaction: Some(id),
                        request,
                        peer,
                    };
                    self.apply(id, out, Some(ev));
                    return;
                }
            }
            self.events.push_back(Event::Ack {
                transaction: None,
                request,
                peer,
            });
            return;
        }
        // Validate without copying the request.
        let msg = Message::Request(request);
        let valid = msg.validate();
        let Message::Request(request) = msg else {
            return;
        };
        if let Err(e) = valid {
            let mut r = Response::from_request(&request, StatusCode::BAD_REQUEST);
            r.set_reason(&e.to_string());
            self.send_stateless(peer, r.to_bytes());
            self.events.push_back(Event::Discarded {
                peer,
                reason: Discard::Invalid(e),
            });
            return;
        }
        if self.slots.len() >= self.config.max_transactions {
            let r = Response::from_request(&request, StatusCode::SERVICE_UNAVAILABLE);
            self.send_stateless(peer, r.to_bytes());
            self.events.push_back(Event::Discarded {
                peer,
                reason: Discard::Overload,
            });
            return;
        }
        let mut request = request;
        stamp_via(&mut request, peer);
        let invite = *request.method() == Method::INVITE;
        let machine = ServerTransaction::new(
            invite,
            peer.transport.is_reliable(),
            self.config.retransmit_2xx,
        );
        let id = self.insert(Machine::Server(machine), Key::Server(key), peer);
        if invite {
            if let Some(slot) = self.slots.get_mut(&id) {
                slot.ack_key = ack_key(&request).map(Box::new);
            }
            let trying = Response::from_request(&request, StatusCode::TRYING);
            let _ = self.respond(now, id, &trying);
        }
        if *request.method() == Method::CANCEL {
            self.handle_cancel(now, id, request);
            return;
        }
        self.events.push_back(Event::Request {
            transaction: id,
            request,
            peer,
        });
    }

    fn handle_cancel(&mut self, now: Instant, id: TransactionId, cancel: Request) {
        let invite = ServerKey::of_as(&cancel, &Method::INVITE)
            .and_then(|k| self.server_keys.get(&k).copied());
        let pending = invite.filter(|i| self.server_state(*i) == Some(ServerState::Proceeding));
        let status = if invite.is_some() {
            StatusCode::OK
        } else {
            StatusCode::CALL_TRANSACTION_DOES_NOT_EXIST
        };
        let mut resp = Response::from_request(&cancel, status);
        // 9.2: the To tag of the CANCEL's 200 matches that of the INVITE's
        // responses; the TU has not chosen one yet, so reuse a fresh one.
        let tag = self.new_tag();
        resp.set_to_tag(&tag);
        let _ = self.respond(now, id, &resp);
        if let Some(invite) = pending {
            self.events.push_back(Event::Cancelled {
                invite,
                request: cancel,
            });
        }
    }

    fn send_stateless(&mut self, peer: Peer, contents: Bytes) {
        self.transmits.push_back(Transmit {
            destination: peer,
            contents,
            transaction: None,
        });
    }

    fn insert(&mut self, machine: Machine, key: Key, peer: Peer) -> TransactionId {
        self.next_id += 1;
        let id = TransactionId(self.next_id);
        match &key {
            Key::Client(k) => self.client_keys.insert(k.clone(), id),
            Key::Server(k) => self.server_keys.insert(k.clone(), id),
        };
        self.slots.insert(
            id,
            Slot {
                machine,
                key,
                peer,
                scheduled: None,
                ack_key: None,
            },
        );
        id
    }

    /// Carries out one machine output: transmit, event, failure, timers,
    /// and removal once Terminated.
    fn apply(&mut self, id: TransactionId, out: Output, deliver: Option<Event>) {
        let Some(slot) = self.slots.get_mut(&id) else {
            return;
        };
        if let Some(contents) = out.transmit {
            self.transmits.push_back(Transmit {
                destination: slot.peer,
                contents,
                transaction: Some(id),
            });
        }
        if out.deliver {
            if let Some(ev) = deliver {
                self.events.push_back(ev);
            }
        }
        if let Some(failure) = out.failure {
            self.events.push_back(Event::Failed {
                transaction: id,
                failure,
            });
        }
        let (terminated, next) = match &slot.machine {
            Machine::Client(c) => (c.state() == ClientState::Terminated, c.next_timeout()),
            Machine::Server(s) => (s.state() == ServerState::Terminated, s.next_timeout()),
        };
        if terminated {
            if let Some(slot) = self.slots.remove(&id) {
                match slot.key {
                    Key::Client(k) => self.client_keys.remove(&k),
                    Key::Server(k) => self.server_keys.remove(&k),
                };
                if let Some(k) = slot.ack_key {
                    if self.accepted.get(&*k) == Some(&id) {
                        self.accepted.remove(&*k);
                    }
                }
            }
            return;
        }
        if next != slot.scheduled {
            slot.scheduled = next;
            if let Some(at) = next {
                self.timers.push(Reverse((at, id)));
            }
        }
    }

    /// Prepends our Via (`SIP/2.0/<transport> <sent-by>;branch=<fresh>;rport`,
    /// RFC 3261 8.1.1.7, RFC 3581) and returns the branch. Written directly:
    /// one allocation, no parse.
    fn prepend_via(&mut self, request: &mut Request, transport: Transport) -> Bytes {
        let word = self.rng.next_u64();
        let mut v = Vec::with_capacity(96);
        v.extend_from_slice(b"SIP/2.0/");
        v.extend_from_slice(transport.as_str().as_bytes());
        v.push(b' ');
        self.config.via_host.write(&mut v);
        if let Some(p) = self.config.via_port {
            v.push(b':');
            v.extend_from_slice(p.to_string().as_bytes());
        }
        v.extend_from_slice(b";branch=");
        let start = v.len();
        v.extend_from_slice(MAGIC_COOKIE.as_bytes());
        const HEX: &[u8; 16] = b"0123456789abcdef";
        for i in (0..16).rev() {
            v.push(HEX[((word >> (i * 4)) & 0xF) as usize]);
        }
        let end = v.len();
        // A copy of its own, so the key does not keep the Via buffer alive.
        let branch = Bytes::copy_from_slice(v.get(start..end).unwrap_or_default());
        v.extend_from_slice(b";rport");
        let value = Bytes::from(v);
        request
            .headers_mut()
            .prepend(crate::header::HeaderName::VIA, value);
        branch
    }

    fn check_size(&self, len: usize, transport: Transport) -> Result<(), SendError> {
        if !transport.is_congestion_controlled() && len > self.config.max_udp_request {
            return Err(SendError::TooLarge {
                size: len,
                limit: self.config.max_udp_request,
            });
        }
        Ok(())
    }

    /// Sends a request in a new client transaction: prepends a Via with a
    /// fresh branch, serializes once, and retransmits that `Bytes` as the
    /// timers say. Not for ACK or CANCEL.
    pub fn send_request(
        &mut self,
        now: Instant,
        mut request: Request,
        peer: Peer,
    ) -> Result<TransactionId, SendError> {
        let m = request.method();
        if *m == Method::ACK || *m == Method::CANCEL {
            return Err(SendError::WrongMethod(m.clone()));
        }
        if request.headers().typed::<CSeq>().ok().flatten().is_none() {
            return Err(SendError::MissingHeader("CSeq"));
        }
        check_target(&request, peer.transport)?;
        self.start_client(now, &mut request, peer)
    }

    fn start_client(
        &mut self,
        now: Instant,
        request: &mut Request,
        peer: Peer,
    ) -> Result<TransactionId, SendError> {
        if self.slots.len() >= self.config.max_transactions {
            return Err(SendError::Overload);
        }
        let branch = self.prepend_via(request, peer.transport);
        let bytes = request.to_bytes();
        self.check_size(bytes.len(), peer.transport)?;
        let key = ClientKey {
            branch,
            method: request.method().clone(),
        };
        let (machine, out) = ClientTransaction::start(
            request,
            bytes,
            peer.transport.is_reliable(),
            now,
            &self.config.timers,
        );
        let id = self.insert(Machine::Client(machine), Key::Client(key), peer);
        self.apply(id, out, None);
        Ok(id)
    }

    /// Cancels a pending INVITE (RFC 3261 9.1): sends a CANCEL with the
    /// INVITE's branch in a transaction of its own. Only once a provisional
    /// response came, as 9.1 asks.
    pub fn cancel(
        &mut self,
        now: Instant,
        invite: TransactionId,
    ) -> Result<TransactionId, SendError> {
        let (request, peer) = match self.slots.get(&invite) {
            Some(Slot {
                machine: Machine::Client(c),
                peer,
                ..
            }) => match (c.invite(), c.state()) {
                (Some(inv), ClientState::Proceeding) => (cancel_for(inv), *peer),
                (Some(_), _) => return Err(SendError::InvalidState),
                (None, _) => return Err(SendError::UnknownTransaction),
            },
            _ => return Err(SendError::UnknownTransaction),
        };
        let bytes = request.to_bytes();
        let key = ClientKey::of_request(&request).ok_or(SendError::MissingHeader("Via"))?;
        let (machine, out) = ClientTransaction::start(
            &request,
            bytes,
            peer.transport.is_reliable(),
            now,
            &self.config.timers,
        );
        let id = self.insert(Machine::Client(machine), Key::Client(key), peer);
        self.apply(id, out, None);
        Ok(id)
    }

    /// Sends the ACK of a 2xx (13.2.2.4), outside any transaction: a Via
    /// with a fresh branch is prepended; the TU re-sends it when the 2xx
    /// comes again. Returns the bytes sent.
    pub fn send_ack(
        &mut self,
        _now: Instant,
        mut ack: Request,
        peer: Peer,
    ) -> Result<Bytes, SendError> {
        if *ack.method() != Method::ACK {
            return Err(SendError::WrongMethod(ack.method().clone()));
        }
        check_target(&ack, peer.transport)?;
        self.prepend_via(&mut ack, peer.transport);
        let bytes = ack.to_bytes();
        self.send_stateless(peer, bytes.clone());
        Ok(bytes)
    }

    /// Re-sends bytes outside any transaction (an ACK kept by the TU).
    pub fn send_raw(&mut self, peer: Peer, contents: Bytes) {
        self.send_stateless(peer, contents);
    }

    /// Sends a response through the server transaction `id` (built with
    /// [`Response::from_request`] from the request of
    /// [`Event::Request`]).
    pub fn send_response(
        &mut self,
        now: Instant,
        id: TransactionId,
        response: &Response,
    ) -> Result<(), SendError> {
        self.respond(now, id, response)
    }

    fn respond(
        &mut self,
        now: Instant,
        id: TransactionId,
        response: &Response,
    ) -> Result<(), SendError> {
        let timers = self.config.timers;
        let Some(Slot {
            machine: Machine::Server(s),
            ack_key,
            ..
        }) = self.slots.get_mut(&id)
        else {
            return Err(SendError::UnknownTransaction);
        };
        let status = response.status();
        let out = s
            .send_response(now, status, response.to_bytes(), &timers)
            .map_err(|_| SendError::InvalidState)?;
        if s.state() == ServerState::Accepted {
            if let Some(k) = ack_key.as_deref() {
                self.accepted.insert(k.clone(), id);
            }
        }
        self.apply(id, out, None);
        Ok(())
    }
}

/// RFC 3261 18.2.1 and RFC 3581 4: the transport notes on the top Via
/// where the request really came from (`received` when the sent-by host is
/// not the source address, `rport` filled in when asked for), so responses
/// built from the request carry it. A top Via line holding several values
/// is left alone.
fn stamp_via(request: &mut Request, peer: Peer) {
    let h = request.headers();
    let Some(line) = h.get(&crate::header::HeaderName::VIA) else {
        return;
    };
    if line.contains(&b',') {
        return;
    }
    let Ok(Some(via)) = h.typed::<Via>() else {
        return;
    };
    let ip = peer.addr.ip();
    let mut host = Vec::with_capacity(40);
    via.host().write(&mut host);
    let source = match ip {
        std::net::IpAddr::V4(v4) => v4.to_string(),
        std::net::IpAddr::V6(v6) => format!("[{v6}]"),
    };
    let mut stamped = via.clone();
    if host != source.as_bytes() && via.received().is_none() {
        match stamped.with_param("received", Some(&ip.to_string())) {
            Some(v) => stamped = v,
            None => return,
        }
    }
    if via.rport() == Some(None) {
        match stamped.with_param("rport", Some(&peer.addr.port().to_string())) {
            Some(v) => stamped = v,
            None => return,
        }
    }
    if stamped == via {
        return;
    }
    // Replace the first Via line only: take them all out and put them back
    // in order at the top, the first one stamped.
    let rest: Vec<Bytes> = h
        .get_all(&crate::header::HeaderName::VIA)
        .skip(1)
        .cloned()
        .collect();
    let hm = request.headers_mut();
    hm.remove(&crate::header::HeaderName::VIA);
    for v in rest.into_iter().rev() {
        hm.prepend(crate::header::HeaderName::VIA, v);
    }
    let mut value = Vec::with_capacity(96);
    crate::header::TypedHeader::encode(&stamped, &mut value);
    hm.prepend(crate::header::HeaderName::VIA, Bytes::from(value));
}

fn ack_key(request: &Request) -> Option<(Bytes, u32)> {
    let h = request.headers();
    let call_id: CallId = h.typed().ok().flatten()?;
    let cseq: CSeq = h.typed().ok().flatten()?;
    Some((call_id.0, cseq.seq))
}
