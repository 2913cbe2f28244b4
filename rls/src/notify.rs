//! RLMI notification bodies: `multipart/related; type="application/rlmi+xml"`
//! with the RLMI document as root part and one part per reported instance
//! (RFC 4662 section 5, multipart/related of RFC 2387).

#![cfg_attr(
    not(test),
    deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)
)]

use pidf::xml::Limits;

use crate::error::{MimeError, MimeErrorKind};
use crate::mime::{strip_angle, write_close, write_part, ContentType, MimeLimits, Multipart};
use crate::rlmi::{self, Rlmi};

/// The body's media type.
pub const MULTIPART_RELATED: &str = "multipart/related";

/// Caps for parsing a notification body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NotifyLimits {
    /// Caps on the multipart framing.
    pub mime: MimeLimits,
    /// Caps on the RLMI document.
    pub xml: Limits,
}

/// One state part of a notification: the body the back-end subscription
/// delivered, labeled with the Content-ID an `<instance cid=...>` names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatePart {
    /// Content-ID without angle brackets.
    pub cid: String,
    /// The part's `Content-Type` value as written (e.g.
    /// `application/pidf+xml;charset="UTF-8"`).
    pub content_type: String,
    /// The part's body, bytes as received.
    pub body: Vec<u8>,
}

/// A whole list notification: the RLMI root and the state parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RlmiNotification {
    /// The root document.
    pub rlmi: Rlmi,
    /// Content-ID of the root part (the `start` parameter), without brackets.
    pub root_cid: String,
    /// The other top-level parts, in order.
    pub parts: Vec<StatePart>,
}

/// A body ready to put in a NOTIFY: its `Content-Type` value and bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodedBody {
    /// The `Content-Type` header value, with `type`, `start` and `boundary`.
    pub content_type: String,
    /// The body.
    pub body: Vec<u8>,
}

impl RlmiNotification {
    /// A notification with no state parts.
    pub fn new(rlmi: Rlmi, root_cid: impl Into<String>) -> Self {
        RlmiNotification {
            rlmi,
            root_cid: root_cid.into(),
            parts: Vec::new(),
        }
    }

    /// The state part with Content-ID `cid`.
    pub fn part(&self, cid: &str) -> Option<&StatePart> {
        self.parts.iter().find(|p| p.cid == cid)
    }

    /// The state parts by Content-ID, for many lookups (a full-state
    /// notification of a large list).
    pub fn parts_by_cid(&self) -> std::collections::HashMap<&str, &StatePart> {
        self.parts.iter().map(|p| (p.cid.as_str(), p)).collect()
    }

    /// The `cid`s of the RLMI document (list and instances) that name no
    /// part of this body; RFC 4662 section 5.5 wants none.
    pub fn dangling_cids(&self) -> Vec<&str> {
        let index = self.parts_by_cid();
        let list = self.rlmi.cid.as_deref();
        let instances = self
            .rlmi
            .resources
            .iter()
            .flat_map(|r| r.instances.iter().filter_map(|i| i.cid.as_deref()));
        list.into_iter()
            .chain(instances)
            .filter(|c| !index.contains_key(c))
            .collect()
    }

    /// Encodes the body with delimiter `--boundary`. The caller picks a
    /// boundary that no part contains; [`RlmiNotification::encode`] does.
    pub fn encode_with_boundary(&self, boundary: &str) -> EncodedBody {
        let mut body = Vec::with_capacity(
            self.parts.iter().map(|p| p.body.len() + 160).sum::<usize>()
                + 256
                + self.rlmi.resources.len() * 160,
        );
        let mut rlmi_xml = Vec::with_capacity(256 + self.rlmi.resources.len() * 160);
        self.rlmi.write(&mut rlmi_xml);
        let root_id = format!("<{}>", self.root_cid);
        write_part(
            &mut body,
            boundary,
            [
                ("Content-Transfer-Encoding", "binary"),
                ("Content-ID", root_id.as_str()),
                ("Content-Type", "application/rlmi+xml;charset=\"UTF-8\""),
            ],
            &rlmi_xml,
        );
        let mut id = String::new();
        for p in &self.parts {
            id.clear();
            id.push('<');
            id.push_str(&p.cid);
            id.push('>');
            write_part(
                &mut body,
                boundary,
                [
                    ("Content-Transfer-Encoding", "binary"),
                    ("Content-ID", id.as_str()),
                    ("Content-Type", p.content_type.as_str()),
                ],
                &p.body,
            );
        }
        write_close(&mut body, boundary);
        let content_type = ContentType::new(MULTIPART_RELATED)
            .with_param("type", rlmi::CONTENT_TYPE)
            .with_param("start", root_id.clone())
            .with_param("boundary", boundary)
            .to_string();
        EncodedBody { content_type, body }
    }

    /// Encodes the body with a boundary derived from `seed` that occurs in
    /// no part.
    pub fn encode(&self, seed: u64) -> EncodedBody {
        let mut s = seed;
        loop {
            let boundary = boundary_from(s);
            let clash = self
                .parts
                .iter()
                .any(|p| contains(&p.body, boundary.as_bytes()));
            if !clash {
                return self.encode_with_boundary(&boundary);
            }
            s = s.wrapping_add(0x9E37_79B9_7F4A_7C15);
        }
    }

    /// Parses a body given the NOTIFY's `Content-Type` value.
    pub fn parse(
        content_type: &str,
        body: &[u8],
        limits: &NotifyLimits,
    ) -> Result<Self, MimeError> {
        let ct = ContentType::parse(content_type)?;
        if ct.mime != MULTIPART_RELATED
            || !ct
                .param("type")
                .is_some_and(|t| t.eq_ignore_ascii_case(rlmi::CONTENT_TYPE))
        {
            return Err(MimeError::new(MimeErrorKind::NotRlmi, 0));
        }
        let boundary = ct
            .param("boundary")
            .ok_or_else(|| MimeError::new(MimeErrorKind::BadBoundary, 0))?;
        let mp = Multipart::parse(body, boundary, &limits.mime)?;
        Self::from_multipart_owned(mp, ct.param("start").map(strip_angle), limits)
    }

    /// Parses a body whose `Content-Type` is not at hand (a stored body):
    /// the boundary comes from the first line and the root is the first
    /// part.
    pub fn parse_detect(body: &[u8], limits: &NotifyLimits) -> Result<Self, MimeError> {
        let mp = Multipart::parse_detect(body, &limits.mime)?;
        Self::from_multipart_owned(mp, None, limits)
    }

    /// Reads a notification from parsed multipart parts; the root is the
    /// part whose Content-ID is `start`, else the first part (RFC 2387
    /// section 3.2).
    pub fn from_multipart(
        mp: &Multipart,
        start: Option<&str>,
        limits: &NotifyLimits,
    ) -> Result<Self, MimeError> {
        Self::from_multipart_owned(mp.clone(), start, limits)
    }

    /// [`RlmiNotification::from_multipart`] taking the parts by value, so
    /// their bodies move instead of being copied.
    pub fn from_multipart_owned(
        mp: Multipart,
        start: Option<&str>,
        limits: &NotifyLimits,
    ) -> Result<Self, MimeError> {
        let root_index = match start {
            Some(s) => mp.parts.iter().position(|p| p.content_id() == Some(s)),
            None => (!mp.parts.is_empty()).then_some(0),
        }
        .ok_or_else(|| MimeError::new(MimeErrorKind::NoRoot, 0))?;
        let mut doc = None;
        let mut root_cid = String::new();
        let mut parts = Vec::with_capacity(mp.parts.len().saturating_sub(1));
        for (i, p) in mp.parts.into_iter().enumerate() {
            if i == root_index {
                let is_rlmi = p
                    .content_type()
                    .is_some_and(|c| c.mime == rlmi::CONTENT_TYPE);
                if !is_rlmi {
                    return Err(MimeError::new(MimeErrorKind::NoRoot, 0));
                }
                doc = Some(
                    Rlmi::parse_with(&p.body, &limits.xml)
                        .map_err(|e| MimeError::new(MimeErrorKind::Root(Box::new(e)), 0))?,
                );
                root_cid = p.content_id().unwrap_or_default().to_owned();
                continue;
            }
            parts.push(StatePart {
                cid: p.content_id().unwrap_or_default().to_owned(),
                content_type: p.header("Content-Type").unwrap_or("text/plain").to_owned(),
                body: p.body,
            });
        }
        let rlmi = doc.ok_or_else(|| MimeError::new(MimeErrorKind::NoRoot, 0))?;
        Ok(RlmiNotification {
            rlmi,
            root_cid,
            parts,
        })
    }
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    memchr::memmem::find(hay, needle).is_some()
}

/// A 20-character boundary from the base-62 digits of a mixed seed.
fn boundary_from(seed: u64) -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut x = crate::ids::mix(seed);
    let mut s = String::with_capacity(20);
    for i in 0..20 {
        if i == 10 {
            x = crate::ids::mix(x);
        }
        let d = (x % 62) as usize;
        x /= 62;
        s.push(char::from(ALPHABET.get(d).copied().unwrap_or(b'x')));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rlmi::{Instance, InstanceState, Resource};

    fn sample() -> RlmiNotification {
        let mut doc = Rlmi::new("sip:l@example.com", 3, false);
        doc.resources.push(
            Resource::new("sip:a@example.com").with_instance(
                Instance::new("1", InstanceState::Active).with_cid("a1@example.com"),
            ),
        );
        let mut n = RlmiNotification::new(doc, "root@example.com");
        n.parts.push(StatePart {
            cid: "a1@example.com".into(),
            content_type: "application/pidf+xml".into(),
            body: b"<presence/>".to_vec(),
        });
        n
    }

    #[test]
    fn encode_parse_round_trip() {
        let n = sample();
        let enc = n.encode(7);
        let back = RlmiNotification::parse(&enc.content_type, &enc.body, &NotifyLimits::default())
            .unwrap();
        assert_eq!(back, n);
        assert!(back.dangling_cids().is_empty());
        assert_eq!(
            RlmiNotification::parse_detect(&enc.body, &NotifyLimits::default()).unwrap(),
            n
        );
        let ct = ContentType::parse(&enc.content_type).unwrap();
        assert_eq!(ct.param("start"), Some("<root@example.com>"));
        assert_eq!(ct.param("type"), Some("application/rlmi+xml"));
    }

    #[test]
    fn boundary_avoids_part_content() {
        let mut n = sample();
        let b = boundary_from(7);
        n.parts[0].body = format!("--{b}\r\n").into_bytes();
        let enc = n.encode(7);
        assert!(!enc.content_type.contains(&b));
        let back = RlmiNotification::parse(&enc.content_type, &enc.body, &NotifyLimits::default())
            .unwrap();
        assert_eq!(back, n);
    }

    #[test]
    fn wrong_types_are_refused() {
        let l = NotifyLimits::default();
        let enc = sample().encode(1);
        let e = RlmiNotification::parse("application/pidf+xml", &enc.body, &l).unwrap_err();
        assert_eq!(e.kind, MimeErrorKind::NotRlmi);
        let e = RlmiNotification::parse(
            "multipart/related;type=\"application/rlmi+xml\"",
            &enc.body,
            &l,
        )
        .unwrap_err();
        assert_eq!(e.kind, MimeErrorKind::BadBoundary);
        let mut dangling = sample();
        dangling.parts.clear();
        assert_eq!(dangling.dangling_cids(), ["a1@example.com"]);
        let ct = enc.content_type.replace("<root@", "<nothere@");
        let e = RlmiNotification::parse(&ct, &enc.body, &l).unwrap_err();
        assert_eq!(e.kind, MimeErrorKind::NoRoot);
    }
}
