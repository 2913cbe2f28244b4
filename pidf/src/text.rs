//! [`Text`]: the string type of the model's text (identifiers, URIs,
//! notes, attribute values, character data).

use std::borrow::{Borrow, Cow};
use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;
use std::sync::Arc;

use arrayvec::ArrayString;

/// How many bytes a [`Text`] keeps in place.
pub(crate) const INLINE: usize = 24;

/// A string of the presence model, read like a `&str`.
///
/// Most text in a presence document is short: tuple ids, language tags,
/// `open`, a timestamp, a SIP URI, a one-line note. A `Text` keeps up to
/// 24 bytes in place, so reading a document allocates nothing for them.
/// Static text (the vocabularies' namespace URIs, the white space that
/// indents documents) is borrowed, and longer text is shared: cloning a
/// `Text` never copies more than its 32 bytes.
///
/// It compares, orders and hashes as the `str` it holds, and converts
/// from `&str`, `String` and `Cow<str>`:
///
/// ```
/// use pidf::Text;
///
/// let id: Text = "t1".into();
/// assert_eq!(id, "t1");
/// assert_eq!(id.len(), 2);
/// assert!(id.starts_with('t'));
///
/// let long = Text::from("x".repeat(100));
/// let copy = long.clone(); // shares the 100 bytes
/// assert_eq!(copy, long);
/// assert_eq!(String::from(copy), "x".repeat(100));
/// ```
#[derive(Clone)]
pub struct Text(Repr);

#[derive(Clone)]
enum Repr {
    /// Read back without validating UTF-8 again, which a byte buffer of
    /// our own would need (this workspace has no `unsafe`).
    Inline(ArrayString<INLINE>),
    Static(&'static str),
    Shared(Arc<str>),
}

impl Text {
    /// The empty text.
    pub const EMPTY: Text = Text(Repr::Static(""));

    /// An empty text kept in place, to build short text in with
    /// [`Text::push_str`] without allocating (which [`Text::EMPTY`], being
    /// static, would on the first push).
    pub(crate) const fn inline_empty() -> Text {
        Text(Repr::Inline(ArrayString::new_const()))
    }

    /// `s` as a `Text`: in place when it is short, else in one shared
    /// allocation.
    pub fn new(s: &str) -> Text {
        match ArrayString::from(s) {
            Ok(inline) => Text(Repr::Inline(inline)),
            Err(_) => Text(Repr::Shared(Arc::from(s))),
        }
    }

    /// A `Text` borrowing `s` for ever: no copy, no allocation.
    ///
    /// ```
    /// use pidf::Text;
    /// const OPEN: Text = Text::from_static("open");
    /// assert_eq!(OPEN, "open");
    /// ```
    pub const fn from_static(s: &'static str) -> Text {
        Text(Repr::Static(s))
    }

    /// The text.
    #[inline]
    pub fn as_str(&self) -> &str {
        match &self.0 {
            Repr::Inline(s) => s,
            Repr::Static(s) => s,
            Repr::Shared(s) => s,
        }
    }

    /// Appends `s`, in place while the whole fits the 24 bytes kept there.
    ///
    /// ```
    /// use pidf::Text;
    /// let mut t = Text::from("Service 0 ");
    /// t.push_str("& friends");
    /// assert_eq!(t, "Service 0 & friends");
    /// ```
    pub fn push_str(&mut self, s: &str) {
        if let Repr::Inline(inline) = &mut self.0 {
            if inline.try_push_str(s).is_ok() {
                return;
            }
        }
        let mut whole = String::with_capacity(self.len() + s.len());
        whole.push_str(self);
        whole.push_str(s);
        *self = Text::from(whole);
    }

    /// Whether the text lives in an allocation of its own (it is longer
    /// than the 24 bytes kept in place, and not static).
    ///
    /// ```
    /// use pidf::Text;
    /// assert!(!Text::from("sip:alice@example.com").is_shared());
    /// assert!(Text::from("urn:uuid:d27459b7-8213-4395-aa77-ed859a3e5b00").is_shared());
    /// ```
    pub fn is_shared(&self) -> bool {
        matches!(self.0, Repr::Shared(_))
    }
}

impl Default for Text {
    fn default() -> Text {
        Text::EMPTY
    }
}

impl Deref for Text {
    type Target = str;
    #[inline]
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for Text {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<[u8]> for Text {
    fn as_ref(&self) -> &[u8] {
        self.as_str().as_bytes()
    }
}

impl Borrow<str> for Text {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl From<&str> for Text {
    fn from(s: &str) -> Text {
        Text::new(s)
    }
}

impl From<&String> for Text {
    fn from(s: &String) -> Text {
        Text::new(s)
    }
}

// An `Arc<str>` made from a `String` or a `Box<str>` copies it anyway (the
// reference counts come first), so those are no cheaper than a `&str`.
impl From<String> for Text {
    fn from(s: String) -> Text {
        Text::new(&s)
    }
}

impl From<Box<str>> for Text {
    fn from(s: Box<str>) -> Text {
        Text::new(&s)
    }
}

impl From<Arc<str>> for Text {
    /// Shares `s` (no copy) unless it is short enough to keep in place.
    fn from(s: Arc<str>) -> Text {
        if s.len() <= INLINE {
            Text::new(&s)
        } else {
            Text(Repr::Shared(s))
        }
    }
}

impl From<Cow<'_, str>> for Text {
    fn from(s: Cow<'_, str>) -> Text {
        match s {
            Cow::Borrowed(b) => Text::new(b),
            Cow::Owned(o) => Text::from(o),
        }
    }
}

impl From<&Text> for Text {
    fn from(t: &Text) -> Text {
        t.clone()
    }
}

impl From<Text> for String {
    fn from(t: Text) -> String {
        t.as_str().to_owned()
    }
}

impl From<&Text> for String {
    fn from(t: &Text) -> String {
        t.as_str().to_owned()
    }
}

impl PartialEq for Text {
    fn eq(&self, other: &Text) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for Text {}

impl PartialEq<str> for Text {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Text {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<String> for Text {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other.as_str()
    }
}

impl PartialEq<Text> for str {
    fn eq(&self, other: &Text) -> bool {
        self == other.as_str()
    }
}

impl PartialEq<Text> for &str {
    fn eq(&self, other: &Text) -> bool {
        *self == other.as_str()
    }
}

impl PartialEq<Text> for String {
    fn eq(&self, other: &Text) -> bool {
        self.as_str() == other.as_str()
    }
}

impl PartialOrd for Text {
    fn partial_cmp(&self, other: &Text) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Text {
    fn cmp(&self, other: &Text) -> Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl Hash for Text {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.as_str(), f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::hash_map::DefaultHasher;

    fn hash<T: Hash + ?Sized>(t: &T) -> u64 {
        let mut h = DefaultHasher::new();
        t.hash(&mut h);
        h.finish()
    }

    #[test]
    fn every_form_reads_back_and_compares_as_its_str() {
        let long = "9".repeat(INLINE + 1);
        for s in [
            "",
            "0.5",
            "2005-10-27T16:49:00Z",
            &"9".repeat(INLINE),
            &long,
            "é€𝄞",
        ] {
            let forms = [
                Text::new(s),
                Text::from(s.to_owned()),
                Text::from(Box::<str>::from(s)),
                Text::from(Arc::<str>::from(s)),
                Text::from(Cow::Borrowed(s)),
            ];
            for t in &forms {
                assert_eq!(t.as_str(), s);
                assert_eq!(t.is_shared(), s.len() > INLINE, "{s}");
                assert_eq!(*t, forms[0]);
                assert_eq!(hash(t), hash(s));
                assert_eq!(t.cmp(&forms[0]), Ordering::Equal);
                assert_eq!(format!("{t}"), s);
                assert_eq!(format!("{t:?}"), format!("{s:?}"));
            }
        }
        assert_ne!(Text::new("1"), Text::new("1.0"));
        assert!(Text::new("a") < Text::new("b"));
        assert_eq!(Text::default(), "");
        assert_eq!(Text::from_static("open"), Text::new("open"));
    }

    #[test]
    fn text_of_every_length_reads_back_whole() {
        let source: String = ('a'..='z').chain('A'..='Z').collect();
        for n in 0..=INLINE + 2 {
            let s = &source[..n];
            let t = Text::new(s);
            assert_eq!(t.as_str(), s, "length {n}");
            assert_eq!(t.is_shared(), n > INLINE);
        }
    }

    #[test]
    fn pushed_text_reads_as_the_concatenation() {
        let pieces = [
            "",
            "a",
            "é€𝄞",
            &"x".repeat(INLINE - 1),
            "bc",
            &"y".repeat(40),
        ];
        for a in pieces {
            for b in pieces {
                for first in [
                    Text::new(a),
                    Text::from_static("s"),
                    Text::from("z".repeat(50)),
                ] {
                    let mut t = first.clone();
                    t.push_str(b);
                    let want = format!("{first}{b}");
                    assert_eq!(t, want.as_str());
                    assert_eq!(t.is_shared(), want.len() > INLINE, "{want}");
                }
            }
        }
    }

    #[test]
    fn a_clone_of_long_text_shares_it() {
        let t = Text::from("x".repeat(64));
        let c = t.clone();
        assert!(std::ptr::eq(t.as_ptr(), c.as_ptr()));
        let short = Text::from("short");
        assert!(!std::ptr::eq(short.as_ptr(), short.clone().as_ptr()));
    }

    #[test]
    fn text_is_as_large_as_four_words() {
        assert_eq!(std::mem::size_of::<Text>(), 32);
        assert_eq!(std::mem::size_of::<Option<Text>>(), 32);
    }
}
