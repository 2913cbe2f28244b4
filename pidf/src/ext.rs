//! Typed views over the extension elements of tuples, persons and devices:
//! RPID (RFC 4480), CIPID (RFC 4482), timed status (RFC 4481), capabilities
//! (RFC 5196) and `dm:deviceID` inside tuples (RFC 4479 section 3.4.1).
//!
//! The elements stay in the container's `extensions` list, so they round-trip
//! as they came; the views here are decoded on demand, and their builders
//! produce elements to push there. [`Extensions`] gives every container the
//! same find, remove and replace operations, which is what privacy filtering
//! (RFC 5025 `provide-activities`, `provide-mood`, ...) needs.

use crate::model::{Basic, Device, Note, Person, Presence, Status, Tuple};
use crate::ns;
use crate::text::Text;
use crate::time::Timestamp;
use crate::xml::{Attribute, Element, Name, Node};

/// Element-level access to a container's extension elements, and the typed
/// RPID, CIPID, timed-status and capability views over them.
pub trait Extensions {
    /// The extension elements, in document order.
    fn extensions(&self) -> &[Element];
    /// The extension elements, mutable (filter them with `retain`).
    fn extensions_mut(&mut self) -> &mut Vec<Element>;

    /// The first extension element named `{ns}local`.
    fn extension(&self, ns: &str, local: &str) -> Option<&Element> {
        self.extensions().iter().find(|e| e.is(ns, local))
    }

    /// Removes every extension element named `{ns}local`; returns how many.
    fn remove_extension(&mut self, ns: &str, local: &str) -> usize {
        let v = self.extensions_mut();
        let before = v.len();
        v.retain(|e| !e.is(ns, local));
        before - v.len()
    }

    /// Puts `e` in place of the first element with its name (dropping any
    /// others with that name), or appends it.
    fn set_extension(&mut self, e: Element) {
        let v = self.extensions_mut();
        let same = |x: &Element| x.name.ns == e.name.ns && x.name.local == e.name.local;
        match v.iter().position(same) {
            Some(i) => {
                let mut first = true;
                v.retain(|x| {
                    if !same(x) {
                        return true;
                    }
                    std::mem::replace(&mut first, false)
                });
                if let Some(slot) = v.get_mut(i) {
                    *slot = e;
                }
            }
            None => v.push(e),
        }
    }

    /// RPID `<activities>` (RFC 4480 section 3.2).
    fn activities(&self) -> Option<RpidSet> {
        self.extension(ns::RPID, "activities")
            .map(RpidSet::from_element)
    }
    /// RPID `<mood>` (section 3.5).
    fn mood(&self) -> Option<RpidSet> {
        self.extension(ns::RPID, "mood").map(RpidSet::from_element)
    }
    /// RPID `<place-type>` (section 3.7).
    fn place_type(&self) -> Option<RpidSet> {
        self.extension(ns::RPID, "place-type")
            .map(RpidSet::from_element)
    }
    /// RPID `<privacy>` (section 3.8).
    fn privacy(&self) -> Option<RpidSet> {
        self.extension(ns::RPID, "privacy")
            .map(RpidSet::from_element)
    }
    /// RPID `<relationship>` (section 3.9).
    fn relationship(&self) -> Option<RpidSet> {
        self.extension(ns::RPID, "relationship")
            .map(RpidSet::from_element)
    }
    /// RPID `<service-class>` (section 3.10).
    fn service_class(&self) -> Option<RpidSet> {
        self.extension(ns::RPID, "service-class")
            .map(RpidSet::from_element)
    }
    /// RPID `<place-is>` (section 3.6).
    fn place_is(&self) -> Option<PlaceIs> {
        self.extension(ns::RPID, "place-is")
            .map(PlaceIs::from_element)
    }
    /// RPID `<sphere>` (section 3.11).
    fn sphere(&self) -> Option<Sphere> {
        self.extension(ns::RPID, "sphere").map(Sphere::from_element)
    }
    /// RPID `<class>` (section 3.3), trimmed.
    fn class(&self) -> Option<String> {
        trimmed(self.extension(ns::RPID, "class"))
    }
    /// RPID `<status-icon>` URI (section 3.12), trimmed.
    fn status_icon(&self) -> Option<String> {
        trimmed(self.extension(ns::RPID, "status-icon"))
    }
    /// RPID `<time-offset>` (section 3.13).
    fn time_offset(&self) -> Option<TimeOffset> {
        self.extension(ns::RPID, "time-offset")
            .and_then(TimeOffset::from_element)
    }
    /// RPID `<user-input>` (section 3.14).
    fn user_input(&self) -> Option<UserInput> {
        self.extension(ns::RPID, "user-input")
            .map(UserInput::from_element)
    }
    /// A CIPID element's value (RFC 4482 section 3), trimmed.
    fn cipid(&self, field: Cipid) -> Option<String> {
        trimmed(self.extension(ns::CIPID, field.local()))
    }
    /// Every value of a CIPID element with its `xml:lang` (RFC 4482 allows
    /// `display-name` in several languages), trimmed, in order.
    fn cipid_all(&self, field: Cipid) -> Vec<(Option<String>, String)> {
        self.extensions()
            .iter()
            .filter(|e| e.is(ns::CIPID, field.local()))
            .map(|e| {
                (
                    e.attr_ns(ns::XML, "lang").map(str::to_owned),
                    e.text().trim().to_owned(),
                )
            })
            .collect()
    }
    /// The `dm:deviceID`s a tuple names (RFC 4479 section 3.4.1: the devices
    /// the service runs on).
    fn device_ids(&self) -> Vec<String> {
        self.extensions()
            .iter()
            .filter(|e| e.is(ns::DATA_MODEL, "deviceID"))
            .map(|e| e.text().trim().to_owned())
            .collect()
    }
    /// The `<ts:timed-status>` elements (RFC 4481 section 3), in order.
    fn timed_statuses(&self) -> Vec<TimedStatus> {
        self.extensions()
            .iter()
            .filter(|e| e.is(ns::TIMED_STATUS, "timed-status"))
            .filter_map(TimedStatus::from_element)
            .collect()
    }
    /// `<caps:servcaps>` (RFC 5196 section 3.2), on a tuple.
    fn servcaps(&self) -> Option<Caps> {
        self.extension(ns::CAPS, "servcaps").map(Caps::from_element)
    }
    /// `<caps:devcaps>` (RFC 5196 section 3.3), on a device.
    fn devcaps(&self) -> Option<Caps> {
        self.extension(ns::CAPS, "devcaps").map(Caps::from_element)
    }
}

fn trimmed(e: Option<&Element>) -> Option<String> {
    e.map(|e| e.text().trim().to_owned())
}

macro_rules! extensible {
    ($($t:ty),*) => {$(
        impl Extensions for $t {
            fn extensions(&self) -> &[Element] {
                &self.extensions
            }
            fn extensions_mut(&mut self) -> &mut Vec<Element> {
                &mut self.extensions
            }
        }
    )*};
}
extensible!(Presence, Tuple, Status, Person, Device);

/// Elements anywhere in the document marked `mustUnderstand` (RFC 3863
/// section 4.3.3): an application that does not understand one of them must
/// not use the document, so it checks this list against what it knows.
pub fn must_understand(p: &Presence) -> Vec<&Element> {
    fn walk<'a>(e: &'a Element, out: &mut Vec<&'a Element>) {
        if matches!(
            e.attr_ns(ns::PIDF, "mustUnderstand").map(str::trim),
            Some("1" | "true")
        ) {
            out.push(e);
        }
        for c in e.elements() {
            walk(c, out);
        }
    }
    let mut out = Vec::new();
    let all = p
        .extensions
        .iter()
        .chain(
            p.tuples
                .iter()
                .flat_map(|t| t.extensions.iter().chain(t.status.extensions.iter())),
        )
        .chain(p.persons.iter().flat_map(|x| x.extensions.iter()))
        .chain(p.devices.iter().flat_map(|d| d.extensions.iter()));
    for e in all {
        walk(e, &mut out);
    }
    out
}

/// The RPID elements whose value is a set of enumerated child elements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RpidKind {
    /// `<activities>` (RFC 4480 section 3.2).
    Activities,
    /// `<mood>` (section 3.5).
    Mood,
    /// `<place-type>` (section 3.7).
    PlaceType,
    /// `<privacy>` (section 3.8).
    Privacy,
    /// `<relationship>` (section 3.9).
    Relationship,
    /// `<service-class>` (section 3.10).
    ServiceClass,
}

impl RpidKind {
    /// The element's local name.
    pub fn local(self) -> &'static str {
        match self {
            RpidKind::Activities => "activities",
            RpidKind::Mood => "mood",
            RpidKind::PlaceType => "place-type",
            RpidKind::Privacy => "privacy",
            RpidKind::Relationship => "relationship",
            RpidKind::ServiceClass => "service-class",
        }
    }

    /// The values RFC 4480's schema enumerates for it (besides `other`).
    pub fn known_values(self) -> &'static [&'static str] {
        match self {
            RpidKind::Activities => &[
                "unknown",
                "appointment",
                "away",
                "breakfast",
                "busy",
                "dinner",
                "holiday",
                "in-transit",
                "looking-for-work",
                "meal",
                "meeting",
                "on-the-phone",
                "performance",
                "permanent-absence",
                "playing",
                "presentation",
                "shopping",
                "sleeping",
                "spectator",
                "steering",
                "travel",
                "tv",
                "vacation",
                "working",
                "worship",
            ],
            RpidKind::Mood => &[
                "unknown",
                "afraid",
                "amazed",
                "angry",
                "annoyed",
                "anxious",
                "ashamed",
                "bored",
                "brave",
                "calm",
                "cold",
                "confused",
                "contented",
                "cranky",
                "curious",
                "depressed",
                "disappointed",
                "disgusted",
                "distracted",
                "embarrassed",
                "excited",
                "flirtatious",
                "frustrated",
                "grumpy",
                "guilty",
                "happy",
                "hot",
                "humbled",
                "humiliated",
                "hungry",
                "hurt",
                "impressed",
                "in_awe",
                "in_love",
                "indignant",
                "interested",
                "invincible",
                "jealous",
                "lonely",
                "mean",
                "moody",
                "nervous",
                "neutral",
                "offended",
                "playful",
                "proud",
                "relieved",
                "remorseful",
                "restless",
                "sad",
                "sarcastic",
                "serious",
                "shocked",
                "shy",
                "sick",
                "sleepy",
                "stressed",
                "surprised",
                "thirsty",
                "worried",
            ],
            RpidKind::PlaceType => &[],
            RpidKind::Privacy => &["unknown", "audio", "text", "video"],
            RpidKind::Relationship => &[
                "assistant",
                "associate",
                "family",
                "friend",
                "self",
                "supervisor",
                "unknown",
            ],
            RpidKind::ServiceClass => &[
                "courier",
                "electronic",
                "freight",
                "in-person",
                "postal",
                "unknown",
            ],
        }
    }
}

/// One value of an [`RpidSet`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RpidValue {
    /// An empty element in the RPID namespace, by local name (`away`,
    /// `on-the-phone`, `self`, ...). Names RFC 4480 does not list are kept
    /// here too; check [`RpidKind::known_values`] to tell.
    Token(String),
    /// `<other>` with its free text.
    Other(String),
    /// Any other element (e.g. `<lt:residence/>` in `place-type`).
    Extension(Element),
}

/// An RPID element whose value is a set: `activities`, `mood`, `place-type`,
/// `privacy`, `relationship` or `service-class` (RFC 4480 section 3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RpidSet {
    /// Which element this is.
    pub kind: Option<RpidKind>,
    /// The `id` attribute.
    pub id: Option<String>,
    /// The `from` attribute (section 3.1: the value holds from then).
    pub from: Option<Timestamp>,
    /// The `until` attribute.
    pub until: Option<Timestamp>,
    /// `<note>` children.
    pub notes: Vec<Note>,
    /// The values, in order.
    pub values: Vec<RpidValue>,
}

fn rpid_kind(local: &str) -> Option<RpidKind> {
    Some(match local {
        "activities" => RpidKind::Activities,
        "mood" => RpidKind::Mood,
        "place-type" => RpidKind::PlaceType,
        "privacy" => RpidKind::Privacy,
        "relationship" => RpidKind::Relationship,
        "service-class" => RpidKind::ServiceClass,
        _ => return None,
    })
}

fn rpid_note(e: &Element) -> Note {
    Note {
        text: e.text().into(),
        lang: e.attr_ns(ns::XML, "lang").map(Text::from),
        attributes: Vec::new(),
    }
}

impl RpidSet {
    /// An empty set of this kind.
    pub fn new(kind: RpidKind) -> Self {
        RpidSet {
            kind: Some(kind),
            id: None,
            from: None,
            until: None,
            notes: Vec::new(),
            values: Vec::new(),
        }
    }

    /// Adds a token value such as `away` (builder).
    pub fn value(mut self, token: &str) -> Self {
        self.values.push(RpidValue::Token(token.to_owned()));
        self
    }

    /// Decodes an RPID set element (lenient: unknown content is kept as
    /// [`RpidValue::Extension`], bad timestamps are dropped).
    pub fn from_element(e: &Element) -> RpidSet {
        let mut s = RpidSet {
            kind: rpid_kind(&e.name.local),
            id: e.attr("id").map(str::to_owned),
            from: e.attr("from").and_then(Timestamp::parse),
            until: e.attr("until").and_then(Timestamp::parse),
            notes: Vec::new(),
            values: Vec::new(),
        };
        for c in e.elements() {
            if c.name.ns.as_deref() == Some(ns::RPID) {
                match &*c.name.local {
                    "note" => s.notes.push(rpid_note(c)),
                    "other" => s.values.push(RpidValue::Other(c.text())),
                    t if c.children.is_empty() => s.values.push(RpidValue::Token(t.to_owned())),
                    _ => s.values.push(RpidValue::Extension(c.clone())),
                }
            } else {
                s.values.push(RpidValue::Extension(c.clone()));
            }
        }
        s
    }

    /// Whether the set holds the token `t`.
    pub fn has(&self, t: &str) -> bool {
        self.values
            .iter()
            .any(|v| matches!(v, RpidValue::Token(x) if x == t))
    }

    /// The element, RPID names prefixed `rpid`. A set without kind is written
    /// as `activities`.
    pub fn to_element(&self) -> Element {
        let local = self.kind.unwrap_or(RpidKind::Activities).local();
        let mut e = rpid(local);
        for (k, v) in [
            ("id", self.id.as_deref()),
            ("from", self.from.as_ref().map(Timestamp::as_str)),
            ("until", self.until.as_ref().map(Timestamp::as_str)),
        ] {
            if let Some(v) = v {
                e.set_attr(k, v);
            }
        }
        for n in &self.notes {
            let mut x = rpid("note");
            if let Some(l) = &n.lang {
                x.attributes.push(Attribute {
                    name: Name::prefixed(ns::XML, "xml", "lang"),
                    value: l.clone(),
                });
            }
            e.children.push(Node::Element(x.with_text(n.text.clone())));
        }
        for v in &self.values {
            let c = match v {
                RpidValue::Token(t) => rpid(t),
                RpidValue::Other(t) => rpid("other").with_text(t.clone()),
                RpidValue::Extension(x) => x.clone(),
            };
            e.children.push(Node::Element(c));
        }
        e
    }
}

fn rpid(local: &str) -> Element {
    Element::with_name(Name::prefixed(ns::RPID, "rpid", local))
}

/// RPID `<place-is>` (RFC 4480 section 3.6): the audio, video and text
/// conditions at the place.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PlaceIs {
    /// The `from` attribute.
    pub from: Option<Timestamp>,
    /// The `until` attribute.
    pub until: Option<Timestamp>,
    /// `<audio>`'s value: `noisy`, `ok`, `quiet` or `unknown`.
    pub audio: Option<String>,
    /// `<video>`'s value: `toobright`, `ok`, `dark` or `unknown`.
    pub video: Option<String>,
    /// `<text>`'s value: `uncomfortable`, `inappropriate`, `ok` or `unknown`.
    pub text: Option<String>,
    /// `<note>` children.
    pub notes: Vec<Note>,
}

impl PlaceIs {
    fn from_element(e: &Element) -> PlaceIs {
        let pick = |local: &str| {
            e.child(ns::RPID, local)
                .and_then(|c| c.elements().next())
                .map(|v| v.name.local.to_string())
        };
        PlaceIs {
            from: e.attr("from").and_then(Timestamp::parse),
            until: e.attr("until").and_then(Timestamp::parse),
            audio: pick("audio"),
            video: pick("video"),
            text: pick("text"),
            notes: e.children_named(ns::RPID, "note").map(rpid_note).collect(),
        }
    }
}

/// RPID `<sphere>` (RFC 4480 section 3.11).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sphere {
    /// `<work/>`.
    Work,
    /// `<home/>`.
    Home,
    /// `<unknown/>`.
    Unknown,
    /// Free text, e.g. `bowling league`.
    Text(String),
}

impl Sphere {
    fn from_element(e: &Element) -> Sphere {
        match e
            .elements()
            .find(|c| c.name.ns.as_deref() == Some(ns::RPID))
        {
            Some(c) if c.name.local == "work" => Sphere::Work,
            Some(c) if c.name.local == "home" => Sphere::Home,
            Some(_) => Sphere::Unknown,
            None => Sphere::Text(e.text().trim().to_owned()),
        }
    }
}

/// RPID `<time-offset>` (RFC 4480 section 3.13): minutes from UTC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeOffset {
    /// The offset in minutes.
    pub minutes: i32,
    /// The `description` attribute (e.g. a time-zone name).
    pub description: Option<String>,
    /// The `from` attribute.
    pub from: Option<Timestamp>,
    /// The `until` attribute.
    pub until: Option<Timestamp>,
}

impl TimeOffset {
    fn from_element(e: &Element) -> Option<TimeOffset> {
        Some(TimeOffset {
            minutes: e.text().trim().parse().ok()?,
            description: e.attr("description").map(str::to_owned),
            from: e.attr("from").and_then(Timestamp::parse),
            until: e.attr("until").and_then(Timestamp::parse),
        })
    }
}

/// RPID `<user-input>` (RFC 4480 section 3.14).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserInput {
    /// `active` or `idle`.
    pub state: String,
    /// `idle-threshold` in seconds.
    pub idle_threshold: Option<u32>,
    /// `last-input`.
    pub last_input: Option<Timestamp>,
}

impl UserInput {
    fn from_element(e: &Element) -> UserInput {
        UserInput {
            state: e.text().trim().to_owned(),
            idle_threshold: e.attr("idle-threshold").and_then(|v| v.trim().parse().ok()),
            last_input: e.attr("last-input").and_then(Timestamp::parse),
        }
    }
}

/// The CIPID elements (RFC 4482 section 3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Cipid {
    /// `<card>`: a URI of a vCard.
    Card,
    /// `<display-name>`.
    DisplayName,
    /// `<homepage>`.
    Homepage,
    /// `<icon>`.
    Icon,
    /// `<map>`.
    Map,
    /// `<sound>`.
    Sound,
}

impl Cipid {
    /// The element's local name.
    pub fn local(self) -> &'static str {
        match self {
            Cipid::Card => "card",
            Cipid::DisplayName => "display-name",
            Cipid::Homepage => "homepage",
            Cipid::Icon => "icon",
            Cipid::Map => "map",
            Cipid::Sound => "sound",
        }
    }

    /// The element carrying `value`, prefixed `c` (builder).
    pub fn element(self, value: &str) -> Element {
        Element::with_name(Name::prefixed(ns::CIPID, "c", self.local())).with_text(value)
    }
}

/// The `dm:deviceID` element a tuple carries to name its device (builder).
pub fn device_id_element(urn: &str) -> Element {
    Element::with_name(Name::prefixed(ns::DATA_MODEL, "dm", "deviceID")).with_text(urn)
}

/// `<ts:timed-status>` (RFC 4481 section 3): the status a tuple will have, or
/// had, in an interval.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimedStatus {
    /// Start of the interval (required).
    pub from: Timestamp,
    /// End of the interval, if known.
    pub until: Option<Timestamp>,
    /// The basic status in the interval.
    pub basic: Option<Basic>,
    /// `<ts:note>` children.
    pub notes: Vec<Note>,
}

impl TimedStatus {
    /// Decodes one; `None` without a valid `from`.
    pub fn from_element(e: &Element) -> Option<TimedStatus> {
        Some(TimedStatus {
            from: e.attr("from").and_then(Timestamp::parse)?,
            until: e.attr("until").and_then(Timestamp::parse),
            basic: e
                .child(ns::TIMED_STATUS, "basic")
                .and_then(|b| Basic::parse(&b.text())),
            notes: e
                .children_named(ns::TIMED_STATUS, "note")
                .map(rpid_note)
                .collect(),
        })
    }

    /// The element, prefixed `ts` (builder).
    pub fn to_element(&self) -> Element {
        let ts = |l: &str| Element::with_name(Name::prefixed(ns::TIMED_STATUS, "ts", l));
        let mut e = ts("timed-status").with_attr("from", self.from.as_str());
        if let Some(u) = &self.until {
            e.set_attr("until", u.as_str());
        }
        if let Some(b) = self.basic {
            e = e.with_child(ts("basic").with_text(b.as_str()));
        }
        for n in &self.notes {
            e = e.with_child(ts("note").with_text(n.text.clone()));
        }
        e
    }
}

/// One capability of a [`Caps`] set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CapValue {
    /// A boolean capability (`<audio>true</audio>`).
    Bool(bool),
    /// A list capability: what is supported and what is not
    /// (`<methods><supported><INVITE/></supported></methods>`). Values are the
    /// element names, or their text when they have text (`<s>sip</s>`).
    Lists {
        /// Under `<supported>`.
        supported: Vec<String>,
        /// Under `<notsupported>`.
        not_supported: Vec<String>,
    },
    /// Any other text value (e.g. `<description>`).
    Text(String),
}

/// `<servcaps>` or `<devcaps>` (RFC 5196 section 3), decoded.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Caps {
    /// (capability name, value), in document order.
    pub entries: Vec<(String, CapValue)>,
}

impl Caps {
    fn from_element(e: &Element) -> Caps {
        let list = |c: &Element, which: &str| -> Vec<String> {
            c.children_named(ns::CAPS, which)
                .flat_map(|s| s.elements())
                .map(|v| {
                    let t = v.text();
                    if t.trim().is_empty() {
                        v.name.local.to_string()
                    } else {
                        t.trim().to_owned()
                    }
                })
                .collect()
        };
        let entries = e
            .elements()
            .map(|c| {
                let v = if c.child(ns::CAPS, "supported").is_some()
                    || c.child(ns::CAPS, "notsupported").is_some()
                {
                    CapValue::Lists {
                        supported: list(c, "supported"),
                        not_supported: list(c, "notsupported"),
                    }
                } else {
                    match c.text().trim() {
                        "true" | "1" => CapValue::Bool(true),
                        "false" | "0" => CapValue::Bool(false),
                        t => CapValue::Text(t.to_owned()),
                    }
                };
                (c.name.local.to_string(), v)
            })
            .collect();
        Caps { entries }
    }

    /// A boolean capability such as `audio`.
    pub fn flag(&self, name: &str) -> Option<bool> {
        self.entries.iter().find_map(|(n, v)| match v {
            CapValue::Bool(b) if n == name => Some(*b),
            _ => None,
        })
    }

    /// The supported values of a list capability such as `methods`.
    pub fn supported(&self, name: &str) -> Vec<&str> {
        self.entries
            .iter()
            .filter(|(n, _)| n == name)
            .flat_map(|(_, v)| match v {
                CapValue::Lists { supported, .. } => supported.iter().map(String::as_str).collect(),
                _ => Vec::new(),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Person, Presence, Tuple};

    #[test]
    fn builders_and_views_agree() {
        let p = Person::new("p")
            .extension(RpidSet::new(RpidKind::Mood).value("happy").to_element())
            .extension(Cipid::DisplayName.element("Alice"))
            .extension({
                let mut e = Cipid::DisplayName.element("Alicia");
                e.attributes.push(crate::xml::Attribute {
                    name: Name::prefixed(ns::XML, "xml", "lang"),
                    value: "es".into(),
                });
                e
            });
        assert!(p.mood().unwrap().has("happy"));
        assert_eq!(p.cipid(Cipid::DisplayName).as_deref(), Some("Alice"));
        assert_eq!(
            p.cipid_all(Cipid::DisplayName),
            vec![
                (None, "Alice".to_owned()),
                (Some("es".into()), "Alicia".into())
            ]
        );
        let ts = TimedStatus {
            from: Timestamp::parse("2005-08-15T10:20:00Z").unwrap(),
            until: None,
            basic: Some(Basic::Closed),
            notes: Vec::new(),
        };
        let t = Tuple::new("t")
            .extension(ts.to_element())
            .extension(device_id_element("urn:x:1"));
        assert_eq!(t.timed_statuses(), vec![ts]);
        assert_eq!(t.device_ids(), vec!["urn:x:1".to_owned()]);
        // Through the wire and back.
        let doc = Presence::new("pres:a@example.com").tuple(t).person(p);
        let back = Presence::parse(&doc.to_xml()).unwrap();
        assert!(back.persons[0].mood().unwrap().has("happy"));
        assert_eq!(
            back.tuples[0].timed_statuses()[0].basic,
            Some(Basic::Closed)
        );
        // Element-level editing.
        let mut person = back.persons[0].clone();
        assert_eq!(person.remove_extension(ns::CIPID, "display-name"), 2);
        person.set_extension(RpidSet::new(RpidKind::Mood).value("sad").to_element());
        assert!(person.mood().unwrap().has("sad"));
        assert_eq!(person.extensions.len(), 1);
    }
}
