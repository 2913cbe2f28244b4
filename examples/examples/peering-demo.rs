//! `peering-demo`: two peer networks, example.com and example.net, talking
//! over loopback, running the RFC 5344 use cases live.
//!
//! Each network is a presence agent, its users (watchers, publishers,
//! pagers) and a peering border. Inside a network the elements exchange
//! messages in process; between the networks every message is serialized
//! and crosses a mutually authenticated TLS connection over TCP on
//! 127.0.0.1 (RFC 5344 section 3; each border listens on an ephemeral
//! port). The certificates come from a demo CA generated at start (see
//! `examples::tls::DemoPki`), written as PEM files into a temporary
//! folder; each carries its domain as subjectAltName URI `sip:<domain>`
//! and DNS `<domain>`. Every message read from a connection goes into
//! `Border::handle_peer_over` with the `PeerIdentity` computed from the
//! peer's certificate (RFC 5922), and the borders require TLS of each
//! other (`PeerEntry::tls`). The MSRP sessions are negotiated in an
//! INVITE dialog across the borders (RFC 4975 section 8): alice's UA sends
//! an INVITE carrying the SDP offer built with `msrp::sdp`, bob's UA
//! answers 180 then 200 with the SDP answer, alice ACKs the 2xx (RFC 3261
//! section 13.2.2.4) and hangs up with BYE after the transfer; both UAs
//! keep a `sip_core::dialog::Dialog`. The users are reached at their
//! addresses of record (no registrar here), so every in-dialog request
//! crosses the same two borders. The sessions run over TLS too (`msrps:`,
//! `TCP/TLS/MSRP`), each side checking the other's certificate against
//! the SDP `a=fingerprint` (RFC 4975 section 14.4, RFC 8122).
//!
//! The last use case shows what the link refuses: a third network,
//! example.org, with a valid certificate from the same CA but not in the
//! peer table (connection closed); an impostor with a certificate for
//! example.net from a CA nobody trusts (handshake fails); a connection
//! authenticated as example.net sending a SUBSCRIBE whose From is in
//! another domain (403 from the border, reason logged); an MSRP session
//! whose certificate does not match the offered fingerprint (refused).
//! These refusals are expected and count as success.
//!
//! The ladder shows what crossed the link: time, direction, method or
//! status, bytes (the SIP message; TLS record overhead not counted).
//!
//! Exits 0 when every step succeeded, 1 otherwise. Every wait has a
//! timeout.
//!
//! ```text
//! peering-demo [--pki-out DIR | --pki DIR]
//! ```
//!
//! `--pki-out DIR` writes the generated PKI there instead of
//! `$TMPDIR/simple-peering-demo-pki`; `--pki DIR` uses real certificates
//! instead, laid out the same way: `DIR/ca.pem` and `DIR/<domain>.pem` +
//! `DIR/<domain>.key` for example.com, example.net, hub.example.org and
//! example.org (the impostor's certificate is always generated).
#![allow(clippy::disallowed_methods)] // an application reads the clock

use std::collections::{HashMap, HashSet, VecDeque};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use examples::tls::{self, Credentials, DemoPki, Framed, PeerCert, SipReader};
use msrp::fingerprint::{Fingerprint, HashFunc};

use msrp::sdp::{MsrpDescription, Sdp, Setup};
use msrp::{MessageSpec, MsrpUri, PeerCertificate, Session};
use rls::resource_lists::{Entry, List};
use rls::rls_services::{Service, ServiceSource};
use rls::server::{ListKind, MemoryDirectory, StoredList};
use simple_presence::agent::{AgentConfig, PresenceAgent};
use simple_presence::border::{Border, BorderConfig, Dest, LinkTransport, PeerEntry, Refused};
use simple_presence::doc::imdn::{Kind, Status};
use simple_presence::identity::PeerIdentity;
use simple_presence::list::ListAgent;
use simple_presence::pager::Pager;
use simple_presence::sip::{aor, domain_of, from_uri, target, NewRequest};
use simple_presence::views::{self, PeerMode};
use simple_presence::watcher::PresenceWatcher;
use sip_core::dialog::{Dialog, DialogId};
use sip_core::header::{CSeq, CallId};
use sip_core::publication::Publisher;
use sip_core::{Bytes, Message, Method, Request, Response, StatusCode, Uri};
use tokio::io::{AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_rustls::rustls::{ClientConfig, ServerConfig};
use tokio_rustls::TlsStream;

const COM: &str = "example.com";
const NET: &str = "example.net";
/// The clearing house: a peer of example.com's (RFC 5344 section 2) that
/// takes no part in the use cases except as a domain to spoof.
const HUB: &str = "hub.example.org";
/// A third network, not a peer of either.
const ORG: &str = "example.org";
/// Longest wait for one message on the link or one TCP read.
const WAIT: Duration = Duration::from_secs(3);
/// Watchers of the many-watchers use case.
const MANY: usize = 1000;
const NOW: &str = "2026-11-25T10:00:00Z";

/// An element inside one network.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
enum Elem {
    Agent,
    Border,
    Users,
    /// The resource list server.
    Rls,
}

type Key = (Bytes, u32, Method);

fn key(m: &Message) -> Option<Key> {
    let c: CallId = m.headers().typed().ok().flatten()?;
    let s: CSeq = m.headers().typed().ok().flatten()?;
    Some((c.0, s.seq, s.method))
}

/// One peer network.
struct Domain {
    name: &'static str,
    agent: PresenceAgent,
    border: Border,
    watchers: HashMap<String, PresenceWatcher>,
    publishers: HashMap<String, Publisher>,
    pagers: HashMap<String, Pager>,
    message_answers: Vec<Response>,
    /// INVITEs that reached a user and are not answered yet (a UA answers
    /// when its user picks up: here, when the use case says so).
    invites: Vec<Request>,
    /// Responses users got to their INVITEs and BYEs.
    call_answers: Vec<Response>,
    /// The dialogs of the INVITEs users accepted (UAS side, RFC 3261
    /// section 12.1.1).
    calls: HashMap<DialogId, Dialog>,
    /// Call-IDs of the ACKs users received for their 2xx.
    acks: Vec<Bytes>,
    lists: Option<ListAgent>,
    /// Who to answer for each request an element received.
    reply_to: HashMap<(Elem, Key), Elem>,
    /// Where the border listens for TLS connections from peers.
    listen: SocketAddr,
    /// What the border's log hook saw refused.
    refusals: Arc<Mutex<Vec<Refused>>>,
    /// NOTIFYs (count, bytes) the border handed to local watchers.
    local_notifies: (usize, usize),
}

impl Domain {
    /// An ACK or BYE for a user's call (RFC 3261 section 12.2.2): an ACK
    /// is taken and never answered; a BYE ends the dialog with 200, or gets
    /// 481 when no dialog matches (section 15.1.2).
    fn in_call(&mut self, r: &Request) -> Option<Response> {
        let id = DialogId::of_incoming(r);
        let ok = id
            .as_ref()
            .and_then(|id| self.calls.get_mut(id))
            .is_some_and(|c| c.handle_request(r).is_ok());
        if *r.method() == Method::ACK {
            if ok {
                let call: Option<CallId> = r.headers().typed().ok().flatten();
                self.acks.extend(call.map(|c| c.0));
            }
            return None;
        }
        if !ok {
            return Some(Response::from_request(
                r,
                StatusCode::CALL_TRANSACTION_DOES_NOT_EXIST,
            ));
        }
        if let Some(mut c) = id.and_then(|id| self.calls.remove(&id)) {
            c.terminate();
        }
        Some(Response::from_request(r, StatusCode::OK))
    }
}

/// Traffic on the link.
#[derive(Default, Clone, Copy)]
struct Link {
    messages: usize,
    bytes: usize,
    notifies: usize,
    notify_bytes: usize,
}

/// The demo PKI: one CA and a certificate per network, as PEM files.
struct Pki {
    dir: PathBuf,
    creds: HashMap<&'static str, Credentials>,
    /// A certificate for example.net from a CA nobody here trusts.
    impostor: Credentials,
}

const USAGE: &str = "\
usage: peering-demo [--pki-out DIR | --pki DIR]

Two peer networks, example.com and example.net, over mutual TLS on
127.0.0.1, running the RFC 5344 use cases; exits 0 when every step
succeeded.
  --pki-out DIR  write the generated demo PKI there (default:
                 $TMPDIR/simple-peering-demo-pki, rewritten every run)
  --pki DIR      use certificates from DIR instead of generating them:
                 ca.pem, and <domain>.pem with <domain>.key for
                 example.com, example.net, hub.example.org, example.org";

impl Pki {
    /// Loads the certificates of every domain from `dir` (see the usage
    /// text); the impostor's comes from a CA generated next to nothing
    /// else, in the temporary folder.
    fn load(dir: &std::path::Path) -> Result<Pki, String> {
        let ca = dir.join("ca.pem");
        let mut creds = HashMap::new();
        for d in [COM, NET, HUB, ORG] {
            let c = Credentials::from_pem_files(
                &dir.join(format!("{d}.pem")),
                &dir.join(format!("{d}.key")),
                &ca,
            )
            .map_err(|e| format!("--pki: {e}"))?;
            creds.insert(d, c);
        }
        let rogue_dir =
            std::env::temp_dir().join(format!("simple-peering-demo-rogue-{}", std::process::id()));
        let rogue =
            DemoPki::new(&rogue_dir, "rogue CA").map_err(|e| format!("the rogue CA: {e}"))?;
        let mut impostor = rogue
            .issue(NET)
            .map_err(|e| format!("the impostor's certificate: {e}"))?;
        let _ = std::fs::remove_dir_all(&rogue_dir);
        impostor.roots = creds.get(NET).map(|c| c.roots.clone()).unwrap_or_default();
        Ok(Pki {
            dir: dir.to_owned(),
            creds,
            impostor,
        })
    }

    /// A demo CA and every certificate, written into `dir`.
    fn generate(dir: PathBuf) -> Result<Pki, String> {
        let ca = DemoPki::new(&dir, "simple-peering demo CA")
            .map_err(|e| format!("the demo CA in {}: {e}", dir.display()))?;
        let mut creds = HashMap::new();
        for d in [COM, NET, HUB, ORG] {
            let c = ca
                .issue(d)
                .map_err(|e| format!("the certificate of {d}: {e}"))?;
            creds.insert(d, c);
        }
        let rogue = DemoPki::new(&ca.dir().join("rogue-ca"), "rogue CA")
            .map_err(|e| format!("the rogue CA: {e}"))?;
        let mut impostor = rogue
            .issue(NET)
            .map_err(|e| format!("the impostor's certificate: {e}"))?;
        // The impostor trusts the real CA, so it gets as far as it can.
        impostor.roots = vec![ca.ca_certificate().clone()];
        Ok(Pki {
            dir: ca.dir().to_owned(),
            creds,
            impostor,
        })
    }

    fn get(&self, domain: &str) -> Result<&Credentials, String> {
        self.creds
            .get(domain)
            .ok_or_else(|| format!("no certificate for {domain}"))
    }
}

/// What the link's connection tasks report.
enum LinkEvent {
    /// A border accepted a connection and verified its client certificate.
    Accepted {
        dom: usize,
        conn: u64,
        remote: SocketAddr,
        peer: PeerCert,
        version: String,
        writer: mpsc::UnboundedSender<Bytes>,
    },
    /// A border refused a connection (handshake, or not a peer).
    Refused {
        dom: usize,
        remote: SocketAddr,
        why: String,
    },
    /// A SIP message read from a connection.
    Msg { conn: u64, msg: Box<Message> },
    /// A connection ended.
    Closed { conn: u64 },
}

/// One TLS connection of a border.
struct Conn {
    dom: usize,
    identity: PeerIdentity,
    writer: mpsc::UnboundedSender<Bytes>,
    /// Both ends are the demo's borders: what is written here is read by
    /// the demo (counted in flight).
    counted: bool,
}

type Tasks = Arc<Mutex<Vec<tokio::task::AbortHandle>>>;

fn keep(tasks: &Tasks, h: tokio::task::AbortHandle) {
    if let Ok(mut t) = tasks.lock() {
        t.push(h);
    }
}

/// Runs a connection: a writer task fed by `wrx`, a reader task that
/// frames SIP messages and reports them as `conn`.
fn start_conn(
    stream: TlsStream<TcpStream>,
    conn: u64,
    writer: mpsc::UnboundedSender<Bytes>,
    mut wrx: mpsc::UnboundedReceiver<Bytes>,
    tx: mpsc::UnboundedSender<LinkEvent>,
    tasks: &Tasks,
) {
    let (rd, mut wr) = tokio::io::split(stream);
    let w = tokio::spawn(async move {
        while let Some(b) = wrx.recv().await {
            if wr.write_all(&b).await.is_err() {
                return;
            }
            if wrx.is_empty() && wr.flush().await.is_err() {
                return;
            }
        }
        let _ = wr.shutdown().await;
    });
    keep(tasks, w.abort_handle());
    let r = tokio::spawn(async move {
        let mut rd = SipReader::new(rd, views::limits());
        loop {
            match rd.next().await {
                Ok(Some(Framed::Message(msg))) => {
                    if tx.send(LinkEvent::Msg { conn, msg }).is_err() {
                        return;
                    }
                }
                // RFC 5626 keep-alive: answer the ping.
                Ok(Some(Framed::Ping)) => {
                    let _ = writer.send(Bytes::from_static(b"\r\n"));
                }
                Ok(Some(Framed::Pong)) => {}
                Ok(None) | Err(_) => break,
            }
        }
        let _ = tx.send(LinkEvent::Closed { conn });
    });
    keep(tasks, r.abort_handle());
}

/// A border's listener: accepts TLS connections, verifies the client
/// certificate against the CA (in the handshake), then refuses any
/// connection whose certificate authenticates no domain of the peer
/// table (RFC 5344 section 3).
struct Listener {
    dom: usize,
    listener: TcpListener,
    config: Arc<ServerConfig>,
    peers: Vec<PeerEntry>,
    tx: mpsc::UnboundedSender<LinkEvent>,
    ids: Arc<AtomicU64>,
    tasks: Tasks,
}

impl Listener {
    fn spawn(self) {
        let tasks = self.tasks.clone();
        let h = tokio::spawn(async move {
            while let Ok((tcp, remote)) = self.listener.accept().await {
                let (config, peers, tx) =
                    (self.config.clone(), self.peers.clone(), self.tx.clone());
                let (ids, conn_tasks, dom) = (self.ids.clone(), self.tasks.clone(), self.dom);
                let h = tokio::spawn(async move {
                    let (mut s, peer) = match tls::accept(config, tcp).await {
                        Ok(x) => x,
                        Err(e) => {
                            let why = format!("handshake failed: {e}");
                            let _ = tx.send(LinkEvent::Refused { dom, remote, why });
                            return;
                        }
                    };
                    if peer.peer_in(&peers).is_none() {
                        let why = format!(
                            "its certificate [{}] authenticates {}, not a peer in the table",
                            peer.describe(),
                            peer.domains()
                        );
                        let _ = tx.send(LinkEvent::Refused { dom, remote, why });
                        let _ = tokio::time::timeout(WAIT, s.shutdown()).await;
                        return;
                    }
                    let conn = ids.fetch_add(1, Ordering::Relaxed);
                    let version = tls::version(s.get_ref().1);
                    let (writer, wrx) = mpsc::unbounded_channel();
                    let _ = tx.send(LinkEvent::Accepted {
                        dom,
                        conn,
                        remote,
                        peer,
                        version,
                        writer: writer.clone(),
                    });
                    start_conn(s, conn, writer, wrx, tx, &conn_tasks);
                });
                keep(&self.tasks, h.abort_handle());
            }
        });
        keep(&tasks, h.abort_handle());
    }
}

/// `[example.net]`: the domains an identity covers.
fn shown(id: &PeerIdentity) -> String {
    let d: Vec<&str> = id.domains().iter().map(|d| d.as_str()).collect();
    format!("[{}]", d.join(", "))
}

/// Both networks and the link between them.
struct Demo {
    doms: Vec<Domain>,
    inside: VecDeque<(usize, Elem, Elem, Message)>,
    start: Instant,
    /// Messages written between the borders and not yet read.
    in_flight: usize,
    /// Intruders' attempts not yet seen by a border.
    external: usize,
    link: Link,
    /// Print one ladder line per message.
    ladder: bool,
    /// Otherwise: (count, bytes) per label.
    summary: std::collections::BTreeMap<String, (usize, usize)>,
    /// The TLS client configuration of each border.
    clients: Vec<Arc<ClientConfig>>,
    link_tx: mpsc::UnboundedSender<LinkEvent>,
    link_rx: mpsc::UnboundedReceiver<LinkEvent>,
    conns: HashMap<u64, Conn>,
    /// The connection each peer request came in on, for its response.
    reply: HashMap<(usize, Key), u64>,
    /// Local addresses of the connections the borders opened to each other.
    own: HashSet<SocketAddr>,
    ids: Arc<AtomicU64>,
    tasks: Tasks,
    /// Connections the borders refused: (border, reason).
    refused: Vec<(usize, String)>,
}

impl Drop for Demo {
    fn drop(&mut self) {
        if let Ok(t) = self.tasks.lock() {
            for h in t.iter() {
                h.abort();
            }
        }
    }
}

fn plural(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

fn label(m: &Message) -> String {
    let cseq: Option<CSeq> = m.headers().typed().ok().flatten();
    let event = m
        .headers()
        .iter()
        .find(|(n, _)| {
            n.as_bytes().eq_ignore_ascii_case(b"Event") || n.as_bytes().eq_ignore_ascii_case(b"o")
        })
        .map(|(_, v)| String::from_utf8_lossy(v).into_owned());
    let header = |name: &[u8]| {
        m.headers()
            .iter()
            .find(|(n, _)| n.as_bytes().eq_ignore_ascii_case(name))
            .map(|(_, v)| String::from_utf8_lossy(v).into_owned())
            .unwrap_or_default()
    };
    let mut what: Vec<String> = event.into_iter().collect();
    if header(b"Supported").contains("eventlist") && m.body().is_empty() {
        what.push("eventlist".into());
    }
    if header(b"Content-Type").starts_with("multipart/related") {
        what.push("RLMI".into());
    }
    let ct: Option<sip_core::header::ContentType> = m.headers().typed().ok().flatten();
    if let (Some(ct), Message::Request(r)) = (ct, m) {
        if *r.method() == Method::NOTIFY && header(b"Content-Type").starts_with("multipart/mixed") {
            match views::ViewBundle::parse(&ct.0, r.body()) {
                Ok(b) if b.views.iter().any(|v| !v.watchers.is_empty()) => what.push(format!(
                    "{} for {}",
                    plural(b.documents(), "view"),
                    plural(
                        b.views.iter().map(|v| v.watchers.len()).sum::<usize>(),
                        "watcher"
                    )
                )),
                _ => {
                    if let Ok(dl) = views::Delegated::parse(&ct.0, r.body()) {
                        what.push(
                            if dl.rules.is_some() {
                                "full doc + rules"
                            } else {
                                "full doc"
                            }
                            .into(),
                        );
                    }
                }
            }
        }
    }
    let sdp = header(b"Content-Type")
        .starts_with("application/sdp")
        .then(|| sdp_summary(m.body()));
    let imdn = b"imdn+xml";
    if m.body().windows(imdn.len()).any(|w| w == imdn) {
        what.push("IMDN".into());
    } else if header(b"Content-Type").starts_with("message/cpim") {
        what.push("CPIM".into());
    }
    match m {
        Message::Request(r) if *r.method() == Method::INVITE && sdp.is_some() => {
            format!("INVITE (SDP offer: {})", sdp.unwrap_or_default())
        }
        Message::Request(r) if what.is_empty() => r.method().to_string(),
        Message::Request(r) => format!("{} ({})", r.method(), what.join(", ")),
        Message::Response(r) => format!(
            "{} ({}{})",
            r.status().as_u16(),
            cseq.map(|c| c.method.to_string()).unwrap_or_default(),
            sdp.map(|s| format!(", SDP answer: {s}"))
                .unwrap_or_default()
        ),
    }
}

/// What an MSRP SDP body describes, in a few words: chat or file, the
/// setup role.
fn sdp_summary(body: &[u8]) -> String {
    let Some(d) = Sdp::parse(body)
        .ok()
        .and_then(|s| MsrpDescription::from_sdp(&s).ok())
    else {
        return "unreadable".into();
    };
    let what = match d.file.as_ref().and_then(|f| f.selector.name.clone()) {
        Some(name) => format!("file {name}"),
        None if d.file.is_some() => "file".into(),
        None => "chat".into(),
    };
    format!(
        "{what}, setup:{}",
        d.setup.map(Setup::as_str).unwrap_or("-")
    )
}

impl Demo {
    async fn new(mode: PeerMode, pki: &Pki) -> Result<Demo, String> {
        let (link_tx, link_rx) = mpsc::unbounded_channel();
        let ids = Arc::new(AtomicU64::new(0));
        let tasks: Tasks = Arc::default();
        let mut doms = Vec::new();
        let mut clients = Vec::new();
        for (i, (name, other)) in [(COM, NET), (NET, COM)].into_iter().enumerate() {
            let creds = pki.get(name)?;
            let listener = TcpListener::bind("127.0.0.1:0")
                .await
                .map_err(|e| format!("listen for the {name} border: {e}"))?;
            let listen = listener
                .local_addr()
                .map_err(|e| format!("local address: {e}"))?;
            let mut peers = vec![PeerEntry::new(other, mode).tls()];
            if name == COM {
                peers.push(PeerEntry::new(HUB, mode).tls());
            }
            Listener {
                dom: i,
                listener,
                config: creds
                    .server_config()
                    .map_err(|e| format!("{name} TLS server: {e}"))?,
                peers: peers.clone(),
                tx: link_tx.clone(),
                ids: ids.clone(),
                tasks: tasks.clone(),
            }
            .spawn();
            clients.push(
                creds
                    .client_config()
                    .map_err(|e| format!("{name} TLS client: {e}"))?,
            );
            let mut border = Border::new(BorderConfig::new(name, peers));
            let refusals: Arc<Mutex<Vec<Refused>>> = Arc::default();
            let log = refusals.clone();
            border.set_log(Box::new(move |r: &Refused| {
                if let Ok(mut l) = log.lock() {
                    l.push(r.clone());
                }
            }));
            doms.push(Domain {
                name,
                agent: PresenceAgent::new(AgentConfig::new(name)),
                border,
                watchers: HashMap::new(),
                publishers: HashMap::new(),
                pagers: HashMap::new(),
                message_answers: Vec::new(),
                invites: Vec::new(),
                call_answers: Vec::new(),
                calls: HashMap::new(),
                acks: Vec::new(),
                lists: None,
                reply_to: HashMap::new(),
                listen,
                refusals,
                local_notifies: (0, 0),
            });
        }
        Ok(Demo {
            doms,
            inside: VecDeque::new(),
            start: Instant::now(),
            in_flight: 0,
            external: 0,
            link: Link::default(),
            ladder: true,
            summary: Default::default(),
            clients,
            link_tx,
            link_rx,
            conns: HashMap::new(),
            reply: HashMap::new(),
            own: HashSet::new(),
            ids,
            tasks,
            refused: Vec::new(),
        })
    }

    fn addr(&self, i: usize) -> Result<SocketAddr, String> {
        Ok(self.doms.get(i).ok_or("no such network")?.listen)
    }

    fn ms(&self) -> f64 {
        self.start.elapsed().as_secs_f64() * 1000.0
    }

    fn idx(name: &str) -> usize {
        usize::from(name == NET)
    }

    /// Routes a message from element `from` inside network `i`.
    fn route_inside(&mut self, i: usize, from: Elem, m: Message) {
        let d = &mut self.doms[i];
        let to = match &m {
            // A provisional response keeps the way back for the final one.
            Message::Response(x) => match key(&m).and_then(|k| {
                if x.status().is_provisional() {
                    d.reply_to.get(&(from, k)).copied()
                } else {
                    d.reply_to.remove(&(from, k))
                }
            }) {
                Some(to) => to,
                None => return,
            },
            Message::Request(r) => {
                let t = target(r);
                let dom = domain_of(&t).unwrap_or_default();
                let list = r.headers().iter().any(|(n, v)| {
                    n.as_bytes().eq_ignore_ascii_case(b"Supported")
                        && v.windows(9).any(|x| x == b"eventlist")
                });
                if dom != d.name {
                    Elem::Border
                } else if t.contains("rls@") || (list && *r.method() == Method::SUBSCRIBE) {
                    Elem::Rls
                } else if *r.method() == Method::SUBSCRIBE || *r.method() == Method::PUBLISH {
                    Elem::Agent
                } else {
                    Elem::Users
                }
            }
        };
        if to != from {
            self.inside.push_back((i, from, to, m));
        }
    }

    /// A TLS connection of border `i` whose peer authenticated `domain`:
    /// an open one (either direction; both ends were verified, so a
    /// connection the peer opened carries our requests too, as RFC 5923
    /// allows), else a new one to that domain's border, which must present
    /// a certificate for it. Only connections between the demo's own
    /// borders count: one an intruder opened with the peer's certificate
    /// (use case 6c) authenticates the peer too, but nobody reads it once
    /// the intruder has its answer.
    async fn conn_to(&mut self, i: usize, domain: &str) -> Result<u64, String> {
        let open = self
            .conns
            .iter()
            .filter(|(_, c)| {
                c.dom == i && c.counted && c.identity.covers(domain) && !c.writer.is_closed()
            })
            .map(|(id, _)| *id)
            .min();
        if let Some(id) = open {
            return Ok(id);
        }
        let j = self
            .doms
            .iter()
            .position(|d| d.name.eq_ignore_ascii_case(domain))
            .ok_or_else(|| format!("no border address for {domain}"))?;
        let (s, peer) = tls::connect(self.clients[i].clone(), self.doms[j].listen, domain)
            .await
            .map_err(|e| format!("TLS from {} to {domain}: {e}", self.doms[i].name))?;
        if let Ok(local) = s.get_ref().0.local_addr() {
            self.own.insert(local);
        }
        println!(
            "  {:>7.1} ms  {COM} {} {NET}  TLS connect ({}): {domain}'s certificate [{}] verified against the demo CA; identity {}",
            self.ms(),
            if i == 0 { "==>" } else { "<==" },
            tls::version(s.get_ref().1),
            peer.describe(),
            shown(&peer.identity)
        );
        let conn = self.ids.fetch_add(1, Ordering::Relaxed);
        let (writer, wrx) = mpsc::unbounded_channel();
        start_conn(
            s,
            conn,
            writer.clone(),
            wrx,
            self.link_tx.clone(),
            &self.tasks,
        );
        self.conns.insert(
            conn,
            Conn {
                dom: i,
                identity: peer.identity,
                writer,
                counted: true,
            },
        );
        Ok(conn)
    }

    /// Serializes `m` onto the TLS link from network `i`'s border to
    /// `domain`: a response on the connection its request came in on, a
    /// request on a connection to `domain`.
    async fn send_link(&mut self, i: usize, domain: &str, m: &Message) -> Result<(), String> {
        let back = match m {
            Message::Response(x) if x.status().is_provisional() => {
                key(m).and_then(|k| self.reply.get(&(i, k)).copied())
            }
            Message::Response(_) => key(m).and_then(|k| self.reply.remove(&(i, k))),
            Message::Request(_) => None,
        };
        let conn = match back {
            Some(c) if self.conns.contains_key(&c) => c,
            _ => self.conn_to(i, domain).await?,
        };
        let bytes = m.to_bytes();
        let c = self.conns.get(&conn).ok_or("the connection went away")?;
        c.writer
            .send(bytes.clone())
            .map_err(|_| format!("the TLS connection from {} closed", self.doms[i].name))?;
        if !c.counted {
            // Written back to an intruder; the demo does not read it.
            return Ok(());
        }
        self.in_flight += 1;
        self.link.messages += 1;
        self.link.bytes += bytes.len();
        if matches!(m, Message::Request(r) if *r.method() == Method::NOTIFY) {
            self.link.notifies += 1;
            self.link.notify_bytes += bytes.len();
        }
        if !self.ladder {
            let e = self.summary.entry(label(m)).or_default();
            e.0 += 1;
            e.1 += bytes.len();
        } else {
            println!(
                "  {:>7.1} ms  {COM} {} {NET}  {:<40} {:>6} B",
                self.ms(),
                if i == 0 { "-->" } else { "<--" },
                label(m),
                bytes.len()
            );
        }
        Ok(())
    }

    /// Collects every element's output.
    async fn drain(&mut self) -> Result<(), String> {
        for i in 0..2 {
            while let Some(r) = self.doms[i].agent.poll_transmit() {
                self.route_inside(i, Elem::Agent, Message::Request(r));
            }
            let mut out = Vec::new();
            for w in self.doms[i].watchers.values_mut() {
                while let Some(r) = w.poll_transmit() {
                    out.push(r);
                }
            }
            for p in self.doms[i].pagers.values_mut() {
                while let Some(r) = p.poll_transmit() {
                    out.push(r);
                }
            }
            for r in out {
                self.route_inside(i, Elem::Users, Message::Request(r));
            }
            let mut out = Vec::new();
            if let Some(l) = &mut self.doms[i].lists {
                while let Some(r) = l.poll_transmit() {
                    out.push(r);
                }
            }
            for r in out {
                self.route_inside(i, Elem::Rls, Message::Request(r));
            }
            while let Some(t) = self.doms[i].border.poll_transmit() {
                match t.dest {
                    Dest::Inside => self.route_inside(i, Elem::Border, t.message),
                    Dest::Peer { domain, .. } => self.send_link(i, &domain, &t.message).await?,
                }
            }
        }
        Ok(())
    }

    /// Runs both networks until nothing is in flight on the link and every
    /// intruder's attempt has reached a border.
    async fn run(&mut self) -> Result<(), String> {
        for _ in 0..1_000_000 {
            self.drain().await?;
            if let Some((i, from, to, m)) = self.inside.pop_front() {
                self.deliver_inside(i, from, to, m);
                continue;
            }
            if self.in_flight == 0 && self.external == 0 {
                return Ok(());
            }
            let ev = tokio::time::timeout(WAIT, self.link_rx.recv())
                .await
                .map_err(|_| {
                    format!(
                        "{} message(s) on the link never arrived within {WAIT:?}",
                        self.in_flight + self.external
                    )
                })?
                .ok_or("the link's tasks stopped")?;
            self.on_link(ev);
        }
        Err("the networks did not settle".into())
    }

    fn on_link(&mut self, ev: LinkEvent) {
        match ev {
            LinkEvent::Accepted {
                dom,
                conn,
                remote,
                peer,
                version,
                writer,
            } => {
                let counted = self.own.remove(&remote);
                println!(
                    "  {:>7.1} ms  {COM} {} {NET}  TLS accept ({version}): client certificate [{}] verified against the demo CA; identity {}",
                    self.ms(),
                    if dom == 1 { "==>" } else { "<==" },
                    peer.describe(),
                    shown(&peer.identity)
                );
                self.conns.insert(
                    conn,
                    Conn {
                        dom,
                        identity: peer.identity,
                        writer,
                        counted,
                    },
                );
            }
            LinkEvent::Refused { dom, remote, why } => {
                self.external = self.external.saturating_sub(1);
                println!(
                    "  {:>7.1} ms  the {} border REFUSED the connection from {remote}: {why}",
                    self.ms(),
                    self.doms[dom].name
                );
                self.refused.push((dom, why));
            }
            LinkEvent::Msg { conn, msg } => {
                let Some(c) = self.conns.get(&conn) else {
                    return;
                };
                let (i, identity, counted) = (c.dom, c.identity.clone(), c.counted);
                if counted {
                    self.in_flight = self.in_flight.saturating_sub(1);
                } else {
                    self.external = self.external.saturating_sub(1);
                    println!(
                        "  {:>7.1} ms  the {} border reads {} from a connection authenticated as {}",
                        self.ms(),
                        self.doms[i].name,
                        label(&msg),
                        shown(&identity)
                    );
                }
                // An ACK is never answered (RFC 3261 section 13.2.2.4).
                if let (Message::Request(r), Some(k)) = (&*msg, key(&msg)) {
                    if *r.method() != Method::ACK {
                        self.reply.insert((i, k), conn);
                    }
                }
                let d = &mut self.doms[i];
                d.border
                    .handle_peer_over(Instant::now(), &identity, LinkTransport::Tls, *msg);
                let refused: Vec<Refused> = d
                    .refusals
                    .lock()
                    .map(|mut l| std::mem::take(&mut *l))
                    .unwrap_or_default();
                for r in refused {
                    println!(
                        "  {:>7.1} ms  the {} border REFUSED {} with 403: {}",
                        self.ms(),
                        self.doms[i].name,
                        r.method,
                        r.reason
                    );
                }
            }
            LinkEvent::Closed { conn } => {
                self.conns.remove(&conn);
            }
        }
    }

    fn deliver_inside(&mut self, i: usize, from: Elem, to: Elem, m: Message) {
        let now = Instant::now();
        if let (Message::Request(r), Some(k)) = (&m, key(&m)) {
            if *r.method() != Method::ACK {
                self.doms[i].reply_to.insert((to, k), from);
            }
        }
        let d = &mut self.doms[i];
        match (to, m) {
            (Elem::Border, m) => d.border.handle_inside(now, m),
            (Elem::Agent, Message::Request(r)) => {
                let x = d.agent.handle_request(now, &r);
                self.route_inside(i, to, Message::Response(x));
            }
            (Elem::Agent, Message::Response(x)) => d.agent.handle_response(&x),
            (Elem::Rls, Message::Request(r)) => {
                let x = match &mut d.lists {
                    Some(l) => l.handle_request(now, &r),
                    None => Response::from_request(&r, StatusCode::NOT_FOUND),
                };
                self.route_inside(i, to, Message::Response(x));
            }
            (Elem::Rls, Message::Response(x)) => {
                if let Some(l) = &mut d.lists {
                    l.handle_response(now, &x);
                }
            }
            (Elem::Users, Message::Request(r)) => {
                if from == Elem::Border && *r.method() == Method::NOTIFY {
                    d.local_notifies.0 += 1;
                    d.local_notifies.1 += Message::Request(r.clone()).to_bytes().len();
                }
                if *r.method() == Method::INVITE {
                    d.invites.push(r);
                    return;
                }
                if *r.method() == Method::ACK || *r.method() == Method::BYE {
                    let Some(x) = d.in_call(&r) else { return };
                    return self.route_inside(i, to, Message::Response(x));
                }
                let who = aor(&target(&r)).unwrap_or_default();
                let x = match d.watchers.get_mut(&who) {
                    Some(w) if *r.method() == Method::NOTIFY => w.handle_notify(now, &r),
                    _ if *r.method() == Method::MESSAGE => d
                        .pagers
                        .entry(who.clone())
                        .or_insert_with(|| Pager::new(&who))
                        .handle_message(NOW, &r),
                    _ => Response::from_request(&r, StatusCode::NOT_FOUND),
                };
                self.route_inside(i, to, Message::Response(x));
            }
            (Elem::Users, Message::Response(x)) => {
                let who = from_uri(x.headers())
                    .and_then(|u| aor(&u))
                    .unwrap_or_default();
                let method = x.headers().typed::<CSeq>().ok().flatten().map(|c| c.method);
                if method == Some(Method::MESSAGE) {
                    d.message_answers.push(x);
                } else if method == Some(Method::INVITE) || method == Some(Method::BYE) {
                    d.call_answers.push(x);
                } else if method == Some(Method::PUBLISH) {
                    if let Some(again) = d
                        .publishers
                        .get_mut(&who)
                        .and_then(|p| p.handle_response(now, &x))
                    {
                        self.route_inside(i, to, Message::Request(again));
                    }
                } else if let Some(w) = d.watchers.get_mut(&who) {
                    w.handle_response(now, &x);
                }
            }
        }
    }

    fn subscribe(&mut self, user: &str, resource: &str) -> Result<(), String> {
        self.subscribe_as(user, resource, false)
    }

    /// Subscribes `user` to `resource`, a list (RFC 4662) when `list`.
    fn subscribe_as(&mut self, user: &str, resource: &str, list: bool) -> Result<(), String> {
        let i = Self::idx(&domain_of(user).unwrap_or_default());
        let r = self.doms[i]
            .watchers
            .entry(user.to_owned())
            .or_insert_with(|| PresenceWatcher::new(user))
            .subscribe(Instant::now(), resource, "presence", list)
            .ok_or_else(|| format!("{user} cannot subscribe to {resource}"))?;
        self.route_inside(i, Elem::Users, Message::Request(r));
        Ok(())
    }

    fn publish(&mut self, user: &str, status: &str, note: &str) -> Result<(), String> {
        let dom = domain_of(user).unwrap_or_default();
        let i = Self::idx(&dom);
        let uri = Uri::parse_str(user).map_err(|e| format!("{user}: {e}"))?;
        let p = self.doms[i]
            .publishers
            .entry(user.to_owned())
            .or_insert_with(|| {
                Publisher::new(
                    &uri,
                    &format!("<{user}>;tag=pub"),
                    &format!("pub.{user}"),
                    "presence",
                    3600,
                    Duration::from_millis(500),
                )
            });
        let doc = format!(
            "<presence xmlns=\"urn:ietf:params:xml:ns:pidf\" entity=\"{user}\">\
             <tuple id=\"im\"><status><basic>{status}</basic></status>\
             <contact>{user}</contact><note>{note}</note></tuple>\
             <tuple id=\"mail\"><status><basic>open</basic></status>\
             <contact>mailto:desk@{dom}</contact></tuple></presence>"
        );
        let ct = simple_presence::sip::content_type("application/pidf+xml")
            .ok_or("the PIDF content type")?;
        if let Some(r) = p.publish(Instant::now(), &ct, Bytes::from(doc)) {
            self.route_inside(i, Elem::Users, Message::Request(r));
        }
        Ok(())
    }

    /// `from`'s UA calls `to` (RFC 3261 section 13.2.1): an INVITE with
    /// the SDP `offer`, Call-ID `call`, into `from`'s network. Both are
    /// `sips:` URIs: the offer's `a=fingerprint` is only as good as the
    /// integrity of the signalling that carries it (RFC 4975 section 14.4).
    fn invite(
        &mut self,
        from: &str,
        to: &str,
        call: &str,
        offer: Bytes,
    ) -> Result<Request, String> {
        let i = Self::idx(&domain_of(from).unwrap_or_default());
        let ct =
            simple_presence::sip::content_type("application/sdp").ok_or("the SDP content type")?;
        let r = NewRequest {
            method: Method::INVITE,
            to,
            from,
            tag: &format!("{call}-a"),
            call_id: call,
            contact: Some(from),
            event: None,
            expires: None,
        }
        .build(Some((&ct, offer)))
        .ok_or_else(|| format!("the INVITE from {from} to {to}"))?;
        self.route_inside(i, Elem::Users, Message::Request(r.clone()));
        Ok(r)
    }

    /// The INVITE of `call` that reached a user of network `i`, taken off
    /// the queue of unanswered ones.
    fn take_invite(&mut self, i: usize, call: &str) -> Option<Request> {
        let d = &mut self.doms[i];
        let at = d.invites.iter().position(|r| {
            r.headers()
                .typed::<CallId>()
                .ok()
                .flatten()
                .is_some_and(|c| &c.0[..] == call.as_bytes())
        })?;
        Some(d.invites.remove(at))
    }

    /// A user of network `i` answers `invite` with `status` (a 1xx other
    /// than 100, or a final), with the SDP `answer` if given. A 2xx makes
    /// the dialog (RFC 3261 section 12.1.1), with the user's address of
    /// record as Contact (`sips:`, as the INVITE's Request-URI was:
    /// section 8.1.1.8).
    fn answer(
        &mut self,
        i: usize,
        invite: &Request,
        status: StatusCode,
        answer: Option<Bytes>,
    ) -> Result<(), String> {
        let call: CallId = invite
            .headers()
            .typed()
            .ok()
            .flatten()
            .ok_or("an INVITE without Call-ID")?;
        let mut x = Response::from_request(invite, status);
        x.set_to_tag(&format!("{}-b", String::from_utf8_lossy(&call.0)));
        if status.is_success() {
            x.headers_mut().push(
                sip_core::HeaderName::CONTACT,
                format!("<{}>", target(invite)),
            );
        }
        if let Some(body) = answer {
            let ct = simple_presence::sip::content_type("application/sdp")
                .ok_or("the SDP content type")?;
            x.headers_mut().set_typed(&ct);
            x.set_body(body);
        }
        if status.is_success() {
            let dialog =
                Dialog::uas(invite, &x).map_err(|e| format!("the callee's dialog: {e}"))?;
            self.doms[i].calls.insert(dialog.id().clone(), dialog);
        }
        self.route_inside(i, Elem::Users, Message::Response(x));
        Ok(())
    }

    /// The last response of `method` the users of network `i` got in
    /// `call`.
    fn call_answer(&self, i: usize, call: &str, method: &Method) -> Option<&Response> {
        self.doms[i].call_answers.iter().rev().find(|x| {
            let c: Option<CallId> = x.headers().typed().ok().flatten();
            let s: Option<CSeq> = x.headers().typed().ok().flatten();
            c.is_some_and(|c| &c.0[..] == call.as_bytes()) && s.is_some_and(|s| s.method == *method)
        })
    }

    /// The document `user` holds for `of`, as text.
    fn seen(&self, user: &str, of: &str) -> Option<String> {
        let i = Self::idx(&domain_of(user)?);
        let p = self.doms[i].watchers.get(user)?.presence(of)?;
        let mut out = Vec::new();
        p.write(&mut out);
        Some(String::from_utf8_lossy(&out).into_owned())
    }

    fn set_rules(&mut self, user: &str, rules: &str) -> Result<(), String> {
        let i = Self::idx(&domain_of(user).unwrap_or_default());
        let rs = policy::RuleSet::parse(
            format!(
                r#"<ruleset xmlns="urn:ietf:params:xml:ns:common-policy"
    xmlns:pr="urn:ietf:params:xml:ns:pres-rules">{rules}</ruleset>"#
            )
            .as_bytes(),
        )
        .map_err(|e| format!("rules of {user}: {e}"))?;
        self.doms[i].agent.set_rules(Instant::now(), user, rs);
        Ok(())
    }
}

fn check(ok: bool, what: &str) -> Result<(), String> {
    if ok {
        println!("  ok: {what}");
        Ok(())
    } else {
        Err(format!("check failed: {what}"))
    }
}

const ALLOW_ALL: &str = "<actions><pr:sub-handling>allow</pr:sub-handling></actions>\
  <transformations><pr:provide-services><pr:all-services/></pr:provide-services>\
  <pr:provide-all-attributes/></transformations>";

async fn inter_domain(pki: &Pki) -> Result<(), String> {
    println!("\n== 1. inter-domain subscription: alice@example.com watches bob@example.net ==");
    let (alice, bob) = ("sip:alice@example.com", "sip:bob@example.net");
    let mut d = Demo::new(PeerMode::PerView, pki).await?;
    println!(
        "  example.com border on tls {}, example.net border on tls {} (mutual TLS over TCP)",
        d.addr(0)?,
        d.addr(1)?
    );
    d.set_rules(
        bob,
        &format!(
            r#"<rule id="a"><conditions><identity><one id="{alice}"/></identity></conditions>{ALLOW_ALL}</rule>"#
        ),
    )?;
    d.publish(bob, "open", "in a meeting")?;
    d.run().await?;
    d.subscribe(alice, bob)?;
    d.run().await?;
    let doc = d.seen(alice, bob).unwrap_or_default();
    check(
        doc.contains("in a meeting"),
        "alice has bob's document (note \"in a meeting\")",
    )?;
    println!("  bob publishes an update");
    d.publish(bob, "closed", "gone home")?;
    d.run().await?;
    let doc = d.seen(alice, bob).unwrap_or_default();
    check(
        doc.contains("gone home") && doc.contains("closed"),
        "the update crossed: alice sees closed, \"gone home\"",
    )?;
    Ok(())
}

async fn public_group(pki: &Pki) -> Result<(), String> {
    println!("\n== 2. public-group list subscription across domains: alice@example.com watches sip:friends@example.net ==");
    let group = "sip:friends@example.net";
    let alice = "sip:alice@example.com";
    let members = [
        ("sip:bob@example.net", "bob here"),
        ("sip:carol@example.net", "carol here"),
    ];
    let mut d = Demo::new(PeerMode::PerView, pki).await?;
    let list = members
        .iter()
        .fold(List::new(None), |l, (m, _)| l.with_entry(Entry::new(*m)));
    let mut dir = MemoryDirectory::default();
    dir.insert(StoredList {
        kind: ListKind::Public,
        service: Service::new(group, ServiceSource::List(list)),
        names: Vec::new(),
    });
    d.doms[1].lists = Some(ListAgent::new(NET, dir));
    // The members let example.net's list server (subscribing as itself)
    // see them.
    for (m, note) in members {
        d.set_rules(
            m,
            &format!(
                r#"<rule id="rls"><conditions><identity><one id="sip:rls@example.net"/></identity></conditions>{ALLOW_ALL}</rule>"#
            ),
        )?;
        d.publish(m, "open", note)?;
    }
    d.run().await?;
    d.subscribe_as(alice, group, true)?;
    d.run().await?;
    let row = |d: &Demo, m: &str| -> String {
        d.doms[0]
            .watchers
            .get(alice)
            .and_then(|w| w.list(group))
            .and_then(|v| v.resource(m))
            .and_then(|r| r.active_body())
            .map(|b| String::from_utf8_lossy(b).into_owned())
            .unwrap_or_default()
    };
    for (m, note) in members {
        check(
            row(&d, m).contains(note),
            &format!("alice's list view has {m} (\"{note}\")"),
        )?;
    }
    println!("  bob publishes an update");
    d.publish(members[0].0, "closed", "bob left")?;
    d.run().await?;
    check(
        row(&d, members[0].0).contains("bob left"),
        "the change reached alice as a list notification",
    )?;
    Ok(())
}

fn user(i: usize) -> String {
    format!("sip:w{i}@example.com")
}

/// Friends see everything, colleagues the services without notes, the rest
/// of example.com the neutral document (polite-block).
fn three_rule_sets(n: usize) -> String {
    let ones = |r: std::ops::Range<usize>| {
        r.map(|i| format!("<one id=\"{}\"/>", user(i)))
            .collect::<String>()
    };
    format!(
        r#"<rule id="all"><conditions><identity><many domain="example.com"/></identity></conditions>
  <actions><pr:sub-handling>polite-block</pr:sub-handling></actions><transformations/></rule>
<rule id="friends"><conditions><identity>{}</identity></conditions>{ALLOW_ALL}</rule>
<rule id="colleagues"><conditions><identity>{}</identity></conditions>
  <actions><pr:sub-handling>allow</pr:sub-handling></actions>
  <transformations><pr:provide-services><pr:service-uri-scheme>sip</pr:service-uri-scheme></pr:provide-services></transformations></rule>"#,
        ones(0..n / 3),
        ones(n / 3..2 * n / 3)
    )
}

async fn many_watchers(mode: PeerMode, pki: &Pki) -> Result<(), String> {
    println!(
        "\n== 3. carol@example.net watched by {MANY} watchers in example.com, three privacy rule sets ({} mode) ==",
        mode.as_str()
    );
    let carol = "sip:carol@example.net";
    let mut d = Demo::new(mode, pki).await?;
    d.set_rules(carol, &three_rule_sets(MANY))?;
    d.publish(carol, "open", "writing")?;
    d.run().await?;
    d.ladder = false;
    let before = d.link;
    for i in 0..MANY {
        d.subscribe(&user(i), carol)?;
    }
    d.run().await?;
    println!(
        "  {MANY} local SUBSCRIBEs: {} messages, {} bytes crossed the link",
        d.link.messages - before.messages,
        d.link.bytes - before.bytes
    );
    for (what, (n, b)) in std::mem::take(&mut d.summary) {
        println!("      {n:>4} x {what:<40} {b:>6} B");
    }
    check(
        d.doms[0].border.stats().backends == 1,
        "one back-end subscription across the link",
    )?;
    let got = (0..MANY)
        .filter(|i| d.seen(&user(*i), carol).is_some())
        .count();
    check(
        got == MANY,
        &format!("{got} of {MANY} watchers hold a document"),
    )?;
    d.ladder = true;
    println!("  carol publishes an update:");
    let (before, local_before) = (d.link, d.doms[0].local_notifies);
    d.publish(carol, "closed", "at the dentist")?;
    d.run().await?;
    let copies = d.link.notifies - before.notifies;
    let bytes = d.link.notify_bytes - before.notify_bytes;
    let local = (
        d.doms[0].local_notifies.0 - local_before.0,
        d.doms[0].local_notifies.1 - local_before.1,
    );
    println!(
        "  per update: {copies} NOTIFY, {bytes} bytes across the link ({} mode); \
         one per watcher would send {} NOTIFYs, {} bytes ({:.1}x)",
        mode.as_str(),
        local.0,
        local.1,
        local.1 as f64 / bytes.max(1) as f64
    );
    check(copies == 1, "one NOTIFY crossed for the update")?;
    // Friends and colleagues see the change; the polite-blocked third keeps
    // its unchanged neutral document and gets no NOTIFY.
    let changed = 2 * MANY / 3;
    check(
        local.0 == changed,
        &format!("the {changed} watchers whose view changed were notified locally"),
    )?;
    let friend = d.seen(&user(0), carol).unwrap_or_default();
    let colleague = d.seen(&user(MANY / 2), carol).unwrap_or_default();
    let other = d.seen(&user(MANY - 1), carol).unwrap_or_default();
    check(friend.contains("at the dentist"), "a friend sees the note")?;
    check(
        !colleague.contains("at the dentist") && colleague.contains("sip:carol"),
        "a colleague sees the sip service without the note",
    )?;
    check(
        !other.contains("at the dentist") && !other.contains("sip:carol@example.net</contact>"),
        "the rest of example.com sees the neutral document",
    )?;
    Ok(())
}

async fn pager_im(pki: &Pki) -> Result<(), String> {
    println!("\n== 4. pager-mode IM alice@example.com -> bob@example.net with an IMDN ==");
    let (alice, bob) = ("sip:alice@example.com", "sip:bob@example.net");
    let mut d = Demo::new(PeerMode::PerView, pki).await?;
    let (id, m) = d.doms[0]
        .pagers
        .entry(alice.into())
        .or_insert_with(|| Pager::new(alice))
        .send_text(NOW, bob, "lunch at noon?", &[Kind::Delivery])
        .ok_or("alice cannot build the MESSAGE")?;
    d.route_inside(0, Elem::Users, Message::Request(m));
    d.run().await?;
    let answered = d.doms[0]
        .message_answers
        .iter()
        .any(|r| r.status().as_u16() == 200);
    check(answered, "alice's MESSAGE got 200")?;
    let got = d.doms[1]
        .pagers
        .get(bob)
        .map(|p| p.received().to_vec())
        .unwrap_or_default();
    check(
        got.iter()
            .any(|r| &r.body[..] == b"lunch at noon?" && r.from == alice),
        "bob received \"lunch at noon?\" from alice",
    )?;
    let n = d.doms[0]
        .pagers
        .get(alice)
        .map(|p| p.notifications().to_vec())
        .unwrap_or_default();
    check(
        n.iter().any(|n| {
            n.message_id() == id && n.kind() == Kind::Delivery && n.status() == &Status::Delivered
        }),
        "alice received the IMDN: delivered",
    )?;
    Ok(())
}

/// Writes what `s` has to send to `conn`, counting bytes.
async fn pump<S: AsyncWrite + Unpin>(
    s: &mut Session,
    conn: &mut S,
    sent: &mut (usize, usize),
) -> Result<(), String> {
    let mut wrote = false;
    while let Some(t) = s.poll_transmit(Instant::now()) {
        sent.0 += 1;
        for seg in &t.segments {
            sent.1 += seg.len();
            conn.write_all(seg)
                .await
                .map_err(|e| format!("MSRP write: {e}"))?;
            wrote = true;
        }
    }
    if wrote {
        conn.flush().await.map_err(|e| format!("MSRP write: {e}"))?;
    }
    Ok(())
}

/// How an MSRP leg ended.
enum Leg {
    /// What bob received, in order, and the offer bob read.
    Done(Vec<Vec<u8>>, Box<MsrpDescription>),
    /// A certificate did not match the SDP fingerprint: the session was
    /// refused and the connection closed.
    Refused(String),
}

/// The SHA-256 fingerprint (RFC 8122) of a certificate.
fn fingerprint_of(c: &Credentials) -> Result<Fingerprint, String> {
    c.certificate()
        .and_then(|der| Fingerprint::of_certificate(HashFunc::Sha256, der))
        .ok_or_else(|| "no certificate to fingerprint".into())
}

/// The TLS connection of an MSRP session (RFC 4975 section 14.4): bob
/// (active) connects to alice's `target`, alice accepts; then each
/// session checks the other's certificate against the fingerprints the
/// other's SDP offered ([`Session::handle_peer_certificate`]) before any
/// byte flows. `alice_presents` is the certificate alice's end of the
/// connection really presents (another one for a man in the middle).
/// Returns the two streams (alice's, bob's), or why the session was
/// refused.
async fn msrp_tls(
    listener: &TcpListener,
    target: SocketAddr,
    alice_presents: &Credentials,
    bob_creds: &Credentials,
    alice: &mut Session,
    bob: &mut Session,
) -> Result<Result<(TlsStream<TcpStream>, TlsStream<TcpStream>), String>, String> {
    let server = tls::msrp_server_config(alice_presents).map_err(|e| e.to_string())?;
    let client = tls::msrp_client_config(bob_creds).map_err(|e| e.to_string())?;
    let accept = async {
        let (tcp, _) = listener
            .accept()
            .await
            .map_err(|e| tls::TlsError::Io("MSRP accept".into(), e))?;
        tls::accept(server, tcp).await
    };
    let name = target.ip().to_string();
    let (a, b) = tokio::join!(accept, tls::connect(client, target, &name));
    let (mut alice_conn, from_bob) = a.map_err(|e| format!("MSRP TLS accept: {e}"))?;
    let (mut bob_conn, from_alice) = b.map_err(|e| format!("MSRP TLS connect: {e}"))?;
    // Bob checks what answered his connection against alice's offer.
    if let Err(e) = bob.handle_peer_certificate(&from_alice.der) {
        let _ = bob_conn.shutdown().await;
        return Ok(Err(format!(
            "bob: the certificate on the connection does not match the offer's a=fingerprint ({e})"
        )));
    }
    if let Err(e) = alice.handle_peer_certificate(&from_bob.der) {
        let _ = alice_conn.shutdown().await;
        return Ok(Err(format!(
            "alice: bob's certificate does not match the answer's a=fingerprint ({e})"
        )));
    }
    Ok(Ok((alice_conn, bob_conn)))
}

/// The addresses of record of the two users of the MSRP use cases.
const ALICE: &str = "sips:alice@example.com";
const BOB: &str = "sips:bob@example.net";

/// One MSRP session between alice (example.com, the offerer, listening)
/// and bob (example.net, the answerer, connecting: RFC 6135 `actpass` is
/// answered `active`), set up by an INVITE dialog across the borders of
/// `d`: alice's UA sends the INVITE (Call-ID `call`) with the SDP offer,
/// bob's UA reads the offer from the INVITE as it arrived, answers 180
/// then 200 with the SDP answer, alice reads the answer from the 200 and
/// ACKs it (RFC 3261 section 13.2.2.4). Offer and answer are built and
/// read with `msrp::sdp`, each with the `a=fingerprint` of its side's
/// self-signed certificate, and the session settings come from them. Then
/// alice sends `bodies` over TLS on loopback (`msrps:`, `TCP/TLS/MSRP`)
/// and hangs up with BYE. With `mitm`, alice's end of the connection
/// presents another certificate than the one her SDP offered: bob refuses
/// the session, and alice hangs up all the same.
async fn msrp_leg(
    d: &mut Demo,
    call: &str,
    what: &str,
    offer_for: impl FnOnce(MsrpUri, u16) -> MsrpDescription,
    answer_types: Vec<String>,
    bodies: Vec<(MessageSpec, Bytes)>,
    mitm: bool,
) -> Result<Leg, String> {
    let creds = |who: &str| Credentials::self_signed(who).map_err(|e| format!("{who}: {e}"));
    let (alice_creds, bob_creds) = (creds("alice")?, creds("bob")?);
    let presented = if mitm {
        creds("mallory")?
    } else {
        alice_creds.clone()
    };
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| format!("MSRP listen: {e}"))?;
    let alice_addr = listener
        .local_addr()
        .map_err(|e| format!("MSRP address: {e}"))?;
    let uri = |s: String| MsrpUri::parse(&s).map_err(|e| format!("MSRP URI {s}: {e}"));
    let alice_uri = uri(format!("msrps://{alice_addr}/a{}com;tcp", what.len()))?;
    // Alice's offer, in her INVITE.
    let offer = offer_for(alice_uri, alice_addr.port());
    let offer_sdp = offer
        .to_sdp_with_fingerprints("alice", 2_890_844_526, &[fingerprint_of(&alice_creds)?])
        .to_bytes();
    let invite = d.invite(ALICE, BOB, call, Bytes::from(offer_sdp))?;
    d.run().await?;
    // Bob's UA reads the offer from the INVITE that reached it.
    let got_invite = d
        .take_invite(1, call)
        .ok_or("bob's UA received no INVITE")?;
    let offer_doc =
        Sdp::parse(got_invite.body()).map_err(|e| format!("bob reads the SDP offer: {e}"))?;
    let got_offer = MsrpDescription::from_sdp(&offer_doc)
        .map_err(|e| format!("bob reads the SDP offer: {e}"))?;
    let offered = offer_doc
        .fingerprints()
        .map_err(|e| format!("the offer's a=fingerprint: {e}"))?;
    println!(
        "     bob's UA reads the offer from the INVITE ({what}, setup:{}, {}, a=fingerprint {}) and rings",
        got_offer.setup.map(Setup::as_str).unwrap_or("-"),
        offer_doc.msrp_media().map(|m| m.proto()).unwrap_or("-"),
        offered.first().map(|f| f.hash().as_str()).unwrap_or("none")
    );
    let bob_uri = uri(format!("msrps://127.0.0.1:9/b{}net;tcp", what.len()))?;
    let answer = MsrpDescription::answer(&got_offer, "127.0.0.1", 9, vec![bob_uri], answer_types);
    let answer_sdp = answer
        .to_sdp_with_fingerprints("bob", 2_890_844_527, &[fingerprint_of(&bob_creds)?])
        .to_bytes();
    d.answer(1, &got_invite, StatusCode::RINGING, None)?;
    d.answer(
        1,
        &got_invite,
        StatusCode::OK,
        Some(Bytes::from(answer_sdp)),
    )?;
    d.run().await?;
    // Alice's UA reads the answer from the 200, makes the dialog, ACKs.
    let ok = d
        .call_answer(0, call, &Method::INVITE)
        .filter(|x| x.status().is_success())
        .cloned()
        .ok_or("alice's INVITE got no 2xx")?;
    let rang = d.doms[0].call_answers.iter().any(|x| {
        x.status() == StatusCode::RINGING
            && x.headers()
                .typed::<CallId>()
                .ok()
                .flatten()
                .is_some_and(|c| &c.0[..] == call.as_bytes())
    });
    let mut dialog = Dialog::uac(&invite, &ok).map_err(|e| format!("alice's dialog: {e}"))?;
    let answer_doc =
        Sdp::parse(ok.body()).map_err(|e| format!("alice reads the SDP answer: {e}"))?;
    let got_answer = MsrpDescription::from_sdp(&answer_doc)
        .map_err(|e| format!("alice reads the SDP answer: {e}"))?;
    let answered = answer_doc
        .fingerprints()
        .map_err(|e| format!("the answer's a=fingerprint: {e}"))?;
    if got_answer.setup != Some(Setup::Active) {
        return Err("bob's answer does not take the active role".into());
    }
    let seq = invite
        .headers()
        .typed::<CSeq>()
        .ok()
        .flatten()
        .map_or(1, |c| c.seq);
    let ack = dialog.ack(seq).map_err(|e| format!("alice's ACK: {e}"))?;
    d.route_inside(0, Elem::Users, Message::Request(ack));
    d.run().await?;
    check(
        rang && d.doms[1].acks.iter().any(|c| &c[..] == call.as_bytes()),
        &format!("the {what} call: alice's INVITE rang, got 200 with the SDP answer, and bob's UA got the ACK"),
    )?;

    let mut alice_cfg = offer
        .session_config(&got_answer)
        .ok_or("alice's session settings")?;
    let mut bob_cfg = answer
        .session_config(&got_offer)
        .ok_or("bob's session settings")?;
    // Each side takes the other's certificate only if it matches the
    // other's SDP (RFC 4975 section 14.4).
    alice_cfg.peer_certificate = PeerCertificate::Fingerprints(answered);
    bob_cfg.peer_certificate = PeerCertificate::Fingerprints(offered);
    let mut alice = Session::new(alice_cfg).map_err(|e| format!("alice's session: {e}"))?;
    let mut bob = Session::new(bob_cfg).map_err(|e| format!("bob's session: {e}"))?;
    let target: SocketAddr = format!("{}:{}", got_offer.host, got_offer.port)
        .parse()
        .map_err(|e| format!("the offer's address: {e}"))?;
    let conns = msrp_tls(
        &listener, target, &presented, &bob_creds, &mut alice, &mut bob,
    )
    .await?;
    let leg = match conns {
        Ok(c) => {
            println!(
                "  {:>7.1} ms  {COM} <== {NET}  MSRP over TLS ({}): each certificate matches the other side's a=fingerprint",
                d.ms(),
                tls::version(c.1.get_ref().1)
            );
            let start = d.start;
            let ms = move || start.elapsed().as_secs_f64() * 1000.0;
            let got = transfer(&mut alice, &mut bob, c, bodies, ms).await?;
            Leg::Done(got, Box::new(got_offer))
        }
        Err(why) => {
            println!(
                "  {:>7.1} ms  {COM} <== {NET}  MSRP session REFUSED, connection closed: {why}",
                d.ms()
            );
            Leg::Refused(why)
        }
    };
    // Alice hangs up (RFC 3261 section 15.1.1).
    let bye = dialog
        .request(Method::BYE)
        .map_err(|e| format!("alice's BYE: {e}"))?;
    d.route_inside(0, Elem::Users, Message::Request(bye));
    d.run().await?;
    let bye_ok = d
        .call_answer(0, call, &Method::BYE)
        .is_some_and(|x| x.status() == StatusCode::OK);
    check(
        bye_ok
            && !d.doms[1].calls.contains_key(&DialogId {
                call_id: dialog.id().call_id.clone(),
                local_tag: dialog.id().remote_tag.clone(),
                remote_tag: dialog.id().local_tag.clone(),
            }),
        &format!("the {what} call ended: BYE got 200 and bob's UA closed its dialog"),
    )?;
    Ok(leg)
}

/// Alice sends `bodies` to bob over the session's connections (alice's,
/// bob's) and both sides run until bob has every message and alice every
/// report; `ms` stamps the ladder. Returns what bob received, in order.
async fn transfer(
    alice: &mut Session,
    bob: &mut Session,
    (mut alice_conn, mut bob_conn): (TlsStream<TcpStream>, TlsStream<TcpStream>),
    bodies: Vec<(MessageSpec, Bytes)>,
    ms: impl Fn() -> f64,
) -> Result<Vec<Vec<u8>>, String> {
    let mut ids = Vec::new();
    for (spec, body) in bodies {
        ids.push(
            alice
                .send_message(spec, body)
                .map_err(|e| format!("send over MSRP: {e}"))?,
        );
    }
    let mut got: HashMap<String, Vec<u8>> = HashMap::new();
    let mut complete = Vec::new();
    let mut sent_ok = Vec::new();
    let (mut a_sent, mut b_sent) = ((0, 0), (0, 0));
    let (mut ab, mut bb) = (vec![0u8; 65_536], vec![0u8; 65_536]);
    loop {
        pump(alice, &mut alice_conn, &mut a_sent).await?;
        pump(bob, &mut bob_conn, &mut b_sent).await?;
        while let Some(ev) = bob.poll_event() {
            match ev {
                msrp::Event::Data {
                    message_id,
                    offset,
                    data,
                } => {
                    let buf = got.entry(message_id).or_default();
                    if buf.len() as u64 != offset {
                        return Err(format!("MSRP data out of order at {offset}"));
                    }
                    buf.extend_from_slice(&data);
                }
                msrp::Event::MessageComplete { message_id, .. } => complete.push(message_id),
                msrp::Event::MessageAborted { message_id, status } => {
                    return Err(format!("bob refused MSRP message {message_id}: {status:?}"))
                }
                msrp::Event::StreamError(e) => return Err(format!("bob's stream: {e}")),
                _ => {}
            }
        }
        while let Some(ev) = alice.poll_event() {
            match ev {
                msrp::Event::MessageSent { message_id } => sent_ok.push(message_id),
                msrp::Event::MessageFailed { message_id, status } => {
                    return Err(format!("MSRP message {message_id} failed: {status}"))
                }
                msrp::Event::StreamError(e) => return Err(format!("alice's stream: {e}")),
                _ => {}
            }
        }
        if ids
            .iter()
            .all(|i| complete.contains(i) && sent_ok.contains(i))
        {
            break;
        }
        tokio::select! {
            r = bob_conn.read(&mut bb) => {
                let n = r.map_err(|e| format!("MSRP read at bob: {e}"))?;
                if n == 0 { return Err("alice closed the MSRP connection".into()); }
                bob.handle_input(Instant::now(), Bytes::copy_from_slice(&bb[..n]));
            }
            r = alice_conn.read(&mut ab) => {
                let n = r.map_err(|e| format!("MSRP read at alice: {e}"))?;
                if n == 0 { return Err("bob closed the MSRP connection".into()); }
                alice.handle_input(Instant::now(), Bytes::copy_from_slice(&ab[..n]));
            }
            () = tokio::time::sleep(WAIT) => return Err("MSRP transfer timed out".into()),
        }
    }
    println!(
        "  {:>7.1} ms  {COM} --> {NET}  {:<40} {:>6} B",
        ms(),
        format!("MSRP SEND x {} (tls)", a_sent.0),
        a_sent.1
    );
    println!(
        "  {:>7.1} ms  {COM} <-- {NET}  {:<40} {:>6} B",
        ms(),
        format!("MSRP 200 x {} (tls)", b_sent.0),
        b_sent.1
    );
    let out = ids
        .iter()
        .map(|i| got.remove(i).unwrap_or_default())
        .collect();
    Ok(out)
}

async fn msrp_session(pki: &Pki) -> Result<(), String> {
    println!("\n== 5. MSRP chat and file transfer alice@example.com -> bob@example.net ==");
    println!("  each session is set up by an INVITE dialog across the borders (SDP offer in the INVITE, answer in the 200)");
    let mut d = Demo::new(PeerMode::PerView, pki).await?;
    let text = Bytes::from_static(b"Here comes the report.");
    let Leg::Done(got, _) = msrp_leg(
        &mut d,
        "chat1",
        "chat",
        |uri, port| MsrpDescription::chat("127.0.0.1", port, uri),
        vec!["message/cpim".into(), "text/plain".into()],
        vec![(MessageSpec::new("text/plain"), text.clone())],
        false,
    )
    .await?
    else {
        return Err("the chat session was refused".into());
    };
    check(
        got.first().map(Vec::as_slice) == Some(&text[..]),
        "bob received the chat message \"Here comes the report.\"",
    )?;

    let file: Vec<u8> = (0..300 * 1024u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let file = Bytes::from(file);
    let octets = "application/octet-stream";
    let size = file.len() as u64;
    let mut spec = MessageSpec::new(octets);
    spec.extra_headers.push((
        "Content-Disposition".into(),
        "attachment; filename=\"report.bin\"".into(),
    ));
    let Leg::Done(got, offer) = msrp_leg(
        &mut d,
        "file1",
        "file transfer",
        move |uri, port| {
            let listen = std::net::SocketAddr::from(([127, 0, 0, 1], port));
            examples::msrp_cli::offer::file(
                listen,
                uri,
                "report.bin",
                octets,
                size,
                "peering-demo-1",
            )
        },
        vec![octets.into()],
        vec![(spec, file.clone())],
        false,
    )
    .await?
    else {
        return Err("the file transfer session was refused".into());
    };
    let announced = offer.file.as_ref().and_then(|f| f.selector.size);
    let got = got.first().map(Vec::as_slice).unwrap_or_default();
    check(
        announced == Some(got.len() as u64),
        &format!("the received size matches the SDP file-selector ({size} bytes)"),
    )?;
    check(
        got == &file[..],
        &format!("bob received the {size} byte file, byte for byte"),
    )?;
    Ok(())
}

/// What an intruder's attempt came to.
enum Attempt {
    /// The TLS handshake failed on our side.
    Handshake(String),
    /// The connection closed with no answer.
    Closed(String),
    /// A response came back.
    Answered(u16, String),
}

impl std::fmt::Display for Attempt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Attempt::Handshake(e) => write!(f, "TLS handshake failed: {e}"),
            Attempt::Closed(e) => f.write_str(e),
            Attempt::Answered(_, line) => write!(f, "answered {line}"),
        }
    }
}

/// Connects to `addr` as `creds` (asking for `server_name`), sends
/// `request` and reads what comes back.
async fn intrude(
    creds: Credentials,
    addr: SocketAddr,
    server_name: &'static str,
    request: String,
) -> Attempt {
    let config = match creds.client_config() {
        Ok(c) => c,
        Err(e) => return Attempt::Handshake(e.to_string()),
    };
    let (s, _) = match tls::connect(config, addr, server_name).await {
        Ok(x) => x,
        Err(e) => return Attempt::Handshake(e.to_string()),
    };
    let (rd, mut wr) = tokio::io::split(s);
    // With TLS 1.3 the client's handshake is done before the server has
    // judged the client certificate: a refusal shows on the first read.
    let sent = async {
        wr.write_all(request.as_bytes()).await?;
        wr.flush().await
    };
    if let Err(e) = sent.await {
        return Attempt::Closed(format!("closed while sending: {e}"));
    }
    let mut rd = SipReader::new(rd, views::limits());
    match tokio::time::timeout(WAIT, rd.next()).await {
        Err(_) => Attempt::Closed(format!("no answer within {WAIT:?}")),
        Ok(Ok(Some(Framed::Message(m)))) => match *m {
            Message::Response(r) => {
                Attempt::Answered(r.status().as_u16(), examples::net::status_line(&r))
            }
            Message::Request(r) => {
                Attempt::Closed(format!("a {} instead of an answer", r.method()))
            }
        },
        Ok(Ok(Some(_))) => Attempt::Closed("a keep-alive instead of an answer".into()),
        Ok(Ok(None)) => Attempt::Closed("closed by the border, no answer".into()),
        Ok(Err(e)) => Attempt::Closed(format!("closed by the border: {e}")),
    }
}

/// A SUBSCRIBE from `from` to bob@example.com, as a peer's border would
/// relay it.
fn subscribe_text(from: &str, via_host: &str, call: &str) -> String {
    format!(
        "SUBSCRIBE sips:bob@example.com SIP/2.0\r\n\
         Via: SIP/2.0/TLS {via_host};branch=z9hG4bK{call}\r\n\
         Max-Forwards: 70\r\n\
         From: <{from}>;tag={call}\r\n\
         To: <sips:bob@example.com>\r\n\
         Call-ID: {call}@{via_host}\r\n\
         CSeq: 1 SUBSCRIBE\r\n\
         Event: presence\r\n\
         Expires: 600\r\n\
         Contact: <sips:border@{via_host}>\r\n\
         Content-Length: 0\r\n\r\n"
    )
}

async fn untrusted(pki: &Pki) -> Result<(), String> {
    println!("\n== 6. untrusted networks and spoofed identities on the TLS link ==");
    println!("  example.com's peer table: {NET}, {HUB} (TLS required); {ORG} is not a peer");
    let mut d = Demo::new(PeerMode::PerView, pki).await?;
    let com = d.addr(0)?;
    println!(
        "  a) {ORG}, certificate [URI:sip:{ORG}, DNS:{ORG}] from the demo CA, sends a SUBSCRIBE"
    );
    let org = tokio::spawn(intrude(
        pki.get(ORG)?.clone(),
        com,
        COM,
        subscribe_text(&format!("sip:mallory@{ORG}"), ORG, "org1"),
    ));
    d.external += 1;
    d.run().await?;
    let org = tokio::time::timeout(WAIT, org)
        .await
        .map_err(|_| "the example.org attempt did not end")?
        .map_err(|e| format!("the example.org attempt: {e}"))?;
    println!("     {ORG} sees: {org}");
    check(
        !matches!(org, Attempt::Answered(..))
            && d.refused
                .iter()
                .any(|(i, why)| *i == 0 && why.contains("[example.org]")),
        "example.org's connection refused: it is not in example.com's peer table",
    )?;

    println!("  b) an impostor with a certificate for {NET} from a CA example.com does not trust");
    let imp = tokio::spawn(intrude(
        pki.impostor.clone(),
        com,
        COM,
        subscribe_text(&format!("sip:mallory@{NET}"), NET, "imp1"),
    ));
    d.external += 1;
    d.run().await?;
    let imp = tokio::time::timeout(WAIT, imp)
        .await
        .map_err(|_| "the impostor's attempt did not end")?
        .map_err(|e| format!("the impostor's attempt: {e}"))?;
    println!("     the impostor sees: {imp}");
    check(
        !matches!(imp, Attempt::Answered(..))
            && d.refused
                .iter()
                .any(|(i, why)| *i == 0 && why.contains("handshake failed")),
        "the impostor's handshake refused: its certificate does not chain to the demo CA",
    )?;

    println!(
        "  c) a connection authenticated as {NET} sends a SUBSCRIBE From sip:eve@{HUB} (a domain its certificate does not cover)"
    );
    let spoof = tokio::spawn(intrude(
        pki.get(NET)?.clone(),
        com,
        COM,
        subscribe_text(&format!("sip:eve@{HUB}"), NET, "spoof1"),
    ));
    d.external += 1;
    d.run().await?;
    let spoof = tokio::time::timeout(WAIT, spoof)
        .await
        .map_err(|_| "the spoofed attempt did not end")?
        .map_err(|e| format!("the spoofed attempt: {e}"))?;
    println!("     the sender sees: {spoof}");
    check(
        matches!(spoof, Attempt::Answered(403, _)) && d.doms[0].border.stats().refused == 1,
        "the spoofed From got 403 from example.com's border",
    )?;
    check(
        d.doms[0].border.stats().local_subscriptions == 0 && d.doms[0].border.stats().backends == 0,
        "nothing was subscribed for the intruders",
    )?;

    println!(
        "  d) MSRP: a man in the middle answers alice's msrps: address with its own certificate"
    );
    let leg = msrp_leg(
        &mut d,
        "mitm1",
        "chat, MITM",
        |uri, port| MsrpDescription::chat("127.0.0.1", port, uri),
        vec!["message/cpim".into(), "text/plain".into()],
        vec![(
            MessageSpec::new("text/plain"),
            Bytes::from_static(b"secret"),
        )],
        true,
    )
    .await?;
    check(
        matches!(&leg, Leg::Refused(why) if why.contains("a=fingerprint")),
        "the MSRP session with a wrong fingerprint was refused",
    )?;
    Ok(())
}

async fn demo(pki: Pki) -> Result<(), String> {
    inter_domain(&pki).await?;
    public_group(&pki).await?;
    many_watchers(PeerMode::PerView, &pki).await?;
    many_watchers(PeerMode::Delegated, &pki).await?;
    pager_im(&pki).await?;
    msrp_session(&pki).await?;
    untrusted(&pki).await?;
    println!(
        "\nrefused as expected: an untrusted network's connection, an impostor's handshake, \
         a spoofed From (403), an MSRP session with a wrong fingerprint"
    );
    Ok(())
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let started = Instant::now();
    let args = match examples::args::Args::parse(std::env::args().skip(1), &[]) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("peering-demo: {e}\n{USAGE}");
            std::process::exit(2);
        }
    };
    if args.flag("help") {
        examples::say!("{USAGE}");
        return;
    }
    println!("peering-demo: example.com and example.net peering over 127.0.0.1 (mutual TLS)");
    let pki = match (args.get("pki"), args.get("pki-out")) {
        (Some(dir), None) => Pki::load(dir.as_ref()).inspect(|_| {
            println!("  certificates from {dir}");
        }),
        (None, out) => {
            // By default one fixed folder, rewritten by every run, so the
            // files stay there to look at and do not pile up.
            let dir = out.map_or_else(
                || std::env::temp_dir().join("simple-peering-demo-pki"),
                PathBuf::from,
            );
            Pki::generate(dir).inspect(|p| {
                println!(
                    "  demo PKI in {}: ca.pem, and <domain>.pem/.key for {COM}, {NET}, {HUB}, {ORG} \
                     (subjectAltName URI sip:<domain>, DNS <domain>); rogue-ca/ holds the impostor's",
                    p.dir.display()
                );
            })
        }
        (Some(_), Some(_)) => Err("--pki and --pki-out exclude each other".into()),
    };
    let pki = match pki {
        Ok(p) => p,
        Err(e) => {
            eprintln!("peering-demo: FAILED: {e}");
            std::process::exit(1);
        }
    };
    let r = tokio::time::timeout(Duration::from_secs(60), demo(pki)).await;
    match r {
        Ok(Ok(())) => {
            println!(
                "\npeering-demo: every step succeeded in {:.2} s",
                started.elapsed().as_secs_f64()
            );
        }
        Ok(Err(e)) => {
            eprintln!("peering-demo: FAILED: {e}");
            std::process::exit(1);
        }
        Err(_) => {
            eprintln!("peering-demo: FAILED: the demo did not finish within 60 s");
            std::process::exit(1);
        }
    }
}
