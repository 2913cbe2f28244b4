//! Multipart MIME bodies (RFC 2046 5.1; `multipart/related`, RFC 2387):
//! parsed into parts with their own headers, and built (RLMI
//! notifications of RFC 4662 are `multipart/related` bodies).
//!
//! ```
//! use sip_core::header::{ContentId, MediaType};
//! use sip_core::multipart::{Multipart, MultipartBuilder, Part};
//! let rlmi = MediaType::new("application", "rlmi+xml").unwrap();
//! let pidf = MediaType::new("application", "pidf+xml").unwrap();
//! let (ct, body) = MultipartBuilder::related(&rlmi)
//!     .part(Part::new(&rlmi, "<list/>").with_content_id(&ContentId::new("list@x").unwrap()))
//!     .part(Part::new(&pidf, "<presence/>").with_content_id(&ContentId::new("bob@x").unwrap()))
//!     .start(&ContentId::new("list@x").unwrap())
//!     .build();
//! let parsed = Multipart::parse(&ct.0, &body, &Default::default()).unwrap();
//! assert_eq!(parsed.parts().len(), 2);
//! assert_eq!(&parsed.root().unwrap().body[..], b"<list/>");
//! ```

use crate::error::{MultipartError, MultipartErrorKind as K};
use crate::header::{ContentId, ContentType, HeaderName, Headers, MediaType, TypedHeader};
use crate::parse::{scan_headers, Limits, Status};
use bytes::Bytes;
use memchr::memmem;

/// Most parts a body may hold.
pub const MAX_PARTS: usize = 1024;

/// One body part: its headers and its content.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Part {
    /// The part's headers (Content-Type, Content-ID ...).
    pub headers: Headers,
    /// The part's content.
    pub body: Bytes,
}

impl Part {
    /// A part with a Content-Type.
    pub fn new(content_type: &MediaType, body: impl Into<Bytes>) -> Part {
        let mut headers = Headers::new();
        headers.push_typed(&ContentType(content_type.clone()));
        Part {
            headers,
            body: body.into(),
        }
    }

    /// Adds a Content-ID (RFC 2392).
    pub fn with_content_id(mut self, id: &ContentId) -> Part {
        self.headers.set_typed(id);
        self
    }

    /// Adds a typed header.
    pub fn with_header<H: TypedHeader>(mut self, h: &H) -> Part {
        self.headers.push_typed(h);
        self
    }

    /// The part's Content-Type, if present and readable.
    pub fn content_type(&self) -> Option<MediaType> {
        self.headers
            .typed::<ContentType>()
            .ok()
            .flatten()
            .map(|c| c.0)
    }

    /// The part's Content-ID, if present and readable.
    pub fn content_id(&self) -> Option<ContentId> {
        self.headers.typed().ok().flatten()
    }
}

/// A parsed multipart body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Multipart {
    media: MediaType,
    boundary: Bytes,
    parts: Vec<Part>,
}

fn err(kind: K, offset: usize) -> MultipartError {
    MultipartError { kind, offset }
}

fn valid_boundary(b: &[u8]) -> bool {
    (1..=70).contains(&b.len())
        && b.iter().all(|&c| {
            c.is_ascii_alphanumeric()
                || matches!(
                    c,
                    b'\''
                        | b'('
                        | b')'
                        | b'+'
                        | b'_'
                        | b','
                        | b'-'
                        | b'.'
                        | b'/'
                        | b':'
                        | b'='
                        | b'?'
                        | b' '
                )
        })
        && !b.ends_with(b" ")
}

impl Multipart {
    /// Parses `body` of Content-Type `media` (which must be `multipart/*`
    /// with a `boundary`). The preamble and epilogue are dropped. Delimiter
    /// lines may end with CRLF or LF; a part's content is everything up to
    /// the line break before the next delimiter, so binary content with
    /// bare CR or LF bytes is kept (RFC 4475 3.1.1.11).
    pub fn parse(
        media: &MediaType,
        body: &Bytes,
        limits: &Limits,
    ) -> Result<Multipart, MultipartError> {
        if !media.is_multipart() {
            return Err(err(K::NotMultipart, 0));
        }
        let boundary = media.param("boundary").ok_or(err(K::InvalidBoundary, 0))?;
        if !valid_boundary(&boundary) {
            return Err(err(K::InvalidBoundary, 0));
        }
        let mut delim = Vec::with_capacity(boundary.len() + 3);
        delim.extend_from_slice(b"\n--");
        delim.extend_from_slice(&boundary);
        let finder = memmem::Finder::new(&delim);
        // The first delimiter may open the body without a line break.
        let first = if body.starts_with(&delim[1..]) {
            0
        } else {
            finder
                .find(body)
                .map(|p| p + 1)
                .ok_or(err(K::MissingDelimiter, 0))?
        };
        let mut pos = first + delim.len() - 1;
        let mut parts = Vec::new();
        loop {
            // After a delimiter: "--" closes; else padding then a line break.
            if body.get(pos..pos + 2) == Some(b"--") {
                break;
            }
            while matches!(body.get(pos), Some(b' ' | b'\t')) {
                pos += 1;
            }
            match body.get(pos) {
                Some(b'\r') if body.get(pos + 1) == Some(&b'\n') => pos += 2,
                Some(b'\n') => pos += 1,
                _ => return Err(err(K::MissingDelimiter, pos)),
            }
            let next = finder
                .find(body.get(pos..).unwrap_or_default())
                .map(|p| pos + p)
                .ok_or(err(K::MissingCloseDelimiter, pos))?;
            let content_end = if next > pos && body.get(next - 1) == Some(&b'\r') {
                next - 1
            } else {
                next
            };
            let content = body.slice(pos..content_end.max(pos));
            parts.push(
                Self::parse_part(&content, limits)
                    .map_err(|o| err(K::InvalidPartHeaders, pos + o))?,
            );
            if parts.len() > MAX_PARTS {
                return Err(err(K::TooManyParts, pos));
            }
            pos = next + delim.len();
        }
        Ok(Multipart {
            media: media.clone(),
            boundary: Bytes::copy_from_slice(&boundary),
            parts,
        })
    }

    fn parse_part(content: &Bytes, limits: &Limits) -> Result<Part, usize> {
        // Lines point into the part, as a message's do into its buffer;
        // only a folded value gets a `Bytes` of its own.
        let mut headers = Headers::with_source(content.clone(), 4);
        let status = scan_headers(content, 0, limits, |line| {
            let (name, compact) =
                HeaderName::from_known(line.known, || content.slice(line.name.clone()));
            if line.folded {
                let v = content.get(line.value.clone()).unwrap_or_default();
                let value = v
                    .iter()
                    .map(|&b| if b == b'\r' || b == b'\n' { b' ' } else { b })
                    .collect::<Vec<u8>>();
                headers.push_raw(name, Bytes::from(value), compact);
            } else {
                headers.push_span(content, name, line.value.start, line.value.end, compact);
            }
            Ok(())
        })
        .map_err(|e| e.offset)?;
        match status {
            Status::Complete(end) => Ok(Part {
                headers,
                body: content.slice(end..),
            }),
            // No empty line: a part of headers only (RFC 2046 allows an
            // empty body); treat as malformed unless it is empty.
            Status::Partial if content.is_empty() => Ok(Part::default()),
            Status::Partial => Err(0),
        }
    }

    /// The parts, in order.
    pub fn parts(&self) -> &[Part] {
        &self.parts
    }

    /// The Content-Type this body was parsed or built with.
    pub fn media_type(&self) -> &MediaType {
        &self.media
    }

    /// The boundary.
    pub fn boundary(&self) -> &[u8] {
        &self.boundary
    }

    /// The part a Content-ID names (`<...>` stripped on both sides).
    pub fn part_by_id(&self, id: &[u8]) -> Option<&Part> {
        let id = id
            .strip_prefix(b"<")
            .and_then(|i| i.strip_suffix(b">"))
            .unwrap_or(id);
        self.parts
            .iter()
            .find(|p| p.content_id().is_some_and(|c| c.id() == id))
    }

    /// The root part of `multipart/related` (RFC 2387 3.2): the one `start`
    /// names, else the first.
    pub fn root(&self) -> Option<&Part> {
        match self.media.param("start") {
            Some(start) => self.part_by_id(&start),
            None => self.parts.first(),
        }
    }

    /// Writes the body: each part as delimiter, headers, empty line,
    /// content; then the close delimiter.
    pub fn write(&self, out: &mut Vec<u8>) {
        write_parts(&self.boundary, &self.parts, out);
    }

    /// The body bytes.
    pub fn to_bytes(&self) -> Bytes {
        let mut v = Vec::new();
        self.write(&mut v);
        Bytes::from(v)
    }
}

fn write_parts(boundary: &[u8], parts: &[Part], out: &mut Vec<u8>) {
    for p in parts {
        out.extend_from_slice(b"--");
        out.extend_from_slice(boundary);
        out.extend_from_slice(b"\r\n");
        p.headers.write(out);
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(&p.body);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"--");
    out.extend_from_slice(boundary);
    out.extend_from_slice(b"--\r\n");
}

/// Builds a multipart body and its Content-Type.
#[derive(Debug, Clone)]
pub struct MultipartBuilder {
    media: MediaType,
    boundary: Option<String>,
    parts: Vec<Part>,
}

impl MultipartBuilder {
    /// `multipart/mixed`.
    pub fn mixed() -> MultipartBuilder {
        MultipartBuilder {
            media: MediaType::new("multipart", "mixed").unwrap_or_else(|| unreachable!()),
            boundary: None,
            parts: Vec::new(),
        }
    }

    /// `multipart/related;type="<root type>"` (RFC 2387).
    pub fn related(root: &MediaType) -> MultipartBuilder {
        let mut t = Vec::new();
        t.extend_from_slice(root.mtype());
        t.push(b'/');
        t.extend_from_slice(root.subtype());
        let t = String::from_utf8_lossy(&t).into_owned();
        let media = MediaType::new("multipart", "related").unwrap_or_else(|| unreachable!());
        let media = media.with_param("type", &t).unwrap_or(media);
        MultipartBuilder {
            media,
            boundary: None,
            parts: Vec::new(),
        }
    }

    /// Sets the `start` parameter: the Content-ID of the root part.
    pub fn start(mut self, id: &ContentId) -> MultipartBuilder {
        let v = format!("<{}>", String::from_utf8_lossy(id.id()));
        if let Some(m) = self.media.with_param("start", &v) {
            self.media = m;
        }
        self
    }

    /// Uses this boundary (else one is chosen that no part contains).
    pub fn boundary(mut self, b: &str) -> MultipartBuilder {
        self.boundary = Some(b.to_owned());
        self
    }

    /// Appends a part.
    pub fn part(mut self, p: Part) -> MultipartBuilder {
        self.parts.push(p);
        self
    }

    /// The Content-Type (with `boundary`) and the body.
    pub fn build(self) -> (ContentType, Bytes) {
        let clash = |b: &str| {
            let needle = format!("--{b}");
            self.parts
                .iter()
                .any(|p| memmem::find(&p.body, needle.as_bytes()).is_some())
        };
        let boundary = match &self.boundary {
            Some(b) if valid_boundary(b.as_bytes()) && !clash(b) => b.clone(),
            _ => (0u32..)
                .map(|n| format!("simple-peering-boundary-{n}"))
                .find(|b| !clash(b))
                .unwrap_or_default(),
        };
        let media = self
            .media
            .with_param("boundary", &boundary)
            .unwrap_or_else(|| self.media.clone());
        let mut out = Vec::new();
        write_parts(boundary.as_bytes(), &self.parts, &mut out);
        (ContentType(media), Bytes::from(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_rfc4662_style_body() {
        let body = Bytes::from_static(
            b"--50UBfW7LSCVLtggUPe5z\r\nContent-Transfer-Encoding: binary\r\nContent-ID: <nXYxAE@pres.vancouver.example.com>\r\nContent-Type: application/rlmi+xml;charset=\"UTF-8\"\r\n\r\n<list/>\r\n--50UBfW7LSCVLtggUPe5z\r\nContent-ID: <bUZBsM@pres.vancouver.example.com>\r\nContent-Type: application/pidf+xml\r\n\r\n<presence/>\r\n--50UBfW7LSCVLtggUPe5z--\r\n",
        );
        let ct: ContentType = ContentType::decode(&Bytes::from_static(
            b"multipart/related;type=\"application/rlmi+xml\";start=\"<nXYxAE@pres.vancouver.example.com>\";boundary=\"50UBfW7LSCVLtggUPe5z\"",
        ))
        .unwrap();
        let m = Multipart::parse(&ct.0, &body, &Limits::default()).unwrap();
        assert_eq!(m.parts().len(), 2);
        assert_eq!(&m.root().unwrap().body[..], b"<list/>");
        let p = m
            .part_by_id(b"<bUZBsM@pres.vancouver.example.com>")
            .unwrap();
        assert!(p.content_type().unwrap().is("application", "pidf+xml"));
        assert_eq!(m.to_bytes(), body);
    }

    #[test]
    fn builder_avoids_boundary_clash() {
        let text = MediaType::new("text", "plain").unwrap();
        let (ct, body) = MultipartBuilder::mixed()
            .boundary("x")
            .part(Part::new(&text, "a\r\n--x\r\nb"))
            .build();
        let b = ct.0.param("boundary").unwrap().into_owned();
        assert_ne!(b, b"x");
        let m = Multipart::parse(&ct.0, &body, &Limits::default()).unwrap();
        assert_eq!(&m.parts()[0].body[..], b"a\r\n--x\r\nb");
    }

    #[test]
    fn refusals() {
        let mixed = MediaType::new("multipart", "mixed").unwrap();
        let e = Multipart::parse(&mixed, &Bytes::new(), &Limits::default()).unwrap_err();
        assert_eq!(e.kind, K::InvalidBoundary);
        let m = mixed.with_param("boundary", "b").unwrap();
        let e = Multipart::parse(&m, &Bytes::from_static(b"--b\r\n\r\nx"), &Limits::default())
            .unwrap_err();
        assert_eq!(e.kind, K::MissingCloseDelimiter);
        let e =
            Multipart::parse(&m, &Bytes::from_static(b"nothing"), &Limits::default()).unwrap_err();
        assert_eq!(e.kind, K::MissingDelimiter);
    }
}
