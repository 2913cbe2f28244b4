//! RLMI notifications for a 500-member list with 1% of members (5)
//! changing per tick: the cost and size of a partial notification versus a
//! full-state one, on the server (aggregate, build, encode) and on the
//! subscriber (parse, apply).
//!
//! `cargo bench -p rls --bench notify -- --warm-up-time 1 --measurement-time 3`

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_main, BatchSize, Criterion, Throughput};
use rls::notify::{NotifyLimits, RlmiNotification};
use rls::resource_lists::List;
use rls::rls_services::{Service, ServiceSource};
use rls::server::{
    BackendId, BackendState, BackendTarget, ListKind, ListNotify, ListServer, ListSubscribe,
    MemoryDirectory, ServerConfig, ServerEvent, StateBody, StoredList, SubscriptionId,
};
use rls::view::ListView;

const MEMBERS: usize = 500;
const CHANGED: usize = MEMBERS / 100;
const WATCHERS: usize = 100;

fn pidf(uri: &str, basic: &str, n: usize) -> StateBody {
    StateBody {
        content_type: "application/pidf+xml;charset=\"UTF-8\"".into(),
        body: format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<presence xmlns=\"urn:ietf:params:xml:ns:pidf\" entity=\"{uri}\"><tuple id=\"t{n}\"><status><basic>{basic}</basic></status><contact priority=\"1.0\">{uri}</contact><note>tick {n}</note></tuple></presence>"
        )
        .into_bytes(),
    }
}

struct Setup {
    server: ListServer,
    sub: SubscriptionId,
    backends: Vec<(BackendId, String)>,
    now: Instant,
    tick: usize,
}

fn last_notify(server: &mut ListServer) -> Option<ListNotify> {
    let mut last = None;
    while let Some(e) = server.poll_event() {
        if let ServerEvent::Notify(n) = e {
            last = Some(n);
        }
    }
    last
}

#[allow(clippy::disallowed_methods)]
fn setup() -> Setup {
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
            &ListSubscribe {
                list_uri: list_uri.into(),
                subscriber: "sip:watcher@example.com".into(),
                package: "presence".into(),
                supports_eventlist: true,
                requires_recipient_list: false,
                body: None,
            },
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
    fn tick(&mut self) -> ListNotify {
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
    fn tick_all(&mut self) -> usize {
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

    fn full(&mut self) -> ListNotify {
        self.now += Duration::from_millis(1);
        self.server
            .handle_refresh(self.now, self.sub)
            .expect("live");
        last_notify(&mut self.server).expect("a full notify")
    }
}

fn bench(c: &mut Criterion) {
    let mut s = setup();
    let partial = s.tick();
    let full = s.full();
    assert_eq!(partial.resources, CHANGED);
    assert_eq!(full.resources, MEMBERS);
    eprintln!(
        "rlmi bytes per NOTIFY: partial ({CHANGED} of {MEMBERS}) = {} B, full = {} B ({:.1}x)",
        partial.body.len(),
        full.body.len(),
        full.body.len() as f64 / partial.body.len() as f64
    );

    let mut g = c.benchmark_group("rls_server_notify");
    g.throughput(Throughput::Bytes(partial.body.len() as u64));
    g.bench_function("partial_1pct_of_500", |b| {
        b.iter(|| black_box(s.tick().body.len()))
    });
    g.throughput(Throughput::Bytes(full.body.len() as u64));
    g.bench_function("full_500", |b| b.iter(|| black_box(s.full().body.len())));
    g.finish();

    // 100 watchers of the same list share the 500 back ends: one tick
    // (5 back-end NOTIFYs) fans out to 100 partial NOTIFYs.
    let mut many = setup();
    let mut dir = MemoryDirectory::default();
    let uris: Vec<String> = (0..MEMBERS)
        .map(|i| format!("sip:user{i:03}@example.com"))
        .collect();
    dir.insert(StoredList {
        kind: ListKind::Public,
        service: Service::new(
            "sip:big-list@rls.example.com",
            ServiceSource::List(List::of_uris(&uris)),
        ),
        names: Vec::new(),
    });
    for w in 1..WATCHERS {
        many.server
            .handle_subscribe(
                many.now,
                &ListSubscribe {
                    list_uri: "sip:big-list@rls.example.com".into(),
                    subscriber: format!("sip:watcher{w}@example.com"),
                    package: "presence".into(),
                    supports_eventlist: true,
                    requires_recipient_list: false,
                    body: None,
                },
                &dir,
            )
            .expect("subscribe");
    }
    assert_eq!(many.server.backends(), MEMBERS, "back ends are shared");
    // The first tick aligns the watchers' throttle intervals; from then on
    // each tick is one partial NOTIFY per watcher.
    many.tick_all();
    assert_eq!(many.tick_all(), WATCHERS);
    let mut g = c.benchmark_group("rls_server_fanout");
    g.throughput(Throughput::Bytes((partial.body.len() * WATCHERS) as u64));
    g.bench_function("partial_1pct_of_500_to_100_watchers", |b| {
        b.iter(|| black_box(many.tick_all()))
    });
    g.finish();

    // The subscriber: parse the body and apply it to a table one version
    // behind.
    let limits = NotifyLimits::default();
    let base = {
        let mut v = ListView::new();
        let n = RlmiNotification::parse(&full.content_type, &full.body, &limits).expect("parse");
        v.apply(&n);
        v
    };
    let mut g = c.benchmark_group("rls_subscriber_apply");
    for (name, n) in [("partial_1pct_of_500", &partial), ("full_500", &full)] {
        g.throughput(Throughput::Bytes(n.body.len() as u64));
        g.bench_function(name, |b| {
            b.iter_batched_ref(
                || base.clone(),
                |view| {
                    let mut parsed =
                        RlmiNotification::parse(&n.content_type, &n.body, &limits).expect("parse");
                    parsed.rlmi.version = view.version().unwrap_or(0) + 1;
                    black_box(view.apply(&parsed))
                },
                BatchSize::LargeInput,
            )
        });
    }
    g.finish();

    // Parsing the full-state RLMI document (500 resources) into the typed
    // model, with roxmltree (a read-only DOM, no typed model) on the same
    // bytes as reference.
    let doc = RlmiNotification::parse(&full.content_type, &full.body, &limits)
        .expect("parse")
        .rlmi
        .to_xml();
    let mut g = c.benchmark_group("rlmi_parse_500");
    g.throughput(Throughput::Bytes(doc.len() as u64));
    g.bench_function("rls_rlmi", |b| {
        b.iter(|| black_box(rls::Rlmi::parse(&doc).expect("parses").resources.len()))
    });
    g.bench_function("xml_tree_only", |b| {
        b.iter(|| {
            black_box(
                pidf::xml::Document::parse(&doc, &pidf::xml::Limits::default())
                    .expect("parses")
                    .root
                    .children
                    .len(),
            )
        })
    });
    let text = std::str::from_utf8(&doc).expect("utf-8");
    g.bench_function("roxmltree_reference", |b| {
        b.iter(|| {
            black_box(
                roxmltree::Document::parse(text)
                    .expect("parses")
                    .root_element()
                    .children()
                    .count(),
            )
        })
    });
    g.finish();
}

// The macro's generated functions carry no docs.
#[allow(missing_docs)]
mod group {
    criterion::criterion_group!(benches, super::bench);
}
use group::benches;
criterion_main!(benches);
