//! A list subscription over a lossy, duplicating, reordering in-memory
//! network (testkit's seeded `Net`) on a fake clock: whatever is lost, the
//! subscriber notices gaps, asks for full state, and after the next refresh
//! its table equals what the back ends last reported.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;

use rls::resource_lists::List;
use rls::rls_services::{Service, ServiceSource};
use rls::server::{
    BackendId, BackendState, BackendTarget, ListKind, ListServer, ListSubscribe, MemoryDirectory,
    ServerConfig, ServerEvent, StateBody, StoredList,
};
use rls::subscriber::ListSubscriber;
use rls::view::Applied;
use testkit::net::{Clock, Net, NetConfig, Rng};

const LIST: &str = "sip:team@rls.example.com";
const MEMBERS: usize = 20;

fn run(seed: u64) -> (u64, usize) {
    let server_addr: SocketAddr = "10.0.0.1:5060".parse().unwrap();
    let sub_addr: SocketAddr = "10.0.0.2:5060".parse().unwrap();
    let uris: Vec<String> = (0..MEMBERS)
        .map(|i| format!("sip:u{i}@example.com"))
        .collect();
    let mut dir = MemoryDirectory::default();
    dir.insert(StoredList {
        kind: ListKind::Public,
        service: Service::new(LIST, ServiceSource::List(List::of_uris(&uris))),
        names: Vec::new(),
    });
    let mut clock = Clock::new();
    let mut net = Net::new(
        NetConfig {
            loss: 0.25,
            duplicate: 0.1,
            min_delay: Duration::from_millis(5),
            max_delay: Duration::from_millis(1500),
        },
        seed,
    );
    let mut rng = Rng::new(seed ^ 0xABCD);
    let mut server = ListServer::new(ServerConfig {
        min_interval: Duration::from_millis(500),
        seed,
        ..ServerConfig::default()
    });
    let mut watcher = ListSubscriber::new(&["application/pidf+xml"]);
    let id = server
        .handle_subscribe(
            clock.now(),
            &ListSubscribe {
                list_uri: LIST.into(),
                subscriber: "sip:w@example.com".into(),
                package: "presence".into(),
                supports_eventlist: true,
                requires_recipient_list: false,
                body: None,
            },
            &dir,
        )
        .unwrap();
    let mut backends: Vec<(BackendId, String)> = Vec::new();
    let mut truth: HashMap<String, Vec<u8>> = HashMap::new();
    let mut gaps = 0;
    let mut last_refresh = clock.now();
    let end_changes = clock.now() + Duration::from_secs(120);
    let end = end_changes + Duration::from_secs(60);
    while clock.now() < end {
        // Server output onto the network.
        while let Some(e) = server.poll_event() {
            match e {
                ServerEvent::OpenBackend {
                    backend,
                    target: BackendTarget::Resource { uri },
                    ..
                } => backends.push((backend, uri)),
                ServerEvent::Notify(n) => {
                    let mut data = n.content_type.into_bytes();
                    data.extend_from_slice(b"\n");
                    data.extend_from_slice(&n.body);
                    net.send(clock.now(), server_addr, sub_addr, data);
                }
                _ => {}
            }
        }
        // Deliveries.
        for d in net.deliver(clock.now()) {
            if d.to == server_addr {
                server.handle_refresh(clock.now(), id).unwrap();
                continue;
            }
            let nl = d.data.iter().position(|&b| b == b'\n').unwrap();
            let ct = std::str::from_utf8(&d.data[..nl]).unwrap();
            let applied = watcher.handle_notify(ct, &d.data[nl + 1..]).unwrap();
            if let Applied::Gap { .. } = applied {
                gaps += 1;
            }
        }
        // The subscriber refreshes on a gap (again if that was lost), and
        // periodically as every SIP subscription does.
        let refresh_due = watcher.poll_refresh()
            || (!watcher.is_synced() && clock.now() - last_refresh >= Duration::from_secs(3))
            || clock.now() - last_refresh >= Duration::from_secs(30);
        if refresh_due {
            net.send(clock.now(), sub_addr, server_addr, b"REFRESH".to_vec());
            last_refresh = clock.now();
        }
        // Back ends change while the test runs.
        if clock.now() < end_changes && rng.chance(0.3) && !backends.is_empty() {
            let k = (rng.next_u64() % backends.len() as u64) as usize;
            let (b, uri) = backends[k].clone();
            let body =
                format!("<presence entity=\"{uri}\" n=\"{}\"/>", rng.next_u64()).into_bytes();
            truth.insert(uri.clone(), body.clone());
            server
                .handle_backend_notify(
                    clock.now(),
                    b,
                    &uri,
                    BackendState::Active,
                    Some(StateBody {
                        content_type: "application/pidf+xml".into(),
                        body,
                    }),
                )
                .unwrap();
        }
        if let Some(t) = server.poll_timeout() {
            if t <= clock.now() {
                server.handle_timeout(clock.now());
            }
        }
        clock.advance(Duration::from_millis(100));
    }
    assert!(watcher.is_synced(), "seed {seed}: never resynchronised");
    let view = watcher.view();
    assert_eq!(view.len(), MEMBERS);
    for uri in &uris {
        let row = view.resource(uri).unwrap();
        assert_eq!(
            row.active_body(),
            truth.get(uri).map(Vec::as_slice),
            "seed {seed}: {uri} differs"
        );
    }
    (net.dropped(), gaps)
}

#[test]
fn lossy_network_converges() {
    let mut total_dropped = 0;
    let mut total_gaps = 0;
    for seed in 0..6 {
        let (dropped, gaps) = run(seed);
        total_dropped += dropped;
        total_gaps += gaps;
    }
    // The run really was lossy, and losses really were detected.
    assert!(total_dropped > 20, "{total_dropped}");
    assert!(total_gaps > 5, "{total_gaps}");
}
