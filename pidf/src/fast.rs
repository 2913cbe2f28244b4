//! The fast paths of [`Presence::parse`] and of the generic tree
//! ([`Document::parse`]): one pass over the tokens of [`crate::scan`]
//! straight into the typed model, building [`Element`]s for extension
//! content (and, for the tree, for everything).
//!
//! They are an optimisation, never a second opinion: they handle the
//! common shape of documents and give up (`None`) on anything else: any
//! error, any limit reached, comments, CDATA, processing instructions,
//! unusual names. The caller then runs the reference path (quick-xml, the
//! [`crate::xml`] tree and `from_element`), which decides. Tests and the
//! `pidf_parse` and `xml_tree` fuzz targets check that whenever a fast path
//! answers, it answers exactly what the reference path does.

use std::borrow::Cow;

use crate::model::{Basic, Contact, Device, Note, Part, Person, Presence, Priority, Status, Tuple};
use crate::ns;
use crate::scan::{self, Scanner, Token};
use crate::text::Text;
use crate::time::Timestamp;
use crate::xml::{
    atom, normalize_attr_value, short_eq, Attribute, Document, Element, Limits, Name, Node, Ns,
    NsDecl,
};

/// Deepest nesting the fast path recurses to; deeper documents take the
/// (iterative) reference path.
const MAX_RECURSION: usize = 100;

/// Parses `input` as a presence document, or `None` to defer to the
/// reference path.
pub(crate) fn parse(input: &[u8], limits: &Limits) -> Option<Presence> {
    parse_root(input, limits, Known::Pidf, b"presence")
}

/// Parses `input` as an RFC 5262 `<pidf-full>`, or `None` to defer.
pub(crate) fn parse_full(input: &[u8], limits: &Limits) -> Option<crate::partial::PidfFull> {
    let mut p = parse_root(input, limits, Known::PidfDiff, b"pidf-full")?;
    let root_prefix = p.prefix.take().map(|s| atom(&s));
    let version = match p
        .attributes
        .iter()
        .position(|a| a.name.ns.is_none() && a.name.local == "version")
    {
        Some(i) => Some(p.attributes.remove(i).value.trim().parse::<u32>().ok()?),
        None => None,
    };
    p.prefix = p
        .namespaces
        .iter()
        .find(|d| d.uri == ns::PIDF)
        .and_then(|d| d.prefix.clone());
    Some(crate::partial::PidfFull {
        version,
        presence: p,
        root_prefix,
    })
}

/// Parses `input` as a generic XML tree, or `None` to defer to the
/// reference parser (see [`crate::xml::Document::parse`]).
pub(crate) fn parse_tree(input: &[u8], limits: &Limits) -> Option<Document> {
    let (mut f, declaration, empty) = Fast::start(input, limits)?;
    let tag = f.open(empty, Within::Other)?;
    let mark = tag.mark;
    let mut root = f.shell(tag)?;
    if !empty {
        f.children_into(&mut root.children)?;
    }
    f.close(mark, empty);
    f.epilog().then_some(Document {
        declaration,
        prolog: Vec::new(),
        root,
        epilog: Vec::new(),
    })
}

fn parse_root(
    input: &[u8],
    limits: &Limits,
    root_ns: Known,
    root_local: &[u8],
) -> Option<Presence> {
    let (mut f, declaration, empty) = Fast::start(input, limits)?;
    let tag = f.open(empty, Within::Root)?;
    if !tag.is(root_ns, root_local) {
        return None;
    }
    let mut p = f.presence(tag)?;
    p.declaration = declaration;
    f.epilog().then_some(p)
}

/// Whether `a` is a namespace declaration (`xmlns` or `xmlns:p`).
fn is_decl(a: &scan::Attr, doc: &[u8]) -> bool {
    match a.prefix(doc) {
        Some(p) => p == b"xmlns",
        None => a.qname(doc) == b"xmlns",
    }
}

/// The index of `uri` in `uris`, interning it there if it is new.
fn intern(uris: &mut Vec<(Ns, Known)>, uri: &str) -> Option<u32> {
    if let Some(i) = uris.iter().position(|(u, _)| &**u == uri) {
        return u32::try_from(i).ok();
    }
    let i = u32::try_from(uris.len()).ok()?;
    uris.push((Ns::new(uri), Known::of(uri)));
    Some(i)
}

/// URIs no prefix may be bound to (Namespaces in XML 1.0 section 3).
fn reserved_uri(u: &str) -> bool {
    u == ns::XML || u == "http://www.w3.org/2000/xmlns/"
}

/// `b` as text: a slice of `doc` (checked once, up front) when `b` lies
/// in it, as names and unescaped text do, so no byte is validated twice.
fn utf8<'b>(doc: &'b str, b: &'b [u8]) -> Option<&'b str> {
    let start = (b.as_ptr() as usize).wrapping_sub(doc.as_ptr() as usize);
    if start <= doc.len() && b.len() <= doc.len() - start {
        if let Some(t) = doc.get(start..start + b.len()) {
            return Some(t);
        }
    }
    std::str::from_utf8(b).ok()
}

/// An attribute's value, references resolved: borrowed from the document
/// when it holds no reference and no white space to normalize (XML 1.0
/// section 3.3.3, see [`normalize_attr_value`]).
fn attr_cow<'d>(doc: &'d str, a: &scan::Attr) -> Option<Cow<'d, str>> {
    let text = a.raw(doc);
    if !a.refs && !a.ws {
        return Some(Cow::Borrowed(text));
    }
    let normalized = if a.ws {
        normalize_attr_value(text)
    } else {
        Cow::Borrowed(text)
    };
    if !a.refs {
        return Some(Cow::Owned(normalized.into_owned()));
    }
    quick_xml::escape::unescape(&normalized)
        .ok()
        .filter(|v| !v.chars().any(crate::xml::forbidden_char))
        .map(|v| Cow::Owned(v.into_owned()))
}

/// A prefix bound to a URI.
struct Binding<'a> {
    /// The prefix; `None` for the default namespace.
    prefix: Option<&'a [u8]>,
    /// The URI, an index in [`Fast::uris`]; `None` undeclares the default
    /// namespace.
    uri: Option<u32>,
    /// The prefix as the names written with it hold it ([`atom`]), made
    /// once where it is declared rather than for every name.
    atom: Option<Cow<'static, str>>,
}

/// The namespaces the model types elements in, told apart once per URI
/// (when it is interned) instead of by a string comparison per element.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Known {
    Pidf,
    DataModel,
    PidfDiff,
    /// Any other namespace, and no namespace.
    Other,
}

impl Known {
    fn of(uri: &str) -> Known {
        match uri {
            ns::PIDF => Known::Pidf,
            ns::DATA_MODEL => Known::DataModel,
            ns::PIDF_DIFF => Known::PidfDiff,
            _ => Known::Other,
        }
    }
}

struct Fast<'a> {
    scan: Scanner<'a>,
    /// The whole input, valid UTF-8.
    doc: &'a str,
    limits: Limits,
    elements: usize,
    /// Open (non-empty) elements.
    depth: usize,
    /// The prefixes in scope, innermost last.
    bindings: Vec<Binding<'a>>,
    /// Every namespace URI bound so far, once each. Tags refer to them by
    /// index, so resolving a name costs no reference count.
    uris: Vec<(Ns, Known)>,
    /// The namespace declarations of the tag last opened, in order.
    decls: Vec<NsDecl>,
    /// Its other attributes, but for `special`.
    attrs: Vec<Attribute>,
    /// The value of the one attribute the model types for that element in
    /// its place (`id`, `entity`, `priority`, `xml:lang`), kept out of
    /// `attrs`.
    special: Option<Cow<'a, str>>,
}

/// A resolved start tag; names borrow the input. Its declarations,
/// attributes and typed attribute are in [`Fast`] (`decls`, `attrs`,
/// `special`) until the next tag is opened: a `Tag` is small and plain,
/// so handing it from function to function copies a few words, not three
/// vectors (copies that stalled on the stores that had just built them).
#[derive(Clone, Copy)]
struct Tag<'s> {
    /// The namespace, an index in [`Fast::uris`].
    ns: Option<u32>,
    known: Known,
    prefix: Option<&'s [u8]>,
    /// The index in [`Fast::bindings`] of the prefix's binding (when
    /// there is a prefix).
    binding: u32,
    local: &'s [u8],
    empty: bool,
    /// The length of [`Fast::bindings`] before this tag's own.
    mark: u32,
}

/// Where an element sits, which decides the attribute the model types.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Within {
    Root,
    Presence,
    Tuple,
    DataModel,
    Other,
}

/// The typed attribute of an element: an unqualified name, or `xml:lang`.
fn special(within: Within, ns: Known, local: &[u8]) -> Option<&'static [u8]> {
    Some(match (within, ns, local) {
        (Within::Root, Known::Pidf, b"presence")
        | (Within::Root, Known::PidfDiff, b"pidf-full") => b"entity",
        (Within::Presence, Known::Pidf, b"tuple")
        | (Within::Presence, Known::DataModel, b"person" | b"device") => b"id",
        (Within::Presence | Within::Tuple, Known::Pidf, b"note")
        | (Within::DataModel, Known::DataModel, b"note") => b"xml:lang",
        (Within::Tuple, Known::Pidf, b"contact") => b"priority",
        _ => return None,
    })
}

/// The index the `xml` prefix is bound to: not a slot of `uris`, since its
/// URI is static ([`Ns`]).
const XML_NS: u32 = u32::MAX;

/// The shared URI at `index` of `uris`. Never asked for [`XML_NS`]:
/// elements cannot take the `xml` prefix, and attributes take the static
/// URI; were it asked, the index is out of range and the fast path defers.
fn uri(uris: &[(Ns, Known)], index: Option<u32>) -> Option<Option<Ns>> {
    match index {
        Some(i) => Some(Some(uris.get(i as usize)?.0.clone())),
        None => Some(None),
    }
}

impl Tag<'_> {
    fn is(&self, ns: Known, local: &[u8]) -> bool {
        self.known == ns && ns != Known::Other && self.local == local
    }
}

/// What comes next inside an element-only container.
enum Next {
    Child(bool),
    End,
}

impl<'a> Fast<'a> {
    /// A parser over `input` read up to its root's start tag: the parser,
    /// whether there was an XML declaration, the root's tag and whether it
    /// is empty. `None` (defer) for input too large, not UTF-8, holding a
    /// character XML forbids, or with anything but white space before the
    /// root.
    fn start(input: &'a [u8], limits: &Limits) -> Option<(Fast<'a>, bool, bool)> {
        if input.len() > limits.max_size {
            return None;
        }
        // Invalid UTF-8 or a forbidden control anywhere: the reference path
        // decides (and gives the error).
        let doc = std::str::from_utf8(input).ok()?;
        let (forbidden, cr) = crate::xml::scan_controls(input);
        if forbidden.is_some() {
            return None;
        }
        let mut f = Fast {
            scan: Scanner::new(doc, cr),
            doc,
            limits: *limits,
            elements: 0,
            depth: 0,
            bindings: vec![Binding {
                prefix: Some(b"xml"),
                uri: Some(XML_NS),
                atom: Some(Cow::Borrowed("xml")),
            }],
            uris: Vec::new(),
            decls: Vec::new(),
            attrs: Vec::new(),
            special: None,
        };
        let declaration = f.scan.declaration()?;
        match f.scan.next_skip_ws()? {
            Token::Start(empty) => Some((f, declaration, empty)),
            _ => None,
        }
    }

    /// The URI interned at `i`, as text that shares it.
    fn uri_text(&self, i: u32) -> Option<Text> {
        Some(Text::from(&self.uris.get(i as usize)?.0))
    }

    /// The binding of `prefix` in scope (`None`: the default namespace),
    /// by its index in [`Fast::bindings`]: the URI it is bound to and the
    /// index.
    fn lookup(&self, prefix: Option<&[u8]>) -> Option<(Option<u32>, u32)> {
        let i = self
            .bindings
            .iter()
            .rposition(|d| match (d.prefix, prefix) {
                (Some(a), Some(b)) => short_eq(a, b),
                (None, None) => true,
                _ => false,
            })?;
        Some((self.bindings.get(i)?.uri, u32::try_from(i).ok()?))
    }

    /// The prefix of binding `i` as a name holds it.
    fn prefix_atom(&self, i: u32) -> Option<Cow<'static, str>> {
        self.bindings.get(i as usize)?.atom.clone()
    }

    /// Checks limits, binds the tag's namespace declarations and resolves
    /// its names. The tag's attributes are the scanner's
    /// ([`Scanner::attrs`]): call it right after the tag is read.
    #[inline]
    fn open(&mut self, empty: bool, within: Within) -> Option<Tag<'a>> {
        // What the last tag's reader did not take (declarations on a typed
        // element, which the model does not keep) goes.
        self.decls.clear();
        self.attrs.clear();
        self.special = None;
        self.elements += 1;
        if self.elements > self.limits.max_elements
            || self.depth >= self.limits.max_depth
            || self.depth >= MAX_RECURSION
        {
            return None;
        }
        let mark = u32::try_from(self.bindings.len()).ok()?;
        let n = self.scan.attrs().len();
        if n > self.limits.max_attributes {
            return None;
        }
        // Most elements carry no attribute: those skip both passes.
        let plain = match self.scan.attrs() {
            [] => 0,
            // One attribute that is no declaration (a tuple's `id`, a
            // contact's `priority`, a note's `xml:lang`): nothing to bind,
            // nothing it could duplicate.
            [a] if !is_decl(a, self.doc.as_bytes()) => 1,
            _ => self.declare(n)?,
        };
        let s = self.scan.tag();
        let (prefix, local) = (s.prefix, s.local);
        if prefix.is_some_and(|p| p == b"xmlns" || p == b"xml") {
            return None;
        }
        let (ns, binding) = match prefix {
            Some(p) => {
                let (uri, i) = self.lookup(Some(p))?;
                (Some(uri?), i)
            }
            None => (self.lookup(None).and_then(|(uri, _)| uri), 0),
        };
        let known = match ns {
            Some(XML_NS) | None => Known::Other,
            Some(i) => self.uris.get(i as usize)?.1,
        };
        let typed = special(within, known, local);
        if plain > 0 {
            self.read_attrs(n, plain, typed)?;
        }
        if !empty {
            self.depth += 1;
        }
        Some(Tag {
            ns,
            known,
            prefix,
            binding,
            local,
            empty,
            mark,
        })
    }

    /// The first pass over a tag's `n` attributes (out of line, as most
    /// tags have none): refuses duplicates and binds the namespace
    /// declarations. Returns how many other attributes there are.
    #[inline(never)]
    fn declare(&mut self, n: usize) -> Option<usize> {
        let doc = self.doc;
        let b = doc.as_bytes();
        let mut plain = 0usize;
        for i in 0..n {
            let a = *self.scan.attrs().get(i)?;
            let key = a.qname(b);
            // Attribute counts are small: a duplicate is looked for among
            // the earlier names, which costs less than a table of names.
            let earlier = self.scan.attrs().get(..i)?;
            if earlier.iter().any(|e| short_eq(e.qname(b), key)) {
                return None;
            }
            let prefix = match a.prefix(b) {
                None if key == b"xmlns" => None,
                Some(b"xmlns") => Some(a.local(b)),
                _ => {
                    plain += 1;
                    continue;
                }
            };
            if a.refs || a.ws || a.quot {
                return None;
            }
            // The value is read borrowed: the text declared comes from the
            // interned URI, so an unknown long URI is allocated once.
            let v = a.raw(doc);
            if reserved_uri(v) {
                return None;
            }
            match prefix {
                None => {
                    let (uri, v) = if v.is_empty() {
                        (None, Text::EMPTY)
                    } else {
                        let i = intern(&mut self.uris, v)?;
                        (Some(i), self.uri_text(i)?)
                    };
                    self.bindings.push(Binding {
                        prefix: None,
                        uri,
                        atom: None,
                    });
                    self.decls.push(NsDecl {
                        prefix: None,
                        uri: v,
                    });
                }
                Some(p) => {
                    if v.is_empty() || p == b"xml" || p == b"xmlns" {
                        return None;
                    }
                    let uri = intern(&mut self.uris, v)?;
                    let text = utf8(doc, p)?;
                    self.bindings.push(Binding {
                        prefix: Some(p),
                        uri: Some(uri),
                        atom: Some(atom(text)),
                    });
                    self.decls.push(NsDecl {
                        prefix: Some(Text::new(text)),
                        uri: self.uri_text(uri)?,
                    });
                }
            }
        }
        Some(plain)
    }

    /// The second pass: the attributes other than declarations, their
    /// names resolved now the tag's own declarations are bound, into
    /// `attrs`; the value of `typed` (the attribute the model types here)
    /// into `special`.
    #[inline(never)]
    fn read_attrs(&mut self, n: usize, plain: usize, typed: Option<&[u8]>) -> Option<()> {
        let doc = self.doc;
        let b = doc.as_bytes();
        // The other attributes, now the element's own declarations are
        // bound.
        for i in 0..n {
            let a = *self.scan.attrs().get(i)?;
            let ap = a.prefix(b);
            let key = a.qname(b);
            if is_decl(&a, b) {
                continue;
            }
            if Some(key) == typed {
                self.special = Some(attr_cow(doc, &a)?);
                continue;
            }
            if self.attrs.capacity() == 0 {
                self.attrs.reserve_exact(plain);
            }
            let (ans, aprefix) = match ap {
                Some(p) => {
                    let (index, i) = self.lookup(Some(p))?;
                    let ans = match index {
                        Some(XML_NS) => Some(Ns::from_static(ns::XML)),
                        index => uri(&self.uris, index)?,
                    };
                    (ans, Some(self.prefix_atom(i)?))
                }
                None => (None, None),
            };
            self.attrs.push(Attribute {
                name: Name {
                    ns: ans,
                    prefix: aprefix,
                    local: atom(utf8(doc, a.local(b))?),
                },
                value: Text::from(attr_cow(doc, &a)?),
            });
        }
        Some(())
    }

    /// Unbinds what `open` bound (call after the element's end).
    fn close(&mut self, mark: u32, empty: bool) {
        self.bindings.truncate(mark as usize);
        if !empty {
            self.depth -= 1;
        }
    }

    /// After the root: only white space may follow.
    fn epilog(&mut self) -> bool {
        matches!(self.scan.next_skip_ws(), Some(Token::Eof))
    }

    fn next(&mut self) -> Option<Next> {
        match self.scan.next_tag()? {
            Token::Start(empty) => Some(Next::Child(empty)),
            Token::End => Some(Next::End),
            _ => None,
        }
    }

    /// The text of a leaf element through its end, as written (see
    /// [`Token::Text`]); child elements, CDATA and comments defer.
    fn leaf_raw(&mut self, empty: bool) -> Option<(&'a str, scan::Work)> {
        if empty {
            return Some(("", scan::Work::default()));
        }
        match self.scan.next()? {
            Token::End => Some(("", scan::Work::default())),
            Token::Text(t, work) => matches!(self.scan.next()?, Token::End).then_some((t, work)),
            _ => None,
        }
    }

    /// The text of a leaf element, borrowed from the input when it can be.
    fn leaf(&mut self, empty: bool) -> Option<Cow<'a, str>> {
        let (raw, work) = self.leaf_raw(empty)?;
        scan::unescape(raw, work)
    }

    /// The same as a [`Text`] (see [`scan::unescape_text`]).
    fn leaf_text(&mut self, empty: bool) -> Option<Text> {
        let (raw, work) = self.leaf_raw(empty)?;
        scan::unescape_text(raw, work)
    }

    /// An extension element's shell (name, declarations, attributes), its
    /// children still to read.
    fn shell(&mut self, tag: Tag<'_>) -> Option<Element> {
        let name = self.shell_name(tag)?;
        Some(self.shell_of(name))
    }

    /// The name of an extension element; `None` for one opened as a typed
    /// element (its typed attribute is not in `attrs`).
    fn shell_name(&self, tag: Tag<'_>) -> Option<Name> {
        if self.special.is_some() {
            return None;
        }
        Some(Name {
            ns: uri(&self.uris, tag.ns)?,
            prefix: match tag.prefix {
                Some(_) => Some(self.prefix_atom(tag.binding)?),
                None => None,
            },
            local: atom(utf8(self.doc, tag.local)?),
        })
    }

    /// The shell of the element last opened, named `name`. Infallible, so
    /// that a caller can build it straight into its vector (no fallible
    /// step between, which would have it built aside and copied).
    fn shell_of(&mut self, name: Name) -> Element {
        Element {
            name,
            namespaces: std::mem::take(&mut self.decls),
            attributes: std::mem::take(&mut self.attrs),
            children: Vec::new(),
        }
    }

    /// Reads an extension element's children through its end, building
    /// them in place (no element is moved once made).
    fn children_into(&mut self, children: &mut Vec<Node>) -> Option<()> {
        loop {
            let empty = match self.scan.next()? {
                Token::Start(empty) => empty,
                Token::Text(t, work) if work.refs => {
                    let text = scan::unescape_text(t, work)?;
                    match children.last_mut() {
                        Some(Node::Text(prev)) => prev.push_str(&text),
                        _ => push_node(children, Node::Text(text)),
                    }
                    continue;
                }
                Token::Text(t, work) => {
                    push_text(children, &scan::unescape(t, work)?);
                    continue;
                }
                Token::End => return Some(()),
                Token::Eof => return None,
            };
            let t = self.open(empty, Within::Other)?;
            let mark = t.mark;
            let name = self.shell_name(t)?;
            push_node(children, Node::Element(self.shell_of(name)));
            if !empty {
                let Some(Node::Element(e)) = children.last_mut() else {
                    return None;
                };
                self.children_into(&mut e.children)?;
            }
            self.close(mark, empty);
        }
    }

    /// A child of a typed container that the model keeps as an extension,
    /// read into `out`.
    fn ext_into(&mut self, tag: Tag<'_>, out: &mut Vec<Element>) -> Option<()> {
        let (mark, empty) = (tag.mark, tag.empty);
        let name = self.shell_name(tag)?;
        out.push(self.shell_of(name));
        if !empty {
            let e = out.last_mut()?;
            self.children_into(&mut e.children)?;
        }
        self.close(mark, empty);
        Some(())
    }

    /// The root (presence or pidf-full, checked by the caller) and its
    /// content.
    fn presence(&mut self, tag: Tag<'_>) -> Option<Presence> {
        let mut p = Presence {
            entity: self.special.take().map(Text::from),
            prefix: match tag.prefix {
                Some(x) => Some(Text::new(utf8(self.doc, x)?)),
                None => None,
            },
            attributes: std::mem::take(&mut self.attrs),
            namespaces: std::mem::take(&mut self.decls),
            ..Presence::default()
        };
        if !tag.empty {
            // The highest rank of a child kind read so far (see `child_read`).
            let mut high = 0;
            while let Next::Child(empty) = self.next()? {
                let t = self.open(empty, Within::Presence)?;
                let part = match t.known {
                    Known::Pidf if t.local == b"tuple" => {
                        self.tuple_into(t, &mut p.tuples)?;
                        Part::Tuple
                    }
                    Known::Pidf if t.local == b"note" => {
                        p.notes.push(self.note(t)?);
                        Part::Note
                    }
                    Known::DataModel if t.local == b"person" => {
                        p.persons.push(self.person(t)?);
                        Part::Person
                    }
                    Known::DataModel if t.local == b"device" => {
                        p.devices.push(self.device(t)?);
                        Part::Device
                    }
                    _ => {
                        self.ext_into(t, &mut p.extensions)?;
                        Part::Ext
                    }
                };
                p.child_read(&mut high, part);
            }
        }
        self.close(tag.mark, tag.empty);
        Some(p)
    }

    fn note(&mut self, tag: Tag<'_>) -> Option<Note> {
        let lang = self.special.take().map(Text::from);
        let text = self.leaf_text(tag.empty)?;
        self.close(tag.mark, tag.empty);
        Some(Note {
            text,
            lang,
            attributes: std::mem::take(&mut self.attrs),
        })
    }

    /// A leaf the model types without attributes (basic, timestamp,
    /// deviceID): its text.
    fn bare_leaf(&mut self, tag: Tag<'_>) -> Option<Cow<'a, str>> {
        if !self.attrs.is_empty() {
            return None;
        }
        let text = self.leaf(tag.empty)?;
        self.close(tag.mark, tag.empty);
        Some(text)
    }

    /// A tuple, read into a new last slot of `tuples`: built where it is
    /// kept, not built aside and copied (a `Tuple` is over 300 bytes).
    fn tuple_into(&mut self, tag: Tag<'_>, tuples: &mut Vec<Tuple>) -> Option<()> {
        let id = Text::from(self.special.take()?);
        tuples.push(Tuple {
            id,
            attributes: std::mem::take(&mut self.attrs),
            extensions: Vec::with_capacity(4),
            ..Tuple::default()
        });
        let t = tuples.last_mut()?;
        let mut status = false;
        if !tag.empty {
            // The highest rank of a child kind read so far (see `child_read`).
            let mut high = 0;
            while let Next::Child(empty) = self.next()? {
                let c = self.open(empty, Within::Tuple)?;
                let part = match (c.known, c.local) {
                    (Known::Pidf, b"status") => {
                        if status {
                            return None;
                        }
                        status = true;
                        self.status_into(c, &mut t.status)?;
                        Part::Status
                    }
                    (Known::Pidf, b"contact") => {
                        if t.contact.is_some() {
                            return None;
                        }
                        let priority = match self.special.take() {
                            Some(p) => Some(Priority::parse(&p)?),
                            None => None,
                        };
                        let uri = Text::new(self.leaf(c.empty)?.trim());
                        self.close(c.mark, c.empty);
                        t.contact = Some(Contact {
                            uri,
                            priority,
                            attributes: std::mem::take(&mut self.attrs),
                        });
                        Part::Contact
                    }
                    (Known::Pidf, b"note") => {
                        let note = self.note(c)?;
                        t.notes.push(note);
                        Part::Note
                    }
                    (Known::Pidf, b"timestamp") => {
                        if t.timestamp.is_some() {
                            return None;
                        }
                        t.timestamp = Some(Timestamp::parse(&self.bare_leaf(c)?)?);
                        Part::Timestamp
                    }
                    _ => {
                        self.ext_into(c, &mut t.extensions)?;
                        Part::Ext
                    }
                };
                t.child_read(&mut high, part, status);
            }
        }
        self.close(tag.mark, tag.empty);
        status.then_some(())
    }

    /// A tuple's status, read into `st` (a default one).
    fn status_into(&mut self, tag: Tag<'_>, st: &mut Status) -> Option<()> {
        st.attributes = std::mem::take(&mut self.attrs);
        if !tag.empty {
            // The highest rank of a child kind read so far (see `child_read`).
            let mut high = 0;
            while let Next::Child(empty) = self.next()? {
                let c = self.open(empty, Within::Other)?;
                if c.is(Known::Pidf, b"basic") {
                    if st.basic.is_some() {
                        return None;
                    }
                    st.basic = Some(Basic::parse(&self.bare_leaf(c)?)?);
                    st.child_read(&mut high, Part::Basic);
                } else {
                    self.ext_into(c, &mut st.extensions)?;
                    st.child_read(&mut high, Part::Ext);
                }
            }
        }
        self.close(tag.mark, tag.empty);
        Some(())
    }

    fn person(&mut self, tag: Tag<'_>) -> Option<Person> {
        let mut p = Person {
            id: Text::from(self.special.take()?),
            attributes: std::mem::take(&mut self.attrs),
            extensions: Vec::with_capacity(8),
            ..Person::default()
        };
        if !tag.empty {
            // The highest rank of a child kind read so far (see `child_read`).
            let mut high = 0;
            while let Next::Child(empty) = self.next()? {
                let c = self.open(empty, Within::DataModel)?;
                let part = match (c.known, c.local) {
                    (Known::DataModel, b"note") => {
                        p.notes.push(self.note(c)?);
                        Part::Note
                    }
                    (Known::DataModel, b"timestamp") => {
                        if p.timestamp.is_some() {
                            return None;
                        }
                        p.timestamp = Some(Timestamp::parse(&self.bare_leaf(c)?)?);
                        Part::Timestamp
                    }
                    _ => {
                        self.ext_into(c, &mut p.extensions)?;
                        Part::Ext
                    }
                };
                p.child_read(&mut high, part);
            }
        }
        self.close(tag.mark, tag.empty);
        Some(p)
    }

    fn device(&mut self, tag: Tag<'_>) -> Option<Device> {
        let mut d = Device {
            id: Text::from(self.special.take()?),
            attributes: std::mem::take(&mut self.attrs),
            ..Device::default()
        };
        let mut device_id = None;
        if !tag.empty {
            // The highest rank of a child kind read so far (see `child_read`).
            let mut high = 0;
            while let Next::Child(empty) = self.next()? {
                let c = self.open(empty, Within::DataModel)?;
                let part = match (c.known, c.local) {
                    (Known::DataModel, b"deviceID") => {
                        if device_id.is_some() {
                            return None;
                        }
                        device_id = Some(Text::new(self.bare_leaf(c)?.trim()));
                        Part::DeviceId
                    }
                    (Known::DataModel, b"note") => {
                        d.notes.push(self.note(c)?);
                        Part::Note
                    }
                    (Known::DataModel, b"timestamp") => {
                        if d.timestamp.is_some() {
                            return None;
                        }
                        d.timestamp = Some(Timestamp::parse(&self.bare_leaf(c)?)?);
                        Part::Timestamp
                    }
                    _ => {
                        self.ext_into(c, &mut d.extensions)?;
                        Part::Ext
                    }
                };
                d.child_read(&mut high, part, device_id.is_some());
            }
        }
        self.close(tag.mark, tag.empty);
        d.device_id = device_id?;
        Some(d)
    }
}

/// Most extension elements hold one child (their text): start with room
/// for exactly one instead of the default four.
fn push_node(v: &mut Vec<Node>, n: Node) {
    if v.capacity() == 0 {
        v.reserve_exact(1);
    }
    v.push(n);
}

fn push_text(children: &mut Vec<Node>, s: &str) {
    if let Some(Node::Text(prev)) = children.last_mut() {
        prev.push_str(s);
    } else {
        push_node(children, Node::text(s));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The reference parse of a presence document, through quick-xml
    /// alone (not the tree's own fast path).
    fn reference(input: &[u8]) -> Option<Presence> {
        let doc = Document::parse_reference(input, &Limits::default()).ok()?;
        Presence::from_document(doc).ok()
    }

    /// Whenever the fast path answers, it answers what the reference does.
    fn agree(input: &[u8]) -> bool {
        match parse(input, &Limits::default()) {
            Some(fast) => {
                assert_eq!(
                    Some(&fast),
                    reference(input).as_ref(),
                    "{}",
                    String::from_utf8_lossy(input)
                );
                true
            }
            None => false,
        }
    }

    /// The same for the generic tree.
    fn tree_agrees(input: &[u8]) -> bool {
        match parse_tree(input, &Limits::default()) {
            Some(fast) => {
                assert_eq!(
                    Ok(&fast),
                    Document::parse_reference(input, &Limits::default()).as_ref(),
                    "{}",
                    String::from_utf8_lossy(input)
                );
                true
            }
            None => false,
        }
    }

    /// XML 1.0 sections 2.11 and 3.3.3: a document written with CR LF
    /// line ends (or lone CRs) and with tabs and line breaks inside
    /// attribute values stays on the fast path, which normalizes them as
    /// the reference does; references to those characters are kept.
    #[test]
    fn line_ends_and_attribute_white_space_are_normalized_on_both_paths() {
        let tree = "<?xml version=\"1.0\"?>\r\n<a xmlns=\"urn:x\" v=\"1\t2\r\n3\n4\r5\" \
                    r=\"&#9;&#10;&#13;\">\r\n  l1\r\nl2\rl3&#13;&#10;<b>&amp;\r</b>\r\n\
                    <c>\r\r\n01234567890123456789\r\n</c></a>\r\n";
        assert!(tree_agrees(tree.as_bytes()), "the fast path takes it");
        let d = parse_tree(tree.as_bytes(), &Limits::default()).unwrap();
        assert_eq!(d.root.attr("v"), Some("1 2 3 4 5"));
        assert_eq!(d.root.attr("r"), Some("\t\n\r"));
        assert_eq!(d.root.text(), "\n  l1\nl2\nl3\r\n\n");
        let child = |name: &str| d.root.elements().find(|e| e.name.local == name).unwrap();
        assert_eq!(child("b").text(), "&\n");
        assert_eq!(child("c").text(), "\n\n01234567890123456789\n");
        // Written back, a CR from a reference and the attribute's white
        // space are references again, so a second parse gives the same.
        let mut out = Vec::new();
        d.write(&mut out);
        let again = Document::parse(&out, &Limits::default()).unwrap();
        assert_eq!(again.root, d.root);

        let presence = "<presence xmlns=\"urn:ietf:params:xml:ns:pidf\" entity=\"pres:a@b\">\r\n\
                        <tuple id=\"t\">\r\n<status><basic>open</basic></status>\r\n\
                        <note>a\r\nb</note>\r\n</tuple>\r\n</presence>\r\n";
        assert!(agree(presence.as_bytes()), "the typed fast path takes it");
        let p = parse(presence.as_bytes(), &Limits::default()).unwrap();
        assert_eq!(p.tuples[0].notes[0].text, "a\nb");
    }

    #[test]
    fn tree_agrees_on_every_xml_vector() {
        let mut deferred = Vec::new();
        let mut taken = 0;
        for dir in ["pidf", "policy", "rls", "winfo"] {
            for (name, bytes) in testkit::vectors(dir, ".xml") {
                if tree_agrees(&bytes) {
                    taken += 1;
                } else {
                    deferred.push(format!("{dir}/{name}"));
                }
            }
        }
        // The three vectors that are not well-formed as printed in their
        // RFCs (a stray quote, an unbound prefix) defer, and the reference
        // refuses them.
        assert_eq!(
            deferred,
            ["pidf/4482-1.xml", "rls/4662-rlmi-1.xml", "rls/4826-4.xml"],
            "{taken} taken"
        );
        for name in &deferred {
            let bytes = testkit::vector(name);
            assert!(Document::parse_reference(&bytes, &Limits::default()).is_err());
        }
    }

    #[test]
    fn tree_defers_what_the_scanner_does_not_take() {
        for doc in [
            "<!-- c --><a/>",
            "<a/><?pi x?>",
            "<a><![CDATA[x]]></a>",
            "<a>&nbsp;</a>",
            "<a xmlns:p='urn:x'><p:b/><q:c/></a>",
            "<a><b></a></b>",
        ] {
            assert!(
                parse_tree(doc.as_bytes(), &Limits::default()).is_none(),
                "{doc}"
            );
        }
        let limits = Limits {
            max_depth: 3,
            ..Limits::default()
        };
        assert!(parse_tree(b"<a><b><c/></b></a>", &limits).is_some());
        assert!(parse_tree(b"<a><b><c><d/></c></b></a>", &limits).is_none());
    }

    #[test]
    fn agrees_on_every_vector() {
        let mut taken = 0;
        for (name, bytes) in testkit::vectors("pidf", ".xml") {
            if agree(&bytes) {
                taken += 1;
            } else {
                // Partial documents have another root; 4482-1 is malformed.
                assert!(
                    name.starts_with("5262") || name == "4482-1.xml",
                    "{name} should take the fast path"
                );
            }
        }
        assert_eq!(taken, 11);
    }

    #[test]
    fn agrees_on_pidf_full() {
        for name in ["5262-1.xml", "5262-3.xml"] {
            let bytes = testkit::vector(&format!("pidf/{name}"));
            let fast = parse_full(&bytes, &Limits::default()).expect("takes the fast path");
            let reference = crate::partial::PartialDoc::parse_reference(&bytes, &Limits::default());
            assert_eq!(
                Ok(crate::partial::PartialDoc::Full(fast)),
                reference,
                "{name}"
            );
        }
        assert!(parse_full(&testkit::vector("pidf/5262-2.xml"), &Limits::default()).is_none());
        assert!(parse_full(&testkit::vector("pidf/3863-2.xml"), &Limits::default()).is_none());
        let bad_version = br#"<p:pidf-full xmlns="urn:ietf:params:xml:ns:pidf" xmlns:p="urn:ietf:params:xml:ns:pidf-diff" version="x"/>"#;
        assert!(parse_full(bad_version, &Limits::default()).is_none());
    }

    /// Children out of schema order are laid out as read, on both paths:
    /// the fast path's rank check must call for the layout exactly where
    /// the reference's counts do.
    #[test]
    fn agrees_on_children_out_of_schema_order() {
        let docs = [
            // A note before the status, an extension after the timestamp.
            "<presence xmlns='urn:ietf:params:xml:ns:pidf' xmlns:x='urn:x' entity='pres:a@b'>\
             <tuple id='t'><note>n</note><status><basic>open</basic></status>\
             <timestamp>2005-10-27T16:49:00Z</timestamp><x:e/></tuple></presence>",
            // In order, then out of order twice in one container.
            "<presence xmlns='urn:ietf:params:xml:ns:pidf' xmlns:x='urn:x' entity='pres:a@b'>\
             <tuple id='t'><status><x:s/><basic>open</basic></status><x:e/>\
             <contact>sip:a@b</contact><x:f/><note>n</note><x:g/></tuple>\
             <note>p</note><tuple id='u'><status/></tuple></presence>",
            // The data model's person and device out of order too.
            "<presence xmlns='urn:ietf:params:xml:ns:pidf' \
             xmlns:dm='urn:ietf:params:xml:ns:pidf:data-model' xmlns:x='urn:x' entity='pres:a@b'>\
             <dm:person id='p'><dm:note>n</dm:note><x:e/></dm:person>\
             <dm:device id='d'><dm:note>n</dm:note><dm:deviceID>urn:x:1</dm:deviceID></dm:device>\
             <tuple id='t'><status/></tuple></presence>",
        ];
        for doc in docs {
            assert!(agree(doc.as_bytes()), "the fast path takes {doc}");
            let p = parse(doc.as_bytes(), &Limits::default()).unwrap();
            let mut out = Vec::new();
            p.write(&mut out);
            let written = String::from_utf8(out).unwrap();
            let again = Presence::parse(written.as_bytes()).unwrap();
            assert_eq!(again, p, "{written}");
        }
    }

    #[test]
    fn takes_the_bench_document() {
        let doc = include_bytes!("../benches/data/rpid-10.xml");
        assert!(agree(doc));
    }

    #[test]
    fn defers_on_what_it_does_not_handle() {
        for doc in [
            "<presence xmlns='urn:ietf:params:xml:ns:pidf'><!-- c --></presence>",
            "<presence xmlns='urn:ietf:params:xml:ns:pidf'><tuple id='a'/></presence>",
            "<presence xmlns='urn:ietf:params:xml:ns:pidf'>x</presence>",
            "<presence xmlns='urn:ietf:params:xml:ns:pidf'/><x/>",
            "<!DOCTYPE x><presence xmlns='urn:ietf:params:xml:ns:pidf'/>",
            "<presence xmlns='urn:ietf:params:xml:ns:pidf'><p:x/></presence>",
            "<presence xmlns='urn:ietf:params:xml:ns:pidf' xmlns:x='http://www.w3.org/XML/1998/namespace'/>",
            "<presence xmlns='urn:ietf:params:xml:ns:pidf'><a xmlns='http://www.w3.org/2000/xmlns/'/></presence>",
        ] {
            assert!(parse(doc.as_bytes(), &Limits::default()).is_none(), "{doc}");
        }
        let p = parse(
            b"<presence xmlns='urn:ietf:params:xml:ns:pidf' entity='a'/>",
            &Limits::default(),
        )
        .unwrap();
        assert_eq!(p.entity.as_deref(), Some("a"));
    }

    /// A presence document in well-formed syntax varied where XML allows:
    /// quotes, white space around `=`, before `>` and `/>` and in end
    /// tags, references in text and attribute values, `>` and `]` in
    /// text, CR LF and lone CR line ends, tabs and line breaks in attribute
    /// values, extension elements with mixed content.
    fn varied_document() -> impl Strategy<Value = String> {
        let ws = || prop::sample::select(vec!["", " ", "\n", "\t", "  \r\n "]);
        let sp = || prop::sample::select(vec![" ", "\n  ", "\t"]);
        let q = || prop::sample::select(vec!['"', '\'']);
        let text = || {
            prop::sample::select(vec![
                "open",
                "a &amp; b",
                "&#65;&#x42;",
                "x&lt;y&gt;z",
                "it&apos;s &quot;q&quot;",
                " spaced ",
                "",
                "]]",
                "a]b>c",
                "caf\u{e9} \u{1F600}",
                "l1\r\nl2\rl3\n",
                "&#13;\r\n&#10;\r",
            ])
        };
        let attr = || {
            prop::sample::select(vec![
                "v",
                "a&amp;b",
                "x>y",
                "",
                "&#x20AC;",
                "a\tb\r\nc\rd\ne",
                "&#9;\t&#13;\r\n",
            ])
        };
        let decl = prop::sample::select(vec![
            "",
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n",
            "<?xml version='1.0' standalone='yes' ?>",
        ]);
        (
            (decl, ws(), ws(), q(), q(), sp(), ws()),
            (ws(), ws(), ws(), prop::bool::ANY, text(), ws()),
            (q(), attr(), ws(), text(), text(), ws(), ws()),
        )
            .prop_map(
                |(
                    (decl, w1, w2, q1, q2, s1, w3),
                    (w4, w5, w6, open, note, w7),
                    (q3, a, w8, t1, t2, w9, w10),
                )| {
                    let basic = if open { "open" } else { "closed" };
                    format!(
                        "{decl}<presence xmlns{w1}={w2}{q1}urn:ietf:params:xml:ns:pidf{q1}{s1}\
                         entity={q2}pres:a@example.com{q2}{w3}>{w4}\
                         <tuple id={q1}t1{q1}{w5}><status{w6}><basic>{basic}</basic{w7}></status>\
                         <note{w8}>{note}</note>\
                         <x:e xmlns:x={q3}urn:x{q3}{s1}a={q3}{a}{q3} xml:space='preserve'{w9}>{t1}<x:f{w9}/>{t2}</x:e{w10}>\
                         </tuple{w10}></presence{w9}>{w4}"
                    )
                },
            )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// The fast path takes every document of the subset its scanner
        /// reads, and answers what the reference path does.
        #[test]
        fn takes_and_agrees_on_varied_syntax(doc in varied_document()) {
            prop_assert!(agree(doc.as_bytes()), "{doc}");
            prop_assert!(tree_agrees(doc.as_bytes()), "{doc}");
        }

        #[test]
        fn agrees_on_mutated_vectors(
            which in 0usize..15,
            edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..4),
        ) {
            let vectors = testkit::vectors("pidf", ".xml");
            let (_, mut bytes) = vectors[which % vectors.len()].clone();
            for (i, b) in edits {
                let at = i.index(bytes.len());
                bytes[at] = b;
            }
            agree(&bytes);
            tree_agrees(&bytes);
            if let Some(fast) = parse_full(&bytes, &Limits::default()) {
                let reference = crate::partial::PartialDoc::parse_reference(&bytes, &Limits::default());
                assert_eq!(Ok(crate::partial::PartialDoc::Full(fast)), reference);
            }
        }
    }
}
