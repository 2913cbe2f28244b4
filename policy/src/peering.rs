//! One copy per distinct view across a peering link.
//!
//! Between two large networks most watchers of a presentity are entitled to
//! one of a few views. [`RuleSet::views`] evaluates a presence update for a
//! whole set of watchers in the peer network and returns each distinct
//! document once, with the watchers it is for; two watchers share a group
//! if and only if they would receive the same answer. This is the
//! optimisation of draft-ietf-simple-view-sharing, reaching its lower bound:
//! the number of copies is the number of distinct views.
//!
//! Cost: the conditions that do not depend on the watcher (sphere,
//! validity) are evaluated once per update; each watcher costs one identity
//! check per remaining rule, giving the set of rules it matches; each
//! distinct set is turned into permissions and a document once.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

use pidf::xml::Document;

use crate::error::ViewError;
use crate::eval::{Context, Permissions, Watcher};
use crate::rules::{Except, Identity, RuleSet, SubHandling};

/// A small multiply-rotate hasher (the one rustc uses) for the per-watcher
/// lookups. Hash flooding is no concern here: the sets are built from the
/// presentity's own rules and the rule-mask map holds at most one entry per
/// distinct combination of rules; watcher input only probes them.
#[derive(Default)]
struct FxHasher(u64);

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.add(u64::from_le_bytes(w));
        }
        for &b in chunks.remainder() {
            self.add(u64::from(b));
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.add(n);
    }

    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

impl FxHasher {
    fn add(&mut self, w: u64) {
        self.0 = (self.0.rotate_left(5) ^ w).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

type Fx = BuildHasherDefault<FxHasher>;

/// A disclosed sub-handling and the document bytes, if any.
type Answer = (SubHandling, Option<Arc<[u8]>>);

/// One distinct view and the watchers entitled to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ViewGroup {
    /// The disclosed subscription state ([`SubHandling::disclosed`]):
    /// `Confirm` (pending, no document) or `Allow` (active, with document).
    /// Block and polite-block never cross the link.
    pub sub_handling: SubHandling,
    /// The document, written once; `None` for pending watchers.
    pub document: Option<Arc<[u8]>>,
    /// Indexes into the watcher slice given to [`RuleSet::views`], ascending.
    pub watchers: Vec<usize>,
}

impl RuleSet {
    /// Groups `watchers` by the answer each gets for `presence` in `ctx`.
    ///
    /// Every watcher index appears in exactly one group; groups come in order
    /// of their first watcher. Fails only when `presence` is not a PIDF
    /// document.
    pub fn views(
        &self,
        presence: &Document,
        watchers: &[Watcher],
        ctx: &Context,
    ) -> Result<Vec<ViewGroup>, ViewError> {
        // Rules that can apply in this context, and of those the ones that
        // apply to everybody.
        let live: Vec<&crate::Rule> = self
            .rules()
            .iter()
            .filter(|r| r.conditions.matches_context(ctx))
            .collect();
        let index: Vec<Vec<IdentityIndex<'_>>> = live
            .iter()
            .map(|r| {
                r.conditions
                    .identity
                    .iter()
                    .map(IdentityIndex::new)
                    .collect()
            })
            .collect();
        let words = live.len().div_ceil(64).max(1);

        // Pass 1: the set of matching rules of each watcher, interned.
        let mut mask_index: HashMap<Vec<u64>, usize, Fx> = HashMap::default();
        let mut masks: Vec<Vec<u64>> = Vec::new();
        let mut of_watcher: Vec<u32> = Vec::with_capacity(watchers.len());
        let mut buf = vec![0u64; words];
        for w in watchers {
            buf.iter_mut().for_each(|x| *x = 0);
            for (i, ids) in index.iter().enumerate() {
                if ids.iter().all(|id| id.matches(w)) {
                    if let Some(word) = buf.get_mut(i / 64) {
                        *word |= 1 << (i % 64);
                    }
                }
            }
            let idx = match mask_index.get(buf.as_slice()) {
                Some(&i) => i,
                None => {
                    let i = masks.len();
                    masks.push(buf.clone());
                    mask_index.insert(buf.clone(), i);
                    i
                }
            };
            of_watcher.push(u32::try_from(idx).unwrap_or(u32::MAX));
        }

        // Pass 2: one answer per distinct rule set, merged when the answers
        // are equal (different rules can grant the same view).
        let mut group_of_answer: HashMap<Answer, usize> = HashMap::new();
        let mut group_of_mask: Vec<usize> = Vec::with_capacity(masks.len());
        let mut groups: Vec<ViewGroup> = Vec::new();
        for mask in &masks {
            let p = Permissions::of(live.iter().enumerate().filter_map(|(i, r)| {
                let bit = mask.get(i / 64).is_some_and(|w| w & (1 << (i % 64)) != 0);
                bit.then_some(*r)
            }));
            let document: Option<Arc<[u8]>> = p.apply(presence)?.map(|d| {
                let mut out = Vec::new();
                d.write(&mut out);
                Arc::from(out)
            });
            let key = (p.sub_handling.disclosed(), document);
            let g = *group_of_answer.entry(key.clone()).or_insert_with(|| {
                groups.push(ViewGroup {
                    sub_handling: key.0,
                    document: key.1,
                    watchers: Vec::new(),
                });
                groups.len() - 1
            });
            group_of_mask.push(g);
        }
        for (wi, m) in of_watcher.iter().enumerate() {
            if let Some(g) = group_of_mask
                .get(*m as usize)
                .and_then(|g| groups.get_mut(*g))
            {
                g.watchers.push(wi);
            }
        }
        groups.retain(|g| !g.watchers.is_empty());
        groups.sort_by_key(|g| g.watchers.first().copied().unwrap_or(usize::MAX));
        Ok(groups)
    }
}

/// An identity condition indexed for many lookups: the same answers as
/// [`Identity::matches`](crate::Identity::matches), with hash sets in place
/// of scans over long `<one>` and `<except>` lists.
struct IdentityIndex<'a> {
    empty: bool,
    ones: HashSet<&'a str, Fx>,
    many: Vec<ManyIndex<'a>>,
}

struct ManyIndex<'a> {
    /// `None`: any domain; `Some(None)`: a domain that equals nothing.
    domain: Option<Option<&'a str>>,
    except_ids: HashSet<&'a str, Fx>,
    except_domains: Vec<Option<&'a str>>,
}

impl<'a> IdentityIndex<'a> {
    fn new(id: &'a Identity) -> Self {
        IdentityIndex {
            empty: id.is_empty(),
            ones: id.ones.iter().map(String::as_str).collect(),
            many: id
                .many
                .iter()
                .map(|m| ManyIndex {
                    domain: m.domain.as_ref().map(|d| d.ascii.as_deref()),
                    except_ids: m
                        .except
                        .iter()
                        .filter_map(|x| match x {
                            Except::Id(u) => Some(u.as_str()),
                            Except::Domain(_) => None,
                        })
                        .collect(),
                    except_domains: m
                        .except
                        .iter()
                        .filter_map(|x| match x {
                            Except::Domain(d) => Some(d.ascii.as_deref()),
                            Except::Id(_) => None,
                        })
                        .collect(),
                })
                .collect(),
        }
    }

    fn matches(&self, w: &Watcher) -> bool {
        if self.empty {
            return !w.is_authenticated();
        }
        if w.identities().any(|u| self.ones.contains(u)) {
            return true;
        }
        w.is_authenticated()
            && self.many.iter().any(|m| {
                let in_domain = match m.domain {
                    None => true,
                    Some(None) => false,
                    Some(Some(d)) => w.domains().any(|x| x == d),
                };
                in_domain
                    && !w.identities().any(|u| m.except_ids.contains(u))
                    && !m
                        .except_domains
                        .iter()
                        .any(|d| d.is_some_and(|d| w.domains().any(|x| x == d)))
            })
    }
}

/// Expands groups back to one answer per watcher: `out[i]` is watcher `i`'s
/// disclosed sub-handling and document. Watchers missing from every group get
/// `(Confirm, None)`, the fail-closed answer.
pub fn expand(groups: &[ViewGroup], watchers: usize) -> Vec<(SubHandling, Option<Arc<[u8]>>)> {
    let mut out = vec![(SubHandling::Confirm, None); watchers];
    for g in groups {
        for &w in &g.watchers {
            if let Some(slot) = out.get_mut(w) {
                *slot = (g.sub_handling, g.document.clone());
            }
        }
    }
    out
}
