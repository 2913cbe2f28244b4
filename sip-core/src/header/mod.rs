//! Headers: the raw ordered list (the truth) and typed views decoded on
//! demand through [`TypedHeader`].
//!
//! ```
//! use sip_core::header::{CSeq, Via};
//! use sip_core::{Limits, Message, Method};
//! let msg = Message::parse_datagram(
//!     &b"OPTIONS sip:bob@biloxi.com SIP/2.0\r\n\
//!        v: SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bK776asdhds\r\n\
//!        CSeq: 63104 OPTIONS\r\nl: 0\r\n\r\n"[..],
//!     &Limits::default(),
//! ).unwrap();
//! let cseq: CSeq = msg.headers().typed().unwrap().unwrap();
//! assert_eq!((cseq.seq, &cseq.method), (63104, &Method::OPTIONS));
//! let via: Via = msg.headers().typed().unwrap().unwrap();
//! assert_eq!(via.branch(), Some(&b"z9hG4bK776asdhds"[..]));
//! ```

mod name;
mod types;

pub use name::HeaderName;
pub use types::*;

use crate::error::{HeaderError, HeaderErrorKind};
use crate::text;
use bytes::Bytes;
use std::fmt;
use std::sync::OnceLock;

/// A typed view of one header, decoded from and encoded to the raw value.
///
/// For list headers (`LIST = true`: Via, Contact, Route, Allow ...) one
/// value is one element of the comma-separated list (RFC 3261 7.3.1);
/// [`Headers::typed_all`] walks every element of every line.
pub trait TypedHeader: Sized {
    /// The header's name.
    const NAME: HeaderName;
    /// True when a line may carry several comma-separated values.
    const LIST: bool = false;
    /// Decodes one value (one list element for list headers). The value
    /// has no folding left (LWS is SP/HTAB).
    fn decode(value: &Bytes) -> Result<Self, HeaderError>;
    /// Decodes the value `src[start..end]`, sharing `src` for the parts
    /// kept; offsets in errors count from `start`. [`Headers::typed`]
    /// reads a parsed message's values this way, so that a value costs no
    /// `Bytes` (and no reference count) of its own. The default slices the
    /// value out and calls [`decode`](Self::decode); a range outside `src`
    /// decodes as an empty value.
    ///
    /// ```
    /// use sip_core::header::{CallId, TypedHeader};
    /// use sip_core::Bytes;
    /// let src = Bytes::from_static(b"Call-ID: a84b4c76e66710\r\n");
    /// let id = CallId::decode_in(&src, 9, 23).unwrap();
    /// assert_eq!(&id.0[..], b"a84b4c76e66710");
    /// ```
    fn decode_in(src: &Bytes, start: usize, end: usize) -> Result<Self, HeaderError> {
        match src.get(start..end) {
            Some(_) => Self::decode(&src.slice(start..end)),
            None => Self::decode(&Bytes::new()),
        }
    }
    /// Writes the canonical form of the value.
    fn encode(&self, out: &mut Vec<u8>);
    /// The canonical value as `Bytes`.
    fn to_value(&self) -> Bytes {
        let mut v = Vec::with_capacity(32);
        self.encode(&mut v);
        Bytes::from(v)
    }
}

pub(crate) fn herr<H: TypedHeader>(kind: HeaderErrorKind, offset: usize) -> HeaderError {
    HeaderError {
        name: H::NAME,
        kind,
        offset,
    }
}

/// One raw header line: 16 bytes and `Copy`, so the lines of a parsed
/// message cost no drop and twelve of them fit in 192 bytes.
///
/// A line parsed from a buffer holds only its position there; the `Bytes`
/// slice of its value is made the first time it is asked for (most lines
/// of a message are never looked at), which saves a reference-count round
/// trip per line. What a line owns (a value set, built or unfolded; a
/// name this crate does not know) lives in the list's [`Side`].
#[derive(Debug, Clone, Copy)]
struct Entry {
    /// The value's position in [`Headers::src`]; with [`OWNED`], `start`
    /// is the value's index in [`Side::values`].
    start: u32,
    end: u32,
    /// The standard name's index; with [`CUSTOM`], the name's index in
    /// [`Side::names`].
    name: u32,
    /// [`COMPACT`], [`OWNED`], [`CUSTOM`].
    flags: u8,
}

/// The name was received compact.
const COMPACT: u8 = 1;
/// The value is in [`Side::values`].
const OWNED: u8 = 2;
/// The name is in [`Side::names`].
const CUSTOM: u8 = 4;

impl Entry {
    fn compact(&self) -> bool {
        self.flags & COMPACT != 0
    }

    fn owned(&self) -> Option<usize> {
        (self.flags & OWNED != 0).then_some(self.start as usize)
    }

    fn range(&self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }
}

/// What the lines of a [`Headers`] own, kept apart so that the lines
/// themselves need no drop: most parsed messages have none of it.
#[derive(Clone, Default)]
struct Side {
    /// Values set, built or unfolded, indexed by [`Entry::start`].
    values: Vec<Bytes>,
    /// Names this crate does not know, indexed by [`Entry::name`].
    names: Vec<HeaderName>,
}

/// `src[start..end]` as `Bytes`; empty when out of range.
fn span(src: &Bytes, start: usize, end: usize) -> Bytes {
    src.get(start..end)
        .map_or_else(Bytes::new, |_| src.slice(start..end))
}

/// An empty value, for a line whose value could not be found.
static EMPTY: Bytes = Bytes::new();

/// The ordered header lines of a message or MIME part: order, duplicates,
/// unknown names and raw values are kept as received (folded values are
/// unfolded: each line break with its following white space becomes one SP,
/// which RFC 3261 7.3.1 makes equivalent).
#[derive(Clone, Default)]
pub struct Headers {
    /// The buffer parsed lines point into (empty when built).
    src: Bytes,
    entries: Vec<Entry>,
    side: Option<Box<Side>>,
    /// The `Bytes` of each buffer-held value once asked for, by line
    /// index: made on the first such request (one allocation) and dropped
    /// on any change to the lines.
    cache: OnceLock<Box<[OnceLock<Bytes>]>>,
}

impl PartialEq for Headers {
    fn eq(&self, other: &Self) -> bool {
        self.entries.len() == other.entries.len()
            && self.entries.iter().zip(&other.entries).all(|(a, b)| {
                self.name_of(a) == other.name_of(b) && self.bytes(a) == other.bytes(b)
            })
    }
}

impl Eq for Headers {}

impl fmt::Debug for Headers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct Line<'a>(&'a HeaderName, &'a [u8], bool);
        impl fmt::Debug for Line<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct("Entry")
                    .field("name", self.0)
                    .field("value", &Bytes::copy_from_slice(self.1))
                    .field("compact", &self.2)
                    .finish()
            }
        }
        let lines: Vec<Line<'_>> = self
            .entries
            .iter()
            .map(|e| Line(self.name_of(e), self.bytes(e), e.compact()))
            .collect();
        f.debug_struct("Headers").field("entries", &lines).finish()
    }
}

/// Decodes every value of one line, `src[range]`: the line itself, or for
/// a list header each element of its comma-separated list (RFC 3261 7.3.1),
/// trimmed, an empty element being an error. Values are decoded where they
/// lie in `src`, so no `Bytes` is made for them.
fn decode_all<H: TypedHeader>(
    src: &Bytes,
    range: std::ops::Range<usize>,
) -> impl Iterator<Item = Result<H, HeaderError>> + '_ {
    let bytes = src.get(range.clone()).unwrap_or_default();
    let (single, list) = if H::LIST {
        let empty = text::trim(bytes).is_empty();
        let parts = text::split(bytes, b',').filter(move |_| !empty);
        (None, Some(parts))
    } else {
        (Some(()), None)
    };
    let start = range.start;
    single
        .into_iter()
        .map(move |()| H::decode_in(src, range.start, range.end))
        .chain(list.into_iter().flatten().map(move |(off, p)| {
            let t = text::trim(p);
            if t.is_empty() {
                return Err(herr::<H>(HeaderErrorKind::EmptyListElement, off));
            }
            // `t` lies in `bytes`, at `src[start..]`.
            let at = start + off + (t.as_ptr() as usize - p.as_ptr() as usize);
            H::decode_in(src, at, at + t.len())
        }))
}

impl Headers {
    /// No headers.
    pub fn new() -> Headers {
        Headers::default()
    }

    pub(crate) fn with_capacity(n: usize) -> Headers {
        Headers {
            src: Bytes::new(),
            entries: Vec::with_capacity(n),
            side: None,
            cache: OnceLock::new(),
        }
    }

    /// Room for `n` lines whose values lie in `src` (see
    /// [`Headers::push_span`]).
    pub(crate) fn with_source(src: Bytes, n: usize) -> Headers {
        Headers {
            src,
            entries: Vec::with_capacity(n),
            side: None,
            cache: OnceLock::new(),
        }
    }

    /// The buffer that parsed lines point into (empty when built).
    pub(crate) fn source(&self) -> &Bytes {
        &self.src
    }

    /// Sets the buffer that the lines pushed by [`Headers::push_span`]
    /// point into (a parser pushes them first and hands the buffer over
    /// last, before any value is read: the cache of value slices is left
    /// as it is).
    pub(crate) fn set_source(&mut self, src: Bytes) {
        debug_assert!(self.cache.get().is_none());
        self.src = src;
    }

    /// Runs `f` on the side store, made if there is none yet. Cached
    /// value slices are dropped: the caller is changing the lines.
    fn with_side<R>(&mut self, f: impl FnOnce(&mut Side) -> R) -> R {
        self.changed();
        // Room for a value a line, as the lines have, so a list built
        // line by line does not regrow it.
        let room = self.entries.capacity();
        let side = self.side.get_or_insert_with(|| {
            Box::new(Side {
                values: Vec::with_capacity(room),
                names: Vec::new(),
            })
        });
        f(side)
    }

    /// Drops the cached value slices, whose indices follow the lines.
    #[inline]
    fn changed(&mut self) {
        self.cache.take();
    }

    /// Keeps in the side store only what the lines still point at, so that
    /// repeated edits do not let it grow.
    fn collect_side(&mut self) {
        self.changed();
        let Some(side) = self.side.as_mut() else {
            return;
        };
        let live_values = self.entries.iter().filter(|e| e.owned().is_some()).count();
        let live_names = self
            .entries
            .iter()
            .filter(|e| e.flags & CUSTOM != 0)
            .count();
        if side.values.len() == live_values && side.names.len() == live_names {
            return;
        }
        let mut values = Vec::with_capacity(live_values);
        let mut names = Vec::with_capacity(live_names);
        for e in &mut self.entries {
            if let Some(i) = e.owned() {
                let v = side.values.get(i).cloned().unwrap_or_default();
                e.start = values.len() as u32;
                values.push(v);
            }
            if e.flags & CUSTOM != 0 {
                let n = side.names.get(e.name as usize).cloned();
                e.name = names.len() as u32;
                names.push(n.unwrap_or(HeaderName::ACCEPT));
            }
        }
        side.values = values;
        side.names = names;
    }

    /// The line's name and flags for `name`, storing a custom name.
    fn name_slot(&mut self, name: HeaderName) -> (u32, u8) {
        match name.std_index() {
            Some(i) => (u32::from(i), 0),
            None => self.with_side(|s| {
                s.names.push(name);
                ((s.names.len() - 1) as u32, CUSTOM)
            }),
        }
    }

    /// A line owning `value`.
    fn owned_entry(&mut self, name: HeaderName, value: Bytes, compact: bool) -> Entry {
        let (name, flags) = self.name_slot(name);
        let at = self.with_side(|s| {
            s.values.push(value);
            (s.values.len() - 1) as u32
        });
        Entry {
            start: at,
            end: 0,
            name,
            flags: flags | OWNED | if compact { COMPACT } else { 0 },
        }
    }

    /// Replaces the value of line `i` by `value`, in place when the line
    /// owns its value already.
    fn set_value(&mut self, i: usize, value: Bytes) {
        let Some(&e) = self.entries.get(i) else {
            return;
        };
        let at = self.with_side(|s| match e.owned().and_then(|at| s.values.get_mut(at)) {
            Some(slot) => {
                *slot = value;
                e.start
            }
            None => {
                s.values.push(value);
                (s.values.len() - 1) as u32
            }
        });
        if let Some(e) = self.entries.get_mut(i) {
            e.start = at;
            e.end = 0;
            e.flags = (e.flags | OWNED) & !COMPACT;
        }
    }

    /// The line's name.
    fn name_of(&self, e: &Entry) -> &HeaderName {
        let name = if e.flags & CUSTOM != 0 {
            self.side
                .as_ref()
                .and_then(|s| s.names.get(e.name as usize))
        } else {
            u8::try_from(e.name).ok().and_then(HeaderName::std_ref)
        };
        // Every line's name is stored; an unknown one would be a bug here,
        // shown as the first standard name rather than a panic.
        name.unwrap_or(&HeaderName::ACCEPT)
    }

    /// True when the line is named `name`: one compare for a standard
    /// name.
    #[inline(always)]
    fn is(&self, e: &Entry, name: &HeaderName) -> bool {
        match name.std_index() {
            Some(i) => e.flags & CUSTOM == 0 && e.name == u32::from(i),
            None => e.flags & CUSTOM != 0 && self.name_of(e) == name,
        }
    }

    /// The value a line owns, at index `at` of the side store.
    fn owned_value(&self, at: usize) -> &Bytes {
        self.side
            .as_ref()
            .and_then(|s| s.values.get(at))
            .unwrap_or(&EMPTY)
    }

    /// The line's value bytes, without making a `Bytes` for them.
    #[inline]
    fn bytes(&self, e: &Entry) -> &[u8] {
        let (src, range) = self.place(e);
        src.get(range).unwrap_or_default()
    }

    /// Where the line's value lies: its own `Bytes`, or a range of the
    /// buffer.
    #[inline]
    fn place(&self, e: &Entry) -> (&Bytes, std::ops::Range<usize>) {
        match e.owned() {
            Some(at) => {
                let v = self.owned_value(at);
                (v, 0..v.len())
            }
            None => (&self.src, e.range()),
        }
    }

    /// The value of line `i` as `Bytes` sharing the buffer, made once.
    fn value(&self, i: usize, e: &Entry) -> &Bytes {
        if let Some(at) = e.owned() {
            return self.owned_value(at);
        }
        let cache = self
            .cache
            .get_or_init(|| self.entries.iter().map(|_| OnceLock::new()).collect());
        let Some(slot) = cache.get(i) else {
            return &EMPTY;
        };
        slot.get_or_init(|| span(&self.src, e.range().start, e.range().end))
    }

    pub(crate) fn push_raw(&mut self, name: HeaderName, value: Bytes, compact: bool) {
        let e = self.owned_entry(name, value, compact);
        self.entries.push(e);
        self.changed();
    }

    /// Appends a line whose value is `src[start..end]` of the source given
    /// to [`Headers::with_source`]. `src` is that buffer (it may be handed
    /// over only later, with [`Headers::set_source`]); a line beyond 4 GiB
    /// into it is kept as its own slice.
    pub(crate) fn push_span(
        &mut self,
        src: &Bytes,
        name: HeaderName,
        start: usize,
        end: usize,
        compact: bool,
    ) {
        match (u32::try_from(start), u32::try_from(end)) {
            (Ok(start), Ok(end)) => {
                let (name, custom) = self.name_slot(name);
                let compact = if compact { COMPACT } else { 0 };
                self.entries.push(Entry {
                    start,
                    end,
                    name,
                    flags: compact | custom,
                });
                self.changed();
            }
            _ => self.push_raw(name, span(src, start, end), compact),
        }
    }

    /// [`Headers::push_span`] for the standard name at index `i` (as
    /// [`HeaderName::lookup_in`] gives it): what a parser pushes for most
    /// lines. For a list whose values nobody has read yet (a parser's
    /// own), since it leaves the cache of value slices as it is.
    #[inline]
    pub(crate) fn push_span_std(
        &mut self,
        src: &Bytes,
        i: u8,
        start: usize,
        end: usize,
        compact: bool,
    ) {
        match (u32::try_from(start), u32::try_from(end)) {
            (Ok(start), Ok(end)) => {
                debug_assert!(self.cache.get().is_none());
                self.entries.push(Entry {
                    start,
                    end,
                    name: u32::from(i),
                    flags: if compact { COMPACT } else { 0 },
                });
            }
            _ => {
                let name = HeaderName::std_ref(i)
                    .cloned()
                    .unwrap_or(HeaderName::ACCEPT);
                self.push_raw(name, span(src, start, end), compact);
            }
        }
    }

    /// Makes every compact name print in full from now on (RFC 3261 7.3.3
    /// "expand on request"); names compare equal either way.
    pub fn expand_compact_names(&mut self) {
        for e in &mut self.entries {
            e.flags &= !COMPACT;
        }
    }

    /// True when the line at `index` was received in compact form.
    pub fn is_compact(&self, index: usize) -> bool {
        self.entries.get(index).is_some_and(Entry::compact)
    }

    /// Number of header lines.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// All lines in order.
    pub fn iter(&self) -> impl Iterator<Item = (&HeaderName, &Bytes)> {
        self.entries
            .iter()
            .enumerate()
            .map(|(i, e)| (self.name_of(e), self.value(i, e)))
    }

    /// The first value of `name`.
    pub fn get(&self, name: &HeaderName) -> Option<&Bytes> {
        self.entries
            .iter()
            .enumerate()
            .find(|(_, e)| self.is(e, name))
            .map(|(i, e)| self.value(i, e))
    }

    /// Every line's value for `name`, in order.
    pub fn get_all<'a>(&'a self, name: &'a HeaderName) -> impl Iterator<Item = &'a Bytes> + 'a {
        self.entries
            .iter()
            .enumerate()
            .filter(move |(_, e)| self.is(e, name))
            .map(|(i, e)| self.value(i, e))
    }

    /// True when a line named `name` is present.
    pub fn contains(&self, name: &HeaderName) -> bool {
        self.entries.iter().any(|e| self.is(e, name))
    }

    /// How many lines are named `name`.
    pub fn count(&self, name: &HeaderName) -> usize {
        self.entries.iter().filter(|e| self.is(e, name)).count()
    }

    /// Appends a line. The value must not hold CR or LF (see
    /// [`Headers::try_push`]); such bytes are replaced by SP here so the
    /// framing stays intact.
    pub fn push(&mut self, name: HeaderName, value: impl Into<Bytes>) {
        let value: Bytes = value.into();
        let value = if value.iter().any(|&b| b == b'\r' || b == b'\n') {
            Bytes::from(
                value
                    .iter()
                    .map(|&b| if b == b'\r' || b == b'\n' { b' ' } else { b })
                    .collect::<Vec<u8>>(),
            )
        } else {
            value
        };
        self.push_raw(name, value, false);
    }

    /// Appends a line, refusing a value holding CR or LF.
    pub fn try_push(
        &mut self,
        name: HeaderName,
        value: impl Into<Bytes>,
    ) -> Result<(), HeaderError> {
        let value: Bytes = value.into();
        if let Some(p) = value.iter().position(|&b| b == b'\r' || b == b'\n') {
            return Err(HeaderError {
                name,
                kind: HeaderErrorKind::TrailingData,
                offset: p,
            });
        }
        self.push_raw(name, value, false);
        Ok(())
    }

    /// Appends a typed header.
    pub fn push_typed<H: TypedHeader>(&mut self, h: &H) {
        self.push_raw(H::NAME, h.to_value(), false);
    }

    /// Replaces every line of the typed header's name by this one (at the
    /// position of the first, or at the end).
    pub fn set_typed<H: TypedHeader>(&mut self, h: &H) {
        self.set(H::NAME, h.to_value());
    }

    /// Replaces every line named `name` by one line (at the position of the
    /// first, or at the end).
    pub fn set(&mut self, name: HeaderName, value: impl Into<Bytes>) {
        let value = value.into();
        match self.entries.iter().position(|e| self.is(e, &name)) {
            Some(i) => {
                self.set_value(i, value);
                let mut n = 0usize;
                let mut entries = std::mem::take(&mut self.entries);
                entries.retain(|e| {
                    let keep = n == i || !self.is(e, &name);
                    n += 1;
                    keep
                });
                self.entries = entries;
                self.collect_side();
            }
            None => self.push(name, value),
        }
    }

    /// Removes every line named `name`; returns how many.
    pub fn remove(&mut self, name: &HeaderName) -> usize {
        let before = self.entries.len();
        let mut entries = std::mem::take(&mut self.entries);
        entries.retain(|e| !self.is(e, name));
        self.entries = entries;
        self.collect_side();
        before - self.entries.len()
    }

    /// Removes the first value of the first line named `name` and returns
    /// it, trimmed: the whole line when it holds one value; otherwise the
    /// first element of its comma-separated list (commas in quoted strings
    /// and `<...>` do not count), the rest staying where the line was. For
    /// the top Via, see [`Response::pop_via`](crate::Response::pop_via).
    pub fn pop_first(&mut self, name: &HeaderName) -> Option<Bytes> {
        let i = self.entries.iter().position(|e| self.is(e, name))?;
        let (src, range) = self.place(self.entries.get(i)?);
        let value = span(src, range.start, range.end);
        let mut parts = text::split(&value, b',');
        let first = parts.next().map(|(_, p)| text::trim(p)).unwrap_or_default();
        let first = value.slice_ref(first);
        let rest = parts
            .next()
            .map(|(at, _)| text::trim(value.get(at..).unwrap_or_default()))
            .unwrap_or_default();
        if rest.is_empty() {
            self.entries.remove(i);
            self.collect_side();
        } else {
            let rest = value.slice_ref(rest);
            self.set_value(i, rest);
        }
        Some(first)
    }

    /// Inserts a line at the top (as a proxy adds its Via).
    pub fn prepend(&mut self, name: HeaderName, value: impl Into<Bytes>) {
        let e = self.owned_entry(name, value.into(), false);
        self.entries.insert(0, e);
        self.changed();
    }

    /// The first value of a typed header (the first element of the first
    /// line for list headers), decoded; `Ok(None)` when absent.
    pub fn typed<H: TypedHeader>(&self) -> Result<Option<H>, HeaderError> {
        for e in self.entries.iter().filter(|e| self.is(e, &H::NAME)) {
            // Decoded where the value lies: its own `Bytes` when it has
            // one (set or unfolded), else the message buffer.
            let (src, range) = self.place(e);
            let bytes = src.get(range.clone()).unwrap_or_default();
            if !H::LIST {
                return H::decode_in(src, range.start, range.end).map(Some);
            }
            // The first element (as `decode_all` would give it), without
            // the iterator chain.
            let t = text::trim(bytes);
            if t.is_empty() {
                continue;
            }
            let first = match memchr::memchr3(b',', b'"', b'<', bytes) {
                None => t,
                Some(p) if bytes.get(p) == Some(&b',') => {
                    text::trim(bytes.get(..p).unwrap_or_default())
                }
                Some(_) => text::split(bytes, b',')
                    .next()
                    .map_or(&b""[..], |(_, p)| text::trim(p)),
            };
            if first.is_empty() {
                return Err(herr::<H>(HeaderErrorKind::EmptyListElement, 0));
            }
            // `first` lies in `bytes`; were it not, `at` would fall outside
            // `src` and decode as an empty value, never panic.
            let offset = (first.as_ptr() as usize).wrapping_sub(bytes.as_ptr() as usize);
            let at = range.start.wrapping_add(offset);
            return H::decode_in(src, at, at.wrapping_add(first.len())).map(Some);
        }
        Ok(None)
    }

    /// Every value of a typed header, over all lines and list elements.
    pub fn typed_iter<'a, H: TypedHeader + 'a>(
        &'a self,
    ) -> impl Iterator<Item = Result<H, HeaderError>> + 'a {
        self.entries
            .iter()
            .filter(|e| self.is(e, &H::NAME))
            .flat_map(|e| {
                let (src, range) = self.place(e);
                decode_all::<H>(src, range)
            })
    }

    /// Every value of a typed header, collected; the first error stops it.
    pub fn typed_all<H: TypedHeader>(&self) -> Result<Vec<H>, HeaderError> {
        self.typed_iter().collect()
    }

    /// Writes `Name: value CRLF` lines as received (compact names stay
    /// compact).
    pub fn write(&self, out: &mut Vec<u8>) {
        for e in &self.entries {
            let name = self.name_of(e);
            match name.compact() {
                Some(c) if e.compact() => out.push(c),
                _ => out.extend_from_slice(name.as_bytes()),
            }
            out.extend_from_slice(b": ");
            out.extend_from_slice(self.bytes(e));
            out.extend_from_slice(b"\r\n");
        }
    }

    /// Writes the canonical form: full names; values of the headers this
    /// crate decodes printed from their typed form (list elements joined by
    /// `, `); other values as received.
    pub fn write_canonical(&self, out: &mut Vec<u8>) {
        for e in &self.entries {
            let name = self.name_of(e);
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(b": ");
            let mark = out.len();
            let (src, range) = self.place(e);
            match types::canonical_value(name, src, range, out) {
                Some(Ok(())) => {}
                Some(Err(_)) | None => {
                    out.truncate(mark);
                    out.extend_from_slice(self.bytes(e));
                }
            }
            out.extend_from_slice(b"\r\n");
        }
    }

    /// Decodes every line this crate has a typed view for, returning the
    /// first refusal.
    pub fn check_typed(&self) -> Result<(), HeaderError> {
        let mut scratch = Vec::with_capacity(128);
        for e in &self.entries {
            scratch.clear();
            let (src, range) = self.place(e);
            if let Some(r) = types::canonical_value(self.name_of(e), src, range, &mut scratch) {
                r?;
            }
        }
        Ok(())
    }
}

impl<'a> IntoIterator for &'a Headers {
    type Item = (&'a HeaderName, &'a Bytes);
    type IntoIter = Box<dyn Iterator<Item = (&'a HeaderName, &'a Bytes)> + 'a>;
    fn into_iter(self) -> Self::IntoIter {
        Box::new(self.iter())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg(target_pointer_width = "64")]
    fn entries_stay_small() {
        // Twelve lines in 192 bytes; the list itself is its buffer, its
        // vector of lines, a pointer to what lines own, and the cache.
        assert_eq!(std::mem::size_of::<Entry>(), 16);
        assert_eq!(std::mem::size_of::<Headers>(), 88);
    }

    #[derive(Debug, Clone)]
    enum Op {
        Push(usize, usize),
        Prepend(usize, usize),
        Set(usize, usize),
        Remove(usize),
        PopFirst(usize),
        Get(usize),
        Expand,
    }

    const NAMES: [&str; 5] = ["Via", "v", "To", "X-A", "x-b"];
    const VALUES: [&str; 5] = ["a", "b, c", " d ,e", "f,,g", ""];

    fn op() -> impl proptest::strategy::Strategy<Value = Op> {
        use proptest::prelude::*;
        let n = 0..NAMES.len();
        let v = 0..VALUES.len();
        prop_oneof![
            (n.clone(), v.clone()).prop_map(|(n, v)| Op::Push(n, v)),
            (n.clone(), v.clone()).prop_map(|(n, v)| Op::Prepend(n, v)),
            (n.clone(), v).prop_map(|(n, v)| Op::Set(n, v)),
            n.clone().prop_map(Op::Remove),
            n.clone().prop_map(Op::PopFirst),
            n.prop_map(Op::Get),
            Just(Op::Expand),
        ]
    }

    proptest::proptest! {
        /// Any sequence of edits on a parsed list leaves the lines a plain
        /// list of (name, value) pairs would hold, and the side store no
        /// larger than what the lines own after a removal.
        #[test]
        fn edits_match_a_plain_list(ops in proptest::collection::vec(op(), 0..40)) {
            let src = Bytes::from_static(b"Via: p, q\r\nX-A: 1\r\nTo: t\r\n");
            let name = |i: usize| HeaderName::new(NAMES[i]).unwrap();
            let mut h = Headers::with_source(src.clone(), 3);
            h.push_span(&src, HeaderName::VIA, 5, 9, false);
            h.push_span(&src, name(3), 16, 17, false);
            h.push_span(&src, HeaderName::TO, 23, 24, false);
            let mut model: Vec<(HeaderName, Vec<u8>)> = vec![
                (HeaderName::VIA, b"p, q".to_vec()),
                (name(3), b"1".to_vec()),
                (HeaderName::TO, b"t".to_vec()),
            ];
            for op in ops {
                match op {
                    Op::Push(n, v) => {
                        h.push(name(n), VALUES[v]);
                        model.push((name(n), VALUES[v].into()));
                    }
                    Op::Prepend(n, v) => {
                        h.prepend(name(n), VALUES[v]);
                        model.insert(0, (name(n), VALUES[v].into()));
                    }
                    Op::Set(n, v) => {
                        h.set(name(n), VALUES[v]);
                        match model.iter().position(|(m, _)| *m == name(n)) {
                            Some(i) => {
                                model[i].1 = VALUES[v].into();
                                let mut k = 0;
                                model.retain(|(m, _)| {
                                    k += 1;
                                    k - 1 == i || *m != name(n)
                                });
                            }
                            None => model.push((name(n), VALUES[v].into())),
                        }
                    }
                    Op::Remove(n) => {
                        let before = model.len();
                        model.retain(|(m, _)| *m != name(n));
                        proptest::prop_assert_eq!(h.remove(&name(n)), before - model.len());
                    }
                    Op::PopFirst(n) => {
                        let want = model.iter().position(|(m, _)| *m == name(n)).map(|i| {
                            let v = model[i].1.clone();
                            let (first, rest) = match v.iter().position(|&b| b == b',') {
                                Some(c) => (&v[..c], &v[c + 1..]),
                                None => (&v[..], &b""[..]),
                            };
                            let rest = text::trim(rest).to_vec();
                            if rest.is_empty() {
                                model.remove(i);
                            } else {
                                model[i].1 = rest;
                            }
                            text::trim(first).to_vec()
                        });
                        proptest::prop_assert_eq!(h.pop_first(&name(n)).map(|b| b.to_vec()), want);
                    }
                    Op::Get(n) => {
                        let want = model.iter().find(|(m, _)| *m == name(n)).map(|(_, v)| v.clone());
                        proptest::prop_assert_eq!(h.get(&name(n)).map(|b| b.to_vec()), want);
                    }
                    Op::Expand => h.expand_compact_names(),
                }
                let lines: Vec<(HeaderName, Vec<u8>)> =
                    h.iter().map(|(n, v)| (n.clone(), v.to_vec())).collect();
                proptest::prop_assert_eq!(&lines, &model);
            }
            h.remove(&HeaderName::new("X-None").unwrap());
            let owned = h.entries.iter().filter(|e| e.owned().is_some()).count();
            let custom = h.entries.iter().filter(|e| e.flags & CUSTOM != 0).count();
            let side = h.side.as_ref().map_or((0, 0), |s| (s.values.len(), s.names.len()));
            proptest::prop_assert_eq!(side, (owned, custom));
        }
    }

    #[test]
    fn edits_keep_names_values_and_order_and_the_side_store_bounded() {
        let src = Bytes::from_static(b"X-A: 1\r\nVia: v1, v2\r\nX-B: 2\r\nTo: <sip:t@h>\r\n");
        let xa = HeaderName::new("X-A").unwrap();
        let xb = HeaderName::new("X-B").unwrap();
        let mut h = Headers::with_source(src.clone(), 4);
        h.push_span(&src, xa.clone(), 5, 6, false);
        h.push_span(&src, HeaderName::VIA, 13, 19, false);
        h.push_span(&src, xb.clone(), 26, 27, false);
        h.push_span(&src, HeaderName::TO, 33, 42, false);
        let lines = |h: &Headers| {
            h.iter()
                .map(|(n, v)| {
                    format!(
                        "{}={}",
                        String::from_utf8_lossy(n.as_bytes()),
                        String::from_utf8_lossy(v)
                    )
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(lines(&h), ["X-A=1", "Via=v1, v2", "X-B=2", "To=<sip:t@h>"]);
        // A value read, then lines changed: reads follow the change.
        assert_eq!(&h.get(&xb).unwrap()[..], b"2");
        assert_eq!(h.pop_first(&HeaderName::VIA).as_deref(), Some(&b"v1"[..]));
        h.prepend(HeaderName::VIA, "v0");
        assert_eq!(
            lines(&h),
            ["Via=v0", "X-A=1", "Via=v2", "X-B=2", "To=<sip:t@h>"]
        );
        assert_eq!(h.get_all(&HeaderName::VIA).count(), 2);
        // Many edits of the same lines leave the side store the size of
        // what the lines own.
        for i in 0..1000 {
            h.set(xa.clone(), format!("{i}"));
            h.prepend(HeaderName::new("X-C").unwrap(), "c");
            assert_eq!(h.remove(&HeaderName::new("x-c").unwrap()), 1);
        }
        assert_eq!(
            lines(&h),
            ["Via=v0", "X-A=999", "Via=v2", "X-B=2", "To=<sip:t@h>"]
        );
        let side = h.side.as_ref().unwrap();
        assert_eq!((side.values.len(), side.names.len()), (3, 2));
        h.set(HeaderName::VIA, "one");
        assert_eq!(lines(&h), ["Via=one", "X-A=999", "X-B=2", "To=<sip:t@h>"]);
        // Equal to the same lines built one by one.
        let mut built = Headers::new();
        for (n, v) in [
            ("Via", "one"),
            ("X-A", "999"),
            ("x-b", "2"),
            ("To", "<sip:t@h>"),
        ] {
            built.push(HeaderName::new(n).unwrap(), v);
        }
        assert_eq!(h, built);
        assert!(h.contains(&xb) && h.count(&xa) == 1);
    }

    #[test]
    fn lines_from_a_buffer_equal_lines_built() {
        let src = Bytes::from_static(b"Via: SIP/2.0/UDP h;branch=z9hG4bK1\r\nv: SIP/2.0/TCP g\r\n");
        let mut parsed = Headers::with_source(src.clone(), 2);
        parsed.push_span(&src, HeaderName::VIA, 5, 34, false);
        parsed.push_span(&src, HeaderName::VIA, 39, 52, true);
        let mut built = Headers::new();
        built.push(HeaderName::VIA, "SIP/2.0/UDP h;branch=z9hG4bK1");
        built.push(HeaderName::VIA, "SIP/2.0/TCP g");
        assert_eq!(parsed, built);
        assert!(parsed.is_compact(1) && !parsed.is_compact(0));
        // Typed reads do not need the cached value; raw reads make it once.
        let via: Via = parsed.typed().unwrap().unwrap();
        assert_eq!(via.branch(), Some(&b"z9hG4bK1"[..]));
        let first = parsed.get(&HeaderName::VIA).unwrap();
        assert_eq!(&first[..], b"SIP/2.0/UDP h;branch=z9hG4bK1");
        assert_eq!(first.as_ptr(), src[5..].as_ptr(), "shares the buffer");
        let mut out = Vec::new();
        parsed.write(&mut out);
        assert_eq!(
            out,
            b"Via: SIP/2.0/UDP h;branch=z9hG4bK1\r\nv: SIP/2.0/TCP g\r\n"
        );
        parsed.expand_compact_names();
        assert!(!parsed.is_compact(1));
        parsed.set(HeaderName::VIA, "SIP/2.0/UDP x");
        assert_eq!(parsed.len(), 1);
        assert_eq!(&parsed.get(&HeaderName::VIA).unwrap()[..], b"SIP/2.0/UDP x");
    }
}
