//! Lexical helpers shared by the parsers (RFC 3261 25.1 basic rules).
#![cfg_attr(
    not(test),
    deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)
)]

use std::borrow::Cow;

/// `token` characters (RFC 3261 25.1).
pub(crate) const fn is_token(b: u8) -> bool {
    matches!(b, b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9'
        | b'-' | b'.' | b'!' | b'%' | b'*' | b'_' | b'+' | b'`' | b'\'' | b'~')
}

/// [`is_token`] as a table: one load per byte on the hot scanning loops.
// Built at compile time; `i < 256` bounds every index.
#[allow(clippy::indexing_slicing)]
pub(crate) static TOKEN_TABLE: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = is_token(i as u8);
        i += 1;
    }
    t
};

/// [`URI_CLASS`] bit: a byte no URI may hold unescaped: controls, SP,
/// DEL, non-ASCII, `<`, `>` and `"` (RFC 3986 2, RFC 3261 25.1).
pub(crate) const URI_FORBIDDEN: u8 = 1;
/// [`URI_CLASS`] bit: `%`, which starts an escape.
pub(crate) const URI_PERCENT: u8 = 2;
/// [`URI_CLASS`] bit: `@`, which ends a userinfo.
pub(crate) const URI_AT: u8 = 4;
/// [`URI_CLASS`] bit: `?`, which starts a SIP URI's headers.
pub(crate) const URI_QUESTION: u8 = 8;

/// The URI classes of every byte: one pass that ORs them over a URI says
/// whether it is clean and which of the searches after it can be skipped.
// Built at compile time; `i < 256` bounds every index.
#[allow(clippy::indexing_slicing)]
pub(crate) static URI_CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        if i <= 0x20 || i >= 0x7f || i == b'<' as usize || i == b'>' as usize || i == b'"' as usize
        {
            t[i] = URI_FORBIDDEN;
        }
        i += 1;
    }
    t[b'%' as usize] = URI_PERCENT;
    t[b'@' as usize] = URI_AT;
    t[b'?' as usize] = URI_QUESTION;
    t
};

/// The OR of the [`URI_CLASS`] bits of the bytes of `s`.
#[inline]
pub(crate) fn uri_classes(s: &[u8]) -> u8 {
    // No early exit: the compiler unrolls the loop.
    s.iter().fold(0, |acc, &b| {
        acc | URI_CLASS
            .get(usize::from(b))
            .copied()
            .unwrap_or(URI_FORBIDDEN)
    })
}

/// Characters of a domain name (with `_`, seen in the wild).
// Built at compile time; `i < 256` bounds every index.
#[allow(clippy::indexing_slicing)]
pub(crate) static DOMAIN_CHAR: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        t[i] = b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b == b'_';
        i += 1;
    }
    t
};

/// [`HOST_CLASS`] bit: a domain-name character ([`DOMAIN_CHAR`]).
pub(crate) const HOST_NAME: u8 = 1;
/// [`HOST_CLASS`] bit: a digit or `.`, what an IPv4 address is made of.
pub(crate) const HOST_V4: u8 = 2;

/// Both host classes of a byte in one load, for the host scan every URI
/// and Via goes through.
// Built at compile time; `i < 256` bounds every index.
#[allow(clippy::indexing_slicing)]
pub(crate) static HOST_CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        if b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b == b'_' {
            t[i] |= HOST_NAME;
        }
        if b.is_ascii_digit() || b == b'.' {
            t[i] |= HOST_V4;
        }
        i += 1;
    }
    t
};

/// The first `b` in `s`. Header values and URIs are short: a plain loop
/// beats memchr's dispatch there.
#[inline]
pub(crate) fn find(b: u8, s: &[u8]) -> Option<usize> {
    s.iter().position(|&c| c == b)
}

/// Linear white space inside an unfolded value.
pub(crate) const fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// A non-empty run of token characters.
pub(crate) fn is_token_str(s: &[u8]) -> bool {
    !s.is_empty() && s.iter().all(|&b| tok(b))
}

/// [`is_token`] by one table load.
#[inline(always)]
pub(crate) fn tok(b: u8) -> bool {
    TOKEN_TABLE.get(usize::from(b)).copied().unwrap_or(false)
}

/// [`tok_or_colon`] as a table.
// Built at compile time; `i < 256` bounds every index.
#[allow(clippy::indexing_slicing)]
static TOKEN_OR_COLON_TABLE: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = is_token(i as u8) || i as u8 == b':';
        i += 1;
    }
    t
};

/// A token character or `:`, the bytes of a plain parameter value (a
/// token, or a bare IPv6 address in RFC 3261 `via-received`): one table
/// load.
#[inline(always)]
pub(crate) fn tok_or_colon(b: u8) -> bool {
    TOKEN_OR_COLON_TABLE
        .get(usize::from(b))
        .copied()
        .unwrap_or(false)
}

/// An IPv4 address in dotted-decimal form, read exactly as
/// `Ipv4Addr::from_str` reads it (four octets of one to three digits, no
/// leading zero, each at most 255) without going through `str`.
pub(crate) fn parse_ipv4(s: &[u8]) -> Option<std::net::Ipv4Addr> {
    let mut octets = [0u8; 4];
    let mut i = 0;
    for (n, slot) in octets.iter_mut().enumerate() {
        if n > 0 {
            if s.get(i) != Some(&b'.') {
                return None;
            }
            i += 1;
        }
        let start = i;
        let mut v: u32 = 0;
        while let Some(&b) = s.get(i) {
            if !b.is_ascii_digit() || i - start == 3 {
                break;
            }
            v = v * 10 + u32::from(b - b'0');
            i += 1;
        }
        let len = i - start;
        if len == 0 || (len > 1 && s.get(start) == Some(&b'0')) {
            return None;
        }
        *slot = u8::try_from(v).ok()?;
    }
    (i == s.len()).then_some(std::net::Ipv4Addr::from(octets))
}

/// `s` without leading and trailing LWS.
pub(crate) fn trim(s: &[u8]) -> &[u8] {
    let start = s.iter().position(|&b| !is_ws(b)).unwrap_or(s.len());
    let end = s.iter().rposition(|&b| !is_ws(b)).map_or(start, |e| e + 1);
    s.get(start..end).unwrap_or_default()
}

/// Offset of the first non-LWS byte at or after `i`.
pub(crate) fn skip_ws(s: &[u8], mut i: usize) -> usize {
    while let Some(&b) = s.get(i) {
        if !is_ws(b) {
            break;
        }
        i += 1;
    }
    i
}

/// Given `s[open] == '"'`, the offset of the closing quote, honouring
/// `quoted-pair` escapes.
pub(crate) fn quoted_end(s: &[u8], open: usize) -> Option<usize> {
    let mut i = open + 1;
    while let Some(&b) = s.get(i) {
        match b {
            b'\\' => i += 2,
            b'"' => return Some(i),
            _ => i += 1,
        }
    }
    None
}

/// Splits at `sep` outside quoted strings and `<...>`; yields untrimmed
/// pieces. An unterminated quote makes the rest one piece.
pub(crate) struct Split<'a> {
    s: &'a [u8],
    pos: usize,
    sep: u8,
    done: bool,
}

impl<'a> Iterator for Split<'a> {
    type Item = (usize, &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let start = self.pos;
        let mut i = start;
        let mut angle = false;
        while let Some(&b) = self.s.get(i) {
            match b {
                b'"' => match quoted_end(self.s, i) {
                    Some(e) => i = e + 1,
                    None => i = self.s.len(),
                },
                b'<' => {
                    angle = true;
                    i += 1;
                }
                b'>' => {
                    angle = false;
                    i += 1;
                }
                _ if b == self.sep && !angle => {
                    self.pos = i + 1;
                    return Some((start, self.s.get(start..i).unwrap_or_default()));
                }
                _ => i += 1,
            }
        }
        self.done = true;
        Some((start, self.s.get(start..).unwrap_or_default()))
    }
}

/// Splits `s` at top-level `sep` (see [`Split`]).
pub(crate) fn split(s: &[u8], sep: u8) -> Split<'_> {
    Split {
        s,
        pos: 0,
        sep,
        done: false,
    }
}

/// A decimal number (leading zeros allowed), refusing overflow.
pub(crate) fn parse_u64(s: &[u8]) -> Option<u64> {
    if s.is_empty() || s.len() > 40 {
        return None;
    }
    let mut n: u64 = 0;
    for &b in s {
        if !b.is_ascii_digit() {
            return None;
        }
        n = n.checked_mul(10)?.checked_add(u64::from(b - b'0'))?;
    }
    Some(n)
}

/// A decimal `u32` (leading zeros allowed).
pub(crate) fn parse_u32(s: &[u8]) -> Option<u32> {
    parse_u64(s).and_then(|n| u32::try_from(n).ok())
}

/// The content of a quoted string with `quoted-pair`s resolved; other
/// values are returned as they are.
pub(crate) fn unquote(s: &[u8]) -> Cow<'_, [u8]> {
    let inner = match s {
        [b'"', inner @ .., b'"'] if !inner.is_empty() || s.len() == 2 => inner,
        _ => return Cow::Borrowed(s),
    };
    if !inner.contains(&b'\\') {
        return Cow::Borrowed(inner);
    }
    let mut out = Vec::with_capacity(inner.len());
    let mut it = inner.iter();
    while let Some(&b) = it.next() {
        if b == b'\\' {
            if let Some(&n) = it.next() {
                out.push(n);
            }
        } else {
            out.push(b);
        }
    }
    Cow::Owned(out)
}

/// A value for a parameter: a token, a quoted string or an IPv6 reference
/// (`gen-value`, RFC 3261 25.1).
pub(crate) fn is_gen_value(v: &[u8]) -> bool {
    match v {
        [b'"', ..] => quoted_end(v, 0) == Some(v.len().saturating_sub(1)) && v.len() >= 2,
        [b'[', inner @ .., b']'] => {
            !inner.is_empty()
                && inner
                    .iter()
                    .all(|&b| b.is_ascii_hexdigit() || b == b':' || b == b'.')
        }
        // token, or a bare IPv6 address (RFC 3261 `via-received`).
        _ => !v.is_empty() && v.iter().all(|&b| tok_or_colon(b)),
    }
}

/// Value of a hex digit.
pub(crate) const fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// `s` with `%HH` escapes decoded (invalid escapes are kept as they are).
pub(crate) fn unescape(s: &[u8]) -> Cow<'_, [u8]> {
    if !s.contains(&b'%') {
        return Cow::Borrowed(s);
    }
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while let Some(&b) = s.get(i) {
        if b == b'%' {
            if let (Some(h), Some(l)) = (
                s.get(i + 1).copied().and_then(hex_val),
                s.get(i + 2).copied().and_then(hex_val),
            ) {
                out.push(h << 4 | l);
                i += 3;
                continue;
            }
        }
        out.push(b);
        i += 1;
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_respects_quotes_and_angles() {
        let v: Vec<_> = split(br#""a,b" <sip:x;a=1,2>, c"#, b',')
            .map(|(_, p)| trim(p))
            .collect();
        assert_eq!(v, vec![&br#""a,b" <sip:x;a=1,2>"#[..], b"c"]);
    }

    #[test]
    fn numbers() {
        assert_eq!(parse_u32(b"0068"), Some(68));
        assert_eq!(parse_u32(b"4294967296"), None);
        assert_eq!(parse_u32(b"-1"), None);
        assert_eq!(parse_u64(b"36893488147419103232"), None);
    }

    #[test]
    fn unquote_and_unescape() {
        assert_eq!(&*unquote(br#""J \"R\"""#), br#"J "R""#);
        assert_eq!(&*unescape(b"%75se%72"), b"user");
        assert_eq!(&*unescape(b"%Z1"), b"%Z1");
    }

    #[test]
    fn ipv4_edges() {
        assert_eq!(parse_ipv4(b"192.0.2.3"), Some([192, 0, 2, 3].into()));
        assert_eq!(parse_ipv4(b"0.0.0.0"), Some([0, 0, 0, 0].into()));
        assert_eq!(parse_ipv4(b"255.255.255.255"), Some([255; 4].into()));
        for bad in [
            &b"256.0.0.1"[..],
            b"01.2.3.4",
            b"1.2.3",
            b"1.2.3.4.",
            b"1.2.3.4444",
            b"1..2.3",
            b"",
            b"1.2.3.4 ",
        ] {
            assert_eq!(parse_ipv4(bad), None, "{}", String::from_utf8_lossy(bad));
        }
    }

    proptest::proptest! {
        /// The byte reader agrees with the standard library on every input
        /// made of digits and dots (and on a few other bytes).
        #[test]
        fn ipv4_matches_std(s in "[0-9.]{0,18}|([0-9]{1,4}\\.){3}[0-9]{1,4}|[0-9. a+-]{0,12}") {
            let ours = parse_ipv4(s.as_bytes());
            let std = s.parse::<std::net::Ipv4Addr>().ok();
            proptest::prop_assert_eq!(ours, std);
        }
    }
}
