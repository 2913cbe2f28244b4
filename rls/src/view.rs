//! The subscriber's table of list state (RFC 4662 section 5.6): one row
//! per resource URI, rebuilt by full-state notifications and patched by
//! partial ones, with the version check that detects lost notifications.

#![cfg_attr(
    not(test),
    deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)
)]

use pidf::Text;
use std::collections::{BTreeMap, HashSet};

use crate::common::DisplayName;
use crate::notify::RlmiNotification;
use crate::rlmi::InstanceState;

/// One virtual subscription as the subscriber last heard of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceRow {
    /// The instance id (unique within its resource).
    pub id: Text,
    /// Its state.
    pub state: InstanceState,
    /// Why it terminated, when it did.
    pub reason: Option<Text>,
    /// Content type of its state, when the notification carried a part.
    pub content_type: Option<String>,
    /// Its state (e.g. a PIDF document), when the notification carried it.
    pub body: Option<Vec<u8>>,
}

/// One resource of the list.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ResourceRow {
    /// Its names, as last reported.
    pub names: Vec<DisplayName>,
    /// Its instances.
    pub instances: Vec<InstanceRow>,
}

impl ResourceRow {
    /// The first active instance's state body, if any.
    pub fn active_body(&self) -> Option<&[u8]> {
        self.instances
            .iter()
            .find(|i| i.state == InstanceState::Active)
            .and_then(|i| i.body.as_deref())
    }
}

/// Caps on what a subscriber's table holds, so a list server cannot grow it
/// without bound one partial notification at a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ViewLimits {
    /// Most resources (rows).
    pub max_resources: usize,
    /// Most instances per resource.
    pub max_instances: usize,
    /// Most bytes of state bodies, all rows together.
    pub max_bytes: usize,
}

impl Default for ViewLimits {
    /// 10,000 resources, 16 instances each, 64 MiB of state.
    fn default() -> Self {
        ViewLimits {
            max_resources: 10_000,
            max_instances: 16,
            max_bytes: 64 << 20,
        }
    }
}

/// Which [`ViewLimits`] cap a notification would have broken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OverLimit {
    /// [`ViewLimits::max_resources`].
    Resources(usize),
    /// [`ViewLimits::max_instances`].
    Instances(usize),
    /// [`ViewLimits::max_bytes`].
    Bytes(usize),
}

/// What [`ListView::apply`] did with a notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    /// Full state: the table was replaced.
    Full {
        /// The new local version.
        version: u32,
    },
    /// Partial state, the next version: the listed resources were updated.
    Partial {
        /// The new local version.
        version: u32,
    },
    /// Partial state after a gap (or before any full state): applied, but
    /// notifications were lost, so the subscriber should refresh its
    /// subscription to get full state (RFC 4662 section 5.6.2).
    Gap {
        /// The version that was due.
        expected: u32,
        /// The version received (now the local version).
        got: u32,
    },
    /// Applying it would break a [`ViewLimits`] cap: discarded whole, the
    /// table and its version unchanged.
    Refused(OverLimit),
    /// Not newer than the local version: discarded.
    Stale {
        /// The local version.
        local: u32,
        /// The version received.
        got: u32,
    },
}

impl Applied {
    /// Whether the subscriber should send a refresh SUBSCRIBE.
    pub fn needs_refresh(&self) -> bool {
        matches!(self, Applied::Gap { .. })
    }

    /// Whether the notification was discarded as not newer than the table.
    pub fn is_stale(&self) -> bool {
        matches!(self, Applied::Stale { .. })
    }
}

/// The per-list state table.
///
/// ```
/// use rls::notify::RlmiNotification;
/// use rls::rlmi::{Instance, InstanceState, Resource, Rlmi};
/// use rls::view::{Applied, ListView};
///
/// let mut view = ListView::new();
/// let mut full = Rlmi::new("sip:l@example.com", 0, true);
/// full.resources.push(Resource::new("sip:a@example.com"));
/// assert_eq!(view.apply(&RlmiNotification::new(full, "r0")), Applied::Full { version: 0 });
///
/// let mut partial = Rlmi::new("sip:l@example.com", 2, false);
/// partial.resources.push(
///     Resource::new("sip:a@example.com").with_instance(Instance::new("x", InstanceState::Pending)),
/// );
/// let applied = view.apply(&RlmiNotification::new(partial, "r2"));
/// assert!(applied.needs_refresh()); // version 1 was lost
/// assert_eq!(view.resource("sip:a@example.com").unwrap().instances[0].state, InstanceState::Pending);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ListView {
    uri: Option<Text>,
    version: Option<u32>,
    names: Vec<DisplayName>,
    rows: BTreeMap<Text, ResourceRow>,
    limits: ViewLimits,
    /// Sum of the state bodies' lengths.
    bytes: usize,
}

impl ListView {
    /// An empty table that has seen no notification, with default limits.
    pub fn new() -> Self {
        ListView::default()
    }

    /// An empty table with `limits`.
    pub fn with_limits(limits: ViewLimits) -> Self {
        ListView {
            limits,
            ..ListView::default()
        }
    }

    /// Bytes of state bodies held.
    pub fn state_bytes(&self) -> usize {
        self.bytes
    }

    /// What the table would hold after applying `n`, checked against the
    /// limits before anything changes.
    fn check(&self, n: &RlmiNotification) -> Result<(), OverLimit> {
        let full = n.rlmi.full_state;
        let mut rows = if full { 0 } else { self.rows.len() };
        let mut bytes = if full { 0 } else { self.bytes };
        let mut new_rows: HashSet<&str> = HashSet::new();
        let index = n.parts_by_cid();
        for r in &n.rlmi.resources {
            let existing = if full { None } else { self.rows.get(&r.uri) };
            if existing.is_none() && new_rows.insert(r.uri.as_str()) {
                rows += 1;
            }
            let mut ids: Vec<&str> = existing
                .map(|row| row.instances.iter().map(|i| i.id.as_str()).collect())
                .unwrap_or_default();
            for inst in &r.instances {
                let len = inst
                    .cid
                    .as_deref()
                    .and_then(|c| index.get(c))
                    .map_or(0, |p| p.body.len());
                bytes = bytes.saturating_add(len);
                match existing.and_then(|row| row.instances.iter().find(|i| i.id == inst.id)) {
                    Some(old) => {
                        bytes = bytes.saturating_sub(old.body.as_ref().map_or(0, Vec::len));
                    }
                    None if !ids.contains(&inst.id.as_str()) => ids.push(inst.id.as_str()),
                    None => {}
                }
            }
            if ids.len() > self.limits.max_instances {
                return Err(OverLimit::Instances(self.limits.max_instances));
            }
        }
        if rows > self.limits.max_resources {
            return Err(OverLimit::Resources(self.limits.max_resources));
        }
        if bytes > self.limits.max_bytes {
            return Err(OverLimit::Bytes(self.limits.max_bytes));
        }
        Ok(())
    }

    /// The list URI, from the last notification applied.
    pub fn uri(&self) -> Option<&str> {
        self.uri.as_deref()
    }

    /// The local version; `None` before the first notification.
    pub fn version(&self) -> Option<u32> {
        self.version
    }

    /// The list's names.
    pub fn names(&self) -> &[DisplayName] {
        &self.names
    }

    /// The row for resource `uri`.
    pub fn resource(&self, uri: &str) -> Option<&ResourceRow> {
        self.rows.get(uri)
    }

    /// All rows, ordered by URI.
    pub fn resources(&self) -> impl Iterator<Item = (&str, &ResourceRow)> {
        self.rows.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// How many resources the table holds.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether the table is empty.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Drops instances reported terminated (RFC 4662 section 5.6.2 allows
    /// it at any time after they were seen).
    pub fn prune_terminated(&mut self) {
        for row in self.rows.values_mut() {
            row.instances
                .retain(|i| i.state != InstanceState::Terminated);
        }
    }

    /// Applies one notification (RFC 4662 sections 5.6.1 and 5.6.2).
    pub fn apply(&mut self, n: &RlmiNotification) -> Applied {
        let doc = &n.rlmi;
        let got = doc.version;
        if let Some(local) = self.version {
            if got <= local {
                return Applied::Stale { local, got };
            }
        }
        if let Err(e) = self.check(n) {
            return Applied::Refused(e);
        }
        let outcome = if doc.full_state {
            self.rows.clear();
            self.bytes = 0;
            Applied::Full { version: got }
        } else {
            match self.version {
                Some(local) if Some(got) == local.checked_add(1) => {
                    Applied::Partial { version: got }
                }
                Some(local) => Applied::Gap {
                    expected: local.saturating_add(1),
                    got,
                },
                // Partial state before any full state: nothing to patch.
                None => Applied::Gap { expected: 0, got },
            }
        };
        self.version = Some(got);
        self.uri = Some(doc.uri.clone());
        if !doc.names.is_empty() || doc.full_state {
            self.names = doc.names.clone();
        }
        let index = n.parts_by_cid();
        for r in &doc.resources {
            let row = self.rows.entry(r.uri.clone()).or_default();
            if !r.names.is_empty() {
                row.names = r.names.clone();
            }
            for inst in &r.instances {
                let part = inst.cid.as_deref().and_then(|c| index.get(c));
                let new = InstanceRow {
                    id: inst.id.clone(),
                    state: inst.state,
                    reason: inst.reason.clone(),
                    content_type: part.map(|p| p.content_type.clone()),
                    body: part.map(|p| p.body.clone()),
                };
                self.bytes = self
                    .bytes
                    .saturating_add(new.body.as_ref().map_or(0, Vec::len));
                match row.instances.iter_mut().find(|i| i.id == inst.id) {
                    Some(old) => {
                        self.bytes = self
                            .bytes
                            .saturating_sub(old.body.as_ref().map_or(0, Vec::len));
                        *old = new;
                    }
                    None => row.instances.push(new),
                }
            }
        }
        outcome
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notify::StatePart;
    use crate::rlmi::{Instance, Resource, Rlmi};

    fn note(version: u32, full: bool, res: &[(&str, &str, usize)]) -> RlmiNotification {
        let mut d = Rlmi::new("sip:l@x", version, full);
        let mut n = RlmiNotification::new(d.clone(), "r");
        for (i, (uri, id, len)) in res.iter().enumerate() {
            let cid = format!("c{i}");
            d.resources
                .push(Resource::new(*uri).with_instance(
                    Instance::new(*id, InstanceState::Active).with_cid(cid.clone()),
                ));
            n.parts.push(StatePart {
                cid,
                content_type: "a/b".into(),
                body: vec![b'x'; *len],
            });
        }
        n.rlmi = d;
        n
    }

    #[test]
    fn limits_refuse_whole_notifications() {
        let mut v = ListView::with_limits(ViewLimits {
            max_resources: 2,
            max_instances: 2,
            max_bytes: 100,
        });
        assert_eq!(
            v.apply(&note(0, true, &[("a", "1", 40), ("b", "1", 40)])),
            Applied::Full { version: 0 }
        );
        assert_eq!(v.state_bytes(), 80);
        // A third resource: refused, nothing changes.
        assert_eq!(
            v.apply(&note(1, false, &[("a", "1", 10), ("c", "1", 1)])),
            Applied::Refused(OverLimit::Resources(2))
        );
        assert_eq!(v.version(), Some(0));
        assert_eq!(v.state_bytes(), 80);
        // Replacing a body counts the difference.
        assert_eq!(
            v.apply(&note(1, false, &[("a", "1", 60)])),
            Applied::Partial { version: 1 }
        );
        assert_eq!(v.state_bytes(), 100);
        assert_eq!(
            v.apply(&note(2, false, &[("b", "1", 41)])),
            Applied::Refused(OverLimit::Bytes(100))
        );
        // Instances accumulate per resource.
        assert_eq!(
            v.apply(&note(2, false, &[("a", "2", 0)])),
            Applied::Partial { version: 2 }
        );
        assert_eq!(
            v.apply(&note(3, false, &[("a", "3", 0)])),
            Applied::Refused(OverLimit::Instances(2))
        );
        // Full state starts the count over.
        assert_eq!(
            v.apply(&note(3, true, &[("c", "1", 100)])),
            Applied::Full { version: 3 }
        );
        assert_eq!((v.len(), v.state_bytes()), (1, 100));
    }
}
