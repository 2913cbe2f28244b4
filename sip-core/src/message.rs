//! Owned messages: requests and responses holding `Bytes` slices of the
//! received buffer (cheap to clone, `'static`), their parsing from a
//! datagram or a stream slice, serialization, validation and building.

use crate::error::{HopError, ParseError, ParseErrorKind as K, ValidationError};
use crate::header::{
    CSeq, CallId, ContentLength, ContentType, From, HeaderName, Headers, MaxForwards, To,
    TypedHeader, Via,
};
use crate::method::{Method, StatusCode, Version};
use crate::parse::{self, body_fits, leading_crlf, scan_head, Limits, StartSpan, Status};
use crate::uri::Uri;
use bytes::Bytes;
use std::fmt;
use std::sync::OnceLock;

/// A request (RFC 3261 7.1).
#[derive(Clone)]
pub struct Request {
    method: Method,
    uri: Uri,
    version: Version,
    headers: Headers,
    body: Body,
}

/// A response (RFC 3261 7.2).
#[derive(Clone)]
pub struct Response {
    version: Version,
    status: StatusCode,
    reason: Bytes,
    headers: Headers,
    body: Body,
}

/// A message body. A parsed one is a range of the received buffer, which
/// the headers hold ([`Headers::source`]), until it is first asked for as
/// `Bytes`: a message written out or dropped unread costs no reference
/// count for its body. Before the headers are handed out to be changed
/// (and their buffer with them), the body takes its own `Bytes`.
#[derive(Clone, Default)]
struct Body {
    value: OnceLock<Bytes>,
    /// The range in the headers' buffer, used until `value` is set.
    start: usize,
    end: usize,
}

impl Body {
    fn owned(value: Bytes) -> Body {
        Body {
            value: OnceLock::from(value),
            start: 0,
            end: 0,
        }
    }

    fn span(start: usize, end: usize) -> Body {
        Body {
            value: OnceLock::new(),
            start,
            end,
        }
    }

    /// The body's bytes, without making a `Bytes` for them.
    fn bytes<'a>(&'a self, src: &'a Bytes) -> &'a [u8] {
        match self.value.get() {
            Some(v) => v,
            None => src.get(self.start..self.end).unwrap_or_default(),
        }
    }

    /// The body as `Bytes` sharing `src`.
    fn value(&self, src: &Bytes) -> &Bytes {
        self.value
            .get_or_init(|| match src.get(self.start..self.end) {
                Some(_) => src.slice(self.start..self.end),
                None => Bytes::new(),
            })
    }
}

/// `Debug`, `PartialEq` and `Eq` for a message type, its body compared and
/// shown as bytes.
macro_rules! message_traits {
    ($ty:ident { $($field:ident),* }) => {
        impl fmt::Debug for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($ty))
                    $(.field(stringify!($field), &self.$field))*
                    .field("headers", &self.headers)
                    .field("body", self.body())
                    .finish()
            }
        }

        impl PartialEq for $ty {
            fn eq(&self, other: &Self) -> bool {
                $(self.$field == other.$field &&)*
                    self.headers == other.headers
                    && self.body_bytes() == other.body_bytes()
            }
        }

        impl Eq for $ty {}
    };
}

message_traits!(Request {
    method,
    uri,
    version
});
message_traits!(Response {
    version,
    status,
    reason
});

/// A SIP message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// A request.
    Request(Request),
    /// A response.
    Response(Response),
}

/// Replaces each line break and the white space after it by one SP.
fn unfold(v: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(v.len());
    let mut i = 0;
    while let Some(&b) = v.get(i) {
        if b == b'\r' || b == b'\n' {
            while v
                .get(i)
                .is_some_and(|&c| matches!(c, b'\r' | b'\n' | b' ' | b'\t'))
            {
                i += 1;
            }
            if !out.ends_with(b" ") {
                out.push(b' ');
            }
            continue;
        }
        out.push(b);
        i += 1;
    }
    out
}

/// Parses one message at the start of `buf` (after leading CRLFs).
/// `datagram`: a missing Content-Length means "to the end", a short body is
/// an error and trailing bytes are ignored (RFC 3261 18.3); otherwise
/// (stream) Content-Length is required and a short body is `Partial`.
fn parse_owned(
    buf: Bytes,
    limits: &Limits,
    datagram: bool,
) -> Result<Status<(Message, usize)>, ParseError> {
    let skip = leading_crlf(&buf);
    if datagram && skip == buf.len() {
        return Err(ParseError::new(K::Empty, skip));
    }
    // The buffer moves into the headers once the scan is done: no
    // reference count taken for it here.
    let mut headers = Headers::with_source(Bytes::new(), 12);
    let mut content_length: Option<u64> = None;
    let status = scan_head(&buf, skip, limits, |line| {
        if line
            .known
            .is_some_and(|(i, _)| HeaderName::CONTENT_LENGTH.is_index(i))
        {
            let value = buf.get(line.value.clone()).unwrap_or_default();
            let v = parse::content_length_value(value, line.value.start)?;
            parse::merge_content_length(&mut content_length, v, line.value.start)?;
        }
        match line.known {
            Some((i, compact)) if !line.folded => {
                headers.push_span_std(&buf, i, line.value.start, line.value.end, compact);
            }
            known => {
                let (name, compact) =
                    HeaderName::from_known(known, || buf.slice(line.name.clone()));
                if line.folded {
                    let value = unfold(buf.get(line.value.clone()).unwrap_or_default());
                    headers.push_raw(name, Bytes::from(value), compact);
                } else {
                    headers.push_span(&buf, name, line.value.start, line.value.end, compact);
                }
            }
        }
        Ok(())
    })?;
    let Status::Complete((start, head_end)) = status else {
        if datagram {
            return Err(ParseError::new(K::Incomplete, buf.len()));
        }
        return Ok(Status::Partial);
    };
    let (body, end) = match content_length {
        Some(cl) => {
            body_fits(cl, head_end - skip, limits, head_end)?;
            // body_fits bounds cl by max_body, a usize.
            let end = head_end.saturating_add(usize::try_from(cl).unwrap_or(usize::MAX));
            if end > buf.len() {
                if datagram {
                    return Err(ParseError::new(K::BodyTruncated, buf.len()));
                }
                return Ok(Status::Partial);
            }
            (Body::span(head_end, end), end)
        }
        None if datagram => {
            let len = buf.len() - head_end;
            body_fits(len as u64, head_end - skip, limits, head_end)?;
            (Body::span(head_end, buf.len()), buf.len())
        }
        None => return Err(ParseError::new(K::MissingContentLength, skip)),
    };
    let msg = match start {
        StartSpan::Request {
            method,
            uri,
            version,
        } => {
            let m = buf.get(method.clone()).unwrap_or_default();
            let method = Method::from_bytes_shared(m, || buf.slice(method.clone()))
                .ok_or(ParseError::new(K::InvalidMethod, method.start))?;
            let uri_start = uri.start;
            let uri = Uri::parse_in(&buf, uri.start, uri.end)
                .map_err(|e| ParseError::new(K::InvalidRequestUri, uri_start + e.offset))?;
            headers.set_source(buf);
            Message::Request(Request {
                method,
                uri,
                version,
                headers,
                body,
            })
        }
        StartSpan::Response {
            version,
            code,
            reason,
        } => {
            let status =
                StatusCode::new(code).ok_or(ParseError::new(K::InvalidStatusCode, skip))?;
            let reason = common_reason(&buf, reason);
            headers.set_source(buf);
            Message::Response(Response {
                version,
                status,
                reason,
                headers,
                body,
            })
        }
    };
    Ok(Status::Complete((msg, end)))
}

/// The reason phrase at `range` of `buf`: a static one for the phrases
/// most responses carry (no reference count on the buffer), else a slice.
fn common_reason(buf: &Bytes, range: std::ops::Range<usize>) -> Bytes {
    const COMMON: [&[u8]; 6] = [
        b"OK",
        b"Trying",
        b"Ringing",
        b"Accepted",
        b"Session Progress",
        b"Not Found",
    ];
    let text = buf.get(range.clone()).unwrap_or_default();
    match COMMON.iter().find(|c| **c == text) {
        Some(c) => Bytes::from_static(c),
        None => buf.slice(range),
    }
}

impl Message {
    /// Parses one datagram (RFC 3261 18.3): leading CRLFs are skipped; with
    /// Content-Length, bytes after the body are ignored and a body shorter
    /// than declared is [`ParseErrorKind::BodyTruncated`](crate::ParseErrorKind::BodyTruncated);
    /// without it, the body runs to the end of the datagram.
    ///
    /// There is no lenient mode: the RFC 3261 24.2 example INVITE and 200
    /// declare an SDP body the RFC does not print, and are refused as
    /// truncated, as RFC 4475 3.1.2.2 says a UDP receiver must (the tests
    /// supply the body). [`parse::parse_head`]
    /// still reads the header section of such a datagram.
    ///
    /// This checks framing and the start line (the Request-URI is parsed);
    /// header values are checked by the typed views and by
    /// [`Message::validate`].
    pub fn parse_datagram(buf: impl Into<Bytes>, limits: &Limits) -> Result<Message, ParseError> {
        let buf: Bytes = buf.into();
        if buf.len() > limits.max_message {
            return Err(ParseError::new(K::MessageTooLarge, limits.max_message));
        }
        let len = buf.len();
        match parse_owned(buf, limits, true)? {
            Status::Complete((m, _)) => Ok(m),
            Status::Partial => Err(ParseError::new(K::Incomplete, len)),
        }
    }

    /// Parses the first message of a stream buffer: `Partial` until it is
    /// all there; `Complete((message, bytes used))` otherwise (leading CRLFs
    /// count as used). Content-Length is required (RFC 3261 18.3).
    pub fn parse_stream(
        buf: &Bytes,
        limits: &Limits,
    ) -> Result<Status<(Message, usize)>, ParseError> {
        parse_owned(buf.clone(), limits, false)
    }

    /// The headers.
    pub fn headers(&self) -> &Headers {
        match self {
            Message::Request(r) => &r.headers,
            Message::Response(r) => &r.headers,
        }
    }

    /// The headers, to change.
    pub fn headers_mut(&mut self) -> &mut Headers {
        match self {
            Message::Request(r) => r.headers_mut(),
            Message::Response(r) => r.headers_mut(),
        }
    }

    /// The body.
    pub fn body(&self) -> &Bytes {
        match self {
            Message::Request(r) => r.body(),
            Message::Response(r) => r.body(),
        }
    }

    /// The body's bytes, without making a `Bytes` of a parsed one.
    fn body_bytes(&self) -> &[u8] {
        match self {
            Message::Request(r) => r.body_bytes(),
            Message::Response(r) => r.body_bytes(),
        }
    }

    /// The version of the start line.
    pub fn version(&self) -> Version {
        match self {
            Message::Request(r) => r.version,
            Message::Response(r) => r.version,
        }
    }

    /// The request, if this is one.
    pub fn as_request(&self) -> Option<&Request> {
        match self {
            Message::Request(r) => Some(r),
            Message::Response(_) => None,
        }
    }

    /// The response, if this is one.
    pub fn as_response(&self) -> Option<&Response> {
        match self {
            Message::Response(r) => Some(r),
            Message::Request(_) => None,
        }
    }

    /// Writes the message as parsed: same header order, names (compact
    /// forms stay compact), values and body, with CRLF line ends.
    /// `Message::parse_datagram(m.to_bytes())` equals `m`.
    pub fn write(&self, out: &mut Vec<u8>) {
        self.write_start(out);
        self.headers().write(out);
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(self.body_bytes());
    }

    /// Writes the canonical form: full header names, and the headers this
    /// crate decodes printed from their typed form.
    pub fn write_canonical(&self, out: &mut Vec<u8>) {
        self.write_start(out);
        self.headers().write_canonical(out);
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(self.body_bytes());
    }

    /// The serialized message (see [`Message::write`]).
    pub fn to_bytes(&self) -> Bytes {
        let mut v = Vec::with_capacity(self.body_bytes().len() + 512);
        self.write(&mut v);
        Bytes::from(v)
    }

    /// The canonical form (see [`Message::write_canonical`]).
    pub fn to_canonical(&self) -> Bytes {
        let mut v = Vec::with_capacity(self.body_bytes().len() + 512);
        self.write_canonical(&mut v);
        Bytes::from(v)
    }

    fn write_start(&self, out: &mut Vec<u8>) {
        match self {
            Message::Request(r) => {
                out.extend_from_slice(r.method.as_bytes());
                out.push(b' ');
                r.uri.write(out);
                out.push(b' ');
                out.extend_from_slice(r.version.to_string().as_bytes());
            }
            Message::Response(r) => {
                out.extend_from_slice(r.version.to_string().as_bytes());
                out.push(b' ');
                out.extend_from_slice(r.status.as_u16().to_string().as_bytes());
                out.push(b' ');
                out.extend_from_slice(&r.reason);
            }
        }
        out.extend_from_slice(b"\r\n");
    }

    /// Checks the RFC 3261 rules that framing leaves to the application
    /// (RFC 4475 3.1.2): version 2.0; no headers in the Request-URI
    /// (19.1.1); Via, From, To, Call-ID and CSeq present (8.1.1; Max-Forwards
    /// is not required so RFC 2543 peers still get through, RFC 4475 3.4.1);
    /// single-valued headers present once; every header with a typed view
    /// decodes (ranges of CSeq, Max-Forwards, Expires, Retry-After; quotes;
    /// `<>` around URIs; Date in GMT ...); CSeq method equal to the request
    /// method (8.1.1.5); Content-Length equal to the body length.
    pub fn validate(&self) -> Result<(), ValidationError> {
        let v = self.version();
        if v != Version::SIP_2_0 {
            return Err(ValidationError::UnsupportedVersion {
                major: v.major,
                minor: v.minor,
            });
        }
        let h = self.headers();
        if let Message::Request(r) = self {
            if r.uri.as_sip().is_some_and(|u| !u.headers_raw().is_empty()) {
                return Err(ValidationError::RequestUriHeaders);
            }
        }
        for name in [
            HeaderName::VIA,
            HeaderName::FROM,
            HeaderName::TO,
            HeaderName::CALL_ID,
            HeaderName::CSEQ,
        ] {
            if !h.contains(&name) {
                return Err(ValidationError::MissingHeader(name));
            }
        }
        for name in [
            HeaderName::FROM,
            HeaderName::TO,
            HeaderName::CALL_ID,
            HeaderName::CSEQ,
            HeaderName::MAX_FORWARDS,
            HeaderName::CONTENT_LENGTH,
            HeaderName::CONTENT_TYPE,
            HeaderName::EXPIRES,
            HeaderName::MIN_EXPIRES,
            HeaderName::EVENT,
            HeaderName::SUBSCRIPTION_STATE,
            HeaderName::DATE,
        ] {
            if h.count(&name) > 1 {
                return Err(ValidationError::DuplicateHeader(name));
            }
        }
        h.check_typed()?;
        if h.typed_iter::<Via>().next().is_none() {
            return Err(ValidationError::MissingHeader(HeaderName::VIA));
        }
        if let Message::Request(r) = self {
            if let Some(cseq) = h.typed::<CSeq>()? {
                if cseq.method != r.method {
                    return Err(ValidationError::CSeqMethodMismatch);
                }
            }
        }
        if let Some(ContentLength(cl)) = h.typed::<ContentLength>()? {
            if cl as usize != self.body_bytes().len() {
                return Err(ValidationError::ContentLengthMismatch {
                    declared: u64::from(cl),
                    actual: self.body_bytes().len(),
                });
            }
        }
        Ok(())
    }
}

impl Request {
    /// The method.
    pub fn method(&self) -> &Method {
        &self.method
    }

    /// The Request-URI.
    pub fn uri(&self) -> &Uri {
        &self.uri
    }

    /// The version.
    pub fn version(&self) -> Version {
        self.version
    }

    /// The headers.
    pub fn headers(&self) -> &Headers {
        &self.headers
    }

    /// The headers, to change.
    pub fn headers_mut(&mut self) -> &mut Headers {
        // The body may lie in the headers' buffer, which a change could
        // replace: it takes its own `Bytes` first.
        self.body.value(self.headers.source());
        &mut self.headers
    }

    /// The body.
    pub fn body(&self) -> &Bytes {
        self.body.value(self.headers.source())
    }

    fn body_bytes(&self) -> &[u8] {
        self.body.bytes(self.headers.source())
    }

    /// Replaces the body and sets Content-Length to match.
    pub fn set_body(&mut self, body: impl Into<Bytes>) {
        let body: Bytes = body.into();
        let len = u32::try_from(body.len()).unwrap_or(u32::MAX);
        self.body = Body::owned(body);
        self.headers.set_typed(&ContentLength(len));
    }

    /// Serializes (see [`Message::write`]).
    pub fn to_bytes(&self) -> Bytes {
        Message::Request(self.clone()).to_bytes()
    }

    /// Takes one hop off the request, as a proxy does to the copy it
    /// forwards (RFC 3261 section 16.6 item 3): Max-Forwards goes down by
    /// one, or is added as 70 when the request has none. Returns the value
    /// the forwarded request now carries.
    ///
    /// Fails, leaving the request as it was, when Max-Forwards is already 0
    /// (section 16.3 item 2: the proxy answers 483, which is how a routing
    /// loop between two elements ends) or is not a number from 0 to 255;
    /// [`HopError::status_code`] is the status to answer with.
    ///
    /// ```
    /// use sip_core::header::MaxForwards;
    /// use sip_core::{HopError, Message, StatusCode};
    ///
    /// let Message::Request(mut r) = Message::parse_datagram(
    ///     &b"MESSAGE sip:bob@example.net SIP/2.0\r\nMax-Forwards: 1\r\n\r\n"[..],
    ///     &Default::default(),
    /// )? else { unreachable!() };
    /// assert_eq!(r.take_hop(), Ok(0));
    /// assert_eq!(r.headers().typed::<MaxForwards>()?, Some(MaxForwards(0)));
    /// let refused = r.take_hop().unwrap_err();
    /// assert_eq!(refused, HopError::Exhausted);
    /// assert_eq!(refused.status_code(), StatusCode::TOO_MANY_HOPS);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn take_hop(&mut self) -> Result<u8, HopError> {
        let left = match self.headers.typed::<MaxForwards>()? {
            Some(MaxForwards(0)) => return Err(HopError::Exhausted),
            Some(MaxForwards(n)) => n - 1,
            None => 70,
        };
        self.headers.set_typed(&MaxForwards(left));
        Ok(left)
    }
}

impl Response {
    /// A response to `req` (RFC 3261 8.2.6.2): Via (all, in order), From,
    /// To, Call-ID and CSeq copied, Content-Length 0; the reason phrase is
    /// the RFC's. Add a To tag with [`Response::set_to_tag`].
    pub fn from_request(req: &Request, status: StatusCode) -> Response {
        let mut headers = Headers::with_capacity(8);
        for (name, value) in req.headers.iter() {
            let copy = *name == HeaderName::VIA
                || *name == HeaderName::FROM
                || *name == HeaderName::TO
                || *name == HeaderName::CALL_ID
                || *name == HeaderName::CSEQ;
            if copy {
                headers.push_raw(name.clone(), value.clone(), false);
            }
        }
        headers.push_typed(&ContentLength(0));
        Response {
            version: Version::SIP_2_0,
            status,
            reason: Bytes::from_static(status.canonical_reason().unwrap_or("").as_bytes()),
            headers,
            body: Body::default(),
        }
    }

    /// Takes the top Via off, as a proxy does to a response from its client
    /// transaction before forwarding it (RFC 3261 section 16.7 item 3: that
    /// Via is the proxy's own). Returns it; a line holding several Via
    /// values keeps the others, in place. `None` when there is no Via
    /// (section 16.7: the response was meant for this element).
    ///
    /// ```
    /// use sip_core::{HeaderName, Message};
    ///
    /// let Message::Response(mut r) = Message::parse_datagram(
    ///     &b"SIP/2.0 200 OK\r\nVia: SIP/2.0/TLS border.example.com;branch=z9hG4bKb, \
    ///        SIP/2.0/UDP pc.example.com;branch=z9hG4bKa\r\nCSeq: 1 MESSAGE\r\n\r\n"[..],
    ///     &Default::default(),
    /// )? else { unreachable!() };
    /// let ours = r.pop_via().expect("a Via");
    /// assert!(ours.starts_with(b"SIP/2.0/TLS border.example.com"));
    /// let rest: Vec<_> = r.headers().get_all(&HeaderName::VIA).collect();
    /// assert_eq!(rest, [&b"SIP/2.0/UDP pc.example.com;branch=z9hG4bKa"[..]]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn pop_via(&mut self) -> Option<Bytes> {
        self.headers.pop_first(&HeaderName::VIA)
    }

    /// Adds a tag to To when it has none (RFC 3261 8.2.6.2). Returns
    /// `false` when To is missing or unreadable, or the tag is not a token.
    pub fn set_to_tag(&mut self, tag: &str) -> bool {
        match self.headers.typed::<To>() {
            Ok(Some(to)) if to.tag().is_some() => true,
            Ok(Some(to)) => match to.with_tag(tag) {
                Some(t) => {
                    self.headers.set_typed(&t);
                    true
                }
                None => false,
            },
            _ => false,
        }
    }

    /// A response with a status and no headers.
    pub fn new(status: StatusCode) -> Response {
        Response {
            version: Version::SIP_2_0,
            status,
            reason: Bytes::from_static(status.canonical_reason().unwrap_or("").as_bytes()),
            headers: Headers::new(),
            body: Body::default(),
        }
    }

    /// The status code.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The reason phrase as sent (may be empty, may be UTF-8).
    pub fn reason(&self) -> &[u8] {
        &self.reason
    }

    /// Sets the reason phrase (CR and LF are dropped).
    pub fn set_reason(&mut self, reason: &str) {
        let r: Vec<u8> = reason
            .bytes()
            .filter(|&b| b != b'\r' && b != b'\n')
            .collect();
        self.reason = Bytes::from(r);
    }

    /// The version.
    pub fn version(&self) -> Version {
        self.version
    }

    /// The headers.
    pub fn headers(&self) -> &Headers {
        &self.headers
    }

    /// The headers, to change.
    pub fn headers_mut(&mut self) -> &mut Headers {
        // The body may lie in the headers' buffer, which a change could
        // replace: it takes its own `Bytes` first.
        self.body.value(self.headers.source());
        &mut self.headers
    }

    /// The body.
    pub fn body(&self) -> &Bytes {
        self.body.value(self.headers.source())
    }

    fn body_bytes(&self) -> &[u8] {
        self.body.bytes(self.headers.source())
    }

    /// Replaces the body and sets Content-Length to match.
    pub fn set_body(&mut self, body: impl Into<Bytes>) {
        let body: Bytes = body.into();
        let len = u32::try_from(body.len()).unwrap_or(u32::MAX);
        self.body = Body::owned(body);
        self.headers.set_typed(&ContentLength(len));
    }

    /// Serializes (see [`Message::write`]).
    pub fn to_bytes(&self) -> Bytes {
        Message::Response(self.clone()).to_bytes()
    }
}

impl core::convert::From<Request> for Message {
    fn from(r: Request) -> Message {
        Message::Request(r)
    }
}

impl core::convert::From<Response> for Message {
    fn from(r: Response) -> Message {
        Message::Response(r)
    }
}

/// Builds a request: headers in the order given, Content-Length set from
/// the body.
///
/// ```
/// use sip_core::header::{CSeq, CallId, Event, From, MaxForwards, To, Via};
/// use sip_core::{Host, Method, NameAddr, RequestBuilder, Uri};
/// let bob = Uri::parse_str("sip:bob@biloxi.com").unwrap();
/// let alice = Uri::parse_str("sip:alice@atlanta.com").unwrap();
/// let req = RequestBuilder::new(Method::SUBSCRIBE, bob.clone())
///     .typed(&Via::new("TCP", Host::parse_str("pc33.atlanta.com").unwrap(), None, "z9hG4bK74bf9").unwrap())
///     .typed(&MaxForwards(70))
///     .typed(&From::new(NameAddr::new(alice)).with_tag("9fxced76sl").unwrap())
///     .typed(&To::new(NameAddr::new(bob)))
///     .typed(&CallId("3848276298220188511@atlanta.com".into()))
///     .typed(&CSeq { seq: 1, method: Method::SUBSCRIBE })
///     .typed(&Event::new("presence").unwrap())
///     .build();
/// assert!(sip_core::Message::from(req).validate().is_ok());
/// ```
#[derive(Debug, Clone)]
pub struct RequestBuilder {
    method: Method,
    uri: Uri,
    headers: Headers,
    body: Bytes,
}

impl RequestBuilder {
    /// Starts a request.
    pub fn new(method: Method, uri: Uri) -> RequestBuilder {
        RequestBuilder {
            method,
            uri,
            headers: Headers::with_capacity(12),
            body: Bytes::new(),
        }
    }

    /// Appends a raw header (CR/LF in the value are replaced by SP).
    pub fn header(mut self, name: HeaderName, value: impl Into<Bytes>) -> RequestBuilder {
        self.headers.push(name, value);
        self
    }

    /// Appends a typed header.
    pub fn typed<H: TypedHeader>(mut self, h: &H) -> RequestBuilder {
        self.headers.push_typed(h);
        self
    }

    /// Sets the body and its Content-Type.
    pub fn body(mut self, content_type: &ContentType, body: impl Into<Bytes>) -> RequestBuilder {
        self.headers.set_typed(content_type);
        self.body = body.into();
        self
    }

    /// Finishes: Content-Length is set to the body length.
    pub fn build(mut self) -> Request {
        self.headers.set_typed(&ContentLength(
            u32::try_from(self.body.len()).unwrap_or(u32::MAX),
        ));
        Request {
            method: self.method,
            uri: self.uri,
            version: Version::SIP_2_0,
            headers: self.headers,
            body: Body::owned(self.body),
        }
    }
}

/// Convenience reads of the core headers.
impl Message {
    /// The Call-ID.
    pub fn call_id(&self) -> Option<CallId> {
        self.headers().typed().ok().flatten()
    }

    /// The CSeq.
    pub fn cseq(&self) -> Option<CSeq> {
        self.headers().typed().ok().flatten()
    }

    /// The From header.
    pub fn from_header(&self) -> Option<From> {
        self.headers().typed().ok().flatten()
    }

    /// The To header.
    pub fn to_header(&self) -> Option<To> {
        self.headers().typed().ok().flatten()
    }

    /// The topmost Via.
    pub fn top_via(&self) -> Option<Via> {
        self.headers().typed().ok().flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const INVITE: &[u8] = b"INVITE sip:bob@biloxi.com SIP/2.0\r\n\
Via: SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bKnashds8\r\n\
Max-Forwards: 70\r\n\
To: Bob <sip:bob@biloxi.com>\r\n\
From: Alice <sip:alice@atlanta.com>;tag=1928301774\r\n\
Call-ID: a84b4c76e66710\r\n\
CSeq: 314159 INVITE\r\n\
Contact: <sip:alice@pc33.atlanta.com>\r\n\
Content-Type: application/sdp\r\n\
Content-Length: 4\r\n\r\nv=0\r";

    #[test]
    fn parse_and_round_trip() {
        let m = Message::parse_datagram(INVITE, &Limits::default()).unwrap();
        let r = m.as_request().unwrap();
        assert_eq!(r.method(), &Method::INVITE);
        assert_eq!(r.headers().len(), 9);
        assert_eq!(&r.body()[..], b"v=0\r");
        assert_eq!(&m.to_bytes()[..], INVITE);
        assert!(m.validate().is_ok());
        assert_eq!(m.cseq().unwrap().seq, 314159);
        assert_eq!(m.from_header().unwrap().tag(), Some(&b"1928301774"[..]));
    }

    #[test]
    fn a_parsed_body_lies_in_the_buffer_until_the_headers_change() {
        let buf = Bytes::from_static(INVITE);
        let mut m = Message::parse_datagram(buf.clone(), &Limits::default()).unwrap();
        let body_at = buf.len() - 4;
        // Written out and compared without a `Bytes` of its own ...
        assert_eq!(m.body_bytes(), b"v=0\r");
        assert_eq!(&m.to_bytes()[..], INVITE);
        let mut built = m.clone();
        if let Message::Request(r) = &mut built {
            r.set_body(Bytes::from_static(b"v=0\r"));
        }
        assert_eq!(m, built);
        // ... and made into one, sharing the buffer, when asked for.
        assert_eq!(m.body().as_ptr(), buf[body_at..].as_ptr());
        // Handing out the headers keeps the body, even when they are
        // replaced along with the buffer they point into.
        let mut fresh = Message::parse_datagram(buf.clone(), &Limits::default()).unwrap();
        *fresh.headers_mut() = Headers::new();
        assert_eq!(&fresh.body()[..], b"v=0\r");
        *m.headers_mut() = Headers::new();
        assert_eq!(&m.body()[..], b"v=0\r");
        // A response's body, too.
        let ok = b"SIP/2.0 200 OK\r\nContent-Length: 3\r\n\r\nabcdef";
        let Message::Response(mut r) =
            Message::parse_datagram(&ok[..], &Limits::default()).unwrap()
        else {
            panic!("a response")
        };
        assert_eq!(r.body_bytes(), b"abc");
        *r.headers_mut() = Headers::new();
        assert_eq!(&r.body()[..], b"abc");
        assert!(format!("{r:?}").contains("body: b\"abc\""));
    }

    fn request(head: &str) -> Request {
        let m = Message::parse_datagram(head.as_bytes().to_vec(), &Limits::default()).unwrap();
        m.as_request().unwrap().clone()
    }

    fn response(head: &str) -> Response {
        match Message::parse_datagram(head.as_bytes().to_vec(), &Limits::default()).unwrap() {
            Message::Response(r) => r,
            Message::Request(_) => panic!("a request"),
        }
    }

    #[test]
    fn a_hop_is_taken_off_max_forwards_or_refused_at_zero() {
        let mut r = request(std::str::from_utf8(INVITE).unwrap());
        assert_eq!(r.take_hop(), Ok(69));
        assert_eq!(r.take_hop(), Ok(68));
        let out = r.to_bytes();
        assert!(
            std::str::from_utf8(&out)
                .unwrap()
                .contains("\r\nMax-Forwards: 68\r\n"),
            "{out:?}"
        );
        // Absent: added as 70 (RFC 3261 16.6 item 3).
        let mut r = request("OPTIONS sip:b@example.net SIP/2.0\r\nCSeq: 1 OPTIONS\r\n\r\n");
        assert_eq!(r.take_hop(), Ok(70));
        assert_eq!(
            r.headers().typed::<MaxForwards>(),
            Ok(Some(MaxForwards(70)))
        );
        // Zero, and garbage: refused, and left as they were.
        for (v, status) in [
            ("0", StatusCode::TOO_MANY_HOPS),
            ("ten", StatusCode::BAD_REQUEST),
            ("256", StatusCode::BAD_REQUEST),
        ] {
            let mut r = request(&format!(
                "OPTIONS sip:b@example.net SIP/2.0\r\nMax-Forwards: {v}\r\n\r\n"
            ));
            let before = r.to_bytes();
            let e = r.take_hop().unwrap_err();
            assert_eq!(e.status_code(), status, "{v}: {e}");
            assert_eq!(r.to_bytes(), before);
        }
    }

    #[test]
    fn the_top_via_comes_off_a_response() {
        // One value a line: the first line goes, the others keep their
        // places among the other headers.
        let mut r = response(
            "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP p1;branch=z9hG4bK1\r\nTo: <sip:b@x>\r\n\
             v: SIP/2.0/UDP p2;branch=z9hG4bK2\r\nCSeq: 1 MESSAGE\r\n\r\n",
        );
        assert_eq!(
            r.pop_via().as_deref(),
            Some(&b"SIP/2.0/UDP p1;branch=z9hG4bK1"[..])
        );
        assert_eq!(
            &r.to_bytes()[..],
            &b"SIP/2.0 200 OK\r\nTo: <sip:b@x>\r\nv: SIP/2.0/UDP p2;branch=z9hG4bK2\r\n\
               CSeq: 1 MESSAGE\r\n\r\n"[..]
        );
        assert_eq!(
            r.pop_via().as_deref(),
            Some(&b"SIP/2.0/UDP p2;branch=z9hG4bK2"[..])
        );
        assert_eq!(r.pop_via(), None);
        // Several values on one line, a comma inside a quoted parameter.
        let mut r = response(
            "SIP/2.0 180 Ringing\r\nVia: SIP/2.0/TLS b;x=\"a,b\";branch=z9hG4bK3 ,\r\n \
             SIP/2.0/UDP p1;branch=z9hG4bK1, SIP/2.0/UDP p0;branch=z9hG4bK0\r\n\r\n",
        );
        assert_eq!(
            r.pop_via().as_deref(),
            Some(&b"SIP/2.0/TLS b;x=\"a,b\";branch=z9hG4bK3"[..])
        );
        let vias = r.headers().typed_all::<Via>().unwrap();
        assert_eq!(vias.len(), 2);
        assert_eq!(vias[0].branch(), Some(&b"z9hG4bK1"[..]));
        assert_eq!(vias[1].branch(), Some(&b"z9hG4bK0"[..]));
    }

    #[test]
    fn compact_names_expand_on_request() {
        let b = b"SIP/2.0 200 OK\r\nv: SIP/2.0/UDP h\r\nl: 0\r\n\r\n";
        let mut m = Message::parse_datagram(&b[..], &Limits::default()).unwrap();
        assert!(m.headers().is_compact(0));
        assert_eq!(&m.to_bytes()[..], &b[..]);
        m.headers_mut().expand_compact_names();
        assert!(m
            .to_bytes()
            .starts_with(b"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h\r\nContent-Length: 0"));
    }

    #[test]
    fn bare_lf_line_ends() {
        let m = Message::parse_datagram(testkit_like_lf(), &Limits::default()).unwrap();
        assert_eq!(m.cseq().unwrap().seq, 1);
        assert_eq!(&m.body()[..], b"x\n");
    }

    fn testkit_like_lf() -> &'static [u8] {
        b"OPTIONS sip:a@b SIP/2.0\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\nCSeq: 1 OPTIONS\nContent-Length: 2\n\nx\n"
    }

    #[test]
    fn datagram_framing() {
        let mut extra = INVITE.to_vec();
        extra.extend_from_slice(b"garbage");
        let m = Message::parse_datagram(extra, &Limits::default()).unwrap();
        assert_eq!(&m.body()[..], b"v=0\r");
        let short = &INVITE[..INVITE.len() - 1];
        let e = Message::parse_datagram(short, &Limits::default()).unwrap_err();
        assert_eq!(e.kind, K::BodyTruncated);
        assert_eq!(e.status_code(), StatusCode::BAD_REQUEST);
        let e = Message::parse_datagram(&b"\r\n\r\n"[..], &Limits::default()).unwrap_err();
        assert_eq!(e.kind, K::Empty);
        let no_cl = b"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h\r\n\r\nabc";
        let m = Message::parse_datagram(&no_cl[..], &Limits::default()).unwrap();
        assert_eq!(&m.body()[..], b"abc");
    }

    #[test]
    fn folding_unfolds() {
        let m = Message::parse_datagram(
            &b"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h\r\n ;received=192.0.2.1\r\nl: 0\r\n\r\n"[..],
            &Limits::default(),
        )
        .unwrap();
        let via = m.top_via().unwrap();
        assert_eq!(via.received(), Some(&b"192.0.2.1"[..]));
        let reparsed = Message::parse_datagram(m.to_bytes(), &Limits::default()).unwrap();
        assert_eq!(reparsed, m);
    }

    #[test]
    fn response_from_request() {
        let m = Message::parse_datagram(INVITE, &Limits::default()).unwrap();
        let mut resp = Response::from_request(m.as_request().unwrap(), StatusCode::RINGING);
        assert!(resp.set_to_tag("a6c85cf"));
        let resp = Message::from(resp);
        assert_eq!(resp.to_header().unwrap().tag(), Some(&b"a6c85cf"[..]));
        assert_eq!(resp.call_id(), m.call_id());
        assert_eq!(resp.cseq(), m.cseq());
        assert!(resp.validate().is_ok());
        let bytes = resp.to_bytes();
        assert!(bytes.starts_with(b"SIP/2.0 180 Ringing\r\n"));
        assert_eq!(
            Message::parse_datagram(bytes, &Limits::default()).unwrap(),
            resp
        );
    }

    #[test]
    fn stream_parse() {
        let b = Bytes::from_static(INVITE);
        let Status::Complete((_, used)) = Message::parse_stream(&b, &Limits::default()).unwrap()
        else {
            panic!()
        };
        assert_eq!(used, INVITE.len());
        let part = b.slice(..INVITE.len() - 2);
        assert_eq!(
            Message::parse_stream(&part, &Limits::default()).unwrap(),
            Status::Partial
        );
    }
}
