//! `cargo xtask fuzz [--minutes N] [TARGET]`: runs the fuzz targets of `fuzz/` with cargo-fuzz on
//! the nightly toolchain (installing cargo-fuzz at a pinned version first), each for N minutes,
//! starting from the checked-in corpus and growing it in a scratch corpus under `target/`; then
//! minimizes what it found back into `fuzz/corpus/<target>/`. An input that breaks an invariant
//! is left in `fuzz/artifacts/<target>/`: copy it to `fuzz/regressions/<target>/`, where the
//! stable tests (`crates/eventwire-fuzz/tests/corpus.rs`) replay it for good.

use std::process::Command;

use anyhow::Context;

use crate::codegen::workspace_root;
use crate::test::step;

/// The cargo-fuzz release the targets are built with.
const CARGO_FUZZ_VERSION: &str = "0.13.2";

/// Every fuzz target, by its name in `fuzz/Cargo.toml`.
pub const TARGETS: [&str; 2] = ["decode_and_check", "capture"];

/// Fuzzes `targets` (all when empty) for `minutes` each.
pub fn run(minutes: f64, targets: &[String]) -> anyhow::Result<()> {
    let root = workspace_root();
    let fuzz = root.join("fuzz");
    let installed = Command::new("cargo").args(["fuzz", "--version"]).output().ok().filter(|o| o.status.success());
    if !installed.is_some_and(|o| String::from_utf8_lossy(&o.stdout).contains(CARGO_FUZZ_VERSION)) {
        step(
            &format!("install cargo-fuzz {CARGO_FUZZ_VERSION}"),
            Command::new("cargo").args(["install", "cargo-fuzz", "--locked", "--version", CARGO_FUZZ_VERSION]),
        )?;
    }
    let chosen: Vec<&str> =
        if targets.is_empty() { TARGETS.to_vec() } else { targets.iter().map(String::as_str).collect() };
    for target in chosen {
        anyhow::ensure!(TARGETS.contains(&target), "unknown fuzz target `{target}`; the targets are {TARGETS:?}");
        let corpus = fuzz.join("corpus").join(target);
        // libFuzzer writes what it finds into its first corpus directory: a scratch copy of the
        // checked-in corpus, so that minimizing it keeps what the corpus had.
        let scratch = root.join("target/fuzz-corpus").join(target);
        std::fs::remove_dir_all(&scratch).ok();
        std::fs::create_dir_all(&scratch).with_context(|| format!("cannot create {}", scratch.display()))?;
        for entry in std::fs::read_dir(&corpus).with_context(|| format!("cannot read {}", corpus.display()))? {
            let path = entry?.path();
            std::fs::copy(&path, scratch.join(path.file_name().expect("a file in the corpus")))?;
        }
        let seconds = format!("-max_total_time={}", (minutes * 60.0).round().max(1.0));
        step(
            &format!("fuzz {target} for {minutes} minute(s)"),
            Command::new("cargo")
                .current_dir(&root)
                .args(["+nightly", "fuzz", "run", "--sanitizer", "none", "-O", target])
                .arg(&scratch)
                .args(["--", &seconds, "-max_len=8192", "-rss_limit_mb=2048"]),
        )?;
        step(
            &format!("minimize the {target} corpus into fuzz/corpus/{target}"),
            Command::new("cargo")
                .current_dir(&root)
                .args(["+nightly", "fuzz", "cmin", "--sanitizer", "none", "-O", target])
                .arg(&scratch)
                .args(["--", "-max_len=8192"]),
        )?;
        // cmin leaves the minimized corpus in the directory it was given.
        std::fs::remove_dir_all(&corpus).ok();
        std::fs::rename(&scratch, &corpus)
            .with_context(|| format!("cannot move the corpus to {}", corpus.display()))?;
    }
    Ok(())
}
