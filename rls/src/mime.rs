//! The small part of MIME that list notifications need: `Content-Type`
//! values with parameters (RFC 2045 section 5.1) and `multipart` bodies
//! (RFC 2046 section 5.1, `multipart/related` of RFC 2387).
//!
//! Part bodies are kept as bytes, never decoded: RFC 4662 notifications use
//! `Content-Transfer-Encoding: binary`.

#![cfg_attr(
    not(test),
    deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)
)]

use memchr::memmem;

use crate::error::{MimeError, MimeErrorKind};

/// Caps for parsing multipart bodies from the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MimeLimits {
    /// Largest body accepted, in bytes.
    pub max_body: usize,
    /// Most parts in one multipart body.
    pub max_parts: usize,
    /// Most headers in one part.
    pub max_headers: usize,
    /// Deepest nesting of multipart inside multipart (1 = no nesting).
    pub max_depth: usize,
}

impl Default for MimeLimits {
    /// 4 MiB, 2,048 parts (a 1,000-member list with room to spare), 32
    /// headers per part, 4 levels of nesting.
    fn default() -> Self {
        MimeLimits {
            max_body: 4 << 20,
            max_parts: 2048,
            max_headers: 32,
            max_depth: 4,
        }
    }
}

/// A parsed `Content-Type` value: `type/subtype` and its parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentType {
    /// `type/subtype`, lower-cased.
    pub mime: String,
    /// Parameters in order: names lower-cased, values unquoted.
    pub params: Vec<(String, String)>,
}

impl ContentType {
    /// A content type with no parameters.
    pub fn new(mime: &str) -> Self {
        ContentType {
            mime: mime.to_ascii_lowercase(),
            params: Vec::new(),
        }
    }

    /// Builder: appends a parameter.
    pub fn with_param(mut self, name: &str, value: impl Into<String>) -> Self {
        self.params.push((name.to_ascii_lowercase(), value.into()));
        self
    }

    /// The value of parameter `name` (case-insensitive).
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Whether the type is `multipart/*`.
    pub fn is_multipart(&self) -> bool {
        self.mime.starts_with("multipart/")
    }

    /// Parses a header value, folded or not.
    pub fn parse(value: &str) -> Result<Self, MimeError> {
        let bad = |at: usize| MimeError::new(MimeErrorKind::BadContentType, at);
        let b = value.as_bytes();
        let mut i = skip_ws(b, 0);
        let t_start = i;
        i = skip_token(b, i);
        if i == t_start || b.get(i) != Some(&b'/') {
            return Err(bad(i));
        }
        i += 1;
        let s_start = i;
        i = skip_token(b, i);
        if i == s_start {
            return Err(bad(i));
        }
        let mime = value.get(t_start..i).ok_or_else(|| bad(i))?;
        let mut ct = ContentType::new(mime);
        loop {
            i = skip_ws(b, i);
            match b.get(i) {
                None => break,
                Some(b';') => i += 1,
                Some(_) => return Err(bad(i)),
            }
            i = skip_ws(b, i);
            if i >= b.len() {
                // A trailing `;` is common enough to tolerate.
                break;
            }
            let n_start = i;
            i = skip_token(b, i);
            let name = value.get(n_start..i).ok_or_else(|| bad(i))?;
            if name.is_empty() {
                return Err(bad(i));
            }
            i = skip_ws(b, i);
            if b.get(i) != Some(&b'=') {
                return Err(bad(i));
            }
            i = skip_ws(b, i + 1);
            let val = if b.get(i) == Some(&b'"') {
                let mut v = String::new();
                i += 1;
                let mut start = i;
                loop {
                    match b.get(i) {
                        None => return Err(bad(i)),
                        Some(b'"') => {
                            v.push_str(value.get(start..i).ok_or_else(|| bad(i))?);
                            i += 1;
                            break;
                        }
                        Some(b'\\') => {
                            v.push_str(value.get(start..i).ok_or_else(|| bad(i))?);
                            // The escaped character may be multi-byte.
                            let rest = value.get(i + 1..).ok_or_else(|| bad(i))?;
                            let c = rest.chars().next().ok_or_else(|| bad(i))?;
                            v.push(c);
                            i += 1 + c.len_utf8();
                            start = i;
                        }
                        Some(_) => i += 1,
                    }
                }
                v
            } else {
                let v_start = i;
                i = skip_token(b, i);
                if i == v_start {
                    return Err(bad(i));
                }
                value.get(v_start..i).ok_or_else(|| bad(i))?.to_owned()
            };
            ct.params.push((name.to_ascii_lowercase(), val));
        }
        Ok(ct)
    }

    /// Writes the value, quoting parameter values that are not tokens.
    pub fn write(&self, out: &mut String) {
        out.push_str(&self.mime);
        for (n, v) in &self.params {
            out.push(';');
            out.push_str(n);
            out.push('=');
            if !v.is_empty() && v.bytes().all(is_token) {
                out.push_str(v);
            } else {
                out.push('"');
                for c in v.chars() {
                    if c == '"' || c == '\\' {
                        out.push('\\');
                    }
                    out.push(c);
                }
                out.push('"');
            }
        }
    }
}

impl std::fmt::Display for ContentType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut s = String::new();
        self.write(&mut s);
        f.write_str(&s)
    }
}

fn is_token(c: u8) -> bool {
    // RFC 2045 section 5.1: any CHAR except SPACE, CTLs and tspecials.
    c.is_ascii_graphic() && !b"()<>@,;:\\\"/[]?=".contains(&c)
}

fn skip_token(b: &[u8], mut i: usize) -> usize {
    while b.get(i).is_some_and(|&c| is_token(c)) {
        i += 1;
    }
    i
}

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while b
        .get(i)
        .is_some_and(|c| matches!(c, b' ' | b'\t' | b'\r' | b'\n'))
    {
        i += 1;
    }
    i
}

/// One body part: its headers and its raw body.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Part {
    /// Headers in order, names as written, values unfolded and trimmed.
    pub headers: Vec<(String, String)>,
    /// The body, bytes as received.
    pub body: Vec<u8>,
}

impl Part {
    /// A part with `Content-Type` and `Content-ID` headers (the id without
    /// angle brackets) and `Content-Transfer-Encoding: binary`.
    pub fn new(content_type: &str, content_id: &str, body: Vec<u8>) -> Self {
        Part {
            headers: vec![
                ("Content-Transfer-Encoding".into(), "binary".into()),
                ("Content-ID".into(), format!("<{content_id}>")),
                ("Content-Type".into(), content_type.into()),
            ],
            body,
        }
    }

    /// The first header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The `Content-ID` without its angle brackets.
    pub fn content_id(&self) -> Option<&str> {
        self.header("Content-ID").map(strip_angle)
    }

    /// The parsed `Content-Type`; `text/plain` when absent (RFC 2045
    /// section 5.2), `None` when present but malformed.
    pub fn content_type(&self) -> Option<ContentType> {
        match self.header("Content-Type") {
            None => Some(ContentType::new("text/plain")),
            Some(v) => ContentType::parse(v).ok(),
        }
    }
}

/// Strips `<` and `>` around a Content-ID or `start` value.
pub fn strip_angle(s: &str) -> &str {
    let s = s.trim();
    s.strip_prefix('<')
        .and_then(|x| x.strip_suffix('>'))
        .unwrap_or(s)
}

/// A multipart body: its boundary and its parts (preamble and epilogue are
/// not kept).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Multipart {
    /// The boundary, without the leading `--`.
    pub boundary: String,
    /// The parts, in order.
    pub parts: Vec<Part>,
}

impl Multipart {
    /// Parses `body` whose delimiter is `--boundary`.
    pub fn parse(body: &[u8], boundary: &str, limits: &MimeLimits) -> Result<Self, MimeError> {
        if body.len() > limits.max_body {
            return Err(MimeError::new(
                MimeErrorKind::TooLarge {
                    limit: limits.max_body,
                },
                limits.max_body,
            ));
        }
        if boundary.is_empty() || boundary.len() > 70 {
            return Err(MimeError::new(MimeErrorKind::BadBoundary, 0));
        }
        let mut needle = Vec::with_capacity(boundary.len() + 3);
        needle.extend_from_slice(b"\n--");
        needle.extend_from_slice(boundary.as_bytes());
        let finder = memmem::Finder::new(&needle);
        let delim = needle.get(1..).unwrap_or_default();
        // The first delimiter may open the body or follow a preamble line.
        let first = find_delimiter(body, delim, &finder, 0, true)
            .ok_or_else(|| MimeError::new(MimeErrorKind::NoDelimiter, 0))?;
        let mut pos = first.after;
        let mut parts = Vec::new();
        loop {
            // After a delimiter: `--` closes; otherwise padding then a line end.
            if body.get(pos..pos + 2) == Some(b"--") {
                break;
            }
            pos = skip_line_end(body, pos)
                .ok_or_else(|| MimeError::new(MimeErrorKind::NoDelimiter, pos))?;
            let next = find_delimiter(body, delim, &finder, pos, false)
                .ok_or_else(|| MimeError::new(MimeErrorKind::Unterminated, pos))?;
            if parts.len() >= limits.max_parts {
                return Err(MimeError::new(
                    MimeErrorKind::TooManyParts {
                        limit: limits.max_parts,
                    },
                    pos,
                ));
            }
            let content = body
                .get(pos..next.start)
                .ok_or_else(|| MimeError::new(MimeErrorKind::Unterminated, pos))?;
            parts.push(parse_part(content, pos, limits)?);
            pos = next.after;
        }
        if parts.is_empty() {
            return Err(MimeError::new(MimeErrorKind::NoParts, pos));
        }
        Ok(Multipart {
            boundary: boundary.to_owned(),
            parts,
        })
    }

    /// Parses a body whose boundary is not known: it is taken from the
    /// first line, which must be a delimiter (`--boundary`).
    pub fn parse_detect(body: &[u8], limits: &MimeLimits) -> Result<Self, MimeError> {
        let start = skip_blank_lines(body);
        let rest = body.get(start..).unwrap_or_default();
        let line_end = memchr_line(rest).unwrap_or(rest.len());
        let line = rest.get(..line_end).unwrap_or_default();
        let b = line
            .strip_prefix(b"--")
            .ok_or_else(|| MimeError::new(MimeErrorKind::NoDelimiter, start))?;
        let b = std::str::from_utf8(b)
            .map_err(|_| MimeError::new(MimeErrorKind::BadBoundary, start))?
            .trim_end();
        Multipart::parse(body, b, limits)
    }

    /// Writes the body: each part opened by `--boundary`, closed by
    /// `--boundary--`, lines ended by CRLF.
    pub fn write(&self, out: &mut Vec<u8>) {
        for p in &self.parts {
            write_part(
                out,
                &self.boundary,
                p.headers.iter().map(|(n, v)| (n.as_str(), v.as_str())),
                &p.body,
            );
        }
        write_close(out, &self.boundary);
    }

    /// The body as bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.write(&mut out);
        out
    }

    /// The part whose Content-ID is `cid` (without angle brackets).
    pub fn part(&self, cid: &str) -> Option<&Part> {
        self.parts.iter().find(|p| p.content_id() == Some(cid))
    }
}

/// Writes one part: its delimiter line, headers, the empty line, the body
/// and the line end that belongs to the next delimiter.
pub fn write_part<'a>(
    out: &mut Vec<u8>,
    boundary: &str,
    headers: impl IntoIterator<Item = (&'a str, &'a str)>,
    body: &[u8],
) {
    out.extend_from_slice(b"--");
    out.extend_from_slice(boundary.as_bytes());
    out.extend_from_slice(b"\r\n");
    for (n, v) in headers {
        out.extend_from_slice(n.as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(v.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(body);
    out.extend_from_slice(b"\r\n");
}

/// Writes the close delimiter `--boundary--`.
pub fn write_close(out: &mut Vec<u8>, boundary: &str) {
    out.extend_from_slice(b"--");
    out.extend_from_slice(boundary.as_bytes());
    out.extend_from_slice(b"--\r\n");
}

struct Delimiter {
    /// Where the line end before the delimiter starts (the part's end).
    start: usize,
    /// Just after `--boundary`.
    after: usize,
}

/// Finds the next line that starts with `delim`. A delimiter is preceded by
/// CRLF (a bare LF is accepted too), except at the very start of the body.
/// `finder` searches for `\n` followed by `delim`.
fn find_delimiter(
    body: &[u8],
    delim: &[u8],
    finder: &memmem::Finder<'_>,
    from: usize,
    at_start: bool,
) -> Option<Delimiter> {
    let is_delim = |at: usize| {
        body.get(at..).is_some_and(|r| r.starts_with(delim))
            && delimiter_line_ends(body, at + delim.len())
    };
    if at_start && from == 0 && is_delim(0) {
        return Some(Delimiter {
            start: 0,
            after: delim.len(),
        });
    }
    // A part whose body is empty: the delimiter follows the headers' CRLF
    // directly, so the search may start on a line start.
    if !at_start && from > 0 && is_delim(from) {
        return Some(Delimiter {
            start: from,
            after: from + delim.len(),
        });
    }
    let mut i = from;
    while let Some(off) = body.get(i..).and_then(|r| finder.find(r)) {
        let nl = i + off;
        let line = nl + 1;
        if is_delim(line) {
            let start = if nl > 0 && body.get(nl - 1) == Some(&b'\r') {
                nl - 1
            } else {
                nl
            };
            return Some(Delimiter {
                start: start.max(from),
                after: line + delim.len(),
            });
        }
        i = line;
    }
    None
}

/// Whether what follows `--boundary` at `at` ends a delimiter line: `--`
/// (the close delimiter) or padding then a line end or the end of input.
fn delimiter_line_ends(body: &[u8], at: usize) -> bool {
    if body.get(at..at + 2) == Some(b"--") {
        return true;
    }
    let mut i = at;
    while body.get(i).is_some_and(|c| matches!(c, b' ' | b'\t')) {
        i += 1;
    }
    matches!(body.get(i), None | Some(b'\r') | Some(b'\n'))
}

fn memchr_line(b: &[u8]) -> Option<usize> {
    memchr::memchr(b'\n', b)
}

/// Skips transport padding (spaces and tabs) and one line end.
fn skip_line_end(body: &[u8], mut i: usize) -> Option<usize> {
    while body.get(i).is_some_and(|c| matches!(c, b' ' | b'\t')) {
        i += 1;
    }
    match body.get(i) {
        Some(b'\r') if body.get(i + 1) == Some(&b'\n') => Some(i + 2),
        Some(b'\n') => Some(i + 1),
        None => Some(i),
        _ => None,
    }
}

fn skip_blank_lines(b: &[u8]) -> usize {
    let mut i = 0;
    while b.get(i).is_some_and(|c| matches!(c, b'\r' | b'\n')) {
        i += 1;
    }
    i
}

/// Splits one part into headers and body. `base` is the part's offset in
/// the whole body, for error positions.
fn parse_part(content: &[u8], base: usize, limits: &MimeLimits) -> Result<Part, MimeError> {
    let mut part = Part::default();
    let mut i = 0;
    loop {
        let rest = content.get(i..).unwrap_or_default();
        if rest.is_empty() {
            // Headers and no body, and no blank line: RFC 2046 allows a
            // part with no body only after the blank line.
            if part.headers.is_empty() {
                return Ok(part);
            }
            return Err(MimeError::new(MimeErrorKind::HeadersUnterminated, base + i));
        }
        let end = memchr_line(rest).unwrap_or(rest.len());
        let line_full = rest.get(..end).unwrap_or_default();
        let line = line_full.strip_suffix(b"\r").unwrap_or(line_full);
        let next = i + end + 1;
        if line.is_empty() {
            part.body = content
                .get(next.min(content.len())..)
                .unwrap_or_default()
                .to_vec();
            return Ok(part);
        }
        let text = std::str::from_utf8(line)
            .map_err(|_| MimeError::new(MimeErrorKind::BadHeader, base + i))?;
        if line.first().is_some_and(|c| matches!(c, b' ' | b'\t')) {
            // Continuation of the previous header (RFC 5322 folding).
            let Some((_, v)) = part.headers.last_mut() else {
                return Err(MimeError::new(MimeErrorKind::BadHeader, base + i));
            };
            // One space joins non-empty pieces, so the value is trimmed
            // (as a first line's is) and reads back the same once written
            // on one line.
            let piece = text.trim();
            if !piece.is_empty() {
                if !v.is_empty() {
                    v.push(' ');
                }
                v.push_str(piece);
            }
        } else {
            let (name, value) = text
                .split_once(':')
                .ok_or_else(|| MimeError::new(MimeErrorKind::BadHeader, base + i))?;
            if name.is_empty() || !name.bytes().all(|c| c.is_ascii_graphic()) {
                return Err(MimeError::new(MimeErrorKind::BadHeader, base + i));
            }
            if part.headers.len() >= limits.max_headers {
                return Err(MimeError::new(
                    MimeErrorKind::TooManyHeaders {
                        limit: limits.max_headers,
                    },
                    base + i,
                ));
            }
            part.headers
                .push((name.to_owned(), value.trim().to_owned()));
        }
        i = next;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folded_values_are_trimmed_and_read_back_the_same() {
        // Found by the rls_multipart fuzz target: a continuation line of
        // only white space left a space at the end of the value, which the
        // written form then lost.
        let body = b"--b\r\nContent-Type: multipart/signed;\r\n    protocol=\"x\";\r\n   \r\nX-Empty:\r\n  a\r\n\r\nbody\r\n--b--\r\n";
        let m = Multipart::parse(body, "b", &MimeLimits::default()).unwrap();
        let part = &m.parts[0];
        assert_eq!(
            part.header("Content-Type"),
            Some("multipart/signed; protocol=\"x\";")
        );
        assert_eq!(part.header("X-Empty"), Some("a"));
        let again = Multipart::parse(&m.to_bytes(), "b", &MimeLimits::default()).unwrap();
        assert_eq!(again.parts[0].headers, part.headers);
        assert_eq!(again.parts[0].body, part.body);
    }

    #[test]
    fn content_type_forms() {
        let ct = ContentType::parse(
            "multipart/related;type=\"application/rlmi+xml\";\r\n    start=\"<nXYxAE@pres.vancouver.example.com>\";\r\n    boundary=\"50UBfW7LSCVLtggUPe5z\"",
        )
        .unwrap();
        assert_eq!(ct.mime, "multipart/related");
        assert_eq!(ct.param("TYPE"), Some("application/rlmi+xml"));
        assert_eq!(
            ct.param("start"),
            Some("<nXYxAE@pres.vancouver.example.com>")
        );
        assert_eq!(ct.param("boundary"), Some("50UBfW7LSCVLtggUPe5z"));
        let again = ContentType::parse(&ct.to_string()).unwrap();
        assert_eq!(again, ct);
        assert_eq!(
            ContentType::parse("Application/PIDF+XML; charset=UTF-8;").unwrap(),
            ContentType::new("application/pidf+xml").with_param("charset", "UTF-8")
        );
        assert_eq!(
            ContentType::parse(r#"a/b; x="q\"uo\\te""#)
                .unwrap()
                .param("x"),
            Some("q\"uo\\te")
        );
        for bad in [
            "",
            "text",
            "text/",
            "/x",
            "a/b c",
            "a/b; x",
            "a/b; x=\"open",
            "a/b; =1",
        ] {
            assert!(ContentType::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn multipart_round_trip() {
        let mp = Multipart {
            boundary: "b0".into(),
            parts: vec![
                Part::new("application/rlmi+xml", "root@x", b"<list/>".to_vec()),
                Part::new("application/pidf+xml", "p1@x", b"line1\r\nline2".to_vec()),
                Part::new("text/plain", "empty@x", Vec::new()),
            ],
        };
        let bytes = mp.to_bytes();
        let back = Multipart::parse(&bytes, "b0", &MimeLimits::default()).unwrap();
        assert_eq!(back, mp);
        assert_eq!(
            Multipart::parse_detect(&bytes, &MimeLimits::default()).unwrap(),
            mp
        );
        assert_eq!(back.part("p1@x").unwrap().body, b"line1\r\nline2");
    }

    #[test]
    fn preamble_folding_and_lf_only() {
        let body = b"preamble\n--xx\nContent-Type: a/b;\n  x=1\n\nhello\n--xx--\nepilogue";
        let mp = Multipart::parse(body, "xx", &MimeLimits::default()).unwrap();
        assert_eq!(mp.parts.len(), 1);
        assert_eq!(mp.parts[0].header("content-type"), Some("a/b; x=1"));
        assert_eq!(mp.parts[0].body, b"hello");
    }

    #[test]
    fn malformed_bodies() {
        let l = MimeLimits::default();
        let cases: &[(&[u8], MimeErrorKind)] = &[
            (b"no delimiter here", MimeErrorKind::NoDelimiter),
            (b"--b\r\nA: 1\r\n\r\nbody", MimeErrorKind::Unterminated),
            (
                b"--b\r\nnot a header\r\n\r\nx\r\n--b--",
                MimeErrorKind::BadHeader,
            ),
            (b"--bx\r\n\r\n--b--", MimeErrorKind::NoParts),
            (b"--b--", MimeErrorKind::NoParts),
        ];
        for (body, kind) in cases {
            assert_eq!(&Multipart::parse(body, "b", &l).unwrap_err().kind, kind);
        }
        let hdrs = format!("--b\r\n{}\r\nx\r\n--b--", "A: 1\r\n".repeat(3));
        let few = MimeLimits {
            max_headers: 2,
            ..l
        };
        assert_eq!(
            Multipart::parse(hdrs.as_bytes(), "b", &few)
                .unwrap_err()
                .kind,
            MimeErrorKind::TooManyHeaders { limit: 2 }
        );
        let many = "--b\r\n\r\nx\r\n".repeat(3) + "--b--";
        let small = MimeLimits { max_parts: 2, ..l };
        assert_eq!(
            Multipart::parse(many.as_bytes(), "b", &small)
                .unwrap_err()
                .kind,
            MimeErrorKind::TooManyParts { limit: 2 }
        );
    }
}
