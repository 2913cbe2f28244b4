//! Methods, status codes and the protocol version.
//!
//! Unknown methods and status codes are kept, with named constants for the
//! known ones (the way rustls keeps unknown code points).

use bytes::Bytes;
use std::fmt;

/// A SIP method (RFC 3261 7.1): a case-sensitive token.
///
/// Known methods are constants; any other token is kept as it was sent
/// (e.g. RFC 4475's `!interesting-Method0123456789_*+`.%indeed'~`).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Method(Bytes);

macro_rules! methods {
    ($($(#[$doc:meta])* $name:ident = $text:literal;)*) => {
        impl Method {
            $($(#[$doc])* pub const $name: Method = Method(Bytes::from_static($text.as_bytes()));)*

            /// Looks up a method from its token; unknown tokens are kept.
            /// Returns `None` when `s` is not a token.
            pub fn from_bytes(s: &[u8]) -> Option<Method> {
                match s {
                    $(x if x == $text.as_bytes() => Some(Method::$name),)*
                    _ if crate::text::is_token_str(s) => Some(Method(Bytes::copy_from_slice(s))),
                    _ => None,
                }
            }

            pub(crate) fn from_bytes_shared(s: &[u8], keep: impl FnOnce() -> Bytes) -> Option<Method> {
                match s {
                    $(x if x == $text.as_bytes() => Some(Method::$name),)*
                    _ if crate::text::is_token_str(s) => Some(Method(keep())),
                    _ => None,
                }
            }

            pub(crate) fn from_wire(s: Bytes) -> Option<Method> {
                match &s[..] {
                    $(x if x == $text.as_bytes() => Some(Method::$name),)*
                    _ if crate::text::is_token_str(&s) => Some(Method(s)),
                    _ => None,
                }
            }
        }
    };
}

methods! {
    /// INVITE (RFC 3261).
    INVITE = "INVITE";
    /// ACK (RFC 3261).
    ACK = "ACK";
    /// BYE (RFC 3261).
    BYE = "BYE";
    /// CANCEL (RFC 3261).
    CANCEL = "CANCEL";
    /// OPTIONS (RFC 3261).
    OPTIONS = "OPTIONS";
    /// REGISTER (RFC 3261).
    REGISTER = "REGISTER";
    /// SUBSCRIBE (RFC 6665).
    SUBSCRIBE = "SUBSCRIBE";
    /// NOTIFY (RFC 6665).
    NOTIFY = "NOTIFY";
    /// PUBLISH (RFC 3903).
    PUBLISH = "PUBLISH";
    /// MESSAGE (RFC 3428).
    MESSAGE = "MESSAGE";
    /// REFER (RFC 3515).
    REFER = "REFER";
    /// INFO (RFC 6086).
    INFO = "INFO";
    /// UPDATE (RFC 3311).
    UPDATE = "UPDATE";
    /// PRACK (RFC 3262).
    PRACK = "PRACK";
}

impl Method {
    /// The method token.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&String::from_utf8_lossy(&self.0))
    }
}

impl fmt::Debug for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Method({self})")
    }
}

/// A status code (RFC 3261 7.2, 21): three digits in 100..=699.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StatusCode(u16);

macro_rules! codes {
    ($($(#[$doc:meta])* $name:ident = $code:literal, $reason:literal;)*) => {
        impl StatusCode {
            $($(#[$doc])* pub const $name: StatusCode = StatusCode($code);)*

            /// The RFC's reason phrase for a known code.
            pub const fn canonical_reason(self) -> Option<&'static str> {
                match self.0 {
                    $($code => Some($reason),)*
                    _ => None,
                }
            }
        }
    };
}

codes! {
    /// 100 Trying.
    TRYING = 100, "Trying";
    /// 180 Ringing.
    RINGING = 180, "Ringing";
    /// 181 Call Is Being Forwarded.
    CALL_IS_BEING_FORWARDED = 181, "Call Is Being Forwarded";
    /// 182 Queued.
    QUEUED = 182, "Queued";
    /// 183 Session Progress.
    SESSION_PROGRESS = 183, "Session Progress";
    /// 200 OK.
    OK = 200, "OK";
    /// 202 Accepted (RFC 6665).
    ACCEPTED = 202, "Accepted";
    /// 204 No Notification (RFC 5839).
    NO_NOTIFICATION = 204, "No Notification";
    /// 300 Multiple Choices.
    MULTIPLE_CHOICES = 300, "Multiple Choices";
    /// 301 Moved Permanently.
    MOVED_PERMANENTLY = 301, "Moved Permanently";
    /// 302 Moved Temporarily.
    MOVED_TEMPORARILY = 302, "Moved Temporarily";
    /// 305 Use Proxy.
    USE_PROXY = 305, "Use Proxy";
    /// 380 Alternative Service.
    ALTERNATIVE_SERVICE = 380, "Alternative Service";
    /// 400 Bad Request.
    BAD_REQUEST = 400, "Bad Request";
    /// 401 Unauthorized.
    UNAUTHORIZED = 401, "Unauthorized";
    /// 402 Payment Required.
    PAYMENT_REQUIRED = 402, "Payment Required";
    /// 403 Forbidden.
    FORBIDDEN = 403, "Forbidden";
    /// 404 Not Found.
    NOT_FOUND = 404, "Not Found";
    /// 405 Method Not Allowed.
    METHOD_NOT_ALLOWED = 405, "Method Not Allowed";
    /// 406 Not Acceptable.
    NOT_ACCEPTABLE = 406, "Not Acceptable";
    /// 407 Proxy Authentication Required.
    PROXY_AUTHENTICATION_REQUIRED = 407, "Proxy Authentication Required";
    /// 408 Request Timeout.
    REQUEST_TIMEOUT = 408, "Request Timeout";
    /// 410 Gone.
    GONE = 410, "Gone";
    /// 412 Conditional Request Failed (RFC 3903).
    CONDITIONAL_REQUEST_FAILED = 412, "Conditional Request Failed";
    /// 413 Request Entity Too Large.
    REQUEST_ENTITY_TOO_LARGE = 413, "Request Entity Too Large";
    /// 414 Request-URI Too Long.
    REQUEST_URI_TOO_LONG = 414, "Request-URI Too Long";
    /// 415 Unsupported Media Type.
    UNSUPPORTED_MEDIA_TYPE = 415, "Unsupported Media Type";
    /// 416 Unsupported URI Scheme.
    UNSUPPORTED_URI_SCHEME = 416, "Unsupported URI Scheme";
    /// 420 Bad Extension.
    BAD_EXTENSION = 420, "Bad Extension";
    /// 421 Extension Required.
    EXTENSION_REQUIRED = 421, "Extension Required";
    /// 423 Interval Too Brief.
    INTERVAL_TOO_BRIEF = 423, "Interval Too Brief";
    /// 480 Temporarily Unavailable.
    TEMPORARILY_UNAVAILABLE = 480, "Temporarily Unavailable";
    /// 481 Call/Transaction Does Not Exist.
    CALL_TRANSACTION_DOES_NOT_EXIST = 481, "Call/Transaction Does Not Exist";
    /// 482 Loop Detected.
    LOOP_DETECTED = 482, "Loop Detected";
    /// 483 Too Many Hops.
    TOO_MANY_HOPS = 483, "Too Many Hops";
    /// 484 Address Incomplete.
    ADDRESS_INCOMPLETE = 484, "Address Incomplete";
    /// 485 Ambiguous.
    AMBIGUOUS = 485, "Ambiguous";
    /// 486 Busy Here.
    BUSY_HERE = 486, "Busy Here";
    /// 487 Request Terminated.
    REQUEST_TERMINATED = 487, "Request Terminated";
    /// 488 Not Acceptable Here.
    NOT_ACCEPTABLE_HERE = 488, "Not Acceptable Here";
    /// 489 Bad Event (RFC 6665).
    BAD_EVENT = 489, "Bad Event";
    /// 491 Request Pending.
    REQUEST_PENDING = 491, "Request Pending";
    /// 493 Undecipherable.
    UNDECIPHERABLE = 493, "Undecipherable";
    /// 500 Server Internal Error.
    SERVER_INTERNAL_ERROR = 500, "Server Internal Error";
    /// 501 Not Implemented.
    NOT_IMPLEMENTED = 501, "Not Implemented";
    /// 502 Bad Gateway.
    BAD_GATEWAY = 502, "Bad Gateway";
    /// 503 Service Unavailable.
    SERVICE_UNAVAILABLE = 503, "Service Unavailable";
    /// 504 Server Time-out.
    SERVER_TIMEOUT = 504, "Server Time-out";
    /// 505 Version Not Supported.
    VERSION_NOT_SUPPORTED = 505, "Version Not Supported";
    /// 513 Message Too Large.
    MESSAGE_TOO_LARGE = 513, "Message Too Large";
    /// 600 Busy Everywhere.
    BUSY_EVERYWHERE = 600, "Busy Everywhere";
    /// 603 Decline.
    DECLINE = 603, "Decline";
    /// 604 Does Not Exist Anywhere.
    DOES_NOT_EXIST_ANYWHERE = 604, "Does Not Exist Anywhere";
    /// 606 Not Acceptable.
    NOT_ACCEPTABLE_ANYWHERE = 606, "Not Acceptable";
}

impl StatusCode {
    /// A status code from its number; `None` outside 100..=699.
    pub const fn new(code: u16) -> Option<StatusCode> {
        if code >= 100 && code <= 699 {
            Some(StatusCode(code))
        } else {
            None
        }
    }

    /// The number.
    pub const fn as_u16(self) -> u16 {
        self.0
    }

    /// 1xx.
    pub const fn is_provisional(self) -> bool {
        self.0 < 200
    }

    /// 2xx.
    pub const fn is_success(self) -> bool {
        self.0 >= 200 && self.0 < 300
    }

    /// 2xx to 6xx.
    pub const fn is_final(self) -> bool {
        self.0 >= 200
    }

    /// The class digit, 1 to 6.
    pub const fn class(self) -> u8 {
        (self.0 / 100) as u8
    }
}

impl fmt::Display for StatusCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl fmt::Debug for StatusCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "StatusCode({})", self.0)
    }
}

/// The protocol version of a start line: `SIP/major.minor`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Version {
    /// Major number.
    pub major: u16,
    /// Minor number.
    pub minor: u16,
}

impl Version {
    /// SIP/2.0, the only version RFC 3261 speaks.
    pub const SIP_2_0: Version = Version { major: 2, minor: 0 };

    /// Parses `SIP/<digits>.<digits>` ("SIP" case-insensitive).
    pub fn parse(s: &[u8]) -> Option<Version> {
        if s == b"SIP/2.0" {
            return Some(Version::SIP_2_0);
        }
        let rest = match s.split_at_checked(4) {
            Some((p, rest)) if p.eq_ignore_ascii_case(b"SIP/") => rest,
            _ => return None,
        };
        let dot = rest.iter().position(|&b| b == b'.')?;
        let (maj, min) = rest.split_at_checked(dot)?;
        let min = min.get(1..)?;
        let num = |d: &[u8]| {
            if d.is_empty() || d.len() > 4 {
                None
            } else {
                crate::text::parse_u32(d).and_then(|n| u16::try_from(n).ok())
            }
        };
        Some(Version {
            major: num(maj)?,
            minor: num(min)?,
        })
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SIP/{}.{}", self.major, self.minor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_known_and_unknown() {
        assert_eq!(Method::from_bytes(b"NOTIFY"), Some(Method::NOTIFY));
        let m = Method::from_bytes(b"RE%47IST%45R").unwrap();
        assert_ne!(m, Method::REGISTER);
        assert_eq!(m.as_bytes(), b"RE%47IST%45R");
        assert_eq!(Method::from_bytes(b"invite").unwrap().as_bytes(), b"invite");
        assert_ne!(Method::from_bytes(b"invite").unwrap(), Method::INVITE);
        assert!(Method::from_bytes(b"A B").is_none());
    }

    #[test]
    fn status_codes() {
        assert_eq!(StatusCode::new(200), Some(StatusCode::OK));
        assert!(StatusCode::new(700).is_none());
        assert!(StatusCode::new(99).is_none());
        assert_eq!(StatusCode::new(299).unwrap().canonical_reason(), None);
        assert_eq!(StatusCode::BAD_EVENT.canonical_reason(), Some("Bad Event"));
    }

    #[test]
    fn versions() {
        assert_eq!(Version::parse(b"SIP/2.0"), Some(Version::SIP_2_0));
        assert_eq!(
            Version::parse(b"sip/7.0"),
            Some(Version { major: 7, minor: 0 })
        );
        assert_eq!(Version::parse(b"SIP/2"), None);
        assert_eq!(Version::parse(b"SIP/2.0 "), None);
        assert_eq!(Version::parse(b"HTTP/1.1"), None);
    }
}
