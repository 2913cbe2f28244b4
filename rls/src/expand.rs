//! List expansion: from a resource-lists `<list>` to the flat set of
//! resource URIs an RLS subscribes to (RFC 4662 section 4.4 with the list
//! structure of RFC 4826 section 3.2).
//!
//! Nested lists are walked in place; `<entry-ref>` and `<external>` are
//! resolved through a caller-supplied [`Resolver`] (the crate does no XCAP
//! or HTTP itself). Duplicates are dropped (first one wins, compared by the
//! exact URI string), a reference met again on its own path is a loop, and
//! the number of members and the depth are capped.

#![cfg_attr(
    not(test),
    deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)
)]

use std::collections::HashSet;

use crate::common::DisplayName;
use crate::error::ExpandError;
use crate::resource_lists::{Entry, List, Member};

/// Resolves the references a list may hold. Both methods return `None` for
/// what they cannot find; the expansion records it and goes on.
pub trait Resolver {
    /// The entry an `<entry-ref ref=...>` points to (an XCAP node selector
    /// relative to the XCAP root).
    fn entry_ref(&self, reference: &str) -> Option<Entry>;
    /// The list an `<external anchor=...>` (or an rls-services
    /// `<resource-list>`) points to (an absolute HTTP or XCAP URI).
    fn external(&self, anchor: &str) -> Option<List>;
}

/// A resolver that knows nothing: for ad-hoc lists (RFC 5367 asks for flat
/// lists without references).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoReferences;

impl Resolver for NoReferences {
    fn entry_ref(&self, _: &str) -> Option<Entry> {
        None
    }
    fn external(&self, _: &str) -> Option<List> {
        None
    }
}

/// Caps on an expansion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExpandLimits {
    /// Most distinct members.
    pub max_members: usize,
    /// Deepest nesting of lists and references (the top list is depth 1).
    pub max_depth: usize,
}

impl Default for ExpandLimits {
    /// 1,000 members, depth 16.
    fn default() -> Self {
        ExpandLimits {
            max_members: 1000,
            max_depth: 16,
        }
    }
}

/// One member of an expanded list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpandedMember {
    /// The resource URI.
    pub uri: String,
    /// Its display name, from the entry that contributed it.
    pub display_name: Option<DisplayName>,
}

/// The result of an expansion.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Expansion {
    /// Distinct members in document order.
    pub members: Vec<ExpandedMember>,
    /// References and anchors the resolver did not know, in order met.
    pub unresolved: Vec<String>,
}

impl Expansion {
    /// The member URIs.
    pub fn uris(&self) -> impl Iterator<Item = &str> {
        self.members.iter().map(|m| m.uri.as_str())
    }
}

/// Expands `list`.
///
/// ```
/// use rls::expand::{expand, ExpandLimits, NoReferences};
/// use rls::resource_lists::{Entry, List, Member};
///
/// let mut list = List::of_uris(&["sip:a@x", "sip:b@x"]);
/// list.members.push(Member::List(List::of_uris(&["sip:b@x", "sip:c@x"])));
/// let e = expand(&list, &NoReferences, &ExpandLimits::default())?;
/// assert_eq!(e.uris().collect::<Vec<_>>(), ["sip:a@x", "sip:b@x", "sip:c@x"]);
/// # Ok::<(), rls::ExpandError>(())
/// ```
pub fn expand(
    list: &List,
    resolver: &dyn Resolver,
    limits: &ExpandLimits,
) -> Result<Expansion, ExpandError> {
    let mut w = Walker {
        resolver,
        limits,
        out: Expansion::default(),
        seen: HashSet::new(),
        path: Vec::new(),
        done: HashSet::new(),
    };
    w.list(list, 1)?;
    Ok(w.out)
}

/// Expands the list behind a reference (an rls-services `<resource-list>`).
pub fn expand_anchor(
    anchor: &str,
    resolver: &dyn Resolver,
    limits: &ExpandLimits,
) -> Result<Expansion, ExpandError> {
    let list = resolver
        .external(anchor)
        .ok_or_else(|| ExpandError::Unresolved {
            reference: anchor.to_owned(),
        })?;
    let mut w = Walker {
        resolver,
        limits,
        out: Expansion::default(),
        seen: HashSet::new(),
        path: vec![anchor.to_owned()],
        done: HashSet::new(),
    };
    w.list(&list, 1)?;
    Ok(w.out)
}

struct Walker<'a> {
    resolver: &'a dyn Resolver,
    limits: &'a ExpandLimits,
    out: Expansion,
    seen: HashSet<String>,
    /// References being expanded, outermost first.
    path: Vec<String>,
    /// References fully expanded already: their members are in `out`.
    done: HashSet<String>,
}

impl Walker<'_> {
    fn list(&mut self, list: &List, depth: usize) -> Result<(), ExpandError> {
        if depth > self.limits.max_depth {
            return Err(ExpandError::TooDeep {
                limit: self.limits.max_depth,
            });
        }
        for m in &list.members {
            match m {
                Member::Entry(e) => self.entry(e)?,
                Member::List(l) => self.list(l, depth + 1)?,
                Member::EntryRef(r) => {
                    let key = r.reference.trim();
                    if self.enter(key)? {
                        match self.resolver.entry_ref(key) {
                            Some(e) => {
                                let mut e = e;
                                if e.display_name.is_none() {
                                    e.display_name = r.display_name.clone();
                                }
                                self.entry(&e)?;
                            }
                            None => self.out.unresolved.push(key.to_owned()),
                        }
                        self.leave(key);
                    }
                }
                Member::External(x) => {
                    let Some(anchor) = x.anchor.as_deref().map(str::trim) else {
                        continue;
                    };
                    if depth + 1 > self.limits.max_depth {
                        return Err(ExpandError::TooDeep {
                            limit: self.limits.max_depth,
                        });
                    }
                    if self.enter(anchor)? {
                        match self.resolver.external(anchor) {
                            Some(l) => self.list(&l, depth + 1)?,
                            None => self.out.unresolved.push(anchor.to_owned()),
                        }
                        self.leave(anchor);
                    }
                }
                Member::Extension(_) => {}
            }
        }
        Ok(())
    }

    /// Pushes a reference on the path; `false` when it was expanded before
    /// (nothing new can come of it), an error when it is on the path.
    fn enter(&mut self, key: &str) -> Result<bool, ExpandError> {
        if self.path.iter().any(|p| p == key) {
            return Err(ExpandError::Loop {
                reference: key.to_owned(),
            });
        }
        if self.done.contains(key) {
            return Ok(false);
        }
        self.path.push(key.to_owned());
        Ok(true)
    }

    fn leave(&mut self, key: &str) {
        self.path.pop();
        self.done.insert(key.to_owned());
    }

    fn entry(&mut self, e: &Entry) -> Result<(), ExpandError> {
        let uri = e.uri.trim();
        if self.seen.contains(uri) {
            return Ok(());
        }
        if self.out.members.len() >= self.limits.max_members {
            return Err(ExpandError::TooManyMembers {
                limit: self.limits.max_members,
            });
        }
        self.seen.insert(uri.to_owned());
        self.out.members.push(ExpandedMember {
            uri: uri.to_owned(),
            display_name: e.display_name.clone(),
        });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resource_lists::{EntryRef, External};
    use std::collections::HashMap;

    #[derive(Default)]
    struct Map {
        refs: HashMap<String, Entry>,
        lists: HashMap<String, List>,
    }

    impl Resolver for Map {
        fn entry_ref(&self, r: &str) -> Option<Entry> {
            self.refs.get(r).cloned()
        }
        fn external(&self, a: &str) -> Option<List> {
            self.lists.get(a).cloned()
        }
    }

    fn ext(anchor: &str) -> Member {
        Member::External(External {
            anchor: Some(anchor.into()),
            display_name: None,
            other_attributes: vec![],
            extensions: vec![],
        })
    }

    fn eref(r: &str) -> Member {
        Member::EntryRef(EntryRef {
            reference: r.into(),
            display_name: Some(DisplayName::new("by ref")),
            other_attributes: vec![],
            extensions: vec![],
        })
    }

    #[test]
    fn references_nesting_and_duplicates() {
        let mut m = Map::default();
        m.refs
            .insert("r1".into(), Entry::new("sip:petri@example.com"));
        m.lists.insert(
            "http://x/mkting".into(),
            List::of_uris(&["sip:joe@example.com", "sip:m@example.com"]),
        );
        let mut top = List::of_uris(&["sip:bill@example.com"]);
        top.members.push(eref("r1"));
        top.members.push(eref("missing"));
        let mut close = List::of_uris(&["sip:joe@example.com"]);
        close.members.push(ext("http://x/mkting"));
        close.members.push(ext("http://x/mkting"));
        top.members.push(Member::List(close));
        let e = expand(&top, &m, &ExpandLimits::default()).unwrap();
        assert_eq!(
            e.uris().collect::<Vec<_>>(),
            [
                "sip:bill@example.com",
                "sip:petri@example.com",
                "sip:joe@example.com",
                "sip:m@example.com"
            ]
        );
        assert_eq!(e.members[1].display_name, Some(DisplayName::new("by ref")));
        assert_eq!(e.unresolved, ["missing"]);
    }

    #[test]
    fn loops_are_detected() {
        let mut m = Map::default();
        let mut a = List::of_uris(&["sip:1@x"]);
        a.members.push(ext("B"));
        let mut b = List::of_uris(&["sip:2@x"]);
        b.members.push(ext("A"));
        m.lists.insert("A".into(), a.clone());
        m.lists.insert("B".into(), b);
        assert_eq!(
            expand_anchor("A", &m, &ExpandLimits::default()),
            Err(ExpandError::Loop {
                reference: "A".into()
            })
        );
        let mut self_ref = List::default();
        self_ref.members.push(ext("S"));
        m.lists.insert("S".into(), self_ref);
        assert!(matches!(
            expand_anchor("S", &m, &ExpandLimits::default()),
            Err(ExpandError::Loop { .. })
        ));
    }

    #[test]
    fn caps() {
        let uris: Vec<String> = (0..20).map(|i| format!("sip:{i}@x")).collect();
        let l = List::of_uris(&uris);
        let lim = ExpandLimits {
            max_members: 19,
            max_depth: 3,
        };
        assert_eq!(
            expand(&l, &NoReferences, &lim),
            Err(ExpandError::TooManyMembers { limit: 19 })
        );
        // Duplicates do not count against the cap.
        let dup = List::of_uris(&vec!["sip:same@x"; 50]);
        assert_eq!(expand(&dup, &NoReferences, &lim).unwrap().members.len(), 1);
        let mut deep = List::of_uris(&["sip:d@x"]);
        for _ in 0..3 {
            let mut outer = List::default();
            outer.members.push(Member::List(deep));
            deep = outer;
        }
        assert_eq!(
            expand(&deep, &NoReferences, &lim),
            Err(ExpandError::TooDeep { limit: 3 })
        );
    }

    #[test]
    fn diamonds_are_expanded_once() {
        // 30 levels of a list holding the next one twice: 2^30 paths, but
        // each anchor is expanded once.
        let mut m = Map::default();
        for i in 0..30 {
            let mut l = List::of_uris(&[format!("sip:{i}@x")]);
            l.members.push(ext(&format!("L{}", i + 1)));
            l.members.push(ext(&format!("L{}", i + 1)));
            m.lists.insert(format!("L{i}"), l);
        }
        let lim = ExpandLimits {
            max_members: 100,
            max_depth: 40,
        };
        let e = expand_anchor("L0", &m, &lim).unwrap();
        assert_eq!(e.members.len(), 30);
        assert_eq!(e.unresolved, ["L30"]);
    }
}
