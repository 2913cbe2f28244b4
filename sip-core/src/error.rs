//! The crate's error types: one per layer, each cheap (no allocation) and
//! each saying what failed and where.
//!
//! - [`ParseError`]: framing and message grammar, with a byte offset into
//!   the input.
//! - [`HeaderError`]: a typed header view refused a raw value; names the
//!   header and the offset inside its value.
//! - [`UriError`]: a URI refused, with an offset inside the URI text.
//! - [`ValidationError`]: a parsed message breaks an RFC 3261 rule that the
//!   framing does not check (ranges, mandatory headers, CSeq method ...).
//! - [`MultipartError`]: a multipart MIME body refused.
//!
//! Peer errors map to the status code a server answers with through
//! `status_code()` and `From<&E> for StatusCode`, as rustls maps errors to
//! alerts.

use crate::header::HeaderName;
use crate::method::StatusCode;

/// What went wrong while framing or parsing a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ParseErrorKind {
    /// The input holds no message (empty, or only CRLF keep-alives).
    Empty,
    /// The input ended before the message did (a datagram cut short, or
    /// the header section never closed by an empty line).
    Incomplete,
    /// The start line is neither a Request-Line nor a Status-Line.
    InvalidStartLine,
    /// The method is not a token.
    InvalidMethod,
    /// The Request-URI is malformed.
    InvalidRequestUri,
    /// The SIP-Version is not `SIP/<digits>.<digits>`.
    InvalidVersion,
    /// The status code is not three digits in 100..=699.
    InvalidStatusCode,
    /// The reason phrase holds a control character.
    InvalidReason,
    /// A header name is empty or not a token, or its colon is missing.
    InvalidHeaderName,
    /// A header value holds a bare CR or another forbidden byte.
    InvalidHeaderValue,
    /// A line ends with a bare CR.
    InvalidLineEnding,
    /// Content-Length is not a number (negative, overflowing, junk).
    InvalidContentLength,
    /// Several Content-Length headers disagree (RFC 4475 3.3.9).
    ConflictingContentLength,
    /// A stream message has no Content-Length (RFC 3261 18.3 requires it).
    MissingContentLength,
    /// A datagram holds fewer body bytes than Content-Length says
    /// (RFC 3261 18.3: answer 400).
    BodyTruncated,
    /// A line is longer than [`Limits::max_line`](crate::Limits::max_line).
    LineTooLong,
    /// More headers than [`Limits::max_headers`](crate::Limits::max_headers).
    TooManyHeaders,
    /// The message is larger than
    /// [`Limits::max_message`](crate::Limits::max_message).
    MessageTooLarge,
    /// The body is larger than [`Limits::max_body`](crate::Limits::max_body).
    BodyTooLarge,
}

impl ParseErrorKind {
    /// A short human description.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Empty => "no message",
            Self::Incomplete => "message incomplete",
            Self::InvalidStartLine => "invalid start line",
            Self::InvalidMethod => "invalid method",
            Self::InvalidRequestUri => "invalid Request-URI",
            Self::InvalidVersion => "invalid SIP-Version",
            Self::InvalidStatusCode => "invalid status code",
            Self::InvalidReason => "invalid reason phrase",
            Self::InvalidHeaderName => "invalid header name",
            Self::InvalidHeaderValue => "invalid header value",
            Self::InvalidLineEnding => "bare CR line ending",
            Self::InvalidContentLength => "invalid Content-Length",
            Self::ConflictingContentLength => "conflicting Content-Length values",
            Self::MissingContentLength => "Content-Length missing on a stream",
            Self::BodyTruncated => "body shorter than Content-Length",
            Self::LineTooLong => "line too long",
            Self::TooManyHeaders => "too many headers",
            Self::MessageTooLarge => "message too large",
            Self::BodyTooLarge => "body too large",
        }
    }
}

/// A framing or grammar error: what, and the byte offset in the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[error("{} at byte {offset}", kind.as_str())]
pub struct ParseError {
    /// What failed.
    pub kind: ParseErrorKind,
    /// Byte offset in the input where it was noticed.
    pub offset: usize,
}

impl ParseError {
    pub(crate) const fn new(kind: ParseErrorKind, offset: usize) -> Self {
        Self { kind, offset }
    }

    /// The status code a server answers with (RFC 3261 21.4, 21.5).
    pub const fn status_code(&self) -> StatusCode {
        match self.kind {
            ParseErrorKind::MessageTooLarge | ParseErrorKind::BodyTooLarge => {
                StatusCode::REQUEST_ENTITY_TOO_LARGE
            }
            ParseErrorKind::LineTooLong | ParseErrorKind::TooManyHeaders => {
                StatusCode::MESSAGE_TOO_LARGE
            }
            _ => StatusCode::BAD_REQUEST,
        }
    }
}

impl From<&ParseError> for StatusCode {
    fn from(e: &ParseError) -> Self {
        e.status_code()
    }
}

/// What a typed header decoder refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum HeaderErrorKind {
    /// The value is empty where something is required.
    Empty,
    /// A token was expected.
    ExpectedToken,
    /// A number is malformed or out of range.
    InvalidNumber,
    /// A quoted string is not terminated.
    UnterminatedQuote,
    /// A `<` has no matching `>`, or the URI inside has spaces.
    InvalidAngleBrackets,
    /// An unquoted display name holds non-token characters.
    InvalidDisplayName,
    /// The URI is malformed.
    InvalidUri(UriError),
    /// A parameter is empty or malformed (e.g. `;;`).
    InvalidParam,
    /// A host or port is malformed.
    InvalidHost,
    /// The sent-protocol of a Via is malformed.
    InvalidProtocol,
    /// A list holds an empty element (e.g. `a,,b`).
    EmptyListElement,
    /// Characters follow a complete value.
    TrailingData,
    /// A date is not RFC 1123 in GMT.
    InvalidDate,
    /// An addr-spec URI with `?`, `,` or `;` parts must be in `<>`
    /// (RFC 3261 20.10).
    UnbracketedUri,
    /// The media type is not `type/subtype`.
    InvalidMediaType,
}

impl core::fmt::Display for HeaderErrorKind {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let s = match self {
            Self::Empty => "empty value",
            Self::ExpectedToken => "expected a token",
            Self::InvalidNumber => "invalid number",
            Self::UnterminatedQuote => "unterminated quoted string",
            Self::InvalidAngleBrackets => "malformed <...>",
            Self::InvalidDisplayName => "display name has non-token characters",
            Self::InvalidUri(e) => return write!(f, "invalid URI ({e})"),
            Self::InvalidParam => "invalid parameter",
            Self::InvalidHost => "invalid host or port",
            Self::InvalidProtocol => "invalid sent-protocol",
            Self::EmptyListElement => "empty list element",
            Self::TrailingData => "trailing characters",
            Self::InvalidDate => "date is not RFC 1123 GMT",
            Self::UnbracketedUri => "URI with ?, ; or , must be enclosed in <>",
            Self::InvalidMediaType => "invalid media type",
        };
        f.write_str(s)
    }
}

/// A typed header decoder refused a value: which header, what, and the
/// offset inside the value.
#[derive(Debug, Clone, PartialEq, Eq, Hash, thiserror::Error)]
#[error("{name}: {kind} at value offset {offset}")]
pub struct HeaderError {
    /// The header concerned.
    pub name: HeaderName,
    /// What failed.
    pub kind: HeaderErrorKind,
    /// Offset inside the header value.
    pub offset: usize,
}

impl HeaderError {
    /// The status code a server answers with: 400 (RFC 3261 21.4.1).
    pub const fn status_code(&self) -> StatusCode {
        StatusCode::BAD_REQUEST
    }
}

impl From<&HeaderError> for StatusCode {
    fn from(e: &HeaderError) -> Self {
        e.status_code()
    }
}

/// What a URI parser refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum UriErrorKind {
    /// No `scheme:` prefix, or the scheme is not `ALPHA *(ALPHA/DIGIT/+-.)`.
    InvalidScheme,
    /// A character not allowed there (space, `<`, `>`, `"` ...).
    InvalidChar,
    /// A `%` is not followed by two hex digits.
    InvalidEscape,
    /// The user part is empty before `@`.
    EmptyUser,
    /// The host is missing or malformed.
    InvalidHost,
    /// The port is not a number in 0..=65535.
    InvalidPort,
    /// A parameter is empty (`;;`) or malformed.
    InvalidParam,
    /// A header (`?h=v`) is malformed.
    InvalidHeader,
    /// A telephone number is malformed (RFC 3966).
    InvalidNumber,
    /// A local tel number lacks `phone-context` (RFC 3966 5.1.5).
    MissingPhoneContext,
}

impl UriErrorKind {
    /// A short human description.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::InvalidScheme => "invalid scheme",
            Self::InvalidChar => "invalid character",
            Self::InvalidEscape => "invalid %-escape",
            Self::EmptyUser => "empty user part",
            Self::InvalidHost => "invalid host",
            Self::InvalidPort => "invalid port",
            Self::InvalidParam => "invalid parameter",
            Self::InvalidHeader => "invalid header",
            Self::InvalidNumber => "invalid telephone number",
            Self::MissingPhoneContext => "local number without phone-context",
        }
    }
}

/// A URI refused: what, and the offset inside the URI text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[error("{} at URI offset {offset}", kind.as_str())]
pub struct UriError {
    /// What failed.
    pub kind: UriErrorKind,
    /// Offset inside the URI text.
    pub offset: usize,
}

impl UriError {
    pub(crate) const fn new(kind: UriErrorKind, offset: usize) -> Self {
        Self { kind, offset }
    }
}

/// A message broke an RFC 3261 rule that framing does not check.
#[derive(Debug, Clone, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum ValidationError {
    /// A typed header refused its value.
    #[error(transparent)]
    Header(#[from] HeaderError),
    /// A mandatory header is missing (RFC 3261 8.1.1).
    #[error("missing mandatory header {0}")]
    MissingHeader(HeaderName),
    /// A header that takes one value appears more than once (RFC 4475 3.3.8).
    #[error("header {0} appears more than once")]
    DuplicateHeader(HeaderName),
    /// The CSeq method differs from the request method (RFC 3261 8.1.1.5).
    #[error("CSeq method differs from the request method")]
    CSeqMethodMismatch,
    /// The SIP-Version is not 2.0 (RFC 3261 8.2.1 -> 505).
    #[error("unsupported SIP version {major}.{minor}")]
    UnsupportedVersion {
        /// Major version number.
        major: u16,
        /// Minor version number.
        minor: u16,
    },
    /// The Request-URI carries headers (`?...`), which RFC 3261 19.1.1
    /// forbids there.
    #[error("Request-URI carries headers")]
    RequestUriHeaders,
    /// Content-Length differs from the body length.
    #[error("Content-Length {declared} but body is {actual} bytes")]
    ContentLengthMismatch {
        /// What Content-Length says.
        declared: u64,
        /// What the body holds.
        actual: usize,
    },
}

impl ValidationError {
    /// The status code a server answers with: 505 for a version, else 400.
    pub const fn status_code(&self) -> StatusCode {
        match self {
            Self::UnsupportedVersion { .. } => StatusCode::VERSION_NOT_SUPPORTED,
            _ => StatusCode::BAD_REQUEST,
        }
    }
}

impl From<&ValidationError> for StatusCode {
    fn from(e: &ValidationError) -> Self {
        e.status_code()
    }
}

/// Why a proxy may not forward a request (see
/// [`Request::take_hop`](crate::Request::take_hop)).
#[derive(Debug, Clone, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum HopError {
    /// Max-Forwards is 0: the request has gone as far as it may
    /// (RFC 3261 section 16.3 item 2: answer 483 Too Many Hops).
    #[error("Max-Forwards is 0")]
    Exhausted,
    /// Max-Forwards is not a number from 0 to 255 (answer 400).
    #[error(transparent)]
    Invalid(#[from] HeaderError),
}

impl HopError {
    /// The status code to answer with: 483 or 400.
    pub const fn status_code(&self) -> StatusCode {
        match self {
            Self::Exhausted => StatusCode::TOO_MANY_HOPS,
            Self::Invalid(_) => StatusCode::BAD_REQUEST,
        }
    }
}

/// What a multipart body parser refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MultipartErrorKind {
    /// The Content-Type is not `multipart/*`.
    NotMultipart,
    /// The Content-Type has no `boundary` parameter, or it is invalid
    /// (RFC 2046 5.1.1: 1 to 70 characters).
    InvalidBoundary,
    /// No opening delimiter line.
    MissingDelimiter,
    /// No closing `--boundary--` line.
    MissingCloseDelimiter,
    /// A part's header section is malformed.
    InvalidPartHeaders,
    /// More parts than the limit allows.
    TooManyParts,
}

/// A multipart body refused: what, and the offset inside the body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[error("multipart: {kind:?} at body offset {offset}")]
pub struct MultipartError {
    /// What failed.
    pub kind: MultipartErrorKind,
    /// Offset inside the body.
    pub offset: usize,
}
