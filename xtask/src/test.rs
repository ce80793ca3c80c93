//! `cargo xtask test`: every test, in one command, on a fresh machine. It installs what the
//! tests need from lockfiles (ajv and the TypeScript compiler from `tests/js/package-lock.json`,
//! cargo-insta at a pinned version) and then runs, in order: the independent ajv schema check,
//! formatting, clippy, the serde-only build, the benchmark comparison on a tiny capture (every
//! peer installed from its lockfile, every verdict checked against the ground truth, no timing
//! judged), the Rust suites (which include `tsc`, Node, the typify oracle and one run of
//! each micro-benchmark) with unreferenced snapshots rejected, and the real-peer suite
//! (`tests/peers/`: real Socket.IO, websockets and mitmproxy peers on loopback).
//!
//! The workspace is built once for all of them: every step that builds selects the whole
//! workspace with all features ([`SELECTION`]), so that cargo resolves each
//! dependency's features the same way and reuses what an earlier step compiled (a step that
//! selected one package resolved other features, and rebuilt most dependencies).

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

use anyhow::{Context, bail};

use crate::codegen::workspace_root;

/// The cargo-insta release the snapshots are written with.
const CARGO_INSTA_VERSION: &str = "1.49.0";

/// What every step that builds selects: the whole workspace with all features, every target
/// (dev-dependencies included, which change how features resolve; the micro-benchmarks
/// included: under `cargo test`, divan runs each benchmark once).
const SELECTION: [&str; 3] = ["--workspace", "--all-features", "--all-targets"];

/// `command` as the debug build of the bench smoke and the real-peer suite: [`SELECTION`], as
/// the tests build it, so that the Rust tests find everything built.
pub(crate) fn debug_build(command: &mut Command) -> &mut Command {
    command.args(["build", "--quiet"]).args(SELECTION)
}

/// Builds the release binary and runs `xtask/scripts/peak_rss.py` on it.
pub fn peak_rss(jsonl_gb: f64, har_gb: f64) -> anyhow::Result<()> {
    let root = workspace_root();
    step("build release", cargo(&root).args(["build", "--release", "--quiet", "--package", "eventwire-cli"]))?;
    let binary = root.join("target/release/eventwire");
    step(
        "peak RSS on growing captures",
        Command::new("python3").arg(root.join("xtask/scripts/peak_rss.py")).arg(binary).args([
            "--jsonl-gb",
            &jsonl_gb.to_string(),
            "--har-gb",
            &har_gb.to_string(),
        ]),
    )
}

/// Runs every test; fails on the first step that fails.
pub fn run() -> anyhow::Result<()> {
    let root = workspace_root();
    let js = root.join("tests/js");

    step(
        "install ajv, typescript and the npm Socket.IO peers from tests/js/package-lock.json",
        Command::new("npm").args(["ci", "--no-audit", "--no-fund"]).current_dir(&js),
    )?;
    step("cross-check the schemas with ajv", Command::new("node").arg("check-schemas.mjs").current_dir(&js))?;
    step("rustfmt", cargo(&root).args(["fmt", "--all", "--check"]))?;
    step(
        "clippy",
        cargo(&root).args([
            "clippy",
            "--workspace",
            "--all-targets",
            "--all-features",
            "--quiet",
            "--",
            "-D",
            "warnings",
        ]),
    )?;
    step(
        "serde-only build of the types crate, and its server example",
        cargo(&root).args([
            "check",
            "--quiet",
            "-p",
            "eventwire",
            "--no-default-features",
            "--lib",
            "--example",
            "server",
        ]),
    )?;
    #[allow(clippy::print_stderr)]
    {
        eprintln!("==> serde-only dependency tree of the types crate (no derive crate, schemars or proptest)");
    }
    crate::api::serde_only()?;
    #[allow(clippy::print_stderr)]
    {
        eprintln!("==> the types crate's public API against crates/eventwire/api/*.txt (rustdoc JSON, nightly)");
    }
    crate::api::run(false)?;
    #[allow(clippy::print_stderr)]
    {
        eprintln!("==> benchmark code paths on a tiny capture (every tool's verdicts against the ground truth)");
    }
    crate::bench::run(&crate::bench::SMOKE)?;
    ensure_cargo_insta(&root)?;
    let mut totals = counted_step(
        "Rust tests and each micro-benchmark once (unreferenced snapshots rejected)",
        cargo(&root).args(["insta", "test"]).args(SELECTION).args(["--unreferenced=reject", "--check"]),
    )?;
    // `--all-targets` leaves the documentation's examples out: they run apart.
    let doc = counted_step(
        "the documentation's examples",
        cargo(&root).args(["test", "--quiet", "--doc", "--workspace", "--all-features"]),
    )?;
    totals.passed += doc.passed;
    totals.failed += doc.failed;
    let peers = crate::peers::run(&root, &mut cargo(&root))?;
    totals.passed += peers.passed;
    totals.failed += peers.failed;
    // The closing line: the totals over every `test result:` line above.
    #[allow(clippy::print_stdout)]
    {
        println!("eventwire: {} passed, {} failed", totals.passed, totals.failed);
    }
    Ok(())
}

#[derive(Default)]
struct Totals {
    passed: u64,
    failed: u64,
}

/// Runs a cargo test command, echoing its output and adding up its `test result:` lines.
fn counted_step(name: &str, command: &mut Command) -> anyhow::Result<Totals> {
    #[allow(clippy::print_stderr)]
    {
        eprintln!("==> {name}");
    }
    let mut child = command
        .stdout(Stdio::piped())
        .spawn()
        .with_context(|| format!("{name}: could not start {:?}", command.get_program()))?;
    let mut totals = Totals::default();
    for line in BufReader::new(child.stdout.take().expect("piped")).lines() {
        let line = line?;
        #[allow(clippy::print_stdout)]
        {
            println!("{line}");
        }
        if let Some(result) = line.strip_prefix("test result: ") {
            totals.passed += count_before(result, " passed");
            totals.failed += count_before(result, " failed");
        }
    }
    let status = child.wait()?;
    if !status.success() {
        bail!("{name} failed ({status}); {} passed, {} failed", totals.passed, totals.failed);
    }
    if totals.passed == 0 {
        bail!("{name} ran no test");
    }
    Ok(totals)
}

/// In `ok. 6 passed; 0 failed; …`, the number before `label`.
fn count_before(result: &str, label: &str) -> u64 {
    result
        .split(';')
        .find_map(|part| {
            part.trim().trim_start_matches("ok. ").trim_start_matches("FAILED. ").strip_suffix(label)?.parse().ok()
        })
        .unwrap_or(0)
}

fn cargo(root: &Path) -> Command {
    let mut command = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    command.current_dir(root);
    command
}

/// Runs a command as a named step of the test run; fails when it fails.
pub(crate) fn step(name: &str, command: &mut Command) -> anyhow::Result<()> {
    #[allow(clippy::print_stderr)]
    {
        eprintln!("==> {name}");
    }
    let status = command.status().with_context(|| format!("{name}: could not start {:?}", command.get_program()))?;
    if !status.success() {
        bail!("{name} failed ({status})");
    }
    Ok(())
}

fn ensure_cargo_insta(root: &Path) -> anyhow::Result<()> {
    let installed = cargo(root).args(["insta", "--version"]).output().ok().filter(|o| o.status.success());
    let version = installed.map(|o| String::from_utf8_lossy(&o.stdout).into_owned()).unwrap_or_default();
    if version.contains(CARGO_INSTA_VERSION) {
        return Ok(());
    }
    step(
        &format!("install cargo-insta {CARGO_INSTA_VERSION}"),
        cargo(root).args(["install", "cargo-insta", "--locked", "--version", CARGO_INSTA_VERSION]),
    )
}

#[cfg(test)]
mod tests {
    use super::count_before;

    #[test]
    fn counts_are_read_from_cargo_result_lines() {
        let line = "ok. 11 passed; 2 failed; 0 ignored; 0 measured; 0 filtered out; finished in 6.68s";
        assert_eq!(count_before(line, " passed"), 11);
        assert_eq!(count_before(line, " failed"), 2);
        assert_eq!(count_before("FAILED. 3 passed; 1 failed; 0 ignored", " failed"), 1);
    }
}
