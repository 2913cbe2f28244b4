//! Partial PIDF (RFC 5262), the `application/pidf-diff+xml` documents that
//! RFC 5263 partial notification carries: full state in `<pidf-full>`,
//! changes in `<pidf-diff>` as RFC 5261 patch operations, with a version
//! counter shared by both.
//!
//! - [`PartialDoc::parse`] reads either kind; [`PartialDoc::write`] writes it
//!   back (operations and their content kept as they came).
//! - [`PidfDiff::apply`] applies the operations to a held [`Presence`].
//! - [`diff`] computes the operations turning one version into the next:
//!   tuples, persons and devices are matched by `id` and replaced whole when
//!   they changed; other children are matched by content. Root attributes
//!   are patched individually.
//! - [`PartialState`] holds the local copy and its version and refuses a
//!   `pidf-diff` that does not follow it ([`Error::VersionGap`]): the
//!   subscriber then refreshes its subscription to get full state.
//!
//! Selectors: RFC 5261 section 4.1 allows an XPath 1.0 subset; this module
//! takes location paths of child steps from the root: `*` or a QName, each
//! with predicates `[@attr='v']`, `[n]` or `[child='v']`, optionally ended by
//! `text()`, `@attr` or `namespace::prefix`. Unprefixed names in a selector
//! are in the default namespace in scope of the operation (RFC 5261 section
//! 4.2.2), which is how RFC 5262's example writes `*/tuple[@id='r1230d']`.
//! `//`, `..`, other axes and functions are refused with
//! [`Error::BadSelector`].

use crate::error::{clip, Error};
use crate::model::Presence;
use crate::ns;
use crate::text::Text;
use crate::xml::{atom, Attribute, Document, Element, Limits, Name, Node, NsDecl};
use std::borrow::Cow;

/// A partial PIDF document: full state or changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PartialDoc {
    /// `<pidf-full>`: the whole presence document.
    Full(PidfFull),
    /// `<pidf-diff>`: patch operations against the previous version.
    Diff(PidfDiff),
}

/// `<pidf-full>` (RFC 5262 section 3): a presence document with a version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PidfFull {
    /// The `version` attribute.
    pub version: Option<u32>,
    /// The presence content (entity, tuples, ...).
    pub presence: Presence,
    pub(crate) root_prefix: Option<Cow<'static, str>>,
}

/// `<pidf-diff>` (RFC 5262 section 3): patch operations with a version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PidfDiff {
    /// The `version` attribute.
    pub version: Option<u32>,
    /// The `entity` attribute.
    pub entity: Option<Text>,
    /// The operations, applied in order.
    pub ops: Vec<PatchOp>,
    /// Namespace declarations on the root (selectors resolve prefixes with
    /// them).
    pub namespaces: Vec<NsDecl>,
    /// Other attributes of the root.
    pub attributes: Vec<Attribute>,
    /// Whether an XML declaration precedes the root.
    pub declaration: bool,
    root_prefix: Option<Cow<'static, str>>,
}

/// The three operations of RFC 5261 section 4.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OpKind {
    /// `<add>` (section 4.3).
    Add,
    /// `<replace>` (section 4.4).
    Replace,
    /// `<remove>` (section 4.5).
    Remove,
}

impl OpKind {
    fn local(self) -> &'static str {
        match self {
            OpKind::Add => "add",
            OpKind::Replace => "replace",
            OpKind::Remove => "remove",
        }
    }
}

/// Where `<add>` puts its content relative to the selected element.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Pos {
    /// As its preceding sibling.
    Before,
    /// As its following sibling.
    After,
    /// As its first child (the default is last child).
    Prepend,
}

/// The `ws` attribute of `<remove>`: white-space siblings to remove too.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Ws {
    /// The text node before.
    Before,
    /// The text node after.
    After,
    /// Both.
    Both,
}

/// One patch operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatchOp {
    /// Add, replace or remove.
    pub kind: OpKind,
    /// The `sel` selector.
    pub sel: String,
    /// `pos` (add only).
    pub pos: Option<Pos>,
    /// `type` (add only): `@name` to add an attribute, `namespace::p` to add
    /// a namespace declaration.
    pub add_type: Option<String>,
    /// `ws` (remove only).
    pub ws: Option<Ws>,
    /// The content (add and replace), as written.
    pub content: Vec<Node>,
    /// Namespace declarations on the operation element.
    pub namespaces: Vec<NsDecl>,
    /// Other attributes on the operation element.
    pub attributes: Vec<Attribute>,
}

fn take_attr(attrs: &mut Vec<Attribute>, local: &str) -> Option<String> {
    let i = attrs
        .iter()
        .position(|a| a.name.ns.is_none() && a.name.local == local)?;
    Some(attrs.remove(i).value.to_string())
}

fn parse_version(v: Option<String>) -> Result<Option<u32>, Error> {
    match v {
        None => Ok(None),
        Some(v) => v
            .trim()
            .parse::<u32>()
            .map(Some)
            .map_err(|_| Error::BadValue {
                element: "version",
                context: "pidf-diff root".into(),
                value: clip(&v),
            }),
    }
}

impl PartialDoc {
    /// Parses an `application/pidf-diff+xml` document within the default
    /// limits.
    pub fn parse(input: &[u8]) -> Result<PartialDoc, Error> {
        PartialDoc::parse_with(input, &Limits::default())
    }

    /// Parses an `application/pidf-diff+xml` document within `limits`.
    pub fn parse_with(input: &[u8], limits: &Limits) -> Result<PartialDoc, Error> {
        if let Some(full) = crate::fast::parse_full(input, limits) {
            return Ok(PartialDoc::Full(full));
        }
        PartialDoc::parse_reference(input, limits)
    }

    /// The reference parse, through the XML tree; the fast path for
    /// `pidf-full` must agree with it wherever it answers.
    pub(crate) fn parse_reference(input: &[u8], limits: &Limits) -> Result<PartialDoc, Error> {
        let doc = Document::parse(input, limits)?;
        let declaration = doc.declaration;
        let mut root = doc.root;
        if root.is(ns::PIDF_DIFF, "pidf-full") {
            let version = parse_version(take_attr(&mut root.attributes, "version"))?;
            let root_prefix = root.name.prefix.clone();
            let mut presence = Presence::from_element(root)?;
            presence.declaration = declaration;
            presence.prefix = presence
                .namespaces
                .iter()
                .find(|d| d.uri == ns::PIDF)
                .and_then(|d| d.prefix.clone());
            Ok(PartialDoc::Full(PidfFull {
                version,
                presence,
                root_prefix,
            }))
        } else if root.is(ns::PIDF_DIFF, "pidf-diff") {
            let version = parse_version(take_attr(&mut root.attributes, "version"))?;
            let entity = take_attr(&mut root.attributes, "entity").map(Text::from);
            let mut d = PidfDiff {
                version,
                entity,
                ops: Vec::new(),
                namespaces: std::mem::take(&mut root.namespaces),
                attributes: std::mem::take(&mut root.attributes),
                declaration,
                root_prefix: root.name.prefix.clone(),
            };
            for n in root.children {
                match n {
                    Node::Element(e) => d.ops.push(PatchOp::from_element(e)?),
                    Node::Text(t) | Node::CData(t) if !t.trim().is_empty() => {
                        return Err(Error::UnexpectedText("pidf-diff"));
                    }
                    _ => {}
                }
            }
            Ok(PartialDoc::Diff(d))
        } else {
            Err(Error::WrongRoot {
                expected: "{urn:ietf:params:xml:ns:pidf-diff}pidf-full or pidf-diff",
                found: format!("{{{}}}{}", root.name.ns_str(), root.name.local),
            })
        }
    }

    /// The version attribute of either kind.
    pub fn version(&self) -> Option<u32> {
        match self {
            PartialDoc::Full(f) => f.version,
            PartialDoc::Diff(d) => d.version,
        }
    }

    /// Writes the document as UTF-8 XML.
    pub fn write(&self, out: &mut Vec<u8>) {
        match self {
            PartialDoc::Full(f) => f.write(out),
            PartialDoc::Diff(d) => d.write(out),
        }
    }

    /// The document as XML bytes.
    pub fn to_xml(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(1024);
        self.write(&mut out);
        out
    }

    /// The smaller of a diff from `old` to `new` and the full `new`
    /// (RFC 5262 section 4: send full state when the changes are many),
    /// numbered `version`.
    pub fn between(old: &Presence, new: &Presence, version: u32) -> PartialDoc {
        let d = diff(old, new, Some(version));
        let full = PidfFull::new(new.clone(), Some(version));
        let (mut a, mut b) = (Vec::new(), Vec::new());
        d.write(&mut a);
        full.write(&mut b);
        if a.len() < b.len() {
            PartialDoc::Diff(d)
        } else {
            PartialDoc::Full(full)
        }
    }
}

impl PidfFull {
    /// Full state `presence` as version `version`.
    pub fn new(presence: Presence, version: Option<u32>) -> PidfFull {
        PidfFull {
            version,
            presence,
            root_prefix: Some("p".into()),
        }
    }

    /// The document as a tree rooted at `<pidf-full>`.
    pub fn to_element(&self) -> Element {
        let mut e =
            self.presence
                .to_element_named(ns::PIDF_DIFF, "pidf-full", self.root_prefix.clone());
        if let Some(v) = self.version {
            e.attributes.push(Attribute {
                name: Name::local("version"),
                value: Text::from(v.to_string()),
            });
        }
        e
    }

    /// Writes the document as UTF-8 XML.
    pub fn write(&self, out: &mut Vec<u8>) {
        if self.presence.declaration {
            out.extend_from_slice(b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        }
        let version = self.version.map(|v| v.to_string());
        crate::write::presence(
            out,
            &self.presence,
            ns::PIDF_DIFF,
            "pidf-full",
            self.root_prefix.as_deref(),
            version.as_deref(),
        );
    }
}

impl PatchOp {
    fn from_element(mut e: Element) -> Result<PatchOp, Error> {
        let kind = match (e.name.ns.as_deref(), &*e.name.local) {
            (Some(ns::PIDF_DIFF), "add") => OpKind::Add,
            (Some(ns::PIDF_DIFF), "replace") => OpKind::Replace,
            (Some(ns::PIDF_DIFF), "remove") => OpKind::Remove,
            _ => {
                return Err(Error::BadPatch {
                    op: "?",
                    sel: String::new(),
                    reason: "not an add, replace or remove element",
                })
            }
        };
        let op = kind.local();
        let sel = take_attr(&mut e.attributes, "sel").ok_or(Error::BadPatch {
            op,
            sel: String::new(),
            reason: "no sel attribute",
        })?;
        let bad = |reason| Error::BadPatch {
            op,
            sel: clip(&sel),
            reason,
        };
        let pos = match take_attr(&mut e.attributes, "pos") {
            None => None,
            Some(p) if kind == OpKind::Add => Some(match p.as_str() {
                "before" => Pos::Before,
                "after" => Pos::After,
                "prepend" => Pos::Prepend,
                _ => return Err(bad("pos is not before, after or prepend")),
            }),
            Some(_) => return Err(bad("pos on an operation other than add")),
        };
        let add_type = take_attr(&mut e.attributes, "type");
        if add_type.is_some() && kind != OpKind::Add {
            return Err(bad("type on an operation other than add"));
        }
        let ws = match take_attr(&mut e.attributes, "ws") {
            None => None,
            Some(w) if kind == OpKind::Remove => Some(match w.as_str() {
                "before" => Ws::Before,
                "after" => Ws::After,
                "both" => Ws::Both,
                _ => return Err(bad("ws is not before, after or both")),
            }),
            Some(_) => return Err(bad("ws on an operation other than remove")),
        };
        if kind == OpKind::Remove && e.elements().next().is_some() {
            return Err(bad("remove has content"));
        }
        Ok(PatchOp {
            kind,
            sel,
            pos,
            add_type,
            ws,
            content: e.children,
            namespaces: e.namespaces,
            attributes: e.attributes,
        })
    }

    fn to_element(&self, prefix: Option<&str>) -> Element {
        let mut e = Element::with_name(Name {
            ns: Some(ns::PIDF_DIFF.into()),
            prefix: prefix.map(atom),
            local: atom(self.kind.local()),
        });
        e.namespaces.clone_from(&self.namespaces);
        e.set_attr("sel", self.sel.clone());
        if let Some(p) = self.pos {
            e.set_attr(
                "pos",
                match p {
                    Pos::Before => "before",
                    Pos::After => "after",
                    Pos::Prepend => "prepend",
                },
            );
        }
        if let Some(t) = &self.add_type {
            e.set_attr("type", t.clone());
        }
        if let Some(w) = self.ws {
            e.set_attr(
                "ws",
                match w {
                    Ws::Before => "before",
                    Ws::After => "after",
                    Ws::Both => "both",
                },
            );
        }
        e.attributes.extend(self.attributes.iter().cloned());
        e.children.clone_from(&self.content);
        e
    }
}

impl PidfDiff {
    /// The document as a tree rooted at `<pidf-diff>`.
    pub fn to_element(&self) -> Element {
        let mut e = Element::with_name(Name {
            ns: Some(ns::PIDF_DIFF.into()),
            prefix: self.root_prefix.clone(),
            local: "pidf-diff".into(),
        });
        e.namespaces.clone_from(&self.namespaces);
        if let Some(en) = &self.entity {
            e.set_attr("entity", en.clone());
        }
        if let Some(v) = self.version {
            e.set_attr("version", v.to_string());
        }
        e.attributes.extend(self.attributes.iter().cloned());
        for op in &self.ops {
            e.children
                .push(Node::Element(op.to_element(self.root_prefix.as_deref())));
        }
        e
    }

    /// Writes the document as UTF-8 XML.
    pub fn write(&self, out: &mut Vec<u8>) {
        if self.declaration {
            out.extend_from_slice(b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        }
        self.to_element().write(out);
    }

    /// Applies the operations in order to a copy of `base` (RFC 5261
    /// section 4); on any error `base` is untouched and nothing is applied.
    pub fn apply(&self, base: &Presence) -> Result<Presence, Error> {
        let mut root = base.to_element();
        self.apply_element(&mut root)?;
        if !root.is(ns::PIDF, "presence") {
            return Err(Error::BadPatch {
                op: "replace",
                sel: "*".into(),
                reason: "the root must stay a PIDF presence element",
            });
        }
        let mut p = Presence::from_element(root)?;
        p.declaration = base.declaration;
        Ok(p)
    }
}

impl PidfDiff {
    /// Applies the operations to a tree, in order.
    fn apply_element(&self, root: &mut Element) -> Result<(), Error> {
        for op in &self.ops {
            let scope = NsScope {
                op: &op.namespaces,
                root: &self.namespaces,
            };
            apply_op(root, op, &scope)?;
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// Selectors.

/// The namespace declarations in scope of an operation.
struct NsScope<'a> {
    op: &'a [NsDecl],
    root: &'a [NsDecl],
}

impl NsScope<'_> {
    fn resolve(&self, prefix: Option<&str>) -> Option<Option<String>> {
        if prefix == Some("xml") {
            return Some(Some(ns::XML.to_owned()));
        }
        let found = self
            .op
            .iter()
            .rev()
            .chain(self.root.iter().rev())
            .find(|d| d.prefix.as_deref() == prefix);
        match found {
            Some(d) if d.uri.is_empty() => Some(None),
            Some(d) => Some(Some(d.uri.to_string())),
            // No default namespace declared: unprefixed names are in none.
            None if prefix.is_none() => Some(None),
            None => None,
        }
    }
}

#[derive(Debug, PartialEq)]
enum NameTest {
    Any,
    Name { ns: Option<String>, local: String },
}

impl NameTest {
    fn matches(&self, n: &Name) -> bool {
        match self {
            NameTest::Any => true,
            NameTest::Name { ns, local } => n.local == *local && n.ns.as_deref() == ns.as_deref(),
        }
    }
}

#[derive(Debug)]
enum Pred {
    Attr {
        ns: Option<String>,
        local: String,
        value: String,
    },
    Child {
        test: NameTest,
        value: String,
    },
    Index(usize),
}

#[derive(Debug)]
struct Step {
    test: NameTest,
    preds: Vec<Pred>,
}

#[derive(Debug)]
enum Terminal {
    Element,
    Text,
    Attr { ns: Option<String>, local: String },
    Namespace(String),
}

struct SelParser<'a> {
    s: &'a str,
    sel: &'a str,
    scope: &'a NsScope<'a>,
}

impl<'a> SelParser<'a> {
    fn err(&self, reason: &'static str) -> Error {
        Error::BadSelector {
            sel: clip(self.sel),
            reason,
        }
    }

    fn eat(&mut self, p: &str) -> bool {
        match self.s.strip_prefix(p) {
            Some(rest) => {
                self.s = rest;
                true
            }
            None => false,
        }
    }

    fn ncname(&mut self) -> Option<&'a str> {
        let end = self
            .s
            .char_indices()
            .find(|&(i, c)| {
                !(c.is_alphanumeric() || c == '_' || c == '-' || c == '.')
                    || (i == 0 && (c.is_ascii_digit() || c == '-' || c == '.'))
            })
            .map_or(self.s.len(), |(i, _)| i);
        if end == 0 {
            return None;
        }
        let (n, rest) = self.s.split_at_checked(end)?;
        self.s = rest;
        Some(n)
    }

    /// A QName, resolved; `attribute` names are in no namespace unprefixed.
    fn qname(&mut self, attribute: bool) -> Result<(Option<String>, String), Error> {
        let first = self.ncname().ok_or_else(|| self.err("expected a name"))?;
        let (prefix, local) = if self.s.starts_with(':') && !self.s.starts_with("::") {
            self.s = self.s.get(1..).unwrap_or_default();
            let local = self.ncname().ok_or_else(|| self.err("expected a name"))?;
            (Some(first), local)
        } else {
            (None, first)
        };
        let ns = if attribute && prefix.is_none() {
            None
        } else {
            self.scope
                .resolve(prefix)
                .ok_or_else(|| self.err("undeclared prefix"))?
        };
        Ok((ns, local.to_owned()))
    }

    fn literal(&mut self) -> Result<String, Error> {
        let q = match self.s.chars().next() {
            Some(q @ ('\'' | '"')) => q,
            _ => return Err(self.err("expected a quoted value")),
        };
        let rest = self.s.get(1..).unwrap_or_default();
        let end = rest
            .find(q)
            .ok_or_else(|| self.err("unterminated literal"))?;
        let v = rest.get(..end).unwrap_or_default().to_owned();
        self.s = rest.get(end + 1..).unwrap_or_default();
        Ok(v)
    }

    fn pred(&mut self) -> Result<Pred, Error> {
        self.s = self.s.trim_start();
        let p = if self.eat("@") {
            let (ns, local) = self.qname(true)?;
            self.s = self.s.trim_start();
            if !self.eat("=") {
                return Err(self.err("expected = in predicate"));
            }
            self.s = self.s.trim_start();
            Pred::Attr {
                ns,
                local,
                value: self.literal()?,
            }
        } else if self.s.starts_with(|c: char| c.is_ascii_digit()) {
            let end = self
                .s
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(self.s.len());
            let n: usize = self
                .s
                .get(..end)
                .unwrap_or_default()
                .parse()
                .map_err(|_| self.err("bad position"))?;
            if n == 0 {
                return Err(self.err("positions start at 1"));
            }
            self.s = self.s.get(end..).unwrap_or_default();
            Pred::Index(n)
        } else {
            let (ns, local) = self.qname(false)?;
            self.s = self.s.trim_start();
            if !self.eat("=") {
                return Err(self.err("expected = in predicate"));
            }
            self.s = self.s.trim_start();
            Pred::Child {
                test: NameTest::Name { ns, local },
                value: self.literal()?,
            }
        };
        self.s = self.s.trim_start();
        if !self.eat("]") {
            return Err(self.err("expected ]"));
        }
        Ok(p)
    }

    fn parse(mut self) -> Result<(Vec<Step>, Terminal), Error> {
        if self.s.contains("//") || self.s.contains("..") {
            return Err(self.err("only child steps are supported"));
        }
        self.eat("/");
        let mut steps = Vec::new();
        loop {
            if self.eat("text()") {
                return self.end(steps, Terminal::Text);
            }
            if self.eat("@") {
                let (ns, local) = self.qname(true)?;
                return self.end(steps, Terminal::Attr { ns, local });
            }
            if self.eat("namespace::") {
                let p = self.ncname().ok_or_else(|| self.err("expected a prefix"))?;
                return self.end(steps, Terminal::Namespace(p.to_owned()));
            }
            let test = if self.eat("*") {
                NameTest::Any
            } else {
                let (ns, local) = self.qname(false)?;
                if self.s.starts_with('(') || self.s.starts_with("::") {
                    return Err(self.err("functions and axes are not supported"));
                }
                NameTest::Name { ns, local }
            };
            let mut preds = Vec::new();
            while self.eat("[") {
                preds.push(self.pred()?);
            }
            steps.push(Step { test, preds });
            if self.s.is_empty() {
                return Ok((steps, Terminal::Element));
            }
            if !self.eat("/") {
                return Err(self.err("unexpected character"));
            }
        }
    }

    fn end(&self, steps: Vec<Step>, t: Terminal) -> Result<(Vec<Step>, Terminal), Error> {
        if !self.s.trim().is_empty() {
            return Err(self.err("text after the last step"));
        }
        if steps.is_empty() {
            return Err(self.err("no element step"));
        }
        Ok((steps, t))
    }
}

fn step_matches(e: &Element, step: &Step) -> bool {
    step.test.matches(&e.name)
}

fn pred_holds(e: &Element, p: &Pred) -> bool {
    match p {
        Pred::Attr { ns, local, value } => e.attributes.iter().any(|a| {
            a.name.local == *local && a.name.ns.as_deref() == ns.as_deref() && a.value == *value
        }),
        Pred::Child { test, value } => e
            .elements()
            .any(|c| test.matches(&c.name) && c.text() == *value),
        Pred::Index(_) => true,
    }
}

/// Paths (child indices from the root) of the elements the steps select.
fn select(root: &Element, steps: &[Step]) -> Vec<Vec<usize>> {
    let Some((first, rest)) = steps.split_first() else {
        return Vec::new();
    };
    let root_ok = step_matches(root, first)
        && first.preds.iter().all(|p| match p {
            Pred::Index(n) => *n == 1,
            p => pred_holds(root, p),
        });
    if !root_ok {
        return Vec::new();
    }
    let mut current: Vec<Vec<usize>> = vec![Vec::new()];
    for step in rest {
        let mut next = Vec::new();
        for path in &current {
            let Some(parent) = element_at(root, path) else {
                continue;
            };
            let mut cands: Vec<usize> = parent
                .children
                .iter()
                .enumerate()
                .filter_map(|(i, n)| match n {
                    Node::Element(e) if step_matches(e, step) => Some(i),
                    _ => None,
                })
                .collect();
            for p in &step.preds {
                cands = match p {
                    Pred::Index(n) => cands.get(n - 1).map(|&i| vec![i]).unwrap_or_default(),
                    p => cands
                        .into_iter()
                        .filter(|&i| {
                            matches!(parent.children.get(i), Some(Node::Element(e)) if pred_holds(e, p))
                        })
                        .collect(),
                };
            }
            for i in cands {
                let mut p = path.clone();
                p.push(i);
                next.push(p);
            }
        }
        current = next;
    }
    current
}

fn element_at<'a>(root: &'a Element, path: &[usize]) -> Option<&'a Element> {
    let mut e = root;
    for &i in path {
        match e.children.get(i) {
            Some(Node::Element(c)) => e = c,
            _ => return None,
        }
    }
    Some(e)
}

fn element_at_mut<'a>(root: &'a mut Element, path: &[usize]) -> Option<&'a mut Element> {
    let mut e = root;
    for &i in path {
        match e.children.get_mut(i) {
            Some(Node::Element(c)) => e = c,
            _ => return None,
        }
    }
    Some(e)
}

fn content_text(nodes: &[Node]) -> String {
    let mut s = String::new();
    for n in nodes {
        if let Node::Text(t) | Node::CData(t) = n {
            s.push_str(t);
        }
    }
    s
}

fn is_blank(n: Option<&Node>) -> bool {
    matches!(n, Some(Node::Text(t)) if t.trim().is_empty())
}

fn apply_op(root: &mut Element, op: &PatchOp, scope: &NsScope<'_>) -> Result<(), Error> {
    let (steps, terminal) = SelParser {
        s: op.sel.trim(),
        sel: &op.sel,
        scope,
    }
    .parse()?;
    let found = select(root, &steps);
    let path = match found.as_slice() {
        [p] => p.clone(),
        _ => {
            return Err(Error::NoSingleMatch {
                sel: clip(&op.sel),
                count: found.len(),
            })
        }
    };
    let opname = op.kind.local();
    let bad = |reason| Error::BadPatch {
        op: opname,
        sel: clip(&op.sel),
        reason,
    };
    let target = element_at_mut(root, &path).ok_or_else(|| bad("selected node vanished"))?;
    match (op.kind, terminal) {
        (OpKind::Add, Terminal::Element) => match op.add_type.as_deref() {
            Some(t) if t.starts_with('@') => {
                let mut p = SelParser {
                    s: t.get(1..).unwrap_or_default(),
                    sel: &op.sel,
                    scope,
                };
                let (ns, local) = p.qname(true)?;
                if target
                    .attributes
                    .iter()
                    .any(|a| a.name.local == local && a.name.ns.as_deref() == ns.as_deref())
                {
                    return Err(bad("attribute already exists"));
                }
                let prefix = t
                    .get(1..)
                    .and_then(|q| q.split_once(':'))
                    .map(|(p, _)| atom(p));
                target.attributes.push(Attribute {
                    name: Name {
                        ns: ns.map(Into::into),
                        prefix,
                        local: atom(&local),
                    },
                    value: content_text(&op.content).into(),
                });
            }
            Some(t) if t.starts_with("namespace::") => {
                let prefix = t.get("namespace::".len()..).unwrap_or_default().to_owned();
                if target
                    .namespaces
                    .iter()
                    .any(|d| d.prefix.as_deref() == Some(prefix.as_str()))
                {
                    return Err(bad("namespace prefix already declared"));
                }
                target
                    .namespaces
                    .push(NsDecl::new(Some(&prefix), content_text(&op.content).trim()));
            }
            Some(_) => return Err(bad("type is neither @name nor namespace::prefix")),
            None => match op.pos {
                None => target.children.extend(op.content.iter().cloned()),
                Some(Pos::Prepend) => {
                    target.children.splice(0..0, op.content.iter().cloned());
                }
                Some(pos) => {
                    let (last, parent_path) = path
                        .split_last()
                        .ok_or_else(|| bad("cannot add a sibling to the root"))?;
                    let at = if pos == Pos::Before { *last } else { *last + 1 };
                    let parent = element_at_mut(root, parent_path)
                        .ok_or_else(|| bad("selected node vanished"))?;
                    parent.children.splice(at..at, op.content.iter().cloned());
                }
            },
        },
        (OpKind::Add, _) => return Err(bad("add needs an element selector")),
        (OpKind::Replace, Terminal::Element) => {
            let mut elems = op.content.iter().filter_map(|n| match n {
                Node::Element(e) => Some(e),
                _ => None,
            });
            let (Some(new), None) = (elems.next(), elems.next()) else {
                return Err(bad("replace of an element needs exactly one element"));
            };
            if op
                .content
                .iter()
                .any(|n| matches!(n, Node::Text(t) | Node::CData(t) if !t.trim().is_empty()))
            {
                return Err(bad("text beside the replacing element"));
            }
            *target = new.clone();
        }
        (OpKind::Replace, Terminal::Attr { ns, local }) => {
            let a = target
                .attributes
                .iter_mut()
                .find(|a| a.name.local == local && a.name.ns.as_deref() == ns.as_deref())
                .ok_or(Error::NoSingleMatch {
                    sel: clip(&op.sel),
                    count: 0,
                })?;
            a.value = content_text(&op.content).into();
        }
        (OpKind::Replace, Terminal::Text) | (OpKind::Remove, Terminal::Text) => {
            let texts: Vec<usize> = target
                .children
                .iter()
                .enumerate()
                .filter(|(_, n)| matches!(n, Node::Text(_) | Node::CData(_)))
                .map(|(i, _)| i)
                .collect();
            let [i] = texts.as_slice() else {
                return Err(Error::NoSingleMatch {
                    sel: clip(&op.sel),
                    count: texts.len(),
                });
            };
            if op.kind == OpKind::Replace {
                let t = content_text(&op.content);
                if let Some(n) = target.children.get_mut(*i) {
                    *n = Node::Text(t.into());
                }
            } else {
                target.children.remove(*i);
            }
        }
        (OpKind::Replace, Terminal::Namespace(p)) => {
            let d = target
                .namespaces
                .iter_mut()
                .find(|d| d.prefix.as_deref() == Some(p.as_str()))
                .ok_or(Error::NoSingleMatch {
                    sel: clip(&op.sel),
                    count: 0,
                })?;
            d.uri = content_text(&op.content).trim().into();
        }
        (OpKind::Remove, Terminal::Element) => {
            let (last, parent_path) = path
                .split_last()
                .ok_or_else(|| bad("cannot remove the root"))?;
            let last = *last;
            let parent =
                element_at_mut(root, parent_path).ok_or_else(|| bad("selected node vanished"))?;
            let after = matches!(op.ws, Some(Ws::After | Ws::Both))
                && is_blank(parent.children.get(last + 1));
            let before = matches!(op.ws, Some(Ws::Before | Ws::Both))
                && last > 0
                && is_blank(parent.children.get(last - 1));
            if after {
                parent.children.remove(last + 1);
            }
            parent.children.remove(last);
            if before {
                parent.children.remove(last - 1);
            }
        }
        (OpKind::Remove, Terminal::Attr { ns, local }) => {
            let before = target.attributes.len();
            target
                .attributes
                .retain(|a| !(a.name.local == local && a.name.ns.as_deref() == ns.as_deref()));
            if target.attributes.len() == before {
                return Err(Error::NoSingleMatch {
                    sel: clip(&op.sel),
                    count: 0,
                });
            }
        }
        (OpKind::Remove, Terminal::Namespace(p)) => {
            let before = target.namespaces.len();
            target
                .namespaces
                .retain(|d| d.prefix.as_deref() != Some(p.as_str()));
            if target.namespaces.len() == before {
                return Err(Error::NoSingleMatch {
                    sel: clip(&op.sel),
                    count: 0,
                });
            }
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Computing a diff.

/// Prefixes for the namespaces selectors name, declared on the diff root.
struct Prefixes {
    decls: Vec<NsDecl>,
}

impl Prefixes {
    fn new() -> Self {
        Prefixes {
            decls: vec![
                NsDecl::new(None, ns::PIDF),
                NsDecl::new(Some("p"), ns::PIDF_DIFF),
            ],
        }
    }

    /// The QName to write `name` with in a selector.
    fn qname(&mut self, name: &Name) -> String {
        let Some(uri) = name.ns.as_deref() else {
            // Elements in no namespace cannot be named while the default
            // namespace is PIDF; `*` with a position is used instead.
            return String::new();
        };
        if uri == ns::XML {
            // Bound by definition; declaring it is an error.
            return format!("xml:{}", name.local);
        }
        if let Some(d) = self.decls.iter().find(|d| d.uri == uri) {
            return match &d.prefix {
                Some(p) => format!("{p}:{}", name.local),
                None => name.local.to_string(),
            };
        }
        let base = ns::conventional_prefix(uri).unwrap_or("n");
        let mut p = base.to_owned();
        let mut n = 0;
        while self.decls.iter().any(|d| d.prefix.as_deref() == Some(&p)) {
            n += 1;
            p = format!("{base}{n}");
        }
        self.decls.push(NsDecl::new(Some(&p), uri));
        format!("{p}:{}", name.local)
    }
}

fn quote(v: &str) -> Option<String> {
    if !v.contains('\'') {
        Some(format!("'{v}'"))
    } else if !v.contains('"') {
        Some(format!("\"{v}\""))
    } else {
        None
    }
}

fn same_name(x: &Element, y: &Element) -> bool {
    x.name.ns == y.name.ns && x.name.local == y.name.local
}

/// Most children of one element that [`diff`] matches one by one.
const MAX_DIFF_CHILDREN: usize = 256;

/// How a child is matched between the two versions.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Key {
    /// By name and `id`, unique on both sides.
    Id,
    /// By name alone: the only child with that name on both sides.
    Name,
    /// By content.
    None,
}

fn key(e: &Element, olds: &[&Element], news: &[&Element]) -> Key {
    let count = |v: &[&Element], f: &dyn Fn(&Element) -> bool| v.iter().filter(|x| f(x)).count();
    if e.name.ns.is_none() {
        return Key::None;
    }
    if let Some(id) = e.attr("id") {
        let f = |x: &Element| same_name(x, e) && x.attr("id") == Some(id);
        if count(olds, &f) == 1 && count(news, &f) == 1 && quote(id).is_some() {
            return Key::Id;
        }
    }
    let f = |x: &Element| same_name(x, e);
    if count(olds, &f) == 1 && count(news, &f) == 1 {
        return Key::Name;
    }
    Key::None
}

/// The selector of `cur[i]` among the current children of `base`.
fn child_selector(base: &str, cur: &[&Element], i: usize, k: Key, px: &mut Prefixes) -> String {
    let Some(e) = cur.get(i) else {
        return base.to_owned();
    };
    let q = px.qname(&e.name);
    if q.is_empty() {
        let n = cur.get(..=i).map_or(1, <[&Element]>::len);
        return format!("{base}/*[{n}]");
    }
    match (k, e.attr("id").and_then(quote)) {
        (Key::Id, Some(v)) => format!("{base}/{q}[@id={v}]"),
        (Key::Name, _) => format!("{base}/{q}"),
        _ => {
            let n = cur
                .get(..=i)
                .map_or(1, |s| s.iter().filter(|x| same_name(x, e)).count());
            format!("{base}/{q}[{n}]")
        }
    }
}

fn attrs_equal(x: &Element, y: &Element) -> bool {
    x.attributes.len() == y.attributes.len()
        && x.attributes.iter().all(|a| {
            y.attributes.iter().any(|b| {
                b.name.ns == a.name.ns && b.name.local == a.name.local && b.value == a.value
            })
        })
}

fn has_text(e: &Element) -> bool {
    e.children
        .iter()
        .any(|n| matches!(n, Node::Text(t) | Node::CData(t) if !t.trim().is_empty()))
}

/// Operations turning the attributes of `a` (selected by `sel`) into those
/// of `b`.
fn attribute_ops(a: &Element, b: &Element, sel: &str, px: &mut Prefixes, ops: &mut Vec<PatchOp>) {
    let name = |px: &mut Prefixes, at: &Attribute| match &at.name.ns {
        None => at.name.local.to_string(),
        Some(_) => px.qname(&at.name),
    };
    for at in &a.attributes {
        let same = |x: &&Attribute| x.name.ns == at.name.ns && x.name.local == at.name.local;
        let sel_attr = name(px, at);
        match b.attributes.iter().find(same) {
            Some(nb) if nb.value != at.value => ops.push(op(
                OpKind::Replace,
                format!("{sel}/@{sel_attr}"),
                None,
                vec![Node::Text(nb.value.clone())],
            )),
            Some(_) => {}
            None => ops.push(op(
                OpKind::Remove,
                format!("{sel}/@{sel_attr}"),
                None,
                Vec::new(),
            )),
        }
    }
    for bt in &b.attributes {
        if !a
            .attributes
            .iter()
            .any(|x| x.name.ns == bt.name.ns && x.name.local == bt.name.local)
        {
            let sel_attr = name(px, bt);
            let mut o = op(
                OpKind::Add,
                sel.to_owned(),
                None,
                vec![Node::Text(bt.value.clone())],
            );
            o.add_type = Some(format!("@{sel_attr}"));
            ops.push(o);
        }
    }
}

/// Operations turning `o` (selected by `sel`) into `n`, finer than replacing
/// it when `fine` allows: the changed text alone, or the changed children.
fn diff_element(
    o: &Element,
    n: &Element,
    sel: &str,
    fine: bool,
    depth: usize,
    px: &mut Prefixes,
    ops: &mut Vec<PatchOp>,
) {
    let o_elems = o.elements().next().is_some();
    let n_elems = n.elements().next().is_some();
    if fine && !attrs_equal(o, n) {
        // Only attributes changed: patch them one by one.
        let mut same_content = o.clone();
        same_content.attributes.clone_from(&n.attributes);
        if same_content.infoset_eq(n) {
            attribute_ops(o, n, sel, px, ops);
            return;
        }
    }
    if fine && depth < 16 && attrs_equal(o, n) {
        if !o_elems && !n_elems {
            let texts = o
                .children
                .iter()
                .filter(|c| matches!(c, Node::Text(_) | Node::CData(_)))
                .count();
            let new_text = n.text();
            if texts == 1 && o.children.len() == 1 && !new_text.is_empty() {
                ops.push(op(
                    OpKind::Replace,
                    format!("{sel}/text()"),
                    None,
                    vec![Node::Text(new_text.into())],
                ));
                return;
            }
        } else if o_elems && n_elems && !has_text(o) && !has_text(n) {
            diff_children(o, n, sel, fine, depth + 1, px, ops);
            return;
        }
    }
    ops.push(op(
        OpKind::Replace,
        sel.to_owned(),
        None,
        vec![Node::Element(n.clone())],
    ));
}

/// Operations turning the element children of `a` into those of `b`, `base`
/// selecting the parent.
fn diff_children(
    a: &Element,
    b: &Element,
    base: &str,
    fine: bool,
    depth: usize,
    px: &mut Prefixes,
    ops: &mut Vec<PatchOp>,
) {
    let olds: Vec<&Element> = a.elements().collect();
    let news: Vec<&Element> = b.elements().collect();
    if olds.len() > MAX_DIFF_CHILDREN || news.len() > MAX_DIFF_CHILDREN {
        // Matching is quadratic: past the cap, replace the parent whole
        // (`*` is the root, which RFC 5261 lets a replace select).
        ops.push(op(
            OpKind::Replace,
            base.to_owned(),
            None,
            vec![Node::Element(b.clone())],
        ));
        return;
    }
    let okeys: Vec<Key> = olds.iter().map(|e| key(e, &olds, &news)).collect();
    // Match new children to old ones: (new index, old index).
    let mut used = vec![false; olds.len()];
    let mut pairs: Vec<(usize, usize)> = Vec::new();
    for (j, nb) in news.iter().enumerate() {
        let kb = key(nb, &olds, &news);
        let found = olds.iter().enumerate().position(|(i, o)| {
            !used.get(i).copied().unwrap_or(true)
                && okeys.get(i) == Some(&kb)
                && match kb {
                    Key::Id => same_name(o, nb) && o.attr("id") == nb.attr("id"),
                    Key::Name => same_name(o, nb),
                    Key::None => o.infoset_eq(nb),
                }
        });
        if let Some(i) = found {
            if let Some(u) = used.get_mut(i) {
                *u = true;
            }
            pairs.push((j, i));
        }
    }
    // Keep only matches whose order agrees; the rest are removed and re-added.
    let keep = lis(&pairs);
    let kept: Vec<(usize, usize)> = pairs
        .iter()
        .zip(&keep)
        .filter(|(_, k)| **k)
        .map(|(p, _)| *p)
        .collect();

    // The simulated current children, with the new index each stands for.
    // References only: selectors need names and ids, never deep copies.
    let mut cur: Vec<&Element> = olds.clone();
    let mut cur_key: Vec<Key> = okeys.clone();
    let mut cur_new: Vec<Option<usize>> = (0..olds.len())
        .map(|i| kept.iter().find(|&&(_, oi)| oi == i).map(|&(j, _)| j))
        .collect();
    // Removals, last first so the positions of the others stay put.
    for i in (0..olds.len()).rev() {
        if cur_new.get(i).copied().flatten().is_none() {
            let k = cur_key.get(i).copied().unwrap_or(Key::None);
            let sel = child_selector(base, &cur, i, k, px);
            ops.push(op(OpKind::Remove, sel, None, Vec::new()));
            cur.remove(i);
            cur_key.remove(i);
            cur_new.remove(i);
        }
    }
    // Changes inside matched children.
    for i in 0..cur.len() {
        let Some(j) = cur_new.get(i).copied().flatten() else {
            continue;
        };
        let (Some(o), Some(n)) = (cur.get(i), news.get(j)) else {
            continue;
        };
        if !o.infoset_eq(n) {
            let k = cur_key.get(i).copied().unwrap_or(Key::None);
            let sel = child_selector(base, &cur, i, k, px);
            diff_element(o, n, &sel, fine, depth, px, ops);
            if let Some(slot) = cur.get_mut(i) {
                *slot = n;
            }
        }
    }
    // Insertions, in new order: before the next child already placed, or
    // as the last child.
    for (j, nb) in news.iter().enumerate() {
        if cur_new.contains(&Some(j)) {
            continue;
        }
        let kb = key(nb, &olds, &news);
        let next_placed = cur_new
            .iter()
            .enumerate()
            .filter_map(|(i, x)| x.filter(|&jj| jj > j).map(|jj| (i, jj)))
            .min_by_key(|&(_, jj)| jj)
            .map(|(i, _)| i);
        match next_placed {
            Some(i) => {
                let k = cur_key.get(i).copied().unwrap_or(Key::None);
                let sel = child_selector(base, &cur, i, k, px);
                ops.push(op(
                    OpKind::Add,
                    sel,
                    Some(Pos::Before),
                    vec![Node::Element((*nb).clone())],
                ));
                cur.insert(i, nb);
                cur_key.insert(i, kb);
                cur_new.insert(i, Some(j));
            }
            None => {
                ops.push(op(
                    OpKind::Add,
                    base.to_owned(),
                    None,
                    vec![Node::Element((*nb).clone())],
                ));
                cur.push(nb);
                cur_key.push(kb);
                cur_new.push(Some(j));
            }
        }
    }
}

fn lis(pairs: &[(usize, usize)]) -> Vec<bool> {
    let n = pairs.len();
    let mut keep = vec![false; n];
    let mut tails: Vec<usize> = Vec::new();
    let mut prev: Vec<Option<usize>> = vec![None; n];
    for (k, &(_, i)) in pairs.iter().enumerate() {
        let pos = tails.partition_point(|&t| pairs.get(t).is_some_and(|p| p.1 < i));
        if pos > 0 {
            if let Some(slot) = prev.get_mut(k) {
                *slot = tails.get(pos - 1).copied();
            }
        }
        if pos == tails.len() {
            tails.push(k);
        } else if let Some(t) = tails.get_mut(pos) {
            *t = k;
        }
    }
    let mut at = tails.last().copied();
    while let Some(k) = at {
        if let Some(s) = keep.get_mut(k) {
            *s = true;
        }
        at = prev.get(k).copied().flatten();
    }
    keep
}

fn op(kind: OpKind, sel: String, pos: Option<Pos>, content: Vec<Node>) -> PatchOp {
    PatchOp {
        kind,
        sel,
        pos,
        add_type: None,
        ws: None,
        content,
        namespaces: Vec::new(),
        attributes: Vec::new(),
    }
}

/// The `pidf-diff` that turns `old` into `new` (infoset-equal), numbered
/// `version`.
///
/// Children are matched by name and `id` (tuples, persons, devices), by
/// name when only one has it on both sides (`status`, `basic`, `contact`,
/// ...), and otherwise by content. A matched element that changed is patched
/// as finely as RFC 5262 section 4 asks: its text alone (`.../text()`), or
/// its changed children, else replaced whole. Root attributes are patched
/// one by one. The result is checked by applying it; should that ever fail,
/// a coarser diff (whole top-level elements) is returned. An empty `ops`
/// list means no change.
pub fn diff(old: &Presence, new: &Presence, version: Option<u32>) -> PidfDiff {
    let a = old.to_element();
    let b = new.to_element();
    let fine = diff_with(&a, &b, new, version, true);
    let mut check = a.clone();
    match fine.apply_element(&mut check) {
        Ok(()) if check.infoset_eq(&b) => fine,
        _ => diff_with(&a, &b, new, version, false),
    }
}

fn diff_with(
    a: &Element,
    b: &Element,
    new: &Presence,
    version: Option<u32>,
    fine: bool,
) -> PidfDiff {
    let mut px = Prefixes::new();
    let mut ops = Vec::new();

    attribute_ops(a, b, "*", &mut px, &mut ops);
    diff_children(a, b, "*", fine, 0, &mut px, &mut ops);
    PidfDiff {
        version,
        entity: new.entity.clone(),
        ops,
        namespaces: px.decls,
        attributes: Vec::new(),
        declaration: true,
        root_prefix: Some("p".into()),
    }
}

/// The local copy a watcher keeps of a presentity's document, updated by
/// partial notifications (RFC 5263 section 5: full state first, then diffs
/// whose versions follow one by one).
#[derive(Debug, Clone, Default)]
pub struct PartialState {
    version: Option<u32>,
    doc: Option<Presence>,
}

impl PartialState {
    /// Nothing held yet.
    pub fn new() -> Self {
        PartialState::default()
    }

    /// The document held.
    pub fn presence(&self) -> Option<&Presence> {
        self.doc.as_ref()
    }

    /// The version held.
    pub fn version(&self) -> Option<u32> {
        self.version
    }

    /// Takes a received document: full state replaces what is held; a diff
    /// must carry the next version (when both have one) and the same entity,
    /// and applies atomically. On [`Error::VersionGap`] the caller should
    /// fetch full state (RFC 5263 section 5.2).
    pub fn handle(&mut self, doc: &PartialDoc) -> Result<&Presence, Error> {
        match doc {
            PartialDoc::Full(f) => {
                self.version = f.version;
                self.doc = Some(f.presence.clone());
            }
            PartialDoc::Diff(d) => {
                let Some(held) = &self.doc else {
                    return Err(Error::VersionGap {
                        have: None,
                        received: d.version,
                    });
                };
                if let (Some(have), Some(got)) = (self.version, d.version) {
                    if have.checked_add(1) != Some(got) {
                        return Err(Error::VersionGap {
                            have: Some(have),
                            received: Some(got),
                        });
                    }
                }
                if let (Some(h), Some(r)) = (&held.entity, &d.entity) {
                    if h != r {
                        return Err(Error::EntityMismatch {
                            have: h.to_string(),
                            received: r.to_string(),
                        });
                    }
                }
                let next = d.apply(held)?;
                self.doc = Some(next);
                self.version = d.version.or(self.version);
            }
        }
        self.doc.as_ref().ok_or(Error::VersionGap {
            have: None,
            received: None,
        })
    }
}
