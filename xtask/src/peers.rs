//! The real-peer suite (`tests/peers/`), as `cargo xtask test` runs it: its capture tools
//! (tcpdump, dumpcap, tshark) installed from Debian's packages at the versions
//! `tests/peers/debian-packages.txt` pins, its Python peers from `tests/peers/requirements.txt`
//! into a virtualenv under `target/`, the npm ones already installed from
//! `tests/js/package-lock.json`, the debug `eventwire` binary built, then `tests/peers/run.py`,
//! whose `real peers: N passed, N failed` line is counted with the rest.

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

/// Installs the pinned Debian packages that are missing (or at another version), with apt-get,
/// as root; refreshes the package lists once if the first try fails.
pub fn install_debian_packages(root: &Path) -> anyhow::Result<()> {
    let list = std::fs::read_to_string(root.join("tests/peers/debian-packages.txt"))
        .context("cannot read tests/peers/debian-packages.txt")?;
    let pinned: Vec<&str> = list.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).collect();
    let missing: Vec<&str> = pinned
        .iter()
        .copied()
        .filter(|pin| {
            let (name, version) = pin.split_once('=').unwrap_or((pin, ""));
            let installed = Command::new("dpkg-query").args(["-W", "-f", "${Version}", name]).output();
            !installed.is_ok_and(|out| out.status.success() && String::from_utf8_lossy(&out.stdout) == version)
        })
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let install = || {
        let mut command = Command::new("apt-get");
        command
            .args(["install", "-y", "-q", "--no-install-recommends", "--allow-downgrades"])
            .args(&missing)
            .env("DEBIAN_FRONTEND", "noninteractive");
        command
    };
    let name = format!("install {} from Debian's packages (tests/peers/debian-packages.txt)", missing.join(" "));
    if crate::test::step(&name, &mut install()).is_ok() {
        return Ok(());
    }
    crate::test::step("refresh the package lists", Command::new("apt-get").args(["update", "-q"]))?;
    crate::test::step(&name, &mut install()).context(
        "the capture tools could not be installed: run `cargo xtask test` as root on Debian bookworm, or install them",
    )
}

/// Installs the peers, builds the binary and runs every scenario.
pub fn run(root: &Path, cargo: &mut Command) -> anyhow::Result<Counts> {
    install_debian_packages(root)?;
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
    crate::test::step("build the eventwire binary", crate::test::debug_build(cargo))?;
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
