//! `msrp-chat`: a text chat over MSRP (RFC 4975), set up by a SIP INVITE
//! whose SDP offers `a=accept-types:message/cpim text/plain` (RFC 4975
//! section 8, RFC 6135 `a=setup`).
//!
//! ```text
//! msrp-chat --listen 127.0.0.1:5070 --echo
//! msrp-chat --server 127.0.0.1:5070 --as sip:alice@127.0.0.1 --to sip:bob@127.0.0.1:5070 hello "how are you"
//! ```
//!
//! The caller sends each TEXT (or each line of standard input when no TEXT
//! is given) as one SEND, prints every message it receives as
//! `received: TEXT`, and hangs up (BYE) at the end of its input. The
//! listener prints every message it receives, and with `--echo` sends it
//! back, so a script can test the round trip.
#![allow(clippy::disallowed_methods)]

use examples::args::Args;
use examples::msrp_cli::{self, Beside, Call, Incoming, MsrpConn, Role, Wake, DEFAULT_TIMEOUT};
use examples::net::{peer_for, resolve, uri_arg, Driver};
use msrp::sdp::MsrpDescription;
use msrp::{Event, MessageSpec, Session, SessionConfig};
use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::mpsc;

const USAGE: &str = "\
usage: msrp-chat --server HOST:PORT --as URI --to URI [--cpim] [--tcp]
                 [--expect N] [--timeout S] [TEXT...]
       msrp-chat --listen ADDR [--msrp-listen ADDR] [--echo] [--once]
                 [--active] [--timeout S]

Caller (--server): INVITEs URI through HOST:PORT with an MSRP chat offer,
sends each TEXT as one message (each line of standard input when no TEXT
is given), prints each message received as \"received: TEXT\", and hangs
up (BYE) at the end of its input.
  --cpim        wrap each message in message/cpim (RFC 3862)
  --tcp         SIP over TCP (MSRP is always TCP)
  --expect N    before hanging up, wait for N messages from the peer
                (e.g. the echoes of a listener run with --echo)
Listener (--listen): takes chat INVITEs on ADDR (UDP and TCP), one call at
a time, and prints each message received as \"received: TEXT\".
  --msrp-listen ADDR  where peers connect for MSRP (default: ADDR's host,
                      a free port)
  --echo        send every message received back to its sender
  --once        exit after the first call
  --active      answer a=setup:active and connect to the caller (as
                behind a NAT) instead of listening (RFC 6135)
Both:
  --timeout S   longest wait for any answer from the peer (default 10)
Exit status: 0 at the end of the chat (after BYE); 1 on refusal, failure
or timeout.";

/// Largest chat message taken (RFC 4975 a=max-size is not offered; this
/// only bounds what one message may make us hold).
const MAX_CHAT_MESSAGE: u64 = 1 << 20;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    if let Err(e) = run().await {
        eprintln!("msrp-chat: {e}");
        std::process::exit(1);
    }
}

async fn run() -> Result<(), String> {
    let args = Args::parse(
        std::env::args().skip(1),
        &["tcp", "cpim", "echo", "once", "active"],
    )?;
    if args.flag("help") {
        examples::say!("{USAGE}");
        return Ok(());
    }
    let timeout = Duration::from_secs(args.parsed("timeout", DEFAULT_TIMEOUT)?);
    if args.get("listen").is_some() {
        args.only(&["listen", "msrp-listen", "echo", "once", "active", "timeout"])?;
        if let Some(p) = args.positional.first() {
            return Err(format!("unexpected argument {p:?} (see --help)"));
        }
        listen(&args, timeout).await
    } else {
        args.only(&["server", "as", "to", "cpim", "tcp", "expect", "timeout"])?;
        caller(&args, timeout).await
    }
}

/// What a chat side does with its messages.
struct ChatJob {
    role: Role,
    listener: Arc<TcpListener>,
    peer_path: Vec<msrp::MsrpUri>,
    cfg: SessionConfig,
    timeout: Duration,
    /// The types the peer takes (for the bodies we send).
    peer_types: Vec<String>,
    /// CPIM From and To of what we send.
    me: String,
    them: String,
    cpim: bool,
    /// Texts to send; `None` reads standard input.
    texts: Option<Vec<String>>,
    /// Messages to wait for before the end.
    expect: usize,
    echo: bool,
    /// The listener's side: no input of its own, ends when the caller
    /// closes the connection.
    answering: bool,
}

/// The chat over MSRP: sends what there is to send, prints what comes,
/// echoes when asked. Returns the number of messages received. A caller
/// ends at the end of its input once every message is confirmed and the
/// expected ones came; a listener ends when the caller closes the
/// connection.
async fn chat(job: ChatJob) -> Result<usize, String> {
    let stream =
        msrp_cli::open_connection(job.role, &job.listener, &job.peer_path, job.timeout).await?;
    let session = Session::new(job.cfg.clone()).map_err(|e| format!("MSRP session: {e}"))?;
    let mut conn = MsrpConn::new(session, stream, job.timeout);
    let mut queue: VecDeque<String> = VecDeque::new();
    let mut lines: Option<mpsc::UnboundedReceiver<String>> = None;
    let mut input_done = true;
    match &job.texts {
        Some(t) => queue.extend(t.iter().cloned()),
        None if job.answering => {}
        None => {
            lines = Some(msrp_cli::stdin_lines());
            input_done = false;
        }
    }
    // RFC 4975 7.1.1: the side that connects sends at once; an empty SEND
    // when it has nothing yet.
    let mut ours: HashMap<String, String> = HashMap::new();
    if job.role == Role::Active && queue.is_empty() {
        let id = conn
            .session
            .send_message(MessageSpec::new("text/plain"), msrp::Bytes::new())
            .map_err(|e| format!("MSRP: {e}"))?;
        ours.insert(id, String::new());
    }
    let mut incoming: HashMap<String, (Option<String>, Vec<u8>)> = HashMap::new();
    let mut received = 0usize;
    loop {
        while let Some(text) = queue.pop_front() {
            let (spec, body) =
                msrp_cli::chat_message(&job.peer_types, job.cpim, &job.me, &job.them, &text);
            let id = conn
                .session
                .send_message(spec, body)
                .map_err(|e| format!("MSRP: {e}"))?;
            ours.insert(id, text);
        }
        conn.flush().await?;
        while let Some(ev) = conn.session.poll_event() {
            match ev {
                Event::MessageStart {
                    message_id,
                    content_type,
                    ..
                } => {
                    incoming.insert(message_id, (content_type, Vec::new()));
                }
                Event::Data {
                    message_id, data, ..
                } => {
                    if let Some((_, buf)) = incoming.get_mut(&message_id) {
                        buf.extend_from_slice(&data);
                    }
                }
                Event::MessageComplete { message_id, .. } => {
                    let Some((ct, body)) = incoming.remove(&message_id) else {
                        continue;
                    };
                    if body.is_empty() {
                        continue; // a binding SEND (RFC 4975 7.1.1)
                    }
                    let text = msrp_cli::chat_text(ct.as_deref(), &body);
                    examples::say!("received: {text}");
                    received += 1;
                    if job.echo {
                        queue.push_back(text);
                    }
                }
                Event::MessageAborted { message_id, status } => {
                    incoming.remove(&message_id);
                    if let Some(s) = status {
                        examples::say!("refused an incoming message: MSRP {s}");
                    }
                }
                Event::MessageSent { message_id } => {
                    if let Some(text) = ours.remove(&message_id) {
                        if !text.is_empty() {
                            examples::say!("sent: {text}");
                        }
                    }
                }
                Event::MessageFailed { message_id, status } => {
                    let text = ours.remove(&message_id).unwrap_or_default();
                    if !text.is_empty() {
                        return Err(format!("message {text:?} failed: MSRP {status}"));
                    }
                }
                Event::StreamError(e) => return Err(format!("MSRP stream from the peer: {e}")),
                _ => {}
            }
        }
        if !queue.is_empty() {
            continue;
        }
        if !job.answering && input_done && ours.is_empty() && received >= job.expect {
            return Ok(received);
        }
        if conn.is_closed() {
            if job.answering {
                return Ok(received);
            }
            return Err("the peer closed the MSRP connection".into());
        }
        // While the user may still type, wait as long as it takes; after
        // that, everything left is up to the peer: bounded.
        let bounded = input_done && !job.answering;
        match conn
            .wait(lines.as_mut().filter(|_| !input_done), bounded)
            .await?
        {
            Wake::Line(Some(l)) => queue.push_back(l),
            Wake::Line(None) => input_done = true,
            Wake::Closed | Wake::Input | Wake::Timer => {}
        }
    }
}

async fn caller(args: &Args, timeout: Duration) -> Result<(), String> {
    let server = resolve(args.require("server")?)?;
    let me = args.require("as")?;
    uri_arg("as", me)?;
    let to = args.require("to")?;
    uri_arg("to", to)?;
    let tcp = args.flag("tcp");
    let expect: usize = args.parsed("expect", 0)?;
    let texts = (!args.positional.is_empty()).then(|| args.positional.clone());

    let seed = examples::seed();
    let (mut drv, listener, listen, uri) = msrp_cli::bind_calling(server, tcp, seed).await?;
    let ours = MsrpDescription::chat(&listen.ip().to_string(), listen.port(), uri);
    let sdp = ours.to_sdp(msrp_cli::user_of(me, "chat"), seed >> 1);
    let (mut call, answer) =
        Call::invite(&mut drv, peer_for(server, tcp), me, to, &sdp, timeout).await?;
    if answer.port == 0 {
        let _ = call.hang_up(&mut drv).await;
        return Err("the peer declined the chat (port 0 in its answer)".into());
    }
    let mut cfg = ours
        .session_config(&answer)
        .ok_or("our own MSRP path is empty")?;
    cfg.seed = seed;
    cfg.transaction_timeout = timeout;
    cfg.max_message_size = Some(MAX_CHAT_MESSAGE);
    let job = ChatJob {
        role: Role::of_offerer(answer.setup),
        listener: Arc::new(listener),
        peer_path: answer.path.clone(),
        cfg,
        timeout,
        peer_types: answer.accept_types.clone(),
        me: me.to_owned(),
        them: to.to_owned(),
        cpim: args.flag("cpim"),
        texts,
        expect,
        echo: false,
        answering: false,
    };
    let task = tokio::spawn(chat(job));
    let result = match call
        .run_beside(&mut drv, task, Duration::from_millis(500))
        .await
    {
        Beside::Done(r) => r,
        Beside::HungUp => Err("the peer hung up".into()),
    };
    let peer_hung_up = call.ended();
    let bye = call.hang_up(&mut drv).await;
    let n = match result {
        Err(e) if peer_hung_up => return Err(format!("the peer hung up (BYE): {e}")),
        r => r?,
    };
    bye?;
    examples::say!("chat ended: {n} messages received");
    Ok(())
}

/// The URI inside a From or To value (`"Name" <uri>;tag=x` gives `uri`).
fn uri_in(value: &str) -> String {
    match value.split_once('<').and_then(|(_, r)| r.split_once('>')) {
        Some((u, _)) => u.to_owned(),
        None => value.split(';').next().unwrap_or("").trim().to_owned(),
    }
}

/// Why a chat offer cannot be taken, if it cannot.
fn unacceptable(offer: &MsrpDescription) -> Option<String> {
    if offer.file.is_some() {
        return Some("a file transfer, not a chat (msrp-recv-file takes files)".into());
    }
    if offer
        .path
        .last()
        .is_some_and(|u| u.is_secure() || u.is_websocket())
    {
        return Some("only msrp over TCP is supported (no TLS, no WebSocket)".into());
    }
    let ok = offer.accept_types.iter().any(|t| {
        t == "*"
            || t.eq_ignore_ascii_case("text/plain")
            || t.eq_ignore_ascii_case("text/*")
            || t.eq_ignore_ascii_case("message/cpim")
    });
    (!ok).then(|| "the offer takes neither text/plain nor message/cpim".into())
}

async fn listen(args: &Args, timeout: Duration) -> Result<(), String> {
    let addrs = msrp_cli::listen_addrs(args)?;
    let echo = args.flag("echo");
    let once = args.flag("once");
    let active = args.flag("active");
    let side = Side {
        echo,
        active,
        timeout,
    };
    msrp_cli::serve(
        addrs,
        once,
        "msrp-chat",
        async |drv, listener, msrp_addr, inc, seed| {
            one_call(drv, listener, msrp_addr, inc, side, seed).await
        },
    )
    .await
}

/// How the listener answers.
#[derive(Clone, Copy)]
struct Side {
    echo: bool,
    active: bool,
    timeout: Duration,
}

/// One incoming INVITE: refused (`Ok(false)`) or a chat that ended well
/// (`Ok(true)`) or not (`Err`).
async fn one_call(
    drv: &mut Driver,
    listener: &Arc<TcpListener>,
    msrp_addr: SocketAddr,
    inc: Incoming,
    side: Side,
    seed: u64,
) -> Result<bool, String> {
    let Side {
        echo,
        active,
        timeout,
    } = side;
    let Some(offer) = msrp_cli::take_offer(drv, &inc, unacceptable).await else {
        return Ok(false);
    };
    let (role, msrp_addr, uri) =
        msrp_cli::answering(offer.setup, active, msrp_addr, inc.peer.addr, seed)?;
    let answer = msrp_cli::offer::answer(
        &offer,
        role,
        msrp_addr,
        uri,
        vec!["message/cpim".into(), "text/plain".into()],
        None,
    );
    let mut call = msrp_cli::accept(
        drv,
        &inc,
        &answer.to_sdp("chat", seed >> 1),
        "chat",
        timeout,
    )
    .await?;
    let from = inc.from();
    examples::say!(
        "INVITE from {from} -> 200 OK, setup:{}",
        role.setup().as_str()
    );
    let mut cfg = answer
        .session_config(&offer)
        .ok_or("our own MSRP path is empty")?;
    cfg.seed = seed;
    cfg.transaction_timeout = timeout;
    cfg.max_message_size = Some(MAX_CHAT_MESSAGE);
    let me = uri_in(
        &inc.request
            .headers()
            .get(&sip_core::header::HeaderName::TO)
            .map(|v| String::from_utf8_lossy(v).into_owned())
            .unwrap_or_default(),
    );
    let job = ChatJob {
        role,
        listener: listener.clone(),
        peer_path: offer.path.clone(),
        cfg,
        timeout,
        peer_types: offer.accept_types.clone(),
        me,
        them: uri_in(&from),
        cpim: false,
        texts: None,
        expect: 0,
        echo,
        answering: true,
    };
    let task = tokio::spawn(chat(job));
    let result = match call.run_beside(drv, task, Duration::from_millis(500)).await {
        Beside::Done(r) => r,
        // The caller hung up and kept the connection: the chat is over.
        Beside::HungUp => Ok(0),
    };
    match result {
        Ok(n) => {
            // The caller closed the connection; its BYE is on the way.
            if !call.await_bye(drv, timeout).await {
                call.hang_up(drv).await?;
            }
            examples::say!("chat with {} ended: {n} messages received", uri_in(&from));
            Ok(true)
        }
        Err(e) => {
            let _ = call.hang_up(drv).await;
            Err(e)
        }
    }
}
