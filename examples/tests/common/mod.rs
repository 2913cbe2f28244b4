//! What the tests that run the example programs share: finding a built
//! program, running it, a child process killed when dropped, and a free
//! loopback port.
//!
//! `cargo test -p examples` builds the examples before the tests; they are
//! found next to the test binary, in `target/<profile>/examples/`.

// Each test file uses only some of these.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Output};
use std::time::Duration;

/// The path of the built example program `name`.
pub(crate) fn bin(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target/<profile>/deps");
    profile_dir.join("examples").join(name)
}

/// A child process killed when dropped.
pub(crate) struct Running(pub(crate) Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Running {
    /// Waits up to `limit` for the process to exit; its status.
    pub(crate) fn exit_within(&mut self, limit: Duration) -> ExitStatus {
        let step = Duration::from_millis(20);
        for _ in 0..=limit.as_millis() / step.as_millis() {
            if let Some(st) = self.0.try_wait().expect("try_wait") {
                return st;
            }
            std::thread::sleep(step);
        }
        panic!("the process did not exit within {limit:?}");
    }
}

/// A port free for UDP and TCP on 127.0.0.1.
pub(crate) fn free_port() -> u16 {
    loop {
        let u = std::net::UdpSocket::bind("127.0.0.1:0").expect("udp bind");
        let port = u.local_addr().expect("addr").port();
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

/// Runs the example program `name` to its end.
pub(crate) fn run(name: &str, args: &[&str]) -> Output {
    Command::new(bin(name))
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{name} runs: {e}"))
}

/// Bytes as text (invalid UTF-8 replaced).
pub(crate) fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Asserts that the program `name` succeeded, showing its output if not.
pub(crate) fn assert_ok(name: &str, o: &Output) {
    assert!(
        o.status.success(),
        "{name} failed: {}\n{}",
        text(&o.stdout),
        text(&o.stderr)
    );
}
