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

/// One raw header line.
///
/// A line parsed from a buffer holds only its position there: the `Bytes`
/// slice of its value is made the first time it is asked for (most lines
/// of a message are never looked at), which saves a reference-count
/// round trip per line.
#[derive(Debug, Clone)]
struct Entry {
    value: OnceLock<Bytes>,
    name: HeaderName,
    /// The value's position in [`Headers::src`], used until `value` is set.
    start: u32,
    /// The end of that position, and in the top bit [`COMPACT`]: 80 bytes
    /// an entry, so the twelve lines of a typical message fit the
    /// allocator's small-size cache.
    end: u32,
}

/// The bit of [`Entry::end`] saying the name was received compact.
const COMPACT: u32 = 1 << 31;

impl Entry {
    fn owned(name: HeaderName, value: Bytes, compact: bool) -> Entry {
        Entry {
            value: OnceLock::from(value),
            name,
            start: 0,
            end: if compact { COMPACT } else { 0 },
        }
    }

    fn compact(&self) -> bool {
        self.end & COMPACT != 0
    }

    fn expand(&mut self) {
        self.end &= !COMPACT;
    }

    fn range(&self) -> std::ops::Range<usize> {
        self.start as usize..(self.end & !COMPACT) as usize
    }

    /// The value's bytes, without making a `Bytes` for it.
    #[inline]
    fn bytes<'a>(&'a self, src: &'a Bytes) -> &'a [u8] {
        match self.value.get() {
            Some(v) => v,
            None => src.get(self.range()).unwrap_or_default(),
        }
    }

    /// The value as `Bytes` sharing `src`.
    #[inline]
    fn value(&self, src: &Bytes) -> &Bytes {
        self.value.get_or_init(|| {
            let r = self.range();
            if r.start <= r.end && r.end <= src.len() {
                src.slice(r)
            } else {
                Bytes::new()
            }
        })
    }
}

/// The ordered header lines of a message or MIME part: order, duplicates,
/// unknown names and raw values are kept as received (folded values are
/// unfolded: each line break with its following white space becomes one SP,
/// which RFC 3261 7.3.1 makes equivalent).
#[derive(Clone, Default)]
pub struct Headers {
    /// The buffer parsed lines point into (empty when built).
    src: Bytes,
    entries: Vec<Entry>,
}

impl PartialEq for Headers {
    fn eq(&self, other: &Self) -> bool {
        self.entries.len() == other.entries.len()
            && self
                .entries
                .iter()
                .zip(&other.entries)
                .all(|(a, b)| a.name == b.name && a.bytes(&self.src) == b.bytes(&other.src))
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
            .map(|e| Line(&e.name, e.bytes(&self.src), e.compact()))
            .collect();
        f.debug_struct("Headers").field("entries", &lines).finish()
    }
}

/// Splits a list value into its elements (RFC 3261 7.3.1), each trimmed.
/// An empty value has no elements; an empty element is an error.
pub(crate) fn list_elements(value: &Bytes) -> impl Iterator<Item = Result<Bytes, usize>> + '_ {
    let empty = text::trim(value).is_empty();
    text::split(value, b',')
        .filter(move |_| !empty)
        .map(move |(off, p)| {
            let t = text::trim(p);
            if t.is_empty() {
                Err(off)
            } else {
                Ok(value.slice_ref(t))
            }
        })
}

fn decode_all<H: TypedHeader>(value: &Bytes) -> impl Iterator<Item = Result<H, HeaderError>> + '_ {
    let (single, list) = if H::LIST {
        (None, Some(list_elements(value)))
    } else {
        (Some(value), None)
    };
    single
        .into_iter()
        .map(|v| H::decode(v))
        .chain(list.into_iter().flatten().map(|e| match e {
            Ok(v) => H::decode(&v),
            Err(off) => Err(herr::<H>(HeaderErrorKind::EmptyListElement, off)),
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
        }
    }

    /// Room for `n` lines whose values lie in `src` (see
    /// [`Headers::push_span`]).
    pub(crate) fn with_source(src: Bytes, n: usize) -> Headers {
        Headers {
            src,
            entries: Vec::with_capacity(n),
        }
    }

    /// The buffer that parsed lines point into (empty when built).
    pub(crate) fn source(&self) -> &Bytes {
        &self.src
    }

    /// Sets the buffer that the lines pushed by [`Headers::push_span`]
    /// point into (a parser pushes them first and hands the buffer over
    /// last).
    pub(crate) fn set_source(&mut self, src: Bytes) {
        self.src = src;
    }

    pub(crate) fn push_raw(&mut self, name: HeaderName, value: Bytes, compact: bool) {
        self.entries.push(Entry::owned(name, value, compact));
    }

    /// Appends a line whose value is `src[start..end]` of the source given
    /// to [`Headers::with_source`]. `src` is that buffer (it may be handed
    /// over only later, with [`Headers::set_source`]); a line beyond 2 GiB
    /// into it is kept as its own slice.
    #[inline]
    pub(crate) fn push_span(
        &mut self,
        src: &Bytes,
        name: HeaderName,
        start: usize,
        end: usize,
        compact: bool,
    ) {
        match (u32::try_from(start), u32::try_from(end)) {
            (Ok(start), Ok(end)) if end < COMPACT => self.entries.push(Entry {
                value: OnceLock::new(),
                name,
                start,
                end: if compact { end | COMPACT } else { end },
            }),
            _ => {
                let value = src
                    .get(start..end)
                    .map_or_else(Bytes::new, |_| src.slice(start..end));
                self.push_raw(name, value, compact);
            }
        }
    }

    /// Makes every compact name print in full from now on (RFC 3261 7.3.3
    /// "expand on request"); names compare equal either way.
    pub fn expand_compact_names(&mut self) {
        for e in &mut self.entries {
            e.expand();
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
        self.entries.iter().map(|e| (&e.name, e.value(&self.src)))
    }

    /// The first value of `name`.
    pub fn get(&self, name: &HeaderName) -> Option<&Bytes> {
        self.entries
            .iter()
            .find(|e| e.name == *name)
            .map(|e| e.value(&self.src))
    }

    /// Every line's value for `name`, in order.
    pub fn get_all<'a>(&'a self, name: &'a HeaderName) -> impl Iterator<Item = &'a Bytes> + 'a {
        self.entries
            .iter()
            .filter(move |e| e.name == *name)
            .map(|e| e.value(&self.src))
    }

    /// True when a line named `name` is present.
    pub fn contains(&self, name: &HeaderName) -> bool {
        self.entries.iter().any(|e| e.name == *name)
    }

    /// How many lines are named `name`.
    pub fn count(&self, name: &HeaderName) -> usize {
        self.entries.iter().filter(|e| e.name == *name).count()
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
        match self.entries.iter().position(|e| e.name == name) {
            Some(i) => {
                if let Some(e) = self.entries.get_mut(i) {
                    e.value = OnceLock::from(value);
                    e.expand();
                }
                let mut n = 0usize;
                self.entries.retain(|e| {
                    let keep = e.name != name || n == i;
                    n += 1;
                    keep
                });
            }
            None => self.push(name, value),
        }
    }

    /// Removes every line named `name`; returns how many.
    pub fn remove(&mut self, name: &HeaderName) -> usize {
        let before = self.entries.len();
        self.entries.retain(|e| e.name != *name);
        before - self.entries.len()
    }

    /// Removes the first value of the first line named `name` and returns
    /// it, trimmed: the whole line when it holds one value; otherwise the
    /// first element of its comma-separated list (commas in quoted strings
    /// and `<...>` do not count), the rest staying where the line was. For
    /// the top Via, see [`Response::pop_via`](crate::Response::pop_via).
    pub fn pop_first(&mut self, name: &HeaderName) -> Option<Bytes> {
        let i = self.entries.iter().position(|e| e.name == *name)?;
        let value = self.entries.get(i)?.value(&self.src).clone();
        let mut parts = text::split(&value, b',');
        let first = parts.next().map(|(_, p)| text::trim(p)).unwrap_or_default();
        let first = value.slice_ref(first);
        let rest = parts
            .next()
            .map(|(at, _)| text::trim(value.get(at..).unwrap_or_default()))
            .unwrap_or_default();
        if rest.is_empty() {
            self.entries.remove(i);
        } else if let Some(e) = self.entries.get_mut(i) {
            e.value = OnceLock::from(value.slice_ref(rest));
        }
        Some(first)
    }

    /// Inserts a line at the top (as a proxy adds its Via).
    pub fn prepend(&mut self, name: HeaderName, value: impl Into<Bytes>) {
        self.entries
            .insert(0, Entry::owned(name, value.into(), false));
    }

    /// The first value of a typed header (the first element of the first
    /// line for list headers), decoded; `Ok(None)` when absent.
    pub fn typed<H: TypedHeader>(&self) -> Result<Option<H>, HeaderError> {
        for e in self.entries.iter().filter(|e| e.name == H::NAME) {
            // Decoded where the value lies: its own `Bytes` once it has
            // one (set or unfolded), else the message buffer.
            let (src, range) = match e.value.get() {
                Some(v) => (v, 0..v.len()),
                None => (&self.src, e.range()),
            };
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
            .filter(|e| e.name == H::NAME)
            .flat_map(|e| decode_all::<H>(e.value(&self.src)))
    }

    /// Every value of a typed header, collected; the first error stops it.
    pub fn typed_all<H: TypedHeader>(&self) -> Result<Vec<H>, HeaderError> {
        self.typed_iter().collect()
    }

    /// Writes `Name: value CRLF` lines as received (compact names stay
    /// compact).
    pub fn write(&self, out: &mut Vec<u8>) {
        for e in &self.entries {
            match e.name.compact() {
                Some(c) if e.compact() => out.push(c),
                _ => out.extend_from_slice(e.name.as_bytes()),
            }
            out.extend_from_slice(b": ");
            out.extend_from_slice(e.bytes(&self.src));
            out.extend_from_slice(b"\r\n");
        }
    }

    /// Writes the canonical form: full names; values of the headers this
    /// crate decodes printed from their typed form (list elements joined by
    /// `, `); other values as received.
    pub fn write_canonical(&self, out: &mut Vec<u8>) {
        for e in &self.entries {
            out.extend_from_slice(e.name.as_bytes());
            out.extend_from_slice(b": ");
            let mark = out.len();
            match types::canonical_value(&e.name, e.value(&self.src), out) {
                Some(Ok(())) => {}
                Some(Err(_)) | None => {
                    out.truncate(mark);
                    out.extend_from_slice(e.bytes(&self.src));
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
            if let Some(r) = types::canonical_value(&e.name, e.value(&self.src), &mut scratch) {
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
        // Twelve of them fit glibc's small-size cache (1,032 bytes).
        assert_eq!(std::mem::size_of::<Entry>(), 80);
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
