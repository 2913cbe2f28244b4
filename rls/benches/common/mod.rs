//! The list server set-up, the 500-resource RLMI document and the quick-xml
//! floor that the `notify` and `allocs` benches share, so both measure the
//! same bytes.

use std::time::{Duration, Instant};

use rls::notify::{NotifyLimits, RlmiNotification};
use rls::resource_lists::List;
use rls::rls_services::{Service, ServiceSource};
use rls::server::{
    BackendId, BackendState, BackendTarget, ListKind, ListNotify, ListServer, ListSubscribe,
    MemoryDirectory, ServerConfig, ServerEvent, StateBody, StoredList, SubscriptionId,
};

/// Members of the list.
pub(crate) const MEMBERS: usize = 500;
/// Members changing per tick (1%).
pub(crate) const CHANGED: usize = MEMBERS / 100;

/// A one-tuple PIDF body for a member's back end.
pub(crate) fn pidf(uri: &str, basic: &str, n: usize) -> StateBody {
    StateBody {
        content_type: "application/pidf+xml;charset=\"UTF-8\"".into(),
        body: format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<presence xmlns=\"urn:ietf:params:xml:ns:pidf\" entity=\"{uri}\"><tuple id=\"t{n}\"><status><basic>{basic}</basic></status><contact priority=\"1.0\">{uri}</contact><note>tick {n}</note></tuple></presence>"
        )
        .into_bytes(),
    }
}

/// A list server with one subscriber to the 500-member list and every back
/// end reporting.
pub(crate) struct Setup {
    /// The server.
    pub(crate) server: ListServer,
    /// The first subscriber's subscription.
    pub(crate) sub: SubscriptionId,
    /// The back ends and their member URIs.
    pub(crate) backends: Vec<(BackendId, String)>,
    /// The clock.
    pub(crate) now: Instant,
    /// Ticks so far.
    pub(crate) tick: usize,
}

/// The last NOTIFY among the server's pending events.
pub(crate) fn last_notify(server: &mut ListServer) -> Option<ListNotify> {
    let mut last = None;
    while let Some(e) = server.poll_event() {
        if let ServerEvent::Notify(n) = e {
            last = Some(n);
        }
    }
    last
}

/// A presence list subscription of `subscriber` to `list_uri`, supporting
/// eventlist, with no request-contained list.
pub(crate) fn subscribe(list_uri: &str, subscriber: String) -> ListSubscribe {
    ListSubscribe {
        list_uri: list_uri.into(),
        subscriber,
        package: "presence".into(),
        supports_eventlist: true,
        requires_recipient_list: false,
        body: None,
    }
}

/// The server, subscribed and with every member's first state sent.
#[allow(clippy::disallowed_methods)]
pub(crate) fn setup() -> Setup {
    let uris: Vec<String> = (0..MEMBERS)
        .map(|i| format!("sip:user{i:03}@example.com"))
        .collect();
    let list_uri = "sip:big-list@rls.example.com";
    let mut dir = MemoryDirectory::default();
    dir.insert(StoredList {
        kind: ListKind::Public,
        service: Service::new(list_uri, ServiceSource::List(List::of_uris(&uris))),
        names: Vec::new(),
    });
    let mut server = ListServer::new(ServerConfig {
        min_interval: Duration::from_secs(1),
        host: "rls.example.com".into(),
        ..ServerConfig::default()
    });
    let now = Instant::now();
    let sub = server
        .handle_subscribe(
            now,
            &subscribe(list_uri, "sip:watcher@example.com".into()),
            &dir,
        )
        .expect("subscribe");
    let mut backends = Vec::new();
    while let Some(e) = server.poll_event() {
        if let ServerEvent::OpenBackend {
            backend,
            target: BackendTarget::Resource { uri },
            ..
        } = e
        {
            backends.push((backend, uri));
        }
    }
    for (i, (b, uri)) in backends.iter().enumerate() {
        server
            .handle_backend_notify(
                now,
                *b,
                uri,
                BackendState::Active,
                Some(pidf(uri, "open", i)),
            )
            .expect("known back end");
    }
    let mut s = Setup {
        server,
        sub,
        backends,
        now,
        tick: 0,
    };
    s.now += Duration::from_secs(1);
    s.server.handle_timeout(s.now);
    last_notify(&mut s.server);
    s
}

impl Setup {
    /// One tick: 1% of members change, the throttle interval passes, one
    /// partial NOTIFY goes out.
    pub(crate) fn tick(&mut self) -> ListNotify {
        self.tick += 1;
        for k in 0..CHANGED {
            let i = (self.tick * 7919 + k * 101) % MEMBERS;
            let (b, uri) = &self.backends[i];
            let basic = if self.tick % 2 == 0 { "open" } else { "closed" };
            self.server
                .handle_backend_notify(
                    self.now,
                    *b,
                    uri,
                    BackendState::Active,
                    Some(pidf(uri, basic, self.tick)),
                )
                .expect("known back end");
        }
        self.now += Duration::from_secs(1);
        self.server.handle_timeout(self.now);
        last_notify(&mut self.server).expect("a partial notify per tick")
    }

    /// One tick with every watcher's NOTIFY drained; returns how many.
    pub(crate) fn tick_all(&mut self) -> usize {
        self.tick += 1;
        for k in 0..CHANGED {
            let i = (self.tick * 7919 + k * 101) % MEMBERS;
            let (b, uri) = &self.backends[i];
            self.server
                .handle_backend_notify(
                    self.now,
                    *b,
                    uri,
                    BackendState::Active,
                    Some(pidf(uri, "open", self.tick)),
                )
                .expect("known back end");
        }
        self.now += Duration::from_secs(1);
        self.server.handle_timeout(self.now);
        let mut n = 0;
        while let Some(e) = self.server.poll_event() {
            if let ServerEvent::Notify(_) = e {
                n += 1;
            }
        }
        n
    }

    /// A refresh: one full-state NOTIFY.
    pub(crate) fn full(&mut self) -> ListNotify {
        self.now += Duration::from_millis(1);
        self.server
            .handle_refresh(self.now, self.sub)
            .expect("live");
        last_notify(&mut self.server).expect("a full notify")
    }
}

/// The full-state RLMI document of the 500-member list, as the `notify`
/// bench's `rlmi_parse_500` group parses it: the RLMI part of the full
/// NOTIFY that follows the first partial one, written back by `to_xml`.
pub(crate) fn rlmi_500_from(full: &ListNotify) -> Vec<u8> {
    RlmiNotification::parse(&full.content_type, &full.body, &NotifyLimits::default())
        .expect("parse")
        .rlmi
        .to_xml()
}

pub(crate) use testkit::xml_floor as floor;
