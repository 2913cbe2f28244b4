//! A resource list server for one domain (RFC 4662): the SIP glue around
//! [`rls::server::ListServer`]. It accepts list SUBSCRIBEs (`Supported:
//! eventlist`) to the lists of its [`MemoryDirectory`], opens one back-end
//! presence subscription per member as itself (so members' rules decide
//! what the list shows), and sends the RLMI `multipart/related` NOTIFYs
//! the list server composes.
//!
//! Sans-IO like the other roles: [`ListAgent::handle_request`] returns the
//! response; [`ListAgent::poll_transmit`] gives the requests to send;
//! responses to them come back through [`ListAgent::handle_response`].

use std::collections::{HashMap, VecDeque};
use std::time::Instant;

use rls::server::{
    BackendId, BackendState, BackendTarget, ListServer, ListSubscribe, MemoryDirectory,
    ServerConfig, ServerEvent, StateBody, SubscriptionId,
};
use sip_core::dialog::DialogId;
use sip_core::header::{CallId, ContentType, SubState};
use sip_core::subscription::{
    Notifier, NotifierState, NotifyOutcome, Subscriber, SubscriptionConfig,
};
use sip_core::{Bytes, HeaderName, Method, Request, Response, StatusCode, TypedHeader};

use crate::sip::{aor, asserted, header_str, target, NewRequest};

/// The resource list server. See the [module docs](self).
#[derive(Debug)]
pub struct ListAgent {
    contact: String,
    server: ListServer,
    directory: MemoryDirectory,
    config: SubscriptionConfig,
    notifiers: HashMap<SubscriptionId, Notifier>,
    by_dialog: HashMap<DialogId, SubscriptionId>,
    backends: HashMap<Bytes, (BackendId, String, Subscriber)>,
    out: VecDeque<Request>,
    counter: u64,
}

impl ListAgent {
    /// A list server for `domain` serving the lists of `directory`.
    pub fn new(domain: &str, directory: MemoryDirectory) -> Self {
        let config = ServerConfig {
            local_domains: vec![domain.to_owned()],
            host: format!("rls.{domain}"),
            min_interval: std::time::Duration::ZERO,
            ..ServerConfig::default()
        };
        ListAgent {
            contact: format!("sip:rls@{domain}"),
            server: ListServer::new(config),
            directory,
            config: SubscriptionConfig::default(),
            notifiers: HashMap::new(),
            by_dialog: HashMap::new(),
            backends: HashMap::new(),
            out: VecDeque::new(),
            counter: 0,
        }
    }

    /// Its URI (From and Contact of back-end subscriptions).
    pub fn uri(&self) -> &str {
        &self.contact
    }

    /// The next request to send.
    pub fn poll_transmit(&mut self) -> Option<Request> {
        self.out.pop_front()
    }

    /// A list SUBSCRIBE (initial or in dialog), or a back-end NOTIFY.
    pub fn handle_request(&mut self, now: Instant, req: &Request) -> Response {
        if *req.method() == Method::NOTIFY {
            return self.backend_notify(now, req);
        }
        if *req.method() != Method::SUBSCRIBE {
            return Response::from_request(req, StatusCode::METHOD_NOT_ALLOWED);
        }
        if let Some(id) = DialogId::of_incoming(req) {
            let Some(sid) = self.by_dialog.get(&id).copied() else {
                return Response::from_request(req, StatusCode::CALL_TRANSACTION_DOES_NOT_EXIST);
            };
            let Some(n) = self.notifiers.get_mut(&sid) else {
                return Response::from_request(req, StatusCode::CALL_TRANSACTION_DOES_NOT_EXIST);
            };
            let (r, notify) = n.handle_subscribe(now, req, &self.config);
            if let Some(x) = notify {
                self.out.push_back(x);
            }
            if n.state() == NotifierState::Terminated {
                let _ = self.server.handle_unsubscribe(now, sid, "timeout");
            } else {
                let _ = self.server.handle_refresh(now, sid);
            }
            self.events(now);
            return r;
        }
        let list_uri = aor(&target(req)).unwrap_or_default();
        let subscriber = asserted(req.headers())
            .and_then(|u| aor(&u))
            .unwrap_or_default();
        let headers: Vec<(String, String)> = req
            .headers()
            .iter()
            .map(|(n, v)| {
                (
                    String::from_utf8_lossy(n.as_bytes()).into_owned(),
                    String::from_utf8_lossy(v).into_owned(),
                )
            })
            .collect();
        let ls = match ListSubscribe::from_request(
            &list_uri,
            &subscriber,
            headers.iter().map(|(n, v)| (n.as_str(), v.as_str())),
            req.body(),
        ) {
            Ok(l) => l,
            Err(e) => return Response::from_request(req, status_of(e.status())),
        };
        if let Err(e) = Notifier::check(req, &["presence"], &self.config) {
            return Notifier::refusal(req, &e);
        }
        let sid = match self.server.handle_subscribe(now, &ls, &self.directory) {
            Ok(s) => s,
            Err(e) => return Response::from_request(req, status_of(e.status())),
        };
        self.counter += 1;
        let mut ok = Response::from_request(req, StatusCode::OK);
        ok.set_to_tag(&format!("l{:x}", self.counter));
        ok.headers_mut()
            .push(HeaderName::CONTACT, format!("<{}>", self.contact));
        if let Some(h) = HeaderName::new("Require") {
            ok.headers_mut().push(h, "eventlist");
        }
        match Notifier::accept(now, req, &mut ok, NotifierState::Active, &self.config) {
            Ok(n) => {
                self.by_dialog.insert(n.dialog().id().clone(), sid);
                self.notifiers.insert(sid, n);
            }
            Err(e) => return Notifier::refusal(req, &e),
        }
        self.events(now);
        ok
    }

    /// A response to a back-end SUBSCRIBE or a list NOTIFY.
    pub fn handle_response(&mut self, now: Instant, r: &Response) {
        let call: Option<CallId> = r.headers().typed().ok().flatten();
        if let Some((_, _, sub)) = call.and_then(|c| self.backends.get_mut(&c.0)) {
            if let Some(again) = sub.handle_response(now, r) {
                self.out.push_back(again);
            }
        }
    }

    fn backend_notify(&mut self, now: Instant, req: &Request) -> Response {
        let call: Option<CallId> = req.headers().typed().ok().flatten();
        let Some((bid, uri, sub)) = call.and_then(|c| self.backends.get_mut(&c.0)) else {
            return Response::from_request(req, StatusCode::CALL_TRANSACTION_DOES_NOT_EXIST);
        };
        match sub.handle_notify(now, req) {
            NotifyOutcome::Accepted {
                response,
                notification,
            } => {
                let state = match header_str(req.headers(), &HeaderName::SUBSCRIPTION_STATE)
                    .and_then(|v| {
                        sip_core::header::SubscriptionState::decode(&Bytes::copy_from_slice(
                            v.as_bytes(),
                        ))
                        .ok()
                    })
                    .map(|s| s.state)
                {
                    Some(SubState::Active) => BackendState::Active,
                    Some(SubState::Pending) => BackendState::Pending,
                    _ => BackendState::Terminated {
                        reason: "noresource".into(),
                    },
                };
                let body = (!notification.body.is_empty()).then(|| StateBody {
                    content_type: notification
                        .content_type
                        .map(|c| String::from_utf8_lossy(&c.to_value()).into_owned())
                        .unwrap_or_else(|| "application/pidf+xml".into()),
                    body: notification.body.to_vec(),
                });
                let (bid, uri) = (*bid, uri.clone());
                let _ = self
                    .server
                    .handle_backend_notify(now, bid, &uri, state, body);
                self.events(now);
                response
            }
            NotifyOutcome::Forked { response, .. } | NotifyOutcome::Refused { response, .. } => {
                response
            }
        }
    }

    fn events(&mut self, now: Instant) {
        while let Some(e) = self.server.poll_event() {
            match e {
                ServerEvent::OpenBackend {
                    backend,
                    target: BackendTarget::Resource { uri },
                    package,
                    ..
                } => {
                    self.counter += 1;
                    let call = format!("lb{:x}.{}", self.counter, self.contact);
                    let tag = format!("lt{:x}", self.counter);
                    let Some(r) = (NewRequest {
                        method: Method::SUBSCRIBE,
                        to: &uri,
                        from: &self.contact,
                        tag: &tag,
                        call_id: &call,
                        contact: Some(&self.contact),
                        event: Some(&package),
                        expires: Some(3600),
                    })
                    .build(None) else {
                        continue;
                    };
                    if let Ok(s) = Subscriber::new(now, r.clone(), self.config) {
                        self.backends.insert(Bytes::from(call), (backend, uri, s));
                        self.out.push_back(r);
                    }
                }
                ServerEvent::OpenBackend { .. } | ServerEvent::CloseBackend { .. } => {}
                ServerEvent::Notify(n) => {
                    let Some(nt) = self.notifiers.get_mut(&n.subscription) else {
                        continue;
                    };
                    let ct = ContentType::decode(&Bytes::from(n.content_type.clone())).ok();
                    let body = Bytes::from(n.body);
                    let first = nt.dialog().local_seq().is_none();
                    let req = if first {
                        nt.set_body(ct, body);
                        nt.initial_notify(now).ok()
                    } else {
                        nt.update(now, ct, body)
                    };
                    if let Some(mut r) = req {
                        if let Some(h) = HeaderName::new("Require") {
                            r.headers_mut().push(h, "eventlist");
                        }
                        self.out.push_back(r);
                    }
                }
            }
        }
    }
}

fn status_of(code: u16) -> StatusCode {
    StatusCode::new(code).unwrap_or(StatusCode::BAD_REQUEST)
}
