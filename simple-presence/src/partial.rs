//! RFC 5263 partial notification, notifier side: what one subscription's
//! NOTIFYs carry when its SUBSCRIBE accepted `application/pidf-diff+xml`.
//!
//! - The first document is `<pidf-full>` with version 1 (section 4.4);
//!   each later one is the smaller of a `<pidf-diff>` from what the watcher
//!   holds and a `<pidf-full>` (RFC 5262 section 4, [`PartialDoc::between`]),
//!   its version one more than the last one sent.
//! - Between changes the notifier holds `<pidf-full>` of the current state
//!   with the next version, so a refresh (section 4.4: "SHOULD send a NOTIFY
//!   request containing the full presence document"), a min-rate NOTIFY
//!   or the final one all carry full state, correctly numbered. A watcher
//!   that missed a version refreshes (section 4.5) and gets it that way.
//! - A change is not sent while the previous NOTIFY awaits its final
//!   response (section 4.4: "MUST NOT send a new NOTIFY request that
//!   contains a partial notification ... until it has received a final
//!   response"); it is queued (later changes folded into it) and goes out
//!   when the response comes.
#![cfg_attr(
    not(test),
    deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)
)]

use std::time::Instant;

use pidf::partial::{PartialDoc, PidfFull};
use pidf::Presence;
use sip_core::header::ContentType;
use sip_core::subscription::Notifier;
use sip_core::{Bytes, HeaderName, Headers, Request};

use crate::sip::content_type;

/// `application/pidf-diff+xml` (RFC 5262 section 6).
pub(crate) const PIDF_DIFF: &str = "application/pidf-diff+xml";

/// The `q` value of `mime` in the Accept header(s), `None` when not listed
/// (RFC 3261 section 20.1; a missing `q` is 1).
fn accept_q(h: &Headers, mime: &str) -> Option<f32> {
    let mut best: Option<f32> = None;
    for (n, v) in h.iter() {
        if *n != HeaderName::ACCEPT {
            continue;
        }
        let Ok(v) = std::str::from_utf8(v) else {
            continue;
        };
        for range in v.split(',') {
            let mut parts = range.split(';');
            let ty = parts.next().unwrap_or_default().trim();
            if !ty.eq_ignore_ascii_case(mime) {
                continue;
            }
            let q = parts
                .filter_map(|p| p.split_once('='))
                .find(|(k, _)| k.trim().eq_ignore_ascii_case("q"))
                .and_then(|(_, v)| v.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            best = Some(best.map_or(q, |b| b.max(q)));
        }
    }
    best
}

/// Whether a presence SUBSCRIBE asks for partial notification (RFC 5263
/// sections 4.2 and 4.3): its Accept lists `application/pidf-diff+xml`
/// with a `q` above zero and not below that of `application/pidf+xml`.
pub(crate) fn requested(h: &Headers) -> bool {
    match accept_q(h, PIDF_DIFF) {
        Some(q) if q > 0.0 => q >= accept_q(h, crate::views::PIDF).unwrap_or(0.0),
        _ => false,
    }
}

/// The partial-notification state of one subscription. See the [module
/// docs](self).
#[derive(Debug, Clone, Default)]
pub(crate) struct PartialNotify {
    /// The version of the last document sent (0: none yet).
    version: u32,
    /// What the watcher holds after it.
    base: Option<Presence>,
    /// A document handed to the notifier and not sent yet, with the state
    /// it brings the watcher to.
    queued: Option<(Presence, Bytes)>,
    /// A NOTIFY with a document awaits its final response.
    in_flight: bool,
}

fn ct() -> Option<ContentType> {
    content_type(PIDF_DIFF)
}

impl PartialNotify {
    /// Nothing sent yet.
    pub(crate) fn new() -> Self {
        PartialNotify::default()
    }

    /// Turns `view` (a full `application/pidf+xml` document) into the next
    /// document for this watcher and remembers it as queued. `None` when the
    /// view does not parse (then nothing changes).
    fn stage(&mut self, view: &[u8]) -> Option<(Option<ContentType>, Bytes)> {
        let p = Presence::parse(view).ok()?;
        let next = self.version.saturating_add(1);
        let doc = match &self.base {
            Some(b) => PartialDoc::between(b, &p, next),
            None => PartialDoc::Full(PidfFull::new(p.clone(), Some(next))),
        };
        let body = Bytes::from(doc.to_xml());
        self.queued = Some((p, body.clone()));
        Some((ct(), body))
    }

    /// Records what the notifier just produced: a NOTIFY with a body
    /// delivered the queued document (or the held full state), so the
    /// version moves on and the notifier gets full state with the next
    /// version to hold.
    pub(crate) fn sent(&mut self, notifier: &mut Notifier, r: Option<&Request>) {
        let Some(r) = r else { return };
        if r.body().is_empty() {
            return;
        }
        self.version = self.version.saturating_add(1);
        if let Some((p, _)) = self.queued.take() {
            self.base = Some(p);
        }
        self.in_flight = true;
        if let Some(b) = &self.base {
            let full = PidfFull::new(b.clone(), Some(self.version.saturating_add(1)));
            let mut out = Vec::with_capacity(1024);
            full.write(&mut out);
            notifier.set_body(ct(), Bytes::from(out));
        }
    }

    /// Prepares the first document of a subscription (before
    /// `initial_notify` or `activate`). Returns whether it was set.
    pub(crate) fn set_first(&mut self, notifier: &mut Notifier, view: &[u8]) -> bool {
        match self.stage(view) {
            Some((c, b)) => {
                notifier.set_body(c, b);
                true
            }
            None => false,
        }
    }

    /// The state changed to `view`: the NOTIFY to send now, if any (none
    /// while the previous one is in flight, or when max-rate holds it).
    pub(crate) fn update(
        &mut self,
        now: Instant,
        notifier: &mut Notifier,
        view: &[u8],
    ) -> Option<Request> {
        let (c, b) = self.stage(view)?;
        if self.in_flight {
            notifier.set_body(c, b);
            return None;
        }
        let r = notifier.update(now, c, b);
        self.sent(notifier, r.as_ref());
        r
    }

    /// A final response to a NOTIFY arrived: a queued document goes now.
    pub(crate) fn answered(&mut self, now: Instant, notifier: &mut Notifier) -> Option<Request> {
        self.in_flight = false;
        let (_, b) = self.queued.as_ref()?;
        let r = notifier.update(now, ct(), b.clone());
        self.sent(notifier, r.as_ref());
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sip_core::{Method, RequestBuilder, Uri};

    fn headers(accept: &[&str]) -> Headers {
        let mut b = RequestBuilder::new(Method::SUBSCRIBE, Uri::parse_str("sip:a@b").unwrap());
        for a in accept {
            b = b.header(HeaderName::ACCEPT, a.to_string());
        }
        b.build().headers().clone()
    }

    #[test]
    fn accept_decides() {
        for (accept, want) in [
            (
                &["application/pidf+xml, application/pidf-diff+xml"][..],
                true,
            ),
            (
                &["application/pidf+xml", "Application/PIDF-DIFF+XML"][..],
                true,
            ),
            (
                &["application/pidf-diff+xml;q=0.5, application/pidf+xml"][..],
                false,
            ),
            (
                &["application/pidf-diff+xml;q=1, application/pidf+xml;q=0.8"][..],
                true,
            ),
            (
                &["application/pidf+xml, application/pidf-diff+xml;q=0"][..],
                false,
            ),
            (&["application/pidf+xml"][..], false),
            (&[][..], false),
        ] {
            assert_eq!(requested(&headers(accept)), want, "{accept:?}");
        }
    }
}
