//! The "document + watcher list" wire format the border uses across a
//! peering link, and the watcher list of a back-end subscription.
//!
//! A back-end SUBSCRIBE (one per remote presentity, however many local
//! watchers) carries a `Peering` header naming the mode (`per-view` or
//! `delegated`) and a `text/uri-list` body (RFC 2483): the authenticated
//! URIs of the local watchers, one per line. Each change of that set is a
//! refresh SUBSCRIBE in the same dialog with the whole list.
//!
//! Per-view mode: each NOTIFY body is `multipart/mixed` (RFC 2046) with one
//! part per distinct view. Every part carries
//! - `View-State: active` or `View-State: pending` (the disclosed state:
//!   block is sent as pending and polite-block as active, so nothing across
//!   the link tells a blocked watcher apart), and
//! - `View-Watchers: <uri>,<uri>...` the watchers entitled to it,
//!
//! and as its content the `application/pidf+xml` view (empty when pending).
//! Every listed watcher appears in exactly one part.
//!
//! Delegated mode: the NOTIFY body is `multipart/mixed` with a part
//! `application/pidf+xml` (the full composed document) and, when the rules
//! changed or on the first NOTIFY, a part `application/auth-policy+xml`
//! (the presentity's rules cut down by [`policy::RuleSet::export_for`]).
#![cfg_attr(
    not(test),
    deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)
)]

use std::sync::Arc;

use policy::{SubHandling, ViewGroup};
use sip_core::header::{ContentType, MediaType};
use sip_core::multipart::{Multipart, MultipartBuilder, Part};
use sip_core::{Bytes, HeaderName, Limits};

/// The header naming a back-end subscription's mode.
pub const PEERING: &str = "Peering";
/// The part header listing a view's watchers.
pub const VIEW_WATCHERS: &str = "View-Watchers";
/// The part header giving a view's state.
pub const VIEW_STATE: &str = "View-State";
/// The PIDF media type.
pub const PIDF: &str = "application/pidf+xml";
/// The media type of presence authorization rules.
pub const POLICY: &str = "application/auth-policy+xml";
/// The watcher list media type.
pub const URI_LIST: &str = "text/uri-list";
/// Most watchers one list may carry.
pub const MAX_WATCHERS: usize = 100_000;

/// The limits bundles and lists are read with (large watcher lists are
/// long header lines).
pub fn limits() -> Limits {
    Limits {
        max_message: 4 << 20,
        max_headers: 64,
        max_line: 4 << 20,
        max_body: 4 << 20,
    }
}

/// The `Peering` header name.
pub fn peering_name() -> HeaderName {
    hname(PEERING)
}

/// How a back-end subscription receives its presentity's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PeerMode {
    /// One document per distinct view, each with its watcher list.
    PerView,
    /// One full document and the delegated rules.
    Delegated,
}

impl PeerMode {
    /// The `Peering` header value.
    pub fn as_str(self) -> &'static str {
        match self {
            PeerMode::PerView => "per-view",
            PeerMode::Delegated => "delegated",
        }
    }

    /// Reads a `Peering` header value.
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim() {
            "per-view" => Some(PeerMode::PerView),
            "delegated" => Some(PeerMode::Delegated),
            _ => None,
        }
    }
}

/// What the bundle or list reader refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BundleError {
    /// The body is not a readable multipart body.
    #[error("view bundle: {0}")]
    Multipart(#[from] sip_core::MultipartError),
    /// A part lacks a header or has a bad value.
    #[error("view bundle part {part}: bad or missing {what}")]
    Part {
        /// The part's index.
        part: usize,
        /// Which header.
        what: &'static str,
    },
    /// A watcher listed twice.
    #[error("view bundle: watcher {0} listed in two views")]
    Duplicate(String),
    /// Too many watchers.
    #[error("more than {MAX_WATCHERS} watchers")]
    TooMany,
    /// A watcher list line is not a URI of a known scheme.
    #[error("watcher list line {line}: not a sip URI")]
    BadUri {
        /// 1-based line number.
        line: usize,
    },
}

/// One view and who gets it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct View {
    /// Active (with a document) or pending (none).
    pub active: bool,
    /// The watchers entitled to it.
    pub watchers: Vec<String>,
    /// The PIDF document; empty when pending.
    pub document: Bytes,
}

/// A per-view NOTIFY body.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct ViewBundle {
    /// The views, each once.
    pub views: Vec<View>,
}

fn hname(s: &str) -> HeaderName {
    HeaderName::new(s).unwrap_or(HeaderName::CONTENT_ID)
}

impl ViewBundle {
    /// The bundle for `groups` computed over `watchers` (the same slice
    /// given to [`policy::RuleSet::views`]).
    pub fn from_groups(groups: &[ViewGroup], watchers: &[String]) -> Self {
        let views = groups
            .iter()
            .map(|g| View {
                active: g.sub_handling == SubHandling::Allow && g.document.is_some(),
                watchers: g
                    .watchers
                    .iter()
                    .filter_map(|i| watchers.get(*i).cloned())
                    .collect(),
                document: g
                    .document
                    .as_ref()
                    .map_or_else(Bytes::new, |d: &Arc<[u8]>| Bytes::copy_from_slice(d)),
            })
            .collect();
        ViewBundle { views }
    }

    /// How many PIDF documents the bundle carries.
    pub fn documents(&self) -> usize {
        self.views.iter().filter(|v| v.active).count()
    }

    /// Writes the body; returns its Content-Type.
    pub fn build(&self) -> (ContentType, Bytes) {
        let mut b = MultipartBuilder::mixed();
        let pidf = MediaType::new("application", "pidf+xml");
        for v in &self.views {
            let mut p = match &pidf {
                Some(m) => Part::new(m, v.document.clone()),
                None => Part::default(),
            };
            let mut list = String::new();
            for (i, w) in v.watchers.iter().enumerate() {
                if i > 0 {
                    list.push(',');
                }
                list.push('<');
                list.push_str(w);
                list.push('>');
            }
            p.headers.push(
                hname(VIEW_STATE),
                if v.active { "active" } else { "pending" },
            );
            p.headers.push(hname(VIEW_WATCHERS), list);
            b = b.part(p);
        }
        b.build()
    }

    /// Reads a body of Content-Type `media`.
    pub fn parse(media: &MediaType, body: &Bytes) -> Result<Self, BundleError> {
        let mp = Multipart::parse(media, body, &limits())?;
        let mut seen = std::collections::HashSet::new();
        let mut views = Vec::with_capacity(mp.parts().len());
        for (i, p) in mp.parts().iter().enumerate() {
            let bad = |what| BundleError::Part { part: i, what };
            let state = p.headers.get(&hname(VIEW_STATE)).ok_or(bad(VIEW_STATE))?;
            let active = match &state[..] {
                b"active" => true,
                b"pending" => false,
                _ => return Err(bad(VIEW_STATE)),
            };
            let list = p
                .headers
                .get(&hname(VIEW_WATCHERS))
                .ok_or(bad(VIEW_WATCHERS))?;
            let list = std::str::from_utf8(list).map_err(|_| bad(VIEW_WATCHERS))?;
            let mut watchers = Vec::new();
            for item in list.split('>') {
                let item = item.trim_start_matches([',', ' ', '\t']);
                if item.is_empty() {
                    continue;
                }
                let uri = item.strip_prefix('<').ok_or(bad(VIEW_WATCHERS))?;
                if seen.len() >= MAX_WATCHERS {
                    return Err(BundleError::TooMany);
                }
                if !seen.insert(uri.to_owned()) {
                    return Err(BundleError::Duplicate(uri.to_owned()));
                }
                watchers.push(uri.to_owned());
            }
            views.push(View {
                active,
                watchers,
                document: p.body.clone(),
            });
        }
        Ok(ViewBundle { views })
    }
}

/// A delegated-mode NOTIFY body.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Delegated {
    /// The full composed PIDF document.
    pub document: Bytes,
    /// The exported rules, when sent.
    pub rules: Option<Bytes>,
}

impl Delegated {
    /// Writes the body; returns its Content-Type.
    pub fn build(&self) -> (ContentType, Bytes) {
        let mut b = MultipartBuilder::mixed();
        if let Some(m) = MediaType::new("application", "pidf+xml") {
            b = b.part(Part::new(&m, self.document.clone()));
        }
        if let (Some(r), Some(m)) = (
            &self.rules,
            MediaType::new("application", "auth-policy+xml"),
        ) {
            b = b.part(Part::new(&m, r.clone()));
        }
        b.build()
    }

    /// Reads a body of Content-Type `media`.
    pub fn parse(media: &MediaType, body: &Bytes) -> Result<Self, BundleError> {
        let mp = Multipart::parse(media, body, &limits())?;
        let mut document = None;
        let mut rules = None;
        for (i, p) in mp.parts().iter().enumerate() {
            let ct = p.content_type().ok_or(BundleError::Part {
                part: i,
                what: "Content-Type",
            })?;
            match (ct.mtype(), ct.subtype()) {
                (b"application", b"pidf+xml") => document = Some(p.body.clone()),
                (b"application", b"auth-policy+xml") => rules = Some(p.body.clone()),
                _ => {}
            }
        }
        Ok(Delegated {
            document: document.ok_or(BundleError::Part {
                part: 0,
                what: "application/pidf+xml part",
            })?,
            rules,
        })
    }
}

/// Writes a watcher list (`text/uri-list`).
pub fn write_uri_list(watchers: &[String]) -> Bytes {
    let mut s = String::with_capacity(watchers.len() * 32);
    for w in watchers {
        s.push_str(w);
        s.push_str("\r\n");
    }
    Bytes::from(s)
}

/// Reads a watcher list: one URI per line, `#` comments skipped (RFC 2483
/// section 5); every URI must have a domain.
pub fn parse_uri_list(body: &[u8]) -> Result<Vec<String>, BundleError> {
    let text = std::str::from_utf8(body).map_err(|_| BundleError::BadUri { line: 1 })?;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if out.len() >= MAX_WATCHERS {
            return Err(BundleError::TooMany);
        }
        if crate::sip::domain_of(line).is_none() {
            return Err(BundleError::BadUri { line: i + 1 });
        }
        out.push(line.to_owned());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn media(ct: &ContentType) -> MediaType {
        ct.0.clone()
    }

    #[test]
    fn bundle_round_trip_and_refusals() {
        let b = ViewBundle {
            views: vec![
                View {
                    active: true,
                    watchers: vec!["sip:a@example.com".into(), "sip:b,c@example.com".into()],
                    document: Bytes::from_static(b"<presence/>"),
                },
                View {
                    active: false,
                    watchers: vec!["sip:d@example.com".into()],
                    document: Bytes::new(),
                },
            ],
        };
        let (ct, body) = b.build();
        assert_eq!(ViewBundle::parse(&media(&ct), &body).unwrap(), b);
        assert_eq!(b.documents(), 1);
        let dup = ViewBundle {
            views: vec![b.views[0].clone(), b.views[0].clone()],
        };
        let (ct, body) = dup.build();
        assert!(matches!(
            ViewBundle::parse(&media(&ct), &body),
            Err(BundleError::Duplicate(_))
        ));
    }

    #[test]
    fn uri_lists() {
        let l = vec!["sip:a@x.com".to_owned(), "sip:b@y.com".to_owned()];
        assert_eq!(parse_uri_list(&write_uri_list(&l)).unwrap(), l);
        assert_eq!(
            parse_uri_list(b"# c\r\nsip:a@x.com\r\nnonsense\r\n"),
            Err(BundleError::BadUri { line: 3 })
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        #[test]
        fn framed_bodies_rebuild_equal(parts in prop::collection::vec(("(active|pending|x)", "[ -~]{0,30}", prop::collection::vec(any::<u8>(), 0..40)), 0..4)) {
            let mut body = Vec::new();
            for (st, ws, content) in &parts {
                body.extend_from_slice(format!("--b\r\nView-State: {st}\r\nView-Watchers: {ws}\r\n\r\n").as_bytes());
                body.extend_from_slice(content);
                body.extend_from_slice(b"\r\n");
            }
            body.extend_from_slice(b"--b--\r\n");
            let m = MediaType::new("multipart", "mixed").unwrap().with_param("boundary", "b").unwrap();
            if let Ok(b) = ViewBundle::parse(&m, &Bytes::from(body)) {
                let (ct, again) = b.build();
                prop_assert_eq!(ViewBundle::parse(&media(&ct), &again).unwrap(), b);
            }
        }

        #[test]
        fn round_trip(views in prop::collection::vec((any::<bool>(), prop::collection::vec("[a-z]{1,6}", 0..4), "[ -~]{0,40}"), 0..4)) {
            let mut n = 0;
            let b = ViewBundle { views: views.into_iter().map(|(active, ws, d)| View {
                active,
                watchers: ws.into_iter().map(|w| { n += 1; format!("sip:{w}{n}@example.com") }).collect(),
                document: if active { Bytes::from(d) } else { Bytes::new() },
            }).collect() };
            let (ct, body) = b.build();
            prop_assert_eq!(ViewBundle::parse(&media(&ct), &body).unwrap(), b);
        }

        #[test]
        fn arbitrary_bodies_never_panic(body in prop::collection::vec(any::<u8>(), 0..512)) {
            let m = MediaType::new("multipart", "mixed").unwrap().with_param("boundary", "xyz").unwrap();
            let body = Bytes::from(body);
            if let Ok(b) = ViewBundle::parse(&m, &body) {
                let (ct, again) = b.build();
                prop_assert_eq!(ViewBundle::parse(&media(&ct), &again).unwrap(), b);
            }
            let _ = Delegated::parse(&m, &body);
            let _ = parse_uri_list(&body);
        }
    }
}
