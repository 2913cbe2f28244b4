//! Runs the built `peering-demo` example (two peer networks over loopback)
//! and checks that it succeeds and reports each use case.
//!
//! `cargo test` builds the examples before the tests; the binary is found
//! next to the test binary, in `target/<profile>/examples/`.

use std::io::Read;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

fn bin(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target/<profile>/deps");
    profile_dir.join("examples").join(name)
}

/// Runs the demo, killing it if it has not finished after two minutes.
/// Returns (exit code, stdout, stderr).
fn run_demo() -> (Option<i32>, String, String) {
    let mut child = Command::new(bin("peering-demo"))
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
