//! The Sans-IO MSRP session (RFC 4975 sections 5, 7 and 8): one per
//! connection-level MSRP session, fed received bytes and the caller's
//! clock, handing out bytes to write, events and the next deadline.
//!
//! Sending splits each message into chunks of `chunk_size` bytes and takes
//! turns between messages that have data, so a large file never holds up a
//! short chat message (each interrupted chunk ends with `+`; an aborted
//! message ends with `#`). Receiving reassembles by Message-ID and
//! Byte-Range, drops duplicate ranges, accepts ranges out of order and hands
//! body bytes to the application as they arrive ([`Event::Data`]), so a
//! message of any size passes in constant memory.
//!
//! # Over TLS
//!
//! A session whose only To-Path URI is `msrps:` (`TCP/TLS/MSRP` with no
//! relay) authenticates its peer by the certificate fingerprint of its SDP
//! (RFC 4975 section 14.4, RFC 8122): the TLS handshake itself belongs to
//! the application, which hands the peer's end-entity certificate (DER) to
//! [`Session::handle_peer_certificate`] before any byte of the connection
//! reaches [`Session::handle_input`]. Until then nothing is transmitted;
//! input before the check, or a certificate that matches none of
//! [`SessionConfig::peer_certificate`]'s fingerprints (or an empty list),
//! refuses the session: [`Event::PeerRefused`] is raised, the session
//! stops, and the application must close the connection. See
//! [`PeerCertificate`] for relays.
#![cfg_attr(
    not(test),
    deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)
)]

use crate::chunk::{body_holds_end_line, ChunkHead, Flag, StartLine};
use crate::error::{FingerprintError, ParseError, UsageError};
use crate::fingerprint::Fingerprint;
use crate::header::{name, ByteRange, FailureReport, ReportMode, Status, SuccessReport};
use crate::parse::{Limits, ParseEvent, Parser};
use crate::status::{Method, StatusCode};
use crate::uri::{parse_path, write_path, MsrpUri};
use crate::Chunk;
use bytes::{Bytes, BytesMut};
use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

/// How many completed incoming Message-IDs are remembered to drop late
/// duplicate chunks.
const COMPLETED_MEMORY: usize = 256;

/// The transaction timeout of RFC 4975 section 7.1.1 (30 seconds).
pub const TRANSACTION_TIMEOUT: Duration = Duration::from_secs(30);

/// When success reports are sent for messages that ask for them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SuccessReportMode {
    /// One REPORT covering the whole message once it is complete.
    PerMessage,
    /// One REPORT per received chunk, covering that chunk's range.
    PerChunk,
}

/// How a session authenticates the TLS peer of its connection (RFC 4975
/// section 14.4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PeerCertificate {
    /// The session checks no certificate: plain TCP, or a first hop that
    /// is a relay, whose certificate the application verifies by its host
    /// name as for any TLS server (RFC 4976 section 5).
    NotChecked,
    /// The peer's certificate must match one of these fingerprints (from
    /// the `a=fingerprint` of its SDP, [`crate::sdp::Sdp::fingerprints`])
    /// before chunks flow; an empty list refuses every certificate
    /// ([`FingerprintError::Missing`]).
    Fingerprints(Vec<Fingerprint>),
}

/// Session settings.
#[derive(Debug, Clone)]
pub struct SessionConfig {
    /// Our URI (from our SDP `a=path`): incoming requests must name it
    /// first in To-Path (else 481).
    pub local_uri: MsrpUri,
    /// The From-Path we send (usually just `local_uri`).
    pub from_path: Vec<MsrpUri>,
    /// The To-Path we send: relays (Use-Path) then the peer's path.
    pub to_path: Vec<MsrpUri>,
    /// Largest body per chunk we send.
    pub chunk_size: usize,
    /// Parser caps for what we receive.
    pub limits: Limits,
    /// Largest message we accept (413 above it); `None` for no cap.
    pub max_message_size: Option<u64>,
    /// Media types we accept (415 otherwise); empty or `*` accepts all.
    pub accept_types: Vec<String>,
    /// Whether we may receive messages (false for `a=sendonly`: 403).
    pub may_receive: bool,
    /// How we send success reports when a sender asks for them.
    pub success_report_mode: SuccessReportMode,
    /// How long we wait for a transaction response.
    pub transaction_timeout: Duration,
    /// Requests with methods other than SEND and REPORT are answered 501
    /// when true; when false they are handed to the application as
    /// [`Event::Request`] to answer with [`Session::respond`].
    pub reject_unknown_methods: bool,
    /// Most incoming messages partly received at once; a chunk starting
    /// one more is refused with 403 (a peer cannot grow our state without
    /// bound).
    pub max_incoming_messages: usize,
    /// Most disjoint received ranges kept per incoming message; a chunk
    /// that would leave more gaps is refused with 403.
    pub max_ranges: usize,
    /// Seed of the id generator (transaction and message ids).
    pub seed: u64,
    /// The certificate check of a TLS connection. [`SessionConfig::new`]
    /// asks for fingerprints (an empty list, so the session refuses until
    /// the application sets the peer's) when the To-Path is one `msrps:`
    /// URI, and checks nothing otherwise.
    pub peer_certificate: PeerCertificate,
}

impl SessionConfig {
    /// A configuration with the defaults: 2048-byte chunks, every type
    /// accepted, per-message reports, 30 s transactions; when `to_path` is
    /// one `msrps:` URI, a TLS peer check that refuses every certificate
    /// until the peer's SDP fingerprints are set in
    /// [`SessionConfig::peer_certificate`].
    pub fn new(local_uri: MsrpUri, to_path: Vec<MsrpUri>) -> Self {
        let peer_certificate = match to_path.as_slice() {
            [peer] if peer.is_secure() => PeerCertificate::Fingerprints(Vec::new()),
            _ => PeerCertificate::NotChecked,
        };
        SessionConfig {
            peer_certificate,
            from_path: vec![local_uri.clone()],
            local_uri,
            to_path,
            chunk_size: 2048,
            limits: Limits::default(),
            max_message_size: None,
            accept_types: Vec::new(),
            may_receive: true,
            success_report_mode: SuccessReportMode::PerMessage,
            transaction_timeout: TRANSACTION_TIMEOUT,
            reject_unknown_methods: true,
            max_incoming_messages: 64,
            max_ranges: 256,
            seed: 0x5eed,
        }
    }
}

/// Bytes to write on the connection, as segments (head, body slices,
/// end-line) so bodies are never copied.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Transmit {
    /// The segments, in order.
    pub segments: Vec<Bytes>,
}

impl Transmit {
    /// Total length.
    pub fn len(&self) -> usize {
        self.segments.iter().map(Bytes::len).sum()
    }
    /// Whether there is nothing to write.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The segments joined (copies; for tests and small messages).
    pub fn to_vec(&self) -> Vec<u8> {
        self.segments.concat()
    }
}

/// What happened, for the application.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// The first chunk of a new incoming message arrived.
    MessageStart {
        /// Its Message-ID.
        message_id: String,
        /// Its Content-Type, if the chunk carried one.
        content_type: Option<String>,
        /// Its total size if known.
        total: Option<u64>,
        /// The From-Path of the chunk.
        from_path: Vec<MsrpUri>,
    },
    /// Body bytes of an incoming message at a 0-based offset (never the
    /// same byte twice).
    Data {
        /// The Message-ID.
        message_id: String,
        /// The 0-based position of `data` in the message.
        offset: u64,
        /// The bytes (slices of the received buffers).
        data: Bytes,
    },
    /// Every byte of an incoming message has arrived.
    MessageComplete {
        /// The Message-ID.
        message_id: String,
        /// Its size.
        total: u64,
    },
    /// The sender aborted an incoming message (`#`), or we refused it.
    MessageAborted {
        /// The Message-ID.
        message_id: String,
        /// Why, when we refused it.
        status: Option<StatusCode>,
    },
    /// Every chunk of an outgoing message was sent and (when responses were
    /// asked for) acknowledged.
    MessageSent {
        /// The Message-ID.
        message_id: String,
    },
    /// An outgoing message failed: an error response, a failure REPORT or a
    /// transaction timeout (408).
    MessageFailed {
        /// The Message-ID.
        message_id: String,
        /// The status.
        status: StatusCode,
    },
    /// A REPORT arrived for one of our messages.
    Report {
        /// The Message-ID.
        message_id: String,
        /// The Status header.
        status: Status,
        /// The Byte-Range header, if any.
        range: Option<ByteRange>,
    },
    /// A request with another method (when `reject_unknown_methods` is
    /// false); answer it with [`Session::respond`].
    Request(Chunk),
    /// The peer sent a malformed stream: close the connection.
    StreamError(ParseError),
    /// The TLS peer was refused: its certificate matches no fingerprint of
    /// its SDP, there was none, or data came before the certificate was
    /// checked. Close the connection (RFC 4975 section 14.4).
    PeerRefused(FingerprintError),
}

/// Settings of one outgoing message.
#[derive(Debug, Clone)]
pub struct MessageSpec {
    /// Content-Type (`None` sends bodiless chunks, for zero-length use).
    pub content_type: String,
    /// Total size if known (`*` is sent otherwise).
    pub total: Option<u64>,
    /// Ask for success reports.
    pub success_report: bool,
    /// Failure-Report value.
    pub failure_report: ReportMode,
    /// Extra MIME headers sent on every chunk (e.g. Content-Disposition).
    pub extra_headers: Vec<(String, String)>,
}

impl MessageSpec {
    /// A message of this type with the defaults (failure reports yes,
    /// success reports no).
    pub fn new(content_type: &str) -> Self {
        MessageSpec {
            content_type: content_type.to_owned(),
            total: None,
            success_report: false,
            failure_report: ReportMode::Yes,
            extra_headers: Vec::new(),
        }
    }
}

struct Outgoing {
    id: String,
    spec: MessageSpec,
    queue: VecDeque<Bytes>,
    queued: usize,
    sent: u64,
    finished: bool,
    any_sent: bool,
    in_flight: usize,
    done_sending: bool,
    /// Send what is queued even if it is less than a chunk.
    flush: bool,
}

struct PendingTx {
    message_id: String,
}

#[derive(Default)]
struct Incoming {
    /// Received ranges as sorted, merged half-open 0-based intervals.
    ranges: Vec<(u64, u64)>,
    total: Option<u64>,
    end: Option<u64>,
    refused: Option<StatusCode>,
}

impl Incoming {
    /// Parts of `[a, b)` not received yet.
    fn missing(&self, a: u64, b: u64) -> Vec<(u64, u64)> {
        let mut out = Vec::new();
        let mut cur = a;
        for &(s, e) in &self.ranges {
            if e <= cur {
                continue;
            }
            if s >= b {
                break;
            }
            if s > cur {
                out.push((cur, s.min(b)));
            }
            cur = cur.max(e);
            if cur >= b {
                break;
            }
        }
        if cur < b {
            out.push((cur, b));
        }
        out
    }
    fn insert(&mut self, a: u64, b: u64) {
        if a >= b {
            return;
        }
        let i = self.ranges.partition_point(|&(_, e)| e < a);
        let mut s = a;
        let mut e = b;
        let mut j = i;
        while let Some(&(rs, re)) = self.ranges.get(j) {
            if rs > e {
                break;
            }
            s = s.min(rs);
            e = e.max(re);
            j += 1;
        }
        self.ranges.splice(i..j, [(s, e)]);
    }
    fn complete(&self) -> Option<u64> {
        let t = self.total.or(self.end)?;
        (self.ranges.as_slice() == [(0, t)] || (t == 0 && self.ranges.is_empty())).then_some(t)
    }
}

/// The chunk being received.
struct Current {
    head: ChunkHead,
    kind: CurrentKind,
}

enum CurrentKind {
    Send {
        message_id: String,
        /// 0-based position of the next body byte.
        pos: u64,
        start: u64,
        error: Option<StatusCode>,
        failure: ReportMode,
        success: bool,
        range_total: Option<u64>,
        /// A chunk of a message already complete: acknowledged, not delivered.
        duplicate: bool,
    },
    /// Buffered for the application (capped by the parser's max body).
    Other(BytesMut),
    /// A REPORT (body ignored).
    Report,
    /// A response (body ignored).
    Response,
    /// Refused at once; the status is sent when the chunk ends.
    Refused(StatusCode),
}

/// One MSRP session over one connection (or one WebSocket).
///
/// After any `handle_*` call, drain [`Session::poll_transmit`] and
/// [`Session::poll_event`], then read [`Session::poll_timeout`].
pub struct Session {
    cfg: SessionConfig,
    parser: Parser,
    rng: u64,
    out: VecDeque<Transmit>,
    events: VecDeque<Event>,
    outgoing: Vec<Outgoing>,
    next_turn: usize,
    pending: HashMap<Bytes, PendingTx>,
    deadlines: VecDeque<(Instant, Bytes)>,
    incoming: HashMap<String, Incoming>,
    /// Recently finished incoming messages (complete, aborted or refused),
    /// so late duplicates of their chunks are not handed out again
    /// (bounded, oldest forgotten first).
    completed: VecDeque<(String, Option<StatusCode>)>,
    current: Option<Current>,
    broken: bool,
    peer: PeerState,
}

/// Where the session stands with its TLS peer's certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
enum PeerState {
    /// Nothing to check, or checked and matching.
    Open,
    /// Waiting for [`Session::handle_peer_certificate`].
    Pending,
    /// Refused for this reason; the session is stopped.
    Refused(FingerprintError),
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("local_uri", &self.cfg.local_uri.to_string())
            .field("outgoing", &self.outgoing.len())
            .field("pending", &self.pending.len())
            .finish_non_exhaustive()
    }
}

impl Session {
    /// A session with this configuration.
    pub fn new(cfg: SessionConfig) -> Result<Self, UsageError> {
        if cfg.chunk_size == 0 {
            return Err(UsageError::ChunkSize);
        }
        let peer = match &cfg.peer_certificate {
            PeerCertificate::NotChecked => PeerState::Open,
            PeerCertificate::Fingerprints(_) => PeerState::Pending,
        };
        Ok(Session {
            parser: Parser::new(cfg.limits),
            rng: cfg.seed | 1,
            cfg,
            out: VecDeque::new(),
            events: VecDeque::new(),
            outgoing: Vec::new(),
            next_turn: 0,
            pending: HashMap::new(),
            deadlines: VecDeque::new(),
            incoming: HashMap::new(),
            completed: VecDeque::new(),
            current: None,
            broken: false,
            peer,
        })
    }

    /// The configuration.
    pub fn config(&self) -> &SessionConfig {
        &self.cfg
    }

    /// Replaces the To-Path (e.g. after learning a relay's Use-Path).
    pub fn set_to_path(&mut self, path: Vec<MsrpUri>) {
        self.cfg.to_path = path;
    }

    fn next_rand(&mut self) -> u64 {
        // xorshift64*: deterministic from the configured seed.
        let mut x = self.rng;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.rng = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn new_ident(&mut self, len: usize) -> String {
        const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
        let mut s = String::with_capacity(len);
        while s.len() < len {
            let r = self.next_rand();
            for k in 0..8 {
                if s.len() == len {
                    break;
                }
                let idx = ((r >> (k * 8)) & 0xff) as usize % ALPHABET.len();
                s.push(char::from(*ALPHABET.get(idx).unwrap_or(&b'a')));
            }
        }
        s
    }

    /// Queues a whole message; returns its Message-ID.
    pub fn send_message(
        &mut self,
        mut spec: MessageSpec,
        body: Bytes,
    ) -> Result<String, UsageError> {
        spec.total = Some(body.len() as u64);
        let id = self.start_message(spec)?;
        self.push_data(&id, body, true)?;
        Ok(id)
    }

    /// Starts a message whose body will be pushed piece by piece with
    /// [`Session::push_data`]; returns its Message-ID.
    pub fn start_message(&mut self, spec: MessageSpec) -> Result<String, UsageError> {
        for (n, v) in &spec.extra_headers {
            if n.bytes().any(|b| !crate::header::is_hname_char(b)) || v.contains(['\r', '\n']) {
                return Err(UsageError::BadValue("extra header"));
            }
        }
        if self.cfg.to_path.is_empty() {
            return Err(UsageError::BadValue("no To-Path to send to"));
        }
        if spec.content_type.is_empty() || spec.content_type.contains(['\r', '\n']) {
            return Err(UsageError::BadValue("content type"));
        }
        let id = self.new_ident(12);
        self.outgoing.push(Outgoing {
            id: id.clone(),
            spec,
            queue: VecDeque::new(),
            queued: 0,
            sent: 0,
            finished: false,
            any_sent: false,
            in_flight: 0,
            done_sending: false,
            flush: false,
        });
        Ok(id)
    }

    /// Adds body bytes to an outgoing message; `last` closes it.
    pub fn push_data(
        &mut self,
        message_id: &str,
        data: Bytes,
        last: bool,
    ) -> Result<(), UsageError> {
        let m = self
            .outgoing
            .iter_mut()
            .find(|m| m.id == message_id)
            .ok_or(UsageError::UnknownMessage)?;
        if m.finished {
            return Err(UsageError::MessageClosed);
        }
        if let Some(t) = m.spec.total {
            if m.sent + (m.queued + data.len()) as u64 > t
                || (last && m.sent + (m.queued + data.len()) as u64 != t)
            {
                return Err(UsageError::MessageClosed);
            }
        }
        m.queued += data.len();
        if !data.is_empty() {
            m.queue.push_back(data);
        }
        m.finished = last;
        Ok(())
    }

    /// Sends what is queued for a message now, even less than a chunk (for
    /// live content pushed slowly); otherwise chunks wait until
    /// `chunk_size` bytes are queued or the message is finished.
    pub fn flush(&mut self, message_id: &str) -> Result<(), UsageError> {
        let m = self
            .outgoing
            .iter_mut()
            .find(|m| m.id == message_id)
            .ok_or(UsageError::UnknownMessage)?;
        m.flush = true;
        Ok(())
    }

    /// Bytes pushed for this message and not yet sent (for flow control).
    pub fn queued(&self, message_id: &str) -> Option<usize> {
        self.outgoing
            .iter()
            .find(|m| m.id == message_id)
            .map(|m| m.queued)
    }

    /// Aborts an outgoing message: a bodiless chunk with `#` is sent if any
    /// chunk went out, and nothing more of it.
    pub fn abort_message(&mut self, message_id: &str) -> Result<(), UsageError> {
        let i = self
            .outgoing
            .iter()
            .position(|m| m.id == message_id)
            .ok_or(UsageError::UnknownMessage)?;
        let m = self.outgoing.remove(i);
        if m.any_sent && !m.done_sending {
            let tid = self.new_ident(10);
            let mut head = self.request_head(&tid, Method::SEND);
            let _ = head.headers.push(name::MESSAGE_ID, m.id.clone());
            // No bytes in this chunk: the end is left unknown rather than
            // written below the start.
            let range = ByteRange {
                start: m.sent + 1,
                end: None,
                total: m.spec.total,
            };
            head.headers.set_typed(&range);
            head.headers.set_typed(&FailureReport(ReportMode::No));
            let mut buf = Vec::with_capacity(256);
            head.write(&mut buf);
            head.write_end(Flag::Abort, &mut buf);
            self.out.push_back(Transmit {
                segments: vec![buf.into()],
            });
        }
        Ok(())
    }

    fn request_head(&self, tid: &str, method: Method) -> ChunkHead {
        let mut head = ChunkHead {
            tid: Bytes::copy_from_slice(tid.as_bytes()),
            start: StartLine::Request(method),
            headers: crate::Headers::new(),
            has_body: false,
        };
        let _ = head
            .headers
            .push(name::TO_PATH, write_path(&self.cfg.to_path));
        let _ = head
            .headers
            .push(name::FROM_PATH, write_path(&self.cfg.from_path));
        head
    }

    /// Checks the TLS peer's end-entity certificate (DER, as the TLS
    /// library hands it out after the handshake) against
    /// [`SessionConfig::peer_certificate`] (RFC 4975 section 14.4). Call it
    /// once the handshake is done and before feeding any received byte.
    ///
    /// On success chunks start to flow. On a refusal the session stops
    /// for good: [`Event::PeerRefused`] is raised, nothing more is sent,
    /// and the application must close the connection. With
    /// [`PeerCertificate::NotChecked`] there is nothing to check and this
    /// returns `Ok`.
    pub fn handle_peer_certificate(&mut self, cert_der: &[u8]) -> Result<(), FingerprintError> {
        match &self.peer {
            PeerState::Refused(e) => return Err(e.clone()),
            PeerState::Open => {
                if let PeerCertificate::NotChecked = self.cfg.peer_certificate {
                    return Ok(());
                }
            }
            PeerState::Pending => {}
        }
        let PeerCertificate::Fingerprints(offered) = &self.cfg.peer_certificate else {
            return Ok(());
        };
        match crate::fingerprint::verify(offered, cert_der) {
            Ok(()) => {
                self.peer = PeerState::Open;
                Ok(())
            }
            Err(e) => {
                self.refuse_peer(e.clone());
                Err(e)
            }
        }
    }

    /// Whether the session waits for [`Session::handle_peer_certificate`]
    /// before anything flows.
    pub fn awaits_peer_certificate(&self) -> bool {
        self.peer == PeerState::Pending
    }

    /// Why the TLS peer was refused, if it was.
    pub fn peer_refused(&self) -> Option<&FingerprintError> {
        match &self.peer {
            PeerState::Refused(e) => Some(e),
            _ => None,
        }
    }

    fn refuse_peer(&mut self, e: FingerprintError) {
        self.peer = PeerState::Refused(e.clone());
        self.broken = true;
        self.out.clear();
        self.events.push_back(Event::PeerRefused(e));
    }

    /// Refuses input that arrives before the peer's certificate was
    /// checked; true when the input must be dropped.
    fn input_refused(&mut self) -> bool {
        match self.peer {
            PeerState::Open => false,
            PeerState::Refused(_) => true,
            PeerState::Pending => {
                self.refuse_peer(FingerprintError::NotChecked);
                true
            }
        }
    }

    /// The next bytes to write, if any: responses and reports first, then
    /// one chunk of the next message in turn. Nothing while the TLS peer's
    /// certificate is unchecked or was refused.
    pub fn poll_transmit(&mut self, now: Instant) -> Option<Transmit> {
        if self.peer != PeerState::Open {
            return None;
        }
        if let Some(t) = self.out.pop_front() {
            return Some(t);
        }
        let n = self.outgoing.len();
        for k in 0..n {
            let i = (self.next_turn + k) % n;
            let ready = self.outgoing.get(i).is_some_and(|m| {
                !m.done_sending
                    && (m.queued >= self.cfg.chunk_size
                        || (m.flush && m.queued > 0)
                        || (m.finished && (m.queued > 0 || !m.any_sent)))
            });
            if ready {
                self.next_turn = i + 1;
                return self.chunk_of(i, now);
            }
        }
        None
    }

    fn chunk_of(&mut self, i: usize, now: Instant) -> Option<Transmit> {
        let chunk_size = self.cfg.chunk_size;
        let m = self.outgoing.get_mut(i)?;
        // Take up to chunk_size bytes as slices of the pushed buffers.
        let mut pieces = Vec::new();
        let mut len = 0usize;
        while len < chunk_size {
            let Some(front) = m.queue.front_mut() else {
                break;
            };
            let want = chunk_size - len;
            if front.len() <= want {
                len += front.len();
                pieces.push(m.queue.pop_front().unwrap_or_default());
            } else {
                len += want;
                pieces.push(front.split_to(want));
            }
        }
        m.queued -= len;
        if m.queued == 0 {
            m.flush = false;
        }
        let start = m.sent + 1;
        m.sent += len as u64;
        let last = m.finished && m.queued == 0;
        let total = m.spec.total.or(if last { Some(m.sent) } else { None });
        let range = ByteRange {
            start,
            end: Some(m.sent),
            total,
        };
        let spec = m.spec.clone();
        let id = m.id.clone();
        m.any_sent = true;
        if last {
            m.done_sending = true;
        }
        let want_response = spec.failure_report == ReportMode::Yes;
        if want_response {
            m.in_flight += 1;
        }
        // A transaction id whose end-line the body does not hold.
        let mut tid = self.new_ident(10);
        while pieces_hold_end_line(&pieces, tid.as_bytes()) {
            tid = self.new_ident(12);
        }
        let mut head = self.request_head(&tid, Method::SEND);
        let _ = head.headers.push(name::MESSAGE_ID, id.clone());
        head.headers.set_typed(&range);
        if spec.success_report {
            head.headers.set_typed(&SuccessReport(true));
        }
        if spec.failure_report != ReportMode::Yes {
            head.headers.set_typed(&FailureReport(spec.failure_report));
        }
        for (n, v) in &spec.extra_headers {
            let _ = head.headers.push(n, v.clone());
        }
        let _ = head
            .headers
            .push(name::CONTENT_TYPE, spec.content_type.clone());
        head.has_body = true;
        let mut h = Vec::with_capacity(256);
        head.write(&mut h);
        let mut tail = Vec::with_capacity(24);
        head.write_end(if last { Flag::Complete } else { Flag::More }, &mut tail);
        let mut segments = Vec::with_capacity(pieces.len() + 2);
        segments.push(Bytes::from(h));
        segments.extend(pieces);
        segments.push(Bytes::from(tail));
        let tid_b = Bytes::from(tid.into_bytes());
        if want_response {
            let deadline = now + self.cfg.transaction_timeout;
            self.pending.insert(
                tid_b.clone(),
                PendingTx {
                    message_id: id.clone(),
                },
            );
            self.deadlines.push_back((deadline, tid_b));
        }
        if last {
            self.finish_if_done(&id);
        }
        Some(Transmit { segments })
    }

    fn finish_if_done(&mut self, id: &str) {
        if let Some(i) = self.outgoing.iter().position(|m| m.id == id) {
            if self
                .outgoing
                .get(i)
                .is_some_and(|m| m.done_sending && m.in_flight == 0)
            {
                self.outgoing.remove(i);
                if self.next_turn > i {
                    self.next_turn -= 1;
                }
                self.events.push_back(Event::MessageSent {
                    message_id: id.to_owned(),
                });
            }
        }
    }

    fn fail_outgoing(&mut self, id: &str, status: StatusCode) {
        if let Some(i) = self.outgoing.iter().position(|m| m.id == id) {
            self.outgoing.remove(i);
            if self.next_turn > i {
                self.next_turn -= 1;
            }
            self.events.push_back(Event::MessageFailed {
                message_id: id.to_owned(),
                status,
            });
        }
    }

    /// The next event, if any.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// When [`Session::handle_timeout`] must next be called.
    pub fn poll_timeout(&mut self) -> Option<Instant> {
        while let Some((_, tid)) = self.deadlines.front() {
            if self.pending.contains_key(tid) {
                break;
            }
            self.deadlines.pop_front();
        }
        self.deadlines.front().map(|(d, _)| *d)
    }

    /// Expires transactions whose response did not come in time: their
    /// messages fail with 408 (RFC 4975 section 7.1.1).
    pub fn handle_timeout(&mut self, now: Instant) {
        while let Some(&(d, _)) = self.deadlines.front() {
            if d > now {
                break;
            }
            let Some((_, tid)) = self.deadlines.pop_front() else {
                break;
            };
            if let Some(p) = self.pending.remove(&tid) {
                self.fail_outgoing(&p.message_id, StatusCode::TIMEOUT);
            }
        }
    }

    /// Answers a request handed out as [`Event::Request`].
    pub fn respond(&mut self, request: &ChunkHead, code: StatusCode, extra: &[(&str, &str)]) {
        let mut resp = self.response_head(request, code);
        for (n, v) in extra {
            let _ = resp.headers.push(n, v.to_string());
        }
        let mut b = Vec::with_capacity(256);
        resp.write(&mut b);
        resp.write_end(Flag::Complete, &mut b);
        self.out.push_back(Transmit {
            segments: vec![b.into()],
        });
    }

    fn response_head(&self, request: &ChunkHead, code: StatusCode) -> ChunkHead {
        let mut resp = ChunkHead::response(&request.tid, code);
        let from = request.headers.get_str(name::FROM_PATH).unwrap_or("");
        // SEND responses go to the previous hop only; others to the full path.
        let to = if request.method() == Some(&Method::SEND) {
            from.split(' ').find(|s| !s.is_empty()).unwrap_or("")
        } else {
            from.trim_start()
        };
        let _ = resp.headers.push(name::TO_PATH, to.to_owned());
        let _ = resp
            .headers
            .push(name::FROM_PATH, self.cfg.local_uri.to_string());
        resp
    }

    /// Sends a REPORT about an incoming message (success with 200, or a
    /// failure with any error code), RFC 4975 sections 7.1.2 to 7.1.4.
    pub fn send_report(
        &mut self,
        message_id: &str,
        to_path: &str,
        range: Option<ByteRange>,
        code: StatusCode,
    ) {
        let tid = self.new_ident(10);
        let mut head = ChunkHead {
            tid: Bytes::from(tid.into_bytes()),
            start: StartLine::Request(Method::REPORT),
            headers: crate::Headers::new(),
            has_body: false,
        };
        let _ = head.headers.push(name::TO_PATH, to_path.to_owned());
        let _ = head
            .headers
            .push(name::FROM_PATH, self.cfg.local_uri.to_string());
        let _ = head.headers.push(name::MESSAGE_ID, message_id.to_owned());
        if let Some(r) = range {
            head.headers.set_typed(&r);
        }
        head.headers.set_typed(&Status {
            namespace: 0,
            code,
            comment: code.reason().map(str::to_owned),
        });
        let mut b = Vec::with_capacity(256);
        head.write(&mut b);
        head.write_end(Flag::Complete, &mut b);
        self.out.push_back(Transmit {
            segments: vec![b.into()],
        });
    }

    /// Feeds received bytes.
    pub fn handle_input(&mut self, now: Instant, data: Bytes) {
        let _ = now;
        if self.input_refused() || self.broken {
            return;
        }
        self.parser.push(data);
        loop {
            match self.parser.poll() {
                Ok(Some(ev)) => self.on_parse_event(ev),
                Ok(None) => break,
                Err(e) => {
                    self.broken = true;
                    self.events.push_back(Event::StreamError(e));
                    break;
                }
            }
        }
    }

    /// Feeds one already-parsed event, for an [`crate::endpoint::Endpoint`]
    /// that parses a connection carrying several sessions. Events of one
    /// chunk must come in order (head, body pieces, end).
    pub fn handle_parse_event(&mut self, now: Instant, ev: ParseEvent) {
        let _ = now;
        if self.input_refused() {
            return;
        }
        self.on_parse_event(ev);
    }

    fn on_parse_event(&mut self, ev: ParseEvent) {
        match ev {
            ParseEvent::Head(head) => self.on_head(head),
            ParseEvent::Body(b) => self.on_body(b),
            ParseEvent::End(flag) => self.on_end(flag),
        }
    }

    fn on_head(&mut self, head: ChunkHead) {
        let kind = match &head.start {
            StartLine::Response { code, .. } => {
                let code = *code;
                if let Some(p) = self.pending.remove(&head.tid) {
                    if code.is_success() {
                        if let Some(m) = self.outgoing.iter_mut().find(|m| m.id == p.message_id) {
                            m.in_flight = m.in_flight.saturating_sub(1);
                        }
                        self.finish_if_done(&p.message_id);
                    } else {
                        self.fail_outgoing(&p.message_id, code);
                    }
                }
                CurrentKind::Response
            }
            StartLine::Request(m) if *m == Method::SEND => self.classify_send(&head),
            StartLine::Request(m) if *m == Method::REPORT => {
                self.on_report(&head);
                CurrentKind::Report
            }
            StartLine::Request(_) => {
                if self.cfg.reject_unknown_methods {
                    CurrentKind::Refused(StatusCode::NOT_IMPLEMENTED)
                } else {
                    CurrentKind::Other(BytesMut::new())
                }
            }
        };
        self.current = Some(Current { head, kind });
    }

    fn to_path_is_ours(&self, head: &ChunkHead) -> Option<bool> {
        let tp = head.headers.get_str(name::TO_PATH)?;
        let first = parse_path(tp).ok()?;
        Some(
            first
                .first()
                .is_some_and(|u| u.matches(&self.cfg.local_uri)),
        )
    }

    fn classify_send(&mut self, head: &ChunkHead) -> CurrentKind {
        let h = &head.headers;
        let failure = match h.typed::<FailureReport>() {
            None => ReportMode::Yes,
            Some(Ok(f)) => f.0,
            Some(Err(_)) => return CurrentKind::Refused(StatusCode::BAD_REQUEST),
        };
        let success = matches!(h.typed::<SuccessReport>(), Some(Ok(SuccessReport(true))));
        let bad = |failure| CurrentKind::Send {
            message_id: String::new(),
            pos: 0,
            start: 1,
            error: Some(StatusCode::BAD_REQUEST),
            failure,
            success: false,
            range_total: None,
            duplicate: false,
        };
        match self.to_path_is_ours(head) {
            None => return bad(failure),
            Some(false) => {
                let mut k = bad(failure);
                if let CurrentKind::Send { error, .. } = &mut k {
                    *error = Some(StatusCode::NO_SUCH_SESSION);
                }
                return k;
            }
            Some(true) => {}
        }
        let Some(message_id) = h.message_id().filter(|m| !m.is_empty()).map(str::to_owned) else {
            return bad(failure);
        };
        if h.from_path().is_none_or(|p| p.is_err()) {
            return bad(failure);
        }
        let range = match h.typed::<ByteRange>() {
            None => ByteRange {
                start: 1,
                end: None,
                total: None,
            },
            Some(Ok(r)) => r,
            Some(Err(_)) => return bad(failure),
        };
        let mut error = None;
        if !self.cfg.may_receive {
            error = Some(StatusCode::FORBIDDEN);
        } else if let Some(ct) = h.content_type() {
            if !type_accepted(&self.cfg.accept_types, ct) {
                error = Some(StatusCode::UNSUPPORTED_MEDIA_TYPE);
            }
        }
        if let (Some(max), Some(t)) = (self.cfg.max_message_size, range.total) {
            if t > max {
                error = Some(StatusCode::TOO_LARGE);
            }
        }
        let finished = self
            .completed
            .iter()
            .find(|(m, _)| *m == message_id)
            .map(|(_, r)| *r);
        if let (None, Some(Some(code))) = (error, finished) {
            error = Some(code);
        }
        if error.is_none() && finished.is_some() {
            return CurrentKind::Send {
                message_id,
                pos: range.start - 1,
                start: range.start,
                error: None,
                failure,
                success: false,
                range_total: range.total,
                duplicate: true,
            };
        }
        let known = self.incoming.contains_key(&message_id);
        let refused = self.incoming.get(&message_id).and_then(|m| m.refused);
        if error.is_none() {
            error = refused;
        }
        if !known && error.is_none() && self.incoming.len() >= self.cfg.max_incoming_messages {
            error = Some(StatusCode::FORBIDDEN);
        }
        if !known && error.is_none() {
            self.events.push_back(Event::MessageStart {
                message_id: message_id.clone(),
                content_type: h.content_type().map(str::to_owned),
                total: range.total,
                from_path: h.from_path().and_then(Result::ok).unwrap_or_default(),
            });
            self.incoming
                .insert(message_id.clone(), Incoming::default());
        }
        if let (Some(inc), None) = (self.incoming.get_mut(&message_id), error) {
            if inc.total.is_none() {
                inc.total = range.total;
            }
        }
        CurrentKind::Send {
            message_id,
            pos: range.start - 1,
            start: range.start,
            error,
            failure,
            success,
            range_total: range.total,
            duplicate: false,
        }
    }

    fn on_report(&mut self, head: &ChunkHead) {
        let h = &head.headers;
        let (Some(mid), Some(Ok(status))) = (h.message_id(), h.typed::<Status>()) else {
            return;
        };
        let range = h.typed::<ByteRange>().and_then(Result::ok);
        if status.namespace == 0 && !status.code.is_success() {
            self.fail_outgoing(mid, status.code);
        }
        self.events.push_back(Event::Report {
            message_id: mid.to_owned(),
            status,
            range,
        });
    }

    fn on_body(&mut self, b: Bytes) {
        let Some(cur) = &mut self.current else { return };
        match &mut cur.kind {
            CurrentKind::Send {
                message_id,
                pos,
                error,
                duplicate,
                ..
            } => {
                let off = *pos;
                let end = off.saturating_add(b.len() as u64);
                *pos = end;
                if error.is_some() || *duplicate {
                    return;
                }
                if let Some(max) = self.cfg.max_message_size {
                    if end > max {
                        *error = Some(StatusCode::TOO_LARGE);
                        return;
                    }
                }
                let Some(inc) = self.incoming.get_mut(message_id.as_str()) else {
                    return;
                };
                if inc.ranges.len() >= self.cfg.max_ranges
                    && !inc.ranges.iter().any(|&(s, e)| s <= end && off <= e)
                {
                    *error = Some(StatusCode::FORBIDDEN);
                    return;
                }
                for (a, z) in inc.missing(off, end) {
                    let s = (a - off) as usize;
                    let e = (z - off) as usize;
                    self.events.push_back(Event::Data {
                        message_id: message_id.clone(),
                        offset: a,
                        data: b.slice(s..e),
                    });
                }
                inc.insert(off, end);
            }
            CurrentKind::Other(buf) => buf.extend_from_slice(&b),
            _ => {}
        }
    }

    fn on_end(&mut self, flag: Flag) {
        let Some(cur) = self.current.take() else {
            return;
        };
        match cur.kind {
            CurrentKind::Response | CurrentKind::Report => {}
            CurrentKind::Refused(code) => {
                let mut resp = self.response_head(&cur.head, code);
                let mut b = Vec::with_capacity(256);
                resp.has_body = false;
                resp.write(&mut b);
                resp.write_end(Flag::Complete, &mut b);
                self.out.push_back(Transmit {
                    segments: vec![b.into()],
                });
            }
            CurrentKind::Other(body) => {
                self.events.push_back(Event::Request(Chunk {
                    head: cur.head,
                    body: body.freeze(),
                    flag,
                }));
            }
            CurrentKind::Send {
                message_id,
                pos,
                start,
                error,
                failure,
                success,
                range_total,
                duplicate,
            } => {
                // Transaction response (RFC 4975 section 7.2).
                let code = error.unwrap_or(StatusCode::OK);
                let respond = match failure {
                    ReportMode::Yes => true,
                    ReportMode::Partial => error.is_some(),
                    ReportMode::No => false,
                };
                if respond {
                    self.respond(&cur.head, code, &[]);
                }
                if duplicate {
                    return;
                }
                let from = cur
                    .head
                    .headers
                    .get_str(name::FROM_PATH)
                    .unwrap_or("")
                    .trim()
                    .to_owned();
                if let Some(err) = error {
                    if let Some(inc) = self.incoming.get_mut(&message_id) {
                        if inc.refused.is_none() {
                            inc.refused = Some(err);
                            self.events.push_back(Event::MessageAborted {
                                message_id: message_id.clone(),
                                status: Some(err),
                            });
                        }
                    } else if !message_id.is_empty()
                        && err != StatusCode::BAD_REQUEST
                        && err != StatusCode::NO_SUCH_SESSION
                    {
                        self.incoming.insert(
                            message_id.clone(),
                            Incoming {
                                refused: Some(err),
                                ..Incoming::default()
                            },
                        );
                    }
                    if flag != Flag::More {
                        // Keep no state for a refused message past its last chunk.
                        self.forget(&message_id, Some(err));
                    }
                    return;
                }
                if success && self.cfg.success_report_mode == SuccessReportMode::PerChunk {
                    let r = ByteRange {
                        start,
                        end: Some(pos),
                        total: range_total,
                    };
                    self.send_report(&message_id, &from, Some(r), StatusCode::OK);
                }
                match flag {
                    Flag::Abort => {
                        self.forget(&message_id, None);
                        self.events.push_back(Event::MessageAborted {
                            message_id,
                            status: None,
                        });
                    }
                    Flag::Complete | Flag::More => {
                        let Some(inc) = self.incoming.get_mut(&message_id) else {
                            return;
                        };
                        if flag == Flag::Complete && inc.end.is_none() {
                            inc.end = Some(pos);
                        }
                        if let Some(total) = inc.complete() {
                            self.forget(&message_id, None);
                            self.events.push_back(Event::MessageComplete {
                                message_id: message_id.clone(),
                                total,
                            });
                            if success
                                && self.cfg.success_report_mode == SuccessReportMode::PerMessage
                            {
                                let r = ByteRange {
                                    start: 1,
                                    end: Some(total),
                                    total: Some(total),
                                };
                                self.send_report(&message_id, &from, Some(r), StatusCode::OK);
                            }
                        }
                    }
                }
            }
        }
    }

    /// Drops an incoming message's state and remembers its id, so late
    /// duplicates of its chunks are acknowledged but not handed out again.
    /// A refused message stays refused with the same status.
    fn forget(&mut self, message_id: &str, refused: Option<StatusCode>) {
        self.incoming.remove(message_id);
        if message_id.is_empty() {
            return;
        }
        if self.completed.len() >= COMPLETED_MEMORY {
            self.completed.pop_front();
        }
        self.completed.push_back((message_id.to_owned(), refused));
    }

    /// Whether the received stream broke (a malformed chunk) or the TLS
    /// peer was refused: the connection should be closed.
    pub fn is_broken(&self) -> bool {
        self.broken
    }

    /// Checks that the peer's stream may end here (not inside a chunk).
    pub fn finish_input(&self) -> Result<(), ParseError> {
        self.parser.finish()
    }

    /// How many incoming messages are partly received.
    pub fn incoming_in_progress(&self) -> usize {
        self.incoming.len()
    }
}

/// Whether a media type is in the accept list (`*` and `type/*` wildcards,
/// RFC 4975 section 8.6), parameters ignored.
pub fn type_accepted(accept: &[String], content_type: &str) -> bool {
    if accept.is_empty() {
        return true;
    }
    let ct = content_type.split(';').next().unwrap_or("").trim();
    let (t, _) = ct.split_once('/').unwrap_or((ct, ""));
    accept.iter().any(|a| {
        let a = a.trim();
        a == "*"
            || a.eq_ignore_ascii_case(ct)
            || a.strip_suffix("/*")
                .is_some_and(|p| p.eq_ignore_ascii_case(t))
    })
}

/// Whether body pieces, taken together, hold `tid`'s end-line.
fn pieces_hold_end_line(pieces: &[Bytes], tid: &[u8]) -> bool {
    let reach = tid.len() + 10;
    let mut prev: &[u8] = &[];
    for p in pieces {
        if body_holds_end_line(p, tid) {
            return true;
        }
        if !prev.is_empty() {
            let a = prev.get(prev.len().saturating_sub(reach)..).unwrap_or(&[]);
            let b = p.get(..p.len().min(reach)).unwrap_or(&[]);
            let mut seam = Vec::with_capacity(a.len() + b.len());
            seam.extend_from_slice(a);
            seam.extend_from_slice(b);
            if body_holds_end_line(&seam, tid) {
                return true;
            }
        }
        prev = p;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interval_set() {
        let mut inc = Incoming::default();
        inc.insert(10, 20);
        inc.insert(0, 5);
        assert_eq!(inc.missing(0, 30), vec![(5, 10), (20, 30)]);
        inc.insert(5, 10);
        assert_eq!(inc.ranges, vec![(0, 20)]);
        inc.insert(15, 25);
        assert_eq!(inc.ranges, vec![(0, 25)]);
        assert_eq!(inc.missing(3, 8), vec![]);
        inc.total = Some(25);
        assert_eq!(inc.complete(), Some(25));
    }

    #[test]
    fn accept_types() {
        let a = vec!["message/cpim".to_owned(), "text/*".to_owned()];
        assert!(type_accepted(&a, "text/plain; charset=utf-8"));
        assert!(type_accepted(&a, "Message/CPIM"));
        assert!(!type_accepted(&a, "image/jpeg"));
        assert!(type_accepted(&[], "image/jpeg"));
    }

    mod tls_peer {
        use super::*;
        use crate::fingerprint::HashFunc;
        use crate::sdp::{MsrpDescription, Sdp};

        const ALICE_CERT: &[u8] = b"alice's certificate, DER";
        const BOB_CERT: &[u8] = b"bob's certificate, DER";

        #[allow(clippy::disallowed_methods)] // the fake clock's origin
        fn now() -> Instant {
            Instant::now()
        }

        fn uri(s: &str) -> MsrpUri {
            MsrpUri::parse(s).unwrap()
        }

        /// Alice offers and Bob answers over `msrps:`, each SDP carrying
        /// the fingerprint of its own certificate; each side's session is
        /// configured from the other's SDP as it arrived on the wire.
        fn pair() -> (Session, Session) {
            let a_uri = uri("msrps://alice.example.com:7654/iau39;tcp");
            let b_uri = uri("msrps://bob.example.net:8888/9di4ea;tcp");
            let a_fp = Fingerprint::of_certificate(HashFunc::Sha256, ALICE_CERT).unwrap();
            let b_fp = Fingerprint::of_certificate(HashFunc::Sha256, BOB_CERT).unwrap();
            let offer = MsrpDescription::chat("alice.example.com", 7654, a_uri.clone());
            let offer_sdp = Sdp::parse(
                &offer
                    .to_sdp_with_fingerprints("alice", 1, &[a_fp])
                    .to_bytes(),
            )
            .unwrap();
            let offer_in = MsrpDescription::from_sdp(&offer_sdp).unwrap();
            let answer = MsrpDescription::answer(
                &offer_in,
                "bob.example.net",
                8888,
                vec![b_uri],
                vec!["text/plain".into()],
            );
            let answer_sdp = Sdp::parse(
                &answer
                    .to_sdp_with_fingerprints("bob", 2, &[b_fp])
                    .to_bytes(),
            )
            .unwrap();
            let answer_in = MsrpDescription::from_sdp(&answer_sdp).unwrap();
            assert_eq!(answer_sdp.msrp_media().unwrap().proto(), "TCP/TLS/MSRP");
            let mut a_cfg = offer.session_config(&answer_in).unwrap();
            let mut b_cfg = answer.session_config(&offer_in).unwrap();
            // One msrps: peer, no relay: both wait for a certificate.
            assert_eq!(
                a_cfg.peer_certificate,
                PeerCertificate::Fingerprints(vec![])
            );
            a_cfg.peer_certificate =
                PeerCertificate::Fingerprints(answer_sdp.fingerprints().unwrap());
            b_cfg.peer_certificate =
                PeerCertificate::Fingerprints(offer_sdp.fingerprints().unwrap());
            (Session::new(a_cfg).unwrap(), Session::new(b_cfg).unwrap())
        }

        fn drain(s: &mut Session, now: Instant) -> Vec<u8> {
            std::iter::from_fn(|| s.poll_transmit(now))
                .flat_map(|t| t.to_vec())
                .collect()
        }

        fn events(s: &mut Session) -> Vec<Event> {
            std::iter::from_fn(|| s.poll_event()).collect()
        }

        #[test]
        fn nothing_flows_until_the_certificate_matches() {
            let now = now();
            let (mut a, mut b) = pair();
            assert!(a.awaits_peer_certificate() && b.awaits_peer_certificate());
            a.send_message(
                MessageSpec::new("text/plain"),
                Bytes::from_static(b"hi Bob"),
            )
            .unwrap();
            assert_eq!(a.poll_transmit(now), None);
            // Each side checks the certificate its TLS peer presented.
            assert_eq!(a.handle_peer_certificate(BOB_CERT), Ok(()));
            assert_eq!(b.handle_peer_certificate(ALICE_CERT), Ok(()));
            assert!(!a.awaits_peer_certificate());
            let wire = drain(&mut a, now);
            assert!(!wire.is_empty());
            b.handle_input(now, Bytes::from(wire));
            let got: Vec<u8> = events(&mut b)
                .into_iter()
                .filter_map(|e| match e {
                    Event::Data { data, .. } => Some(data.to_vec()),
                    _ => None,
                })
                .flatten()
                .collect();
            assert_eq!(got, b"hi Bob");
            a.handle_input(now, Bytes::from(drain(&mut b, now)));
            assert!(events(&mut a)
                .iter()
                .any(|e| matches!(e, Event::MessageSent { .. })));
            assert_eq!(a.peer_refused(), None);
        }

        #[test]
        fn a_wrong_certificate_stops_the_session() {
            let now = now();
            let (mut a, mut b) = pair();
            a.send_message(
                MessageSpec::new("text/plain"),
                Bytes::from_static(b"secret"),
            )
            .unwrap();
            // A man in the middle presents its own certificate to Alice.
            assert_eq!(
                a.handle_peer_certificate(b"mallory's certificate"),
                Err(FingerprintError::Mismatch)
            );
            assert_eq!(
                events(&mut a),
                vec![Event::PeerRefused(FingerprintError::Mismatch)]
            );
            assert!(a.is_broken());
            assert_eq!(a.peer_refused(), Some(&FingerprintError::Mismatch));
            assert_eq!(a.poll_transmit(now), None);
            // The right certificate afterwards does not reopen it.
            assert_eq!(
                a.handle_peer_certificate(BOB_CERT),
                Err(FingerprintError::Mismatch)
            );
            assert_eq!(a.poll_transmit(now), None);
            // Bob checks Alice's certificate, and refuses Bob's own.
            assert_eq!(
                b.handle_peer_certificate(BOB_CERT),
                Err(FingerprintError::Mismatch)
            );
            b.handle_input(now, Bytes::from_static(b"MSRP abcd SEND\r\n"));
            assert_eq!(
                events(&mut b),
                vec![Event::PeerRefused(FingerprintError::Mismatch)]
            );
        }

        #[test]
        fn input_before_the_check_is_refused() {
            let now = now();
            let (mut a, mut b) = pair();
            assert_eq!(a.handle_peer_certificate(BOB_CERT), Ok(()));
            a.send_message(MessageSpec::new("text/plain"), Bytes::from_static(b"early"))
                .unwrap();
            let wire = drain(&mut a, now);
            // Bob's application forgot the check: the chunk is not read.
            b.handle_input(now, Bytes::from(wire));
            assert_eq!(
                events(&mut b),
                vec![Event::PeerRefused(FingerprintError::NotChecked)]
            );
            assert_eq!(
                b.handle_peer_certificate(ALICE_CERT),
                Err(FingerprintError::NotChecked)
            );
            assert_eq!(b.poll_transmit(now), None);
            // Same through the endpoint's entry point.
            let (_, mut b2) = pair();
            b2.handle_parse_event(now, ParseEvent::End(Flag::Complete));
            assert_eq!(
                events(&mut b2),
                vec![Event::PeerRefused(FingerprintError::NotChecked)]
            );
        }

        #[test]
        fn no_fingerprint_no_session() {
            let a_uri = uri("msrps://alice.example.com:7654/iau39;tcp");
            let b_uri = uri("msrps://bob.example.net:8888/9di4ea;tcp");
            // The default for one msrps: peer: fingerprints required, none known.
            let mut a =
                Session::new(SessionConfig::new(a_uri.clone(), vec![b_uri.clone()])).unwrap();
            assert!(a.awaits_peer_certificate());
            assert_eq!(
                a.handle_peer_certificate(BOB_CERT),
                Err(FingerprintError::Missing)
            );
            assert_eq!(
                events(&mut a),
                vec![Event::PeerRefused(FingerprintError::Missing)]
            );
            // Only SHA-1 offered: refused, saying which function could not be checked.
            let mut cfg = SessionConfig::new(a_uri.clone(), vec![b_uri.clone()]);
            cfg.peer_certificate =
                PeerCertificate::Fingerprints(vec![
                    Fingerprint::new(HashFunc::Sha1, vec![7; 20]).unwrap()
                ]);
            let mut a = Session::new(cfg).unwrap();
            assert_eq!(
                a.handle_peer_certificate(BOB_CERT),
                Err(FingerprintError::NoUsableHash(vec![HashFunc::Sha1]))
            );
            // Through a relay (two hops) or over plain TCP nothing is
            // checked by fingerprint.
            let relay = uri("msrps://relay.example.com:9000/r;tcp");
            for to in [
                vec![relay, b_uri],
                vec![uri("msrp://bob.example.net:8888/9di4ea;tcp")],
            ] {
                let mut s = Session::new(SessionConfig::new(a_uri.clone(), to)).unwrap();
                assert!(!s.awaits_peer_certificate());
                assert_eq!(s.handle_peer_certificate(b"anything"), Ok(()));
                s.send_message(MessageSpec::new("text/plain"), Bytes::from_static(b"x"))
                    .unwrap();
                assert!(s.poll_transmit(now()).is_some());
            }
        }
    }

    #[test]
    fn seams_are_checked() {
        let a = Bytes::from_static(b"xx\r\n---");
        let b = Bytes::from_static(b"----abcd$\r\n");
        assert!(pieces_hold_end_line(&[a.clone(), b.clone()], b"abcd"));
        assert!(!pieces_hold_end_line(&[a, b], b"abce"));
    }
}
