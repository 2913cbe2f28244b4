//! Runs the built `peering-demo` example (two peer networks over loopback)
//! and checks that it succeeds and reports each use case.
//!
//! `cargo test` builds the examples before the tests; the binary is found
//! next to the test binary, in `target/<profile>/examples/`.

mod common;

use common::bin;
use std::io::Read;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

/// The demo's result, run once for every test of this file (it writes its
/// PKI to one folder, and takes a second or two).
fn run_demo() -> (Option<i32>, String, String) {
    static RUN: std::sync::OnceLock<(Option<i32>, String, String)> = std::sync::OnceLock::new();
    RUN.get_or_init(|| {
        let out = pki_dir().display().to_string();
        run_demo_once(&["--pki-out", &out])
    })
    .clone()
}

/// Where this test process has the demo write its PKI (not the shared
/// default folder, which another run may be rewriting).
fn pki_dir() -> PathBuf {
    std::env::temp_dir().join(format!("sp-peering-demo-pki-{}", std::process::id()))
}

/// Runs the demo, killing it if it has not finished after two minutes.
/// Returns (exit code, stdout, stderr).
fn run_demo_once(args: &[&str]) -> (Option<i32>, String, String) {
    let mut child = Command::new(bin("peering-demo"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start peering-demo");
    let mut out = child.stdout.take().expect("stdout");
    let mut err = child.stderr.take().expect("stderr");
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = out.read_to_string(&mut s);
        s
    });
    let ereader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    // Polled in steps rather than timed: the demo has its own 60 s bound.
    let mut status = None;
    for _ in 0..1200 {
        if let Some(s) = child.try_wait().expect("wait for peering-demo") {
            status = Some(s);
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    if status.is_none() {
        let _ = child.kill();
        let _ = child.wait();
    }
    let stdout = reader.join().expect("stdout reader");
    let stderr = ereader.join().expect("stderr reader");
    (status.and_then(|s| s.code()), stdout, stderr)
}

#[test]
fn peering_demo_runs_every_use_case_and_exits_zero() {
    let (code, out, err) = run_demo();
    assert_eq!(code, Some(0), "exit code; stdout:\n{out}\nstderr:\n{err}");
    for case in [
        "1. inter-domain subscription",
        "2. public-group list subscription",
        "3. carol@example.net watched by 1000 watchers",
        "(per-view mode)",
        "(delegated mode)",
        "4. pager-mode IM",
        "5. MSRP chat and file transfer",
        "every step succeeded",
    ] {
        assert!(out.contains(case), "the output names {case:?}:\n{out}");
    }
    // The ladder shows traffic in both directions on the link, and the
    // grouped update is one NOTIFY.
    assert!(
        out.contains("example.com --> example.net  SUBSCRIBE"),
        "{out}"
    );
    assert!(out.contains("example.com <-- example.net  NOTIFY"), "{out}");
    assert!(out.contains("per update: 1 NOTIFY"), "{out}");
    assert!(out.contains("3 views for 1000 watchers"), "{out}");
    assert!(out.contains("NOTIFY (presence, RLMI)"), "{out}");
    assert!(
        out.contains("the change reached alice as a list notification"),
        "{out}"
    );
    assert!(out.contains("MESSAGE (IMDN)"), "{out}");
    assert!(out.contains("alice received the IMDN: delivered"), "{out}");
    assert!(out.contains("byte file, byte for byte"), "{out}");
    assert!(!out.contains("check failed"), "{out}");
}

/// The size at the end of a ladder line (`...  609 B`), if it has one.
fn size_of(line: &str) -> Option<usize> {
    line.trim_end()
        .strip_suffix(" B")?
        .rsplit(' ')
        .next()?
        .parse()
        .ok()
}

#[test]
fn peering_demo_sets_up_each_msrp_session_with_an_invite_across_the_link() {
    let (code, out, err) = run_demo();
    assert_eq!(code, Some(0), "exit code; stdout:\n{out}\nstderr:\n{err}");
    assert!(!out.contains("handed over in process"), "{out}");
    let case5 = out
        .split("== 5. MSRP chat and file transfer")
        .nth(1)
        .and_then(|s| s.split("== 6.").next())
        .expect("use case 5 in the output");
    // Each call, in ladder order: the INVITE with the offer, 180, the 200
    // with the answer and ACK crossing the link, then MSRP over TLS, then
    // BYE and its 200; every SIP line with its size.
    let steps = [
        "example.com --> example.net  INVITE (SDP offer: chat, setup:actpass)",
        "example.com <-- example.net  180 (INVITE)",
        "example.com <-- example.net  200 (INVITE, SDP answer: chat, setup:active)",
        "example.com --> example.net  ACK ",
        "ok: the chat call: alice's INVITE rang, got 200 with the SDP answer, and bob's UA got the ACK",
        "MSRP SEND x 1 (tls)",
        "example.com --> example.net  BYE ",
        "example.com <-- example.net  200 (BYE)",
        "ok: the chat call ended: BYE got 200 and bob's UA closed its dialog",
        "example.com --> example.net  INVITE (SDP offer: file report.bin, setup:actpass)",
        "example.com <-- example.net  180 (INVITE)",
        "example.com <-- example.net  200 (INVITE, SDP answer: file report.bin, setup:active)",
        "example.com --> example.net  ACK ",
        "MSRP SEND x 150 (tls)",
        "example.com --> example.net  BYE ",
        "example.com <-- example.net  200 (BYE)",
        "ok: the file transfer call ended: BYE got 200",
    ];
    let mut rest = case5;
    for step in steps {
        let at = rest
            .find(step)
            .unwrap_or_else(|| panic!("{step:?} after the steps before it in:\n{case5}"));
        let line = rest[at..].lines().next().unwrap_or_default();
        if step.starts_with("example.com") {
            let size = size_of(line).unwrap_or_else(|| panic!("a size on {line:?}"));
            assert!(size > 100, "{line:?}");
        }
        rest = &rest[at + step.len()..];
    }
    // Bob's UA read the offer from the INVITE it received.
    assert!(
        case5.contains("bob's UA reads the offer from the INVITE (file transfer, setup:actpass, TCP/TLS/MSRP, a=fingerprint sha-256)"),
        "{case5}"
    );
    // The MITM session of use case 6 is set up the same way, refused on
    // the fingerprint, and hung up.
    let case6d = out
        .split("d) MSRP: a man in the middle")
        .nth(1)
        .expect("use case 6d in the output");
    let mut rest = case6d;
    for step in [
        "INVITE (SDP offer: chat, setup:actpass)",
        "200 (INVITE, SDP answer: chat, setup:active)",
        "ACK ",
        "MSRP session REFUSED",
        "BYE ",
        "200 (BYE)",
        "ok: the chat, MITM call ended: BYE got 200",
    ] {
        let at = rest
            .find(step)
            .unwrap_or_else(|| panic!("{step:?} in 6d in order:\n{case6d}"));
        rest = &rest[at + step.len()..];
    }
}

#[test]
fn peering_demo_runs_the_link_over_mutual_tls_and_refuses_intruders() {
    let (code, out, err) = run_demo();
    assert_eq!(code, Some(0), "exit code; stdout:\n{out}\nstderr:\n{err}");
    // The link is TLS, both ends verified, and the identity comes from the
    // certificate's sip: URI.
    assert!(out.contains("border on tls 127.0.0.1:"), "{out}");
    assert!(
        out.contains(
            "TLS connect (TLSv1_3): example.net's certificate [URI:sip:example.net, DNS:example.net] \
             verified against the demo CA; identity [example.net]"
        ),
        "{out}"
    );
    assert!(
        out.contains(
            "TLS accept (TLSv1_3): client certificate [URI:sip:example.com, DNS:example.com] \
             verified against the demo CA; identity [example.com]"
        ),
        "{out}"
    );
    // The certificates are left where the output says.
    let dir = out
        .lines()
        .find_map(|l| l.trim().strip_prefix("demo PKI in "))
        .and_then(|l| l.split(':').next())
        .expect("the demo names its PKI folder");
    assert_eq!(std::path::Path::new(dir), pki_dir());
    for f in [
        "ca.pem",
        "example.com.pem",
        "example.com.key",
        "example.org.pem",
    ] {
        let path = std::path::Path::new(dir).join(f);
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(text.contains("-----BEGIN"), "{} is PEM", path.display());
    }
    // MSRP over TLS with fingerprints, offered in the INVITE.
    assert!(out.contains("TCP/TLS/MSRP, a=fingerprint sha-256"), "{out}");
    assert!(
        out.contains("each certificate matches the other side's a=fingerprint"),
        "{out}"
    );
    assert!(out.contains("MSRP SEND x 150 (tls)"), "{out}");
    // The refusals, each shown as such.
    assert!(out.contains("6. untrusted networks"), "{out}");
    assert!(
        out.contains("the example.com border REFUSED the connection from 127.0.0.1:")
            && out.contains("authenticates [example.org], not a peer in the table"),
        "{out}"
    );
    assert!(
        out.contains("handshake failed: TLS: invalid peer certificate: UnknownIssuer"),
        "{out}"
    );
    assert!(
        out.contains(
            "REFUSED SUBSCRIBE with 403: domain hub.example.org not authenticated by the connection"
        ),
        "{out}"
    );
    assert!(
        out.contains("the sender sees: answered 403 Forbidden"),
        "{out}"
    );
    assert!(
        out.contains("MSRP session REFUSED, connection closed")
            && out.contains("does not match the offer's a=fingerprint"),
        "{out}"
    );
    for ok in [
        "ok: example.org's connection refused",
        "ok: the impostor's handshake refused",
        "ok: the spoofed From got 403",
        "ok: the MSRP session with a wrong fingerprint was refused",
    ] {
        assert!(out.contains(ok), "{ok:?} in:\n{out}");
    }
    assert!(out.contains("refused as expected:"), "{out}");
    assert!(out.contains("every step succeeded"), "{out}");
}

#[test]
fn peering_demo_runs_with_certificates_from_files() {
    // The first run wrote a PKI; a second one reads it as real certificates.
    let (code, _, _) = run_demo();
    assert_eq!(code, Some(0));
    let dir = pki_dir().display().to_string();
    let (code, out, err) = run_demo_once(&["--pki", &dir]);
    assert_eq!(code, Some(0), "exit code; stdout:\n{out}\nstderr:\n{err}");
    assert!(out.contains(&format!("certificates from {dir}")), "{out}");
    assert!(!out.contains("demo PKI in"), "{out}");
    assert!(
        out.contains("identity [example.net]") && out.contains("identity [example.com]"),
        "{out}"
    );
    assert!(out.contains("every step succeeded"), "{out}");
    // A folder without the certificates is an error, not a fallback.
    let empty = std::env::temp_dir().join(format!("sp-peering-demo-none-{}", std::process::id()));
    let (code, _, err) = run_demo_once(&["--pki", &empty.display().to_string()]);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("--pki:"), "{err}");
    // The PKI folder stays (another test of this file reads it meanwhile);
    // it is named after this process, so runs never mix.
}
