//! Writing the typed model straight to bytes, without building the tree.
//!
//! The output is byte for byte what `to_element()` followed by
//! [`Element::write`] gives (tests hold the two together): the same
//! namespace declarations in the same places, the same escaping (through
//! [`crate::xml::escape_text`] and [`crate::xml::escape_attr`]). Only the
//! bookkeeping differs: names are borrowed from the model instead of cloned.

use std::borrow::Cow;

use crate::model::{Ctx, Device, Note, Part, Person, Presence, Status, Tuple};
use crate::ns;
use crate::xml::{escape_attr, escape_text, Attribute, Element, Node, NsDecl};

type Binding<'x> = (Option<Cow<'x, str>>, Cow<'x, str>);

/// Namespace bindings in scope, as the tree writer keeps them.
struct W<'x> {
    scope: Vec<Binding<'x>>,
    generated: usize,
}

/// An attribute the typed model holds as a field.
struct Known<'x> {
    xml_prefixed: bool,
    local: &'static str,
    value: &'x str,
}

impl<'x> W<'x> {
    fn new() -> Self {
        W {
            scope: vec![(Some(Cow::Borrowed("xml")), Cow::Borrowed(ns::XML))],
            generated: 0,
        }
    }

    fn lookup(&self, prefix: Option<&str>) -> Option<&str> {
        self.scope
            .iter()
            .rev()
            .find(|(p, _)| p.as_deref() == prefix)
            .map(|(_, u)| &**u)
    }

    fn declare(
        &mut self,
        prefix: Option<Cow<'x, str>>,
        uri: Cow<'x, str>,
        pending: &mut Vec<Binding<'x>>,
    ) {
        pending.push((prefix.clone(), uri.clone()));
        self.scope.push((prefix, uri));
    }

    /// The prefix to write a name with, declaring what is missing (the same
    /// rules as the tree writer).
    fn ensure(
        &mut self,
        ns: Option<&'x str>,
        prefix: Option<&'x str>,
        attribute: bool,
        pending: &mut Vec<Binding<'x>>,
    ) -> Option<Cow<'x, str>> {
        match (ns, prefix) {
            (None, _) => {
                if !attribute && self.lookup(None).is_some_and(|u| !u.is_empty()) {
                    self.declare(None, Cow::Borrowed(""), pending);
                }
                None
            }
            (Some(ns), Some(p)) => {
                if self.lookup(Some(p)) != Some(ns) {
                    self.declare(Some(Cow::Borrowed(p)), Cow::Borrowed(ns), pending);
                }
                Some(Cow::Borrowed(p))
            }
            (Some(ns), None) if !attribute => {
                if self.lookup(None) != Some(ns) {
                    self.declare(None, Cow::Borrowed(ns), pending);
                }
                None
            }
            (Some(ns), None) => {
                let found = self
                    .scope
                    .iter()
                    .rev()
                    .find(|(p, u)| p.is_some() && u == ns)
                    .and_then(|(p, _)| p.clone());
                if let Some(p) = found {
                    if self.lookup(Some(&p)) == Some(ns) {
                        return Some(p);
                    }
                }
                let p = loop {
                    let candidate = format!("ns{}", self.generated);
                    self.generated += 1;
                    if self.lookup(Some(&candidate)).is_none() {
                        break candidate;
                    }
                };
                self.declare(Some(Cow::Owned(p.clone())), Cow::Borrowed(ns), pending);
                Some(Cow::Owned(p))
            }
        }
    }

    /// Writes a start tag (without its closing `>` or `/>`); returns the
    /// scope mark and the element's prefix for the end tag.
    #[allow(clippy::too_many_arguments)]
    fn start(
        &mut self,
        out: &mut Vec<u8>,
        ns: Option<&'x str>,
        prefix: Option<&'x str>,
        local: &str,
        decls: &'x [NsDecl],
        known: &[Known<'x>],
        others: &'x [Attribute],
    ) -> (usize, Option<Cow<'x, str>>) {
        let mark = self.scope.len();
        for d in decls {
            self.scope.push((
                d.prefix.as_deref().map(Cow::Borrowed),
                Cow::Borrowed(&d.uri),
            ));
        }
        let mut pending = Vec::new();
        let ep = self.ensure(ns, prefix, false, &mut pending);
        for a in known {
            if a.xml_prefixed {
                self.ensure(Some(ns::XML), Some("xml"), true, &mut pending);
            }
        }
        for a in others {
            self.ensure(
                a.name.ns.as_deref(),
                a.name.prefix.as_deref(),
                true,
                &mut pending,
            );
        }
        out.push(b'<');
        qname(out, ep.as_deref(), local);
        for d in decls {
            decl(out, d.prefix.as_deref(), &d.uri);
        }
        for (p, u) in &pending {
            decl(out, p.as_deref(), u);
        }
        for a in known {
            out.push(b' ');
            qname(out, a.xml_prefixed.then_some("xml"), a.local);
            attr_value(out, a.value);
        }
        for a in others {
            // Declared above: this finds the binding without declaring.
            let p = self.ensure(
                a.name.ns.as_deref(),
                a.name.prefix.as_deref(),
                true,
                &mut pending,
            );
            out.push(b' ');
            qname(out, p.as_deref(), &a.name.local);
            attr_value(out, &a.value);
        }
        (mark, ep)
    }

    fn end(&mut self, out: &mut Vec<u8>, mark: usize, prefix: Option<&str>, local: &str) {
        out.extend_from_slice(b"</");
        qname(out, prefix, local);
        out.push(b'>');
        self.scope.truncate(mark);
    }

    fn element(&mut self, out: &mut Vec<u8>, e: &'x Element) {
        let (mark, p) = self.start(
            out,
            e.name.ns.as_deref(),
            e.name.prefix.as_deref(),
            &e.name.local,
            &e.namespaces,
            &[],
            &e.attributes,
        );
        if e.children.is_empty() {
            out.extend_from_slice(b"/>");
            self.scope.truncate(mark);
            return;
        }
        out.push(b'>');
        for c in &e.children {
            match c {
                Node::Element(x) => self.element(out, x),
                Node::Text(t) => escape_text(out, t),
                Node::CData(t) => {
                    out.extend_from_slice(b"<![CDATA[");
                    out.extend_from_slice(t.replace("]]>", "]]]]><![CDATA[>").as_bytes());
                    out.extend_from_slice(b"]]>");
                }
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
        self.end(out, mark, p.as_deref(), &e.name.local);
    }

    /// A typed leaf: `<name>text</name>`, or `<name/>` when empty.
    #[allow(clippy::too_many_arguments)]
    fn leaf(
        &mut self,
        out: &mut Vec<u8>,
        ns: &'x str,
        prefix: Option<&'x str>,
        local: &str,
        known: &[Known<'x>],
        others: &'x [Attribute],
        text: &str,
    ) {
        let (mark, p) = self.start(out, Some(ns), prefix, local, &[], known, others);
        if text.is_empty() {
            out.extend_from_slice(b"/>");
            self.scope.truncate(mark);
            return;
        }
        out.push(b'>');
        escape_text(out, text);
        self.end(out, mark, p.as_deref(), local);
    }

    fn note(&mut self, out: &mut Vec<u8>, ns: &'x str, prefix: Option<&'x str>, n: &'x Note) {
        match &n.lang {
            Some(l) => {
                let known = [Known {
                    xml_prefixed: true,
                    local: "lang",
                    value: l,
                }];
                self.leaf(out, ns, prefix, "note", &known, &n.attributes, &n.text);
            }
            None => self.leaf(out, ns, prefix, "note", &[], &n.attributes, &n.text),
        }
    }
}

fn qname(out: &mut Vec<u8>, prefix: Option<&str>, local: &str) {
    if let Some(p) = prefix {
        out.extend_from_slice(p.as_bytes());
        out.push(b':');
    }
    out.extend_from_slice(local.as_bytes());
}

fn decl(out: &mut Vec<u8>, prefix: Option<&str>, uri: &str) {
    out.extend_from_slice(b" xmlns");
    if let Some(p) = prefix {
        out.push(b':');
        out.extend_from_slice(p.as_bytes());
    }
    out.extend_from_slice(b"=\"");
    escape_attr(out, uri);
    out.push(b'"');
}

fn attr_value(out: &mut Vec<u8>, v: &str) {
    out.extend_from_slice(b"=\"");
    escape_attr(out, v);
    out.push(b'"');
}

fn id<'x>(id: &'x str) -> [Known<'x>; 1] {
    [Known {
        xml_prefixed: false,
        local: "id",
        value: id,
    }]
}

/// Writes `p` with the given root name (presence, or pidf-full with a
/// version).
pub(crate) fn presence(
    out: &mut Vec<u8>,
    p: &Presence,
    root_ns: &str,
    root_local: &str,
    root_prefix: Option<&str>,
    version: Option<&str>,
) {
    let (decls, ctx) = p.root_parts(root_ns, root_prefix);
    let mut w = W::new();
    let mut known = Vec::with_capacity(2);
    if let Some(e) = &p.entity {
        known.push(Known {
            xml_prefixed: false,
            local: "entity",
            value: e,
        });
    }
    // pidf-full writes its version after the kept attributes: see below.
    let (mark, rp) = w.start(
        out,
        Some(root_ns),
        root_prefix,
        root_local,
        &decls,
        &known,
        &p.attributes,
    );
    if let Some(v) = version {
        out.extend_from_slice(b" version");
        attr_value(out, v);
    }
    let order = p.order();
    if order.is_empty() {
        out.extend_from_slice(b"/>");
        return;
    }
    out.push(b'>');
    let pidf = ctx.pidf.as_deref();
    for (part, i) in order {
        match part {
            Part::Tuple => {
                if let Some(t) = p.tuples.get(i) {
                    tuple(&mut w, out, &ctx, t);
                }
            }
            Part::Note => {
                if let Some(n) = p.notes.get(i) {
                    w.note(out, ns::PIDF, pidf, n);
                }
            }
            Part::Person => {
                if let Some(x) = p.persons.get(i) {
                    person(&mut w, out, &ctx, x);
                }
            }
            Part::Device => {
                if let Some(d) = p.devices.get(i) {
                    device(&mut w, out, &ctx, d);
                }
            }
            _ => {
                if let Some(e) = p.extensions.get(i) {
                    w.element(out, e);
                }
            }
        }
    }
    w.end(out, mark, rp.as_deref(), root_local);
}

fn tuple<'x>(w: &mut W<'x>, out: &mut Vec<u8>, ctx: &'x Ctx, t: &'x Tuple) {
    let pidf = ctx.pidf.as_deref();
    let (mark, p) = w.start(
        out,
        Some(ns::PIDF),
        pidf,
        "tuple",
        &[],
        &id(&t.id),
        &t.attributes,
    );
    // A tuple always has its status.
    out.push(b'>');
    for (part, i) in t.order() {
        match part {
            Part::Status => status(w, out, ctx, &t.status),
            Part::Contact => {
                if let Some(c) = &t.contact {
                    match &c.priority {
                        Some(pr) => {
                            let known = [Known {
                                xml_prefixed: false,
                                local: "priority",
                                value: pr.as_str(),
                            }];
                            w.leaf(
                                out,
                                ns::PIDF,
                                pidf,
                                "contact",
                                &known,
                                &c.attributes,
                                &c.uri,
                            );
                        }
                        None => w.leaf(out, ns::PIDF, pidf, "contact", &[], &c.attributes, &c.uri),
                    }
                }
            }
            Part::Note => {
                if let Some(n) = t.notes.get(i) {
                    w.note(out, ns::PIDF, pidf, n);
                }
            }
            Part::Timestamp => {
                if let Some(ts) = &t.timestamp {
                    w.leaf(out, ns::PIDF, pidf, "timestamp", &[], &[], ts.as_str());
                }
            }
            _ => {
                if let Some(e) = t.extensions.get(i) {
                    w.element(out, e);
                }
            }
        }
    }
    w.end(out, mark, p.as_deref(), "tuple");
}

fn status<'x>(w: &mut W<'x>, out: &mut Vec<u8>, ctx: &'x Ctx, s: &'x Status) {
    let pidf = ctx.pidf.as_deref();
    let (mark, p) = w.start(out, Some(ns::PIDF), pidf, "status", &[], &[], &s.attributes);
    let order = s.order();
    if order.is_empty() {
        out.extend_from_slice(b"/>");
        w.scope.truncate(mark);
        return;
    }
    out.push(b'>');
    for (part, i) in order {
        match part {
            Part::Basic => {
                if let Some(b) = s.basic {
                    w.leaf(out, ns::PIDF, pidf, "basic", &[], &[], b.as_str());
                }
            }
            _ => {
                if let Some(e) = s.extensions.get(i) {
                    w.element(out, e);
                }
            }
        }
    }
    w.end(out, mark, p.as_deref(), "status");
}

fn person<'x>(w: &mut W<'x>, out: &mut Vec<u8>, ctx: &'x Ctx, x: &'x Person) {
    let dm = ctx.dm.as_deref();
    let (mark, p) = w.start(
        out,
        Some(ns::DATA_MODEL),
        dm,
        "person",
        &[],
        &id(&x.id),
        &x.attributes,
    );
    let order = x.order();
    if order.is_empty() {
        out.extend_from_slice(b"/>");
        w.scope.truncate(mark);
        return;
    }
    out.push(b'>');
    for (part, i) in order {
        match part {
            Part::Note => {
                if let Some(n) = x.notes.get(i) {
                    w.note(out, ns::DATA_MODEL, dm, n);
                }
            }
            Part::Timestamp => {
                if let Some(ts) = &x.timestamp {
                    w.leaf(out, ns::DATA_MODEL, dm, "timestamp", &[], &[], ts.as_str());
                }
            }
            _ => {
                if let Some(e) = x.extensions.get(i) {
                    w.element(out, e);
                }
            }
        }
    }
    w.end(out, mark, p.as_deref(), "person");
}

fn device<'x>(w: &mut W<'x>, out: &mut Vec<u8>, ctx: &'x Ctx, d: &'x Device) {
    let dm = ctx.dm.as_deref();
    let (mark, p) = w.start(
        out,
        Some(ns::DATA_MODEL),
        dm,
        "device",
        &[],
        &id(&d.id),
        &d.attributes,
    );
    out.push(b'>');
    for (part, i) in d.order() {
        match part {
            Part::DeviceId => w.leaf(out, ns::DATA_MODEL, dm, "deviceID", &[], &[], &d.device_id),
            Part::Note => {
                if let Some(n) = d.notes.get(i) {
                    w.note(out, ns::DATA_MODEL, dm, n);
                }
            }
            Part::Timestamp => {
                if let Some(ts) = &d.timestamp {
                    w.leaf(out, ns::DATA_MODEL, dm, "timestamp", &[], &[], ts.as_str());
                }
            }
            _ => {
                if let Some(e) = d.extensions.get(i) {
                    w.element(out, e);
                }
            }
        }
    }
    w.end(out, mark, p.as_deref(), "device");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::partial::{PartialDoc, PidfFull};
    use proptest::prelude::*;

    /// The direct writer gives the tree writer's bytes.
    fn same_bytes(p: &Presence) {
        let mut direct = Vec::new();
        presence(
            &mut direct,
            p,
            ns::PIDF,
            "presence",
            p.prefix.as_deref(),
            None,
        );
        let tree = p.to_element().to_xml_string();
        assert_eq!(String::from_utf8(direct).unwrap(), tree);
    }

    #[test]
    fn matches_the_tree_writer_on_every_vector() {
        for (name, bytes) in testkit::vectors("pidf", ".xml") {
            match PartialDoc::parse(&bytes) {
                Ok(PartialDoc::Full(f)) => {
                    let mut direct = Vec::new();
                    let PidfFull {
                        presence: ref p, ..
                    } = f;
                    let v = f.version.map(|v| v.to_string());
                    presence(
                        &mut direct,
                        p,
                        ns::PIDF_DIFF,
                        "pidf-full",
                        f.root_prefix.as_deref(),
                        v.as_deref(),
                    );
                    assert_eq!(
                        String::from_utf8(direct).unwrap(),
                        f.to_element().to_xml_string(),
                        "{name}"
                    );
                    same_bytes(p);
                }
                _ => {
                    if let Ok(p) = Presence::parse(&bytes) {
                        same_bytes(&p);
                    }
                }
            }
        }
        let built = Presence::new("pres:a@example.com")
            .tuple(
                crate::Tuple::new("t")
                    .basic(crate::Basic::Open)
                    .contact("")
                    .note(Note::new("x").lang("en")),
            )
            .person(Person::new("p"))
            .device(Device::new("d", "urn:x"));
        same_bytes(&built);
        same_bytes(&Presence::default());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn matches_the_tree_writer_on_mutated_vectors(
            which in 0usize..15,
            edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..4),
        ) {
            let vectors = testkit::vectors("pidf", ".xml");
            let (_, mut bytes) = vectors[which % vectors.len()].clone();
            for (i, b) in edits {
                let at = i.index(bytes.len());
                bytes[at] = b;
            }
            if let Ok(p) = Presence::parse(&bytes) {
                same_bytes(&p);
            }
        }
    }
}
