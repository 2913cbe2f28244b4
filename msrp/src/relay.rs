//! MSRP relays (RFC 4976): the client's AUTH exchange with HTTP digest
//! (RFC 2617 as profiled by RFC 4976 section 9.1: qop `auth`, MD5, the
//! rightmost To-Path URI as the digest URI), Use-Path and Expires, and the
//! relay's side: challenging and admitting clients, handing out URIs, and
//! forwarding requests and responses by moving its URI from To-Path to
//! From-Path (section 6.4), with failure REPORTs back to the sender on
//! error responses and on the 30 s timeout.
//!
//! Bodies are not touched: the relay rewrites heads only, so the caller
//! forwards body bytes as they stream (they are slices of the input).
//! Not done: TLS certificate checks, connection management and relays that
//! re-chunk messages (both optional in section 6.4.1).
#![cfg_attr(
    not(test),
    deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)
)]

use crate::chunk::{ChunkHead, Flag, StartLine};
use crate::error::FormatError;
use crate::header::{name, ByteRange, Expires, FailureReport, ReportMode, Status};
use crate::session::Transmit;
use crate::status::{Method, StatusCode};
use crate::uri::{parse_path, write_path, MsrpUri};
use bytes::Bytes;
use md5::{Digest, Md5};
use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

/// Parses `Digest k=v, k="v", ...` (the scheme is checked, parameter names
/// are lower-cased, quoted values unescaped).
pub fn parse_digest_params(value: &str) -> Result<Vec<(String, String)>, FormatError> {
    let v = value.trim_start();
    let rest = v
        .get(..6)
        .filter(|s| s.eq_ignore_ascii_case("digest"))
        .and_then(|_| v.get(6..))
        .ok_or(FormatError::new("not a Digest credential or challenge", 0))?;
    let b = rest.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    loop {
        while b
            .get(i)
            .is_some_and(|c| *c == b' ' || *c == b',' || *c == b'\t')
        {
            i += 1;
        }
        if i >= b.len() {
            break;
        }
        let start = i;
        while b.get(i).is_some_and(|c| *c != b'=' && *c != b',') {
            i += 1;
        }
        let key = rest.get(start..i).unwrap_or("").trim().to_ascii_lowercase();
        if b.get(i) != Some(&b'=') || key.is_empty() {
            return Err(FormatError::new("digest parameter without value", 0));
        }
        i += 1;
        let mut val = String::new();
        if b.get(i) == Some(&b'"') {
            i += 1;
            loop {
                match b.get(i) {
                    None => return Err(FormatError::new("unterminated quoted string", 0)),
                    Some(b'"') => {
                        i += 1;
                        break;
                    }
                    Some(b'\\') => {
                        if let Some(&c) = b.get(i + 1) {
                            val.push(char::from(c));
                        }
                        i += 2;
                    }
                    Some(_) => {
                        let s = i;
                        while b.get(i).is_some_and(|c| *c != b'"' && *c != b'\\') {
                            i += 1;
                        }
                        val.push_str(rest.get(s..i).unwrap_or(""));
                    }
                }
            }
        } else {
            let s = i;
            while b.get(i).is_some_and(|c| *c != b',') {
                i += 1;
            }
            val.push_str(rest.get(s..i).unwrap_or("").trim());
        }
        out.push((key, val));
    }
    Ok(out)
}

fn param<'a>(p: &'a [(String, String)], k: &str) -> Option<&'a str> {
    p.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str())
}

fn md5_hex(parts: &[&str]) -> String {
    let mut h = Md5::new();
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            h.update(b":");
        }
        h.update(p.as_bytes());
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// The inputs of one digest computation (RFC 2617 section 3.2.2.1,
/// qop `auth`).
#[derive(Debug, Clone, Copy)]
pub struct DigestInput<'a> {
    /// User name.
    pub username: &'a str,
    /// Realm.
    pub realm: &'a str,
    /// Password.
    pub password: &'a str,
    /// Method (`AUTH` for MSRP).
    pub method: &'a str,
    /// Digest URI (for MSRP the rightmost To-Path URI).
    pub uri: &'a str,
    /// Server nonce.
    pub nonce: &'a str,
    /// Nonce count, 8 hex digits.
    pub nc: &'a str,
    /// Client nonce.
    pub cnonce: &'a str,
}

impl DigestInput<'_> {
    /// The `response` value.
    pub fn response(&self) -> String {
        let ha1 = md5_hex(&[self.username, self.realm, self.password]);
        let ha2 = md5_hex(&[self.method, self.uri]);
        md5_hex(&[&ha1, self.nonce, self.nc, self.cnonce, "auth", &ha2])
    }
    /// The `rspauth` value of Authentication-Info (empty method in A2).
    pub fn rspauth(&self) -> String {
        let ha1 = md5_hex(&[self.username, self.realm, self.password]);
        let ha2 = md5_hex(&["", self.uri]);
        md5_hex(&[&ha1, self.nonce, self.nc, self.cnonce, "auth", &ha2])
    }
}

fn quote(s: &str) -> String {
    let mut o = String::with_capacity(s.len() + 2);
    o.push('"');
    for c in s.chars() {
        if c == '"' || c == '\\' {
            o.push('\\');
        }
        o.push(c);
    }
    o.push('"');
    o
}

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn hex(&mut self, n: usize) -> String {
        let mut s = String::new();
        while s.len() < n {
            s.push_str(&format!("{:016x}", self.next()));
        }
        s.truncate(n);
        s
    }
}

/// What an [`AuthClient`] reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthEvent {
    /// The relay admitted us: put `use_path` first in To-Path and in our
    /// SDP `a=path`, for `expires` seconds.
    Authenticated {
        /// The Use-Path URIs.
        use_path: Vec<MsrpUri>,
        /// Granted lifetime in seconds.
        expires: u32,
    },
    /// The relay refused us (403, a second 401, or a timeout: 408).
    Failed(StatusCode),
}

/// The client side of RFC 4976 section 5.1: AUTH, answer the 401 digest
/// challenge, read Use-Path and Expires, refresh before expiry.
pub struct AuthClient {
    relay: MsrpUri,
    local: MsrpUri,
    username: String,
    password: String,
    expires: Option<u32>,
    rng: Rng,
    nc: u32,
    out: VecDeque<Transmit>,
    events: VecDeque<AuthEvent>,
    pending: Option<(Bytes, Instant)>,
    refresh_at: Option<Instant>,
    challenged: bool,
    /// The rspauth the relay must return for our last credentials.
    expected_rspauth: Option<String>,
}

impl std::fmt::Debug for AuthClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthClient")
            .field("relay", &self.relay.to_string())
            .finish_non_exhaustive()
    }
}

impl AuthClient {
    /// A client for `relay` (its URI from configuration), sending from
    /// `local`, asking for `expires` seconds if given.
    pub fn new(
        relay: MsrpUri,
        local: MsrpUri,
        username: &str,
        password: &str,
        expires: Option<u32>,
        seed: u64,
    ) -> Self {
        AuthClient {
            relay,
            local,
            username: username.to_owned(),
            password: password.to_owned(),
            expires,
            rng: Rng(seed | 1),
            nc: 0,
            out: VecDeque::new(),
            events: VecDeque::new(),
            pending: None,
            refresh_at: None,
            challenged: false,
            expected_rspauth: None,
        }
    }

    /// Sends an AUTH (first time, or to refresh).
    pub fn start(&mut self, now: Instant) {
        self.challenged = false;
        self.expected_rspauth = None;
        self.send_auth(now, None);
    }

    fn send_auth(&mut self, now: Instant, authorization: Option<String>) {
        let tid = self.rng.hex(10);
        let mut head = ChunkHead {
            tid: Bytes::from(tid.into_bytes()),
            start: StartLine::Request(Method::AUTH),
            headers: crate::Headers::new(),
            has_body: false,
        };
        let _ = head.headers.push(name::TO_PATH, self.relay.to_string());
        let _ = head.headers.push(name::FROM_PATH, self.local.to_string());
        if let Some(a) = authorization {
            let _ = head.headers.push(name::AUTHORIZATION, a);
        }
        if let Some(e) = self.expires {
            head.headers.set_typed(&Expires(e));
        }
        let mut b = Vec::with_capacity(256);
        head.write(&mut b);
        head.write_end(Flag::Complete, &mut b);
        self.pending = Some((head.tid.clone(), now + crate::session::TRANSACTION_TIMEOUT));
        self.out.push_back(Transmit {
            segments: vec![b.into()],
        });
    }

    /// Feeds a response received on the relay connection (others are
    /// ignored).
    pub fn handle_response(&mut self, now: Instant, resp: &ChunkHead) {
        let Some(code) = resp.status() else { return };
        if self.pending.as_ref().is_none_or(|(t, _)| *t != resp.tid) {
            return;
        }
        self.pending = None;
        let h = &resp.headers;
        match code.as_u16() {
            200 => {
                // Mutual authentication (RFC 2617 section 3.2.3): a relay
                // that saw our credentials proves it knows the password.
                if let Some(want) = self.expected_rspauth.take() {
                    let info = h
                        .get_str(name::AUTHENTICATION_INFO)
                        .map(|v| parse_digest_params(&format!("Digest {v}")).unwrap_or_default());
                    let got = info.as_deref().and_then(|p| param(p, "rspauth"));
                    if got != Some(want.as_str()) {
                        self.events
                            .push_back(AuthEvent::Failed(StatusCode::FORBIDDEN));
                        return;
                    }
                }
                let use_path = h.get_str(name::USE_PATH).and_then(|p| parse_path(p).ok());
                let expires = match h.typed::<Expires>() {
                    Some(Ok(Expires(e))) => e,
                    _ => self.expires.unwrap_or(0),
                };
                match use_path {
                    Some(use_path) => {
                        // Refresh when 90 % of the lifetime has passed.
                        self.refresh_at = (expires > 0)
                            .then(|| now + Duration::from_secs(u64::from(expires)) * 9 / 10);
                        self.events
                            .push_back(AuthEvent::Authenticated { use_path, expires });
                    }
                    None => self
                        .events
                        .push_back(AuthEvent::Failed(StatusCode::BAD_REQUEST)),
                }
            }
            401 if !self.challenged => {
                self.challenged = true;
                let Some(Ok(p)) = h.get_str(name::WWW_AUTHENTICATE).map(parse_digest_params) else {
                    self.events.push_back(AuthEvent::Failed(code));
                    return;
                };
                let realm = param(&p, "realm").unwrap_or("").to_owned();
                let nonce = param(&p, "nonce").unwrap_or("").to_owned();
                self.nc += 1;
                let nc = format!("{:08x}", self.nc);
                let cnonce = self.rng.hex(8);
                let uri = self.relay.to_string();
                let input = DigestInput {
                    username: &self.username,
                    realm: &realm,
                    password: &self.password,
                    method: "AUTH",
                    uri: &uri,
                    nonce: &nonce,
                    nc: &nc,
                    cnonce: &cnonce,
                };
                let mut auth = format!(
                    "Digest username={}, realm={}, nonce={}, qop=auth, nc={nc}, cnonce={}, response={}",
                    quote(&self.username),
                    quote(&realm),
                    quote(&nonce),
                    quote(&cnonce),
                    quote(&input.response())
                );
                if let Some(o) = param(&p, "opaque") {
                    auth.push_str(&format!(", opaque={}", quote(o)));
                }
                self.expected_rspauth = Some(input.rspauth());
                self.send_auth(now, Some(auth));
            }
            423 => {
                // Retry once within the relay's bounds.
                let min = h
                    .get(name::MIN_EXPIRES)
                    .and_then(|v| std::str::from_utf8(v).ok()?.parse().ok());
                let max = h
                    .get(name::MAX_EXPIRES)
                    .and_then(|v| std::str::from_utf8(v).ok()?.parse().ok());
                match min.or(max) {
                    Some(e) if Some(e) != self.expires => {
                        self.expires = Some(e);
                        self.start(now);
                    }
                    _ => self.events.push_back(AuthEvent::Failed(code)),
                }
            }
            _ => self.events.push_back(AuthEvent::Failed(code)),
        }
    }

    /// The next AUTH to write.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.out.pop_front()
    }
    /// The next event.
    pub fn poll_event(&mut self) -> Option<AuthEvent> {
        self.events.pop_front()
    }
    /// The next deadline: the transaction timeout or the refresh time.
    pub fn poll_timeout(&self) -> Option<Instant> {
        match (&self.pending, self.refresh_at) {
            (Some((_, d)), _) => Some(*d),
            (None, r) => r,
        }
    }
    /// Handles a deadline: a transaction timeout fails with 408, the
    /// refresh time sends a new AUTH.
    pub fn handle_timeout(&mut self, now: Instant) {
        if let Some((_, d)) = &self.pending {
            if *d <= now {
                self.pending = None;
                self.events
                    .push_back(AuthEvent::Failed(StatusCode::TIMEOUT));
            }
            return;
        }
        if self.refresh_at.is_some_and(|r| r <= now) {
            self.refresh_at = None;
            self.start(now);
        }
    }
}

/// Relay settings.
#[derive(Debug, Clone)]
pub struct RelayConfig {
    /// The relay's own URI (what clients configure), e.g.
    /// `msrps://relay.example.com:9000;tcp`.
    pub uri: MsrpUri,
    /// Digest realm.
    pub realm: String,
    /// Known users and passwords.
    pub users: HashMap<String, String>,
    /// Lifetime granted when the client does not ask.
    pub default_expires: u32,
    /// Shortest lifetime accepted (423 with Min-Expires below it).
    pub min_expires: u32,
    /// Longest lifetime accepted (423 with Max-Expires above it).
    pub max_expires: u32,
    /// Seed for nonces, session ids and transaction ids.
    pub seed: u64,
}

struct Binding {
    expires_at: Instant,
}

struct Forwarded {
    original: ChunkHead,
}

/// What to do with a request received by a relay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Forward {
    /// Send `head` (then the body unchanged) to the first URI of its
    /// To-Path, and `response` (if any) back to the previous hop.
    Next {
        /// The rewritten head with a new transaction id.
        head: ChunkHead,
        /// The immediate 200 for a SEND with Failure-Report `yes`.
        response: Option<ChunkHead>,
    },
    /// Answer the previous hop with this error response (and discard the
    /// body); `report` is a failure REPORT for the original sender when
    /// one is due.
    Refuse {
        /// The error response, if the request wanted one.
        response: Option<ChunkHead>,
        /// A failure REPORT toward the sender.
        report: Option<ChunkHead>,
    },
}

/// The relay's side of RFC 4976: AUTH handling and forwarding.
pub struct Relay {
    cfg: RelayConfig,
    rng: Rng,
    nonces: VecDeque<String>,
    bindings: HashMap<String, Binding>,
    pending: HashMap<Bytes, Forwarded>,
    deadlines: VecDeque<(Instant, Bytes)>,
}

impl std::fmt::Debug for Relay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Relay")
            .field("uri", &self.cfg.uri.to_string())
            .finish_non_exhaustive()
    }
}

const MAX_NONCES: usize = 1024;

impl Relay {
    /// A relay.
    pub fn new(cfg: RelayConfig) -> Self {
        Relay {
            rng: Rng(cfg.seed | 1),
            cfg,
            nonces: VecDeque::new(),
            bindings: HashMap::new(),
            pending: HashMap::new(),
            deadlines: VecDeque::new(),
        }
    }

    fn response(&self, req: &ChunkHead, code: StatusCode) -> ChunkHead {
        let mut r = ChunkHead::response(&req.tid, code);
        let from = req.headers.get_str(name::FROM_PATH).unwrap_or("").trim();
        let to = if req.method() == Some(&Method::SEND) {
            from.split(' ').next().unwrap_or("")
        } else {
            from
        };
        let _ = r.headers.push(name::TO_PATH, to.to_owned());
        let _ = r.headers.push(name::FROM_PATH, self.cfg.uri.to_string());
        r
    }

    /// Answers an AUTH request (section 6.3): 401 with a challenge, 403 for
    /// bad credentials, 423 for an Expires out of bounds, or 200 with a new
    /// Use-Path URI, Expires and Authentication-Info.
    pub fn handle_auth(&mut self, now: Instant, req: &ChunkHead) -> ChunkHead {
        let h = &req.headers;
        let Some(Ok(to)) = h.to_path() else {
            return self.response(req, StatusCode::BAD_REQUEST);
        };
        let digest_uri = to.last().map(ToString::to_string).unwrap_or_default();
        let Some(auth) = h.get_str(name::AUTHORIZATION) else {
            let nonce = self.rng.hex(32);
            self.nonces.push_back(nonce.clone());
            if self.nonces.len() > MAX_NONCES {
                self.nonces.pop_front();
            }
            let mut r = self.response(req, StatusCode::UNAUTHORIZED);
            let _ = r.headers.push(
                name::WWW_AUTHENTICATE,
                format!(
                    "Digest realm={}, qop=\"auth\", nonce={}",
                    quote(&self.cfg.realm),
                    quote(&nonce)
                ),
            );
            return r;
        };
        let Ok(p) = parse_digest_params(auth) else {
            return self.response(req, StatusCode::BAD_REQUEST);
        };
        let (Some(user), Some(nonce), Some(nc), Some(cnonce), Some(resp)) = (
            param(&p, "username"),
            param(&p, "nonce"),
            param(&p, "nc"),
            param(&p, "cnonce"),
            param(&p, "response"),
        ) else {
            return self.response(req, StatusCode::BAD_REQUEST);
        };
        let Some(password) = self.cfg.users.get(user) else {
            return self.response(req, StatusCode::FORBIDDEN);
        };
        let input = DigestInput {
            username: user,
            realm: &self.cfg.realm,
            password,
            method: "AUTH",
            uri: &digest_uri,
            nonce,
            nc,
            cnonce,
        };
        let known_nonce = self.nonces.iter().any(|n| n == nonce);
        if !known_nonce || param(&p, "qop") != Some("auth") || input.response() != resp {
            return self.response(req, StatusCode::FORBIDDEN);
        }
        let rspauth = input.rspauth();
        let (nc, cnonce) = (nc.to_owned(), cnonce.to_owned());
        let expires = match h.typed::<Expires>() {
            None => self.cfg.default_expires,
            Some(Err(_)) => return self.response(req, StatusCode::BAD_REQUEST),
            Some(Ok(Expires(e))) if e < self.cfg.min_expires => {
                let mut r = self.response(req, StatusCode::INTERVAL_OUT_OF_BOUNDS);
                let _ = r
                    .headers
                    .push(name::MIN_EXPIRES, self.cfg.min_expires.to_string());
                return r;
            }
            Some(Ok(Expires(e))) if e > self.cfg.max_expires => {
                let mut r = self.response(req, StatusCode::INTERVAL_OUT_OF_BOUNDS);
                let _ = r
                    .headers
                    .push(name::MAX_EXPIRES, self.cfg.max_expires.to_string());
                return r;
            }
            Some(Ok(Expires(e))) => e,
        };
        self.nonces.retain(|n| n != nonce);
        let sid = self.rng.hex(16);
        let u = &self.cfg.uri;
        let use_path = MsrpUri::new(u.is_secure(), u.host(), u.port(), Some(&sid), u.transport());
        let Ok(use_path) = use_path else {
            return self.response(req, StatusCode::BAD_REQUEST);
        };
        self.bindings.insert(
            sid,
            Binding {
                expires_at: now + Duration::from_secs(u64::from(expires)),
            },
        );
        let next = self.rng.hex(32);
        self.nonces.push_back(next.clone());
        let mut r = self.response(req, StatusCode::OK);
        let _ = r.headers.push(name::USE_PATH, use_path.to_string());
        let _ = r.headers.push(
            name::AUTHENTICATION_INFO,
            format!(
                "nextnonce={}, rspauth={}, cnonce={}, nc={nc}, qop=auth",
                quote(&next),
                quote(&rspauth),
                quote(&cnonce)
            ),
        );
        r.headers.set_typed(&Expires(expires));
        r
    }

    /// Whether `uri` is this relay's own URI or one it handed out and that
    /// has not expired.
    pub fn owns(&self, uri: &MsrpUri, now: Instant) -> bool {
        let base = &self.cfg.uri;
        let same_authority = uri.host().eq_ignore_ascii_case(base.host())
            && uri.port() == base.port()
            && uri.is_secure() == base.is_secure()
            && uri.transport().eq_ignore_ascii_case(base.transport());
        same_authority
            && match uri.session_id() {
                None => base.session_id().is_none(),
                Some(s) => {
                    self.bindings.get(s).is_some_and(|b| b.expires_at > now)
                        || base.session_id() == Some(s)
                }
            }
    }

    /// Forwards a request (section 6.4): checks that the first To-Path URI
    /// is ours, moves it to the front of From-Path, gives the request a new
    /// transaction id and, for a SEND with Failure-Report `yes`, answers the
    /// previous hop with 200 and times the next hop for 30 s.
    pub fn forward_request(&mut self, now: Instant, req: &ChunkHead) -> Forward {
        let h = &req.headers;
        let is_send = req.method() == Some(&Method::SEND);
        let failure = match h.typed::<FailureReport>() {
            Some(Ok(FailureReport(m))) => m,
            _ => ReportMode::Yes,
        };
        let wants_response = !is_send || failure == ReportMode::Yes;
        let refuse = |this: &mut Relay, code: StatusCode| {
            let response = (wants_response || (is_send && failure == ReportMode::Partial))
                .then(|| this.response(req, code));
            Forward::Refuse {
                response,
                report: None,
            }
        };
        let (Some(Ok(to)), Some(Ok(from))) = (h.to_path(), h.from_path()) else {
            return refuse(self, StatusCode::BAD_REQUEST);
        };
        let Some((first, rest)) = to.split_first() else {
            return refuse(self, StatusCode::BAD_REQUEST);
        };
        if !self.owns(first, now) || rest.is_empty() {
            return refuse(self, StatusCode::NO_SUCH_SESSION);
        }
        let mut head = req.clone();
        head.tid = Bytes::from(self.rng.hex(12).into_bytes());
        let mut new_from = vec![first.clone()];
        new_from.extend(from);
        let _ = head.headers.set(name::TO_PATH, write_path(rest));
        let _ = head.headers.set(name::FROM_PATH, write_path(&new_from));
        let response =
            (is_send && failure == ReportMode::Yes).then(|| self.response(req, StatusCode::OK));
        if is_send && failure != ReportMode::No {
            let deadline = now + crate::session::TRANSACTION_TIMEOUT;
            self.pending.insert(
                head.tid.clone(),
                Forwarded {
                    original: req.clone(),
                },
            );
            self.deadlines.push_back((deadline, head.tid.clone()));
        }
        Forward::Next { head, response }
    }

    /// A failure REPORT for a SEND, sent back along its From-Path
    /// (section 6.4.1).
    pub fn failure_report(&mut self, send: &ChunkHead, code: StatusCode) -> ChunkHead {
        let mut r = ChunkHead {
            tid: Bytes::from(self.rng.hex(12).into_bytes()),
            start: StartLine::Request(Method::REPORT),
            headers: crate::Headers::new(),
            has_body: false,
        };
        let from = send
            .headers
            .get_str(name::FROM_PATH)
            .unwrap_or("")
            .trim()
            .to_owned();
        let _ = r.headers.push(name::TO_PATH, from);
        let _ = r.headers.push(name::FROM_PATH, self.cfg.uri.to_string());
        if let Some(m) = send.headers.message_id() {
            let _ = r.headers.push(name::MESSAGE_ID, m.to_owned());
        }
        if let Some(Ok(br)) = send.headers.typed::<ByteRange>() {
            r.headers.set_typed(&br);
        }
        r.headers.set_typed(&Status {
            namespace: 0,
            code,
            comment: code.reason().map(str::to_owned),
        });
        r
    }

    /// Handles a response from the next hop (section 6.4.3). Returns a
    /// failure REPORT for the original sender when a forwarded SEND failed,
    /// or the response rewritten for the previous hop when it has more
    /// To-Path URIs (responses to AUTH and other non-SEND requests).
    pub fn handle_response(&mut self, now: Instant, resp: &ChunkHead) -> Option<ChunkHead> {
        let code = resp.status()?;
        if let Some(f) = self.pending.remove(&resp.tid) {
            if code.is_success() {
                return None;
            }
            return Some(self.failure_report(&f.original, code));
        }
        let to = resp.headers.to_path()?.ok()?;
        let from = resp.headers.from_path()?.ok()?;
        let (first, rest) = to.split_first()?;
        if !self.owns(first, now) || rest.is_empty() {
            return None;
        }
        let mut out = resp.clone();
        let mut new_from = vec![first.clone()];
        new_from.extend(from);
        let _ = out.headers.set(name::TO_PATH, write_path(rest));
        let _ = out.headers.set(name::FROM_PATH, write_path(&new_from));
        Some(out)
    }

    /// The next transaction deadline.
    pub fn poll_timeout(&mut self) -> Option<Instant> {
        while let Some((_, t)) = self.deadlines.front() {
            if self.pending.contains_key(t) {
                break;
            }
            self.deadlines.pop_front();
        }
        self.deadlines.front().map(|(d, _)| *d)
    }

    /// Expires forwarded SENDs without a response: 408 failure REPORTs for
    /// their senders.
    pub fn handle_timeout(&mut self, now: Instant) -> Vec<ChunkHead> {
        let mut out = Vec::new();
        while let Some(&(d, _)) = self.deadlines.front() {
            if d > now {
                break;
            }
            let Some((_, tid)) = self.deadlines.pop_front() else {
                break;
            };
            if let Some(f) = self.pending.remove(&tid) {
                out.push(self.failure_report(&f.original, StatusCode::TIMEOUT));
            }
        }
        self.bindings.retain(|_, b| b.expires_at > now);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc2617_digest_example() {
        let i = DigestInput {
            username: "Mufasa",
            realm: "testrealm@host.com",
            password: "Circle Of Life",
            method: "GET",
            uri: "/dir/index.html",
            nonce: "dcd98b7102dd2f0e8b11d0f600bfb0c093",
            nc: "00000001",
            cnonce: "0a4f113b",
        };
        assert_eq!(i.response(), "6629fae49393a05397450978507c4ef1");
    }

    #[test]
    fn digest_params() {
        let p = parse_digest_params(
            r#"Digest realm="intra.example.com", qop="auth", nonce="dcd9\"8b", nc=00000001"#,
        )
        .unwrap();
        assert_eq!(param(&p, "realm"), Some("intra.example.com"));
        assert_eq!(param(&p, "nonce"), Some("dcd9\"8b"));
        assert_eq!(param(&p, "nc"), Some("00000001"));
        assert!(parse_digest_params("Basic abc").is_err());
        assert!(parse_digest_params("Digest realm=\"x").is_err());
        assert!(parse_digest_params("Digest realm").is_err());
    }
}
