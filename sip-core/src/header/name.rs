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
    ($($(#[$doc:meta])* $konst:ident = $idx:literal, $full:literal, $compact:expr;)*) => {
        const STD: &[(&str, Option<u8>)] = &[$(($full, $compact),)*];

        /// Every standard name, at its index: what a header list hands out
        /// by reference for a line that holds only the index.
        static STD_NAMES: &[HeaderName] = &[$(HeaderName(Repr::Std($idx)),)*];

        impl HeaderName {
            $($(#[$doc])* pub const $konst: HeaderName = HeaderName(Repr::Std($idx));)*
        }

    };
}

std_names! {
    /// Accept.
    ACCEPT = 0, "Accept", None;
    /// Accept-Contact (RFC 3841; compact `a`).
    ACCEPT_CONTACT = 1, "Accept-Contact", Some(b'a');
    /// Accept-Encoding.
    ACCEPT_ENCODING = 2, "Accept-Encoding", None;
    /// Accept-Language.
    ACCEPT_LANGUAGE = 3, "Accept-Language", None;
    /// Alert-Info.
    ALERT_INFO = 4, "Alert-Info", None;
    /// Allow.
    ALLOW = 5, "Allow", None;
    /// Allow-Events (RFC 6665; compact `u`).
    ALLOW_EVENTS = 6, "Allow-Events", Some(b'u');
    /// Authentication-Info.
    AUTHENTICATION_INFO = 7, "Authentication-Info", None;
    /// Authorization.
    AUTHORIZATION = 8, "Authorization", None;
    /// Call-ID (compact `i`).
    CALL_ID = 9, "Call-ID", Some(b'i');
    /// Call-Info.
    CALL_INFO = 10, "Call-Info", None;
    /// Contact (compact `m`).
    CONTACT = 11, "Contact", Some(b'm');
    /// Content-Disposition.
    CONTENT_DISPOSITION = 12, "Content-Disposition", None;
    /// Content-Encoding (compact `e`).
    CONTENT_ENCODING = 13, "Content-Encoding", Some(b'e');
    /// Content-ID (RFC 2392).
    CONTENT_ID = 14, "Content-ID", None;
    /// Content-Language.
    CONTENT_LANGUAGE = 15, "Content-Language", None;
    /// Content-Length (compact `l`).
    CONTENT_LENGTH = 16, "Content-Length", Some(b'l');
    /// Content-Type (compact `c`).
    CONTENT_TYPE = 17, "Content-Type", Some(b'c');
    /// CSeq.
    CSEQ = 18, "CSeq", None;
    /// Date.
    DATE = 19, "Date", None;
    /// Error-Info.
    ERROR_INFO = 20, "Error-Info", None;
    /// Event (RFC 6665; compact `o`).
    EVENT = 21, "Event", Some(b'o');
    /// Expires.
    EXPIRES = 22, "Expires", None;
    /// From (compact `f`).
    FROM = 23, "From", Some(b'f');
    /// Identity (RFC 8224; compact `y`).
    IDENTITY = 24, "Identity", Some(b'y');
    /// In-Reply-To.
    IN_REPLY_TO = 25, "In-Reply-To", None;
    /// Max-Forwards.
    MAX_FORWARDS = 26, "Max-Forwards", None;
    /// MIME-Version.
    MIME_VERSION = 27, "MIME-Version", None;
    /// Min-Expires.
    MIN_EXPIRES = 28, "Min-Expires", None;
    /// Organization.
    ORGANIZATION = 29, "Organization", None;
    /// Priority.
    PRIORITY = 30, "Priority", None;
    /// Proxy-Authenticate.
    PROXY_AUTHENTICATE = 31, "Proxy-Authenticate", None;
    /// Proxy-Authorization.
    PROXY_AUTHORIZATION = 32, "Proxy-Authorization", None;
    /// Proxy-Require.
    PROXY_REQUIRE = 33, "Proxy-Require", None;
    /// Record-Route.
    RECORD_ROUTE = 34, "Record-Route", None;
    /// Refer-To (RFC 3515; compact `r`).
    REFER_TO = 35, "Refer-To", Some(b'r');
    /// Referred-By (RFC 3892; compact `b`).
    REFERRED_BY = 36, "Referred-By", Some(b'b');
    /// Reject-Contact (RFC 3841; compact `j`).
    REJECT_CONTACT = 37, "Reject-Contact", Some(b'j');
    /// Reply-To.
    REPLY_TO = 38, "Reply-To", None;
    /// Request-Disposition (RFC 3841; compact `d`).
    REQUEST_DISPOSITION = 39, "Request-Disposition", Some(b'd');
    /// Require.
    REQUIRE = 40, "Require", None;
    /// Retry-After.
    RETRY_AFTER = 41, "Retry-After", None;
    /// Route.
    ROUTE = 42, "Route", None;
    /// Server.
    SERVER = 43, "Server", None;
    /// Session-Expires (RFC 4028; compact `x`).
    SESSION_EXPIRES = 44, "Session-Expires", Some(b'x');
    /// SIP-ETag (RFC 3903).
    SIP_ETAG = 45, "SIP-ETag", None;
    /// SIP-If-Match (RFC 3903).
    SIP_IF_MATCH = 46, "SIP-If-Match", None;
    /// Subject (compact `s`).
    SUBJECT = 47, "Subject", Some(b's');
    /// Subscription-State (RFC 6665).
    SUBSCRIPTION_STATE = 48, "Subscription-State", None;
    /// Supported (compact `k`).
    SUPPORTED = 49, "Supported", Some(b'k');
    /// Timestamp.
    TIMESTAMP = 50, "Timestamp", None;
    /// To (compact `t`).
    TO = 51, "To", Some(b't');
    /// Unsupported.
    UNSUPPORTED = 52, "Unsupported", None;
    /// User-Agent.
    USER_AGENT = 53, "User-Agent", None;
    /// Via (compact `v`).
    VIA = 54, "Via", Some(b'v');
    /// Warning.
    WARNING = 55, "Warning", None;
    /// WWW-Authenticate.
    WWW_AUTHENTICATE = 56, "WWW-Authenticate", None;
    /// Identity-Info (RFC 4474; compact `n`).
    IDENTITY_INFO = 57, "Identity-Info", Some(b'n');
    /// Content-Transfer-Encoding (MIME part header).
    CONTENT_TRANSFER_ENCODING = 58, "Content-Transfer-Encoding", None;
    /// Path (RFC 3327).
    PATH = 59, "Path", None;
}

/// Marks an empty slot in the lookup tables.
const NONE: u8 = u8::MAX;

/// The compact letters (both cases) to the index of their full name.
// Built at compile time; every index is below 256 or the table's length.
#[allow(clippy::indexing_slicing)]
static COMPACT: [u8; 256] = {
    let mut t = [NONE; 256];
    let mut i = 0;
    while i < STD.len() {
        if let Some(c) = STD[i].1 {
            t[c.to_ascii_lowercase() as usize] = i as u8;
            t[c.to_ascii_uppercase() as usize] = i as u8;
        }
        i += 1;
    }
    t
};

/// Longest standard name, in 8-byte words.
const WORDS: usize = 4;

/// `| 0x20` on every byte: folds ASCII letters to lower case and leaves
/// `-`, digits and the other token characters as they are, so on a token
/// it is exactly the case-insensitive comparison RFC 3261 7.3.1 asks for.
const FOLD: u64 = 0x2020_2020_2020_2020;

/// Up to 32 bytes folded and packed little-endian, zero past the end.
const fn pack(s: &[u8]) -> [u64; WORDS] {
    let mut w = [0u64; WORDS];
    let mut i = 0;
    while i < s.len() && i < WORDS * 8 {
        w[i / 8] |= ((s[i] | 0x20) as u64) << (8 * (i % 8));
        i += 1;
    }
    w
}

/// The standard names packed by [`pack`].
// Built at compile time; every index is below the table's length.
#[allow(clippy::indexing_slicing)]
static PACKED: [[u64; WORDS]; STD.len()] = {
    let mut t = [[0u64; WORDS]; STD.len()];
    let mut i = 0;
    while i < STD.len() {
        t[i] = pack(STD[i].0.as_bytes());
        i += 1;
    }
    t
};

/// The lengths of the standard names.
// Built at compile time; every index is below the table's length.
#[allow(clippy::indexing_slicing)]
static LENS: [u8; STD.len()] = {
    let mut t = [0u8; STD.len()];
    let mut i = 0;
    while i < STD.len() {
        t[i] = STD[i].0.len() as u8;
        i += 1;
    }
    t
};

/// Slots of the open-addressing table of full names.
const SLOTS: usize = 128;

/// The slot a name starts probing at, from its first word and length.
const fn slot_of(first: u64, len: usize) -> usize {
    ((first ^ len as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 57) as usize & (SLOTS - 1)
}

/// The full names by [`slot_of`], linear probing, [`NONE`] when empty.
// Built at compile time; every index is masked to the table's length.
#[allow(clippy::indexing_slicing)]
static FULL: [u8; SLOTS] = {
    let mut t = [NONE; SLOTS];
    let mut i = 0;
    while i < STD.len() {
        let mut slot = slot_of(PACKED[i][0], STD[i].0.len());
        while t[slot] != NONE {
            slot = (slot + 1) & (SLOTS - 1);
        }
        t[slot] = i as u8;
        i += 1;
    }
    t
};

/// `keep` bytes (1 to 8) of `buf` from `at`, folded (see [`FOLD`]) and
/// packed little-endian, zero above.
#[inline(always)]
fn folded_word(buf: &[u8], at: usize, keep: usize) -> Option<u64> {
    let raw = match buf.get(at..at + 8) {
        Some(c) => u64::from_le_bytes(c.try_into().ok()?),
        // Near the end of the buffer: byte by byte.
        None => buf
            .get(at..at + keep)?
            .iter()
            .rev()
            .fold(0, |acc, &b| acc << 8 | u64::from(b)),
    };
    Some((raw | FOLD) & (u64::MAX >> (64 - 8 * keep.clamp(1, 8))))
}

impl HeaderName {
    /// Names a header from its wire spelling: case-insensitive; compact
    /// forms give the full name. Returns `(index, was_compact)`.
    ///
    /// `s` must be a token (the scanner hands out nothing else), see
    /// [`FOLD`].
    pub(crate) fn lookup(s: &[u8]) -> Option<(u8, bool)> {
        Self::lookup_in(s, 0, s.len())
    }

    /// [`HeaderName::lookup`] of `buf[start..end]`, reading `buf` a word
    /// at a time (bytes past `end` are masked off), so a name costs two
    /// loads and one table probe instead of a byte loop.
    #[inline(always)]
    pub(crate) fn lookup_in(buf: &[u8], start: usize, end: usize) -> Option<(u8, bool)> {
        let len = end.wrapping_sub(start);
        // Names of 2 to 16 bytes with 16 bytes of buffer to read (a
        // header line always has its value and line end after the name):
        // the first slot decides unless it holds another name.
        if (2..=16).contains(&len) {
            if let Some(c) = buf.get(start..start + 16) {
                let word = |c: Option<&[u8; 8]>| u64::from_le_bytes(c.copied().unwrap_or_default());
                let w0 = (word(c.first_chunk()) | FOLD) & (u64::MAX >> (64 - 8 * len.min(8)));
                let w1 = if len > 8 {
                    (word(c.last_chunk()) | FOLD) & (u64::MAX >> (128 - 8 * len))
                } else {
                    0
                };
                let i = usize::from(FULL.get(slot_of(w0, len)).copied().unwrap_or(NONE));
                let (Some(p), Some(&l)) = (PACKED.get(i), LENS.get(i)) else {
                    return None;
                };
                if p[0] == w0 && p[1] == w1 && usize::from(l) == len {
                    return Some((i as u8, false));
                }
            }
        }
        Self::lookup_slow(buf, start, end)
    }

    /// [`HeaderName::lookup_in`] for the rest: compact forms, long names,
    /// the end of a buffer and colliding slots.
    #[cold]
    #[inline(never)]
    fn lookup_slow(buf: &[u8], start: usize, end: usize) -> Option<(u8, bool)> {
        let len = end.checked_sub(start)?;
        if len == 1 {
            let i = COMPACT
                .get(usize::from(*buf.get(start)?))
                .copied()
                .unwrap_or(NONE);
            return (i != NONE).then_some((i, true));
        }
        if len == 0 || len > WORDS * 8 {
            return None;
        }
        // Words past the name's length are zero, as in `PACKED`.
        let w0 = folded_word(buf, start, len.min(8))?;
        let w1 = if len > 8 {
            folded_word(buf, start + 8, (len - 8).min(8))?
        } else {
            0
        };
        let (w2, w3) = if len > 16 {
            (
                folded_word(buf, start + 16, (len - 16).min(8))?,
                if len > 24 {
                    folded_word(buf, start + 24, len - 24)?
                } else {
                    0
                },
            )
        } else {
            (0, 0)
        };
        let mut slot = slot_of(w0, len);
        loop {
            let i = FULL.get(slot).copied().unwrap_or(NONE);
            let p = PACKED.get(usize::from(i))?;
            let l = LENS.get(usize::from(i))?;
            if p[0] == w0 && p[1] == w1 && p[2] == w2 && p[3] == w3 && usize::from(*l) == len {
                return Some((i, false));
            }
            slot = (slot + 1) & (SLOTS - 1);
        }
    }

    /// The name from a scanner's lookup (`known`, see
    /// [`HeaderName::lookup_in`]) or, for an unknown name, the spelling
    /// `keep` gives.
    #[inline]
    pub(crate) fn from_known(
        known: Option<(u8, bool)>,
        keep: impl FnOnce() -> Bytes,
    ) -> (HeaderName, bool) {
        match known {
            Some((i, compact)) => (HeaderName(Repr::Std(i)), compact),
            None => (HeaderName(Repr::Custom(keep())), false),
        }
    }

    /// The name for a wire spelling held in `Bytes` (kept for unknown names).
    #[inline]
    pub(crate) fn from_wire(s: &[u8], keep: impl FnOnce() -> Bytes) -> (HeaderName, bool) {
        Self::from_known(Self::lookup(s), keep)
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

    /// The standard name at index `i` (as [`HeaderName::lookup`] gives
    /// it), by reference.
    pub(crate) fn std_ref(i: u8) -> Option<&'static HeaderName> {
        STD_NAMES.get(usize::from(i))
    }

    /// The index of a standard name; `None` for others.
    #[inline(always)]
    pub(crate) fn std_index(&self) -> Option<u8> {
        match self.0 {
            Repr::Std(i) => Some(i),
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
    /// Inlined: header lookups compare against a standard name on every
    /// line, which is one byte compare; custom names go out of line.
    #[inline(always)]
    fn eq(&self, other: &Self) -> bool {
        match (&self.0, &other.0) {
            (Repr::Std(a), Repr::Std(b)) => a == b,
            (Repr::Custom(a), Repr::Custom(b)) => custom_eq(a, b),
            _ => false,
        }
    }
}

#[inline(never)]
fn custom_eq(a: &[u8], b: &[u8]) -> bool {
    a.eq_ignore_ascii_case(b)
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
    fn every_standard_name_looks_up_in_any_case() {
        for (i, (full, compact)) in STD.iter().enumerate() {
            let want = Some((i as u8, false));
            assert_eq!(HeaderName::lookup(full.as_bytes()), want, "{full}");
            let lower = full.to_ascii_lowercase();
            assert_eq!(HeaderName::lookup(lower.as_bytes()), want, "{lower}");
            let upper = full.to_ascii_uppercase();
            assert_eq!(HeaderName::lookup(upper.as_bytes()), want, "{upper}");
            if let Some(c) = compact {
                let want = Some((i as u8, true));
                assert_eq!(HeaderName::lookup(&[*c]), want);
                assert_eq!(HeaderName::lookup(&[c.to_ascii_uppercase()]), want);
            }
            // One byte more, one less, or one changed: not this name.
            let mut longer = full.as_bytes().to_vec();
            longer.push(b'x');
            assert_ne!(HeaderName::lookup(&longer), want);
            assert_ne!(HeaderName::lookup(&full.as_bytes()[1..]), want);
            let mut changed = full.as_bytes().to_vec();
            changed[1] = b'!';
            assert_eq!(HeaderName::lookup(&changed), None);
        }
        for unknown in [
            &b"z"[..],
            b"q",
            b"Vias",
            b"Contacts",
            b"X-Foo",
            b"P-Asserted-Identity",
        ] {
            assert_eq!(HeaderName::lookup(unknown), None);
        }
        assert_eq!(HeaderName::lookup(b""), None);
    }

    #[test]
    fn lookup_in_a_buffer_ignores_what_follows() {
        for (i, (full, _)) in STD.iter().enumerate() {
            let want = Some((i as u8, false));
            for tail in [&b""[..], b":", b": value\r\n", b"-Extra: 1\r\n\r\nbody"] {
                let mut buf = b"\r\n".to_vec();
                buf.extend_from_slice(full.as_bytes());
                let end = buf.len();
                buf.extend_from_slice(tail);
                assert_eq!(HeaderName::lookup_in(&buf, 2, end), want, "{full}");
            }
        }
        let buf = b"Via-Foo: x";
        assert_eq!(HeaderName::lookup_in(buf, 0, 7), None);
        assert_eq!(HeaderName::lookup_in(buf, 0, 3), Some((54, false)));
        assert_eq!(HeaderName::lookup_in(buf, 4, 2), None);
        assert_eq!(HeaderName::lookup_in(buf, 0, 40), None);
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
