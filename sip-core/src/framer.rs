//! Incremental framing of a byte stream (TCP, TLS, WebSocket payloads) into
//! messages by Content-Length (RFC 3261 18.3), with the RFC 5626 4.4.1
//! CRLF keep-alives reported.
//!
//! ```
//! use sip_core::framer::{StreamEvent, StreamFramer};
//! let mut f = StreamFramer::new(Default::default());
//! f.handle_input(b"\r\n\r\nSIP/2.0 200 OK\r\nl: 0\r\n");
//! assert!(matches!(f.poll_event(), Ok(Some(StreamEvent::Ping))));
//! assert!(matches!(f.poll_event(), Ok(None))); // waiting for the rest
//! f.handle_input(b"\r\n");
//! assert!(matches!(f.poll_event(), Ok(Some(StreamEvent::Message(_)))));
//! ```

use crate::error::ParseError;
use crate::message::Message;
use crate::parse::{message_len, Limits, Status};
use bytes::BytesMut;

/// What the framer found.
// Boxing the message would add an allocation per message received.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamEvent {
    /// A complete message.
    Message(Message),
    /// A keep-alive ping (CRLF CRLF, RFC 5626 4.4.1): answer with a pong.
    Ping,
    /// A keep-alive pong (a single CRLF).
    Pong,
}

/// Frames messages out of a stream.
///
/// Feed bytes with [`handle_input`](Self::handle_input), then call
/// [`poll_event`](Self::poll_event) until it returns `Ok(None)`. Framing
/// errors are final: the stream cannot be resynchronised and the
/// connection should be closed (RFC 4475 3.1.2.3).
///
/// A lone CRLF at the end of the buffered bytes is reported as a pong; a
/// ping split between its two CRLFs therefore shows up as two pongs.
#[derive(Debug)]
pub struct StreamFramer {
    buf: BytesMut,
    limits: Limits,
    failed: Option<ParseError>,
    consumed: usize,
}

impl StreamFramer {
    /// A framer with these limits.
    pub fn new(limits: Limits) -> StreamFramer {
        StreamFramer {
            buf: BytesMut::new(),
            limits,
            failed: None,
            consumed: 0,
        }
    }

    /// Appends received bytes.
    pub fn handle_input(&mut self, data: &[u8]) {
        if self.failed.is_none() {
            self.buf.extend_from_slice(data);
        }
    }

    /// Bytes buffered and not yet framed.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// Bytes of the stream framed so far (offsets in errors are relative
    /// to the message being framed; add this to locate them in the stream).
    pub fn consumed(&self) -> usize {
        self.consumed
    }

    fn advance(&mut self, n: usize) {
        let _ = self.buf.split_to(n.min(self.buf.len()));
        self.consumed += n;
    }

    /// The next event, `Ok(None)` when more bytes are needed.
    pub fn poll_event(&mut self) -> Result<Option<StreamEvent>, ParseError> {
        if let Some(e) = self.failed {
            return Err(e);
        }
        loop {
            match &self.buf[..] {
                [] => return Ok(None),
                [b'\r', b'\n', b'\r', b'\n', ..] => {
                    self.advance(4);
                    return Ok(Some(StreamEvent::Ping));
                }
                [b'\r', b'\n', b'\r'] | [b'\r'] => return Ok(None),
                [b'\r', b'\n', ..] => {
                    self.advance(2);
                    return Ok(Some(StreamEvent::Pong));
                }
                // Other stray CR or LF bytes before a start line are
                // ignored (RFC 3261 7.5); consuming them keeps the buffer
                // from growing on a stream of them.
                [b'\r' | b'\n', ..] => self.advance(1),
                _ => break,
            }
        }
        match message_len(&self.buf, &self.limits) {
            Err(e) => {
                self.failed = Some(e);
                Err(e)
            }
            Ok(Status::Partial) => Ok(None),
            Ok(Status::Complete(len)) => {
                let chunk = self.buf.split_to(len).freeze();
                self.consumed += len;
                match Message::parse_stream(&chunk, &self.limits) {
                    Ok(Status::Complete((m, _))) => Ok(Some(StreamEvent::Message(m))),
                    Ok(Status::Partial) => {
                        // message_len said complete: the two scanners agree
                        // by construction; report rather than panic.
                        let e = ParseError::new(crate::ParseErrorKind::Incomplete, len);
                        self.failed = Some(e);
                        Err(e)
                    }
                    Err(e) => {
                        self.failed = Some(e);
                        Err(e)
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ParseErrorKind;

    const MSG: &[u8] =
        b"SIP/2.0 200 OK\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\nContent-Length: 3\r\n\r\nabc";

    fn drain(f: &mut StreamFramer) -> Vec<StreamEvent> {
        let mut v = Vec::new();
        while let Some(e) = f.poll_event().unwrap() {
            v.push(e);
        }
        v
    }

    #[test]
    fn several_per_buffer_and_split_reads() {
        let mut all = Vec::new();
        all.extend_from_slice(MSG);
        all.extend_from_slice(b"\r\n\r\n");
        all.extend_from_slice(MSG);
        all.extend_from_slice(b"\r\n");
        all.extend_from_slice(MSG);
        let mut f = StreamFramer::new(Limits::default());
        f.handle_input(&all);
        let ev = drain(&mut f);
        assert_eq!(ev.len(), 5);
        assert_eq!(ev[1], StreamEvent::Ping);
        assert_eq!(ev[3], StreamEvent::Pong);
        for size in [1, 2, 7, 50] {
            let mut f = StreamFramer::new(Limits::default());
            let mut got = Vec::new();
            for chunk in all.chunks(size) {
                f.handle_input(chunk);
                got.extend(drain(&mut f));
            }
            let msgs = got
                .iter()
                .filter(|e| matches!(e, StreamEvent::Message(_)))
                .count();
            assert_eq!(msgs, 3, "read size {size}");
            assert_eq!(f.consumed(), all.len());
        }
    }

    #[test]
    fn errors_are_final() {
        let mut f = StreamFramer::new(Limits::default());
        f.handle_input(b"SIP/2.0 200 OK\r\nContent-Length: -999\r\n\r\n");
        let e = f.poll_event().unwrap_err();
        assert_eq!(e.kind, ParseErrorKind::InvalidContentLength);
        assert_eq!(f.poll_event().unwrap_err(), e);
        let mut f = StreamFramer::new(Limits {
            max_message: 64,
            ..Limits::default()
        });
        f.handle_input(&[b'a'; 100]);
        assert!(f.poll_event().is_err());
    }
}
