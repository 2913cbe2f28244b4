//! Evaluation: which rules apply to a request, and the permissions they
//! combine to (RFC 4745 sections 7 and 10, RFC 5025 section 3).

use crate::rules::{
    Conditions, Except, Identity, Many, Rule, RuleSet, SubHandling, Transformations,
};
use crate::time::DateTime;
use crate::uri::{normalize_uri, uri_domain};

/// One authenticated identity of a watcher, in comparison form.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct WatcherId {
    uri: String,
    domain: Option<String>,
}

/// The requester, as the presence server authenticated it.
///
/// Build it from what authentication or a trusted identity assertion
/// yielded (RFC 5025 section 3.1.1.1), never from the From header alone.
/// A watcher with no identity is unauthenticated (this includes SIP digest
/// "anonymous"); it matches only rules with no `<identity>` condition, or
/// with an empty `<identity/>` (RFC 5025 section 3.1.1.2). A request that is
/// anonymous only through a Privacy header but carries an asserted identity
/// is authenticated as that identity.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Watcher {
    ids: Vec<WatcherId>,
}

impl Watcher {
    /// A watcher authenticated as `uri`.
    pub fn authenticated(uri: &str) -> Self {
        Watcher::default().with_identity(uri)
    }

    /// A watcher without an authenticated identity.
    pub fn unauthenticated() -> Self {
        Watcher::default()
    }

    /// Adds another asserted identity: when an assertion carries several
    /// URIs, each takes part in matching (RFC 5025 section 3.1.1.2).
    pub fn with_identity(mut self, uri: &str) -> Self {
        self.ids.push(WatcherId {
            uri: normalize_uri(uri),
            domain: uri_domain(uri),
        });
        self
    }

    /// Whether the watcher has at least one authenticated identity.
    pub fn is_authenticated(&self) -> bool {
        !self.ids.is_empty()
    }

    /// The authenticated identities, in comparison form.
    pub fn identities(&self) -> impl Iterator<Item = &str> {
        self.ids.iter().map(|i| i.uri.as_str())
    }

    /// The domain of the first identity (lower-case ASCII), if it has one.
    pub fn domain(&self) -> Option<&str> {
        self.ids.first().and_then(|i| i.domain.as_deref())
    }

    /// The domains of all identities that have one.
    pub fn domains(&self) -> impl Iterator<Item = &str> {
        self.ids.iter().filter_map(|i| i.domain.as_deref())
    }
}

/// What the request is evaluated against besides the watcher.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Context {
    /// The time of the request, for `<validity>`. `None` makes every
    /// validity condition false (fail closed).
    pub now: Option<DateTime>,
    /// The presentity's current sphere, for `<sphere>`; `None` when
    /// undefined (then every sphere condition is false). See
    /// [`presence_sphere`](crate::presence_sphere) for how RFC 5025
    /// section 3.1.2 derives it.
    pub sphere: Option<String>,
}

impl Context {
    /// A context at time `now` with the given sphere.
    pub fn new(now: Option<DateTime>, sphere: Option<String>) -> Self {
        Context { now, sphere }
    }
}

impl Many {
    fn matches(&self, w: &Watcher) -> bool {
        if !w.is_authenticated() {
            return false;
        }
        if let Some(d) = &self.domain {
            let Some(want) = d.ascii.as_deref() else {
                return false;
            };
            if !w.domains().any(|x| x == want) {
                return false;
            }
        }
        !self.except.iter().any(|x| match x {
            Except::Id(id) => w.identities().any(|u| u == id),
            Except::Domain(d) => d
                .ascii
                .as_deref()
                .is_some_and(|want| w.domains().any(|x| x == want)),
        })
    }
}

impl Identity {
    /// Whether the condition holds for `w` (RFC 4745 section 7.1: the
    /// children are ORed; unknown children are FALSE). An empty
    /// `<identity/>` holds for unauthenticated watchers only, per RFC 5025
    /// section 3.1.1.2; for authenticated ones it is an OR over nothing.
    pub fn matches(&self, w: &Watcher) -> bool {
        if self.is_empty() {
            return !w.is_authenticated();
        }
        w.identities().any(|u| self.ones.contains(u)) || self.many.iter().any(|m| m.matches(w))
    }
}

impl Conditions {
    /// Whether the conditions that do not depend on the watcher hold:
    /// sphere, validity, and no unknown condition.
    pub fn matches_context(&self, ctx: &Context) -> bool {
        if !self.unknown.is_empty() {
            return false;
        }
        let sphere_ok = self.sphere.iter().all(|tokens| {
            ctx.sphere
                .as_deref()
                .is_some_and(|s| tokens.iter().any(|t| same_caseless(t, s.trim())))
        });
        let validity_ok = self.validity.iter().all(|pairs| {
            ctx.now.is_some_and(|now| {
                pairs
                    .iter()
                    .any(|(from, until)| *from <= now && now < *until)
            })
        });
        sphere_ok && validity_ok
    }

    /// Whether the identity conditions hold for `w`.
    pub fn matches_watcher(&self, w: &Watcher) -> bool {
        self.identity.iter().all(|i| i.matches(w))
    }
}

/// Case-insensitive comparison of sphere tokens (RFC 4745 section 7.3),
/// beyond ASCII as the tokens are opaque text.
fn same_caseless(a: &str, b: &str) -> bool {
    a.chars()
        .flat_map(char::to_lowercase)
        .eq(b.chars().flat_map(char::to_lowercase))
}

impl Rule {
    /// Whether the rule applies to `w` in `ctx`.
    pub fn matches(&self, w: &Watcher, ctx: &Context) -> bool {
        self.conditions.matches_context(ctx) && self.conditions.matches_watcher(w)
    }
}

/// The combined permissions of the matching rules (RFC 4745 section 10.2).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Permissions {
    /// The largest `<sub-handling>` of the matching rules; block when none.
    pub sub_handling: SubHandling,
    /// The union of their transformations.
    pub transformations: Transformations,
}

impl Permissions {
    /// Adds one matching rule's permissions.
    pub fn add(&mut self, rule: &Rule) {
        if let Some(s) = rule.actions.sub_handling {
            self.sub_handling = self.sub_handling.max(s);
        }
        self.transformations.union(&rule.transformations);
    }

    /// The permissions of a set of matching rules.
    pub fn of<'a>(rules: impl IntoIterator<Item = &'a Rule>) -> Self {
        let mut p = Permissions::default();
        for r in rules {
            p.add(r);
        }
        p
    }
}

impl RuleSet {
    /// The rules that apply to `w` in `ctx`.
    pub fn matching(&self, w: &Watcher, ctx: &Context) -> Vec<&Rule> {
        self.rules().iter().filter(|r| r.matches(w, ctx)).collect()
    }

    /// The combined permissions for `w` in `ctx`.
    pub fn evaluate(&self, w: &Watcher, ctx: &Context) -> Permissions {
        Permissions::of(self.matching(w, ctx))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(xml: &str) -> RuleSet {
        RuleSet::parse(xml.as_bytes()).expect("valid rules")
    }

    const CP: &str = r#"<ruleset xmlns="urn:ietf:params:xml:ns:common-policy" xmlns:pr="urn:ietf:params:xml:ns:pres-rules">"#;

    #[test]
    fn many_with_domain_and_exceptions() {
        let rs = rules(&format!(
            r#"{CP}<rule id="r"><conditions><identity><many domain="example.com"><except id="sip:alice@example.com"/></many></identity></conditions><actions><pr:sub-handling>allow</pr:sub-handling></actions></rule></ruleset>"#
        ));
        let ctx = Context::default();
        let allow = |u: &str| rs.evaluate(&Watcher::authenticated(u), &ctx).sub_handling;
        assert_eq!(allow("sip:carol@example.com"), SubHandling::Allow);
        assert_eq!(allow("sip:carol@EXAMPLE.com"), SubHandling::Allow);
        assert_eq!(allow("sip:alice@example.com"), SubHandling::Block);
        assert_eq!(allow("sip:carol@example.org"), SubHandling::Block);
        assert_eq!(
            rs.evaluate(&Watcher::unauthenticated(), &ctx).sub_handling,
            SubHandling::Block
        );
    }

    #[test]
    fn rfc4745_section_7_1_3_2_except_domains() {
        let rs = rules(&format!(
            r#"{CP}<rule id="f3g44r1"><conditions><identity><many><except domain="example.com"/><except domain="example.org"/><except id="sip:alice@bad.example.net"/><except id="tel:+1-212-555-1234"/></many></identity></conditions><actions><pr:sub-handling>confirm</pr:sub-handling></actions></rule></ruleset>"#
        ));
        let ctx = Context::default();
        let sh = |w: Watcher| rs.evaluate(&w, &ctx).sub_handling;
        assert_eq!(
            sh(Watcher::authenticated("sip:x@example.net")),
            SubHandling::Confirm
        );
        assert_eq!(
            sh(Watcher::authenticated("sip:x@example.com")),
            SubHandling::Block
        );
        assert_eq!(
            sh(Watcher::authenticated("sip:alice@bad.example.net")),
            SubHandling::Block
        );
        assert_eq!(
            sh(Watcher::authenticated("tel:+12125551234")),
            SubHandling::Block
        );
        assert_eq!(
            sh(Watcher::authenticated("tel:+12125551235")),
            SubHandling::Confirm
        );
        // Two asserted identities: one excepted identity is enough to exclude.
        assert_eq!(
            sh(Watcher::authenticated("sip:x@example.net").with_identity("tel:+1-212-555-1234")),
            SubHandling::Block
        );
    }

    #[test]
    fn anonymous_watchers_match_only_rules_without_identity_or_empty_identity() {
        let rs = rules(&format!(
            r#"{CP}<rule id="any"><conditions/><actions><pr:sub-handling>confirm</pr:sub-handling></actions></rule><rule id="anon"><conditions><identity/></conditions><actions><pr:sub-handling>polite-block</pr:sub-handling></actions></rule><rule id="auth"><conditions><identity><many/></identity></conditions><actions><pr:sub-handling>allow</pr:sub-handling></actions></rule></ruleset>"#
        ));
        let ctx = Context::default();
        assert_eq!(
            rs.evaluate(&Watcher::unauthenticated(), &ctx).sub_handling,
            SubHandling::PoliteBlock
        );
        assert_eq!(
            rs.evaluate(&Watcher::authenticated("sip:a@b.c"), &ctx)
                .sub_handling,
            SubHandling::Allow
        );
        let ids: Vec<&str> = rs
            .matching(&Watcher::authenticated("sip:a@b.c"), &ctx)
            .into_iter()
            .map(|r| r.id.as_str())
            .collect();
        assert_eq!(ids, ["any", "auth"]);
    }

    #[test]
    fn unknown_conditions_and_identity_children_are_false() {
        let rs = rules(&format!(
            r#"{CP}<rule id="x"><conditions><foo xmlns="urn:x"/></conditions><actions><pr:sub-handling>allow</pr:sub-handling></actions></rule><rule id="y"><conditions><identity><bar xmlns="urn:x"/></identity></conditions><actions><pr:sub-handling>allow</pr:sub-handling></actions></rule></ruleset>"#
        ));
        // Also once written back from the typed form: an identity holding
        // only unknown children must not turn into `<identity/>`.
        let typed =
            RuleSet::parse(&RuleSet::from_rules(rs.rules().to_vec()).to_bytes()).expect("typed");
        for set in [&rs, &typed] {
            for w in [
                Watcher::unauthenticated(),
                Watcher::authenticated("sip:a@b.c"),
            ] {
                assert_eq!(
                    set.evaluate(&w, &Context::default()).sub_handling,
                    SubHandling::Block
                );
            }
        }
    }

    /// The combining example of RFC 4745 section 10.3, with X as
    /// provide-note (boolean), Y as sub-handling and Z as user-input.
    #[test]
    fn rfc4745_section_10_3_combining_example() {
        let row = |id: &str,
                   who: &str,
                   sphere: &str,
                   from: &str,
                   until: &str,
                   x: Option<bool>,
                   y: &str,
                   z: &str| {
            let x = x.map_or(String::new(), |v| {
                format!("<pr:provide-note>{v}</pr:provide-note>")
            });
            format!(
                r#"<rule id="{id}"><conditions><identity><one id="sip:{who}@example.com"/></identity><sphere value="{sphere}"/><validity><from>{from}</from><until>{until}</until></validity></conditions><actions><pr:sub-handling>{y}</pr:sub-handling></actions><transformations>{x}<pr:provide-user-input>{z}</pr:provide-user-input></transformations></rule>"#
            )
        };
        let (a1, a2, a3) = (
            "2003-12-24T17:00:00+01:00",
            "2003-12-24T21:00:00+01:00",
            "2003-12-24T23:30:00+01:00",
        );
        let (b1, b2) = ("2003-12-22T17:00:00+01:00", "2003-12-23T17:00:00+01:00");
        let doc = [
            row(
                "1",
                "bob",
                "home",
                a1,
                a2,
                Some(true),
                "allow",
                "thresholds",
            ),
            row(
                "2",
                "alice",
                "work",
                a1,
                a2,
                Some(false),
                "polite-block",
                "full",
            ),
            row("3", "bob", "work", a1, a2, Some(true), "block", "bare"),
            row(
                "4",
                "tom",
                "work",
                a1,
                a2,
                Some(true),
                "polite-block",
                "full",
            ),
            row("5", "bob", "work", a1, a3, None, "confirm", "thresholds"),
            row("6", "bob", "work", b1, b2, Some(false), "allow", "bare"),
        ]
        .concat();
        let rs = rules(&format!("{CP}{doc}</ruleset>"));
        let ctx = Context::new(
            DateTime::parse("2003-12-24T17:15:00+01:00"),
            Some("work".into()),
        );
        let bob = Watcher::authenticated("sip:bob@example.com");
        let fired: Vec<&str> = rs
            .matching(&bob, &ctx)
            .into_iter()
            .map(|r| r.id.as_str())
            .collect();
        assert_eq!(fired, ["3", "5"]);
        let p = rs.evaluate(&bob, &ctx);
        assert!(p.transformations.note);
        assert_eq!(p.sub_handling, SubHandling::Confirm);
        assert_eq!(p.transformations.user_input, crate::UserInput::Thresholds);
        // Without a clock, validity never holds.
        let p = rs.evaluate(&bob, &Context::new(None, Some("work".into())));
        assert_eq!(p, Permissions::default());
    }

    #[test]
    fn sphere_tokens_are_ored_case_insensitively() {
        let rs = rules(&format!(
            r#"{CP}<rule id="z"><conditions><sphere value="home work höme"/></conditions><actions><pr:sub-handling>allow</pr:sub-handling></actions></rule></ruleset>"#
        ));
        let w = Watcher::unauthenticated();
        for (sphere, want) in [
            (Some("Work"), SubHandling::Allow),
            (Some("home"), SubHandling::Allow),
            (Some("travel"), SubHandling::Block),
            (Some("HÖME"), SubHandling::Allow),
            (None, SubHandling::Block),
        ] {
            let ctx = Context::new(None, sphere.map(str::to_owned));
            assert_eq!(rs.evaluate(&w, &ctx).sub_handling, want, "{sphere:?}");
        }
    }
}
