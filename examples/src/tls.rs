//! TLS between peer networks for the examples: rustls (ring provider) over
//! tokio, with the RFC 5922 step the Sans-IO library cannot do itself.
//!
//! RFC 5344 section 3 asks that every channel between peer networks protect
//! authenticity and confidentiality, and that each side can verify that
//! the other really is the domain it claims. The pieces:
//!
//! - [`DemoPki`]: a demo certificate authority generated at start (with
//!   `rcgen`), issuing one certificate per SIP domain with the
//!   subjectAltNames RFC 5922 section 7.1 looks for (URI `sip:<domain>` and
//!   DNS `<domain>`), written as PEM files into a folder so users can look
//!   at them. [`Credentials::from_pem_files`] loads real ones instead.
//! - [`Credentials::server_config`] and [`Credentials::client_config`]:
//!   mutual authentication against the CA (RFC 5922 section 7.3: both
//!   ends of a connection between domains present a certificate). The
//!   client checks the server's DNS name, so it connects with the peer's
//!   domain as the server name.
//! - [`PeerCert::from_state`]: after the handshake, the peer's end-entity
//!   certificate's names (read with `x509-parser`) become
//!   [`CertificateNames`], and [`sip_domain_identities`] turns them into the
//!   [`PeerIdentity`] that goes with every message of the connection into
//!   `Border::handle_peer`.
//! - [`SipReader`] and [`write_message`]: SIP over the stream, framed with
//!   [`StreamFramer`] (RFC 3261 section 18.3: Content-Length delimits
//!   messages; RFC 5626 CRLF keep-alives are reported, not parsed).
//! - [`Credentials::self_signed`], [`msrp_server_config`] and
//!   [`msrp_client_config`]: MSRP over TLS (`msrps:`, RFC 4975 section
//!   14.4) authenticates endpoints by the certificate fingerprint sent in
//!   the SDP (`a=fingerprint`, RFC 8122) rather than by a CA, so these
//!   configurations accept any certificate whose handshake signature
//!   verifies, and the application compares the fingerprint after the
//!   handshake.

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, Ia5String, IsCa, KeyPair,
    KeyUsagePurpose, SanType,
};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::server::WebPkiClientVerifier;
use rustls::{ClientConfig, CommonState, DigitallySignedStruct, RootCertStore, ServerConfig};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use simple_presence::border::PeerEntry;
use simple_presence::identity::{sip_domain_identities, CertName, CertificateNames, PeerIdentity};
use sip_core::{Limits, Message, StreamEvent, StreamFramer};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::{TlsAcceptor, TlsConnector, TlsStream};

/// Longest wait for a TCP connect plus a TLS handshake.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(5);

/// What went wrong setting up or using TLS.
#[derive(Debug)]
#[non_exhaustive]
pub enum TlsError {
    /// Reading or writing a file, or a socket.
    Io(String, io::Error),
    /// A PEM file holds nothing usable.
    Pem(String),
    /// Generating a certificate.
    Generate(rcgen::Error),
    /// rustls refused a configuration, or the handshake failed.
    Tls(rustls::Error),
    /// The client verifier could not be built from the CA certificates.
    Verifier(String),
    /// A certificate does not parse as X.509.
    Certificate(String),
    /// The peer presented no certificate.
    NoPeerCertificate,
    /// A server name is not a DNS name.
    ServerName(String),
    /// Connect or handshake took longer than [`HANDSHAKE_TIMEOUT`].
    Timeout,
    /// A SIP message on the stream did not frame.
    Framing(sip_core::ParseError),
}

impl fmt::Display for TlsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TlsError::Io(what, e) => write!(f, "{what}: {e}"),
            TlsError::Pem(what) => write!(f, "PEM: {what}"),
            TlsError::Generate(e) => write!(f, "generating a certificate: {e}"),
            TlsError::Tls(e) => write!(f, "TLS: {e}"),
            TlsError::Verifier(e) => write!(f, "client certificate verifier: {e}"),
            TlsError::Certificate(e) => write!(f, "certificate: {e}"),
            TlsError::NoPeerCertificate => f.write_str("the peer presented no certificate"),
            TlsError::ServerName(n) => write!(f, "{n:?} is not a DNS name"),
            TlsError::Timeout => write!(f, "no TLS connection within {HANDSHAKE_TIMEOUT:?}"),
            TlsError::Framing(e) => write!(f, "SIP framing: {e}"),
        }
    }
}

impl std::error::Error for TlsError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            TlsError::Io(_, e) => Some(e),
            TlsError::Generate(e) => Some(e),
            TlsError::Tls(e) => Some(e),
            TlsError::Framing(e) => Some(e),
            _ => None,
        }
    }
}

impl From<rcgen::Error> for TlsError {
    fn from(e: rcgen::Error) -> Self {
        TlsError::Generate(e)
    }
}

impl From<rustls::Error> for TlsError {
    fn from(e: rustls::Error) -> Self {
        TlsError::Tls(e)
    }
}

/// The crypto provider every configuration here uses (ring).
pub fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// A certificate chain, its private key and the CA certificates peers'
/// chains are verified against.
#[derive(Debug)]
pub struct Credentials {
    /// End-entity certificate first, then intermediates.
    pub chain: Vec<CertificateDer<'static>>,
    /// The end-entity certificate's private key.
    pub key: PrivateKeyDer<'static>,
    /// Trusted CA certificates.
    pub roots: Vec<CertificateDer<'static>>,
}

impl Clone for Credentials {
    fn clone(&self) -> Self {
        Credentials {
            chain: self.chain.clone(),
            key: self.key.clone_key(),
            roots: self.roots.clone(),
        }
    }
}

fn read_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let shown = path.display().to_string();
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|e| TlsError::Pem(format!("{shown}: {e}")))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| TlsError::Pem(format!("{shown}: {e}")))?;
    if certs.is_empty() {
        return Err(TlsError::Pem(format!("{shown}: no CERTIFICATE block")));
    }
    Ok(certs)
}

impl Credentials {
    /// Loads PEM files: `cert` (the chain, end-entity first), `key` (PKCS#8,
    /// PKCS#1 or SEC1) and `ca` (one or more trusted CA certificates), as the
    /// programs' `--tls-cert`, `--tls-key` and `--tls-ca` name them.
    pub fn from_pem_files(cert: &Path, key: &Path, ca: &Path) -> Result<Credentials, TlsError> {
        let chain = read_certs(cert)?;
        let key = PrivateKeyDer::from_pem_file(key)
            .map_err(|e| TlsError::Pem(format!("{}: {e}", key.display())))?;
        let roots = read_certs(ca)?;
        Ok(Credentials { chain, key, roots })
    }

    /// A self-signed certificate for `name` (an MSRP endpoint, RFC 4975
    /// section 14.4: authenticated by its fingerprint, not by a CA).
    pub fn self_signed(name: &str) -> Result<Credentials, TlsError> {
        let key = KeyPair::generate()?;
        let mut params = CertificateParams::new(Vec::<String>::new())?;
        params.distinguished_name.push(DnType::CommonName, name);
        let cert = params.self_signed(&key)?;
        Ok(Credentials {
            chain: vec![cert.der().clone()],
            key: PrivateKeyDer::try_from(key.serialize_der())
                .map_err(|e| TlsError::Pem(e.to_owned()))?,
            roots: Vec::new(),
        })
    }

    /// The end-entity certificate, DER.
    pub fn certificate(&self) -> Option<&CertificateDer<'static>> {
        self.chain.first()
    }

    fn root_store(&self) -> Result<RootCertStore, TlsError> {
        let mut roots = RootCertStore::empty();
        for c in &self.roots {
            roots.add(c.clone())?;
        }
        Ok(roots)
    }

    /// A server configuration that presents our chain and requires a client
    /// certificate that chains to one of our CA certificates.
    pub fn server_config(&self) -> Result<Arc<ServerConfig>, TlsError> {
        self.server_config_verifying(false)
    }

    /// A server configuration for a server that also serves users: a client
    /// certificate is verified against our CA certificates when one is
    /// sent, and clients without one are let in (anonymous: their
    /// [`PeerIdentity`] is empty).
    pub fn server_config_client_optional(&self) -> Result<Arc<ServerConfig>, TlsError> {
        self.server_config_verifying(true)
    }

    /// A server configuration presenting our chain, that verifies client
    /// certificates against our CA certificates (`optional`: clients
    /// without one are let in).
    fn server_config_verifying(&self, optional: bool) -> Result<Arc<ServerConfig>, TlsError> {
        let p = provider();
        let mut b =
            WebPkiClientVerifier::builder_with_provider(Arc::new(self.root_store()?), p.clone());
        if optional {
            b = b.allow_unauthenticated();
        }
        let verifier = b.build().map_err(|e| TlsError::Verifier(e.to_string()))?;
        server_presenting(p, verifier, self)
    }

    /// A client configuration that verifies the server's chain against our
    /// CA certificates (and its DNS name against the server name we
    /// connect with) and presents our chain.
    pub fn client_config(&self) -> Result<Arc<ClientConfig>, TlsError> {
        let config = ClientConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()?
            .with_root_certificates(self.root_store()?)
            .with_client_auth_cert(self.chain.clone(), self.key.clone_key())?;
        Ok(Arc::new(config))
    }
}

/// A demo certificate authority and the certificates it issued, as PEM
/// files in one folder: `ca.pem`, and `<name>.pem` / `<name>.key` per
/// issued certificate. Only for demonstrations: the keys are written
/// unprotected.
pub struct DemoPki {
    dir: PathBuf,
    ca: rcgen::Certificate,
    ca_key: KeyPair,
}

impl fmt::Debug for DemoPki {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DemoPki")
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

fn write_file(path: &Path, contents: &str) -> Result<(), TlsError> {
    std::fs::write(path, contents).map_err(|e| TlsError::Io(path.display().to_string(), e))
}

impl DemoPki {
    /// A new CA named `ca_name`, with its certificate written to
    /// `dir/ca.pem` (the folder is created when missing).
    pub fn new(dir: &Path, ca_name: &str) -> Result<DemoPki, TlsError> {
        std::fs::create_dir_all(dir).map_err(|e| TlsError::Io(dir.display().to_string(), e))?;
        let ca_key = KeyPair::generate()?;
        let mut params = CertificateParams::new(Vec::<String>::new())?;
        params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        params.distinguished_name.push(DnType::CommonName, ca_name);
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let ca = params.self_signed(&ca_key)?;
        write_file(&dir.join("ca.pem"), &ca.pem())?;
        Ok(DemoPki {
            dir: dir.to_owned(),
            ca,
            ca_key,
        })
    }

    /// A new CA in a fresh folder under the system's temporary directory
    /// (`simple-peering-pki-<pid>-<n>`).
    pub fn in_temp_dir(ca_name: &str) -> Result<DemoPki, TlsError> {
        use std::sync::atomic::{AtomicU32, Ordering};
        static N: AtomicU32 = AtomicU32::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let dir =
            std::env::temp_dir().join(format!("simple-peering-pki-{}-{n}", std::process::id()));
        DemoPki::new(&dir, ca_name)
    }

    /// The folder the PEM files are in.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The CA certificate, DER.
    pub fn ca_certificate(&self) -> &CertificateDer<'static> {
        self.ca.der()
    }

    /// Issues the certificate of SIP domain `domain` (RFC 5922 section
    /// 7.1: subjectAltName URI `sip:<domain>` and DNS `<domain>`; the DNS
    /// name is what a TLS client checks, the URI what SIP matches), usable
    /// as a server and as a client, and writes `<domain>.pem` and
    /// `<domain>.key`.
    pub fn issue(&self, domain: &str) -> Result<Credentials, TlsError> {
        self.issue_names(
            domain,
            &[
                CertName::Uri(format!("sip:{domain}")),
                CertName::Dns(domain.to_owned()),
            ],
        )
    }

    /// Issues a certificate with exactly the subjectAltNames `names` (URI and
    /// DNS forms; others are skipped) and `common_name` as the subject's CN,
    /// written as `<common_name>.pem` / `.key`.
    pub fn issue_names(
        &self,
        common_name: &str,
        names: &[CertName],
    ) -> Result<Credentials, TlsError> {
        let key = KeyPair::generate()?;
        let mut params = CertificateParams::new(Vec::<String>::new())?;
        params
            .distinguished_name
            .push(DnType::CommonName, common_name);
        for n in names {
            let san = match n {
                CertName::Uri(u) => SanType::URI(Ia5String::try_from(u.as_str())?),
                CertName::Dns(d) => SanType::DnsName(Ia5String::try_from(d.as_str())?),
                CertName::Other(_) => continue,
            };
            params.subject_alt_names.push(san);
        }
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![
            ExtendedKeyUsagePurpose::ServerAuth,
            ExtendedKeyUsagePurpose::ClientAuth,
        ];
        params.use_authority_key_identifier_extension = true;
        let cert = params.signed_by(&key, &self.ca, &self.ca_key)?;
        let stem: String = common_name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        write_file(&self.dir.join(format!("{stem}.pem")), &cert.pem())?;
        write_file(&self.dir.join(format!("{stem}.key")), &key.serialize_pem())?;
        Ok(Credentials {
            chain: vec![cert.der().clone()],
            key: PrivateKeyDer::try_from(key.serialize_der())
                .map_err(|e| TlsError::Pem(e.to_owned()))?,
            roots: vec![self.ca.der().clone()],
        })
    }
}

/// The names of a certificate that RFC 5922 section 7.1 looks at: every
/// subjectAltName (URI and DNS forms kept as such, others as
/// [`CertName::Other`]) and the subject's first commonName.
pub fn certificate_names(der: &[u8]) -> Result<CertificateNames, TlsError> {
    use x509_parser::prelude::{FromDer, GeneralName, X509Certificate};
    let (_, cert) =
        X509Certificate::from_der(der).map_err(|e| TlsError::Certificate(e.to_string()))?;
    let sans = cert
        .subject_alternative_name()
        .map_err(|e| TlsError::Certificate(e.to_string()))?;
    let subject_alt_names = sans.map(|ext| {
        ext.value
            .general_names
            .iter()
            .map(|g| match g {
                GeneralName::URI(u) => CertName::Uri((*u).to_owned()),
                GeneralName::DNSName(d) => CertName::Dns((*d).to_owned()),
                other => CertName::Other(other.to_string()),
            })
            .collect()
    });
    let common_name = cert
        .subject()
        .iter_common_name()
        .next()
        .and_then(|cn| cn.as_str().ok())
        .map(str::to_owned);
    Ok(CertificateNames {
        subject_alt_names,
        common_name,
    })
}

/// What a connection's peer proved in the handshake.
#[derive(Debug, Clone)]
pub struct PeerCert {
    /// The end-entity certificate, DER (for fingerprints).
    pub der: CertificateDer<'static>,
    /// Its names.
    pub names: CertificateNames,
    /// The SIP domains those names authenticate (RFC 5922 section 7.1,
    /// without the commonName fallback).
    pub identity: PeerIdentity,
}

impl PeerCert {
    /// Reads the peer's end-entity certificate from a finished handshake.
    /// The chain was verified by the configuration's verifier; this only
    /// reads names from it.
    pub fn from_state(state: &CommonState) -> Result<PeerCert, TlsError> {
        let der = state
            .peer_certificates()
            .and_then(|c| c.first())
            .ok_or(TlsError::NoPeerCertificate)?
            .clone();
        let names = certificate_names(&der)?;
        let identity = sip_domain_identities(&names, false);
        Ok(PeerCert {
            der,
            names,
            identity,
        })
    }

    /// The entry of the peer table `peers` whose domain this certificate
    /// authenticates, if any. A border refuses a connection with none
    /// (RFC 5344 section 3: only peers it has an agreement with), before
    /// reading any request from it.
    pub fn peer_in<'a>(&self, peers: &'a [PeerEntry]) -> Option<&'a PeerEntry> {
        peers.iter().find(|p| self.identity.covers(&p.domain))
    }

    /// The domains the identity covers, for logs: `[example.net]`.
    pub fn domains(&self) -> String {
        let d: Vec<&str> = self.identity.domains().iter().map(|d| d.as_str()).collect();
        format!("[{}]", d.join(", "))
    }

    /// The subjectAltNames in a short form for logs:
    /// `URI:sip:example.com, DNS:example.com`.
    pub fn describe(&self) -> String {
        match &self.names.subject_alt_names {
            None => format!(
                "no subjectAltName, CN={}",
                self.names.common_name.as_deref().unwrap_or("-")
            ),
            Some(sans) => sans
                .iter()
                .map(|n| match n {
                    CertName::Uri(u) => format!("URI:{u}"),
                    CertName::Dns(d) => format!("DNS:{d}"),
                    CertName::Other(o) => o.clone(),
                })
                .collect::<Vec<_>>()
                .join(", "),
        }
    }
}

/// The negotiated protocol version, e.g. `TLSv1_3`.
pub fn version(state: &CommonState) -> String {
    state
        .protocol_version()
        .map(|v| format!("{v:?}"))
        .unwrap_or_else(|| "-".into())
}

/// Connects to `addr` over TCP and runs the client handshake, checking the
/// server's certificate against `server_name` (the peer's domain).
pub async fn connect(
    config: Arc<ClientConfig>,
    addr: SocketAddr,
    server_name: &str,
) -> Result<(TlsStream<TcpStream>, PeerCert), TlsError> {
    let name = ServerName::try_from(server_name.to_owned())
        .map_err(|_| TlsError::ServerName(server_name.to_owned()))?;
    let go = async {
        let tcp = TcpStream::connect(addr)
            .await
            .map_err(|e| TlsError::Io(format!("connect to {addr}"), e))?;
        let _ = tcp.set_nodelay(true);
        TlsConnector::from(config)
            .connect(name, tcp)
            .await
            .map_err(|e| handshake_error(e, addr))
    };
    let stream = tokio::time::timeout(HANDSHAKE_TIMEOUT, go)
        .await
        .map_err(|_| TlsError::Timeout)??;
    let peer = PeerCert::from_state(stream.get_ref().1)?;
    Ok((TlsStream::from(stream), peer))
}

/// Runs the server handshake on an accepted TCP connection; the client
/// must have presented a certificate (as [`Credentials::server_config`]
/// demands).
pub async fn accept(
    config: Arc<ServerConfig>,
    tcp: TcpStream,
) -> Result<(TlsStream<TcpStream>, PeerCert), TlsError> {
    let (stream, peer) = accept_optional(config, tcp).await?;
    Ok((stream, peer.ok_or(TlsError::NoPeerCertificate)?))
}

/// Runs the server handshake with a configuration where the client
/// certificate is optional; the peer's certificate, if it sent one.
pub async fn accept_optional(
    config: Arc<ServerConfig>,
    tcp: TcpStream,
) -> Result<(TlsStream<TcpStream>, Option<PeerCert>), TlsError> {
    let from = tcp.peer_addr().ok();
    let _ = tcp.set_nodelay(true);
    let stream = tokio::time::timeout(HANDSHAKE_TIMEOUT, TlsAcceptor::from(config).accept(tcp))
        .await
        .map_err(|_| TlsError::Timeout)?
        .map_err(|e| match from {
            Some(a) => handshake_error(e, a),
            None => TlsError::Io("TLS handshake".into(), e),
        })?;
    let peer = match PeerCert::from_state(stream.get_ref().1) {
        Ok(p) => Some(p),
        Err(TlsError::NoPeerCertificate) => None,
        Err(e) => return Err(e),
    };
    Ok((TlsStream::from(stream), peer))
}

/// tokio-rustls reports TLS failures as I/O errors wrapping a
/// `rustls::Error`; unwrap it so the reason reads as TLS.
fn handshake_error(e: io::Error, addr: SocketAddr) -> TlsError {
    let tls = e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        .cloned();
    match tls {
        Some(t) => TlsError::Tls(t),
        None => TlsError::Io(format!("TLS handshake with {addr}"), e),
    }
}

/// What [`SipReader::next`] read.
#[derive(Debug)]
pub enum Framed {
    /// A whole SIP message.
    Message(Box<Message>),
    /// A CRLFCRLF keep-alive ping (RFC 5626 section 4.4.1): answer CRLF.
    Ping,
    /// A CRLF pong.
    Pong,
}

/// Reads SIP messages from a byte stream (the read half of a TLS stream).
pub struct SipReader<R> {
    rd: R,
    framer: StreamFramer,
    buf: Vec<u8>,
}

impl<R> fmt::Debug for SipReader<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SipReader")
            .field("buffered", &self.framer.buffered())
            .finish_non_exhaustive()
    }
}

impl<R: AsyncRead + Unpin> SipReader<R> {
    /// A reader with the framer's `limits` (message and header sizes).
    pub fn new(rd: R, limits: Limits) -> SipReader<R> {
        SipReader {
            rd,
            framer: StreamFramer::new(limits),
            buf: vec![0u8; 16 * 1024],
        }
    }

    /// The next message or keep-alive; `None` when the peer closed the
    /// stream. A framing error is final: the caller closes the connection
    /// (RFC 3261 section 18.3).
    ///
    /// Cancel-safe: dropping the future (a `tokio::select!` branch that
    /// lost) loses no bytes, since they are framed as soon as a read
    /// returns.
    pub async fn next(&mut self) -> Result<Option<Framed>, TlsError> {
        loop {
            match self.framer.poll_event() {
                Ok(Some(StreamEvent::Message(m))) => return Ok(Some(Framed::Message(Box::new(m)))),
                Ok(Some(StreamEvent::Ping)) => return Ok(Some(Framed::Ping)),
                Ok(Some(StreamEvent::Pong)) => return Ok(Some(Framed::Pong)),
                Ok(None) => {}
                Err(e) => return Err(TlsError::Framing(e)),
            }
            let n = self
                .rd
                .read(&mut self.buf)
                .await
                .map_err(|e| TlsError::Io("reading the stream".into(), e))?;
            if n == 0 {
                return Ok(None);
            }
            self.framer
                .handle_input(self.buf.get(..n).unwrap_or_default());
        }
    }
}

/// Writes one SIP message and flushes it out of the TLS layer; returns the
/// message's size.
pub async fn write_message<W: AsyncWrite + Unpin>(w: &mut W, m: &Message) -> io::Result<usize> {
    let bytes = m.to_bytes();
    w.write_all(&bytes).await?;
    w.flush().await?;
    Ok(bytes.len())
}

/// The handshake signature checks, the same for the server and the client
/// certificate verifier: rustls's own, with the provider's algorithms.
macro_rules! handshake_signatures {
    () => {
        fn verify_tls12_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
        }

        fn verify_tls13_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
        }

        fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
            self.algorithms.supported_schemes()
        }
    };
}

/// Accepts any certificate chain, checking only the handshake signatures:
/// the caller authenticates the end-entity certificate by its fingerprint
/// after the handshake (RFC 4975 section 14.4, RFC 8122 section 5).
#[derive(Debug)]
struct FingerprintOnly {
    algorithms: WebPkiSupportedAlgorithms,
}

impl FingerprintOnly {
    fn new() -> Arc<FingerprintOnly> {
        Arc::new(FingerprintOnly {
            algorithms: provider().signature_verification_algorithms,
        })
    }
}

impl ServerCertVerifier for FingerprintOnly {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    handshake_signatures!();
}

impl ClientCertVerifier for FingerprintOnly {
    fn root_hint_subjects(&self) -> &[rustls::DistinguishedName] {
        &[]
    }

    fn verify_client_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        Ok(ClientCertVerified::assertion())
    }

    handshake_signatures!();
}

/// The server side of an MSRP-over-TLS connection: presents `creds` and
/// requires a client certificate, any one; the caller then checks it
/// against the SDP fingerprint (see the [module docs](self)).
pub fn msrp_server_config(creds: &Credentials) -> Result<Arc<ServerConfig>, TlsError> {
    server_presenting(provider(), FingerprintOnly::new(), creds)
}

/// A server configuration that presents `creds`' chain and checks client
/// certificates with `verifier`.
fn server_presenting(
    p: Arc<CryptoProvider>,
    verifier: Arc<dyn ClientCertVerifier>,
    creds: &Credentials,
) -> Result<Arc<ServerConfig>, TlsError> {
    let config = ServerConfig::builder_with_provider(p)
        .with_safe_default_protocol_versions()?
        .with_client_cert_verifier(verifier)
        .with_single_cert(creds.chain.clone(), creds.key.clone_key())?;
    Ok(Arc::new(config))
}

/// The client side of an MSRP-over-TLS connection: presents `creds` and
/// accepts any server certificate; the caller then checks it against the
/// SDP fingerprint.
pub fn msrp_client_config(creds: &Credentials) -> Result<Arc<ClientConfig>, TlsError> {
    let config = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()?
        .dangerous()
        .with_custom_certificate_verifier(FingerprintOnly::new())
        .with_client_auth_cert(creds.chain.clone(), creds.key.clone_key())?;
    Ok(Arc::new(config))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::net::TcpListener;

    fn pki() -> DemoPki {
        DemoPki::in_temp_dir("test CA").expect("demo CA")
    }

    #[test]
    fn issued_certificates_carry_the_sip_domain_names() {
        let pki = pki();
        let c = pki.issue("example.com").expect("issue");
        let names = certificate_names(c.certificate().expect("leaf")).expect("parse");
        assert_eq!(
            names.subject_alt_names,
            Some(vec![
                CertName::Uri("sip:example.com".into()),
                CertName::Dns("example.com".into())
            ])
        );
        assert_eq!(names.common_name.as_deref(), Some("example.com"));
        let id = sip_domain_identities(&names, false);
        assert!(id.covers("example.com"));
        assert!(id.covers("EXAMPLE.COM"));
        assert!(!id.covers("example.net"));
        // The files are there and load back to the same certificate.
        let dir = pki.dir();
        let back = Credentials::from_pem_files(
            &dir.join("example.com.pem"),
            &dir.join("example.com.key"),
            &dir.join("ca.pem"),
        )
        .expect("load the PEM files");
        assert_eq!(back.chain, c.chain);
        assert_eq!(back.roots, vec![pki.ca_certificate().clone()]);
        assert_eq!(back.key.secret_der(), c.key.secret_der());
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn a_certificate_for_example_org_does_not_cover_example_net() {
        let pki = pki();
        let c = pki.issue("example.org").expect("issue");
        let names = certificate_names(c.certificate().expect("leaf")).expect("parse");
        let id = sip_domain_identities(&names, false);
        assert_eq!(
            id.domains().iter().map(|d| d.as_str()).collect::<Vec<_>>(),
            ["example.org"]
        );
        assert!(!id.covers("example.net"));
        assert!(!id.covers("sub.example.org"));
        let peer = PeerCert {
            der: c.certificate().expect("leaf").clone(),
            names,
            identity: id,
        };
        use simple_presence::views::PeerMode;
        let table = [
            PeerEntry::new("example.net", PeerMode::PerView),
            PeerEntry::new("hub.example.org", PeerMode::PerView),
        ];
        assert_eq!(peer.peer_in(&table), None);
        assert_eq!(peer.domains(), "[example.org]");
        let with_org = [PeerEntry::new("Example.ORG", PeerMode::Delegated)];
        assert_eq!(
            peer.peer_in(&with_org).map(|p| p.mode),
            Some(PeerMode::Delegated)
        );
        let _ = std::fs::remove_dir_all(pki.dir());
    }

    #[test]
    fn other_name_forms_come_out_as_rfc_5922_reads_them() {
        let pki = pki();
        // DNS only: the DNS name is the identity.
        let dns = pki
            .issue_names("dns-only", &[CertName::Dns("Example.NET".into())])
            .expect("issue");
        let n = certificate_names(dns.certificate().expect("leaf")).expect("parse");
        assert_eq!(
            n.subject_alt_names,
            Some(vec![CertName::Dns("Example.NET".into())])
        );
        assert!(sip_domain_identities(&n, false).covers("example.net"));
        // A user's URI and a DNS name: the URI has a user part so it names
        // no domain, and then the DNS name counts.
        let user = pki
            .issue_names(
                "user-uri",
                &[
                    CertName::Uri("sip:alice@example.com".into()),
                    CertName::Dns("hub.example.org".into()),
                ],
            )
            .expect("issue");
        let n = certificate_names(user.certificate().expect("leaf")).expect("parse");
        let id = sip_domain_identities(&n, false);
        assert!(!id.covers("example.com"));
        assert!(id.covers("hub.example.org"));
        // No subjectAltName at all: only the CN, and only when allowed.
        let bare = pki.issue_names("cn.example", &[]).expect("issue");
        let n = certificate_names(bare.certificate().expect("leaf")).expect("parse");
        assert_eq!(n.subject_alt_names, None);
        assert_eq!(n.common_name.as_deref(), Some("cn.example"));
        assert!(sip_domain_identities(&n, false).is_anonymous());
        assert!(sip_domain_identities(&n, true).covers("cn.example"));
        let _ = std::fs::remove_dir_all(pki.dir());
    }

    #[test]
    fn garbage_is_not_a_certificate() {
        assert!(matches!(
            certificate_names(b"\x30\x03\x02\x01\x01"),
            Err(TlsError::Certificate(_))
        ));
        assert!(certificate_names(b"").is_err());
    }

    /// Two ends over loopback: `server` accepts with `sc`, the client
    /// connects with `cc` as `name`. Returns both sides' results.
    async fn pair(
        sc: Arc<ServerConfig>,
        cc: Arc<ClientConfig>,
        name: &str,
    ) -> (
        Result<(TlsStream<TcpStream>, PeerCert), TlsError>,
        Result<(TlsStream<TcpStream>, PeerCert), TlsError>,
    ) {
        let l = TcpListener::bind("127.0.0.1:0").await.expect("listen");
        let addr = l.local_addr().expect("addr");
        let server = tokio::spawn(async move {
            let (tcp, _) = l.accept().await.expect("accept");
            accept(sc, tcp).await
        });
        let client = connect(cc, addr, name).await;
        (server.await.expect("server task"), client)
    }

    #[tokio::test]
    async fn mutual_tls_gives_both_sides_the_other_domain() {
        let pki = pki();
        let com = pki.issue("example.com").expect("issue");
        let net = pki.issue("example.net").expect("issue");
        let (s, c) = pair(
            net.server_config().expect("server config"),
            com.client_config().expect("client config"),
            "example.net",
        )
        .await;
        let (mut s, s_peer) = s.expect("server handshake");
        let (c, c_peer) = c.expect("client handshake");
        assert!(s_peer.identity.covers("example.com"));
        assert!(!s_peer.identity.covers("example.net"));
        assert!(c_peer.identity.covers("example.net"));
        assert_eq!(c_peer.describe(), "URI:sip:example.net, DNS:example.net");
        // A SIP message crosses and frames.
        let (_, mut w) = tokio::io::split(c);
        let m = Message::parse_datagram(
            &b"OPTIONS sip:example.net SIP/2.0\r\nVia: SIP/2.0/TLS 127.0.0.1;branch=z9hG4bK1\r\n\
From: <sip:a@example.com>;tag=1\r\nTo: <sip:example.net>\r\nCall-ID: c1\r\nCSeq: 1 OPTIONS\r\n\
Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n"[..],
            &Limits::default(),
        )
        .expect("parse");
        let n = write_message(&mut w, &m).await.expect("write");
        assert_eq!(n, m.to_bytes().len());
        w.write_all(b"\r\n\r\n").await.expect("ping");
        w.flush().await.expect("flush");
        let (r, _) = tokio::io::split(&mut s);
        let mut rd = SipReader::new(r, Limits::default());
        match rd.next().await.expect("read") {
            Some(Framed::Message(got)) => assert_eq!(got.to_bytes(), m.to_bytes()),
            other => panic!("expected the OPTIONS, got {other:?}"),
        }
        assert!(matches!(rd.next().await, Ok(Some(Framed::Ping))));
        let _ = std::fs::remove_dir_all(pki.dir());
    }

    #[tokio::test]
    async fn a_certificate_from_another_ca_is_refused() {
        let pki = pki();
        let rogue_ca = DemoPki::in_temp_dir("rogue CA").expect("rogue CA");
        let net = pki.issue("example.net").expect("issue");
        // Claims example.com but is signed by a CA example.net does not trust.
        let fake = rogue_ca.issue("example.com").expect("issue");
        let mut fake_client = fake.clone();
        fake_client.roots = net.roots.clone();
        let (s, _) = pair(
            net.server_config().expect("server config"),
            fake_client.client_config().expect("client config"),
            "example.net",
        )
        .await;
        assert!(
            matches!(
                s,
                Err(TlsError::Tls(rustls::Error::InvalidCertificate(
                    rustls::CertificateError::UnknownIssuer
                )))
            ),
            "{s:?}"
        );
        // And a client refuses a server whose name is not the domain it
        // wanted.
        let com = pki.issue("example.com").expect("issue");
        let (_, c) = pair(
            net.server_config().expect("server config"),
            com.client_config().expect("client config"),
            "example.org",
        )
        .await;
        assert!(
            matches!(
                c,
                Err(TlsError::Tls(rustls::Error::InvalidCertificate(
                    rustls::CertificateError::NotValidForName
                        | rustls::CertificateError::NotValidForNameContext { .. }
                )))
            ),
            "{c:?}"
        );
        let _ = std::fs::remove_dir_all(pki.dir());
        let _ = std::fs::remove_dir_all(rogue_ca.dir());
    }

    #[tokio::test]
    async fn msrp_configs_accept_self_signed_certificates_for_fingerprinting() {
        let alice = Credentials::self_signed("alice").expect("alice");
        let bob = Credentials::self_signed("bob").expect("bob");
        let (s, c) = pair(
            msrp_server_config(&alice).expect("server config"),
            msrp_client_config(&bob).expect("client config"),
            "alice.invalid",
        )
        .await;
        let (_, s_peer) = s.expect("server handshake");
        let (_, c_peer) = c.expect("client handshake");
        assert_eq!(Some(&s_peer.der), bob.certificate());
        assert_eq!(Some(&c_peer.der), alice.certificate());
        assert!(c_peer.identity.is_anonymous());
    }
}
