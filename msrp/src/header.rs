//! Header fields: the raw ordered list that is the truth, and typed views
//! decoded on demand (RFC 4975 section 9, RFC 4976 section 9, RFC 7701
//! section 7).
#![cfg_attr(
    not(test),
    deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)
)]

use crate::error::{ParseError, ParseErrorKind, UriError};
use crate::status::StatusCode;
use crate::uri::{parse_path, MsrpUri};
use bytes::Bytes;
use std::fmt;

/// Header names used by this crate (matched case-insensitively).
pub mod name {
    /// `To-Path` (RFC 4975).
    pub const TO_PATH: &str = "To-Path";
    /// `From-Path` (RFC 4975).
    pub const FROM_PATH: &str = "From-Path";
    /// `Message-ID` (RFC 4975).
    pub const MESSAGE_ID: &str = "Message-ID";
    /// `Byte-Range` (RFC 4975).
    pub const BYTE_RANGE: &str = "Byte-Range";
    /// `Success-Report` (RFC 4975).
    pub const SUCCESS_REPORT: &str = "Success-Report";
    /// `Failure-Report` (RFC 4975).
    pub const FAILURE_REPORT: &str = "Failure-Report";
    /// `Status` (RFC 4975).
    pub const STATUS: &str = "Status";
    /// `Content-Type` (RFC 4975).
    pub const CONTENT_TYPE: &str = "Content-Type";
    /// `Content-ID` (MIME).
    pub const CONTENT_ID: &str = "Content-ID";
    /// `Content-Description` (MIME).
    pub const CONTENT_DESCRIPTION: &str = "Content-Description";
    /// `Content-Disposition` (MIME).
    pub const CONTENT_DISPOSITION: &str = "Content-Disposition";
    /// `WWW-Authenticate` (RFC 4976).
    pub const WWW_AUTHENTICATE: &str = "WWW-Authenticate";
    /// `Authorization` (RFC 4976).
    pub const AUTHORIZATION: &str = "Authorization";
    /// `Authentication-Info` (RFC 4976).
    pub const AUTHENTICATION_INFO: &str = "Authentication-Info";
    /// `Use-Path` (RFC 4976).
    pub const USE_PATH: &str = "Use-Path";
    /// `Expires` (RFC 4976).
    pub const EXPIRES: &str = "Expires";
    /// `Min-Expires` (RFC 4976).
    pub const MIN_EXPIRES: &str = "Min-Expires";
    /// `Max-Expires` (RFC 4976).
    pub const MAX_EXPIRES: &str = "Max-Expires";
    /// `Use-Nickname` (RFC 7701).
    pub const USE_NICKNAME: &str = "Use-Nickname";
}

/// The ordered header fields of a chunk: names and values as `Bytes`
/// slices, order, duplicates and unknown fields kept.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Headers {
    fields: Vec<(Bytes, Bytes)>,
}

impl fmt::Debug for Headers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut l = f.debug_list();
        for (n, v) in &self.fields {
            l.entry(&format_args!(
                "{}: {}",
                String::from_utf8_lossy(n),
                String::from_utf8_lossy(v)
            ));
        }
        l.finish()
    }
}

impl Headers {
    /// An empty list.
    pub fn new() -> Self {
        Self::default()
    }
    /// Appends a field without checking it (use [`Headers::push`] for
    /// checked input).
    pub(crate) fn push_raw(&mut self, name: Bytes, value: Bytes) {
        self.fields.push((name, value));
    }
    /// Appends a field; refuses names that are not tokens and values that
    /// hold CR or LF.
    pub fn push(&mut self, name: &str, value: impl Into<Bytes>) -> Result<(), crate::UsageError> {
        let value = value.into();
        if name.is_empty() || !name.bytes().all(is_hname_char) {
            return Err(crate::UsageError::BadValue("header name"));
        }
        if value.iter().any(|&b| b == b'\r' || b == b'\n') {
            return Err(crate::UsageError::BadValue("header value"));
        }
        self.fields
            .push((Bytes::copy_from_slice(name.as_bytes()), value));
        Ok(())
    }
    /// Replaces every field of that name by one (appended if absent).
    pub fn set(&mut self, name: &str, value: impl Into<Bytes>) -> Result<(), crate::UsageError> {
        let value = value.into();
        match self
            .fields
            .iter()
            .position(|(n, _)| n.eq_ignore_ascii_case(name.as_bytes()))
        {
            Some(i) => {
                if value.iter().any(|&b| b == b'\r' || b == b'\n') {
                    return Err(crate::UsageError::BadValue("header value"));
                }
                if let Some(f) = self.fields.get_mut(i) {
                    f.1 = value;
                }
                let mut seen = 0usize;
                self.fields.retain(|(n, _)| {
                    if n.eq_ignore_ascii_case(name.as_bytes()) {
                        seen += 1;
                        seen == 1
                    } else {
                        true
                    }
                });
                Ok(())
            }
            None => self.push(name, value),
        }
    }
    /// Removes every field of that name.
    pub fn remove(&mut self, name: &str) {
        self.fields
            .retain(|(n, _)| !n.eq_ignore_ascii_case(name.as_bytes()));
    }
    /// The first value of that name.
    pub fn get(&self, name: &str) -> Option<&Bytes> {
        self.fields
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name.as_bytes()))
            .map(|(_, v)| v)
    }
    /// The first value of that name as text.
    pub fn get_str(&self, name: &str) -> Option<&str> {
        self.get(name).and_then(|v| std::str::from_utf8(v).ok())
    }
    /// Every field in order.
    pub fn iter(&self) -> impl Iterator<Item = (&Bytes, &Bytes)> {
        self.fields.iter().map(|(n, v)| (n, v))
    }
    /// How many fields.
    pub fn len(&self) -> usize {
        self.fields.len()
    }
    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }
    /// Decodes a typed header; `None` if absent.
    pub fn typed<H: TypedHeader>(&self) -> Option<Result<H, ParseError>> {
        self.get(H::NAME).map(|v| H::decode(v))
    }
    /// Sets a typed header (replacing others of that name).
    pub fn set_typed<H: TypedHeader>(&mut self, h: &H) {
        let mut v = Vec::new();
        h.encode(&mut v);
        // Typed encoders never write CR or LF.
        let _ = self.set(H::NAME, v);
    }
    /// To-Path as URIs.
    pub fn to_path(&self) -> Option<Result<Vec<MsrpUri>, UriError>> {
        self.get_str(name::TO_PATH).map(parse_path)
    }
    /// From-Path as URIs.
    pub fn from_path(&self) -> Option<Result<Vec<MsrpUri>, UriError>> {
        self.get_str(name::FROM_PATH).map(parse_path)
    }
    /// Message-ID as text.
    pub fn message_id(&self) -> Option<&str> {
        self.get_str(name::MESSAGE_ID)
    }
    /// Content-Type as text.
    pub fn content_type(&self) -> Option<&str> {
        self.get_str(name::CONTENT_TYPE)
    }
    /// Writes every field as `name: value CRLF`.
    pub fn write(&self, out: &mut Vec<u8>) {
        for (n, v) in &self.fields {
            out.extend_from_slice(n);
            out.extend_from_slice(b": ");
            out.extend_from_slice(v);
            out.extend_from_slice(b"\r\n");
        }
    }
}

/// Characters allowed in a header name (`hname = ALPHA *token`).
pub(crate) fn is_hname_char(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'-' | b'.' | b'!' | b'%' | b'*' | b'_' | b'+' | b'`' | b'\'' | b'~'
        )
}

/// Whether `s` is an MSRP `ident` (RFC 4975 section 9: an alphanumeric then
/// 3 to 31 of alphanumerics and `. - + % =`): transaction and message ids.
pub fn is_ident(s: &[u8]) -> bool {
    (4..=32).contains(&s.len())
        && s.first().is_some_and(u8::is_ascii_alphanumeric)
        && s.iter()
            .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'+' | b'%' | b'='))
}

/// A header with a typed view: its name, how to decode its value and how to
/// write it back.
pub trait TypedHeader: Sized {
    /// The header name.
    const NAME: &'static str;
    /// Decodes the value; offsets in errors are inside the value.
    fn decode(value: &[u8]) -> Result<Self, ParseError>;
    /// Writes the value.
    fn encode(&self, out: &mut Vec<u8>);
}

fn hv(offset: usize) -> ParseError {
    ParseError::new(ParseErrorKind::HeaderValue, offset as u64)
}

fn parse_u64(s: &[u8], at: usize) -> Result<u64, ParseError> {
    if s.is_empty() || s.len() > 19 || !s.iter().all(u8::is_ascii_digit) {
        return Err(hv(at));
    }
    s.iter().try_fold(0u64, |acc, &d| {
        acc.checked_mul(10)
            .and_then(|a| a.checked_add(u64::from(d - b'0')))
            .ok_or(hv(at))
    })
}

/// `Byte-Range: start-end/total` with `*` for an unknown end or total
/// (RFC 4975 section 7.1.1). Positions are 1-based and inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteRange {
    /// The first byte's position (1-based).
    pub start: u64,
    /// The last byte's position, `None` for `*`.
    pub end: Option<u64>,
    /// The message size, `None` for `*`.
    pub total: Option<u64>,
}

impl TypedHeader for ByteRange {
    const NAME: &'static str = name::BYTE_RANGE;
    fn decode(v: &[u8]) -> Result<Self, ParseError> {
        let dash = memchr::memchr(b'-', v).ok_or(hv(0))?;
        let slash = memchr::memchr(b'/', v).ok_or(hv(0))?;
        let start = parse_u64(v.get(..dash).ok_or(hv(0))?, 0)?;
        let end_s = v.get(dash + 1..slash).ok_or(hv(dash))?;
        let total_s = v.get(slash + 1..).ok_or(hv(slash))?;
        let end = if end_s == b"*" {
            None
        } else {
            Some(parse_u64(end_s, dash + 1)?)
        };
        let total = if total_s == b"*" {
            None
        } else {
            Some(parse_u64(total_s, slash + 1)?)
        };
        if start == 0 {
            return Err(hv(0));
        }
        Ok(ByteRange { start, end, total })
    }
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self.start.to_string().as_bytes());
        out.push(b'-');
        match self.end {
            Some(e) => out.extend_from_slice(e.to_string().as_bytes()),
            None => out.push(b'*'),
        }
        out.push(b'/');
        match self.total {
            Some(t) => out.extend_from_slice(t.to_string().as_bytes()),
            None => out.push(b'*'),
        }
    }
}

/// `Status: namespace code [comment]` in REPORT requests (RFC 4975
/// section 7.1.2; namespace `000` mirrors transaction responses).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    /// The three-digit namespace (0 for `000`).
    pub namespace: u16,
    /// The status code.
    pub code: StatusCode,
    /// The optional comment.
    pub comment: Option<String>,
}

impl TypedHeader for Status {
    const NAME: &'static str = name::STATUS;
    fn decode(v: &[u8]) -> Result<Self, ParseError> {
        let three = |s: Option<&[u8]>, at: usize| -> Result<u16, ParseError> {
            let s = s.ok_or(hv(at))?;
            if s.len() != 3 {
                return Err(hv(at));
            }
            parse_u64(s, at).map(|n| n as u16)
        };
        let namespace = three(v.get(..3), 0)?;
        if v.get(3) != Some(&b' ') {
            return Err(hv(3));
        }
        let code = three(v.get(4..7), 4)?;
        let comment = match v.get(7..) {
            None | Some(b"") => None,
            Some(rest) => {
                let c = rest.strip_prefix(b" ").ok_or(hv(7))?;
                Some(std::str::from_utf8(c).map_err(|_| hv(8))?.to_owned())
            }
        };
        Ok(Status {
            namespace,
            code: StatusCode::new(code).ok_or(hv(4))?,
            comment,
        })
    }
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(format!("{:03} {}", self.namespace, self.code).as_bytes());
        if let Some(c) = &self.comment {
            out.push(b' ');
            out.extend_from_slice(c.as_bytes());
        }
    }
}

/// The value of `Success-Report` (`yes`/`no`) or `Failure-Report`
/// (`yes`/`no`/`partial`), RFC 4975 section 7.1.1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportMode {
    /// `yes`.
    Yes,
    /// `no`.
    No,
    /// `partial` (Failure-Report only).
    Partial,
}

impl ReportMode {
    fn decode(v: &[u8]) -> Result<Self, ParseError> {
        match v {
            b"yes" => Ok(ReportMode::Yes),
            b"no" => Ok(ReportMode::No),
            b"partial" => Ok(ReportMode::Partial),
            _ => Err(hv(0)),
        }
    }
    fn as_str(self) -> &'static str {
        match self {
            ReportMode::Yes => "yes",
            ReportMode::No => "no",
            ReportMode::Partial => "partial",
        }
    }
}

/// `Success-Report` (absent means `no`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SuccessReport(pub bool);

impl TypedHeader for SuccessReport {
    const NAME: &'static str = name::SUCCESS_REPORT;
    fn decode(v: &[u8]) -> Result<Self, ParseError> {
        match ReportMode::decode(v)? {
            ReportMode::Yes => Ok(SuccessReport(true)),
            ReportMode::No => Ok(SuccessReport(false)),
            ReportMode::Partial => Err(hv(0)),
        }
    }
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(if self.0 { b"yes" } else { b"no" });
    }
}

/// `Failure-Report` (absent means `yes`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FailureReport(pub ReportMode);

impl TypedHeader for FailureReport {
    const NAME: &'static str = name::FAILURE_REPORT;
    fn decode(v: &[u8]) -> Result<Self, ParseError> {
        ReportMode::decode(v).map(FailureReport)
    }
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self.0.as_str().as_bytes());
    }
}

/// `Expires` / `Min-Expires` / `Max-Expires` seconds (RFC 4976 section 9).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Expires(pub u32);

impl TypedHeader for Expires {
    const NAME: &'static str = name::EXPIRES;
    fn decode(v: &[u8]) -> Result<Self, ParseError> {
        let n = parse_u64(v, 0)?;
        u32::try_from(n).map(Expires).map_err(|_| hv(0))
    }
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self.0.to_string().as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_range_table() {
        for (s, want) in [
            ("1-25/25", Some((1, Some(25), Some(25)))),
            ("1-*/*", Some((1, None, None))),
            ("68-174/174", Some((68, Some(174), Some(174)))),
            ("1-*/174", Some((1, None, Some(174)))),
            ("0-1/1", None),
            ("1-2", None),
            ("a-2/3", None),
            ("1-2/99999999999999999999", None),
        ] {
            let got = ByteRange::decode(s.as_bytes())
                .ok()
                .map(|r| (r.start, r.end, r.total));
            assert_eq!(got, want, "{s}");
            if want.is_some() {
                let mut o = Vec::new();
                ByteRange::decode(s.as_bytes()).unwrap().encode(&mut o);
                assert_eq!(o, s.as_bytes());
            }
        }
    }

    #[test]
    fn status_table() {
        let s = Status::decode(b"000 200 OK").unwrap();
        assert_eq!(
            (s.namespace, s.code, s.comment.as_deref()),
            (0, StatusCode::OK, Some("OK"))
        );
        let s = Status::decode(b"000 413").unwrap();
        assert_eq!(s.code, StatusCode::TOO_LARGE);
        assert!(Status::decode(b"00 200").is_err());
        assert!(Status::decode(b"000 20").is_err());
        assert!(Status::decode(b"000200").is_err());
    }

    #[test]
    fn headers_keep_order_and_unknowns() {
        let mut h = Headers::new();
        h.push("To-Path", "msrp://a/b;tcp").unwrap();
        h.push("X-Odd", "1").unwrap();
        h.push("x-odd", "2").unwrap();
        assert_eq!(h.get("X-ODD").unwrap().as_ref(), b"1");
        h.set("X-Odd", "3").unwrap();
        assert_eq!(h.len(), 2);
        assert!(h.push("Bad Name", "x").is_err());
        assert!(h.push("X", "a\r\nb").is_err());
        let mut out = Vec::new();
        h.write(&mut out);
        assert_eq!(out, b"To-Path: msrp://a/b;tcp\r\nX-Odd: 3\r\n");
        assert!(is_ident(b"a786hjs2"));
        assert!(!is_ident(b"abc"));
        assert!(!is_ident(b"-abc"));
    }
}
