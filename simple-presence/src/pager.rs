//! Pager-mode instant messaging (RFC 3428) with `message/cpim` wrapping
//! (RFC 3862), message disposition notifications (RFC 5438) and message
//! composition indication (RFC 3994).
//!
//! - [`Pager::send_text`] wraps the text in CPIM (with `DateTime` and, when
//!   asked, `imdn.Message-ID` and `imdn.Disposition-Notification`) and
//!   returns the MESSAGE.
//! - [`Pager::handle_message`] answers an incoming MESSAGE (through
//!   `sip_core::pager::answer`: 415 for types it does not take) and files
//!   it: a text message is kept in [`Pager::received`] and, if it asked for
//!   a positive delivery notification, one is queued at once; an IMDN is
//!   kept in [`Pager::notifications`]; an isComposing indication updates
//!   [`Pager::composing_state`].
//! - [`Pager::displayed`] queues the display notification when asked for.
//! - IMDNs are themselves CPIM-wrapped `message/imdn+xml` with
//!   `Content-Disposition: notification` (RFC 5438 section 7.1.1) and carry
//!   no IMDN request.
//!
//! Time is passed in as the RFC 3339 text to write in `DateTime`: the
//! crate reads no clock.

use std::collections::{HashMap, VecDeque};

use msrp::cpim::Cpim;
use sip_core::{Bytes, Method, Request, Response, StatusCode};

use crate::doc::imdn::{Imdn, Kind, Status};
use crate::doc::iscomposing::{self, ComposeState, IsComposing};
use crate::sip::{aor, content_type, from_uri, header_str, NewRequest};

/// The CPIM media type.
pub const CPIM: &str = "message/cpim";
/// Most bytes of a MESSAGE body taken.
pub const MAX_BODY: usize = 64 * 1024;

/// A message received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    /// The sender (CPIM From, else SIP From).
    pub from: String,
    /// The IMDN Message-ID, if any.
    pub message_id: Option<String>,
    /// The content's type.
    pub content_type: String,
    /// The content.
    pub body: Bytes,
    /// The dispositions the sender asked for.
    pub wants: Vec<String>,
    /// CPIM DateTime, as written.
    pub date_time: Option<String>,
}

/// One user's pager-mode endpoint. See the [module docs](self).
#[derive(Debug)]
pub struct Pager {
    me: String,
    counter: u64,
    received: Vec<Received>,
    notifications: Vec<Imdn>,
    composing: HashMap<String, ComposeState>,
    out: VecDeque<Request>,
}

fn strip_angle(s: &str) -> String {
    crate::sip::addr_in(s.as_bytes()).unwrap_or_else(|| s.trim().to_owned())
}

impl Pager {
    /// A pager for `me`.
    pub fn new(me: &str) -> Self {
        Pager {
            me: me.to_owned(),
            counter: 0,
            received: Vec::new(),
            notifications: Vec::new(),
            composing: HashMap::new(),
            out: VecDeque::new(),
        }
    }

    fn request(&mut self, to: &str, ct: &str, body: Bytes) -> Option<Request> {
        self.counter += 1;
        let call = format!("im{:x}.{}", self.counter, self.me);
        let tag = format!("m{:x}", self.counter);
        let ct = content_type(ct)?;
        let mut r = NewRequest {
            method: Method::MESSAGE,
            to,
            from: &self.me,
            tag: &tag,
            call_id: &call,
            contact: None,
            event: None,
            expires: None,
        }
        .build(Some((&ct, body)))?;
        r.headers_mut()
            .push(crate::sip::pai_name(), format!("<{}>", self.me));
        Some(r)
    }

    /// A text message to `to`, sent at `now` (RFC 3339), asking for the
    /// IMDNs in `want`. Returns the Message-ID and the MESSAGE.
    pub fn send_text(
        &mut self,
        now: &str,
        to: &str,
        text: &str,
        want: &[Kind],
    ) -> Option<(String, Request)> {
        let id = format!("{:x}{:x}", self.counter + 1, self.me.len());
        let mut c = Cpim::new(
            &format!("<{}>", self.me),
            &format!("<{to}>"),
            "text/plain",
            Bytes::copy_from_slice(text.as_bytes()),
        );
        c.headers.push(msrp::cpim::CpimHeader::new("DateTime", now));
        if !want.is_empty() {
            let tokens: Vec<&str> = want.iter().map(|k| k.token()).collect();
            c.request_imdn(&id, &tokens);
        }
        let r = self.request(to, CPIM, Bytes::from(c.to_bytes()))?;
        Some((id, r))
    }

    /// An isComposing indication to `to` (RFC 3994 section 3).
    pub fn composing(
        &mut self,
        to: &str,
        state: ComposeState,
        refresh: Option<u32>,
    ) -> Option<Request> {
        let mut d = IsComposing::new(state);
        if state == ComposeState::Active {
            d.set_refresh(refresh);
        }
        self.request(to, iscomposing::CONTENT_TYPE, Bytes::from(d.to_bytes()))
    }

    /// The next request (an IMDN) to send.
    pub fn poll_transmit(&mut self) -> Option<Request> {
        self.out.pop_front()
    }

    /// Messages received.
    pub fn received(&self) -> &[Received] {
        &self.received
    }

    /// Disposition notifications received.
    pub fn notifications(&self) -> &[Imdn] {
        &self.notifications
    }

    /// What `peer` last said about composing.
    pub fn composing_state(&self, peer: &str) -> Option<ComposeState> {
        self.composing.get(&aor(peer)?).copied()
    }

    fn notify(&mut self, now: &str, to: &str, message_id: &str, kind: Kind, status: Status) {
        let mut n = Imdn::new(message_id, now, kind, status);
        n.set_recipient_uri(&self.me);
        let mut c = Cpim::new(
            &format!("<{}>", self.me),
            &format!("<{to}>"),
            crate::doc::imdn::CONTENT_TYPE,
            Bytes::from(n.to_bytes()),
        );
        if let Some(m) = &mut c.mime {
            m.push(("Content-Disposition".into(), "notification".into()));
        }
        if let Some(r) = self.request(to, CPIM, Bytes::from(c.to_bytes())) {
            self.out.push_back(r);
        }
    }

    /// An incoming MESSAGE at `now` (RFC 3339): returns the response.
    pub fn handle_message(&mut self, now: &str, req: &Request) -> Response {
        let accepted: Vec<_> = [CPIM, "text/plain", iscomposing::CONTENT_TYPE]
            .iter()
            .filter_map(|t| content_type(t))
            .collect();
        let r = sip_core::pager::answer(req, &accepted, MAX_BODY);
        if r.status() != StatusCode::OK {
            return r;
        }
        let sender = from_uri(req.headers()).unwrap_or_default();
        let ct = header_str(req.headers(), &sip_core::HeaderName::CONTENT_TYPE)
            .and_then(|v| v.split(';').next())
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        match ct.as_str() {
            "application/im-iscomposing+xml" => {
                let Ok(d) = IsComposing::parse(req.body()) else {
                    return Response::from_request(req, StatusCode::BAD_REQUEST);
                };
                if let Some(a) = aor(&sender) {
                    self.composing.insert(a, d.state());
                }
            }
            "message/cpim" => {
                let Ok(c) = Cpim::parse(req.body()) else {
                    return Response::from_request(req, StatusCode::BAD_REQUEST);
                };
                let inner = c
                    .content_type()
                    .unwrap_or("text/plain")
                    .to_ascii_lowercase();
                let from = c.from().map(strip_angle).unwrap_or(sender);
                if inner.starts_with("message/imdn+xml") {
                    match Imdn::parse(&c.body) {
                        Ok(n) => self.notifications.push(n),
                        Err(_) => return Response::from_request(req, StatusCode::BAD_REQUEST),
                    }
                } else if inner.starts_with("application/im-iscomposing+xml") {
                    if let (Ok(d), Some(a)) = (IsComposing::parse(&c.body), aor(&from)) {
                        self.composing.insert(a, d.state());
                    }
                } else {
                    let wants: Vec<String> = c
                        .disposition_notification()
                        .into_iter()
                        .map(str::to_owned)
                        .collect();
                    let message_id = c.imdn_message_id().map(str::to_owned);
                    if let Some(a) = aor(&from) {
                        // A message ends the sender's composing state (RFC 3994 section 3).
                        self.composing.insert(a, ComposeState::Idle);
                    }
                    if let Some(id) = &message_id {
                        if wants.iter().any(|w| w == "positive-delivery") {
                            self.notify(now, &from, id, Kind::Delivery, Status::Delivered);
                        }
                    }
                    self.received.push(Received {
                        from,
                        message_id,
                        content_type: inner,
                        body: Bytes::copy_from_slice(&c.body),
                        wants,
                        date_time: c.date_time().map(str::to_owned),
                    });
                }
            }
            _ => self.received.push(Received {
                from: sender,
                message_id: None,
                content_type: ct,
                body: req.body().clone(),
                wants: Vec::new(),
                date_time: None,
            }),
        }
        r
    }

    /// The user has seen message `message_id`: queues the display
    /// notification if its sender asked for one. Returns whether it did.
    pub fn displayed(&mut self, now: &str, message_id: &str) -> bool {
        let Some(m) = self.received.iter().find(|m| {
            m.message_id.as_deref() == Some(message_id) && m.wants.iter().any(|w| w == "display")
        }) else {
            return false;
        };
        let to = m.from.clone();
        self.notify(now, &to, message_id, Kind::Display, Status::Displayed);
        true
    }
}
