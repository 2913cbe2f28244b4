//! Elements the typed documents keep whole (extensions, RLMI instance
//! content) keep the namespace context they were parsed in, so a document
//! written back parses to the same value even when the declarations it used
//! sat on typed elements, which the model does not keep.

use pidf::xml::{Document, Element, Limits, NsDecl};
use rls::resource_lists::{Member, ResourceLists};
use rls::rlmi::Rlmi;
use rls::rls_services::{RlsServices, ServiceSource};

const RL: &str = "urn:ietf:params:xml:ns:resource-lists";

fn tree(bytes: &[u8]) -> Element {
    Document::parse(bytes, &Limits::default())
        .expect("well-formed")
        .root
}

fn decl(prefix: Option<&str>, uri: &str) -> NsDecl {
    NsDecl {
        prefix: prefix.map(Into::into),
        uri: uri.into(),
    }
}

/// Writes `doc` with `write`, parses it with `parse`, and checks the value
/// and the infoset against the source.
fn round_trip<T: PartialEq + std::fmt::Debug>(
    src: &str,
    parse: impl Fn(&[u8]) -> T,
    write: impl Fn(&T) -> Vec<u8>,
) -> T {
    let doc = parse(src.as_bytes());
    let out = write(&doc);
    let again = parse(&out);
    assert_eq!(again, doc, "{}", String::from_utf8_lossy(&out));
    assert!(
        tree(src.as_bytes()).infoset_eq(&tree(&out)),
        "{}",
        String::from_utf8_lossy(&out)
    );
    doc
}

fn services(src: &str) -> RlsServices {
    round_trip(
        src,
        |b| RlsServices::parse(b).expect("parses"),
        |d| d.to_xml(),
    )
}

fn lists(src: &str) -> ResourceLists {
    round_trip(
        src,
        |b| ResourceLists::parse(b).expect("parses"),
        |d| d.to_xml(),
    )
}

fn inline_list(doc: &RlsServices) -> &rls::resource_lists::List {
    match &doc.services[0].source {
        ServiceSource::List(l) => l,
        other => panic!("not inline: {other:?}"),
    }
}

#[test]
fn a_prefix_redeclared_on_a_service_goes_with_its_extensions() {
    // What the fuzzer found: `rl` means resource-lists on the root, and
    // something else on the service, so these `rl:entry` are extensions.
    let doc = services(
        r#"<rls-services xmlns="urn:ietf:params:xml:ns:rls-services"
             xmlns:rl="urn:ietf:params:xml:ns:resource-lists">
          <service uri="sip:l@example.com" xmlns:rl="urn:example:other">
            <list><rl:entry uri="sip:a@example.com"/></list>
          </service></rls-services>"#,
    );
    let l = inline_list(&doc);
    let Member::Extension(x) = &l.members[0] else {
        panic!("{:?}", l.members[0])
    };
    assert_eq!(x.name.ns.as_deref(), Some("urn:example:other"));
    assert_eq!(x.namespaces, vec![decl(Some("rl"), "urn:example:other")]);
}

#[test]
fn an_unused_declaration_is_kept_for_qname_values() {
    // `q` is not in any name, but an attribute value may use it.
    let doc = lists(
        r#"<resource-lists xmlns="urn:ietf:params:xml:ns:resource-lists">
          <list xmlns:q="urn:example:q"><x:tag xmlns:x="urn:example:x" kind="q:friend"/></list>
        </resource-lists>"#,
    );
    let Member::Extension(x) = &doc.lists[0].members[0] else {
        panic!("{:?}", doc.lists[0].members)
    };
    assert_eq!(
        x.namespaces,
        vec![
            decl(Some("x"), "urn:example:x"),
            decl(Some("q"), "urn:example:q")
        ]
    );
}

#[test]
fn the_innermost_declaration_wins_and_the_elements_own_stay_first() {
    let doc = lists(
        r#"<resource-lists xmlns="urn:ietf:params:xml:ns:resource-lists">
          <list xmlns:p="urn:outer" xmlns:z="urn:z">
            <list xmlns:p="urn:inner"><entry uri="sip:a@example.com"><p:x xmlns:z="urn:own"/></entry></list>
          </list>
        </resource-lists>"#,
    );
    let Member::List(inner) = &doc.lists[0].members[0] else {
        panic!("{:?}", doc.lists[0].members)
    };
    let Member::Entry(e) = &inner.members[0] else {
        panic!("{:?}", inner.members)
    };
    assert_eq!(e.extensions[0].name.ns.as_deref(), Some("urn:inner"));
    assert_eq!(
        e.extensions[0].namespaces,
        vec![decl(Some("z"), "urn:own"), decl(Some("p"), "urn:inner")]
    );
}

#[test]
fn a_default_namespace_from_outside_is_declared_on_the_extension() {
    // The root is prefixed and the default namespace is another one; the
    // writer puts the document's namespace in the default on the root.
    let doc = services(
        r#"<r:rls-services xmlns:r="urn:ietf:params:xml:ns:rls-services" xmlns="urn:example:d">
          <r:service uri="sip:l@example.com"><r:resource-list>http://x/</r:resource-list><note/></r:service>
          <other/>
        </r:rls-services>"#,
    );
    assert_eq!(
        doc.extensions[0].namespaces,
        vec![decl(None, "urn:example:d")]
    );
    assert_eq!(
        doc.services[0].extensions[0].namespaces,
        vec![decl(None, "urn:example:d")]
    );
}

#[test]
fn entries_written_with_a_default_namespace_keep_their_extensions_apart() {
    // With no `rl` prefix on the root, entries are written with the
    // resource-lists namespace as their default; an unprefixed extension in
    // the rls-services namespace must not fall into it.
    let doc = services(
        r#"<rls-services xmlns="urn:ietf:params:xml:ns:rls-services">
          <service uri="sip:l@example.com" xmlns:rl="urn:ietf:params:xml:ns:resource-lists">
            <list><rl:entry uri="sip:a@example.com"><flag/></rl:entry></list>
          </service></rls-services>"#,
    );
    let Member::Entry(e) = &inline_list(&doc).members[0] else {
        panic!()
    };
    assert_eq!(
        e.extensions[0].name.ns.as_deref(),
        Some("urn:ietf:params:xml:ns:rls-services")
    );
    assert_eq!(
        e.extensions[0].namespaces,
        vec![
            decl(Some("rl"), RL),
            decl(None, "urn:ietf:params:xml:ns:rls-services")
        ]
    );
}

#[test]
fn ordinary_documents_gain_no_declarations() {
    // Declarations on the root are kept there, and nothing is copied down.
    let doc = lists(
        r#"<resource-lists xmlns="urn:ietf:params:xml:ns:resource-lists" xmlns:x="urn:example:x">
          <list><entry uri="sip:a@example.com"><x:note>hi</x:note></entry><x:tag/></list>
        </resource-lists>"#,
    );
    let Member::Entry(e) = &doc.lists[0].members[0] else {
        panic!()
    };
    assert!(e.extensions[0].namespaces.is_empty());
    let Member::Extension(t) = &doc.lists[0].members[1] else {
        panic!()
    };
    assert!(t.namespaces.is_empty());
    let out = String::from_utf8(doc.to_xml()).unwrap();
    assert_eq!(out.matches("xmlns:x=").count(), 1, "{out}");
}

#[test]
fn rlmi_instance_content_keeps_the_resources_declarations() {
    let doc = round_trip(
        r#"<list xmlns="urn:ietf:params:xml:ns:rlmi" uri="sip:l@example.com" version="1" fullState="true">
          <resource uri="sip:a@example.com" xmlns:v="urn:example:v">
            <instance id="i" state="active"><v:detail/></instance>
            <v:extra/>
          </resource>
        </list>"#,
        |b| Rlmi::parse(b).expect("parses"),
        |d| d.to_xml(),
    );
    let r = &doc.resources[0];
    let detail = r.instances[0]
        .content
        .iter()
        .find_map(|n| match n {
            pidf::xml::Node::Element(e) => Some(e),
            _ => None,
        })
        .expect("element content");
    assert_eq!(detail.namespaces, vec![decl(Some("v"), "urn:example:v")]);
    assert_eq!(
        r.extensions[0].namespaces,
        vec![decl(Some("v"), "urn:example:v")]
    );
}
