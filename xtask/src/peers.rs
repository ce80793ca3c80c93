//! The real-peer suite (`tests/peers/`), as `cargo xtask test` runs it: its Python peers installed
//! from `tests/peers/requirements.txt` into a virtualenv under `target/`, the npm ones already
//! installed from `tests/js/package-lock.json`, the debug `eventwire` binary built, then
//! `tests/peers/run.py`, whose `real peers: N passed, N failed` line is counted with the rest.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

use anyhow::{Context, bail};

/// What the suite gave.
pub struct Counts {
    /// Captures whose every verdict matched the peers' truth (and traffic checks that held).
    pub passed: u64,
    /// The others.
    pub failed: u64,
}

/// Installs the peers, builds the binary and runs every scenario.
pub fn run(root: &Path, cargo: &mut Command) -> anyhow::Result<Counts> {
    let venv = root.join("target/peers-venv");
    if !venv.join("bin/python").exists() {
        crate::test::step(
            "create the real peers' virtualenv",
            Command::new("python3").args(["-m", "venv"]).arg(&venv),
        )?;
    }
    crate::test::step(
        "install python-socketio, aiohttp, websockets and mitmproxy from tests/peers/requirements.txt",
        Command::new(venv.join("bin/pip"))
            .args(["install", "--quiet", "--disable-pip-version-check", "--require-hashes", "-r"])
            .arg(root.join("tests/peers/requirements.txt")),
    )?;
    crate::test::step("build the eventwire binary", cargo.args(["build", "--quiet", "-p", "eventwire-cli"]))?;
    #[allow(clippy::print_stderr)]
    {
        eprintln!("==> real-peer suite (tests/peers/run.py, every peer on 127.0.0.1)");
    }
    let mut child = Command::new(venv.join("bin/python"))
        .arg(root.join("tests/peers/run.py"))
        .arg("--eventwire")
        .arg(root.join("target/debug/eventwire"))
        .stdout(Stdio::piped())
        .spawn()
        .context("cannot start tests/peers/run.py")?;
    let mut counts = None;
    for line in BufReader::new(child.stdout.take().expect("piped")).lines() {
        let line = line?;
        #[allow(clippy::print_stdout)]
        {
            println!("{line}");
        }
        if let Some(result) = line.strip_prefix("real peers: ") {
            counts = Some(parse(result).with_context(|| format!("cannot read {line:?}"))?);
        }
    }
    let status = child.wait()?;
    let Some(counts) = counts else { bail!("the real-peer suite ended ({status}) without its counts") };
    if !status.success() || counts.failed > 0 {
        bail!("the real-peer suite failed: {} passed, {} failed", counts.passed, counts.failed);
    }
    Ok(counts)
}

/// `5 passed, 1 failed`.
fn parse(result: &str) -> Option<Counts> {
    let (passed, failed) = result.split_once(", ")?;
    Some(Counts {
        passed: passed.strip_suffix(" passed")?.parse().ok()?,
        failed: failed.strip_suffix(" failed")?.parse().ok()?,
    })
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn counts_are_read_from_the_closing_line() {
        let counts = parse("9 passed, 1 failed").unwrap();
        assert_eq!((counts.passed, counts.failed), (9, 1));
        assert!(parse("9 passed").is_none());
    }
}
