//! A small tokio driver for one [`Endpoint`] over UDP and TCP.
//!
//! [`Driver::bind`] opens a UDP socket and, when asked, a TCP listener on
//! the same address. Datagrams go straight to
//! [`Endpoint::handle_input`]; each TCP connection (accepted, or opened
//! when the endpoint first sends to a TCP peer) has a reader task that
//! frames messages with [`StreamFramer`] and a writer task fed through a
//! channel. Connections are known by the peer's address, so whatever the
//! endpoint sends to a peer that connected to us goes back over that
//! connection.
//!
//! [`Driver::listen_tls`] adds a TLS listener (rustls, see [`crate::tls`]):
//! its connections are framed the same way and reach the endpoint as
//! [`Transport::Tls`] peers, so answers and NOTIFYs go back over them. The
//! driver opens no TLS connection itself.
//!
//! The program asks for events with [`Driver::next_event`], giving the
//! instant it wants control back (its own timers); after calling the
//! endpoint's `send_*` methods through [`Driver::ep`] it calls
//! [`Driver::flush`].

use sip_core::bytes::Bytes;
use sip_core::endpoint::{Endpoint, EndpointConfig, Event, Peer};
use sip_core::transaction::Transport;
use sip_core::{Limits, StreamEvent, StreamFramer};
use std::collections::{HashMap, VecDeque};
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::sync::mpsc;

/// Largest datagram read.
const MAX_DATAGRAM: usize = 65_535;

enum Incoming {
    Datagram(SocketAddr, Bytes),
    Stream(SocketAddr, Transport, Box<sip_core::Message>),
    Connected(SocketAddr, mpsc::UnboundedSender<Bytes>),
    Closed(SocketAddr),
}

/// An endpoint with its sockets. See the [module docs](self).
pub struct Driver {
    /// The endpoint: build requests and responses, call its `send_*`
    /// methods, then [`Driver::flush`].
    pub ep: Endpoint,
    local: SocketAddr,
    udp: Arc<UdpSocket>,
    tx: mpsc::UnboundedSender<Incoming>,
    rx: mpsc::UnboundedReceiver<Incoming>,
    conns: HashMap<SocketAddr, mpsc::UnboundedSender<Bytes>>,
    events: VecDeque<Event>,
    limits: Limits,
}

impl std::fmt::Debug for Driver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Driver")
            .field("local", &self.local)
            .field("connections", &self.conns.len())
            .finish_non_exhaustive()
    }
}

impl Driver {
    /// Binds UDP on `addr` (port 0 picks one) and, with `tcp`, a TCP
    /// listener on the same address and port. The endpoint's Via sent-by is
    /// that address; `seed` feeds its tags and branches.
    pub async fn bind(addr: SocketAddr, tcp: bool, seed: u64) -> io::Result<Driver> {
        // With port 0 the UDP port is chosen first; TCP on the same number
        // may be taken, so try a few times.
        let mut last_err = None;
        for _ in 0..16 {
            let udp = UdpSocket::bind(addr).await?;
            let local = udp.local_addr()?;
            let listener = if tcp {
                match TcpListener::bind(local).await {
                    Ok(l) => Some(l),
                    Err(e) if addr.port() == 0 => {
                        last_err = Some(e);
                        continue;
                    }
                    Err(e) => return Err(e),
                }
            } else {
                None
            };
            return Ok(Driver::start(udp, listener, local, seed));
        }
        Err(last_err.unwrap_or_else(|| io::Error::other("no port for UDP and TCP")))
    }

    fn start(
        udp: UdpSocket,
        listener: Option<TcpListener>,
        local: SocketAddr,
        seed: u64,
    ) -> Driver {
        let mut config = EndpointConfig::for_addr(local);
        config.seed = seed;
        let limits = config.limits;
        let (tx, rx) = mpsc::unbounded_channel();
        let udp = Arc::new(udp);
        let reader = udp.clone();
        let utx = tx.clone();
        tokio::spawn(async move {
            let mut buf = vec![0u8; MAX_DATAGRAM];
            loop {
                match reader.recv_from(&mut buf).await {
                    Ok((n, from)) => {
                        let data = Bytes::copy_from_slice(buf.get(..n).unwrap_or_default());
                        if utx.send(Incoming::Datagram(from, data)).is_err() {
                            return;
                        }
                    }
                    // ICMP port unreachable and the like: keep reading.
                    Err(_) => tokio::time::sleep(std::time::Duration::from_millis(1)).await,
                }
            }
        });
        if let Some(listener) = listener {
            let ltx = tx.clone();
            tokio::spawn(async move {
                while let Ok((stream, from)) = listener.accept().await {
                    let _ = stream.set_nodelay(true);
                    spawn_connection(stream, from, Transport::Tcp, ltx.clone(), limits);
                }
            });
        }
        Driver {
            ep: Endpoint::new(config),
            local,
            udp,
            tx,
            rx,
            conns: HashMap::new(),
            events: VecDeque::new(),
            limits,
        }
    }

    /// The local address (UDP, and TCP when listening).
    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    /// Writes out everything the endpoint queued and collects its events.
    /// Call after every `send_*` on [`Driver::ep`].
    pub async fn flush(&mut self) {
        while let Some(t) = self.ep.poll_transmit() {
            let ok = match t.destination.transport {
                Transport::Udp => self
                    .udp
                    .send_to(&t.contents, t.destination.addr)
                    .await
                    .is_ok(),
                transport => {
                    self.send_stream(t.destination.addr, transport, t.contents)
                        .await
                }
            };
            if !ok {
                if let Some(id) = t.transaction {
                    self.ep.handle_transport_error(Instant::now(), id);
                }
            }
        }
        while let Some(e) = self.ep.poll_event() {
            self.events.push_back(e);
        }
    }

    async fn send_stream(&mut self, to: SocketAddr, transport: Transport, data: Bytes) -> bool {
        if let Some(w) = self.conns.get(&to) {
            if w.send(data.clone()).is_ok() {
                return true;
            }
            self.conns.remove(&to);
        }
        if transport == Transport::Tls {
            // TLS connections are only accepted here (see listen_tls).
            return false;
        }
        let connect =
            tokio::time::timeout(std::time::Duration::from_secs(5), TcpStream::connect(to));
        match connect.await {
            Ok(Ok(stream)) => {
                let _ = stream.set_nodelay(true);
                let w = spawn_connection(stream, to, Transport::Tcp, self.tx.clone(), self.limits);
                let ok = w.send(data).is_ok();
                self.conns.insert(to, w);
                ok
            }
            _ => false,
        }
    }

    fn handle(&mut self, inc: Incoming) {
        let now = Instant::now();
        match inc {
            Incoming::Datagram(from, data) => {
                // A lone CRLF keep-alive (RFC 5626 4.4.2) is not a message.
                if data.iter().all(|b| matches!(b, b'\r' | b'\n')) {
                    return;
                }
                self.ep.handle_input(now, Peer::udp(from), data);
            }
            Incoming::Stream(from, transport, msg) => self.ep.handle_message(
                now,
                Peer {
                    addr: from,
                    transport,
                },
                *msg,
            ),
            Incoming::Connected(from, w) => {
                self.conns.insert(from, w);
            }
            Incoming::Closed(from) => {
                self.conns.remove(&from);
            }
        }
    }

    /// The next event of the endpoint, or `None` once `deadline` passes
    /// (the caller's own timer). Runs the endpoint's timers meanwhile.
    pub async fn next_event(&mut self, deadline: Instant) -> Option<Event> {
        loop {
            self.flush().await;
            if let Some(e) = self.events.pop_front() {
                return Some(e);
            }
            let now = Instant::now();
            if now >= deadline {
                return None;
            }
            let ep_at = self.ep.poll_timeout();
            let wake = ep_at.map_or(deadline, |t| t.min(deadline));
            tokio::select! {
                inc = self.rx.recv() => {
                    if let Some(inc) = inc {
                        self.handle(inc);
                    }
                }
                () = tokio::time::sleep_until(tokio::time::Instant::from_std(wake)) => {
                    if ep_at.is_some_and(|t| t <= Instant::now()) {
                        self.ep.handle_timeout(Instant::now());
                    }
                }
            }
        }
    }
}

/// Starts the reader and writer tasks of one connection (TCP, or TLS over
/// it) and announces it to the driver before anything read from it;
/// returns the writer's channel.
fn spawn_connection<S>(
    stream: S,
    peer: SocketAddr,
    transport: Transport,
    tx: mpsc::UnboundedSender<Incoming>,
    limits: Limits,
) -> mpsc::UnboundedSender<Bytes>
where
    S: AsyncRead + AsyncWrite + Send + 'static,
{
    let (mut rd, mut wr) = tokio::io::split(stream);
    let (wtx, mut wrx) = mpsc::unbounded_channel::<Bytes>();
    tokio::spawn(async move {
        while let Some(b) = wrx.recv().await {
            if wr.write_all(&b).await.is_err() {
                return;
            }
            // TLS holds records until flushed.
            if wrx.is_empty() && wr.flush().await.is_err() {
                return;
            }
        }
    });
    // Announced first, so the endpoint's answer to the first message finds
    // the connection.
    let _ = tx.send(Incoming::Connected(peer, wtx.clone()));
    let pong = wtx.clone();
    tokio::spawn(async move {
        let mut framer = StreamFramer::new(limits);
        let mut buf = vec![0u8; 16 * 1024];
        'read: loop {
            let n = match rd.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            framer.handle_input(buf.get(..n).unwrap_or_default());
            loop {
                match framer.poll_event() {
                    Ok(Some(StreamEvent::Message(m))) => {
                        if tx
                            .send(Incoming::Stream(peer, transport, Box::new(m)))
                            .is_err()
                        {
                            return;
                        }
                    }
                    Ok(Some(StreamEvent::Ping)) => {
                        let _ = pong.send(Bytes::from_static(b"\r\n"));
                    }
                    Ok(Some(StreamEvent::Pong)) => {}
                    Ok(None) => break,
                    // Framing errors are final for a stream.
                    Err(_) => break 'read,
                }
            }
        }
        let _ = tx.send(Incoming::Closed(peer));
    });
    wtx
}

impl Driver {
    /// Also listens for SIP over TLS on `addr` (port 0 picks one) with the
    /// server configuration `config` (e.g. from
    /// [`crate::tls::Credentials::server_config_client_optional`]); returns
    /// the address. Each accepted connection is handshaken, its client
    /// certificate (if it sent one; verified against the CA) reported to
    /// `on_peer` with the peer's address (or why the handshake failed),
    /// then framed like TCP. Messages reach the endpoint as
    /// [`Transport::Tls`] peers.
    pub async fn listen_tls(
        &mut self,
        addr: SocketAddr,
        config: Arc<tokio_rustls::rustls::ServerConfig>,
        on_peer: impl Fn(SocketAddr, Result<Option<&crate::tls::PeerCert>, String>)
            + Send
            + Sync
            + 'static,
    ) -> io::Result<SocketAddr> {
        let listener = TcpListener::bind(addr).await?;
        let local = listener.local_addr()?;
        let (tx, limits) = (self.tx.clone(), self.limits);
        let on_peer = Arc::new(on_peer);
        tokio::spawn(async move {
            while let Ok((tcp, from)) = listener.accept().await {
                let (tx, config, on_peer) = (tx.clone(), config.clone(), on_peer.clone());
                tokio::spawn(async move {
                    match crate::tls::accept_optional(config, tcp).await {
                        Ok((stream, peer)) => {
                            on_peer(from, Ok(peer.as_ref()));
                            spawn_connection(stream, from, Transport::Tls, tx, limits);
                        }
                        Err(e) => on_peer(from, Err(e.to_string())),
                    }
                });
            }
        });
        Ok(local)
    }
}

/// A peer over TCP.
pub fn tcp_peer(addr: SocketAddr) -> Peer {
    Peer {
        addr,
        transport: Transport::Tcp,
    }
}

/// Reads `HOST:PORT` (a name is resolved; the first address wins).
pub fn resolve(server: &str) -> Result<SocketAddr, String> {
    use std::net::ToSocketAddrs;
    server
        .to_socket_addrs()
        .map_err(|e| format!("--server {server}: {e}"))?
        .next()
        .ok_or_else(|| format!("--server {server}: no address"))
}

impl Driver {
    /// Sends `request` to `peer` in a new client transaction and waits (at
    /// most until `deadline`) for its final response. Other events that
    /// arrive meanwhile are kept for [`Driver::next_event`]; provisional
    /// responses are skipped.
    pub async fn request(
        &mut self,
        request: sip_core::Request,
        peer: Peer,
        deadline: Instant,
    ) -> Result<sip_core::Response, String> {
        let id = self
            .ep
            .send_request(Instant::now(), request, peer)
            .map_err(|e| format!("sending: {e}"))?;
        let mut kept = VecDeque::new();
        let out = loop {
            match self.next_event(deadline).await {
                None => break Err(format!("no final response from {} in time", peer.addr)),
                Some(Event::Response {
                    transaction,
                    response,
                }) if transaction == id => {
                    if response.status().is_provisional() {
                        continue;
                    }
                    break Ok(response);
                }
                Some(Event::Failed {
                    transaction,
                    failure,
                }) if transaction == id => {
                    break Err(format!("transaction to {} failed: {failure:?}", peer.addr))
                }
                Some(other) => kept.push_back(other),
            }
        };
        while let Some(e) = kept.pop_back() {
            self.events.push_front(e);
        }
        out
    }
}

/// The transport named by a `--tcp` switch.
pub fn peer_for(addr: SocketAddr, tcp: bool) -> Peer {
    if tcp {
        tcp_peer(addr)
    } else {
        Peer::udp(addr)
    }
}

/// Reads a SIP URI given on the command line.
pub fn uri_arg(name: &str, value: &str) -> Result<sip_core::Uri, String> {
    sip_core::Uri::parse_str(value).map_err(|e| format!("--{name} {value}: {e}"))
}

/// A response's status line, e.g. `200 OK`.
pub fn status_line(r: &sip_core::Response) -> String {
    format!(
        "{} {}",
        r.status().as_u16(),
        String::from_utf8_lossy(r.reason())
    )
}
