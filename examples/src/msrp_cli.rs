//! Shared plumbing of the `msrp-chat`, `msrp-send-file` and
//! `msrp-recv-file` programs: an MSRP session negotiated by SIP, then
//! carried over TCP.
//!
//! - **SIP** ([`Call`], [`next_invite`], [`accept`], [`refuse`]): the offer
//!   rides in an INVITE and the answer in its 200 (RFC 4975 section 8, RFC
//!   3264), the caller ACKs (RFC 3261 13.2.2.4, again for every
//!   retransmitted 2xx) and either side ends the call with BYE; requests
//!   are sent through [`crate::net::Driver`], and the dialog is sip-core's
//!   [`Dialog`]. While the MSRP data flows, [`Call::run_beside`] keeps
//!   answering SIP (a BYE from the peer, a retransmitted 2xx).
//! - **Who connects** ([`Role`]): RFC 6135 4.2.2. An offer says
//!   `a=setup:actpass` and carries the offerer's listening address in
//!   `a=path`; the answerer, knowing it is reachable, answers `passive`
//!   (the RFC's SHOULD when not behind a NAT) with its own listening
//!   address, and the offerer connects. An offer of `active` (or of
//!   `passive`) is answered with the other role, and an offer without
//!   `a=setup` is the RFC 4975 model where the offerer connects. A
//!   listener run with `--active` answers `active` whenever the offer lets
//!   it, as a UA behind a NAT would. The side that connects sends the
//!   first SEND at once (RFC 4975 7.1.1), an empty one if it has nothing to
//!   say yet.
//! - **MSRP** ([`MsrpConn`]): one [`msrp::Session`] over one TCP stream,
//!   written as the session's contract says (after any input drain
//!   `poll_transmit` and `poll_event`, then read `poll_timeout`).
//! - **Files in constant memory** ([`FileSource`], [`FileSink`]): the
//!   sender reads the file in blocks and pushes them while the session
//!   holds less than a window (`2 × chunk size`, at least 128 KiB); the
//!   receiver writes each body piece at its offset as it arrives. Neither
//!   holds the file.
//!
//! Every wait for the peer is bounded by the program's `--timeout`; only a
//! listener waiting for its next call, and a chat waiting for the user's
//! next line or the peer's next message, wait without end (each message
//! sent still fails after the timeout without its response, RFC 4975
//! 7.1.1).
//!
//! Not done here: MSRP relays (RFC 4976), TLS (`msrps`), several sessions on
//! one connection, re-INVITEs (answered 488), digest authentication, SDP
//! with more than one media line, and the SHA-1 `hash:` of an RFC 5547
//! file-selector (it is shown, not checked: no SHA-1 implementation is in
//! the workspace).

use crate::args::Args;
use crate::net::{status_line, Driver};
use msrp::sdp::{MsrpDescription, Sdp, Setup};
use msrp::{Bytes, MessageSpec, MsrpUri, Session};
use sip_core::bytes::Bytes as SipBytes;
use sip_core::dialog::{Dialog, DialogId};
use sip_core::endpoint::{Event, Peer, TransactionId};
use sip_core::header::{ContentType, HeaderName};
use sip_core::transaction::Transport;
use sip_core::{Headers, Method, Request, RequestBuilder, Response, StatusCode};
use std::io::{Read, Seek, SeekFrom, Write};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// The default of every program's `--timeout` (seconds).
pub const DEFAULT_TIMEOUT: u64 = 10;

/// The default chunk size of `msrp-send-file` (bytes).
pub const DEFAULT_CHUNK: usize = 64 * 1024;

/// Largest chunk `msrp-send-file` agrees to send.
pub const MAX_CHUNK: usize = 4 * 1024 * 1024;

/// Methods the programs answer, for `Allow`.
const ALLOW: &str = "INVITE, ACK, BYE, CANCEL, OPTIONS";

/// Most bytes [`MsrpConn::flush`] reads in one call (see there).
pub const READ_BUDGET: usize = 64 * 1024;

/// How far in the future a wait "without end" is put.
const FAR: Duration = Duration::from_secs(24 * 3600);

/// `application/sdp`.
pub fn sdp_type() -> ContentType {
    crate::content_type("application", "sdp")
}

/// The local address a socket uses to reach `peer` (no packet is sent:
/// connecting a UDP socket only picks the route). Falls back to
/// 127.0.0.1.
pub fn local_ip_towards(peer: SocketAddr) -> IpAddr {
    let any: SocketAddr = if peer.is_ipv4() {
        SocketAddr::from(([0, 0, 0, 0], 0))
    } else {
        SocketAddr::from(([0u16; 8], 0))
    };
    std::net::UdpSocket::bind(any)
        .and_then(|s| {
            s.connect(peer)?;
            s.local_addr()
        })
        .map(|a| a.ip())
        .ok()
        .filter(|ip| !ip.is_unspecified())
        .unwrap_or(IpAddr::from([127, 0, 0, 1]))
}

/// `local` as `peer` can reach it: a listener bound to the unspecified
/// address (`0.0.0.0`, `[::]`) is named by the address that routes to
/// `peer`, so an SDP path or a Contact never says `0.0.0.0`.
pub fn reachable(local: SocketAddr, peer: SocketAddr) -> SocketAddr {
    if local.ip().is_unspecified() {
        SocketAddr::new(local_ip_towards(peer), local.port())
    } else {
        local
    }
}

/// A random token of `len` letters and digits (MSRP session ids, RFC 5547
/// file-transfer-ids), from `seed` and the process's randomness.
pub fn token(seed: u64, len: usize) -> String {
    use std::hash::{BuildHasher, Hasher};
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(seed);
    let mut x = h.finish() | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let i = (x % ALPHABET.len() as u64) as usize;
            char::from(ALPHABET.get(i).copied().unwrap_or(b'a'))
        })
        .collect()
}

/// Our MSRP URI: `msrp://ADDR/SESSION-ID;tcp` (RFC 4975 section 6).
pub fn msrp_uri(addr: SocketAddr, session_id: &str) -> Result<MsrpUri, String> {
    let host = match addr.ip() {
        IpAddr::V4(ip) => ip.to_string(),
        IpAddr::V6(ip) => format!("[{ip}]"),
    };
    MsrpUri::new(false, &host, Some(addr.port()), Some(session_id), "tcp")
        .map_err(|e| format!("MSRP URI for {addr}: {e}"))
}

/// The user part of a SIP URI given on the command line, or `fallback`.
pub fn user_of<'a>(uri: &'a str, fallback: &'a str) -> &'a str {
    uri.split_once(':')
        .and_then(|(_, rest)| rest.split_once('@'))
        .map_or(fallback, |(u, _)| u)
}

/// A Contact for `user` at `local`, with `;transport=tcp` over TCP.
pub fn contact(user: &str, local: SocketAddr, transport: Transport) -> String {
    if transport == Transport::Udp {
        format!("<sip:{user}@{local}>")
    } else {
        format!("<sip:{user}@{local};transport=tcp>")
    }
}

/// Reads the MSRP media description out of an SDP body.
pub fn read_description(body: &[u8]) -> Result<MsrpDescription, String> {
    let sdp = Sdp::parse(body).map_err(|e| format!("unreadable SDP: {e}"))?;
    if sdp.msrp_media().is_none() {
        return Err("the SDP has no MSRP media line (m=message ... TCP/MSRP)".into());
    }
    MsrpDescription::from_sdp(&sdp).map_err(|e| format!("SDP: {e}"))
}

/// The MSRP description of a message's `application/sdp` body; `missing`
/// is the error when it has none.
fn sdp_body(headers: &Headers, body: &[u8], missing: &str) -> Result<MsrpDescription, String> {
    let ct = headers.typed::<ContentType>().ok().flatten();
    if crate::is_type(ct.as_ref(), "application", "sdp") {
        read_description(body)
    } else {
        Err(missing.into())
    }
}

// ------------------------------------------------------------------ roles

/// Which side opens the MSRP connection (RFC 6135).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// We connect to the peer's path and send the first SEND.
    Active,
    /// We accept the peer's connection.
    Passive,
}

impl Role {
    /// The offerer's role once the answer is in (we offered `actpass`): the
    /// answerer chose `active`, or we connect (`passive`, and no `a=setup`
    /// at all, the RFC 4975 model; `holdconn` is ignored as RFC 6135 4.2.1
    /// says).
    pub fn of_offerer(answer: Option<Setup>) -> Role {
        match answer {
            Some(Setup::Active) => Role::Passive,
            _ => Role::Active,
        }
    }

    /// The answerer's role for an offer: active only when the offer says
    /// `passive`; otherwise we listen (RFC 6135 4.2.2: an answerer that
    /// is not behind a NAT SHOULD answer `actpass` with `passive`).
    pub fn of_answerer(offer: Option<Setup>) -> Role {
        match offer {
            Some(Setup::Passive) => Role::Active,
            _ => Role::Passive,
        }
    }

    /// The answerer's role when it would rather connect (`--active`, as a
    /// UA behind a NAT does): active whenever the offer lets it
    /// (`actpass` or `passive`, RFC 6135 4.2.2); an offer of `active`, or
    /// without `a=setup` (the offerer connects, RFC 4975), still makes it
    /// passive.
    pub fn of_answerer_active(offer: Option<Setup>) -> Role {
        match offer {
            Some(Setup::ActPass | Setup::Passive) => Role::Active,
            _ => Role::Passive,
        }
    }

    /// The `a=setup` value of an answer taking this role.
    pub fn setup(self) -> Setup {
        match self {
            Role::Active => Setup::Active,
            Role::Passive => Setup::Passive,
        }
    }
}

/// Opens the MSRP connection: as [`Role::Active`], connects to the first
/// URI of the peer's path; as [`Role::Passive`], accepts one connection on
/// `listener`. Either within `timeout`.
pub async fn open_connection(
    role: Role,
    listener: &TcpListener,
    peer_path: &[MsrpUri],
    timeout: Duration,
) -> Result<TcpStream, String> {
    let stream = match role {
        Role::Active => {
            let first = peer_path.first().ok_or("the peer's a=path is empty")?;
            let host = first.host().trim_start_matches('[').trim_end_matches(']');
            let port = first
                .port()
                .ok_or_else(|| format!("the peer's MSRP URI {first} has no port"))?;
            let target = if host.contains(':') {
                format!("[{host}]:{port}")
            } else {
                format!("{host}:{port}")
            };
            tokio::time::timeout(timeout, TcpStream::connect(&target))
                .await
                .map_err(|_| format!("MSRP connect to {target}: no answer in time"))?
                .map_err(|e| format!("MSRP connect to {target}: {e}"))?
        }
        Role::Passive => {
            tokio::time::timeout(timeout, listener.accept())
                .await
                .map_err(|_| "the peer did not open the MSRP connection in time".to_owned())?
                .map_err(|e| format!("MSRP accept: {e}"))?
                .0
        }
    };
    let _ = stream.set_nodelay(true);
    Ok(stream)
}

// -------------------------------------------------------------------- SIP

/// Builds a response to `request` (with a To tag unless it is 100) and
/// sends it; `warning` goes into a `Warning: 399` header (RFC 3261
/// 20.43) so the caller sees why.
pub async fn respond(
    drv: &mut Driver,
    transaction: TransactionId,
    request: &Request,
    status: StatusCode,
    warning: Option<&str>,
) {
    let mut r = Response::from_request(request, status);
    if status.as_u16() > 100 {
        let tag = drv.ep.new_tag();
        r.set_to_tag(&tag);
    }
    if status == StatusCode::METHOD_NOT_ALLOWED || request.method() == &Method::OPTIONS {
        r.headers_mut().push(HeaderName::ALLOW, ALLOW);
    }
    if let Some(w) = warning {
        let text = w.replace(['"', '\\', '\r', '\n'], " ");
        let agent = drv.local_addr().to_string();
        r.headers_mut()
            .push(HeaderName::WARNING, format!("399 {agent} \"{text}\""));
    }
    let _ = drv.ep.send_response(Instant::now(), transaction, &r);
    drv.flush().await;
}

/// A response's status line and, when it has one, its Warning text.
pub fn refusal(r: &Response) -> String {
    let mut s = status_line(r);
    if let Some(w) = r.headers().get(&HeaderName::WARNING) {
        let w = String::from_utf8_lossy(w);
        let text = w
            .split_once('"')
            .map_or(&*w, |(_, t)| t.trim_end_matches('"'));
        s.push_str(&format!(" ({text})"));
    }
    s
}

/// The answer to a request outside any call we hold: OPTIONS 200, INVITE
/// 486 when `busy` (else the caller handles it), ACK nothing, anything
/// else 481 (or 405 for methods we never take).
async fn answer_outside(
    drv: &mut Driver,
    transaction: TransactionId,
    request: &Request,
    busy: bool,
) {
    let m = request.method();
    let status = if *m == Method::OPTIONS {
        StatusCode::OK
    } else if *m == Method::INVITE && busy {
        StatusCode::BUSY_HERE
    } else if *m == Method::BYE || *m == Method::INVITE {
        StatusCode::CALL_TRANSACTION_DOES_NOT_EXIST
    } else {
        StatusCode::METHOD_NOT_ALLOWED
    };
    respond(drv, transaction, request, status, None).await;
}

/// An INVITE that arrived, with the offer read from it.
#[derive(Debug)]
pub struct Incoming {
    /// Its server transaction.
    pub transaction: TransactionId,
    /// The INVITE.
    pub request: Request,
    /// Who sent it (and where in-dialog requests go back).
    pub peer: Peer,
    /// The MSRP offer, or why it cannot be read.
    pub offer: Result<MsrpDescription, String>,
}

impl Incoming {
    /// The From URI, for printing.
    pub fn from(&self) -> String {
        self.request
            .headers()
            .get(&HeaderName::FROM)
            .map(|v| String::from_utf8_lossy(v).into_owned())
            .unwrap_or_default()
    }
}

/// Waits (without end: this is a listener) for the next INVITE that starts
/// a call, answering OPTIONS and anything out of place meanwhile.
pub async fn next_invite(drv: &mut Driver) -> Incoming {
    loop {
        let Some(ev) = drv.next_event(Instant::now() + FAR).await else {
            continue;
        };
        let Event::Request {
            transaction,
            request,
            peer,
        } = ev
        else {
            continue;
        };
        let to_tag = DialogId::of_incoming(&request).is_some();
        if *request.method() == Method::INVITE && !to_tag {
            let offer = sdp_body(
                request.headers(),
                request.body(),
                "the INVITE carries no application/sdp offer",
            );
            return Incoming {
                transaction,
                request,
                peer,
                offer,
            };
        }
        answer_outside(drv, transaction, &request, false).await;
    }
}

/// Refuses an INVITE: `status` (e.g. 488 Not Acceptable Here, RFC 3261
/// 21.4.26, the answer to an offer we cannot take) with `why` as Warning.
pub async fn refuse(drv: &mut Driver, inc: &Incoming, status: StatusCode, why: &str) {
    respond(drv, inc.transaction, &inc.request, status, Some(why)).await;
}

/// Accepts an INVITE: 200 with our SDP answer and a Contact; the dialog
/// starts (the endpoint retransmits the 200 over UDP until the ACK).
pub async fn accept(
    drv: &mut Driver,
    inc: &Incoming,
    answer: &Sdp,
    user: &str,
    timeout: Duration,
) -> Result<Call, String> {
    let mut ok = Response::from_request(&inc.request, StatusCode::OK);
    let tag = drv.ep.new_tag();
    ok.set_to_tag(&tag);
    ok.headers_mut().push(
        HeaderName::CONTACT,
        contact(
            user,
            reachable(drv.local_addr(), inc.peer.addr),
            inc.peer.transport,
        ),
    );
    ok.headers_mut().push(HeaderName::ALLOW, ALLOW);
    ok.headers_mut()
        .push(HeaderName::CONTENT_TYPE, "application/sdp");
    ok.set_body(answer.to_bytes());
    let dialog = Dialog::uas(&inc.request, &ok).map_err(|e| format!("the INVITE: {e}"))?;
    drv.ep
        .send_response(Instant::now(), inc.transaction, &ok)
        .map_err(|e| format!("answering the INVITE: {e}"))?;
    drv.flush().await;
    Ok(Call {
        dialog,
        peer: inc.peer,
        invite_tx: inc.transaction,
        ack: None,
        acked: false,
        ended: false,
        timeout,
    })
}

/// After a CANCEL, waits a little (at most 2 s, within `timeout`) for the
/// INVITE's final response: a 487 is ACKed by the INVITE transaction
/// itself (RFC 3261 17.1.1.3); a 2xx that crossed the CANCEL is ACKed and
/// the call it made ended at once with BYE (RFC 3261 9.1 leaves that to
/// the UAC).
async fn settle_cancelled(
    drv: &mut Driver,
    peer: Peer,
    invite: &Request,
    id: TransactionId,
    timeout: Duration,
) {
    let deadline = Instant::now() + timeout.min(Duration::from_secs(2));
    loop {
        match drv.next_event(deadline).await {
            None => return,
            Some(Event::Response {
                transaction,
                response,
            }) if transaction == id && !response.status().is_provisional() => {
                if !response.status().is_success() {
                    return;
                }
                let Ok(dialog) = Dialog::uac(invite, &response) else {
                    return;
                };
                let Ok(ack) = dialog.ack(1) else { return };
                let ack = drv.ep.send_ack(Instant::now(), ack, peer).ok();
                drv.flush().await;
                let mut call = Call {
                    dialog,
                    peer,
                    invite_tx: id,
                    ack,
                    acked: true,
                    ended: false,
                    timeout,
                };
                let _ = call.hang_up(drv).await;
                return;
            }
            Some(Event::Failed { transaction, .. }) if transaction == id => return,
            Some(_) => {}
        }
    }
}

/// One call (an INVITE dialog), on either side.
#[derive(Debug)]
pub struct Call {
    dialog: Dialog,
    /// Where in-dialog requests go: `--server` for the caller, the
    /// INVITE's source for the callee.
    peer: Peer,
    invite_tx: TransactionId,
    /// The caller's ACK, re-sent for every retransmitted 2xx.
    ack: Option<SipBytes>,
    acked: bool,
    ended: bool,
    timeout: Duration,
}

/// What [`Call::run_beside`] ended with.
#[derive(Debug)]
pub enum Beside<T> {
    /// The MSRP task finished with this result (the peer may have hung up
    /// meanwhile: see [`Call::ended`]).
    Done(Result<T, String>),
    /// The peer hung up (BYE) and the task did not finish within the grace
    /// period; it was stopped.
    HungUp,
}

impl Call {
    /// Sends an INVITE carrying `sdp` from `from` to `to` through `peer`
    /// and waits (within `timeout`) for the final response. On a 2xx it
    /// ACKs and returns the call and the answer's MSRP description; any
    /// other final response is an error naming it. A call still ringing
    /// when the time is up is cancelled (RFC 3261 9.1).
    pub async fn invite(
        drv: &mut Driver,
        peer: Peer,
        from: &str,
        to: &str,
        sdp: &Sdp,
        timeout: Duration,
    ) -> Result<(Call, MsrpDescription), String> {
        let target = crate::net::uri_arg("to", to)?;
        let tag = drv.ep.new_tag();
        let call_id = drv.ep.new_call_id();
        let user = user_of(from, "msrp");
        let invite = RequestBuilder::new(Method::INVITE, target)
            .header(HeaderName::MAX_FORWARDS, "70")
            .header(HeaderName::FROM, format!("<{from}>;tag={tag}"))
            .header(HeaderName::TO, format!("<{to}>"))
            .header(HeaderName::CALL_ID, call_id)
            .header(HeaderName::CSEQ, "1 INVITE")
            .header(
                HeaderName::CONTACT,
                contact(user, drv.local_addr(), peer.transport),
            )
            .header(HeaderName::ALLOW, ALLOW)
            .body(&sdp_type(), sdp.to_bytes())
            .build();
        let id = drv
            .ep
            .send_request(Instant::now(), invite.clone(), peer)
            .map_err(|e| format!("sending the INVITE: {e}"))?;
        let deadline = Instant::now() + timeout;
        let mut ringing = false;
        let response = loop {
            match drv.next_event(deadline).await {
                None if ringing => {
                    let _ = drv.ep.cancel(Instant::now(), id);
                    drv.flush().await;
                    settle_cancelled(drv, peer, &invite, id, timeout).await;
                    return Err(format!(
                        "INVITE {to}: no final answer within {}s (cancelled)",
                        timeout.as_secs()
                    ));
                }
                None => {
                    return Err(format!(
                        "INVITE {to}: no answer from {} within {}s",
                        peer.addr,
                        timeout.as_secs()
                    ))
                }
                Some(Event::Response {
                    transaction,
                    response,
                }) if transaction == id => {
                    if response.status().is_provisional() {
                        ringing = true;
                        continue;
                    }
                    break response;
                }
                Some(Event::Failed {
                    transaction,
                    failure,
                }) if transaction == id => {
                    return Err(format!("INVITE to {} failed: {failure:?}", peer.addr))
                }
                Some(Event::Request {
                    transaction,
                    request,
                    ..
                }) => answer_outside(drv, transaction, &request, true).await,
                Some(_) => {}
            }
        };
        crate::say!("INVITE {to} -> {}", status_line(&response));
        if !response.status().is_success() {
            return Err(format!("INVITE refused: {}", refusal(&response)));
        }
        let dialog = Dialog::uac(&invite, &response).map_err(|e| format!("the 200: {e}"))?;
        let ack = dialog
            .ack(1)
            .map_err(|e| format!("building the ACK: {e}"))?;
        let ack = drv
            .ep
            .send_ack(Instant::now(), ack, peer)
            .map_err(|e| format!("sending the ACK: {e}"))?;
        drv.flush().await;
        let mut call = Call {
            dialog,
            peer,
            invite_tx: id,
            ack: Some(ack),
            acked: true,
            ended: false,
            timeout,
        };
        let answer = sdp_body(
            response.headers(),
            response.body(),
            "the 200 carries no application/sdp answer",
        );
        match answer {
            Ok(a) => Ok((call, a)),
            Err(e) => {
                let _ = call.hang_up(drv).await;
                Err(e)
            }
        }
    }

    /// Whether the peer ended the call (BYE).
    pub fn ended(&self) -> bool {
        self.ended
    }

    /// Whether the callee has seen the caller's ACK (always true for the
    /// caller).
    pub fn acked(&self) -> bool {
        self.acked
    }

    /// Handles one SIP event that arrived during the call: re-sends the
    /// ACK for a retransmitted 2xx, notes the ACK, answers BYE (the call
    /// ends), refuses re-INVITEs (488) and new INVITEs (486), answers
    /// OPTIONS.
    pub async fn on_event(&mut self, drv: &mut Driver, ev: Event) {
        match ev {
            Event::Response {
                transaction,
                response,
            } if transaction == self.invite_tx && response.status().is_success() => {
                self.re_ack(drv).await;
            }
            Event::StrayResponse { response, .. }
                if response.status().is_success()
                    && DialogId::of_response(&response).as_ref() == Some(self.dialog.id()) =>
            {
                self.re_ack(drv).await;
            }
            Event::Ack { request, .. }
                if DialogId::of_incoming(&request).as_ref() == Some(self.dialog.id()) =>
            {
                self.acked = true;
            }
            Event::Request {
                transaction,
                request,
                ..
            } => self.on_request(drv, transaction, request).await,
            _ => {}
        }
    }

    async fn re_ack(&mut self, drv: &mut Driver) {
        if let Some(a) = &self.ack {
            drv.ep.send_raw(self.peer, a.clone());
            drv.flush().await;
        }
    }

    async fn on_request(&mut self, drv: &mut Driver, transaction: TransactionId, request: Request) {
        if DialogId::of_incoming(&request).as_ref() != Some(self.dialog.id()) {
            answer_outside(drv, transaction, &request, true).await;
            return;
        }
        let status = match self.dialog.handle_request(&request) {
            Err(e) => StatusCode::from(&e),
            Ok(()) => match request.method() {
                m if *m == Method::BYE => {
                    self.ended = true;
                    self.dialog.terminate();
                    crate::say!("BYE from the peer -> 200 OK");
                    StatusCode::OK
                }
                m if *m == Method::INVITE => StatusCode::NOT_ACCEPTABLE_HERE,
                m if *m == Method::OPTIONS => StatusCode::OK,
                _ => StatusCode::METHOD_NOT_ALLOWED,
            },
        };
        let warning =
            (status == StatusCode::NOT_ACCEPTABLE_HERE).then_some("re-INVITE not supported");
        respond(drv, transaction, &request, status, warning).await;
    }

    /// Ends the call with BYE (unless the peer already did) and waits
    /// (within the timeout) for its final response.
    pub async fn hang_up(&mut self, drv: &mut Driver) -> Result<(), String> {
        if self.ended {
            return Ok(());
        }
        self.ended = true;
        let bye = self
            .dialog
            .request(Method::BYE)
            .map_err(|e| format!("building the BYE: {e}"))?;
        let deadline = Instant::now() + self.timeout;
        let id = drv
            .ep
            .send_request(Instant::now(), bye, self.peer)
            .map_err(|e| format!("sending the BYE: {e}"))?;
        loop {
            match drv.next_event(deadline).await {
                None => return Err("no answer to the BYE in time".into()),
                Some(Event::Response {
                    transaction,
                    response,
                }) if transaction == id => {
                    if response.status().is_provisional() {
                        continue;
                    }
                    crate::say!("BYE -> {}", status_line(&response));
                    self.dialog.terminate();
                    return if response.status().is_success()
                        || response.status() == StatusCode::CALL_TRANSACTION_DOES_NOT_EXIST
                    {
                        Ok(())
                    } else {
                        Err(format!("BYE refused: {}", refusal(&response)))
                    };
                }
                Some(Event::Failed {
                    transaction,
                    failure,
                }) if transaction == id => return Err(format!("BYE failed: {failure:?}")),
                Some(ev) => self.on_event(drv, ev).await,
            }
        }
    }

    /// Serves SIP while `task` (the MSRP side) runs, and returns its
    /// result. When the peer hangs up, the task gets `grace` to finish
    /// (e.g. to see the connection close) before it is stopped.
    ///
    /// The pending [`Driver::next_event`] is dropped when the task ends.
    /// That is safe while it waits; were it dropped in the middle of a
    /// write (only when a message needs a new TCP connection), that one
    /// message would be lost and its transaction would time out.
    pub async fn run_beside<T: Send + 'static>(
        &mut self,
        drv: &mut Driver,
        mut task: JoinHandle<Result<T, String>>,
        grace: Duration,
    ) -> Beside<T> {
        let joined = |r: Result<Result<T, String>, tokio::task::JoinError>| match r {
            Ok(r) => r,
            Err(e) => Err(format!("the MSRP task stopped: {e}")),
        };
        loop {
            if self.ended {
                return match tokio::time::timeout(grace, &mut task).await {
                    Ok(r) => Beside::Done(joined(r)),
                    Err(_) => {
                        task.abort();
                        Beside::HungUp
                    }
                };
            }
            tokio::select! {
                r = &mut task => return Beside::Done(joined(r)),
                ev = drv.next_event(Instant::now() + FAR) => {
                    if let Some(ev) = ev {
                        self.on_event(drv, ev).await;
                    }
                }
            }
        }
    }

    /// Waits up to `wait` for the peer to hang up (serving SIP meanwhile);
    /// returns whether it did.
    pub async fn await_bye(&mut self, drv: &mut Driver, wait: Duration) -> bool {
        let deadline = Instant::now() + wait;
        while !self.ended {
            match drv.next_event(deadline).await {
                Some(ev) => self.on_event(drv, ev).await,
                None => break,
            }
        }
        self.ended
    }
}

/// A listening program's `--listen` (SIP) and `--msrp-listen` addresses
/// (the latter by default on the SIP address's IP, any port).
pub fn listen_addrs(args: &Args) -> Result<(SocketAddr, SocketAddr), String> {
    let listen: SocketAddr = args
        .require("listen")?
        .parse()
        .map_err(|_| "--listen: an IP:PORT address is needed")?;
    let msrp_listen: SocketAddr = match args.get("msrp-listen") {
        Some(a) => a
            .parse()
            .map_err(|_| "--msrp-listen: an IP:PORT address is needed")?,
        None => SocketAddr::new(listen.ip(), 0),
    };
    Ok((listen, msrp_listen))
}

/// A listening program's loop: binds its sockets (SIP on `addrs.0`, MSRP
/// on `addrs.1`, from [`listen_addrs`]) and hands each INVITE to `call`,
/// one at a time, with the driver, the MSRP listener and its address, and
/// a seed of its own. `call` says `Ok(false)` for a refused INVITE,
/// `Ok(true)` for a call that ended well. With `once` the first call that
/// was not refused ends the loop with its outcome; otherwise failures are
/// reported on stderr under `program`'s name and it serves until killed.
pub async fn serve(
    addrs: (SocketAddr, SocketAddr),
    once: bool,
    program: &str,
    mut call: impl AsyncFnMut(
        &mut Driver,
        &Arc<TcpListener>,
        SocketAddr,
        Incoming,
        u64,
    ) -> Result<bool, String>,
) -> Result<(), String> {
    let seed = crate::seed();
    let (mut drv, listener, msrp_addr) = bind_listening(addrs, seed).await?;
    let mut n = 0u64;
    loop {
        let inc = next_invite(&mut drv).await;
        n += 1;
        let r = call(&mut drv, &listener, msrp_addr, inc, seed ^ n).await;
        if let Some(end) = after_call(&mut drv, r, once, program).await {
            return end;
        }
    }
}

/// A listening program's sockets: a SIP driver on `listen` (UDP and TCP),
/// and the MSRP listener on `msrp_listen` with its address. The
/// `listening:` line is printed once both are bound.
async fn bind_listening(
    (listen, msrp_listen): (SocketAddr, SocketAddr),
    seed: u64,
) -> Result<(Driver, Arc<TcpListener>, SocketAddr), String> {
    let drv = Driver::bind(listen, true, seed)
        .await
        .map_err(|e| format!("--listen {listen}: {e}"))?;
    let listener = TcpListener::bind(msrp_listen)
        .await
        .map_err(|e| format!("--msrp-listen {msrp_listen}: {e}"))?;
    let msrp_addr = listener
        .local_addr()
        .map_err(|e| format!("MSRP listen: {e}"))?;
    crate::say!(
        "listening: SIP on {} (UDP and TCP), MSRP on {msrp_addr}",
        drv.local_addr()
    );
    Ok((drv, Arc::new(listener), msrp_addr))
}

/// What a listening program does after one call's outcome (`Ok(false)`: a
/// refused INVITE; `Ok(true)`: a call that ended well). With `once`, an
/// outcome other than a refusal ends the program (after [`settle`]):
/// `Some` of how. Otherwise it keeps serving (`None`), a failure reported
/// on stderr under `program`'s name.
async fn after_call(
    drv: &mut Driver,
    outcome: Result<bool, String>,
    once: bool,
    program: &str,
) -> Option<Result<(), String>> {
    match outcome {
        Ok(false) => None,
        Ok(true) | Err(_) if once => {
            settle(drv).await;
            Some(outcome.map(|_| ()))
        }
        Ok(true) => None,
        Err(e) => {
            eprintln!("{program}: {e}");
            None
        }
    }
}

/// An incoming INVITE's offer, when it has one and `unacceptable` finds
/// nothing against it; otherwise the INVITE is refused with 488 (RFC 5547
/// section 8.3, RFC 4975 section 8.1) and `None` returned.
pub async fn take_offer(
    drv: &mut Driver,
    inc: &Incoming,
    unacceptable: impl FnOnce(&MsrpDescription) -> Option<String>,
) -> Option<MsrpDescription> {
    let why = match &inc.offer {
        Ok(o) => match unacceptable(o) {
            None => return Some(o.clone()),
            Some(why) => why,
        },
        Err(e) => e.clone(),
    };
    crate::say!("INVITE from {}: {why} -> 488", inc.from());
    refuse(drv, inc, StatusCode::NOT_ACCEPTABLE_HERE, &why).await;
    None
}

/// The answerer's side of an offer whose setup is `offer_setup`: its role
/// (`active`: it connects when the offer lets it), the MSRP address that
/// `peer` can reach (of those `msrp_addr` listens on), and our MSRP URI
/// (with the discard port 9 when we connect, RFC 6135 section 4.2.2).
pub fn answering(
    offer_setup: Option<Setup>,
    active: bool,
    msrp_addr: SocketAddr,
    peer: SocketAddr,
    seed: u64,
) -> Result<(Role, SocketAddr, MsrpUri), String> {
    let role = if active {
        Role::of_answerer_active(offer_setup)
    } else {
        Role::of_answerer(offer_setup)
    };
    let msrp_addr = reachable(msrp_addr, peer);
    let our_addr = match role {
        Role::Passive => msrp_addr,
        Role::Active => SocketAddr::new(msrp_addr.ip(), 9),
    };
    let uri = msrp_uri(our_addr, &token(seed, 12))?;
    Ok((role, msrp_addr, uri))
}

/// A calling program's sockets: a SIP driver (UDP, or TCP with `tcp`) on
/// the local address that reaches `server`, and an MSRP listener beside it
/// (an actpass offer carries a real listening address, RFC 6135 section
/// 4.2.2) with its address and our MSRP URI.
pub async fn bind_calling(
    server: SocketAddr,
    tcp: bool,
    seed: u64,
) -> Result<(Driver, TcpListener, SocketAddr, MsrpUri), String> {
    let local_ip = local_ip_towards(server);
    let drv = Driver::bind(SocketAddr::new(local_ip, 0), tcp, seed)
        .await
        .map_err(|e| format!("binding a local socket: {e}"))?;
    let listener = TcpListener::bind(SocketAddr::new(local_ip, 0))
        .await
        .map_err(|e| format!("MSRP listen: {e}"))?;
    let listen = listener
        .local_addr()
        .map_err(|e| format!("MSRP listen: {e}"))?;
    let uri = msrp_uri(listen, &token(seed, 12))?;
    Ok((drv, listener, listen, uri))
}

/// Lets the connection tasks write out what [`Driver::flush`] handed them
/// before the program exits: over TCP a flush only queues the bytes for
/// the connection's writer task (e.g. the 200 to a BYE, which the peer
/// otherwise never sees).
pub async fn settle(drv: &mut Driver) {
    drv.flush().await;
    tokio::time::sleep(Duration::from_millis(100)).await;
}

// ------------------------------------------------------------------- MSRP

/// What [`MsrpConn::wait`] woke up for.
#[derive(Debug, PartialEq, Eq)]
pub enum Wake {
    /// Bytes arrived and were fed to the session.
    Input,
    /// The peer closed the connection.
    Closed,
    /// A line of the user's input (`None`: the input ended).
    Line(Option<String>),
    /// The session's timer ran (a transaction may have timed out).
    Timer,
}

/// One [`Session`] over one TCP connection.
#[derive(Debug)]
pub struct MsrpConn {
    /// The session: send with it, then [`MsrpConn::flush`]; read its
    /// events after each [`MsrpConn::wait`].
    pub session: Session,
    stream: TcpStream,
    buf: Vec<u8>,
    timeout: Duration,
    closed: bool,
}

impl MsrpConn {
    /// Wraps a connected stream; `timeout` bounds every write and every
    /// wait for the peer.
    pub fn new(session: Session, stream: TcpStream, timeout: Duration) -> MsrpConn {
        MsrpConn {
            session,
            stream,
            buf: vec![0u8; 64 * 1024],
            timeout,
            closed: false,
        }
    }

    /// Writes everything the session has to send (each write within the
    /// timeout). Between writes it takes in at most [`READ_BUDGET`] bytes
    /// the peer sent meanwhile, so a peer that writes while we write cannot
    /// wedge both sides with full buffers, and what is read waits for the
    /// caller's next [`Session::poll_event`] only up to that budget (read
    /// without a bound, a fast sender would fill the event queue with its
    /// whole file). Also runs the session's timer, which drops the
    /// deadlines of answered chunks.
    pub async fn flush(&mut self) -> Result<(), String> {
        let mut budget = READ_BUDGET;
        while let Some(t) = self.session.poll_transmit(Instant::now()) {
            for seg in &t.segments {
                tokio::time::timeout(self.timeout, self.stream.write_all(seg))
                    .await
                    .map_err(|_| "MSRP write: the peer takes nothing (timeout)".to_owned())?
                    .map_err(|e| format!("MSRP write: {e}"))?;
            }
            budget = self.read_ready(budget)?;
        }
        let now = Instant::now();
        if self.session.poll_timeout().is_some_and(|t| t <= now) {
            self.session.handle_timeout(now);
        }
        Ok(())
    }

    /// Feeds the session what the socket holds now, up to `budget` bytes,
    /// without waiting; returns the budget left.
    fn read_ready(&mut self, mut budget: usize) -> Result<usize, String> {
        while !self.closed && budget > 0 {
            let want = budget.min(self.buf.len());
            match self
                .stream
                .try_read(self.buf.get_mut(..want).unwrap_or_default())
            {
                Ok(0) => self.closed = true,
                Ok(n) => {
                    budget = budget.saturating_sub(n);
                    self.feed(n);
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                Err(e) => return Err(format!("MSRP read: {e}")),
            }
        }
        Ok(budget)
    }

    fn feed(&mut self, n: usize) {
        let data = Bytes::copy_from_slice(self.buf.get(..n).unwrap_or_default());
        self.session.handle_input(Instant::now(), data);
    }

    /// Whether the peer closed the connection.
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    /// Waits for input from the peer, a line on `lines`, or the session's
    /// timer. With `idle`, gives up with an error after the timeout without
    /// any of those; without, waits as long as it takes (a chat).
    pub async fn wait(
        &mut self,
        lines: Option<&mut mpsc::UnboundedReceiver<String>>,
        idle: bool,
    ) -> Result<Wake, String> {
        let now = Instant::now();
        let give_up = now + if idle { self.timeout } else { FAR };
        let timer = self.session.poll_timeout();
        let wake = timer.map_or(give_up, |t| t.min(give_up));
        if self.closed {
            return Ok(Wake::Closed);
        }
        let mut lines = lines;
        let line = async {
            match lines.as_mut() {
                Some(rx) => rx.recv().await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            r = self.stream.readable() => {
                r.map_err(|e| format!("MSRP read: {e}"))?;
                match self.stream.try_read(&mut self.buf) {
                    Ok(0) => {
                        self.closed = true;
                        Ok(Wake::Closed)
                    }
                    Ok(n) => {
                        self.feed(n);
                        Ok(Wake::Input)
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => Ok(Wake::Input),
                    Err(e) => Err(format!("MSRP read: {e}")),
                }
            }
            l = line => Ok(Wake::Line(l)),
            () = tokio::time::sleep_until(tokio::time::Instant::from_std(wake)) => {
                if timer.is_some_and(|t| t <= Instant::now()) {
                    self.session.handle_timeout(Instant::now());
                    Ok(Wake::Timer)
                } else {
                    Err(format!("nothing from the MSRP peer within {}s", self.timeout.as_secs()))
                }
            }
        }
    }
}

/// Starts reading standard input lines on a thread of its own (tokio's
/// stdin is not among the workspace's features); the channel closes at
/// the end of input.
pub fn stdin_lines() -> mpsc::UnboundedReceiver<String> {
    let (tx, rx) = mpsc::unbounded_channel();
    std::thread::spawn(move || {
        let stdin = std::io::stdin();
        for line in std::io::BufRead::lines(stdin.lock()) {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

// ------------------------------------------------------------------ files

/// Reads a file into an outgoing message block by block, never holding
/// more than a window of it (the session's queue is the only buffer).
#[derive(Debug)]
pub struct FileSource<R: Read> {
    reader: R,
    total: u64,
    pushed: u64,
    block: usize,
    window: usize,
    closed: bool,
}

impl<R: Read> FileSource<R> {
    /// A source of `total` bytes read from `reader`, for chunks of
    /// `chunk_size` bytes.
    pub fn new(reader: R, total: u64, chunk_size: usize) -> Self {
        FileSource {
            reader,
            total,
            pushed: 0,
            block: 64 * 1024,
            window: (2 * chunk_size).max(128 * 1024),
            closed: false,
        }
    }

    /// Bytes pushed into the session so far.
    pub fn pushed(&self) -> u64 {
        self.pushed
    }

    /// Whether the whole file is in the session.
    pub fn done(&self) -> bool {
        self.pushed == self.total
    }

    /// The most bytes this source lets the session hold (window plus one
    /// block).
    pub fn max_held(&self) -> usize {
        self.window + self.block
    }

    /// Pushes blocks into message `id` of `session` while it holds less
    /// than the window. A file that ends early (it shrank while being
    /// sent) is an error.
    pub fn feed(&mut self, session: &mut Session, id: &str) -> Result<(), String> {
        if self.total == 0 && !self.closed {
            // An empty file is one bodiless chunk, closed at once.
            self.closed = true;
            return session
                .push_data(id, Bytes::new(), true)
                .map_err(|e| format!("MSRP: {e}"));
        }
        while self.pushed < self.total && session.queued(id).unwrap_or(0) < self.window {
            let want = self
                .block
                .min(usize::try_from(self.total - self.pushed).unwrap_or(self.block));
            let mut block = vec![0u8; want];
            self.reader
                .read_exact(&mut block)
                .map_err(|e| format!("reading the file at byte {}: {e}", self.pushed))?;
            self.pushed += want as u64;
            session
                .push_data(id, Bytes::from(block), self.pushed == self.total)
                .map_err(|e| format!("MSRP: {e}"))?;
        }
        Ok(())
    }
}

/// Writes an incoming message to a file piece by piece, each at its
/// offset (pieces may come out of order; none comes twice), through a
/// fixed-size buffer.
#[derive(Debug)]
pub struct FileSink<W: Write + Seek> {
    out: std::io::BufWriter<W>,
    /// Where the writer stands.
    pos: u64,
    received: u64,
}

impl<W: Write + Seek> FileSink<W> {
    /// A sink writing into `out`.
    pub fn new(out: W) -> Self {
        FileSink {
            out: std::io::BufWriter::with_capacity(64 * 1024, out),
            pos: 0,
            received: 0,
        }
    }

    /// Writes `data` at `offset`.
    pub fn write_at(&mut self, offset: u64, data: &[u8]) -> std::io::Result<()> {
        if offset != self.pos {
            self.out.seek(SeekFrom::Start(offset))?;
        }
        self.out.write_all(data)?;
        self.pos = offset + data.len() as u64;
        self.received += data.len() as u64;
        Ok(())
    }

    /// Bytes written so far.
    pub fn received(&self) -> u64 {
        self.received
    }

    /// Bytes held in the buffer, not yet written out.
    pub fn buffered(&self) -> usize {
        self.out.buffer().len()
    }

    /// Flushes and returns the writer.
    pub fn finish(self) -> std::io::Result<W> {
        self.out
            .into_inner()
            .map_err(std::io::IntoInnerError::into_error)
    }
}

/// Streams `source` as the message `spec` describes (its total is the
/// source's size and a success REPORT is asked for) and returns once a
/// success REPORT covers every byte (RFC 4975 7.1.2). Chunks go out as the
/// window allows, so the file is never held; what else the peer sends
/// (e.g. its binding SEND) is answered by the session and ignored.
pub async fn send_file<R: Read>(
    conn: &mut MsrpConn,
    source: &mut FileSource<R>,
    mut spec: MessageSpec,
) -> Result<(), String> {
    let size = source.total;
    spec.total = Some(size);
    spec.success_report = true;
    let id = conn
        .session
        .start_message(spec)
        .map_err(|e| format!("MSRP: {e}"))?;
    let mut all_sent = false;
    loop {
        source.feed(&mut conn.session, &id)?;
        conn.flush().await?;
        while let Some(ev) = conn.session.poll_event() {
            match ev {
                msrp::Event::MessageSent { message_id } if message_id == id => all_sent = true,
                msrp::Event::MessageFailed { message_id, status } if message_id == id => {
                    return Err(format!("the receiver refused the file: MSRP {status}"));
                }
                msrp::Event::Report {
                    message_id,
                    status,
                    range,
                } if message_id == id => {
                    if !status.code.is_success() {
                        return Err(format!("failure REPORT: {}", status.code));
                    }
                    if range.is_none_or(|r| r.start == 1 && r.end == Some(size)) {
                        return Ok(());
                    }
                }
                msrp::Event::StreamError(e) => {
                    return Err(format!("MSRP stream from the receiver: {e}"))
                }
                _ => {}
            }
        }
        if conn.is_closed() {
            return Err(if all_sent {
                "the receiver closed the MSRP connection without a success REPORT".into()
            } else {
                format!(
                    "the receiver closed the MSRP connection after {} bytes",
                    source.pushed()
                )
            });
        }
        if source.done() {
            conn.wait(None, true).await?;
        } else {
            // More to push: go round (flush took in what the peer sent).
            tokio::task::yield_now().await;
        }
    }
}

/// Receives the file (the first message that is not an empty binding
/// SEND, or an empty one when `expected` is 0) into `sink`, piece by piece
/// as it arrives; sends the REPORT the sender asked for (the session
/// queues it with the last chunk's response) and returns the size, checked
/// against `expected` (the offer's file-selector size) when given.
pub async fn receive_file<W: Write + Seek>(
    conn: &mut MsrpConn,
    sink: &mut FileSink<W>,
    expected: Option<u64>,
) -> Result<u64, String> {
    let mut file_id: Option<String> = None;
    let total = 'stream: loop {
        conn.flush().await?;
        while let Some(ev) = conn.session.poll_event() {
            match ev {
                msrp::Event::MessageStart {
                    message_id, total, ..
                } if file_id.is_none() && (total != Some(0) || expected == Some(0)) => {
                    if let (Some(t), Some(e)) = (total, expected) {
                        if t != e {
                            return Err(format!(
                                "the sender sends {t} bytes where its offer said {e}"
                            ));
                        }
                    }
                    file_id = Some(message_id);
                }
                msrp::Event::Data {
                    message_id,
                    offset,
                    data,
                } if file_id.as_ref() == Some(&message_id) => {
                    sink.write_at(offset, &data)
                        .map_err(|e| format!("writing the file: {e}"))?;
                }
                msrp::Event::MessageComplete { message_id, total }
                    if file_id.as_ref() == Some(&message_id) =>
                {
                    break 'stream total;
                }
                msrp::Event::MessageAborted { message_id, status }
                    if file_id.as_ref() == Some(&message_id) =>
                {
                    return Err(match status {
                        Some(s) => format!("the file was refused: MSRP {s}"),
                        None => "the sender aborted the file".into(),
                    });
                }
                msrp::Event::StreamError(e) => {
                    return Err(format!("MSRP stream from the sender: {e}"))
                }
                _ => {}
            }
        }
        if conn.is_closed() {
            return Err(format!(
                "the sender closed the MSRP connection after {} bytes",
                sink.received()
            ));
        }
        conn.wait(None, true).await?;
    };
    conn.flush().await?;
    if sink.received() != total {
        return Err(format!("{} bytes written of {total}", sink.received()));
    }
    if let Some(e) = expected.filter(|e| *e != total) {
        return Err(format!("{total} bytes received where the offer said {e}"));
    }
    Ok(total)
}

/// A file name from an RFC 5547 `name:"..."` selector that is safe to
/// create in a directory: percent-escapes decoded, only the last path
/// component kept, and nothing hidden, empty or `..`.
pub fn safe_file_name(name: Option<&str>, fallback: &str) -> String {
    let raw = name.unwrap_or("");
    let mut bytes = Vec::with_capacity(raw.len());
    let mut it = raw.bytes();
    while let Some(b) = it.next() {
        if b == b'%' {
            let hex: Vec<u8> = it.clone().take(2).collect();
            let v = std::str::from_utf8(&hex)
                .ok()
                .filter(|h| h.len() == 2)
                .and_then(|h| u8::from_str_radix(h, 16).ok());
            if let Some(v) = v {
                bytes.push(v);
                it.nth(1);
                continue;
            }
        }
        bytes.push(b);
    }
    let decoded = String::from_utf8_lossy(&bytes).into_owned();
    let last = decoded
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or("")
        .trim()
        .trim_start_matches('.')
        .chars()
        .filter(|c| !c.is_control())
        .collect::<String>();
    if last.is_empty() {
        fallback.to_owned()
    } else {
        last
    }
}

/// The chat and file offers and answers the programs make.
pub mod offer {
    use super::*;
    use msrp::sdp::{Direction, FileSelector, FileTransfer};

    /// A file offer (RFC 5547 push): `sendonly`, `actpass`, the file's
    /// name, type and size in `a=file-selector` and a fresh
    /// `a=file-transfer-id`.
    pub fn file(
        listen: SocketAddr,
        uri: MsrpUri,
        name: &str,
        media_type: &str,
        size: u64,
        transfer_id: &str,
    ) -> MsrpDescription {
        MsrpDescription {
            host: listen.ip().to_string(),
            port: listen.port(),
            path: vec![uri],
            accept_types: vec![media_type.to_owned()],
            accept_wrapped_types: Vec::new(),
            max_size: None,
            setup: Some(Setup::ActPass),
            direction: Direction::SendOnly,
            file: Some(FileTransfer {
                selector: FileSelector {
                    name: Some(name.replace(['"', '%'], "_")),
                    media_type: Some(media_type.to_owned()),
                    size: Some(size),
                    hash: None,
                },
                transfer_id: transfer_id.to_owned(),
                disposition: Some("attachment".into()),
                ..FileTransfer::default()
            }),
        }
    }

    /// Our answer to `offer`: the direction reversed, the setup of `role`,
    /// our path (port 9 when we connect, RFC 6135 4.2.2), the file
    /// attributes echoed (RFC 5547 8.3).
    pub fn answer(
        offer: &MsrpDescription,
        role: Role,
        listen: SocketAddr,
        uri: MsrpUri,
        accept_types: Vec<String>,
        max_size: Option<u64>,
    ) -> MsrpDescription {
        let port = match role {
            Role::Passive => listen.port(),
            Role::Active => 9,
        };
        let mut a = MsrpDescription::answer(
            offer,
            &listen.ip().to_string(),
            port,
            vec![uri],
            accept_types,
        );
        a.setup = Some(role.setup());
        a.max_size = max_size;
        a
    }
}

/// The type of a file from its name's extension (a few common ones), else
/// `application/octet-stream`.
pub fn guess_type(name: &str) -> &'static str {
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "txt" => "text/plain",
        "jpg" | "jpeg" => "image/jpeg",
        "png" => "image/png",
        "gif" => "image/gif",
        "pdf" => "application/pdf",
        "html" | "htm" => "text/html",
        _ => "application/octet-stream",
    }
}

/// A chat message as text: a `message/cpim` body is unwrapped (RFC 3862),
/// anything else shown as UTF-8 (lossy).
pub fn chat_text(content_type: Option<&str>, body: &[u8]) -> String {
    let is_cpim = content_type.is_some_and(|c| {
        c.split(';')
            .next()
            .is_some_and(|t| t.trim().eq_ignore_ascii_case("message/cpim"))
    });
    if is_cpim {
        if let Ok(c) = msrp::cpim::Cpim::parse(body) {
            return String::from_utf8_lossy(&c.body).into_owned();
        }
    }
    String::from_utf8_lossy(body).into_owned()
}

/// A text message for a peer that accepts `peer_types`: `text/plain` when
/// it takes it (or `*`), else wrapped in `message/cpim` from `from` to
/// `to`.
pub fn chat_message(
    peer_types: &[String],
    cpim: bool,
    from: &str,
    to: &str,
    text: &str,
) -> (MessageSpec, Bytes) {
    let plain_ok = peer_types.iter().any(|t| {
        t == "*" || t.eq_ignore_ascii_case("text/plain") || t.eq_ignore_ascii_case("text/*")
    });
    if plain_ok && !cpim {
        (
            MessageSpec::new("text/plain"),
            Bytes::copy_from_slice(text.as_bytes()),
        )
    } else {
        let c = msrp::cpim::Cpim::new(
            &format!("<{from}>"),
            &format!("<{to}>"),
            "text/plain",
            text.as_bytes().to_vec(),
        );
        (MessageSpec::new("message/cpim"), Bytes::from(c.to_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_follow_rfc_6135() {
        assert_eq!(Role::of_answerer(Some(Setup::ActPass)), Role::Passive);
        assert_eq!(Role::of_answerer(Some(Setup::Active)), Role::Passive);
        assert_eq!(Role::of_answerer(Some(Setup::Passive)), Role::Active);
        assert_eq!(Role::of_answerer(None), Role::Passive);
        assert_eq!(Role::of_offerer(Some(Setup::Active)), Role::Passive);
        assert_eq!(Role::of_offerer(Some(Setup::Passive)), Role::Active);
        assert_eq!(Role::of_offerer(None), Role::Active);
        assert_eq!(Role::Passive.setup(), Setup::Passive);
        assert_eq!(Role::of_answerer_active(Some(Setup::ActPass)), Role::Active);
        assert_eq!(Role::of_answerer_active(Some(Setup::Active)), Role::Passive);
        assert_eq!(Role::of_answerer_active(None), Role::Passive);
    }

    #[test]
    fn file_names_are_made_safe() {
        assert_eq!(safe_file_name(Some("report.pdf"), "x"), "report.pdf");
        assert_eq!(safe_file_name(Some("../../etc/passwd"), "x"), "passwd");
        assert_eq!(safe_file_name(Some("a%20b.txt"), "x"), "a b.txt");
        assert_eq!(safe_file_name(Some("..%2F..%2Fx"), "f"), "x");
        assert_eq!(safe_file_name(Some(".."), "f"), "f");
        assert_eq!(safe_file_name(Some(".hidden"), "f"), "hidden");
        assert_eq!(safe_file_name(Some("dir\\win.txt"), "f"), "win.txt");
        assert_eq!(safe_file_name(Some("bad%zz"), "f"), "bad%zz");
        assert_eq!(safe_file_name(None, "fallback"), "fallback");
    }

    #[test]
    fn offer_and_answer_round_trip_through_sdp() {
        let listen: SocketAddr = "127.0.0.1:40000".parse().unwrap();
        let uri = msrp_uri(listen, "abc123").unwrap();
        let o = offer::file(
            listen,
            uri,
            "x\"y.bin",
            "application/octet-stream",
            42,
            "t1",
        );
        let sdp = o.to_sdp("alice", 1).to_bytes();
        let back = read_description(&sdp).unwrap();
        let f = back.file.as_ref().unwrap();
        assert_eq!(f.selector.size, Some(42));
        assert_eq!(f.selector.name.as_deref(), Some("x_y.bin"));
        assert_eq!(back.setup, Some(Setup::ActPass));
        let a = offer::answer(
            &back,
            Role::Passive,
            "127.0.0.1:40001".parse().unwrap(),
            msrp_uri("127.0.0.1:40001".parse().unwrap(), "def").unwrap(),
            vec!["*".into()],
            Some(10),
        );
        let a = read_description(&a.to_sdp("bob", 2).to_bytes()).unwrap();
        assert_eq!(a.setup, Some(Setup::Passive));
        assert_eq!(a.port, 40001);
        assert_eq!(a.max_size, Some(10));
        assert_eq!(a.direction, msrp::sdp::Direction::RecvOnly);
        assert_eq!(a.file.unwrap().transfer_id, "t1");
        let active = offer::answer(
            &back,
            Role::Active,
            "127.0.0.1:40001".parse().unwrap(),
            msrp_uri("127.0.0.1:9".parse().unwrap(), "def").unwrap(),
            vec!["*".into()],
            None,
        );
        assert_eq!(active.port, 9);
        assert!(read_description(b"v=0\r\nm=audio 4000 RTP/AVP 0\r\n").is_err());
    }

    #[test]
    fn sink_writes_pieces_at_their_offsets() {
        let mut sink = FileSink::new(std::io::Cursor::new(Vec::new()));
        sink.write_at(4, b"efgh").unwrap();
        sink.write_at(0, b"abcd").unwrap();
        sink.write_at(8, b"ij").unwrap();
        assert_eq!(sink.received(), 10);
        assert_eq!(sink.finish().unwrap().into_inner(), b"abcdefghij");
    }

    #[test]
    fn source_keeps_the_session_under_its_window() {
        let me = MsrpUri::parse("msrp://127.0.0.1:1/a;tcp").unwrap();
        let peer = MsrpUri::parse("msrp://127.0.0.1:2/b;tcp").unwrap();
        let mut s = Session::new(msrp::SessionConfig::new(me, vec![peer])).unwrap();
        let data = vec![7u8; 1 << 20];
        let mut spec = MessageSpec::new("application/octet-stream");
        spec.total = Some(data.len() as u64);
        let id = s.start_message(spec).unwrap();
        let mut src = FileSource::new(&data[..], data.len() as u64, 2048);
        src.feed(&mut s, &id).unwrap();
        let held = s.queued(&id).unwrap();
        assert!(held <= src.max_held() && held >= 128 * 1024, "{held}");
        assert!(!src.done());
        while s.poll_transmit(Instant::now()).is_some() {}
        src.feed(&mut s, &id).unwrap();
        assert_eq!(src.pushed(), 256 * 1024);
        let mut short = FileSource::new(&data[..10], 20, 2048);
        let id2 = s.start_message(MessageSpec::new("text/plain")).unwrap();
        assert!(short.feed(&mut s, &id2).is_err());
    }

    #[test]
    fn chat_bodies_follow_the_peer_types() {
        let (spec, body) = chat_message(&["text/plain".into()], false, "sip:a@x", "sip:b@x", "hi");
        assert_eq!(spec.content_type, "text/plain");
        assert_eq!(&body[..], b"hi");
        let (spec, body) =
            chat_message(&["message/cpim".into()], false, "sip:a@x", "sip:b@x", "hi");
        assert_eq!(spec.content_type, "message/cpim");
        assert_eq!(chat_text(Some("message/cpim"), &body), "hi");
        assert_eq!(chat_text(Some("text/plain"), b"plain"), "plain");
    }

    #[test]
    fn refusal_shows_the_warning() {
        let mut r = Response::new(StatusCode::NOT_ACCEPTABLE_HERE);
        r.headers_mut()
            .push(HeaderName::WARNING, "399 127.0.0.1:5 \"too big\"");
        assert_eq!(refusal(&r), "488 Not Acceptable Here (too big)");
        assert_eq!(user_of("sip:alice@example.com", "x"), "alice");
        assert_eq!(user_of("sip:example.com", "x"), "x");
        assert_eq!(token(1, 12).len(), 12);
        let peer: SocketAddr = "127.0.0.1:5060".parse().unwrap();
        let any: SocketAddr = "0.0.0.0:7000".parse().unwrap();
        assert_eq!(reachable(any, peer), "127.0.0.1:7000".parse().unwrap());
        let fixed: SocketAddr = "127.0.0.2:7000".parse().unwrap();
        assert_eq!(reachable(fixed, peer), fixed);
    }
}
