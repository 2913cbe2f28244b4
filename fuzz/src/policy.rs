//! Fuzz entry points for the `policy` parsers and evaluation.

use pidf::xml::{Document, Limits};
use policy::{expand, Context, DateTime, Peer, Rule, RuleSet, Watcher};

/// A presence document with something of everything the filter knows.
const SAMPLE_PRESENCE: &[u8] = br#"<presence xmlns="urn:ietf:params:xml:ns:pidf" xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model" xmlns:r="urn:ietf:params:xml:ns:pidf:rpid" xmlns:f="urn:vendor-specific:foo-namespace" entity="pres:p@example.com"><tuple id="t1"><status><basic>open</basic></status><r:class>work</r:class><dm:deviceID>urn:x:1</dm:deviceID><contact>sip:p@example.com</contact><note>n</note><f:foo/></tuple><tuple id="t2"><status><basic>closed</basic></status><contact>mailto:p@example.com</contact></tuple><note>root</note><dm:person id="p1"><r:activities><r:away/></r:activities><r:mood><r:happy/></r:mood><r:sphere>work</r:sphere><r:user-input idle-threshold="600" last-input="2004-10-21T13:20:00Z">idle</r:user-input></dm:person><dm:device id="d1"><dm:deviceID>urn:x:1</dm:deviceID><dm:note>PC</dm:note></dm:device></presence>"#;

/// A rule set that grants everything to everyone.
const SAMPLE_RULES: &[u8] = br#"<ruleset xmlns="urn:ietf:params:xml:ns:common-policy" xmlns:pr="urn:ietf:params:xml:ns:pres-rules"><rule id="all"><actions><pr:sub-handling>allow</pr:sub-handling></actions><transformations><pr:provide-services><pr:all-services/></pr:provide-services><pr:provide-persons><pr:all-persons/></pr:provide-persons><pr:provide-devices><pr:all-devices/></pr:provide-devices><pr:provide-all-attributes/></transformations></rule></ruleset>"#;

fn same_elements(a: &[pidf::xml::Element], b: &[pidf::xml::Element]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.infoset_eq(y))
}

/// Whether two rules mean the same: equal typed values, and extension
/// elements equal as infosets (where namespaces get declared may differ).
fn same_rule(a: &Rule, b: &Rule) -> bool {
    let (ca, cb) = (&a.conditions, &b.conditions);
    a.id == b.id
        && ca.identity.len() == cb.identity.len()
        && ca.identity.iter().zip(&cb.identity).all(|(x, y)| {
            x.ones == y.ones && x.many == y.many && same_elements(&x.unknown, &y.unknown)
        })
        && ca.sphere == cb.sphere
        && ca.validity == cb.validity
        && same_elements(&ca.unknown, &cb.unknown)
        && a.actions.sub_handling == b.actions.sub_handling
        && same_elements(&a.actions.extensions, &b.actions.extensions)
        && a.transformations == b.transformations
        && same_elements(&a.transformation_extensions, &b.transformation_extensions)
}

/// Parses a rule document; when it parses, writing it and parsing again
/// gives the same rules, and so does the typed form written canonically.
pub fn policy_parse(data: &[u8]) {
    let Ok(rules) = RuleSet::parse(data) else {
        return;
    };
    let again = RuleSet::parse(&rules.to_bytes()).expect("written rules parse");
    assert!(again.document().root.infoset_eq(&rules.document().root));
    assert_eq!(again.rules().len(), rules.rules().len());
    for (a, b) in again.rules().iter().zip(rules.rules()) {
        assert!(same_rule(a, b), "rewritten rule differs: {a:?} vs {b:?}");
    }
    let typed = RuleSet::from_rules(rules.rules().to_vec());
    let reparsed = RuleSet::parse(&typed.to_bytes()).expect("typed rules parse");
    assert_eq!(reparsed.rules().len(), rules.rules().len());
    for (a, b) in reparsed.rules().iter().zip(rules.rules()) {
        assert!(same_rule(a, b), "typed rule differs: {a:?} vs {b:?}");
    }
}

/// Evaluates arbitrary rules against an arbitrary presence document (the
/// input split at its first NUL byte; without one, each half is paired with
/// a sample) and checks the invariants: the filter is idempotent, grouping
/// by view expands to each watcher's own answer, and a delegated export
/// gives the peer's watchers the same answers.
pub fn policy_view(data: &[u8]) {
    let pairs: Vec<(&[u8], &[u8])> = match data.iter().position(|&b| b == 0) {
        Some(i) => vec![(&data[..i], &data[i + 1..])],
        None => vec![(data, SAMPLE_PRESENCE), (SAMPLE_RULES, data)],
    };
    for (rules, doc) in pairs {
        let (Ok(rules), Ok(doc)) = (
            RuleSet::parse(rules),
            Document::parse(doc, &Limits::default()),
        ) else {
            continue;
        };
        check_view(&rules, &doc);
    }
}

fn check_view(rules: &RuleSet, doc: &Document) {
    let mut watchers = vec![
        Watcher::unauthenticated(),
        Watcher::authenticated("sip:x@example.com"),
    ];
    for r in rules.rules() {
        for id in &r.conditions.identity {
            watchers.extend(id.ones.iter().take(4).map(|u| Watcher::authenticated(u)));
        }
    }
    watchers.truncate(32);
    let ctx = Context::new(
        DateTime::parse("2003-12-24T17:30:00+01:00"),
        Some("work".into()),
    );
    let Ok(groups) = rules.views(doc, &watchers, &ctx) else {
        // Only a non-PIDF root refuses; then every single decision does too.
        assert!(rules.decide(&watchers[0], &ctx, doc).is_err());
        return;
    };
    let expanded = expand(&groups, watchers.len());
    for (w, (sh, bytes)) in watchers.iter().zip(&expanded) {
        let p = rules.evaluate(w, &ctx);
        let d = rules.decide(w, &ctx, doc).expect("presence document");
        assert_eq!(*sh, d.sub_handling.disclosed());
        assert_eq!(bytes.as_deref(), d.document_bytes().as_deref());
        if let Some(view) = &d.document {
            let again = p.apply(view).expect("a view is a presence document");
            if p.sub_handling == policy::SubHandling::Allow {
                assert_eq!(again.as_ref(), Some(view), "filter not idempotent");
            }
        }
    }
    let peer = Peer::new(["example.com"]);
    let exported = RuleSet::parse(&rules.export_for(&peer).to_bytes()).expect("exports parse");
    let local: Vec<usize> = (0..watchers.len())
        .filter(|&i| {
            watchers[i].domains().all(|d| peer.serves(d))
                && watchers[i].domains().count() == watchers[i].identities().count()
        })
        .collect();
    let subset: Vec<Watcher> = local.iter().map(|&i| watchers[i].clone()).collect();
    let there = expand(
        &exported.views(doc, &subset, &ctx).expect("presence"),
        subset.len(),
    );
    for (k, &i) in local.iter().enumerate() {
        assert_eq!(
            there[k], expanded[i],
            "delegated view differs for watcher {i}"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_and_shared_vectors_pass() {
        let here = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
        for target in ["policy_parse", "policy_view"] {
            for entry in std::fs::read_dir(here.join(target))
                .expect("seed folder")
                .flatten()
            {
                let data = std::fs::read(entry.path()).expect("seed");
                policy_parse(&data);
                policy_view(&data);
            }
        }
        for dir in ["policy", "pidf"] {
            for (_, data) in testkit::vectors(dir, ".xml") {
                policy_parse(&data);
                policy_view(&data);
            }
        }
    }

    #[test]
    fn samples_pass() {
        policy_parse(SAMPLE_RULES);
        policy_view(SAMPLE_RULES);
        policy_view(SAMPLE_PRESENCE);
        let mut both = SAMPLE_RULES.to_vec();
        both.push(0);
        both.extend_from_slice(SAMPLE_PRESENCE);
        policy_view(&both);
    }
}
