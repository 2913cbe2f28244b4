//! Composition: merging the publications of one presentity (RFC 3903 event
//! state from several devices or publishers) into the one document watchers
//! see.
//!
//! RFC 3903 section 2 and RFC 4479 section 4 leave the composition policy to
//! the presence server; this one is explicit and configurable through
//! [`Policy`]:
//! - expired publications are ignored (the caller passes `now`);
//! - tuples and devices are united by `id`; when two publications carry the
//!   same id, [`Conflict`] decides which wins;
//! - persons are either reduced to the one with the latest `dm:timestamp`
//!   ([`PersonPolicy::LatestTimestamp`], RFC 4479 section 4's "most recent
//!   information") or united by `id`;
//! - presence-level notes keep one per `xml:lang` (the newest publication's)
//!   or all distinct ones;
//! - other presence-level extensions are united, duplicates dropped.
//!
//! Publications are given oldest first; "newest" means later in the slice.

use std::time::Instant;

use crate::model::{Note, Presence};
use crate::time::UnixTime;
use crate::xml::NsDecl;

/// One publication of the presentity's state (RFC 3903).
#[derive(Debug, Clone)]
pub struct Publication {
    /// The entity tag the server assigned (SIP-ETag).
    pub etag: String,
    /// When the publication expires.
    pub expires: Instant,
    /// The published document.
    pub presence: Presence,
}

/// Which of two tuples (or devices, or persons under
/// [`PersonPolicy::UnionById`]) with the same id wins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Conflict {
    /// The newer publication's.
    #[default]
    NewestPublication,
    /// The one with the later timestamp; without timestamps, or on a tie, the
    /// newer publication's.
    LatestTimestamp,
}

/// How persons are composed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PersonPolicy {
    /// Keep the single person with the latest `dm:timestamp` (one human per
    /// presentity); without timestamps, the newest publication's first person.
    #[default]
    LatestTimestamp,
    /// Unite persons by `id`, resolving clashes by [`Policy::conflict`].
    UnionById,
}

/// How presence-level notes are composed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NotePolicy {
    /// One note per `xml:lang` (no language counts as one), the newest
    /// publication's.
    #[default]
    OnePerLanguage,
    /// Every distinct note.
    All,
}

/// The composition policy; the default is newest-publication-wins for
/// tuples and devices, latest person, one note per language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Policy {
    /// Tuple, device (and united person) id clashes.
    pub conflict: Conflict,
    /// Persons.
    pub persons: PersonPolicy,
    /// Notes.
    pub notes: NotePolicy,
}

fn ts(t: Option<&crate::time::Timestamp>) -> Option<UnixTime> {
    t.map(crate::time::Timestamp::to_unix)
}

/// Whether `new` (from a newer publication) replaces `old`.
fn wins(conflict: Conflict, old: Option<UnixTime>, new: Option<UnixTime>) -> bool {
    match (conflict, old, new) {
        (Conflict::LatestTimestamp, Some(o), Some(n)) => n >= o,
        (Conflict::LatestTimestamp, Some(_), None) => false,
        _ => true,
    }
}

/// Unites items by key; a newer item replaces an older one in place when
/// `replace` says so.
fn unite<T: Clone>(
    out: &mut Vec<T>,
    items: &[T],
    key: impl Fn(&T) -> &str,
    replace: impl Fn(&T, &T) -> bool,
) {
    for it in items {
        match out.iter_mut().find(|o| key(o) == key(it)) {
            Some(o) => {
                if replace(o, it) {
                    *o = it.clone();
                }
            }
            None => out.push(it.clone()),
        }
    }
}

/// Composes the live publications (those whose `expires` is after `now`)
/// into one document; `None` when none is live.
pub fn compose(pubs: &[Publication], now: Instant, policy: &Policy) -> Option<Presence> {
    let live: Vec<&Publication> = pubs.iter().filter(|p| p.expires > now).collect();
    let newest = live.last()?;
    let mut out = Presence {
        entity: newest.presence.entity.clone(),
        declaration: true,
        ..Presence::default()
    };
    let mut namespaces: Vec<NsDecl> = Vec::new();
    for p in &live {
        let doc = &p.presence;
        for d in &doc.namespaces {
            if !namespaces.iter().any(|x| x.prefix == d.prefix) {
                namespaces.push(d.clone());
            }
        }
        for a in &doc.attributes {
            if !out
                .attributes
                .iter()
                .any(|x| x.name.ns == a.name.ns && x.name.local == a.name.local)
            {
                out.attributes.push(a.clone());
            }
        }
        let c = policy.conflict;
        unite(
            &mut out.tuples,
            &doc.tuples,
            |t| &t.id,
            |o, n| wins(c, ts(o.timestamp.as_ref()), ts(n.timestamp.as_ref())),
        );
        unite(
            &mut out.devices,
            &doc.devices,
            |d| &d.id,
            |o, n| wins(c, ts(o.timestamp.as_ref()), ts(n.timestamp.as_ref())),
        );
        match policy.persons {
            PersonPolicy::UnionById => unite(
                &mut out.persons,
                &doc.persons,
                |x| &x.id,
                |o, n| wins(c, ts(o.timestamp.as_ref()), ts(n.timestamp.as_ref())),
            ),
            PersonPolicy::LatestTimestamp => {
                for person in &doc.persons {
                    let replace = match out.persons.first() {
                        None => true,
                        Some(o) => wins(
                            Conflict::LatestTimestamp,
                            ts(o.timestamp.as_ref()),
                            ts(person.timestamp.as_ref()),
                        ),
                    };
                    if replace {
                        out.persons = vec![person.clone()];
                    }
                }
            }
        }
        match policy.notes {
            NotePolicy::OnePerLanguage => {
                unite(
                    &mut out.notes,
                    &doc.notes,
                    |n: &Note| n.lang.as_deref().unwrap_or(""),
                    |_, _| true,
                );
            }
            NotePolicy::All => {
                for n in &doc.notes {
                    if !out.notes.contains(n) {
                        out.notes.push(n.clone());
                    }
                }
            }
        }
        for e in &doc.extensions {
            if !out.extensions.iter().any(|x| x.infoset_eq(e)) {
                out.extensions.push(e.clone());
            }
        }
    }
    // The PIDF namespace stays the default one if any publication made it so.
    if let Some(d) = namespaces.iter().find(|d| d.prefix.is_none()) {
        if d.uri != crate::ns::PIDF {
            namespaces.retain(|d| d.prefix.is_some());
        }
    }
    out.namespaces = namespaces;
    Some(out)
}

/// The live publications of one presentity, keyed by entity tag: the state
/// an event state compositor keeps (RFC 3903 section 6), in arrival order.
#[derive(Debug, Clone, Default)]
pub struct Publications {
    pubs: Vec<Publication>,
}

impl Publications {
    /// No publication.
    pub fn new() -> Self {
        Publications::default()
    }

    /// An initial publication (or one replacing the same entity tag); it
    /// becomes the newest.
    pub fn publish(&mut self, p: Publication) {
        self.pubs.retain(|x| x.etag != p.etag);
        self.pubs.push(p);
    }

    /// A modification (RFC 3903 section 4.4): the state under `old_etag` is
    /// replaced by `p` (which carries the new entity tag). `false` when
    /// `old_etag` is unknown (the server answers 412).
    pub fn modify(&mut self, old_etag: &str, p: Publication) -> bool {
        let before = self.pubs.len();
        self.pubs.retain(|x| x.etag != old_etag);
        if self.pubs.len() == before {
            return false;
        }
        self.publish(p);
        true
    }

    /// A refresh (section 4.3): new expiry and, as the server assigns one,
    /// a new entity tag. `false` when `etag` is unknown.
    pub fn refresh(&mut self, etag: &str, new_etag: &str, expires: Instant) -> bool {
        match self.pubs.iter_mut().find(|x| x.etag == etag) {
            Some(x) => {
                x.etag = new_etag.to_owned();
                x.expires = expires;
                true
            }
            None => false,
        }
    }

    /// A removal (section 4.5, `Expires: 0`). `false` when `etag` is unknown.
    pub fn remove(&mut self, etag: &str) -> bool {
        let before = self.pubs.len();
        self.pubs.retain(|x| x.etag != etag);
        self.pubs.len() != before
    }

    /// Drops the publications expired at `now`; returns how many.
    pub fn expire(&mut self, now: Instant) -> usize {
        let before = self.pubs.len();
        self.pubs.retain(|x| x.expires > now);
        before - self.pubs.len()
    }

    /// The publication under `etag`.
    pub fn get(&self, etag: &str) -> Option<&Publication> {
        self.pubs.iter().find(|x| x.etag == etag)
    }

    /// How many are held.
    pub fn len(&self) -> usize {
        self.pubs.len()
    }

    /// Whether none is held.
    pub fn is_empty(&self) -> bool {
        self.pubs.is_empty()
    }

    /// The earliest expiry, for the caller's timer.
    pub fn next_expiry(&self) -> Option<Instant> {
        self.pubs.iter().map(|x| x.expires).min()
    }

    /// The composed document at `now` (see [`compose`]).
    pub fn compose(&self, now: Instant, policy: &Policy) -> Option<Presence> {
        compose(&self.pubs, now, policy)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Basic, Person, Timestamp, Tuple};
    use std::time::Duration;

    fn publication(etag: &str, expires: Instant, p: Presence) -> Publication {
        Publication {
            etag: etag.into(),
            expires,
            presence: p,
        }
    }

    #[test]
    // Any instant will do as the test's "now"; the library never reads it.
    #[allow(clippy::disallowed_methods)]
    fn unites_tuples_and_picks_the_latest_person() {
        let now = Instant::now();
        let later = now + Duration::from_secs(60);
        let ts = |s: &str| Timestamp::parse(s).unwrap();
        let phone = Presence::new("pres:a@example.com")
            .tuple(Tuple::new("phone").basic(Basic::Open))
            .tuple(Tuple::new("shared").basic(Basic::Closed))
            .person(
                Person::new("p")
                    .timestamp(ts("2024-01-01T10:00:00Z"))
                    .note("phone"),
            )
            .note(crate::Note::new("hello").lang("en"));
        let pc = Presence::new("pres:a@example.com")
            .tuple(Tuple::new("pc").basic(Basic::Closed))
            .tuple(Tuple::new("shared").basic(Basic::Open))
            .person(
                Person::new("p")
                    .timestamp(ts("2024-01-01T09:00:00Z"))
                    .note("pc"),
            )
            .note(crate::Note::new("bonjour").lang("fr"))
            .note(crate::Note::new("hi").lang("en"));
        let gone = Presence::new("pres:a@example.com").tuple(Tuple::new("old").basic(Basic::Open));
        let pubs = [
            publication("e0", now, gone),
            publication("e1", later, phone),
            publication("e2", later, pc),
        ];
        let out = compose(&pubs, now, &Policy::default()).unwrap();
        let ids: Vec<&str> = out.tuples.iter().map(|t| t.id.as_str()).collect();
        assert_eq!(ids, ["phone", "shared", "pc"], "expired one dropped");
        assert_eq!(
            out.tuple_by_id("shared").unwrap().status.basic,
            Some(Basic::Open),
            "newest publication wins"
        );
        assert_eq!(out.persons.len(), 1);
        assert_eq!(
            out.persons[0].notes[0].text, "phone",
            "latest timestamp wins"
        );
        let notes: Vec<(&str, Option<&str>)> = out
            .notes
            .iter()
            .map(|n| (n.text.as_str(), n.lang.as_deref()))
            .collect();
        assert_eq!(notes, [("hi", Some("en")), ("bonjour", Some("fr"))]);
        // The composed document is a valid, writable document.
        out.validate().unwrap();
        let back = Presence::parse(&out.to_xml()).unwrap();
        assert!(back.infoset_eq(&out));

        let all = Policy {
            notes: NotePolicy::All,
            persons: PersonPolicy::UnionById,
            conflict: Conflict::LatestTimestamp,
        };
        let out = compose(&pubs, now, &all).unwrap();
        assert_eq!(out.notes.len(), 3);
        assert_eq!(out.persons[0].notes[0].text, "phone");
        assert!(compose(&pubs, later, &all).is_none(), "all expired");
    }

    #[test]
    // Any instant will do as the test's "now"; the library never reads it.
    #[allow(clippy::disallowed_methods)]
    fn publications_follow_rfc3903_operations() {
        let now = Instant::now();
        let t = |s| now + Duration::from_secs(s);
        let doc = |id: &str, b| Presence::new("pres:a@example.com").tuple(Tuple::new(id).basic(b));
        let mut st = Publications::new();
        st.publish(publication("e1", t(60), doc("phone", Basic::Open)));
        st.publish(publication("e2", t(30), doc("pc", Basic::Open)));
        assert_eq!(st.len(), 2);
        assert_eq!(st.next_expiry(), Some(t(30)));
        assert!(st.modify("e1", publication("e3", t(60), doc("phone", Basic::Closed))));
        assert!(
            !st.modify("e1", publication("e4", t(60), doc("phone", Basic::Open))),
            "e1 is gone"
        );
        assert!(st.get("e3").is_some());
        assert!(st.refresh("e2", "e5", t(90)));
        assert!(!st.refresh("nope", "e6", t(90)));
        let out = st.compose(now, &Policy::default()).unwrap();
        assert_eq!(
            out.tuple_by_id("phone").unwrap().status.basic,
            Some(Basic::Closed)
        );
        assert_eq!(out.tuples.len(), 2);
        assert_eq!(st.expire(t(60)), 1, "e3 expires at 60");
        assert!(st.remove("e5"));
        assert!(!st.remove("e5"));
        assert!(st.is_empty());
        assert!(st.compose(now, &Policy::default()).is_none());
    }
}
