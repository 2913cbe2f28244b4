//! A small lossless XML tree, shared by the workspace's document crates.
//!
//! Presence documents, policy documents and resource lists are all
//! extensible: any element may carry children and attributes from namespaces
//! nobody here has heard of, and a server must hand them on unchanged. The
//! typed models (`Presence`, the policy rules, RLMI) keep what they do not
//! understand as [`Element`]s of this tree and write them back in place.
//!
//! Parsing is hardened for input from the wire:
//! - a document with a `<!DOCTYPE>` is refused, so neither entity
//!   declarations ("billion laughs") nor external entities can exist; the only
//!   entity references accepted are the five predefined ones and character
//!   references (XML 1.0 section 4.6);
//! - size, depth, element count and attributes per element are capped by
//!   [`Limits`], checked before anything grows;
//! - namespaces are resolved to URIs while parsing (Namespaces in XML 1.0);
//!   an undeclared prefix is an error. Code compares names by URI, never by
//!   prefix, while the prefixes and declarations themselves are kept so the
//!   document is written back as it came.
//!
//! Text reads as XML 1.0 says a processor hands it on: line ends are
//! normalized (section 2.11: CR LF and a lone CR become LF, in text,
//! CDATA, comments and processing instructions), and in attribute values
//! each literal tab, line feed or CR becomes a space (section 3.3.3, a CR LF
//! pair one space). Both happen before references are resolved, so `&#13;`
//! and `&#10;` keep their characters; the writer escapes those characters
//! as references, so they survive the next parse.
//!
//! ```
//! use pidf::xml::{Document, Limits};
//!
//! let doc = Document::parse(
//!     br#"<a xmlns="urn:x" xmlns:e="urn:ext"><e:b n="1">hi &amp; bye</e:b></a>"#,
//!     &Limits::default(),
//! )?;
//! let b = doc.root.child("urn:ext", "b").expect("b is there");
//! assert_eq!(b.attr("n"), Some("1"));
//! assert_eq!(b.text(), "hi & bye");
//! assert_eq!(
//!     doc.to_xml_string(),
//!     r#"<a xmlns="urn:x" xmlns:e="urn:ext"><e:b n="1">hi &amp; bye</e:b></a>"#
//! );
//! # Ok::<(), pidf::xml::XmlError>(())
//! ```

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use crate::text::Text;

use quick_xml::events::{BytesStart, Event};
use quick_xml::name::ResolveResult;
use quick_xml::NsReader;

/// Caps applied while parsing a document from untrusted input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest document accepted, in bytes.
    pub max_size: usize,
    /// Deepest element nesting accepted (the root is at depth 1).
    pub max_depth: usize,
    /// Most elements accepted in one document.
    pub max_elements: usize,
    /// Most attributes (namespace declarations included) on one element.
    pub max_attributes: usize,
}

impl Default for Limits {
    /// 1 MiB, depth 64, 20,000 elements, 64 attributes per element: far above
    /// any presence or policy document seen in practice.
    fn default() -> Self {
        Limits {
            max_size: 1 << 20,
            max_depth: 64,
            max_elements: 20_000,
            max_attributes: 64,
        }
    }
}

/// What went wrong while parsing an XML document.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum XmlErrorKind {
    /// The document is larger than [`Limits::max_size`].
    #[error("document larger than {limit} bytes")]
    TooLarge {
        /// The cap that was exceeded.
        limit: usize,
    },
    /// Elements nest deeper than [`Limits::max_depth`].
    #[error("elements nested deeper than {limit}")]
    TooDeep {
        /// The cap that was exceeded.
        limit: usize,
    },
    /// More elements than [`Limits::max_elements`].
    #[error("more than {limit} elements")]
    TooManyElements {
        /// The cap that was exceeded.
        limit: usize,
    },
    /// An element carries more attributes than [`Limits::max_attributes`].
    #[error("more than {limit} attributes on one element")]
    TooManyAttributes {
        /// The cap that was exceeded.
        limit: usize,
    },
    /// The document has a document type declaration; refused so that no
    /// entity can be declared.
    #[error("DOCTYPE declarations are refused")]
    Doctype,
    /// A reference to an entity other than the five predefined ones.
    #[error("reference to undeclared entity")]
    UnknownEntity,
    /// A prefix that no namespace declaration in scope binds.
    #[error("undeclared namespace prefix")]
    UnboundPrefix,
    /// Text that is not UTF-8, or an encoding other than UTF-8 declared.
    #[error("not UTF-8")]
    Encoding,
    /// No root element.
    #[error("no root element")]
    NoRoot,
    /// Content after the root element other than comments, processing
    /// instructions and white space.
    #[error("content after the root element")]
    TrailingContent,
    /// A character XML 1.0 (section 2.2, `Char`) allows nowhere in a
    /// document, written raw or as a character reference: a C0 control
    /// other than tab, line feed and carriage return, or U+FFFE or U+FFFF.
    #[error("character not allowed in XML (a control character, U+FFFE or U+FFFF)")]
    ForbiddenChar,
    /// Any other well-formedness error, as the tokenizer describes it.
    #[error("malformed XML: {0}")]
    Syntax(String),
}

/// An XML parse error: what went wrong and the byte offset where it was seen.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind} (at byte {offset})")]
pub struct XmlError {
    /// What went wrong.
    pub kind: XmlErrorKind,
    /// Byte offset into the input near which it was detected.
    pub offset: u64,
}

/// The namespace URIs of the vocabularies this workspace reads, which a
/// [`Ns`] holds as static strings.
const KNOWN_NAMESPACES: &[&str] = &[
    "urn:ietf:params:xml:ns:pidf",
    "urn:ietf:params:xml:ns:pidf:data-model",
    "urn:ietf:params:xml:ns:pidf:rpid",
    "urn:ietf:params:xml:ns:pidf:cipid",
    "urn:ietf:params:xml:ns:pidf:timed-status",
    "urn:ietf:params:xml:ns:pidf:caps",
    "urn:ietf:params:xml:ns:pidf-diff",
    "urn:ietf:params:xml:ns:location-type",
    "urn:ietf:params:xml:ns:pidf:geopriv10",
    "urn:ietf:params:xml:ns:common-policy",
    "urn:ietf:params:xml:ns:pres-rules",
    "urn:ietf:params:xml:ns:resource-lists",
    "urn:ietf:params:xml:ns:rls-services",
    "urn:ietf:params:xml:ns:rlmi",
    "urn:ietf:params:xml:ns:watcherinfo",
    "urn:ietf:params:xml:ns:im-iscomposing",
    "urn:ietf:params:xml:ns:imdn",
    XML_NS,
];

/// A namespace URI, as a [`Name`] holds it.
///
/// The URIs of the vocabularies this workspace reads (PIDF and its
/// extensions, common-policy and pres-rules, resource lists, RLMI, watcher
/// information, isComposing, IMDN and the `xml` namespace) are static
/// strings, so a name in one of them is cloned and dropped without touching
/// a reference count; any other URI is shared, one allocation for all the
/// names of a document that use it. Either way it compares, hashes and
/// dereferences as the URI's text.
///
/// ```
/// use pidf::xml::Ns;
/// let rpid = Ns::new("urn:ietf:params:xml:ns:pidf:rpid");
/// assert_eq!(rpid, "urn:ietf:params:xml:ns:pidf:rpid");
/// assert!(rpid.is_static());
/// let other = Ns::new("urn:example:vendor");
/// assert!(!other.is_static());
/// assert_eq!(&*other, "urn:example:vendor");
/// ```
#[derive(Clone)]
pub struct Ns(NsRepr);

#[derive(Clone)]
enum NsRepr {
    Static(&'static str),
    Shared(Arc<str>),
}

impl Ns {
    /// The namespace `uri`: static when it is a known one, else a new
    /// shared allocation.
    pub fn new(uri: &str) -> Ns {
        match Ns::known(uri) {
            Some(ns) => ns,
            None => Ns(NsRepr::Shared(Arc::from(uri))),
        }
    }

    /// A static `Ns` for a URI known at compile time (no lookup).
    pub(crate) const fn from_static(uri: &'static str) -> Ns {
        Ns(NsRepr::Static(uri))
    }

    /// The static `Ns` for `uri` when it is one of the known namespaces.
    pub(crate) fn known(uri: &str) -> Option<Ns> {
        KNOWN_NAMESPACES
            .iter()
            .find(|k| **k == uri)
            .map(|k| Ns(NsRepr::Static(k)))
    }

    /// The URI.
    pub fn as_str(&self) -> &str {
        match &self.0 {
            NsRepr::Static(s) => s,
            NsRepr::Shared(s) => s,
        }
    }

    /// Whether the URI is one of the static known ones (cloning it costs
    /// no reference count).
    pub fn is_static(&self) -> bool {
        matches!(self.0, NsRepr::Static(_))
    }
}

impl From<&Ns> for Text {
    /// The URI as text: borrowed when the namespace is a known one,
    /// sharing its allocation otherwise.
    fn from(ns: &Ns) -> Text {
        match &ns.0 {
            NsRepr::Static(s) => Text::from_static(s),
            NsRepr::Shared(s) => Text::from(Arc::clone(s)),
        }
    }
}

impl std::ops::Deref for Ns {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for Ns {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl std::borrow::Borrow<str> for Ns {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl PartialEq for Ns {
    fn eq(&self, other: &Ns) -> bool {
        match (&self.0, &other.0) {
            (NsRepr::Static(a), NsRepr::Static(b)) => std::ptr::eq(*a, *b) || a == b,
            _ => self.as_str() == other.as_str(),
        }
    }
}

impl Eq for Ns {}

impl PartialEq<str> for Ns {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Ns {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl std::hash::Hash for Ns {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl PartialOrd for Ns {
    fn partial_cmp(&self, other: &Ns) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Ns {
    fn cmp(&self, other: &Ns) -> std::cmp::Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl fmt::Debug for Ns {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for Ns {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<&str> for Ns {
    fn from(uri: &str) -> Ns {
        Ns::new(uri)
    }
}

impl From<String> for Ns {
    fn from(uri: String) -> Ns {
        Ns::new(&uri)
    }
}

impl From<Arc<str>> for Ns {
    /// Keeps the `Arc` unless the URI is a known one.
    fn from(uri: Arc<str>) -> Ns {
        Ns::known(&uri).unwrap_or(Ns(NsRepr::Shared(uri)))
    }
}

/// An expanded name: namespace URI (if any), the prefix it was written with
/// (if any), and the local part.
///
/// The prefix and local part are `Cow<'static, str>`: the names and
/// prefixes of the vocabularies this workspace reads (PIDF and its
/// extensions, common-policy and pres-rules, resource lists, RLMI and the
/// rest, see [`atom`]) are borrowed from one static table, so a parsed
/// document allocates nothing for them; any other name is owned. Their
/// namespace URIs are static too ([`Ns`]), so names are cloned and dropped
/// without a reference count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Name {
    /// Namespace URI; `None` for names in no namespace.
    pub ns: Option<Ns>,
    /// The prefix used in the source; `None` for the default namespace or no
    /// namespace. Kept for faithful output only: compare with [`Name::is`].
    pub prefix: Option<Cow<'static, str>>,
    /// The local part.
    pub local: Cow<'static, str>,
}

impl Name {
    /// A name in namespace `ns` with no prefix (written in the default
    /// namespace, declared where needed).
    pub fn new(ns: &str, local: &str) -> Self {
        Name {
            ns: Some(Ns::new(ns)),
            prefix: None,
            local: atom(local),
        }
    }

    /// A name in no namespace (the usual case for attributes).
    pub fn local(local: &str) -> Self {
        Name {
            ns: None,
            prefix: None,
            local: atom(local),
        }
    }

    /// A name in namespace `ns`, written with `prefix`.
    pub fn prefixed(ns: &str, prefix: &str, local: &str) -> Self {
        Name {
            ns: Some(Ns::new(ns)),
            prefix: Some(atom(prefix)),
            local: atom(local),
        }
    }

    /// Whether this is `{ns}local` (compared by URI, never by prefix).
    pub fn is(&self, ns: &str, local: &str) -> bool {
        self.local == local && self.ns.as_deref() == Some(ns)
    }

    /// The namespace URI, or `""` for no namespace.
    pub fn ns_str(&self) -> &str {
        self.ns.as_deref().unwrap_or("")
    }
}

/// The element and attribute names, values used as element names, and
/// usual prefixes of the vocabularies the workspace reads: PIDF (RFC 3863),
/// the data model, RPID, CIPID, timed status and capabilities (RFC 4479 to
/// 4482, 5196), pidf-diff (RFC 5262), common-policy and pres-rules
/// (RFC 4745, 5025), resource lists and rls-services (RFC 4826), RLMI
/// (RFC 4662), watcher information (RFC 3858), isComposing (RFC 3994) and
/// IMDN (RFC 5438). Sorted, no duplicates (a test checks).
pub(crate) const ATOMS: &[&str] = &[
    "actions",
    "active",
    "activities",
    "actor",
    "add",
    "afraid",
    "all-devices",
    "all-persons",
    "all-services",
    "amazed",
    "anchor",
    "angry",
    "annoyed",
    "anxious",
    "application",
    "appointment",
    "ashamed",
    "assistant",
    "associate",
    "audio",
    "automata",
    "away",
    "basic",
    "bored",
    "brave",
    "breakfast",
    "busy",
    "c",
    "calm",
    "caps",
    "card",
    "cid",
    "cipid",
    "class",
    "closed",
    "cold",
    "conditions",
    "confused",
    "contact",
    "contented",
    "contenttype",
    "control",
    "courier",
    "cp",
    "cr",
    "cranky",
    "curious",
    "dark",
    "data",
    "datetime",
    "delivered",
    "delivery-notification",
    "depressed",
    "description",
    "devcaps",
    "device",
    "deviceID",
    "dinner",
    "disappointed",
    "disgusted",
    "display-name",
    "display-notification",
    "displayed",
    "distracted",
    "dm",
    "domain",
    "duplex",
    "duration-subscribed",
    "e",
    "e-package",
    "electronic",
    "embarrassed",
    "entity",
    "entry",
    "entry-ref",
    "ep",
    "error",
    "es",
    "event",
    "event-packages",
    "except",
    "excited",
    "expiration",
    "extensions",
    "external",
    "failed",
    "family",
    "fixed",
    "flirtatious",
    "forbidden",
    "freight",
    "friend",
    "from",
    "frustrated",
    "full",
    "fullState",
    "grumpy",
    "guilty",
    "half",
    "happy",
    "holiday",
    "home",
    "homepage",
    "hot",
    "humbled",
    "humiliated",
    "hungry",
    "hurt",
    "icon",
    "id",
    "identity",
    "idle",
    "idle-threshold",
    "imdn",
    "impressed",
    "in-person",
    "in-transit",
    "in_awe",
    "in_love",
    "inappropriate",
    "indignant",
    "instance",
    "interested",
    "invincible",
    "is-focus",
    "isComposing",
    "jealous",
    "lang",
    "language",
    "languages",
    "last-input",
    "lastactive",
    "list",
    "lonely",
    "looking-for-work",
    "lt",
    "many",
    "map",
    "meal",
    "mean",
    "meeting",
    "message",
    "message-id",
    "method",
    "methods",
    "mobile",
    "mobility",
    "mood",
    "moody",
    "name",
    "nervous",
    "neutral",
    "noisy",
    "note",
    "notsupported",
    "ns",
    "occurrence-id",
    "offended",
    "ok",
    "on-the-phone",
    "one",
    "op",
    "open",
    "original-recipient-uri",
    "other",
    "p",
    "package",
    "packages",
    "pdm",
    "performance",
    "permanent-absence",
    "person",
    "pidf-diff",
    "pidf-full",
    "place-is",
    "place-type",
    "playful",
    "playing",
    "pos",
    "postal",
    "pr",
    "presence",
    "presentation",
    "priority",
    "privacy",
    "processed",
    "processing-notification",
    "proud",
    "provide-activities",
    "provide-all-attributes",
    "provide-class",
    "provide-deviceID",
    "provide-devices",
    "provide-mood",
    "provide-note",
    "provide-persons",
    "provide-place-is",
    "provide-place-type",
    "provide-privacy",
    "provide-relationship",
    "provide-services",
    "provide-sphere",
    "provide-status-icon",
    "provide-time-offset",
    "provide-unknown-attribute",
    "provide-user-input",
    "provide-willingness",
    "quiet",
    "r",
    "reason",
    "receive-only",
    "recipient-uri",
    "ref",
    "refresh",
    "relationship",
    "remove",
    "replace",
    "resource",
    "resource-list",
    "resource-lists",
    "rl",
    "rls-services",
    "rpid",
    "rule",
    "ruleset",
    "scheme",
    "schemes",
    "sel",
    "self",
    "send-only",
    "serious",
    "servcaps",
    "service",
    "service-class",
    "service-uri",
    "service-uri-scheme",
    "shopping",
    "shy",
    "since",
    "sleeping",
    "sleepy",
    "sound",
    "spectator",
    "sphere",
    "state",
    "status",
    "status-icon",
    "steering",
    "stored",
    "stressed",
    "sub-handling",
    "subject",
    "supervisor",
    "supported",
    "surprised",
    "text",
    "thirsty",
    "time-offset",
    "timed-status",
    "timestamp",
    "toobright",
    "transformations",
    "travel",
    "ts",
    "tuple",
    "tv",
    "type",
    "uncomfortable",
    "unknown",
    "until",
    "uri",
    "user-input",
    "vacation",
    "validity",
    "value",
    "version",
    "video",
    "watcher",
    "watcher-list",
    "watcherinfo",
    "work",
    "working",
    "worried",
    "worship",
    "xml",
    "xs",
    "xsi",
];

/// Slots of [`ATOM_SLOTS`]: a power of two, over three times the atoms.
const ATOM_SLOTS_LEN: usize = 1024;

/// Where the search for `s` starts in [`ATOM_SLOTS`]: a hash of its
/// length and its first, middle and last bytes, cheap and spread enough
/// for the vocabularies' names.
#[allow(clippy::indexing_slicing)] // indexes below the length, checked
const fn atom_hash(s: &[u8]) -> usize {
    let n = s.len();
    if n == 0 {
        return 0;
    }
    let v = (n as u32).wrapping_mul(0x9E37)
        ^ ((s[0] as u32) << 8)
        ^ (s[n - 1] as u32)
        ^ ((s[n / 2] as u32) << 4);
    (v.wrapping_mul(0x2545_F491) >> 22) as usize & (ATOM_SLOTS_LEN - 1)
}

/// An open-addressed table of [`ATOMS`], built at compile time: each slot
/// holds an atom's index plus one (0: empty), probed linearly from
/// [`atom_hash`].
#[allow(clippy::indexing_slicing)] // indexes masked below the length
static ATOM_SLOTS: [u16; ATOM_SLOTS_LEN] = {
    assert!(ATOMS.len() * 3 < ATOM_SLOTS_LEN && ATOMS.len() < u16::MAX as usize);
    let mut t = [0u16; ATOM_SLOTS_LEN];
    let mut i = 0;
    while i < ATOMS.len() {
        let mut h = atom_hash(ATOMS[i].as_bytes());
        while t[h] != 0 {
            h = (h + 1) & (ATOM_SLOTS_LEN - 1);
        }
        t[h] = (i + 1) as u16;
        i += 1;
    }
    t
};

/// Whether `a` and `b` hold the same bytes, compared a word at a time in
/// line: names and prefixes are short, and a call to `memcmp` costs more
/// than two loads that may overlap.
#[inline]
pub(crate) fn short_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    fn ends<const N: usize>(s: &[u8]) -> Option<([u8; N], [u8; N])> {
        Some((*s.first_chunk::<N>()?, *s.last_chunk::<N>()?))
    }
    match a.len() {
        0 => true,
        1..=3 => {
            a.first() == b.first()
                && a.get(a.len() / 2) == b.get(b.len() / 2)
                && a.last() == b.last()
        }
        4..=7 => ends::<4>(a) == ends::<4>(b),
        8..=16 => ends::<8>(a) == ends::<8>(b),
        _ => {
            // Eight bytes a step, then the last eight (which may overlap).
            let word = |c: &[u8]| c.try_into().map_or(0, u64::from_ne_bytes);
            a.chunks_exact(8)
                .zip(b.chunks_exact(8))
                .all(|(p, q)| word(p) == word(q))
                && ends::<8>(a).map(|e| e.1) == ends::<8>(b).map(|e| e.1)
        }
    }
}

/// `s` as a name part: borrowed from a static table when it is one of the
/// vocabularies' names or prefixes (no allocation), owned otherwise.
///
/// ```
/// use std::borrow::Cow;
/// use pidf::xml::atom;
/// assert!(matches!(atom("tuple"), Cow::Borrowed("tuple")));
/// assert!(matches!(atom("x-vendor-thing"), Cow::Owned(_)));
/// ```
#[inline]
pub fn atom(s: &str) -> Cow<'static, str> {
    match known_atom(s) {
        Some(a) => Cow::Borrowed(a),
        None => Cow::Owned(s.to_owned()),
    }
}

/// The static copy of `s` when it is one of [`ATOMS`]. ([`atom`] is
/// in line and this not: an `Option<&str>` comes back in registers, and
/// the `Cow` is built where the caller keeps it. A `Cow` returned through
/// memory, stored field by field and read back as wider words, stalled
/// every caller.)
fn known_atom(s: &str) -> Option<&'static str> {
    let mut h = atom_hash(s.as_bytes());
    // The table is under a third full, so every probe ends at an empty
    // slot; the bound is for form's sake.
    for _ in 0..ATOM_SLOTS_LEN {
        let slot = usize::from(ATOM_SLOTS.get(h).copied().unwrap_or(0));
        let a = *ATOMS.get(slot.checked_sub(1)?)?;
        if short_eq(a.as_bytes(), s.as_bytes()) {
            return Some(a);
        }
        h = (h + 1) & (ATOM_SLOTS_LEN - 1);
    }
    None
}

/// A namespace declaration written on an element (`xmlns` or `xmlns:p`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NsDecl {
    /// The declared prefix; `None` for the default namespace.
    pub prefix: Option<Text>,
    /// The namespace URI; empty to undeclare the default namespace.
    pub uri: Text,
}

impl NsDecl {
    /// A declaration of `prefix` (`None`: the default namespace) for
    /// `uri`. The URIs of the vocabularies this workspace knows (PIDF,
    /// RPID, data model, CIPID, policy, resource lists, ...) are borrowed
    /// from static text rather than copied.
    ///
    /// ```
    /// use pidf::xml::NsDecl;
    /// let d = NsDecl::new(Some("rpid"), pidf::ns::RPID);
    /// assert_eq!(d.prefix.as_deref(), Some("rpid"));
    /// assert_eq!(d.uri, pidf::ns::RPID);
    /// assert!(!d.uri.is_shared());
    /// ```
    pub fn new(prefix: Option<&str>, uri: &str) -> NsDecl {
        NsDecl {
            prefix: prefix.map(Text::from),
            uri: Text::from(&Ns::new(uri)),
        }
    }
}

/// An attribute with its expanded name and unescaped value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribute {
    /// The attribute's name; unprefixed attributes are in no namespace.
    pub name: Name,
    /// The value, entity and character references resolved.
    pub value: Text,
}

/// A node of the tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    /// A child element.
    Element(Element),
    /// Character data, references resolved. The white space that
    /// indents most documents (a line break and up to 64 spaces, or up to
    /// 16 tabs) is borrowed from a static string ([`Node::text`]), so a
    /// pretty-printed document's layout costs no allocation.
    Text(Text),
    /// A CDATA section's content.
    CData(Text),
    /// A comment's content.
    Comment(Text),
    /// A processing instruction's content (target and data).
    ProcessingInstruction(Text),
}

/// A line break and the spaces or tabs that indent the next line, the
/// shapes most text nodes between elements take.
const INDENT_SPACES: &str = "\n                                                                ";
const INDENT_TABS: &str = "\n\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t";

/// `s` as a static string when it is a line break and an indentation
/// ([`INDENT_SPACES`], [`INDENT_TABS`]).
fn indentation(s: &str) -> Option<&'static str> {
    let rest = s.strip_prefix('\n')?;
    let table = match rest.as_bytes().first() {
        None | Some(b' ') => INDENT_SPACES,
        Some(b'\t') => INDENT_TABS,
        Some(_) => return None,
    };
    let same = table.get(..s.len()).filter(|t| *t == s)?;
    Some(same)
}

impl Node {
    /// A text node for `s`, borrowing it from a static string when it is
    /// a line break and an indentation, so that no indentation of up to 64
    /// spaces or 16 tabs allocates (short text never does, see [`Text`]).
    ///
    /// ```
    /// use pidf::xml::Node;
    /// let deep = format!("\n{}", " ".repeat(48));
    /// assert!(matches!(Node::text(&deep), Node::Text(t) if !t.is_shared()));
    /// assert!(matches!(Node::text("open"), Node::Text(t) if t == "open"));
    /// ```
    pub fn text(s: &str) -> Node {
        Node::Text(match indentation(s) {
            Some(t) => Text::from_static(t),
            None => Text::new(s),
        })
    }

    /// A text node of a line break and `spaces` spaces, as a writer
    /// indents the next line; borrowed for up to 64 spaces.
    ///
    /// ```
    /// use pidf::xml::Node;
    /// assert_eq!(Node::line_and_spaces(2), Node::text("\n  "));
    /// ```
    pub fn line_and_spaces(spaces: usize) -> Node {
        match spaces.checked_add(1).and_then(|n| INDENT_SPACES.get(..n)) {
            Some(t) => Node::Text(Text::from_static(t)),
            None => Node::Text(Text::from(format!("\n{}", " ".repeat(spaces)))),
        }
    }
}

/// An element with everything it carried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Element {
    /// The element's name.
    pub name: Name,
    /// Namespace declarations written on this element, in source order.
    pub namespaces: Vec<NsDecl>,
    /// Attributes other than namespace declarations, in source order.
    pub attributes: Vec<Attribute>,
    /// Child nodes, in source order.
    pub children: Vec<Node>,
}

impl Element {
    /// An empty element `{ns}local`.
    pub fn new(ns: &str, local: &str) -> Self {
        Element::with_name(Name::new(ns, local))
    }

    /// An empty element with the given name.
    pub fn with_name(name: Name) -> Self {
        Element {
            name,
            namespaces: Vec::new(),
            attributes: Vec::new(),
            children: Vec::new(),
        }
    }

    /// Whether this element is `{ns}local`.
    pub fn is(&self, ns: &str, local: &str) -> bool {
        self.name.is(ns, local)
    }

    /// The value of the unqualified attribute `local`.
    pub fn attr(&self, local: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|a| a.name.ns.is_none() && a.name.local == local)
            .map(|a| a.value.as_str())
    }

    /// The value of the attribute `{ns}local`.
    pub fn attr_ns(&self, ns: &str, local: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|a| a.name.is(ns, local))
            .map(|a| a.value.as_str())
    }

    /// Sets (or replaces) the unqualified attribute `local`.
    pub fn set_attr(&mut self, local: &str, value: impl Into<Text>) {
        let value = value.into();
        match self
            .attributes
            .iter_mut()
            .find(|a| a.name.ns.is_none() && a.name.local == local)
        {
            Some(a) => a.value = value,
            None => self.attributes.push(Attribute {
                name: Name::local(local),
                value,
            }),
        }
    }

    /// Builder form of [`Element::set_attr`].
    pub fn with_attr(mut self, local: &str, value: impl Into<Text>) -> Self {
        self.set_attr(local, value);
        self
    }

    /// Appends a text child.
    pub fn with_text(mut self, text: impl Into<Text>) -> Self {
        self.children.push(Node::Text(text.into()));
        self
    }

    /// Appends an element child.
    pub fn with_child(mut self, child: Element) -> Self {
        self.children.push(Node::Element(child));
        self
    }

    /// The child elements, in order.
    pub fn elements(&self) -> impl Iterator<Item = &Element> {
        self.children.iter().filter_map(|n| match n {
            Node::Element(e) => Some(e),
            _ => None,
        })
    }

    /// The first child element named `{ns}local`.
    pub fn child(&self, ns: &str, local: &str) -> Option<&Element> {
        self.elements().find(|e| e.is(ns, local))
    }

    /// All child elements named `{ns}local`.
    pub fn children_named<'a>(
        &'a self,
        ns: &'a str,
        local: &'a str,
    ) -> impl Iterator<Item = &'a Element> + 'a {
        self.elements().filter(move |e| e.is(ns, local))
    }

    /// The concatenated character data of the direct children (text and
    /// CDATA), as written: white space is not trimmed.
    pub fn text(&self) -> String {
        let mut s = String::new();
        for n in &self.children {
            if let Node::Text(t) | Node::CData(t) = n {
                s.push_str(t);
            }
        }
        s
    }

    /// Writes the element (and its subtree) as XML. Namespaces that the
    /// element's names need but that no declaration in `out`'s context binds
    /// are declared on the way, so built trees serialize correctly too.
    pub fn write(&self, out: &mut Vec<u8>) {
        let mut scope = Scope::default();
        self.write_in(out, &mut scope);
    }

    /// The element as an XML string (see [`Element::write`]).
    pub fn to_xml_string(&self) -> String {
        let mut out = Vec::new();
        self.write(&mut out);
        String::from_utf8(out).unwrap_or_default()
    }

    fn write_in(&self, out: &mut Vec<u8>, scope: &mut Scope) {
        let mark = scope.bindings.len();
        out.push(b'<');
        // Declarations written in the source come first, as they came.
        let mut decls: Vec<NsDecl> = self.namespaces.clone();
        for d in &decls {
            scope.bind(d.prefix.clone(), d.uri.clone());
        }
        // Make sure the element's own name is bound.
        let elem_prefix = scope.ensure(&self.name, &mut decls, false);
        // And every attribute's.
        let attr_prefixes: Vec<Option<Cow<'static, str>>> = self
            .attributes
            .iter()
            .map(|a| scope.ensure(&a.name, &mut decls, true))
            .collect();
        push_qname(out, elem_prefix.as_deref(), &self.name.local);
        for d in &decls {
            out.extend_from_slice(b" xmlns");
            if let Some(p) = &d.prefix {
                out.push(b':');
                out.extend_from_slice(p.as_bytes());
            }
            out.extend_from_slice(b"=\"");
            escape_attr(out, &d.uri);
            out.push(b'"');
        }
        for (a, p) in self.attributes.iter().zip(&attr_prefixes) {
            out.push(b' ');
            push_qname(out, p.as_deref(), &a.name.local);
            out.extend_from_slice(b"=\"");
            escape_attr(out, &a.value);
            out.push(b'"');
        }
        if self.children.is_empty() {
            out.extend_from_slice(b"/>");
        } else {
            out.push(b'>');
            for c in &self.children {
                match c {
                    Node::Element(e) => e.write_in(out, scope),
                    Node::Text(t) => escape_text(out, t),
                    Node::CData(t) => write_cdata(out, t),
                    Node::Comment(t) => {
                        out.extend_from_slice(b"<!--");
                        out.extend_from_slice(t.as_bytes());
                        out.extend_from_slice(b"-->");
                    }
                    Node::ProcessingInstruction(t) => {
                        out.extend_from_slice(b"<?");
                        out.extend_from_slice(t.as_bytes());
                        out.extend_from_slice(b"?>");
                    }
                }
            }
            out.extend_from_slice(b"</");
            push_qname(out, elem_prefix.as_deref(), &self.name.local);
            out.push(b'>');
        }
        scope.bindings.truncate(mark);
    }

    /// Compares two trees as XML infosets, loosely enough for tests of round
    /// trips: names by namespace URI (prefixes and where namespaces are
    /// declared do not matter), attributes as a set, comments and processing
    /// instructions ignored, CDATA equal to text, adjacent text merged and
    /// white space at the ends of text ignored (so indentation does not count).
    pub fn infoset_eq(&self, other: &Element) -> bool {
        if self.name.ns != other.name.ns || self.name.local != other.name.local {
            return false;
        }
        if self.attributes.len() != other.attributes.len()
            || !self.attributes.iter().all(|a| {
                other.attributes.iter().any(|b| {
                    b.name.ns == a.name.ns && b.name.local == a.name.local && b.value == a.value
                })
            })
        {
            return false;
        }
        let (mut x, mut y) = (InfosetItems(&self.children), InfosetItems(&other.children));
        loop {
            match (x.next(), y.next()) {
                (None, None) => return true,
                (Some(InfosetItem::Text(s)), Some(InfosetItem::Text(t))) => {
                    if !s.eq_run(&t) {
                        return false;
                    }
                }
                (Some(InfosetItem::Element(e)), Some(InfosetItem::Element(f))) => {
                    if !e.infoset_eq(f) {
                        return false;
                    }
                }
                _ => return false,
            }
        }
    }
}

/// One item of an element's content as [`Element::infoset_eq`] sees it.
enum InfosetItem<'a> {
    Element(&'a Element),
    /// A run of text (text and CDATA, comments and processing
    /// instructions between them skipped) with white space at its ends
    /// ignored; never empty.
    Text(TextRun<'a>),
}

/// The content of an element as [`InfosetItem`]s, without copying any text.
struct InfosetItems<'a>(&'a [Node]);

impl<'a> Iterator for InfosetItems<'a> {
    type Item = InfosetItem<'a>;

    fn next(&mut self) -> Option<InfosetItem<'a>> {
        loop {
            match self.0.split_first()? {
                (Node::Element(e), rest) => {
                    self.0 = rest;
                    return Some(InfosetItem::Element(e));
                }
                _ => {
                    let end = self
                        .0
                        .iter()
                        .position(|n| matches!(n, Node::Element(_)))
                        .unwrap_or(self.0.len());
                    let (run, rest) = self.0.split_at(end);
                    self.0 = rest;
                    if let Some(run) = TextRun::new(run) {
                        return Some(InfosetItem::Text(run));
                    }
                }
            }
        }
    }
}

/// The text of a run of nodes, trimmed: from `start` in the first text
/// chunk to `end` in the last one.
struct TextRun<'a> {
    nodes: &'a [Node],
    /// Byte offset where the text starts in the first chunk.
    start: usize,
    /// Byte length kept of the last chunk.
    end: usize,
}

fn text_of(n: &Node) -> Option<&str> {
    match n {
        Node::Text(t) | Node::CData(t) => Some(t),
        _ => None,
    }
}

impl<'a> TextRun<'a> {
    /// The run of `nodes` (no elements among them), or `None` when it is
    /// only white space.
    fn new(nodes: &'a [Node]) -> Option<TextRun<'a>> {
        let first = nodes
            .iter()
            .position(|n| text_of(n).is_some_and(|t| !t.trim_start().is_empty()))?;
        let last = nodes
            .iter()
            .rposition(|n| text_of(n).is_some_and(|t| !t.trim_end().is_empty()))?;
        let nodes = nodes.get(first..=last)?;
        let head = text_of(nodes.first()?)?;
        let tail = text_of(nodes.last()?)?;
        Some(TextRun {
            nodes,
            start: head.len() - head.trim_start().len(),
            end: tail.trim_end().len(),
        })
    }

    /// The run's text, piece by piece.
    fn pieces(&self) -> impl Iterator<Item = &'a [u8]> + '_ {
        let last = self.nodes.len().saturating_sub(1);
        self.nodes.iter().enumerate().filter_map(move |(i, n)| {
            let t = text_of(n)?.as_bytes();
            let end = if i == last { self.end } else { t.len() };
            let start = if i == 0 { self.start } else { 0 };
            t.get(start..end.max(start))
        })
    }

    /// Whether two runs hold the same text, however it is split.
    fn eq_run(&self, other: &TextRun<'_>) -> bool {
        let (mut x, mut y) = (self.pieces(), other.pieces());
        let (mut a, mut b): (&[u8], &[u8]) = (&[], &[]);
        loop {
            while a.is_empty() {
                match x.next() {
                    Some(p) => a = p,
                    None => break,
                }
            }
            while b.is_empty() {
                match y.next() {
                    Some(p) => b = p,
                    None => break,
                }
            }
            if a.is_empty() || b.is_empty() {
                return a.is_empty() && b.is_empty();
            }
            let n = a.len().min(b.len());
            let ((a0, a1), (b0, b1)) = (a.split_at(n), b.split_at(n));
            if a0 != b0 {
                return false;
            }
            (a, b) = (a1, b1);
        }
    }
}

/// The namespace the `xml` prefix is bound to by definition (Namespaces in
/// XML 1.0, section 3); it is never declared.
pub const XML_NS: &str = "http://www.w3.org/XML/1998/namespace";

/// The namespace of `xmlns` attributes themselves, which no prefix may be
/// bound to (Namespaces in XML 1.0, section 3).
const XMLNS_NS: &str = "http://www.w3.org/2000/xmlns/";

/// Namespace bindings in scope while writing.
struct Scope {
    /// (prefix, uri), innermost last; `None` is the default namespace.
    bindings: Vec<(Option<Text>, Text)>,
    /// Counter for generated prefixes.
    generated: usize,
}

impl Default for Scope {
    fn default() -> Self {
        Scope {
            bindings: vec![(Some(Text::from_static("xml")), Text::from_static(XML_NS))],
            generated: 0,
        }
    }
}

impl Scope {
    fn bind(&mut self, prefix: Option<Text>, uri: Text) {
        self.bindings.push((prefix, uri));
    }

    fn lookup(&self, prefix: Option<&str>) -> Option<&str> {
        self.bindings
            .iter()
            .rev()
            .find(|(p, _)| p.as_deref() == prefix)
            .map(|(_, u)| u.as_str())
    }

    /// Returns the prefix to write `name` with, adding a declaration to
    /// `decls` when none in scope binds it. Attributes cannot use the default
    /// namespace, so a namespaced attribute always gets a prefix.
    fn ensure(
        &mut self,
        name: &Name,
        decls: &mut Vec<NsDecl>,
        attribute: bool,
    ) -> Option<Cow<'static, str>> {
        match (&name.ns, &name.prefix) {
            (None, _) => {
                // No namespace: attributes are fine unprefixed; an element
                // needs the default namespace to be empty.
                if !attribute && self.lookup(None).is_some_and(|u| !u.is_empty()) {
                    self.declare(None, Text::EMPTY, decls);
                }
                None
            }
            (Some(ns), Some(p)) => {
                if self.lookup(Some(p)) != Some(ns) {
                    self.declare(Some(Text::from(&**p)), Text::from(ns), decls);
                }
                Some(p.clone())
            }
            (Some(ns), None) if !attribute => {
                if self.lookup(None) != Some(ns) {
                    self.declare(None, Text::from(ns), decls);
                }
                None
            }
            (Some(ns), None) => {
                // A namespaced attribute written without a prefix: reuse a
                // prefix bound to the URI, or make one up.
                if let Some((Some(p), _)) = self
                    .bindings
                    .iter()
                    .rev()
                    .find(|(p, u)| p.is_some() && u.as_str() == &**ns)
                {
                    let p = p.clone();
                    if self.lookup(Some(&p)) == Some(ns) {
                        return Some(Cow::Owned(p.into()));
                    }
                }
                let p = loop {
                    let candidate = format!("ns{}", self.generated);
                    self.generated += 1;
                    if self.lookup(Some(&candidate)).is_none() {
                        break candidate;
                    }
                };
                self.declare(Some(Text::from(p.as_str())), Text::from(ns), decls);
                Some(Cow::Owned(p))
            }
        }
    }

    fn declare(&mut self, prefix: Option<Text>, uri: Text, decls: &mut Vec<NsDecl>) {
        decls.push(NsDecl {
            prefix: prefix.clone(),
            uri: uri.clone(),
        });
        self.bind(prefix, uri);
    }
}

fn push_qname(out: &mut Vec<u8>, prefix: Option<&str>, local: &str) {
    if let Some(p) = prefix {
        out.extend_from_slice(p.as_bytes());
        out.push(b':');
    }
    out.extend_from_slice(local.as_bytes());
}

/// Escapes character data: `&`, `<` and `>` (the last so `]]>` never appears).
pub fn escape_text(out: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    let mut last = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let rep: &[u8] = match b {
            b'&' => b"&amp;",
            b'<' => b"&lt;",
            b'>' => b"&gt;",
            b'\r' => b"&#13;",
            _ => continue,
        };
        out.extend_from_slice(bytes.get(last..i).unwrap_or_default());
        out.extend_from_slice(rep);
        last = i + 1;
    }
    out.extend_from_slice(bytes.get(last..).unwrap_or_default());
}

/// Escapes an attribute value for double quotes; tabs and line ends become
/// character references so attribute-value normalization keeps them.
pub fn escape_attr(out: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    let mut last = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let rep: &[u8] = match b {
            b'&' => b"&amp;",
            b'<' => b"&lt;",
            b'"' => b"&quot;",
            b'\t' => b"&#9;",
            b'\n' => b"&#10;",
            b'\r' => b"&#13;",
            _ => continue,
        };
        out.extend_from_slice(bytes.get(last..i).unwrap_or_default());
        out.extend_from_slice(rep);
        last = i + 1;
    }
    out.extend_from_slice(bytes.get(last..).unwrap_or_default());
}

fn write_cdata(out: &mut Vec<u8>, s: &str) {
    // `]]>` cannot appear inside a CDATA section: split it across two.
    out.extend_from_slice(b"<![CDATA[");
    out.extend_from_slice(s.replace("]]>", "]]]]><![CDATA[>").as_bytes());
    out.extend_from_slice(b"]]>");
}

/// A whole document: the root element and what surrounds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    /// Whether the source had an XML declaration (written back as
    /// `<?xml version="1.0" encoding="UTF-8"?>`).
    pub declaration: bool,
    /// Comments and processing instructions before the root.
    pub prolog: Vec<Node>,
    /// The root element.
    pub root: Element,
    /// Comments and processing instructions after the root.
    pub epilog: Vec<Node>,
}

impl Document {
    /// A document with an XML declaration around `root`.
    pub fn new(root: Element) -> Self {
        Document {
            declaration: true,
            prolog: Vec::new(),
            root,
            epilog: Vec::new(),
        }
    }

    /// Parses a document from untrusted bytes within `limits`.
    ///
    /// Documents of the plain shape most are (no comments, CDATA,
    /// processing instructions or DOCTYPE; ASCII names) are read by the
    /// crate's own strict tokenizer; anything else, and every error, by
    /// quick-xml ([`Document::parse_reference`]), which is the reference:
    /// both give the same tree wherever the first answers.
    pub fn parse(input: &[u8], limits: &Limits) -> Result<Document, XmlError> {
        if let Some(doc) = crate::fast::parse_tree(input, limits) {
            return Ok(doc);
        }
        Document::parse_reference(input, limits)
    }

    /// Parses with quick-xml alone: the reference [`Document::parse`] is
    /// held to. Public for differential tests and fuzzing; use
    /// [`Document::parse`].
    #[doc(hidden)]
    pub fn parse_reference(input: &[u8], limits: &Limits) -> Result<Document, XmlError> {
        Parser::new(input, limits)?.run()
    }

    /// Writes the document as UTF-8 XML.
    pub fn write(&self, out: &mut Vec<u8>) {
        if self.declaration {
            out.extend_from_slice(b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        }
        for n in &self.prolog {
            write_misc(out, n);
        }
        self.root.write(out);
        for n in &self.epilog {
            write_misc(out, n);
        }
    }

    /// The document as an XML string.
    pub fn to_xml_string(&self) -> String {
        let mut out = Vec::new();
        self.write(&mut out);
        String::from_utf8(out).unwrap_or_default()
    }
}

fn write_misc(out: &mut Vec<u8>, n: &Node) {
    match n {
        Node::Comment(t) => {
            out.extend_from_slice(b"<!--");
            out.extend_from_slice(t.as_bytes());
            out.extend_from_slice(b"-->\n");
        }
        Node::ProcessingInstruction(t) => {
            out.extend_from_slice(b"<?");
            out.extend_from_slice(t.as_bytes());
            out.extend_from_slice(b"?>\n");
        }
        _ => {}
    }
}

/// A character XML 1.0 allows nowhere, not even through a character
/// reference (section 2.2 `Char`, section 4.1): the C0 controls other than
/// HTAB, LF and CR, and U+FFFE and U+FFFF. (Surrogates cannot be `char`s.)
pub(crate) fn forbidden_char(c: char) -> bool {
    matches!(c, '\u{0}'..='\u{8}' | '\u{B}' | '\u{C}' | '\u{E}'..='\u{1F}' | '\u{FFFE}' | '\u{FFFF}')
}

/// Where text is appended: a `String`, or a [`Text`] that keeps short
/// text in place (the fast path's unescaping writes into either).
pub(crate) trait Sink {
    fn put(&mut self, s: &str);
}

impl Sink for String {
    fn put(&mut self, s: &str) {
        self.push_str(s);
    }
}

impl Sink for Text {
    fn put(&mut self, s: &str) {
        self.push_str(s);
    }
}

/// Appends `s` with its line ends normalized (XML 1.0 section 2.11): a
/// CR LF pair, and a CR alone, become one LF. Character references are
/// resolved after this, so `&#13;` still gives a CR.
pub(crate) fn push_line_ends(out: &mut impl Sink, s: &str) {
    let mut rest = s;
    while let Some(cr) = memchr::memchr(b'\r', rest.as_bytes()) {
        out.put(rest.get(..cr).unwrap_or_default());
        out.put("\n");
        let after = rest.get(cr + 1..).unwrap_or_default();
        rest = after.strip_prefix('\n').unwrap_or(after);
    }
    out.put(rest);
}

/// `s` with its line ends normalized ([`push_line_ends`]); borrowed when
/// it holds no CR, as nearly all text does.
pub(crate) fn normalize_line_ends(s: &str) -> Cow<'_, str> {
    if memchr::memchr(b'\r', s.as_bytes()).is_none() {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    push_line_ends(&mut out, s);
    Cow::Owned(out)
}

/// An attribute's raw value normalized as XML 1.0 section 3.3.3 says for
/// attributes without a declared type (all of them here, since documents
/// with a DTD are refused): each literal tab, line feed or carriage return
/// becomes a space, a CR LF pair one space (section 2.11 comes first).
/// References are resolved after this, so `&#10;` still gives a line feed.
pub(crate) fn normalize_attr_value(raw: &str) -> Cow<'_, str> {
    if !raw.bytes().any(|b| matches!(b, b'\t' | b'\n' | b'\r')) {
        return Cow::Borrowed(raw);
    }
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(i) = rest.find(['\t', '\n', '\r']) {
        out.push_str(rest.get(..i).unwrap_or_default());
        out.push(' ');
        let pair = rest.get(i..).is_some_and(|r| r.starts_with("\r\n"));
        rest = rest.get(i + if pair { 2 } else { 1 }..).unwrap_or_default();
    }
    out.push_str(rest);
    Cow::Owned(out)
}

/// Where the first character is that XML 1.0 allows nowhere in a document
/// (section 2.2 `Char`): a C0 control other than HTAB, LF and CR, or
/// U+FFFE or U+FFFF (UTF-8 `EF BF BE`, `EF BF BF`). quick-xml checks
/// neither; both parse paths call this first.
pub(crate) fn forbidden_control(input: &[u8]) -> Option<usize> {
    scan_controls(input).0
}

/// [`forbidden_control`], and whether `input` holds a CR (whose line ends
/// need normalizing), from the same pass.
pub(crate) fn scan_controls(input: &[u8]) -> (Option<usize>, bool) {
    // Bitwise, not short-circuit: no branch per byte.
    const fn flag(b: u8) -> bool {
        ((b < 0x20) & (b != b'\t') & (b != b'\n') & (b != b'\r')) | (b == 0xEF)
    }
    // One pass with no early exit, so it vectorizes (documents are capped
    // by `Limits::max_size`); only a flagged byte (a control, or the lead
    // byte of U+F000..U+FFFF) sends it to the exact search.
    let (hits, cr) = input.iter().fold((false, false), |(hits, cr), &b| {
        (hits | flag(b), cr | (b == b'\r'))
    });
    if !hits {
        return (None, cr);
    }
    let at = input.iter().enumerate().position(|(i, &b)| {
        if b == 0xEF {
            input.get(i + 1) == Some(&0xBF) && matches!(input.get(i + 2), Some(0xBE | 0xBF))
        } else {
            b < 0x20 && b != b'\t' && b != b'\n' && b != b'\r'
        }
    });
    (at, cr)
}

struct Parser<'a> {
    reader: NsReader<&'a [u8]>,
    limits: Limits,
    elements: usize,
    /// Interned namespace URIs, so repeated ones share one allocation.
    uris: Vec<Ns>,
}

impl fmt::Debug for Parser<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Parser")
            .field("elements", &self.elements)
            .finish()
    }
}

impl<'a> Parser<'a> {
    fn new(input: &'a [u8], limits: &Limits) -> Result<Self, XmlError> {
        if input.len() > limits.max_size {
            return Err(XmlError {
                kind: XmlErrorKind::TooLarge {
                    limit: limits.max_size,
                },
                offset: limits.max_size as u64,
            });
        }
        if let Some(at) = forbidden_control(input) {
            return Err(XmlError {
                kind: XmlErrorKind::ForbiddenChar,
                offset: at as u64,
            });
        }
        let mut reader = NsReader::from_reader(input);
        let config = reader.config_mut();
        config.check_end_names = true;
        config.expand_empty_elements = false;
        config.trim_text_start = false;
        config.trim_text_end = false;
        Ok(Parser {
            reader,
            limits: *limits,
            elements: 0,
            uris: Vec::new(),
        })
    }

    fn err(&self, kind: XmlErrorKind) -> XmlError {
        XmlError {
            kind,
            offset: self.reader.buffer_position(),
        }
    }

    fn intern(&mut self, uri: &[u8]) -> Result<Ns, XmlError> {
        if let Some(u) = self.uris.iter().find(|u| u.as_bytes() == uri) {
            return Ok(u.clone());
        }
        let s = std::str::from_utf8(uri).map_err(|_| self.err(XmlErrorKind::Encoding))?;
        let ns = Ns::new(s);
        self.uris.push(ns.clone());
        Ok(ns)
    }

    fn run(mut self) -> Result<Document, XmlError> {
        let mut declaration = false;
        let mut prolog = Vec::new();
        let mut epilog = Vec::new();
        let mut root: Option<Element> = None;
        // Open elements, innermost last.
        let mut stack: Vec<Element> = Vec::new();
        loop {
            let (resolved, event) = match self.reader.read_resolved_event() {
                Ok((r, e)) => (resolved_ns(r), e),
                Err(e) => {
                    let kind = match e {
                        quick_xml::Error::Encoding(_) => XmlErrorKind::Encoding,
                        quick_xml::Error::Escape(_) => XmlErrorKind::UnknownEntity,
                        other => XmlErrorKind::Syntax(other.to_string()),
                    };
                    return Err(self.err(kind));
                }
            };
            match event {
                Event::Decl(d) => {
                    if let Some(Ok(enc)) = d.encoding() {
                        if !enc.eq_ignore_ascii_case(b"utf-8") && !enc.eq_ignore_ascii_case(b"utf8")
                        {
                            return Err(self.err(XmlErrorKind::Encoding));
                        }
                    }
                    declaration = true;
                }
                Event::DocType(_) => return Err(self.err(XmlErrorKind::Doctype)),
                Event::Start(_) | Event::Empty(_) if root.is_some() && stack.is_empty() => {
                    return Err(self.err(XmlErrorKind::TrailingContent));
                }
                Event::Start(start) => {
                    if stack.len() >= self.limits.max_depth {
                        return Err(self.err(XmlErrorKind::TooDeep {
                            limit: self.limits.max_depth,
                        }));
                    }
                    let e = self.element(&start, resolved)?;
                    stack.push(e);
                }
                Event::Empty(start) => {
                    if stack.len() >= self.limits.max_depth {
                        return Err(self.err(XmlErrorKind::TooDeep {
                            limit: self.limits.max_depth,
                        }));
                    }
                    let e = self.element(&start, resolved)?;
                    match stack.last_mut() {
                        Some(parent) => parent.children.push(Node::Element(e)),
                        None => root = Some(e),
                    }
                }
                Event::End(_) => {
                    let Some(e) = stack.pop() else {
                        return Err(self.err(XmlErrorKind::Syntax("unmatched end tag".into())));
                    };
                    match stack.last_mut() {
                        Some(parent) => parent.children.push(Node::Element(e)),
                        None => root = Some(e),
                    }
                }
                Event::Text(t) => {
                    let s = t.decode().map_err(|_| self.err(XmlErrorKind::Encoding))?;
                    self.text(&mut stack, root.is_some(), &normalize_line_ends(&s))?;
                }
                Event::GeneralRef(r) => {
                    let c = if r.is_char_ref() {
                        match r.resolve_char_ref() {
                            Ok(Some(c)) if forbidden_char(c) => {
                                return Err(self.err(XmlErrorKind::ForbiddenChar))
                            }
                            Ok(Some(c)) => c,
                            _ => return Err(self.err(XmlErrorKind::UnknownEntity)),
                        }
                    } else {
                        match &*r {
                            b"lt" => '<',
                            b"gt" => '>',
                            b"amp" => '&',
                            b"apos" => '\'',
                            b"quot" => '"',
                            _ => return Err(self.err(XmlErrorKind::UnknownEntity)),
                        }
                    };
                    let mut buf = [0u8; 4];
                    let s: &str = c.encode_utf8(&mut buf);
                    self.text(&mut stack, root.is_some(), s)?;
                }
                Event::CData(c) => {
                    let s =
                        std::str::from_utf8(&c).map_err(|_| self.err(XmlErrorKind::Encoding))?;
                    let s = normalize_line_ends(s).into_owned();
                    match stack.last_mut() {
                        Some(parent) => parent.children.push(Node::CData(s.into())),
                        None => return Err(self.err(XmlErrorKind::TrailingContent)),
                    }
                }
                Event::Comment(c) => {
                    let s =
                        std::str::from_utf8(&c).map_err(|_| self.err(XmlErrorKind::Encoding))?;
                    let s = normalize_line_ends(s).into_owned();
                    push_misc(
                        &mut stack,
                        &root,
                        &mut prolog,
                        &mut epilog,
                        Node::Comment(s.into()),
                    );
                }
                Event::PI(pi) => {
                    let s =
                        std::str::from_utf8(&pi).map_err(|_| self.err(XmlErrorKind::Encoding))?;
                    let s = normalize_line_ends(s).into_owned();
                    push_misc(
                        &mut stack,
                        &root,
                        &mut prolog,
                        &mut epilog,
                        Node::ProcessingInstruction(s.into()),
                    );
                }
                Event::Eof => {
                    if !stack.is_empty() {
                        return Err(self.err(XmlErrorKind::Syntax("unclosed element".into())));
                    }
                    let root = root.ok_or_else(|| self.err(XmlErrorKind::NoRoot))?;
                    return Ok(Document {
                        declaration,
                        prolog,
                        root,
                        epilog,
                    });
                }
            }
        }
    }

    fn text(&self, stack: &mut [Element], seen_root: bool, s: &str) -> Result<(), XmlError> {
        match stack.last_mut() {
            Some(parent) => {
                if let Some(Node::Text(prev)) = parent.children.last_mut() {
                    prev.push_str(s);
                } else {
                    parent.children.push(Node::text(s));
                }
                Ok(())
            }
            None if s.bytes().all(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n')) => Ok(()),
            None if seen_root => Err(self.err(XmlErrorKind::TrailingContent)),
            None => Err(self.err(XmlErrorKind::Syntax("text before the root element".into()))),
        }
    }

    fn element(&mut self, start: &BytesStart<'_>, ns: Resolved) -> Result<Element, XmlError> {
        self.elements += 1;
        if self.elements > self.limits.max_elements {
            return Err(self.err(XmlErrorKind::TooManyElements {
                limit: self.limits.max_elements,
            }));
        }
        let qname = start.name();
        let (prefix, local) = split_qname(qname.as_ref());
        // Element names never carry the `xmlns` prefix (Namespaces in XML
        // 1.0, section 3).
        if !valid_name(prefix, local) || prefix == Some(b"xmlns") {
            return Err(self.err(XmlErrorKind::Syntax("invalid element name".into())));
        }
        let ns = match ns {
            Resolved::None => None,
            Resolved::Uri(u) => Some(self.intern(&u)?),
            Resolved::Unknown => return Err(self.err(XmlErrorKind::UnboundPrefix)),
        };
        let mut element = Element::with_name(Name {
            ns,
            prefix: prefix.map(|p| self.name_part(p)).transpose()?,
            local: self.name_part(local)?,
        });
        for (count, attr) in start.attributes().enumerate() {
            if count >= self.limits.max_attributes {
                return Err(self.err(XmlErrorKind::TooManyAttributes {
                    limit: self.limits.max_attributes,
                }));
            }
            let attr = attr.map_err(|e| self.err(XmlErrorKind::Syntax(e.to_string())))?;
            let key = attr.key.as_ref();
            let raw =
                std::str::from_utf8(&attr.value).map_err(|_| self.err(XmlErrorKind::Encoding))?;
            let normalized = normalize_attr_value(raw);
            let value = quick_xml::escape::unescape(&normalized)
                .map_err(|_| self.err(XmlErrorKind::UnknownEntity))?;
            // Raw bytes were checked up front; a reference can still name
            // a forbidden character.
            if attr.value.contains(&b'&') && value.chars().any(forbidden_char) {
                return Err(self.err(XmlErrorKind::ForbiddenChar));
            }
            if (key == b"xmlns" || key.starts_with(b"xmlns:"))
                && attr
                    .value
                    .iter()
                    .any(|b| matches!(b, b'&' | b'"' | b'<' | b'\t' | b'\r' | b'\n'))
            {
                // quick-xml resolves names against the raw value, so one that
                // needs unescaping (or that the writer escapes: quotes) would
                // not round-trip; namespace names are URIs and hold none.
                return Err(self.err(XmlErrorKind::Syntax(
                    "namespace name with a reference or white space".into(),
                )));
            }
            if key == b"xmlns" {
                if value.as_ref() == XML_NS || value.as_ref() == XMLNS_NS {
                    return Err(self.err(XmlErrorKind::Syntax(
                        "reserved namespace as the default namespace".into(),
                    )));
                }
                element.namespaces.push(NsDecl::new(None, &value));
                continue;
            }
            if let Some(p) = key.strip_prefix(b"xmlns:") {
                // Namespaces in XML 1.0 section 3: the prefix is an NCName,
                // `xmlns` is never declared, `xml` only to its own name, no
                // other prefix to either reserved name, and (in 1.0) a
                // prefix cannot be undeclared.
                let reserved = match p {
                    b"xmlns" => true,
                    b"xml" => value.as_ref() != XML_NS,
                    _ => value.as_ref() == XML_NS || value.as_ref() == XMLNS_NS,
                };
                if !valid_name(None, p) || reserved || value.is_empty() {
                    return Err(
                        self.err(XmlErrorKind::Syntax("invalid namespace declaration".into()))
                    );
                }
                element
                    .namespaces
                    .push(NsDecl::new(Some(&self.utf8(p)?), &value));
                continue;
            }
            let (aprefix, alocal) = split_qname(key);
            if !valid_name(aprefix, alocal) {
                return Err(self.err(XmlErrorKind::Syntax("invalid attribute name".into())));
            }
            let ans = if aprefix.is_none() {
                None
            } else {
                match self.reader.resolve_attribute(attr.key).0 {
                    ResolveResult::Bound(n) => {
                        let bytes = n.as_ref().to_vec();
                        Some(self.intern(&bytes)?)
                    }
                    ResolveResult::Unbound => None,
                    ResolveResult::Unknown(_) => return Err(self.err(XmlErrorKind::UnboundPrefix)),
                }
            };
            element.attributes.push(Attribute {
                name: Name {
                    ns: ans,
                    prefix: aprefix.map(|p| self.name_part(p)).transpose()?,
                    local: self.name_part(alocal)?,
                },
                value: value.into_owned().into(),
            });
        }
        Ok(element)
    }

    fn utf8(&self, b: &[u8]) -> Result<String, XmlError> {
        std::str::from_utf8(b)
            .map(str::to_owned)
            .map_err(|_| self.err(XmlErrorKind::Encoding))
    }

    /// A prefix or local name ([`atom`]).
    fn name_part(&self, b: &[u8]) -> Result<Cow<'static, str>, XmlError> {
        std::str::from_utf8(b)
            .map(atom)
            .map_err(|_| self.err(XmlErrorKind::Encoding))
    }
}

/// The namespace of an element, detached from the reader's borrow.
enum Resolved {
    None,
    Uri(Vec<u8>),
    Unknown,
}

fn resolved_ns(r: ResolveResult<'_>) -> Resolved {
    match r {
        ResolveResult::Unbound => Resolved::None,
        ResolveResult::Bound(n) if n.as_ref().is_empty() => Resolved::None,
        ResolveResult::Bound(n) => Resolved::Uri(n.as_ref().to_vec()),
        ResolveResult::Unknown(_) => Resolved::Unknown,
    }
}

/// Whether a (prefix, local) pair is a well-formed QName (Namespaces in XML
/// 1.0 section 4). Non-ASCII characters are accepted as name characters;
/// ASCII is held to the NameStartChar/NameChar productions of XML 1.0.
fn valid_name(prefix: Option<&[u8]>, local: &[u8]) -> bool {
    fn ncname(n: &[u8]) -> bool {
        let Some((&first, rest)) = n.split_first() else {
            return false;
        };
        (first.is_ascii_alphabetic() || first == b'_' || first >= 0x80)
            && rest
                .iter()
                .all(|&b| name_byte(b, NAME_ASCII | NAME_NON_ASCII))
    }
    ncname(local) && prefix.is_none_or(ncname)
}

/// [`NAME_CLASS`] of the ASCII bytes allowed after the first of a name
/// part: letters, digits, `_`, `-` and `.`.
pub(crate) const NAME_ASCII: u8 = 1;
/// [`NAME_CLASS`] of `:`, the prefix separator.
pub(crate) const NAME_COLON: u8 = 2;
/// [`NAME_CLASS`] of any byte of a multi-byte UTF-8 character (the
/// document is valid UTF-8 by then).
pub(crate) const NAME_NON_ASCII: u8 = 4;
/// [`NAME_CLASS`] of the ASCII bytes a name part may start with: letters
/// and `_` (these are in [`NAME_ASCII`] too).
pub(crate) const NAME_START: u8 = 8;

/// The class of every byte in names, one table for every name check of
/// the crate's parsers (each asks for the classes it takes).
#[allow(clippy::indexing_slicing)] // `i < 256` in a const loop over the table
static NAME_CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        t[i] = if b.is_ascii_alphabetic() || b == b'_' {
            NAME_ASCII | NAME_START
        } else if b.is_ascii_digit() || b == b'-' || b == b'.' {
            NAME_ASCII
        } else if b == b':' {
            NAME_COLON
        } else if b >= 0x80 {
            NAME_NON_ASCII
        } else {
            0
        };
        i += 1;
    }
    t
};

/// Whether `b` is in one of `classes` of [`NAME_CLASS`].
#[inline]
pub(crate) fn name_byte(b: u8, classes: u8) -> bool {
    NAME_CLASS.get(usize::from(b)).copied().unwrap_or(0) & classes != 0
}

/// A QName's prefix (if any) and local part, split at the first `:`.
pub(crate) fn split_qname(q: &[u8]) -> (Option<&[u8]>, &[u8]) {
    // Names are short: a plain search beats a `memchr` call.
    match q.iter().position(|&b| b == b':') {
        Some(i) => (q.get(..i), q.get(i + 1..).unwrap_or_default()),
        None => (None, q),
    }
}

fn push_misc(
    stack: &mut [Element],
    root: &Option<Element>,
    prolog: &mut Vec<Node>,
    epilog: &mut Vec<Node>,
    node: Node,
) {
    match stack.last_mut() {
        Some(parent) => parent.children.push(node),
        None if root.is_some() => epilog.push(node),
        None => prolog.push(node),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_eq_is_byte_equality() {
        // Every length across the word paths, equal and differing in
        // each position.
        for len in 0..40usize {
            let a: Vec<u8> = (0..len).map(|i| b'a' + (i % 26) as u8).collect();
            assert!(short_eq(&a, &a.clone()), "{len}");
            for at in 0..len {
                let mut b = a.clone();
                b[at] ^= 0x20;
                assert!(!short_eq(&a, &b), "{len} {at}");
            }
            assert!(!short_eq(&a, &a[..len.saturating_sub(1)]) || len == 0);
        }
    }

    #[test]
    fn known_namespaces_are_static_and_compare_as_text() {
        for uri in KNOWN_NAMESPACES {
            assert!(Ns::new(uri).is_static(), "{uri}");
            assert_eq!(Ns::new(uri), Ns::from(Arc::<str>::from(*uri)));
        }
        let shared = Ns::new("urn:example:x");
        assert!(!shared.is_static());
        assert_eq!(shared, Ns::from(String::from("urn:example:x")));
        assert_ne!(shared, Ns::new(crate::ns::PIDF));
        assert_eq!(
            format!("{shared:?} {shared}"),
            "\"urn:example:x\" urn:example:x"
        );
        // Names in a known namespace compare equal however they were made.
        let n = Name::new(crate::ns::RPID, "mood");
        assert!(n.is(crate::ns::RPID, "mood"));
        let parsed = Document::parse(
            br#"<m xmlns="urn:ietf:params:xml:ns:pidf:rpid"/>"#,
            &Limits::default(),
        )
        .unwrap();
        assert_eq!(parsed.root.name.ns, n.ns);
        assert!(parsed.root.name.ns.as_ref().is_some_and(Ns::is_static));
    }

    #[test]
    fn the_vocabulary_is_borrowed_and_anything_else_owned() {
        assert!(
            ATOMS.windows(2).all(|w| w[0] < w[1]),
            "sorted, no duplicates"
        );
        for &a in ATOMS {
            assert!(matches!(atom(a), Cow::Borrowed(b) if b == a), "{a}");
        }
        for other in [
            "",
            "x-vendor",
            "Tuple",
            "tuple ",
            "tupl",
            "deviceId",
            "\u{e9}t\u{e9}",
        ] {
            assert!(
                matches!(atom(other), Cow::Owned(ref o) if o == other),
                "{other:?}"
            );
        }
        // A parsed document borrows its known names and owns the others.
        let d = Document::parse(
            br#"<presence xmlns="urn:ietf:params:xml:ns:pidf" xmlns:v="urn:x"><tuple id="a"><v:gizmo/></tuple></presence>"#,
            &Limits::default(),
        )
        .unwrap();
        let tuple = d.root.elements().next().unwrap();
        assert!(matches!(tuple.name.local, Cow::Borrowed("tuple")));
        let gizmo = tuple.elements().next().unwrap();
        assert!(matches!(gizmo.name.local, Cow::Owned(ref o) if o == "gizmo"));
        assert!(matches!(gizmo.name.prefix, Some(Cow::Owned(ref o)) if o == "v"));
    }

    fn parse(s: &str) -> Result<Document, XmlError> {
        Document::parse(s.as_bytes(), &Limits::default())
    }

    #[test]
    fn control_characters_are_refused_raw_or_referenced() {
        // XML 1.0 section 2.2: only HTAB, LF and CR of the C0 controls.
        for (doc, at) in [
            ("<a>x\u{1}</a>", Some(4)),
            ("<a b='\u{1f}'/>", Some(6)),
            ("<!-- \u{0} --><a/>", Some(5)),
            ("<a>&#1;</a>", None),
            ("<a>&#x1F;</a>", None),
            ("<a>&#xFFFE;</a>", None),
            ("<a b='&#8;'/>", None),
            ("<a b='x\u{FFFF}'/>", Some(7)),
            ("<a>\u{FFFE}</a>", Some(3)),
        ] {
            let e = parse(doc).unwrap_err();
            assert_eq!(e.kind, XmlErrorKind::ForbiddenChar, "{doc:?}");
            if let Some(at) = at {
                assert_eq!(e.offset, at, "{doc:?}");
            }
        }
        // Other characters of U+F000..U+FFFD share the lead byte and pass.
        parse("<a b='\u{FEFF}\u{FF01}\u{FFFD}'>\u{F8FF}</a>").unwrap();
        let ok = parse("<a b='&#9;&#10;&#13;'>\t&#9;&#xA;\r\n</a>").unwrap();
        assert_eq!(ok.root.attributes[0].value, "\t\n\r");
        // The scan is chunked: a control far in is found at its place.
        let long = format!("<a>{}\u{b}</a>", "x".repeat(1000));
        assert_eq!(parse(&long).unwrap_err().offset, 1003);
    }

    fn text_elem(parts: &[Node]) -> Element {
        let mut e = Element::new("urn:x", "a");
        e.children = parts.to_vec();
        e
    }

    #[test]
    fn indentation_and_short_text_cost_no_allocation() {
        let free = |s: &str| matches!(Node::text(s), Node::Text(t) if t == s && !t.is_shared());
        let shared = |s: &str| matches!(Node::text(s), Node::Text(t) if t == s && t.is_shared());
        let spaces = |n: usize| format!("\n{}", " ".repeat(n));
        let tabs = |n: usize| format!("\n{}", "\t".repeat(n));
        assert!(free("\n") && free(&spaces(1)) && free(&spaces(64)));
        assert!(free(&tabs(1)) && free(&tabs(16)) && free(&tabs(23)));
        assert!(shared(&spaces(65)) && shared(&tabs(24)));
        for n in [0, 1, 23, 24, 64] {
            let node = Node::line_and_spaces(n);
            assert!(matches!(&node, Node::Text(t) if *t == spaces(n) && !t.is_shared()));
        }
        assert!(matches!(Node::line_and_spaces(65), Node::Text(t) if *t == spaces(65)));
        for other in ["", " ", "  \n", "\r\n  ", "\n \t", "\n\t ", "\n  x", "open"] {
            assert!(free(other), "{other:?}");
        }
        assert!(shared(&format!("{} x", spaces(40))));
        // Text appended to a static node becomes its own.
        let mut n = Node::text(&spaces(40));
        if let Node::Text(t) = &mut n {
            t.push_str("x");
            assert!(t.is_shared());
        }
        assert_eq!(n, Node::Text(format!("{}x", spaces(40)).into()));
    }

    #[test]
    fn infoset_eq_merges_and_trims_text_without_copying_it() {
        let t = |s: &str| Node::Text(s.into());
        let child = Node::Element(Element::new("urn:x", "b"));
        let same = [
            (vec![t("  ab c ")], vec![t("ab"), Node::CData(" c".into())]),
            (
                vec![t("a"), Node::Comment("x".into()), t("bc")],
                vec![t("\n ab"), t("c\t")],
            ),
            (
                vec![t(" "), child.clone(), t("x")],
                vec![
                    child.clone(),
                    Node::ProcessingInstruction("p".into()),
                    t(" x "),
                ],
            ),
            (vec![t(" \n ")], vec![]),
            (vec![t("é"), t("ü")], vec![t("éü")]),
        ];
        for (a, b) in same {
            assert!(text_elem(&a).infoset_eq(&text_elem(&b)), "{a:?} {b:?}");
            assert!(text_elem(&b).infoset_eq(&text_elem(&a)), "{b:?} {a:?}");
        }
        let differ = [
            (vec![t("ab")], vec![t("a b")]),
            (vec![t("ab")], vec![t("abc")]),
            (vec![t("x"), child.clone()], vec![child.clone(), t("x")]),
            (vec![t("x")], vec![]),
            (vec![child.clone()], vec![child.clone(), child.clone()]),
        ];
        for (a, b) in differ {
            assert!(!text_elem(&a).infoset_eq(&text_elem(&b)), "{a:?} {b:?}");
            assert!(!text_elem(&b).infoset_eq(&text_elem(&a)), "{b:?} {a:?}");
        }
    }

    #[test]
    fn round_trip_keeps_prefixes_and_unknown_namespaces() {
        let src = r#"<?xml version="1.0" encoding="UTF-8"?>
<presence xmlns="urn:ietf:params:xml:ns:pidf" xmlns:x="urn:example:x" entity="pres:a@b"><!-- c --><x:foo x:bar="1" baz="&lt;&quot;">t&amp;<![CDATA[<raw>]]></x:foo><tuple id="t"/></presence>"#;
        let doc = parse(src).unwrap();
        let out = doc.to_xml_string();
        assert_eq!(out, src);
        let foo = doc.root.child("urn:example:x", "foo").unwrap();
        assert_eq!(foo.attr_ns("urn:example:x", "bar"), Some("1"));
        assert_eq!(foo.attr("baz"), Some("<\""));
        assert_eq!(foo.text(), "t&<raw>");
    }

    #[test]
    fn names_compare_by_uri_not_prefix() {
        let a = parse(r#"<p:a xmlns:p="urn:1"><p:b/></p:a>"#).unwrap();
        let b = parse(
            r#"<a xmlns="urn:1">
              <b/>
            </a>"#,
        )
        .unwrap();
        assert!(a.root.is("urn:1", "a"));
        assert!(a.root.infoset_eq(&b.root));
        let c = parse(r#"<a xmlns="urn:2"><b/></a>"#).unwrap();
        assert!(!a.root.infoset_eq(&c.root));
    }

    #[test]
    fn doctype_and_entities_refused() {
        let bomb = r#"<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]><lolz>&lol2;</lolz>"#;
        assert_eq!(parse(bomb).unwrap_err().kind, XmlErrorKind::Doctype);
        let ext = r#"<!DOCTYPE a SYSTEM "file:///etc/passwd"><a/>"#;
        assert_eq!(parse(ext).unwrap_err().kind, XmlErrorKind::Doctype);
        assert_eq!(
            parse("<a>&foo;</a>").unwrap_err().kind,
            XmlErrorKind::UnknownEntity
        );
        assert_eq!(
            parse(r#"<a b="&foo;"/>"#).unwrap_err().kind,
            XmlErrorKind::UnknownEntity
        );
        assert_eq!(parse("<a>&#x41;&#66;</a>").unwrap().root.text(), "AB");
    }

    #[test]
    fn xml_prefix_is_predeclared() {
        let src = r#"<note xmlns="urn:n" xml:lang="en">hi</note>"#;
        let doc = parse(src).unwrap();
        assert_eq!(
            doc.root
                .attr_ns("http://www.w3.org/XML/1998/namespace", "lang"),
            Some("en")
        );
        assert_eq!(doc.to_xml_string(), src);
    }

    #[test]
    fn limits_are_enforced() {
        let limits = Limits {
            max_size: 1000,
            max_depth: 3,
            max_elements: 5,
            max_attributes: 2,
        };
        let deep = "<a><a><a><a/></a></a></a>";
        assert!(matches!(
            Document::parse(deep.as_bytes(), &limits).unwrap_err().kind,
            XmlErrorKind::TooDeep { limit: 3 }
        ));
        let many = "<a><b/><b/><b/><b/><b/></a>";
        assert!(matches!(
            Document::parse(many.as_bytes(), &limits).unwrap_err().kind,
            XmlErrorKind::TooManyElements { limit: 5 }
        ));
        let attrs = r#"<a x="1" y="2" z="3"/>"#;
        assert!(matches!(
            Document::parse(attrs.as_bytes(), &limits).unwrap_err().kind,
            XmlErrorKind::TooManyAttributes { limit: 2 }
        ));
        let big = format!("<a>{}</a>", "x".repeat(2000));
        assert!(matches!(
            Document::parse(big.as_bytes(), &limits).unwrap_err().kind,
            XmlErrorKind::TooLarge { limit: 1000 }
        ));
    }

    #[test]
    fn malformed_documents_are_errors() {
        for bad in [
            "",
            "<a>",
            "<a></b>",
            "<a/><b/>",
            "text<a/>",
            "<a/>text",
            "<p:a/>",
            r#"<a p:x="1"/>"#,
            "<a x='1' x='2'/>",
            "<a xmlns='urn:&#9;x'/>",
            "<a xmlns:p='urn:\tx'/>",
            "<a xmlns:p='urn:\"x'/>",
            "<></>",
            r#"<a xmlns:="urn:x"/>"#,
            r#"<a><xmlns:b/></a>"#,
            r#"<a xmlns:p=""/>"#,
            r#"<a xmlns:xmlns="urn:x"/>"#,
            r#"<a xmlns:p="http://www.w3.org/2000/xmlns/"/>"#,
            r#"<a xmlns:xml="urn:x"/>"#,
            r#"<a xmlns="http://www.w3.org/XML/1998/namespace"/>"#,
            "<a:/>",
            "<1a/>",
            "<a 1x='1'/>",
            r#"<?xml version="1.0" encoding="ISO-8859-1"?><a/>"#,
        ] {
            assert!(parse(bad).is_err(), "{bad:?} should fail");
        }
        assert!(Document::parse(b"<a>\xff</a>", &Limits::default()).is_err());
    }

    #[test]
    fn built_trees_declare_their_namespaces() {
        let e = Element::new("urn:ietf:params:xml:ns:pidf", "presence")
            .with_attr("entity", "pres:a@example.com")
            .with_child(
                Element::with_name(Name::prefixed("urn:x", "x", "ext")).with_child(
                    Element::new("urn:ietf:params:xml:ns:pidf", "note").with_text("a<b"),
                ),
            )
            .with_child(Element::with_name(Name::local("plain")));
        let mut attr = Element::new("urn:y", "y");
        attr.attributes.push(Attribute {
            name: Name::new("urn:z", "q"),
            value: "v".into(),
        });
        let e = e.with_child(attr);
        let s = e.to_xml_string();
        assert_eq!(
            s,
            r#"<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="pres:a@example.com"><x:ext xmlns:x="urn:x"><note>a&lt;b</note></x:ext><plain xmlns=""/><y xmlns="urn:y" xmlns:ns0="urn:z" ns0:q="v"/></presence>"#
        );
        let back = parse(&s).unwrap();
        assert!(back.root.infoset_eq(&e));
    }

    #[test]
    fn xml_prefix_is_never_declared() {
        let doc = parse(r#"<a xmlns="urn:1"><b xml:lang="en">x</b></a>"#).unwrap();
        let b = doc.root.child("urn:1", "b").unwrap();
        assert_eq!(b.attr_ns(XML_NS, "lang"), Some("en"));
        assert_eq!(
            doc.to_xml_string(),
            r#"<a xmlns="urn:1"><b xml:lang="en">x</b></a>"#
        );
        let mut built = Element::new("urn:1", "n");
        built.attributes.push(Attribute {
            name: Name::prefixed(XML_NS, "xml", "lang"),
            value: "fr".into(),
        });
        assert_eq!(built.to_xml_string(), r#"<n xmlns="urn:1" xml:lang="fr"/>"#);
    }
}
