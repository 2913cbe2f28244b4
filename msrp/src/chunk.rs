//! MSRP chunks: start line, headers, optional body and end-line
//! (RFC 4975 sections 7 and 9), and their serializer.
#![cfg_attr(
    not(test),
    deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)
)]

use crate::header::{is_ident, Headers};
use crate::status::{Method, StatusCode};
use crate::UsageError;
use bytes::Bytes;

/// The continuation flag of the end-line (RFC 4975 section 7.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Flag {
    /// `$`: this chunk ends the message.
    Complete,
    /// `+`: more chunks of the message follow.
    More,
    /// `#`: the sender aborts the message; no more chunks follow.
    Abort,
}

impl Flag {
    /// The flag byte.
    pub fn as_byte(self) -> u8 {
        match self {
            Flag::Complete => b'$',
            Flag::More => b'+',
            Flag::Abort => b'#',
        }
    }
    /// Reads a flag byte.
    pub fn from_byte(b: u8) -> Option<Self> {
        match b {
            b'$' => Some(Flag::Complete),
            b'+' => Some(Flag::More),
            b'#' => Some(Flag::Abort),
            _ => None,
        }
    }
}

/// The start line after `MSRP transact-id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StartLine {
    /// A request with its method.
    Request(Method),
    /// A response with its code and optional comment.
    Response {
        /// The status code.
        code: StatusCode,
        /// The comment after the code, if any.
        comment: Option<Bytes>,
    },
}

/// A chunk's start line and headers: all a receiver needs before the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChunkHead {
    /// The transaction id (an `ident`).
    pub tid: Bytes,
    /// Request method or response status.
    pub start: StartLine,
    /// The header fields in order.
    pub headers: Headers,
    /// Whether a body follows (a blank line ended the headers); bodiless
    /// chunks differ from chunks with an empty body.
    pub has_body: bool,
}

impl ChunkHead {
    /// A request head.
    pub fn request(tid: &str, method: Method) -> Result<Self, UsageError> {
        check_tid(tid)?;
        Ok(ChunkHead {
            tid: Bytes::copy_from_slice(tid.as_bytes()),
            start: StartLine::Request(method),
            headers: Headers::new(),
            has_body: false,
        })
    }

    /// A response head.
    pub fn response(tid: &[u8], code: StatusCode) -> Self {
        ChunkHead {
            tid: Bytes::copy_from_slice(tid),
            start: StartLine::Response {
                code,
                comment: code.reason().map(|r| Bytes::from_static(r.as_bytes())),
            },
            headers: Headers::new(),
            has_body: false,
        }
    }

    /// The method, for requests.
    pub fn method(&self) -> Option<&Method> {
        match &self.start {
            StartLine::Request(m) => Some(m),
            StartLine::Response { .. } => None,
        }
    }

    /// The status code, for responses.
    pub fn status(&self) -> Option<StatusCode> {
        match &self.start {
            StartLine::Response { code, .. } => Some(*code),
            StartLine::Request(_) => None,
        }
    }

    /// The transaction id as text.
    pub fn tid_str(&self) -> &str {
        std::str::from_utf8(&self.tid).unwrap_or("")
    }

    /// Writes the start line, the headers and, if a body follows, the
    /// blank line.
    pub fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"MSRP ");
        out.extend_from_slice(&self.tid);
        out.push(b' ');
        match &self.start {
            StartLine::Request(m) => out.extend_from_slice(m.as_bytes()),
            StartLine::Response { code, comment } => {
                out.extend_from_slice(code.to_string().as_bytes());
                if let Some(c) = comment {
                    out.push(b' ');
                    out.extend_from_slice(c);
                }
            }
        }
        out.extend_from_slice(b"\r\n");
        self.headers.write(out);
        if self.has_body {
            out.extend_from_slice(b"\r\n");
        }
    }

    /// Writes the end-line (with the CRLF that closes a body).
    pub fn write_end(&self, flag: Flag, out: &mut Vec<u8>) {
        if self.has_body {
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b"-------");
        out.extend_from_slice(&self.tid);
        out.push(flag.as_byte());
        out.extend_from_slice(b"\r\n");
    }
}

pub(crate) fn check_tid(tid: &str) -> Result<(), UsageError> {
    if is_ident(tid.as_bytes()) {
        Ok(())
    } else {
        Err(UsageError::BadValue("transaction id"))
    }
}

/// A whole chunk held in memory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chunk {
    /// Start line and headers.
    pub head: ChunkHead,
    /// The body (empty when `head.has_body` is false).
    pub body: Bytes,
    /// The end-line flag.
    pub flag: Flag,
}

impl Chunk {
    /// Whether the body contains this chunk's own end-line, which would cut
    /// the chunk short on the wire (RFC 4975 section 7.1).
    pub fn body_holds_end_line(&self) -> bool {
        body_holds_end_line(&self.body, &self.head.tid)
    }

    /// Serializes the chunk. Refuses a body that holds the chunk's end-line
    /// (choose another transaction id).
    pub fn to_bytes(&self) -> Result<Vec<u8>, UsageError> {
        if self.head.has_body && self.body_holds_end_line() {
            return Err(UsageError::BadValue("body contains the end-line"));
        }
        if !self.head.has_body && !self.body.is_empty() {
            return Err(UsageError::BadValue("body on a bodiless chunk"));
        }
        let mut out = Vec::with_capacity(self.body.len() + 256);
        self.head.write(&mut out);
        out.extend_from_slice(&self.body);
        self.head.write_end(self.flag, &mut out);
        Ok(out)
    }

    /// Parses exactly one complete chunk at the start of `data`, returning it
    /// and how many bytes it took.
    pub fn parse(data: &[u8]) -> Result<(Chunk, usize), crate::ParseError> {
        crate::parse::parse_one(
            Bytes::copy_from_slice(data),
            crate::parse::Limits::default(),
        )
    }
}

/// Whether `body` holds `CRLF "-------" tid flag`, the sequence a receiver
/// stops at. (An occurrence cannot straddle the body's end: the closing
/// CRLF cannot continue an end-line, whose only CR is its first byte.)
pub fn body_holds_end_line(body: &[u8], tid: &[u8]) -> bool {
    let mut needle = Vec::with_capacity(tid.len() + 9);
    needle.extend_from_slice(b"\r\n-------");
    needle.extend_from_slice(tid);
    memchr::memmem::find_iter(body, &needle).any(|p| {
        body.get(p + needle.len())
            .copied()
            .and_then(Flag::from_byte)
            .is_some()
    })
}
