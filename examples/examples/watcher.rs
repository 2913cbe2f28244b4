//! `watcher`: subscribes to a presentity's presence (RFC 6665 SUBSCRIBE,
//! event package `presence` of RFC 3856) and prints each PIDF document its
//! NOTIFYs carry.
//!
//! ```text
//! watcher --server 127.0.0.1:5070 --as sip:bob@127.0.0.1 --watch sip:alice@127.0.0.1 --once
//! ```
//!
//! With `--once` it exits 0 after the first NOTIFY that carries a document,
//! having unsubscribed first (Expires: 0, then the final NOTIFY with
//! `Subscription-State: terminated`). Every wait has a timeout.
#![allow(clippy::disallowed_methods)]

use examples::args::Args;
use examples::net::{peer_for, resolve, status_line, uri_arg, Driver};
use sip_core::endpoint::{Event, Peer};
use sip_core::header::HeaderName;
use sip_core::subscription::{NotifyOutcome, Subscriber, SubscriberState, SubscriptionConfig};
use sip_core::{Method, Request, RequestBuilder, Response, StatusCode};
use std::time::{Duration, Instant};

const USAGE: &str = "\
usage: watcher --server HOST:PORT --as URI --watch URI [--once] [--tcp]
               [--event PKG] [--expires S] [--timeout S] [--duration S]

Subscribes as --as to the presence of --watch through HOST:PORT and prints
every presence document received (a summary line, then the document).
  --once        exit 0 after the first NOTIFY carrying a document,
                unsubscribing first
  --tcp         use TCP (the Contact says ;transport=tcp)
  --event PKG   event package (default presence; presence.winfo asks
                for the watcher list of --watch, RFC 3857)
  --expires S   subscription duration asked for (default 600)
  --timeout S   longest wait for any answer (default 10)
  --duration S  without --once: unsubscribe and exit after S seconds
                (default 0: run until the subscription ends)
Exit status: 0 on success, 1 on refusal, failure or timeout.";

#[tokio::main(flavor = "current_thread")]
async fn main() {
    if let Err(e) = run().await {
        eprintln!("watcher: {e}");
        std::process::exit(1);
    }
}

struct Watch {
    drv: Driver,
    sub: Subscriber,
    peer: Peer,
    contact: String,
    accept: &'static str,
    documents: usize,
}

fn ensure_headers(r: &mut Request, contact: &str, accept: &'static str) {
    if !r.headers().contains(&HeaderName::CONTACT) {
        r.headers_mut()
            .push(HeaderName::CONTACT, contact.to_owned());
    }
    if !r.headers().contains(&HeaderName::MAX_FORWARDS) {
        r.headers_mut().push(HeaderName::MAX_FORWARDS, "70");
    }
    if !r.headers().contains(&HeaderName::ACCEPT) {
        r.headers_mut().push(HeaderName::ACCEPT, accept);
    }
}

impl Watch {
    async fn send(&mut self, mut r: Request) -> Result<(), String> {
        ensure_headers(&mut r, &self.contact, self.accept);
        self.drv
            .ep
            .send_request(Instant::now(), r, self.peer)
            .map_err(|e| format!("sending SUBSCRIBE: {e}"))?;
        self.drv.flush().await;
        Ok(())
    }

    /// Handles one event; returns whether it was a NOTIFY with a document.
    async fn on_event(&mut self, ev: Event) -> Result<bool, String> {
        let now = Instant::now();
        match ev {
            Event::Response { response, .. } => {
                if response.status().is_provisional() {
                    return Ok(false);
                }
                examples::say!("SUBSCRIBE -> {}", status_line(&response));
                if let Some(again) = self.sub.handle_response(now, &response) {
                    self.send(again).await?;
                }
                if let SubscriberState::Terminated(t) = self.sub.state() {
                    if !response.status().is_success() {
                        return Err(format!(
                            "subscription refused: {} ({t:?})",
                            status_line(&response)
                        ));
                    }
                }
            }
            Event::Failed { failure, .. } => {
                self.sub.handle_failure(now);
                return Err(format!("SUBSCRIBE transaction failed: {failure:?}"));
            }
            Event::Request {
                transaction,
                request,
                ..
            } => {
                if *request.method() != Method::NOTIFY {
                    let r = Response::from_request(&request, StatusCode::METHOD_NOT_ALLOWED);
                    let _ = self.drv.ep.send_response(now, transaction, &r);
                    self.drv.flush().await;
                    return Ok(false);
                }
                let ss = request
                    .headers()
                    .get(&HeaderName::SUBSCRIPTION_STATE)
                    .map(|v| String::from_utf8_lossy(v).into_owned())
                    .unwrap_or_default();
                match self.sub.handle_notify(now, &request) {
                    NotifyOutcome::Accepted {
                        response,
                        notification,
                    }
                    | NotifyOutcome::Forked {
                        response,
                        notification,
                        ..
                    } => {
                        let _ = self.drv.ep.send_response(now, transaction, &response);
                        self.drv.flush().await;
                        examples::say!("NOTIFY Subscription-State: {ss}");
                        if !notification.body.is_empty() {
                            if examples::is_type(
                                notification.content_type.as_ref(),
                                "application",
                                "pidf+xml",
                            ) {
                                examples::say!(
                                    "presence: {}",
                                    examples::pidf_summary(&notification.body)
                                );
                            }
                            examples::say!("{}", String::from_utf8_lossy(&notification.body));
                            self.documents += 1;
                            return Ok(true);
                        }
                    }
                    NotifyOutcome::Refused { response, error } => {
                        examples::say!("NOTIFY refused: {error}");
                        let _ = self.drv.ep.send_response(now, transaction, &response);
                        self.drv.flush().await;
                    }
                }
            }
            _ => {}
        }
        Ok(false)
    }

    /// Unsubscribes and waits for the final NOTIFY (or the end of the
    /// subscription some other way) until `deadline`.
    async fn unsubscribe(&mut self, deadline: Instant) -> Result<(), String> {
        let r = self
            .sub
            .unsubscribe(Instant::now())
            .map_err(|e| format!("unsubscribing: {e}"))?;
        self.send(r).await?;
        while !self.sub.is_terminated() {
            let Some(ev) = self.drv.next_event(deadline).await else {
                return Err("no final NOTIFY after unsubscribing".into());
            };
            self.on_event(ev).await?;
        }
        examples::say!("unsubscribed: {:?}", self.sub.state());
        Ok(())
    }
}

async fn run() -> Result<(), String> {
    let args = Args::parse(std::env::args().skip(1), &["tcp", "once"])?;
    if args.flag("help") {
        examples::say!("{USAGE}");
        return Ok(());
    }
    let server = resolve(args.require("server")?)?;
    let me = args.require("as")?;
    uri_arg("as", me)?;
    let target_s = args.require("watch")?;
    let target = uri_arg("watch", target_s)?;
    let tcp = args.flag("tcp");
    let once = args.flag("once");
    let expires: u32 = args.parsed("expires", 600)?;
    let timeout = Duration::from_secs(args.parsed("timeout", 10)?);
    let duration: u64 = args.parsed("duration", 0)?;
    let event = args.get("event").unwrap_or("presence");
    let accept = match event {
        "presence" => "application/pidf+xml",
        "presence.winfo" => "application/watcherinfo+xml",
        other => return Err(format!("--event {other}: presence or presence.winfo")),
    };

    let mut drv = Driver::bind(
        "127.0.0.1:0".parse().map_err(|_| "address")?,
        tcp,
        examples::seed(),
    )
    .await
    .map_err(|e| format!("binding a local socket: {e}"))?;
    let local = drv.local_addr();
    let user = me
        .split_once(':')
        .and_then(|(_, rest)| rest.split_once('@'))
        .map_or("watcher", |(u, _)| u);
    let contact = if tcp {
        format!("<sip:{user}@{local};transport=tcp>")
    } else {
        format!("<sip:{user}@{local}>")
    };
    let tag = drv.ep.new_tag();
    let call_id = drv.ep.new_call_id();
    let subscribe = RequestBuilder::new(Method::SUBSCRIBE, target)
        .header(HeaderName::MAX_FORWARDS, "70")
        .header(HeaderName::FROM, format!("<{me}>;tag={tag}"))
        .header(HeaderName::TO, format!("<{target_s}>"))
        .header(HeaderName::CALL_ID, call_id)
        .header(HeaderName::CSEQ, "1 SUBSCRIBE")
        .header(HeaderName::CONTACT, contact.clone())
        .header(HeaderName::EVENT, event.to_owned())
        .header(HeaderName::ACCEPT, accept)
        .header(HeaderName::EXPIRES, expires.to_string())
        .build();
    let config = SubscriptionConfig::default();
    let sub = Subscriber::new(Instant::now(), subscribe.clone(), config)
        .map_err(|e| format!("building SUBSCRIBE: {e}"))?;
    let mut w = Watch {
        drv,
        sub,
        peer: peer_for(server, tcp),
        contact,
        accept,
        documents: 0,
    };
    w.send(subscribe).await?;

    let start = Instant::now();
    let mut deadline = start + timeout;
    loop {
        let sub_at = w.sub.poll_timeout();
        let wake = sub_at.map_or(deadline, |t| t.min(deadline));
        match w.drv.next_event(wake).await {
            Some(ev) => {
                let doc = w.on_event(ev).await?;
                if doc && once {
                    w.unsubscribe(Instant::now() + timeout).await?;
                    return Ok(());
                }
                if !once && w.sub.dialog().is_some() {
                    // Subscribed: from now on only --duration bounds the run.
                    deadline = if duration > 0 {
                        start + Duration::from_secs(duration)
                    } else {
                        Instant::now() + Duration::from_secs(86_400)
                    };
                }
            }
            None => {
                let now = Instant::now();
                if sub_at.is_some_and(|t| t <= now) {
                    if let Some(r) = w.sub.handle_timeout(now) {
                        w.send(r).await?;
                    }
                }
                if now >= deadline {
                    if once {
                        return Err(format!("no NOTIFY with a document within {timeout:?}"));
                    }
                    if w.sub.dialog().is_none() {
                        return Err(format!("not subscribed within {timeout:?}"));
                    }
                    w.unsubscribe(Instant::now() + timeout).await?;
                    examples::say!("{} documents received", w.documents);
                    return Ok(());
                }
            }
        }
        if let SubscriberState::Terminated(t) = w.sub.state() {
            if once {
                return Err(format!("subscription ended before a document: {t:?}"));
            }
            examples::say!("subscription ended: {t:?}");
            return Ok(());
        }
    }
}
