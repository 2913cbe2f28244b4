//! Delegation: letting a trusted peer compute views for its own watchers.
//!
//! [`RuleSet::export_for`] cuts a presentity's rules down to what the peer
//! needs: only rules whose conditions can hold for an identity in one of the
//! peer's domains, with every `<one>`, `<many domain>` and `<except>` about
//! other domains removed. The export cannot tell anyone that a watcher is
//! blocked: explicit `block` values are dropped and a last rule with no
//! conditions grants `confirm` and nothing else, so the worst answer the
//! peer can compute is "pending", which is what block looks like from
//! outside. Rules that grant nothing beyond that are left out, and
//! rule ids are renumbered, so no names or singled-out watchers cross.
//!
//! The export is a pres-rules document ([`RuleSet::to_bytes`]); the peer
//! imports it with [`RuleSet::parse`]. For every watcher whose identities all
//! lie in the peer's domains (or who is unauthenticated), evaluation of the
//! import gives the same documents as local evaluation, and the same
//! [`SubHandling::disclosed`] value.

use crate::rules::{Actions, Except, Identity, Many, Rule, RuleSet, SubHandling, Transformations};
use crate::uri::{normalize_domain, uri_domain};

/// The domains a peer network serves watchers for.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Peer {
    domains: Vec<String>,
}

impl Peer {
    /// A peer serving the given domains (compared in ASCII form; domains
    /// that cannot be converted are ignored).
    pub fn new<'a>(domains: impl IntoIterator<Item = &'a str>) -> Self {
        Peer {
            domains: domains.into_iter().filter_map(normalize_domain).collect(),
        }
    }

    /// Whether `ascii` (a domain in ASCII form) is one of the peer's.
    pub fn serves(&self, ascii: &str) -> bool {
        self.domains.iter().any(|d| d == ascii)
    }

    fn serves_id(&self, uri: &str) -> bool {
        uri_domain(uri).is_some_and(|d| self.serves(&d))
    }
}

/// The id of the closing rule of an export.
const PENDING_RULE: &str = "pending";

fn scope_identity(id: &Identity, peer: &Peer) -> Option<Identity> {
    if id.is_empty() {
        // `<identity/>`: the rule for unauthenticated watchers, kept as is.
        return Some(id.clone());
    }
    let ones = id
        .ones
        .iter()
        .filter(|u| peer.serves_id(u))
        .cloned()
        .collect();
    let many = id
        .many
        .iter()
        .filter(|m| {
            m.domain
                .as_ref()
                .is_none_or(|d| d.ascii.as_deref().is_some_and(|a| peer.serves(a)))
        })
        .map(|m| Many {
            domain: m.domain.clone(),
            except: m
                .except
                .iter()
                .filter(|x| match x {
                    Except::Id(u) => peer.serves_id(u),
                    Except::Domain(d) => d.ascii.as_deref().is_some_and(|a| peer.serves(a)),
                })
                .cloned()
                .collect(),
        })
        .collect();
    let out = Identity {
        ones,
        many,
        unknown: Vec::new(),
    };
    // Nothing left that can match a peer watcher: the rule cannot apply
    // there (an empty result must not turn into `<identity/>`).
    (!out.is_empty()).then_some(out)
}

impl RuleSet {
    /// The part of these rules a trusted peer serving `peer`'s domains needs
    /// to compute its watchers' views itself (see the module docs).
    pub fn export_for(&self, peer: &Peer) -> RuleSet {
        let mut rules = Vec::new();
        for r in self.rules() {
            if !r.conditions.unknown.is_empty() {
                continue; // never applies, here or there
            }
            let Some(identity) = r
                .conditions
                .identity
                .iter()
                .map(|i| scope_identity(i, peer))
                .collect::<Option<Vec<_>>>()
            else {
                continue;
            };
            let sub_handling = r.actions.sub_handling.filter(|s| *s != SubHandling::Block);
            if sub_handling.is_none_or(|s| s <= SubHandling::Confirm)
                && r.transformations == Transformations::default()
                && r.actions.extensions.is_empty()
                && r.transformation_extensions.is_empty()
            {
                // Grants nothing beyond the closing confirm rule: exporting
                // it would only say that someone was singled out.
                continue;
            }
            let mut out = Rule {
                id: format!("r{}", rules.len() + 1),
                actions: Actions {
                    sub_handling,
                    extensions: r.actions.extensions.clone(),
                },
                transformations: r.transformations.clone(),
                transformation_extensions: r.transformation_extensions.clone(),
                ..Rule::default()
            };
            out.conditions.identity = identity;
            out.conditions.sphere = r.conditions.sphere.clone();
            out.conditions.validity = r.conditions.validity.clone();
            rules.push(out);
        }
        let mut pending = Rule {
            id: PENDING_RULE.to_owned(),
            ..Rule::default()
        };
        pending.actions.sub_handling = Some(SubHandling::Confirm);
        rules.push(pending);
        RuleSet::from_rules(rules)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Context, Watcher};

    #[test]
    fn export_keeps_only_what_concerns_the_peer() {
        let rules = RuleSet::parse(
            br#"<ruleset xmlns="urn:ietf:params:xml:ns:common-policy" xmlns:pr="urn:ietf:params:xml:ns:pres-rules">
<rule id="friends-at-home"><conditions><identity><one id="sip:bob@home.example"/><one id="sip:carol@peer.example"/></identity></conditions>
 <actions><pr:sub-handling>allow</pr:sub-handling></actions><transformations><pr:provide-note>true</pr:provide-note></transformations></rule>
<rule id="home-only"><conditions><identity><many domain="home.example"/></identity></conditions>
 <actions><pr:sub-handling>allow</pr:sub-handling></actions></rule>
<rule id="everyone-but"><conditions><identity><many><except domain="other.example"/><except id="sip:dave@peer.example"/><except id="sip:erin@home.example"/></many></identity></conditions>
 <actions><pr:sub-handling>polite-block</pr:sub-handling></actions></rule>
<rule id="ban"><conditions><identity><one id="sip:mallory@peer.example"/></identity></conditions>
 <actions><pr:sub-handling>block</pr:sub-handling></actions></rule>
</ruleset>"#,
        )
        .expect("valid");
        let out = rules.export_for(&Peer::new(["PEER.example"]));
        let text = String::from_utf8(out.to_bytes()).expect("utf-8");
        for absent in [
            "home.example",
            "other.example",
            ">block<",
            "friends",
            "ban",
            "mallory",
        ] {
            assert!(!text.contains(absent), "{absent} in {text}");
        }
        let ids: Vec<&str> = out.rules().iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, ["r1", "r2", "pending"]);
        let ctx = Context::default();
        let sh =
            |set: &RuleSet, u: &str| set.evaluate(&Watcher::authenticated(u), &ctx).sub_handling;
        assert_eq!(sh(&out, "sip:carol@peer.example"), SubHandling::Allow);
        assert_eq!(sh(&out, "sip:dave@peer.example"), SubHandling::Confirm);
        assert_eq!(sh(&rules, "sip:dave@peer.example"), SubHandling::Block);
        assert_eq!(sh(&out, "sip:zoe@peer.example"), SubHandling::PoliteBlock);
        // Mallory's block rule grants nothing, so it is not exported; the
        // answer is the same as at home (another rule grants more).
        assert_eq!(
            sh(&out, "sip:mallory@peer.example"),
            sh(&rules, "sip:mallory@peer.example")
        );
    }
}
