//! The borrowed framing tier: split a buffer into start line, header lines
//! and body without allocating (httparse's shape), with [`Limits`].
//!
//! This is what framing, fuzzing and fast rejection use; the owned
//! [`Message`](crate::Message) is built on the same scanner.
//!
//! Line ends: CRLF as RFC 3261 7 requires; a bare LF is accepted too (as
//! httparse does), a bare CR is refused. A header line followed by a line
//! starting with SP or HTAB is folded (RFC 3261 7.3.1).
#![cfg_attr(
    not(test),
    deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)
)]

use crate::error::{ParseError, ParseErrorKind as K};
use crate::header::HeaderName;
use crate::method::Version;
use crate::text::{find, parse_u64, TOKEN_TABLE};
use memchr::{memchr, memchr2};
use std::ops::Range;

/// Size caps applied while parsing; every size from the wire is checked
/// against one of them before anything is read or allocated for it.
///
/// Writing a parsed message out ends every line with CRLF and puts `: `
/// after each header name, so a line can be up to two bytes longer than
/// it was read (`Name:value` and a bare LF), and a message two bytes a
/// line. A hop that reads back what it wrote should allow for that.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest whole message (start line, headers and body), in bytes.
    pub max_message: usize,
    /// Most header lines.
    pub max_headers: usize,
    /// Longest line (a header with its folded continuations), in bytes.
    pub max_line: usize,
    /// Largest body, in bytes.
    pub max_body: usize,
}

impl Default for Limits {
    /// 64 KiB messages and bodies (the largest UDP datagram), 128 headers,
    /// 8 KiB lines.
    fn default() -> Self {
        Limits {
            max_message: 65_535,
            max_headers: 128,
            max_line: 8_192,
            max_body: 65_535,
        }
    }
}

/// The result of parsing a buffer that may not yet hold a whole message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status<T> {
    /// Parsed: the value (usually including how many bytes were used).
    Complete(T),
    /// More bytes are needed.
    Partial,
}

impl<T> Status<T> {
    /// The value when complete.
    pub fn complete(self) -> Option<T> {
        match self {
            Status::Complete(t) => Some(t),
            Status::Partial => None,
        }
    }
}

/// One header line as it is in the buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RawHeader<'a> {
    /// The name as sent (may be compact, any case).
    pub name: &'a [u8],
    /// The value, outer LWS trimmed; folded values still hold their CRLFs.
    pub value: &'a [u8],
}

/// A start line as it is in the buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RawStartLine<'a> {
    /// `Method SP Request-URI SP SIP-Version`.
    Request {
        /// The method token.
        method: &'a [u8],
        /// The Request-URI text.
        uri: &'a [u8],
        /// The version.
        version: Version,
    },
    /// `SIP-Version SP Status-Code SP Reason-Phrase`.
    Response {
        /// The version.
        version: Version,
        /// The status code, 100..=699.
        code: u16,
        /// The reason phrase (may be empty).
        reason: &'a [u8],
    },
}

/// A parsed header section.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Head<'a> {
    /// The start line.
    pub start: RawStartLine<'a>,
    /// How many entries of the header slice were filled.
    pub header_count: usize,
    /// Bytes of the start line and header section, empty line included.
    pub head_len: usize,
    /// The Content-Length value, if the header is present.
    pub content_length: Option<u64>,
}

impl Head<'_> {
    /// Total message length when Content-Length is present.
    pub fn message_len(&self) -> Option<u64> {
        self.content_length
            .and_then(|cl| cl.checked_add(self.head_len as u64))
    }
}

/// Start line positions inside the buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum StartSpan {
    Request {
        method: Range<usize>,
        uri: Range<usize>,
        version: Version,
    },
    Response {
        version: Version,
        code: u16,
        reason: Range<usize>,
    },
}

fn err(kind: K, offset: usize) -> ParseError {
    ParseError::new(kind, offset)
}

/// The number of CR/LF bytes at the start of `buf` (RFC 3261 7.5 says to
/// ignore CRLFs before a start line on streams; RFC 5626 uses them as
/// keep-alives).
pub fn leading_crlf(buf: &[u8]) -> usize {
    buf.iter()
        .take_while(|&&b| b == b'\r' || b == b'\n')
        .count()
}

/// The start line of `buf`, which holds no CR: [`start_line_fast`] for the
/// common forms, then the general reader for the rest and for every error.
fn parse_start_line(buf: &[u8], base: usize) -> Result<StartSpan, ParseError> {
    match start_line_fast(buf, base) {
        Some(start) => Ok(start),
        None => parse_start_line_slow(buf, base),
    }
}

/// A byte a Request-URI may not hold: a control, SP or DEL.
#[inline(always)]
fn bad_in_uri(b: u8) -> bool {
    b <= 0x20 || b == 0x7f
}

/// A byte a reason phrase may not hold: a control other than HTAB, or DEL.
#[inline(always)]
fn bad_in_reason(b: u8) -> bool {
    b < 0x20 && b != b'\t' || b == 0x7f
}

/// True when `bad` holds for a byte of `s`. A fold with no early exit,
/// which the compiler turns into vector compares; the offset is searched
/// for only when a byte is bad.
#[inline(always)]
fn any(s: &[u8], bad: fn(u8) -> bool) -> bool {
    s.iter().fold(false, |acc, &b| acc | bad(b))
}

/// `SIP/2.0 DDD reason` and `METHOD URI SIP/2.0`, the forms nearly every
/// message has, read from their fixed parts; `None` for anything else or
/// anything wrong, which [`parse_start_line_slow`] then reads (and
/// reports), so this path never decides an error.
#[inline(always)]
fn start_line_fast(buf: &[u8], base: usize) -> Option<StartSpan> {
    let d = |b: u8| b.wrapping_sub(b'0');
    if let Some((&[b'S', b'I', b'P', b'/', b'2', b'.', b'0', b' ', a, b, c, b' '], reason)) =
        buf.split_first_chunk::<12>()
    {
        let (a, b, c) = (d(a), d(b), d(c));
        let code = u16::from(a) * 100 + u16::from(b) * 10 + u16::from(c);
        let ok = a <= 9 && b <= 9 && c <= 9 && (100..=699).contains(&code);
        return (ok && !any(reason, bad_in_reason)).then_some(StartSpan::Response {
            version: Version::SIP_2_0,
            code,
            reason: base + 12..base + buf.len(),
        });
    }
    let (line, &[b' ', b'S', b'I', b'P', b'/', b'2', b'.', b'0']) = buf.split_last_chunk::<8>()?
    else {
        return None;
    };
    let m_end = memchr(b' ', line)?;
    let method = line.get(..m_end)?;
    let uri = line.get(m_end + 1..)?;
    if !crate::text::is_token_str(method) || uri.is_empty() || any(uri, bad_in_uri) {
        return None;
    }
    Some(StartSpan::Request {
        method: base..base + m_end,
        uri: base + m_end + 1..base + line.len(),
        version: Version::SIP_2_0,
    })
}

fn parse_start_line_slow(buf: &[u8], base: usize) -> Result<StartSpan, ParseError> {
    if buf.len() >= 4
        && buf
            .get(..4)
            .is_some_and(|p| p.eq_ignore_ascii_case(b"SIP/"))
    {
        // Status-Line.
        let sp = find(b' ', buf).ok_or(err(K::InvalidStartLine, base))?;
        let version = buf
            .get(..sp)
            .and_then(Version::parse)
            .ok_or(err(K::InvalidVersion, base))?;
        let rest = buf.get(sp + 1..).unwrap_or_default();
        let code_end = rest.iter().position(|&b| b == b' ').unwrap_or(rest.len());
        let digits = rest.get(..code_end).unwrap_or_default();
        let code = if digits.len() == 3 && digits.iter().all(u8::is_ascii_digit) {
            parse_u64(digits).and_then(|c| u16::try_from(c).ok())
        } else {
            None
        };
        let code = code
            .filter(|c| (100..=699).contains(c))
            .ok_or(err(K::InvalidStatusCode, base + sp + 1))?;
        let reason_start = (sp + 1 + code_end + 1).min(buf.len());
        let reason = buf.get(reason_start..).unwrap_or_default();
        if let Some(p) = reason.iter().position(|&b| bad_in_reason(b)) {
            return Err(err(K::InvalidReason, base + reason_start + p));
        }
        return Ok(StartSpan::Response {
            version,
            code,
            reason: base + reason_start..base + buf.len(),
        });
    }
    // Request-Line: exactly one SP between the three elements
    // (RFC 4475 3.1.2.9, 3.1.2.10).
    let m_end = find(b' ', buf).ok_or(err(K::InvalidStartLine, base))?;
    let method = buf.get(..m_end).unwrap_or_default();
    if !crate::text::is_token_str(method) {
        return Err(err(K::InvalidMethod, base));
    }
    let after = buf.get(m_end + 1..).unwrap_or_default();
    let u_len = memchr(b' ', after).ok_or(err(K::InvalidStartLine, base + m_end))?;
    let uri = after.get(..u_len).unwrap_or_default();
    let u_start = m_end + 1;
    if uri.is_empty() {
        return Err(err(K::InvalidRequestUri, base + u_start));
    }
    if any(uri, bad_in_uri) {
        let p = uri.iter().position(|&b| bad_in_uri(b)).unwrap_or(0);
        return Err(err(K::InvalidRequestUri, base + u_start + p));
    }
    let v_start = u_start + u_len + 1;
    let version = buf
        .get(v_start..)
        .and_then(Version::parse)
        .ok_or(err(K::InvalidVersion, base + v_start))?;
    Ok(StartSpan::Request {
        method: base..base + m_end,
        uri: base + u_start..base + u_start + u_len,
        version,
    })
}

/// One header line found by [`scan_head`]: positions in the buffer.
pub(crate) struct LineSpan {
    pub(crate) name: Range<usize>,
    /// The standard name's index and whether it was compact
    /// ([`HeaderName::lookup_in`]); `None` for other names.
    pub(crate) known: Option<(u8, bool)>,
    pub(crate) value: Range<usize>,
    pub(crate) folded: bool,
}

const LO: u64 = 0x0101_0101_0101_0101;
const HI: u64 = 0x8080_8080_8080_8080;

/// Where the `:` ending a header name is, when the name runs straight
/// into it (`Name:`, the common case), found eight bytes a step: the first
/// byte that is a `:` or below `!` (SP, HTAB, CR, LF, controls) ends the
/// search, and only a `:` answers. `None` sends the caller to the
/// byte-by-byte path, which also gives the errors.
#[inline(always)]
fn colon_after_name(s: &[u8]) -> Option<usize> {
    let mut i = 0;
    while let Some(c) = s.get(i..).and_then(<[u8]>::first_chunk::<8>) {
        let w = u64::from_le_bytes(*c);
        let colon = w ^ (LO * u64::from(b':'));
        // Per byte: zero after the xor, or below 0x21. The lowest flagged
        // byte is exact (borrows only run upwards).
        let hit = (colon.wrapping_sub(LO) & !colon | w.wrapping_sub(LO * 0x21) & !w) & HI;
        if hit != 0 {
            let j = i + (hit.trailing_zeros() / 8) as usize;
            return (s.get(j) == Some(&b':')).then_some(j);
        }
        i += 8;
    }
    None
}

/// True when every byte of `s` is a token character.
#[inline]
fn all_token(s: &[u8]) -> bool {
    s.iter()
        .all(|&b| TOKEN_TABLE.get(usize::from(b)).copied().unwrap_or(false))
}

/// Scans header lines starting at `pos` until the empty line; calls
/// `on_header` for each. Returns the offset just past the empty line.
/// Used for message heads and for MIME part headers.
pub(crate) fn scan_headers<F>(
    buf: &[u8],
    mut pos: usize,
    limits: &Limits,
    mut on_header: F,
) -> Result<Status<usize>, ParseError>
where
    F: FnMut(LineSpan) -> Result<(), ParseError>,
{
    let len = buf.len();
    let mut count = 0usize;
    loop {
        let rest = buf.get(pos..).unwrap_or_default();
        // A line starting above CR (every header line) goes straight on;
        // the rest may be the end of the section, or of the buffer.
        if rest.first().is_none_or(|&b| b <= b'\r') {
            match rest {
                [] | [b'\r'] => return Ok(Status::Partial),
                [b'\n', ..] => return Ok(Status::Complete(pos + 1)),
                [b'\r', b'\n', ..] => return Ok(Status::Complete(pos + 2)),
                [b'\r', ..] => return Err(err(K::InvalidLineEnding, pos)),
                _ => {}
            }
        }
        let name_start = pos;
        // The name: a word-at-a-time search for `Name:` and one table
        // probe; an unknown name is then checked byte by byte.
        let fast = colon_after_name(rest).and_then(|colon| {
            let known = HeaderName::lookup_in(buf, pos, pos + colon);
            let name_ok =
                colon > 0 && (known.is_some() || rest.get(..colon).is_some_and(all_token));
            name_ok.then_some((colon, known))
        });
        let (name_end, colon, known) = match fast {
            Some((colon, known)) => (pos + colon, pos + colon, known),
            None => {
                let name_len = rest
                    .iter()
                    .position(|&b| !TOKEN_TABLE.get(usize::from(b)).copied().unwrap_or(false))
                    .unwrap_or(rest.len());
                let name_end = pos + name_len;
                let mut at = name_end;
                while matches!(buf.get(at), Some(b' ' | b'\t')) {
                    at += 1;
                }
                match buf.get(at) {
                    None if at - name_start <= limits.max_line => return Ok(Status::Partial),
                    None => return Err(err(K::LineTooLong, name_start)),
                    Some(b':') if name_end > name_start => {}
                    Some(_) => return Err(err(K::InvalidHeaderName, at)),
                }
                let known = HeaderName::lookup_in(buf, name_start, name_end);
                (name_end, at, known)
            }
        };
        let value_start = colon + 1;
        let mut search = value_start;
        while matches!(buf.get(search), Some(b' ' | b'\t')) {
            search += 1;
        }
        let after_colon = search;
        let mut folded = false;
        // One pass finds the line end (its LF, and whether a CR is before
        // it) and refuses a CR that is not part of a CRLF.
        let (line_end, crlf) = loop {
            let found = buf.get(search..).and_then(|s| memchr2(b'\n', b'\r', s));
            let Some(rel) = found else {
                if len - name_start > limits.max_line {
                    return Err(err(K::LineTooLong, name_start));
                }
                return Ok(Status::Partial);
            };
            let at = search + rel;
            let crlf = buf.get(at) == Some(&b'\r');
            let nl = if crlf {
                match buf.get(at + 1) {
                    Some(b'\n') => at + 1,
                    Some(_) => return Err(err(K::InvalidHeaderValue, at)),
                    None => {
                        if at - name_start > limits.max_line {
                            return Err(err(K::LineTooLong, name_start));
                        }
                        return Ok(Status::Partial);
                    }
                }
            } else {
                at
            };
            match buf.get(nl + 1) {
                None => {
                    if nl - name_start > limits.max_line {
                        return Err(err(K::LineTooLong, name_start));
                    }
                    return Ok(Status::Partial);
                }
                Some(b' ' | b'\t') => {
                    folded = true;
                    search = nl + 1;
                }
                Some(_) => break (nl, crlf),
            }
        };
        if line_end - name_start > limits.max_line {
            return Err(err(K::LineTooLong, name_start));
        }
        count += 1;
        if count > limits.max_headers {
            return Err(err(K::TooManyHeaders, name_start));
        }
        // Trim LWS (folds included) on both sides. SP and HTAB after the
        // colon are skipped already; only a fold can put more LWS first.
        let mut vs = if folded { value_start } else { after_colon };
        // Before the line's CR (or bare LF), then any LWS before it.
        let mut ve = line_end - usize::from(crlf);
        if folded {
            while vs < ve && buf.get(vs).is_some_and(|&b| crate::text::is_ws(b)) {
                vs += 1;
            }
        }
        vs = vs.min(ve);
        while ve > vs && buf.get(ve - 1).is_some_and(|&b| crate::text::is_ws(b)) {
            ve -= 1;
        }
        on_header(LineSpan {
            name: name_start..name_end,
            known,
            value: vs..ve,
            folded,
        })?;
        pos = line_end + 1;
    }
}

/// Scans a start line and header section at `buf[base..]`.
pub(crate) fn scan_head<F>(
    buf: &[u8],
    base: usize,
    limits: &Limits,
    on_header: F,
) -> Result<Status<(StartSpan, usize)>, ParseError>
where
    F: FnMut(LineSpan) -> Result<(), ParseError>,
{
    let input = buf.get(base..).unwrap_or_default();
    let Some(nl) = memchr(b'\n', input) else {
        if input.len() > limits.max_line {
            return Err(err(K::LineTooLong, base));
        }
        if input.len() > limits.max_message {
            return Err(err(K::MessageTooLarge, base));
        }
        return Ok(Status::Partial);
    };
    if nl > limits.max_line {
        return Err(err(K::LineTooLong, base));
    }
    let line = input.get(..nl).unwrap_or_default();
    let line = match line.split_last() {
        Some((b'\r', l)) => l,
        _ => line,
    };
    // A CR inside the line is refused. Every start-line reader refuses it
    // too (it is not allowed in any part), so it is looked for only when
    // the line is refused, to say what was wrong.
    let start = parse_start_line(line, base).map_err(|e| match memchr(b'\r', line) {
        Some(p) => err(K::InvalidLineEnding, base + p),
        None => e,
    })?;
    match scan_headers(buf, base + nl + 1, limits, on_header)? {
        Status::Complete(end) => Ok(Status::Complete((start, end))),
        Status::Partial => {
            if buf.len() - base > limits.max_message {
                return Err(err(K::MessageTooLarge, base));
            }
            Ok(Status::Partial)
        }
    }
}

/// Parses a Content-Length value (RFC 3261 20.14: `1*DIGIT`).
pub(crate) fn content_length_value(v: &[u8], offset: usize) -> Result<u64, ParseError> {
    parse_u64(v).ok_or(err(K::InvalidContentLength, offset))
}

/// Folds repeated Content-Length values: equal ones are accepted, differing
/// ones refused (RFC 4475 3.3.9).
pub(crate) fn merge_content_length(
    seen: &mut Option<u64>,
    v: u64,
    offset: usize,
) -> Result<(), ParseError> {
    match *seen {
        Some(prev) if prev != v => Err(err(K::ConflictingContentLength, offset)),
        _ => {
            *seen = Some(v);
            Ok(())
        }
    }
}

/// Parses the start line and headers of `buf` into `headers` without
/// allocating, the way httparse does.
///
/// Leading CRLFs are skipped (RFC 3261 7.5) and counted in `head_len`.
/// Returns [`Status::Partial`] when the header section is not complete yet
/// (never when a limit is already exceeded). More header lines than
/// `headers.len()` (or `limits.max_headers`) is an error.
///
/// ```
/// use sip_core::parse::{parse_head, RawHeader, Status};
/// let mut hs = [RawHeader::default(); 16];
/// let buf = b"OPTIONS sip:a@b SIP/2.0\r\nl: 0\r\n\r\n";
/// let Status::Complete(head) = parse_head(buf, &mut hs, &Default::default()).unwrap() else {
///     panic!()
/// };
/// assert_eq!(head.content_length, Some(0));
/// assert_eq!(head.head_len, buf.len());
/// ```
pub fn parse_head<'a>(
    buf: &'a [u8],
    headers: &mut [RawHeader<'a>],
    limits: &Limits,
) -> Result<Status<Head<'a>>, ParseError> {
    let skip = leading_crlf(buf);
    let mut limits = *limits;
    limits.max_headers = limits.max_headers.min(headers.len());
    let mut n = 0usize;
    let mut content_length = None;
    let status = scan_head(buf, skip, &limits, |line| {
        let name = buf.get(line.name.clone()).unwrap_or_default();
        let value = buf.get(line.value.clone()).unwrap_or_default();
        if line
            .known
            .is_some_and(|(i, _)| HeaderName::CONTENT_LENGTH.is_index(i))
        {
            let v = content_length_value(value, line.value.start)?;
            merge_content_length(&mut content_length, v, line.value.start)?;
        }
        if let Some(slot) = headers.get_mut(n) {
            *slot = RawHeader { name, value };
        }
        n += 1;
        Ok(())
    })?;
    let Status::Complete((start, head_len)) = status else {
        return Ok(Status::Partial);
    };
    let start = match start {
        StartSpan::Request {
            method,
            uri,
            version,
        } => RawStartLine::Request {
            method: buf.get(method).unwrap_or_default(),
            uri: buf.get(uri).unwrap_or_default(),
            version,
        },
        StartSpan::Response {
            version,
            code,
            reason,
        } => RawStartLine::Response {
            version,
            code,
            reason: buf.get(reason).unwrap_or_default(),
        },
    };
    Ok(Status::Complete(Head {
        start,
        header_count: n,
        head_len,
        content_length,
    }))
}

/// How many bytes the next message in a stream occupies (leading CRLFs
/// included), without storing headers: Content-Length framing as RFC 3261
/// 18.3 requires on streams.
pub fn message_len(buf: &[u8], limits: &Limits) -> Result<Status<usize>, ParseError> {
    let skip = leading_crlf(buf);
    let mut content_length = None;
    let status = scan_head(buf, skip, limits, |line| {
        if line
            .known
            .is_some_and(|(i, _)| HeaderName::CONTENT_LENGTH.is_index(i))
        {
            let value = buf.get(line.value.clone()).unwrap_or_default();
            let v = content_length_value(value, line.value.start)?;
            merge_content_length(&mut content_length, v, line.value.start)?;
        }
        Ok(())
    })?;
    let Status::Complete((_, head_len)) = status else {
        return Ok(Status::Partial);
    };
    let cl = content_length.ok_or(err(K::MissingContentLength, skip))?;
    body_fits(cl, head_len - skip, limits, skip)?;
    let total = usize::try_from(cl)
        .ok()
        .and_then(|cl| cl.checked_add(head_len))
        .ok_or(err(K::MessageTooLarge, skip))?;
    if buf.len() < total {
        return Ok(Status::Partial);
    }
    Ok(Status::Complete(total))
}

/// Checks a declared body length against the limits.
pub(crate) fn body_fits(
    cl: u64,
    head: usize,
    limits: &Limits,
    at: usize,
) -> Result<(), ParseError> {
    if cl > limits.max_body as u64 {
        return Err(err(K::BodyTooLarge, at));
    }
    if cl.saturating_add(head as u64) > limits.max_message as u64 {
        return Err(err(K::MessageTooLarge, at));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(buf: &[u8]) -> Result<Status<Head<'_>>, ParseError> {
        let mut hs = [RawHeader::default(); 64];
        // The headers array is local: only return what does not borrow it.
        parse_head(buf, &mut hs, &Limits::default())
    }

    proptest::proptest! {
        /// The fast start-line reader answers only for lines the general
        /// one reads, and gives the same answer: lines are built from the
        /// parts both look at, with bytes that should make them differ.
        #[test]
        fn the_fast_start_line_agrees_with_the_general_one(
            response in proptest::bool::ANY,
            version in proptest::sample::select(vec!["SIP/2.0", "sip/2.0", "SIP/2.00", "SIP/20", "SIP/2.0 "]),
            code in proptest::sample::select(vec!["200", "099", "100", "699", "700", "2x0", "20", "2000", ""]),
            method in proptest::sample::select(vec!["INVITE", "NOTIFY", "a.b", "", "IN\tV", "X\u{7f}"]),
            middle in "[ -~\t\r\u{7f}\u{80}]{0,24}",
            sep in proptest::sample::select(vec![" ", "", "  ", "\t"]),
        ) {
            let line = if response {
                format!("{version}{sep}{code}{sep}{middle}")
            } else {
                format!("{method}{sep}{middle}{sep}{version}")
            };
            let buf = line.as_bytes();
            if let Some(fast) = start_line_fast(buf, 3) {
                proptest::prop_assert_eq!(Ok(fast), parse_start_line_slow(buf, 3));
            }
        }
    }

    #[test]
    fn start_lines_read_by_the_fast_path() {
        let fast = |s: &[u8]| start_line_fast(s, 0);
        assert_eq!(
            fast(b"SIP/2.0 200 OK"),
            Some(StartSpan::Response {
                version: Version::SIP_2_0,
                code: 200,
                reason: 12..14
            })
        );
        assert_eq!(
            fast(b"INVITE sip:a@b SIP/2.0"),
            Some(StartSpan::Request {
                method: 0..6,
                uri: 7..14,
                version: Version::SIP_2_0
            })
        );
        // Left to the general reader: other spellings, and every error.
        for line in [
            &b"sip/2.0 200 OK"[..],
            b"SIP/2.0 200",
            b"SIP/2.0 099 Low",
            b"SIP/2.0 200 O\x01K",
            b"INVITE sip:a b SIP/2.0",
            b"INVITE  sip:a SIP/2.0",
            b"INVITE sip:a SIP/2.1",
        ] {
            assert_eq!(fast(line), None, "{}", String::from_utf8_lossy(line));
        }
        // A CR inside the line is reported as the bare CR it is.
        let e = head(b"SIP/2.0 200 O\rK\r\n\r\n").unwrap_err();
        assert_eq!((e.kind, e.offset), (K::InvalidLineEnding, 13));
        let e = head(b"INVITE sip:a\r SIP/2.0\r\n\r\n").unwrap_err();
        assert_eq!((e.kind, e.offset), (K::InvalidLineEnding, 12));
    }

    #[test]
    fn values_are_trimmed_at_every_kind_of_line_end() {
        let buf = b"OPTIONS sip:a SIP/2.0\r\nA: x \t\r\nB:\r\nC: \r\nD: y\nE: z\r\n \t w \r\nF:\t\tv\r\n\r\n";
        let mut hs = [RawHeader::default(); 8];
        let Status::Complete(h) = parse_head(buf, &mut hs, &Limits::default()).unwrap() else {
            panic!()
        };
        let values: Vec<&[u8]> = hs[..h.header_count].iter().map(|h| h.value).collect();
        assert_eq!(
            values,
            [&b"x"[..], b"", b"", b"y", b"z\r\n \t w", b"v"],
            "{:?}",
            values
                .iter()
                .map(|v| String::from_utf8_lossy(v))
                .collect::<Vec<_>>()
        );
        assert_eq!(h.head_len, buf.len());
    }

    #[test]
    fn request_head() {
        let buf = b"INVITE sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h\r\n x\r\nl: 5\r\n\r\nhello";
        let mut hs = [RawHeader::default(); 8];
        let Status::Complete(h) = parse_head(buf, &mut hs, &Limits::default()).unwrap() else {
            panic!()
        };
        assert_eq!(h.header_count, 2);
        assert_eq!(hs[0].value, b"SIP/2.0/UDP h\r\n x");
        assert_eq!(h.content_length, Some(5));
        assert_eq!(h.message_len(), Some(buf.len() as u64));
        assert!(matches!(
            h.start,
            RawStartLine::Request {
                method: b"INVITE",
                ..
            }
        ));
    }

    #[test]
    fn partial_and_errors() {
        assert_eq!(
            head(b"INVITE sip:a@b SIP/2.0\r\nVia: x\r\n").unwrap(),
            Status::Partial
        );
        assert_eq!(
            head(b"INVITE sip:a@b SIP/2.0\r\nVia: x\r\n\r").unwrap(),
            Status::Partial
        );
        assert_eq!(head(b"INVITE sip:a@b SIP/2.0").unwrap(), Status::Partial);
        let e = head(b"INVITE  sip:a@b SIP/2.0\r\n\r\n").unwrap_err();
        assert_eq!(e.kind, K::InvalidRequestUri);
        let e = head(b"INVITE sip:a@b SIP/2.0 \r\n\r\n").unwrap_err();
        assert_eq!(e.kind, K::InvalidVersion);
        let e = head(b"SIP/2.0 4294967301 x\r\n\r\n").unwrap_err();
        assert_eq!(e.kind, K::InvalidStatusCode);
        let e = head(b"SIP/2.0 200 OK\r\nl: -1\r\n\r\n").unwrap_err();
        assert_eq!((e.kind, e.offset), (K::InvalidContentLength, 19));
        let e = head(b"SIP/2.0 200 OK\r\nl: 1\r\nContent-Length: 2\r\n\r\n").unwrap_err();
        assert_eq!(e.kind, K::ConflictingContentLength);
        let e = head(b"SIP/2.0 200 OK\r\nX\r: 1\r\n\r\n").unwrap_err();
        assert_eq!(e.kind, K::InvalidHeaderName);
        let e = head(b"SIP/2.0 200 OK\r\nX: a\rb\r\n\r\n").unwrap_err();
        assert_eq!(e.kind, K::InvalidHeaderValue);
    }

    #[test]
    fn limits_stop_unbounded_reads() {
        let limits = Limits {
            max_line: 16,
            ..Limits::default()
        };
        let mut hs = [RawHeader::default(); 8];
        let e = parse_head(
            b"SIP/2.0 200 OK\r\nX: aaaaaaaaaaaaaaaaaaaaaaaa",
            &mut hs,
            &limits,
        );
        assert_eq!(e.unwrap_err().kind, K::LineTooLong);
        let mut hs = [RawHeader::default(); 1];
        let e = parse_head(
            b"SIP/2.0 200 OK\r\nA: 1\r\nB: 2\r\n\r\n",
            &mut hs,
            &Limits::default(),
        );
        assert_eq!(e.unwrap_err().kind, K::TooManyHeaders);
        let small = Limits {
            max_body: 3,
            ..Limits::default()
        };
        let e = message_len(b"SIP/2.0 200 OK\r\nl: 4\r\n\r\n", &small).unwrap_err();
        assert_eq!(e.kind, K::BodyTooLarge);
    }

    #[test]
    fn header_names_fast_and_slow() {
        let long = "X-".to_owned() + &"a".repeat(40);
        let ok: &[(&str, &str, &str)] = &[
            ("Via: v", "Via", "v"),
            ("Via :v", "Via", "v"),
            ("Via\t:\tv", "Via", "v"),
            ("content-LENGTH:0", "content-LENGTH", "0"),
            ("X-Y_z!%*+`'~.:1", "X-Y_z!%*+`'~.", "1"),
            ("l:0", "l", "0"),
            (&format!("{long}: x"), &long, "x"),
        ];
        for (line, name, value) in ok {
            let buf = format!("OPTIONS sip:a@b SIP/2.0\r\n{line}\r\n\r\n");
            let mut hs = [RawHeader::default(); 4];
            let got = parse_head(buf.as_bytes(), &mut hs, &Limits::default());
            assert!(matches!(got, Ok(Status::Complete(_))), "{line}: {got:?}");
            assert_eq!(hs[0].name, name.as_bytes(), "{line}");
            assert_eq!(hs[0].value, value.as_bytes(), "{line}");
        }
        for (line, at) in [
            ("Vi\x01a: x", 27),
            ("Call\rID: x", 29),
            ("Vi a: x", 28),
            (": x", 25),
        ] {
            let buf = format!("OPTIONS sip:a@b SIP/2.0\r\n{line}\r\n\r\n");
            let e = head(buf.as_bytes()).unwrap_err();
            assert_eq!((e.kind, e.offset), (K::InvalidHeaderName, at), "{line:?}");
        }
        // A known name at the very end of the buffer still needs its colon.
        assert_eq!(
            head(b"OPTIONS sip:a@b SIP/2.0\r\nVia").unwrap(),
            Status::Partial
        );
    }

    #[test]
    fn stream_lengths() {
        let one = b"SIP/2.0 200 OK\r\nl: 2\r\n\r\nab";
        let mut two = one.to_vec();
        two.extend_from_slice(one);
        assert_eq!(
            message_len(&two, &Limits::default()).unwrap(),
            Status::Complete(one.len())
        );
        assert_eq!(
            message_len(&one[..one.len() - 1], &Limits::default()).unwrap(),
            Status::Partial
        );
        let e = message_len(b"SIP/2.0 200 OK\r\n\r\n", &Limits::default()).unwrap_err();
        assert_eq!(e.kind, K::MissingContentLength);
    }
}
