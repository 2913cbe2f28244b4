//! `application/rls-services+xml` (RFC 4826 section 4).
//!
//! Each `<service>` names a list URI an RLS answers for, where its members
//! come from (a `<resource-list>` URI, usually an XCAP URI of a
//! resource-lists `<list>`, or an inline `<list>`), and which event packages
//! it serves.

#![cfg_attr(
    not(test),
    deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)
)]

use pidf::xml::{Attribute, Document, Element, Limits, Node, NsDecl};
use pidf::Text;

use crate::common::{
    expect_root, extra_namespaces, indent, other_attributes, push_attrs, with_default_ns, At,
};
use crate::error::{DocError, DocErrorKind, DocKind};
use crate::resource_lists::{rl_prefix, List};

/// The rls-services namespace (RFC 4826 section 4.2).
pub const NS: &str = "urn:ietf:params:xml:ns:rls-services";
/// The media type (RFC 4826 section 9.2).
pub const CONTENT_TYPE: &str = "application/rls-services+xml";

const DOC: DocKind = DocKind::RlsServices;

/// Where a service's members come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServiceSource {
    /// `<resource-list>`: the URI of a list kept elsewhere (trimmed of the
    /// white space around it).
    ResourceList(String),
    /// `<list>`: the members inline.
    List(List),
}

/// `<packages>`: the event packages a service answers for.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Packages {
    /// Package names (`presence`, ...), trimmed.
    pub names: Vec<String>,
    /// Child elements from other namespaces.
    pub extensions: Vec<Element>,
}

/// One `<service>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    /// The list URI subscribers send SUBSCRIBE to.
    pub uri: Text,
    /// The members.
    pub source: ServiceSource,
    /// The packages; `None` when the element is absent (any package).
    pub packages: Option<Packages>,
    /// Attributes from other namespaces.
    pub other_attributes: Vec<Attribute>,
    /// Child elements from other namespaces, written after the packages.
    pub extensions: Vec<Element>,
}

impl Service {
    /// A service for `uri` with members from `source` and no packages list.
    pub fn new(uri: impl Into<Text>, source: ServiceSource) -> Self {
        Service {
            uri: uri.into(),
            source,
            packages: None,
            other_attributes: Vec::new(),
            extensions: Vec::new(),
        }
    }

    /// Whether the service answers for `package` (any package when the
    /// document lists none, RFC 4826 section 4.2).
    pub fn serves(&self, package: &str) -> bool {
        match &self.packages {
            None => true,
            Some(p) => p.names.iter().any(|n| n.eq_ignore_ascii_case(package)),
        }
    }

    fn from_element(e: &Element, at: &At<'_>) -> Result<Self, DocError> {
        let uri = at.required(DOC, e, "uri")?;
        let mut source = None;
        let mut packages = None;
        let mut extensions = Vec::new();
        for c in e.elements() {
            if source.is_none() && c.is(NS, "resource-list") {
                source = Some(ServiceSource::ResourceList(c.text().trim().to_owned()));
            } else if source.is_none() && c.is(NS, "list") {
                let at = at.child("list", 1, c);
                source = Some(ServiceSource::List(List::from_element(c, DOC, &at)?));
            } else if packages.is_none() && c.is(NS, "packages") {
                let mut p = Packages::default();
                let at = at.child("packages", 1, c);
                for k in c.elements() {
                    if k.is(NS, "package") {
                        p.names.push(k.text().trim().to_owned());
                    } else {
                        p.extensions.push(at.detach(k));
                    }
                }
                packages = Some(p);
            } else {
                extensions.push(at.detach(c));
            }
        }
        let source = source.ok_or_else(|| {
            at.err(
                DOC,
                DocErrorKind::MissingElement {
                    element: "resource-list",
                },
            )
        })?;
        Ok(Service {
            uri,
            source,
            packages,
            other_attributes: other_attributes(e, &["uri"]),
            extensions,
        })
    }

    fn to_element(&self, rl_prefix: Option<&str>) -> Element {
        let mut e = Element::new(NS, "service").with_attr("uri", self.uri.clone());
        push_attrs(&mut e, &self.other_attributes);
        let src = match &self.source {
            ServiceSource::ResourceList(u) => {
                Element::new(NS, "resource-list").with_text(u.clone())
            }
            ServiceSource::List(l) => l.to_element_named(NS, rl_prefix),
        };
        e.children.push(Node::Element(src));
        if let Some(p) = &self.packages {
            let mut pe = Element::new(NS, "packages");
            for n in &p.names {
                pe.children.push(Node::Element(
                    Element::new(NS, "package").with_text(n.clone()),
                ));
            }
            for x in &p.extensions {
                pe.children.push(Node::Element(x.clone()));
            }
            e.children.push(Node::Element(pe));
        }
        for x in &self.extensions {
            e.children.push(Node::Element(x.clone()));
        }
        e
    }
}

/// An rls-services document: the `<rls-services>` root.
///
/// ```
/// use rls::rls_services::{RlsServices, ServiceSource};
///
/// let doc = RlsServices::parse(br#"<rls-services xmlns="urn:ietf:params:xml:ns:rls-services">
///  <service uri="sip:mybuddies@example.com">
///   <resource-list>http://xcap.example.com/resource-lists/users/sip:joe@example.com/index</resource-list>
///   <packages><package>presence</package></packages>
///  </service>
/// </rls-services>"#)?;
/// let s = doc.service("sip:mybuddies@example.com").expect("service");
/// assert!(s.serves("presence"));
/// assert!(matches!(&s.source, ServiceSource::ResourceList(u) if u.starts_with("http://xcap")));
/// # Ok::<(), rls::DocError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RlsServices {
    /// The services.
    pub services: Vec<Service>,
    /// Attributes from other namespaces.
    pub other_attributes: Vec<Attribute>,
    /// Child elements from other namespaces, written after the services.
    pub extensions: Vec<Element>,
    /// Namespace declarations on the root as parsed.
    pub namespaces: Vec<NsDecl>,
}

impl RlsServices {
    /// Parses a document within the default [`Limits`].
    pub fn parse(input: &[u8]) -> Result<Self, DocError> {
        Self::parse_with(input, &Limits::default())
    }

    /// Parses a document within `limits`.
    pub fn parse_with(input: &[u8], limits: &Limits) -> Result<Self, DocError> {
        let doc = Document::parse(input, limits).map_err(|e| DocError::xml(DOC, e))?;
        Self::from_element(&doc.root)
    }

    /// Reads the typed document from a parsed root element.
    pub fn from_element(e: &Element) -> Result<Self, DocError> {
        expect_root(DOC, e, NS, "rls-services")?;
        let at = At::root("rls-services");
        let mut doc = RlsServices {
            other_attributes: e.attributes.clone(),
            namespaces: extra_namespaces(e, NS),
            ..RlsServices::default()
        };
        let mut n = 0;
        for c in e.elements() {
            if c.is(NS, "service") {
                n += 1;
                let at = at.child("service", n, c);
                doc.services.push(Service::from_element(c, &at)?);
            } else {
                doc.extensions.push(at.detach(c));
            }
        }
        Ok(doc)
    }

    /// The document as an element tree.
    pub fn to_element(&self) -> Element {
        let mut e = Element::new(NS, "rls-services");
        e.namespaces = with_default_ns(NS, &self.namespaces);
        push_attrs(&mut e, &self.other_attributes);
        let prefix = rl_prefix(&self.namespaces);
        for s in &self.services {
            e.children.push(Node::Element(s.to_element(prefix)));
        }
        for x in &self.extensions {
            e.children.push(Node::Element(x.clone()));
        }
        e
    }

    /// Writes the document compactly, with an XML declaration.
    pub fn write(&self, out: &mut Vec<u8>) {
        Document::new(self.to_element()).write(out);
    }

    /// The document as compact XML bytes.
    pub fn to_xml(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.write(&mut out);
        out
    }

    /// The document as indented XML, for people.
    pub fn to_pretty_string(&self) -> String {
        let mut root = self.to_element();
        indent(&mut root, 0);
        Document::new(root).to_xml_string()
    }

    /// The service for list URI `uri`.
    pub fn service(&self, uri: &str) -> Option<&Service> {
        self.services.iter().find(|s| s.uri == uri)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_without_members_is_an_error() {
        let e = RlsServices::parse(
            br#"<rls-services xmlns="urn:ietf:params:xml:ns:rls-services"><service uri="sip:a@b"><packages/></service></rls-services>"#,
        )
        .unwrap_err();
        assert_eq!(e.at, "/rls-services/service[1]");
        assert!(matches!(e.kind, DocErrorKind::MissingElement { .. }));
    }

    #[test]
    fn packages_absent_means_any() {
        let d = RlsServices::parse(
            br#"<rls-services xmlns="urn:ietf:params:xml:ns:rls-services"><service uri="sip:a@b"><resource-list> http://x </resource-list></service></rls-services>"#,
        )
        .unwrap();
        let s = &d.services[0];
        assert!(s.serves("anything"));
        assert_eq!(s.source, ServiceSource::ResourceList("http://x".into()));
        assert_eq!(RlsServices::parse(&d.to_xml()).unwrap(), d);
    }
}
