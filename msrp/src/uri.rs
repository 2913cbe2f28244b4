//! MSRP URIs (RFC 4975 sections 6 and 9; WebSocket transports from RFC 7977
//! section 6): `msrp[s]://[userinfo@]host[:port][/session-id];transport[;param]*`.
#![cfg_attr(
    not(test),
    deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)
)]

use crate::error::{UriError, UriErrorKind};
use std::fmt;
use std::str::FromStr;

/// The longest URI text accepted.
pub const MAX_URI_LEN: usize = 2048;

/// One MSRP URI, kept as written so it writes back byte for byte.
///
/// Equality through [`MsrpUri::matches`] follows RFC 4975 section 6.1;
/// the derived `PartialEq` is exact textual equality of the parts.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MsrpUri {
    scheme: String,
    userinfo: Option<String>,
    host: String,
    port: Option<u16>,
    session_id: Option<String>,
    transport: String,
    params: Vec<(String, Option<String>)>,
}

fn err(kind: UriErrorKind, offset: usize) -> UriError {
    UriError { kind, offset }
}

fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

fn is_token(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'-' | b'.' | b'!' | b'%' | b'*' | b'_' | b'+' | b'`' | b'\'' | b'~'
        )
}

fn is_host_char(b: u8) -> bool {
    // reg-name (unreserved / pct-encoded / sub-delims) or IPv4; IPv6 is bracketed.
    is_unreserved(b)
        || matches!(
            b,
            b'%' | b'!' | b'$' | b'&' | b'\'' | b'(' | b')' | b'*' | b'+' | b',' | b'='
        )
}

impl MsrpUri {
    /// Parses one URI.
    pub fn parse(text: &str) -> Result<Self, UriError> {
        if text.len() > MAX_URI_LEN {
            return Err(err(UriErrorKind::TooLong, MAX_URI_LEN));
        }
        let (scheme, rest) = text.split_once("://").ok_or(err(UriErrorKind::Scheme, 0))?;
        if !scheme.eq_ignore_ascii_case("msrp") && !scheme.eq_ignore_ascii_case("msrps") {
            return Err(err(UriErrorKind::Scheme, 0));
        }
        let base = scheme.len() + 3;
        // The authority ends at the first '/' or ';' outside an IPv6 literal.
        let mut end = rest.len();
        let mut in_v6 = false;
        for (i, b) in rest.bytes().enumerate() {
            match b {
                b'[' => in_v6 = true,
                b']' => in_v6 = false,
                b'/' | b';' if !in_v6 => {
                    end = i;
                    break;
                }
                _ => {}
            }
        }
        let (authority, mut rest) = rest
            .split_at_checked(end)
            .ok_or(err(UriErrorKind::Authority, base))?;
        let (userinfo, hostport) = match authority.rsplit_once('@') {
            Some((u, h)) => (Some(u), h),
            None => (None, authority),
        };
        if let Some(u) = userinfo {
            if u.bytes()
                .any(|b| !(is_unreserved(b) || b"%!$&'()*+,;=:".contains(&b)))
            {
                return Err(err(UriErrorKind::Authority, base));
            }
        }
        let host_off = base + authority.len() - hostport.len();
        let (host, port) = if let Some(v6) = hostport.strip_prefix('[') {
            let close = v6.find(']').ok_or(err(UriErrorKind::Authority, host_off))?;
            let (inner, after) = v6
                .split_at_checked(close)
                .ok_or(err(UriErrorKind::Authority, host_off))?;
            if inner.is_empty()
                || !inner
                    .bytes()
                    .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.')
            {
                return Err(err(UriErrorKind::Authority, host_off));
            }
            let after = after.get(1..).unwrap_or("");
            let host = hostport
                .get(..close + 2)
                .ok_or(err(UriErrorKind::Authority, host_off))?;
            match after.strip_prefix(':') {
                Some(p) => (host, Some(p)),
                None if after.is_empty() => (host, None),
                None => return Err(err(UriErrorKind::Authority, host_off)),
            }
        } else {
            match hostport.split_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (hostport, None),
            }
        };
        if host.is_empty() || (!host.starts_with('[') && !host.bytes().all(is_host_char)) {
            return Err(err(UriErrorKind::Authority, host_off));
        }
        let port = match port {
            None => None,
            Some(p) => {
                if p.is_empty() || p.len() > 5 || !p.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(err(UriErrorKind::Port, host_off + host.len() + 1));
                }
                Some(
                    p.parse::<u16>()
                        .map_err(|_| err(UriErrorKind::Port, host_off + host.len() + 1))?,
                )
            }
        };
        let mut off = base + authority.len();
        let mut session_id = None;
        if let Some(r) = rest.strip_prefix('/') {
            let sid_end = r.find(';').unwrap_or(r.len());
            let (sid, r2) = r
                .split_at_checked(sid_end)
                .ok_or(err(UriErrorKind::SessionId, off))?;
            if sid.is_empty()
                || !sid
                    .bytes()
                    .all(|b| is_unreserved(b) || matches!(b, b'+' | b'=' | b'/' | b'%'))
            {
                return Err(err(UriErrorKind::SessionId, off + 1));
            }
            session_id = Some(sid.to_owned());
            off += 1 + sid.len();
            rest = r2;
        }
        let Some(r) = rest.strip_prefix(';') else {
            return Err(err(UriErrorKind::Transport, off));
        };
        let mut parts = r.split(';');
        let transport = parts.next().unwrap_or("");
        if transport.is_empty() || !transport.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(err(UriErrorKind::Transport, off + 1));
        }
        off += 1 + transport.len();
        let mut params = Vec::new();
        for p in parts {
            let (name, value) = match p.split_once('=') {
                Some((n, v)) => (n, Some(v)),
                None => (p, None),
            };
            if name.is_empty()
                || !name.bytes().all(is_token)
                || value.is_some_and(|v| v.is_empty() || !v.bytes().all(is_token))
            {
                return Err(err(UriErrorKind::Param, off + 1));
            }
            off += 1 + p.len();
            params.push((name.to_owned(), value.map(str::to_owned)));
        }
        Ok(MsrpUri {
            scheme: scheme.to_owned(),
            userinfo: userinfo.map(str::to_owned),
            host: host.to_owned(),
            port,
            session_id,
            transport: transport.to_owned(),
            params,
        })
    }

    /// Builds a URI from its parts; `secure` picks `msrps`.
    pub fn new(
        secure: bool,
        host: &str,
        port: Option<u16>,
        session_id: Option<&str>,
        transport: &str,
    ) -> Result<Self, UriError> {
        let mut s = format!("{}://{}", if secure { "msrps" } else { "msrp" }, host);
        if let Some(p) = port {
            s.push_str(&format!(":{p}"));
        }
        if let Some(sid) = session_id {
            s.push('/');
            s.push_str(sid);
        }
        s.push(';');
        s.push_str(transport);
        Self::parse(&s)
    }

    /// Whether the scheme is `msrps` (TLS, or `wss` underneath).
    pub fn is_secure(&self) -> bool {
        self.scheme.eq_ignore_ascii_case("msrps")
    }
    /// The scheme as written.
    pub fn scheme(&self) -> &str {
        &self.scheme
    }
    /// The userinfo part, if any (ignored by comparison).
    pub fn userinfo(&self) -> Option<&str> {
        self.userinfo.as_deref()
    }
    /// The host as written (IPv6 literals keep their brackets).
    pub fn host(&self) -> &str {
        &self.host
    }
    /// The explicit port, if any.
    pub fn port(&self) -> Option<u16> {
        self.port
    }
    /// The session-id, if any.
    pub fn session_id(&self) -> Option<&str> {
        self.session_id.as_deref()
    }
    /// The transport as written: `tcp`, or `ws`/`wss` (RFC 7977 section 6).
    pub fn transport(&self) -> &str {
        &self.transport
    }
    /// Whether the transport is a WebSocket one (RFC 7977).
    pub fn is_websocket(&self) -> bool {
        self.transport.eq_ignore_ascii_case("ws") || self.transport.eq_ignore_ascii_case("wss")
    }
    /// The parameters after the transport, in order.
    pub fn params(&self) -> &[(String, Option<String>)] {
        &self.params
    }

    /// Compares two URIs by the rules of RFC 4975 section 6.1: scheme,
    /// authority (less userinfo, percent-decoded, case-insensitive), port
    /// exactly (present on both or neither), session-id case-sensitive,
    /// transport case-insensitive. Other parameters are not compared.
    pub fn matches(&self, other: &MsrpUri) -> bool {
        self.scheme.eq_ignore_ascii_case(&other.scheme)
            && self.port == other.port
            && self.session_id == other.session_id
            && self.transport.eq_ignore_ascii_case(&other.transport)
            && normalize_host(&self.host) == normalize_host(&other.host)
    }
}

/// Lower-cases a host and decodes percent-encoded unreserved characters.
fn normalize_host(host: &str) -> Vec<u8> {
    let b = host.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        if c == b'%' {
            let hex = b
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok());
            if let Some(v) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                if is_unreserved(v) {
                    out.push(v.to_ascii_lowercase());
                    i += 3;
                    continue;
                }
            }
        }
        out.push(c.to_ascii_lowercase());
        i += 1;
    }
    out
}

impl fmt::Display for MsrpUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://", self.scheme)?;
        if let Some(u) = &self.userinfo {
            write!(f, "{u}@")?;
        }
        f.write_str(&self.host)?;
        if let Some(p) = self.port {
            write!(f, ":{p}")?;
        }
        if let Some(s) = &self.session_id {
            write!(f, "/{s}")?;
        }
        write!(f, ";{}", self.transport)?;
        for (n, v) in &self.params {
            match v {
                Some(v) => write!(f, ";{n}={v}")?,
                None => write!(f, ";{n}")?,
            }
        }
        Ok(())
    }
}

impl FromStr for MsrpUri {
    type Err = UriError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// Parses a space-separated list of URIs (the value of To-Path, From-Path
/// and Use-Path, RFC 4975 section 9; SDP `a=path`).
pub fn parse_path(text: &str) -> Result<Vec<MsrpUri>, UriError> {
    let mut out = Vec::new();
    let mut off = 0;
    for part in text.split(' ') {
        if !part.is_empty() {
            out.push(MsrpUri::parse(part).map_err(|e| UriError {
                kind: e.kind,
                offset: e.offset + off,
            })?);
        }
        off += part.len() + 1;
    }
    if out.is_empty() {
        return Err(err(UriErrorKind::Scheme, 0));
    }
    Ok(out)
}

/// Writes a path as space-separated URIs.
pub fn write_path(path: &[MsrpUri]) -> String {
    let mut s = String::new();
    for (i, u) in path.iter().enumerate() {
        if i > 0 {
            s.push(' ');
        }
        s.push_str(&u.to_string());
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(s: &str) -> MsrpUri {
        MsrpUri::parse(s).unwrap()
    }

    #[test]
    fn parses_rfc_examples() {
        let a = u("msrp://atlanta.example.com:7654/jshA7weztas;tcp");
        assert_eq!(a.host(), "atlanta.example.com");
        assert_eq!(a.port(), Some(7654));
        assert_eq!(a.session_id(), Some("jshA7weztas"));
        assert_eq!(a.transport(), "tcp");
        let b = u("msrps://alice@intra.example.com;tcp");
        assert!(b.is_secure());
        assert_eq!(b.userinfo(), Some("alice"));
        assert_eq!(b.session_id(), None);
        let w = u("msrps://df7jal23ls0d.invalid/2s93i93idj;ws");
        assert!(w.is_websocket());
        let v6 = u("msrp://[2001:db8::1]:2855/abc;tcp;foo=bar;baz");
        assert_eq!(v6.host(), "[2001:db8::1]");
        assert_eq!(v6.params().len(), 2);
        for s in [
            "msrp://atlanta.example.com:7654/jshA7weztas;tcp",
            "msrps://alice@intra.example.com;tcp",
            "msrp://[2001:db8::1]:2855/abc;tcp;foo=bar;baz",
        ] {
            assert_eq!(u(s).to_string(), s);
        }
    }

    #[test]
    fn rejects_bad_uris() {
        for (s, kind) in [
            ("sip:alice@example.com", UriErrorKind::Scheme),
            ("msrp://host:99999/a;tcp", UriErrorKind::Port),
            ("msrp://host/abc", UriErrorKind::Transport),
            ("msrp:///abc;tcp", UriErrorKind::Authority),
            ("msrp://host/a b;tcp", UriErrorKind::SessionId),
            ("msrp://host/a;tcp;=x", UriErrorKind::Param),
            ("msrp://[zz]/a;tcp", UriErrorKind::Authority),
        ] {
            assert_eq!(MsrpUri::parse(s).unwrap_err().kind, kind, "{s}");
        }
    }

    #[test]
    fn comparison_rules_of_section_6_1() {
        let base = u("msrp://Atlanta.Example.com:7654/jshA7weztas;tcp");
        assert!(base.matches(&u("MSRP://atlanta.example.COM:7654/jshA7weztas;TCP")));
        assert!(base.matches(&u("msrp://bob@atlanta.example.com:7654/jshA7weztas;tcp")));
        assert!(base.matches(&u("msrp://%61tlanta.example.com:7654/jshA7weztas;tcp")));
        assert!(!base.matches(&u("msrp://atlanta.example.com/jshA7weztas;tcp")));
        assert!(!base.matches(&u("msrp://atlanta.example.com:7654/JSHA7weztas;tcp")));
        assert!(!base.matches(&u("msrp://atlanta.example.com:7654;tcp")));
        assert!(!base.matches(&u("msrp://atlanta.example.com:7654/jshA7weztas;ws")));
        assert!(!base.matches(&u("msrps://atlanta.example.com:7654/jshA7weztas;tcp")));
    }

    #[test]
    fn path_lists() {
        let p = parse_path("msrp://a.example:1/x;tcp msrp://b.example/y;ws").unwrap();
        assert_eq!(p.len(), 2);
        assert_eq!(
            write_path(&p),
            "msrp://a.example:1/x;tcp msrp://b.example/y;ws"
        );
        let e = parse_path("msrp://a.example:1/x;tcp bad").unwrap_err();
        assert_eq!(e.offset, 25);
    }
}
