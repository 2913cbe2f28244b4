//! Header names: case-insensitive, with RFC 3261 7.3.3 compact forms.

use bytes::Bytes;
use std::fmt;
use std::hash::{Hash, Hasher};

/// A header name (RFC 3261 7.3): compared case-insensitively; compact forms
/// (`v`, `i`, `m` ...) map to the full name's constant.
///
/// Unknown names keep the spelling they were received with.
#[derive(Clone)]
pub struct HeaderName(Repr);

#[derive(Clone)]
enum Repr {
    Std(u8),
    Custom(Bytes),
}

macro_rules! std_names {
    ($($(#[$doc:meta])* $konst:ident = $idx:literal, $full:literal, $exact:literal, $lower:literal, $compact:expr;)*) => {
        const STD: &[(&str, Option<u8>)] = &[$(($full, $compact),)*];

        impl HeaderName {
            $($(#[$doc])* pub const $konst: HeaderName = HeaderName(Repr::Std($idx));)*
        }

        /// Names spelled exactly as the RFC does (the common case): no
        /// case folding needed.
        fn lookup_exact(s: &[u8]) -> Option<u8> {
            match s {
                $($exact => Some($idx),)*
                _ => None,
            }
        }

        fn lookup_lower(lower: &[u8]) -> Option<u8> {
            match lower {
                $($lower => Some($idx),)*
                _ => None,
            }
        }
    };
}

std_names! {
    /// Accept.
    ACCEPT = 0, "Accept", b"Accept", b"accept", None;
    /// Accept-Contact (RFC 3841; compact `a`).
    ACCEPT_CONTACT = 1, "Accept-Contact", b"Accept-Contact", b"accept-contact", Some(b'a');
    /// Accept-Encoding.
    ACCEPT_ENCODING = 2, "Accept-Encoding", b"Accept-Encoding", b"accept-encoding", None;
    /// Accept-Language.
    ACCEPT_LANGUAGE = 3, "Accept-Language", b"Accept-Language", b"accept-language", None;
    /// Alert-Info.
    ALERT_INFO = 4, "Alert-Info", b"Alert-Info", b"alert-info", None;
    /// Allow.
    ALLOW = 5, "Allow", b"Allow", b"allow", None;
    /// Allow-Events (RFC 6665; compact `u`).
    ALLOW_EVENTS = 6, "Allow-Events", b"Allow-Events", b"allow-events", Some(b'u');
    /// Authentication-Info.
    AUTHENTICATION_INFO = 7, "Authentication-Info", b"Authentication-Info", b"authentication-info", None;
    /// Authorization.
    AUTHORIZATION = 8, "Authorization", b"Authorization", b"authorization", None;
    /// Call-ID (compact `i`).
    CALL_ID = 9, "Call-ID", b"Call-ID", b"call-id", Some(b'i');
    /// Call-Info.
    CALL_INFO = 10, "Call-Info", b"Call-Info", b"call-info", None;
    /// Contact (compact `m`).
    CONTACT = 11, "Contact", b"Contact", b"contact", Some(b'm');
    /// Content-Disposition.
    CONTENT_DISPOSITION = 12, "Content-Disposition", b"Content-Disposition", b"content-disposition", None;
    /// Content-Encoding (compact `e`).
    CONTENT_ENCODING = 13, "Content-Encoding", b"Content-Encoding", b"content-encoding", Some(b'e');
    /// Content-ID (RFC 2392).
    CONTENT_ID = 14, "Content-ID", b"Content-ID", b"content-id", None;
    /// Content-Language.
    CONTENT_LANGUAGE = 15, "Content-Language", b"Content-Language", b"content-language", None;
    /// Content-Length (compact `l`).
    CONTENT_LENGTH = 16, "Content-Length", b"Content-Length", b"content-length", Some(b'l');
    /// Content-Type (compact `c`).
    CONTENT_TYPE = 17, "Content-Type", b"Content-Type", b"content-type", Some(b'c');
    /// CSeq.
    CSEQ = 18, "CSeq", b"CSeq", b"cseq", None;
    /// Date.
    DATE = 19, "Date", b"Date", b"date", None;
    /// Error-Info.
    ERROR_INFO = 20, "Error-Info", b"Error-Info", b"error-info", None;
    /// Event (RFC 6665; compact `o`).
    EVENT = 21, "Event", b"Event", b"event", Some(b'o');
    /// Expires.
    EXPIRES = 22, "Expires", b"Expires", b"expires", None;
    /// From (compact `f`).
    FROM = 23, "From", b"From", b"from", Some(b'f');
    /// Identity (RFC 8224; compact `y`).
    IDENTITY = 24, "Identity", b"Identity", b"identity", Some(b'y');
    /// In-Reply-To.
    IN_REPLY_TO = 25, "In-Reply-To", b"In-Reply-To", b"in-reply-to", None;
    /// Max-Forwards.
    MAX_FORWARDS = 26, "Max-Forwards", b"Max-Forwards", b"max-forwards", None;
    /// MIME-Version.
    MIME_VERSION = 27, "MIME-Version", b"MIME-Version", b"mime-version", None;
    /// Min-Expires.
    MIN_EXPIRES = 28, "Min-Expires", b"Min-Expires", b"min-expires", None;
    /// Organization.
    ORGANIZATION = 29, "Organization", b"Organization", b"organization", None;
    /// Priority.
    PRIORITY = 30, "Priority", b"Priority", b"priority", None;
    /// Proxy-Authenticate.
    PROXY_AUTHENTICATE = 31, "Proxy-Authenticate", b"Proxy-Authenticate", b"proxy-authenticate", None;
    /// Proxy-Authorization.
    PROXY_AUTHORIZATION = 32, "Proxy-Authorization", b"Proxy-Authorization", b"proxy-authorization", None;
    /// Proxy-Require.
    PROXY_REQUIRE = 33, "Proxy-Require", b"Proxy-Require", b"proxy-require", None;
    /// Record-Route.
    RECORD_ROUTE = 34, "Record-Route", b"Record-Route", b"record-route", None;
    /// Refer-To (RFC 3515; compact `r`).
    REFER_TO = 35, "Refer-To", b"Refer-To", b"refer-to", Some(b'r');
    /// Referred-By (RFC 3892; compact `b`).
    REFERRED_BY = 36, "Referred-By", b"Referred-By", b"referred-by", Some(b'b');
    /// Reject-Contact (RFC 3841; compact `j`).
    REJECT_CONTACT = 37, "Reject-Contact", b"Reject-Contact", b"reject-contact", Some(b'j');
    /// Reply-To.
    REPLY_TO = 38, "Reply-To", b"Reply-To", b"reply-to", None;
    /// Request-Disposition (RFC 3841; compact `d`).
    REQUEST_DISPOSITION = 39, "Request-Disposition", b"Request-Disposition", b"request-disposition", Some(b'd');
    /// Require.
    REQUIRE = 40, "Require", b"Require", b"require", None;
    /// Retry-After.
    RETRY_AFTER = 41, "Retry-After", b"Retry-After", b"retry-after", None;
    /// Route.
    ROUTE = 42, "Route", b"Route", b"route", None;
    /// Server.
    SERVER = 43, "Server", b"Server", b"server", None;
    /// Session-Expires (RFC 4028; compact `x`).
    SESSION_EXPIRES = 44, "Session-Expires", b"Session-Expires", b"session-expires", Some(b'x');
    /// SIP-ETag (RFC 3903).
    SIP_ETAG = 45, "SIP-ETag", b"SIP-ETag", b"sip-etag", None;
    /// SIP-If-Match (RFC 3903).
    SIP_IF_MATCH = 46, "SIP-If-Match", b"SIP-If-Match", b"sip-if-match", None;
    /// Subject (compact `s`).
    SUBJECT = 47, "Subject", b"Subject", b"subject", Some(b's');
    /// Subscription-State (RFC 6665).
    SUBSCRIPTION_STATE = 48, "Subscription-State", b"Subscription-State", b"subscription-state", None;
    /// Supported (compact `k`).
    SUPPORTED = 49, "Supported", b"Supported", b"supported", Some(b'k');
    /// Timestamp.
    TIMESTAMP = 50, "Timestamp", b"Timestamp", b"timestamp", None;
    /// To (compact `t`).
    TO = 51, "To", b"To", b"to", Some(b't');
    /// Unsupported.
    UNSUPPORTED = 52, "Unsupported", b"Unsupported", b"unsupported", None;
    /// User-Agent.
    USER_AGENT = 53, "User-Agent", b"User-Agent", b"user-agent", None;
    /// Via (compact `v`).
    VIA = 54, "Via", b"Via", b"via", Some(b'v');
    /// Warning.
    WARNING = 55, "Warning", b"Warning", b"warning", None;
    /// WWW-Authenticate.
    WWW_AUTHENTICATE = 56, "WWW-Authenticate", b"WWW-Authenticate", b"www-authenticate", None;
    /// Identity-Info (RFC 4474; compact `n`).
    IDENTITY_INFO = 57, "Identity-Info", b"Identity-Info", b"identity-info", Some(b'n');
    /// Content-Transfer-Encoding (MIME part header).
    CONTENT_TRANSFER_ENCODING = 58, "Content-Transfer-Encoding", b"Content-Transfer-Encoding", b"content-transfer-encoding", None;
    /// Path (RFC 3327).
    PATH = 59, "Path", b"Path", b"path", None;
}

fn compact_lookup(b: u8) -> Option<u8> {
    let lower = b.to_ascii_lowercase();
    STD.iter()
        .position(|(_, c)| *c == Some(lower))
        .and_then(|i| u8::try_from(i).ok())
}

impl HeaderName {
    /// Names a header from its wire spelling: case-insensitive; compact
    /// forms give the full name. Returns `(name, was_compact)`.
    pub(crate) fn lookup(s: &[u8]) -> Option<(u8, bool)> {
        if let [b] = s {
            return compact_lookup(*b).map(|i| (i, true));
        }
        if let Some(i) = lookup_exact(s) {
            return Some((i, false));
        }
        let mut buf = [0u8; 32];
        let dst = buf.get_mut(..s.len())?;
        for (d, &c) in dst.iter_mut().zip(s) {
            *d = c.to_ascii_lowercase();
        }
        lookup_lower(dst).map(|i| (i, false))
    }

    /// The name for a wire spelling held in `Bytes` (kept for unknown names).
    pub(crate) fn from_wire(s: &[u8], keep: impl FnOnce() -> Bytes) -> (HeaderName, bool) {
        match Self::lookup(s) {
            Some((i, compact)) => (HeaderName(Repr::Std(i)), compact),
            None => (HeaderName(Repr::Custom(keep())), false),
        }
    }

    /// A header name from text; `None` when it is not a token.
    pub fn new(s: &str) -> Option<HeaderName> {
        if !crate::text::is_token_str(s.as_bytes()) {
            return None;
        }
        Some(Self::from_wire(s.as_bytes(), || Bytes::copy_from_slice(s.as_bytes())).0)
    }

    /// The full name (the constant's spelling, or the name as received).
    pub fn as_bytes(&self) -> &[u8] {
        match &self.0 {
            Repr::Std(i) => STD
                .get(usize::from(*i))
                .map_or(&b""[..], |(f, _)| f.as_bytes()),
            Repr::Custom(b) => b,
        }
    }

    /// The compact form, if the header has one (RFC 3261 7.3.3).
    pub fn compact(&self) -> Option<u8> {
        match &self.0 {
            Repr::Std(i) => STD.get(usize::from(*i)).and_then(|(_, c)| *c),
            Repr::Custom(_) => None,
        }
    }

    pub(crate) fn is_index(&self, i: u8) -> bool {
        matches!(self.0, Repr::Std(j) if j == i)
    }

    /// True for names this crate knows.
    pub fn is_standard(&self) -> bool {
        matches!(self.0, Repr::Std(_))
    }
}

impl PartialEq for HeaderName {
    fn eq(&self, other: &Self) -> bool {
        match (&self.0, &other.0) {
            (Repr::Std(a), Repr::Std(b)) => a == b,
            (Repr::Custom(a), Repr::Custom(b)) => a.eq_ignore_ascii_case(b),
            _ => false,
        }
    }
}

impl Eq for HeaderName {}

impl Hash for HeaderName {
    fn hash<H: Hasher>(&self, state: &mut H) {
        for b in self.as_bytes() {
            state.write_u8(b.to_ascii_lowercase());
        }
    }
}

impl fmt::Display for HeaderName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&String::from_utf8_lossy(self.as_bytes()))
    }
}

impl fmt::Debug for HeaderName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HeaderName({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookups() {
        assert_eq!(HeaderName::new("vIa").unwrap(), HeaderName::VIA);
        assert_eq!(HeaderName::new("v").unwrap(), HeaderName::VIA);
        assert_eq!(HeaderName::new("I").unwrap(), HeaderName::CALL_ID);
        assert_eq!(HeaderName::new("o").unwrap(), HeaderName::EVENT);
        assert_eq!(HeaderName::new("u").unwrap(), HeaderName::ALLOW_EVENTS);
        assert_eq!(HeaderName::CALL_ID.as_bytes(), b"Call-ID");
        assert_eq!(HeaderName::TO.compact(), Some(b't'));
        let x = HeaderName::new("X-Foo").unwrap();
        assert_eq!(x, HeaderName::new("x-foo").unwrap());
        assert_eq!(x.as_bytes(), b"X-Foo");
        assert_ne!(HeaderName::new("C%6Fntact").unwrap(), HeaderName::CONTACT);
        assert!(HeaderName::new("a b").is_none());
    }

    #[test]
    fn compact_letters_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for (_, c) in STD {
            if let Some(c) = c {
                assert!(seen.insert(*c));
            }
        }
    }
}
