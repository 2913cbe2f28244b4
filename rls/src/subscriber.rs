//! The subscriber side of a list subscription (RFC 4662 sections 4.1, 4.3
//! and 5.6; RFC 5367 for lists carried in the SUBSCRIBE).
//!
//! [`ListSubscriber`] says what a list SUBSCRIBE must carry, applies each
//! NOTIFY body to its [`ListView`], and says when a refresh is due because a
//! notification was lost.

#![cfg_attr(
    not(test),
    deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)
)]

use crate::error::MimeError;
use crate::notify::{NotifyLimits, RlmiNotification, MULTIPART_RELATED};
use crate::resource_lists::{self, List, ResourceLists};
use crate::rlmi;
use crate::view::{Applied, ListView, ViewLimits};

/// An ad-hoc list SUBSCRIBE's extra headers and body (RFC 5367 section 7).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdhocRequest {
    /// Headers to add, in order.
    pub headers: Vec<(&'static str, String)>,
    /// The `application/resource-lists+xml` body.
    pub body: Vec<u8>,
}

/// One list subscription, seen from the subscriber.
///
/// ```
/// use rls::subscriber::ListSubscriber;
///
/// let sub = ListSubscriber::new(&["application/pidf+xml"]);
/// let h = sub.subscribe_headers();
/// assert!(h.contains(&("Supported", "eventlist".to_owned())));
/// assert!(h.contains(&("Accept", "multipart/related".to_owned())));
/// ```
#[derive(Debug, Clone)]
pub struct ListSubscriber {
    accept: Vec<String>,
    view: ListView,
    refresh: bool,
    synced: bool,
    limits: NotifyLimits,
}

impl ListSubscriber {
    /// A subscriber whose event package uses `package_types` for state
    /// (e.g. `application/pidf+xml` for presence).
    pub fn new(package_types: &[&str]) -> Self {
        ListSubscriber {
            accept: package_types.iter().map(|s| (*s).to_owned()).collect(),
            view: ListView::new(),
            refresh: false,
            synced: false,
            limits: NotifyLimits::default(),
        }
    }

    /// Builder: caps on parsing NOTIFY bodies.
    pub fn with_limits(mut self, limits: NotifyLimits) -> Self {
        self.limits = limits;
        self
    }

    /// Builder: caps on the state table.
    pub fn with_view_limits(mut self, limits: ViewLimits) -> Self {
        self.view = ListView::with_limits(limits);
        self
    }

    /// Headers every SUBSCRIBE of the subscription carries: `Supported:
    /// eventlist` (RFC 4662 section 4.1) and `Accept` for RLMI,
    /// multipart/related and the package's types (section 4.3).
    pub fn subscribe_headers(&self) -> Vec<(&'static str, String)> {
        let mut h = vec![
            ("Supported", "eventlist".to_owned()),
            ("Accept", rlmi::CONTENT_TYPE.to_owned()),
            ("Accept", MULTIPART_RELATED.to_owned()),
        ];
        for t in &self.accept {
            h.push(("Accept", t.clone()));
        }
        h
    }

    /// Headers and body for an initial SUBSCRIBE that carries its own list
    /// of `members` (RFC 5367): a flat resource-lists document.
    pub fn adhoc_request<S: AsRef<str>>(&self, members: &[S]) -> AdhocRequest {
        let mut headers = vec![("Require", "recipient-list-subscribe".to_owned())];
        headers.extend(self.subscribe_headers());
        headers.push(("Content-Type", resource_lists::CONTENT_TYPE.to_owned()));
        headers.push(("Content-Disposition", "recipient-list".to_owned()));
        let body = ResourceLists::new(vec![List::of_uris(members)]).to_xml();
        AdhocRequest { headers, body }
    }

    /// A NOTIFY of the subscription: its `Content-Type` value and body.
    /// A lost notification sets the refresh flag ([`Self::poll_refresh`]).
    pub fn handle_notify(&mut self, content_type: &str, body: &[u8]) -> Result<Applied, MimeError> {
        let n = RlmiNotification::parse(content_type, body, &self.limits)?;
        let applied = self.view.apply(&n);
        match applied {
            Applied::Gap { .. } => {
                self.refresh = true;
                self.synced = false;
            }
            Applied::Full { .. } => {
                self.refresh = false;
                self.synced = true;
            }
            _ => {}
        }
        Ok(applied)
    }

    /// Whether the application should send a refreshing SUBSCRIBE now to
    /// recover full state; reading the flag clears it.
    pub fn poll_refresh(&mut self) -> bool {
        std::mem::take(&mut self.refresh)
    }

    /// Whether the table is known complete: full state was applied and no
    /// notification has been seen missing since. While false after a gap,
    /// the application keeps asking for full state (a refresh that is lost
    /// must be sent again).
    pub fn is_synced(&self) -> bool {
        self.synced
    }

    /// The state table.
    pub fn view(&self) -> &ListView {
        &self.view
    }

    /// The state table, to prune.
    pub fn view_mut(&mut self) -> &mut ListView {
        &mut self.view
    }
}
