//! Resource list subscriptions for SIP presence: the documents, the
//! notification bodies and a Sans-IO list server.
//!
//! A user subscribes to a list (a personal buddy list, a public group kept
//! by an administrator, or an ad-hoc group carried in the SUBSCRIBE); the
//! resource list server (RLS) expands it, opens back-end subscriptions to
//! the members (or one list subscription to a peer domain's RLS), collects
//! their state and sends it back as RLMI notifications.
//!
//! # What is here
//!
//! | module | what | RFC |
//! |---|---|---|
//! | [`rlmi`] | `application/rlmi+xml` documents | 4662 section 5 |
//! | [`resource_lists`] | `application/resource-lists+xml` documents | 4826 section 3 |
//! | [`rls_services`] | `application/rls-services+xml` documents | 4826 section 4 |
//! | [`mime`] | `Content-Type` values and multipart bodies | 2045 5.1, 2046 5.1, 2387 |
//! | [`notify`] | `multipart/related` RLMI notification bodies, full and partial | 4662 sections 4.5, 5 |
//! | [`view`] | the subscriber's per-resource state table, lost-notification detection | 4662 section 5.6 |
//! | [`subscriber`] | what a list SUBSCRIBE carries; NOTIFY handling; refresh flag | 4662 sections 4.1, 4.3; 5367 |
//! | [`expand`] | list expansion: nesting, `entry-ref`, `external`, loops, caps | 4826 section 3.2 |
//! | [`server`] | [`server::ListServer`], the Sans-IO RLS: personal, public and ad-hoc lists, peer RLS, throttling | 4662 section 4; 5367 |
//!
//! Documents are parsed on the workspace's lossless XML tree
//! ([`pidf::xml`]): names are matched by namespace URI, DOCTYPEs are
//! refused, sizes are capped by [`pidf::xml::Limits`], and attributes and
//! elements from other namespaces are kept and written back. Errors say what
//! is wrong and where (an element path, or a byte offset).
//!
//! # What is not here
//!
//! - XCAP (RFC 4825) itself: `entry-ref` and `external` references are
//!   resolved by the application through [`expand::Resolver`].
//! - SIP messages and dialogs: the server takes the essentials of a
//!   SUBSCRIBE ([`server::ListSubscribe`], read from header pairs and the
//!   body by [`server::ListSubscribe::from_request`]) and returns bodies and
//!   headers; transactions, dialogs, subscription expiry and back-end
//!   retries belong to the SIP layer (`sip-core`'s subscription machines).
//! - `multipart/signed` verification (RFC 4662 section 6's S/MIME): signed
//!   parts are carried through unchanged.
//! - Aggregate list state (the list `cid` of RFC 4662 section 5.2) is parsed
//!   and written but never generated. Back-end forking (several instances
//!   per resource) is reported when a peer RLS reports it, but the server
//!   keeps one instance per member.
//! - A peer RLS is reached with a flat ad-hoc list (RFC 5367) and its
//!   members are reported flat, not as a nested list resource as in RFC
//!   4662 section 6.
//!
//! # Sans-IO contract
//!
//! [`server::ListServer`] never reads a clock or touches a socket. Inputs
//! are `handle_*` calls that take `now: Instant`; after any of them, drain
//! [`server::ListServer::poll_event`] (back ends to open or close, NOTIFYs
//! to send), then read [`server::ListServer::poll_timeout`] and call
//! [`server::ListServer::handle_timeout`] when it comes.
//!
//! # Example
//!
//! A public list of two members, one subscriber, one back-end state change:
//!
//! ```
//! use std::time::{Duration, Instant};
//! use rls::resource_lists::List;
//! use rls::rls_services::{Service, ServiceSource};
//! use rls::server::{
//!     BackendState, BackendTarget, ListKind, ListServer, ListSubscribe, MemoryDirectory,
//!     ServerConfig, ServerEvent, StateBody, StoredList,
//! };
//! use rls::subscriber::ListSubscriber;
//! use rls::view::Applied;
//!
//! let mut directory = MemoryDirectory::default();
//! directory.insert(StoredList {
//!     kind: ListKind::Public,
//!     service: Service::new(
//!         "sip:team@example.com",
//!         ServiceSource::List(List::of_uris(&["sip:ann@example.com", "sip:bo@example.com"])),
//!     ),
//!     names: vec![],
//! });
//! let mut server = ListServer::new(ServerConfig {
//!     min_interval: Duration::from_secs(1),
//!     ..ServerConfig::default()
//! });
//! let mut watcher = ListSubscriber::new(&["application/pidf+xml"]);
//!
//! # #[allow(clippy::disallowed_methods)]
//! let t0 = Instant::now(); // in a real program: the event loop's clock
//! let sub = server
//!     .handle_subscribe(
//!         t0,
//!         &ListSubscribe {
//!             list_uri: "sip:team@example.com".into(),
//!             subscriber: "sip:carl@example.com".into(),
//!             package: "presence".into(),
//!             supports_eventlist: true, // from watcher.subscribe_headers()
//!             requires_recipient_list: false,
//!             body: None,
//!         },
//!         &directory,
//!     )
//!     .expect("accepted: answer 200 with Require: eventlist");
//!
//! // Drain events: two back ends to open, and the first (full) NOTIFY.
//! let mut ann = None;
//! while let Some(event) = server.poll_event() {
//!     match event {
//!         ServerEvent::OpenBackend { backend, target: BackendTarget::Resource { uri }, .. } => {
//!             if uri == "sip:ann@example.com" {
//!                 ann = Some(backend);
//!             }
//!         }
//!         ServerEvent::Notify(n) => {
//!             let applied = watcher.handle_notify(&n.content_type, &n.body).unwrap();
//!             assert_eq!(applied, Applied::Full { version: 0 });
//!         }
//!         _ => {}
//!     }
//! }
//!
//! // Ann's presence arrives within the throttle interval: it waits.
//! let pidf = b"<presence xmlns='urn:ietf:params:xml:ns:pidf' entity='pres:ann@example.com'/>";
//! server
//!     .handle_backend_notify(
//!         t0 + Duration::from_millis(200),
//!         ann.unwrap(),
//!         "sip:ann@example.com",
//!         BackendState::Active,
//!         Some(StateBody { content_type: "application/pidf+xml".into(), body: pidf.to_vec() }),
//!     )
//!     .unwrap();
//! assert!(server.poll_event().is_none());
//! let wake = server.poll_timeout().unwrap();
//! assert_eq!(wake, t0 + Duration::from_secs(1));
//! server.handle_timeout(wake);
//! let Some(ServerEvent::Notify(n)) = server.poll_event() else { panic!("a partial NOTIFY") };
//! assert_eq!((n.version, n.full_state, n.resources), (1, false, 1));
//! watcher.handle_notify(&n.content_type, &n.body).unwrap();
//! let row = watcher.view().resource("sip:ann@example.com").unwrap();
//! assert_eq!(row.active_body(), Some(&pidf[..]));
//! # let _ = sub;
//! ```

pub mod common;
pub mod error;
pub mod expand;
mod ids;
pub mod mime;
pub mod notify;
pub mod resource_lists;
pub mod rlmi;
pub mod rls_services;
pub mod server;
pub mod subscriber;
pub mod view;

pub use common::DisplayName;
pub use error::{DocError, DocErrorKind, DocKind, ExpandError, MimeError, MimeErrorKind};
pub use notify::RlmiNotification;
pub use resource_lists::ResourceLists;
pub use rlmi::Rlmi;
pub use rls_services::RlsServices;
pub use server::ListServer;
pub use subscriber::ListSubscriber;
pub use view::ListView;
