//! Server transactions (RFC 3261 17.2, with the Accepted state of RFC 6026
//! 8.7): one machine for INVITE (17.2.1) and one for the other methods
//! (17.2.2). The TU's responses go through them as serialized bytes.

use super::timer::{Timer, TimerConfig, Timers};
use super::{Failure, Output, TransactionError};
use crate::method::StatusCode;
use bytes::Bytes;
use std::time::{Duration, Instant};

/// The state of a server transaction (RFC 3261 Figures 7 and 8, RFC 6026
/// Figure 5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum ServerState {
    /// Non-INVITE received, no response yet.
    Trying,
    /// A provisional response was sent (INVITE starts here).
    Proceeding,
    /// A final response was sent (non-2xx for INVITE).
    Completed,
    /// INVITE only: the ACK of the non-2xx final came.
    Confirmed,
    /// INVITE only (RFC 6026): a 2xx was sent; waiting out retransmissions.
    Accepted,
    /// Done; the owner drops the machine.
    Terminated,
}

/// A server transaction.
#[derive(Debug, Clone)]
pub struct ServerTransaction {
    invite: bool,
    reliable: bool,
    retransmit_2xx: bool,
    state: ServerState,
    timers: Timers,
    interval: Duration,
    last_response: Option<Bytes>,
    last_status: Option<StatusCode>,
    acked: bool,
}

impl ServerTransaction {
    /// A transaction for a request just received. INVITE transactions start
    /// in Proceeding (the owner sends 100 Trying through
    /// [`ServerTransaction::send_response`]), others in Trying.
    /// `retransmit_2xx`: also resend a 2xx to INVITE until the ACK comes
    /// (RFC 3261 13.3.1.4, the UAS core's duty, done here on its behalf).
    pub fn new(invite: bool, reliable: bool, retransmit_2xx: bool) -> ServerTransaction {
        ServerTransaction {
            invite,
            reliable,
            retransmit_2xx,
            state: if invite {
                ServerState::Proceeding
            } else {
                ServerState::Trying
            },
            timers: Timers::new(),
            interval: Duration::ZERO,
            last_response: None,
            last_status: None,
            acked: false,
        }
    }

    /// The state.
    pub fn state(&self) -> ServerState {
        self.state
    }

    /// True for an INVITE transaction.
    pub fn is_invite(&self) -> bool {
        self.invite
    }

    /// The status of the last response sent.
    pub fn last_status(&self) -> Option<StatusCode> {
        self.last_status
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
        self.state = ServerState::Terminated;
        self.timers.clear();
    }

    /// The TU sends a response (serialized as `bytes`).
    pub fn send_response(
        &mut self,
        now: Instant,
        status: StatusCode,
        bytes: Bytes,
        config: &TimerConfig,
    ) -> Result<Output, TransactionError> {
        use ServerState as S;
        let allowed = match self.state {
            S::Trying | S::Proceeding => true,
            // RFC 6026 8.7: the TU's 2xx retransmissions pass through.
            S::Accepted => status.is_success(),
            _ => false,
        };
        if !allowed {
            return Err(TransactionError::InvalidState);
        }
        self.last_response = Some(bytes.clone());
        self.last_status = Some(status);
        if status.is_provisional() {
            self.state = S::Proceeding;
        } else if self.invite && status.is_success() {
            if self.state != S::Accepted {
                self.state = S::Accepted;
                self.timers.clear();
                self.timers.set(Timer::L, now + config.t1_x64());
                if self.retransmit_2xx && !self.reliable {
                    self.interval = config.t1;
                    self.timers.set(Timer::Retransmit2xx, now + config.t1);
                }
            }
        } else if self.invite {
            self.state = S::Completed;
            self.timers.clear();
            if !self.reliable {
                self.interval = config.t1;
                self.timers.set(Timer::G, now + config.t1);
            }
            self.timers.set(Timer::H, now + config.t1_x64());
        } else {
            self.state = S::Completed;
            if self.reliable {
                self.terminate();
            } else {
                self.timers.set(Timer::J, now + config.t1_x64());
            }
        }
        Ok(Output::send(bytes))
    }

    /// The request that created the transaction came again (17.2.1, 17.2.2):
    /// resend the last response, if the state calls for it.
    pub fn handle_retransmission(&mut self) -> Output {
        match self.state {
            ServerState::Proceeding | ServerState::Completed => Output {
                transmit: self.last_response.clone(),
                ..Output::default()
            },
            _ => Output::default(),
        }
    }

    /// An ACK matched this INVITE transaction: in Completed it confirms the
    /// non-2xx final; in Accepted (RFC 6026) it goes to the TU.
    pub fn handle_ack(&mut self, now: Instant, config: &TimerConfig) -> Output {
        match self.state {
            ServerState::Completed if self.invite => {
                self.state = ServerState::Confirmed;
                self.timers.clear();
                if self.reliable {
                    self.terminate();
                } else {
                    self.timers.set(Timer::I, now + config.t4);
                }
                Output::default()
            }
            ServerState::Accepted => {
                self.acked = true;
                self.timers.stop(Timer::Retransmit2xx);
                Output::deliver()
            }
            _ => Output::default(),
        }
    }

    /// Fires every timer due at `now`.
    pub fn handle_timeout(&mut self, now: Instant, config: &TimerConfig) -> Output {
        let mut out = Output::default();
        while let Some(t) = self.timers.pop_expired(now) {
            match t {
                Timer::G if self.state == ServerState::Completed => {
                    self.interval = config.backoff_capped(self.interval);
                    self.timers.set(Timer::G, now + self.interval);
                    out.transmit = self.last_response.clone();
                }
                Timer::Retransmit2xx if self.state == ServerState::Accepted => {
                    self.interval = config.backoff_capped(self.interval);
                    self.timers.set(Timer::Retransmit2xx, now + self.interval);
                    out.transmit = self.last_response.clone();
                }
                Timer::H => {
                    self.terminate();
                    return Output {
                        failure: Some(Failure::Timeout(Timer::H)),
                        ..Output::default()
                    };
                }
                Timer::L if self.retransmit_2xx && !self.acked => {
                    // 13.3.1.4: no ACK within 64*T1 ends the session.
                    self.terminate();
                    return Output {
                        failure: Some(Failure::Timeout(Timer::L)),
                        ..Output::default()
                    };
                }
                Timer::I | Timer::J | Timer::L => {
                    self.terminate();
                    return out;
                }
                _ => {}
            }
        }
        out
    }

    /// Sending a response failed (17.2.4). RFC 6026 8.7: an Accepted
    /// transaction keeps its state (the TU may retry elsewhere).
    pub fn handle_transport_error(&mut self) -> Output {
        if self.state == ServerState::Accepted {
            return Output::default();
        }
        self.terminate();
        Output {
            failure: Some(Failure::Transport),
            ..Output::default()
        }
    }
}
