//! Short text kept inline: the written form of a timestamp or a priority,
//! which every tuple may carry, without an allocation each.

use std::fmt;
use std::hash::{Hash, Hasher};

/// How many bytes are kept inline; longer text goes on the heap.
const INLINE: usize = 31;

/// Text of up to [`INLINE`] bytes kept in place, longer text boxed.
#[derive(Clone)]
pub(crate) enum ShortText {
    Inline { len: u8, buf: [u8; INLINE] },
    Heap(Box<str>),
}

impl ShortText {
    pub(crate) fn new(s: &str) -> ShortText {
        let b = s.as_bytes();
        match (u8::try_from(b.len()), b.len() <= INLINE) {
            (Ok(len), true) => {
                let mut buf = [0u8; INLINE];
                if let Some(dst) = buf.get_mut(..b.len()) {
                    dst.copy_from_slice(b);
                }
                ShortText::Inline { len, buf }
            }
            _ => ShortText::Heap(s.into()),
        }
    }

    pub(crate) fn as_str(&self) -> &str {
        match self {
            // Copied from a `&str` whole: always UTF-8.
            ShortText::Inline { len, buf } => buf
                .get(..usize::from(*len))
                .and_then(|b| std::str::from_utf8(b).ok())
                .unwrap_or_default(),
            ShortText::Heap(s) => s,
        }
    }
}

impl PartialEq for ShortText {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for ShortText {}

impl Hash for ShortText {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl fmt::Debug for ShortText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_and_long_text_read_back_the_same() {
        for s in [
            "",
            "0.5",
            "2005-10-27T16:49:00Z",
            &"9".repeat(31),
            &"9".repeat(32),
            "é€𝄞",
        ] {
            let t = ShortText::new(s);
            assert_eq!(t.as_str(), s);
            assert_eq!(
                matches!(t, ShortText::Inline { .. }),
                s.len() <= INLINE,
                "{s}"
            );
            assert_eq!(t, ShortText::new(s));
        }
        assert_ne!(ShortText::new("1"), ShortText::new("1.0"));
    }
}
