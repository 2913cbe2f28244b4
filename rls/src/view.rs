//! The subscriber's table of list state (RFC 4662 section 5.6): one row
//! per resource URI, rebuilt by full-state notifications and patched by
//! partial ones, with the version check that detects lost notifications.

#![cfg_attr(
    not(test),
    deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)
)]

use std::collections::BTreeMap;

use crate::common::DisplayName;
use crate::notify::RlmiNotification;
use crate::rlmi::InstanceState;

/// One virtual subscription as the subscriber last heard of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceRow {
    /// The instance id (unique within its resource).
    pub id: String,
    /// Its state.
    pub state: InstanceState,
    /// Why it terminated, when it did.
    pub reason: Option<String>,
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
    uri: Option<String>,
    version: Option<u32>,
    names: Vec<DisplayName>,
    rows: BTreeMap<String, ResourceRow>,
}

impl ListView {
    /// An empty table that has seen no notification.
    pub fn new() -> Self {
        ListView::default()
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
        let outcome = if doc.full_state {
            self.rows.clear();
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
        for r in &doc.resources {
            let row = self.rows.entry(r.uri.clone()).or_default();
            if !r.names.is_empty() {
                row.names = r.names.clone();
            }
            for inst in &r.instances {
                let part = inst.cid.as_deref().and_then(|c| n.part(c));
                let new = InstanceRow {
                    id: inst.id.clone(),
                    state: inst.state,
                    reason: inst.reason.clone(),
                    content_type: part.map(|p| p.content_type.clone()),
                    body: part.map(|p| p.body.clone()),
                };
                match row.instances.iter_mut().find(|i| i.id == inst.id) {
                    Some(old) => *old = new,
                    None => row.instances.push(new),
                }
            }
        }
        outcome
    }
}
