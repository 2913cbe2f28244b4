//! Client transactions (RFC 3261 17.1, with the Accepted state of RFC 6026
//! 8.4): one machine for INVITE (17.1.1) and one for the other methods
//! (17.1.2). They deal in serialized requests and parsed responses; the
//! [`Endpoint`](crate::endpoint::Endpoint) routes to them.

use super::timer::{Timer, TimerConfig, Timers};
use super::{Failure, Output};
use crate::header::{CSeq, HeaderName, MaxForwards};
use crate::message::{Request, RequestBuilder, Response};
use crate::method::Method;
use bytes::Bytes;
use std::time::{Duration, Instant};

/// The state of a client transaction (RFC 3261 Figures 5 and 6, RFC 6026
/// Figure 4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum ClientState {
    /// INVITE sent, nothing heard yet.
    Calling,
    /// Non-INVITE sent, nothing heard yet.
    Trying,
    /// A provisional response came.
    Proceeding,
    /// A final response came (non-2xx for INVITE); absorbing retransmissions.
    Completed,
    /// INVITE only (RFC 6026): a 2xx came; further 2xx go to the TU.
    Accepted,
    /// Done; the owner drops the machine.
    Terminated,
}

/// A client transaction.
#[derive(Debug, Clone)]
pub struct ClientTransaction {
    invite: Option<Box<Request>>,
    reliable: bool,
    state: ClientState,
    timers: Timers,
    interval: Duration,
    request: Bytes,
    ack: Option<Bytes>,
}

impl ClientTransaction {
    /// Starts a transaction for `request` already serialized as `bytes`
    /// (with its top Via and branch). The returned output carries the first
    /// transmission. INVITE transactions keep the parsed request to build
    /// the ACK of a non-2xx final (17.1.1.3) and a CANCEL (9.1).
    pub fn start(
        request: &Request,
        bytes: Bytes,
        reliable: bool,
        now: Instant,
        config: &TimerConfig,
    ) -> (ClientTransaction, Output) {
        let is_invite = *request.method() == Method::INVITE;
        let mut timers = Timers::new();
        let (state, retrans, timeout) = if is_invite {
            (ClientState::Calling, Timer::A, Timer::B)
        } else {
            (ClientState::Trying, Timer::E, Timer::F)
        };
        if !reliable {
            timers.set(retrans, now + config.t1);
        }
        timers.set(timeout, now + config.t1_x64());
        let tx = ClientTransaction {
            invite: is_invite.then(|| Box::new(request.clone())),
            reliable,
            state,
            timers,
            interval: config.t1,
            request: bytes.clone(),
            ack: None,
        };
        (tx, Output::send(bytes))
    }

    /// The state.
    pub fn state(&self) -> ClientState {
        self.state
    }

    /// True for an INVITE transaction.
    pub fn is_invite(&self) -> bool {
        self.invite.is_some()
    }

    /// The request as sent.
    pub fn request_bytes(&self) -> &Bytes {
        &self.request
    }

    /// The INVITE, for an INVITE transaction.
    pub fn invite(&self) -> Option<&Request> {
        self.invite.as_deref()
    }

    /// When the machine must be woken next.
    pub fn next_timeout(&self) -> Option<Instant> {
        self.timers.next()
    }

    /// The deadline of one timer, when armed.
    pub fn timer(&self, timer: Timer) -> Option<Instant> {
        self.timers.deadline(timer)
    }

    fn terminate(&mut self) {
        self.state = ClientState::Terminated;
        self.timers.clear();
    }

    /// A response matched this transaction (17.1.3).
    pub fn handle_response(
        &mut self,
        now: Instant,
        response: &Response,
        config: &TimerConfig,
    ) -> Output {
        let status = response.status();
        if self.invite.is_some() {
            self.invite_response(now, response, config)
        } else {
            match self.state {
                ClientState::Trying | ClientState::Proceeding if status.is_provisional() => {
                    self.state = ClientState::Proceeding;
                    Output::deliver()
                }
                ClientState::Trying | ClientState::Proceeding => {
                    self.state = ClientState::Completed;
                    self.timers.clear();
                    if self.reliable {
                        self.terminate();
                    } else {
                        self.timers.set(Timer::K, now + config.t4);
                    }
                    Output::deliver()
                }
                _ => Output::default(),
            }
        }
    }

    fn invite_response(
        &mut self,
        now: Instant,
        response: &Response,
        config: &TimerConfig,
    ) -> Output {
        let status = response.status();
        match self.state {
            ClientState::Calling | ClientState::Proceeding if status.is_provisional() => {
                // 17.1.1.2: no more retransmissions once something is heard;
                // Timer B only guards the Calling state, so Timer C (16.7
                // step 2: restarted by each provisional) bounds Proceeding.
                self.state = ClientState::Proceeding;
                self.timers.clear();
                self.timers.set(Timer::C, now + config.timer_c);
                Output::deliver()
            }
            ClientState::Calling | ClientState::Proceeding if status.is_success() => {
                self.state = ClientState::Accepted;
                self.timers.clear();
                self.timers.set(Timer::M, now + config.t1_x64());
                Output::deliver()
            }
            ClientState::Calling | ClientState::Proceeding => {
                self.state = ClientState::Completed;
                self.timers.clear();
                let ack = self
                    .invite
                    .as_deref()
                    .map(|inv| ack_for_non_2xx(inv, response).to_bytes());
                self.ack = ack.clone();
                if self.reliable {
                    self.terminate();
                } else {
                    self.timers.set(Timer::D, now + config.timer_d);
                }
                Output {
                    transmit: ack,
                    deliver: true,
                    failure: None,
                }
            }
            // A retransmitted final: ACK again, the TU has seen it.
            ClientState::Completed if status.is_final() && !status.is_success() => Output {
                transmit: self.ack.clone(),
                deliver: false,
                failure: None,
            },
            ClientState::Accepted if status.is_success() => Output::deliver(),
            _ => Output::default(),
        }
    }

    /// Fires every timer due at `now`.
    pub fn handle_timeout(&mut self, now: Instant, config: &TimerConfig) -> Output {
        let mut out = Output::default();
        while let Some(t) = self.timers.pop_expired(now) {
            match t {
                Timer::A if self.state == ClientState::Calling => {
                    self.interval = self.interval.saturating_mul(2);
                    self.timers.set(Timer::A, now + self.interval);
                    out.transmit = Some(self.request.clone());
                }
                Timer::E if matches!(self.state, ClientState::Trying | ClientState::Proceeding) => {
                    self.interval = if self.state == ClientState::Proceeding {
                        config.t2
                    } else {
                        config.backoff_capped(self.interval)
                    };
                    self.timers.set(Timer::E, now + self.interval);
                    out.transmit = Some(self.request.clone());
                }
                Timer::B | Timer::F | Timer::C => {
                    self.terminate();
                    out.transmit = None;
                    out.failure = Some(Failure::Timeout(t));
                    return out;
                }
                Timer::D | Timer::K | Timer::M => {
                    self.terminate();
                    return out;
                }
                _ => {}
            }
        }
        out
    }

    /// Sending failed (17.1.4): the transaction ends and the TU is told,
    /// unless it had already finished its work.
    pub fn handle_transport_error(&mut self) -> Output {
        let before = self.state;
        self.terminate();
        match before {
            ClientState::Calling | ClientState::Trying | ClientState::Proceeding => Output {
                failure: Some(Failure::Transport),
                ..Output::default()
            },
            _ => Output::default(),
        }
    }
}

/// The ACK of a non-2xx final response to `invite` (RFC 3261 17.1.1.3):
/// same Request-URI, Call-ID, From, CSeq number and top Via as the INVITE,
/// To from the response, and the INVITE's Route headers.
pub fn ack_for_non_2xx(invite: &Request, response: &Response) -> Request {
    let h = invite.headers();
    let mut b = RequestBuilder::new(Method::ACK, invite.uri().clone());
    if let Some(via) = h.get(&HeaderName::VIA) {
        // Our own Via is a line of its own at the top (the endpoint prepends it).
        b = b.header(HeaderName::VIA, via.clone());
    }
    for r in h.get_all(&HeaderName::ROUTE) {
        b = b.header(HeaderName::ROUTE, r.clone());
    }
    b = b.typed(&MaxForwards(70));
    if let Some(v) = h.get(&HeaderName::FROM) {
        b = b.header(HeaderName::FROM, v.clone());
    }
    if let Some(v) = response
        .headers()
        .get(&HeaderName::TO)
        .or_else(|| h.get(&HeaderName::TO))
    {
        b = b.header(HeaderName::TO, v.clone());
    }
    if let Some(v) = h.get(&HeaderName::CALL_ID) {
        b = b.header(HeaderName::CALL_ID, v.clone());
    }
    let seq = h.typed::<CSeq>().ok().flatten().map_or(0, |c| c.seq);
    b.typed(&CSeq {
        seq,
        method: Method::ACK,
    })
    .build()
}

/// A CANCEL for `invite` (RFC 3261 9.1): same Request-URI, Call-ID, To,
/// From, CSeq number, top Via (hence branch) and Route headers.
pub fn cancel_for(invite: &Request) -> Request {
    let h = invite.headers();
    let mut b = RequestBuilder::new(Method::CANCEL, invite.uri().clone());
    if let Some(via) = h.get(&HeaderName::VIA) {
        b = b.header(HeaderName::VIA, via.clone());
    }
    for r in h.get_all(&HeaderName::ROUTE) {
        b = b.header(HeaderName::ROUTE, r.clone());
    }
    b = b.typed(&MaxForwards(70));
    for name in [HeaderName::FROM, HeaderName::TO, HeaderName::CALL_ID] {
        if let Some(v) = h.get(&name) {
            b = b.header(name, v.clone());
        }
    }
    let seq = h.typed::<CSeq>().ok().flatten().map_or(0, |c| c.seq);
    b.typed(&CSeq {
        seq,
        method: Method::CANCEL,
    })
    .build()
}
