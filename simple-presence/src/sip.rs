//! Small helpers over `sip-core` messages shared by the roles: address
//! extraction, domains, request building.
#![cfg_attr(
    not(test),
    deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)
)]

use sip_core::header::{CSeq, CallId, ContentType, Event, Expires, From, MaxForwards, To};
use sip_core::{Bytes, HeaderName, Headers, Method, NameAddr, Request, RequestBuilder, Uri};

/// `P-Asserted-Identity` (RFC 3325), the identity a trusted element asserts.
pub const P_ASSERTED_IDENTITY: &str = "P-Asserted-Identity";

/// The header name for `P-Asserted-Identity`.
pub fn pai_name() -> HeaderName {
    HeaderName::new(P_ASSERTED_IDENTITY).unwrap_or(HeaderName::FROM)
}

/// The URI inside a header value: between `<` and `>` when bracketed, else
/// up to the first `;`, trimmed.
pub fn addr_in(value: &[u8]) -> Option<String> {
    let s = std::str::from_utf8(value).ok()?;
    let uri = match (s.find('<'), s.find('>')) {
        (Some(a), Some(b)) if a < b => s.get(a + 1..b)?,
        _ => s.split(';').next()?,
    };
    let uri = uri.trim();
    (!uri.is_empty()).then(|| uri.to_owned())
}

/// The host part of a `sip:`, `sips:`, `pres:` or `im:` URI, lower-cased;
/// `None` for other schemes or no host.
pub fn domain_of(uri: &str) -> Option<String> {
    let (scheme, rest) = uri.split_once(':')?;
    if !["sip", "sips", "pres", "im"]
        .iter()
        .any(|s| s.eq_ignore_ascii_case(scheme))
    {
        return None;
    }
    let rest = rest.rsplit_once('@').map_or(rest, |(_, h)| h);
    let host = rest
        .split([';', '?', ':', '>'])
        .next()?
        .trim_end_matches('.');
    (!host.is_empty()).then(|| host.to_ascii_lowercase())
}

/// The address-of-record of a URI: `sip:user@host` (lower-cased host, no
/// port or parameters); `pres:`/`im:`/`sips:` map to `sip:`.
pub fn aor(uri: &str) -> Option<String> {
    let host = domain_of(uri)?;
    let (_, rest) = uri.split_once(':')?;
    match rest.rsplit_once('@') {
        Some((user, _)) => Some(format!("sip:{user}@{host}")),
        None => Some(format!("sip:{host}")),
    }
}

/// The first value of header `name` as text.
pub fn header_str<'a>(h: &'a Headers, name: &HeaderName) -> Option<&'a str> {
    h.get(name).and_then(|v| std::str::from_utf8(v).ok())
}

/// The URI of the From header.
pub fn from_uri(h: &Headers) -> Option<String> {
    h.get(&HeaderName::FROM).and_then(|v| addr_in(v))
}

/// The URI of the first P-Asserted-Identity.
pub fn pai_uri(h: &Headers) -> Option<String> {
    h.get(&pai_name()).and_then(|v| addr_in(v))
}

/// The identity of a request's sender as a trusted element asserted it:
/// P-Asserted-Identity when present, else From.
pub fn asserted(h: &Headers) -> Option<String> {
    pai_uri(h).or_else(|| from_uri(h))
}

/// The event package of a request, lower-cased, without parameters.
pub fn event_package(h: &Headers) -> Option<String> {
    let v = header_str(h, &HeaderName::EVENT)?;
    Some(v.split(';').next()?.trim().to_ascii_lowercase())
}

/// The Request-URI as text.
pub fn target(req: &Request) -> String {
    req.uri().to_string()
}

/// Everything needed to start a dialog-creating or standalone request.
#[derive(Debug, Clone)]
pub struct NewRequest<'a> {
    /// The method.
    pub method: Method,
    /// Request-URI (and To).
    pub to: &'a str,
    /// From URI.
    pub from: &'a str,
    /// From tag.
    pub tag: &'a str,
    /// Call-ID.
    pub call_id: &'a str,
    /// Contact URI, if any.
    pub contact: Option<&'a str>,
    /// Event package, if any.
    pub event: Option<&'a str>,
    /// Expires, if any.
    pub expires: Option<u32>,
}

impl NewRequest<'_> {
    /// Builds the request, with `body` of `content_type` if given.
    pub fn build(&self, body: Option<(&ContentType, Bytes)>) -> Option<Request> {
        let to = Uri::parse_str(self.to).ok()?;
        let from = Uri::parse_str(self.from).ok()?;
        let mut b = RequestBuilder::new(self.method.clone(), to.clone())
            .typed(&MaxForwards(70))
            .typed(&From::new(NameAddr::new(from)).with_tag(self.tag)?)
            .typed(&To::new(NameAddr::new(to)))
            .typed(&CallId(Bytes::copy_from_slice(self.call_id.as_bytes())))
            .typed(&CSeq {
                seq: 1,
                method: self.method.clone(),
            });
        if let Some(c) = self.contact {
            b = b.header(HeaderName::CONTACT, format!("<{c}>"));
        }
        if let Some(e) = self.event {
            b = b.typed(&Event::new(e)?);
        }
        if let Some(x) = self.expires {
            b = b.typed(&Expires(x));
        }
        if let Some((ct, body)) = body {
            b = b.body(ct, body);
        }
        Some(b.build())
    }
}

/// A Content-Type from `type/subtype`.
pub fn content_type(mime: &str) -> Option<ContentType> {
    let (t, s) = mime.split_once('/')?;
    sip_core::header::MediaType::new(t, s).map(ContentType)
}

/// Sets a request's body and Content-Type (and Content-Length).
pub fn set_body(req: &mut Request, ct: &ContentType, body: Bytes) {
    req.headers_mut().set_typed(ct);
    req.set_body(body);
}

/// Whether a message's Content-Type is `mime` (parameters ignored).
pub fn is_type(h: &Headers, mime: &str) -> bool {
    header_str(h, &HeaderName::CONTENT_TYPE)
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case(mime))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains_and_aors() {
        for (uri, d, a) in [
            (
                "sip:alice@Example.COM",
                "example.com",
                "sip:alice@example.com",
            ),
            (
                "sips:bob@example.net:5061;transport=tcp",
                "example.net",
                "sip:bob@example.net",
            ),
            (
                "pres:carol@example.org",
                "example.org",
                "sip:carol@example.org",
            ),
            ("sip:example.com", "example.com", "sip:example.com"),
        ] {
            assert_eq!(domain_of(uri).as_deref(), Some(d), "{uri}");
            assert_eq!(aor(uri).as_deref(), Some(a), "{uri}");
        }
        assert_eq!(domain_of("mailto:a@b"), None);
        assert_eq!(domain_of("sip:"), None);
        assert_eq!(
            addr_in(b"\"A\" <sip:a@b>;tag=1").as_deref(),
            Some("sip:a@b")
        );
        assert_eq!(addr_in(b"sip:a@b;tag=1").as_deref(), Some("sip:a@b"));
    }
}
