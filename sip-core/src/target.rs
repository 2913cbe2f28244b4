//! Which transports may carry a request to its target, so a request for a
//! TLS-only target never leaves over plain UDP or TCP.
//!
//! The rules, for one URI ([`transports_for`]):
//!
//! | URI | transports |
//! |---|---|
//! | `sips:` (no `transport`, or `tcp`, or the deprecated `tls`) | TLS |
//! | `sips:` with `transport=ws` or `wss` | WSS (RFC 7118) |
//! | `sips:` with `transport=udp` | error: UDP is not a transport for SIPS (RFC 3261 section 26.2.2) |
//! | `sips:` with `transport=sctp` or another | error: no TLS form of it here |
//! | `sip:` with `transport=tls` | TLS |
//! | `sip:` with `transport=tcp` | TCP or TLS (RFC 3263 section 4.1: TLS over the named transport) |
//! | `sip:` with `transport=udp`, `sctp`, `wss` | that transport |
//! | `sip:` with `transport=ws` | WS or WSS |
//! | `sip:` without `transport`, or any other scheme | any |
//!
//! For a request ([`request_transports`], RFC 3261 section 8.1.2): the
//! rules of the next hop's URI (the top Route when it is a loose router,
//! else the Request-URI); when the Request-URI is `sips:`, the next hop's
//! URI is read as a `sips:` one whatever its scheme ("as if the input URI
//! were a SIPS URI"), so TLS is needed on this hop too. A
//! contradiction between the two (a `sips:` Request-URI and a top Route
//! with `transport=udp`) is an error. [`crate::endpoint::Endpoint`] applies
//! these rules to every request and ACK it sends and refuses a transport
//! they do not allow with [`crate::endpoint::SendError::InsecureTransport`].
//!
//! ```
//! use sip_core::target::{transports_for, Transports};
//! use sip_core::transaction::Transport;
//! use sip_core::Uri;
//!
//! let t = transports_for(&Uri::parse_str("sips:bob@example.net").unwrap()).unwrap();
//! assert_eq!(t, Transports::only(Transport::Tls));
//! assert!(!t.allows(Transport::Tcp));
//! let t = transports_for(&Uri::parse_str("sip:bob@example.net").unwrap()).unwrap();
//! assert_eq!(t, Transports::ANY);
//! assert!(transports_for(&Uri::parse_str("sips:bob@example.net;transport=udp").unwrap()).is_err());
//! ```
#![cfg_attr(
    not(test),
    deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)
)]

use crate::header::Route;
use crate::message::Request;
use crate::transaction::Transport;
use crate::uri::{SipUri, Uri};
use std::fmt;

/// Every transport, in a fixed order (the bit order of [`Transports`]).
const ALL: [Transport; 6] = [
    Transport::Udp,
    Transport::Tcp,
    Transport::Tls,
    Transport::Sctp,
    Transport::Ws,
    Transport::Wss,
];

const fn bit(t: Transport) -> u8 {
    match t {
        Transport::Udp => 1,
        Transport::Tcp => 2,
        Transport::Tls => 4,
        Transport::Sctp => 8,
        Transport::Ws => 16,
        Transport::Wss => 32,
    }
}

/// A set of transports.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Transports(u8);

impl Transports {
    /// Every transport.
    pub const ANY: Transports = Transports(0b11_1111);
    /// No transport.
    pub const NONE: Transports = Transports(0);
    /// The transports that run over TLS (TLS and WSS).
    pub const SECURE: Transports = Transports(bit(Transport::Tls) | bit(Transport::Wss));

    /// The set of one transport.
    pub const fn only(t: Transport) -> Transports {
        Transports(bit(t))
    }

    /// This set with `t` added.
    pub const fn with(self, t: Transport) -> Transports {
        Transports(self.0 | bit(t))
    }

    /// Whether `t` is in the set.
    pub const fn allows(self, t: Transport) -> bool {
        self.0 & bit(t) != 0
    }

    /// The transports in both sets.
    pub const fn intersect(self, other: Transports) -> Transports {
        Transports(self.0 & other.0)
    }

    /// Whether the set is empty.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Whether every transport of the (non-empty) set runs over TLS.
    pub const fn is_secure_only(self) -> bool {
        self.0 != 0 && self.0 & !Transports::SECURE.0 == 0
    }

    /// The transports of the set.
    pub fn iter(self) -> impl Iterator<Item = Transport> {
        ALL.into_iter().filter(move |t| self.allows(*t))
    }
}

impl fmt::Debug for Transports {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Display for Transports {
    /// `UDP|TCP|...`, `any` for all, `none` for none.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if *self == Transports::ANY {
            return f.write_str("any");
        }
        if self.is_empty() {
            return f.write_str("none");
        }
        for (i, t) in self.iter().enumerate() {
            if i > 0 {
                f.write_str("|")?;
            }
            f.write_str(t.as_str())?;
        }
        Ok(())
    }
}

/// Why no transport can carry a request to its target.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TargetError {
    /// A `sips:` URI with `transport=udp`: UDP is not a transport for SIPS
    /// (RFC 3261 section 26.2.2).
    #[error("sips: URI with transport=udp (UDP is not a transport for SIPS)")]
    SipsOverUdp,
    /// TLS is required but the named transport has no TLS form here (e.g.
    /// `sctp`: TLS over SCTP is not a [`Transport`]).
    #[error("sips: URI with transport={0}, which has no TLS form here")]
    NoSecureForm(String),
    /// The `transport` parameter names a transport this crate does not know.
    #[error("unknown transport {0}")]
    UnknownTransport(String),
    /// The Request-URI asks for TLS (`sips:`) and the next hop for a
    /// transport without it.
    #[error("the next hop allows {next_hop} but the sips: Request-URI needs TLS")]
    Conflict {
        /// What the next hop's URI allows.
        next_hop: Transports,
    },
    /// The top Route header does not parse.
    #[error("unreadable top Route header")]
    BadRoute,
}

/// The transports that may reach `uri` (see the [module docs](self)).
pub fn transports_for(uri: &Uri) -> Result<Transports, TargetError> {
    match uri.as_sip() {
        Some(sip) => sip_rules(sip, sip.is_secure()),
        None => Ok(Transports::ANY),
    }
}

/// The rules for a SIP URI, read as a `sips:` one when `secure`.
fn sip_rules(sip: &SipUri, secure: bool) -> Result<Transports, TargetError> {
    let param = sip
        .transport()
        .map(|p| String::from_utf8_lossy(p).to_ascii_lowercase());
    let only = Transports::only;
    if secure {
        return match param.as_deref() {
            None | Some("tcp") | Some("tls") => Ok(only(Transport::Tls)),
            Some("ws") | Some("wss") => Ok(only(Transport::Wss)),
            Some("udp") => Err(TargetError::SipsOverUdp),
            Some("sctp") => Err(TargetError::NoSecureForm("sctp".into())),
            Some(other) => Err(TargetError::UnknownTransport(other.to_owned())),
        };
    }
    match param.as_deref() {
        None => Ok(Transports::ANY),
        Some("udp") => Ok(only(Transport::Udp)),
        Some("tcp") => Ok(only(Transport::Tcp).with(Transport::Tls)),
        Some("tls") => Ok(only(Transport::Tls)),
        Some("sctp") => Ok(only(Transport::Sctp)),
        Some("ws") => Ok(only(Transport::Ws).with(Transport::Wss)),
        Some("wss") => Ok(only(Transport::Wss)),
        Some(other) => Err(TargetError::UnknownTransport(other.to_owned())),
    }
}

/// The URI the next hop is found from (RFC 3261 section 8.1.2): the top
/// Route when there is one and it is a loose router (`lr`), else the
/// Request-URI (no Route, or a request formatted for a strict router,
/// whose Request-URI is that router).
pub fn next_hop(request: &Request) -> Result<Uri, TargetError> {
    match request.headers().typed_iter::<Route>().next() {
        None => Ok(request.uri().clone()),
        Some(Err(_)) => Err(TargetError::BadRoute),
        Some(Ok(route)) => {
            if route.uri().as_sip().is_some_and(SipUri::lr) {
                Ok(route.uri().clone())
            } else {
                Ok(request.uri().clone())
            }
        }
    }
}

/// The transports that may carry `request` to its next hop: the next
/// hop's rules, narrowed to TLS when the Request-URI is `sips:` (RFC 3261
/// section 8.1.2).
pub fn request_transports(request: &Request) -> Result<Transports, TargetError> {
    let hop = next_hop(request)?;
    let allowed = transports_for(&hop)?;
    let sips_target = request.uri().as_sip().is_some_and(SipUri::is_secure);
    if !sips_target {
        return Ok(allowed);
    }
    // The next hop's URI read "as if it were a SIPS URI" (8.1.2).
    match hop.as_sip() {
        Some(sip) => sip_rules(sip, true).map_err(|e| match e {
            TargetError::SipsOverUdp => TargetError::Conflict { next_hop: allowed },
            e => e,
        }),
        None => Ok(allowed.intersect(Transports::only(Transport::Tls))),
    }
}

/// `uri` as a `sips:` URI: `sip:` URIs get the scheme changed (RFC 3261
/// section 19.1: any SIP resource "can be upgraded to a SIPS URI by just
/// changing the scheme") and lose a `transport=udp` or `transport=tls`
/// parameter (UDP is not a transport for SIPS; `tls` is deprecated there,
/// section 26.2.2). `sips:` and non-SIP URIs come back unchanged.
pub fn secure_uri(uri: &Uri) -> Uri {
    let Some(sip) = uri.as_sip().filter(|s| !s.is_secure()) else {
        return uri.clone();
    };
    let mut text = Vec::with_capacity(64);
    sip.write(&mut text);
    let Some(rest) = text.get(4..) else {
        return uri.clone();
    };
    // Split off the ?headers, then drop the transport parameters that do
    // not apply to SIPS.
    let (main, headers) = match rest.iter().position(|&b| b == b'?') {
        Some(q) => rest.split_at(q),
        None => (rest, &[][..]),
    };
    let mut out = Vec::with_capacity(text.len() + 1);
    out.extend_from_slice(b"sips:");
    for (i, part) in main.split(|&b| b == b';').enumerate() {
        if i > 0 {
            let lower = part.to_ascii_lowercase();
            if lower == b"transport=udp" || lower == b"transport=tls" {
                continue;
            }
            out.push(b';');
        }
        out.extend_from_slice(part);
    }
    out.extend_from_slice(headers);
    Uri::parse(&bytes::Bytes::from(out)).unwrap_or_else(|_| uri.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::endpoint::{Endpoint, EndpointConfig, Peer, SendError, Transmit};
    use crate::header::{CSeq, HeaderName};
    use crate::message::{Message, RequestBuilder};
    use crate::method::Method;
    use crate::parse::Limits;
    use std::time::Instant;

    fn u(s: &str) -> Uri {
        Uri::parse_str(s).unwrap()
    }

    const TLS: Transports = Transports::only(Transport::Tls);

    #[test]
    fn one_uri_rules() {
        let any = Transports::ANY;
        let only = Transports::only;
        for (uri, want) in [
            // RFC 3261 section 26.2.2: TLS on every hop for sips:, whatever
            // the (TCP-based) transport named.
            ("sips:bob@biloxi.example.com", Ok(TLS)),
            ("SIPS:bob@biloxi.example.com", Ok(TLS)),
            ("sips:bob@biloxi.example.com;transport=tcp", Ok(TLS)),
            ("sips:bob@biloxi.example.com;transport=TCP", Ok(TLS)),
            ("sips:bob@biloxi.example.com;transport=tls", Ok(TLS)),
            ("sips:b.example.com;transport=ws", Ok(only(Transport::Wss))),
            ("sips:b.example.com;transport=wss", Ok(only(Transport::Wss))),
            (
                "sips:bob@biloxi.example.com;transport=udp",
                Err(TargetError::SipsOverUdp),
            ),
            (
                "sips:bob@biloxi.example.com;transport=UDP",
                Err(TargetError::SipsOverUdp),
            ),
            (
                "sips:b.example.com;transport=sctp",
                Err(TargetError::NoSecureForm("sctp".into())),
            ),
            (
                "sips:b.example.com;transport=x-quic",
                Err(TargetError::UnknownTransport("x-quic".into())),
            ),
            // sip: follows its transport parameter.
            ("sip:bob@biloxi.example.com", Ok(any)),
            ("sip:b.example.com;transport=tls", Ok(TLS)),
            ("sip:b.example.com;transport=TLS", Ok(TLS)),
            (
                "sip:b.example.com;transport=tcp",
                Ok(only(Transport::Tcp).with(Transport::Tls)),
            ),
            ("sip:b.example.com;transport=udp", Ok(only(Transport::Udp))),
            (
                "sip:b.example.com;transport=sctp",
                Ok(only(Transport::Sctp)),
            ),
            (
                "sip:b.example.com;transport=ws",
                Ok(only(Transport::Ws).with(Transport::Wss)),
            ),
            ("sip:b.example.com;transport=wss", Ok(only(Transport::Wss))),
            (
                "sip:b.example.com;transport=bogus",
                Err(TargetError::UnknownTransport("bogus".into())),
            ),
            // Other schemes carry no transport rule.
            ("tel:+1-201-555-0123", Ok(any)),
            ("pres:alice@example.com", Ok(any)),
        ] {
            assert_eq!(transports_for(&u(uri)), want, "{uri}");
        }
    }

    #[test]
    fn sets() {
        assert!(TLS.is_secure_only());
        assert!(Transports::only(Transport::Wss).is_secure_only());
        assert!(!Transports::ANY.is_secure_only());
        assert!(!Transports::NONE.is_secure_only());
        assert!(!Transports::only(Transport::Tcp)
            .with(Transport::Tls)
            .is_secure_only());
        assert_eq!(Transports::ANY.iter().count(), 6);
        assert_eq!(
            Transports::only(Transport::Tcp)
                .with(Transport::Tls)
                .to_string(),
            "TCP|TLS"
        );
        assert_eq!(Transports::ANY.to_string(), "any");
        assert_eq!(Transports::NONE.to_string(), "none");
        assert_eq!(
            Transports::ANY.intersect(Transports::SECURE),
            Transports::SECURE
        );
    }

    fn request(uri: &str, routes: &[&str]) -> Request {
        let mut b = RequestBuilder::new(Method::MESSAGE, u(uri));
        for r in routes {
            b = b.header(HeaderName::ROUTE, r.to_string());
        }
        b.header(HeaderName::FROM, "<sip:alice@example.com>;tag=a1")
            .header(HeaderName::TO, "<sip:bob@example.net>")
            .header(HeaderName::CALL_ID, "c1@example.com")
            .typed(&CSeq {
                seq: 1,
                method: Method::MESSAGE,
            })
            .build()
    }

    #[test]
    fn request_rules() {
        let only = Transports::only;
        // No Route: the Request-URI decides.
        assert_eq!(
            request_transports(&request("sips:bob@example.net", &[])),
            Ok(TLS)
        );
        assert_eq!(
            request_transports(&request("sip:bob@example.net", &[])),
            Ok(Transports::ANY)
        );
        // A loose router decides the hop...
        assert_eq!(
            request_transports(&request(
                "sip:bob@example.net",
                &["<sip:proxy.example.com;lr;transport=tls>"]
            )),
            Ok(TLS)
        );
        assert_eq!(
            request_transports(&request(
                "sip:bob@example.net",
                &[
                    "<sip:proxy.example.com;lr;transport=udp>",
                    "<sips:p2.example.net;lr>"
                ]
            )),
            Ok(only(Transport::Udp))
        );
        // ...but a sips: Request-URI still needs TLS (RFC 3261 8.1.2).
        assert_eq!(
            request_transports(&request(
                "sips:bob@example.net",
                &["<sip:proxy.example.com;lr>"]
            )),
            Ok(TLS)
        );
        assert_eq!(
            request_transports(&request(
                "sips:bob@example.net",
                &["<sip:proxy.example.com;lr;transport=tcp>"]
            )),
            Ok(TLS)
        );
        assert_eq!(
            request_transports(&request(
                "sips:bob@example.net",
                &["<sip:proxy.example.com;lr;transport=udp>"]
            )),
            Err(TargetError::Conflict {
                next_hop: only(Transport::Udp)
            })
        );
        assert_eq!(
            request_transports(&request(
                "sip:bob@example.net",
                &["<sips:proxy.example.com;lr>"]
            )),
            Ok(TLS)
        );
        // A strict router is the Request-URI; the Route is not the hop.
        assert_eq!(
            request_transports(&request(
                "sip:strict.example.com;transport=udp",
                &["<sips:bob@example.net>"]
            )),
            Ok(only(Transport::Udp))
        );
        assert_eq!(
            next_hop(&request(
                "sip:strict.example.com",
                &["<sip:bob@example.net>"]
            ))
            .unwrap()
            .to_string(),
            "sip:strict.example.com"
        );
        // An unreadable Route is an error, not a guess.
        assert_eq!(
            request_transports(&request("sip:bob@example.net", &["not a route"])),
            Err(TargetError::BadRoute)
        );
    }

    #[test]
    fn upgrading_to_sips() {
        for (from, to) in [
            ("sip:bob@example.net", "sips:bob@example.net"),
            (
                "sip:bob@192.0.2.4:5061;transport=udp;lr",
                "sips:bob@192.0.2.4:5061;lr",
            ),
            (
                "sip:bob@example.net;transport=TLS?subject=x",
                "sips:bob@example.net?subject=x",
            ),
            (
                "sip:bob@example.net;transport=tcp",
                "sips:bob@example.net;transport=tcp",
            ),
            ("sips:bob@example.net", "sips:bob@example.net"),
            ("tel:+1-201-555-0123", "tel:+1-201-555-0123"),
        ] {
            let up = secure_uri(&u(from));
            assert_eq!(up.to_string(), to, "{from}");
            assert!(transports_for(&up).is_ok(), "{from}");
        }
    }

    fn any_uri() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        (
            prop_oneof![Just("sip"), Just("sips"), Just("SIPS"), Just("Sip")],
            prop_oneof![Just("bob@"), Just("")],
            prop_oneof![
                Just("example.net"),
                Just("192.0.2.4:5061"),
                Just("[2001:db8::1]")
            ],
            proptest::option::of(prop_oneof![
                Just("udp".to_owned()),
                Just("TCP".to_owned()),
                Just("tls".to_owned()),
                Just("sctp".to_owned()),
                Just("ws".to_owned()),
                Just("WSS".to_owned()),
                "[a-z]{1,6}",
            ]),
            any::<bool>(),
        )
            .prop_map(|(scheme, user, host, transport, lr)| {
                let mut u = format!("{scheme}:{user}{host}");
                if let Some(t) = transport {
                    u.push_str(";transport=");
                    u.push_str(&t);
                }
                if lr {
                    u.push_str(";lr");
                }
                u
            })
    }

    proptest::proptest! {
        /// Whatever the URIs, a sips: target is never allowed a transport
        /// without TLS, upgrading a sip: URI never gives a sips: one over
        /// UDP, and the endpoint sends exactly over what is allowed.
        #[test]
        fn sips_is_never_plain(
            ruri in any_uri(),
            route in proptest::option::of(any_uri()),
        ) {
            let u = u(&ruri);
            let secure = u.as_sip().is_some_and(SipUri::is_secure);
            if let (true, Ok(t)) = (secure, transports_for(&u)) {
                proptest::prop_assert!(t.is_secure_only(), "{ruri}: {t}");
            }
            let up = secure_uri(&u);
            proptest::prop_assert!(up.as_sip().is_some_and(SipUri::is_secure));
            if !secure {
                proptest::prop_assert_ne!(transports_for(&up), Err(TargetError::SipsOverUdp));
            }
            let routes: Vec<String> = route.iter().map(|r| format!("<{r}>")).collect();
            let routes: Vec<&str> = routes.iter().map(String::as_str).collect();
            let req = request(&ruri, &routes);
            match request_transports(&req) {
                Ok(t) => {
                    proptest::prop_assert!(!t.is_empty());
                    if secure {
                        proptest::prop_assert!(t.is_secure_only(), "{ruri} {routes:?}: {t}");
                    }
                    // What the function allows, the endpoint sends; the
                    // rest it refuses without sending.
                    for tr in ALL {
                        let mut ep = endpoint();
                        let r = ep.send_request(now(), req.clone(), peer(tr));
                        proptest::prop_assert_eq!(r.is_ok(), t.allows(tr));
                        proptest::prop_assert_eq!(sent(&mut ep).len(), usize::from(t.allows(tr)));
                    }
                }
                Err(_) => {
                    let mut ep = endpoint();
                    proptest::prop_assert!(ep.send_request(now(), req, peer(Transport::Tls)).is_err());
                }
            }
        }
    }

    // The endpoint's side: Via over TLS, and no request to a TLS-only
    // target over a plain transport.

    #[allow(clippy::disallowed_methods)] // the fake clock's origin
    fn now() -> Instant {
        Instant::now()
    }

    fn endpoint() -> Endpoint {
        Endpoint::new(EndpointConfig::for_addr("192.0.2.1:5061".parse().unwrap()))
    }

    fn peer(t: Transport) -> Peer {
        Peer {
            addr: "192.0.2.9:5061".parse().unwrap(),
            transport: t,
        }
    }

    fn sent(ep: &mut Endpoint) -> Vec<Transmit> {
        std::iter::from_fn(|| ep.poll_transmit()).collect()
    }

    fn top_via(t: &Transmit) -> String {
        let m = Message::parse_datagram(t.contents.clone(), &Limits::default()).unwrap();
        let v = m.headers().get(&HeaderName::VIA).unwrap().clone();
        String::from_utf8(v.to_vec()).unwrap()
    }

    #[test]
    fn via_names_the_transport() {
        for (t, word) in [
            (Transport::Tls, "SIP/2.0/TLS "),
            (Transport::Wss, "SIP/2.0/WSS "),
            (Transport::Tcp, "SIP/2.0/TCP "),
            (Transport::Udp, "SIP/2.0/UDP "),
        ] {
            let mut ep = endpoint();
            ep.send_request(now(), request("sip:bob@example.net", &[]), peer(t))
                .unwrap();
            let out = sent(&mut ep);
            assert_eq!(out.len(), 1);
            assert_eq!(out[0].destination.transport, t);
            assert!(top_via(&out[0]).starts_with(word), "{}", top_via(&out[0]));
        }
    }

    #[test]
    fn tls_only_targets_never_leave_over_plain_transports() {
        for (uri, routes) in [
            ("sips:bob@example.net", &[][..]),
            ("sip:bob@example.net;transport=tls", &[][..]),
            ("sip:bob@example.net", &["<sips:proxy.example.net;lr>"][..]),
            ("sips:bob@example.net", &["<sip:proxy.example.net;lr>"][..]),
        ] {
            for t in [
                Transport::Udp,
                Transport::Tcp,
                Transport::Sctp,
                Transport::Ws,
            ] {
                let mut ep = endpoint();
                let r = ep.send_request(now(), request(uri, routes), peer(t));
                assert_eq!(
                    r,
                    Err(SendError::InsecureTransport {
                        transport: t,
                        allowed: request_transports(&request(uri, routes)).unwrap(),
                    }),
                    "{uri} {routes:?} over {t:?}"
                );
                assert!(sent(&mut ep).is_empty());
                assert_eq!(ep.transaction_count(), 0);
            }
            let mut ep = endpoint();
            ep.send_request(now(), request(uri, routes), peer(Transport::Tls))
                .unwrap();
            let out = sent(&mut ep);
            assert!(top_via(&out[0]).starts_with("SIP/2.0/TLS "));
        }
        // A contradiction is refused as such.
        let mut ep = endpoint();
        assert_eq!(
            ep.send_request(
                now(),
                request("sips:bob@example.net;transport=udp", &[]),
                peer(Transport::Tls)
            ),
            Err(SendError::Target(TargetError::SipsOverUdp))
        );
        // The ACK of a 2xx follows the same rule.
        let mut ack = request("sips:bob@192.0.2.9", &[]);
        ack = {
            let mut b = RequestBuilder::new(Method::ACK, ack.uri().clone());
            for (n, v) in ack.headers().iter() {
                if *n != HeaderName::CSEQ {
                    b = b.header(n.clone(), v.clone());
                }
            }
            b.typed(&CSeq {
                seq: 1,
                method: Method::ACK,
            })
            .build()
        };
        let mut ep = endpoint();
        assert!(matches!(
            ep.send_ack(now(), ack.clone(), peer(Transport::Tcp)),
            Err(SendError::InsecureTransport { .. })
        ));
        assert!(sent(&mut ep).is_empty());
        assert!(ep.send_ack(now(), ack, peer(Transport::Tls)).is_ok());
        assert_eq!(sent(&mut ep).len(), 1);
        // Plain targets go anywhere.
        let mut ep = endpoint();
        for t in [Transport::Udp, Transport::Tcp, Transport::Tls] {
            assert!(ep
                .send_request(now(), request("sip:bob@example.net", &[]), peer(t))
                .is_ok());
        }
    }
}
