//! Comparing identities and domains the way RFC 4745 section 7 asks.
//!
//! Identities are compared as URIs: the scheme and host case-insensitively,
//! the user part exactly after percent-decoding of unreserved characters,
//! parameters and headers ignored (an identity is an address of record), and
//! telephone numbers without their visual separators (RFC 3966 section 3).
//! URIs of different schemes are never equal (RFC 5025 section 3.1.1.2), so
//! `sip:+12125551234@example.com` never matches `tel:+1-212-555-1234`.
//!
//! Domains follow RFC 4745 section 7.1.3: percent-decoding, then IDNA
//! ToASCII, then label-wise ASCII equality; a domain that fails conversion
//! equals nothing.

#![cfg_attr(
    not(test),
    deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)
)]

/// Schemes whose body is `user@host` followed by parameters and headers.
fn is_address_scheme(scheme: &str) -> bool {
    matches!(scheme, "sip" | "sips" | "pres" | "im" | "mailto")
}

/// The canonical form of an identity URI, used for every comparison.
///
/// Total: any input gives some string; malformed URIs are kept (trimmed) so
/// that they can only equal themselves.
pub fn normalize_uri(uri: &str) -> String {
    let uri = uri.trim();
    let Some((scheme, rest)) = uri.split_once(':') else {
        return uri.to_owned();
    };
    if scheme.is_empty()
        || !scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b))
    {
        return uri.to_owned();
    }
    // One buffer for the whole result (the common case allocates nothing
    // else).
    let mut out = String::with_capacity(uri.len());
    out.extend(scheme.chars().map(|c| c.to_ascii_lowercase()));
    let scheme_len = out.len();
    out.push(':');
    let lower_scheme = out.get(..scheme_len).unwrap_or_default();
    if is_address_scheme(lower_scheme) {
        let end = rest.find([';', '?']).unwrap_or(rest.len());
        // Trimmed at the end too: the whole URI was, and what comes out
        // must normalize to itself (white space before a `;` or `?`
        // would otherwise end the output and be trimmed the next time).
        let body = rest.get(..end).unwrap_or(rest).trim_end();
        match body.rsplit_once('@') {
            Some((user, host)) => {
                decode_unreserved_into(user, &mut out);
                out.push('@');
                normalize_hostport_into(host, &mut out);
            }
            None => normalize_hostport_into(body, &mut out),
        }
    } else if lower_scheme == "tel" {
        let (number, params) = rest.split_at(rest.find(';').unwrap_or(rest.len()));
        out.extend(
            number
                .chars()
                .filter(|c| !matches!(c, '-' | '.' | '(' | ')')),
        );
        out.extend(params.chars().map(|c| c.to_ascii_lowercase()));
    } else {
        out.push_str(rest);
    }
    // What a part left at the end (a tel: number whose last visual
    // separators went) would be trimmed by the next pass.
    out.truncate(out.trim_end().len());
    out
}

/// The domain of an identity URI (the host of `user@host` schemes), in the
/// form of [`normalize_domain`]; `None` for URIs without one (such as `tel:`).
pub fn uri_domain(uri: &str) -> Option<String> {
    let (scheme, rest) = uri.trim().split_once(':')?;
    if !is_address_scheme(&scheme.to_ascii_lowercase()) {
        return None;
    }
    let end = rest.find([';', '?']).unwrap_or(rest.len());
    let body = rest.get(..end)?;
    let host = body.rsplit_once('@').map_or(body, |(_, h)| h);
    normalize_domain(strip_port(host))
}

/// The scheme of a URI, as written; `None` when there is none.
pub fn uri_scheme(uri: &str) -> Option<&str> {
    let (scheme, _) = uri.trim().split_once(':')?;
    (!scheme.is_empty()).then_some(scheme)
}

/// The ASCII form of a domain (RFC 4745 section 7.1.3), or `None` when it
/// cannot be converted (such a domain equals nothing).
pub fn normalize_domain(domain: &str) -> Option<String> {
    let domain = domain.trim().trim_end_matches('.');
    if domain.is_empty() {
        return None;
    }
    match url::Host::parse(domain) {
        // The mapping can leave a dot at the end (U+FEFF and U+00AD map
        // to nothing, U+3002 to a dot), and the result must normalize to
        // itself: such a result goes round once more, trimmed. Its text
        // is ASCII by then, which maps to itself, so this recurses at
        // most once.
        // A `;` (which U+037E, the Greek question mark, maps to) is
        // allowed in a URL host, but in a URI it would end the host, and
        // the normalized identity would not read back the same: such a
        // name converts to nothing.
        Ok(url::Host::Domain(d)) if d.contains(';') => None,
        Ok(url::Host::Domain(d)) => match d.trim_end_matches('.') {
            t if t.len() == d.len() => Some(d),
            t => normalize_domain(t),
        },
        Ok(other) => Some(other.to_string()),
        Err(_) => None,
    }
}

fn strip_port(host: &str) -> &str {
    if host.starts_with('[') {
        return host.find(']').and_then(|i| host.get(..=i)).unwrap_or(host);
    }
    host.rsplit_once(':').map_or(host, |(h, _)| h)
}

/// Appends the normalized `host[:port]` to `out`.
fn normalize_hostport_into(hostport: &str, out: &mut String) {
    let host = strip_port(hostport);
    let port = hostport.get(host.len()..).unwrap_or("");
    if plain_domain(host) {
        // What IDNA and the URL host parser give such a name: itself, in
        // lower case (a proptest holds the two paths together).
        out.extend(host.chars().map(|c| c.to_ascii_lowercase()));
    } else {
        match normalize_domain(host) {
            Some(d) => out.push_str(&d),
            None => out.extend(host.chars().map(|c| c.to_ascii_lowercase())),
        }
    }
    out.push_str(port);
}

/// A host name that normalizes to itself in lower case without IDNA or
/// URL parsing: ASCII letters, digits, `-` and `.` only, no empty label at
/// either end, and a last label that starts with a letter (so the URL
/// host parser cannot read it as an IPv4 address, which it rewrites).
fn plain_domain(host: &str) -> bool {
    let b = host.as_bytes();
    let last = b.rsplit(|&c| c == b'.').next().unwrap_or_default();
    !b.is_empty()
        && b.first() != Some(&b'.')
        && b.last() != Some(&b'.')
        && last.first().is_some_and(u8::is_ascii_alphabetic)
        && b.iter()
            .all(|&c| c.is_ascii_alphanumeric() || c == b'-' || c == b'.')
}

/// Decodes `%XX` escapes of unreserved characters (RFC 3986 section 2.3),
/// which are equivalent to the characters themselves; other escapes stay,
/// with their hex digits upper-cased. Appends the result to `out`.
fn decode_unreserved_into(s: &str, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let bytes = s.as_bytes();
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            if let (Some(h), Some(l)) = (
                bytes.get(i + 1).and_then(|c| (*c as char).to_digit(16)),
                bytes.get(i + 2).and_then(|c| (*c as char).to_digit(16)),
            ) {
                let v = (h * 16 + l) as u8;
                if v.is_ascii_alphanumeric() || b"-._~".contains(&v) {
                    out.push(v as char);
                } else {
                    out.push('%');
                    out.push(char::from(
                        HEX.get(usize::from(v >> 4)).copied().unwrap_or(b'0'),
                    ));
                    out.push(char::from(
                        HEX.get(usize::from(v & 15)).copied().unwrap_or(b'0'),
                    ));
                }
                i += 3;
                continue;
            }
            // A `%` that starts no escape stands for itself: written as
            // its escape, so that a decoded character after it cannot
            // join it into a new escape the next time (`%%34` gave `%4`,
            // which read `%44`, `D`, on the next pass).
            out.push_str("%25");
            i += 1;
            continue;
        }
        // Copy one whole character.
        let ch_len = s
            .get(i..)
            .and_then(|r| r.chars().next())
            .map_or(1, char::len_utf8);
        out.push_str(s.get(i..i + ch_len).unwrap_or(""));
        i += ch_len;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identities_compare_as_uris() {
        let cases = [
            ("sip:bob@example.com", "SIP:bob@EXAMPLE.com"),
            ("sip:bob@example.com", "sip:bob@example.com;transport=tcp"),
            ("sip:b%6Fb@example.com", "sip:bob@example.com"),
            ("tel:+1-212-555-1234", "tel:+12125551234"),
            ("tel:+1.212.(555)1234", "tel:+12125551234"),
            ("sip:bob@bücher.example", "sip:bob@xn--bcher-kva.example"),
        ];
        for (a, b) in cases {
            assert_eq!(normalize_uri(a), normalize_uri(b), "{a} vs {b}");
        }
        let different = [
            ("sip:bob@example.com", "sip:Bob@example.com"),
            ("sip:bob@example.com", "sips:bob@example.com"),
            ("sip:+12125551234@example.com", "tel:+12125551234"),
            ("sip:bob@example.com", "sip:bob@example.com:5070"),
        ];
        for (a, b) in different {
            assert_ne!(normalize_uri(a), normalize_uri(b), "{a} vs {b}");
        }
    }

    #[test]
    fn domains_of_identities() {
        assert_eq!(
            uri_domain("sip:bob@Example.COM;x=y").as_deref(),
            Some("example.com")
        );
        assert_eq!(
            uri_domain("sip:bob@example.com:5060").as_deref(),
            Some("example.com")
        );
        assert_eq!(
            uri_domain("mailto:bob@example.net").as_deref(),
            Some("example.net")
        );
        assert_eq!(uri_domain("tel:+12125551234"), None);
        assert_eq!(
            normalize_domain("EXAMPLE.com.").as_deref(),
            Some("example.com")
        );
        assert_eq!(
            normalize_domain("ex%61mple.com").as_deref(),
            Some("example.com")
        );
        assert_eq!(normalize_domain(""), None);
        assert_eq!(normalize_domain("a b"), None);
    }

    proptest::proptest! {
        /// Normalizing twice gives what normalizing once gave: the typed
        /// rules write normalized URIs, and must read back the same.
        #[test]
        fn normalizing_is_idempotent(s in "(sip|SIPS|tel|mailto|pres|x-y)?:?[ a-zA-Z0-9@;?%.:\\[\\]\n\t-]{0,24}") {
            let once = normalize_uri(&s);
            proptest::prop_assert_eq!(normalize_uri(&once), once.clone());
        }

        /// Hosts with the characters IDNA maps to nothing or changes.
        #[test]
        fn normalizing_hosts_is_idempotent(s in "(sip|mailto):[a-z]{0,2}@[a-zA-Z0-9.\u{feff}\u{ad}\u{df}\u{130}\u{3002}\u{37e}-]{0,14}(:[0-9]{0,3})?") {
            let once = normalize_uri(&s);
            proptest::prop_assert_eq!(normalize_uri(&once), once.clone());
        }

        /// The plain-host shortcut gives what IDNA and the URL host parser
        /// give (numeric last labels, `xn--` labels, empty labels, upper
        /// case and leading hyphens included).
        #[test]
        fn plain_hosts_normalize_as_the_host_parser_does(
            host in "((xn--)?[a-zA-Z0-9-]{0,6}\\.){0,3}(xn--|0x)?[a-zA-Z0-9-]{0,6}"
        ) {
            if plain_domain(&host) {
                let mut fast = String::new();
                normalize_hostport_into(&host, &mut fast);
                let slow = normalize_domain(&host).unwrap_or_else(|| host.to_ascii_lowercase());
                proptest::prop_assert_eq!(fast, slow);
            }
        }

        /// User parts made of escapes (of unreserved characters, hex
        /// digits among them, and of others), stray `%`s and hex digits.
        #[test]
        fn normalizing_escapes_is_idempotent(
            parts in proptest::collection::vec(
                proptest::sample::select(vec!["%", "%3", "%34", "%41", "%61", "%25", "%2F", "4", "a", "F"]),
                0..8,
            )
        ) {
            let s = format!("sip:{}@x", parts.concat());
            let once = normalize_uri(&s);
            proptest::prop_assert_eq!(normalize_uri(&once), once.clone());
        }

        #[test]
        fn normalizing_any_text_is_idempotent(s in "(?s).{0,24}") {
            let once = normalize_uri(&s);
            proptest::prop_assert_eq!(normalize_uri(&once), once.clone());
        }
    }

    #[test]
    fn a_stray_percent_is_written_as_its_escape() {
        // Found by the policy_parse fuzz target: the `4` decoded from
        // `%34` joined the stray `%` before it into `%44` on the next pass.
        assert_eq!(normalize_uri("sip:%%34@x"), "sip:%254@x");
        assert_eq!(normalize_uri("sip:%254@x"), "sip:%254@x");
        assert_eq!(normalize_uri("sip:a%b@x"), normalize_uri("sip:a%25b@x"));
        assert_eq!(normalize_uri("sip:a%@x"), "sip:a%25@x");
    }

    #[test]
    fn a_host_mapped_to_a_semicolon_converts_to_nothing() {
        // Found by the policy_parse fuzz target: IDNA maps U+037E to `;`,
        // which the URL host parser accepts; in the normalized URI it
        // ended the host on the next pass.
        assert_eq!(normalize_domain("a\u{37e}b.example"), None);
        let once = normalize_uri("sip:bob@a\u{37e}b.example");
        assert_eq!(once, "sip:bob@a\u{37e}b.example");
        assert_eq!(normalize_uri(&once), once);
    }

    #[test]
    fn white_space_before_parameters_is_dropped_once() {
        // Found by the policy_parse fuzz target: the first pass kept the
        // white space before `?`, the second trimmed it.
        for (uri, want) in [
            ("sip:bob@exa}mple \n\n?subject=x", "sip:bob@exa}mple"),
            ("mailto:\t?", "mailto:"),
            ("sip:bob@Example.com \n;lr", "sip:bob@example.com"),
            ("tel: -", "tel:"),
            ("sip:bob@Example.com.\u{feff}..", "sip:bob@example.com"),
            ("sip:@0.\u{3002}", "sip:@0.0.0.0"),
        ] {
            let once = normalize_uri(uri);
            assert_eq!(once, want, "{uri:?}");
            assert_eq!(normalize_uri(&once), once);
        }
    }

    #[test]
    fn odd_input_does_not_panic() {
        for s in [
            "",
            ":",
            "%",
            "sip:%",
            "sip:%4",
            "sip:@",
            "tel:",
            "sip:[::1",
            "é:x",
            "sip:é%zz@h",
        ] {
            let _ = normalize_uri(s);
            let _ = uri_domain(s);
        }
    }
}
