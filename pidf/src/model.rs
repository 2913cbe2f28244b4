//! The PIDF document (RFC 3863) with the data model's persons and devices
//! (RFC 4479), kept lossless.
//!
//! Each container (presence, tuple, status, person, device) holds typed
//! fields for what the RFCs define and an `extensions` list of
//! [`Element`]s for everything else, in any namespace. The container also
//! remembers the order its children came in, so a document is written back
//! with every child in its original place; children added later go after the
//! last of their kind (or at their schema position if there is none).

use crate::error::{clip, Error};
use crate::ns;
use crate::text::Text;
use crate::time::Timestamp;
use crate::xml::{atom, Attribute, Document, Element, Limits, Name, Node, Ns, NsDecl};
use std::borrow::Cow;

/// The kinds of children a container lays out; the layout is a list of these.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Part {
    Tuple = 0,
    Note = 1,
    Person = 2,
    Device = 3,
    Ext = 4,
    Status = 5,
    Contact = 6,
    Timestamp = 7,
    DeviceId = 8,
    Basic = 9,
}
const PARTS: usize = 10;

/// The kinds of each container's children in schema order: the order
/// [`arrange`] gives a container whose layout is empty.
const PRESENCE_KINDS: [Part; 5] = [
    Part::Tuple,
    Part::Note,
    Part::Person,
    Part::Device,
    Part::Ext,
];
const TUPLE_KINDS: [Part; 5] = [
    Part::Status,
    Part::Ext,
    Part::Contact,
    Part::Note,
    Part::Timestamp,
];
const STATUS_KINDS: [Part; 2] = [Part::Basic, Part::Ext];
const PERSON_KINDS: [Part; 3] = [Part::Ext, Part::Note, Part::Timestamp];
const DEVICE_KINDS: [Part; 4] = [Part::Ext, Part::DeviceId, Part::Note, Part::Timestamp];

/// Records that a child of kind `part` was just read into a container
/// whose children come in `kinds` order. The layout stays empty,
/// allocation-free, while the children come in schema order, which an
/// empty layout reproduces; at the first child out of that order the order
/// so far is written out from `counts` (aligned with `kinds`, counting this
/// child too), which is called only then. `high` is the highest rank in
/// `kinds` of a child read so far in the container (0 before the first),
/// so a child in schema order costs one comparison.
fn record<const N: usize>(
    layout: &mut Vec<Part>,
    high: &mut usize,
    kinds: &[Part; N],
    part: Part,
    counts: impl FnOnce() -> [usize; N],
) {
    if !layout.is_empty() {
        layout.push(part);
        return;
    }
    let rank = kinds.iter().position(|k| *k == part).unwrap_or(0);
    if rank >= *high {
        *high = rank;
        return;
    }
    for (k, n) in kinds.iter().zip(counts()) {
        let n = if *k == part { n.saturating_sub(1) } else { n };
        layout.extend(std::iter::repeat_n(*k, n));
    }
    layout.push(part);
}

impl Presence {
    /// [`record`]s a child of kind `part` just read into this presence.
    pub(crate) fn child_read(&mut self, high: &mut usize, part: Part) {
        record(&mut self.layout, high, &PRESENCE_KINDS, part, || {
            [
                self.tuples.len(),
                self.notes.len(),
                self.persons.len(),
                self.devices.len(),
                self.extensions.len(),
            ]
        });
    }
}

impl Tuple {
    /// [`record`]s a child of kind `part` just read into this tuple;
    /// `status` says whether its status has been read (the readers keep
    /// it aside until the end).
    pub(crate) fn child_read(&mut self, high: &mut usize, part: Part, status: bool) {
        record(&mut self.layout, high, &TUPLE_KINDS, part, || {
            [
                usize::from(status),
                self.extensions.len(),
                usize::from(self.contact.is_some()),
                self.notes.len(),
                usize::from(self.timestamp.is_some()),
            ]
        });
    }
}

impl Status {
    /// [`record`]s a child of kind `part` just read into this status.
    pub(crate) fn child_read(&mut self, high: &mut usize, part: Part) {
        record(&mut self.layout, high, &STATUS_KINDS, part, || {
            [usize::from(self.basic.is_some()), self.extensions.len()]
        });
    }
}

impl Person {
    /// [`record`]s a child of kind `part` just read into this person.
    pub(crate) fn child_read(&mut self, high: &mut usize, part: Part) {
        record(&mut self.layout, high, &PERSON_KINDS, part, || {
            [
                self.extensions.len(),
                self.notes.len(),
                usize::from(self.timestamp.is_some()),
            ]
        });
    }
}

impl Device {
    /// [`record`]s a child of kind `part` just read into this device;
    /// `device_id` says whether its deviceID has been read (the readers
    /// keep it aside until the end).
    pub(crate) fn child_read(&mut self, high: &mut usize, part: Part, device_id: bool) {
        record(&mut self.layout, high, &DEVICE_KINDS, part, || {
            [
                self.extensions.len(),
                usize::from(device_id),
                self.notes.len(),
                usize::from(self.timestamp.is_some()),
            ]
        });
    }
}

/// The order to write children in: the remembered `layout` filled with the
/// items there are now. `kinds` lists `(kind, schema rank, count)`.
// Every index is a `Part` discriminant, below `PARTS` by construction.
#[allow(clippy::indexing_slicing)]
fn arrange(layout: &[Part], kinds: &[(Part, u8, usize)]) -> Vec<(Part, usize)> {
    let mut total = [0usize; PARTS];
    let mut rank = [0u8; PARTS];
    let mut slots = [0usize; PARTS];
    let mut seen = [0usize; PARTS];
    let mut next = [0usize; PARTS];
    let mut out = Vec::with_capacity(kinds.iter().map(|k| k.2).sum());
    for &(p, r, n) in kinds {
        total[p as usize] = n;
        rank[p as usize] = r;
    }
    for &p in layout {
        slots[p as usize] += 1;
    }
    // Kinds the layout never saw go before the first slot of a later rank.
    let flush = |below: Option<u8>, next: &mut [usize; PARTS], out: &mut Vec<(Part, usize)>| {
        for &(p, r, n) in kinds {
            let i = p as usize;
            if slots[i] == 0 && below.is_none_or(|b| r < b) {
                while next[i] < n {
                    out.push((p, next[i]));
                    next[i] += 1;
                }
            }
        }
    };
    for &p in layout {
        let i = p as usize;
        flush(Some(rank[i]), &mut next, &mut out);
        seen[i] += 1;
        if next[i] < total[i] {
            out.push((p, next[i]));
            next[i] += 1;
        }
        if seen[i] == slots[i] {
            while next[i] < total[i] {
                out.push((p, next[i]));
                next[i] += 1;
            }
        }
    }
    flush(None, &mut next, &mut out);
    out
}

/// A presence document (RFC 3863 section 4.1): the `<presence>` element.
///
/// Tuples, presence-level notes, persons and devices (RFC 4479) are typed;
/// every other child element is kept in [`Presence::extensions`] and written
/// back in place. Unknown attributes and the namespace declarations on the
/// root are kept too, so prefixes survive a round trip.
///
/// `==` compares everything, the remembered child order included; use
/// [`Presence::infoset_eq`] to compare what documents say.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Presence {
    /// The presentity URI (`entity` attribute). RFC 3863 requires it, but
    /// RFC 4479's example omits it, so parsing accepts its absence and
    /// [`Presence::validate`] reports it.
    pub entity: Option<Text>,
    /// The `<tuple>` elements (services, RFC 4479 section 3.3), in order.
    pub tuples: Vec<Tuple>,
    /// Presence-level `<note>` elements.
    pub notes: Vec<Note>,
    /// The `<dm:person>` elements (RFC 4479 section 3.2).
    pub persons: Vec<Person>,
    /// The `<dm:device>` elements (RFC 4479 section 3.4).
    pub devices: Vec<Device>,
    /// Any other child element, in any namespace.
    pub extensions: Vec<Element>,
    /// Attributes of `<presence>` other than `entity`.
    pub attributes: Vec<Attribute>,
    /// Namespace declarations written on the root, kept so the document is
    /// written back with the prefixes it came with.
    pub namespaces: Vec<NsDecl>,
    /// Whether an XML declaration precedes the root.
    pub declaration: bool,
    /// The prefix the root was written with (`impp` in RFC 3863's examples).
    pub(crate) prefix: Option<Text>,
    pub(crate) layout: Vec<Part>,
}

/// A tuple (RFC 3863 section 4.1.4): one service of the presentity.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Tuple {
    /// The `id` attribute (occurrence id, RFC 4479 section 3.1).
    pub id: Text,
    /// The `<status>` element.
    pub status: Status,
    /// The `<contact>` address, if any.
    pub contact: Option<Contact>,
    /// The tuple's `<note>` elements.
    pub notes: Vec<Note>,
    /// The `<timestamp>`, if any.
    pub timestamp: Option<Timestamp>,
    /// Other children: `dm:deviceID`, RPID, CIPID, capabilities, timed
    /// status and unknown extensions (see the accessors in [`crate::ext`]).
    pub extensions: Vec<Element>,
    /// Attributes other than `id`.
    pub attributes: Vec<Attribute>,
    pub(crate) layout: Vec<Part>,
}

/// The `<status>` of a tuple (RFC 3863 section 4.1.5).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Status {
    /// The `<basic>` value, if present.
    pub basic: Option<Basic>,
    /// Status extensions (e.g. `im:im`, RFC 3863 section 4.3.1).
    pub extensions: Vec<Element>,
    /// Attributes on `<status>`.
    pub attributes: Vec<Attribute>,
    pub(crate) layout: Vec<Part>,
}

/// The `<basic>` status value (RFC 3863 section 4.1.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Basic {
    /// `open`: the service can accept communication.
    Open,
    /// `closed`: it cannot.
    Closed,
}

impl Basic {
    /// The value as written.
    pub fn as_str(self) -> &'static str {
        match self {
            Basic::Open => "open",
            Basic::Closed => "closed",
        }
    }

    /// Parses `open` or `closed` (surrounding white space allowed).
    pub fn parse(s: &str) -> Option<Basic> {
        match s.trim() {
            "open" => Some(Basic::Open),
            "closed" => Some(Basic::Closed),
            _ => None,
        }
    }
}

/// A `<contact>` address with its optional priority (RFC 3863 section 4.1.6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    /// The contact URI (white space around it trimmed).
    pub uri: Text,
    /// The `priority` attribute.
    pub priority: Option<Priority>,
    /// Attributes other than `priority`.
    pub attributes: Vec<Attribute>,
}

impl Contact {
    /// A contact without priority.
    pub fn new(uri: impl Into<Text>) -> Self {
        Contact {
            uri: uri.into(),
            priority: None,
            attributes: Vec::new(),
        }
    }

    /// Sets the priority.
    pub fn priority(mut self, p: Priority) -> Self {
        self.priority = Some(p);
        self
    }
}

impl From<&str> for Contact {
    fn from(uri: &str) -> Self {
        Contact::new(uri)
    }
}

/// A contact priority: a qvalue between 0 and 1 with at most three decimals
/// (RFC 3863 section 4.1.6, the `qvalue` type). The text is kept as written
/// (`1.0` stays `1.0`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Priority {
    per_mille: u16,
    text: Text,
}

impl Priority {
    /// Parses a qvalue: `0`, `0.d`..`0.ddd`, `1`, `1.`, `1.0`..`1.000`.
    pub fn parse(s: &str) -> Option<Priority> {
        let t = s.trim();
        let b = t.as_bytes();
        let (&first, rest) = b.split_first()?;
        let int = match first {
            b'0' => 0u16,
            b'1' => 1u16,
            _ => return None,
        };
        let mut frac = 0u16;
        if let Some((&dot, decimals)) = rest.split_first() {
            if dot != b'.' || decimals.len() > 3 {
                return None;
            }
            let mut scale = 100u16;
            for &d in decimals {
                if !d.is_ascii_digit() || (int == 1 && d != b'0') {
                    return None;
                }
                frac += u16::from(d - b'0') * scale;
                scale /= 10;
            }
        }
        Some(Priority {
            per_mille: int * 1000 + frac,
            text: Text::new(t),
        })
    }

    /// The priority in thousandths (0 to 1000), clamped.
    pub fn from_per_mille(v: u16) -> Priority {
        let v = v.min(1000);
        let text = if v == 1000 {
            Text::new("1")
        } else {
            let s = format!("0.{v:03}");
            Text::new(s.trim_end_matches('0').trim_end_matches('.'))
        };
        Priority { per_mille: v, text }
    }

    /// The value in thousandths, 0 to 1000.
    pub fn per_mille(&self) -> u16 {
        self.per_mille
    }

    /// The text as written.
    pub fn as_str(&self) -> &str {
        self.text.as_str()
    }
}

/// A `<note>` with its language (RFC 3863 section 4.1.8).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// The text, as written.
    pub text: Text,
    /// The `xml:lang` attribute.
    pub lang: Option<Text>,
    /// Attributes other than `xml:lang`.
    pub attributes: Vec<Attribute>,
}

impl Note {
    /// A note without language.
    pub fn new(text: impl Into<Text>) -> Self {
        Note {
            text: text.into(),
            lang: None,
            attributes: Vec::new(),
        }
    }

    /// Sets the language (`xml:lang`).
    pub fn lang(mut self, lang: impl Into<Text>) -> Self {
        self.lang = Some(lang.into());
        self
    }
}

impl From<&str> for Note {
    fn from(text: &str) -> Self {
        Note::new(text)
    }
}

/// A `<dm:person>` (RFC 4479 section 3.2): the human, with RPID and CIPID
/// elements among its [`Person::extensions`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Person {
    /// The `id` attribute (occurrence id).
    pub id: Text,
    /// `<dm:note>` elements.
    pub notes: Vec<Note>,
    /// The `<dm:timestamp>`.
    pub timestamp: Option<Timestamp>,
    /// RPID, CIPID and unknown children.
    pub extensions: Vec<Element>,
    /// Attributes other than `id`.
    pub attributes: Vec<Attribute>,
    pub(crate) layout: Vec<Part>,
}

/// A `<dm:device>` (RFC 4479 section 3.4).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Device {
    /// The `id` attribute (occurrence id).
    pub id: Text,
    /// The `<dm:deviceID>` (a URN identifying the device, section 3.4.1).
    pub device_id: Text,
    /// `<dm:note>` elements.
    pub notes: Vec<Note>,
    /// The `<dm:timestamp>`.
    pub timestamp: Option<Timestamp>,
    /// RPID (`user-input`), capabilities (`devcaps`) and unknown children.
    pub extensions: Vec<Element>,
    /// Attributes other than `id`.
    pub attributes: Vec<Attribute>,
    pub(crate) layout: Vec<Part>,
}

// ---------------------------------------------------------------------------
// Reading from the tree.

fn is_ws(s: &str) -> bool {
    s.bytes().all(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
}

/// Iterates the element children of an element-only container, refusing
/// non-blank character data.
fn element_children(
    e: Element,
    what: &'static str,
) -> Result<impl Iterator<Item = Element>, Error> {
    for n in &e.children {
        if let Node::Text(t) | Node::CData(t) = n {
            if !is_ws(t) {
                return Err(Error::UnexpectedText(what));
            }
        }
    }
    Ok(e.children.into_iter().filter_map(|n| match n {
        Node::Element(e) => Some(e),
        _ => None,
    }))
}

/// The text of a leaf element; a child element inside makes it invalid.
fn leaf_text(e: &Element, element: &'static str, context: &str) -> Result<String, Error> {
    if e.elements().next().is_some() {
        return Err(Error::BadValue {
            element,
            context: context.to_owned(),
            value: "<child element>".to_owned(),
        });
    }
    Ok(e.text())
}

fn take_attr(attrs: &mut Vec<Attribute>, local: &str) -> Option<Text> {
    let i = attrs
        .iter()
        .position(|a| a.name.ns.is_none() && a.name.local == local)?;
    Some(attrs.remove(i).value)
}

fn take_lang(attrs: &mut Vec<Attribute>) -> Option<Text> {
    let i = attrs.iter().position(|a| a.name.is(ns::XML, "lang"))?;
    Some(attrs.remove(i).value)
}

fn note_from(mut e: Element, context: &str) -> Result<Note, Error> {
    let text = leaf_text(&e, "note", context)?;
    let lang = take_lang(&mut e.attributes);
    Ok(Note {
        text: text.into(),
        lang,
        attributes: e.attributes,
    })
}

fn timestamp_from(e: &Element, context: &str) -> Result<Timestamp, Error> {
    let t = leaf_text(e, "timestamp", context)?;
    Timestamp::parse(&t).ok_or_else(|| Error::BadValue {
        element: "timestamp",
        context: context.to_owned(),
        value: clip(&t),
    })
}

fn set_once<T>(
    slot: &mut Option<T>,
    v: T,
    parent: &'static str,
    id: &str,
    element: &'static str,
) -> Result<(), Error> {
    if slot.is_some() {
        return Err(Error::Duplicate {
            parent,
            id: id.to_owned(),
            element,
        });
    }
    *slot = Some(v);
    Ok(())
}

fn root_name(e: &Element) -> String {
    format!("{{{}}}{}", e.name.ns_str(), e.name.local)
}

impl Presence {
    /// An empty document for `entity`, declaring the PIDF namespace as the
    /// default one.
    pub fn new(entity: impl Into<Text>) -> Self {
        Presence {
            entity: Some(entity.into()),
            namespaces: vec![NsDecl::new(None, ns::PIDF)],
            declaration: true,
            ..Presence::default()
        }
    }

    /// Parses an `application/pidf+xml` document within the default
    /// [`Limits`].
    pub fn parse(input: &[u8]) -> Result<Presence, Error> {
        Presence::parse_with(input, &Limits::default())
    }

    /// Parses an `application/pidf+xml` document within `limits`.
    pub fn parse_with(input: &[u8], limits: &Limits) -> Result<Presence, Error> {
        if let Some(p) = crate::fast::parse(input, limits) {
            return Ok(p);
        }
        Presence::parse_reference(input, limits)
    }

    /// The reference parse: the XML tree, then [`Presence::from_document`].
    /// The fast path must agree with it wherever it answers.
    pub(crate) fn parse_reference(input: &[u8], limits: &Limits) -> Result<Presence, Error> {
        Presence::from_document(Document::parse(input, limits)?)
    }

    /// Builds the model from a parsed XML document whose root is
    /// `<presence>`, keeping whether it had an XML declaration.
    ///
    /// ```
    /// use pidf::xml::{Document, Limits};
    /// let doc = Document::parse(
    ///     br#"<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="pres:a@example.com"/>"#,
    ///     &Limits::default(),
    /// )?;
    /// let p = pidf::Presence::from_document(doc)?;
    /// assert_eq!(p.entity.as_deref(), Some("pres:a@example.com"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_document(doc: Document) -> Result<Presence, Error> {
        if !doc.root.is(ns::PIDF, "presence") {
            return Err(Error::WrongRoot {
                expected: "{urn:ietf:params:xml:ns:pidf}presence",
                found: root_name(&doc.root),
            });
        }
        let mut p = Presence::from_element(doc.root)?;
        p.declaration = doc.declaration;
        Ok(p)
    }

    /// Builds the model from a `<presence>` element (or any element with
    /// presence content, such as RFC 5262's `<pidf-full>`; the root's own
    /// name is not checked here).
    pub fn from_element(mut root: Element) -> Result<Presence, Error> {
        let entity = take_attr(&mut root.attributes, "entity");
        let mut p = Presence {
            entity,
            attributes: std::mem::take(&mut root.attributes),
            namespaces: std::mem::take(&mut root.namespaces),
            prefix: root.name.prefix.take().map(Text::from),
            declaration: false,
            ..Presence::default()
        };
        let mut high = 0;
        for child in element_children(root, "presence")? {
            let part = match child.name.ns.as_deref() {
                Some(ns::PIDF) if child.name.local == "tuple" => {
                    p.tuples.push(Tuple::from_element(child)?);
                    Part::Tuple
                }
                Some(ns::PIDF) if child.name.local == "note" => {
                    p.notes.push(note_from(child, "presence")?);
                    Part::Note
                }
                Some(ns::DATA_MODEL) if child.name.local == "person" => {
                    p.persons.push(Person::from_element(child)?);
                    Part::Person
                }
                Some(ns::DATA_MODEL) if child.name.local == "device" => {
                    p.devices.push(Device::from_element(child)?);
                    Part::Device
                }
                _ => {
                    p.extensions.push(child);
                    Part::Ext
                }
            };
            p.child_read(&mut high, part);
        }
        Ok(p)
    }

    /// Checks what parsing tolerates: the `entity` is present (RFC 3863
    /// section 4.1.2) and tuple, person and device ids are unique (they are
    /// `xs:ID`s, RFC 4479 section 3.1).
    pub fn validate(&self) -> Result<(), Error> {
        if self.entity.as_deref().is_none_or(|e| e.trim().is_empty()) {
            return Err(Error::MissingEntity);
        }
        let mut ids: Vec<&str> = self
            .tuples
            .iter()
            .map(|t| t.id.as_str())
            .chain(self.persons.iter().map(|p| p.id.as_str()))
            .chain(self.devices.iter().map(|d| d.id.as_str()))
            .collect();
        ids.sort_unstable();
        if let Some(w) = ids.windows(2).find(|w| w.first() == w.get(1)) {
            return Err(Error::DuplicateId(
                w.first().copied().unwrap_or_default().to_owned(),
            ));
        }
        Ok(())
    }

    /// Adds a tuple (builder).
    pub fn tuple(mut self, t: Tuple) -> Self {
        self.tuples.push(t);
        self
    }

    /// Adds a presence-level note (builder).
    pub fn note(mut self, n: impl Into<Note>) -> Self {
        self.notes.push(n.into());
        self
    }

    /// Adds a person (builder).
    pub fn person(mut self, p: Person) -> Self {
        self.persons.push(p);
        self
    }

    /// Adds a device (builder).
    pub fn device(mut self, d: Device) -> Self {
        self.devices.push(d);
        self
    }

    /// Adds an extension element at the presence level (builder).
    pub fn extension(mut self, e: Element) -> Self {
        self.extensions.push(e);
        self
    }

    /// The tuple with this `id`.
    pub fn tuple_by_id(&self, id: &str) -> Option<&Tuple> {
        self.tuples.iter().find(|t| t.id == id)
    }

    /// The person with this `id`.
    pub fn person_by_id(&self, id: &str) -> Option<&Person> {
        self.persons.iter().find(|p| p.id == id)
    }

    /// The device with this `id`.
    pub fn device_by_id(&self, id: &str) -> Option<&Device> {
        self.devices.iter().find(|d| d.id == id)
    }

    /// The document as an XML tree rooted at `<presence>`.
    pub fn to_element(&self) -> Element {
        self.to_element_named(ns::PIDF, "presence", self.prefix.as_deref().map(atom))
    }

    /// Builds the tree with the given root name (used for `pidf-full`).
    /// The declarations to write on the root (the kept ones plus any the
    /// typed and builder-made content needs) and the prefixes of the PIDF
    /// and data-model names.
    pub(crate) fn root_parts(
        &self,
        root_ns: &str,
        root_prefix: Option<&str>,
    ) -> (Vec<NsDecl>, Ctx) {
        let mut namespaces = self.namespaces.clone();
        let pidf = prefix_for(&mut namespaces, ns::PIDF, root_prefix, root_ns);
        let dm = if self.persons.is_empty()
            && self.devices.is_empty()
            && !self.tuples.iter().any(|t| {
                t.extensions
                    .iter()
                    .any(|e| e.name.ns.as_deref() == Some(ns::DATA_MODEL))
            }) {
            None
        } else {
            prefix_for(&mut namespaces, ns::DATA_MODEL, None, "")
        };
        hoist(&mut namespaces, self);
        (namespaces, Ctx::new(pidf.as_deref(), dm.as_deref()))
    }

    pub(crate) fn to_element_named(
        &self,
        root_ns: &str,
        root_local: &str,
        root_prefix: Option<Cow<'static, str>>,
    ) -> Element {
        let (namespaces, ctx) = self.root_parts(root_ns, root_prefix.as_deref());
        let mut root = Element {
            name: Name {
                ns: Some(root_ns.into()),
                prefix: root_prefix,
                local: atom(root_local),
            },
            namespaces,
            attributes: Vec::with_capacity(self.attributes.len() + 1),
            children: Vec::new(),
        };
        if let Some(e) = &self.entity {
            root.attributes.push(Attribute {
                name: Name::local("entity"),
                value: e.clone(),
            });
        }
        root.attributes.extend(self.attributes.iter().cloned());
        let order = self.order();
        root.children.reserve(order.len());
        for (part, i) in order {
            let e = match part {
                Part::Tuple => self.tuples.get(i).map(|t| t.to_element_in(&ctx)),
                Part::Note => self
                    .notes
                    .get(i)
                    .map(|n| note_element(n, ctx.pidf_name("note"))),
                Part::Person => self.persons.get(i).map(|p| p.to_element_in(&ctx)),
                Part::Device => self.devices.get(i).map(|d| d.to_element_in(&ctx)),
                _ => self.extensions.get(i).cloned(),
            };
            if let Some(e) = e {
                root.children.push(Node::Element(e));
            }
        }
        root
    }

    /// Writes the document as UTF-8 XML.
    pub fn write(&self, out: &mut Vec<u8>) {
        if self.declaration {
            out.extend_from_slice(b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        }
        crate::write::presence(
            out,
            self,
            ns::PIDF,
            "presence",
            self.prefix.as_deref(),
            None,
        );
    }

    /// The document as XML bytes.
    pub fn to_xml(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(1024);
        self.write(&mut out);
        out
    }

    /// Whether two documents carry the same information set (see
    /// [`Element::infoset_eq`]): prefixes, declarations, comments and
    /// indentation aside.
    pub fn infoset_eq(&self, other: &Presence) -> bool {
        self.to_element().infoset_eq(&other.to_element())
    }
}

/// Prefixes to write the PIDF and data-model names with.
pub(crate) struct Ctx {
    pub(crate) pidf: Option<Cow<'static, str>>,
    pub(crate) dm: Option<Cow<'static, str>>,
}

impl Ctx {
    pub(crate) fn new(pidf: Option<&str>, dm: Option<&str>) -> Ctx {
        Ctx {
            pidf: pidf.map(atom),
            dm: dm.map(atom),
        }
    }

    fn pidf_name(&self, local: &str) -> Name {
        Name {
            ns: Some(Ns::from_static(ns::PIDF)),
            prefix: self.pidf.clone(),
            local: atom(local),
        }
    }

    fn dm_name(&self, local: &str) -> Name {
        Name {
            ns: Some(Ns::from_static(ns::DATA_MODEL)),
            prefix: self.dm.clone(),
            local: atom(local),
        }
    }
}

/// The prefix bound to `uri` on the root, declaring one when none is.
fn prefix_for(
    decls: &mut Vec<NsDecl>,
    uri: &str,
    root_prefix: Option<&str>,
    root_ns: &str,
) -> Option<Text> {
    if root_ns == uri {
        return root_prefix.map(Text::from);
    }
    if decls.iter().any(|d| d.prefix.is_none() && d.uri == uri) {
        return None;
    }
    if let Some(d) = decls.iter().find(|d| d.prefix.is_some() && d.uri == uri) {
        return d.prefix.clone();
    }
    let default_free = !decls.iter().any(|d| d.prefix.is_none()) && root_prefix.is_some();
    if default_free && uri == ns::PIDF {
        decls.push(NsDecl::new(None, uri));
        return None;
    }
    let base = ns::conventional_prefix(uri).unwrap_or("pidf");
    let mut p = base.to_owned();
    let mut n = 0;
    while decls
        .iter()
        .any(|d| d.prefix.as_deref() == Some(p.as_str()))
        || root_prefix == Some(&p)
    {
        n += 1;
        p = format!("{base}{n}");
    }
    let d = NsDecl::new(Some(&p), uri);
    let prefix = d.prefix.clone();
    decls.push(d);
    prefix
}

/// Declares on the root the prefixes that builder-made extension elements
/// (RPID, CIPID, ...) use, so they are not declared again on every element.
fn hoist(decls: &mut Vec<NsDecl>, p: &Presence) {
    let mut want = |e: &Element| {
        if let (Some(uri), Some(prefix)) = (&e.name.ns, &e.name.prefix) {
            if e.namespaces.is_empty()
                && !decls.iter().any(|d| d.prefix.as_deref() == Some(&**prefix))
            {
                decls.push(NsDecl {
                    prefix: Some(Text::from(&**prefix)),
                    uri: uri.into(),
                });
            }
        }
    };
    for t in &p.tuples {
        t.extensions.iter().for_each(&mut want);
    }
    for x in &p.persons {
        x.extensions.iter().for_each(&mut want);
    }
    for d in &p.devices {
        d.extensions.iter().for_each(&mut want);
    }
}

fn note_element(n: &Note, name: Name) -> Element {
    let mut e = Element::with_name(name);
    if let Some(l) = &n.lang {
        e.attributes.push(Attribute {
            name: Name::prefixed(ns::XML, "xml", "lang"),
            value: l.clone(),
        });
    }
    e.attributes.extend(n.attributes.iter().cloned());
    if !n.text.is_empty() {
        e.children.push(Node::Text(n.text.clone()));
    }
    e
}

fn text_element(name: Name, text: &str) -> Element {
    let mut e = Element::with_name(name);
    if !text.is_empty() {
        e.children.push(Node::Text(text.into()));
    }
    e
}

fn id_attr(id: &str, rest: &[Attribute]) -> Vec<Attribute> {
    let mut v = Vec::with_capacity(rest.len() + 1);
    v.push(Attribute {
        name: Name::local("id"),
        value: id.into(),
    });
    v.extend(rest.iter().cloned());
    v
}

impl Tuple {
    /// A tuple with this id and an empty status (builder).
    pub fn new(id: impl Into<Text>) -> Self {
        Tuple {
            id: id.into(),
            ..Tuple::default()
        }
    }

    /// Sets the basic status (builder).
    pub fn basic(mut self, b: Basic) -> Self {
        self.status.basic = Some(b);
        self
    }

    /// Sets the contact (builder).
    pub fn contact(mut self, c: impl Into<Contact>) -> Self {
        self.contact = Some(c.into());
        self
    }

    /// Adds a note (builder).
    pub fn note(mut self, n: impl Into<Note>) -> Self {
        self.notes.push(n.into());
        self
    }

    /// Sets the timestamp (builder).
    pub fn timestamp(mut self, t: Timestamp) -> Self {
        self.timestamp = Some(t);
        self
    }

    /// Adds an extension element (builder).
    pub fn extension(mut self, e: Element) -> Self {
        self.extensions.push(e);
        self
    }

    /// The service URI: the contact address (RFC 4479 section 3.3.1).
    pub fn service_uri(&self) -> Option<&str> {
        self.contact.as_ref().map(|c| c.uri.as_str())
    }

    /// The scheme of the service URI (`sip`, `im`, `mailto`, ...), as RFC
    /// 5025's `<service-uri-scheme>` matches it: the part before the first
    /// `:`, compared case-insensitively by the caller.
    pub fn service_uri_scheme(&self) -> Option<&str> {
        let uri = self.service_uri()?;
        let (scheme, _) = uri.split_once(':')?;
        let ok = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
        ok.then_some(scheme)
    }

    /// Builds a tuple from a `<tuple>` element.
    pub fn from_element(mut e: Element) -> Result<Tuple, Error> {
        let id = take_attr(&mut e.attributes, "id").ok_or(Error::MissingAttribute {
            element: "tuple",
            attribute: "id",
        })?;
        let mut t = Tuple {
            id,
            attributes: std::mem::take(&mut e.attributes),
            ..Tuple::default()
        };
        let mut status = None;
        let mut high = 0;
        for child in element_children(e, "tuple")? {
            let part = if child.name.ns.as_deref() == Some(ns::PIDF) {
                match &*child.name.local {
                    "status" => {
                        set_once(
                            &mut status,
                            Status::from_element(child, &t.id)?,
                            "tuple",
                            &t.id,
                            "status",
                        )?;
                        Part::Status
                    }
                    "contact" => {
                        let c = contact_from(child, &t.id)?;
                        set_once(&mut t.contact, c, "tuple", &t.id, "contact")?;
                        Part::Contact
                    }
                    "note" => {
                        t.notes.push(note_from(child, &t.id)?);
                        Part::Note
                    }
                    // A timestamp with attributes is kept whole as an extension.
                    "timestamp" if child.attributes.is_empty() => {
                        let ts = timestamp_from(&child, &t.id)?;
                        set_once(&mut t.timestamp, ts, "tuple", &t.id, "timestamp")?;
                        Part::Timestamp
                    }
                    _ => {
                        t.extensions.push(child);
                        Part::Ext
                    }
                }
            } else {
                t.extensions.push(child);
                Part::Ext
            };
            t.child_read(&mut high, part, status.is_some());
        }
        t.status = status.ok_or_else(|| Error::MissingElement {
            parent: "tuple",
            id: t.id.to_string(),
            element: "status",
        })?;
        Ok(t)
    }

    /// The tuple as an element, PIDF names unprefixed.
    pub fn to_element(&self) -> Element {
        self.to_element_in(&Ctx::new(None, Some("dm")))
    }

    fn to_element_in(&self, ctx: &Ctx) -> Element {
        let mut e = Element::with_name(ctx.pidf_name("tuple"));
        e.attributes = id_attr(&self.id, &self.attributes);
        let order = self.order();
        e.children.reserve(order.len());
        for (part, i) in order {
            let c = match part {
                Part::Status => Some(self.status.to_element_in(ctx)),
                Part::Contact => self.contact.as_ref().map(|c| {
                    let mut x = text_element(ctx.pidf_name("contact"), &c.uri);
                    if let Some(p) = &c.priority {
                        x.attributes.push(Attribute {
                            name: Name::local("priority"),
                            value: p.as_str().into(),
                        });
                    }
                    x.attributes.extend(c.attributes.iter().cloned());
                    x
                }),
                Part::Note => self
                    .notes
                    .get(i)
                    .map(|n| note_element(n, ctx.pidf_name("note"))),
                Part::Timestamp => self
                    .timestamp
                    .as_ref()
                    .map(|t| text_element(ctx.pidf_name("timestamp"), t.as_str())),
                _ => self.extensions.get(i).cloned(),
            };
            if let Some(c) = c {
                e.children.push(Node::Element(c));
            }
        }
        e
    }
}

fn contact_from(mut e: Element, context: &str) -> Result<Contact, Error> {
    let uri = leaf_text(&e, "contact", context)?.trim().to_owned();
    let priority = match take_attr(&mut e.attributes, "priority") {
        Some(p) => Some(Priority::parse(&p).ok_or_else(|| Error::BadValue {
            element: "priority",
            context: context.to_owned(),
            value: clip(&p),
        })?),
        None => None,
    };
    Ok(Contact {
        uri: uri.into(),
        priority,
        attributes: e.attributes,
    })
}

impl Status {
    /// A status with only a basic value.
    pub fn new(b: Basic) -> Self {
        Status {
            basic: Some(b),
            ..Status::default()
        }
    }

    /// Builds a status from a `<status>` element; `context` names the tuple
    /// for errors.
    pub fn from_element(mut e: Element, context: &str) -> Result<Status, Error> {
        let mut s = Status {
            attributes: std::mem::take(&mut e.attributes),
            ..Status::default()
        };
        let mut high = 0;
        for child in element_children(e, "status")? {
            if child.is(ns::PIDF, "basic") && child.attributes.is_empty() {
                let v = leaf_text(&child, "basic", context)?;
                let b = Basic::parse(&v).ok_or_else(|| Error::BadValue {
                    element: "basic",
                    context: context.to_owned(),
                    value: clip(&v),
                })?;
                set_once(&mut s.basic, b, "status", context, "basic")?;
                s.child_read(&mut high, Part::Basic);
            } else {
                s.extensions.push(child);
                s.child_read(&mut high, Part::Ext);
            }
        }
        Ok(s)
    }

    fn to_element_in(&self, ctx: &Ctx) -> Element {
        let mut e = Element::with_name(ctx.pidf_name("status"));
        e.attributes.clone_from(&self.attributes);
        let order = self.order();
        for (part, i) in order {
            let c = match part {
                Part::Basic => self
                    .basic
                    .map(|b| text_element(ctx.pidf_name("basic"), b.as_str())),
                _ => self.extensions.get(i).cloned(),
            };
            if let Some(c) = c {
                e.children.push(Node::Element(c));
            }
        }
        e
    }
}

impl Person {
    /// A person with this occurrence id (builder).
    pub fn new(id: impl Into<Text>) -> Self {
        Person {
            id: id.into(),
            ..Person::default()
        }
    }

    /// Adds a note (builder).
    pub fn note(mut self, n: impl Into<Note>) -> Self {
        self.notes.push(n.into());
        self
    }

    /// Sets the timestamp (builder).
    pub fn timestamp(mut self, t: Timestamp) -> Self {
        self.timestamp = Some(t);
        self
    }

    /// Adds an extension element, e.g. built by [`crate::ext`] (builder).
    pub fn extension(mut self, e: Element) -> Self {
        self.extensions.push(e);
        self
    }

    /// Builds a person from a `<dm:person>` element.
    pub fn from_element(mut e: Element) -> Result<Person, Error> {
        let id = take_attr(&mut e.attributes, "id").ok_or(Error::MissingAttribute {
            element: "person",
            attribute: "id",
        })?;
        let mut p = Person {
            id,
            attributes: std::mem::take(&mut e.attributes),
            ..Person::default()
        };
        let mut high = 0;
        for child in element_children(e, "person")? {
            let part = match child.name.ns.as_deref() {
                Some(ns::DATA_MODEL) if child.name.local == "note" => {
                    p.notes.push(note_from(child, &p.id)?);
                    Part::Note
                }
                Some(ns::DATA_MODEL)
                    if child.name.local == "timestamp" && child.attributes.is_empty() =>
                {
                    let ts = timestamp_from(&child, &p.id)?;
                    set_once(&mut p.timestamp, ts, "person", &p.id, "timestamp")?;
                    Part::Timestamp
                }
                _ => {
                    p.extensions.push(child);
                    Part::Ext
                }
            };
            p.child_read(&mut high, part);
        }
        Ok(p)
    }

    /// The person as an element, data-model names prefixed `dm`.
    pub fn to_element(&self) -> Element {
        self.to_element_in(&Ctx::new(None, Some("dm")))
    }

    fn to_element_in(&self, ctx: &Ctx) -> Element {
        let mut e = Element::with_name(ctx.dm_name("person"));
        e.attributes = id_attr(&self.id, &self.attributes);
        let order = self.order();
        for (part, i) in order {
            let c = match part {
                Part::Note => self
                    .notes
                    .get(i)
                    .map(|n| note_element(n, ctx.dm_name("note"))),
                Part::Timestamp => self
                    .timestamp
                    .as_ref()
                    .map(|t| text_element(ctx.dm_name("timestamp"), t.as_str())),
                _ => self.extensions.get(i).cloned(),
            };
            if let Some(c) = c {
                e.children.push(Node::Element(c));
            }
        }
        e
    }
}

impl Device {
    /// A device with this occurrence id and deviceID URN (builder).
    pub fn new(id: impl Into<Text>, device_id: impl Into<Text>) -> Self {
        Device {
            id: id.into(),
            device_id: device_id.into(),
            ..Device::default()
        }
    }

    /// Adds a note (builder).
    pub fn note(mut self, n: impl Into<Note>) -> Self {
        self.notes.push(n.into());
        self
    }

    /// Sets the timestamp (builder).
    pub fn timestamp(mut self, t: Timestamp) -> Self {
        self.timestamp = Some(t);
        self
    }

    /// Adds an extension element (builder).
    pub fn extension(mut self, e: Element) -> Self {
        self.extensions.push(e);
        self
    }

    /// Builds a device from a `<dm:device>` element.
    pub fn from_element(mut e: Element) -> Result<Device, Error> {
        let id = take_attr(&mut e.attributes, "id").ok_or(Error::MissingAttribute {
            element: "device",
            attribute: "id",
        })?;
        let mut d = Device {
            id,
            attributes: std::mem::take(&mut e.attributes),
            ..Device::default()
        };
        let mut device_id = None;
        let mut high = 0;
        for child in element_children(e, "device")? {
            let part = match child.name.ns.as_deref() {
                Some(ns::DATA_MODEL)
                    if child.name.local == "deviceID" && child.attributes.is_empty() =>
                {
                    let v = leaf_text(&child, "deviceID", &d.id)?.trim().to_owned();
                    set_once(&mut device_id, v, "device", &d.id, "deviceID")?;
                    Part::DeviceId
                }
                Some(ns::DATA_MODEL) if child.name.local == "note" => {
                    d.notes.push(note_from(child, &d.id)?);
                    Part::Note
                }
                Some(ns::DATA_MODEL)
                    if child.name.local == "timestamp" && child.attributes.is_empty() =>
                {
                    let ts = timestamp_from(&child, &d.id)?;
                    set_once(&mut d.timestamp, ts, "device", &d.id, "timestamp")?;
                    Part::Timestamp
                }
                _ => {
                    d.extensions.push(child);
                    Part::Ext
                }
            };
            d.child_read(&mut high, part, device_id.is_some());
        }
        d.device_id = device_id
            .ok_or_else(|| Error::MissingElement {
                parent: "device",
                id: d.id.to_string(),
                element: "deviceID",
            })?
            .into();
        Ok(d)
    }

    /// The device as an element, data-model names prefixed `dm`.
    pub fn to_element(&self) -> Element {
        self.to_element_in(&Ctx::new(None, Some("dm")))
    }

    fn to_element_in(&self, ctx: &Ctx) -> Element {
        let mut e = Element::with_name(ctx.dm_name("device"));
        e.attributes = id_attr(&self.id, &self.attributes);
        let order = self.order();
        for (part, i) in order {
            let c = match part {
                Part::DeviceId => Some(text_element(ctx.dm_name("deviceID"), &self.device_id)),
                Part::Note => self
                    .notes
                    .get(i)
                    .map(|n| note_element(n, ctx.dm_name("note"))),
                Part::Timestamp => self
                    .timestamp
                    .as_ref()
                    .map(|t| text_element(ctx.dm_name("timestamp"), t.as_str())),
                _ => self.extensions.get(i).cloned(),
            };
            if let Some(c) = c {
                e.children.push(Node::Element(c));
            }
        }
        e
    }
}

impl Presence {
    /// The order to write the children in (see `arrange`).
    pub(crate) fn order(&self) -> Vec<(Part, usize)> {
        arrange(
            &self.layout,
            &[
                (Part::Tuple, 0, self.tuples.len()),
                (Part::Note, 1, self.notes.len()),
                (Part::Person, 2, self.persons.len()),
                (Part::Device, 2, self.devices.len()),
                (Part::Ext, 2, self.extensions.len()),
            ],
        )
    }
}

impl Tuple {
    /// The order to write the children in (see `arrange`).
    pub(crate) fn order(&self) -> Vec<(Part, usize)> {
        arrange(
            &self.layout,
            &[
                (Part::Status, 0, 1),
                (Part::Ext, 1, self.extensions.len()),
                (Part::Contact, 2, usize::from(self.contact.is_some())),
                (Part::Note, 3, self.notes.len()),
                (Part::Timestamp, 4, usize::from(self.timestamp.is_some())),
            ],
        )
    }
}

impl Status {
    /// The order to write the children in (see `arrange`).
    pub(crate) fn order(&self) -> Vec<(Part, usize)> {
        arrange(
            &self.layout,
            &[
                (Part::Basic, 0, usize::from(self.basic.is_some())),
                (Part::Ext, 1, self.extensions.len()),
            ],
        )
    }
}

impl Person {
    /// The order to write the children in (see `arrange`).
    pub(crate) fn order(&self) -> Vec<(Part, usize)> {
        arrange(
            &self.layout,
            &[
                (Part::Ext, 0, self.extensions.len()),
                (Part::Note, 1, self.notes.len()),
                (Part::Timestamp, 2, usize::from(self.timestamp.is_some())),
            ],
        )
    }
}

impl Device {
    /// The order to write the children in (see `arrange`).
    pub(crate) fn order(&self) -> Vec<(Part, usize)> {
        arrange(
            &self.layout,
            &[
                (Part::Ext, 0, self.extensions.len()),
                (Part::DeviceId, 1, 1),
                (Part::Note, 2, self.notes.len()),
                (Part::Timestamp, 3, usize::from(self.timestamp.is_some())),
            ],
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arrange_keeps_layout_and_places_new_items() {
        use Part::*;
        let layout = [Tuple, Tuple, Note, Ext, Person];
        // Same counts: same order.
        let o = arrange(
            &layout,
            &[(Tuple, 0, 2), (Note, 1, 1), (Person, 2, 1), (Ext, 2, 1)],
        );
        assert_eq!(
            o,
            vec![(Tuple, 0), (Tuple, 1), (Note, 0), (Ext, 0), (Person, 0)]
        );
        // One tuple more, one note fewer, a device that was never there.
        let o = arrange(
            &layout,
            &[
                (Tuple, 0, 3),
                (Note, 1, 0),
                (Person, 2, 1),
                (Device, 2, 1),
                (Ext, 2, 1),
            ],
        );
        assert_eq!(
            o,
            vec![
                (Tuple, 0),
                (Tuple, 1),
                (Tuple, 2),
                (Ext, 0),
                (Person, 0),
                (Device, 0)
            ]
        );
        // Nothing remembered: schema order.
        let o = arrange(&[], &[(Tuple, 0, 1), (Note, 1, 2)]);
        assert_eq!(o, vec![(Tuple, 0), (Note, 0), (Note, 1)]);
        // Notes never seen before go before the first later-ranked slot.
        let o = arrange(
            &[Tuple, Person],
            &[(Tuple, 0, 1), (Note, 1, 1), (Person, 2, 1)],
        );
        assert_eq!(o, vec![(Tuple, 0), (Note, 0), (Person, 0)]);
    }

    #[test]
    fn layout_is_recorded_only_out_of_schema_order() {
        use Part::*;
        let kinds = [Ext, Note, Timestamp];
        let mut layout = Vec::new();
        let mut high = 0;
        let unused = || -> [usize; 3] { panic!("counts asked for in schema order") };
        record(&mut layout, &mut high, &kinds, Ext, unused);
        record(&mut layout, &mut high, &kinds, Ext, unused);
        record(&mut layout, &mut high, &kinds, Note, unused);
        assert!(layout.is_empty(), "schema order needs no layout");
        assert_eq!(high, 1);
        record(&mut layout, &mut high, &kinds, Ext, || [3, 1, 0]);
        assert_eq!(layout, [Ext, Ext, Note, Ext]);
        record(&mut layout, &mut high, &kinds, Timestamp, unused);
        assert_eq!(layout, [Ext, Ext, Note, Ext, Timestamp]);
        // The 4480 example: a device before the person.
        let mut top = Vec::new();
        let mut high = 0;
        let unused = || -> [usize; 5] { panic!("counts asked for in schema order") };
        record(&mut top, &mut high, &PRESENCE_KINDS, Tuple, unused);
        record(&mut top, &mut high, &PRESENCE_KINDS, Note, unused);
        record(&mut top, &mut high, &PRESENCE_KINDS, Device, unused);
        assert!(top.is_empty());
        record(&mut top, &mut high, &PRESENCE_KINDS, Person, || {
            [1, 1, 1, 1, 0]
        });
        assert_eq!(top, [Tuple, Note, Device, Person]);
    }

    #[test]
    fn service_uri_scheme() {
        let t = Tuple::new("t").contact("im:someone@example.com");
        assert_eq!(t.service_uri(), Some("im:someone@example.com"));
        assert_eq!(t.service_uri_scheme(), Some("im"));
        assert_eq!(
            Tuple::new("t").contact("tel:+1").service_uri_scheme(),
            Some("tel")
        );
        assert_eq!(
            Tuple::new("t").contact("no-scheme").service_uri_scheme(),
            None
        );
        assert_eq!(Tuple::new("t").contact("1x:y").service_uri_scheme(), None);
        assert_eq!(Tuple::new("t").service_uri(), None);
    }

    #[test]
    fn priorities() {
        for (s, v) in [
            ("0", 0),
            ("0.8", 800),
            ("0.725", 725),
            ("1.0", 1000),
            ("1", 1000),
            ("0.", 0),
        ] {
            assert_eq!(Priority::parse(s).map(|p| p.per_mille()), Some(v), "{s}");
        }
        for s in ["", "2", "1.1", "0.1234", "-0", "0,5", ".5", "0.x"] {
            assert!(Priority::parse(s).is_none(), "{s}");
        }
        assert_eq!(Priority::from_per_mille(800).as_str(), "0.8");
        assert_eq!(Priority::from_per_mille(1000).as_str(), "1");
        assert_eq!(Priority::from_per_mille(5).as_str(), "0.005");
        assert_eq!(Priority::from_per_mille(0).as_str(), "0");
    }
}
