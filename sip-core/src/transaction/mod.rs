//! SIP transactions (RFC 3261 section 17, with the fixes of RFC 6026).
//!
//! The four machines ([`ClientTransaction`] for INVITE and non-INVITE,
//! [`ServerTransaction`] likewise) hold no sockets and read no clock: each
//! input carries `now`, each step returns an [`Output`] saying what to send,
//! whether the message goes up to the transaction user (TU), and whether
//! the transaction failed. Their timers ([`Timer::A`] ... [`Timer::M`],
//! with [`Timer::C`] guarding a client INVITE in Proceeding) sit in a
//! two-slot table; [`ClientTransaction::next_timeout`] is the earliest.
//!
//! Matching (17.1.3, 17.2.3) is by [`ClientKey`] and [`ServerKey`]; requests
//! whose branch lacks the `z9hG4bK` magic cookie fall back to the RFC 2543
//! rules (Request-URI, From tag, Call-ID, CSeq number, top Via), with one
//! simplification: the To tag of an ACK is not compared.
//!
//! Not done: Timer C and the proxy's transaction rules (16), and the
//! transport-level Via checks of 18.1.2 beyond branch matching.

mod client;
mod server;
pub mod timer;

pub use client::{ack_for_non_2xx, cancel_for, ClientState, ClientTransaction};
pub use server::{ServerState, ServerTransaction};
pub use timer::{Timer, TimerConfig, Timers};

use crate::header::{CSeq, CallId, From, HeaderName, Via};
use crate::message::{Request, Response};
use crate::method::Method;
use bytes::Bytes;

/// The magic cookie that starts every RFC 3261 branch (8.1.1.7).
pub const MAGIC_COOKIE: &str = "z9hG4bK";

/// A transport protocol, as named in the Via header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Transport {
    /// UDP: unreliable, not congestion-controlled.
    Udp,
    /// TCP.
    Tcp,
    /// TLS over TCP.
    Tls,
    /// SCTP.
    Sctp,
    /// WebSocket (RFC 7118).
    Ws,
    /// Secure WebSocket (RFC 7118).
    Wss,
}

impl Transport {
    /// True when the transport delivers reliably, which switches off
    /// retransmissions and zeroes timers D, I, J, K (17.1.1.2, 17.2.2).
    pub const fn is_reliable(self) -> bool {
        !matches!(self, Transport::Udp)
    }

    /// True when the transport is congestion-controlled (RFC 3261 18.1.1,
    /// RFC 3428 6): everything but UDP.
    pub const fn is_congestion_controlled(self) -> bool {
        self.is_reliable()
    }

    /// The Via transport token.
    pub const fn as_str(self) -> &'static str {
        match self {
            Transport::Udp => "UDP",
            Transport::Tcp => "TCP",
            Transport::Tls => "TLS",
            Transport::Sctp => "SCTP",
            Transport::Ws => "WS",
            Transport::Wss => "WSS",
        }
    }
}

/// Why a transaction failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Failure {
    /// A timer ran out: B or F (no final response), H (no ACK), or L (no
    /// ACK for a retransmitted 2xx, RFC 3261 13.3.1.4).
    Timeout(Timer),
    /// The transport reported that sending failed (17.1.4, 17.2.4).
    Transport,
}

/// What a transaction asks of its owner after one input.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Output {
    /// Bytes to send to the transaction's peer.
    pub transmit: Option<Bytes>,
    /// The input message goes up to the TU.
    pub deliver: bool,
    /// The transaction failed (it is then Terminated).
    pub failure: Option<Failure>,
}

impl Output {
    fn send(bytes: Bytes) -> Output {
        Output {
            transmit: Some(bytes),
            ..Output::default()
        }
    }

    fn deliver() -> Output {
        Output {
            deliver: true,
            ..Output::default()
        }
    }
}

/// A usage error of a transaction (the TU asked for something its state
/// does not allow).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TransactionError {
    /// The transaction cannot send this response in its state (a final was
    /// already sent).
    #[error("the transaction's state does not allow this response")]
    InvalidState,
}

/// How a response finds its client transaction (RFC 3261 17.1.3): the
/// branch of the top Via and the CSeq method.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ClientKey {
    /// The branch parameter.
    pub branch: Bytes,
    /// The CSeq method.
    pub method: Method,
}

impl ClientKey {
    /// The key of a response; `None` when Via, branch or CSeq is missing.
    pub fn of_response(response: &Response) -> Option<ClientKey> {
        let via: Via = response.headers().typed().ok().flatten()?;
        let cseq: CSeq = response.headers().typed().ok().flatten()?;
        Some(ClientKey {
            branch: Bytes::copy_from_slice(via.branch()?),
            method: cseq.method,
        })
    }

    /// The key of a request we send; `None` when Via, branch or CSeq is
    /// missing.
    pub fn of_request(request: &Request) -> Option<ClientKey> {
        let via: Via = request.headers().typed().ok().flatten()?;
        Some(ClientKey {
            branch: Bytes::copy_from_slice(via.branch()?),
            method: request.method().clone(),
        })
    }
}

/// How a request finds its server transaction (RFC 3261 17.2.3). An ACK
/// takes the key of the INVITE it acknowledges.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ServerKey {
    /// RFC 3261: magic-cookie branch, sent-by of the top Via, method.
    Branch {
        /// The branch parameter.
        branch: Bytes,
        /// `host[:port]` of the top Via.
        sent_by: Bytes,
        /// The method (INVITE for an ACK).
        method: Method,
    },
    /// RFC 2543 fallback (17.2.3, last paragraphs); boxed, as it is rare
    /// and large.
    Legacy(Box<LegacyKey>),
}

/// The RFC 2543 matching fields of a request (17.2.3).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LegacyKey {
    /// The Request-URI as written.
    pub uri: Bytes,
    /// The From tag.
    pub from_tag: Bytes,
    /// The Call-ID.
    pub call_id: Bytes,
    /// The CSeq number.
    pub cseq: u32,
    /// The top Via value.
    pub via: Bytes,
    /// The method (INVITE for an ACK).
    pub method: Method,
}

impl ServerKey {
    /// The key of a received request; `None` when Via or CSeq is missing or
    /// unreadable.
    pub fn of(request: &Request) -> Option<ServerKey> {
        Self::of_as(request, request.method())
    }

    /// The key `request` would have if its method were `method` (used to
    /// find the INVITE a CANCEL names, 9.2).
    pub fn of_as(request: &Request, method: &Method) -> Option<ServerKey> {
        let h = request.headers();
        let via: Via = h.typed().ok().flatten()?;
        let method = if *method == Method::ACK {
            Method::INVITE
        } else {
            method.clone()
        };
        match via.branch() {
            Some(b) if b.starts_with(MAGIC_COOKIE.as_bytes()) => {
                let mut sent_by = Vec::with_capacity(32);
                via.host().write(&mut sent_by);
                if let Some(p) = via.port() {
                    sent_by.push(b':');
                    sent_by.extend_from_slice(p.to_string().as_bytes());
                }
                Some(ServerKey::Branch {
                    branch: Bytes::copy_from_slice(b),
                    sent_by: Bytes::from(sent_by),
                    method,
                })
            }
            _ => {
                let cseq: CSeq = h.typed().ok().flatten()?;
                let call_id: CallId = h.typed().ok().flatten()?;
                let from: From = h.typed().ok().flatten()?;
                let mut uri = Vec::with_capacity(48);
                request.uri().write(&mut uri);
                Some(ServerKey::Legacy(Box::new(LegacyKey {
                    uri: Bytes::from(uri),
                    from_tag: Bytes::copy_from_slice(from.tag().unwrap_or_default()),
                    call_id: call_id.0,
                    cseq: cseq.seq,
                    via: h.get(&HeaderName::VIA).cloned().unwrap_or_default(),
                    method,
                })))
            }
        }
    }
}

#[cfg(test)]
mod tests;
