//! The streaming chunk parser (RFC 4975 sections 7 and 9).
//!
//! Feed it `Bytes` in any split with [`Parser::push`] and pull
//! [`ParseEvent`]s with [`Parser::poll`]: a chunk's head once its headers
//! are in, then its body as slices of the pushed buffers (no copy except
//! for the few bytes held back at a read boundary in case they start the
//! end-line), then the end-line flag. The body ends at the first
//! `CRLF "-------" transact-id flag CRLF`; Byte-Range plays no part in
//! framing, because several RFC examples carry a Byte-Range that does not
//! match their body.
//!
//! Copies: a head that ends inside one read is parsed in place and its
//! header values are slices of that read; a head split across reads is
//! gathered line by line into a small buffer (capped by
//! [`Limits::max_head`]). Body bytes are copied only when an end-line
//! candidate straddles two reads, and then only the few bytes around the
//! seam.
#![cfg_attr(
    not(test),
    deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)
)]

use crate::chunk::{Chunk, ChunkHead, Flag, StartLine};
use crate::error::{ParseError, ParseErrorKind};
use crate::header::{is_hname_char, is_ident, Headers};
use crate::status::{Method, StatusCode};
use bytes::{Buf, Bytes, BytesMut};
use memchr::memmem::Finder;
use std::collections::VecDeque;

/// Size caps of the parser.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest start line plus header section, in bytes.
    pub max_head: usize,
    /// Most header fields in one chunk.
    pub max_headers: usize,
    /// Largest body of one chunk, in bytes.
    pub max_body: u64,
}

impl Default for Limits {
    /// 16 KiB of headers, 64 fields, 16 MiB bodies.
    fn default() -> Self {
        Limits {
            max_head: 16 * 1024,
            max_headers: 64,
            max_body: 16 * 1024 * 1024,
        }
    }
}

/// What the parser hands out, in stream order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseEvent {
    /// A chunk's start line and headers.
    Head(ChunkHead),
    /// Body bytes of the current chunk (zero or more per chunk).
    Body(Bytes),
    /// The end-line of the current chunk.
    End(Flag),
}

enum State {
    /// Reading the start line and headers, line by line.
    Head {
        buf: BytesMut,
        line_start: usize,
        fields: Vec<FieldRanges>,
        start: Option<(usize, usize, StartKind)>,
    },
    /// Reading the body of a chunk whose end-line starts with `needle`.
    Body {
        tid: Bytes,
        tail: BytesMut,
        body_len: u64,
    },
    /// A malformed stream: every later poll repeats the error.
    Failed(ParseError),
}

#[derive(Clone, Copy)]
enum StartKind {
    Request(usize, usize),
    Response(u16, Option<(usize, usize)>),
}

/// A streaming MSRP chunk parser (one per connection).
pub struct Parser {
    limits: Limits,
    state: State,
    input: VecDeque<Bytes>,
    out: VecDeque<ParseEvent>,
    /// Stream offset of the first byte of `input`'s front.
    offset: u64,
    /// Where the fast path found the first end-line candidate in the front
    /// read (0 when unknown).
    hint: usize,
}

impl std::fmt::Debug for Parser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Parser")
            .field("offset", &self.offset)
            .finish_non_exhaustive()
    }
}

/// A head state with nothing allocated: most heads arrive whole in one
/// read and are parsed in place (`head_in_one_read`), so the copy buffer
/// and field list are made only when a head is split across reads. An
/// idle session's parser holds no heap memory.
fn new_head() -> State {
    State::Head {
        buf: BytesMut::new(),
        line_start: 0,
        fields: Vec::new(),
        start: None,
    }
}

/// What the copying path reserves for a split head the first time.
const HEAD_BUF: usize = 512;

/// What every end-line starts with: the CRLF that closes the body, then
/// seven hyphens.
const END_PREFIX: &[u8] = b"\r\n-------";
/// The searcher for [`END_PREFIX`], built once and shared by every parser
/// (it is a few hundred bytes; keeping one per parser made each idle
/// session that much larger).
fn end_prefix() -> &'static Finder<'static> {
    static FINDER: std::sync::LazyLock<Finder<'static>> =
        std::sync::LazyLock::new(|| Finder::new(END_PREFIX));
    &FINDER
}

/// Length of [`END_PREFIX`].
const PRE: usize = 9;

impl Parser {
    /// A parser with these caps.
    pub fn new(limits: Limits) -> Self {
        Parser {
            limits,
            state: new_head(),
            input: VecDeque::new(),
            out: VecDeque::new(),
            offset: 0,
            hint: 0,
        }
    }

    /// The caps.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// Queues received bytes.
    pub fn push(&mut self, data: Bytes) {
        if !data.is_empty() {
            self.input.push_back(data);
        }
    }

    /// Bytes consumed so far (the stream offset of the next unread byte).
    pub fn consumed(&self) -> u64 {
        self.offset
    }

    /// Whether the parser sits between chunks with no buffered input: the
    /// stream may end here cleanly.
    pub fn is_idle(&self) -> bool {
        self.input.is_empty()
            && self.out.is_empty()
            && matches!(&self.state, State::Head { buf, .. } if buf.is_empty())
    }

    /// Checks that the stream may end now: `Incomplete` when it stops
    /// inside a chunk.
    pub fn finish(&self) -> Result<(), ParseError> {
        if let State::Failed(e) = &self.state {
            return Err(*e);
        }
        if self.is_idle() {
            Ok(())
        } else {
            let buffered: u64 = self.input.iter().map(|b| b.len() as u64).sum();
            Err(ParseError::new(
                ParseErrorKind::Incomplete,
                self.offset + buffered,
            ))
        }
    }

    /// The next event, `Ok(None)` when more input is needed.
    #[inline]
    pub fn poll(&mut self) -> Result<Option<ParseEvent>, ParseError> {
        if self.out.is_empty() {
            if let Some(body) = self.fast_body()? {
                return Ok(Some(ParseEvent::Body(body)));
            }
        }
        self.poll_slow()
    }

    #[inline(never)]
    fn poll_slow(&mut self) -> Result<Option<ParseEvent>, ParseError> {
        loop {
            if let Some(ev) = self.out.pop_front() {
                return Ok(Some(ev));
            }
            if let State::Failed(e) = &self.state {
                return Err(*e);
            }
            let progressed = match self.step() {
                Ok(p) => p,
                Err(e) => {
                    self.state = State::Failed(e);
                    self.input.clear();
                    return Err(e);
                }
            };
            if !progressed && self.out.is_empty() {
                return Ok(None);
            }
        }
    }

    /// The common case in a body: no bytes held back and the whole next
    /// read is body. Handed out without touching the event queue.
    #[inline]
    fn fast_body(&mut self) -> Result<Option<Bytes>, ParseError> {
        let State::Body {
            tid,
            tail,
            body_len,
        } = &mut self.state
        else {
            return Ok(None);
        };
        let Some(front) = self.input.front() else {
            return Ok(None);
        };
        if !tail.is_empty() {
            return Ok(None);
        }
        if let Some(p) = end_prefix().find(front) {
            // Let the slow path start its scan here rather than rescan.
            self.hint = p;
            return Ok(None);
        }
        if held_back(tid, front) != 0 {
            return Ok(None);
        }
        let n = front.len();
        *body_len = body_len.saturating_add(n as u64);
        if *body_len > self.limits.max_body {
            let e = ParseError::new(ParseErrorKind::BodyTooLarge, self.offset);
            self.state = State::Failed(e);
            self.input.clear();
            return Err(e);
        }
        self.offset += n as u64;
        Ok(self.input.pop_front())
    }

    fn advance(&mut self, n: usize) {
        self.hint = 0;
        if let Some(front) = self.input.front_mut() {
            front.advance(n);
            self.offset += n as u64;
            if front.is_empty() {
                self.input.pop_front();
            }
        }
    }

    /// One unit of work; `Ok(false)` when starved.
    fn step(&mut self) -> Result<bool, ParseError> {
        match self.state {
            State::Head { .. } => self.step_head(),
            State::Body { .. } => self.step_body(),
            State::Failed(e) => Err(e),
        }
    }

    fn step_head(&mut self) -> Result<bool, ParseError> {
        if let Some(done) = self.head_in_one_read()? {
            return Ok(done);
        }
        let Some(front) = self.input.front() else {
            return Ok(false);
        };
        let State::Head { buf, .. } = &mut self.state else {
            return Ok(false);
        };
        // Copy one line (or what there is of it): only header bytes are
        // copied, never the body.
        let (take, full_line) = match memchr::memchr(b'\n', front) {
            Some(i) => (i + 1, true),
            None => (front.len(), false),
        };
        let room = self.limits.max_head.saturating_sub(buf.len());
        if take > room {
            let at = self.offset + room as u64;
            return Err(ParseError::new(ParseErrorKind::HeadersTooLarge, at));
        }
        if buf.capacity() == 0 {
            buf.reserve(HEAD_BUF.max(take));
        }
        buf.extend_from_slice(front.get(..take).unwrap_or(&[]));
        self.advance(take);
        if full_line {
            self.head_line()?;
        }
        Ok(true)
    }

    /// The common case: a whole head inside the next read. Parsed in place
    /// and handed out as slices of that read, with no copy. `None` when the
    /// head does not end in this read (the copying path takes over).
    fn head_in_one_read(&mut self) -> Result<Option<bool>, ParseError> {
        let State::Head { buf, .. } = &self.state else {
            return Ok(None);
        };
        if !buf.is_empty() {
            return Ok(None);
        }
        let Some(front) = self.input.front() else {
            return Ok(None);
        };
        let mut fields = Vec::with_capacity(8);
        let mut start = None;
        let mut pos = 0;
        let limit = front.len().min(self.limits.max_head);
        while let Some(i) = front.get(pos..limit).and_then(|r| memchr::memchr(b'\n', r)) {
            let le = pos + i + 1;
            let base = self.offset + pos as u64;
            let outcome = line(
                front,
                pos,
                le,
                base,
                self.limits.max_headers,
                &mut fields,
                &mut start,
            )?;
            pos = le;
            let Some((tid_s, tid_e, kind)) = start else {
                continue;
            };
            let (has_body, flag) = match outcome {
                Line::More => continue,
                Line::Body => (true, None),
                Line::End(f) => (false, Some(f)),
            };
            let all = front.slice(..le);
            let (head, tid) = build_head(all, tid_s, tid_e, kind, &fields, has_body);
            self.advance(le);
            self.out.push_back(ParseEvent::Head(head));
            match flag {
                None => {
                    self.state = State::Body {
                        tid,
                        tail: BytesMut::new(),
                        body_len: 0,
                    }
                }
                Some(f) => self.out.push_back(ParseEvent::End(f)),
            }
            return Ok(Some(true));
        }
        if front.len() > self.limits.max_head {
            let at = self.offset + self.limits.max_head as u64;
            return Err(ParseError::new(ParseErrorKind::HeadersTooLarge, at));
        }
        Ok(None)
    }

    /// Handles the complete line at the end of the head buffer.
    fn head_line(&mut self) -> Result<(), ParseError> {
        let State::Head {
            buf,
            line_start,
            fields,
            start,
        } = &mut self.state
        else {
            return Ok(());
        };
        let ls = *line_start;
        let le = buf.len();
        *line_start = le;
        // Stream offset of the line start.
        let base = self.offset - (le - ls) as u64;
        let outcome = line(buf, ls, le, base, self.limits.max_headers, fields, start)?;
        let Some((tid_s, tid_e, kind)) = *start else {
            return Ok(());
        };
        match outcome {
            Line::More => {}
            Line::Body => {
                let all = std::mem::take(buf).freeze();
                let (head, tid) = build_head(all, tid_s, tid_e, kind, fields, true);
                self.state = State::Body {
                    tid,
                    tail: BytesMut::new(),
                    body_len: 0,
                };
                self.out.push_back(ParseEvent::Head(head));
            }
            Line::End(flag) => {
                let all = std::mem::take(buf).freeze();
                let (head, _) = build_head(all, tid_s, tid_e, kind, fields, false);
                self.out.push_back(ParseEvent::Head(head));
                self.out.push_back(ParseEvent::End(flag));
                self.state = new_head();
            }
        }
        Ok(())
    }

    fn step_body(&mut self) -> Result<bool, ParseError> {
        let Some(front) = self.input.front() else {
            return Ok(false);
        };
        let State::Body {
            tid,
            tail,
            body_len,
        } = &mut self.state
        else {
            return Ok(false);
        };
        let pre = end_prefix();
        let nlen = PRE + tid.len();
        let full = nlen + 3;
        let (emit, consume, end, new_tail): (Option<Bytes>, usize, Option<Flag>, Option<BytesMut>);
        if tail.is_empty() {
            let from = std::mem::take(&mut self.hint).min(front.len());
            match scan_from(pre, tid, front, from) {
                Scan::Safe(s) if s == front.len() => {
                    // The common case: the whole read is body.
                    *body_len = body_len.saturating_add(s as u64);
                    if *body_len > self.limits.max_body {
                        return Err(ParseError::new(ParseErrorKind::BodyTooLarge, self.offset));
                    }
                    self.offset += s as u64;
                    if let Some(b) = self.input.pop_front() {
                        self.out.push_back(ParseEvent::Body(b));
                    }
                    return Ok(true);
                }
                Scan::End(p, flag) => {
                    emit = (p > 0).then(|| front.slice(..p));
                    consume = p + full;
                    end = Some(flag);
                    new_tail = None;
                }
                Scan::Safe(s) => {
                    emit = (s > 0).then(|| front.slice(..s));
                    consume = front.len();
                    end = None;
                    new_tail = Some(BytesMut::from(front.get(s..).unwrap_or(&[])));
                }
                Scan::BadFlag(p) => {
                    return Err(ParseError::new(
                        ParseErrorKind::EndLine,
                        self.offset + p as u64 + 2,
                    ));
                }
            }
        } else {
            // Join the held-back bytes with the start of this read.
            let rem = tail.len();
            let whole = front.len() <= 2 * full;
            let take = front.len().min(2 * full);
            let mut w = Vec::with_capacity(rem + take);
            w.extend_from_slice(tail);
            w.extend_from_slice(front.get(..take).unwrap_or(&[]));
            let scanned = if whole {
                scan(pre, tid, &w)
            } else {
                scan_open(pre, tid, &w)
            };
            match scanned {
                Scan::End(p, flag) => {
                    emit = (p > 0).then(|| Bytes::copy_from_slice(w.get(..p).unwrap_or(&[])));
                    consume = (p + full).saturating_sub(rem);
                    end = Some(flag);
                    new_tail = None;
                }
                Scan::Safe(s) => {
                    emit = (s > 0).then(|| Bytes::copy_from_slice(w.get(..s).unwrap_or(&[])));
                    if whole {
                        consume = front.len();
                        new_tail = Some(BytesMut::from(w.get(s..).unwrap_or(&[])));
                    } else {
                        consume = s.saturating_sub(rem);
                        new_tail = Some(BytesMut::new());
                    }
                    end = None;
                }
                Scan::BadFlag(p) => {
                    let at = (self.offset + p as u64 + 2).saturating_sub(rem as u64);
                    return Err(ParseError::new(ParseErrorKind::EndLine, at));
                }
            }
        }
        if let Some(e) = &emit {
            *body_len = body_len.saturating_add(e.len() as u64);
            if *body_len > self.limits.max_body {
                return Err(ParseError::new(ParseErrorKind::BodyTooLarge, self.offset));
            }
        }
        if let Some(t) = new_tail {
            *tail = t;
        }
        if let Some(e) = emit {
            self.out.push_back(ParseEvent::Body(e));
        }
        self.advance(consume);
        if let Some(flag) = end {
            self.out.push_back(ParseEvent::End(flag));
            self.state = new_head();
        }
        Ok(true)
    }
}

enum Scan {
    /// The end-line starts at this offset, with this flag.
    End(usize, Flag),
    /// Everything before this offset is body; the rest may start an end-line.
    Safe(usize),
    /// An end-line with a flag but no CRLF after it.
    BadFlag(usize),
}

/// Scans a buffer that is all there is for now.
fn scan(pre: &Finder<'_>, tid: &[u8], hay: &[u8]) -> Scan {
    scan_from(pre, tid, hay, 0)
}

/// [`scan`] knowing that no end-line starts before `from`. `pre` finds
/// `CRLF "-------"` ([`end_prefix`], built once and shared, so no
/// per-chunk searcher); the transaction id is checked after it.
fn scan_from(pre: &Finder<'_>, tid: &[u8], hay: &[u8], from: usize) -> Scan {
    let nlen = PRE + tid.len();
    let rest = hay.get(from..).unwrap_or(&[]);
    for p in pre.find_iter(rest).map(|p| p + from) {
        let after = hay.get(p + PRE..).unwrap_or(&[]);
        match after.get(..tid.len()) {
            Some(t) if t == tid => {}
            Some(_) => continue,
            None if tid.starts_with(after) => return Scan::Safe(p),
            None => continue,
        }
        match hay.get(p + nlen) {
            None => return Scan::Safe(p),
            Some(&f) => match Flag::from_byte(f) {
                None => continue,
                Some(flag) => match hay.get(p + nlen + 1..p + nlen + 3) {
                    Some(b"\r\n") => return Scan::End(p, flag),
                    Some(b"\r") | None => return Scan::Safe(p),
                    Some(_) => return Scan::BadFlag(p),
                },
            },
        }
    }
    Scan::Safe(hay.len() - held_back(tid, hay))
}

/// The length of the longest suffix of `hay` that is a proper prefix of
/// `needle`: the bytes that might start an end-line continued by the next
/// read. Usually zero, so most reads are handed out whole.
fn held_back(tid: &[u8], hay: &[u8]) -> usize {
    let nlen = PRE + tid.len();
    let from = hay.len().saturating_sub(nlen - 1);
    let window = hay.get(from..).unwrap_or(&[]);
    // The needle starts with CR and holds no other CR, so candidates start
    // at a CR; the earliest matching one gives the longest suffix. The
    // window is short (under 40 bytes): a plain loop beats memchr's setup.
    for (i, &b) in window.iter().enumerate() {
        if b == b'\r' {
            let suffix = window.get(i..).unwrap_or(&[]);
            let (a, b) = suffix.split_at(suffix.len().min(PRE));
            if END_PREFIX.starts_with(a) && tid.starts_with(b) {
                return suffix.len();
            }
        }
    }
    0
}

/// Scans a window cut from a longer read: a match whose decision lies past
/// the window is left for the zero-copy path.
fn scan_open(pre: &Finder<'_>, tid: &[u8], hay: &[u8]) -> Scan {
    let nlen = PRE + tid.len();
    match scan(pre, tid, hay) {
        Scan::Safe(s) => Scan::Safe(s.min(hay.len().saturating_sub(nlen + 3))),
        other => other,
    }
}

/// What one head line did.
enum Line {
    /// The start line or a header field: more lines follow.
    More,
    /// The blank line: a body follows.
    Body,
    /// The end-line of a bodiless chunk.
    End(Flag),
}

/// Reads the head line `data[ls..le]` (CRLF included; `base` is its stream
/// offset), recording the start line or the field's ranges.
fn line(
    data: &[u8],
    ls: usize,
    le: usize,
    base: u64,
    max_headers: usize,
    fields: &mut Vec<FieldRanges>,
    start: &mut Option<(usize, usize, StartKind)>,
) -> Result<Line, ParseError> {
    let text = data.get(ls..le).unwrap_or(&[]);
    let Some(text) = text.strip_suffix(b"\r\n") else {
        return Err(ParseError::new(
            ParseErrorKind::LineEnding,
            base + le.saturating_sub(ls + 1) as u64,
        ));
    };
    let content_end = ls + text.len();
    let Some((tid_s, tid_e, _)) = *start else {
        let (ts, te, k) =
            parse_start(text).map_err(|(k, at)| ParseError::new(k, base + at as u64))?;
        *start = Some((ls + ts, ls + te, shift(k, ls)));
        return Ok(Line::More);
    };
    if text.is_empty() {
        return Ok(Line::Body);
    }
    if let Some(rest) = text.strip_prefix(b"-------") {
        let tid = data.get(tid_s..tid_e).unwrap_or(&[]);
        let flag = match rest.split_last() {
            Some((&f, t)) if t == tid => Flag::from_byte(f),
            _ => None,
        };
        return flag
            .map(Line::End)
            .ok_or(ParseError::new(ParseErrorKind::EndLine, base));
    }
    // A header field: name ":" SP value.
    let colon = memchr::memchr(b':', text).ok_or(ParseError::new(ParseErrorKind::Header, base))?;
    let name = text.get(..colon).unwrap_or(&[]);
    if name.is_empty() || !name.iter().all(|&b| is_hname_char(b)) {
        return Err(ParseError::new(ParseErrorKind::Header, base));
    }
    let mut vs = ls + colon + 1;
    if data.get(vs) == Some(&b' ') {
        vs += 1;
    }
    let vs = vs.min(content_end);
    if data
        .get(vs..content_end)
        .is_some_and(|v| memchr::memchr2(b'\r', 0, v).is_some())
    {
        return Err(ParseError::new(
            ParseErrorKind::Header,
            base + (vs - ls) as u64,
        ));
    }
    if fields.len() >= max_headers {
        return Err(ParseError::new(ParseErrorKind::TooManyHeaders, base));
    }
    fields.push((ls, ls + colon, vs, content_end));
    Ok(Line::More)
}

/// A field's name and value as ranges of the head bytes.
type FieldRanges = (usize, usize, usize, usize);

fn shift(k: StartKind, by: usize) -> StartKind {
    match k {
        StartKind::Request(s, e) => StartKind::Request(s + by, e + by),
        StartKind::Response(c, Some((s, e))) => StartKind::Response(c, Some((s + by, e + by))),
        StartKind::Response(c, None) => StartKind::Response(c, None),
    }
}

/// Parses `MSRP SP tid SP (method / code [SP comment])` (no CRLF); returns
/// the tid range and the kind, or the error and its offset in the line.
fn parse_start(line: &[u8]) -> Result<(usize, usize, StartKind), (ParseErrorKind, usize)> {
    let rest = line
        .strip_prefix(b"MSRP ")
        .ok_or((ParseErrorKind::StartLine, 0))?;
    let sp = memchr::memchr(b' ', rest).ok_or((ParseErrorKind::StartLine, line.len()))?;
    let tid = rest.get(..sp).unwrap_or(&[]);
    if !is_ident(tid) {
        return Err((ParseErrorKind::TransactionId, 5));
    }
    let ws = 5 + sp + 1;
    let what = line.get(ws..).unwrap_or(&[]);
    if what.len() >= 3 && what.iter().take(3).all(u8::is_ascii_digit) {
        let code = what
            .iter()
            .take(3)
            .fold(0u16, |a, &d| a * 10 + u16::from(d - b'0'));
        let comment = match what.get(3..) {
            Some(b"") | None => None,
            Some(c) => {
                if c.first() != Some(&b' ') {
                    return Err((ParseErrorKind::StatusCode, ws));
                }
                if memchr::memchr2(b'\r', 0, c).is_some() {
                    return Err((ParseErrorKind::StartLine, ws + 3));
                }
                Some((ws + 4, line.len()))
            }
        };
        return Ok((5, 5 + sp, StartKind::Response(code, comment)));
    }
    if what.is_empty() || !what.iter().all(u8::is_ascii_uppercase) {
        return Err((
            if what.first().is_some_and(u8::is_ascii_digit) {
                ParseErrorKind::StatusCode
            } else {
                ParseErrorKind::Method
            },
            ws,
        ));
    }
    Ok((5, 5 + sp, StartKind::Request(ws, line.len())))
}

fn build_head(
    all: Bytes,
    tid_s: usize,
    tid_e: usize,
    kind: StartKind,
    fields: &[FieldRanges],
    has_body: bool,
) -> (ChunkHead, Bytes) {
    let sl =
        |s: usize, e: usize| all.slice(s.min(all.len())..e.min(all.len()).max(s.min(all.len())));
    let tid = sl(tid_s, tid_e);
    let start = match kind {
        StartKind::Request(s, e) => {
            StartLine::Request(Method::new(sl(s, e)).unwrap_or(Method::SEND))
        }
        StartKind::Response(code, comment) => StartLine::Response {
            code: StatusCode::new(code).unwrap_or(StatusCode::BAD_REQUEST),
            comment: comment.map(|(s, e)| sl(s, e)),
        },
    };
    let mut headers = Headers::new();
    for &(ns, ne, vs, ve) in fields {
        headers.push_raw(sl(ns, ne), sl(vs, ve));
    }
    (
        ChunkHead {
            tid: tid.clone(),
            start,
            headers,
            has_body,
        },
        tid,
    )
}

/// Parses exactly one complete chunk at the start of `data`.
pub(crate) fn parse_one(data: Bytes, limits: Limits) -> Result<(Chunk, usize), ParseError> {
    let mut p = Parser::new(limits);
    let len = data.len();
    p.push(data);
    let mut head = None;
    let mut body = BytesMut::new();
    loop {
        match p.poll()? {
            Some(ParseEvent::Head(h)) => head = Some(h),
            Some(ParseEvent::Body(b)) => body.extend_from_slice(&b),
            Some(ParseEvent::End(flag)) => {
                let head = head.ok_or(ParseError::new(ParseErrorKind::StartLine, 0))?;
                return Ok((
                    Chunk {
                        head,
                        body: body.freeze(),
                        flag,
                    },
                    p.consumed() as usize,
                ));
            }
            None => return Err(ParseError::new(ParseErrorKind::Incomplete, len as u64)),
        }
    }
}

/// Collects a whole stream into chunks (a convenience for small inputs:
/// it copies bodies). Fails if the stream ends inside a chunk.
pub fn parse_stream(data: &[u8], limits: Limits) -> Result<Vec<Chunk>, ParseError> {
    let mut p = Parser::new(limits);
    p.push(Bytes::copy_from_slice(data));
    let mut out = Vec::new();
    let mut head = None;
    let mut body = BytesMut::new();
    while let Some(ev) = p.poll()? {
        match ev {
            ParseEvent::Head(h) => head = Some(h),
            ParseEvent::Body(b) => body.extend_from_slice(&b),
            ParseEvent::End(flag) => {
                if let Some(head) = head.take() {
                    out.push(Chunk {
                        head,
                        body: std::mem::take(&mut body).freeze(),
                        flag,
                    });
                }
            }
        }
    }
    p.finish()?;
    Ok(out)
}
