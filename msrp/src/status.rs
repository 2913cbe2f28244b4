//! Methods and status codes: open sets kept as newtypes with named constants,
//! so unknown values survive (RFC 4975 sections 9 and 10).
#![cfg_attr(
    not(test),
    deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)
)]

use bytes::Bytes;
use std::fmt;

/// An MSRP method (`1*UPALPHA`, RFC 4975 section 9). Extension methods such
/// as `NICKNAME` (RFC 7701) and unknown ones are kept as they are.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Method(Bytes);

impl Method {
    /// `SEND` (RFC 4975 section 7.1.1).
    pub const SEND: Method = Method(Bytes::from_static(b"SEND"));
    /// `REPORT` (RFC 4975 section 7.1.2).
    pub const REPORT: Method = Method(Bytes::from_static(b"REPORT"));
    /// `AUTH` (RFC 4976 section 5).
    pub const AUTH: Method = Method(Bytes::from_static(b"AUTH"));
    /// `NICKNAME` (RFC 7701 section 7).
    pub const NICKNAME: Method = Method(Bytes::from_static(b"NICKNAME"));

    /// Wraps a method name; `None` unless it is one or more upper-case
    /// ASCII letters.
    pub fn new(name: Bytes) -> Option<Self> {
        (!name.is_empty() && name.iter().all(u8::is_ascii_uppercase)).then_some(Method(name))
    }

    /// The method name.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The method name as text (always ASCII).
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or("")
    }
}

impl fmt::Debug for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A three-digit MSRP status code (RFC 4975 section 10; RFC 4976 adds 401,
/// RFC 7701 adds 425).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StatusCode(u16);

impl StatusCode {
    /// 200: success.
    pub const OK: StatusCode = StatusCode(200);
    /// 400: the request was malformed.
    pub const BAD_REQUEST: StatusCode = StatusCode(400);
    /// 401: authentication required (RFC 4976).
    pub const UNAUTHORIZED: StatusCode = StatusCode(401);
    /// 403: the action is not allowed.
    pub const FORBIDDEN: StatusCode = StatusCode(403);
    /// 404: the private message recipient is not in the chat room
    /// (RFC 7701 section 6.2).
    pub const NOT_FOUND: StatusCode = StatusCode(404);
    /// 408: no response within the transaction timeout (never on the wire
    /// as a response; used in REPORTs and locally).
    pub const TIMEOUT: StatusCode = StatusCode(408);
    /// 413: stop sending this message, it is too large.
    pub const TOO_LARGE: StatusCode = StatusCode(413);
    /// 415: the media type is not understood.
    pub const UNSUPPORTED_MEDIA_TYPE: StatusCode = StatusCode(415);
    /// 423: a parameter (such as Expires) is out of bounds.
    pub const INTERVAL_OUT_OF_BOUNDS: StatusCode = StatusCode(423);
    /// 424: the Use-Nickname value is malformed (RFC 7701 section 7.1).
    pub const BAD_NICKNAME: StatusCode = StatusCode(424);
    /// 428: the recipient does not take private messages (RFC 7701
    /// section 6.2).
    pub const NO_PRIVATE_MESSAGES: StatusCode = StatusCode(428);
    /// 425: the nickname is already in use (RFC 7701 section 11).
    pub const NICKNAME_IN_USE: StatusCode = StatusCode(425);
    /// 481: the session does not exist.
    pub const NO_SUCH_SESSION: StatusCode = StatusCode(481);
    /// 501: the method is not understood.
    pub const NOT_IMPLEMENTED: StatusCode = StatusCode(501);
    /// 506: the session is bound to another connection.
    pub const WRONG_CONNECTION: StatusCode = StatusCode(506);

    /// Builds a status code; `None` outside 0..=999.
    pub const fn new(code: u16) -> Option<Self> {
        if code <= 999 {
            Some(StatusCode(code))
        } else {
            None
        }
    }

    /// The numeric code.
    pub const fn as_u16(self) -> u16 {
        self.0
    }

    /// Whether this is a 2xx code.
    pub const fn is_success(self) -> bool {
        self.0 >= 200 && self.0 < 300
    }

    /// The RFC's comment text for known codes.
    pub fn reason(self) -> Option<&'static str> {
        Some(match self.0 {
            200 => "OK",
            400 => "Bad Request",
            401 => "Unauthorized",
            403 => "Forbidden",
            404 => "Not Found",
            408 => "Request Timeout",
            413 => "Message Too Large",
            415 => "Unsupported Media Type",
            423 => "Interval Out-of-Bounds",
            424 => "Bad Nickname",
            425 => "Nickname reserved or already in use",
            428 => "Private Messages Not Supported",
            481 => "Session Does Not Exist",
            501 => "Unknown Method",
            506 => "Session Already Bound",
            _ => return None,
        })
    }
}

impl fmt::Debug for StatusCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:03}", self.0)
    }
}

impl fmt::Display for StatusCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:03}", self.0)
    }
}
