//! `message/cpim` (RFC 3862) wrapping of instant messages, with the
//! namespace (`NS:`) mechanism so that IMDN headers (RFC 5438 section 5,
//! namespace `urn:ietf:params:imdn`) and other extensions can be read and
//! written by namespace URI, never by prefix.
//!
//! A CPIM body is the CPIM header block, a blank line, the encapsulated
//! MIME headers, a blank line and the content. Several RFC examples
//! (RFC 5547 section 9.1, RFC 7701 section 9) put the MIME headers straight
//! after the CPIM headers without the blank line; that form is read too and
//! kept as it was ([`Cpim::mime`] is then `None`).
#![cfg_attr(
    not(test),
    deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)
)]

use crate::error::FormatError;
use bytes::Bytes;

/// The IMDN namespace URI (RFC 5438 section 5.1).
pub const IMDN_NS: &str = "urn:ietf:params:imdn";
/// Most header lines in one block.
pub const MAX_HEADERS: usize = 256;

/// One CPIM header: `[prefix "."] name ":" [";" params] SP value`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CpimHeader {
    /// The namespace prefix, if the name carries one (`imdn` in
    /// `imdn.Message-ID`).
    pub prefix: Option<String>,
    /// The header name without prefix.
    pub name: String,
    /// The parameters between the colon and the value, without the
    /// leading `;` (e.g. `lang=fr` in `Subject:;lang=fr text`).
    pub params: Option<String>,
    /// The value as written (escapes and folding kept).
    pub value: String,
}

impl CpimHeader {
    /// A header without prefix or parameters.
    pub fn new(name: &str, value: &str) -> Self {
        CpimHeader {
            prefix: None,
            name: name.to_owned(),
            params: None,
            value: value.to_owned(),
        }
    }
    fn write(&self, out: &mut Vec<u8>) {
        if let Some(p) = &self.prefix {
            out.extend_from_slice(p.as_bytes());
            out.push(b'.');
        }
        out.extend_from_slice(self.name.as_bytes());
        out.push(b':');
        if let Some(p) = &self.params {
            out.push(b';');
            out.extend_from_slice(p.as_bytes());
        }
        out.push(b' ');
        out.extend_from_slice(self.value.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
}

/// A `message/cpim` body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cpim {
    /// The CPIM headers in order (From, To, cc, DateTime, Subject, NS,
    /// Require and namespaced extension headers).
    pub headers: Vec<CpimHeader>,
    /// The encapsulated MIME headers, or `None` when they were merged into
    /// the CPIM block (then they are in `headers`).
    pub mime: Option<Vec<(String, String)>>,
    /// The encapsulated content.
    pub body: Bytes,
}

fn is_name_char(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'-' | b'_' | b'!' | b'%' | b'*' | b'+' | b'`' | b'\'' | b'~'
        )
}

/// Logical header lines with their line numbers, and the offset after the
/// closing blank line (`None` when the block is not closed).
type Block = (Vec<(usize, String)>, Option<usize>);

/// Splits one header block into logical lines (folded lines joined, fold
/// kept in the value); returns the lines and the offset after the blank
/// line, or `None` for the end offset when the block is not closed.
fn block(data: &[u8], mut at: usize, line0: usize) -> Result<Block, FormatError> {
    let mut out: Vec<(usize, String)> = Vec::new();
    let mut line = line0;
    loop {
        let rest = data.get(at..).unwrap_or(&[]);
        if rest.is_empty() {
            return Ok((out, None));
        }
        let end = memchr::memmem::find(rest, b"\r\n")
            .ok_or(FormatError::new("header line without CRLF", line))?;
        let text = rest.get(..end).unwrap_or(&[]);
        at += end + 2;
        line += 1;
        if text.is_empty() {
            return Ok((out, Some(at)));
        }
        let text =
            std::str::from_utf8(text).map_err(|_| FormatError::new("header not UTF-8", line))?;
        if text.starts_with([' ', '\t']) {
            let Some(last) = out.last_mut() else {
                return Err(FormatError::new("continuation line without header", line));
            };
            last.1.push_str("\r\n");
            last.1.push_str(text);
        } else {
            if out.len() >= MAX_HEADERS {
                return Err(FormatError::new("too many headers", line));
            }
            out.push((line, text.to_owned()));
        }
    }
}

fn split_header(line_no: usize, text: &str) -> Result<CpimHeader, FormatError> {
    let colon = text
        .find(':')
        .ok_or(FormatError::new("header without ':'", line_no))?;
    let (left, right) = text
        .split_at_checked(colon)
        .ok_or(FormatError::new("header", line_no))?;
    let mut value = right.get(1..).unwrap_or("");
    // Parameters follow the colon: `Subject:;lang=fr text` (RFC 3862
    // section 3.2).
    let mut params = None;
    if let Some(p) = value.strip_prefix(';') {
        let (ps, v) = p.split_once(' ').unwrap_or((p, ""));
        params = Some(ps.to_owned());
        value = v;
    } else {
        value = value.strip_prefix(' ').unwrap_or(value);
    }
    let full = left;
    let (prefix, name) = match full.rsplit_once('.') {
        Some((p, n)) => (Some(p.to_owned()), n),
        None => (None, full),
    };
    if name.is_empty()
        || !name.bytes().all(is_name_char)
        || prefix
            .as_deref()
            .is_some_and(|p| p.is_empty() || !p.bytes().all(is_name_char))
    {
        return Err(FormatError::new("bad header name", line_no));
    }
    Ok(CpimHeader {
        prefix,
        name: name.to_owned(),
        params,
        value: value.to_owned(),
    })
}

impl Cpim {
    /// A message from `from` to `to` (both `Name <uri>` or `<uri>`)
    /// carrying `body` of `content_type`.
    pub fn new(from: &str, to: &str, content_type: &str, body: impl Into<Bytes>) -> Self {
        Cpim {
            headers: vec![CpimHeader::new("From", from), CpimHeader::new("To", to)],
            mime: Some(vec![("Content-Type".to_owned(), content_type.to_owned())]),
            body: body.into(),
        }
    }

    /// Parses a CPIM body.
    pub fn parse(data: &[u8]) -> Result<Cpim, FormatError> {
        let (lines, after) = block(data, 0, 0)?;
        let Some(after) = after else {
            return Err(FormatError::new(
                "CPIM headers not closed by a blank line",
                lines.len() + 1,
            ));
        };
        let mut headers = Vec::with_capacity(lines.len());
        for (n, l) in &lines {
            headers.push(split_header(*n, l)?);
        }
        let merged = headers
            .iter()
            .any(|h| h.prefix.is_none() && h.name.eq_ignore_ascii_case("Content-Type"));
        if merged {
            return Ok(Cpim {
                headers,
                mime: None,
                body: Bytes::copy_from_slice(data.get(after..).unwrap_or(&[])),
            });
        }
        let line0 = lines.last().map(|l| l.0).unwrap_or(0) + 1;
        let (mlines, mafter) = block(data, after, line0)?;
        let Some(mafter) = mafter else {
            return Err(FormatError::new(
                "MIME headers not closed by a blank line",
                line0 + mlines.len() + 1,
            ));
        };
        let mut mime = Vec::with_capacity(mlines.len());
        for (n, l) in mlines {
            let (k, v) = l
                .split_once(':')
                .ok_or(FormatError::new("MIME header without ':'", n))?;
            if k.is_empty() || !k.bytes().all(is_name_char) {
                return Err(FormatError::new("bad MIME header name", n));
            }
            mime.push((k.to_owned(), v.strip_prefix(' ').unwrap_or(v).to_owned()));
        }
        Ok(Cpim {
            headers,
            mime: Some(mime),
            body: Bytes::copy_from_slice(data.get(mafter..).unwrap_or(&[])),
        })
    }

    /// Writes the body back.
    pub fn write(&self, out: &mut Vec<u8>) {
        for h in &self.headers {
            h.write(out);
        }
        out.extend_from_slice(b"\r\n");
        if let Some(m) = &self.mime {
            for (k, v) in m {
                out.extend_from_slice(k.as_bytes());
                out.extend_from_slice(b": ");
                out.extend_from_slice(v.as_bytes());
                out.extend_from_slice(b"\r\n");
            }
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(&self.body);
    }

    /// The body as bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(self.body.len() + 256);
        self.write(&mut v);
        v
    }

    /// The first unprefixed CPIM header of that name.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|h| h.prefix.is_none() && h.name.eq_ignore_ascii_case(name))
            .map(|h| h.value.as_str())
    }

    /// `From`.
    pub fn from(&self) -> Option<&str> {
        self.get("From")
    }
    /// `To` (the first).
    pub fn to(&self) -> Option<&str> {
        self.get("To")
    }
    /// `DateTime`.
    pub fn date_time(&self) -> Option<&str> {
        self.get("DateTime")
    }

    /// The encapsulated Content-Type.
    pub fn content_type(&self) -> Option<&str> {
        match &self.mime {
            Some(m) => m
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("Content-Type"))
                .map(|(_, v)| v.as_str()),
            None => self.get("Content-Type"),
        }
    }

    /// The `NS:` declarations as (prefix, URI); the prefix is empty for a
    /// default namespace (RFC 3862 section 3.3.7).
    pub fn namespaces(&self) -> Vec<(String, String)> {
        self.headers
            .iter()
            .filter(|h| h.prefix.is_none() && h.name.eq_ignore_ascii_case("NS"))
            .filter_map(|h| {
                let v = h.value.trim();
                let lt = v.find('<')?;
                let gt = v.rfind('>')?;
                let uri = v.get(lt + 1..gt)?.to_owned();
                Some((v.get(..lt)?.trim().to_owned(), uri))
            })
            .collect()
    }

    fn prefix_of(&self, ns: &str) -> Option<String> {
        self.namespaces()
            .into_iter()
            .find(|(_, u)| u == ns)
            .map(|(p, _)| p)
    }

    /// The first header `name` in namespace `ns` (matched by URI).
    pub fn get_ns(&self, ns: &str, name: &str) -> Option<&str> {
        let prefix = self.prefix_of(ns)?;
        self.headers
            .iter()
            .find(|h| {
                h.prefix.as_deref() == Some(prefix.as_str()) && h.name.eq_ignore_ascii_case(name)
            })
            .map(|h| h.value.as_str())
    }

    /// Sets header `name` in namespace `ns`, declaring the namespace with
    /// `preferred_prefix` if it is not declared yet.
    pub fn set_ns(&mut self, ns: &str, preferred_prefix: &str, name: &str, value: &str) {
        let prefix = match self.prefix_of(ns) {
            Some(p) => p,
            None => {
                self.headers
                    .push(CpimHeader::new("NS", &format!("{preferred_prefix} <{ns}>")));
                preferred_prefix.to_owned()
            }
        };
        if let Some(h) = self.headers.iter_mut().find(|h| {
            h.prefix.as_deref() == Some(prefix.as_str()) && h.name.eq_ignore_ascii_case(name)
        }) {
            h.value = value.to_owned();
            return;
        }
        self.headers.push(CpimHeader {
            prefix: Some(prefix),
            name: name.to_owned(),
            params: None,
            value: value.to_owned(),
        });
    }

    /// The IMDN Message-ID (RFC 5438 section 6.3).
    pub fn imdn_message_id(&self) -> Option<&str> {
        self.get_ns(IMDN_NS, "Message-ID")
    }

    /// The IMDN Disposition-Notification values, e.g. `positive-delivery`,
    /// `negative-delivery`, `display` (RFC 5438 section 6.2).
    pub fn disposition_notification(&self) -> Vec<&str> {
        self.get_ns(IMDN_NS, "Disposition-Notification")
            .map(|v| {
                v.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Asks for IMDNs: sets `imdn.Message-ID` and
    /// `imdn.Disposition-Notification`.
    pub fn request_imdn(&mut self, message_id: &str, dispositions: &[&str]) {
        self.set_ns(IMDN_NS, "imdn", "Message-ID", message_id);
        self.set_ns(
            IMDN_NS,
            "imdn",
            "Disposition-Notification",
            &dispositions.join(", "),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RFC3862: &[u8] = b"From: MR SANDERS <im:piglet@100akerwood.com>\r\n\
To: Depressed Donkey <im:eeyore@100akerwood.com>\r\n\
DateTime: 2000-12-13T13:40:00-08:00\r\n\
Subject: the weather will be fine today\r\n\
Subject:;lang=fr beau temps prevu pour aujourd'hui\r\n\
NS: MyFeatures <mid:MessageFeatures@id.foo.com>\r\n\
Require: MyFeatures.VitalMessageOption\r\n\
MyFeatures.VitalMessageOption: Confirmation-requested\r\n\
MyFeatures.WackyMessageOption: Use-silly-font\r\n\
\r\n\
Content-type: text/xml; charset=utf-8\r\n\
Content-ID: <1234567890@foo.com>\r\n\
\r\n\
<body>\r\nHere is the text of my message.\r\n</body>\r\n";

    #[test]
    fn rfc3862_example() {
        let c = Cpim::parse(RFC3862).unwrap();
        assert_eq!(c.from(), Some("MR SANDERS <im:piglet@100akerwood.com>"));
        assert_eq!(c.headers[4].params.as_deref(), Some("lang=fr"));
        assert_eq!(c.content_type(), Some("text/xml; charset=utf-8"));
        assert_eq!(
            c.get_ns("mid:MessageFeatures@id.foo.com", "VitalMessageOption"),
            Some("Confirmation-requested")
        );
        assert_eq!(c.get_ns("urn:other", "VitalMessageOption"), None);
        assert!(c.body.starts_with(b"<body>"));
        assert_eq!(c.to_bytes(), RFC3862);
        let mut again = Cpim::parse(&c.to_bytes()).unwrap();
        assert_eq!(again, c);
        again.request_imdn("34jk324j", &["positive-delivery", "display"]);
        let b = again.to_bytes();
        let d = Cpim::parse(&b).unwrap();
        assert_eq!(d.imdn_message_id(), Some("34jk324j"));
        assert_eq!(
            d.disposition_notification(),
            vec!["positive-delivery", "display"]
        );
        assert!(String::from_utf8(b)
            .unwrap()
            .contains("NS: imdn <urn:ietf:params:imdn>\r\nimdn.Message-ID: 34jk324j\r\n"));
    }

    #[test]
    fn namespace_matched_by_uri_not_prefix() {
        let src = b"From: <sip:a@x>\r\nNS: zz <urn:ietf:params:imdn>\r\nzz.Message-ID: abc\r\nimdn.Message-ID: wrong\r\n\r\nContent-Type: text/plain\r\n\r\nhi";
        let c = Cpim::parse(src).unwrap();
        assert_eq!(c.imdn_message_id(), Some("abc"));
        assert_eq!(c.to_bytes(), src);
    }

    #[test]
    fn errors_name_the_line() {
        assert_eq!(
            Cpim::parse(b"From <x>\r\n\r\n").unwrap_err(),
            FormatError::new("header without ':'", 1)
        );
        assert_eq!(Cpim::parse(b"From: <x>\r\n").unwrap_err().line, 2);
        assert_eq!(
            Cpim::parse(b"From: <x>\r\n\r\nContent-Type: a\r\n")
                .unwrap_err()
                .line,
            4
        );
        assert_eq!(Cpim::parse(b" x\r\n\r\n").unwrap_err().line, 1);
    }
}
