//! URIs: `sip:`/`sips:` (RFC 3261 19.1), `tel:` (RFC 3966), `pres:` and
//! `im:` (RFC 3859, 3860), and any other absolute URI (through the `url`
//! crate, or kept raw when it refuses); name-addr / addr-spec (RFC 3261
//! 20.10, 25.1).
//!
//! Parsed URIs hold `Bytes` slices of their text: escapes are kept as sent
//! (so `%41` and `A` stay distinct on the wire) and decoded on demand; the
//! RFC 3261 19.1.4 comparison is [`Uri::equivalent`].
#![cfg_attr(
    not(test),
    deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)
)]

use crate::error::{HeaderErrorKind, UriError, UriErrorKind as K};
use crate::small::Small;
use crate::text::{self, quoted_end, skip_ws, trim, unescape};
use bytes::Bytes;
use std::borrow::Cow;
use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

fn uerr(kind: K, offset: usize) -> UriError {
    UriError::new(kind, offset)
}

/// Checks that every `%` in `s` starts a `%HH` escape.
fn check_escapes(s: &[u8], base: usize) -> Result<(), UriError> {
    let mut i = 0;
    while let Some(p) = s.get(i..).and_then(|r| text::find(b'%', r)) {
        let at = i + p;
        let ok = s.get(at + 1).is_some_and(u8::is_ascii_hexdigit)
            && s.get(at + 2).is_some_and(u8::is_ascii_hexdigit);
        if !ok {
            return Err(uerr(K::InvalidEscape, base + at));
        }
        i = at + 3;
    }
    Ok(())
}

/// Any URI this crate reads.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Uri {
    /// `sip:` or `sips:`.
    Sip(SipUri),
    /// `tel:` (RFC 3966).
    Tel(TelUri),
    /// `pres:` (RFC 3859).
    Pres(ImPresUri),
    /// `im:` (RFC 3860).
    Im(ImPresUri),
    /// Any other absolute URI.
    Other(OtherUri),
}

impl Uri {
    /// Parses a URI from its text.
    ///
    /// ```
    /// use sip_core::Uri;
    /// let u = Uri::parse_str("sip:alice@atlanta.com;transport=tcp").unwrap();
    /// assert_eq!(u.as_sip().unwrap().user().unwrap(), "alice");
    /// ```
    pub fn parse(s: &Bytes) -> Result<Uri, UriError> {
        Uri::parse_in(s, 0, s.len())
    }

    /// [`Uri::parse`] of `src[start..end]` (a URI inside a header value or
    /// a message), slicing `src` only for the parts kept; error offsets
    /// count from `start`.
    pub(crate) fn parse_in(src: &Bytes, start: usize, end: usize) -> Result<Uri, UriError> {
        let s = src.get(start..end).unwrap_or_default();
        // `sip:` and `sips:`, as nearly every URI here starts, without the
        // general scheme rules (which they pass).
        let (colon, sip) = match s {
            [b's' | b'S', b'i' | b'I', b'p' | b'P', b':', ..] => (3, Some(false)),
            [b's' | b'S', b'i' | b'I', b'p' | b'P', b's' | b'S', b':', ..] => (4, Some(true)),
            _ => {
                let colon = s
                    .iter()
                    .position(|&b| b == b':')
                    .ok_or(uerr(K::InvalidScheme, 0))?;
                let scheme = s.get(..colon).unwrap_or_default();
                let valid_scheme = scheme.first().is_some_and(u8::is_ascii_alphabetic)
                    && scheme
                        .iter()
                        .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'));
                if !valid_scheme {
                    return Err(uerr(K::InvalidScheme, 0));
                }
                (colon, None)
            }
        };
        let scheme = s.get(..colon).unwrap_or_default();
        // One pass classes every byte after the scheme (which is checked
        // above): a forbidden byte is refused, and the searches for `@`,
        // `%` and `?` below run only when the byte is there.
        let classes = text::uri_classes(s.get(colon..).unwrap_or_default());
        if classes & text::URI_FORBIDDEN != 0 {
            let p = s
                .iter()
                .position(|&b| text::uri_classes(&[b]) & text::URI_FORBIDDEN != 0)
                .unwrap_or(0);
            return Err(uerr(K::InvalidChar, p));
        }
        let base = colon + 1;
        // `parse_at` counts offsets in `src`.
        let relative = |e: UriError| UriError::new(e.kind, e.offset.saturating_sub(start));
        if let Some(secure) = sip {
            SipUri::parse_at(secure, src, start + base, end, classes)
                .map(Uri::Sip)
                .map_err(relative)
        } else if scheme.eq_ignore_ascii_case(b"tel") {
            let rest = src.slice(start + base..end);
            TelUri::parse_rest(&rest, base).map(Uri::Tel)
        } else if scheme.eq_ignore_ascii_case(b"pres") {
            ImPresUri::parse_rest(&src.slice(start + base..end), base).map(Uri::Pres)
        } else if scheme.eq_ignore_ascii_case(b"im") {
            ImPresUri::parse_rest(&src.slice(start + base..end), base).map(Uri::Im)
        } else {
            Ok(Uri::Other(OtherUri::new(src.slice(start..end), colon)))
        }
    }

    /// Parses a URI from a string (copies it).
    pub fn parse_str(s: &str) -> Result<Uri, UriError> {
        Uri::parse(&Bytes::copy_from_slice(s.as_bytes()))
    }

    /// The scheme, lower case for the known ones.
    pub fn scheme(&self) -> &[u8] {
        match self {
            Uri::Sip(u) if u.secure => b"sips",
            Uri::Sip(_) => b"sip",
            Uri::Tel(_) => b"tel",
            Uri::Pres(_) => b"pres",
            Uri::Im(_) => b"im",
            Uri::Other(o) => o.scheme(),
        }
    }

    /// The SIP URI, if this is one.
    pub fn as_sip(&self) -> Option<&SipUri> {
        match self {
            Uri::Sip(u) => Some(u),
            _ => None,
        }
    }

    /// Writes the URI text.
    pub fn write(&self, out: &mut Vec<u8>) {
        match self {
            Uri::Sip(u) => u.write(out),
            Uri::Tel(t) => {
                out.extend_from_slice(b"tel:");
                out.extend_from_slice(&t.number);
                if !t.params.is_empty() {
                    out.push(b';');
                    out.extend_from_slice(&t.params);
                }
            }
            Uri::Pres(p) => {
                out.extend_from_slice(b"pres:");
                p.write_rest(out);
            }
            Uri::Im(p) => {
                out.extend_from_slice(b"im:");
                p.write_rest(out);
            }
            Uri::Other(o) => out.extend_from_slice(&o.raw),
        }
    }

    /// Equivalence: RFC 3261 19.1.4 for SIP URIs; for `tel:` the numbers
    /// without visual separators and the parameters (RFC 3966 4);
    /// case-insensitive scheme and host for `pres:`/`im:`; byte equality
    /// otherwise.
    pub fn equivalent(&self, other: &Uri) -> bool {
        match (self, other) {
            (Uri::Sip(a), Uri::Sip(b)) => a.equivalent(b),
            (Uri::Tel(a), Uri::Tel(b)) => a.equivalent(b),
            (Uri::Pres(a), Uri::Pres(b)) | (Uri::Im(a), Uri::Im(b)) => a.equivalent(b),
            (Uri::Other(a), Uri::Other(b)) => {
                a.scheme().eq_ignore_ascii_case(b.scheme())
                    && a.raw.get(a.scheme_len..) == b.raw.get(b.scheme_len..)
            }
            _ => false,
        }
    }
}

impl fmt::Display for Uri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut v = Vec::new();
        self.write(&mut v);
        f.write_str(&String::from_utf8_lossy(&v))
    }
}

impl std::str::FromStr for Uri {
    type Err = UriError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Uri::parse_str(s)
    }
}

/// A host (RFC 3261 25.1 `host`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Host {
    /// A domain name, as sent.
    Domain(HostText),
    /// An IPv4 address.
    Ipv4(Ipv4Addr),
    /// An IPv6 reference, the text between `[` and `]` as sent (RFC 5118
    /// 4.10: the three-colon form RFC 3261's ABNF allows is kept too).
    Ipv6(HostText),
}

/// The text of a [`Host`]: a domain name or an IPv6 reference, as sent.
///
/// Parsed from a message, it is copied in place when it is short (up to
/// 23 bytes, which most host names are) and shares the message buffer
/// otherwise: a host read from a typed header or a URI then costs no
/// reference count on the buffer. It dereferences to its bytes.
///
/// ```
/// use sip_core::{Host, HostText};
/// let h = Host::parse_str("biloxi.example.com").unwrap();
/// let Host::Domain(name) = &h else { unreachable!() };
/// assert_eq!(&name[..], b"biloxi.example.com");
/// assert_eq!(Host::Domain(HostText::from("biloxi.example.com")), h);
/// ```
#[derive(Clone, PartialEq, Eq, Hash, Default)]
pub struct HostText(Small);

impl HostText {
    /// The bytes.
    pub fn as_bytes(&self) -> &[u8] {
        self.0.as_slice()
    }

    /// The bytes as `Bytes` (sharing the buffer of a long name, copied
    /// from a short one).
    pub fn to_bytes(&self) -> Bytes {
        self.0.slice_ref(self.0.as_slice())
    }
}

impl std::ops::Deref for HostText {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        self.0.as_slice()
    }
}

impl AsRef<[u8]> for HostText {
    fn as_ref(&self) -> &[u8] {
        self.0.as_slice()
    }
}

impl From<Bytes> for HostText {
    fn from(b: Bytes) -> HostText {
        HostText(Small::from_bytes(b))
    }
}

impl From<&str> for HostText {
    fn from(s: &str) -> HostText {
        HostText(Small::from_slice(s.as_bytes()))
    }
}

impl fmt::Debug for HostText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl Host {
    /// Parses a host; `base` is the offset used in errors.
    pub(crate) fn parse(s: &Bytes, base: usize) -> Result<Host, UriError> {
        Host::parse_in(s, 0, s.len(), base)
    }

    /// Parses the host at `src[start..end]`, slicing `src` only for the
    /// parts kept (one reference count per host).
    pub(crate) fn parse_in(
        src: &Bytes,
        start: usize,
        end: usize,
        base: usize,
    ) -> Result<Host, UriError> {
        let h = src.get(start..end).unwrap_or_default();
        match h {
            [] => Err(uerr(K::InvalidHost, base)),
            [b'[', inner @ .., b']'] => {
                let ok = inner.contains(&b':')
                    && inner
                        .iter()
                        .all(|&b| b.is_ascii_hexdigit() || b == b':' || b == b'.');
                if ok {
                    Ok(Host::Ipv6(HostText(Small::from_src(
                        src,
                        start + 1,
                        end - 1,
                    ))))
                } else {
                    Err(uerr(K::InvalidHost, base))
                }
            }
            h if h.iter().all(|&b| b.is_ascii_digit() || b == b'.') => text::parse_ipv4(h)
                .map(Host::Ipv4)
                .ok_or(uerr(K::InvalidHost, base)),
            h => {
                let ok = h.iter().all(|&b| {
                    text::DOMAIN_CHAR
                        .get(usize::from(b))
                        .copied()
                        .unwrap_or(false)
                }) && !h.starts_with(b".")
                    && !h.starts_with(b"-");
                if ok {
                    Ok(Host::Domain(HostText(Small::from_src(src, start, end))))
                } else {
                    Err(uerr(K::InvalidHost, base))
                }
            }
        }
    }

    /// Parses a host from a string.
    pub fn parse_str(s: &str) -> Result<Host, UriError> {
        Host::parse(&Bytes::copy_from_slice(s.as_bytes()), 0)
    }

    /// The IPv6 address, when the reference is one RFC 4291 accepts.
    pub fn ipv6_addr(&self) -> Option<Ipv6Addr> {
        match self {
            Host::Ipv6(t) => std::str::from_utf8(t).ok()?.parse().ok(),
            _ => None,
        }
    }

    /// Writes the host (IPv6 in brackets).
    pub fn write(&self, out: &mut Vec<u8>) {
        match self {
            Host::Domain(d) => out.extend_from_slice(d),
            Host::Ipv4(a) => out.extend_from_slice(a.to_string().as_bytes()),
            Host::Ipv6(t) => {
                out.push(b'[');
                out.extend_from_slice(t);
                out.push(b']');
            }
        }
    }

    /// Host comparison: case-insensitive names, addresses by value.
    pub fn equivalent(&self, other: &Host) -> bool {
        match (self, other) {
            (Host::Domain(a), Host::Domain(b)) => a.eq_ignore_ascii_case(b),
            (Host::Ipv4(a), Host::Ipv4(b)) => a == b,
            (Host::Ipv6(a), Host::Ipv6(b)) => match (self.ipv6_addr(), other.ipv6_addr()) {
                (Some(x), Some(y)) => x == y,
                _ => a.eq_ignore_ascii_case(b),
            },
            _ => false,
        }
    }
}

impl fmt::Display for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut v = Vec::new();
        self.write(&mut v);
        f.write_str(&String::from_utf8_lossy(&v))
    }
}

/// Parses `host [":" port]` at `src[start..end]`, returning the host, the
/// port and the offset (in `src`) where it stopped.
pub(crate) fn parse_hostport(
    src: &Bytes,
    start: usize,
    end: usize,
    base: usize,
    stop: impl Fn(u8) -> bool,
) -> Result<(Host, Option<u16>, usize), UriError> {
    let s = src.get(start..end).unwrap_or_default();
    let (host, host_len) = if s.first() == Some(&b'[') {
        let host_len = text::find(b']', s)
            .map(|p| p + 1)
            .ok_or(uerr(K::InvalidHost, base))?;
        (
            Host::parse_in(src, start, start + host_len, base)?,
            host_len,
        )
    } else {
        // One pass over a name or IPv4 address, to the `:` or stop byte:
        // any other byte there would make the host invalid.
        let mut i = 0;
        let mut class = text::HOST_V4;
        while let Some(&b) = s.get(i) {
            let c = text::HOST_CLASS.get(usize::from(b)).copied().unwrap_or(0);
            if c & text::HOST_NAME == 0 {
                break;
            }
            class &= c;
            i += 1;
        }
        let digits_dots = class & text::HOST_V4 != 0;
        match s.get(i) {
            Some(&b) if b != b':' && !stop(b) => return Err(uerr(K::InvalidHost, base)),
            _ => {}
        }
        let h = s.get(..i).unwrap_or_default();
        let host = match h.first() {
            None | Some(b'.' | b'-') if !digits_dots || h.is_empty() => {
                return Err(uerr(K::InvalidHost, base))
            }
            _ if digits_dots => text::parse_ipv4(h)
                .map(Host::Ipv4)
                .ok_or(uerr(K::InvalidHost, base))?,
            _ => Host::Domain(HostText(Small::from_src(src, start, start + i))),
        };
        (host, i)
    };
    let mut used = host_len;
    let mut port = None;
    match s.get(host_len) {
        Some(b':') => {
            let tail = s.get(host_len + 1..).unwrap_or_default();
            let digits_len = tail.iter().position(|&b| stop(b)).unwrap_or(tail.len());
            let digits = tail.get(..digits_len).unwrap_or_default();
            if digits.len() > 5 {
                return Err(uerr(K::InvalidPort, base + host_len + 1));
            }
            port = Some(
                text::parse_u32(digits)
                    .and_then(|p| u16::try_from(p).ok())
                    .ok_or(uerr(K::InvalidPort, base + host_len + 1))?,
            );
            used = host_len + 1 + digits_len;
        }
        None => {}
        Some(&b) if stop(b) => {}
        Some(_) => return Err(uerr(K::InvalidHost, base + host_len)),
    }
    Ok((host, port, start + used))
}

/// A `sip:` or `sips:` URI (RFC 3261 19.1).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SipUri {
    /// `user [":" password]` as sent; [`Small::NONE`] without a user.
    userinfo: Small,
    host: Host,
    /// `params ["?" headers]` as sent, without the `;` before the first
    /// parameter.
    tail: Small,
    /// Where the password starts in `userinfo` (one past its `:`); 0 when
    /// there is no password.
    pw: u32,
    /// Where the `?` is in `tail`; [`NO_HEADERS`] when there is none.
    q: u32,
    port: Option<u16>,
    secure: bool,
}

/// [`SipUri::q`] when the URI has no headers. Two fields sharing one
/// `Bytes` each keep a parsed URI small (it is moved through every typed
/// From, To, Contact and Route) and save a reference count.
const NO_HEADERS: u32 = u32::MAX;

/// `;name[=value]` pairs of a URI's parameter text (no LWS in URIs).
fn uri_pairs(s: &[u8], sep: u8) -> impl Iterator<Item = (&[u8], Option<&[u8]>)> {
    s.split(move |&b| b == sep)
        .filter(|p| !p.is_empty())
        .map(|p| match text::find(b'=', p) {
            Some(e) => (p.get(..e).unwrap_or_default(), p.get(e + 1..)),
            None => (p, None),
        })
}

impl SipUri {
    /// A URI for a host, with no user, port or parameters.
    pub fn new(secure: bool, host: Host) -> SipUri {
        SipUri {
            userinfo: Small::NONE,
            host,
            tail: Small::EMPTY,
            pw: 0,
            q: NO_HEADERS,
            port: None,
            secure,
        }
    }

    /// Sets the user part; characters outside RFC 3261's `user` set are
    /// %-escaped.
    pub fn with_user(mut self, user: &str) -> SipUri {
        let mut v = Vec::with_capacity(user.len());
        for &b in user.as_bytes() {
            let plain = b.is_ascii_alphanumeric()
                || matches!(
                    b,
                    b'-' | b'_'
                        | b'.'
                        | b'!'
                        | b'~'
                        | b'*'
                        | b'\''
                        | b'('
                        | b')'
                        | b'&'
                        | b'='
                        | b'+'
                        | b'$'
                        | b','
                        | b';'
                        | b'?'
                        | b'/'
                );
            if plain {
                v.push(b);
            } else {
                v.extend_from_slice(format!("%{b:02X}").as_bytes());
            }
        }
        if self.pw > 0 {
            let pw = self.password().unwrap_or_default();
            v.push(b':');
            let at = v.len();
            v.extend_from_slice(pw);
            self.pw = u32::try_from(at).unwrap_or(0);
        }
        self.userinfo = Small::from_vec(v);
        self
    }

    /// Sets the port.
    pub fn with_port(mut self, port: u16) -> SipUri {
        self.port = Some(port);
        self
    }

    /// Appends a parameter; `name` and `value` must be URI `paramchar`s
    /// (escape others first). Returns `None` when they are not.
    pub fn with_param(mut self, name: &str, value: Option<&str>) -> Option<SipUri> {
        let ok = |s: &str| {
            !s.is_empty()
                && s.bytes().all(|b| {
                    b.is_ascii_alphanumeric()
                        || matches!(
                            b,
                            b'-' | b'_'
                                | b'.'
                                | b'!'
                                | b'~'
                                | b'*'
                                | b'\''
                                | b'('
                                | b')'
                                | b'['
                                | b']'
                                | b'/'
                                | b':'
                                | b'&'
                                | b'+'
                                | b'$'
                                | b'%'
                        )
                })
        };
        if !ok(name) || value.is_some_and(|v| !ok(v)) {
            return None;
        }
        let mut p = self.params_raw().to_vec();
        if !p.is_empty() {
            p.push(b';');
        }
        p.extend_from_slice(name.as_bytes());
        if let Some(v) = value {
            p.push(b'=');
            p.extend_from_slice(v.as_bytes());
        }
        let headers = self.headers_raw();
        let mut q = NO_HEADERS;
        if !headers.is_empty() {
            q = u32::try_from(p.len()).ok()?;
            p.push(b'?');
            p.extend_from_slice(headers);
        }
        self.q = q;
        self.tail = Small::from_vec(p);
        Some(self)
    }

    /// Parses the part after `sip:`/`sips:`, which is `src[at..end]`;
    /// only the fields kept are sliced from `src`. Error offsets count in
    /// `src`. `classes` is [`text::uri_classes`] of that part.
    fn parse_at(
        secure: bool,
        src: &Bytes,
        at: usize,
        end: usize,
        classes: u8,
    ) -> Result<SipUri, UriError> {
        let s = src.get(at..end).unwrap_or_default();
        let escapes = classes & text::URI_PERCENT != 0;
        let at_sign = if classes & text::URI_AT != 0 {
            text::find(b'@', s)
        } else {
            None
        };
        let (userinfo, pw, hp_start) = match at_sign {
            Some(a) => {
                let info = s.get(..a).unwrap_or_default();
                if escapes {
                    check_escapes(info, at)?;
                }
                let colon = text::find(b':', info);
                if colon.unwrap_or(a) == 0 {
                    return Err(uerr(K::EmptyUser, at));
                }
                let pw = colon.map_or(Ok(0), |c| u32::try_from(c + 1));
                let pw = pw.map_err(|_| uerr(K::InvalidChar, at))?;
                (Small::from_src(src, at, at + a), pw, at + a + 1)
            }
            None => (Small::NONE, 0, at),
        };
        let (host, port, used) =
            parse_hostport(src, hp_start, end, hp_start, |b| b == b';' || b == b'?')?;
        let rest = src.get(used..end).unwrap_or_default();
        let q = if classes & text::URI_QUESTION != 0 {
            text::find(b'?', rest)
        } else {
            None
        };
        let params_text = rest.get(..q.unwrap_or(rest.len())).unwrap_or_default();
        let pbase = used;
        let params_text = match params_text.first() {
            None => params_text,
            Some(b';') => params_text.get(1..).unwrap_or_default(),
            Some(_) => return Err(uerr(K::InvalidHost, pbase)),
        };
        if escapes {
            // Offsets of an escape's error count from the text it is in.
            let params_at = pbase + usize::from(rest.first() == Some(&b';'));
            check_escapes(params_text, params_at)?;
        }
        if !params_text.is_empty() {
            for (i, p) in params_text.split(|&b| b == b';').enumerate() {
                let name = p.split(|&b| b == b'=').next().unwrap_or_default();
                if name.is_empty() || p.iter().filter(|&&b| b == b'=').count() > 1 {
                    return Err(uerr(K::InvalidParam, pbase + i));
                }
            }
        }
        let headers_text = q.and_then(|q| rest.get(q + 1..)).unwrap_or_default();
        if escapes {
            let headers_at = pbase + q.map_or(rest.len(), |q| q + 1);
            check_escapes(headers_text, headers_at)?;
        }
        if q.is_some() {
            for h in headers_text.split(|&b| b == b'&') {
                match text::find(b'=', h) {
                    Some(e) if e > 0 => {}
                    _ => return Err(uerr(K::InvalidHeader, pbase)),
                }
            }
        }
        // `params_text` and the headers after it are contiguous in `src`.
        let tail_start = params_text.as_ptr() as usize - src.as_ptr() as usize;
        let (tail, q) = match q {
            None if params_text.is_empty() => (Small::EMPTY, NO_HEADERS),
            None => (Small::from_ref(src, params_text), NO_HEADERS),
            Some(_) => (
                Small::from_src(src, tail_start, end),
                u32::try_from(params_text.len()).map_err(|_| uerr(K::InvalidChar, pbase))?,
            ),
        };
        Ok(SipUri {
            userinfo,
            host,
            tail,
            pw,
            q,
            port,
            secure,
        })
    }

    /// `sips:`.
    pub fn is_secure(&self) -> bool {
        self.secure
    }

    /// The user part as sent (escapes kept), e.g. `user;par=u%40example.net`.
    pub fn user_raw(&self) -> Option<&[u8]> {
        let info = self.userinfo.get()?;
        match self.pw {
            0 => Some(info),
            at => info.get(..at as usize - 1),
        }
    }

    /// The user part with escapes decoded, as text when it is UTF-8.
    pub fn user(&self) -> Option<Cow<'_, str>> {
        self.user_raw().map(|u| match unescape(u) {
            Cow::Borrowed(b) => String::from_utf8_lossy(b),
            Cow::Owned(v) => Cow::Owned(String::from_utf8_lossy(&v).into_owned()),
        })
    }

    /// The user part with escapes decoded, as bytes (may hold NUL: RFC 4475
    /// 3.1.1.4).
    pub fn user_bytes(&self) -> Option<Cow<'_, [u8]>> {
        self.user_raw().map(unescape)
    }

    /// The password as sent.
    pub fn password(&self) -> Option<&[u8]> {
        match self.pw {
            0 => None,
            at => self.userinfo.get()?.get(at as usize..),
        }
    }

    /// The host.
    pub fn host(&self) -> &Host {
        &self.host
    }

    /// The explicit port.
    pub fn port(&self) -> Option<u16> {
        self.port
    }

    /// The raw parameter text (without the first `;`).
    pub fn params_raw(&self) -> &[u8] {
        match self.q {
            NO_HEADERS => self.tail.as_slice(),
            q => self.tail.as_slice().get(..q as usize).unwrap_or_default(),
        }
    }

    /// The raw header text (after `?`).
    pub fn headers_raw(&self) -> &[u8] {
        match self.q {
            NO_HEADERS => &[],
            q => self
                .tail
                .as_slice()
                .get(q as usize + 1..)
                .unwrap_or_default(),
        }
    }

    /// The parameters as (name, value) pairs, as sent.
    pub fn params(&self) -> impl Iterator<Item = (&[u8], Option<&[u8]>)> {
        uri_pairs(self.params_raw(), b';')
    }

    /// The headers (`?name=value&...`) as pairs, as sent.
    pub fn headers(&self) -> impl Iterator<Item = (&[u8], Option<&[u8]>)> {
        uri_pairs(self.headers_raw(), b'&')
    }

    /// A parameter's value (names case-insensitive; escapes in the name
    /// decoded); `Some(b"")` for a flag such as `lr`.
    pub fn param(&self, name: &str) -> Option<&[u8]> {
        self.params()
            .find(|(n, _)| unescape(n).eq_ignore_ascii_case(name.as_bytes()))
            .map(|(_, v)| v.unwrap_or_default())
    }

    /// The `transport` parameter.
    pub fn transport(&self) -> Option<&[u8]> {
        self.param("transport")
    }

    /// The `lr` flag (RFC 3261 19.1.1).
    pub fn lr(&self) -> bool {
        self.param("lr").is_some()
    }

    /// The `maddr` parameter.
    pub fn maddr(&self) -> Option<&[u8]> {
        self.param("maddr")
    }

    /// Writes the URI.
    pub fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(if self.secure { b"sips:" } else { b"sip:" });
        if let Some(u) = self.userinfo.get() {
            out.extend_from_slice(u);
            out.push(b'@');
        }
        self.host.write(out);
        if let Some(p) = self.port {
            out.push(b':');
            out.extend_from_slice(p.to_string().as_bytes());
        }
        let (params, headers) = (self.params_raw(), self.headers_raw());
        if !params.is_empty() {
            out.push(b';');
            out.extend_from_slice(params);
        }
        if !headers.is_empty() {
            out.push(b'?');
            out.extend_from_slice(headers);
        }
    }

    /// RFC 3261 19.1.4 equivalence: escapes decoded; user and password
    /// case-sensitive; host case-insensitive; ports must both be absent or
    /// equal; `user`, `ttl`, `method`, `maddr` and `transport` must match if
    /// either side has them, other parameters only when both have them;
    /// headers must match both ways.
    pub fn equivalent(&self, other: &SipUri) -> bool {
        let dec = |o: Option<&[u8]>| o.map(|b| unescape(b).into_owned());
        if self.secure != other.secure
            || dec(self.user_raw()) != dec(other.user_raw())
            || dec(self.password()) != dec(other.password())
            || !self.host.equivalent(&other.host)
            || self.port != other.port
        {
            return false;
        }
        let find = |u: &SipUri, name: &[u8]| -> Option<Vec<u8>> {
            u.params()
                .find(|(n, _)| unescape(n).eq_ignore_ascii_case(name))
                .map(|(_, v)| unescape(v.unwrap_or_default()).to_ascii_lowercase())
        };
        for special in [&b"user"[..], b"ttl", b"method", b"maddr", b"transport"] {
            if find(self, special) != find(other, special) {
                return false;
            }
        }
        for (n, _) in self.params() {
            let n = unescape(n);
            if let (Some(a), Some(b)) = (find(self, &n), find(other, &n)) {
                if a != b {
                    return false;
                }
            }
        }
        let hdrs = |u: &SipUri| {
            let mut v: Vec<(Vec<u8>, Vec<u8>)> = u
                .headers()
                .map(|(n, val)| {
                    (
                        unescape(n).to_ascii_lowercase(),
                        unescape(val.unwrap_or_default()).into_owned(),
                    )
                })
                .collect();
            v.sort();
            v
        };
        hdrs(self) == hdrs(other)
    }
}

impl fmt::Display for SipUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut v = Vec::new();
        self.write(&mut v);
        f.write_str(&String::from_utf8_lossy(&v))
    }
}

/// A `tel:` URI (RFC 3966).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TelUri {
    number: Bytes,
    params: Bytes,
}

impl TelUri {
    fn parse_rest(s: &Bytes, base: usize) -> Result<TelUri, UriError> {
        let end = text::find(b';', s).unwrap_or(s.len());
        let number = s.slice(..end);
        let params = s.slice((end + 1).min(s.len())..);
        let visual = |b: u8| matches!(b, b'-' | b'.' | b'(' | b')');
        let global = number.first() == Some(&b'+');
        let ok = if global {
            let d = number.get(1..).unwrap_or_default();
            d.iter().any(u8::is_ascii_digit) && d.iter().all(|&b| b.is_ascii_digit() || visual(b))
        } else {
            number
                .iter()
                .any(|&b| b.is_ascii_hexdigit() || b == b'*' || b == b'#')
                && number
                    .iter()
                    .all(|&b| b.is_ascii_hexdigit() || b == b'*' || b == b'#' || visual(b))
        };
        if !ok {
            return Err(uerr(K::InvalidNumber, base));
        }
        check_escapes(&params, base + end + 1)?;
        let mut has_context = false;
        if end < s.len() {
            for p in params.split(|&b| b == b';') {
                let name = p.split(|&b| b == b'=').next().unwrap_or_default();
                if name.is_empty() || !name.iter().all(|&b| b.is_ascii_alphanumeric() || b == b'-')
                {
                    return Err(uerr(K::InvalidParam, base + end + 1));
                }
                has_context |= name.eq_ignore_ascii_case(b"phone-context");
            }
        }
        if !global && !has_context {
            return Err(uerr(K::MissingPhoneContext, base));
        }
        Ok(TelUri { number, params })
    }

    /// The number as sent, e.g. `+1-201-555-0123`.
    pub fn number(&self) -> &[u8] {
        &self.number
    }

    /// A global number (starts with `+`).
    pub fn is_global(&self) -> bool {
        self.number.first() == Some(&b'+')
    }

    /// The number without visual separators.
    pub fn digits(&self) -> Vec<u8> {
        self.number
            .iter()
            .copied()
            .filter(|b| !matches!(b, b'-' | b'.' | b'(' | b')'))
            .map(|b| b.to_ascii_lowercase())
            .collect()
    }

    /// A parameter's value (case-insensitive name).
    pub fn param(&self, name: &str) -> Option<&[u8]> {
        uri_pairs(&self.params, b';')
            .find(|(n, _)| n.eq_ignore_ascii_case(name.as_bytes()))
            .map(|(_, v)| v.unwrap_or_default())
    }

    fn equivalent(&self, other: &TelUri) -> bool {
        let ps = |t: &TelUri| {
            let mut v: Vec<Vec<u8>> = uri_pairs(&t.params, b';')
                .map(|(n, v)| {
                    let mut x = n.to_ascii_lowercase();
                    x.push(b'=');
                    x.extend(v.unwrap_or_default().to_ascii_lowercase());
                    x
                })
                .collect();
            v.sort();
            v
        };
        self.digits() == other.digits() && ps(self) == ps(other)
    }
}

/// A `pres:` (RFC 3859) or `im:` (RFC 3860) URI: `[mailbox] ["?" headers]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ImPresUri {
    to: Bytes,
    headers: Bytes,
}

impl ImPresUri {
    fn parse_rest(s: &Bytes, base: usize) -> Result<ImPresUri, UriError> {
        let q = text::find(b'?', s);
        let to = s.slice(..q.unwrap_or(s.len()));
        let headers = q.map_or_else(Bytes::new, |q| s.slice(q + 1..));
        check_escapes(s, base)?;
        if !to.is_empty() {
            let at = memchr::memrchr(b'@', &to).ok_or(uerr(K::InvalidHost, base))?;
            let domain = to.slice(at + 1..);
            if at == 0 {
                return Err(uerr(K::EmptyUser, base));
            }
            Host::parse(&domain, base + at + 1)?;
        }
        Ok(ImPresUri { to, headers })
    }

    /// The local part of the mailbox.
    pub fn user(&self) -> &[u8] {
        match memchr::memrchr(b'@', &self.to) {
            Some(at) => self.to.get(..at).unwrap_or_default(),
            None => &self.to,
        }
    }

    /// The domain of the mailbox.
    pub fn domain(&self) -> &[u8] {
        match memchr::memrchr(b'@', &self.to) {
            Some(at) => self.to.get(at + 1..).unwrap_or_default(),
            None => &[],
        }
    }

    /// The headers after `?`, as sent.
    pub fn headers_raw(&self) -> &[u8] {
        &self.headers
    }

    fn write_rest(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to);
        if !self.headers.is_empty() {
            out.push(b'?');
            out.extend_from_slice(&self.headers);
        }
    }

    fn equivalent(&self, other: &ImPresUri) -> bool {
        unescape(self.user()) == unescape(other.user())
            && self.domain().eq_ignore_ascii_case(other.domain())
            && self.headers == other.headers
    }
}

/// Any other absolute URI: kept as sent, and parsed by the `url` crate
/// when it accepts it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OtherUri {
    raw: Bytes,
    scheme_len: usize,
    url: Option<Box<url::Url>>,
}

impl OtherUri {
    fn new(raw: Bytes, scheme_len: usize) -> OtherUri {
        let url = std::str::from_utf8(&raw)
            .ok()
            .and_then(|s| url::Url::parse(s).ok())
            .map(Box::new);
        OtherUri {
            raw,
            scheme_len,
            url,
        }
    }

    /// The scheme as sent.
    pub fn scheme(&self) -> &[u8] {
        self.raw.get(..self.scheme_len).unwrap_or_default()
    }

    /// The whole URI as sent.
    pub fn as_bytes(&self) -> &[u8] {
        &self.raw
    }

    /// The `url` crate's parse, when it accepts the text.
    pub fn url(&self) -> Option<&url::Url> {
        self.url.as_deref()
    }
}

/// Parameters of a header value (`*( SEMI generic-param )`): the raw text
/// after the first `;`, checked once, read on demand without allocating.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Params(Small);

impl Params {
    /// No parameters.
    pub fn new() -> Params {
        Params(Small::EMPTY)
    }

    /// Checks `src[start..end]` (text after the first `;`): every
    /// parameter a token name with an optional token, quoted-string or
    /// IPv6 reference value. Offsets in errors count from `start`.
    pub(crate) fn parse(
        src: &Bytes,
        start: usize,
        end: usize,
    ) -> Result<Params, (HeaderErrorKind, usize)> {
        Self::parse_with(src, start, end, |_, _| true).map(|p| p.unwrap_or_default())
    }

    /// [`Params::parse`], also asking `extra` about each (name, value) in
    /// the same pass. The generic check of every parameter comes first: a
    /// refusal by `extra` is reported (as `Ok(Err(()))`) only when all of
    /// them pass it.
    #[inline]
    pub(crate) fn parse_with(
        src: &Bytes,
        start: usize,
        end: usize,
        mut extra: impl FnMut(&[u8], Option<&[u8]>) -> bool,
    ) -> Result<Result<Params, ()>, (HeaderErrorKind, usize)> {
        let s: &[u8] = src.get(start..end).unwrap_or_default();
        let kept = || Params(Small::from_ref(src, s));
        if let Some(ok) = Self::scan_plain(s, &mut extra) {
            return Ok(if ok { Ok(kept()) } else { Err(()) });
        }
        let mut extra_ok = true;
        let mut check = |off: usize, p: &[u8]| {
            let (name, value) = param_pair(p);
            if !text::is_token_str(name) || value.is_some_and(|v| !text::is_gen_value(v)) {
                return Err((HeaderErrorKind::InvalidParam, off));
            }
            if extra_ok {
                extra_ok = extra(name, value);
            }
            Ok(())
        };
        if memchr::memchr(b'"', s).is_none() {
            // No quoted string: a `;` always separates (a `<` fails the
            // value check wherever the split falls, at the same piece).
            let mut off = 0;
            for p in s.split(|&b| b == b';') {
                check(off, p)?;
                off += p.len() + 1;
            }
        } else {
            for (off, p) in text::split(s, b';') {
                check(off, p)?;
            }
        }
        Ok(if extra_ok { Ok(kept()) } else { Err(()) })
    }

    /// The common case of [`Params::parse_with`] in one pass: every
    /// parameter `token [= token-or-colon]`, with no LWS, quoted string or
    /// IPv6 reference. `None` for anything else, which the general path
    /// then decides (and words the error for); `extra` is pure, so asking
    /// it again there is harmless. `Some(false)` when `extra` refused one.
    #[inline]
    fn scan_plain(s: &[u8], extra: &mut impl FnMut(&[u8], Option<&[u8]>) -> bool) -> Option<bool> {
        let mut ok = true;
        let mut i = 0;
        loop {
            let n0 = i;
            while s.get(i).copied().is_some_and(text::tok) {
                i += 1;
            }
            let name = s.get(n0..i).filter(|n| !n.is_empty())?;
            let value = if s.get(i) == Some(&b'=') {
                i += 1;
                let v0 = i;
                while s.get(i).copied().is_some_and(text::tok_or_colon) {
                    i += 1;
                }
                Some(s.get(v0..i).filter(|v| !v.is_empty())?)
            } else {
                None
            };
            if ok {
                ok = extra(name, value);
            }
            match s.get(i) {
                None => return Some(ok),
                Some(b';') => i += 1,
                Some(_) => return None,
            }
        }
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.0.as_slice().is_empty()
    }

    /// The parameters as (name, value) pairs, LWS trimmed; quoted values
    /// keep their quotes.
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], Option<&[u8]>)> {
        let empty = self.0.as_slice().is_empty();
        text::split(self.0.as_slice(), b';')
            .filter(move |_| !empty)
            .map(|(_, p)| param_pair(p))
    }

    /// A parameter's value (case-insensitive name), `Some(b"")` for a flag.
    pub fn get(&self, name: &str) -> Option<&[u8]> {
        self.iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name.as_bytes()))
            .map(|(_, v)| v.unwrap_or_default())
    }

    /// A parameter's value as `Bytes`: sharing the buffer of long
    /// parameter text, copied from short text (which is kept in place).
    pub fn get_bytes(&self, name: &str) -> Option<Bytes> {
        self.get(name).map(|v| self.0.slice_ref(v))
    }

    /// True when the parameter is present.
    pub fn contains(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// A copy with `name` set to `value` (replacing an earlier one).
    /// `name` must be a token and `value` a token or quoted string.
    pub fn with(&self, name: &str, value: Option<&str>) -> Option<Params> {
        if !text::is_token_str(name.as_bytes())
            || value.is_some_and(|v| !text::is_gen_value(v.as_bytes()))
        {
            return None;
        }
        let mut out = Vec::with_capacity(self.0.as_slice().len() + name.len() + 8);
        for (n, v) in self
            .iter()
            .filter(|(n, _)| !n.eq_ignore_ascii_case(name.as_bytes()))
        {
            write_param(&mut out, n, v);
        }
        write_param(&mut out, name.as_bytes(), value.map(str::as_bytes));
        // Every parameter was written with its `;`; the text keeps none
        // before the first.
        out.drain(..out.len().min(1));
        Some(Params(Small::from_vec(out)))
    }

    /// Writes `;name=value` for each parameter, without LWS.
    pub fn write(&self, out: &mut Vec<u8>) {
        for (n, v) in self.iter() {
            write_param(out, n, v);
        }
    }
}

/// One `name[=value]` parameter, LWS trimmed around both.
#[inline]
fn param_pair(p: &[u8]) -> (&[u8], Option<&[u8]>) {
    let p = trim(p);
    match text::find(b'=', p) {
        Some(e) => (
            trim(p.get(..e).unwrap_or_default()),
            Some(trim(p.get(e + 1..).unwrap_or_default())),
        ),
        None => (p, None),
    }
}

fn write_param(out: &mut Vec<u8>, n: &[u8], v: Option<&[u8]>) {
    out.push(b';');
    out.extend_from_slice(n);
    if let Some(v) = v {
        out.push(b'=');
        out.extend_from_slice(v);
    }
}

/// A name-addr or addr-spec (RFC 3261 25.1): an optional display name and a
/// URI.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NameAddr {
    /// The display name as sent; [`Small::NONE`] without one.
    display: Small,
    uri: Uri,
}

impl NameAddr {
    /// A bare URI.
    pub fn new(uri: Uri) -> NameAddr {
        NameAddr {
            display: Small::NONE,
            uri,
        }
    }

    /// Sets the display name (quoted and escaped as needed).
    pub fn with_display_name(mut self, name: &str) -> NameAddr {
        let mut v = Vec::with_capacity(name.len() + 2);
        v.push(b'"');
        for &b in name.as_bytes() {
            if b == b'"' || b == b'\\' {
                v.push(b'\\');
            }
            if b != b'\r' && b != b'\n' {
                v.push(b);
            }
        }
        v.push(b'"');
        self.display = Small::from_vec(v);
        self
    }

    /// The display name as sent (quotes and escapes kept).
    pub fn display_raw(&self) -> Option<&[u8]> {
        self.display.get()
    }

    /// The display name with quotes removed and `\x` pairs resolved.
    pub fn display_name(&self) -> Option<Cow<'_, [u8]>> {
        self.display.get().map(text::unquote)
    }

    /// The URI.
    pub fn uri(&self) -> &Uri {
        &self.uri
    }

    /// Writes `"display" <uri>` (always the name-addr form).
    pub fn write(&self, out: &mut Vec<u8>) {
        if let Some(d) = self.display.get() {
            out.extend_from_slice(d);
            out.push(b' ');
        }
        out.push(b'<');
        self.uri.write(out);
        out.push(b'>');
    }

    /// Parses `name-addr / addr-spec` followed by `*(SEMI param)`, as in
    /// From, To, Contact, Route (RFC 3261 20.10: in the addr-spec form the
    /// parameters after the URI belong to the header).
    ///
    /// The value is `src[start..end]`: the parts kept are slices of `src`,
    /// and error offsets count from `start`. A header read from a parsed
    /// message decodes this way, without a `Bytes` of its own for the
    /// whole value.
    pub(crate) fn parse_with_params_in(
        src: &Bytes,
        start: usize,
        end: usize,
    ) -> Result<(NameAddr, Params), (HeaderErrorKind, usize)> {
        let s: &[u8] = src.get(start..end).unwrap_or_default();
        let i = skip_ws(s, 0);
        let (display, after) = if s.get(i) == Some(&b'"') {
            let q_end = quoted_end(s, i).ok_or((HeaderErrorKind::UnterminatedQuote, i))?;
            let j = skip_ws(s, q_end + 1);
            if s.get(j) != Some(&b'<') {
                return Err((HeaderErrorKind::InvalidAngleBrackets, j));
            }
            (Small::from_src(src, start + i, start + q_end + 1), j)
        } else {
            // A `<` before any `;` makes it a name-addr.
            let first = s.iter().position(|&b| b == b'<' || b == b';');
            match first.filter(|&lt| s.get(lt) == Some(&b'<')) {
                Some(lt) => {
                    let d = trim(s.get(i..lt).unwrap_or_default());
                    // Token words separated by LWS.
                    let words_ok = d.iter().all(|&b| text::tok(b) || text::is_ws(b));
                    if !words_ok {
                        return Err((HeaderErrorKind::InvalidDisplayName, i));
                    }
                    (
                        if d.is_empty() {
                            Small::NONE
                        } else {
                            Small::from_ref(src, d)
                        },
                        lt,
                    )
                }
                None => {
                    // addr-spec
                    // No `<`: the URI ends at the first `;` (the first
                    // thing found) or at the end.
                    let uri_end = first.unwrap_or(s.len());
                    let text = trim(s.get(i..uri_end).unwrap_or_default());
                    let t0 = start + (text.as_ptr() as usize - s.as_ptr() as usize);
                    let uri = Uri::parse_in(src, t0, t0 + text.len())
                        .map_err(|e| (HeaderErrorKind::InvalidUri(e), i + e.offset))?;
                    if let Uri::Sip(u) = &uri {
                        if !u.headers_raw().is_empty()
                            || text::find(b'?', text).is_some_and(|_| u.userinfo.get().is_none())
                        {
                            return Err((HeaderErrorKind::UnbracketedUri, i));
                        }
                    }
                    let params = Self::params_after(src, start, end, uri_end)?;
                    let display = Small::NONE;
                    return Ok((NameAddr { display, uri }, params));
                }
            }
        };
        let gt = s
            .get(after..)
            .and_then(|r| memchr::memchr(b'>', r))
            .map(|p| after + p)
            .ok_or((HeaderErrorKind::InvalidAngleBrackets, after))?;
        let inner = s.get(after + 1..gt).unwrap_or_default();
        if inner.first().is_some_and(|&b| text::is_ws(b))
            || inner.last().is_some_and(|&b| text::is_ws(b))
        {
            return Err((HeaderErrorKind::InvalidAngleBrackets, after + 1));
        }
        let uri = Uri::parse_in(src, start + after + 1, start + gt)
            .map_err(|e| (HeaderErrorKind::InvalidUri(e), after + 1 + e.offset))?;
        let params = Self::params_after(src, start, end, gt + 1)?;
        Ok((NameAddr { display, uri }, params))
    }

    /// The header parameters of `src[start..end]` from its offset `from`
    /// on (offsets in errors count from `start`).
    fn params_after(
        src: &Bytes,
        start: usize,
        end: usize,
        from: usize,
    ) -> Result<Params, (HeaderErrorKind, usize)> {
        let s: &[u8] = src.get(start..end).unwrap_or_default();
        let j = skip_ws(s, from);
        match s.get(j) {
            None => Ok(Params::new()),
            Some(b';') => Params::parse(src, start + j + 1, end).map_err(|(k, o)| (k, j + 1 + o)),
            Some(_) => Err((HeaderErrorKind::TrailingData, j)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sip(s: &str) -> SipUri {
        match Uri::parse_str(s).unwrap() {
            Uri::Sip(u) => u,
            other => panic!("{other:?}"),
        }
    }

    fn written(u: &SipUri) -> String {
        let mut out = Vec::new();
        u.write(&mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn userinfo_params_and_headers_share_their_text() {
        let text =
            "sips:alice:se%3Acret@host.example:5061;transport=tls;lr?subject=x&priority=urgent";
        let u = sip(text);
        assert_eq!(u.user_raw(), Some(&b"alice"[..]));
        assert_eq!(u.password(), Some(&b"se%3Acret"[..]));
        assert_eq!(u.params_raw(), b"transport=tls;lr");
        assert_eq!(u.headers_raw(), b"subject=x&priority=urgent");
        assert_eq!(written(&u), text);
        // Builders keep the parts they do not touch.
        let u = u.with_param("maddr", Some("192.0.2.1")).unwrap();
        assert_eq!(u.params_raw(), b"transport=tls;lr;maddr=192.0.2.1");
        assert_eq!(u.headers_raw(), b"subject=x&priority=urgent");
        let u = u.with_user("bob");
        assert_eq!(
            (u.user_raw(), u.password()),
            (Some(&b"bob"[..]), Some(&b"se%3Acret"[..]))
        );
        // Even an empty user keeps the password apart.
        let u = u.with_user("");
        assert_eq!(
            (u.user_raw(), u.password()),
            (Some(&b""[..]), Some(&b"se%3Acret"[..]))
        );
        let u = sip("sip:a:@h");
        assert_eq!(
            (u.user_raw(), u.password()),
            (Some(&b"a"[..]), Some(&b""[..]))
        );
        // Headers with no parameters, parameters with no headers, neither.
        let u = sip("sip:h.example?a=b");
        assert_eq!((u.params_raw(), u.headers_raw()), (&b""[..], &b"a=b"[..]));
        assert_eq!(u.user_raw(), None);
        assert_eq!(u.password(), None);
        assert!(Uri::parse_str("sip:carol@h.example;;lr").is_err());
        let u = sip("sip:h.example;x=1");
        assert_eq!((u.params_raw(), u.headers_raw()), (&b"x=1"[..], &b""[..]));
        assert_eq!(written(&sip("sip:d@h;?a=b")), "sip:d@h?a=b");
        assert!(Uri::parse_str("sip::pw@h").is_err());
    }

    #[test]
    fn a_uri_inside_a_buffer_parses_as_alone() {
        for u in [
            "sip:alice@atlanta.com;transport=tcp?subject=x",
            "sips:a:pw@[2001:db8::1]:5061",
            "sip:%zz@b",
            "sip:a@b c",
            "sip:a@b:99999",
            "sip:a@b;;x",
            "tel:+1-201-555-0123",
            "pres:a@b",
            "urn:x:y",
            "1x:y",
        ] {
            let alone = Uri::parse_str(u);
            let buf = Bytes::from(format!("xx<{u}>;yy"));
            let inside = Uri::parse_in(&buf, 3, 3 + u.len());
            assert_eq!(inside, alone, "{u}");
        }
    }

    #[test]
    fn sip_uri_parts() {
        let u = sip("sips:alice:secret@[2001:db8::10]:5070;transport=tcp;lr?subject=x&h=y");
        assert!(u.is_secure());
        assert_eq!(u.user().unwrap(), "alice");
        assert_eq!(u.password().unwrap(), b"secret");
        assert_eq!(u.host().ipv6_addr(), Some("2001:db8::10".parse().unwrap()));
        assert_eq!(u.port(), Some(5070));
        assert_eq!(u.transport(), Some(&b"tcp"[..]));
        assert!(u.lr());
        assert_eq!(u.headers().count(), 2);
        assert_eq!(
            u.to_string(),
            "sips:alice:secret@[2001:db8::10]:5070;transport=tcp;lr?subject=x&h=y"
        );
    }

    #[test]
    fn escapes_and_semicolon_users() {
        let u = sip("sip:user;par=u%40example.net@example.com");
        assert_eq!(u.user_raw().unwrap(), b"user;par=u%40example.net");
        assert_eq!(u.user().unwrap(), "user;par=u@example.net");
        assert_eq!(u.params().count(), 0);
        let n = sip("sip:null-%00-null@example.com");
        assert_eq!(&*n.user_bytes().unwrap(), b"null-\0-null");
        // An escape is checked wherever it is: user, parameters, headers
        // (the `%` search runs only when one is there).
        for (bad, at) in [
            ("sip:a%Zb@x", 5),
            ("sip:a@x;p=%4", 10),
            ("sip:a@x?h=%g1", 10),
            ("sip:x;p=1?h=%", 12),
        ] {
            let e = Uri::parse_str(bad).unwrap_err();
            assert_eq!((e.kind, e.offset), (K::InvalidEscape, at), "{bad}");
        }
        let u = sip("sip:x;p=%41?h=%42");
        assert_eq!(
            (u.params_raw(), u.headers_raw()),
            (&b"p=%41"[..], &b"h=%42"[..])
        );
        assert_eq!(sip("sip:a?b=c@x").headers_raw(), b"");
        assert_eq!(
            Uri::parse_str("sip:a@b<").unwrap_err().offset,
            7,
            "a forbidden byte is refused where it is"
        );
    }

    #[test]
    fn bad_uris() {
        for bad in [
            "sip:2001:db8::10",
            "<sip:a@b>",
            "sip:a@b c",
            "sip:@b",
            "sip:a@b;;x",
            "sip:a@b:99999",
            "sip:",
            "1sip:x",
            "tel:1234",
            "tel:+",
        ] {
            assert!(Uri::parse_str(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn rfc3261_19_1_4_equivalence() {
        let eq = |a: &str, b: &str| {
            Uri::parse_str(a)
                .unwrap()
                .equivalent(&Uri::parse_str(b).unwrap())
        };
        assert!(eq(
            "sip:%61lice@atlanta.com;transport=TCP",
            "sip:alice@AtLanTa.CoM;Transport=tcp"
        ));
        assert!(eq(
            "sip:carol@chicago.com",
            "sip:carol@chicago.com;newparam=5"
        ));
        assert!(eq(
            "sip:carol@chicago.com;security=on",
            "sip:carol@chicago.com;newparam=5"
        ));
        assert!(eq(
            "sip:biloxi.com;transport=tcp;method=REGISTER?to=sip:bob%40biloxi.com",
            "sip:biloxi.com;method=REGISTER;transport=tcp?to=sip:bob%40biloxi.com"
        ));
        assert!(eq(
            "sip:alice@atlanta.com?subject=project%20x&priority=urgent",
            "sip:alice@atlanta.com?priority=urgent&subject=project%20x"
        ));
        assert!(!eq(
            "SIP:ALICE@AtLanTa.CoM;Transport=udp",
            "sip:alice@AtLanTa.CoM;Transport=UDP"
        ));
        assert!(!eq("sip:bob@biloxi.com", "sip:bob@biloxi.com:5060"));
        assert!(!eq(
            "sip:bob@biloxi.com",
            "sip:bob@biloxi.com;transport=udp"
        ));
        assert!(!eq(
            "sip:carol@chicago.com",
            "sip:carol@chicago.com?Subject=next%20meeting"
        ));
        assert!(!eq(
            "sip:carol@chicago.com;security=on",
            "sip:carol@chicago.com;security=off"
        ));
        assert!(eq("tel:+1-201-555-0123", "tel:+12015550123"));
    }

    #[test]
    fn sip_schemes_in_any_case_and_their_neighbours() {
        for (text, secure) in [
            ("sip:a@x", false),
            ("SIP:a@x", false),
            ("sIp:x", false),
            ("sips:a@x", true),
            ("SiPs:x", true),
        ] {
            let u = Uri::parse_str(text).unwrap();
            assert_eq!(u.as_sip().map(SipUri::is_secure), Some(secure), "{text}");
        }
        // Schemes that only start like `sip`: not SIP URIs.
        let u = Uri::parse_str("sipx:a@x").unwrap();
        assert!(matches!(&u, Uri::Other(o) if o.scheme() == b"sipx"));
        assert!(matches!(Uri::parse_str("sip2:x"), Ok(Uri::Other(_))));
        assert!(matches!(Uri::parse_str("si:x"), Ok(Uri::Other(_))));
        // Empty or bad rests are refused as before.
        for bad in ["sip:", "SIPS:", "SIP:@x", "sip:a@"] {
            assert!(Uri::parse_str(bad).is_err(), "{bad}");
        }
        assert_eq!(Uri::parse_str("sip").unwrap_err().kind, K::InvalidScheme);
        assert_eq!(Uri::parse_str(":x").unwrap_err().kind, K::InvalidScheme);
        assert_eq!(Uri::parse_str("1sip:x").unwrap_err().kind, K::InvalidScheme);
    }

    #[test]
    fn other_schemes() {
        let u = Uri::parse_str("soap.beep://192.0.2.103:3002").unwrap();
        let Uri::Other(o) = &u else { panic!() };
        assert_eq!(o.scheme(), b"soap.beep");
        assert_eq!(o.url().unwrap().port(), Some(3002));
        let p = Uri::parse_str("pres:alice@example.com").unwrap();
        let Uri::Pres(p) = &p else { panic!() };
        assert_eq!((p.user(), p.domain()), (&b"alice"[..], &b"example.com"[..]));
        let t = Uri::parse_str("tel:7042;phone-context=example.com").unwrap();
        assert!(matches!(t, Uri::Tel(ref t) if !t.is_global()));
    }

    #[test]
    fn name_addr_forms() {
        let v = Bytes::from_static(
            br#""J Rosenberg \\\""       <sip:jdrosen@example.com>  ;  tag = 98asjd8"#,
        );
        let (na, p) = NameAddr::parse_with_params_in(&v, 0, v.len()).unwrap();
        assert_eq!(&*na.display_name().unwrap(), br#"J Rosenberg \""#);
        assert_eq!(p.get("tag"), Some(&b"98asjd8"[..]));
        let v = Bytes::from_static(b"caller<sip:caller@example.com>;tag=323");
        let (na, _) = NameAddr::parse_with_params_in(&v, 0, v.len()).unwrap();
        assert_eq!(na.display_raw(), Some(&b"caller"[..]));
        let v = Bytes::from_static(b"sip:+19725552222@gw1.example.net;unknownparam");
        let (na, p) = NameAddr::parse_with_params_in(&v, 0, v.len()).unwrap();
        assert!(na.uri().as_sip().unwrap().params().next().is_none());
        assert!(p.contains("unknownparam"));
        for bad in [
            &br#""Mr. J. User <sip:j.user@example.com>"#[..],
            b"\"Watson, Thomas\" < sip:t.watson@example.org >",
            b"Watson, Thomas <sip:t.watson@example.org>",
            b"sip:user@example.com?Route=%3Csip:sip.example.com%3E",
            b"\"Joe\" <sip:joe@example.org>;;;;",
        ] {
            let v = Bytes::copy_from_slice(bad);
            assert!(NameAddr::parse_with_params_in(&v, 0, v.len()).is_err());
        }
    }
}
