//! Authenticated peer identities and the SIP domain certificate rules of
//! RFC 5922.
//!
//! The crates are Sans-IO, so TLS lives in the application: it verifies the
//! peer's certificate chain (RFC 5280), then hands the names the certificate
//! carries to [`sip_domain_identities`], which applies RFC 5922 section 7.1 to
//! find the SIP domains the connection is authenticated for. The result, a
//! [`PeerIdentity`], travels with every message read from that connection;
//! the peering border checks that each request's claimed domain is one the
//! identity [`covers`](PeerIdentity::covers) (section 7.2 comparison: whole
//! DNS names, case-insensitive, IDNs as A-labels, no suffixes, no
//! wildcards).
//!
//! ```
//! use simple_presence::identity::{sip_domain_identities, CertName, CertificateNames};
//!
//! let cert = CertificateNames {
//!     subject_alt_names: Some(vec![
//!         CertName::Uri("sip:Example.NET".into()),
//!         CertName::Dns("www.example.net".into()),
//!     ]),
//!     common_name: None,
//! };
//! let peer = sip_domain_identities(&cert, false);
//! assert!(peer.covers("example.net"));
//! // DNS names count only when no sip: URI is present (section 7.1).
//! assert!(!peer.covers("www.example.net"));
//! assert!(!peer.covers("sub.example.net"));
//! ```

use std::fmt;

/// A SIP domain in the form used for comparison: ASCII (IDNs converted to
/// A-labels), lower case, without a trailing dot.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Domain(String);

impl Domain {
    /// Normalizes a DNS name for comparison (RFC 5922 section 7.2, RFC 4343,
    /// RFC 5280 section 7.2). Returns `None` for a value that is not a DNS
    /// name (empty, an IDN that does not convert, or containing characters no
    /// host name has).
    ///
    /// Wildcards are not interpreted: `*.example.com` normalizes to itself
    /// and matches only itself, as section 7.2 requires.
    pub fn new(name: &str) -> Option<Domain> {
        let name = name.strip_suffix('.').unwrap_or(name);
        if name.is_empty() || name.len() > 253 {
            return None;
        }
        let ascii = if name.is_ascii() {
            name.to_ascii_lowercase()
        } else {
            idna::domain_to_ascii(name).ok()?
        };
        let ok = !ascii.is_empty()
            && ascii
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'*' | b'_'));
        ok.then_some(Domain(ascii))
    }

    /// The normalized name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Domain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One subjectAltName value of a certificate, as the TLS library reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CertName {
    /// A uniformResourceIdentifier name, e.g. `sip:example.com`.
    Uri(String),
    /// A dNSName, e.g. `example.com`.
    Dns(String),
    /// Any other name type (e-mail, IP address, ...): never a SIP domain.
    Other(String),
}

/// The names of a verified certificate that matter for SIP domain identity.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CertificateNames {
    /// The subjectAltName values; `None` when the certificate has no
    /// subjectAltName extension at all (which is different from an empty
    /// one: only then may the CN be used).
    pub subject_alt_names: Option<Vec<CertName>>,
    /// The subject's commonName, if any.
    pub common_name: Option<String>,
}

/// The SIP domains a connection's peer has proven, by a verified
/// certificate, that it is authenticated for. Empty for a connection with no
/// verified certificate (plain UDP/TCP, or TLS without a client certificate).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PeerIdentity {
    domains: Vec<Domain>,
}

impl PeerIdentity {
    /// A connection that authenticated nothing.
    pub fn none() -> Self {
        PeerIdentity::default()
    }

    /// An identity for a fixed set of domains, for applications that
    /// authenticate peers by other means (e.g. a private interconnect
    /// configured per source address). Names that are not DNS names are
    /// skipped.
    pub fn from_domains<'a>(domains: impl IntoIterator<Item = &'a str>) -> Self {
        let mut out = PeerIdentity::none();
        for d in domains.into_iter().filter_map(Domain::new) {
            out.push(d);
        }
        out
    }

    fn push(&mut self, d: Domain) {
        if !self.domains.contains(&d) {
            self.domains.push(d);
        }
    }

    /// The authenticated domains, normalized.
    pub fn domains(&self) -> &[Domain] {
        &self.domains
    }

    /// Whether nothing is authenticated.
    pub fn is_anonymous(&self) -> bool {
        self.domains.is_empty()
    }

    /// Whether `domain` is one of the authenticated domains, compared as
    /// RFC 5922 section 7.2 says: the entire DNS name, case-insensitively,
    /// IDNs as A-labels; no suffix and no wildcard matching.
    pub fn covers(&self, domain: &str) -> bool {
        match Domain::new(domain) {
            Some(d) => self.domains.contains(&d),
            None => false,
        }
    }
}

/// Finds the SIP domain identities in a verified certificate (RFC 5922
/// section 7.1):
///
/// 1. every subjectAltName URI whose scheme is `sip` (case-insensitive) and
///    that has no user part gives its host part; URIs with a user part
///    identify a user, not a domain, and are ignored;
/// 2. dNSName values count if, and only if, step 1 found nothing;
/// 3. only when the certificate has no subjectAltName extension at all, and
///    `accept_common_name` is set, the commonName is used (the RFC allows
///    this for backward compatibility only).
pub fn sip_domain_identities(cert: &CertificateNames, accept_common_name: bool) -> PeerIdentity {
    let mut id = PeerIdentity::none();
    match &cert.subject_alt_names {
        Some(names) => {
            for name in names {
                if let CertName::Uri(uri) = name {
                    if let Some(d) = sip_uri_domain(uri) {
                        id.push(d);
                    }
                }
            }
            if id.is_anonymous() {
                for name in names {
                    if let CertName::Dns(dns) = name {
                        if let Some(d) = Domain::new(dns) {
                            id.push(d);
                        }
                    }
                }
            }
        }
        None => {
            if accept_common_name {
                if let Some(d) = cert.common_name.as_deref().and_then(Domain::new) {
                    id.push(d);
                }
            }
        }
    }
    id
}

/// The host part of a `sip:` URI without a user part, ignoring any port,
/// parameters and headers (section 7.2: only the DNS name is compared).
fn sip_uri_domain(uri: &str) -> Option<Domain> {
    let (scheme, rest) = uri.split_once(':')?;
    if !scheme.eq_ignore_ascii_case("sip") || rest.contains('@') {
        return None;
    }
    let end = rest.find([';', '?', ':']).unwrap_or(rest.len());
    let host = rest.get(..end)?;
    Domain::new(host)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cert(sans: Option<Vec<CertName>>, cn: Option<&str>) -> CertificateNames {
        CertificateNames {
            subject_alt_names: sans,
            common_name: cn.map(str::to_owned),
        }
    }

    fn names(id: &PeerIdentity) -> Vec<&str> {
        id.domains().iter().map(Domain::as_str).collect()
    }

    #[test]
    fn uri_sans_are_the_identities() {
        let c = cert(
            Some(vec![
                CertName::Uri("sip:example.com".into()),
                CertName::Uri("SIP:Other.Example.ORG;transport=tls".into()),
                CertName::Uri("sips:secure.example".into()),
                CertName::Uri("sip:alice@example.com".into()),
                CertName::Uri("https://example.com/".into()),
                CertName::Dns("dns-only.example".into()),
            ]),
            Some("cn.example"),
        );
        let id = sip_domain_identities(&c, true);
        assert_eq!(names(&id), ["example.com", "other.example.org"]);
        assert!(id.covers("EXAMPLE.com"));
        assert!(id.covers("example.com."));
        assert!(
            !id.covers("dns-only.example"),
            "DNS ignored when a sip URI exists"
        );
        assert!(!id.covers("cn.example"), "CN ignored when SANs exist");
        assert!(!id.covers("secure.example"), "only the sip scheme counts");
    }

    #[test]
    fn dns_sans_count_only_without_sip_uris() {
        let c = cert(
            Some(vec![
                CertName::Uri("sip:bob@example.net".into()),
                CertName::Dns("Example.NET".into()),
                CertName::Other("admin@example.net".into()),
            ]),
            None,
        );
        let id = sip_domain_identities(&c, false);
        assert_eq!(names(&id), ["example.net"]);
    }

    #[test]
    fn no_suffix_and_no_wildcard_matching() {
        let c = cert(
            Some(vec![
                CertName::Dns("*.example.com".into()),
                CertName::Dns(".example.org".into()),
                CertName::Dns("example.net".into()),
            ]),
            None,
        );
        let id = sip_domain_identities(&c, false);
        assert!(!id.covers("foo.example.com"));
        assert!(id.covers("*.example.com"), "a wildcard matches only itself");
        assert!(!id.covers("foo.example.org"));
        assert!(!id.covers("sub.example.net"));
        assert!(!id.covers("net"));
        assert!(!id.covers("example.ne"));
    }

    #[test]
    fn common_name_only_without_the_extension() {
        let c = cert(None, Some("Legacy.Example"));
        assert!(sip_domain_identities(&c, true).covers("legacy.example"));
        assert!(sip_domain_identities(&c, false).is_anonymous());
        // An empty SAN extension is still an extension: CN must not be used.
        let c = cert(Some(vec![]), Some("legacy.example"));
        assert!(sip_domain_identities(&c, true).is_anonymous());
    }

    #[test]
    fn idn_compares_as_a_labels() {
        let c = cert(Some(vec![CertName::Uri("sip:bücher.example".into())]), None);
        let id = sip_domain_identities(&c, false);
        assert_eq!(names(&id), ["xn--bcher-kva.example"]);
        assert!(id.covers("BÜCHER.example"));
        assert!(id.covers("xn--bcher-kva.example"));
        assert!(!id.covers("bucher.example"));
    }

    /// Every form of certificate name of RFC 5922 section 7.1, each
    /// against the request domains it must and must not cover (7.2).
    #[test]
    fn certificate_name_forms() {
        use CertName::{Dns, Other, Uri};
        let s = |v: &str| v.to_owned();
        for (what, sans, covered, not_covered) in [
            (
                "URI SAN only",
                vec![Uri(s("sip:example.com"))],
                &["example.com", "Example.COM", "example.com."][..],
                &["www.example.com", "com", "example.net"][..],
            ),
            (
                "URI SAN with port and parameters",
                vec![Uri(s("sip:example.com:5061;transport=tls"))],
                &["example.com"][..],
                &["example.com:5061"][..],
            ),
            (
                "DNS SAN only",
                vec![Dns(s("example.net"))],
                &["example.net", "EXAMPLE.net"][..],
                &["sub.example.net", "net"][..],
            ),
            (
                "both: the URI wins, the DNS name is not an identity",
                vec![Dns(s("dns.example.net")), Uri(s("sip:example.net"))],
                &["example.net"][..],
                &["dns.example.net"][..],
            ),
            (
                "wildcard DNS SAN matches nothing but itself",
                vec![Dns(s("*.example.net"))],
                &["*.example.net"][..],
                &["foo.example.net", "example.net", "a.b.example.net"][..],
            ),
            (
                "leading-dot DNS SAN matches nothing but itself",
                vec![Dns(s(".example.net"))],
                &[".example.net"][..],
                &["foo.example.net", "example.net"][..],
            ),
            (
                "wildcard in a URI SAN",
                vec![Uri(s("sip:*.example.net"))],
                &["*.example.net"][..],
                &["foo.example.net", "example.net"][..],
            ),
            (
                "mixed case everywhere",
                vec![Uri(s("SiP:ExAmPlE.NeT")), Dns(s("IGNORED.example.net"))],
                &["example.net", "EXAMPLE.NET", "eXaMpLe.nEt"][..],
                &["ignored.example.net"][..],
            ),
            (
                "IDN: U-label in the SAN, A-label in the request",
                vec![Dns(s("Bücher.example"))],
                &[
                    "xn--bcher-kva.example",
                    "bücher.example",
                    "XN--BCHER-KVA.EXAMPLE",
                ][..],
                &["bucher.example", "xn--bcher.example"][..],
            ),
            (
                "IDN: A-label in the SAN, U-label in the request",
                vec![Uri(s("sip:xn--bcher-kva.example"))],
                &["bücher.example", "BÜCHER.example", "xn--bcher-kva.example."][..],
                &["bucher.example"][..],
            ),
            (
                "sips: URI SAN is not a SIP domain identity; the DNS name counts",
                vec![Uri(s("sips:example.org")), Dns(s("dns.example.org"))],
                &["dns.example.org"][..],
                &["example.org"][..],
            ),
            (
                "sips: URI SAN alone gives nothing",
                vec![Uri(s("sips:example.org"))],
                &[][..],
                &["example.org"][..],
            ),
            (
                "trailing dot in the SAN",
                vec![Dns(s("example.org.")), Other(s("example.com"))],
                &["example.org", "example.org."][..],
                &["example.com"][..],
            ),
            (
                "URI SAN with a user part identifies a user: the DNS name counts",
                vec![Uri(s("sip:alice@example.com")), Dns(s("example.org"))],
                &["example.org"][..],
                &["example.com"][..],
            ),
            (
                "URI SAN with a user part alone gives nothing",
                vec![Uri(s("sip:alice@example.com"))],
                &[][..],
                &["example.com"][..],
            ),
            (
                "other name types never count",
                vec![Other(s("example.com")), Uri(s("https://example.com/"))],
                &[][..],
                &["example.com"][..],
            ),
        ] {
            let id = sip_domain_identities(&cert(Some(sans), Some("example.com")), true);
            assert_eq!(id.is_anonymous(), covered.is_empty(), "{what}");
            for d in covered {
                assert!(id.covers(d), "{what}: {d} should be covered");
            }
            for d in not_covered {
                assert!(!id.covers(d), "{what}: {d} must not be covered");
            }
        }
    }

    #[test]
    fn junk_is_not_a_domain() {
        assert!(Domain::new("").is_none());
        assert!(Domain::new(".").is_none());
        assert!(Domain::new("exa mple.com").is_none());
        assert!(Domain::new("a/b").is_none());
        assert!(!PeerIdentity::none().covers("example.com"));
        let id = PeerIdentity::from_domains(["example.com", "bad host", "EXAMPLE.com"]);
        assert_eq!(names(&id), ["example.com"]);
    }
}
