//! Replays every stored fuzz input on stable Rust, so CI checks the corpora
//! without a nightly toolchain or libFuzzer.
//!
//! For each target the inputs are: `fuzz/corpus/<target>/*` (what fuzzing
//! found interesting), `fuzz/regressions/<target>/*` (inputs that once crashed
//! a parser, kept forever) and the public vectors in `../shared/corpus` that
//! seed it.

use std::path::{Path, PathBuf};

/// A target: its name, its entry function and the shared corpus folders that
/// seed it (relative to `../shared/corpus`).
type Target = (&'static str, fn(&[u8]), &'static [&'static str]);

const TARGETS: &[Target] = &[(
    "xml_tree",
    fuzz::xml::xml_tree,
    &["pidf", "policy", "rls", "winfo"],
)];

fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(rd) = std::fs::read_dir(dir) else {
        return out;
    };
    for entry in rd.flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files_in(&path));
        } else {
            out.push(path);
        }
    }
    out.sort();
    out
}

#[test]
fn replay_all_targets() {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    let shared = testkit::corpus_dir();
    for (name, run, seeds) in TARGETS {
        let mut inputs = files_in(&here.join("corpus").join(name));
        inputs.extend(files_in(&here.join("regressions").join(name)));
        for seed in *seeds {
            inputs.extend(files_in(&shared.join(seed)));
        }
        assert!(!inputs.is_empty(), "target {name} has no inputs to replay");
        for path in &inputs {
            let data = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            // A panic here names the input that caused it.
            let result = std::panic::catch_unwind(|| run(&data));
            assert!(
                result.is_ok(),
                "target {name} panicked on {}",
                path.display()
            );
        }
        println!("{name}: {} inputs replayed", inputs.len());
    }
}
