//! The example programs against each other over real sockets on
//! 127.0.0.1: `presence-server` with `publish`, `watcher` and `im`, over
//! UDP and TCP, with and without pres-rules. No outside peer is needed
//! (those checks are in `.ci/interop.sh`).
//!
//! `cargo test` builds the examples before the tests; they are found next
//! to the test binary, in `target/<profile>/examples/`.

mod common;

use common::{assert_ok, bin, free_port, run, Running};
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("sp-loopback-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&d).expect("scratch dir");
    d
}

/// Starts `presence-server` on a free port with `extra` arguments; returns
/// it and its address once it listens.
fn server(name: &str, extra: &[&str]) -> (Running, String) {
    let port = free_port();
    let addr = format!("127.0.0.1:{port}");
    let log = scratch(name).join("server.log");
    let out = std::fs::File::create(&log).expect("log file");
    let child = Command::new(bin("presence-server"))
        .args(["--listen", &addr])
        .args(extra)
        .stdout(out)
        .stderr(Stdio::null())
        .spawn()
        .expect("presence-server runs");
    let running = Running(child);
    for _ in 0..100 {
        if std::fs::read_to_string(&log).is_ok_and(|s| s.contains("listening")) {
            return (running, addr);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("presence-server did not start");
}

fn stdout(o: &Output) -> String {
    common::text(&o.stdout)
}

#[test]
fn publish_watch_and_message_over_udp_and_tcp() {
    let (_srv, addr) = server("allow", &["--allow-all"]);
    let p = run(
        "publish",
        &[
            "--server",
            &addr,
            "--as",
            "sip:alice@127.0.0.1",
            "--basic",
            "open",
            "--note",
            "at the desk",
        ],
    );
    assert_ok("publish", &p);
    assert!(stdout(&p).contains("-> 200"), "{}", stdout(&p));

    for tcp in [false, true] {
        let mut args = vec![
            "--server",
            &addr,
            "--as",
            "sip:bob@127.0.0.1",
            "--watch",
            "sip:alice@127.0.0.1",
            "--once",
        ];
        if tcp {
            args.push("--tcp");
        }
        let w = run("watcher", &args);
        assert_ok("watcher", &w);
        let out = stdout(&w);
        assert!(
            out.contains("<basic>open</basic>") && out.contains("at the desk"),
            "{out}"
        );
        assert!(out.contains("Subscription-State: active"), "{out}");
        assert!(out.contains("Subscription-State: terminated"), "{out}");
        assert!(out.contains("unsubscribed: Terminated"), "{out}");
    }

    // A second publisher for the same presentity: the watcher sees both
    // tuples composed into one document.
    let p2 = run(
        "publish",
        &[
            "--tcp",
            "--server",
            &addr,
            "--as",
            "sip:alice@127.0.0.1",
            "--basic",
            "closed",
            "--note",
            "phone off",
        ],
    );
    assert_ok("publish --tcp", &p2);
    let w = run(
        "watcher",
        &[
            "--server",
            &addr,
            "--as",
            "sip:bob@127.0.0.1",
            "--watch",
            "sip:alice@127.0.0.1",
            "--once",
        ],
    );
    assert_ok("watcher", &w);
    let out = stdout(&w);
    assert!(
        out.contains("at the desk") && out.contains("phone off"),
        "{out}"
    );
    assert!(
        out.contains("basic=open") && out.contains("basic=closed"),
        "{out}"
    );

    let m = run(
        "im",
        &[
            "--server",
            &addr,
            "--as",
            "sip:bob@127.0.0.1",
            "--to",
            "sip:alice@127.0.0.1",
            "hello",
            "alice",
        ],
    );
    assert_ok("im", &m);
    let m = run(
        "im",
        &[
            "--cpim",
            "--tcp",
            "--server",
            &addr,
            "--as",
            "sip:bob@127.0.0.1",
            "--to",
            "sip:alice@127.0.0.1",
            "hi",
        ],
    );
    assert_ok("im --cpim --tcp", &m);
}

#[test]
fn domain_limits_who_is_served() {
    let (_srv, addr) = server("domain", &["--allow-all", "--domain", "example.com"]);
    let ok = run(
        "im",
        &[
            "--server",
            &addr,
            "--as",
            "sip:bob@example.com",
            "--to",
            "sip:alice@example.com",
            "hi",
        ],
    );
    assert_ok("im to our domain", &ok);
    let other = run(
        "im",
        &[
            "--server",
            &addr,
            "--as",
            "sip:bob@example.com",
            "--to",
            "sip:alice@example.net",
            "hi",
        ],
    );
    assert!(!other.status.success());
    assert!(stdout(&other).contains("404"), "{}", stdout(&other));
    let p = run(
        "publish",
        &[
            "--server",
            &addr,
            "--as",
            "sip:carol@example.net",
            "--basic",
            "open",
        ],
    );
    assert!(!p.status.success(), "{}", stdout(&p));
}

#[test]
fn pres_rules_decide_and_default_is_deny() {
    let dir = scratch("rules-dir");
    std::fs::write(
        dir.join("frank.xml"),
        br#"<ruleset xmlns="urn:ietf:params:xml:ns:common-policy"
             xmlns:pr="urn:ietf:params:xml:ns:pres-rules">
  <rule id="bob">
    <conditions><identity><one id="sip:bob@127.0.0.1"/></identity></conditions>
    <actions><pr:sub-handling>allow</pr:sub-handling></actions>
    <transformations><pr:provide-services><pr:all-services/></pr:provide-services></transformations>
  </rule>
  <rule id="carol">
    <conditions><identity><one id="sip:carol@127.0.0.1"/></identity></conditions>
    <actions><pr:sub-handling>polite-block</pr:sub-handling></actions>
  </rule>
</ruleset>"#,
    )
    .expect("rules written");
    let dir_s = dir.to_string_lossy().into_owned();
    let (_srv, addr) = server("rules", &["--rules", &dir_s]);
    let p = run(
        "publish",
        &[
            "--server",
            &addr,
            "--as",
            "sip:frank@127.0.0.1",
            "--basic",
            "open",
            "--note",
            "secret note",
        ],
    );
    assert_ok("publish", &p);

    // Allowed: the service is shown (notes are not granted: filtered out).
    let bob = run(
        "watcher",
        &[
            "--server",
            &addr,
            "--as",
            "sip:bob@127.0.0.1",
            "--watch",
            "sip:frank@127.0.0.1",
            "--once",
        ],
    );
    assert_ok("watcher bob", &bob);
    let out = stdout(&bob);
    assert!(out.contains("<basic>open</basic>"), "{out}");
    assert!(!out.contains("secret note"), "{out}");

    // Polite-block: subscribed, but the neutral document (nothing open).
    let carol = run(
        "watcher",
        &[
            "--server",
            &addr,
            "--as",
            "sip:carol@127.0.0.1",
            "--watch",
            "sip:frank@127.0.0.1",
            "--once",
        ],
    );
    assert_ok("watcher carol", &carol);
    let out = stdout(&carol);
    assert!(!out.contains("basic=open"), "{out}");

    // No rule for eve, no rules at all for gina's watchers: 403.
    for (watcher, target) in [
        ("sip:eve@127.0.0.1", "sip:frank@127.0.0.1"),
        ("sip:bob@127.0.0.1", "sip:gina@127.0.0.1"),
    ] {
        let w = run(
            "watcher",
            &[
                "--server",
                &addr,
                "--as",
                watcher,
                "--watch",
                target,
                "--once",
                "--timeout",
                "5",
            ],
        );
        assert!(!w.status.success(), "{}", stdout(&w));
        assert!(stdout(&w).contains("403"), "{}", stdout(&w));
    }
}

#[test]
fn programs_fail_cleanly() {
    // Nothing listens there: the watcher gives up after its timeout.
    let port = free_port();
    let addr = format!("127.0.0.1:{port}");
    let w = run(
        "watcher",
        &[
            "--server",
            &addr,
            "--as",
            "sip:b@127.0.0.1",
            "--watch",
            "sip:a@127.0.0.1",
            "--once",
            "--timeout",
            "2",
        ],
    );
    assert!(!w.status.success());
    assert!(!w.stderr.is_empty());
    // Bad arguments: exit 1 with a message naming the argument.
    let p = run(
        "publish",
        &[
            "--server",
            &addr,
            "--as",
            "sip:a@127.0.0.1",
            "--basic",
            "maybe",
        ],
    );
    assert_eq!(p.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&p.stderr).contains("--basic"));
    let m = run("im", &["--server", &addr, "--as", "sip:a@127.0.0.1"]);
    assert_eq!(m.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&m.stderr).contains("--to"));
    for name in ["presence-server", "publish", "watcher", "im"] {
        let h = run(name, &["--help"]);
        assert_ok(name, &h);
        assert!(stdout(&h).starts_with("usage:"), "{name}");
    }
}

#[test]
fn presentity_sees_its_watchers_through_winfo() {
    let dir = scratch("winfo-rules");
    let dir_s = dir.to_string_lossy().into_owned();
    let (_srv, addr) = server("winfo", &["--rules", &dir_s]);
    // Only the presentity itself may watch its watcher list.
    let eve = run(
        "watcher",
        &[
            "--server",
            &addr,
            "--as",
            "sip:eve@127.0.0.1",
            "--watch",
            "sip:hank@127.0.0.1",
            "--event",
            "presence.winfo",
            "--once",
        ],
    );
    assert!(!eve.status.success());
    assert!(stdout(&eve).contains("403"), "{}", stdout(&eve));

    let own = Command::new(bin("watcher"))
        .args([
            "--server",
            &addr,
            "--as",
            "sip:hank@127.0.0.1",
            "--watch",
            "sip:hank@127.0.0.1",
        ])
        .args(["--event", "presence.winfo", "--duration", "3"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("watcher runs");
    std::thread::sleep(Duration::from_millis(700));
    // A presence watcher comes and is refused (no rules for hank): it
    // never enters the list.
    let bob = run(
        "watcher",
        &[
            "--server",
            &addr,
            "--as",
            "sip:bob@127.0.0.1",
            "--watch",
            "sip:hank@127.0.0.1",
            "--once",
            "--timeout",
            "3",
        ],
    );
    assert!(!bob.status.success());
    let own = own.wait_with_output().expect("watcher ends");
    assert_ok("winfo watcher", &own);
    let out = stdout(&own);
    assert!(
        out.contains(
            r#"<watcherinfo xmlns="urn:ietf:params:xml:ns:watcherinfo" version="0" state="full">"#
        ),
        "{out}"
    );
    assert!(out.contains(r#"resource="sip:hank@"#), "{out}");
    assert!(!out.contains("sip:bob@127.0.0.1</watcher>"), "{out}");
    assert!(out.contains("unsubscribed: Terminated"), "{out}");
}

#[test]
fn winfo_lists_a_watcher_while_it_is_subscribed() {
    let (_srv, addr) = server("winfo-all", &["--allow-all"]);
    let own = Command::new(bin("watcher"))
        .args([
            "--server",
            &addr,
            "--as",
            "sip:ivy@127.0.0.1",
            "--watch",
            "sip:ivy@127.0.0.1",
        ])
        .args(["--event", "presence.winfo", "--duration", "3"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("watcher runs");
    std::thread::sleep(Duration::from_millis(700));
    let p = run(
        "publish",
        &[
            "--server",
            &addr,
            "--as",
            "sip:ivy@127.0.0.1",
            "--basic",
            "open",
        ],
    );
    assert_ok("publish", &p);
    let bob = run(
        "watcher",
        &[
            "--server",
            &addr,
            "--as",
            "sip:bob@127.0.0.1",
            "--watch",
            "sip:ivy@127.0.0.1",
            "--once",
            "--tcp",
        ],
    );
    assert_ok("watcher bob", &bob);
    let own = own.wait_with_output().expect("watcher ends");
    assert_ok("winfo watcher", &own);
    let out = stdout(&own);
    // Empty list, then bob active, then empty again after he left.
    let v1 = out.find(r#"version="1""#).expect("version 1");
    let bob_at = out
        .find(r#"status="active">sip:bob@127.0.0.1</watcher>"#)
        .expect("bob listed");
    let v2 = out.find(r#"version="2""#).expect("version 2");
    assert!(v1 < bob_at && bob_at < v2, "{out}");
    let after = out.get(v2..).unwrap_or_default();
    assert!(!after.contains("sip:bob@127.0.0.1</watcher>"), "{out}");
}
