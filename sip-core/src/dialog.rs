//! Dialogs (RFC 3261 section 12): the state two user agents share after a
//! 2xx (or 1xx with a To tag) to INVITE, or after SUBSCRIBE/NOTIFY (RFC
//! 6665 4.1.2.4, 4.2.1): Call-ID and tags, local and remote CSeq, the remote
//! target and the route set. A [`Dialog`] builds in-dialog requests
//! (12.2.1.1) and checks incoming ones (12.2.2), deals in messages only,
//! and keeps owned copies of the few values it needs (so it does not pin
//! the received buffers in memory).
//!
//! ```
//! use sip_core::dialog::{Dialog, DialogState};
//! use sip_core::{Message, Limits, Method, Request, Response, StatusCode};
//! let sub = Message::parse_datagram(&b"SUBSCRIBE sip:bob@b.example SIP/2.0\r\n\
//! Via: SIP/2.0/UDP a.example;branch=z9hG4bK1\r\nFrom: <sip:alice@a.example>;tag=at\r\n\
//! To: <sip:bob@b.example>\r\nCall-ID: c1\r\nCSeq: 7 SUBSCRIBE\r\nEvent: presence\r\n\
//! Contact: <sip:alice@192.0.2.1>\r\nContent-Length: 0\r\n\r\n"[..], &Limits::default())
//!     .unwrap().as_request().unwrap().clone();
//! let mut ok = Response::from_request(&sub, StatusCode::OK);
//! ok.set_to_tag("bt");
//! ok.headers_mut().push(sip_core::HeaderName::CONTACT, "<sip:bob@192.0.2.2>");
//! let mut d = Dialog::uac(&sub, &ok).unwrap();
//! assert_eq!(d.state(), DialogState::Confirmed);
//! let refresh = d.request(Method::SUBSCRIBE).unwrap();
//! assert_eq!(refresh.uri().to_string(), "sip:bob@192.0.2.2");
//! assert_eq!(d.local_seq(), Some(8));
//! ```

use crate::header::{CSeq, CallId, Contact, HeaderName, MaxForwards, Route, TypedHeader};
use crate::message::{Request, RequestBuilder, Response};
use crate::method::{Method, StatusCode};
use crate::uri::{SipUri, Uri};
use bytes::Bytes;

/// What names a dialog: Call-ID, local tag, remote tag (12).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct DialogId {
    /// The Call-ID.
    pub call_id: Bytes,
    /// Our tag.
    pub local_tag: Bytes,
    /// The peer's tag.
    pub remote_tag: Bytes,
}

impl DialogId {
    /// The id of the dialog an incoming request belongs to (To tag is ours,
    /// From tag the peer's); `None` without a To tag.
    pub fn of_incoming(request: &Request) -> Option<DialogId> {
        let h = request.headers();
        let call_id: CallId = h.typed().ok().flatten()?;
        let to: crate::header::To = h.typed().ok().flatten()?;
        let from: crate::header::From = h.typed().ok().flatten()?;
        Some(DialogId {
            call_id: own(&call_id.0),
            local_tag: own(to.tag()?),
            remote_tag: own(from.tag().unwrap_or_default()),
        })
    }

    /// The id of the dialog a response to our request belongs to; `None`
    /// without a To tag.
    pub fn of_response(response: &Response) -> Option<DialogId> {
        let h = response.headers();
        let call_id: CallId = h.typed().ok().flatten()?;
        let to: crate::header::To = h.typed().ok().flatten()?;
        let from: crate::header::From = h.typed().ok().flatten()?;
        Some(DialogId {
            call_id: own(&call_id.0),
            local_tag: own(from.tag().unwrap_or_default()),
            remote_tag: own(to.tag()?),
        })
    }
}

/// The state of a dialog (12).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum DialogState {
    /// Created by a provisional response.
    Early,
    /// Created or confirmed by a 2xx (or by a NOTIFY, RFC 6665).
    Confirmed,
    /// Ended (BYE, 481, 408, or the last subscription ended).
    Terminated,
}

/// Why a dialog could not be made or used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DialogError {
    /// A header the dialog needs is missing or unreadable.
    #[error("missing or unreadable {0}")]
    MissingHeader(&'static str),
    /// A To or From tag is missing.
    #[error("missing {0} tag")]
    MissingTag(&'static str),
    /// The remote target or a route is not a URI.
    #[error("unreadable URI in {0}")]
    BadUri(&'static str),
    /// An in-dialog request arrived with a CSeq lower than the last
    /// (12.2.2: answer 500).
    #[error("CSeq {got} is lower than the last ({last})")]
    OutOfOrder {
        /// The request's CSeq.
        got: u32,
        /// The highest seen.
        last: u32,
    },
    /// The message belongs to another dialog.
    #[error("the message belongs to another dialog")]
    WrongDialog,
    /// The dialog is terminated.
    #[error("the dialog is terminated")]
    Terminated,
}

impl From<&DialogError> for StatusCode {
    fn from(e: &DialogError) -> StatusCode {
        match e {
            DialogError::OutOfOrder { .. } => StatusCode::SERVER_INTERNAL_ERROR,
            DialogError::WrongDialog | DialogError::Terminated => {
                StatusCode::CALL_TRANSACTION_DOES_NOT_EXIST
            }
            _ => StatusCode::BAD_REQUEST,
        }
    }
}

/// One dialog. See the [module docs](self).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Dialog {
    id: DialogId,
    state: DialogState,
    // Header values as we write them in From (local) and To (remote).
    local: Bytes,
    remote: Bytes,
    local_contact: Option<Bytes>,
    remote_target: Bytes,
    route_set: Vec<Bytes>,
    local_seq: Option<u32>,
    remote_seq: Option<u32>,
    secure: bool,
}

fn own(b: &[u8]) -> Bytes {
    Bytes::copy_from_slice(b)
}

fn contact_uri(h: &crate::header::Headers) -> Option<Bytes> {
    let c: Contact = h.typed().ok().flatten()?;
    let mut v = Vec::with_capacity(48);
    c.uri()?.write(&mut v);
    Some(Bytes::from(v))
}

fn is_target_refresh(m: &Method) -> bool {
    // 12.2: INVITE/re-INVITE and UPDATE (RFC 3311); SUBSCRIBE and NOTIFY
    // (RFC 6665 4.1.2.1, 4.2.1); REFER (RFC 3515).
    [
        Method::INVITE,
        Method::UPDATE,
        Method::SUBSCRIBE,
        Method::NOTIFY,
        Method::REFER,
    ]
    .contains(m)
}

impl Dialog {
    /// The UAC side (12.1.2): from our request and a 1xx (with To tag) or
    /// 2xx response. The route set is the response's Record-Route reversed.
    pub fn uac(request: &Request, response: &Response) -> Result<Dialog, DialogError> {
        let rh = request.headers();
        let sh = response.headers();
        let call_id: CallId = required(rh, "Call-ID")?;
        let cseq: CSeq = required(rh, "CSeq")?;
        let from: crate::header::From = required(rh, "From")?;
        let to: crate::header::To = required(sh, "To")?;
        let local_tag = from.tag().ok_or(DialogError::MissingTag("From"))?;
        let remote_tag = to.tag().ok_or(DialogError::MissingTag("To"))?;
        let mut routes: Vec<Bytes> = record_routes(sh)?;
        routes.reverse();
        let target = contact_uri(sh)
            .or_else(|| {
                // A NOTIFY-less 2xx without Contact: fall back to the Request-URI.
                let mut v = Vec::new();
                request.uri().write(&mut v);
                Some(Bytes::from(v))
            })
            .unwrap_or_default();
        Ok(Dialog {
            id: DialogId {
                call_id: own(&call_id.0),
                local_tag: own(local_tag),
                remote_tag: own(remote_tag),
            },
            state: if response.status().is_success() {
                DialogState::Confirmed
            } else {
                DialogState::Early
            },
            local: own(&from.to_value()),
            remote: own(&to.to_value()),
            local_contact: rh.get(&HeaderName::CONTACT).map(|v| own(v)),
            remote_target: target,
            route_set: routes,
            local_seq: Some(cseq.seq),
            remote_seq: None,
            secure: request.uri().scheme() == b"sips",
        })
    }

    /// The UAS side (12.1.1): from the request and our response (with its
    /// To tag). The route set is the request's Record-Route in order.
    pub fn uas(request: &Request, response: &Response) -> Result<Dialog, DialogError> {
        let rh = request.headers();
        let sh = response.headers();
        let call_id: CallId = required(rh, "Call-ID")?;
        let cseq: CSeq = required(rh, "CSeq")?;
        let from: crate::header::From = required(rh, "From")?;
        let to: crate::header::To = required(sh, "To")?;
        let local_tag = to.tag().ok_or(DialogError::MissingTag("To"))?;
        let remote_tag = from.tag().unwrap_or_default();
        let target = contact_uri(rh).ok_or(DialogError::MissingHeader("Contact"))?;
        Ok(Dialog {
            id: DialogId {
                call_id: own(&call_id.0),
                local_tag: own(local_tag),
                remote_tag: own(remote_tag),
            },
            state: if response.status().is_success() {
                DialogState::Confirmed
            } else {
                DialogState::Early
            },
            local: own(&to.to_value()),
            remote: own(&from.to_value()),
            local_contact: sh.get(&HeaderName::CONTACT).map(|v| own(v)),
            remote_target: target,
            route_set: record_routes(rh)?,
            local_seq: None,
            remote_seq: Some(cseq.seq),
            secure: request.uri().scheme() == b"sips",
        })
    }

    /// The subscriber side when a NOTIFY comes before (or instead of) the
    /// 2xx to SUBSCRIBE (RFC 6665 4.1.2.4): the NOTIFY is a request, so its
    /// Record-Route is taken in order and its CSeq is the remote one.
    pub fn from_notify(subscribe: &Request, notify: &Request) -> Result<Dialog, DialogError> {
        let sh = subscribe.headers();
        let nh = notify.headers();
        let call_id: CallId = required(nh, "Call-ID")?;
        let cseq: CSeq = required(sh, "CSeq")?;
        let ncseq: CSeq = required(nh, "CSeq")?;
        let from: crate::header::From = required(sh, "From")?;
        // The notifier's address is the NOTIFY's From; swap to write it in To.
        let nfrom: crate::header::From = required(nh, "From")?;
        let remote_tag = nfrom.tag().ok_or(DialogError::MissingTag("From"))?;
        let target = contact_uri(nh).ok_or(DialogError::MissingHeader("Contact"))?;
        Ok(Dialog {
            id: DialogId {
                call_id: own(&call_id.0),
                local_tag: own(from.tag().ok_or(DialogError::MissingTag("From"))?),
                remote_tag: own(remote_tag),
            },
            state: DialogState::Confirmed,
            local: own(&from.to_value()),
            remote: own(&nfrom.to_value()),
            local_contact: sh.get(&HeaderName::CONTACT).map(|v| own(v)),
            remote_target: target,
            route_set: record_routes(nh)?,
            local_seq: Some(cseq.seq),
            remote_seq: Some(ncseq.seq),
            secure: subscribe.uri().scheme() == b"sips",
        })
    }

    /// The id.
    pub fn id(&self) -> &DialogId {
        &self.id
    }

    /// The state.
    pub fn state(&self) -> DialogState {
        self.state
    }

    /// Ends the dialog.
    pub fn terminate(&mut self) {
        self.state = DialogState::Terminated;
    }

    /// The local CSeq (the last we used).
    pub fn local_seq(&self) -> Option<u32> {
        self.local_seq
    }

    /// The remote CSeq (the highest received).
    pub fn remote_seq(&self) -> Option<u32> {
        self.remote_seq
    }

    /// The remote target URI as text.
    pub fn remote_target(&self) -> &[u8] {
        &self.remote_target
    }

    /// The route set (Route values, first hop first).
    pub fn route_set(&self) -> &[Bytes] {
        &self.route_set
    }

    /// True when the dialog was made with a SIPS Request-URI (the
    /// "secure" flag of RFC 3261 12.1.1 and 12.1.2; that the request went
    /// over TLS is the endpoint's rule, see [`crate::target`]). A secure
    /// dialog's requests keep to SIPS: their Request-URI and the Contact
    /// of target refresh requests are written as `sips:` URIs (12.2.1.1),
    /// so they can only leave over TLS.
    pub fn is_secure(&self) -> bool {
        self.secure
    }

    /// Replaces the Contact we send in target refresh requests.
    pub fn set_local_contact(&mut self, contact: Option<Bytes>) {
        self.local_contact = contact;
    }

    /// Builds the next in-dialog request (12.2.1.1): CSeq one above the
    /// last, Request-URI and Route from the remote target and the route set
    /// (strict routing when the first route has no `lr`), From, To and
    /// Call-ID from the dialog, Contact for target refresh methods. The
    /// endpoint adds the Via. Not for ACK and CANCEL (see [`Dialog::ack`]).
    pub fn request(&mut self, method: Method) -> Result<Request, DialogError> {
        if self.state == DialogState::Terminated {
            return Err(DialogError::Terminated);
        }
        let seq = match self.local_seq {
            Some(s) => s.wrapping_add(1) & 0x7FFF_FFFF,
            None => 1,
        };
        self.local_seq = Some(seq);
        self.build(method, seq)
    }

    /// The ACK of a 2xx to the INVITE of CSeq `invite_seq` (13.2.2.4).
    pub fn ack(&self, invite_seq: u32) -> Result<Request, DialogError> {
        self.build(Method::ACK, invite_seq)
    }

    fn build(&self, method: Method, seq: u32) -> Result<Request, DialogError> {
        let target =
            Uri::parse(&self.remote_target).map_err(|_| DialogError::BadUri("remote target"))?;
        let strict_first = match self.route_set.first() {
            Some(first) => {
                let r = Route::decode(first).map_err(|_| DialogError::BadUri("Route"))?;
                (!r.uri().as_sip().is_some_and(|s| s.lr())).then(|| r.uri().clone())
            }
            None => None,
        };
        let (ruri, routes): (Uri, Vec<Bytes>) = match strict_first {
            // 12.2.1.1: strict router first: it becomes the Request-URI and
            // the remote target goes last in the Route set.
            Some(first_uri) => {
                let mut rs: Vec<Bytes> = self.route_set.iter().skip(1).cloned().collect();
                let mut t = Vec::with_capacity(self.remote_target.len() + 2);
                t.push(b'<');
                t.extend_from_slice(&self.remote_target);
                t.push(b'>');
                rs.push(Bytes::from(t));
                (first_uri, rs)
            }
            None => (target, self.route_set.clone()),
        };
        // 12.2.1.1: a secure dialog stays on SIPS. A peer that gave a `sip:`
        // Contact anyway is reached at its `sips:` form (19.1).
        let ruri = if self.secure {
            crate::target::secure_uri(&ruri)
        } else {
            ruri
        };
        let mut b = RequestBuilder::new(method.clone(), ruri);
        for r in routes {
            b = b.header(HeaderName::ROUTE, r);
        }
        b = b
            .typed(&MaxForwards(70))
            .header(HeaderName::FROM, self.local.clone())
            .header(HeaderName::TO, self.remote.clone())
            .header(HeaderName::CALL_ID, self.id.call_id.clone())
            .typed(&CSeq {
                seq,
                method: method.clone(),
            });
        if is_target_refresh(&method) {
            if let Some(c) = &self.local_contact {
                let c = if self.secure {
                    secure_contact(c)
                } else {
                    c.clone()
                };
                b = b.header(HeaderName::CONTACT, c);
            }
        }
        Ok(b.build())
    }

    /// An in-dialog request arrived (12.2.2): checks the CSeq order and
    /// applies a target refresh. The caller answers 500 on
    /// [`DialogError::OutOfOrder`] (see `From<&DialogError> for StatusCode`).
    pub fn handle_request(&mut self, request: &Request) -> Result<(), DialogError> {
        if DialogId::of_incoming(request).as_ref() != Some(&self.id) {
            return Err(DialogError::WrongDialog);
        }
        let cseq: CSeq = request
            .headers()
            .typed()
            .ok()
            .flatten()
            .ok_or(DialogError::MissingHeader("CSeq"))?;
        if *request.method() != Method::ACK && *request.method() != Method::CANCEL {
            if let Some(last) = self.remote_seq {
                if cseq.seq < last {
                    return Err(DialogError::OutOfOrder {
                        got: cseq.seq,
                        last,
                    });
                }
            }
            self.remote_seq = Some(cseq.seq);
        }
        if is_target_refresh(request.method()) {
            if let Some(t) = contact_uri(request.headers()) {
                self.remote_target = own(&t);
            }
        }
        Ok(())
    }

    /// A response to one of our in-dialog requests of `method` (12.2.1.2):
    /// a 2xx confirms an early dialog and refreshes the target; 481 and 408
    /// end the dialog.
    pub fn handle_response(&mut self, method: &Method, response: &Response) {
        let st = response.status();
        if st == StatusCode::CALL_TRANSACTION_DOES_NOT_EXIST || st == StatusCode::REQUEST_TIMEOUT {
            self.state = DialogState::Terminated;
            return;
        }
        if st.is_success() {
            if self.state == DialogState::Early {
                self.state = DialogState::Confirmed;
            }
            if is_target_refresh(method) {
                if let Some(t) = contact_uri(response.headers()) {
                    self.remote_target = own(&t);
                }
            }
        }
    }
}

/// A Contact value with its URI as a `sips:` one (12.2.1.1: "If the
/// secure flag is true, that URI MUST be a SIPS URI"); `*`, `sips:` and
/// unreadable values unchanged.
fn secure_contact(v: &Bytes) -> Bytes {
    let Ok(Contact::Addr { addr, params }) = Contact::decode(v) else {
        return v.clone();
    };
    if addr.uri().as_sip().is_none_or(SipUri::is_secure) {
        return v.clone();
    }
    let mut out = Vec::with_capacity(v.len() + 4);
    if let Some(d) = addr.display_raw() {
        out.extend_from_slice(d);
        out.push(b' ');
    }
    out.push(b'<');
    crate::target::secure_uri(addr.uri()).write(&mut out);
    out.push(b'>');
    params.write(&mut out);
    Bytes::from(out)
}

fn record_routes(h: &crate::header::Headers) -> Result<Vec<Bytes>, DialogError> {
    let mut out = Vec::new();
    for rr in h.typed_iter::<crate::header::RecordRoute>() {
        let rr = rr.map_err(|_| DialogError::BadUri("Record-Route"))?;
        out.push(own(&rr.to_value()));
    }
    Ok(out)
}

/// A header the dialog cannot be built without: decoded, or the error that
/// names it (a header that is present but does not decode counts as missing).
fn required<H: crate::header::TypedHeader>(
    headers: &crate::header::Headers,
    name: &'static str,
) -> Result<H, DialogError> {
    headers
        .typed()
        .ok()
        .flatten()
        .ok_or(DialogError::MissingHeader(name))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::Message;
    use crate::parse::Limits;

    fn req(s: &str) -> Request {
        Message::parse_datagram(Bytes::copy_from_slice(s.as_bytes()), &Limits::default())
            .unwrap()
            .as_request()
            .unwrap()
            .clone()
    }

    const INVITE: &str = "INVITE sip:bob@biloxi.example.com SIP/2.0\r\n\
Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK74bf9\r\n\
Max-Forwards: 70\r\n\
From: Alice <sip:alice@atlanta.example.com>;tag=9fxced76sl\r\n\
To: Bob <sip:bob@biloxi.example.com>\r\n\
Call-ID: 3848276298220188511@atlanta.example.com\r\n\
CSeq: 1 INVITE\r\n\
Record-Route: <sip:p2.biloxi.example.com;lr>, <sip:p1.atlanta.example.com;lr>\r\n\
Contact: <sip:alice@client.atlanta.example.com>\r\n\
Content-Length: 0\r\n\r\n";

    fn ok(r: &Request) -> Response {
        let mut ok = Response::from_request(r, StatusCode::OK);
        ok.set_to_tag("8321234356");
        for v in r.headers().get_all(&HeaderName::RECORD_ROUTE) {
            ok.headers_mut().push(HeaderName::RECORD_ROUTE, v.clone());
        }
        ok.headers_mut()
            .push(HeaderName::CONTACT, "<sip:bob@192.0.2.4>");
        ok
    }

    #[test]
    fn uac_and_uas_agree_and_build_requests() {
        let inv = req(INVITE);
        let ok = ok(&inv);
        let mut uac = Dialog::uac(&inv, &ok).unwrap();
        let mut uas = Dialog::uas(&inv, &ok).unwrap();
        assert_eq!(uac.id().call_id, uas.id().call_id);
        assert_eq!(uac.id().local_tag, uas.id().remote_tag);
        assert_eq!(
            uac.route_set(),
            [
                &b"<sip:p1.atlanta.example.com;lr>"[..],
                &b"<sip:p2.biloxi.example.com;lr>"[..]
            ]
        );
        assert_eq!(
            uas.route_set().first().map(|b| &b[..]),
            Some(&b"<sip:p2.biloxi.example.com;lr>"[..])
        );
        let bye = uac.request(Method::BYE).unwrap();
        assert_eq!(bye.uri().to_string(), "sip:bob@192.0.2.4");
        let routes: Vec<_> = bye.headers().get_all(&HeaderName::ROUTE).cloned().collect();
        assert_eq!(routes.len(), 2);
        assert_eq!(&routes[0][..], b"<sip:p1.atlanta.example.com;lr>");
        assert_eq!(DialogId::of_incoming(&bye).as_ref(), Some(uas.id()));
        uas.handle_request(&bye).unwrap();
        assert_eq!(uas.remote_seq(), Some(2));
        // A late lower CSeq is refused with 500.
        let mut old = bye.clone();
        old.headers_mut().set(HeaderName::CSEQ, "1 BYE");
        let e = uas.handle_request(&old).unwrap_err();
        assert_eq!(StatusCode::from(&e), StatusCode::SERVER_INTERNAL_ERROR);
        // The UAS side sends from CSeq 1 with Alice's Contact as target.
        let back = uas.request(Method::INFO).unwrap();
        assert_eq!(
            back.uri().to_string(),
            "sip:alice@client.atlanta.example.com"
        );
        assert_eq!(back.headers().typed::<CSeq>().unwrap().unwrap().seq, 1);
        let ack = uac.ack(1).unwrap();
        assert_eq!(
            ack.headers().typed::<CSeq>().unwrap().unwrap(),
            CSeq {
                seq: 1,
                method: Method::ACK
            }
        );
    }

    #[test]
    fn strict_router_becomes_the_request_uri() {
        let inv = req(&INVITE.replace(
            "<sip:p1.atlanta.example.com;lr>",
            "<sip:p1.atlanta.example.com>",
        ));
        let ok = ok(&inv);
        let mut uac = Dialog::uac(&inv, &ok).unwrap();
        let bye = uac.request(Method::BYE).unwrap();
        assert_eq!(bye.uri().to_string(), "sip:p1.atlanta.example.com");
        let routes: Vec<_> = bye.headers().get_all(&HeaderName::ROUTE).cloned().collect();
        assert_eq!(
            routes,
            [
                &b"<sip:p2.biloxi.example.com;lr>"[..],
                &b"<sip:bob@192.0.2.4>"[..]
            ]
        );
    }

    #[test]
    fn target_refresh_and_termination() {
        let inv = req(INVITE);
        let ok = ok(&inv);
        let mut uas = Dialog::uas(&inv, &ok).unwrap();
        let mut uac = Dialog::uac(&inv, &ok).unwrap();
        let mut reinvite = uac.request(Method::INVITE).unwrap();
        reinvite
            .headers_mut()
            .set(HeaderName::CONTACT, "<sip:alice@198.51.100.9>");
        uas.handle_request(&reinvite).unwrap();
        assert_eq!(uas.remote_target(), b"sip:alice@198.51.100.9");
        let gone = Response::from_request(&reinvite, StatusCode::CALL_TRANSACTION_DOES_NOT_EXIST);
        uac.handle_response(&Method::INVITE, &gone);
        assert_eq!(uac.state(), DialogState::Terminated);
        assert_eq!(uac.request(Method::BYE), Err(DialogError::Terminated));
        let early = {
            let mut r = Response::from_request(&inv, StatusCode::new(180).unwrap());
            r.set_to_tag("e1");
            r
        };
        let mut d = Dialog::uac(&inv, &early).unwrap();
        assert_eq!(d.state(), DialogState::Early);
        d.handle_response(&Method::INVITE, &ok);
        assert_eq!(d.state(), DialogState::Confirmed);
    }

    /// RFC 3261 12.1.1, 12.1.2, 12.2.1.1: a dialog made with a SIPS
    /// Request-URI is secure and keeps to SIPS: Request-URI and Contact of
    /// its requests, whichever side builds them; the endpoint then sends
    /// them over TLS only.
    #[test]
    fn sips_dialogs_stay_on_sips() {
        let inv = req(&INVITE
            .replace("INVITE sip:bob@", "INVITE sips:bob@")
            .replace(
                "<sip:p2.biloxi.example.com;lr>, <sip:p1.atlanta.example.com;lr>",
                "<sips:p2.biloxi.example.com;lr>, <sips:p1.atlanta.example.com;lr>",
            )
            .replace(
                "Contact: <sip:alice@client.atlanta.example.com>",
                "Contact: \"Alice\" <sips:alice@client.atlanta.example.com>;expires=60",
            ));
        let mut ok = ok(&inv);
        ok.headers_mut()
            .set(HeaderName::CONTACT, "<sips:bob@192.0.2.4>");
        let mut uac = Dialog::uac(&inv, &ok).unwrap();
        let mut uas = Dialog::uas(&inv, &ok).unwrap();
        assert!(uac.is_secure() && uas.is_secure());
        // The route set keeps the sips: Record-Route values as they came.
        assert_eq!(
            uac.route_set(),
            [
                &b"<sips:p1.atlanta.example.com;lr>"[..],
                &b"<sips:p2.biloxi.example.com;lr>"[..]
            ]
        );
        let reinvite = uac.request(Method::INVITE).unwrap();
        assert_eq!(reinvite.uri().to_string(), "sips:bob@192.0.2.4");
        assert_eq!(
            reinvite.headers().get(&HeaderName::CONTACT).map(|v| &v[..]),
            Some(&b"\"Alice\" <sips:alice@client.atlanta.example.com>;expires=60"[..])
        );
        let back = uas.request(Method::BYE).unwrap();
        assert_eq!(
            back.uri().to_string(),
            "sips:alice@client.atlanta.example.com"
        );
        assert_eq!(
            crate::target::request_transports(&back),
            Ok(crate::target::Transports::only(
                crate::transaction::Transport::Tls
            ))
        );
        // A peer that answered with a sip: Contact, and our own sip:
        // Contact, are written as sips: in the secure dialog.
        let mut sloppy_ok = ok.clone();
        sloppy_ok
            .headers_mut()
            .set(HeaderName::CONTACT, "<sip:bob@192.0.2.4;transport=udp>");
        let mut d = Dialog::uac(&inv, &sloppy_ok).unwrap();
        d.set_local_contact(Some(Bytes::from_static(b"<sip:alice@192.0.2.1:5061>")));
        let sub = d.request(Method::SUBSCRIBE).unwrap();
        assert_eq!(sub.uri().to_string(), "sips:bob@192.0.2.4");
        assert_eq!(
            sub.headers().get(&HeaderName::CONTACT).map(|v| &v[..]),
            Some(&b"<sips:alice@192.0.2.1:5061>"[..])
        );
        // BYE is no target refresh: no Contact at all.
        assert!(d
            .request(Method::BYE)
            .unwrap()
            .headers()
            .get(&HeaderName::CONTACT)
            .is_none());
        // A sip: dialog is left alone (and is not secure even when the
        // routes are sips:).
        let plain = req(&INVITE.replace(
            "<sip:p2.biloxi.example.com;lr>",
            "<sips:p2.biloxi.example.com;lr>",
        ));
        let mut d = Dialog::uas(&plain, &ok).unwrap();
        assert!(!d.is_secure());
        assert_eq!(
            d.request(Method::BYE).unwrap().uri().to_string(),
            "sip:alice@client.atlanta.example.com"
        );
        // The scheme is read case-insensitively.
        let upper = req(&INVITE.replace("INVITE sip:bob@", "INVITE SIPS:bob@"));
        assert!(Dialog::uas(&upper, &ok).unwrap().is_secure());
    }

    #[test]
    fn missing_tags_are_refused() {
        let inv = req(INVITE);
        let no_tag = Response::from_request(&inv, StatusCode::OK);
        assert_eq!(
            Dialog::uac(&inv, &no_tag),
            Err(DialogError::MissingTag("To"))
        );
    }
}
