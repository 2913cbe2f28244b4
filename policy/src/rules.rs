//! Rule documents: common-policy (RFC 4745) rule sets carrying the presence
//! authorization elements of RFC 5025.
//!
//! A [`RuleSet`] keeps the parsed XML tree as the truth for writing, so a
//! document survives parse and write with unknown extensions, prefixes and
//! comments in place; beside it sits the typed form of each [`Rule`] that
//! evaluation reads.

#![cfg_attr(
    not(test),
    deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)
)]

use std::collections::{BTreeSet, HashSet};

use pidf::xml::{Document, Element, Limits, NsDecl};

use crate::error::{PolicyError, Problem};
use crate::ns::{COMMON_POLICY as CP, PRES_RULES as PR};
use crate::time::DateTime;
use crate::uri::{normalize_domain, normalize_uri};

/// The subscription handling action (RFC 5025 section 3.2.1), ordered by
/// its numeric value: block (0) < confirm (10) < polite-block (20) < allow (30).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum SubHandling {
    /// Reject the subscription; the default when no rule grants more.
    #[default]
    Block,
    /// Hold the subscription pending until the presentity decides.
    Confirm,
    /// Accept, but send a document saying the presentity is unavailable.
    PoliteBlock,
    /// Accept and send the filtered presence document.
    Allow,
}

impl SubHandling {
    /// The numeric value the RFC assigns.
    pub const fn value(self) -> u8 {
        match self {
            SubHandling::Block => 0,
            SubHandling::Confirm => 10,
            SubHandling::PoliteBlock => 20,
            SubHandling::Allow => 30,
        }
    }

    /// The token used in documents.
    pub const fn as_str(self) -> &'static str {
        match self {
            SubHandling::Block => "block",
            SubHandling::Confirm => "confirm",
            SubHandling::PoliteBlock => "polite-block",
            SubHandling::Allow => "allow",
        }
    }

    /// Parses a token (surrounding white space ignored, as for `xs:token`).
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s.trim() {
            "block" => SubHandling::Block,
            "confirm" => SubHandling::Confirm,
            "polite-block" => SubHandling::PoliteBlock,
            "allow" => SubHandling::Allow,
            _ => return None,
        })
    }

    /// What may be disclosed beyond the presence server: block is reported as
    /// confirm (both give the watcher no document) and polite-block as allow
    /// (both give a document), so that nothing downstream can tell a watcher
    /// it is blocked.
    pub const fn disclosed(self) -> Self {
        match self {
            SubHandling::Block | SubHandling::Confirm => SubHandling::Confirm,
            SubHandling::PoliteBlock | SubHandling::Allow => SubHandling::Allow,
        }
    }
}

/// How much of `<user-input>` is shown (RFC 5025 section 3.3.2.12), ordered
/// by numeric value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum UserInput {
    /// Removed (0), the default.
    #[default]
    False,
    /// Kept without `idle-threshold` and the last-input time (10).
    Bare,
    /// Kept without the last-input time (20).
    Thresholds,
    /// Kept whole (30).
    Full,
}

impl UserInput {
    /// The token used in documents.
    pub const fn as_str(self) -> &'static str {
        match self {
            UserInput::False => "false",
            UserInput::Bare => "bare",
            UserInput::Thresholds => "thresholds",
            UserInput::Full => "full",
        }
    }

    /// Parses a token.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s.trim() {
            "false" => UserInput::False,
            "bare" => UserInput::Bare,
            "thresholds" => UserInput::Thresholds,
            "full" => UserInput::Full,
            _ => return None,
        })
    }
}

/// A set of person, device or service occurrences
/// (`<provide-persons>`, `<provide-devices>`, `<provide-services>`,
/// RFC 5025 section 3.3.1). Values are kept in comparison form: URIs
/// normalized, tokens trimmed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Components {
    /// `<all-persons>`, `<all-devices>` or `<all-services>`.
    pub all: bool,
    /// `<class>` members (case-sensitive).
    pub classes: BTreeSet<String>,
    /// `<occurrence-id>` members (case-sensitive).
    pub occurrence_ids: BTreeSet<String>,
    /// `<deviceID>` members (devices only).
    pub device_ids: BTreeSet<String>,
    /// `<service-uri>` members (services only).
    pub service_uris: BTreeSet<String>,
    /// `<service-uri-scheme>` members (services only, case-sensitive).
    pub service_uri_schemes: BTreeSet<String>,
}

impl Components {
    /// Whether the set grants nothing.
    pub fn is_empty(&self) -> bool {
        !self.all
            && self.classes.is_empty()
            && self.occurrence_ids.is_empty()
            && self.device_ids.is_empty()
            && self.service_uris.is_empty()
            && self.service_uri_schemes.is_empty()
    }

    /// Adds every member of `other` (set union, RFC 4745 section 10.2).
    pub fn union(&mut self, other: &Components) {
        self.all |= other.all;
        self.classes.extend(other.classes.iter().cloned());
        self.occurrence_ids
            .extend(other.occurrence_ids.iter().cloned());
        self.device_ids.extend(other.device_ids.iter().cloned());
        self.service_uris.extend(other.service_uris.iter().cloned());
        self.service_uri_schemes
            .extend(other.service_uri_schemes.iter().cloned());
        self.normalize();
    }

    /// Drops members that `all` subsumes, so that equal grants compare
    /// equal (and write as the schema's choice: `all-*` or members).
    pub fn normalize(&mut self) {
        if self.all {
            *self = Components {
                all: true,
                ..Components::default()
            };
        }
    }
}

/// A namespace-qualified element name, for `<provide-unknown-attribute>`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct QName {
    /// Namespace URI.
    pub ns: String,
    /// Local name.
    pub name: String,
}

/// The transformations of RFC 5025 section 3.3, for one rule or combined
/// over the matching rules. Every field is a positive grant; the default
/// grants nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Transformations {
    /// `<provide-services>`.
    pub services: Components,
    /// `<provide-persons>`.
    pub persons: Components,
    /// `<provide-devices>`.
    pub devices: Components,
    /// `<provide-activities>`.
    pub activities: bool,
    /// `<provide-class>`.
    pub class: bool,
    /// `<provide-deviceID>` (the `<deviceID>` of a tuple).
    pub device_id: bool,
    /// `<provide-mood>`.
    pub mood: bool,
    /// `<provide-place-is>`.
    pub place_is: bool,
    /// `<provide-place-type>`.
    pub place_type: bool,
    /// `<provide-privacy>`.
    pub privacy: bool,
    /// `<provide-relationship>`.
    pub relationship: bool,
    /// `<provide-sphere>`.
    pub sphere: bool,
    /// `<provide-status-icon>`.
    pub status_icon: bool,
    /// `<provide-time-offset>`.
    pub time_offset: bool,
    /// `<provide-user-input>`.
    pub user_input: UserInput,
    /// `<provide-note>`.
    pub note: bool,
    /// `<provide-unknown-attribute>` grants whose value is true.
    pub unknown_attributes: BTreeSet<QName>,
    /// `<provide-all-attributes>`.
    pub all_attributes: bool,
}

impl Transformations {
    /// Combines `other` into `self` per RFC 4745 section 10.2: booleans by
    /// OR, enumerated integers by maximum, sets by union.
    pub fn union(&mut self, other: &Transformations) {
        self.services.union(&other.services);
        self.persons.union(&other.persons);
        self.devices.union(&other.devices);
        self.activities |= other.activities;
        self.class |= other.class;
        self.device_id |= other.device_id;
        self.mood |= other.mood;
        self.place_is |= other.place_is;
        self.place_type |= other.place_type;
        self.privacy |= other.privacy;
        self.relationship |= other.relationship;
        self.sphere |= other.sphere;
        self.status_icon |= other.status_icon;
        self.time_offset |= other.time_offset;
        self.user_input = self.user_input.max(other.user_input);
        self.note |= other.note;
        self.unknown_attributes
            .extend(other.unknown_attributes.iter().cloned());
        self.all_attributes |= other.all_attributes;
    }

    /// The boolean permissions with their element names, in schema order.
    pub fn booleans(&self) -> [(&'static str, bool); 12] {
        [
            ("provide-activities", self.activities),
            ("provide-class", self.class),
            ("provide-deviceID", self.device_id),
            ("provide-mood", self.mood),
            ("provide-place-is", self.place_is),
            ("provide-place-type", self.place_type),
            ("provide-privacy", self.privacy),
            ("provide-relationship", self.relationship),
            ("provide-status-icon", self.status_icon),
            ("provide-sphere", self.sphere),
            ("provide-time-offset", self.time_offset),
            ("provide-note", self.note),
        ]
    }

    fn boolean_mut(&mut self, local: &str) -> Option<&mut bool> {
        Some(match local {
            "provide-activities" => &mut self.activities,
            "provide-class" => &mut self.class,
            "provide-deviceID" => &mut self.device_id,
            "provide-mood" => &mut self.mood,
            "provide-place-is" => &mut self.place_is,
            "provide-place-type" => &mut self.place_type,
            "provide-privacy" => &mut self.privacy,
            "provide-relationship" => &mut self.relationship,
            "provide-status-icon" => &mut self.status_icon,
            "provide-sphere" => &mut self.sphere,
            "provide-time-offset" => &mut self.time_offset,
            "provide-note" => &mut self.note,
            _ => return None,
        })
    }
}

/// A domain as written in a rule, with its comparison form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Domain {
    /// The value of the `domain` attribute.
    pub written: String,
    /// Its ASCII form (RFC 4745 section 7.1.3); `None` when conversion
    /// failed, in which case it equals no domain.
    pub ascii: Option<String>,
}

impl Domain {
    /// A domain from the text of a `domain` attribute.
    pub fn new(written: &str) -> Self {
        Domain {
            written: written.to_owned(),
            ascii: normalize_domain(written),
        }
    }
}

/// An `<except>` inside `<many>` (RFC 4745 section 7.1.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Except {
    /// `<except id="..."/>`: one identity, in normalized form.
    Id(String),
    /// `<except domain="..."/>`: every identity of a domain.
    Domain(Domain),
}

/// A `<many>` element: any authenticated identity, or any within a domain,
/// minus the exceptions.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Many {
    /// The `domain` attribute, if any.
    pub domain: Option<Domain>,
    /// The `<except>` children.
    pub except: Vec<Except>,
}

/// An `<identity>` condition (RFC 4745 section 7.1).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Identity {
    /// The `<one id>` values, normalized (RFC 4745 section 7.1.2).
    pub ones: BTreeSet<String>,
    /// The `<many>` children.
    pub many: Vec<Many>,
    /// Children this crate does not know, kept as written; each evaluates
    /// to FALSE.
    pub unknown: Vec<Element>,
}

impl Identity {
    /// Whether the element had no children at all (`<identity/>`).
    pub fn is_empty(&self) -> bool {
        self.ones.is_empty() && self.many.is_empty() && self.unknown.is_empty()
    }
}

/// The conditions of a rule; the rule applies when all hold (RFC 4745
/// section 10.1).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Conditions {
    /// `<identity>` elements (each must hold).
    pub identity: Vec<Identity>,
    /// `<sphere value>` elements, as their tokens (each must hold).
    pub sphere: Vec<Vec<String>>,
    /// `<validity>` elements, as their `[from, until)` pairs (each must hold).
    pub validity: Vec<Vec<(DateTime, DateTime)>>,
    /// Condition elements this crate does not know; any makes the rule
    /// never apply (RFC 4745 section 7).
    pub unknown: Vec<Element>,
}

/// The actions of a rule.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Actions {
    /// `<sub-handling>`; absent counts as block.
    pub sub_handling: Option<SubHandling>,
    /// Action elements of other specifications, kept as written.
    pub extensions: Vec<Element>,
}

/// One rule: conditions, actions, transformations.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Rule {
    /// The rule's `id` (RFC 4745 section 6.1).
    pub id: String,
    /// When the rule applies.
    pub conditions: Conditions,
    /// What it grants besides data.
    pub actions: Actions,
    /// What data it grants.
    pub transformations: Transformations,
    /// Transformation elements of other specifications, kept as written.
    pub transformation_extensions: Vec<Element>,
}

/// A parsed rule document: the lossless tree and the typed rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleSet {
    document: Document,
    rules: Vec<Rule>,
}

impl RuleSet {
    /// Parses a common-policy or pres-rules document within the default
    /// [`Limits`].
    pub fn parse(input: &[u8]) -> Result<Self, PolicyError> {
        Self::parse_with(input, &Limits::default())
    }

    /// Parses a document within `limits`.
    pub fn parse_with(input: &[u8], limits: &Limits) -> Result<Self, PolicyError> {
        Self::from_document(Document::parse(input, limits)?)
    }

    /// Reads the rules of an already parsed document.
    pub fn from_document(document: Document) -> Result<Self, PolicyError> {
        let root = &document.root;
        if !root.is(CP, "ruleset") {
            return Err(PolicyError::NotRuleset {
                found: root.name.local.to_string(),
            });
        }
        let mut rules = Vec::new();
        let mut ids = HashSet::new();
        for e in root.children_named(CP, "rule") {
            let rule = parse_rule(e)?;
            if !ids.insert(rule.id.clone()) {
                return Err(invalid(Some(&rule.id), "rule", Problem::DuplicateId));
            }
            rules.push(rule);
        }
        Ok(RuleSet { document, rules })
    }

    /// A document holding `rules`, written with the `cr`/`pr` prefixes of
    /// RFC 5025 section 6.
    pub fn from_rules(rules: Vec<Rule>) -> Self {
        let mut root = Element::with_name(pidf::xml::Name::prefixed(CP, "cr", "ruleset"));
        root.namespaces = vec![NsDecl::new(Some("cr"), CP), NsDecl::new(Some("pr"), PR)];
        for r in &rules {
            root = root.with_child(r.to_element());
        }
        RuleSet {
            document: Document::new(root),
            rules,
        }
    }

    /// The typed rules, in document order.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// The XML tree, as parsed (or built).
    pub fn document(&self) -> &Document {
        &self.document
    }

    /// Writes the document: what was parsed, unknown parts included.
    pub fn write(&self, out: &mut Vec<u8>) {
        self.document.write(out);
    }

    /// The document as bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.write(&mut out);
        out
    }
}

fn invalid(rule: Option<&str>, element: &'static str, problem: Problem) -> PolicyError {
    PolicyError::Invalid {
        rule: rule.map(str::to_owned),
        element,
        problem,
    }
}

fn parse_rule(e: &Element) -> Result<Rule, PolicyError> {
    let id = e
        .attr("id")
        .ok_or_else(|| invalid(None, "rule", Problem::MissingAttribute("id")))?;
    let mut rule = Rule {
        id: id.to_owned(),
        ..Rule::default()
    };
    let rid = Some(id);
    let mut seen = [false; 3];
    for c in e.elements() {
        let (slot, name) = match (c.name.ns_str(), &*c.name.local) {
            (CP, "conditions") => (0, "conditions"),
            (CP, "actions") => (1, "actions"),
            (CP, "transformations") => (2, "transformations"),
            _ => continue,
        };
        if let Some(s) = seen.get_mut(slot) {
            if *s {
                return Err(invalid(rid, name, Problem::Repeated));
            }
            *s = true;
        }
        match slot {
            0 => rule.conditions = parse_conditions(c, id)?,
            1 => rule.actions = parse_actions(c, id)?,
            _ => parse_transformations(c, id, &mut rule)?,
        }
    }
    Ok(rule)
}

fn parse_conditions(e: &Element, rid: &str) -> Result<Conditions, PolicyError> {
    let mut out = Conditions::default();
    for c in e.elements() {
        match (c.name.ns_str(), &*c.name.local) {
            (CP, "identity") => out.identity.push(parse_identity(c, rid)?),
            (CP, "sphere") => {
                let v = c.attr("value").ok_or_else(|| {
                    invalid(Some(rid), "sphere", Problem::MissingAttribute("value"))
                })?;
                out.sphere
                    .push(v.split_ascii_whitespace().map(str::to_owned).collect());
            }
            (CP, "validity") => out.validity.push(parse_validity(c, rid)?),
            _ => out.unknown.push(c.clone()),
        }
    }
    Ok(out)
}

fn parse_identity(e: &Element, rid: &str) -> Result<Identity, PolicyError> {
    let mut out = Identity::default();
    for c in e.elements() {
        match (c.name.ns_str(), &*c.name.local) {
            (CP, "one") => {
                let id = c
                    .attr("id")
                    .ok_or_else(|| invalid(Some(rid), "one", Problem::MissingAttribute("id")))?;
                out.ones.insert(normalize_uri(id));
            }
            (CP, "many") => {
                let mut many = Many {
                    domain: c.attr("domain").map(Domain::new),
                    except: Vec::new(),
                };
                for x in c.children_named(CP, "except") {
                    many.except.push(match (x.attr("id"), x.attr("domain")) {
                        (Some(id), None) => Except::Id(normalize_uri(id)),
                        (None, Some(d)) => Except::Domain(Domain::new(d)),
                        (None, None) => {
                            return Err(invalid(
                                Some(rid),
                                "except",
                                Problem::MissingAttribute("id"),
                            ))
                        }
                        (Some(_), Some(d)) => {
                            return Err(invalid(
                                Some(rid),
                                "except",
                                Problem::BadValue(d.to_owned()),
                            ))
                        }
                    });
                }
                out.many.push(many);
            }
            _ => out.unknown.push(c.clone()),
        }
    }
    Ok(out)
}

fn parse_validity(e: &Element, rid: &str) -> Result<Vec<(DateTime, DateTime)>, PolicyError> {
    let mut pairs = Vec::new();
    let mut from = None;
    for c in e.elements() {
        let t = || {
            let text = c.text();
            DateTime::parse(&text).ok_or_else(|| {
                invalid(
                    Some(rid),
                    "validity",
                    Problem::BadValue(text.trim().to_owned()),
                )
            })
        };
        match (c.name.ns_str(), &*c.name.local, from) {
            (CP, "from", None) => from = Some(t()?),
            (CP, "until", Some(f)) => {
                pairs.push((f, t()?));
                from = None;
            }
            _ => return Err(invalid(Some(rid), "validity", Problem::UnpairedValidity)),
        }
    }
    if from.is_some() || pairs.is_empty() {
        return Err(invalid(Some(rid), "validity", Problem::UnpairedValidity));
    }
    Ok(pairs)
}

fn parse_actions(e: &Element, rid: &str) -> Result<Actions, PolicyError> {
    let mut out = Actions::default();
    for c in e.elements() {
        if c.is(PR, "sub-handling") {
            if out.sub_handling.is_some() {
                return Err(invalid(Some(rid), "sub-handling", Problem::Repeated));
            }
            let text = c.text();
            out.sub_handling = Some(SubHandling::parse(&text).ok_or_else(|| {
                invalid(
                    Some(rid),
                    "sub-handling",
                    Problem::BadValue(text.trim().to_owned()),
                )
            })?);
        } else {
            out.extensions.push(c.clone());
        }
    }
    Ok(out)
}

fn parse_bool(c: &Element, rid: &str, element: &'static str) -> Result<bool, PolicyError> {
    let text = c.text();
    match text.trim() {
        "true" | "1" => Ok(true),
        "false" | "0" => Ok(false),
        other => Err(invalid(
            Some(rid),
            element,
            Problem::BadValue(other.to_owned()),
        )),
    }
}

/// Which members a `<provide-*>` set may hold.
#[derive(Clone, Copy, PartialEq, Eq)]
enum SetKind {
    Services,
    Persons,
    Devices,
}

fn parse_components(e: &Element, rid: &str, kind: SetKind) -> Result<Components, PolicyError> {
    let (element, all) = match kind {
        SetKind::Services => ("provide-services", "all-services"),
        SetKind::Persons => ("provide-persons", "all-persons"),
        SetKind::Devices => ("provide-devices", "all-devices"),
    };
    let mut out = Components::default();
    for c in e.elements() {
        if c.name.ns_str() != PR {
            // `##other` members identify nothing this crate knows: no grant.
            continue;
        }
        let value = || c.text().trim().to_owned();
        match (&*c.name.local, kind) {
            (l, _) if l == all => out.all = true,
            ("class", _) => {
                out.classes.insert(value());
            }
            ("occurrence-id", _) => {
                out.occurrence_ids.insert(value());
            }
            ("deviceID", SetKind::Devices) => {
                out.device_ids.insert(normalize_uri(&value()));
            }
            ("service-uri", SetKind::Services) => {
                out.service_uris.insert(normalize_uri(&value()));
            }
            ("service-uri-scheme", SetKind::Services) => {
                out.service_uri_schemes.insert(value());
            }
            (other, _) => {
                return Err(invalid(
                    Some(rid),
                    element,
                    Problem::BadValue(other.to_owned()),
                ))
            }
        }
    }
    out.normalize();
    Ok(out)
}

fn parse_transformations(e: &Element, rid: &str, rule: &mut Rule) -> Result<(), PolicyError> {
    let mut t = Transformations::default();
    for c in e.elements() {
        if c.name.ns_str() != PR {
            rule.transformation_extensions.push(c.clone());
            continue;
        }
        let local = &*c.name.local;
        match local {
            "provide-services" => t
                .services
                .union(&parse_components(c, rid, SetKind::Services)?),
            "provide-persons" => t
                .persons
                .union(&parse_components(c, rid, SetKind::Persons)?),
            "provide-devices" => t
                .devices
                .union(&parse_components(c, rid, SetKind::Devices)?),
            "provide-user-input" => {
                let text = c.text();
                let v = UserInput::parse(&text).ok_or_else(|| {
                    invalid(
                        Some(rid),
                        "provide-user-input",
                        Problem::BadValue(text.trim().to_owned()),
                    )
                })?;
                t.user_input = t.user_input.max(v);
            }
            "provide-unknown-attribute" => {
                let el = "provide-unknown-attribute";
                let ns = c
                    .attr("ns")
                    .ok_or_else(|| invalid(Some(rid), el, Problem::MissingAttribute("ns")))?;
                let name = c
                    .attr("name")
                    .ok_or_else(|| invalid(Some(rid), el, Problem::MissingAttribute("name")))?;
                if name.contains(':') {
                    return Err(invalid(Some(rid), el, Problem::BadValue(name.to_owned())));
                }
                if parse_bool(c, rid, el)? {
                    t.unknown_attributes.insert(QName {
                        ns: ns.trim().to_owned(),
                        name: name.trim().to_owned(),
                    });
                }
            }
            "provide-all-attributes" => t.all_attributes = true,
            _ => match BOOLEAN_NAMES.iter().find(|n| **n == local) {
                Some(name) => {
                    let v = parse_bool(c, rid, name)?;
                    if let Some(slot) = t.boolean_mut(local) {
                        *slot |= v;
                    }
                }
                None => rule.transformation_extensions.push(c.clone()),
            },
        }
    }
    rule.transformations = t;
    Ok(())
}

const BOOLEAN_NAMES: [&str; 12] = [
    "provide-activities",
    "provide-class",
    "provide-deviceID",
    "provide-mood",
    "provide-place-is",
    "provide-place-type",
    "provide-privacy",
    "provide-relationship",
    "provide-status-icon",
    "provide-sphere",
    "provide-time-offset",
    "provide-note",
];

fn cr(local: &str) -> Element {
    Element::with_name(pidf::xml::Name::prefixed(CP, "cr", local))
}

fn pr(local: &str) -> Element {
    Element::with_name(pidf::xml::Name::prefixed(PR, "pr", local))
}

fn write_components(name: &str, all: &str, c: &Components) -> Element {
    let mut e = pr(name);
    if c.all {
        return e.with_child(pr(all));
    }
    let groups: [(&str, &BTreeSet<String>); 5] = [
        ("class", &c.classes),
        ("occurrence-id", &c.occurrence_ids),
        ("deviceID", &c.device_ids),
        ("service-uri", &c.service_uris),
        ("service-uri-scheme", &c.service_uri_schemes),
    ];
    for (local, set) in groups {
        for v in set {
            e = e.with_child(pr(local).with_text(v.clone()));
        }
    }
    e
}

impl Rule {
    /// The rule as a `<cr:rule>` element in its typed form: what evaluation
    /// sees, written canonically (unknown conditions and extensions included).
    pub fn to_element(&self) -> Element {
        let mut conditions = cr("conditions");
        for id in &self.conditions.identity {
            let mut e = cr("identity");
            for one in &id.ones {
                e = e.with_child(cr("one").with_attr("id", one.clone()));
            }
            for m in &id.many {
                let mut me = cr("many");
                if let Some(d) = &m.domain {
                    me = me.with_attr("domain", d.written.clone());
                }
                for x in &m.except {
                    me = me.with_child(match x {
                        Except::Id(i) => cr("except").with_attr("id", i.clone()),
                        Except::Domain(d) => cr("except").with_attr("domain", d.written.clone()),
                    });
                }
                e = e.with_child(me);
            }
            for u in &id.unknown {
                e = e.with_child(u.clone());
            }
            conditions = conditions.with_child(e);
        }
        for s in &self.conditions.sphere {
            conditions = conditions.with_child(cr("sphere").with_attr("value", s.join(" ")));
        }
        for v in &self.conditions.validity {
            let mut e = cr("validity");
            for (f, u) in v {
                e = e.with_child(cr("from").with_text(f.to_string()));
                e = e.with_child(cr("until").with_text(u.to_string()));
            }
            conditions = conditions.with_child(e);
        }
        for u in &self.conditions.unknown {
            conditions = conditions.with_child(u.clone());
        }
        let mut actions = cr("actions");
        if let Some(s) = self.actions.sub_handling {
            actions = actions.with_child(pr("sub-handling").with_text(s.as_str()));
        }
        for x in &self.actions.extensions {
            actions = actions.with_child(x.clone());
        }
        let t = &self.transformations;
        let mut tr = cr("transformations");
        if !t.services.is_empty() {
            tr = tr.with_child(write_components(
                "provide-services",
                "all-services",
                &t.services,
            ));
        }
        if !t.persons.is_empty() {
            tr = tr.with_child(write_components(
                "provide-persons",
                "all-persons",
                &t.persons,
            ));
        }
        if !t.devices.is_empty() {
            tr = tr.with_child(write_components(
                "provide-devices",
                "all-devices",
                &t.devices,
            ));
        }
        for (name, v) in t.booleans() {
            if v {
                tr = tr.with_child(pr(name).with_text("true"));
            }
        }
        if t.user_input != UserInput::False {
            tr = tr.with_child(pr("provide-user-input").with_text(t.user_input.as_str()));
        }
        for q in &t.unknown_attributes {
            tr = tr.with_child(
                pr("provide-unknown-attribute")
                    .with_attr("ns", q.ns.clone())
                    .with_attr("name", q.name.clone())
                    .with_text("true"),
            );
        }
        if t.all_attributes {
            tr = tr.with_child(pr("provide-all-attributes"));
        }
        for x in &self.transformation_extensions {
            tr = tr.with_child(x.clone());
        }
        cr("rule")
            .with_attr("id", self.id.clone())
            .with_child(conditions)
            .with_child(actions)
            .with_child(tr)
    }
}
