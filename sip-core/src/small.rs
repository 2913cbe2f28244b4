//! Short byte strings kept in place: the parts of a parsed URI or header
//! value that are usually a few bytes long (a display name, a user part,
//! parameters such as `tag=1928301774`).
//!
//! A part sliced out of the message buffer as `Bytes` costs an atomic
//! increment of the buffer's reference count, and its drop a decrement:
//! about 13 ns a pair on the development machine, which is more than
//! copying a few bytes. A [`Small`] copies up to [`INLINE`] bytes into
//! itself and shares the buffer only for longer text, in the 32 bytes a
//! `Bytes` takes.
#![cfg_attr(
    not(test),
    deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)
)]

use bytes::Bytes;
use std::fmt;
use std::hash::{Hash, Hasher};

/// How many bytes are kept in place. With the length byte this fills the
/// room a `Bytes` takes, so a `Small` is no larger than one.
pub(crate) const INLINE: usize = 23;

/// The length byte of [`Small::NONE`].
const ABSENT: u8 = u8::MAX;

/// Up to [`INLINE`] bytes in place, or a shared `Bytes`; also "absent"
/// ([`Small::NONE`]), so an optional part needs no `Option` around it
/// (which would make it 8 bytes larger).
#[derive(Clone)]
pub(crate) enum Small {
    /// The bytes themselves; `len` is [`ABSENT`] for no value.
    Inline { len: u8, buf: [u8; INLINE] },
    /// Longer text, sharing its buffer.
    Shared(Bytes),
}

impl Small {
    /// No value.
    pub(crate) const NONE: Small = Small::Inline {
        len: ABSENT,
        buf: [0; INLINE],
    };

    /// The empty value.
    pub(crate) const EMPTY: Small = Small::Inline {
        len: 0,
        buf: [0; INLINE],
    };

    /// `src[start..end]`, copied when short, else a slice sharing `src`;
    /// empty when the range is not in `src`.
    #[inline]
    pub(crate) fn from_src(src: &Bytes, start: usize, end: usize) -> Small {
        match src.get(start..end) {
            Some(s) if s.len() <= INLINE => Small::inline_at(src, start, s),
            Some(_) => Small::Shared(src.slice(start..end)),
            None => Small::EMPTY,
        }
    }

    /// `s` as [`Small::from_src`] takes it. A long `s` must lie in `src`
    /// (`Bytes::slice_ref` panics otherwise): every caller takes it from
    /// `src.get(..)`. (Checking the range here instead measured 60
    /// instructions more per message, through what the compiler then
    /// inlines.)
    #[inline]
    pub(crate) fn from_ref(src: &Bytes, s: &[u8]) -> Small {
        if s.len() <= INLINE {
            let start = (s.as_ptr() as usize).wrapping_sub(src.as_ptr() as usize);
            Small::inline_at(src, start, s)
        } else {
            Small::Shared(src.slice_ref(s))
        }
    }

    /// `s`, which is `src[start..start + s.len()]` when `start` is in
    /// `src`, in place. When the buffer goes on for [`INLINE`] bytes from
    /// `start`, all of them are copied: a copy of a fixed size is a few
    /// register moves, where one of `s.len()` bytes is a `memcpy` call
    /// (20 calls per INVITE parsed and read typed, 9 this way, and 128
    /// instructions fewer). The bytes past the length are never read.
    #[inline]
    fn inline_at(src: &[u8], start: usize, s: &[u8]) -> Small {
        let window = src
            .get(start..)
            .filter(|w| w.as_ptr() == s.as_ptr())
            .and_then(|w| w.get(..INLINE))
            .and_then(|w| <[u8; INLINE]>::try_from(w).ok());
        match window {
            Some(buf) => Small::Inline {
                // At most INLINE, checked by the callers.
                len: u8::try_from(s.len()).unwrap_or(0),
                buf,
            },
            None => Small::copy(s),
        }
    }

    /// A built value from borrowed bytes: copied in place when short,
    /// else into a `Bytes` of its own.
    pub(crate) fn from_slice(s: &[u8]) -> Small {
        if s.len() <= INLINE {
            Small::copy(s)
        } else {
            Small::Shared(Bytes::copy_from_slice(s))
        }
    }

    /// A built value: copied when short (the vector is dropped), else
    /// taken over without a copy.
    pub(crate) fn from_vec(v: Vec<u8>) -> Small {
        if v.len() <= INLINE {
            Small::copy(&v)
        } else {
            Small::Shared(Bytes::from(v))
        }
    }

    /// A built value (copied when short).
    pub(crate) fn from_bytes(b: Bytes) -> Small {
        if b.len() <= INLINE {
            Small::copy(&b)
        } else {
            Small::Shared(b)
        }
    }

    /// `s` in place, by a copy of its length.
    #[inline]
    fn copy(s: &[u8]) -> Small {
        let mut buf = [0u8; INLINE];
        if let Some(dst) = buf.get_mut(..s.len()) {
            dst.copy_from_slice(s);
        }
        // Callers pass at most INLINE bytes.
        let len = u8::try_from(s.len()).unwrap_or(0).min(INLINE as u8);
        Small::Inline { len, buf }
    }

    /// The bytes; `None` for [`Small::NONE`].
    #[inline]
    pub(crate) fn get(&self) -> Option<&[u8]> {
        match self {
            Small::Inline { len: ABSENT, .. } => None,
            Small::Inline { len, buf } => buf.get(..usize::from(*len)),
            Small::Shared(b) => Some(b),
        }
    }

    /// The bytes (empty for [`Small::NONE`]).
    #[inline]
    pub(crate) fn as_slice(&self) -> &[u8] {
        self.get().unwrap_or_default()
    }

    /// `sub`, a part of this value, as `Bytes`: shared with a long value's
    /// buffer, copied from a short one.
    pub(crate) fn slice_ref(&self, sub: &[u8]) -> Bytes {
        match self {
            Small::Shared(b) => b.slice_ref(sub),
            Small::Inline { .. } => Bytes::copy_from_slice(sub),
        }
    }
}

impl Default for Small {
    fn default() -> Small {
        Small::EMPTY
    }
}

impl PartialEq for Small {
    fn eq(&self, other: &Small) -> bool {
        self.get() == other.get()
    }
}

impl Eq for Small {}

impl Hash for Small {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.get().hash(state);
    }
}

impl fmt::Debug for Small {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.get() {
            None => f.write_str("None"),
            Some(b) => write!(f, "b\"{}\"", b.escape_ascii()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_text_is_copied_and_long_text_shared() {
        let src = Bytes::from(b"tag=1928301774;branch=z9hG4bK776asdhds.long".to_vec());
        let short = Small::from_src(&src, 0, 14);
        assert!(matches!(short, Small::Inline { len: 14, .. }));
        assert_eq!(short.get(), Some(&b"tag=1928301774"[..]));
        let long = Small::from_src(&src, 0, src.len());
        assert!(matches!(&long, Small::Shared(b) if b.as_ptr() == src.as_ptr()));
        assert_eq!(long.as_slice(), &src[..]);
        // Exactly INLINE bytes still fit.
        let edge = Small::from_src(&src, 0, INLINE);
        assert!(matches!(edge, Small::Inline { .. }));
        assert_eq!(edge.as_slice(), &src[..INLINE]);
        assert!(matches!(
            Small::from_src(&src, 0, INLINE + 1),
            Small::Shared(_)
        ));
        // Equal text compares and hashes equal, however it is held (the
        // first was copied with the buffer bytes after it, the second
        // alone).
        let same = Small::from_bytes(Bytes::from_static(b"tag=1928301774"));
        assert_eq!(short, same);
        let hash = |s: &Small| {
            let mut h = std::collections::hash_map::DefaultHasher::new();
            s.hash(&mut h);
            h.finish()
        };
        assert_eq!(hash(&short), hash(&same));
        assert_eq!(long, Small::from_bytes(src.clone()));
        // Absent and empty differ; a range outside the buffer is empty.
        assert_eq!(Small::NONE.get(), None);
        assert_eq!(Small::EMPTY.get(), Some(&b""[..]));
        assert_ne!(Small::NONE, Small::EMPTY);
        assert_eq!(Small::from_src(&src, 40, 99), Small::EMPTY);
        assert_eq!(Small::from_src(&src, 9, 3), Small::EMPTY);
        // A short value at the end of its buffer (no window to copy).
        let tail = Small::from_src(&src, src.len() - 4, src.len());
        assert_eq!(tail.get(), Some(&b"long"[..]));
        assert_eq!(tail, Small::from_bytes(Bytes::from_static(b"long")));
        assert_eq!(tail, Small::from_vec(b"long".to_vec()));
        assert_eq!(tail, Small::from_slice(b"long"));
        assert_eq!(long, Small::from_slice(&src));
        assert!(matches!(
            Small::from_vec(b"long".to_vec()),
            Small::Inline { len: 4, .. }
        ));
        assert_eq!(long, Small::from_vec(src.to_vec()));
        // A part given by reference, and one that is not in the buffer.
        assert_eq!(Small::from_ref(&src, &src[15..21]).as_slice(), b"branch");
        // A short part near the end of its buffer, and one from elsewhere.
        let near_end = Small::from_ref(&src, &src[src.len() - 6..]);
        assert_eq!(
            near_end.get(),
            Some(&b".long"[..]).map(|_| &src[src.len() - 6..])
        );
        assert_eq!(
            Small::from_ref(&src, b"elsewhere").get(),
            Some(&b"elsewhere"[..])
        );
        let long_ref = Small::from_ref(&src, &src[..30]);
        assert!(matches!(&long_ref, Small::Shared(b) if b.as_ptr() == src.as_ptr()));
        assert_eq!(long_ref.as_slice(), &src[..30]);
        assert_eq!(format!("{short:?}"), "b\"tag=1928301774\"");
        // Parts as Bytes: shared from a long value, copied from a short one.
        let part = long.slice_ref(&long.as_slice()[15..]);
        assert_eq!(part.as_ptr(), src[15..].as_ptr());
        assert_eq!(&short.slice_ref(&short.as_slice()[4..])[..], b"1928301774");
    }

    proptest::proptest! {
        /// However a part is taken (by range or by reference, at the end of
        /// its buffer or not, short or long), it reads back as the bytes it
        /// was taken from, and equal bytes compare and hash equal.
        #[test]
        fn a_part_reads_back_as_its_bytes(
            buf in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..80),
            a in 0usize..90,
            b in 0usize..90,
        ) {
            let src = Bytes::from(buf);
            let by_range = Small::from_src(&src, a, b);
            match src.get(a..b) {
                Some(s) => {
                    proptest::prop_assert_eq!(by_range.get(), Some(s));
                    let by_ref = Small::from_ref(&src, s);
                    proptest::prop_assert_eq!(by_ref.get(), Some(s));
                    let alone = Small::from_bytes(Bytes::copy_from_slice(s));
                    proptest::prop_assert_eq!(&alone, &by_range);
                    let hash = |x: &Small| {
                        let mut h = std::collections::hash_map::DefaultHasher::new();
                        x.hash(&mut h);
                        h.finish()
                    };
                    proptest::prop_assert_eq!(hash(&alone), hash(&by_ref));
                    proptest::prop_assert_eq!(
                        by_range.slice_ref(by_range.as_slice()),
                        Bytes::copy_from_slice(s)
                    );
                }
                None => proptest::prop_assert_eq!(by_range, Small::EMPTY),
            }
        }
    }

    #[test]
    #[cfg(target_pointer_width = "64")]
    fn as_small_as_bytes() {
        assert_eq!(std::mem::size_of::<Small>(), std::mem::size_of::<Bytes>());
    }
}
