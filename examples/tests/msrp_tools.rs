//! The MSRP programs against each other over real sockets on 127.0.0.1:
//! `msrp-send-file` to `msrp-recv-file` (both connection roles of RFC
//! 6135, SIP over UDP and TCP), `msrp-chat` to `msrp-chat --listen
//! --echo`, refusals (RFC 5547 / RFC 4975 `a=max-size`, a chat offered to
//! the file receiver), a peer that does not answer, and every `--help`.
//!
//! `cargo test -p examples` builds the examples before the tests; they are
//! found next to the test binary, in `target/<profile>/examples/`. With
//! `--test msrp_tools` alone cargo does not build them: add `--examples`,
//! or a stale program is run.

mod common;

use common::{assert_ok, bin, free_port, run, text, Running};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("sp-msrp-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("scratch dir");
    d
}

/// Starts a listening program (`msrp-recv-file` or `msrp-chat --listen`)
/// on a free port; returns it, its SIP address and its log file once it
/// listens.
fn listener(dir: &Path, name: &str, extra: &[&str]) -> (Running, String, PathBuf) {
    let addr = format!("127.0.0.1:{}", free_port());
    let log = dir.join(format!("{name}.log"));
    let out = std::fs::File::create(&log).expect("log file");
    let err = out.try_clone().expect("log file");
    let child = Command::new(bin(name))
        .args(["--listen", &addr])
        .args(extra)
        .stdout(out)
        .stderr(err)
        .spawn()
        .unwrap_or_else(|e| panic!("{name} runs: {e}"));
    let running = Running(child);
    for _ in 0..200 {
        if std::fs::read_to_string(&log).is_ok_and(|s| s.contains("listening")) {
            return (running, addr, log);
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    panic!("{name} did not start");
}

/// The command line of alice calling `to` through `server`, then `more`.
fn calling<'a>(server: &'a str, to: &'a str, more: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "--server",
        server,
        "--as",
        "sip:alice@127.0.0.1",
        "--to",
        to,
    ];
    args.extend_from_slice(more);
    args
}

/// Writes `len` pseudo-random bytes to `path`, 64 KiB at a time.
fn make_file(path: &Path, len: usize, seed: u64) {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).expect("create"));
    let mut x = seed | 1;
    let mut left = len;
    let mut block = vec![0u8; 64 * 1024];
    while left > 0 {
        for w in block.chunks_mut(8) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            w.copy_from_slice(&x.to_le_bytes()[..w.len()]);
        }
        let n = left.min(block.len());
        f.write_all(&block[..n]).expect("write");
        left -= n;
    }
    f.flush().expect("flush");
}

/// Whether two files hold the same bytes (compared 64 KiB at a time).
fn same_bytes(a: &Path, b: &Path) -> bool {
    let open = |p: &Path| std::io::BufReader::new(std::fs::File::open(p).expect("open"));
    let (mut fa, mut fb) = (open(a), open(b));
    let (mut ba, mut bb) = (vec![0u8; 64 * 1024], vec![0u8; 64 * 1024]);
    loop {
        let na = fa.read(&mut ba).expect("read");
        let nb = fb.read_exact(&mut bb[..na]).map(|()| na);
        if nb.is_err() || ba[..na] != bb[..na] {
            return false;
        }
        if na == 0 {
            return fb.read(&mut bb).expect("read") == 0;
        }
    }
}

/// Sends a file of `len` bytes with `send_args` to a receiver started with
/// `recv_args` (plus `--once`), and checks it arrives whole.
fn transfer(name: &str, len: usize, recv_args: &[&str], send_args: &[&str]) {
    let dir = scratch(name);
    let inbox = dir.join("inbox");
    std::fs::create_dir_all(&inbox).expect("inbox");
    let file = dir.join("payload.bin");
    make_file(&file, len, len as u64);
    let inbox_s = inbox.to_str().expect("utf-8 path");
    let mut args = vec!["--dir", inbox_s, "--once"];
    args.extend_from_slice(recv_args);
    let (mut recv, addr, log) = listener(&dir, "msrp-recv-file", &args);
    let file_s = file.to_str().expect("utf-8 path");
    let to = format!("sip:bob@{addr}");
    let mut args = calling(&addr, &to, send_args);
    args.push(file_s);
    let out = run("msrp-send-file", &args);
    assert_ok("msrp-send-file", &out);
    let said = text(&out.stdout);
    assert!(said.contains("INVITE sip:bob@"), "{said}");
    assert!(
        said.contains(&format!("REPORT 200 for all {len} bytes")),
        "{said}"
    );
    assert!(said.contains("BYE -> 200"), "{said}");
    let st = recv.exit_within(Duration::from_secs(20));
    let logged = std::fs::read_to_string(&log).expect("log");
    assert!(st.success(), "msrp-recv-file --once failed:\n{logged}");
    assert!(
        logged.contains(&format!("received payload.bin ({len} bytes)")),
        "{logged}"
    );
    assert!(logged.contains("BYE from the peer -> 200"), "{logged}");
    let got = inbox.join("payload.bin");
    assert_eq!(
        std::fs::metadata(&got).expect("received file").len(),
        len as u64
    );
    assert!(same_bytes(&file, &got), "the received file differs");
    // Nothing half-written is left behind.
    let left: Vec<_> = std::fs::read_dir(&inbox).expect("inbox").collect();
    assert_eq!(left.len(), 1, "{left:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn five_megabytes_arrive_byte_identical() {
    transfer("5mb", 5 * 1024 * 1024, &[], &[]);
}

#[test]
fn receiver_connects_when_active_sip_over_tcp_small_chunks() {
    // The receiver takes a=setup:active (RFC 6135), so it opens the MSRP
    // connection and sends the binding SEND; 2048-byte chunks, SIP on TCP.
    transfer(
        "active",
        300_000 + 7,
        &["--active"],
        &["--tcp", "--chunk-size", "2048"],
    );
}

#[test]
fn an_empty_file_arrives() {
    transfer("empty", 0, &[], &[]);
}

#[test]
fn a_file_over_max_size_is_refused_with_488_and_the_receiver_keeps_serving() {
    let dir = scratch("maxsize");
    let inbox = dir.join("inbox");
    std::fs::create_dir_all(&inbox).expect("inbox");
    let big = dir.join("big.bin");
    make_file(&big, 5000, 1);
    let small = dir.join("small.bin");
    make_file(&small, 900, 2);
    let inbox_s = inbox.to_str().expect("utf-8 path");
    let (_recv, addr, log) = listener(
        &dir,
        "msrp-recv-file",
        &["--dir", inbox_s, "--max-size", "1000"],
    );
    let to = format!("sip:bob@{addr}");
    let send = |file: &Path| {
        run(
            "msrp-send-file",
            &calling(
                &addr,
                &to,
                &["--timeout", "5", file.to_str().expect("utf-8 path")],
            ),
        )
    };
    let out = send(&big);
    assert!(!out.status.success(), "a refused file must fail");
    let err = text(&out.stderr);
    assert!(
        err.contains("INVITE refused: 488 Not Acceptable Here"),
        "{err}"
    );
    assert!(
        err.contains("5000 bytes is over the max-size of 1000"),
        "{err}"
    );
    assert!(!inbox.join("big.bin").exists());
    // Still listening: a file under the limit goes through.
    let out = send(&small);
    assert_ok("msrp-send-file (small)", &out);
    assert!(same_bytes(&small, &inbox.join("small.bin")));
    let logged = std::fs::read_to_string(&log).expect("log");
    assert!(logged.contains("-> 488"), "{logged}");
    assert!(
        logged.contains("received small.bin (900 bytes)"),
        "{logged}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_chat_offered_to_the_file_receiver_is_refused() {
    let dir = scratch("chat-to-file");
    let dir_s = dir.to_str().expect("utf-8 path");
    let (_recv, addr, _log) = listener(&dir, "msrp-recv-file", &["--dir", dir_s]);
    let to = format!("sip:bob@{addr}");
    let out = run(
        "msrp-chat",
        &[
            "--server",
            &addr,
            "--as",
            "sip:a@127.0.0.1",
            "--to",
            &to,
            "hi",
        ],
    );
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(
        err.contains("488") && err.contains("not a file transfer"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn chat_round_trip_with_an_echoing_listener() {
    let dir = scratch("chat");
    let (mut l, addr, log) = listener(&dir, "msrp-chat", &["--echo", "--once"]);
    let to = format!("sip:bob@{addr}");
    let out = run(
        "msrp-chat",
        &calling(&addr, &to, &["--expect", "2", "hello bob", "second line"]),
    );
    assert_ok("msrp-chat", &out);
    let said = text(&out.stdout);
    for line in [
        "sent: hello bob",
        "sent: second line",
        "received: hello bob",
        "received: second line",
        "BYE -> 200 OK",
        "chat ended: 2 messages received",
    ] {
        assert!(said.lines().any(|l| l == line), "no {line:?} in:\n{said}");
    }
    assert!(l.exit_within(Duration::from_secs(20)).success());
    let logged = std::fs::read_to_string(&log).expect("log");
    assert!(logged.contains("received: hello bob"), "{logged}");
    assert!(logged.contains("2 messages received"), "{logged}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn chat_from_stdin_wrapped_in_cpim_over_tcp_to_an_active_listener() {
    let dir = scratch("chat-stdin");
    let (mut l, addr, log) = listener(&dir, "msrp-chat", &["--echo", "--once", "--active"]);
    let to = format!("sip:bob@{addr}");
    let mut child = Command::new(bin("msrp-chat"))
        .args(calling(&addr, &to, &["--cpim", "--tcp", "--expect", "3"]))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("msrp-chat runs");
    {
        let mut stdin = child.stdin.take().expect("stdin");
        stdin.write_all(b"one\ntwo\nthree\n").expect("stdin write");
    }
    let out = child.wait_with_output().expect("msrp-chat output");
    assert_ok("msrp-chat", &out);
    let said = text(&out.stdout);
    let received: Vec<&str> = said
        .lines()
        .filter_map(|l| l.strip_prefix("received: "))
        .collect();
    assert_eq!(received, ["one", "two", "three"], "{said}");
    assert!(l.exit_within(Duration::from_secs(20)).success());
    let logged = std::fs::read_to_string(&log).expect("log");
    assert!(logged.contains("setup:active"), "{logged}");
    // The listener unwrapped the CPIM: it prints the text, not the headers.
    assert!(logged.lines().any(|l| l == "received: two"), "{logged}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// `msrp-send-file` calling a fake UAS on UDP.
struct FakeCall {
    /// The scratch folder, with the file sent.
    dir: PathBuf,
    /// The fake UAS.
    uas: std::net::UdpSocket,
    /// Its address.
    addr: String,
    /// The URI called.
    to: String,
    /// The sender, its stderr kept.
    sender: Running,
}

/// Starts `msrp-send-file` (a ten-byte file made with `seed`, `--timeout`
/// `timeout` seconds) against a fake UAS, which waits up to 15 s for
/// each datagram.
fn call_fake_uas(name: &str, seed: u64, timeout: &str) -> FakeCall {
    let dir = scratch(name);
    let file = dir.join("f.bin");
    make_file(&file, 10, seed);
    let uas = std::net::UdpSocket::bind("127.0.0.1:0").expect("bind");
    uas.set_read_timeout(Some(Duration::from_secs(15)))
        .expect("timeout");
    let addr = uas.local_addr().expect("addr").to_string();
    let to = format!("sip:bob@{addr}");
    let child = Command::new(bin("msrp-send-file"))
        .args(["--server", &addr, "--as", "sip:a@127.0.0.1", "--to", &to])
        .args(["--timeout", timeout, file.to_str().expect("utf-8 path")])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("msrp-send-file runs");
    FakeCall {
        dir,
        uas,
        addr,
        to,
        sender: Running(child),
    }
}

/// The first datagram on `uas` (the INVITE), and where it came from.
fn first_request(uas: &std::net::UdpSocket) -> (String, std::net::SocketAddr) {
    let mut buf = vec![0u8; 65_535];
    let (n, from) = uas.recv_from(&mut buf).expect("the INVITE");
    (text(&buf[..n]), from)
}

/// Asserts that the sender fails within 15 s; its stderr.
fn failure(sender: &mut Running) -> String {
    assert!(!sender.exit_within(Duration::from_secs(15)).success());
    let mut err = String::new();
    if let Some(mut e) = sender.0.stderr.take() {
        e.read_to_string(&mut err).expect("stderr");
    }
    err
}

/// Receives datagrams on `sock` until one starts with `prefix`.
fn recv_starting(sock: &std::net::UdpSocket, prefix: &str) -> String {
    let mut buf = vec![0u8; 65_535];
    loop {
        let (n, _) = sock
            .recv_from(&mut buf)
            .unwrap_or_else(|e| panic!("waiting for {prefix}: {e}"));
        let m = text(&buf[..n]);
        if m.starts_with(prefix) {
            return m;
        }
    }
}

#[test]
fn no_answer_fails_within_the_timeout() {
    // A bound UDP socket that never answers.
    let FakeCall {
        dir,
        uas: _silent,
        mut sender,
        ..
    } = call_fake_uas("silent", 3, "1");
    // --timeout 1: it gives up long before the 32 s of Timer B.
    let err = failure(&mut sender);
    assert!(
        err.contains("no answer from") && err.contains("within 1s"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn help_names_the_flags_and_bad_options_fail() {
    for (name, flags) in [
        (
            "msrp-send-file",
            &[
                "--server",
                "--as",
                "--to",
                "--chunk-size",
                "--timeout",
                "--tcp",
            ][..],
        ),
        (
            "msrp-recv-file",
            &[
                "--listen",
                "--msrp-listen",
                "--dir",
                "--once",
                "--max-size",
                "--active",
                "--timeout",
            ][..],
        ),
        (
            "msrp-chat",
            &[
                "--server",
                "--as",
                "--to",
                "--listen",
                "--echo",
                "--once",
                "--expect",
                "--cpim",
                "--timeout",
            ][..],
        ),
    ] {
        let out = run(name, &["--help"]);
        assert_ok(name, &out);
        let help = text(&out.stdout);
        assert!(help.starts_with(&format!("usage: {name}")), "{help}");
        for f in flags {
            assert!(help.contains(f), "{name} --help does not name {f}");
        }
        if name == "msrp-send-file" {
            let base = [
                "--server",
                "127.0.0.1:9",
                "--as",
                "sip:a@x",
                "--to",
                "sip:b@x",
            ];
            let out = run(name, &base);
            assert!(
                text(&out.stderr).contains("one FILE"),
                "{}",
                text(&out.stderr)
            );
            let out = run(
                name,
                &[&base[..], &["--type", "text plain", "Cargo.toml"]].concat(),
            );
            assert!(!out.status.success());
            assert!(
                text(&out.stderr).contains("--type"),
                "{}",
                text(&out.stderr)
            );
        }
        let out = run(name, &["--no-such-flag", "x"]);
        assert!(!out.status.success(), "{name} took an unknown option");
        assert!(text(&out.stderr).contains("--no-such-flag"));
    }
}

/// A response to the SIP request `req` (text), with the headers RFC 3261
/// 8.2.6.2 copies and a To tag.
fn sip_response(req: &str, status: &str) -> String {
    let mut out = format!("SIP/2.0 {status}\r\n");
    for line in req.split("\r\n").skip(1) {
        let name = line
            .split(':')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        match name.as_str() {
            "via" | "from" | "call-id" | "cseq" => out.push_str(&format!("{line}\r\n")),
            "to" => out.push_str(&format!("{line};tag=fake1\r\n")),
            _ => {}
        }
    }
    out.push_str("Content-Length: 0\r\n\r\n");
    out
}

#[test]
fn a_call_still_ringing_at_the_timeout_is_cancelled() {
    // A UAS that rings and never answers.
    let FakeCall {
        dir,
        uas,
        to,
        mut sender,
        ..
    } = call_fake_uas("ringing", 4, "1");
    let (invite, from) = first_request(&uas);
    assert!(
        invite.starts_with(&format!("INVITE {to} SIP/2.0")),
        "{invite}"
    );
    assert!(invite.contains("a=sendonly") && invite.contains("a=file-selector:"));
    assert!(invite.contains("a=setup:actpass"), "{invite}");
    let ringing = sip_response(&invite, "180 Ringing");
    uas.send_to(ringing.as_bytes(), from).expect("send 180");
    // The sender gives up after --timeout and cancels (RFC 3261 9.1): the
    // CANCEL carries the INVITE's branch and CSeq number.
    let cancel = recv_starting(&uas, "CANCEL ");
    let branch = |m: &str| {
        m.split("branch=")
            .nth(1)
            .and_then(|b| b.split([';', '\r', ',']).next())
            .map(str::to_owned)
    };
    assert_eq!(branch(&cancel), branch(&invite), "{cancel}");
    assert!(cancel.contains("CSeq: 1 CANCEL"), "{cancel}");
    uas.send_to(sip_response(&cancel, "200 OK").as_bytes(), from)
        .expect("send 200");
    uas.send_to(
        sip_response(&invite, "487 Request Terminated").as_bytes(),
        from,
    )
    .expect("send 487");
    // The INVITE transaction ACKs the 487 (RFC 3261 17.1.1.3) before the
    // program exits.
    let ack = recv_starting(&uas, "ACK ");
    assert_eq!(branch(&ack), branch(&invite), "{ack}");
    assert!(ack.contains("tag=fake1"), "{ack}");
    let err = failure(&mut sender);
    assert!(err.contains("(cancelled)"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_declined_stream_is_acked_and_hung_up_and_a_repeated_200_acked_again() {
    let FakeCall {
        dir,
        uas,
        addr,
        mut sender,
        ..
    } = call_fake_uas("declined", 5, "5");
    let (invite, from) = first_request(&uas);
    // RFC 5547 8.3: a declined file is answered with port 0.
    let sdp = "v=0\r\no=bob 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n\
        m=message 0 TCP/MSRP *\r\na=recvonly\r\na=accept-types:*\r\n\
        a=path:msrp://127.0.0.1:9/declined;tcp\r\n";
    let ok = sip_response(&invite, "200 OK").replace(
        "Content-Length: 0\r\n\r\n",
        &format!(
            "Contact: <sip:bob@{addr}>\r\nContent-Type: application/sdp\r\n\
             Content-Length: {}\r\n\r\n{sdp}",
            sdp.len()
        ),
    );
    uas.send_to(ok.as_bytes(), from).expect("send 200");
    let ack = recv_starting(&uas, "ACK ");
    assert!(ack.contains("CSeq: 1 ACK"), "{ack}");
    let bye = recv_starting(&uas, "BYE ");
    assert!(
        bye.starts_with(&format!("BYE sip:bob@{addr} SIP/2.0")),
        "{bye}"
    );
    assert!(
        bye.contains("tag=fake1") && bye.contains("CSeq: 2 BYE"),
        "{bye}"
    );
    // The 200 again, as if our ACK was lost: it is ACKed again (RFC 3261
    // 13.2.2.4).
    uas.send_to(ok.as_bytes(), from).expect("send 200 again");
    let again = recv_starting(&uas, "ACK ");
    assert!(again.contains("CSeq: 1 ACK"), "{again}");
    uas.send_to(sip_response(&bye, "200 OK").as_bytes(), from)
        .expect("answer the BYE");
    let err = failure(&mut sender);
    assert!(err.contains("declined the file (port 0"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}
